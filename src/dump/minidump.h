/* The MINIDUMP file: mapped once, indexed once at open, read lazily.
 *
 * md_open() maps the file read-only, validates the header and the stream
 * directory, and parses the small index streams (threads, modules, memory
 * ranges, exception, system and misc info). Large data (memory contents,
 * handle names, token blobs) stays in the mapping and is decoded on demand.
 * Nothing here copies dump memory.
 *
 * Layouts: minidumpapiset.h as documented on learn.microsoft.com, cross-read
 * with rust-minidump's minidump-common/src/format.rs and LLVM's
 * MinidumpConstants.def. */
#ifndef COR_DUMP_MINIDUMP_H
#define COR_DUMP_MINIDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Stream types (MINIDUMP_STREAM_TYPE). */
enum {
    MD_STREAM_UNUSED = 0,
    MD_STREAM_THREAD_LIST = 3,
    MD_STREAM_MODULE_LIST = 4,
    MD_STREAM_MEMORY_LIST = 5,
    MD_STREAM_EXCEPTION = 6,
    MD_STREAM_SYSTEM_INFO = 7,
    MD_STREAM_THREAD_EX_LIST = 8,
    MD_STREAM_MEMORY64_LIST = 9,
    MD_STREAM_COMMENT_A = 10,
    MD_STREAM_COMMENT_W = 11,
    MD_STREAM_HANDLE_DATA = 12,
    MD_STREAM_FUNCTION_TABLE = 13,
    MD_STREAM_UNLOADED_MODULE_LIST = 14,
    MD_STREAM_MISC_INFO = 15,
    MD_STREAM_MEMORY_INFO_LIST = 16,
    MD_STREAM_THREAD_INFO_LIST = 17,
    MD_STREAM_HANDLE_OPERATION_LIST = 18,
    MD_STREAM_TOKEN = 19,
    MD_STREAM_JAVASCRIPT_DATA = 20,
    MD_STREAM_SYSTEM_MEMORY_INFO = 21,
    MD_STREAM_PROCESS_VM_COUNTERS = 22,
    MD_STREAM_IPT_TRACE = 23,
    MD_STREAM_THREAD_NAMES = 24,
};

/* SystemInfo processor architectures. */
enum {
    MD_ARCH_X86 = 0,
    MD_ARCH_ARM = 5,
    MD_ARCH_IA64 = 6,
    MD_ARCH_AMD64 = 9,
    MD_ARCH_ARM64 = 12,
    MD_ARCH_UNKNOWN = 0xFFFF,
};

typedef struct md_loc {
    uint32_t size;
    uint32_t rva;
} md_loc;

typedef struct md_stream {
    uint32_t type;
    md_loc loc;
} md_stream;

typedef struct md_thread {
    uint32_t tid;
    uint32_t suspend_count;
    uint32_t priority_class;
    uint32_t priority;
    uint64_t teb;
    uint64_t stack_start;
    md_loc stack;      /* the stack memory as captured */
    md_loc context;    /* raw CONTEXT record; decode with md_context_read */
    md_loc backing_store; /* ThreadExList only */
    const char *name;  /* from ThreadNames, or NULL */
} md_thread;

/* VS_FIXEDFILEINFO (52 bytes). */
typedef struct md_version {
    uint32_t signature; /* 0xFEEF04BD when present */
    uint32_t file_ms, file_ls, product_ms, product_ls;
    uint32_t flags_mask, flags, os, type, subtype;
    uint32_t date_ms, date_ls;
} md_version;

enum { MD_CV_NONE = 0, MD_CV_RSDS = 1, MD_CV_NB10 = 2 };

/* A CodeView record: identifies the PDB that matches an image. */
typedef struct md_codeview {
    int kind;          /* MD_CV_* */
    uint8_t guid[16];  /* RSDS, in file byte order (Data1..3 little-endian) */
    uint32_t signature; /* NB10 */
    uint32_t age;
    const char *pdb_path; /* UTF-8, or NULL */
} md_codeview;

typedef struct md_module {
    uint64_t base;
    uint32_t size;
    uint32_t checksum;
    uint32_t timestamp;
    const char *path;  /* full path as recorded (UTF-8); never NULL */
    const char *name;  /* points into path: the file name after the last '\' or '/' */
    md_version version;
    md_codeview cv;
    md_loc misc;
} md_module;

typedef struct md_unloaded_module {
    uint64_t base;
    uint32_t size, checksum, timestamp;
    const char *path;
} md_unloaded_module;

/* One captured memory range, from MemoryList or Memory64List. */
typedef struct md_range {
    uint64_t start;
    uint64_t size;
    uint64_t file_off; /* where the bytes sit in the file */
} md_range;

typedef struct md_exception {
    uint32_t tid;
    uint32_t code;
    uint32_t flags;
    uint64_t record;   /* nested EXCEPTION_RECORD pointer */
    uint64_t address;
    uint32_t nparams;  /* as recorded; params[] holds min(nparams, 15) */
    uint64_t params[15];
    md_loc context;
} md_exception;

