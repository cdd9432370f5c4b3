/* What each thread waits on (an_analyze_waits), on an x64 dump built in
 * memory for the waits the Wine lab cannot produce: Wine has no rpcrt4
 * NdrClientCall2 over ALPC, no thread-pool worker factory, no Windows 7 or
 * Vista+ critical-section internals. Every module gets a Breakpad .sym
 * written here (DIR/name.pdb/ID/name.sym, keyed by the CodeView record the
 * module list carries), so frames are named from known text. The dump holds
 * no image pages, so the x64 walker finds callers by scanning the stack,
 * and takes a word as a return address when the module's symbols have a
 * function there: each stack below is the return addresses of its frames,
 * inside the symbolized functions, with data words between them.
 *
 * Threads, each built to show one verdict:
 *   0x10 an outgoing RPC: rpcrt4 NdrClientCall2 -> I_RpcSendReceive ->
 *        WaitForSingleObjectEx -> NtWaitForSingleObject (rpc, not objects)
 *   0x20 a COM call: combase CoWaitForMultipleHandles -> NtWaitForSingleObject
 *   0x50 an idle thread-pool worker: NtWaitForWorkViaWorkerFactory, no
 *        program frame at all
 *   0x60 a completion-port loop: GetQueuedCompletionStatus -> NtRemoveIoCompletion
 *   0x70 a socket read: ws2_32 recv -> mswsock WSPRecv -> NtWaitForSingleObject
 *        on an event handle (socket, though it waits on an object)
 *   0x80 Sleep: kernelbase SleepEx -> ntdll NtDelayExecution
 *   0x7C a Windows 7 critical-section wait: RtlEnterCriticalSection ->
 *        RtlpWaitOnCriticalSection -> NtWaitForSingleObject (critical
 *        section, not objects), on a lock with a debug record owned by 0x90
 *   0xA1, 0xB2 a deadlock in the Vista+ LockCount encoding (-6: locked, one
 *        waiter, none woken), locks without debug records, each thread
 *        holding the lock the other waits for; the pointers are only in
 *        stack words, and 0xA1's stack also holds the lock it owns itself
 *   0x90 running in the program's own code */
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/waits.h"
#include "synth_dump.h"
#include "test.h"
#include "unwind/unwind.h"

/* ---- modules and their symbols ------------------------------------------ */

enum { M_APP, M_NTDLL, M_KERNEL32, M_KERNELBASE, M_RPCRT4, M_COMBASE, M_WS2_32, M_MSWSOCK, NMODS };

static const struct {
    const char *path, *pdb;
    uint64_t base;
} mods[NMODS] = {
    [M_APP] = { "C:\\srv\\server.exe", "server.pdb", 0x140000000ull },
    [M_NTDLL] = { "C:\\Windows\\System32\\ntdll.dll", "ntdll.pdb", 0x7FFA10000000ull },
    [M_KERNEL32] = { "C:\\Windows\\System32\\KERNEL32.DLL", "kernel32.pdb", 0x7FFA10200000ull },
    [M_KERNELBASE] = { "C:\\Windows\\System32\\KERNELBASE.dll", "kernelbase.pdb", 0x7FFA10400000ull },
    [M_RPCRT4] = { "C:\\Windows\\System32\\RPCRT4.dll", "rpcrt4.pdb", 0x7FFA10600000ull },
    [M_COMBASE] = { "C:\\Windows\\System32\\combase.dll", "combase.pdb", 0x7FFA10800000ull },
    [M_WS2_32] = { "C:\\Windows\\System32\\WS2_32.dll", "ws2_32.pdb", 0x7FFA10A00000ull },
    [M_MSWSOCK] = { "C:\\Windows\\system32\\mswsock.dll", "mswsock.pdb", 0x7FFA10C00000ull },
};
#define MOD_SIZE 0x100000u

/* F_END ends a stack's word list, F_DATA marks a data word; the rest are
 * functions. */
