/* OMAP: where a post-link optimizer (BBT, Syzygy) moved the code that
 * symbols describe.
 *
 * Two tables in the DBI optional debug header (microsoft-pdb dbi.h
 * DbgType): OMAP from source (slot 4) holds {source RVA, image RVA} sorted
 * by source RVA, OMAP to source (slot 3) {image RVA, source RVA} sorted by
 * image RVA. Each entry covers the bytes up to the next entry's first
 * field; a target of 0 means "nowhere" (dropped, or added by the
 * optimizer).
 *
 * Symbols, lines and frame records keep their source addresses, so each
 * has to be turned into the image ranges its bytes now occupy. We do that
 * as Breakpad's dump_syms does (src/common/windows/omap.cc, described in
 * its header comment), so that our records agree with the .sym files it
 * writes for the same PDB:
 *
 *  - OMAP to source becomes a list of mapped ranges: source bytes
 *    [src, src+len) sit at image [rva, rva+len); after them the image has
 *    `injected` bytes that come from no source (a gap in the table, or an
 *    entry pointing outside the source image) and the source has `removed`
 *    bytes that no image byte maps back to.
 *  - A source range maps to the clipped image pieces of the mapped ranges
 *    it overlaps, in image order, pieces separated only by injected bytes
 *    merged (code stretched by inserted padding stays one piece), injected
 *    bytes after the last piece left out.
 *
 * The source image ends where the original section table ends; OMAP to
 * source entries pointing at or past that (0x80000000 in Breakpad's
 * omap_stretched test PDBs) describe injected code. */
#include "sym/pdb/pdb_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- single addresses ------------------------------------------------- */

/* Index of the OMAP from source entry covering src, or SIZE_MAX. */
static size_t omap_entry(const pdb_file *p, uint32_t src)
{
    return LAST_AT_OR_BEFORE_BY(p->omap_from, p->nomap_from, src, from);
}

/* An entry mapping to 0 marks code the optimizer dropped; one mapping
 * past the end of the final image (Breakpad's omap_stretched test PDBs
 * use 0x80000000) has no place in it either. */
static bool omap_target_ok(const pdb_file *p, uint32_t to)
{
    return to != 0 && (p->image_end == 0 || to < p->image_end);
}

bool pdb_has_omap(const pdb_file *p) { return p->omap_from != NULL; }

bool pdb_omap_rva(const pdb_file *p, uint32_t src, uint32_t *rva)
{
    if (!p->omap_from) {
        *rva = src;
        return true;
    }
    size_t i = omap_entry(p, src);
    if (i == SIZE_MAX || !omap_target_ok(p, p->omap_from[i].to)) return false;
    uint64_t r = (uint64_t)p->omap_from[i].to + (src - p->omap_from[i].from);
    if (r > UINT32_MAX) return false;
    *rva = (uint32_t)r;
    return true;
}

bool pdb_omap_to_source(const pdb_file *p, uint32_t rva, uint32_t *src)
{
    if (!p->omap_from) {
        *src = rva;
        return true;
    }
    size_t i = LAST_AT_OR_BEFORE_BY(p->omap_to, p->nomap_to, rva, from);
    if (i == SIZE_MAX || p->omap_to[i].to == 0) return false;
    uint64_t r = (uint64_t)p->omap_to[i].to + (rva - p->omap_to[i].from);
    if (r > UINT32_MAX) return false;
    *src = (uint32_t)r;
    return true;
}

bool pdb_omap_range_start(const pdb_file *p, uint32_t src, uint32_t len, uint32_t *rva)
{
    if (pdb_omap_rva(p, src, rva)) return true;
    if (!p->omap_from) return false;
    /* The start was dropped or moved out; the range begins, in the image,
     * at its first piece that survived. */
    size_t i = omap_entry(p, src);
    for (i = i == SIZE_MAX ? 0 : i + 1; i < p->nomap_from && p->omap_from[i].from - src < len; i++) {
        if (p->omap_from[i].from < src) continue;
        if (omap_target_ok(p, p->omap_from[i].to)) {
            *rva = p->omap_from[i].to;
            return true;
        }
    }
    return false;
}

/* ---- the mapped ranges -------------------------------------------------- */

