/* libFuzzer target: the x86 frame-data program evaluator, which runs
 * program strings straight from PDB FRAMEDATA and Breakpad STACK WIN /
 * STACK CFI records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/x86_program.h"

/* 64 KiB of "stack" at 0x10000 whose words hold their own address, so
 * dereferences succeed often enough to reach deep into programs. */
static bool fake_read(void *ctx, uint32_t addr, uint32_t *v)
{
    (void)ctx;
    if (addr < 0x10000 || addr >= 0x20000 - 3)
        return false;
    *v = addr & ~3u;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Unterminated, as a slice of a symbol file would be. */
    char *text = malloc(size ? size : 1);
    if (!text) return 0;
    memcpy(text, data, size);
    x86_prog_env e;
    x86_prog_init(&e, fake_read, NULL);
    x86_prog_set(&e, "$esp", 0x18000);
    x86_prog_set(&e, "$ebp", 0x18100);
    x86_prog_set(&e, ".cbLocals", 16);
    x86_prog_set(&e, ".raSearchStart", 0x18010);
    (void)x86_prog_run(&e, text, size);
    uint32_t v;
    (void)x86_prog_eval(&e, text, size, &v);
    free(text);
    return 0;
}
