/* Inline frames: which inlined calls are active at an address.
 *
 * Inside a procedure's scope in its module stream, each inlined call is an
 * S_INLINESITE {pParent@4, pEnd@8, inlinee@12, annotations@16} (or
 * S_INLINESITE2, with invocations@16 and annotations@20), nested as the
 * calls were, closed by S_INLINESITE_END. The inlinee is an IPI id whose
 * LF_FUNC_ID / LF_MFUNC_ID record holds the name; the module's
 * DEBUG_S_INLINEELINES subsection gives its file and base line. The
 * binary annotations are a small program whose code offsets are relative
 * to the enclosing procedure's start and whose line offsets are relative
 * to that base line.
 *
 * References: cvinfo.h (BinaryAnnotationOpcode, CVUncompressData), LLVM
 * DebugInfo/CodeView SymbolRecord.h (BinaryAnnotationIterator: the
 * operands of each opcode), the Rust `pdb` crate's inlinee line iterator
 * (which annotations start a line entry, how its length is found). */
#include "sym/pdb/pdb_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

enum {
    S_INLINESITE = 0x114D,
    S_INLINESITE2 = 0x115D,

    PROC_MIN = PROC_NAME, /* a PROCSYM32 up to its name */
    /* INLINESITESYM */
    SITE_PARENT = 4,
    SITE_INLINEE = 12,
    SITE_ANN = 16,
    SITE2_ANN = 20,

    INLINEE_SIG_EX = 1, /* entries carry a list of extra files */

    LF_FUNC_ID = 0x1601,
    LF_MFUNC_ID = 0x1602,
    FUNC_ID_NAME = 8, /* both, after the kind: u32 scope or parent type, u32 type, name */
};

/* cvinfo.h BinaryAnnotationOpcode. */
enum {
    BA_OP_Invalid = 0,
    BA_OP_CodeOffset,
    BA_OP_ChangeCodeOffsetBase,
    BA_OP_ChangeCodeOffset,
    BA_OP_ChangeCodeLength,
    BA_OP_ChangeFile,
    BA_OP_ChangeLineOffset,
    BA_OP_ChangeLineEndDelta,
    BA_OP_ChangeRangeKind,
    BA_OP_ChangeColumnStart,
    BA_OP_ChangeColumnEndDelta,
    BA_OP_ChangeCodeOffsetAndLineOffset,
    BA_OP_ChangeCodeLengthAndCodeOffset,
    BA_OP_ChangeColumnEnd,
};

/* CVUncompressData: 0xxxxxxx, 10xxxxxx x8, 110xxxxx x8 x8 x8. False when
 * the bytes run out or the prefix is 111 (cvinfo.h's "bad encoding"). */
static bool ann_uint(rd_cur *c, uint32_t *v)
{
    uint8_t b0, b1, b2, b3;
    if (!rd_u8(c, &b0)) return false;
    if ((b0 & 0x80) == 0) {
        *v = b0;
        return true;
    }
    if ((b0 & 0xC0) == 0x80) {
        if (!rd_u8(c, &b1)) return false;
        *v = (uint32_t)(b0 & 0x3F) << 8 | b1;
        return true;
    }
    if ((b0 & 0xE0) == 0xC0) {
        if (!rd_u8(c, &b1) || !rd_u8(c, &b2) || !rd_u8(c, &b3)) return false;
        *v = (uint32_t)(b0 & 0x1F) << 24 | (uint32_t)b1 << 16 | (uint32_t)b2 << 8 | b3;
        return true;
    }
    return false;
}

/* Signed operands keep the sign in bit 0 (cvinfo.h DecodeSignedInt32). */
static int32_t ann_signed(uint32_t x) { return x & 1 ? -(int32_t)(x >> 1) : (int32_t)(x >> 1); }

typedef struct ann_row {
    uint32_t off, len, line, file;
    bool has_len;
} ann_row;

typedef struct ann_locate {
    uint32_t target;
    uint32_t cur_start, cur_end; /* the run of adjacent entries seen last */
    bool have_cur;
    pdb_inline_hit *hit;
    bool closed; /* the run holding the target has ended */
} ann_locate;

