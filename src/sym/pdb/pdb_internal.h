/* State shared by the PDB readers in this folder. Not for other layers. */
#ifndef COR_SYM_PDB_INTERNAL_H
#define COR_SYM_PDB_INTERNAL_H

#include "sym/pdb/msf.h"
#include "sym/pdb/pdb.h"

/* Fixed stream numbers (LLVM docs/PDB/index.rst). */
enum { PDB_STREAM_INFO = 1, PDB_STREAM_TPI = 2, PDB_STREAM_DBI = 3, PDB_STREAM_IPI = 4 };

/* CodeView symbol kinds and offsets that more than one module-stream
 * reader needs (cvinfo.h SYM_ENUM_e, PROCSYM32; C13 subsection types). */
enum {
    S_LPROC32 = 0x110F,
    S_GPROC32 = 0x1110,
    S_LPROC32_ID = 0x1146,
    S_GPROC32_ID = 0x1147,
    S_LPROC32_DPC = 0x1155,
    S_LPROC32_DPC_ID = 0x1156,

    /* PROCSYM32, offsets from the record's length field. */
    PROC_END = 8,
    PROC_LEN = 16,
    PROC_OFF = 32,
    PROC_SEG = 36,
    PROC_NAME = 39,

    DEBUG_S_IGNORE = 0x80000000u,
    DEBUG_S_LINES = 0xF2,
    DEBUG_S_FILECHKSMS = 0xF4,
    DEBUG_S_INLINEELINES = 0xF6,
};

/* Optional debug header slots (microsoft-pdb dbi.h DbgType). */
enum {
    DBG_FPO = 0,
    DBG_EXCEPTION = 1,
    DBG_FIXUP = 2,
    DBG_OMAP_TO_SRC = 3,
    DBG_OMAP_FROM_SRC = 4,
    DBG_SECTION_HDR = 5,
    DBG_TOKEN_RID_MAP = 6,
    DBG_XDATA = 7,
    DBG_PDATA = 8,
    DBG_NEW_FPO = 9,
    DBG_SECTION_HDR_ORIG = 10,
    DBG_MAX = 11,
};

/* Names live in chunks that never move, so pointers handed out stay valid
 * for the life of the pdb_file. */
typedef struct pdb_arena_chunk {
    struct pdb_arena_chunk *next;
    size_t used, cap;
    char data[];
} pdb_arena_chunk;

typedef struct pdb_omap_entry {
    uint32_t from, to;
} pdb_omap_entry;

/* Breakpad's merged view of OMAP (pdb_omap.c): source bytes
 * [src, src+len) sit at image [rva, rva+len); then come `injected` image
 * bytes with no source and `removed` source bytes with no image. */
typedef struct pdb_omap_range {
    uint32_t src, rva, len, injected, removed;
} pdb_omap_range;

/* A range start or end, with the lowest-numbered range holding it. */
typedef struct pdb_omap_endpoint {
    uint32_t at, first;
} pdb_omap_endpoint;

/* Where a source range went: image ranges in image order, none of them
 * empty unless the source range was. Reused across calls: zero-initialize,
 * then pdb_range_buf_free. */
typedef struct pdb_range {
    uint32_t rva, size;
} pdb_range;
typedef struct pdb_range_buf {
    pdb_range *v;
    size_t n, cap;
    pdb_omap_range *tmp; /* scratch: the clipped pieces */
    size_t ntmp, tmp_cap;
} pdb_range_buf;

typedef struct pdb_section {
    uint32_t va, size;
} pdb_section;

/* One module's functions and lines, read on the first lookup that lands
 * in one of its section contributions. */
enum { MOD_UNLOADED = 0, MOD_LOADED, MOD_FAILED };
typedef struct pdb_mod_index {
    pdb_function *funcs;
    pdb_line *lines;
    size_t nfuncs, nlines;
    int state;
} pdb_mod_index;

/* One module's inline sites (pdb_inline.c), read on the first inline
 * lookup in one of its procedures. Offsets are into the module stream
 * (S_INLINESITE names its enclosing record by offset) or into blob. */
typedef struct pdb_inline_site {
    uint32_t self, parent; /* this record's offset; pParent */
    uint32_t inlinee;      /* IPI id */
    uint32_t base_file, base_line; /* from DEBUG_S_INLINEELINES */
    bool have_base;
    uint32_t ann, ann_len; /* the binary annotations, in blob */
} pdb_inline_site;

typedef struct pdb_inline_proc {
    uint32_t src_rva;      /* the procedure's start before OMAP */
    uint32_t self;         /* its record's offset */
    uint32_t first, count; /* its sites in pdb_inline_mod.sites, in stream order */
} pdb_inline_proc;

typedef struct pdb_inline_mod {
    int state;             /* MOD_UNLOADED, MOD_LOADED, MOD_FAILED */
    pdb_inline_proc *procs; /* only those with sites, by src_rva */
    size_t nprocs;
    pdb_inline_site *sites;
    size_t nsites;
    uint8_t *blob;         /* annotations, then the DEBUG_S_FILECHKSMS bytes */
    uint32_t chk, chk_len; /* where those checksums are in blob */
} pdb_inline_mod;

