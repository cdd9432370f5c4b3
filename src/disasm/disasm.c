#include "disasm/disasm.h"

#include <capstone/capstone.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/minidump.h"

struct dis_engine {
    csh cs;
    uint16_t arch;
};

int dis_open(uint16_t arch, dis_engine **out, cor_err *err)
{
    cs_arch a;
    cs_mode m;
    switch (arch) {
    case MD_ARCH_X86: a = CS_ARCH_X86; m = CS_MODE_32; break;
    case MD_ARCH_AMD64: a = CS_ARCH_X86; m = CS_MODE_64; break;
    case MD_ARCH_ARM64: a = CS_ARCH_ARM64; m = CS_MODE_ARM; break;
    default: return cor_fail(err, "no disassembler for %s", md_arch_name(arch));
    }
    dis_engine *e = calloc(1, sizeof *e);
    if (!e) return cor_fail(err, "out of memory");
    if (cs_open(a, m, &e->cs) != CS_ERR_OK) {
        free(e);
        return cor_fail(err, "capstone cannot open %s", md_arch_name(arch));
    }
    cs_option(e->cs, CS_OPT_DETAIL, CS_OPT_ON);
    e->arch = arch;
    *out = e;
    return COR_OK;
}

void dis_close(dis_engine *e)
{
    if (!e) return;
    cs_close(&e->cs);
    free(e);
}

/* Writes a hex number the way MASM does: "28h", and a leading 0 when the
 * first digit is a letter ("0FFFFFFF0h"); small values (< 10) stay decimal. */
static size_t masm_hex(char *o, size_t cap, unsigned long long v)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llX", v);
    if (v < 10) return (size_t)snprintf(o, cap, "%llu", v);
    return (size_t)snprintf(o, cap, "%s%sh", isalpha((unsigned char)digits[0]) ? "0" : "", digits);
}

void dis_windbg_style(char *ops, size_t cap)
{
    char out[256];
    size_t o = 0;
    int in_mem = 0;
    for (const char *p = ops; *p && o + 24 < sizeof out;) {
        if (*p == '[') in_mem = 1;
        if (*p == ']') in_mem = 0;
        if (*p == ',' && p[1] == ' ') { out[o++] = ','; p += 2; continue; }
        if (in_mem && *p == ' ' && (p[1] == '+' || p[1] == '-' || p[1] == '*') && p[2] == ' ') {
            out[o++] = p[1];
            p += 3;
            continue;
        }
        /* A hex literal: 0x... not preceded by a word character. */
        if (p[0] == '0' && p[1] == 'x' && (p == ops || !isalnum((unsigned char)p[-1]))) {
            char *end;
            unsigned long long v = strtoull(p + 2, &end, 16);
            o += masm_hex(out + o, sizeof out - o, v);
            p = end;
            continue;
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    snprintf(ops, cap, "%s", out);
}

int dis_one(dis_engine *e, const uint8_t *code, size_t n, uint64_t addr, dis_insn *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    cs_insn *insn;
    size_t count = cs_disasm(e->cs, code, n, addr, 1, &insn);
    if (count < 1) return cor_fail(err, "No instruction at 0x%llx", (unsigned long long)addr);
    out->addr = insn->address;
    out->size = insn->size < sizeof out->bytes ? insn->size : sizeof out->bytes;
    memcpy(out->bytes, insn->bytes, out->size);
    snprintf(out->mnemonic, sizeof out->mnemonic, "%s", insn->mnemonic);
    snprintf(out->operands, sizeof out->operands, "%s", insn->op_str);
    if (e->arch != MD_ARCH_ARM64 && insn->detail) {
        const cs_x86 *x = &insn->detail->x86;
        bool branch = false;
        for (uint8_t g = 0; g < insn->detail->groups_count; g++)
            if (insn->detail->groups[g] == CS_GRP_CALL || insn->detail->groups[g] == CS_GRP_JUMP) branch = true;
        if (branch && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
            out->has_target = 1;
            out->target = (uint64_t)x->operands[0].imm;
        }
    }
    if (e->arch != MD_ARCH_ARM64) dis_windbg_style(out->operands, sizeof out->operands);
    cs_free(insn, count);
    return COR_OK;
}
