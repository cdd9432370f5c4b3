/* `k` with inline frames, end to end: a dump whose thread stopped in code
 * inlined twice over, symbolized from a PDB and from a Breakpad .sym file.
 *
 * PDB: a C program built here (clang -O2 for x86_64-w64-mingw32, lld
 * writing the PDB) where main calls outer, which inlines mid, which
 * inlines leaf. The dump holds that program as its one module (the image
 * file serves its pages) and a thread stopped inside leaf's code in outer
 * with main's return address on the stack. `kn` must list leaf, then mid
 * (the inline rows, innermost first, each with the line it is at), then
 * outer and main, as WinDbg does.
 *
 * Breakpad: a .sym written here with FUNC, INLINE_ORIGIN and nested INLINE
 * records (one decoy whose parent is not active), so the rows, their
 * order, and the call-site lines are known from the text; also the
 * caller-frame rule (a return address's inline frames are those of the
 * call before it). Skips (77) the PDB part without clang and lld. */
#include "built_image.h"
#include "test.h"

#include "sym/pdb/pdb.h"
#include "target/frame_desc.h"

/* Line numbers below are those of this text. */
static const char fixture_c[] =
    "static volatile int sink;\n"                                      /* 1 */
    "static inline __attribute__((always_inline)) int leaf(int x)\n"   /* 2 */
    "{\n"                                                              /* 3 */
    "    sink = x * 3;\n"                                              /* 4 */
    "    return sink + 1;\n"                                           /* 5 */
    "}\n"                                                              /* 6 */
    "static inline __attribute__((always_inline)) int mid(int x)\n"    /* 7 */
    "{\n"                                                              /* 8 */
    "    int r = leaf(x + 1);\n"                                       /* 9 */
    "    sink = r;\n"                                                  /* 10 */
    "    return r * 2;\n"                                              /* 11 */
    "}\n"                                                              /* 12 */
    "__attribute__((noinline)) int outer(int x)\n"                     /* 13 */
    "{\n"                                                              /* 14 */
    "    int a = mid(x);\n"                                            /* 15 */
    "    sink = a;\n"                                                  /* 16 */
    "    return a + 5;\n"                                              /* 17 */
    "}\n"                                                              /* 18 */
    "int main(int argc, char **argv)\n"                                /* 19 */
    "{\n"                                                              /* 20 */
    "    (void)argv;\n"                                                /* 21 */
    "    int r = outer(argc);\n"                                       /* 22 */
    "    sink = r;\n"                                                  /* 23 */
    "    return 0;\n"                                                  /* 24 */
    "}\n";                                                             /* 25 */
enum { LEAF_FIRST = 4, LEAF_LAST = 5, MID_CALLS_LEAF = 9, OUTER_CALLS_MID = 15, MAIN_CALLS_OUTER = 22 };

#define STACK_BASE 0x100000ull
#define STACK_SIZE 0x1000u
#define RSP (STACK_BASE + 0x100)

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static const pdb_function *find_named(pdb_file *p, const char *name)
{
    for (size_t i = 0; i < pdb_function_count(p); i++)
        if (strcmp(pdb_function_at(p, i)->name, name) == 0) return pdb_function_at(p, i);
    return NULL;
}

/* Where outer is inside leaf inside mid: the first such byte. (Which bytes
 * those are is the compiler's choice; that some are is the source's.) */
static bool pick_leaf_rva(pdb_file *p, const pdb_function *outer, uint32_t *rva)
{
    for (uint32_t r = outer->rva; r < outer->rva + outer->size; r++) {
        pdb_inline_frame fr[4];
        size_t n = 0;
        cor_err err;
        if (pdb_find_inlines(p, r, fr, 4, &n, &err) == COR_OK && n == 2) {
            *rva = r;
            return true;
        }
    }
    return false;
}

/* The return address of main's call to outer: after the E8 rel32 whose
 * target is outer. */
static bool find_call_return(const built_image *b, const pdb_function *main_fn, uint32_t outer_rva, uint32_t *ret)
{
    const uint8_t *code = built_image_at(b, main_fn->rva, main_fn->size);
    if (!code) return false;
    for (uint32_t i = 0; i + 5 <= main_fn->size; i++) {
        if (code[i] != 0xE8) continue;
        uint32_t next = main_fn->rva + i + 5;
        if (next + built_le32(code + i + 1) == outer_rva) {
            *ret = next;
            return true;
        }
    }
    return false;
}

