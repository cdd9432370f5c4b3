/* Critical sections from the dump's memory. Layouts (winnt.h):
 * RTL_CRITICAL_SECTION { DebugInfo; LONG LockCount; LONG RecursionCount;
 *   HANDLE OwningThread; HANDLE LockSemaphore; ULONG_PTR SpinCount; }
 * RTL_CRITICAL_SECTION_DEBUG { WORD Type; WORD CreatorBackTraceIndex;
 *   CriticalSection; LIST_ENTRY ProcessLocksList; DWORD EntryCount;
 *   DWORD ContentionCount; ... }
 * OwningThread holds the owner's thread id, not a handle. */
#include "analysis/locks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/environment.h"
#include "sym/resolver.h"

/* The list can be long (every critical section with debug info); a
 * corrupt one must not loop forever. */
#define MAX_LIST_ENTRIES 200000

static bool rd(cor_target *t, uint64_t a, unsigned size, uint64_t *v)
{
    uint8_t b[8] = { 0 };
    if (as_read_partial(t->as, a, b, size) != size)
        return false;
    uint64_t x = 0;
    for (unsigned i = 0; i < size; i++)
        x |= (uint64_t)b[i] << (8 * i);
    *v = x;
    return true;
}

static void name_address(cor_target *t, uint64_t addr, char *buf, size_t size)
{
    buf[0] = 0;
    size_t mi;
    bool has = false;
    sym_hit hit;
    if (!sym_resolve(t->syms, addr, &mi, &has, &hit) || !has || !hit.function)
        return;
    const md_module *m = md_module_at(t->dump, mi);
    char mod[128];
    snprintf(mod, sizeof mod, "%s", m->name);
    char *dot = strrchr(mod, '.');
    if (dot)
        *dot = 0;
    uint64_t off = addr - m->base - hit.func_rva;
    /* A public or export below a data address is usually another object
     * (the nearest exported function, say): only an exact one names it. */
    if (hit.is_public && off)
        return;
    if (off)
        snprintf(buf, size, "%s!%s+0x%llx", mod, hit.function, (unsigned long long)off);
    else
        snprintf(buf, size, "%s!%s", mod, hit.function);
}

bool an_read_cs(cor_target *t, uint64_t addr, an_cs *out)
{
    memset(out, 0, sizeof *out);
    unsigned ps = t->ptr_size;
    uint64_t dbg, lc, rc, owner, sem, spin;
    if (!addr || addr % 4 || !rd(t, addr, ps, &dbg) || !rd(t, addr + ps, 4, &lc) || !rd(t, addr + ps + 4, 4, &rc) ||
        !rd(t, addr + ps + 8, ps, &owner) || !rd(t, addr + 2 * ps + 8, ps, &sem) ||
        !rd(t, addr + 3 * ps + 8, ps, &spin))
        return false;
    out->addr = addr;
    out->debug_info = dbg;
    out->lock_count = (int32_t)(uint32_t)lc;
    out->recursion_count = (int32_t)(uint32_t)rc;
    out->owner_tid = owner;
    out->lock_semaphore = sem;
    out->spin_count = spin;
    out->owner_thread = (size_t)-1;
    uint64_t none = ps == 8 ? UINT64_MAX : 0xffffffffu;
    bool debug_unreadable = false;
    if (dbg && dbg != none) {
        /* The debug record must point back at this critical section; small
         * dumps (-mp) often lack the heap it lives in. */
        uint64_t back;
        if (!rd(t, dbg + ps, ps, &back))
            debug_unreadable = true;
        else if (back != addr)
            return false;
    }
    if (dbg && dbg != none && !debug_unreadable) {
        uint64_t ec, cc;
        out->has_debug = true;
        if (rd(t, dbg + 4 * ps, 4, &ec) && rd(t, dbg + 4 * ps + 4, 4, &cc)) {
            out->entry_count = (uint32_t)ec;
            out->contention_count = (uint32_t)cc;
        }
    }
    int32_t l = out->lock_count;
    if (l == -1) {
        out->locked = false;
    } else if (l >= 0) {
        out->locked = true;
        out->waiters = l;
    } else {
        out->new_encoding = true;
        out->locked = !(l & 1);
        out->waiter_woken = !(l & 2);
        out->waiters = (int)((-1 - (int64_t)l) >> 2);
    }
    if (out->recursion_count < 0 || out->recursion_count > 0x1000000 || out->waiters > 0x100000)
        return false;
    if (out->locked) {
        if (!owner || out->recursion_count == 0)
            return false;
        out->owner_thread = target_thread_index(t, (uint32_t)owner);
        /* Without the debug record to vouch for it, the owner must be a
         * thread of the dump. */
        if (debug_unreadable && out->owner_thread == (size_t)-1)
            return false;
    } else if (debug_unreadable) {
        return false;
    } else if (owner && out->recursion_count == 0 && !out->has_debug) {
        return false; /* without a debug record, demand a clean free state */
    }
    name_address(t, addr, out->symbol, sizeof out->symbol);
    return true;
}

