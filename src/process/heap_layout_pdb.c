/* The NT heap layout from the types in ntdll's PDB (heap_layout_pdb.h).
 *
 * Every offset is a member's, looked up by name, and checked before use:
 * the member must be a whole field (not a bitfield) of the size the heap
 * reader reads there (ULONG 4, SIZE_T and pointers the heap's pointer
 * width, LIST_ENTRY two pointers, UCHAR 1), and lie inside its struct.
 *
 * MSVC lists the members of an anonymous union or struct in the enclosing
 * struct's own field list, at their offsets in it, and so does clang's
 * CodeView writer: Windows 8's _HEAP opens with a union of `Segment` and
 * the segment's fields, and `dt ntdll!_HEAP` shows both Segment and
 * SegmentSignature. A lookup by name over the struct's members therefore
 * finds the fields of such unions too. */
#include "process/heap_layout_pdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sym/pdb/pdb.h"
#include "sym/resolver.h"

/* One struct's members, as the PDB lists them. */
typedef struct pdb_struct {
    const char *name;
    uint64_t size;
    pdb_member *m;
    size_t n;
} pdb_struct;

static int struct_load(pdb_types *ty, const char *name, pdb_struct *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    out->name = name;
    uint32_t ti = pdb_type_find(ty, name);
    pdb_type t;
    if (!ti || pdb_type_get(ty, ti, &t) != COR_OK) return cor_fail(err, "no type %s", name);
    if (t.kind != PDB_TYPE_STRUCT && t.kind != PDB_TYPE_CLASS) return cor_fail(err, "%s is not a struct", name);
    out->size = t.size;
    return pdb_type_members(ty, ti, &out->m, &out->n, err);
}

static const pdb_member *member(const pdb_struct *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->m[i].kind == PDB_MEMBER_FIELD && strcmp(s->m[i].name, name) == 0) return &s->m[i];
    return NULL;
}

/* The offset of s's member name into *off: the member must be a field of
 * size bytes inside s, at an offset a uint16_t holds. */
static int field_at(pdb_types *ty, const pdb_struct *s, const char *name, uint64_t size, uint16_t *off,
                    cor_err *err)
{
    const pdb_member *m = member(s, name);
    if (!m) return cor_fail(err, "%s has no member %s", s->name, name);
    pdb_type t;
    if (pdb_type_get(ty, pdb_type_strip(ty, m->type), &t) == COR_OK && t.kind == PDB_TYPE_BITFIELD)
        return cor_fail(err, "%s.%s is a bitfield", s->name, name);
    /* The width given for pointers whose record leaves it open: none, so
     * such a pointer never passes for one of the expected width. */
    uint64_t got = pdb_type_size(ty, m->type, 0);
    if (got != size)
        return cor_fail(err, "%s.%s is %llu bytes, not %llu", s->name, name, (unsigned long long)got,
                        (unsigned long long)size);
    if (m->offset > s->size || size > s->size - m->offset || m->offset > UINT16_MAX)
        return cor_fail(err, "%s.%s at +0x%llx lies outside the struct's %llu bytes", s->name, name,
                        (unsigned long long)m->offset, (unsigned long long)s->size);
    *off = (uint16_t)m->offset;
    return COR_OK;
}

/* The heap's pointer width as the PDB has it: _HEAP_SEGMENT.Heap, a
 * pointer, else half its SegmentListEntry. 0 when neither says. */
static unsigned pdb_ptr_width(pdb_types *ty, const pdb_struct *seg)
{
    const pdb_member *m = member(seg, "Heap");
    uint64_t w = m ? pdb_type_size(ty, m->type, 0) : 0;
    if (w == 4 || w == 8) return (unsigned)w;
    m = member(seg, "SegmentListEntry");
    w = m ? pdb_type_size(ty, m->type, 0) / 2 : 0;
    return w == 4 || w == 8 ? (unsigned)w : 0;
}

/* _HEAP.Counters and the _HEAP_COUNTERS members the reader uses. Counters
 * are optional, as they are in the table: without them the reader sums
 * the segments, so a PDB whose counters are not as expected still gives
 * the rest of the layout. */
static void counters_layout(pdb_types *ty, const pdb_struct *heap, unsigned ps, heap_pdb_layout *out)
{
    const pdb_member *c = member(heap, "Counters");
    pdb_struct cnt;
    cor_err e;
    heap_counters_layout *C = &out->counters;
    if (!c || c->offset == 0 || c->offset > UINT16_MAX || struct_load(ty, "_HEAP_COUNTERS", &cnt, &e) != COR_OK)
        return;
    bool ok = pdb_type_size(ty, c->type, 0) == cnt.size && c->offset <= heap->size &&
              cnt.size <= heap->size - c->offset &&
              field_at(ty, &cnt, "TotalMemoryReserved", ps, &C->reserved, &e) == COR_OK &&
              field_at(ty, &cnt, "TotalMemoryCommitted", ps, &C->committed, &e) == COR_OK &&
              field_at(ty, &cnt, "TotalSizeInVirtualBlocks", ps, &C->virtual_bytes, &e) == COR_OK &&
              field_at(ty, &cnt, "TotalUCRs", 4, &C->ucrs, &e) == COR_OK &&
              field_at(ty, &cnt, "LockCollisions", 4, &C->lock_collisions, &e) == COR_OK;
    free(cnt.m);
    if (!ok) return;
    out->heap.counters = (uint16_t)c->offset;
}