/* Column of the call site ("MODULE!") in a row. */
static long site_column(const char *row, const char *module)
{
    const char *at = row ? strstr(row, module) : NULL;
    return at ? (long)(at - row) : -1;
}

static int test_pdb_stack(void)
{
    built_image b;
    int rc = built_image_make(&b, "inl", "inl.c", fixture_c,
                              "--target=x86_64-w64-mingw32 -O2 -fno-optimize-sibling-calls "
                              "-L/usr/lib/gcc/x86_64-w64-mingw32/12-win32");
    if (rc) {
        built_image_cleanup(&b, NULL);
        return rc;
    }
    pdb_file *p = NULL;
    cor_err err;
    CHECK(pdb_file_open(b.pdb, &p, &err) == COR_OK);
    const pdb_function *outer = p ? find_named(p, "outer") : NULL, *main_fn = p ? find_named(p, "main") : NULL;
    uint32_t leaf_rva = 0, ret_rva = 0;
    CHECK(outer && main_fn);
    if (!outer || !main_fn || !pick_leaf_rva(p, outer, &leaf_rva) ||
        !find_call_return(&b, main_fn, outer->rva, &ret_rva)) {
        CHECK(!"no address inside leaf, or no call from main to outer");
        pdb_file_close(p);
        built_image_cleanup(&b, NULL);
        return 1;
    }
    uint32_t outer_rva = outer->rva, main_rva = main_fn->rva;
    pdb_file_close(p);

    uint8_t stack[STACK_SIZE] = { 0 };
    synth_w64(stack + (RSP - STACK_BASE), b.base + ret_rva);
    built_thread th = { b.base + leaf_rva, RSP, STACK_BASE, stack, sizeof stack };
    built_module m = built_image_module(&b, "C:\\inl.exe");
    char *dump = built_write_dump(b.dir, &m, &th);
    cor_target *t = dump ? built_open(dump, b.dir) : NULL;
    con_session *s = NULL;
    CHECK(t && con_open(t, &s, &err) == COR_OK);
    if (s) {
        /* target_inlines_at: outermost first, each with its lines. */
        frame_inline in[4];
        size_t n = target_inlines_at(t, b.base + leaf_rva, false, in, 4);
        CHECK_EQ_U(n, 2);
        if (n == 2) {
            CHECK_STR(in[0].function, "mid");
            CHECK_EQ_U(in[0].line, MID_CALLS_LEAF);
            CHECK(ends_with(in[0].file, "inl.c"));
            /* clang 14 leaves the inlined code out of outer's own line
             * table (MSVC gives it the call's line): 15 or unknown. */
            CHECK(in[0].call_line == OUTER_CALLS_MID || in[0].call_line == 0);
            CHECK_STR(in[1].function, "leaf");
            CHECK(in[1].line >= LEAF_FIRST && in[1].line <= LEAF_LAST);
            CHECK(ends_with(in[1].file, "inl.c"));
            CHECK_EQ_U(in[1].call_line, MID_CALLS_LEAF);
            CHECK(ends_with(in[1].call_file, "inl.c"));
        }
        CHECK_EQ_U(target_inlines_at(t, b.base + leaf_rva, false, in, 1), 1); /* room for one: the outermost */
        CHECK_STR(in[0].function, "mid");
        CHECK_EQ_U(target_inlines_at(t, b.base + main_rva, false, in, 4), 0);

        char *out = built_run(s, "kn");
        fprintf(stderr, "%s", out);
        char r0[1024], r1[1024], r2[1024], r3[1024], want[1200];
        CHECK(built_line(out, " # Child-SP          RetAddr               Call Site", r0, sizeof r0) != NULL);
        /* Innermost first: leaf, then mid, both rows without a stack
         * pointer of their own, then the frame they were inlined into. */
        CHECK(built_line(out, "00 (Inline Function) --------`--------     inl!leaf [", r0, sizeof r0) != NULL);
        CHECK(built_line(out, "01 (Inline Function) --------`--------     inl!mid [", r1, sizeof r1) != NULL);
        CHECK(built_line(out, "02 00000000`00100100 ", r2, sizeof r2) != NULL);
        CHECK(built_line(out, "03 00000000`00100108 ", r3, sizeof r3) != NULL);
        char leaf_at[32];
        snprintf(leaf_at, sizeof leaf_at, "inl.c @ %d]", LEAF_FIRST);
        bool leaf_line = ends_with(r0, leaf_at);
        snprintf(leaf_at, sizeof leaf_at, "inl.c @ %d]", LEAF_LAST);
        CHECK(leaf_line || ends_with(r0, leaf_at));
        snprintf(want, sizeof want, "inl.c @ %d]", MID_CALLS_LEAF);
        CHECK(ends_with(r1, want));
        /* WinDbg leaves out a zero offset. */
        if (leaf_rva == outer_rva) snprintf(want, sizeof want, "     inl!outer");
        else snprintf(want, sizeof want, "     inl!outer+0x%x", leaf_rva - outer_rva);
        CHECK(ends_with(r2, want) || (strstr(r2, want) && strstr(r2, want)[strlen(want)] == ' '));
        snprintf(want, sizeof want, "inl.c @ %d]", OUTER_CALLS_MID);
        CHECK(!strchr(r2, '[') || ends_with(r2, want)); /* the call to mid, or nothing */
        snprintf(want, sizeof want, "inl!main+0x%x [", ret_rva - main_rva);
        CHECK(strstr(r3, want) != NULL);
        snprintf(want, sizeof want, "inl.c @ %d]", MAIN_CALLS_OUTER);
        CHECK(ends_with(r3, want));
        /* One column for every call site. */
        long col = site_column(r2, "inl!");
        CHECK(col > 0 && site_column(r0, "inl!") == col && site_column(r1, "inl!") == col &&
              site_column(r3, "inl!") == col);
        free(out);

        /* kL drops every line; kb keeps the rows aligned with the
         * argument columns. */
        out = built_run(s, "kL");
        CHECK(strstr(out, "(Inline Function) --------`--------     inl!leaf\n") != NULL);
        CHECK(strstr(out, "(Inline Function) --------`--------     inl!mid\n") != NULL);
        CHECK(strstr(out, " @ ") == NULL);
        free(out);
        out = built_run(s, "kb");
        CHECK(built_line(out, "(Inline Function) --------`-------- : --------`-------- --------`-------- "
                              "--------`-------- --------`-------- : inl!leaf",
                         r0, sizeof r0) != NULL);
        CHECK(built_line(out, "00000000`00100100 ", r2, sizeof r2) != NULL);
        CHECK(site_column(r0, "inl!") == site_column(r2, "inl!"));
        free(out);
        con_close(s);
    }
    target_close(t);
    built_image_cleanup(&b, dump);
    free(dump);
    return 0;
}

