/* Builds small minidumps in memory for edge cases no real dump in the
 * corpus shows (rust-minidump's synth-minidump does the same). Streams and
 * memory are laid out after the header and directory in the order added. */
#ifndef COR_TEST_SYNTH_DUMP_H
#define COR_TEST_SYNTH_DUMP_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct synth {
    uint8_t *buf;
    size_t len, cap;
    uint32_t types[32];
    uint32_t sizes[32], rvas[32];
    int nstreams;
} synth;

static inline void synth_reserve(synth *s, size_t n)
{
    if (s->len + n <= s->cap) return;
    while (s->cap < s->len + n) s->cap = s->cap ? s->cap * 2 : 4096;
    s->buf = realloc(s->buf, s->cap);
}

/* Appends bytes; returns their RVA. */
static inline uint32_t synth_put(synth *s, const void *p, size_t n)
{
    synth_reserve(s, n);
    uint32_t rva = (uint32_t)s->len;
    if (p) memcpy(s->buf + s->len, p, n);
    else memset(s->buf + s->len, 0, n);
    s->len += n;
    return rva;
}

static inline void synth_w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void synth_w32(uint8_t *p, uint32_t v) { synth_w16(p, (uint16_t)v); synth_w16(p + 2, (uint16_t)(v >> 16)); }
static inline void synth_w64(uint8_t *p, uint64_t v) { synth_w32(p, (uint32_t)v); synth_w32(p + 4, (uint32_t)(v >> 32)); }

/* A MINIDUMP_STRING from ASCII; returns its RVA. */
static inline uint32_t synth_string(synth *s, const char *a)
{
    size_t n = strlen(a);
    uint8_t *tmp = calloc(1, 4 + 2 * n + 2);
    synth_w32(tmp, (uint32_t)(2 * n));
    for (size_t i = 0; i < n; i++) tmp[4 + 2 * i] = (uint8_t)a[i];
    uint32_t rva = synth_put(s, tmp, 4 + 2 * n + 2);
    free(tmp);
    return rva;
}

static inline void synth_begin(synth *s, int nstreams)
{
    memset(s, 0, sizeof *s);
    synth_put(s, NULL, 32 + 12 * (size_t)nstreams);
    synth_w32(s->buf, 0x504D444D);
    synth_w32(s->buf + 4, 0xA793);
    synth_w32(s->buf + 8, (uint32_t)nstreams);
    synth_w32(s->buf + 12, 32);
}

static inline void synth_stream(synth *s, uint32_t type, uint32_t rva, uint32_t size)
{
    uint8_t *e = s->buf + 32 + 12 * s->nstreams++;
    synth_w32(e, type);
    synth_w32(e + 4, size);
    synth_w32(e + 8, rva);
}

#endif
