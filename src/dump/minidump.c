/* Opening a dump: mapping, the header, the stream directory, and dispatch
 * of the index streams to their parsers. */
#include "dump/minidump_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/text.h"

#define MDMP_SIGNATURE 0x504D444Du /* "MDMP" */
#define MDMP_VERSION 42899u        /* low 16 bits of Version */
#define HDR_SIZE 32
#define HDR_Signature 0
#define HDR_Version 4
#define HDR_NumberOfStreams 8
#define HDR_StreamDirectoryRva 12
#define HDR_TimeDateStamp 20
#define HDR_Flags 24
#define DIRENT_SIZE 12

/* No real writer emits more than a few dozen streams; the bound keeps a
 * hostile count from sizing a huge allocation. */
#define MAX_STREAMS 4096

char *md_keep(md_dump *d, char *s)
{
    if (!s) return NULL;
    if (d->nstrings == d->cap_strings) {
        size_t cap = d->cap_strings ? d->cap_strings * 2 : 64;
        char **n = realloc(d->strings, cap * sizeof *n);
        if (!n) { free(s); return NULL; }
        d->strings = n;
        d->cap_strings = cap;
    }
    d->strings[d->nstrings++] = s;
    return s;
}

const uint8_t *md_file_bytes(const md_dump *d, uint64_t rva, uint64_t size)
{
    if (!span_ok(d->size, rva, size)) return NULL;
    return d->data + rva;
}

uint64_t md_file_size(const md_dump *d) { return d->size; }

char *md_read_string(const md_dump *d, uint32_t rva)
{
    const uint8_t *p = md_file_bytes(d, rva, 4);
    if (!p) return NULL;
    uint32_t len = le32(p);
    /* A MINIDUMP_STRING's Length is in bytes without the terminator. */
    const uint8_t *s = md_file_bytes(d, (uint64_t)rva + 4, len);
    if (!s) return NULL;
    return utf16le_to_utf8(s, len); /* control characters become '?' there */
}

const char *md_kept_string(md_dump *d, uint32_t rva)
{
    char *s = md_keep(d, md_read_string(d, rva));
    return s ? s : "";
}

rd_cur md_stream_cursor(const md_dump *d, const md_stream *s)
{
    return rd_make(d->data + s->loc.rva, s->loc.size);
}

const char *md_stream_type_name(uint32_t type)
{
    static const char *const names[] = {
        [0] = "Unused", [1] = "Reserved0", [2] = "Reserved1", [3] = "ThreadList",
        [4] = "ModuleList", [5] = "MemoryList", [6] = "Exception", [7] = "SystemInfo",
        [8] = "ThreadExList", [9] = "Memory64List", [10] = "CommentStreamA",
        [11] = "CommentStreamW", [12] = "HandleData", [13] = "FunctionTable",
        [14] = "UnloadedModuleList", [15] = "MiscInfo", [16] = "MemoryInfoList",
        [17] = "ThreadInfoList", [18] = "HandleOperationList", [19] = "Token",
        [20] = "JavaScriptData", [21] = "SystemMemoryInfo", [22] = "ProcessVmCounters",
        [23] = "IptTrace", [24] = "ThreadNames",
    };
    if (type < sizeof names / sizeof names[0] && names[type]) return names[type];
    switch (type) {
    case 0x47670001: return "BreakpadInfo";
    case 0x47670002: return "AssertionInfo";
    case 0x47670003: return "LinuxCpuInfo";
    case 0x47670004: return "LinuxProcStatus";
    case 0x47670005: return "LinuxLsbRelease";
    case 0x47670006: return "LinuxCmdLine";
    case 0x47670007: return "LinuxEnviron";
    case 0x47670008: return "LinuxAuxv";
    case 0x47670009: return "LinuxMaps";
    case 0x4767000A: return "LinuxDsoDebug";
    case 0x43500001: return "CrashpadInfo";
    case 0x4D7A0001: return "MozMacosCrashInfo";
    case 0x4D7A0005: return "MozSoftErrors";
    }
    if (type >= 0xFFFF) return "UserStream";
    return "Unknown";
}

const char *md_arch_name(uint16_t arch)
{
    switch (arch) {
    case MD_ARCH_X86: return "x86";
    case MD_ARCH_ARM: return "ARM";
    case MD_ARCH_IA64: return "IA64";
    case MD_ARCH_AMD64: return "AMD64";
    case MD_ARCH_ARM64: return "ARM64";
    case 3: return "PPC";
    case 0x8003: return "PPC64";
    }
    return "unknown";
}

