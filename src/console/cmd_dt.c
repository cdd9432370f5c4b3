/* dt [module!]Type [ADDR]: a type's layout from the module's PDB, and with
 * an address the values there, in WinDbg's layout:
 *
 *    +0x000 x                : Int4B          (no address)
 *    +0x000 x                : 0n5            (at an address)
 *
 * Base classes are shown inline, their members at the derived offsets.
 * Embedded structs and unions are expanded only with -r[N] (N levels,
 * default 1, as WinDbg's -r; nested lines indent by three), which with an
 * address also follows pointers to structs. Arrays are not expanded. Without a module every module's PDB is tried in module order,
 * loading deferred symbols as `x` does. */
#include "console/con_internal.h"
#include "sym/pdb/pdb.h"
#include "sym/resolver.h"
#include "target/target.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BASE_DEPTH 8
/* WinDbg caps -r at 9 levels. */
#define MAX_RECURSION 9

typedef struct dt_ctx {
    con_session *s;
    pdb_types *types;
    unsigned ptr_size;
    bool has_addr;
    uint64_t addr;
    int levels; /* -r depth */
} dt_ctx;

/* "0y101" for a bitfield's value, most significant bit first. */
static void put_bits(con_session *s, uint64_t v, unsigned len)
{
    con_puts(s, "0y");
    for (unsigned i = len; i-- > 0;) con_puts(s, (v >> i) & 1 ? "1" : "0");
}

static void put_enum_value(dt_ctx *d, uint32_t enum_ti, uint64_t v)
{
    pdb_member *m;
    size_t n;
    cor_err e;
    if (pdb_type_members(d->types, enum_ti, &m, &n, &e) == COR_OK) {
        for (size_t i = 0; i < n; i++) {
            if (m[i].value == v) {
                con_printf(d->s, "%s (0n%" PRId64 ")", m[i].name, (int64_t)v);
                free(m);
                return;
            }
        }
        free(m);
    }
    con_printf(d->s, "0n%" PRId64, (int64_t)v);
}

static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
    if (bytes >= 8 || !bytes) return v;
    unsigned bits = bytes * 8;
    uint64_t sign = 1ull << (bits - 1);
    v &= (1ull << bits) - 1;
    return (v ^ sign) - sign;
}

/* The value of one member at addr, as WinDbg shows it. */
static void put_value(dt_ctx *d, uint32_t ti, uint64_t addr)
{
    con_session *s = d->s;
    char name[512], a[24];
    uint32_t st = pdb_type_strip(d->types, ti);
    pdb_type ty;
    if (pdb_type_get(d->types, st, &ty) != COR_OK) {
        pdb_type_name(d->types, ti, d->ptr_size, name, sizeof name);
        con_puts(s, name);
        return;
    }
    uint8_t buf[16];
    uint64_t size = pdb_type_size(d->types, st, d->ptr_size);
    bool scalar = ty.kind == PDB_TYPE_BASE || ty.kind == PDB_TYPE_POINTER || ty.kind == PDB_TYPE_ENUM ||
                  ty.kind == PDB_TYPE_BITFIELD;
    if (!scalar || size == 0 || size > sizeof buf) {
        pdb_type_name(d->types, ti, d->ptr_size, name, sizeof name);
        con_puts(s, name);
        return;
    }
    cor_err e;
    if (as_read(s->t->as, addr, buf, (size_t)size, &e) != COR_OK) {
        con_puts(s, "??");
        return;
    }
    uint64_t v = 0;
    for (size_t i = (size_t)(size < 8 ? size : 8); i-- > 0;) v = v << 8 | buf[i];
    switch (ty.kind) {
    case PDB_TYPE_POINTER: con_printf(s, "0x%s", con_fmt_addr(s, v, a)); return;
    case PDB_TYPE_BITFIELD: {
        uint64_t bits = ty.bit_len >= 64 ? v >> ty.bit_pos : (v >> ty.bit_pos) & ((1ull << ty.bit_len) - 1);
        put_bits(s, bits, ty.bit_len);
        return;
    }
    case PDB_TYPE_ENUM: put_enum_value(d, st, ty.is_signed ? sign_extend(v, (unsigned)size) : v); return;
    default: break;
    }
    if (ty.is_float) {
        if (size == 4) {
            float f;
            memcpy(&f, buf, 4);
            con_printf(s, "%g", (double)f);
        } else if (size == 8) {
            double f;
            memcpy(&f, buf, 8);
            con_printf(s, "%g", f);
        } else {
            con_puts(s, "??");
        }
        return;
    }
    if (!strcmp(ty.name, "Bool")) {
        con_puts(s, v ? "True" : "False");
        return;
    }
    if (ty.is_char && size == 1) {
        char c[2] = { (v >= 0x20 && v < 0x7F) ? (char)v : 0, 0 };
        con_printf(s, "0n%" PRId64 " '%s'", (int64_t)sign_extend(v, 1), c);
        return;
    }
    if (ty.is_char) { /* wide character */
        char c = (v >= 0x20 && v < 0x7F) ? (char)v : '.';
        con_printf(s, "0x%" PRIx64 " '%c'", v, c);
        return;
    }
    if (ty.is_signed) con_printf(s, "0n%" PRId64, (int64_t)sign_extend(v, (unsigned)size));
    else con_printf(s, "0x%" PRIx64, v);
}

