/* Per-thread waits, the objects behind them, and deadlocks. */
#include "analysis/waits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "target/frame_desc.h"
#include "unwind/unwind.h"

/* Frames looked at for the wait: the system frames on top of the stack and
 * the first frame of the program's own code below them. */
#define MAX_WAIT_FRAMES 48
/* Stack words searched for the waited-on object. */
#define MAX_SCAN_BYTES 0x4000

const char *an_wait_kind_name(an_wait_kind k)
{
    switch (k) {
    case AN_WAIT_RUNNING: return "running";
    case AN_WAIT_CRITICAL_SECTION: return "critical_section";
    case AN_WAIT_LOADER_LOCK: return "loader_lock";
    case AN_WAIT_OBJECTS: return "objects";
    case AN_WAIT_SLEEP: return "sleep";
    case AN_WAIT_SOCKET: return "socket";
    case AN_WAIT_RPC: return "rpc";
    case AN_WAIT_IO_COMPLETION: return "io_completion";
    case AN_WAIT_OTHER: return "other";
    default: return "unknown";
    }
}

const char *an_wait_kind_text(an_wait_kind k)
{
    switch (k) {
    case AN_WAIT_RUNNING: return "running (not in a wait)";
    case AN_WAIT_CRITICAL_SECTION: return "waiting to enter a critical section";
    case AN_WAIT_LOADER_LOCK: return "waiting for the loader lock";
    case AN_WAIT_OBJECTS: return "waiting on handles";
    case AN_WAIT_SLEEP: return "sleeping";
    case AN_WAIT_SOCKET: return "in a socket call";
    case AN_WAIT_RPC: return "in an RPC/COM call";
    case AN_WAIT_IO_COMPLETION: return "idle, waiting for work (completion port or thread pool)";
    case AN_WAIT_OTHER: return "in a system call";
    default: return "unknown (no stack)";
    }
}

/* Modules whose frames are the waiting machinery rather than the waiter. */
static bool system_module(const char *name)
{
    static const char *const mods[] = {
        "ntdll.dll", "kernel32.dll", "kernelbase.dll", "ucrtbase.dll", "msvcrt.dll", "user32.dll", "win32u.dll",
        "combase.dll", "ole32.dll", "rpcrt4.dll", "ws2_32.dll", "mswsock.dll", "sechost.dll", "advapi32.dll",
        "wow64.dll", "wow64win.dll", "wow64cpu.dll",
    };
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        if (strcasecmp(name, mods[i]) == 0)
            return true;
    return false;
}

static bool name_in(const char *fn, const char *const *list)
{
    for (; fn && *list; list++)
        if (strcmp(fn, *list) == 0)
            return true;
    return false;
}

static const char *const cs_funcs[] = { "RtlEnterCriticalSection", "RtlpEnterCriticalSectionContended",
                                        "RtlpWaitOnCriticalSection", "RtlpWaitForCriticalSection",
                                        "EnterCriticalSection", NULL };
static const char *const sleep_funcs[] = { "NtDelayExecution", "ZwDelayExecution", "SleepEx", "Sleep", NULL };
static const char *const object_funcs[] = {
    "NtWaitForSingleObject", "ZwWaitForSingleObject", "NtWaitForMultipleObjects", "ZwWaitForMultipleObjects",
    "WaitForSingleObject", "WaitForSingleObjectEx", "WaitForMultipleObjects", "WaitForMultipleObjectsEx",
    "MsgWaitForMultipleObjects", "MsgWaitForMultipleObjectsEx", "SignalObjectAndWait",
    "NtSignalAndWaitForSingleObject", "RtlSleepConditionVariableCS", "RtlSleepConditionVariableSRW",
    "SleepConditionVariableCS", "SleepConditionVariableSRW", "WaitOnAddress", "RtlWaitOnAddress", NULL };
static const char *const iocp_funcs[] = { "NtRemoveIoCompletion", "ZwRemoveIoCompletion", "NtRemoveIoCompletionEx",
                                          "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx",
                                          "NtWaitForWorkViaWorkerFactory", "ZwWaitForWorkViaWorkerFactory", NULL };
