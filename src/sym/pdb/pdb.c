/* PDB identity and the streams read at open time: the PDB info stream and
 * its named-stream map (for /names), the DBI stream (header, module list,
 * section contributions, optional debug header), section headers, OMAP,
 * publics, FPO and FRAMEDATA.
 *
 * Layouts: LLVM docs/PDB/PdbStream.rst, DbiStream.rst, HashTable.rst,
 * PublicStream.rst; microsoft-pdb PDB/dbi/dbi.h and cvinfo.h. */
#include "sym/pdb/pdb_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"

/* ---- arena ---------------------------------------------------------- */

char *pdb_arena_strndup(pdb_file *p, const uint8_t *s, size_t n)
{
    pdb_arena_chunk *c = p->arena;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > 65536 ? n + 1 : 65536;
        pdb_arena_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc) return NULL;
        nc->next = p->arena;
        nc->used = 0;
        nc->cap = cap;
        p->arena = c = nc;
    }
    char *out = c->data + c->used;
    memcpy(out, s, n);
    out[n] = '\0';
    c->used += n + 1;
    return out;
}

const char *pdb_arena_cstr(pdb_file *p, const uint8_t *buf, size_t len, size_t off)
{
    if (off >= len) return pdb_arena_strndup(p, (const uint8_t *)"", 0);
    const uint8_t *s = buf + off;
    const uint8_t *nul = memchr(s, 0, len - off);
    return pdb_arena_strndup(p, s, nul ? (size_t)(nul - s) : len - off);
}

const char *pdb_names_at(const pdb_file *p, uint32_t off)
{
    if (!p->names || off >= p->names_len) return NULL;
    if (!memchr(p->names + off, 0, p->names_len - off)) return NULL;
    return (const char *)p->names + off;
}

/* arr (cap elements of elem bytes) with room for element n: arr itself or
 * a larger copy; NULL when out of memory, arr then left as it was. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return arr;
    size_t nc = *cap ? *cap * 2 : 64;
    void *t = realloc(arr, nc * elem);
    if (t) *cap = nc;
    return t;
}

/* ---- PDB info stream and /names -------------------------------------- */

enum {
    INFO_VERSION = 0,
    INFO_SIGNATURE = 4,
    INFO_AGE = 8,
    INFO_GUID = 12,
    INFO_HEADER_SIZE = 28,
    NAMES_MAGIC = 0xEFFEEFFE,
    NAMES_HEADER_SIZE = 12, /* magic, hash version, byte size of strings */
};

/* Walks the named-stream map (a serialized hash table, HashTable.rst:
 * size, capacity, present and deleted bit vectors, then one (key, value)
 * pair per present bucket, key being an offset into the preceding string
 * buffer) and returns the stream named `want`, or -1. */
static int find_named_stream(rd_cur *c, const char *want, int64_t *found, cor_err *err)
{
    *found = -1;
    uint32_t strbuf_len = 0, size = 0, cap = 0, words = 0;
    if (!rd_u32(c, &strbuf_len)) return cor_fail(err, "named stream map: truncated before its string buffer");
    const uint8_t *strbuf = rd_take(c, strbuf_len);
    if (!strbuf) return cor_fail(err, "named stream map: string buffer of %u bytes runs past the stream", strbuf_len);
    if (!rd_u32(c, &size) || !rd_u32(c, &cap)) return cor_fail(err, "named stream map: truncated hash table header");
    if (size > cap) return cor_fail(err, "named stream map: %u entries in a table of capacity %u", size, cap);
    if (!rd_u32(c, &words) || (uint64_t)words * 4 > rd_left(c))
        return cor_fail(err, "named stream map: present-bit vector of %u words runs past the stream", words);
    const uint8_t *present = rd_take(c, (size_t)words * 4);
    uint32_t dwords;
    if (!rd_u32(c, &dwords) || !rd_skip(c, (size_t)dwords * 4))
        return cor_fail(err, "named stream map: deleted-bit vector runs past the stream");
    uint32_t seen = 0;
    for (uint64_t bit = 0; bit < (uint64_t)words * 32; bit++) {
        if (!(present[bit / 8] >> (bit % 8) & 1)) continue;
        uint32_t key, value;
        if (!rd_u32(c, &key) || !rd_u32(c, &value))
            return cor_fail(err, "named stream map: entry %u of %u runs past the stream", seen, size);
        seen++;
        if (key < strbuf_len) {
            const uint8_t *name = strbuf + key;
            size_t room = strbuf_len - key;
            size_t wl = strlen(want);
            if (room > wl && memcmp(name, want, wl) == 0 && name[wl] == 0) *found = value;
        }
    }
    if (seen != size) return cor_fail(err, "named stream map: %u entries claimed, %u present bits", size, seen);
    return COR_OK;
}

