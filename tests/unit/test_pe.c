/* The PE layer against real images from the corpus: the facts
 * MANIFEST.tsv records for every PE (checked in both the file layout and
 * the loader's mapped layout), exports, imports, version resources,
 * .pdata, CLR headers, the image-path fallback, and hostile inputs
 * (truncations, bit flips, hand-made bad fields) that must fail cleanly. */
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "pe/pe_clr.h"
#include "pe/pe_debug.h"
#include "pe/pe_exports.h"
#include "pe/pe_files.h"
#include "pe/pe_image.h"
#include "pe/pe_imports.h"
#include "pe/pe_pdata.h"
#include "pe/pe_reloc.h"
#include "pe/pe_version.h"
#include "test.h"

#define BASIC32 "mozilla__dump_syms/test_data__windows__basic32.dll"
#define BASIC64 "mozilla__dump_syms/test_data__windows__basic64.dll"
#define MOZWER "mozilla__dump_syms/test_data__windows__mozwer.dll"
#define PE_ONLY "google__breakpad/src__tools__windows__dump_syms__testdata__pe_only_symbol_test.dll"
#define HELLO "dotnet__symstore/src__Microsoft.FileFormats.UnitTests__TestBinaries__HelloWorld.exe"
#define STACKTRACE "dotnet__symstore/src__Microsoft.FileFormats.UnitTests__TestBinaries__System.Diagnostics.StackTrace.dll"
#define CORECLR_GZ "dotnet__symstore/src__Microsoft.SymbolStore.UnitTests__TestBinaries__coreclr.dll.gz"
#define USER32 "radareorg__radare2-testbins/pdb__user32.dll"
#define SIMPLEPDB "radareorg__radare2-testbins/pdb__SimplePDB.exe"
#define ARM64EXE "getsentry__symbolic/symbolic-testutils__fixtures__windows__arm64__test.exe"
#define CFI_LOOP "getsentry__symbolic/symbolic-testutils__fixtures__windows__cfi_chained_loop.exe"
#define CRASHEXC "getsentry__symbolic/symbolic-testutils__fixtures__windows__CrashWithException.exe"
#define TESTPDB "llvm-mirror__lldb/unittests__SymbolFile__PDB__Inputs__test-pdb.exe"
#define BUGSPLAT "BugSplat-Git__symbol-upload/spec__support__symsrv__bugsplat.dll__64FB82ED7A000__bugsplat.dll"
#define BSSNDRPT "BugSplat-Git__symbol-upload/spec__support__bssndrpt.exe"
#define DUMP "google__breakpad/src__processor__testdata__ascii_read_av.dmp"

/* ---- helpers ---- */

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static blob load_path(const char *path)
{
    blob b = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    if (!f) return b;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc(n > 0 ? (size_t)n : 1);
    if (b.p && n > 0 && fread(b.p, 1, (size_t)n, f) == (size_t)n) b.n = (size_t)n;
    fclose(f);
    return b;
}

static blob load(const char *rel) { return load_path(corpus_path(rel)); }

static char tmp_root[256];

static const char *tmp_path(const char *rel)
{
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", tmp_root, rel);
    return buf;
}

static bool write_file(const char *path, const blob *b)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(b->p, 1, b->n, f) == b->n;
    return fclose(f) == 0 && ok;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

/* coreclr.dll ships gzipped; the test unpacks it once. Empty on failure. */
static blob coreclr(void)
{
    static blob b;
    static bool tried;
    if (!tried) {
        tried = true;
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s/coreclr.dll'", corpus_path(CORECLR_GZ), tmp_root);
        if (system(cmd) == 0) b = load_path(tmp_path("coreclr.dll"));
        if (!b.n) fprintf(stderr, "note: could not gunzip %s; coreclr checks skipped\n", CORECLR_GZ);
    }
    return b;
}

/* The loader's view of a file-layout image: SizeOfImage bytes, headers and
 * sections at their RVAs, zero elsewhere. Built independently of the
 * library's translation, from the section table alone. */
static blob loader_view(const blob *file, const pe_image *img)
{
    const pe_headers *h = pe_image_headers(img);
    blob v = { calloc(1, h->size_of_image), h->size_of_image };
    size_t hdr = h->size_of_headers < file->n ? h->size_of_headers : file->n;
    if (hdr > v.n) hdr = v.n;
    memcpy(v.p, file->p, hdr);
    for (size_t i = 0; i < pe_section_count(img); i++) {
        const pe_section *s = pe_section_at(img, i);
        size_t len = s->raw_size;
        if (s->virtual_size && s->virtual_size < len) len = s->virtual_size;
        if ((uint64_t)s->raw_ptr + len > file->n) len = s->raw_ptr < file->n ? file->n - s->raw_ptr : 0;
        if ((uint64_t)s->virtual_address + len > v.n) len = s->virtual_address < v.n ? v.n - s->virtual_address : 0;
        memcpy(v.p + s->virtual_address, file->p + s->raw_ptr, len);
    }
    return v;
}

static int blob_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    const blob *b = ctx;
    if (!span_ok(b->n, off, n)) return COR_FAIL;
    memcpy(buf, b->p + off, n);
    return COR_OK;
}

static pe_image *open_mem(const blob *b, int layout)
{
    pe_image *img = NULL;
    cor_err e;
    if (pe_image_open_mem(b->p, b->n, layout, &img, &e) != COR_OK) {
        fprintf(stderr, "open failed: %s\n", e.msg);
        return NULL;
    }
    return img;
}

/* Runs every parser over an image; returns how many failed without a
 * message (each failure must say what is wrong). */
static int exercise(const uint8_t *p, size_t n, int layout)
{
    int silent = 0;
    cor_err e;
    pe_image *img;
    e.msg[0] = 0;
    if (pe_image_open_mem(p, n, layout, &img, &e) != COR_OK) return e.msg[0] ? 0 : 1;

    pe_exports *ex;
    e.msg[0] = 0;
    if (pe_exports_read(img, &ex, &e) == COR_OK) {
        for (size_t i = 0; i < ex->count; i++)
            if (ex->entries[i].name) pe_export_by_name(ex, ex->entries[i].name);
        pe_export_nearest(ex, 0x1234);
        pe_exports_free(ex);
    } else silent += !e.msg[0];

    pe_imports *im;
    e.msg[0] = 0;
    if (pe_imports_read(img, &im, &e) == COR_OK) pe_imports_free(im);
    else silent += !e.msg[0];

    pe_codeview *cvs;
    size_t ncv, skipped;
    e.msg[0] = 0;
    if (pe_codeviews_read(img, &cvs, &ncv, &skipped, &e) == COR_OK) pe_codeviews_free(cvs, ncv);
    else silent += !e.msg[0];
    pe_codeview cv;
    e.msg[0] = 0;
    if (pe_codeview_read(img, &cv, &e) == COR_OK) pe_codeview_free(&cv);
    else silent += !e.msg[0];

    pe_version_info *vi;
    e.msg[0] = 0;
    if (pe_version_read(img, &vi, &e) == COR_OK) pe_version_free(vi);
    else silent += !e.msg[0];

    pe_pdata *pd;
    e.msg[0] = 0;
    if (pe_pdata_read(img, &pd, &e) == COR_OK) {
        pe_pdata_lookup(pd, 0x1010);
        pe_pdata_free(pd);
    } else silent += !e.msg[0];

    pe_clr *clr;
    e.msg[0] = 0;
    if (pe_clr_read(img, &clr, &e) == COR_OK) pe_clr_free(clr);
    else silent += !e.msg[0];

    pe_image_close(img);
    return silent;
}

