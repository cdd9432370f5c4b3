/* Breakpad .sym reader: every .sym of the corpus parses with record counts
 * equal to an independent count of its lines; lookups reproduce the frames
 * Breakpad's minidump_stackwalk printed for minidump2.dmp; STACK WIN and
 * STACK CFI records come back by address; the symbol-directory layout is
 * found from a dump module's CodeView record; hostile files fail cleanly or
 * skip their bad lines. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/minidump.h"
#include "sym/breakpad/breakpad.h"
#include "test.h"

#define TEST_APP_SYM "google__breakpad/src__processor__testdata__symbols__test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym"
#define KERNEL32_SYM "google__breakpad/src__processor__testdata__symbols__kernel32.pdb__BCE8785C57B44245A669896B6A19B9542__kernel32.sym"
#define MINIDUMP2 "google__breakpad/src__processor__testdata__minidump2.dmp"
#define STACK_WIN_SYM "llvm-mirror__lldb/test__Shell__SymbolFile__Breakpad__Inputs__unwind-via-stack-win.syms"
#define CFI_SYM "getsentry__symbolic/symbolic-testutils__fixtures__windows__CrashWithException.pdb.sym"

typedef struct blob {
    char *p;
    size_t n;
} blob;

/* Reads a file, or its xz-decompressed contents (via xz(1)) for *.xz. */
static blob load(const char *path)
{
    blob b = { NULL, 0 };
    size_t plen = strlen(path);
    FILE *f;
    bool piped = plen > 3 && strcmp(path + plen - 3, ".xz") == 0;
    if (piped) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "xz -dc '%s' 2>/dev/null", path);
        f = popen(cmd, "r");
    } else {
        f = fopen(path, "rb");
    }
    if (!f) return b;
    size_t cap = 1 << 20;
    b.p = malloc(cap);
    size_t got;
    while (b.p && (got = fread(b.p + b.n, 1, cap - b.n, f)) > 0) {
        b.n += got;
        if (b.n == cap) b.p = realloc(b.p, cap *= 2);
    }
    if (piped) pclose(f);
    else fclose(f);
    return b;
}

/* The independent count, as grep would give it. */
typedef struct counts {
    size_t func, public_, line, file, stack_win, cfi_init, cfi_delta, inl, inl_origin;
} counts;

static void grep_count(const blob *b, counts *c)
{
    memset(c, 0, sizeof *c);
    const char *p = b->p, *end = b->p + b->n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
#define STARTS(s) (n >= sizeof(s) - 1 && memcmp(p, s, sizeof(s) - 1) == 0)
        if (STARTS("FUNC ")) c->func++;
        else if (STARTS("PUBLIC ")) c->public_++;
        else if (STARTS("FILE ")) c->file++;
        else if (STARTS("STACK WIN ")) c->stack_win++;
        else if (STARTS("STACK CFI INIT ")) c->cfi_init++;
        else if (STARTS("STACK CFI ")) c->cfi_delta++;
        else if (STARTS("INLINE_ORIGIN ")) c->inl_origin++;
        else if (STARTS("INLINE ")) c->inl++;
        else if (n && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) c->line++;
#undef STARTS
        p = nl ? nl + 1 : end;
    }
}

