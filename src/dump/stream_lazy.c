/* Streams parsed on first use: HandleData, ThreadInfoList, MemoryInfoList,
 * Token, FunctionTable, CommentStreamA/W. Each is parsed once; a malformed
 * stream reports the same error on every call. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dump/minidump_internal.h"

/* Reads a {SizeOfHeader, SizeOfEntry, Count} header with u32 fields and
 * checks that count entries of at least min_entry bytes fit. */
static int sized_list(const md_dump *d, const md_stream *s, uint32_t min_hdr, uint32_t min_entry, bool count64,
                      uint32_t *hdr, uint32_t *entsz, uint64_t *n, cor_err *err)
{
    rd_cur c = md_stream_cursor(d, s);
    uint32_t n32 = 0;
    if (!rd_u32(&c, hdr) || !rd_u32(&c, entsz) || !(count64 ? rd_u64(&c, n) : rd_u32(&c, &n32)))
        return cor_fail(err, "%u bytes, too small for its header", s->loc.size);
    if (!count64) *n = n32;
    if (*hdr < min_hdr || *hdr > s->loc.size)
        return cor_fail(err, "header size %u is not in [%u, %u]", *hdr, min_hdr, s->loc.size);
    if (*entsz < min_entry) return cor_fail(err, "entry size %u, expected at least %u", *entsz, min_entry);
    uint64_t avail = s->loc.size - *hdr;
    if (*n > avail / *entsz)
        return cor_fail(err, "%llu entries claimed, room for %llu", (unsigned long long)*n,
                        (unsigned long long)(avail / *entsz));
    return COR_OK;
}

/* Shared shape of every lazy accessor: parse once, remember failure. */
#define LAZY_BEGIN(done_flag, arr, cnt)                                                                 \
    if (d->done_flag) {                                                                                 \
        *out = d->arr;                                                                                  \
        *count = d->cnt;                                                                                \
        return d->arr || !md_find_stream(d, stream_type) ? COR_OK                                      \
                                                         : cor_fail(err, "%s stream is malformed",      \
                                                                    md_stream_type_name(stream_type)); \
    }                                                                                                   \
    d->done_flag = true;                                                                                \
    *out = NULL;                                                                                        \
    *count = 0;                                                                                         \
    const md_stream *s = md_find_stream(d, stream_type);                                                \
    if (!s) return COR_OK;

int md_handles(md_dump *d, const md_handle **out, size_t *count, cor_err *err)
{
    const uint32_t stream_type = MD_STREAM_HANDLE_DATA;
    LAZY_BEGIN(handles_done, handles, nhandles)
    uint32_t hdr, entsz;
    uint64_t n;
    if (sized_list(d, s, 16, 32, false, &hdr, &entsz, &n, err) != COR_OK) return cor_wrap(err, "HandleData");
    md_handle *h = calloc(n ? n : 1, sizeof *h);
    if (!h) return cor_fail(err, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + hdr + i * entsz;
        uint32_t tn = le32(e + 8), on = le32(e + 12);
        h[i] = (md_handle){ .handle = le64(e), .attributes = le32(e + 16), .granted_access = le32(e + 20),
                            .handle_count = le32(e + 24), .pointer_count = le32(e + 28) };
        h[i].type_name = tn ? md_kept_string(d, tn) : NULL;
        h[i].object_name = on ? md_kept_string(d, on) : NULL;
        if (entsz >= 40) h[i].object_info_rva = le32(e + 32); /* MINIDUMP_HANDLE_DESCRIPTOR_2 */
    }
    d->handles = h;
    d->nhandles = n;
    *out = h;
    *count = n;
    return COR_OK;
}