/* ---- the manifest's facts, for every PE it lists ---- */

static unsigned long hex_after(const char *s, const char *key, bool *found)
{
    const char *p = strstr(s, key);
    *found = p != NULL;
    return p ? strtoul(p + strlen(key), NULL, 16) : 0;
}

typedef struct parser_counts {
    size_t exports, dlls, fns, pdata, vstrings, ncv;
    bool has_version, has_clr;
    char clr_version[64];
} parser_counts;

static void count_parsers(const pe_image *img, parser_counts *c, const char *what)
{
    cor_err e;
    memset(c, 0, sizeof *c);
    pe_exports *ex;
    int rc = pe_exports_read(img, &ex, &e);
    CHECK(rc == COR_OK);
    if (rc == COR_OK) {
        c->exports = ex->count;
        CHECK(ex->unreadable == 0);
        pe_exports_free(ex);
    } else fprintf(stderr, "%s: %s\n", what, e.msg);
    pe_imports *im;
    rc = pe_imports_read(img, &im, &e);
    CHECK(rc == COR_OK);
    if (rc == COR_OK) {
        c->dlls = im->count;
        for (size_t i = 0; i < im->count; i++) c->fns += im->dlls[i].count;
        CHECK(im->unreadable == 0);
        pe_imports_free(im);
    } else fprintf(stderr, "%s: %s\n", what, e.msg);
    pe_pdata *pd;
    rc = pe_pdata_read(img, &pd, &e);
    CHECK(rc == COR_OK);
    if (rc == COR_OK) {
        c->pdata = pd->count;
        pe_pdata_free(pd);
    } else fprintf(stderr, "%s: %s\n", what, e.msg);
    pe_version_info *vi;
    rc = pe_version_read(img, &vi, &e);
    CHECK(rc == COR_OK);
    if (rc == COR_OK && vi) {
        c->has_version = true;
        c->vstrings = vi->nstrings;
        pe_version_free(vi);
    }
    pe_clr *clr;
    rc = pe_clr_read(img, &clr, &e);
    CHECK(rc == COR_OK);
    if (rc == COR_OK && clr) {
        c->has_clr = true;
        snprintf(c->clr_version, sizeof c->clr_version, "%s", clr->version ? clr->version : "");
        pe_clr_free(clr);
    }
    pe_codeview *cvs;
    size_t skipped;
    if (pe_codeviews_read(img, &cvs, &c->ncv, &skipped, &e) == COR_OK) {
        CHECK(skipped == 0);
        pe_codeviews_free(cvs, c->ncv);
    }
}

/* Asserts one manifest row's note against an opened image. */
static void check_facts(const pe_image *img, const char *file, const char *note)
{
    const pe_headers *h = pe_image_headers(img);
    /* "PE x64 PE32+ DLL; ..." */
    char machine[32] = "", kind[16] = "", role[16] = "";
    CHECK(sscanf(note, "PE %31s %15s %15[A-Z]", machine, kind, role) == 3);
    if (strncmp(machine, "0x", 2) == 0) CHECK_EQ_U(h->machine, strtoul(machine, NULL, 16));
    else CHECK_STR(pe_machine_name(h->machine), machine);
    CHECK(h->pe32plus == (strcmp(kind, "PE32+") == 0));
    CHECK_EQ_U(pe_image_ptr_size(img), h->pe32plus ? 8 : 4);
    CHECK(pe_image_is_dll(img) == (strcmp(role, "DLL") == 0));
    bool found;
    CHECK_EQ_U(h->timestamp, hex_after(note, "TimeDateStamp=0x", &found));
    CHECK(found);
    CHECK_EQ_U(h->size_of_image, hex_after(note, "SizeOfImage=0x", &found));
    CHECK(found);
    const char *cid = strstr(note, "code-id=");
    char id[20];
    CHECK(cid && strncmp(cid + 8, pe_image_code_id(img, id), strlen(id)) == 0);

    /* CodeView: the manifest names one record; it must be among ours. */
    pe_codeview *cvs = NULL;
    size_t ncv = 0, skipped = 0;
    cor_err e;
    CHECK(pe_codeviews_read(img, &cvs, &ncv, &skipped, &e) == COR_OK);
    const char *rsds = strstr(note, "RSDS GUID=");
    if (rsds) {
        char guid[37];
        snprintf(guid, sizeof guid, "%.36s", rsds + 10);
        unsigned long age = strtoul(strstr(rsds, " age=") + 5, NULL, 10);
        const char *pdb = strstr(rsds, " pdb=") + 5;
        size_t pdb_len = strcspn(pdb, ";");
        bool match = false;
        for (size_t i = 0; i < ncv; i++) {
            char g[37];
            if (cvs[i].kind == PE_CV_RSDS && strcmp(pe_guid_str(cvs[i].guid, g), guid) == 0 && cvs[i].age == age &&
                cvs[i].pdb_path && strlen(cvs[i].pdb_path) == pdb_len && memcmp(cvs[i].pdb_path, pdb, pdb_len) == 0)
                match = true;
        }
        if (!match) fprintf(stderr, "%s: no CodeView record %s age %lu %.*s\n", file, guid, age, (int)pdb_len, pdb);
        CHECK(match);
        /* With one record, it is also the primary one. */
        pe_codeview cv;
        CHECK(pe_codeview_read(img, &cv, &e) == COR_OK);
        char g[37];
        if (ncv == 1) CHECK_STR(pe_guid_str(cv.guid, g), guid);
        CHECK(cv.kind == PE_CV_RSDS);
        pe_codeview_free(&cv);
    } else {
        CHECK_EQ_U(ncv, 0);
    }
    pe_codeviews_free(cvs, ncv);

    pe_clr *clr = NULL;
    CHECK(pe_clr_read(img, &clr, &e) == COR_OK);
    CHECK((clr != NULL) == (strstr(note, "managed (CLI header)") != NULL));
    pe_clr_free(clr);
}

static void test_manifest(void)
{
    FILE *f = fopen(corpus_path("MANIFEST.tsv"), "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[8192];
    int rows = 0, clean_refusals = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *col[7];
        int n = 0;
        for (char *s = line, *tab; n < 7; s = tab + 1) {
            col[n++] = s;
            tab = strchr(s, '\t');
            if (!tab) break;
            *tab = 0;
        }
        if (n < 7 || strcmp(col[5], "pe") != 0) continue;
        rows++;
        const char *file = col[0], *note = col[6];
        blob b;
        if (strncmp(note, "gzip-compressed", 15) == 0) {
            b = coreclr();
            if (!b.n) continue;
            b.p = memcpy(malloc(b.n), b.p, b.n);
            note = strstr(note, "B: ") + 3;
        } else {
            b = load(file);
        }
        CHECK(b.p != NULL);
        if (strncmp(note, "PE ", 3) != 0) {
            /* The deliberately broken ones: a clean refusal with a reason. */
            pe_image *img;
            cor_err e = { "" };
            CHECK(pe_image_open_mem(b.p, b.n, PE_LAYOUT_FILE, &img, &e) == COR_FAIL);
            CHECK(e.msg[0] != 0);
            clean_refusals++;
            free(b.p);
            continue;
        }
        pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
        CHECK(img != NULL);
        if (!img) {
            fprintf(stderr, "%s: did not open\n", file);
            free(b.p);
            continue;
        }
        check_facts(img, file, note);
        /* The same image as the loader maps it must yield the same facts and
         * the same parse results. */
        blob view = loader_view(&b, img);
        pe_image *mimg = open_mem(&view, PE_LAYOUT_MAPPED);
        CHECK(mimg != NULL);
        if (mimg) {
            check_facts(mimg, file, note);
            parser_counts fc, mc;
            count_parsers(img, &fc, file);
            count_parsers(mimg, &mc, file);
            CHECK_EQ_U(fc.exports, mc.exports);
            CHECK_EQ_U(fc.dlls, mc.dlls);
            CHECK_EQ_U(fc.fns, mc.fns);
            CHECK_EQ_U(fc.pdata, mc.pdata);
            CHECK_EQ_U(fc.vstrings, mc.vstrings);
            CHECK_EQ_U(fc.ncv, mc.ncv);
            CHECK(fc.has_version == mc.has_version);
            CHECK(fc.has_clr == mc.has_clr);
            CHECK_STR(fc.clr_version, mc.clr_version);
            pe_image_close(mimg);
        }
        pe_image_close(img);
        free(view.p);
        free(b.p);
    }
    fclose(f);
    CHECK(rows >= 21);
    CHECK(clean_refusals >= 1);
}

