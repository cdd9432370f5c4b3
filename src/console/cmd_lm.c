/* lm: the module list, sorted by base as WinDbg lists it.
 *
 *   lm                start, end (exclusive), name, symbol status
 *   lm m PATTERN      only modules whose name matches (* and ?, any case)
 *   lm a ADDR         the module containing ADDR
 *   lmv               plus image path, timestamp, checksum, size, version
 *                     and the CodeView (PDB) identity
 *   lmf / lmn / lmt   full path / image name / timestamp instead of status
 *   lm1m              names only
 * Options combine: lmvm kernel*, lm v m kernel*.
 *
 * The status column is WinDbg's: "(deferred)" until something needed the
 * module's symbols, then "(pdb symbols)", "(export symbols)" or
 * "(no symbols)", with the file they came from. */
#include "console/con_internal.h"
#include "sym/resolver.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct lm_opts {
    bool verbose, full_path, image_name, timestamps, names_only;
    char *pattern;
    bool has_addr;
    uint64_t addr;
} lm_opts;

static int parse_opts(con_session *s, const char *p, lm_opts *o, cor_err *err)
{
    memset(o, 0, sizeof *o);
    while (*p) {
        char c = (char)tolower((unsigned char)*p);
        if (c == ' ' || c == '\t') { p++; continue; }
        if (c == 'v') { o->verbose = true; p++; continue; }
        if (c == 'f') { o->full_path = true; p++; continue; }
        if (c == 'n') { o->image_name = true; p++; continue; }
        if (c == 't') { o->timestamps = true; p++; continue; }
        /* Filters on kinds of module that a user dump holds all of (o: loaded,
         * u: user-mode) leave the list as it is. */
        if (c == 'o' || c == 'u') { p++; continue; }
        if (c == '1' && tolower((unsigned char)p[1]) == 'm') { o->names_only = true; p += 2; continue; }
        if (c == 'm') {
            p++;
            while (*p == ' ' || *p == '\t') p++;
            size_t len = strcspn(p, " \t");
            if (!len) return cor_fail(err, "Syntax error: lm m needs a pattern");
            free(o->pattern);
            o->pattern = strndup(p, len);
            if (!o->pattern) return cor_fail(err, "out of memory");
            p += len;
            continue;
        }
        if (c == 'a') {
            const char *end;
            if (con_eval(s, p + 1, &end, &o->addr, err) != COR_OK) return COR_FAIL;
            o->has_addr = true;
            p = end;
            continue;
        }
        return cor_fail(err, "Syntax error in 'lm%s': unknown option '%c'", p, *p);
    }
    return COR_OK;
}

static bool selected(con_session *s, const lm_opts *o, size_t i)
{
    const md_module *m = md_module_at(s->t->dump, i);
    if (o->pattern && !glob_match_ci(o->pattern, con_module_name(s, i))) return false;
    if (o->has_addr && !(o->addr >= m->base && o->addr - m->base < m->size)) return false;
    return true;
}

static const char *file_os_name(uint32_t os)
{
    switch (os) {
    case 0x40004: return "NT Win32";
    case 0x40000: return "NT";
    case 0x4: return "Win32";
    case 0x10004: return "DOS Win32";
    case 0x10001: return "DOS Win16";
    case 0x10000: return "DOS";
    }
    return "Unknown";
}

static const char *file_type_name(uint32_t type)
{
    switch (type) {
    case 1: return "App";
    case 2: return "Dll";
    case 3: return "Driver";
    case 4: return "Font";
    case 5: return "VXD";
    case 7: return "Static library";
    }
    return "Unknown";
}

