/* Module streams: procedures (with their S_FRAMEPROC) and C13 line
 * information, gathered into RVA-sorted arrays on first use; and the
 * sym_source adapter over them.
 *
 * Module stream layout (LLVM docs/PDB/ModiStream.rst): a u32 signature (4
 * = C13), symbol records up to SymBytes (signature included), C11 lines
 * (obsolete, skipped), C13 debug subsections. Record layouts: cvinfo.h
 * PROCSYM32, THUNKSYM32, FRAMEPROCSYM; CV_DebugSSubsectionHeader_t,
 * CV_DebugSLinesHeader_t, CV_DebugSLinesFileBlockHeader_t, CV_Line_t. */
#include "sym/pdb/pdb_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

enum {
    S_FRAMEPROC = 0x1012,
    S_THUNK32 = 0x1102,
    /* THUNKSYM32 */
    THUNK_OFF = 16,
    THUNK_SEG = 20,
    THUNK_LEN = 22,
    THUNK_NAME = 25,
    /* FRAMEPROCSYM */
    FP_FRAME = 4,
    FP_SAVE_REGS = 16,
    FP_FLAGS = 26,
    FP_SIZE = 30,
    CV_LINES_HAVE_COLUMNS = 1,
};

typedef struct index_build {
    pdb_file *p;
    pdb_function *funcs;
    pdb_line *lines;
    size_t nfuncs, nlines, fcap, lcap;
    /* Scratch for one LINES subsection. */
    struct raw_line {
        uint32_t off, line;
        uint32_t seq; /* input order, so equal offsets sort stably */
        const char *file;
    } *tmp;
    size_t tmp_cap;
    pdb_range_buf ranges; /* where the current record went (OMAP) */
} index_build;

static bool push_function(index_build *b, const pdb_function *f)
{
    if (b->nfuncs == b->fcap) {
        size_t cap = b->fcap ? b->fcap * 2 : 64;
        pdb_function *n = realloc(b->funcs, cap * sizeof *n);
        if (!n) return false;
        b->funcs = n;
        b->fcap = cap;
    }
    b->funcs[b->nfuncs++] = *f;
    return true;
}

static bool push_line(index_build *b, const pdb_line *l)
{
    if (b->nlines == b->lcap) {
        size_t cap = b->lcap ? b->lcap * 2 : 256;
        pdb_line *n = realloc(b->lines, cap * sizeof *n);
        if (!n) return false;
        b->lines = n;
        b->lcap = cap;
    }
    b->lines[b->nlines++] = *l;
    return true;
}

/* seg:off of a procedure of len bytes to the image ranges it occupies
 * (one, without OMAP) into b->ranges, and its start before OMAP. */
static bool place_code(index_build *b, uint16_t seg, uint32_t off, uint32_t len, uint32_t *src_rva)
{
    const pdb_file *p = b->p;
    b->ranges.n = 0;
    if (seg == 0 || seg > p->nsections) return true;
    uint64_t src = (uint64_t)p->sections[seg - 1].va + off;
    if (src > UINT32_MAX) return true;
    *src_rva = (uint32_t)src;
    return pdb_omap_map(p, (uint32_t)src, len, &b->ranges);
}

/* A procedure, once per image range its code went to: Breakpad's
 * dump_syms writes one FUNC per range, and a lookup in any of them finds
 * the procedure. Every piece carries the whole procedure's source extent
 * and entry point; all but the one holding the entry are `continued`.
 * Returns the number of pieces pushed, or SIZE_MAX when out of memory. */
static size_t push_pieces(index_build *b, const pdb_function *f)
{
    pdb_function g = *f;
    if (!pdb_omap_range_start(b->p, f->src_rva, f->src_size ? f->src_size : 1, &g.entry_rva)) {
        g.entry_rva = b->ranges.n ? b->ranges.v[0].rva : f->src_rva;
    }
    size_t head = 0; /* the piece holding the entry, else the first */
    for (size_t k = 0; k < b->ranges.n; k++) {
        const pdb_range *r = &b->ranges.v[k];
        if (g.entry_rva - r->rva < r->size || (r->size == 0 && r->rva == g.entry_rva)) {
            head = k;
            break;
        }
    }
    for (size_t k = 0; k < b->ranges.n; k++) {
        g.rva = b->ranges.v[k].rva;
        g.size = b->ranges.v[k].size;
        g.continued = k != head;
        if (!push_function(b, &g)) return SIZE_MAX;
    }
    return b->ranges.n;
}

