/* WoW64: a 32-bit process dumped by a 64-bit writer. No such dump is in the
 * corpus and Wine cannot make one (its 32-bit processes have no WoW64
 * layer), so this one is built in memory with the layout Windows uses: the
 * 64-bit TEB, the 32-bit TEB two pages above it, a PEB for each, and the
 * 32-bit process parameters holding the program's command line. */
#include <unistd.h>

#include "process/environment.h"
#include "synth_dump.h"
#include "test.h"

#define TEB64 0x10000ull
#define TEB32 (TEB64 + 0x2000)
#define PEB32 0x20000ull
#define PEB64 0x21000ull
#define PARAMS32 0x30000ull

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

    /* ThreadList: one thread, its 64-bit TEB. */
    uint8_t tl[4 + 48] = { 0 };
    synth_w32(tl, 1);
    synth_w32(tl + 4, 0x222);
    synth_w64(tl + 4 + 16, TEB64);
    uint32_t tl_rva = synth_put(s, tl, sizeof tl);
    synth_stream(s, 3, tl_rva, sizeof tl);

    /* ModuleList: the 32-bit program and WoW64's CPU layer. */
    uint32_t n1 = synth_string(s, "C:\\app32.exe");
    uint32_t n2 = synth_string(s, "C:\\Windows\\System32\\wow64cpu.dll");
    uint8_t ml[4 + 2 * 108] = { 0 };
    synth_w32(ml, 2);
    synth_w64(ml + 4, 0x400000);
    synth_w32(ml + 4 + 8, 0x10000);
    synth_w32(ml + 4 + 20, n1);
    synth_w64(ml + 112, 0x77000000);
    synth_w32(ml + 112 + 8, 0x10000);
    synth_w32(ml + 112 + 20, n2);
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
    uint32_t r1 = synth_put(s, teb, 0x3000), r2 = synth_put(s, peb, 0x2000), r3 = synth_put(s, pp, 0x1000);
    free(teb);
    free(peb);
    free(pp);
    uint8_t mlist[4 + 3 * 16] = { 0 };
    synth_w32(mlist, 3);
    uint64_t bases[3] = { TEB64, PEB32, PARAMS32 };
    uint32_t sizes[3] = { 0x3000, 0x2000, 0x1000 }, rvas[3] = { r1, r2, r3 };
    for (int i = 0; i < 3; i++) {
        synth_w64(mlist + 4 + 16 * i, bases[i]);
        synth_w32(mlist + 4 + 16 * i + 8, sizes[i]);
        synth_w32(mlist + 4 + 16 * i + 12, rvas[i]);
    }
    uint32_t mrva = synth_put(s, mlist, sizeof mlist);
    synth_stream(s, 5, mrva, sizeof mlist);
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
        target_close(t);
    }
    unlink(path);
    TEST_DONE();
}
