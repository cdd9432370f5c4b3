/* Internals shared by the Breakpad reader's files. */
#ifndef COR_SYM_BP_INTERNAL_H
#define COR_SYM_BP_INTERNAL_H

#include "sym/breakpad/breakpad.h"

/* Parses bp->buf[0 .. bp->buf_size) into bp's arrays. */
int bp_parse(bp_symbols *bp, cor_err *err);

#endif
