/*
 * lab.c - facts files and the blocking threads shared by the hang scenarios.
 */
#include "lab.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void lab_die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "lab: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (error %lu)\n", GetLastError());
    fflush(stderr);
    ExitProcess(2);
}

void lab_facts_begin(struct lab_facts *facts, const char *name)
{
    char path[MAX_PATH];
    char exe[MAX_PATH];
    const char *base;

    snprintf(facts->name, sizeof(facts->name), "%s", name);
    snprintf(path, sizeof(path), "%s.facts.tmp", name);
    facts->file = fopen(path, "wb");       /* "w" would write CRLF line ends */
    if (!facts->file)
        lab_die("cannot create %s", path);

    if (!GetModuleFileNameA(NULL, exe, sizeof(exe)))
        lab_die("GetModuleFileNameA");
    base = strrchr(exe, '\\');
    base = base ? base + 1 : exe;

    lab_fact_str(facts, "scenario", name);
    lab_fact_u64(facts, "pid", GetCurrentProcessId());
    lab_fact_str(facts, "exe", base);
    lab_fact_ptr(facts, "image_base", GetModuleHandleW(NULL));
    lab_fact_u64(facts, "ptr_size", sizeof(void *));
}

void lab_fact_str(struct lab_facts *facts, const char *key, const char *value)
{
    fprintf(facts->file, "%s=%s\n", key, value);
}

void lab_fact_u64(struct lab_facts *facts, const char *key, unsigned long long value)
{
    fprintf(facts->file, "%s=%llu\n", key, value);
}

void lab_fact_hex(struct lab_facts *facts, const char *key, unsigned long long value)
{
    fprintf(facts->file, "%s=0x%llx\n", key, value);
}

void lab_fact_ptr(struct lab_facts *facts, const char *key, const void *value)
{
    lab_fact_hex(facts, key, (unsigned long long)(ULONG_PTR)value);
}

void lab_fact_tids(struct lab_facts *facts, const char *key, size_t count, const DWORD *tids)
{
    size_t i;

    fprintf(facts->file, "%s=", key);
    for (i = 0; i < count; i++)
        fprintf(facts->file, "%s%lu", i ? "," : "", tids[i]);
    fprintf(facts->file, "\n");
}

void lab_fact_thread(struct lab_facts *facts, const char *role, DWORD tid,
                     const char *func, const char *stack, const char *wait,
                     const wchar_t *thread_name)
{
    char key[96];

    snprintf(key, sizeof(key), "tid.%s", role);
    lab_fact_u64(facts, key, tid);
    if (func) {
        snprintf(key, sizeof(key), "func.%s", role);
        lab_fact_str(facts, key, func);
        snprintf(key, sizeof(key), "stack.%s", role);
        lab_fact_str(facts, key, stack ? stack : func);
    }
    if (wait) {
        snprintf(key, sizeof(key), "wait.%s", role);
        lab_fact_str(facts, key, wait);
    }
    if (thread_name) {
        char utf8[256];

        snprintf(key, sizeof(key), "thread_name.%s", role);
        if (WideCharToMultiByte(CP_UTF8, 0, thread_name, -1, utf8, sizeof(utf8), NULL, NULL))
            lab_fact_str(facts, key, utf8);
    }
}

void lab_facts_finish(struct lab_facts *facts)
{
    char tmp[MAX_PATH], path[MAX_PATH], ready[MAX_PATH];
    FILE *f;

    if (fclose(facts->file) != 0)
        lab_die("writing %s.facts.tmp", facts->name);
    facts->file = NULL;
    snprintf(tmp, sizeof(tmp), "%s.facts.tmp", facts->name);
    snprintf(path, sizeof(path), "%s.facts", facts->name);
    snprintf(ready, sizeof(ready), "%s.ready", facts->name);
    if (!MoveFileExA(tmp, path, MOVEFILE_REPLACE_EXISTING))
        lab_die("cannot rename %s to %s", tmp, path);
    f = fopen(ready, "wb");
    if (!f)
        lab_die("cannot create %s", ready);
    fprintf(f, "%lu\n", GetCurrentProcessId());
    fclose(f);
}

