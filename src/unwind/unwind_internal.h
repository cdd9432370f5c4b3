/* What the architecture unwinders share with the walk driver. */
#ifndef COR_UNWIND_INTERNAL_H
#define COR_UNWIND_INTERNAL_H

#include "pe/pe_pdata.h"
#include "sym/breakpad/breakpad.h"
#include "sym/pdb/pdb.h"
#include "unwind/unwind.h"

/* Per-module unwind state, filled on first use. */
typedef struct uw_module {
    bool pdata_tried;
    pe_pdata *pdata;      /* x64 .pdata from the image in memory, or NULL */
    bool exec_tried;
    /* Executable sections as [lo, hi) RVAs, for "is this a code address". */
    uint32_t exec_lo[8], exec_hi[8];
    size_t nexec;         /* 0 with exec_tried: headers unreadable; any RVA passes */
} uw_module;

struct uw_walker {
    md_dump *dump;
    as_space *as;
    uint16_t arch;
    unsigned ptr_size;
    sym_resolver *syms;
    uw_module *mods;      /* md_module_count entries */
    size_t nmods;
    /* Bounds of the walk in progress. */
    uint64_t stack_lo, stack_hi;
};

/* Reads a pointer-sized (or size-byte) value; false when unreadable. */
bool uw_read(uw_walker *w, uint64_t addr, unsigned size, uint64_t *v);
bool uw_read_ptr(uw_walker *w, uint64_t addr, uint64_t *v);

/* The module holding addr and its index, or NULL. */
const md_module *uw_module_at(uw_walker *w, uint64_t addr, size_t *index);
/* Whether addr lies in a module's executable section (any part of a module
 * when its section headers cannot be read). */
bool uw_is_code(uw_walker *w, uint64_t addr);
/* The module's .pdata (x64), read lazily; NULL when there is none. */
const pe_pdata *uw_module_pdata(uw_walker *w, size_t index);
/* The module's symbol files, through the resolver (loading them if still
 * deferred); NULL when none is loaded or of that kind. */
pdb_file *uw_module_pdb(uw_walker *w, size_t index);
bp_symbols *uw_module_breakpad(uw_walker *w, size_t index);

/* Whether the bytes before ret look like a call instruction that returns
 * there (x86 and x64 encodings: call rel32, call r/m with the usual ModRM
 * forms). */
bool uw_preceded_by_call(uw_walker *w, uint64_t ret);

/* Whether v looks like a return address: code in a module, preceded by a
 * call when the dump holds the bytes before it. Minidumps rarely capture
 * module code; then Breakpad's InstructionAddressSeemsValid decides:
 * inside a function or public symbol when the module has PDB or Breakpad
 * symbols, anywhere in its code when it has none. */
bool uw_seems_return_address(uw_walker *w, uint64_t v);

/* Scans the stack upwards from `from` (inclusive) for at most `words`
 * pointer-sized slots, for a value that is a code address preceded by a
 * call. Sets *slot to the address where it was found and *ret to it. */
bool uw_scan_for_return(uw_walker *w, uint64_t from, size_t words, uint64_t *slot, uint64_t *ret);

/* One architecture's step: given the frames so far (frames[n-1] is the
 * frame to unwind), fill *caller and its trust, or return false when no
 * method finds a plausible caller. The driver checks the result (stack
 * grows, address in bounds) and decides when to stop. */
bool x64_unwind_step(uw_walker *w, const uw_frame *frames, size_t n, uw_frame *caller);
bool x86_unwind_step(uw_walker *w, const uw_frame *frames, size_t n, uw_frame *caller);

static inline void uw_set_reg(uw_frame *f, unsigned r, uint64_t v)
{
    f->regs.gpr[r] = v;
    f->valid |= 1u << r;
    if (r == REG_RSP)
        f->regs.sp = v;
    else if (r == REG_RBP)
        f->regs.fp = v;
}

#endif
