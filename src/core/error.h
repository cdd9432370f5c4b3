/* Errors are values: a function that can fail returns COR_OK or COR_FAIL and
 * writes one human-readable line into the caller's cor_err. No exit(), no
 * abort(), no errno games inside the library. */
#ifndef COR_CORE_ERROR_H
#define COR_CORE_ERROR_H

#include <stdarg.h>

enum { COR_OK = 0, COR_FAIL = -1 };

typedef struct cor_err {
    char msg[512];
} cor_err;

/* Formats the message into err (if non-NULL) and returns COR_FAIL, so call
 * sites read `return cor_fail(err, "...", ...);`. */
int cor_fail(cor_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cor_vfail(cor_err *err, const char *fmt, va_list ap);

/* Prefixes an existing message with context: "module list: <old msg>". */
int cor_wrap(cor_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
