/*
 * capture_complete.c - completing a minidump that Wine's dbghelp wrote.
 *
 * Wine's dbghelp (8.0) writes SystemInfo, ThreadList, ModuleList, MemoryList
 * or Memory64List, MiscInfo and Exception streams, plus its own 0xfff0 stream
 * of host (ELF) modules, and ignores the other MINIDUMP_TYPE flags.
 * capture_complete_dump then adds, read from the live process, what Windows'
 * dbghelp would have written for the same flags:
 *   - CodeView records of modules (Wine leaves CvRecord empty),
 *   - process times in MiscInfo,
 *   - ThreadInfoList (MiniDumpWithThreadInfo) and ThreadNames,
 *   - HandleData with type and object names (MiniDumpWithHandleData),
 *   - MemoryInfoList (MiniDumpWithFullMemoryInfo),
 *   - for dumps without full memory, in the MemoryList: PEB, TEBs, process
 *     parameters, environment and loader data (MiniDumpWithProcessThreadData)
 *     and the modules' writable sections (MiniDumpWithDataSegs).
 * Streams are appended at the end of the file and the stream directory is
 * rewritten there; the header then points at the new directory.  Every
 * minidump reader follows StreamDirectoryRva, so this is a valid layout.
 */
#include <windows.h>
#include <winternl.h>
#include <dbghelp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "capture.h"

/* ---- growable byte buffer with little-endian writers ---- */

struct buf {
    uint8_t *p;
    size_t n, cap;
    BOOL oom;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint8_t *p;

        while (cap < b->n + n)
            cap *= 2;
        p = realloc(b->p, cap);
        if (!p) {
            b->oom = TRUE;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (data)
        memcpy(b->p + b->n, data, n);
    else
        memset(b->p + b->n, 0, n);
    b->n += n;
}

static void buf_u32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

    buf_put(b, x, 4);
}

static void buf_u64(struct buf *b, uint64_t v)
{
    buf_u32(b, (uint32_t)v);
    buf_u32(b, (uint32_t)(v >> 32));
}

