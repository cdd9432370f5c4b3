/* Crash analysis: the exception decoded, the faulting thread's stack walked
 * from the exception context, and the verdict a bucket id names. */
#include "analysis/crash.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm/disasm.h"
#include "dump/ntstatus.h"

#define CODE_AV 0xC0000005u
#define CODE_IN_PAGE 0xC0000006u
#define CODE_STACK_OVERFLOW 0xC00000FDu
#define CODE_HEAP_CORRUPTION 0xC0000374u
#define CODE_FAST_FAIL 0xC0000409u
#define CODE_BREAKPOINT 0x80000003u
#define CODE_WX86_BREAKPOINT 0x4000001Fu
#define CODE_CPP 0xE06D7363u
#define CODE_CLR 0xE0434352u
#define CODE_CLR_V1 0xE0434F4Du
/* The first parameter of an MSVC C++ throw (EH_MAGIC_NUMBER1). */
#define CPP_MAGIC 0x19930520u

/* Modules whose frames are the messenger, not the culprit: the fault is
 * blamed on the first frame outside them, as WinDbg's followup does. */
static const char *const system_modules[] = {
    "ntdll.dll", "kernel32.dll", "kernelbase.dll", "ucrtbase.dll", "msvcrt.dll", "vcruntime140.dll",
    "vcruntime140_1.dll", "msvcp140.dll", "user32.dll", "win32u.dll", "combase.dll", "rpcrt4.dll",
    "ole32.dll", "ws2_32.dll", "mswsock.dll", "wow64.dll", "wow64win.dll", "wow64cpu.dll",
};

static bool is_system_module(const char *name)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof system_modules / sizeof system_modules[0]; i++)
        if (strcasecmp(name, system_modules[i]) == 0)
            return true;
    return false;
}

/* ProcDump and DebugDiag say in the dump's comment whether the exception
 * was first or second chance; the Exception stream has no such field. */
static an_chance chance_from_comment(cor_target *t)
{
    const char *cs[2] = { md_comment_a(t->dump), md_comment_w(t->dump) };
    for (int i = 0; i < 2; i++) {
        if (!cs[i])
            continue;
        char low[512];
        size_t n = 0;
        for (; cs[i][n] && n + 1 < sizeof low; n++)
            low[n] = (char)tolower((unsigned char)cs[i][n]);
        low[n] = 0;
        if (strstr(low, "first chance") || strstr(low, "first-chance"))
            return AN_CHANCE_FIRST;
        if (strstr(low, "second chance") || strstr(low, "second-chance") || strstr(low, "unhandled"))
            return AN_CHANCE_SECOND;
    }
    return AN_CHANCE_UNKNOWN;
}

static void class_from_symbol(an_crash *c)
{
    const char *s = c->symbol ? c->symbol : "UNKNOWN_EXCEPTION";
    if (strncmp(s, "STATUS_", 7) == 0)
        s += 7;
    snprintf(c->class_name, sizeof c->class_name, "%s", s);
}

/* ---- C++ exceptions: the thrown type from the ThrowInfo -------------
 * MSVC's _CxxThrowException raises 0xE06D7363 with the object, its
 * ThrowInfo and (64-bit) the image base all RVAs are relative to.
 * ThrowInfo: attributes, pmfnUnwind, pForwardCompat, pCatchableTypeArray;
 * CatchableTypeArray: count, then CatchableType refs, the first being the
 * thrown (most derived) type; CatchableType: properties, pType, ...;
 * TypeDescriptor: vftable, spare, then the decorated name ".?AVname@ns@@". */

