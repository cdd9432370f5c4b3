/* PDB reader tests: every corpus PDB that has a Breakpad .sym made from
 * it by dump_syms is checked against that .sym both ways (identity,
 * functions, publics, lines, x86 frame records); the OMAP mapping is
 * checked on synthetic tables; hostile inputs (the fuzzed corpus PDB,
 * truncations, bit flips) must fail cleanly under ASan/UBSan. */
#include "test.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "sym/pdb/pdb.h"
#include "sym/pdb/pdb_internal.h" /* the OMAP mapping, tested on synthetic tables */

/* ---- a small .sym reader, only what these comparisons need ------------ */

typedef struct sym_line_rec {
    uint32_t rva, size, line, file;
} sym_line_rec;
typedef struct sym_func_rec {
    uint32_t rva, size;
    bool multiple; /* "m": several symbols at this address, one shown */
    char *name;
} sym_func_rec;
typedef struct sym_stack_rec {
    int type;
    uint32_t rva, size, prolog, epilog, params, saved, locals, max_stack;
    int has_program;
    char *rest; /* program string, or the allocates-base-pointer flag */
} sym_stack_rec;

typedef struct sym_text {
    char module_id[64];
    char **files;
    size_t nfiles;
    sym_func_rec *funcs, *pubs;
    size_t nfuncs, npubs;
    sym_line_rec *lines;
    size_t nlines;
    sym_stack_rec *stacks;
    size_t nstacks;
} sym_text;

