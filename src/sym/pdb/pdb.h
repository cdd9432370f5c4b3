/* Program databases (PDB 7.0 over MSF 7.00): identity (GUID, age,
 * machine), functions, publics, source lines, and the x86 frame records
 * (FPO_DATA, FRAMEDATA) an unwinder needs, plus a sym_source adapter.
 *
 * Opening reads only the PDB info, DBI, section header, OMAP, FPO,
 * FRAMEDATA and global symbol streams. A module stream is read when a
 * lookup first lands in one of its section contributions; enumerating
 * functions or lines reads them all once (and so does any lookup in a PDB
 * with OMAP). Lookups are binary searches over sorted arrays.
 *
 * References: LLVM lib/DebugInfo/PDB and the docs/PDB pages, Microsoft's
 * microsoft-pdb cvinfo.h, the Rust `pdb` crate. */
#ifndef COR_SYM_PDB_PDB_H
#define COR_SYM_PDB_PDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "sym/symbols.h"

typedef struct pdb_file pdb_file;

/* A procedure from a module stream (S_GPROC32, S_LPROC32, their _ID
 * variants, S_THUNK32). Names are as the compiler stored them: qualified
 * but without parameter lists.
 *
 * With OMAP a procedure whose blocks the optimizer moved apart is one
 * record per image range its code went to (as Breakpad's dump_syms writes
 * one FUNC per range); each piece carries the whole procedure's source
 * extent and entry point. Without OMAP there is one record and rva ==
 * src_rva == entry_rva, size == src_size. */
typedef struct pdb_function {
    const char *name;
    uint32_t rva, size;       /* the code in the image (with OMAP: one piece) */
    uint32_t src_rva;         /* the whole procedure before OMAP */
    uint32_t src_size;        /* ... and its length as the record gives it */
    uint32_t entry_rva;       /* where the procedure starts in the image */
    uint32_t frame_size;      /* S_FRAMEPROC cbFrame, 0 when absent */
    uint32_t saved_regs_size; /* S_FRAMEPROC cbSaveRegs */
    uint32_t frame_flags;     /* S_FRAMEPROC flags */
    uint16_t module;          /* index into the DBI module list */
    bool is_thunk;
    bool continued; /* a piece other than the one holding the entry */
} pdb_function;

/* An S_PUB32 record; the name is decorated as stored. */
typedef struct pdb_public {
    const char *name;
    const char *undecorated; /* x86 C decoration stripped, else == name */
    uint32_t rva;
    uint32_t src_rva; /* before OMAP (== rva without OMAP) */
    uint32_t flags; /* CV_PUBSYMFLAGS: 1 code, 2 function, 4 managed, 8 MSIL */
} pdb_public;

/* One C13 line record: [rva, rva+size) comes from `line` of `file`.
 * With OMAP, one record per image range the line's code went to. */
typedef struct pdb_line {
    uint32_t rva, size, line;
    uint32_t src_rva; /* the line's first byte before OMAP (== rva without OMAP) */
    const char *file; /* from /names; "" when it cannot be resolved */
} pdb_line;

/* FPO_DATA (winnt.h), 16 bytes on disk; counts in the record are in
 * dwords where noted, decoded here as stored. */
typedef struct pdb_fpo {
    uint32_t rva, size;
    uint32_t locals_dwords; /* cdwLocals */
    uint16_t params_dwords; /* cdwParams */
    uint8_t prolog_size;    /* cbProlog */
    uint8_t saved_regs;     /* cbRegs: number of registers saved */
    bool has_seh, uses_bp;
    uint8_t frame_type; /* cbFrame: 0 FPO, 1 trap, 2 TSS, 3 non-FPO */
} pdb_fpo;

/* FRAMEDATA (cvinfo.h tagFRAMEDATA), 32 bytes on disk. */
typedef struct pdb_framedata {
    uint32_t rva, size;
    uint32_t locals_size, params_size, max_stack_size;
    uint16_t prolog_size, saved_regs_size;
    uint32_t flags;      /* 1 fHasSEH, 2 fHasEH, 4 fIsFunctionStart */
    const char *program; /* the frameFunc program string, or NULL */
} pdb_framedata;

/* A DBI module (ModInfo): an object file or import library. */
typedef struct pdb_module {
    const char *name, *obj_name;
    uint16_t stream; /* 0xFFFF when the module has no symbol stream */
    uint32_t sym_bytes, c11_bytes, c13_bytes;
} pdb_module;

/* A DBI section contribution: a piece of a section owned by a module. */
typedef struct pdb_contribution {
    uint16_t section; /* 1-based */
    uint16_t module;
    uint32_t offset, size, characteristics;
} pdb_contribution;

