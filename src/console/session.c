/* The console session: output sinks, the prompt, module display names,
 * address symbolization, and the binding of expressions to the target
 * (registers, pseudo-registers, module names, memory). */
#include "console/con_internal.h"
#include "disasm/disasm.h"
#include "sym/resolver.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void con_printf(con_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (s->out_sb) sb_vprintf(s->out_sb, fmt, ap);
    else vfprintf(s->out_fp, fmt, ap);
    va_end(ap);
}

void con_puts(con_session *s, const char *str)
{
    if (s->out_sb) sb_puts(s->out_sb, str);
    else fputs(str, s->out_fp);
}

/* The effective machine's (.effmach): 4 in the x86 view of a WoW64 dump. */
unsigned con_ptr_size(const con_session *s) { return s->t->eff_ptr_size == 4 ? 4 : 8; }

/* In the x86 view of a 64-bit dump, an address above 4 GB (a 64-bit
 * module, the 64-bit stack) keeps the 64-bit form rather than being cut. */
static bool fits_ptr(const con_session *s, uint64_t v)
{
    return con_ptr_size(s) == 4 && (s->t->ptr_size == 4 || v <= 0xFFFFFFFFu);
}

const char *con_fmt_addr(const con_session *s, uint64_t v, char *buf)
{
    if (fits_ptr(s, v)) snprintf(buf, 24, "%08" PRIx64, v & 0xFFFFFFFFu);
    else snprintf(buf, 24, "%08" PRIx64 "`%08" PRIx64, v >> 32, v & 0xFFFFFFFFu);
    return buf;
}

const char *con_fmt_addr_plain(const con_session *s, uint64_t v, char *buf)
{
    if (fits_ptr(s, v)) snprintf(buf, 24, "%08" PRIx64, v & 0xFFFFFFFFu);
    else snprintf(buf, 24, "%016" PRIx64, v);
    return buf;
}

/* WinDbg names a module after its file name without the extension, with
 * characters that cannot appear in a symbol name turned into '_'
 * (System.Web.ni.dll is System_Web_ni); a second module of the same name
 * gets its base address appended (ntdll_77a20000). */
static char *display_name(const md_module *m)
{
    const char *n = m->name ? m->name : "";
    size_t len = strlen(n);
    const char *dot = strrchr(n, '.');
    if (dot && dot != n) len = (size_t)(dot - n);
    if (len == 0) {
        char buf[48];
        snprintf(buf, sizeof buf, "Unknown_Module_%08" PRIx64, m->base);
        return strdup(buf);
    }
    char *out = malloc(len + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)n[i];
        out[i] = (isalnum(c) || c == '_' || c >= 0x80) ? (char)c : '_';
    }
    out[len] = 0;
    return out;
}

static int build_names(con_session *s, cor_err *err)
{
    md_dump *d = s->t->dump;
    size_t n = md_module_count(d);
    s->nmods = n;
    if (!n) return COR_OK;
    s->mod_names = calloc(n, sizeof *s->mod_names);
    s->mod_sorted = malloc(n * sizeof *s->mod_sorted);
    if (!s->mod_names || !s->mod_sorted) return cor_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const md_module *m = md_module_at(d, i);
        char *name = display_name(m);
        if (!name) return cor_fail(err, "out of memory");
        for (size_t j = 0; j < i; j++) {
            if (strcasecmp(s->mod_names[j], name) == 0) {
                char buf[300];
                snprintf(buf, sizeof buf, "%.250s_%" PRIx64, name, m->base);
                free(name);
                name = strdup(buf);
                if (!name) return cor_fail(err, "out of memory");
                break;
            }
        }
        s->mod_names[i] = name;
    }
    /* Insertion sort by base: module lists are short (hundreds), and this
     * keeps the comparison free of global state. */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        uint64_t b = md_module_at(d, i)->base;
        while (j > 0 && md_module_at(d, s->mod_sorted[j - 1])->base > b) {
            s->mod_sorted[j] = s->mod_sorted[j - 1];
            j--;
        }
        s->mod_sorted[j] = i;
    }
    return COR_OK;
}

