/* Symbol path parsing; the grammar and the mapping rules are in sympath.h.
 * References: Microsoft's "Advanced SymSrv Use" (cache*, srv*, empty
 * downstream store, the 10-store limit) and "Symbol Store Folder Tree". */
#include "sym/store/sympath.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"


void sym_path_options_from_env(sym_path_options *opt)
{
    memset(opt, 0, sizeof *opt);
    for (int i = 0; i < 26; i++) {
        char name[] = "COR_DRIVE_X";
        name[10] = (char)('A' + i);
        opt->drive_map[i] = getenv(name);
    }
    opt->drive_root = getenv("COR_DRIVE_ROOT");
    opt->unc_root = getenv("COR_UNC_ROOT");
    const char *home = getenv("HOME");
    const char *dbghelp = getenv("DBGHELP_HOMEDIR");
    if (dbghelp && *dbghelp) {
        snprintf(opt->buf_store, sizeof opt->buf_store, "%s/sym", dbghelp);
        opt->default_store = opt->buf_store;
    } else if (home && *home) {
        snprintf(opt->buf_store, sizeof opt->buf_store, "%s/.coroner/sym", home);
        opt->default_store = opt->buf_store;
    }
    if (!opt->drive_root && home && *home) {
        snprintf(opt->buf_drives, sizeof opt->buf_drives, "%s/.coroner/drives", home);
        opt->drive_root = opt->buf_drives;
    }
}

const char *sym_path_default_store(const sym_path_options *opt)
{
    return opt->default_store ? opt->default_store : "./sym";
}

static bool is_drive_path(const char *s)
{
    return isalpha((unsigned char)s[0]) && s[1] == ':' && (s[2] == '\\' || s[2] == '/' || s[2] == 0);
}

static bool is_unc_path(const char *s) { return s[0] == '\\' && s[1] == '\\'; }

/* root + "/" + rest, with rest's backslashes turned into slashes and runs
 * of separators collapsed, no trailing slash. An empty root keeps rest as
 * it is (absolute or relative). */
static char *join_slashes(const char *root, const char *rest)
{
    strbuf b;
    sb_init(&b);
    sb_puts(&b, root);
    bool need_sep = b.len > 0 && b.s[b.len - 1] != '/';
    for (const char *p = rest; *p; p++) {
        char c = *p == '\\' ? '/' : *p;
        if (c == '/') {
            if (b.len == 0) sb_putc(&b, '/'); /* an absolute POSIX path */
            need_sep = b.len > 0 && b.s[b.len - 1] != '/';
            continue;
        }
        if (need_sep) sb_putc(&b, '/');
        need_sep = false;
        sb_putc(&b, c);
    }
    if (!b.s) sb_puts(&b, "");
    while (b.s && b.len > 1 && b.s[b.len - 1] == '/') b.s[--b.len] = 0;
    return b.s;
}

char *sym_path_map_local(const sym_path_options *opt, const char *w)
{
    if (!w || !*w) return NULL;
    if (is_drive_path(w)) {
        int d = tolower((unsigned char)w[0]) - 'a';
        if (opt->drive_map[d]) return join_slashes(opt->drive_map[d], w + 2);
        char root[4096];
        snprintf(root, sizeof root, "%s/%c", opt->drive_root ? opt->drive_root : "./drives", 'a' + d);
        return join_slashes(root, w + 2);
    }
    if (is_unc_path(w)) {
        if (opt->unc_root) return join_slashes(opt->unc_root, w + 2);
        char *m = join_slashes("/", w + 2);
        if (!m) return NULL;
        /* Keep the POSIX "//" so the result still reads as a network path. */
        char *r = malloc(strlen(m) + 2);
        if (r) sprintf(r, "/%s", m);
        free(m);
        return r;
    }
    /* A POSIX path (or a relative one): only backslashes are converted, as
     * Linux file names with '\' in a symbol path are far rarer than copies of
     * Windows paths. */
    return join_slashes("", w);
}

static bool starts_http(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0;
}

typedef struct parse_ctx {
    sym_path *p;
    bool oom;
} parse_ctx;

