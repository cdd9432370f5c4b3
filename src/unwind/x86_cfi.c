/* Unwinding an x86 frame with Breakpad STACK CFI rules (DWARF CFI that
 * dump_syms translated), as Breakpad's CFIFrameInfo and SimpleCFIWalker
 * evaluate them.
 *
 * A rule set is "NAME: EXPR NAME: EXPR ...", NAME being .cfa, .ra or a
 * register ($ebp). STACK CFI INIT gives the rules at a function's start;
 * each later STACK CFI line at or below the address replaces the rules it
 * names. Every expression is evaluated on its own over the callee's
 * registers: .cfa first, then the others, which may use .cfa. The caller's
 * eip is its $eip rule or else .ra, its esp $esp or else .cfa; ebp, ebx,
 * esi and edi that no rule mentions are callee-saved and keep the
 * callee's values when those are known. Without eip, esp and ebp the
 * rules are not used. */
#include <string.h>

#include "unwind/x86_internal.h"
#include "unwind/x86_program.h"

/* The registers Breakpad's x86 CFI walker maps, with $eip first (it has
 * no slot in md_context.gpr). */
enum { CFI_EIP, CFI_ESP, CFI_EBP, CFI_EAX, CFI_EBX, CFI_ECX, CFI_EDX, CFI_ESI, CFI_EDI, CFI_NREGS };

static const struct {
    const char *name;
    int gpr;           /* index into md_context.gpr, -1 for eip */
    bool callee_saved; /* unchanged in the caller unless a rule says */
} cfi_regs[CFI_NREGS] = {
    [CFI_EIP] = { "$eip", -1, false },      [CFI_ESP] = { "$esp", REG_RSP, false },
    [CFI_EBP] = { "$ebp", REG_RBP, true },  [CFI_EAX] = { "$eax", REG_RAX, false },
    [CFI_EBX] = { "$ebx", REG_RBX, true },  [CFI_ECX] = { "$ecx", REG_RCX, false },
    [CFI_EDX] = { "$edx", REG_RDX, false }, [CFI_ESI] = { "$esi", REG_RSI, true },
    [CFI_EDI] = { "$edi", REG_RDI, true },
};

/* An expression: a slice of the symbol file's text. */
typedef struct cfi_expr {
    const char *s;
    size_t len;
} cfi_expr;

typedef struct cfi_rules {
    cfi_expr cfa, ra;
    cfi_expr reg[CFI_NREGS];
} cfi_rules;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Files a finished "NAME: EXPR" pair. Rules for registers the x86 walker
 * does not map ($xmm0, say) are checked for form and then dropped, as
 * Breakpad computes and never reads them. */
static bool file_rule(cfi_rules *r, const char *name, size_t nlen, const char *expr, const char *end)
{
    if (nlen == 0 || !expr)
        return false; /* an expression before any name, or a name without one */
    cfi_expr e = { expr, (size_t)(end - expr) };
    if (nlen == 4 && memcmp(name, ".cfa", 4) == 0) {
        r->cfa = e;
        return true;
    }
    if (nlen == 3 && memcmp(name, ".ra", 3) == 0) {
        r->ra = e;
        return true;
    }
    for (size_t i = 0; i < CFI_NREGS; i++)
        if (strlen(cfi_regs[i].name) == nlen && memcmp(cfi_regs[i].name, name, nlen) == 0)
            r->reg[i] = e;
    return true;
}

/* Applies one rule set over r; false when it is malformed (Breakpad's
 * CFIRuleParser then drops the CFI for the address altogether). */
static bool parse_rule_set(cfi_rules *r, const char *s)
{
    const char *name = NULL, *expr = NULL, *expr_end = NULL;
    size_t nlen = 0;
    bool any = false;
    const char *p = s;
    for (;;) {
        while (*p && is_space(*p))
            p++;
        if (!*p)
            break;
        const char *t = p;
        while (*p && !is_space(*p))
            p++;
        size_t tlen = (size_t)(p - t);
        if (t[tlen - 1] == ':') {
            if (tlen < 2)
                return false;
            if (any && !file_rule(r, name, nlen, expr, expr_end))
                return false;
            name = t;
            nlen = tlen - 1;
            expr = expr_end = NULL;
        } else {
            if (!expr)
                expr = t;
            expr_end = p;
        }
        any = true;
    }
    return any && file_rule(r, name, nlen, expr, expr_end);
}

static bool read_stack(void *ctx, uint32_t addr, uint32_t *v)
{
    return x86_stack_read(ctx, addr, v);
}

/* Evaluates e over a fresh copy of the callee's registers (one rule's
 * assignments must not leak into the next, as Breakpad resets its
 * dictionary for each). */
static bool eval_rule(const x86_prog_env *callee_regs, const cfi_expr *e, const uint32_t *cfa, uint32_t *out)
{
    x86_prog_env env = *callee_regs;
    if (cfa && !x86_prog_set(&env, ".cfa", *cfa))
        return false;
    return x86_prog_eval(&env, e->s, e->len, out);
}

bool x86_caller_by_cfi(uw_walker *w, const uw_frame *callee, uw_frame *caller)
{
    uint64_t pc = x86_frame_pc(callee);
    size_t mi;
    const md_module *m = uw_module_at(w, pc, &mi);
    if (!m)
        return false;
    const bp_symbols *bp = uw_module_breakpad(w, mi);
    bp_cfi_rules found;
    if (!bp || !bp_find_cfi(bp, (uint32_t)(pc - m->base), &found))
        return false;
    cfi_rules rules;
    memset(&rules, 0, sizeof rules);
    if (!parse_rule_set(&rules, found.init_rules))
        return false;
    for (size_t i = 0; i < found.ndeltas; i++)
        if (!parse_rule_set(&rules, found.deltas[i].rules))
            return false;
    if (!rules.cfa.s || !rules.ra.s)
        return false;

    x86_prog_env regs;
    x86_prog_init(&regs, read_stack, w);
    x86_prog_set(&regs, "$eip", (uint32_t)callee->regs.ip);
    for (size_t i = 0; i < CFI_NREGS; i++) {
        int g = cfi_regs[i].gpr;
        if (g >= 0 && (callee->valid & (1u << g)))
            x86_prog_set(&regs, cfi_regs[i].name, (uint32_t)callee->regs.gpr[g]);
    }
    uint32_t cfa, ra;
    if (!eval_rule(&regs, &rules.cfa, NULL, &cfa) || !eval_rule(&regs, &rules.ra, &cfa, &ra))
        return false;

    bool have_ip = false;
    for (size_t i = 0; i < CFI_NREGS; i++) {
        uint32_t v;
        int g = cfi_regs[i].gpr;
        bool known = rules.reg[i].s && eval_rule(&regs, &rules.reg[i], &cfa, &v);
        if (!known && i == CFI_EIP) {
            v = ra;
            known = true;
        } else if (!known && i == CFI_ESP) {
            v = cfa;
            known = true;
        } else if (!known && cfi_regs[i].callee_saved && (callee->valid & (1u << g))) {
            v = (uint32_t)callee->regs.gpr[g];
            known = true;
        }
        if (!known)
            continue;
        if (g < 0) {
            caller->regs.ip = v;
            have_ip = true;
        } else {
            uw_set_reg(caller, (unsigned)g, v);
        }
    }
    const uint32_t essential = (1u << REG_RSP) | (1u << REG_RBP);
    if (!have_ip || (caller->valid & essential) != essential)
        return false;
    caller->trust = UW_TRUST_CFI;
    return true;
}