static void buf_free(struct buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void set_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- editing a written minidump in place ---- */

/* MINIDUMP_HEADER and MINIDUMP_DIRECTORY field offsets (minidumpapiset.h). */
#define HDR_SIZE                 32
#define HDR_NumberOfStreams      8
#define HDR_StreamDirectoryRva   12
#define DIR_ENTRY_SIZE           12

struct dump_stream {
    uint32_t type, size, rva;
};

struct dump_edit {
    HANDLE file;
    uint64_t end;               /* end of file: appends go here */
    struct dump_stream *streams;
    size_t count;
    BOOL failed;
};

static BOOL edit_read(struct dump_edit *ed, uint64_t rva, void *out, DWORD n)
{
    LARGE_INTEGER pos;
    DWORD got = 0;

    pos.QuadPart = (LONGLONG)rva;
    if (!SetFilePointerEx(ed->file, pos, NULL, FILE_BEGIN) ||
        !ReadFile(ed->file, out, n, &got, NULL) || got != n)
        return FALSE;
    return TRUE;
}

static BOOL edit_write(struct dump_edit *ed, uint64_t rva, const void *data, DWORD n)
{
    LARGE_INTEGER pos;
    DWORD put = 0;

    pos.QuadPart = (LONGLONG)rva;
    if (!SetFilePointerEx(ed->file, pos, NULL, FILE_BEGIN) ||
        !WriteFile(ed->file, data, n, &put, NULL) || put != n) {
        ed->failed = TRUE;
        return FALSE;
    }
    return TRUE;
}

/* Appends at the end of the file, 8-aligned; returns the RVA, or 0 when the
 * data would not be addressable by a 32-bit RVA. */
static uint32_t edit_append(struct dump_edit *ed, const void *data, size_t n)
{
    static const uint8_t zeros[8];
    uint64_t at = (ed->end + 7) & ~(uint64_t)7;

    if (at + n >= 0xffffffffu || n > 0xffffffffu) {
        ed->failed = TRUE;
        return 0;
    }
    if (at != ed->end && !edit_write(ed, ed->end, zeros, (DWORD)(at - ed->end)))
        return 0;
    if (n && !edit_write(ed, at, data, (DWORD)n))
        return 0;
    ed->end = at + n;
    return (uint32_t)at;
}

static struct dump_stream *edit_find(struct dump_edit *ed, uint32_t type)
{
    size_t i;

    for (i = 0; i < ed->count; i++)
        if (ed->streams[i].type == type)
            return &ed->streams[i];
    return NULL;
}

/* Appends DATA as stream TYPE, replacing the directory entry of an existing
 * stream of that type. */
static void edit_set_stream(struct dump_edit *ed, uint32_t type, const struct buf *data)
{
    struct dump_stream *s;
    uint32_t rva;

    if (data->oom) {
        ed->failed = TRUE;
        return;
    }
    rva = edit_append(ed, data->p, data->n);
    if (!rva)
        return;
    s = edit_find(ed, type);
    if (!s) {
        struct dump_stream *grown = realloc(ed->streams, (ed->count + 1) * sizeof(*grown));

        if (!grown) {
            ed->failed = TRUE;
            return;
        }
        ed->streams = grown;
        s = &ed->streams[ed->count++];
        s->type = type;
    }
    s->size = (uint32_t)data->n;
    s->rva = rva;
}

/* Appends a MINIDUMP_STRING (byte length, UTF-16 text, NUL); returns its RVA. */
static uint32_t edit_append_string(struct dump_edit *ed, const wchar_t *s, size_t chars)
{
    struct buf b = { 0 };
    uint32_t rva;

    buf_u32(&b, (uint32_t)(chars * sizeof(wchar_t)));
    buf_put(&b, s, chars * sizeof(wchar_t));
    buf_put(&b, NULL, sizeof(wchar_t));
    rva = b.oom ? 0 : edit_append(ed, b.p, b.n);
    buf_free(&b);
    return rva;
}

static BOOL edit_open(struct dump_edit *ed, const wchar_t *path)
{
    uint8_t hdr[HDR_SIZE];
    LARGE_INTEGER size;
    uint32_t count, dir_rva;
    uint8_t *dir;
    size_t i;

    memset(ed, 0, sizeof(*ed));
    ed->file = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (ed->file == INVALID_HANDLE_VALUE)
        return FALSE;
    if (!GetFileSizeEx(ed->file, &size) || !edit_read(ed, 0, hdr, sizeof(hdr)) ||
        le32(hdr) != MINIDUMP_SIGNATURE)
        goto bad;
    ed->end = (uint64_t)size.QuadPart;
    count = le32(hdr + HDR_NumberOfStreams);
    dir_rva = le32(hdr + HDR_StreamDirectoryRva);
    if (count > 1024 || (uint64_t)dir_rva + count * DIR_ENTRY_SIZE > ed->end)
        goto bad;
    dir = malloc(count * DIR_ENTRY_SIZE + 1);
    ed->streams = calloc(count + 1, sizeof(*ed->streams));
    if (!dir || !ed->streams || !edit_read(ed, dir_rva, dir, count * DIR_ENTRY_SIZE)) {
        free(dir);
        goto bad;
    }
    for (i = 0; i < count; i++) {
        const uint8_t *e = dir + i * DIR_ENTRY_SIZE;

        /* Wine pads the directory to a multiple of 4 with UnusedStream. */
        if (le32(e) == UnusedStream)
            continue;
        ed->streams[ed->count].type = le32(e);
        ed->streams[ed->count].size = le32(e + 4);
        ed->streams[ed->count].rva = le32(e + 8);
        ed->count++;
    }
    free(dir);
    return TRUE;
bad:
    CloseHandle(ed->file);
    free(ed->streams);
    ed->streams = NULL;
    return FALSE;
}

/* Writes the directory at the end of the file and points the header at it. */
static BOOL edit_close(struct dump_edit *ed)
{
    struct buf dir = { 0 };
    uint8_t fields[8];
    uint32_t rva = 0;
    size_t i;

    for (i = 0; i < ed->count; i++) {
        buf_u32(&dir, ed->streams[i].type);
        buf_u32(&dir, ed->streams[i].size);
        buf_u32(&dir, ed->streams[i].rva);
    }
    if (!ed->failed && !dir.oom)
        rva = edit_append(ed, dir.p, dir.n);
    if (rva) {
        set_le32(fields, (uint32_t)ed->count);
        set_le32(fields + 4, rva);
        edit_write(ed, HDR_NumberOfStreams, fields, sizeof(fields));
    }
    buf_free(&dir);
    if (!CloseHandle(ed->file))
        ed->failed = TRUE;
    free(ed->streams);
    return rva && !ed->failed;
}

/* ---- reading the target ---- */

static BOOL target_read(HANDLE process, uint64_t addr, void *out, size_t n)
{
    SIZE_T got = 0;

    return ReadProcessMemory(process, (const void *)(ULONG_PTR)addr, out, n, &got) && got == n;
}

static BOOL target_u64(HANDLE process, uint64_t addr, uint64_t *v)
{
    uint8_t b[8];

    if (!target_read(process, addr, b, 8))
        return FALSE;
    *v = le64(b);
    return TRUE;
}

/* ---- completing: module CodeView records ---- */

/* MINIDUMP_MODULE is 108 bytes; CvRecord is a MINIDUMP_LOCATION_DESCRIPTOR at 76. */
#define MOD_SIZE            108
#define MOD_BaseOfImage     0
#define MOD_CvRecord        76
#define CV_MAX              4096

/* Reads the module's debug directory from the target and returns the
 * CodeView (RSDS / NB10) record, or 0 bytes if it has none. */
static size_t module_codeview(HANDLE process, uint64_t base, uint8_t *out, size_t cap)
{
    uint8_t hdr[0x400];
    uint32_t nt, dd_rva, dd_size, i;
    size_t opt;

    if (!target_read(process, base, hdr, sizeof(hdr)) || le16(hdr) != IMAGE_DOS_SIGNATURE)
        return 0;
    nt = le32(hdr + 0x3c);
    if (nt > sizeof(hdr) - 0x108 || le32(hdr + nt) != IMAGE_NT_SIGNATURE)
        return 0;
    opt = nt + 24;      /* after the signature and the 20-byte IMAGE_FILE_HEADER */
    /* The data directories follow the PE32 (96) or PE32+ (112) optional header. */
    if (le16(hdr + opt) == IMAGE_NT_OPTIONAL_HDR64_MAGIC)
        opt += 112;
    else if (le16(hdr + opt) == IMAGE_NT_OPTIONAL_HDR32_MAGIC)
        opt += 96;
    else
        return 0;
    dd_rva = le32(hdr + opt + IMAGE_DIRECTORY_ENTRY_DEBUG * 8);
    dd_size = le32(hdr + opt + IMAGE_DIRECTORY_ENTRY_DEBUG * 8 + 4);
    for (i = 0; dd_rva && i + 28 <= dd_size && i < 28 * 16; i += 28) {
        uint8_t dd[28];
        uint32_t type, size, rva;

        if (!target_read(process, base + dd_rva + i, dd, sizeof(dd)))
            return 0;
        type = le32(dd + 12);
        size = le32(dd + 16);
        rva = le32(dd + 20);
        if (type != IMAGE_DEBUG_TYPE_CODEVIEW || !rva || size < 8 || size > cap)
            continue;
        if (!target_read(process, base + rva, out, size))
            return 0;
        if (memcmp(out, "RSDS", 4) && memcmp(out, "NB10", 4))
            continue;
        return size;
    }
    return 0;
}

static void complete_codeview(struct dump_edit *ed, HANDLE process)
{
    struct dump_stream *s = edit_find(ed, ModuleListStream);
    uint8_t count_le[4], mod[MOD_SIZE], *cv;
    uint32_t count, i, filled = 0;

    if (!s || s->size < 4 || !edit_read(ed, s->rva, count_le, 4))
        return;
    count = le32(count_le);
    if ((uint64_t)count * MOD_SIZE + 4 > s->size || !(cv = malloc(CV_MAX)))
        return;
    for (i = 0; i < count; i++) {
        uint64_t at = s->rva + 4 + (uint64_t)i * MOD_SIZE;
        size_t n;
        uint32_t rva;

        if (!edit_read(ed, at, mod, MOD_SIZE) || le32(mod + MOD_CvRecord))
            continue;
        n = module_codeview(process, le64(mod + MOD_BaseOfImage), cv, CV_MAX);
        if (!n || !(rva = edit_append(ed, cv, n)))
            continue;
        set_le32(mod + MOD_CvRecord, (uint32_t)n);
        set_le32(mod + MOD_CvRecord + 4, rva);
        edit_write(ed, at + MOD_CvRecord, mod + MOD_CvRecord, 8);
        filled++;
    }
    free(cv);
    capture_say("  %u of %u modules given CodeView records", filled, count);
}

/* ---- completing: MiscInfo process times ---- */

/* MINIDUMP_MISC_INFO: SizeOfInfo, Flags1, ProcessId, ProcessCreateTime,
 * ProcessUserTime, ProcessKernelTime (all ULONG; times in seconds, the
 * create time as a time_t). */
static void complete_misc_info(struct dump_edit *ed, HANDLE process)
{
    struct dump_stream *s = edit_find(ed, MiscInfoStream);
    FILETIME create, exit_time, kernel, user;
    uint8_t misc[24];
    ULARGE_INTEGER c, k, u;

    if (!s || s->size < sizeof(misc) || !edit_read(ed, s->rva, misc, sizeof(misc)))
        return;
    if (!GetProcessTimes(process, &create, &exit_time, &kernel, &user))
        return;
    c.LowPart = create.dwLowDateTime; c.HighPart = create.dwHighDateTime;
    k.LowPart = kernel.dwLowDateTime; k.HighPart = kernel.dwHighDateTime;
    u.LowPart = user.dwLowDateTime; u.HighPart = user.dwHighDateTime;
    if (c.QuadPart < 116444736000000000ULL)     /* 1970-01-01 as a FILETIME */
        return;
    set_le32(misc + 4, le32(misc + 4) | MINIDUMP_MISC1_PROCESS_TIMES);
    set_le32(misc + 12, (uint32_t)((c.QuadPart - 116444736000000000ULL) / 10000000));
    set_le32(misc + 16, (uint32_t)(u.QuadPart / 10000000));
    set_le32(misc + 20, (uint32_t)(k.QuadPart / 10000000));
    edit_write(ed, s->rva, misc, sizeof(misc));
}

/* ---- completing: thread info and names ---- */

/* MINIDUMP_THREAD is 48 bytes: ThreadId at 0, Teb at 16. */
#define THR_SIZE 48
#define THR_Teb  16

struct dump_threads {
    uint32_t count;
    uint32_t *tids;
    uint64_t *tebs;
};

static BOOL read_threads(struct dump_edit *ed, struct dump_threads *t)
{
    struct dump_stream *s = edit_find(ed, ThreadListStream);
    uint8_t count_le[4], thr[THR_SIZE];
    uint32_t i;

    memset(t, 0, sizeof(*t));
    if (!s || s->size < 4 || !edit_read(ed, s->rva, count_le, 4))
        return FALSE;
    t->count = le32(count_le);
    if ((uint64_t)t->count * THR_SIZE + 4 > s->size)
        return FALSE;
    t->tids = calloc(t->count + 1, sizeof(*t->tids));
    t->tebs = calloc(t->count + 1, sizeof(*t->tebs));
    if (!t->tids || !t->tebs)
        return FALSE;
    for (i = 0; i < t->count; i++) {
        if (!edit_read(ed, s->rva + 4 + (uint64_t)i * THR_SIZE, thr, THR_SIZE))
            return FALSE;
        t->tids[i] = le32(thr);
        t->tebs[i] = le64(thr + THR_Teb);
    }
    return TRUE;
}

/* THREAD_BASIC_INFORMATION (not in mingw-w64's winternl.h). */
struct thread_basic_info {
    NTSTATUS exit_status;
    PVOID teb;
    CLIENT_ID client_id;
    ULONG_PTR affinity;
    LONG priority;
    LONG base_priority;
};

static uint64_t filetime_u64(FILETIME f)
{
    return (uint64_t)f.dwHighDateTime << 32 | f.dwLowDateTime;
}

/* MINIDUMP_THREAD_INFO_LIST: SizeOfHeader, SizeOfEntry, NumberOfEntries;
 * MINIDUMP_THREAD_INFO: ThreadId, DumpFlags, DumpError, ExitStatus,
 * CreateTime, ExitTime, KernelTime, UserTime, StartAddress, Affinity. */
static void complete_thread_info(struct dump_edit *ed, const struct dump_threads *t)
{
    struct buf b = { 0 };
    uint32_t i;

    buf_u32(&b, 12);
    buf_u32(&b, 64);
    buf_u32(&b, t->count);
    for (i = 0; i < t->count; i++) {
        HANDLE th = OpenThread(THREAD_QUERY_INFORMATION, FALSE, t->tids[i]);
        FILETIME create = { 0 }, exit_time = { 0 }, kernel = { 0 }, user = { 0 };
        struct thread_basic_info tbi;
        ULONG_PTR start = 0;
        uint32_t flags = 0, exit_status = STILL_ACTIVE;
        uint64_t affinity = 0;

        if (th) {
            if (!GetThreadTimes(th, &create, &exit_time, &kernel, &user))
                flags |= MINIDUMP_THREAD_INFO_ERROR_THREAD;
            if (NtQueryInformationThread(th, ThreadQuerySetWin32StartAddress, &start,
                                         sizeof(start), NULL) != 0)
                start = 0;
            memset(&tbi, 0, sizeof(tbi));
            if (NtQueryInformationThread(th, (THREADINFOCLASS)0 /* ThreadBasicInformation */,
                                         &tbi, sizeof(tbi), NULL) == 0) {
                exit_status = (uint32_t)tbi.exit_status;
                affinity = tbi.affinity;
            }
            CloseHandle(th);
        } else {
            flags |= MINIDUMP_THREAD_INFO_ERROR_THREAD;
        }
        buf_u32(&b, t->tids[i]);
        buf_u32(&b, flags);
        buf_u32(&b, 0);
        buf_u32(&b, exit_status);
        buf_u64(&b, filetime_u64(create));
        buf_u64(&b, filetime_u64(exit_time));
        buf_u64(&b, filetime_u64(kernel));
        buf_u64(&b, filetime_u64(user));
        buf_u64(&b, start);
        buf_u64(&b, affinity);
    }
    edit_set_stream(ed, ThreadInfoListStream, &b);
    buf_free(&b);
}

typedef HRESULT (WINAPI *get_thread_description_fn)(HANDLE, PWSTR *);

/* MINIDUMP_THREAD_NAME_LIST: NumberOfThreadNames, then 12-byte entries
 * (ThreadId, RVA64 of a MINIDUMP_STRING). */
static void complete_thread_names(struct dump_edit *ed, const struct dump_threads *t)
{
    get_thread_description_fn get;
    FARPROC proc;
    struct buf b = { 0 };
    uint32_t i, named = 0;

    proc = GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "GetThreadDescription");
    if (!proc)
        return;
    get = (get_thread_description_fn)(void (*)(void))proc;
    buf_u32(&b, 0);
    for (i = 0; i < t->count; i++) {
        HANDLE th = OpenThread(THREAD_QUERY_LIMITED_INFORMATION, FALSE, t->tids[i]);
        PWSTR name = NULL;
        uint32_t rva;

        if (!th)
            continue;
        if (SUCCEEDED(get(th, &name)) && name && name[0]) {
            rva = edit_append_string(ed, name, wcslen(name));
            if (rva) {
                buf_u32(&b, t->tids[i]);
                buf_u64(&b, rva);
                named++;
            }
        }
        if (name)
            LocalFree(name);
        CloseHandle(th);
    }
    if (named && !b.oom) {
        set_le32(b.p, named);
        edit_set_stream(ed, ThreadNamesStream, &b);
    }
    capture_say("  %u of %u threads have names", named, t->count);
    buf_free(&b);
}

