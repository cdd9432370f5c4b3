/* x86 unwinding, as Breakpad's StackwalkerX86 does it (the reference for
 * behaviour; rust-minidump's minidump-unwind x86.rs agrees on the frame
 * pointer and scanning parts). For each frame, in order:
 *
 *   1. Windows frame information (Breakpad STACK WIN, PDB FRAMEDATA or
 *      FPO_DATA), evaluated as a program: x86_win.c;
 *   2. Breakpad STACK CFI rules: x86_cfi.c;
 *   3. the ebp chain (eip = [ebp+4], esp = ebp+8, ebp = [ebp]), or when
 *      ebp does not point into the stack, a scan for a return address:
 *      here.
 *
 * The first method that produces a frame is taken; a frame is then only
 * refused when it ends the stack (Breakpad's TerminateWalk). */
#include <string.h>

#include "unwind/x86_internal.h"

/* Breakpad's kMaxReasonableGapBetweenFrames: after a scan, the word below
 * the return address is taken as the caller's saved ebp only if it points
 * at most this far up the stack (99.5% of frames in Breakpad's survey of
 * third-party libraries were smaller). */
#define MAX_FRAME_GAP (128u * 1024u)

/* Breakpad's TerminateWalk: a return address in the first page means the
 * walk reached the end of the stack (a thread's start routine returns to
 * nothing, or the chain ran into zeroes). */
#define MIN_RETURN_ADDRESS 4096u

uint64_t x86_frame_pc(const uw_frame *f)
{
    return f->trust == UW_TRUST_CONTEXT ? f->regs.ip : f->regs.ip - 1;
}

bool x86_stack_read(uw_walker *w, uint64_t addr, uint32_t *v)
{
    if (addr < w->stack_lo || addr >= w->stack_hi || w->stack_hi - addr < 4)
        return false;
    uint64_t x;
    if (!uw_read(w, addr, 4, &x))
        return false;
    *v = (uint32_t)x;
    return true;
}

bool x86_scan(uw_walker *w, uint64_t from, unsigned words, uint32_t *slot, uint32_t *ret)
{
    for (uint64_t k = 0, a = from; k <= words; k++, a += 4) {
        uint32_t v;
        if (!x86_stack_read(w, a, &v))
            return false;
        if (uw_seems_return_address(w, v)) {
            *slot = (uint32_t)a;
            *ret = v;
            return true;
        }
    }
    return false;
}

/* PDB frame data. FPO_DATA counts are in dwords, and DIA (hence dump_syms'
 * STACK WIN 0 lines) reports them in bytes, which is what the programs
 * expect. Only cbFrame FRAME_FPO records describe an FPO frame; the
 * others (trap, TSS, non-FPO) still give the parameter size. */
static bool pdb_win_info(pdb_file *p, uint32_t rva, x86_win_info *out)
{
    const pdb_framedata *fd = pdb_find_framedata(p, rva);
    if (fd) {
        out->full = true;
        out->param_size = fd->params_size;
        out->saved_regs_size = fd->saved_regs_size;
        out->locals_size = fd->locals_size;
        out->program = fd->program;
        return true;
    }
    const pdb_fpo *fpo = pdb_find_fpo(p, rva);
    if (!fpo)
        return false;
    out->param_size = (uint32_t)fpo->params_dwords * 4;
    if (fpo->frame_type != 0)
        return true;
    out->full = true;
    out->fpo = true;
    out->saved_regs_size = (uint32_t)fpo->saved_regs * 4;
    out->locals_size = fpo->locals_dwords * 4;
    out->allocates_base_pointer = fpo->uses_bp;
    return true;
}

/* Breakpad's BasicSourceLineResolver::FindWindowsFrameInfo: FrameData,
 * then FPO; failing both, a FUNC's parameter size alone. (A PUBLIC's
 * parameter size is not used: Breakpad computes it and then returns
 * nothing.) */
