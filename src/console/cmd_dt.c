/* dt [-r[N]] [-a[N]] [-v] [module!]Type [ADDR]: a type's layout from the
 * module's PDB, and with an address the values there, in WinDbg's layout:
 *
 *    +0x000 x                : Int4B          (no address)
 *    +0x000 x                : 0n5            (at an address)
 *
 * Base classes are shown inline, their members at the derived offsets.
 * Embedded structs and unions are expanded only with -r[N] (N levels,
 * default 1, as WinDbg's -r; nested lines indent by three), which with an
 * address also follows pointers to structs. -a[N] lists the first N (all)
 * elements of each array, one "[00] value" line each; -v describes types
 * as WinDbg's verbose mode does ("struct _FOO, 5 elements, 0x18 bytes",
 * "Ptr64 to ...", a __BaseClass line per base). Virtual bases (MSVC ABI)
 * come after the other members: a __VBPtr line at the virtual base
 * pointer and, with an address, the base's members where the object's
 * vbtable puts them. Without a module every module's PDB is tried in
 * module order, loading deferred symbols as `x` does. */
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
/* -a without a count lists every element, up to this many (a damaged
 * record could claim billions). */
#define MAX_ELEMENTS 100000

typedef struct dt_ctx {
    con_session *s;
    pdb_types *types;
    unsigned ptr_size;
    bool has_addr;
    uint64_t addr;
    int levels;      /* -r depth */
    uint32_t elems;  /* -a: elements to list per array; 0 without -a */
    bool verbose;    /* -v */
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

/* -v's name of a type, as WinDbg's verbose mode words it: "struct _FOO, 5
 * elements, 0x18 bytes", "Enum _BAR,  3 total enums", "Ptr64 to ...",
 * "[4] ...", "Bitfield Pos 0, 3 Bits"; base types as without -v. */
static void verbose_name(dt_ctx *d, uint32_t ti, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (int depth = 0; depth < 16 && used + 1 < size; depth++) {
        uint32_t st = pdb_type_strip(d->types, ti);
        pdb_type ty;
        if (pdb_type_get(d->types, st, &ty) != COR_OK) break;
        char *o = buf + used;
        size_t left = size - used;
        int k;
        switch (ty.kind) {
        case PDB_TYPE_POINTER:
            k = snprintf(o, left, "Ptr%u to ", (unsigned)(ty.size ? ty.size : d->ptr_size) * 8);
            ti = ty.elem;
            break;
        case PDB_TYPE_ARRAY: {
            uint64_t es = pdb_type_size(d->types, ty.elem, d->ptr_size);
            k = snprintf(o, left, "[%llu] ", (unsigned long long)(es ? ty.size / es : 0));
            ti = ty.elem;
            break;
        }
        case PDB_TYPE_STRUCT:
        case PDB_TYPE_CLASS:
        case PDB_TYPE_UNION:
            snprintf(o, left, "%s %s, %u elements, 0x%llx bytes",
                     ty.kind == PDB_TYPE_UNION ? "union" : ty.kind == PDB_TYPE_CLASS ? "class" : "struct",
                     ty.name[0] ? ty.name : "<unnamed-tag>", ty.count, (unsigned long long)ty.size);
            return;
        case PDB_TYPE_ENUM:
            snprintf(o, left, "Enum %s,  %u total enums", ty.name[0] ? ty.name : "<unnamed-enum>", ty.count);
            return;
        case PDB_TYPE_BITFIELD:
            snprintf(o, left, "Bitfield Pos %u, %u Bit%s", ty.bit_pos, ty.bit_len, ty.bit_len == 1 ? "" : "s");
            return;
        default:
            pdb_type_name(d->types, st, d->ptr_size, o, left);
            return;
        }
        if (k < 0 || (size_t)k >= left) return;
        used += (size_t)k;
    }
}

static void put_type_name(dt_ctx *d, uint32_t ti)
{
    char name[1024];
    if (d->verbose) verbose_name(d, ti, name, sizeof name);
    else pdb_type_name(d->types, ti, d->ptr_size, name, sizeof name);
    con_puts(d->s, name);
}

static int print_members(dt_ctx *d, uint32_t ti, uint64_t base, uint64_t obj, int depth, int indent, cor_err *err);

/* -r below a member or an array element: an embedded aggregate in place;
 * with an address, a pointer's target too (offsets restart there). */
static int expand(dt_ctx *d, uint32_t type, uint64_t off, uint64_t at, int indent, cor_err *err)
{
    if (indent >= d->levels) return COR_OK;
    uint32_t agg;
    if (is_aggregate(d, type, &agg)) return print_members(d, agg, off, at, 0, indent + 1, err);
    pdb_type pt;
    uint64_t target;
    if (d->has_addr && pdb_type_get(d->types, pdb_type_strip(d->types, type), &pt) == COR_OK &&
        pt.kind == PDB_TYPE_POINTER && is_aggregate(d, pt.elem, &agg) &&
        as_read_ptr(d->s->t->as, at, d->ptr_size, &target) == COR_OK && target)
        return print_members(d, agg, 0, target, 0, indent + 1, err);
    return COR_OK;
}

/* -a: the elements of an array member, "[00] value" (or the element type
 * without an address), each at the member's indentation plus one. */
static int print_elements(dt_ctx *d, uint32_t type, uint64_t at, int indent, cor_err *err)
{
    pdb_type ty;
    if (pdb_type_get(d->types, pdb_type_strip(d->types, type), &ty) != COR_OK || ty.kind != PDB_TYPE_ARRAY)
        return COR_OK;
    uint64_t es = pdb_type_size(d->types, ty.elem, d->ptr_size);
    if (!es) return COR_OK;
    uint64_t n = ty.size / es;
    if (n > d->elems) n = d->elems;
    for (uint64_t k = 0; k < n; k++) {
        con_printf(d->s, "%*s    [%02" PRIu64 "] ", 3 * indent, "", k);
        if (d->has_addr) put_value(d, ty.elem, at + k * es);
        else put_type_name(d, ty.elem);
        con_puts(d->s, "\n");
        if (expand(d, ty.elem, 0, at + k * es, indent, err) != COR_OK) return COR_FAIL;
    }
    return COR_OK;
}

/* A virtual base of the object at obj (MSVC ABI): the int32 at index vbind
 * of the table the vbptr at obj + vbpoff points to is the base's distance
 * from that vbptr. */
static bool vbase_offset(dt_ctx *d, uint64_t obj, uint64_t vbpoff, uint64_t vbind, int64_t *off)
{
    uint64_t table;
    uint8_t b[4];
    cor_err e;
    if (!d->has_addr || as_read_ptr(d->s->t->as, obj + vbpoff, d->ptr_size, &table) != COR_OK ||
        as_read(d->s->t->as, table + 4 * vbind, b, 4, &e) != COR_OK)
        return false;
    int32_t disp = (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
    *off = (int64_t)vbpoff + disp;
    return true;
}

/* The virtual bases of a complete object: a __VBPtr line at each one's
 * vbptr and, when the object's tables say where the base is, its members
 * there (offsets relative to the outermost type, as for other bases). */
static int print_vbases(dt_ctx *d, const pdb_member *m, size_t n, uint64_t base, uint64_t obj, int indent,
                        cor_err *err)
{
    char a[24];
    for (size_t i = 0; i < n; i++) {
        if (m[i].kind != PDB_MEMBER_VBASE) continue;
        int64_t off = 0;
        bool found = vbase_offset(d, obj, m[i].offset, m[i].value, &off);
        con_printf(d->s, "%*s   +0x%03" PRIx64 " %-16s : ", 3 * indent, "", base + m[i].offset, "__VBPtr");
        if (d->has_addr) {
            uint64_t table;
            if (as_read_ptr(d->s->t->as, obj + m[i].offset, d->ptr_size, &table) == COR_OK)
                con_printf(d->s, "0x%s ", con_fmt_addr(d->s, table, a));
            else
                con_puts(d->s, "?? ");
        }
        char name[512];
        pdb_type_name(d->types, m[i].type, d->ptr_size, name, sizeof name);
        con_printf(d->s, "(virtual base %s", name);
        if (found) con_printf(d->s, " at +0x%03" PRIx64 ")\n", base + (uint64_t)off);
        else con_printf(d->s, ", vbtable index %" PRIu64 ")\n", m[i].value);
        if (!found) continue;
        if (d->verbose) {
            con_printf(d->s, "%*s   +0x%03" PRIx64 " __BaseClass ", 3 * indent, "", base + (uint64_t)off);
            put_type_name(d, m[i].type);
            con_puts(d->s, "\n");
        }
        if (print_members(d, m[i].type, base + (uint64_t)off, obj + (uint64_t)off, 1, indent, err) != COR_OK)
            return COR_FAIL;
    }
    return COR_OK;
}

/* Members of ti at object address obj (when d->has_addr), offsets printed
 * relative to the outermost type; indent is the nesting level for -r.
 * depth counts base classes: at 0 ti is a complete object, whose member
 * list names every virtual base (a base subobject's own entries for them
 * would repeat those). */
static int print_members(dt_ctx *d, uint32_t ti, uint64_t base, uint64_t obj, int depth, int indent, cor_err *err)
{
    pdb_member *m;
    size_t n;
    if (pdb_type_members(d->types, ti, &m, &n, err) != COR_OK) return COR_FAIL;
    int rc = COR_FAIL;
    for (size_t i = 0; i < n; i++) {
        uint64_t at = obj + m[i].offset;
        switch (m[i].kind) {
        case PDB_MEMBER_BASE:
            if (d->verbose) {
                con_printf(d->s, "%*s   +0x%03" PRIx64 " __BaseClass ", 3 * indent, "", base + m[i].offset);
                put_type_name(d, m[i].type);
                con_puts(d->s, "\n");
            }
            if (depth < MAX_BASE_DEPTH &&
                print_members(d, m[i].type, base + m[i].offset, at, depth + 1, indent, err) != COR_OK)
                goto out;
            break;
        case PDB_MEMBER_VBASE: /* after the other members, where they lie */
            break;
        case PDB_MEMBER_ENUMERATOR:
            con_printf(d->s, "%*s   %s = 0n%" PRId64 "\n", 3 * indent, "", m[i].name, (int64_t)m[i].value);
            break;
        case PDB_MEMBER_VFPTR:
        case PDB_MEMBER_FIELD:
            con_printf(d->s, "%*s   +0x%03" PRIx64 " %-16s : ", 3 * indent, "", base + m[i].offset, m[i].name);
            if (d->has_addr) put_value(d, m[i].type, at);
            else if (m[i].kind == PDB_MEMBER_VFPTR) con_printf(d->s, "Ptr%u", d->ptr_size * 8);
            else put_type_name(d, m[i].type);
            con_puts(d->s, "\n");
            if (m[i].kind != PDB_MEMBER_FIELD) break;
            if (d->elems && print_elements(d, m[i].type, at, indent, err) != COR_OK) goto out;
            if (expand(d, m[i].type, base + m[i].offset, at, indent, err) != COR_OK) goto out;
            break;
        }
    }
    if (depth == 0 && print_vbases(d, m, n, base, obj, indent, err) != COR_OK) goto out;
    rc = COR_OK;
out:
    free(m);
    return rc;
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
    uint32_t elems = 0;
    bool verbose = false;
    /* Options, alone or run together ("-v -a3", "-va3"): r and a take a
     * count right after the letter. */
    while (*args == '-') {
        const char *p = args + 1;
        bool ok = *p && *p != ' ' && *p != '\t';
        while (ok && *p && *p != ' ' && *p != '\t') {
            char opt = *p++;
            unsigned long v = 0;
            bool has_n = *p >= '0' && *p <= '9';
            if (has_n && (opt == 'r' || opt == 'R' || opt == 'a')) {
                char *end;
                v = strtoul(p, &end, 10);
                p = end;
            }
            if (opt == 'r' || opt == 'R') levels = has_n ? (v > MAX_RECURSION ? MAX_RECURSION : (int)v) : 1;
            else if (opt == 'a') elems = has_n ? (v > MAX_ELEMENTS ? MAX_ELEMENTS : (uint32_t)v) : MAX_ELEMENTS;
            else if (opt == 'v') verbose = true;
            else ok = false;
        }
        if (!ok)
            return cor_fail(err, "dt: unknown option '%.*s'; dt [-r[N]] [-a[N]] [-v] [module!]Type [ADDR]",
                            (int)strcspn(args, " \t"), args);
        args = p;
        while (*args == ' ' || *args == '\t') args++;
    }
    size_t tlen = strcspn(args, " \t");
    if (!tlen) return cor_fail(err, "Syntax error: dt [module!]Type [ADDR]");
    char spec[512];
    if (tlen >= sizeof spec) return cor_fail(err, "dt: type name too long");
    memcpy(spec, args, tlen);
    spec[tlen] = 0;
    const char *rest = args + tlen;
    while (*rest == ' ' || *rest == '\t') rest++;

    dt_ctx d = { .s = s, .ptr_size = con_ptr_size(s), .levels = levels, .elems = elems, .verbose = verbose };
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
        if (verbose) { /* the type itself first, as WinDbg's -v does */
            put_type_name(&d, ti);
            con_puts(s, "\n");
        }
        int rc = print_members(&d, ti, 0, d.addr, 0, 0, err);
        pdb_types_close(types);
        return rc;
    }
    if (mod && !found_module) return cor_fail(err, "Couldn't resolve error at '%s!%s'", mod, type);
    if (mod) return cor_fail(err, "Symbol %s!%s not found.", mod, type);
    return cor_fail(err, "Symbol %s not found.", type);
}