/* ---- exports ---- */

static void test_exports(void)
{
    cor_err e;
    blob b = load(BASIC64);
    pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
    pe_exports *ex = NULL;
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_OK);
    if (ex) {
        CHECK_EQ_U(ex->count, 10);
        CHECK_STR(ex->dll_name, "basic64.dll");
        CHECK_EQ_U(ex->ordinal_base, 1);
        const pe_export *x = pe_export_by_ordinal(ex, 1);
        CHECK(x && x->rva == 0x35EE);
        CHECK_STR(x ? x->name : NULL, "??0A@@QEAA@$$QEAV0@@Z");
        x = pe_export_by_name(ex, "?meth1@A@@QEAAXH@Z");
        CHECK(x && x->ordinal == 5 && x->rva == 0x339B && !x->forwarder);
        x = pe_export_by_ordinal(ex, 7);
        CHECK_STR(x ? x->name : NULL, "?meth2@A@@IEAAAEAV1@N@Z");
        CHECK(x && x->rva == 0x3977);
        CHECK(pe_export_by_ordinal(ex, 11) == NULL);
        CHECK(pe_export_by_ordinal(ex, 0) == NULL);
        CHECK(pe_export_by_name(ex, "meth1") == NULL);
        /* Nearest: inside ?meth1@A@@QEAAXH@Z (0x339B; the next is 0x35EE). */
        x = pe_export_nearest(ex, 0x339B + 0x40);
        CHECK(x && x->ordinal == 5);
        CHECK(pe_export_nearest(ex, 0x1000) == NULL);
    }
    pe_exports_free(ex);
    pe_image_close(img);
    free(b.p);

    b = load(BASIC32);
    img = open_mem(&b, PE_LAYOUT_FILE);
    ex = NULL;
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_OK);
    if (ex) {
        CHECK_EQ_U(ex->count, 10);
        const pe_export *x = pe_export_by_name(ex, "?meth1@A@@QAEXH@Z");
        CHECK(x && x->ordinal == 5 && x->rva == 0x13E8);
        x = pe_export_by_ordinal(ex, 2);
        CHECK_STR(x ? x->name : NULL, "??0A@@QAE@XZ");
    }
    pe_exports_free(ex);
    pe_image_close(img);
    free(b.p);

    /* user32: ordinal base 1500, forwarders, exports by ordinal only. */
    b = load(USER32);
    img = open_mem(&b, PE_LAYOUT_FILE);
    ex = NULL;
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_OK);
    if (ex) {
        CHECK_STR(ex->dll_name, "USER32.dll");
        CHECK_EQ_U(ex->ordinal_base, 1500);
        CHECK_EQ_U(ex->count, 846); /* 830 names + 16 unnamed; 157 empty slots */
        const pe_export *x = pe_export_by_name(ex, "DefDlgProcA");
        CHECK(x && x->ordinal == 1657);
        CHECK_STR(x ? x->forwarder : NULL, "NTDLL.NtdllDialogWndProc_A");
        x = pe_export_by_name(ex, "MessageBoxW");
        CHECK(x && x->ordinal == 2050 && x->rva == 0x711E4 && !x->forwarder);
        x = pe_export_by_ordinal(ex, 1500);
        CHECK(x && !x->name && x->rva == 0x2B930);
        x = pe_export_nearest(ex, 0x711E4 + 2);
        CHECK(x && !x->forwarder && x->rva <= 0x711E4 + 2);
        size_t fwd = 0;
        for (size_t i = 0; i < ex->count; i++) fwd += ex->entries[i].forwarder != NULL;
        CHECK(fwd >= 4);
    }
    pe_exports_free(ex);
    pe_image_close(img);
    free(b.p);

    /* coreclr.dll: a real runtime's export table (ordinal base 2). */
    blob c = coreclr();
    if (c.n) {
        img = open_mem(&c, PE_LAYOUT_FILE);
        ex = NULL;
        CHECK(img && pe_exports_read(img, &ex, &e) == COR_OK);
        if (ex) {
            CHECK_EQ_U(ex->count, 11);
            CHECK_STR(ex->dll_name, "coreclr.dll");
            const pe_export *x = pe_export_by_name(ex, "GetCLRRuntimeHost");
            CHECK(x && x->ordinal == 3 && x->rva == 0x1F3F50);
            x = pe_export_by_name(ex, "g_CLREngineMetrics");
            CHECK(x && x->ordinal == 2 && x->rva == 0x4E6960);
            CHECK(pe_export_by_name(ex, "coreclr_initialize") != NULL);
        }
        pe_exports_free(ex);
        pe_image_close(img);
    }

    /* No export directory: an empty list, not an error. */
    b = load(PE_ONLY);
    img = open_mem(&b, PE_LAYOUT_FILE);
    ex = NULL;
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_OK);
    CHECK(ex && ex->count == 0 && ex->dll_name == NULL);
    CHECK(ex && pe_export_by_name(ex, "x") == NULL && pe_export_nearest(ex, 0x1000) == NULL);
    pe_exports_free(ex);
    pe_image_close(img);
    free(b.p);
}

/* ---- imports ---- */