static int module_symbols(index_build *b, uint16_t imod, const uint8_t *s, uint32_t end, cor_err *err)
{
    pdb_file *p = b->p;
    /* S_FRAMEPROC belongs to the procedure before it: its pieces are
     * funcs[last_proc..nfuncs). */
    size_t last_proc = SIZE_MAX;
    uint32_t off = 4;
    while (end - off >= 4) {
        uint16_t reclen = le16(s + off), kind = le16(s + off + 2);
        uint32_t rsize = 2u + reclen;
        if (reclen < 2 || rsize > end - off)
            return cor_fail(err, "symbol at 0x%x claims %u bytes, %u left", off, reclen, end - off - 2);
        const uint8_t *r = s + off;
        pdb_function f = { 0 };
        bool have = false;
        uint16_t seg = 0;
        uint32_t at = 0;
        switch (kind) {
        case S_LPROC32:
        case S_GPROC32:
        case S_LPROC32_ID:
        case S_GPROC32_ID:
        case S_LPROC32_DPC:
        case S_LPROC32_DPC_ID:
            if (rsize < PROC_NAME) break;
            f.src_size = le32(r + PROC_LEN);
            seg = le16(r + PROC_SEG);
            at = le32(r + PROC_OFF);
            f.name = pdb_arena_cstr(p, r, rsize, PROC_NAME);
            have = true;
            break;
        case S_THUNK32:
            if (rsize < THUNK_NAME) break;
            f.src_size = le16(r + THUNK_LEN);
            seg = le16(r + THUNK_SEG);
            at = le32(r + THUNK_OFF);
            f.name = pdb_arena_cstr(p, r, rsize, THUNK_NAME);
            f.is_thunk = true;
            have = true;
            break;
        case S_FRAMEPROC:
            if (rsize >= FP_SIZE && last_proc != SIZE_MAX) {
                for (size_t k = last_proc; k < b->nfuncs; k++) {
                    b->funcs[k].frame_size = le32(r + FP_FRAME);
                    b->funcs[k].saved_regs_size = le32(r + FP_SAVE_REGS);
                    b->funcs[k].frame_flags = le32(r + FP_FLAGS);
                }
                last_proc = SIZE_MAX;
            }
            break;
        default: /* S_BLOCK32, locals, inline sites, ...: not indexed */
            break;
        }
        if (have) {
            if (!f.name) return cor_fail(err, "out of memory for function names");
            f.module = imod;
            if (!place_code(b, seg, at, f.src_size, &f.src_rva)) return cor_fail(err, "out of memory placing code");
            size_t first = b->nfuncs, n = push_pieces(b, &f);
            if (n == SIZE_MAX) return cor_fail(err, "out of memory for functions");
            last_proc = f.is_thunk || n == 0 ? SIZE_MAX : first;
        }
        off += rsize;
    }
    return COR_OK;
}

