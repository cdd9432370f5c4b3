/* Walking and describing every thread's stack for the analyzer. */
#include "analysis/stacks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void describe(cor_target *t, const uw_frame *f, size_t number, an_frame *out)
{
    bool caller = number > 0;
    memset(out, 0, sizeof *out);
    out->number = number;
    out->ip = f->regs.ip;
    out->sp = f->regs.sp;
    out->trust = f->trust;
    target_describe(t, f->regs.ip, caller, &out->d);
    if (out->d.module != (size_t)-1)
        out->module = md_module_at(t->dump, out->d.module)->name;
}

int an_walk_thread(cor_target *t, size_t index, bool from_exception, an_thread_stack *out, size_t keep,
                   cor_err *err)
{
    memset(out, 0, sizeof *out);
    out->stop_reason = ""; /* never NULL: readers test stop_reason[0] */
    const md_thread *th = md_thread_at(t->dump, index);
    if (!th)
        return cor_fail(err, "no thread %zu", index);
    out->index = index;
    out->tid = th->tid;
    out->name = th->name;
    md_context ctx;
    cor_err e = { "" };
    const md_exception *x = md_get_exception(t->dump);
    int rc;
    if (from_exception && x && x->context.size) {
        out->from_exception = true;
        rc = md_context_read(t->dump, x->context, t->arch, &ctx, &e);
    } else {
        rc = target_thread_context(t, index, &ctx, &e);
    }
    uw_stack st = { 0 };
    if (rc == COR_OK)
        rc = target_walk_context(t, index, &ctx, 0, &st, &e);
    if (rc != COR_OK) {
        snprintf(out->error, sizeof out->error, "%s", e.msg);
        return COR_OK; /* a thread without a stack is reported, not fatal */
    }
    out->total_frames = st.count;
    out->stop_reason = st.stop_reason;
    size_t n = keep && st.count > keep ? keep : st.count;
    out->frames = calloc(n ? n : 1, sizeof *out->frames);
    if (!out->frames) {
        uw_stack_free(&st);
        return cor_fail(err, "out of memory");
    }
    /* Keep the innermost frames and the last few (the thread's start). */
    size_t tail = n < st.count ? (n >= 16 ? 8 : 0) : 0;
    for (size_t k = 0; k < n - tail; k++)
        describe(t, &st.frames[k], k, &out->frames[k]);
    for (size_t k = 0; k < tail; k++) {
        size_t src = st.count - tail + k;
        describe(t, &st.frames[src], src, &out->frames[n - tail + k]);
    }
    out->nframes = n;
    uw_stack_free(&st);
    return COR_OK;
}

void an_thread_stack_free(an_thread_stack *s)
{
    free(s->frames);
    memset(s, 0, sizeof *s);
}

int an_walk_stacks(cor_target *t, an_stacks *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    size_t n = md_thread_count(t->dump);
    if (!n)
        return COR_OK;
    out->threads = calloc(n, sizeof *out->threads);
    if (!out->threads)
        return cor_fail(err, "out of memory");
    const md_exception *x = md_get_exception(t->dump);
    for (size_t i = 0; i < n; i++) {
        bool exc = x && md_thread_at(t->dump, i)->tid == x->tid;
        if (an_walk_thread(t, i, exc, &out->threads[i], AN_MAX_REPORT_FRAMES, err) != COR_OK) {
            out->count = i;
            an_stacks_free(out);
            return COR_FAIL;
        }
    }
    out->count = n;
    return COR_OK;
}

void an_stacks_free(an_stacks *s)
{
    for (size_t i = 0; i < s->count; i++)
        an_thread_stack_free(&s->threads[i]);
    free(s->threads);
    memset(s, 0, sizeof *s);
}

void an_frame_name(const an_frame *f, unsigned ptr_size, char *buf, size_t size)
{
    if (!f->module) {
        snprintf(buf, size, "0x%0*" PRIx64, ptr_size == 4 ? 8 : 16, f->ip);
    } else if (f->d.has_function) {
        if (f->d.function_offset)
            snprintf(buf, size, "%s!%s+0x%" PRIx64, f->module, f->d.function, f->d.function_offset);
        else
            snprintf(buf, size, "%s!%s", f->module, f->d.function);
    } else {
        snprintf(buf, size, "%s+0x%" PRIx64, f->module, f->d.module_offset);
    }
}
