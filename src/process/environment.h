/* The process and thread environment blocks, read from dump memory:
 * PEB (image path, command line, environment, current directory, heaps,
 * loader data) and TEB (stack bounds, last error, TLS), for x64, x86 and
 * WoW64 processes (a 32-bit process dumped by a 64-bit tool carries both a
 * 64-bit and a 32-bit PEB/TEB; the 32-bit ones describe the program).
 *
 * Offsets are those of the public symbols of ntdll (winternl.h plus the
 * layouts dt ntdll!_PEB shows), stable since Windows XP for the fields
 * used here. */
#ifndef COR_PROCESS_ENVIRONMENT_H
#define COR_PROCESS_ENVIRONMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"

typedef struct proc_peb {
    uint64_t addr;
    unsigned ptr_size;       /* 4 for x86 and WoW64's 32-bit PEB, else 8 */
    bool wow64;              /* true when this is the 32-bit PEB of a WoW64 process */
    uint8_t inherited_address_space;
    uint8_t read_image_file_exec_options;
    uint8_t being_debugged;
    uint64_t image_base;
    uint64_t ldr;
    uint64_t process_parameters;
    uint64_t process_heap;
    uint32_t number_of_heaps;
    uint64_t process_heaps;  /* pointer to the array of heap handles */
    uint32_t os_major, os_minor, os_build, os_platform;
    uint32_t number_of_processors;
    uint32_t nt_global_flag;
    uint32_t session_id;
    /* From RTL_USER_PROCESS_PARAMETERS; NULL when unreadable. */
    char *current_directory;
    char *dll_path;
    char *image_path;
    char *command_line;
    char *window_title;
    char *desktop_info;
    uint64_t environment_addr; /* RTL_USER_PROCESS_PARAMETERS.Environment */
    char **environment;      /* "NAME=value" strings */
    size_t nenvironment;
} proc_peb;

typedef struct proc_teb {
    uint64_t addr;
    unsigned ptr_size;
    bool wow64;
    uint64_t exception_list; /* x86 SEH chain head */
    uint64_t sub_system_tib, fiber_data, arbitrary_user_pointer;
    uint64_t stack_base;     /* highest address */
    uint64_t stack_limit;    /* lowest committed address */
    uint64_t deallocation_stack; /* lowest reserved address (stack reservation start) */
    uint64_t self;
    uint64_t environment_pointer;
    uint64_t client_pid, client_tid;
    uint64_t rpc_handle;
    uint64_t tls_pointer;    /* ThreadLocalStoragePointer */
    uint64_t peb;
    uint32_t last_error;
    uint32_t last_status;    /* LastStatusValue (NTSTATUS) */
    uint32_t owned_locks;    /* CountOfOwnedCriticalSections */
    uint32_t hard_error_mode;
} proc_teb;

/* True when the dump is of a 32-bit process captured by a 64-bit writer. */
bool proc_is_wow64(cor_target *t);

/* Reads the PEB. With prefer32 on a WoW64 dump, the 32-bit PEB. The PEB is
 * found through the first thread's TEB. */
int proc_read_peb(cor_target *t, bool prefer32, proc_peb *out, cor_err *err);
void proc_peb_free(proc_peb *p);

/* Reads the TEB of thread index i (prefer32: the WoW64 32-bit TEB). */
int proc_read_teb(cor_target *t, size_t i, bool prefer32, proc_teb *out, cor_err *err);

#endif
