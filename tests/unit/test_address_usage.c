/* !address, !handle and !runaway on a dump built in memory, for what no
 * corpus or lab dump shows: a 32-bit process's MemoryInfoList with
 * sign-extended addresses, the PEB and TEB sharing one region (the map cuts
 * them apart), a heap named only by its segment signature, HandleData v2
 * descriptors with object information (Windows 8+ dbghelp; Wine writes v1),
 * and a thread whose times are known exactly. */
#include <unistd.h>

#include "console/console.h"
#include "process/address_usage.h"
#include "synth_dump.h"
#include "test.h"

#define TEB 0x7FFDF000u
#define PEB 0x7FFDE000u
#define DUMP_TIME 1600000000u
/* FILETIME of DUMP_TIME minus 5.5 s. */
#define CREATE_TIME ((DUMP_TIME * 10000000ull + 116444736000000000ull) - 55000000ull)

/* MINIDUMP_MEMORY_INFO rows: base, size, allocation base, state, protect, type. */
static const struct {
    uint64_t base, size, ab;
    uint32_t state, protect, type;
} regions[] = {
    { 0x0, 0x30000, 0, 0x10000, 1, 0 },
    { 0x30000, 0xFE000, 0x30000, 0x2000, 0, 0x20000 },        /* the stack's reserve */
    { 0x12E000, 0x1000, 0x30000, 0x1000, 0x104, 0x20000 },    /* its guard page */
    { 0x12F000, 0x1000, 0x30000, 0x1000, 4, 0x20000 },        /* its committed top */
    { 0x130000, 0x20000, 0, 0x10000, 1, 0 },
    { 0x150000, 0x10000, 0x150000, 0x1000, 4, 0x20000 },      /* heap 1 (ProcessHeaps[0]) */
    { 0x160000, 0xF0000, 0, 0x10000, 1, 0 },
    { 0x250000, 0x10000, 0x250000, 0x1000, 4, 0x20000 },      /* heap 2 (ProcessHeaps[1]) */
    { 0x260000, 0xF0000, 0, 0x10000, 1, 0 },
    { 0x350000, 0x1000, 0x350000, 0x1000, 4, 0x20000 },       /* a segment, by signature */
    { 0x351000, 0xAF000, 0, 0x10000, 1, 0 },
    { 0x400000, 0x1000, 0x400000, 0x1000, 2, 0x1000000 },     /* app.exe */
    { 0x401000, 0x1000, 0x400000, 0x1000, 0x20, 0x1000000 },
    { 0x402000, 0x7FBAE000, 0, 0x10000, 1, 0 },
    { 0x7FFB0000, 0x1000, 0x7FFB0000, 0x1000, 2, 0x40000 },   /* AnsiCodePageData */
    { 0x7FFB1000, 0x2D000, 0, 0x10000, 1, 0 },
    { PEB, 0x2000, PEB, 0x1000, 4, 0x20000 },                 /* PEB and TEB, one region */
    { 0x7FFE0000, 0x1000, 0x7FFE0000, 0x1000, 2, 0x20000 },   /* KUSER_SHARED_DATA */
    { 0x7FFE1000, 0x1F000, 0, 0x10000, 1, 0 },
    /* Above 2 GB, sign-extended as dbghelp writes 32-bit addresses. */
    { 0xFFFFFFFF80000000ull, 0x1000, 0xFFFFFFFF80000000ull, 0x1000, 4, 0x20000 },
    { 0xFFFFFFFF80001000ull, 0x7FFEF000, 0, 0x10000, 1, 0 },
};
#define NREGIONS (sizeof regions / sizeof regions[0])

static uint32_t put_object_info(synth *s, uint32_t next, uint32_t type, const uint8_t *data, uint32_t size)
{
    uint8_t hdr[12];
    synth_w32(hdr, next);
    synth_w32(hdr + 4, type);
    synth_w32(hdr + 8, size);
    uint32_t rva = synth_put(s, hdr, sizeof hdr);
    synth_put(s, data, size);
    return rva;
}

