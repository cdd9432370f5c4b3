/* The walk driver: starts from a context, asks the architecture's unwinder
 * for each caller, and stops where a thread's stack ends or the unwinders
 * stop making progress. */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "unwind/unwind_internal.h"

const char *uw_trust_name(uw_trust t)
{
    switch (t) {
    case UW_TRUST_CONTEXT: return "context";
    case UW_TRUST_CFI: return "cfi";
    case UW_TRUST_FRAME_POINTER: return "frame_pointer";
    case UW_TRUST_CFI_SCAN: return "cfi_scan";
    case UW_TRUST_SCAN: return "scan";
    default: return "none";
    }
}

const char *uw_trust_description(uw_trust t)
{
    switch (t) {
    case UW_TRUST_CONTEXT: return "given as instruction pointer in context";
    case UW_TRUST_CFI: return "call frame info";
    case UW_TRUST_FRAME_POINTER: return "previous frame's frame pointer";
    case UW_TRUST_CFI_SCAN: return "call frame info with scanning";
    case UW_TRUST_SCAN: return "stack scanning";
    default: return "unknown";
    }
}

int uw_walker_new(md_dump *d, as_space *as, uint16_t arch, sym_resolver *syms, uw_walker **out, cor_err *err)
{
    *out = NULL;
    if (arch != MD_ARCH_AMD64 && arch != MD_ARCH_X86)
        return cor_fail(err, "stack walking is not supported for %s", md_arch_name(arch));
    uw_walker *w = calloc(1, sizeof *w);
    if (!w)
        return cor_fail(err, "out of memory");
    w->dump = d;
    w->as = as;
    w->arch = arch;
    w->ptr_size = md_arch_ptr_size(arch);
    w->syms = syms;
    w->nmods = md_module_count(d);
    w->mods = calloc(w->nmods ? w->nmods : 1, sizeof *w->mods);
    if (!w->mods) {
        free(w);
        return cor_fail(err, "out of memory");
    }
    *out = w;
    return COR_OK;
}

void uw_walker_free(uw_walker *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nmods; i++)
        pe_pdata_free(w->mods[i].pdata);
    free(w->mods);
    free(w);
}

void uw_walker_reset_symbols(uw_walker *w, sym_resolver *syms)
{
    /* Symbol-derived data is looked up through the resolver on every step,
     * so only the pointer changes; image-derived tables stay valid. */
    w->syms = syms;
}

bool uw_read(uw_walker *w, uint64_t addr, unsigned size, uint64_t *v)
{
    uint8_t b[8] = { 0 };
    if (size > 8 || as_read_partial(w->as, addr, b, size) != size)
        return false;
    uint64_t x = 0;
    for (unsigned i = 0; i < size; i++)
        x |= (uint64_t)b[i] << (8 * i);
    *v = x;
    return true;
}

bool uw_read_ptr(uw_walker *w, uint64_t addr, uint64_t *v)
{
    return uw_read(w, addr, w->ptr_size, v);
}

const md_module *uw_module_at(uw_walker *w, uint64_t addr, size_t *index)
{
    const md_module *m = md_module_by_addr(w->dump, addr);
    if (m && index)
        *index = (size_t)(m - md_module_at(w->dump, 0));
    return m;
}

/* Reads the section table from the image in memory: the executable ones
 * bound what scanning accepts as a return address. */
static void load_exec_sections(uw_walker *w, size_t i)
{
    uw_module *um = &w->mods[i];
    um->exec_tried = true;
    const md_module *m = md_module_at(w->dump, i);
    uint64_t lfanew, nsec, opt_size;
    if (!uw_read(w, m->base + 0x3c, 4, &lfanew) || lfanew > 0x1000)
        return;
    uint64_t nt = m->base + lfanew;
    uint64_t sig;
    if (!uw_read(w, nt, 4, &sig) || sig != 0x4550)
        return;
    if (!uw_read(w, nt + 6, 2, &nsec) || !uw_read(w, nt + 20, 2, &opt_size))
        return;
    uint64_t sec = nt + 24 + opt_size;
    for (uint64_t s = 0; s < nsec && s < 96; s++, sec += 40) {
        uint64_t va, vsize, chars;
        if (!uw_read(w, sec + 8, 4, &vsize) || !uw_read(w, sec + 12, 4, &va) || !uw_read(w, sec + 36, 4, &chars))
            return;
        /* IMAGE_SCN_CNT_CODE (0x20) or IMAGE_SCN_MEM_EXECUTE (0x20000000) */
        if (!(chars & 0x20000020u) || um->nexec == sizeof um->exec_lo / sizeof um->exec_lo[0])
            continue;
        um->exec_lo[um->nexec] = (uint32_t)va;
        um->exec_hi[um->nexec] = (uint32_t)(va + (vsize ? vsize : 1));
        um->nexec++;
    }
}

