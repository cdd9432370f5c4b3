/* Debug directory and CodeView records. The record layouts are not in the
 * PE spec; they are the ones every PDB consumer agrees on (Wine's
 * dbghelp/msc.c CV_INFO_PDB70/20, LLVM's CVDebugRecord.h):
 *   RSDS: 'RSDS', GUID[16], Age u32, PdbFileName (UTF-8, NUL-terminated)
 *   NB10: 'NB10', Offset u32 (0), Signature u32, Age u32, PdbFileName */
#include "pe/pe_debug.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

#define DD_SIZE 28
#define DD_Characteristics 0
#define DD_TimeDateStamp 4
#define DD_MajorVersion 8
#define DD_MinorVersion 10
#define DD_Type 12
#define DD_SizeOfData 16
#define DD_AddressOfRawData 20
#define DD_PointerToRawData 24

#define CV_SIG_RSDS 0x53445352u /* "RSDS" */
#define CV_SIG_NB10 0x3031424Eu /* "NB10" */
#define RSDS_Guid 4
#define RSDS_Age 20
#define RSDS_Path 24
#define NB10_Signature 8
#define NB10_Age 12
#define NB10_Path 16

/* Real images carry a handful of entries. */
#define MAX_DEBUG_ENTRIES 1024
/* A CodeView record is a header and a path; paths are short. */
#define MAX_CV_RECORD 0x10000u

int pe_debug_entries(const pe_image *img, pe_debug_entry **out, size_t *count, cor_err *err)
{
    *out = NULL;
    *count = 0;
    pe_data_dir dir = pe_image_dir(img, PE_DIR_DEBUG);
    if (dir.rva == 0 || dir.size == 0) return COR_OK;
    if (!pe_dir_in_image(img, dir))
        return cor_fail(err, "debug directory at RVA 0x%x (0x%x bytes) lies outside SizeOfImage", dir.rva, dir.size);
    size_t n = dir.size / DD_SIZE;
    if (n > MAX_DEBUG_ENTRIES)
        return cor_fail(err, "debug directory: %zu entries claimed, at most %d accepted", n, MAX_DEBUG_ENTRIES);
    if (n == 0) return COR_OK;
    uint8_t *raw = pe_read_alloc(img, dir.rva, n * DD_SIZE, "debug directory", err);
    if (!raw) return COR_FAIL;
    pe_debug_entry *v = calloc(n, sizeof *v);
    if (!v) {
        free(raw);
        return cor_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = raw + i * DD_SIZE;
        v[i].characteristics = le32(p + DD_Characteristics);
        v[i].timestamp = le32(p + DD_TimeDateStamp);
        v[i].major = le16(p + DD_MajorVersion);
        v[i].minor = le16(p + DD_MinorVersion);
        v[i].type = le32(p + DD_Type);
        v[i].size = le32(p + DD_SizeOfData);
        v[i].rva = le32(p + DD_AddressOfRawData);
        v[i].file_ptr = le32(p + DD_PointerToRawData);
    }
    free(raw);
    *out = v;
    *count = n;
    return COR_OK;
}

/* The entry's data: through PointerToRawData in a file (some linkers leave
 * the data unmapped, AddressOfRawData 0), through the RVA in memory. */
static int read_entry_data(const pe_image *img, const pe_debug_entry *e, uint8_t *buf, size_t n, cor_err *err)
{
    if (pe_image_layout(img) == PE_LAYOUT_FILE && e->file_ptr) {
        if (pe_read_raw(img, e->file_ptr, buf, n) != COR_OK)
            return cor_fail(err, "%zu bytes at file offset 0x%x are past the end of the file", n, e->file_ptr);
        return COR_OK;
    }
    if (!e->rva) return cor_fail(err, "the data is not mapped (AddressOfRawData is 0)");
    return pe_read(img, e->rva, buf, n, err);
}

static char *dup_path(const uint8_t *p, size_t n)
{
    const uint8_t *nul = memchr(p, 0, n);
    size_t len = nul ? (size_t)(nul - p) : n;
    char *s = malloc(len + 1);
    if (!s) return NULL;
    for (size_t i = 0; i < len; i++) s[i] = (p[i] < 0x20 || p[i] == 0x7F) ? '?' : (char)p[i];
    s[len] = 0;
    return s;
}

