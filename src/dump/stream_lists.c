/* Counted list streams: ThreadList/ThreadExList, ThreadNames, ModuleList,
 * UnloadedModuleList, MemoryList, Memory64List. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dump/minidump_internal.h"

#define THREAD_SIZE 48
#define THREAD_EX_SIZE 64
#define MODULE_SIZE 108
#define MEMDESC_SIZE 16
#define MEMDESC64_SIZE 16
#define THREAD_NAME_SIZE 12

/* Finds where the entries of a u32-counted list start. Some writers (older
 * MSVC-built ones; LLDB's *-padded.dmp tests) put 4 pad bytes after the
 * count so 8-byte fields align: accept that exact shape, as rust-minidump's
 * read_stream_list does. */
static int counted_list(const md_dump *d, const md_stream *s, size_t entsz, uint32_t *count, size_t *start,
                        cor_err *err)
{
    if (s->loc.size < 4) return cor_fail(err, "%u bytes, too small for a count", s->loc.size);
    uint32_t n = le32(d->data + s->loc.rva);
    uint64_t avail = s->loc.size - 4, need = (uint64_t)n * entsz;
    if (need > avail)
        return cor_fail(err, "%u entries claimed, room for %llu", n, (unsigned long long)(avail / entsz));
    *count = n;
    *start = (avail == need + 4) ? 8 : 4;
    return COR_OK;
}

typedef struct tid_key {
    const uint8_t *base;
    size_t stride, off;
} tid_key;

static uint32_t tid_of(const tid_key *k, size_t i)
{
    uint32_t v;
    memcpy(&v, k->base + i * k->stride + k->off, sizeof v);
    return v;
}

static int cmp_tid(const void *a, const void *b, void *ctx)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    uint32_t x = tid_of(ctx, i), y = tid_of(ctx, j);
    if (x != y) return x < y ? -1 : 1;
    return (i > j) - (i < j);
}

void md_sort_by_tid(size_t *order, size_t n, const void *base, size_t stride, size_t tid_off)
{
    tid_key k = { base, stride, tid_off };
    for (size_t i = 0; i < n; i++) order[i] = i;
    qsort_r(order, n, sizeof *order, cmp_tid, &k);
}

size_t md_tid_position(const size_t *order, size_t n, const void *base, size_t stride, size_t tid_off,
                       uint32_t tid)
{
    tid_key k = { base, stride, tid_off };
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tid_of(&k, order[mid]) < tid) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && tid_of(&k, order[lo]) == tid ? lo : n;
}

int md_parse_thread_list(md_dump *d, const md_stream *s, bool ex, cor_err *err)
{
    size_t entsz = ex ? THREAD_EX_SIZE : THREAD_SIZE, start;
    uint32_t n;
    if (counted_list(d, s, entsz, &n, &start, err) != COR_OK) return COR_FAIL;
    d->threads = calloc(n ? n : 1, sizeof *d->threads);
    if (!d->threads) return cor_fail(err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + start + (size_t)i * entsz;
        md_thread *t = &d->threads[i];
        t->tid = le32(e);
        t->suspend_count = le32(e + 4);
        t->priority_class = le32(e + 8);
        t->priority = le32(e + 12);
        t->teb = le64(e + 16);
        t->stack_start = le64(e + 24);
        t->stack = (md_loc){ le32(e + 32), le32(e + 36) };
        t->context = (md_loc){ le32(e + 40), le32(e + 44) };
        if (ex) t->backing_store = (md_loc){ le32(e + 56), le32(e + 60) };
        /* A location outside the file is kept but emptied, so one bad thread
         * does not lose the others; readers see size 0. */
        if (!span_ok(d->size, t->stack.rva, t->stack.size)) t->stack.size = 0;
        if (!span_ok(d->size, t->context.rva, t->context.size)) t->context.size = 0;
    }
    d->nthreads = n;
    d->thread_order = calloc(n ? n : 1, sizeof *d->thread_order);
    if (!d->thread_order) return cor_fail(err, "out of memory");
    md_sort_by_tid(d->thread_order, n, d->threads, sizeof *d->threads, offsetof(md_thread, tid));
    return COR_OK;
}

