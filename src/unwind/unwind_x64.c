/* x64 unwinding, as RtlVirtualUnwind does it: the function's
 * RUNTIME_FUNCTION (from the image's .pdata or the dump's FunctionTable
 * stream) leads to UNWIND_INFO, whose codes undo the prologue in reverse.
 * Layouts and semantics: Microsoft's "x64 exception handling" (UNWIND_INFO,
 * UNWIND_CODE, chained info, epilog rules); cross-checked with Wine's and
 * ReactOS's RtlVirtualUnwind.
 *
 * Then the fallbacks rust-minidump uses: the RBP chain and stack scanning. */
#include <string.h>

#include "core/cursor.h"
#include "unwind/unwind_internal.h"

enum {
    UWOP_PUSH_NONVOL = 0,
    UWOP_ALLOC_LARGE = 1,
    UWOP_ALLOC_SMALL = 2,
    UWOP_SET_FPREG = 3,
    UWOP_SAVE_NONVOL = 4,
    UWOP_SAVE_NONVOL_FAR = 5,
    UWOP_EPILOG = 6,          /* version 2: epilog descriptions; v1: SAVE_XMM */
    UWOP_SPARE_CODE = 7,      /* v1: SAVE_XMM_FAR */
    UWOP_SAVE_XMM128 = 8,
    UWOP_SAVE_XMM128_FAR = 9,
    UWOP_PUSH_MACHFRAME = 10,
};

enum { UNW_FLAG_CHAININFO = 4 };

/* Chains are short in practice (a function split by the compiler's
 * hot/cold separation); a cycle in a hostile image must not loop. */
#define MAX_CHAIN 32
/* Slots scanned for a return address: the context frame may have pushed a
 * lot before crashing; callers' frames are usually found at once. */
#define SCAN_WORDS_FIRST 256
#define SCAN_WORDS 64

/* Registers a function must preserve: the caller sees them unchanged
 * unless the unwind codes say where they were saved. */
static const unsigned nonvolatile[] = { REG_RBX, REG_RBP, REG_RSI, REG_RDI, REG_R12, REG_R13, REG_R14, REG_R15 };

static void inherit_nonvolatile(const uw_frame *callee, uw_frame *caller)
{
    for (size_t i = 0; i < sizeof nonvolatile / sizeof nonvolatile[0]; i++) {
        unsigned r = nonvolatile[i];
        if (callee->valid & (1u << r))
            uw_set_reg(caller, r, callee->regs.gpr[r]);
    }
}

typedef struct x64_fn {
    uint64_t image_base;
    uint32_t begin, end, unwind;
} x64_fn;

/* The RUNTIME_FUNCTION covering addr: the module's .pdata, else the dump's
 * FunctionTable stream (dynamic tables registered by JIT compilers). */
static bool find_function(uw_walker *w, uint64_t addr, x64_fn *fn, bool *in_module_with_pdata)
{
    size_t mi;
    *in_module_with_pdata = false;
    const md_module *m = uw_module_at(w, addr, &mi);
    if (m) {
        const pe_pdata *pd = uw_module_pdata(w, mi);
        if (pd && pd->count) {
            *in_module_with_pdata = true;
            const pe_runtime_function *rf = pe_pdata_lookup(pd, (uint32_t)(addr - m->base));
            if (rf) {
                fn->image_base = m->base;
                fn->begin = rf->begin;
                fn->end = rf->end;
                fn->unwind = rf->unwind;
                return true;
            }
        }
    }
    const md_function_table *tabs;
    size_t ntabs;
    cor_err e = { 0 };
    if (md_function_tables(w->dump, &tabs, &ntabs, &e) != COR_OK)
        return false;
    for (size_t t = 0; t < ntabs; t++) {
        const md_function_table *ft = &tabs[t];
        if (addr < ft->min_address || addr >= ft->max_address || addr < ft->base_address)
            continue;
        const uint8_t *p = md_file_bytes(w->dump, ft->entries.rva, ft->entries.size);
        if (!p)
            continue;
        size_t n = ft->entries.size / 12;
        if (n > ft->entry_count)
            n = ft->entry_count;
        uint64_t rva = addr - ft->base_address;
        for (size_t k = 0; k < n; k++) {
            uint32_t b = le32(p + 12 * k), en = le32(p + 12 * k + 4);
            if (rva >= b && rva < en) {
                fn->image_base = ft->base_address;
                fn->begin = b;
                fn->end = en;
                fn->unwind = le32(p + 12 * k + 8);
                return true;
            }
        }
    }
    return false;
}

