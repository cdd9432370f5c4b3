/* Windows x64 programs built at test time with the lab's toolchain (clang,
 * lld writing the PDB), and minidumps made for them: one module (the
 * program, with its CodeView record, timestamp and size, so that the PDB
 * matches and the image file serves reads of its pages) and, optionally,
 * one thread with a register context and a captured stack. What the
 * program holds is known from the source the test wrote, so commands run
 * on such a dump have answers known by construction. */
#ifndef COR_TEST_BUILT_IMAGE_H
#define COR_TEST_BUILT_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/console.h"
#include "core/text.h"
#include "synth_dump.h"
#include "target/target.h"

typedef struct built_image {
    char dir[64];
    char src[128], exe[128], pdb[128];
    uint8_t *bytes; /* the .exe */
    size_t size;
    uint64_t base;
    uint32_t size_of_image, timestamp, checksum;
    const uint8_t *cv; /* the RSDS record inside bytes */
    uint32_t cv_len;
} built_image;

static inline bool built_have_tool(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static inline uint32_t built_le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* Reads the PE headers' identity and the CodeView record. */
static inline bool built_parse(built_image *b)
{
    if (b->size < 0x40) return false;
    uint32_t pe = built_le32(b->bytes + 0x3C);
    if (pe > b->size - 24 - 0x48 || memcmp(b->bytes + pe, "PE\0\0", 4) != 0) return false;
    const uint8_t *coff = b->bytes + pe + 4, *opt = coff + 20;
    b->timestamp = built_le32(coff + 4);
    b->base = built_le32(opt + 24) | (uint64_t)built_le32(opt + 28) << 32; /* PE32+ ImageBase */
    b->size_of_image = built_le32(opt + 56);
    b->checksum = built_le32(opt + 64);
    for (size_t i = 0; i + 24 < b->size; i++) {
        if (memcmp(b->bytes + i, "RSDS", 4) != 0) continue;
        size_t n = strnlen((const char *)b->bytes + i + 24, b->size - i - 24);
        if (i + 24 + n >= b->size) break;
        b->cv = b->bytes + i;
        b->cv_len = (uint32_t)(24 + n + 1);
        return true;
    }
    return false;
}

/* Writes source to DIR/src_name and builds DIR/name.exe and DIR/name.pdb
 * with `clang <flags> -g -gcodeview -fuse-ld=lld`. 0 when built, 77 when
 * the toolchain is missing (the caller skips), 1 on other failures. */
static inline int built_image_make(built_image *b, const char *name, const char *src_name, const char *source,
                            const char *flags)
{
    memset(b, 0, sizeof *b);
    if (!built_have_tool("clang") || !(built_have_tool("ld.lld") || built_have_tool("lld"))) {
        fprintf(stderr, "clang or lld missing: skipping\n");
        return 77;
    }
    snprintf(b->dir, sizeof b->dir, "/tmp/cor-built-XXXXXX");
    if (!mkdtemp(b->dir)) return 1;
    snprintf(b->src, sizeof b->src, "%s/%s", b->dir, src_name);
    snprintf(b->exe, sizeof b->exe, "%s/%s.exe", b->dir, name);
    snprintf(b->pdb, sizeof b->pdb, "%s/%s.pdb", b->dir, name);
    FILE *f = fopen(b->src, "w");
    if (!f) return 1;
    fputs(source, f);
    fclose(f);
    char cmd[2048];
    /* lld's MinGW driver takes --pdb=, its link.exe-style one /pdb:. */
    snprintf(cmd, sizeof cmd, "clang %s -g -gcodeview -fuse-ld=lld -Wl,%s%s -o %s %s 2>&1", flags,
             strstr(flags, "windows-msvc") ? "/pdb:" : "--pdb=", b->pdb, b->exe, b->src);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot build %s (no Windows target?): skipping\n", b->exe);
        return 77;
    }
    f = fopen(b->exe, "rb");
    struct stat st;
    if (!f || stat(b->exe, &st) != 0 || st.st_size <= 0) {
        if (f) fclose(f);
        return 1;
    }
    b->size = (size_t)st.st_size;
    b->bytes = malloc(b->size);
    bool ok = b->bytes && fread(b->bytes, 1, b->size, f) == b->size;
    fclose(f);
    if (!ok || !built_parse(b)) {
        fprintf(stderr, "%s: no PE headers or CodeView record\n", b->exe);
        return 1;
    }
    return 0;
}

/* The bytes of the image at rva (len of them in the file), or NULL. */
static inline const uint8_t *built_image_at(const built_image *b, uint32_t rva, uint32_t len)
{
    uint32_t pe = built_le32(b->bytes + 0x3C);
    const uint8_t *coff = b->bytes + pe + 4;
    unsigned nsec = coff[2] | coff[3] << 8, optsize = coff[16] | coff[17] << 8;
    size_t sh = pe + 4 + 20 + optsize;
    for (unsigned i = 0; i < nsec && sh + 40 * (i + 1) <= b->size; i++) {
        const uint8_t *h = b->bytes + sh + 40 * i;
        uint32_t va = built_le32(h + 12), raw = built_le32(h + 16), ptr = built_le32(h + 20);
        if (rva >= va && rva - va < raw && len <= raw - (rva - va) && ptr + (size_t)raw <= b->size)
            return b->bytes + ptr + (rva - va);
    }
    return NULL;
}

