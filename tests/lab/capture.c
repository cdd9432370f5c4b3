/*
 * capture.c - the lab's own ProcDump: writes minidumps of Windows processes.
 *
 *   capture [-ma|-mp|-mm] [-k] [-raw] PID DUMP
 *       dump a running process (a hang dump); -k terminates it once dumped.
 *   capture -x READYFILE [-t SECS] [-ma|-mp|-mm] [-k] [-raw] DUMP -- PROG [ARGS...]
 *       launch PROG, wait until it creates READYFILE, dump it (and -k kill it).
 *   capture -e [-c CODE] [-t SECS] [-ma|-mp|-mm] [-raw] DUMP -- PROG [ARGS...]
 *       run PROG under this program as its debugger and dump it at its first
 *       second-chance exception, or at the first first-chance exception whose
 *       code is CODE; the dump has an Exception stream.  The process is
 *       terminated afterwards.
 *   --cmdline "TEXT" may replace "-- PROG [ARGS...]" to give the child's
 *   command line verbatim (w3wp.exe's quoting must survive as IIS writes it).
 *
 * Dumps are written by dbghelp's MiniDumpWriteDump and then completed with
 * what Wine's dbghelp leaves out (capture_complete.c) unless -raw is given.
 *
 * Exit status: 0 dump written, 1 usage, 2 failure.
 */
#include <windows.h>
#include <dbghelp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "capture.h"

#define CAPTURE_MA (MiniDumpWithFullMemory | MiniDumpWithHandleData | \
                    MiniDumpWithProcessThreadData | MiniDumpWithThreadInfo | \
                    MiniDumpWithFullMemoryInfo)
#define CAPTURE_MP (MiniDumpWithDataSegs | MiniDumpWithHandleData | \
                    MiniDumpWithProcessThreadData | MiniDumpWithThreadInfo)
#define CAPTURE_MM (MiniDumpNormal)

enum capture_mode { CAPTURE_BY_PID, CAPTURE_LAUNCH, CAPTURE_DEBUG };

struct capture_opts {
    enum capture_mode mode;
    MINIDUMP_TYPE type;
    BOOL kill;
    BOOL raw;
    DWORD pid;
    DWORD exception_code;       /* -c: dump at this first-chance code */
    BOOL have_exception_code;
    DWORD timeout_s;
    const char *ready_file;
    const char *dump_path;
    wchar_t *cmdline;           /* child's command line (launch, debug) */
};

void capture_say(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "capture: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ---- writing ---- */

static BOOL write_dump(const struct capture_opts *o, HANDLE process, DWORD pid,
                       MINIDUMP_EXCEPTION_INFORMATION *exc, const char *comment)
{
    /* A comment stream as ProcDump and DebugDiag leave one: why the dump
     * was taken, including the exception's chance, which the Exception
     * stream itself does not record. */
    MINIDUMP_USER_STREAM us;
    MINIDUMP_USER_STREAM_INFORMATION usi;
    wchar_t path[MAX_PATH];
    HANDLE file;
    BOOL ok;
    DWORD start = GetTickCount();
    LARGE_INTEGER size;

    if (!MultiByteToWideChar(CP_ACP, 0, o->dump_path, -1, path, MAX_PATH)) {
        capture_say("bad dump path %s", o->dump_path);
        return FALSE;
    }
    file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE) {
        capture_say("cannot create %s (error %lu)", o->dump_path, GetLastError());
        return FALSE;
    }
    capture_say("dumping pid %lu to %s (type 0x%x)", pid, o->dump_path, (unsigned)o->type);
    us.Type = CommentStreamA;
    us.BufferSize = comment ? (ULONG)strlen(comment) + 1 : 0;
    us.Buffer = (void *)comment;
    usi.UserStreamCount = comment ? 1 : 0;
    usi.UserStreamArray = &us;
    ok = MiniDumpWriteDump(process, pid, file, o->type, exc, comment ? &usi : NULL, NULL);
    if (!ok)
        capture_say("MiniDumpWriteDump failed (error %lu)", GetLastError());
    CloseHandle(file);
    if (!ok) {
        DeleteFileW(path);
        return FALSE;
    }
    if (!o->raw && !capture_complete_dump(path, process, pid, o->type))
        return FALSE;
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (file != INVALID_HANDLE_VALUE && GetFileSizeEx(file, &size))
        capture_say("wrote %s: %llu bytes, pid %lu, type 0x%x, %lu ms", o->dump_path,
            (unsigned long long)size.QuadPart, pid, (unsigned)o->type, GetTickCount() - start);
    if (file != INVALID_HANDLE_VALUE)
        CloseHandle(file);
    return TRUE;
}

