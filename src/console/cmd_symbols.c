/* Symbol commands: .reload, ln, x, !lmi. Symbols come from the target's
 * resolver (src/sym/resolver.h), which loads each module's lazily. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sym/resolver.h"
#include "sym/store/sympath.h"

/* Module indices whose display name matches pattern (all when NULL). */
static bool module_matches(con_session *s, size_t i, const char *pattern)
{
    return !pattern || glob_match_ci(pattern, con_module_name(s, i));
}

int cmd_reload(con_session *s, const char *name, const char *args, cor_err *err)
{
    bool force = false;
    char pattern[256] = "";
    while (*args) {
        while (*args == ' ') args++;
        if (args[0] == '/') {
            if (args[1] == 'f' || args[1] == 'F') force = true;
            /* /i: take symbol files even when they do not match (WinDbg's
             * "ignore mismatches"); it stays on for the session. */
            if (args[1] == 'i' || args[1] == 'I') s->t->sym_loose = force = true;
            args += 2;
            continue;
        }
        size_t n = strcspn(args, " ");
        if (!n) break;
        snprintf(pattern, sizeof pattern, "%.*s", (int)n, args);
        /* ".reload foo.dll" names the image; the display name has no extension. */
        char *dot = strrchr(pattern, '.');
        if (dot && dot != pattern) *dot = 0;
        args += n;
    }
    size_t matched = 0, nmods = md_module_count(s->t->dump);
    size_t *which = malloc((nmods ? nmods : 1) * sizeof *which);
    if (!which) return cor_fail(err, "out of memory");
    for (size_t i = 0; i < nmods; i++) {
        if (!module_matches(s, i, *pattern ? pattern : NULL)) continue;
        which[matched++] = i;
        sym_module_unload(s->t->syms, i);
    }
    /* /f: fetch every file in one parallel batch, then load module by module. */
    if (force) {
        sym_resolver_prefetch(s->t->syms, which, matched);
        for (size_t k = 0; k < matched; k++) sym_module_load(s->t->syms, which[k]);
    }
    free(which);
    if (*pattern && !matched) return cor_fail(err, "Module %s not found in the module list", pattern);
    if (!*pattern) {
        con_puts(s, "Reloading current modules\n");
        for (size_t i = 0; i < matched; i++) con_puts(s, ".");
        con_puts(s, "\n");
    }
    return COR_OK;
}

/* ln ADDR: the nearest symbol at or before ADDR, and where its function ends. */
int cmd_ln(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t addr;
    const char *end;
    if (!*args) {
        md_context c;
        if (target_current_context(s->t, &c, err) != COR_OK) return COR_FAIL;
        addr = c.ip;
    } else if (con_eval(s, args, &end, &addr, err) != COR_OK) {
        return COR_FAIL;
    }
    size_t mi;
    bool has;
    sym_hit hit;
    if (!sym_resolve(s->t->syms, addr, &mi, &has, &hit) || !has || !hit.function) {
        char a[24];
        return cor_fail(err, "No symbol found at %s", con_fmt_addr(s, addr, a));
    }
    uint64_t base = md_module_at(s->t->dump, mi)->base, start = base + hit.func_rva;
    char a[24], b[24], sym[512];
    con_symbolize(s, addr, false, sym, sizeof sym);
    con_printf(s, "(%s)   %s", con_fmt_addr(s, start, a), sym);
    if (hit.func_size) {
        sym_hit next;
        bool nhas;
        size_t nmi;
        uint64_t after = start + hit.func_size;
        if (sym_resolve(s->t->syms, after, &nmi, &nhas, &next) && nhas && next.function &&
            base + next.func_rva == after)
            con_printf(s, "   |  (%s)   %s!%s", con_fmt_addr(s, after, b), con_module_name(s, nmi), next.function);
    }
    con_puts(s, "\n");
    if (addr == start) con_printf(s, "Exact matches:\n    %s!%s\n", con_module_name(s, mi), hit.function);
    if (hit.file && hit.line) con_printf(s, "    [%s @ %u]\n", hit.file, hit.line);
    return COR_OK;
}

typedef struct x_ctx {
    con_session *s;
    size_t module;
    const char *pattern;
    size_t count;
} x_ctx;

static bool x_each(void *ctx, const sym_func *f)
{
    x_ctx *x = ctx;
    if (!f->name || !glob_match_ci(x->pattern, f->name)) return true;
    char a[24];
    uint64_t base = md_module_at(x->s->t->dump, x->module)->base;
    con_printf(x->s, "%s %s!%s\n", con_fmt_addr(x->s, base + f->rva, a), con_module_name(x->s, x->module), f->name);
    x->count++;
    return true;
}

