/*
 * w3wp.c - an IIS worker process stand-in, built as w3wp.exe and started
 * with an IIS command line:
 *
 *   w3wp.exe -ap "CoronerPool" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm...
 *            -h "C:\inetpub\temp\apppools\CoronerPool\CoronerPool.config"
 *            -w "" -m 0 -t 20 -ta 0
 *
 * It loads the DLL named by -l and runs nine workers, each started through
 * w3tp.dll's w3tp_thread_pool_thread:
 *
 *   worker0  owns cs_session, blocked entering cs_cache      (lab_deadlock_a)
 *   worker1  owns cs_cache, blocked entering cs_session      (lab_deadlock_b)
 *   worker2  blocked entering cs_session (behind the deadlock) (lab_enter_cs_blocked)
 *   worker3  blocked entering cs_session                     (lab_enter_cs_blocked)
 *   worker4  waiting on the named event Local\CoronerW3wpQueue (lab_wait_named_event)
 *   worker5  waiting on the same event                       (lab_wait_named_event)
 *   worker6  in Sleep(INFINITE)                              (lab_sleep_forever)
 *   worker7  in Sleep(INFINITE)                              (lab_sleep_forever)
 *   worker8  burning a CPU in a loop without calls           (lab_spin_cpu)
 *   main     waiting for the workers                         (lab_join_threads)
 *
 * Writes w3wp.facts and w3wp.ready and waits for ever.
 */
#include "lab.h"

#include <string.h>

#define W3WP_WORKERS 9
#define W3WP_QUEUE_EVENT L"Local\\CoronerW3wpQueue"

struct w3tp_work {
    LPTHREAD_START_ROUTINE fn;
    void *arg;
};

__declspec(dllimport) DWORD WINAPI w3tp_thread_pool_thread(void *param);

static const char *arg_after(int argc, char **argv, const char *flag)
{
    int i;

    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], flag))
            return argv[i + 1];
    return NULL;
}

