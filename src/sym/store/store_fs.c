/* The local half of the symbol store: the on-disk layout, probing, and
 * copying hits into downstream stores atomically (temp file + rename in the
 * same directory), so a crash or a concurrent coroner never leaves a
 * half-written PDB where a reader would take it for a whole one. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sym/store/cab_expand.h"
#include "sym/store/store_priv.h"

void st_noisy(symstore *s, const char *fmt, ...)
{
    if (!s->opt.noisy) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("SYMSRV:  ", s->log);
    vfprintf(s->log, fmt, ap);
    fputc('\n', s->log);
    va_end(ap);
}

void key_reason(key_state *ks, int rank, const char *fmt, ...)
{
    if (rank < ks->reason_rank) return;
    ks->reason_rank = rank;
    va_list ap;
    va_start(ap, fmt);
    cor_vfail(&ks->res->err, fmt, ap);
    va_end(ap);
}

char *store_key_dir(const char *root, bool two_tier, const sym_key *k)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, root);
    if (two_tier) {
        /* "The first 2 letters of the filename are used as an intermediate
         * folder name" (Symbol Store Folder Tree). Windows does not care
         * about case; we write lowercase, the form Microsoft's examples show. */
        char t[3] = { (char)tolower((unsigned char)k->name[0]),
                      k->name[1] ? (char)tolower((unsigned char)k->name[1]) : 0, 0 };
        sb_printf(&b, "/%s", t);
    }
    sb_printf(&b, "/%s/%s", k->name, k->index);
    return b.s;
}

bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool dir_has(const char *root, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, name);
    return access(p, F_OK) == 0;
}

bool local_is_two_tier(const char *root) { return dir_has(root, "index2.txt"); }

int mkdir_p(const char *dir, cor_err *err)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n >= sizeof p) return cor_fail(err, "%s: path too long", dir);
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != 0) continue;
        char c = p[i];
        p[i] = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return cor_fail(err, "cannot create %s: %s", p, strerror(errno));
        p[i] = c;
    }
    return COR_OK;
}

char *temp_next_to(const char *final, cor_err *err)
{
    const char *slash = strrchr(final, '/');
    size_t dl = slash ? (size_t)(slash - final) : 1;
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "%.*s/.%s.tmp-XXXXXX", (int)dl, slash ? final : ".", slash ? slash + 1 : final);
    if (!b.s) return cor_fail(err, "out of memory"), NULL;
    int fd = mkstemp(b.s);
    if (fd < 0) {
        cor_fail(err, "cannot create a temp file next to %s: %s", final, strerror(errno));
        sb_free(&b);
        return NULL;
    }
    close(fd);
    return b.s;
}

int atomic_copy(const char *src, const char *dst, uint64_t max_size, cor_err *err)
{
    char *tmp = temp_next_to(dst, err);
    if (!tmp) return COR_FAIL;
    int rc = COR_FAIL, in = open(src, O_RDONLY | O_CLOEXEC), out = open(tmp, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (in < 0 || out < 0) {
        cor_fail(err, "copying %s: %s", src, strerror(errno));
        goto done;
    }
    char buf[65536];
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            cor_fail(err, "reading %s: %s", src, strerror(errno));
            goto done;
        }
        if (r == 0) break;
        total += (uint64_t)r;
        if (max_size && total > max_size) {
            cor_fail(err, "%s: over the %llu-byte limit", src, (unsigned long long)max_size);
            goto done;
        }
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                cor_fail(err, "writing %s: %s", tmp, strerror(errno));
                goto done;
            }
            off += w;
        }
    }
    if (close(out) != 0) {
        out = -1;
        cor_fail(err, "writing %s: %s", tmp, strerror(errno));
        goto done;
    }
    out = -1;
    if (rename(tmp, dst) != 0) {
        cor_fail(err, "renaming into %s: %s", dst, strerror(errno));
        goto done;
    }
    rc = COR_OK;
