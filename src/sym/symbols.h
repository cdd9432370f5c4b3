/* Symbols for one module, whatever their source: a PDB, a Breakpad .sym
 * file, or the module's own export table. Every source answers the same
 * question (what is at this RVA?) through one small table of functions, so
 * the resolver can prefer sources in WinDbg's order (matching PDB, then
 * Breakpad .sym, then exports) without knowing their formats. */
#ifndef COR_SYM_SYMBOLS_H
#define COR_SYM_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Where a symbol came from; `lm` shows it as WinDbg's symbol status. */
typedef enum sym_kind {
    SYM_KIND_NONE = 0,
    SYM_KIND_PDB,      /* "pdb symbols" / "private pdb symbols" */
    SYM_KIND_BREAKPAD, /* a Breakpad .sym file */
    SYM_KIND_EXPORT,   /* "export symbols" */
} sym_kind;

/* The answer for one address. Strings are owned by the source and live as
 * long as it does. */
typedef struct sym_hit {
    const char *function;   /* undecorated where the source can, else as stored */
    uint32_t func_rva;      /* start of the function (or public/export) */
    uint32_t func_size;     /* 0 when unknown (publics, exports) */
    const char *file;       /* source file, or NULL */
    uint32_t line;          /* 0 when unknown */
    uint32_t line_rva;      /* start of the line record */
    bool is_public;         /* found only as a public/export, not a full function */
} sym_hit;

/* One function, for enumeration (x module!pattern, uf, tests against .sym). */
typedef struct sym_func {
    const char *name;
    uint32_t rva, size;
} sym_func;

typedef struct sym_source_ops {
    sym_kind kind;
    /* Finds the function (or nearest preceding public) containing rva.
     * Returns false when the source knows nothing there. */
    bool (*lookup)(void *self, uint32_t rva, sym_hit *out);
    /* Calls fn for every function; stops early when fn returns false. */
    void (*each_function)(void *self, bool (*fn)(void *ctx, const sym_func *f), void *ctx);
    /* Finds a function or public by exact name; false when absent. */
    bool (*by_name)(void *self, const char *name, sym_func *out);
    void (*free)(void *self);
} sym_source_ops;

/* A loaded source: its operations and its state. */
typedef struct sym_source {
    const sym_source_ops *ops;
    void *self;
    char *origin; /* file the symbols were read from, for lm and !sym noisy */
} sym_source;

static inline bool sym_lookup(const sym_source *s, uint32_t rva, sym_hit *out)
{
    return s && s->ops && s->ops->lookup(s->self, rva, out);
}

void sym_source_free(sym_source *s);
/* WinDbg's lm status words: "pdb symbols", "export symbols", ... */
const char *sym_kind_status(sym_kind k);

#endif
