/* The text report: findings first (DebugDiag's order, most severe first),
 * then the facts they rest on. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "analysis/analyze.h"

static void utc(uint32_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

static void duration(int64_t s, char *buf, size_t n)
{
    snprintf(buf, n, "%lld days %lld:%02lld:%02lld", (long long)(s / 86400), (long long)(s / 3600 % 24),
             (long long)(s / 60 % 60), (long long)(s % 60));
}

static const char *chance_name(an_chance c)
{
    return c == AN_CHANCE_FIRST ? "first chance" : c == AN_CHANCE_SECOND ? "second chance" : "not recorded in the dump";
}

static void render_frame(const an_frame *f, unsigned ptr_size, FILE *out)
{
    char name[700];
    an_frame_name(f, ptr_size, name, sizeof name);
    fprintf(out, "    %02zx %016" PRIx64 " %-60s", f->number, f->sp, name);
    if (f->d.file[0] && f->d.line) fprintf(out, " [%s @ %u]", f->d.file, f->d.line);
    fprintf(out, "  (%s)\n", uw_trust_name(f->trust));
}

/* The crash verdict: what !analyze -v concludes, in the report's words. */
static void render_crash(const an_summary *s, FILE *out)
{
    const an_crash *c = &s->crash;
    if (!c->present) return;
    unsigned ps = s->arch && strcmp(s->arch, "x86") == 0 ? 4 : 8;
    fprintf(out, "\nCrash analysis\n");
    fprintf(out, "  Verdict       %s\n", c->meaning);
    fprintf(out, "  Bucket        %s\n", c->bucket);
    fprintf(out, "  Chance        %s\n", chance_name(c->chance));
    if (c->fast_fail) fprintf(out, "  Fail fast     %s (%" PRIu64 ")\n", c->fast_fail, c->fast_fail_code);
    if (c->cpp_type[0]) fprintf(out, "  C++ type      %s\n", c->cpp_type);
    if (c->managed) fprintf(out, "  Managed       yes: the .NET exception object holds the type and message\n");
    if (c->stack.nframes) {
        const an_frame *f = &c->stack.frames[c->fault_frame];
        fprintf(out, "  Frame         %s", c->fault_frame_name);
        if (f->d.file[0] && f->d.line) fprintf(out, " [%s @ %u]", f->d.file, f->d.line);
        fprintf(out, "\n");
    }
    if (c->instruction[0]) fprintf(out, "  Instruction   %s\n", c->instruction);
    if (c->recursion)
        fprintf(out, "  Recursion     %s, %zu times (of %zu frames)\n", c->cycle_functions, c->cycle_repeats,
                c->stack.total_frames);
    (void)ps;
}

/* IIS: the worker's application pool and what it hosts. */
static void render_iis(const an_summary *s, FILE *out)
{
    const an_iis *i = &s->iis;
    if (!i->is_w3wp && !i->nruntimes) return;
    fprintf(out, "\nIIS\n");
    if (i->is_w3wp) {
        fprintf(out, "  App pool      %s\n", i->app_pool ? i->app_pool : "(not on the command line)");
        fprintf(out, "  CLR version   %s\n",
                i->clr_version ? (*i->clr_version ? i->clr_version : "none (No Managed Code)") : "(not given)");
        if (i->config_path) fprintf(out, "  Config        %s\n", i->config_path);
    }
    if (i->hosting) fprintf(out, "  Hosting       %s\n", i->hosting);
    for (size_t k = 0; k < i->nruntimes; k++) {
        const an_iis_runtime *r = &i->runtimes[k];
        fprintf(out, "  Runtime       %-32s %s%s%s\n", r->module, r->what, r->has_version ? ", " : "",
                r->has_version ? r->version : "");
    }
}