done:
    if (in >= 0) close(in);
    if (out >= 0) close(out);
    if (rc != COR_OK) unlink(tmp);
    free(tmp);
    return rc;
}

/* Expands a CAB into dst the same atomic way. */
static int atomic_expand(const char *cab, const sym_key *k, const char *dst, uint64_t max_size,
                         cor_err *err)
{
    char *tmp = temp_next_to(dst, err);
    if (!tmp) return COR_FAIL;
    int rc = cab_expand_file(cab, k->name, tmp, max_size, NULL, err);
    if (rc == COR_OK) {
        int fd = open(tmp, O_RDONLY | O_CLOEXEC);
        uint8_t head[64];
        ssize_t n = fd >= 0 ? read(fd, head, sizeof head) : -1;
        if (fd >= 0) close(fd);
        sym_magic m = sym_magic_of(head, n > 0 ? (size_t)n : 0);
        if (!sym_magic_fits(k->name, m))
            rc = cor_fail(err, "%s: the expanded file does not start like a %s", cab, k->name);
    }
    if (rc == COR_OK && rename(tmp, dst) != 0)
        rc = cor_fail(err, "renaming into %s: %s", dst, strerror(errno));
    if (rc != COR_OK) unlink(tmp);
    free(tmp);
    return rc;
}

/* Puts src into store root as name in k's directory: copied, or expanded
 * when expand (src is then a CAB). Returns the new file's malloc'd path, or
 * NULL with the reason logged and in e. */
static char *place_one(symstore *s, const char *root, const sym_key *k, const char *name,
                       const char *src, bool expand, cor_err *e)
{
    char *dir = store_key_dir(root, local_is_two_tier(root), k);
    if (!dir) return cor_fail(e, "out of memory"), NULL;
    if (mkdir_p(dir, e) != COR_OK) {
        st_noisy(s, "%s - not cached: %s", dir, e->msg);
        free(dir);
        return NULL;
    }
    strbuf b;
    sb_init(&b);
    sb_printf(&b, "%s/%s", dir, name);
    free(dir);
    if (!b.s) return cor_fail(e, "out of memory"), NULL;
    int rc = expand ? atomic_expand(src, k, b.s, s->opt.max_size, e) : atomic_copy(src, b.s, s->opt.max_size, e);
    if (rc != COR_OK) {
        /* A read-only or full cache must not lose the hit: say so and go on. */
        st_noisy(s, "%s - not cached: %s", b.s, e->msg);
        sb_free(&b);
        return NULL;
    }
    st_noisy(s, "%s - %s into downstream store", b.s, expand ? "expanded" : "copied");
    return b.s;
}

int place_hit(symstore *s, const sym_chain *ch, size_t hit, const char *file, bool is_cab,
              const sym_key *k, char **out, cor_err *err)
{
    /* Targets: every local store left of the hit, nearest first, so the
     * leftmost (the one the file is opened from) is last. */
    const char *targets[SYM_CHAIN_MAX_STORES + 1];
    size_t nt = 0;
    for (size_t j = hit; j-- > 0;)
        if (ch->stores[j].kind == SYM_STORE_LOCAL) targets[nt++] = ch->stores[j].location;
    if (nt == 0 && is_cab) targets[nt++] = sym_path_default_store(&s->path->opt);
    if (nt == 0) {
        *out = strdup(file);
        return *out ? COR_OK : cor_fail(err, "out of memory");
    }
    cor_err e = { "out of memory" };
    if (is_cab) {
        /* symsrv: "When cascading, files are not uncompressed unless the
         * target store is the leftmost store in the path" (Using SymSrv,
         * Compressed Files, learn.microsoft.com/windows/win32/debug/
         * using-symsrv). The leftmost store gets the expanded file; the
         * stores between it and the hit keep the cabinet under its _ name,
         * as the server gave it. When the leftmost cannot take it, the next
         * store to the right that can holds the expanded file instead. The
         * cabinet is copied only once it has expanded cleanly, so a damaged
         * one is not left in a middle store to fail the next run too. */
        size_t at = nt;
        *out = NULL;
        while (!*out && at > 0) {
            at--;
            *out = place_one(s, targets[at], k, k->name, file, true, &e);
        }
        if (!*out) return cor_fail(err, "%s", e.msg); /* nowhere it could be expanded */
        char cname[SYM_KEY_NAME_MAX + 1];
        sym_key_compressed_name(k, cname);
        for (size_t t = 0; t < at; t++) free(place_one(s, targets[t], k, cname, file, false, &e));
        return COR_OK;
    }
    char *src = NULL; /* the first copy feeds the others */
    char *last = NULL;
    for (size_t t = 0; t < nt; t++) {
        char *dst = place_one(s, targets[t], k, k->name, src ? src : file, false, &e);
        if (!dst) continue;
        if (!src) src = strdup(dst);
        free(last);
        last = dst;
    }
    free(src);
    *out = last ? last : strdup(file);
    return *out ? COR_OK : cor_fail(err, "out of memory");
}

