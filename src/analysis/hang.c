/* Hang findings from the waits, in DebugDiag's order: deadlocks, the
 * loader lock, many threads blocked on one lock or object, then threads
 * burning CPU; and an information line on what every thread is doing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analysis/summary.h"
#include "core/text.h"

/* A thread is a CPU hog when it used at least this much CPU time... */
#define HOG_MIN_100NS 5000000ull /* 0.5 s */
/* ... and was on a CPU for at least this share of its life. */
#define HOG_MIN_PERCENT 50

static const an_wait *wait_of(const an_summary *s, uint32_t tid)
{
    for (size_t i = 0; i < s->waits.count; i++)
        if (s->waits.waits[i].tid == tid)
            return &s->waits.waits[i];
    return NULL;
}

static void thread_label(const an_summary *s, uint32_t tid, char *buf, size_t size)
{
    const an_wait *w = wait_of(s, tid);
    if (w)
        snprintf(buf, size, "~%zu (tid %u)", w->thread, tid);
    else
        snprintf(buf, size, "tid %u (not in the dump)", tid);
}

static void lock_label(const an_summary *s, uint64_t cs, char *buf, size_t size)
{
    const an_cs *c = an_locks_find(&s->waits.locks, cs);
    if (c && c->symbol[0])
        snprintf(buf, size, "%s (0x%" PRIx64 ")", c->symbol, cs);
    else
        snprintf(buf, size, "critical section 0x%" PRIx64, cs);
}

static bool in_deadlock(const an_summary *s, uint32_t tid)
{
    for (size_t d = 0; d < s->waits.ndeadlocks; d++)
        for (size_t k = 0; k < s->waits.deadlocks[d].n; k++)
            if (s->waits.deadlocks[d].tids[k] == tid)
                return true;
    return false;
}

static void deadlock_findings(an_summary *s)
{
    for (size_t d = 0; d < s->waits.ndeadlocks; d++) {
        const an_deadlock *dl = &s->waits.deadlocks[d];
        strbuf title, detail;
        sb_init(&title);
        sb_init(&detail);
        sb_puts(&title, "Deadlock: threads");
        for (size_t k = 0; k < dl->n; k++) {
            char t[64];
            thread_label(s, dl->tids[k], t, sizeof t);
            sb_printf(&title, "%s %s", k == 0 ? "" : k + 1 == dl->n ? " and" : ",", t);
        }
        sb_puts(&title, " wait for each other's critical sections");
        for (size_t k = 0; k < dl->n; k++) {
            char t[64], held[400], wanted[400];
            thread_label(s, dl->tids[k], t, sizeof t);
            /* tids[k] waits for cs[k]; it owns what tids[k-1] waits for. */
            lock_label(s, dl->cs[(k + dl->n - 1) % dl->n], held, sizeof held);
            lock_label(s, dl->cs[k], wanted, sizeof wanted);
            const an_wait *w = wait_of(s, dl->tids[k]);
            sb_printf(&detail, "%sThread %s holds %s and waits for %s, at %s.", k ? " " : "", t, held, wanted,
                      w && w->caller[0] ? w->caller : "?");
        }
        size_t behind = 0;
        for (size_t i = 0; i < s->waits.count; i++) {
            const an_wait *w = &s->waits.waits[i];
            if (w->cs && !in_deadlock(s, w->tid))
                for (size_t k = 0; k < dl->n; k++)
                    behind += w->cs == dl->cs[k];
        }
        if (behind)
            sb_printf(&detail, " %zu more thread%s blocked behind them on the same locks.", behind,
                      behind == 1 ? " is" : "s are");
        an_add_finding(s, AN_SEV_ERROR, AN_RANK_DEADLOCK, title.s ? title.s : strdup(""),
                       detail.s ? detail.s : strdup(""),
                       strdup("These threads will never continue: make every code path take these locks in one "
                              "global order, or never hold one while entering another. The stacks show where "
                              "each lock is entered."));
    }
}

/* Owner's state in words, for a contention finding. */
static void owner_state(const an_summary *s, uint32_t owner, char *buf, size_t size)
{
    const an_wait *w = wait_of(s, owner);
    if (!w) {
        snprintf(buf, size, "which is not in the dump (it may have exited without leaving the lock)");
        return;
    }
    if (in_deadlock(s, owner))
        snprintf(buf, size, "which is part of a deadlock");
    else
        snprintf(buf, size, "which is %s at %s", an_wait_kind_text(w->kind), w->caller);
}

