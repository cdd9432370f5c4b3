/* Lookups over parsed Breakpad symbols, the sym_source adapter, and the
 * Breakpad symbol-directory layout. The address rules are Breakpad's
 * BasicSourceLineResolver::Module::LookupAddress and FindWindowsFrameInfo
 * (processor/basic_source_line_resolver.cc). */
#include "sym/breakpad/breakpad.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Index of the last element whose rva is <= rva, or -1. The element type
 * must have a uint32_t `rva` at offset off. */
static long last_at_or_below(const void *base, size_t n, size_t size, size_t off, uint32_t rva)
{
    const char *p = base;
    size_t lo = 0, hi = n; /* answer in [lo, hi) shifted by one */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t v;
        memcpy(&v, p + mid * size + off, sizeof v);
        if (v <= rva) lo = mid + 1;
        else hi = mid;
    }
    return (long)lo - 1;
}

#define LAST_BELOW(arr, n, rva) last_at_or_below((arr), (n), sizeof *(arr), offsetof(__typeof__(*(arr)), rva), (rva))

/* Index of the first element at or below rva that shares the rva of the
 * last one there, or -1. Breakpad keeps the first of several records at one
 * address (its maps refuse the later ones); identical-code folding can put
 * thousands of FUNC m records at one address, so this is a second binary
 * search rather than a walk back. */
static long first_of_last_at_or_below(const void *base, size_t n, size_t size, size_t off, uint32_t rva)
{
    long i = last_at_or_below(base, n, size, off, rva);
    if (i <= 0) return i;
    uint32_t at;
    memcpy(&at, (const char *)base + (size_t)i * size + off, sizeof at);
    if (at == 0) return 0;
    return last_at_or_below(base, (size_t)i, size, off, at - 1) + 1;
}

#define FIRST_BELOW(arr, n, rva)                                                                      \
    first_of_last_at_or_below((arr), (n), sizeof *(arr), offsetof(__typeof__(*(arr)), rva), (rva))

static bool covers(uint32_t start, uint32_t size, uint32_t rva) { return rva >= start && rva - start < size; }

const bp_func *bp_find_func(const bp_symbols *bp, uint32_t rva)
{
    long i = FIRST_BELOW(bp->funcs, bp->nfuncs, rva);
    if (i < 0) return NULL;
    const bp_func *f = &bp->funcs[i];
    return covers(f->rva, f->size, rva) ? f : NULL;
}

const bp_line *bp_find_line(const bp_symbols *bp, const bp_func *f, uint32_t rva)
{
    /* A file with no LINE records has no array at all (NULL + 0 is undefined). */
    if (!f || !f->nlines || !bp->lines) return NULL;
    const bp_line *lines = bp->lines + f->first_line;
    long i = FIRST_BELOW(lines, f->nlines, rva);
    if (i < 0) return NULL;
    return covers(lines[i].rva, lines[i].size, rva) ? &lines[i] : NULL;
}

const bp_public *bp_find_public(const bp_symbols *bp, uint32_t rva)
{
    long i = FIRST_BELOW(bp->publics, bp->npublics, rva);
    if (i < 0) return NULL;
    const bp_public *p = &bp->publics[i];
    /* A PUBLIC covers up to the next FUNC: Breakpad takes it only when the
     * nearest FUNC below rva starts before it. */
    long f = LAST_BELOW(bp->funcs, bp->nfuncs, rva);
    if (f >= 0 && bp->funcs[f].rva >= p->rva) return NULL;
    return p;
}

