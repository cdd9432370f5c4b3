/* The _HEAP layout from ntdll's PDB (src/process/heap_layout_pdb.c).
 *
 * No real ntdll.pdb is at hand, so one is built here to play its part: a
 * DLL named ntdll.dll (clang for x86_64-w64-mingw32, lld writing the PDB)
 * whose source defines _HEAP, _HEAP_SEGMENT and _HEAP_COUNTERS with the
 * member names of Windows's, at offsets deliberately unlike any release's
 * (every one differs from the Windows 10 x64 row of heaps.c's table). A
 * minidump written here says Windows 10 19041 x64, lists that ntdll.dll
 * with the DLL's CodeView record, and has a thread whose TEB leads to a
 * PEB whose ProcessHeaps names one heap laid out per those types: the
 * values in it are known by construction.
 *  - With the PDB on the symbol path, proc_heaps_read and !heap -s report
 *    exactly those values and say the layout came from the PDB.
 *  - Without it, the table for Windows 10 is used, whose offsets are wrong
 *    for this heap: it must not pass for an NT heap. So this test fails if
 *    the PDB's layout is not used.
 *  - With a PDB whose _HEAP lacks a member the reader needs, the table is
 *    used and !heap -s says why the PDB was not.
 * Skips (77) when clang or lld is missing. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "built_image.h"
#include "process/heaps.h"
#include "test.h"

/* The fixture's layout (x64). The _Static_asserts in the source keep the
 * two in step; none of these is where Windows 10 keeps the field
 * (SegmentSignature +0x10, SegmentListEntry +0x18, Heap +0x28, BaseAddress
 * +0x30, NumberOfPages +0x38, NumberOfUnCommittedPages +0x50, ...Ranges
 * +0x54; Flags +0x70, ForceFlags +0x74, Signature +0x98, TotalFreeSize
 * +0xC0, VirtualAllocdBlocks +0x110, SegmentList +0x120, FreeLists +0x150,
 * FrontEndHeapType +0x1A2, Counters +0x238, whose members are at +0, +8,
 * +0x18, +0x24, +0x34). */
enum {
    SEG_RANGES = 0x20,
    SEG_SIGNATURE = 0x24,
    SEG_PAGES = 0x28,
    SEG_UNCOMMITTED = 0x2C,
    SEG_LIST_ENTRY = 0x30,
    SEG_BASE = 0x40,
    SEG_HEAP = 0x48,
    HEAP_SIGNATURE = 0x60,
    HEAP_FORCE_FLAGS = 0x64,
    HEAP_FLAGS = 0x68,
    HEAP_SEGMENT_LIST = 0x70,
    HEAP_FREE_LISTS = 0x80,
    HEAP_TOTAL_FREE = 0x90,
    HEAP_VIRTUAL_BLOCKS = 0x98,
    HEAP_FRONT_END = 0xA8,
    HEAP_COUNTERS = 0xB0,
    CNT_COMMITTED = 0x00,
    CNT_LOCKS = 0x08,
    CNT_UCRS = 0x0C,
    CNT_VIRTUAL = 0x10,
    CNT_RESERVED = 0x18,
};

/* Windows 8 and later open _HEAP with a union of the segment and its
 * fields; this does the same, so the lookup by name meets the flattened
 * members too. FREE_LISTS renames one member for the unusable PDB. */
