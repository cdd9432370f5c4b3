/* PE images: the DOS and NT headers (PE32 and PE32+), the section table,
 * the data directories, and RVA translation, over an abstract byte source.
 *
 * An image is read either as the loader mapped it (dump memory: an RVA is
 * the offset from the module base) or as it lies on disk (an RVA goes
 * through the section table to a file offset). Every parser in this folder
 * reads through pe_read(), so all of them serve both layouts.
 *
 * Layouts: "PE Format" (learn.microsoft.com/windows/win32/debug/pe-format),
 * cross-read with Wine's include/winnt.h and LLVM's Object/COFF.h. */
#ifndef COR_PE_IMAGE_H
#define COR_PE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "mem/address_space.h"

enum { PE_LAYOUT_FILE = 0, PE_LAYOUT_MAPPED = 1 };

/* Reads exactly n bytes at source offset off (a file offset for the file
 * layout, an RVA for the mapped one). Returns COR_OK or COR_FAIL; a short
 * read is a failure. */
typedef int (*pe_read_fn)(void *ctx, uint64_t off, void *buf, size_t n);

typedef struct pe_source {
    pe_read_fn read;
    void *ctx;
    int layout; /* PE_LAYOUT_* */
} pe_source;

/* IMAGE_FILE_MACHINE_* values seen in user-mode dumps. */
enum {
    PE_MACHINE_I386 = 0x014C,
    PE_MACHINE_ARMNT = 0x01C4,
    PE_MACHINE_IA64 = 0x0200,
    PE_MACHINE_AMD64 = 0x8664,
    PE_MACHINE_ARM64 = 0xAA64,
};

/* IMAGE_FILE_* characteristics worth naming. */
enum {
    PE_FILE_EXECUTABLE_IMAGE = 0x0002,
    PE_FILE_LARGE_ADDRESS_AWARE = 0x0020,
    PE_FILE_32BIT_MACHINE = 0x0100,
    PE_FILE_DLL = 0x2000,
};

/* IMAGE_DIRECTORY_ENTRY_* indexes. */
enum {
    PE_DIR_EXPORT = 0,
    PE_DIR_IMPORT = 1,
    PE_DIR_RESOURCE = 2,
    PE_DIR_EXCEPTION = 3,
    PE_DIR_SECURITY = 4, /* a file offset, not an RVA */
    PE_DIR_BASERELOC = 5,
    PE_DIR_DEBUG = 6,
    PE_DIR_ARCHITECTURE = 7,
    PE_DIR_GLOBALPTR = 8,
    PE_DIR_TLS = 9,
    PE_DIR_LOAD_CONFIG = 10,
    PE_DIR_BOUND_IMPORT = 11,
    PE_DIR_IAT = 12,
    PE_DIR_DELAY_IMPORT = 13,
    PE_DIR_CLR = 14,
    PE_DIR_COUNT = 16,
};

enum { PE_MAGIC_PE32 = 0x10B, PE_MAGIC_PE32PLUS = 0x20B };

typedef struct pe_data_dir {
    uint32_t rva;
    uint32_t size;
} pe_data_dir;

typedef struct pe_section {
    char name[9];             /* NUL-terminated; "/4"-style long names are not resolved */
    uint32_t virtual_size;
    uint32_t virtual_address; /* RVA */
    uint32_t raw_size;        /* SizeOfRawData */
    uint32_t raw_ptr;         /* PointerToRawData, as recorded */
    uint32_t characteristics; /* IMAGE_SCN_* */
} pe_section;

/* The headers as decoded; fields are as recorded, not validated beyond
 * what reading needs. */
