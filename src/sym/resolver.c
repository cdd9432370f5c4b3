#include "sym/resolver.h"

#include "sym/msvc_demangle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct loader {
    sym_loader_fn fn;
    void *ctx;
    void (*free_ctx)(void *);
    sym_prefetch_fn prefetch;
} loader;

typedef struct module_syms {
    sym_state state;
    sym_source src;
    char error[256];
} module_syms;

struct sym_resolver {
    md_dump *dump;
    as_space *as;
    loader *loaders;
    size_t nloaders;
    module_syms *mods; /* indexed like md_module_at */
    size_t nmods;
    /* The last answer's undecorated name (publics and exports of C++ code
     * are stored decorated); valid until the next sym_resolve. */
    char demangled[512];
};

int sym_resolver_new(md_dump *d, as_space *as, sym_resolver **out, cor_err *err)
{
    sym_resolver *r = calloc(1, sizeof *r);
    if (!r) return cor_fail(err, "out of memory");
    r->dump = d;
    r->as = as;
    r->nmods = md_module_count(d);
    r->mods = calloc(r->nmods ? r->nmods : 1, sizeof *r->mods);
    if (!r->mods) {
        free(r);
        return cor_fail(err, "out of memory");
    }
    *out = r;
    return COR_OK;
}

void sym_resolver_free(sym_resolver *r)
{
    if (!r) return;
    sym_module_unload(r, (size_t)-1);
    for (size_t k = 0; k < r->nloaders; k++)
        if (r->loaders[k].free_ctx) r->loaders[k].free_ctx(r->loaders[k].ctx);
    free(r->mods);
    free(r->loaders);
    free(r);
}

int sym_resolver_add_loader(sym_resolver *r, sym_loader_fn fn, void *ctx, void (*free_ctx)(void *), cor_err *err)
{
    loader *n = realloc(r->loaders, (r->nloaders + 1) * sizeof *n);
    if (!n) {
        if (free_ctx) free_ctx(ctx);
        return cor_fail(err, "out of memory");
    }
    r->loaders = n;
    r->loaders[r->nloaders++] = (loader){ fn, ctx, free_ctx, NULL };
    return COR_OK;
}

void sym_resolver_set_prefetch(sym_resolver *r, sym_prefetch_fn fn)
{
    if (r->nloaders) r->loaders[r->nloaders - 1].prefetch = fn;
}

void sym_resolver_prefetch(sym_resolver *r, const size_t *modules, size_t n)
{
    size_t *todo = malloc((n ? n : 1) * sizeof *todo), k = 0;
    if (!todo) return;
    for (size_t i = 0; i < n; i++)
        if (modules[i] < r->nmods && r->mods[modules[i]].state == SYM_STATE_DEFERRED) todo[k++] = modules[i];
    for (size_t l = 0; k && l < r->nloaders; l++)
        if (r->loaders[l].prefetch) r->loaders[l].prefetch(r->loaders[l].ctx, r, todo, k);
    free(todo);
}

md_dump *sym_resolver_dump(const sym_resolver *r) { return r->dump; }
as_space *sym_resolver_as(const sym_resolver *r) { return r->as; }

sym_state sym_module_load(sym_resolver *r, size_t i)
{
    if (i >= r->nmods) return SYM_STATE_NONE;
    module_syms *m = &r->mods[i];
    if (m->state != SYM_STATE_DEFERRED) return m->state;
    m->state = SYM_STATE_NONE;
    for (size_t k = 0; k < r->nloaders; k++) {
        sym_source src = { 0 };
        cor_err err = { "" };
        if (r->loaders[k].fn(r->loaders[k].ctx, r, i, &src, &err) != COR_OK) {
            /* Keep the first error; later loaders may still succeed. */
            if (!m->error[0]) snprintf(m->error, sizeof m->error, "%s", err.msg);
            continue;
        }
        if (src.ops) {
            m->src = src;
            m->state = SYM_STATE_LOADED;
            break;
        }
    }
    return m->state;
}

sym_state sym_module_state(const sym_resolver *r, size_t i)
{
    return i < r->nmods ? r->mods[i].state : SYM_STATE_NONE;
}

const sym_source *sym_module_source(const sym_resolver *r, size_t i)
{
    return i < r->nmods && r->mods[i].state == SYM_STATE_LOADED ? &r->mods[i].src : NULL;
}

const char *sym_module_error(const sym_resolver *r, size_t i)
{
    return i < r->nmods ? r->mods[i].error : "";
}

void sym_module_unload(sym_resolver *r, size_t i)
{
    for (size_t k = 0; k < r->nmods; k++) {
        if (i != (size_t)-1 && k != i) continue;
        sym_source_free(&r->mods[k].src);
        memset(&r->mods[k], 0, sizeof r->mods[k]);
    }
}

bool sym_resolve(sym_resolver *r, uint64_t addr, size_t *module, bool *has_symbol, sym_hit *hit)
{
    *has_symbol = false;
    const md_module *m = md_module_by_addr(r->dump, addr);
    if (!m) return false;
    size_t i = (size_t)(m - md_module_at(r->dump, 0));
    *module = i;
    if (sym_module_load(r, i) == SYM_STATE_LOADED)
        *has_symbol = sym_lookup(&r->mods[i].src, (uint32_t)(addr - m->base), hit);
    if (*has_symbol && hit->function && hit->function[0] == '?' &&
        msvc_demangle_name(hit->function, r->demangled, sizeof r->demangled))
        hit->function = r->demangled;
    return true;
}
