/* The TPI stream: type records (LLVM docs/PDB/TpiStream.rst, microsoft-pdb
 * cvinfo.h). The stream is read whole when the reader is opened; the
 * offset of each record is found on first use, and the name index (full
 * definitions of structs, classes, unions and enums, by name) is built on
 * the first lookup by name.
 *
 * Everything is decoded at named offsets from bounds-checked bytes: a
 * damaged record gives an error or an "unknown" type, never a read past
 * the record. */
#include "sym/pdb/pdb_internal.h"

#include "core/cursor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TPI stream header (TpiStream.rst "Stream Header"). */
enum {
    TPI_HDR_VERSION = 0,
    TPI_HDR_SIZE = 4,
    TPI_HDR_TI_BEGIN = 8,
    TPI_HDR_TI_END = 12,
    TPI_HDR_RECORD_BYTES = 16,
    TPI_HDR_MIN = 56,
};

/* Leaf kinds (cvinfo.h LEAF_ENUM_e). */
enum {
    LF_MODIFIER = 0x1001,
    LF_POINTER = 0x1002,
    LF_PROCEDURE = 0x1008,
    LF_MFUNCTION = 0x1009,
    LF_FIELDLIST = 0x1203,
    LF_BITFIELD = 0x1205,
    LF_BCLASS = 0x1400,
    LF_VBCLASS = 0x1401,
    LF_IVBCLASS = 0x1402,
    LF_INDEX = 0x1404,
    LF_VFUNCTAB = 0x1409,
    LF_ENUMERATE = 0x1502,
    LF_ARRAY = 0x1503,
    LF_CLASS = 0x1504,
    LF_STRUCTURE = 0x1505,
    LF_UNION = 0x1506,
    LF_ENUM = 0x1507,
    LF_MEMBER = 0x150d,
    LF_STMEMBER = 0x150e,
    LF_METHOD = 0x150f,
    LF_NESTTYPE = 0x1510,
    LF_ONEMETHOD = 0x1511,
    LF_NESTTYPEEX = 0x1512,
    LF_INTERFACE = 0x1519,
    /* Numeric leaves. */
    LF_NUMERIC = 0x8000,
    LF_CHAR = 0x8000,
    LF_SHORT = 0x8001,
    LF_USHORT = 0x8002,
    LF_LONG = 0x8003,
    LF_ULONG = 0x8004,
    LF_QUADWORD = 0x8009,
    LF_UQUADWORD = 0x800a,
};

/* CV_prop_t bits. */
enum { PROP_FWDREF = 0x80, PROP_HASUNIQUENAME = 0x200 };

/* A member list longer than this is damaged (LF_INDEX chains included). */
#define MAX_MEMBERS 100000

typedef struct name_entry {
    const char *name;
    uint32_t ti;
} name_entry;

struct pdb_types {
    pdb_file *pdb;
    uint8_t *stream;
    uint32_t stream_len;
    uint32_t ti_begin, ti_end;
    uint32_t rec_begin, rec_end; /* record bytes within stream */
    uint32_t *offsets;           /* ti_end - ti_begin entries, built lazily; 0 = bad */
    bool indexed;
    name_entry *names; /* sorted by name */
    size_t nnames;
    bool named;
};

