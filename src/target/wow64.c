/* The x86 side of a WoW64 process: its saved CONTEXT and its 32-bit TEB
 * (layouts in wow64.h). */
#include "target/wow64.h"

#include <inttypes.h>
#include <strings.h>

/* x64 TEB: TlsSlots[64] at +0x1480 (the slot after DeallocationStack). */
#define TEB64_TLS_SLOTS 0x1480
/* wow64tls.h: per-thread data for the CPU simulator. */
#define WOW64_TLS_CPURESERVED 1
/* WOW64_CPURESERVED: Flags (USHORT) at +0, Machine (USHORT) at +2, then
 * the guest CONTEXT, 4-byte aligned for x86. */
#define CPURESERVED_MACHINE 2
#define CPURESERVED_CONTEXT 4
#define IMAGE_FILE_MACHINE_I386 0x14C
#define CONTEXT_I386 0x10000 /* ContextFlags: an x86 CONTEXT */
/* NT_TIB32: StackBase at +4, StackLimit at +8, Self at +0x18. */
#define TIB32_STACK_BASE 0x04
#define TIB32_STACK_LIMIT 0x08
#define TIB32_SELF 0x18
/* A 32-bit stack is at most a few hundred MB; more is a misread TEB. */
#define MAX_STACK32 (1ull << 31)

bool target_is_wow64(const cor_target *t)
{
    if (t->arch != MD_ARCH_AMD64) return false;
    for (size_t i = 0; i < md_module_count(t->dump); i++) {
        const char *n = md_module_at(t->dump, i)->name;
        if (n && (strcasecmp(n, "wow64cpu.dll") == 0 || strcasecmp(n, "wow64.dll") == 0)) return true;
    }
    return false;
}

uint64_t target_wow64_teb32(cor_target *t, size_t i)
{
    const md_thread *th = md_thread_at(t->dump, i);
    if (!th || !th->teb || !target_is_wow64(t)) return 0;
    uint64_t teb32 = th->teb + WOW64_TEB32_OFFSET;
    uint32_t self;
    if (teb32 > UINT32_MAX || as_read_u32(t->as, teb32 + TIB32_SELF, &self) != COR_OK || self != teb32) return 0;
    return teb32;
}

int target_wow64_context(cor_target *t, size_t i, md_context *out, cor_err *err)
{
    const md_thread *th = md_thread_at(t->dump, i);
    if (!th) return cor_fail(err, "no thread %zu", i);
    if (!target_is_wow64(t))
        return cor_fail(err, "no WoW64 x86 context: not a 32-bit process on 64-bit Windows");
    uint64_t slot = th->teb + TEB64_TLS_SLOTS + 8 * WOW64_TLS_CPURESERVED, cpu;
    if (!th->teb || as_read_u64(t->as, slot, &cpu) != COR_OK)
        return cor_fail(err, "thread %zu: no WoW64 x86 context (its TEB at 0x%" PRIx64 " is not in the dump)", i,
                        th->teb);
    if (!cpu) return cor_fail(err, "thread %zu has no WoW64 CPU area: not a 32-bit thread", i);
    uint16_t machine;
    if (as_read_u16(t->as, cpu + CPURESERVED_MACHINE, &machine) != COR_OK)
        return cor_fail(err, "thread %zu: its WoW64 CPU area at 0x%" PRIx64 " is not in the dump", i, cpu);
    if (machine != IMAGE_FILE_MACHINE_I386 && machine != 0)
        return cor_fail(err, "thread %zu: its WoW64 CPU area holds a context for machine 0x%x, not x86", i, machine);
    uint8_t buf[0x2CC];
    size_t want = md_context_size(MD_ARCH_X86);
    if (want > sizeof buf) want = sizeof buf;
    size_t got = as_read_partial(t->as, cpu + CPURESERVED_CONTEXT, buf, want);
    if (md_context_decode(buf, got, MD_ARCH_X86, out, err) != COR_OK)
        return cor_wrap(err, "WoW64 x86 context at 0x%" PRIx64, cpu + CPURESERVED_CONTEXT);
    /* Without the machine field (before Windows 10), the CONTEXT's own
     * flags must say x86. */
    if (machine == 0 && !(out->flags & CONTEXT_I386))
        return cor_fail(err, "thread %zu: no x86 CONTEXT in its WoW64 CPU area at 0x%" PRIx64, i, cpu);
    return COR_OK;
}

bool target_wow64_stack_bounds(cor_target *t, size_t i, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    uint64_t teb32 = target_wow64_teb32(t, i);
    uint32_t base, limit;
    if (!teb32 || as_read_u32(t->as, teb32 + TIB32_STACK_BASE, &base) != COR_OK ||
        as_read_u32(t->as, teb32 + TIB32_STACK_LIMIT, &limit) != COR_OK)
        return false;
    if (limit >= base || base - limit > MAX_STACK32) return false;
    *lo = limit;
    *hi = base;
    return true;
}
