/* Symbol path grammar, store keys, file.ptr, and local store lookups on
 * temp directories (flat, two-tier, file.ptr PATH/MSG, a real CAB-compressed
 * PDB from the corpus, hits copied downstream). The HTTP side is tested end
 * to end in tests/symserver. */
#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"
#include "sym/store/cab_expand.h"
#include "sym/store/symkey.h"
#include "sym/store/sympath.h"
#include "sym/store/symstore.h"
#include "test.h"

static sym_path_options test_opts(void)
{
    sym_path_options o;
    memset(&o, 0, sizeof o);
    o.default_store = "/home/u/.coroner/sym";
    o.drive_root = "/drives";
    return o;
}

static sym_path *parse(const char *text)
{
    sym_path_options o = test_opts();
    sym_path *p = NULL;
    cor_err e;
    if (sym_path_parse(text, &o, &p, &e) != COR_OK) fprintf(stderr, "parse: %s\n", e.msg);
    return p;
}

static const char *loc(const sym_path *p, size_t c, size_t s)
{
    if (!p || c >= p->count || s >= p->chains[c].count) return NULL;
    return p->chains[c].stores[s].location;
}

static void test_grammar(void)
{
    sym_path *p = parse("srv*c:\\symcache*https://msdl.microsoft.com/download/symbols");
    CHECK(p && p->count == 1 && p->chains[0].kind == SYM_CHAIN_SERVER && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 0), "/drives/c/symcache");
    CHECK_STR(loc(p, 0, 1), "https://msdl.microsoft.com/download/symbols");
    CHECK(p && p->chains[0].stores[1].kind == SYM_STORE_HTTP);
    CHECK(p && p->nnotes == 1 && strstr(p->notes[0], "/drives/c/symcache"));
    sym_path_free(p);

    /* cache* caches everything to its right, including the srv chain; a UNC
     * path keeps its "//" unless a root is configured. */
    p = parse("cache*c:\\a;srv*\\\\share\\sym");
    CHECK(p && p->count == 1 && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 0), "/drives/c/a");
    CHECK(p && p->chains[0].stores[0].is_cache);
    CHECK_STR(loc(p, 0, 1), "//share/sym");
    sym_path_free(p);

    /* Empty store = default downstream store; keyword case does not matter. */
    p = parse("SRV**https://x/");
    CHECK(p && p->count == 1 && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 0), "/home/u/.coroner/sym");
    CHECK_STR(loc(p, 0, 1), "https://x");
    sym_path_free(p);

    p = parse("symsrv*symsrv.dll*c:\\s*https://y");
    CHECK(p && p->count == 1 && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 0), "/drives/c/s");
    CHECK_STR(loc(p, 0, 1), "https://y");
    sym_path_free(p);

    /* srv*URL alone: symsrv downloads into the default store. */
    p = parse("srv*https://msdl.microsoft.com/download/symbols");
    CHECK(p && p->chains[0].count == 2 && p->chains[0].stores[0].is_cache);
    CHECK_STR(loc(p, 0, 0), "/home/u/.coroner/sym");
    sym_path_free(p);

    /* Trailing '*': the default store upstream of c:\s. */
    p = parse("srv*c:\\s*");
    CHECK(p && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 1), "/home/u/.coroner/sym");
    sym_path_free(p);

    /* Empty elements, spaces, plain directories, POSIX paths. */
    p = parse(" ;;/opt/syms ; C:/Windows/Symbols;;");
    CHECK(p && p->count == 2);
    CHECK(p && p->chains[0].kind == SYM_CHAIN_DIR && p->chains[1].kind == SYM_CHAIN_DIR);
    CHECK_STR(loc(p, 0, 0), "/opt/syms");
    CHECK_STR(loc(p, 1, 0), "/drives/c/Windows/Symbols");
    sym_path_free(p);

    p = parse("");
    CHECK(p && p->count == 0);
    sym_path_free(p);

    /* cache* applies only to the right, and to plain directories too. */
    p = parse("d:\\before;CACHE*/tmp/c;d:\\after;srv*e:\\x");
    CHECK(p && p->count == 3);
    CHECK(p && p->chains[0].count == 1);
    CHECK_STR(loc(p, 1, 0), "/tmp/c");
    CHECK_STR(loc(p, 1, 1), "/drives/d/after");
    CHECK_STR(loc(p, 2, 0), "/tmp/c");
    CHECK_STR(loc(p, 2, 1), "/drives/e/x");
    sym_path_free(p);

    /* "cache*" with no directory = the default store. */
    p = parse("cache*;srv*https://z");
    CHECK(p && p->count == 1 && p->chains[0].count == 2);
    CHECK_STR(loc(p, 0, 0), "/home/u/.coroner/sym");
    sym_path_free(p);

    /* Malformed elements are skipped with a note, the rest survive. */
    p = parse("srv;symsrv*symsrv.dll;foo*bar;srv*/ok");
    CHECK(p && p->count == 1 && p->nnotes == 3);
    CHECK_STR(loc(p, 0, 0), "/ok");
    sym_path_free(p);

    /* More than 10 stores: the extras are dropped with a note. */
    p = parse("srv*/1*/2*/3*/4*/5*/6*/7*/8*/9*/10*/11*/12");
    CHECK(p && p->chains[0].count == 10 && p->nnotes >= 1);
    sym_path_free(p);

    /* A bare URL is read as srv*URL (with a note). */
    p = parse("https://sym.example/s");
    CHECK(p && p->count == 1 && p->chains[0].count == 2 && p->nnotes == 1);
    sym_path_free(p);

    /* Drive mapping overrides and UNC roots. */
    sym_path_options o = test_opts();
    o.drive_map['c' - 'a'] = "/mnt/win";
    o.unc_root = "/mnt/unc";
    char *m = sym_path_map_local(&o, "C:\\sym\\\\cache\\");
    CHECK_STR(m, "/mnt/win/sym/cache");
    free(m);
    m = sym_path_map_local(&o, "\\\\server\\share\\x");
    CHECK_STR(m, "/mnt/unc/server/share/x");
    free(m);
    m = sym_path_map_local(&o, "c:");
    CHECK_STR(m, "/mnt/win");
    free(m);

    char *s = sym_path_symfix(NULL, false, NULL);
    CHECK_STR(s, "srv**https://msdl.microsoft.com/download/symbols");
    free(s);
    s = sym_path_symfix("c:\\a", true, "c:\\cache");
    CHECK_STR(s, "c:\\a;srv*c:\\cache*https://msdl.microsoft.com/download/symbols");
    p = parse(s);
    CHECK(p && p->count == 2 && p->chains[1].count == 2);
    sym_path_free(p);
    free(s);

    sym_path_options env;
    setenv("DBGHELP_HOMEDIR", "/dbg", 1);
    setenv("COR_DRIVE_Q", "/qq", 1);
    sym_path_options_from_env(&env);
    CHECK_STR(env.default_store, "/dbg/sym");
    CHECK_STR(env.drive_map['q' - 'a'], "/qq");
    unsetenv("DBGHELP_HOMEDIR");
    unsetenv("COR_DRIVE_Q");
}