#define GROW(arr, n)                                                                                          \
    do {                                                                                                      \
        if (((n) & ((n)-1)) == 0) (arr) = realloc((arr), ((n) ? (n)*2 : 1) * sizeof *(arr));                  \
    } while (0)

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static bool sym_load(const char *path, sym_text *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t got;
    while ((got = getline(&buf, &cap, f)) > 0) {
        while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) buf[--got] = 0;
        int pos = 0;
        if (strncmp(buf, "MODULE ", 7) == 0) {
            char os[16], arch[16];
            sscanf(buf, "MODULE %15s %15s %63s", os, arch, t->module_id);
        } else if (strncmp(buf, "FILE ", 5) == 0) {
            unsigned long id;
            if (sscanf(buf, "FILE %lu %n", &id, &pos) != 1) continue;
            while (t->nfiles <= id) {
                GROW(t->files, t->nfiles);
                t->files[t->nfiles++] = NULL;
            }
            t->files[id] = dup_str(buf + pos);
        } else if (strncmp(buf, "FUNC ", 5) == 0 || strncmp(buf, "PUBLIC ", 7) == 0) {
            bool pub = buf[0] == 'P';
            char *s = buf + (pub ? 7 : 5);
            sym_func_rec r = { 0 };
            if (strncmp(s, "m ", 2) == 0) {
                s += 2;
                r.multiple = true;
            }
            unsigned long a, b = 0, c;
            if (pub) {
                if (sscanf(s, "%lx %lx %n", &a, &c, &pos) < 2) continue;
            } else if (sscanf(s, "%lx %lx %lx %n", &a, &b, &c, &pos) < 3)
                continue;
            r.rva = (uint32_t)a;
            r.size = (uint32_t)b;
            r.name = dup_str(s + pos);
            if (pub) {
                GROW(t->pubs, t->npubs);
                t->pubs[t->npubs++] = r;
            } else {
                GROW(t->funcs, t->nfuncs);
                t->funcs[t->nfuncs++] = r;
            }
        } else if (strncmp(buf, "STACK WIN ", 10) == 0) {
            sym_stack_rec r = { 0 };
            unsigned v[10];
            if (sscanf(buf + 10, "%x %x %x %x %x %x %x %x %x %x %n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                       &v[7], &v[8], &v[9], &pos) < 10)
                continue;
            r.type = (int)v[0];
            r.rva = v[1], r.size = v[2], r.prolog = v[3], r.epilog = v[4], r.params = v[5], r.saved = v[6];
            r.locals = v[7], r.max_stack = v[8], r.has_program = (int)v[9];
            r.rest = dup_str(buf + 10 + pos);
            GROW(t->stacks, t->nstacks);
            t->stacks[t->nstacks++] = r;
        } else if (buf[0] >= '0' && buf[0] <= 'f' && t->nfuncs) {
            unsigned long a, b, l, fi;
            if (sscanf(buf, "%lx %lx %lu %lu", &a, &b, &l, &fi) != 4) continue;
            GROW(t->lines, t->nlines);
            t->lines[t->nlines++] = (sym_line_rec){ (uint32_t)a, (uint32_t)b, (uint32_t)l, (uint32_t)fi };
        }
    }
    free(buf);
    fclose(f);
    return true;
}

static void sym_free(sym_text *t)
{
    for (size_t i = 0; i < t->nfiles; i++) free(t->files[i]);
    for (size_t i = 0; i < t->nfuncs; i++) free(t->funcs[i].name);
    for (size_t i = 0; i < t->npubs; i++) free(t->pubs[i].name);
    for (size_t i = 0; i < t->nstacks; i++) free(t->stacks[i].rest);
    free(t->files);
    free(t->funcs);
    free(t->pubs);
    free(t->lines);
    free(t->stacks);
}

/* ---- comparison against dump_syms ----------------------------------- */

typedef struct pair {
    const char *pdb, *sym;
    bool google; /* made by Breakpad's dump_syms (DIA), not Mozilla's */
} pair;

/* The omap_* PDBs are Breakpad's: dump_syms_regtest after a post-link
 * optimizer moved functions (reorder_funcs), basic blocks (reorder_bbs),
 * or inserted padding into the code (stretched: the padding maps back to
 * no source, 0x80000000; stretched_filled: to the source of the code that
 * follows it). dump_syms writes one FUNC, line and frame record per image
 * range a source range went to, and so do we: they are compared like any
 * other pair, in both directions. */
static const pair pairs[] = {
    { "google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest.sym", true },
    { "google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest64.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest64.sym", true },
    { "mozilla__dump_syms/test_data__windows__basic32-min.pdb", "mozilla__dump_syms/test_data__windows__basic32-min.sym",
      false },
    { "getsentry__symbolic/symbolic-testutils__fixtures__windows__CrashWithException.pdb",
      "getsentry__symbolic/symbolic-testutils__fixtures__windows__CrashWithException.pdb.sym", true },
    { "google__breakpad/src__tools__windows__dump_syms__testdata__omap_reorder_funcs.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__omap_reorder_funcs.sym", true },
    { "google__breakpad/src__tools__windows__dump_syms__testdata__omap_reorder_bbs.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__omap_reorder_bbs.sym", true },
    { "google__breakpad/src__tools__windows__dump_syms__testdata__omap_stretched.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__omap_stretched.sym", true },
    { "google__breakpad/src__tools__windows__dump_syms__testdata__omap_stretched_filled.pdb",
      "google__breakpad/src__tools__windows__dump_syms__testdata__omap_stretched_filled.sym", true },
};

/* Mismatch counters print the first few differences, so a failure says
 * what differs rather than just how many. */
typedef struct tally {
    const char *what;
    size_t checked, bad;
} tally;

static void miss(tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void miss(tally *t, const char *fmt, ...)
{
    if (t->bad++ < 5) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "  %s: ", t->what);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static void report(const char *pdb, const tally *t)
{
    fprintf(stderr, "%s: %s %zu checked, %zu differ\n", strrchr(pdb, '/') + 1, t->what, t->checked, t->bad);
}

/* Our name for a function, as dump_syms would print its core: DIA's
 * undecorator strips one leading '_' (and fastcall/stdcall '@N') from C
 * names on every architecture, and spells the anonymous namespace
 * "(anonymous namespace)" where the compiler stored "`anonymous
 * namespace'". */
static void dump_syms_name(const char *ours, char *out, size_t n)
{
    char tmp[1024];
    pdb_undecorate_c(ours, tmp, sizeof tmp);
    const char *from = "`anonymous namespace'", *to = "(anonymous namespace)";
    size_t fl = strlen(from), o = 0;
    for (const char *q = tmp; *q && o + 1 < n;) {
        if (strncmp(q, from, fl) == 0 && o + strlen(to) + 1 < n) {
            memcpy(out + o, to, strlen(to));
            o += strlen(to);
            q += fl;
        } else {
            out[o++] = *q++;
        }
    }
    out[o] = 0;
}

/* Breakpad's dump_syms ends program strings with a space, Mozilla's not. */
static bool same_program(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la && a[la - 1] == ' ') la--;
    while (lb && b[lb - 1] == ' ') lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* ---- the other direction: everything we list, dump_syms lists ------- */

static bool sym_has_func(const sym_text *st, const pdb_function *f)
{
    char want[1024];
    dump_syms_name(f->name, want, sizeof want);
    for (size_t i = 0; i < st->nfuncs; i++) {
        const sym_func_rec *sf = &st->funcs[i];
        /* Folded code: dump_syms shows one of the names, marked "m". */
        if (sf->rva == f->rva && sf->size == f->size &&
            (sf->multiple || strstr(sf->name, f->name) || strstr(sf->name, want)))
            return true;
    }
    return false;
}

/* Folded code: dump_syms prints the lines of the one function it shows
 * at a folded address (its FUNC marked "m"), so another module's lines
 * there are only required to start where one of the shown lines does. */
static bool sym_has_line(const sym_text *st, const pdb_line *l)
{
    bool starts_a_line = false;
    for (size_t i = 0; i < st->nlines; i++) {
        const sym_line_rec *sl = &st->lines[i];
        const char *file = sl->file < st->nfiles ? st->files[sl->file] : NULL;
        if (sl->rva == l->rva && sl->size == l->size && sl->line == l->line && file && strcmp(file, l->file) == 0)
            return true;
        starts_a_line |= sl->rva == l->rva;
    }
    for (size_t i = 0; starts_a_line && i < st->nfuncs; i++)
        if (st->funcs[i].multiple && l->rva - st->funcs[i].rva < st->funcs[i].size) return true;
    return false;
}

static bool sym_has_framedata(const sym_text *st, const pdb_framedata *f)
{
    for (size_t i = 0; i < st->nstacks; i++) {
        const sym_stack_rec *s = &st->stacks[i];
        if (s->type == 4 && s->rva == f->rva && s->size == f->size && s->prolog == f->prolog_size &&
            s->params == f->params_size && s->saved == f->saved_regs_size && s->locals == f->locals_size &&
            s->max_stack == f->max_stack_size && s->has_program && f->program && same_program(f->program, s->rest))
            return true;
    }
    return false;
}

static bool sym_has_fpo(const sym_text *st, const pdb_fpo *f)
{
    for (size_t i = 0; i < st->nstacks; i++) {
        const sym_stack_rec *s = &st->stacks[i];
        if (s->type == 0 && s->rva == f->rva && s->size == f->size && s->prolog == f->prolog_size &&
            s->params == f->params_dwords * 4u && s->saved == f->saved_regs * 4u &&
            s->locals == f->locals_dwords * 4u)
            return true;
    }
    return false;
}

/* Every record of ours is in the .sym: with compare_pair's checks the two
 * lists hold the same records. dump_syms leaves out thunks (DIA's
 * SymTagThunk is not a function) and zero-length functions. */
static void compare_reverse(const pair *pr, pdb_file *p, const sym_text *st)
{
    tally tf = { "our FUNC", 0, 0 }, tl = { "our line", 0, 0 }, t4 = { "our STACK WIN 4", 0, 0 },
          t0 = { "our STACK WIN 0", 0, 0 };
    for (size_t i = 0; i < pdb_function_count(p); i++) {
        const pdb_function *f = pdb_function_at(p, i);
        if (f->is_thunk || f->size == 0) continue;
        tf.checked++;
        if (!sym_has_func(st, f)) miss(&tf, "%x %x %s: not in the .sym", f->rva, f->size, f->name);
    }
    for (size_t i = 0; i < pdb_line_count(p); i++) {
        const pdb_line *l = pdb_line_at(p, i);
        tl.checked++;
        if (!sym_has_line(st, l)) miss(&tl, "%x %x %u %s: not in the .sym", l->rva, l->size, l->line, l->file);
    }
    for (size_t i = 0; i < pdb_framedata_count(p); i++) {
        const pdb_framedata *f = pdb_framedata_at(p, i);
        t4.checked++;
        if (!sym_has_framedata(st, f))
            miss(&t4, "%x %x prolog %x: not in the .sym", f->rva, f->size, f->prolog_size);
    }
    for (size_t i = 0; i < pdb_fpo_count(p); i++) {
        const pdb_fpo *f = pdb_fpo_at(p, i);
        /* Mozilla's dump_syms leaves out FPO_DATA for a block that also
         * has FRAMEDATA starting at the same address. */
        const pdb_framedata *fd = pdb_find_framedata(p, f->rva);
        if (!pr->google && fd && fd->rva == f->rva) continue;
        t0.checked++;
        if (!sym_has_fpo(st, f)) miss(&t0, "%x %x prolog %x: not in the .sym", f->rva, f->size, f->prolog_size);
    }
    /* PUBLIC: dump_syms prints a public only where no function starts
     * (source address) and only in code; code is taken here as the span
     * of our functions. */
    tally tp = { "our PUBLIC", 0, 0 };
    uint32_t lo = UINT32_MAX, hi = 0;
    for (size_t i = 0; i < pdb_function_count(p); i++) {
        const pdb_function *f = pdb_function_at(p, i);
        if (f->rva < lo) lo = f->rva;
        if (f->rva + f->size > hi) hi = f->rva + f->size;
    }
    for (size_t i = 0; i < pdb_public_count(p); i++) {
        const pdb_public *pub = pdb_public_at(p, i);
        if (pub->rva < lo || pub->rva >= hi) continue;
        bool at_function = false;
        for (size_t k = 0; k < pdb_function_count(p) && !at_function; k++)
            at_function = !pdb_function_at(p, k)->is_thunk && pdb_function_at(p, k)->src_rva == pub->src_rva;
        if (at_function) continue;
        tp.checked++;
        bool ok = false;
        for (size_t k = 0; k < st->npubs && !ok; k++) ok = st->pubs[k].rva == pub->rva;
        if (!ok) miss(&tp, "%x %s: not in the .sym", pub->rva, pub->name);
    }
    report(pr->pdb, &tp);
    report(pr->pdb, &tf);
    report(pr->pdb, &tl);
    report(pr->pdb, &t4);
    report(pr->pdb, &t0);
    CHECK_EQ_U(tp.bad, 0);
    CHECK_EQ_U(tf.bad, 0);
    CHECK_EQ_U(tl.bad, 0);
    CHECK_EQ_U(t4.bad, 0);
    CHECK_EQ_U(t0.bad, 0);
}

static void compare_pair(const pair *pr)
{
    sym_text st;
    char sympath[4096];
    snprintf(sympath, sizeof sympath, "%s", corpus_path(pr->sym));
    if (!sym_load(sympath, &st)) {
        fprintf(stderr, "%s: missing, skipped\n", sympath);
        return;
    }
    pdb_file *p;
    cor_err err;
    int rc = pdb_file_open(corpus_path(pr->pdb), &p, &err);
    if (rc != COR_OK) fprintf(stderr, "%s\n", err.msg);
    CHECK(rc == COR_OK);
    if (rc != COR_OK) {
        sym_free(&st);
        return;
    }
    size_t skipped = 1;
    CHECK(pdb_build_index(p, &skipped, &err) == COR_OK);
    CHECK_EQ_U(skipped, 0);

    char id[41];
    pdb_debug_id(p, id);
    CHECK_STR(id, st.module_id);

    /* FUNC: dump_syms prints DIA's undecorated name with the parameter
     * list and sometimes a "static"/return type, all of which come from
     * type records; the S_*PROC32 name is the qualified name without them.
     * So our name must occur within theirs, at the same address and size. */
    tally tf = { "FUNC", 0, 0 };
    for (size_t i = 0; i < st.nfuncs; i++) {
        const sym_func_rec *sf = &st.funcs[i];
        tf.checked++;
        const pdb_function *f = pdb_find_function(p, sf->rva);
        bool ok = false;
        /* Folded code: look at every record starting there. */
        for (size_t k = 0; f && !ok && k < pdb_function_count(p); k++) {
            const pdb_function *g = pdb_function_at(p, k);
            char want[1024];
            dump_syms_name(g->name, want, sizeof want);
            if (g->rva == sf->rva && g->size == sf->size && (strstr(sf->name, g->name) || strstr(sf->name, want)))
                ok = true;
        }
        if (!ok)
            miss(&tf, "%x %x %s: ours %s", sf->rva, sf->size, sf->name,
                 f ? f->name : "(none)");
    }
    report(pr->pdb, &tf);
    CHECK_EQ_U(tf.bad, 0);

    /* PUBLIC: dump_syms prints publics that no function covers, C++ names
     * demangled (we keep them decorated; compare the address only) and C
     * names with the x86 decoration stripped. */
    tally tp = { "PUBLIC", 0, 0 };
    for (size_t i = 0; i < st.npubs; i++) {
        const sym_func_rec *sp = &st.pubs[i];
        /* Mozilla's dump_syms invents these for gaps in the PE; no PDB
         * record stands behind them. */
        if (strncmp(sp->name, "<unknown in ", 12) == 0) continue;
        tp.checked++;
        const pdb_public *pub = pdb_find_public(p, sp->rva);
        if (!pub || pub->rva != sp->rva) {
            miss(&tp, "%x %s: none at that address", sp->rva, sp->name);
            continue;
        }
        bool ok = false;
        for (const pdb_public *q = pub; q >= pdb_public_at(p, 0) && q->rva == sp->rva && !ok; q--)
        {
            char want[1024];
            dump_syms_name(q->name, want, sizeof want);
            ok = q->name[0] == '?' || strcmp(want, sp->name) == 0;
        }
        if (!ok) miss(&tp, "%x %s: ours %s", sp->rva, sp->name, pub->undecorated);
    }
    report(pr->pdb, &tp);
    CHECK_EQ_U(tp.bad, 0);

    /* Lines: every record, address, length, line and file. */
    tally tl = { "line", 0, 0 };
    for (size_t i = 0; i < st.nlines; i++) {
        const sym_line_rec *sl = &st.lines[i];
        tl.checked++;
        /* A zero-length line (two line numbers at one address, the first
         * covering nothing) is in both lists but is not found by address. */
        const pdb_line *l = pdb_find_line(p, sl->rva);
        const char *file = sl->file < st.nfiles ? st.files[sl->file] : NULL;
        /* Folded identical code: several modules' lines at one address;
         * dump_syms shows one of them. Any may match. */
        bool ok = false;
        for (size_t k = 0; !ok && k < pdb_line_count(p); k++) {
            const pdb_line *m = pdb_line_at(p, k);
            ok = m->rva == sl->rva && m->size == sl->size && m->line == sl->line && file && !strcmp(file, m->file);
        }
        if (!ok)
            miss(&tl, "%x %x %u %s: ours %x %x %u %s", sl->rva, sl->size, sl->line, file ? file : "?", l ? l->rva : 0,
                 l ? l->size : 0, l ? l->line : 0, l ? l->file : "-");
    }
    report(pr->pdb, &tl);
    CHECK_EQ_U(tl.bad, 0);

    /* STACK WIN 4 (FRAMEDATA) and 0 (FPO). */
    tally t4 = { "STACK WIN 4", 0, 0 }, t0 = { "STACK WIN 0", 0, 0 };
    for (size_t i = 0; i < st.nstacks; i++) {
        const sym_stack_rec *s = &st.stacks[i];
        if (s->type == 4) {
            t4.checked++;
            bool ok = false;
            for (size_t k = 0; k < pdb_framedata_count(p) && !ok; k++) {
                const pdb_framedata *f = pdb_framedata_at(p, k);
                if (f->rva != s->rva || f->size != s->size) continue;
                ok = f->prolog_size == s->prolog && f->params_size == s->params && f->saved_regs_size == s->saved &&
                     f->locals_size == s->locals && f->max_stack_size == s->max_stack && s->has_program == 1 &&
                     f->program && same_program(f->program, s->rest);
            }
            if (!ok) {
                const pdb_framedata *f = pdb_find_framedata(p, s->rva);
                miss(&t4, "%x %x %x %x %x %x %x [%s]: ours %x %x %x %x %x %x %x [%s]", s->rva, s->size, s->prolog,
                     s->params, s->saved, s->locals, s->max_stack, s->rest, f ? f->rva : 0, f ? f->size : 0,
                     f ? f->prolog_size : 0, f ? f->params_size : 0, f ? f->saved_regs_size : 0,
                     f ? f->locals_size : 0, f ? f->max_stack_size : 0, f && f->program ? f->program : "-");
            }
        } else if (s->type == 0) {
            t0.checked++;
            const pdb_fpo *f = pdb_find_fpo(p, s->rva);
            bool ok = f && f->rva == s->rva && f->size == s->size && f->prolog_size == s->prolog &&
                      f->params_dwords * 4u == s->params && f->saved_regs * 4u == s->saved &&
                      f->locals_dwords * 4u == s->locals && s->has_program == 0 &&
                      /* Mozilla's dump_syms always writes 0 for
                       * allocates-base-pointer. */
                      (!pr->google || (uint32_t)atoi(s->rest) == f->uses_bp);
            if (!ok)
                miss(&t0, "%x %x %x %x %x %x: ours %x %x prolog %x params %x regs %x locals %x bp %d", s->rva, s->size,
                     s->prolog, s->params, s->saved, s->locals, f ? f->rva : 0, f ? f->size : 0,
                     f ? f->prolog_size : 0, f ? f->params_dwords : 0, f ? f->saved_regs : 0,
                     f ? f->locals_dwords : 0, f ? f->uses_bp : 0);
        }
    }
    report(pr->pdb, &t4);
    report(pr->pdb, &t0);
    CHECK_EQ_U(t4.bad, 0);
    CHECK_EQ_U(t0.bad, 0);

    compare_reverse(pr, p, &st);

    /* The same lookups on a fresh handle, which answers them by reading
     * only the module whose section contribution covers the address,
     * must agree with the whole index. */
    pdb_file *lazy;
    if (pdb_file_open(corpus_path(pr->pdb), &lazy, &err) == COR_OK) {
        tally tz = { "lazy lookup", 0, 0 };
        for (size_t i = 0; i < st.nfuncs + st.nlines; i++) {
            uint32_t rva = i < st.nfuncs ? st.funcs[i].rva : st.lines[i - st.nfuncs].rva;
            tz.checked++;
            const pdb_function *a = pdb_find_function(lazy, rva), *b = pdb_find_function(p, rva);
            const pdb_line *la = pdb_find_line(lazy, rva), *lb = pdb_find_line(p, rva);
            bool ok = (a == NULL) == (b == NULL) && (la == NULL) == (lb == NULL);
            /* Folded code: the two may pick different records at one
             * address, but the whole index must hold the lazy one too. */
            if (ok && a) {
                ok = false;
                for (size_t k = 0; k < pdb_function_count(p) && !ok; k++) {
                    const pdb_function *g = pdb_function_at(p, k);
                    ok = g->rva == a->rva && g->size == a->size && strcmp(g->name, a->name) == 0 && g->rva == b->rva;
                }
            }
            if (ok && la) {
                ok = false;
                for (size_t k = 0; k < pdb_line_count(p) && !ok; k++) {
                    const pdb_line *g = pdb_line_at(p, k);
                    ok = g->rva == la->rva && g->size == la->size && g->line == la->line && g->rva == lb->rva;
                }
            }
            if (!ok) miss(&tz, "%x: %s vs %s", rva, a ? a->name : "-", b ? b->name : "-");
        }
        report(pr->pdb, &tz);
        CHECK_EQ_U(tz.bad, 0);
        pdb_file_close(lazy);
    }

    pdb_file_close(p);
    sym_free(&st);
}

/* ---- OMAP on synthetic tables ------------------------------------------ */

/* A pdb_file holding only a section table and the two OMAP tables, the
 * cases Breakpad's omap.cc describes in its header comment and a few the
 * corpus PDBs do not reach (dropped code). The source image is one
 * section, [0x1000, 0x2000). */
static pdb_file *omap_file(const pdb_omap_entry *to, size_t nto, const pdb_omap_entry *from, size_t nfrom)
{
    pdb_file *p = calloc(1, sizeof *p);
    p->sections = calloc(1, sizeof *p->sections);
    p->sections[0] = (pdb_section){ 0x1000, 0x1000 };
    p->nsections = 1;
    p->omap_to = malloc(nto * sizeof *to);
    memcpy(p->omap_to, to, nto * sizeof *to);
    p->nomap_to = nto;
    p->omap_from = malloc(nfrom * sizeof *from);
    memcpy(p->omap_from, from, nfrom * sizeof *from);
    p->nomap_from = nfrom;
    cor_err err;
    CHECK(pdb_omap_build(p, &err) == COR_OK);
    return p;
}

/* Maps [src, src+len) and compares with want (pairs of rva, size). */
static void check_map(pdb_file *p, uint32_t src, uint32_t len, const uint32_t *want, size_t nwant)
{
    pdb_range_buf b = { 0 };
    CHECK(pdb_omap_map(p, src, len, &b));
    bool ok = b.n == nwant;
    for (size_t i = 0; ok && i < nwant; i++) ok = b.v[i].rva == want[2 * i] && b.v[i].size == want[2 * i + 1];
    if (!ok) {
        fprintf(stderr, "  OMAP [%x, +%x):", src, len);
        for (size_t i = 0; i < b.n; i++) fprintf(stderr, " {%x, %x}", b.v[i].rva, b.v[i].size);
        fprintf(stderr, ", want %zu ranges\n", nwant);
    }
    CHECK(ok);
    pdb_range_buf_free(&b);
}

static void test_omap_synthetic(void)
{
    /* 5 bytes injected at offset 5 of a 10-byte function, mapping to no
     * source (an entry past the source image): the function stretches
     * over them, one range of 15 bytes. */
    {
        const pdb_omap_entry to[] = { { 0x1000, 0x1000 }, { 0x1005, 0xFFFFFFFF }, { 0x100a, 0x1005 } };
        const pdb_omap_entry from[] = { { 0x1000, 0x1000 }, { 0x1005, 0x100a } };
        pdb_file *p = omap_file(to, 3, from, 2);
        check_map(p, 0x1000, 10, (const uint32_t[]){ 0x1000, 15 }, 1);
        /* The second half alone is only its own bytes. */
        check_map(p, 0x1005, 5, (const uint32_t[]){ 0x100a, 5 }, 1);
        pdb_file_close(p);
    }
    /* The same padding labelled as coming from the byte after it. */
    {
        const pdb_omap_entry to[] = { { 0x1000, 0x1000 }, { 0x1005, 0x1005 }, { 0x100a, 0x1005 } };
        const pdb_omap_entry from[] = { { 0x1000, 0x1000 }, { 0x1005, 0x100a } };
        pdb_file *p = omap_file(to, 3, from, 2);
        check_map(p, 0x1000, 10, (const uint32_t[]){ 0x1000, 15 }, 1);
        pdb_file_close(p);
    }
    /* Source bytes [0x1005, 0x100a) dropped: the function shrinks, a line
     * there vanishes, a range starting in the hole keeps what survived. */
    {
        const pdb_omap_entry to[] = { { 0x1000, 0x1000 }, { 0x1005, 0x100a } };
        const pdb_omap_entry from[] = { { 0x1000, 0x1000 }, { 0x1005, 0 }, { 0x100a, 0x1005 } };
        pdb_file *p = omap_file(to, 2, from, 3);
        check_map(p, 0x1000, 10, (const uint32_t[]){ 0x1000, 5 }, 1);
        check_map(p, 0x1005, 5, NULL, 0);
        check_map(p, 0x1005, 7, (const uint32_t[]){ 0x1005, 2 }, 1);
        pdb_file_close(p);
    }
    /* Basic blocks A [0x1000, 0x1003), B [0x1003, 0x1008), C [0x1008,
     * 0x100a): C moved up behind A, B far away. The function is two
     * ranges; B alone is one; an empty range is its byte's address. */
    {
        const pdb_omap_entry to[] = { { 0x1000, 0x1000 }, { 0x1003, 0x1008 }, { 0x1005, 0x100a },
                                      { 0x1800, 0x1003 }, { 0x1805, 0x7FFFFFFF } };
        const pdb_omap_entry from[] = { { 0x1000, 0x1000 }, { 0x1003, 0x1800 }, { 0x1008, 0x1003 },
                                        { 0x100a, 0x1005 } };
        pdb_file *p = omap_file(to, 5, from, 4);
        check_map(p, 0x1000, 10, (const uint32_t[]){ 0x1000, 5, 0x1800, 5 }, 2);
        check_map(p, 0x1003, 5, (const uint32_t[]){ 0x1800, 5 }, 1);
        check_map(p, 0x1009, 0, (const uint32_t[]){ 0x1004, 0 }, 1);
        pdb_file_close(p);
    }
    /* Without OMAP a range stays where it is. */
    {
        pdb_file *p = calloc(1, sizeof *p);
        check_map(p, 0x1234, 0x10, (const uint32_t[]){ 0x1234, 0x10 }, 1);
        pdb_file_close(p);
    }
}

/* ---- sym_source ------------------------------------------------------ */

static bool count_fn(void *ctx, const sym_func *f)
{
    (void)f;
    (*(size_t *)ctx)++;
    return true;
}

static void test_sym_source(void)
{
    sym_source src;
    cor_err err;
    int rc = pdb_open(corpus_path("google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest.pdb"),
                      &src, &err);
    CHECK(rc == COR_OK);
    if (rc != COR_OK) return;
    CHECK(src.ops->kind == SYM_KIND_PDB);
    sym_hit h;
    /* From the .sym: FUNC 1000 54 0 main; line 1000 6 57 1 (..._regtest.cc). */
    CHECK(sym_lookup(&src, 0x1003, &h));
    CHECK_STR(h.function, "main");
    CHECK_EQ_U(h.func_rva, 0x1000);
    CHECK_EQ_U(h.func_size, 0x54);
    CHECK_EQ_U(h.line, 57);
    CHECK_EQ_U(h.line_rva, 0x1000);
    CHECK(h.file && strstr(h.file, "dump_syms_regtest.cc"));
    CHECK(!h.is_public);
    /* No function covers the import address table; the public
     * __imp__HeapSetInformation@16 at 0x6004 does (x86 C decoration
     * stripped: one leading underscore and the @N suffix). */
    CHECK(sym_lookup(&src, 0x6005, &h));
    CHECK(h.is_public);
    CHECK_STR(h.function, "_imp__HeapSetInformation");
    CHECK_EQ_U(h.func_rva, 0x6004);
    CHECK_EQ_U(h.func_size, 0);
    CHECK(!sym_lookup(&src, 0x10, &h)); /* before every symbol */
    sym_func f;
    CHECK(src.ops->by_name(src.self, "main", &f));
    CHECK_EQ_U(f.rva, 0x1000);
    CHECK(src.ops->by_name(src.self, "__NLG_Return2", &f)); /* decorated works too */
    CHECK_EQ_U(f.rva, 0x45e6);
    CHECK(!src.ops->by_name(src.self, "no_such_function", &f));
    size_t n = 0;
    src.ops->each_function(src.self, count_fn, &n);
    CHECK(n >= 158);
    sym_source_free(&src);
}

/* ---- hostile inputs --------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Opens a private copy of exactly len bytes (so ASan sees any overread)
 * and, if it opens, exercises everything that reads it. Returns rc. */
static int poke(const uint8_t *data, size_t len, cor_err *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    pdb_file *p;
    int rc = pdb_file_open_mem(copy, len, &p, err);
    if (rc == COR_OK) {
        size_t skipped;
        cor_err e2;
        pdb_build_index(p, &skipped, &e2);
        for (uint32_t rva = 0; rva < 0x10000; rva += 0x101) {
            pdb_find_function(p, rva);
            pdb_find_line(p, rva);
            pdb_find_public(p, rva);
            pdb_find_fpo(p, rva);
            pdb_find_framedata(p, rva);
        }
        for (size_t i = 0; i < pdb_function_count(p); i++) (void)strlen(pdb_function_at(p, i)->name);
        for (size_t i = 0; i < pdb_line_count(p); i++) (void)strlen(pdb_line_at(p, i)->file);
        for (size_t i = 0; i < pdb_public_count(p); i++) (void)strlen(pdb_public_at(p, i)->undecorated);
        pdb_file_close(p);
    } else {
        CHECK(err->msg[0] != '\0');
    }
    free(copy);
    return rc;
}

static uint32_t rng_state = 0x2545F491;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_hostile(void)
{
    cor_err err;
    size_t len;
    /* The radare2 fuzzed PDB: its directory points past the file. */
    uint8_t *fz = slurp(corpus_path("radareorg__radare2-testbins/pdb__fuzzed.pdb"), &len);
    CHECK(fz != NULL);
    if (fz) {
        int rc = poke(fz, len, &err);
        CHECK(rc == COR_FAIL);
        fprintf(stderr, "fuzzed.pdb: %s\n", err.msg);
        free(fz);
    }

    /* PDB 2.00 is refused by name. */
    uint8_t jg[128] = "Microsoft C/C++ program database 2.00\r\n\x1aJG";
    CHECK(poke(jg, sizeof jg, &err) == COR_FAIL);
    CHECK(strstr(err.msg, "unsupported") != NULL);
    CHECK(poke(jg, 0, &err) == COR_FAIL);

    uint8_t *good = slurp(corpus_path("google__breakpad/src__tools__windows__dump_syms__testdata__dump_syms_regtest.pdb"),
                          &len);
    CHECK(good != NULL);
    if (!good) return;
    CHECK(poke(good, len, &err) == COR_OK);

    /* A block size outside {512..4096} is named in the error. */
    uint8_t *bad = malloc(len);
    memcpy(bad, good, len);
    bad[32] = 0xE7, bad[33] = 0x03; /* 999 */
    CHECK(poke(bad, len, &err) == COR_FAIL);
    CHECK(strstr(err.msg, "block size 999") != NULL);

    /* Truncations: every length up to 4 KiB in 61-byte steps, then 97
     * lengths spread over the file. A file cut short of NumBlocks blocks
     * fails in the superblock check; the point is no crash and a message. */
    size_t opened = 0, tried = 0;
    for (size_t n = 0; n < 4096; n += 61, tried++) opened += poke(good, n, &err) == COR_OK;
    for (size_t k = 1; k < 98; k++, tried++) opened += poke(good, len * k / 98, &err) == COR_OK;
    CHECK_EQ_U(opened, 0);
    fprintf(stderr, "truncations: %zu tried, last error: %s\n", tried, err.msg);
    /* The same cuts with NumBlocks shrunk to match, so the failure comes
     * from the directory or a stream naming a block that is gone. */
    for (size_t k = 1; k < 98; k++) {
        size_t n = len * k / 98;
        memcpy(bad, good, n);
        uint32_t nb = (uint32_t)(n / 1024);
        bad[40] = (uint8_t)nb, bad[41] = (uint8_t)(nb >> 8), bad[42] = (uint8_t)(nb >> 16), bad[43] = 0;
        CHECK(poke(bad, n, &err) == COR_FAIL);
    }
    fprintf(stderr, "truncations with NumBlocks fixed up: last error: %s\n", err.msg);

    /* Bit flips: first in the superblock, block map and directory (where
     * a flip changes the container), then anywhere; with NumBlocks fixed
     * the file then opens and the flips land in stream contents. */
    uint32_t bs = 1024, map = good[52] | good[53] << 8 | good[54] << 16 | (uint32_t)good[55] << 24;
    size_t ok_after_flip = 0;
    for (int i = 0; i < 600; i++) {
        memcpy(bad, good, len);
        int flips = 1 + (int)(rng() % 4);
        for (int j = 0; j < flips; j++) {
            size_t at;
            switch (rng() % 3) {
            case 0: at = 32 + rng() % 24; break;
            case 1: at = (size_t)map * bs + rng() % bs; break;
            default: at = rng() % len; break;
            }
            if (at < len) bad[at] ^= (uint8_t)(1u << (rng() % 8));
        }
        ok_after_flip += poke(bad, len, &err) == COR_OK;
    }
    fprintf(stderr, "bit flips: 600 tried, %zu still opened\n", ok_after_flip);

    /* Random garbage in whole streams: flip 1% of bytes past the header. */
    for (int i = 0; i < 40; i++) {
        memcpy(bad, good, len);
        for (size_t j = 0; j < len / 100; j++) {
            size_t at = 4096 + rng() % (len - 4096);
            bad[at] = (uint8_t)rng();
        }
        poke(bad, len, &err);
    }
    free(bad);
    free(good);
}

int main(void)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) compare_pair(&pairs[i]);
    test_omap_synthetic();
    test_sym_source();
    test_hostile();
    TEST_DONE();
}
