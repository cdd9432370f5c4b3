/* Fixed-layout streams: Exception, SystemInfo, MiscInfo (v1..v5),
 * ProcessVmCounters (_1 and _2). */
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dump/minidump_internal.h"

/* MINIDUMP_EXCEPTION_STREAM: ThreadId, pad, EXCEPTION_RECORD64 @8, context @160. */
#define EXC_STREAM_SIZE 168

int md_parse_exception(md_dump *d, const md_stream *s, cor_err *err)
{
    if (s->loc.size < EXC_STREAM_SIZE)
        return cor_fail(err, "%u bytes, expected %u", s->loc.size, EXC_STREAM_SIZE);
    const uint8_t *p = d->data + s->loc.rva;
    md_exception *x = &d->exception;
    x->tid = le32(p);
    x->code = le32(p + 8);
    x->flags = le32(p + 12);
    x->record = le64(p + 16);
    x->address = le64(p + 24);
    x->nparams = le32(p + 32);
    for (int i = 0; i < 15; i++) x->params[i] = le64(p + 40 + 8 * i);
    x->context = (md_loc){ le32(p + 160), le32(p + 164) };
    if (!span_ok(d->size, x->context.rva, x->context.size)) x->context.size = 0;
    d->has_exception = true;
    return COR_OK;
}

#define SYSINFO_SIZE 56

int md_parse_system_info(md_dump *d, const md_stream *s, cor_err *err)
{
    if (s->loc.size < SYSINFO_SIZE)
        return cor_fail(err, "%u bytes, expected %u", s->loc.size, SYSINFO_SIZE);
    const uint8_t *p = d->data + s->loc.rva;
    md_system_info *si = &d->sysinfo;
    si->arch = le16(p);
    si->level = le16(p + 2);
    si->revision = le16(p + 4);
    si->nprocs = p[6];
    si->product_type = p[7];
    si->major = le32(p + 8);
    si->minor = le32(p + 12);
    si->build = le32(p + 16);
    si->platform = le32(p + 20);
    uint32_t csd = le32(p + 24);
    /* Writers that have no service pack string still point at an empty one;
     * an RVA of 0 or out of range reads as "". */
    si->csd_version = csd ? md_kept_string(d, csd) : "";
    si->suite_mask = le16(p + 28);
    if (si->arch == MD_ARCH_X86) {
        memcpy(si->vendor, p + 32, 12);
        si->vendor[12] = 0;
        for (int i = 0; i < 12; i++)
            if (si->vendor[i] && (si->vendor[i] < 0x20 || si->vendor[i] > 0x7E)) si->vendor[i] = '?';
        si->cpu_version_info = le32(p + 44);
        si->cpu_feature_info = le32(p + 48);
        si->amd_extended_features = le32(p + 52);
    } else {
        si->processor_features[0] = le64(p + 32);
        si->processor_features[1] = le64(p + 40);
    }
    d->has_sysinfo = true;
    return COR_OK;
}

/* MINIDUMP_MISC_INFO_N offsets. */
#define MISC_SizeOfInfo 0
#define MISC_Flags1 4
#define MISC_ProcessId 8
#define MISC_ProcessCreateTime 12
#define MISC_ProcessUserTime 16
#define MISC_ProcessKernelTime 20
#define MISC_V1_SIZE 24
#define MISC_ProcessorMaxMhz 24
#define MISC_V2_SIZE 44
#define MISC_ProcessIntegrityLevel 44
#define MISC_ProcessExecuteFlags 48
#define MISC_ProtectedProcess 52
#define MISC_TimeZoneId 56
#define MISC_TimeZone 60 /* TIME_ZONE_INFORMATION, 172 bytes */
#define MISC_V3_SIZE 232
#define MISC_BuildString 232 /* WCHAR[260] */
#define MISC_DbgBldStr 752   /* WCHAR[40] */
#define MISC_V4_SIZE 832
#define MISC_ProcessCookie 1360
#define MISC_V5_SIZE 1364

