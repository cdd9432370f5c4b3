/* !heap and !heap -s [HEAP] over the process layer's heap reader
 * (process/heaps.h): the heaps the PEB lists, and for each what its header
 * says, in the columns of WinDbg's `!heap -s` summary table, followed by
 * each NT heap's segments. What the dump cannot show is printed as "-",
 * and a heap whose header is not an NT heap's (Wine's, one not in the
 * dump, a damaged one) says why, with the memory map's figures for its
 * allocation in place of the header's. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "process/heaps.h"

/* Addresses in the table: full width, no backtick (WinDbg's %p). */
static const char *addr_text(unsigned ps, uint64_t v, char *buf)
{
    if (ps == 4) snprintf(buf, 24, "%08" PRIx64, v & 0xFFFFFFFFu);
    else snprintf(buf, 24, "%016" PRIx64, v);
    return buf;
}

/* Kilobytes, or "-" when the value is not known. */
static const char *kb(bool known, uint64_t bytes, char *buf)
{
    if (!known) return "-";
    snprintf(buf, 24, "%" PRIu64, bytes / 1024);
    return buf;
}

static const char *num(bool known, uint64_t v, char *buf)
{
    if (!known) return "-";
    snprintf(buf, 24, "%" PRIu64, v);
    return buf;
}

static const char *front_end_name(int fe)
{
    switch (fe) {
    case 0: return "";
    case 1: return "Lookaside";
    case 2: return "LFH";
    default: return "-";
    }
}

static void rule(con_session *s, int width)
{
    for (int i = 0; i < width; i++) con_puts(s, "-");
    con_puts(s, "\n");
}

static void banner(con_session *s, const char *title)
{
    static const char stars[] = "*******************************************************************************"
                                "*********";
    con_printf(s, "%s\n%*s%s\n%s\n", stars, (int)(sizeof stars - 1 - strlen(title)) / 2, "", title, stars);
}

static bool selected(const proc_heap *h, bool one, uint64_t which) { return !one || h->addr == which; }

static void print_nt_table(con_session *s, const proc_heaps *hs, bool one, uint64_t which)
{
    int aw = hs->ptr_size == 4 ? 8 : 16;
    char a[24], b[8][24];
    /* The Heap label stops two columns short of the addresses, as WinDbg's does. */
    static const char head[] = "%*s   %8s %8s %7s %7s %7s %6s %6s %5s %7s   %s\n";
    con_printf(s, head, aw - 2, "Heap", "Flags", "Reserv", "Commit", "Virt", "Free", "List", "UCR", "Virt", "Lock",
               "Fast");
    con_printf(s, head, aw - 2, "", "", "(k)", "(k)", "(k)", "(k)", "length", "", "blocks", "cont.", "heap");
    rule(s, aw + 70);
    for (size_t i = 0; i < hs->n; i++) {
        const proc_heap *h = &hs->heaps[i];
        if (h->kind == PROC_HEAP_SEGMENT || !selected(h, one, which)) continue;
        bool nt = h->kind == PROC_HEAP_NT;
        char flags[16];
        if (h->has_flags) snprintf(flags, sizeof flags, "%08x", h->flags);
        else snprintf(flags, sizeof flags, "-");
        bool sized = h->sizes_from != NULL;
        con_printf(s, "%s %8s %8s %7s %7s %7s %6s %6s %5s %7s   %s\n", addr_text(hs->ptr_size, h->addr, a), flags,
                   kb(sized, h->reserved, b[0]), kb(sized, h->committed, b[1]),
                   kb(nt && h->has_counters, h->virtual_bytes, b[2]), kb(nt && h->has_free, h->free_bytes, b[3]),
                   num(nt && h->has_free_list, h->free_list_length, b[4]), num(nt && h->has_ucrs, h->ucrs, b[5]),
                   num(nt && h->has_virtual_blocks, h->virtual_blocks, b[6]),
                   num(nt && h->has_counters, h->lock_collisions, b[7]), nt ? front_end_name(h->front_end) : "-");
    }
    rule(s, aw + 70);
    /* Where the figures came from, when not all from the header's counters. */
    for (size_t i = 0; i < hs->n; i++) {
        const proc_heap *h = &hs->heaps[i];
        if (h->kind == PROC_HEAP_SEGMENT || !selected(h, one, which)) continue;
        addr_text(hs->ptr_size, h->addr, a);
        if (h->kind == PROC_HEAP_NT) {
            if (h->sizes_from && strcmp(h->sizes_from, "segments") == 0)
                con_printf(s, "%s: Reserv, Commit and UCR are its segments' sums (this release's counters are "
                              "not known); large VirtualAlloc blocks are not included\n", a);
            else if (h->sizes_from && strcmp(h->sizes_from, "memory map") == 0)
                con_printf(s, "%s: the counters and segments are not in the dump; Reserv and Commit are the memory "
                              "map's (the allocation at the heap's base)\n", a);
            else if (!h->sizes_from)
                con_printf(s, "%s: the counters and segments are not in the dump, nor is the memory map\n", a);
            continue;
        }
        if (h->kind == PROC_HEAP_WINE) con_printf(s, "%s: Wine heap: ", a);
        else con_printf(s, "%s: ", a);
        con_puts(s, h->why ? h->why : "not decoded");
        if (h->has_region)
            con_printf(s, "; Reserv and Commit are the memory map's (the allocation at the heap's base)\n");
        else
            con_printf(s, "; %s\n", hs->has_memory_info ? "the memory map has no allocation at that address"
                                                       : "the dump has no memory map (MemoryInfoList)");
    }
}

