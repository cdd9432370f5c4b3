/* Image files on disk as a fallback for dump memory, like cdb's
 * -i ImagePath: for each module of a dump, find its PE file on an image
 * search path, check that it is the same build, and serve the loader's
 * view of it for addresses the dump did not capture.
 *
 * Install with as_set_fallback(as, pe_files_fallback, files). Files are
 * looked up and mapped lazily, on the first address that falls in their
 * module, so one pe_files must not be used from two threads at once. */
#ifndef COR_PE_FILES_H
#define COR_PE_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "dump/minidump.h"

typedef struct pe_files pe_files;

/* image_path is ';'-separated directories. Each is searched for the
 * module's file name (case-insensitively) and in symbol-store layout,
 * dir/name/TIMESTAMPSIZEOFIMAGE/name (TimeDateStamp %08X, SizeOfImage %x).
 * srv*local*url and cache*local entries contribute their local
 * directories. A file is accepted only when its TimeDateStamp and
 * SizeOfImage match the module's. */
int pe_files_new(md_dump *d, const char *image_path, pe_files **out, cor_err *err);
/* The same over a module list the caller owns (copied: base, size,
 * timestamp and name or path of each). */
int pe_files_new_modules(const md_module *mods, size_t n, const char *image_path, pe_files **out, cor_err *err);
void pe_files_free(pe_files *f);

/* An as_fallback_fn: a view of the bytes at addr as the loader would have
 * mapped the module's file (relocated to the module's base when that
 * differs from the file's ImageBase), and how many contiguous bytes it
 * holds. Zero fill (section tails, gaps) comes from a shared zero page.
 * NULL when addr is in no module or the module has no matching file. */
const uint8_t *pe_files_fallback(void *ctx, uint64_t addr, size_t *avail);

/* A second way to find a module's file when the image path has none: a
 * symbol server, say (the caller downloads the image by timestamp and
 * size, as WinDbg does for minidumps). Returns a malloc'd path or NULL
 * with the reason in err. */
typedef char *(*pe_files_finder)(void *ctx, const char *name, uint32_t timestamp, uint32_t size_of_image,
                                 cor_err *err);
void pe_files_set_finder(pe_files *f, pe_files_finder fn, void *ctx);

/* The file that serves module i (in the order given at creation), looking
 * it up now if that has not happened yet; NULL with the reason in err
 * when there is none. */
const char *pe_files_module_file(pe_files *f, size_t i, cor_err *err);

/* The file already serving module i, or NULL when none has been looked
 * up yet or none was found (never searches). */
const char *pe_files_loaded_file(const pe_files *f, size_t i);

/* Searches image_path for one module's file; a malloc'd path, or NULL with
 * the reason (nothing found, or what mismatched) in err. */
char *pe_files_find(const char *image_path, const char *name, uint32_t timestamp, uint32_t size_of_image,
                    cor_err *err);

#endif
