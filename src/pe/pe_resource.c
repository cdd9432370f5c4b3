/* Resource directory walk (PE Format, "The .rsrc Section"). Offsets inside
 * the tree are relative to the start of the resource directory; only the
 * leaf data entry's OffsetToData is an RVA. The tree has exactly three
 * levels in every image Windows produces, so the walk is not recursive and
 * cannot loop. */
#include "pe/pe_resource.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/cursor.h"
#include "pe/pe_internal.h"

#define RD_SIZE 16
#define RD_NumberOfNamedEntries 12
#define RD_NumberOfIdEntries 14
#define RE_SIZE 8
#define RE_Name 0
#define RE_OffsetToData 4
#define RE_NAME_IS_STRING 0x80000000u
#define RE_DATA_IS_DIRECTORY 0x80000000u
#define DE_SIZE 16
#define DE_OffsetToData 0
#define DE_Size 4

/* Finds an entry in the directory table at dir_off: the one whose numeric
 * ID is id, or (id < 0) the first. want_dir says whether it must be a
 * subdirectory or a data entry. *found_off gets its target offset. */
static int find_entry(const pe_image *img, pe_data_dir res, uint32_t dir_off, int64_t id, bool want_dir,
                      uint32_t *found_off, bool *found, cor_err *err)
{
    *found = false;
    if (dir_off >= res.size) return cor_fail(err, "table at offset 0x%x lies past the directory's 0x%x bytes", dir_off, res.size);
    uint8_t hdr[RD_SIZE];
    if (pe_read(img, res.rva + dir_off, hdr, sizeof hdr, err) != COR_OK) return COR_FAIL;
    size_t n = (size_t)le16(hdr + RD_NumberOfNamedEntries) + le16(hdr + RD_NumberOfIdEntries);
    size_t len = n * RE_SIZE;
    if (!span_ok(res.size, (uint64_t)dir_off + RD_SIZE, len))
        return cor_fail(err, "table at offset 0x%x claims %zu entries, more than the directory holds", dir_off, n);
    uint8_t *ents = pe_read_alloc(img, res.rva + dir_off + RD_SIZE, len, "resource table", err);
    if (!ents) return COR_FAIL;
    for (size_t i = 0; i < n; i++) {
        uint32_t name = le32(ents + i * RE_SIZE + RE_Name);
        uint32_t target = le32(ents + i * RE_SIZE + RE_OffsetToData);
        if (id >= 0 && ((name & RE_NAME_IS_STRING) || name != (uint64_t)id)) continue;
        if (want_dir != ((target & RE_DATA_IS_DIRECTORY) != 0)) continue;
        *found_off = target & ~RE_DATA_IS_DIRECTORY;
        *found = true;
        break;
    }
    free(ents);
    return COR_OK;
}

int pe_resource_find(const pe_image *img, uint32_t type, pe_data_dir *out, cor_err *err)
{
    *out = (pe_data_dir){ 0, 0 };
    pe_data_dir res = pe_image_dir(img, PE_DIR_RESOURCE);
    if (res.rva == 0 || res.size == 0) return COR_OK;
    if (!pe_dir_in_image(img, res))
        return cor_fail(err, "resource directory at RVA 0x%x (0x%x bytes) lies outside SizeOfImage", res.rva, res.size);
    uint32_t names_off, langs_off, data_off;
    bool found;
    if (find_entry(img, res, 0, type, true, &names_off, &found, err) != COR_OK)
        return cor_wrap(err, "resource directory, type level");
    if (!found) return COR_OK;
    if (find_entry(img, res, names_off, -1, true, &langs_off, &found, err) != COR_OK)
        return cor_wrap(err, "resource directory, name level of type %u", type);
    if (!found) return COR_OK;
    if (find_entry(img, res, langs_off, -1, false, &data_off, &found, err) != COR_OK)
        return cor_wrap(err, "resource directory, language level of type %u", type);
    if (!found) return COR_OK;
    if (!span_ok(res.size, data_off, DE_SIZE))
        return cor_fail(err, "resource data entry at offset 0x%x lies past the directory", data_off);
    uint8_t de[DE_SIZE];
    if (pe_read(img, res.rva + data_off, de, sizeof de, err) != COR_OK)
        return cor_wrap(err, "resource data entry");
    out->rva = le32(de + DE_OffsetToData);
    out->size = le32(de + DE_Size);
    if (out->rva == 0) {
        *out = (pe_data_dir){ 0, 0 };
        return cor_fail(err, "resource data entry of type %u has RVA 0", type);
    }
    return COR_OK;
}
