/* Exception directory. Entry layouts (PE Format, "The .pdata Section";
 * "ARM64 exception handling" and "ARM exception handling" on
 * learn.microsoft.com):
 *   x64, IA64: BeginAddress, EndAddress, UnwindInfoAddress (12 bytes)
 *   ARM64, ARM: BeginAddress, UnwindData (8 bytes). The function's length
 *     is in UnwindData itself when its Flag (bits 0-1) is 1 or 2 (packed:
 *     FunctionLength in bits 2-12), else in the first word of the .xdata
 *     record UnwindData points to (FunctionLength in bits 0-17). Lengths
 *     count 4-byte units on ARM64 and 2-byte units on ARM, whose
 *     BeginAddress also carries the Thumb bit. */
#include "pe/pe_pdata.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

void pe_pdata_free(pe_pdata *pd)
{
    if (!pd) return;
    free(pd->fns);
    free(pd);
}

static int cmp_fn(const void *a, const void *b)
{
    const pe_runtime_function *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* ARM64 (unit 4) or ARM (unit 2) entry: the function's end from packed
 * data or its .xdata header. False when the length cannot be known. */
static bool arm_end(const pe_image *img, uint32_t begin, uint32_t unwind, unsigned unit, uint32_t *end)
{
    uint64_t len;
    switch (unwind & 3) {
    case 1:
    case 2:
        len = (uint64_t)((unwind >> 2) & 0x7FF) * unit;
        break;
    case 0: {
        uint32_t xh;
        if (pe_read_u32(img, unwind, &xh) != COR_OK) return false;
        len = (uint64_t)(xh & 0x3FFFF) * unit;
        break;
    }
    default:
        return false; /* Flag 3 is reserved */
    }
    if (len == 0 || len > UINT32_MAX - begin) return false;
    *end = begin + (uint32_t)len;
    return true;
}

int pe_pdata_read(const pe_image *img, pe_pdata **out, cor_err *err)
{
    *out = NULL;
    const pe_headers *h = pe_image_headers(img);
    pe_pdata *pd = calloc(1, sizeof *pd);
    if (!pd) return cor_fail(err, "out of memory");
    pd->machine = pe_native_machine(h->machine, NULL);
    pe_data_dir dir = pe_image_dir(img, PE_DIR_EXCEPTION);
    if (dir.rva == 0 || dir.size == 0 || pd->machine == PE_MACHINE_I386) {
        *out = pd;
        return COR_OK;
    }
    size_t esize;
    unsigned unit = 0;
    switch (pd->machine) {
    case PE_MACHINE_AMD64:
    case PE_MACHINE_IA64: esize = 12; break;
    case PE_MACHINE_ARM64: esize = 8; unit = 4; break;
    case PE_MACHINE_ARMNT: esize = 8; unit = 2; break;
    default:
        pe_pdata_free(pd);
        return cor_fail(err, "exception directory: no known entry format for machine 0x%04x", h->machine);
    }
    if (!pe_dir_in_image(img, dir)) {
        pe_pdata_free(pd);
        return cor_fail(err, "exception directory at RVA 0x%x (0x%x bytes) lies outside SizeOfImage", dir.rva, dir.size);
    }
    size_t n = dir.size / esize;
    uint8_t *raw = pe_read_alloc(img, dir.rva, n * esize, "exception directory", err);
    if (!raw) {
        pe_pdata_free(pd);
        return COR_FAIL;
    }
    /* Size the table by the entries that describe a function, not by the
     * directory: a zero-filled directory must not cost an allocation. */
    size_t live = 0;
    for (size_t i = 0; i < n; i++)
        if (le32(raw + i * esize) || le32(raw + i * esize + 4)) live++;
    pd->fns = calloc(live ? live : 1, sizeof *pd->fns);
    if (!pd->fns) {
        free(raw);
        pe_pdata_free(pd);
        return cor_fail(err, "out of memory");
    }
    bool guessed = false;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = raw + i * esize;
        pe_runtime_function f = { 0 };
        f.begin = le32(p);
        if (esize == 12) {
            f.end = le32(p + 4);
            f.unwind = le32(p + 8);
            /* Zero padding and inverted ranges describe no function. */
            if (f.end <= f.begin) continue;
        } else {
            f.unwind = le32(p + 4);
            if (unit == 2) f.begin &= ~1u; /* the Thumb bit */
            if (le32(p) == 0 && f.unwind == 0) continue;
            if (!arm_end(img, f.begin, f.unwind, unit, &f.end)) {
                f.end_guessed = true;
                guessed = true;
            }
        }
        pd->fns[pd->count++] = f;
    }
    free(raw);

    /* The loader and RtlLookupFunctionEntry assume the table is sorted;
     * linkers sort it, but a hostile or hand-made image need not. */
    bool sorted = true;
    for (size_t i = 1; i < pd->count && sorted; i++)
        if (cmp_fn(&pd->fns[i - 1], &pd->fns[i]) > 0) sorted = false;
    if (!sorted) qsort(pd->fns, pd->count, sizeof *pd->fns, cmp_fn);

    /* An unknown length runs to the next function: an overestimate that
     * still finds the right entry for any address inside the function.
     * Walk backwards so that next is the first greater begin. */
    if (guessed) {
        uint32_t next = 0;
        bool have_next = false;
        for (size_t i = pd->count; i-- > 0;) {
            pe_runtime_function *f = &pd->fns[i];
            if (i + 1 < pd->count && pd->fns[i + 1].begin > f->begin) {
                next = pd->fns[i + 1].begin;
                have_next = true;
            }
            if (f->end_guessed) f->end = have_next ? next : f->begin;
        }
    }
    *out = pd;
    return COR_OK;
}

const pe_runtime_function *pe_pdata_lookup(const pe_pdata *pd, uint32_t rva)
{
    size_t lo = 0, hi = pd->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pd->fns[mid].begin <= rva) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    const pe_runtime_function *f = &pd->fns[lo - 1];
    return rva < f->end ? f : NULL;
}