int md_parse_thread_names(md_dump *d, const md_stream *s, cor_err *err)
{
    size_t start;
    uint32_t n;
    if (counted_list(d, s, THREAD_NAME_SIZE, &n, &start, err) != COR_OK) return COR_FAIL;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + start + (size_t)i * THREAD_NAME_SIZE;
        uint32_t tid = le32(e);
        uint64_t rva = le64(e + 4);
        if (rva > UINT32_MAX || !d->thread_order) continue;
        /* Every thread with that id (thread_order keeps them together). */
        size_t k = md_tid_position(d->thread_order, d->nthreads, d->threads, sizeof *d->threads,
                                   offsetof(md_thread, tid), tid);
        if (k == d->nthreads) continue;
        const char *name = md_kept_string(d, (uint32_t)rva);
        for (; k < d->nthreads && d->threads[d->thread_order[k]].tid == tid; k++)
            d->threads[d->thread_order[k]].name = *name ? name : NULL;
    }
    return COR_OK;
}

static void parse_codeview(md_dump *d, md_loc loc, md_codeview *cv)
{
    memset(cv, 0, sizeof *cv);
    const uint8_t *p = md_file_bytes(d, loc.rva, loc.size);
    if (!p || loc.size < 4) return;
    uint32_t sig = le32(p);
    if (sig == 0x53445352u && loc.size >= 24) { /* "RSDS": GUID, age, UTF-8 path */
        cv->kind = MD_CV_RSDS;
        memcpy(cv->guid, p + 4, 16);
        cv->age = le32(p + 20);
        cv->pdb_path = md_keep(d, strndup((const char *)p + 24, loc.size - 24));
    } else if (sig == 0x3031424Eu && loc.size >= 16) { /* "NB10": offset, signature, age, path */
        cv->kind = MD_CV_NB10;
        cv->signature = le32(p + 8);
        cv->age = le32(p + 12);
        cv->pdb_path = md_keep(d, strndup((const char *)p + 16, loc.size - 16));
    }
}

static const char *base_name(const char *path)
{
    const char *n = path;
    for (const char *p = path; *p; p++)
        if (*p == '\\' || *p == '/') n = p + 1;
    return n;
}

static int cmp_module_base(const void *a, const void *b, void *ctx)
{
    const md_module *m = ctx;
    uint64_t x = m[*(const size_t *)a].base, y = m[*(const size_t *)b].base;
    return x < y ? -1 : x > y;
}

int md_parse_module_list(md_dump *d, const md_stream *s, cor_err *err)
{
    size_t start;
    uint32_t n;
    if (counted_list(d, s, MODULE_SIZE, &n, &start, err) != COR_OK) return COR_FAIL;
    d->modules = calloc(n ? n : 1, sizeof *d->modules);
    d->module_order = calloc(n ? n : 1, sizeof *d->module_order);
    if (!d->modules || !d->module_order) return cor_fail(err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + start + (size_t)i * MODULE_SIZE;
        md_module *m = &d->modules[i];
        m->base = le64(e);
        m->size = le32(e + 8);
        m->checksum = le32(e + 12);
        m->timestamp = le32(e + 16);
        m->path = md_kept_string(d, le32(e + 20));
        m->name = base_name(m->path);
        const uint8_t *v = e + 24; /* VS_FIXEDFILEINFO */
        m->version = (md_version){ le32(v), le32(v + 8), le32(v + 12), le32(v + 16), le32(v + 20),
                                   le32(v + 24), le32(v + 28), le32(v + 32), le32(v + 36), le32(v + 40),
                                   le32(v + 44), le32(v + 48) };
        parse_codeview(d, (md_loc){ le32(e + 76), le32(e + 80) }, &m->cv);
        m->misc = (md_loc){ le32(e + 84), le32(e + 88) };
        d->module_order[i] = i;
    }
    d->nmodules = n;
    qsort_r(d->module_order, n, sizeof *d->module_order, cmp_module_base, d->modules);
    return COR_OK;
}