static void test_corpus(void)
{
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s", corpus_path("MANIFEST.tsv"));
    FILE *m = fopen(manifest, "r");
    CHECK(m != NULL);
    if (!m) return;
    char row[8192];
    size_t files = 0, parsed = 0;
    while (fgets(row, sizeof row, m)) {
        char *tab[7] = { row };
        int nt = 1;
        for (char *q = row; *q && nt < 7; q++)
            if (*q == '\t') *q = '\0', tab[nt++] = q + 1;
        if (nt < 7 || strncmp(tab[5], "sym", 3) != 0 || tab[5][3] != '\0') continue;
        files++;
        blob b = load(corpus_path(tab[0]));
        if (!b.n) {
            fprintf(stderr, "  %s: unreadable (xz missing?)\n", tab[0]);
            free(b.p);
            continue;
        }
        counts gc;
        grep_count(&b, &gc);
        cor_err e;
        bp_symbols *bp = NULL;
        int rc = bp_open_mem(b.p, b.n, &bp, &e);
        CHECK(rc == COR_OK);
        if (rc != COR_OK) {
            fprintf(stderr, "  %s: %s\n", tab[0], e.msg);
        } else {
            parsed++;
            fprintf(stderr,
                    "  %-60.60s %s %s funcs=%zu lines=%zu publics=%zu files=%zu win=%zu cfi=%zu+%zu malformed=%zu\n",
                    strchr(tab[0], '/') ? strchr(tab[0], '/') + 1 : tab[0], bp->os, bp->arch, bp->nfuncs,
                    bp->nlines, bp->npublics, bp->nfiles, bp->nstack_win, bp->ncfi, bp->ncfi_deltas,
                    bp->malformed);
            CHECK_STR(bp->os, "windows");
            CHECK_EQ_U(bp->nfuncs, gc.func);
            CHECK_EQ_U(bp->npublics, gc.public_);
            CHECK_EQ_U(bp->nlines, gc.line);
            CHECK_EQ_U(bp->nfiles, gc.file);
            CHECK_EQ_U(bp->nstack_win, gc.stack_win);
            CHECK_EQ_U(bp->ncfi, gc.cfi_init);
            CHECK_EQ_U(bp->ncfi_deltas, gc.cfi_delta);
            CHECK_EQ_U(bp->ninlines, gc.inl);
            CHECK_EQ_U(bp->norigins, gc.inl_origin);
            CHECK_EQ_U(bp->malformed, 0);
            /* Every FUNC is found at its own start, every line in its function. */
            size_t bad = 0;
            for (size_t i = 0; i < bp->nfuncs; i++) {
                const bp_func *f = &bp->funcs[i];
                const bp_func *g = f->size ? bp_find_func(bp, f->rva) : f;
                if (!g || g->rva != f->rva) bad++;
            }
            CHECK_EQ_U(bad, 0);
            /* Sorted arrays. */
            for (size_t i = 1; i < bp->nfuncs; i++) bad += bp->funcs[i - 1].rva > bp->funcs[i].rva;
            for (size_t i = 1; i < bp->npublics; i++) bad += bp->publics[i - 1].rva > bp->publics[i].rva;
            CHECK_EQ_U(bad, 0);
        }
        bp_close(bp);
        free(b.p);
    }
    fclose(m);
    fprintf(stderr, "  %zu .sym files in the manifest, %zu parsed\n", files, parsed);
    CHECK(files >= 59);
    CHECK(parsed >= 24); /* all the uncompressed ones at least */
}

/* minidump2.stackwalk.out, thread 0:
 *  0  test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]   eip = 0x0040429e
 *  1  test_app.exe!main [test_app.cc : 65 + 0x5]                                  eip = 0x00404200
 *  2  test_app.exe!__tmainCRTStartup [crt0.c : 327 + 0x12]                        eip = 0x004053ec
 *  3  kernel32.dll!BaseProcessStart + 0x23                                         eip = 0x7c816fd7
 * Breakpad looks caller frames up at eip - 1 (inside the call) and prints
 * the offset from eip. */
static const char *basename_win(const char *p)
{
    const char *b = p;
    for (; p && *p; p++)
        if (*p == '\\' || *p == '/') b = p + 1;
    return b;
}

