/* PE headers, the section table, and the two ways an RVA turns into bytes.
 *
 * The file layout is served as the Windows loader would map it, so a
 * parser never needs to know which layout it reads: each section's raw
 * data lands at its VirtualAddress, the rest of its extent is zero fill,
 * and the headers occupy [0, SizeOfHeaders). */
#include "pe/pe_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cursor.h"
#include "core/text.h"

#define DOS_SIZE 64
#define DOS_e_magic 0x00
#define DOS_e_lfanew 0x3C
#define DOS_MAGIC 0x5A4D /* "MZ" */

#define NT_SIGNATURE 0x00004550u /* "PE\0\0" */
#define NT_FIXED_SIZE 24         /* signature + IMAGE_FILE_HEADER */
#define FH_Machine 4
#define FH_NumberOfSections 6
#define FH_TimeDateStamp 8
#define FH_SizeOfOptionalHeader 20
#define FH_Characteristics 22

/* IMAGE_OPTIONAL_HEADER32/64, offsets from its start. The two differ from
 * BaseOfData on (PE32+ drops it and widens ImageBase and the four
 * stack/heap sizes), hence the pairs. */
#define OH_Magic 0
#define OH_MajorLinkerVersion 2
#define OH_MinorLinkerVersion 3
#define OH_SizeOfCode 4
#define OH_AddressOfEntryPoint 16
#define OH_BaseOfCode 20
#define OH32_ImageBase 28
#define OH64_ImageBase 24
#define OH_SectionAlignment 32
#define OH_FileAlignment 36
#define OH_MajorOperatingSystemVersion 40
#define OH_MinorOperatingSystemVersion 42
#define OH_MajorImageVersion 44
#define OH_MinorImageVersion 46
#define OH_MajorSubsystemVersion 48
#define OH_MinorSubsystemVersion 50
#define OH_SizeOfImage 56
#define OH_SizeOfHeaders 60
#define OH_CheckSum 64
#define OH_Subsystem 68
#define OH_DllCharacteristics 70
#define OH32_SizeOfStackReserve 72
#define OH64_SizeOfStackReserve 72
#define OH32_NumberOfRvaAndSizes 92
#define OH64_NumberOfRvaAndSizes 108
#define OH32_DataDirectory 96
#define OH64_DataDirectory 112
#define OH_MAX_SIZE (OH64_DataDirectory + 8 * PE_DIR_COUNT)

#define SH_SIZE 40
#define SH_Name 0
#define SH_VirtualSize 8
#define SH_VirtualAddress 12
#define SH_SizeOfRawData 16
#define SH_PointerToRawData 20
#define SH_Characteristics 36

/* One section as the loader maps it, for RVA lookups: sorted by va, with
 * extents clamped so that no two overlap and none passes SizeOfImage. */
typedef struct pe_span {
    uint32_t va;
    uint32_t extent;  /* mapped bytes */
    uint32_t raw_off; /* file offset of its raw data, loader-adjusted */
    uint32_t raw_len; /* file bytes, at most extent */
    uint32_t index;   /* into sections[] */
} pe_span;

struct pe_image {
    pe_source src;
    pe_headers hdr;
    pe_section *sections;
    pe_span *spans;
    size_t nsections;
    /* Backing for the built-in sources. */
    const uint8_t *mem;
    size_t mem_size;
    void *map;
    size_t map_size;
    as_space *as;
    uint64_t base;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    const pe_image *img = ctx;
    if (!span_ok(img->mem_size, off, n)) return COR_FAIL;
    memcpy(buf, img->mem + off, n);
    return COR_OK;
}

static int as_source_read(void *ctx, uint64_t off, void *buf, size_t n)
{
    const pe_image *img = ctx;
    if (off > UINT64_MAX - img->base) return COR_FAIL;
    return as_read(img->as, img->base + off, buf, n, NULL);
}

int pe_read_raw(const pe_image *img, uint64_t off, void *buf, size_t n)
{
    if (n == 0) return COR_OK;
    return img->src.read(img->src.ctx, off, buf, n);
}