/* The streams the index depends on must appear once: two ThreadLists (as in
 * LLDB's bad_duplicate_streams.dmp) leave no right answer, so refuse. */
static bool must_be_unique(uint32_t type)
{
    switch (type) {
    case MD_STREAM_THREAD_LIST: case MD_STREAM_MODULE_LIST: case MD_STREAM_MEMORY_LIST:
    case MD_STREAM_EXCEPTION: case MD_STREAM_SYSTEM_INFO: case MD_STREAM_THREAD_EX_LIST:
    case MD_STREAM_MEMORY64_LIST: case MD_STREAM_MISC_INFO: case MD_STREAM_MEMORY_INFO_LIST:
    case MD_STREAM_THREAD_INFO_LIST: case MD_STREAM_HANDLE_DATA: case MD_STREAM_UNLOADED_MODULE_LIST:
        return true;
    }
    return false;
}

static int cmp_loc(const void *a, const void *b)
{
    const md_stream *x = *(const md_stream *const *)a, *y = *(const md_stream *const *)b;
    return x->loc.rva < y->loc.rva ? -1 : x->loc.rva > y->loc.rva;
}

static int read_directory(md_dump *d, cor_err *err)
{
    const uint8_t *h = d->data;
    uint32_t n = le32(h + HDR_NumberOfStreams);
    uint32_t dir = le32(h + HDR_StreamDirectoryRva);
    if (n > MAX_STREAMS)
        return cor_fail(err, "stream directory claims %u streams (limit %u)", n, MAX_STREAMS);
    if (!span_ok(d->size, dir, (uint64_t)n * DIRENT_SIZE))
        return cor_fail(err, "stream directory at 0x%x with %u entries extends past end of file (%zu bytes): truncated?",
                        dir, n, d->size);
    d->streams = calloc(n ? n : 1, sizeof *d->streams);
    if (!d->streams) return cor_fail(err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = h + dir + (size_t)i * DIRENT_SIZE;
        md_stream s = { le32(e), { le32(e + 4), le32(e + 8) } };
        if (s.type == MD_STREAM_UNUSED) continue;
        if (!span_ok(d->size, s.loc.rva, s.loc.size))
            return cor_fail(err, "stream %u (%s) at 0x%x+0x%x extends past end of file (%zu bytes): truncated?",
                            i, md_stream_type_name(s.type), s.loc.rva, s.loc.size, d->size);
        if (must_be_unique(s.type))
            for (size_t j = 0; j < d->nstreams; j++)
                if (d->streams[j].type == s.type)
                    return cor_fail(err, "corrupt stream directory: %s appears twice (entries %zu and %u)",
                                    md_stream_type_name(s.type), j, i);
        d->streams[d->nstreams++] = s;
    }

    /* Streams that share bytes (LLDB's bad_overlapping_streams.dmp) mean the
     * directory is corrupt: the bytes cannot be two things at once. Only
     * non-empty streams are checked; writers emit zero-size placeholders. */
    md_stream **by_rva = malloc((d->nstreams ? d->nstreams : 1) * sizeof *by_rva);
    if (!by_rva) return cor_fail(err, "out of memory");
    size_t m = 0;
    for (size_t i = 0; i < d->nstreams; i++)
        if (d->streams[i].loc.size) by_rva[m++] = &d->streams[i];
    qsort(by_rva, m, sizeof *by_rva, cmp_loc);
    int rc = COR_OK;
    for (size_t i = 1; i < m; i++) {
        const md_stream *a = by_rva[i - 1], *b = by_rva[i];
        if ((uint64_t)a->loc.rva + a->loc.size > b->loc.rva) {
            rc = cor_fail(err, "corrupt stream directory: %s (0x%x+0x%x) overlaps %s (0x%x+0x%x)",
                          md_stream_type_name(a->type), a->loc.rva, a->loc.size,
                          md_stream_type_name(b->type), b->loc.rva, b->loc.size);
            break;
        }
    }
    free(by_rva);
    return rc;
}

