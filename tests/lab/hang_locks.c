/*
 * hang_locks.c - a process that is hung in every classic way at once.
 *
 *   deadlock_a   owns cs1, blocked entering cs2      (lab_deadlock_a)
 *   deadlock_b   owns cs2, blocked entering cs1      (lab_deadlock_b)
 *   event_waiter blocked on the named manual-reset event
 *                Local\CoronerLabEvent, never set    (lab_wait_named_event)
 *   spinner      burning a CPU                       (lab_spin_cpu)
 *   sleeper      in Sleep(INFINITE)                  (lab_sleep_forever)
 *   main         waiting for the five threads        (lab_join_threads)
 *
 * Writes hang_locks.facts, then hang_locks.ready, then waits for ever; the
 * capture tool dumps it and kills it.
 */
#include "lab.h"

#define LAB_EVENT_NAME L"Local\\CoronerLabEvent"

int main(void)
{
    static CRITICAL_SECTION cs1, cs2;
    struct lab_facts facts;
    struct lab_deadlock deadlock;
    struct lab_event_wait event_wait;
    HANDLE threads[5], spin_arrived, sleep_arrived;
    DWORD tid_a, tid_b, tid_event, tid_spin, tid_sleep;

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

    threads[0] = lab_start_thread(lab_deadlock_a, &deadlock, L"lab deadlock A", &tid_a);
    threads[1] = lab_start_thread(lab_deadlock_b, &deadlock, L"lab deadlock B", &tid_b);
    threads[2] = lab_start_thread(lab_wait_named_event, &event_wait, L"lab event waiter", &tid_event);
    threads[3] = lab_start_thread(lab_spin_cpu, spin_arrived, L"lab spinner", &tid_spin);
    threads[4] = lab_start_thread(lab_sleep_forever, sleep_arrived, L"lab sleeper", &tid_sleep);

    lab_wait_event(deadlock.b_has_second);
    lab_wait_cs_waiters(&cs1, 1);           /* B queued behind A */
    lab_wait_cs_waiters(&cs2, 1);           /* A queued behind B */
    lab_wait_event(event_wait.arrived);
    lab_wait_event(spin_arrived);
    lab_wait_event(sleep_arrived);
    Sleep(LAB_SETTLE_MS);

    lab_fact_u64(&facts, "threads.lab", 6);
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
    lab_facts_finish(&facts);

    lab_join_threads(5, threads);
    return 0;
}
