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

/* ---- Module stream ------------------------------------------------------
 * A module's inline sites are read once, on the first lookup that lands in
 * one of its procedures, into a pdb_inline_mod: the procedures that have
 * sites (by start), each site's header, its annotation bytes and the
 * module's file checksums. Later lookups in that module touch neither the
 * module stream nor the IPI stream again, so walking hundreds of stacks
 * (~*k) costs one read per module. */

static bool is_proc(uint16_t kind)
{
    return kind == S_LPROC32 || kind == S_GPROC32 || kind == S_LPROC32_ID || kind == S_GPROC32_ID ||
           kind == S_LPROC32_DPC || kind == S_LPROC32_DPC_ID;
}

/* An inlinee's {file, base line} from DEBUG_S_INLINEELINES. */
typedef struct inlinee_base {
    uint32_t id, file, line, order;
} inlinee_base;

typedef struct inline_build {
    pdb_file *p;
    const uint8_t *s; /* the module stream */
    uint32_t c13, c13_end;
    const uint8_t *chk; /* DEBUG_S_FILECHKSMS */
    uint32_t chk_len;
    inlinee_base *bases;
    size_t nbases, bases_cap;
    pdb_inline_proc *procs;
    size_t nprocs, procs_cap;
    pdb_inline_site *sites;
    size_t nsites, sites_cap;
    uint8_t *blob;
    size_t blob_len, blob_cap;
} inline_build;

/* Grows *arr (element size sz) to hold one more; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = realloc(*arr, nc * sz);
    if (!na) return false;
    *arr = na;
    *cap = nc;
    return true;
}

static bool blob_put(inline_build *b, const uint8_t *bytes, uint32_t len, uint32_t *at)
{
    if (b->blob_len + len > UINT32_MAX) return false;
    if (b->blob_len + len > b->blob_cap) {
        size_t nc = b->blob_cap ? b->blob_cap : 256;
        while (nc < b->blob_len + len) nc *= 2;
        uint8_t *nb = realloc(b->blob, nc);
        if (!nb) return false;
        b->blob = nb;
        b->blob_cap = nc;
    }
    memcpy(b->blob + b->blob_len, bytes, len);
    *at = (uint32_t)b->blob_len;
    b->blob_len += len;
    return true;
}

/* Calls fn on each C13 subsection of the module; stops at the first one
 * whose length runs past the end (what came before still counts). */
static int each_subsection(inline_build *b, int (*fn)(inline_build *b, uint32_t type, const uint8_t *d, uint32_t len))
{
    uint32_t off = b->c13;
    while (b->c13_end - off >= 8) {
        uint32_t type = le32(b->s + off), len = le32(b->s + off + 4);
        if (len > b->c13_end - off - 8) break;
        if (fn(b, type, b->s + off + 8, len) != COR_OK) return COR_FAIL;
        uint64_t next = ((uint64_t)off + 8 + len + 3) & ~(uint64_t)3;
        if (next > b->c13_end) break;
        off = (uint32_t)next;
    }
    return COR_OK;
}

/* cvinfo.h CodeViewInlineeSourceLine[Ex]: {inlinee, file, line} entries,
 * the Ex form followed by a counted list of extra files. */
static int collect_subsection(inline_build *b, uint32_t type, const uint8_t *d, uint32_t len)
{
    if (type == DEBUG_S_FILECHKSMS && !b->chk) {
        b->chk = d;
        b->chk_len = len;
        return COR_OK;
    }
    if (type != DEBUG_S_INLINEELINES || len < 4) return COR_OK;
    bool ex = le32(d) == INLINEE_SIG_EX;
    uint32_t at = 4;
    while (len - at >= 12) {
        inlinee_base e = { le32(d + at), le32(d + at + 4), le32(d + at + 8), (uint32_t)b->nbases };
        at += 12;
        if (ex) {
            if (len - at < 4) break;
            uint32_t extra = le32(d + at);
            at += 4;
            if (extra > (len - at) / 4) break;
            at += extra * 4;
        }
        if (!grow((void **)&b->bases, &b->bases_cap, b->nbases, sizeof *b->bases)) return COR_FAIL;
        b->bases[b->nbases++] = e;
    }
    return COR_OK;
}

