/* Inline frames (pdb_find_inlines) on a PDB built at test time by the
 * lab's toolchain (clang for x86_64-w64-mingw32, lld writing the PDB) from
 * a C file written here: two always_inline helpers, one calling the other,
 * inlined into a noinline function, so names and lines are known by
 * construction. Skips (77) when clang or lld is missing. Also: the
 * annotation decoder on hand-made byte strings, and damaged copies of the
 * real PDB (annotations cut short, flipped, record lengths cut), which
 * must decode partially or not at all, never out of bounds; and the
 * per-module cache (a second pass answers without rereading the PDB). */
#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym/pdb/pdb.h"
#include "core/cursor.h"
#include "sym/pdb/pdb_internal.h"

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
    "int main(int argc, char **argv) { (void)argv; return outer(argc); }\n";
enum { LEAF_FIRST = 4, LEAF_LAST = 5, MID_CALLS_LEAF = 9, MID_FIRST = 9, MID_LAST = 11, OUTER_CALLS_MID = 15 };

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static bool have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static void test_decoder(void)
{
    /* mid's annotations as clang 14 emits them (llvm-pdbutil: code 0x0
     * line +2; line +1; code 0x15; code 0x1B line +1; code end 0x21). */
    static const uint8_t mid[] = { 0x0B, 0x40, 0x06, 0x02, 0x03, 0x15, 0x0B, 0x26, 0x04, 0x06, 0x00 };
    pdb_inline_hit h;
    CHECK(pdb_inline_locate(mid, sizeof mid, 7, 0, 0x16, &h));
    CHECK(h.found);
    CHECK_EQ_U(h.line, 10);
    CHECK_EQ_U(h.line_off, 0x15);
    CHECK_EQ_U(h.line_len, 6);
    CHECK_EQ_U(h.run_start, 0);
    CHECK_EQ_U(h.run_end, 0x21);
    CHECK(pdb_inline_locate(mid, sizeof mid, 7, 0, 0x3, &h) && h.found);
    CHECK_EQ_U(h.line, 9);
    CHECK(pdb_inline_locate(mid, sizeof mid, 7, 0, 0x20, &h) && h.found);
    CHECK_EQ_U(h.line, 11);
    CHECK(pdb_inline_locate(mid, sizeof mid, 7, 0, 0x21, &h) && !h.found);

    /* Every prefix: decodes what is whole, finds nothing past the cut. */
    for (size_t k = 0; k < sizeof mid; k++) {
        pdb_inline_locate(mid, k, 7, 0, 0x1C, &h);
        CHECK(!h.found || k >= 10);
        pdb_inline_locate(mid, k, 7, 0, 0x2, &h);
        CHECK(!h.found || k >= 6); /* the first entry's length comes with the second */
    }
    /* Cut inside an operand: stops cleanly, reports it. */
    static const uint8_t cut4[] = { 0x03, 0xC0, 0x01 };
    CHECK(!pdb_inline_locate(cut4, sizeof cut4, 1, 0, 0, &h) && !h.found);
    static const uint8_t cut2[] = { 0x0C, 0x05, 0x80 };
    CHECK(!pdb_inline_locate(cut2, sizeof cut2, 1, 0, 0, &h) && !h.found);
    static const uint8_t bad[] = { 0x03, 0xE0, 0, 0, 0, 0x04, 0x10 }; /* 111 prefix */
    CHECK(!pdb_inline_locate(bad, sizeof bad, 1, 0, 0, &h) && !h.found);
    static const uint8_t unknown[] = { 0x0B, 0x20, 0x04, 0x08, 0x0E, 0x01 }; /* line +1, length 8, opcode 14 */
    CHECK(!pdb_inline_locate(unknown, sizeof unknown, 1, 0, 0x3, &h));
    CHECK(h.found && h.line == 2); /* the entry before the unknown opcode stands */

    /* Two-byte operands, signed line deltas, ChangeCodeLengthAndCodeOffset,
     * ChangeFile. */
    static const uint8_t wide[] = {
        0x03, 0x81, 0x00, /* code += 0x100, entry at 0x100 */
        0x04, 0x10,       /* length 0x10 */
        0x06, 0x05,       /* line -2 */
        0x05, 0x18,       /* file 0x18 */
        0x0C, 0x08, 0x04, /* length 8 at code += 4: 0x114 */
    };
    CHECK(pdb_inline_locate(wide, sizeof wide, 50, 0, 0x105, &h) && h.found);
    CHECK_EQ_U(h.line, 50);
    CHECK_EQ_U(h.file, 0);
    CHECK_EQ_U(h.run_start, 0x100);
    CHECK_EQ_U(h.run_end, 0x110);
    CHECK(pdb_inline_locate(wide, sizeof wide, 50, 0, 0x11B, &h) && h.found);
    CHECK_EQ_U(h.line, 48);
    CHECK_EQ_U(h.file, 0x18);
    CHECK_EQ_U(h.line_off, 0x114);
    CHECK_EQ_U(h.line_len, 8);
    CHECK(pdb_inline_locate(wide, sizeof wide, 50, 0, 0x112, &h) && !h.found);
}

