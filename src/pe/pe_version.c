/* VS_VERSIONINFO ("VERSIONINFO resource", learn.microsoft.com, and Wine's
 * dlls/version/version.c). Every node has the same shape:
 *   WORD wLength; WORD wValueLength; WORD wType; WCHAR szKey[];
 *   padding to 32 bits; Value; padding to 32 bits; Children[]
 * wType is 1 for text and 0 for binary. For text, wValueLength counts
 * WCHARs by the documentation but bytes in some writers' output, so string
 * values are taken as "from the value's start to the node's end, up to the
 * NUL" instead; Wine's VerQueryValue does the same. */
#include "pe/pe_version.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/text.h"
#include "pe/pe_internal.h"
#include "pe/pe_resource.h"

#define VS_HDR 6
#define VS_wLength 0
#define VS_wValueLength 2
#define VS_wType 4
#define VS_TYPE_TEXT 1

#define FFI_SIZE 52
#define FFI_SIGNATURE 0xFEEF04BDu

/* wLength is 16-bit, so the root node is at most this long. */
#define MAX_VERSION_RESOURCE 0xFFFFu

typedef struct vs_node {
    size_t end;       /* one past the node, clamped to its parent */
    uint16_t value_len;
    uint16_t type;
    size_t key_off, key_len; /* bytes, without the NUL */
    size_t value_off; /* aligned start of the value (may equal end) */
    size_t children;  /* aligned start of the children (may equal end) */
} vs_node;

static size_t align4(size_t x) { return (x + 3) & ~(size_t)3; }

static bool vs_node_at(const uint8_t *p, size_t limit, size_t off, vs_node *n)
{
    if (!span_ok(limit, off, VS_HDR)) return false;
    uint16_t len = le16(p + off + VS_wLength);
    if (len < VS_HDR) return false;
    n->end = len > limit - off ? limit : off + len;
    n->value_len = le16(p + off + VS_wValueLength);
    n->type = le16(p + off + VS_wType);
    size_t k = off + VS_HDR;
    n->key_off = k;
    while (k + 2 <= n->end && le16(p + k) != 0) k += 2;
    n->key_len = k - n->key_off;
    size_t after_key = k + 2 <= n->end ? k + 2 : n->end;
    n->value_off = align4(after_key);
    if (n->value_off > n->end) n->value_off = n->end;
    size_t vbytes = n->type == VS_TYPE_TEXT ? (size_t)n->value_len * 2 : n->value_len;
    if (vbytes > n->end - n->value_off) vbytes = n->end - n->value_off;
    n->children = align4(n->value_off + vbytes);
    if (n->children > n->end) n->children = n->end;
    return true;
}

static char *node_key(const uint8_t *p, const vs_node *n) { return utf16le_to_utf8(p + n->key_off, n->key_len); }

static bool key_is(const uint8_t *p, const vs_node *n, const char *want)
{
    char *k = node_key(p, n);
    bool eq = k && strcmp(k, want) == 0;
    free(k);
    return eq;
}

void pe_version_free(pe_version_info *vi)
{
    if (!vi) return;
    for (size_t i = 0; i < vi->nstrings; i++) {
        free(vi->strings[i].table);
        free(vi->strings[i].key);
        free(vi->strings[i].value);
    }
    free(vi->strings);
    free(vi->translations);
    free(vi);
}

static int add_string(pe_version_info *vi, size_t *cap, const uint8_t *p, const vs_node *table, const vs_node *s)
{
    if (vi->nstrings == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        pe_version_string *nv = realloc(vi->strings, nc * sizeof *nv);
        if (!nv) return COR_FAIL;
        vi->strings = nv;
        *cap = nc;
    }
    pe_version_string *vs = &vi->strings[vi->nstrings];
    vs->table = node_key(p, table);
    vs->key = node_key(p, s);
    vs->value = utf16le_to_utf8(p + s->value_off, s->end - s->value_off);
    if (!vs->table || !vs->key || !vs->value) {
        free(vs->table);
        free(vs->key);
        free(vs->value);
        return COR_FAIL;
    }
    vi->nstrings++;
    return COR_OK;
}

