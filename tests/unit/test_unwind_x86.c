/* x86 stack walking.
 *
 * - The frame-data program evaluator on its own: Breakpad's semantics
 *   (lazy names, glued "=", 32-bit wrap, '@') and hostile programs.
 * - A synthetic dump with Breakpad symbols made in memory, one scenario per
 *   method: FrameData program, FPO with and without a saved ebp, the FPO
 *   context-frame special case, '@' programs, STACK CFI, the ebp chain,
 *   scanning, and "call frame info with scanning".
 * - minidump2.dmp walked with its Breakpad symbols in Breakpad's directory
 *   layout, frame for frame against Breakpad's minidump_stackwalk output,
 *   and without symbols against rust-minidump's snapshot of the same dump
 *   (both expected outputs are parsed from the corpus files).
 * - Every thread of every x86 dump in the corpus (and the Firefox x86 dump
 *   with its symbols) walks without failing, with the stack pointer
 *   growing from frame to frame. */
#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "sym/breakpad/breakpad.h"
#include "sym/resolver.h"
#include "target/target.h"
#include "test.h"
#include "unwind/unwind.h"
#include "unwind/x86_program.h"
#include "synth_dump.h"

#define MINIDUMP2 "google__breakpad/src__processor__testdata__minidump2.dmp"
#define MINIDUMP2_OUT "google__breakpad/src__processor__testdata__minidump2.stackwalk.out"
#define RUST_SNAP "rust-minidump__rust-minidump/minidump-stackwalk__tests__snapshots__test_minidump_stackwalk__human.snap"
#define TEST_APP_SYM \
    "google__breakpad/src__processor__testdata__symbols__test_app.pdb__5A9832E5287241C1838ED98914E9B7FF1__test_app.sym"
#define KERNEL32_SYM \
    "google__breakpad/src__processor__testdata__symbols__kernel32.pdb__BCE8785C57B44245A669896B6A19B9542__kernel32.sym"
#define FIREFOX_DIR "mozilla-services__minidump-stackwalk"
#define FIREFOX_X86 FIREFOX_DIR "/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp"

/* ---- the program evaluator ------------------------------------------- */

/* Memory for programs: 64 words from address 0x1000. */
typedef struct fake_mem {
    uint32_t base;
    uint32_t words[64];
} fake_mem;

static bool fake_read(void *ctx, uint32_t addr, uint32_t *v)
{
    fake_mem *m = ctx;
    if (addr < m->base || addr - m->base >= sizeof m->words || (addr - m->base) % 4)
        return false;
    *v = m->words[(addr - m->base) / 4];
    return true;
}

static uint32_t var(const x86_prog_env *e, const char *name)
{
    uint32_t v = 0xDEADBEEF;
    CHECK(x86_prog_get(e, name, &v));
    return v;
}

static bool run_str(x86_prog_env *e, const char *p)
{
    return x86_prog_run(e, p, strlen(p));
}

