/* Private to src/sym/store: libcurl's functions called through the
 * symstore's loaded table (curl_api.h). Every call site has the symstore
 * in scope as `s`. Include after curl_api.h. */
#ifndef COR_SYM_STORE_CURL_CALLS_H
#define COR_SYM_STORE_CURL_CALLS_H

/* curl.h wraps these four in same-named macros that check the argument
 * count; they give way to ours. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt

#define curl_global_init (s->curl.global_init)
#define curl_global_cleanup (s->curl.global_cleanup)
#define curl_easy_init (s->curl.easy_init)
#define curl_easy_setopt (s->curl.easy_setopt)
#define curl_easy_perform (s->curl.easy_perform)
#define curl_easy_getinfo (s->curl.easy_getinfo)
#define curl_easy_cleanup (s->curl.easy_cleanup)
#define curl_easy_strerror (s->curl.easy_strerror)
#define curl_multi_init (s->curl.multi_init)
#define curl_multi_setopt (s->curl.multi_setopt)
#define curl_multi_add_handle (s->curl.multi_add_handle)
#define curl_multi_remove_handle (s->curl.multi_remove_handle)
#define curl_multi_perform (s->curl.multi_perform)
#define curl_multi_info_read (s->curl.multi_info_read)
#define curl_multi_poll (s->curl.multi_poll)
#define curl_multi_cleanup (s->curl.multi_cleanup)
#define curl_share_init (s->curl.share_init)
#define curl_share_setopt (s->curl.share_setopt)
#define curl_share_cleanup (s->curl.share_cleanup)

#endif
