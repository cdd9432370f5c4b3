/* libFuzzer target for the Breakpad .sym reader: the input is a .sym file,
 * parsed in memory, then every lookup is run at and around each record's
 * addresses so that the sorted arrays and their binary searches are
 * exercised on whatever the parser accepted. */
#include <stddef.h>
#include <stdint.h>

#include "sym/breakpad/breakpad.h"

static bool each(void *ctx, const sym_func *f)
{
    ++*(size_t *)ctx;
    return f->name != NULL;
}

static void probe(const sym_source *s, const bp_symbols *bp, uint32_t rva)
{
    sym_hit h;
    bp_cfi_rules r;
    for (uint32_t d = 0; d < 3; d++) {
        uint32_t a = rva + d - 1;
        sym_lookup(s, a, &h);
        bp_find_stack_win(bp, a);
        bp_find_stack_win_type(bp, BP_WIN_TRAP, a);
        bp_find_cfi(bp, a, &r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sym_source s;
    cor_err e;
    if (breakpad_open_mem(data, size, &s, &e) != COR_OK) return 0;
    const bp_symbols *bp = breakpad_symbols(&s);
    for (size_t i = 0; i < bp->nfuncs && i < 256; i++) {
        const bp_func *f = &bp->funcs[i];
        probe(&s, bp, f->rva);
        probe(&s, bp, f->rva + f->size);
        for (uint32_t k = 0; k < f->nlines && k < 16; k++) bp_find_line(bp, f, bp->lines[f->first_line + k].rva);
        for (uint32_t k = 0; k < f->ninlines && k < 16; k++) {
            const bp_inline *in = &bp->inlines[f->first_inline + k];
            bp_inline_origin_name(bp, in->origin_id);
            bp_file_name(bp, in->call_file_id);
            const bp_inline *chain[4];
            for (uint32_t r = 0; r < in->nranges && r < 4; r++) {
                uint32_t at = bp->inline_ranges[in->first_range + r].rva;
                bp_find_inlines(bp, f, at, chain, 4);
                bp_find_inlines(bp, f, at - 1, chain, 4);
            }
        }
    }
    for (size_t i = 0; i < bp->npublics && i < 256; i++) probe(&s, bp, bp->publics[i].rva);
    for (size_t i = 0; i < bp->nstack_win && i < 256; i++) probe(&s, bp, bp->stack_win[i].rva);
    for (size_t i = 0; i < bp->ncfi && i < 256; i++) probe(&s, bp, bp->cfi[i].rva);
    for (size_t i = 0; i < bp->nlines && i < 256; i++) bp_file_name(bp, bp->lines[i].file_id);
    probe(&s, bp, 0);
    probe(&s, bp, UINT32_MAX);
    size_t n = 0;
    s.ops->each_function(s.self, each, &n);
    sym_func f;
    if (bp->nfuncs) s.ops->by_name(s.self, bp->funcs[0].name, &f);
    sym_source_free(&s);
    return 0;
}
