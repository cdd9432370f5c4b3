/* The JSON report; its shape is a public interface (docs/json.md): add
 * fields, never rename or remove them without bumping schema_version. */
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "analysis/analyze.h"
#include "core/text.h"

static void key(strbuf *b, const char *k, bool *first)
{
    if (!*first) sb_putc(b, ',');
    *first = false;
    sb_json_str(b, k);
    sb_putc(b, ':');
}

static void kv_str(strbuf *b, const char *k, const char *v, bool *first)
{
    key(b, k, first);
    if (v) sb_json_str(b, v);
    else sb_puts(b, "null");
}

static void kv_u64(strbuf *b, const char *k, uint64_t v, bool *first)
{
    key(b, k, first);
    sb_printf(b, "%" PRIu64, v);
}

static void kv_hex(strbuf *b, const char *k, uint64_t v, bool *first)
{
    char h[24];
    snprintf(h, sizeof h, "0x%" PRIx64, v);
    kv_str(b, k, h, first);
}

static void kv_bool(strbuf *b, const char *k, bool v, bool *first)
{
    key(b, k, first);
    sb_puts(b, v ? "true" : "false");
}

static void kv_time(strbuf *b, const char *k, uint32_t t, bool *first)
{
    char buf[32];
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    kv_str(b, k, buf, first);
}

static void kv_null(strbuf *b, const char *k, bool *first)
{
    key(b, k, first);
    sb_puts(b, "null");
}

static void render_frame(strbuf *b, const an_frame *fr)
{
    bool f = true;
    sb_putc(b, '{');
    kv_u64(b, "frame", fr->number, &f);
    kv_hex(b, "ip", fr->ip, &f);
    kv_hex(b, "sp", fr->sp, &f);
    kv_str(b, "module", fr->module, &f);
    if (fr->module) kv_hex(b, "module_offset", fr->d.module_offset, &f);
    else kv_null(b, "module_offset", &f);
    kv_str(b, "function", fr->d.has_function ? fr->d.function : NULL, &f);
    if (fr->d.has_function) kv_hex(b, "function_offset", fr->d.function_offset, &f);
    else kv_null(b, "function_offset", &f);
    kv_str(b, "file", fr->d.file[0] ? fr->d.file : NULL, &f);
    if (fr->d.line) kv_u64(b, "line", fr->d.line, &f);
    else kv_null(b, "line", &f);
    kv_str(b, "trust", uw_trust_name(fr->trust), &f);
    sb_putc(b, '}');
}

static void render_thread(strbuf *b, const an_thread_stack *t)
{
    bool f = true;
    sb_putc(b, '{');
    kv_u64(b, "index", t->index, &f);
    kv_u64(b, "thread_id", t->tid, &f);
    kv_str(b, "name", t->name, &f);
    kv_bool(b, "exception_context", t->from_exception, &f);
    kv_u64(b, "frame_count", t->total_frames, &f);
    kv_str(b, "stop_reason", t->error[0] ? t->error : t->stop_reason[0] ? t->stop_reason : NULL, &f);
    key(b, "frames", &f);
    sb_putc(b, '[');
    for (size_t k = 0; k < t->nframes; k++) {
        if (k) sb_putc(b, ',');
        render_frame(b, &t->frames[k]);
    }
    sb_puts(b, "]}");
}