static void test_stackwalk(void)
{
    cor_err e;
    md_dump *d = NULL;
    CHECK(md_open(corpus_path(MINIDUMP2), &d, &e) == COR_OK);
    if (!d) return;
    uint64_t app_base = 0, k32_base = 0;
    const md_module *app = NULL;
    for (size_t i = 0; i < md_module_count(d); i++) {
        const md_module *m = md_module_at(d, i);
        if (strcmp(m->name, "test_app.exe") == 0) app_base = m->base, app = m;
        if (strcmp(m->name, "kernel32.dll") == 0) k32_base = m->base;
    }
    CHECK_EQ_U(app_base, 0x400000);
    CHECK_EQ_U(k32_base, 0x7c800000);

    sym_source s;
    CHECK(breakpad_open(corpus_path(TEST_APP_SYM), &s, &e) == COR_OK);
    struct {
        uint64_t eip;
        bool caller;
        const char *fn, *file;
        uint32_t line, off;
    } frames[] = {
        { 0x0040429e, false, "`anonymous namespace'::CrashFunction", "test_app.cc", 58, 0x3 },
        { 0x00404200, true, "main", "test_app.cc", 65, 0x5 },
        { 0x004053ec, true, "__tmainCRTStartup", "crt0.c", 327, 0x12 },
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        uint32_t rva = (uint32_t)(frames[i].eip - app_base - frames[i].caller);
        sym_hit h;
        CHECK(sym_lookup(&s, rva, &h));
        CHECK_STR(h.function, frames[i].fn);
        CHECK_STR(basename_win(h.file), frames[i].file);
        CHECK_EQ_U(h.line, frames[i].line);
        CHECK_EQ_U(frames[i].eip - app_base - h.line_rva, frames[i].off);
        CHECK(!h.is_public);
    }
    CHECK(s.ops && s.ops->kind == SYM_KIND_BREAKPAD);
    CHECK_STR(s.origin, corpus_path(TEST_APP_SYM));
    bp_symbols *bp = breakpad_symbols(&s);
    CHECK(bp != NULL);
    if (bp) {
        CHECK_STR(bp->debug_id, "5A9832E5287241C1838ED98914E9B7FF1");
        CHECK_STR(bp->debug_file, "test_app.pdb");
        CHECK_STR(bp->arch, "x86");
        /* STACK WIN 4 41b0 86 13 0 8 0 e0 0 1 $T0 $ebp = ... (main) */
        const bp_stack_win *w = bp_find_stack_win(bp, 0x41b0 + 0x50);
        CHECK(w && w->type == BP_WIN_FRAME_DATA && w->rva == 0x41b0 && w->code_size == 0x86);
        CHECK(w && w->prologue_size == 0x13 && w->epilogue_size == 0 && w->param_size == 8 &&
              w->saved_regs_size == 0 && w->locals_size == 0xe0 && w->max_stack_size == 0 && w->has_program);
        CHECK(w && w->program && strncmp(w->program, "$T0 $ebp = $eip $T0 4 + ^ =", 27) == 0 &&
              strstr(w->program, ".cbParams + =") && w->program[strlen(w->program) - 1] == '=');
        /* STACK WIN 0 1000 13 0 0 4 0 0 0 0 0 (vswprintf, FPO) */
        w = bp_find_stack_win_type(bp, BP_WIN_FPO, 0x1012);
        CHECK(w && w->rva == 0x1000 && w->code_size == 0x13 && w->param_size == 4 && !w->has_program &&
              !w->program && !w->allocates_base_pointer);
        CHECK(bp_find_stack_win_type(bp, BP_WIN_FPO, 0x1013) == NULL ||
              bp_find_stack_win_type(bp, BP_WIN_FPO, 0x1013)->rva != 0x1000);
        /* The Breakpad-layout directory, keyed by the dump module's CodeView. */
        char dir[] = "/tmp/cor-bp-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char p1[64], p2[128], p3[192];
        snprintf(p1, sizeof p1, "%s/test_app.pdb", dir);
        snprintf(p2, sizeof p2, "%s/5A9832E5287241C1838ED98914E9B7FF1", p1);
        snprintf(p3, sizeof p3, "%s/test_app.sym", p2);
        CHECK(mkdir(p1, 0700) == 0 && mkdir(p2, 0700) == 0);
        char abs[4096];
        CHECK(realpath(corpus_path(TEST_APP_SYM), abs) != NULL);
        CHECK(symlink(abs, p3) == 0);
        char *found = NULL;
        CHECK(app && breakpad_find_for_codeview(dir, &app->cv, &found, &e) == COR_OK);
        CHECK_STR(found, p3);
        free(found);
        found = NULL;
        /* A full Windows path and any case of the .pdb name. */
        CHECK(breakpad_find_in_dir(dir, "c:\\build\\TEST_APP.PDB", "5A9832E5287241C1838ED98914E9B7FF1", &found,
                                   &e) == COR_OK);
        free(found);
        found = NULL;
        CHECK(breakpad_find_in_dir(dir, "test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF2", &found, &e) ==
                  COR_FAIL &&
              strstr(e.msg, "not found") && !found);
        CHECK(breakpad_find_in_dir(dir, "test_app.pdb", "../x", &found, &e) == COR_FAIL);
        unlink(p3);
        rmdir(p2);
        rmdir(p1);
        rmdir(dir);
    }
    sym_source_free(&s);

    /* Frame 3: kernel32's .sym has only PUBLIC records. */
    CHECK(breakpad_open(corpus_path(KERNEL32_SYM), &s, &e) == COR_OK);
    sym_hit h;
    uint32_t rva = (uint32_t)(0x7c816fd7 - k32_base - 1);
    CHECK(sym_lookup(&s, rva, &h));
    CHECK_STR(h.function, "BaseProcessStart");
    CHECK(h.is_public && !h.file && h.line == 0);
    CHECK_EQ_U(0x7c816fd7 - k32_base - h.func_rva, 0x23);
    bp = breakpad_symbols(&s);
    /* kernel32 STACK WIN records: every one is found at its own address. */
    size_t missing = 0;
    for (size_t i = 0; bp && i < bp->nstack_win; i++) {
        const bp_stack_win *w = bp_find_stack_win_type(bp, bp->stack_win[i].type, bp->stack_win[i].rva);
        if (!w || w->rva > bp->stack_win[i].rva) missing++;
    }
    CHECK(bp && bp->nstack_win == 4210);
    CHECK_EQ_U(missing, 0);
    sym_source_free(&s);
    md_close(d);
}