/* ---- completing: handles ---- */

#ifndef SystemExtendedHandleInformation
#define SystemExtendedHandleInformation 64
#endif

/* SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX (not in mingw-w64's winternl.h). */
struct handle_entry_ex {
    PVOID object;
    ULONG_PTR pid;
    ULONG_PTR handle;
    ULONG access;
    USHORT creator_back_trace_index;
    USHORT object_type_index;
    ULONG attributes;
    ULONG reserved;
};

/* The target's handles, from the system-wide handle table (Wine implements
 * both the classic and the extended information class). */
static size_t target_handles(DWORD pid, ULONG_PTR **out)
{
    ULONG size = 0x10000;
    void *info = NULL;
    NTSTATUS st;
    ULONG_PTR *handles;
    size_t n = 0, i, total;

    for (;;) {
        free(info);
        if (!(info = malloc(size)))
            return 0;
        st = NtQuerySystemInformation(SystemExtendedHandleInformation, info, size, NULL);
        if (st != (NTSTATUS)0xC0000004L || size > (64u << 20))     /* STATUS_INFO_LENGTH_MISMATCH */
            break;
        size *= 2;
    }
    if (st == 0) {
        /* SYSTEM_HANDLE_INFORMATION_EX: NumberOfHandles, Reserved, Handles[]. */
        const struct handle_entry_ex *e = (const void *)((ULONG_PTR *)info + 2);

        total = ((ULONG_PTR *)info)[0];
        if (total > (size - 2 * sizeof(ULONG_PTR)) / sizeof(*e))
            total = 0;
        handles = calloc(total + 1, sizeof(*handles));
        for (i = 0; handles && i < total; i++)
            if (e[i].pid == pid)
                handles[n++] = e[i].handle;
    } else {
        const SYSTEM_HANDLE_INFORMATION *shi = info;

        size = 0x10000;
        for (;;) {
            free(info);
            if (!(info = malloc(size)))
                return 0;
            st = NtQuerySystemInformation(SystemHandleInformation, info, size, NULL);
            if (st != (NTSTATUS)0xC0000004L || size > (64u << 20))
                break;
            size *= 2;
        }
        shi = info;
        total = st == 0 ? shi->Count : 0;
        if (total > (size - sizeof(ULONG_PTR)) / sizeof(shi->Handle[0]))
            total = 0;
        handles = calloc(total + 1, sizeof(*handles));
        for (i = 0; handles && i < total; i++)
            if (shi->Handle[i].OwnerPid == pid)
                handles[n++] = shi->Handle[i].HandleValue;
    }
    free(info);
    *out = handles;
    return handles ? n : 0;
}

