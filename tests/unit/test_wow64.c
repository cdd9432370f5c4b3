/* WoW64: a 32-bit process dumped by a 64-bit writer. No such dump is in the
 * corpus and Wine cannot make one (its 32-bit processes have no WoW64
 * layer), so this one is built in memory with the layout Windows uses: the
 * 64-bit TEB, the 32-bit TEB two pages above it, a PEB for each, the
 * 32-bit process parameters holding the program's command line, and for
 * the x86 view (.effmach x86) the thread's WOW64_CPURESERVED area (found
 * through TEB64.TlsSlots[1]) holding the x86 CONTEXT, and a 32-bit stack
 * whose ebp chain runs through three callers. */
#include <unistd.h>

#include "console/console.h"
#include "process/environment.h"
#include "synth_dump.h"
#include "target/wow64.h"
#include "test.h"
#include "unwind/unwind.h"

#define TEB64 0x10000ull
#define TEB32 (TEB64 + 0x2000)
#define PEB32 0x20000ull
#define PEB64 0x21000ull
#define PARAMS32 0x30000ull
#define CPU_AREA 0x50000ull  /* WOW64_CPURESERVED */
#define STACK64 0x60000ull   /* the 64-bit stack's captured page */
#define STACK32 0x1FF000ull  /* the 32-bit stack's top page (TEB32: 0x1F0000-0x200000) */
#define NTDLL32 0x77200000ull

/* The x86 registers WoW64 saved, and the 32-bit frames: ebp values and the
 * return addresses above them (app32+0x1234, app32+0x2345, ntdll+0x1111). */
#define EIP32 0x401010u
#define ESP32 0x1FFE00u
static const uint32_t ebp_chain[] = { 0x1FFE10, 0x1FFE40, 0x1FFE80, 0x1FFEC0 };
static const uint32_t ret_chain[] = { 0x401234, 0x402345, 0x77201111, 0 };

static void put_utf16(uint8_t *p, const char *a)
{
    for (size_t i = 0; a[i]; i++) synth_w16(p + 2 * i, (uint8_t)a[i]);
}