static void test_program(void)
{
    fake_mem mem = { .base = 0x1000 };
    mem.words[4] = 0x2000;     /* [0x1010] saved ebp */
    mem.words[5] = 0x401234;   /* [0x1014] return address */
    x86_prog_env e;

    /* The standard FrameData program (rust-minidump's walk-through). */
    x86_prog_init(&e, fake_read, &mem);
    x86_prog_set(&e, "$ebp", 0x1010);
    x86_prog_set(&e, "$esp", 0x0F00);
    CHECK(run_str(&e, "$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + ="));
    CHECK_EQ_U(var(&e, "$T0"), 0x1010);
    CHECK_EQ_U(var(&e, "$eip"), 0x401234);
    CHECK_EQ_U(var(&e, "$ebp"), 0x2000);
    CHECK_EQ_U(var(&e, "$esp"), 0x1018);
    CHECK(x86_prog_assigned(&e, "$eip") && x86_prog_assigned(&e, "$esp") && x86_prog_assigned(&e, "$ebp"));
    CHECK(!x86_prog_assigned(&e, "$ebx"));

    /* "=" glued to the next token, as MSVC 2010 /LTCG wrote it. */
    x86_prog_init(&e, fake_read, &mem);
    x86_prog_set(&e, "$ebp", 0x1010);
    CHECK(run_str(&e, "$T0 $ebp 0 + =$eip $T0 4 + ^ =$ebp $T0 ^ ="));
    CHECK_EQ_U(var(&e, "$eip"), 0x401234);
    CHECK_EQ_U(var(&e, "$ebp"), 0x2000);

    /* Preset values are not "assigned"; constants can be read. */
    x86_prog_init(&e, fake_read, &mem);
    x86_prog_set(&e, ".cbLocals", 12);
    x86_prog_set(&e, "$esp", 100);
    CHECK(run_str(&e, "$x $esp .cbLocals + = $y 7 -3 + = $z 0 1 - = $w 1001 16 @ = $q 17 5 % = $r 17 5 / = $s 6 7 * ="));
    CHECK_EQ_U(var(&e, "$x"), 112);
    CHECK_EQ_U(var(&e, "$y"), 4);
    CHECK_EQ_U(var(&e, "$z"), 0xFFFFFFFF);
    CHECK_EQ_U(var(&e, "$w"), 992);
    CHECK_EQ_U(var(&e, "$q"), 2);
    CHECK_EQ_U(var(&e, "$r"), 3);
    CHECK_EQ_U(var(&e, "$s"), 42);
    CHECK(!x86_prog_assigned(&e, "$esp"));

    /* Names are looked up when consumed: $a is assigned before "+" reads it. */
    x86_prog_init(&e, fake_read, &mem);
    CHECK(run_str(&e, "$b $a 5 = $a 1 + ="));
    CHECK_EQ_U(var(&e, "$b"), 6);

    /* Expressions for STACK CFI rules. */
    x86_prog_init(&e, fake_read, &mem);
    x86_prog_set(&e, ".cfa", 0x1018);
    uint32_t v = 0;
    CHECK(x86_prog_eval(&e, ".cfa 4 - ^", 10, &v) && v == 0x401234);
    CHECK(x86_prog_eval(&e, ".cfa", 4, &v) && v == 0x1018);
    CHECK(!x86_prog_eval(&e, ".cfa 4", 6, &v));  /* two values left */
    CHECK(!x86_prog_eval(&e, "", 0, &v));        /* none */
    /* The length bounds the text: only ".cfa" is seen here. */
    CHECK(x86_prog_eval(&e, ".cfa 4 - ^", 4, &v) && v == 0x1018);

    /* Failures. */
    static const char *bad[] = {
        "$eip $undefined =",     /* unknown name */
        "$eip 4 0 / =",          /* division by zero */
        "$eip 4 0 % =",
        "$eip 8 ^ =",            /* unreadable memory */
        "$eip 4 5",              /* values left over */
        ".cbLocals 4 =",         /* constants are not variables */
        "5 4 =",                 /* nor are literals */
        "$eip =",                /* too few operands */
        "+",
        "^",
        "$T0 0x10 =",            /* hex is a name, and undefined */
        "$T0 99999999999 =",     /* past 32 bits: a name too */
        "$aVeryLongNameThatDoesNotFitInTheTable 1 =",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x86_prog_init(&e, fake_read, &mem);
        x86_prog_set(&e, ".cbLocals", 12);
        if (run_str(&e, bad[i])) {
            fprintf(stderr, "program should fail: %s\n", bad[i]);
            CHECK(0);
        }
    }
    /* Without memory, ^ fails rather than crashing. */
    x86_prog_init(&e, NULL, NULL);
    CHECK(!run_str(&e, "$eip 4096 ^ ="));
    /* Assignments before a failure remain (Breakpad's dictionary does too). */
    x86_prog_init(&e, fake_read, &mem);
    CHECK(!run_str(&e, "$eip 7 = $esp $nothing ="));
    CHECK(x86_prog_assigned(&e, "$eip") && var(&e, "$eip") == 7);

    /* Bounds: the value stack, the variable table and the text length. */
    char deep[1024] = "";
    for (int i = 0; i < X86_PROG_MAX_STACK + 1; i++)
        strcat(deep, "1 ");
    x86_prog_init(&e, fake_read, &mem);
    CHECK(!run_str(&e, deep));
    char many[2048] = "";
    for (int i = 0; i < X86_PROG_MAX_VARS + 2; i++) {
        char t[32];
        snprintf(t, sizeof t, "$v%d %d = ", i, i);
        strcat(many, t);
    }
    x86_prog_init(&e, fake_read, &mem);
    CHECK(!run_str(&e, many));
    char *huge = malloc(X86_PROG_MAX_LEN + 16);
    memset(huge, ' ', X86_PROG_MAX_LEN + 15);
    memcpy(huge, "$x 1 =", 6);
    huge[X86_PROG_MAX_LEN + 15] = '\0';
    x86_prog_init(&e, fake_read, &mem);
    CHECK(!run_str(&e, huge));
    free(huge);

    /* Random token soup: must end either way without crashing (ASan). */
    static const char *toks[] = { "$eip", "$esp", "$ebp", "$T0", ".cbLocals", "=", "+", "-", "*", "/", "%",
                                  "@", "^", "4", "-8", "0", "4096", "=$eip", "==", "$", ".", "x", "\t" };
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; round++) {
        char p[512] = "";
        int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 40;
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            strcat(p, toks[(seed >> 16) % (sizeof toks / sizeof toks[0])]);
            strcat(p, (seed >> 8) & 1 ? " " : "  ");
        }
        x86_prog_init(&e, fake_read, &mem);
        x86_prog_set(&e, "$ebp", 0x1010);
        x86_prog_set(&e, "$esp", 0x1000);
        x86_prog_set(&e, ".cbLocals", 4);
        (void)run_str(&e, p);
        (void)x86_prog_eval(&e, p, strlen(p), &v);
    }
}

/* ---- a synthetic dump ------------------------------------------------- */

#define MOD_BASE 0x10000000u
#define CODE_RVA 0x1000u
#define STACK_LO 0x00200000u
#define STACK_SIZE 0x1000u
#define S (STACK_LO + 0x100u) /* scenario A's esp */

