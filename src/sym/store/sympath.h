/* The symbol path, as dbghelp reads _NT_SYMBOL_PATH / .sympath:
 *
 *   path     := element (';' element)*
 *   element  := 'srv*' store ('*' store)*            symbol server chain
 *             | 'symsrv*' dll '*' store ('*' store)*  same, DLL named (ignored)
 *             | 'cache*' [dir]                        cache for every element to its right
 *             | dir                                   plain directory
 *
 * Keywords are case-insensitive. An empty store ("srv**https://x", or a
 * trailing '*') is the default downstream store. A chain whose first store is
 * HTTP gets the default downstream store in front of it, because symsrv
 * always downloads into a local store. A plain directory is searched flat
 * (dir/name) and, when it looks like a store (index2.txt, pingme.txt or
 * 000Admin in it), also in the store layout.
 *
 * Windows paths are mapped onto this machine (see sym_path_options); every
 * mapping is recorded as a note so the caller can say where things went.
 * Parsing never reads the environment: sym_path_options_from_env() does,
 * once, so tests and servers control it. */
#ifndef COR_SYM_STORE_SYMPATH_H
#define COR_SYM_STORE_SYMPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define SYM_CHAIN_MAX_STORES 10 /* symsrv's documented limit */
#define SYM_MSDL_URL "https://msdl.microsoft.com/download/symbols"

typedef enum sym_store_kind {
    SYM_STORE_LOCAL, /* a directory on this machine (after drive/UNC mapping) */
    SYM_STORE_HTTP,  /* an http:// or https:// base URL, no trailing '/' */
} sym_store_kind;

typedef struct sym_store {
    sym_store_kind kind;
    char *location; /* local directory or URL */
    char *written;  /* the element as the user wrote it ("" for the default store) */
    bool is_cache;  /* inserted by cache*dir or as the implicit default downstream store */
} sym_store;

typedef enum sym_chain_kind {
    SYM_CHAIN_SERVER, /* srv* / symsrv*: store layout only */
    SYM_CHAIN_DIR,    /* plain directory: flat, plus store layout if it looks like one */
} sym_chain_kind;

typedef struct sym_chain {
    sym_chain_kind kind;
    sym_store *stores; /* searched left to right; hits copied to every local store on the left */
    size_t count;
} sym_chain;

typedef struct sym_path_options {
    /* The default downstream store. NULL: "$DBGHELP_HOMEDIR/sym" when that is
     * set (dbghelp's rule), else "$HOME/.coroner/sym" (filled in by
     * sym_path_options_from_env; without it parse falls back to "./sym"). */
    const char *default_store;
    /* Drive letter X: maps to drive_map['x'-'a'] when set, else to
     * "<drive_root>/x". from_env sets drive_root to $COR_DRIVE_ROOT, else
     * "$HOME/.coroner/drives"; a NULL drive_root means "./drives". */
    const char *drive_map[26];
    const char *drive_root;
    /* \\server\share\rest maps to "<unc_root>/server/share/rest"; NULL means
     * "//server/share/rest", which Linux resolves like /server/share/rest, so
     * mounting the share there (or setting COR_UNC_ROOT) makes it work. */
    const char *unc_root;
    /* Storage for the defaults sym_path_options_from_env() computes; do not
     * copy a filled-in struct by value and let the original go. */
    char buf_store[1024], buf_drives[1024];
} sym_path_options;

typedef struct sym_path {
    sym_chain *chains;
    size_t count;
    char **notes; /* mappings made and elements skipped, one line each */
    size_t nnotes;
    sym_path_options opt; /* copy; strings below are owned by the path */
    char *owned_strings[30];
} sym_path;

/* Fills opt from COR_DRIVE_A..COR_DRIVE_Z, COR_DRIVE_ROOT, COR_UNC_ROOT,
 * DBGHELP_HOMEDIR and HOME. The strings point into the environment. */
void sym_path_options_from_env(sym_path_options *opt);

/* Parses text into *out. Malformed elements are skipped with a note, as
 * dbghelp skips them; COR_FAIL only for out-of-memory or a NULL text. */
int sym_path_parse(const char *text, const sym_path_options *opt, sym_path **out, cor_err *err);
void sym_path_free(sym_path *p);

/* Maps one path as written (Windows or POSIX) to a local path, malloc'd.
 * Returns NULL for an empty path or out of memory. */
char *sym_path_map_local(const sym_path_options *opt, const char *written);

/* The default downstream store directory for these options (never NULL). */
const char *sym_path_default_store(const sym_path_options *opt);

/* ".symfix [+] [cache]": returns "srv*<cache>*https://msdl.microsoft.com/download/symbols"
 * (cache empty when NULL, which means the default store), prefixed with
 * "<old>;" when append and old is non-empty. malloc'd; NULL when out of memory. */
char *sym_path_symfix(const char *old, bool append, const char *cache);

/* One line per chain, e.g. "srv: [cache]/home/u/.coroner/sym -> https://x". */
char *sym_path_describe(const sym_path *p);

#endif
