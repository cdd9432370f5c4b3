/* The process's heaps (heaps.h): the PEB's list, each heap's header, its
 * segments, and the memory map's figures for its allocation. */
#include "process/heaps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/environment.h"
#include "process/heap_layout.h"
#include "process/heap_layout_pdb.h"

#define HEAP_SEGMENT_SIGNATURE 0xFFEEFFEEu /* _HEAP_SEGMENT.SegmentSignature */
#define NT_HEAP_SIGNATURE 0xEEFFEEFFu      /* _HEAP.Signature */
#define SEGMENT_HEAP_SIGNATURE 0xDDEEDDEEu /* _SEGMENT_HEAP.Signature */
/* Wine's struct heap (dlls/ntdll/heap.c) keeps a magic number, 'HEAP' in
 * memory order, a little after the fields it shares with Windows 10; its
 * offset moved between Wine releases as fields were added before it. */
#define WINE_HEAP_MAGIC 0x50414548u
#define WINE_MAGIC_WINDOW 0x60u
/* x86, x64 and ARM64 Windows use 4 KB pages; NumberOfPages counts them. */
#define PAGE_SIZE 0x1000u
/* MEMORY_BASIC_INFORMATION State and Type (winnt.h). */
#define MEM_COMMIT 0x1000u
#define MEM_RESERVE 0x2000u
#define MEM_PRIVATE 0x20000u
/* Bounds on what a damaged or partial dump can make us walk. */
#define MAX_HEAPS 1024u
#define MAX_SEGMENTS 4096u
#define MAX_LIST 1000000u
/* Budgets for one read of all heaps. The caps above are per heap and per
 * list: a hostile dump with MAX_HEAPS fake heaps, each with lists that
 * loop short of their head, made !heap -s follow two billion links (a
 * minute and more). Real processes stay far below: a few hundred thousand
 * free blocks at most, and a handful of segments per heap. */
#define MAX_LINKS_TOTAL (4 * MAX_LIST)
#define MAX_SEGMENTS_TOTAL MAX_SEGMENTS

/* _HEAP_SEGMENT, the first part of every _HEAP: the same on Windows 7
 * through 11 (public ntdll symbols, as the ntdiff/headers dumps of
 * Windows 7 SP1, 8.1, 10 1607/1709/1809 show them). The layouts' types
 * are in heap_layout.h; heap_layout_pdb.c builds them from ntdll's PDB
 * instead when its symbols are one. */
static const segment_layout segment64 = { 0x10, 0x18, 0x28, 0x30, 0x38, 0x50, 0x54 };
static const segment_layout segment32 = { 0x08, 0x10, 0x18, 0x1C, 0x20, 0x2C, 0x30 };

/* _HEAP after the segment part, per release. From the public symbols of
 * ntdll as the ntdiff/headers project dumps them (Win7_SP1, Win8.1_U1,
 * Win10_1607_RS1, Win10_1703_RS2, Win10_1709_RS3, Win10_1809_RS5: x64 and
 * x86), cross-checked with the Vergilius project's Windows 7 x64 _HEAP.
 * Windows 8.1 has no PointerKey, which moves Signature and all that
 * follows by 8 (x64) or 4 (x86) bytes against Windows 7. From 8.1 to 10
 * 1809 the fields up to FreeLists stayed put, while the front end and the
 * counters moved twice in Windows 10 (StackTraceInitVar in 1607,
 * CommitLimitData in 1809). So Windows 8 and the Windows 10 builds not
 * listed get those stable fields only (Windows 8 itself was not checked;
 * the Signature test guards every row), and front_end_type and counters 0.
 * The 1809+ rows also serve later builds: the x86 one decodes Firefox's
 * Windows 10 19041 dump in the corpus (tests/unit/test_heap.c).
 * build_max 0: no upper bound. */
