/* The symstore object and the lookup order; see symstore.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sym/store/store_priv.h"
#include "sym/store/curl_calls.h"

/* --- strset: FNV-1a, linear probing, grows at half full --- */

static uint64_t fnv1a(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++) h = (h ^ (uint8_t)*k) * 1099511628211ull;
    return h;
}

bool strset_has(const strset *s, const char *k)
{
    if (!s->cap) return false;
    for (size_t i = fnv1a(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->slots[i]) return false;
        if (strcmp(s->slots[i], k) == 0) return true;
    }
}

bool strset_add(strset *s, const char *k)
{
    if (strset_has(s, k)) return true;
    if ((s->count + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64;
        char **ns = calloc(ncap, sizeof *ns);
        if (!ns) return false;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->slots[i]) continue;
            size_t j = fnv1a(s->slots[i]) & (ncap - 1);
            while (ns[j]) j = (j + 1) & (ncap - 1);
            ns[j] = s->slots[i];
        }
        free(s->slots);
        s->slots = ns, s->cap = ncap;
    }
    char *d = strdup(k);
    if (!d) return false;
    size_t i = fnv1a(k) & (s->cap - 1);
    while (s->slots[i]) i = (i + 1) & (s->cap - 1);
    s->slots[i] = d;
    s->count++;
    return true;
}

void strset_free(strset *s)
{
    for (size_t i = 0; i < s->cap; i++) free(s->slots[i]);
    free(s->slots);
    *s = (strset){ 0 };
}

/* --- the object --- */

void symstore_options_default(symstore_options *o)
{
    *o = (symstore_options){
        .noisy = false,
        .log = NULL,
        .progress = -1,
        .connect_timeout_ms = 10000,
        .low_speed_limit = 1,
        .low_speed_time_s = 30,
        .total_timeout_s = 0,
        .max_size = 4ull << 30,
        .max_parallel = 8,
        .user_agent = "coroner-symsrv/1",
    };
}

int symstore_new(sym_path *path, const symstore_options *opt, symstore **out, cor_err *err)
{
    *out = NULL;
    symstore *s = calloc(1, sizeof *s);
    if (!s) {
        sym_path_free(path);
        return cor_fail(err, "symstore: out of memory");
    }
    s->path = path;
    if (opt) s->opt = *opt;
    else symstore_options_default(&s->opt);
    if (s->opt.max_parallel <= 0) s->opt.max_parallel = 1;
    if (!s->opt.user_agent) s->opt.user_agent = "coroner-symsrv/1";
    s->log = s->opt.log ? s->opt.log : stderr;
    s->progress = s->opt.progress > 0 || (s->opt.progress < 0 && !s->opt.noisy && isatty(fileno(s->log)));
    /* Without an HTTP store there is nothing for libcurl to do: it is not
     * even loaded. */
    bool http = false;
    for (size_t c = 0; c < path->count; c++)
        for (size_t k = 0; k < path->chains[c].count; k++)
            if (path->chains[c].stores[k].kind == SYM_STORE_HTTP) http = true;
    if (!http) {
        *out = s;
        return COR_OK;
    }
    if (curl_api_load(&s->curl, err) != COR_OK) {
        free(s);
        sym_path_free(path);
        return COR_FAIL;
    }
    /* libcurl's one piece of process state: curl_global_init is reference
     * counted and (since 7.84) thread-safe, so each symstore takes and
     * drops its own reference instead of the program doing it once. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        curl_api_unload(&s->curl);
        free(s);
        sym_path_free(path);
        return cor_fail(err, "symstore: libcurl failed to initialise");
    }
    s->curl_ready = true;
    /* curl(1) takes its CA bundle from these (CURL_CA_BUNDLE first); libcurl
     * leaves reading them to the program, so we do, once, here. */
    const char *ca = s->opt.ca_file;
    if (!ca) {
        ca = getenv("CURL_CA_BUNDLE");
        if (!ca || !*ca) ca = getenv("SSL_CERT_FILE");
    }
    if (ca && *ca && !(s->ca_file = strdup(ca))) {
        symstore_free(s);
        return cor_fail(err, "symstore: out of memory");
    }
    s->opt.ca_file = NULL; /* the caller's string need not outlive this call */
    s->multi = curl_multi_init();
    s->share = curl_share_init();
    if (!s->multi || !s->share) {
        symstore_free(s);
        return cor_fail(err, "symstore: libcurl handles: out of memory");
    }
    /* DNS answers and TLS sessions are shared by every transfer of this
     * symstore; the multi handle already pools connections. */
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->opt.max_parallel);
    *out = s;
    return COR_OK;
}

void symstore_free(symstore *s)
{
    if (!s) return;
    if (s->multi) curl_multi_cleanup(s->multi);
    if (s->share) curl_share_cleanup(s->share);
    if (s->curl_ready) curl_global_cleanup();
    if (s->curl.lib) curl_api_unload(&s->curl);
    free(s->ca_file);
    strset_free(&s->negative);
    strset_free(&s->tier_yes);
    strset_free(&s->tier_no);
    strset_free(&s->unreachable);
    sym_path_free(s->path);
    free(s);
}

uint64_t symstore_http_requests(const symstore *s) { return s->requests; }
const sym_path *symstore_path(const symstore *s) { return s->path; }