static int parse_streams(md_dump *d, cor_err *err)
{
    /* System info first: other parsers do not depend on it today, but the
     * order keeps the door open (context decoding does). */
    static const uint32_t order[] = {
        MD_STREAM_SYSTEM_INFO, MD_STREAM_MISC_INFO, MD_STREAM_THREAD_LIST, MD_STREAM_THREAD_EX_LIST,
        MD_STREAM_THREAD_NAMES, MD_STREAM_MODULE_LIST, MD_STREAM_UNLOADED_MODULE_LIST,
        MD_STREAM_MEMORY_LIST, MD_STREAM_MEMORY64_LIST, MD_STREAM_EXCEPTION,
        MD_STREAM_PROCESS_VM_COUNTERS, MD_STREAM_SYSTEM_MEMORY_INFO,
    };
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        const md_stream *s = md_find_stream(d, order[k]);
        if (!s) continue;
        int rc = COR_OK;
        switch (order[k]) {
        case MD_STREAM_SYSTEM_INFO: rc = md_parse_system_info(d, s, err); break;
        case MD_STREAM_MISC_INFO: rc = md_parse_misc_info(d, s, err); break;
        case MD_STREAM_THREAD_LIST: rc = md_parse_thread_list(d, s, false, err); break;
        case MD_STREAM_THREAD_EX_LIST:
            /* ThreadList wins when both exist, even when it lists no
             * thread (the list is allocated then); ThreadExList alone is
             * rare (IA64 era). */
            if (!d->threads) rc = md_parse_thread_list(d, s, true, err);
            break;
        case MD_STREAM_THREAD_NAMES: rc = md_parse_thread_names(d, s, err); break;
        case MD_STREAM_MODULE_LIST: rc = md_parse_module_list(d, s, err); break;
        case MD_STREAM_UNLOADED_MODULE_LIST: rc = md_parse_unloaded_list(d, s, err); break;
        case MD_STREAM_MEMORY_LIST: rc = md_parse_memory_list(d, s, err); break;
        case MD_STREAM_MEMORY64_LIST: rc = md_parse_memory64_list(d, s, err); break;
        case MD_STREAM_EXCEPTION: rc = md_parse_exception(d, s, err); break;
        case MD_STREAM_PROCESS_VM_COUNTERS: rc = md_parse_vm_counters(d, s, err); break;
        case MD_STREAM_SYSTEM_MEMORY_INFO: rc = md_parse_system_memory(d, s, err); break;
        }
        if (rc != COR_OK) return cor_wrap(err, "%s stream", md_stream_type_name(order[k]));
    }
    return COR_OK;
}

static int open_common(md_dump *d, cor_err *err)
{
    if (d->size < HDR_SIZE)
        return cor_fail(err, "file is %zu bytes, too small for a minidump header", d->size);
    if (le32(d->data + HDR_Signature) != MDMP_SIGNATURE)
        return cor_fail(err, "not a minidump (no MDMP signature)");
    d->version = le32(d->data + HDR_Version);
    if ((d->version & 0xFFFF) != MDMP_VERSION)
        return cor_fail(err, "unsupported minidump version 0x%x", d->version & 0xFFFF);
    d->timestamp = le32(d->data + HDR_TimeDateStamp);
    d->flags = le64(d->data + HDR_Flags);
    if (read_directory(d, err) != COR_OK) return COR_FAIL;
    return parse_streams(d, err);
}

int md_open_mem(const void *data, size_t size, md_dump **out, cor_err *err)
{
    *out = NULL;
    md_dump *d = calloc(1, sizeof *d);
    if (!d) return cor_fail(err, "out of memory");
    d->data = data;
    d->size = size;
    if (open_common(d, err) != COR_OK) {
        md_close(d);
        return COR_FAIL;
    }
    *out = d;
    return COR_OK;
}