int pdb_types_open_stream(pdb_file *p, uint32_t stream, pdb_types **out, cor_err *err)
{
    *out = NULL;
    /* TPI and IPI share one layout: the 56-byte header, then records. */
    const char *what = stream == PDB_STREAM_IPI ? "IPI" : "TPI";
    if (!msf_stream_present(&p->msf, stream))
        return cor_fail(err, "PDB has no %s stream", stream == PDB_STREAM_IPI ? "id (IPI)" : "type (TPI)");
    pdb_types *t = calloc(1, sizeof *t);
    if (!t) return cor_fail(err, "out of memory");
    t->pdb = p;
    if (msf_read_stream(&p->msf, stream, &t->stream, &t->stream_len, err) != COR_OK) {
        free(t);
        return cor_wrap(err, "%s stream", what);
    }
    const uint8_t *s = t->stream;
    if (t->stream_len < TPI_HDR_MIN) {
        uint32_t len = t->stream_len;
        pdb_types_close(t);
        return cor_fail(err, "%s stream: %u bytes, header needs %u", what, len, TPI_HDR_MIN);
    }
    uint32_t hdr = le32(s + TPI_HDR_SIZE), bytes = le32(s + TPI_HDR_RECORD_BYTES);
    t->ti_begin = le32(s + TPI_HDR_TI_BEGIN);
    t->ti_end = le32(s + TPI_HDR_TI_END);
    if (hdr < TPI_HDR_MIN || !span_ok(t->stream_len, hdr, bytes)) {
        uint32_t len = t->stream_len;
        pdb_types_close(t);
        return cor_fail(err, "%s stream: header of %u bytes + %u record bytes exceed the stream's %u", what, hdr,
                        bytes, len);
    }
    if (t->ti_begin != 0x1000 || t->ti_end < t->ti_begin || t->ti_end - t->ti_begin > bytes / 4) {
        uint32_t b = t->ti_begin, e = t->ti_end;
        pdb_types_close(t);
        return cor_fail(err, "%s stream: type index range 0x%x..0x%x does not fit %u record bytes", what, b, e,
                        bytes);
    }
    t->rec_begin = hdr;
    t->rec_end = hdr + bytes;
    *out = t;
    return COR_OK;
}

int pdb_types_open(pdb_file *p, pdb_types **out, cor_err *err)
{
    return pdb_types_open_stream(p, PDB_STREAM_TPI, out, err);
}

void pdb_types_close(pdb_types *t)
{
    if (!t) return;
    free(t->stream);
    free(t->offsets);
    free(t->names);
    free(t);
}

uint32_t pdb_types_end(const pdb_types *t) { return t->ti_end; }

/* Offsets of every record: records are only reachable by walking from the
 * first. A walk stopped by a damaged length leaves the rest at 0. */
static bool build_offsets(pdb_types *t)
{
    if (t->indexed) return t->offsets != NULL;
    t->indexed = true;
    size_t n = t->ti_end - t->ti_begin;
    t->offsets = calloc(n ? n : 1, sizeof *t->offsets);
    if (!t->offsets) return false;
    uint32_t off = t->rec_begin;
    for (size_t i = 0; i < n; i++) {
        if (!span_ok(t->rec_end, off, 4)) break;
        uint16_t len = le16(t->stream + off);
        if (len < 2 || !span_ok(t->rec_end, off + 2, len)) break;
        t->offsets[i] = off;
        off += 2u + len;
    }
    return true;
}

/* The record of ti as a cursor over its body (after the kind). */
static bool record(pdb_types *t, uint32_t ti, uint16_t *kind, rd_cur *body)
{
    if (ti < t->ti_begin || ti >= t->ti_end || !build_offsets(t)) return false;
    uint32_t off = t->offsets[ti - t->ti_begin];
    if (!off) return false;
    uint16_t len = le16(t->stream + off);
    *kind = le16(t->stream + off + 2);
    *body = rd_make(t->stream + off + 4, len - 2u);
    return true;
}

bool pdb_types_record(pdb_types *t, uint32_t ti, uint16_t *kind, const uint8_t **body, uint32_t *len)
{
    rd_cur c;
    if (!record(t, ti, kind, &c)) return false;
    *body = c.p;
    *len = (uint32_t)c.len;
    return true;
}

/* A numeric leaf (cvinfo.h "numeric leaves"): values below 0x8000 are the
 * u16 itself, else a leaf kind says what follows. */
