/* Symbol store keys, file.ptr, magic bytes: see symkey.h. */
#include "sym/store/symkey.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"

/* The name becomes a path component locally and a URL path segment remotely,
 * so anything that could climb out of the store is refused here, once. */
static int set_name(sym_key *k, const char *name, cor_err *err)
{
    if (!name) return cor_fail(err, "symbol key: no file name");
    const char *base = name;
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    size_t n = strlen(base);
    if (n == 0) return cor_fail(err, "symbol key: '%s' has no file name", name);
    if (n > SYM_KEY_NAME_MAX)
        return cor_fail(err, "symbol key: file name of %zu bytes (limit %d)", n, SYM_KEY_NAME_MAX);
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return cor_fail(err, "symbol key: file name '%s' is not a file", base);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)base[i] < 0x20 || base[i] == 0x7f || base[i] == ':')
            return cor_fail(err, "symbol key: file name '%s' has a control character or ':'",
                            base);
    memcpy(k->name, base, n + 1);
    return COR_OK;
}

int sym_key_pdb70(sym_key *k, const char *name, const uint8_t guid[16], uint32_t age, cor_err *err)
{
    if (set_name(k, name, err) != COR_OK) return COR_FAIL;
    snprintf(k->index, sizeof k->index, "%08X%04X%04X%02X%02X%02X%02X%02X%02X%02X%02X%X",
             le32(guid), le16(guid + 4), le16(guid + 6), guid[8], guid[9], guid[10], guid[11],
             guid[12], guid[13], guid[14], guid[15], age);
    return COR_OK;
}

int sym_key_pdb20(sym_key *k, const char *name, uint32_t signature, uint32_t age, cor_err *err)
{
    if (set_name(k, name, err) != COR_OK) return COR_FAIL;
    snprintf(k->index, sizeof k->index, "%08X%X", signature, age);
    return COR_OK;
}

int sym_key_image(sym_key *k, const char *name, uint32_t timestamp, uint32_t size_of_image,
                  cor_err *err)
{
    if (set_name(k, name, err) != COR_OK) return COR_FAIL;
    snprintf(k->index, sizeof k->index, "%08X%x", timestamp, size_of_image);
    return COR_OK;
}

void sym_key_compressed_name(const sym_key *k, char out[SYM_KEY_NAME_MAX + 1])
{
    size_t n = strlen(k->name);
    memcpy(out, k->name, n + 1);
    out[n - 1] = '_';
}

int sym_fileptr_parse(const uint8_t *data, size_t len, sym_fileptr_kind *kind, char **value_out,
                      cor_err *err)
{
    *value_out = NULL;
    size_t end = 0;
    while (end < len && data[end] != '\n' && data[end] != '\r' && data[end] != 0) end++;
    size_t start = 0;
    /* A UTF-8 BOM from a Windows editor is not part of the path. */
    if (end >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) start = 3;
    while (start < end && (data[start] == ' ' || data[start] == '\t')) start++;
    while (end > start && (data[end - 1] == ' ' || data[end - 1] == '\t')) end--;
    if (start == end) return cor_fail(err, "file.ptr: empty");
    if (end - start > 4096) return cor_fail(err, "file.ptr: line of %zu bytes", end - start);

    const uint8_t *line = data + start;
    size_t n = end - start, vstart = 0;
    *kind = SYM_FILEPTR_PATH;
    const uint8_t *colon = memchr(line, ':', n);
    if (colon) {
        size_t klen = (size_t)(colon - line);
        if (klen == 4 && strncasecmp((const char *)line, "PATH", 4) == 0) vstart = 5;
        else if (klen == 3 && strncasecmp((const char *)line, "MSG", 3) == 0)
            vstart = 4, *kind = SYM_FILEPTR_MSG;
        /* anything else ("C:\..."): a bare path, kept whole */
    }
    for (size_t i = vstart; i < n; i++)
        if (line[i] < 0x20 && line[i] != '\t')
            return cor_fail(err, "file.ptr: control byte 0x%02x at %zu", line[i], start + i);
    if (vstart == n && *kind == SYM_FILEPTR_PATH) return cor_fail(err, "file.ptr: PATH: is empty");
    char *v = malloc(n - vstart + 1);
    if (!v) return cor_fail(err, "file.ptr: out of memory");
    memcpy(v, line + vstart, n - vstart);
    v[n - vstart] = 0;
    *value_out = v;
    return COR_OK;
}

sym_magic sym_magic_of(const uint8_t *p, size_t n)
{
    static const char msf7[] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS";
    static const char pdb2[] = "Microsoft C/C++ program database 2.00\r\n\x1a" "JG";
    if (n >= sizeof msf7 - 1 && memcmp(p, msf7, sizeof msf7 - 1) == 0) return SYM_MAGIC_MSF7;
    if (n >= sizeof pdb2 - 1 && memcmp(p, pdb2, sizeof pdb2 - 1) == 0) return SYM_MAGIC_PDB2;
    if (n >= 4 && memcmp(p, "MSCF", 4) == 0) return SYM_MAGIC_CAB;
    if (n >= 2 && p[0] == 'M' && p[1] == 'Z') return SYM_MAGIC_MZ;
    size_t i = 0;
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
    while (i < n && isspace(p[i])) i++;
    if (i < n && p[i] == '<') return SYM_MAGIC_HTML;
    return SYM_MAGIC_UNKNOWN;
}

static bool ext_is(const char *name, const char *const *exts)
{
    const char *dot = strrchr(name, '.');
    if (!dot) return false;
    for (; *exts; exts++)
        if (strcasecmp(dot + 1, *exts) == 0) return true;
    return false;
}

bool sym_magic_fits(const char *name, sym_magic m)
{
    static const char *const pdb[] = { "pdb", NULL };
    static const char *const image[] = { "dll", "exe", "sys", "drv", "ocx", "cpl", "scr", "efi",
                                         "mui", "winmd", NULL };
    if (ext_is(name, pdb)) return m == SYM_MAGIC_MSF7 || m == SYM_MAGIC_PDB2;
    if (ext_is(name, image)) return m == SYM_MAGIC_MZ;
    return m != SYM_MAGIC_HTML;
}