static int read_info(pdb_file *p, cor_err *err)
{
    uint8_t *buf;
    uint32_t len;
    if (msf_read_stream(&p->msf, PDB_STREAM_INFO, &buf, &len, err) != COR_OK)
        return cor_wrap(err, "PDB info stream");
    if (len < INFO_HEADER_SIZE) {
        free(buf);
        return cor_fail(err, "PDB info stream: %u bytes, header needs %d", len, INFO_HEADER_SIZE);
    }
    p->info_version = le32(buf + INFO_VERSION);
    p->signature = le32(buf + INFO_SIGNATURE);
    p->info_age = le32(buf + INFO_AGE);
    memcpy(p->guid, buf + INFO_GUID, 16);
    /* Versions before VC70 (20000404) have no GUID; we read only 7.0 PDBs. */
    if (p->info_version < 20000404) {
        uint32_t v = p->info_version;
        free(buf);
        return cor_fail(err, "PDB info stream: version %u predates PDB 7.0 (20000404) and has no GUID", v);
    }
    rd_cur c = rd_make(buf, len);
    rd_seek(&c, INFO_HEADER_SIZE);
    int64_t names = -1;
    int rc = find_named_stream(&c, "/names", &names, err);
    free(buf);
    if (rc != COR_OK) return cor_wrap(err, "PDB info stream");
    if (names < 0 || !msf_stream_present(&p->msf, (uint32_t)names)) return COR_OK; /* no string table: no lines */

    uint8_t *nb;
    uint32_t nlen;
    if (msf_read_stream(&p->msf, (uint32_t)names, &nb, &nlen, err) != COR_OK) return cor_wrap(err, "/names");
    if (nlen < NAMES_HEADER_SIZE || le32(nb) != NAMES_MAGIC) {
        free(nb);
        return cor_fail(err, "/names (stream %u): bad header (want signature 0xEFFEEFFE)", (uint32_t)names);
    }
    uint32_t cb = le32(nb + 8);
    if (cb > nlen - NAMES_HEADER_SIZE) {
        free(nb);
        return cor_fail(err, "/names: %u bytes of strings claimed, stream holds %u", cb, nlen - NAMES_HEADER_SIZE);
    }
    /* Keep the strings only, at the start of the buffer, so offsets from
     * file checksums and FRAMEDATA index it directly. */
    memmove(nb, nb + NAMES_HEADER_SIZE, cb);
    p->names = nb;
    p->names_len = cb;
    return COR_OK;
}

/* ---- DBI ------------------------------------------------------------- */

enum {
    DBI_SIGNATURE = 0,
    DBI_VERSION = 4,
    DBI_AGE = 8,
    DBI_GLOBALS = 12,
    DBI_PUBLICS = 16,
    DBI_SYMREC = 20,
    DBI_MODI_SIZE = 24,
    DBI_SECCONTR_SIZE = 28,
    DBI_SECMAP_SIZE = 32,
    DBI_FILEINFO_SIZE = 36,
    DBI_TSMAP_SIZE = 40,
    DBI_MFC_INDEX = 44, /* an index, not a size */
    DBI_OPTDBG_SIZE = 48,
    DBI_EC_SIZE = 52,
    DBI_FLAGS = 56,
    DBI_MACHINE = 58,
    DBI_HEADER_SIZE = 64,

    MODI_STREAM = 34,
    MODI_SYM_BYTES = 36,
    MODI_C11_BYTES = 40,
    MODI_C13_BYTES = 44,
    MODI_HEADER_SIZE = 64,

    SC_VER60 = 0xF12EBA2D,
    SC_VER2 = 0xF13151E4, /* adds isectCoff: 32-byte entries */
};

static int read_modules(pdb_file *p, const uint8_t *s, uint32_t len, cor_err *err)
{
    size_t cap = 0;
    uint32_t off = 0;
    while (off < len) {
        if (len - off < MODI_HEADER_SIZE)
            return cor_fail(err, "module info %zu at 0x%x: %u bytes left, header needs %d", p->nmods, off, len - off,
                            MODI_HEADER_SIZE);
        if (p->nmods == cap) {
            cap = cap ? cap * 2 : 64;
            pdb_module *n = realloc(p->mods, cap * sizeof *n);
            if (!n) return cor_fail(err, "out of memory for %zu modules", cap);
            p->mods = n;
        }
        pdb_module *m = &p->mods[p->nmods];
        const uint8_t *h = s + off;
        m->stream = le16(h + MODI_STREAM);
        m->sym_bytes = le32(h + MODI_SYM_BYTES);
        m->c11_bytes = le32(h + MODI_C11_BYTES);
        m->c13_bytes = le32(h + MODI_C13_BYTES);
        uint32_t at = off + MODI_HEADER_SIZE;
        const uint8_t *nul = memchr(s + at, 0, len - at);
        if (!nul) return cor_fail(err, "module info %zu: module name is not terminated", p->nmods);
        m->name = pdb_arena_strndup(p, s + at, (size_t)(nul - (s + at)));
        at = (uint32_t)(nul - s) + 1;
        nul = at < len ? memchr(s + at, 0, len - at) : NULL;
        if (!nul) return cor_fail(err, "module info %zu: object name is not terminated", p->nmods);
        m->obj_name = pdb_arena_strndup(p, s + at, (size_t)(nul - (s + at)));
        if (!m->name || !m->obj_name) return cor_fail(err, "out of memory for module names");
        at = (uint32_t)(nul - s) + 1;
        off = (at + 3) & ~3u; /* entries are 4-aligned within the substream */
        p->nmods++;
    }
    return COR_OK;
}