/* Return addresses: each has a call rel32 (E8) in the 5 bytes before it. */
#define R_F1 (MOD_BASE + 0x1110u) /* into f1 */
#define R_F2 (MOD_BASE + 0x1210u) /* into f2 */
#define R_F3A (MOD_BASE + 0x1310u)
#define R_F3B (MOD_BASE + 0x1320u)
#define R_F3C (MOD_BASE + 0x1330u)
#define F5_AFTER_CALL (MOD_BASE + 0x1510u)
#define R_F9 (MOD_BASE + 0x1910u) /* 268441872 */
#define NOT_AFTER_CALL (MOD_BASE + 0x1234u)

/* Functions, 0x100 bytes each from rva 0x1000:
 *   f0 FrameData program, 8 bytes of parameters
 *   f1 FPO that keeps the caller's ebp in its saved registers
 *   f2 STACK CFI: ebp frame, ebx saved at cfa-12
 *   f3 nothing (ebp chain, then scanning)
 *   f4 FPO that leaves ebp alone
 *   f5 FPO, all sizes 0 (the context-frame special case)
 *   f6 a program that aligns the stack ('@')
 *   f7 a program whose return address is not code (then scanned)
 *   f8 a program that cannot be evaluated
 *   f9 a program that returns into f9 without moving esp */
static const char synth_sym[] =
    "MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 app.pdb\n"
    "FUNC 1000 100 8 f0\n"
    "FUNC 1100 100 4 f1\n"
    "FUNC 1200 100 0 f2\n"
    "STACK WIN 4 1000 100 0 0 8 0 0 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n"
    "STACK WIN 0 1100 100 0 0 4 c 10 0 0 1\n"
    "STACK CFI INIT 1200 100 .cfa: $esp 4 + .ra: .cfa 4 - ^\n"
    "STACK CFI 1201 .cfa: $esp 8 + $ebp: .cfa 8 - ^\n"
    "STACK CFI 1203 .cfa: $ebp 8 + $ebx: .cfa 12 - ^\n"
    "STACK CFI 1280 .cfa: $esp 4 +\n"
    "STACK WIN 0 1400 100 0 0 4 0 8 0 0 0\n"
    "STACK WIN 0 1500 100 0 0 0 0 0 0 0 0\n"
    "STACK WIN 4 1600 100 0 0 0 0 0 0 1 $T1 $esp 16 @ = $eip .raSearchStart ^ = $esp .raSearchStart 4 + =\n"
    "STACK WIN 4 1700 100 0 0 0 0 0 0 1 $eip .raSearchStart ^ = $esp .raSearchStart 4 + =\n"
    "STACK WIN 4 1800 100 0 0 0 0 0 0 1 $eip $nowhere ^ = $esp 4 =\n"
    "STACK WIN 4 1900 100 0 0 0 0 0 0 1 $eip 268441872 = $esp $esp =\n";

static void put32(uint8_t *stack, uint32_t addr, uint32_t v)
{
    synth_w32(stack + (addr - STACK_LO), v);
}

