/* CONTEXT decoding for x86, AMD64 and ARM64. */
#include "dump/context.h"

#include <string.h>

#include "core/cursor.h"

#define X86_CONTEXT_SIZE 0x2CC
#define AMD64_CONTEXT_SIZE 0x4D0
#define ARM64_CONTEXT_SIZE 0x390

unsigned md_arch_ptr_size(uint16_t arch)
{
    return (arch == MD_ARCH_X86 || arch == MD_ARCH_ARM) ? 4 : 8;
}

uint16_t md_dump_arch(const md_dump *d)
{
    const md_system_info *si = md_get_system_info(d);
    if (si) return si->arch;
    const md_thread *t = md_thread_at(d, 0);
    if (t) {
        switch (t->context.size) {
        case X86_CONTEXT_SIZE: return MD_ARCH_X86;
        case AMD64_CONTEXT_SIZE: return MD_ARCH_AMD64;
        case ARM64_CONTEXT_SIZE: return MD_ARCH_ARM64;
        }
    }
    return MD_ARCH_UNKNOWN;
}

static void read_x86(const uint8_t *p, md_context *c)
{
    c->flags = le32(p);
    for (int i = 0; i < 4; i++) c->dr[i] = le32(p + 4 + 4 * i);
    c->dr[6] = le32(p + 0x14);
    c->dr[7] = le32(p + 0x18);
    c->gs = (uint16_t)le32(p + 0x8C);
    c->fs = (uint16_t)le32(p + 0x90);
    c->es = (uint16_t)le32(p + 0x94);
    c->ds = (uint16_t)le32(p + 0x98);
    c->gpr[REG_RDI] = le32(p + 0x9C);
    c->gpr[REG_RSI] = le32(p + 0xA0);
    c->gpr[REG_RBX] = le32(p + 0xA4);
    c->gpr[REG_RDX] = le32(p + 0xA8);
    c->gpr[REG_RCX] = le32(p + 0xAC);
    c->gpr[REG_RAX] = le32(p + 0xB0);
    c->gpr[REG_RBP] = le32(p + 0xB4);
    c->ip = le32(p + 0xB8);
    c->cs = (uint16_t)le32(p + 0xBC);
    c->eflags = le32(p + 0xC0);
    c->gpr[REG_RSP] = le32(p + 0xC4);
    c->ss = (uint16_t)le32(p + 0xC8);
    c->sp = c->gpr[REG_RSP];
    c->fp = c->gpr[REG_RBP];
}

static void read_amd64(const uint8_t *p, md_context *c)
{
    c->flags = le32(p + 0x30);
    c->cs = le16(p + 0x38);
    c->ds = le16(p + 0x3A);
    c->es = le16(p + 0x3C);
    c->fs = le16(p + 0x3E);
    c->gs = le16(p + 0x40);
    c->ss = le16(p + 0x42);
    c->eflags = le32(p + 0x44);
    for (int i = 0; i < 4; i++) c->dr[i] = le64(p + 0x48 + 8 * i);
    c->dr[6] = le64(p + 0x68);
    c->dr[7] = le64(p + 0x70);
    for (int i = 0; i < 16; i++) c->gpr[i] = le64(p + 0x78 + 8 * i);
    c->ip = le64(p + 0xF8);
    c->sp = c->gpr[REG_RSP];
    c->fp = c->gpr[REG_RBP];
}

static void read_arm64(const uint8_t *p, md_context *c)
{
    c->flags = le32(p);
    c->eflags = le32(p + 4);
    for (int i = 0; i < 31; i++) c->gpr[i] = le64(p + 8 + 8 * i); /* X0..X28, Fp, Lr */
    c->sp = le64(p + 0x100);
    c->ip = le64(p + 0x108);
    c->fp = c->gpr[29];
}

int md_context_read(const md_dump *d, md_loc loc, uint16_t arch, md_context *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    const uint8_t *p = md_file_bytes(d, loc.rva, loc.size);
    if (!p || loc.size == 0) return cor_fail(err, "no thread context in the dump");
    return md_context_decode(p, loc.size, arch, out, err);
}

int md_context_decode(const uint8_t *p, size_t size, uint16_t arch, md_context *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    if (arch == MD_ARCH_UNKNOWN) {
        arch = size == X86_CONTEXT_SIZE ? MD_ARCH_X86
             : size == ARM64_CONTEXT_SIZE ? MD_ARCH_ARM64 : MD_ARCH_AMD64;
    }
    size_t need;
    switch (arch) {
    case MD_ARCH_X86: need = 0xCC; break; /* everything up to ExtendedRegisters */
    case MD_ARCH_AMD64: need = 0x100; break; /* up to the FP save area */
    case MD_ARCH_ARM64: need = 0x110; break;
    default: return cor_fail(err, "thread contexts of %s are not supported", md_arch_name(arch));
    }
    if (size < need)
        return cor_fail(err, "%s context is %zu bytes, need at least %zu", md_arch_name(arch), size, need);
    out->arch = arch;
    if (arch == MD_ARCH_X86) read_x86(p, out);
    else if (arch == MD_ARCH_AMD64) read_amd64(p, out);
    else read_arm64(p, out);
    return COR_OK;
}

size_t md_context_size(uint16_t arch)
{
    switch (arch) {
    case MD_ARCH_X86: return X86_CONTEXT_SIZE;
    case MD_ARCH_AMD64: return AMD64_CONTEXT_SIZE;
    case MD_ARCH_ARM64: return ARM64_CONTEXT_SIZE;
    default: return 0;
    }
}