const char *bp_file_name(const bp_symbols *bp, uint32_t id)
{
    size_t lo = 0, hi = bp->nfiles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bp->files[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < bp->nfiles && bp->files[lo].id == id ? bp->files[lo].name : NULL;
}

const char *bp_inline_origin_name(const bp_symbols *bp, uint32_t id)
{
    size_t lo = 0, hi = bp->norigins;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bp->origins[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < bp->norigins && bp->origins[lo].id == id ? bp->origins[lo].name : NULL;
}

/* Nesting deeper than this is not followed (dump_syms output stays far
 * below it; a damaged file could claim any depth). */
#define INLINE_MAX_DEPTH 64

static bool inline_covers(const bp_symbols *bp, const bp_inline *in, uint32_t rva)
{
    if (in->first_range > bp->ninline_ranges || in->nranges > bp->ninline_ranges - in->first_range) return false;
    for (uint32_t k = 0; k < in->nranges; k++) {
        const bp_range *r = &bp->inline_ranges[in->first_range + k];
        if (covers(r->rva, r->size, rva)) return true;
    }
    return false;
}

size_t bp_find_inlines(const bp_symbols *bp, const bp_func *f, uint32_t rva, const bp_inline **out, size_t max)
{
    if (!f || !f->ninlines || f->first_inline > bp->ninlines || f->ninlines > bp->ninlines - f->first_inline)
        return 0;
    const bp_inline *in = bp->inlines + f->first_inline;
    /* last[d]: the latest record seen at depth d, the parent of the next
     * record at depth d + 1; chain[d]: the active record at depth d. */
    size_t last[INLINE_MAX_DEPTH], chain[INLINE_MAX_DEPTH];
    for (size_t d = 0; d < INLINE_MAX_DEPTH; d++) last[d] = chain[d] = SIZE_MAX;
    size_t depth = 0; /* active records found */
    for (size_t i = 0; i < f->ninlines; i++) {
        uint32_t d = in[i].depth;
        if (d >= INLINE_MAX_DEPTH) continue;
        size_t parent = d ? last[d - 1] : SIZE_MAX;
        last[d] = i;
        /* Active when its parent is the innermost active record and its
         * ranges hold the address. */
        if (d != depth || (d && parent != chain[d - 1]) || !inline_covers(bp, &in[i], rva)) continue;
        chain[depth++] = i;
    }
    for (size_t k = 0; k < depth && k < max; k++) out[k] = &in[chain[k]];
    return depth;
}

/* How far back to look for an enclosing STACK WIN record when the nearest
 * one below an address has ended: Breakpad keeps them in a
 * ContainedRangeMap, so ranges may nest, but never deeply. */
#define STACK_WIN_NEST_SCAN 16

const bp_stack_win *bp_find_stack_win_type(const bp_symbols *bp, uint32_t type, uint32_t rva)
{
    /* The slice of that type (the array is sorted by type, then rva). */
    if (bp->nstack_win == 0) return NULL; /* no array at all: NULL + 0 is undefined */
    size_t lo = 0, hi = bp->nstack_win;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bp->stack_win[mid].type < type) lo = mid + 1;
        else hi = mid;
    }
    size_t first = lo;
    hi = bp->nstack_win;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bp->stack_win[mid].type <= type) lo = mid + 1;
        else hi = mid;
    }
    const bp_stack_win *w = bp->stack_win + first;
    size_t n = lo - first;
    long i = LAST_BELOW(w, n, rva);
    for (long k = 0; i >= 0 && k < STACK_WIN_NEST_SCAN; i--, k++)
        if (covers(w[i].rva, w[i].code_size, rva)) return &w[i];
    return NULL;
}

const bp_stack_win *bp_find_stack_win(const bp_symbols *bp, uint32_t rva)
{
    const bp_stack_win *w = bp_find_stack_win_type(bp, BP_WIN_FRAME_DATA, rva);
    return w ? w : bp_find_stack_win_type(bp, BP_WIN_FPO, rva);
}

bool bp_find_cfi(const bp_symbols *bp, uint32_t rva, bp_cfi_rules *out)
{
    long i = FIRST_BELOW(bp->cfi, bp->ncfi, rva);
    if (i < 0) return false;
    const bp_cfi *c = &bp->cfi[i];
    if (!covers(c->rva, c->size, rva)) return false;
    const bp_cfi_delta *d = c->ndeltas ? bp->cfi_deltas + c->first_delta : NULL;
    size_t k = 0;
    while (k < c->ndeltas && d[k].rva <= rva) k++;
    out->cfi = c;
    out->init_rules = c->init_rules;
    out->deltas = d;
    out->ndeltas = k;
    return true;
}

/* ---- sym_source ---- */

static bool src_lookup(void *self, uint32_t rva, sym_hit *out)
{
    const bp_symbols *bp = self;
    memset(out, 0, sizeof *out);
    const bp_func *f = bp_find_func(bp, rva);
    if (f) {
        out->function = f->name;
        out->func_rva = f->rva;
        out->func_size = f->size;
        const bp_line *l = bp_find_line(bp, f, rva);
        if (l) {
            out->file = bp_file_name(bp, l->file_id);
            out->line = l->line;
            out->line_rva = l->rva;
        }
        return true;
    }
    const bp_public *p = bp_find_public(bp, rva);
    if (!p) return false;
    out->function = p->name;
    out->func_rva = p->rva;
    out->is_public = true;
    return true;
}

static void src_each(void *self, bool (*fn)(void *ctx, const sym_func *f), void *ctx)
{
    const bp_symbols *bp = self;
    for (size_t i = 0; i < bp->nfuncs; i++) {
        sym_func f = { bp->funcs[i].name, bp->funcs[i].rva, bp->funcs[i].size };
        if (!fn(ctx, &f)) return;
    }
    for (size_t i = 0; i < bp->npublics; i++) {
        sym_func f = { bp->publics[i].name, bp->publics[i].rva, 0 };
        if (!fn(ctx, &f)) return;
    }
}

/* A linear scan: exact-name lookups are rare (x, bp commands), and an
 * index would cost memory on every loaded .sym. */
