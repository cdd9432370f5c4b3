/* Parsing a Breakpad .sym file into bp_symbols.
 *
 * One pass over the lines, appending to growable arrays, then one sort per
 * array. Records follow Breakpad's SymbolParseHelper (processor/
 * source_line_resolver_base.cc) and rust-minidump's breakpad-symbols
 * parser: fields are separated by runs of spaces, and the last field of a
 * record that ends in a name (FUNC, PUBLIC, FILE, INLINE_ORIGIN, STACK WIN
 * program strings, CFI rules) is the rest of the line, spaces included.
 *
 * Only lines that keep a string are written to (their terminator becomes a
 * NUL); line records, the bulk of a large file, are read without touching
 * their pages, so a private mapping of a 100 MB file stays mostly shared. */
#include "sym/breakpad/breakpad.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym/breakpad/bp_internal.h"

/* ---- growable arrays ---- */

static bool grow(void **p, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / elem) return false;
    void *q = realloc(*p, ncap * elem);
    if (!q) return false;
    *p = q;
    *cap = ncap;
    return true;
}

#define PUSH(bp, caps, field, count, value)                                                   \
    (grow((void **)&(bp)->field, &(caps)->field, (bp)->count, sizeof *(bp)->field)            \
         ? ((bp)->field[(bp)->count++] = (value), true)                                       \
         : false)

typedef struct caps {
    size_t files, funcs, lines, publics, origins, inlines, inline_ranges, stack_win, cfi, cfi_deltas;
} caps;

/* ---- tokens ---- */

typedef struct line_cur {
    char *p, *end; /* the line, without its terminator */
} line_cur;

static bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Next space-separated field; false at the end of the line. */
static bool tok(line_cur *c, char **s, size_t *n)
{
    while (c->p < c->end && is_space(*c->p)) c->p++;
    if (c->p == c->end) return false;
    *s = c->p;
    while (c->p < c->end && !is_space(*c->p)) c->p++;
    *n = (size_t)(c->p - *s);
    return true;
}

/* The rest of the line after leading spaces, NUL-terminated in place (the
 * byte at c->end is the line's terminator or one past the buffer's last
 * line, which the opener guarantees is writable). NULL when empty. */
static const char *rest(line_cur *c)
{
    while (c->p < c->end && is_space(*c->p)) c->p++;
    if (c->p == c->end) return NULL;
    *c->end = '\0';
    const char *s = c->p;
    c->p = c->end;
    return s;
}

/* A field, NUL-terminated in place (the separator after it becomes NUL). */
static const char *tok_str(line_cur *c)
{
    char *s;
    size_t n;
    if (!tok(c, &s, &n)) return NULL;
    s[n] = '\0';
    if (c->p < c->end) c->p++; /* past the NUL we wrote over a separator */
    return s;
}

static bool parse_hex(const char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 16) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        unsigned d;
        if (ch >= '0' && ch <= '9') d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f') d = (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F') d = (unsigned)(ch - 'A' + 10);
        else return false;
        x = x << 4 | d;
    }
    *v = x;
    return true;
}

