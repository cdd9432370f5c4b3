#include "core/text.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *utf16le_to_utf8(const uint8_t *p, size_t nbytes)
{
    size_t units = nbytes / 2;
    /* Each unit expands to at most 3 bytes (a surrogate pair: 4 bytes for 2 units). */
    char *out = malloc(units * 3 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < units; i++) {
        uint32_t u = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8);
        if (u == 0) break;
        if (u >= 0xD800 && u < 0xDC00 && i + 1 < units) {
            uint32_t l = (uint32_t)(p[2 * i + 2] | p[2 * i + 3] << 8);
            if (l >= 0xDC00 && l < 0xE000) {
                o += put_utf8(out + o, 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00));
                i++;
                continue;
            }
        }
        if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
        /* Control characters (C0 but tab, DEL, C1) become '?', as in
         * ascii_dup: these strings come from dumps (names, paths, the
         * environment, version resources) and are printed as they are, so a
         * hostile dump's ESC sequences would drive the user's terminal, and
         * its newlines forge output lines. */
        if ((u < 0x20 && u != '\t') || (u >= 0x7F && u < 0xA0)) u = '?';
        o += put_utf8(out + o, u);
    }
    out[o] = 0;
    return out;
}

char *ascii_dup(const uint8_t *p, size_t n)
{
    size_t len = 0;
    while (len < n && p[len]) len++;
    char *s = malloc(len + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < len; i++)
        s[i] = (p[i] >= 0x20 && p[i] != 0x7F) ? (char)p[i] : '?';
    s[len] = 0;
    return s;
}

void sb_init(strbuf *b) { b->s = NULL; b->len = b->cap = 0; }
void sb_free(strbuf *b) { free(b->s); sb_init(b); }

static void sb_reserve(strbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) cap *= 2;
    char *n = realloc(b->s, cap);
    if (!n) abort(); /* out of memory: nothing sensible left to do */
    b->s = n;
    b->cap = cap;
}

void sb_putc(strbuf *b, char c)
{
    sb_reserve(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

void sb_puts(strbuf *b, const char *s)
{
    size_t n = strlen(s);
    sb_reserve(b, n);
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void sb_vprintf(strbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) return;
    sb_reserve(b, (size_t)n);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq_len(const unsigned char *p)
{
    size_t n;
    uint32_t cp, min;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) { n = 2; cp = p[0] & 0x1Fu; min = 0x80; }
    else if ((p[0] & 0xF0) == 0xE0) { n = 3; cp = p[0] & 0x0Fu; min = 0x800; }
    else if (p[0] >= 0xF0 && p[0] <= 0xF4) { n = 4; cp = p[0] & 0x07u; min = 0x10000; }
    else return 0;
    for (size_t i = 1; i < n; i++) { /* stops at the NUL: it is no continuation byte */
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return 0;
    return n;
}

void sb_json_str(strbuf *b, const char *s)
{
    sb_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p++) {
        if (*p >= 0x80) {
            /* JSON text is UTF-8 (RFC 8259 section 8.1), but strings reach
             * here from dumps and symbol files as they are, and fixed-size
             * buffers (a bucket id, a caller) can cut a character in two:
             * each byte that does not begin a well-formed sequence becomes
             * U+FFFD, so the report always parses. */
            size_t n = utf8_seq_len(p);
            if (!n) {
                sb_puts(b, "\\ufffd");
                continue;
            }
            for (size_t i = 0; i < n; i++) sb_putc(b, (char)p[i]);
            p += n - 1;
            continue;
        }
        switch (*p) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        default:
            if (*p < 0x20) sb_printf(b, "\\u%04x", *p);
            else sb_putc(b, (char)*p);
        }
    }
    sb_putc(b, '"');
}

int glob_match_ci(const char *pat, const char *s)
{
    const char *star = NULL, *ss = NULL;
    while (*s) {
        if (*pat == '*') { star = pat++; ss = s; continue; }
        if (*pat == '?' || tolower((unsigned char)*pat) == tolower((unsigned char)*s)) { pat++; s++; continue; }
        if (star) { pat = star + 1; s = ++ss; continue; }
        return 0;
    }
    while (*pat == '*') pat++;
    return *pat == 0;
}