static void build(synth *s)
{
    synth_begin(s, 4);
    /* SystemInfo: AMD64, Windows 10.0.19041. */
    uint8_t si[56] = { 0 };
    synth_w16(si, 9);
    synth_w32(si + 8, 10);
    synth_w32(si + 16, 19041);
    synth_w32(si + 20, 2);
    uint32_t si_rva = synth_put(s, si, sizeof si);
    synth_stream(s, 7, si_rva, sizeof si);

    /* The thread's AMD64 CONTEXT (0x4D0 bytes): where it stands in the
     * WoW64 layer, rip in wow64cpu, rsp on the 64-bit stack. */
    uint8_t *ctx64 = calloc(1, 0x4D0);
    synth_w32(ctx64 + 0x30, 0x10000B);  /* CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS */
    synth_w16(ctx64 + 0x38, 0x33);      /* SegCs */
    synth_w64(ctx64 + 0x78 + 8 * 4, STACK64 + 0xF00); /* Rsp */
    synth_w64(ctx64 + 0xF8, 0x77001234); /* Rip */
    uint32_t ctx_rva = synth_put(s, ctx64, 0x4D0);
    free(ctx64);
    uint8_t *stack64 = calloc(1, 0x1000);
    uint32_t stack64_rva = synth_put(s, stack64, 0x1000);
    free(stack64);

    /* ThreadList: one thread, its 64-bit TEB, stack and context. */
    uint8_t tl[4 + 48] = { 0 };
    synth_w32(tl, 1);
    synth_w32(tl + 4, 0x222);
    synth_w64(tl + 4 + 16, TEB64);
    synth_w64(tl + 4 + 24, STACK64);
    synth_w32(tl + 4 + 32, 0x1000);
    synth_w32(tl + 4 + 36, stack64_rva);
    synth_w32(tl + 4 + 40, 0x4D0);
    synth_w32(tl + 4 + 44, ctx_rva);
    uint32_t tl_rva = synth_put(s, tl, sizeof tl);
    synth_stream(s, 3, tl_rva, sizeof tl);

    /* ModuleList: the 32-bit program, WoW64's CPU layer, the 32-bit ntdll. */
    uint32_t n1 = synth_string(s, "C:\\app32.exe");
    uint32_t n2 = synth_string(s, "C:\\Windows\\System32\\wow64cpu.dll");
    uint32_t n3 = synth_string(s, "C:\\Windows\\SysWOW64\\ntdll.dll");
    uint8_t ml[4 + 3 * 108] = { 0 };
    synth_w32(ml, 3);
    synth_w64(ml + 4, 0x400000);
    synth_w32(ml + 4 + 8, 0x10000);
    synth_w32(ml + 4 + 20, n1);
    synth_w64(ml + 112, 0x77000000);
    synth_w32(ml + 112 + 8, 0x10000);
    synth_w32(ml + 112 + 20, n2);
    synth_w64(ml + 220, NTDLL32);
    synth_w32(ml + 220 + 8, 0x100000);
    synth_w32(ml + 220 + 20, n3);
    uint32_t ml_rva = synth_put(s, ml, sizeof ml);
    synth_stream(s, 4, ml_rva, sizeof ml);

    /* Memory: TEBs, PEBs, parameters. */
    uint8_t *teb = calloc(1, 0x3000), *peb = calloc(1, 0x2000), *pp = calloc(1, 0x1000);
    synth_w64(teb + 0x30, TEB64);        /* TEB64.Self */
    synth_w64(teb + 0x40, 0x111);        /* ClientId */
    synth_w64(teb + 0x48, 0x222);
    synth_w64(teb + 0x60, PEB64);
    uint8_t *t32 = teb + 0x2000;
    synth_w32(t32 + 0x04, 0x200000);     /* StackBase */
    synth_w32(t32 + 0x08, 0x1F0000);     /* StackLimit */
    synth_w32(t32 + 0x18, (uint32_t)TEB32);
    synth_w32(t32 + 0x20, 0x111);
    synth_w32(t32 + 0x24, 0x222);
    synth_w32(t32 + 0x30, (uint32_t)PEB32);
    synth_w32(t32 + 0x34, 5);            /* LastErrorValue: ERROR_ACCESS_DENIED */
    synth_w32(peb + 0x08, 0x400000);     /* PEB32.ImageBaseAddress */
    synth_w32(peb + 0x10, (uint32_t)PARAMS32);
    synth_w32(peb + 0xA4, 10);
    synth_w16(peb + 0xAC, 19041);
    synth_w64(peb + 0x1000 + 0x10, 0x400000); /* PEB64.ImageBaseAddress, no parameters */
    const char *img = "C:\\app32.exe", *cmd = "C:\\app32.exe -ap \"Pool32\"";
    synth_w32(pp + 0x08, 1);             /* normalized */
    synth_w16(pp + 0x38, (uint16_t)(2 * strlen(img)));
    synth_w32(pp + 0x38 + 4, (uint32_t)PARAMS32 + 0x400);
    synth_w16(pp + 0x40, (uint16_t)(2 * strlen(cmd)));
    synth_w32(pp + 0x40 + 4, (uint32_t)PARAMS32 + 0x600);
    synth_w32(pp + 0x48, (uint32_t)PARAMS32 + 0x800);
    synth_w32(pp + 0x290, 0x20);
    put_utf16(pp + 0x400, img);
    put_utf16(pp + 0x600, cmd);
    put_utf16(pp + 0x800, "A=1");
    put_utf16(pp + 0x808, "B=2");
    /* TEB64.TlsSlots[WOW64_TLS_CPURESERVED] -> WOW64_CPURESERVED { Flags,
     * Machine = IMAGE_FILE_MACHINE_I386, x86 CONTEXT at +4 }. */
    synth_w64(teb + 0x1480 + 8, CPU_AREA);
    uint8_t *cpu = calloc(1, 0x1000), *c = cpu + 4;
    synth_w16(cpu + 2, 0x14C);
    synth_w32(c, 0x1003F);               /* CONTEXT_i386 | CONTEXT_ALL */
    synth_w32(c + 0x8C, 0x2B);           /* SegGs */
    synth_w32(c + 0x90, 0x53);           /* SegFs */
    synth_w32(c + 0x94, 0x2B);           /* SegEs */
    synth_w32(c + 0x98, 0x2B);           /* SegDs */
    synth_w32(c + 0x9C, 0x66666666);     /* Edi */
    synth_w32(c + 0xA0, 0x55555555);     /* Esi */
    synth_w32(c + 0xA4, 0x22222222);     /* Ebx */
    synth_w32(c + 0xA8, 0x44444444);     /* Edx */
    synth_w32(c + 0xAC, 0x33333333);     /* Ecx */
    synth_w32(c + 0xB0, 0x11111111);     /* Eax */
    synth_w32(c + 0xB4, ebp_chain[0]);   /* Ebp */
    synth_w32(c + 0xB8, EIP32);          /* Eip */
    synth_w32(c + 0xBC, 0x23);           /* SegCs */
    synth_w32(c + 0xC0, 0x246);          /* EFlags */
    synth_w32(c + 0xC4, ESP32);          /* Esp */
    synth_w32(c + 0xC8, 0x2B);           /* SegSs */
    /* The 32-bit stack: each frame's saved ebp at [ebp], its return
     * address at [ebp+4]; the last returns to nothing. */
    uint8_t *st = calloc(1, 0x1000);
    for (size_t i = 0; i < sizeof ebp_chain / sizeof ebp_chain[0]; i++) {
        uint32_t off = ebp_chain[i] - (uint32_t)STACK32;
        synth_w32(st + off, i + 1 < sizeof ebp_chain / sizeof ebp_chain[0] ? ebp_chain[i + 1] : 0);
        synth_w32(st + off + 4, ret_chain[i]);
    }
    uint32_t r1 = synth_put(s, teb, 0x3000), r2 = synth_put(s, peb, 0x2000), r3 = synth_put(s, pp, 0x1000);
    uint32_t r4 = synth_put(s, cpu, 0x1000), r5 = synth_put(s, st, 0x1000);
    free(teb);
    free(peb);
    free(pp);
    free(cpu);
    free(st);
    uint8_t mlist[4 + 6 * 16] = { 0 };
    synth_w32(mlist, 6);
    uint64_t bases[6] = { TEB64, PEB32, PARAMS32, CPU_AREA, STACK32, STACK64 };
    uint32_t sizes[6] = { 0x3000, 0x2000, 0x1000, 0x1000, 0x1000, 0x1000 },
             rvas[6] = { r1, r2, r3, r4, r5, stack64_rva };
    for (int i = 0; i < 6; i++) {
        synth_w64(mlist + 4 + 16 * i, bases[i]);
        synth_w32(mlist + 4 + 16 * i + 8, sizes[i]);
        synth_w32(mlist + 4 + 16 * i + 12, rvas[i]);
    }
    uint32_t mrva = synth_put(s, mlist, sizeof mlist);
    synth_stream(s, 5, mrva, sizeof mlist);
}