static int cmp_raw_line(const void *a, const void *b)
{
    const struct raw_line *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* File name for a DEBUG_S_LINES block: offFile is the byte offset of a
 * checksum entry {u32 name offset in /names, u8 cb, u8 kind, bytes}. */
static const char *checksum_file(const pdb_file *p, const uint8_t *chk, uint32_t chk_len, uint32_t off_file)
{
    if (!chk || !span_ok(chk_len, off_file, 6)) return "";
    const char *name = pdb_names_at(p, le32(chk + off_file));
    return name ? name : "";
}

static int lines_subsection(index_build *b, const uint8_t *d, uint32_t len, const uint8_t *chk, uint32_t chk_len,
                            cor_err *err)
{
    pdb_file *p = b->p;
    if (len < 12) return cor_fail(err, "DEBUG_S_LINES of %u bytes, header needs 12", len);
    uint32_t off_con = le32(d);
    uint16_t seg = le16(d + 4), flags = le16(d + 6);
    uint32_t cb_con = le32(d + 8);
    size_t n = 0;
    uint32_t at = 12;
    while (len - at >= 12) {
        uint32_t off_file = le32(d + at), nlines = le32(d + at + 4), cb_block = le32(d + at + 8);
        uint64_t need = 12 + (uint64_t)nlines * (flags & CV_LINES_HAVE_COLUMNS ? 12 : 8);
        if (cb_block < need || cb_block > len - at)
            return cor_fail(err, "DEBUG_S_LINES block at 0x%x: %u lines need %" PRIu64 " bytes, block is %u, %u left",
                            at, nlines, need, cb_block, len - at);
        const char *file = checksum_file(p, chk, chk_len, off_file);
        if (n + nlines > b->tmp_cap) {
            size_t cap = (n + nlines) * 2;
            struct raw_line *t = realloc(b->tmp, cap * sizeof *t);
            if (!t) return cor_fail(err, "out of memory for line records");
            b->tmp = t;
            b->tmp_cap = cap;
        }
        for (uint32_t i = 0; i < nlines; i++) {
            const uint8_t *l = d + at + 12 + (size_t)i * 8;
            b->tmp[n].off = le32(l);
            b->tmp[n].line = le32(l + 4) & 0xFFFFFF; /* linenumStart:24 */
            b->tmp[n].file = file;
            b->tmp[n].seq = (uint32_t)n;
            n++;
        }
        at += cb_block;
    }
    /* A line runs to the next line of the same contribution, whichever
     * file block holds it; the last runs to the end of the contribution. */
    qsort(b->tmp, n, sizeof *b->tmp, cmp_raw_line);
    for (size_t i = 0; i < n; i++) {
        uint32_t next = i + 1 < n ? b->tmp[i + 1].off : cb_con;
        /* Two lines at one offset: the first covers nothing. It is kept
         * (DIA, and so dump_syms, lists it with length 0), but lookups
         * pass over it to the line that covers the address. */
        if (next < b->tmp[i].off) continue; /* past the contribution: damaged */
        /* Like a procedure, a line is listed once per image range its
         * code went to (dump_syms prints one line record per range). */
        pdb_line l = { .line = b->tmp[i].line, .file = b->tmp[i].file };
        if (!place_code(b, seg, off_con + b->tmp[i].off, next - b->tmp[i].off, &l.src_rva))
            return cor_fail(err, "out of memory placing line records");
        for (size_t k = 0; k < b->ranges.n; k++) {
            l.rva = b->ranges.v[k].rva;
            l.size = b->ranges.v[k].size;
            if (!push_line(b, &l)) return cor_fail(err, "out of memory for line records");
        }
    }
    return COR_OK;
}

static int module_lines(index_build *b, const uint8_t *s, uint32_t start, uint32_t end, cor_err *err)
{
    /* The checksums subsection may come after the lines that use it. */
    const uint8_t *chk = NULL;
    uint32_t chk_len = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t off = start;
        while (end - off >= 8) {
            uint32_t type = le32(s + off), len = le32(s + off + 4);
            if (len > end - off - 8)
                return cor_fail(err, "C13 subsection 0x%x at 0x%x: %u bytes, %u left", type, off, len, end - off - 8);
            const uint8_t *d = s + off + 8;
            if (!(type & DEBUG_S_IGNORE)) {
                if (pass == 0 && type == DEBUG_S_FILECHKSMS && !chk) chk = d, chk_len = len;
                if (pass == 1 && type == DEBUG_S_LINES && lines_subsection(b, d, len, chk, chk_len, err) != COR_OK)
                    return COR_FAIL;
            }
            uint64_t next = ((uint64_t)off + 8 + len + 3) & ~(uint64_t)3;
            if (next > end) break;
            off = (uint32_t)next;
        }
    }
    return COR_OK;
}