static const heap_layout heap_layouts[] = {
    /* ptr major.minor builds: Flags ForceFlags Signature TotalFreeSize VirtualAllocdBlocks SegmentList FreeLists
     * FrontEndHeapType Counters */
    { "Windows 7 / Server 2008 R2 x64", 8, 6, 1, 0, 0,
      0x70, 0x74, 0xA0, 0xC8, 0x118, 0x128, 0x158, 0x182, 0x188 },
    { "Windows 8.1 / Server 2012 R2 x64", 8, 6, 3, 0, 0,
      0x70, 0x74, 0x98, 0xC0, 0x110, 0x120, 0x150, 0x17A, 0x210 },
    { "Windows 10 1607-1709 x64", 8, 10, 0, 14393, 16299,
      0x70, 0x74, 0x98, 0xC0, 0x110, 0x120, 0x150, 0x182, 0x218 },
    { "Windows 10 1809+ / 11 x64", 8, 10, 0, 17763, 0,
      0x70, 0x74, 0x98, 0xC0, 0x110, 0x120, 0x150, 0x1A2, 0x238 },
    { "Windows 8 x64 (front end and counters not known)", 8, 6, 2, 0, 0,
      0x70, 0x74, 0x98, 0xC0, 0x110, 0x120, 0x150, 0, 0 },
    { "Windows 10 x64 (front end and counters not known for this build)", 8, 10, 0, 0, 0,
      0x70, 0x74, 0x98, 0xC0, 0x110, 0x120, 0x150, 0, 0 },
    { "Windows 7 / Server 2008 R2 x86", 4, 6, 1, 0, 0,
      0x40, 0x44, 0x64, 0x78, 0xA0, 0xA8, 0xC4, 0xDA, 0xDC },
    { "Windows 8.1 / Server 2012 R2 x86", 4, 6, 3, 0, 0,
      0x40, 0x44, 0x60, 0x74, 0x9C, 0xA4, 0xC0, 0xD6, 0x1E0 },
    { "Windows 10 1809+ / 11 x86", 4, 10, 0, 17763, 0,
      0x40, 0x44, 0x60, 0x74, 0x9C, 0xA4, 0xC0, 0xEA, 0x1F4 },
    { "Windows 8 x86 (front end and counters not known)", 4, 6, 2, 0, 0,
      0x40, 0x44, 0x60, 0x74, 0x9C, 0xA4, 0xC0, 0, 0 },
    { "Windows 10 x86 (front end and counters not known for this build)", 4, 10, 0, 0, 0,
      0x40, 0x44, 0x60, 0x74, 0x9C, 0xA4, 0xC0, 0, 0 },
};

/* _HEAP_COUNTERS: SIZE_T TotalMemoryReserved, TotalMemoryCommitted,
 * TotalMemoryLargeUCR, TotalSizeInVirtualBlocks, then ULONG TotalSegments,
 * TotalUCRs, CommittOps, DeCommitOps, LockAcquires, LockCollisions. The
 * same start on every release above. */
static heap_counters_layout table_counters(unsigned ps)
{
    return (heap_counters_layout){ 0, (uint16_t)ps, (uint16_t)(3 * ps), (uint16_t)(4 * ps + 4),
                                   (uint16_t)(4 * ps + 0x14) };
}

/* _SEGMENT_HEAP: RTL_HP_ENV_HANDLE (two pointers), Signature, GlobalFlags. */
static unsigned segment_heap_flags_off(unsigned ps) { return ps == 8 ? 0x14 : 0x0C; }

const char *proc_heap_kind_name(proc_heap_kind kind)
{
    switch (kind) {
    case PROC_HEAP_NT: return "NT heap";
    case PROC_HEAP_SEGMENT: return "segment heap";
    case PROC_HEAP_WINE: return "Wine heap";
    case PROC_HEAP_UNKNOWN: return "unknown";
    case PROC_HEAP_UNREADABLE: return "not in the dump";
    }
    return "?";
}

static const heap_layout *find_layout(const md_system_info *si, unsigned ps)
{
    if (!si) return NULL;
    for (size_t i = 0; i < sizeof heap_layouts / sizeof heap_layouts[0]; i++) {
        const heap_layout *L = &heap_layouts[i];
        if (L->ptr_size != ps || L->major != si->major || L->minor != si->minor) continue;
        if (L->build_min && si->build < L->build_min) continue;
        if (L->build_max && si->build > L->build_max) continue;
        return L;
    }
    return NULL;
}

/* ---- reading ---- */

typedef struct reader {
    cor_target *t;
    unsigned ps;
    const segment_layout *seg;
    const heap_layout *layout;
    heap_counters_layout counters; /* within layout->counters */
    const md_memory_info *mi;
    size_t nmi;
    uint64_t mask; /* MemoryInfoList addresses of 32-bit dumps may be sign-extended */
    size_t links_left;    /* of MAX_LINKS_TOTAL */
    size_t segments_left; /* of MAX_SEGMENTS_TOTAL */
} reader;

static bool rd32(reader *r, uint64_t addr, uint32_t *v) { return as_read_u32(r->t->as, addr, v) == COR_OK; }
static bool rdptr(reader *r, uint64_t addr, uint64_t *v) { return as_read_ptr(r->t->as, addr, r->ps, v) == COR_OK; }