/* Opens a PDB file (mapped read-only) or an in-memory copy (the bytes must
 * outlive the pdb_file). */
int pdb_file_open(const char *path, pdb_file **out, cor_err *err);
int pdb_file_open_mem(const void *data, size_t size, pdb_file **out, cor_err *err);
void pdb_file_close(pdb_file *p);

/* Identity. The DBI age is the one images match against (the info-stream
 * age may be bumped by incremental links); pdb_age returns it. */
const uint8_t *pdb_guid(const pdb_file *p); /* 16 bytes, as stored on disk */
uint32_t pdb_age(const pdb_file *p);
uint32_t pdb_info_age(const pdb_file *p);
uint32_t pdb_signature(const pdb_file *p);
uint16_t pdb_machine(const pdb_file *p); /* IMAGE_FILE_MACHINE_*; 0 if unknown */
/* Breakpad's debug identifier: GUID in its text order plus the age in hex. */
void pdb_debug_id(const pdb_file *p, char out[41]);

/* DBI contents read at open time. */
size_t pdb_module_count(const pdb_file *p);
const pdb_module *pdb_module_at(const pdb_file *p, size_t i);
size_t pdb_contribution_count(const pdb_file *p);
const pdb_contribution *pdb_contribution_at(const pdb_file *p, size_t i);
bool pdb_has_omap(const pdb_file *p);
/* seg:offset (seg 1-based) to an image RVA, through OMAP when present. */
bool pdb_section_rva(const pdb_file *p, uint16_t seg, uint32_t off, uint32_t *rva);
/* A pre-optimization RVA to the image's, through OMAP (identity without
 * OMAP); false when the optimizer dropped that code. */
bool pdb_omap_rva(const pdb_file *p, uint32_t src, uint32_t *rva);
/* An image RVA back to the source RVA symbols were compiled at (OMAP to
 * source); identity without OMAP, false for code the optimizer added. */
bool pdb_omap_to_source(const pdb_file *p, uint32_t rva, uint32_t *src);
/* Where the source range [src, src+len) begins in the image: its start,
 * or the first piece of it the optimizer kept. */
bool pdb_omap_range_start(const pdb_file *p, uint32_t src, uint32_t len, uint32_t *rva);

/* Builds the function and line index from the module streams (done on the
 * first call to anything below that needs it; call it directly to get the
 * error). A module whose stream is damaged is skipped, not fatal; the count
 * of skipped modules is returned in *skipped when non-NULL. */
int pdb_build_index(pdb_file *p, size_t *skipped, cor_err *err);

/* Sorted by RVA. */
size_t pdb_function_count(pdb_file *p);
const pdb_function *pdb_function_at(pdb_file *p, size_t i);
size_t pdb_public_count(const pdb_file *p);
const pdb_public *pdb_public_at(const pdb_file *p, size_t i);
size_t pdb_line_count(pdb_file *p);
const pdb_line *pdb_line_at(pdb_file *p, size_t i);
size_t pdb_fpo_count(const pdb_file *p);
const pdb_fpo *pdb_fpo_at(const pdb_file *p, size_t i);
size_t pdb_framedata_count(const pdb_file *p);
const pdb_framedata *pdb_framedata_at(const pdb_file *p, size_t i);

/* O(log n) lookups. With OMAP a function or line is found from any of
 * its pieces, and the record returned is that piece. */
const pdb_function *pdb_find_function(pdb_file *p, uint32_t rva);
const pdb_line *pdb_find_line(pdb_file *p, uint32_t rva);
const pdb_public *pdb_find_public(const pdb_file *p, uint32_t rva); /* nearest at or before */
const pdb_fpo *pdb_find_fpo(const pdb_file *p, uint32_t rva);
const pdb_framedata *pdb_find_framedata(const pdb_file *p, uint32_t rva);

/* x86 C decoration stripped: "_name" -> "name", "@name@8" / "_name@8" ->
 * "name". C++ ("?...") and other names are copied unchanged. Writes into
 * out (size n). */
void pdb_undecorate_c(const char *name, char *out, size_t n);

/* The sym_source over a PDB; the source owns the pdb_file. */
int pdb_open(const char *path, sym_source *out, cor_err *err);
/* The same over a PDB already open (checked against an image, say); the
 * source takes ownership of p, also on failure. origin names its file. */
int pdb_source_from_file(pdb_file *p, const char *origin, sym_source *out, cor_err *err);

/* ---- Types (the TPI stream; pdb_types.c) ------------------------------
 * A pdb_types reads the whole TPI stream when opened and must be closed
 * before its pdb_file. Record offsets are found on first use; the index of
 * full definitions by name on the first lookup by name. Names point into
 * the reader's copy of the stream and live as long as it. */
