/* WinDbg's MASM expression syntax, the subset a dump needs: numbers are hex
 * by default ("0x" optional, backtick separators as in 00000000`7ffe0000,
 * 0n for decimal, 0t octal, 0y binary), + - * / % and parentheses, unary
 * minus, poi()/by()/wo()/dwo()/qwo() to read memory, and names that the
 * caller resolves (registers, pseudo-registers, module names).
 *
 * The evaluator knows nothing of dumps: names and memory go through the
 * callbacks in expr_env, so it is tested without a target.
 *
 * An expression ends where an operand is not followed by an operator, so
 * "db 1000 L20" and "db 1000 2000" read one expression at a time; spaces
 * around operators are allowed ("esp + 8"). */
#ifndef COR_CONSOLE_EXPR_H
#define COR_CONSOLE_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct expr_env {
    void *ctx;
    /* Resolves name[0..len). at is true when it was typed with '@' (then only
     * registers and pseudo-registers qualify, as in WinDbg). COR_OK and *v,
     * or COR_FAIL when the name means nothing. */
    int (*lookup)(void *ctx, const char *name, size_t len, bool at, uint64_t *v);
    /* Reads size bytes (1, 2, 4 or 8; 0 means pointer-sized) at addr. */
    int (*read)(void *ctx, uint64_t addr, unsigned size, uint64_t *v);
} expr_env;

/* Evaluates the expression at the start of s (leading spaces skipped). On
 * success *end points just past it. Errors use WinDbg's wording:
 * "Couldn't resolve error at 'xyz'", "Bad register error at '@xyz'",
 * "Syntax error at '...'". */
int expr_eval(const expr_env *env, const char *s, const char **end, uint64_t *out, cor_err *err);

/* Reads one number the way expr_eval does ("1000", "0x10", "0n16",
 * "00000000`7ffe0000"); used for thread numbers and the like. Fails on
 * anything else. */
int expr_number(const char *s, size_t len, unsigned default_radix, uint64_t *out);

/* An address range as WinDbg's display commands take it:
 *   ADDR              (count left to the command's default)
 *   ADDR L count      count items; "L?count" lifts the 256 MB sanity limit
 *   ADDR ADDR2        ADDR2 is the last address, included
 * or nothing at all (has_start false). Counts are in items of elem_size bytes. */
typedef struct expr_range {
    bool has_start;
    bool has_count;
    uint64_t start;
    uint64_t count;
} expr_range;

/* The 256 MB limit WinDbg puts on ranges not written with L?. */
#define EXPR_RANGE_LIMIT 0x10000000ull

int expr_parse_range(const expr_env *env, const char *s, unsigned elem_size, expr_range *out,
                     const char **end, cor_err *err);

#endif