/* The memory map's reserved and committed bytes of the allocation whose
 * AllocationBase is base. */
static bool allocation_figures(reader *r, uint64_t base, uint64_t *reserved, uint64_t *committed)
{
    bool found = false;
    *reserved = *committed = 0;
    for (size_t i = 0; i < r->nmi; i++) {
        const md_memory_info *m = &r->mi[i];
        if ((m->allocation_base & r->mask) != base || !(m->state & (MEM_COMMIT | MEM_RESERVE))) continue;
        found = true;
        *reserved += m->region_size;
        if (m->state == MEM_COMMIT) *committed += m->region_size;
    }
    return found;
}

/* Counts a LIST_ENTRY list's entries. False when a link is not in the
 * dump, or the list does not come back to its head within max entries
 * or the reader's budget. */
static bool list_count(reader *r, uint64_t head, size_t max, size_t *count)
{
    uint64_t p;
    if (!rdptr(r, head, &p)) return false;
    size_t n = 0;
    while (p != head) {
        if (!p || ++n > max || !r->links_left || !rdptr(r, p, &p)) return false;
        r->links_left--;
    }
    *count = n;
    return true;
}

static int add_segment(proc_heap *h, const proc_heap_segment *s, size_t *cap)
{
    if (h->nsegments == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        proc_heap_segment *p = realloc(h->segments, ncap * sizeof *p);
        if (!p) return COR_FAIL;
        h->segments = p;
        *cap = ncap;
    }
    h->segments[h->nsegments++] = *s;
    return COR_OK;
}

/* Follows _HEAP.SegmentList through each _HEAP_SEGMENT.SegmentListEntry. */
static int read_segments(reader *r, proc_heap *h)
{
    const segment_layout *S = r->seg;
    uint64_t head = h->addr + r->layout->segment_list, link;
    size_t cap = 0;
    if (!rdptr(r, head, &link)) return COR_OK;
    while (link != head && link && h->nsegments < MAX_SEGMENTS && r->segments_left) {
        r->segments_left--;
        proc_heap_segment s = { .addr = link - S->list_entry };
        uint32_t sig, pages, uncommitted;
        if (!rd32(r, s.addr + S->signature, &sig) || sig != HEAP_SEGMENT_SIGNATURE ||
            !rd32(r, s.addr + S->number_of_pages, &pages) || !rd32(r, s.addr + S->uncommitted_pages, &uncommitted) ||
            !rd32(r, s.addr + S->uncommitted_ranges, &s.uncommitted_ranges) ||
            !rdptr(r, s.addr + S->base_address, &s.base))
            return COR_OK;
        s.reserved = (uint64_t)pages * PAGE_SIZE;
        s.committed = uncommitted <= pages ? (uint64_t)(pages - uncommitted) * PAGE_SIZE : 0;
        s.has_region = allocation_figures(r, s.addr, &s.region_reserved, &s.region_committed);
        if (add_segment(h, &s, &cap) != COR_OK) return COR_FAIL;
        if (!rdptr(r, link, &link)) return COR_OK;
    }
    h->segments_complete = link == head;
    return COR_OK;
}

static int decode_nt(reader *r, proc_heap *h)
{
    const heap_layout *L = r->layout;
    unsigned ps = r->ps;
    h->kind = PROC_HEAP_NT;
    h->has_flags = rd32(r, h->addr + L->flags, &h->flags) && rd32(r, h->addr + L->force_flags, &h->force_flags);
    uint64_t total_free;
    if (rdptr(r, h->addr + L->total_free_size, &total_free)) {
        h->has_free = true;
        h->free_bytes = total_free * (ps == 8 ? 16 : 8); /* in _HEAP_ENTRY units */
    }
    h->has_virtual_blocks = list_count(r, h->addr + L->virtual_allocd_blocks, MAX_LIST, &h->virtual_blocks);
    h->has_free_list = list_count(r, h->addr + L->free_lists, MAX_LIST, &h->free_list_length);
    h->front_end = -1;
    uint8_t fe;
    if (L->front_end_type && as_read_u8(r->t->as, h->addr + L->front_end_type, &fe) == COR_OK && fe <= 2)
        h->front_end = fe;
    if (read_segments(r, h) != COR_OK) return COR_FAIL;

    uint64_t c = h->addr + L->counters, res, com, virt;
    uint32_t ucrs, locks;
    const heap_counters_layout C = r->counters;
    if (L->counters && rdptr(r, c + C.reserved, &res) && rdptr(r, c + C.committed, &com) &&
        rdptr(r, c + C.virtual_bytes, &virt) && rd32(r, c + C.ucrs, &ucrs) && rd32(r, c + C.lock_collisions, &locks)) {
        h->has_counters = true;
        h->reserved = res;
        h->committed = com;
        h->virtual_bytes = virt;
        h->lock_collisions = locks;
        h->has_ucrs = true;
        h->ucrs = ucrs;
        h->sizes_from = "counters";
    } else if (h->nsegments && h->segments_complete) {
        for (size_t i = 0; i < h->nsegments; i++) {
            h->reserved += h->segments[i].reserved;
            h->committed += h->segments[i].committed;
            h->ucrs += h->segments[i].uncommitted_ranges;
        }
        h->has_ucrs = true;
        h->sizes_from = "segments";
    }
    return COR_OK;
}