static void test_stack_win_and_cfi(void)
{
    cor_err e;
    bp_symbols *bp = NULL;
    CHECK(bp_open(corpus_path(STACK_WIN_SYM), &bp, &e) == COR_OK);
    if (bp) {
        /* "PUBLIC  0 0 dummy": two spaces, still a record. */
        CHECK_EQ_U(bp->npublics, 8);
        CHECK_EQ_U(bp->malformed, 0);
        CHECK_STR(bp->code_id, "5D499B5C5000");
        CHECK_STR(bp->code_file, "unwind-via-stack-win.exe");
        const bp_public *p = bp_find_public(bp, 0x5);
        CHECK_STR(p ? p->name : NULL, "dummy");
        /* STACK WIN 4 90 5 0 0 50 0 0 0 1 $T0 $esp = $eip $T0 ^ = $esp $T0 4 + = */
        const bp_stack_win *w = bp_find_stack_win(bp, 0x93);
        CHECK(w && w->rva == 0x90 && w->param_size == 0x50);
        CHECK_STR(w ? w->program : NULL, "$T0 $esp = $eip $T0 ^ = $esp $T0 4 + =");
        /* STACK WIN 4 100 4 ... 1 bogus: kept as written, judged by the unwinder. */
        w = bp_find_stack_win(bp, 0x100);
        CHECK_STR(w ? w->program : NULL, "bogus");
        CHECK(bp_find_stack_win(bp, 0x140) == NULL);
        CHECK(bp_find_stack_win(bp, 0x7) == NULL);
    }
    bp_close(bp);

    /* STACK CFI INIT 1010 55 .cfa: $rsp .ra: .cfa 8 - ^
     * STACK CFI 1010 .cfa: $rsp 80 + */
    CHECK(bp_open(corpus_path(CFI_SYM), &bp, &e) == COR_OK);
    if (bp) {
        bp_cfi_rules r;
        CHECK(bp_find_cfi(bp, 0x1010, &r));
        CHECK_STR(r.init_rules, ".cfa: $rsp .ra: .cfa 8 - ^");
        CHECK(r.ndeltas == 1 && r.deltas[0].rva == 0x1010);
        CHECK_STR(r.ndeltas ? r.deltas[0].rules : NULL, ".cfa: $rsp 80 +");
        CHECK(bp_find_cfi(bp, 0x1010 + 0x54, &r) && r.cfi->rva == 0x1010);
        CHECK(!bp_find_cfi(bp, 0x1010 + 0x55, &r) || r.cfi->rva != 0x1010);
        CHECK(!bp_find_cfi(bp, 0x10, &r));
        /* FUNC m: several names folded to one address. */
        size_t m = 0;
        for (size_t i = 0; i < bp->nfuncs; i++) m += bp->funcs[i].multiple;
        CHECK(m >= 1);
    }
    bp_close(bp);
}

typedef struct strbuf_t {
    char *p;
    size_t n, cap;
} strbuf_t;

