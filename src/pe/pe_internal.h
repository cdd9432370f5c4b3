/* Shared internals of the PE layer; not for use outside src/pe/. */
#ifndef COR_PE_INTERNAL_H
#define COR_PE_INTERNAL_H

#include "pe/pe_image.h"

/* The largest table any parser here reads in one piece. Real tables are far
 * smaller (a 200 MB browser DLL has under 4 MB of .pdata); the bound keeps a
 * hostile size from sizing a huge allocation. */
#define PE_MAX_TABLE (64u << 20)

/* Longest export, import or forwarder name accepted. MSVC truncates
 * decorated names at 4 KiB; the rest is margin. */
#define PE_MAX_NAME 8192

/* Where the byte at rva comes from in the loader's view of a file-layout
 * image: *file_off is its offset in the file, or UINT64_MAX when the byte
 * is zero fill (section tail past raw data, gap between sections). *run is
 * how many bytes from rva share that origin (contiguous file bytes, or
 * contiguous zeros). False when rva is at or past SizeOfImage. */
bool pe_rva_locate(const pe_image *img, uint32_t rva, uint64_t *file_off, uint64_t *run);

/* Reads n bytes at source offset off, bypassing RVA translation. */
int pe_read_raw(const pe_image *img, uint64_t off, void *buf, size_t n);

/* mallocs and reads n bytes at rva; what names the table for the message.
 * n must be at most PE_MAX_TABLE. */
uint8_t *pe_read_alloc(const pe_image *img, uint32_t rva, size_t n, const char *what, cor_err *err);

/* True when the directory lies inside SizeOfImage without wrapping. */
bool pe_dir_in_image(const pe_image *img, pe_data_dir d);

#endif