/* Old images mark a chained RUNTIME_FUNCTION by setting bit 0 of its
 * UnwindInfoAddress: it then points at another RUNTIME_FUNCTION. */
static bool resolve_indirect(uw_walker *w, x64_fn *fn)
{
    for (int i = 0; i < MAX_CHAIN && (fn->unwind & 1); i++) {
        uint64_t at = fn->image_base + (fn->unwind & ~1u), b, e, u;
        if (!uw_read(w, at, 4, &b) || !uw_read(w, at + 4, 4, &e) || !uw_read(w, at + 8, 4, &u))
            return false;
        fn->begin = (uint32_t)b;
        fn->end = (uint32_t)e;
        fn->unwind = (uint32_t)u;
    }
    return !(fn->unwind & 1);
}

/* --- epilogs ----------------------------------------------------------
 * An epilog is "add rsp, N" or "lea rsp, [frame + N]", then pops of
 * nonvolatile registers, then ret or a jmp out of the function; nothing
 * else may appear. Inside one, the unwind codes no longer describe the
 * stack, so the remaining instructions are simulated instead. */

static bool read_code(uw_walker *w, uint64_t at, uint8_t *b, size_t n)
{
    return as_read_partial(w->as, at, b, n) == n;
}

/* Simulates the epilog starting at ip if the code there is one. */
static bool unwind_epilog(uw_walker *w, const uw_frame *cur, const x64_fn *fn, uint8_t frame_reg, uw_frame *caller)
{
    uint8_t b[16];
    uint64_t ip = cur->regs.ip, rsp = cur->regs.sp;
    uw_frame out = *caller;
    if (!read_code(w, ip, b, 8))
        return false;
    /* add rsp, imm8 / imm32 */
    if (b[0] == 0x48 && b[1] == 0x83 && b[2] == 0xC4) {
        rsp += (uint64_t)(int64_t)(int8_t)b[3];
        ip += 4;
    } else if (b[0] == 0x48 && b[1] == 0x81 && b[2] == 0xC4) {
        rsp += (uint64_t)(int64_t)(int32_t)le32(b + 3);
        ip += 7;
    } else if ((b[0] & 0xF8) == 0x48 && b[1] == 0x8D && frame_reg) {
        /* lea rsp, [frame_reg + disp8/disp32]: REX.W (REX.B for r8..r15),
         * ModRM with reg = rsp (4) and rm = the frame register. */
        uint8_t modrm = b[2];
        unsigned reg = ((modrm >> 3) & 7) | ((b[0] & 4) ? 8 : 0);
        unsigned rm = (modrm & 7) | ((b[0] & 1) ? 8 : 0);
        unsigned mod = modrm >> 6;
        if (reg != REG_RSP || rm != frame_reg || (modrm & 7) == 4 || (mod != 1 && mod != 2))
            return false;
        if (!(cur->valid & (1u << frame_reg)))
            return false;
        int64_t disp = mod == 1 ? (int8_t)b[3] : (int32_t)le32(b + 3);
        rsp = cur->regs.gpr[frame_reg] + (uint64_t)disp;
        ip += mod == 1 ? 4 : 7;
    }
    for (int pops = 0; pops < 16; pops++) {
        if (!read_code(w, ip, b, 2))
            return false;
        unsigned r;
        if ((b[0] & 0xF8) == 0x58) {
            r = b[0] & 7;
            ip += 1;
        } else if (b[0] == 0x41 && (b[1] & 0xF8) == 0x58) {
            r = 8 + (b[1] & 7);
            ip += 2;
        } else {
            break;
        }
        uint64_t v;
        if (!uw_read(w, rsp, 8, &v))
            return false;
        uw_set_reg(&out, r, v);
        rsp += 8;
    }
    if (!read_code(w, ip, b, 6))
        return false;
    bool ret = b[0] == 0xC3 || b[0] == 0xC2 || (b[0] == 0xF3 && b[1] == 0xC3);
    bool jmp_out = false;
    if (b[0] == 0xE9) {
        uint64_t target = ip + 5 + (uint64_t)(int64_t)(int32_t)le32(b + 1);
        jmp_out = target < fn->image_base + fn->begin || target >= fn->image_base + fn->end;
    } else if ((b[0] == 0xFF && b[1] == 0x25) || (b[0] == 0x48 && b[1] == 0xFF && b[2] == 0x25)) {
        jmp_out = true; /* jmp [rip+disp32]: a tail call through the IAT */
    }
    if (!ret && !jmp_out)
        return false;
    uint64_t ra;
    if (!uw_read(w, rsp, 8, &ra))
        return false;
    out.regs.ip = ra;
    uw_set_reg(&out, REG_RSP, rsp + 8);
    *caller = out;
    return true;
}