static uint8_t *build_synth(size_t *len)
{
    synth s;
    synth_begin(&s, 3);
    uint8_t si[56] = { 0 }; /* SystemInfo: x86 */
    synth_w16(si, MD_ARCH_X86);
    uint32_t si_rva = synth_put(&s, si, sizeof si);
    synth_stream(&s, 7, si_rva, sizeof si);

    uint32_t name = synth_string(&s, "C:\\app.exe");
    uint8_t ml[4 + 108] = { 0 };
    synth_w32(ml, 1);
    synth_w32(ml + 4, MOD_BASE);
    synth_w32(ml + 4 + 8, 0x10000);
    synth_w32(ml + 4 + 20, name);
    uint32_t ml_rva = synth_put(&s, ml, sizeof ml);
    synth_stream(&s, 4, ml_rva, sizeof ml);

    /* Code: nops, with a call before each return address. The headers are
     * not captured, so any address in the module counts as code. */
    uint8_t code[0x1000];
    memset(code, 0x90, sizeof code);
    static const uint32_t rets[] = { R_F1, R_F2, R_F3A, R_F3B, R_F3C, F5_AFTER_CALL, R_F9 };
    for (size_t i = 0; i < sizeof rets / sizeof rets[0]; i++)
        code[rets[i] - MOD_BASE - CODE_RVA - 5] = 0xE8;

    uint8_t *stack = calloc(1, STACK_SIZE);
    /* Scenario A (esp S): f0 -> f1 -> f2 -> f3 -> f3 -> f3. */
    put32(stack, S + 0x10, S + 0x500); /* f0's saved ebp: f1's own use of ebp */
    put32(stack, S + 0x14, R_F1);
    put32(stack, S + 0x1c, S + 0x600); /* f1's arguments to f0 */
    put32(stack, S + 0x24, S + 0x80);  /* f1's saved registers: esi, ebp, ebx */
    put32(stack, S + 0x34, R_F3C);     /* a stale return address in f1's locals */
    put32(stack, S + 0x3c, R_F2);
    put32(stack, S + 0x7c, 0xB0B0B0B0); /* f2's saved ebx */
    put32(stack, S + 0x80, S + 0xc0);
    put32(stack, S + 0x84, R_F3A);
    put32(stack, S + 0xc0, 0);          /* end of the ebp chain */
    put32(stack, S + 0xc4, R_F3B);
    put32(stack, S + 0xc8, 0x22222222); /* not code */
    put32(stack, S + 0xcc, NOT_AFTER_CALL);
    put32(stack, S + 0xd0, R_F3C);
    /* Scenario B (esp S+0x200): f4 -> f3. */
    put32(stack, S + 0x208, R_F3A);
    /* Scenario C (esp S+0x300): f5 whose callee returned. */
    put32(stack, S + 0x300, F5_AFTER_CALL);
    put32(stack, S + 0x304, R_F3A);
    /* Scenario D (esp S+0x400, ebp S+0x420): f6. */
    put32(stack, S + 0x400, R_F1);
    put32(stack, S + 0x424, R_F3A);
    /* Scenario E (esp S+0x600): f7. */
    put32(stack, S + 0x600, 0x33333333);
    put32(stack, S + 0x608, S + 0x700);
    put32(stack, S + 0x618, R_F3B);
    /* Scenario F (esp S+0x800): f8. */
    put32(stack, S + 0x804, R_F3C);
    /* An ebp chain into the first page (S+0x940). */
    put32(stack, S + 0x940, S + 0x980);
    put32(stack, S + 0x944, 0x10);

    uint32_t code_rva = synth_put(&s, code, sizeof code);
    uint32_t stack_rva = synth_put(&s, stack, STACK_SIZE);
    free(stack);
    uint8_t mlist[4 + 2 * 16] = { 0 };
    synth_w32(mlist, 2);
    synth_w64(mlist + 4, MOD_BASE + CODE_RVA);
    synth_w32(mlist + 4 + 8, sizeof code);
    synth_w32(mlist + 4 + 12, code_rva);
    synth_w64(mlist + 20, STACK_LO);
    synth_w32(mlist + 20 + 8, STACK_SIZE);
    synth_w32(mlist + 20 + 12, stack_rva);
    uint32_t mrva = synth_put(&s, mlist, sizeof mlist);
    synth_stream(&s, 5, mrva, sizeof mlist);
    *len = s.len;
    return s.buf;
}

static int load_synth_sym(void *ctx, sym_resolver *r, size_t i, sym_source *out, cor_err *err)
{
    (void)ctx;
    (void)r;
    if (i != 0) {
        memset(out, 0, sizeof *out);
        return COR_OK;
    }
    return breakpad_open_mem(synth_sym, sizeof synth_sym - 1, out, err);
}

static md_context x86_ctx(uint32_t eip, uint32_t esp, uint32_t ebp, uint32_t ebx)
{
    md_context c;
    memset(&c, 0, sizeof c);
    c.arch = MD_ARCH_X86;
    c.ip = eip;
    c.sp = c.gpr[REG_RSP] = esp;
    c.fp = c.gpr[REG_RBP] = ebp;
    c.gpr[REG_RBX] = ebx;
    c.gpr[REG_RSI] = 0x5151;
    c.gpr[REG_RDI] = 0xD1D1;
    return c;
}

#define VALID(r) (1u << (r))

static void expect_frame(const uw_stack *st, size_t i, uint32_t eip, uint32_t esp, uint32_t ebp, uint32_t valid,
                         uw_trust trust)
{
    if (i >= st->count) {
        fprintf(stderr, "frame %zu missing (%zu frames)\n", i, st->count);
        CHECK(0);
        return;
    }
    const uw_frame *f = &st->frames[i];
    CHECK_EQ_U(f->regs.ip, eip);
    CHECK_EQ_U(f->regs.sp, esp);
    CHECK_EQ_U(f->regs.gpr[REG_RSP], esp);
    if (valid & VALID(REG_RBP))
        CHECK_EQ_U(f->regs.gpr[REG_RBP], ebp);
    CHECK_EQ_U(f->valid, valid);
    CHECK_STR(uw_trust_name(f->trust), uw_trust_name(trust));
}

static void walk_ctx(uw_walker *w, md_context c, uw_stack *st)
{
    cor_err err;
    CHECK(uw_walk(w, &c, STACK_LO, STACK_LO + STACK_SIZE, 0, st, &err) == COR_OK);
}