typedef struct pe_headers {
    uint32_t e_lfanew;
    /* IMAGE_FILE_HEADER */
    uint16_t machine;
    uint16_t nsections;
    uint32_t timestamp;
    uint16_t size_of_optional_header;
    uint16_t characteristics;
    /* IMAGE_OPTIONAL_HEADER32/64 */
    uint16_t magic;
    bool pe32plus;
    uint8_t linker_major, linker_minor;
    uint32_t size_of_code;
    uint32_t entry_rva;
    uint32_t base_of_code;
    uint64_t image_base;
    uint32_t section_alignment, file_alignment;
    uint16_t os_major, os_minor, image_major, image_minor, subsystem_major, subsystem_minor;
    uint32_t size_of_image;
    uint32_t size_of_headers;
    uint32_t checksum;
    uint16_t subsystem;
    uint16_t dll_characteristics;
    uint64_t stack_reserve, stack_commit, heap_reserve, heap_commit;
    uint32_t ndirs;              /* NumberOfRvaAndSizes as recorded */
    pe_data_dir dirs[PE_DIR_COUNT]; /* zero past what the header holds */
} pe_headers;

typedef struct pe_image pe_image;

/* Reads and checks the headers and the section table. The source (and
 * whatever its ctx points at) must outlive the image. */
int pe_image_open(const pe_source *src, pe_image **out, cor_err *err);
/* Over bytes the caller owns, in either layout; they must outlive the image. */
int pe_image_open_mem(const void *data, size_t size, int layout, pe_image **out, cor_err *err);
/* Maps a file read-only (file layout); the image owns the mapping. */
int pe_image_open_path(const char *path, pe_image **out, cor_err *err);
/* The module loaded at base in a dump's address space (mapped layout). */
int pe_image_open_as(as_space *as, uint64_t base, pe_image **out, cor_err *err);
void pe_image_close(pe_image *img);

const pe_headers *pe_image_headers(const pe_image *img);
int pe_image_layout(const pe_image *img);
/* 4 for PE32, 8 for PE32+. */
unsigned pe_image_ptr_size(const pe_image *img);
/* The data directory, or {0, 0} when the header has no such entry. */
pe_data_dir pe_image_dir(const pe_image *img, unsigned index);
bool pe_image_is_dll(const pe_image *img);

size_t pe_section_count(const pe_image *img);
const pe_section *pe_section_at(const pe_image *img, size_t i);
/* The section whose mapped extent holds rva, or NULL. */
const pe_section *pe_section_by_rva(const pe_image *img, uint32_t rva);

/* File offset of the byte at rva (file layout through the section table;
 * mapped layout: the RVA itself). Fails when the byte has no file backing
 * (past the headers and outside every section's raw data). */
int pe_rva_to_offset(const pe_image *img, uint32_t rva, uint64_t *off);

/* Reads exactly n bytes at rva as the loader would have mapped them: in
 * the file layout, bytes of a section past its raw data and the gaps
 * between sections read as zeros. Fails past SizeOfImage. */
int pe_read(const pe_image *img, uint32_t rva, void *buf, size_t n, cor_err *err);
int pe_read_u16(const pe_image *img, uint32_t rva, uint16_t *v);
int pe_read_u32(const pe_image *img, uint32_t rva, uint32_t *v);
int pe_read_u64(const pe_image *img, uint32_t rva, uint64_t *v);
/* A pointer-sized value (4 bytes in PE32, 8 in PE32+). */
int pe_read_ptr(const pe_image *img, uint32_t rva, uint64_t *v);
/* An 8-bit NUL-terminated string of at most max bytes, malloc'd, with
 * non-printable bytes replaced by '?'. NULL when unreadable, when no NUL is
 * found within max bytes, or out of memory. */
char *pe_read_cstr(const pe_image *img, uint32_t rva, size_t max);

/* The symbol-store key of the image: TimeDateStamp as %08X then
 * SizeOfImage as %x ("589DFD111a000"). buf must hold 20 bytes. */
const char *pe_image_code_id(const pe_image *img, char *buf);

/* ReadyToRun images compiled for another OS carry the machine XORed with
 * an OS mask (IMAGE_FILE_MACHINE_NATIVE_OS_OVERRIDE in dotnet/runtime's
 * src/coreclr/inc/pedecoder.h): 0xFD1D is AMD64 for Linux. Returns the CPU
 * and sets *os to "Linux", "Apple", ... (NULL for plain machines; os may
 * be NULL). Unknown values come back unchanged. */
uint16_t pe_native_machine(uint16_t machine, const char **os);

/* "x86", "x64", "ARM64", "ARM", "IA64", or NULL for others. */
const char *pe_machine_name(uint16_t machine);

#endif
