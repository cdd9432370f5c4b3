/* A recursive-descent evaluator for the MASM expressions WinDbg users type
 * at addresses: precedence is unary, then * / %, then + -. */
#include "console/expr.h"

#include <ctype.h>
#include <string.h>

typedef struct parser {
    const expr_env *env;
    const char *p;
    cor_err *err;
} parser;

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* WinDbg quotes the rest of the command from the failing token. */
static int fail_at(parser *ps, const char *what, const char *at)
{
    size_t n = strlen(at);
    while (n && (at[n - 1] == ' ' || at[n - 1] == '\t')) n--;
    if (n > 200) n = 200;
    return cor_fail(ps->err, "%s error at '%.*s'", what, (int)n, at);
}

int expr_number(const char *s, size_t len, unsigned radix, uint64_t *out)
{
    size_t i = 0;
    if (len >= 2 && s[0] == '0') {
        switch (s[1]) {
        case 'x': case 'X': radix = 16; i = 2; break;
        case 'n': case 'N': radix = 10; i = 2; break;
        case 't': case 'T': radix = 8; i = 2; break;
        case 'y': case 'Y': radix = 2; i = 2; break;
        }
    }
    uint64_t v = 0;
    int digits = 0;
    for (; i < len; i++) {
        char c = s[i];
        /* Backticks separate the halves of 64-bit values (00000000`7ffe0000);
         * WinDbg accepts them anywhere between digits. */
        if (c == '`') {
            if (!digits || i + 1 == len) return COR_FAIL;
            continue;
        }
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return COR_FAIL;
        if (d >= radix) return COR_FAIL;
        if (v > (UINT64_MAX - d) / radix) return COR_FAIL; /* overflow */
        v = v * radix + d;
        digits++;
    }
    if (!digits) return COR_FAIL;
    *out = v;
    return COR_OK;
}

static int parse_sum(parser *ps, uint64_t *v);

static bool is_name_start(char c) { return isalpha((unsigned char)c) || c == '_' || c == '$'; }
static bool is_word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || c == '!' || c == '`';
}

/* Memory-reading operators: poi() is pointer-sized, the others fixed. */
static int func_size(const char *name, size_t len, unsigned *size)
{
    static const struct { const char *name; unsigned size; } funcs[] = {
        { "poi", 0 }, { "by", 1 }, { "wo", 2 }, { "dwo", 4 }, { "qwo", 8 },
    };
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strlen(funcs[i].name) == len && strncasecmp(funcs[i].name, name, len) == 0) {
            *size = funcs[i].size;
            return COR_OK;
        }
    return COR_FAIL;
}

static int parse_paren(parser *ps, uint64_t *v)
{
    /* ps->p is at '(' */
    ps->p++;
    if (parse_sum(ps, v) != COR_OK) return COR_FAIL;
    ps->p = skip_ws(ps->p);
    if (*ps->p != ')') return fail_at(ps, "Syntax", ps->p);
    ps->p++;
    return COR_OK;
}

static int parse_primary(parser *ps, uint64_t *v)
{
    const char *start = ps->p = skip_ws(ps->p);
    char c = *start;
    if (c == '(') return parse_paren(ps, v);
    if (c == '@') {
        const char *n = start + 1;
        size_t len = 0;
        while (is_word_char(n[len]) && n[len] != '!' && n[len] != '`') len++;
        if (!len || !ps->env->lookup || ps->env->lookup(ps->env->ctx, n, len, true, v) != COR_OK)
            return fail_at(ps, "Bad register", start);
        ps->p = n + len;
        return COR_OK;
    }
    if (isdigit((unsigned char)c)) {
        size_t len = 0;
        while (isalnum((unsigned char)start[len]) || start[len] == '`') len++;
        if (expr_number(start, len, 16, v) != COR_OK) return fail_at(ps, "Syntax", start);
        ps->p = start + len;
        return COR_OK;
    }
    if (!is_name_start(c)) return fail_at(ps, "Syntax", start);

    size_t len = 0;
    while (is_word_char(start[len])) len++;
    const char *after = skip_ws(start + len);
    unsigned size;
    if (*after == '(' && func_size(start, len, &size) == COR_OK) {
        ps->p = after;
        uint64_t addr;
        if (parse_paren(ps, &addr) != COR_OK) return COR_FAIL;
        if (!ps->env->read || ps->env->read(ps->env->ctx, addr, size, v) != COR_OK)
            return cor_fail(ps->err, "Memory access error at '%.*s'", (int)(ps->p - start), start);
        return COR_OK;
    }
    /* A word made only of hex digits is a number, as in WinDbg ("add",
     * "dead`beef"); anything else is a name for the caller to resolve. */
    if (expr_number(start, len, 16, v) == COR_OK && start[0] != '$') {
        ps->p = start + len;
        return COR_OK;
    }
    if (memchr(start, '`', len) || !ps->env->lookup ||
        ps->env->lookup(ps->env->ctx, start, len, false, v) != COR_OK)
        return fail_at(ps, "Couldn't resolve", start);
    ps->p = start + len;
    return COR_OK;
}

