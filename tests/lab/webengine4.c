/*
 * webengine4.c - webengine4.dll, the module IIS loads for ASP.NET 4
 * integration (named by w3wp's -l argument).  The lab's w3wp.exe loads it by
 * that name so the module list looks like an ASP.NET worker's; it does
 * nothing.
 */
#include <windows.h>

__declspec(dllexport) __attribute__((noinline)) HRESULT WINAPI webengine_register_module(DWORD version)
{
    return version ? S_OK : E_INVALIDARG;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
