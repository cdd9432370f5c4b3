/* Symbol lookup benchmark: loads a PDB (or Breakpad .sym) through the same
 * sym_source the console uses, then resolves N addresses spread over its
 * functions. Prints one line: load ms, lookups, lookups per second, and a
 * checksum of the answers so the work cannot be optimized away.
 *
 *   sym_bench FILE [N] [ADDRFILE IMAGEBASE]
 * With ADDRFILE, also writes the first M addresses (M = $BENCH_PEER_N, as
 * image-base-relative virtual addresses, one per line) for the peer tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sym/breakpad/breakpad.h"
#include "sym/pdb/pdb.h"

typedef struct fn_list {
    uint32_t *rva, *size;
    size_t n, cap;
} fn_list;

static bool collect(void *ctx, const sym_func *f)
{
    fn_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->rva = realloc(l->rva, l->cap * sizeof *l->rva);
        l->size = realloc(l->size, l->cap * sizeof *l->size);
    }
    l->rva[l->n] = f->rva;
    l->size[l->n++] = f->size ? f->size : 1;
    return true;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sym_bench FILE [N] [ADDRFILE IMAGEBASE]\n");
        return 2;
    }
    size_t n = argc > 2 ? strtoull(argv[2], NULL, 0) : 1000000;
    sym_source src;
    cor_err err;
    double t0 = now_ms();
    size_t len = strlen(argv[1]);
    int rc = len > 4 && strcmp(argv[1] + len - 4, ".sym") == 0 ? breakpad_open(argv[1], &src, &err)
                                                                : pdb_open(argv[1], &src, &err);
    if (rc != COR_OK) {
        fprintf(stderr, "sym_bench: %s: %s\n", argv[1], err.msg);
        return 2;
    }
    /* The first lookup builds the index: count it as part of loading. */
    sym_hit hit;
    sym_lookup(&src, 0, &hit);
    double t1 = now_ms();
    fn_list fl = { 0 };
    src.ops->each_function(src.self, collect, &fl);
    if (!fl.n) {
        fprintf(stderr, "sym_bench: %s has no functions\n", argv[1]);
        return 2;
    }
    /* Deterministic addresses inside functions (xorshift). */
    uint32_t *addrs = malloc(n * sizeof *addrs);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t k = x % fl.n;
        addrs[i] = fl.rva[k] + (uint32_t)((x >> 32) % fl.size[k]);
    }
    if (argc > 4) {
        FILE *f = fopen(argv[3], "w");
        unsigned long long base = strtoull(argv[4], NULL, 0);
        size_t m = getenv("BENCH_PEER_N") ? strtoull(getenv("BENCH_PEER_N"), NULL, 0) : n;
        for (size_t i = 0; f && i < m && i < n; i++) fprintf(f, "0x%llx\n", base + addrs[i]);
        if (f) fclose(f);
    }
    double t2 = now_ms();
    unsigned long long sum = 0, found = 0;
    for (size_t i = 0; i < n; i++)
        if (sym_lookup(&src, addrs[i], &hit)) {
            found++;
            sum += hit.func_rva + hit.line;
        }
    double t3 = now_ms();
    printf("load_ms=%.1f functions=%zu lookups=%zu found=%llu lookups_per_s=%.0f checksum=%llx\n", t1 - t0, fl.n, n,
           found, n / ((t3 - t2) / 1e3), sum);
    sym_source_free(&src);
    free(addrs);
    free(fl.rva);
    free(fl.size);
    return 0;
}
