/* The resource directory tree (IMAGE_RESOURCE_DIRECTORY): type, then name,
 * then language, then the data entry. */
#ifndef COR_PE_RESOURCE_H
#define COR_PE_RESOURCE_H

#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

/* RT_* resource types. */
enum {
    PE_RT_CURSOR = 1,
    PE_RT_BITMAP = 2,
    PE_RT_ICON = 3,
    PE_RT_STRING = 6,
    PE_RT_RCDATA = 10,
    PE_RT_VERSION = 16,
    PE_RT_MANIFEST = 24,
};

/* The data of the first resource of a numeric type: its first name, and
 * that name's first language. Sets *out to {rva, size}, or {0, 0} when the
 * image has no such resource (COR_OK). COR_FAIL when the tree is
 * unreadable or malformed on the way. */
int pe_resource_find(const pe_image *img, uint32_t type, pe_data_dir *out, cor_err *err);

#endif
