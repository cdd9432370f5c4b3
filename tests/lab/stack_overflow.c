/*
 * stack_overflow.c - unbounded recursion until the stack runs out.
 *
 *   main -> lab_start_recursion -> lab_recurse -> lab_recurse -> ...
 *
 * Each lab_recurse frame holds a 256-byte volatile buffer and does work after
 * the recursive call, so the compiler can turn it neither into a loop nor
 * into a tail call.  The exception is 0xC00000FD on the main thread.  Run it
 * under `capture -e -c 0xC00000FD` (first chance, as ProcDump's -e 1 -f
 * C00000FD) or plain `capture -e` (second chance).
 */
#include "lab.h"

#define LAB_FRAME_PAD 256

volatile unsigned lab_depth_reached;

/* The recursion is the point. */
#pragma clang diagnostic ignored "-Winfinite-recursion"

LAB_NOINLINE unsigned lab_recurse(unsigned depth)
{
    volatile char pad[LAB_FRAME_PAD];

    pad[0] = (char)depth;
    pad[LAB_FRAME_PAD - 1] = (char)depth;
    lab_depth_reached = depth;
    return lab_recurse(depth + 1) + pad[0] + pad[LAB_FRAME_PAD - 1];
}

LAB_NOINLINE unsigned lab_start_recursion(void)
{
    return lab_recurse(0) + 1;
}

int main(void)
{
    struct lab_facts facts;
    NT_TIB *tib = (NT_TIB *)NtCurrentTeb();

    lab_facts_begin(&facts, "stack_overflow");
    lab_set_thread_name(GetCurrentThread(), L"lab overflow");
    lab_fact_u64(&facts, "threads.lab", 1);
    lab_fact_u64(&facts, "tid.main", GetCurrentThreadId());     /* the same thread as overflow */
    /* Thousands of lab_recurse frames, then lab_start_recursion and main:
     * stack.overflow names the repeated frame once. */
    lab_fact_thread(&facts, "overflow", GetCurrentThreadId(), "lab_recurse",
                    "lab_recurse,lab_start_recursion,main", NULL, L"lab overflow");
    lab_fact_hex(&facts, "exception.code", 0xc00000fd);
    lab_fact_u64(&facts, "exception.tid", GetCurrentThreadId());
    lab_fact_str(&facts, "exception.func", "lab_recurse");
    lab_fact_str(&facts, "overflow.repeated", "lab_recurse");
    lab_fact_str(&facts, "overflow.bottom", "lab_start_recursion,main");
    lab_fact_u64(&facts, "recursion.pad_bytes", LAB_FRAME_PAD);
    lab_fact_ptr(&facts, "overflow.stack_base", tib->StackBase);
    LAB_FACT_SYM(&facts, main);
    LAB_FACT_SYM(&facts, lab_start_recursion);
    LAB_FACT_SYM(&facts, lab_recurse);
    lab_facts_finish(&facts);

    return (int)lab_start_recursion();
}
