#include "sym/store/curl_api.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* Debian's libcurl4 (OpenSSL) package; the GnuTLS flavour has another
 * soname and is tried second. */
static const char *const sonames[] = { "libcurl.so.4", "libcurl-gnutls.so.4" };

int curl_api_load(curl_api *api, cor_err *err)
{
    memset(api, 0, sizeof *api);
    for (size_t i = 0; i < sizeof sonames / sizeof sonames[0] && !api->lib; i++)
        api->lib = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
    if (!api->lib)
        return cor_fail(err, "HTTP symbol servers need libcurl (%s): %s", sonames[0], dlerror());
    static const struct {
        const char *name;
        size_t off;
    } fns[] = {
#define FN(field) { "curl_" #field, offsetof(curl_api, field) }
        FN(global_init), FN(global_cleanup), FN(easy_init), FN(easy_setopt), FN(easy_perform),
        FN(easy_getinfo), FN(easy_cleanup), FN(easy_strerror), FN(multi_init), FN(multi_setopt),
        FN(multi_add_handle), FN(multi_remove_handle), FN(multi_perform), FN(multi_info_read),
        FN(multi_poll), FN(multi_cleanup), FN(share_init), FN(share_setopt), FN(share_cleanup),
#undef FN
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        void *p = dlsym(api->lib, fns[i].name);
        if (!p) {
            cor_fail(err, "libcurl lacks %s (version 7.66 or later is needed)", fns[i].name);
            curl_api_unload(api);
            return COR_FAIL;
        }
        /* Function and object pointers share a representation on every
         * platform dlsym exists on (POSIX requires it). */
        memcpy((char *)api + fns[i].off, &p, sizeof p);
    }
    return COR_OK;
}

void curl_api_unload(curl_api *api)
{
    if (api->lib) dlclose(api->lib);
    memset(api, 0, sizeof *api);
}