enum {
    F_END, F_DATA,
    F_main, F_CallRemote, F_ComCall, F_IoLoop, F_ReadRequest, F_Nap, F_UpdateCache, F_TransferAtoB,
    F_TransferBtoA, F_Compute, F_ThreadStart,
    F_NtWaitForSingleObject, F_NtWaitForWorkViaWorkerFactory, F_NtRemoveIoCompletion, F_NtDelayExecution,
    F_NtWaitForAlertByThreadId, F_RtlEnterCriticalSection, F_RtlpEnterCriticalSectionContended,
    F_RtlpWaitOnCriticalSection, F_TppWorkerThread, F_RtlUserThreadStart,
    F_BaseThreadInitThunk,
    F_WaitForSingleObjectEx, F_GetQueuedCompletionStatus, F_SleepEx,
    F_I_RpcSendReceive, F_NdrClientCall2,
    F_CoWaitForMultipleHandles,
    F_recv, F_WSPRecv,
    NFUNCS
};

/* Every function's module, RVA and size; the program's also a line (one
 * line record covers the whole function, so any frame in it is there). */
static const struct {
    int mod;
    uint32_t rva, size;
    const char *name;
    uint32_t line;
} fns[NFUNCS] = {
    [F_main] = { M_APP, 0x1000, 0x100, "main", 12 },
    [F_CallRemote] = { M_APP, 0x1100, 0x100, "CallRemote", 40 },
    [F_ComCall] = { M_APP, 0x1200, 0x100, "ComCall", 55 },
    [F_IoLoop] = { M_APP, 0x1300, 0x100, "IoLoop", 71 },
    [F_ReadRequest] = { M_APP, 0x1400, 0x100, "ReadRequest", 88 },
    [F_Nap] = { M_APP, 0x1500, 0x100, "Nap", 102 },
    [F_UpdateCache] = { M_APP, 0x1600, 0x100, "UpdateCache", 117 },
    [F_TransferAtoB] = { M_APP, 0x1700, 0x100, "TransferAtoB", 130 },
    [F_TransferBtoA] = { M_APP, 0x1800, 0x100, "TransferBtoA", 145 },
    [F_Compute] = { M_APP, 0x1900, 0x100, "Compute", 160 },
    [F_ThreadStart] = { M_APP, 0x1A00, 0x100, "ThreadStart", 175 },
    [F_NtWaitForSingleObject] = { M_NTDLL, 0x9D400, 0x20, "NtWaitForSingleObject", 0 },
    [F_NtWaitForWorkViaWorkerFactory] = { M_NTDLL, 0x9D420, 0x20, "NtWaitForWorkViaWorkerFactory", 0 },
    [F_NtRemoveIoCompletion] = { M_NTDLL, 0x9D440, 0x20, "NtRemoveIoCompletion", 0 },
    [F_NtDelayExecution] = { M_NTDLL, 0x9D460, 0x20, "NtDelayExecution", 0 },
    [F_NtWaitForAlertByThreadId] = { M_NTDLL, 0x9D480, 0x20, "NtWaitForAlertByThreadId", 0 },
    [F_RtlEnterCriticalSection] = { M_NTDLL, 0x2E000, 0x100, "RtlEnterCriticalSection", 0 },
    [F_RtlpEnterCriticalSectionContended] = { M_NTDLL, 0x2E100, 0x200, "RtlpEnterCriticalSectionContended", 0 },
    [F_RtlpWaitOnCriticalSection] = { M_NTDLL, 0x2E300, 0x200, "RtlpWaitOnCriticalSection", 0 },
    [F_TppWorkerThread] = { M_NTDLL, 0x33000, 0x600, "TppWorkerThread", 0 },
    [F_RtlUserThreadStart] = { M_NTDLL, 0x52000, 0x40, "RtlUserThreadStart", 0 },
    [F_BaseThreadInitThunk] = { M_KERNEL32, 0x17000, 0x40, "BaseThreadInitThunk", 0 },
    [F_WaitForSingleObjectEx] = { M_KERNELBASE, 0x3A000, 0x100, "WaitForSingleObjectEx", 0 },
    [F_GetQueuedCompletionStatus] = { M_KERNELBASE, 0x3B000, 0x100, "GetQueuedCompletionStatus", 0 },
    [F_SleepEx] = { M_KERNELBASE, 0x3C000, 0x100, "SleepEx", 0 },
    [F_I_RpcSendReceive] = { M_RPCRT4, 0x21000, 0x100, "I_RpcSendReceive", 0 },
    [F_NdrClientCall2] = { M_RPCRT4, 0x22000, 0x300, "NdrClientCall2", 0 },
    [F_CoWaitForMultipleHandles] = { M_COMBASE, 0x7A000, 0x200, "CoWaitForMultipleHandles", 0 },
    [F_recv] = { M_WS2_32, 0x2000, 0x200, "recv", 0 },
    [F_WSPRecv] = { M_MSWSOCK, 0x5000, 0x300, "WSPRecv", 0 },
};
#define APP_FILE "c:\\src\\server.c"