static void build(synth *s)
{
    synth_begin(s, 8);
    uint8_t si[56] = { 0 }; /* SystemInfo: x86, Windows 6.1 */
    synth_w32(si + 8, 6);
    synth_w32(si + 12, 1);
    synth_w32(si + 20, 2);
    uint32_t rva = synth_put(s, si, sizeof si);
    synth_stream(s, 7, rva, sizeof si);

    /* One thread: TEB, a captured stack page, an x86 CONTEXT. */
    uint8_t ctx[0x2CC] = { 0 };
    synth_w32(ctx, 0x10007);
    synth_w32(ctx + 0xC4, 0x12FF00); /* Esp */
    uint32_t ctx_rva = synth_put(s, ctx, sizeof ctx);
    uint32_t stack_rva = synth_put(s, NULL, 0x1000);
    uint8_t tl[4 + 48] = { 0 };
    synth_w32(tl, 1);
    synth_w32(tl + 4, 0x10);
    synth_w64(tl + 4 + 16, TEB);
    synth_w64(tl + 4 + 24, 0x12F000);
    synth_w32(tl + 4 + 32, 0x1000);
    synth_w32(tl + 4 + 36, stack_rva);
    synth_w32(tl + 4 + 40, sizeof ctx);
    synth_w32(tl + 4 + 44, ctx_rva);
    rva = synth_put(s, tl, sizeof tl);
    synth_stream(s, 3, rva, sizeof tl);

    uint32_t name = synth_string(s, "C:\\app.exe");
    uint8_t ml[4 + 108] = { 0 };
    synth_w32(ml, 1);
    synth_w64(ml + 4, 0x400000);
    synth_w32(ml + 4 + 8, 0x2000);
    synth_w32(ml + 4 + 20, name);
    rva = synth_put(s, ml, sizeof ml);
    synth_stream(s, 4, rva, sizeof ml);

    /* Memory: the PEB and TEB pages, the third heap's first bytes. */
    uint8_t *blocks = calloc(1, 0x2000);
    synth_w32(blocks + 0x18, 0x150000);       /* PEB32.ProcessHeap */
    synth_w32(blocks + 0x58, 0x7FFB0000);     /* AnsiCodePageData */
    synth_w32(blocks + 0x88, 2);              /* NumberOfHeaps */
    synth_w32(blocks + 0x90, PEB + 0x800);    /* ProcessHeaps */
    synth_w32(blocks + 0x800, 0x150000);
    synth_w32(blocks + 0x804, 0x250000);
    uint8_t *teb = blocks + 0x1000;
    synth_w32(teb + 0x04, 0x130000);          /* StackBase */
    synth_w32(teb + 0x08, 0x12F000);          /* StackLimit */
    synth_w32(teb + 0x18, TEB);               /* Self */
    synth_w32(teb + 0x30, PEB);
    synth_w32(teb + 0xE0C, 0x30000);          /* DeallocationStack */
    uint32_t blocks_rva = synth_put(s, blocks, 0x2000);
    free(blocks);
    uint8_t seg[16] = { 0 };
    synth_w32(seg + 8, 0xFFEEFFEE);           /* _HEAP_SEGMENT.SegmentSignature (x86) */
    uint32_t seg_rva = synth_put(s, seg, sizeof seg);
    uint8_t mlist[4 + 3 * 16] = { 0 };
    synth_w32(mlist, 3);
    synth_w64(mlist + 4, PEB);
    synth_w32(mlist + 4 + 8, 0x2000);
    synth_w32(mlist + 4 + 12, blocks_rva);
    synth_w64(mlist + 20, 0x350000);
    synth_w32(mlist + 20 + 8, sizeof seg);
    synth_w32(mlist + 20 + 12, seg_rva);
    synth_w64(mlist + 36, 0x12F000);
    synth_w32(mlist + 36 + 8, 0x1000);
    synth_w32(mlist + 36 + 12, stack_rva);
    rva = synth_put(s, mlist, sizeof mlist);
    synth_stream(s, 5, rva, sizeof mlist);

    uint8_t *mi = calloc(1, 16 + 48 * NREGIONS);
    synth_w32(mi, 16);
    synth_w32(mi + 4, 48);
    synth_w64(mi + 8, NREGIONS);
    for (size_t i = 0; i < NREGIONS; i++) {
        uint8_t *e = mi + 16 + 48 * i;
        synth_w64(e, regions[i].base);
        synth_w64(e + 8, regions[i].ab);
        synth_w32(e + 16, regions[i].state == 0x10000 ? 0 : 4);
        synth_w64(e + 24, regions[i].size);
        synth_w32(e + 32, regions[i].state);
        synth_w32(e + 36, regions[i].protect);
        synth_w32(e + 40, regions[i].type);
    }
    rva = synth_put(s, mi, 16 + 48 * NREGIONS);
    synth_stream(s, 16, rva, 16 + 48 * NREGIONS);
    free(mi);

    /* HandleData v2: an event with its state, a mutant with two records. */
    uint8_t ev[8] = { 0 };                    /* NotificationEvent, not signaled */
    uint32_t ev_info = put_object_info(s, 0, 6, ev, sizeof ev);
    uint8_t owner[16] = { 0x34, 0x12 };
    uint32_t owner_info = put_object_info(s, 0, 3, owner, sizeof owner);
    uint8_t mu[8] = { 0, 0, 0, 0, 1, 0 };     /* CurrentCount 0: owned */
    uint32_t mu_info = put_object_info(s, owner_info, 2, mu, sizeof mu);
    uint32_t t_event = synth_string(s, "Event"), t_mutant = synth_string(s, "Mutant");
    uint32_t n_event = synth_string(s, "\\BaseNamedObjects\\Ev");
    uint8_t hd[16 + 3 * 40] = { 0 };
    synth_w32(hd, 16);
    synth_w32(hd + 4, 40);
    synth_w32(hd + 8, 3);
    uint8_t *h = hd + 16;
    synth_w64(h, 4);
    synth_w32(h + 8, t_event);
    synth_w32(h + 12, n_event);
    synth_w32(h + 20, 0x1F0003);
    synth_w32(h + 32, ev_info);
    h += 40;
    synth_w64(h, 8);
    synth_w32(h + 8, t_mutant);
    synth_w32(h + 20, 0x100001);
    synth_w32(h + 32, mu_info);
    h += 40;
    synth_w64(h, 0xC);                        /* no type name: counted as None */
    rva = synth_put(s, hd, sizeof hd);
    synth_stream(s, 12, rva, sizeof hd);

    uint8_t ti[12 + 64] = { 0 };
    synth_w32(ti, 12);
    synth_w32(ti + 4, 64);
    synth_w32(ti + 8, 1);
    synth_w32(ti + 12, 0x10);
    synth_w64(ti + 12 + 16, CREATE_TIME);
    synth_w64(ti + 12 + 32, 20000);           /* kernel: 2 ms */
    synth_w64(ti + 12 + 40, 1234567);         /* user: 123.4567 ms */
    rva = synth_put(s, ti, sizeof ti);
    synth_stream(s, 17, rva, sizeof ti);

    synth_w32(s->buf + 20, DUMP_TIME);
}