static int read_contributions(pdb_file *p, const uint8_t *s, uint32_t len, cor_err *err)
{
    if (len == 0) return COR_OK;
    if (len < 4) return cor_fail(err, "section contributions: %u bytes, too short for the version", len);
    uint32_t ver = le32(s);
    uint32_t esize = ver == SC_VER60 ? 28 : ver == SC_VER2 ? 32 : 0;
    if (!esize) return cor_fail(err, "section contributions: unknown version 0x%08x", ver);
    if ((len - 4) % esize)
        return cor_fail(err, "section contributions: %u bytes is not a whole number of %u-byte entries", len - 4,
                        esize);
    size_t n = (len - 4) / esize;
    p->contribs = calloc(n ? n : 1, sizeof *p->contribs);
    if (!p->contribs) return cor_fail(err, "out of memory for %zu section contributions", n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = s + 4 + i * esize;
        pdb_contribution *c = &p->contribs[i];
        c->section = le16(e);
        c->offset = le32(e + 4);
        c->size = le32(e + 8);
        c->characteristics = le32(e + 12);
        c->module = le16(e + 16);
        if (c->module >= p->nmods && p->nmods)
            return cor_fail(err, "section contribution %zu: module %u, only %zu modules", i, c->module, p->nmods);
    }
    p->ncontribs = n;
    return COR_OK;
}

static int read_dbi(pdb_file *p, cor_err *err)
{
    for (int i = 0; i < DBG_MAX; i++) p->dbg[i] = 0xFFFF;
    p->publics_stream = p->symrec_stream = p->globals_stream = 0xFFFF;
    if (!msf_stream_present(&p->msf, PDB_STREAM_DBI)) return COR_OK; /* e.g. a types-only PDB */
    uint8_t *buf;
    uint32_t len;
    if (msf_read_stream(&p->msf, PDB_STREAM_DBI, &buf, &len, err) != COR_OK) return cor_wrap(err, "DBI stream");
    int rc = COR_FAIL;
    if (len == 0) {
        free(buf);
        return COR_OK;
    }
    if (len < DBI_HEADER_SIZE) {
        cor_fail(err, "DBI stream: %u bytes, header needs %d", len, DBI_HEADER_SIZE);
        goto out;
    }
    if (le32(buf + DBI_SIGNATURE) != 0xFFFFFFFF) {
        cor_fail(err, "DBI stream: signature 0x%08x is not -1 (pre-VC4.1 DBI is unsupported)",
                 le32(buf + DBI_SIGNATURE));
        goto out;
    }
    p->dbi_age = le32(buf + DBI_AGE);
    p->globals_stream = le16(buf + DBI_GLOBALS);
    p->publics_stream = le16(buf + DBI_PUBLICS);
    p->symrec_stream = le16(buf + DBI_SYMREC);
    p->machine = le16(buf + DBI_MACHINE);
    static const int size_at[] = { DBI_MODI_SIZE,  DBI_SECCONTR_SIZE, DBI_SECMAP_SIZE, DBI_FILEINFO_SIZE,
                                   DBI_TSMAP_SIZE, DBI_EC_SIZE,       DBI_OPTDBG_SIZE };
    static const char *const size_name[] = { "module info", "section contributions", "section map", "file info",
                                             "type server map", "EC", "optional debug header" };
    /* Substreams follow the header in this order (DbiStream.rst). */
    uint32_t start[7], size[7];
    uint64_t sum = DBI_HEADER_SIZE;
    for (int i = 0; i < 7; i++) {
        size[i] = le32(buf + size_at[i]);
        if (size[i] > len) {
            cor_fail(err, "DBI stream: %s substream of %u bytes is longer than the stream (%u)", size_name[i], size[i],
                     len);
            goto out;
        }
        start[i] = (uint32_t)sum;
        sum += size[i];
    }
    if (sum != len) {
        cor_fail(err, "DBI stream: length %u does not equal header plus substreams (%" PRIu64 ")", len, sum);
        goto out;
    }
    if (read_modules(p, buf + start[0], size[0], err) != COR_OK ||
        read_contributions(p, buf + start[1], size[1], err) != COR_OK) {
        cor_wrap(err, "DBI stream");
        goto out;
    }
    uint32_t ndbg = size[6] / 2;
    for (uint32_t i = 0; i < ndbg && i < DBG_MAX; i++) p->dbg[i] = le16(buf + start[6] + i * 2);
    rc = COR_OK;
out:
    free(buf);
    return rc;
}