static uint32_t append_object_string(struct dump_edit *ed, HANDLE h, OBJECT_INFORMATION_CLASS cls)
{
    union { UNICODE_STRING s; uint8_t raw[4096]; } u;
    ULONG len = 0;

    memset(&u, 0, sizeof(u));
    if (NtQueryObject(h, cls, &u, sizeof(u), &len) != 0 || !u.s.Buffer || !u.s.Length)
        return 0;
    return edit_append_string(ed, u.s.Buffer, u.s.Length / sizeof(wchar_t));
}

/* MINIDUMP_HANDLE_DATA_STREAM: SizeOfHeader, SizeOfDescriptor,
 * NumberOfDescriptors, Reserved; MINIDUMP_HANDLE_DESCRIPTOR: Handle (u64),
 * TypeNameRva, ObjectNameRva, Attributes, GrantedAccess, HandleCount,
 * PointerCount. */
static void complete_handles(struct dump_edit *ed, HANDLE process, DWORD pid)
{
    ULONG_PTR *handles = NULL;
    size_t n = target_handles(pid, &handles), i, named = 0;
    struct buf b = { 0 };

    buf_u32(&b, 16);
    buf_u32(&b, 32);
    buf_u32(&b, (uint32_t)n);
    buf_u32(&b, 0);
    for (i = 0; i < n; i++) {
        HANDLE dup = NULL;
        PUBLIC_OBJECT_BASIC_INFORMATION basic;
        uint32_t type_rva = 0, name_rva = 0;

        memset(&basic, 0, sizeof(basic));
        if (DuplicateHandle(process, (HANDLE)handles[i], GetCurrentProcess(), &dup, 0, FALSE,
                            DUPLICATE_SAME_ACCESS)) {
            NtQueryObject(dup, ObjectBasicInformation, &basic, sizeof(basic), NULL);
            type_rva = append_object_string(ed, dup, ObjectTypeInformation);
            name_rva = append_object_string(ed, dup, ObjectNameInformation);
            named += name_rva != 0;
            CloseHandle(dup);
        }
        buf_u64(&b, handles[i]);
        buf_u32(&b, type_rva);
        buf_u32(&b, name_rva);
        buf_u32(&b, basic.Attributes);
        buf_u32(&b, basic.GrantedAccess);
        buf_u32(&b, basic.HandleCount);
        buf_u32(&b, basic.PointerCount);
    }
    edit_set_stream(ed, HandleDataStream, &b);
    capture_say("  %zu handles (%zu named)", n, named);
    buf_free(&b);
    free(handles);
}

