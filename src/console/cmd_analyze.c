/* !analyze [-v]: the crash verdict in WinDbg's layout (FAULTING_IP,
 * EXCEPTION_RECORD, FAULTING_THREAD, STACK_TEXT, FAILURE_BUCKET_ID...),
 * from analysis/crash.h. Recursion in the faulting stack is collapsed. */
#include <inttypes.h>
#include <string.h>

#include "analysis/crash.h"
#include "console/con_internal.h"

static void banner(con_session *s)
{
    con_puts(s, "*******************************************************************************\n"
                "*                                                                             *\n"
                "*                        Exception Analysis                                   *\n"
                "*                                                                             *\n"
                "*******************************************************************************\n\n");
}

static void frame_line(con_session *s, const an_frame *f, const an_frame *next)
{
    char a[24], b[24], site[700];
    if (f->d.module != (size_t)-1 && f->d.has_function)
        snprintf(site, sizeof site, "%s!%s%s", con_module_name(s, f->d.module), f->d.function, "");
    else if (f->d.module != (size_t)-1)
        snprintf(site, sizeof site, "%s", con_module_name(s, f->d.module));
    else
        snprintf(site, sizeof site, "%s", con_fmt_addr(s, f->ip, a));
    con_printf(s, "%s %s     %s", con_fmt_addr(s, f->sp, a), con_fmt_addr(s, next ? next->ip : 0, b), site);
    uint64_t off = f->d.has_function ? f->d.function_offset : f->d.module_offset;
    if (f->d.module != (size_t)-1 && off) con_printf(s, "+0x%" PRIx64, off);
    if (f->d.file[0] && f->d.line) con_printf(s, " [%s @ %u]", f->d.file, f->d.line);
    con_puts(s, "\n");
}

static void stack_text(con_session *s, const an_crash *c)
{
    const an_thread_stack *st = &c->stack;
    con_puts(s, "STACK_TEXT:  \n");
    for (size_t i = 0; i < st->nframes; i++) {
        if (c->recursion && i == c->cycle_start + c->cycle_len && c->cycle_repeats > 2) {
            /* Show one turn of the cycle, then where it began. */
            size_t skip = (c->cycle_repeats - 1) * c->cycle_len;
            con_printf(s, "...  (the %zu frame%s above repeat%s %zu times: %zu frames not shown)\n", c->cycle_len,
                       c->cycle_len == 1 ? "" : "s", c->cycle_len == 1 ? "s" : "", c->cycle_repeats, skip);
            i += skip - 1;
            continue;
        }
        frame_line(s, &st->frames[i], i + 1 < st->nframes ? &st->frames[i + 1] : NULL);
    }
    if (st->stop_reason[0]) con_printf(s, "(the walk stopped: %s)\n", st->stop_reason);
    con_puts(s, "\n");
}