static void print_segments(con_session *s, const proc_heaps *hs, bool one, uint64_t which)
{
    int aw = hs->ptr_size == 4 ? 8 : 16;
    bool any = false;
    for (size_t i = 0; i < hs->n; i++)
        any |= hs->heaps[i].kind == PROC_HEAP_NT && hs->heaps[i].nsegments && selected(&hs->heaps[i], one, which);
    if (!any) return;
    char a[24], g[24], b[5][24];
    con_puts(s, "\nSegments: Reserv, Commit and UCR from each _HEAP_SEGMENT; Region: the memory map's figures (k)\n"
                "for the allocation at the segment\n");
    con_printf(s, "%*s %*s %8s %7s %5s %9s %7s\n", aw, "Heap", aw, "Segment", "Reserv", "Commit", "UCR", "Region",
               "Region");
    con_printf(s, "%*s %*s %8s %7s %5s %9s %7s\n", aw, "", aw, "", "(k)", "(k)", "", "reserv", "commit");
    rule(s, 2 * aw + 42);
    for (size_t i = 0; i < hs->n; i++) {
        const proc_heap *h = &hs->heaps[i];
        if (h->kind != PROC_HEAP_NT || !selected(h, one, which)) continue;
        for (size_t k = 0; k < h->nsegments; k++) {
            const proc_heap_segment *sg = &h->segments[k];
            con_printf(s, "%*s %s %8s %7s %5s %9s %7s\n", aw, k ? "" : addr_text(hs->ptr_size, h->addr, a),
                       addr_text(hs->ptr_size, sg->addr, g), kb(true, sg->reserved, b[0]),
                       kb(true, sg->committed, b[1]), num(true, sg->uncommitted_ranges, b[2]),
                       kb(sg->has_region, sg->region_reserved, b[3]), kb(sg->has_region, sg->region_committed, b[4]));
        }
        if (!h->segments_complete)
            con_printf(s, "%*s (the segment list goes on outside the dump)\n", aw, "");
    }
}

static void print_segment_heaps(con_session *s, const proc_heaps *hs, bool one, uint64_t which)
{
    bool any = false;
    for (size_t i = 0; i < hs->n; i++)
        any |= hs->heaps[i].kind == PROC_HEAP_SEGMENT && selected(&hs->heaps[i], one, which);
    if (!any) return;
    int aw = hs->ptr_size == 4 ? 8 : 16;
    char a[24], b[3][24];
    con_puts(s, "\n");
    banner(s, "SEGMENT HEAP STATS BELOW");
    con_printf(s, "%*s   %11s %8s %7s\n", aw - 2, "Heap", "GlobalFlags", "Reserv", "Commit");
    con_printf(s, "%*s   %11s %8s %7s\n", aw - 2, "", "", "(k)", "(k)");
    rule(s, aw + 30);
    for (size_t i = 0; i < hs->n; i++) {
        const proc_heap *h = &hs->heaps[i];
        if (h->kind != PROC_HEAP_SEGMENT || !selected(h, one, which)) continue;
        char flags[16];
        if (h->has_flags) snprintf(flags, sizeof flags, "%08x", h->flags);
        else snprintf(flags, sizeof flags, "-");
        con_printf(s, "%s %11s %8s %7s\n", addr_text(hs->ptr_size, h->addr, a), flags,
                   kb(h->has_region, h->region_reserved, b[0]), kb(h->has_region, h->region_committed, b[1]));
    }
    rule(s, aw + 30);
    con_puts(s, "Segment heaps are not decoded: Reserv and Commit are the memory map's (the allocation at the heap)\n");
}