const char *con_module_name(const con_session *s, size_t i) { return i < s->nmods ? s->mod_names[i] : "?"; }

size_t con_module_index(const con_session *s, uint64_t addr)
{
    /* Last module with base <= addr, then its extent. */
    md_dump *d = s->t->dump;
    size_t lo = 0, hi = s->nmods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (md_module_at(d, s->mod_sorted[mid])->base <= addr) lo = mid + 1;
        else hi = mid;
    }
    if (!lo) return (size_t)-1;
    size_t i = s->mod_sorted[lo - 1];
    const md_module *m = md_module_at(d, i);
    return addr - m->base < m->size ? i : (size_t)-1;
}

bool con_symbolize(const con_session *s, uint64_t addr, bool pad_offset, char *buf, size_t size)
{
    buf[0] = 0;
    size_t i = con_module_index(s, addr);
    if (i == (size_t)-1) return false;
    uint64_t off = addr - md_module_at(s->t->dump, i)->base;
    /* With symbols: module!function+0xoff, loading them on first use as
     * WinDbg does with deferred symbols. */
    size_t mi;
    bool has = false;
    sym_hit hit;
    if (sym_resolve(s->t->syms, addr, &mi, &has, &hit) && has && hit.function) {
        uint64_t foff = off - hit.func_rva;
        if (pad_offset)
            snprintf(buf, size, "%s!%s+0x%0*" PRIx64, s->mod_names[i], hit.function, con_ptr_size(s) == 4 ? 8 : 16,
                     foff);
        else if (foff)
            snprintf(buf, size, "%s!%s+0x%" PRIx64, s->mod_names[i], hit.function, foff);
        else
            snprintf(buf, size, "%s!%s", s->mod_names[i], hit.function);
        return true;
    }
    if (pad_offset)
        snprintf(buf, size, "%s+0x%0*" PRIx64, s->mod_names[i], con_ptr_size(s) == 4 ? 8 : 16, off);
    else if (off)
        snprintf(buf, size, "%s+0x%" PRIx64, s->mod_names[i], off);
    else
        snprintf(buf, size, "%s", s->mod_names[i]);
    return true;
}

/* Expression binding. */

static int lookup_pseudo(con_session *s, const char *name, size_t len, uint64_t *v)
{
    md_context c;
    cor_err err;
    const md_thread *th = md_thread_at(s->t->dump, s->t->cur_thread);
#define IS(lit) (len == sizeof(lit) - 1 && strncasecmp(name, lit, len) == 0)
    if (IS("$ip") || IS("$csp") || IS("$retreg")) {
        if (target_current_context(s->t, &c, &err) != COR_OK) return COR_FAIL;
        *v = IS("$ip") ? c.ip : IS("$csp") ? c.sp : c.gpr[REG_RAX];
        return COR_OK;
    }
    if (IS("$tid")) { if (!th) return COR_FAIL; *v = th->tid; return COR_OK; }
    if (IS("$tpid")) {
        const md_misc_info *mi = md_get_misc_info(s->t->dump);
        if (!mi || !(mi->flags & MD_MISC_PROCESS_ID)) return COR_FAIL;
        *v = mi->pid;
        return COR_OK;
    }
    if (IS("$teb")) return con_teb_address(s, v);
    if (IS("$peb")) return con_peb_address(s, v);
    if (IS("$ptrsize")) { *v = con_ptr_size(s); return COR_OK; }
#undef IS
    return COR_FAIL;
}

