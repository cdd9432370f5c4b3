#include "target/symbol_loaders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe/pe_files.h"
#include "sym/breakpad/breakpad.h"
#include "sym/exports/exports.h"
#include "sym/pdb/pdb.h"
#include "sym/store/symstore.h"

/* The local directories of a parsed symbol path, for Breakpad's layout. */
typedef struct dir_list {
    char **dirs;
    size_t n;
} dir_list;

static void dirs_free(void *p)
{
    dir_list *l = p;
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) free(l->dirs[i]);
    free(l->dirs);
    free(l);
}

static dir_list *local_dirs(const sym_path *sp)
{
    dir_list *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    for (size_t c = 0; sp && c < sp->count; c++)
        for (size_t k = 0; k < sp->chains[c].count; k++) {
            const sym_store *st = &sp->chains[c].stores[k];
            if (st->kind != SYM_STORE_LOCAL || !st->location) continue;
            char **n = realloc(l->dirs, (l->n + 1) * sizeof *n);
            if (!n || !(n[l->n] = strdup(st->location))) {
                if (n) l->dirs = n;
                dirs_free(l);
                return NULL;
            }
            l->dirs = n;
            l->n++;
        }
    return l;
}

static const char *base_name(const char *p)
{
    const char *b = p;
    for (; *p; p++)
        if (*p == '\\' || *p == '/') b = p + 1;
    return b;
}

/* The PDB loader's state: the store chain, and the target whose
 * sym_loose flag (.reload /i) lets a mismatched PDB through. */
typedef struct pdb_loader {
    symstore *store;
    const cor_target *t;
} pdb_loader;

static void pdb_loader_free(void *p)
{
    pdb_loader *l = p;
    if (!l) return;
    symstore_free(l->store);
    free(l);
}

/* PDBs through the symbol store chain (local stores, flat directories,
 * HTTP servers with their caches), keyed by the module's CodeView GUID and
 * age. A file that arrives under the key but does not match is refused, as
 * WinDbg refuses a mismatched PDB. */
static int load_pdb(void *ctx, sym_resolver *r, size_t i, sym_source *out, cor_err *err)
{
    const pdb_loader *l = ctx;
    symstore *store = l->store;
    const md_module *m = md_module_at(sym_resolver_dump(r), i);
    if (m->cv.kind != MD_CV_RSDS || !m->cv.pdb_path || !*m->cv.pdb_path) return COR_OK;
    sym_key key;
    cor_err miss;
    if (sym_key_pdb70(&key, base_name(m->cv.pdb_path), m->cv.guid, m->cv.age, &miss) != COR_OK) return COR_OK;
    char *path = NULL;
    if (symstore_find(store, &key, &path, &miss) != COR_OK) return COR_OK;
    pdb_file *p;
    if (pdb_file_open(path, &p, err) != COR_OK) {
        cor_wrap(err, "%s", path);
        free(path);
        return COR_FAIL;
    }
    bool match = memcmp(pdb_guid(p), m->cv.guid, 16) == 0 && pdb_age(p) == m->cv.age;
    if (!match && !l->t->sym_loose) {
        pdb_file_close(p);
        cor_fail(err, "%s does not match %s (GUID or age differs): refused (.reload /i accepts it)", path, m->name);
        free(path);
        return COR_FAIL;
    }
    /* The file checked above becomes the source: no second open. */
    int rc = pdb_source_from_file(p, path, out, err);
    free(path);
    return rc;
}

/* Fetches the PDBs of many modules at once: symstore_find_batch runs the
 * HTTP transfers in parallel and leaves the files in the downstream cache,
 * where load_pdb then finds them without the network. */
static void prefetch_pdbs(void *ctx, sym_resolver *r, const size_t *modules, size_t n)
{
    const pdb_loader *l = ctx;
    sym_key *keys = calloc(n ? n : 1, sizeof *keys);
    symstore_result *res = calloc(n ? n : 1, sizeof *res);
    size_t k = 0;
    for (size_t i = 0; keys && res && i < n; i++) {
        const md_module *m = md_module_at(sym_resolver_dump(r), modules[i]);
        cor_err e;
        if (m->cv.kind == MD_CV_RSDS && m->cv.pdb_path && *m->cv.pdb_path &&
            sym_key_pdb70(&keys[k], base_name(m->cv.pdb_path), m->cv.guid, m->cv.age, &e) == COR_OK)
            k++;
    }
    if (k) symstore_find_batch(l->store, keys, k, res);
    for (size_t i = 0; res && i < k; i++) free(res[i].path);
    free(keys);
    free(res);
}

