/* What each region of the process's address space is used for, as
 * WinDbg's !address classifies it: Free, Image, Heap, Stack, TEB, PEB,
 * Other (user shared data, NLS tables, CSR shared memory, activation
 * context data, the GDI handle table) and <unknown> for busy memory that
 * fits none of those.
 *
 * The regions come from the MemoryInfoList stream (VirtualQuery's view:
 * every region, free ones included). A dump written without it
 * (MiniDumpWithFullMemoryInfo) gets a best-effort map instead: the module
 * images and the memory ranges the dump captured; what lies between them
 * is not known, so such a map has no free regions.
 *
 * Classification, first match wins:
 *   Image  MEM_IMAGE, or inside a module of the module list
 *   PEB    the PEB's page (both PEBs of a WoW64 process)
 *   TEB    each thread's TEB: two pages on 64-bit targets, one on 32-bit
 *          ones and for WoW64's 32-bit TEB
 *   Stack  the regions of a thread's stack reservation: the allocation
 *          starting at the TEB's DeallocationStack, or (TEB not in the
 *          dump) the allocation holding the stack the thread list records
 *   Heap   the allocation of each heap in the PEB's ProcessHeaps array
 *          (and of ProcessHeap, when the array is not in the dump),
 *          and allocations that open with a heap segment signature
 *          (0xffeeffee, or 0xddeeddee for segment heaps) when the dump
 *          holds their first page; best effort: large blocks a heap
 *          allocated with VirtualAlloc stay <unknown>
 *   Other  KUSER_SHARED_DATA (0x7ffe0000) and the allocations the PEB
 *          points to (ReadOnlySharedMemoryBase, the code page and case
 *          tables, activation context data, GdiSharedHandleTable) */
#ifndef COR_PROCESS_ADDRESS_USAGE_H
#define COR_PROCESS_ADDRESS_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"

/* MEMORY_BASIC_INFORMATION's State, Type and Protect values (winnt.h). */
enum {
    PROC_MEM_COMMIT = 0x1000,
    PROC_MEM_RESERVE = 0x2000,
    PROC_MEM_FREE = 0x10000,
    PROC_MEM_PRIVATE = 0x20000,
    PROC_MEM_MAPPED = 0x40000,
    PROC_MEM_IMAGE = 0x1000000,
};

/* In the order WinDbg lists them when sizes tie. */
enum {
    PROC_USAGE_FREE,
    PROC_USAGE_UNKNOWN, /* "<unknown>" */
    PROC_USAGE_IMAGE,
    PROC_USAGE_HEAP,
    PROC_USAGE_STACK,
    PROC_USAGE_OTHER,
    PROC_USAGE_TEB,
    PROC_USAGE_PEB,
    PROC_USAGE_COUNT
};

typedef struct proc_region {
    uint64_t base, size;
    uint64_t allocation_base;
    uint32_t allocation_protect;
    uint32_t state, protect, type; /* 0 when not known (map without MemoryInfoList) */
    int usage;                     /* PROC_USAGE_* */
    size_t thread;  /* Stack, TEB: the thread's index in the thread list; else (size_t)-1 */
    size_t module;  /* Image: index for md_module_at, or (size_t)-1 when no module holds it */
    uint64_t heap;  /* Heap: the heap's handle (its base), when known */
    const char *other; /* Other: what it is ("User Shared Data"); else NULL */
    /* The map cuts the PEB's page and each TEB's pages out of the region
     * that holds them, as WinDbg does (VirtualQuery merges them with their
     * neighbours when the protection is the same). true for the pieces
     * after the first of one region the dump lists. */
    bool continued;
} proc_region;

typedef struct proc_vm_map {
    proc_region *regions; /* sorted by base, not overlapping */
    size_t n;
    bool from_memory_info; /* false: built from module images and captured memory */
} proc_vm_map;

/* Builds the map of t's address space. Fails only when the dump's
 * MemoryInfoList is malformed, or out of memory. */
int proc_vm_build(cor_target *t, proc_vm_map *out, cor_err *err);
void proc_vm_free(proc_vm_map *m);
/* The region holding addr, or NULL. */
const proc_region *proc_vm_find(const proc_vm_map *m, uint64_t addr);

/* "Free", "Image", "<unknown>"... as WinDbg's Usage column shows them. */
const char *proc_usage_name(int usage);
/* "MEM_COMMIT", "MEM_PRIVATE"; NULL for a value that is not one. */
const char *proc_mem_state_name(uint32_t state);
const char *proc_mem_type_name(uint32_t type);
/* "PAGE_READWRITE|PAGE_GUARD"; a value with unknown bits is shown in hex. */
const char *proc_protect_name(uint32_t protect, char *buf, size_t size);

#endif
