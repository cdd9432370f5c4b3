/* The dump summary every analysis report starts with: what kind of dump,
 * which system, which process, and the exception if there is one. */
#ifndef COR_ANALYSIS_SUMMARY_H
#define COR_ANALYSIS_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "analysis/crash.h"
#include "analysis/stacks.h"
#include "analysis/iis.h"
#include "analysis/waits.h"
#include "target/target.h"

typedef enum { AN_SEV_ERROR, AN_SEV_WARNING, AN_SEV_INFO } an_severity;

typedef struct an_finding {
    an_severity severity;
    char *title;
    char *detail;
    char *recommendation;
    int rank;     /* within a severity, DebugDiag's order (an_rank); then as added */
    size_t seq;
} an_finding;

/* DebugDiag's order of findings within one severity. */
enum an_rank {
    AN_RANK_EXCEPTION = 0,
    AN_RANK_DEADLOCK,
    AN_RANK_LOADER_LOCK,
    AN_RANK_CONTENTION,   /* many threads blocked on one lock or resource */
    AN_RANK_CPU,
    AN_RANK_WAITS,
    AN_RANK_PROCESS,      /* what the process is (IIS application pool...) */
    AN_RANK_GENERAL,
};

typedef struct an_exception {
    uint32_t tid;
    size_t thread_index;      /* (size_t)-1 when the thread is not in the list */
    uint32_t code;
    const char *name;         /* "Access violation" or NULL */
    const char *symbol;       /* "STATUS_ACCESS_VIOLATION" or NULL */
    uint64_t address;
    const char *module;       /* module containing the address, or NULL */
    uint64_t module_offset;
    const char *function;     /* from the module's symbols, or NULL */
    uint64_t function_offset;
    const char *file;         /* source file and line, or NULL / 0 */
    uint32_t line;
    uint32_t flags;
    uint32_t nparams;
    uint64_t params[15];
    char *description;        /* "Attempt to write to address 0x45", or NULL */
} an_exception;

typedef struct an_summary {
    /* dump */
    const char *path;
    uint64_t file_size;
    uint32_t timestamp;        /* time the dump was written (time_t) */
    uint64_t dump_flags;       /* MINIDUMP_TYPE */
    bool full_memory;
    bool has_exception;
    const char *kind;          /* "crash" or "hang" (no exception record) */
    size_t nstreams;
    /* system */
    const char *os_name;
    char os_name_buf[64];
    uint32_t os_major, os_minor, os_build;
    const char *service_pack;
    const char *build_string;  /* MiscInfo v4+, or NULL */
    const char *arch;
    unsigned processors;
    const char *product_type;
    /* process */
    const char *process_name;  /* main module's file name, or NULL */
    const char *image_path;    /* main module path, or PEB image path */
    char *command_line;        /* from the PEB, or NULL */
    bool has_pid;
    uint32_t pid;
    bool has_times;
    uint32_t create_time;      /* time_t */
    int64_t uptime_seconds;    /* dump time minus process creation */
    uint32_t user_seconds, kernel_seconds;
    size_t nthreads, nmodules;
    /* exception */
    an_exception exception;
    an_crash crash;            /* the verdict (crash.present when there is an exception) */
    an_stacks stacks;          /* every thread's stack */
    an_waits waits;            /* what each thread waits on, locks, deadlocks */
    an_iis iis;                /* IIS worker process facts (iis.is_w3wp) and hosted runtimes */
    /* findings, most severe first */
    an_finding *findings;
    size_t nfindings;
} an_summary;

int an_summarize(cor_target *t, an_summary *out, cor_err *err);
/* Adds a finding (takes the strings; NULL detail or recommendation allowed). */
void an_add_finding(an_summary *s, an_severity sev, int rank, char *title, char *detail, char *rec);
/* Findings from the waits (hang.c): deadlocks, contention, CPU. */
void an_hang_findings(cor_target *t, an_summary *s);
/* printf into a new string ("" when out of memory). */
char *an_fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
void an_summary_free(an_summary *s);
const char *an_severity_name(an_severity s);

#endif
