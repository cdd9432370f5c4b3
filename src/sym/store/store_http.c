/* The HTTP half of the symbol store, over libcurl's multi interface.
 *
 * Per key and store, symsrv's order: name, then name_ (CAB), then file.ptr;
 * the store's index2.txt is asked once first to learn the layout. What
 * libcurl gives us for free and we rely on: redirects followed without
 * sending credentials to another host (CURLOPT_UNRESTRICTED_AUTH stays off),
 * http_proxy/https_proxy/no_proxy from the environment (libcurl reads them
 * unless CURLOPT_PROXY is set; it ignores upper-case HTTP_PROXY on purpose),
 * TLS peer and host verification (on by default; set again here so nobody
 * turns it off by accident; the CAs are libcurl's built-in bundle unless
 * CURL_CA_BUNDLE or SSL_CERT_FILE names another file, see symstore.h), and
 * CURLE_PARTIAL_FILE when a server closes the connection before
 * Content-Length bytes arrived. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sym/store/store_priv.h"
#include "sym/store/curl_calls.h"

enum { STAGE_PLAIN, STAGE_CAB, STAGE_PTR };
static const char *const stage_name[] = { "file", "compressed file", "file.ptr" };

/* One HTTP store asked for a batch of keys. */
typedef struct http_run {
    symstore *s;
    const sym_chain *ch;
    size_t idx;
    const char *base;
    bool tier;
    const char *downstream; /* where downloads land first */
    size_t down_idx;        /* its index in the chain, or SIZE_MAX for the default store */
    size_t active, finished, total;
    uint64_t bytes;         /* received so far by this run's transfers */
    uint64_t started_ms, shown_ms;
    int shown_width;        /* of the progress line on screen; 0: none shown */
} http_run;

typedef struct xfer {
    http_run *run; /* NULL for the index2.txt probe */
    key_state *ks;
    int stage;
    CURL *easy;
    char *url;
    char *tmp;   /* download target, next to final */
    char *final; /* where the file belongs in the downstream store */
    FILE *fp;
    uint64_t got, limit;
    uint8_t head[64];
    size_t nhead;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
} xfer;

/* RFC 3986 unreserved characters pass; everything else is %XX. */
static void sb_url_seg(strbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~')
            sb_putc(b, (char)c);
        else
            sb_printf(b, "%%%02X", c);
    }
}

/* The path part of a URL, which is what WinDbg's noisy log shows. */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    return p ? p : url;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
    xfer *x = ud;
    size_t n = sz * nm;
    if (x->got + n > x->limit) {
        x->too_big = true;
        return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
    }
    if (x->nhead < sizeof x->head) {
        size_t k = sizeof x->head - x->nhead < n ? sizeof x->head - x->nhead : n;
        memcpy(x->head + x->nhead, p, k);
        x->nhead += k;
    }
    if (x->fp && fwrite(p, 1, n, x->fp) != n) return 0;
    x->got += n;
    if (x->run) x->run->bytes += n; /* counted as it arrives, for the progress line */
    return n;
}

static CURL *make_easy(symstore *s, const char *url, void *ud, char *errbuf)
{
    CURL *e = curl_easy_init();
    if (!e) return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_SHARE, s->share);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (s->ca_file) curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->opt.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, s->opt.low_speed_limit);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, s->opt.low_speed_time_s);
    if (s->opt.total_timeout_s > 0) curl_easy_setopt(e, CURLOPT_TIMEOUT, s->opt.total_timeout_s);
    if (s->opt.max_size) curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->opt.max_size);
    /* symsrv sends Accept-Encoding: gzip; "" offers every decoder libcurl has. */
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_USERAGENT, s->opt.user_agent);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ud);
    curl_easy_setopt(e, CURLOPT_PRIVATE, ud);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    errbuf[0] = 0;
    s->requests++;
    st_noisy(s, "HTTPGET: %s", url_path(url));
    return e;
}

static const char *curl_msg(symstore *s, CURLcode rc, const char *errbuf)
{
    return errbuf[0] ? errbuf : curl_easy_strerror(rc);
}