static bool src_by_name(void *self, const char *name, sym_func *out)
{
    const bp_symbols *bp = self;
    for (size_t i = 0; i < bp->nfuncs; i++) {
        if (strcmp(bp->funcs[i].name, name) == 0) {
            *out = (sym_func){ bp->funcs[i].name, bp->funcs[i].rva, bp->funcs[i].size };
            return true;
        }
    }
    for (size_t i = 0; i < bp->npublics; i++) {
        if (strcmp(bp->publics[i].name, name) == 0) {
            *out = (sym_func){ bp->publics[i].name, bp->publics[i].rva, 0 };
            return true;
        }
    }
    return false;
}

static void src_free(void *self) { bp_close(self); }

static const sym_source_ops breakpad_ops = {
    .kind = SYM_KIND_BREAKPAD,
    .lookup = src_lookup,
    .each_function = src_each,
    .by_name = src_by_name,
    .free = src_free,
};

static int make_source(bp_symbols *bp, const char *origin, sym_source *out, cor_err *err)
{
    out->ops = &breakpad_ops;
    out->self = bp;
    out->origin = origin ? strdup(origin) : NULL;
    if (origin && !out->origin) {
        bp_close(bp);
        memset(out, 0, sizeof *out);
        return cor_fail(err, "out of memory");
    }
    return COR_OK;
}

int breakpad_open(const char *path, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    bp_symbols *bp;
    if (bp_open(path, &bp, err) != COR_OK) return COR_FAIL;
    return make_source(bp, path, out, err);
}

int breakpad_open_mem(const void *data, size_t size, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    bp_symbols *bp;
    if (bp_open_mem(data, size, &bp, err) != COR_OK) return COR_FAIL;
    return make_source(bp, NULL, out, err);
}

bp_symbols *breakpad_symbols(const sym_source *s)
{
    return s && s->ops == &breakpad_ops ? s->self : NULL;
}

/* ---- symbol directories ---- */

static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The entry of dir whose name equals name ignoring case, or NULL: stores
 * copied from Windows keep the case of whoever wrote them first. */
static char *find_ci(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *found = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcasecmp(e->d_name, name) == 0) {
            found = strdup(e->d_name);
            break;
        }
    }
    closedir(d);
    return found;
}

static char *join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", a, b);
    return s;
}

/* dir/name, trying the exact name first, then any case. NULL when absent. */
static char *child(const char *dir, const char *name, bool want_file)
{
    char *p = join(dir, name);
    if (!p) return NULL;
    struct stat sb;
    if (stat(p, &sb) == 0 && (want_file ? S_ISREG(sb.st_mode) : S_ISDIR(sb.st_mode))) return p;
    free(p);
    char *ci = find_ci(dir, name);
    if (!ci) return NULL;
    p = join(dir, ci);
    free(ci);
    return p;
}

int breakpad_find_in_dir(const char *dir, const char *debug_file, const char *debug_id, char **path_out,
                         cor_err *err)
{
    *path_out = NULL;
    if (!dir || !debug_file || !debug_id || !*debug_id) return cor_fail(err, "no debug file or id to look up");
    /* A CodeView path is a Windows path; the store keys on its last part. */
    const char *base = debug_file;
    for (const char *p = debug_file; *p; p++)
        if (*p == '\\' || *p == '/') base = p + 1;
    size_t blen = strlen(base);
    if (blen == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return cor_fail(err, "debug file name \"%s\" has no usable last component", debug_file);
    for (const char *p = debug_id; *p; p++)
        if (*p == '/' || *p == '\\' || *p == '.') return cor_fail(err, "debug id \"%s\" is not an id", debug_id);

    /* Breakpad's SimpleSymbolSupplier: strip a ".pdb" suffix, add ".sym". */
    char *sym = malloc(blen + 5);
    if (!sym) return cor_fail(err, "out of memory");
    size_t stem = blen;
    if (blen > 4 && strcasecmp(base + blen - 4, ".pdb") == 0) stem -= 4;
    memcpy(sym, base, stem);
    memcpy(sym + stem, ".sym", 5);

    char *d1 = child(dir, base, false);
    char *d2 = d1 ? child(d1, debug_id, false) : NULL;
    char *f = d2 ? child(d2, sym, true) : NULL;
    free(d1);
    free(d2);
    if (!f || !is_file(f)) {
        free(f);
        int rc = cor_fail(err, "%s/%s/%s/%s: not found", dir, base, debug_id, sym);
        free(sym);
        return rc;
    }
    free(sym);
    *path_out = f;
    return COR_OK;
}

int breakpad_find_for_codeview(const char *dir, const md_codeview *cv, char **path_out, cor_err *err)
{
    *path_out = NULL;
    char id[48];
    if (!cv || !cv->pdb_path || !*md_codeview_id(cv, id))
        return cor_fail(err, "module has no CodeView record to key a Breakpad symbol file");
    return breakpad_find_in_dir(dir, cv->pdb_path, id, path_out, err);
}