static void test_synthetic(void)
{
    size_t len;
    uint8_t *buf = build_synth(&len);
    md_dump *d = NULL;
    as_space *as = NULL;
    sym_resolver *r = NULL;
    uw_walker *w = NULL;
    cor_err err;
    if (md_open_mem(buf, len, &d, &err) != COR_OK || as_open(d, &as, &err) != COR_OK ||
        sym_resolver_new(d, as, &r, &err) != COR_OK ||
        sym_resolver_add_loader(r, load_synth_sym, NULL, NULL, &err) != COR_OK ||
        uw_walker_new(d, as, MD_ARCH_X86, r, &w, &err) != COR_OK) {
        fprintf(stderr, "synthetic dump: %s\n", err.msg);
        CHECK(0);
        goto out;
    }
    const uint32_t ESP_EBP = VALID(REG_RSP) | VALID(REG_RBP);
    uw_stack st;

    /* A: FrameData program, FPO with ebp saved (using f0's 8 bytes of
     * parameters to find its frame), STACK CFI, the ebp chain, a scan. */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1010, S, S + 0x10, 0xB1), &st);
    CHECK_EQ_U(st.count, 6);
    expect_frame(&st, 0, MOD_BASE + 0x1010, S, S + 0x10, 0xFF, UW_TRUST_CONTEXT);
    expect_frame(&st, 1, R_F1, S + 0x18, S + 0x500, ESP_EBP, UW_TRUST_CFI);
    expect_frame(&st, 2, R_F2, S + 0x40, S + 0x80, ESP_EBP, UW_TRUST_CFI);
    /* CFI: ebx from its rule; esi/edi unknown in the callee stay unknown. */
    expect_frame(&st, 3, R_F3A, S + 0x88, S + 0xc0, ESP_EBP | VALID(REG_RBX), UW_TRUST_CFI);
    if (st.count > 3)
        CHECK_EQ_U(st.frames[3].regs.gpr[REG_RBX], 0xB0B0B0B0);
    expect_frame(&st, 4, R_F3B, S + 0xc8, 0, ESP_EBP, UW_TRUST_FRAME_POINTER);
    /* The scan skips a non-code word and code not after a call; the word
     * below the hit is not a plausible saved ebp, so ebp carries over. */
    expect_frame(&st, 5, R_F3C, S + 0xd4, 0, ESP_EBP, UW_TRUST_SCAN);
    CHECK(st.stop_reason[0] != '\0');
    uw_stack_free(&st);

    /* B: FPO without a frame pointer: ebp and ebx pass through. */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1410, S + 0x200, S + 0x900, 0xABCD), &st);
    expect_frame(&st, 1, R_F3A, S + 0x20c, S + 0x900, ESP_EBP | VALID(REG_RBX), UW_TRUST_CFI);
    if (st.count > 1)
        CHECK_EQ_U(st.frames[1].regs.gpr[REG_RBX], 0xABCD);
    /* [S+0x900] and [S+0x904] are 0: the chain ends cleanly. */
    CHECK_EQ_U(st.count, 2);
    CHECK_STR(st.stop_reason, "");
    uw_stack_free(&st);

    /* C: the context frame's top word is the return address of a callee
     * that already returned (eip is right after its call): skipped. */
    walk_ctx(w, x86_ctx(F5_AFTER_CALL, S + 0x300, 0, 0), &st);
    expect_frame(&st, 1, R_F3A, S + 0x308, 0, ESP_EBP | VALID(REG_RBX), UW_TRUST_CFI);
    uw_stack_free(&st);

    /* D: '@' in the program: .raSearchStart is ebp + 4, not esp-based
     * (where a stale return address waits to mislead). */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1610, S + 0x400, S + 0x420, 0), &st);
    expect_frame(&st, 1, R_F3A, S + 0x428, S + 0x420, ESP_EBP, UW_TRUST_CFI);
    uw_stack_free(&st);

    /* E: the program's return address is in no module: scan on from
     * .raSearchStart + 4, then look for ebp in the frame. */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1710, S + 0x600, 0, 0), &st);
    expect_frame(&st, 1, R_F3B, S + 0x61c, S + 0x700, ESP_EBP, UW_TRUST_CFI_SCAN);
    uw_stack_free(&st);

    /* F: a program that cannot run: plain scan from esp. */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1810, S + 0x800, S + 0x900, 0), &st);
    expect_frame(&st, 1, R_F3C, S + 0x808, S + 0x900, ESP_EBP, UW_TRUST_SCAN);
    uw_stack_free(&st);

    /* A return address in the first page ends the walk cleanly. */
    walk_ctx(w, x86_ctx(0x800, S + 0x900, S + 0x940, 0), &st);
    CHECK_EQ_U(st.count, 1);
    CHECK_STR(st.stop_reason, "");
    uw_stack_free(&st);

    /* esp may stay put on the first unwind only (a frame that has not
     * pushed anything yet); after that the walk would not progress. */
    walk_ctx(w, x86_ctx(MOD_BASE + 0x1920, S + 0x900, S + 0x940, 0), &st);
    CHECK_EQ_U(st.count, 2);
    expect_frame(&st, 1, R_F9, S + 0x900, S + 0x940, ESP_EBP, UW_TRUST_CFI);
    CHECK(strstr(st.stop_reason, "not above") != NULL);
    uw_stack_free(&st);

out:
    uw_walker_free(w);
    sym_resolver_free(r);
    as_close(as);
    md_close(d);
    free(buf);
}

/* ---- expected outputs ------------------------------------------------- */

enum { X_EIP, X_ESP, X_EBP, X_EBX, X_ESI, X_EDI, X_EAX, X_ECX, X_EDX, X_NREGS };
static const char *const xreg_name[X_NREGS] = { "eip", "esp", "ebp", "ebx", "esi", "edi", "eax", "ecx", "edx" };
static const int xreg_gpr[X_NREGS] = { -1, REG_RSP, REG_RBP, REG_RBX, REG_RSI, REG_RDI, REG_RAX, REG_RCX, REG_RDX };

