/* End to end: a store served by symserver.py over HTTP on 127.0.0.1, read
 * through sym_path_parse + symstore. Checks the downloads, the downstream
 * cache layout (a cabinet kept as such in middle stores, expanded in the
 * leftmost), the hostile replies (slow, truncated, HTML, 404) and that a
 * second run is answered from the cache without one request. */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/cursor.h"
#include "sym/store/symstore.h"
#include "../unit/test.h"

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void mkdirs(const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    mkdir(p, 0777);
}

static void put(const char *root, const char *rel, const void *data, size_t n)
{
    char p[4096], d[4096];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    snprintf(d, sizeof d, "%s", p);
    *strrchr(d, '/') = 0;
    mkdirs(d);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz + 1 : 1);
    *n = b ? fread(b, 1, (size_t)sz, f) : 0;
    if (b) b[*n] = 0;
    fclose(f);
    return b;
}

static size_t count_lines(const char *path)
{
    size_t n = 0, c = 0;
    uint8_t *b = slurp(path, &n);
    for (size_t i = 0; b && i < n; i++) c += b[i] == '\n';
    free(b);
    return c;
}

/* Offset of needle in the request log, or -1. */
static long log_pos(const char *path, const char *needle)
{
    size_t n;
    uint8_t *b = slurp(path, &n);
    char *hit = b ? strstr((char *)b, needle) : NULL;
    long r = hit ? (long)(hit - (char *)b) : -1;
    free(b);
    return r;
}
static bool log_has(const char *path, const char *needle) { return log_pos(path, needle) >= 0; }

static int temps_found;
static int find_temp(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag;
    if (strstr(p + ftw->base, ".tmp-")) {
        fprintf(stderr, "left behind: %s\n", p);
        temps_found++;
    }
    return 0;
}

static const char msf[] = "Microsoft C/C++ MSF 7.00\r\n\x1a" "DS\0\0\0";

static symstore *open_store(const char *text, double low_speed_s)
{
    sym_path_options o;
    memset(&o, 0, sizeof o);
    o.default_store = "/nonexistent-default-store";
    sym_path *p;
    cor_err e;
    if (sym_path_parse(text, &o, &p, &e) != COR_OK) return NULL;
    symstore_options so;
    symstore_options_default(&so);
    so.progress = 0;
    so.noisy = true;
    so.connect_timeout_ms = 3000;
    so.low_speed_time_s = (long)low_speed_s;
    so.max_parallel = 4;
    symstore *s = NULL;
    if (symstore_new(p, &so, &s, &e) != COR_OK) fprintf(stderr, "%s\n", e.msg);
    return s;
}

