/* Breakpad text symbol files (.sym), as written by dump_syms and read by
 * Breakpad's BasicSourceLineResolver and rust-minidump's breakpad-symbols.
 * Format: chromium.googlesource.com/breakpad/breakpad/+/HEAD/docs/symbol_files.md
 *
 * The file is parsed once into sorted arrays. Strings (names, file names,
 * program strings, CFI rules) are not copied one by one: the file is mapped
 * privately (or copied once, for the in-memory variant) and each string is
 * NUL-terminated in place, so they live as long as the bp_symbols does.
 *
 * Addresses are RVAs within a Windows image, which cannot exceed 4 GiB
 * (SizeOfImage is a DWORD); a record whose range ends past 2^32 is counted
 * as malformed and skipped. */
#ifndef COR_SYM_BREAKPAD_H
#define COR_SYM_BREAKPAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"
#include "sym/symbols.h"

typedef struct bp_line {
    uint32_t rva, size;
    uint32_t line;
    uint32_t file_id; /* FILE number as written; name through bp_file_name() */
} bp_line;

typedef struct bp_func {
    uint32_t rva, size;
    uint32_t param_size;
    bool multiple;       /* "FUNC m": several symbols share this address (ICF) */
    const char *name;
    uint32_t first_line; /* index into bp_symbols.lines */
    uint32_t nlines;     /* sorted by rva */
    uint32_t first_inline, ninlines; /* index into bp_symbols.inlines */
} bp_func;

typedef struct bp_public {
    uint32_t rva;
    uint32_t param_size;
    bool multiple;
    const char *name;
} bp_public;

typedef struct bp_file {
    uint32_t id;
    const char *name;
} bp_file;

typedef struct bp_inline_origin {
    uint32_t id;
    const char *name;
} bp_inline_origin;

/* INLINE <depth> <call_site_line> <call_site_file> <origin> [<rva> <size>]+ */
typedef struct bp_inline {
    uint32_t depth;
    uint32_t call_line;
    uint32_t call_file_id;
    uint32_t origin_id;
    uint32_t first_range, nranges; /* index into bp_symbols.inline_ranges */
} bp_inline;

typedef struct bp_range {
    uint32_t rva, size;
} bp_range;

/* STACK WIN types (the FRAME_* values of DIA's IDiaFrameData). */
enum { BP_WIN_FPO = 0, BP_WIN_TRAP = 1, BP_WIN_TSS = 2, BP_WIN_STANDARD = 3, BP_WIN_FRAME_DATA = 4 };

/* STACK WIN <type> <rva> <code_size> <prologue_size> <epilogue_size>
 *   <parameter_size> <saved_register_size> <local_size> <max_stack_size>
 *   <has_program_string> <program_string | allocates_base_pointer> */
typedef struct bp_stack_win {
    uint32_t type;
    uint32_t rva, code_size;
    uint32_t prologue_size, epilogue_size;
    uint32_t param_size, saved_regs_size, locals_size, max_stack_size;
    bool has_program;
    bool allocates_base_pointer; /* meaningful when !has_program */
    const char *program;         /* postfix program, or NULL */
} bp_stack_win;

/* STACK CFI INIT <rva> <size> <rules>, then STACK CFI <rva> <rules> lines
 * that change the rules from their address onwards. */
typedef struct bp_cfi_delta {
    uint32_t rva;
    const char *rules;
} bp_cfi_delta;

typedef struct bp_cfi {
    uint32_t rva, size;
    const char *init_rules;
    uint32_t first_delta, ndeltas; /* index into bp_symbols.cfi_deltas, by rva */
} bp_cfi;

/* Rules in effect at an address: init_rules, then deltas[0..ndeltas) in
 * order (each overrides the registers it names). */
typedef struct bp_cfi_rules {
    const bp_cfi *cfi;
    const char *init_rules;
    const bp_cfi_delta *deltas;
    size_t ndeltas;
} bp_cfi_rules;

