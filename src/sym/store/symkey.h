/* What a symbol store is asked for: a file name and an index string, which
 * together make the relative path name/INDEX/name. Microsoft's "Symbol
 * Storage Format" and symstore's key rules:
 *   PDB 7.0 (RSDS):  name.pdb/<GUID %08X%04X%04X 8x%02X><age %X>/name.pdb
 *   image (PE):      name.dll/<TimeDateStamp %08X><SizeOfImage %x>/name.dll
 * Plus the small text formats found inside a store (file.ptr). */
#ifndef COR_SYM_STORE_SYMKEY_H
#define COR_SYM_STORE_SYMKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SYM_KEY_NAME_MAX 255

typedef struct sym_key {
    char name[SYM_KEY_NAME_MAX + 1]; /* base name, case kept (S3 mirrors are case-sensitive) */
    char index[48];                  /* the middle path component */
} sym_key;

/* name may be a full path as CodeView records it ("d:\b\ntdll.pdb"); only the
 * base name is kept. guid is in file byte order (Data1..3 little-endian). */
int sym_key_pdb70(sym_key *k, const char *name, const uint8_t guid[16], uint32_t age, cor_err *err);
/* PDB 2.0 (NB10): signature %08X then age %X. */
int sym_key_pdb20(sym_key *k, const char *name, uint32_t signature, uint32_t age, cor_err *err);
int sym_key_image(sym_key *k, const char *name, uint32_t timestamp, uint32_t size_of_image,
                  cor_err *err);

/* The compressed name: last character replaced by '_' ("ntdll.pd_"). */
void sym_key_compressed_name(const sym_key *k, char out[SYM_KEY_NAME_MAX + 1]);

/* file.ptr holds "PATH:<path>", "MSG:<text>", or (in older stores, as the
 * Symbol Storage Format page shows) a bare path. The line is split at the
 * FIRST colon only, so "PATH:C:\x\a.pdb" keeps its drive letter. A bare
 * "C:\x" has no PATH/MSG prefix and is a path. Trailing CR/LF and spaces are
 * dropped; only the first line counts. */
typedef enum sym_fileptr_kind { SYM_FILEPTR_PATH, SYM_FILEPTR_MSG } sym_fileptr_kind;
int sym_fileptr_parse(const uint8_t *data, size_t len, sym_fileptr_kind *kind, char **value_out,
                      cor_err *err);

/* What the first bytes of a file say it is. */
typedef enum sym_magic {
    SYM_MAGIC_UNKNOWN,
    SYM_MAGIC_MSF7,  /* "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS" */
    SYM_MAGIC_PDB2,  /* "Microsoft C/C++ program database 2.00\r\n\x1a" "JG" */
    SYM_MAGIC_MZ,
    SYM_MAGIC_CAB,   /* "MSCF" */
    SYM_MAGIC_HTML,  /* '<' after optional whitespace/BOM: an error page */
} sym_magic;
sym_magic sym_magic_of(const uint8_t *p, size_t n);
/* True when content with this magic is acceptable for the file `name`:
 * .pdb needs MSF, .dll/.exe/.sys/... need MZ, other names anything but HTML. */
bool sym_magic_fits(const char *name, sym_magic m);

#endif
