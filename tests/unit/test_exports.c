/* Export symbols: for every non-forwarded export of the corpus DLLs, an
 * address N bytes into it comes back as that export at offset N; unnamed
 * exports are "Ordinal<n>"; forwarders are never answers; the same source
 * works over an image in a dump's address space. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/minidump.h"
#include "mem/address_space.h"
#include "pe/pe_exports.h"
#include "pe/pe_image.h"
#include "sym/exports/exports.h"
#include "test.h"

#define BASIC32 "mozilla__dump_syms/test_data__windows__basic32.dll"
#define BASIC64 "mozilla__dump_syms/test_data__windows__basic64.dll"
#define USER32 "radareorg__radare2-testbins/pdb__user32.dll"
#define PE_ONLY "google__breakpad/src__tools__windows__dump_syms__testdata__pe_only_symbol_test.dll"
#define MINIDUMP2 "google__breakpad/src__processor__testdata__minidump2.dmp"

/* Checks the source against the PE layer's own table: each non-forwarded
 * export, looked up at rva, rva + 1 and the last byte before the next
 * export, gives itself (or the preferred entry at the same address). */
static void check_all(const sym_source *s, const pe_exports *ex, size_t *named, size_t *ordinal_only)
{
    size_t bad = 0;
    for (size_t i = 0; i < ex->nby_rva; i++) {
        const pe_export *x = ex->by_rva[i];
        if (i > 0 && ex->by_rva[i - 1]->rva == x->rva) continue; /* the first at an address answers */
        uint32_t next = UINT32_MAX;
        for (size_t j = i + 1; j < ex->nby_rva; j++)
            if (ex->by_rva[j]->rva != x->rva) {
                next = ex->by_rva[j]->rva;
                break;
            }
        char want[32];
        const char *name = x->name;
        if (!name) {
            snprintf(want, sizeof want, "Ordinal%u", (unsigned)x->ordinal);
            name = want;
            ++*ordinal_only;
        } else {
            ++*named;
        }
        uint32_t offs[] = { 0, 1, 0x1a };
        for (size_t k = 0; k < 3; k++) {
            if (x->rva + offs[k] >= next) continue;
            sym_hit h;
            if (!sym_lookup(s, x->rva + offs[k], &h) || h.func_rva != x->rva || strcmp(h.function, name) != 0 ||
                !h.is_public || h.file || h.line) {
                if (bad++ < 5)
                    fprintf(stderr, "  export %s at 0x%x+0x%x: got %s\n", name, x->rva, offs[k],
                            h.function ? h.function : "(none)");
            }
        }
    }
    CHECK_EQ_U(bad, 0);
}

static void test_file(const char *rel, size_t want_named, size_t want_unnamed)
{
    cor_err e;
    sym_source s;
    int rc = exports_open_path(corpus_path(rel), &s, &e);
    CHECK(rc == COR_OK);
    if (rc != COR_OK) {
        fprintf(stderr, "  %s: %s\n", rel, e.msg);
        return;
    }
    CHECK(s.ops->kind == SYM_KIND_EXPORT);
    CHECK_STR(s.origin, corpus_path(rel));
    pe_image *img;
    pe_exports *ex = NULL;
    CHECK(pe_image_open_path(corpus_path(rel), &img, &e) == COR_OK);
    CHECK(pe_exports_read(img, &ex, &e) == COR_OK);
    size_t named = 0, unnamed = 0;
    if (ex) check_all(&s, ex, &named, &unnamed);
    fprintf(stderr, "  %s: %zu named and %zu ordinal-only export addresses\n", rel, named, unnamed);
    CHECK_EQ_U(named, want_named);
    CHECK_EQ_U(unnamed, want_unnamed);
    pe_exports_free(ex);
    pe_image_close(img);
    sym_source_free(&s);
}

static bool count_fn(void *ctx, const sym_func *f)
{
    ++*(size_t *)ctx;
    return f->name != NULL;
}

