/* Unwinding an x86 frame with Windows frame information (STACK WIN /
 * FRAMEDATA / FPO_DATA), as Breakpad's
 * StackwalkerX86::GetCallerByWindowsFrameInfo does it.
 *
 * A FrameData record carries its own program. An FPO record gets one
 * written from its sizes. Either is run with the callee's $ebp, $esp (and
 * $ebx) and these constants:
 *   .cbCalleeParams  bytes of arguments the frame had pushed for its callee
 *   .cbSavedRegs, .cbLocals, .cbParams  from the record
 *   .raSearchStart (= .raSearch)  where the return address should be:
 *       esp + cbCalleeParams + cbLocals + cbSavedRegs, nudged up to three
 *       words by a scan (the frame may have aligned esp), or ebp + 4 when
 *       the program aligns esp itself ('@').
 * Then, because FPO data is often wrong (MSVC 2005 /LTCG wrote frames
 * with no saved registers), a result that is not in any module is
 * replaced by a scan ("call frame info with scanning"), and an ebp that
 * does not point into the stack is looked for in the saved-register area. */
#include <string.h>

#include "unwind/x86_internal.h"
#include "unwind/x86_program.h"

/* The programs an FPO record stands for, written from Breakpad's formulas.
 * A function that keeps ebp for its own use saved the caller's in the
 * saved-register area, 8 bytes below its top:
 *   eip = [raSearchStart], esp = raSearchStart + 4,
 *   ebp = [esp + cbCalleeParams + cbSavedRegs - 8]. */
static const char fpo_with_ebp[] = "$eip .raSearchStart ^ = "
                                   "$ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = "
                                   "$esp .raSearchStart 4 + =";
/* One that never touches ebp leaves the caller's in place; ebx passes
 * through too, which Breakpad found ntdll's forwarding stubs need. */
static const char fpo_without_ebp[] = "$eip .raSearchStart ^ = "
                                      "$esp .raSearchStart 4 + =";
static const char fpo_without_ebp_ebx[] = "$eip .raSearchStart ^ = "
                                          "$esp .raSearchStart 4 + = "
                                          "$ebx $ebx =";

static bool read_stack(void *ctx, uint32_t addr, uint32_t *v)
{
    return x86_stack_read(ctx, addr, v);
}

/* Arguments frames[n-1] had pushed for its callee frames[n-2]: the esp
 * each frame records is the one just before its CALL, so locating things
 * relative to it must skip them. Breakpad's current loop over callees
 * lacks a break and ends up with the innermost frame's size; the intent
 * (and Breakpad before inline frames, and rust-minidump's
 * grand_callee_parameter_size) is the immediate callee's, used here. */
static uint32_t callee_param_size(uw_walker *w, const uw_frame *frames, size_t n)
{
    x86_win_info ci;
    if (n < 2 || !x86_find_win_info(w, &frames[n - 2], &ci))
        return 0;
    return ci.param_size;
}

static uint32_t var_or_zero(const x86_prog_env *e, const char *name)
{
    uint32_t v = 0;
    x86_prog_get(e, name, &v);
    return v;
}

/* Looks for the caller's ebp from the top of the saved-register area
 * down (a prologue saves ebp first): the first word that points into the
 * stack. */
static void search_saved_ebp(uw_walker *w, x86_prog_env *env, uint32_t lowest, uint32_t bytes)
{
    for (uint64_t loc = (uint64_t)lowest + bytes; loc >= lowest; loc -= 4) {
        uint32_t cand, probe;
        if (!x86_stack_read(w, loc, &cand))
            return;
        if (x86_stack_read(w, cand, &probe)) {
            x86_prog_set(env, "$ebp", cand);
            return;
        }
        if (loc < 4)
            return;
    }
}

