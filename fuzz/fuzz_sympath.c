/* libFuzzer target for the symbol path grammar and the small text formats a
 * symbol store holds: the input is parsed as a symbol path (with drive and
 * UNC mappings set, so every mapping branch runs), as a file.ptr, as a path
 * to map, and as a key's file name. Nothing here touches the file system or
 * the network. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym/store/symkey.h"
#include "sym/store/sympath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;

    sym_path_options o;
    memset(&o, 0, sizeof o);
    o.default_store = "/fuzz/sym";
    o.drive_root = "/fuzz/drives";
    o.drive_map['c' - 'a'] = "/fuzz/c";
    o.unc_root = (size & 1) ? "/fuzz/unc" : NULL;
    sym_path *p;
    cor_err e;
    if (sym_path_parse(text, &o, &p, &e) == COR_OK) {
        for (size_t i = 0; i < p->count; i++)
            for (size_t j = 0; j < p->chains[i].count; j++)
                if (!p->chains[i].stores[j].location) __builtin_trap();
        free(sym_path_describe(p));
        sym_path_free(p);
    }
    free(sym_path_map_local(&o, text));
    char *fix = sym_path_symfix(text, true, size > 3 ? text + 3 : NULL);
    free(fix);

    sym_fileptr_kind kind;
    char *val;
    if (sym_fileptr_parse(data, size, &kind, &val, &e) == COR_OK) free(val);

    sym_key k;
    uint8_t guid[16] = { 0 };
    memcpy(guid, data, size < 16 ? size : 16);
    if (sym_key_pdb70(&k, text, guid, (uint32_t)size, &e) == COR_OK) {
        /* A key name must never let a lookup leave its store. */
        if (strchr(k.name, '/') || strchr(k.name, '\\') || strcmp(k.name, "..") == 0) __builtin_trap();
        char c[SYM_KEY_NAME_MAX + 1];
        sym_key_compressed_name(&k, c);
    }
    sym_magic_fits(text, sym_magic_of(data, size));
    free(text);
    return 0;
}