static void print_verbose(con_session *s, const md_module *m)
{
    char buf[96];
    con_printf(s, "    Image path: %s\n    Image name: %s\n", m->path, m->name);
    /* A timestamp after the dump was written cannot be one: /Brepro
     * images carry a hash there, and WinDbg says so. */
    if (m->timestamp > md_header_timestamp(s->t->dump)) {
        con_puts(s, "    Image was built with /Brepro flag.\n");
        con_printf(s, "    Timestamp:        %08X (This is a reproducible build file hash, not a timestamp)\n",
                   m->timestamp);
    } else {
        con_fmt_time(s, (time_t)m->timestamp, false, buf, sizeof buf);
        con_printf(s, "    Timestamp:        %s (%08X)\n", buf, m->timestamp);
    }
    con_printf(s, "    CheckSum:         %08X\n    ImageSize:        %08X\n", m->checksum, m->size);
    const md_version *v = &m->version;
    if (v->signature == 0xFEEF04BD) {
        con_printf(s, "    File version:     %s\n", md_version_str(v->file_ms, v->file_ls, buf));
        con_printf(s, "    Product version:  %s\n", md_version_str(v->product_ms, v->product_ls, buf));
        con_printf(s, "    File flags:       %X (Mask %X)", v->flags, v->flags_mask);
        static const char *const flag_names[] = { "Debug", "Pre-release", "Patched", "Private", "Info inferred",
                                                  "Special" };
        for (unsigned b = 0; b < 6; b++)
            if (v->flags & v->flags_mask & (1u << b)) con_printf(s, " %s", flag_names[b]);
        con_printf(s, "\n    File OS:          %X %s\n", v->os, file_os_name(v->os));
        con_printf(s, "    File type:        %X.%X %s\n", v->type, v->subtype, file_type_name(v->type));
        con_printf(s, "    File date:        %08X.%08X\n", v->date_ms, v->date_ls);
    }
    /* Not in WinDbg's lmv (it shows the symbol file once loaded): the PDB
     * the image was linked with, which is what a symbol server is asked for. */
    if (m->cv.kind != MD_CV_NONE) {
        char id[48];
        md_codeview_id(&m->cv, id);
        if (m->cv.pdb_path) con_printf(s, "    PDB path:         %s\n", m->cv.pdb_path);
        con_printf(s, "    PDB id:           %s (%s)\n", id, m->cv.kind == MD_CV_RSDS ? "RSDS" : "NB10");
    }
}

int cmd_lm(con_session *s, const char *name, const char *args, cor_err *err)
{
    lm_opts o;
    int rc = parse_opts(s, args, &o, err);
    if (rc != COR_OK) {
        free(o.pattern);
        return rc;
    }
    md_dump *d = s->t->dump;
    char a1[24], a2[24], buf[96];
    if (!o.names_only)
        con_puts(s, con_ptr_size(s) == 4 ? "start    end        module name\n"
                                         : "start             end                 module name\n");
    for (size_t k = 0; k < s->nmods; k++) {
        size_t i = s->mod_sorted[k];
        if (!selected(s, &o, i)) continue;
        const md_module *m = md_module_at(d, i);
        if (o.names_only) {
            con_printf(s, "%s\n", con_module_name(s, i));
            continue;
        }
        con_printf(s, "%s %s   %-8s ", con_fmt_addr(s, m->base, a1), con_fmt_addr(s, m->base + m->size, a2),
                   con_module_name(s, i));
        if (o.full_path) con_printf(s, "%s\n", m->path);
        else if (o.image_name) con_printf(s, "%s\n", m->name);
        else if (o.timestamps) {
            con_fmt_time(s, (time_t)m->timestamp, false, buf, sizeof buf);
            con_printf(s, "%s (%08X)\n", buf, m->timestamp);
        } else {
            const sym_source *src = sym_module_source(s->t->syms, i);
            switch (sym_module_state(s->t->syms, i)) {
            case SYM_STATE_DEFERRED: con_puts(s, "  (deferred)\n"); break;
            case SYM_STATE_NONE: con_puts(s, "  (no symbols)\n"); break;
            case SYM_STATE_LOADED:
                con_printf(s, "  (%s)  %s\n", sym_kind_status(src->ops->kind), src->origin ? src->origin : "");
                break;
            }
        }
        if (o.verbose) print_verbose(s, m);
    }
    /* WinDbg ends the list with the modules that were unloaded before the
     * dump was written (UnloadedModuleList), matched the same way. */
    if (!o.names_only && md_unloaded_count(d)) {
        bool header = false;
        for (size_t i = 0; i < md_unloaded_count(d); i++) {
            const md_unloaded_module *u = md_unloaded_at(d, i);
            const char *base = strrchr(u->path, '\\');
            base = base ? base + 1 : u->path;
            if (o.pattern) {
                char stem[260];
                snprintf(stem, sizeof stem, "%s", base);
                char *dot = strrchr(stem, '.');
                if (dot && dot != stem) *dot = 0;
                if (!glob_match_ci(o.pattern, stem) && !glob_match_ci(o.pattern, base)) continue;
            }
            if (o.has_addr && !(o.addr >= u->base && o.addr - u->base < u->size)) continue;
            if (!header) con_puts(s, "\nUnloaded modules:\n");
            header = true;
            con_printf(s, "%s %s   %s\n", con_fmt_addr(s, u->base, a1), con_fmt_addr(s, u->base + u->size, a2),
                       base);
        }
    }
    free(o.pattern);
    return COR_OK;
}