/* --- unwind codes ------------------------------------------------------ */

typedef struct unwind_info {
    uint8_t version, flags, prolog_size, ncodes, frame_reg, frame_off;
    uint8_t codes[2 * 256];
    uint64_t chained_at; /* address of the chained RUNTIME_FUNCTION */
} unwind_info;

static bool read_unwind_info(uw_walker *w, uint64_t at, unwind_info *ui)
{
    uint8_t h[4];
    if (!read_code(w, at, h, 4))
        return false;
    ui->version = h[0] & 7;
    ui->flags = h[0] >> 3;
    ui->prolog_size = h[1];
    ui->ncodes = h[2];
    ui->frame_reg = h[3] & 15;
    ui->frame_off = h[3] >> 4;
    if (ui->version != 1 && ui->version != 2)
        return false;
    if (ui->ncodes && !read_code(w, at + 4, ui->codes, 2u * ui->ncodes))
        return false;
    ui->chained_at = at + 4 + 2u * ((ui->ncodes + 1u) & ~1u);
    return true;
}

static unsigned code_slots(uint8_t op, uint8_t info)
{
    switch (op) {
    case UWOP_PUSH_NONVOL:
    case UWOP_ALLOC_SMALL:
    case UWOP_SET_FPREG:
    case UWOP_PUSH_MACHFRAME:
        return 1;
    case UWOP_ALLOC_LARGE:
        return info == 0 ? 2 : 3;
    case UWOP_SAVE_NONVOL:
    case UWOP_SAVE_XMM128:
    case UWOP_EPILOG:
        return 2;
    case UWOP_SAVE_NONVOL_FAR:
    case UWOP_SAVE_XMM128_FAR:
    case UWOP_SPARE_CODE:
        return 3;
    default:
        return 0;
    }
}

/* Whether the UWOP_SET_FPREG of this info has executed at prolog offset
 * `off` (always, for a chained parent: its prologue ran in full). */
static bool fpreg_established(const unwind_info *ui, uint32_t off, bool partial)
{
    for (unsigned i = 0; i < ui->ncodes;) {
        uint8_t cofs = ui->codes[2 * i], op = ui->codes[2 * i + 1] & 15, info = ui->codes[2 * i + 1] >> 4;
        unsigned n = code_slots(op, info);
        if (n == 0)
            return false;
        if (op == UWOP_SET_FPREG)
            return !partial || cofs <= off;
        i += n;
    }
    return false;
}