static bool bp_win_info(const bp_symbols *bp, uint32_t rva, x86_win_info *out)
{
    const bp_stack_win *sw = bp_find_stack_win(bp, rva);
    if (sw) {
        out->full = true;
        out->fpo = sw->type == BP_WIN_FPO;
        out->param_size = sw->param_size;
        out->saved_regs_size = sw->saved_regs_size;
        out->locals_size = sw->locals_size;
        out->allocates_base_pointer = !sw->has_program && sw->allocates_base_pointer;
        out->program = sw->has_program ? sw->program : NULL;
        return true;
    }
    const bp_func *f = bp_find_func(bp, rva);
    if (!f)
        return false;
    out->param_size = f->param_size;
    return true;
}

bool x86_find_win_info(uw_walker *w, const uw_frame *f, x86_win_info *out)
{
    memset(out, 0, sizeof *out);
    uint64_t pc = x86_frame_pc(f);
    size_t mi;
    const md_module *m = uw_module_at(w, pc, &mi);
    if (!m)
        return false;
    uint32_t rva = (uint32_t)(pc - m->base);
    pdb_file *pdb = uw_module_pdb(w, mi);
    if (pdb)
        return pdb_win_info(pdb, rva, out);
    const bp_symbols *bp = uw_module_breakpad(w, mi);
    if (bp)
        return bp_win_info(bp, rva, out);
    return false;
}

/* Breakpad's GetCallerByEBPAtBase: the standard prologue (push ebp;
 * mov ebp, esp) leaves the caller's ebp at [ebp] and the return address
 * above it. When ebp does not point into the stack, the function did not
 * keep a frame pointer: scan for a return address instead, and take the
 * word below it as the caller's ebp if it looks like a link in a chain. */
static bool caller_by_ebp(uw_walker *w, const uw_frame *callee, uw_frame *caller)
{
    bool have_ebp = callee->valid & (1u << REG_RBP);
    uint32_t ebp = (uint32_t)callee->regs.gpr[REG_RBP];
    uint32_t eip, caller_ebp;
    if (have_ebp && x86_stack_read(w, (uint64_t)ebp + 4, &eip) && x86_stack_read(w, ebp, &caller_ebp)) {
        caller->regs.ip = eip;
        uw_set_reg(caller, REG_RSP, (uint64_t)ebp + 8);
        uw_set_reg(caller, REG_RBP, caller_ebp);
        caller->trust = UW_TRUST_FRAME_POINTER;
        return true;
    }
    uint32_t slot;
    bool first = callee->trust == UW_TRUST_CONTEXT;
    if (!x86_scan(w, callee->regs.sp, first ? X86_SCAN_WORDS_CONTEXT : X86_SCAN_WORDS, &slot, &eip))
        return false;
    caller->regs.ip = eip;
    uw_set_reg(caller, REG_RSP, (uint64_t)slot + 4);
    uint64_t link = (uint64_t)slot - 4;
    if (slot >= 4 && x86_stack_read(w, link, &caller_ebp) && caller_ebp > link && caller_ebp - link <= MAX_FRAME_GAP)
        uw_set_reg(caller, REG_RBP, caller_ebp);
    else if (have_ebp)
        uw_set_reg(caller, REG_RBP, ebp); /* assume the callee left it alone */
    caller->trust = UW_TRUST_SCAN;
    return true;
}

/* Forgets what a method that failed half-way wrote. */
static void clear_frame(uw_frame *f)
{
    uint16_t arch = f->regs.arch;
    memset(f, 0, sizeof *f);
    f->regs.arch = arch;
}

bool x86_unwind_step(uw_walker *w, const uw_frame *frames, size_t n, uw_frame *caller)
{
    const uw_frame *callee = &frames[n - 1];
    x86_win_info info;
    bool found = false;
    /* A FUNC's parameter size alone is no way to unwind (Breakpad goes on
     * to CFI then), but it stays known for this frame's caller, which
     * x86_caller_by_win_info looks up again. */
    if (x86_find_win_info(w, callee, &info) && info.full)
        found = x86_caller_by_win_info(w, frames, n, &info, caller);
    if (!found) {
        clear_frame(caller);
        found = x86_caller_by_cfi(w, callee, caller);
    }
    if (!found) {
        clear_frame(caller);
        found = caller_by_ebp(w, callee, caller);
    }
    if (!found)
        return false;
    caller->regs.ip &= 0xFFFFFFFFu;
    if (caller->regs.ip < MIN_RETURN_ADDRESS)
        caller->regs.ip = 0; /* the walk driver's "returns to nothing" */
    return true;
}
