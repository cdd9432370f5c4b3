/* Frame descriptions through the target's symbol resolver. */
#include "target/frame_desc.h"

#include <stdio.h>
#include <string.h>

#include "sym/breakpad/breakpad.h"
#include "sym/pdb/pdb.h"
#include "sym/resolver.h"

/* Deeper inline nesting than this is cut at the outermost calls. */
#define FRAME_MAX_INLINES 16

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

static void copy_str(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

static size_t pdb_inlines(pdb_file *p, uint32_t rva, frame_inline *out, size_t max)
{
    pdb_inline_frame fr[FRAME_MAX_INLINES];
    size_t n = 0;
    cor_err e = { "" };
    if (pdb_find_inlines(p, rva, fr, FRAME_MAX_INLINES, &n, &e) != COR_OK) return 0;
    if (n > FRAME_MAX_INLINES) n = FRAME_MAX_INLINES;
    if (n > max) n = max;
    for (size_t k = 0; k < n; k++) {
        snprintf(out[k].function, sizeof out[k].function, "%.255s", fr[k].name[0] ? fr[k].name : "<inlined>");
        copy_str(out[k].file, sizeof out[k].file, fr[k].file);
        out[k].line = fr[k].line;
        copy_str(out[k].call_file, sizeof out[k].call_file, fr[k].call_file);
        out[k].call_line = fr[k].call_line;
    }
    return n;
}

/* Breakpad (BasicSourceLineResolver's inline frames): each INLINE record
 * carries its own call site; the innermost function's line at the address
 * is the FUNC's LINE record there, each outer one's is the call site of the
 * function it calls. */
static size_t breakpad_inlines(const bp_symbols *bp, uint32_t rva, frame_inline *out, size_t max)
{
    const bp_func *f = bp_find_func(bp, rva);
    const bp_inline *in[FRAME_MAX_INLINES];
    size_t n = bp_find_inlines(bp, f, rva, in, FRAME_MAX_INLINES);
    if (n > FRAME_MAX_INLINES) n = FRAME_MAX_INLINES;
    if (n > max) n = max;
    for (size_t k = 0; k < n; k++) {
        const char *name = bp_inline_origin_name(bp, in[k]->origin_id);
        snprintf(out[k].function, sizeof out[k].function, "%.255s", name && *name ? name : "<inlined>");
        copy_str(out[k].call_file, sizeof out[k].call_file, bp_file_name(bp, in[k]->call_file_id));
        out[k].call_line = in[k]->call_line;
        if (k > 0) {
            copy_str(out[k - 1].file, sizeof out[k - 1].file, out[k].call_file);
            out[k - 1].line = out[k].call_line;
        }
    }
    if (n) {
        const bp_line *l = bp_find_line(bp, f, rva);
        copy_str(out[n - 1].file, sizeof out[n - 1].file, l ? bp_file_name(bp, l->file_id) : "");
        out[n - 1].line = l ? l->line : 0;
    }
    return n;
}

size_t target_inlines_at(cor_target *t, uint64_t addr, bool is_return_address, frame_inline *out, size_t max)
{
    const md_module *m = md_module_by_addr(t->dump, addr);
    if (!m || max == 0)
        return 0;
    size_t i = (size_t)(m - md_module_at(t->dump, 0));
    if (sym_module_load(t->syms, i) != SYM_STATE_LOADED)
        return 0;
    /* A caller's inlined calls are those at the call instruction. */
    uint64_t at = is_return_address && addr > m->base ? addr - 1 : addr;
    if (at - m->base > UINT32_MAX)
        return 0;
    uint32_t rva = (uint32_t)(at - m->base);
    const sym_source *src = sym_module_source(t->syms, i);
    pdb_file *p = pdb_source_file(src);
    if (p)
        return pdb_inlines(p, rva, out, max);
    const bp_symbols *bp = breakpad_symbols(src);
    if (bp)
        return breakpad_inlines(bp, rva, out, max);
    return 0;
}