static char *run(con_session *s, const char *line)
{
    strbuf sb;
    sb_init(&sb);
    con_set_output_buffer(s, &sb);
    con_execute(s, line);
    return sb.s ? sb.s : strdup("");
}

static bool has(const char *out, const char *text)
{
    if (strstr(out, text)) return true;
    fprintf(stderr, "missing: [%s] in:\n%s\n", text, out);
    return false;
}

static void test_map(cor_target *t)
{
    proc_vm_map m;
    cor_err err;
    CHECK(proc_vm_build(t, &m, &err) == COR_OK);
    CHECK(m.from_memory_info);
    /* Every region, cut back to 32 bits, in order; the PEB/TEB region in two. */
    CHECK_EQ_U(m.n, NREGIONS + 1);
    uint64_t total = 0;
    for (size_t i = 0; i < m.n; i++) {
        total += m.regions[i].size;
        if (i) CHECK_EQ_U(m.regions[i].base, m.regions[i - 1].base + m.regions[i - 1].size);
    }
    CHECK_EQ_U(total, 0xFFFF0000u);
    static const struct {
        uint64_t addr;
        int usage;
    } want[] = {
        { 0x10, PROC_USAGE_FREE },        { 0x30000, PROC_USAGE_STACK },   { 0x12E800, PROC_USAGE_STACK },
        { 0x12FF00, PROC_USAGE_STACK },   { 0x150000, PROC_USAGE_HEAP },   { 0x250010, PROC_USAGE_HEAP },
        { 0x350000, PROC_USAGE_HEAP },    { 0x401000, PROC_USAGE_IMAGE },  { 0x7FFB0000, PROC_USAGE_OTHER },
        { PEB + 4, PROC_USAGE_PEB },      { TEB + 4, PROC_USAGE_TEB },     { 0x7FFE0000, PROC_USAGE_OTHER },
        { 0x80000000, PROC_USAGE_UNKNOWN }, { 0x90000000, PROC_USAGE_FREE },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const proc_region *r = proc_vm_find(&m, want[i].addr);
        CHECK(r != NULL);
        if (!r) continue;
        if (r->usage != want[i].usage)
            fprintf(stderr, "0x%llx: usage %s, expected %s\n", (unsigned long long)want[i].addr,
                    proc_usage_name(r->usage), proc_usage_name(want[i].usage));
        CHECK(r->usage == want[i].usage);
    }
    const proc_region *teb = proc_vm_find(&m, TEB);
    CHECK(teb && teb->base == TEB && teb->size == 0x1000 && teb->thread == 0 && teb->continued);
    const proc_region *peb = proc_vm_find(&m, PEB);
    CHECK(peb && peb->size == 0x1000 && !peb->continued);
    CHECK(proc_vm_find(&m, 0xFFFF0000u) == NULL);
    char buf[64];
    CHECK_STR(proc_protect_name(0x104, buf, sizeof buf), "PAGE_READWRITE|PAGE_GUARD");
    CHECK_STR(proc_protect_name(0x800, buf, sizeof buf), "0x800");
    proc_vm_free(&m);
}

