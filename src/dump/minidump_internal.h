/* Private to src/dump: the dump object and the per-stream parsers. */
#ifndef COR_DUMP_MINIDUMP_INTERNAL_H
#define COR_DUMP_MINIDUMP_INTERNAL_H

#include "core/cursor.h"
#include "dump/minidump.h"

struct md_dump {
    const uint8_t *data;
    size_t size;
    size_t map_size; /* non-zero when we own an mmap */

    uint32_t version;
    uint64_t flags;
    uint32_t timestamp;

    md_stream *streams;
    size_t nstreams;

    md_thread *threads;
    size_t nthreads;
    size_t *thread_order; /* thread indices sorted by id (then index), for lookup by id */
    md_module *modules;
    size_t nmodules;
    size_t *module_order; /* module indices sorted by base, for address lookup */
    md_unloaded_module *unloaded;
    size_t nunloaded;
    md_range *ranges;
    size_t nranges;
    bool has_mem64;

    bool has_exception, has_sysinfo, has_misc, has_vm, has_sysmem;
    md_exception exception;
    md_system_info sysinfo;
    md_misc_info misc;
    md_vm_counters vm;
    md_system_memory sysmem;

    /* Lazily parsed streams. */
    bool handles_done, tinfo_done, minfo_done, tokens_done, ftables_done, comments_done;
    md_handle *handles;
    size_t nhandles;
    md_thread_info *tinfos;
    size_t ntinfos;
    size_t *tinfo_order; /* as thread_order, for tinfos */
    md_memory_info *minfos;
    size_t nminfos;
    md_token *tokens;
    size_t ntokens;
    md_function_table *ftables;
    size_t nftables;
    char *comment_a, *comment_w;

    /* Every string the dump hands out is owned here and freed at close. */
    char **strings;
    size_t nstrings, cap_strings;
};

/* Keeps s alive until md_close; returns s (NULL stays NULL). */
char *md_keep(md_dump *d, char *s);
/* md_read_string, owned by the dump; "" when the string is unreadable. */
const char *md_kept_string(md_dump *d, uint32_t rva);

/* Fills order with 0..n-1 sorted by the u32 thread id at tid_off in each
 * of the n entries (stride bytes apart from base), then by index, so a
 * binary search finds the first entry with an id, as a scan of the list
 * would. Lookups by id were scans, once per thread: a dump listing 50,000
 * threads kept ~ busy for seconds. */
void md_sort_by_tid(size_t *order, size_t n, const void *base, size_t stride, size_t tid_off);
/* Where in an order from md_sort_by_tid the entries with tid begin (the
 * first of them is order[pos]); n when there are none. */
size_t md_tid_position(const size_t *order, size_t n, const void *base, size_t stride, size_t tid_off,
                       uint32_t tid);

/* A bounds-checked cursor over a stream's bytes (validated at open). */
rd_cur md_stream_cursor(const md_dump *d, const md_stream *s);

int md_parse_thread_list(md_dump *d, const md_stream *s, bool ex, cor_err *err);
int md_parse_thread_names(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_module_list(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_unloaded_list(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_memory_list(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_memory64_list(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_exception(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_system_info(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_misc_info(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_vm_counters(md_dump *d, const md_stream *s, cor_err *err);
int md_parse_system_memory(md_dump *d, const md_stream *s, cor_err *err);

#endif