static int parse_unary(parser *ps, uint64_t *v)
{
    ps->p = skip_ws(ps->p);
    if (*ps->p == '-' || *ps->p == '+') {
        char op = *ps->p++;
        if (parse_unary(ps, v) != COR_OK) return COR_FAIL;
        if (op == '-') *v = (uint64_t)0 - *v;
        return COR_OK;
    }
    return parse_primary(ps, v);
}

static int parse_product(parser *ps, uint64_t *v)
{
    if (parse_unary(ps, v) != COR_OK) return COR_FAIL;
    for (;;) {
        const char *q = skip_ws(ps->p);
        char op = *q;
        if (op != '*' && op != '/' && op != '%') return COR_OK;
        ps->p = q + 1;
        uint64_t r;
        if (parse_unary(ps, &r) != COR_OK) return COR_FAIL;
        if (op == '*') {
            *v *= r;
        } else {
            if (r == 0) return fail_at(ps, "Divide by zero", q);
            *v = op == '/' ? *v / r : *v % r;
        }
    }
}

static int parse_sum(parser *ps, uint64_t *v)
{
    if (parse_product(ps, v) != COR_OK) return COR_FAIL;
    for (;;) {
        const char *q = skip_ws(ps->p);
        char op = *q;
        if (op != '+' && op != '-') return COR_OK;
        ps->p = q + 1;
        uint64_t r;
        if (parse_product(ps, &r) != COR_OK) return COR_FAIL;
        *v = op == '+' ? *v + r : *v - r;
    }
}

int expr_eval(const expr_env *env, const char *s, const char **end, uint64_t *out, cor_err *err)
{
    parser ps = { env, s, err };
    const char *start = skip_ws(s);
    if (!*start) return cor_fail(err, "Syntax error: expression expected");
    uint64_t v;
    if (parse_sum(&ps, &v) != COR_OK) return COR_FAIL;
    *out = v;
    if (end) *end = ps.p;
    return COR_OK;
}

int expr_parse_range(const expr_env *env, const char *s, unsigned elem_size, expr_range *out,
                     const char **end, cor_err *err)
{
    memset(out, 0, sizeof *out);
    if (elem_size == 0) elem_size = 1;
    const char *p = skip_ws(s);
    if (*p && *p != 'L' && *p != 'l') {
        if (expr_eval(env, p, &p, &out->start, err) != COR_OK) return COR_FAIL;
        out->has_start = true;
        p = skip_ws(p);
    }
    /* "L" is never a hex digit, so it cannot begin a second address; a
     * module name starting with l would, and WinDbg reads it as L too. */
    if (*p == 'L' || *p == 'l') {
        const char *lstart = p++;
        bool unlimited = false;
        if (*p == '?') { unlimited = true; p++; }
        uint64_t n;
        if (expr_eval(env, p, &p, &n, err) != COR_OK) return COR_FAIL;
        if (!unlimited && n > EXPR_RANGE_LIMIT / elem_size) {
            size_t len = strlen(lstart);
            while (len && lstart[len - 1] == ' ') len--;
            return cor_fail(err, "Range error in '%.*s': use L? for more than 256 MB", (int)len, lstart);
        }
        out->count = n;
        out->has_count = true;
    } else if (out->has_start && *p) {
        uint64_t last;
        const char *second = p;
        if (expr_eval(env, p, &p, &last, err) != COR_OK) return COR_FAIL;
        if (last < out->start) return cor_fail(err, "Range error in '%s'", second);
        uint64_t n = (last - out->start) / elem_size + 1;
        if (n > EXPR_RANGE_LIMIT / elem_size) return cor_fail(err, "Range error in '%s': over 256 MB", second);
        out->count = n;
        out->has_count = true;
    }
    if (end) *end = skip_ws(p);
    return COR_OK;
}
