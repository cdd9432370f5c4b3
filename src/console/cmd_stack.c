/* Stack commands: k and its variants (kb, kn, kv, kp, kL, kc, kf), .frame,
 * in WinDbg's column layouts. x64 shows Child-SP/RetAddr, x86
 * ChildEBP/RetAddr; calls inlined at a frame are printed above it as
 * WinDbg does, marked "(Inline Function)". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/con_internal.h"
#include "target/frame_desc.h"
#include "unwind/unwind.h"

/* WinDbg shows 20 frames by default (.kframes); `k 100` asks for more. */
#define DEFAULT_FRAMES 20

typedef struct k_opts {
    bool args;      /* b: first three (x86) or four (x64) stack arguments */
    bool numbers;   /* n: frame numbers */
    bool verbose;   /* v: as b, plus FPO and trust details */
    bool params;    /* p/P: parameters (names only where types are unknown) */
    bool no_lines;  /* L: no source lines */
    bool compact;   /* c: call site only */
    bool sizes;     /* f: frame sizes */
    size_t count;
} k_opts;

static int parse_k(const char *args, k_opts *o, cor_err *err)
{
    memset(o, 0, sizeof *o);
    o->count = DEFAULT_FRAMES;
    const char *p = args;
    /* Options attach to k, the count does not (WinDbg's rule): the
     * dispatcher keeps one blank before the arguments when there was one
     * (CON_SPACED), so "k ffff" arrives as " ffff", a count, and "kf" as
     * "f". An attached count must start with a digit ("k20"). */
    for (; *p && *p != ' ' && *p != '=' && !(p == args && *p >= '0' && *p <= '9'); p++) {
        switch (*p) {
        case 'b': o->args = true; break;
        case 'n': o->numbers = true; break;
        case 'v': o->args = o->verbose = true; break;
        case 'p': case 'P': o->params = true; break;
        case 'L': o->no_lines = true; break;
        case 'c': o->compact = true; break;
        case 'f': o->sizes = true; break;
        case 'd': break; /* kd: raw stack dump is not supported; treated as k */
        default: return cor_fail(err, "Syntax error: unknown k option '%c'", *p);
        }
    }
    while (*p == ' ') p++;
    if (*p == '=')
        return cor_fail(err, "k = BasePtr is not supported (use .cxr or .frame)");
    if (*p) {
        char *end;
        unsigned long long n = strtoull(p, &end, 16);
        while (*end == ' ') end++;
        if (end == p || *end)
            return cor_fail(err, "Syntax error in frame count '%s'", p);
        o->count = n ? (size_t)n : 1;
    }
    if (o->count > UW_MAX_FRAMES) o->count = UW_MAX_FRAMES;
    return COR_OK;
}

/* "module!function+0x1a [file @ line]" as WinDbg prints a call site. */
static void print_call_site(con_session *s, const frame_desc *d, uint64_t ip, const k_opts *o)
{
    if (d->module == (size_t)-1) {
        char b[24];
        con_printf(s, "%s", con_fmt_addr(s, ip, b));
    } else if (d->has_function) {
        con_printf(s, "%s!%s", con_module_name(s, d->module), d->function);
        if (d->function_offset) con_printf(s, "+0x%" PRIx64, d->function_offset);
        if (o->params) con_puts(s, "()");
    } else if (d->module_offset) {
        con_printf(s, "%s+0x%" PRIx64, con_module_name(s, d->module), d->module_offset);
    } else {
        con_printf(s, "%s", con_module_name(s, d->module));
    }
    if (!o->no_lines && d->file[0] && d->line) con_printf(s, " [%s @ %u]", d->file, d->line);
}

static void print_header(con_session *s, const k_opts *o)
{
    bool x86 = con_ptr_size(s) == 4;
    if (o->numbers) con_puts(s, " # ");
    if (o->compact) {
        con_puts(s, "Call Site\n");
        return;
    }
    if (o->sizes) con_puts(s, x86 ? "  Memory  " : "  Memory  ");
    if (x86) {
        con_puts(s, o->args ? "ChildEBP RetAddr  Args to Child              \n" : "ChildEBP RetAddr  \n");
        return;
    }
    if (o->args)
        con_puts(s, "Child-SP          RetAddr           : Args to Child                                         "
                    "                  : Call Site\n");
    else
        con_puts(s, "Child-SP          RetAddr               Call Site\n");
}

/* WinDbg's rows for calls inlined at a frame, innermost first as the stack
 * reads, above the frame they were inlined into: no stack pointer or
 * return address of their own, the frame's module, and the line each
 * function is at. */
static void print_inline_rows(con_session *s, const k_opts *o, const frame_inline *in, size_t nin, size_t *number,
                              const frame_desc *d)
{
    bool x86 = con_ptr_size(s) == 4;
    for (size_t k = nin; k-- > 0;) {
        if (o->numbers) con_printf(s, "%02zx ", (*number)++);
        if (!o->compact) {
            if (o->sizes) con_puts(s, "          ");
            con_puts(s, x86 ? "(Inline) -------- " : "(Inline Function) --------`-------- ");
            if (o->args && x86) con_puts(s, "-------- -------- -------- ");
            else if (o->args) con_puts(s, ": --------`-------- --------`-------- --------`-------- --------`-------- : ");
            else if (!x86) con_puts(s, "    ");
        }
        con_printf(s, "%s!%s", d->module != (size_t)-1 ? con_module_name(s, d->module) : "?", in[k].function);
        if (!o->no_lines && in[k].file[0] && in[k].line) con_printf(s, " [%s @ %u]", in[k].file, in[k].line);
        con_puts(s, "\n");
    }
}