static void test_keys(void)
{
    /* GUID {648B8DD0-780A-4E22-FA7F-A89B84633C23} in file byte order, age 1:
     * the example key from the field notes. */
    const uint8_t g[16] = { 0xD0, 0x8D, 0x8B, 0x64, 0x0A, 0x78, 0x22, 0x4E,
                            0xFA, 0x7F, 0xA8, 0x9B, 0x84, 0x63, 0x3C, 0x23 };
    sym_key k;
    cor_err e;
    CHECK(sym_key_pdb70(&k, "d:\\build\\dcomp.pdb", g, 1, &e) == COR_OK);
    CHECK_STR(k.name, "dcomp.pdb");
    CHECK_STR(k.index, "648B8DD0780A4E22FA7FA89B84633C231");
    CHECK(sym_key_pdb70(&k, "x.pdb", g, 0x2a, &e) == COR_OK);
    CHECK_STR(k.index, "648B8DD0780A4E22FA7FA89B84633C232A");
    CHECK(sym_key_image(&k, "ShowSSEConfig.exe", 0x63E6C7F7, 0x8000, &e) == COR_OK);
    CHECK_STR(k.index, "63E6C7F78000");
    CHECK(sym_key_image(&k, "a.dll", 0x1, 0xABC00, &e) == COR_OK);
    CHECK_STR(k.index, "00000001abc00");
    CHECK(sym_key_pdb20(&k, "old.pdb", 0x3A1B2C3D, 2, &e) == COR_OK);
    CHECK_STR(k.index, "3A1B2C3D2");
    char c[SYM_KEY_NAME_MAX + 1];
    sym_key_compressed_name(&k, c);
    CHECK_STR(c, "old.pd_");
    /* Names that would leave the store are refused. */
    CHECK(sym_key_image(&k, "..", 1, 1, &e) == COR_FAIL);
    CHECK(sym_key_image(&k, "c:\\dir\\", 1, 1, &e) == COR_FAIL);
    CHECK(sym_key_image(&k, "a\nb.dll", 1, 1, &e) == COR_FAIL);
    CHECK(sym_key_image(&k, "x/../../etc/passwd", 1, 1, &e) == COR_OK && strcmp(k.name, "passwd") == 0);
}

