/* `r`: the register file in WinDbg's layouts for x64, x86 and ARM64, and
 * register lookup by name for `r REG` and expressions (rax, eax, ax, al,
 * ah, r8d, efl, cs, rip; x0, w0, fp, lr, sp, pc on ARM64). */
#include "console/con_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const gpr64[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};
static const char *const gpr32[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
static const char *const gpr16[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
static const char *const gpr8lo[8] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
static const char *const gpr8hi[4] = { "ah", "ch", "dh", "bh" };

static int find(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

static int x86_register(const md_context *c, const char *r, uint64_t *v, unsigned *w)
{
    bool x64 = c->arch == MD_ARCH_AMD64;
    int i;
    if (x64 && (i = find(gpr64, 16, r)) >= 0) { *v = c->gpr[i]; *w = 8; return COR_OK; }
    if (x64 && strcmp(r, "rip") == 0) { *v = c->ip; *w = 8; return COR_OK; }
    if ((i = find(gpr32, 8, r)) >= 0) { *v = c->gpr[i] & 0xFFFFFFFFu; *w = 4; return COR_OK; }
    if (strcmp(r, "eip") == 0) { *v = c->ip & 0xFFFFFFFFu; *w = 4; return COR_OK; }
    if ((i = find(gpr16, 8, r)) >= 0) { *v = c->gpr[i] & 0xFFFF; *w = 2; return COR_OK; }
    if (strcmp(r, "ip") == 0) { *v = c->ip & 0xFFFF; *w = 2; return COR_OK; }
    if ((i = find(gpr8lo, x64 ? 8 : 4, r)) >= 0) { *v = c->gpr[i] & 0xFF; *w = 1; return COR_OK; }
    if ((i = find(gpr8hi, 4, r)) >= 0) { *v = (c->gpr[i] >> 8) & 0xFF; *w = 1; return COR_OK; }
    if (strcmp(r, "efl") == 0 || strcmp(r, "eflags") == 0) { *v = c->eflags; *w = 4; return COR_OK; }
    static const char *const segs[6] = { "cs", "ds", "es", "fs", "gs", "ss" };
    const uint16_t segv[6] = { c->cs, c->ds, c->es, c->fs, c->gs, c->ss };
    if ((i = find(segs, 6, r)) >= 0) { *v = segv[i]; *w = 2; return COR_OK; }
    /* r8d, r8w, r8b ... r15d: the low parts of the numbered registers. */
    if (x64 && r[0] == 'r' && isdigit((unsigned char)r[1])) {
        char *end;
        long k = strtol(r + 1, &end, 10);
        if (k >= 8 && k <= 15 && end[0] && !end[1]) {
            uint64_t x = c->gpr[k];
            switch (end[0]) {
            case 'd': *v = x & 0xFFFFFFFFu; *w = 4; return COR_OK;
            case 'w': *v = x & 0xFFFF; *w = 2; return COR_OK;
            case 'b': *v = x & 0xFF; *w = 1; return COR_OK;
            }
        }
    }
    for (int k = 0; k < 8; k++) {
        char dr[4] = { 'd', 'r', (char)('0' + k), 0 };
        if ((k < 4 || k > 5) && strcmp(r, dr) == 0) { *v = c->dr[k]; *w = x64 ? 8 : 4; return COR_OK; }
    }
    return COR_FAIL;
}

static int arm64_register(const md_context *c, const char *r, uint64_t *v, unsigned *w)
{
    if ((r[0] == 'x' || r[0] == 'w') && isdigit((unsigned char)r[1])) {
        char *end;
        long k = strtol(r + 1, &end, 10);
        if (*end || k < 0 || k > 30) return COR_FAIL;
        *v = r[0] == 'x' ? c->gpr[k] : c->gpr[k] & 0xFFFFFFFFu;
        *w = r[0] == 'x' ? 8 : 4;
        return COR_OK;
    }
    if (strcmp(r, "fp") == 0) { *v = c->gpr[29]; *w = 8; return COR_OK; }
    if (strcmp(r, "lr") == 0) { *v = c->gpr[30]; *w = 8; return COR_OK; }
    if (strcmp(r, "sp") == 0) { *v = c->sp; *w = 8; return COR_OK; }
    if (strcmp(r, "pc") == 0) { *v = c->ip; *w = 8; return COR_OK; }
    if (strcmp(r, "psr") == 0 || strcmp(r, "cpsr") == 0) { *v = c->eflags; *w = 4; return COR_OK; }
    return COR_FAIL;
}

int con_register_value(const md_context *c, const char *name, size_t len, uint64_t *v, unsigned *width)
{
    char r[16];
    if (len == 0 || len >= sizeof r) return COR_FAIL;
    for (size_t i = 0; i < len; i++) r[i] = (char)tolower((unsigned char)name[i]);
    r[len] = 0;
    if (c->arch == MD_ARCH_ARM64) return arm64_register(c, r, v, width);
    if (c->arch == MD_ARCH_X86 || c->arch == MD_ARCH_AMD64) return x86_register(c, r, v, width);
    return COR_FAIL;
}

/* "nv up ei pl zr na pe nc": OF DF IF SF ZF AF PF CF, set or clear. */
static void x86_flags(uint32_t f, char *buf, size_t size)
{
    snprintf(buf, size, "%s %s %s %s %s %s %s %s", f & 0x800 ? "ov" : "nv", f & 0x400 ? "dn" : "up",
             f & 0x200 ? "ei" : "di", f & 0x80 ? "ng" : "pl", f & 0x40 ? "zr" : "nz", f & 0x10 ? "ac" : "na",
             f & 0x4 ? "pe" : "po", f & 0x1 ? "cy" : "nc");
}

static void print_x86(con_session *s, const md_context *c)
{
    const uint64_t *g = c->gpr;
    char fl[32];
    x86_flags(c->eflags, fl, sizeof fl);
    con_printf(s, "eax=%08" PRIx64 " ebx=%08" PRIx64 " ecx=%08" PRIx64 " edx=%08" PRIx64 " esi=%08" PRIx64
                  " edi=%08" PRIx64 "\n",
               g[REG_RAX], g[REG_RBX], g[REG_RCX], g[REG_RDX], g[REG_RSI], g[REG_RDI]);
    con_printf(s, "eip=%08" PRIx64 " esp=%08" PRIx64 " ebp=%08" PRIx64 " iopl=%u         %s\n", c->ip,
               g[REG_RSP], g[REG_RBP], (c->eflags >> 12) & 3, fl);
    con_printf(s, "cs=%04x  ss=%04x  ds=%04x  es=%04x  fs=%04x  gs=%04x             efl=%08x\n", c->cs, c->ss,
               c->ds, c->es, c->fs, c->gs, c->eflags);
}

static void print_amd64(con_session *s, const md_context *c)
{
    const uint64_t *g = c->gpr;
    char fl[32];
    x86_flags(c->eflags, fl, sizeof fl);
    con_printf(s, "rax=%016" PRIx64 " rbx=%016" PRIx64 " rcx=%016" PRIx64 "\n", g[REG_RAX], g[REG_RBX], g[REG_RCX]);
    con_printf(s, "rdx=%016" PRIx64 " rsi=%016" PRIx64 " rdi=%016" PRIx64 "\n", g[REG_RDX], g[REG_RSI], g[REG_RDI]);
    con_printf(s, "rip=%016" PRIx64 " rsp=%016" PRIx64 " rbp=%016" PRIx64 "\n", c->ip, g[REG_RSP], g[REG_RBP]);
    con_printf(s, " r8=%016" PRIx64 "  r9=%016" PRIx64 " r10=%016" PRIx64 "\n", g[REG_R8], g[REG_R9], g[REG_R10]);
    con_printf(s, "r11=%016" PRIx64 " r12=%016" PRIx64 " r13=%016" PRIx64 "\n", g[REG_R11], g[REG_R12], g[REG_R13]);
    con_printf(s, "r14=%016" PRIx64 " r15=%016" PRIx64 "\n", g[REG_R14], g[REG_R15]);
    con_printf(s, "iopl=%u         %s\n", (c->eflags >> 12) & 3, fl);
    con_printf(s, "cs=%04x  ss=%04x  ds=%04x  es=%04x  fs=%04x  gs=%04x             efl=%08x\n", c->cs, c->ss,
               c->ds, c->es, c->fs, c->gs, c->eflags);
}

static void print_arm64(con_session *s, const md_context *c)
{
    for (int i = 0; i < 28; i += 4) {
        for (int k = i; k < i + 4; k++) {
            char n[8];
            snprintf(n, sizeof n, "x%d", k);
            con_printf(s, "%s%3s=%016" PRIx64, k == i ? "" : "  ", n, c->gpr[k]);
        }
        con_puts(s, "\n");
    }
    con_printf(s, "x28=%016" PRIx64 "   fp=%016" PRIx64 "   lr=%016" PRIx64 "   sp=%016" PRIx64 "\n", c->gpr[28],
               c->gpr[29], c->gpr[30], c->sp);
    uint32_t p = c->eflags;
    con_printf(s, " pc=%016" PRIx64 "  psr=%08x %c%c%c%c EL%u\n", c->ip, p, p & 0x80000000u ? 'N' : '-',
               p & 0x40000000u ? 'Z' : '-', p & 0x20000000u ? 'C' : '-', p & 0x10000000u ? 'V' : '-', (p >> 2) & 3);
}

void con_print_registers(con_session *s, const md_context *c)
{
    switch (c->arch) {
    case MD_ARCH_X86: print_x86(s, c); break;
    case MD_ARCH_AMD64: print_amd64(s, c); break;
    case MD_ARCH_ARM64: print_arm64(s, c); break;
    default: con_printf(s, "Registers of %s are not supported\n", md_arch_name(c->arch));
    }
}

/* WinDbg follows the registers with the symbol of the instruction pointer
 * and the disassembled instruction. Without symbols the symbol is
 * module+offset; there is no disassembler yet, so the instruction line is
 * left out rather than guessed. */
void con_print_location(con_session *s, uint64_t ip)
{
    char sym[300];
    if (con_symbolize(s, ip, false, sym, sizeof sym)) con_printf(s, "%s:\n", sym);
    /* WinDbg follows with the instruction at ip, or question marks when
     * the code is not in the dump. */
    if (!con_print_instruction(s, ip)) {
        char a[24];
        con_printf(s, "%s ??              ???\n", con_fmt_addr(s, ip, a));
    }
}

static void print_value(con_session *s, const char *name, uint64_t v, unsigned width)
{
    con_printf(s, "%s=%0*" PRIx64, name, (int)width * 2, v);
}

int cmd_r(con_session *s, const char *name, const char *args, cor_err *err)
{
    md_context c;
    if (!md_thread_count(s->t->dump) && !s->t->has_ctx_override) return cor_fail(err, "The dump has no thread list");
    if (target_current_context(s->t, &c, err) != COR_OK) return COR_FAIL;
    if (!*args) {
        con_print_registers(s, &c);
        con_print_location(s, c.ip);
        return COR_OK;
    }
    /* r rax, rbx / r @rip / r $ip: each named register, on one line. */
    const char *p = args;
    bool first = true;
    while (*p) {
        while (*p == ' ' || *p == ',' || *p == '\t') p++;
        if (!*p) break;
        const char *start = p;
        if (*p == '@') p++;
        const char *n = p;
        while (isalnum((unsigned char)*p) || *p == '$' || *p == '_') p++;
        size_t len = (size_t)(p - n);
        if (*p == '=') return cor_fail(err, "Registers of a dump cannot be changed");
        uint64_t v;
        unsigned width;
        if (len && n[0] == '$') {
            if (s->env.lookup(s, n, len, true, &v) != COR_OK)
                return cor_fail(err, "Bad register error at '%s'", start);
            width = con_ptr_size(s);
        } else if (!len || con_register_value(&c, n, len, &v, &width) != COR_OK) {
            return cor_fail(err, "Bad register error at '%s'", start);
        }
        if (!first) con_puts(s, " ");
        char reg[24];
        snprintf(reg, sizeof reg, "%.*s", (int)len, n);
        for (char *q = reg; *q; q++) *q = (char)tolower((unsigned char)*q);
        print_value(s, reg, v, width);
        first = false;
    }
    con_puts(s, "\n");
    return COR_OK;
}