typedef struct exp_frame {
    uint64_t v[X_NREGS];
    bool has[X_NREGS];
    char found_by[96];
} exp_frame;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    if (b)
        b[n] = '\0';
    fclose(f);
    return b;
}

/* The frames of the thread section starting "Thread 0 " in Breakpad's or
 * rust-minidump's human output: a frame line (" 1  module..."), register
 * lines ("eip = 0x00404200   esp = ..."), a "Found by:" line; a blank
 * line ends the thread. */
static size_t parse_expected(const char *text, exp_frame *out, size_t max)
{
    const char *p = strstr(text, "\nThread 0 ");
    if (!p)
        return 0;
    p = strchr(p + 1, '\n');
    size_t n = 0;
    while (p && p[1] && p[1] != '\n') {
        p++;
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)len, p);
        p = eol;
        char *q = line + strspn(line, " ");
        size_t digits = strspn(q, "0123456789");
        if (digits > 0 && strncmp(q + digits, "  ", 2) == 0) {
            if (n == max)
                break;
            memset(&out[n++], 0, sizeof out[0]);
            continue;
        }
        if (n == 0)
            continue;
        exp_frame *f = &out[n - 1];
        char *fb = strstr(line, "Found by: ");
        if (fb) {
            snprintf(f->found_by, sizeof f->found_by, "%s", fb + 10);
            continue;
        }
        char *save = NULL, *tok[64];
        size_t nt = 0;
        for (char *t = strtok_r(line, " ", &save); t && nt < 64; t = strtok_r(NULL, " ", &save))
            tok[nt++] = t;
        for (size_t k = 0; k + 2 < nt; k++) {
            if (strcmp(tok[k + 1], "=") != 0 || strncmp(tok[k + 2], "0x", 2) != 0)
                continue;
            for (int r = 0; r < X_NREGS; r++)
                if (strcmp(tok[k], xreg_name[r]) == 0) {
                    f->v[r] = strtoull(tok[k + 2], NULL, 16);
                    f->has[r] = true;
                }
        }
    }
    return n;
}

/* Frame for frame: the same registers known, with the same values, found
 * the same way. */
static void check_against(const uw_stack *st, const exp_frame *ex, size_t nex, const char *what)
{
    if (st->count != nex) {
        fprintf(stderr, "%s: %zu frames, expected %zu\n", what, st->count, nex);
        CHECK(0);
    }
    for (size_t i = 0; i < st->count && i < nex; i++) {
        const uw_frame *f = &st->frames[i];
        for (int r = 0; r < X_NREGS; r++) {
            int g = xreg_gpr[r];
            bool ours = g < 0 || (f->valid & (1u << g));
            uint64_t val = g < 0 ? f->regs.ip : f->regs.gpr[g];
            if (ours != ex[i].has[r] || (ours && val != ex[i].v[r])) {
                fprintf(stderr, "%s frame %zu %s: ours %s0x%08llx, expected %s0x%08llx\n", what, i, xreg_name[r],
                        ours ? "" : "(unknown) ", (unsigned long long)val, ex[i].has[r] ? "" : "(absent) ",
                        (unsigned long long)ex[i].v[r]);
                CHECK(0);
            }
        }
        CHECK_STR(uw_trust_description(f->trust), ex[i].found_by);
    }
}

/* Walks thread i from the context Breakpad would: the exception's for the
 * crashed thread, else the thread's own. */
static int walk_thread(cor_target *t, uw_walker *w, size_t i, bool exception_ctx, uw_stack *st, cor_err *err)
{
    md_context c;
    const md_exception *x = md_get_exception(t->dump);
    if (exception_ctx && x) {
        if (md_context_read(t->dump, x->context, t->arch, &c, err) != COR_OK)
            return COR_FAIL;
    } else if (target_thread_context(t, i, &c, err) != COR_OK) {
        return COR_FAIL;
    }
    uint64_t lo, hi;
    uw_thread_stack_bounds(t->dump, t->as, i, &lo, &hi);
    return uw_walk(w, &c, lo, hi, 0, st, err);
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    bool ok = in && out;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = false;
    return ok;
}

/* dir/<pdb>/<id>/<sym> from a corpus file, in Breakpad's layout. */
static bool place_sym(const char *dir, const char *pdb, const char *id, const char *sym, const char *src)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, pdb);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/%s/%s", dir, pdb, id);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/%s/%s/%s", dir, pdb, id, sym);
    return copy_file(src, p);
}