static int index_module(index_build *b, uint16_t imod, cor_err *err)
{
    pdb_file *p = b->p;
    const pdb_module *m = &p->mods[imod];
    if (m->stream == 0xFFFF || !msf_stream_present(&p->msf, m->stream)) return COR_OK;
    uint8_t *s;
    uint32_t len;
    if (msf_read_stream(&p->msf, m->stream, &s, &len, err) != COR_OK) return COR_FAIL;
    int rc = COR_FAIL;
    uint64_t total = (uint64_t)m->sym_bytes + m->c11_bytes + m->c13_bytes;
    if (total > len) {
        cor_fail(err, "symbols %u + C11 %u + C13 %u bytes exceed the stream's %u", m->sym_bytes, m->c11_bytes,
                 m->c13_bytes, len);
        goto out;
    }
    if (m->sym_bytes >= 4 && le32(s) != 4) {
        cor_fail(err, "symbol signature %u is not 4 (C13)", le32(s));
        goto out;
    }
    if (m->sym_bytes >= 4 && module_symbols(b, imod, s, m->sym_bytes, err) != COR_OK) goto out;
    uint32_t c13 = m->sym_bytes + m->c11_bytes;
    if (module_lines(b, s, c13, c13 + m->c13_bytes, err) != COR_OK) goto out;
    rc = COR_OK;
out:
    free(s);
    return rc;
}

static int cmp_function(const void *a, const void *b)
{
    const pdb_function *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    if (x->is_thunk != y->is_thunk) return x->is_thunk ? 1 : -1; /* real procedures first */
    return x->size > y->size ? -1 : x->size < y->size;
}

/* By address; at one address shorter first, so a lookup, which takes the
 * last line starting at or before the address, meets an empty line only
 * when nothing else starts there. */