static const char *const socket_funcs[] = { "recv", "recvfrom", "send", "sendto", "select", "accept", "connect",
                                            "WSARecv", "WSARecvFrom", "WSASend", "WSAAccept", "WSAConnect",
                                            "WSAWaitForMultipleEvents", "WSPRecv", "WSPSelect", "WSPAccept",
                                            "WSPConnect", "gethostbyname", "getaddrinfo", "GetAddrInfoW", NULL };
static const char *const rpc_funcs[] = { "NdrClientCall", "NdrClientCall2", "NdrClientCall3", "NdrClientCall4",
                                         "NdrpClientCall3", "I_RpcSendReceive", "I_RpcSend", "I_RpcReceive",
                                         "CoWaitForMultipleHandles", "CoWaitForMultipleObjects", NULL };

typedef struct frame_info {
    frame_desc d;
    const char *module; /* file name */
    uint64_t ip;
} frame_info;

/* The kind a frame's function implies, with its priority (a CS wait ends
 * in an object wait on old systems; RPC and sockets wait on objects). */
static int frame_kind(const frame_info *f, an_wait_kind *k)
{
    const char *fn = f->d.has_function ? f->d.function : NULL;
    if (name_in(fn, cs_funcs)) { *k = AN_WAIT_CRITICAL_SECTION; return 7; }
    if (f->module && (strcasecmp(f->module, "ws2_32.dll") == 0 || strcasecmp(f->module, "mswsock.dll") == 0)) {
        *k = AN_WAIT_SOCKET;
        return 6;
    }
    if (name_in(fn, socket_funcs)) { *k = AN_WAIT_SOCKET; return 6; }
    if (name_in(fn, rpc_funcs)) { *k = AN_WAIT_RPC; return 5; }
    if (name_in(fn, iocp_funcs)) { *k = AN_WAIT_IO_COMPLETION; return 4; }
    if (name_in(fn, sleep_funcs)) { *k = AN_WAIT_SLEEP; return 3; }
    if (name_in(fn, object_funcs)) { *k = AN_WAIT_OBJECTS; return 2; }
    return 0;
}

static int cmp_handle(const void *a, const void *b)
{
    const md_handle *x = a, *y = b;
    return x->handle < y->handle ? -1 : x->handle > y->handle;
}

static const md_handle *find_handle(const md_handle *h, size_t n, uint64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h[mid].handle < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && h[lo].handle == v ? &h[lo] : NULL;
}

/* Object types a thread can wait on. */
static bool waitable(const char *type)
{
    static const char *const types[] = { "Event", "Mutant", "Semaphore", "Thread", "Process", "Timer",
                                         "IoCompletion", "Job", "WaitCompletionPacket", NULL };
    return type && name_in(type, types);
}

typedef struct ctx {
    cor_target *t;
    md_handle *handles; /* sorted copy */
    size_t nhandles;
    uint64_t loader_lock;
    uint64_t *cs_seen;  /* critical sections threads wait on, for the lock list */
    size_t ncs_seen, cs_cap;
} ctx;

static void note_cs(ctx *c, uint64_t cs)
{
    for (size_t i = 0; i < c->ncs_seen; i++)
        if (c->cs_seen[i] == cs)
            return;
    if (c->ncs_seen == c->cs_cap) {
        size_t nc = c->cs_cap ? 2 * c->cs_cap : 16;
        uint64_t *n = realloc(c->cs_seen, nc * sizeof *n);
        if (!n)
            return;
        c->cs_seen = n;
        c->cs_cap = nc;
    }
    c->cs_seen[c->ncs_seen++] = cs;
}

/* Candidate words for the waited-on object: registers the unwinder
 * recovered for the waiting frames, then the stack words between the top
 * and the waiter's caller. */
typedef bool (*candidate_fn)(ctx *c, an_wait *w, uint64_t v);