static void test_imports(void)
{
    cor_err e;
    blob b = load(PE_ONLY);
    pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
    pe_imports *im = NULL;
    CHECK(img && pe_imports_read(img, &im, &e) == COR_OK);
    if (im) {
        CHECK_EQ_U(im->count, 3);
        CHECK_STR(im->dlls[0].name, "VCRUNTIME140D.dll");
        CHECK_STR(im->dlls[1].name, "ucrtbased.dll");
        CHECK_STR(im->dlls[2].name, "KERNEL32.dll");
        CHECK_EQ_U(im->dlls[0].count, 6);
        CHECK_EQ_U(im->dlls[1].count, 22);
        CHECK_EQ_U(im->dlls[2].count, 26);
        const pe_import_fn *fn = &im->dlls[0].fns[0];
        CHECK_STR(fn->name, "__C_specific_handler");
        CHECK(fn->hint == 8 && fn->iat_rva == 0xE150 && !fn->by_ordinal);
        CHECK_EQ_U(im->dlls[0].fns[1].iat_rva, 0xE158);
        const pe_import_dll *k32 = pe_import_dll_by_name(im, "kernel32.DLL");
        CHECK(k32 == &im->dlls[2]);
        bool found = false;
        for (size_t i = 0; k32 && i < k32->count; i++)
            if (k32->fns[i].name && strcmp(k32->fns[i].name, "RtlLookupFunctionEntry") == 0)
                found = k32->fns[i].hint == 1242;
        CHECK(found);
        CHECK(pe_import_dll_by_name(im, "user32.dll") == NULL);
        CHECK(!im->dlls[0].delayed && !im->dlls[0].names_lost);
    }
    pe_imports_free(im);

    /* In memory the IAT holds addresses: without the INT, names are lost
     * for that DLL but the others still read. */
    blob view = loader_view(&b, img);
    pe_data_dir idir = pe_image_dir(img, PE_DIR_IMPORT);
    memset(view.p + idir.rva, 0, 4); /* first descriptor's OriginalFirstThunk */
    pe_image *mimg = open_mem(&view, PE_LAYOUT_MAPPED);
    im = NULL;
    CHECK(mimg && pe_imports_read(mimg, &im, &e) == COR_OK);
    if (im) {
        CHECK_EQ_U(im->count, 3);
        CHECK(im->dlls[0].names_lost && im->dlls[0].count == 0);
        CHECK_STR(im->dlls[0].name, "VCRUNTIME140D.dll");
        CHECK(!im->dlls[1].names_lost && im->dlls[1].count == 22);
    }
    pe_imports_free(im);
    pe_image_close(mimg);

    /* A name table that breaks off (its page was not captured): that DLL
     * is kept, marked incomplete, and the others are whole. The INT of
     * ucrtbased.dll is at 0xE538 (objdump -p). */
    memcpy(view.p + idir.rva, b.p + 0xB308, 4); /* restore the descriptor */
    blob cut = { view.p, 0xE538 + 8 * 3 };
    mimg = NULL;
    pe_source src = { blob_read, &cut, PE_LAYOUT_MAPPED };
    /* The headers say SizeOfImage 0x12000, but the source ends early. */
    CHECK(pe_image_open(&src, &mimg, &e) == COR_OK);
    im = NULL;
    CHECK(mimg && pe_imports_read(mimg, &im, &e) == COR_OK);
    if (im) {
        /* The DLL names lie past the cut too: present, unnamed. */
        CHECK_EQ_U(im->count, 3);
        CHECK(im->count == 3 && im->dlls[1].incomplete && im->dlls[1].count == 3 && !im->dlls[1].name);
        CHECK(im->count == 3 && !im->dlls[0].incomplete && im->dlls[0].count == 6);
        CHECK(im->count == 3 && !im->dlls[2].incomplete && im->dlls[2].count == 26);
        CHECK(im->unreadable > 0);
    }
    pe_imports_free(im);
    pe_image_close(mimg);
    free(view.p);
    pe_image_close(img);
    free(b.p);

    /* PE32: 4-byte thunks. */
    b = load(SIMPLEPDB);
    img = open_mem(&b, PE_LAYOUT_FILE);
    im = NULL;
    CHECK(img && pe_imports_read(img, &im, &e) == COR_OK);
    if (im) {
        const pe_import_dll *d = pe_import_dll_by_name(im, "KERNEL32.dll");
        CHECK(d && d->count == 8);
        CHECK(d && d->fns[0].iat_rva == 0x2000 && d->fns[1].iat_rva == 0x2004);
        CHECK_STR(d ? d->fns[0].name : NULL, "GetSystemTimeAsFileTime");
        CHECK(d && d->fns[0].hint == 726);
        d = pe_import_dll_by_name(im, "MSVCR120.dll");
        CHECK(d && d->count == 28);
    }
    pe_imports_free(im);
    pe_image_close(img);
    free(b.p);

    /* Delay-load imports (user32, coreclr). */
    b = load(USER32);
    img = open_mem(&b, PE_LAYOUT_FILE);
    im = NULL;
    CHECK(img && pe_imports_read(img, &im, &e) == COR_OK);
    if (im) {
        CHECK_EQ_U(im->count, 8);
        const pe_import_dll *d = pe_import_dll_by_name(im, "ADVAPI32.dll");
        CHECK(d && d->delayed && d->count == 7);
        d = pe_import_dll_by_name(im, "ntdll.dll");
        CHECK(d && !d->delayed && d->count == 90);
    }
    pe_imports_free(im);
    pe_image_close(img);
    free(b.p);

    blob c = coreclr();
    if (c.n) {
        img = open_mem(&c, PE_LAYOUT_FILE);
        im = NULL;
        CHECK(img && pe_imports_read(img, &im, &e) == COR_OK);
        if (im) {
            CHECK_EQ_U(im->count, 21);
            const pe_import_dll *d = pe_import_dll_by_name(im, "api-ms-win-core-winrt-l1-1-0.dll");
            CHECK(d && d->delayed && d->count == 3);
            d = pe_import_dll_by_name(im, "KERNEL32.dll");
            CHECK(d && !d->delayed && d->count == 160);
        }
        pe_imports_free(im);
        pe_image_close(img);
    }
}

/* ---- version resources ---- */

static void check_version_strings(const char *rel, const pe_version_info *vi, const char *const *kv)
{
    for (; kv[0]; kv += 2) {
        const char *v = pe_version_string_get(vi, kv[0]);
        if (!v || strcmp(v, kv[1]) != 0) fprintf(stderr, "%s: %s\n", rel, kv[0]);
        CHECK_STR(v, kv[1]);
    }
}

static pe_version_info *version_of(const blob *b, int layout)
{
    pe_image *img = open_mem(b, layout);
    pe_version_info *vi = NULL;
    cor_err e;
    CHECK(img && pe_version_read(img, &vi, &e) == COR_OK);
    pe_image_close(img);
    return vi;
}

