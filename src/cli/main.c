/* coroner: the thin command line over libcoroner. It parses arguments,
 * opens the dump, and hands over to the console (interactive or -c) or to
 * the analyzer (`coroner analyze`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"
#include "cli/cli_version.h"
#include "console/console.h"
#include "core/text.h"
#include "target/target.h"

static void usage(FILE *f)
{
    fputs("usage: coroner [OPTIONS] DUMP                 interactive console (WinDbg syntax, 0:000> prompt)\n"
          "       coroner [OPTIONS] -c \"CMD; CMD\" DUMP    run console commands, print, exit (as cdb -c)\n"
          "       coroner analyze [-y SYMPATH] [-i IMAGEPATH] DUMP [--format text|json]\n"
          "                                        automated crash/hang report\n"
          "       coroner --help | --version\n"
          "\n"
          "options:\n"
          "  -c CMDS        console commands separated by ';'; each is echoed after the\n"
          "                 prompt, then its output (may be given more than once)\n"
          "  -z DUMP        the dump file, as cdb spells it (a plain argument works too)\n"
          "  -i IMAGEPATH   executable image search path: module files matching by\n"
          "                 timestamp and size serve memory the dump lacks\n"
          "  -y SYMPATH     symbol search path (PDBs and Breakpad .sym files);\n"
          "                 default $_NT_ALT_SYMBOL_PATH;$_NT_SYMBOL_PATH;\n"
          "                 HTTPS servers: extra CAs from $CURL_CA_BUNDLE or $SSL_CERT_FILE\n"
          "  -h, --help     this help\n"
          "  --version      print the version\n"
          "\n"
          "Interactive input that is not a terminal is read line by line (pipe commands in).\n"
          "In the console, .help lists the commands and q quits. Exit status: 0, or 2 when\n"
          "the arguments are wrong or the dump cannot be read.\n",
          f);
}

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("coroner: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n(coroner --help shows the usage)\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "analyze") == 0) return analyze_main(argc - 1, argv + 1);

    const char *dump = NULL, *image_path = NULL, *sym_path = NULL;
    char *env_sym_path = NULL;
    strbuf cmds;
    sb_init(&cmds);
    bool has_cmds = false, options_done = false;
    int rc = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1]) {
            if (strcmp(a, "--") == 0) { options_done = true; continue; }
            if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                usage(stdout);
                sb_free(&cmds);
                return 0;
            }
            if (strcmp(a, "--version") == 0) {
                printf("coroner %s\n", COR_VERSION);
                sb_free(&cmds);
                return 0;
            }
            bool takes = strcmp(a, "-c") == 0 || strcmp(a, "-i") == 0 || strcmp(a, "-y") == 0 || strcmp(a, "-z") == 0;
            if (!takes) {
                rc = bad_usage("unknown option %s", a);
                goto out;
            }
            if (i + 1 >= argc) {
                rc = bad_usage("%s needs an argument", a);
                goto out;
            }
            const char *v = argv[++i];
            switch (a[1]) {
            case 'c':
                if (has_cmds) sb_putc(&cmds, ';');
                sb_puts(&cmds, v);
                has_cmds = true;
                break;
            case 'i': image_path = v; break;
            case 'y': sym_path = v; break;
            case 'z':
                if (dump) { rc = bad_usage("more than one dump given (%s)", v); goto out; }
                dump = v;
                break;
            }
            continue;
        }
        if (dump) {
            rc = bad_usage("more than one dump given (%s)", a);
            goto out;
        }
        dump = a;
    }
    if (!dump) {
        usage(stderr);
        goto out;
    }
    if (!sym_path) sym_path = env_sym_path = target_env_symbol_path();
    if (!image_path) image_path = getenv("_NT_EXECUTABLE_IMAGE_PATH");

    cor_target *t;
    cor_err err;
    if (target_open(dump, &t, &err) != COR_OK) {
        fprintf(stderr, "coroner: %s: %s\n", dump, err.msg);
        goto out;
    }
    /* Images on the path serve pages the dump lacks; a bad path is worth a
     * warning, not a refusal to open the dump. */
    if (image_path && target_set_image_path(t, image_path, &err) != COR_OK)
        fprintf(stderr, "coroner: image path: %s\n", err.msg);
    con_session *s;
    if (con_open(t, &s, &err) != COR_OK) {
        fprintf(stderr, "coroner: %s: %s\n", dump, err.msg);
        target_close(t);
        goto out;
    }
    if (sym_path && con_set_symbol_path(s, sym_path, &err) != COR_OK)
        fprintf(stderr, "coroner: symbol path: %s\n", err.msg);
    if (has_cmds) {
        con_set_echo(s, true);
        con_execute(s, cmds.s);
    } else {
        char *history = NULL;
        const char *home = getenv("HOME");
        if (home && *home) {
            size_t n = strlen(home) + sizeof "/.coroner_history";
            history = malloc(n);
            if (history) snprintf(history, n, "%s/.coroner_history", home);
        }
        con_print_banner(s);
        con_repl(s, stdin, history);
        free(history);
    }
    fflush(stdout);
    con_close(s);
    target_close(t);
    rc = 0;
out:
    free(env_sym_path);
    sb_free(&cmds);
    return rc;
}