static void contention_findings(an_summary *s)
{
    const an_waits *ws = &s->waits;
    for (size_t l = 0; l < ws->locks.count; l++) {
        const an_cs *c = &ws->locks.cs[l];
        size_t n = 0;
        strbuf who;
        sb_init(&who);
        for (size_t i = 0; i < ws->count; i++)
            if (ws->waits[i].cs == c->addr) {
                sb_printf(&who, "%s~%zu (tid %u)", n ? ", " : "", ws->waits[i].thread, ws->waits[i].tid);
                n++;
            }
        if (n == 0) {
            sb_free(&who);
            continue;
        }
        char lock[400], owner[64], state[800];
        lock_label(s, c->addr, lock, sizeof lock);
        thread_label(s, (uint32_t)c->owner_tid, owner, sizeof owner);
        owner_state(s, (uint32_t)c->owner_tid, state, sizeof state);
        bool loader = c->is_loader_lock;
        unsigned pct = ws->count ? (unsigned)(100 * n / ws->count) : 0;
        an_add_finding(s, loader || n >= 2 ? (loader ? AN_SEV_ERROR : AN_SEV_WARNING) : AN_SEV_INFO,
                       loader ? AN_RANK_LOADER_LOCK : AN_RANK_CONTENTION,
                       an_fmt("%zu thread%s (%u%% of all) blocked on %s%s", n, n == 1 ? "" : "s", pct,
                              loader ? "the loader lock " : "", lock),
                       an_fmt("Thread%s %s wait%s to enter %s, owned by thread %s, %s.", n == 1 ? "" : "s",
                              who.s ? who.s : "", n == 1 ? "s" : "", lock, owner, state),
                       strdup(loader ? "Code holding the loader lock (DllMain, static constructors) must not wait "
                                       "on other threads or take other locks; see the owner's stack."
                                     : "Look at what the owner does while holding the lock (its stack): holding a "
                                       "lock across I/O, waits or long work serialises every thread that needs it."));
        sb_free(&who);
    }
}

static void handle_findings(an_summary *s)
{
    const an_waits *ws = &s->waits;
    bool *done = calloc(ws->count ? ws->count : 1, sizeof *done);
    if (!done)
        return;
    for (size_t i = 0; i < ws->count; i++) {
        const an_wait *w = &ws->waits[i];
        if (done[i] || w->kind != AN_WAIT_OBJECTS || w->nhandles == 0)
            continue;
        const an_wait_handle *h = &w->handles[0];
        strbuf who;
        sb_init(&who);
        size_t n = 0;
        for (size_t j = i; j < ws->count; j++) {
            const an_wait *o = &ws->waits[j];
            if (o->kind == AN_WAIT_OBJECTS && o->nhandles && o->handles[0].handle == h->handle) {
                done[j] = true;
                sb_printf(&who, "%s~%zu (tid %u) at %s", n ? "; " : "", o->thread, o->tid, o->caller);
                n++;
            }
        }
        char obj[600];
        if (h->name && *h->name)
            snprintf(obj, sizeof obj, "%s %s (handle 0x%" PRIx64 ")", h->type ? h->type : "object", h->name,
                     h->handle);
        else
            snprintf(obj, sizeof obj, "an unnamed %s (handle 0x%" PRIx64 ")", h->type ? h->type : "object",
                     h->handle);
        an_add_finding(s, n >= 2 ? AN_SEV_WARNING : AN_SEV_INFO, n >= 2 ? AN_RANK_CONTENTION : AN_RANK_WAITS,
                       an_fmt("%zu thread%s waiting on %s", n, n == 1 ? "" : "s", obj),
                       an_fmt("Waiting: %s.", who.s ? who.s : ""),
                       strdup("Find the code that should signal this object (or release it) and why it has not: "
                              "a thread that died, a missed SetEvent, or a dependency that never answered."));
        sb_free(&who);
    }
    free(done);
}

static void cpu_findings(an_summary *s)
{
    const an_waits *ws = &s->waits;
    for (size_t i = 0; i < ws->count; i++) {
        const an_wait *w = &ws->waits[i];
        if (!w->has_times || w->cpu_100ns < HOG_MIN_100NS || !w->elapsed_100ns)
            continue;
        uint64_t pct = 100 * w->cpu_100ns / w->elapsed_100ns;
        if (pct < HOG_MIN_PERCENT)
            continue;
        an_add_finding(
            s, AN_SEV_WARNING, AN_RANK_CPU,
            an_fmt("Thread ~%zu (tid %u) is using a CPU: %.2f s of CPU time in %.2f s (%" PRIu64 "%%)", w->thread,
                   w->tid, w->cpu_100ns / 1e7, w->elapsed_100ns / 1e7, pct > 100 ? 100 : pct),
            an_fmt("It is %s, at %s.", an_wait_kind_text(w->kind), w->caller),
            strdup("A thread on a CPU all its life is spinning or looping: take two or three dumps a few seconds "
                   "apart and compare where it is (!runaway shows the times)."));
    }
}

