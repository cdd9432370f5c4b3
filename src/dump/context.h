/* Thread CONTEXT records, decoded into one register file per architecture.
 * Offsets: winnt.h CONTEXT for x86 (0x2CC bytes), AMD64 (0x4D0, flags at
 * 0x30) and ARM64 (0x390), cross-checked with rust-minidump context.rs. */
#ifndef COR_DUMP_CONTEXT_H
#define COR_DUMP_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"

/* Indices into md_context.gpr. x86 uses eax..edi in the same order as
 * AMD64's first eight (the unwind-code numbering); ARM64 uses X0..X28,
 * FP (29), LR (30). */
enum {
    REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

typedef struct md_context {
    uint16_t arch;        /* MD_ARCH_* */
    uint32_t flags;       /* ContextFlags as recorded */
    uint64_t gpr[32];     /* see the enum above */
    uint64_t ip, sp, fp;  /* program counter, stack and frame pointer */
    uint32_t eflags;      /* x86/AMD64 EFLAGS, ARM64 CPSR */
    uint16_t cs, ds, es, fs, gs, ss;
    uint64_t dr[8];       /* x86/AMD64 debug registers 0..7 (4,5 unused) */
} md_context;

/* Decodes a CONTEXT at loc, using arch (from SystemInfo) and falling back to
 * the record's size when arch is unknown. */
int md_context_read(const md_dump *d, md_loc loc, uint16_t arch, md_context *out, cor_err *err);

/* Decodes a CONTEXT record held in memory (.cxr ADDR): size bytes at p,
 * at least the integer part of the architecture's layout. */
int md_context_decode(const uint8_t *p, size_t size, uint16_t arch, md_context *out, cor_err *err);
/* Bytes of a full CONTEXT record for an architecture (0 when unknown). */
size_t md_context_size(uint16_t arch);

/* The architecture a dump's thread contexts use: SystemInfo's if present,
 * else guessed from the first context's size. */
uint16_t md_dump_arch(const md_dump *d);
/* Pointer size in bytes for an architecture (4 or 8). */
unsigned md_arch_ptr_size(uint16_t arch);

#endif
