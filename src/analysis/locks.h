/* Critical sections: found through the process-wide list their debug
 * records form (RTL_CRITICAL_SECTION_DEBUG.ProcessLocksList), through the
 * stacks of threads blocked entering one, and the loader lock from the
 * PEB; decoded as !locks and !cs show them. */
#ifndef COR_ANALYSIS_LOCKS_H
#define COR_ANALYSIS_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/target.h"

typedef struct an_cs {
    uint64_t addr;
    char symbol[320];        /* "app!g_lock" (or +0x10), "" when unnamed */
    uint64_t debug_info;     /* RTL_CRITICAL_SECTION_DEBUG, 0 or -1 when none */
    int32_t lock_count;      /* as stored */
    int32_t recursion_count;
    uint64_t owner_tid;      /* OwningThread: the owner's thread id */
    uint64_t lock_semaphore, spin_count;
    bool has_debug;
    uint32_t entry_count, contention_count; /* from the debug record */
    bool locked;
    /* Waiters counted from LockCount. Windows since Vista: bit 0 clear
     * when locked, bit 1 clear when a waiter was woken, waiters in the bits
     * above; NT 4-style (Wine, XP): -1 free, n >= 0 = n waiters. */
    int waiters;
    bool new_encoding;
    bool waiter_woken;
    bool is_loader_lock;     /* the PEB's LoaderLock */
    size_t owner_thread;     /* index of the owner in the thread list, or (size_t)-1 */
} an_cs;

typedef struct an_locks {
    an_cs *cs;               /* sorted by address */
    size_t count;
    size_t scanned;          /* critical sections examined */
    uint64_t loader_lock;    /* the PEB's LoaderLock, 0 when unknown */
} an_locks;

/* Reads the critical section at addr; false when the bytes there do not
 * look like one (DebugInfo that does not point back, impossible counts). */
bool an_read_cs(cor_target *t, uint64_t addr, an_cs *out);

/* Every critical section the dump reveals: the process lock list, plus
 * `extra` addresses (those threads wait on, found by the waits analysis). */
int an_find_locks(cor_target *t, const uint64_t *extra, size_t nextra, an_locks *out, cor_err *err);
void an_locks_free(an_locks *l);
/* The entry for addr, or NULL. */
const an_cs *an_locks_find(const an_locks *l, uint64_t addr);
/* The PEB's LoaderLock address, 0 when unreadable. */
uint64_t an_loader_lock(cor_target *t);

#endif