/* The lock table: every critical section found, locked ones first. */
static void render_locks(const an_summary *s, FILE *out)
{
    const an_locks *l = &s->waits.locks;
    if (!l->count) return;
    fprintf(out, "\nLocks (%zu critical sections found, %zu examined)\n", l->count, l->scanned);
    fprintf(out, "  %-18s %-40s %-8s %-10s %-9s %s\n", "Address", "Symbol", "State", "Owner", "Recursion",
            "Waiting threads");
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < l->count; i++) {
            const an_cs *c = &l->cs[i];
            if (c->locked != (pass == 0)) continue;
            char owner[32] = "-", waiting[256] = "";
            if (c->locked) snprintf(owner, sizeof owner, "tid %" PRIu64, c->owner_tid);
            size_t o = 0;
            for (size_t k = 0; k < s->waits.count && o < sizeof waiting - 16; k++)
                if (s->waits.waits[k].cs == c->addr)
                    o += (size_t)snprintf(waiting + o, sizeof waiting - o, "%s%u", o ? ", " : "",
                                          s->waits.waits[k].tid);
            fprintf(out, "  %016" PRIx64 "   %-40s %-8s %-10s %-9d %s%s\n", c->addr, c->symbol[0] ? c->symbol : "-",
                    c->locked ? "locked" : "free", owner, c->recursion_count, waiting[0] ? waiting : "-",
                    c->is_loader_lock ? "  (loader lock)" : "");
        }
}

/* What each thread waits on, and through lock owners, on whom. */
static void render_waits(const an_summary *s, FILE *out)
{
    const an_waits *ws = &s->waits;
    if (!ws->count) return;
    fprintf(out, "\nWait chains\n");
    for (size_t i = 0; i < ws->count; i++) {
        const an_wait *w = &ws->waits[i];
        fprintf(out, "  ~%zu tid %u: %s", w->thread, w->tid, an_wait_kind_text(w->kind));
        if (w->wait_function[0]) fprintf(out, " (%s)", w->wait_function);
        fprintf(out, "\n      at %s\n", w->caller[0] ? w->caller : "?");
        for (size_t k = 0; k < w->nhandles; k++)
            fprintf(out, "      handle 0x%" PRIx64 " %s%s%s\n", w->handles[k].handle,
                    w->handles[k].type ? w->handles[k].type : "?", w->handles[k].name ? " " : "",
                    w->handles[k].name ? w->handles[k].name : "");
        if (w->has_times)
            fprintf(out, "      CPU %.2f s\n", w->cpu_100ns / 1e7);
        /* Follow the owners: ~1 -> cs -> ~2 -> cs -> ~1 (deadlock). */
        const an_wait *cur = w, *seen[16];
        size_t hops = 0;
        while (cur && cur->cs && hops < 16) {
            seen[hops] = cur;
            const an_cs *c = an_locks_find(&ws->locks, cur->cs);
            fprintf(out, "      -> %s owned by tid %u", c && c->symbol[0] ? c->symbol : "critical section",
                    cur->owner_tid);
            const an_wait *next = NULL;
            for (size_t k = 0; k < ws->count; k++)
                if (ws->waits[k].tid == cur->owner_tid) next = &ws->waits[k];
            if (!next) { fprintf(out, " (not in the dump)\n"); break; }
            if (next == w) { fprintf(out, " (~%zu): DEADLOCK\n", next->thread); break; }
            bool loop = false;
            for (size_t k = 0; k <= hops; k++) loop |= seen[k] == next;
            if (loop) { fprintf(out, " (~%zu), in a deadlock\n", next->thread); break; }
            fprintf(out, " (~%zu, %s)\n", next->thread, an_wait_kind_text(next->kind));
            cur = next;
            hops++;
        }
    }
}

/* Every thread's stack, the exception thread's from its exception context. */
static void render_threads(const an_summary *s, FILE *out)
{
    unsigned ps = s->arch && strcmp(s->arch, "x86") == 0 ? 4 : 8;
    fprintf(out, "\nThreads\n");
    for (size_t i = 0; i < s->stacks.count; i++) {
        const an_thread_stack *t = &s->stacks.threads[i];
        fprintf(out, "  ~%zu  tid %u%s%s%s%s\n", t->index, t->tid, t->name ? " \"" : "", t->name ? t->name : "",
                t->name ? "\"" : "", t->from_exception ? "  (exception context)" : "");
        if (t->error[0]) {
            fprintf(out, "    (no stack: %s)\n", t->error);
            continue;
        }
        for (size_t k = 0; k < t->nframes; k++) {
            if (k > 0 && t->frames[k].number != t->frames[k - 1].number + 1)
                fprintf(out, "    ... %zu frames not shown\n", t->frames[k].number - t->frames[k - 1].number - 1);
            render_frame(&t->frames[k], ps, out);
        }
        if (t->stop_reason[0]) fprintf(out, "    (walk stopped: %s)\n", t->stop_reason);
    }
}

