/* Disassembly for `u`, `r` and the analyzer, through capstone, printed the
 * way WinDbg prints it: Intel syntax with hex immediates as `28h`, no
 * blanks after commas or inside memory operands, the mnemonic padded to
 * eight columns. */
#ifndef COR_DISASM_DISASM_H
#define COR_DISASM_DISASM_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct dis_engine dis_engine;

typedef struct dis_insn {
    uint64_t addr;
    uint8_t bytes[16];
    size_t size;
    char mnemonic[32];
    char operands[192];  /* already in WinDbg's style */
    /* For direct calls and jumps: the target address (has_target set). */
    int has_target;
    uint64_t target;
} dis_insn;

/* arch: MD_ARCH_X86, MD_ARCH_AMD64 or MD_ARCH_ARM64. */
int dis_open(uint16_t arch, dis_engine **out, cor_err *err);
void dis_close(dis_engine *e);

/* Decodes one instruction from code[0..n) at address addr. COR_FAIL with
 * "No instruction" when the bytes do not decode. */
int dis_one(dis_engine *e, const uint8_t *code, size_t n, uint64_t addr, dis_insn *out, cor_err *err);

/* Rewrites capstone's operand text in WinDbg's style, in place:
 * "rsp, 0x28" -> "rsp,28h"; "qword ptr [rsp + 8]" -> "qword ptr [rsp+8]". */
void dis_windbg_style(char *ops, size_t cap);

#endif
