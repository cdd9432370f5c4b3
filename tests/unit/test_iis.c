/* IIS recognition (src/analysis/iis.c): Windows' command-line splitting on
 * synthetic lines, then the lab's w3wp dumps, whose facts say what the
 * worker was started with and which IIS modules it loaded, and dumps of
 * other programs, which are not IIS workers. Lab checks skip (the rest
 * still runs) when the lab has not been built. */
#include <strings.h>
#include <unistd.h>

#include "analysis/iis.h"
#include "test.h"

/* Splits line and checks the arguments against want (NULL-terminated). */
static void check_split(const char *line, const char *const *want)
{
    char **argv = NULL;
    size_t argc = 0;
    cor_err err;
    CHECK(an_split_command_line(line, &argv, &argc, &err) == COR_OK);
    size_t n = 0;
    while (want[n]) n++;
    if (argc != n) fprintf(stderr, "split(%s): %zu arguments, want %zu\n", line, argc, n);
    CHECK_EQ_U(argc, n);
    for (size_t i = 0; i < argc && i < n; i++) CHECK_STR(argv[i], want[i]);
    an_free_argv(argv, argc);
}

#define SPLIT(line, ...) check_split(line, (const char *const[]){ __VA_ARGS__, NULL })

static void test_split(void)
{
    /* IIS's own line: quoted values, an empty "" value, a pipe name whose
     * backslashes stay as they are. */
    SPLIT("c:\\windows\\system32\\inetsrv\\w3wp.exe -ap \"Pool\" -v \"v4.0\" -a \\\\.\\pipe\\iisipm1 -w \"\" -m 0",
          "c:\\windows\\system32\\inetsrv\\w3wp.exe", "-ap", "Pool", "-v", "v4.0", "-a", "\\\\.\\pipe\\iisipm1", "-w",
          "", "-m", "0");
    /* A quoted program name with a blank; its backslashes are literal, even before the closing quote. */
    SPLIT("\"C:\\Program Files\\x.exe\" a b", "C:\\Program Files\\x.exe", "a", "b");
    SPLIT("\"C:\\dir\\\" b c", "C:\\dir\\", "b", "c");
    /* Microsoft's table of examples ("Parsing C command-line arguments"). */
    SPLIT("x.exe \"abc\" d e", "x.exe", "abc", "d", "e");
    SPLIT("x.exe a\\\\b d\"e f\"g h", "x.exe", "a\\\\b", "de fg", "h");
    SPLIT("x.exe a\\\\\\\"b c d", "x.exe", "a\\\"b", "c", "d");        /* 3 backslashes + quote */
    SPLIT("x.exe a\\\\\\\\\"b c\" d e", "x.exe", "a\\\\b c", "d", "e"); /* 4 backslashes + quote */
    /* Doubled quotes: CommandLineToArgvW (unlike the 2008+ C runtime)
     * leaves quoted text after the literal quote. */
    SPLIT("x.exe a\"b\"\" c d", "x.exe", "ab\"", "c", "d");
    SPLIT("x.exe \"a\"\"b\"", "x.exe", "a\"b");
    SPLIT("x.exe \"a\"\"b c\"", "x.exe", "a\"b", "c");
    SPLIT("x.exe \"\"\"\"", "x.exe", "\"");
    /* Empty arguments, extra blanks, tabs. */
    SPLIT("x.exe \"\" \"\"", "x.exe", "", "");
    SPLIT("x.exe   a \t b  ", "x.exe", "a", "b");
    SPLIT(" a b", "", "a", "b");
    SPLIT("x.exe", "x.exe");
    /* Backslashes at the end and before a non-quote. */
    SPLIT("x.exe a\\ b\\\\", "x.exe", "a\\", "b\\\\");

    char **argv = NULL;
    size_t argc = 7;
    cor_err err;
    CHECK(an_split_command_line("", &argv, &argc, &err) == COR_OK);
    CHECK(argc == 0 && argv == NULL);
}

/* ---- the lab ---- */

typedef struct facts {
    char *keys[512], *vals[512];
    size_t n;
} facts;

static bool load_facts(const char *name, facts *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.facts", getenv("COR_LAB"), name);
    FILE *fp = fopen(path, "r");
    f->n = 0;
    if (!fp) return false;
    char line[4096];
    while (fgets(line, sizeof line, fp) && f->n < 512) {
        line[strcspn(line, "\r\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        f->keys[f->n] = strdup(line);
        f->vals[f->n++] = strdup(eq + 1);
    }
    fclose(fp);
    return true;
}

static const char *fact(const facts *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0) return f->vals[i];
    return "(no such fact)";
}

static void free_facts(facts *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->vals[i]);
    }
    f->n = 0;
}

static cor_target *open_dump(const char *path)
{
    cor_target *t = NULL;
    cor_err err;
    if (target_open(path, &t, &err) != COR_OK) fprintf(stderr, "%s: %s\n", path, err.msg);
    return t;
}

static const an_iis_switch *find_switch(const an_iis *iis, const char *name)
{
    for (size_t i = 0; i < iis->nswitches; i++)
        if (strcmp(iis->switches[i].name, name) == 0) return &iis->switches[i];
    return NULL;
}

