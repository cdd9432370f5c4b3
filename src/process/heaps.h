/* The process's heaps, as far as a dump shows them without ntdll's types,
 * and exactly when ntdll's PDB is on the symbol path: the list the PEB
 * keeps (NumberOfHeaps, ProcessHeaps, ProcessHeap), and for each heap what
 * its header says.
 *
 * An NT heap (_HEAP) opens with a _HEAP_SEGMENT whose SegmentSignature is
 * 0xFFEEFFEE, and holds its own Signature 0xEEFFEEFF further on; the
 * fields after the segment part moved between Windows releases, so their
 * offsets come from the _HEAP, _HEAP_SEGMENT and _HEAP_COUNTERS types of
 * ntdll's PDB when its symbols are one (heap_layout_pdb.h), else from a
 * table per release and machine (heaps.c). A Windows 10 segment heap
 * (_SEGMENT_HEAP) has Signature 0xDDEEDDEE where the NT heap has its
 * SegmentSignature. Wine's heap copies only the start of the Windows 10
 * layout (SegmentSignature, Flags, ForceFlags); it is named as such and
 * not decoded further.
 *
 * Whatever the header says, each heap also gets the memory map's figures:
 * the reserved and committed bytes of the allocation that starts at its
 * base (MemoryInfoList entries grouped by AllocationBase). */
#ifndef COR_PROCESS_HEAPS_H
#define COR_PROCESS_HEAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"

typedef enum {
    PROC_HEAP_NT,          /* _HEAP validated (both signatures): decoded */
    PROC_HEAP_SEGMENT,     /* _SEGMENT_HEAP (signature 0xDDEEDDEE): flags only */
    PROC_HEAP_WINE,        /* Wine's heap: segment signature, flags, Wine's "HEAP" magic */
    PROC_HEAP_UNKNOWN,     /* readable, but not a heap header this reader knows (see why) */
    PROC_HEAP_UNREADABLE,  /* the header is not in the dump */
} proc_heap_kind;

/* One _HEAP_SEGMENT of an NT heap (the heap's own first segment included). */
typedef struct proc_heap_segment {
    uint64_t addr;                 /* the _HEAP_SEGMENT */
    uint64_t base;                 /* BaseAddress */
    uint64_t reserved, committed;  /* NumberOfPages, less NumberOfUnCommittedPages, in bytes */
    uint32_t uncommitted_ranges;   /* NumberOfUnCommittedRanges */
    bool has_region;               /* the memory map's figures for the allocation at addr */
    uint64_t region_reserved, region_committed;
} proc_heap_segment;

typedef struct proc_heap {
    uint64_t addr;                 /* the heap handle: its base */
    bool is_process_heap;          /* PEB.ProcessHeap */
    bool from_array;               /* listed in PEB.ProcessHeaps */
    bool found_by_scan;            /* found by its signature (array not in the dump) */
    proc_heap_kind kind;
    const char *why;               /* for UNKNOWN and UNREADABLE: what is wrong */
    bool has_flags;
    uint32_t flags, force_flags;   /* _HEAP.Flags, ForceFlags (SEGMENT: GlobalFlags in flags) */

    /* PROC_HEAP_NT. Each has_ says whether the dump and the layout table allow the value. */
    bool has_counters;             /* _HEAP.Counters (the layout knows where they are) */
    uint64_t reserved, committed;  /* bytes: Counters, else the sum of the segments */
    const char *sizes_from;        /* "counters", "segments" or "memory map" */
    uint64_t virtual_bytes;        /* Counters.TotalSizeInVirtualBlocks */
    uint32_t lock_collisions;      /* Counters.LockCollisions */
    bool has_free;
    uint64_t free_bytes;           /* TotalFreeSize x the heap granularity */
    bool has_free_list;
    size_t free_list_length;       /* entries on FreeLists */
    bool has_ucrs;
    uint32_t ucrs;                 /* Counters.TotalUCRs, else the segments' sum */
    bool has_virtual_blocks;
    size_t virtual_blocks;         /* entries on VirtualAllocdBlocks */
    int front_end;                 /* FrontEndHeapType: 0 none, 1 lookaside, 2 LFH; -1 not known */
    proc_heap_segment *segments;
    size_t nsegments;
    bool segments_complete;        /* the segment list was followed back to its head */

    /* The memory map: the allocation that starts at addr. */
    bool has_region;
    uint64_t region_reserved, region_committed;
} proc_heap;

/* Where the _HEAP layout came from. */
typedef enum {
    PROC_HEAP_LAYOUT_NONE,  /* none known: NT heaps are not decoded */
    PROC_HEAP_LAYOUT_TABLE, /* heaps.c's table for the dump's Windows release */
    PROC_HEAP_LAYOUT_PDB,   /* the types in ntdll's PDB (heap_layout_pdb.h) */
} proc_heap_layout_source;

typedef struct proc_heaps {
    uint64_t peb;
    unsigned ptr_size;             /* 8, or 4 for x86 and WoW64's 32-bit heaps */
    bool wow64;                    /* the 32-bit heaps of a WoW64 process */
    uint32_t number_of_heaps;      /* PEB.NumberOfHeaps */
    uint64_t process_heaps;        /* PEB.ProcessHeaps: the array's address */
    uint64_t process_heap;         /* PEB.ProcessHeap */
    bool array_read;               /* the array's NumberOfHeaps entries were in the dump */
    bool has_memory_info;          /* the dump has MemoryInfoList */
    const char *layout;            /* the _HEAP layout used ("Windows 10 1809+ x64", "ntdll.pdb types"), or NULL */
    proc_heap_layout_source layout_source;
    char layout_pdb[512];          /* PROC_HEAP_LAYOUT_PDB: the PDB the types came from */
    char layout_note[512];         /* why ntdll's PDB was not used though loaded ("" when not so) */
    proc_heap *heaps;              /* PEB order, then the process heap if the array lacks it, then scanned */
    size_t n;
} proc_heaps;

/* Reads the heaps of t's process: the 32-bit ones when prefer32 and the
 * dump is of a WoW64 process. Fails when the PEB is not in the dump. */
int proc_heaps_read(cor_target *t, bool prefer32, proc_heaps *out, cor_err *err);
void proc_heaps_free(proc_heaps *h);

/* "NT heap", "segment heap", "Wine heap", ... */
const char *proc_heap_kind_name(proc_heap_kind kind);

#endif
