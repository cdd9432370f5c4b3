/* coroner: the thin command line over libcoroner. */
#include <stdio.h>
#include <string.h>

#include "dump/minidump.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: coroner DUMP\n");
        return 2;
    }
    md_dump *d;
    cor_err err;
    if (md_open(argv[1], &d, &err) != COR_OK) {
        fprintf(stderr, "coroner: %s: %s\n", argv[1], err.msg);
        return 2;
    }
    printf("%zu streams, %zu threads, %zu modules\n", md_stream_count(d), md_thread_count(d), md_module_count(d));
    md_close(d);
    return 0;
}