typedef enum { CODES_OK, CODES_MACHFRAME, CODES_BAD } codes_result;

/* Applies one UNWIND_INFO's codes to *rsp and *out. With `partial`, only
 * codes for prologue instructions that ended at or before `off` apply. */
static codes_result apply_codes(uw_walker *w, const unwind_info *ui, const uw_frame *cur, uint32_t off, bool partial,
                                uint64_t *rsp, uw_frame *out)
{
    uint64_t frame_base = *rsp;
    if (ui->frame_reg && fpreg_established(ui, off, partial)) {
        if (!(cur->valid & (1u << ui->frame_reg)) && !(out->valid & (1u << ui->frame_reg)))
            return CODES_BAD;
        uint64_t fr = (out->valid & (1u << ui->frame_reg)) ? out->regs.gpr[ui->frame_reg]
                                                           : cur->regs.gpr[ui->frame_reg];
        frame_base = fr - 16u * ui->frame_off;
    }
    for (unsigned i = 0; i < ui->ncodes;) {
        uint8_t cofs = ui->codes[2 * i], op = ui->codes[2 * i + 1] & 15, info = ui->codes[2 * i + 1] >> 4;
        unsigned n = code_slots(op, info);
        if (n == 0 || i + n > ui->ncodes)
            return CODES_BAD;
        const uint8_t *next = &ui->codes[2 * (i + 1)];
        bool done = op == UWOP_EPILOG || !partial || cofs <= off;
        i += n;
        if (!done || op == UWOP_EPILOG)
            continue;
        uint64_t v;
        switch (op) {
        case UWOP_PUSH_NONVOL:
            if (!uw_read(w, *rsp, 8, &v))
                return CODES_BAD;
            uw_set_reg(out, info, v);
            *rsp += 8;
            break;
        case UWOP_ALLOC_LARGE:
            *rsp += info == 0 ? 8u * le16(next) : le32(next);
            break;
        case UWOP_ALLOC_SMALL:
            *rsp += 8u * info + 8;
            break;
        case UWOP_SET_FPREG:
            *rsp = frame_base;
            break;
        case UWOP_SAVE_NONVOL:
        case UWOP_SAVE_NONVOL_FAR: {
            uint64_t at = frame_base + (op == UWOP_SAVE_NONVOL ? 8u * le16(next) : le32(next));
            if (!uw_read(w, at, 8, &v))
                return CODES_BAD;
            uw_set_reg(out, info, v);
            break;
        }
        case UWOP_PUSH_MACHFRAME: {
            /* The processor pushed SS, RSP, EFLAGS, CS, RIP (and an error
             * code when info is 1) on an interrupt or exception. */
            uint64_t base = *rsp + (info ? 8 : 0), ip, sp;
            if (!uw_read(w, base, 8, &ip) || !uw_read(w, base + 24, 8, &sp))
                return CODES_BAD;
            out->regs.ip = ip;
            uw_set_reg(out, REG_RSP, sp);
            return CODES_MACHFRAME;
        }
        default: /* XMM saves and v1 spares: nothing for integer registers */
            break;
        }
    }
    return CODES_OK;
}

static bool unwind_with_info(uw_walker *w, const uw_frame *cur, bool is_context, x64_fn fn, uw_frame *caller)
{
    uint64_t ip = cur->regs.ip;
    uint32_t off = (uint32_t)(ip - (fn.image_base + fn.begin));
    uint64_t rsp = cur->regs.sp;
    bool primary = true;
    for (int depth = 0; depth < MAX_CHAIN; depth++) {
        if (!resolve_indirect(w, &fn))
            return false;
        unwind_info ui;
        if (!read_unwind_info(w, fn.image_base + fn.unwind, &ui))
            return false;
        if (primary && is_context && off >= ui.prolog_size && unwind_epilog(w, cur, &fn, ui.frame_reg, caller))
            return true;
        codes_result r = apply_codes(w, &ui, cur, off, primary && off < ui.prolog_size, &rsp, caller);
        if (r == CODES_BAD)
            return false;
        if (r == CODES_MACHFRAME)
            return true;
        if (!(ui.flags & UNW_FLAG_CHAININFO))
            break;
        uint64_t b, e, u;
        if (!uw_read(w, ui.chained_at, 4, &b) || !uw_read(w, ui.chained_at + 4, 4, &e) ||
            !uw_read(w, ui.chained_at + 8, 4, &u))
            return false;
        fn.begin = (uint32_t)b;
        fn.end = (uint32_t)e;
        fn.unwind = (uint32_t)u;
        primary = false;
    }
    uint64_t ra;
    if (!uw_read(w, rsp, 8, &ra))
        return false;
    caller->regs.ip = ra;
    uw_set_reg(caller, REG_RSP, rsp + 8);
    return true;
}