typedef struct seen {
    int two, one, none;
} seen;

/* Every address of outer: the chain must be [] or [mid] or [mid, leaf]
 * with lines inside those functions' bodies. */
static seen check_outer(pdb_file *p, uint32_t start, uint32_t size)
{
    seen s = { 0 };
    for (uint32_t rva = start; rva < start + size; rva++) {
        pdb_inline_frame fr[4];
        size_t n = 99;
        cor_err err = { { 0 } };
        CHECK(pdb_find_inlines(p, rva, fr, 4, &n, &err) == COR_OK);
        CHECK(n <= 2);
        if (n == 0) s.none++;
        if (n >= 1) {
            CHECK_STR(fr[0].name, "mid");
            CHECK(fr[0].line >= MID_FIRST && fr[0].line <= MID_LAST);
            CHECK(ends_with(fr[0].file, "inl.c"));
            /* The outermost call site comes from outer's own line table,
             * where clang 14 leaves the inlined code uncovered (MSVC
             * gives it the call's line): 15 or unknown, nothing else. */
            CHECK(fr[0].call_line == OUTER_CALLS_MID || fr[0].call_line == 0);
            CHECK(fr[0].call_line == 0 || ends_with(fr[0].call_file, "inl.c"));
            CHECK(rva >= fr[0].rva && rva - fr[0].rva < fr[0].size);
            CHECK(fr[0].rva >= start && fr[0].rva + fr[0].size <= start + size);
            CHECK(rva >= fr[0].line_rva);
        }
        if (n == 1) {
            s.one++;
            CHECK(fr[0].line == 10 || fr[0].line == 11); /* after leaf returned */
        }
        if (n == 2) {
            s.two++;
            CHECK_STR(fr[1].name, "leaf");
            CHECK(fr[1].line >= LEAF_FIRST && fr[1].line <= LEAF_LAST);
            CHECK(ends_with(fr[1].file, "inl.c"));
            CHECK_EQ_U(fr[0].line, MID_CALLS_LEAF);
            CHECK_EQ_U(fr[1].call_line, MID_CALLS_LEAF);
            CHECK(rva >= fr[1].rva && rva - fr[1].rva < fr[1].size);
            CHECK(fr[1].rva >= fr[0].rva && fr[1].rva + fr[1].size <= fr[0].rva + fr[0].size);
            /* Room for one: the count says two, the outermost is written. */
            pdb_inline_frame one;
            size_t m = 0;
            CHECK(pdb_find_inlines(p, rva, &one, 1, &m, &err) == COR_OK);
            CHECK_EQ_U(m, 2);
            CHECK_STR(one.name, "mid");
        }
    }
    return s;
}

static const pdb_function *find_named(pdb_file *p, const char *name)
{
    for (size_t i = 0; i < pdb_function_count(p); i++)
        if (strcmp(pdb_function_at(p, i)->name, name) == 0) return pdb_function_at(p, i);
    return NULL;
}

/* Damaged copies: every byte of each S_INLINESITE's annotations set to a
 * few hostile values, and each site's record length cut. Lookups must
 * succeed or fail with a message, and never report more than two frames. */
