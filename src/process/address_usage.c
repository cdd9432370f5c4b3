/* The address-space map behind !address: regions from MemoryInfoList (or,
 * without it, from module images and captured memory), each classified by
 * what the process uses it for (address_usage.h lists the rules). */
#include "process/address_usage.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process/environment.h"

/* KUSER_SHARED_DATA sits at this address in every user-mode process,
 * 32- and 64-bit (ntddk.h's MM_SHARED_USER_DATA_VA, user-mode view). */
#define USER_SHARED_DATA 0x7FFE0000u
/* A heap handle is the heap's base; more than this many is a bad count. */
#define MAX_HEAPS 1024u
/* _HEAP and _HEAP_SEGMENT open with a _HEAP_ENTRY (8 bytes on x86, 16 on
 * x64) followed by SegmentSignature; a segment heap (_SEGMENT_HEAP, Windows
 * 10) has its own Signature at the same offset. */
#define HEAP_SEGMENT_SIGNATURE 0xFFEEFFEEu
#define SEGMENT_HEAP_SIGNATURE 0xDDEEDDEEu
/* x86, x64 and ARM64 Windows all use 4 KB pages. */
#define PAGE_SIZE 0x1000u

/* PEB fields that point at memory !address calls "Other" (offsets from the
 * public ntdll symbols, _PEB and _PEB32; stable since Windows Vista). */
typedef struct peb_other_field {
    uint32_t off32, off64;
    const char *what;
} peb_other_field;

static const peb_other_field peb_others[] = {
    { 0x038, 0x068, "API Set Map" },
    { 0x04C, 0x088, "CSR Shared Memory" },         /* ReadOnlySharedMemoryBase */
    { 0x058, 0x0A0, "NLS Tables" },                /* AnsiCodePageData */
    { 0x05C, 0x0A8, "NLS Tables" },                /* OemCodePageData */
    { 0x060, 0x0B0, "NLS Tables" },                /* UnicodeCaseTableData */
    { 0x094, 0x0F8, "GDI Shared Handle Table" },   /* GdiSharedHandleTable */
    { 0x1F8, 0x2F8, "Activation Context Data" },   /* ActivationContextData */
    { 0x200, 0x308, "Activation Context Data" },   /* SystemDefaultActivationContextData */
};

static const char *const usage_names[PROC_USAGE_COUNT] = {
    [PROC_USAGE_FREE] = "Free",   [PROC_USAGE_UNKNOWN] = "<unknown>", [PROC_USAGE_IMAGE] = "Image",
    [PROC_USAGE_HEAP] = "Heap",   [PROC_USAGE_STACK] = "Stack",       [PROC_USAGE_OTHER] = "Other",
    [PROC_USAGE_TEB] = "TEB",     [PROC_USAGE_PEB] = "PEB",
};

const char *proc_usage_name(int usage)
{
    return usage >= 0 && usage < PROC_USAGE_COUNT ? usage_names[usage] : "?";
}

const char *proc_mem_state_name(uint32_t state)
{
    switch (state) {
    case PROC_MEM_COMMIT: return "MEM_COMMIT";
    case PROC_MEM_RESERVE: return "MEM_RESERVE";
    case PROC_MEM_FREE: return "MEM_FREE";
    default: return NULL;
    }
}

const char *proc_mem_type_name(uint32_t type)
{
    switch (type) {
    case PROC_MEM_PRIVATE: return "MEM_PRIVATE";
    case PROC_MEM_MAPPED: return "MEM_MAPPED";
    case PROC_MEM_IMAGE: return "MEM_IMAGE";
    default: return NULL;
    }
}

/* winnt.h's PAGE_* constants: one access value in the low byte, modifiers above. */
static const struct {
    uint32_t bit;
    const char *name;
} protect_bits[] = {
    { 0x01, "PAGE_NOACCESS" },       { 0x02, "PAGE_READONLY" },          { 0x04, "PAGE_READWRITE" },
    { 0x08, "PAGE_WRITECOPY" },      { 0x10, "PAGE_EXECUTE" },           { 0x20, "PAGE_EXECUTE_READ" },
    { 0x40, "PAGE_EXECUTE_READWRITE" }, { 0x80, "PAGE_EXECUTE_WRITECOPY" }, { 0x100, "PAGE_GUARD" },
    { 0x200, "PAGE_NOCACHE" },       { 0x400, "PAGE_WRITECOMBINE" },     { 0x40000000, "PAGE_TARGETS_INVALID" },
};

