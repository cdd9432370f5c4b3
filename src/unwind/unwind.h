/* Stack walking: from a thread's register context to the chain of its
 * callers' frames, for x64 (RUNTIME_FUNCTION/UNWIND_INFO) and x86 (FPO,
 * FrameData and Breakpad STACK WIN/CFI programs, EBP chains, scanning).
 *
 * Every frame records how it was found, as rust-minidump and Breakpad's
 * minidump_stackwalk report it, so a reader can tell a frame recovered from
 * unwind data from one guessed by scanning the stack.
 *
 * The walker reads memory through the address space, unwind tables through
 * the module images it can reach (dump memory, image files, the FunctionTable
 * stream) and x86 frame data through the symbol resolver's loaded sources. */
#ifndef COR_UNWIND_H
#define COR_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "sym/resolver.h"

/* Ordered from least to most trustworthy. */
typedef enum uw_trust {
    UW_TRUST_NONE = 0,
    UW_TRUST_SCAN,          /* a plausible return address found by scanning */
    UW_TRUST_CFI_SCAN,      /* scanning, then checked against unwind data */
    UW_TRUST_FRAME_POINTER, /* the previous frame's frame pointer chain */
    UW_TRUST_CFI,           /* unwind data: UNWIND_INFO, FPO, FrameData, STACK WIN/CFI */
    UW_TRUST_CONTEXT,       /* the thread's own register context */
} uw_trust;

/* rust-minidump's JSON words: "context", "cfi", "frame_pointer", "scan", "cfi_scan". */
const char *uw_trust_name(uw_trust t);
/* Breakpad's "Found by:" phrases: "given as instruction pointer in context", ... */
const char *uw_trust_description(uw_trust t);

typedef struct uw_frame {
    md_context regs;  /* registers of this frame; ip and sp always set */
    uint32_t valid;   /* bit i set: regs.gpr[i] is known for this frame */
    uw_trust trust;
} uw_frame;

typedef struct uw_stack {
    uw_frame *frames; /* innermost first */
    size_t count;
    /* Why the walk stopped after the last frame: "" when it reached a
     * thread start (a zero return address or the stack's base). */
    const char *stop_reason;
} uw_stack;

typedef struct uw_walker uw_walker;

/* A walker for one dump. syms may be NULL (no x86 frame data then); it is
 * borrowed and must outlive the walker, as must d and as. Unwind tables are
 * read lazily per module and kept until the walker is freed. */
int uw_walker_new(md_dump *d, as_space *as, uint16_t arch, sym_resolver *syms, uw_walker **out, cor_err *err);
void uw_walker_free(uw_walker *w);
/* Forgets the unwind data derived from symbols (after .reload). */
void uw_walker_reset_symbols(uw_walker *w, sym_resolver *syms);

/* The most frames any walk returns (WinDbg's default k count is 20; its
 * maximum, which this follows, is 0xffff). */
#define UW_MAX_FRAMES 0xFFFF

/* Walks from ctx. [stack_lo, stack_hi) bounds the stack (the thread's
 * captured stack or its TEB limits); 0, 0 takes the captured range holding
 * ctx->sp. At most max frames (capped at UW_MAX_FRAMES). The stack is the
 * caller's to free with uw_stack_free; on failure (no memory) it is empty. */
int uw_walk(uw_walker *w, const md_context *ctx, uint64_t stack_lo, uint64_t stack_hi, size_t max, uw_stack *out,
            cor_err *err);
void uw_stack_free(uw_stack *s);

/* The stack bounds of thread i on the dump's own machine: its captured
 * stack memory, widened to the thread list's TEB's StackLimit/StackBase
 * when those are readable. (A WoW64 thread's 32-bit stack is bounded by its
 * 32-bit TEB instead: target/wow64.h.) */
void uw_thread_stack_bounds(md_dump *d, as_space *as, size_t thread, uint64_t *lo, uint64_t *hi);

#endif