static void test_version(void)
{
    blob b = load(HELLO);
    pe_version_info *vi = version_of(&b, PE_LAYOUT_FILE);
    CHECK(vi != NULL);
    if (vi) {
        static const char *const kv[] = {
            "CompanyName", "HP Inc.", "FileDescription", "HelloWorld", "FileVersion", "1.0.0.0",
            "InternalName", "HelloWorld.exe", "OriginalFilename", "HelloWorld.exe", "ProductName", "HelloWorld",
            "ProductVersion", "1.0.0.0", "LegalCopyright", "Copyright \xC2\xA9 HP Inc. 2016", "Comments", "",
            "Assembly Version", "1.0.0.0", NULL,
        };
        check_version_strings(HELLO, vi, kv);
        CHECK(vi->has_fixed);
        CHECK_EQ_U(vi->fixed.signature, 0xFEEF04BD);
        CHECK_EQ_U(vi->fixed.file_ms, 0x00010000);
        CHECK_EQ_U(vi->fixed.file_ls, 0);
        CHECK_EQ_U(vi->fixed.product_ms, 0x00010000);
        CHECK_EQ_U(vi->ntranslations, 1);
        CHECK_EQ_U(vi->ntranslations ? vi->translations[0] : 0, 0x000004B0);
        CHECK_STR(vi->nstrings ? vi->strings[0].table : NULL, "000004b0");
        CHECK(pe_version_string_get(vi, "NoSuchKey") == NULL);
    }
    pe_version_free(vi);
    free(b.p);

    b = load(USER32);
    vi = version_of(&b, PE_LAYOUT_FILE);
    CHECK(vi != NULL);
    if (vi) {
        static const char *const kv[] = {
            "CompanyName", "Microsoft Corporation", "FileDescription", "Multi-User Windows USER API Client DLL",
            "FileVersion", "6.1.7600.16385 (win7_rtm.090713-1255)", "ProductVersion", "6.1.7600.16385",
            "OriginalFilename", "user32", "InternalName", "user32", NULL,
        };
        check_version_strings(USER32, vi, kv);
        char buf[48];
        CHECK_STR(md_version_str(vi->fixed.file_ms, vi->fixed.file_ls, buf), "6.1.7600.16385");
        CHECK_EQ_U(vi->ntranslations ? vi->translations[0] : 0, 0x040904B0);
    }
    pe_version_free(vi);
    free(b.p);

    b = load(MOZWER);
    vi = version_of(&b, PE_LAYOUT_FILE);
    if (vi) {
        /* An empty value is present and empty, not missing. */
        static const char *const kv[] = {
            "CompanyName", "Mozilla Foundation", "FileDescription", "", "FileVersion", "86.0a1 Debug",
            "OriginalFilename", "mozwer.dll", "BuildID", "20201217151850", NULL,
        };
        check_version_strings(MOZWER, vi, kv);
    }
    CHECK(vi != NULL);
    pe_version_free(vi);
    free(b.p);

    b = load(BUGSPLAT);
    vi = version_of(&b, PE_LAYOUT_FILE);
    if (vi) {
        static const char *const kv[] = {
            "CompanyName", "BugSplat", "FileVersion", "5, 1, 4, 0", "OriginalFilename", "BugSplatNative.dll",
            "FileDescription", "Windows native crash reporting", NULL,
        };
        check_version_strings(BUGSPLAT, vi, kv);
        char buf[48];
        CHECK_STR(md_version_str(vi->fixed.product_ms, vi->fixed.product_ls, buf), "5.1.4.0");
    }
    CHECK(vi != NULL);
    pe_version_free(vi);
    free(b.p);

    blob c = coreclr();
    if (c.n) {
        vi = version_of(&c, PE_LAYOUT_FILE);
        CHECK(vi != NULL);
        if (vi) {
            static const char *const kv[] = {
                "CompanyName", "Microsoft Corporation", "FileDescription", "Microsoft .NET Runtime",
                "InternalName", "CoreCLR.dll", "OriginalFilename", "CoreCLR.dll",
                "FileVersion",
                "4.6.25505.0 built by: mikem-MIKEMWORK. Commit Hash: 87d3042f2525a95b1e6a8b11d96f09b6b9718c4b",
                "ProductVersion",
                "4.6.25505.0 built by: mikem-MIKEMWORK. Commit Hash: 87d3042f2525a95b1e6a8b11d96f09b6b9718c4b",
                "Comments", "Flavor=Retail", NULL,
            };
            check_version_strings("coreclr.dll", vi, kv);
            char buf[48];
            CHECK_STR(md_version_str(vi->fixed.file_ms, vi->fixed.file_ls, buf), "4.6.25505.0");
        }
        pe_version_free(vi);
    }

    /* No version resource. */
    b = load(BASIC64);
    vi = version_of(&b, PE_LAYOUT_FILE);
    CHECK(vi == NULL);
    free(b.p);

    /* Raw VS_VERSIONINFO bytes that are not one. */
    const uint8_t junk[] = { 8, 0, 0, 0, 0, 0, 'X', 0 };
    cor_err e = { "" };
    CHECK(pe_version_parse(junk, sizeof junk, &vi, &e) == COR_FAIL && e.msg[0]);
    CHECK(pe_version_parse(junk, 3, &vi, &e) == COR_FAIL);
}

/* ---- .pdata ---- */

static void test_pdata(void)
{
    cor_err e;
    blob c = coreclr();
    if (c.n) {
        pe_image *img = open_mem(&c, PE_LAYOUT_FILE);
        pe_pdata *pd = NULL;
        CHECK(img && pe_pdata_read(img, &pd, &e) == COR_OK);
        if (pd) {
            CHECK_EQ_U(pd->count, 0x3270C / 12);
            /* The first function, 0x18E0-0x18FD (llvm-readobj --unwind). */
            const pe_runtime_function *f = pe_pdata_lookup(pd, 0x18F0);
            CHECK(f && f->begin == 0x18E0 && f->end == 0x18FD && f->unwind == 0x49B054);
            CHECK(pe_pdata_lookup(pd, 0x18E0) == f);
            CHECK(pe_pdata_lookup(pd, 0x18FC) == f);
            /* Between functions and before the first. */
            CHECK(pe_pdata_lookup(pd, 0x18FD) == NULL);
            CHECK(pe_pdata_lookup(pd, 0x1900) == NULL);
            CHECK(pe_pdata_lookup(pd, 0x1000) == NULL);
            f = pe_pdata_lookup(pd, 0x1950);
            CHECK(f && f->begin == 0x1950 && f->end == 0x1969);
            /* GetCLRRuntimeHost (export RVA 0x1F3F50) is a leaf that only
             * tail-calls: no entry. The function after it has one. */
            CHECK(pe_pdata_lookup(pd, 0x1F3F50 + 4) == NULL);
            f = pe_pdata_lookup(pd, 0x1F3F60 + 42);
            CHECK(f && f->begin == 0x1F3F60 && f->end == 0x1F3F8B);
            CHECK(pe_pdata_lookup(pd, 0x500000) == NULL);
            bool sorted = true;
            for (size_t i = 1; i < pd->count; i++) sorted &= pd->fns[i - 1].begin <= pd->fns[i].begin;
            CHECK(sorted);
        }
        pe_pdata_free(pd);
        pe_image_close(img);
    }

    /* ARM64: 8-byte entries, lengths from .xdata (Flag 0) or packed. */
    blob b = load(ARM64EXE);
    pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
    pe_pdata *pd = NULL;
    CHECK(img && pe_pdata_read(img, &pd, &e) == COR_OK);
    if (pd) {
        CHECK_EQ_U(pd->machine, PE_MACHINE_ARM64);
        CHECK_EQ_U(pd->count, 709);
        const pe_runtime_function *f = pe_pdata_lookup(pd, 0x1000 + 20);
        CHECK(f && f->begin == 0x1000 && f->end == 0x1018 && (f->unwind & 3) == 0 && !f->end_guessed);
        CHECK(pe_pdata_lookup(pd, 0x1018) == NULL);
        f = pe_pdata_lookup(pd, 0x1030);
        CHECK(f && f->begin == 0x1020 && f->end == 0x104C);
        /* A packed entry: 0x1500, 64 bytes. */
        f = pe_pdata_lookup(pd, 0x1500 + 60);
        CHECK(f && f->begin == 0x1500 && f->end == 0x1540 && (f->unwind & 3) == 1);
    }
    pe_pdata_free(pd);
    pe_image_close(img);
    free(b.p);

    /* x86 has no .pdata: an empty table, lookups find nothing. */
    b = load(BASIC32);
    img = open_mem(&b, PE_LAYOUT_FILE);
    pd = NULL;
    CHECK(img && pe_pdata_read(img, &pd, &e) == COR_OK);
    CHECK(pd && pd->count == 0 && pe_pdata_lookup(pd, 0x1000) == NULL);
    pe_pdata_free(pd);
    pe_image_close(img);
    free(b.p);

    /* ReadyToRun for Linux: machine 0xFD1D is AMD64 underneath. */
    b = load(STACKTRACE);
    img = open_mem(&b, PE_LAYOUT_FILE);
    pd = NULL;
    CHECK(img && pe_pdata_read(img, &pd, &e) == COR_OK);
    if (pd) {
        CHECK_EQ_U(pd->machine, PE_MACHINE_AMD64);
        CHECK_EQ_U(pd->count, 32);
        const pe_runtime_function *f = pe_pdata_lookup(pd, 0x23940);
        CHECK(f && f->begin == 0x23930 && f->end == 0x23960);
    }
    pe_pdata_free(pd);
    pe_image_close(img);
    free(b.p);
}

