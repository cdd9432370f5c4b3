/* The heap reader (src/process/heaps.c) and !heap -s. The PEB's heap
 * fields are read here independently, straight from the TEB and PEB at
 * their documented offsets, and compared with what the reader reports:
 *  - the lab's Wine dumps: Wine leaves NumberOfHeaps 0, so the process heap
 *    is the only heap; its header is Wine's (named so, flags still read)
 *    and its sizes are the memory map's, checked against the address-space
 *    map of !address (process/address_usage.c);
 *  - Firefox's x86 Windows 10 19041 dump (mozilla-services corpus), whose
 *    process heap and three more heaps were captured: real NT heaps;
 *  - an x64 Windows 11 dump whose heap headers were not captured. */
#include <inttypes.h>
#include <unistd.h>

#include "console/console.h"
#include "process/address_usage.h"
#include "process/heaps.h"
#include "test.h"

typedef struct peb_facts {
    uint64_t peb, process_heap, process_heaps;
    uint32_t number_of_heaps;
} peb_facts;

/* TEB.ProcessEnvironmentBlock is at 0x60 (x64) / 0x30 (x86); the PEB's
 * ProcessHeap at 0x30 / 0x18, NumberOfHeaps at 0xE8 / 0x88, ProcessHeaps
 * at 0xF0 / 0x90 (winternl.h, public ntdll symbols). */
static bool read_peb_facts(cor_target *t, peb_facts *f)
{
    unsigned ps = t->ptr_size;
    uint64_t teb = md_thread_at(t->dump, 0)->teb;
    return as_read_ptr(t->as, teb + (ps == 8 ? 0x60 : 0x30), ps, &f->peb) == COR_OK &&
           as_read_ptr(t->as, f->peb + (ps == 8 ? 0x30 : 0x18), ps, &f->process_heap) == COR_OK &&
           as_read_u32(t->as, f->peb + (ps == 8 ? 0xE8 : 0x88), &f->number_of_heaps) == COR_OK &&
           as_read_ptr(t->as, f->peb + (ps == 8 ? 0xF0 : 0x90), ps, &f->process_heaps) == COR_OK;
}

static cor_target *open_dump(const char *path)
{
    cor_target *t = NULL;
    cor_err err;
    if (target_open(path, &t, &err) != COR_OK) fprintf(stderr, "%s: %s\n", path, err.msg);
    return t;
}

/* The memory map of !address: reserved and committed bytes of the
 * allocation at base. */
static bool vm_figures(cor_target *t, uint64_t base, uint64_t *reserved, uint64_t *committed)
{
    proc_vm_map m;
    cor_err err;
    if (proc_vm_build(t, &m, &err) != COR_OK) return false;
    bool found = false;
    *reserved = *committed = 0;
    for (size_t i = 0; i < m.n; i++) {
        const proc_region *r = &m.regions[i];
        if (r->allocation_base != base || r->state == PROC_MEM_FREE) continue;
        found = true;
        *reserved += r->size;
        if (r->state == PROC_MEM_COMMIT) *committed += r->size;
    }
    proc_vm_free(&m);
    return found;
}

static char *run_console(cor_target *t, const char *cmd)
{
    con_session *s = NULL;
    cor_err err;
    if (con_open(t, &s, &err) != COR_OK) return NULL;
    strbuf sb;
    sb_init(&sb);
    con_set_output_buffer(s, &sb);
    con_execute(s, cmd);
    con_close(s);
    return sb.s;
}

static size_t count_from_array(const proc_heaps *hs)
{
    size_t n = 0;
    for (size_t i = 0; i < hs->n; i++) n += hs->heaps[i].from_array;
    return n;
}