static uint64_t at(int f, uint32_t off) { return mods[fns[f].mod].base + fns[f].rva + off; }

/* The RSDS record of module i: GUID {C0DE000i-1234-5678-9ABC-DEF01122330i}, age 1. */
static size_t codeview(int i, uint8_t *out)
{
    static const uint8_t tail[8] = { 0x9A, 0xBC, 0xDE, 0xF0, 0x11, 0x22, 0x33, 0 };
    memcpy(out, "RSDS", 4);
    synth_w32(out + 4, 0xC0DE0000u + (uint32_t)i);
    synth_w16(out + 8, 0x1234);
    synth_w16(out + 10, 0x5678);
    memcpy(out + 12, tail, 8);
    out[19] = (uint8_t)i;
    synth_w32(out + 20, 1);
    size_t n = strlen(mods[i].pdb);
    memcpy(out + 24, mods[i].pdb, n + 1);
    return 24 + n + 1;
}

/* The Breakpad id of that record: GUID digits, then the age. */
static void codeview_id(int i, char *buf, size_t size)
{
    snprintf(buf, size, "C0DE%04X12345678" "9ABCDEF0112233%02X1", (unsigned)i, (unsigned)i);
}

/* ---- threads and their stacks ------------------------------------------- */

#define STACK_AREA 0x200000ull /* thread k's stack page is STACK_AREA + k * 0x10000 */
#define STACK_SIZE 0x1000u
#define RSP_OFF 0x800u
#define HEAP 0x500000ull
#define CS0 (HEAP + 0x100) /* Windows 7 style, with a debug record at HEAP + 0x200 */
#define CS0_DEBUG (HEAP + 0x200)
#define CS1 (HEAP + 0x40)  /* Vista+, DebugInfo -1: 0xA1 waits for it, 0xB2 owns it */
#define CS2 (HEAP + 0x80)  /* Vista+, DebugInfo 0: 0xB2 waits for it, 0xA1 owns it */
#define SOCK_EVENT 0x1A4u  /* the event the socket read waits on (HandleData) */

typedef struct word {
    int f;       /* F_DATA, or the function a return address is in */
    uint64_t v;  /* the data, or the offset into the function */
} word;
#define RET(f, off) { F_##f, off }
#define DATA(v) { F_DATA, v }

typedef struct thread_spec {
    uint32_t tid;
    int f;            /* where rip is */
    uint32_t off;
    word stack[16];   /* from rsp up; ends at F_END */
    /* What the thread was built to show. */
    const char *shows;
    an_wait_kind kind;
    const char *wait_function, *caller;
    uint64_t cs;
    uint32_t owner_tid;
    uint64_t handle;
} thread_spec;

enum { T_RPC, T_COM, T_POOL, T_IOCP, T_SOCKET, T_SLEEP, T_CS7, T_DEAD_A, T_DEAD_B, T_RUNNING, NTHREADS };

