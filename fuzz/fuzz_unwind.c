/* libFuzzer target: stack walking over a fuzzed dump, without symbols.
 * Every thread is walked the way the console walks it (target_walk_thread:
 * the dump's own machine, then on an AMD64 dump the WoW64 x86 view), and
 * its recorded context is also decoded as the other architecture and
 * walked by that unwinder, so both the x64 (UNWIND_INFO from the images in
 * the dump, RBP chain, scanning) and the x86 (EBP chain, scanning) paths
 * see every input whatever its SystemInfo says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "target/target.h"
#include "target/wow64.h"
#include "unwind/unwind.h"

/* Enough to pass through every unwinder many times; a fuzzed stack that
 * chains further would only repeat the same steps. */
#define MAX_FRAMES 256
/* Threads walked per input, for the same reason. */
#define MAX_THREADS 32

static void walk(cor_target *t, size_t i, const md_context *c)
{
    uw_stack st;
    cor_err err;
    if (target_walk_context(t, i, c, MAX_FRAMES, &st, &err) != COR_OK) return;
    /* What the console reads of each frame. */
    volatile uint64_t sink = 0;
    for (size_t k = 0; k < st.count; k++)
        sink += st.frames[k].regs.ip + st.frames[k].regs.sp + st.frames[k].trust;
    (void)sink;
    uw_stack_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    md_dump *d;
    cor_err err;
    if (md_open_mem(data, size, &d, &err) != COR_OK) return 0;
    as_space *as;
    if (as_open(d, &as, &err) != COR_OK) {
        md_close(d);
        return 0;
    }
    /* A target over the fuzzed dump with no symbols and no image files:
     * only what target_open would derive from the dump itself. */
    cor_target t;
    memset(&t, 0, sizeof t);
    t.dump = d;
    t.as = as;
    t.arch = md_dump_arch(d);
    t.ptr_size = md_arch_ptr_size(t.arch);
    t.eff_arch = t.arch;
    t.eff_ptr_size = t.ptr_size;

    size_t n = md_thread_count(d);
    for (size_t i = 0; i < n && i < MAX_THREADS; i++) {
        md_context c;
        uw_stack st;
        if (target_walk_thread(&t, i, false, MAX_FRAMES, &st, &err) == COR_OK) uw_stack_free(&st);
        /* The recorded context read as each architecture. */
        md_loc loc = md_thread_at(d, i)->context;
        if (md_context_read(d, loc, MD_ARCH_AMD64, &c, &err) == COR_OK) walk(&t, i, &c);
        if (md_context_read(d, loc, MD_ARCH_X86, &c, &err) == COR_OK) walk(&t, i, &c);
    }
    /* The WoW64 view: x86 contexts from TEB64.TlsSlots[1], 32-bit stack
     * bounds from the 32-bit TEB. */
    if (t.arch == MD_ARCH_AMD64 && target_set_effective_machine(&t, MD_ARCH_X86, &err) == COR_OK) {
        for (size_t i = 0; i < n && i < MAX_THREADS; i++) {
            uw_stack st;
            target_thread_teb(&t, i);
            if (target_walk_thread(&t, i, false, MAX_FRAMES, &st, &err) == COR_OK) uw_stack_free(&st);
        }
    }
    /* The exception's context, as .ecxr; k walks it on its thread. */
    const md_exception *x = md_get_exception(d);
    if (x) {
        size_t i = target_thread_index(&t, x->tid);
        md_context c;
        if (i != (size_t)-1 && md_context_read(d, x->context, MD_ARCH_UNKNOWN, &c, &err) == COR_OK) walk(&t, i, &c);
    }
    uw_walker_free(t.walker);
    as_close(as);
    md_close(d);
    return 0;
}
