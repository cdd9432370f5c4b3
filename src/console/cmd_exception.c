/* The exception: .exr (the record), .ecxr (its register context), .cxr
 * (back to the thread's own context). */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

#include "core/cursor.h"
#include "dump/ntstatus.h"


#define STATUS_ACCESS_VIOLATION 0xC0000005u
#define STATUS_IN_PAGE_ERROR 0xC0000006u
#define STATUS_STACK_BUFFER_OVERRUN 0xC0000409u

/* An exception record, from the dump's stream or from memory. */
typedef struct exr {
    uint32_t code, flags, nparams;
    uint64_t address;
    uint64_t params[15];
} exr;

static void print_exr(con_session *s, const exr *x)
{
    char a[24], sym[300];
    con_printf(s, "ExceptionAddress: %s", con_fmt_addr_plain(s, x->address, a));
    if (con_symbolize(s, x->address, true, sym, sizeof sym)) con_printf(s, " (%s)", sym);
    con_puts(s, "\n");
    const char *what = md_exception_name(x->code);
    con_printf(s, "   ExceptionCode: %08x", x->code);
    if (what) con_printf(s, " (%s)", what);
    con_printf(s, "\n  ExceptionFlags: %08x\nNumberParameters: %u\n", x->flags, x->nparams);
    uint32_t shown = x->nparams < 15 ? x->nparams : 15;
    for (uint32_t i = 0; i < shown; i++)
        con_printf(s, "   Parameter[%u]: %s\n", i, con_fmt_addr_plain(s, x->params[i], a));
    /* The interpretations WinDbg adds under the parameters. */
    if ((x->code == STATUS_ACCESS_VIOLATION || x->code == STATUS_IN_PAGE_ERROR) && shown >= 2) {
        const char *verb = x->params[0] == 0 ? "Attempt to read from address"
                         : x->params[0] == 1 ? "Attempt to write to address"
                         : x->params[0] == 8 ? "Attempt to execute non-executable address" : NULL;
        if (verb) con_printf(s, "%s %s\n", verb, con_fmt_addr_plain(s, x->params[1], a));
        if (x->code == STATUS_IN_PAGE_ERROR && shown >= 3)
            con_printf(s, "Error code: %08" PRIx64 "\n", x->params[2] & 0xFFFFFFFFu);
    }
    if (x->code == STATUS_STACK_BUFFER_OVERRUN && shown >= 1) {
        uint64_t sub = x->params[0];
        const char *n = md_fast_fail_name(sub);
        con_printf(s, "Subcode: 0x%" PRIx64 " %s\n", sub, n ? n : "(unknown)");
    }
}

/* EXCEPTION_RECORD32 / EXCEPTION_RECORD64 as they lie in process memory
 * (winnt.h): code, flags, record pointer, address, count, then 15 params. */
static int read_exr(con_session *s, uint64_t addr, exr *x, cor_err *err)
{
    unsigned ps = con_ptr_size(s);
    size_t size = ps == 4 ? 0x50 : 0x98;
    uint8_t b[0x98];
    char a[24];
    if (as_read(s->t->as, addr, b, size, err) != COR_OK)
        return cor_fail(err, "Cannot read the exception record at %s: not in the dump", con_fmt_addr(s, addr, a));
    memset(x, 0, sizeof *x);
    x->code = le32(b);
    x->flags = le32(b + 4);
    if (ps == 4) {
        x->address = le32(b + 0xC);
        x->nparams = le32(b + 0x10);
        for (int i = 0; i < 15; i++) x->params[i] = le32(b + 0x14 + 4 * i);
    } else {
        x->address = le64(b + 0x10);
        x->nparams = le32(b + 0x18);
        for (int i = 0; i < 15; i++) x->params[i] = le64(b + 0x20 + 8 * i);
    }
    return COR_OK;
}

int cmd_exr(con_session *s, const char *name, const char *args, cor_err *err)
{
    exr x;
    if (!*args) return cor_fail(err, "Syntax error: .exr needs -1 or an address");
    if (strcmp(args, "-1") == 0) {
        const md_exception *e = md_get_exception(s->t->dump);
        if (!e) return cor_fail(err, "The dump has no exception record");
        memset(&x, 0, sizeof x);
        x.code = e->code;
        x.flags = e->flags;
        x.address = e->address;
        x.nparams = e->nparams;
        memcpy(x.params, e->params, sizeof x.params);
    } else {
        uint64_t addr;
        const char *end;
        if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
        if (*end) return cor_fail(err, "Syntax error at '%s'", end);
        if (read_exr(s, addr, &x, err) != COR_OK) return COR_FAIL;
    }
    print_exr(s, &x);
    return COR_OK;
}

int cmd_ecxr(con_session *s, const char *name, const char *args, cor_err *err)
{
    const md_exception *e = md_get_exception(s->t->dump);
    /* WinDbg's words when there is no exception to switch to. */
    if (!e || !e->context.size) return cor_fail(err, "Unable to get exception context, HRESULT 0x8000FFFF");
    md_context c;
    /* An x86 CONTEXT in a 64-bit dump: a WoW64 writer recorded the 32-bit
     * program's exception as it saw it. No AMD64 CONTEXT has that size. */
    uint16_t arch = e->context.size == md_context_size(MD_ARCH_X86) ? MD_ARCH_X86 : s->t->arch;
    if (md_context_read(s->t->dump, e->context, arch, &c, err) != COR_OK)
        return cor_wrap(err, "exception context");
    s->t->ctx_override = c;
    s->t->has_ctx_override = true;
    con_print_registers(s, &c);
    con_print_location(s, c.ip);
    return COR_OK;
}

int cmd_cxr(con_session *s, const char *name, const char *args, cor_err *err)
{
    if (!*args) {
        s->t->has_ctx_override = false;
        s->cur_frame = 0;
        con_puts(s, "Resetting default scope\n");
        return COR_OK;
    }
    /* A CONTEXT record in memory: the ones exception filters and
     * KiUserExceptionDispatcher leave on the stack. */
    uint64_t addr;
    const char *end;
    if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
    if (*end) return cor_fail(err, "Syntax error at '%s'", end);
    size_t size = md_context_size(s->t->eff_arch); /* an x86 CONTEXT in a WoW64 x86 view */
    uint8_t buf[0x4D0];
    if (!size || size > sizeof buf) return cor_fail(err, ".cxr is not supported for this architecture");
    if (as_read(s->t->as, addr, buf, size, err) != COR_OK) return cor_wrap(err, "CONTEXT record");
    md_context c;
    if (md_context_decode(buf, size, s->t->eff_arch, &c, err) != COR_OK) return cor_wrap(err, "CONTEXT record");
    s->t->ctx_override = c;
    s->t->has_ctx_override = true;
    s->cur_frame = 0;
    con_print_registers(s, &c);
    con_print_location(s, c.ip);
    return COR_OK;
}