static bool rd_numeric(rd_cur *c, uint64_t *v)
{
    uint16_t k;
    if (!rd_u16(c, &k)) return false;
    if (k < LF_NUMERIC) {
        *v = k;
        return true;
    }
    uint8_t b;
    uint16_t h;
    uint32_t w;
    switch (k) {
    case LF_CHAR: if (!rd_u8(c, &b)) return false; *v = (uint64_t)(int64_t)(int8_t)b; return true;
    case LF_SHORT: if (!rd_u16(c, &h)) return false; *v = (uint64_t)(int64_t)(int16_t)h; return true;
    case LF_USHORT: if (!rd_u16(c, &h)) return false; *v = h; return true;
    case LF_LONG: if (!rd_u32(c, &w)) return false; *v = (uint64_t)(int64_t)(int32_t)w; return true;
    case LF_ULONG: if (!rd_u32(c, &w)) return false; *v = w; return true;
    case LF_QUADWORD:
    case LF_UQUADWORD: return rd_u64(c, v);
    default: return false;
    }
}

/* A NUL-terminated name inside the record, or "" when it runs off. */
static const char *rd_name(rd_cur *c)
{
    const uint8_t *p = c->p + c->off;
    size_t left = rd_left(c);
    const uint8_t *nul = memchr(p, 0, left);
    if (!nul) {
        c->off = c->len;
        return "";
    }
    c->off += (size_t)(nul - p) + 1;
    return (const char *)p;
}

/* Pointer width of a simple type index's mode (cvinfo.h CV_prmode_e). */
static unsigned simple_ptr_size(uint32_t ti)
{
    switch ((ti >> 8) & 0xF) {
    case 1: return 2;
    case 2: case 3: case 4: return 4;
    case 5: return 6;
    case 6: return 8;
    case 7: return 16;
    default: return 0;
    }
}

/* Size and WinDbg's name of a simple (< 0x1000) base type. */
static bool simple_base(uint32_t ti, const char **name, uint32_t *size, bool *is_signed, bool *is_float,
                        bool *is_char)
{
    static const struct {
        uint8_t t;
        const char *name;
        uint8_t size, sign, flt, chr;
    } base[] = {
        { 0x03, "Void", 0, 0, 0, 0 },    { 0x08, "Int4B", 4, 1, 0, 0 },   { 0x10, "Char", 1, 1, 0, 1 },
        { 0x20, "UChar", 1, 0, 0, 0 },   { 0x70, "Char", 1, 1, 0, 1 },    { 0x71, "Wchar", 2, 0, 0, 1 },
        { 0x7a, "Wchar", 2, 0, 0, 1 },   { 0x7b, "Uint4B", 4, 0, 0, 0 },  { 0x7c, "Char", 1, 0, 0, 1 },
        { 0x68, "Char", 1, 1, 0, 0 },    { 0x69, "UChar", 1, 0, 0, 0 },   { 0x11, "Int2B", 2, 1, 0, 0 },
        { 0x21, "Uint2B", 2, 0, 0, 0 },  { 0x72, "Int2B", 2, 1, 0, 0 },   { 0x73, "Uint2B", 2, 0, 0, 0 },
        { 0x12, "Int4B", 4, 1, 0, 0 },   { 0x22, "Uint4B", 4, 0, 0, 0 },  { 0x74, "Int4B", 4, 1, 0, 0 },
        { 0x75, "Uint4B", 4, 0, 0, 0 },  { 0x13, "Int8B", 8, 1, 0, 0 },   { 0x23, "Uint8B", 8, 0, 0, 0 },
        { 0x76, "Int8B", 8, 1, 0, 0 },   { 0x77, "Uint8B", 8, 0, 0, 0 },  { 0x14, "Int16B", 16, 1, 0, 0 },
        { 0x24, "Uint16B", 16, 0, 0, 0 }, { 0x78, "Int16B", 16, 1, 0, 0 }, { 0x79, "Uint16B", 16, 0, 0, 0 },
        { 0x40, "Float", 4, 1, 1, 0 },   { 0x41, "Float", 8, 1, 1, 0 },   { 0x42, "Float", 10, 1, 1, 0 },
        { 0x30, "Bool", 1, 0, 0, 0 },    { 0x31, "Bool", 2, 0, 0, 0 },    { 0x32, "Bool", 4, 0, 0, 0 },
        { 0x33, "Bool", 8, 0, 0, 0 },
    };
    uint8_t b = ti & 0xFF;
    for (size_t i = 0; i < sizeof base / sizeof base[0]; i++) {
        if (base[i].t == b) {
            *name = base[i].name;
            *size = base[i].size;
            *is_signed = base[i].sign;
            *is_float = base[i].flt;
            *is_char = base[i].chr;
            return true;
        }
    }
    return false;
}

