/* The debug directory (IMAGE_DEBUG_DIRECTORY) and the CodeView record in
 * it that names the matching PDB: RSDS (GUID, age, path) or the older NB10
 * (signature, age, path). */
#ifndef COR_PE_DEBUG_H
#define COR_PE_DEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "pe/pe_image.h"

/* IMAGE_DEBUG_TYPE_* values worth naming. */
enum {
    PE_DEBUG_CODEVIEW = 2,
    PE_DEBUG_MISC = 4,
    PE_DEBUG_POGO = 13,
    PE_DEBUG_ILTCG = 14,
    PE_DEBUG_REPRO = 16,  /* deterministic build: TimeDateStamp is a hash */
    PE_DEBUG_EMBEDDED_PORTABLE_PDB = 17,
    PE_DEBUG_PDB_CHECKSUM = 19,
    PE_DEBUG_EX_DLLCHARACTERISTICS = 20,
};

typedef struct pe_debug_entry {
    uint32_t characteristics;
    uint32_t timestamp;
    uint16_t major, minor;
    uint32_t type;     /* PE_DEBUG_* */
    uint32_t size;     /* SizeOfData */
    uint32_t rva;      /* AddressOfRawData: 0 when the data is not mapped */
    uint32_t file_ptr; /* PointerToRawData */
} pe_debug_entry;

enum { PE_CV_NONE = 0, PE_CV_RSDS = 1, PE_CV_NB10 = 2 };

typedef struct pe_codeview {
    int kind;           /* PE_CV_* (same values as MD_CV_*) */
    uint8_t guid[16];   /* RSDS, in file byte order (Data1..3 little-endian) */
    uint32_t signature; /* NB10 */
    uint32_t age;
    char *pdb_path;     /* malloc'd UTF-8 as recorded (control bytes become '?'), or NULL */
    /* The debug entry's MinorVersion is 0x504D ("PM"): a Portable PDB
     * (dotnet/runtime docs/design/specs/PE-COFF.md). */
    bool portable;
} pe_codeview;

/* The directory's entries as a malloc'd array (*count 0 and *out NULL when
 * there is no directory). */
int pe_debug_entries(const pe_image *img, pe_debug_entry **out, size_t *count, cor_err *err);

/* The first CodeView entry's record, which is the one the linker writes
 * and dbghelp matches. No CodeView entry gives COR_OK and kind PE_CV_NONE;
 * an entry whose record is unreadable or malformed, COR_FAIL. Free with
 * pe_codeview_free. */
int pe_codeview_read(const pe_image *img, pe_codeview *out, cor_err *err);
void pe_codeview_free(pe_codeview *cv);

/* Every CodeView record, in directory order. ReadyToRun images carry two:
 * the native image's PDB ("*.ni.pdb") and then the IL assembly's. Records
 * that cannot be read are skipped and counted in *skipped (may be NULL).
 * Free with pe_codeviews_free. */
int pe_codeviews_read(const pe_image *img, pe_codeview **out, size_t *count, size_t *skipped, cor_err *err);
void pe_codeviews_free(pe_codeview *cvs, size_t count);

/* "72E103A8-5CB2-4907-8B76-B2E7C06257B1". buf must hold 37 bytes. */
const char *pe_guid_str(const uint8_t guid[16], char *buf);
/* The PDB's symbol-store key: GUID as 32 hex digits then age in hex (RSDS),
 * or signature %08X then age (NB10); "" for none. buf must hold 48 bytes. */
const char *pe_codeview_id(const pe_codeview *cv, char *buf);

#endif
