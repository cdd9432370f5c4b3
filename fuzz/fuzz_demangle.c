/* libFuzzer target: the MSVC name undecorator, which reads names straight
 * from PDBs and export tables. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sym/msvc_demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = malloc(size + 1);
    if (!name) return 0;
    memcpy(name, data, size);
    name[size] = 0;
    char out[512];
    msvc_demangle_name(name, out, sizeof out);
    msvc_demangle_name(name, out, 8); /* a small buffer must truncate cleanly */
    free(name);
    return 0;
}