static const thread_spec threads[NTHREADS] = {
    [T_RPC] = { 0x10, F_NtWaitForSingleObject, 0x14,
                { DATA(0), RET(WaitForSingleObjectEx, 0x8E), DATA(0), DATA(0), RET(I_RpcSendReceive, 0x5A),
                  DATA(0), RET(NdrClientCall2, 0x1C1), DATA(0), DATA(0), RET(CallRemote, 0x2A), DATA(0),
                  RET(ThreadStart, 0x1C) },
                "an outgoing RPC: the outermost rpcrt4 frame names the wait, above the object wait it makes",
                AN_WAIT_RPC, "RPCRT4!NdrClientCall2", "server!CallRemote [" APP_FILE " @ 40]", 0, 0, 0 },
    [T_COM] = { 0x20, F_NtWaitForSingleObject, 0x14,
                { DATA(0), RET(CoWaitForMultipleHandles, 0x113), DATA(0), DATA(0), RET(ComCall, 0x44), DATA(0),
                  RET(ThreadStart, 0x1C) },
                "a COM call waiting in CoWaitForMultipleHandles: rpc, not objects",
                AN_WAIT_RPC, "combase!CoWaitForMultipleHandles", "server!ComCall [" APP_FILE " @ 55]", 0, 0, 0 },
    [T_POOL] = { 0x50, F_NtWaitForWorkViaWorkerFactory, 0x14,
                 { DATA(0), RET(TppWorkerThread, 0x2F5), DATA(0), DATA(0), RET(BaseThreadInitThunk, 0x14),
                   DATA(0), RET(RtlUserThreadStart, 0x21) },
                 "an idle thread-pool worker waiting for work from its worker factory",
                 AN_WAIT_IO_COMPLETION, "ntdll!NtWaitForWorkViaWorkerFactory", NULL, 0, 0, 0 },
    [T_IOCP] = { 0x60, F_NtRemoveIoCompletion, 0x14,
                 { DATA(0), RET(GetQueuedCompletionStatus, 0x4C), DATA(0), RET(IoLoop, 0x33), DATA(0),
                   RET(ThreadStart, 0x1C) },
                 "a completion-port loop: the outermost completion frame, GetQueuedCompletionStatus",
                 AN_WAIT_IO_COMPLETION, "KERNELBASE!GetQueuedCompletionStatus", "server!IoLoop [" APP_FILE " @ 71]",
                 0, 0, 0 },
    [T_SOCKET] = { 0x70, F_NtWaitForSingleObject, 0x14,
                   { DATA(0), RET(WSPRecv, 0x2B7), DATA(SOCK_EVENT), DATA(0), RET(recv, 0xF9), DATA(0),
                     RET(ReadRequest, 0x27), DATA(0), RET(ThreadStart, 0x1C) },
                   "a blocking recv: socket, though mswsock waits on an event under it (which is found)",
                   AN_WAIT_SOCKET, "WS2_32!recv", "server!ReadRequest [" APP_FILE " @ 88]", 0, 0, SOCK_EVENT },
    [T_SLEEP] = { 0x80, F_NtDelayExecution, 0x14,
                  { DATA(0), RET(SleepEx, 0x9D), DATA(0), RET(Nap, 0x12), DATA(0), RET(ThreadStart, 0x1C) },
                  "Sleep: SleepEx over NtDelayExecution",
                  AN_WAIT_SLEEP, "KERNELBASE!SleepEx", "server!Nap [" APP_FILE " @ 102]", 0, 0, 0 },
    [T_CS7] = { 0x7C, F_NtWaitForSingleObject, 0x14,
                { DATA(0), RET(RtlpWaitOnCriticalSection, 0x9A), DATA(0), DATA(0), RET(RtlEnterCriticalSection, 0x52),
                  DATA(CS0), RET(UpdateCache, 0x3D), DATA(0), RET(ThreadStart, 0x1C) },
                "Windows 7's critical-section wait ends in NtWaitForSingleObject: still a critical section",
                AN_WAIT_CRITICAL_SECTION, "ntdll!RtlEnterCriticalSection", "server!UpdateCache [" APP_FILE " @ 117]",
                CS0, 0x90, 0 },
    [T_DEAD_A] = { 0xA1, F_NtWaitForAlertByThreadId, 0x14,
                   { DATA(0), RET(RtlpWaitOnCriticalSection, 0x10F), DATA(0), RET(RtlpEnterCriticalSectionContended, 0xC4),
                     DATA(0), RET(RtlEnterCriticalSection, 0x52), DATA(CS2), DATA(CS1), RET(TransferAtoB, 0x3B), DATA(0),
                     RET(ThreadStart, 0x1C) },
                   "waits for CS1 (owned by 0xB2); CS2 on its stack is its own and is passed over",
                   AN_WAIT_CRITICAL_SECTION, "ntdll!RtlEnterCriticalSection", "server!TransferAtoB [" APP_FILE " @ 130]",
                   CS1, 0xB2, 0 },
    [T_DEAD_B] = { 0xB2, F_NtWaitForAlertByThreadId, 0x14,
                   { DATA(0), RET(RtlpWaitOnCriticalSection, 0x10F), DATA(0), RET(RtlpEnterCriticalSectionContended, 0xC4),
                     DATA(0), RET(RtlEnterCriticalSection, 0x52), DATA(CS2), RET(TransferBtoA, 0x41), DATA(0),
                     RET(ThreadStart, 0x1C) },
                   "waits for CS2 (owned by 0xA1)",
                   AN_WAIT_CRITICAL_SECTION, "ntdll!RtlEnterCriticalSection", "server!TransferBtoA [" APP_FILE " @ 145]",
                   CS2, 0xA1, 0 },
    [T_RUNNING] = { 0x90, F_Compute, 0x20, { DATA(0), RET(ThreadStart, 0x1C) },
                    "in the program's own code: running, and the caller is the top frame",
                    AN_WAIT_RUNNING, "", "server!Compute [" APP_FILE " @ 160]", 0, 0, 0 },
};

