#include "sym/pdb/msf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

/* Superblock field offsets (MsfFile.rst "The Superblock"). */
enum {
    SB_MAGIC = 0,
    SB_BLOCK_SIZE = 32,
    SB_FREE_BLOCK_MAP = 36,
    SB_NUM_BLOCKS = 40,
    SB_NUM_DIRECTORY_BYTES = 44,
    SB_BLOCK_MAP_ADDR = 52,
    SB_SIZE = 56,
};

static const char msf7_magic[32] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0";
/* PDB 2.0 ("JG") files: older, 16-bit stream indices and a different
 * directory. Nothing produced since VC6 uses them; we say so plainly. */
static const char msf2_magic[] = "Microsoft C/C++ program database 2.00\r\n\x1a" "JG";

static uint64_t blocks_for(uint64_t bytes, uint32_t block_size)
{
    return (bytes + block_size - 1) / block_size;
}

/* Copies len bytes laid over the given block list into dst, checking every
 * block index against the file. */
static int gather(const msf_file *m, const uint32_t *list, uint64_t nblocks, uint8_t *dst, uint64_t len,
                  const char *what, cor_err *err)
{
    uint64_t done = 0;
    for (uint64_t i = 0; i < nblocks && done < len; i++) {
        uint32_t b = list[i];
        if (b >= m->num_blocks)
            return cor_fail(err, "%s: block %" PRIu64 " is #%u, past NumBlocks %u", what, i, b, m->num_blocks);
        uint64_t off = (uint64_t)b * m->block_size;
        uint64_t n = len - done < m->block_size ? len - done : m->block_size;
        if (!span_ok(m->size, off, n))
            return cor_fail(err, "%s: block #%u at 0x%" PRIx64 " lies past the end of the file (%zu bytes)", what, b,
                            off, m->size);
        memcpy(dst + done, m->data + off, (size_t)n);
        done += n;
    }
    return COR_OK;
}