static void ann_finish(ann_locate *l, const ann_row *r)
{
    if (!r->len) return;
    uint32_t end = r->off + r->len < r->off ? UINT32_MAX : r->off + r->len;
    if (l->hit->found) {
        if (!l->closed && r->off == l->hit->run_end) l->hit->run_end = end;
        else l->closed = true;
        return;
    }
    if (!l->have_cur || r->off != l->cur_end) l->cur_start = r->off;
    l->cur_end = end;
    l->have_cur = true;
    if (l->target >= r->off && l->target < end) {
        l->hit->found = true;
        l->hit->line_off = r->off;
        l->hit->line_len = end - r->off;
        l->hit->line = r->line;
        l->hit->file = r->file;
        l->hit->run_start = l->cur_start;
        l->hit->run_end = end;
    }
}

bool pdb_inline_locate(const uint8_t *ann, size_t len, uint32_t base_line, uint32_t base_file, uint32_t target,
                       pdb_inline_hit *hit)
{
    memset(hit, 0, sizeof *hit);
    ann_locate l = { .target = target, .hit = hit };
    rd_cur c = rd_make(ann, len);
    uint32_t code = 0, line = base_line, file = base_file;
    ann_row pending = { 0 };
    bool have_pending = false, complete = false;
    for (;;) {
        uint32_t op, a, b = 0;
        if (rd_left(&c) == 0) {
            complete = true;
            break;
        }
        if (!ann_uint(&c, &op)) break;
        if (op == BA_OP_Invalid) { /* padding to the record's end */
            complete = true;
            break;
        }
        if (op > BA_OP_ChangeColumnEnd) break; /* operand count unknown: cannot go on */
        if (!ann_uint(&c, &a)) break;
        if (op == BA_OP_ChangeCodeLengthAndCodeOffset && !ann_uint(&c, &b)) break;
        bool emit = false;
        uint32_t new_len = 0;
        bool new_has_len = false;
        switch (op) {
        case BA_OP_CodeOffset: code = a; break;
        case BA_OP_ChangeCodeOffset:
            code += a;
            emit = true;
            break;
        case BA_OP_ChangeCodeLength:
            /* Closes the entry opened last; the next one starts after it. */
            if (have_pending && !pending.has_len) {
                pending.len = a;
                pending.has_len = true;
            }
            code += a;
            break;
        case BA_OP_ChangeFile: file = a; break;
        case BA_OP_ChangeLineOffset: line += (uint32_t)ann_signed(a); break;
        case BA_OP_ChangeCodeOffsetAndLineOffset:
            code += a & 0xF;
            line += (uint32_t)ann_signed(a >> 4);
            emit = true;
            break;
        case BA_OP_ChangeCodeLengthAndCodeOffset: /* a: length, b: offset delta */
            code += b;
            new_len = a;
            new_has_len = true;
            emit = true;
            break;
        default: /* offset base, line end, range kind, columns: not needed */
            break;
        }
        if (!emit) continue;
        if (have_pending) {
            if (!pending.has_len) pending.len = code > pending.off ? code - pending.off : 0;
            ann_finish(&l, &pending);
        }
        pending = (ann_row){ code, new_len, line, file, new_has_len };
        have_pending = true;
    }
    /* An entry whose length never came is dropped: it could run anywhere. */
    if (have_pending && pending.has_len) ann_finish(&l, &pending);
    return complete;
}

/* ---- Module stream ------------------------------------------------------ */

static bool is_proc(uint16_t kind)
{
    return kind == S_LPROC32 || kind == S_GPROC32 || kind == S_LPROC32_ID || kind == S_GPROC32_ID ||
           kind == S_LPROC32_DPC || kind == S_LPROC32_DPC_ID;
}

typedef struct inline_ctx {
    pdb_file *p;
    const uint8_t *chk; /* DEBUG_S_FILECHKSMS */
    uint32_t chk_len;
    const uint8_t *s; /* the module stream */
    uint32_t c13, c13_end;
} inline_ctx;