/* Reads optional debug stream `slot` into *buf and *len; absent is not an
 * error (*buf stays NULL). */
static int read_dbg_stream(pdb_file *p, int slot, uint8_t **buf, uint32_t *len, cor_err *err)
{
    *buf = NULL;
    *len = 0;
    uint16_t s = p->dbg[slot];
    if (s == 0xFFFF || !msf_stream_present(&p->msf, s)) return COR_OK;
    return msf_read_stream(&p->msf, s, buf, len, err);
}

/* An OMAP table: 8-byte {rva, rvaTo} entries sorted by rva. */
static int read_omap(pdb_file *p, int slot, pdb_omap_entry **out, size_t *n, const char *what, cor_err *err)
{
    uint8_t *buf;
    uint32_t len;
    if (read_dbg_stream(p, slot, &buf, &len, err) != COR_OK) return cor_wrap(err, "%s", what);
    if (!buf) return COR_OK;
    if (len % 8) {
        free(buf);
        return cor_fail(err, "%s: %u bytes is not a whole number of 8-byte entries", what, len);
    }
    *n = len / 8;
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        free(buf);
        return cor_fail(err, "out of memory for %s", what);
    }
    for (size_t i = 0; i < *n; i++) {
        (*out)[i].from = le32(buf + i * 8);
        (*out)[i].to = le32(buf + i * 8 + 4);
        if (i && (*out)[i].from < (*out)[i - 1].from) {
            free(buf);
            return cor_fail(err, "%s: entry %zu (0x%x) is out of order", what, i, (*out)[i].from);
        }
    }
    free(buf);
    return COR_OK;
}

static int read_sections_and_omap(pdb_file *p, cor_err *err)
{
    uint8_t *buf;
    uint32_t len;
    if (read_omap(p, DBG_OMAP_FROM_SRC, &p->omap_from, &p->nomap_from, "OMAP from source", err) != COR_OK ||
        read_omap(p, DBG_OMAP_TO_SRC, &p->omap_to, &p->nomap_to, "OMAP to source", err) != COR_OK)
        return COR_FAIL;
    if (p->omap_from && read_dbg_stream(p, DBG_SECTION_HDR, &buf, &len, err) == COR_OK && buf) {
        for (uint32_t at = 0; len - at >= 40; at += 40) {
            uint64_t end = (uint64_t)le32(buf + at + 12) + le32(buf + at + 8);
            if (end > p->image_end && end <= UINT32_MAX) p->image_end = (uint32_t)end;
        }
        free(buf);
    }
    /* Symbols address sections as the compiler laid them out. With OMAP
     * (a post-link optimizer rearranged the image) that is the original
     * section table in slot 10; without, the only one, in slot 5. */
    int slot = DBG_SECTION_HDR;
    if (p->omap_from && p->dbg[DBG_SECTION_HDR_ORIG] != 0xFFFF) slot = DBG_SECTION_HDR_ORIG;
    if (read_dbg_stream(p, slot, &buf, &len, err) != COR_OK) return cor_wrap(err, "section headers");
    if (!buf) return COR_OK;
    enum { SH_SIZE = 40, SH_VIRTUAL_SIZE = 8, SH_VIRTUAL_ADDRESS = 12 };
    if (len % SH_SIZE) {
        free(buf);
        return cor_fail(err, "section headers: %u bytes is not a whole number of 40-byte headers", len);
    }
    p->nsections = len / SH_SIZE;
    p->sections = calloc(p->nsections ? p->nsections : 1, sizeof *p->sections);
    if (!p->sections) {
        free(buf);
        return cor_fail(err, "out of memory for section headers");
    }
    for (size_t i = 0; i < p->nsections; i++) {
        p->sections[i].size = le32(buf + i * SH_SIZE + SH_VIRTUAL_SIZE);
        p->sections[i].va = le32(buf + i * SH_SIZE + SH_VIRTUAL_ADDRESS);
    }
    free(buf);
    return COR_OK;
}

/* seg:off (seg 1-based) to an RVA in the layout the compiler produced,
 * before any OMAP. */
static bool section_src_rva(const pdb_file *p, uint16_t seg, uint32_t off, uint32_t *src)
{
    if (seg == 0 || seg > p->nsections) return false;
    uint64_t r = (uint64_t)p->sections[seg - 1].va + off;
    if (r > UINT32_MAX) return false;
    *src = (uint32_t)r;
    return true;
}