static void note(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(parse_ctx *c, const char *fmt, ...)
{
    strbuf b;
    sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    sb_vprintf(&b, fmt, ap);
    va_end(ap);
    char **n = realloc(c->p->notes, (c->p->nnotes + 1) * sizeof *n);
    if (!n || !b.s) {
        sb_free(&b);
        c->oom = true;
        return;
    }
    c->p->notes = n;
    n[c->p->nnotes++] = b.s;
}

static bool push_store(parse_ctx *c, sym_chain *ch, sym_store_kind kind, const char *written,
                       const char *location, bool is_cache)
{
    if (ch->count == SYM_CHAIN_MAX_STORES) {
        note(c, "store '%s' ignored: symsrv allows at most %d stores in a chain", written,
             SYM_CHAIN_MAX_STORES);
        return true;
    }
    sym_store *s = realloc(ch->stores, (ch->count + 1) * sizeof *s);
    if (!s) return c->oom = true, false;
    ch->stores = s;
    s[ch->count] = (sym_store){ kind, strdup(location), strdup(written), is_cache };
    if (!s[ch->count].location || !s[ch->count].written) {
        free(s[ch->count].location);
        free(s[ch->count].written);
        return c->oom = true, false;
    }
    ch->count++;
    return true;
}

/* Adds a local store written as `w` (empty = default downstream store). */
static bool push_local(parse_ctx *c, sym_chain *ch, const char *w, bool is_cache)
{
    const sym_path_options *o = &c->p->opt;
    if (!*w) return push_store(c, ch, SYM_STORE_LOCAL, "", sym_path_default_store(o), true);
    char *m = sym_path_map_local(o, w);
    if (!m) return c->oom = true, false;
    if (strcmp(m, w) != 0) note(c, "'%s' is read from %s", w, m);
    bool ok = push_store(c, ch, SYM_STORE_LOCAL, w, m, is_cache);
    free(m);
    return ok;
}

static sym_chain *new_chain(parse_ctx *c, sym_chain_kind kind, const char *cache)
{
    sym_chain *chs = realloc(c->p->chains, (c->p->count + 1) * sizeof *chs);
    if (!chs) return c->oom = true, NULL;
    c->p->chains = chs;
    sym_chain *ch = &chs[c->p->count++];
    *ch = (sym_chain){ kind, NULL, 0 };
    /* cache*dir applies to every element to its right: it becomes the
     * leftmost (downstream) store of each later chain. */
    if (cache && !push_local(c, ch, cache, true)) return NULL;
    return ch;
}

static void trim(char **s, char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) (*s)++;
    while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

static void parse_element(parse_ctx *c, char *el, char **cache)
{
    /* Split on '*' in place; an element has at most a dozen fields. */
    char *f[SYM_CHAIN_MAX_STORES + 8];
    size_t nf = 0;
    bool too_many = false;
    for (char *s = el;;) {
        char *star = strchr(s, '*');
        if (star) *star = 0;
        char *e = s + strlen(s);
        trim(&s, &e);
        *e = 0;
        if (nf < sizeof f / sizeof f[0]) f[nf++] = s;
        else too_many = true;
        if (!star) break;
        s = star + 1;
    }
    if (too_many) note(c, "element has more than %zu '*' fields; the rest are ignored", nf);

    if (nf >= 1 && strcasecmp(f[0], "cache") == 0) {
        if (nf > 2) note(c, "cache* takes one directory; '%s' used, the rest ignored", f[1]);
        free(*cache);
        *cache = strdup(nf >= 2 ? f[1] : "");
        if (!*cache) c->oom = true;
        return;
    }
    size_t first = 0;
    if (strcasecmp(f[0], "srv") == 0) {
        first = 1;
    } else if (strcasecmp(f[0], "symsrv") == 0) {
        if (nf < 3) {
            note(c, "symsrv*%s: no store after the DLL name; element skipped", nf > 1 ? f[1] : "");
            return;
        }
        if (strcasecmp(f[1], "symsrv.dll") != 0)
            note(c, "symsrv DLL '%s' is not symsrv.dll; treated as symsrv.dll", f[1]);
        first = 2;
    } else if (nf > 1) {
        note(c, "'%s*...': unknown keyword; element skipped", f[0]);
        return;
    }

    if (first == 0) {
        if (!*f[0]) return; /* ";;" */
        if (starts_http(f[0])) {
            /* dbghelp does not read a bare URL; treating it as srv*URL is what
             * the user almost certainly meant, and we say so. */
            note(c, "'%s' read as srv*%s", f[0], f[0]);
            first = 0;
        } else {
            sym_chain *ch = new_chain(c, SYM_CHAIN_DIR, *cache);
            if (ch) push_local(c, ch, f[0], false);
            return;
        }
    }
    if (first >= nf) {
        note(c, "%s with no store; element skipped", f[0]);
        return;
    }
    sym_chain *ch = new_chain(c, SYM_CHAIN_SERVER, *cache);
    if (!ch) return;
    if (starts_http(f[first]) && ch->count == 0) {
        /* symsrv never reads HTTP without a local store to download into. */
        if (!push_local(c, ch, "", true)) return;
    }
    for (size_t i = first; i < nf; i++) {
        if (starts_http(f[i])) {
            size_t n = strlen(f[i]);
            while (n > 8 && f[i][n - 1] == '/') f[i][--n] = 0;
            if (i + 1 < nf)
                note(c, "HTTP store '%s' is not last; stores to its right are searched after it",
                     f[i]);
            if (!push_store(c, ch, SYM_STORE_HTTP, f[i], f[i], false)) return;
        } else if (!push_local(c, ch, f[i], false)) {
            return;
        }
    }
}

static char *resolve(sym_path *p, int slot, const char *s)
{
    if (!s) return NULL;
    p->owned_strings[slot] = strdup(s);
    return p->owned_strings[slot];
}

int sym_path_parse(const char *text, const sym_path_options *opt, sym_path **out, cor_err *err)
{
    *out = NULL;
    if (!text) return cor_fail(err, "symbol path: none given");
    sym_path *p = calloc(1, sizeof *p);
    char *copy = strdup(text);
    if (!p || !copy) {
        free(p);
        free(copy);
        return cor_fail(err, "symbol path: out of memory");
    }
    sym_path_options def;
    if (!opt) {
        memset(&def, 0, sizeof def);
        opt = &def;
    }
    /* Own copies of every option string so the path outlives the caller's. */
    for (int i = 0; i < 26; i++) p->opt.drive_map[i] = resolve(p, i, opt->drive_map[i]);
    p->opt.drive_root = resolve(p, 26, opt->drive_root);
    p->opt.unc_root = resolve(p, 27, opt->unc_root);
    p->opt.default_store = resolve(p, 28, opt->default_store);

    parse_ctx c = { p, false };
    char *cache = NULL;
    for (char *s = copy; !c.oom;) {
        char *semi = strchr(s, ';');
        if (semi) *semi = 0;
        char *e = s + strlen(s);
        trim(&s, &e);
        *e = 0;
        if (*s) parse_element(&c, s, &cache);
        if (!semi) break;
        s = semi + 1;
    }
    free(cache);
    free(copy);
    if (c.oom) {
        sym_path_free(p);
        return cor_fail(err, "symbol path: out of memory");
    }
    *out = p;
    return COR_OK;
}

void sym_path_free(sym_path *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->count; i++) {
        for (size_t j = 0; j < p->chains[i].count; j++) {
            free(p->chains[i].stores[j].location);
            free(p->chains[i].stores[j].written);
        }
        free(p->chains[i].stores);
    }
    free(p->chains);
    for (size_t i = 0; i < p->nnotes; i++) free(p->notes[i]);
    free(p->notes);
    for (size_t i = 0; i < sizeof p->owned_strings / sizeof p->owned_strings[0]; i++)
        free(p->owned_strings[i]);
    free(p);
}

char *sym_path_symfix(const char *old, bool append, const char *cache)
{
    strbuf b;
    sb_init(&b);
    if (append && old && *old) {
        sb_puts(&b, old);
        sb_putc(&b, ';');
    }
    sb_printf(&b, "srv*%s*%s", cache ? cache : "", SYM_MSDL_URL);
    return b.s;
}

char *sym_path_describe(const sym_path *p)
{
    strbuf b;
    sb_init(&b);
    for (size_t i = 0; i < p->count; i++) {
        const sym_chain *ch = &p->chains[i];
        sb_puts(&b, ch->kind == SYM_CHAIN_SERVER ? "srv:" : "dir:");
        for (size_t j = 0; j < ch->count; j++)
            sb_printf(&b, "%s%s%s", j ? " -> " : " ", ch->stores[j].is_cache ? "[cache]" : "",
                      ch->stores[j].location);
        sb_putc(&b, '\n');
    }
    if (!b.s) sb_puts(&b, "");
    return b.s;
}
