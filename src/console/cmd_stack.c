/* Stack commands: k and its variants (kb, kn, kv, kp, kL, kc, kf), .frame,
 * in WinDbg's column layouts. x64 shows Child-SP/RetAddr, x86
 * ChildEBP/RetAddr; calls inlined at a frame are printed above it as
 * WinDbg does, marked "(Inline Function)". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/con_internal.h"
#include "sym/pdb/pdb.h"
#include "sym/resolver.h"
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

/* Our register index and byte width for a CodeView register number, or
 * false for registers a frame does not carry. */
static bool cv_register(uint16_t cv, unsigned *idx, unsigned *width)
{
    /* AMD64 numbers RAX RBX RCX RDX RSI RDI RBP RSP; ours RAX RCX RDX RBX RSP RBP RSI RDI. */
    static const unsigned amd64[8] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_RSP };
    if (cv >= PDB_CV_X86_EAX && cv < PDB_CV_X86_EAX + 8) {
        *idx = cv - PDB_CV_X86_EAX; /* same order as ours */
        *width = 4;
    } else if (cv >= PDB_CV_AMD64_RAX && cv < PDB_CV_AMD64_RAX + 8) {
        *idx = amd64[cv - PDB_CV_AMD64_RAX];
        *width = 8;
    } else if (cv >= PDB_CV_AMD64_R8 && cv < PDB_CV_AMD64_R8 + 8) {
        *idx = REG_R8 + (cv - PDB_CV_AMD64_R8);
        *width = 8;
    } else if (cv >= PDB_CV_AMD64_R8D && cv < PDB_CV_AMD64_R8D + 8) {
        *idx = REG_R8 + (cv - PDB_CV_AMD64_R8D);
        *width = 4;
    } else {
        return false;
    }
    return true;
}

/* One parameter's value as WinDbg's kp shows it: 0n decimal for signed
 * integers, hex for the rest, "<value unavailable>" where the frame no
 * longer holds it (a volatile register in a caller, say). */
static void print_param_value(con_session *s, pdb_types *tpi, const pdb_param *pp, const uw_frame *f)
{
    unsigned ps = con_ptr_size(s);
    uint64_t size = tpi ? pdb_type_size(tpi, pp->type, ps) : 0;
    uint64_t v = 0;
    unsigned idx, width;
    if (size == 0 || size > 8 || pp->where == PDB_PARAM_UNAVAILABLE || !cv_register(pp->reg, &idx, &width) ||
        !(f->valid & (1u << idx))) {
        con_puts(s, "<value unavailable>");
        return;
    }
    uint64_t r = f->regs.gpr[idx];
    if (width == 4) r &= 0xffffffffu;
    if (pp->where == PDB_PARAM_REGISTER) {
        v = r;
    } else {
        uint8_t b[8] = { 0 };
        if (as_read_partial(s->t->as, r + (uint64_t)(int64_t)pp->offset, b, (size_t)size) != size) {
            con_puts(s, "<memory unavailable>");
            return;
        }
        for (unsigned k = 0; k < size; k++) v |= (uint64_t)b[k] << (8 * k);
    }
    if (size < 8) v &= (1ull << (8 * size)) - 1;
    pdb_type t;
    uint32_t ti = pdb_type_strip(tpi, pp->type);
    char a[24];
    if (pdb_type_get(tpi, ti, &t) == COR_OK && t.kind == PDB_TYPE_POINTER) {
        con_printf(s, "0x%s", con_fmt_addr(s, v, a));
    } else if (pdb_type_get(tpi, ti, &t) == COR_OK && t.kind == PDB_TYPE_BASE && t.is_signed && !t.is_float) {
        int64_t sv = size < 8 && (v >> (8 * size - 1)) & 1 ? (int64_t)(v | ~((1ull << (8 * size)) - 1)) : (int64_t)v;
        con_printf(s, "0n%" PRId64, sv);
    } else {
        con_printf(s, "0x%" PRIx64, v);
    }
}

/* A type in C syntax, as kp prints parameters ("int", "void *", "struct
 * _RTL_CRITICAL_SECTION *"), where dt uses its own words ("Int4B"). */