/* By id; the first entry for an id wins, as a linear search would find. */
static int cmp_base(const void *a, const void *b)
{
    const inlinee_base *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static const inlinee_base *find_base(const inline_build *b, uint32_t id)
{
    size_t lo = 0, hi = b->nbases;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->bases[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < b->nbases && b->bases[lo].id == id ? &b->bases[lo] : NULL;
}

/* By start; at one start, stream order (a lookup takes the first). */
static int cmp_proc(const void *a, const void *b)
{
    const pdb_inline_proc *x = a, *y = b;
    if (x->src_rva != y->src_rva) return x->src_rva < y->src_rva ? -1 : 1;
    return x->self < y->self ? -1 : x->self > y->self;
}

/* The procedures of the symbol substream and the sites inside each. A
 * damaged record length ends the walk; what was read before it stands. */
static int collect_sites(inline_build *b, uint32_t end)
{
    pdb_file *p = b->p;
    const uint8_t *s = b->s;
    uint32_t off = 4, proc_end = 0;
    bool in_proc = false;
    while (end - off >= 4 && off < end) {
        uint16_t reclen = le16(s + off), kind = le16(s + off + 2);
        uint32_t rsize = 2u + reclen;
        if (reclen < 2 || rsize > end - off) break;
        const uint8_t *r = s + off;
        if (in_proc && off >= proc_end) in_proc = false;
        if (!in_proc) {
            uint16_t seg = rsize >= PROC_MIN ? le16(r + PROC_SEG) : 0;
            if (is_proc(kind) && seg && seg <= p->nsections) {
                uint64_t start = (uint64_t)p->sections[seg - 1].va + le32(r + PROC_OFF);
                proc_end = le32(r + PROC_END);
                if (proc_end <= off || proc_end > end) proc_end = end;
                if (start <= UINT32_MAX) {
                    if (!grow((void **)&b->procs, &b->procs_cap, b->nprocs, sizeof *b->procs)) return COR_FAIL;
                    b->procs[b->nprocs++] = (pdb_inline_proc){ (uint32_t)start, off, (uint32_t)b->nsites, 0 };
                    in_proc = true;
                }
            }
        } else if (kind == S_INLINESITE || kind == S_INLINESITE2) {
            uint32_t ann = kind == S_INLINESITE2 ? SITE2_ANN : SITE_ANN;
            if (rsize >= ann) {
                pdb_inline_site site = { .self = off, .parent = le32(r + SITE_PARENT),
                                         .inlinee = le32(r + SITE_INLINEE), .ann_len = rsize - ann };
                const inlinee_base *base = find_base(b, site.inlinee);
                if (base) {
                    site.have_base = true;
                    site.base_file = base->file;
                    site.base_line = base->line;
                }
                if (!blob_put(b, r + ann, site.ann_len, &site.ann)) return COR_FAIL;
                if (!grow((void **)&b->sites, &b->sites_cap, b->nsites, sizeof *b->sites)) return COR_FAIL;
                b->sites[b->nsites++] = site;
                b->procs[b->nprocs - 1].count++;
            }
        }
        off += rsize;
    }
    /* Only procedures with sites are worth keeping. */
    size_t w = 0;
    for (size_t i = 0; i < b->nprocs; i++)
        if (b->procs[i].count) b->procs[w++] = b->procs[i];
    b->nprocs = w;
    if (w) qsort(b->procs, w, sizeof *b->procs, cmp_proc);
    return COR_OK;
}

static void inline_mod_free(pdb_inline_mod *im)
{
    free(im->procs);
    free(im->sites);
    free(im->blob);
    memset(im, 0, sizeof *im);
}

static int build_inline_mod(pdb_file *p, uint16_t imod, pdb_inline_mod *out, cor_err *err)
{
    const pdb_module *m = &p->mods[imod];
    memset(out, 0, sizeof *out);
    if (m->stream == 0xFFFF || !msf_stream_present(&p->msf, m->stream)) return COR_OK;
    uint8_t *s;
    uint32_t len;
    if (msf_read_stream(&p->msf, m->stream, &s, &len, err) != COR_OK) return COR_FAIL;
    inline_build b = { .p = p, .s = s };
    int rc = COR_FAIL;
    uint64_t total = (uint64_t)m->sym_bytes + m->c11_bytes + m->c13_bytes;
    if (total > len) {
        cor_fail(err, "symbols %u + C11 %u + C13 %u bytes exceed the stream's %u", m->sym_bytes, m->c11_bytes,
                 m->c13_bytes, len);
        goto out;
    }
    b.c13 = m->sym_bytes + m->c11_bytes;
    b.c13_end = b.c13 + m->c13_bytes;
    if (each_subsection(&b, collect_subsection) != COR_OK) goto oom;
    if (b.nbases) qsort(b.bases, b.nbases, sizeof *b.bases, cmp_base);
    if (collect_sites(&b, m->sym_bytes) != COR_OK) goto oom;
    if (b.nsites && b.chk && !blob_put(&b, b.chk, b.chk_len, &out->chk)) goto oom;
    out->chk_len = b.nsites && b.chk ? b.chk_len : 0;
    out->procs = b.procs;
    out->nprocs = b.nprocs;
    out->sites = b.sites;
    out->nsites = b.nsites;
    out->blob = b.blob;
    b.procs = NULL;
    b.sites = NULL;
    b.blob = NULL;
    rc = COR_OK;
    goto out;
oom:
    cor_fail(err, "out of memory");
out:
    free(b.bases);
    free(b.procs);
    free(b.sites);
    free(b.blob);
    free(s);
    return rc;
}

void pdb_inline_free(pdb_file *p)
{
    for (size_t i = 0; p->inline_mods && i < p->nmods; i++) inline_mod_free(&p->inline_mods[i]);
    free(p->inline_mods);
    p->inline_mods = NULL;
    pdb_types_close(p->ipi);
    p->ipi = NULL;
}

/* Module imod's sites, read on first use; NULL (with the reason) when its
 * stream is damaged, then and on every later call. */
static const pdb_inline_mod *inline_mod(pdb_file *p, uint16_t imod, cor_err *err)
{
    if (!p->inline_mods) {
        p->inline_mods = calloc(p->nmods, sizeof *p->inline_mods);
        if (!p->inline_mods) {
            cor_fail(err, "out of memory");
            return NULL;
        }
    }
    pdb_inline_mod *im = &p->inline_mods[imod];
    if (im->state == MOD_UNLOADED) {
        if (build_inline_mod(p, imod, im, err) != COR_OK) {
            inline_mod_free(im);
            im->state = MOD_FAILED;
            cor_wrap(err, "inline frames: module %u", imod);
            return NULL;
        }
        im->state = MOD_LOADED;
    } else if (im->state == MOD_FAILED) {
        cor_fail(err, "inline frames: module %u is damaged", imod);
        return NULL;
    }
    return im;
}

static const pdb_inline_proc *find_proc(const pdb_inline_mod *im, uint32_t src_rva)
{
    size_t lo = 0, hi = im->nprocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (im->procs[mid].src_rva < src_rva) lo = mid + 1;
        else hi = mid;
    }
    return lo < im->nprocs && im->procs[lo].src_rva == src_rva ? &im->procs[lo] : NULL;
}

static const char *checksum_name(const pdb_file *p, const pdb_inline_mod *im, uint32_t off_file)
{
    if (!im->chk_len || !span_ok(im->chk_len, off_file, 6)) return "";
    const char *name = pdb_names_at(p, le32(im->blob + im->chk + off_file));
    return name ? name : "";
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

/* The IPI stream, opened on first use and kept. Without a readable one the
 * frames keep their ranges and lines and go unnamed. */
static pdb_types *ipi_stream(pdb_file *p)
{
    if (!p->ipi_tried) {
        p->ipi_tried = true;
        cor_err ignore;
        if (pdb_types_open_stream(p, PDB_STREAM_IPI, &p->ipi, &ignore) != COR_OK) p->ipi = NULL;
    }
    return p->ipi;
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
    const pdb_inline_mod *im = inline_mod(p, f->module, err);
    if (!im) return COR_FAIL;
    const pdb_inline_proc *proc = find_proc(im, f->src_rva);
    if (!proc) return COR_OK;
    uint32_t target = src - f->src_rva; /* code offsets are from the procedure's start */

    /* Only a child of the innermost active frame can be active: sites nest
     * as the calls did, each naming its enclosing record. */
    uint32_t parent = proc->self;
    size_t count = 0;
    for (uint32_t i = 0; i < proc->count; i++) {
        const pdb_inline_site *site = &im->sites[proc->first + i];
        if (site->parent != parent) continue;
        pdb_inline_hit hit;
        pdb_inline_locate(im->blob + site->ann, site->ann_len, site->base_line, site->base_file, target, &hit);
        if (!hit.found) continue;
        if (count < max) {
            pdb_inline_frame *fr = &out[count];
            memset(fr, 0, sizeof *fr);
            fr->inlinee = site->inlinee;
            fr->rva = image_rva(p, f->src_rva + hit.run_start);
            fr->size = hit.run_end - hit.run_start;
            fr->line_rva = image_rva(p, f->src_rva + hit.line_off);
            fr->file = site->have_base ? checksum_name(p, im, hit.file) : "";
            fr->line = site->have_base ? hit.line : 0;
            fr->call_file = "";
        }
        count++;
        parent = site->self;
    }

    size_t w = count < max ? count : max;
    pdb_types *ipi = w ? ipi_stream(p) : NULL;
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
    *n = count;
    return COR_OK;
}
