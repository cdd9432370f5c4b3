/* TPI reader tests on PDBs whose types are known by construction:
 * LLVM's test-pdb-types.pdb (lldb unittests/SymbolFile/PDB/Inputs, built
 * from test-pdb-types.cpp) and the lab programs' PDBs (tests/lab/lab.h).
 * Every record of every corpus PDB, and bit-flipped copies, must decode or
 * fail cleanly under ASan/UBSan. */
#include "test.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>

#include "sym/pdb/pdb.h"

typedef struct want_member {
    const char *name;
    uint64_t offset;
    const char *type;
} want_member;

static void check_udt(pdb_types *t, const char *name, uint64_t size, unsigned ptr_size, const want_member *want,
                      size_t nwant)
{
    uint32_t ti = pdb_type_find(t, name);
    CHECK(ti >= 0x1000);
    if (!ti) {
        fprintf(stderr, "  type %s not found\n", name);
        return;
    }
    pdb_type ty;
    CHECK(pdb_type_get(t, ti, &ty) == COR_OK);
    CHECK(!ty.forward);
    CHECK_STR(ty.name, name);
    CHECK_EQ_U(ty.size, size);
    pdb_member *m;
    size_t n;
    cor_err err;
    CHECK(pdb_type_members(t, ti, &m, &n, &err) == COR_OK);
    CHECK_EQ_U(n, nwant);
    for (size_t i = 0; i < n && i < nwant; i++) {
        char tn[256];
        CHECK_EQ_U(m[i].kind, PDB_MEMBER_FIELD);
        CHECK_STR(m[i].name, want[i].name);
        CHECK_EQ_U(m[i].offset, want[i].offset);
        pdb_type_name(t, m[i].type, ptr_size, tn, sizeof tn);
        CHECK_STR(tn, want[i].type);
    }
    free(m);
}

static void check_enum(pdb_types *t, const char *name, uint64_t size, const char *underlying, const char **names,
                       const uint64_t *values, size_t nwant)
{
    uint32_t ti = pdb_type_find(t, name);
    CHECK(ti >= 0x1000);
    pdb_type ty;
    CHECK(pdb_type_get(t, ti, &ty) == COR_OK);
    CHECK_EQ_U(ty.kind, PDB_TYPE_ENUM);
    CHECK_EQ_U(ty.size, size);
    char tn[64];
    pdb_type_name(t, ty.elem, 4, tn, sizeof tn);
    CHECK_STR(tn, underlying);
    pdb_type_name(t, ti, 4, tn, sizeof tn);
    CHECK_STR(tn, name);
    pdb_member *m;
    size_t n;
    cor_err err;
    CHECK(pdb_type_members(t, ti, &m, &n, &err) == COR_OK);
    CHECK_EQ_U(n, nwant);
    for (size_t i = 0; i < n && i < nwant; i++) {
        CHECK_EQ_U(m[i].kind, PDB_MEMBER_ENUMERATOR);
        CHECK_STR(m[i].name, names[i]);
        CHECK_EQ_U(m[i].value, values[i]);
    }
    free(m);
}

/* Decodes every record; returns how many were structs, classes or unions. */
static size_t walk_all(pdb_types *t)
{
    size_t udts = 0;
    for (uint32_t ti = 0x1000; ti < pdb_types_end(t); ti++) {
        pdb_type ty;
        char tn[256];
        if (pdb_type_get(t, ti, &ty) != COR_OK) continue;
        pdb_type_name(t, ti, 8, tn, sizeof tn);
        (void)pdb_type_size(t, ti, 8);
        if (ty.kind == PDB_TYPE_STRUCT || ty.kind == PDB_TYPE_CLASS || ty.kind == PDB_TYPE_UNION ||
            ty.kind == PDB_TYPE_ENUM) {
            pdb_member *m;
            size_t n;
            cor_err err;
            if (pdb_type_members(t, ti, &m, &n, &err) == COR_OK) {
                for (size_t i = 0; i < n; i++) pdb_type_name(t, m[i].type, 8, tn, sizeof tn);
                free(m);
            }
            if (ty.kind != PDB_TYPE_ENUM) udts++;
        }
    }
    return udts;
}

