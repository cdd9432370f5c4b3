/* Export symbols: what a debugger shows for a module with no PDB or .sym,
 * the nearest preceding entry of the module's own export table
 * ("user32!MessageBoxW+0x1a", WinDbg's "export symbols" in lm). Forwarded
 * entries name code in another DLL and are skipped; an entry exported by
 * ordinal only is named "Ordinal<n>" with the biased ordinal in decimal,
 * as WinDbg prints it ("mso!Ordinal1105+0x807"). */
#ifndef COR_SYM_EXPORTS_H
#define COR_SYM_EXPORTS_H

#include <stdint.h>

#include "core/error.h"
#include "mem/address_space.h"
#include "pe/pe_image.h"
#include "sym/symbols.h"

/* A sym_source (kind SYM_KIND_EXPORT) over img's export table, read once;
 * img need not outlive the source. An image without exports gives a
 * source that finds nothing. */
int exports_open_image(const pe_image *img, sym_source *out, cor_err *err);
/* Over the image file at path (file layout). */
int exports_open_path(const char *path, sym_source *out, cor_err *err);
/* Over the module mapped at base in a dump's address space. */
int exports_open_as(as_space *as, uint64_t base, sym_source *out, cor_err *err);

#endif