int cmd_analyze(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    bool verbose = false;
    if (strcmp(args, "-v") == 0) verbose = true;
    else if (*args) return cor_fail(err, "Syntax error: !analyze [-v]");
    an_crash c;
    if (an_analyze_crash(s->t, &c, err) != COR_OK) return COR_FAIL;
    banner(s);
    if (!c.present) {
        con_puts(s, "The dump has no exception record: it was written on request (a hang dump).\n"
                    "Use ~*k to see what every thread is doing.\n");
        return COR_OK;
    }
    char a[24], sym[400];
    const an_frame *f0 = c.stack.nframes ? &c.stack.frames[0] : NULL;
    const an_frame *ff = c.stack.nframes ? &c.stack.frames[c.fault_frame] : NULL;
    if (verbose) {
        con_puts(s, "FAULTING_IP: \n");
        if (con_symbolize(s, c.address, false, sym, sizeof sym)) con_printf(s, "%s", sym);
        else con_printf(s, "%s", con_fmt_addr(s, c.address, a));
        if (f0 && f0->d.file[0] && f0->d.line) con_printf(s, " [%s @ %u]", f0->d.file, f0->d.line);
        con_puts(s, "\n");
        if (!con_print_instruction(s, f0 ? f0->ip : c.address))
            con_printf(s, "%s ??              ???\n", con_fmt_addr(s, f0 ? f0->ip : c.address, a));
        con_puts(s, "\nEXCEPTION_RECORD:  (.exr -1)\n");
        con_printf(s, "ExceptionAddress: %s", con_fmt_addr_plain(s, c.address, a));
        if (con_symbolize(s, c.address, true, sym, sizeof sym)) con_printf(s, " (%s)", sym);
        con_printf(s, "\n   ExceptionCode: %08x (%s)\n", c.code, c.name ? c.name : "unknown");
        con_printf(s, "  ExceptionFlags: %08x\n", c.flags);
        con_printf(s, "NumberParameters: %u\n", c.nparams);
        for (uint32_t i = 0; i < c.nparams; i++)
            con_printf(s, "   Parameter[%u]: %s\n", i, con_fmt_addr_plain(s, c.params[i], a));
        for (int i = 0; i < 4; i++)
            if (c.param_text[i][0]) con_printf(s, "%s\n", c.param_text[i]);
        con_puts(s, "\n");
    }
    const md_module *main_mod = md_module_at(s->t->dump, 0);
    if (main_mod) con_printf(s, "PROCESS_NAME:  %s\n\n", main_mod->name);
    con_printf(s, "EXCEPTION_CODE_STR:  %08x\n", c.code);
    if (c.symbol) con_printf(s, "EXCEPTION_CODE_NAME:  %s\n", c.symbol);
    con_printf(s, "EXCEPTION_CHANCE:  %s\n\n", c.chance == AN_CHANCE_FIRST    ? "first"
                                               : c.chance == AN_CHANCE_SECOND ? "second"
                                                                              : "unknown (the dump does not say)");
    if (c.is_av) {
        con_printf(s, "%s_ADDRESS:  %s\n\n",
                   strcmp(c.av_access, "write") == 0 ? "WRITE" : strcmp(c.av_access, "execute") == 0 ? "EXECUTE" : "READ",
                   con_fmt_addr_plain(s, c.av_address, a));
    }
    if (c.fast_fail) con_printf(s, "FAST_FAIL_CODE:  %" PRIu64 " (%s)\n\n", c.fast_fail_code, c.fast_fail);
    if (c.cpp_type[0]) con_printf(s, "CPP_EXCEPTION_TYPE:  %s\n\n", c.cpp_type);
    if (c.managed) con_puts(s, "MANAGED_EXCEPTION:  yes (use !pe and !clrstack on the faulting thread)\n\n");
    con_printf(s, "EXCEPTION_DESCRIPTION:  %s\n\n", c.meaning);
    if (c.thread_index != (size_t)-1) con_printf(s, "FAULTING_THREAD:  %08x\n\n", c.tid);
    if (c.recursion) {
        con_printf(s, "RECURSION:  %s, %zu times (frames %zu-%zu of %zu)\n\n", c.cycle_functions, c.cycle_repeats,
                   c.cycle_start, c.cycle_start + c.cycle_repeats * c.cycle_len - 1, c.stack.total_frames);
    }
    if (verbose) stack_text(s, &c);
    if (ff && ff->d.file[0] && ff->d.line) {
        con_printf(s, "FAULTING_SOURCE_FILE:  %s\n", ff->d.file);
        con_printf(s, "FAULTING_SOURCE_LINE_NUMBER:  %u\n\n", ff->d.line);
    }
    if (ff && ff->d.module != (size_t)-1) {
        if (ff->d.has_function)
            con_printf(s, "SYMBOL_NAME:  %s!%s+%" PRIx64 "\n\n", con_module_name(s, ff->d.module), ff->d.function,
                       ff->d.function_offset);
        con_printf(s, "MODULE_NAME: %s\n\n", con_module_name(s, ff->d.module));
        con_printf(s, "IMAGE_NAME:  %s\n\n", ff->module);
    }
    if (c.thread_index != (size_t)-1)
        con_printf(s, "STACK_COMMAND:  ~%zus; .ecxr ; kb\n\n", c.thread_index);
    con_printf(s, "FAILURE_BUCKET_ID:  %s\n\n", c.bucket);
    an_crash_free(&c);
    return COR_OK;
}