typedef struct pdb_types pdb_types;

typedef enum pdb_type_kind {
    PDB_TYPE_OTHER = 0, /* a record this reader does not interpret */
    PDB_TYPE_BASE,      /* a simple type index below 0x1000 */
    PDB_TYPE_POINTER,
    PDB_TYPE_ARRAY,
    PDB_TYPE_MODIFIER, /* const / volatile / unaligned */
    PDB_TYPE_BITFIELD,
    PDB_TYPE_PROCEDURE,
    PDB_TYPE_STRUCT,
    PDB_TYPE_CLASS,
    PDB_TYPE_UNION,
    PDB_TYPE_ENUM,
    PDB_TYPE_FIELDLIST,
} pdb_type_kind;

typedef struct pdb_type {
    pdb_type_kind kind;
    uint32_t ti;
    const char *name; /* base types: WinDbg's name ("Int4B"); "" when none */
    uint64_t size;    /* bytes (arrays: the whole array); 0 for a pointer of the target's width */
    uint32_t elem;    /* pointee, element, modified, bitfield or enum underlying type; return type */
    uint32_t fields;  /* LF_FIELDLIST of a struct, class, union or enum */
    uint16_t count;   /* member count as the record claims */
    uint16_t modifiers;
    uint8_t bit_pos, bit_len;
    bool forward; /* a forward reference: see pdb_type_resolve */
    bool is_signed, is_float, is_char;
} pdb_type;

typedef enum pdb_member_kind {
    PDB_MEMBER_FIELD,      /* LF_MEMBER */
    PDB_MEMBER_BASE,       /* LF_BCLASS: type is the base class */
    PDB_MEMBER_VFPTR,      /* LF_VFUNCTAB */
    PDB_MEMBER_ENUMERATOR, /* LF_ENUMERATE: value */
    /* LF_VBCLASS (a direct virtual base) or LF_IVBCLASS (indirect: a
     * virtual base of a base): type is the base class. Where it lies is
     * known only in an object: offset is that of the virtual base pointer
     * (vbptr), value the index of the base's entry in the table it points
     * to, an int32 displacement from the vbptr (MSVC ABI; LLVM
     * MicrosoftCXXABI emitVBTableDefinition). Every virtual base of the
     * complete object is listed, the indirect ones too. */
    PDB_MEMBER_VBASE,
} pdb_member_kind;

typedef struct pdb_member {
    pdb_member_kind kind;
    const char *name;
    uint32_t type;
    uint64_t offset;
    uint64_t value;
    bool indirect; /* PDB_MEMBER_VBASE from LF_IVBCLASS */
} pdb_member;

int pdb_types_open(pdb_file *p, pdb_types **out, cor_err *err);
/* The same reader over either record stream of that layout: TPI (2) or the
 * id stream IPI (4), whose LF_FUNC_ID records name inlined functions. */
int pdb_types_open_stream(pdb_file *p, uint32_t stream, pdb_types **out, cor_err *err);
/* The raw record of index ti: its kind and the bytes after the kind. */
bool pdb_types_record(pdb_types *t, uint32_t ti, uint16_t *kind, const uint8_t **body, uint32_t *len);
void pdb_types_close(pdb_types *t);
/* One past the last type index (TypeIndexEnd). */
uint32_t pdb_types_end(const pdb_types *t);
/* Decodes type index ti; COR_FAIL (no message) when ti is unknown or its
 * record damaged. */
int pdb_type_get(pdb_types *t, uint32_t ti, pdb_type *out);
/* The full definition of a struct, class, union or enum by name, or 0. */
uint32_t pdb_type_find(pdb_types *t, const char *name);
/* ti itself, or the full definition when ti is a forward reference. */
uint32_t pdb_type_resolve(pdb_types *t, uint32_t ti);
/* Modifiers dropped and forward references resolved. */
uint32_t pdb_type_strip(pdb_types *t, uint32_t ti);
/* Members of a struct, class or union (base classes, virtual bases,
 * fields, the vtable pointer; static members, methods and nested types
 * skipped), or an enum's enumerators, in declaration order. *out is
 * malloc'd. */
int pdb_type_members(pdb_types *t, uint32_t ti, pdb_member **out, size_t *count, cor_err *err);
/* WinDbg's name of a type: "Int4B", "Ptr64 Void", "[4] Int4B", "Point",
 * "Pos 0, 3 Bits". ptr_size sizes pointers whose record leaves it open. */
void pdb_type_name(pdb_types *t, uint32_t ti, unsigned ptr_size, char *buf, size_t size);
uint64_t pdb_type_size(pdb_types *t, uint32_t ti, unsigned ptr_size);

