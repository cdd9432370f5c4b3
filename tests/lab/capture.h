/*
 * capture.h - what capture.c and capture_complete.c share.
 */
#ifndef CORONER_LAB_CAPTURE_H
#define CORONER_LAB_CAPTURE_H

#include <windows.h>
#include <dbghelp.h>

/* "capture: " + message + newline on stderr. */
void capture_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Adds to the dump at PATH, just written by MiniDumpWriteDump for the live
 * process PROCESS (PID) with flags TYPE, the streams and memory Wine's
 * dbghelp leaves out.  Returns FALSE if the file could not be completed. */
BOOL capture_complete_dump(const wchar_t *path, HANDLE process, DWORD pid, MINIDUMP_TYPE type);

#endif