static int parse_record(const uint8_t *rec, size_t n, pe_codeview *cv, cor_err *err)
{
    if (n < 4) return cor_fail(err, "record of %zu bytes has no signature", n);
    uint32_t sig = le32(rec);
    if (sig == CV_SIG_RSDS) {
        if (n < RSDS_Path) return cor_fail(err, "RSDS record of %zu bytes, need at least %d", n, RSDS_Path);
        cv->kind = PE_CV_RSDS;
        memcpy(cv->guid, rec + RSDS_Guid, 16);
        cv->age = le32(rec + RSDS_Age);
        cv->pdb_path = dup_path(rec + RSDS_Path, n - RSDS_Path);
    } else if (sig == CV_SIG_NB10) {
        if (n < NB10_Path) return cor_fail(err, "NB10 record of %zu bytes, need at least %d", n, NB10_Path);
        cv->kind = PE_CV_NB10;
        cv->signature = le32(rec + NB10_Signature);
        cv->age = le32(rec + NB10_Age);
        cv->pdb_path = dup_path(rec + NB10_Path, n - NB10_Path);
    } else {
        return cor_fail(err, "unknown CodeView signature 0x%08x", sig);
    }
    if (!cv->pdb_path) return cor_fail(err, "out of memory");
    return COR_OK;
}

#define DEBUG_MINOR_PORTABLE_PDB 0x504D

/* Reads and parses the record of one CodeView entry into cv. */
static int read_codeview(const pe_image *img, const pe_debug_entry *e, pe_codeview *cv, cor_err *err)
{
    memset(cv, 0, sizeof *cv);
    size_t len = e->size < MAX_CV_RECORD ? e->size : MAX_CV_RECORD;
    uint8_t *rec = malloc(len ? len : 1);
    int rc = COR_OK;
    if (!rec) rc = cor_fail(err, "out of memory");
    else if (read_entry_data(img, e, rec, len, err) != COR_OK || parse_record(rec, len, cv, err) != COR_OK)
        rc = cor_wrap(err, "CodeView record (RVA 0x%x, file offset 0x%x)", e->rva, e->file_ptr);
    free(rec);
    if (rc != COR_OK) pe_codeview_free(cv);
    else cv->portable = e->minor == DEBUG_MINOR_PORTABLE_PDB;
    return rc;
}

int pe_codeview_read(const pe_image *img, pe_codeview *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    pe_debug_entry *ents;
    size_t n;
    if (pe_debug_entries(img, &ents, &n, err) != COR_OK) return COR_FAIL;
    int rc = COR_OK;
    for (size_t i = 0; i < n; i++) {
        if (ents[i].type == PE_DEBUG_CODEVIEW) {
            rc = read_codeview(img, &ents[i], out, err);
            break;
        }
    }
    free(ents);
    return rc;
}

int pe_codeviews_read(const pe_image *img, pe_codeview **out, size_t *count, size_t *skipped, cor_err *err)
{
    *out = NULL;
    *count = 0;
    if (skipped) *skipped = 0;
    pe_debug_entry *ents;
    size_t n;
    if (pe_debug_entries(img, &ents, &n, err) != COR_OK) return COR_FAIL;
    pe_codeview *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        free(ents);
        return cor_fail(err, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ents[i].type != PE_DEBUG_CODEVIEW) continue;
        if (read_codeview(img, &ents[i], &v[k], NULL) == COR_OK) k++;
        else if (skipped) ++*skipped;
    }
    free(ents);
    *out = v;
    *count = k;
    return COR_OK;
}

void pe_codeviews_free(pe_codeview *cvs, size_t count)
{
    if (!cvs) return;
    for (size_t i = 0; i < count; i++) pe_codeview_free(&cvs[i]);
    free(cvs);
}

void pe_codeview_free(pe_codeview *cv)
{
    if (!cv) return;
    free(cv->pdb_path);
    memset(cv, 0, sizeof *cv);
}

const char *pe_guid_str(const uint8_t g[16], char *buf)
{
    snprintf(buf, 37, "%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", le32(g), le16(g + 4), le16(g + 6), g[8],
             g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
    return buf;
}

const char *pe_codeview_id(const pe_codeview *cv, char *buf)
{
    const uint8_t *g = cv->guid;
    if (cv->kind == PE_CV_RSDS)
        snprintf(buf, 48, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%x", le32(g), le16(g + 4), le16(g + 6), g[8],
                 g[9], g[10], g[11], g[12], g[13], g[14], g[15], cv->age);
    else if (cv->kind == PE_CV_NB10)
        snprintf(buf, 48, "%08X%x", cv->signature, cv->age);
    else
        buf[0] = 0;
    return buf;
}