int pdb_type_get(pdb_types *t, uint32_t ti, pdb_type *out)
{
    memset(out, 0, sizeof *out);
    out->ti = ti;
    out->name = "";
    if (ti < 0x1000) {
        const char *name;
        uint32_t size;
        bool sign, flt, chr;
        if (!simple_base(ti, &name, &size, &sign, &flt, &chr)) return COR_FAIL;
        unsigned ps = simple_ptr_size(ti);
        if ((ti >> 8) & 0xF) {
            if (!ps) return COR_FAIL;
            out->kind = PDB_TYPE_POINTER;
            out->size = ps;
            out->elem = ti & 0xFF;
            return COR_OK;
        }
        out->kind = PDB_TYPE_BASE;
        out->name = name;
        out->size = size;
        out->is_signed = sign;
        out->is_float = flt;
        out->is_char = chr;
        return COR_OK;
    }
    uint16_t kind;
    rd_cur c;
    if (!record(t, ti, &kind, &c)) return COR_FAIL;
    uint16_t count, props, h;
    uint32_t a, b;
    uint64_t n;
    uint8_t u8a, u8b;
    switch (kind) {
    case LF_MODIFIER:
        if (!rd_u32(&c, &a) || !rd_u16(&c, &h)) return COR_FAIL;
        out->kind = PDB_TYPE_MODIFIER;
        out->elem = a;
        out->modifiers = h; /* 1 const, 2 volatile, 4 unaligned */
        return COR_OK;
    case LF_POINTER:
        if (!rd_u32(&c, &a) || !rd_u32(&c, &b)) return COR_FAIL;
        out->kind = PDB_TYPE_POINTER;
        out->elem = a;
        out->size = (b >> 13) & 0x3F; /* CV_PTR_ATTRIBUTES size field */
        return COR_OK;
    case LF_PROCEDURE:
    case LF_MFUNCTION:
        out->kind = PDB_TYPE_PROCEDURE;
        if (!rd_u32(&c, &a)) return COR_FAIL;
        out->elem = a; /* return type */
        return COR_OK;
    case LF_ARRAY:
        if (!rd_u32(&c, &a) || !rd_u32(&c, &b) || !rd_numeric(&c, &n)) return COR_FAIL;
        out->kind = PDB_TYPE_ARRAY;
        out->elem = a;
        out->size = n;
        out->name = rd_name(&c);
        return COR_OK;
    case LF_BITFIELD:
        if (!rd_u32(&c, &a) || !rd_u8(&c, &u8a) || !rd_u8(&c, &u8b)) return COR_FAIL;
        out->kind = PDB_TYPE_BITFIELD;
        out->elem = a;
        out->bit_len = u8a;
        out->bit_pos = u8b;
        return COR_OK;
    case LF_CLASS:
    case LF_STRUCTURE:
    case LF_INTERFACE:
    case LF_UNION:
        if (!rd_u16(&c, &count) || !rd_u16(&c, &props) || !rd_u32(&c, &a)) return COR_FAIL;
        if (kind != LF_UNION && !rd_skip(&c, 8)) return COR_FAIL; /* derived, vshape */
        if (!rd_numeric(&c, &n)) return COR_FAIL;
        out->kind = kind == LF_UNION ? PDB_TYPE_UNION : kind == LF_CLASS ? PDB_TYPE_CLASS : PDB_TYPE_STRUCT;
        out->fields = a;
        out->count = count;
        out->size = n;
        out->forward = props & PROP_FWDREF;
        out->name = rd_name(&c);
        return COR_OK;
    case LF_ENUM:
        if (!rd_u16(&c, &count) || !rd_u16(&c, &props) || !rd_u32(&c, &a) || !rd_u32(&c, &b)) return COR_FAIL;
        out->kind = PDB_TYPE_ENUM;
        out->elem = a; /* underlying type */
        out->fields = b;
        out->count = count;
        out->forward = props & PROP_FWDREF;
        out->name = rd_name(&c);
        {
            /* The underlying type is a base type (or a modifier of one);
             * one level only, so a damaged self-reference cannot recurse. */
            pdb_type u;
            uint16_t uk;
            rd_cur uc;
            bool simple = a < 0x1000 || (record(t, a, &uk, &uc) && uk != LF_ENUM);
            if (simple && a != ti && pdb_type_get(t, a, &u) == COR_OK && u.kind != PDB_TYPE_ENUM) {
                out->size = u.size;
                out->is_signed = u.is_signed;
            }
        }
        return COR_OK;
    case LF_FIELDLIST:
        out->kind = PDB_TYPE_FIELDLIST;
        return COR_OK;
    default:
        out->kind = PDB_TYPE_OTHER;
        return COR_OK;
    }
}