/* One thread of the dump: its registers and its stack's bytes. */
typedef struct built_thread {
    uint64_t rip, rsp;
    uint64_t stack_base; /* where stack[0] is */
    const uint8_t *stack;
    uint32_t stack_len;
} built_thread;

/* A module as the dump's module list names it. */
typedef struct built_module {
    const char *path; /* "C:\\app.exe" */
    uint64_t base;
    uint32_t size, timestamp, checksum;
    const uint8_t *cv;
    uint32_t cv_len;
} built_module;

/* Writes a minidump (AMD64) holding the module and, when th is non-NULL,
 * the thread; returns its malloc'd path (in dir), or NULL. */
static inline char *built_write_dump(const char *dir, const built_module *m, const built_thread *th)
{
    synth s;
    synth_begin(&s, th ? 4 : 2);
    uint8_t si[56] = { 0 };
    synth_w16(si, 9); /* PROCESSOR_ARCHITECTURE_AMD64 */
    synth_w32(si + 8, 10);
    synth_w32(si + 16, 19041);
    synth_w32(si + 20, 2);
    uint32_t si_rva = synth_put(&s, si, sizeof si);
    synth_stream(&s, 7, si_rva, sizeof si);

    uint32_t name = synth_string(&s, m->path);
    uint32_t cv = synth_put(&s, m->cv, m->cv_len);
    uint8_t ml[4 + 108] = { 0 };
    synth_w32(ml, 1);
    synth_w64(ml + 4, m->base);
    synth_w32(ml + 4 + 8, m->size);
    synth_w32(ml + 4 + 12, m->checksum);
    synth_w32(ml + 4 + 16, m->timestamp);
    synth_w32(ml + 4 + 20, name);
    synth_w32(ml + 4 + 76, m->cv_len);
    synth_w32(ml + 4 + 80, cv);
    uint32_t ml_rva = synth_put(&s, ml, sizeof ml);
    synth_stream(&s, 4, ml_rva, sizeof ml);

    if (th) {
        uint8_t ctx[0x4D0] = { 0 };
        synth_w32(ctx + 0x30, 0x10000B); /* CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS */
        synth_w64(ctx + 0x98, th->rsp);
        synth_w64(ctx + 0xF8, th->rip);
        uint32_t ctx_rva = synth_put(&s, ctx, sizeof ctx);
        uint32_t stack_rva = synth_put(&s, th->stack, th->stack_len);
        uint8_t tl[4 + 48] = { 0 };
        synth_w32(tl, 1);
        synth_w32(tl + 4, 0x1234);
        synth_w64(tl + 4 + 24, th->stack_base);
        synth_w32(tl + 4 + 32, th->stack_len);
        synth_w32(tl + 4 + 36, stack_rva);
        synth_w32(tl + 4 + 40, sizeof ctx);
        synth_w32(tl + 4 + 44, ctx_rva);
        uint32_t tl_rva = synth_put(&s, tl, sizeof tl);
        synth_stream(&s, 3, tl_rva, sizeof tl);
        uint8_t mlist[4 + 16] = { 0 };
        synth_w32(mlist, 1);
        synth_w64(mlist + 4, th->stack_base);
        synth_w32(mlist + 4 + 8, th->stack_len);
        synth_w32(mlist + 4 + 12, stack_rva);
        uint32_t mrva = synth_put(&s, mlist, sizeof mlist);
        synth_stream(&s, 5, mrva, sizeof mlist);
    }

    size_t n = strlen(dir) + 16;
    char *path = malloc(n);
    if (!path) {
        free(s.buf);
        return NULL;
    }
    snprintf(path, n, "%s/test.dmp", dir);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(s.buf, 1, s.len, f) == s.len;
    if (f) fclose(f);
    free(s.buf);
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

/* The module entry for a built program, named C:\NAME.exe. */
static inline built_module built_image_module(const built_image *b, const char *path)
{
    return (built_module){ path, b->base, b->size_of_image, b->timestamp, b->checksum, b->cv, b->cv_len };
}

/* Opens the dump with symbols and images searched in dir. */
static inline cor_target *built_open(const char *dump, const char *dir)
{
    cor_target *t = NULL;
    cor_err err;
    if (target_open(dump, &t, &err) != COR_OK || target_set_symbol_path(t, dir, &err) != COR_OK ||
        target_set_image_path(t, dir, &err) != COR_OK) {
        fprintf(stderr, "%s: %s\n", dump, err.msg);
        target_close(t);
        return NULL;
    }
    return t;
}

/* Runs a command line; the output (and any error message) as a malloc'd
 * string. */
static inline char *built_run(con_session *s, const char *line)
{
    strbuf sb;
    sb_init(&sb);
    con_set_output_buffer(s, &sb);
    con_execute(s, line);
    return sb.s ? sb.s : strdup("");
}

/* The line of out that starts with prefix (copied into buf), or NULL. */
static inline const char *built_line(const char *out, const char *prefix, char *buf, size_t size)
{
    size_t n = strlen(prefix);
    for (const char *l = out; l && *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        if (len >= n && memcmp(l, prefix, n) == 0) {
            snprintf(buf, size, "%.*s", (int)len, l);
            return buf;
        }
        l = e ? e + 1 : NULL;
    }
    return NULL;
}

static inline void built_image_cleanup(built_image *b, const char *dump)
{
    if (dump) unlink(dump);
    if (b->src[0]) unlink(b->src);
    if (b->exe[0]) unlink(b->exe);
    if (b->pdb[0]) unlink(b->pdb);
    if (b->dir[0]) rmdir(b->dir);
    free(b->bytes);
}

#endif