static const char *checksum_name(const inline_ctx *x, uint32_t off_file)
{
    if (!x->chk || !span_ok(x->chk_len, off_file, 6)) return "";
    const char *name = pdb_names_at(x->p, le32(x->chk + off_file));
    return name ? name : "";
}

/* Finds the inlinee's {file, base line} in any DEBUG_S_INLINEELINES
 * subsection (cvinfo.h CodeViewInlineeSourceLine[Ex]). */
static bool inlinee_base(const inline_ctx *x, uint32_t inlinee, uint32_t *file, uint32_t *line)
{
    uint32_t off = x->c13;
    while (x->c13_end - off >= 8) {
        uint32_t type = le32(x->s + off), len = le32(x->s + off + 4);
        if (len > x->c13_end - off - 8) return false;
        const uint8_t *d = x->s + off + 8;
        if (type == DEBUG_S_INLINEELINES && len >= 4) {
            bool ex = le32(d) == INLINEE_SIG_EX;
            uint32_t at = 4;
            while (len - at >= 12) {
                uint32_t id = le32(d + at), f = le32(d + at + 4), l = le32(d + at + 8);
                at += 12;
                if (ex) {
                    if (len - at < 4) break;
                    uint32_t extra = le32(d + at);
                    at += 4;
                    if (extra > (len - at) / 4) break;
                    at += extra * 4;
                }
                if (id == inlinee) {
                    *file = f;
                    *line = l;
                    return true;
                }
            }
        }
        uint64_t next = ((uint64_t)off + 8 + len + 3) & ~(uint64_t)3;
        if (next > x->c13_end) break;
        off = (uint32_t)next;
    }
    return false;
}

static void find_checksums(inline_ctx *x)
{
    uint32_t off = x->c13;
    while (x->c13_end - off >= 8) {
        uint32_t type = le32(x->s + off), len = le32(x->s + off + 4);
        if (len > x->c13_end - off - 8) return;
        if (type == DEBUG_S_FILECHKSMS) {
            x->chk = x->s + off + 8;
            x->chk_len = len;
            return;
        }
        uint64_t next = ((uint64_t)off + 8 + len + 3) & ~(uint64_t)3;
        if (next > x->c13_end) return;
        off = (uint32_t)next;
    }
}

/* The IPI record of id, when it is an LF_FUNC_ID or LF_MFUNC_ID: its name
 * into buf (non-printable bytes as '?'). */
static void ipi_name(pdb_types *ipi, uint32_t id, char *buf, size_t size)
{
    buf[0] = 0;
    uint16_t kind;
    const uint8_t *body;
    uint32_t len;
    if (!ipi || !pdb_types_record(ipi, id, &kind, &body, &len)) return;
    if ((kind != LF_FUNC_ID && kind != LF_MFUNC_ID) || len <= FUNC_ID_NAME) return;
    size_t k = 0;
    for (uint32_t i = FUNC_ID_NAME; i < len && body[i] && k + 1 < size; i++)
        buf[k++] = body[i] >= 0x20 && body[i] != 0x7F ? (char)body[i] : '?';
    buf[k] = 0;
}

/* The image RVA of a source-layout address (OMAP), or the address itself. */
static uint32_t image_rva(const pdb_file *p, uint32_t src)
{
    uint32_t r;
    return pdb_omap_rva(p, src, &r) ? r : src;
}