static void undecorate_type(const char *dec, char *out, size_t size)
{
    if ((strncmp(dec, ".?AV", 4) == 0 || strncmp(dec, ".?AU", 4) == 0) && !strchr(dec, '$')) {
        /* name@ns1@ns2@@ -> ns2::ns1::name */
        const char *p = dec + 4;
        const char *parts[16];
        size_t lens[16], n = 0;
        while (*p && *p != '@' && n < 16) {
            const char *e = strchr(p, '@');
            if (!e)
                break;
            parts[n] = p;
            lens[n++] = (size_t)(e - p);
            p = e + 1;
        }
        if (n > 0) {
            size_t o = 0;
            out[0] = 0;
            for (size_t k = n; k-- > 0 && o < size;) {
                int w = snprintf(out + o, size - o, "%.*s%s", (int)lens[k], parts[k], k ? "::" : "");
                if (w < 0)
                    break;
                o += (size_t)w;
            }
            return;
        }
    }
    static const struct { const char *dec, *name; } prims[] = {
        { ".H", "int" }, { ".I", "unsigned int" }, { ".J", "long" }, { ".K", "unsigned long" },
        { ".D", "char" }, { ".E", "unsigned char" }, { ".F", "short" }, { ".G", "unsigned short" },
        { ".M", "float" }, { ".N", "double" }, { "._J", "__int64" }, { "._K", "unsigned __int64" },
        { ".PEAD", "char *" }, { ".PAD", "char *" }, { ".PEBD", "char const *" }, { ".PBD", "char const *" },
    };
    for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
        if (strcmp(dec, prims[i].dec) == 0) {
            snprintf(out, size, "%s", prims[i].name);
            return;
        }
    snprintf(out, size, "%s", dec);
}

static bool rd32(cor_target *t, uint64_t a, uint32_t *v)
{
    return as_read_u32(t->as, a, v) == COR_OK;
}

static void cpp_thrown_type(cor_target *t, an_crash *c)
{
    if (c->nparams < 3 || (uint32_t)c->params[0] != CPP_MAGIC)
        return;
    bool rel = c->nparams >= 4 && t->ptr_size == 8; /* 64-bit: RVAs from params[3] */
    uint64_t base = rel ? c->params[3] : 0;
    uint64_t ti = c->params[2];
    uint32_t cta_ref, n, ct_ref, td_ref;
    if (!ti || !rd32(t, ti + 12, &cta_ref) || !cta_ref)
        return;
    uint64_t cta = base + cta_ref;
    if (!rd32(t, cta, &n) || n == 0 || n > 4096 || !rd32(t, cta + 4, &ct_ref))
        return;
    uint64_t ct = base + ct_ref;
    if (!rd32(t, ct + 4, &td_ref))
        return;
    uint64_t td = base + td_ref;
    char *name = as_read_cstr(t->as, td + 2u * t->ptr_size, 256, 0);
    if (!name)
        return;
    if (name[0] == '.')
        undecorate_type(name, c->cpp_type, sizeof c->cpp_type);
    free(name);
}

/* ---- recursion ------------------------------------------------------- */

/* What makes two frames "the same place" for recursion: the function when
 * symbols name it (return addresses differ from the faulting address), the
 * address otherwise. */
static uint64_t frame_key(const an_frame *f)
{
    if (f->d.module != (size_t)-1 && f->d.has_function)
        return ((uint64_t)f->d.module << 40) ^ (f->d.module_offset - f->d.function_offset);
    return f->ip;
}

