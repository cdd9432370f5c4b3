/* WoW64: a 32-bit x86 process on 64-bit Windows, dumped by a 64-bit writer
 * (Task Manager, ProcDump64, DebugDiag). The thread list then holds 64-bit
 * contexts, which show where each thread stood inside the WoW64 layer; the
 * program's own x86 registers are in memory, where WoW64 saved them when
 * the thread last left 32-bit code. This is what WinDbg's `.effmach x86`
 * (and !wow64exts.sw) shows, and what the target's x86 view reads.
 *
 * Layouts, from public sources (Wine's wow64 and ntdll, which follow
 * Windows; the WRK's wow64tls.h for the slot numbers):
 *   - TEB64.TlsSlots (+0x1480 in the x64 TEB) slot WOW64_TLS_CPURESERVED (1)
 *     points at the thread's WOW64_CPURESERVED: USHORT Flags, USHORT
 *     Machine (IMAGE_FILE_MACHINE_I386 from Windows 10), then the guest's
 *     CONTEXT at its natural alignment, which for the x86 CONTEXT is +4.
 *     Windows 7 and 8 keep the same CONTEXT at slot 1 + 4, with no machine
 *     field (those bytes are 0).
 *   - the 32-bit TEB sits two pages above the 64-bit one; its NT_TIB gives
 *     the 32-bit stack's StackBase and StackLimit. */
#ifndef COR_TARGET_WOW64_H
#define COR_TARGET_WOW64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/context.h"
#include "target/target.h"

/* Where a WoW64 thread's 32-bit TEB is, from its 64-bit TEB. */
#define WOW64_TEB32_OFFSET 0x2000

/* True when the dump is of a 32-bit process on 64-bit Windows: an AMD64
 * dump with WoW64's own DLLs (wow64.dll, wow64cpu.dll) loaded. (A TEB
 * layout check alone is not enough: Wine sets up a 32-bit TEB for every
 * thread of its 64-bit processes too.) */
bool target_is_wow64(const cor_target *t);

/* The 32-bit TEB of thread i, confirmed by its NT_TIB.Self pointing at
 * itself; 0 when the dump does not hold it (not WoW64, or not captured). */
uint64_t target_wow64_teb32(cor_target *t, size_t i);

/* The x86 CONTEXT WoW64 saved for thread i. Fails, saying what is missing,
 * on a dump that is not AMD64 or whose TEB or CPU area was not captured. */
int target_wow64_context(cor_target *t, size_t i, md_context *out, cor_err *err);

/* [lo, hi) of thread i's 32-bit stack, from its 32-bit TEB's StackLimit
 * and StackBase; false when they are not in the dump or make no sense. */
bool target_wow64_stack_bounds(cor_target *t, size_t i, uint64_t *lo, uint64_t *hi);

#endif