static void test_llvm_types(void)
{
    const char *path = corpus_path("llvm-mirror__lldb/unittests__SymbolFile__PDB__Inputs__test-pdb-types.pdb");
    pdb_file *p;
    cor_err err;
    if (pdb_file_open(path, &p, &err) != COR_OK) {
        fprintf(stderr, "skip: %s\n", err.msg);
        return;
    }
    pdb_types *t;
    CHECK(pdb_types_open(p, &t, &err) == COR_OK);
    if (!t) {
        pdb_file_close(p);
        return;
    }
    /* class NS::NSClass { float f; double d; }; */
    const want_member nsclass[] = { { "f", 0, "Float" }, { "d", 8, "Float" } };
    check_udt(t, "NS::NSClass", 16, 4, nsclass, 2);
    /* class Class { class NestedClass { Enum e; }; ShortEnum se; }; (the
     * nested type is skipped, not a member) */
    const want_member cls[] = { { "se", 0, "ShortEnum" } };
    check_udt(t, "Class", 2, 4, cls, 1);
    const want_member nested[] = { { "e", 0, "Enum" } };
    check_udt(t, "Class::NestedClass", 4, 4, nested, 1);
    pdb_type ty;
    CHECK(pdb_type_get(t, pdb_type_find(t, "Class"), &ty) == COR_OK);
    CHECK_EQ_U(ty.kind, PDB_TYPE_CLASS);
    /* enum Enum { EValue1 = 1, EValue2 = 2 }; enum ShortEnum : short {...}; */
    const char *en[] = { "EValue1", "EValue2" }, *sen[] = { "ESValue1", "ESValue2" };
    const uint64_t ev[] = { 1, 2 };
    check_enum(t, "Enum", 4, "Int4B", en, ev, 2);
    check_enum(t, "ShortEnum", 2, "Int2B", sen, ev, 2);
    CHECK_EQ_U(pdb_type_find(t, "NoSuchType"), 0);

    /* int GlobalArray[10]: an LF_ARRAY of 40 bytes of Int4B. */
    bool saw_array = false;
    for (uint32_t ti = 0x1000; ti < pdb_types_end(t); ti++) {
        char tn[64];
        if (pdb_type_get(t, ti, &ty) != COR_OK || ty.kind != PDB_TYPE_ARRAY) continue;
        pdb_type_name(t, ti, 4, tn, sizeof tn);
        if (ty.size == 40 && !strcmp(tn, "[10] Int4B")) saw_array = true;
    }
    CHECK(saw_array);

    /* Simple type indexes, named as WinDbg names them. */
    char tn[64];
    pdb_type_name(t, 0x0074, 4, tn, sizeof tn);
    CHECK_STR(tn, "Int4B");
    pdb_type_name(t, 0x0077, 4, tn, sizeof tn);
    CHECK_STR(tn, "Uint8B");
    pdb_type_name(t, 0x0010, 4, tn, sizeof tn);
    CHECK_STR(tn, "Char");
    pdb_type_name(t, 0x0071, 4, tn, sizeof tn);
    CHECK_STR(tn, "Wchar");
    pdb_type_name(t, 0x0603, 4, tn, sizeof tn); /* T_64PVOID */
    CHECK_STR(tn, "Ptr64 Void");
    pdb_type_name(t, 0x0474, 4, tn, sizeof tn); /* T_32PINT4 */
    CHECK_STR(tn, "Ptr32 Int4B");
    CHECK_EQ_U(pdb_type_size(t, 0x0603, 4), 8);
    CHECK_EQ_U(pdb_type_size(t, 0x0041, 4), 8); /* T_REAL64 */
    CHECK(pdb_type_get(t, 0x00FF, &ty) == COR_FAIL);
    CHECK(pdb_type_get(t, pdb_types_end(t), &ty) == COR_FAIL);

    CHECK(walk_all(t) > 0);
    pdb_types_close(t);
    pdb_file_close(p);
}

