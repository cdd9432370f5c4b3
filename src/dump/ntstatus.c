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

/* __fastfail codes (winnt.h FAST_FAIL_*), which a STATUS_STACK_BUFFER_OVERRUN
 * carries in its first parameter; WinDbg prints the name as "Subcode". */
static const char *const fast_fail_names[] = {
    [0] = "FAST_FAIL_LEGACY_GS_VIOLATION", [1] = "FAST_FAIL_VTGUARD_CHECK_FAILURE",
    [2] = "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE", [3] = "FAST_FAIL_CORRUPT_LIST_ENTRY",
    [4] = "FAST_FAIL_INCORRECT_STACK", [5] = "FAST_FAIL_INVALID_ARG", [6] = "FAST_FAIL_GS_COOKIE_INIT",
    [7] = "FAST_FAIL_FATAL_APP_EXIT", [8] = "FAST_FAIL_RANGE_CHECK_FAILURE",
    [9] = "FAST_FAIL_UNSAFE_REGISTRY_ACCESS", [10] = "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE",
    [11] = "FAST_FAIL_GUARD_WRITE_CHECK_FAILURE", [12] = "FAST_FAIL_INVALID_FIBER_SWITCH",
    [13] = "FAST_FAIL_INVALID_SET_OF_CONTEXT", [14] = "FAST_FAIL_INVALID_REFERENCE_COUNT",
    [18] = "FAST_FAIL_INVALID_JUMP_BUFFER", [19] = "FAST_FAIL_MRDATA_MODIFIED",
    [20] = "FAST_FAIL_CERTIFICATION_FAILURE", [21] = "FAST_FAIL_INVALID_EXCEPTION_CHAIN",
    [22] = "FAST_FAIL_CRYPTO_LIBRARY", [23] = "FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT",
    [24] = "FAST_FAIL_INVALID_IMAGE_BASE", [25] = "FAST_FAIL_DLOAD_PROTECTION_FAILURE",
    [26] = "FAST_FAIL_UNSAFE_EXTENSION_CALL", [27] = "FAST_FAIL_DEPRECATED_SERVICE_INVOKED",
    [28] = "FAST_FAIL_INVALID_BUFFER_ACCESS", [29] = "FAST_FAIL_INVALID_BALANCED_TREE",
    [30] = "FAST_FAIL_INVALID_NEXT_THREAD", [31] = "FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED",
    [32] = "FAST_FAIL_APCS_DISABLED", [33] = "FAST_FAIL_INVALID_IDLE_STATE",
    [34] = "FAST_FAIL_MRDATA_PROTECTION_FAILURE", [35] = "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION",
    [36] = "FAST_FAIL_INVALID_LOCK_STATE", [37] = "FAST_FAIL_GUARD_JUMPTABLE",
    [38] = "FAST_FAIL_INVALID_LONGJUMP_TARGET", [39] = "FAST_FAIL_INVALID_DISPATCH_CONTEXT",
    [40] = "FAST_FAIL_INVALID_THREAD", [41] = "FAST_FAIL_INVALID_SYSCALL_NUMBER",
    [42] = "FAST_FAIL_INVALID_FILE_OPERATION", [43] = "FAST_FAIL_LPAC_ACCESS_DENIED",
    [44] = "FAST_FAIL_GUARD_SS_FAILURE", [45] = "FAST_FAIL_LOADER_CONTINUITY_FAILURE",
    [46] = "FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE", [47] = "FAST_FAIL_INVALID_CONTROL_STACK",
    [48] = "FAST_FAIL_SET_CONTEXT_DENIED", [49] = "FAST_FAIL_INVALID_IAT",
    [50] = "FAST_FAIL_HEAP_METADATA_CORRUPTION", [51] = "FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION",
    [52] = "FAST_FAIL_LOW_LABEL_ACCESS_DENIED", [53] = "FAST_FAIL_ENCLAVE_CALL_FAILURE",
    [54] = "FAST_FAIL_UNHANDLED_LSS_EXCEPTON", [55] = "FAST_FAIL_ADMINLESS_ACCESS_DENIED",
    [56] = "FAST_FAIL_UNEXPECTED_CALL", [57] = "FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS",
    [58] = "FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR", [59] = "FAST_FAIL_FLAGS_CORRUPTION",
    [60] = "FAST_FAIL_VEH_CORRUPTION", [61] = "FAST_FAIL_ETW_CORRUPTION", [62] = "FAST_FAIL_RIO_ABORT",
    [63] = "FAST_FAIL_INVALID_PFN", [64] = "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE_XFG",
    [65] = "FAST_FAIL_CAST_GUARD", [66] = "FAST_FAIL_HOST_VISIBILITY_CHANGE",
    [67] = "FAST_FAIL_KERNEL_CET_SHADOW_STACK_ASSIST", [68] = "FAST_FAIL_PATCH_CALLBACK_FAILED",
    [69] = "FAST_FAIL_NTDLL_PATCH_FAILED", [70] = "FAST_FAIL_INVALID_FLS_DATA",
};

const char *md_fast_fail_name(uint64_t code)
{
    return code < sizeof fast_fail_names / sizeof fast_fail_names[0] ? fast_fail_names[code] : NULL;
}