static void scan_candidates(ctx *c, an_wait *w, const uw_stack *st, size_t upto, candidate_fn fn)
{
    for (size_t k = 0; k <= upto && k < st->count; k++) {
        const uw_frame *f = &st->frames[k];
        for (unsigned r = 0; r < 16; r++)
            if ((f->valid & (1u << r)) && r != REG_RSP && fn(c, w, f->regs.gpr[r]))
                return;
    }
    uint64_t lo = st->frames[0].regs.sp;
    uint64_t hi = upto + 1 < st->count ? st->frames[upto + 1].regs.sp : lo + 0x400;
    if (hi - lo > MAX_SCAN_BYTES)
        hi = lo + MAX_SCAN_BYTES;
    unsigned ps = c->t->ptr_size;
    uint8_t buf[MAX_SCAN_BYTES];
    size_t got = as_read_partial(c->t->as, lo, buf, (size_t)(hi - lo));
    for (size_t off = 0; off + ps <= got; off += ps) {
        uint64_t v = 0;
        for (unsigned b = 0; b < ps; b++)
            v |= (uint64_t)buf[off + b] << (8 * b);
        if (fn(c, w, v))
            return;
    }
}

static bool try_cs(ctx *c, an_wait *w, uint64_t v)
{
    an_cs cs;
    if (v < 0x10000 || !an_read_cs(c->t, v, &cs) || !cs.locked || cs.owner_tid == w->tid)
        return false;
    w->cs = v;
    w->owner_tid = (uint32_t)cs.owner_tid;
    return true;
}

static bool try_handle(ctx *c, an_wait *w, uint64_t v)
{
    if (!v || v > 0xFFFFFFFFu || v % 4)
        return false;
    const md_handle *h = find_handle(c->handles, c->nhandles, v);
    if (!h || !waitable(h->type_name))
        return false;
    for (size_t i = 0; i < w->nhandles; i++)
        if (w->handles[i].handle == v)
            return false;
    w->handles[w->nhandles++] = (an_wait_handle){ v, h->type_name, h->object_name };
    return w->nhandles == AN_MAX_WAIT_HANDLES;
}

/* The handles a wait is on. WaitForMultipleObjects passes an array, and
 * WaitForSingleObject is built on it (or keeps its handle in a local), so
 * the stack between the top and the waiter holds them: the longest run of
 * consecutive stack words that are all waitable handles is the array; a
 * lone one is the single handle. Registers are the last resort (they may
 * hold stale values). */
static void find_handles(ctx *c, an_wait *w, const uw_stack *st, size_t upto)
{
    uint64_t lo = st->frames[0].regs.sp;
    uint64_t hi = upto + 1 < st->count ? st->frames[upto + 1].regs.sp : lo + 0x400;
    if (hi - lo > MAX_SCAN_BYTES)
        hi = lo + MAX_SCAN_BYTES;
    unsigned ps = c->t->ptr_size;
    uint8_t buf[MAX_SCAN_BYTES];
    size_t got = as_read_partial(c->t->as, lo, buf, (size_t)(hi - lo));
    size_t nwords = got / ps, best_at = 0, best_len = 0, first = (size_t)-1;
    for (size_t k = 0; k < nwords;) {
        size_t len = 0;
        while (k + len < nwords) {
            uint64_t v = 0;
            for (unsigned b = 0; b < ps; b++)
                v |= (uint64_t)buf[(k + len) * ps + b] << (8 * b);
            const md_handle *h = v && v <= 0xFFFFFFFFu && v % 4 == 0 ? find_handle(c->handles, c->nhandles, v) : NULL;
            if (!h || !waitable(h->type_name))
                break;
            len++;
        }
        if (len && first == (size_t)-1)
            first = k;
        if (len > best_len) {
            best_len = len;
            best_at = k;
        }
        k += len ? len : 1;
    }
    size_t at = best_len >= 2 ? best_at : first;
    size_t len = best_len >= 2 ? best_len : 1;
    if (at != (size_t)-1) {
        for (size_t k = at; k < at + len && w->nhandles < AN_MAX_WAIT_HANDLES; k++) {
            uint64_t v = 0;
            for (unsigned b = 0; b < ps; b++)
                v |= (uint64_t)buf[k * ps + b] << (8 * b);
            try_handle(c, w, v);
        }
        return;
    }
    for (size_t k = 0; k <= upto && k < st->count && !w->nhandles; k++)
        for (unsigned r = 0; r < 16; r++)
            if ((st->frames[k].valid & (1u << r)) && r != REG_RSP && try_handle(c, w, st->frames[k].regs.gpr[r]))
                break;
}

