/* Builds the dump summary and the findings that follow from it alone. */
#include "analysis/summary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dump/ntstatus.h"
#include "dump/os_version.h"
#include "process/environment.h"
#include "sym/resolver.h"

/* MINIDUMP_TYPE bits that mean the whole address space was written. */
#define MiniDumpWithFullMemory 0x2

const char *an_severity_name(an_severity s)
{
    return s == AN_SEV_ERROR ? "error" : s == AN_SEV_WARNING ? "warning" : "info";
}

char *an_fmt(const char *f, ...)
{
    strbuf b;
    sb_init(&b);
    va_list ap;
    va_start(ap, f);
    sb_vprintf(&b, f, ap);
    va_end(ap);
    return b.s ? b.s : strdup("");
}

void an_add_finding(an_summary *s, an_severity sev, int rank, char *title, char *detail, char *rec)
{
    an_finding *n = realloc(s->findings, (s->nfindings + 1) * sizeof *n);
    if (!n) { free(title); free(detail); free(rec); return; }
    s->findings = n;
    s->findings[s->nfindings] = (an_finding){ sev, title, detail, rec, rank, s->nfindings };
    s->nfindings++;
}

static int cmp_finding(const void *a, const void *b)
{
    const an_finding *x = a, *y = b;
    if (x->severity != y->severity) return (int)x->severity - (int)y->severity;
    if (x->rank != y->rank) return x->rank - y->rank;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The parameters of an access violation say what was attempted where
 * (EXCEPTION_RECORD docs: 0 read, 1 write, 8 DEP execute). */
static char *describe_exception(const an_exception *x, unsigned ptr_size)
{
    int w = ptr_size == 4 ? 8 : 16;
    if ((x->code == 0xC0000005 || x->code == 0xC0000006) && x->nparams >= 2) {
        const char *what = x->params[0] == 0 ? "read from" : x->params[0] == 1 ? "write to"
                         : x->params[0] == 8 ? "execute" : "access";
        return an_fmt("Attempt to %s address %0*llx", what, w, (unsigned long long)x->params[1]);
    }
    if (x->code == 0xC0000409 && x->nparams >= 1)
        return an_fmt("Fail fast code %llu", (unsigned long long)x->params[0]);
    return NULL;
}

static void exception_finding(an_summary *s)
{
    const an_exception *x = &s->exception;
    char where[256];
    if (x->module && x->function)
        snprintf(where, sizeof where, " in %s!%s+0x%llx", x->module, x->function,
                 (unsigned long long)x->function_offset);
    else if (x->module)
        snprintf(where, sizeof where, " in %s+0x%llx", x->module, (unsigned long long)x->module_offset);
    else snprintf(where, sizeof where, " at 0x%llx", (unsigned long long)x->address);
    const char *name = x->name ? x->name : "Unknown exception";
    char *title = an_fmt("%s (0x%08x)%s on thread %u", name, x->code, where, x->tid);
    const char *who = s->process_name ? s->process_name : "The process";
    const an_crash *c = &s->crash;
    char *detail;
    if (c->present && c->meaning[0])
        detail = an_fmt("%s stopped on this exception when the dump was written. %s Bucket: %s.", who, c->meaning,
                     c->bucket);
    else if (x->description)
        detail = an_fmt("%s stopped on this exception when the dump was written. %s.", who, x->description);
    else
        detail = an_fmt("%s stopped on this exception when the dump was written.", who);
    const char *rec;
    switch (x->code) {
    case 0xC0000005:
        rec = "Look at the faulting thread's stack (~Nk) and the code at the faulting address: a null or freed pointer, or memory overwritten by another thread.";
        break;
    case 0xC00000FD:
        rec = "Look for unbounded recursion on the faulting thread's stack.";
        break;
    case 0xC0000374:
        rec = "Enable full page heap (gflags /p /enable) for the process and reproduce: the corruption happened earlier than this fault.";
        break;
    case 0xC0000409:
        rec = "The process terminated itself (fail fast): the fail-fast code and the caller on the faulting thread's stack say why.";
        break;
    case 0xE0434352:
        rec = "This is a managed exception: examine it with the .NET commands (!pe, !clrstack) on the faulting thread.";
        break;
    case 0xE06D7363:
        rec = "An unhandled C++ exception: the thrown type and the throwing frame on the faulting thread's stack say what failed.";
        break;
    case 0x80000003:
        rec = "A breakpoint: the dump was likely written on a debugger request or an assertion; check whether this is the crash you are after.";
        break;
    default:
        rec = "Examine the faulting thread's stack to see which code raised the exception.";
    }
    an_add_finding(s, x->code == 0x80000003 ? AN_SEV_WARNING : AN_SEV_ERROR, AN_RANK_EXCEPTION, title, detail,
                   strdup(rec));
}

int an_summarize(cor_target *t, an_summary *s, cor_err *err)
{
    memset(s, 0, sizeof *s);
    md_dump *d = t->dump;
    s->path = t->path;
    s->file_size = md_file_size(d);
    s->timestamp = md_header_timestamp(d);
    s->dump_flags = md_header_flags(d);
    s->full_memory = (s->dump_flags & MiniDumpWithFullMemory) != 0;
    s->nstreams = md_stream_count(d);
    s->nthreads = md_thread_count(d);
    s->nmodules = md_module_count(d);
    s->kind = md_get_exception(d) ? "crash" : "hang";

    const md_system_info *si = md_get_system_info(d);
    s->arch = md_arch_name(t->arch);
    if (si) {
        s->os_name = md_os_name(si, s->os_name_buf);
        s->os_major = si->major;
        s->os_minor = si->minor;
        s->os_build = si->build;
        s->service_pack = si->csd_version;
        s->processors = si->nprocs;
        s->product_type = md_product_type_name(si->product_type);
    }
    const md_misc_info *mi = md_get_misc_info(d);
    if (mi) {
        s->has_pid = mi->flags & MD_MISC_PROCESS_ID;
        s->pid = mi->pid;
        s->has_times = mi->flags & MD_MISC_PROCESS_TIMES;
        s->create_time = mi->create_time;
        s->user_seconds = mi->user_time;
        s->kernel_seconds = mi->kernel_time;
        if (s->has_times && s->timestamp >= s->create_time)
            s->uptime_seconds = (int64_t)s->timestamp - s->create_time;
        if ((mi->flags & MD_MISC_BUILDSTRING) && mi->build_string && *mi->build_string)
            s->build_string = mi->build_string;
    }
    const md_module *main_mod = md_module_at(d, 0);
    if (main_mod) {
        s->process_name = main_mod->name;
        s->image_path = main_mod->path;
    }
    /* The command line lives only in process memory; small dumps lack it. */
    proc_peb peb;
    if (proc_read_peb(t, true, &peb, NULL) == COR_OK) {
        s->command_line = peb.command_line;
        peb.command_line = NULL;
        proc_peb_free(&peb);
    }

    const md_exception *x = md_get_exception(d);
    if (x) {
        an_exception *e = &s->exception;
        s->has_exception = true;
        e->tid = x->tid;
        e->thread_index = target_thread_index(t, x->tid);
        e->code = x->code;
        e->name = md_exception_name(x->code);
        e->symbol = md_exception_symbol(x->code);
        e->address = x->address;
        const md_module *m = md_module_by_addr(d, x->address);
        if (m) {
            e->module = m->name;
            e->module_offset = x->address - m->base;
        }
        size_t mi;
        bool has;
        sym_hit hit;
        if (sym_resolve(t->syms, x->address, &mi, &has, &hit) && has && hit.function) {
            e->function = hit.function;
            e->function_offset = e->module_offset - hit.func_rva;
            e->file = hit.file;
            e->line = hit.line;
        }
        e->flags = x->flags;
        e->nparams = x->nparams;
        memcpy(e->params, x->params, sizeof e->params);
        e->description = describe_exception(e, t->ptr_size);
        if (an_analyze_crash(t, &s->crash, err) != COR_OK) return COR_FAIL;
        exception_finding(s);
    } else {
        an_add_finding(s, AN_SEV_INFO, AN_RANK_GENERAL, strdup("No exception record: this is a hang or on-demand dump"),
                    an_fmt("The dump has no Exception stream, so it was written while the process was running "
                        "(%zu threads).", s->nthreads),
                    strdup("Compare what every thread is waiting on (~*k); for a hang, take two or three dumps "
                           "a few seconds apart and look for threads that do not move."));
    }
    if (an_walk_stacks(t, &s->stacks, err) != COR_OK) return COR_FAIL;
    if (an_analyze_waits(t, &s->waits, err) != COR_OK) return COR_FAIL;
    if (an_iis_inspect(t, &s->iis, err) != COR_OK) return COR_FAIL;
    an_hang_findings(t, s);
    qsort(s->findings, s->nfindings, sizeof *s->findings, cmp_finding);
    return COR_OK;
}

void an_summary_free(an_summary *s)
{
    for (size_t i = 0; i < s->nfindings; i++) {
        free(s->findings[i].title);
        free(s->findings[i].detail);
        free(s->findings[i].recommendation);
    }
    free(s->findings);
    free(s->exception.description);
    an_crash_free(&s->crash);
    an_stacks_free(&s->stacks);
    an_waits_free(&s->waits);
    an_iis_free(&s->iis);
    free(s->command_line);
    memset(s, 0, sizeof *s);
}