static int cmp_by_src(const void *a, const void *b)
{
    const pdb_omap_range *x = a, *y = b;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

static int cmp_by_rva(const void *a, const void *b)
{
    const pdb_omap_range *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The end of the source image: the original section table's last byte
 * (DIA's segment table, as Breakpad's GetOriginalImageLength reads it). */
static uint32_t source_image_end(const pdb_file *p)
{
    uint64_t end = 0;
    for (size_t i = 0; i < p->nsections; i++) {
        uint64_t e = (uint64_t)p->sections[i].va + p->sections[i].size;
        if (e > end) end = e;
    }
    return end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
}

/* OMAP to source as explicit ranges, in table order. Arithmetic is modulo
 * 2^32 throughout, as in omap.cc, so hostile tables give odd ranges, not
 * undefined behaviour. */
static size_t ranges_from_table(const pdb_file *p, uint32_t src_end, pdb_omap_range *m)
{
    const pdb_omap_entry *to = p->omap_to, *from = p->omap_from;
    size_t n = 0;
    /* The image headers are usually in neither table: they map to
     * themselves up to the first entry of either. */
    if (to[0].from > 0 && from[0].from > 0) {
        uint32_t h = to[0].from < from[0].from ? to[0].from : from[0].from;
        m[n++] = (pdb_omap_range){ .len = h, .injected = to[0].from - h, .removed = from[0].from - h };
    }
    for (size_t i = 0; i < p->nomap_to; i++) {
        uint32_t rva = to[i].from, src = to[i].to;
        if (src >= src_end) continue; /* code with no source: injected */
        uint32_t len = i + 1 < p->nomap_to ? to[i + 1].from - rva : src_end - src;
        if (len > src_end - src) len = src_end - src;
        if (len == 0) continue;
        /* Image bytes between the previous range and this one map to no
         * source: they were injected after it. */
        if (n) m[n - 1].injected += rva - (m[n - 1].rva + m[n - 1].len);
        m[n++] = (pdb_omap_range){ .src = src, .rva = rva, .len = len };
    }
    return n;
}

/* Source bytes that no image byte maps back to: each gap in the coverage
 * of the source (ranges sorted by src) is charged, as `removed`, to the
 * ranges that end where the gap begins. */
static void fill_removed(pdb_omap_range *m, size_t n)
{
    size_t fill = 0;
    uint32_t front = 0;
    for (size_t i = 0; i < n; i++) {
        if (front < m[i].src) {
            for (; fill < i; fill++)
                if (m[fill].src + m[fill].len == front) m[fill].removed = m[i].src - front;
        }
        front = m[i].src + m[i].len;
    }
}

static size_t first_endpoint_at_or_after(const pdb_omap_endpoint *e, size_t n, uint32_t at)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].at < at) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The next endpoint at or after k that no range has claimed yet (a
 * disjoint-set forest with path halving), so that marking costs
 * O(n α(n)) even when hostile ranges all overlap. */
static size_t next_unclaimed(size_t *next, size_t k)
{
    while (next[k] != k) {
        next[k] = next[next[k]];
        k = next[k];
    }
    return k;
}

/* Every range start and end (removed bytes included), each with the
 * lowest-numbered range that holds it: where a lookup starts scanning. */
static int build_endpoints(pdb_file *p, cor_err *err)
{
    const pdb_omap_range *m = p->omap_map;
    size_t n = p->nomap_map;
    uint32_t *at = malloc(2 * n * sizeof *at);
    pdb_omap_endpoint *e = malloc(2 * n * sizeof *e);
    size_t *next = malloc((2 * n + 1) * sizeof *next);
    if (!at || !e || !next) {
        free(at);
        free(e);
        free(next);
        return cor_fail(err, "OMAP: out of memory for %zu range endpoints", 2 * n);
    }
    for (size_t i = 0; i < n; i++) {
        at[2 * i] = m[i].src;
        at[2 * i + 1] = m[i].src + m[i].len + m[i].removed;
    }
    qsort(at, 2 * n, sizeof *at, cmp_u32);
    size_t ne = 0;
    for (size_t i = 0; i < 2 * n; i++)
        if (ne == 0 || at[i] != e[ne - 1].at) e[ne++] = (pdb_omap_endpoint){ at[i], (uint32_t)n };
    for (size_t k = 0; k <= ne; k++) next[k] = k;
    /* Ranges in order, so the first to claim an endpoint is the lowest. */
    for (size_t i = 0; i < n; i++) {
        size_t a = first_endpoint_at_or_after(e, ne, m[i].src);
        size_t b = first_endpoint_at_or_after(e, ne, m[i].src + m[i].len + m[i].removed);
        for (size_t k = next_unclaimed(next, a); k < b; k = next_unclaimed(next, k)) {
            e[k].first = (uint32_t)i;
            next[k] = k + 1;
        }
    }
    free(at);
    free(next);
    p->omap_ends = e;
    p->nomap_ends = ne;
    return COR_OK;
}

int pdb_omap_build(pdb_file *p, cor_err *err)
{
    /* Breakpad maps nothing unless both tables are there; with only one,
     * pdb_omap_map falls back to translating the start. */
    if (!p->nomap_to || !p->nomap_from) return COR_OK;
    if (p->nomap_to >= UINT32_MAX / 2) return cor_fail(err, "OMAP to source: %zu entries", p->nomap_to);
    pdb_omap_range *m = calloc(p->nomap_to + 1, sizeof *m);
    if (!m) return cor_fail(err, "OMAP: out of memory for %zu ranges", p->nomap_to + 1);
    size_t n = ranges_from_table(p, source_image_end(p), m);
    if (n == 0) {
        free(m);
        return COR_OK;
    }
    qsort(m, n, sizeof *m, cmp_by_src);
    fill_removed(m, n);
    p->omap_map = m;
    p->nomap_map = n;
    return build_endpoints(p, err);
}

