/* dt on C++ types: arrays listed element by element (-a[N]), WinDbg's
 * verbose descriptions (-v), and virtual base classes, on a program built
 * here for the MSVC ABI (clang --target=x86_64-pc-windows-msvc, no CRT,
 * lld writing the PDB). Its one global object is constant-initialized,
 * so the image file holds the object's bytes, vbptr included, and a dump
 * whose only module is that image (its pages served from the file) shows
 * the values the source gave every member. Skips (77) without clang and
 * lld. */
#include "built_image.h"
#include "test.h"

#include "sym/pdb/pdb.h"

static const char fixture_cpp[] =
    "struct Pad { char p[3] = {7, 8, 9}; };\n"
    "struct VBase { int vb1 = 0x1111; short vb2 = 0x22; };\n"
    "struct Mid : virtual VBase { int mid = 0x3333; };\n"
    "struct Point { int x, y; };\n"
    "enum Color { Red = 1, Green = 2, Blue = 4 };\n"
    "struct Derived : Pad, Mid {\n"
    "    int own = 0x4444;\n"
    "    int arr[4] = {10, 20, 30, 40};\n"
    "    Point pts[2] = {{1, 2}, {3, 4}};\n"
    "    Color color = Green;\n"
    "};\n"
    "struct Plain { int a; char b[5]; Plain *next; };\n"
    "Derived g_obj;\n"
    "Plain g_plain = { 5, {'h', 'i'}, &g_plain };\n"
    "int main() { return g_obj.own + g_plain.a; }\n";

static uint32_t public_rva(pdb_file *p, const char *name)
{
    for (size_t i = 0; i < pdb_public_count(p); i++)
        if (strcmp(pdb_public_at(p, i)->name, name) == 0) return pdb_public_at(p, i)->rva;
    return 0;
}

static bool has_line(const char *out, const char *line)
{
    size_t n = strlen(line);
    for (const char *l = out; (l = strstr(l, line)) != NULL; l++)
        if ((l == out || l[-1] == '\n') && (l[n] == '\n' || l[n] == 0)) return true;
    return false;
}

#define HAS_LINE(out, line)                                                                  \
    do {                                                                                     \
        CHECK(has_line((out), (line)));                                                      \
        if (!has_line((out), (line))) fprintf(stderr, "  missing line: \"%s\"\n", (line));   \
    } while (0)

/* The type reader: Mid names VBase as a direct virtual base, Derived as an
 * indirect one, both through a vbptr. */
static void check_members(pdb_file *p)
{
    pdb_types *t;
    cor_err err;
    CHECK(pdb_types_open(p, &t, &err) == COR_OK);
    if (!t) return;
    uint32_t vbase = pdb_type_find(t, "VBase");
    CHECK(vbase != 0);
    const char *names[] = { "Mid", "Derived" };
    for (int k = 0; k < 2; k++) {
        pdb_member *m;
        size_t n;
        int found = 0;
        CHECK(pdb_type_members(t, pdb_type_find(t, names[k]), &m, &n, &err) == COR_OK);
        for (size_t i = 0; i < n; i++) {
            if (m[i].kind != PDB_MEMBER_VBASE) continue;
            found++;
            CHECK_EQ_U(pdb_type_strip(t, m[i].type), vbase);
            CHECK_EQ_U(m[i].indirect, k == 1);
            CHECK(m[i].value >= 1); /* entry 0 of a vbtable is the vbptr's own offset */
        }
        CHECK_EQ_U(found, 1);
        free(m);
    }
    pdb_types_close(t);
}

/* "   +0x030 vb1 ..." -> 0x30, or -1. */
static long line_offset(const char *out, const char *field)
{
    for (const char *l = out; l && *l;) {
        unsigned off;
        char name[64];
        if (sscanf(l, " +0x%x %63s", &off, name) == 2 && strcmp(name, field) == 0) return (long)off;
        l = strchr(l, '\n');
        if (l) l++;
    }
    return -1;
}