int main(int argc, char **argv)
{
    static CRITICAL_SECTION cs_session, cs_cache;
    static struct w3tp_work work[W3WP_WORKERS];
    static const char *const funcs[W3WP_WORKERS] = {
        "lab_deadlock_a", "lab_deadlock_b", "lab_enter_cs_blocked", "lab_enter_cs_blocked",
        "lab_wait_named_event", "lab_wait_named_event", "lab_sleep_forever", "lab_sleep_forever",
        "lab_spin_cpu",
    };
    static const char *const waits[W3WP_WORKERS] = {
        "critical_section", "critical_section", "critical_section", "critical_section",
        "event", "event", "sleep", "sleep", "spin",
    };
    struct lab_facts facts;
    struct lab_deadlock deadlock;
    struct lab_cs_wait convoy[2];
    struct lab_event_wait queue[2];
    HANDLE threads[W3WP_WORKERS], queue_event, sleep_arrived[2], spin_arrived;
    DWORD tids[W3WP_WORKERS];
    wchar_t names[W3WP_WORKERS][32];
    const char *apppool = arg_after(argc, argv, "-ap");
    const char *engine = arg_after(argc, argv, "-l");
    HMODULE engine_module = NULL;
    char role[32], stack[96];
    int i;

    if (!apppool)
        lab_die("no -ap argument: start me with an IIS command line");
    lab_facts_begin(&facts, "w3wp");
    lab_set_thread_name(GetCurrentThread(), L"w3wp main");
    if (engine && !(engine_module = LoadLibraryA(engine)))
        lab_die("LoadLibrary(%s)", engine);

    InitializeCriticalSection(&cs_session);
    InitializeCriticalSection(&cs_cache);
    deadlock.first = &cs_session;
    deadlock.second = &cs_cache;
    deadlock.a_has_first = lab_new_event();
    deadlock.b_has_second = lab_new_event();
    queue_event = CreateEventW(NULL, TRUE, FALSE, W3WP_QUEUE_EVENT);
    if (!queue_event)
        lab_die("CreateEventW(%ls)", W3WP_QUEUE_EVENT);

    for (i = 0; i < 2; i++) {
        convoy[i].cs = &cs_session;
        convoy[i].arrived = lab_new_event();
        queue[i].event = queue_event;
        queue[i].arrived = lab_new_event();
        sleep_arrived[i] = lab_new_event();
    }
    spin_arrived = lab_new_event();
    work[0] = (struct w3tp_work){ lab_deadlock_a, &deadlock };
    work[1] = (struct w3tp_work){ lab_deadlock_b, &deadlock };
    work[2] = (struct w3tp_work){ lab_enter_cs_blocked, &convoy[0] };
    work[3] = (struct w3tp_work){ lab_enter_cs_blocked, &convoy[1] };
    work[4] = (struct w3tp_work){ lab_wait_named_event, &queue[0] };
    work[5] = (struct w3tp_work){ lab_wait_named_event, &queue[1] };
    work[6] = (struct w3tp_work){ lab_sleep_forever, sleep_arrived[0] };
    work[7] = (struct w3tp_work){ lab_sleep_forever, sleep_arrived[1] };
    work[8] = (struct w3tp_work){ lab_spin_cpu, spin_arrived };

    /* The deadlock first, so that worker0 owns cs_session before the two
     * convoy threads queue on it. */
    for (i = 0; i < W3WP_WORKERS; i++) {
        swprintf(names[i], 32, L"w3wp worker %d", i);
        if (i == 2) {
            lab_wait_event(deadlock.b_has_second);
            lab_wait_cs_waiters(&cs_session, 1);
        }
        threads[i] = lab_start_thread(w3tp_thread_pool_thread, &work[i], names[i], &tids[i]);
    }
    lab_wait_cs_waiters(&cs_session, 3);    /* worker1, worker2, worker3 */
    lab_wait_cs_waiters(&cs_cache, 1);      /* worker0 */
    for (i = 0; i < 2; i++) {
        lab_wait_event(convoy[i].arrived);
        lab_wait_event(queue[i].arrived);
        lab_wait_event(sleep_arrived[i]);
    }
    lab_wait_event(spin_arrived);
    Sleep(LAB_SETTLE_MS);

    lab_fact_str(&facts, "cmdline", GetCommandLineA());
    lab_fact_str(&facts, "apppool", apppool);
    lab_fact_str(&facts, "clr_version", arg_after(argc, argv, "-v") ? arg_after(argc, argv, "-v") : "");
    lab_fact_str(&facts, "module.engine", engine ? engine : "");
    lab_fact_ptr(&facts, "module.engine.base", engine_module);
    lab_fact_str(&facts, "module.threadpool", "w3tp.dll");
    lab_fact_ptr(&facts, "module.threadpool.base", GetModuleHandleW(L"w3tp.dll"));
    lab_fact_u64(&facts, "threads.lab", W3WP_WORKERS + 1);
    lab_fact_thread(&facts, "main", GetCurrentThreadId(), "lab_join_threads",
                    "lab_join_threads,main", "thread_join", L"w3wp main");
    for (i = 0; i < W3WP_WORKERS; i++) {
        snprintf(role, sizeof(role), "worker%d", i);
        snprintf(stack, sizeof(stack), "%s,w3tp_thread_pool_thread", funcs[i]);
        lab_fact_thread(&facts, role, tids[i], funcs[i], stack, waits[i], names[i]);
    }
    lab_fact_tids(&facts, "workers", W3WP_WORKERS, tids);
    lab_fact_str(&facts, "worker.entry", "w3tp_thread_pool_thread");

    lab_fact_ptr(&facts, "cs.session", &cs_session);
    lab_fact_u64(&facts, "cs.session.owner", tids[0]);
    lab_fact_tids(&facts, "cs.session.waiters", 3, (DWORD[]){ tids[1], tids[2], tids[3] });
    lab_fact_ptr(&facts, "cs.cache", &cs_cache);
    lab_fact_u64(&facts, "cs.cache.owner", tids[1]);
    lab_fact_tids(&facts, "cs.cache.waiters", 1, &tids[0]);
    lab_fact_tids(&facts, "deadlock.cycle", 2, tids);

    lab_fact_str(&facts, "event.name", "Local\\CoronerW3wpQueue");
    lab_fact_ptr(&facts, "event.handle", queue_event);
    lab_fact_tids(&facts, "event.waiters", 2, &tids[4]);
    lab_fact_u64(&facts, "event.manual_reset", 1);
    lab_fact_u64(&facts, "event.signaled", 0);

    LAB_FACT_SYM(&facts, main);
    LAB_FACT_SYM(&facts, lab_join_threads);
    LAB_FACT_SYM(&facts, lab_deadlock_a);
    LAB_FACT_SYM(&facts, lab_deadlock_b);
    LAB_FACT_SYM(&facts, lab_enter_cs_blocked);
    LAB_FACT_SYM(&facts, lab_wait_named_event);
    LAB_FACT_SYM(&facts, lab_sleep_forever);
    LAB_FACT_SYM(&facts, w3tp_thread_pool_thread);
    lab_facts_finish(&facts);

    lab_join_threads(W3WP_WORKERS, threads);
    return 0;
}