typedef struct bp_symbols {
    /* MODULE <os> <arch> <debug_id> <debug_file> */
    const char *os, *arch, *debug_id, *debug_file;
    /* INFO CODE_ID <code_id> [<code_file>]; NULL when absent */
    const char *code_id, *code_file;

    bp_file *files;               size_t nfiles;   /* by id */
    bp_func *funcs;               size_t nfuncs;   /* by rva */
    bp_line *lines;               size_t nlines;   /* grouped per function */
    bp_public *publics;           size_t npublics; /* by rva */
    bp_inline_origin *origins;    size_t norigins; /* by id */
    bp_inline *inlines;           size_t ninlines;
    bp_range *inline_ranges;      size_t ninline_ranges;
    bp_stack_win *stack_win;      size_t nstack_win; /* by type, then rva */
    bp_cfi *cfi;                  size_t ncfi;       /* by rva */
    bp_cfi_delta *cfi_deltas;     size_t ncfi_deltas;

    size_t malformed;     /* lines skipped because they could not be parsed */
    size_t first_malformed_line; /* 1-based line number of the first, 0 if none */
    size_t unknown;       /* lines of record types this reader does not know */

    /* Owned storage (the mapping or the copy the strings point into). */
    char *buf;
    size_t buf_size;
    bool mapped;
} bp_symbols;

/* Parses the .sym file at path. A file whose first line is not a MODULE
 * record is refused; malformed lines later on are skipped and counted. */
int bp_open(const char *path, bp_symbols **out, cor_err *err);
/* The same over bytes the caller owns (copied once; need not outlive). */
int bp_open_mem(const void *data, size_t size, bp_symbols **out, cor_err *err);
void bp_close(bp_symbols *bp);

/* The FUNC containing rva, or NULL. */
const bp_func *bp_find_func(const bp_symbols *bp, uint32_t rva);
/* The line record of f containing rva, or NULL. */
const bp_line *bp_find_line(const bp_symbols *bp, const bp_func *f, uint32_t rva);
/* Breakpad's rule for addresses outside every FUNC: the nearest PUBLIC at or
 * below rva, unless a FUNC starts between it and rva. NULL otherwise. */
const bp_public *bp_find_public(const bp_symbols *bp, uint32_t rva);
/* FILE name by number, or NULL. */
const char *bp_file_name(const bp_symbols *bp, uint32_t id);
const char *bp_inline_origin_name(const bp_symbols *bp, uint32_t id);
/* The INLINE records of f whose ranges hold rva, outermost first, into
 * out[0..max); returns how many are active (which can exceed max: only max
 * are written). A record's parent is the nearest record before it one
 * nesting level up, as dump_syms writes them and Breakpad's resolver reads
 * them; a record counts only inside its parent's chain. */
size_t bp_find_inlines(const bp_symbols *bp, const bp_func *f, uint32_t rva, const bp_inline **out, size_t max);

/* The STACK WIN record of that type covering rva (the innermost when they
 * nest), or NULL. */
const bp_stack_win *bp_find_stack_win_type(const bp_symbols *bp, uint32_t type, uint32_t rva);
/* What Breakpad's x86 unwinder uses: FrameData (type 4) first, then FPO. */
const bp_stack_win *bp_find_stack_win(const bp_symbols *bp, uint32_t rva);
/* The CFI rules in effect at rva; false when no STACK CFI INIT covers it. */
bool bp_find_cfi(const bp_symbols *bp, uint32_t rva, bp_cfi_rules *out);

/* A sym_source over the file at path (kind SYM_KIND_BREAKPAD). */
int breakpad_open(const char *path, sym_source *out, cor_err *err);
int breakpad_open_mem(const void *data, size_t size, sym_source *out, cor_err *err);
/* The parsed symbols behind a source made by breakpad_open*, else NULL. */
bp_symbols *breakpad_symbols(const sym_source *s);

/* Breakpad's symbol-directory layout: dir/<debug_file>/<debug_id>/<debug_file
 * minus ".pdb">.sym, e.g. symbols/test_app.pdb/5A98...FF1/test_app.sym.
 * debug_file may be a full Windows path; only its last component is used.
 * Writes the malloc'd path of an existing file into *path_out, or fails. */
int breakpad_find_in_dir(const char *dir, const char *debug_file, const char *debug_id, char **path_out,
                         cor_err *err);
/* The same for a module's CodeView record (PDB name + GUID/signature + age). */
int breakpad_find_for_codeview(const char *dir, const md_codeview *cv, char **path_out, cor_err *err);

#endif