/* ---- completing: memory info ---- */

/* MINIDUMP_MEMORY_INFO_LIST: SizeOfHeader (16), SizeOfEntry (48),
 * NumberOfEntries (u64); then MINIDUMP_MEMORY_INFO entries. */
static void complete_memory_info(struct dump_edit *ed, HANDLE process)
{
    struct buf b = { 0 };
    MEMORY_BASIC_INFORMATION mbi;
    ULONG_PTR addr = 0;
    uint64_t n = 0;

    buf_u32(&b, 16);
    buf_u32(&b, 48);
    buf_u64(&b, 0);
    while (VirtualQueryEx(process, (const void *)addr, &mbi, sizeof(mbi)) == sizeof(mbi)) {
        buf_u64(&b, (ULONG_PTR)mbi.BaseAddress);
        buf_u64(&b, (ULONG_PTR)mbi.AllocationBase);
        buf_u32(&b, mbi.AllocationProtect);
        buf_u32(&b, 0);
        buf_u64(&b, mbi.RegionSize);
        buf_u32(&b, mbi.State);
        buf_u32(&b, mbi.Protect);
        buf_u32(&b, mbi.Type);
        buf_u32(&b, 0);
        n++;
        if ((ULONG_PTR)mbi.BaseAddress + mbi.RegionSize <= addr)
            break;
        addr = (ULONG_PTR)mbi.BaseAddress + mbi.RegionSize;
    }
    if (!b.oom) {
        set_le32(b.p + 8, (uint32_t)n);
        set_le32(b.p + 12, (uint32_t)(n >> 32));
    }
    edit_set_stream(ed, MemoryInfoListStream, &b);
    buf_free(&b);
}