static void sb_add(strbuf_t *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k > b->cap) {
        b->cap = (b->n + k) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, k);
    b->n += k;
}

/* A small synthetic file exercising every record type. */
static const char synthetic[] =
    "MODULE windows x86_64 0123456789ABCDEF0123456789ABCDEF1 syn.pdb\r\n"
    "INFO CODE_ID 5C01672A4000 syn.dll\r\n"
    "INFO GENERATOR mozilla/dump_syms 2.0\r\n"
    "FILE 0 c:\\src\\a file.cc\r\n"
    "FILE 7 c:\\src\\b.h\r\n"
    "INLINE_ORIGIN 0 inlined_thing(int)\r\n"
    "INLINE_ORIGIN 1 other\r\n"
    "FUNC 2000 20 0 later\r\n"
    "2000 20 9 7\r\n"
    "FUNC m 1000 100 8 first with spaces(int, char)\r\n"
    "INLINE 0 12 0 0 1010 8 1040 4\r\n"
    "INLINE 1 3 7 1 1012 2\r\n"
    "1080 80 20 0\r\n"
    "1000 40 10 0\r\n"
    "1040 40 11 7\r\n"
    "FUNC 1000 10 0 duplicate_at_same_address\r\n"
    "PUBLIC 1800 0 pub_after_func\r\n"
    "PUBLIC m 3000 4 pub_tail\r\n"
    "PUBLIC 500 0 pub_head\r\n"
    "STACK WIN 4 1000 100 4 1 8 4 10 0 0 1\r\n"
    "STACK WIN 0 1000 100 4 1 8 4 10 0 0 0\r\n"
    "STACK WIN 4 1010 10 0 0 0 0 0 0 1 $T0 $esp =\r\n"
    "STACK CFI INIT 2000 20 .cfa: $rsp 8 + .ra: .cfa 8 - ^\r\n"
    "STACK CFI 2004 .cfa: $rsp 16 +\r\n"
    "STACK CFI 2002 .cfa: $rsp 12 +\r\n"
    "FUTURE_RECORD whatever\r\n"
    "PUBLIC 4000 0 no_newline_at_end";