static void check_lab(const char *name, bool full_memory)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.dmp", getenv("COR_LAB"), name);
    cor_target *t = open_dump(path);
    CHECK(t != NULL);
    if (!t) return;
    peb_facts f;
    CHECK(read_peb_facts(t, &f));
    proc_heaps hs;
    cor_err err;
    CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
    CHECK_EQ_U(hs.peb, f.peb);
    CHECK_EQ_U(hs.process_heap, f.process_heap);
    CHECK_EQ_U(hs.number_of_heaps, f.number_of_heaps);
    CHECK_EQ_U(count_from_array(&hs), f.number_of_heaps);
    /* Wine keeps no heap array: the process heap alone. */
    CHECK_EQ_U(f.number_of_heaps, 0);
    CHECK_EQ_U(hs.n, 1);
    if (hs.n) {
        const proc_heap *h = &hs.heaps[0];
        CHECK_EQ_U(h->addr, f.process_heap);
        CHECK(h->is_process_heap && !h->from_array && !h->found_by_scan);
        if (full_memory) {
            CHECK_EQ_U(h->kind, PROC_HEAP_WINE);
            uint32_t flags;
            CHECK(as_read_u32(t->as, h->addr + 0x70, &flags) == COR_OK);
            CHECK(h->has_flags);
            CHECK_EQ_U(h->flags, flags);
            CHECK_EQ_U(h->flags & 2, 2); /* HEAP_GROWABLE, as every process heap */
            uint64_t res, com;
            CHECK(vm_figures(t, h->addr, &res, &com));
            CHECK(h->has_region);
            CHECK_EQ_U(h->region_reserved, res);
            CHECK_EQ_U(h->region_committed, com);
            CHECK(com > 0 && com <= res && res % 0x1000 == 0);
            CHECK_STR(h->sizes_from, "memory map");
        } else {
            CHECK(!h->has_region); /* no MemoryInfoList */
        }
    }
    char *out = run_console(t, "!heap -s");
    char addr[32];
    snprintf(addr, sizeof addr, "%016" PRIx64 " ", f.process_heap);
    CHECK(out && strstr(out, "NT HEAP STATS BELOW") && strstr(out, addr));
    if (full_memory) CHECK(out && strstr(out, "Wine heap"));
    CHECK(out && strstr(out, "NumberOfHeaps 0"));
    free(out);
    out = run_console(t, "!heap");
    CHECK(out && strstr(out, "(process heap)"));
    free(out);
    proc_heaps_free(&hs);
    target_close(t);
}

