/* Memory display: db dw dd dq dp dps dds dqs da du, laid out as WinDbg
 * does. Bytes the dump did not capture print as ?? (????????, ...), so a
 * partly captured line still shows what is there. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

enum kind { K_HEX, K_SYM, K_ASCII, K_UNICODE };

typedef struct dformat {
    const char *name;
    enum kind kind;
    unsigned size;      /* bytes per item; 0 = pointer-sized */
    unsigned per_line;  /* items per line; 0 = 16 bytes' worth */
} dformat;

static const dformat formats[] = {
    { "db", K_HEX, 1, 16 }, { "dw", K_HEX, 2, 8 }, { "dd", K_HEX, 4, 4 }, { "dq", K_HEX, 8, 2 },
    { "dp", K_HEX, 0, 0 }, { "dps", K_SYM, 0, 1 }, { "dds", K_SYM, 4, 1 }, { "dqs", K_SYM, 8, 1 },
    { "da", K_ASCII, 1, 0 }, { "du", K_UNICODE, 2, 0 },
};

/* WinDbg shows 128 bytes when no count is given; strings run to their NUL. */
#define DEFAULT_BYTES 0x80
#define DEFAULT_CHARS 0x100
#define CHARS_PER_LINE 48

/* Reads n bytes at addr into buf, marking each byte's presence in ok[].
 * Missing stretches are skipped a page at a time: dumps capture whole
 * pages, so the next captured byte is at a page boundary or a range start. */
static void read_masked(con_session *s, uint64_t addr, uint8_t *buf, bool *ok, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t avail;
        const uint8_t *p = as_view(s->t->as, addr + i, &avail);
        if (p && avail) {
            size_t k = avail < n - i ? avail : n - i;
            memcpy(buf + i, p, k);
            memset(ok + i, 1, k);
            i += k;
            continue;
        }
        uint64_t a = addr + i;
        uint64_t next = (a | 0xFFF) + 1;
        /* The first captured range after a (ranges are sorted by start). */
        size_t lo = 0, hi = md_range_count(s->t->dump);
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (md_range_at(s->t->dump, mid)->start <= a) lo = mid + 1;
            else hi = mid;
        }
        if (lo < md_range_count(s->t->dump) && md_range_at(s->t->dump, lo)->start < next)
            next = md_range_at(s->t->dump, lo)->start;
        if (next <= a) next = a + 1; /* the address space wrapped */
        size_t skip = next - a < n - i ? (size_t)(next - a) : n - i;
        if (!skip) skip = 1;
        memset(buf + i, 0, skip);
        memset(ok + i, 0, skip);
        i += skip;
    }
}

static uint64_t item_value(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = size; i-- > 0;) v = v << 8 | p[i];
    return v;
}

static bool item_ok(const bool *ok, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        if (!ok[i]) return false;
    return true;
}

