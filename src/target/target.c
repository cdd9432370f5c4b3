#include "target/target.h"
#include "unwind/unwind.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pe/pe_files.h"
#include "sym/resolver.h"
#include "sym/store/symkey.h"
#include "sym/store/sympath.h"
#include "sym/store/symstore.h"
#include "target/symbol_loaders.h"
#include "target/wow64.h"

int target_open(const char *path, cor_target **out, cor_err *err)
{
    *out = NULL;
    cor_target *t = calloc(1, sizeof *t);
    if (!t) return cor_fail(err, "out of memory");
    t->path = strdup(path);
    if (!t->path || md_open(path, &t->dump, err) != COR_OK || as_open(t->dump, &t->as, err) != COR_OK) {
        target_close(t);
        return COR_FAIL;
    }
    if (target_set_symbol_path(t, NULL, err) != COR_OK) {
        target_close(t);
        return COR_FAIL;
    }
    t->arch = md_dump_arch(t->dump);
    t->ptr_size = md_arch_ptr_size(t->arch);
    t->eff_arch = t->arch;
    t->eff_ptr_size = t->ptr_size;
    t->cur_thread = target_default_thread(t);
    *out = t;
    return COR_OK;
}

void target_close(cor_target *t)
{
    if (!t) return;
    uw_walker_free(t->walker);
    sym_resolver_free(t->syms);
    as_close(t->as);
    pe_files_free(t->images);
    symstore_free(t->image_store);
    free(t->symbol_path);
    md_close(t->dump);
    free(t->image_path);
    free(t->path);
    free(t);
}

/* The image a symbol store holds for a module (downloading it into the
 * cache when the store is a server). */
static char *store_image(void *ctx, const char *name, uint32_t timestamp, uint32_t size, cor_err *err)
{
    sym_key key;
    char *path = NULL;
    if (sym_key_image(&key, name, timestamp, size, err) != COR_OK) return NULL;
    if (symstore_find(ctx, &key, &path, err) != COR_OK) return NULL;
    return path;
}

/* Image files serve what the dump lacks: from the image path first, then
 * from the symbol stores. */
static int rebuild_images(cor_target *t, const char *image_path, cor_err *err)
{
    pe_files *f = NULL;
    bool want = (image_path && *image_path) || t->image_store;
    if (want && pe_files_new(t->dump, image_path ? image_path : "", &f, err) != COR_OK) return COR_FAIL;
    if (f && t->image_store) pe_files_set_finder(f, store_image, t->image_store);
    as_set_fallback(t->as, f ? pe_files_fallback : NULL, f);
    pe_files_free(t->images);
    t->images = f;
    return COR_OK;
}

int target_set_image_path(cor_target *t, const char *path, cor_err *err)
{
    if (rebuild_images(t, path, err) != COR_OK) return COR_FAIL;
    free(t->image_path);
    t->image_path = path && *path ? strdup(path) : NULL;
    return COR_OK;
}

/* A store over the symbol path for image files, or NULL when it names no
 * store (plain directories are searched as stores too, as dbghelp does). */
static symstore *image_store_for(const char *path, bool noisy)
{
    if (!path || !*path) return NULL;
    sym_path_options o;
    sym_path_options_from_env(&o);
    sym_path *sp = NULL;
    cor_err e;
    if (sym_path_parse(path, &o, &sp, &e) != COR_OK) return NULL;
    symstore_options so;
    symstore_options_default(&so);
    so.noisy = noisy;
    symstore *st = NULL;
    if (symstore_new(sp, &so, &st, &e) != COR_OK) return NULL; /* takes sp */
    return st;
}

int target_set_symbol_path(cor_target *t, const char *path, cor_err *err)
{
    char *copy = path && *path ? strdup(path) : NULL;
    if (path && *path && !copy) return cor_fail(err, "out of memory");
    /* A new resolver: loaders are bound to the path they were made for. */
    sym_resolver *r;
    if (sym_resolver_new(t->dump, t->as, &r, err) != COR_OK) {
        free(copy);
        return COR_FAIL;
    }
    if (target_add_symbol_loaders(t, r, copy, err) != COR_OK) {
        sym_resolver_free(r);
        free(copy);
        return COR_FAIL;
    }
    sym_resolver_free(t->syms);
    t->syms = r;
    free(t->symbol_path);
    t->symbol_path = copy;
    /* The image files follow the new path's stores. */
    symstore *old_store = t->image_store;
    t->image_store = image_store_for(copy, t->sym_noisy);
    int rc = rebuild_images(t, t->image_path, err);
    symstore_free(old_store);
    return rc;
}

char *target_env_symbol_path(void)
{
    const char *alt = getenv("_NT_ALT_SYMBOL_PATH"), *main = getenv("_NT_SYMBOL_PATH");
    if (alt && !*alt) alt = NULL;
    if (main && !*main) main = NULL;
    if (!alt && !main) return NULL;
    char *s;
    if (asprintf(&s, "%s%s%s", alt ? alt : "", alt && main ? ";" : "", main ? main : "") < 0) return NULL;
    return s;
}

int target_set_effective_machine(cor_target *t, uint16_t arch, cor_err *err)
{
    if (arch != t->arch && !(arch == MD_ARCH_X86 && t->arch == MD_ARCH_AMD64))
        return cor_fail(err, "%s is not a machine of this %s target", md_arch_name(arch), md_arch_name(t->arch));
    /* An AMD64 process has an x86 side only under WoW64. */
    if (arch != t->arch && !target_is_wow64(t))
        return cor_fail(err, "x86 is not a machine of this target: not a 32-bit process under WoW64 "
                             "(no wow64.dll or wow64cpu.dll loaded)");
    if (arch != t->eff_arch) t->has_ctx_override = false;
    t->eff_arch = arch;
    t->eff_ptr_size = md_arch_ptr_size(arch);
    return COR_OK;
}

bool target_wow64_view(const cor_target *t) { return t->eff_arch != t->arch; }

int target_thread_context(cor_target *t, size_t i, md_context *out, cor_err *err)
{
    const md_thread *th = md_thread_at(t->dump, i);
    if (!th) return cor_fail(err, "no thread %zu", i);
    if (target_wow64_view(t)) return target_wow64_context(t, i, out, err);
    return md_context_read(t->dump, th->context, t->arch, out, err);
}

uint64_t target_thread_teb(cor_target *t, size_t i)
{
    const md_thread *th = md_thread_at(t->dump, i);
    if (!th) return 0;
    uint64_t teb32 = target_wow64_view(t) ? target_wow64_teb32(t, i) : 0;
    return teb32 ? teb32 : th->teb;
}

int target_current_context(cor_target *t, md_context *out, cor_err *err)
{
    if (t->has_ctx_override) {
        *out = t->ctx_override;
        return COR_OK;
    }
    return target_thread_context(t, t->cur_thread, out, err);
}

size_t target_thread_index(const cor_target *t, uint32_t tid)
{
    return md_thread_index_by_tid(t->dump, tid);
}

size_t target_default_thread(const cor_target *t)
{
    const md_exception *x = md_get_exception(t->dump);
    if (x) {
        size_t i = target_thread_index(t, x->tid);
        if (i != (size_t)-1) return i;
    }
    return 0;
}
