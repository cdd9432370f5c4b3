#include "sym/msvc_demangle.h"

#include <stdio.h>
#include <string.h>

#define MAX_PARTS 16
#define MAX_BACKREFS 10

/* Special names after "??": the operator or compiler-generated function. */
static const char *special(const char *p, size_t *len, bool *ctor, bool *dtor)
{
    *ctor = *dtor = false;
    static const struct { const char *code, *name; } ops[] = {
        { "2", "operator new" }, { "3", "operator delete" }, { "4", "operator=" }, { "5", "operator>>" },
        { "6", "operator<<" }, { "7", "operator!" }, { "8", "operator==" }, { "9", "operator!=" },
        { "A", "operator[]" }, { "B", "operator " }, { "C", "operator->" }, { "D", "operator*" },
        { "E", "operator++" }, { "F", "operator--" }, { "G", "operator-" }, { "H", "operator+" },
        { "I", "operator&" }, { "J", "operator->*" }, { "K", "operator/" }, { "L", "operator%" },
        { "M", "operator<" }, { "N", "operator<=" }, { "O", "operator>" }, { "P", "operator>=" },
        { "Q", "operator," }, { "R", "operator()" }, { "S", "operator~" }, { "T", "operator^" },
        { "U", "operator|" }, { "V", "operator&&" }, { "W", "operator||" }, { "X", "operator*=" },
        { "Y", "operator+=" }, { "Z", "operator-=" },
        { "_7", "`vftable'" }, { "_8", "`vbtable'" }, { "_E", "`vector deleting destructor'" },
        { "_G", "`scalar deleting destructor'" }, { "_U", "operator new[]" }, { "_V", "operator delete[]" },
        { "_0", "operator/=" }, { "_1", "operator%=" }, { "_2", "operator>>=" }, { "_3", "operator<<=" },
        { "_4", "operator&=" }, { "_5", "operator|=" }, { "_6", "operator^=" },
    };
    if (*p == '0') { *len = 1; *ctor = true; return ""; }
    if (*p == '1') { *len = 1; *dtor = true; return ""; }
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].code);
        if (strncmp(p, ops[i].code, l) == 0) {
            *len = l;
            return ops[i].name;
        }
    }
    return NULL;
}

bool msvc_demangle_name(const char *dec, char *out, size_t n)
{
    if (!dec || dec[0] != '?' || !n) return false;
    const char *p = dec + 1;
    char parts[MAX_PARTS][128];
    size_t nparts = 0;
    char backrefs[MAX_BACKREFS][128];
    size_t nbackrefs = 0;
    bool ctor = false, dtor = false;
    const char *op = NULL;

    if (*p == '?') { /* a special name: operator, ctor, dtor, vftable... */
        size_t len;
        op = special(p + 1, &len, &ctor, &dtor);
        if (!op) return false;
        p += 1 + len;
    } else {
        /* The unqualified name, up to '@'. */
        const char *at = strchr(p, '@');
        if (!at || at == p || at - p >= 127 || *p == '$') return false;
        snprintf(parts[nparts++], 128, "%.*s", (int)(at - p), p);
        if (nbackrefs < MAX_BACKREFS) snprintf(backrefs[nbackrefs++], 128, "%s", parts[0]);
        p = at + 1;
    }
    /* Scopes, innermost first, until "@" ends the qualification. */
    while (*p && *p != '@') {
        if (nparts == MAX_PARTS) return false;
        if (*p >= '0' && *p <= '9') { /* a back-reference to an earlier name */
            size_t k = (size_t)(*p - '0');
            if (k >= nbackrefs) return false;
            snprintf(parts[nparts++], 128, "%s", backrefs[k]);
            p++;
            continue;
        }
        if (*p == '?') {
            /* "?A0x1234abcd@" is an anonymous namespace; other nested
             * forms (templates "?$", local scopes "?1") are not handled. */
            if (p[1] == 'A') {
                const char *at = strchr(p, '@');
                if (!at) return false;
                snprintf(parts[nparts++], 128, "`anonymous namespace'");
                p = at + 1;
                continue;
            }
            return false;
        }
        const char *at = strchr(p, '@');
        if (!at || at - p >= 127) return false;
        snprintf(parts[nparts++], 128, "%.*s", (int)(at - p), p);
        if (nbackrefs < MAX_BACKREFS) snprintf(backrefs[nbackrefs++], 128, "%s", parts[nparts - 1]);
        p = at + 1;
    }
    if (*p != '@') return false;

    /* Print outermost scope first. */
    size_t o = 0;
    out[0] = 0;
    for (size_t i = nparts; i-- > (op ? 0 : 1);) {
        int w = snprintf(out + o, n - o, "%s::", parts[i]);
        if (w < 0 || (size_t)w >= n - o) return false;
        o += (size_t)w;
    }
    const char *cls = nparts ? parts[0] : "";
    int w;
    if (ctor) w = snprintf(out + o, n - o, "%s", cls);
    else if (dtor) w = snprintf(out + o, n - o, "~%s", cls);
    else if (op) w = snprintf(out + o, n - o, "%s", op);
    else w = snprintf(out + o, n - o, "%s", parts[0]);
    if (w < 0 || (size_t)w >= n - o) return false;
    if (!op && !ctor && !dtor) return true;
    /* Special names: the scopes are all qualification; a ctor/dtor also
     * repeats its class. Strip the trailing "::" when nothing follows. */
    if (!*cls && o >= 2 && out[o - 2] == ':') out[o - 2] = 0;
    return true;
}
