/* What a stack frame's address means: module, function and source line,
 * and the calls inlined there. Shared by `k`, `!analyze -v` and `coroner
 * analyze`, so every view of a stack names frames the same way. */
#ifndef COR_TARGET_FRAME_DESC_H
#define COR_TARGET_FRAME_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/target.h"

typedef struct frame_desc {
    size_t module;            /* module index, or (size_t)-1 outside every module */
    uint64_t module_offset;
    bool has_function;
    char function[512];       /* undecorated where the source can */
    uint64_t function_offset; /* from the function's (or public's) start */
    bool is_public;           /* found only as a public or export */
    char file[512];           /* "" when unknown */
    uint32_t line;            /* 0 when unknown */
} frame_desc;

/* Describes addr. For a caller frame (is_return_address), addr is where
 * the call returns to: the source line is looked up one byte earlier, at
 * the call itself, as debuggers do, while the function+offset stays that
 * of addr. */
void target_describe(cor_target *t, uint64_t addr, bool is_return_address, frame_desc *out);

/* One call inlined at an address, outermost first. file:line is where
 * execution is inside the inlined function (for all but the innermost,
 * the call to the next one in); call_file:call_line is where its caller
 * called it, so the physical frame's line is the outermost call site. */
typedef struct frame_inline {
    char function[256];
    char file[512];      /* "" when unknown */
    uint32_t line;       /* 0 when unknown */
    char call_file[512]; /* "" when unknown */
    uint32_t call_line;  /* 0 when unknown */
} frame_inline;

/* The calls inlined at addr, outermost first, up to max; returns how many
 * were written. From PDB inline sites (S_INLINESITE) or Breakpad INLINE
 * records; 0 when none, or when the module's symbols have neither. */
size_t target_inlines_at(cor_target *t, uint64_t addr, bool is_return_address, frame_inline *out, size_t max);

#endif