static bool hex32(line_cur *c, uint32_t *v)
{
    char *s;
    size_t n;
    uint64_t x;
    if (!tok(c, &s, &n) || !parse_hex(s, n, &x) || x > UINT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

static bool dec32(line_cur *c, uint32_t *v)
{
    char *s;
    size_t n;
    if (!tok(c, &s, &n) || n > 10) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    if (x > UINT32_MAX) return false;
    *v = (uint32_t)x;
    return true;
}

/* An address and a size whose range must end at or below 2^32. */
static bool range32(line_cur *c, uint32_t *rva, uint32_t *size)
{
    if (!hex32(c, rva) || !hex32(c, size)) return false;
    return (uint64_t)*rva + *size <= (uint64_t)UINT32_MAX + 1;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

/* ---- records ---- */

typedef struct parse_state {
    bp_symbols *bp;
    caps cap;
    long cur_func; /* index of the FUNC that line and INLINE records attach to, or -1 */
    long cur_cfi;  /* index of the STACK CFI INIT that STACK CFI lines extend, or -1 */
    bool oom;
} parse_state;

/* MODULE <os> <arch> <debug_id> <debug_file> */
static bool rec_module(parse_state *st, line_cur *c)
{
    bp_symbols *bp = st->bp;
    bp->os = tok_str(c);
    bp->arch = tok_str(c);
    bp->debug_id = tok_str(c);
    bp->debug_file = rest(c);
    return bp->debug_file != NULL;
}

/* INFO CODE_ID <code_id> [<code_file>]; other INFO records are ignored. */
static bool rec_info(parse_state *st, line_cur *c)
{
    char *s;
    size_t n;
    if (!tok(c, &s, &n)) return false;
    if (!word_is(s, n, "CODE_ID")) return true;
    const char *id = tok_str(c);
    if (!id) return false;
    st->bp->code_id = id;
    st->bp->code_file = rest(c);
    return true;
}

/* FILE <id> <name> */
static bool rec_file(parse_state *st, line_cur *c)
{
    bp_file f;
    if (!dec32(c, &f.id) || !(f.name = rest(c))) return false;
    if (!PUSH(st->bp, &st->cap, files, nfiles, f)) st->oom = true;
    return true;
}

/* An optional "m" flag (several symbols folded to one address). */
static bool flag_m(line_cur *c)
{
    char *save = c->p, *s;
    size_t n;
    if (tok(c, &s, &n) && word_is(s, n, "m")) return true;
    c->p = save;
    return false;
}

/* FUNC [m] <rva> <size> <param_size> <name> */
static bool rec_func(parse_state *st, line_cur *c)
{
    bp_symbols *bp = st->bp;
    bp_func f = { 0 };
    st->cur_func = -1;
    f.multiple = flag_m(c);
    if (!range32(c, &f.rva, &f.size) || !hex32(c, &f.param_size) || !(f.name = rest(c))) return false;
    f.first_line = (uint32_t)bp->nlines;
    f.first_inline = (uint32_t)bp->ninlines;
    if (bp->nlines > UINT32_MAX - 1 || bp->ninlines > UINT32_MAX - 1) return false;
    if (!PUSH(bp, &st->cap, funcs, nfuncs, f)) {
        st->oom = true;
        return true;
    }
    st->cur_func = (long)bp->nfuncs - 1;
    return true;
}

/* <rva> <size> <line> <file_id>, belonging to the last FUNC. */
static bool rec_line(parse_state *st, line_cur *c)
{
    bp_symbols *bp = st->bp;
    bp_line l;
    if (st->cur_func < 0) return false;
    if (!range32(c, &l.rva, &l.size) || !dec32(c, &l.line) || !dec32(c, &l.file_id)) return false;
    char *s;
    size_t n;
    if (tok(c, &s, &n)) return false; /* trailing junk */
    if (bp->nlines >= UINT32_MAX) return false;
    if (!PUSH(bp, &st->cap, lines, nlines, l)) {
        st->oom = true;
        return true;
    }
    bp->funcs[st->cur_func].nlines++;
    return true;
}

/* PUBLIC [m] <rva> <param_size> <name> */
static bool rec_public(parse_state *st, line_cur *c)
{
    bp_public p = { 0 };
    p.multiple = flag_m(c);
    if (!hex32(c, &p.rva) || !hex32(c, &p.param_size) || !(p.name = rest(c))) return false;
    if (!PUSH(st->bp, &st->cap, publics, npublics, p)) st->oom = true;
    return true;
}

/* INLINE_ORIGIN <id> <name>. An older dump_syms wrote
 * "INLINE_ORIGIN <id> <file_id> <name>"; a name cannot tell the two apart,
 * so, like Breakpad, the newer form is assumed and the name kept whole. */
static bool rec_inline_origin(parse_state *st, line_cur *c)
{
    bp_inline_origin o;
    if (!dec32(c, &o.id) || !(o.name = rest(c))) return false;
    if (!PUSH(st->bp, &st->cap, origins, norigins, o)) st->oom = true;
    return true;
}

/* INLINE <depth> <call_line> <call_file> <origin> [<rva> <size>]+ */
static bool rec_inline(parse_state *st, line_cur *c)
{
    bp_symbols *bp = st->bp;
    bp_inline in;
    if (st->cur_func < 0) return false;
    if (!dec32(c, &in.depth) || !dec32(c, &in.call_line) || !dec32(c, &in.call_file_id) ||
        !dec32(c, &in.origin_id))
        return false;
    in.first_range = (uint32_t)bp->ninline_ranges;
    in.nranges = 0;
    size_t mark = bp->ninline_ranges;
    for (;;) {
        char *save = c->p, *s;
        size_t n;
        if (!tok(c, &s, &n)) break;
        c->p = save;
        bp_range r;
        if (!range32(c, &r.rva, &r.size) || bp->ninline_ranges >= UINT32_MAX) {
            bp->ninline_ranges = mark;
            return false;
        }
        if (!PUSH(bp, &st->cap, inline_ranges, ninline_ranges, r)) {
            st->oom = true;
            return true;
        }
        in.nranges++;
    }
    if (in.nranges == 0 || bp->ninlines >= UINT32_MAX) {
        bp->ninline_ranges = mark;
        return false;
    }
    if (!PUSH(bp, &st->cap, inlines, ninlines, in)) {
        st->oom = true;
        return true;
    }
    bp->funcs[st->cur_func].ninlines++;
    return true;
}

/* STACK WIN <type> <rva> <code_size> <prolog> <epilog> <params> <saved_regs>
 *   <locals> <max_stack> <has_program> <program | allocates_base_pointer> */
static bool rec_stack_win(parse_state *st, line_cur *c)
{
    bp_stack_win w = { 0 };
    uint32_t has_program;
    if (!hex32(c, &w.type) || w.type > BP_WIN_FRAME_DATA) return false;
    if (!range32(c, &w.rva, &w.code_size) || !hex32(c, &w.prologue_size) || !hex32(c, &w.epilogue_size) ||
        !hex32(c, &w.param_size) || !hex32(c, &w.saved_regs_size) || !hex32(c, &w.locals_size) ||
        !hex32(c, &w.max_stack_size) || !hex32(c, &has_program) || has_program > 1)
        return false;
    w.has_program = has_program;
    if (w.has_program) {
        if (!(w.program = rest(c))) return false;
    } else {
        uint32_t abp;
        if (!hex32(c, &abp)) return false;
        w.allocates_base_pointer = abp != 0;
    }
    if (!PUSH(st->bp, &st->cap, stack_win, nstack_win, w)) st->oom = true;
    return true;
}

/* STACK CFI INIT <rva> <size> <rules> | STACK CFI <rva> <rules> */
static bool rec_stack_cfi(parse_state *st, line_cur *c)
{
    bp_symbols *bp = st->bp;
    char *save = c->p, *s;
    size_t n;
    if (tok(c, &s, &n) && word_is(s, n, "INIT")) {
        bp_cfi f = { 0 };
        st->cur_cfi = -1;
        if (!range32(c, &f.rva, &f.size) || !(f.init_rules = rest(c))) return false;
        f.first_delta = (uint32_t)bp->ncfi_deltas;
        if (bp->ncfi_deltas >= UINT32_MAX) return false;
        if (!PUSH(bp, &st->cap, cfi, ncfi, f)) {
            st->oom = true;
            return true;
        }
        st->cur_cfi = (long)bp->ncfi - 1;
        return true;
    }
    c->p = save;
    bp_cfi_delta d;
    if (st->cur_cfi < 0) return false;
    if (!hex32(c, &d.rva) || !(d.rules = rest(c))) return false;
    if (bp->ncfi_deltas >= UINT32_MAX) return false;
    if (!PUSH(bp, &st->cap, cfi_deltas, ncfi_deltas, d)) {
        st->oom = true;
        return true;
    }
    bp->cfi[st->cur_cfi].ndeltas++;
    return true;
}

static bool rec_stack(parse_state *st, line_cur *c)
{
    char *s;
    size_t n;
    if (!tok(c, &s, &n)) return false;
    if (word_is(s, n, "WIN")) return rec_stack_win(st, c);
    if (word_is(s, n, "CFI")) return rec_stack_cfi(st, c);
    st->bp->unknown++;
    return true;
}

/* A line that starts with a hex digit is a line record; anything else
 * names its record type in the first field. */
static bool parse_line(parse_state *st, line_cur *c)
{
    char *s;
    size_t n;
    char *start = c->p;
    if (!tok(c, &s, &n)) return true; /* blank */
    if (s != start) return false;     /* leading spaces: not a record Breakpad writes */
    /* Line records, most of a large file, start with lower-case hex;
     * record names are upper-case words. */
    if ((s[0] >= '0' && s[0] <= '9') || (s[0] >= 'a' && s[0] <= 'f')) {
        c->p = start;
        return rec_line(st, c);
    }
    if (word_is(s, n, "FUNC")) return rec_func(st, c);
    if (word_is(s, n, "STACK")) return rec_stack(st, c);
    if (word_is(s, n, "PUBLIC")) return rec_public(st, c);
    if (word_is(s, n, "FILE")) return rec_file(st, c);
    if (word_is(s, n, "INLINE")) return rec_inline(st, c);
    if (word_is(s, n, "INLINE_ORIGIN")) return rec_inline_origin(st, c);
    if (word_is(s, n, "INFO")) return rec_info(st, c);
    if (word_is(s, n, "MODULE")) return false; /* a second MODULE */
    uint64_t v;
    if (parse_hex(s, n, &v)) {
        c->p = start;
        return rec_line(st, c);
    }
    /* An upper-case word we do not know: a newer record type. */
    if (s[0] >= 'A' && s[0] <= 'Z') {
        st->bp->unknown++;
        return true;
    }
    return false;
}

/* ---- sorting ---- */

/* Ties keep file order (Breakpad keeps the first of several records at one
 * address): names point into the buffer, so their order is file order. */
static int ptr_order(const void *a, const void *b) { return (uintptr_t)a < (uintptr_t)b ? -1 : (uintptr_t)a > (uintptr_t)b; }

static int cmp_func(const void *a, const void *b)
{
    const bp_func *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return ptr_order(x->name, y->name);
}

static int cmp_public(const void *a, const void *b)
{
    const bp_public *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return ptr_order(x->name, y->name);
}

static int cmp_file(const void *a, const void *b)
{
    const bp_file *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return ptr_order(x->name, y->name);
}

static int cmp_origin(const void *a, const void *b)
{
    const bp_inline_origin *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return ptr_order(x->name, y->name);
}

static int cmp_line(const void *a, const void *b)
{
    const bp_line *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

static int cmp_stack_win(const void *a, const void *b)
{
    const bp_stack_win *x = a, *y = b;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

static int cmp_cfi(const void *a, const void *b)
{
    const bp_cfi *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return ptr_order(x->init_rules, y->init_rules);
}

static int cmp_delta(const void *a, const void *b)
{
    const bp_cfi_delta *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return ptr_order(x->rules, y->rules);
}

/* qsort only when out of order: dump_syms writes most arrays sorted. */
static void sort_if_needed(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *p = base;
    for (size_t i = 1; i < n; i++) {
        if (cmp(p + (i - 1) * size, p + i * size) > 0) {
            qsort(base, n, size, cmp);
            return;
        }
    }
}

static void sort_all(bp_symbols *bp)
{
    sort_if_needed(bp->files, bp->nfiles, sizeof *bp->files, cmp_file);
    sort_if_needed(bp->funcs, bp->nfuncs, sizeof *bp->funcs, cmp_func);
    sort_if_needed(bp->publics, bp->npublics, sizeof *bp->publics, cmp_public);
    sort_if_needed(bp->origins, bp->norigins, sizeof *bp->origins, cmp_origin);
    sort_if_needed(bp->stack_win, bp->nstack_win, sizeof *bp->stack_win, cmp_stack_win);
    sort_if_needed(bp->cfi, bp->ncfi, sizeof *bp->cfi, cmp_cfi);
    /* Empty ranges are skipped: the arrays may be NULL, and NULL + 0 is
     * undefined behaviour in C. */
    for (size_t i = 0; i < bp->nfuncs; i++)
        if (bp->funcs[i].nlines)
            sort_if_needed(bp->lines + bp->funcs[i].first_line, bp->funcs[i].nlines, sizeof *bp->lines, cmp_line);
    for (size_t i = 0; i < bp->ncfi; i++)
        if (bp->cfi[i].ndeltas)
            sort_if_needed(bp->cfi_deltas + bp->cfi[i].first_delta, bp->cfi[i].ndeltas, sizeof *bp->cfi_deltas,
                           cmp_delta);
}

/* ---- the file ---- */

/* Parses bp->buf[0 .. bp->buf_size); the byte at buf_size must be writable
 * (the last line's terminator is written there when it has none). */
int bp_parse(bp_symbols *bp, cor_err *err)
{
    parse_state st = { .bp = bp, .cur_func = -1, .cur_cfi = -1 };
    char *p = bp->buf, *end = bp->buf + bp->buf_size;
    size_t lineno = 0;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        if (le > p && le[-1] == '\r') le--;
        lineno++;
        line_cur c = { p, le };
        if (lineno == 1) {
            char *s;
            size_t n;
            if (!tok(&c, &s, &n) || s != p || !word_is(s, n, "MODULE"))
                return cor_fail(err, "not a Breakpad symbol file: the first line is not a MODULE record");
            if (!rec_module(&st, &c))
                return cor_fail(err, "Breakpad symbol file: MODULE line has fewer than 4 fields");
        } else if (!parse_line(&st, &c)) {
            if (!bp->malformed) bp->first_malformed_line = lineno;
            bp->malformed++;
        }
        if (st.oom) return cor_fail(err, "Breakpad symbol file: out of memory at line %zu", lineno);
        p = next;
    }
    if (lineno == 0) return cor_fail(err, "not a Breakpad symbol file: empty");
    sort_all(bp);
    return COR_OK;
}

void bp_close(bp_symbols *bp)
{
    if (!bp) return;
    free(bp->files);
    free(bp->funcs);
    free(bp->lines);
    free(bp->publics);
    free(bp->origins);
    free(bp->inlines);
    free(bp->inline_ranges);
    free(bp->stack_win);
    free(bp->cfi);
    free(bp->cfi_deltas);
    if (bp->mapped) munmap(bp->buf, bp->buf_size);
    else free(bp->buf);
    free(bp);
}

int bp_open_mem(const void *data, size_t size, bp_symbols **out, cor_err *err)
{
    *out = NULL;
    if (size == SIZE_MAX) return cor_fail(err, "Breakpad symbol file: too large");
    bp_symbols *bp = calloc(1, sizeof *bp);
    if (!bp || !(bp->buf = malloc(size + 1))) {
        free(bp);
        return cor_fail(err, "Breakpad symbol file: out of memory");
    }
    if (size) memcpy(bp->buf, data, size);
    bp->buf[size] = '\0';
    bp->buf_size = size;
    if (bp_parse(bp, err) != COR_OK) {
        bp_close(bp);
        return COR_FAIL;
    }
    *out = bp;
    return COR_OK;
}

int bp_open(const char *path, bp_symbols **out, cor_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cor_fail(err, "%s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return cor_fail(err, "%s: not a regular file", path);
    }
    if (sb.st_size == 0) {
        close(fd);
        return cor_fail(err, "%s: not a Breakpad symbol file: empty", path);
    }
    size_t size = (size_t)sb.st_size;
    bp_symbols *bp = calloc(1, sizeof *bp);
    if (!bp) {
        close(fd);
        return cor_fail(err, "%s: out of memory", path);
    }
    /* A private writable mapping: strings are NUL-terminated in place and
     * only the pages written to are copied. The last line's terminator
     * must be a byte of the file, so a file that does not end in a newline
     * is read into memory instead (rare: dump_syms always ends lines). */
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        close(fd);
        free(bp);
        return cor_fail(err, "%s: mmap: %s", path, strerror(errno));
    }
    if (m[size - 1] == '\n') {
        bp->buf = m;
        bp->buf_size = size - 1; /* the final newline is the writable terminator */
        bp->mapped = true;
    } else {
        bp->buf = malloc(size + 1);
        if (bp->buf) {
            memcpy(bp->buf, m, size);
            bp->buf[size] = '\0';
        }
        bp->buf_size = size;
        munmap(m, size);
        if (!bp->buf) {
            close(fd);
            free(bp);
            return cor_fail(err, "%s: out of memory", path);
        }
    }
    close(fd);
    if (bp_parse(bp, err) != COR_OK) {
        if (bp->mapped) bp->buf_size = size; /* unmap the whole mapping */
        bp_close(bp);
        return cor_wrap(err, "%s", path);
    }
    if (bp->mapped) bp->buf_size = size;
    *out = bp;
    return COR_OK;
}