/* StringFileInfo: StringTable children, each holding String children. */
static int walk_string_file_info(pe_version_info *vi, size_t *cap, const uint8_t *p, const vs_node *sfi)
{
    vs_node t, s;
    for (size_t toff = sfi->children; vs_node_at(p, sfi->end, toff, &t); toff = align4(t.end)) {
        for (size_t soff = t.children; vs_node_at(p, t.end, soff, &s); soff = align4(s.end))
            if (add_string(vi, cap, p, &t, &s) != COR_OK) return COR_FAIL;
    }
    return COR_OK;
}

/* VarFileInfo: Var children; "Translation" holds (language, code page)
 * WORD pairs. */
static int walk_var_file_info(pe_version_info *vi, const uint8_t *p, const vs_node *vfi)
{
    vs_node v;
    for (size_t off = vfi->children; vs_node_at(p, vfi->end, off, &v); off = align4(v.end)) {
        if (!key_is(p, &v, "Translation") || vi->translations) continue;
        size_t bytes = v.value_len;
        if (bytes > v.end - v.value_off) bytes = v.end - v.value_off;
        size_t n = bytes / 4;
        if (!n) continue;
        vi->translations = malloc(n * sizeof *vi->translations);
        if (!vi->translations) return COR_FAIL;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *q = p + v.value_off + 4 * i;
            vi->translations[i] = (uint32_t)le16(q) << 16 | le16(q + 2);
        }
        vi->ntranslations = n;
    }
    return COR_OK;
}

int pe_version_parse(const void *data, size_t size, pe_version_info **out, cor_err *err)
{
    *out = NULL;
    const uint8_t *p = data;
    vs_node root;
    if (!vs_node_at(p, size, 0, &root))
        return cor_fail(err, "version resource of %zu bytes has no valid root node", size);
    if (!key_is(p, &root, "VS_VERSION_INFO")) return cor_fail(err, "root node is not VS_VERSION_INFO");
    pe_version_info *vi = calloc(1, sizeof *vi);
    if (!vi) return cor_fail(err, "out of memory");
    if (root.value_len >= FFI_SIZE && span_ok(root.end, root.value_off, FFI_SIZE)) {
        const uint8_t *f = p + root.value_off;
        if (le32(f) == FFI_SIGNATURE) {
            /* dwStrucVersion at +4 has no place in md_version. */
            md_version *v = &vi->fixed;
            v->signature = le32(f);
            v->file_ms = le32(f + 8);
            v->file_ls = le32(f + 12);
            v->product_ms = le32(f + 16);
            v->product_ls = le32(f + 20);
            v->flags_mask = le32(f + 24);
            v->flags = le32(f + 28);
            v->os = le32(f + 32);
            v->type = le32(f + 36);
            v->subtype = le32(f + 40);
            v->date_ms = le32(f + 44);
            v->date_ls = le32(f + 48);
            vi->has_fixed = true;
        }
    }
    size_t cap = 0;
    vs_node c;
    for (size_t off = root.children; vs_node_at(p, root.end, off, &c); off = align4(c.end)) {
        int rc = COR_OK;
        if (key_is(p, &c, "StringFileInfo")) rc = walk_string_file_info(vi, &cap, p, &c);
        else if (key_is(p, &c, "VarFileInfo")) rc = walk_var_file_info(vi, p, &c);
        if (rc != COR_OK) {
            pe_version_free(vi);
            return cor_fail(err, "out of memory");
        }
    }
    *out = vi;
    return COR_OK;
}

int pe_version_read(const pe_image *img, pe_version_info **out, cor_err *err)
{
    *out = NULL;
    pe_data_dir where;
    if (pe_resource_find(img, PE_RT_VERSION, &where, err) != COR_OK) return COR_FAIL;
    if (where.rva == 0) return COR_OK;
    size_t n = where.size < MAX_VERSION_RESOURCE ? where.size : MAX_VERSION_RESOURCE;
    uint8_t *buf = pe_read_alloc(img, where.rva, n, "version resource", err);
    if (!buf) return COR_FAIL;
    int rc = pe_version_parse(buf, n, out, err);
    free(buf);
    if (rc != COR_OK) return cor_wrap(err, "version resource at RVA 0x%x", where.rva);
    return COR_OK;
}

const char *pe_version_string_get(const pe_version_info *vi, const char *key)
{
    for (size_t i = 0; i < vi->nstrings; i++)
        if (strcmp(vi->strings[i].key, key) == 0) return vi->strings[i].value;
    return NULL;
}
