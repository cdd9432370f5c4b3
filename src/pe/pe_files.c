/* Image files as a fallback for dump memory (cdb -i, WinDbg .exepath).
 *
 * A minidump usually holds only a module's headers and the stack-touched
 * pages, if that; the unwinder needs .pdata/.xdata and the disassembler
 * needs code. When the same build of the image is on disk, its bytes are
 * what the process had, once laid out as the loader lays them out and
 * relocated to where the module was loaded. Identity is the pair the
 * symbol servers use for images: TimeDateStamp and SizeOfImage. */
#include "pe/pe_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"
#include "core/text.h"
#include "pe/pe_image.h"
#include "pe/pe_internal.h"
#include "pe/pe_reloc.h"

/* Zero fill is served from here: const, so sharing it is not state. */
static const uint8_t zero_page[4096];

enum { PF_UNTRIED = 0, PF_LOADED = 1, PF_ABSENT = -1 };

typedef struct pf_module {
    uint64_t base;
    uint32_t size;
    uint32_t timestamp;
    char *name;
    int state;      /* PF_* */
    cor_err why;    /* PF_ABSENT: the reason */
    char *file;
    uint8_t *map;   /* private, writable (relocations) */
    size_t map_size;
    pe_image *img;  /* file layout over map */
} pf_module;

struct pe_files {
    char *image_path;
    pe_files_finder finder; /* optional: after the image path */
    void *finder_ctx;
    pf_module *mods;
    size_t nmods;
    size_t *order; /* module indexes sorted by base */
};

/* ---- the search path ---- */

typedef struct dir_list {
    char **v;
    size_t n;
} dir_list;

static void dirs_free(dir_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
}

static bool dirs_add(dir_list *l, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    if (!len) return true;
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv) return false;
    l->v = nv;
    char *d = strndup(s, len);
    if (!d) return false;
    l->v[l->n++] = d;
    return true;
}

static bool has_prefix_ci(const char *s, size_t len, const char *p)
{
    size_t pl = strlen(p);
    return len >= pl && strncasecmp(s, p, pl) == 0;
}

/* Splits "a;b;srv*c*https://x" into directories. Symbol-server entries
 * contribute their local stores only; downloading is the sym layer's job. */
static bool dirs_split(const char *path, dir_list *l)
{
    const char *p = path;
    while (*p) {
        size_t len = strcspn(p, ";");
        if (has_prefix_ci(p, len, "srv*") || has_prefix_ci(p, len, "cache*") || has_prefix_ci(p, len, "symsrv*")) {
            const char *q = p, *end = p + len;
            bool first = true;
            while (q < end) {
                const char *star = memchr(q, '*', (size_t)(end - q));
                size_t plen = star ? (size_t)(star - q) : (size_t)(end - q);
                bool skip = first || has_prefix_ci(q, plen, "http://") || has_prefix_ci(q, plen, "https://") ||
                            (plen == 10 && strncasecmp(q, "symsrv.dll", 10) == 0);
                if (!skip && !dirs_add(l, q, plen)) return false;
                first = false;
                q += plen + (star ? 1 : 0);
            }
        } else if (!dirs_add(l, p, len)) {
            return false;
        }
        p += len;
        if (*p == ';') p++;
    }
    return true;
}

static char *join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *s = malloc(a + b + 2);
    if (!s) return NULL;
    memcpy(s, dir, a);
    size_t k = a;
    if (k && s[k - 1] != '/') s[k++] = '/';
    memcpy(s + k, name, b + 1);
    return s;
}

/* dir/name, matching name case-insensitively as Windows would. */
static char *ci_child(const char *dir, const char *name)
{
    struct stat st;
    char *p = join(dir, name);
    if (!p || stat(p, &st) == 0) return p;
    free(p);
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char *found = NULL;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcasecmp(e->d_name, name) == 0) {
            found = join(dir, e->d_name);
            break;
        }
    }
    closedir(d);
    return found;
}

