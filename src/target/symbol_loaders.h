/* The symbol loaders a target uses, in WinDbg's order of preference:
 * PDBs matching a module's CodeView identity, Breakpad .sym files for the
 * same identity, then the module's export table. */
#ifndef COR_TARGET_SYMBOL_LOADERS_H
#define COR_TARGET_SYMBOL_LOADERS_H

#include "sym/resolver.h"
#include "target/target.h"

/* Adds the loaders for symbol path `path` (may be NULL) to r. */
int target_add_symbol_loaders(cor_target *t, sym_resolver *r, const char *path, cor_err *err);

#endif