/* ---- Breakpad ------------------------------------------------------------ */

#define BP_BASE 0x180000000ull
#define BP_ID "112233445566778899AABBCCDDEEFF001"

/* helper (helpers.h) is inlined into app_main at app.cc:20 over
 * [1010,1040), and calls inner_most (inner.h) at helpers.h:7 over
 * [1018,1028). other_helper, inlined at app.cc:25 over two ranges, has a
 * child whose range lies inside helper's: a record only counts under an
 * active parent, so that child must never show. */
static const char bp_sym[] =
    "MODULE windows x86_64 " BP_ID " bp.pdb\n"
    "FILE 0 c:\\src\\app.cc\n"
    "FILE 1 c:\\src\\helpers.h\n"
    "FILE 2 c:\\src\\inner.h\n"
    "INLINE_ORIGIN 0 helper\n"
    "INLINE_ORIGIN 1 inner_most\n"
    "INLINE_ORIGIN 2 other_helper\n"
    "INLINE_ORIGIN 3 decoy\n"
    "FUNC 1000 100 0 app_main\n"
    "INLINE 0 20 0 0 1010 30\n"
    "INLINE 1 7 1 1 1018 10\n"
    "INLINE 0 25 0 2 1050 10 1070 8\n"
    "INLINE 1 12 1 3 1030 4\n"
    "1000 10 18 0\n"
    "1010 8 6 1\n"
    "1018 10 3 2\n"
    "1028 18 8 1\n"
    "1040 10 22 0\n"
    "1050 10 11 1\n"
    "1060 10 26 0\n"
    "1070 8 13 1\n"
    "1078 88 27 0\n";

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

