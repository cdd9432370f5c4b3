/*
 * labdll.c - a DLL whose DllMain never returns, for hang_locks' loader-lock
 * scenario: loading it leaves the loading thread inside DllMain, holding
 * the loader lock, waiting on an event nobody sets (a classic real-world
 * hang: DllMain waiting for another thread).
 *
 * It signals Local\CoronerLabInDllMain when it gets there, so the test
 * program knows the loader lock is held.
 */
#include <windows.h>

__declspec(noinline) static void lab_dllmain_wait(void)
{
    HANDLE in = OpenEventW(EVENT_MODIFY_STATE, FALSE, L"Local\\CoronerLabInDllMain");
    HANDLE never = CreateEventW(NULL, TRUE, FALSE, NULL);

    if (in)
        SetEvent(in);
    WaitForSingleObject(never, INFINITE);
}

BOOL WINAPI DllMain(HINSTANCE inst, DWORD reason, void *reserved)
{
    (void)inst;
    (void)reserved;
    if (reason == DLL_PROCESS_ATTACH)
        lab_dllmain_wait();
    return TRUE;
}