/* Appends to a fixed buffer, cutting what does not fit. */
typedef struct fixed_text {
    char *p;
    size_t size, len;
} fixed_text;

static void append(fixed_text *b, const char *sep, const char *text)
{
    int n = snprintf(b->p + b->len, b->size - b->len, "%s%s", sep, text);
    if (n > 0) b->len += (size_t)n < b->size - b->len ? (size_t)n : b->size - b->len - 1;
}

const char *proc_protect_name(uint32_t protect, char *buf, size_t size)
{
    fixed_text b = { buf, size, 0 };
    uint32_t rest = protect;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof protect_bits / sizeof protect_bits[0]; i++) {
        if (!(protect & protect_bits[i].bit)) continue;
        append(&b, b.len ? "|" : "", protect_bits[i].name);
        rest &= ~protect_bits[i].bit;
    }
    if (rest || !protect) {
        char hex[16];
        snprintf(hex, sizeof hex, "0x%x", rest);
        append(&b, b.len ? "|" : "", hex);
    }
    return buf;
}

/* ---- building ---- */

static int cmp_region(const void *a, const void *b)
{
    const proc_region *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static proc_region blank_region(uint64_t base, uint64_t size)
{
    return (proc_region){ .base = base, .size = size, .allocation_base = base, .thread = (size_t)-1,
                          .module = (size_t)-1, .usage = PROC_USAGE_UNKNOWN };
}

/* Index of the region holding addr, or (size_t)-1. */
static size_t find_index(const proc_vm_map *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const proc_region *r = &m->regions[mid];
        if (addr < r->base) hi = mid;
        else if (addr - r->base >= r->size) lo = mid + 1;
        else return mid;
    }
    return (size_t)-1;
}

/* Index of the first region that ends after addr (m->n if none). */
static size_t first_ending_after(const proc_vm_map *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->regions[mid].base + m->regions[mid].size <= addr) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

const proc_region *proc_vm_find(const proc_vm_map *m, uint64_t addr)
{
    size_t i = find_index(m, addr);
    return i == (size_t)-1 ? NULL : &m->regions[i];
}

/* The regions MemoryInfoList describes. A 32-bit process's dump may hold
 * sign-extended addresses (0xffffffff9fff0000 for 0x9fff0000; dbghelp
 * widens 32-bit pointers that way); they are cut back to 32 bits. */
static int from_memory_info(cor_target *t, proc_vm_map *m, cor_err *err)
{
    const md_memory_info *mi;
    size_t n;
    if (md_memory_infos(t->dump, &mi, &n, err) != COR_OK) return COR_FAIL;
    if (!n) return COR_OK;
    m->regions = calloc(n, sizeof *m->regions);
    if (!m->regions) return cor_fail(err, "out of memory");
    uint64_t mask = t->ptr_size == 4 ? 0xFFFFFFFFu : UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!mi[i].region_size) continue;
        proc_region r = blank_region(mi[i].base & mask, mi[i].region_size);
        r.allocation_base = mi[i].allocation_base & mask;
        r.allocation_protect = mi[i].allocation_protect;
        r.state = mi[i].state;
        r.protect = mi[i].protect;
        r.type = mi[i].type;
        if (r.state == PROC_MEM_FREE) r.usage = PROC_USAGE_FREE;
        m->regions[m->n++] = r;
    }
    qsort(m->regions, m->n, sizeof *m->regions, cmp_region);
    m->from_memory_info = true;
    return COR_OK;
}

/* One module image for the overlap test of from_captured: its base, and
 * the furthest end of it and of every image sorted before it. */
typedef struct image_span {
    uint64_t base, max_end;
} image_span;

static int cmp_span(const void *a, const void *b)
{
    const image_span *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

/* end of [base, base + size), saturated: a hostile size can wrap. */
static uint64_t span_end(uint64_t base, uint64_t size) { return base + size < base ? UINT64_MAX : base + size; }

/* Whether [start, end) meets one of the n images (sorted, max_end set).
 * The images that begin before end are a prefix of the array; they reach
 * past start when the furthest of their ends does. */
static bool meets_image(const image_span *s, size_t n, uint64_t start, uint64_t end)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s[mid].base < end) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 && s[lo - 1].max_end > start;
}