static void frame_name(const frame_info *f, char *buf, size_t size, bool with_line)
{
    /* Code outside every module (JIT code, a scanned guess, a corrupt
     * stack) has no module+offset: name it by its address, as k does,
     * rather than "?+0x0". */
    if (!f->module) {
        snprintf(buf, size, "0x%llx", (unsigned long long)f->ip);
        return;
    }
    char mod[128];
    snprintf(mod, sizeof mod, "%s", f->module);
    char *dot = strrchr(mod, '.');
    if (dot)
        *dot = 0;
    if (f->d.has_function)
        snprintf(buf, size, "%s!%s", mod, f->d.function);
    else
        snprintf(buf, size, "%s+0x%llx", mod, (unsigned long long)f->d.module_offset);
    if (with_line && f->d.file[0] && f->d.line) {
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, " [%s @ %u]", f->d.file, f->d.line);
    }
}

static void analyze_thread(ctx *c, size_t i, an_wait *w)
{
    cor_target *t = c->t;
    memset(w, 0, sizeof *w);
    w->thread = i;
    w->tid = md_thread_at(t->dump, i)->tid;
    w->kind = AN_WAIT_UNKNOWN;
    const md_thread_info *ti = md_thread_info_by_tid(t->dump, w->tid);
    if (ti) {
        w->has_times = true;
        w->cpu_100ns = ti->user_time + ti->kernel_time;
        /* FILETIME counts 100 ns since 1601; the header's time_t since 1970,
         * truncated to the second: the dump was written within the second
         * after it, and the end of that second keeps shares of CPU time
         * from being overstated. */
        uint64_t now = ((uint64_t)md_header_timestamp(t->dump) + 1 + 11644473600ull) * 10000000ull;
        w->elapsed_100ns = ti->create_time && now > ti->create_time ? now - ti->create_time : 0;
        /* The header time has one-second resolution and some tools read
         * thread times after writing it: a thread cannot have used more
         * CPU than it has lived. */
        if (w->elapsed_100ns && w->cpu_100ns > w->elapsed_100ns)
            w->elapsed_100ns = w->cpu_100ns;
    }
    uw_stack st;
    cor_err e;
    if (target_walk_thread(t, i, false, MAX_WAIT_FRAMES, &st, &e) != COR_OK || st.count == 0)
        return;
    frame_info fr[MAX_WAIT_FRAMES];
    size_t n = st.count < MAX_WAIT_FRAMES ? st.count : MAX_WAIT_FRAMES;
    size_t caller = (size_t)-1;
    int best = 0;
    size_t best_at = 0;
    an_wait_kind kind = AN_WAIT_RUNNING;
    for (size_t k = 0; k < n; k++) {
        target_describe(t, st.frames[k].regs.ip, k > 0, &fr[k].d);
        fr[k].ip = st.frames[k].regs.ip;
        fr[k].module = fr[k].d.module != (size_t)-1 ? md_module_at(t->dump, fr[k].d.module)->name : NULL;
        if (!system_module(fr[k].module)) {
            caller = k;
            break;
        }
        an_wait_kind fk;
        int p = frame_kind(&fr[k], &fk);
        if (p > best || (p == best && p > 0)) { /* the outermost frame of the strongest kind */
            best = p;
            kind = fk;
            best_at = k;
        }
    }
    size_t top = caller == (size_t)-1 ? n - 1 : caller;
    if (!best && fr[0].module && strcasecmp(fr[0].module, "ntdll.dll") == 0 && fr[0].d.has_function &&
        (strncmp(fr[0].d.function, "Nt", 2) == 0 || strncmp(fr[0].d.function, "Zw", 2) == 0)) {
        kind = AN_WAIT_OTHER; /* a system call nobody above explains */
        best_at = 0;
    }
    w->kind = kind;
    if (kind != AN_WAIT_RUNNING)
        frame_name(&fr[best_at], w->wait_function, sizeof w->wait_function, false);
    if (caller != (size_t)-1)
        frame_name(&fr[caller], w->caller, sizeof w->caller, true);
    else
        frame_name(&fr[0], w->caller, sizeof w->caller, true);
    if (kind == AN_WAIT_CRITICAL_SECTION) {
        scan_candidates(c, w, &st, top, try_cs);
        if (w->cs) {
            note_cs(c, w->cs);
            if (c->loader_lock && w->cs == c->loader_lock)
                w->kind = AN_WAIT_LOADER_LOCK;
        }
    } else if (kind == AN_WAIT_OBJECTS || kind == AN_WAIT_SOCKET || kind == AN_WAIT_RPC) {
        find_handles(c, w, &st, top);
    }
    uw_stack_free(&st);
}