/* True for a struct, class or union type (after modifiers). */
static bool is_aggregate(dt_ctx *d, uint32_t ti, uint32_t *out)
{
    pdb_type ty;
    uint32_t st = pdb_type_strip(d->types, ti);
    if (pdb_type_get(d->types, st, &ty) != COR_OK) return false;
    *out = st;
    return ty.kind == PDB_TYPE_STRUCT || ty.kind == PDB_TYPE_CLASS || ty.kind == PDB_TYPE_UNION;
}

/* Members of ti at object address obj (when d->has_addr), offsets printed
 * relative to the outermost type; indent is the nesting level for -r. */
static int print_members(dt_ctx *d, uint32_t ti, uint64_t base, uint64_t obj, int depth, int indent, cor_err *err)
{
    pdb_member *m;
    size_t n;
    if (pdb_type_members(d->types, ti, &m, &n, err) != COR_OK) return COR_FAIL;
    char name[512];
    for (size_t i = 0; i < n; i++) {
        switch (m[i].kind) {
        case PDB_MEMBER_BASE:
            if (depth < MAX_BASE_DEPTH &&
                print_members(d, m[i].type, base + m[i].offset, obj + m[i].offset, depth + 1, indent, err) != COR_OK) {
                free(m);
                return COR_FAIL;
            }
            break;
        case PDB_MEMBER_ENUMERATOR:
            con_printf(d->s, "%*s   %s = 0n%" PRId64 "\n", 3 * indent, "", m[i].name, (int64_t)m[i].value);
            break;
        case PDB_MEMBER_VFPTR:
        case PDB_MEMBER_FIELD: {
            uint64_t at = obj + m[i].offset;
            con_printf(d->s, "%*s   +0x%03" PRIx64 " %-16s : ", 3 * indent, "", base + m[i].offset, m[i].name);
            if (m[i].kind == PDB_MEMBER_VFPTR) {
                if (d->has_addr) put_value(d, m[i].type, at);
                else con_printf(d->s, "Ptr%u", d->ptr_size * 8);
            } else if (d->has_addr) {
                put_value(d, m[i].type, at);
            } else {
                pdb_type_name(d->types, m[i].type, d->ptr_size, name, sizeof name);
                con_puts(d->s, name);
            }
            con_puts(d->s, "\n");
            if (m[i].kind != PDB_MEMBER_FIELD || indent >= d->levels) break;
            /* -r: an embedded aggregate in place; with an address, a
             * pointer's target too (offsets restart at the pointee). */
            uint32_t agg;
            if (is_aggregate(d, m[i].type, &agg)) {
                if (print_members(d, agg, base + m[i].offset, at, 0, indent + 1, err) != COR_OK) {
                    free(m);
                    return COR_FAIL;
                }
                break;
            }
            pdb_type pt;
            uint64_t target;
            if (d->has_addr && pdb_type_get(d->types, pdb_type_strip(d->types, m[i].type), &pt) == COR_OK &&
                pt.kind == PDB_TYPE_POINTER && is_aggregate(d, pt.elem, &agg) &&
                as_read_ptr(d->s->t->as, at, d->ptr_size, &target) == COR_OK && target &&
                print_members(d, agg, 0, target, 0, indent + 1, err) != COR_OK) {
                free(m);
                return COR_FAIL;
            }
            break;
        }
        }
    }
    free(m);
    return COR_OK;
}

