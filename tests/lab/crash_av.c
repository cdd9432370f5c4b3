/*
 * crash_av.c - an access violation four named frames deep.
 *
 *   main -> lab_level1 -> lab_level2 -> lab_level3_write_null
 *
 * lab_level3_write_null writes 0x004c4142 ("BAL") to address 0x10, so the
 * exception is 0xC0000005 with ExceptionInformation = { 1 (write), 0x10 }.
 * Facts are written before the fault; run it under `capture -e`.
 */
#include "lab.h"

#include <stdint.h>

#define LAB_BAD_ADDRESS 0x10

/* volatile so the compiler cannot see the constant and treat the store as
 * undefined behaviour to be optimised away. */
volatile uintptr_t lab_bad_address = LAB_BAD_ADDRESS;
volatile int lab_sink;

LAB_NOINLINE void lab_level3_write_null(int value)
{
    volatile int *target = (volatile int *)lab_bad_address;

    *target = value;
    lab_sink = value;
}

LAB_NOINLINE void lab_level2(int value)
{
    lab_level3_write_null(value + 1);
    lab_sink++;
}

LAB_NOINLINE void lab_level1(int value)
{
    lab_level2(value + 1);
    lab_sink++;
}

int main(void)
{
    struct lab_facts facts;

    lab_facts_begin(&facts, "crash_av");
    lab_set_thread_name(GetCurrentThread(), L"lab crash");
    lab_fact_u64(&facts, "threads.lab", 1);
    lab_fact_u64(&facts, "tid.main", GetCurrentThreadId());     /* the same thread as crash */
    lab_fact_thread(&facts, "crash", GetCurrentThreadId(), "lab_level3_write_null",
                    "lab_level3_write_null,lab_level2,lab_level1,main", NULL, L"lab crash");
    lab_fact_hex(&facts, "exception.code", 0xc0000005);
    lab_fact_u64(&facts, "exception.tid", GetCurrentThreadId());
    lab_fact_str(&facts, "exception.access", "write");
    lab_fact_u64(&facts, "exception.info0", 1);
    lab_fact_hex(&facts, "exception.target", LAB_BAD_ADDRESS);
    lab_fact_str(&facts, "exception.func", "lab_level3_write_null");
    lab_fact_hex(&facts, "exception.value", 0x004c4140 + 2);
    LAB_FACT_SYM(&facts, main);
    LAB_FACT_SYM(&facts, lab_level1);
    LAB_FACT_SYM(&facts, lab_level2);
    LAB_FACT_SYM(&facts, lab_level3_write_null);
    lab_facts_finish(&facts);

    lab_level1(0x004c4140);
    return 0;
}