int md_parse_misc_info(md_dump *d, const md_stream *s, cor_err *err)
{
    const uint8_t *p = d->data + s->loc.rva;
    if (s->loc.size < MISC_V1_SIZE)
        return cor_fail(err, "%u bytes, too small for MINIDUMP_MISC_INFO", s->loc.size);
    md_misc_info *m = &d->misc;
    /* SizeOfInfo says which version was written; trust it only as far as the stream goes. */
    uint32_t size = le32(p + MISC_SizeOfInfo);
    if (size > s->loc.size) size = s->loc.size;
    m->size_of_info = size;
    m->version = size >= MISC_V5_SIZE ? 5 : size >= MISC_V4_SIZE ? 4 : size >= MISC_V3_SIZE ? 3
               : size >= MISC_V2_SIZE ? 2 : 1;
    m->flags = le32(p + MISC_Flags1);
    m->pid = le32(p + MISC_ProcessId);
    m->create_time = le32(p + MISC_ProcessCreateTime);
    m->user_time = le32(p + MISC_ProcessUserTime);
    m->kernel_time = le32(p + MISC_ProcessKernelTime);
    if (m->version >= 2) {
        const uint8_t *q = p + MISC_ProcessorMaxMhz;
        m->max_mhz = le32(q);
        m->current_mhz = le32(q + 4);
        m->mhz_limit = le32(q + 8);
        m->max_idle_state = le32(q + 12);
        m->current_idle_state = le32(q + 16);
    }
    if (m->version >= 3) {
        m->integrity_level = le32(p + MISC_ProcessIntegrityLevel);
        m->execute_flags = le32(p + MISC_ProcessExecuteFlags);
        m->protected_process = le32(p + MISC_ProtectedProcess);
        m->time_zone_id = le32(p + MISC_TimeZoneId);
        const uint8_t *tz = p + MISC_TimeZone;
        m->tz_bias = (int32_t)le32(tz);
        m->tz_standard_name = md_keep(d, utf16le_to_utf8(tz + 4, 64));
        m->tz_standard_bias = (int32_t)le32(tz + 84);
        m->tz_daylight_name = md_keep(d, utf16le_to_utf8(tz + 88, 64));
        m->tz_daylight_bias = (int32_t)le32(tz + 168);
    }
    if (m->version >= 4) {
        m->build_string = md_keep(d, utf16le_to_utf8(p + MISC_BuildString, 520));
        m->dbg_bld_str = md_keep(d, utf16le_to_utf8(p + MISC_DbgBldStr, 80));
    }
    if (m->version >= 5) m->process_cookie = le32(p + MISC_ProcessCookie);
    d->has_misc = true;
    return COR_OK;
}

int md_parse_vm_counters(md_dump *d, const md_stream *s, cor_err *err)
{
    const uint8_t *p = d->data + s->loc.rva;
    if (s->loc.size < 80)
        return cor_fail(err, "%u bytes, too small for MINIDUMP_PROCESS_VM_COUNTERS_1", s->loc.size);
    md_vm_counters *v = &d->vm;
    v->revision = le16(p);
    v->page_fault_count = le32(p + 4);
    uint64_t *base[] = { &v->peak_working_set, &v->working_set, &v->quota_peak_paged_pool,
                         &v->quota_paged_pool, &v->quota_peak_nonpaged_pool, &v->quota_nonpaged_pool,
                         &v->pagefile_usage, &v->peak_pagefile_usage };
    for (int i = 0; i < 8; i++) *base[i] = le64(p + 8 + 8 * i);
    if (v->revision == 1) {
        v->private_usage = le64(p + 72);
    } else if (s->loc.size >= 152) {
        /* _2: Flags follows Revision, and PeakVirtualSize/VirtualSize sit
         * before PrivateUsage (minidumpapiset.h). */
        v->flags = le16(p + 2);
        uint64_t *rest[] = { &v->peak_virtual_size, &v->virtual_size, &v->private_usage,
                             &v->private_working_set, &v->shared_commit_usage, &v->job_shared_commit_usage,
                             &v->job_private_commit_usage, &v->job_peak_private_commit_usage,
                             &v->job_private_commit_limit, &v->job_total_commit_limit };
        for (int i = 0; i < 10; i++) *rest[i] = le64(p + 72 + 8 * i);
    } else {
        return cor_fail(err, "revision %u in %u bytes: too small for MINIDUMP_PROCESS_VM_COUNTERS_2", v->revision,
                        s->loc.size);
    }
    d->has_vm = true;
    return COR_OK;
}

/* MINIDUMP_SYSTEM_MEMORY_INFO_1: Revision, Flags, then BASIC_INFORMATION
 * (52 bytes) @4, FILECACHE_INFORMATION (60) @56, BASIC_PERFORMANCE (32)
 * @116, then the long PERFORMANCE_INFORMATION we do not use yet. */
#define SYSMEM_Basic 4
#define SYSMEM_FileCache 56
#define SYSMEM_BasicPerf 116
#define SYSMEM_MIN_SIZE 148
#define SYSMEMINFO1_BASICPERF 0x2

int md_parse_system_memory(md_dump *d, const md_stream *s, cor_err *err)
{
    if (s->loc.size < SYSMEM_MIN_SIZE)
        return cor_fail(err, "%u bytes, too small for MINIDUMP_SYSTEM_MEMORY_INFO_1", s->loc.size);
    const uint8_t *p = d->data + s->loc.rva;
    md_system_memory *m = &d->sysmem;
    m->revision = le16(p);
    m->flags = le16(p + 2);
    const uint8_t *b = p + SYSMEM_Basic;
    m->timer_resolution = le32(b);
    m->page_size = le32(b + 4);
    m->physical_pages = le32(b + 8);
    m->allocation_granularity = le32(b + 20);
    m->min_user_address = le64(b + 24);
    m->max_user_address = le64(b + 32);
    m->active_processor_mask = le64(b + 40);
    m->processors = le32(b + 48);
    m->file_cache_current = le64(p + SYSMEM_FileCache);
    m->file_cache_peak = le64(p + SYSMEM_FileCache + 8);
    m->has_basic_perf = m->flags & SYSMEMINFO1_BASICPERF;
    const uint8_t *bp = p + SYSMEM_BasicPerf;
    m->available_pages = le64(bp);
    m->committed_pages = le64(bp + 8);
    m->commit_limit = le64(bp + 16);
    m->peak_commitment = le64(bp + 24);
    d->has_sysmem = true;
    return COR_OK;
}