static const char fixture_c[] =
    "#ifndef FREE_LISTS\n"
    "#define FREE_LISTS FreeLists\n"
    "#endif\n"
    "typedef struct _LIST_ENTRY { struct _LIST_ENTRY *Flink, *Blink; } LIST_ENTRY;\n"
    "struct _HEAP;\n"
    "struct _HEAP_SEGMENT {\n"
    "    unsigned char Entry[0x20];\n"
    "    unsigned int NumberOfUnCommittedRanges;\n"
    "    unsigned int SegmentSignature;\n"
    "    unsigned int NumberOfPages;\n"
    "    unsigned int NumberOfUnCommittedPages;\n"
    "    LIST_ENTRY SegmentListEntry;\n"
    "    void *BaseAddress;\n"
    "    struct _HEAP *Heap;\n"
    "    unsigned char Reserved[0x10];\n"
    "};\n"
    "struct _HEAP_COUNTERS {\n"
    "    unsigned long long TotalMemoryCommitted;\n"
    "    unsigned int LockCollisions;\n"
    "    unsigned int TotalUCRs;\n"
    "    unsigned long long TotalSizeInVirtualBlocks;\n"
    "    unsigned long long TotalMemoryReserved;\n"
    "    unsigned long long TotalMemoryLargeUCR;\n"
    "};\n"
    "struct _HEAP {\n"
    "    union {\n"
    "        struct _HEAP_SEGMENT Segment;\n"
    "        struct {\n"
    "            unsigned char Entry[0x20];\n"
    "            unsigned int NumberOfUnCommittedRanges;\n"
    "            unsigned int SegmentSignature;\n"
    "        };\n"
    "    };\n"
    "    unsigned int Signature;\n"
    "    unsigned int ForceFlags;\n"
    "    unsigned int Flags;\n"
    "    unsigned int CompatibilityFlags;\n"
    "    LIST_ENTRY SegmentList;\n"
    "    LIST_ENTRY FREE_LISTS;\n"
    "    unsigned long long TotalFreeSize;\n"
    "    LIST_ENTRY VirtualAllocdBlocks;\n"
    "    unsigned char FrontEndHeapType;\n"
    "    struct _HEAP_COUNTERS Counters;\n"
    "};\n"
    "#define AT(s, m, off) _Static_assert(__builtin_offsetof(struct s, m) == off, #s \".\" #m)\n"
    "AT(_HEAP_SEGMENT, NumberOfUnCommittedRanges, 0x20); AT(_HEAP_SEGMENT, SegmentSignature, 0x24);\n"
    "AT(_HEAP_SEGMENT, NumberOfPages, 0x28); AT(_HEAP_SEGMENT, NumberOfUnCommittedPages, 0x2C);\n"
    "AT(_HEAP_SEGMENT, SegmentListEntry, 0x30); AT(_HEAP_SEGMENT, BaseAddress, 0x40);\n"
    "AT(_HEAP_SEGMENT, Heap, 0x48); AT(_HEAP, SegmentSignature, 0x24); AT(_HEAP, Signature, 0x60);\n"
    "AT(_HEAP, ForceFlags, 0x64); AT(_HEAP, Flags, 0x68); AT(_HEAP, SegmentList, 0x70);\n"
    "AT(_HEAP, FREE_LISTS, 0x80); AT(_HEAP, TotalFreeSize, 0x90); AT(_HEAP, VirtualAllocdBlocks, 0x98);\n"
    "AT(_HEAP, FrontEndHeapType, 0xA8); AT(_HEAP, Counters, 0xB0);\n"
    "AT(_HEAP_COUNTERS, TotalMemoryCommitted, 0); AT(_HEAP_COUNTERS, LockCollisions, 8);\n"
    "AT(_HEAP_COUNTERS, TotalUCRs, 0xC); AT(_HEAP_COUNTERS, TotalSizeInVirtualBlocks, 0x10);\n"
    "AT(_HEAP_COUNTERS, TotalMemoryReserved, 0x18);\n"
    "struct _HEAP RtlpHeapForTypes;\n"
    "int __stdcall DllMainCRTStartup(void *h, unsigned reason, void *r)\n"
    "{ (void)h; (void)reason; (void)r; return 1; }\n";

/* Where things are in the dump, and what they hold. */
#define TEB 0x7FFDE000ull
#define PEB 0x7FFD0000ull
#define HEAP_ARRAY 0x7FFA0000ull
#define HEAP 0x00A00000ull
#define SEG2 0x00B00000ull
#define STACK 0x00100000ull
#define FLAGS 0x00041002u
#define FORCE_FLAGS 0x40000060u
#define TOTAL_FREE 0x300u          /* 16-byte units: 0x3000 bytes */
#define FRONT_END 2u               /* LFH */
#define COMMITTED 0x45000ull
#define RESERVED 0x140000ull
#define VIRTUAL 0x20000ull
#define UCRS 3u
#define LOCKS 7u
#define HEAP_PAGES 0x40u
#define HEAP_UNCOMMITTED 0x10u
#define SEG2_PAGES 0x100u
#define SEG2_UNCOMMITTED 0x80u
enum { HEAP_BLOCK = 0x400, SEG2_BLOCK = 0x100, FREE_ENTRIES = 3, VIRTUAL_ENTRIES = 2 };

