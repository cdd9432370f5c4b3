/* The parameters of a procedure and where each lives at a given address,
 * for `kp`. Two encodings exist (cvinfo.h, LLVM CodeView SymbolRecord.h):
 * MSVC's S_REGREL32 / S_BPREL32 (register- or frame-relative for the whole
 * procedure; which are parameters follows from the procedure type's
 * argument count), and S_LOCAL flagged fIsParam followed by S_DEFRANGE_*
 * records that give a location per address range (clang, and MSVC with
 * optimisation). Only the procedure's outermost scope holds parameters. */
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "sym/pdb/msf.h"
#include "sym/pdb/pdb.h"
#include "sym/pdb/pdb_internal.h"

enum {
    S_END = 0x0006,
    S_FRAMEPROC = 0x1012,
    S_BLOCK32 = 0x1103,
    S_BPREL32 = 0x110B,
    S_REGREL32 = 0x1111,
    S_LOCAL = 0x113E,
    S_DEFRANGE_REGISTER = 0x1141,
    S_DEFRANGE_FRAMEPOINTER_REL = 0x1142,
    S_DEFRANGE_FRAMEPOINTER_REL_FULL_SCOPE = 0x1144,
    S_DEFRANGE_REGISTER_REL = 0x1145,
    S_INLINESITE = 0x114D,
    S_INLINESITE_END = 0x114E,
    S_PROC_ID_END = 0x114F,
    /* Scopes that nest inside a procedure and end with S_END. */
    S_THUNK32 = 0x1102,
    S_WITH32 = 0x1104,
    S_SEPCODE = 0x1132,
};

enum { LOCAL_IS_PARAM = 0x0001 };
/* PROCSYM32: typind at +28 from the length field. */
enum { PROC_TYPE = 28 };

static bool is_proc_kind(uint16_t k)
{
    return k == S_GPROC32 || k == S_LPROC32 || k == S_GPROC32_ID || k == S_LPROC32_ID || k == S_LPROC32_DPC ||
           k == S_LPROC32_DPC_ID;
}

/* CV_LVAR_ADDR_RANGE at r: offStart, isectStart, cbRange. */
static bool range_holds(const pdb_file *p, const uint8_t *r, uint32_t rva)
{
    uint32_t off = le32(r);
    uint16_t seg = le16(r + 4), len = le16(r + 6);
    if (seg == 0 || seg > p->nsections)
        return false;
    uint64_t start = (uint64_t)p->sections[seg - 1].va + off;
    return rva >= start && rva < start + len;
}

/* The base pointer S_DEFRANGE_FRAMEPOINTER_REL is relative to, from
 * S_FRAMEPROC's encodedParamBasePointer (flags bits 16-17). */
static uint16_t frame_base_reg(uint32_t frame_flags, bool x64)
{
    unsigned enc = (frame_flags >> 16) & 3;
    if (x64)
        return enc == 1 ? PDB_CV_AMD64_RSP : enc == 2 ? PDB_CV_AMD64_RBP : enc == 3 ? PDB_CV_AMD64_R13 : 0;
    return enc == 1 ? PDB_CV_X86_VFRAME : enc == 2 ? PDB_CV_X86_EBP : enc == 3 ? PDB_CV_X86_EBX : 0;
}

/* Argument count of an LF_PROCEDURE / LF_MFUNCTION type, or -1. */
static int arg_count(pdb_types *t, uint32_t ti)
{
    uint16_t kind;
    const uint8_t *b;
    uint32_t len;
    if (!t || !pdb_types_record(t, ti, &kind, &b, &len))
        return -1;
    if (kind == 0x1008 && len >= 8)  /* LF_PROCEDURE: rvtype, calltype, funcattr, parmcount */
        return le16(b + 6);
    if (kind == 0x1009 && len >= 16) /* LF_MFUNCTION: rvtype, class, this, calltype, funcattr, parmcount */
        return le16(b + 14);
    return -1;
}

typedef struct scan {
    pdb_file *p;
    uint32_t rva;
    bool x64;
    uint32_t frame_flags;
    pdb_param *out;
    size_t max, n;
    pdb_param *open; /* the S_LOCAL parameter whose S_DEFRANGEs follow */
} scan;

static pdb_param *add(scan *s, const char *name, uint32_t type)
{
    s->n++;
    if (s->n > s->max)
        return NULL;
    pdb_param *pp = &s->out[s->n - 1];
    memset(pp, 0, sizeof *pp);
    pp->name = name;
    pp->type = type;
    pp->where = PDB_PARAM_UNAVAILABLE;
    return pp;
}

static void defrange(scan *s, uint16_t kind, const uint8_t *r, uint16_t len)
{
    pdb_param *pp = s->open;
    if (!pp || pp->where != PDB_PARAM_UNAVAILABLE)
        return; /* the first range that holds the address wins */
    switch (kind) {
    case S_DEFRANGE_REGISTER:
        if (len >= 16 && range_holds(s->p, r + 8, s->rva)) {
            pp->where = PDB_PARAM_REGISTER;
            pp->reg = le16(r + 4);
        }
        break;
    case S_DEFRANGE_FRAMEPOINTER_REL:
        if (len >= 16 && range_holds(s->p, r + 8, s->rva)) {
            pp->where = PDB_PARAM_MEMORY;
            pp->reg = frame_base_reg(s->frame_flags, s->x64);
            pp->offset = (int32_t)le32(r + 4);
        }
        break;
    case S_DEFRANGE_FRAMEPOINTER_REL_FULL_SCOPE:
        if (len >= 8) {
            pp->where = PDB_PARAM_MEMORY;
            pp->reg = frame_base_reg(s->frame_flags, s->x64);
            pp->offset = (int32_t)le32(r + 4);
        }
        break;
    case S_DEFRANGE_REGISTER_REL:
        if (len >= 20 && range_holds(s->p, r + 12, s->rva)) {
            pp->where = PDB_PARAM_MEMORY;
            pp->reg = le16(r + 4);
            pp->offset = (int32_t)le32(r + 8);
        }
        break;
    }
    if (pp->where == PDB_PARAM_MEMORY && pp->reg == 0)
        pp->where = PDB_PARAM_UNAVAILABLE;
}

