/* Data symbols: globals and statics (S_GDATA32 / S_LDATA32), so that an
 * address in a module's data names its variable, as `ln` and `!locks` do in
 * WinDbg ("app!g_cache_lock"). Globals are in the symbol record stream;
 * file statics and function-scope statics only in each module's stream.
 * Read once, on the first lookup, and kept sorted by address. */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "sym/pdb/msf.h"
#include "sym/pdb/pdb.h"
#include "sym/pdb/pdb_internal.h"

/* DATASYM32: typind, offset, segment, name (from the length field). */
enum { S_LDATA32 = 0x110C, S_GDATA32 = 0x110D, DATA_TYPE = 4, DATA_OFF = 8, DATA_SEG = 12, DATA_NAME = 14 };

typedef struct data_build {
    pdb_file *p;
    pdb_types *tpi;
    pdb_data_sym *v;
    size_t n, cap;
    bool oom;
} data_build;

static void add_records(data_build *b, const uint8_t *s, uint32_t start, uint32_t end)
{
    for (uint32_t off = start; off + 4 <= end;) {
        uint16_t len = le16(s + off), kind = le16(s + off + 2);
        if (len < 2 || off + 2u + len > end)
            break;
        uint32_t rlen = 2u + len;
        uint32_t rva;
        if ((kind == S_GDATA32 || kind == S_LDATA32) && rlen > DATA_NAME &&
            pdb_section_rva(b->p, le16(s + off + DATA_SEG), le32(s + off + DATA_OFF), &rva)) {
            if (b->n == b->cap) {
                size_t nc = b->cap ? 2 * b->cap : 256;
                pdb_data_sym *nv = realloc(b->v, nc * sizeof *nv);
                if (!nv) {
                    b->oom = true;
                    return;
                }
                b->v = nv;
                b->cap = nc;
            }
            pdb_data_sym *d = &b->v[b->n];
            d->name = pdb_arena_cstr(b->p, s + off, rlen, DATA_NAME);
            d->rva = rva;
            d->type = le32(s + off + DATA_TYPE);
            uint64_t size = b->tpi ? pdb_type_size(b->tpi, d->type, b->p->machine == 0x8664 ? 8 : 4) : 0;
            d->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
            d->is_global = kind == S_GDATA32;
            if (d->name && *d->name)
                b->n++;
        }
        off += rlen;
    }
}

static int cmp_data(const void *a, const void *b)
{
    const pdb_data_sym *x = a, *y = b;
    if (x->rva != y->rva)
        return x->rva < y->rva ? -1 : 1;
    /* Globals before statics at one address (an alias of the same object). */
    return (int)y->is_global - (int)x->is_global;
}

static int build(pdb_file *p, cor_err *err)
{
    data_build b = { .p = p };
    cor_err terr;
    if (pdb_types_open(p, &b.tpi, &terr) != COR_OK)
        b.tpi = NULL;
    uint8_t *s;
    uint32_t len;
    if (p->symrec_stream != 0xFFFF && msf_stream_present(&p->msf, p->symrec_stream) &&
        msf_read_stream(&p->msf, p->symrec_stream, &s, &len, err) == COR_OK) {
        add_records(&b, s, 0, len);
        free(s);
    }
    for (size_t i = 0; i < p->nmods && !b.oom; i++) {
        const pdb_module *m = &p->mods[i];
        if (m->stream == 0xFFFF || !msf_stream_present(&p->msf, m->stream))
            continue;
        if (msf_read_stream(&p->msf, m->stream, &s, &len, err) != COR_OK)
            continue; /* a damaged module loses its statics, not the rest */
        add_records(&b, s, 4, m->sym_bytes < len ? m->sym_bytes : len);
        free(s);
    }
    pdb_types_close(b.tpi);
    if (b.oom) {
        free(b.v);
        return cor_fail(err, "out of memory");
    }
    if (b.n)
        qsort(b.v, b.n, sizeof *b.v, cmp_data);
    p->data = b.v;
    p->ndata = b.n;
    return COR_OK;
}

const pdb_data_sym *pdb_find_data(pdb_file *p, uint32_t rva)
{
    if (!p->data_built) {
        p->data_built = true;
        cor_err e;
        if (build(p, &e) != COR_OK)
            return NULL;
    }
    /* The last symbol at or below rva, if rva is inside it. */
    size_t lo = 0, hi = p->ndata;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->data[mid].rva <= rva)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const pdb_data_sym *d = &p->data[lo - 1];
    /* Several symbols may share an address; take the first of them. */
    while (d > p->data && d[-1].rva == d->rva)
        d--;
    uint32_t size = d->size ? d->size : 1;
    return rva - d->rva < size ? d : NULL;
}
