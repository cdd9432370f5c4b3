/* The dumped process's virtual memory: captured ranges from the dump, and
 * whatever an installed fallback serves (image pages from PE files, cdb -i).
 * Lookup is a binary search over the sorted range index built at open. */
#ifndef COR_MEM_ADDRESS_SPACE_H
#define COR_MEM_ADDRESS_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"

typedef struct as_space as_space;

int as_open(md_dump *d, as_space **out, cor_err *err);
void as_close(as_space *as);

/* Where reads go for addresses the dump did not capture: fn returns a view
 * of the bytes at addr and their contiguous length, or NULL. The PE layer
 * installs one that serves image pages from files on the image path. */
typedef const uint8_t *(*as_fallback_fn)(void *ctx, uint64_t addr, size_t *avail);
void as_set_fallback(as_space *as, as_fallback_fn fn, void *ctx);

md_dump *as_dump(const as_space *as);

/* Reads exactly n bytes at addr, across region boundaries. Fails with
 * "memory at 0x... is not in the dump" naming the first missing address. */
int as_read(as_space *as, uint64_t addr, void *buf, size_t n, cor_err *err);
/* Reads as much of [addr, addr+n) as is contiguous from addr; returns the count. */
size_t as_read_partial(as_space *as, uint64_t addr, void *buf, size_t n);

int as_read_u8(as_space *as, uint64_t addr, uint8_t *v);
int as_read_u16(as_space *as, uint64_t addr, uint16_t *v);
int as_read_u32(as_space *as, uint64_t addr, uint32_t *v);
int as_read_u64(as_space *as, uint64_t addr, uint64_t *v);
/* Reads a pointer of ptr_size bytes (4 or 8). */
int as_read_ptr(as_space *as, uint64_t addr, unsigned ptr_size, uint64_t *v);

/* Reads a NUL-terminated string of at most max units into a malloc'd UTF-8
 * string; wide=1 for UTF-16LE. NULL if the first byte is unreadable. */
char *as_read_cstr(as_space *as, uint64_t addr, size_t max, int wide);

/* Direct view of the dump bytes backing addr (no copy): sets *avail to the
 * number of contiguous bytes available from addr. NULL if not captured. */
const uint8_t *as_view(as_space *as, uint64_t addr, size_t *avail);

#endif