/* Walks the procedure's records [start, end) of the module stream. */
static void walk_proc(scan *s, const uint8_t *sym, uint32_t start, uint32_t end, pdb_types *tpi, uint32_t proc_type)
{
    int depth = 0;
    int reg_args = arg_count(tpi, proc_type); /* S_REGREL32/S_BPREL32 parameters come first */
    for (uint32_t off = start; off + 4 <= end;) {
        uint16_t len = le16(sym + off), kind = le16(sym + off + 2);
        if (len < 2 || off + 2u + len > end)
            break;
        const uint8_t *r = sym + off;
        uint32_t rlen = 2u + len;
        switch (kind) {
        case S_BLOCK32: case S_THUNK32: case S_WITH32: case S_SEPCODE: case S_INLINESITE:
            depth++;
            s->open = NULL;
            break;
        case S_END: case S_INLINESITE_END: case S_PROC_ID_END:
            depth--;
            s->open = NULL;
            break;
        case S_FRAMEPROC:
            if (rlen >= 30)
                s->frame_flags = le32(r + 26);
            break;
        case S_LOCAL:
            s->open = NULL;
            if (depth == 0 && rlen >= 11 && (le16(r + 8) & LOCAL_IS_PARAM))
                s->open = add(s, pdb_arena_cstr(s->p, r, rlen, 10), le32(r + 4));
            break;
        case S_DEFRANGE_REGISTER: case S_DEFRANGE_FRAMEPOINTER_REL:
        case S_DEFRANGE_FRAMEPOINTER_REL_FULL_SCOPE: case S_DEFRANGE_REGISTER_REL:
            if (depth == 0)
                defrange(s, kind, r, (uint16_t)rlen);
            break;
        case S_REGREL32:
        case S_BPREL32: {
            s->open = NULL;
            bool regrel = kind == S_REGREL32;
            uint32_t name_at = regrel ? 14 : 12;
            if (depth != 0 || rlen < name_at + 1 || reg_args == 0)
                break;
            pdb_param *pp = add(s, pdb_arena_cstr(s->p, r, rlen, name_at), le32(r + 8));
            if (reg_args > 0)
                reg_args--;
            if (!pp)
                break;
            pp->where = PDB_PARAM_MEMORY;
            pp->offset = (int32_t)le32(r + 4);
            pp->reg = regrel ? le16(r + 12) : (s->x64 ? PDB_CV_AMD64_RBP : PDB_CV_X86_EBP);
            break;
        }
        default:
            break;
        }
        if (depth < 0)
            break;
        off += rlen;
    }
}

int pdb_find_params(pdb_file *p, uint32_t rva, bool x64, pdb_param *out, size_t max, size_t *n, char *func_type,
                    size_t type_size, cor_err *err)
{
    *n = 0;
    if (func_type && type_size)
        func_type[0] = 0;
    const pdb_function *f = pdb_find_function(p, rva);
    if (!f || f->module >= p->nmods)
        return COR_OK;
    const pdb_module *m = &p->mods[f->module];
    if (m->stream == 0xFFFF || !msf_stream_present(&p->msf, m->stream))
        return COR_OK;
    uint8_t *sym;
    uint32_t len;
    if (msf_read_stream(&p->msf, m->stream, &sym, &len, err) != COR_OK)
        return COR_FAIL;
    uint32_t end = m->sym_bytes < len ? m->sym_bytes : len;
    pdb_types *tpi = NULL;
    cor_err terr;
    if (pdb_types_open(p, &tpi, &terr) != COR_OK)
        tpi = NULL;
    scan s = { .p = p, .rva = rva, .x64 = x64, .out = out, .max = max };
    /* Find the procedure record whose start is the function's. */
    for (uint32_t off = 4; off + 4 <= end;) {
        uint16_t rl = le16(sym + off), kind = le16(sym + off + 2);
        if (rl < 2 || off + 2u + rl > end)
            break;
        if (is_proc_kind(kind) && 2u + rl >= PROC_NAME) {
            const uint8_t *r = sym + off;
            uint16_t seg = le16(r + PROC_SEG);
            if (seg && seg <= p->nsections &&
                (uint64_t)p->sections[seg - 1].va + le32(r + PROC_OFF) == f->src_rva) {
                uint32_t pend = le32(r + PROC_END);
                uint32_t ptype = le32(r + PROC_TYPE);
                if (func_type && tpi)
                    pdb_type_name(tpi, ptype, x64 ? 8 : 4, func_type, type_size);
                walk_proc(&s, sym, off + 2u + rl, pend <= end ? pend : end, tpi, ptype);
                break;
            }
        }
        off += 2u + rl;
    }
    *n = s.n;
    pdb_types_close(tpi);
    free(sym);
    return COR_OK;
}
