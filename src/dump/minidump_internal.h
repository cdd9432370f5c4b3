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