/* Firefox, 32-bit, Windows 10 19041: NT heaps with LFH. */
static void check_firefox(void)
{
    cor_target *t = open_dump(
        corpus_path("mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp"));
    CHECK(t != NULL);
    if (!t) return;
    peb_facts f;
    CHECK(read_peb_facts(t, &f));
    proc_heaps hs;
    cor_err err;
    CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
    CHECK_EQ_U(hs.ptr_size, 4);
    CHECK_EQ_U(hs.process_heap, f.process_heap);
    CHECK_EQ_U(hs.number_of_heaps, f.number_of_heaps);
    CHECK_EQ_U(hs.number_of_heaps, 5);
    CHECK(!hs.array_read); /* ntdll's data is not in this dump */
    CHECK(hs.layout && strstr(hs.layout, "1809+") && strstr(hs.layout, "x86"));
    CHECK(hs.n >= 2 && hs.n <= hs.number_of_heaps);
    for (size_t i = 0; i < hs.n; i++) {
        const proc_heap *h = &hs.heaps[i];
        CHECK(i == 0 ? h->is_process_heap : h->found_by_scan);
        CHECK_EQ_U(h->kind, PROC_HEAP_NT);
        /* The header, read here at the x86 Windows 10 offsets. */
        uint32_t sig, flags, free_units, reserved, committed;
        uint8_t fe;
        CHECK(as_read_u32(t->as, h->addr + 0x60, &sig) == COR_OK && sig == 0xEEFFEEFF);
        CHECK(as_read_u32(t->as, h->addr + 0x40, &flags) == COR_OK);
        CHECK(as_read_u32(t->as, h->addr + 0x74, &free_units) == COR_OK);
        CHECK(as_read_u8(t->as, h->addr + 0xEA, &fe) == COR_OK);
        CHECK(as_read_u32(t->as, h->addr + 0x1F4, &reserved) == COR_OK);
        CHECK(as_read_u32(t->as, h->addr + 0x1F8, &committed) == COR_OK);
        CHECK_EQ_U(h->flags, flags);
        CHECK_EQ_U(h->flags & 2, 2);
        CHECK_EQ_U(h->free_bytes, (uint64_t)free_units * 8);
        CHECK_EQ_U(h->front_end, fe);
        CHECK_EQ_U(h->front_end, 2); /* LFH */
        CHECK(h->has_counters);
        CHECK_EQ_U(h->reserved, reserved);
        CHECK_EQ_U(h->committed, committed);
        CHECK(h->committed <= h->reserved);
        /* The first segment is the heap itself; each segment lies in its
         * own allocation, which is at least as large. */
        CHECK(h->nsegments >= 1);
        if (h->nsegments) CHECK_EQ_U(h->segments[0].addr, h->addr);
        uint64_t seg_reserved = 0;
        for (size_t k = 0; k < h->nsegments; k++) {
            const proc_heap_segment *s = &h->segments[k];
            seg_reserved += s->reserved;
            CHECK(s->has_region && s->reserved <= s->region_reserved && s->committed <= s->region_committed);
        }
        CHECK(seg_reserved <= h->reserved);
        CHECK(h->has_region);
    }
    char *out = run_console(t, "!heap -s");
    char addr[32];
    snprintf(addr, sizeof addr, "%08" PRIx64 " %08x", f.process_heap, hs.n ? hs.heaps[0].flags : 0);
    CHECK(out && strstr(out, addr) && strstr(out, "LFH") && strstr(out, "Segments:"));
    free(out);
    proc_heaps_free(&hs);
    target_close(t);
}

/* Windows 11 x64 with MemoryInfoList but no heap pages. */
static void check_uncaptured(void)
{
    cor_target *t = open_dump(corpus_path("google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp"));
    CHECK(t != NULL);
    if (!t) return;
    peb_facts f;
    CHECK(read_peb_facts(t, &f));
    proc_heaps hs;
    cor_err err;
    CHECK(proc_heaps_read(t, false, &hs, &err) == COR_OK);
    CHECK_EQ_U(hs.number_of_heaps, f.number_of_heaps);
    CHECK(!hs.array_read);
    CHECK(hs.n >= 1);
    if (hs.n) {
        const proc_heap *h = &hs.heaps[0];
        CHECK_EQ_U(h->addr, f.process_heap);
        CHECK_EQ_U(h->kind, PROC_HEAP_UNREADABLE);
        CHECK(!h->has_flags);
        uint64_t res, com;
        CHECK(vm_figures(t, h->addr, &res, &com));
        CHECK(h->has_region && h->region_reserved == res && h->region_committed == com);
    }
    proc_heaps_free(&hs);
    target_close(t);
}

int main(void)
{
    /* No PEB in the dump: nothing to list. */
    cor_target *t = open_dump(corpus_path("google__breakpad/src__processor__testdata__minidump2.dmp"));
    CHECK(t != NULL);
    if (t) {
        proc_heaps hs;
        cor_err err;
        CHECK(proc_heaps_read(t, false, &hs, &err) == COR_FAIL);
        target_close(t);
    }
    check_firefox();
    check_uncaptured();

    if (!getenv("COR_LAB") || access(getenv("COR_LAB"), R_OK) != 0) {
        fprintf(stderr, "lab dumps not built (tests/lab/build-lab.sh): lab checks skipped\n");
        if (getenv("COR_LAB_REQUIRED")) return 1;
        TEST_DONE();
    }
    check_lab("w3wp_hang", true);
    check_lab("hang_locks", true);
    check_lab("w3wp_hang_mp", false);
    TEST_DONE();
}
