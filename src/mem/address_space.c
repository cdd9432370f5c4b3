/* Virtual memory of the dumped process. The dump's ranges are sorted at
 * open (md_range_at), so a lookup is one binary search. Addresses the dump
 * lacks go to an optional fallback (the PE layer serves image pages from
 * files on disk through it), so this layer needs no knowledge of PE. */
#include "mem/address_space.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/text.h"

struct as_space {
    md_dump *dump;
    as_fallback_fn fallback;
    void *fallback_ctx;
};

int as_open(md_dump *d, as_space **out, cor_err *err)
{
    as_space *as = calloc(1, sizeof *as);
    if (!as) return cor_fail(err, "out of memory");
    as->dump = d;
    *out = as;
    return COR_OK;
}

void as_close(as_space *as)
{
    if (!as) return;
    free(as);
}

void as_set_fallback(as_space *as, as_fallback_fn fn, void *ctx)
{
    as->fallback = fn;
    as->fallback_ctx = ctx;
}

md_dump *as_dump(const as_space *as) { return as->dump; }

/* The range containing addr, or NULL. */
static const md_range *find_range(const md_dump *d, uint64_t addr)
{
    size_t lo = 0, hi = md_range_count(d);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (md_range_at(d, mid)->start <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return NULL;
    const md_range *r = md_range_at(d, lo - 1);
    return addr - r->start < r->size ? r : NULL;
}

const uint8_t *as_view(as_space *as, uint64_t addr, size_t *avail)
{
    const md_range *r = find_range(as->dump, addr);
    if (r) {
        uint64_t off = addr - r->start, left = r->size - off;
        *avail = left > SIZE_MAX ? SIZE_MAX : (size_t)left;
        return md_file_bytes(as->dump, r->file_off + off, left);
    }
    if (as->fallback) return as->fallback(as->fallback_ctx, addr, avail);
    *avail = 0;
    return NULL;
}

size_t as_read_partial(as_space *as, uint64_t addr, void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t avail;
        const uint8_t *p = as_view(as, addr + done, &avail);
        if (!p || !avail) break;
        size_t k = avail < n - done ? avail : n - done;
        memcpy((uint8_t *)buf + done, p, k);
        done += k;
        if (addr + done < addr) break; /* wrapped */
    }
    return done;
}

int as_read(as_space *as, uint64_t addr, void *buf, size_t n, cor_err *err)
{
    size_t got = as_read_partial(as, addr, buf, n);
    if (got == n) return COR_OK;
    return cor_fail(err, "memory at 0x%llx is not in the dump", (unsigned long long)(addr + got));
}

int as_read_u8(as_space *as, uint64_t addr, uint8_t *v) { return as_read(as, addr, v, 1, NULL); }

int as_read_u16(as_space *as, uint64_t addr, uint16_t *v)
{
    uint8_t b[2];
    if (as_read(as, addr, b, 2, NULL) != COR_OK) return COR_FAIL;
    *v = le16(b);
    return COR_OK;
}

int as_read_u32(as_space *as, uint64_t addr, uint32_t *v)
{
    uint8_t b[4];
    if (as_read(as, addr, b, 4, NULL) != COR_OK) return COR_FAIL;
    *v = le32(b);
    return COR_OK;
}

int as_read_u64(as_space *as, uint64_t addr, uint64_t *v)
{
    uint8_t b[8];
    if (as_read(as, addr, b, 8, NULL) != COR_OK) return COR_FAIL;
    *v = le64(b);
    return COR_OK;
}

int as_read_ptr(as_space *as, uint64_t addr, unsigned ptr_size, uint64_t *v)
{
    if (ptr_size == 8) return as_read_u64(as, addr, v);
    uint32_t x;
    if (as_read_u32(as, addr, &x) != COR_OK) return COR_FAIL;
    *v = x;
    return COR_OK;
}

char *as_read_cstr(as_space *as, uint64_t addr, size_t max, int wide)
{
    size_t unit = wide ? 2 : 1;
    size_t cap = 256, len = 0;
    uint8_t *buf = malloc(cap + 2);
    if (!buf) return NULL;
    while (len / unit < max) {
        uint8_t u[2] = { 0, 0 };
        if (as_read(as, addr + len, u, unit, NULL) != COR_OK) break;
        if (u[0] == 0 && (!wide || u[1] == 0)) break;
        if (len + unit > cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap + 2);
            if (!nb) { free(buf); return NULL; }
            buf = nb;
        }
        memcpy(buf + len, u, unit);
        len += unit;
    }
    if (len == 0) {
        uint8_t probe;
        if (as_read(as, addr, &probe, 1, NULL) != COR_OK) { free(buf); return NULL; }
    }
    char *s = wide ? utf16le_to_utf8(buf, len) : ascii_dup(buf, len);
    free(buf);
    return s;
}