static uint8_t *slurp_small(const char *path, size_t limit, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    uint8_t *buf = malloc(limit);
    ssize_t n = buf ? read(fd, buf, limit) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    *len = (size_t)n;
    return buf;
}

bool probe_local_store(symstore *s, const char *root, key_state *ks, char **file, bool *is_cab)
{
    const sym_key *k = ks->key;
    bool tier = local_is_two_tier(root);
    char *dir = store_key_dir(root, tier, k);
    if (!dir) return false;
    bool found = false;
    strbuf p;
    sb_init(&p);
    sb_printf(&p, "%s/%s", dir, k->name);
    if (file_exists(p.s)) {
        st_noisy(s, "LOCAL: %s - found", p.s);
        *file = p.s, *is_cab = false;
        free(dir);
        return true;
    }
    st_noisy(s, "LOCAL: %s - file not found", p.s);
    char cname[SYM_KEY_NAME_MAX + 1];
    sym_key_compressed_name(k, cname);
    p.len = 0;
    sb_printf(&p, "%s/%s", dir, cname);
    if (strcmp(cname, k->name) != 0 && file_exists(p.s)) {
        st_noisy(s, "LOCAL: %s - found (compressed)", p.s);
        *file = p.s, *is_cab = true;
        free(dir);
        return true;
    }
    p.len = 0;
    sb_printf(&p, "%s/file.ptr", dir);
    size_t len;
    uint8_t *data = slurp_small(p.s, 8192, &len);
    if (data) {
        sym_fileptr_kind kind;
        char *val;
        cor_err e;
        if (sym_fileptr_parse(data, len, &kind, &val, &e) != COR_OK) {
            st_noisy(s, "LOCAL: %s - %s", p.s, e.msg);
            key_reason(ks, 3, "%s: %s", p.s, e.msg);
        } else if (kind == SYM_FILEPTR_MSG) {
            st_noisy(s, "LOCAL: %s - MSG: %s", p.s, val);
            key_reason(ks, 2, "%s says: %s", p.s, val);
        } else {
            char *target = sym_path_map_local(&s->path->opt, val);
            if (target && file_exists(target)) {
                st_noisy(s, "LOCAL: %s - PATH: %s -> %s found", p.s, val, target);
                *file = target, *is_cab = false;
                target = NULL;
                found = true;
            } else {
                st_noisy(s, "LOCAL: %s - PATH: %s -> %s not found", p.s, val, target ? target : "?");
                key_reason(ks, 2, "%s points to %s (read as %s), which does not exist", p.s, val,
                           target ? target : "?");
            }
            free(target);
        }
        free(val);
        free(data);
    }
    sb_free(&p);
    free(dir);
    return found;
}