/* The whole layout from one PDB's types. *other_width when the PDB is
 * an ntdll of the other pointer width (WoW64's other ntdll). */
static int layout_from_types(pdb_types *ty, unsigned ps, heap_pdb_layout *out, bool *other_width, cor_err *err)
{
    memset(out, 0, sizeof *out);
    *other_width = false;
    pdb_struct seg = { 0 }, heap = { 0 };
    int rc = COR_FAIL;
    if (struct_load(ty, "_HEAP_SEGMENT", &seg, err) != COR_OK || struct_load(ty, "_HEAP", &heap, err) != COR_OK)
        goto out;
    unsigned width = pdb_ptr_width(ty, &seg);
    if (width != ps) {
        *other_width = width != 0;
        cor_fail(err, "_HEAP_SEGMENT's pointers are %u bytes wide, not %u", width, ps);
        goto out;
    }
    segment_layout *S = &out->seg;
    heap_layout *H = &out->heap;
    if (field_at(ty, &seg, "SegmentSignature", 4, &S->signature, err) != COR_OK ||
        field_at(ty, &seg, "SegmentListEntry", 2 * ps, &S->list_entry, err) != COR_OK ||
        field_at(ty, &seg, "Heap", ps, &S->heap, err) != COR_OK ||
        field_at(ty, &seg, "BaseAddress", ps, &S->base_address, err) != COR_OK ||
        field_at(ty, &seg, "NumberOfPages", 4, &S->number_of_pages, err) != COR_OK ||
        field_at(ty, &seg, "NumberOfUnCommittedPages", 4, &S->uncommitted_pages, err) != COR_OK ||
        field_at(ty, &seg, "NumberOfUnCommittedRanges", 4, &S->uncommitted_ranges, err) != COR_OK)
        goto out;
    /* The reader finds a heap's segment part at the heap's own address: a
     * _HEAP must open with its _HEAP_SEGMENT, as a member Segment at +0
     * (Windows 8 and later) or as the segment's fields themselves
     * (Windows 7). */
    const pdb_member *own_seg = member(&heap, "Segment"), *own_sig = member(&heap, "SegmentSignature");
    if ((!own_seg && !own_sig) || (own_seg && own_seg->offset != 0) || (own_sig && own_sig->offset != S->signature)) {
        cor_fail(err, "_HEAP does not open with its _HEAP_SEGMENT");
        goto out;
    }
    if (field_at(ty, &heap, "Flags", 4, &H->flags, err) != COR_OK ||
        field_at(ty, &heap, "ForceFlags", 4, &H->force_flags, err) != COR_OK ||
        field_at(ty, &heap, "Signature", 4, &H->signature, err) != COR_OK ||
        field_at(ty, &heap, "TotalFreeSize", ps, &H->total_free_size, err) != COR_OK ||
        field_at(ty, &heap, "VirtualAllocdBlocks", 2 * ps, &H->virtual_allocd_blocks, err) != COR_OK ||
        field_at(ty, &heap, "SegmentList", 2 * ps, &H->segment_list, err) != COR_OK ||
        field_at(ty, &heap, "FreeLists", 2 * ps, &H->free_lists, err) != COR_OK)
        goto out;
    /* FrontEndHeapType is optional, as in the table (0: not known). */
    cor_err e;
    if (field_at(ty, &heap, "FrontEndHeapType", 1, &H->front_end_type, &e) != COR_OK) H->front_end_type = 0;
    counters_layout(ty, &heap, ps, out);
    H->name = HEAP_LAYOUT_PDB_NAME;
    H->ptr_size = ps;
    rc = COR_OK;
out:
    free(seg.m);
    free(heap.m);
    return rc;
}

heap_pdb_result heap_layout_from_pdb(cor_target *t, unsigned ptr_size, heap_pdb_layout *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    if (!t->syms) return HEAP_PDB_NONE;
    heap_pdb_result res = HEAP_PDB_NONE;
    for (size_t i = 0; i < md_module_count(t->dump); i++) {
        const md_module *m = md_module_at(t->dump, i);
        if (strcasecmp(m->name, "ntdll.dll") != 0) continue;
        /* A 32-bit ntdll lies below 4 GB; this spares loading the 64-bit
         * one's symbols for a WoW64 process's 32-bit heaps. */
        if (ptr_size == 4 && (m->base > UINT32_MAX || m->base + m->size > 0x100000000ull)) continue;
        if (sym_module_load(t->syms, i) != SYM_STATE_LOADED) continue;
        const sym_source *src = sym_module_source(t->syms, i);
        pdb_file *p = pdb_source_file(src);
        if (!p) continue;
        pdb_types *ty;
        cor_err e;
        bool other_width = false;
        if (pdb_types_open(p, &ty, &e) == COR_OK) {
            int rc = layout_from_types(ty, ptr_size, out, &other_width, &e);
            pdb_types_close(ty);
            if (rc == COR_OK) {
                snprintf(out->pdb, sizeof out->pdb, "%s", src->origin ? src->origin : "ntdll.pdb");
                return HEAP_PDB_BUILT;
            }
        }
        if (!other_width) {
            res = HEAP_PDB_UNUSABLE;
            cor_fail(err, "%s", e.msg);
        }
    }
    return res;
}
