/* x86 unwinding: in progress (see issue 4). */
#include "unwind/unwind_internal.h"

bool x86_unwind_step(uw_walker *w, const uw_frame *frames, size_t n, uw_frame *caller)
{
    (void)w;
    (void)frames;
    (void)n;
    (void)caller;
    return false;
}
