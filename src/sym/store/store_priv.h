/* Private to src/sym/store: the symstore object and the pieces the local and
 * HTTP halves share. */
#ifndef COR_SYM_STORE_PRIV_H
#define COR_SYM_STORE_PRIV_H

#include "sym/store/curl_api.h"

#include "core/text.h"
#include "sym/store/symstore.h"

/* A set of strings (open addressing), for the per-run negative cache. */
typedef struct strset {
    char **slots;
    size_t cap, count;
} strset;

bool strset_has(const strset *s, const char *k);
bool strset_add(strset *s, const char *k);
void strset_free(strset *s);

struct symstore {
    sym_path *path;
    symstore_options opt;
    FILE *log;
    bool progress;
    CURLM *multi;
    CURLSH *share;
    strset negative;  /* "<store location>|<name>/<index>" known to miss */
    strset tier_yes;  /* HTTP store URLs known to be two-tier */
    strset tier_no;   /* ... and known to be flat */
    strset unreachable; /* HTTP store URLs that could not be reached: not asked again this run */
    uint64_t requests;
    char *ca_file;   /* CURLOPT_CAINFO, or NULL for libcurl's built-in bundle */
    bool curl_ready; /* holds a curl_global_init reference */
    curl_api curl;   /* libcurl, loaded only when the path names an HTTP store */
};

/* Per-key state while a batch runs. */
typedef struct key_state {
    const sym_key *key;
    symstore_result *res;
    int reason_rank; /* how telling res->err is: 0 nothing, 1 a 404, 2 MSG:, 3 a failure */
    size_t stores_tried;
    bool done;
} key_state;

void st_noisy(symstore *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void key_reason(key_state *ks, int rank, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "root/[xx/]name/index" (two_tier adds xx = first two characters, lowercased). */
char *store_key_dir(const char *root, bool two_tier, const sym_key *k);
bool local_is_two_tier(const char *root);
bool file_exists(const char *path);
int mkdir_p(const char *dir, cor_err *err);
/* Writes a file's bytes from src to dst through a temp file and a rename. */
int atomic_copy(const char *src, const char *dst, uint64_t max_size, cor_err *err);
/* Creates an empty temp file next to final (same directory, so the rename is
 * atomic); returns its malloc'd path or NULL. */
char *temp_next_to(const char *final, cor_err *err);

/* A hit found at store `hit` of chain ch, as the local file `file` (a CAB when
 * is_cab): copies it into every local store left of `hit`, except that a CAB
 * is expanded into the leftmost only (into the default store when it has no
 * downstream store) and copied as name_ into the stores between; sets *out
 * to the leftmost (expanded) copy, or to file itself when there is nothing
 * to copy into. */
int place_hit(symstore *s, const sym_chain *ch, size_t hit, const char *file, bool is_cab,
              const sym_key *k, char **out, cor_err *err);

/* Records a hit for ks: place_hit, then marks it done (or notes why not). */
void key_found(symstore *s, const sym_chain *ch, size_t idx, key_state *ks, const char *file,
               bool is_cab);

/* Probes local store root in store layout; on a hit sets *file and *is_cab. */
bool probe_local_store(symstore *s, const char *root, key_state *ks, char **file, bool *is_cab);

/* Asks the HTTP store ch->stores[idx] for every key in ks not yet done. */
void http_lookup(symstore *s, const sym_chain *ch, size_t idx, key_state *ks, size_t n);

#endif
