/* .dumpdebug: the dump's header and stream directory, in the shape of
 * WinDbg's command of that name, with a few lines on the streams the
 * console reads (threads, modules, memory, system and misc info). */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

#include "core/cursor.h"

/* MINIDUMP_HEADER.NumberOfStreams. */
#define HEADER_NUMBER_OF_STREAMS 8

/* WinDbg's names for the standard stream types. */
static const char *stream_name(uint32_t type, char *buf, size_t size)
{
    static const char *const names[] = {
        [0] = "UnusedStream", [1] = "ReservedStream0", [2] = "ReservedStream1",
        [3] = "ThreadListStream", [4] = "ModuleListStream", [5] = "MemoryListStream",
        [6] = "ExceptionStream", [7] = "SystemInfoStream", [8] = "ThreadExListStream",
        [9] = "Memory64ListStream", [10] = "CommentStreamA", [11] = "CommentStreamW",
        [12] = "HandleDataStream", [13] = "FunctionTableStream", [14] = "UnloadedModuleListStream",
        [15] = "MiscInfoStream", [16] = "MemoryInfoListStream", [17] = "ThreadInfoListStream",
        [18] = "HandleOperationListStream", [19] = "TokenStream", [20] = "JavaScriptDataStream",
        [21] = "SystemMemoryInfoStream", [22] = "ProcessVmCountersStream", [23] = "IptTraceStream",
        [24] = "ThreadNamesStream",
    };
    if (type < sizeof names / sizeof names[0]) return names[type];
    snprintf(buf, size, "%s", md_stream_type_name(type));
    return buf;
}

static void thread_details(con_session *s)
{
    md_dump *d = s->t->dump;
    char a[24], b[24];
    con_printf(s, "  %zu threads\n", md_thread_count(d));
    for (size_t i = 0; i < md_thread_count(d); i++) {
        const md_thread *t = md_thread_at(d, i);
        con_printf(s, "  ID %X, Teb %s, Stack %s+%X, Context RVA %08X size %X\n", t->tid, con_fmt_addr(s, t->teb, a),
                   con_fmt_addr(s, t->stack_start, b), t->stack.size, t->context.rva, t->context.size);
    }
}

static void module_details(con_session *s)
{
    md_dump *d = s->t->dump;
    char a[24], b[24];
    con_printf(s, "  %zu modules\n", md_module_count(d));
    for (size_t i = 0; i < md_module_count(d); i++) {
        const md_module *m = md_module_at(d, i);
        con_printf(s, "  %s - %s: '%s'\n", con_fmt_addr(s, m->base, a), con_fmt_addr(s, m->base + m->size, b),
                   m->path);
    }
}

/* md_range_at merges MemoryList and Memory64List into one sorted index, so
 * the ranges are listed under the first memory stream of the directory. */
static void memory_details(con_session *s, bool first)
{
    md_dump *d = s->t->dump;
    char a[24];
    if (!first) {
        con_puts(s, "  (ranges listed with the memory stream above)\n");
        return;
    }
    con_printf(s, "  %zu memory ranges\n", md_range_count(d));
    con_puts(s, "  range#    RVA              Address             Size\n");
    for (size_t i = 0; i < md_range_count(d); i++) {
        const md_range *r = md_range_at(d, i);
        con_printf(s, "  %6zu %016" PRIX64 " %s   %08" PRIX64 "\n", i, r->file_off, con_fmt_addr(s, r->start, a),
                   r->size);
    }
}

static void system_details(con_session *s)
{
    const md_system_info *si = md_get_system_info(s->t->dump);
    if (!si) return;
    con_printf(s, "  ProcessorArchitecture   %04X (%s)\n", si->arch, md_arch_name(si->arch));
    con_printf(s, "  ProcessorLevel          %04X\n  ProcessorRevision       %04X\n", si->level, si->revision);
    con_printf(s, "  NumberOfProcessors      %02X\n", si->nprocs);
    con_printf(s, "  MajorVersion            %08X\n  MinorVersion            %08X\n", si->major, si->minor);
    con_printf(s, "  BuildNumber             %08X (%u)\n  PlatformId              %08X\n", si->build, si->build,
               si->platform);
    con_printf(s, "  CSDVersion              '%s'\n  SuiteMask               %04X\n", si->csd_version ? si->csd_version : "",
               si->suite_mask);
    con_printf(s, "  ProductType             %02X\n", si->product_type);
    if (si->vendor[0]) con_printf(s, "  VendorId                %s\n", si->vendor);
}