void an_render_text(const an_summary *s, FILE *out)
{
    char when[64], buf[64];
    fprintf(out, "coroner analysis of %s\n\n", s->path);

    fprintf(out, "Findings\n");
    for (size_t i = 0; i < s->nfindings; i++) {
        const an_finding *f = &s->findings[i];
        fprintf(out, "  [%s] %s\n", an_severity_name(f->severity), f->title);
        if (f->detail) fprintf(out, "      %s\n", f->detail);
        if (f->recommendation) fprintf(out, "      Recommendation: %s\n", f->recommendation);
    }

    fprintf(out, "\nDump\n");
    utc(s->timestamp, when, sizeof when);
    fprintf(out, "  Type          %s dump, %s (flags 0x%" PRIx64 ")\n", s->kind,
            s->full_memory ? "full memory" : "minidump", s->dump_flags);
    fprintf(out, "  Written       %s\n", when);
    fprintf(out, "  Size          %" PRIu64 " bytes, %zu streams\n", s->file_size, s->nstreams);

    fprintf(out, "\nSystem\n");
    if (s->os_name) {
        fprintf(out, "  OS            %s (%u.%u.%u)%s%s, %s\n", s->os_name, s->os_major, s->os_minor, s->os_build,
                s->service_pack && *s->service_pack ? " " : "", s->service_pack ? s->service_pack : "",
                s->product_type);
        if (s->build_string) fprintf(out, "  Build         %s\n", s->build_string);
        fprintf(out, "  CPU           %s, %u processor%s\n", s->arch, s->processors, s->processors == 1 ? "" : "s");
    } else {
        fprintf(out, "  (no SystemInfo stream)\n");
    }

    fprintf(out, "\nProcess\n");
    fprintf(out, "  Name          %s\n", s->process_name ? s->process_name : "(unknown)");
    if (s->has_pid) fprintf(out, "  PID           %u\n", s->pid);
    if (s->image_path) fprintf(out, "  Image         %s\n", s->image_path);
    if (s->command_line) fprintf(out, "  Command line  %s\n", s->command_line);
    if (s->has_times) {
        utc(s->create_time, when, sizeof when);
        duration(s->uptime_seconds, buf, sizeof buf);
        fprintf(out, "  Started       %s\n  Uptime        %s\n", when, buf);
        fprintf(out, "  CPU time      user %u s, kernel %u s\n", s->user_seconds, s->kernel_seconds);
    }
    fprintf(out, "  Threads       %zu\n  Modules       %zu\n", s->nthreads, s->nmodules);

    if (s->has_exception) {
        const an_exception *x = &s->exception;
        fprintf(out, "\nException\n");
        fprintf(out, "  Code          %08x (%s)\n", x->code, x->name ? x->name : "unknown");
        fprintf(out, "  Address       %016" PRIx64, x->address);
        if (x->module && x->function) fprintf(out, " (%s!%s+0x%" PRIx64 ")", x->module, x->function, x->function_offset);
        else if (x->module) fprintf(out, " (%s+0x%" PRIx64 ")", x->module, x->module_offset);
        if (x->file && x->line) fprintf(out, "\n  Source        %s @ %u", x->file, x->line);
        fprintf(out, "\n  Thread        %u", x->tid);
        if (x->thread_index != (size_t)-1) fprintf(out, " (~%zu)", x->thread_index);
        fprintf(out, "\n  Flags         %08x%s\n", x->flags, x->flags & 1 ? " (noncontinuable)" : "");
        for (uint32_t i = 0; i < x->nparams && i < 15; i++)
            fprintf(out, "  Parameter[%u]  %016" PRIx64 "\n", i, x->params[i]);
        if (x->description) fprintf(out, "  %s\n", x->description);
    }
    render_crash(s, out);
    render_iis(s, out);
    render_locks(s, out);
    render_waits(s, out);
    render_threads(s, out);
}
