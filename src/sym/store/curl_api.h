/* libcurl, loaded when a symbol path first needs HTTP rather than linked
 * into the program: linking it pulls in the TLS, HTTP/2, LDAP and Kerberos
 * libraries at every start, which cost more than the rest of opening a
 * dump (bench/README.md). Each symstore holds its own table; dlopen counts
 * references, so nothing here is process-global state. */
#ifndef COR_SYM_STORE_CURL_API_H
#define COR_SYM_STORE_CURL_API_H

/* Plain prototypes: the type-checking macros of curl/typecheck-gcc.h would
 * stand in the way of calling through function pointers. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include "core/error.h"

typedef struct curl_api {
    void *lib;
    CURLcode (*global_init)(long flags);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *e, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *e);
    CURLcode (*easy_getinfo)(CURL *e, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *e);
    const char *(*easy_strerror)(CURLcode rc);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *e);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd *extra, unsigned n, int timeout_ms, int *numfds);
    CURLMcode (*multi_cleanup)(CURLM *m);
    CURLSH *(*share_init)(void);
    CURLSHcode (*share_setopt)(CURLSH *sh, CURLSHoption opt, ...);
    CURLSHcode (*share_cleanup)(CURLSH *sh);
} curl_api;

/* Loads libcurl (libcurl.so.4) and resolves every function; on failure the
 * message says which library or symbol was missing. */
int curl_api_load(curl_api *api, cor_err *err);
void curl_api_unload(curl_api *api);

#endif