static int env_lookup(void *ctx, const char *name, size_t len, bool at, uint64_t *v)
{
    con_session *s = ctx;
    if (name[0] == '$') return lookup_pseudo(s, name, len, v);
    md_context c;
    cor_err err;
    unsigned width;
    if (target_current_context(s->t, &c, &err) == COR_OK && con_register_value(&c, name, len, v, &width) == COR_OK)
        return COR_OK;
    if (at) return COR_FAIL;
    /* module!symbol: the module's symbols, loaded now if deferred. */
    const char *bang = memchr(name, '!', len);
    if (bang) {
        size_t mlen = (size_t)(bang - name);
        char sym[512];
        snprintf(sym, sizeof sym, "%.*s", (int)(len - mlen - 1), bang + 1);
        for (size_t i = 0; i < s->nmods; i++) {
            if (strlen(s->mod_names[i]) != mlen || strncasecmp(s->mod_names[i], name, mlen) != 0) continue;
            const sym_source *src = sym_module_load(s->t->syms, i) == SYM_STATE_LOADED
                                        ? sym_module_source(s->t->syms, i) : NULL;
            sym_func f;
            if (src && src->ops->by_name && src->ops->by_name(src->self, sym, &f)) {
                *v = md_module_at(s->t->dump, i)->base + f.rva;
                return COR_OK;
            }
        }
        return COR_FAIL;
    }
    for (size_t i = 0; i < s->nmods; i++)
        if (strlen(s->mod_names[i]) == len && strncasecmp(s->mod_names[i], name, len) == 0) {
            *v = md_module_at(s->t->dump, i)->base;
            return COR_OK;
        }
    return COR_FAIL;
}

static int env_read(void *ctx, uint64_t addr, unsigned size, uint64_t *v)
{
    con_session *s = ctx;
    if (size == 0) size = con_ptr_size(s);
    uint8_t b[8] = { 0 };
    cor_err err;
    if (as_read(s->t->as, addr, b, size, &err) != COR_OK) return COR_FAIL;
    uint64_t x = 0;
    for (unsigned i = size; i-- > 0;) x = x << 8 | b[i];
    *v = x;
    return COR_OK;
}

int con_eval(con_session *s, const char *text, const char **end, uint64_t *out, cor_err *err)
{
    return expr_eval(&s->env, text, end, out, err);
}

int con_range(con_session *s, const char *text, unsigned elem_size, expr_range *r, const char **end, cor_err *err)
{
    return expr_parse_range(&s->env, text, elem_size, r, end, err);
}

/* Session lifetime and settings. */

int con_open(cor_target *t, con_session **out, cor_err *err)
{
    *out = NULL;
    con_session *s = calloc(1, sizeof *s);
    if (!s) return cor_fail(err, "out of memory");
    s->t = t;
    s->out_fp = stdout;
    s->env.ctx = s;
    s->env.lookup = env_lookup;
    s->env.read = env_read;
    if (build_names(s, err) != COR_OK) {
        con_close(s);
        return COR_FAIL;
    }
    *out = s;
    return COR_OK;
}

void con_close(con_session *s)
{
    if (!s) return;
    for (size_t i = 0; s->mod_names && i < s->nmods; i++) free(s->mod_names[i]);
    free(s->mod_names);
    free(s->mod_sorted);
    dis_close(s->dis);
    free(s);
}

void con_set_output_file(con_session *s, FILE *fp)
{
    s->out_fp = fp;
    s->out_sb = NULL;
}

void con_set_output_buffer(con_session *s, strbuf *sb)
{
    s->out_sb = sb;
    s->out_fp = NULL;
}

void con_set_echo(con_session *s, bool on) { s->echo = on; }

int con_set_symbol_path(con_session *s, const char *path, cor_err *err)
{
    return target_set_symbol_path(s->t, path, err);
}

const char *con_symbol_path(const con_session *s) { return s->t->symbol_path; }

bool con_quit_requested(const con_session *s) { return s->quit; }

const char *con_prompt(con_session *s)
{
    /* WinDbg names a machine other than the dump's own: 0:000:x86> */
    snprintf(s->prompt, sizeof s->prompt, "0:%03zu%s> ", md_thread_count(s->t->dump) ? s->t->cur_thread : 0,
             target_wow64_view(s->t) ? ":x86" : "");
    return s->prompt;
}

size_t con_event_thread(const con_session *s)
{
    const md_exception *x = md_get_exception(s->t->dump);
    return x ? target_thread_index(s->t, x->tid) : (size_t)-1;
}

void con_set_thread(con_session *s, size_t i)
{
    s->t->cur_thread = i;
    s->t->has_ctx_override = false;
    s->cur_frame = 0;
}