static size_t stack_frames(const thread_spec *th)
{
    size_t n = 1;
    for (const word *w = th->stack; w->f != F_END; w++)
        n += w->f != F_DATA;
    return n;
}

/* ---- the dump ------------------------------------------------------------ */

/* A critical section: DebugInfo, LockCount, RecursionCount, OwningThread,
 * LockSemaphore, SpinCount (winnt.h, 64-bit offsets). */
static void put_cs(uint8_t *heap, uint64_t addr, uint64_t debug, int32_t lock_count, uint32_t owner)
{
    uint8_t *p = heap + (addr - HEAP);
    synth_w64(p, debug);
    synth_w32(p + 8, (uint32_t)lock_count);
    synth_w32(p + 12, 1);
    synth_w64(p + 16, owner);
    synth_w64(p + 32, 0x20007D0);
}

static void build(synth *s)
{
    synth_begin(s, 5);
    uint8_t si[56] = { 0 };
    synth_w16(si, 9); /* PROCESSOR_ARCHITECTURE_AMD64, Windows 10.0.19041 */
    synth_w32(si + 8, 10);
    synth_w32(si + 16, 19041);
    synth_w32(si + 20, 2);
    uint32_t rva = synth_put(s, si, sizeof si);
    synth_stream(s, 7, rva, sizeof si);

    /* ModuleList: each module with its name and CodeView record. */
    uint32_t names[NMODS], cvs[NMODS], cvlens[NMODS];
    for (int i = 0; i < NMODS; i++) {
        uint8_t cv[64];
        cvlens[i] = (uint32_t)codeview(i, cv);
        names[i] = synth_string(s, mods[i].path);
        cvs[i] = synth_put(s, cv, cvlens[i]);
    }
    uint8_t ml[4 + NMODS * 108] = { 0 };
    synth_w32(ml, NMODS);
    for (int i = 0; i < NMODS; i++) {
        uint8_t *e = ml + 4 + 108 * i;
        synth_w64(e, mods[i].base);
        synth_w32(e + 8, MOD_SIZE);
        synth_w32(e + 16, 0x5F000000u + (uint32_t)i);
        synth_w32(e + 20, names[i]);
        synth_w32(e + 76, cvlens[i]);
        synth_w32(e + 80, cvs[i]);
    }
    rva = synth_put(s, ml, sizeof ml);
    synth_stream(s, 4, rva, sizeof ml);

    /* Threads: an AMD64 CONTEXT with rip and rsp (every other register
     * zero, so no register points at a lock), and a stack page. */
    uint32_t ctx_rvas[NTHREADS], stack_rvas[NTHREADS];
    for (int k = 0; k < NTHREADS; k++) {
        const thread_spec *th = &threads[k];
        uint64_t page = STACK_AREA + 0x10000ull * (unsigned)k;
        uint8_t ctx[0x4D0] = { 0 };
        synth_w32(ctx + 0x30, 0x10000B); /* CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS */
        synth_w16(ctx + 0x38, 0x33);
        synth_w64(ctx + 0x98, page + RSP_OFF);
        synth_w64(ctx + 0xF8, at(th->f, th->off));
        ctx_rvas[k] = synth_put(s, ctx, sizeof ctx);
        uint8_t stack[STACK_SIZE] = { 0 };
        size_t off = RSP_OFF;
        for (const word *w = th->stack; w->f != F_END && off + 8 <= STACK_SIZE; w++, off += 8)
            synth_w64(stack + off, w->f == F_DATA ? w->v : at(w->f, (uint32_t)w->v));
        stack_rvas[k] = synth_put(s, stack, sizeof stack);
    }
    uint8_t tl[4 + NTHREADS * 48] = { 0 };
    synth_w32(tl, NTHREADS);
    for (int k = 0; k < NTHREADS; k++) {
        uint8_t *e = tl + 4 + 48 * k;
        synth_w32(e, threads[k].tid);
        synth_w64(e + 24, STACK_AREA + 0x10000ull * (unsigned)k);
        synth_w32(e + 32, STACK_SIZE);
        synth_w32(e + 36, stack_rvas[k]);
        synth_w32(e + 40, 0x4D0);
        synth_w32(e + 44, ctx_rvas[k]);
    }
    rva = synth_put(s, tl, sizeof tl);
    synth_stream(s, 3, rva, sizeof tl);

    /* The heap page holding the three critical sections. CS0 is as Windows
     * 7 leaves one: a debug record pointing back at it (alone on its
     * ProcessLocksList), locked by 0x90. CS1 and CS2 are as Windows 8+
     * leaves one made without a debug record (DebugInfo -1, or 0), LockCount
     * -6: bit 0 clear = locked, bit 1 set = no waiter woken, (-1 - -6) >> 2 =
     * one waiter. */
    uint8_t *heap = calloc(1, 0x1000);
    put_cs(heap, CS0, CS0_DEBUG, -6, 0x90);
    uint8_t *dbg = heap + (CS0_DEBUG - HEAP);
    synth_w64(dbg + 8, CS0);                 /* CriticalSection */
    synth_w64(dbg + 16, CS0_DEBUG + 16);     /* ProcessLocksList: a list of one */
    synth_w64(dbg + 24, CS0_DEBUG + 16);
    synth_w32(dbg + 32, 5);                  /* EntryCount */
    synth_w32(dbg + 36, 2);                  /* ContentionCount */
    put_cs(heap, CS1, UINT64_MAX, -6, 0xB2);
    put_cs(heap, CS2, 0, -6, 0xA1);
    uint32_t heap_rva = synth_put(s, heap, 0x1000);
    free(heap);

    uint8_t mlist[4 + (NTHREADS + 1) * 16] = { 0 };
    synth_w32(mlist, NTHREADS + 1);
    for (int k = 0; k < NTHREADS; k++) {
        synth_w64(mlist + 4 + 16 * k, STACK_AREA + 0x10000ull * (unsigned)k);
        synth_w32(mlist + 4 + 16 * k + 8, STACK_SIZE);
        synth_w32(mlist + 4 + 16 * k + 12, stack_rvas[k]);
    }
    synth_w64(mlist + 4 + 16 * NTHREADS, HEAP);
    synth_w32(mlist + 4 + 16 * NTHREADS + 8, 0x1000);
    synth_w32(mlist + 4 + 16 * NTHREADS + 12, heap_rva);
    rva = synth_put(s, mlist, sizeof mlist);
    synth_stream(s, 5, rva, sizeof mlist);

    /* HandleData (v1 descriptors): the socket's event. */
    uint32_t type = synth_string(s, "Event");
    uint8_t hd[16 + 32] = { 0 };
    synth_w32(hd, 16);
    synth_w32(hd + 4, 32);
    synth_w32(hd + 8, 1);
    synth_w64(hd + 16, SOCK_EVENT);
    synth_w32(hd + 16 + 8, type);
    synth_w32(hd + 16 + 24, 1); /* HandleCount */
    synth_w32(hd + 16 + 28, 2); /* PointerCount */
    rva = synth_put(s, hd, sizeof hd);
    synth_stream(s, 12, rva, sizeof hd);
}