int main(void)
{
    const char *script = getenv("COR_SYMSERVER"), *py = getenv("COR_PYTHON");
    if (!script || !py) {
        fprintf(stderr, "COR_SYMSERVER/COR_PYTHON not set; skipping\n");
        return 77;
    }
    /* The server is local; a proxy from the environment must not get in the way. */
    unsetenv("http_proxy"), unsetenv("https_proxy"), unsetenv("all_proxy");
    unsetenv("HTTPS_PROXY"), unsetenv("ALL_PROXY");

    char root[] = "/tmp/cor-symserver-XXXXXX";
    if (!mkdtemp(root)) return 1;
    char srvroot[1024], portfile[1024], reqlog[1024], cache[1024], text[4096];
    snprintf(srvroot, sizeof srvroot, "%s/srv", root);
    snprintf(portfile, sizeof portfile, "%s/port", root);
    snprintf(reqlog, sizeof reqlog, "%s/requests.log", root);
    snprintf(cache, sizeof cache, "%s/cache", root);
    mkdirs(srvroot);

    /* The served stores: /flat (one tier) and /tier (index2.txt). */
    uint8_t pdb[4096];
    memset(pdb, 0xAB, sizeof pdb);
    memcpy(pdb, msf, sizeof msf);
    put(srvroot, "flat/plain.pdb/0123456789ABCDEF0123456789ABCDEF1/plain.pdb", pdb, sizeof pdb);
    put(srvroot, "flat/img.dll/5F00AA0012000/img.dll", "MZ\x90\0rest", 8);
    put(srvroot, "tier/index2.txt", "2", 1);
    put(srvroot, "tier/ti/tiered.pdb/0123456789ABCDEF0123456789ABCDEF1/tiered.pdb", pdb, sizeof pdb);
    put(srvroot, "flat/redirme.pdb/0123456789ABCDEF0123456789ABCDEF1/redirme.pdb", pdb, sizeof pdb);
    char ptrtarget[4096], ptrline[4200];
    snprintf(ptrtarget, sizeof ptrtarget, "%s/elsewhere/pointed.dll", root);
    put(root, "elsewhere/pointed.dll", "MZpointed", 9);
    snprintf(ptrline, sizeof ptrline, "PATH:%s\r\n", ptrtarget);
    put(srvroot, "flat/pointed.dll/5F00AA0012000/file.ptr", ptrline, strlen(ptrline));
    put(srvroot, "flat/withheld.dll/5F00AA0012000/file.ptr", "MSG:no public symbols", 21);
    const char *cabp = corpus_path("mozilla__dump_syms/test_data__windows__basic32.pd_");
    size_t cabn = 0;
    uint8_t *cab = slurp(cabp, &cabn);
    if (cab) put(srvroot, "flat/basic32.pdb/0123456789ABCDEF0123456789ABCDEF1/basic32.pd_", cab, cabn);

    pid_t pid = fork();
    if (pid == 0) {
        execlp(py, py, script, "--root", srvroot, "--port-file", portfile, "--log", reqlog,
              "--slow-seconds", "30", (char *)NULL);
        _exit(127);
    }
    int port = 0;
    for (int i = 0; i < 200 && !port; i++) {
        size_t n;
        uint8_t *b = slurp(portfile, &n);
        if (b) port = atoi((char *)b);
        free(b);
        if (!port) usleep(50000);
    }
    CHECK(port > 0);
    if (!port) goto out;

    enum { PLAIN, IMG, TIER, REDIR, PTR, MSGK, CAB, MISS, HTML, TRUNC, SLOW, NKEYS };
    sym_key keys[NKEYS];
    cor_err e;
    const uint8_t guid[16] = { 0x67, 0x45, 0x23, 0x01, 0xAB, 0x89, 0xEF, 0xCD,
                               0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF };
    sym_key_pdb70(&keys[PLAIN], "c:\\src\\plain.pdb", guid, 1, &e);
    CHECK_STR(keys[PLAIN].index, "0123456789ABCDEF0123456789ABCDEF1");
    sym_key_image(&keys[IMG], "img.dll", 0x5F00AA00, 0x12000, &e);
    sym_key_pdb70(&keys[TIER], "tiered.pdb", guid, 1, &e);
    sym_key_pdb70(&keys[REDIR], "redirme.pdb", guid, 1, &e);
    sym_key_image(&keys[PTR], "pointed.dll", 0x5F00AA00, 0x12000, &e);
    sym_key_image(&keys[MSGK], "withheld.dll", 0x5F00AA00, 0x12000, &e);
    sym_key_pdb70(&keys[CAB], "basic32.pdb", guid, 1, &e);
    sym_key_pdb70(&keys[MISS], "missing.pdb", guid, 1, &e);
    sym_key_pdb70(&keys[HTML], "htmlpage.pdb", guid, 1, &e);
    sym_key_pdb70(&keys[TRUNC], "truncated.pdb", guid, 1, &e);
    sym_key_pdb70(&keys[SLOW], "slowpoke.pdb", guid, 1, &e);

    /* Run 1: everything through one batch (parallel transfers). */
    snprintf(text, sizeof text, "srv*%s*http://127.0.0.1:%d/flat;srv*%s*http://127.0.0.1:%d/tier",
             cache, port, cache, port);
    symstore *s = open_store(text, 2);
    CHECK(s != NULL);
    if (!s) goto out;
    symstore_result res[NKEYS];
    time_t t0 = time(NULL);
    size_t nf = symstore_find_batch(s, keys, NKEYS, res);
    time_t took = time(NULL) - t0;
    CHECK_EQ_U(nf, cab ? 6 : 5);
    for (int i = 0; i < NKEYS; i++)
        fprintf(stderr, "key %d: %s\n", i, res[i].path ? res[i].path : res[i].err.msg);

    char want[8192];
    snprintf(want, sizeof want, "%s/plain.pdb/%s/plain.pdb", cache, keys[PLAIN].index);
    CHECK_STR(res[PLAIN].path, want);
    snprintf(want, sizeof want, "%s/img.dll/5F00AA0012000/img.dll", cache);
    CHECK_STR(res[IMG].path, want);
    /* Found in the two-tier HTTP store, cached in the (flat) local layout. */
    snprintf(want, sizeof want, "%s/tiered.pdb/%s/tiered.pdb", cache, keys[TIER].index);
    CHECK_STR(res[TIER].path, want);
    snprintf(want, sizeof want, "%s/redirme.pdb/%s/redirme.pdb", cache, keys[REDIR].index);
    CHECK_STR(res[REDIR].path, want);
    snprintf(want, sizeof want, "%s/pointed.dll/5F00AA0012000/pointed.dll", cache);
    CHECK_STR(res[PTR].path, want);
    snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pdb", cache, keys[CAB].index);
    CHECK_STR(res[CAB].path, want);
    struct stat st;
    CHECK(res[CAB].path && stat(res[CAB].path, &st) == 0 &&
          cabn > 0x30 && (uint64_t)st.st_size == le32(cab + le32(cab + 0x10)));
    CHECK(res[PLAIN].path && stat(res[PLAIN].path, &st) == 0 && st.st_size == sizeof pdb);

    CHECK(!res[MSGK].path && strstr(res[MSGK].err.msg, "no public symbols"));
    CHECK(!res[MISS].path && strstr(res[MISS].err.msg, "HTTP 404"));
    CHECK(!res[HTML].path && strstr(res[HTML].err.msg, "HTML page"));
    CHECK(!res[TRUNC].path && res[TRUNC].err.msg[0]);
    CHECK(!res[SLOW].path && res[SLOW].err.msg[0]);
    /* Nothing partial is left where a reader would take it for a file. */
    snprintf(want, sizeof want, "%s/truncated.pdb/%s/truncated.pdb", cache, keys[TRUNC].index);
    CHECK(stat(want, &st) != 0);
    snprintf(want, sizeof want, "%s/htmlpage.pdb/%s/htmlpage.pdb", cache, keys[HTML].index);
    CHECK(stat(want, &st) != 0);
    /* Failed and finished downloads leave no temp files behind. */
    nftw(cache, find_temp, 16, FTW_PHYS);
    CHECK_EQ_U(temps_found, 0);
    /* Two slow stores × low-speed timeout of 2 s, in parallel with the rest. */
    CHECK(took < 15);

    /* The request log: symsrv's order (plain, _, file.ptr), index2 probes. */
    char req[3][512];
    snprintf(req[0], sizeof req[0], "GET /flat/missing.pdb/%s/missing.pdb\n", keys[MISS].index);
    snprintf(req[1], sizeof req[1], "GET /flat/missing.pdb/%s/missing.pd_\n", keys[MISS].index);
    snprintf(req[2], sizeof req[2], "GET /flat/missing.pdb/%s/file.ptr\n", keys[MISS].index);
    long r0 = log_pos(reqlog, req[0]), r1 = log_pos(reqlog, req[1]), r2 = log_pos(reqlog, req[2]);
    CHECK(r0 >= 0 && r0 < r1 && r1 < r2);
    CHECK(log_pos(reqlog, "GET /flat/index2.txt\n") < r0);
    CHECK(log_has(reqlog, "GET /flat/index2.txt\n"));
    CHECK(log_has(reqlog, "GET /tier/index2.txt\n"));
    CHECK(log_has(reqlog, "GET /tier/ti/tiered.pdb/"));
    CHECK(log_has(reqlog, "GET /redirected/flat/redirme.pdb/"));
    uint64_t reqs1 = symstore_http_requests(s);
    size_t lines1 = count_lines(reqlog);
    CHECK(lines1 > 0);

    /* Same symstore again: the misses are remembered, the hits are cached. */
    symstore_result res2[NKEYS];
    for (int i = 0; i < NKEYS; i++) free(res[i].path);
    symstore_find_batch(s, keys, NKEYS, res2);
    CHECK_EQ_U(symstore_http_requests(s), reqs1);
    for (int i = 0; i < NKEYS; i++) free(res2[i].path);
    symstore_free(s);

    /* Run 2, a fresh symstore: the found keys come from the cache, no request. */
    s = open_store(text, 2);
    sym_key found_keys[] = { keys[PLAIN], keys[IMG], keys[TIER], keys[REDIR], keys[PTR], keys[CAB] };
    size_t nk = sizeof found_keys / sizeof found_keys[0];
    symstore_result r3[6];
    CHECK_EQ_U(symstore_find_batch(s, found_keys, cab ? nk : nk - 1, r3), cab ? nk : nk - 1);
    CHECK_EQ_U(symstore_http_requests(s), 0);
    CHECK_EQ_U(count_lines(reqlog), lines1);
    for (size_t i = 0; i < (cab ? nk : nk - 1); i++) free(r3[i].path);

    /* Single lookup API on a 404: a clear message. */
    char *path = NULL;
    CHECK(symstore_find(s, &keys[MISS], &path, &e) == COR_FAIL && !path);
    CHECK(strstr(e.msg, "missing.pdb") && strstr(e.msg, "not found"));
    symstore_free(s);

    /* Two downstream stores: the download lands in the nearer one and is
     * copied into the farther; the answer is the leftmost copy. */
    {
        char l1[1024], l2[1024];
        snprintf(l1, sizeof l1, "%s/l1", root);
        snprintf(l2, sizeof l2, "%s/l2", root);
        snprintf(text, sizeof text, "srv*%s*%s*http://127.0.0.1:%d/flat", l1, l2, port);
        s = open_store(text, 2);
        CHECK(s && symstore_find(s, &keys[IMG], &path, &e) == COR_OK);
        snprintf(want, sizeof want, "%s/img.dll/5F00AA0012000/img.dll", l1);
        CHECK_STR(path, want);
        snprintf(want, sizeof want, "%s/img.dll/5F00AA0012000/img.dll", l2);
        CHECK(stat(want, &st) == 0 && st.st_size == 8);
        free(path);
        symstore_free(s);
    }

    /* Three downstream stores and a server that has only the cabinet
     * (basic32.pd_). symsrv expands only into the leftmost store; the
     * middle ones keep the cabinet as the server gave it ("When cascading,
     * files are not uncompressed unless the target store is the leftmost
     * store in the path": Using SymSrv, Compressed Files). */
    if (cab) {
        char m[3][1024], f[3][8192];
        for (int i = 0; i < 3; i++) snprintf(m[i], sizeof m[i], "%s/mid%d", root, i + 1);
        snprintf(text, sizeof text, "srv*%s*%s*%s*http://127.0.0.1:%d/flat", m[0], m[1], m[2], port);
        s = open_store(text, 2);
        CHECK(s && symstore_find(s, &keys[CAB], &path, &e) == COR_OK);
        snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pdb", m[0], keys[CAB].index);
        CHECK_STR(path, want);
        size_t n = 0;
        uint8_t *got = path ? slurp(path, &n) : NULL;
        CHECK(got && n == le32(cab + le32(cab + 0x10)) && memcmp(got, msf, 28) == 0);
        free(got);
        free(path);
        for (int i = 1; i < 3; i++) {
            snprintf(f[i], sizeof f[i], "%s/basic32.pdb/%s/basic32.pd_", m[i], keys[CAB].index);
            got = slurp(f[i], &n);
            CHECK(got && n == cabn && memcmp(got, cab, cabn) == 0);
            free(got);
            snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pdb", m[i], keys[CAB].index);
            CHECK(stat(want, &st) != 0);
        }
        /* ... and the leftmost has no cabinet. */
        snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pd_", m[0], keys[CAB].index);
        CHECK(stat(want, &st) != 0);
        temps_found = 0;
        for (int i = 0; i < 3; i++) nftw(m[i], find_temp, 16, FTW_PHYS);
        CHECK_EQ_U(temps_found, 0);
        symstore_free(s);

        /* The leftmost copy gone: the middle store's cabinet is expanded
         * into it, without asking the server. */
        snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pdb", m[0], keys[CAB].index);
        unlink(want);
        s = open_store(text, 2);
        CHECK(s && symstore_find(s, &keys[CAB], &path, &e) == COR_OK);
        CHECK_STR(path, want);
        CHECK(path && stat(path, &st) == 0 && (uint64_t)st.st_size == le32(cab + le32(cab + 0x10)));
        CHECK_EQ_U(symstore_http_requests(s), 0);
        free(path);
        symstore_free(s);

        /* A leftmost store that cannot be written (a plain file stands
         * where its directory would be, which stops root too): the hit is
         * not lost, the next store holds the expanded file. */
        char blocked[1024], next[1024];
        snprintf(blocked, sizeof blocked, "%s/blocked", root);
        snprintf(next, sizeof next, "%s/next", root);
        put(root, "blocked", "x", 1);
        snprintf(text, sizeof text, "srv*%s*%s*http://127.0.0.1:%d/flat", blocked, next, port);
        s = open_store(text, 2);
        CHECK(s && symstore_find(s, &keys[CAB], &path, &e) == COR_OK);
        snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pdb", next, keys[CAB].index);
        CHECK_STR(path, want);
        snprintf(want, sizeof want, "%s/basic32.pdb/%s/basic32.pd_", next, keys[CAB].index);
        CHECK(stat(want, &st) != 0);
        free(path);
        symstore_free(s);
    }

    /* A size limit below the file: rejected, nothing cached. */
    {
        char cache2[1024];
        snprintf(cache2, sizeof cache2, "%s/cache2", root);
        snprintf(text, sizeof text, "srv*%s*http://127.0.0.1:%d/flat", cache2, port);
        sym_path *p;
        sym_path_options o;
        memset(&o, 0, sizeof o);
        sym_path_parse(text, &o, &p, &e);
        symstore_options so;
        symstore_options_default(&so);
        so.progress = 0;
        so.max_size = 1000;
        symstore_new(p, &so, &s, &e);
        CHECK(symstore_find(s, &keys[PLAIN], &path, &e) == COR_FAIL);
        CHECK(strstr(e.msg, "limit") != NULL);
        symstore_free(s);
    }

    /* http_proxy from the environment is honoured (libcurl reads it per
     * transfer): point it at our server and ask for a host that does not
     * exist; the server sees the absolute-form request a proxy gets. */
    {
        char proxy[64], cache3[1024];
        snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", port);
        setenv("http_proxy", proxy, 1);
        unsetenv("no_proxy"), unsetenv("NO_PROXY");
        snprintf(cache3, sizeof cache3, "%s/cache3", root);
        snprintf(text, sizeof text, "srv*%s*http://symbols.invalid/flat", cache3);
        s = open_store(text, 2);
        CHECK(s && symstore_find(s, &keys[IMG], &path, &e) == COR_FAIL);
        CHECK(log_has(reqlog, "GET http://symbols.invalid/flat/img.dll/5F00AA0012000/img.dll\n"));
        symstore_free(s);
        unsetenv("http_proxy");
    }

out:
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    free(cab);
    if (!getenv("COR_KEEP_TMP")) nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    TEST_DONE();
}
