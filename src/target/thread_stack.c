/* Thread stacks for a target: the walker is made on first use and follows
 * the target's current resolver (a new symbol path makes a new one). */
#include "target/target.h"
#include "unwind/unwind.h"

static int walker(cor_target *t, uw_walker **out, cor_err *err)
{
    if (!t->walker && uw_walker_new(t->dump, t->as, t->arch, t->syms, &t->walker, err) != COR_OK)
        return COR_FAIL;
    uw_walker_reset_symbols(t->walker, t->syms);
    *out = t->walker;
    return COR_OK;
}

int target_walk_context(cor_target *t, size_t i, const md_context *ctx, size_t max, uw_stack *out, cor_err *err)
{
    uw_walker *w;
    if (walker(t, &w, err) != COR_OK)
        return COR_FAIL;
    uint64_t lo, hi;
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