int md_open(const char *path, md_dump **out, cor_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cor_fail(err, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cor_fail(err, "cannot stat: %s", strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return cor_fail(err, "not a regular file");
    }
    if (st.st_size < HDR_SIZE) {
        close(fd);
        return cor_fail(err, "file is %lld bytes, too small for a minidump header", (long long)st.st_size);
    }
    /* Map, never read: multi-GB dumps are touched only where we look. */
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return cor_fail(err, "cannot map: %s", strerror(errno));
    md_dump *d;
    if (md_open_mem(map, (size_t)st.st_size, &d, err) != COR_OK) {
        munmap(map, (size_t)st.st_size);
        return COR_FAIL;
    }
    d->map_size = (size_t)st.st_size;
    *out = d;
    return COR_OK;
}

void md_close(md_dump *d)
{
    if (!d) return;
    if (d->map_size) munmap((void *)d->data, d->map_size);
    for (size_t i = 0; i < d->nstrings; i++) free(d->strings[i]);
    free(d->strings);
    free(d->streams);
    free(d->threads);
    free(d->thread_order);
    free(d->modules);
    free(d->module_order);
    free(d->unloaded);
    free(d->ranges);
    free(d->handles);
    free(d->tinfos);
    free(d->tinfo_order);
    free(d->minfos);
    free(d->tokens);
    free(d->ftables);
    free(d);
}

uint32_t md_header_version(const md_dump *d) { return d->version; }
uint64_t md_header_flags(const md_dump *d) { return d->flags; }
uint32_t md_header_timestamp(const md_dump *d) { return d->timestamp; }
size_t md_stream_count(const md_dump *d) { return d->nstreams; }
const md_stream *md_stream_at(const md_dump *d, size_t i) { return i < d->nstreams ? &d->streams[i] : NULL; }

const md_stream *md_find_stream(const md_dump *d, uint32_t type)
{
    for (size_t i = 0; i < d->nstreams; i++)
        if (d->streams[i].type == type) return &d->streams[i];
    return NULL;
}

size_t md_thread_count(const md_dump *d) { return d->nthreads; }
const md_thread *md_thread_at(const md_dump *d, size_t i) { return i < d->nthreads ? &d->threads[i] : NULL; }
size_t md_thread_index_by_tid(const md_dump *d, uint32_t tid)
{
    if (!d->thread_order) return (size_t)-1;
    size_t pos = md_tid_position(d->thread_order, d->nthreads, d->threads, sizeof *d->threads,
                                 offsetof(md_thread, tid), tid);
    return pos < d->nthreads ? d->thread_order[pos] : (size_t)-1;
}
const md_thread *md_thread_by_tid(const md_dump *d, uint32_t tid)
{
    size_t i = md_thread_index_by_tid(d, tid);
    return i != (size_t)-1 ? &d->threads[i] : NULL;
}
size_t md_module_count(const md_dump *d) { return d->nmodules; }
const md_module *md_module_at(const md_dump *d, size_t i) { return i < d->nmodules ? &d->modules[i] : NULL; }
const md_module *md_module_by_addr(const md_dump *d, uint64_t addr)
{
    /* Last module whose base <= addr, then check its extent. */
    size_t lo = 0, hi = d->nmodules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->modules[d->module_order[mid]].base <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    const md_module *m = &d->modules[d->module_order[lo - 1]];
    return addr - m->base < m->size ? m : NULL;
}
size_t md_unloaded_count(const md_dump *d) { return d->nunloaded; }
const md_unloaded_module *md_unloaded_at(const md_dump *d, size_t i) { return i < d->nunloaded ? &d->unloaded[i] : NULL; }
size_t md_range_count(const md_dump *d) { return d->nranges; }
const md_range *md_range_at(const md_dump *d, size_t i) { return i < d->nranges ? &d->ranges[i] : NULL; }
bool md_has_memory64(const md_dump *d) { return d->has_mem64; }
const md_exception *md_get_exception(const md_dump *d) { return d->has_exception ? &d->exception : NULL; }
const md_system_info *md_get_system_info(const md_dump *d) { return d->has_sysinfo ? &d->sysinfo : NULL; }
const md_misc_info *md_get_misc_info(const md_dump *d) { return d->has_misc ? &d->misc : NULL; }
const md_vm_counters *md_get_vm_counters(const md_dump *d) { return d->has_vm ? &d->vm : NULL; }
const md_system_memory *md_get_system_memory(const md_dump *d) { return d->has_sysmem ? &d->sysmem : NULL; }

const char *md_version_str(uint32_t ms, uint32_t ls, char *buf)
{
    snprintf(buf, 48, "%u.%u.%u.%u", ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF);
    return buf;
}

const char *md_codeview_id(const md_codeview *cv, char *buf)
{
    if (cv->kind == MD_CV_RSDS) {
        const uint8_t *g = cv->guid;
        /* GUID Data1..3 are little-endian in the record; the key prints them as numbers. */
        snprintf(buf, 48, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X", le32(g), le16(g + 4), le16(g + 6),
                 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], cv->age);
    } else if (cv->kind == MD_CV_NB10) {
        snprintf(buf, 48, "%08X%X", cv->signature, cv->age);
    } else {
        buf[0] = 0;
    }
    return buf;
}