bool pdb_section_rva(const pdb_file *p, uint16_t seg, uint32_t off, uint32_t *rva)
{
    uint32_t src;
    return section_src_rva(p, seg, off, &src) && pdb_omap_rva(p, src, rva);
}

/* ---- publics --------------------------------------------------------- */

enum { S_PUB32 = 0x110E, PUB_FLAGS = 4, PUB_OFF = 8, PUB_SEG = 12, PUB_NAME = 14 };

static int cmp_public(const void *a, const void *b)
{
    const pdb_public *x = a, *y = b;
    if (x->rva != y->rva) return x->rva < y->rva ? -1 : 1;
    return strcmp(x->name, y->name);
}

void pdb_undecorate_c(const char *name, char *out, size_t n)
{
    if (!n) return;
    size_t len = strlen(name);
    const char *s = name;
    if (len > 1 && (name[0] == '_' || name[0] == '@')) {
        s = name + 1;
        len--;
        /* A trailing @<digits> is the stdcall/fastcall argument size. */
        const char *at = memchr(s, '@', len);
        if (at && at > s) {
            const char *q = at + 1;
            while (*q >= '0' && *q <= '9') q++;
            if (*q == '\0' && q > at + 1) len = (size_t)(at - s);
            else if (name[0] == '@') {
                s = name, len = strlen(name); /* not fastcall after all */
            }
        } else if (name[0] == '@') {
            s = name, len = strlen(name);
        }
    }
    if (len >= n) len = n - 1;
    memcpy(out, s, len);
    out[len] = '\0';
}

/* Publics read at source addresses go where OMAP put them: like
 * Breakpad's dump_syms, one record at the start of each image range the
 * public's first byte went to, none when it was dropped. (dump_syms also
 * follows a public whose address starts an OMAP block on into the blocks
 * after it, up to the next public, using DIA's nearest-symbol search; no
 * corpus PDB has a public where that adds a record, so it is not done.) */
static int place_publics(pdb_file *p, cor_err *err)
{
    pdb_public *out = NULL;
    size_t n = 0, cap = 0;
    pdb_range_buf rb = { 0 };
    int rc = COR_OK;
    for (size_t i = 0; i < p->npublics && rc == COR_OK; i++) {
        if (!pdb_omap_map(p, p->publics[i].src_rva, 1, &rb)) {
            rc = cor_fail(err, "out of memory placing publics");
            break;
        }
        for (size_t k = 0; k < rb.n && rc == COR_OK; k++) {
            pdb_public *t = grow(out, &cap, n, sizeof *out);
            if (!t) {
                rc = cor_fail(err, "out of memory for %zu publics", n + 1);
                break;
            }
            out = t;
            out[n] = p->publics[i];
            out[n++].rva = rb.v[k].rva;
        }
    }
    pdb_range_buf_free(&rb);
    free(p->publics);
    p->publics = out;
    p->npublics = rc == COR_OK ? n : 0;
    return rc;
}

/* The symbol record stream holds every global symbol; the publics are its
 * S_PUB32 records. Scanning it (rather than walking the publics stream's
 * address map) finds the same set and survives a damaged hash table. */
static int read_publics(pdb_file *p, cor_err *err)
{
    if (p->symrec_stream == 0xFFFF || !msf_stream_present(&p->msf, p->symrec_stream)) return COR_OK;
    uint8_t *buf;
    uint32_t len;
    if (msf_read_stream(&p->msf, p->symrec_stream, &buf, &len, err) != COR_OK)
        return cor_wrap(err, "symbol record stream");
    size_t cap = 0;
    uint32_t off = 0;
    bool x86 = p->machine == 0x014C;
    while (len - off >= 4) {
        uint16_t reclen = le16(buf + off), kind = le16(buf + off + 2);
        if (reclen < 2 || (uint64_t)off + 2 + reclen > len) {
            free(buf);
            return cor_fail(err, "symbol record stream: record at 0x%x claims %u bytes, %u left", off, reclen,
                            len - off - 2);
        }
        if (kind == S_PUB32 && reclen + 2 >= PUB_NAME) {
            const uint8_t *r = buf + off;
            uint32_t src;
            if (section_src_rva(p, le16(r + PUB_SEG), le32(r + PUB_OFF), &src)) {
                if (p->npublics == cap) {
                    cap = cap ? cap * 2 : 256;
                    pdb_public *n = realloc(p->publics, cap * sizeof *n);
                    if (!n) {
                        free(buf);
                        return cor_fail(err, "out of memory for %zu publics", cap);
                    }
                    p->publics = n;
                }
                pdb_public *pub = &p->publics[p->npublics];
                pub->rva = pub->src_rva = src;
                pub->flags = le32(r + PUB_FLAGS);
                pub->name = pdb_arena_cstr(p, r, (size_t)reclen + 2, PUB_NAME);
                pub->undecorated = pub->name;
                if (pub->name && x86 && (pub->name[0] == '_' || pub->name[0] == '@')) {
                    size_t nl = strlen(pub->name) + 1;
                    char *tmp = malloc(nl);
                    if (tmp) {
                        pdb_undecorate_c(pub->name, tmp, nl);
                        pub->undecorated = pdb_arena_strndup(p, (const uint8_t *)tmp, strlen(tmp));
                        free(tmp);
                    }
                }
                if (!pub->name || !pub->undecorated) {
                    free(buf);
                    return cor_fail(err, "out of memory for public names");
                }
                p->npublics++;
            }
        }
        off += 2u + reclen;
    }
    free(buf);
    if (place_publics(p, err) != COR_OK) return COR_FAIL;
    if (p->npublics) qsort(p->publics, p->npublics, sizeof *p->publics, cmp_public);
    return COR_OK;
}

