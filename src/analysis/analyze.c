#include "analysis/analyze.h"

#include <stdlib.h>
#include <string.h>

static int usage(void)
{
    fprintf(stderr, "usage: coroner analyze [-y SYMPATH] [-i IMAGEPATH] DUMP [--format text|json]\n");
    return 2;
}

int analyze_main(int argc, char **argv)
{
    const char *path = NULL, *format = "text", *sympath = NULL, *imagepath = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) format = argv[++i];
        else if (strncmp(argv[i], "--format=", 9) == 0) format = argv[i] + 9;
        else if (strcmp(argv[i], "-y") == 0 && i + 1 < argc) sympath = argv[++i];
        else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) imagepath = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1]) return usage();
        else if (!path) path = argv[i];
        else return usage();
    }
    if (!path || (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)) return usage();

    cor_target *t;
    cor_err err;
    if (target_open(path, &t, &err) != COR_OK) {
        fprintf(stderr, "coroner: %s: %s\n", path, err.msg);
        return 2;
    }
    /* Image files serve what a small dump lacks: code and unwind data. */
    if (imagepath && *imagepath && target_set_image_path(t, imagepath, &err) != COR_OK)
        fprintf(stderr, "coroner: image path: %s\n", err.msg);
    char *env_path = sympath ? NULL : target_env_symbol_path();
    if (!sympath) sympath = env_path;
    if (sympath && *sympath && target_set_symbol_path(t, sympath, &err) != COR_OK)
        fprintf(stderr, "coroner: symbol path: %s\n", err.msg);
    free(env_path);
    an_summary s;
    int rc = 0;
    if (an_summarize(t, &s, &err) != COR_OK) {
        fprintf(stderr, "coroner: %s: %s\n", path, err.msg);
        rc = 2;
    } else {
        if (strcmp(format, "json") == 0) an_render_json(&s, stdout);
        else an_render_text(&s, stdout);
        an_summary_free(&s);
    }
    target_close(t);
    return rc;
}