static void remove_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void test_minidump2(void)
{
    char *bp_out = slurp(corpus_path(MINIDUMP2_OUT));
    char *snap = slurp(corpus_path(RUST_SNAP));
    CHECK(bp_out && snap);
    exp_frame bp_ex[16], rust_ex[16];
    size_t n_bp = bp_out ? parse_expected(bp_out, bp_ex, 16) : 0;
    size_t n_rust = snap ? parse_expected(snap, rust_ex, 16) : 0;
    /* What the files say, checked so a parser slip cannot pass silently. */
    CHECK_EQ_U(n_bp, 4);
    CHECK_EQ_U(n_rust, 4);
    if (n_bp == 4) {
        CHECK_STR(bp_ex[0].found_by, "given as instruction pointer in context");
        for (int i = 1; i < 4; i++)
            CHECK_STR(bp_ex[i].found_by, "call frame info");
        CHECK_EQ_U(bp_ex[1].v[X_EIP], 0x404200);
        CHECK(!bp_ex[1].has[X_EBX] && bp_ex[0].has[X_EDX]);
    }
    if (n_rust == 4)
        for (int i = 1; i < 4; i++)
            CHECK_STR(rust_ex[i].found_by, "previous frame's frame pointer");

    char dir[] = "/tmp/cor-uw86-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    CHECK(place_sym(dir, "test_app.pdb", "5A9832E5287241C1838ED98914E9B7FF1", "test_app.sym",
                    corpus_path(TEST_APP_SYM)));
    CHECK(place_sym(dir, "kernel32.pdb", "BCE8785C57B44245A669896B6A19B9542", "kernel32.sym",
                    corpus_path(KERNEL32_SYM)));

    cor_target *t = NULL;
    cor_err err;
    if (target_open(corpus_path(MINIDUMP2), &t, &err) != COR_OK) {
        fprintf(stderr, "%s: %s\n", MINIDUMP2, err.msg);
        CHECK(0);
        goto out;
    }
    const md_exception *x = md_get_exception(t->dump);
    CHECK(x && target_thread_index(t, x->tid) == 0);
    uw_walker *w = NULL;
    uw_stack st;

    /* Without symbols: the ebp chain, as rust-minidump walks it. */
    CHECK(target_set_symbol_path(t, NULL, &err) == COR_OK);
    CHECK(uw_walker_new(t->dump, t->as, t->arch, t->syms, &w, &err) == COR_OK);
    if (w && walk_thread(t, w, 0, true, &st, &err) == COR_OK) {
        check_against(&st, rust_ex, n_rust, "minidump2 without symbols");
        uw_stack_free(&st);
    } else {
        CHECK(0);
    }
    uw_walker_free(w);
    w = NULL;

    /* With the Breakpad symbols: STACK WIN programs, as Breakpad walks it. */
    CHECK(target_set_symbol_path(t, dir, &err) == COR_OK);
    CHECK(uw_walker_new(t->dump, t->as, t->arch, t->syms, &w, &err) == COR_OK);
    if (w && walk_thread(t, w, 0, true, &st, &err) == COR_OK) {
        check_against(&st, bp_ex, n_bp, "minidump2 with symbols");
        uw_stack_free(&st);
    } else {
        CHECK(0);
    }
    uw_walker_free(w);
    target_close(t);
out:
    remove_tree(dir);
    free(bp_out);
    free(snap);
}

/* ---- every x86 dump in the corpus ------------------------------------- */

typedef struct sweep_stats {
    size_t dumps, threads, frames;
    size_t by_trust[UW_TRUST_CONTEXT + 1];
} sweep_stats;

static void check_stack_shape(const uw_stack *st, const char *what, size_t thread)
{
    CHECK(st->count >= 1);
    for (size_t k = 1; k < st->count; k++) {
        const uw_frame *a = &st->frames[k - 1], *b = &st->frames[k];
        /* Only the first unwind may leave esp where it was. */
        bool ok = k == 1 ? b->regs.sp >= a->regs.sp : b->regs.sp > a->regs.sp;
        if (!ok || b->regs.ip == 0 || b->regs.ip > 0xFFFFFFFFu || b->regs.sp > 0xFFFFFFFFu) {
            fprintf(stderr, "%s thread %zu frame %zu: eip 0x%llx esp 0x%llx after esp 0x%llx\n", what, thread, k,
                    (unsigned long long)b->regs.ip, (unsigned long long)b->regs.sp,
                    (unsigned long long)a->regs.sp);
            CHECK(0);
        }
    }
}

static void sweep_target(cor_target *t, const char *what, sweep_stats *ss)
{
    uw_walker *w = NULL;
    cor_err err;
    if (uw_walker_new(t->dump, t->as, t->arch, t->syms, &w, &err) != COR_OK) {
        fprintf(stderr, "%s: %s\n", what, err.msg);
        CHECK(0);
        return;
    }
    ss->dumps++;
    const md_exception *x = md_get_exception(t->dump);
    size_t crashed = x ? target_thread_index(t, x->tid) : (size_t)-1;
    for (size_t i = 0; i < md_thread_count(t->dump); i++) {
        for (int pass = 0; pass < (i == crashed ? 2 : 1); pass++) {
            uw_stack st;
            if (walk_thread(t, w, i, pass == 1, &st, &err) != COR_OK) {
                /* A thread without a readable context is the dump's
                 * problem, not the walker's. */
                continue;
            }
            ss->threads++;
            ss->frames += st.count;
            for (size_t k = 0; k < st.count; k++)
                ss->by_trust[st.frames[k].trust]++;
            check_stack_shape(&st, what, i);
            uw_stack_free(&st);
        }
    }
    uw_walker_free(w);
}