/* Without MemoryInfoList: each module image is one committed MEM_IMAGE
 * region; each captured memory range outside the images is one committed
 * region of unknown type. */
static int from_captured(cor_target *t, proc_vm_map *m, cor_err *err)
{
    md_dump *d = t->dump;
    size_t nmod = md_module_count(d), nrange = md_range_count(d), nspan = 0;
    m->regions = calloc(nmod + nrange + 1, sizeof *m->regions);
    /* Sorted spans rather than a scan of every module for every range:
     * that was quadratic, and a 5 MB dump listing 40,000 modules and as
     * many ranges kept !address busy for seconds. */
    image_span *spans = calloc(nmod + 1, sizeof *spans);
    if (!m->regions || !spans) {
        free(spans);
        return cor_fail(err, "out of memory");
    }
    for (size_t i = 0; i < nmod; i++) {
        const md_module *mod = md_module_at(d, i);
        if (!mod->size) continue;
        proc_region r = blank_region(mod->base, mod->size);
        r.state = PROC_MEM_COMMIT;
        r.type = PROC_MEM_IMAGE;
        m->regions[m->n++] = r;
        spans[nspan++] = (image_span){ mod->base, span_end(mod->base, mod->size) };
    }
    qsort(spans, nspan, sizeof *spans, cmp_span);
    for (size_t i = 1; i < nspan; i++)
        if (spans[i].max_end < spans[i - 1].max_end) spans[i].max_end = spans[i - 1].max_end;
    for (size_t i = 0; i < nrange; i++) {
        const md_range *c = md_range_at(d, i);
        if (!c->size) continue;
        /* image pages: the image's region counts them */
        if (meets_image(spans, nspan, c->start, span_end(c->start, c->size))) continue;
        proc_region r = blank_region(c->start, c->size);
        r.state = PROC_MEM_COMMIT;
        m->regions[m->n++] = r;
    }
    free(spans);
    qsort(m->regions, m->n, sizeof *m->regions, cmp_region);
    /* Captured ranges may overlap each other (a thread's stack range and
     * the MemoryList's copy of it); keep the first of overlapping ones. */
    size_t out = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (out && m->regions[i].base < m->regions[out - 1].base + m->regions[out - 1].size) continue;
        m->regions[out++] = m->regions[i];
    }
    m->n = out;
    return COR_OK;
}

/* ---- classifying ---- */

static bool busy(const proc_region *r) { return r->usage != PROC_USAGE_FREE; }

/* Gives every region of the allocation holding addr a usage (those still
 * unclassified); returns how many. The regions of one allocation follow each other from its
 * allocation base. info says whose stack, which heap, what "Other" is. */
typedef struct mark_info {
    size_t thread;
    uint64_t heap;
    const char *other;
} mark_info;

static size_t mark_allocation(proc_vm_map *m, uint64_t addr, int usage, mark_info info)
{
    size_t i = find_index(m, addr);
    if (i == (size_t)-1 || !busy(&m->regions[i])) return 0;
    uint64_t ab = m->regions[i].allocation_base;
    size_t first = find_index(m, ab);
    if (first == (size_t)-1 || first > i) first = i;
    size_t marked = 0;
    for (size_t k = first; k < m->n && busy(&m->regions[k]) && m->regions[k].allocation_base == ab; k++) {
        proc_region *r = &m->regions[k];
        if (r->usage != PROC_USAGE_UNKNOWN) continue;
        r->usage = usage;
        r->thread = info.thread;
        r->heap = info.heap;
        r->other = info.other;
        marked++;
    }
    return marked;
}

static void classify_images(cor_target *t, proc_vm_map *m)
{
    md_dump *d = t->dump;
    for (size_t i = 0; i < m->n; i++)
        if (m->regions[i].type == PROC_MEM_IMAGE && busy(&m->regions[i])) m->regions[i].usage = PROC_USAGE_IMAGE;
    for (size_t k = 0; k < md_module_count(d); k++) {
        const md_module *mod = md_module_at(d, k);
        size_t i = first_ending_after(m, mod->base);
        for (; i < m->n && m->regions[i].base < mod->base + mod->size; i++) {
            proc_region *r = &m->regions[i];
            if (!busy(r)) continue;
            r->usage = PROC_USAGE_IMAGE;
            r->module = k;
        }
    }
}