typedef struct md_system_info {
    uint16_t arch;
    uint16_t level, revision;
    uint8_t nprocs;
    uint8_t product_type; /* 1 workstation, 2 domain controller, 3 server */
    uint32_t major, minor, build, platform;
    uint16_t suite_mask;
    const char *csd_version; /* service pack string, "" if none */
    /* x86: vendor id "GenuineIntel" etc; others: empty */
    char vendor[13];
    uint32_t cpu_version_info, cpu_feature_info, amd_extended_features;
    uint64_t processor_features[2];
} md_system_info;

/* MINIDUMP_MISC_INFO_N: a field is meaningful only when its flag is set. */
enum {
    MD_MISC_PROCESS_ID = 0x1,
    MD_MISC_PROCESS_TIMES = 0x2,
    MD_MISC_PROCESSOR_POWER = 0x4,
    MD_MISC_PROCESS_INTEGRITY = 0x10,
    MD_MISC_PROCESS_EXECUTE_FLAGS = 0x20,
    MD_MISC_TIMEZONE = 0x40,
    MD_MISC_PROTECTED_PROCESS = 0x80,
    MD_MISC_BUILDSTRING = 0x100,
    MD_MISC_PROCESS_COOKIE = 0x200,
};

typedef struct md_misc_info {
    uint32_t size_of_info; /* 24/44/232/832/1364 for versions 1..5 */
    int version;           /* 1..5 */
    uint32_t flags;
    uint32_t pid;
    uint32_t create_time;  /* time_t */
    uint32_t user_time, kernel_time; /* seconds */
    uint32_t max_mhz, current_mhz, mhz_limit, max_idle_state, current_idle_state;
    uint32_t integrity_level, execute_flags, protected_process;
    uint32_t time_zone_id;
    int32_t tz_bias, tz_standard_bias, tz_daylight_bias;
    char *tz_standard_name, *tz_daylight_name;
    char *build_string, *dbg_bld_str;
    uint32_t process_cookie;
} md_misc_info;

typedef struct md_handle {
    uint64_t handle;
    const char *type_name;   /* may be NULL */
    const char *object_name; /* may be NULL */
    uint32_t attributes, granted_access, handle_count, pointer_count;
    uint32_t object_info_rva; /* v2 only, 0 otherwise */
} md_handle;

/* MINIDUMP_HANDLE_OBJECT_INFORMATION_TYPE: what a HandleData v2
 * descriptor's object information holds (the NtQuery*Information result
 * for the object, as dbghelp stored it). */
enum {
    MD_HANDLE_INFO_NONE = 0,
    MD_HANDLE_INFO_THREAD1 = 1,
    MD_HANDLE_INFO_MUTANT1 = 2,    /* MUTANT_BASIC_INFORMATION */
    MD_HANDLE_INFO_MUTANT2 = 3,    /* the owner's CLIENT_ID */
    MD_HANDLE_INFO_PROCESS1 = 4,
    MD_HANDLE_INFO_PROCESS2 = 5,
    MD_HANDLE_INFO_EVENT1 = 6,     /* EVENT_BASIC_INFORMATION */
    MD_HANDLE_INFO_SECTION1 = 7,
    MD_HANDLE_INFO_SEMAPHORE1 = 8, /* SEMAPHORE_BASIC_INFORMATION */
};

/* One entry of a handle's object information chain. */
typedef struct md_handle_object_info {
    uint32_t type;  /* MD_HANDLE_INFO_* (other values kept as read) */
    md_loc data;    /* the information's bytes in the file */
} md_handle_object_info;

typedef struct md_thread_info {
    uint32_t tid, dump_flags, dump_error, exit_status;
    uint64_t create_time, exit_time, kernel_time, user_time; /* FILETIME units (100 ns) */
    uint64_t start_address, affinity;
} md_thread_info;

typedef struct md_memory_info {
    uint64_t base, allocation_base;
    uint32_t allocation_protect;
    uint64_t region_size;
    uint32_t state, protect, type;
} md_memory_info;

/* ProcessVmCounters (_1 or _2); fields absent from the revision are 0. */
typedef struct md_vm_counters {
    uint16_t revision, flags;
    uint32_t page_fault_count;
    uint64_t peak_working_set, working_set, quota_peak_paged_pool, quota_paged_pool,
        quota_peak_nonpaged_pool, quota_nonpaged_pool, pagefile_usage, peak_pagefile_usage,
        peak_virtual_size, virtual_size, private_usage, private_working_set, shared_commit_usage,
        job_shared_commit_usage, job_private_commit_usage, job_peak_private_commit_usage,
        job_private_commit_limit, job_total_commit_limit;
} md_vm_counters;

/* SystemMemoryInfo (MINIDUMP_SYSTEM_MEMORY_INFO_1): the machine's memory
 * when the dump was written. Page counts are in pages of page_size bytes. */
