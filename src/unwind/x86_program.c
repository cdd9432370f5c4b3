/* Evaluating x86 frame-data programs (see x86_program.h for the language). */
#include <string.h>

#include "unwind/x86_program.h"

/* A stack entry: a value, or a name still to be looked up. Breakpad keeps
 * tokens as text and resolves names when an operator pops them; keeping
 * the name does the same, which is what lets "=" find its target. */
typedef struct prog_slot {
    bool is_name;
    uint32_t value;
    char name[X86_PROG_NAME_MAX];
} prog_slot;

typedef struct prog_machine {
    x86_prog_env *env;
    prog_slot stack[X86_PROG_MAX_STACK];
    size_t depth;
} prog_machine;

void x86_prog_init(x86_prog_env *e, x86_prog_read_fn read, void *read_ctx)
{
    memset(e, 0, sizeof *e);
    e->read = read;
    e->read_ctx = read_ctx;
}

static x86_prog_var *find_var(const x86_prog_env *e, const char *name)
{
    for (size_t i = 0; i < e->nvars; i++)
        if (strcmp(e->vars[i].name, name) == 0)
            return (x86_prog_var *)&e->vars[i];
    return NULL;
}

static bool store_var(x86_prog_env *e, const char *name, uint32_t value, bool assigned)
{
    x86_prog_var *v = find_var(e, name);
    if (!v) {
        size_t n = strlen(name);
        if (n == 0 || n >= X86_PROG_NAME_MAX || e->nvars == X86_PROG_MAX_VARS)
            return false;
        v = &e->vars[e->nvars++];
        memcpy(v->name, name, n + 1);
        v->assigned = false;
    }
    v->value = value;
    v->assigned |= assigned;
    return true;
}

bool x86_prog_set(x86_prog_env *e, const char *name, uint32_t value)
{
    return store_var(e, name, value, false);
}

bool x86_prog_get(const x86_prog_env *e, const char *name, uint32_t *value)
{
    const x86_prog_var *v = find_var(e, name);
    if (!v)
        return false;
    *value = v->value;
    return true;
}

bool x86_prog_assigned(const x86_prog_env *e, const char *name)
{
    const x86_prog_var *v = find_var(e, name);
    return v && v->assigned;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A decimal literal with an optional leading '-' (negated modulo 2^32, as
 * Breakpad does). Anything else, including hex and values past 32 bits,
 * is a name. */
static bool parse_literal(const char *t, size_t n, uint32_t *out)
{
    bool neg = n > 0 && t[0] == '-';
    size_t i = neg ? 1 : 0;
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(t[i] - '0');
        if (v > UINT32_MAX)
            return false;
    }
    *out = neg ? (uint32_t)(0u - (uint32_t)v) : (uint32_t)v;
    return true;
}

static bool push_value(prog_machine *m, uint32_t v)
{
    if (m->depth == X86_PROG_MAX_STACK)
        return false;
    prog_slot *s = &m->stack[m->depth++];
    s->is_name = false;
    s->value = v;
    return true;
}

static bool push_token(prog_machine *m, const char *t, size_t n)
{
    uint32_t v;
    if (parse_literal(t, n, &v))
        return push_value(m, v);
    if (n >= X86_PROG_NAME_MAX || m->depth == X86_PROG_MAX_STACK)
        return false;
    prog_slot *s = &m->stack[m->depth++];
    s->is_name = true;
    memcpy(s->name, t, n);
    s->name[n] = '\0';
    return true;
}

static bool pop_value(prog_machine *m, uint32_t *v)
{
    if (m->depth == 0)
        return false;
    const prog_slot *s = &m->stack[--m->depth];
    if (!s->is_name) {
        *v = s->value;
        return true;
    }
    return x86_prog_get(m->env, s->name, v);
}

static bool binary_op(prog_machine *m, char op)
{
    uint32_t a, b;
    /* The right operand is on top. */
    if (!pop_value(m, &b) || !pop_value(m, &a))
        return false;
    uint32_t r;
    switch (op) {
    case '+': r = a + b; break;
    case '-': r = a - b; break;
    case '*': r = a * b; break;
    case '/':
        if (b == 0)
            return false;
        r = a / b;
        break;
    case '%':
        if (b == 0)
            return false;
        r = a % b;
        break;
    default: /* '@': align down; b is meant to be a power of two */
        r = a & ~(b - 1);
        break;
    }
    return push_value(m, r);
}

static bool assign(prog_machine *m)
{
    uint32_t v;
    if (!pop_value(m, &v) || m->depth == 0)
        return false;
    const prog_slot *target = &m->stack[--m->depth];
    /* Only '$' names are variables; '.' names are the constants the
     * unwinder provides (".cbLocals") and cannot be written. */
    if (!target->is_name || target->name[0] != '$')
        return false;
    return store_var(m->env, target->name, v, true);
}

static bool eval_token(prog_machine *m, const char *t, size_t n)
{
    if (n == 1 && strchr("+-*/%@", t[0]))
        return binary_op(m, t[0]);
    if (n == 1 && t[0] == '^') {
        uint32_t addr, v;
        if (!pop_value(m, &addr) || !m->env->read || !m->env->read(m->env->read_ctx, addr, &v))
            return false;
        return push_value(m, v);
    }
    if (n == 1 && t[0] == '=')
        return assign(m);
    return push_token(m, t, n);
}

static bool run_tokens(prog_machine *m, const char *s, size_t len)
{
    if (!s || len > X86_PROG_MAX_LEN)
        return false;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        size_t start = i;
        while (i < len && s[i] != '\0' && !is_space(s[i]))
            i++;
        if (i == start)
            break; /* end of text (or a NUL inside it) */
        const char *t = s + start;
        size_t n = i - start;
        if (n > 1 && t[0] == '=') {
            if (!eval_token(m, "=", 1))
                return false;
            t++;
            n--;
        }
        if (!eval_token(m, t, n))
            return false;
    }
    return true;
}

bool x86_prog_run(x86_prog_env *e, const char *prog, size_t len)
{
    prog_machine m = { .env = e, .depth = 0 };
    return run_tokens(&m, prog, len) && m.depth == 0;
}

bool x86_prog_eval(x86_prog_env *e, const char *expr, size_t len, uint32_t *out)
{
    prog_machine m = { .env = e, .depth = 0 };
    return run_tokens(&m, expr, len) && m.depth == 1 && pop_value(&m, out);
}
