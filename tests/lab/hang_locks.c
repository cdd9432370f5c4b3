/*
 * hang_locks.c - a process that is hung in every classic way at once.
 *
 *   deadlock_a   owns cs1, blocked entering cs2      (lab_deadlock_a)
 *   deadlock_b   owns cs2, blocked entering cs1      (lab_deadlock_b)
 *   event_waiter blocked on the named manual-reset event
 *                Local\CoronerLabEvent, never set    (lab_wait_named_event)
 *   spinner      burning a CPU                       (lab_spin_cpu)
 *   sleeper      in Sleep(INFINITE)                  (lab_sleep_forever)
 *   socket       blocked in recv() on a connected loopback socket with
 *                no data coming                      (lab_wait_socket)
 *   loader_owner inside labdll.dll's DllMain, holding the loader lock,
 *                waiting for an event nobody sets    (lab_dllmain_wait, lab_load_stuck_dll)
 *   loader_waiter blocked on the loader lock in LoadLibrary (lab_load_another_dll)
 *   main         waiting for the five threads        (lab_join_threads)
 *
 * Writes hang_locks.facts, then hang_locks.ready, then waits for ever; the
 * capture tool dumps it and kills it.
 */
#include <winsock2.h> /* before windows.h (lab.h) */

#include "lab.h"

#define LAB_EVENT_NAME L"Local\\CoronerLabEvent"

struct lab_socket_wait {
    HANDLE arrived;
};

/* recv() on the accepted end of a loopback connection whose other end
 * never sends. */
LAB_NOINLINE DWORD WINAPI lab_wait_socket(void *arg)
{
    struct lab_socket_wait *w = arg;
    WSADATA wsa;
    struct sockaddr_in a = { 0 };
    int len = sizeof a;
    SOCKET l, c, s;
    char buf[16];

    if (WSAStartup(MAKEWORD(2, 2), &wsa))
        lab_die("WSAStartup");
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&a, &len))
        lab_die("listening socket");
    c = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (c == INVALID_SOCKET || connect(c, (struct sockaddr *)&a, sizeof a))
        lab_die("connect");
    s = accept(l, NULL, NULL);
    if (s == INVALID_SOCKET)
        lab_die("accept");
    SetEvent(w->arrived);
    recv(s, buf, sizeof buf, 0);
    return 0;
}

/* The loader lock (x64: TEB.ProcessEnvironmentBlock at +0x60, PEB.LoaderLock
 * at +0x110): its owner is stuck in a DllMain, the other thread wants to
 * load a DLL too. */
static CRITICAL_SECTION *lab_loader_lock(void)
{
    char *peb = *(char **)((char *)NtCurrentTeb() + 0x60);
    return *(CRITICAL_SECTION **)(peb + 0x110);
}

LAB_NOINLINE DWORD WINAPI lab_load_stuck_dll(void *arg)
{
    (void)arg;
    LoadLibraryW(L"labdll.dll");
    return 0;
}

struct lab_loader_wait {
    HANDLE started;    /* set once this thread runs (past its own attach) */
    HANDLE in_dllmain; /* set by labdll's DllMain */
};

LAB_NOINLINE DWORD WINAPI lab_load_another_dll(void *arg)
{
    struct lab_loader_wait *w = arg;

    SetEvent(w->started);
    lab_wait_event(w->in_dllmain);        /* the owner is inside DllMain */
    LoadLibraryW(L"lab_no_such.dll");     /* needs the loader lock first */
    return 0;
}

