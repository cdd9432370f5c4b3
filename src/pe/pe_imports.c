/* Import directory (IMAGE_IMPORT_DESCRIPTOR) and delay-load directory
 * (IMAGE_DELAYLOAD_DESCRIPTOR); PE Format, "The .idata Section" and
 * "Delay-Load Import Tables". Like the loader, we end each table at its
 * null entry and do not trust the directory's Size. */
#include "pe/pe_imports.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

#define ID_SIZE 20
#define ID_OriginalFirstThunk 0
#define ID_TimeDateStamp 4
#define ID_Name 12
#define ID_FirstThunk 16

#define DD_SIZE 32
#define DD_Attributes 0
#define DD_DllNameRVA 4
#define DD_ImportAddressTableRVA 12
#define DD_ImportNameTableRVA 16
#define DD_TimeDateStamp 28
#define DD_RVA_BASED 1 /* dlattrRva: fields are RVAs, not VAs (VC 7 and later) */

/* Bounds on hostile tables: no real image imports from thousands of DLLs or
 * more functions from one DLL than it can export (ordinals are 16-bit). */
#define MAX_DLLS 4096
#define MAX_THUNKS 0x10000u
/* Descriptors may share one name table, so the per-DLL bound alone would
 * let a small file claim billions of imports; real images stay far below. */
#define MAX_TOTAL_THUNKS 0x40000u

static pe_import_dll *dll_push(pe_imports *im, size_t *cap)
{
    if (im->count == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        pe_import_dll *nv = realloc(im->dlls, nc * sizeof *nv);
        if (!nv) return NULL;
        im->dlls = nv;
        *cap = nc;
    }
    pe_import_dll *d = &im->dlls[im->count++];
    memset(d, 0, sizeof *d);
    return d;
}

/* Walks one name table (INT, or the IAT when there is no INT) up to its
 * null thunk, filling dll->fns. iat is where the loader's slots are. */
static int read_thunks(const pe_image *img, pe_imports *im, pe_import_dll *dll, uint32_t table, uint32_t iat,
                       size_t *total, cor_err *err)
{
    unsigned psz = pe_image_ptr_size(img);
    uint64_t ord_flag = psz == 8 ? 1ull << 63 : 1ull << 31;
    size_t cap = 0;
    for (uint32_t i = 0;; i++) {
        if (i >= MAX_THUNKS)
            return cor_fail(err, "name table at RVA 0x%x has no null entry within %u thunks", table, MAX_THUNKS);
        uint64_t at = (uint64_t)table + (uint64_t)i * psz;
        uint64_t v;
        if (at > UINT32_MAX || pe_read_ptr(img, (uint32_t)at, &v) != COR_OK) {
            /* Keep what was read: one unreadable page must not lose the
             * other DLLs' imports. */
            dll->incomplete = true;
            im->unreadable++;
            break;
        }
        if (v == 0) break;
        if (++*total > MAX_TOTAL_THUNKS)
            return cor_fail(err, "more than %u imported functions in all", MAX_TOTAL_THUNKS);
        if (dll->count == cap) {
            size_t nc = cap ? cap * 2 : 16;
            pe_import_fn *nv = realloc(dll->fns, nc * sizeof *nv);
            if (!nv) return cor_fail(err, "out of memory");
            dll->fns = nv;
            cap = nc;
        }
        pe_import_fn *fn = &dll->fns[dll->count++];
        memset(fn, 0, sizeof *fn);
        fn->iat_rva = iat + i * psz;
        if (v & ord_flag) {
            fn->by_ordinal = true;
            fn->ordinal = (uint16_t)v;
            continue;
        }
        /* A hint/name RVA is 31 bits; anything above is not a name. */
        if (v > 0x7FFFFFFF) {
            im->unreadable++;
            continue;
        }
        uint16_t hint;
        if (pe_read_u16(img, (uint32_t)v, &hint) == COR_OK) fn->hint = hint;
        fn->name = pe_read_cstr(img, (uint32_t)v + 2, PE_MAX_NAME);
        if (!fn->name) im->unreadable++;
    }
    return COR_OK;
}