/* Wine's heap: the Windows-compatible start, then 'HEAP' within a few
 * dozen bytes after ForceFlags. */
static bool looks_like_wine(reader *r, uint64_t addr)
{
    unsigned force = r->ps == 8 ? 0x74 : 0x44;
    for (unsigned off = force + 4; off < force + 4 + WINE_MAGIC_WINDOW; off += 4) {
        uint32_t v;
        if (rd32(r, addr + off, &v) && v == WINE_HEAP_MAGIC) return true;
    }
    return false;
}

static int inspect_heap(reader *r, proc_heap *h)
{
    h->has_region = allocation_figures(r, h->addr, &h->region_reserved, &h->region_committed);
    h->front_end = -1;
    uint32_t sig;
    if (!rd32(r, h->addr + r->seg->signature, &sig)) {
        h->kind = PROC_HEAP_UNREADABLE;
        h->why = "the heap's header is not in the dump";
    } else if (sig == SEGMENT_HEAP_SIGNATURE) {
        h->kind = PROC_HEAP_SEGMENT;
        h->has_flags = rd32(r, h->addr + segment_heap_flags_off(r->ps), &h->flags);
    } else if (sig != HEAP_SEGMENT_SIGNATURE) {
        h->kind = PROC_HEAP_UNKNOWN;
        h->why = "no heap signature (0xffeeffee or 0xddeeddee) at the heap's start";
    } else {
        uint32_t nt_sig;
        if (r->layout && rd32(r, h->addr + r->layout->signature, &nt_sig) && nt_sig == NT_HEAP_SIGNATURE) {
            if (decode_nt(r, h) != COR_OK) return COR_FAIL;
        } else if (looks_like_wine(r, h->addr)) {
            /* Wine keeps Flags and ForceFlags where Windows 10 has them. */
            h->kind = PROC_HEAP_WINE;
            unsigned flags = r->ps == 8 ? 0x70 : 0x40;
            h->has_flags = rd32(r, h->addr + flags, &h->flags) && rd32(r, h->addr + flags + 4, &h->force_flags);
            h->why = "after Flags and ForceFlags its layout is Wine's own (dlls/ntdll/heap.c), not decoded";
        } else {
            h->kind = PROC_HEAP_UNKNOWN;
            h->why = !r->layout ? "no _HEAP layout is known for this Windows release and machine"
                     : strcmp(r->layout->name, HEAP_LAYOUT_PDB_NAME) == 0
                         ? "the NT heap signature 0xeeffeeff is not where ntdll's PDB puts _HEAP.Signature"
                         : "the NT heap signature 0xeeffeeff is not where this Windows release keeps it";
        }
    }
    if (!h->sizes_from && h->has_region) {
        h->reserved = h->region_reserved;
        h->committed = h->region_committed;
        h->sizes_from = "memory map";
    }
    return COR_OK;
}

static bool listed(const proc_heaps *hs, uint64_t addr)
{
    for (size_t i = 0; i < hs->n; i++)
        if (hs->heaps[i].addr == addr) return true;
    return false;
}

static proc_heap *add_heap(proc_heaps *hs, size_t *cap, uint64_t addr)
{
    if (hs->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        proc_heap *p = realloc(hs->heaps, ncap * sizeof *p);
        if (!p) return NULL;
        hs->heaps = p;
        *cap = ncap;
    }
    proc_heap *h = &hs->heaps[hs->n++];
    memset(h, 0, sizeof *h);
    h->addr = addr;
    h->is_process_heap = addr == hs->process_heap;
    return h;
}

/* Without the ProcessHeaps array: private allocations whose first page
 * holds a heap's own header (an NT heap's first segment names the heap
 * itself; a segment heap's signature). */
