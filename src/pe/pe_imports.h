/* The import directory and the delay-load import directory: which DLLs an
 * image imports from, and which functions, by name or ordinal. */
#ifndef COR_PE_IMPORTS_H
#define COR_PE_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

typedef struct pe_import_fn {
    const char *name;  /* NULL when imported by ordinal, or the name is unreadable */
    uint16_t hint;     /* index into the exporter's name table, by name only */
    uint16_t ordinal;  /* by ordinal only */
    bool by_ordinal;
    uint32_t iat_rva;  /* the IAT slot the loader fills with the address */
} pe_import_fn;

typedef struct pe_import_dll {
    const char *name;  /* "KERNEL32.dll", or NULL when unreadable */
    bool delayed;      /* from the delay-load directory */
    uint32_t timestamp; /* non-zero when bound (-1: new-style binding) */
    /* In a mapped image without an Import Name Table, the IAT holds
     * resolved addresses, not names: the functions cannot be listed. */
    bool names_lost;
    /* The name table could not be read to its null entry (uncaptured dump
     * memory, a truncated file): fns holds what came before. */
    bool incomplete;
    size_t count;
    pe_import_fn *fns;
} pe_import_dll;

typedef struct pe_imports {
    size_t count;
    pe_import_dll *dlls;  /* normal imports in directory order, then delayed ones */
    size_t unreadable;    /* names or name tables whose bytes could not be read */
} pe_imports;

/* Reads both directories. Absent directories give COR_OK and no entries; a
 * descriptor table that cannot be read, or tables past the sanity bounds,
 * give COR_FAIL. A DLL whose name table breaks off is kept, marked
 * incomplete. */
int pe_imports_read(const pe_image *img, pe_imports **out, cor_err *err);
void pe_imports_free(pe_imports *im);

/* The DLL entry by name (case-insensitive), or NULL. */
const pe_import_dll *pe_import_dll_by_name(const pe_imports *im, const char *name);

#endif
