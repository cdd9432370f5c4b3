/* u: disassembly in WinDbg's layout,
 *   00007ffc`2f6ed0f0 4c8bd1          mov     r10,rcx
 * with direct branch targets named by module+offset. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

#include "disasm/disasm.h"
#include "sym/resolver.h"

#define U_DEFAULT_COUNT 8
#define MAX_INSN 16

static dis_engine *engine(con_session *s, cor_err *err)
{
    /* The effective machine's instruction set (.effmach closes the engine). */
    if (!s->dis && dis_open(s->t->eff_arch, &s->dis, err) != COR_OK) return NULL;
    return s->dis;
}

size_t con_print_instruction(con_session *s, uint64_t addr)
{
    cor_err err;
    dis_engine *e = engine(s, &err);
    uint8_t code[MAX_INSN];
    size_t got = as_read_partial(s->t->as, addr, code, sizeof code);
    dis_insn in;
    if (!e || !got || dis_one(e, code, got, addr, &in, &err) != COR_OK) return 0;
    char a[24], hex[2 * MAX_INSN + 1];
    for (size_t i = 0; i < in.size; i++) snprintf(hex + 2 * i, 3, "%02x", in.bytes[i]);
    char ops[300];
    snprintf(ops, sizeof ops, "%s", in.operands);
    if (in.has_target) {
        char sym[256], ta[24];
        if (con_symbolize(s, in.target, false, sym, sizeof sym))
            snprintf(ops, sizeof ops, "%s (%s)", sym, con_fmt_addr(s, in.target, ta));
        else
            snprintf(ops, sizeof ops, "%s", con_fmt_addr(s, in.target, ta));
    }
    /* The byte column is 16 wide; longer encodings push the mnemonic on by one blank. */
    const char *gap = strlen(hex) >= 16 ? " " : "";
    if (*ops) con_printf(s, "%s %-16s%s%-7s %s\n", con_fmt_addr(s, addr, a), hex, gap, in.mnemonic, ops);
    else con_printf(s, "%s %-16s%s%s\n", con_fmt_addr(s, addr, a), hex, gap, in.mnemonic);
    return in.size;
}

int cmd_unassemble(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t addr, count = U_DEFAULT_COUNT;
    while (*args == ' ') args++;
    if (*args) {
        expr_range r;
        const char *end;
        if (con_range(s, args, 1, &r, &end, err) != COR_OK) return COR_FAIL;
        addr = r.start;
        /* The range parser counts bytes; `u ADDR L N` counts instructions,
         * `u ADDR ADDR2` stops after the instruction at ADDR2. */
        bool l_count = false;
        for (const char *p = args; *p; p++)
            if ((*p == 'L' || *p == 'l') && (p == args || p[-1] == ' ')) l_count = true;
        if (r.has_count && l_count) {
            count = r.count;
        } else if (r.has_count) {
            uint64_t last = addr + r.count - 1, a = addr;
            if (!engine(s, err)) return COR_FAIL;
            while (a <= last) {
                size_t n = con_print_instruction(s, a);
                if (!n) break;
                a += n;
            }
            s->has_next_u = true;
            s->next_u_addr = a;
            return COR_OK;
        }
    } else if (s->has_next_u) {
        addr = s->next_u_addr;
    } else {
        md_context c;
        if (target_current_context(s->t, &c, err) != COR_OK) return COR_FAIL;
        addr = c.ip;
    }
    if (!engine(s, err)) return COR_FAIL;
    char sym[300];
    if (con_symbolize(s, addr, false, sym, sizeof sym)) con_printf(s, "%s:\n", sym);
    for (uint64_t i = 0; i < count; i++) {
        size_t n = con_print_instruction(s, addr);
        if (!n) {
            char a[24];
            con_printf(s, "%s ??              ???\n", con_fmt_addr(s, addr, a));
            if (i == 0) {
                s->has_next_u = false;
                return COR_OK;
            }
            break;
        }
        addr += n;
    }
    s->has_next_u = true;
    s->next_u_addr = addr;
    return COR_OK;
}

/* uf ADDR: the whole function containing ADDR, from its start to its end
 * as the symbols give them; without a size (publics, exports), up to the
 * first return (at most 1024 instructions). */
#define UF_MAX 1024

int cmd_unassemble_function(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t addr;
    const char *end;
    while (*args == ' ') args++;
    if (!*args) return cor_fail(err, "Syntax error: uf ADDR");
    if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
    size_t mi;
    bool has;
    sym_hit hit;
    if (!sym_resolve(s->t->syms, addr, &mi, &has, &hit) || !has) {
        char a[24];
        return cor_fail(err, "No function known at %s: uf needs symbols", con_fmt_addr(s, addr, a));
    }
    if (!engine(s, err)) return COR_FAIL;
    uint64_t start = md_module_at(s->t->dump, mi)->base + hit.func_rva;
    uint64_t stop = hit.func_size ? start + hit.func_size : UINT64_MAX;
    char sym[300];
    if (con_symbolize(s, start, false, sym, sizeof sym)) con_printf(s, "%s:\n", sym);
    uint64_t a = start;
    for (int i = 0; i < UF_MAX && a < stop; i++) {
        uint8_t code[MAX_INSN];
        size_t got = as_read_partial(s->t->as, a, code, sizeof code);
        dis_insn in;
        cor_err derr;
        if (!got || dis_one(s->dis, code, got, a, &in, &derr) != COR_OK) {
            char ab[24];
            con_printf(s, "%s ??              ???\n", con_fmt_addr(s, a, ab));
            break;
        }
        con_print_instruction(s, a);
        a += in.size;
        if (!hit.func_size && strncmp(in.mnemonic, "ret", 3) == 0) break;
    }
    return COR_OK;
}