static void c_type_name(pdb_types *tpi, uint32_t ti, unsigned depth, char *buf, size_t size)
{
    static const struct { uint8_t code; const char *name; } simple[] = {
        { 0x03, "void" }, { 0x10, "signed char" }, { 0x20, "unsigned char" }, { 0x68, "signed char" },
        { 0x69, "unsigned char" }, { 0x70, "char" }, { 0x71, "wchar_t" }, { 0x7a, "char16_t" },
        { 0x7b, "char32_t" }, { 0x7c, "char8_t" }, { 0x11, "short" }, { 0x21, "unsigned short" },
        { 0x72, "short" }, { 0x73, "unsigned short" }, { 0x12, "long" }, { 0x22, "unsigned long" },
        { 0x74, "int" }, { 0x75, "unsigned int" }, { 0x13, "__int64" }, { 0x23, "unsigned __int64" },
        { 0x76, "__int64" }, { 0x77, "unsigned __int64" }, { 0x40, "float" }, { 0x41, "double" },
        { 0x30, "bool" }, { 0x08, "HRESULT" },
    };
    buf[0] = 0;
    if (depth > 8) return;
    if (ti < 0x1000) {
        const char *n = "?";
        for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++)
            if (simple[k].code == (ti & 0xff)) n = simple[k].name;
        snprintf(buf, size, "%s%s", n, (ti >> 8) & 7 ? " *" : "");
        return;
    }
    pdb_type t;
    if (pdb_type_get(tpi, ti, &t) != COR_OK) {
        snprintf(buf, size, "?");
        return;
    }
    char inner[256];
    switch (t.kind) {
    case PDB_TYPE_POINTER:
        c_type_name(tpi, t.elem, depth + 1, inner, sizeof inner);
        snprintf(buf, size, "%.200s *", inner);
        break;
    case PDB_TYPE_MODIFIER:
        c_type_name(tpi, t.elem, depth + 1, inner, sizeof inner);
        snprintf(buf, size, "%s%.200s", t.modifiers & 1 ? "const " : "", inner);
        break;
    case PDB_TYPE_STRUCT: snprintf(buf, size, "struct %s", t.name); break;
    case PDB_TYPE_CLASS: snprintf(buf, size, "class %s", t.name); break;
    case PDB_TYPE_UNION: snprintf(buf, size, "union %s", t.name); break;
    case PDB_TYPE_ENUM: snprintf(buf, size, "enum %s", t.name); break;
    default: pdb_type_name(tpi, ti, 8, buf, size);
    }
}

/* "(int value = 0n5, char * p = 0x...)" from the PDB's parameter records;
 * nothing when the module has no PDB (WinDbg prints no list then either). */
static void print_params(con_session *s, const frame_desc *d, const uw_frame *f, bool caller)
{
    if (d->module == (size_t)-1 || sym_module_load(s->t->syms, d->module) != SYM_STATE_LOADED) return;
    pdb_file *p = pdb_source_file(sym_module_source(s->t->syms, d->module));
    if (!p) return;
    uint64_t at = f->regs.ip - (caller ? 1 : 0);
    uint32_t rva = (uint32_t)(at - md_module_at(s->t->dump, d->module)->base);
    pdb_param params[32];
    size_t n = 0;
    cor_err e;
    if (pdb_find_params(p, rva, con_ptr_size(s) == 8, params, 32, &n, NULL, 0, &e) != COR_OK) return;
    pdb_types *tpi = NULL;
    if (pdb_types_open(p, &tpi, &e) != COR_OK) tpi = NULL;
    con_puts(s, "(");
    for (size_t k = 0; k < n && k < 32; k++) {
        char tn[256] = "";
        if (tpi) c_type_name(tpi, params[k].type, 0, tn, sizeof tn);
        con_printf(s, "%s%s %s = ", k ? ", " : "", tn[0] ? tn : "?", params[k].name ? params[k].name : "?");
        print_param_value(s, tpi, &params[k], f);
    }
    con_puts(s, ")");
    pdb_types_close(tpi);
}

/* "module!function+0x1a [file @ line]" as WinDbg prints a call site; with
 * kp, the parameters go between the function and the offset. */
static void print_call_site(con_session *s, const frame_desc *d, const uw_frame *f, bool caller, const k_opts *o)
{
    uint64_t ip = f->regs.ip;
    if (d->module == (size_t)-1) {
        char b[24];
        con_printf(s, "%s", con_fmt_addr(s, ip, b));
    } else if (d->has_function) {
        con_printf(s, "%s!%s", con_module_name(s, d->module), d->function);
        if (o->params) print_params(s, d, f, caller);
        if (d->function_offset) con_printf(s, "+0x%" PRIx64, d->function_offset);
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
        print_call_site(s, &d, f, ret, o);
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