int md_thread_infos(md_dump *d, const md_thread_info **out, size_t *count, cor_err *err)
{
    const uint32_t stream_type = MD_STREAM_THREAD_INFO_LIST;
    LAZY_BEGIN(tinfo_done, tinfos, ntinfos)
    uint32_t hdr, entsz;
    uint64_t n;
    if (sized_list(d, s, 12, 64, false, &hdr, &entsz, &n, err) != COR_OK) return cor_wrap(err, "ThreadInfoList");
    md_thread_info *t = calloc(n ? n : 1, sizeof *t);
    if (!t) return cor_fail(err, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + hdr + i * entsz;
        t[i] = (md_thread_info){ le32(e), le32(e + 4), le32(e + 8), le32(e + 12), le64(e + 16),
                                 le64(e + 24), le64(e + 32), le64(e + 40), le64(e + 48), le64(e + 56) };
    }
    d->tinfo_order = calloc(n ? n : 1, sizeof *d->tinfo_order);
    if (!d->tinfo_order) {
        free(t);
        return cor_fail(err, "out of memory");
    }
    md_sort_by_tid(d->tinfo_order, n, t, sizeof *t, offsetof(md_thread_info, tid));
    d->tinfos = t;
    d->ntinfos = n;
    *out = t;
    *count = n;
    return COR_OK;
}

const md_thread_info *md_thread_info_by_tid(md_dump *d, uint32_t tid)
{
    const md_thread_info *t;
    size_t n;
    if (md_thread_infos(d, &t, &n, NULL) != COR_OK || !d->tinfo_order) return NULL;
    size_t pos = md_tid_position(d->tinfo_order, n, t, sizeof *t, offsetof(md_thread_info, tid), tid);
    return pos < n ? &t[d->tinfo_order[pos]] : NULL;
}

int md_memory_infos(md_dump *d, const md_memory_info **out, size_t *count, cor_err *err)
{
    const uint32_t stream_type = MD_STREAM_MEMORY_INFO_LIST;
    LAZY_BEGIN(minfo_done, minfos, nminfos)
    uint32_t hdr, entsz;
    uint64_t n;
    if (sized_list(d, s, 16, 48, true, &hdr, &entsz, &n, err) != COR_OK) return cor_wrap(err, "MemoryInfoList");
    md_memory_info *m = calloc(n ? n : 1, sizeof *m);
    if (!m) return cor_fail(err, "out of memory");
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *e = d->data + s->loc.rva + hdr + i * entsz;
        m[i] = (md_memory_info){ le64(e), le64(e + 8), le32(e + 16), le64(e + 24), le32(e + 32), le32(e + 36),
                                 le32(e + 40) };
    }
    d->minfos = m;
    d->nminfos = n;
    *out = m;
    *count = n;
    return COR_OK;
}

int md_tokens(md_dump *d, const md_token **out, size_t *count, cor_err *err)
{
    const uint32_t stream_type = MD_STREAM_TOKEN;
    LAZY_BEGIN(tokens_done, tokens, ntokens)
    /* MINIDUMP_TOKEN_INFO_LIST: TokenListSize, TokenListEntries, ListHeaderSize,
     * ElementHeaderSize; then per token MINIDUMP_TOKEN_INFO_HEADER {TokenSize
     * (header included), TokenId, TokenHandle u64} followed by the token's bytes. */
    rd_cur c = md_stream_cursor(d, s);
    uint32_t list_size, n, list_hdr, elem_hdr;
    if (!rd_u32(&c, &list_size) || !rd_u32(&c, &n) || !rd_u32(&c, &list_hdr) || !rd_u32(&c, &elem_hdr))
        return cor_fail(err, "Token: %u bytes, too small for its header", s->loc.size);
    if (list_hdr < 16 || list_hdr > s->loc.size || elem_hdr < 16)
        return cor_fail(err, "Token: bad header (list header %u, element header %u)", list_hdr, elem_hdr);
    if (n > (s->loc.size - list_hdr) / elem_hdr)
        return cor_fail(err, "Token: %u entries claimed in %u bytes", n, s->loc.size);
    md_token *t = calloc(n ? n : 1, sizeof *t);
    if (!t) return cor_fail(err, "out of memory");
    uint64_t off = list_hdr;
    for (uint32_t i = 0; i < n; i++) {
        if (!span_ok(s->loc.size, off, elem_hdr)) break;
        const uint8_t *e = d->data + s->loc.rva + off;
        uint32_t tsize = le32(e);
        if (tsize < elem_hdr || !span_ok(s->loc.size, off, tsize)) break;
        t[i] = (md_token){ le32(e + 4), le64(e + 8), { tsize - elem_hdr, (uint32_t)(s->loc.rva + off + elem_hdr) } };
        d->ntokens = i + 1;
        off += tsize;
    }
    d->tokens = t;
    *out = t;
    *count = d->ntokens;
    return COR_OK;
}