/* ---- symbols ------------------------------------------------------------- */

typedef struct sym_dir {
    char root[64];
    char dirs[NMODS][2][192]; /* name.pdb, name.pdb/ID */
    char files[NMODS][256];
} sym_dir;

static bool write_syms(sym_dir *d)
{
    snprintf(d->root, sizeof d->root, "/tmp/cor-waits-XXXXXX");
    if (!mkdtemp(d->root))
        return false;
    for (int i = 0; i < NMODS; i++) {
        char id[48], stem[64];
        codeview_id(i, id, sizeof id);
        snprintf(stem, sizeof stem, "%.*s", (int)(strlen(mods[i].pdb) - 4), mods[i].pdb);
        snprintf(d->dirs[i][0], sizeof d->dirs[i][0], "%s/%s", d->root, mods[i].pdb);
        snprintf(d->dirs[i][1], sizeof d->dirs[i][1], "%s/%s", d->dirs[i][0], id);
        snprintf(d->files[i], sizeof d->files[i], "%s/%s.sym", d->dirs[i][1], stem);
        if (mkdir(d->dirs[i][0], 0700) != 0 || mkdir(d->dirs[i][1], 0700) != 0)
            return false;
        FILE *f = fopen(d->files[i], "w");
        if (!f)
            return false;
        fprintf(f, "MODULE windows x86_64 %s %s\n", id, mods[i].pdb);
        if (i == M_APP)
            fprintf(f, "FILE 0 %s\n", APP_FILE);
        for (int k = F_DATA + 1; k < NFUNCS; k++) {
            if (fns[k].mod != i)
                continue;
            fprintf(f, "FUNC %x %x 0 %s\n", fns[k].rva, fns[k].size, fns[k].name);
            if (fns[k].line)
                fprintf(f, "%x %x %u 0\n", fns[k].rva, fns[k].size, fns[k].line);
        }
        if (fclose(f) != 0)
            return false;
    }
    return true;
}

