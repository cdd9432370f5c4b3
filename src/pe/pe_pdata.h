/* The exception directory (.pdata): one RUNTIME_FUNCTION per non-leaf
 * function on x64, ARM64 and ARM, sorted by address, with a binary-search
 * lookup. x86 images have none (their unwinding is frame-based). */
#ifndef COR_PE_PDATA_H
#define COR_PE_PDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

typedef struct pe_runtime_function {
    uint32_t begin;  /* RVA of the first byte */
    uint32_t end;    /* RVA one past the last byte */
    /* x64: UnwindInfoAddress (RVA of UNWIND_INFO; bit 0 set marks a chained
     * RUNTIME_FUNCTION in old images). ARM64/ARM: the raw UnwindData word,
     * an .xdata RVA when its low two bits (Flag) are 0, packed unwind data
     * otherwise. */
    uint32_t unwind;
    /* ARM64/ARM with an .xdata record that could not be read: the length
     * is unknown and end was taken from the next function's begin. */
    bool end_guessed;
} pe_runtime_function;

typedef struct pe_pdata {
    uint16_t machine;
    size_t count;
    pe_runtime_function *fns; /* sorted by begin */
} pe_pdata;

/* Reads the exception directory. An image without one (or an x86 image)
 * gives COR_OK and an empty table; a machine whose format is unknown, or a
 * directory that cannot be read, gives COR_FAIL. */
int pe_pdata_read(const pe_image *img, pe_pdata **out, cor_err *err);
void pe_pdata_free(pe_pdata *pd);

/* The function whose [begin, end) holds rva, or NULL. */
const pe_runtime_function *pe_pdata_lookup(const pe_pdata *pd, uint32_t rva);

#endif