/* What the PEB says, and where it falls short. */
static void print_source(con_session *s, const proc_heaps *hs)
{
    char a[24], b[24], c[24];
    con_printf(s, "%s at %s: NumberOfHeaps %u, ProcessHeaps %s, ProcessHeap %s\n", hs->wow64 ? "PEB32" : "PEB",
               addr_text(hs->ptr_size, hs->peb, a), hs->number_of_heaps, addr_text(hs->ptr_size, hs->process_heaps, b),
               addr_text(hs->ptr_size, hs->process_heap, c));
    size_t scanned = 0;
    for (size_t i = 0; i < hs->n; i++) scanned += hs->heaps[i].found_by_scan;
    if (!hs->array_read && hs->number_of_heaps)
        con_printf(s, "The ProcessHeaps array is not in the dump: listing ProcessHeap%s\n",
                   scanned ? " and the heaps found by their signature in the memory map" : " only");
    else if (!hs->number_of_heaps)
        con_puts(s, "The PEB lists no heaps (NumberOfHeaps 0): listing ProcessHeap only\n");
    if (hs->layout_source == PROC_HEAP_LAYOUT_PDB)
        con_printf(s, "_HEAP layout: %s (_HEAP, _HEAP_SEGMENT, _HEAP_COUNTERS from %s)\n", hs->layout, hs->layout_pdb);
    else if (hs->layout)
        con_printf(s, "_HEAP layout: table for %s\n", hs->layout);
    else
        con_puts(s, "_HEAP layout: none known for this Windows release and machine\n");
    if (hs->layout_note[0]) con_printf(s, "ntdll's PDB not used for the layout: %s\n", hs->layout_note);
}

static int heap_summary(con_session *s, const proc_heaps *hs, bool one, uint64_t which, cor_err *err)
{
    if (one) {
        bool found = false;
        for (size_t i = 0; i < hs->n && !found; i++) found = hs->heaps[i].addr == which;
        if (!found) {
            char a[24];
            return cor_fail(err, "%s is not one of the process's heaps", addr_text(hs->ptr_size, which, a));
        }
    }
    banner(s, "NT HEAP STATS BELOW");
    print_source(s, hs);
    print_nt_table(s, hs, one, which);
    print_segments(s, hs, one, which);
    print_segment_heaps(s, hs, one, which);
    return COR_OK;
}

/* !heap alone: the heaps and what kind each is. */
static void heap_list(con_session *s, const proc_heaps *hs)
{
    int aw = hs->ptr_size == 4 ? 8 : 16;
    char a[24];
    con_printf(s, "%*s  %s\n", aw, "Heap Address", "Kind");
    for (size_t i = 0; i < hs->n; i++) {
        const proc_heap *h = &hs->heaps[i];
        con_printf(s, "%s  %s%s%s\n", addr_text(hs->ptr_size, h->addr, a), proc_heap_kind_name(h->kind),
                   h->is_process_heap ? " (process heap)" : "", h->found_by_scan ? " (found by signature)" : "");
    }
}

int cmd_heap(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    bool summary = false, one = false;
    uint64_t which = 0;
    const char *p = args;
    while (*p == ' ') p++;
    if (strncmp(p, "-s", 2) == 0 && (p[2] == 0 || p[2] == ' ')) {
        summary = true;
        p += 2;
        while (*p == ' ') p++;
        if (*p) {
            const char *end;
            if (con_eval(s, p, &end, &which, err) != COR_OK) return COR_FAIL;
            while (*end == ' ') end++;
            if (*end) return cor_fail(err, "!heap -s takes one heap address, not '%s'", end);
            one = true;
        }
    } else if (*p) {
        return cor_fail(err, "only !heap and !heap -s [HEAP] are supported");
    }
    proc_heaps hs;
    if (proc_heaps_read(s->t, target_wow64_view(s->t), &hs, err) != COR_OK) return COR_FAIL;
    int rc = COR_OK;
    if (summary) rc = heap_summary(s, &hs, one, which, err);
    else heap_list(s, &hs);
    proc_heaps_free(&hs);
    return rc;
}
