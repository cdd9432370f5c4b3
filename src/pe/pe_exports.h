/* The export directory (IMAGE_EXPORT_DIRECTORY): names, ordinals, RVAs
 * and forwarders, with lookups by name, by ordinal and by address. */
#ifndef COR_PE_EXPORTS_H
#define COR_PE_EXPORTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

typedef struct pe_export {
    uint32_t ordinal;      /* biased by the directory's Base, as GetProcAddress takes it */
    uint32_t rva;          /* of the code or data; of the forwarder string when forwarded */
    const char *name;      /* NULL when exported by ordinal only, or the name is unreadable */
    const char *forwarder; /* "NTDLL.RtlFoo" or "NTDLL.#12" when forwarded, else NULL */
} pe_export;

typedef struct pe_exports {
    char *dll_name;        /* the directory's Name, or NULL */
    uint32_t timestamp;
    uint32_t ordinal_base;
    size_t count;
    pe_export *entries;    /* one per name, plus one per unnamed address; by ordinal, then name */
    size_t unreadable;     /* names whose bytes could not be read (uncaptured dump memory) */
    /* Lookup indexes into entries (owned). */
    const pe_export **by_name;
    size_t nby_name;
    const pe_export **by_rva;
    size_t nby_rva;
} pe_exports;

/* Reads the exports. An image without an export directory gives COR_OK and
 * an empty list; a directory that cannot be read gives COR_FAIL. */
int pe_exports_read(const pe_image *img, pe_exports **out, cor_err *err);
void pe_exports_free(pe_exports *ex);

const pe_export *pe_export_by_name(const pe_exports *ex, const char *name);
const pe_export *pe_export_by_ordinal(const pe_exports *ex, uint32_t ordinal);
/* The non-forwarded export with the greatest RVA <= rva, or NULL: what a
 * debugger without symbols shows as "module!Export+0x1c". */
const pe_export *pe_export_nearest(const pe_exports *ex, uint32_t rva);

#endif
