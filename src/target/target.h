/* A debugging target: one opened dump with everything derived from it (the
 * address space, image files, the current thread and context). Analysis and
 * the console work on a target; a process may hold many at once. */
#ifndef COR_TARGET_TARGET_H
#define COR_TARGET_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"

typedef struct cor_target {
    char *path;          /* the dump file as given */
    md_dump *dump;
    as_space *as;
    uint16_t arch;       /* MD_ARCH_* of the dump's thread contexts (its machine) */
    unsigned ptr_size;   /* 4 or 8, of arch */
    /* The effective machine (.effmach): arch, or MD_ARCH_X86 on an AMD64
     * dump for a WoW64 process's 32-bit side (target/wow64.h). Thread
     * contexts, stacks, TEBs, disassembly and pointer widths follow it. */
    uint16_t eff_arch;
    unsigned eff_ptr_size;
    size_t cur_thread;   /* index into the thread list (WinDbg's ~Ns) */
    /* Register context override set by .ecxr/.cxr; cleared by changing thread. */
    bool has_ctx_override;
    md_context ctx_override;
    struct pe_files *images; /* image files serving pages the dump lacks (cdb -i) */
    struct sym_resolver *syms; /* per-module symbols, loaded lazily */
    char *symbol_path;   /* as given (-y, _NT_SYMBOL_PATH, .sympath), or NULL */
    bool sym_noisy;      /* !sym noisy: log every symbol-store probe */
    bool sym_loose;      /* .reload /i: accept PDBs whose GUID or age differ */
    char *image_path;    /* the image search path those come from, or NULL */
    /* The symbol path's stores, also asked for image files (by timestamp
     * and size) that neither the dump nor the image path has; NULL when
     * the symbol path names no store. */
    struct symstore *image_store;
    struct uw_walker *walker; /* the stack walker, made on first use */
    uint16_t walker_arch;     /* the machine it walks (contexts' arch) */
} cor_target;

int target_open(const char *path, cor_target **out, cor_err *err);
void target_close(cor_target *t);

/* Sets the executable image search path (cdb -i, .exepath): module images
 * found there, matching by timestamp and size, serve reads of addresses the
 * dump did not capture. NULL or "" turns that off. */
int target_set_image_path(cor_target *t, const char *path, cor_err *err);

/* Sets the symbol search path and forgets loaded symbols (they reload
 * lazily from the new path). NULL or "" leaves only export symbols. */
int target_set_symbol_path(cor_target *t, const char *path, cor_err *err);

/* The symbol path the environment gives, as dbghelp reads it:
 * _NT_ALT_SYMBOL_PATH (searched first), then _NT_SYMBOL_PATH. A malloc'd
 * string, or NULL when neither is set. */
char *target_env_symbol_path(void);

/* Sets the effective machine: the dump's own (arch), or MD_ARCH_X86 on an
 * AMD64 dump (WoW64). A .ecxr/.cxr context is dropped: it belongs to the
 * other machine. */
int target_set_effective_machine(cor_target *t, uint16_t arch, cor_err *err);
/* True when the effective machine is the 32-bit view of an AMD64 dump. */
bool target_wow64_view(const cor_target *t);

/* The register context of thread index i on the effective machine: as the
 * dump recorded it, or in the WoW64 view the x86 context WoW64 saved. */
int target_thread_context(cor_target *t, size_t i, md_context *out, cor_err *err);
/* Thread i's TEB on the effective machine (the 32-bit TEB in the WoW64
 * view, when the dump holds it; else the thread list's TEB). */
uint64_t target_thread_teb(cor_target *t, size_t i);
/* The current thread's context, honouring a .ecxr/.cxr override. */
int target_current_context(cor_target *t, md_context *out, cor_err *err);
/* Index of the thread with this TID, or (size_t)-1. */
size_t target_thread_index(const cor_target *t, uint32_t tid);
/* Index of the thread a dump would open on: the exception thread, else 0. */
size_t target_default_thread(const cor_target *t);

/* Walks thread i's stack (at most max frames; 0 for the walker's limit).
 * With use_override, the current thread starts from a .ecxr/.cxr context
 * when one is set. The stack is freed with uw_stack_free. */
struct uw_stack;
int target_walk_thread(cor_target *t, size_t i, bool use_override, size_t max, struct uw_stack *out, cor_err *err);
/* Walks from an arbitrary context, bounded by thread i's stack. */
int target_walk_context(cor_target *t, size_t i, const md_context *ctx, size_t max, struct uw_stack *out,
                        cor_err *err);

#endif
