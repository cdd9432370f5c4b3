/* The qualified name inside an MSVC-decorated symbol, as WinDbg shows
 * publics: "?Run@Worker@app@@QEAAXH@Z" -> "app::Worker::Run". Only the name
 * and its scopes are decoded (parameter and return types are not: WinDbg's
 * stack and ln output do not show them either). Grammar: LLVM's
 * MicrosoftDemangle.cpp and Wine's undname.c, read for the rules. */
#ifndef COR_SYM_MSVC_DEMANGLE_H
#define COR_SYM_MSVC_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the qualified name of dec into out. False (out unchanged) when
 * dec is not a decorated C++ name or uses a form not handled here, such as
 * templates: callers keep the decorated name then. */
bool msvc_demangle_name(const char *dec, char *out, size_t n);

#endif