/* Breakpad .sym files in Breakpad's directory layout. */
static int load_breakpad(void *ctx, sym_resolver *r, size_t i, sym_source *out, cor_err *err)
{
    dir_list *l = ctx;
    const md_module *m = md_module_at(sym_resolver_dump(r), i);
    if (m->cv.kind == MD_CV_NONE) return COR_OK;
    for (size_t k = 0; k < l->n; k++) {
        char *path = NULL;
        cor_err miss;
        if (breakpad_find_for_codeview(l->dirs[k], &m->cv, &path, &miss) != COR_OK) continue;
        int rc = breakpad_open(path, out, err);
        if (rc == COR_OK && !out->origin) out->origin = path;
        else free(path);
        return rc;
    }
    return COR_OK;
}

/* The export table, read from the image in dump memory (or from an image
 * file on the image path). Small dumps hold no image pages: then the image
 * itself is fetched from the symbol stores by its timestamp and size, as
 * WinDbg does for minidumps. ctx is the symbol store, or NULL. */
typedef struct export_loader {
    symstore *store; /* borrowed from the PDB loader, or NULL */
    cor_target *t;
} export_loader;

static int load_exports(void *ctx, sym_resolver *r, size_t i, sym_source *out, cor_err *err)
{
    (void)err;
    export_loader *el = ctx;
    symstore *store = el->store;
    const md_module *m = md_module_at(sym_resolver_dump(r), i);
    cor_err miss;
    if (exports_open_as(sym_resolver_as(r), m->base, out, &miss) == COR_OK) {
        /* Read through the address space: from the dump, or from the image
         * file that serves the pages the dump lacks (then name the file). */
        const char *file = pe_files_loaded_file(el->t->images, i);
        if (!out->origin) out->origin = strdup(file ? file : m->name);
        return COR_OK;
    }
    memset(out, 0, sizeof *out);
    sym_key key;
    char *path = NULL;
    if (store && sym_key_image(&key, m->name, m->timestamp, m->size, &miss) == COR_OK &&
        symstore_find(store, &key, &path, &miss) == COR_OK) {
        if (exports_open_path(path, out, &miss) == COR_OK) {
            if (!out->origin) out->origin = path;
            else free(path);
            return COR_OK;
        }
        memset(out, 0, sizeof *out);
        free(path);
    }
    return COR_OK;
}

int target_add_symbol_loaders(cor_target *t, sym_resolver *r, const char *path, cor_err *err)
{
    sym_path_options o;
    sym_path_options_from_env(&o);
    sym_path *sp = NULL;
    if (path && *path && sym_path_parse(path, &o, &sp, err) != COR_OK) return COR_FAIL;
    dir_list *bp_dirs = local_dirs(sp);
    if (!bp_dirs) {
        sym_path_free(sp);
        return cor_fail(err, "out of memory");
    }
    symstore *store = NULL;
    if (sp) {
        symstore_options so;
        symstore_options_default(&so);
        so.noisy = t->sym_noisy;
        if (symstore_new(sp, &so, &store, err) != COR_OK) { /* takes sp */
            dirs_free(bp_dirs);
            return COR_FAIL;
        }
        pdb_loader *pl = calloc(1, sizeof *pl);
        if (!pl) {
            symstore_free(store);
            dirs_free(bp_dirs);
            return cor_fail(err, "out of memory");
        }
        pl->store = store;
        pl->t = t;
        if (sym_resolver_add_loader(r, load_pdb, pl, pdb_loader_free, err) != COR_OK) {
            dirs_free(bp_dirs);
            return COR_FAIL;
        }
        sym_resolver_set_prefetch(r, prefetch_pdbs);
    }
    if (sym_resolver_add_loader(r, load_breakpad, bp_dirs, dirs_free, err) != COR_OK) return COR_FAIL;
    /* The PDB loader owns the store; the export loader only borrows it. */
    export_loader *el = calloc(1, sizeof *el);
    if (!el) return cor_fail(err, "out of memory");
    el->store = store;
    el->t = t;
    return sym_resolver_add_loader(r, load_exports, el, free, err);
}