static int name_cmp(const void *a, const void *b)
{
    const name_entry *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    if (r) return r;
    return x->ti < y->ti ? -1 : x->ti > y->ti;
}

/* Full definitions by name, built once by a scan of every record. */
static bool build_names(pdb_types *t)
{
    if (t->named) return t->names != NULL || t->nnames == 0;
    t->named = true;
    size_t cap = 0;
    for (uint32_t ti = t->ti_begin; ti < t->ti_end; ti++) {
        pdb_type ty;
        if (pdb_type_get(t, ti, &ty) != COR_OK || ty.forward || !ty.name[0]) continue;
        if (ty.kind != PDB_TYPE_STRUCT && ty.kind != PDB_TYPE_CLASS && ty.kind != PDB_TYPE_UNION &&
            ty.kind != PDB_TYPE_ENUM)
            continue;
        if (t->nnames == cap) {
            size_t nc = cap ? cap * 2 : 64;
            name_entry *nn = realloc(t->names, nc * sizeof *nn);
            if (!nn) return false;
            t->names = nn;
            cap = nc;
        }
        t->names[t->nnames++] = (name_entry){ ty.name, ti };
    }
    if (t->nnames) qsort(t->names, t->nnames, sizeof *t->names, name_cmp);
    return true;
}

uint32_t pdb_type_find(pdb_types *t, const char *name)
{
    if (!build_names(t)) return 0;
    size_t lo = 0, hi = t->nnames;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->names[mid].name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < t->nnames && strcmp(t->names[lo].name, name) == 0) return t->names[lo].ti;
    return 0;
}

uint32_t pdb_type_resolve(pdb_types *t, uint32_t ti)
{
    pdb_type ty;
    if (pdb_type_get(t, ti, &ty) != COR_OK || !ty.forward || !ty.name[0]) return ti;
    uint32_t full = pdb_type_find(t, ty.name);
    return full ? full : ti;
}

uint32_t pdb_type_strip(pdb_types *t, uint32_t ti)
{
    for (int depth = 0; depth < 16; depth++) {
        pdb_type ty;
        if (pdb_type_get(t, ti, &ty) != COR_OK || ty.kind != PDB_TYPE_MODIFIER) break;
        ti = ty.elem;
    }
    return pdb_type_resolve(t, ti);
}

/* Skips LF_PAD0..LF_PAD15 bytes that align the next field-list entry. */
static void skip_pad(rd_cur *c)
{
    while (rd_left(c) && c->p[c->off] >= 0xF0) c->off++;
}

static int push_member(pdb_member **arr, size_t *n, size_t *cap, const pdb_member *m, cor_err *err)
{
    if (*n >= MAX_MEMBERS) return cor_fail(err, "more than %d members", MAX_MEMBERS);
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        pdb_member *na = realloc(*arr, nc * sizeof *na);
        if (!na) return cor_fail(err, "out of memory");
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = *m;
    return COR_OK;
}

