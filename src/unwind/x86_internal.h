/* What the x86 unwinder's methods share (unwind_x86.c drives them). */
#ifndef COR_UNWIND_X86_INTERNAL_H
#define COR_UNWIND_X86_INTERNAL_H

#include "unwind/unwind_internal.h"

/* Breakpad's stack-scan reach (kRASearchWords), widened four times for
 * the context frame, whose own frame may hold a lot before the crash. */
#define X86_SCAN_WORDS 40
#define X86_SCAN_WORDS_CONTEXT (4 * X86_SCAN_WORDS)

/* Windows frame information for one address, from a Breakpad STACK WIN
 * record, a PDB FRAMEDATA record or a PDB FPO_DATA record (Breakpad's
 * WindowsFrameInfo). Sizes are in bytes. */
typedef struct x86_win_info {
    /* A whole record; false when only a FUNC's parameter size is known
     * (which still tells a caller how much its callee's arguments take). */
    bool full;
    bool fpo;                   /* type 0, FPO_DATA */
    uint32_t param_size, saved_regs_size, locals_size;
    bool allocates_base_pointer; /* FPO without a program: ebp saved in the frame */
    const char *program;         /* FrameData program, NULL when none */
} x86_win_info;

/* The address whose unwind data describes frame f: the instruction for
 * the context frame, the byte before the return address for a caller
 * (inside the CALL, so a call at a function's very end still counts). */
uint64_t x86_frame_pc(const uw_frame *f);

/* Frame information for f's pc from its module's symbols. */
bool x86_find_win_info(uw_walker *w, const uw_frame *f, x86_win_info *out);

/* A 32-bit read confined to the thread's stack, as Breakpad's stack
 * MemoryRegion is: a frame-data program or an ebp chain that points
 * elsewhere is wrong, not a reason to read the heap. */
bool x86_stack_read(uw_walker *w, uint64_t addr, uint32_t *v);

/* Breakpad's ScanForReturnAddress: the slots from..from+4*words
 * (inclusive) on the stack, stopping at the first unreadable one, for a
 * value uw_seems_return_address accepts. */
bool x86_scan(uw_walker *w, uint64_t from, unsigned words, uint32_t *slot, uint32_t *ret);

/* The methods, in the order x86_unwind_step tries them. Each fills
 * caller's ip, esp, ebp (and what else it recovers) and its trust. */
bool x86_caller_by_win_info(uw_walker *w, const uw_frame *frames, size_t n, const x86_win_info *info,
                            uw_frame *caller);
bool x86_caller_by_cfi(uw_walker *w, const uw_frame *callee, uw_frame *caller);

#endif