int msf_open(msf_file *m, const uint8_t *data, size_t size, cor_err *err)
{
    memset(m, 0, sizeof *m);
    if (size >= sizeof msf2_magic - 1 && memcmp(data, msf2_magic, sizeof msf2_magic - 1) == 0)
        return cor_fail(err, "PDB 2.00 (\"JG\") format is unsupported; only MSF 7.00 PDBs can be read");
    if (size < SB_SIZE || memcmp(data, msf7_magic, sizeof msf7_magic) != 0)
        return cor_fail(err, "not an MSF 7.00 file (bad superblock magic)");
    m->data = data;
    m->size = size;
    m->block_size = le32(data + SB_BLOCK_SIZE);
    m->num_blocks = le32(data + SB_NUM_BLOCKS);
    uint32_t fpm = le32(data + SB_FREE_BLOCK_MAP);
    uint32_t dir_bytes = le32(data + SB_NUM_DIRECTORY_BYTES);
    uint32_t map_addr = le32(data + SB_BLOCK_MAP_ADDR);
    uint32_t bs = m->block_size;
    if (bs != 512 && bs != 1024 && bs != 2048 && bs != 4096)
        return cor_fail(err, "superblock: block size %u is not 512, 1024, 2048 or 4096", bs);
    if (fpm != 1 && fpm != 2)
        return cor_fail(err, "superblock: free block map block %u is neither 1 nor 2", fpm);
    if ((uint64_t)m->num_blocks * bs > size)
        return cor_fail(err, "superblock: %u blocks of %u bytes need %" PRIu64 " bytes, file has %zu", m->num_blocks,
                        bs, (uint64_t)m->num_blocks * bs, size);
    if (dir_bytes < 4)
        return cor_fail(err, "superblock: stream directory is %u bytes, too small for its stream count", dir_bytes);
    /* The block map (list of directory blocks) must fit in the one block at
     * BlockMapAddr. */
    uint64_t dir_blocks = blocks_for(dir_bytes, bs);
    if (dir_blocks * 4 > bs)
        return cor_fail(err, "superblock: directory of %u bytes needs %" PRIu64 " blocks, more than one map block holds",
                        dir_bytes, dir_blocks);
    if (map_addr >= m->num_blocks)
        return cor_fail(err, "superblock: block map address %u is past NumBlocks %u", map_addr, m->num_blocks);

    uint32_t *dir_list = malloc((size_t)dir_blocks * sizeof *dir_list);
    uint8_t *dir = malloc(dir_bytes);
    if (!dir_list || !dir) {
        free(dir_list);
        free(dir);
        return cor_fail(err, "out of memory for a %u-byte stream directory", dir_bytes);
    }
    for (uint64_t i = 0; i < dir_blocks; i++) dir_list[i] = le32(data + (uint64_t)map_addr * bs + i * 4);
    int rc = gather(m, dir_list, dir_blocks, dir, dir_bytes, "stream directory", err);
    free(dir_list);
    if (rc != COR_OK) {
        free(dir);
        return rc;
    }

    rd_cur c = rd_make(dir, dir_bytes);
    uint32_t n = 0;
    rd_u32(&c, &n);
    if ((uint64_t)n * 4 > rd_left(&c)) {
        free(dir);
        return cor_fail(err, "stream directory: %u streams claimed, room for %zu sizes", n, rd_left(&c) / 4);
    }
    m->num_streams = n;
    m->stream_size = calloc(n ? n : 1, sizeof *m->stream_size);
    m->stream_first = calloc(n ? n : 1, sizeof *m->stream_first);
    uint64_t total = 0;
    if (m->stream_size && m->stream_first) {
        for (uint32_t i = 0; i < n; i++) {
            rd_u32(&c, &m->stream_size[i]);
            if (m->stream_size[i] == MSF_NIL_STREAM) continue;
            /* No stream can hold more than the file; this bounds what
             * msf_read_stream will allocate. */
            if ((uint64_t)m->stream_size[i] > (uint64_t)m->num_blocks * bs) {
                uint32_t big = m->stream_size[i], nb = m->num_blocks;
                free(dir);
                msf_close(m);
                return cor_fail(err, "stream directory: stream %u claims %u bytes, more than the file's %u blocks hold",
                                i, big, nb);
            }
            total += blocks_for(m->stream_size[i], bs);
        }
    }
    if (!m->stream_size || !m->stream_first) {
        free(dir);
        msf_close(m);
        return cor_fail(err, "out of memory for %u streams", n);
    }
    if (total * 4 > rd_left(&c)) {
        free(dir);
        uint64_t left = rd_left(&c);
        msf_close(m);
        return cor_fail(err, "stream directory: stream sizes need %" PRIu64 " blocks, the directory lists %" PRIu64,
                        total, left / 4);
    }
    m->blocks = malloc((size_t)(total ? total : 1) * sizeof *m->blocks);
    if (!m->blocks) {
        free(dir);
        msf_close(m);
        return cor_fail(err, "out of memory for %" PRIu64 " block indices", total);
    }
    uint32_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        m->stream_first[i] = at;
        if (m->stream_size[i] == MSF_NIL_STREAM) continue;
        uint64_t k = blocks_for(m->stream_size[i], bs);
        for (uint64_t j = 0; j < k; j++, at++) {
            rd_u32(&c, &m->blocks[at]);
            if (m->blocks[at] >= m->num_blocks) {
                uint32_t bad = m->blocks[at];
                free(dir);
                msf_close(m);
                return cor_fail(err, "stream %u: block %" PRIu64 " is #%u, past NumBlocks %u", i, j, bad,
                                m->num_blocks);
            }
        }
    }
    free(dir);
    return COR_OK;
}

void msf_close(msf_file *m)
{
    free(m->stream_size);
    free(m->stream_first);
    free(m->blocks);
    memset(m, 0, sizeof *m);
}

int msf_stream_present(const msf_file *m, uint32_t idx)
{
    return idx < m->num_streams && m->stream_size[idx] != MSF_NIL_STREAM;
}

int msf_read_stream(const msf_file *m, uint32_t idx, uint8_t **out, uint32_t *len, cor_err *err)
{
    *out = NULL;
    *len = 0;
    if (idx >= m->num_streams)
        return cor_fail(err, "stream %u does not exist (the directory has %u)", idx, m->num_streams);
    uint32_t size = m->stream_size[idx];
    if (size == MSF_NIL_STREAM) return cor_fail(err, "stream %u is a nil stream", idx);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return cor_fail(err, "out of memory for stream %u (%u bytes)", idx, size);
    char what[32];
    snprintf(what, sizeof what, "stream %u", idx);
    if (gather(m, m->blocks + m->stream_first[idx], blocks_for(size, m->block_size), buf, size, what, err) != COR_OK) {
        free(buf);
        return COR_FAIL;
    }
    *out = buf;
    *len = size;
    return COR_OK;
}
