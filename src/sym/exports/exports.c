/* Export symbols over pe_exports (src/pe/pe_exports.c does the reading;
 * this file only names entries and answers the sym_source questions). */
#include "sym/exports/exports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe/pe_exports.h"

/* "Ordinal" + a 32-bit decimal + NUL. */
#define ORDINAL_NAME_MAX 18

typedef struct export_syms {
    pe_exports *ex;
    const char **names; /* per entry of ex->entries: its name or its "Ordinal<n>" */
    char *ordinal_arena;
    uint32_t image_size; /* addresses at or past it are not the module's */
} export_syms;

static void es_free(void *self)
{
    export_syms *es = self;
    if (!es) return;
    pe_exports_free(es->ex);
    free(es->names);
    free(es->ordinal_arena);
    free(es);
}

static const char *entry_name(const export_syms *es, const pe_export *e)
{
    return es->names[e - es->ex->entries];
}

static bool es_lookup(void *self, uint32_t rva, sym_hit *out)
{
    const export_syms *es = self;
    memset(out, 0, sizeof *out);
    if (rva >= es->image_size) return false;
    const pe_export *e = pe_export_nearest(es->ex, rva);
    if (!e) return false;
    out->function = entry_name(es, e);
    out->func_rva = e->rva;
    out->is_public = true;
    return true;
}

static void es_each(void *self, bool (*fn)(void *ctx, const sym_func *f), void *ctx)
{
    const export_syms *es = self;
    for (size_t i = 0; i < es->ex->nby_rva; i++) {
        const pe_export *e = es->ex->by_rva[i];
        sym_func f = { entry_name(es, e), e->rva, 0 };
        if (!fn(ctx, &f)) return;
    }
}

static bool es_by_name(void *self, const char *name, sym_func *out)
{
    const export_syms *es = self;
    const pe_export *e = pe_export_by_name(es->ex, name);
    if (!e && strncmp(name, "Ordinal", 7) == 0 && name[7] >= '0' && name[7] <= '9') {
        char *end;
        unsigned long long o = strtoull(name + 7, &end, 10);
        if (*end == '\0' && o <= UINT32_MAX) {
            e = pe_export_by_ordinal(es->ex, (uint32_t)o);
            if (e && e->name) e = NULL; /* named exports answer to their name only */
        }
    }
    if (!e || e->forwarder) return false;
    *out = (sym_func){ entry_name(es, e), e->rva, 0 };
    return true;
}

static const sym_source_ops export_ops = {
    .kind = SYM_KIND_EXPORT,
    .lookup = es_lookup,
    .each_function = es_each,
    .by_name = es_by_name,
    .free = es_free,
};

int exports_open_image(const pe_image *img, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    export_syms *es = calloc(1, sizeof *es);
    if (!es) return cor_fail(err, "export symbols: out of memory");
    if (pe_exports_read(img, &es->ex, err) != COR_OK) {
        free(es);
        return cor_wrap(err, "export symbols");
    }
    es->image_size = pe_image_headers(img)->size_of_image;
    size_t n = es->ex->count, unnamed = 0;
    for (size_t i = 0; i < n; i++) unnamed += es->ex->entries[i].name == NULL;
    es->names = calloc(n ? n : 1, sizeof *es->names);
    es->ordinal_arena = malloc(unnamed ? unnamed * ORDINAL_NAME_MAX : 1);
    if (!es->names || !es->ordinal_arena) {
        es_free(es);
        return cor_fail(err, "export symbols: out of memory");
    }
    char *a = es->ordinal_arena;
    for (size_t i = 0; i < n; i++) {
        const pe_export *e = &es->ex->entries[i];
        if (e->name) {
            es->names[i] = e->name;
        } else {
            snprintf(a, ORDINAL_NAME_MAX, "Ordinal%u", (unsigned)e->ordinal);
            es->names[i] = a;
            a += ORDINAL_NAME_MAX;
        }
    }
    out->ops = &export_ops;
    out->self = es;
    return COR_OK;
}

int exports_open_path(const char *path, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    pe_image *img;
    if (pe_image_open_path(path, &img, err) != COR_OK) return COR_FAIL;
    int rc = exports_open_image(img, out, err);
    pe_image_close(img);
    if (rc != COR_OK) return cor_wrap(err, "%s", path);
    out->origin = strdup(path);
    if (!out->origin) {
        sym_source_free(out);
        return cor_fail(err, "out of memory");
    }
    return COR_OK;
}

int exports_open_as(as_space *as, uint64_t base, sym_source *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    pe_image *img;
    if (pe_image_open_as(as, base, &img, err) != COR_OK) return COR_FAIL;
    int rc = exports_open_image(img, out, err);
    pe_image_close(img);
    if (rc != COR_OK) return cor_wrap(err, "module at 0x%llx", (unsigned long long)base);
    return COR_OK;
}
