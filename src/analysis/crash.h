/* The crash verdict, as `!analyze -v` gives it: what the exception means,
 * its parameters decoded, the faulting frame and instruction, the thread,
 * recursion collapsed for stack overflows, and a stable bucket id. */
#ifndef COR_ANALYSIS_CRASH_H
#define COR_ANALYSIS_CRASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/stacks.h"
#include "target/target.h"

typedef enum { AN_CHANCE_UNKNOWN = 0, AN_CHANCE_FIRST, AN_CHANCE_SECOND } an_chance;

typedef struct an_crash {
    bool present;             /* false: the dump has no exception */
    uint32_t code;
    const char *symbol;       /* "STATUS_ACCESS_VIOLATION", or NULL */
    const char *name;         /* "Access violation", or NULL */
    uint64_t address;         /* ExceptionAddress */
    uint32_t flags;
    uint32_t nparams;
    uint64_t params[15];
    an_chance chance;         /* from the dump's comment, when it says */
    char class_name[48];      /* bucket class: "NULL_POINTER_WRITE", "STACK_OVERFLOW", ... */
    char meaning[1600];       /* one sentence on what happened */
    char param_text[4][160];  /* each decoded parameter, "" when not decoded */
    /* Access violations */
    bool is_av;
    char av_access[16];       /* "read", "write", "execute" */
    uint64_t av_address;
    /* 0xC0000409 */
    const char *fast_fail;    /* FAST_FAIL_* name, or NULL */
    uint64_t fast_fail_code;
    /* 0xE06D7363: the thrown C++ type, undecorated ("std::runtime_error") */
    char cpp_type[256];
    /* 0xE0434352 and friends: the managed layer has to say more. */
    bool managed;
    /* The faulting thread and its stack (from the exception context). */
    uint32_t tid;
    size_t thread_index;      /* (size_t)-1 when the thread is not in the list */
    an_thread_stack stack;    /* every frame */
    size_t fault_frame;       /* the frame blamed: first outside system modules */
    char fault_frame_name[600];
    char instruction[256];    /* the faulting instruction, disassembled; "" if unreadable */
    /* Recursion (stack overflows, or any stack that repeats). */
    bool recursion;
    size_t cycle_start;       /* first frame of the repeating part */
    size_t cycle_len;         /* frames per repetition */
    size_t cycle_repeats;     /* how many times the cycle repeats */
    char cycle_functions[1024]; /* the cycle's frames, innermost first, " -> " joined */
    char bucket[700];         /* "ACCESS_VIOLATION_c0000005_app.exe!function" */
} an_crash;

int an_analyze_crash(cor_target *t, an_crash *out, cor_err *err);
void an_crash_free(an_crash *c);

#endif