typedef struct md_system_memory {
    uint16_t revision, flags;
    uint32_t timer_resolution, page_size, physical_pages, allocation_granularity;
    uint64_t min_user_address, max_user_address, active_processor_mask;
    uint32_t processors;
    uint64_t file_cache_current, file_cache_peak;
    bool has_basic_perf; /* flags & MINIDUMP_SYSMEMINFO1_BASICPERF */
    uint64_t available_pages, committed_pages, commit_limit, peak_commitment;
} md_system_memory;

typedef struct md_token {
    uint32_t token_id;
    uint64_t handle;
    md_loc blob;
} md_token;

/* One FunctionTable descriptor: a dynamic (JIT) function table. */
typedef struct md_function_table {
    uint64_t min_address, max_address, base_address;
    uint32_t entry_count;
    md_loc native_descriptor;
    md_loc entries; /* entry_count RUNTIME_FUNCTION records */
} md_function_table;

typedef struct md_dump md_dump;

/* Opens and indexes a dump. On failure returns COR_FAIL with a message that
 * says what is wrong (the caller adds the file name). */
int md_open(const char *path, md_dump **out, cor_err *err);
/* Same, over bytes the caller owns (fuzzing, tests); they must outlive the dump. */
int md_open_mem(const void *data, size_t size, md_dump **out, cor_err *err);
void md_close(md_dump *d);

/* Raw access: a pointer to [rva, rva+size) of the file, or NULL if out of bounds. */
const uint8_t *md_file_bytes(const md_dump *d, uint64_t rva, uint64_t size);
uint64_t md_file_size(const md_dump *d);

uint32_t md_header_version(const md_dump *d);
uint64_t md_header_flags(const md_dump *d);   /* MINIDUMP_TYPE */
uint32_t md_header_timestamp(const md_dump *d);

size_t md_stream_count(const md_dump *d);
const md_stream *md_stream_at(const md_dump *d, size_t i);
/* The first stream of a type, or NULL. */
const md_stream *md_find_stream(const md_dump *d, uint32_t type);
const char *md_stream_type_name(uint32_t type);

/* Index streams, parsed at open. Counts are 0 when the stream is absent. */
size_t md_thread_count(const md_dump *d);
const md_thread *md_thread_at(const md_dump *d, size_t i);
const md_thread *md_thread_by_tid(const md_dump *d, uint32_t tid);
/* The index of the first thread with id tid, or (size_t)-1. */
size_t md_thread_index_by_tid(const md_dump *d, uint32_t tid);
size_t md_module_count(const md_dump *d);
const md_module *md_module_at(const md_dump *d, size_t i);
const md_module *md_module_by_addr(const md_dump *d, uint64_t addr);
size_t md_unloaded_count(const md_dump *d);
const md_unloaded_module *md_unloaded_at(const md_dump *d, size_t i);
/* Memory ranges sorted by start address (MemoryList and Memory64List merged). */
size_t md_range_count(const md_dump *d);
const md_range *md_range_at(const md_dump *d, size_t i);
bool md_has_memory64(const md_dump *d);

const md_exception *md_get_exception(const md_dump *d);     /* NULL if none */
const md_system_info *md_get_system_info(const md_dump *d); /* NULL if none */
const md_misc_info *md_get_misc_info(const md_dump *d);     /* NULL if none */
const md_vm_counters *md_get_vm_counters(const md_dump *d); /* NULL if none */
const md_system_memory *md_get_system_memory(const md_dump *d); /* NULL if none */

/* Lazily parsed streams: the first call parses, later calls return the
 * same arrays. A malformed stream yields COR_FAIL with a message; an
 * absent one yields COR_OK and count 0. */
int md_handles(md_dump *d, const md_handle **out, size_t *count, cor_err *err);
/* The object information chain of a HandleData v2 descriptor
 * (object_info_rva): up to max entries into out; returns how many. The
 * chain ends at a zero RVA, at an entry that does not fit in the file, or
 * after 64 entries (a loop). */
size_t md_handle_object_infos(const md_dump *d, const md_handle *h, md_handle_object_info *out, size_t max);
int md_thread_infos(md_dump *d, const md_thread_info **out, size_t *count, cor_err *err);
const md_thread_info *md_thread_info_by_tid(md_dump *d, uint32_t tid);
int md_memory_infos(md_dump *d, const md_memory_info **out, size_t *count, cor_err *err);
int md_tokens(md_dump *d, const md_token **out, size_t *count, cor_err *err);
int md_function_tables(md_dump *d, const md_function_table **out, size_t *count, cor_err *err);
/* CommentStreamA/W decoded to UTF-8, or NULL when absent. */
const char *md_comment_a(md_dump *d);
const char *md_comment_w(md_dump *d);

/* Reads a MINIDUMP_STRING at rva into a malloc'd UTF-8 string. */
char *md_read_string(const md_dump *d, uint32_t rva);

/* Version numbers as "a.b.c.d". buf must hold 48 bytes. */
const char *md_version_str(uint32_t ms, uint32_t ls, char *buf);
/* The PDB signature as symbol stores key it: GUID hex + age hex. buf 48 bytes. */
const char *md_codeview_id(const md_codeview *cv, char *buf);

const char *md_arch_name(uint16_t arch);

#endif