/* The PEB address through the first readable TEB (the 32-bit one with wow). */
static bool peb_address(cor_target *t, bool wow, uint64_t *addr)
{
    proc_teb teb;
    cor_err e;
    for (size_t i = 0; i < md_thread_count(t->dump); i++)
        if (proc_read_teb(t, i, wow, &teb, &e) == COR_OK && teb.peb && teb.wow64 == wow) {
            *addr = teb.peb;
            return true;
        }
    return false;
}

/* Cuts [addr, addr+len) out of the busy, unclassified region holding addr
 * (clipped to it): the region becomes up to three pieces with its
 * attributes. Returns the middle piece, or NULL. */
static proc_region *carve(proc_vm_map *m, uint64_t addr, uint64_t len)
{
    size_t i = find_index(m, addr);
    if (i == (size_t)-1 || !busy(&m->regions[i]) || m->regions[i].usage != PROC_USAGE_UNKNOWN) return NULL;
    proc_region r = m->regions[i];
    uint64_t end = r.base + r.size, cut_end = len < end - addr ? addr + len : end;
    size_t pieces = 1 + (addr > r.base) + (cut_end < end);
    if (pieces > 1) {
        proc_region *g = realloc(m->regions, (m->n + pieces - 1) * sizeof *g);
        if (!g) return NULL;
        m->regions = g;
        memmove(&g[i + pieces], &g[i + 1], (m->n - i - 1) * sizeof *g);
        m->n += pieces - 1;
    }
    size_t k = i;
    if (addr > r.base) {
        m->regions[k] = r;
        m->regions[k].size = addr - r.base;
        k++;
    }
    m->regions[k] = r;
    m->regions[k].base = addr;
    m->regions[k].size = cut_end - addr;
    m->regions[k].continued = r.continued || k > i;
    if (cut_end < end) {
        m->regions[k + 1] = r;
        m->regions[k + 1].base = cut_end;
        m->regions[k + 1].size = end - cut_end;
        m->regions[k + 1].continued = true;
    }
    return &m->regions[k];
}

static void classify_process_blocks(cor_target *t, proc_vm_map *m, bool wow)
{
    uint64_t peb;
    proc_region *r;
    if (peb_address(t, wow, &peb) && (r = carve(m, peb, PAGE_SIZE))) r->usage = PROC_USAGE_PEB;
    /* x64 and ARM64 TEBs take two pages; x86 ones, and WoW64's, one. */
    uint64_t teb_size = wow || t->ptr_size == 4 ? PAGE_SIZE : 2 * PAGE_SIZE;
    for (size_t i = 0; i < md_thread_count(t->dump); i++) {
        proc_teb teb;
        cor_err e;
        uint64_t addr = wow ? 0 : md_thread_at(t->dump, i)->teb;
        if (proc_read_teb(t, i, wow, &teb, &e) == COR_OK && teb.wow64 == wow) addr = teb.addr;
        if (addr && (r = carve(m, addr, teb_size))) {
            r->usage = PROC_USAGE_TEB;
            r->thread = i;
        }
    }
}

static void classify_stacks(cor_target *t, proc_vm_map *m, bool wow)
{
    for (size_t i = 0; i < md_thread_count(t->dump); i++) {
        const md_thread *th = md_thread_at(t->dump, i);
        mark_info info = { .thread = i };
        proc_teb teb;
        cor_err e;
        if (proc_read_teb(t, i, wow, &teb, &e) == COR_OK && teb.wow64 == wow) {
            if (teb.deallocation_stack) mark_allocation(m, teb.deallocation_stack, PROC_USAGE_STACK, info);
            if (teb.stack_limit) mark_allocation(m, teb.stack_limit, PROC_USAGE_STACK, info);
            if (teb.stack_base > teb.stack_limit) mark_allocation(m, teb.stack_base - 1, PROC_USAGE_STACK, info);
        }
        /* The stack memory the thread list captured (the 64-bit one on WoW64). */
        if (!wow && th->stack.size) mark_allocation(m, th->stack_start, PROC_USAGE_STACK, info);
    }
}

