/* Frame descriptions through the target's symbol resolver. */
#include "target/frame_desc.h"

#include <stdio.h>
#include <string.h>

#include "sym/pdb/pdb.h"
#include "sym/resolver.h"

void target_describe(cor_target *t, uint64_t addr, bool is_return_address, frame_desc *out)
{
    memset(out, 0, sizeof *out);
    out->module = (size_t)-1;
    const md_module *m = md_module_by_addr(t->dump, addr);
    if (!m)
        return;
    out->module = (size_t)(m - md_module_at(t->dump, 0));
    out->module_offset = addr - m->base;
    size_t mi;
    bool has = false;
    sym_hit hit;
    if (sym_resolve(t->syms, addr, &mi, &has, &hit) && has && hit.function) {
        out->has_function = true;
        snprintf(out->function, sizeof out->function, "%s", hit.function);
        out->function_offset = out->module_offset - hit.func_rva;
        out->is_public = hit.is_public;
        if (!is_return_address && hit.file) {
            snprintf(out->file, sizeof out->file, "%s", hit.file);
            out->line = hit.line;
        }
    }
    if (is_return_address && addr > m->base && sym_resolve(t->syms, addr - 1, &mi, &has, &hit) && has &&
        hit.file) {
        snprintf(out->file, sizeof out->file, "%s", hit.file);
        out->line = hit.line;
    }
}

size_t target_inlines_at(cor_target *t, uint64_t addr, bool is_return_address, frame_inline *out, size_t max)
{
    const md_module *m = md_module_by_addr(t->dump, addr);
    if (!m || max == 0)
        return 0;
    size_t i = (size_t)(m - md_module_at(t->dump, 0));
    if (sym_module_load(t->syms, i) != SYM_STATE_LOADED)
        return 0;
    pdb_file *p = pdb_source_file(sym_module_source(t->syms, i));
    if (!p)
        return 0;
    uint64_t at = is_return_address && addr > m->base ? addr - 1 : addr;
    pdb_inline_frame fr[16];
    size_t n = 0;
    cor_err e = { "" };
    if (pdb_find_inlines(p, (uint32_t)(at - m->base), fr, 16, &n, &e) != COR_OK)
        return 0;
    if (n > 16)
        n = 16;
    if (n > max)
        n = max;
    for (size_t k = 0; k < n; k++) {
        snprintf(out[k].function, sizeof out[k].function, "%.255s", fr[k].name[0] ? fr[k].name : "<inlined>");
        snprintf(out[k].file, sizeof out[k].file, "%s", fr[k].file ? fr[k].file : "");
        out[k].line = fr[k].line;
    }
    return n;
}
