/* !address -summary and !address ADDR in WinDbg's layouts, over the
 * process layer's address-space map (process/address_usage.h: the regions
 * of MemoryInfoList, each classified Free, Image, Heap, Stack, TEB, PEB,
 * Other or <unknown>).
 *
 * The summary groups regions by usage, type (busy regions), state and
 * protection (committed regions): region count, total size, share of the
 * busy space and of the whole address space; then the largest region of
 * each usage (its size is the fragmentation figure: how much can still be
 * reserved in one piece). A dump without MemoryInfoList gets the usage
 * part only, over what it does know: module images and captured memory. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "process/address_usage.h"

typedef struct group {
    uint32_t key;      /* usage, type, state or protect value */
    size_t count;
    uint64_t total;
    uint64_t largest_base, largest_size;
} group;

typedef struct group_set {
    group *g;
    size_t n;
} group_set;

/* Adds a region to the group of key (groups is sized for every region).
 * With whole, a piece the map cut from a region the dump lists counts
 * only once: the type, state and protection summaries count the dump's
 * regions, the usage summary counts pieces. */
static void tally(group_set *gs, uint32_t key, const proc_region *r, bool whole)
{
    size_t i = 0;
    while (i < gs->n && gs->g[i].key != key) i++;
    if (i == gs->n) gs->g[gs->n++] = (group){ .key = key };
    group *g = &gs->g[i];
    if (!whole || !r->continued) g->count++;
    g->total += r->size;
    if (r->size > g->largest_size) {
        g->largest_size = r->size;
        g->largest_base = r->base;
    }
}

/* Largest total first; equal totals in key order (the usage order). */
static int cmp_group(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->total != y->total) return x->total < y->total ? 1 : -1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Sizes and bases as the summary prints them: "7ffe`e3d3c000" (no leading
 * zeros, a backtick before the low 32 bits) on 64-bit targets, "58e9d000"
 * on 32-bit ones. */