static void test_fileptr(void)
{
    sym_fileptr_kind kind;
    char *v;
    cor_err e;
    const char *a = "PATH:C:\\syms\\a.pdb\r\n";
    CHECK(sym_fileptr_parse((const uint8_t *)a, strlen(a), &kind, &v, &e) == COR_OK);
    CHECK(kind == SYM_FILEPTR_PATH);
    CHECK_STR(v, "C:\\syms\\a.pdb");
    free(v);
    const char *b = "MSG:Not available: withheld";
    CHECK(sym_fileptr_parse((const uint8_t *)b, strlen(b), &kind, &v, &e) == COR_OK);
    CHECK(kind == SYM_FILEPTR_MSG);
    CHECK_STR(v, "Not available: withheld");
    free(v);
    const char *c = "\\\\mybuilds\\symbols\\acpi.dbg"; /* bare path, as old stores wrote */
    CHECK(sym_fileptr_parse((const uint8_t *)c, strlen(c), &kind, &v, &e) == COR_OK);
    CHECK(kind == SYM_FILEPTR_PATH);
    CHECK_STR(v, c);
    free(v);
    const char *d = "C:\\x.pdb";
    CHECK(sym_fileptr_parse((const uint8_t *)d, strlen(d), &kind, &v, &e) == COR_OK);
    CHECK_STR(v, "C:\\x.pdb");
    free(v);
    CHECK(sym_fileptr_parse((const uint8_t *)"\r\n", 2, &kind, &v, &e) == COR_FAIL);
    CHECK(sym_fileptr_parse((const uint8_t *)"PATH:", 5, &kind, &v, &e) == COR_FAIL);
    CHECK(sym_fileptr_parse((const uint8_t *)"PATH:a\x01", 7, &kind, &v, &e) == COR_FAIL);

    CHECK(sym_magic_of((const uint8_t *)"MZ\x90", 3) == SYM_MAGIC_MZ);
    CHECK(sym_magic_of((const uint8_t *)"  \n<html>", 9) == SYM_MAGIC_HTML);
    CHECK(sym_magic_fits("a.pdb", SYM_MAGIC_MSF7) && !sym_magic_fits("a.pdb", SYM_MAGIC_MZ));
    CHECK(sym_magic_fits("A.DLL", SYM_MAGIC_MZ) && !sym_magic_fits("a.dll", SYM_MAGIC_HTML));
}