/* Prints frames [first, first+count) of a walked stack. */
static void print_frames(con_session *s, const uw_stack *st, const k_opts *o, size_t first, size_t count)
{
    bool x86 = con_ptr_size(s) == 4;
    char a[24], b[24];
    size_t number = 0;
    for (size_t i = 0; i < st->count && i < first + count; i++) {
        const uw_frame *f = &st->frames[i];
        bool ret = i > 0;
        frame_inline in[16];
        size_t nin = target_inlines_at(s->t, f->regs.ip, ret, in, 16);
        if (i < first) {
            number += nin + 1;
            continue;
        }
        frame_desc d;
        target_describe(s->t, f->regs.ip, ret, &d);
        print_inline_rows(s, o, in, nin, &number, &d);
        /* With calls inlined here, the frame's own function is at the
         * outermost call's site (a Breakpad line record, say, names the
         * innermost function's line instead). */
        if (nin) {
            snprintf(d.file, sizeof d.file, "%s", in[0].call_file);
            d.line = in[0].call_line;
        }
        uint64_t retaddr = i + 1 < st->count ? st->frames[i + 1].regs.ip : 0;
        if (o->numbers) con_printf(s, "%02zx ", number);
        number++;
        if (!o->compact) {
            if (o->sizes) {
                if (i > 0) con_printf(s, "%8" PRIx64 "  ", f->regs.sp - st->frames[i - 1].regs.sp);
                else con_puts(s, "          ");
            }
            if (x86) {
                con_printf(s, "%08" PRIx64 " %08" PRIx64 " ", f->regs.fp & 0xffffffffu, retaddr & 0xffffffffu);
                if (o->args) {
                    for (int k = 0; k < 3; k++) {
                        uint64_t v = 0;
                        as_read_ptr(s->t->as, f->regs.fp + 8 + 4 * (uint64_t)k, 4, &v);
                        con_printf(s, "%08" PRIx64 " ", v);
                    }
                }
            } else {
                con_printf(s, "%s %s ", con_fmt_addr(s, f->regs.sp, a), con_fmt_addr(s, retaddr, b));
                if (o->args) {
                    /* The four register arguments' home slots above the return address. */
                    con_puts(s, ": ");
                    for (int k = 0; k < 4; k++) {
                        uint64_t v = 0;
                        as_read_ptr(s->t->as, f->regs.sp + 8 + 8 * (uint64_t)k, 8, &v);
                        con_printf(s, "%s ", con_fmt_addr(s, v, a));
                    }
                    con_puts(s, ": ");
                } else {
                    con_puts(s, "    ");
                }
            }
        }
        print_call_site(s, &d, f->regs.ip, o);
        if (o->verbose) con_printf(s, " (%s)", uw_trust_description(f->trust));
        con_puts(s, "\n");
    }
}

int con_walk_current(con_session *s, uw_stack *st, cor_err *err)
{
    return target_walk_thread(s->t, s->t->cur_thread, true, 0, st, err);
}

int cmd_k(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    k_opts o;
    if (parse_k(args, &o, err) != COR_OK) return COR_FAIL;
    if (!md_thread_count(s->t->dump) && !s->t->has_ctx_override) return cor_fail(err, "The dump has no thread list");
    uw_stack st;
    if (con_walk_current(s, &st, err) != COR_OK) return COR_FAIL;
    print_header(s, &o);
    print_frames(s, &st, &o, 0, o.count);
    uw_stack_free(&st);
    return COR_OK;
}

int cmd_frame(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    bool regs = false;
    while (*args == '/') {
        if (args[1] == 'r') regs = true;
        else if (args[1] != 'c') return cor_fail(err, "Syntax error: .frame [/r] [N]");
        args += 2;
        while (*args == ' ') args++;
    }
    uw_stack st;
    if (con_walk_current(s, &st, err) != COR_OK) return COR_FAIL;
    size_t n = s->cur_frame;
    if (*args) {
        char *end;
        unsigned long long v = strtoull(args, &end, 16);
        while (*end == ' ') end++;
        if (end == args || *end) {
            uw_stack_free(&st);
            return cor_fail(err, "Syntax error in frame number '%s'", args);
        }
        n = (size_t)v;
    }
    if (n >= st.count) {
        size_t c = st.count;
        uw_stack_free(&st);
        return cor_fail(err, "Frame %zx is past the end of the stack (%zu frames)", n, c);
    }
    s->cur_frame = n;
    k_opts o = { .numbers = true };
    /* Print frame n alone, numbered as in kn. */
    print_frames(s, &st, &o, n, 1);
    if (regs) con_print_registers(s, &st.frames[n].regs);
    uw_stack_free(&st);
    return COR_OK;
}
