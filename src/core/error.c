#include "core/error.h"

#include <stdio.h>
#include <string.h>

int cor_vfail(cor_err *err, const char *fmt, va_list ap)
{
    if (err)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return COR_FAIL;
}

int cor_fail(cor_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cor_vfail(err, fmt, ap);
    va_end(ap);
    return COR_FAIL;
}

int cor_wrap(cor_err *err, const char *fmt, ...)
{
    if (!err)
        return COR_FAIL;
    char prefix[256], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* Truncation is acceptable: the message stays one readable line. */
    snprintf(err->msg, sizeof err->msg, "%.200s: %.300s", prefix, old);
    return COR_FAIL;
}
