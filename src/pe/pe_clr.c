/* CLR header and metadata root. IMAGE_COR20_HEADER is in winnt.h /
 * corhdr.h; the metadata root is ECMA-335 partition II, 24.2.1 (root) and
 * 24.2.2 (stream headers). */
#include "pe/pe_clr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/text.h"
#include "pe/pe_internal.h"

#define COR20_SIZE 72
#define COR20_cb 0
#define COR20_MajorRuntimeVersion 4
#define COR20_MinorRuntimeVersion 6
#define COR20_MetaData 8
#define COR20_Flags 16
#define COR20_EntryPoint 20
#define COR20_Resources 24
#define COR20_StrongNameSignature 32
#define COR20_CodeManagerTable 40
#define COR20_VTableFixups 48
#define COR20_ExportAddressTableJumps 56
#define COR20_ManagedNativeHeader 64

#define MDR_SIGNATURE 0x424A5342u /* "BSJB" */
#define MDR_MajorVersion 4
#define MDR_MinorVersion 6
#define MDR_Length 12
#define MDR_Version 16
/* ECMA-335 II.24.2.1: the version string with its NUL is at most 255
 * bytes, padded to a multiple of 4. */
#define MDR_MAX_VERSION 256
/* Stream names are at most 32 bytes with the NUL (II.24.2.2). */
#define MDS_MAX_NAME 32
/* Real metadata has five to seven streams. */
#define MAX_STREAMS 64
/* Enough for the root with the longest version and MAX_STREAMS headers. */
#define MDR_MAX_READ (MDR_Version + MDR_MAX_VERSION + 4 + MAX_STREAMS * (8 + MDS_MAX_NAME))

static pe_data_dir dir_at(const uint8_t *p) { return (pe_data_dir){ le32(p), le32(p + 4) }; }

void pe_clr_free(pe_clr *clr)
{
    if (!clr) return;
    free(clr->version);
    free(clr->streams);
    free(clr);
}

int pe_clr_parse_metadata_root(const void *data, size_t size, pe_clr *clr, cor_err *err)
{
    rd_cur c = rd_make(data, size);
    uint32_t sig, reserved, len;
    if (!rd_u32(&c, &sig)) return cor_fail(err, "metadata root of %zu bytes has no signature", size);
    if (sig != MDR_SIGNATURE) return cor_fail(err, "metadata root signature is 0x%08x, not BSJB", sig);
    if (!rd_u16(&c, &clr->md_major) || !rd_u16(&c, &clr->md_minor) || !rd_u32(&c, &reserved) || !rd_u32(&c, &len))
        return cor_fail(err, "metadata root truncated at %zu bytes", size);
    if (len > MDR_MAX_VERSION)
        return cor_fail(err, "metadata version string of %u bytes; ECMA-335 allows %d", len, MDR_MAX_VERSION);
    const uint8_t *ver = rd_take(&c, len);
    if (!ver) return cor_fail(err, "metadata version string (%u bytes) runs past the root's %zu", len, size);
    uint16_t nstreams;
    if (!rd_u16(&c, &clr->md_flags) || !rd_u16(&c, &nstreams))
        return cor_fail(err, "metadata root truncated after the version string");
    if (nstreams > MAX_STREAMS) return cor_fail(err, "%u metadata streams claimed, at most %d accepted", nstreams, MAX_STREAMS);
    pe_clr_stream *streams = calloc(nstreams ? nstreams : 1, sizeof *streams);
    if (!streams) return cor_fail(err, "out of memory");
    for (uint16_t i = 0; i < nstreams; i++) {
        pe_clr_stream *s = &streams[i];
        if (!rd_u32(&c, &s->offset) || !rd_u32(&c, &s->size)) {
            free(streams);
            return cor_fail(err, "metadata stream header %u truncated", i);
        }
        /* The name is NUL-terminated and padded to a 4-byte boundary. */
        size_t start = c.off, max = rd_left(&c) < MDS_MAX_NAME ? rd_left(&c) : MDS_MAX_NAME;
        const uint8_t *nul = memchr(c.p + start, 0, max);
        if (!nul) {
            free(streams);
            return cor_fail(err, "metadata stream header %u: name has no NUL within %d bytes", i, MDS_MAX_NAME);
        }
        size_t nlen = (size_t)(nul - (c.p + start));
        char *name = ascii_dup(c.p + start, nlen);
        if (!name) {
            free(streams);
            return cor_fail(err, "out of memory");
        }
        snprintf(s->name, sizeof s->name, "%s", name);
        free(name);
        size_t padded = (nlen + 1 + 3) & ~(size_t)3;
        if (!rd_skip(&c, padded)) {
            /* The last header's padding may be cut by the root's size. */
            c.off = c.len;
        }
    }
    clr->version = ascii_dup(ver, len);
    if (!clr->version) {
        free(streams);
        return cor_fail(err, "out of memory");
    }
    clr->streams = streams;
    clr->nstreams = nstreams;
    return COR_OK;
}

int pe_clr_read(const pe_image *img, pe_clr **out, cor_err *err)
{
    *out = NULL;
    pe_data_dir dir = pe_image_dir(img, PE_DIR_CLR);
    if (dir.rva == 0 || dir.size == 0) return COR_OK;
    uint8_t h[COR20_SIZE];
    if (dir.size < COR20_SIZE)
        return cor_fail(err, "CLR header directory is %u bytes, IMAGE_COR20_HEADER needs %d", dir.size, COR20_SIZE);
    if (pe_read(img, dir.rva, h, sizeof h, err) != COR_OK) return cor_wrap(err, "CLR header");
    pe_clr *clr = calloc(1, sizeof *clr);
    if (!clr) return cor_fail(err, "out of memory");
    clr->cb = le32(h + COR20_cb);
    clr->runtime_major = le16(h + COR20_MajorRuntimeVersion);
    clr->runtime_minor = le16(h + COR20_MinorRuntimeVersion);
    clr->metadata = dir_at(h + COR20_MetaData);
    clr->flags = le32(h + COR20_Flags);
    clr->entry_point = le32(h + COR20_EntryPoint);
    clr->resources = dir_at(h + COR20_Resources);
    clr->strong_name = dir_at(h + COR20_StrongNameSignature);
    clr->code_manager = dir_at(h + COR20_CodeManagerTable);
    clr->vtable_fixups = dir_at(h + COR20_VTableFixups);
    clr->export_jumps = dir_at(h + COR20_ExportAddressTableJumps);
    clr->managed_native = dir_at(h + COR20_ManagedNativeHeader);

    /* The metadata root is best effort: in a dump its pages may be absent. */
    if (pe_dir_in_image(img, clr->metadata)) {
        size_t n = clr->metadata.size < MDR_MAX_READ ? clr->metadata.size : MDR_MAX_READ;
        uint8_t *root = malloc(n ? n : 1);
        if (root) {
            if (pe_read(img, clr->metadata.rva, root, n, NULL) == COR_OK)
                pe_clr_parse_metadata_root(root, n, clr, NULL);
            free(root);
        }
    }
    *out = clr;
    return COR_OK;
}

const pe_clr_stream *pe_clr_stream_by_name(const pe_clr *clr, const char *name)
{
    for (size_t i = 0; i < clr->nstreams; i++)
        if (strcmp(clr->streams[i].name, name) == 0) return &clr->streams[i];
    return NULL;
}