static void test_basic64(void)
{
    cor_err e;
    sym_source s;
    CHECK(exports_open_path(corpus_path(BASIC64), &s, &e) == COR_OK);
    sym_hit h;
    /* ?meth1@A@@QEAAXH@Z is ordinal 5 at 0x339B; the next export is at 0x35EE. */
    CHECK(sym_lookup(&s, 0x339B + 0x1a, &h));
    CHECK_STR(h.function, "?meth1@A@@QEAAXH@Z");
    CHECK(h.func_rva == 0x339B && h.is_public && h.func_size == 0);
    CHECK(!sym_lookup(&s, 0x1000, &h));       /* below every export */
    CHECK(!sym_lookup(&s, 0x7fffffff, &h));   /* past SizeOfImage */
    sym_func f;
    CHECK(s.ops->by_name(s.self, "?meth1@A@@QEAAXH@Z", &f) && f.rva == 0x339B);
    CHECK(!s.ops->by_name(s.self, "Ordinal5", &f)); /* named exports answer to their name */
    size_t n = 0;
    s.ops->each_function(s.self, count_fn, &n);
    CHECK_EQ_U(n, 10);
    sym_source_free(&s);
}

static void test_user32(void)
{
    cor_err e;
    sym_source s;
    CHECK(exports_open_path(corpus_path(USER32), &s, &e) == COR_OK);
    sym_func f;
    /* Forwarded to NTDLL: not an address in this module. */
    CHECK(!s.ops->by_name(s.self, "DefDlgProcA", &f));
    CHECK(s.ops->by_name(s.self, "MessageBoxW", &f) && f.rva == 0x711E4);
    /* Ordinal 1500 is exported by ordinal only at 0x2B930. */
    CHECK(s.ops->by_name(s.self, "Ordinal1500", &f) && f.rva == 0x2B930);
    CHECK_STR(f.name, "Ordinal1500");
    CHECK(!s.ops->by_name(s.self, "Ordinal", &f));
    CHECK(!s.ops->by_name(s.self, "Ordinal1500x", &f));
    sym_hit h;
    CHECK(sym_lookup(&s, 0x2B930 + 4, &h));
    CHECK(h.func_rva == 0x2B930);
    fprintf(stderr, "  user32 0x2B934: %s+0x%x\n", h.function, 0x2B934 - h.func_rva);
    sym_source_free(&s);
}

/* The same image served from a dump's address space at a made-up base,
 * through the address space's fallback hook (as image files are). */
typedef struct view {
    uint8_t *p;
    size_t n;
    uint64_t base;
} view;

static const uint8_t *serve(void *ctx, uint64_t addr, size_t *avail)
{
    view *v = ctx;
    if (addr < v->base || addr - v->base >= v->n) return NULL;
    *avail = v->n - (size_t)(addr - v->base);
    return v->p + (addr - v->base);
}

static void test_dump_memory(void)
{
    cor_err e;
    pe_image *img;
    CHECK(pe_image_open_path(corpus_path(BASIC64), &img, &e) == COR_OK);
    view v = { NULL, pe_image_headers(img)->size_of_image, 0x7ff600000000ull };
    v.p = malloc(v.n);
    CHECK(v.p && pe_read(img, 0, v.p, v.n, &e) == COR_OK);
    pe_image_close(img);
    md_dump *d = NULL;
    as_space *as = NULL;
    CHECK(md_open(corpus_path(MINIDUMP2), &d, &e) == COR_OK);
    CHECK(d && as_open(d, &as, &e) == COR_OK);
    if (as) {
        as_set_fallback(as, serve, &v);
        sym_source s;
        CHECK(exports_open_as(as, v.base, &s, &e) == COR_OK);
        sym_hit h;
        CHECK(sym_lookup(&s, 0x339B + 0x1a, &h) && h.func_rva == 0x339B);
        CHECK_STR(h.function, "?meth1@A@@QEAAXH@Z");
        sym_source_free(&s);
        /* Nothing mapped there: a clean failure. */
        CHECK(exports_open_as(as, 0x100000000000ull, &s, &e) == COR_FAIL && s.ops == NULL);
        as_close(as);
    }
    md_close(d);
    free(v.p);
}

static void test_no_exports(void)
{
    cor_err e;
    sym_source s;
    CHECK(exports_open_path(corpus_path(PE_ONLY), &s, &e) == COR_OK);
    sym_hit h;
    CHECK(!sym_lookup(&s, 0x1000, &h));
    sym_source_free(&s);
    CHECK(exports_open_path("/nonexistent.dll", &s, &e) == COR_FAIL && s.ops == NULL);
    CHECK(exports_open_path(corpus_path(MINIDUMP2), &s, &e) == COR_FAIL && s.ops == NULL);
}

int main(void)
{
    test_file(BASIC64, 10, 0);
    test_file(BASIC32, 10, 0);
    test_file(USER32, 809, 16); /* distinct addresses: forwarders and aliases excluded */
    test_basic64();
    test_user32();
    test_dump_memory();
    test_no_exports();
    TEST_DONE();
}