uint64_t an_loader_lock(cor_target *t)
{
    proc_peb peb;
    cor_err e;
    if (proc_read_peb(t, true, &peb, &e) != COR_OK)
        return 0;
    uint64_t v = 0;
    /* PEB.LoaderLock: +0xA0 in the 32-bit PEB, +0x110 in the 64-bit one. */
    if (!rd(t, peb.addr + (peb.ptr_size == 8 ? 0x110 : 0xA0), peb.ptr_size, &v))
        v = 0;
    proc_peb_free(&peb);
    return v;
}

/* The addresses already in an an_locks while it is built. A scan of the
 * list per entry was quadratic: a hostile lock list of 36,000 critical
 * sections took a second, and the walk goes on to MAX_LIST_ENTRIES. Open
 * addressing, at most half full; 0 is never added (an_read_cs refuses it). */
typedef struct addr_set {
    uint64_t *slot;
    size_t cap, n;
} addr_set;

static size_t addr_hash(uint64_t a, size_t cap)
{
    a ^= a >> 33; /* MurmurHash3's 64-bit finaliser */
    a *= 0xff51afd7ed558ccdull;
    a ^= a >> 33;
    return (size_t)a & (cap - 1);
}

static void addr_set_put(uint64_t *slot, size_t cap, uint64_t a)
{
    size_t h = addr_hash(a, cap);
    while (slot[h])
        h = (h + 1) & (cap - 1);
    slot[h] = a;
}

/* 1 when a was added, 0 when it was there, -1 when out of memory. */
static int addr_set_add(addr_set *s, uint64_t a)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 256;
        uint64_t *ns = calloc(nc, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < s->cap; i++)
            if (s->slot[i])
                addr_set_put(ns, nc, s->slot[i]);
        free(s->slot);
        s->slot = ns;
        s->cap = nc;
    }
    for (size_t h = addr_hash(a, s->cap); s->slot[h]; h = (h + 1) & (s->cap - 1))
        if (s->slot[h] == a)
            return 0;
    addr_set_put(s->slot, s->cap, a);
    s->n++;
    return 1;
}

static bool add(an_locks *l, size_t *cap, addr_set *seen, const an_cs *c)
{
    int fresh = addr_set_add(seen, c->addr);
    if (fresh <= 0)
        return fresh == 0;
    if (l->count == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        an_cs *n = realloc(l->cs, nc * sizeof *n);
        if (!n)
            return false;
        l->cs = n;
        *cap = nc;
    }
    l->cs[l->count++] = *c;
    return true;
}

/* Walks ProcessLocksList from one debug record; the list head lives in
 * ntdll's data and is skipped because it is no debug record. */
static bool walk_list(cor_target *t, uint64_t debug, an_locks *l, size_t *cap, addr_set *seen)
{
    unsigned ps = t->ptr_size;
    uint64_t head = debug + 2 * ps, e = head;
    for (size_t k = 0; k < MAX_LIST_ENTRIES; k++) {
        uint64_t next;
        if (!rd(t, e, ps, &next) || !next)
            break;
        e = next;
        if (e == head)
            break;
        uint64_t dbg = e - 2 * ps, cs_addr;
        if (!rd(t, dbg + ps, ps, &cs_addr))
            continue;
        an_cs c;
        l->scanned++;
        if (an_read_cs(t, cs_addr, &c) && c.debug_info == dbg && !add(l, cap, seen, &c))
            return false;
    }
    return true;
}

static int cmp_cs(const void *a, const void *b)
{
    const an_cs *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int an_find_locks(cor_target *t, const uint64_t *extra, size_t nextra, an_locks *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    out->loader_lock = an_loader_lock(t);
    uint64_t seeds[64];
    size_t nseeds = 0;
    if (out->loader_lock)
        seeds[nseeds++] = out->loader_lock;
    for (size_t i = 0; i < nextra && nseeds < 64; i++)
        seeds[nseeds++] = extra[i];
    bool walked = false;
    addr_set seen = { 0 };
    for (size_t i = 0; i < nseeds; i++) {
        an_cs c;
        out->scanned++;
        if (!an_read_cs(t, seeds[i], &c))
            continue;
        if (!add(out, &cap, &seen, &c))
            goto oom;
        /* One walk of the list finds every critical section on it. */
        if (c.has_debug && !walked) {
            walked = true;
            if (!walk_list(t, c.debug_info, out, &cap, &seen))
                goto oom;
        }
    }
    free(seen.slot);
    for (size_t i = 0; i < out->count; i++)
        out->cs[i].is_loader_lock = out->loader_lock && out->cs[i].addr == out->loader_lock;
    if (out->count)
        qsort(out->cs, out->count, sizeof *out->cs, cmp_cs);
    return COR_OK;
oom:
    free(seen.slot);
    return cor_fail(err, "out of memory");
}

void an_locks_free(an_locks *l)
{
    free(l->cs);
    memset(l, 0, sizeof *l);
}

const an_cs *an_locks_find(const an_locks *l, uint64_t addr)
{
    size_t lo = 0, hi = l->count; /* an_find_locks sorts by address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->cs[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->count && l->cs[lo].addr == addr ? &l->cs[lo] : NULL;
}
