/* Export directory. The Export Address Table is indexed by ordinal - Base;
 * names reach it through the parallel name-pointer and name-ordinal
 * tables (PE Format, "The .edata Section"). An EAT entry that points back
 * inside the export directory is a forwarder string, not code. */
#include "pe/pe_exports.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

#define ED_SIZE 40
#define ED_TimeDateStamp 4
#define ED_Name 12
#define ED_Base 16
#define ED_NumberOfFunctions 20
#define ED_NumberOfNames 24
#define ED_AddressOfFunctions 28
#define ED_AddressOfNames 32
#define ED_AddressOfNameOrdinals 36

/* Ordinals are 16-bit (the name-ordinal table holds WORDs), so no real
 * table is longer. */
#define MAX_EXPORTS 0x10000u

static int cmp_entry(const void *a, const void *b)
{
    const pe_export *x = a, *y = b;
    if (x->ordinal != y->ordinal) return x->ordinal < y->ordinal ? -1 : 1;
    if (!x->name || !y->name) return (x->name != NULL) - (y->name != NULL);
    return strcmp(x->name, y->name);
}

static int cmp_by_name(const void *a, const void *b)
{
    const pe_export *x = *(const pe_export *const *)a, *y = *(const pe_export *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_by_rva(const void *a, const void *b)
{
    const pe_export *x = *(const pe_export *const *)a, *y = *(const pe_export *const *)b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    /* Named before unnamed, so that the first at an address is the best. */
    if (!x->name != !y->name) return x->name ? -1 : 1;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

void pe_exports_free(pe_exports *ex)
{
    if (!ex) return;
    for (size_t i = 0; i < ex->count; i++) {
        free((char *)ex->entries[i].name);
        free((char *)ex->entries[i].forwarder);
    }
    free(ex->entries);
    free(ex->by_name);
    free(ex->by_rva);
    free(ex->dll_name);
    free(ex);
}

static int build_indexes(pe_exports *ex)
{
    if (ex->count) qsort(ex->entries, ex->count, sizeof *ex->entries, cmp_entry);
    ex->by_name = malloc((ex->count ? ex->count : 1) * sizeof *ex->by_name);
    ex->by_rva = malloc((ex->count ? ex->count : 1) * sizeof *ex->by_rva);
    if (!ex->by_name || !ex->by_rva) return COR_FAIL;
    for (size_t i = 0; i < ex->count; i++) {
        const pe_export *e = &ex->entries[i];
        if (e->name) ex->by_name[ex->nby_name++] = e;
        if (!e->forwarder) ex->by_rva[ex->nby_rva++] = e;
    }
    if (ex->nby_name) qsort(ex->by_name, ex->nby_name, sizeof *ex->by_name, cmp_by_name);
    if (ex->nby_rva) qsort(ex->by_rva, ex->nby_rva, sizeof *ex->by_rva, cmp_by_rva);
    return COR_OK;
}

static int read_tables(const pe_image *img, pe_data_dir dir, pe_exports *ex, cor_err *err)
{
    uint8_t hdr[ED_SIZE];
    if (pe_read(img, dir.rva, hdr, sizeof hdr, err) != COR_OK) return COR_FAIL;
    ex->timestamp = le32(hdr + ED_TimeDateStamp);
    ex->ordinal_base = le32(hdr + ED_Base);
    uint32_t nfuncs = le32(hdr + ED_NumberOfFunctions);
    uint32_t nnames = le32(hdr + ED_NumberOfNames);
    uint32_t eat_rva = le32(hdr + ED_AddressOfFunctions);
    uint32_t names_rva = le32(hdr + ED_AddressOfNames);
    uint32_t ords_rva = le32(hdr + ED_AddressOfNameOrdinals);
    uint32_t name_rva = le32(hdr + ED_Name);
    if (nfuncs > MAX_EXPORTS)
        return cor_fail(err, "%u functions claimed; ordinals are 16-bit, so at most %u", nfuncs, MAX_EXPORTS);
    if (nnames > MAX_EXPORTS)
        return cor_fail(err, "%u names claimed; ordinals are 16-bit, so at most %u", nnames, MAX_EXPORTS);
    if (name_rva) ex->dll_name = pe_read_cstr(img, name_rva, PE_MAX_NAME);

    int rc = COR_FAIL;
    uint8_t *eat = NULL, *names = NULL, *ords = NULL, *named = NULL;
    eat = pe_read_alloc(img, eat_rva, (size_t)nfuncs * 4, "export address table", err);
    if (!eat) goto out;
    if (nnames) {
        names = pe_read_alloc(img, names_rva, (size_t)nnames * 4, "export name table", err);
        if (!names) goto out;
        ords = pe_read_alloc(img, ords_rva, (size_t)nnames * 2, "export ordinal table", err);
        if (!ords) goto out;
    }
    named = calloc(nfuncs ? nfuncs : 1, 1);
    ex->entries = calloc((size_t)nfuncs + nnames + 1, sizeof *ex->entries);
    if (!named || !ex->entries) {
        cor_fail(err, "out of memory");
        goto out;
    }

    /* One entry per name first, then one per address no name reaches. */
    for (uint32_t i = 0; i < nnames; i++) {
        uint16_t idx = le16(ords + 2 * i);
        if (idx >= nfuncs) continue; /* names a slot the EAT lacks: malformed, skip it */
        named[idx] = 1;
        pe_export *e = &ex->entries[ex->count++];
        e->ordinal = ex->ordinal_base + idx;
        e->rva = le32(eat + 4 * idx);
        e->name = pe_read_cstr(img, le32(names + 4 * i), PE_MAX_NAME);
        if (!e->name) ex->unreadable++;
    }
    for (uint32_t idx = 0; idx < nfuncs; idx++) {
        uint32_t rva = le32(eat + 4 * idx);
        if (named[idx] || rva == 0) continue; /* 0: an unused ordinal */
        pe_export *e = &ex->entries[ex->count++];
        e->ordinal = ex->ordinal_base + idx;
        e->rva = rva;
    }
    for (size_t i = 0; i < ex->count; i++) {
        pe_export *e = &ex->entries[i];
        if (e->rva - dir.rva < dir.size) e->forwarder = pe_read_cstr(img, e->rva, PE_MAX_NAME);
    }
    rc = COR_OK;
out:
    free(eat);
    free(names);
    free(ords);
    free(named);
    return rc;
}

int pe_exports_read(const pe_image *img, pe_exports **out, cor_err *err)
{
    *out = NULL;
    pe_exports *ex = calloc(1, sizeof *ex);
    if (!ex) return cor_fail(err, "out of memory");
    pe_data_dir dir = pe_image_dir(img, PE_DIR_EXPORT);
    if (dir.rva != 0 && dir.size != 0) {
        if (!pe_dir_in_image(img, dir)) {
            pe_exports_free(ex);
            return cor_fail(err, "export directory at RVA 0x%x (0x%x bytes) lies outside SizeOfImage 0x%x", dir.rva,
                            dir.size, pe_image_headers(img)->size_of_image);
        }
        if (read_tables(img, dir, ex, err) != COR_OK) {
            pe_exports_free(ex);
            return cor_wrap(err, "export directory at RVA 0x%x", dir.rva);
        }
    }
    if (build_indexes(ex) != COR_OK) {
        pe_exports_free(ex);
        return cor_fail(err, "out of memory");
    }
    *out = ex;
    return COR_OK;
}

const pe_export *pe_export_by_name(const pe_exports *ex, const char *name)
{
    size_t lo = 0, hi = ex->nby_name;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ex->by_name[mid]->name, name);
        if (c == 0) return ex->by_name[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const pe_export *pe_export_by_ordinal(const pe_exports *ex, uint32_t ordinal)
{
    /* entries are sorted by ordinal; return the first of equal ones. */
    size_t lo = 0, hi = ex->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ex->entries[mid].ordinal < ordinal) lo = mid + 1;
        else hi = mid;
    }
    return lo < ex->count && ex->entries[lo].ordinal == ordinal ? &ex->entries[lo] : NULL;
}

const pe_export *pe_export_nearest(const pe_exports *ex, uint32_t rva)
{
    size_t lo = 0, hi = ex->nby_rva;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ex->by_rva[mid]->rva <= rva) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    /* The first entry at that address: named ones sort first there. */
    uint32_t at = ex->by_rva[lo - 1]->rva;
    size_t first = 0;
    hi = lo - 1;
    while (first < hi) {
        size_t mid = first + (hi - first) / 2;
        if (ex->by_rva[mid]->rva < at) first = mid + 1;
        else hi = mid;
    }
    return ex->by_rva[first];
}