static void render_crash(strbuf *b, const an_crash *c)
{
    if (!c->present) {
        sb_puts(b, "null");
        return;
    }
    bool f = true;
    sb_putc(b, '{');
    kv_hex(b, "code", c->code, &f);
    kv_str(b, "class", c->class_name, &f);
    kv_str(b, "bucket", c->bucket, &f);
    kv_str(b, "chance", c->chance == AN_CHANCE_FIRST ? "first" : c->chance == AN_CHANCE_SECOND ? "second" : NULL, &f);
    kv_str(b, "description", c->meaning, &f);
    kv_u64(b, "thread_id", c->tid, &f);
    if (c->is_av) {
        kv_str(b, "access", c->av_access, &f);
        kv_hex(b, "access_address", c->av_address, &f);
    } else {
        kv_null(b, "access", &f);
        kv_null(b, "access_address", &f);
    }
    kv_str(b, "fast_fail", c->fast_fail, &f);
    kv_str(b, "cpp_type", c->cpp_type[0] ? c->cpp_type : NULL, &f);
    kv_bool(b, "managed", c->managed, &f);
    kv_str(b, "instruction", c->instruction[0] ? c->instruction : NULL, &f);
    key(b, "faulting_frame", &f);
    if (c->stack.nframes) render_frame(b, &c->stack.frames[c->fault_frame]);
    else sb_puts(b, "null");
    key(b, "recursion", &f);
    if (c->recursion) {
        bool g = true;
        sb_putc(b, '{');
        kv_str(b, "functions", c->cycle_functions, &g);
        kv_u64(b, "first_frame", c->cycle_start, &g);
        kv_u64(b, "cycle_length", c->cycle_len, &g);
        kv_u64(b, "repeats", c->cycle_repeats, &g);
        sb_putc(b, '}');
    } else {
        sb_puts(b, "null");
    }
    sb_putc(b, '}');
}

static void render_iis(strbuf *b, const an_iis *i)
{
    if (!i->is_w3wp && !i->nruntimes) {
        sb_puts(b, "null");
        return;
    }
    bool f = true;
    sb_putc(b, '{');
    kv_bool(b, "w3wp", i->is_w3wp, &f);
    kv_str(b, "app_pool", i->app_pool, &f);
    kv_str(b, "clr_version", i->clr_version, &f);
    kv_str(b, "config_path", i->config_path, &f);
    kv_str(b, "pipeline_dll", i->pipeline_dll, &f);
    kv_str(b, "hosting", i->hosting, &f);
    key(b, "runtimes", &f);
    sb_putc(b, '[');
    for (size_t k = 0; k < i->nruntimes; k++) {
        const an_iis_runtime *r = &i->runtimes[k];
        bool g = true;
        if (k) sb_putc(b, ',');
        sb_putc(b, '{');
        kv_str(b, "module", r->module, &g);
        kv_str(b, "what", r->what, &g);
        kv_str(b, "path", r->path, &g);
        kv_hex(b, "base", r->base, &g);
        kv_str(b, "version", r->has_version ? r->version : NULL, &g);
        kv_str(b, "product_version", r->product_version[0] ? r->product_version : NULL, &g);
        sb_putc(b, '}');
    }
    sb_puts(b, "]}");
}