/* ---- Inline frames (S_INLINESITE; pdb_inline.c) ----------------------
 * One call inlined into the procedure at an address. The code range and
 * the line come from the site's binary annotations (cvinfo.h
 * BinaryAnnotationOpcode; LLVM SymbolRecord.h) over the base line that the
 * module's DEBUG_S_INLINEELINES gives the inlinee. */
typedef struct pdb_inline_frame {
    char name[256];   /* LF_FUNC_ID / LF_MFUNC_ID name from IPI; "" when unresolved */
    uint32_t inlinee; /* the IPI id */
    uint32_t rva, size;       /* contiguous code of this site that holds the address */
    uint32_t line_rva;        /* start of the line entry that holds it */
    const char *file;         /* from /names; "" when unknown */
    uint32_t line;            /* 0 when INLINEELINES has no entry for the inlinee */
    /* The caller's file and line at the address: the call site. For an
     * inner frame, the enclosing site's line; for the outermost, the
     * procedure's line table, which MSVC fills with the call's line for
     * inlined code but clang leaves uncovered (then 0 and ""). */
    const char *call_file;
    uint32_t call_line;
} pdb_inline_frame;

/* The calls inlined at rva, outermost first, into out[0..max); *n gets
 * how many are active (which can exceed max: only max are written). No
 * inline sites, or no procedure at rva, is success with *n = 0. Damaged
 * annotations end that site's decoding where they break. The first lookup
 * in a module reads its sites (and the IPI stream, once) into the
 * pdb_file; later ones read nothing, so walking many stacks stays cheap.
 * A module whose stream is damaged fails every lookup in it. */
int pdb_find_inlines(pdb_file *p, uint32_t rva, pdb_inline_frame *out, size_t max, size_t *n, cor_err *err);

/* ---- Data symbols (pdb_data.c) ---------------------------------------
 * A global or static variable (S_GDATA32 / S_LDATA32), function-scope
 * statics included, with its size from the type. */
typedef struct pdb_data_sym {
    const char *name;
    uint32_t rva, size; /* size 0 when the type's size is unknown */
    uint32_t type;      /* TPI index */
    bool is_global;
} pdb_data_sym;

/* The variable whose bytes hold rva (a 0-sized one: exactly at rva), or NULL. */
const pdb_data_sym *pdb_find_data(pdb_file *p, uint32_t rva);

/* ---- Parameters (pdb_params.c) ----------------------------------------
 * A procedure's parameters and where each lives at an address: in a
 * register, or in memory at register + offset. CodeView register numbers
 * (cvconst.h CV_HREG_e) name the registers. */
enum {
    PDB_CV_X86_EAX = 17, /* EAX..EDI = 17..24 in EAX ECX EDX EBX ESP EBP ESI EDI order */
    PDB_CV_X86_EBX = 20,
    PDB_CV_X86_EBP = 22,
    PDB_CV_X86_VFRAME = 30007, /* the x86 FPO "virtual frame": ESP-based */
    PDB_CV_AMD64_RAX = 328,    /* RAX RBX RCX RDX RSI RDI RBP RSP = 328..335 */
    PDB_CV_AMD64_RBP = 334,
    PDB_CV_AMD64_RSP = 335,
    PDB_CV_AMD64_R8 = 336,     /* R8..R15 = 336..343 */
    PDB_CV_AMD64_R13 = 341,
    PDB_CV_AMD64_R8D = 360,    /* R8D..R15D = 360..367 */
};

typedef enum pdb_param_where {
    PDB_PARAM_UNAVAILABLE = 0, /* no location covers the address (optimised away) */
    PDB_PARAM_REGISTER,        /* the value is register `reg` */
    PDB_PARAM_MEMORY,          /* the value is at register `reg` + offset */
} pdb_param_where;

typedef struct pdb_param {
    const char *name;
    uint32_t type;             /* TPI index */
    pdb_param_where where;
    uint16_t reg;              /* CodeView register number */
    int32_t offset;
} pdb_param;

/* The parameters of the procedure holding rva, in order, and their
 * locations at rva, into out[0..max); *n gets how many there are (which can
 * exceed max). x64 selects the register set of frame-relative records.
 * func_type (may be NULL) gets the procedure type's name. No procedure at
 * rva is success with *n = 0. */
int pdb_find_params(pdb_file *p, uint32_t rva, bool x64, pdb_param *out, size_t max, size_t *n, char *func_type,
                    size_t type_size, cor_err *err);

/* The pdb_file behind a PDB sym_source, or NULL for other sources. */
pdb_file *pdb_source_file(const sym_source *s);

#endif
