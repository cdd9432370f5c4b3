/* Finding symbol files (PDBs, images) through a parsed symbol path, the way
 * symsrv does: every chain in order; inside a chain, every store left to
 * right; a hit is copied into each local store to its left (the downstream
 * caches) so the next run finds it there without asking the network.
 *
 * Local stores: name/INDEX/name, two-tier (xx/name/INDEX/name, xx = first two
 * characters of the name, lowercased) when index2.txt is in the root; then
 * name/INDEX/name_ (a CAB: expanded into the leftmost store only, the stores
 * between keep the CAB, as symsrv does); then
 * name/INDEX/file.ptr. HTTP stores: GET of the same three, in the same order
 * (symsrv's), over libcurl, many keys at once. A non-2xx reply, a 200 whose
 * first bytes are not what the file must be (an HTML login page), a
 * truncated body, a body over the size limit or a stalled transfer is a
 * miss for that key in that store, remembered for the life of the symstore
 * so it is not asked again.
 *
 * No global state beyond libcurl's own reference-counted initialisation:
 * everything, including the negative cache, lives in the symstore. One
 * symstore must not be used by two threads at once. */
#ifndef COR_SYM_STORE_SYMSTORE_H
#define COR_SYM_STORE_SYMSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "sym/store/symkey.h"
#include "sym/store/sympath.h"

typedef struct symstore_options {
    bool noisy;              /* log every probe, like WinDbg's !sym noisy */
    FILE *log;               /* noisy lines and the progress line; NULL = stderr */
    int progress;            /* -1: when log is a TTY and not noisy; 0: never; 1: always */
    long connect_timeout_ms; /* default 10 s */
    long low_speed_limit;    /* bytes/s; below it for low_speed_time_s seconds aborts. default 1 */
    long low_speed_time_s;   /* default 30 */
    long total_timeout_s;    /* per transfer; 0 = none (default) */
    uint64_t max_size;       /* per file, downloaded or expanded; default 4 GiB */
    int max_parallel;        /* concurrent transfers; default 8 */
    const char *user_agent;  /* default "coroner-symsrv/1" */
    /* PEM file of the CAs that HTTPS servers are verified against, in place
     * of libcurl's built-in bundle. NULL (the default): $CURL_CA_BUNDLE,
     * else $SSL_CERT_FILE, as curl(1) reads them (libcurl itself reads
     * neither), else the built-in bundle; "": the built-in bundle.
     * Verification is never off. */
    const char *ca_file;
} symstore_options;

void symstore_options_default(symstore_options *o);

typedef struct symstore symstore;

/* Takes ownership of path (freed by symstore_free, even on failure). */
int symstore_new(sym_path *path, const symstore_options *opt, symstore **out, cor_err *err);
void symstore_free(symstore *s);

/* COR_OK with *path_out (malloc'd) naming a local, complete file; or COR_FAIL
 * with err saying what was tried and why nothing came of it. */
int symstore_find(symstore *s, const sym_key *key, char **path_out, cor_err *err);

typedef struct symstore_result {
    char *path; /* malloc'd, NULL on a miss */
    cor_err err; /* why not, when path is NULL */
} symstore_result;

/* Looks up n keys at once (HTTP transfers in parallel). Returns how many were
 * found; res[i] answers keys[i]. Free each res[i].path. */
size_t symstore_find_batch(symstore *s, const sym_key *keys, size_t n, symstore_result *res);

/* HTTP requests started so far (index2.txt probes included). */
uint64_t symstore_http_requests(const symstore *s);

const sym_path *symstore_path(const symstore *s);

#endif
