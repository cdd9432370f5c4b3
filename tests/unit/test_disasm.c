/* Disassembly in WinDbg's style, on instruction encodings whose meaning
 * the x86 and ARM64 manuals fix. */
#include "disasm/disasm.h"
#include "dump/minidump.h"
#include "test.h"

static void check(dis_engine *e, const char *hex, uint64_t addr, const char *mn, const char *ops)
{
    uint8_t b[16];
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) sscanf(hex + 2 * i, "%2hhx", &b[i]);
    dis_insn in;
    cor_err err;
    CHECK(dis_one(e, b, n, addr, &in, &err) == COR_OK);
    CHECK_EQ_U(in.size, n);
    CHECK_STR(in.mnemonic, mn);
    CHECK_STR(in.operands, ops);
}

int main(void)
{
    dis_engine *e;
    cor_err err;
    CHECK(dis_open(MD_ARCH_AMD64, &e, &err) == COR_OK);
    check(e, "4c8bd1", 0, "mov", "r10,rcx");
    check(e, "4883ec28", 0, "sub", "rsp,28h");
    check(e, "48895c2408", 0, "mov", "qword ptr [rsp+8],rbx");
    check(e, "4881ecf0000000", 0, "sub", "rsp,0F0h");
    check(e, "c3", 0, "ret", "");
    /* A call's target is the next instruction plus the displacement. */
    uint8_t call[] = { 0xe8, 0xe4, 0xff, 0xff, 0xff };
    dis_insn in;
    CHECK(dis_one(e, call, sizeof call, 0x140001527, &in, &err) == COR_OK);
    CHECK(in.has_target && in.target == 0x140001510);
    CHECK(dis_one(e, (const uint8_t *)"\x0f\x0b", 1, 0, &in, &err) == COR_FAIL);
    dis_close(e);

    CHECK(dis_open(MD_ARCH_X86, &e, &err) == COR_OK);
    check(e, "55", 0, "push", "ebp");
    check(e, "8bec", 0, "mov", "ebp,esp");
    check(e, "c745fc45000000", 0, "mov", "dword ptr [ebp-4],45h");
    dis_close(e);

    CHECK(dis_open(MD_ARCH_ARM64, &e, &err) == COR_OK);
    check(e, "c0035fd6", 0, "ret", "");
    dis_close(e);
    CHECK(dis_open(MD_ARCH_IA64, &e, &err) == COR_FAIL);
    TEST_DONE();
}