static void render_hang(strbuf *b, const an_summary *s, bool *f0)
{
    key(b, "iis", f0);
    render_iis(b, &s->iis);
    const an_waits *ws = &s->waits;
    key(b, "locks", f0);
    sb_putc(b, '[');
    for (size_t i = 0; i < ws->locks.count; i++) {
        const an_cs *c = &ws->locks.cs[i];
        bool f = true;
        if (i) sb_putc(b, ',');
        sb_putc(b, '{');
        kv_hex(b, "address", c->addr, &f);
        kv_str(b, "symbol", c->symbol[0] ? c->symbol : NULL, &f);
        kv_bool(b, "locked", c->locked, &f);
        if (c->locked) kv_u64(b, "owner_thread_id", c->owner_tid, &f);
        else kv_null(b, "owner_thread_id", &f);
        key(b, "lock_count", &f);
        sb_printf(b, "%d", c->lock_count);
        key(b, "recursion_count", &f);
        sb_printf(b, "%d", c->recursion_count);
        kv_u64(b, "waiters", (uint64_t)c->waiters, &f);
        key(b, "waiting_thread_ids", &f);
        sb_putc(b, '[');
        size_t n = 0;
        for (size_t k = 0; k < ws->count; k++)
            if (ws->waits[k].cs == c->addr) sb_printf(b, "%s%u", n++ ? "," : "", ws->waits[k].tid);
        sb_putc(b, ']');
        kv_hex(b, "debug_info", c->debug_info, &f);
        kv_u64(b, "entry_count", c->entry_count, &f);
        kv_u64(b, "contention_count", c->contention_count, &f);
        kv_bool(b, "loader_lock", c->is_loader_lock, &f);
        sb_putc(b, '}');
    }
    sb_putc(b, ']');

    key(b, "waits", f0);
    sb_putc(b, '[');
    for (size_t i = 0; i < ws->count; i++) {
        const an_wait *w = &ws->waits[i];
        bool f = true;
        if (i) sb_putc(b, ',');
        sb_putc(b, '{');
        kv_u64(b, "index", w->thread, &f);
        kv_u64(b, "thread_id", w->tid, &f);
        kv_str(b, "state", an_wait_kind_name(w->kind), &f);
        kv_str(b, "wait_function", w->wait_function[0] ? w->wait_function : NULL, &f);
        kv_str(b, "caller", w->caller[0] ? w->caller : NULL, &f);
        if (w->cs) kv_hex(b, "critical_section", w->cs, &f);
        else kv_null(b, "critical_section", &f);
        if (w->owner_tid) kv_u64(b, "owner_thread_id", w->owner_tid, &f);
        else kv_null(b, "owner_thread_id", &f);
        key(b, "handles", &f);
        sb_putc(b, '[');
        for (size_t k = 0; k < w->nhandles; k++) {
            bool g = true;
            if (k) sb_putc(b, ',');
            sb_putc(b, '{');
            kv_hex(b, "handle", w->handles[k].handle, &g);
            kv_str(b, "type", w->handles[k].type, &g);
            kv_str(b, "name", w->handles[k].name, &g);
            sb_putc(b, '}');
        }
        sb_putc(b, ']');
        if (w->has_times) {
            key(b, "cpu_seconds", &f);
            sb_printf(b, "%.3f", w->cpu_100ns / 1e7);
            key(b, "elapsed_seconds", &f);
            sb_printf(b, "%.3f", w->elapsed_100ns / 1e7);
        } else {
            kv_null(b, "cpu_seconds", &f);
            kv_null(b, "elapsed_seconds", &f);
        }
        sb_putc(b, '}');
    }
    sb_putc(b, ']');

    key(b, "deadlocks", f0);
    sb_putc(b, '[');
    for (size_t d = 0; d < ws->ndeadlocks; d++) {
        const an_deadlock *dl = &ws->deadlocks[d];
        if (d) sb_putc(b, ',');
        sb_puts(b, "{\"thread_ids\":[");
        for (size_t k = 0; k < dl->n; k++) sb_printf(b, "%s%u", k ? "," : "", dl->tids[k]);
        sb_puts(b, "],\"locks\":[");
        for (size_t k = 0; k < dl->n; k++) {
            const an_cs *c = an_locks_find(&ws->locks, dl->cs[k]);
            bool g = true;
            if (k) sb_putc(b, ',');
            sb_putc(b, '{');
            kv_hex(b, "address", dl->cs[k], &g);
            kv_str(b, "symbol", c && c->symbol[0] ? c->symbol : NULL, &g);
            kv_u64(b, "waiting_thread_id", dl->tids[k], &g);
            kv_u64(b, "owner_thread_id", dl->tids[(k + 1) % dl->n], &g);
            sb_putc(b, '}');
        }
        sb_puts(b, "]}");
    }
    sb_putc(b, ']');
}