int md_parse_unloaded_list(md_dump *d, const md_stream *s, cor_err *err)
{
    rd_cur c = md_stream_cursor(d, s);
    uint32_t hdr, entsz, n;
    if (!rd_u32(&c, &hdr) || !rd_u32(&c, &entsz) || !rd_u32(&c, &n))
        return cor_fail(err, "%u bytes, too small for its header", s->loc.size);
    if (hdr < 12 || hdr > s->loc.size || entsz < 24)
        return cor_fail(err, "bad header (header %u bytes, entry %u bytes)", hdr, entsz);
    uint64_t avail = s->loc.size - hdr;
    if ((uint64_t)n * entsz > avail)
        return cor_fail(err, "%u entries claimed, room for %llu", n, (unsigned long long)(avail / entsz));
    d->unloaded = calloc(n ? n : 1, sizeof *d->unloaded);
    if (!d->unloaded) return cor_fail(err, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + hdr + (size_t)i * entsz;
        d->unloaded[i] = (md_unloaded_module){ le64(e), le32(e + 8), le32(e + 12), le32(e + 16),
                                               md_kept_string(d, le32(e + 20)) };
    }
    d->nunloaded = n;
    return COR_OK;
}

static int cmp_range(const void *a, const void *b)
{
    const md_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Adds ranges and keeps the index sorted and free of overlaps, so address
 * lookup can binary-search. A dump with both MemoryList and Memory64List
 * (rare) is merged; overlapping bytes keep the first range's copy. */
static int add_ranges(md_dump *d, md_range *add, size_t n, cor_err *err)
{
    md_range *all = realloc(d->ranges, (d->nranges + n + 1) * sizeof *all);
    if (!all) return cor_fail(err, "out of memory");
    memcpy(all + d->nranges, add, n * sizeof *add);
    size_t total = d->nranges + n;
    qsort(all, total, sizeof *all, cmp_range);
    size_t w = 0;
    for (size_t i = 0; i < total; i++) {
        md_range r = all[i];
        if (r.size == 0) continue;
        if (w) {
            const md_range *p = &all[w - 1];
            uint64_t pend = p->start + p->size;
            if (r.start < pend) { /* clip the overlap off the later range */
                uint64_t cut = pend - r.start;
                if (cut >= r.size) continue;
                r.start += cut;
                r.size -= cut;
                r.file_off += cut;
            }
        }
        all[w++] = r;
    }
    d->ranges = all;
    d->nranges = w;
    return COR_OK;
}

int md_parse_memory_list(md_dump *d, const md_stream *s, cor_err *err)
{
    size_t start;
    uint32_t n;
    if (counted_list(d, s, MEMDESC_SIZE, &n, &start, err) != COR_OK) return COR_FAIL;
    md_range *r = calloc(n ? n : 1, sizeof *r);
    if (!r) return cor_fail(err, "out of memory");
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + start + (size_t)i * MEMDESC_SIZE;
        uint64_t base = le64(e);
        uint32_t size = le32(e + 8), rva = le32(e + 12);
        if (!span_ok(d->size, rva, size)) {
            free(r);
            return cor_fail(err, "range %u (0x%llx, %u bytes) has data at 0x%x past end of file (%zu bytes): truncated?",
                            i, (unsigned long long)base, size, rva, d->size);
        }
        if (base + size < base) continue; /* wraps the address space: ignore */
        r[k++] = (md_range){ base, size, rva };
    }
    int rc = add_ranges(d, r, k, err);
    free(r);
    return rc;
}

int md_parse_memory64_list(md_dump *d, const md_stream *s, cor_err *err)
{
    rd_cur c = md_stream_cursor(d, s);
    uint64_t n, base_rva;
    if (!rd_u64(&c, &n) || !rd_u64(&c, &base_rva))
        return cor_fail(err, "%u bytes, too small for its header", s->loc.size);
    if (n > rd_left(&c) / MEMDESC64_SIZE)
        return cor_fail(err, "%llu ranges claimed, room for %zu", (unsigned long long)n, rd_left(&c) / MEMDESC64_SIZE);
    md_range *r = calloc(n ? n : 1, sizeof *r);
    if (!r) return cor_fail(err, "out of memory");
    uint64_t off = base_rva;
    size_t k = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t start = 0, size = 0;
        rd_u64(&c, &start);
        rd_u64(&c, &size);
        /* The bytes of all ranges follow one another from BaseRva. */
        if (!span_ok(d->size, off, size)) {
            free(r);
            return cor_fail(err, "range %llu (0x%llx, 0x%llx bytes) has data at 0x%llx past end of file (%zu bytes): truncated?",
                            (unsigned long long)i, (unsigned long long)start, (unsigned long long)size,
                            (unsigned long long)off, d->size);
        }
        if (start + size >= start) r[k++] = (md_range){ start, size, off };
        off += size;
    }
    d->has_mem64 = true;
    int rc = add_ranges(d, r, k, err);
    free(r);
    return rc;
}
