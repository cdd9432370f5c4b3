/* !runaway [FLAGS]: the CPU time each thread used, busiest first, from the
 * ThreadInfoList stream (MiniDumpWithThreadInfo: .dump /mt, /ma, ProcDump's
 * -ma/-mp). Bit 0 shows user time, bit 1 kernel time, bit 2 the time since
 * each thread was created; the default is 1, as in WinDbg.
 *
 * A thread's elapsed time runs to its exit time when it had exited, else to
 * the dump's time (the header's TimeDateStamp: whole seconds, so a thread
 * created in the last second shows a few hundred milliseconds less than it
 * lived). */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>

/* FILETIME counts 100 ns units from 1601-01-01; time_t seconds from 1970. */
#define FILETIME_PER_SECOND 10000000ull
#define FILETIME_UNIX_EPOCH 116444736000000000ull

enum { RUNAWAY_USER = 1, RUNAWAY_KERNEL = 2, RUNAWAY_ELAPSED = 4 };

typedef struct thread_time {
    size_t index;   /* in the thread list: WinDbg's thread number */
    uint32_t tid;
    uint64_t time;  /* 100 ns units */
} thread_time;

/* "0 days 0:00:00.046": WinDbg truncates to milliseconds. */
static void fmt_filetime_span(uint64_t t, char *buf, size_t size)
{
    uint64_t ms = t / 10000, s = ms / 1000;
    snprintf(buf, size, "%" PRIu64 " days %" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".%03" PRIu64, s / 86400,
             s / 3600 % 24, s / 60 % 60, s % 60, ms % 1000);
}

/* Busiest first; equal times keep thread order. */
static int cmp_time(const void *a, const void *b)
{
    const thread_time *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void print_section(con_session *s, const char *title, thread_time *tt, size_t n)
{
    qsort(tt, n, sizeof *tt, cmp_time);
    con_printf(s, " %s\n  Thread       Time\n", title);
    for (size_t i = 0; i < n; i++) {
        char span[64];
        fmt_filetime_span(tt[i].time, span, sizeof span);
        con_printf(s, "%4zu:%-10x%s\n", tt[i].index, tt[i].tid, span);
    }
}

int cmd_runaway(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t flags = RUNAWAY_USER;
    if (*args) {
        const char *end;
        if (con_eval(s, args, &end, &flags, err) != COR_OK) return COR_FAIL;
    }
    md_dump *d = s->t->dump;
    const md_thread_info *ti;
    size_t nti;
    if (md_thread_infos(d, &ti, &nti, err) != COR_OK) return COR_FAIL;
    if (!md_find_stream(d, MD_STREAM_THREAD_INFO_LIST))
        return cor_fail(err, "The dump has no thread times: it has no ThreadInfoList stream "
                             "(written without MiniDumpWithThreadInfo; .dump /mt or /ma records them)");
    size_t n = md_thread_count(d);
    thread_time *tt = calloc(n ? n : 1, sizeof *tt);
    if (!tt) return cor_fail(err, "out of memory");

    uint64_t dump_time = (uint64_t)md_header_timestamp(d) * FILETIME_PER_SECOND + FILETIME_UNIX_EPOCH;
    static const struct {
        unsigned bit;
        const char *title;
    } sections[] = { { RUNAWAY_USER, "User Mode Time" },
                     { RUNAWAY_KERNEL, "Kernel Mode Time" },
                     { RUNAWAY_ELAPSED, "Elapsed Time" } };
    for (size_t k = 0; k < sizeof sections / sizeof sections[0]; k++) {
        if (!(flags & sections[k].bit)) continue;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            const md_thread *th = md_thread_at(d, i);
            const md_thread_info *info = md_thread_info_by_tid(d, th->tid);
            if (!info) continue; /* no times recorded for it */
            uint64_t v;
            if (sections[k].bit == RUNAWAY_USER) {
                v = info->user_time;
            } else if (sections[k].bit == RUNAWAY_KERNEL) {
                v = info->kernel_time;
            } else {
                uint64_t until = info->exit_time ? info->exit_time : dump_time;
                v = info->create_time && until > info->create_time ? until - info->create_time : 0;
            }
            tt[m++] = (thread_time){ i, th->tid, v };
        }
        print_section(s, sections[k].title, tt, m);
    }
    free(tt);
    return COR_OK;
}