static void put_list(uint8_t *block, uint64_t block_addr, uint64_t head, const uint64_t *entries, size_t n)
{
    uint64_t prev = head;
    for (size_t i = 0; i <= n; i++) {
        uint64_t at = i < n ? entries[i] : head;
        synth_w64(block + (prev - block_addr), at);     /* prev.Flink */
        synth_w64(block + (at - block_addr) + 8, prev); /* at.Blink */
        prev = at;
    }
}

/* The heap and its second segment, laid out per the fixture's types. */
static void fill_heap(uint8_t *heap, uint8_t *seg2)
{
    memset(heap, 0, HEAP_BLOCK);
    memset(seg2, 0, SEG2_BLOCK);
    /* The table's SegmentSignature (+0x10) holds the signature too, inside
     * Entry: so the table reads on to its Signature (+0x98), and fails there. */
    synth_w32(heap + 0x10, 0xFFEEFFEEu);
    synth_w32(heap + SEG_SIGNATURE, 0xFFEEFFEEu);
    synth_w32(heap + SEG_PAGES, HEAP_PAGES);
    synth_w32(heap + SEG_UNCOMMITTED, HEAP_UNCOMMITTED);
    synth_w32(heap + SEG_RANGES, 1);
    synth_w64(heap + SEG_BASE, HEAP);
    synth_w64(heap + SEG_HEAP, HEAP);
    synth_w32(heap + HEAP_SIGNATURE, 0xEEFFEEFFu);
    synth_w32(heap + HEAP_FLAGS, FLAGS);
    synth_w32(heap + HEAP_FORCE_FLAGS, FORCE_FLAGS);
    synth_w64(heap + HEAP_TOTAL_FREE, TOTAL_FREE);
    heap[HEAP_FRONT_END] = FRONT_END;
    synth_w64(heap + HEAP_COUNTERS + CNT_COMMITTED, COMMITTED);
    synth_w64(heap + HEAP_COUNTERS + CNT_RESERVED, RESERVED);
    synth_w64(heap + HEAP_COUNTERS + CNT_VIRTUAL, VIRTUAL);
    synth_w32(heap + HEAP_COUNTERS + CNT_UCRS, UCRS);
    synth_w32(heap + HEAP_COUNTERS + CNT_LOCKS, LOCKS);

    synth_w32(seg2 + SEG_SIGNATURE, 0xFFEEFFEEu);
    synth_w32(seg2 + SEG_PAGES, SEG2_PAGES);
    synth_w32(seg2 + SEG_UNCOMMITTED, SEG2_UNCOMMITTED);
    synth_w32(seg2 + SEG_RANGES, 2);
    synth_w64(seg2 + SEG_BASE, SEG2);
    synth_w64(seg2 + SEG_HEAP, HEAP);

    /* SegmentList: the heap's own segment, then SEG2. The links cross
     * blocks, so they are written by hand. */
    synth_w64(heap + HEAP_SEGMENT_LIST, HEAP + SEG_LIST_ENTRY);
    synth_w64(heap + HEAP_SEGMENT_LIST + 8, SEG2 + SEG_LIST_ENTRY);
    synth_w64(heap + SEG_LIST_ENTRY, SEG2 + SEG_LIST_ENTRY);
    synth_w64(heap + SEG_LIST_ENTRY + 8, HEAP + HEAP_SEGMENT_LIST);
    synth_w64(seg2 + SEG_LIST_ENTRY, HEAP + HEAP_SEGMENT_LIST);
    synth_w64(seg2 + SEG_LIST_ENTRY + 8, HEAP + SEG_LIST_ENTRY);

    static const uint64_t free_entries[FREE_ENTRIES] = { HEAP + 0x200, HEAP + 0x220, HEAP + 0x240 };
    static const uint64_t virtual_entries[VIRTUAL_ENTRIES] = { HEAP + 0x300, HEAP + 0x340 };
    put_list(heap, HEAP, HEAP + HEAP_FREE_LISTS, free_entries, FREE_ENTRIES);
    put_list(heap, HEAP, HEAP + HEAP_VIRTUAL_BLOCKS, virtual_entries, VIRTUAL_ENTRIES);
}

