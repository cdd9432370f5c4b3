/* !locks [-v] and !cs [ADDR]: critical sections in WinDbg's layouts (the
 * ntsdexts !locks block per lock, !cs's "Critical section = ..." block). */
#include <inttypes.h>
#include <string.h>

#include "analysis/locks.h"
#include "analysis/waits.h"
#include "console/con_internal.h"

/* LockCount as WinDbg shows it: the raw value in the NT 4 encoding, the
 * waiter count in the Vista one. */
static void print_lock_block(con_session *s, const an_cs *c)
{
    char a[24];
    con_printf(s, "CritSec %s at %s\n", c->symbol[0] ? c->symbol : "", con_fmt_addr(s, c->addr, a));
    con_printf(s, "WaiterWoken        %s\n", c->new_encoding && c->waiter_woken ? "Yes" : "No");
    con_printf(s, "LockCount          %d\n", c->new_encoding ? c->waiters : c->lock_count);
    con_printf(s, "RecursionCount     %d\n", c->recursion_count);
    con_printf(s, "OwningThread       %" PRIx64 "\n", c->owner_tid);
    con_printf(s, "EntryCount         %x\n", c->entry_count);
    con_printf(s, "ContentionCount    %x\n", c->contention_count);
    con_puts(s, c->locked ? "*** Locked\n" : "    NOT LOCKED\n");
}

int cmd_locks(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    bool all = false;
    if (strcmp(args, "-v") == 0) all = true;
    else if (*args) return cor_fail(err, "Syntax error: !locks [-v]");
    an_waits w;
    if (an_analyze_waits(s->t, &w, err) != COR_OK) return COR_FAIL;
    size_t shown = 0;
    for (size_t i = 0; i < w.locks.count; i++) {
        const an_cs *c = &w.locks.cs[i];
        if (!all && !c->locked) continue;
        if (shown++) con_puts(s, "\n");
        print_lock_block(s, c);
        /* Who waits for it, from the threads' stacks. */
        for (size_t k = 0; k < w.count; k++)
            if (w.waits[k].cs == c->addr)
                con_printf(s, "    waiting: thread %zu (tid %x) at %s\n", w.waits[k].thread, w.waits[k].tid,
                           w.waits[k].caller);
    }
    con_printf(s, "\nScanned %zu critical sections\n", w.locks.scanned);
    an_waits_free(&w);
    return COR_OK;
}

int cmd_cs(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    if (!*args) return cmd_locks(s, "!locks", "-v", err);
    uint64_t addr;
    const char *end;
    if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
    if (*end) return cor_fail(err, "Syntax error at '%s'", end);
    an_cs c;
    if (!an_read_cs(s->t, addr, &c)) return cor_fail(err, "%" PRIx64 " is not a critical section (or not in the dump)", addr);
    char a[24];
    con_puts(s, "-----------------------------------------\n");
    con_printf(s, "Critical section   = %s", con_fmt_addr_plain(s, c.addr, a));
    if (c.symbol[0]) con_printf(s, " (%s)", c.symbol);
    con_printf(s, "\nDebugInfo          = %s\n", con_fmt_addr_plain(s, c.debug_info, a));
    if (!c.locked) {
        con_puts(s, "NOT LOCKED\n");
    } else {
        con_puts(s, "LOCKED\n");
        con_printf(s, "LockCount          = 0x%x\n", c.new_encoding ? (unsigned)c.waiters : (unsigned)c.lock_count);
        con_printf(s, "WaiterWoken        = %s\n", c.new_encoding && c.waiter_woken ? "Yes" : "No");
        con_printf(s, "OwningThread       = %s\n", con_fmt_addr_plain(s, c.owner_tid, a));
        con_printf(s, "RecursionCount     = 0x%x\n", (unsigned)c.recursion_count);
    }
    con_printf(s, "LockSemaphore      = 0x%" PRIx64 "\n", c.lock_semaphore);
    con_printf(s, "SpinCount          = %s\n", con_fmt_addr_plain(s, c.spin_count, a));
    if (c.has_debug)
        con_printf(s, "EntryCount         = 0x%x\nContentionCount    = 0x%x\n", c.entry_count, c.contention_count);
    return COR_OK;
}