/* The x86 side through the target: the saved CONTEXT, the 32-bit TEB and
 * stack bounds, and a walk with the x86 unwinder on this AMD64 dump. */
static void test_x86_view(cor_target *t)
{
    cor_err err = { "" };
    CHECK_EQ_U(target_wow64_teb32(t, 0), TEB32);
    md_context c;
    CHECK(target_wow64_context(t, 0, &c, &err) == COR_OK);
    CHECK(c.arch == MD_ARCH_X86 && c.ip == EIP32 && c.sp == ESP32 && c.fp == ebp_chain[0]);
    CHECK(c.gpr[REG_RAX] == 0x11111111 && c.gpr[REG_RDI] == 0x66666666 && c.cs == 0x23 && c.eflags == 0x246);
    uint64_t lo, hi;
    CHECK(target_wow64_stack_bounds(t, 0, &lo, &hi) && lo == 0x1F0000 && hi == 0x200000);

    /* The native view is the default: the 64-bit context. */
    CHECK(t->eff_arch == MD_ARCH_AMD64 && !target_wow64_view(t));
    CHECK(target_thread_context(t, 0, &c, &err) == COR_OK && c.arch == MD_ARCH_AMD64 && c.ip == 0x77001234);
    CHECK_EQ_U(target_thread_teb(t, 0), TEB64);
    CHECK(target_set_effective_machine(t, MD_ARCH_ARM64, &err) == COR_FAIL);

    CHECK(target_set_effective_machine(t, MD_ARCH_X86, &err) == COR_OK);
    CHECK(target_wow64_view(t) && t->eff_ptr_size == 4);
    CHECK(target_thread_context(t, 0, &c, &err) == COR_OK && c.arch == MD_ARCH_X86 && c.ip == EIP32);
    CHECK_EQ_U(target_thread_teb(t, 0), TEB32);
    uw_stack st;
    CHECK(target_walk_thread(t, 0, true, 0, &st, &err) == COR_OK);
    CHECK_EQ_U(st.count, 4);
    static const uint64_t ips[] = { EIP32, 0x401234, 0x402345, 0x77201111 };
    for (size_t i = 0; i < st.count && i < 4; i++) {
        CHECK_EQ_U(st.frames[i].regs.ip, ips[i]);
        CHECK_EQ_U(st.frames[i].regs.fp, ebp_chain[i]);
        CHECK(st.frames[i].trust == (i ? UW_TRUST_FRAME_POINTER : UW_TRUST_CONTEXT));
    }
    CHECK_STR(st.stop_reason, "");
    uw_stack_free(&st);
    /* Back to the dump's own machine: the 64-bit walker again. */
    CHECK(target_set_effective_machine(t, MD_ARCH_AMD64, &err) == COR_OK);
    CHECK(target_walk_thread(t, 0, true, 0, &st, &err) == COR_OK);
    CHECK(st.count >= 1 && st.frames[0].regs.ip == 0x77001234);
    uw_stack_free(&st);
}