static void misc_details(con_session *s)
{
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    if (!mi) return;
    con_printf(s, "  SizeOfInfo              %08X (MINIDUMP_MISC_INFO%s)\n  Flags1                  %08X\n",
               mi->size_of_info, mi->version > 1 ? (mi->version == 2 ? "_2" : mi->version == 3 ? "_3"
                                                    : mi->version == 4 ? "_4" : "_5") : "",
               mi->flags);
    if (mi->flags & MD_MISC_PROCESS_ID) con_printf(s, "  ProcessId               %X\n", mi->pid);
    if (mi->flags & MD_MISC_PROCESS_TIMES)
        con_printf(s, "  ProcessCreateTime       %08X\n  ProcessUserTime         %X\n  ProcessKernelTime       %X\n",
                   mi->create_time, mi->user_time, mi->kernel_time);
    if ((mi->flags & MD_MISC_BUILDSTRING) && mi->build_string)
        con_printf(s, "  BuildString             %s\n", mi->build_string);
}

int cmd_dumpdebug(con_session *s, const char *name, const char *args, cor_err *err)
{
    md_dump *d = s->t->dump;
    uint32_t version = md_header_version(d);
    uint64_t flags = md_header_flags(d);
    char buf[96];
    con_puts(s, "----- User Mini Dump Analysis\n\nMINIDUMP_HEADER:\n");
    con_printf(s, "Version         %04X (%04X)\n", version & 0xFFFF, version >> 16);
    /* The header's count, unused entries included; the index keeps only
     * the used ones, which are what the list below shows. */
    const uint8_t *nstreams = md_file_bytes(d, HEADER_NUMBER_OF_STREAMS, 4);
    uint32_t declared = nstreams ? le32(nstreams) : (uint32_t)md_stream_count(d);
    con_printf(s, "NumberOfStreams %u\n", declared);
    con_printf(s, "Flags           %" PRIX64 "\n", flags);
    for (unsigned b = 0; b < 64; b++)
        if (flags & (1ull << b)) {
            const char *n = con_dump_flag_name(b);
            con_printf(s, "                %04llX %s\n", 1ull << b, n ? n : "(unknown)");
        }
    con_fmt_time(s, (time_t)md_header_timestamp(d), false, buf, sizeof buf);
    con_printf(s, "TimeDateStamp   %08X %s\n", md_header_timestamp(d), buf);
    con_puts(s, "\nStreams:\n");
    bool seen_memory = false;
    for (size_t i = 0; i < md_stream_count(d); i++) {
        const md_stream *st = md_stream_at(d, i);
        char nb[48];
        /* Vendor types (Breakpad's 0x4767xxxx, Crashpad's) read better in hex. */
        con_printf(s, st->type < 0x10000 ? "Stream %zu: type %s (%u), size %08X, RVA %08X\n"
                                         : "Stream %zu: type %s (0x%X), size %08X, RVA %08X\n",
                   i, stream_name(st->type, nb, sizeof nb), st->type, st->loc.size, st->loc.rva);
        /* Details once per type: the index parsed only the first of a kind. */
        if (md_find_stream(d, st->type) != st) continue;
        switch (st->type) {
        case MD_STREAM_THREAD_LIST: case MD_STREAM_THREAD_EX_LIST: thread_details(s); break;
        case MD_STREAM_MODULE_LIST: module_details(s); break;
        case MD_STREAM_MEMORY_LIST: case MD_STREAM_MEMORY64_LIST:
            memory_details(s, !seen_memory);
            seen_memory = true;
            break;
        case MD_STREAM_SYSTEM_INFO: system_details(s); break;
        case MD_STREAM_MISC_INFO: misc_details(s); break;
        case MD_STREAM_EXCEPTION: {
            const md_exception *x = md_get_exception(d);
            if (x)
                con_printf(s, "  ThreadId %X, ExceptionCode %08X, ExceptionAddress %s\n", x->tid, x->code,
                           con_fmt_addr(s, x->address, buf));
            break;
        }
        }
    }
    if (declared > md_stream_count(d))
        con_printf(s, "(%zu unused directory entries not listed)\n", (size_t)declared - md_stream_count(d));
    return COR_OK;
}