static bool unwind_leaf(uw_walker *w, const uw_frame *cur, uw_frame *caller)
{
    uint64_t ra;
    if (!uw_read(w, cur->regs.sp, 8, &ra))
        return false;
    caller->regs.ip = ra;
    uw_set_reg(caller, REG_RSP, cur->regs.sp + 8);
    return true;
}

/* RBP chain: code built with frame pointers pushes RBP right after the
 * return address and points RBP at it. */
static bool unwind_frame_pointer(uw_walker *w, const uw_frame *cur, uw_frame *caller)
{
    if (!(cur->valid & (1u << REG_RBP)))
        return false;
    uint64_t rbp = cur->regs.gpr[REG_RBP], saved, ra;
    if (rbp < cur->regs.sp || rbp % 8 || rbp + 16 > w->stack_hi)
        return false;
    if (!uw_read(w, rbp, 8, &saved) || !uw_read(w, rbp + 8, 8, &ra))
        return false;
    if (!uw_is_code(w, ra))
        return false;
    caller->regs.ip = ra;
    uw_set_reg(caller, REG_RSP, rbp + 16);
    uw_set_reg(caller, REG_RBP, saved);
    return true;
}

static bool unwind_scan(uw_walker *w, const uw_frame *cur, bool is_context, uw_frame *caller)
{
    uint64_t slot, ra;
    if (!uw_scan_for_return(w, cur->regs.sp, is_context ? SCAN_WORDS_FIRST : SCAN_WORDS, &slot, &ra))
        return false;
    caller->regs.ip = ra;
    uw_set_reg(caller, REG_RSP, slot + 8);
    return true;
}

bool x64_unwind_step(uw_walker *w, const uw_frame *frames, size_t n, uw_frame *caller)
{
    const uw_frame *cur = &frames[n - 1];
    bool is_context = cur->trust == UW_TRUST_CONTEXT;
    /* A return address may sit just past the function that made the call
     * (a call as the last instruction); look up the call instead. */
    uint64_t lookup = is_context ? cur->regs.ip : cur->regs.ip - 1;
    uw_frame base = *caller;
    inherit_nonvolatile(cur, &base);

    x64_fn fn;
    bool module_has_pdata;
    if (find_function(w, lookup, &fn, &module_has_pdata)) {
        *caller = base;
        if (unwind_with_info(w, cur, is_context, fn, caller)) {
            caller->trust = UW_TRUST_CFI;
            return true;
        }
    } else if (module_has_pdata) {
        /* A leaf function: no prologue, so the return address is at RSP. */
        *caller = base;
        if (unwind_leaf(w, cur, caller) && uw_is_code(w, caller->regs.ip)) {
            caller->trust = UW_TRUST_CFI;
            return true;
        }
    }
    *caller = base;
    if (unwind_frame_pointer(w, cur, caller)) {
        caller->trust = UW_TRUST_FRAME_POINTER;
        return true;
    }
    *caller = base;
    if (unwind_scan(w, cur, is_context, caller)) {
        caller->trust = UW_TRUST_SCAN;
        return true;
    }
    return false;
}