static char *run(con_session *s, const char *line)
{
    strbuf sb;
    sb_init(&sb);
    con_set_output_buffer(s, &sb);
    con_execute(s, line);
    return sb.s ? sb.s : strdup("");
}

static bool has(const char *out, const char *want)
{
    if (strstr(out, want)) return true;
    fprintf(stderr, "missing:\n%s\nin:\n%s\n", want, out);
    return false;
}

/* .effmach x86 in the console: r, k, ~ and $teb show the 32-bit side, as
 * WinDbg shows them; .effmach . comes back. */
static void test_effmach(cor_target *t)
{
    con_session *s;
    cor_err err;
    CHECK(con_open(t, &s, &err) == COR_OK);
    char *o = run(s, ".effmach; r rip");
    CHECK(has(o, "Effective machine: x64 (AMD64)\n"));
    CHECK(has(o, "rip=0000000077001234\n"));
    free(o);
    CHECK_STR(con_prompt(s), "0:000> ");

    o = run(s, ".effmach x86; r; k; kn 2; ~; ? @$teb");
    CHECK(has(o, "Effective machine: x86 compatible (x86)\n"));
    CHECK_STR(con_prompt(s), "0:000:x86> ");
    CHECK(has(o, "eax=11111111 ebx=22222222 ecx=33333333 edx=44444444 esi=55555555 edi=66666666\n"
                 "eip=00401010 esp=001ffe00 ebp=001ffe10 iopl=0         nv up ei pl zr na pe nc\n"
                 "cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00000246\n"
                 "app32+0x1010:\n"));
    CHECK(has(o, "ChildEBP RetAddr  \n"
                 "001ffe10 00401234 app32+0x1010\n"
                 "001ffe40 00402345 app32+0x1234\n"
                 "001ffe80 77201111 app32+0x2345\n"
                 "001ffec0 00000000 ntdll+0x1111\n"));
    CHECK(has(o, " # ChildEBP RetAddr  \n00 001ffe10 00401234 app32+0x1010\n01 001ffe40 00402345 app32+0x1234\n"));
    CHECK(has(o, ".  0  Id: 0.222 Suspend: 0 Teb: 00012000 Unfrozen\n"));
    CHECK(has(o, "Evaluate expression: 73728 = 00012000\n"));
    free(o);

    o = run(s, ".effmach .; r rip; .effmach arm64");
    CHECK(has(o, "Effective machine: x64 (AMD64)\n"));
    CHECK(has(o, "rip=0000000077001234\n"));
    CHECK(has(o, "is not a machine of this"));
    free(o);
    CHECK_STR(con_prompt(s), "0:000> ");
    con_close(s);
}

int main(void)
{
    synth s;
    build(&s);
    char path[] = "/tmp/coroner-wow64-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, s.buf, s.len) == (ssize_t)s.len);
    close(fd);
    free(s.buf);

    cor_target *t;
    cor_err err;
    CHECK(target_open(path, &t, &err) == COR_OK);
    if (t) {
        CHECK(proc_is_wow64(t));
        proc_peb p;
        CHECK(proc_read_peb(t, true, &p, &err) == COR_OK);
        CHECK(p.wow64 && p.ptr_size == 4 && p.addr == PEB32);
        CHECK_EQ_U(p.image_base, 0x400000);
        CHECK_STR(p.image_path, "C:\\app32.exe");
        CHECK_STR(p.command_line, "C:\\app32.exe -ap \"Pool32\"");
        CHECK_EQ_U(p.nenvironment, 2);
        if (p.nenvironment == 2) CHECK_STR(p.environment[1], "B=2");
        CHECK(p.os_major == 10 && p.os_build == 19041);
        proc_peb_free(&p);
        /* The 64-bit view: the other PEB, 8-byte pointers. */
        CHECK(proc_read_peb(t, false, &p, &err) == COR_OK);
        CHECK(!p.wow64 && p.ptr_size == 8 && p.addr == PEB64);
        CHECK(p.command_line == NULL);
        proc_peb_free(&p);
        proc_teb teb;
        CHECK(proc_read_teb(t, 0, true, &teb, &err) == COR_OK);
        CHECK(teb.wow64 && teb.addr == TEB32 && teb.self == TEB32);
        CHECK(teb.client_tid == 0x222 && teb.client_pid == 0x111 && teb.last_error == 5);
        CHECK(teb.stack_base == 0x200000 && teb.stack_limit == 0x1F0000);
        CHECK(proc_read_teb(t, 0, false, &teb, &err) == COR_OK);
        CHECK(!teb.wow64 && teb.addr == TEB64 && teb.peb == PEB64);
        test_x86_view(t);
        test_effmach(t);
        target_close(t);
    }
    unlink(path);
    TEST_DONE();
}
