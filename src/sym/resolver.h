/* Symbols for a whole dump: for each module, the best source found, loaded
 * lazily on the first address that needs it (WinDbg's "deferred" loading),
 * in WinDbg's order of preference: a PDB matching the module's CodeView
 * GUID and age, a Breakpad .sym for the same id, the export table.
 *
 * Sources are found by loaders, tried in order; the resolver itself knows
 * no file format. */
#ifndef COR_SYM_RESOLVER_H
#define COR_SYM_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "sym/symbols.h"

typedef struct sym_resolver sym_resolver;

/* A loader tries to produce a source for module index i. Returns COR_OK
 * with out->ops set on success, COR_OK with out->ops NULL when it has
 * nothing for this module (a miss, not an error), COR_FAIL on an error
 * worth reporting (a corrupt file). */
typedef int (*sym_loader_fn)(void *ctx, sym_resolver *r, size_t module, sym_source *out, cor_err *err);

typedef enum sym_state {
    SYM_STATE_DEFERRED = 0, /* not tried yet */
    SYM_STATE_LOADED,       /* a source answers for the module */
    SYM_STATE_NONE,         /* every loader tried, nothing found */
} sym_state;

int sym_resolver_new(md_dump *d, as_space *as, sym_resolver **out, cor_err *err);
void sym_resolver_free(sym_resolver *r);

/* Appends a loader; loaders run in the order added. The resolver owns ctx
 * and calls free_ctx (if not NULL) on it when freed. */
int sym_resolver_add_loader(sym_resolver *r, sym_loader_fn fn, void *ctx, void (*free_ctx)(void *), cor_err *err);

/* Gives the loader added last a prefetch hook: asked for many modules at
 * once (.reload /f), it can fetch their files in parallel before the
 * modules load one by one. */
typedef void (*sym_prefetch_fn)(void *ctx, sym_resolver *r, const size_t *modules, size_t n);
void sym_resolver_set_prefetch(sym_resolver *r, sym_prefetch_fn fn);
/* Runs every loader's prefetch hook for these modules (deferred ones only). */
void sym_resolver_prefetch(sym_resolver *r, const size_t *modules, size_t n);

md_dump *sym_resolver_dump(const sym_resolver *r);
as_space *sym_resolver_as(const sym_resolver *r);

/* Loads module i's symbols now if they are still deferred. */
sym_state sym_module_load(sym_resolver *r, size_t i);
sym_state sym_module_state(const sym_resolver *r, size_t i);
/* The loaded source of module i, or NULL. */
const sym_source *sym_module_source(const sym_resolver *r, size_t i);
/* Why loading failed, if a loader reported an error ("" otherwise). */
const char *sym_module_error(const sym_resolver *r, size_t i);
/* Forgets module i's symbols (all when i is (size_t)-1): .reload. */
void sym_module_unload(sym_resolver *r, size_t i);

/* What is at addr: the module index and the symbol (loading lazily).
 * False when addr is in no module; *has_symbol tells whether a source
 * answered. MSVC-decorated names come back undecorated, as WinDbg shows
 * them; such a name lives until the next call. */
bool sym_resolve(sym_resolver *r, uint64_t addr, size_t *module, bool *has_symbol, sym_hit *hit);

#endif
