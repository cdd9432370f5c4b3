/*
 * w3tp.c - w3tp.dll, a stand-in for IIS's worker thread pool.
 *
 * Every worker thread of the lab's w3wp.exe starts in
 * w3tp_thread_pool_thread, which calls the work item, so worker stacks cross
 * from w3wp.exe into this DLL as IIS's do (w3tp!THREAD_POOL_DATA::
 * ThreadPoolThread); each module has its own PDB.
 */
#include <windows.h>

struct w3tp_work {
    LPTHREAD_START_ROUTINE fn;
    void *arg;
};

volatile LONG w3tp_threads_started;

__declspec(dllexport) __attribute__((noinline)) DWORD WINAPI w3tp_thread_pool_thread(void *param)
{
    const struct w3tp_work *work = param;
    DWORD result;

    InterlockedIncrement(&w3tp_threads_started);
    result = work->fn(work->arg);
    InterlockedDecrement(&w3tp_threads_started);
    return result;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