static void state_summary(an_summary *s)
{
    const an_waits *ws = &s->waits;
    size_t counts[AN_WAIT_UNKNOWN + 1] = { 0 };
    for (size_t i = 0; i < ws->count; i++)
        counts[ws->waits[i].kind]++;
    strbuf b;
    sb_init(&b);
    for (int k = 0; k <= AN_WAIT_UNKNOWN; k++)
        if (counts[k])
            sb_printf(&b, "%s%zu %s", b.s && b.len ? "; " : "", counts[k], an_wait_kind_text((an_wait_kind)k));
    if (ws->count)
        an_add_finding(s, AN_SEV_INFO, AN_RANK_GENERAL, an_fmt("What the %zu threads are doing", ws->count),
                       an_fmt("%s.", b.s ? b.s : ""), NULL);
    sb_free(&b);
}

/* IIS and ASP.NET request threads: those started by IIS's thread pool
 * (w3tp.dll) or running the CLR's thread-pool workers. */
static bool is_request_thread(const an_thread_stack *st)
{
    for (size_t k = 0; k < st->nframes; k++) {
        const an_frame *f = &st->frames[k];
        if (f->module && strcasecmp(f->module, "w3tp.dll") == 0)
            return true;
        if (f->d.has_function && (strstr(f->d.function, "ThreadpoolMgr::WorkerThreadStart") ||
                                  strstr(f->d.function, "ThreadpoolMgr::intermediateThreadProc")))
            return true;
    }
    return false;
}

/* The share of request threads blocked, and on what: what a hung web
 * site's owner asks first. */
static void worker_findings(an_summary *s)
{
    const an_waits *ws = &s->waits;
    size_t workers = 0, blocked = 0;
    size_t by_kind[AN_WAIT_UNKNOWN + 1] = { 0 };
    for (size_t i = 0; i < s->stacks.count && i < ws->count; i++) {
        if (!is_request_thread(&s->stacks.threads[i]))
            continue;
        workers++;
        an_wait_kind k = ws->waits[i].kind;
        by_kind[k]++;
        if (k != AN_WAIT_RUNNING && k != AN_WAIT_IO_COMPLETION && k != AN_WAIT_UNKNOWN)
            blocked++;
    }
    if (!workers)
        return;
    strbuf b;
    sb_init(&b);
    for (int k = 0; k <= AN_WAIT_UNKNOWN; k++)
        if (by_kind[k])
            sb_printf(&b, "%s%zu %s", b.len ? "; " : "", by_kind[k], an_wait_kind_text((an_wait_kind)k));
    unsigned pct = (unsigned)(100 * blocked / workers);
    const char *pool = s->iis.is_w3wp && s->iis.app_pool ? s->iis.app_pool : NULL;
    an_add_finding(s, pct >= 50 ? AN_SEV_WARNING : AN_SEV_INFO, AN_RANK_CONTENTION,
                   an_fmt("%zu of %zu request threads (%u%%) are blocked%s%s%s", blocked, workers, pct,
                          pool ? " in application pool \"" : "", pool ? pool : "", pool ? "\"" : ""),
                   an_fmt("Thread-pool worker threads (IIS w3tp or CLR): %s.", b.s ? b.s : ""),
                   strdup("Requests queue once every worker is blocked: resolve the blocking above (deadlocks "
                          "and lock owners first), then look at what the waiting threads expect to happen."));
    sb_free(&b);
}

/* What the process is: an IIS worker, for which application pool, running
 * which runtimes; DebugDiag opens its IIS reports with this. */
static void iis_finding(an_summary *s)
{
    const an_iis *i = &s->iis;
    if (!i->is_w3wp)
        return;
    strbuf rt;
    sb_init(&rt);
    for (size_t k = 0; k < i->nruntimes; k++) {
        const an_iis_runtime *r = &i->runtimes[k];
        sb_printf(&rt, "%s%s (%s%s%s)", k ? ", " : "", r->module, r->what,
                  r->product_version[0] || r->has_version ? " " : "",
                  r->product_version[0] ? r->product_version : r->has_version ? r->version : "");
    }
    an_add_finding(s, AN_SEV_INFO, AN_RANK_PROCESS,
                   an_fmt("IIS worker process for application pool \"%s\"", i->app_pool ? i->app_pool : "?"),
                   an_fmt("CLR version %s; configuration %s; %s. Hosted runtimes: %s.",
                          i->clr_version ? (*i->clr_version ? i->clr_version : "none (No Managed Code)") : "not given",
                          i->config_path ? i->config_path : "not given", i->hosting ? i->hosting : "no web runtime found",
                          rt.s ? rt.s : "none"),
                   NULL);
    sb_free(&rt);
}

void an_hang_findings(cor_target *t, an_summary *s)
{
    (void)t;
    deadlock_findings(s);
    contention_findings(s);
    handle_findings(s);
    worker_findings(s);
    cpu_findings(s);
    iis_finding(s);
    state_summary(s);
}