static void check_damaged(const uint8_t *pdb, size_t size, uint32_t start, uint32_t fsize)
{
    uint8_t *copy = malloc(size);
    if (!copy) return;
    int sites = 0;
    for (size_t i = 0; i + 20 <= size; i++) {
        if (le16(pdb + i + 2) != 0x114D) continue;
        uint16_t reclen = le16(pdb + i);
        uint32_t inlinee = le32(pdb + i + 12);
        if (reclen < 18 || reclen > 64 || inlinee < 0x1000 || inlinee > 0x2000 || i + 2 + reclen > size) continue;
        sites++;
        static const uint8_t vals[] = { 0x00, 0x0E, 0x7F, 0x80, 0xC0, 0xFF };
        for (size_t b = i + 16; b < i + 2 + reclen; b++) {
            for (size_t v = 0; v < sizeof vals; v++) {
                memcpy(copy, pdb, size);
                copy[b] = vals[v];
                pdb_file *p;
                cor_err err;
                if (pdb_file_open_mem(copy, size, &p, &err) != COR_OK) continue;
                for (uint32_t rva = start; rva < start + fsize; rva += 3) {
                    pdb_inline_frame fr[4];
                    size_t n = 0;
                    int rc = pdb_find_inlines(p, rva, fr, 4, &n, &err);
                    CHECK(rc == COR_OK || err.msg[0]);
                    CHECK(n <= 2);
                }
                pdb_file_close(p);
            }
        }
        for (uint16_t cut = 2; cut < reclen; cut += 3) {
            memcpy(copy, pdb, size);
            copy[i] = (uint8_t)cut;
            copy[i + 1] = 0;
            pdb_file *p;
            cor_err err;
            if (pdb_file_open_mem(copy, size, &p, &err) != COR_OK) continue;
            for (uint32_t rva = start; rva < start + fsize; rva++) {
                pdb_inline_frame fr[4];
                size_t n = 0;
                int rc = pdb_find_inlines(p, rva, fr, 4, &n, &err);
                CHECK(rc == COR_OK || err.msg[0]);
                CHECK(n <= 2);
            }
            pdb_file_close(p);
        }
    }
    CHECK(sites >= 2);
    free(copy);
}

/* Bulk use: a module's sites are read once and kept in the pdb_file, so
 * that a second pass over every address gives the same frames without
 * reading the module stream again. Shown by scribbling over the PDB bytes
 * (every inline site's annotations) after the first pass: the second pass
 * must not notice, while a fresh open of the scribbled bytes does. */
static void check_cached(const uint8_t *pdb, size_t size, uint32_t start, uint32_t fsize)
{
    uint8_t *copy = malloc(size);
    if (!copy) return;
    memcpy(copy, pdb, size);
    pdb_file *p;
    cor_err err;
    CHECK(pdb_file_open_mem(copy, size, &p, &err) == COR_OK);
    if (!p) {
        free(copy);
        return;
    }
    size_t nrva = fsize;
    pdb_inline_frame(*first)[2] = calloc(nrva, sizeof *first);
    size_t *counts = calloc(nrva, sizeof *counts);
    for (uint32_t i = 0; first && counts && i < nrva; i++)
        CHECK(pdb_find_inlines(p, start + i, first[i], 2, &counts[i], &err) == COR_OK);
    const pdb_function *f = pdb_find_function(p, start);
    CHECK(f && p->inline_mods && p->inline_mods[f->module].state == MOD_LOADED);
    CHECK(p->ipi != NULL);

    int sites = 0;
    for (size_t i = 0; i + 20 <= size; i++) {
        uint16_t reclen = le16(copy + i);
        if (le16(copy + i + 2) != 0x114D || reclen < 18 || reclen > 64 || i + 2 + reclen > size) continue;
        memset(copy + i + 16, 0xFF, reclen - 14u); /* bad encoding from the first byte */
        sites++;
    }
    CHECK(sites >= 2);
    size_t same = 0;
    for (uint32_t i = 0; first && counts && i < nrva; i++) {
        pdb_inline_frame fr[2];
        size_t n = 99;
        CHECK(pdb_find_inlines(p, start + i, fr, 2, &n, &err) == COR_OK);
        bool eq = n == counts[i];
        for (size_t k = 0; eq && k < n && k < 2; k++)
            eq = !strcmp(fr[k].name, first[i][k].name) && fr[k].line == first[i][k].line &&
                 fr[k].rva == first[i][k].rva && fr[k].size == first[i][k].size;
        same += eq;
    }
    CHECK_EQ_U(same, nrva);
    pdb_file_close(p);

    /* The scribble does matter to a reader that has not cached. */
    size_t frames = 0;
    if (pdb_file_open_mem(copy, size, &p, &err) == COR_OK) {
        for (uint32_t i = 0; i < nrva; i++) {
            pdb_inline_frame fr[2];
            size_t n = 0;
            if (pdb_find_inlines(p, start + i, fr, 2, &n, &err) == COR_OK) frames += n;
        }
        pdb_file_close(p);
    }
    CHECK_EQ_U(frames, 0);
    free(first);
    free(counts);
    free(copy);
}

