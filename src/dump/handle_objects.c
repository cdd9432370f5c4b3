/* HandleData v2's object information: MINIDUMP_HANDLE_DESCRIPTOR_2's
 * ObjectInfoRva starts a chain of MINIDUMP_HANDLE_OBJECT_INFORMATION
 * records { NextInfoRva, InfoType, SizeOfInfo } each followed by SizeOfInfo
 * bytes (minidumpapiset.h). dbghelp writes it for .dump /mh on Windows 8
 * and later; Wine's dbghelp and the lab's capture tool write v1 only. */
#include "dump/minidump_internal.h"

/* NextInfoRva, InfoType, SizeOfInfo. */
#define HOI_HEADER 12
/* dbghelp writes one or two records per handle; a longer chain is a loop. */
#define MAX_CHAIN 64

size_t md_handle_object_infos(const md_dump *d, const md_handle *h, md_handle_object_info *out, size_t max)
{
    size_t n = 0;
    uint32_t rva = h->object_info_rva;
    while (rva && n < max && n < MAX_CHAIN) {
        const uint8_t *p = md_file_bytes(d, rva, HOI_HEADER);
        if (!p) break;
        uint32_t next = le32(p), type = le32(p + 4), size = le32(p + 8);
        if (!md_file_bytes(d, (uint64_t)rva + HOI_HEADER, size)) break;
        out[n++] = (md_handle_object_info){ type, { size, rva + HOI_HEADER } };
        rva = next;
    }
    return n;
}