int md_function_tables(md_dump *d, const md_function_table **out, size_t *count, cor_err *err)
{
    const uint32_t stream_type = MD_STREAM_FUNCTION_TABLE;
    LAZY_BEGIN(ftables_done, ftables, nftables)
    /* MINIDUMP_FUNCTION_TABLE_STREAM: SizeOfHeader, SizeOfDescriptor,
     * SizeOfNativeDescriptor, SizeOfFunctionEntry, NumberOfDescriptors,
     * SizeOfAlignPad. The header is followed by SizeOfAlignPad bytes; each
     * descriptor by the native DYNAMIC_FUNCTION_TABLE, the entries, and its
     * own AlignPad bytes (checked on electron's windows.dmp). */
    rd_cur c = md_stream_cursor(d, s);
    uint32_t hdr, desc_sz, native_sz, entry_sz, n, pad;
    if (!rd_u32(&c, &hdr) || !rd_u32(&c, &desc_sz) || !rd_u32(&c, &native_sz) || !rd_u32(&c, &entry_sz) ||
        !rd_u32(&c, &n) || !rd_u32(&c, &pad))
        return cor_fail(err, "FunctionTable: %u bytes, too small for its header", s->loc.size);
    if (hdr < 24 || hdr > s->loc.size || desc_sz < 32 || entry_sz == 0)
        return cor_fail(err, "FunctionTable: bad header (header %u, descriptor %u, entry %u)", hdr, desc_sz,
                        entry_sz);
    if (n > (s->loc.size - hdr) / desc_sz)
        return cor_fail(err, "FunctionTable: %u descriptors claimed in %u bytes", n, s->loc.size);
    md_function_table *f = calloc(n ? n : 1, sizeof *f);
    if (!f) return cor_fail(err, "out of memory");
    uint64_t off = (uint64_t)hdr + pad;
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!span_ok(s->loc.size, off, desc_sz)) break;
        const uint8_t *e = d->data + s->loc.rva + off;
        uint32_t entries = le32(e + 24), dpad = le32(e + 28);
        uint64_t native_off = off + desc_sz, ent_off = native_off + native_sz;
        uint64_t ent_len = (uint64_t)entries * entry_sz;
        if (!span_ok(s->loc.size, ent_off, ent_len)) break;
        f[k++] = (md_function_table){ le64(e), le64(e + 8), le64(e + 16), entries,
                                      { native_sz, (uint32_t)(s->loc.rva + native_off) },
                                      { (uint32_t)ent_len, (uint32_t)(s->loc.rva + ent_off) } };
        off = ent_off + ent_len + dpad;
    }
    d->ftables = f;
    d->nftables = k;
    *out = f;
    *count = k;
    return COR_OK;
}

static void parse_comments(md_dump *d)
{
    if (d->comments_done) return;
    d->comments_done = true;
    const md_stream *a = md_find_stream(d, MD_STREAM_COMMENT_A);
    const md_stream *w = md_find_stream(d, MD_STREAM_COMMENT_W);
    if (a) d->comment_a = md_keep(d, ascii_dup(d->data + a->loc.rva, a->loc.size));
    if (w) d->comment_w = md_keep(d, utf16le_to_utf8(d->data + w->loc.rva, w->loc.size));
}

const char *md_comment_a(md_dump *d)
{
    parse_comments(d);
    return d->comment_a;
}

const char *md_comment_w(md_dump *d)
{
    parse_comments(d);
    return d->comment_w;
}