/* ---- FPO and FRAMEDATA ------------------------------------------------ */

static int cmp_fpo(const void *a, const void *b)
{
    const pdb_fpo *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

static int cmp_framedata(const void *a, const void *b)
{
    const pdb_framedata *x = a, *y = b;
    return x->rva < y->rva ? -1 : x->rva > y->rva;
}

/* Where a frame record's code went. Breakpad's dump_syms maps the prolog
 * and the rest of the block separately, since the optimizer may have moved
 * them apart: when each went to one range and the two still touch, the
 * record stays whole; otherwise every range becomes a record of its own,
 * a prolog range being all prolog and the others having none. Without
 * OMAP this is the record as stored. */
typedef struct frame_piece {
    uint32_t rva, size, prolog;
} frame_piece;
typedef struct frame_pieces {
    pdb_range_buf prolog, body;
    frame_piece *v;
    size_t n, cap;
} frame_pieces;

static bool push_frame_piece(frame_pieces *fp, uint32_t rva, uint32_t size, uint32_t prolog)
{
    frame_piece *t = grow(fp->v, &fp->cap, fp->n, sizeof *fp->v);
    if (!t) return false;
    fp->v = t;
    fp->v[fp->n++] = (frame_piece){ rva, size, prolog };
    return true;
}

static bool place_frame(const pdb_file *p, uint32_t rva, uint32_t size, uint32_t prolog, frame_pieces *fp)
{
    fp->n = 0;
    fp->prolog.n = 0;
    if (prolog > size) prolog = size; /* a damaged record; keeps the body's length sane */
    if (prolog && !pdb_omap_map(p, rva, prolog, &fp->prolog)) return false;
    if (!pdb_omap_map(p, rva + prolog, size - prolog, &fp->body)) return false;
    const pdb_range_buf *a = &fp->prolog, *b = &fp->body;
    if (a->n == 1 && b->n == 1 && a->v[0].rva + a->v[0].size == b->v[0].rva)
        return push_frame_piece(fp, a->v[0].rva, a->v[0].size + b->v[0].size, a->v[0].size);
    for (size_t k = 0; k < a->n; k++)
        if (!push_frame_piece(fp, a->v[k].rva, a->v[k].size, a->v[k].size)) return false;
    for (size_t k = 0; k < b->n; k++)
        if (!push_frame_piece(fp, b->v[k].rva, b->v[k].size, 0)) return false;
    return true;
}

static void frame_pieces_free(frame_pieces *fp)
{
    pdb_range_buf_free(&fp->prolog);
    pdb_range_buf_free(&fp->body);
    free(fp->v);
}

/* FPO_DATA (winnt.h), at source addresses like symbols. */
static int read_fpo(pdb_file *p, frame_pieces *fp, cor_err *err)
{
    enum { FPO_SIZE = 16 };
    uint8_t *buf;
    uint32_t len;
    if (read_dbg_stream(p, DBG_FPO, &buf, &len, err) != COR_OK) return cor_wrap(err, "FPO stream");
    if (!buf) return COR_OK;
    if (len % FPO_SIZE) {
        free(buf);
        return cor_fail(err, "FPO stream: %u bytes is not a whole number of 16-byte FPO_DATA", len);
    }
    size_t cap = 0;
    for (uint32_t at = 0; at < len; at += FPO_SIZE) {
        const uint8_t *e = buf + at;
        pdb_fpo f = { 0 };
        f.locals_dwords = le32(e + 8);
        f.params_dwords = le16(e + 12);
        /* winnt.h bit fields, LSB first: cbProlog:8 cbRegs:3 fHasSEH:1
         * fUseBP:1 reserved:1 cbFrame:2. */
        uint16_t bits = le16(e + 14);
        f.prolog_size = (uint8_t)(bits & 0xFF);
        f.saved_regs = (uint8_t)(bits >> 8 & 7);
        f.has_seh = bits >> 11 & 1;
        f.uses_bp = bits >> 12 & 1;
        f.frame_type = (uint8_t)(bits >> 14 & 3);
        if (!place_frame(p, le32(e), le32(e + 4), f.prolog_size, fp)) goto oom;
        for (size_t k = 0; k < fp->n; k++) {
            pdb_fpo *t = grow(p->fpo, &cap, p->nfpo, sizeof *p->fpo);
            if (!t) goto oom;
            p->fpo = t;
            f.rva = fp->v[k].rva;
            f.size = fp->v[k].size;
            f.prolog_size = (uint8_t)fp->v[k].prolog; /* at most the stored prolog */
            p->fpo[p->nfpo++] = f;
        }
    }
    free(buf);
    if (p->nfpo) qsort(p->fpo, p->nfpo, sizeof *p->fpo, cmp_fpo);
    return COR_OK;
oom:
    free(buf);
    return cor_fail(err, "out of memory for FPO data");
}

/* FRAMEDATA (cvinfo.h tagFRAMEDATA), likewise. */
static int read_framedata(pdb_file *p, frame_pieces *fp, cor_err *err)
{
    enum { FD_SIZE = 32 };
    uint8_t *buf;
    uint32_t len;
    if (read_dbg_stream(p, DBG_NEW_FPO, &buf, &len, err) != COR_OK) return cor_wrap(err, "FrameData stream");
    if (!buf) return COR_OK;
    /* Some writers put a u32 relocation pointer first (LLVM
     * DebugFrameDataSubsection); the corpus's MSVC PDBs do not. */
    uint32_t base = len % FD_SIZE == 4 ? 4 : 0;
    if ((len - base) % FD_SIZE) {
        free(buf);
        return cor_fail(err, "FrameData stream: %u bytes is not a whole number of 32-byte FRAMEDATA", len);
    }
    size_t cap = 0;
    for (uint32_t at = base; at < len; at += FD_SIZE) {
        const uint8_t *e = buf + at;
        pdb_framedata f = { 0 };
        f.locals_size = le32(e + 8);
        f.params_size = le32(e + 12);
        f.max_stack_size = le32(e + 16);
        f.program = pdb_names_at(p, le32(e + 20));
        f.prolog_size = le16(e + 24);
        f.saved_regs_size = le16(e + 26);
        f.flags = le32(e + 28);
        if (!place_frame(p, le32(e), le32(e + 4), f.prolog_size, fp)) goto oom;
        for (size_t k = 0; k < fp->n; k++) {
            pdb_framedata *t = grow(p->framedata, &cap, p->nframedata, sizeof *p->framedata);
            if (!t) goto oom;
            p->framedata = t;
            f.rva = fp->v[k].rva;
            f.size = fp->v[k].size;
            f.prolog_size = (uint16_t)fp->v[k].prolog; /* at most the stored prolog */
            p->framedata[p->nframedata++] = f;
        }
    }
    free(buf);
    if (p->nframedata) qsort(p->framedata, p->nframedata, sizeof *p->framedata, cmp_framedata);
    return COR_OK;
oom:
    free(buf);
    return cor_fail(err, "out of memory for FrameData");
}

static int read_frames(pdb_file *p, cor_err *err)
{
    frame_pieces fp = { 0 };
    int rc = read_fpo(p, &fp, err) == COR_OK && read_framedata(p, &fp, err) == COR_OK ? COR_OK : COR_FAIL;
    frame_pieces_free(&fp);
    return rc;
}

/* ---- open/close ------------------------------------------------------ */

static int open_common(pdb_file *p, cor_err *err)
{
    if (msf_open(&p->msf, p->map ? p->map : p->msf.data, p->map ? p->map_size : p->msf.size, err) != COR_OK)
        return COR_FAIL;
    if (!msf_stream_present(&p->msf, PDB_STREAM_INFO)) return cor_fail(err, "PDB has no info stream (stream 1)");
    if (read_info(p, err) != COR_OK || read_dbi(p, err) != COR_OK || read_sections_and_omap(p, err) != COR_OK ||
        pdb_omap_build(p, err) != COR_OK || read_publics(p, err) != COR_OK || read_frames(p, err) != COR_OK)
        return COR_FAIL;
    return COR_OK;
}

int pdb_file_open_mem(const void *data, size_t size, pdb_file **out, cor_err *err)
{
    *out = NULL;
    pdb_file *p = calloc(1, sizeof *p);
    if (!p) return cor_fail(err, "out of memory");
    p->msf.data = data;
    p->msf.size = size;
    if (open_common(p, err) != COR_OK) {
        pdb_file_close(p);
        return COR_FAIL;
    }
    *out = p;
    return COR_OK;
}

int pdb_file_open(const char *path, pdb_file **out, cor_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cor_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        close(fd);
        return cor_fail(err, "%s: empty or unreadable file", path);
    }
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return cor_fail(err, "%s: cannot map: %s", path, strerror(errno));
    pdb_file *p = calloc(1, sizeof *p);
    if (!p) {
        munmap(map, (size_t)st.st_size);
        return cor_fail(err, "out of memory");
    }
    p->map = map;
    p->map_size = (size_t)st.st_size;
    if (open_common(p, err) != COR_OK) {
        pdb_file_close(p);
        return cor_wrap(err, "%s", path);
    }
    *out = p;
    return COR_OK;
}