static void test_synthetic(void)
{
    cor_err e;
    sym_source s;
    CHECK(breakpad_open_mem(synthetic, sizeof synthetic - 1, &s, &e) == COR_OK);
    bp_symbols *bp = breakpad_symbols(&s);
    CHECK(bp != NULL);
    if (!bp) return;
    CHECK_STR(bp->os, "windows");
    CHECK_STR(bp->arch, "x86_64");
    CHECK_STR(bp->debug_id, "0123456789ABCDEF0123456789ABCDEF1");
    CHECK_STR(bp->debug_file, "syn.pdb");
    CHECK_STR(bp->code_id, "5C01672A4000");
    CHECK_STR(bp->code_file, "syn.dll");
    CHECK_EQ_U(bp->malformed, 0);
    CHECK_EQ_U(bp->unknown, 1);
    CHECK_EQ_U(bp->nfuncs, 3);
    CHECK_EQ_U(bp->npublics, 4);

    sym_hit h;
    /* Lines out of order in the file are sorted; the first FUNC at an address wins. */
    CHECK(sym_lookup(&s, 0x1045, &h));
    CHECK_STR(h.function, "first with spaces(int, char)");
    CHECK(h.func_rva == 0x1000 && h.func_size == 0x100 && h.line == 11 && h.line_rva == 0x1040);
    CHECK_STR(h.file, "c:\\src\\b.h");
    CHECK(sym_lookup(&s, 0x1000, &h) && h.line == 10);
    CHECK_STR(h.file, "c:\\src\\a file.cc");
    const bp_func *f = bp_find_func(bp, 0x10ff);
    CHECK(f && f->multiple && f->ninlines == 2);
    if (f && f->ninlines == 2) {
        const bp_inline *in = &bp->inlines[f->first_inline];
        CHECK(in[0].depth == 0 && in[0].call_line == 12 && in[0].nranges == 2);
        CHECK(bp->inline_ranges[in[0].first_range + 1].rva == 0x1040);
        CHECK_STR(bp_inline_origin_name(bp, in[1].origin_id), "other");
        CHECK_STR(bp_file_name(bp, in[1].call_file_id), "c:\\src\\b.h");
    }
    /* PUBLIC rules: before any FUNC; after a FUNC ends; up to the next FUNC. */
    CHECK(sym_lookup(&s, 0x600, &h) && h.is_public && h.func_rva == 0x500);
    CHECK_STR(h.function, "pub_head");
    /* Past the end of a FUNC, a PUBLIC below that FUNC does not cover. */
    CHECK(!sym_lookup(&s, 0x1100, &h));
    CHECK(sym_lookup(&s, 0x1900, &h));
    CHECK_STR(h.function, "pub_after_func");
    CHECK(sym_lookup(&s, 0x2010, &h) && !h.is_public && h.line == 9);
    CHECK_STR(h.function, "later");
    CHECK(!sym_lookup(&s, 0x2020, &h)); /* the nearest FUNC (0x2000) is above the nearest PUBLIC */
    CHECK(sym_lookup(&s, 0x3fff, &h));
    CHECK_STR(h.function, "pub_tail");
    CHECK(sym_lookup(&s, 0x4000, &h));
    CHECK_STR(h.function, "no_newline_at_end");
    CHECK(!sym_lookup(&s, 0x4ff, &h));

    /* STACK WIN FrameData without a program: allocates_base_pointer. */
    const bp_stack_win *w = bp_find_stack_win(bp, 0x1020);
    CHECK(w && w->type == 4 && !w->has_program && w->allocates_base_pointer && w->locals_size == 0x10);
    /* Nested: the inner FrameData record. */
    w = bp_find_stack_win(bp, 0x1015);
    CHECK(w && w->rva == 0x1010);
    CHECK_STR(w ? w->program : NULL, "$T0 $esp =");
    w = bp_find_stack_win_type(bp, BP_WIN_FPO, 0x1015);
    CHECK(w && w->type == 0 && w->rva == 0x1000 && !w->allocates_base_pointer);

    /* CFI deltas sorted, applied up to the address. */
    bp_cfi_rules r;
    CHECK(bp_find_cfi(bp, 0x2001, &r) && r.ndeltas == 0);
    CHECK(bp_find_cfi(bp, 0x2003, &r) && r.ndeltas == 1);
    CHECK_STR(r.ndeltas ? r.deltas[0].rules : NULL, ".cfa: $rsp 12 +");
    CHECK(bp_find_cfi(bp, 0x201f, &r) && r.ndeltas == 2);

    /* by_name and enumeration. */
    sym_func sf;
    CHECK(s.ops->by_name(s.self, "pub_tail", &sf) && sf.rva == 0x3000);
    CHECK(s.ops->by_name(s.self, "later", &sf) && sf.size == 0x20);
    CHECK(!s.ops->by_name(s.self, "nothing", &sf));
    sym_source_free(&s);

    /* Identical-code folding: many FUNC m at one address (and at 0); the
     * first in the file answers. */
    strbuf_t sb = { 0 };
    sb_add(&sb, "MODULE windows x86 0123 a.pdb\nFUNC 0 10 0 zero_first\nFUNC 0 10 0 zero_second\n");
    for (int i = 0; i < 3000; i++) {
        char l[64];
        snprintf(l, sizeof l, "FUNC m 5000 20 0 folded%d\n", i);
        sb_add(&sb, l);
    }
    sb_add(&sb, "FUNC 4000 10 0 before\n");
    bp_symbols *b2 = NULL;
    CHECK(bp_open_mem(sb.p, sb.n, &b2, &e) == COR_OK && b2 && b2->nfuncs == 3003);
    if (b2) {
        const bp_func *g = bp_find_func(b2, 0x501f);
        CHECK_STR(g ? g->name : NULL, "folded0");
        g = bp_find_func(b2, 0xf);
        CHECK_STR(g ? g->name : NULL, "zero_first");
        CHECK(bp_find_func(b2, 0x5020) == NULL);
        g = bp_find_func(b2, 0x4000);
        CHECK_STR(g ? g->name : NULL, "before");
    }
    bp_close(b2);
    free(sb.p);
}

static size_t malformed_of(const char *text, int *rc)
{
    cor_err e;
    bp_symbols *bp = NULL;
    *rc = bp_open_mem(text, strlen(text), &bp, &e);
    size_t n = bp ? bp->malformed : (size_t)-1;
    bp_close(bp);
    return n;
}

