/* MSF 7.00, the multi-stream container under every modern PDB: a file cut
 * into fixed-size blocks, with a directory saying which blocks (in which
 * order) make up each numbered stream. Private to src/sym/pdb/.
 *
 * Layout: LLVM docs/PDB/MsfFile.rst, cross-read with the Rust `pdb` crate
 * (src/msf/mod.rs). The directory is itself scattered over blocks listed at
 * BlockMapAddr, and any field may straddle a block boundary, so a stream is
 * only ever read after copying its blocks into one contiguous buffer. */
#ifndef COR_SYM_PDB_MSF_H
#define COR_SYM_PDB_MSF_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* A stream listed as 0xFFFFFFFF bytes long exists in the directory but has
 * no contents ("nil stream"); we report it as absent. */
#define MSF_NIL_STREAM 0xFFFFFFFFu

typedef struct msf_file {
    const uint8_t *data; /* the whole file: an mmap or the caller's memory */
    size_t size;
    uint32_t block_size;
    uint32_t num_blocks;
    uint32_t num_streams;
    uint32_t *stream_size;  /* num_streams; MSF_NIL_STREAM for nil streams */
    uint32_t *stream_first; /* index into blocks[] of each stream's first block */
    uint32_t *blocks;       /* every stream's block list, concatenated */
} msf_file;

/* Parses the superblock and the stream directory of an in-memory file. The
 * bytes must outlive the msf_file. */
int msf_open(msf_file *m, const uint8_t *data, size_t size, cor_err *err);
void msf_close(msf_file *m);

/* True when stream idx exists and is not nil. */
int msf_stream_present(const msf_file *m, uint32_t idx);

/* Copies stream idx into a fresh malloc'd buffer (*out, *len). A missing or
 * nil stream is an error; callers that treat absence as normal check
 * msf_stream_present first. A zero-length stream gives a non-NULL buffer. */
int msf_read_stream(const msf_file *m, uint32_t idx, uint8_t **out, uint32_t *len, cor_err *err);

#endif