/* ---- completing: PEB / TEB memory for dumps without full memory ---- */

struct range {
    uint64_t base, size;
};

struct ranges {
    struct range *r;
    size_t n, cap;
};

static void ranges_add(struct ranges *rs, uint64_t base, uint64_t size)
{
    if (!base || !size || size > (16u << 20))
        return;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        struct range *r = realloc(rs->r, cap * sizeof(*r));

        if (!r)
            return;
        rs->r = r;
        rs->cap = cap;
    }
    rs->r[rs->n].base = base;
    rs->r[rs->n].size = size;
    rs->n++;
}

static int range_cmp(const void *a, const void *b)
{
    const struct range *x = a, *y = b;

    return x->base < y->base ? -1 : x->base > y->base;
}

/* Sorts and merges overlapping or touching ranges. */
static void ranges_normalize(struct ranges *rs)
{
    size_t i, out = 0;

    if (!rs->n)
        return;
    qsort(rs->r, rs->n, sizeof(*rs->r), range_cmp);
    for (i = 1; i < rs->n; i++) {
        struct range *last = &rs->r[out];

        if (rs->r[i].base <= last->base + last->size) {
            uint64_t end = rs->r[i].base + rs->r[i].size;

            if (end > last->base + last->size)
                last->size = end - last->base;
        } else {
            rs->r[++out] = rs->r[i];
        }
    }
    rs->n = out + 1;
}

/* UNICODE_STRING on x64: Length, MaximumLength (u16), pad, Buffer (u64). */
static void add_unicode_string(struct ranges *rs, HANDLE process, uint64_t at)
{
    uint8_t us[16];
    uint16_t len, max;

    if (!target_read(process, at, us, sizeof(us)))
        return;
    len = le16(us);
    max = le16(us + 2);
    ranges_add(rs, le64(us + 8), max > len ? max : (uint64_t)len + 2);
}