/* ---- CLR header ---- */

static void test_clr(void)
{
    cor_err e;
    blob b = load(HELLO);
    pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
    pe_clr *clr = NULL;
    CHECK(img && pe_clr_read(img, &clr, &e) == COR_OK);
    CHECK(clr != NULL);
    if (clr) {
        CHECK_EQ_U(clr->cb, 72);
        CHECK(clr->runtime_major == 2 && clr->runtime_minor == 5);
        CHECK_EQ_U(clr->flags, PE_CLR_ILONLY | PE_CLR_32BITREQUIRED | PE_CLR_32BITPREFERRED);
        CHECK_EQ_U(clr->entry_point, 0x06000001); /* MethodDef token 1: Main */
        CHECK(clr->metadata.rva == 0x205C && clr->metadata.size == 0x5AC);
        CHECK_STR(clr->version, "v4.0.30319");
        CHECK(clr->md_major == 1 && clr->md_minor == 1);
        CHECK_EQ_U(clr->nstreams, 5);
        const pe_clr_stream *s = pe_clr_stream_by_name(clr, "#~");
        CHECK(s && s->offset == 0x6C && s->size == 0x1C0);
        s = pe_clr_stream_by_name(clr, "#GUID");
        CHECK(s && s->size == 0x10);
        CHECK(pe_clr_stream_by_name(clr, "#Strings") && pe_clr_stream_by_name(clr, "#US") &&
              pe_clr_stream_by_name(clr, "#Blob"));
        CHECK(clr->managed_native.rva == 0);
    }
    pe_clr_free(clr);
    pe_image_close(img);
    free(b.p);

    /* ReadyToRun: a managed-native header and the OS-masked machine. */
    b = load(STACKTRACE);
    img = open_mem(&b, PE_LAYOUT_FILE);
    clr = NULL;
    CHECK(img && pe_clr_read(img, &clr, &e) == COR_OK);
    if (clr) {
        CHECK_STR(clr->version, "v4.0.30319");
        CHECK(clr->managed_native.rva != 0);
        CHECK(clr->flags & PE_CLR_IL_LIBRARY);
    }
    CHECK(clr != NULL);
    pe_clr_free(clr);
    const char *os = NULL;
    CHECK_EQ_U(pe_native_machine(pe_image_headers(img)->machine, &os), PE_MACHINE_AMD64);
    CHECK_STR(os, "Linux");
    CHECK_EQ_U(pe_native_machine(PE_MACHINE_I386, &os), PE_MACHINE_I386);
    CHECK(os == NULL);
    pe_image_close(img);
    free(b.p);

    /* A native image has none. */
    blob c = coreclr();
    if (c.n) {
        img = open_mem(&c, PE_LAYOUT_FILE);
        clr = (pe_clr *)1;
        CHECK(img && pe_clr_read(img, &clr, &e) == COR_OK && clr == NULL);
        pe_image_close(img);
    }
}

/* ---- headers, sections, RVA translation, the path source ---- */


static void test_image(void)
{
    cor_err e;
    pe_image *img = NULL;
    CHECK(pe_image_open_path(corpus_path(BASIC64), &img, &e) == COR_OK);
    if (img) {
        const pe_headers *h = pe_image_headers(img);
        CHECK_EQ_U(h->image_base, 0x180000000ull);
        CHECK_EQ_U(h->magic, PE_MAGIC_PE32PLUS);
        CHECK_EQ_U(pe_section_count(img), 7);
        CHECK_STR(pe_section_at(img, 0)->name, ".text");
        CHECK(pe_section_at(img, 7) == NULL);
        const pe_section *s = pe_section_by_rva(img, 0x84010);
        CHECK_STR(s ? s->name : NULL, ".pdata");
        CHECK(pe_section_by_rva(img, 0x500) == NULL);
        uint64_t off;
        CHECK(pe_rva_to_offset(img, 0x84010, &off) == COR_OK && off == 0x7F610);
        CHECK(pe_rva_to_offset(img, 0x10, &off) == COR_OK && off == 0x10);
        /* .data: 0x30A1 virtual bytes, 0x1200 raw. Its tail reads as zeros
         * but has no file offset. */
        CHECK(pe_rva_to_offset(img, 0x80000 + 0x1300, &off) == COR_FAIL);
        uint8_t z[16], want[16] = { 0 };
        CHECK(pe_read(img, 0x80000 + 0x1300, z, sizeof z, &e) == COR_OK && memcmp(z, want, 16) == 0);
        /* A read spanning raw bytes and zero fill. */
        uint8_t span[32];
        CHECK(pe_read(img, 0x80000 + 0x1200 - 16, span, sizeof span, &e) == COR_OK);
        CHECK(memcmp(span + 16, want, 16) == 0);
        CHECK(pe_read(img, h->size_of_image - 4, z, 8, &e) == COR_FAIL && strstr(e.msg, "SizeOfImage"));
        uint16_t mz;
        CHECK(pe_read_u16(img, 0, &mz) == COR_OK && mz == 0x5A4D);
        char *s2 = pe_read_cstr(img, 0x4E, 64); /* "This program cannot be run in DOS mode." */
        CHECK(s2 && strncmp(s2, "This program cannot be run in DOS mode", 38) == 0);
        free(s2);
        pe_image_close(img);
    }
    CHECK(pe_image_open_path(tmp_path("does-not-exist.dll"), &img, &e) == COR_FAIL && strstr(e.msg, "cannot open"));

    /* A caller-supplied source. */
    blob b = load(TESTPDB);
    pe_source src = { blob_read, &b, PE_LAYOUT_FILE };
    img = NULL;
    CHECK(pe_image_open(&src, &img, &e) == COR_OK);
    pe_codeview cv;
    CHECK(img && pe_codeview_read(img, &cv, &e) == COR_OK);
    if (img) {
        char key[48];
        CHECK_STR(pe_codeview_id(&cv, key), "C16A11CA886C4AE8AF7698A42C39DADD1");
        CHECK(!cv.portable);
        pe_codeview_free(&cv);
    }
    pe_image_close(img);
    free(b.p);
}

/* ---- image files as a fallback for dump memory ---- */

/* Reads [addr, addr+n) through the fallback, as as_read would. */
static bool fallback_read(pe_files *pf, uint64_t addr, uint8_t *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t avail;
        const uint8_t *p = pe_files_fallback(pf, addr + done, &avail);
        if (!p || !avail) return false;
        size_t k = avail < n - done ? avail : n - done;
        memcpy(buf + done, p, k);
        done += k;
    }
    return true;
}

typedef struct fb_src {
    pe_files *pf;
    uint64_t base;
} fb_src;