/* x module!pattern: functions whose names match, in the source's order. */
int cmd_x(con_session *s, const char *name, const char *args, cor_err *err)
{
    while (*args == ' ') args++;
    const char *bang = strchr(args, '!');
    char mod[256], pat[512];
    if (bang) {
        snprintf(mod, sizeof mod, "%.*s", (int)(bang - args), args);
        snprintf(pat, sizeof pat, "%s", bang + 1);
    } else {
        snprintf(mod, sizeof mod, "*");
        snprintf(pat, sizeof pat, "%s", args);
    }
    pat[strcspn(pat, " ")] = 0;
    if (!*pat) return cor_fail(err, "Syntax error: x module!pattern");
    x_ctx x = { s, 0, pat, 0 };
    for (size_t i = 0; i < md_module_count(s->t->dump); i++) {
        if (!module_matches(s, i, mod)) continue;
        if (sym_module_load(s->t->syms, i) != SYM_STATE_LOADED) continue;
        const sym_source *src = sym_module_source(s->t->syms, i);
        if (!src->ops->each_function) continue;
        x.module = i;
        src->ops->each_function(src->self, x_each, &x);
    }
    return COR_OK;
}

/* !lmi module: what is known about one module and its symbols. */
int cmd_lmi(con_session *s, const char *name, const char *args, cor_err *err)
{
    while (*args == ' ') args++;
    size_t i = (size_t)-1;
    uint64_t addr;
    const char *end;
    for (size_t k = 0; k < md_module_count(s->t->dump); k++)
        if (*args && (strcasecmp(args, con_module_name(s, k)) == 0 ||
                      strcasecmp(args, md_module_at(s->t->dump, k)->name) == 0))
            i = k;
    if (i == (size_t)-1 && *args && con_eval(s, args, &end, &addr, NULL) == COR_OK) i = con_module_index(s, addr);
    if (i == (size_t)-1) return cor_fail(err, "%s not found", *args ? args : "(no module given)");
    const md_module *m = md_module_at(s->t->dump, i);
    char a[24], id[48];
    sym_state st = sym_module_load(s->t->syms, i);
    const sym_source *src = sym_module_source(s->t->syms, i);
    con_printf(s, "Loaded Module Info: [%s] \n", con_module_name(s, i));
    con_printf(s, "         Module: %s\n", con_module_name(s, i));
    con_printf(s, "   Base Address: %s\n", con_fmt_addr(s, m->base, a));
    con_printf(s, "     Image Name: %s\n", m->path);
    con_printf(s, "     Time Stamp: %08x\n", m->timestamp);
    con_printf(s, "           Size: %x\n", m->size);
    con_printf(s, "       CheckSum: %x\n", m->checksum);
    if (m->cv.kind != MD_CV_NONE)
        con_printf(s, "       CodeView: %s %s, Pdb: %s\n", m->cv.kind == MD_CV_RSDS ? "RSDS" : "NB10",
                   md_codeview_id(&m->cv, id), m->cv.pdb_path ? m->cv.pdb_path : "");
    if (st == SYM_STATE_LOADED) {
        con_printf(s, "    Symbol Type: %s - Symbols loaded successfully\n", sym_kind_status(src->ops->kind));
        if (src->origin) con_printf(s, "                 %s\n", src->origin);
        /* A better source that was found but refused (a mismatched PDB). */
        const char *why = sym_module_error(s->t->syms, i);
        if (*why) con_printf(s, "    Load Report: %s\n", why);
    } else {
        const char *why = sym_module_error(s->t->syms, i);
        con_printf(s, "    Symbol Type: NONE - %s\n", *why ? why : "no symbols found on the symbol path");
    }
    return COR_OK;
}

/* .symfix[+] [CACHE]: Microsoft's public symbol server behind a local
 * cache, replacing (or with +, extending) the symbol path. */
int cmd_symfix(con_session *s, const char *name, const char *args, cor_err *err)
{
    bool append = false;
    while (*args == ' ') args++;
    if (*args == '+') {
        append = true;
        args++;
        while (*args == ' ') args++;
    }
    char *np = sym_path_symfix(con_symbol_path(s), append, *args ? args : NULL);
    if (!np) return cor_fail(err, "out of memory");
    int rc = con_set_symbol_path(s, np, err);
    free(np);
    if (rc != COR_OK) return COR_FAIL;
    return cmd_sympath(s, ".sympath", "", err);
}

/* !sym noisy | quiet: whether every symbol-store probe is logged. */
int cmd_sym(con_session *s, const char *name, const char *args, cor_err *err)
{
    while (*args == ' ') args++;
    if (strncasecmp(args, "noisy", 5) == 0) s->t->sym_noisy = true;
    else if (strncasecmp(args, "quiet", 5) == 0) s->t->sym_noisy = false;
    else if (*args) return cor_fail(err, "!sym: unknown option '%s' (noisy, quiet)", args);
    /* The loaders copy the flag when made: make them again, keeping the path. */
    if (*args) {
        char *path = s->t->symbol_path ? strdup(s->t->symbol_path) : NULL;
        int rc = target_set_symbol_path(s->t, path, err);
        free(path);
        if (rc != COR_OK) return COR_FAIL;
    }
    con_printf(s, "%s mode - symbol prompts on\n", s->t->sym_noisy ? "noisy" : "quiet");
    return COR_OK;
}