static void remove_syms(const sym_dir *d)
{
    for (int i = 0; i < NMODS; i++) {
        unlink(d->files[i]);
        rmdir(d->dirs[i][1]);
        rmdir(d->dirs[i][0]);
    }
}

/* ---- checks -------------------------------------------------------------- */

static size_t thread_with_tid(uint32_t tid)
{
    for (size_t k = 0; k < NTHREADS; k++)
        if (threads[k].tid == tid)
            return k;
    return (size_t)-1;
}

/* The premise: scanning finds exactly the frames each stack was built
 * with, so a wrong verdict below is the analysis's, not the walk's. */
static void check_walks(cor_target *t)
{
    for (size_t k = 0; k < NTHREADS; k++) {
        const thread_spec *th = &threads[k];
        int before = test_failures;
        uw_stack st;
        cor_err err;
        CHECK(target_walk_thread(t, k, false, 0, &st, &err) == COR_OK);
        CHECK_EQ_U(st.count, stack_frames(th));
        CHECK(st.count > 0 && st.frames[0].regs.ip == at(th->f, th->off));
        size_t i = 1;
        for (const word *w = th->stack; w->f != F_END && i < st.count; w++) {
            if (w->f == F_DATA)
                continue;
            CHECK_EQ_U(st.frames[i].regs.ip, at(w->f, (uint32_t)w->v));
            CHECK(st.frames[i].trust == UW_TRUST_SCAN);
            i++;
        }
        uw_stack_free(&st);
        if (test_failures != before)
            fprintf(stderr, "  (walking thread 0x%x)\n", th->tid);
    }
}

static void check_waits(const an_waits *w)
{
    CHECK_EQ_U(w->count, NTHREADS);
    for (size_t k = 0; k < NTHREADS && k < w->count; k++) {
        const thread_spec *th = &threads[k];
        const an_wait *a = &w->waits[k];
        int before = test_failures;
        CHECK_EQ_U(a->thread, k);
        CHECK_EQ_U(a->tid, th->tid);
        CHECK_STR(an_wait_kind_name(a->kind), an_wait_kind_name(th->kind));
        CHECK_STR(a->wait_function, th->wait_function);
        if (th->caller)
            CHECK_STR(a->caller, th->caller);
        else /* no frame of the program's on the stack */
            CHECK(strncmp(a->caller, "server!", 7) != 0);
        CHECK_EQ_U(a->cs, th->cs);
        CHECK_EQ_U(a->owner_tid, th->owner_tid);
        if (th->handle) {
            CHECK_EQ_U(a->nhandles, 1);
            CHECK_EQ_U(a->handles[0].handle, th->handle);
            CHECK_STR(a->handles[0].type, "Event");
        } else {
            CHECK_EQ_U(a->nhandles, 0);
        }
        CHECK(!a->has_times); /* no ThreadInfoList */
        if (test_failures != before)
            fprintf(stderr, "  (thread 0x%x: %s)\n", th->tid, th->shows);
    }
}