int main(void)
{
    static CRITICAL_SECTION cs1, cs2;
    struct lab_facts facts;
    struct lab_deadlock deadlock;
    struct lab_event_wait event_wait;
    struct lab_socket_wait socket_wait;
    struct lab_loader_wait loader_wait;
    HANDLE threads[8], spin_arrived, sleep_arrived, in_dllmain;
    DWORD tid_a, tid_b, tid_event, tid_spin, tid_sleep, tid_socket, tid_loader_owner, tid_loader_waiter;

    lab_facts_begin(&facts, "hang_locks");
    lab_set_thread_name(GetCurrentThread(), L"lab main");

    InitializeCriticalSection(&cs1);
    InitializeCriticalSection(&cs2);
    deadlock.first = &cs1;
    deadlock.second = &cs2;
    deadlock.a_has_first = lab_new_event();
    deadlock.b_has_second = lab_new_event();

    event_wait.event = CreateEventW(NULL, TRUE, FALSE, LAB_EVENT_NAME);
    if (!event_wait.event)
        lab_die("CreateEventW(%ls)", LAB_EVENT_NAME);
    event_wait.arrived = lab_new_event();
    spin_arrived = lab_new_event();
    sleep_arrived = lab_new_event();
    socket_wait.arrived = lab_new_event();
    in_dllmain = CreateEventW(NULL, TRUE, FALSE, L"Local\\CoronerLabInDllMain");
    if (!in_dllmain)
        lab_die("CreateEventW(in DllMain)");
    loader_wait.started = lab_new_event();
    loader_wait.in_dllmain = in_dllmain;

    threads[0] = lab_start_thread(lab_deadlock_a, &deadlock, L"lab deadlock A", &tid_a);
    threads[1] = lab_start_thread(lab_deadlock_b, &deadlock, L"lab deadlock B", &tid_b);
    threads[2] = lab_start_thread(lab_wait_named_event, &event_wait, L"lab event waiter", &tid_event);
    threads[3] = lab_start_thread(lab_spin_cpu, spin_arrived, L"lab spinner", &tid_spin);
    threads[4] = lab_start_thread(lab_sleep_forever, sleep_arrived, L"lab sleeper", &tid_sleep);
    threads[5] = lab_start_thread(lab_wait_socket, &socket_wait, L"lab socket", &tid_socket);
    lab_wait_event(socket_wait.arrived);
    /* The loader lock last: once it is held no thread can start (thread
     * attach needs it). The waiter is started first and waits for the
     * owner to reach DllMain. */
    threads[6] = lab_start_thread(lab_load_another_dll, &loader_wait, L"lab loader waiter", &tid_loader_waiter);
    lab_wait_event(loader_wait.started);
    threads[7] = lab_start_thread(lab_load_stuck_dll, NULL, L"lab loader owner", &tid_loader_owner);
    lab_wait_event(in_dllmain);
    lab_wait_cs_waiters(lab_loader_lock(), 1);

    lab_wait_event(deadlock.b_has_second);
    lab_wait_cs_waiters(&cs1, 1);           /* B queued behind A */
    lab_wait_cs_waiters(&cs2, 1);           /* A queued behind B */
    lab_wait_event(event_wait.arrived);
    lab_wait_event(spin_arrived);
    lab_wait_event(sleep_arrived);
    Sleep(LAB_SETTLE_MS);

    lab_fact_u64(&facts, "threads.lab", 9);
    lab_fact_thread(&facts, "main", GetCurrentThreadId(), "lab_join_threads",
                    "lab_join_threads,main", "thread_join", L"lab main");
    lab_fact_thread(&facts, "deadlock_a", tid_a, "lab_deadlock_a", NULL, "critical_section",
                    L"lab deadlock A");
    lab_fact_thread(&facts, "deadlock_b", tid_b, "lab_deadlock_b", NULL, "critical_section",
                    L"lab deadlock B");
    lab_fact_thread(&facts, "event_waiter", tid_event, "lab_wait_named_event", NULL, "event",
                    L"lab event waiter");
    lab_fact_thread(&facts, "spinner", tid_spin, "lab_spin_cpu", NULL, "spin", L"lab spinner");
    lab_fact_thread(&facts, "sleeper", tid_sleep, "lab_sleep_forever", NULL, "sleep", L"lab sleeper");
    lab_fact_thread(&facts, "socket", tid_socket, "lab_wait_socket", NULL, "socket", L"lab socket");
    lab_fact_thread(&facts, "loader_owner", tid_loader_owner, "lab_dllmain_wait",
                    "lab_dllmain_wait,DllMain,lab_load_stuck_dll", "dllmain", L"lab loader owner");
    lab_fact_thread(&facts, "loader_waiter", tid_loader_waiter, "lab_load_another_dll", NULL, "loader_lock",
                    L"lab loader waiter");
    lab_fact_ptr(&facts, "loader_lock", lab_loader_lock());
    lab_fact_u64(&facts, "loader_lock.owner", tid_loader_owner);
    lab_fact_tids(&facts, "loader_lock.waiters", 1, &tid_loader_waiter);

    lab_fact_ptr(&facts, "cs.cs1", &cs1);
    lab_fact_u64(&facts, "cs.cs1.owner", tid_a);
    lab_fact_tids(&facts, "cs.cs1.waiters", 1, &tid_b);
    lab_fact_ptr(&facts, "cs.cs2", &cs2);
    lab_fact_u64(&facts, "cs.cs2.owner", tid_b);
    lab_fact_tids(&facts, "cs.cs2.waiters", 1, &tid_a);
    lab_fact_tids(&facts, "deadlock.cycle", 2, (DWORD[]){tid_a, tid_b});

    lab_fact_str(&facts, "event.name", "Local\\CoronerLabEvent");
    lab_fact_ptr(&facts, "event.handle", event_wait.event);
    lab_fact_tids(&facts, "event.waiters", 1, &tid_event);
    lab_fact_u64(&facts, "event.manual_reset", 1);
    lab_fact_u64(&facts, "event.signaled", 0);

    LAB_FACT_SYM(&facts, main);
    LAB_FACT_SYM(&facts, lab_join_threads);
    LAB_FACT_SYM(&facts, lab_deadlock_a);
    LAB_FACT_SYM(&facts, lab_deadlock_b);
    LAB_FACT_SYM(&facts, lab_wait_named_event);
    LAB_FACT_SYM(&facts, lab_spin_cpu);
    LAB_FACT_SYM(&facts, lab_sleep_forever);
    LAB_FACT_SYM(&facts, lab_wait_socket);
    lab_facts_finish(&facts);

    lab_join_threads(8, threads);
    return 0;
}