/* The PDB of module i, loading its symbols if still deferred; NULL when
 * its symbols are not a PDB. */
static pdb_file *module_pdb(con_session *s, size_t i)
{
    if (!s->t->syms || sym_module_load(s->t->syms, i) != SYM_STATE_LOADED) return NULL;
    return pdb_source_file(sym_module_source(s->t->syms, i));
}

static bool module_named(con_session *s, size_t i, const char *mod)
{
    return strcasecmp(mod, con_module_name(s, i)) == 0 || strcasecmp(mod, md_module_at(s->t->dump, i)->name) == 0;
}

int cmd_dt(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    while (*args == ' ' || *args == '\t') args++;
    int levels = 0;
    while (*args == '-') {
        if ((args[1] == 'r' || args[1] == 'R') && (args[2] == ' ' || args[2] == '\t' || args[2] == 0 ||
                                                   (args[2] >= '0' && args[2] <= '9'))) {
            levels = args[2] >= '0' && args[2] <= '9' ? args[2] - '0' : 1;
            if (levels > MAX_RECURSION) levels = MAX_RECURSION;
            args += args[2] >= '0' && args[2] <= '9' ? 3 : 2;
            while (*args == ' ' || *args == '\t') args++;
            continue;
        }
        return cor_fail(err, "dt: unknown option '%.*s'; dt [-r[N]] [module!]Type [ADDR]", (int)strcspn(args, " \t"),
                        args);
    }
    size_t tlen = strcspn(args, " \t");
    if (!tlen) return cor_fail(err, "Syntax error: dt [module!]Type [ADDR]");
    char spec[512];
    if (tlen >= sizeof spec) return cor_fail(err, "dt: type name too long");
    memcpy(spec, args, tlen);
    spec[tlen] = 0;
    const char *rest = args + tlen;
    while (*rest == ' ' || *rest == '\t') rest++;

    dt_ctx d = { .s = s, .ptr_size = con_ptr_size(s), .levels = levels };
    if (*rest) {
        const char *end;
        if (con_eval(s, rest, &end, &d.addr, err) != COR_OK) return COR_FAIL;
        d.has_addr = true;
    }

    /* module!Type, where the type itself may hold "::" but no '!'. */
    char *bang = strchr(spec, '!');
    const char *mod = NULL, *type = spec;
    if (bang) {
        *bang = 0;
        mod = spec;
        type = bang + 1;
    }
    if (!*type) return cor_fail(err, "Syntax error: dt [module!]Type [ADDR]");

    bool found_module = false;
    for (size_t i = 0; i < md_module_count(s->t->dump); i++) {
        if (mod && !module_named(s, i, mod)) continue;
        found_module = true;
        pdb_file *pdb = module_pdb(s, i);
        if (!pdb) continue;
        pdb_types *types;
        cor_err e;
        if (pdb_types_open(pdb, &types, &e) != COR_OK) {
            if (mod) return cor_fail(err, "%s: %s", con_module_name(s, i), e.msg);
            continue;
        }
        uint32_t ti = pdb_type_find(types, type);
        if (!ti) {
            pdb_types_close(types);
            continue;
        }
        d.types = types;
        int rc = print_members(&d, ti, 0, d.addr, 0, 0, err);
        pdb_types_close(types);
        return rc;
    }
    if (mod && !found_module) return cor_fail(err, "Couldn't resolve error at '%s!%s'", mod, type);
    if (mod) return cor_fail(err, "Symbol %s!%s not found.", mod, type);
    return cor_fail(err, "Symbol %s not found.", type);
}
