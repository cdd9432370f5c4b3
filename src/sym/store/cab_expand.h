/* Expanding symsrv's compressed files (name.pd_, name.dl_): each is a
 * one-file Microsoft cabinet ("MSCF"), MSZIP or LZX. libmspack does the
 * decoding; this wrapper checks the result against what the cabinet says. */
#ifndef COR_SYM_STORE_CAB_EXPAND_H
#define COR_SYM_STORE_CAB_EXPAND_H

#include <stdint.h>

#include "core/error.h"

/* Expands the file inside the cabinet at cab_path into out_path (which is
 * created or truncated). When the cabinet holds several files, the one named
 * want_name (case-insensitive) is taken, else the only one. Fails when the
 * cabinet is malformed or the expanded size differs from the cabinet's. */
int cab_expand_file(const char *cab_path, const char *want_name, const char *out_path,
                    uint64_t max_size, uint64_t *size_out, cor_err *err);

#endif