static int capture_pid(const struct capture_opts *o)
{
    HANDLE process = OpenProcess(PROCESS_ALL_ACCESS, FALSE, o->pid);
    BOOL ok;

    if (!process) {
        capture_say("cannot open process %lu (error %lu)", o->pid, GetLastError());
        return 2;
    }
    ok = write_dump(o, process, o->pid, NULL, "*** coroner lab capture: hang dump (on request)");
    /* Only after a dump: a failed capture can then be tried again. */
    if (o->kill && ok)
        TerminateProcess(process, 1);
    CloseHandle(process);
    return ok ? 0 : 2;
}

static BOOL start_child(const struct capture_opts *o, DWORD flags, PROCESS_INFORMATION *pi)
{
    STARTUPINFOW si;

    memset(&si, 0, sizeof(si));
    si.cb = sizeof(si);
    capture_say("starting %ls", o->cmdline);
    if (!CreateProcessW(NULL, o->cmdline, NULL, NULL, FALSE, flags, NULL, NULL, &si, pi)) {
        capture_say("CreateProcess failed (error %lu)", GetLastError());
        return FALSE;
    }
    return TRUE;
}

static int capture_launch(const struct capture_opts *o)
{
    PROCESS_INFORMATION pi;
    wchar_t ready[MAX_PATH];
    DWORD waited = 0, code;
    BOOL ok;

    if (!MultiByteToWideChar(CP_ACP, 0, o->ready_file, -1, ready, MAX_PATH))
        return 1;
    DeleteFileW(ready);
    if (!start_child(o, 0, &pi))
        return 2;
    printf("pid=%lu\n", pi.dwProcessId);
    fflush(stdout);
    while (GetFileAttributesW(ready) == INVALID_FILE_ATTRIBUTES) {
        if (WaitForSingleObject(pi.hProcess, 50) == WAIT_OBJECT_0) {
            GetExitCodeProcess(pi.hProcess, &code);
            capture_say("pid %lu exited with %lu before creating %s", pi.dwProcessId, code, o->ready_file);
            return 2;
        }
        waited += 50;
        if (waited >= o->timeout_s * 1000) {
            capture_say("pid %lu did not create %s within %lu s", pi.dwProcessId, o->ready_file, o->timeout_s);
            TerminateProcess(pi.hProcess, 1);
            return 2;
        }
    }
    ok = write_dump(o, pi.hProcess, pi.dwProcessId, NULL, "*** coroner lab capture: hang dump (on request)");
    /* A child we started and failed to dump is not left behind. */
    if (o->kill || !ok) {
        TerminateProcess(pi.hProcess, 1);
        WaitForSingleObject(pi.hProcess, 5000);
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return ok ? 0 : 2;
}

/* Debugging: dump at the exception the options ask for.  The exception
 * record comes from the debug event and the context from GetThreadContext
 * (the thread is stopped at the faulting instruction); both live in this
 * process, hence ClientPointers = FALSE. */
static BOOL dump_at_exception(const struct capture_opts *o, HANDLE process, DWORD pid,
                              const DEBUG_EVENT *ev)
{
    static CONTEXT ctx __attribute__((aligned(16)));
    char comment[128];
    EXCEPTION_RECORD rec = ev->u.Exception.ExceptionRecord;
    EXCEPTION_POINTERS ptrs;
    MINIDUMP_EXCEPTION_INFORMATION mei;
    HANDLE thread = OpenThread(THREAD_ALL_ACCESS, FALSE, ev->dwThreadId);

    if (!thread) {
        capture_say("cannot open thread %lu (error %lu)", ev->dwThreadId, GetLastError());
        return FALSE;
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.ContextFlags = CONTEXT_ALL;
    if (!GetThreadContext(thread, &ctx)) {
        capture_say("GetThreadContext failed (error %lu)", GetLastError());
        CloseHandle(thread);
        return FALSE;
    }
    CloseHandle(thread);
    ptrs.ExceptionRecord = &rec;
    ptrs.ContextRecord = &ctx;
    mei.ThreadId = ev->dwThreadId;
    mei.ExceptionPointers = &ptrs;
    mei.ClientPointers = FALSE;
    capture_say("%s-chance exception 0x%08lx at %p in thread %lu", ev->u.Exception.dwFirstChance ? "first" : "second",
        rec.ExceptionCode, rec.ExceptionAddress, ev->dwThreadId);
    snprintf(comment, sizeof comment, "*** coroner lab capture: %s chance exception: %08lX",
             ev->u.Exception.dwFirstChance ? "First" : "Second", rec.ExceptionCode);
    return write_dump(o, process, pid, &mei, comment);
}

static int capture_debug(const struct capture_opts *o)
{
    PROCESS_INFORMATION pi;
    DEBUG_EVENT ev;
    DWORD deadline = GetTickCount() + o->timeout_s * 1000;
    BOOL dumped = FALSE, failed = FALSE, exited = FALSE;

    if (!start_child(o, DEBUG_ONLY_THIS_PROCESS, &pi))
        return 2;
    printf("pid=%lu\n", pi.dwProcessId);
    fflush(stdout);
    while (!exited) {
        DWORD status = DBG_CONTINUE;

        if (!WaitForDebugEvent(&ev, 500)) {
            if ((LONG)(GetTickCount() - deadline) > 0) {
                capture_say("no exception within %lu s; terminating pid %lu", o->timeout_s, pi.dwProcessId);
                TerminateProcess(pi.hProcess, 1);
                deadline = GetTickCount() + 10000;
                failed = TRUE;
            }
            continue;
        }
        switch (ev.dwDebugEventCode) {
        case CREATE_PROCESS_DEBUG_EVENT:
            if (ev.u.CreateProcessInfo.hFile)
                CloseHandle(ev.u.CreateProcessInfo.hFile);
            break;
        case LOAD_DLL_DEBUG_EVENT:
            if (ev.u.LoadDll.hFile)
                CloseHandle(ev.u.LoadDll.hFile);
            break;
        case EXIT_PROCESS_DEBUG_EVENT:
            if (!dumped && !failed)
                capture_say("pid %lu exited with 0x%lx without the exception", pi.dwProcessId,
                    ev.u.ExitProcess.dwExitCode);
            exited = TRUE;
            break;
        case EXCEPTION_DEBUG_EVENT: {
            DWORD code = ev.u.Exception.ExceptionRecord.ExceptionCode;
            BOOL first = ev.u.Exception.dwFirstChance != 0;

            if (dumped || failed)
                break;
            if ((first && o->have_exception_code && code == o->exception_code) || !first) {
                if (dump_at_exception(o, pi.hProcess, pi.dwProcessId, &ev))
                    dumped = TRUE;
                else
                    failed = TRUE;
                TerminateProcess(pi.hProcess, code);
            } else if (code != EXCEPTION_BREAKPOINT) {
                /* Let the program's own handlers see it first, as a
                 * debugger does by default ("gn"). */
                status = DBG_EXCEPTION_NOT_HANDLED;
            }
            break;
        }
        default:
            break;
        }
        ContinueDebugEvent(ev.dwProcessId, ev.dwThreadId, status);
    }
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return dumped ? 0 : 2;
}

/* ---- command line ---- */

static void usage(void)
{
    fprintf(stderr,
            "usage: capture [-ma|-mp|-mm] [-k] [-raw] PID DUMP\n"
            "       capture -x READYFILE [-t SECS] [-ma|-mp|-mm] [-k] [-raw] DUMP -- PROG [ARGS...]\n"
            "       capture -e [-c CODE] [-t SECS] [-ma|-mp|-mm] [-raw] DUMP -- PROG [ARGS...]\n"
            "  --cmdline \"TEXT\" may replace \"-- PROG [ARGS...]\" (verbatim command line)\n"
            "  -ma full memory; -mp stacks, PEB/TEB, data sections, handles (default);\n"
            "  -mm MiniDumpNormal\n"
            "  -raw  leave the dump exactly as dbghelp wrote it\n");
}

/* Joins ARGV into a command line with the quoting CommandLineToArgvW undoes. */
static wchar_t *join_args(int argc, char **argv)
{
    size_t cap = 16, n = 0;
    wchar_t *out;
    int i;

    for (i = 0; i < argc; i++)
        cap += strlen(argv[i]) * 2 + 3;
    if (!(out = malloc(cap * sizeof(*out))))
        return NULL;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        BOOL quote = !*a || strpbrk(a, " \t\"") != NULL;
        size_t slashes = 0;

        if (i)
            out[n++] = L' ';
        if (quote)
            out[n++] = L'"';
        for (; *a; a++) {
            if (*a == '\\') {
                slashes++;
            } else if (*a == '"') {
                while (slashes--)
                    out[n++] = L'\\';
                out[n++] = L'\\';
                slashes = 0;
            } else {
                slashes = 0;
            }
            out[n++] = (wchar_t)(unsigned char)*a;
        }
        if (quote) {
            while (slashes--)
                out[n++] = L'\\';
            out[n++] = L'"';
        }
    }
    out[n] = 0;
    return out;
}

static wchar_t *widen(const char *s)
{
    int n = MultiByteToWideChar(CP_ACP, 0, s, -1, NULL, 0);
    wchar_t *w = n > 0 ? malloc(n * sizeof(*w)) : NULL;

    if (w)
        MultiByteToWideChar(CP_ACP, 0, s, -1, w, n);
    return w;
}

int main(int argc, char **argv)
{
    struct capture_opts o;
    const char *positional[2];
    int npos = 0, i;

    memset(&o, 0, sizeof(o));
    o.mode = CAPTURE_BY_PID;
    o.type = CAPTURE_MP;
    o.timeout_s = 60;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "-ma")) {
            o.type = CAPTURE_MA;
        } else if (!strcmp(a, "-mp")) {
            o.type = CAPTURE_MP;
        } else if (!strcmp(a, "-mm")) {
            o.type = CAPTURE_MM;
        } else if (!strcmp(a, "-k")) {
            o.kill = TRUE;
        } else if (!strcmp(a, "-raw")) {
            o.raw = TRUE;
        } else if (!strcmp(a, "-e")) {
            o.mode = CAPTURE_DEBUG;
        } else if (!strcmp(a, "-x") && i + 1 < argc) {
            o.mode = CAPTURE_LAUNCH;
            o.ready_file = argv[++i];
        } else if (!strcmp(a, "-c") && i + 1 < argc) {
            o.exception_code = strtoul(argv[++i], NULL, 0);
            o.have_exception_code = TRUE;
        } else if (!strcmp(a, "-t") && i + 1 < argc) {
            o.timeout_s = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--cmdline") && i + 1 < argc) {
            o.cmdline = widen(argv[++i]);
        } else if (!strcmp(a, "--")) {
            if (i + 1 < argc)
                o.cmdline = join_args(argc - i - 1, argv + i + 1);
            break;
        } else if (a[0] == '-' && a[1]) {
            usage();
            return 1;
        } else if (npos < 2) {
            positional[npos++] = a;
        } else {
            usage();
            return 1;
        }
    }

    if (o.mode == CAPTURE_BY_PID) {
        if (npos != 2 || o.cmdline) {
            usage();
            return 1;
        }
        o.pid = strtoul(positional[0], NULL, 0);
        o.dump_path = positional[1];
        return capture_pid(&o);
    }
    if (npos != 1 || !o.cmdline) {
        usage();
        return 1;
    }
    o.dump_path = positional[0];
    return o.mode == CAPTURE_LAUNCH ? capture_launch(&o) : capture_debug(&o);
}