/* x64 layouts: TEB 0x1838 bytes (ProcessEnvironmentBlock at 0x60); PEB 0x7c8
 * (Ldr at 0x18, ProcessParameters at 0x20); RTL_USER_PROCESS_PARAMETERS
 * (MaximumLength at 0, CurrentDirectory.DosPath 0x38, DllPath 0x50,
 * ImagePathName 0x60, CommandLine 0x70, Environment 0x80, WindowTitle 0xb0,
 * DesktopInfo 0xc0, ShellInfo 0xd0, RuntimeData 0xe0, EnvironmentSize 0x3f0);
 * PEB_LDR_DATA 0x58 (InLoadOrderModuleList at 0x10); LDR_DATA_TABLE_ENTRY
 * (FullDllName 0x48, BaseDllName 0x58), 0x120 bytes on Windows 10.  These are
 * the ranges Windows' dbghelp adds for MiniDumpWithProcessThreadData. */
static void collect_process_data(struct ranges *rs, HANDLE process, const struct dump_threads *t)
{
    static const uint32_t strings[] = { 0x38, 0x50, 0x60, 0x70, 0xb0, 0xc0, 0xd0, 0xe0 };
    uint64_t peb = 0, params, env, ldr, head, entry;
    uint8_t hdr[8];
    uint32_t i, params_size;

    for (i = 0; i < t->count; i++) {
        if (!t->tebs[i])
            continue;
        ranges_add(rs, t->tebs[i], 0x1838);
        if (!peb)
            target_u64(process, t->tebs[i] + 0x60, &peb);
    }
    if (!peb)
        return;
    ranges_add(rs, peb, 0x7c8);

    if (target_u64(process, peb + 0x20, &params) && params &&
        target_read(process, params, hdr, sizeof(hdr))) {
        params_size = le32(hdr);
        if (params_size < 0x100 || params_size > 0x10000)
            params_size = 0x400;
        ranges_add(rs, params, params_size);
        for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
            add_unicode_string(rs, process, params + strings[i]);
        if (target_u64(process, params + 0x80, &env) && env) {
            uint64_t env_size = 0;

            if (params_size >= 0x3f8)
                target_u64(process, params + 0x3f0, &env_size);
            if (!env_size || env_size > (1u << 20)) {
                /* No EnvironmentSize: find the double NUL that ends the block. */
                wchar_t w[2048];
                uint64_t off;

                for (off = 0; off < (1u << 20) && !env_size; off += sizeof(w)) {
                    size_t k;

                    if (!target_read(process, env + off, w, sizeof(w)))
                        break;
                    for (k = 0; k + 1 < 2048; k++)
                        if (!w[k] && !w[k + 1]) {
                            env_size = off + (k + 2) * sizeof(wchar_t);
                            break;
                        }
                }
            }
            ranges_add(rs, env, env_size);
        }
    }

    if (target_u64(process, peb + 0x18, &ldr) && ldr) {
        ranges_add(rs, ldr, 0x58);
        head = ldr + 0x10;
        /* InLoadOrderLinks is the entry's first field: Flink is the entry. */
        entry = head;
        for (i = 0; i < 1024 && target_u64(process, entry, &entry) && entry != head; i++) {
            ranges_add(rs, entry, 0x120);
            add_unicode_string(rs, process, entry + 0x48);
            add_unicode_string(rs, process, entry + 0x58);
        }
    }
}

/* MiniDumpWithDataSegs: the writable sections of every module in the module
 * list (IMAGE_SECTION_HEADER: VirtualSize at 8, VirtualAddress at 12,
 * Characteristics at 36).  This is where a program's static critical
 * sections and globals live.  Sections over DATA_SEG_MAX are left out: Wine's
 * kernelbase.dll has a 1.8 MB writable section (Windows' has some 20 KB of
 * data) that would make every -mp dump ten times larger. */
#define DATA_SEG_MAX (256u * 1024)

static void collect_data_segments(struct ranges *rs, struct dump_edit *ed, HANDLE process)
{
    struct dump_stream *s = edit_find(ed, ModuleListStream);
    uint8_t count_le[4], mod[MOD_SIZE], hdr[0x1000];
    uint32_t count, i, nt, nsec, sec, k;

    if (!s || s->size < 4 || !edit_read(ed, s->rva, count_le, 4))
        return;
    count = le32(count_le);
    if ((uint64_t)count * MOD_SIZE + 4 > s->size)
        return;
    for (i = 0; i < count; i++) {
        uint64_t base;

        if (!edit_read(ed, s->rva + 4 + (uint64_t)i * MOD_SIZE, mod, MOD_SIZE))
            return;
        base = le64(mod + MOD_BaseOfImage);
        if (!target_read(process, base, hdr, sizeof(hdr)) || le16(hdr) != IMAGE_DOS_SIGNATURE)
            continue;
        nt = le32(hdr + 0x3c);
        if (nt > sizeof(hdr) - 24 || le32(hdr + nt) != IMAGE_NT_SIGNATURE)
            continue;
        nsec = le16(hdr + nt + 6);
        sec = nt + 24 + le16(hdr + nt + 20);
        for (k = 0; k < nsec && sec + (k + 1) * 40 <= sizeof(hdr); k++) {
            const uint8_t *sh = hdr + sec + k * 40;

            if ((le32(sh + 36) & IMAGE_SCN_MEM_WRITE) && le32(sh + 8) <= DATA_SEG_MAX)
                ranges_add(rs, base + le32(sh + 12), le32(sh + 8));
        }
    }
}