static void test_hostile(void)
{
    cor_err e;
    bp_symbols *bp = NULL;
    /* Not a .sym: refused with a message. */
    CHECK(bp_open_mem("", 0, &bp, &e) == COR_FAIL && bp == NULL);
    CHECK(bp_open_mem("FUNC 1000 10 0 f\n", 17, &bp, &e) == COR_FAIL && strstr(e.msg, "MODULE"));
    CHECK(bp_open_mem("\x7f" "ELF\x02\x01\x01", 7, &bp, &e) == COR_FAIL && strstr(e.msg, "not a Breakpad"));
    CHECK(bp_open_mem("MODULE windows x86\n", 19, &bp, &e) == COR_FAIL && strstr(e.msg, "MODULE"));
    CHECK(bp_open_mem(" MODULE windows x86 ID a.pdb\n", 29, &bp, &e) == COR_FAIL);
    CHECK(bp_open("/nonexistent/x.sym", &bp, &e) == COR_FAIL && strstr(e.msg, "/nonexistent/x.sym"));
    CHECK(bp_open("/tmp", &bp, &e) == COR_FAIL);
    sym_source s;
    CHECK(breakpad_open_mem("PUBLIC 0 0 x\n", 13, &s, &e) == COR_FAIL && s.ops == NULL);

    int rc;
#define M "MODULE windows x86 0123 a.pdb\n"
    CHECK(malformed_of(M "FUNC 1000\n", &rc) == 1 && rc == COR_OK);              /* truncated */
    CHECK(malformed_of(M "FUNC 1000 10 0\n", &rc) == 1);                          /* no name */
    CHECK(malformed_of(M "FUNC 1000 10 0 \n", &rc) == 1);                         /* empty name */
    CHECK(malformed_of(M "FUNC 10000000000000000 10 0 f\n", &rc) == 1);           /* 17 digits */
    CHECK(malformed_of(M "FUNC 100000000 10 0 f\n", &rc) == 1);                   /* past 4 GiB */
    CHECK(malformed_of(M "FUNC ffffff00 100000000 0 f\n", &rc) == 1);             /* size past 32 bits */
    CHECK(malformed_of(M "FUNC ffffff00 101 0 f\n", &rc) == 1);                   /* end past 2^32 */
    CHECK(malformed_of(M "FUNC ffffff00 100 0 f\n", &rc) == 0);                   /* ends exactly at 2^32 */
    CHECK(malformed_of(M "FUNC 1000 1g 0 f\n", &rc) == 1);                        /* non-hex */
    CHECK(malformed_of(M "FUNC -1000 10 0 f\n", &rc) == 1);
    CHECK(malformed_of(M "FUNC 0x1000 10 0 f\n", &rc) == 1);
    CHECK(malformed_of(M "1000 10 5 1\n", &rc) == 1);                             /* line before FUNC */
    CHECK(malformed_of(M "FUNC 1000 10 0 f\n1000 10 5\n", &rc) == 1);             /* line: 3 fields */
    CHECK(malformed_of(M "FUNC 1000 10 0 f\n1000 10 99999999999 1\n", &rc) == 1); /* line number */
    CHECK(malformed_of(M "FUNC 1000 10 0 f\n1000 10 5 1 junk\n", &rc) == 1);
    CHECK(malformed_of(M "FUNC 1000 10 0 f\n1000 10 -5 1\n", &rc) == 1);
    CHECK(malformed_of(M "FUNC zz 10 0 f\n1000 10 5 1\n", &rc) == 2);             /* orphaned lines count too */
    CHECK(malformed_of(M "PUBLIC 1000\n", &rc) == 1);
    CHECK(malformed_of(M "PUBLIC m\n", &rc) == 1);
    CHECK(malformed_of(M "FILE x name\n", &rc) == 1);
    CHECK(malformed_of(M "FILE 1\n", &rc) == 1);
    CHECK(malformed_of(M "STACK WIN 5 1000 10 0 0 0 0 0 0 0 0\n", &rc) == 1);    /* unknown type */
    CHECK(malformed_of(M "STACK WIN 4 1000 10 0 0 0 0 0 0 1\n", &rc) == 1);      /* no program */
    CHECK(malformed_of(M "STACK WIN 4 1000 10 0 0 0 0 0 0 2 x\n", &rc) == 1);
    CHECK(malformed_of(M "STACK WIN 4 1000 10 0 0 0 0 0\n", &rc) == 1);
    CHECK(malformed_of(M "STACK WIN 0 ffffffff 2 0 0 0 0 0 0 0 0\n", &rc) == 1);
    CHECK(malformed_of(M "STACK CFI 1000 .cfa: $rsp\n", &rc) == 1);               /* delta without INIT */
    CHECK(malformed_of(M "STACK CFI INIT 1000 10\n", &rc) == 1);
    CHECK(malformed_of(M "STACK CFI INIT 1000 10 .cfa: x\nSTACK CFI zz y\n", &rc) == 1);
    CHECK(malformed_of(M "STACK\n", &rc) == 1);
    CHECK(malformed_of(M "INLINE 0 1 1 1\n", &rc) == 1);                          /* before any FUNC */
    CHECK(malformed_of(M "FUNC 1000 10 0 f\nINLINE 0 1 1 1\n", &rc) == 1);       /* no ranges */
    CHECK(malformed_of(M "FUNC 1000 10 0 f\nINLINE 0 1 1 1 1000\n", &rc) == 1);  /* odd range */
    CHECK(malformed_of(M "INLINE_ORIGIN 1\n", &rc) == 1);
    CHECK(malformed_of(M "MODULE windows x86 0123 b.pdb\n", &rc) == 1);
    CHECK(malformed_of(M "lowercase junk\n", &rc) == 1);
    CHECK(malformed_of(M "\n\n   \n", &rc) == 0);                                   /* blank lines */
    CHECK(malformed_of(M "INFO\n", &rc) == 1);
    CHECK(malformed_of(M "INFO CODE_ID\n", &rc) == 1);
    /* NUL bytes inside a line: still bounded by the line. */
    static const char nul[] = M "FUNC 1000 10 0 f\0oo\n1000 10 5 1\n";
    bp = NULL;
    CHECK(bp_open_mem(nul, sizeof nul - 1, &bp, &e) == COR_OK && bp && bp->nlines == 1);
    if (bp) {
        const bp_func *f = bp_find_func(bp, 0x1000);
        CHECK_STR(f ? f->name : NULL, "f");
    }
    bp_close(bp);
    /* The line number of the first malformed line is kept for messages. */
    bp = NULL;
    static const char two_bad[] = M "FILE 1 a\nFUNC\nFUNC\n";
    CHECK(bp_open_mem(two_bad, sizeof two_bad - 1, &bp, &e) == COR_OK && bp && bp->malformed == 2 &&
          bp->first_malformed_line == 3);
    bp_close(bp);
#undef M
}