static int cmp_line(const void *a, const void *b)
{
    const pdb_line *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* Reads and indexes one module, once; a damaged module is remembered as
 * such and contributes nothing. */
static void load_module(pdb_file *p, size_t imod)
{
    pdb_mod_index *mi = &p->modidx[imod];
    if (mi->state != MOD_UNLOADED) return;
    index_build b = { .p = p };
    cor_err e;
    if (index_module(&b, (uint16_t)imod, &e) != COR_OK) {
        free(b.funcs);
        free(b.lines);
        mi->state = MOD_FAILED;
        if (!p->mod_err.msg[0])
            snprintf(p->mod_err.msg, sizeof p->mod_err.msg, "module %zu (%.200s): %.280s", imod, p->mods[imod].name,
                     e.msg);
    } else {
        if (b.nfuncs) qsort(b.funcs, b.nfuncs, sizeof *b.funcs, cmp_function);
        if (b.nlines) qsort(b.lines, b.nlines, sizeof *b.lines, cmp_line);
        mi->funcs = b.funcs;
        mi->nfuncs = b.nfuncs;
        mi->lines = b.lines;
        mi->nlines = b.nlines;
        mi->state = MOD_LOADED;
    }
    free(b.tmp);
    pdb_range_buf_free(&b.ranges);
}

static bool ensure_modidx(pdb_file *p)
{
    if (!p->modidx && p->nmods) p->modidx = calloc(p->nmods, sizeof *p->modidx);
    return p->modidx != NULL;
}

int pdb_build_index(pdb_file *p, size_t *skipped, cor_err *err)
{
    if (skipped) *skipped = 0;
    if (p->indexed) goto done;
    if (p->nmods && !ensure_modidx(p)) return cor_fail(err, "out of memory for %zu module indexes", p->nmods);
    size_t nf = 0, nl = 0;
    for (size_t i = 0; i < p->nmods && i < 0xFFFF; i++) {
        load_module(p, i);
        nf += p->modidx[i].nfuncs;
        nl += p->modidx[i].nlines;
    }
    p->funcs = malloc((nf ? nf : 1) * sizeof *p->funcs);
    p->lines = malloc((nl ? nl : 1) * sizeof *p->lines);
    if (!p->funcs || !p->lines) {
        free(p->funcs);
        free(p->lines);
        p->funcs = NULL;
        p->lines = NULL;
        return cor_fail(err, "out of memory for %zu functions and %zu lines", nf, nl);
    }
    /* Merge the per-module indexes into one; lookups use it from now on,
     * so the per-module copies go. */
    for (size_t i = 0; i < p->nmods && i < 0xFFFF; i++) {
        pdb_mod_index *mi = &p->modidx[i];
        if (mi->nfuncs) memcpy(p->funcs + p->nfuncs, mi->funcs, mi->nfuncs * sizeof *mi->funcs);
        if (mi->nlines) memcpy(p->lines + p->nlines, mi->lines, mi->nlines * sizeof *mi->lines);
        p->nfuncs += mi->nfuncs;
        p->nlines += mi->nlines;
        free(mi->funcs);
        free(mi->lines);
        mi->funcs = NULL;
        mi->lines = NULL;
        mi->nfuncs = mi->nlines = 0;
    }
    if (p->nfuncs) qsort(p->funcs, p->nfuncs, sizeof *p->funcs, cmp_function);
    if (p->nlines) qsort(p->lines, p->nlines, sizeof *p->lines, cmp_line);
    p->indexed = true;
done:
    if (skipped) {
        for (size_t i = 0; i < p->nmods && p->modidx; i++) *skipped += p->modidx[i].state == MOD_FAILED;
        if (*skipped && err) *err = p->mod_err;
    }
    return COR_OK;
}

static void ensure_index(pdb_file *p)
{
    if (!p->indexed) pdb_build_index(p, NULL, NULL);
}

size_t pdb_function_count(pdb_file *p)
{
    ensure_index(p);
    return p->nfuncs;
}
const pdb_function *pdb_function_at(pdb_file *p, size_t i)
{
    ensure_index(p);
    return i < p->nfuncs ? &p->funcs[i] : NULL;
}
size_t pdb_line_count(pdb_file *p)
{
    ensure_index(p);
    return p->nlines;
}
const pdb_line *pdb_line_at(pdb_file *p, size_t i)
{
    ensure_index(p);
    return i < p->nlines ? &p->lines[i] : NULL;
}

static int cmp_range(const void *a, const void *b)
{
    const pdb_code_range *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

/* The module whose section contribution covers rva, found without reading
 * any module stream (DbiStream.rst "Section Contribution Substream").
 * Returns SIZE_MAX when none does, or when lookups must go through the
 * whole index instead: with OMAP a contribution no longer maps to one
 * range of the image. */
static size_t module_at(pdb_file *p, uint32_t rva)
{
    if (p->omap_from || !ensure_modidx(p)) return SIZE_MAX;
    if (!p->ranges_built) {
        p->ranges_built = true;
        p->ranges = calloc(p->ncontribs ? p->ncontribs : 1, sizeof *p->ranges);
        if (!p->ranges) return SIZE_MAX;
        for (size_t i = 0; i < p->ncontribs; i++) {
            const pdb_contribution *c = &p->contribs[i];
            pdb_code_range r = { 0, c->size, c->module };
            if (c->size && c->module < p->nmods && pdb_section_rva(p, c->section, c->offset, &r.rva))
                p->ranges[p->nranges++] = r;
        }
        qsort(p->ranges, p->nranges, sizeof *p->ranges, cmp_range);
    }
    if (!p->ranges) return SIZE_MAX;
    size_t i = LAST_AT_OR_BEFORE(p->ranges, p->nranges, rva);
    if (i == SIZE_MAX || rva - p->ranges[i].rva >= p->ranges[i].size) return SIZE_MAX;
    load_module(p, p->ranges[i].module);
    return p->ranges[i].module;
}

/* True when lookups can go to one module rather than the whole index. */
static bool use_module_path(const pdb_file *p) { return !p->indexed && !p->omap_from && p->nmods; }

/* Several records can start at one address (identical code folded); the
 * first (sorted: procedures before thunks, longest first) that covers the
 * address wins. Procedures do not otherwise overlap. */
static const pdb_function *search_functions(const pdb_function *funcs, size_t n, uint32_t rva)
{
    size_t i = LAST_AT_OR_BEFORE(funcs, n, rva);
    if (i == SIZE_MAX) return NULL;
    uint32_t start = funcs[i].rva;
    while (i > 0 && funcs[i - 1].rva == start) i--;
    for (; i < n && funcs[i].rva == start; i++)
        if (rva - start < funcs[i].size) return &funcs[i];
    return NULL;
}

static const pdb_line *search_lines(const pdb_line *lines, size_t n, uint32_t rva)
{
    size_t i = LAST_AT_OR_BEFORE(lines, n, rva);
    while (i != SIZE_MAX && i > 0 && lines[i].size == 0) i--; /* empty lines cover nothing */
    if (i == SIZE_MAX || rva - lines[i].rva >= lines[i].size) return NULL;
    return &lines[i];
}

/* With OMAP the index holds each procedure and line once per image range
 * it went to, so an image address is looked up directly, as in the .sym
 * dump_syms writes. */
const pdb_function *pdb_find_function(pdb_file *p, uint32_t rva)
{
    if (use_module_path(p)) {
        size_t m = module_at(p, rva);
        if (m == SIZE_MAX) return NULL;
        return search_functions(p->modidx[m].funcs, p->modidx[m].nfuncs, rva);
    }
    ensure_index(p);
    return search_functions(p->funcs, p->nfuncs, rva);
}

const pdb_line *pdb_find_line(pdb_file *p, uint32_t rva)
{
    if (use_module_path(p)) {
        size_t m = module_at(p, rva);
        if (m == SIZE_MAX) return NULL;
        return search_lines(p->modidx[m].lines, p->modidx[m].nlines, rva);
    }
    ensure_index(p);
    return search_lines(p->lines, p->nlines, rva);
}

/* ---- sym_source ------------------------------------------------------ */

static bool src_lookup(void *self, uint32_t rva, sym_hit *out)
{
    pdb_file *p = self;
    memset(out, 0, sizeof *out);
    const pdb_function *f = pdb_find_function(p, rva);
    if (f) {
        out->function = f->name;
        out->func_rva = f->rva;
        out->func_size = f->size;
        const pdb_line *l = pdb_find_line(p, rva);
        /* 0xFEEFEE and 0xF00F00 mark compiler-generated code with no
         * source line (cvinfo.h); say "no line" rather than a number. */
        if (l && l->line != 0xFEEFEE && l->line != 0xF00F00) {
            out->file = l->file;
            out->line = l->line;
            out->line_rva = l->rva;
        }
        return true;
    }
    const pdb_public *pub = pdb_find_public(p, rva);
    /* A variable holding the address names it better than the nearest
     * public below it (which for data is often unrelated). */
    const pdb_data_sym *d = pdb_find_data(p, rva);
    if (d && (!pub || pub->rva <= d->rva)) {
        out->function = d->name;
        out->func_rva = d->rva;
        out->func_size = d->size;
        return true;
    }
    if (!pub) return false;
    out->function = pub->undecorated;
    out->func_rva = pub->rva;
    out->is_public = true;
    return true;
}

/* A sym_func is a whole procedure: at its entry point, of its length
 * before OMAP, listed once however many pieces the index holds. */
static sym_func whole_function(const pdb_function *f) { return (sym_func){ f->name, f->entry_rva, f->src_size }; }

static void src_each_function(void *self, bool (*fn)(void *ctx, const sym_func *f), void *ctx)
{
    pdb_file *p = self;
    ensure_index(p);
    for (size_t i = 0; i < p->nfuncs; i++) {
        if (p->funcs[i].continued) continue;
        sym_func f = whole_function(&p->funcs[i]);
        if (!fn(ctx, &f)) return;
    }
}

static bool src_by_name(void *self, const char *name, sym_func *out)
{
    pdb_file *p = self;
    ensure_index(p);
    for (size_t i = 0; i < p->nfuncs; i++) {
        if (!p->funcs[i].continued && strcmp(p->funcs[i].name, name) == 0) {
            *out = whole_function(&p->funcs[i]);
            return true;
        }
    }
    for (size_t i = 0; i < p->npublics; i++) {
        const pdb_public *pub = &p->publics[i];
        if (strcmp(pub->name, name) == 0 || strcmp(pub->undecorated, name) == 0) {
            *out = (sym_func){ pub->undecorated, pub->rva, 0 };
            return true;
        }
    }
    return false;
}

static void src_free(void *self) { pdb_file_close(self); }

static const sym_source_ops pdb_source_ops = {
    .kind = SYM_KIND_PDB,
    .lookup = src_lookup,
    .each_function = src_each_function,
    .by_name = src_by_name,
    .free = src_free,
};

int pdb_source_from_file(pdb_file *p, const char *origin, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    out->origin = strdup(origin);
    if (!out->origin) {
        pdb_file_close(p);
        return cor_fail(err, "out of memory");
    }
    out->ops = &pdb_source_ops;
    out->self = p;
    return COR_OK;
}

int pdb_open(const char *path, sym_source *out, cor_err *err)
{
    pdb_file *p;
    if (pdb_file_open(path, &p, err) != COR_OK) return COR_FAIL;
    return pdb_source_from_file(p, path, out, err);
}