/* Builds DIR/ntdll.dll and DIR/ntdll.pdb from the fixture (with extra
 * flags); 0, 77 (no toolchain) or 1. */
static int build_ntdll(built_image *b, const char *extra)
{
    memset(b, 0, sizeof *b);
    if (!built_have_tool("clang") || !(built_have_tool("ld.lld") || built_have_tool("lld"))) {
        fprintf(stderr, "clang or lld missing: skipping\n");
        return 77;
    }
    snprintf(b->dir, sizeof b->dir, "/tmp/cor-heap-pdb-XXXXXX");
    if (!mkdtemp(b->dir)) return 1;
    snprintf(b->src, sizeof b->src, "%s/ntdll.c", b->dir);
    snprintf(b->exe, sizeof b->exe, "%s/ntdll.dll", b->dir);
    snprintf(b->pdb, sizeof b->pdb, "%s/ntdll.pdb", b->dir);
    FILE *f = fopen(b->src, "w");
    if (!f) return 1;
    fputs(fixture_c, f);
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "clang --target=x86_64-w64-mingw32 -shared -nostdlib %s -g -gcodeview -fuse-ld=lld -Wl,--pdb=%s -o %s %s "
             "2>&1",
             extra, b->pdb, b->exe, b->src);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot build %s (no Windows target?): skipping\n", b->exe);
        return 77;
    }
    struct stat st;
    f = fopen(b->exe, "rb");
    if (!f || stat(b->exe, &st) != 0 || st.st_size <= 0) {
        if (f) fclose(f);
        return 1;
    }
    b->size = (size_t)st.st_size;
    b->bytes = malloc(b->size);
    bool ok = b->bytes && fread(b->bytes, 1, b->size, f) == b->size;
    fclose(f);
    if (!ok || !built_parse(b)) {
        fprintf(stderr, "%s: no PE headers or CodeView record\n", b->exe);
        return 1;
    }
    return 0;
}

/* The minidump: Windows 10 19041 x64, the module ntdll.dll with b's
 * identity, one thread, and the TEB, PEB, heap array, heap and segment. */