typedef HRESULT (WINAPI *set_thread_description_fn)(HANDLE, PCWSTR);

BOOL lab_set_thread_name(HANDLE thread, const wchar_t *name)
{
    set_thread_description_fn set;
    FARPROC proc;

    proc = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "SetThreadDescription");
    if (!proc)
        return FALSE;
    set = (set_thread_description_fn)(void (*)(void))proc;
    return SUCCEEDED(set(thread, name));
}

void lab_wait_cs_waiters(CRITICAL_SECTION *cs, LONG waiters)
{
    int i;

    /* 20 s is far more than thread start-up takes, even on a loaded machine. */
    for (i = 0; i < 2000; i++) {
        if (*(volatile LONG *)&cs->LockCount >= waiters)
            return;
        Sleep(10);
    }
    lab_die("critical section %p never got %ld waiters (LockCount %ld)",
            (void *)cs, waiters, cs->LockCount);
}

HANDLE lab_new_event(void)
{
    HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);

    if (!event)
        lab_die("CreateEventW");
    return event;
}

void lab_wait_event(HANDLE event)
{
    if (WaitForSingleObject(event, 20000) != WAIT_OBJECT_0)
        lab_die("a lab thread did not reach its blocking point in 20 s");
}

HANDLE lab_start_thread(LPTHREAD_START_ROUTINE fn, void *arg, const wchar_t *name, DWORD *tid)
{
    HANDLE thread = CreateThread(NULL, 0, fn, arg, 0, tid);

    if (!thread)
        lab_die("CreateThread");
    if (name)
        lab_set_thread_name(thread, name);
    return thread;
}

LAB_NOINLINE DWORD WINAPI lab_deadlock_a(void *arg)
{
    struct lab_deadlock *d = arg;

    EnterCriticalSection(d->first);
    SetEvent(d->a_has_first);
    lab_wait_event(d->b_has_second);
    EnterCriticalSection(d->second);        /* B owns it and wants ours: never returns */
    LeaveCriticalSection(d->second);
    LeaveCriticalSection(d->first);
    return 0;
}

LAB_NOINLINE DWORD WINAPI lab_deadlock_b(void *arg)
{
    struct lab_deadlock *d = arg;

    lab_wait_event(d->a_has_first);
    EnterCriticalSection(d->second);
    SetEvent(d->b_has_second);
    EnterCriticalSection(d->first);         /* A owns it and wants ours: never returns */
    LeaveCriticalSection(d->first);
    LeaveCriticalSection(d->second);
    return 0;
}

LAB_NOINLINE DWORD WINAPI lab_wait_named_event(void *arg)
{
    struct lab_event_wait *w = arg;

    SetEvent(w->arrived);
    WaitForSingleObject(w->event, INFINITE);
    return 0;
}

LAB_NOINLINE DWORD WINAPI lab_enter_cs_blocked(void *arg)
{
    struct lab_cs_wait *w = arg;

    SetEvent(w->arrived);
    EnterCriticalSection(w->cs);
    LeaveCriticalSection(w->cs);
    return 0;
}

LAB_NOINLINE DWORD WINAPI lab_sleep_forever(void *arg)
{
    SetEvent((HANDLE)arg);
    for (;;)
        Sleep(INFINITE);
    return 0;
}

LAB_NOINLINE DWORD WINAPI lab_spin_cpu(void *arg)
{
    volatile unsigned long long spins = 0;

    SetEvent((HANDLE)arg);
    /* No calls inside the loop: whenever the thread is suspended for the
     * dump, its instruction pointer is in this function. */
    for (;;)
        spins++;
    return 0;
}

LAB_NOINLINE void lab_join_threads(DWORD count, const HANDLE *threads)
{
    WaitForMultipleObjects(count, threads, TRUE, INFINITE);
}
