/* Where an NT heap keeps what the heap reader (heaps.c) decodes: byte
 * offsets into _HEAP_SEGMENT, _HEAP and _HEAP_COUNTERS. They come either
 * from heaps.c's table per Windows release, or from the types in ntdll's
 * PDB (heap_layout_pdb.c). Private to src/process. */
#ifndef COR_PROCESS_HEAP_LAYOUT_H
#define COR_PROCESS_HEAP_LAYOUT_H

#include <stdint.h>

/* _HEAP_SEGMENT, the first part of every _HEAP. */
typedef struct segment_layout {
    uint16_t signature, list_entry, heap, base_address, number_of_pages, uncommitted_pages, uncommitted_ranges;
} segment_layout;

/* _HEAP_COUNTERS, from the start of _HEAP.Counters: TotalMemoryReserved,
 * TotalMemoryCommitted, TotalSizeInVirtualBlocks (SIZE_T), TotalUCRs,
 * LockCollisions (ULONG). Every release in heaps.c's table shares one
 * (heaps.c); a PDB gives its own. */
typedef struct heap_counters_layout {
    uint16_t reserved, committed, virtual_bytes, ucrs, lock_collisions;
} heap_counters_layout;

/* _HEAP after the segment part. front_end_type and counters are 0 when
 * not known (nothing of interest lies at +0: the segment does). */
typedef struct heap_layout {
    const char *name;
    unsigned ptr_size;
    uint32_t major, minor, build_min, build_max; /* the table's rows: which releases */
    uint16_t flags, force_flags, signature, total_free_size, virtual_allocd_blocks, segment_list, free_lists;
    uint16_t front_end_type; /* FrontEndHeapType (UCHAR) */
    uint16_t counters;       /* _HEAP_COUNTERS */
} heap_layout;

#endif