void key_found(symstore *s, const sym_chain *ch, size_t idx, key_state *ks, const char *file,
               bool is_cab)
{
    cor_err e;
    char *out = NULL;
    if (place_hit(s, ch, idx, file, is_cab, ks->key, &out, &e) == COR_OK) {
        ks->res->path = out;
        ks->done = true;
    } else {
        key_reason(ks, 3, "%s", e.msg);
    }
}

/* A plain directory: dir/name first (how dbghelp reads a flat path), then
 * dbghelp's older layouts dir/EXT/name and dir/symbols/EXT/name, where EXT
 * is the image's extension (for a PDB the image is unknown here: the usual
 * dll, exe and sys are tried), then the store layout when the directory
 * says it is a store. */
static void lookup_dir(symstore *s, const sym_chain *ch, size_t idx, key_state *ks)
{
    const char *root = ch->stores[idx].location;
    const char *name = ks->key->name;
    const char *dot = strrchr(name, '.');
    bool is_pdb = dot && strcasecmp(dot, ".pdb") == 0;
    const char *exts[3] = { "dll", "exe", "sys" };
    size_t nexts = 3;
    if (!is_pdb) {
        exts[0] = dot ? dot + 1 : "";
        nexts = dot ? 1 : 0;
    }
    char cand[4096];
    for (size_t v = 0; v < 1 + 2 * nexts; v++) {
        if (v == 0) snprintf(cand, sizeof cand, "%s/%s", root, name);
        else if (v <= nexts) snprintf(cand, sizeof cand, "%s/%s/%s", root, exts[v - 1], name);
        else snprintf(cand, sizeof cand, "%s/symbols/%s/%s", root, exts[v - 1 - nexts], name);
        bool hit = file_exists(cand);
        if (v == 0 || hit) st_noisy(s, "DIR: %s - %s", cand, hit ? "found" : "file not found");
        if (hit) {
            /* A flat directory knows nothing of GUIDs; the caller checks the
             * PDB's signature, as dbghelp does. */
            key_found(s, ch, idx, ks, cand, false);
            return;
        }
    }
    static const char *const marks[] = { "index2.txt", "pingme.txt", "000Admin" };
    for (size_t m = 0; m < 3; m++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", root, marks[m]);
        if (access(p, F_OK) == 0) {
            char *file;
            bool cab;
            if (probe_local_store(s, root, ks, &file, &cab)) {
                key_found(s, ch, idx, ks, file, cab);
                free(file);
            }
            return;
        }
    }
}

size_t symstore_find_batch(symstore *s, const sym_key *keys, size_t n, symstore_result *res)
{
    key_state *ks = calloc(n ? n : 1, sizeof *ks);
    for (size_t i = 0; i < n; i++) res[i] = (symstore_result){ NULL, { "" } };
    if (!ks) {
        for (size_t i = 0; i < n; i++) cor_fail(&res[i].err, "symstore: out of memory");
        return 0;
    }
    for (size_t i = 0; i < n; i++) ks[i] = (key_state){ &keys[i], &res[i], 0, 0, false };

    for (size_t c = 0; c < s->path->count; c++) {
        const sym_chain *ch = &s->path->chains[c];
        /* Local stores first, all of them: they cost a stat() each. An HTTP
         * store is asked only for what no local store of the chain had. */
        for (size_t j = 0; j < ch->count; j++) {
            if (ch->stores[j].kind != SYM_STORE_LOCAL) continue;
            for (size_t i = 0; i < n; i++) {
                if (ks[i].done) continue;
                ks[i].stores_tried++;
                if (ch->kind == SYM_CHAIN_DIR && !ch->stores[j].is_cache) {
                    lookup_dir(s, ch, j, &ks[i]);
                } else {
                    char *file;
                    bool cab;
                    if (probe_local_store(s, ch->stores[j].location, &ks[i], &file, &cab)) {
                        key_found(s, ch, j, &ks[i], file, cab);
                        free(file);
                    }
                }
            }
        }
        for (size_t j = 0; j < ch->count; j++)
            if (ch->stores[j].kind == SYM_STORE_HTTP) http_lookup(s, ch, j, ks, n);
    }

    size_t nfound = 0;
    for (size_t i = 0; i < n; i++) {
        if (ks[i].done) {
            nfound++;
            res[i].err.msg[0] = 0;
            continue;
        }
        char why[sizeof res[i].err.msg];
        snprintf(why, sizeof why, "%s", ks[i].reason_rank ? res[i].err.msg : "");
        cor_fail(&res[i].err, "%s/%s/%s: not found in %zu store%s%s%s", keys[i].name,
                 keys[i].index, keys[i].name, ks[i].stores_tried, ks[i].stores_tried == 1 ? "" : "s",
                 why[0] ? "; " : "", why);
    }
    free(ks);
    return nfound;
}

int symstore_find(symstore *s, const sym_key *key, char **path_out, cor_err *err)
{
    symstore_result r;
    *path_out = NULL;
    if (symstore_find_batch(s, key, 1, &r) == 1) {
        *path_out = r.path;
        return COR_OK;
    }
    if (err) *err = r.err;
    return COR_FAIL;
}
