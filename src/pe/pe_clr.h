/* The CLR header (IMAGE_COR20_HEADER) of a managed image and the metadata
 * root it points to: runtime version, flags, the metadata's version
 * string ("v4.0.30319") and its stream headers (#~, #Strings, ...). */
#ifndef COR_PE_CLR_H
#define COR_PE_CLR_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

/* COMIMAGE_FLAGS_* */
enum {
    PE_CLR_ILONLY = 0x1,
    PE_CLR_32BITREQUIRED = 0x2,
    PE_CLR_IL_LIBRARY = 0x4,
    PE_CLR_STRONGNAMESIGNED = 0x8,
    PE_CLR_NATIVE_ENTRYPOINT = 0x10,
    PE_CLR_TRACKDEBUGDATA = 0x10000,
    PE_CLR_32BITPREFERRED = 0x20000,
};

typedef struct pe_clr_stream {
    uint32_t offset; /* from the metadata root */
    uint32_t size;
    char name[32];   /* "#~", "#Strings", "#US", "#GUID", "#Blob", "#-", "#Pdb" */
} pe_clr_stream;

typedef struct pe_clr {
    uint32_t cb;                   /* header size as recorded (72) */
    uint16_t runtime_major, runtime_minor; /* 2.5 for every CLR 2.0+ image */
    pe_data_dir metadata;
    uint32_t flags;                /* PE_CLR_* */
    uint32_t entry_point;          /* token, or RVA with PE_CLR_NATIVE_ENTRYPOINT */
    pe_data_dir resources, strong_name, code_manager, vtable_fixups, export_jumps;
    pe_data_dir managed_native;    /* ReadyToRun header (or NGen's) */
    /* The metadata root ("BSJB"); version is NULL and nstreams 0 when the
     * root could not be read (the header alone is still returned). */
    uint16_t md_major, md_minor;
    char *version;                 /* "v4.0.30319" */
    uint16_t md_flags;
    size_t nstreams;
    pe_clr_stream *streams;
} pe_clr;

/* Reads the CLR header and the metadata root. A native image (no CLR
 * directory) gives COR_OK and *out NULL. A header that cannot be read gives
 * COR_FAIL; a metadata root that cannot be read is reported in *out
 * (version NULL) with COR_OK, since dumps often lack those pages. */
int pe_clr_read(const pe_image *img, pe_clr **out, cor_err *err);
void pe_clr_free(pe_clr *clr);

/* Parses a metadata root held in memory, filling the md_* fields, version
 * and streams of clr. */
int pe_clr_parse_metadata_root(const void *data, size_t size, pe_clr *clr, cor_err *err);

const pe_clr_stream *pe_clr_stream_by_name(const pe_clr *clr, const char *name);

#endif