static int scan_heaps(reader *r, proc_heaps *hs, size_t *cap)
{
    for (size_t i = 0; i < r->nmi && hs->n < MAX_HEAPS; i++) {
        const md_memory_info *m = &r->mi[i];
        uint64_t base = m->base & r->mask;
        if (base != (m->allocation_base & r->mask) || m->state != MEM_COMMIT || m->type != MEM_PRIVATE) continue;
        if (listed(hs, base)) continue;
        uint32_t sig;
        uint64_t self;
        if (!rd32(r, base + r->seg->signature, &sig)) continue;
        bool nt = sig == HEAP_SEGMENT_SIGNATURE && rdptr(r, base + r->seg->heap, &self) && self == base;
        if (!nt && sig != SEGMENT_HEAP_SIGNATURE) continue;
        proc_heap *h = add_heap(hs, cap, base);
        if (!h) return COR_FAIL;
        h->found_by_scan = true;
    }
    return COR_OK;
}

int proc_heaps_read(cor_target *t, bool prefer32, proc_heaps *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    proc_peb peb;
    if (proc_read_peb(t, prefer32, &peb, err) != COR_OK) return COR_FAIL;
    out->peb = peb.addr;
    out->ptr_size = peb.ptr_size;
    out->wow64 = peb.wow64;
    out->number_of_heaps = peb.number_of_heaps;
    out->process_heaps = peb.process_heaps;
    out->process_heap = peb.process_heap;
    proc_peb_free(&peb);

    reader r = { .t = t, .ps = out->ptr_size, .seg = out->ptr_size == 8 ? &segment64 : &segment32,
                 .links_left = MAX_LINKS_TOTAL, .segments_left = MAX_SEGMENTS_TOTAL };
    /* ntdll's own types when its PDB is loaded; else the table, whose
     * layouts are those of x86 and x64 ntdll (ARM64's are not in it). */
    heap_pdb_layout pl;
    cor_err perr;
    heap_pdb_result pr = heap_layout_from_pdb(t, r.ps, &pl, &perr);
    if (pr == HEAP_PDB_BUILT) {
        r.seg = &pl.seg;
        r.layout = &pl.heap;
        r.counters = pl.counters;
        out->layout_source = PROC_HEAP_LAYOUT_PDB;
        snprintf(out->layout_pdb, sizeof out->layout_pdb, "%s", pl.pdb);
    } else {
        if (pr == HEAP_PDB_UNUSABLE) snprintf(out->layout_note, sizeof out->layout_note, "%s", perr.msg);
        if (out->ptr_size == 4 || t->arch == MD_ARCH_AMD64) r.layout = find_layout(md_get_system_info(t->dump), r.ps);
        if (r.layout) out->layout_source = PROC_HEAP_LAYOUT_TABLE;
        r.counters = table_counters(r.ps);
    }
    out->layout = r.layout ? r.layout->name : NULL;
    r.mask = t->ptr_size == 4 ? 0xFFFFFFFFu : UINT64_MAX;
    cor_err e;
    if (md_memory_infos(t->dump, &r.mi, &r.nmi, &e) != COR_OK) r.nmi = 0;
    out->has_memory_info = r.nmi > 0;

    size_t cap = 0;
    uint32_t n = out->number_of_heaps < MAX_HEAPS ? out->number_of_heaps : MAX_HEAPS;
    out->array_read = out->process_heaps != 0;
    for (uint32_t k = 0; k < n && out->array_read; k++) {
        uint64_t addr;
        if (!rdptr(&r, out->process_heaps + (uint64_t)k * r.ps, &addr)) {
            out->array_read = false;
            break;
        }
        if (!addr || listed(out, addr)) continue;
        proc_heap *h = add_heap(out, &cap, addr);
        if (!h) goto oom;
        h->from_array = true;
    }
    if (!out->array_read) {
        /* Keep none of a partly read array: the scan below finds them again. */
        out->n = 0;
    }
    if (out->process_heap && !listed(out, out->process_heap) && !add_heap(out, &cap, out->process_heap)) goto oom;
    if (!out->array_read && out->number_of_heaps > 1 && scan_heaps(&r, out, &cap) != COR_OK) goto oom;

    for (size_t i = 0; i < out->n; i++)
        if (inspect_heap(&r, &out->heaps[i]) != COR_OK) goto oom;
    return COR_OK;
oom:
    proc_heaps_free(out);
    return cor_fail(err, "out of memory reading the heaps");
}

void proc_heaps_free(proc_heaps *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) free(h->heaps[i].segments);
    free(h->heaps);
    memset(h, 0, sizeof *h);
}