/* The lock list holds the three critical sections, decoded. */
static void check_locks(const an_waits *w)
{
    CHECK_EQ_U(w->locks.count, 3);
    CHECK_EQ_U(w->locks.loader_lock, 0); /* no PEB in this dump */
    const an_cs *c0 = an_locks_find(&w->locks, CS0), *c1 = an_locks_find(&w->locks, CS1),
                *c2 = an_locks_find(&w->locks, CS2);
    CHECK(c0 && c1 && c2);
    if (c0) {
        CHECK(c0->locked && c0->new_encoding && c0->has_debug && !c0->waiter_woken);
        CHECK_EQ_U(c0->waiters, 1);
        CHECK_EQ_U(c0->owner_tid, 0x90);
        CHECK_EQ_U(c0->owner_thread, T_RUNNING);
        CHECK_EQ_U(c0->entry_count, 5);
        CHECK_EQ_U(c0->contention_count, 2);
    }
    if (c1) {
        CHECK(c1->locked && c1->new_encoding && !c1->has_debug && !c1->waiter_woken);
        CHECK_EQ_U(c1->waiters, 1);
        CHECK_EQ_U(c1->owner_tid, 0xB2);
        CHECK_EQ_U(c1->owner_thread, T_DEAD_B);
    }
    if (c2) {
        CHECK(c2->locked && c2->new_encoding && !c2->has_debug);
        CHECK_EQ_U(c2->waiters, 1);
        CHECK_EQ_U(c2->owner_thread, T_DEAD_A);
    }
}

/* One deadlock: 0xA1 and 0xB2, each waiting for the lock the other holds;
 * 0x7C waits on a lock whose owner (0x90) is running, which is no cycle. */
static void check_deadlocks(const an_waits *w)
{
    CHECK_EQ_U(w->ndeadlocks, 1);
    if (w->ndeadlocks < 1)
        return;
    const an_deadlock *d = &w->deadlocks[0];
    CHECK_EQ_U(d->n, 2);
    if (d->n != 2)
        return;
    CHECK((d->tids[0] == 0xA1 && d->tids[1] == 0xB2) || (d->tids[0] == 0xB2 && d->tids[1] == 0xA1));
    for (size_t i = 0; i < d->n; i++) {
        /* cs[i] is what tids[i] waits for, owned by the next thread in the cycle. */
        size_t k = thread_with_tid(d->tids[i]);
        CHECK(k != (size_t)-1);
        if (k == (size_t)-1)
            continue;
        CHECK_EQ_U(d->cs[i], threads[k].cs);
        CHECK_EQ_U(threads[k].owner_tid, d->tids[(i + 1) % d->n]);
    }
}

int main(void)
{
    sym_dir syms;
    memset(&syms, 0, sizeof syms);
    CHECK(write_syms(&syms));
    synth s;
    build(&s);
    char dump[128];
    snprintf(dump, sizeof dump, "%s/waits.dmp", syms.root);
    FILE *f = fopen(dump, "wb");
    CHECK(f && fwrite(s.buf, 1, s.len, f) == s.len);
    if (f)
        fclose(f);
    free(s.buf);

    cor_target *t = NULL;
    cor_err err = { "" };
    CHECK(target_open(dump, &t, &err) == COR_OK);
    if (t && target_set_symbol_path(t, syms.root, &err) != COR_OK) {
        fprintf(stderr, "%s\n", err.msg);
        CHECK(!"symbol path");
    }
    if (t) {
        check_walks(t);
        an_waits w;
        CHECK(an_analyze_waits(t, &w, &err) == COR_OK);
        check_waits(&w);
        check_locks(&w);
        check_deadlocks(&w);
        an_waits_free(&w);
        target_close(t);
    }
    unlink(dump);
    remove_syms(&syms);
    rmdir(syms.root);
    TEST_DONE();
}