/* ---- mapping a source range ----------------------------------------------- */

static bool push_range(pdb_range_buf *b, uint32_t rva, uint32_t size)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        pdb_range *v = realloc(b->v, cap * sizeof *v);
        if (!v) return false;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = (pdb_range){ rva, size };
    return true;
}

static bool push_piece(pdb_range_buf *b, const pdb_omap_range *r)
{
    if (b->ntmp == b->tmp_cap) {
        size_t cap = b->tmp_cap ? b->tmp_cap * 2 : 8;
        pdb_omap_range *t = realloc(b->tmp, cap * sizeof *t);
        if (!t) return false;
        b->tmp = t;
        b->tmp_cap = cap;
    }
    b->tmp[b->ntmp++] = *r;
    return true;
}

/* Cuts a mapped range down to the source bytes [qs, qe). A cut inside
 * its content drops what followed it; a cut inside its removed or
 * injected tail shortens those. */
static void clip(pdb_omap_range *r, uint32_t qs, uint32_t qe)
{
    if (qe <= r->src || r->src + r->len + r->removed <= qs) {
        r->len = r->injected = r->removed = 0;
        return;
    }
    if (r->src < qs) {
        uint32_t left = qs - r->src;
        r->src += left;
        r->rva += left;
        if (left > r->len) {
            uint32_t trim = left - r->len;
            r->len = 0;
            r->injected -= trim < r->injected ? trim : r->injected;
            r->removed -= trim;
        } else {
            r->len -= left;
        }
    }
    uint32_t end = r->src + r->len;
    if (qe < end) {
        r->len -= end - qe;
        r->injected = r->removed = 0;
        return;
    }
    if (qe < end + r->removed) r->removed = qe - end;
    if (qe < end + r->injected) r->injected = qe - end;
}

/* The mapped ranges that may overlap [qs, qe): from the lowest-numbered
 * range holding the last endpoint at or before qs, up to the first range
 * starting at or after qe. (A range before that first one is not looked
 * at even if it overlaps; omap.cc's index works the same way.) */
static void candidates(const pdb_file *p, uint32_t qs, uint32_t qe, size_t *lo, size_t *hi)
{
    size_t k = first_endpoint_at_or_after(p->omap_ends, p->nomap_ends, qs);
    if (k == p->nomap_ends) {
        *lo = p->nomap_map;
    } else {
        if (k > 0 && qs < p->omap_ends[k].at) k--;
        *lo = p->omap_ends[k].first;
    }
    *hi = LAST_AT_OR_BEFORE_BY(p->omap_map, p->nomap_map, qe - 1, src);
    *hi = *hi == SIZE_MAX ? 0 : *hi + 1;
    if (qe == 0) *hi = 0;
}

/* Joins pieces (sorted by image address) that only injected bytes keep
 * apart; trailing injected bytes are not claimed. As in omap.cc a piece's
 * end replaces, rather than extends, the end of the run it joins. */
static bool merge_pieces(pdb_range_buf *b)
{
    const pdb_omap_range *t = b->tmp;
    uint32_t begin = t[0].rva, content = begin + t[0].len, injected = content + t[0].injected;
    for (size_t i = 1; i < b->ntmp; i++) {
        if (injected < t[i].rva) {
            if (begin < content && !push_range(b, begin, content - begin)) return false;
            begin = t[i].rva;
        }
        content = t[i].rva + t[i].len;
        injected = content + t[i].injected;
    }
    return begin >= content || push_range(b, begin, content - begin);
}

bool pdb_omap_map(const pdb_file *p, uint32_t src, uint32_t len, pdb_range_buf *b)
{
    b->n = b->ntmp = 0;
    if (!p->omap_map) {
        uint32_t rva;
        return !pdb_omap_range_start(p, src, len ? len : 1, &rva) || push_range(b, rva, len);
    }
    /* An empty range is looked up as its first byte. */
    uint32_t qe = src + (len ? len : 1);
    size_t lo, hi;
    candidates(p, src, qe, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        pdb_omap_range r = p->omap_map[i];
        clip(&r, src, qe);
        if (r.len + r.injected > 0 && !push_piece(b, &r)) return false;
    }
    if (b->ntmp == 0) return true; /* the optimizer dropped all of it */
    qsort(b->tmp, b->ntmp, sizeof *b->tmp, cmp_by_rva);
    if (len > 0) return merge_pieces(b);
    /* An empty range: every distinct image address its byte went to. */
    for (size_t i = 0; i < b->ntmp; i++)
        if ((i == 0 || b->tmp[i].rva > b->v[b->n - 1].rva) && !push_range(b, b->tmp[i].rva, 0)) return false;
    return true;
}

void pdb_range_buf_free(pdb_range_buf *b)
{
    free(b->v);
    free(b->tmp);
    memset(b, 0, sizeof *b);
}