int pdb_find_inlines(pdb_file *p, uint32_t rva, pdb_inline_frame *out, size_t max, size_t *n, cor_err *err)
{
    *n = 0;
    uint32_t src;
    if (!pdb_omap_to_source(p, rva, &src)) return COR_OK;
    const pdb_function *f = pdb_find_function(p, rva);
    if (!f || f->is_thunk || f->module >= p->nmods) return COR_OK;
    const pdb_module *m = &p->mods[f->module];
    if (m->stream == 0xFFFF || !msf_stream_present(&p->msf, m->stream)) return COR_OK;
    uint32_t target = src - f->src_rva; /* code offsets are from the procedure's start */

    uint8_t *s;
    uint32_t len;
    pdb_types *ipi = NULL;
    if (msf_read_stream(&p->msf, m->stream, &s, &len, err) != COR_OK)
        return cor_wrap(err, "inline frames: module %u", f->module);
    int rc = COR_FAIL;
    uint64_t total = (uint64_t)m->sym_bytes + m->c11_bytes + m->c13_bytes;
    if (total > len) {
        cor_fail(err, "inline frames: module %u: symbols %u + C11 %u + C13 %u bytes exceed the stream's %u", f->module,
                 m->sym_bytes, m->c11_bytes, m->c13_bytes, len);
        goto out;
    }
    inline_ctx x = { .p = p, .s = s, .c13 = m->sym_bytes + m->c11_bytes };
    x.c13_end = x.c13 + m->c13_bytes;
    find_checksums(&x);

    /* The procedure record: the one starting where the function does. */
    uint32_t off = 4, end = m->sym_bytes, proc_end = 0, parent = 0;
    bool in_proc = false;
    size_t count = 0;
    while (end - off >= 4 && off < end) {
        uint16_t reclen = le16(s + off), kind = le16(s + off + 2);
        uint32_t rsize = 2u + reclen;
        if (reclen < 2 || rsize > end - off) break; /* damaged: keep what was found */
        const uint8_t *r = s + off;
        if (!in_proc) {
            uint16_t seg = rsize >= PROC_MIN ? le16(r + PROC_SEG) : 0;
            if (is_proc(kind) && seg && seg <= p->nsections &&
                (uint64_t)p->sections[seg - 1].va + le32(r + PROC_OFF) == f->src_rva) {
                in_proc = true;
                parent = off;
                proc_end = le32(r + PROC_END);
                if (proc_end <= off || proc_end > end) proc_end = end;
            }
        } else {
            if (off >= proc_end) break;
            bool site2 = kind == S_INLINESITE2;
            uint32_t ann = site2 ? SITE2_ANN : SITE_ANN;
            /* Only a child of the innermost active frame can be active:
             * sites nest as the calls did. */
            if ((kind == S_INLINESITE || site2) && rsize >= ann && le32(r + SITE_PARENT) == parent) {
                uint32_t inlinee = le32(r + SITE_INLINEE), bfile = 0, bline = 0;
                bool have_base = inlinee_base(&x, inlinee, &bfile, &bline);
                pdb_inline_hit hit;
                pdb_inline_locate(r + ann, rsize - ann, bline, bfile, target, &hit);
                if (hit.found) {
                    if (count < max) {
                        pdb_inline_frame *fr = &out[count];
                        memset(fr, 0, sizeof *fr);
                        fr->inlinee = inlinee;
                        fr->rva = image_rva(p, f->src_rva + hit.run_start);
                        fr->size = hit.run_end - hit.run_start;
                        fr->line_rva = image_rva(p, f->src_rva + hit.line_off);
                        fr->file = have_base ? checksum_name(&x, hit.file) : "";
                        fr->line = have_base ? hit.line : 0;
                        fr->call_file = "";
                    }
                    count++;
                    parent = off;
                }
            }
        }
        off += rsize;
    }

    if (count) {
        /* Without a readable IPI stream the frames keep their ranges and
         * lines and go unnamed. */
        cor_err ignore;
        if (pdb_types_open_stream(p, PDB_STREAM_IPI, &ipi, &ignore) != COR_OK) ipi = NULL;
        size_t w = count < max ? count : max;
        for (size_t i = 0; i < w; i++) {
            ipi_name(ipi, out[i].inlinee, out[i].name, sizeof out[i].name);
            /* The call site is where the caller is at this address: the
             * procedure's own line table (where the compiler records the
             * call's line for inlined code) for the outermost frame, the
             * enclosing inline site's line for the others. */
            if (i == 0) {
                const pdb_line *l = pdb_find_line(p, rva);
                if (l && l->line != 0xFEEFEE && l->line != 0xF00F00) {
                    out[i].call_file = l->file;
                    out[i].call_line = l->line;
                }
            } else {
                out[i].call_file = out[i - 1].file;
                out[i].call_line = out[i - 1].line;
            }
        }
    }
    *n = count;
    rc = COR_OK;
out:
    free(s);
    pdb_types_close(ipi);
    return rc;
}