static void check_commands(con_session *s, uint64_t obj, uint64_t plain)
{
    char cmd[256], want[256];

    /* Values at the object: the base's members inline, the virtual base
     * at the offset the object's vbtable gives, with the values the
     * source gave it. */
    snprintf(cmd, sizeof cmd, "dt vb!Derived %" PRIx64, obj);
    char *out = built_run(s, cmd);
    fprintf(stderr, "%s", out);
    HAS_LINE(out, "   +0x000 p                : [3] Char");
    HAS_LINE(out, "   +0x010 mid              : 0n13107");
    HAS_LINE(out, "   +0x018 own              : 0n17476");
    HAS_LINE(out, "   +0x01c arr              : [4] Int4B");
    HAS_LINE(out, "   +0x02c pts              : [2] Point");
    HAS_LINE(out, "   +0x03c color            : Green (0n2)");
    long vb1 = line_offset(out, "vb1"), vb2 = line_offset(out, "vb2");
    CHECK(vb1 > 0x3c && vb2 == vb1 + 4);
    snprintf(want, sizeof want, "   +0x%03lx vb1              : 0n4369", vb1);
    HAS_LINE(out, want);
    snprintf(want, sizeof want, "   +0x%03lx vb2              : 0n34", vb2);
    HAS_LINE(out, want);
    /* The vbptr (Mid's, at 8) and what it leads to. */
    snprintf(want, sizeof want, "(virtual base VBase at +0x%03lx)", vb1);
    CHECK(strstr(out, "   +0x008 __VBPtr          : 0x") && strstr(out, want));
    free(out);

    /* Without an address the base's place is unknown: the vbptr line says
     * how it would be found. */
    out = built_run(s, "dt vb!Derived");
    HAS_LINE(out, "   +0x008 __VBPtr          : (virtual base VBase, vbtable index 1)");
    CHECK(line_offset(out, "vb1") == -1);
    HAS_LINE(out, "   +0x03c color            : Color");
    free(out);

    /* -a: every element; -a2: the first two; -r expands struct elements. */
    snprintf(cmd, sizeof cmd, "dt -a vb!Derived %" PRIx64, obj);
    out = built_run(s, cmd);
    HAS_LINE(out, "   +0x01c arr              : [4] Int4B");
    HAS_LINE(out, "    [00] 0n10");
    HAS_LINE(out, "    [01] 0n20");
    HAS_LINE(out, "    [02] 0n30");
    HAS_LINE(out, "    [03] 0n40");
    CHECK(!strstr(out, "[04]"));
    HAS_LINE(out, "    [00] 0n7 ''");
    HAS_LINE(out, "    [02] 0n9 ''");
    HAS_LINE(out, "    [01] Point");
    CHECK(!strstr(out, " x  "));
    free(out);
    snprintf(cmd, sizeof cmd, "dt -a2 vb!Derived %" PRIx64, obj);
    out = built_run(s, cmd);
    HAS_LINE(out, "    [01] 0n20");
    CHECK(!strstr(out, "[02]"));
    free(out);
    snprintf(cmd, sizeof cmd, "dt -r -a vb!Derived %" PRIx64, obj);
    out = built_run(s, cmd);
    CHECK(strstr(out, "    [01] Point\n"
                      "      +0x000 x                : 0n3\n"
                      "      +0x004 y                : 0n4\n") != NULL);
    free(out);
    /* Without an address, the elements' type. */
    out = built_run(s, "dt -a3 vb!Plain");
    HAS_LINE(out, "   +0x004 b                : [5] Char");
    HAS_LINE(out, "    [02] Char");
    CHECK(!strstr(out, "[03]"));
    free(out);

    /* -v: WinDbg's verbose descriptions. */
    out = built_run(s, "dt -v vb!Plain");
    CHECK(!strncmp(out, "struct Plain, 3 elements, 0x18 bytes\n", 37));
    HAS_LINE(out, "   +0x000 a                : Int4B");
    HAS_LINE(out, "   +0x004 b                : [5] Char");
    HAS_LINE(out, "   +0x010 next             : Ptr64 to struct Plain, 3 elements, 0x18 bytes");
    free(out);
    out = built_run(s, "dt -v vb!Derived");
    HAS_LINE(out, "   +0x000 __BaseClass struct Pad, 1 elements, 0x3 bytes");
    HAS_LINE(out, "   +0x02c pts              : [2] struct Point, 2 elements, 0x8 bytes");
    HAS_LINE(out, "   +0x03c color            : Enum Color,  3 total enums");
    HAS_LINE(out, "   +0x008 __VBPtr          : (virtual base VBase, vbtable index 1)");
    free(out);
    snprintf(cmd, sizeof cmd, "dt -v vb!Derived %" PRIx64, obj);
    out = built_run(s, cmd);
    snprintf(want, sizeof want, "   +0x%03lx __BaseClass struct VBase, 2 elements, 0x8 bytes", vb1);
    HAS_LINE(out, want);
    free(out);
    snprintf(cmd, sizeof cmd, "dt -v -a1 vb!Plain %" PRIx64, plain);
    out = built_run(s, cmd);
    HAS_LINE(out, "   +0x000 a                : 0n5");
    HAS_LINE(out, "    [00] 0n104 'h'");
    CHECK(!strstr(out, "[01]"));
    snprintf(want, sizeof want, "   +0x010 next             : 0x%08x`%08x", (unsigned)(plain >> 32), (unsigned)plain);
    HAS_LINE(out, want);
    free(out);

    /* Options run together, and refused ones. */
    snprintf(cmd, sizeof cmd, "dt -va2 vb!Derived %" PRIx64, obj);
    out = built_run(s, cmd);
    HAS_LINE(out, "    [01] 0n20");
    CHECK(!strstr(out, "[02]"));
    CHECK(strstr(out, "__BaseClass struct Pad") != NULL);
    free(out);
    out = built_run(s, "dt -vq vb!Derived");
    CHECK(strstr(out, "dt: unknown option '-vq'") != NULL);
    free(out);
}

int main(void)
{
    built_image b;
    int rc = built_image_make(&b, "vb", "vb.cpp", fixture_cpp,
                              "--target=x86_64-pc-windows-msvc -O2 -nostdlib -Wl,/entry:main,/subsystem:console");
    if (rc) {
        built_image_cleanup(&b, NULL);
        if (rc == 77 && !test_failures) return 77;
        CHECK(!"build");
        TEST_DONE();
    }
    pdb_file *p = NULL;
    cor_err err;
    CHECK(pdb_file_open(b.pdb, &p, &err) == COR_OK);
    uint32_t obj_rva = 0, plain_rva = 0;
    if (p) {
        check_members(p);
        obj_rva = public_rva(p, "?g_obj@@3UDerived@@A");
        plain_rva = public_rva(p, "?g_plain@@3UPlain@@A");
        pdb_file_close(p);
    }
    CHECK(obj_rva && plain_rva);
    built_module m = built_image_module(&b, "C:\\vb.exe");
    char *dump = built_write_dump(b.dir, &m, NULL);
    cor_target *t = dump ? built_open(dump, b.dir) : NULL;
    con_session *s = NULL;
    CHECK(t && con_open(t, &s, &err) == COR_OK);
    if (s && obj_rva) check_commands(s, b.base + obj_rva, b.base + plain_rva);
    if (s) con_close(s);
    target_close(t);
    built_image_cleanup(&b, dump);
    free(dump);
    TEST_DONE();
}