static int fallback_source(void *ctx, uint64_t off, void *buf, size_t n)
{
    const fb_src *s = ctx;
    return fallback_read(s->pf, s->base + off, buf, n) ? COR_OK : COR_FAIL;
}

typedef struct reloc_expect {
    blob *view;
    uint32_t delta;
    size_t n;
} reloc_expect;

static int expect_reloc(void *ctx, uint32_t rva, unsigned type, uint16_t param)
{
    reloc_expect *r = ctx;
    (void)param;
    if (type != PE_REL_HIGHLOW || (uint64_t)rva + 4 > r->view->n) return COR_OK;
    uint32_t v = le32(r->view->p + rva) + r->delta;
    for (int i = 0; i < 4; i++) r->view->p[rva + i] = (uint8_t)(v >> (8 * i));
    r->n++;
    return COR_OK;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = s ? strlen(s) : 0, b = strlen(tail);
    return s && a >= b && strcmp(s + a - b, tail) == 0;
}

static void test_files(void)
{
    cor_err e;
    blob pe_only = load(PE_ONLY), bugsplat = load(BUGSPLAT), basic64 = load(BASIC64);
    CHECK(pe_only.n && bugsplat.n && basic64.n);
    const char *subdirs[] = { "empty", "decoy", "flat", "store", "store/BugSplat.dll", "store/BugSplat.dll/64FB82ED7a000" };
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) CHECK(mkdir(tmp_path(subdirs[i]), 0755) == 0);
    /* A file with the right name but another build comes first. */
    CHECK(write_file(tmp_path("decoy/pe_only_symbol_test.dll"), &basic64));
    CHECK(write_file(tmp_path("flat/PE_ONLY_SYMBOL_TEST.DLL"), &pe_only));
    CHECK(write_file(tmp_path("store/BugSplat.dll/64FB82ED7a000/BugSplat.DLL"), &bugsplat));
    char image_path[4096];
    const char *dir = tmp_root;
    snprintf(image_path, sizeof image_path, "%s/empty; %s/decoy ;;%s/flat;srv*%s/store*https://msdl.microsoft.com/download/symbols",
             dir, dir, dir, dir);

    char *f = pe_files_find(image_path, "pe_only_symbol_test.dll", 0x5C8AD05F, 0x12000, &e);
    CHECK(ends_with(f, "/flat/PE_ONLY_SYMBOL_TEST.DLL"));
    free(f);
    f = pe_files_find(image_path, "bugsplat.dll", 0x64FB82ED, 0x7A000, &e);
    CHECK(ends_with(f, "/store/BugSplat.dll/64FB82ED7a000/BugSplat.DLL"));
    free(f);
    f = pe_files_find(image_path, "basic64.dll", 0x5DDC1E99, 0x8C000, &e);
    CHECK(f == NULL && strstr(e.msg, "not found"));
    free(f);
    /* The wrong size everywhere: the message says what was found. */
    f = pe_files_find(image_path, "pe_only_symbol_test.dll", 0x5C8AD05F, 0x13000, &e);
    CHECK(f == NULL && strstr(e.msg, "decoy") && strstr(e.msg, "0x5ddc1e99") && strstr(e.msg, "SizeOfImage 0x12000"));
    free(f);
    f = pe_files_find(image_path, "..", 1, 2, &e);
    CHECK(f == NULL && strstr(e.msg, "not a file name"));
    free(f);

    /* pe_only at its preferred base (no relocation); bugsplat, an x86 DLL
     * with 6158 HIGHLOW relocations, rebased from 0x10000000 to 0x5000000. */
    md_module mods[3] = {
        { .base = 0x180000000ull, .size = 0x12000, .timestamp = 0x5C8AD05F,
          .path = "C:\\x\\pe_only_symbol_test.dll", .name = "pe_only_symbol_test.dll" },
        { .base = 0x5000000, .size = 0x7A000, .timestamp = 0x64FB82ED, .path = "C:\\y\\bugsplat.dll", .name = NULL },
        { .base = 0x7000000, .size = 0x1000, .timestamp = 1, .path = "missing.dll", .name = "missing.dll" },
    };
    pe_files *pf = NULL;
    CHECK(pe_files_new_modules(mods, 3, image_path, &pf, &e) == COR_OK);
    if (!pf) return;

    /* Every byte of pe_only, through the fallback, equals the loader's view
     * built here from the section table. */
    pe_image *img = open_mem(&pe_only, PE_LAYOUT_FILE);
    blob want = loader_view(&pe_only, img);
    uint8_t *got = malloc(want.n);
    CHECK(fallback_read(pf, mods[0].base, got, want.n));
    CHECK(memcmp(got, want.p, want.n) == 0);
    /* Spot checks at section starts and just past raw data (zero fill). */
    for (size_t i = 0; i < pe_section_count(img); i++) {
        const pe_section *s = pe_section_at(img, i);
        size_t avail = 0;
        const uint8_t *p = pe_files_fallback(pf, mods[0].base + s->virtual_address, &avail);
        CHECK(p && avail > 0 && p[0] == pe_only.p[s->raw_ptr]);
        if (s->virtual_size > s->raw_size) {
            p = pe_files_fallback(pf, mods[0].base + s->virtual_address + s->raw_size, &avail);
            CHECK(p && avail > 0 && p[0] == 0);
        }
    }
    /* The DOS stub, at the image's base. */
    size_t avail = 0;
    const uint8_t *p = pe_files_fallback(pf, mods[0].base, &avail);
    CHECK(p && avail >= 64 && memcmp(p, pe_only.p, 64) == 0);
    free(got);
    free(want.p);
    pe_image_close(img);

    /* bugsplat, relocated: equal to the loader's view plus the delta at
     * each HIGHLOW site, and the header records the new base. */
    img = open_mem(&bugsplat, PE_LAYOUT_FILE);
    want = loader_view(&bugsplat, img);
    reloc_expect rx = { &want, (uint32_t)(0x5000000 - 0x10000000), 0 };
    CHECK(pe_relocs_walk(img, expect_reloc, &rx, &e) == COR_OK);
    CHECK_EQ_U(rx.n, 6158);
    const pe_headers *h = pe_image_headers(img);
    for (int i = 0; i < 4; i++) want.p[h->e_lfanew + 24 + 28 + i] = (uint8_t)(0x5000000 >> (8 * i));
    got = malloc(want.n);
    CHECK(fallback_read(pf, mods[1].base, got, want.n));
    CHECK(memcmp(got, want.p, want.n) == 0);
    uint32_t site = 0;
    CHECK(fallback_read(pf, mods[1].base + 0x1001, (uint8_t *)&site, 4));
    CHECK_EQ_U(le32((uint8_t *)&site), 0x1006FFDCu - 0x0B000000u);
    free(got);
    free(want.p);
    pe_image_close(img);

    /* What an installed fallback is for: parsing the module as mapped. */
    fb_src fs = { pf, mods[1].base };
    pe_source src = { fallback_source, &fs, PE_LAYOUT_MAPPED };
    img = NULL;
    CHECK(pe_image_open(&src, &img, &e) == COR_OK);
    if (img) {
        CHECK_EQ_U(pe_image_headers(img)->image_base, 0x5000000);
        pe_codeview cv;
        CHECK(pe_codeview_read(img, &cv, &e) == COR_OK);
        char g[37];
        CHECK_STR(pe_guid_str(cv.guid, g), "E546B55B-6D21-4E86-871B-40AC35CD0D46");
        pe_codeview_free(&cv);
        pe_exports *ex = NULL;
        CHECK(pe_exports_read(img, &ex, &e) == COR_OK && ex->count == 44);
        pe_exports_free(ex);
        pe_image_close(img);
    }

    /* Misses: no file, outside every module, past a module's end. */
    CHECK(pe_files_fallback(pf, 0x7000000, &avail) == NULL && avail == 0);
    CHECK(pe_files_module_file(pf, 2, &e) == NULL && strstr(e.msg, "missing.dll"));
    CHECK(pe_files_fallback(pf, 0x10, &avail) == NULL);
    CHECK(pe_files_fallback(pf, mods[0].base + 0x12000, &avail) == NULL);
    CHECK(ends_with(pe_files_module_file(pf, 0, &e), "/flat/PE_ONLY_SYMBOL_TEST.DLL"));
    CHECK(pe_files_module_file(pf, 3, &e) == NULL);
    pe_files_free(pf);

    /* Over a real dump's module list, installed in its address space: its
     * images are not on this path, so module pages stay missing. */
    md_dump *d = NULL;
    CHECK(md_open(corpus_path(DUMP), &d, &e) == COR_OK);
    if (d) {
        as_space *as = NULL;
        pf = NULL;
        CHECK(pe_files_new(d, image_path, &pf, &e) == COR_OK);
        CHECK(as_open(d, &as, &e) == COR_OK);
        if (as && pf) {
            as_set_fallback(as, pe_files_fallback, pf);
            const md_module *m = md_module_at(d, 0);
            uint8_t byte;
            CHECK(as_read(as, m->base, &byte, 1, &e) == COR_FAIL);
            CHECK(pe_files_module_file(pf, 0, &e) == NULL && strstr(e.msg, m->name));
        }
        as_close(as);
        pe_files_free(pf);
        md_close(d);
    }
    free(pe_only.p);
    free(bugsplat.p);
    free(basic64.p);
}

