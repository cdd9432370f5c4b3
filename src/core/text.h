/* Text helpers: UTF-16LE decoding for Windows strings, a growable string
 * buffer for building command output. */
#ifndef COR_CORE_TEXT_H
#define COR_CORE_TEXT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes nbytes of UTF-16LE (stopping at a NUL unit) into a freshly
 * malloc'd NUL-terminated UTF-8 string. Unpaired surrogates become U+FFFD,
 * control characters other than tab '?'. Returns NULL only when out of
 * memory. */
char *utf16le_to_utf8(const uint8_t *p, size_t nbytes);

/* Copies at most n bytes of an 8-bit string (stopping at NUL) into a
 * malloc'd string, replacing non-printable bytes with '?'. */
char *ascii_dup(const uint8_t *p, size_t n);

typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;

void sb_init(strbuf *b);
void sb_free(strbuf *b);
void sb_putc(strbuf *b, char c);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(strbuf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void sb_json_str(strbuf *b, const char *s);

/* Case-insensitive glob match ('*' and '?'), as WinDbg patterns are. */
int glob_match_ci(const char *pat, const char *s);

#endif