/* A file on disk that does not end in a newline (read into memory rather
 * than mapped), and one that does. */
static void test_files(void)
{
    char path[] = "/tmp/cor-bp-file-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    const char *a = "MODULE windows x86 0123 a.pdb\nPUBLIC 10 0 last";
    CHECK(write(fd, a, strlen(a)) == (ssize_t)strlen(a));
    close(fd);
    cor_err e;
    bp_symbols *bp = NULL;
    CHECK(bp_open(path, &bp, &e) == COR_OK && bp && bp->npublics == 1);
    CHECK_STR(bp ? bp->publics[0].name : NULL, "last");
    CHECK_STR(bp ? bp->debug_file : NULL, "a.pdb");
    bp_close(bp);
    fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "\n", 1) == 1);
    close(fd);
    bp = NULL;
    CHECK(bp_open(path, &bp, &e) == COR_OK && bp && bp->npublics == 1);
    CHECK_STR(bp ? bp->publics[0].name : NULL, "last");
    bp_close(bp);
    /* The file itself is untouched by in-place termination (private mapping). */
    blob b = load(path);
    CHECK(b.n == strlen(a) + 1 && memcmp(b.p, a, strlen(a)) == 0);
    free(b.p);
    unlink(path);
}

int main(void)
{
    test_corpus();
    test_stackwalk();
    test_stack_win_and_cfi();
    test_synthetic();
    test_hostile();
    test_files();
    TEST_DONE();
}
