/* Every thread's stack, described for reports: each frame with its module,
 * function, source line and how it was found. The exception thread starts
 * from the exception's context (as .ecxr), the others from their own. */
#ifndef COR_ANALYSIS_STACKS_H
#define COR_ANALYSIS_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target/frame_desc.h"
#include "target/target.h"
#include "unwind/unwind.h"

typedef struct an_frame {
    size_t number;       /* the frame's number in the full walk (kn's) */
    uint64_t ip, sp;
    uw_trust trust;
    const char *module;  /* module file name ("app.exe"), or NULL */
    frame_desc d;
} an_frame;

typedef struct an_thread_stack {
    size_t index;         /* in the thread list */
    uint32_t tid;
    const char *name;     /* ThreadNames, or NULL */
    bool from_exception;  /* walked from the exception's context */
    an_frame *frames;
    size_t nframes;
    size_t total_frames;  /* frames walked; nframes may keep fewer */
    const char *stop_reason; /* "" when the walk reached the thread start */
    char error[160];      /* why the stack could not be walked, or "" */
} an_thread_stack;

typedef struct an_stacks {
    an_thread_stack *threads;
    size_t count;
} an_stacks;

/* Frames kept per thread in a report; deeper stacks (recursion) keep their
 * top and bottom, and total_frames says how many there were. */
#define AN_MAX_REPORT_FRAMES 256

int an_walk_stacks(cor_target *t, an_stacks *out, cor_err *err);
void an_stacks_free(an_stacks *s);
/* The thread's walk with every frame (no trimming), for crash analysis. */
int an_walk_thread(cor_target *t, size_t index, bool from_exception, an_thread_stack *out, size_t keep,
                   cor_err *err);
void an_thread_stack_free(an_thread_stack *s);

/* "module!function+0x1a" (or module+0x..., or a bare address). */
void an_frame_name(const an_frame *f, unsigned ptr_size, char *buf, size_t size);

#endif