static const char *fmt_hex(const con_session *s, uint64_t v, char *buf)
{
    if (con_ptr_size(s) == 4 && v <= 0xFFFFFFFFu) snprintf(buf, 24, "%" PRIx64, v);
    else snprintf(buf, 24, "%" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
    return buf;
}

/* "( 204.746 MB)": kB below 1 MB, and so on up to TB. */
static const char *fmt_human(uint64_t v, char *buf)
{
    static const char *const units[] = { "kB", "MB", "GB", "TB" };
    double x = (double)v / 1024.0;
    size_t u = 0;
    while (x >= 1024.0 && u + 1 < sizeof units / sizeof units[0]) {
        x /= 1024.0;
        u++;
    }
    snprintf(buf, 32, "(%8.3f %s)", x, units[u]);
    return buf;
}

static const char *group_name(int kind, uint32_t key, char *buf, size_t size)
{
    const char *n = NULL;
    switch (kind) {
    case 'u': return proc_usage_name((int)key);
    case 't': n = proc_mem_type_name(key); break;
    case 's': n = proc_mem_state_name(key); break;
    default: return proc_protect_name(key, buf, size);
    }
    if (n) return n;
    snprintf(buf, size, "0x%x", key);
    return buf;
}

/* "--- Usage Summary ---------------- RgnCount ----------- Total Size -------- %ofBusy %ofTotal" */
static void print_header(con_session *s, const char *title)
{
    char head[40];
    size_t n = (size_t)snprintf(head, sizeof head, "--- %s ", title);
    while (n < 34 && n + 1 < sizeof head) head[n++] = '-';
    head[n] = 0;
    con_printf(s, "%s RgnCount ----------- Total Size -------- %%ofBusy %%ofTotal\n", head);
}

/* One line per group: the busy share is left blank for free memory and
 * the whole share when the whole is not known (total 0). */
static void print_groups(con_session *s, const char *title, int kind, group_set *gs, uint64_t busy, uint64_t total)
{
    qsort(gs->g, gs->n, sizeof *gs->g, cmp_group);
    con_puts(s, "\n");
    print_header(s, title);
    for (size_t i = 0; i < gs->n; i++) {
        const group *g = &gs->g[i];
        char name[96], hex[24], human[32], pbusy[16] = "        ", ptotal[16] = "";
        bool is_free = (kind == 'u' && g->key == PROC_USAGE_FREE) || (kind == 's' && g->key == PROC_MEM_FREE);
        if (!is_free && busy) snprintf(pbusy, sizeof pbusy, "%7.2f%%", 100.0 * (double)g->total / (double)busy);
        if (total) snprintf(ptotal, sizeof ptotal, " %7.2f%%", 100.0 * (double)g->total / (double)total);
        con_printf(s, "%-32s%11zu%18s %s%s%s\n", group_name(kind, g->key, name, sizeof name), g->count,
                   fmt_hex(s, g->total, hex), fmt_human(g->total, human), pbusy, ptotal);
    }
}

static void print_largest(con_session *s, group_set *usage)
{
    con_puts(s, "\n--- Largest Region by Usage ----------- Base Address -------- Region Size ----------\n");
    for (size_t i = 0; i < usage->n; i++) {
        const group *g = &usage->g[i];
        char base[24], size[24], human[32];
        con_printf(s, "%-32s%18s%18s %s\n", proc_usage_name((int)g->key), fmt_hex(s, g->largest_base, base),
                   fmt_hex(s, g->largest_size, size), fmt_human(g->largest_size, human));
    }
}

static int address_summary(con_session *s, const proc_vm_map *m, cor_err *err)
{
    group *buf = calloc(4 * (m->n + 1), sizeof *buf);
    if (!buf) return cor_fail(err, "out of memory");
    group_set usage = { buf, 0 }, type = { buf + m->n + 1, 0 }, state = { buf + 2 * (m->n + 1), 0 },
              protect = { buf + 3 * (m->n + 1), 0 };
    uint64_t total = 0, busy = 0;
    for (size_t i = 0; i < m->n; i++) {
        const proc_region *r = &m->regions[i];
        total += r->size;
        tally(&usage, (uint32_t)r->usage, r, false);
        tally(&state, r->state, r, true);
        if (r->usage == PROC_USAGE_FREE) continue;
        busy += r->size;
        tally(&type, r->type, r, true);
        if (r->state == PROC_MEM_COMMIT) tally(&protect, r->protect, r, true);
    }
    if (!m->from_memory_info) {
        /* Only the known pieces: the whole address space is not known. */
        con_puts(s, "The dump has no MemoryInfoList stream: the regions below are the module images and the\n"
                    "memory ranges the dump captured. What lies between them is not known, so there are no\n"
                    "free regions and no type, state or protection summaries.\n");
        print_groups(s, "Usage Summary", 'u', &usage, busy, 0);
    } else {
        print_groups(s, "Usage Summary", 'u', &usage, busy, total);
        print_groups(s, "Type Summary (for busy)", 't', &type, busy, total);
        print_groups(s, "State Summary", 's', &state, busy, total);
        print_groups(s, "Protect Summary (for commit)", 'p', &protect, busy, total);
    }
    print_largest(s, &usage);
    free(buf);
    return COR_OK;
}

/* "00001000          MEM_COMMIT", or WinDbg's words for a value the
 * target did not give. */
static void print_value(con_session *s, const char *label, uint32_t v, const char *name)
{
    if (!v) con_printf(s, "%-24s<info not present at the target>\n", label);
    else con_printf(s, "%-24s%08x          %s\n", label, v, name);
}

static int address_at(con_session *s, const proc_vm_map *m, uint64_t addr, cor_err *err)
{
    char b[24], b2[24], human[32], pname[96];
    const proc_region *r = proc_vm_find(m, addr);
    if (!r) {
        if (m->from_memory_info)
            return cor_fail(err, "No region of the dump's MemoryInfoList holds %s", con_fmt_addr(s, addr, b));
        return cor_fail(err, "%s is in no module and in no memory the dump captured (the dump has no "
                             "MemoryInfoList stream to say more)", con_fmt_addr(s, addr, b));
    }
    con_puts(s, "\n");
    con_printf(s, "%-24s%s\n", "Usage:", proc_usage_name(r->usage));
    con_printf(s, "%-24s%s\n", "Base Address:", con_fmt_addr(s, r->base, b));
    con_printf(s, "%-24s%s\n", "End Address:", con_fmt_addr(s, r->base + r->size, b));
    con_printf(s, "%-24s%s %s\n", "Region Size:", con_fmt_addr(s, r->size, b), fmt_human(r->size, human));
    const char *state = proc_mem_state_name(r->state);
    print_value(s, "State:", r->state, state ? state : "?");
    print_value(s, "Protect:", r->protect, proc_protect_name(r->protect, pname, sizeof pname));
    if (r->usage != PROC_USAGE_FREE) {
        const char *type = proc_mem_type_name(r->type);
        print_value(s, "Type:", r->type, type ? type : "?");
        if (m->from_memory_info) {
            con_printf(s, "%-24s%s\n", "Allocation Base:", con_fmt_addr(s, r->allocation_base, b));
            print_value(s, "Allocation Protect:", r->allocation_protect,
                        proc_protect_name(r->allocation_protect, pname, sizeof pname));
        }
    }
    if (!m->from_memory_info)
        con_puts(s, "(The dump has no MemoryInfoList stream: the region is a module image or a captured "
                    "memory range.)\n");
    size_t mod = r->module != (size_t)-1 ? r->module : con_module_index(s, addr);
    switch (r->usage) {
    case PROC_USAGE_IMAGE:
        if (mod != (size_t)-1) {
            const md_module *md = md_module_at(s->t->dump, mod);
            const char *n = con_module_name(s, mod);
            con_printf(s, "%-24s%s\n", "Image Path:", md->path);
            con_printf(s, "%-24s%s\n", "Module Name:", n);
            con_printf(s, "%-24s%s\n", "Loaded Image Name:", md->path);
            con_printf(s, "%-24s\n", "Mapped Image Name:");
            con_printf(s, "%-24slmv m %s\n", "More info:", n);
            con_printf(s, "%-24s!lmi %s\n", "More info:", n);
        }
        con_printf(s, "%-24sln 0x%" PRIx64 "\n", "More info:", addr);
        break;
    case PROC_USAGE_STACK:
        if (r->thread != (size_t)-1) con_printf(s, "%-24s~%zuk\n", "More info:", r->thread);
        break;
    case PROC_USAGE_TEB:
        if (r->thread != (size_t)-1) con_printf(s, "%-24s~%zus; !teb\n", "More info:", r->thread);
        break;
    case PROC_USAGE_PEB:
        con_printf(s, "%-24s!peb\n", "More info:");
        break;
    case PROC_USAGE_HEAP:
        if (r->heap) con_printf(s, "%-24sHeap handle %s\n", "Additional info:", con_fmt_addr(s, r->heap, b2));
        break;
    case PROC_USAGE_OTHER:
        if (r->other) con_printf(s, "%-24s%s\n", "Additional info:", r->other);
        break;
    default:
        break;
    }
    return COR_OK;
}

int cmd_address(con_session *s, const char *name, const char *args, cor_err *err)
{
    bool summary = strcasecmp(args, "-summary") == 0;
    uint64_t addr = 0;
    if (!summary) {
        if (!*args)
            return cor_fail(err, "!address needs -summary or an address (the full region listing is not supported)");
        const char *end;
        if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
    }
    proc_vm_map m;
    if (proc_vm_build(s->t, &m, err) != COR_OK) return COR_FAIL;
    int rc = summary ? address_summary(s, &m, err) : address_at(s, &m, addr, err);
    proc_vm_free(&m);
    return rc;
}
