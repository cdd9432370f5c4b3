/* Base relocations (.reloc): the places the loader patches when an image
 * is not loaded at its preferred ImageBase. */
#ifndef COR_PE_RELOC_H
#define COR_PE_RELOC_H

#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

/* IMAGE_REL_BASED_* types handled by callers here. */
enum {
    PE_REL_ABSOLUTE = 0, /* padding; never passed to the callback */
    PE_REL_HIGH = 1,
    PE_REL_LOW = 2,
    PE_REL_HIGHLOW = 3,
    PE_REL_HIGHADJ = 4,  /* param holds the following slot */
    PE_REL_DIR64 = 10,
};

/* Called per relocation; returning COR_FAIL stops the walk. */
typedef int (*pe_reloc_fn)(void *ctx, uint32_t rva, unsigned type, uint16_t param);

/* Walks every block of the base relocation directory. No directory gives
 * COR_OK without calls; a malformed block gives COR_FAIL. */
int pe_relocs_walk(const pe_image *img, pe_reloc_fn fn, void *ctx, cor_err *err);

#endif