static int cmp_span(const void *a, const void *b)
{
    const pe_span *x = a, *y = b;
    if (x->va != y->va) return x->va < y->va ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void build_spans(pe_image *img)
{
    const pe_headers *h = &img->hdr;
    for (size_t i = 0; i < img->nsections; i++) {
        const pe_section *s = &img->sections[i];
        pe_span *sp = &img->spans[i];
        sp->index = (uint32_t)i;
        sp->va = s->virtual_address;
        /* A VirtualSize of 0 means "as much as the raw data" to the loader. */
        uint32_t ext = s->virtual_size ? s->virtual_size : s->raw_size;
        if (sp->va >= h->size_of_image) ext = 0;
        else if (ext > h->size_of_image - sp->va) ext = h->size_of_image - sp->va;
        sp->extent = ext;
        /* The loader rounds PointerToRawData down to 512 unless the image
         * uses a smaller FileAlignment (pefile's adjust_FileAlignment;
         * Corkami's PE notes). */
        sp->raw_off = h->file_alignment >= 0x200 ? s->raw_ptr & ~0x1FFu : s->raw_ptr;
        uint32_t raw = s->raw_ptr ? s->raw_size : 0;
        sp->raw_len = raw < ext ? raw : ext;
    }
    qsort(img->spans, img->nsections, sizeof *img->spans, cmp_span);
    /* Overlapping sections are malformed (the loader refuses them); clamp
     * so that lookups stay well defined: the earlier section ends where
     * the next begins. */
    for (size_t i = 0; i + 1 < img->nsections; i++) {
        pe_span *sp = &img->spans[i];
        uint32_t room = img->spans[i + 1].va - sp->va;
        if (sp->extent > room) sp->extent = room;
        if (sp->raw_len > sp->extent) sp->raw_len = sp->extent;
    }
}

/* Index of the last span with va <= rva, or -1. */
static ptrdiff_t span_floor(const pe_image *img, uint32_t rva)
{
    size_t lo = 0, hi = img->nsections;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (img->spans[mid].va <= rva) lo = mid + 1;
        else hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

bool pe_rva_locate(const pe_image *img, uint32_t rva, uint64_t *file_off, uint64_t *run)
{
    const pe_headers *h = &img->hdr;
    if (rva >= h->size_of_image) return false;
    ptrdiff_t k = span_floor(img, rva);
    if (k >= 0) {
        const pe_span *sp = &img->spans[k];
        uint32_t in = rva - sp->va;
        if (in < sp->extent) {
            if (in < sp->raw_len) {
                *file_off = (uint64_t)sp->raw_off + in;
                *run = sp->raw_len - in;
            } else {
                *file_off = UINT64_MAX;
                *run = sp->extent - in;
            }
            return true;
        }
    }
    /* Outside every section: the headers, or zero fill up to the next
     * section (or the end of the image). */
    uint64_t limit = h->size_of_image;
    if ((size_t)(k + 1) < img->nsections && img->spans[k + 1].va < limit) limit = img->spans[k + 1].va;
    if (rva < h->size_of_headers) {
        if (h->size_of_headers < limit) limit = h->size_of_headers;
        *file_off = rva;
    } else {
        *file_off = UINT64_MAX;
    }
    *run = limit - rva;
    return true;
}

int pe_read(const pe_image *img, uint32_t rva, void *buf, size_t n, cor_err *err)
{
    const pe_headers *h = &img->hdr;
    if (n == 0) return COR_OK;
    if (!span_ok(h->size_of_image, rva, n))
        return cor_fail(err, "%zu bytes at RVA 0x%x run past SizeOfImage 0x%x", n, rva, h->size_of_image);
    if (img->src.layout == PE_LAYOUT_MAPPED) {
        if (pe_read_raw(img, rva, buf, n) != COR_OK)
            return cor_fail(err, "cannot read %zu bytes at RVA 0x%x", n, rva);
        return COR_OK;
    }
    uint8_t *dst = buf;
    size_t done = 0;
    while (done < n) {
        uint32_t at = rva + (uint32_t)done;
        uint64_t off, run;
        if (!pe_rva_locate(img, at, &off, &run) || run == 0)
            return cor_fail(err, "RVA 0x%x is outside the image", at);
        size_t k = run < n - done ? (size_t)run : n - done;
        if (off == UINT64_MAX) {
            memset(dst + done, 0, k);
        } else if (pe_read_raw(img, off, dst + done, k) != COR_OK) {
            return cor_fail(err, "RVA 0x%x maps to file offset 0x%llx, past the end of the file", at,
                            (unsigned long long)off);
        }
        done += k;
    }
    return COR_OK;
}

int pe_read_u16(const pe_image *img, uint32_t rva, uint16_t *v)
{
    uint8_t b[2];
    if (pe_read(img, rva, b, 2, NULL) != COR_OK) return COR_FAIL;
    *v = le16(b);
    return COR_OK;
}

int pe_read_u32(const pe_image *img, uint32_t rva, uint32_t *v)
{
    uint8_t b[4];
    if (pe_read(img, rva, b, 4, NULL) != COR_OK) return COR_FAIL;
    *v = le32(b);
    return COR_OK;
}

int pe_read_u64(const pe_image *img, uint32_t rva, uint64_t *v)
{
    uint8_t b[8];
    if (pe_read(img, rva, b, 8, NULL) != COR_OK) return COR_FAIL;
    *v = le64(b);
    return COR_OK;
}

int pe_read_ptr(const pe_image *img, uint32_t rva, uint64_t *v)
{
    if (img->hdr.pe32plus) return pe_read_u64(img, rva, v);
    uint32_t x;
    if (pe_read_u32(img, rva, &x) != COR_OK) return COR_FAIL;
    *v = x;
    return COR_OK;
}

char *pe_read_cstr(const pe_image *img, uint32_t rva, size_t max)
{
    /* Read in chunks, but fall back to single bytes when a chunk fails: in
     * dump memory the string may end just before an uncaptured page. */
    enum { CHUNK = 64 };
    uint8_t *buf = malloc(max + 1);
    if (!buf) return NULL;
    size_t len = 0;
    while (len < max) {
        uint64_t at = (uint64_t)rva + len;
        if (at >= img->hdr.size_of_image) break;
        size_t want = max - len < CHUNK ? max - len : CHUNK;
        if (want > img->hdr.size_of_image - at) want = (size_t)(img->hdr.size_of_image - at);
        if (pe_read(img, (uint32_t)at, buf + len, want, NULL) != COR_OK) {
            if (pe_read(img, (uint32_t)at, buf + len, 1, NULL) != COR_OK) break;
            want = 1;
        }
        const uint8_t *nul = memchr(buf + len, 0, want);
        if (nul) {
            char *s = ascii_dup(buf, (size_t)(nul - buf));
            free(buf);
            return s;
        }
        len += want;
    }
    free(buf);
    return NULL;
}

uint8_t *pe_read_alloc(const pe_image *img, uint32_t rva, size_t n, const char *what, cor_err *err)
{
    if (n > PE_MAX_TABLE) {
        cor_fail(err, "%s: %zu bytes is more than the %u this reader accepts", what, n, PE_MAX_TABLE);
        return NULL;
    }
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        cor_fail(err, "%s: out of memory", what);
        return NULL;
    }
    if (pe_read(img, rva, p, n, err) != COR_OK) {
        cor_wrap(err, "%s", what);
        free(p);
        return NULL;
    }
    return p;
}

bool pe_dir_in_image(const pe_image *img, pe_data_dir d)
{
    return d.rva != 0 && span_ok(img->hdr.size_of_image, d.rva, d.size);
}

static int parse_headers(pe_image *img, cor_err *err)
{
    pe_headers *h = &img->hdr;
    uint8_t dos[DOS_SIZE];
    if (pe_read_raw(img, 0, dos, sizeof dos) != COR_OK)
        return cor_fail(err, "cannot read the %d-byte DOS header", DOS_SIZE);
    if (le16(dos + DOS_e_magic) != DOS_MAGIC)
        return cor_fail(err, "no MZ signature (found 0x%04x)", le16(dos + DOS_e_magic));
    h->e_lfanew = le32(dos + DOS_e_lfanew);

    uint8_t nt[NT_FIXED_SIZE];
    if (pe_read_raw(img, h->e_lfanew, nt, sizeof nt) != COR_OK)
        return cor_fail(err, "e_lfanew 0x%x points past the readable headers", h->e_lfanew);
    if (le32(nt) != NT_SIGNATURE)
        return cor_fail(err, "no PE signature at e_lfanew 0x%x (found 0x%08x)", h->e_lfanew, le32(nt));
    h->machine = le16(nt + FH_Machine);
    h->nsections = le16(nt + FH_NumberOfSections);
    h->timestamp = le32(nt + FH_TimeDateStamp);
    h->size_of_optional_header = le16(nt + FH_SizeOfOptionalHeader);
    h->characteristics = le16(nt + FH_Characteristics);

    uint8_t oh[OH_MAX_SIZE] = { 0 };
    size_t ohlen = h->size_of_optional_header < sizeof oh ? h->size_of_optional_header : sizeof oh;
    if (ohlen < 2) return cor_fail(err, "SizeOfOptionalHeader is %zu, too small for any optional header", ohlen);
    uint64_t oh_off = (uint64_t)h->e_lfanew + NT_FIXED_SIZE;
    if (pe_read_raw(img, oh_off, oh, ohlen) != COR_OK)
        return cor_fail(err, "cannot read the %zu-byte optional header at 0x%llx", ohlen, (unsigned long long)oh_off);
    h->magic = le16(oh + OH_Magic);
    size_t fixed, dir_off;
    if (h->magic == PE_MAGIC_PE32) {
        fixed = OH32_DataDirectory;
        dir_off = OH32_DataDirectory;
    } else if (h->magic == PE_MAGIC_PE32PLUS) {
        h->pe32plus = true;
        fixed = OH64_DataDirectory;
        dir_off = OH64_DataDirectory;
    } else {
        return cor_fail(err, "optional header magic 0x%x is neither PE32 (0x10b) nor PE32+ (0x20b)", h->magic);
    }
    if (ohlen < fixed)
        return cor_fail(err, "SizeOfOptionalHeader is %u, %s needs at least %zu", h->size_of_optional_header,
                        h->pe32plus ? "PE32+" : "PE32", fixed);
    h->linker_major = oh[OH_MajorLinkerVersion];
    h->linker_minor = oh[OH_MinorLinkerVersion];
    h->size_of_code = le32(oh + OH_SizeOfCode);
    h->entry_rva = le32(oh + OH_AddressOfEntryPoint);
    h->base_of_code = le32(oh + OH_BaseOfCode);
    h->image_base = h->pe32plus ? le64(oh + OH64_ImageBase) : le32(oh + OH32_ImageBase);
    h->section_alignment = le32(oh + OH_SectionAlignment);
    h->file_alignment = le32(oh + OH_FileAlignment);
    h->os_major = le16(oh + OH_MajorOperatingSystemVersion);
    h->os_minor = le16(oh + OH_MinorOperatingSystemVersion);
    h->image_major = le16(oh + OH_MajorImageVersion);
    h->image_minor = le16(oh + OH_MinorImageVersion);
    h->subsystem_major = le16(oh + OH_MajorSubsystemVersion);
    h->subsystem_minor = le16(oh + OH_MinorSubsystemVersion);
    h->size_of_image = le32(oh + OH_SizeOfImage);
    h->size_of_headers = le32(oh + OH_SizeOfHeaders);
    h->checksum = le32(oh + OH_CheckSum);
    h->subsystem = le16(oh + OH_Subsystem);
    h->dll_characteristics = le16(oh + OH_DllCharacteristics);
    if (h->pe32plus) {
        const uint8_t *p = oh + OH64_SizeOfStackReserve;
        h->stack_reserve = le64(p);
        h->stack_commit = le64(p + 8);
        h->heap_reserve = le64(p + 16);
        h->heap_commit = le64(p + 24);
        h->ndirs = le32(oh + OH64_NumberOfRvaAndSizes);
    } else {
        const uint8_t *p = oh + OH32_SizeOfStackReserve;
        h->stack_reserve = le32(p);
        h->stack_commit = le32(p + 4);
        h->heap_reserve = le32(p + 8);
        h->heap_commit = le32(p + 12);
        h->ndirs = le32(oh + OH32_NumberOfRvaAndSizes);
    }
    if (h->size_of_image == 0) return cor_fail(err, "SizeOfImage is 0");
    /* Directories past 16 are ignored by the loader, and only those that
     * fit in SizeOfOptionalHeader exist at all. */
    size_t ndirs = (ohlen - dir_off) / 8;
    if (ndirs > h->ndirs) ndirs = h->ndirs;
    for (size_t i = 0; i < ndirs && i < PE_DIR_COUNT; i++) {
        h->dirs[i].rva = le32(oh + dir_off + 8 * i);
        h->dirs[i].size = le32(oh + dir_off + 8 * i + 4);
    }

    /* The section table follows the optional header as sized by the file
     * header, not as its magic implies. NumberOfSections is 16-bit, so the
     * table is at most 2.6 MB; no further bound is needed. */
    img->nsections = h->nsections;
    if (img->nsections) {
        uint64_t st_off = oh_off + h->size_of_optional_header;
        size_t st_len = img->nsections * (size_t)SH_SIZE;
        uint8_t *st = malloc(st_len);
        img->sections = calloc(img->nsections, sizeof *img->sections);
        img->spans = calloc(img->nsections, sizeof *img->spans);
        if (!st || !img->sections || !img->spans) {
            free(st);
            return cor_fail(err, "out of memory");
        }
        if (pe_read_raw(img, st_off, st, st_len) != COR_OK) {
            free(st);
            return cor_fail(err, "section table: %u sections claimed at 0x%llx, cannot read %zu bytes", h->nsections,
                            (unsigned long long)st_off, st_len);
        }
        for (size_t i = 0; i < img->nsections; i++) {
            const uint8_t *p = st + i * SH_SIZE;
            pe_section *s = &img->sections[i];
            memcpy(s->name, p + SH_Name, 8);
            s->name[8] = 0;
            for (int j = 0; j < 8 && s->name[j]; j++)
                if ((unsigned char)s->name[j] < 0x20 || (unsigned char)s->name[j] > 0x7E) s->name[j] = '?';
            s->virtual_size = le32(p + SH_VirtualSize);
            s->virtual_address = le32(p + SH_VirtualAddress);
            s->raw_size = le32(p + SH_SizeOfRawData);
            s->raw_ptr = le32(p + SH_PointerToRawData);
            s->characteristics = le32(p + SH_Characteristics);
        }
        free(st);
        build_spans(img);
    }
    return COR_OK;
}

/* Takes ownership of img: frees it on failure. */
static int finish_open(pe_image *img, pe_image **out, cor_err *err)
{
    if (parse_headers(img, err) != COR_OK) {
        pe_image_close(img);
        *out = NULL;
        return COR_FAIL;
    }
    *out = img;
    return COR_OK;
}

int pe_image_open(const pe_source *src, pe_image **out, cor_err *err)
{
    *out = NULL;
    pe_image *img = calloc(1, sizeof *img);
    if (!img) return cor_fail(err, "out of memory");
    img->src = *src;
    return finish_open(img, out, err);
}

int pe_image_open_mem(const void *data, size_t size, int layout, pe_image **out, cor_err *err)
{
    *out = NULL;
    pe_image *img = calloc(1, sizeof *img);
    if (!img) return cor_fail(err, "out of memory");
    img->mem = data;
    img->mem_size = size;
    img->src = (pe_source){ mem_read, img, layout };
    return finish_open(img, out, err);
}

int pe_image_open_path(const char *path, pe_image **out, cor_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cor_fail(err, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return cor_fail(err, "cannot stat %s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || st.st_size <= 0) {
        close(fd);
        return cor_fail(err, "%s is not a non-empty regular file", path);
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return cor_fail(err, "%s is too large to map", path);
    }
    size_t size = (size_t)st.st_size;
    void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) return cor_fail(err, "cannot map %s: %s", path, strerror(map_errno));
    pe_image *img = calloc(1, sizeof *img);
    if (!img) {
        munmap(map, size);
        return cor_fail(err, "out of memory");
    }
    img->map = map;
    img->map_size = size;
    img->mem = map;
    img->mem_size = size;
    img->src = (pe_source){ mem_read, img, PE_LAYOUT_FILE };
    return finish_open(img, out, err);
}

int pe_image_open_as(as_space *as, uint64_t base, pe_image **out, cor_err *err)
{
    *out = NULL;
    pe_image *img = calloc(1, sizeof *img);
    if (!img) return cor_fail(err, "out of memory");
    img->as = as;
    img->base = base;
    img->src = (pe_source){ as_source_read, img, PE_LAYOUT_MAPPED };
    if (finish_open(img, out, err) != COR_OK)
        return cor_wrap(err, "image at 0x%llx", (unsigned long long)base);
    return COR_OK;
}

void pe_image_close(pe_image *img)
{
    if (!img) return;
    if (img->map) munmap(img->map, img->map_size);
    free(img->sections);
    free(img->spans);
    free(img);
}

const pe_headers *pe_image_headers(const pe_image *img) { return &img->hdr; }
int pe_image_layout(const pe_image *img) { return img->src.layout; }
unsigned pe_image_ptr_size(const pe_image *img) { return img->hdr.pe32plus ? 8 : 4; }
bool pe_image_is_dll(const pe_image *img) { return (img->hdr.characteristics & PE_FILE_DLL) != 0; }

pe_data_dir pe_image_dir(const pe_image *img, unsigned index)
{
    if (index >= PE_DIR_COUNT) return (pe_data_dir){ 0, 0 };
    return img->hdr.dirs[index];
}

size_t pe_section_count(const pe_image *img) { return img->nsections; }

const pe_section *pe_section_at(const pe_image *img, size_t i)
{
    return i < img->nsections ? &img->sections[i] : NULL;
}

const pe_section *pe_section_by_rva(const pe_image *img, uint32_t rva)
{
    ptrdiff_t k = span_floor(img, rva);
    if (k < 0) return NULL;
    const pe_span *sp = &img->spans[k];
    return rva - sp->va < sp->extent ? &img->sections[sp->index] : NULL;
}

int pe_rva_to_offset(const pe_image *img, uint32_t rva, uint64_t *off)
{
    if (img->src.layout == PE_LAYOUT_MAPPED) {
        if (rva >= img->hdr.size_of_image) return COR_FAIL;
        *off = rva;
        return COR_OK;
    }
    uint64_t run;
    if (!pe_rva_locate(img, rva, off, &run) || *off == UINT64_MAX) return COR_FAIL;
    return COR_OK;
}

const char *pe_image_code_id(const pe_image *img, char *buf)
{
    snprintf(buf, 20, "%08X%x", img->hdr.timestamp, img->hdr.size_of_image);
    return buf;
}

const char *pe_machine_name(uint16_t machine)
{
    switch (machine) {
    case PE_MACHINE_I386: return "x86";
    case PE_MACHINE_AMD64: return "x64";
    case PE_MACHINE_ARM64: return "ARM64";
    case PE_MACHINE_ARMNT: return "ARM";
    case PE_MACHINE_IA64: return "IA64";
    }
    return NULL;
}

uint16_t pe_native_machine(uint16_t machine, const char **os)
{
    static const struct {
        uint16_t mask;
        const char *os;
    } overrides[] = {
        { 0x4644, "Apple" }, { 0xADC4, "FreeBSD" }, { 0x7B79, "Linux" }, { 0x1993, "NetBSD" }, { 0x1992, "SunOS" },
    };
    if (os) *os = NULL;
    if (pe_machine_name(machine)) return machine;
    for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++) {
        uint16_t m = machine ^ overrides[i].mask;
        if (pe_machine_name(m)) {
            if (os) *os = overrides[i].os;
            return m;
        }
    }
    return machine;
}