void pdb_file_close(pdb_file *p)
{
    if (!p) return;
    pdb_inline_free(p);
    free(p->data);
    msf_close(&p->msf);
    if (p->map) munmap(p->map, p->map_size);
    free(p->names);
    free(p->mods);
    free(p->contribs);
    free(p->sections);
    free(p->omap_from);
    free(p->omap_to);
    free(p->omap_map);
    free(p->omap_ends);
    free(p->publics);
    free(p->fpo);
    free(p->framedata);
    free(p->funcs);
    free(p->lines);
    for (size_t i = 0; p->modidx && i < p->nmods; i++) {
        free(p->modidx[i].funcs);
        free(p->modidx[i].lines);
    }
    free(p->modidx);
    free(p->ranges);
    while (p->arena) {
        pdb_arena_chunk *n = p->arena->next;
        free(p->arena);
        p->arena = n;
    }
    free(p);
}

/* ---- accessors ------------------------------------------------------- */

const uint8_t *pdb_guid(const pdb_file *p) { return p->guid; }
uint32_t pdb_age(const pdb_file *p) { return p->dbi_age ? p->dbi_age : p->info_age; }
uint32_t pdb_info_age(const pdb_file *p) { return p->info_age; }
uint32_t pdb_signature(const pdb_file *p) { return p->signature; }
uint16_t pdb_machine(const pdb_file *p) { return p->machine; }

