/*
 * lab.h - shared helpers for the lab's scenario programs.
 *
 * The scenarios are Windows x64 programs (built with clang for
 * x86_64-w64-mingw32, run under Wine) whose state at dump time is known by
 * construction.  Each writes what it knows to NAME.facts in its current
 * directory as `key=value` lines, then creates NAME.ready so the capture tool
 * knows the threads are in place.  The keys are listed in README.md.
 */
#ifndef CORONER_LAB_H
#define CORONER_LAB_H

#include <windows.h>
#include <stdio.h>

#define LAB_NOINLINE __attribute__((noinline))

/* A facts file being written.  Values are written as they are learnt; the
 * file only counts once lab_facts_finish has renamed it into place. */
struct lab_facts {
    char name[64];      /* scenario name: facts go to NAME.facts */
    FILE *file;         /* NAME.facts.tmp while being written */
};

/* Opens NAME.facts.tmp and writes the keys every scenario has: scenario, pid,
 * exe, image_base, ptr_size (each scenario adds tid.main itself).  Exits the
 * process on failure (this is a test program: nothing sensible can follow). */
void lab_facts_begin(struct lab_facts *facts, const char *name);

void lab_fact_str(struct lab_facts *facts, const char *key, const char *value);
void lab_fact_u64(struct lab_facts *facts, const char *key, unsigned long long value);
void lab_fact_hex(struct lab_facts *facts, const char *key, unsigned long long value);
void lab_fact_ptr(struct lab_facts *facts, const char *key, const void *value);
/* A comma-separated list of thread ids. */
void lab_fact_tids(struct lab_facts *facts, const char *key, size_t count, const DWORD *tids);

/* Records a thread's role: tid.ROLE; func.ROLE, the innermost function of
 * ours on its stack; stack.ROLE, all of our functions on it, innermost first,
 * comma-separated (NULL: just FUNC); wait.ROLE, what it is blocked on; and
 * thread_name.ROLE if it was given a name. */
void lab_fact_thread(struct lab_facts *facts, const char *role, DWORD tid,
                     const char *func, const char *stack, const char *wait,
                     const wchar_t *thread_name);

/* sym.NAME=address, for checking symbol resolution against the PDB. */
#define LAB_FACT_SYM(facts, fn) lab_fact_ptr((facts), "sym." #fn, (const void *)(fn))

/* Renames NAME.facts.tmp to NAME.facts and creates NAME.ready. */
void lab_facts_finish(struct lab_facts *facts);

/* Prints the message and the last Win32 error, and exits with status 2. */
void lab_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* SetThreadDescription by GetProcAddress: mingw-w64 10 does not declare it,
 * and it only exists on Windows 10 1607+ and Wine 5+.  Returns TRUE if the
 * name was set. */
BOOL lab_set_thread_name(HANDLE thread, const wchar_t *name);

/* Waits until the critical section has WAITERS threads queued behind its
 * owner.  Wine keeps the NT 4 encoding of LockCount (-1 free, 0 owned, n = n
 * waiters); Windows since Vista encodes it differently, so this is
 * Wine-specific and only used to know when the scenario is in place. */
void lab_wait_cs_waiters(CRITICAL_SECTION *cs, LONG waiters);

/* The threads the lab uses in both hang_locks and w3wp. */
struct lab_deadlock {
    CRITICAL_SECTION *first;    /* taken by thread A, wanted by thread B */
    CRITICAL_SECTION *second;   /* taken by thread B, wanted by thread A */
    HANDLE a_has_first;         /* manual-reset events used to line them up */
    HANDLE b_has_second;
};

struct lab_event_wait {
    HANDLE event;
    HANDLE arrived;             /* set just before the thread blocks */
};

struct lab_cs_wait {
    CRITICAL_SECTION *cs;
    HANDLE arrived;
};

DWORD WINAPI lab_deadlock_a(void *arg);         /* arg: struct lab_deadlock */
DWORD WINAPI lab_deadlock_b(void *arg);         /* arg: struct lab_deadlock */
DWORD WINAPI lab_wait_named_event(void *arg);   /* arg: struct lab_event_wait */
DWORD WINAPI lab_enter_cs_blocked(void *arg);   /* arg: struct lab_cs_wait */
DWORD WINAPI lab_sleep_forever(void *arg);      /* arg: HANDLE arrived */
DWORD WINAPI lab_spin_cpu(void *arg);           /* arg: HANDLE arrived */

/* The main thread's wait: all of COUNT threads, for ever. */
void lab_join_threads(DWORD count, const HANDLE *threads);

HANDLE lab_new_event(void);                     /* unnamed manual-reset event */
HANDLE lab_start_thread(LPTHREAD_START_ROUTINE fn, void *arg, const wchar_t *name, DWORD *tid);
void lab_wait_event(HANDLE event);

/* Pause long enough for threads that announced they are about to block to
 * actually be inside the wait call when the dump is taken. */
#define LAB_SETTLE_MS 300

#endif