/* A section contribution as an RVA range, for finding a module by address. */
typedef struct pdb_code_range {
    uint32_t rva, size;
    uint16_t module;
} pdb_code_range;

struct pdb_file {
    msf_file msf;
    void *map; /* non-NULL when we own an mmap of map_size bytes */
    size_t map_size;
    pdb_arena_chunk *arena;

    uint32_t info_version, signature, info_age;
    uint8_t guid[16];
    uint8_t *names;       /* /names string buffer (the strings, not the header) */
    uint32_t names_len;

    uint32_t dbi_age;
    uint16_t machine;
    uint16_t publics_stream, symrec_stream, globals_stream;
    uint16_t dbg[DBG_MAX];
    pdb_module *mods;
    size_t nmods;
    pdb_contribution *contribs;
    size_t ncontribs;

    pdb_section *sections; /* used to turn seg:off into (pre-OMAP) RVAs */
    size_t nsections;
    pdb_omap_entry *omap_from; /* sorted by from */
    size_t nomap_from;
    pdb_omap_entry *omap_to; /* image RVA -> source RVA, sorted by from */
    size_t nomap_to;
    uint32_t image_end; /* end of the final image's last section, with OMAP */
    /* Both tables merged (pdb_omap_build), sorted by src; NULL unless both
     * tables are present. */
    pdb_omap_range *omap_map;
    size_t nomap_map;
    pdb_omap_endpoint *omap_ends; /* sorted by at */
    size_t nomap_ends;

    pdb_public *publics;
    size_t npublics;
    pdb_fpo *fpo;
    size_t nfpo;
    pdb_framedata *framedata;
    size_t nframedata;

    pdb_mod_index *modidx; /* nmods entries, allocated on first use */
    cor_err mod_err;       /* why the first damaged module was skipped */
    pdb_code_range *ranges;
    size_t nranges;
    bool ranges_built;

    /* Inline sites per module (nmods entries, allocated on first use) and
     * the IPI stream that names the inlinees, opened once. */
    pdb_inline_mod *inline_mods;
    struct pdb_types *ipi;
    bool ipi_tried;

    /* Data symbols (pdb_data.c), read on the first pdb_find_data. */
    struct pdb_data_sym *data;
    size_t ndata;
    bool data_built;

    /* The whole index, built on the first enumeration. */
    bool indexed;
    pdb_function *funcs;
    size_t nfuncs;
    pdb_line *lines;
    size_t nlines;
};

char *pdb_arena_strndup(pdb_file *p, const uint8_t *s, size_t n);
/* A NUL-terminated name at off in buf (len bytes), copied into the arena;
 * a name running off the end is cut there. NULL only when out of memory. */
const char *pdb_arena_cstr(pdb_file *p, const uint8_t *buf, size_t len, size_t off);
/* The /names string at off, or NULL when off is outside or unterminated. */
const char *pdb_names_at(const pdb_file *p, uint32_t off);

/* Merges the OMAP tables read at open time into the mapped ranges. */
int pdb_omap_build(pdb_file *p, cor_err *err);
/* The image ranges the source range [src, src+len) occupies, into b->v
 * (none when the optimizer dropped it all). Without both OMAP tables: one
 * range where the source range starts in the image, of its length.
 * False only when out of memory. */
bool pdb_omap_map(const pdb_file *p, uint32_t src, uint32_t len, pdb_range_buf *b);
void pdb_range_buf_free(pdb_range_buf *b);

/* Where an S_INLINESITE's binary annotations put a code offset (relative
 * to the procedure's start): the line entry holding it and the run of
 * adjacent entries around it (pdb_inline.c). */
typedef struct pdb_inline_hit {
    bool found;
    uint32_t line_off, line_len, line;
    uint32_t file; /* checksum offset, from ChangeFile or the base */
    uint32_t run_start, run_end;
} pdb_inline_hit;
/* Runs the annotations over base_line/base_file. Returns false when they
 * stop early (truncated, bad encoding, unknown opcode); entries decoded
 * before that still count. */
bool pdb_inline_locate(const uint8_t *ann, size_t len, uint32_t base_line, uint32_t base_file, uint32_t target,
                       pdb_inline_hit *hit);

/* Frees what pdb_find_inlines kept (pdb_file_close calls it). */
void pdb_inline_free(pdb_file *p);

/* (GNU statement expression, as gcc and clang accept.) Index of the last element whose rva is <= rva, or SIZE_MAX. */
#define LAST_AT_OR_BEFORE(arr, n, key) LAST_AT_OR_BEFORE_BY(arr, n, key, rva)
#define LAST_AT_OR_BEFORE_BY(arr, n, key, field)                                                                        \
    ({                                                                                                          \
        size_t lo_ = 0, hi_ = (n);                                                                              \
        while (lo_ < hi_) {                                                                                     \
            size_t mid_ = lo_ + (hi_ - lo_) / 2;                                                                \
            if ((arr)[mid_].field <= (key)) lo_ = mid_ + 1;                                                       \
            else hi_ = mid_;                                                                                    \
        }                                                                                                       \
        lo_ ? lo_ - 1 : SIZE_MAX;                                                                               \
    })

#endif