static void test_lab_types(void)
{
    const char *lab = getenv("COR_LAB");
    char path[4096];
    snprintf(path, sizeof path, "%s/bin/hang_locks.pdb", lab ? lab : "");
    pdb_file *p;
    cor_err err;
    if (!lab || pdb_file_open(path, &p, &err) != COR_OK) {
        fprintf(stderr, "skip: lab PDB %s not built\n", path);
        return;
    }
    pdb_types *t;
    CHECK(pdb_types_open(p, &t, &err) == COR_OK);
    if (!t) {
        pdb_file_close(p);
        return;
    }
    /* tests/lab/lab.h, built for x64. */
    const want_member deadlock[] = {
        { "first", 0x00, "Ptr64 _RTL_CRITICAL_SECTION" },
        { "second", 0x08, "Ptr64 _RTL_CRITICAL_SECTION" },
        { "a_has_first", 0x10, "Ptr64 Void" },
        { "b_has_second", 0x18, "Ptr64 Void" },
    };
    check_udt(t, "lab_deadlock", 32, 8, deadlock, 4);
    const want_member cs_wait[] = { { "cs", 0, "Ptr64 _RTL_CRITICAL_SECTION" }, { "arrived", 8, "Ptr64 Void" } };
    check_udt(t, "lab_cs_wait", 16, 8, cs_wait, 2);
    const want_member ev_wait[] = { { "event", 0, "Ptr64 Void" }, { "arrived", 8, "Ptr64 Void" } };
    check_udt(t, "lab_event_wait", 16, 8, ev_wait, 2);
    /* winnt.h RTL_CRITICAL_SECTION on x64. */
    const want_member rtl_cs[] = {
        { "DebugInfo", 0x00, "Ptr64 _RTL_CRITICAL_SECTION_DEBUG" },
        { "LockCount", 0x08, "Int4B" },
        { "RecursionCount", 0x0c, "Int4B" },
        { "OwningThread", 0x10, "Ptr64 Void" },
        { "LockSemaphore", 0x18, "Ptr64 Void" },
        { "SpinCount", 0x20, "Uint8B" },
    };
    check_udt(t, "_RTL_CRITICAL_SECTION", 40, 8, rtl_cs, 6);

    /* The pointee of lab_deadlock.first may be a forward reference: it
     * resolves to the 40-byte definition. */
    pdb_member *m;
    size_t n;
    if (pdb_type_members(t, pdb_type_find(t, "lab_deadlock"), &m, &n, &err) == COR_OK && n) {
        pdb_type ptr, cs;
        CHECK(pdb_type_get(t, m[0].type, &ptr) == COR_OK);
        CHECK_EQ_U(ptr.kind, PDB_TYPE_POINTER);
        CHECK_EQ_U(ptr.size, 8);
        CHECK(pdb_type_get(t, pdb_type_strip(t, ptr.elem), &cs) == COR_OK);
        CHECK(!cs.forward);
        CHECK_EQ_U(cs.size, 40);
        free(m);
    }
    CHECK(walk_all(t) > 0);
    pdb_types_close(t);
    pdb_file_close(p);
}

static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Every corpus PDB walked whole; bit-flipped copies of one walked too. */
static void test_hostile(void)
{
    const char *dir = getenv("COR_CORPUS");
    DIR *top = opendir(dir ? dir : "../shared/corpus");
    size_t opened = 0;
    struct dirent *e;
    while (top && (e = readdir(top))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir ? dir : "../shared/corpus", e->d_name);
        DIR *d = opendir(sub);
        struct dirent *f;
        while (d && (f = readdir(d))) {
            size_t l = strlen(f->d_name);
            if (l < 4 || strcasecmp(f->d_name + l - 4, ".pdb")) continue;
            char path[8192];
            snprintf(path, sizeof path, "%s/%s", sub, f->d_name);
            pdb_file *p;
            pdb_types *t;
            cor_err err;
            if (pdb_file_open(path, &p, &err) != COR_OK) continue;
            if (pdb_types_open(p, &t, &err) == COR_OK) {
                walk_all(t);
                pdb_types_close(t);
                opened++;
            }
            pdb_file_close(p);
        }
        if (d) closedir(d);
    }
    if (top) closedir(top);
    CHECK(opened > 0);

    FILE *fp = fopen(corpus_path("llvm-mirror__lldb/unittests__SymbolFile__PDB__Inputs__test-pdb-types.pdb"), "rb");
    if (!fp) return;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *orig = malloc((size_t)size), *copy = malloc((size_t)size);
    CHECK(fread(orig, 1, (size_t)size, fp) == (size_t)size);
    fclose(fp);
    uint32_t seed = 0x7e57u;
    for (int round = 0; round < 300; round++) {
        memcpy(copy, orig, (size_t)size);
        for (int k = 0; k < 16; k++) copy[rng_next(&seed) % (uint32_t)size] ^= (uint8_t)(1u << (rng_next(&seed) & 7));
        pdb_file *p;
        pdb_types *t;
        cor_err err;
        if (pdb_file_open_mem(copy, (size_t)size, &p, &err) != COR_OK) continue;
        if (pdb_types_open(p, &t, &err) == COR_OK) {
            walk_all(t);
            pdb_type_find(t, "Class");
            pdb_types_close(t);
        }
        pdb_file_close(p);
    }
    free(orig);
    free(copy);
}

int main(void)
{
    test_llvm_types();
    test_lab_types();
    test_hostile();
    TEST_DONE();
}