static void put_item(con_session *s, const uint8_t *p, const bool *ok, unsigned size)
{
    uint64_t v = item_value(p, size);
    bool good = item_ok(ok, size);
    switch (size) {
    case 1: con_printf(s, good ? "%02" PRIx64 : "??", v); break;
    case 2: con_printf(s, good ? "%04" PRIx64 : "????", v); break;
    case 4: con_printf(s, good ? "%08" PRIx64 : "????????", v); break;
    default:
        if (good) con_printf(s, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
        else con_puts(s, "????????`????????");
    }
}

/* db: "0012fe84  45 00 00 00 88 fe 12 00-9e 42 40 00 1b 00 00 00  E........B@....." */
static void line_bytes(con_session *s, const uint8_t *b, const bool *ok, size_t n)
{
    char hex[16 * 3 + 1];
    size_t h = 0;
    for (size_t j = 0; j < 16; j++) {
        if (j < n) {
            if (ok[j]) snprintf(hex + h, 3, "%02x", b[j]);
            else memcpy(hex + h, "??", 2);
        } else {
            memcpy(hex + h, "  ", 2);
        }
        h += 2;
        hex[h++] = (j == 7 && n > 8) ? '-' : ' ';
    }
    hex[47] = 0; /* the separator after the 16th byte is the column gap */
    con_printf(s, "%s  ", hex);
    for (size_t j = 0; j < n; j++) {
        char c = !ok[j] ? '?' : (b[j] >= 0x20 && b[j] < 0x7F) ? (char)b[j] : '.';
        con_printf(s, "%c", c);
    }
}

static int display_items(con_session *s, const dformat *f, uint64_t addr, uint64_t count)
{
    unsigned size = f->size ? f->size : con_ptr_size(s);
    unsigned per_line = f->per_line ? f->per_line : 16 / size;
    uint8_t buf[16];
    bool ok[16];
    char a[24];
    for (uint64_t done = 0; done < count;) {
        uint64_t left = count - done;
        unsigned k = left < per_line ? (unsigned)left : per_line;
        uint64_t la = addr + done * size;
        read_masked(s, la, buf, ok, (size_t)k * size);
        con_printf(s, "%s  ", con_fmt_addr(s, la, a));
        if (f->kind == K_HEX && size == 1) {
            line_bytes(s, buf, ok, k);
        } else {
            for (unsigned j = 0; j < k; j++) {
                if (j) con_puts(s, " ");
                put_item(s, buf + j * size, ok + j * size, size);
            }
            if (f->kind == K_SYM && item_ok(ok, size)) {
                char sym[300];
                if (con_symbolize(s, item_value(buf, size), false, sym, sizeof sym)) con_printf(s, " %s", sym);
            }
        }
        con_puts(s, "\n");
        done += k;
    }
    return COR_OK;
}

/* da/du: the string up to its NUL (or the count), 48 characters a line,
 * each line starting with its address. */
static int display_string(con_session *s, const dformat *f, uint64_t addr, uint64_t max_chars)
{
    unsigned cs = f->size;
    char a[24];
    uint64_t pos = 0;
    bool open_line = false;
    unsigned on_line = 0;
    while (pos < max_chars) {
        uint8_t b[2];
        bool ok[2];
        read_masked(s, addr + pos * cs, b, ok, cs);
        if (!item_ok(ok, cs)) {
            if (!pos) con_printf(s, "%s  ????????\n", con_fmt_addr(s, addr, a));
            break;
        }
        uint32_t c = (uint32_t)item_value(b, cs);
        if (!c) break;
        if (!open_line) {
            con_printf(s, "%s  \"", con_fmt_addr(s, addr + pos * cs, a));
            open_line = true;
            on_line = 0;
        }
        if (c < 0x20 || c == 0x7F || (cs == 1 && c >= 0x80)) {
            con_puts(s, ".");
        } else if (c < 0x80) {
            con_printf(s, "%c", (char)c);
        } else {
            /* UTF-16 unit to UTF-8 (surrogates show as '.'). */
            if (c >= 0xD800 && c < 0xE000) con_puts(s, ".");
            else if (c < 0x800) con_printf(s, "%c%c", 0xC0 | c >> 6, 0x80 | (c & 0x3F));
            else con_printf(s, "%c%c%c", 0xE0 | c >> 12, 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F));
        }
        pos++;
        if (++on_line == CHARS_PER_LINE) {
            con_puts(s, "\"\n");
            open_line = false;
        }
    }
    if (open_line) con_puts(s, "\"\n");
    else if (pos == 0 && max_chars) {
        uint8_t b[2];
        bool ok[2];
        read_masked(s, addr, b, ok, cs);
        if (item_ok(ok, cs)) con_printf(s, "%s  \"\"\n", con_fmt_addr(s, addr, a));
    }
    s->next_dump_addr = addr + (pos + 1) * cs;
    return COR_OK;
}

int cmd_display(con_session *s, const char *name, const char *args, cor_err *err)
{
    const dformat *f = NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcasecmp(formats[i].name, name) == 0) f = &formats[i];
    if (!f) return cor_fail(err, "Syntax error in '%s'", name);
    unsigned size = f->size ? f->size : con_ptr_size(s);

    expr_range r;
    const char *end;
    if (con_range(s, args, size, &r, &end, err) != COR_OK) return COR_FAIL;
    if (*end) return cor_fail(err, "Syntax error at '%s'", end);
    if (!r.has_start) {
        /* A bare d* continues where the last display ended, as in WinDbg. */
        if (!s->has_next_dump) return cor_fail(err, "Syntax error: %s needs an address", name);
        r.start = s->next_dump_addr;
    }
    s->has_next_dump = true;
    if (f->kind == K_ASCII || f->kind == K_UNICODE)
        return display_string(s, f, r.start, r.has_count ? r.count : DEFAULT_CHARS);
    uint64_t count = r.has_count ? r.count : DEFAULT_BYTES / size;
    s->next_dump_addr = r.start + count * size;
    return display_items(s, f, r.start, count);
}
