/* Bounds-checked little-endian reading. Never overlay structs on untrusted
 * bytes: decode fields at named offsets with these helpers instead. */
#ifndef COR_CORE_CURSOR_H
#define COR_CORE_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

/* True when [off, off+len) lies inside a buffer of size total, without overflow. */
static inline bool span_ok(uint64_t total, uint64_t off, uint64_t len)
{
    return off <= total && len <= total - off;
}

typedef struct rd_cur {
    const uint8_t *p;
    size_t len;
    size_t off;
} rd_cur;

static inline rd_cur rd_make(const void *p, size_t len) { return (rd_cur){ (const uint8_t *)p, len, 0 }; }
static inline size_t rd_left(const rd_cur *c) { return c->len - c->off; }
static inline bool rd_skip(rd_cur *c, size_t n)
{
    if (n > rd_left(c)) return false;
    c->off += n;
    return true;
}
static inline bool rd_seek(rd_cur *c, size_t off)
{
    if (off > c->len) return false;
    c->off = off;
    return true;
}
static inline bool rd_u8(rd_cur *c, uint8_t *v)
{
    if (rd_left(c) < 1) return false;
    *v = c->p[c->off++];
    return true;
}
static inline bool rd_u16(rd_cur *c, uint16_t *v)
{
    if (rd_left(c) < 2) return false;
    *v = le16(c->p + c->off);
    c->off += 2;
    return true;
}
static inline bool rd_u32(rd_cur *c, uint32_t *v)
{
    if (rd_left(c) < 4) return false;
    *v = le32(c->p + c->off);
    c->off += 4;
    return true;
}
static inline bool rd_u64(rd_cur *c, uint64_t *v)
{
    if (rd_left(c) < 8) return false;
    *v = le64(c->p + c->off);
    c->off += 8;
    return true;
}
static inline bool rd_bytes(rd_cur *c, void *dst, size_t n)
{
    if (rd_left(c) < n) return false;
    memcpy(dst, c->p + c->off, n);
    c->off += n;
    return true;
}
/* Returns a pointer to the next n bytes and advances, or NULL. */
static inline const uint8_t *rd_take(rd_cur *c, size_t n)
{
    if (rd_left(c) < n) return NULL;
    const uint8_t *p = c->p + c->off;
    c->off += n;
    return p;
}

#endif