/* --- temp-dir helpers --- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}
static void rm_rf(const char *p) { nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static void mkdirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    mkdir(p, 0777);
}

static void write_file(const char *path, const void *data, size_t n)
{
    char d[4096];
    snprintf(d, sizeof d, "%s", path);
    *strrchr(d, '/') = 0;
    mkdirs(d);
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static const char msf[] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0";

static bool exists(const char *fmt, const char *a, const char *b)
{
    char p[4096];
    snprintf(p, sizeof p, fmt, a, b);
    struct stat st;
    return stat(p, &st) == 0;
}

static symstore *open_store(const char *text, const char *dflt)
{
    sym_path_options o = test_opts();
    o.default_store = dflt;
    sym_path *p;
    cor_err e;
    symstore *s = NULL;
    if (sym_path_parse(text, &o, &p, &e) != COR_OK) return NULL;
    symstore_options so;
    symstore_options_default(&so);
    so.progress = 0;
    so.noisy = getenv("COR_SYM_NOISY") != NULL;
    if (symstore_new(p, &so, &s, &e) != COR_OK) fprintf(stderr, "%s\n", e.msg);
    return s;
}

static void test_local_stores(void)
{
    char root[] = "/tmp/cor-symstore-XXXXXX";
    if (!mkdtemp(root)) {
        CHECK(!"mkdtemp");
        return;
    }
    char p[4096], p2[4096], text[8192];
    cor_err e;
    sym_key k;
    sym_key_image(&k, "Flat.pdb", 0x11112222, 0x3000, &e); /* index 111122223000 */

    /* Flat (one-tier) upstream store; a downstream cache in front of it. */
    snprintf(p, sizeof p, "%s/up/Flat.pdb/111122223000/Flat.pdb", root);
    write_file(p, msf, sizeof msf);
    snprintf(text, sizeof text, "srv*%s/down*%s/up", root, root);
    symstore *s = open_store(text, "/nonexistent");
    char *out = NULL;
    CHECK(s && symstore_find(s, &k, &out, &e) == COR_OK);
    snprintf(p2, sizeof p2, "%s/down/Flat.pdb/111122223000/Flat.pdb", root);
    CHECK_STR(out, p2);
    free(out);
    symstore_free(s);

    /* Three stores: a hit in the last is copied into both on its left, and
     * the leftmost copy is the answer. */
    snprintf(text, sizeof text, "srv*%s/a*%s/b*%s/up", root, root, root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &k, &out, &e) == COR_OK);
    CHECK(out && strstr(out, "/a/Flat.pdb/111122223000/Flat.pdb"));
    CHECK(exists("%s/b/Flat.pdb/111122223000/Flat.pdb", root, ""));
    free(out);
    symstore_free(s);

    /* Two-tier downstream store: index2.txt in its root picks xx/name/... */
    write_file((snprintf(p, sizeof p, "%s/down2/index2.txt", root), p), "x", 1);
    snprintf(text, sizeof text, "srv*%s/down2*%s/up", root, root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &k, &out, &e) == COR_OK);
    CHECK(exists("%s/down2/fl/Flat.pdb/111122223000/Flat.pdb", root, ""));
    free(out);
    /* ... and it is read back from the two-tier layout on its own. */
    symstore_free(s);
    snprintf(text, sizeof text, "srv*%s/down2", root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &k, &out, &e) == COR_OK && strstr(out, "/down2/fl/"));
    free(out);
    symstore_free(s);

    /* file.ptr PATH: (Windows path through the drive mapping) and MSG:. */
    sym_key kp, km;
    sym_key_image(&kp, "ptr.dll", 0xAABBCCDD, 0x1000, &e);
    sym_key_image(&km, "msg.dll", 0xAABBCCDD, 0x1000, &e);
    snprintf(p, sizeof p, "%s/ptrstore/ptr.dll/AABBCCDD1000/file.ptr", root);
    const char ptr[] = "PATH:Q:\\builds\\ptr.dll\r\n";
    write_file(p, ptr, sizeof ptr - 1);
    snprintf(p, sizeof p, "%s/q/builds/ptr.dll", root);
    write_file(p, "MZ\x90\0", 4);
    snprintf(p, sizeof p, "%s/ptrstore/msg.dll/AABBCCDD1000/file.ptr", root);
    const char msg[] = "MSG:withheld by policy";
    write_file(p, msg, sizeof msg - 1);
    {
        sym_path_options o = test_opts();
        char qdir[4096];
        snprintf(qdir, sizeof qdir, "%s/q", root);
        o.drive_map['q' - 'a'] = qdir;
        sym_path *sp;
        snprintf(text, sizeof text, "srv*%s/ptrstore", root);
        CHECK(sym_path_parse(text, &o, &sp, &e) == COR_OK);
        symstore_options so;
        symstore_options_default(&so);
        so.progress = 0;
        CHECK(symstore_new(sp, &so, &s, &e) == COR_OK);
        CHECK(symstore_find(s, &kp, &out, &e) == COR_OK);
        CHECK_STR(out, p2[0] ? (snprintf(p2, sizeof p2, "%s/q/builds/ptr.dll", root), p2) : "");
        free(out);
        out = NULL;
        CHECK(symstore_find(s, &km, &out, &e) == COR_FAIL && !out);
        CHECK(strstr(e.msg, "withheld by policy") != NULL);
        symstore_free(s);
    }

    /* A real CAB-compressed PDB: expanded into the downstream store, MSF
     * magic, exactly the size the cabinet's CFFILE entry records. */
    const char *cab = corpus_path("mozilla__dump_syms/test_data__windows__basic32.pd_");
    FILE *f = fopen(cab, "rb");
    if (f) {
        static uint8_t buf[1 << 21];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        /* CFHEADER.coffFiles at 0x10; CFFILE.cbFile is its first field. */
        uint32_t coff = le32(buf + 0x10), want = n > coff + 4 ? le32(buf + coff) : 0;
        sym_key kc;
        sym_key_image(&kc, "basic32.pdb", 0x12345678, 0x9, &e);
        snprintf(p, sizeof p, "%s/cabstore/basic32.pdb/123456789/basic32.pd_", root);
        write_file(p, buf, n);
        snprintf(text, sizeof text, "srv*%s/cabcache*%s/cabstore", root, root);
        s = open_store(text, "/nonexistent");
        CHECK(s && symstore_find(s, &kc, &out, &e) == COR_OK);
        struct stat st;
        CHECK(out && stat(out, &st) == 0 && (uint64_t)st.st_size == want && want == 6590464);
        FILE *g = out ? fopen(out, "rb") : NULL;
        char head[32] = { 0 };
        if (g) {
            CHECK(fread(head, 1, sizeof head, g) == sizeof head);
            fclose(g);
        }
        CHECK(memcmp(head, msf, 28) == 0);
        free(out);
        symstore_free(s);

        /* A compressed file in the only store: expanded into the default store. */
        char dflt[4096];
        snprintf(dflt, sizeof dflt, "%s/default", root);
        snprintf(text, sizeof text, "srv*%s/cabstore", root);
        s = open_store(text, dflt);
        CHECK(s && symstore_find(s, &kc, &out, &e) == COR_OK && out && strstr(out, "/default/"));
        free(out);
        symstore_free(s);

        /* A damaged cabinet is an error that says so, not a crash. */
        buf[n / 2] ^= 0xFF, buf[n / 2 + 1] ^= 0xFF;
        snprintf(p, sizeof p, "%s/bad.pd_", root);
        write_file(p, buf, n);
        snprintf(p2, sizeof p2, "%s/bad.out", root);
        CHECK(cab_expand_file(p, "basic32.pdb", p2, 0, NULL, &e) == COR_FAIL);
        write_file(p, "MSCF\0\0\0\0garbage", 15);
        CHECK(cab_expand_file(p, "basic32.pdb", p2, 0, NULL, &e) == COR_FAIL);
        CHECK(strstr(e.msg, "bad.pd_") != NULL);
    } else {
        fprintf(stderr, "skipping the CAB checks: %s not found\n", cab);
    }

    /* Plain directory: searched flat; and as a store once it has pingme.txt. */
    sym_key kf;
    sym_key_image(&kf, "plain.dll", 1, 2, &e);
    snprintf(p, sizeof p, "%s/plain/plain.dll", root);
    write_file(p, "MZ", 2);
    snprintf(text, sizeof text, "%s/nothing;%s/plain", root, root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &kf, &out, &e) == COR_OK);
    CHECK_STR(out, p);
    free(out);
    symstore_free(s);

    sym_key_image(&kf, "instore.dll", 1, 2, &e);
    snprintf(p, sizeof p, "%s/plainstore/instore.dll/000000012/instore.dll", root);
    write_file(p, "MZ", 2);
    snprintf(text, sizeof text, "%s/plainstore", root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &kf, &out, &e) == COR_FAIL); /* not a store yet */
    snprintf(p2, sizeof p2, "%s/plainstore/pingme.txt", root);
    write_file(p2, "", 0);
    CHECK(s && symstore_find(s, &kf, &out, &e) == COR_OK);
    CHECK_STR(out, p);
    free(out);
    symstore_free(s);

    /* cache*dir: a hit in a plain directory to its right is copied into it. */
    snprintf(text, sizeof text, "cache*%s/cc;%s/plainstore", root, root);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &kf, &out, &e) == COR_OK);
    CHECK(exists("%s/cc/instore.dll/000000012/instore.dll", root, ""));
    free(out);
    symstore_free(s);

    /* A miss says what it was. */
    sym_key_image(&kf, "nowhere.dll", 1, 2, &e);
    s = open_store(text, "/nonexistent");
    CHECK(s && symstore_find(s, &kf, &out, &e) == COR_FAIL);
    CHECK(strstr(e.msg, "nowhere.dll/000000012/nowhere.dll: not found in 2 stores") != NULL);
    symstore_free(s);

    rm_rf(root);
}

int main(void)
{
    test_grammar();
    test_keys();
    test_fileptr();
    test_local_stores();
    TEST_DONE();
}