static bool is_regular(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A module name from a dump is untrusted: it must name a file, not a path. */
static bool name_ok(const char *name)
{
    return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/');
}

/* True when file is a PE image with this identity; otherwise notes what it
 * is in why. */
static bool candidate_ok(const char *file, uint32_t timestamp, uint32_t size, strbuf *why)
{
    pe_image *img;
    cor_err e;
    if (pe_image_open_path(file, &img, &e) != COR_OK) {
        sb_printf(why, "%s%s (%s)", why->len ? "; " : "", file, e.msg);
        return false;
    }
    const pe_headers *h = pe_image_headers(img);
    bool ok = h->timestamp == timestamp && h->size_of_image == size;
    if (!ok)
        sb_printf(why, "%s%s (TimeDateStamp 0x%08x, SizeOfImage 0x%x)", why->len ? "; " : "", file, h->timestamp,
                  h->size_of_image);
    pe_image_close(img);
    return ok;
}

char *pe_files_find(const char *image_path, const char *name, uint32_t timestamp, uint32_t size_of_image,
                    cor_err *err)
{
    if (!name_ok(name)) {
        cor_fail(err, "module name \"%s\" is not a file name", name);
        return NULL;
    }
    dir_list dirs = { 0 };
    if (!dirs_split(image_path, &dirs)) {
        dirs_free(&dirs);
        cor_fail(err, "out of memory");
        return NULL;
    }
    char key[24];
    snprintf(key, sizeof key, "%08X%x", timestamp, size_of_image);
    strbuf why;
    sb_init(&why);
    char *hit = NULL;
    for (size_t i = 0; i < dirs.n && !hit; i++) {
        /* dir/name */
        char *flat = ci_child(dirs.v[i], name);
        if (flat && is_regular(flat) && candidate_ok(flat, timestamp, size_of_image, &why)) {
            hit = flat;
            break;
        }
        /* dir/name/KEY/name: a symbol store. Here dir/name is a directory. */
        char *d2 = flat ? ci_child(flat, key) : NULL;
        char *f = d2 ? ci_child(d2, name) : NULL;
        if (f && is_regular(f) && candidate_ok(f, timestamp, size_of_image, &why)) {
            hit = f;
            f = NULL;
        }
        free(flat);
        free(d2);
        free(f);
    }
    if (!hit) {
        if (why.len)
            cor_fail(err, "no %s with TimeDateStamp 0x%08x and SizeOfImage 0x%x; found %s", name, timestamp,
                     size_of_image, why.s);
        else
            cor_fail(err, "%s not found in the %zu director%s of the image path", name, dirs.n,
                     dirs.n == 1 ? "y" : "ies");
    }
    sb_free(&why);
    dirs_free(&dirs);
    return hit;
}

/* ---- loading and relocating ---- */

typedef struct reloc_ctx {
    const pe_image *img;
    uint8_t *map;
    size_t map_size;
    uint64_t delta;
    size_t skipped;
} reloc_ctx;

/* Applies one relocation to the private mapping. Entries the loader's view
 * does not back with file bytes (or unusual types: HIGHADJ is MIPS-era,
 * the ARM MOV32 forms only appear in ARM32 code) are counted and skipped:
 * a stale value beats a refused image. */
static int apply_reloc(void *ctx, uint32_t rva, unsigned type, uint16_t param)
{
    reloc_ctx *rc = ctx;
    unsigned width = type == PE_REL_DIR64 ? 8 : type == PE_REL_HIGHLOW ? 4 : (type == PE_REL_HIGH || type == PE_REL_LOW) ? 2 : 0;
    uint64_t off, run;
    if (!width || !pe_rva_locate(rc->img, rva, &off, &run) || off == UINT64_MAX || run < width ||
        !span_ok(rc->map_size, off, width)) {
        rc->skipped++;
        return COR_OK;
    }
    uint8_t *p = rc->map + off;
    uint64_t v;
    switch (type) {
    case PE_REL_DIR64:
        v = le64(p) + rc->delta;
        for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
        break;
    case PE_REL_HIGHLOW:
        v = le32(p) + (uint32_t)rc->delta;
        for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
        break;
    case PE_REL_HIGH:
        v = le16(p) + (uint16_t)(rc->delta >> 16);
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
        break;
    case PE_REL_LOW:
        v = le16(p) + (uint16_t)rc->delta;
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
        break;
    }
    (void)param;
    return COR_OK;
}

static void unload(pf_module *m)
{
    pe_image_close(m->img);
    m->img = NULL;
    if (m->map) munmap(m->map, m->map_size);
    m->map = NULL;
    free(m->file);
    m->file = NULL;
}

static int load_module(const pe_files *f, pf_module *m, cor_err *err)
{
    m->file = *f->image_path ? pe_files_find(f->image_path, m->name, m->timestamp, m->size, err) : NULL;
    if (!m->file && f->finder) m->file = f->finder(f->finder_ctx, m->name, m->timestamp, m->size, err);
    if (!m->file) {
        if (!*f->image_path && !f->finder) cor_fail(err, "no image path");
        return COR_FAIL;
    }
    int fd = open(m->file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cor_fail(err, "cannot open %s: %s", m->file, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return cor_fail(err, "cannot size %s", m->file);
    }
    m->map_size = (size_t)st.st_size;
    /* Private and writable: relocation patches copy-on-write pages, never
     * the file. */
    void *map = mmap(NULL, m->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) return cor_fail(err, "cannot map %s: %s", m->file, strerror(map_errno));
    m->map = map;
    if (pe_image_open_mem(m->map, m->map_size, PE_LAYOUT_FILE, &m->img, err) != COR_OK)
        return cor_wrap(err, "%s", m->file);
    const pe_headers *h = pe_image_headers(m->img);
    /* The file may have changed since the search looked at it. */
    if (h->timestamp != m->timestamp || h->size_of_image != m->size)
        return cor_fail(err, "%s changed while being opened", m->file);
    uint64_t delta = m->base - h->image_base;
    if (delta) {
        reloc_ctx rc = { m->img, m->map, m->map_size, delta, 0 };
        if (pe_relocs_walk(m->img, apply_reloc, &rc, err) != COR_OK) return cor_wrap(err, "relocating %s", m->file);
        /* The loader also records the actual base in the mapped header. */
        uint64_t ib = (uint64_t)h->e_lfanew + 24 + (h->pe32plus ? 24 : 28);
        unsigned w = h->pe32plus ? 8 : 4;
        if (span_ok(m->map_size, ib, w))
            for (unsigned i = 0; i < w; i++) m->map[ib + i] = (uint8_t)(m->base >> (8 * i));
    }
    return COR_OK;
}

static pf_module *module_ready(const pe_files *f, pf_module *m)
{
    if (m->state == PF_UNTRIED) {
        if (load_module(f, m, &m->why) == COR_OK) {
            m->state = PF_LOADED;
        } else {
            unload(m);
            m->state = PF_ABSENT;
        }
    }
    return m->state == PF_LOADED ? m : NULL;
}

/* ---- the fallback ---- */

const uint8_t *pe_files_fallback(void *ctx, uint64_t addr, size_t *avail)
{
    pe_files *f = ctx;
    *avail = 0;
    size_t lo = 0, hi = f->nmods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->mods[f->order[mid]].base <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    pf_module *m = &f->mods[f->order[lo - 1]];
    if (addr - m->base >= m->size || !module_ready(f, m)) return NULL;
    uint32_t rva = (uint32_t)(addr - m->base);
    uint64_t off, run;
    if (!pe_rva_locate(m->img, rva, &off, &run) || run == 0) return NULL;
    if (off == UINT64_MAX) {
        *avail = run < sizeof zero_page ? (size_t)run : sizeof zero_page;
        return zero_page;
    }
    /* A file cut short serves what it has. */
    if (off >= m->map_size) return NULL;
    uint64_t left = m->map_size - off;
    *avail = (size_t)(run < left ? run : left);
    return m->map + off;
}

const char *pe_files_module_file(pe_files *f, size_t i, cor_err *err)
{
    if (i >= f->nmods) {
        cor_fail(err, "module %zu of %zu", i, f->nmods);
        return NULL;
    }
    pf_module *m = module_ready(f, &f->mods[i]);
    if (!m) {
        if (err) *err = f->mods[i].why;
        return NULL;
    }
    return m->file;
}

/* ---- lifetime ---- */

void pe_files_free(pe_files *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nmods; i++) {
        unload(&f->mods[i]);
        free(f->mods[i].name);
    }
    free(f->mods);
    free(f->order);
    free(f->image_path);
    free(f);
}

/* For qsort_r-free sorting: pairs of (base, index). */
typedef struct base_idx {
    uint64_t base;
    size_t idx;
} base_idx;

static int cmp_base(const void *a, const void *b)
{
    const base_idx *x = a, *y = b;
    if (x->base != y->base) return x->base < y->base ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const char *base_name(const md_module *m)
{
    if (m->name) return m->name;
    if (!m->path) return "";
    const char *s = m->path;
    for (const char *p = m->path; *p; p++)
        if (*p == '\\' || *p == '/') s = p + 1;
    return s;
}

int pe_files_new_modules(const md_module *mods, size_t n, const char *image_path, pe_files **out, cor_err *err)
{
    *out = NULL;
    pe_files *f = calloc(1, sizeof *f);
    if (!f) return cor_fail(err, "out of memory");
    f->image_path = strdup(image_path ? image_path : "");
    f->mods = calloc(n ? n : 1, sizeof *f->mods);
    f->order = calloc(n ? n : 1, sizeof *f->order);
    base_idx *tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!f->image_path || !f->mods || !f->order || !tmp) {
        free(tmp);
        pe_files_free(f);
        return cor_fail(err, "out of memory");
    }
    f->nmods = n;
    for (size_t i = 0; i < n; i++) {
        pf_module *m = &f->mods[i];
        m->base = mods[i].base;
        m->size = mods[i].size;
        m->timestamp = mods[i].timestamp;
        m->name = strdup(base_name(&mods[i]));
        if (!m->name) {
            free(tmp);
            pe_files_free(f);
            return cor_fail(err, "out of memory");
        }
        tmp[i] = (base_idx){ m->base, i };
    }
    qsort(tmp, n, sizeof *tmp, cmp_base);
    for (size_t i = 0; i < n; i++) f->order[i] = tmp[i].idx;
    free(tmp);
    *out = f;
    return COR_OK;
}

int pe_files_new(md_dump *d, const char *image_path, pe_files **out, cor_err *err)
{
    size_t n = md_module_count(d);
    md_module *mods = calloc(n ? n : 1, sizeof *mods);
    if (!mods) return cor_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) mods[i] = *md_module_at(d, i);
    int rc = pe_files_new_modules(mods, n, image_path, out, err);
    free(mods);
    return rc;
}

void pe_files_set_finder(pe_files *f, pe_files_finder fn, void *ctx)
{
    f->finder = fn;
    f->finder_ctx = ctx;
}

const char *pe_files_loaded_file(const pe_files *f, size_t i)
{
    if (!f || i >= f->nmods || f->mods[i].state != PF_LOADED) return NULL;
    return f->mods[i].file;
}