bool x86_caller_by_win_info(uw_walker *w, const uw_frame *frames, size_t n, const x86_win_info *info,
                            uw_frame *caller)
{
    const uw_frame *callee = &frames[n - 1];
    bool first = callee->trust == UW_TRUST_CONTEXT;
    unsigned scan_words = first ? X86_SCAN_WORDS_CONTEXT : X86_SCAN_WORDS;
    uint32_t esp = (uint32_t)callee->regs.sp;
    uint32_t ebp = (uint32_t)callee->regs.gpr[REG_RBP];
    bool have_ebp = callee->valid & (1u << REG_RBP);
    bool have_ebx = callee->valid & (1u << REG_RBX);
    uint32_t callee_params = callee_param_size(w, frames, n);

    x86_prog_env env;
    x86_prog_init(&env, read_stack, w);
    x86_prog_set(&env, "$esp", esp);
    if (have_ebp)
        x86_prog_set(&env, "$ebp", ebp);
    if (have_ebx)
        x86_prog_set(&env, "$ebx", (uint32_t)callee->regs.gpr[REG_RBX]);
    x86_prog_set(&env, ".cbCalleeParams", callee_params);
    x86_prog_set(&env, ".cbSavedRegs", info->saved_regs_size);
    x86_prog_set(&env, ".cbLocals", info->locals_size);
    x86_prog_set(&env, ".cbParams", info->param_size);

    /* Up to three words above the computed slot, in case esp was aligned
     * to a quadword. Breakpad's comment on this scan says it is guesswork
     * to be overridden by better information, which the '@' rule below
     * is. */
    uint32_t ra_start = esp + callee_params + info->locals_size + info->saved_regs_size;
    uint32_t slot, found;
    if (x86_scan(w, ra_start, 3, &slot, &found)) {
        /* The context frame of an FPO system-call stub: the callee has
         * returned, and the word at the top of the stack is still its
         * return address, which is where eip is now. The real return
         * address is further up. */
        bool stale = first && info->fpo && slot == ra_start && found == (uint32_t)callee->regs.ip;
        ra_start = slot;
        if (stale) {
            ra_start += 4;
            if (x86_scan(w, ra_start, 3, &slot, &found))
                ra_start = slot;
        }
    }

    const char *prog = info->program && info->program[0] ? info->program : NULL;
    bool recover_ebp = true;
    if (!prog) {
        if (info->allocates_base_pointer) {
            prog = fpo_with_ebp;
        } else {
            prog = have_ebx ? fpo_without_ebp_ebx : fpo_without_ebp;
            recover_ebp = false;
        }
    }
    /* A program that aligns the stack ('@') loses what esp-relative
     * arithmetic needs; ebp is then the only anchor, and the return
     * address sits just above the saved ebp. */
    if (have_ebp && strchr(prog, '@'))
        ra_start = ebp + 4;
    x86_prog_set(&env, ".raSearchStart", ra_start);
    x86_prog_set(&env, ".raSearch", ra_start);

    uw_trust trust = UW_TRUST_CFI;
    size_t len = strnlen(prog, X86_PROG_MAX_LEN + 1);
    if (!x86_prog_run(&env, prog, len) || !x86_prog_assigned(&env, "$eip") || !x86_prog_assigned(&env, "$esp")) {
        /* The program needed memory off the stack or a register we do not
         * have (a frame in code without symbols, say): scan. */
        if (!x86_scan(w, esp, scan_words, &slot, &found))
            return false;
        if (!x86_prog_set(&env, "$eip", found) || !x86_prog_set(&env, "$esp", slot + 4))
            return false; /* a program that filled the variable table */
        trust = UW_TRUST_SCAN;
    }

    /* A program that yields eip 0 and ebp 0 has reached the thread's
     * first frame; anything else is checked. */
    uint32_t eip = var_or_zero(&env, "$eip");
    if (eip != 0 || var_or_zero(&env, "$ebp") != 0) {
        uint32_t offset = 0;
        if (!uw_module_at(w, eip, NULL)) {
            uint32_t start = ra_start + 4;
            if (x86_scan(w, start, scan_words, &slot, &found)) {
                if (!x86_prog_set(&env, "$eip", found) || !x86_prog_set(&env, "$esp", slot + 4))
                    return false;
                offset = slot - start;
                trust = UW_TRUST_CFI_SCAN;
            }
        }
        if (recover_ebp) {
            /* A scan may have skipped frames; an ebp below the return
             * address found is then stale. */
            uint32_t new_ebp = var_or_zero(&env, "$ebp"), probe;
            bool skipped = trust != UW_TRUST_CFI && new_ebp <= ra_start + offset;
            if (skipped || !x86_stack_read(w, new_ebp, &probe))
                search_saved_ebp(w, &env, esp + callee_params, info->saved_regs_size + offset);
        }
    }

    uint32_t v;
    caller->regs.ip = var_or_zero(&env, "$eip");
    uw_set_reg(caller, REG_RSP, var_or_zero(&env, "$esp"));
    if (x86_prog_get(&env, "$ebp", &v))
        uw_set_reg(caller, REG_RBP, v);
    /* Callee-saved registers are known only where the program set them. */
    static const struct {
        const char *name;
        unsigned reg;
    } saved[] = { { "$ebx", REG_RBX }, { "$esi", REG_RSI }, { "$edi", REG_RDI } };
    for (size_t i = 0; i < sizeof saved / sizeof saved[0]; i++)
        if (x86_prog_assigned(&env, saved[i].name) && x86_prog_get(&env, saved[i].name, &v))
            uw_set_reg(caller, saved[i].reg, v);
    caller->trust = trust;
    return true;
}