bool uw_is_code(uw_walker *w, uint64_t addr)
{
    size_t i;
    const md_module *m = uw_module_at(w, addr, &i);
    if (!m)
        return false;
    if (!w->mods[i].exec_tried)
        load_exec_sections(w, i);
    const uw_module *um = &w->mods[i];
    uint64_t rva = addr - m->base;
    /* Without section headers any RVA may be code, except the first page:
     * the headers live there (and a module's base is a common pointer). */
    if (um->nexec == 0)
        return rva >= 0x1000;
    for (size_t s = 0; s < um->nexec; s++)
        if (rva >= um->exec_lo[s] && rva < um->exec_hi[s])
            return true;
    return false;
}

const pe_pdata *uw_module_pdata(uw_walker *w, size_t index)
{
    if (index >= w->nmods)
        return NULL;
    uw_module *um = &w->mods[index];
    if (!um->pdata_tried) {
        um->pdata_tried = true;
        pe_image *img = NULL;
        cor_err e = { 0 };
        if (pe_image_open_as(w->as, md_module_at(w->dump, index)->base, &img, &e) == COR_OK) {
            if (pe_pdata_read(img, &um->pdata, &e) != COR_OK)
                um->pdata = NULL;
            pe_image_close(img);
        }
    }
    return um->pdata;
}

static const sym_source *module_source(uw_walker *w, size_t index)
{
    if (!w->syms)
        return NULL;
    if (sym_module_load(w->syms, index) != SYM_STATE_LOADED)
        return NULL;
    return sym_module_source(w->syms, index);
}

pdb_file *uw_module_pdb(uw_walker *w, size_t index)
{
    const sym_source *s = module_source(w, index);
    return s ? pdb_source_file(s) : NULL;
}

bp_symbols *uw_module_breakpad(uw_walker *w, size_t index)
{
    const sym_source *s = module_source(w, index);
    return s ? breakpad_symbols(s) : NULL;
}

bool uw_preceded_by_call(uw_walker *w, uint64_t ret)
{
    uint8_t b[8];
    if (ret < 8 || as_read_partial(w->as, ret - 8, b, 8) != 8)
        return false;
    /* call rel32: E8 xx xx xx xx */
    if (b[3] == 0xE8)
        return true;
    /* call r/m (FF /2), optionally REX-prefixed on x64: the ModRM byte's
     * reg field is 2, and the instruction length follows from mod/rm. */
    for (int len = 2; len <= 7; len++) {
        uint8_t op = b[8 - len], modrm = b[8 - len + 1];
        if (op != 0xFF || ((modrm >> 3) & 7) != 2)
            continue;
        unsigned mod = modrm >> 6, rm = modrm & 7;
        int want;
        if (mod == 3)
            want = 2;
        else if (mod == 0)
            want = rm == 4 ? 3 : rm == 5 ? 6 : 2;
        else if (mod == 1)
            want = rm == 4 ? 4 : 3;
        else
            want = rm == 4 ? 7 : 6;
        if (want == len)
            return true;
    }
    return false;
}

bool uw_seems_return_address(uw_walker *w, uint64_t v)
{
    if (v < 8 || !uw_is_code(w, v))
        return false;
    uint8_t b[8];
    if (as_read_partial(w->as, v - 8, b, sizeof b) == sizeof b)
        return uw_preceded_by_call(w, v);
    size_t mi;
    const md_module *m = uw_module_at(w, v, &mi);
    uint32_t rva = (uint32_t)(v - m->base);
    pdb_file *pdb = uw_module_pdb(w, mi);
    if (pdb)
        return pdb_find_function(pdb, rva) || pdb_find_public(pdb, rva);
    const bp_symbols *bp = uw_module_breakpad(w, mi);
    if (bp)
        return bp_find_func(bp, rva) || bp_find_public(bp, rva);
    return true;
}

bool uw_scan_for_return(uw_walker *w, uint64_t from, size_t words, uint64_t *slot, uint64_t *ret)
{
    for (size_t k = 0; k < words; k++) {
        uint64_t a = from + k * w->ptr_size, v;
        if (a + w->ptr_size > w->stack_hi)
            return false;
        if (!uw_read_ptr(w, a, &v))
            return false;
        if (uw_seems_return_address(w, v)) {
            *slot = a;
            *ret = v;
            return true;
        }
    }
    return false;
}