/* Learns (once per store per symstore) whether an HTTP store is two-tier. */
static bool http_two_tier(symstore *s, const char *base)
{
    if (strset_has(&s->tier_yes, base)) return true;
    if (strset_has(&s->tier_no, base)) return false;
    strbuf u;
    sb_init(&u);
    sb_printf(&u, "%s/index2.txt", base);
    xfer x = { .limit = 4096 };
    bool yes = false;
    CURL *e = u.s ? make_easy(s, u.s, &x, x.errbuf) : NULL;
    if (e) {
        CURLcode rc = curl_easy_perform(e);
        long code = 0;
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK) st_noisy(s, "HTTP error: %s", curl_msg(s, rc, x.errbuf));
        else st_noisy(s, "HTTP status %ld", code);
        /* A catch-all server answering 200 with a page for everything is not
         * saying "two-tier". */
        yes = rc == CURLE_OK && code >= 200 && code < 300 &&
              sym_magic_of(x.head, x.nhead) != SYM_MAGIC_HTML;
        curl_easy_cleanup(e);
    }
    sb_free(&u);
    strset_add(yes ? &s->tier_yes : &s->tier_no, base);
    return yes;
}

static void neg_key(strbuf *b, const char *base, const sym_key *k)
{
    sb_init(b);
    sb_printf(b, "%s|%s/%s", base, k->name, k->index);
}

static void xfer_free(xfer *x)
{
    if (x->fp) fclose(x->fp);
    if (x->tmp) unlink(x->tmp);
    free(x->tmp);
    free(x->final);
    free(x->url);
    free(x);
}

/* Starts `stage` for ks; false when it could not (reason recorded). */
static bool start(http_run *r, key_state *ks, int stage)
{
    symstore *s = r->s;
    const sym_key *k = ks->key;
    char fname[SYM_KEY_NAME_MAX + 1];
    if (stage == STAGE_CAB) sym_key_compressed_name(k, fname);
    else if (stage == STAGE_PTR) strcpy(fname, "file.ptr");
    else strcpy(fname, k->name);
    if (stage == STAGE_CAB && strcmp(fname, k->name) == 0) stage = STAGE_PTR, strcpy(fname, "file.ptr");

    xfer *x = calloc(1, sizeof *x);
    if (!x) return key_reason(ks, 3, "out of memory"), false;
    x->run = r, x->ks = ks, x->stage = stage;
    x->limit = stage == STAGE_PTR ? 8192 : (s->opt.max_size ? s->opt.max_size : UINT64_MAX);

    strbuf u;
    sb_init(&u);
    sb_puts(&u, r->base);
    if (r->tier) {
        /* Same rule as the local two-tier layout (store_key_dir). */
        char t[3] = { (char)tolower((unsigned char)k->name[0]),
                      k->name[1] ? (char)tolower((unsigned char)k->name[1]) : 0, 0 };
        sb_putc(&u, '/');
        sb_url_seg(&u, t);
    }
    sb_putc(&u, '/');
    sb_url_seg(&u, k->name);
    sb_putc(&u, '/');
    sb_url_seg(&u, k->index);
    sb_putc(&u, '/');
    sb_url_seg(&u, fname);
    x->url = u.s;

    /* Downloads go into the downstream store's key directory, under a temp
     * name, so a partial file never sits where a reader looks. */
    cor_err e;
    char *dir = store_key_dir(r->downstream, local_is_two_tier(r->downstream), k);
    strbuf fin;
    sb_init(&fin);
    if (dir) sb_printf(&fin, "%s/%s", dir, fname);
    if (!x->url || !dir || !fin.s || mkdir_p(dir, &e) != COR_OK || !(x->tmp = temp_next_to(fin.s, &e)) ||
        !(x->fp = fopen(x->tmp, "wb"))) {
        key_reason(ks, 3, "cannot download %s: %s", x->url ? x->url : "?",
                   x->tmp ? strerror(errno) : e.msg);
        free(dir);
        sb_free(&fin);
        xfer_free(x);
        return false;
    }
    free(dir);
    x->final = fin.s;
    x->easy = make_easy(s, x->url, x, x->errbuf);
    if (!x->easy || curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
        key_reason(ks, 3, "%s: cannot start a transfer", x->url);
        if (x->easy) curl_easy_cleanup(x->easy);
        xfer_free(x);
        return false;
    }
    r->active++;
    return true;
}

static const char *magic_name(sym_magic m)
{
    switch (m) {
    case SYM_MAGIC_MSF7: return "an MSF 7.00 PDB";
    case SYM_MAGIC_PDB2: return "a PDB 2.00";
    case SYM_MAGIC_MZ: return "an MZ image";
    case SYM_MAGIC_CAB: return "a cabinet";
    case SYM_MAGIC_HTML: return "an HTML page";
    default: return "unrecognised bytes";
    }
}

