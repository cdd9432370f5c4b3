#include "dump/ntstatus.h"

#include <stddef.h>

/* ntstatus.h values; the descriptions follow WinDbg's .exr wording. */
static const struct {
    uint32_t code;
    const char *symbol;
    const char *name;
} codes[] = {
    { 0x80000002, "STATUS_DATATYPE_MISALIGNMENT", "Data misaligned" },
    { 0x80000003, "STATUS_BREAKPOINT", "Break instruction exception" },
    { 0x80000004, "STATUS_SINGLE_STEP", "Single step exception" },
    { 0xC0000005, "STATUS_ACCESS_VIOLATION", "Access violation" },
    { 0xC0000006, "STATUS_IN_PAGE_ERROR", "In-page I/O error" },
    { 0xC0000008, "STATUS_INVALID_HANDLE", "Invalid handle" },
    { 0xC000000D, "STATUS_INVALID_PARAMETER", "Invalid parameter" },
    { 0xC0000017, "STATUS_NO_MEMORY", "Insufficient memory" },
    { 0xC000001D, "STATUS_ILLEGAL_INSTRUCTION", "Illegal instruction" },
    { 0xC0000025, "STATUS_NONCONTINUABLE_EXCEPTION", "Noncontinuable exception" },
    { 0xC0000026, "STATUS_INVALID_DISPOSITION", "Invalid disposition" },
    { 0xC000008C, "STATUS_ARRAY_BOUNDS_EXCEEDED", "Array bounds exceeded" },
    { 0xC000008D, "STATUS_FLOAT_DENORMAL_OPERAND", "Floating-point denormal operand" },
    { 0xC000008E, "STATUS_FLOAT_DIVIDE_BY_ZERO", "Floating-point division by zero" },
    { 0xC000008F, "STATUS_FLOAT_INEXACT_RESULT", "Floating-point inexact result" },
    { 0xC0000090, "STATUS_FLOAT_INVALID_OPERATION", "Floating-point invalid operation" },
    { 0xC0000091, "STATUS_FLOAT_OVERFLOW", "Floating-point overflow" },
    { 0xC0000092, "STATUS_FLOAT_STACK_CHECK", "Floating-point stack check" },
    { 0xC0000093, "STATUS_FLOAT_UNDERFLOW", "Floating-point underflow" },
    { 0xC0000094, "STATUS_INTEGER_DIVIDE_BY_ZERO", "Integer division by zero" },
    { 0xC0000095, "STATUS_INTEGER_OVERFLOW", "Integer overflow" },
    { 0xC0000096, "STATUS_PRIVILEGED_INSTRUCTION", "Privileged instruction" },
    { 0xC00000FD, "STATUS_STACK_OVERFLOW", "Stack overflow" },
    { 0xC0000135, "STATUS_DLL_NOT_FOUND", "Unable to locate DLL" },
    { 0xC0000142, "STATUS_DLL_INIT_FAILED", "DLL initialization failed" },
    { 0xC000013A, "STATUS_CONTROL_C_EXIT", "Control-C exit" },
    { 0xC0000194, "STATUS_POSSIBLE_DEADLOCK", "Possible deadlock condition" },
    { 0xC0000374, "STATUS_HEAP_CORRUPTION", "A heap has been corrupted" },
    { 0xC0000409, "STATUS_STACK_BUFFER_OVERRUN", "Security check failure or stack buffer overrun" },
    { 0xC0000417, "STATUS_INVALID_CRUNTIME_PARAMETER", "An invalid parameter was passed to a C runtime function" },
    { 0xC0000420, "STATUS_ASSERTION_FAILURE", "Assertion failure" },
    { 0xC0000602, "STATUS_FAIL_FAST_EXCEPTION", "Fail fast exception" },
    { 0xE06D7363, "CPP_EH_EXCEPTION", "C++ EH exception" },
    { 0xE0434352, "CLR_EXCEPTION", "CLR exception" },
    { 0xE0434F4D, "CLR_EXCEPTION_V1", "CLR exception (.NET 1.x)" },
    { 0x406D1388, "MS_VC_EXCEPTION_SET_THREAD_NAME", "Thread name set (debugger notification)" },
    { 0x4000001F, "STATUS_WX86_BREAKPOINT", "WoW64 break instruction exception" },
};

static size_t find(uint32_t code)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].code == code) return i;
    return (size_t)-1;
}

const char *md_exception_name(uint32_t code)
{
    size_t i = find(code);
    return i == (size_t)-1 ? NULL : codes[i].name;
}

const char *md_exception_symbol(uint32_t code)
{
    size_t i = find(code);
    return i == (size_t)-1 ? NULL : codes[i].symbol;
}