/* MINIDUMP_MEMORY_LIST: NumberOfMemoryRanges, then 16-byte descriptors
 * (StartOfMemoryRange u64, DataSize u32, Rva u32). */
static void complete_memory_list(struct dump_edit *ed, HANDLE process,
                                 const struct dump_threads *t, MINIDUMP_TYPE type)
{
    struct dump_stream *s = edit_find(ed, MemoryListStream);
    struct ranges want = { 0 }, have = { 0 };
    struct buf list = { 0 };
    uint8_t *old = NULL, page[0x1000];
    uint32_t count = 0, added = 0, i, last_rva = 0, last_size = 0;
    uint64_t bytes = 0, last_end = 0;

    if (!s || s->size < 4 || !(old = malloc(s->size)) || !edit_read(ed, s->rva, old, s->size))
        goto out;
    count = le32(old);
    if ((uint64_t)count * 16 + 4 > s->size)
        goto out;
    for (i = 0; i < count; i++)
        ranges_add(&have, le64(old + 4 + i * 16), le32(old + 4 + i * 16 + 8));
    ranges_normalize(&have);

    if (type & MiniDumpWithProcessThreadData)
        collect_process_data(&want, process, t);
    if (type & MiniDumpWithDataSegs)
        collect_data_segments(&want, ed, process);
    ranges_normalize(&want);

    buf_u32(&list, 0);
    buf_put(&list, old + 4, (size_t)count * 16);
    for (i = 0; i < want.n; i++) {
        uint64_t at = want.r[i].base, end = want.r[i].base + want.r[i].size;
        size_t h;

        /* Page by page, leaving out what the list already has and what
         * cannot be read, so that no two descriptors overlap. */
        while (at < end) {
            uint64_t next = (at & ~(uint64_t)0xfff) + 0x1000, run_end;
            uint32_t rva;

            if (next > end)
                next = end;
            run_end = next;
            for (h = 0; h < have.n; h++) {
                uint64_t hb = have.r[h].base, he = hb + have.r[h].size;

                if (at >= hb && at < he) {
                    run_end = 0;
                    next = he < end ? he : end;
                    break;
                }
                if (hb > at && hb < run_end)
                    run_end = hb;
            }
            if (run_end && target_read(process, at, page, (size_t)(run_end - at)) &&
                (rva = edit_append(ed, page, (size_t)(run_end - at)))) {
                uint32_t len = (uint32_t)(run_end - at);

                if (added && !list.oom && last_end == at && last_rva + last_size == rva) {
                    /* Contiguous in memory and in the file: grow the last one. */
                    last_size += len;
                    set_le32(list.p + list.n - 8, last_size);
                } else {
                    buf_u64(&list, at);
                    buf_u32(&list, len);
                    buf_u32(&list, rva);
                    last_rva = rva;
                    last_size = len;
                    added++;
                }
                last_end = run_end;
                bytes += len;
                next = run_end;
            }
            at = next;
        }
    }
    if (!list.oom) {
        set_le32(list.p, count + added);
        edit_set_stream(ed, MemoryListStream, &list);
    }
    capture_say("  process data and data segments: %u memory ranges, %llu bytes added", added,
        (unsigned long long)bytes);
out:
    free(old);
    free(want.r);
    free(have.r);
    buf_free(&list);
}

/* Adds to the freshly written dump what Wine's MiniDumpWriteDump leaves out
 * (see the comment at the top). */
BOOL capture_complete_dump(const wchar_t *path, HANDLE process, DWORD pid, MINIDUMP_TYPE type)
{
    struct dump_edit ed;
    struct dump_threads threads;
    BOOL ok;

    if (!edit_open(&ed, path)) {
        capture_say("cannot reopen the dump to complete it");
        return FALSE;
    }
    if (!read_threads(&ed, &threads))
        capture_say("  no thread list?");
    complete_codeview(&ed, process);
    complete_misc_info(&ed, process);
    if (type & MiniDumpWithThreadInfo)
        complete_thread_info(&ed, &threads);
    complete_thread_names(&ed, &threads);
    if (type & MiniDumpWithHandleData)
        complete_handles(&ed, process, pid);
    if (type & MiniDumpWithFullMemoryInfo)
        complete_memory_info(&ed, process);
    if ((type & (MiniDumpWithProcessThreadData | MiniDumpWithDataSegs)) &&
        !(type & MiniDumpWithFullMemory))
        complete_memory_list(&ed, process, &threads, type);
    free(threads.tids);
    free(threads.tebs);
    ok = edit_close(&ed);
    if (!ok)
        capture_say("completing the dump failed (left as dbghelp wrote it up to the failure)");
    return ok;
}