static void expect_inline(const frame_inline *in, const char *fn, const char *file, uint32_t line,
                          const char *call_file, uint32_t call_line)
{
    CHECK_STR(in->function, fn);
    CHECK_STR(in->file, file);
    CHECK_EQ_U(in->line, line);
    CHECK_STR(in->call_file, call_file);
    CHECK_EQ_U(in->call_line, call_line);
}

static void test_breakpad_stack(void)
{
    char dir[] = "/tmp/cor-bpinl-XXXXXX", p1[64], p2[128], sym[160];
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(p1, sizeof p1, "%s/bp.pdb", dir);
    snprintf(p2, sizeof p2, "%s/%s", p1, BP_ID);
    snprintf(sym, sizeof sym, "%s/bp.sym", p2);
    CHECK(mkdir(p1, 0700) == 0 && mkdir(p2, 0700) == 0 && write_file(sym, bp_sym) == 0);

    /* CodeView: RSDS, the GUID whose text is BP_ID's first 32 digits, age 1. */
    static const uint8_t cv[] = { 'R', 'S', 'D', 'S', 0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xAA,
                                  0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00, 1, 0, 0, 0, 'b', 'p', '.', 'p', 'd', 'b', 0 };
    built_module m = { "C:\\bp.exe", BP_BASE, 0x10000, 0x5F000000, 0, cv, sizeof cv };
    uint8_t stack[STACK_SIZE] = { 0 };
    built_thread th = { BP_BASE + 0x101c, RSP, STACK_BASE, stack, sizeof stack };
    char *dump = built_write_dump(dir, &m, &th);
    cor_target *t = dump ? built_open(dump, dir) : NULL;
    con_session *s = NULL;
    cor_err err;
    CHECK(t && con_open(t, &s, &err) == COR_OK);
    if (s) {
        frame_inline in[4];
        /* Inside inner_most: helper, then inner_most. */
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x101c, false, in, 4), 2);
        expect_inline(&in[0], "helper", "c:\\src\\helpers.h", 7, "c:\\src\\app.cc", 20);
        expect_inline(&in[1], "inner_most", "c:\\src\\inner.h", 3, "c:\\src\\helpers.h", 7);
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1019, false, in, 4), 2);
        CHECK_STR(in[1].function, "inner_most");
        /* Past inner_most's range: helper alone, at its own line; the
         * decoy (whose parent, other_helper, is not active) is not. */
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1028, false, in, 4), 1);
        expect_inline(&in[0], "helper", "c:\\src\\helpers.h", 8, "c:\\src\\app.cc", 20);
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1031, false, in, 4), 1);
        expect_inline(&in[0], "helper", "c:\\src\\helpers.h", 8, "c:\\src\\app.cc", 20);
        /* The same address as a return address: the call before it, which
         * is still inside inner_most. */
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1028, true, in, 4), 2);
        CHECK_STR(in[1].function, "inner_most");
        /* The second of other_helper's two ranges. */
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1074, false, in, 4), 1);
        expect_inline(&in[0], "other_helper", "c:\\src\\helpers.h", 13, "c:\\src\\app.cc", 25);
        /* Between the inlined calls, and outside every FUNC. */
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1044, false, in, 4), 0);
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x1060, false, in, 4), 0);
        CHECK_EQ_U(target_inlines_at(t, BP_BASE + 0x2000, false, in, 4), 0);

        char *out = built_run(s, "kn 1");
        fprintf(stderr, "%s", out);
        CHECK(strstr(out, "00 (Inline Function) --------`--------     bp!inner_most [c:\\src\\inner.h @ 3]\n"
                          "01 (Inline Function) --------`--------     bp!helper [c:\\src\\helpers.h @ 7]\n"
                          "02 00000000`00100100 ") != NULL);
        /* The frame itself is at the outermost call site, not at the
         * innermost function's line record. */
        CHECK(strstr(out, "     bp!app_main+0x1c [c:\\src\\app.cc @ 20]\n") != NULL);
        free(out);
        con_close(s);
    }
    target_close(t);
    if (dump) unlink(dump);
    free(dump);
    unlink(sym);
    rmdir(p2);
    rmdir(p1);
    rmdir(dir);
}

int main(void)
{
    test_breakpad_stack();
    int rc = test_pdb_stack();
    if (rc == 77 && !test_failures) {
        fprintf(stderr, "%d checks, %d failed (PDB part skipped)\n", test_checks, test_failures);
        return 77;
    }
    if (rc == 1) test_failures++;
    TEST_DONE();
}
