/* libFuzzer target: the readers that follow pointers found in process
 * memory rather than in the dump's streams. The heap reader walks the PEB's
 * heap array, each heap's segment list and its free and VirtualAlloc
 * lists (process/heaps.c); IIS recognition splits the PEB's command line
 * and reads the version resources of modules (analysis/iis.c). The input
 * is also split as a command line itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/iis.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "process/heaps.h"
#include "target/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cor_err err;
    /* The bytes as a command line (up to the first NUL). */
    char *line = malloc(size + 1);
    if (!line) return 0;
    memcpy(line, data, size);
    line[size] = 0;
    char **argv;
    size_t argc;
    if (an_split_command_line(line, &argv, &argc, &err) == COR_OK) an_free_argv(argv, argc);
    free(line);

    md_dump *d;
    if (md_open_mem(data, size, &d, &err) != COR_OK) return 0;
    as_space *as;
    if (as_open(d, &as, &err) != COR_OK) {
        md_close(d);
        return 0;
    }
    /* A target with no symbols and no image files, as fuzz_unwind makes. */
    cor_target t;
    memset(&t, 0, sizeof t);
    t.dump = d;
    t.as = as;
    t.arch = md_dump_arch(d);
    t.ptr_size = md_arch_ptr_size(t.arch);
    t.eff_arch = t.arch;
    t.eff_ptr_size = t.ptr_size;

    for (int prefer32 = 0; prefer32 <= 1; prefer32++) {
        proc_heaps hs;
        if (proc_heaps_read(&t, prefer32, &hs, &err) == COR_OK) proc_heaps_free(&hs);
    }
    an_iis iis;
    if (an_iis_inspect(&t, &iis, &err) == COR_OK) an_iis_free(&iis);
    as_close(as);
    md_close(d);
    return 0;
}