void pdb_debug_id(const pdb_file *p, char out[41])
{
    /* The GUID's first three fields are little-endian integers; Breakpad
     * prints them as numbers, then the last eight bytes in order. */
    const uint8_t *g = p->guid;
    snprintf(out, 41, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X", le32(g), le16(g + 4), le16(g + 6), g[8],
             g[9], g[10], g[11], g[12], g[13], g[14], g[15], pdb_age(p));
}

size_t pdb_module_count(const pdb_file *p) { return p->nmods; }
const pdb_module *pdb_module_at(const pdb_file *p, size_t i) { return i < p->nmods ? &p->mods[i] : NULL; }
size_t pdb_contribution_count(const pdb_file *p) { return p->ncontribs; }
const pdb_contribution *pdb_contribution_at(const pdb_file *p, size_t i)
{
    return i < p->ncontribs ? &p->contribs[i] : NULL;
}
size_t pdb_public_count(const pdb_file *p) { return p->npublics; }
const pdb_public *pdb_public_at(const pdb_file *p, size_t i) { return i < p->npublics ? &p->publics[i] : NULL; }
size_t pdb_fpo_count(const pdb_file *p) { return p->nfpo; }
const pdb_fpo *pdb_fpo_at(const pdb_file *p, size_t i) { return i < p->nfpo ? &p->fpo[i] : NULL; }
size_t pdb_framedata_count(const pdb_file *p) { return p->nframedata; }
const pdb_framedata *pdb_framedata_at(const pdb_file *p, size_t i)
{
    return i < p->nframedata ? &p->framedata[i] : NULL;
}

const pdb_public *pdb_find_public(const pdb_file *p, uint32_t rva)
{
    size_t i = LAST_AT_OR_BEFORE(p->publics, p->npublics, rva);
    return i == SIZE_MAX ? NULL : &p->publics[i];
}

const pdb_fpo *pdb_find_fpo(const pdb_file *p, uint32_t rva)
{
    size_t i = LAST_AT_OR_BEFORE(p->fpo, p->nfpo, rva);
    /* Records do not overlap in practice; look back a little in case. */
    for (size_t k = 0; i != SIZE_MAX && k < 4; k++, i--) {
        if (rva - p->fpo[i].rva < p->fpo[i].size) return &p->fpo[i];
        if (i == 0) break;
    }
    return NULL;
}

const pdb_framedata *pdb_find_framedata(const pdb_file *p, uint32_t rva)
{
    size_t i = LAST_AT_OR_BEFORE(p->framedata, p->nframedata, rva);
    /* FRAMEDATA blocks nest (a function, then its prolog-adjusted
     * sub-blocks), so the nearest start may be a block that has ended. */
    for (size_t k = 0; i != SIZE_MAX && k < 8; k++, i--) {
        if (rva - p->framedata[i].rva < p->framedata[i].size) return &p->framedata[i];
        if (i == 0) break;
    }
    return NULL;
}
