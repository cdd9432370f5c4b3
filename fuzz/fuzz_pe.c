/* libFuzzer target for the PE layer: the input is an image, read in both
 * layouts through every parser; the version-resource and metadata-root
 * parsers also get the raw bytes.
 * Standalone build: clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 * -I src fuzz/fuzz_pe.c plus the .c files of src/pe, src/core, src/dump and
 * src/mem. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pe/pe_clr.h"
#include "pe/pe_debug.h"
#include "pe/pe_exports.h"
#include "pe/pe_image.h"
#include "pe/pe_imports.h"
#include "pe/pe_pdata.h"
#include "pe/pe_reloc.h"
#include "pe/pe_version.h"

static int count_reloc(void *ctx, uint32_t rva, unsigned type, uint16_t param)
{
    (void)rva, (void)type, (void)param;
    ++*(size_t *)ctx;
    return COR_OK;
}

static void run(const uint8_t *data, size_t size, int layout)
{
    cor_err e;
    pe_image *img;
    if (pe_image_open_mem(data, size, layout, &img, &e) != COR_OK) return;
    const pe_headers *h = pe_image_headers(img);
    char id[20];
    pe_image_code_id(img, id);
    pe_native_machine(h->machine, NULL);
    for (size_t i = 0; i < pe_section_count(img); i++) {
        const pe_section *s = pe_section_at(img, i);
        uint8_t b[16];
        uint64_t off;
        pe_section_by_rva(img, s->virtual_address);
        pe_rva_to_offset(img, s->virtual_address, &off);
        pe_read(img, s->virtual_address, b, sizeof b, NULL);
    }

    pe_exports *ex;
    if (pe_exports_read(img, &ex, &e) == COR_OK) {
        for (size_t i = 0; i < ex->count; i++) {
            if (ex->entries[i].name) pe_export_by_name(ex, ex->entries[i].name);
            pe_export_by_ordinal(ex, ex->entries[i].ordinal);
            pe_export_nearest(ex, ex->entries[i].rva + 1);
        }
        pe_exports_free(ex);
    }

    pe_imports *im;
    if (pe_imports_read(img, &im, &e) == COR_OK) {
        pe_import_dll_by_name(im, "kernel32.dll");
        pe_imports_free(im);
    }

    pe_codeview cv;
    if (pe_codeview_read(img, &cv, &e) == COR_OK) {
        char key[48], g[37];
        pe_codeview_id(&cv, key);
        pe_guid_str(cv.guid, g);
        pe_codeview_free(&cv);
    }
    pe_codeview *cvs;
    size_t ncv, skipped;
    if (pe_codeviews_read(img, &cvs, &ncv, &skipped, &e) == COR_OK) pe_codeviews_free(cvs, ncv);

    pe_version_info *vi;
    if (pe_version_read(img, &vi, &e) == COR_OK && vi) {
        pe_version_string_get(vi, "FileVersion");
        pe_version_free(vi);
    }

    pe_pdata *pd;
    if (pe_pdata_read(img, &pd, &e) == COR_OK) {
        for (size_t i = 0; i < pd->count && i < 64; i++) pe_pdata_lookup(pd, pd->fns[i].begin);
        pe_pdata_free(pd);
    }

    pe_clr *clr;
    if (pe_clr_read(img, &clr, &e) == COR_OK && clr) {
        pe_clr_stream_by_name(clr, "#~");
        pe_clr_free(clr);
    }

    size_t nrel = 0;
    pe_relocs_walk(img, count_reloc, &nrel, &e);

    char *s = pe_read_cstr(img, h->entry_rva, 64);
    free(s);
    pe_image_close(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(data, size, PE_LAYOUT_FILE);
    run(data, size, PE_LAYOUT_MAPPED);

    pe_version_info *vi;
    cor_err e;
    if (pe_version_parse(data, size, &vi, &e) == COR_OK) pe_version_free(vi);
    pe_clr clr;
    memset(&clr, 0, sizeof clr);
    if (pe_clr_parse_metadata_root(data, size, &clr, &e) == COR_OK) {
        free(clr.version);
        free(clr.streams);
    }
    return 0;
}