/* The captured memory range holding addr, as [lo, hi). */
static bool captured_range(md_dump *d, uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    for (size_t i = 0; i < md_range_count(d); i++) {
        const md_range *r = md_range_at(d, i);
        if (addr >= r->start && addr - r->start < r->size) {
            *lo = r->start;
            *hi = r->start + r->size;
            return true;
        }
    }
    return false;
}

void uw_thread_stack_bounds(md_dump *d, as_space *as, size_t thread, uint64_t *lo, uint64_t *hi)
{
    *lo = *hi = 0;
    const md_thread *t = md_thread_at(d, thread);
    if (!t)
        return;
    *lo = t->stack_start;
    *hi = t->stack_start + t->stack.size;
    /* NT_TIB: StackBase and StackLimit follow ExceptionList. */
    uint16_t arch = md_dump_arch(d);
    unsigned ps = md_arch_ptr_size(arch);
    uint8_t b[16];
    if (t->teb && as_read_partial(as, t->teb + ps, b, 2 * ps) == 2 * ps) {
        uint64_t base = ps == 8 ? le64(b) : le32(b);
        uint64_t limit = ps == 8 ? le64(b + 8) : le32(b + 4);
        if (limit < base && base - limit < (1ull << 32) && limit <= *lo + 1 && base >= *hi) {
            *lo = limit < *lo ? limit : *lo;
            *hi = base;
        }
    }
}

/* A caller frame must be above the callee on the stack and in bounds; a
 * frame whose stack pointer did not move is accepted only when the
 * instruction pointer did and the callee is the context frame (a leaf
 * with no frame yet; Breakpad's TerminateWalk allows it on the first
 * unwind only, so a walk cannot cycle between frames of equal sp). */
static bool plausible(uw_walker *w, const uw_frame *callee, const uw_frame *caller)
{
    if (caller->regs.ip == 0)
        return false;
    if (caller->regs.sp < callee->regs.sp)
        return false;
    if (caller->regs.sp == callee->regs.sp &&
        (caller->regs.ip == callee->regs.ip || callee->trust != UW_TRUST_CONTEXT))
        return false;
    if (w->stack_hi && caller->regs.sp > w->stack_hi)
        return false;
    return true;
}

int uw_walk(uw_walker *w, const md_context *ctx, uint64_t stack_lo, uint64_t stack_hi, size_t max, uw_stack *out,
            cor_err *err)
{
    memset(out, 0, sizeof *out);
    out->stop_reason = "";
    if (max == 0 || max > UW_MAX_FRAMES)
        max = UW_MAX_FRAMES;
    if (stack_hi <= stack_lo && !captured_range(w->dump, ctx->sp, &stack_lo, &stack_hi))
        stack_lo = stack_hi = 0;
    w->stack_lo = stack_lo;
    w->stack_hi = stack_hi ? stack_hi : UINT64_MAX;

    size_t cap = 32;
    out->frames = calloc(cap, sizeof *out->frames);
    if (!out->frames)
        return cor_fail(err, "out of memory");
    uw_frame *f = &out->frames[0];
    f->regs = *ctx;
    f->valid = w->arch == MD_ARCH_AMD64 ? 0xFFFFu : 0xFFu;
    f->trust = UW_TRUST_CONTEXT;
    out->count = 1;

    while (out->count < max) {
        uw_frame caller;
        memset(&caller, 0, sizeof caller);
        caller.regs.arch = ctx->arch;
        const uw_frame *cur = &out->frames[out->count - 1];
        bool ok = w->arch == MD_ARCH_AMD64 ? x64_unwind_step(w, out->frames, out->count, &caller)
                                           : x86_unwind_step(w, out->frames, out->count, &caller);
        if (!ok) {
            out->stop_reason = "no unwind data or plausible return address";
            break;
        }
        if (caller.regs.ip == 0)
            break; /* a thread's first frame returns to nothing */
        if (!plausible(w, cur, &caller)) {
            out->stop_reason = "the caller's frame is not above the callee's";
            break;
        }
        if (out->count == cap) {
            uw_frame *nf = realloc(out->frames, 2 * cap * sizeof *nf);
            if (!nf) {
                out->stop_reason = "out of memory";
                break;
            }
            out->frames = nf;
            cap *= 2;
        }
        out->frames[out->count++] = caller;
    }
    if (out->count == max)
        out->stop_reason = "frame limit reached";
    return COR_OK;
}

void uw_stack_free(uw_stack *s)
{
    if (!s)
        return;
    free(s->frames);
    s->frames = NULL;
    s->count = 0;
}
