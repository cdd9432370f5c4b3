/* The NT heap layout from ntdll's own types: when ntdll.dll's symbols are
 * a PDB whose type stream (TPI) holds _HEAP, _HEAP_SEGMENT and
 * _HEAP_COUNTERS, as Microsoft's public ntdll.pdb does, the offsets the
 * heap reader needs are those of their members, found by name. This is
 * what WinDbg's !heap reads, and it is right for every release, where the
 * table in heaps.c knows only the releases it lists. Private to
 * src/process. */
#ifndef COR_PROCESS_HEAP_LAYOUT_PDB_H
#define COR_PROCESS_HEAP_LAYOUT_PDB_H

#include "core/error.h"
#include "process/heap_layout.h"
#include "target/target.h"

#define HEAP_LAYOUT_PDB_NAME "ntdll.pdb types"

typedef struct heap_pdb_layout {
    segment_layout seg;
    heap_counters_layout counters; /* when heap.counters is not 0 */
    heap_layout heap;              /* name HEAP_LAYOUT_PDB_NAME */
    char pdb[512];    /* the PDB the types came from */
} heap_pdb_layout;

typedef enum heap_pdb_result {
    HEAP_PDB_NONE,     /* no ntdll.dll of this pointer width has a PDB for its symbols */
    HEAP_PDB_BUILT,    /* *out holds the layout */
    HEAP_PDB_UNUSABLE, /* ntdll's PDB lacks a type or member, or one is not as expected: err says which */
} heap_pdb_result;

/* Builds the layout for heaps of ptr_size-byte pointers (4: x86 and
 * WoW64's 32-bit heaps) from the PDB of the dump's ntdll.dll, loading its
 * symbols if they are still deferred. A WoW64 process has two ntdll.dll
 * modules; the one whose PDB's pointers are ptr_size wide is used. */
heap_pdb_result heap_layout_from_pdb(cor_target *t, unsigned ptr_size, heap_pdb_layout *out, cor_err *err);

#endif
