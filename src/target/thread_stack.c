/* Thread stacks for a target: the walker is made on first use for the
 * machine of the context it walks (an AMD64 dump's WoW64 view walks x86
 * contexts) and follows the target's current resolver. */
#include "target/target.h"
#include "target/wow64.h"
#include "unwind/unwind.h"

static int walker(cor_target *t, uint16_t arch, uw_walker **out, cor_err *err)
{
    if (t->walker && t->walker_arch != arch) {
        uw_walker_free(t->walker);
        t->walker = NULL;
    }
    if (!t->walker) {
        if (uw_walker_new(t->dump, t->as, arch, t->syms, &t->walker, err) != COR_OK)
            return COR_FAIL;
        t->walker_arch = arch;
    }
    uw_walker_reset_symbols(t->walker, t->syms);
    *out = t->walker;
    return COR_OK;
}

int target_walk_context(cor_target *t, size_t i, const md_context *ctx, size_t max, uw_stack *out, cor_err *err)
{
    /* A context decoded without a machine (none recorded) walks as the
     * dump's own. */
    uint16_t arch = ctx->arch == MD_ARCH_UNKNOWN ? t->arch : ctx->arch;
    uw_walker *w;
    if (walker(t, arch, &w, err) != COR_OK)
        return COR_FAIL;
    uint64_t lo, hi;
    /* A 32-bit context on a 64-bit dump runs on the thread's 32-bit stack,
     * which its 32-bit TEB bounds; the thread list's stack is the 64-bit one. */
    if (arch == MD_ARCH_X86 && t->arch == MD_ARCH_AMD64)
        target_wow64_stack_bounds(t, i, &lo, &hi);
    else
        uw_thread_stack_bounds(t->dump, t->as, i, &lo, &hi);
    /* A context from elsewhere (.cxr) may sit outside the thread's stack:
     * the walk then bounds itself by the captured range holding its sp. */
    if (ctx->sp < lo || ctx->sp >= hi)
        lo = hi = 0;
    return uw_walk(w, ctx, lo, hi, max, out, err);
}

int target_walk_thread(cor_target *t, size_t i, bool use_override, size_t max, uw_stack *out, cor_err *err)
{
    md_context ctx;
    int rc = use_override && i == t->cur_thread ? target_current_context(t, &ctx, err)
                                                : target_thread_context(t, i, &ctx, err);
    if (rc != COR_OK)
        return COR_FAIL;
    return target_walk_context(t, i, &ctx, max, out, err);
}