/* ---- deadlocks -------------------------------------------------------- */

/* waits[i] is thread i's: the dump's index by id finds it. (A scan of
 * waits here, up to 16 times per blocked thread, was quadratic: 20,000
 * threads blocked on critical sections took a second.) */
static size_t thread_of(cor_target *t, uint32_t tid)
{
    return target_thread_index(t, tid);
}

static bool blocked_on_cs(const an_wait *w)
{
    return (w->kind == AN_WAIT_CRITICAL_SECTION || w->kind == AN_WAIT_LOADER_LOCK) && w->cs && w->owner_tid;
}

static bool same_cycle(const an_deadlock *a, const an_deadlock *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        bool found = false;
        for (size_t j = 0; j < b->n; j++)
            found |= a->tids[i] == b->tids[j];
        if (!found)
            return false;
    }
    return true;
}

static void find_deadlocks(cor_target *t, an_waits *ws)
{
    for (size_t start = 0; start < ws->count; start++) {
        size_t path[16], np = 0, cur = start;
        while (cur != (size_t)-1 && np < 16 && blocked_on_cs(&ws->waits[cur])) {
            size_t seen = (size_t)-1;
            for (size_t k = 0; k < np; k++)
                if (path[k] == cur)
                    seen = k;
            if (seen != (size_t)-1) {
                an_deadlock d = { 0 };
                for (size_t k = seen; k < np; k++) {
                    d.tids[d.n] = ws->waits[path[k]].tid;
                    d.cs[d.n] = ws->waits[path[k]].cs;
                    d.n++;
                }
                bool dup = false;
                for (size_t k = 0; k < ws->ndeadlocks; k++)
                    dup |= same_cycle(&ws->deadlocks[k], &d);
                if (!dup) {
                    an_deadlock *nd = realloc(ws->deadlocks, (ws->ndeadlocks + 1) * sizeof *nd);
                    if (nd) {
                        ws->deadlocks = nd;
                        ws->deadlocks[ws->ndeadlocks++] = d;
                    }
                }
                break;
            }
            path[np++] = cur;
            cur = thread_of(t, ws->waits[cur].owner_tid);
        }
    }
}

int an_analyze_waits(cor_target *t, an_waits *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    ctx c = { .t = t };
    const md_handle *h;
    size_t nh;
    cor_err herr;
    if (md_handles(t->dump, &h, &nh, &herr) == COR_OK && nh) {
        c.handles = malloc(nh * sizeof *c.handles);
        if (c.handles) {
            memcpy(c.handles, h, nh * sizeof *h);
            c.nhandles = nh;
            qsort(c.handles, nh, sizeof *c.handles, cmp_handle);
        }
    }
    c.loader_lock = an_loader_lock(t);
    size_t n = md_thread_count(t->dump);
    out->waits = calloc(n ? n : 1, sizeof *out->waits);
    if (!out->waits) {
        free(c.handles);
        return cor_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        analyze_thread(&c, i, &out->waits[i]);
    out->count = n;
    free(c.handles);
    int rc = an_find_locks(t, c.cs_seen, c.ncs_seen, &out->locks, err);
    free(c.cs_seen);
    if (rc != COR_OK) {
        an_waits_free(out);
        return COR_FAIL;
    }
    find_deadlocks(t, out);
    return COR_OK;
}

void an_waits_free(an_waits *w)
{
    free(w->waits);
    free(w->deadlocks);
    an_locks_free(&w->locks);
    memset(w, 0, sizeof *w);
}
