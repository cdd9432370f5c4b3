/* Base relocation blocks (PE Format, "The .reloc Section"): a PageRVA and
 * a BlockSize, then BlockSize-8 bytes of WORD entries, each a 4-bit type
 * over a 12-bit offset into the page. */
#include "pe/pe_reloc.h"

#include <stdlib.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

#define RB_HDR 8

int pe_relocs_walk(const pe_image *img, pe_reloc_fn fn, void *ctx, cor_err *err)
{
    pe_data_dir dir = pe_image_dir(img, PE_DIR_BASERELOC);
    if (dir.rva == 0 || dir.size == 0) return COR_OK;
    if (!pe_dir_in_image(img, dir))
        return cor_fail(err, "base relocation directory at RVA 0x%x (0x%x bytes) lies outside SizeOfImage", dir.rva,
                        dir.size);
    uint8_t *raw = pe_read_alloc(img, dir.rva, dir.size, "base relocation directory", err);
    if (!raw) return COR_FAIL;
    int rc = COR_OK;
    size_t off = 0;
    while (rc == COR_OK && dir.size - off >= RB_HDR) {
        uint32_t page = le32(raw + off), bsize = le32(raw + off + 4);
        /* Some linkers pad the directory with a zero block. */
        if (page == 0 && bsize == 0) break;
        if (bsize < RB_HDR || bsize > dir.size - off) {
            rc = cor_fail(err, "base relocation block at offset 0x%zx claims %u bytes, %zu left", off, bsize,
                          dir.size - off);
            break;
        }
        size_t n = (bsize - RB_HDR) / 2;
        const uint8_t *e = raw + off + RB_HDR;
        for (size_t i = 0; i < n && rc == COR_OK; i++) {
            uint16_t w = le16(e + 2 * i);
            unsigned type = w >> 12;
            if (type == PE_REL_ABSOLUTE) continue;
            uint16_t param = 0;
            if (type == PE_REL_HIGHADJ) {
                if (i + 1 >= n) break;
                param = le16(e + 2 * ++i);
            }
            uint64_t rva = (uint64_t)page + (w & 0xFFF);
            if (rva > UINT32_MAX) continue;
            rc = fn(ctx, (uint32_t)rva, type, param);
        }
        off += bsize;
    }
    free(raw);
    return rc;
}