static void check_w3wp(const char *name)
{
    facts f;
    if (!load_facts(name, &f)) {
        fprintf(stderr, "%s: no facts\n", name);
        CHECK(false);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.dmp", getenv("COR_LAB"), name);
    cor_target *t = open_dump(path);
    CHECK(t != NULL);
    if (!t) {
        free_facts(&f);
        return;
    }
    an_iis iis;
    cor_err err;
    CHECK(an_iis_inspect(t, &iis, &err) == COR_OK);
    CHECK(iis.is_w3wp);
    CHECK_STR(iis.command_line, fact(&f, "cmdline"));
    CHECK_STR(iis.app_pool, fact(&f, "apppool"));
    CHECK_STR(iis.clr_version, fact(&f, "clr_version"));
    CHECK_STR(iis.pipeline_dll, fact(&f, "module.engine"));
    /* -h names the pool's config file, under the pool's own name. */
    CHECK(iis.config_path && strstr(iis.config_path, fact(&f, "apppool")) &&
          strcasecmp(iis.config_path + strlen(iis.config_path) - 7, ".config") == 0);
    CHECK(iis.ipm_pipe && strncmp(iis.ipm_pipe, "\\\\.\\pipe\\iisipm", 15) == 0);
    const an_iis_switch *w = find_switch(&iis, "-w");
    CHECK(w && w->value && !*w->value); /* -w "" */
    const an_iis_switch *m = find_switch(&iis, "-m");
    CHECK(m && m->value && strcmp(m->value, "0") == 0);
    CHECK(iis.argc > 0 && strcasecmp(iis.argv[0], "c:\\windows\\system32\\inetsrv\\w3wp.exe") == 0);

    const an_iis_runtime *engine = an_iis_find_runtime(&iis, AN_IIS_ASPNET_PIPELINE);
    CHECK(engine && strcasecmp(engine->module, fact(&f, "module.engine")) == 0);
    if (engine) CHECK_EQ_U(engine->base, strtoull(fact(&f, "module.engine.base"), NULL, 0));
    const an_iis_runtime *pool = an_iis_find_runtime(&iis, AN_IIS_THREAD_POOL);
    CHECK(pool && strcasecmp(pool->module, fact(&f, "module.threadpool")) == 0);
    if (pool) CHECK_EQ_U(pool->base, strtoull(fact(&f, "module.threadpool.base"), NULL, 0));
    /* The lab's worker loads no CLR. */
    CHECK(!an_iis_find_runtime(&iis, AN_IIS_CLR) && !an_iis_find_runtime(&iis, AN_IIS_CORECLR));
    CHECK(iis.aspnet_framework && !iis.aspnet_core_inprocess && !iis.aspnet_core_outofprocess);
    CHECK(iis.hosting && strstr(iis.hosting, "CLR not (yet) loaded"));
    an_iis_free(&iis);
    target_close(t);
    free_facts(&f);
}

/* A program that is not IIS: no w3wp, no pool, no IIS runtimes. */
static void check_not_w3wp(const char *path, bool has_peb)
{
    cor_target *t = open_dump(path);
    CHECK(t != NULL);
    if (!t) return;
    an_iis iis;
    cor_err err;
    CHECK(an_iis_inspect(t, &iis, &err) == COR_OK);
    CHECK(!iis.is_w3wp);
    CHECK(iis.app_pool == NULL && iis.clr_version == NULL && iis.config_path == NULL);
    CHECK(iis.nruntimes == 0);
    CHECK(iis.hosting == NULL);
    CHECK(has_peb ? iis.command_line != NULL : iis.command_line == NULL);
    an_iis_free(&iis);
    target_close(t);
}

/* The lab's .NET Core program: not IIS, but coreclr.dll is found with its
 * file version (module list) and the runtime version of its directory. */
static void check_managed(void)
{
    facts f;
    if (!load_facts("managed_hang", &f)) {
        fprintf(stderr, "managed_hang not built (tests/lab/build-managed.sh): skipped\n");
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/managed_hang.dmp", getenv("COR_LAB"));
    cor_target *t = open_dump(path);
    CHECK(t != NULL);
    if (t) {
        an_iis iis;
        cor_err err;
        CHECK(an_iis_inspect(t, &iis, &err) == COR_OK);
        CHECK(!iis.is_w3wp);
        CHECK_STR(iis.command_line, fact(&f, "cmdline"));
        const an_iis_runtime *clr = an_iis_find_runtime(&iis, AN_IIS_CORECLR);
        CHECK(clr != NULL);
        if (clr) {
            CHECK(clr->has_version && strcmp(clr->version_source, "module list") == 0);
            CHECK_STR(clr->product_version, fact(&f, "clr_version"));
        }
        CHECK(!iis.aspnet_core_inprocess && !iis.aspnet_framework);
        an_iis_free(&iis);
        target_close(t);
    }
    free_facts(&f);
}

int main(void)
{
    test_split();

    /* Corpus dumps: one without a PEB (Windows XP, Breakpad's writer), one with. */
    check_not_w3wp(corpus_path("google__breakpad/src__processor__testdata__minidump2.dmp"), false);
    check_not_w3wp(corpus_path("electron__node-minidump/test__fixtures__windows.dmp"), true);

    if (!getenv("COR_LAB") || access(getenv("COR_LAB"), R_OK) != 0) {
        fprintf(stderr, "lab dumps not built (tests/lab/build-lab.sh): lab checks skipped\n");
        if (getenv("COR_LAB_REQUIRED")) return 1;
        TEST_DONE();
    }
    check_w3wp("w3wp_hang");
    check_w3wp("w3wp_hang_mp");
    char path[4096];
    snprintf(path, sizeof path, "%s/hang_locks.dmp", getenv("COR_LAB"));
    check_not_w3wp(path, true);
    snprintf(path, sizeof path, "%s/crash_av.dmp", getenv("COR_LAB"));
    check_not_w3wp(path, true);
    check_managed();
    TEST_DONE();
}