static void find_recursion(an_crash *c)
{
    const an_thread_stack *s = &c->stack;
    size_t n = s->nframes;
    size_t best_cover = 0;
    for (size_t len = 1; len <= 16 && len < n; len++) {
        for (size_t start = 0; start < 64 && start + len < n; start++) {
            size_t j = start;
            while (j + len < n && frame_key(&s->frames[j]) == frame_key(&s->frames[j + len]))
                j++;
            size_t cover = j - start + len;
            size_t repeats = cover / len;
            if (repeats >= 4 && cover > best_cover) {
                best_cover = cover;
                c->recursion = true;
                c->cycle_start = start;
                c->cycle_len = len;
                c->cycle_repeats = repeats;
            }
            if (cover >= n / 2)
                break;
        }
    }
    if (!c->recursion)
        return;
    size_t o = 0;
    for (size_t k = 0; k < c->cycle_len && o < sizeof c->cycle_functions; k++) {
        char name[600];
        an_frame f = s->frames[c->cycle_start + k];
        f.d.function_offset = 0; /* the function, not where in it */
        an_frame_name(&f, 8, name, sizeof name);
        int w = snprintf(c->cycle_functions + o, sizeof c->cycle_functions - o, "%s%s", k ? " -> " : "", name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* ---- the verdict ----------------------------------------------------- */

static void describe(cor_target *t, an_crash *c)
{
    int w = t->ptr_size == 4 ? 8 : 16;
    switch (c->code) {
    case CODE_AV:
    case CODE_IN_PAGE:
        if (c->nparams >= 2) {
            c->is_av = true;
            c->av_address = c->params[1];
            snprintf(c->av_access, sizeof c->av_access, "%s",
                     c->params[0] == 0 ? "read" : c->params[0] == 1 ? "write" : c->params[0] == 8 ? "execute"
                                                                                               : "access");
            /* WinDbg's own line under the parameters. */
            snprintf(c->param_text[0], sizeof c->param_text[0], "Attempt to %s%s address %0*" PRIx64, c->av_access,
                     c->params[0] == 8 ? " at" : c->params[0] == 0 ? " from" : " to", w, c->av_address);
            bool null = c->av_address < 0x10000;
            snprintf(c->meaning, sizeof c->meaning, "The thread tried to %s address %0*" PRIx64 "%s.",
                     c->params[0] == 8 ? "execute code at" : c->av_access, w, c->av_address,
                     null ? ", in the first 64 KB, which is never mapped: a null pointer dereference"
                          : c->params[0] == 8 ? ", which is not executable (DEP) or not mapped"
                                              : ", which is not mapped or not accessible that way");
        }
        break;
    case CODE_STACK_OVERFLOW:
        if (c->recursion)
            snprintf(c->meaning, sizeof c->meaning,
                     "The thread ran out of stack: %s repeats %zu times%s.", c->cycle_functions, c->cycle_repeats,
                     c->stack.total_frames > c->cycle_repeats * c->cycle_len ? " (unbounded recursion)" : "");
        else
            snprintf(c->meaning, sizeof c->meaning,
                     "The thread ran out of stack (%zu frames), without a repeating call cycle: look for large "
                     "stack allocations.", c->stack.total_frames);
        break;
    case CODE_FAST_FAIL:
        if (c->nparams >= 1) {
            c->fast_fail_code = c->params[0];
            c->fast_fail = md_fast_fail_name(c->params[0]);
            snprintf(c->param_text[0], sizeof c->param_text[0], "Subcode: 0x%" PRIx64 " %s", c->params[0],
                     c->fast_fail ? c->fast_fail : "(unknown)");
        }
        snprintf(c->meaning, sizeof c->meaning,
                 "The process terminated itself with __fastfail(%" PRIu64 ")%s%s: a security check or a runtime "
                 "that found its state corrupt, so no handler ran.",
                 c->fast_fail_code, c->fast_fail ? " " : "", c->fast_fail ? c->fast_fail : "");
        break;
    case CODE_HEAP_CORRUPTION:
        snprintf(c->meaning, sizeof c->meaning,
                 "The NT heap found its own structures corrupt. The code that corrupted them ran earlier "
                 "(an overrun, a double free or a use after free); this stack only shows who noticed.");
        break;
    case CODE_BREAKPOINT:
    case CODE_WX86_BREAKPOINT:
        snprintf(c->meaning, sizeof c->meaning,
                 "A breakpoint instruction (int 3) ran: DebugBreak(), an assertion, or a debugger's break-in.");
        break;
    case CODE_CPP:
        if (c->nparams >= 3) {
            snprintf(c->param_text[0], sizeof c->param_text[0], "Magic: %08" PRIx64, c->params[0]);
            snprintf(c->param_text[1], sizeof c->param_text[1], "Exception object: %0*" PRIx64, w, c->params[1]);
            snprintf(c->param_text[2], sizeof c->param_text[2], "ThrowInfo: %0*" PRIx64, w, c->params[2]);
            if (c->nparams >= 4)
                snprintf(c->param_text[3], sizeof c->param_text[3], "Image base: %0*" PRIx64, w, c->params[3]);
        }
        cpp_thrown_type(t, c);
        snprintf(c->meaning, sizeof c->meaning, "A C++ exception%s%s was thrown%s.", c->cpp_type[0] ? " of type " : "",
                 c->cpp_type, c->chance == AN_CHANCE_SECOND ? " and nothing caught it" : "");
        break;
    case CODE_CLR:
    case CODE_CLR_V1:
        c->managed = true;
        snprintf(c->meaning, sizeof c->meaning,
                 "A .NET exception was thrown; its type and message live in the managed heap (!pe, !clrstack "
                 "on this thread).");
        break;
    default:
        snprintf(c->meaning, sizeof c->meaning, "%s.", c->name ? c->name : "An exception with an unknown code");
    }
}

static void disassemble(cor_target *t, an_crash *c)
{
    uint64_t ip = c->stack.nframes ? c->stack.frames[0].ip : c->address;
    uint8_t code[16];
    size_t n = as_read_partial(t->as, ip, code, sizeof code);
    dis_engine *e;
    cor_err err;
    if (!n || dis_open(t->arch, &e, &err) != COR_OK)
        return;
    dis_insn in;
    if (dis_one(e, code, n, ip, &in, &err) == COR_OK) {
        char hex[40] = "";
        for (size_t k = 0; k < in.size && k < 16; k++)
            snprintf(hex + 2 * k, sizeof hex - 2 * k, "%02x", in.bytes[k]);
        snprintf(c->instruction, sizeof c->instruction, "%0*" PRIx64 " %-15s %-7s %s", t->ptr_size == 4 ? 8 : 16,
                 ip, hex, in.mnemonic, in.operands);
        size_t l = strlen(c->instruction);
        while (l && c->instruction[l - 1] == ' ')
            c->instruction[--l] = 0;
    }
    dis_close(e);
}

static void blame(an_crash *c)
{
    const an_thread_stack *s = &c->stack;
    c->fault_frame = 0;
    for (size_t i = 0; i < s->nframes; i++)
        if (s->frames[i].module && !is_system_module(s->frames[i].module)) {
            c->fault_frame = i;
            break;
        }
    char where[600];
    if (s->nframes) {
        const an_frame *f = &s->frames[c->fault_frame];
        an_frame_name(f, 8, c->fault_frame_name, sizeof c->fault_frame_name);
        if (f->module && f->d.has_function)
            snprintf(where, sizeof where, "%s!%s", f->module, f->d.function);
        else if (f->module)
            snprintf(where, sizeof where, "%s!Unknown", f->module);
        else
            snprintf(where, sizeof where, "Unknown");
    } else {
        snprintf(where, sizeof where, "Unknown");
    }
    snprintf(c->bucket, sizeof c->bucket, "%s_%08x_%s", c->class_name, c->code, where);
}

int an_analyze_crash(cor_target *t, an_crash *c, cor_err *err)
{
    memset(c, 0, sizeof *c);
    c->thread_index = (size_t)-1;
    /* The stack stays empty when the exception's thread id is not in the
     * thread list (a corrupt or foreign dump); its readers test
     * stop_reason[0], so it must be a string, not NULL. */
    c->stack.stop_reason = "";
    const md_exception *x = md_get_exception(t->dump);
    if (!x)
        return COR_OK;
    c->present = true;
    c->code = x->code;
    c->symbol = md_exception_symbol(x->code);
    c->name = md_exception_name(x->code);
    c->address = x->address;
    c->flags = x->flags;
    c->nparams = x->nparams > 15 ? 15 : x->nparams;
    memcpy(c->params, x->params, sizeof c->params);
    c->chance = chance_from_comment(t);
    c->tid = x->tid;
    c->thread_index = target_thread_index(t, x->tid);
    class_from_symbol(c);
    if (c->thread_index != (size_t)-1 &&
        an_walk_thread(t, c->thread_index, true, &c->stack, 0, err) != COR_OK)
        return COR_FAIL;
    find_recursion(c);
    describe(t, c);
    disassemble(t, c);
    blame(c);
    return COR_OK;
}

void an_crash_free(an_crash *c)
{
    an_thread_stack_free(&c->stack);
    memset(c, 0, sizeof *c);
}