/* Handles a finished transfer; returns the next stage to start, or -1. */
static int finish(http_run *r, xfer *x, CURLcode rc)
{
    symstore *s = r->s;
    key_state *ks = x->ks;
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    bool wrote_ok = x->fp && fflush(x->fp) == 0;
    if (x->fp) fclose(x->fp);
    x->fp = NULL;

    if (rc != CURLE_OK) {
        /* A server that cannot be reached at all (no DNS, no route, nothing
         * answered before the timeout) is not asked again this run: offline,
         * every module would otherwise wait out its own timeout. */
        if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_PROXY ||
            (rc == CURLE_OPERATION_TIMEDOUT && x->got == 0))
            strset_add(&s->unreachable, r->base);
        /* Timeouts, truncation, TLS and size failures end this store for
         * this key: the next stage would meet the same server. */
        if (rc == CURLE_FILESIZE_EXCEEDED) x->too_big = true; /* told by Content-Length */
        if (x->too_big)
            key_reason(ks, 3, "%s: larger than the %llu-byte limit", x->url,
                       (unsigned long long)x->limit);
        else
            key_reason(ks, 3, "%s: %s", x->url, curl_msg(s, rc, x->errbuf));
        st_noisy(s, "HTTP error: %s", x->too_big ? "over the size limit" : curl_msg(s, rc, x->errbuf));
        return -1;
    }
    st_noisy(s, "HTTP status %ld", code);
    if (code < 200 || code > 299) {
        key_reason(ks, 1, "%s: HTTP %ld", x->url, code);
        return x->stage == STAGE_PTR ? -1 : x->stage + 1;
    }
    if (!wrote_ok) {
        key_reason(ks, 3, "%s: writing %s failed", x->url, x->tmp);
        return -1;
    }
    sym_magic m = sym_magic_of(x->head, x->nhead);
    if (x->stage == STAGE_PLAIN || x->stage == STAGE_CAB) {
        bool ok = x->stage == STAGE_PLAIN ? sym_magic_fits(ks->key->name, m) : m == SYM_MAGIC_CAB;
        if (!ok) {
            st_noisy(s, "%s - rejected: %s, not a %s", url_path(x->url), magic_name(m),
                     stage_name[x->stage]);
            key_reason(ks, 3, "%s: HTTP %ld but the body is %s, not %s", x->url, code,
                       magic_name(m), x->stage == STAGE_CAB ? "a cabinet" : ks->key->name);
            return x->stage + 1;
        }
        if (x->stage == STAGE_PLAIN && r->down_idx != SIZE_MAX) {
            /* Already in the nearest downstream store under a temp name:
             * rename it into place and let place_hit copy it further left,
             * instead of writing the whole file once more. */
            if (rename(x->tmp, x->final) != 0) {
                key_reason(ks, 3, "renaming into %s: %s", x->final, strerror(errno));
                return -1;
            }
            free(x->tmp);
            x->tmp = NULL; /* nothing left to clean up */
            st_noisy(s, "%s - saved in downstream store", x->final);
            key_found(s, r->ch, r->down_idx, ks, x->final, false);
        } else {
            key_found(s, r->ch, r->idx, ks, x->tmp, x->stage == STAGE_CAB);
        }
        return -1;
    }
    /* file.ptr: a pointer to a file this machine may reach, or a message. */
    FILE *f = fopen(x->tmp, "rb");
    uint8_t buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f) fclose(f);
    sym_fileptr_kind kind;
    char *val;
    cor_err e;
    if (m == SYM_MAGIC_HTML) {
        key_reason(ks, 3, "%s: HTTP %ld but the body is an HTML page", x->url, code);
    } else if (sym_fileptr_parse(buf, n, &kind, &val, &e) != COR_OK) {
        key_reason(ks, 3, "%s: %s", x->url, e.msg);
    } else {
        if (kind == SYM_FILEPTR_MSG) {
            st_noisy(s, "file.ptr MSG: %s", val);
            key_reason(ks, 2, "%s says: %s", x->url, val);
        } else {
            char *target = sym_path_map_local(&s->path->opt, val);
            bool there = target && file_exists(target);
            st_noisy(s, "file.ptr PATH: %s -> %s %s", val, target ? target : "?",
                     there ? "found" : "not found");
            if (there) key_found(s, r->ch, r->idx, ks, target, false);
            else
                key_reason(ks, 2, "%s points to %s (read as %s), which does not exist", x->url, val,
                           target ? target : "?");
            free(target);
        }
        free(val);
    }
    return -1;
}