static char *write_dump(const built_image *b)
{
    synth s;
    synth_begin(&s, 4);
    uint8_t si[56] = { 0 };
    synth_w16(si, 9); /* PROCESSOR_ARCHITECTURE_AMD64 */
    si[6] = 1;
    si[7] = 1; /* VER_NT_WORKSTATION */
    synth_w32(si + 8, 10);
    synth_w32(si + 12, 0);
    synth_w32(si + 16, 19041);
    synth_w32(si + 20, 2);
    uint32_t si_rva = synth_put(&s, si, sizeof si);
    synth_stream(&s, 7, si_rva, sizeof si);

    uint32_t name = synth_string(&s, "C:\\Windows\\System32\\ntdll.dll");
    uint32_t cv = synth_put(&s, b->cv, b->cv_len);
    uint8_t ml[4 + 108] = { 0 };
    synth_w32(ml, 1);
    synth_w64(ml + 4, b->base);
    synth_w32(ml + 4 + 8, b->size_of_image);
    synth_w32(ml + 4 + 12, b->checksum);
    synth_w32(ml + 4 + 16, b->timestamp);
    synth_w32(ml + 4 + 20, name);
    synth_w32(ml + 4 + 76, b->cv_len);
    synth_w32(ml + 4 + 80, cv);
    uint32_t ml_rva = synth_put(&s, ml, sizeof ml);
    synth_stream(&s, 4, ml_rva, sizeof ml);

    /* Memory: stack, TEB, PEB, the ProcessHeaps array, the heap, SEG2. */
    uint8_t stack[0x100] = { 0 }, teb[0x100] = { 0 }, peb[0x400] = { 0 }, array[8], heap[HEAP_BLOCK],
                                         seg2[SEG2_BLOCK];
    synth_w64(teb + 0x08, STACK + sizeof stack); /* StackBase */
    synth_w64(teb + 0x10, STACK);                /* StackLimit */
    synth_w64(teb + 0x30, TEB);                  /* Self */
    synth_w64(teb + 0x60, PEB);                  /* ProcessEnvironmentBlock */
    synth_w64(peb + 0x10, 0x140000000ull);       /* ImageBaseAddress */
    synth_w64(peb + 0x30, HEAP);                 /* ProcessHeap */
    synth_w32(peb + 0xE8, 1);                    /* NumberOfHeaps */
    synth_w64(peb + 0xF0, HEAP_ARRAY);           /* ProcessHeaps */
    synth_w64(array, HEAP);
    fill_heap(heap, seg2);
    const struct {
        uint64_t addr;
        const uint8_t *bytes;
        uint32_t len;
    } mem[] = {
        { STACK, stack, sizeof stack }, { TEB, teb, sizeof teb },   { PEB, peb, sizeof peb },
        { HEAP_ARRAY, array, sizeof array }, { HEAP, heap, sizeof heap }, { SEG2, seg2, sizeof seg2 },
    };
    enum { NMEM = sizeof mem / sizeof mem[0] };
    uint32_t rvas[NMEM];
    for (size_t i = 0; i < NMEM; i++) rvas[i] = synth_put(&s, mem[i].bytes, mem[i].len);

    uint8_t ctx[0x4D0] = { 0 };
    synth_w32(ctx + 0x30, 0x10000B); /* CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS */
    synth_w64(ctx + 0x98, STACK + 0x80);
    synth_w64(ctx + 0xF8, b->base + 0x1000);
    uint32_t ctx_rva = synth_put(&s, ctx, sizeof ctx);
    uint8_t tl[4 + 48] = { 0 };
    synth_w32(tl, 1);
    synth_w32(tl + 4, 0x1234);
    synth_w64(tl + 4 + 16, TEB);
    synth_w64(tl + 4 + 24, STACK);
    synth_w32(tl + 4 + 32, sizeof stack);
    synth_w32(tl + 4 + 36, rvas[0]);
    synth_w32(tl + 4 + 40, sizeof ctx);
    synth_w32(tl + 4 + 44, ctx_rva);
    uint32_t tl_rva = synth_put(&s, tl, sizeof tl);
    synth_stream(&s, 3, tl_rva, sizeof tl);

    uint8_t mlist[4 + 16 * NMEM] = { 0 };
    synth_w32(mlist, NMEM);
    for (size_t i = 0; i < NMEM; i++) {
        synth_w64(mlist + 4 + 16 * i, mem[i].addr);
        synth_w32(mlist + 4 + 16 * i + 8, mem[i].len);
        synth_w32(mlist + 4 + 16 * i + 12, rvas[i]);
    }
    uint32_t mrva = synth_put(&s, mlist, sizeof mlist);
    synth_stream(&s, 5, mrva, sizeof mlist);

    size_t n = strlen(b->dir) + 16;
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s/heap.dmp", b->dir);
    FILE *f = path ? fopen(path, "wb") : NULL;
    bool ok = f && fwrite(s.buf, 1, s.len, f) == s.len;
    if (f) fclose(f);
    free(s.buf);
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

/* Opens the dump with symbols searched in sympath ("" for none). */
static cor_target *open_with(const char *dump, const char *sympath)
{
    cor_target *t = NULL;
    cor_err err;
    if (target_open(dump, &t, &err) != COR_OK || target_set_symbol_path(t, sympath, &err) != COR_OK) {
        fprintf(stderr, "%s: %s\n", dump, err.msg);
        target_close(t);
        return NULL;
    }
    return t;
}

static char *heap_summary(cor_target *t)
{
    con_session *s = NULL;
    cor_err err;
    if (con_open(t, &s, &err) != COR_OK) return NULL;
    char *out = built_run(s, "!heap -s");
    con_close(s);
    return out;
}

/* The PDB on the symbol path: every value as written. */
static void check_with_pdb(const built_image *b, const char *dump)
{
    cor_target *t = open_with(dump, b->dir);
    CHECK(t != NULL);
    if (!t) return;
    proc_heaps hs;
    cor_err err;
    CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
    CHECK_EQ_U(hs.layout_source, PROC_HEAP_LAYOUT_PDB);
    CHECK_STR(hs.layout, "ntdll.pdb types");
    CHECK(strstr(hs.layout_pdb, "ntdll.pdb") != NULL);
    CHECK_STR(hs.layout_note, "");
    CHECK(hs.array_read);
    CHECK_EQ_U(hs.n, 1);
    if (hs.n == 1) {
        const proc_heap *h = &hs.heaps[0];
        CHECK_EQ_U(h->addr, HEAP);
        CHECK(h->is_process_heap && h->from_array);
        CHECK_EQ_U(h->kind, PROC_HEAP_NT);
        CHECK(h->has_flags);
        CHECK_EQ_U(h->flags, FLAGS);
        CHECK_EQ_U(h->force_flags, FORCE_FLAGS);
        CHECK(h->has_free);
        CHECK_EQ_U(h->free_bytes, TOTAL_FREE * 16);
        CHECK(h->has_free_list);
        CHECK_EQ_U(h->free_list_length, FREE_ENTRIES);
        CHECK(h->has_virtual_blocks);
        CHECK_EQ_U(h->virtual_blocks, VIRTUAL_ENTRIES);
        CHECK_EQ_U(h->front_end, FRONT_END);
        CHECK(h->has_counters);
        CHECK_STR(h->sizes_from, "counters");
        CHECK_EQ_U(h->reserved, RESERVED);
        CHECK_EQ_U(h->committed, COMMITTED);
        CHECK_EQ_U(h->virtual_bytes, VIRTUAL);
        CHECK(h->has_ucrs);
        CHECK_EQ_U(h->ucrs, UCRS);
        CHECK_EQ_U(h->lock_collisions, LOCKS);
        CHECK(h->segments_complete);
        CHECK_EQ_U(h->nsegments, 2);
        if (h->nsegments == 2) {
            CHECK_EQ_U(h->segments[0].addr, HEAP);
            CHECK_EQ_U(h->segments[0].base, HEAP);
            CHECK_EQ_U(h->segments[0].reserved, HEAP_PAGES * 0x1000ull);
            CHECK_EQ_U(h->segments[0].committed, (HEAP_PAGES - HEAP_UNCOMMITTED) * 0x1000ull);
            CHECK_EQ_U(h->segments[0].uncommitted_ranges, 1);
            CHECK_EQ_U(h->segments[1].addr, SEG2);
            CHECK_EQ_U(h->segments[1].base, SEG2);
            CHECK_EQ_U(h->segments[1].reserved, SEG2_PAGES * 0x1000ull);
            CHECK_EQ_U(h->segments[1].committed, (SEG2_PAGES - SEG2_UNCOMMITTED) * 0x1000ull);
            CHECK_EQ_U(h->segments[1].uncommitted_ranges, 2);
        }
    }
    proc_heaps_free(&hs);

    char *out = heap_summary(t);
    char line[512], row[256];
    CHECK(out && built_line(out, "_HEAP layout: ntdll.pdb types (", line, sizeof line));
    CHECK(out && strstr(out, "ntdll.pdb)\n"));
    /* Heap Flags Reserv Commit Virt Free (k), List length, UCR, Virt blocks, Lock cont., Fast heap. */
    snprintf(row, sizeof row, "%016llx %08x %8llu %7llu %7llu %7u %6u %6u %5u %7u   LFH", HEAP, FLAGS,
             RESERVED / 1024, COMMITTED / 1024, VIRTUAL / 1024, TOTAL_FREE * 16 / 1024, FREE_ENTRIES, UCRS,
             VIRTUAL_ENTRIES, LOCKS);
    CHECK(out && built_line(out, row, line, sizeof line));
    /* The segments: Reserv, Commit (k) and UCR of each. */
    snprintf(row, sizeof row, "%016llx %016llx %8u %7u %5u", HEAP, HEAP, HEAP_PAGES * 4,
             (HEAP_PAGES - HEAP_UNCOMMITTED) * 4, 1);
    CHECK(out && built_line(out, row, line, sizeof line));
    snprintf(row, sizeof row, "%16s %016llx %8u %7u %5u", "", SEG2, SEG2_PAGES * 4,
             (SEG2_PAGES - SEG2_UNCOMMITTED) * 4, 2);
    CHECK(out && built_line(out, row, line, sizeof line));
    if ((test_failures || getenv("COR_SHOW")) && out) fprintf(stderr, "!heap -s with the PDB:\n%s\n", out);
    free(out);
    target_close(t);
}

/* No PDB: the table's Windows 10 offsets, which do not fit this heap. */
static void check_without_pdb(const char *dump)
{
    cor_target *t = open_with(dump, "");
    CHECK(t != NULL);
    if (!t) return;
    proc_heaps hs;
    cor_err err;
    CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
    CHECK_EQ_U(hs.layout_source, PROC_HEAP_LAYOUT_TABLE);
    CHECK(hs.layout && strstr(hs.layout, "Windows 10 1809+") && strstr(hs.layout, "x64"));
    CHECK_STR(hs.layout_note, "");
    CHECK_EQ_U(hs.n, 1);
    if (hs.n == 1) {
        CHECK(hs.heaps[0].kind != PROC_HEAP_NT);
        CHECK(!hs.heaps[0].has_counters && !hs.heaps[0].nsegments);
    }
    proc_heaps_free(&hs);
    char *out = heap_summary(t);
    char line[512];
    CHECK(out && built_line(out, "_HEAP layout: table for Windows 10 1809+", line, sizeof line));
    CHECK(out && strstr(out, "0xeeffeeff is not where this Windows release keeps it"));
    free(out);
    target_close(t);
}

/* A PDB whose _HEAP has no FreeLists: the table, and a note saying why. */
static void check_unusable_pdb(void)
{
    built_image b;
    int rc = build_ntdll(&b, "-DFREE_LISTS=FreeListsRenamed");
    CHECK(rc == 0);
    if (rc != 0) {
        built_image_cleanup(&b, NULL);
        return;
    }
    char *dump = write_dump(&b);
    CHECK(dump != NULL);
    cor_target *t = dump ? open_with(dump, b.dir) : NULL;
    CHECK(t != NULL);
    if (t) {
        proc_heaps hs;
        cor_err err;
        CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
        CHECK_EQ_U(hs.layout_source, PROC_HEAP_LAYOUT_TABLE);
        CHECK_STR(hs.layout_note, "_HEAP has no member FreeLists");
        CHECK(hs.n == 1 && hs.heaps[0].kind != PROC_HEAP_NT);
        proc_heaps_free(&hs);
        char *out = heap_summary(t);
        char line[512];
        CHECK(out && built_line(out, "ntdll's PDB not used for the layout: _HEAP has no member FreeLists", line,
                                sizeof line));
        free(out);
        target_close(t);
    }
    built_image_cleanup(&b, dump);
    free(dump);
}

int main(void)
{
    built_image b;
    int rc = build_ntdll(&b, "");
    if (rc == 77) {
        built_image_cleanup(&b, NULL);
        return 77;
    }
    CHECK(rc == 0);
    char *dump = rc == 0 ? write_dump(&b) : NULL;
    CHECK(dump != NULL);
    if (dump) {
        check_with_pdb(&b, dump);
        check_without_pdb(dump);
    }
    built_image_cleanup(&b, dump);
    free(dump);
    check_unusable_pdb();
    TEST_DONE();
}