static void test_handle_objects(cor_target *t)
{
    const md_handle *h;
    size_t n;
    cor_err err;
    CHECK(md_handles(t->dump, &h, &n, &err) == COR_OK);
    CHECK_EQ_U(n, 3);
    if (n != 3) return;
    md_handle_object_info info[4];
    CHECK_EQ_U(md_handle_object_infos(t->dump, &h[0], info, 4), 1);
    CHECK_EQ_U(info[0].type, MD_HANDLE_INFO_EVENT1);
    CHECK_EQ_U(info[0].data.size, 8);
    CHECK_EQ_U(md_handle_object_infos(t->dump, &h[1], info, 4), 2);
    CHECK_EQ_U(info[1].type, MD_HANDLE_INFO_MUTANT2);
    CHECK_EQ_U(md_handle_object_infos(t->dump, &h[1], info, 1), 1);
    CHECK_EQ_U(md_handle_object_infos(t->dump, &h[2], info, 4), 0);
}

static void test_commands(cor_target *t)
{
    con_session *s;
    cor_err err;
    CHECK(con_open(t, &s, &err) == COR_OK);
    char *o = run(s, "!address -summary");
    CHECK(has(o, "--- Usage Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal\n"));
    CHECK(has(o, "Free                                      9          ffec8000 (   3.999 GB)           99.97%\n"));
    CHECK(has(o, "Stack                                     3            100000 (   1.000 MB)  86.49%    0.02%\n"));
    CHECK(has(o, "Heap                                      3             21000 ( 132.000 kB)  11.15%    0.00%\n"));
    CHECK(has(o, "TEB                                       1              1000 (   4.000 kB)   0.34%    0.00%\n"));
    CHECK(has(o, "PEB                                       1              1000 (   4.000 kB)   0.34%    0.00%\n"));
    CHECK(has(o, "<unknown>                                 1              1000 (   4.000 kB)   0.34%    0.00%\n"));
    /* The PEB/TEB region counts once among the states and protections. */
    CHECK(has(o, "MEM_COMMIT                               11             2a000 ( 168.000 kB)  14.19%    0.00%\n"));
    CHECK(has(o, "PAGE_READWRITE                            6"));
    CHECK(has(o, "PAGE_READWRITE|PAGE_GUARD                 1"));
    CHECK(has(o, "--- Largest Region by Usage ----------- Base Address -------- Region Size ----------\n"));
    CHECK(has(o, "Free                                      80001000          7ffef000 (   2.000 GB)\n"));
    free(o);
    o = run(s, "!address 80000010");
    CHECK(has(o, "Usage:                  <unknown>\nBase Address:           80000000\n"));
    free(o);
    o = run(s, "!address 12e010");
    CHECK(has(o, "Usage:                  Stack\nBase Address:           0012e000\nEnd Address:            0012f000\n"
                 "Region Size:            00001000 (   4.000 kB)\nState:                  00001000          MEM_COMMIT\n"
                 "Protect:                00000104          PAGE_READWRITE|PAGE_GUARD\n"
                 "Type:                   00020000          MEM_PRIVATE\n"
                 "Allocation Base:        00030000\n"
                 "Allocation Protect:     00000004          PAGE_READWRITE\nMore info:              ~0k\n"));
    free(o);
    o = run(s, "!address 30000");
    CHECK(has(o, "Protect:                <info not present at the target>\n"));
    free(o);
    o = run(s, "!address 7ffb0000; !address 7ffdf000; !address app+1000");
    CHECK(has(o, "Additional info:        NLS Tables\n"));
    CHECK(has(o, "Usage:                  TEB\nBase Address:           7ffdf000\nEnd Address:            7ffe0000\n"));
    CHECK(has(o, "More info:              ~0s; !teb\n"));
    CHECK(has(o, "Module Name:            app\n"));
    free(o);
    o = run(s, "!address 250010; !address 350010");
    CHECK(has(o, "Usage:                  Heap\nBase Address:           00250000\n"));
    CHECK(has(o, "Additional info:        Heap handle 00250000\n"));
    CHECK(strstr(o, "Heap handle 00350000") == NULL); /* found by its signature, not named by the PEB */
    free(o);

    o = run(s, "!handle 0 f");
    CHECK(has(o, "Handle 00000004\n  Type         \tEvent\n  Attributes   \t0\n  GrantedAccess\t0x1f0003:\n"
                 "         Delete,ReadControl,WriteDac,WriteOwner,Synch\n         QueryState,ModifyState\n"
                 "  HandleCount  \t0\n  PointerCount \t0\n  Name         \t\\BaseNamedObjects\\Ev\n"
                 "  Object Specific Information\n    Event Type Manual Reset\n    Event is Waiting\n"));
    CHECK(has(o, "  Name         \t<none>\n  Object Specific Information\n    Mutex is Owned\n"
                 "    Object information of kind 3, 16 bytes, not decoded\n"));
    CHECK(has(o, "Handle 0000000c\n  Type         \t\n"));
    CHECK(has(o, "3 Handles\nType           \tCount\nEvent          \t1\nMutant         \t1\nNone           \t1\n"));
    free(o);
    o = run(s, "!handle 8 f; !handle 0 1 Mutant; !handle 10");
    CHECK(has(o, "         Synch\n         QueryState\n"));
    CHECK(has(o, "Handle 00000008\n  Type         \tMutant\n1 Handles\nType           \tCount\nMutant         \t1\n"));
    CHECK(has(o, "Handle 00000010 is not in the dump's handle data\n"));
    free(o);

    o = run(s, "!runaway 7");
    CHECK_STR(o, " User Mode Time\n  Thread       Time\n   0:10        0 days 0:00:00.123\n"
                 " Kernel Mode Time\n  Thread       Time\n   0:10        0 days 0:00:00.002\n"
                 " Elapsed Time\n  Thread       Time\n   0:10        0 days 0:00:05.500\n");
    free(o);
    o = run(s, "!runaway");
    CHECK(strstr(o, "User Mode Time") && !strstr(o, "Kernel"));
    free(o);
    con_close(s);
}

int main(void)
{
    synth s;
    build(&s);
    char path[] = "/tmp/coroner-address-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, s.buf, s.len) == (ssize_t)s.len);
    close(fd);
    free(s.buf);
    cor_target *t = NULL;
    cor_err err;
    CHECK(target_open(path, &t, &err) == COR_OK);
    if (t) {
        test_map(t);
        test_handle_objects(t);
        test_commands(t);
        target_close(t);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    unlink(path);
    TEST_DONE();
}