static uint64_t monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The progress line, only when symstore_new decided the log is a terminal
 * (and not noisy): redrawn in place with \r, at most five times a second,
 * while transfers run, so a slow download is seen to move; a batch done
 * within a quarter of a second shows nothing. Erased at the end so what the
 * console prints next starts on a clean line. */
static void progress(http_run *r, bool end)
{
    symstore *s = r->s;
    if (!s->progress) return;
    if (end) {
        if (r->shown_width) fprintf(s->log, "\r%*s\r", r->shown_width, "");
        r->shown_width = 0;
    } else {
        uint64_t now = monotonic_ms();
        if (now - r->started_ms < 250 || (r->shown_width && now - r->shown_ms < 200)) return;
        r->shown_ms = now;
        char size[32];
        if (r->bytes < 1000000) snprintf(size, sizeof size, "%llu kB", (unsigned long long)(r->bytes / 1000));
        else snprintf(size, sizeof size, "%.1f MB", (double)r->bytes / 1e6);
        int w = fprintf(s->log, "\rsymbols: %zu/%zu looked up, %zu in flight, %s", r->finished, r->total,
                        r->active, size) - 1;
        /* A shorter line than the last one leaves its tail: blank it. */
        if (w >= 0 && w < r->shown_width) fprintf(s->log, "%*s", r->shown_width - w, "");
        if (w > r->shown_width) r->shown_width = w;
    }
    fflush(s->log);
}

void http_lookup(symstore *s, const sym_chain *ch, size_t idx, key_state *ks, size_t n)
{
    http_run r = { .s = s, .ch = ch, .idx = idx, .base = ch->stores[idx].location,
                   .down_idx = SIZE_MAX };
    for (size_t j = idx; j-- > 0;)
        if (ch->stores[j].kind == SYM_STORE_LOCAL) {
            r.downstream = ch->stores[j].location;
            r.down_idx = j;
            break;
        }
    if (!r.downstream) r.downstream = sym_path_default_store(&s->path->opt);

    key_state **todo = malloc((n ? n : 1) * sizeof *todo);
    if (!todo) return;
    size_t ntodo = 0;
    for (size_t i = 0; i < n; i++) {
        if (ks[i].done) continue;
        ks[i].stores_tried++;
        if (strset_has(&s->unreachable, r.base)) {
            st_noisy(s, "%s/%s/%s - skipped: server unreachable earlier in this run", r.base, ks[i].key->name,
                     ks[i].key->index);
            key_reason(&ks[i], 3, "%s: server unreachable earlier in this run", r.base);
            continue;
        }
        strbuf nk;
        neg_key(&nk, r.base, ks[i].key);
        if (nk.s && strset_has(&s->negative, nk.s)) {
            st_noisy(s, "%s/%s/%s - skipped: missed earlier in this run", r.base, ks[i].key->name,
                     ks[i].key->index);
            key_reason(&ks[i], 1, "%s: missed earlier in this run", r.base);
        } else {
            todo[ntodo++] = &ks[i];
        }
        sb_free(&nk);
    }
    if (ntodo == 0) {
        free(todo);
        return;
    }
    r.tier = http_two_tier(s, r.base);
    r.total = ntodo;
    r.started_ms = monotonic_ms();

    size_t next = 0;
    for (;;) {
        while (r.active < (size_t)s->opt.max_parallel && next < ntodo) {
            key_state *k = todo[next++];
            if (strset_has(&s->unreachable, r.base)) {
                key_reason(k, 3, "%s: server unreachable earlier in this run", r.base);
                r.finished++;
                continue;
            }
            if (!start(&r, k, STAGE_PLAIN)) r.finished++;
        }
        if (r.active == 0 && next >= ntodo) break;
        int running;
        curl_multi_perform(s->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(s->multi, &left))) {
            if (msg->msg != CURLMSG_DONE) continue;
            CURL *e = msg->easy_handle;
            CURLcode rc = msg->data.result;
            xfer *x;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
            int nstage = finish(&r, x, rc);
            curl_multi_remove_handle(s->multi, e);
            curl_easy_cleanup(e);
            r.active--;
            key_state *k = x->ks;
            xfer_free(x);
            if (!k->done && nstage >= 0 && start(&r, k, nstage)) continue;
            if (!k->done) {
                strbuf nk;
                neg_key(&nk, r.base, k->key);
                if (nk.s) strset_add(&s->negative, nk.s);
                sb_free(&nk);
            }
            r.finished++;
        }
        progress(&r, false);
        if (r.active) curl_multi_poll(s->multi, NULL, 0, 250, NULL);
    }
    progress(&r, true);
    free(todo);
}
