/* The version resource (RT_VERSION, VS_VERSIONINFO): the fixed file and
 * product versions, and the StringFileInfo strings (CompanyName,
 * FileDescription, FileVersion, ProductVersion, OriginalFilename, ...). */
#ifndef COR_PE_VERSION_H
#define COR_PE_VERSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"
#include "pe/pe_image.h"

typedef struct pe_version_string {
    char *table; /* the StringTable's key: language and code page, "040904B0" */
    char *key;   /* "CompanyName" */
    char *value; /* "" when the resource holds no value */
} pe_version_string;

typedef struct pe_version_info {
    bool has_fixed;
    md_version fixed;          /* VS_FIXEDFILEINFO, as the dump's module list holds it */
    size_t nstrings;
    pe_version_string *strings; /* in resource order */
    size_t ntranslations;
    uint32_t *translations;    /* VarFileInfo\Translation: language << 16 | code page */
} pe_version_info;

/* Reads the image's first RT_VERSION resource. No version resource gives
 * COR_OK and *out NULL. */
int pe_version_read(const pe_image *img, pe_version_info **out, cor_err *err);
/* Parses VS_VERSIONINFO bytes (the resource's data). */
int pe_version_parse(const void *data, size_t size, pe_version_info **out, cor_err *err);
void pe_version_free(pe_version_info *vi);

/* The value of a string (first StringTable holding it), or NULL. */
const char *pe_version_string_get(const pe_version_info *vi, const char *key);

#endif
