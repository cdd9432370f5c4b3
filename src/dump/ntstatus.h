/* Names of exception codes (NTSTATUS values and the well-known software
 * exception codes), as WinDbg prints them. */
#ifndef COR_DUMP_NTSTATUS_H
#define COR_DUMP_NTSTATUS_H

#include <stdint.h>

/* "Access violation", "Stack overflow", ... or NULL when unknown. */
const char *md_exception_name(uint32_t code);
/* Symbolic name: "STATUS_ACCESS_VIOLATION", "CLR_EXCEPTION", ... or NULL. */
const char *md_exception_symbol(uint32_t code);

/* The __fastfail code a STATUS_STACK_BUFFER_OVERRUN (0xC0000409) carries
 * in its first parameter: "FAST_FAIL_FATAL_APP_EXIT", ... or NULL. */
const char *md_fast_fail_name(uint64_t code);

#endif