static void print_stats(const char *what, const sweep_stats *ss)
{
    fprintf(stderr, "%s: %zu dumps, %zu thread walks, %zu frames (context %zu, cfi %zu, fp %zu, cfi_scan %zu, scan %zu)\n",
            what, ss->dumps, ss->threads, ss->frames, ss->by_trust[UW_TRUST_CONTEXT], ss->by_trust[UW_TRUST_CFI],
            ss->by_trust[UW_TRUST_FRAME_POINTER], ss->by_trust[UW_TRUST_CFI_SCAN], ss->by_trust[UW_TRUST_SCAN]);
}

static void test_corpus_sweep(void)
{
    const char *root = getenv("COR_CORPUS");
    if (!root)
        root = "../shared/corpus";
    DIR *top = opendir(root);
    CHECK(top != NULL);
    if (!top)
        return;
    sweep_stats ss = { 0 };
    struct dirent *de;
    while ((de = readdir(top))) {
        if (de->d_name[0] == '.')
            continue;
        char sub[2048];
        snprintf(sub, sizeof sub, "%s/%s", root, de->d_name);
        DIR *d = opendir(sub);
        if (!d)
            continue;
        struct dirent *fe;
        while ((fe = readdir(d))) {
            size_t n = strlen(fe->d_name);
            if (n < 4 || strcmp(fe->d_name + n - 4, ".dmp") != 0)
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", sub, fe->d_name);
            cor_target *t = NULL;
            cor_err err;
            if (target_open(path, &t, &err) != COR_OK)
                continue; /* the corpus holds deliberately broken dumps */
            if (t->arch == MD_ARCH_X86)
                sweep_target(t, fe->d_name, &ss);
            target_close(t);
        }
        closedir(d);
    }
    closedir(top);
    print_stats("x86 corpus without symbols", &ss);
    /* minidump2 (twice: Breakpad's and rust-minidump's copies), the
     * crashme set, thread_name_list, tiny-exe x86, Firefox x86... */
    CHECK(ss.dumps >= 15);
    CHECK(ss.by_trust[UW_TRUST_FRAME_POINTER] > 0 && ss.by_trust[UW_TRUST_SCAN] > 0);
}

/* The Firefox x86 dump with the Breakpad symbols mozilla ships for it:
 * STACK WIN and STACK CFI from real Windows and Firefox builds. */
static void test_firefox_with_symbols(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", corpus_path(FIREFOX_X86));
    if (access(path, R_OK) != 0 || system("command -v xz >/dev/null 2>&1") != 0) {
        fprintf(stderr, "skipping the Firefox x86 walk: no dump or no xz\n");
        return;
    }
    char dir[] = "/tmp/cor-uw86ff-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[2048];
    snprintf(sub, sizeof sub, "%s", corpus_path(FIREFOX_DIR));
    DIR *d = opendir(sub);
    size_t placed = 0;
    struct dirent *fe;
    static const char prefix[] = "pgo_data__symbols__";
    while (d && (fe = readdir(d))) {
        /* pgo_data__symbols__<pdb>__<id>__<sym>.xz */
        size_t n = strlen(fe->d_name);
        if (strncmp(fe->d_name, prefix, sizeof prefix - 1) != 0 || n < 4 || strcmp(fe->d_name + n - 3, ".xz"))
            continue;
        char name[512];
        snprintf(name, sizeof name, "%.*s", (int)(n - 3 - (sizeof prefix - 1)), fe->d_name + sizeof prefix - 1);
        char *a = strstr(name, "__"), *b = a ? strstr(a + 2, "__") : NULL;
        if (!a || !b)
            continue;
        *a = *b = '\0';
        char p[2048], cmd[8192];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        mkdir(p, 0700);
        snprintf(p, sizeof p, "%s/%s/%s", dir, name, a + 2);
        mkdir(p, 0700);
        snprintf(cmd, sizeof cmd, "xz -dc '%s/%s' > '%s/%s'", sub, fe->d_name, p, b + 2);
        if (system(cmd) == 0)
            placed++;
    }
    if (d)
        closedir(d);
    CHECK(placed >= 20);

    cor_target *t = NULL;
    cor_err err;
    if (target_open(path, &t, &err) == COR_OK && target_set_symbol_path(t, dir, &err) == COR_OK) {
        CHECK(t->arch == MD_ARCH_X86);
        sweep_stats ss = { 0 };
        sweep_target(t, "firefox x86", &ss);
        print_stats("firefox x86 with symbols", &ss);
        /* With symbols, unwind data finds most frames. */
        CHECK(ss.by_trust[UW_TRUST_CFI] > ss.by_trust[UW_TRUST_SCAN]);
    } else {
        fprintf(stderr, "firefox x86: %s\n", err.msg);
        CHECK(0);
    }
    target_close(t);
    remove_tree(dir);
}

int main(void)
{
    test_program();
    test_synthetic();
    test_minidump2();
    test_corpus_sweep();
    test_firefox_with_symbols();
    TEST_DONE();
}