void an_render_json(const an_summary *s, FILE *out)
{
    strbuf b;
    sb_init(&b);
    bool f0 = true, f;
    sb_putc(&b, '{');
    kv_str(&b, "schema", "coroner.analysis", &f0);
    kv_u64(&b, "schema_version", 1, &f0);

    key(&b, "dump", &f0);
    sb_putc(&b, '{');
    f = true;
    kv_str(&b, "path", s->path, &f);
    kv_u64(&b, "size", s->file_size, &f);
    kv_time(&b, "written", s->timestamp, &f);
    kv_str(&b, "kind", s->kind, &f);
    kv_bool(&b, "full_memory", s->full_memory, &f);
    kv_hex(&b, "flags", s->dump_flags, &f);
    kv_u64(&b, "streams", s->nstreams, &f);
    sb_putc(&b, '}');

    key(&b, "system", &f0);
    if (s->os_name) {
        sb_putc(&b, '{');
        f = true;
        char ver[48];
        snprintf(ver, sizeof ver, "%u.%u.%u", s->os_major, s->os_minor, s->os_build);
        kv_str(&b, "os", s->os_name, &f);
        kv_str(&b, "version", ver, &f);
        kv_str(&b, "service_pack", s->service_pack, &f);
        kv_str(&b, "build_string", s->build_string, &f);
        kv_str(&b, "product_type", s->product_type, &f);
        kv_str(&b, "arch", s->arch, &f);
        kv_u64(&b, "processors", s->processors, &f);
        sb_putc(&b, '}');
    } else {
        sb_puts(&b, "null");
    }

    key(&b, "process", &f0);
    sb_putc(&b, '{');
    f = true;
    kv_str(&b, "name", s->process_name, &f);
    key(&b, "pid", &f);
    if (s->has_pid) sb_printf(&b, "%u", s->pid);
    else sb_puts(&b, "null");
    kv_str(&b, "image_path", s->image_path, &f);
    kv_str(&b, "command_line", s->command_line, &f);
    if (s->has_times) {
        kv_time(&b, "started", s->create_time, &f);
        kv_u64(&b, "uptime_seconds", (uint64_t)s->uptime_seconds, &f);
        kv_u64(&b, "user_seconds", s->user_seconds, &f);
        kv_u64(&b, "kernel_seconds", s->kernel_seconds, &f);
    } else {
        kv_str(&b, "started", NULL, &f);
        kv_str(&b, "uptime_seconds", NULL, &f);
        kv_str(&b, "user_seconds", NULL, &f);
        kv_str(&b, "kernel_seconds", NULL, &f);
    }
    kv_u64(&b, "threads", s->nthreads, &f);
    kv_u64(&b, "modules", s->nmodules, &f);
    sb_putc(&b, '}');

    key(&b, "exception", &f0);
    if (s->has_exception) {
        const an_exception *x = &s->exception;
        sb_putc(&b, '{');
        f = true;
        kv_u64(&b, "thread_id", x->tid, &f);
        kv_hex(&b, "code", x->code, &f);
        kv_str(&b, "name", x->name, &f);
        kv_str(&b, "symbol", x->symbol, &f);
        kv_hex(&b, "address", x->address, &f);
        kv_str(&b, "module", x->module, &f);
        if (x->module) kv_hex(&b, "module_offset", x->module_offset, &f);
        else kv_str(&b, "module_offset", NULL, &f);
        kv_str(&b, "function", x->function, &f);
        if (x->function) kv_hex(&b, "function_offset", x->function_offset, &f);
        else kv_str(&b, "function_offset", NULL, &f);
        kv_str(&b, "file", x->file, &f);
        key(&b, "line", &f);
        if (x->line) sb_printf(&b, "%u", x->line);
        else sb_puts(&b, "null");
        kv_hex(&b, "flags", x->flags, &f);
        key(&b, "parameters", &f);
        sb_putc(&b, '[');
        for (uint32_t i = 0; i < x->nparams && i < 15; i++) {
            char h[24];
            snprintf(h, sizeof h, "0x%" PRIx64, x->params[i]);
            if (i) sb_putc(&b, ',');
            sb_json_str(&b, h);
        }
        sb_putc(&b, ']');
        kv_str(&b, "description", x->description, &f);
        sb_putc(&b, '}');
    } else {
        sb_puts(&b, "null");
    }

    key(&b, "crash", &f0);
    render_crash(&b, &s->crash);
    key(&b, "threads", &f0);
    sb_putc(&b, '[');
    for (size_t i = 0; i < s->stacks.count; i++) {
        if (i) sb_putc(&b, ',');
        render_thread(&b, &s->stacks.threads[i]);
    }
    sb_putc(&b, ']');

    render_hang(&b, s, &f0);

    key(&b, "findings", &f0);
    sb_putc(&b, '[');
    for (size_t i = 0; i < s->nfindings; i++) {
        const an_finding *fd = &s->findings[i];
        if (i) sb_putc(&b, ',');
        sb_putc(&b, '{');
        f = true;
        kv_str(&b, "severity", an_severity_name(fd->severity), &f);
        kv_str(&b, "title", fd->title, &f);
        kv_str(&b, "detail", fd->detail, &f);
        kv_str(&b, "recommendation", fd->recommendation, &f);
        sb_putc(&b, '}');
    }
    sb_puts(&b, "]}\n");
    fputs(b.s, out);
    sb_free(&b);
}
