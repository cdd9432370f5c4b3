/* See cab_expand.h. libmspack keeps no global state: each call makes and
 * destroys its own decompressor. */
#include "sym/store/cab_expand.h"

#include <mspack.h>
#include <strings.h>
#include <sys/stat.h>

static const char *mspack_err_str(int e)
{
    switch (e) {
    case MSPACK_ERR_OPEN: return "cannot open";
    case MSPACK_ERR_READ: return "read error";
    case MSPACK_ERR_WRITE: return "write error";
    case MSPACK_ERR_SEEK: return "seek error";
    case MSPACK_ERR_NOMEMORY: return "out of memory";
    case MSPACK_ERR_SIGNATURE: return "not a cabinet (no MSCF signature)";
    case MSPACK_ERR_DATAFORMAT: return "malformed cabinet";
    case MSPACK_ERR_CHECKSUM: return "checksum mismatch";
    case MSPACK_ERR_DECRUNCH: return "decompression failed";
    default: return "unknown error";
    }
}

int cab_expand_file(const char *cab_path, const char *want_name, const char *out_path,
                    uint64_t max_size, uint64_t *size_out, cor_err *err)
{
    int rc = COR_FAIL;
    struct mscab_decompressor *cabd = mspack_create_cab_decompressor(NULL);
    if (!cabd) return cor_fail(err, "%s: cannot create a CAB decompressor", cab_path);
    struct mscabd_cabinet *cab = cabd->open(cabd, (char *)cab_path);
    if (!cab) {
        cor_fail(err, "%s: %s", cab_path, mspack_err_str(cabd->last_error(cabd)));
        goto out;
    }
    struct mscabd_file *pick = NULL;
    size_t nfiles = 0;
    for (struct mscabd_file *f = cab->files; f; f = f->next) {
        nfiles++;
        if (want_name && f->filename && strcasecmp(f->filename, want_name) == 0) pick = f;
    }
    if (!pick && nfiles == 1) pick = cab->files;
    if (!pick) {
        cor_fail(err, "%s: %zu files in the cabinet, none named %s", cab_path, nfiles,
                 want_name ? want_name : "(any)");
        goto close;
    }
    if (max_size && pick->length > max_size) {
        cor_fail(err, "%s: expands to %u bytes, over the %llu-byte limit", cab_path, pick->length,
                 (unsigned long long)max_size);
        goto close;
    }
    int e = cabd->extract(cabd, pick, (char *)out_path);
    if (e != MSPACK_ERR_OK) {
        cor_fail(err, "%s: expanding %s: %s", cab_path, pick->filename ? pick->filename : "?",
                 mspack_err_str(e));
        goto close;
    }
    struct stat st;
    if (stat(out_path, &st) != 0 || (uint64_t)st.st_size != pick->length) {
        cor_fail(err, "%s: expanded %lld bytes, the cabinet says %u", cab_path,
                 (long long)(stat(out_path, &st) == 0 ? st.st_size : -1), pick->length);
        goto close;
    }
    if (size_out) *size_out = pick->length;
    rc = COR_OK;
close:
    cabd->close(cabd, cab);
out:
    mspack_destroy_cab_decompressor(cabd);
    return rc;
}
