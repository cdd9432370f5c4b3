/* libFuzzer target for the PDB reader: the input is a whole PDB file,
 * opened from memory, indexed, and read through every accessor and
 * lookup.
 * Standalone build: clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE
 * -I src fuzz/fuzz_pdb.c, the .c files of src/sym/pdb, src/sym/symbols.c and
 * src/core/error.c. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sym/pdb/pdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cor_err e;
    pdb_file *p;
    if (pdb_file_open_mem(data, size, &p, &e) != COR_OK) return 0;
    char id[41];
    pdb_debug_id(p, id);
    /* Lookups before any enumeration take the one-module path. */
    for (size_t i = 0; i < pdb_contribution_count(p) && i < 64; i++) {
        const pdb_contribution *c = pdb_contribution_at(p, i);
        uint32_t rva;
        if (pdb_section_rva(p, c->section, c->offset, &rva)) {
            pdb_find_function(p, rva + c->size / 2);
            pdb_find_line(p, rva);
        }
    }
    size_t skipped;
    pdb_build_index(p, &skipped, &e);
    size_t sink = 0;
    for (size_t i = 0; i < pdb_module_count(p); i++) sink += strlen(pdb_module_at(p, i)->name);
    for (size_t i = 0; i < pdb_function_count(p); i++) {
        const pdb_function *f = pdb_function_at(p, i);
        sink += strlen(f->name);
        pdb_find_function(p, f->rva + f->size / 2);
        if (i < 64) { /* inline sites: the module's cache is built by the first */
            pdb_inline_frame fr[4];
            size_t n;
            pdb_find_inlines(p, f->rva + f->size / 2, fr, 4, &n, &e);
            pdb_find_inlines(p, f->rva, fr, 4, &n, &e);
        }
        if (i < 16) { /* parameters: each call reads the module stream */
            pdb_param pp[4];
            size_t n;
            char ft[64];
            pdb_find_params(p, f->rva + f->size / 2, true, pp, 4, &n, ft, sizeof ft, &e);
            pdb_find_params(p, f->rva, false, pp, 4, &n, NULL, 0, &e);
        }
    }
    for (size_t i = 0; i < pdb_line_count(p); i++) {
        const pdb_line *l = pdb_line_at(p, i);
        sink += strlen(l->file);
        pdb_find_line(p, l->rva);
    }
    for (size_t i = 0; i < pdb_public_count(p); i++) sink += strlen(pdb_public_at(p, i)->undecorated);
    for (size_t i = 0; i < pdb_framedata_count(p); i++) {
        const pdb_framedata *f = pdb_framedata_at(p, i);
        if (f->program) sink += strlen(f->program);
        pdb_find_framedata(p, f->rva);
    }
    for (size_t i = 0; i < pdb_fpo_count(p); i++) pdb_find_fpo(p, pdb_fpo_at(p, i)->rva);
    for (uint32_t rva = 0; rva < 0x4000; rva += 0x41) {
        pdb_find_public(p, rva);
        pdb_find_function(p, rva);
    }
    (void)sink;
    pdb_file_close(p);
    return 0;
}
