/* What each thread is waiting on, read from its stack the way DebugDiag
 * does: the wait function at the top says the kind of wait, the stack and
 * the registers the unwinder recovered say the object (a critical section,
 * handles from HandleData), and owners turn waits into a wait-for graph
 * whose cycles are deadlocks. */
#ifndef COR_ANALYSIS_WAITS_H
#define COR_ANALYSIS_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/locks.h"
#include "target/target.h"

typedef enum an_wait_kind {
    AN_WAIT_RUNNING = 0,   /* not in a wait: running or ready (spinning, working) */
    AN_WAIT_CRITICAL_SECTION,
    AN_WAIT_LOADER_LOCK,   /* the critical section is the PEB's LoaderLock */
    AN_WAIT_OBJECTS,       /* WaitForSingleObject / WaitForMultipleObjects and kin */
    AN_WAIT_SLEEP,
    AN_WAIT_SOCKET,        /* Winsock calls (recv, select, accept, WSARecv...) */
    AN_WAIT_RPC,           /* an outgoing RPC or COM call */
    AN_WAIT_IO_COMPLETION, /* idle on a completion port or thread-pool queue */
    AN_WAIT_OTHER,         /* in a system call this analysis does not classify */
    AN_WAIT_UNKNOWN,       /* no stack */
} an_wait_kind;

#define AN_MAX_WAIT_HANDLES 8

typedef struct an_wait_handle {
    uint64_t handle;
    const char *type;      /* HandleData's type name, or NULL */
    const char *name;      /* the object's name, or NULL */
} an_wait_handle;

typedef struct an_wait {
    size_t thread;         /* index in the thread list */
    uint32_t tid;
    an_wait_kind kind;
    char wait_function[320];  /* the frame that waits: "kernelbase!WaitForSingleObject" */
    char caller[640];         /* the first frame outside system modules, with its line */
    uint64_t cs;              /* the critical section, for CS and loader-lock waits (0: not found) */
    uint32_t owner_tid;       /* its owner (0: unknown) */
    an_wait_handle handles[AN_MAX_WAIT_HANDLES];
    size_t nhandles;
    uint64_t cpu_100ns;       /* user + kernel time from ThreadInfoList, when present */
    bool has_times;
    uint64_t elapsed_100ns;   /* dump time minus thread creation */
} an_wait;

typedef struct an_deadlock {
    size_t n;                 /* threads (and locks) in the cycle */
    uint32_t tids[16];
    uint64_t cs[16];          /* cs[i]: what tids[i] waits for, owned by tids[i+1] */
} an_deadlock;

typedef struct an_waits {
    an_wait *waits;           /* one per thread, in thread-list order */
    size_t count;
    an_locks locks;           /* every critical section found */
    an_deadlock *deadlocks;
    size_t ndeadlocks;
} an_waits;

int an_analyze_waits(cor_target *t, an_waits *out, cor_err *err);
void an_waits_free(an_waits *w);
const char *an_wait_kind_name(an_wait_kind k); /* "critical_section", ... (JSON words) */
const char *an_wait_kind_text(an_wait_kind k); /* "waiting on a critical section", ... */

#endif