int pdb_type_members(pdb_types *t, uint32_t ti, pdb_member **out, size_t *count, cor_err *err)
{
    *out = NULL;
    *count = 0;
    pdb_type ty;
    ti = pdb_type_strip(t, ti);
    if (pdb_type_get(t, ti, &ty) != COR_OK) return cor_fail(err, "type 0x%x: no such record", ti);
    if (ty.kind != PDB_TYPE_STRUCT && ty.kind != PDB_TYPE_CLASS && ty.kind != PDB_TYPE_UNION &&
        ty.kind != PDB_TYPE_ENUM)
        return cor_fail(err, "type 0x%x is not a struct, class, union or enum", ti);
    if (ty.forward) return cor_fail(err, "%s: only a forward declaration is known", ty.name);
    pdb_member *arr = NULL;
    size_t n = 0, cap = 0;
    uint32_t fl = ty.fields;
    for (int chain = 0; fl && chain < 1000; chain++) {
        uint16_t kind;
        rd_cur c;
        if (!record(t, fl, &kind, &c) || kind != LF_FIELDLIST) {
            free(arr);
            return cor_fail(err, "%s: field list 0x%x is missing or not a field list", ty.name, fl);
        }
        fl = 0;
        while (rd_left(&c) >= 2) {
            uint16_t leaf, attr = 0, h;
            uint32_t type, x;
            uint64_t v;
            pdb_member m = { 0 };
            size_t at = c.off;
            bool ok = rd_u16(&c, &leaf);
            switch (leaf) {
            case LF_MEMBER:
                ok = ok && rd_u16(&c, &attr) && rd_u32(&c, &type) && rd_numeric(&c, &v);
                if (!ok) break;
                m = (pdb_member){ .kind = PDB_MEMBER_FIELD, .name = rd_name(&c), .type = type, .offset = v };
                if (push_member(&arr, &n, &cap, &m, err) != COR_OK) goto fail;
                break;
            case LF_ENUMERATE:
                ok = ok && rd_u16(&c, &attr) && rd_numeric(&c, &v);
                if (!ok) break;
                m = (pdb_member){ .kind = PDB_MEMBER_ENUMERATOR, .name = rd_name(&c), .value = v };
                if (push_member(&arr, &n, &cap, &m, err) != COR_OK) goto fail;
                break;
            case LF_BCLASS:
                ok = ok && rd_u16(&c, &attr) && rd_u32(&c, &type) && rd_numeric(&c, &v);
                if (!ok) break;
                m = (pdb_member){ .kind = PDB_MEMBER_BASE, .name = "", .type = type, .offset = v };
                if (push_member(&arr, &n, &cap, &m, err) != COR_OK) goto fail;
                break;
            case LF_VBCLASS:
            case LF_IVBCLASS: {
                /* cvinfo.h lfVBClass: attr, base, vbptr type, then the
                 * vbptr's offset and the base's vbtable index as numeric
                 * leaves. */
                uint64_t vbpoff, vbind;
                ok = ok && rd_u16(&c, &attr) && rd_u32(&c, &type) && rd_u32(&c, &x) && rd_numeric(&c, &vbpoff) &&
                     rd_numeric(&c, &vbind);
                if (!ok) break;
                m = (pdb_member){ .kind = PDB_MEMBER_VBASE, .name = "", .type = type, .offset = vbpoff,
                                  .value = vbind, .indirect = leaf == LF_IVBCLASS };
                if (push_member(&arr, &n, &cap, &m, err) != COR_OK) goto fail;
                break;
            }
            case LF_INDEX: /* the list continues in another record */
                ok = ok && rd_u16(&c, &h) && rd_u32(&c, &x);
                if (ok) fl = x;
                break;
            case LF_VFUNCTAB:
                ok = ok && rd_u16(&c, &h) && rd_u32(&c, &type);
                if (!ok) break;
                m = (pdb_member){ .kind = PDB_MEMBER_VFPTR, .name = "__VFN_table", .type = type, .offset = 0 };
                if (push_member(&arr, &n, &cap, &m, err) != COR_OK) goto fail;
                break;
            case LF_STMEMBER:
            case LF_NESTTYPE:
            case LF_NESTTYPEEX:
                ok = ok && rd_u16(&c, &attr) && rd_u32(&c, &type);
                if (ok) rd_name(&c);
                break;
            case LF_METHOD:
                ok = ok && rd_u16(&c, &h) && rd_u32(&c, &x);
                if (ok) rd_name(&c);
                break;
            case LF_ONEMETHOD: {
                ok = ok && rd_u16(&c, &attr) && rd_u32(&c, &type);
                /* Introducing virtuals (CV_MTintro, CV_MTpureintro) carry a vtable offset. */
                unsigned mprop = (attr >> 2) & 7;
                if (ok && (mprop == 4 || mprop == 6)) ok = rd_u32(&c, &x);
                if (ok) rd_name(&c);
                break;
            }
            default:
                ok = false;
            }
            if (!ok) {
                free(arr);
                return cor_fail(err, "%s: field list entry 0x%x at +%zu is damaged or unknown", ty.name, leaf, at);
            }
            skip_pad(&c);
        }
    }
    *out = arr;
    *count = n;
    return COR_OK;
fail:
    free(arr);
    return cor_wrap(err, "%s", ty.name);
}