static void classify_heaps(cor_target *t, proc_vm_map *m, bool wow)
{
    proc_peb p;
    cor_err e;
    if (proc_read_peb(t, wow, &p, &e) != COR_OK || p.wow64 != wow) return;
    uint32_t n = p.number_of_heaps < MAX_HEAPS ? p.number_of_heaps : MAX_HEAPS;
    for (uint32_t k = 0; k < n && p.process_heaps; k++) {
        uint64_t h;
        if (as_read_ptr(t->as, p.process_heaps + (uint64_t)k * p.ptr_size, p.ptr_size, &h) != COR_OK) break;
        if (h) mark_allocation(m, h, PROC_USAGE_HEAP, (mark_info){ .thread = (size_t)-1, .heap = h });
    }
    /* The array lives in ntdll's data, which small dumps leave out. */
    if (p.process_heap)
        mark_allocation(m, p.process_heap, PROC_USAGE_HEAP, (mark_info){ .thread = (size_t)-1, .heap = p.process_heap });
    proc_peb_free(&p);
}

/* Heap segments the ProcessHeaps array does not name: allocations whose
 * first bytes carry a segment signature. Needs the page in the dump. */
static void classify_heap_segments(cor_target *t, proc_vm_map *m)
{
    bool wow64 = t->ptr_size == 8 && proc_is_wow64(t);
    for (size_t i = 0; i < m->n; i++) {
        proc_region *r = &m->regions[i];
        if (r->usage != PROC_USAGE_UNKNOWN || r->base != r->allocation_base || r->state != PROC_MEM_COMMIT ||
            r->type != PROC_MEM_PRIVATE)
            continue;
        for (int pass = 0; pass < (wow64 ? 2 : 1); pass++) {
            unsigned off = (t->ptr_size == 4 || pass == 1) ? 0x8 : 0x10;
            uint32_t sig;
            if (as_read_u32(t->as, r->base + off, &sig) != COR_OK) continue;
            if (sig == HEAP_SEGMENT_SIGNATURE || sig == SEGMENT_HEAP_SIGNATURE) {
                mark_allocation(m, r->base, PROC_USAGE_HEAP, (mark_info){ .thread = (size_t)-1 });
                break;
            }
        }
    }
}

static void classify_others(cor_target *t, proc_vm_map *m, bool wow)
{
    mark_info info = { .thread = (size_t)-1, .other = "User Shared Data" };
    if (!wow) mark_allocation(m, USER_SHARED_DATA, PROC_USAGE_OTHER, info);
    uint64_t peb;
    if (!peb_address(t, wow, &peb)) return;
    unsigned ps = wow || t->ptr_size == 4 ? 4 : 8;
    for (size_t k = 0; k < sizeof peb_others / sizeof peb_others[0]; k++) {
        uint64_t p;
        if (as_read_ptr(t->as, peb + (ps == 4 ? peb_others[k].off32 : peb_others[k].off64), ps, &p) != COR_OK || !p)
            continue;
        info.other = peb_others[k].what;
        mark_allocation(m, p, PROC_USAGE_OTHER, info);
    }
}

int proc_vm_build(cor_target *t, proc_vm_map *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    if (from_memory_info(t, out, err) != COR_OK) return COR_FAIL;
    if (!out->n && from_captured(t, out, err) != COR_OK) {
        proc_vm_free(out);
        return COR_FAIL;
    }
    bool wow64 = t->ptr_size == 8 && proc_is_wow64(t);
    classify_images(t, out);
    for (int w = 0; w <= (int)wow64; w++) classify_process_blocks(t, out, w);
    for (int w = 0; w <= (int)wow64; w++) classify_stacks(t, out, w);
    for (int w = 0; w <= (int)wow64; w++) classify_heaps(t, out, w);
    classify_heap_segments(t, out);
    for (int w = 0; w <= (int)wow64; w++) classify_others(t, out, w);
    return COR_OK;
}

void proc_vm_free(proc_vm_map *m)
{
    free(m->regions);
    memset(m, 0, sizeof *m);
}
