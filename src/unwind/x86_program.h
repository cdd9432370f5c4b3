/* The postfix language x86 frame data is written in: PDB FRAMEDATA program
 * strings (the MSVC linker's "$T0 $ebp = $eip $T0 4 + ^ = ..."), Breakpad
 * STACK WIN programs (the same strings, copied by dump_syms) and the
 * expressions of Breakpad STACK CFI rules.
 *
 * Semantics follow Breakpad's PostfixEvaluator, the reference reader:
 *   - tokens are separated by white space; "=" glued to the next token
 *     ("=$eip", written by MSVC 2010 in LTCG builds) counts as two tokens;
 *   - a decimal literal, optionally negative, is a value; anything else
 *     that is not an operator is a name, looked up only when an operator
 *     consumes it (so "$T0 $ebp =" names $T0 rather than reading it);
 *   - + - * / % are 32-bit wrapping arithmetic, @ aligns down
 *     (a & ~(b - 1)), ^ reads a 32-bit value from memory, = assigns to a
 *     name beginning with '$';
 *   - reading an undefined name, an unreadable address or a division by
 *     zero fails the whole evaluation.
 *
 * Untrusted input: programs and names are bounded (X86_PROG_MAX_*), the
 * value stack is a fixed array, and nothing is allocated. */
#ifndef COR_UNWIND_X86_PROGRAM_H
#define COR_UNWIND_X86_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Real programs use about a dozen names of up to 14 characters ("$eip",
 * "$T0", ".cbCalleeParams", ".raSearchStart") and rarely stack more than
 * four values; these limits leave room without letting input size them. */
#define X86_PROG_MAX_VARS 32
#define X86_PROG_NAME_MAX 32   /* including the NUL */
#define X86_PROG_MAX_STACK 64
#define X86_PROG_MAX_LEN 4096  /* bytes of program text */

/* Reads the 32-bit value at addr; false when it cannot be read. */
typedef bool (*x86_prog_read_fn)(void *ctx, uint32_t addr, uint32_t *value);

typedef struct x86_prog_var {
    char name[X86_PROG_NAME_MAX];
    uint32_t value;
    bool assigned; /* written by an "=" of a program, not preset */
} x86_prog_var;

/* The variables a program reads and writes, and its view of memory. */
typedef struct x86_prog_env {
    x86_prog_var vars[X86_PROG_MAX_VARS];
    size_t nvars;
    x86_prog_read_fn read;
    void *read_ctx;
} x86_prog_env;

void x86_prog_init(x86_prog_env *e, x86_prog_read_fn read, void *read_ctx);
/* Presets a variable (a register, ".cbLocals"); not counted as assigned.
 * False when the name is too long or the table is full. */
bool x86_prog_set(x86_prog_env *e, const char *name, uint32_t value);
bool x86_prog_get(const x86_prog_env *e, const char *name, uint32_t *value);
/* Whether a program's "=" wrote the variable. */
bool x86_prog_assigned(const x86_prog_env *e, const char *name);

/* Runs a program of assignments. True when every token evaluated and no
 * value was left over. Assignments made before a failure stay in e, as
 * they do in Breakpad's dictionary. */
bool x86_prog_run(x86_prog_env *e, const char *prog, size_t len);
/* Evaluates an expression that must leave exactly one value (a STACK CFI
 * rule such as ".cfa 4 - ^"). */
bool x86_prog_eval(x86_prog_env *e, const char *expr, size_t len, uint32_t *out);

#endif