static int test_built_pdb(void)
{
    if (!have_tool("clang") || !(have_tool("ld.lld") || have_tool("lld"))) {
        fprintf(stderr, "clang or lld missing: skipping the built-PDB tests\n");
        return 77;
    }
    char dir[] = "/tmp/cor-inline-XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return 1;
    }
    char src[300], exe[300], pdbp[300], cmd[2048];
    snprintf(src, sizeof src, "%s/inl.c", dir);
    snprintf(exe, sizeof exe, "%s/inl.exe", dir);
    snprintf(pdbp, sizeof pdbp, "%s/inl.pdb", dir);
    FILE *f = fopen(src, "w");
    if (!f) {
        CHECK(!"write fixture");
        return 1;
    }
    fputs(fixture_c, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "clang --target=x86_64-w64-mingw32 -O2 -g -gcodeview -fuse-ld=lld "
             "-L/usr/lib/gcc/x86_64-w64-mingw32/12-win32 -Wl,--pdb=%s -o %s %s 2>&1",
             pdbp, exe, src);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot build the fixture (no mingw target?): skipping\n");
        unlink(src);
        rmdir(dir);
        return 77;
    }
    pdb_file *p;
    cor_err err;
    CHECK(pdb_file_open(pdbp, &p, &err) == COR_OK);
    if (!p) return 1;
    const pdb_function *fo = find_named(p, "outer");
    const pdb_function *fm = find_named(p, "main");
    CHECK(fo != NULL);
    CHECK(fm != NULL);
    if (fo && fm) {
        uint32_t start = fo->rva, size = fo->size;
        seen s = check_outer(p, start, size);
        CHECK(s.two > 0);  /* leaf inside mid inside outer */
        CHECK(s.one > 0);  /* mid after leaf */
        CHECK(s.none > 0); /* outer's own code (sink = a; return) */
        fprintf(stderr, "outer: %d bytes in leaf, %d in mid only, %d in neither\n", s.two, s.one, s.none);

        /* main has no inline sites; outside any function is no error. */
        pdb_inline_frame fr[2];
        size_t n = 7;
        CHECK(pdb_find_inlines(p, fm->rva, fr, 2, &n, &err) == COR_OK);
        CHECK_EQ_U(n, 0);
        n = 7;
        CHECK(pdb_find_inlines(p, 0x7FFFFFF0, fr, 2, &n, &err) == COR_OK);
        CHECK_EQ_U(n, 0);
        n = 7;
        CHECK(pdb_find_inlines(p, start, fr, 0, &n, &err) == COR_OK); /* max 0: count only */

        /* Damaged copies of the file. */
        FILE *in = fopen(pdbp, "rb");
        struct stat st;
        if (in && stat(pdbp, &st) == 0) {
            uint8_t *buf = malloc((size_t)st.st_size);
            if (buf && fread(buf, 1, (size_t)st.st_size, in) == (size_t)st.st_size)
            {
                check_damaged(buf, (size_t)st.st_size, start, size);
                check_cached(buf, (size_t)st.st_size, start, size);
            }
            free(buf);
        }
        if (in) fclose(in);
    }
    pdb_file_close(p);
    unlink(src);
    unlink(exe);
    unlink(pdbp);
    rmdir(dir);
    return 0;
}

int main(void)
{
    test_decoder();
    int rc = test_built_pdb();
    if (rc == 77 && !test_failures) {
        fprintf(stderr, "%d checks, %d failed (built-PDB part skipped)\n", test_checks, test_failures);
        return 77;
    }
    TEST_DONE();
}