void pdb_type_name(pdb_types *t, uint32_t ti, unsigned ptr_size, char *buf, size_t size)
{
    if (!size) return;
    buf[0] = 0;
    pdb_type ty;
    size_t used = 0;
    for (int depth = 0; depth < 32; depth++) {
        if (pdb_type_get(t, ti, &ty) != COR_OK) {
            snprintf(buf + used, size - used, "<type 0x%x>", ti);
            return;
        }
        int k = 0;
        switch (ty.kind) {
        case PDB_TYPE_MODIFIER: ti = ty.elem; continue;
        case PDB_TYPE_POINTER:
            k = snprintf(buf + used, size - used, "Ptr%u ", (unsigned)(ty.size ? ty.size : ptr_size) * 8);
            ti = ty.elem;
            break;
        case PDB_TYPE_ARRAY: {
            pdb_type e;
            uint64_t es = 0;
            if (pdb_type_get(t, pdb_type_strip(t, ty.elem), &e) == COR_OK) es = pdb_type_size(t, ty.elem, ptr_size);
            (void)e;
            k = snprintf(buf + used, size - used, "[%llu] ", (unsigned long long)(es ? ty.size / es : 0));
            ti = ty.elem;
            break;
        }
        case PDB_TYPE_BITFIELD:
            snprintf(buf + used, size - used, "Pos %u, %u Bit%s", ty.bit_pos, ty.bit_len, ty.bit_len == 1 ? "" : "s");
            return;
        case PDB_TYPE_PROCEDURE: snprintf(buf + used, size - used, "%s", "void"); return;
        default: snprintf(buf + used, size - used, "%s", ty.name[0] ? ty.name : "<unnamed-tag>"); return;
        }
        if (k < 0 || (size_t)k >= size - used) return;
        used += (size_t)k;
    }
}

uint64_t pdb_type_size(pdb_types *t, uint32_t ti, unsigned ptr_size)
{
    pdb_type ty;
    /* A bitfield is as wide as its underlying type; damaged records could
     * chain bitfields, hence the bound. */
    for (int depth = 0; depth < 4; depth++) {
        ti = pdb_type_strip(t, ti);
        if (pdb_type_get(t, ti, &ty) != COR_OK) return 0;
        if (ty.kind == PDB_TYPE_POINTER && !ty.size) return ptr_size;
        if (ty.kind != PDB_TYPE_BITFIELD) return ty.size;
        ti = ty.elem;
    }
    return 0;
}

pdb_file *pdb_source_file(const sym_source *s)
{
    if (!s || !s->ops || s->ops->kind != SYM_KIND_PDB) return NULL;
    return s->self;
}