/* ---- hostile input ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_truncated_and_flipped(void)
{
    static const char *const files[] = { HELLO, CFI_LOOP, TESTPDB, PE_ONLY, ARM64EXE, CRASHEXC, STACKTRACE, SIMPLEPDB };
    int silent = 0, runs = 0;
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        blob b = load(files[k]);
        CHECK(b.n > 0);
        /* Every cut through the headers, then a spread through the rest;
         * each truncation is a fresh allocation so ASan sees overruns. */
        size_t step = b.n <= 8192 ? 1 : b.n / 1024;
        for (size_t n = 0; n < b.n; n += (n < 1024 ? 1 : step)) {
            uint8_t *t = malloc(n ? n : 1);
            memcpy(t, b.p, n);
            silent += exercise(t, n, PE_LAYOUT_FILE);
            silent += exercise(t, n, PE_LAYOUT_MAPPED);
            runs += 2;
            free(t);
        }
        /* Flipped bytes, biased to the headers and the directories. */
        pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
        blob view = img ? loader_view(&b, img) : (blob){ NULL, 0 };
        pe_image_close(img);
        uint8_t *t = malloc(b.n > view.n ? b.n : view.n);
        for (int it = 0; it < 600; it++) {
            bool mapped = view.n && (it & 1);
            const blob *src = mapped ? &view : &b;
            memcpy(t, src->p, src->n);
            int flips = 1 + rng() % 6;
            for (int j = 0; j < flips; j++) {
                size_t at = (rng() & 1) ? rng() % (src->n < 1024 ? src->n : 1024) : rng() % src->n;
                static const uint8_t interesting[] = { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0x10 };
                t[at] = (rng() & 1) ? (uint8_t)(t[at] ^ (1u << (rng() % 8))) : interesting[rng() % sizeof interesting];
            }
            silent += exercise(t, src->n, mapped ? PE_LAYOUT_MAPPED : PE_LAYOUT_FILE);
            runs++;
        }
        free(t);
        free(view.p);
        free(b.p);
    }
    CHECK_EQ_U(silent, 0);
    CHECK(runs > 10000);
}

/* Hand-made bad fields, each refused with a message naming the problem. */
static void test_hostile_fields(void)
{
    cor_err e;
    blob b = load(BASIC64);
    pe_image *img = open_mem(&b, PE_LAYOUT_FILE);
    CHECK(img != NULL);
    if (!img) return;
    const pe_headers *h0 = pe_image_headers(img);
    uint32_t lfanew = h0->e_lfanew;
    pe_data_dir edir = pe_image_dir(img, PE_DIR_EXPORT);
    uint64_t eoff = 0;
    CHECK(pe_rva_to_offset(img, edir.rva, &eoff) == COR_OK);
    pe_image_close(img);
    uint8_t *t = malloc(b.n);

    /* e_lfanew far past the end. */
    memcpy(t, b.p, b.n);
    memset(t + 0x3C, 0xFF, 4);
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_FAIL && strstr(e.msg, "e_lfanew"));

    /* An optional header too small for PE32+. */
    memcpy(t, b.p, b.n);
    t[lfanew + 20] = 0x40, t[lfanew + 21] = 0;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_FAIL && strstr(e.msg, "SizeOfOptionalHeader"));

    /* Bad optional-header magic. */
    memcpy(t, b.p, b.n);
    t[lfanew + 24] = 0x07;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_FAIL && strstr(e.msg, "magic"));

    /* 65535 sections claimed: the table runs past the file. */
    memcpy(t, b.p, b.n);
    t[lfanew + 6] = 0xFF, t[lfanew + 7] = 0xFF;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_FAIL && strstr(e.msg, "65535 sections"));

    /* Billions of exports claimed. */
    memcpy(t, b.p, b.n);
    memset(t + eoff + 20, 0x7F, 4);
    img = NULL;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_OK);
    pe_exports *ex = NULL;
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_FAIL && strstr(e.msg, "16-bit") && ex == NULL);
    pe_image_close(img);

    /* An exception directory larger than the image. */
    memcpy(t, b.p, b.n);
    memset(t + lfanew + 24 + 112 + 8 * PE_DIR_EXCEPTION + 4, 0xF0, 4);
    img = NULL;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_OK);
    pe_pdata *pd = NULL;
    CHECK(img && pe_pdata_read(img, &pd, &e) == COR_FAIL && strstr(e.msg, "outside SizeOfImage"));
    pe_image_close(img);

    /* A name table pointing outside the image: the export table's names
     * are unreadable, so the read fails and says which table. */
    memcpy(t, b.p, b.n);
    memset(t + eoff + 32, 0xEE, 4);
    img = NULL;
    CHECK(pe_image_open_mem(t, b.n, PE_LAYOUT_FILE, &img, &e) == COR_OK);
    CHECK(img && pe_exports_read(img, &ex, &e) == COR_FAIL && strstr(e.msg, "export name table"));
    pe_image_close(img);

    /* Not a PE at all. */
    const uint8_t tiny[] = "MZ";
    CHECK(pe_image_open_mem(tiny, 2, PE_LAYOUT_FILE, &img, &e) == COR_FAIL && strstr(e.msg, "DOS header"));
    free(t);
    free(b.p);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "%s/test_pe.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_root)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_manifest();
    test_image();
    test_exports();
    test_imports();
    test_version();
    test_pdata();
    test_clr();
    test_files();
    test_hostile_fields();
    test_truncated_and_flipped();
    blob c = coreclr();
    free(c.p);
    nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    TEST_DONE();
}