static int read_normal(const pe_image *img, pe_imports *im, size_t *cap, size_t *total, cor_err *err)
{
    pe_data_dir dir = pe_image_dir(img, PE_DIR_IMPORT);
    if (dir.rva == 0 || dir.size == 0) return COR_OK;
    for (uint32_t k = 0;; k++) {
        if (k >= MAX_DLLS) return cor_fail(err, "no null descriptor within %d entries", MAX_DLLS);
        uint64_t at = (uint64_t)dir.rva + (uint64_t)k * ID_SIZE;
        uint8_t d[ID_SIZE];
        if (at > UINT32_MAX || pe_read(img, (uint32_t)at, d, sizeof d, err) != COR_OK)
            return cor_wrap(err, "descriptor %u", k);
        uint32_t oft = le32(d + ID_OriginalFirstThunk), name = le32(d + ID_Name), ft = le32(d + ID_FirstThunk);
        /* The loader stops at the first descriptor without a name or IAT. */
        if (name == 0 || ft == 0) break;
        pe_import_dll *dll = dll_push(im, cap);
        if (!dll) return cor_fail(err, "out of memory");
        dll->timestamp = le32(d + ID_TimeDateStamp);
        dll->name = pe_read_cstr(img, name, PE_MAX_NAME);
        if (!dll->name) im->unreadable++;
        uint32_t table = oft;
        if (!table) {
            /* Without an INT only the IAT names the imports, and in a
             * loaded image the loader has overwritten it with addresses
             * (as it has in a bound file). */
            if (pe_image_layout(img) == PE_LAYOUT_MAPPED || dll->timestamp != 0) {
                dll->names_lost = true;
                continue;
            }
            table = ft;
        }
        if (read_thunks(img, im, dll, table, ft, total, err) != COR_OK)
            return cor_wrap(err, "imports from %s", dll->name ? dll->name : "?");
    }
    return COR_OK;
}

static int read_delayed(const pe_image *img, pe_imports *im, size_t *cap, size_t *total, cor_err *err)
{
    pe_data_dir dir = pe_image_dir(img, PE_DIR_DELAY_IMPORT);
    if (dir.rva == 0 || dir.size == 0) return COR_OK;
    uint64_t image_base = pe_image_headers(img)->image_base;
    for (uint32_t k = 0;; k++) {
        if (k >= MAX_DLLS) return cor_fail(err, "no null descriptor within %d entries", MAX_DLLS);
        uint64_t at = (uint64_t)dir.rva + (uint64_t)k * DD_SIZE;
        uint8_t d[DD_SIZE];
        if (at > UINT32_MAX || pe_read(img, (uint32_t)at, d, sizeof d, err) != COR_OK)
            return cor_wrap(err, "descriptor %u", k);
        uint32_t attrs = le32(d + DD_Attributes);
        uint64_t name = le32(d + DD_DllNameRVA), iat = le32(d + DD_ImportAddressTableRVA),
                 intab = le32(d + DD_ImportNameTableRVA);
        if (name == 0) break;
        if (!(attrs & DD_RVA_BASED)) {
            /* Visual C++ 6 wrote virtual addresses here (32-bit only). */
            if (name < image_base || iat < image_base || intab < image_base)
                return cor_fail(err, "descriptor %u: VA-based entries below ImageBase", k);
            name -= image_base;
            iat -= image_base;
            intab -= image_base;
            if (name > UINT32_MAX || iat > UINT32_MAX || intab > UINT32_MAX)
                return cor_fail(err, "descriptor %u: VA-based entries past 4 GiB from ImageBase", k);
        }
        pe_import_dll *dll = dll_push(im, cap);
        if (!dll) return cor_fail(err, "out of memory");
        dll->delayed = true;
        dll->timestamp = le32(d + DD_TimeDateStamp);
        dll->name = pe_read_cstr(img, (uint32_t)name, PE_MAX_NAME);
        if (!dll->name) im->unreadable++;
        if (intab == 0) {
            dll->names_lost = true;
            continue;
        }
        if (read_thunks(img, im, dll, (uint32_t)intab, (uint32_t)iat, total, err) != COR_OK)
            return cor_wrap(err, "delay imports from %s", dll->name ? dll->name : "?");
    }
    return COR_OK;
}

void pe_imports_free(pe_imports *im)
{
    if (!im) return;
    for (size_t i = 0; i < im->count; i++) {
        pe_import_dll *d = &im->dlls[i];
        for (size_t j = 0; j < d->count; j++) free((char *)d->fns[j].name);
        free(d->fns);
        free((char *)d->name);
    }
    free(im->dlls);
    free(im);
}

int pe_imports_read(const pe_image *img, pe_imports **out, cor_err *err)
{
    *out = NULL;
    pe_imports *im = calloc(1, sizeof *im);
    if (!im) return cor_fail(err, "out of memory");
    size_t cap = 0, total = 0;
    if (read_normal(img, im, &cap, &total, err) != COR_OK) {
        pe_imports_free(im);
        return cor_wrap(err, "import directory");
    }
    if (read_delayed(img, im, &cap, &total, err) != COR_OK) {
        pe_imports_free(im);
        return cor_wrap(err, "delay-load import directory");
    }
    *out = im;
    return COR_OK;
}

const pe_import_dll *pe_import_dll_by_name(const pe_imports *im, const char *name)
{
    for (size_t i = 0; i < im->count; i++)
        if (im->dlls[i].name && strcasecmp(im->dlls[i].name, name) == 0) return &im->dlls[i];
    return NULL;
}
