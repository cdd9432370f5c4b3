/* IIS recognition (iis.h): the worker's command line and the web runtimes
 * in its module list. */
#include "analysis/iis.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pe/pe_image.h"
#include "pe/pe_version.h"
#include "process/environment.h"

/* ---- CommandLineToArgvW ---- */

/* A growing argument. */
typedef struct arg_buf {
    char *s;
    size_t len, cap;
} arg_buf;

static bool arg_put(arg_buf *a, char c, size_t n)
{
    if (a->len + n + 1 > a->cap) {
        size_t cap = a->cap ? a->cap : 32;
        while (cap < a->len + n + 1) cap *= 2;
        char *p = realloc(a->s, cap);
        if (!p) return false;
        a->s = p;
        a->cap = cap;
    }
    memset(a->s + a->len, c, n);
    a->len += n;
    a->s[a->len] = 0;
    return true;
}

static bool argv_push(char ***argv, size_t *argc, size_t *cap, arg_buf *a)
{
    if (*argc == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        char **p = realloc(*argv, ncap * sizeof *p);
        if (!p) return false;
        *argv = p;
        *cap = ncap;
    }
    char *s = a->s ? a->s : strdup("");
    if (!s) return false;
    (*argv)[(*argc)++] = s;
    *a = (arg_buf){ 0 };
    return true;
}

void an_free_argv(char **argv, size_t argc)
{
    for (size_t i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Windows' rules (CommandLineToArgvW, as Wine's tests of it record them):
 *  - The program name is special: when it starts with a quote it runs to
 *    the next quote, else to the first blank; backslashes in it are
 *    literal. A line that starts with a blank has an empty program name.
 *  - Later arguments are separated by blanks outside quotes.
 *  - 2n backslashes before a quote give n backslashes, and the quote is a
 *    quote; 2n+1 give n backslashes and a literal quote. Backslashes not
 *    before a quote are literal (\\.\pipe\x stays as it is).
 *  - A run of quotes is counted: each quote enters or leaves quoted text,
 *    except that a quote arriving just after a closing one yields a
 *    literal quote and leaves quoted text. So `""` is an empty argument
 *    (-w ""), `"a""b"` is a"b, and `"a""b c"` is two arguments, a"b and c.
 *  - Quotes start an argument even when nothing is between them. */
int an_split_command_line(const char *line, char ***argv_out, size_t *argc_out, cor_err *err)
{
    char **argv = NULL;
    size_t argc = 0, cap = 0;
    arg_buf a = { 0 };
    *argv_out = NULL;
    *argc_out = 0;
    if (!line || !*line) return COR_OK;

    const char *p = line;
    /* The program name. */
    if (*p == '"') {
        p++;
        while (*p && *p != '"')
            if (!arg_put(&a, *p++, 1)) goto oom;
        if (*p == '"') p++;
    } else {
        while (*p && !is_blank(*p))
            if (!arg_put(&a, *p++, 1)) goto oom;
    }
    if (!argv_push(&argv, &argc, &cap, &a)) goto oom;

    bool started = false; /* the current argument exists, even if empty */
    int q = 0;            /* 0 outside quotes, 1 inside */
    while (*p) {
        if (is_blank(*p) && q == 0) {
            if (started && !argv_push(&argv, &argc, &cap, &a)) goto oom;
            started = false;
            p++;
            continue;
        }
        started = true;
        if (*p == '\\') {
            size_t n = 0;
            while (p[n] == '\\') n++;
            p += n;
            if (*p != '"') {
                if (!arg_put(&a, '\\', n)) goto oom;
                continue;
            }
            if (!arg_put(&a, '\\', n / 2)) goto oom;
            if (n % 2) {
                if (!arg_put(&a, '"', 1)) goto oom;
                p++;
                continue;
            }
            /* An even run: the quote that follows delimits. */
        }
        if (*p == '"') {
            int c = q;
            while (*p == '"') {
                if (++c == 3) {
                    if (!arg_put(&a, '"', 1)) goto oom;
                    c = 0;
                }
                p++;
            }
            q = c == 1 ? 1 : 0;
            continue;
        }
        if (!arg_put(&a, *p++, 1)) goto oom;
    }
    if (started && !argv_push(&argv, &argc, &cap, &a)) goto oom;
    *argv_out = argv;
    *argc_out = argc;
    return COR_OK;
oom:
    free(a.s);
    an_free_argv(argv, argc);
    return cor_fail(err, "out of memory splitting the command line");
}

/* ---- the switches ---- */

static int parse_switches(an_iis *iis, cor_err *err)
{
    if (iis->argc < 2) return COR_OK;
    iis->switches = calloc(iis->argc, sizeof *iis->switches);
    if (!iis->switches) return cor_fail(err, "out of memory");
    for (size_t i = 1; i < iis->argc; i++) {
        const char *arg = iis->argv[i];
        if (arg[0] != '-' || !arg[1]) continue;
        an_iis_switch *sw = &iis->switches[iis->nswitches++];
        sw->name = strdup(arg);
        /* A switch's value is the next argument unless that is a switch
         * itself; an empty argument ("") is a value. */
        if (i + 1 < iis->argc && !(iis->argv[i + 1][0] == '-' && iis->argv[i + 1][1])) {
            sw->value = strdup(iis->argv[++i]);
            if (!sw->value) return cor_fail(err, "out of memory");
        }
        if (!sw->name) return cor_fail(err, "out of memory");
    }
    static const struct { const char *name; size_t off; } named[] = {
        { "-ap", offsetof(an_iis, app_pool) },
        { "-v", offsetof(an_iis, clr_version) },
        { "-l", offsetof(an_iis, pipeline_dll) },
        { "-h", offsetof(an_iis, config_path) },
        { "-a", offsetof(an_iis, ipm_pipe) },
    };
    for (size_t k = 0; k < sizeof named / sizeof named[0]; k++)
        for (size_t i = 0; i < iis->nswitches; i++)
            if (strcasecmp(iis->switches[i].name, named[k].name) == 0 && iis->switches[i].value) {
                *(const char **)((char *)iis + named[k].off) = iis->switches[i].value;
                break;
            }
    return COR_OK;
}

/* ---- the runtimes ---- */

static const struct {
    const char *module;
    an_iis_runtime_kind kind;
    const char *what;
} runtime_table[] = {
    { "iiscore.dll", AN_IIS_CORE, "IIS core request pipeline" },
    { "w3tp.dll", AN_IIS_THREAD_POOL, "IIS worker thread pool" },
    { "webengine4.dll", AN_IIS_ASPNET_PIPELINE, "ASP.NET 4 integrated pipeline (.NET Framework)" },
    { "webengine.dll", AN_IIS_ASPNET_PIPELINE, "ASP.NET 2.0 integrated pipeline (.NET Framework)" },
    { "aspnet_isapi.dll", AN_IIS_ASPNET_ISAPI, "ASP.NET ISAPI extension (classic pipeline)" },
    { "aspnetcorev2.dll", AN_IIS_ANCM, "ASP.NET Core Module V2" },
    { "aspnetcore.dll", AN_IIS_ANCM, "ASP.NET Core Module V1 (out-of-process only)" },
    { "aspnetcorev2_inprocess.dll", AN_IIS_ANCM_INPROCESS, "ASP.NET Core Module in-process handler" },
    { "aspnetcorev2_outofprocess.dll", AN_IIS_ANCM_OUTOFPROCESS, "ASP.NET Core Module out-of-process handler" },
    { "clr.dll", AN_IIS_CLR, ".NET Framework 4 CLR" },
    { "mscorwks.dll", AN_IIS_CLR2, ".NET Framework 2.0 CLR" },
    { "coreclr.dll", AN_IIS_CORECLR, ".NET Core / .NET CLR" },
};

/* The version in a shared-framework path: ...\Microsoft.NETCore.App\2.2.2\coreclr.dll */
static bool framework_dir_version(const char *path, char *out, size_t size)
{
    static const char dir[] = "\\microsoft.netcore.app\\";
    size_t dl = sizeof dir - 1;
    for (const char *p = path; *p; p++) {
        if (strncasecmp(p, dir, dl) != 0) continue;
        const char *v = p + dl;
        size_t n = strcspn(v, "\\/");
        if (!n || !v[n] || n >= size) return false;
        memcpy(out, v, n);
        out[n] = 0;
        return true;
    }
    return false;
}

/* The file version: the module list's VS_FIXEDFILEINFO, else the image's
 * own version resource (read from the dump, or the image path). The
 * product version: see an_iis_runtime. */
static void module_version(cor_target *t, const md_module *m, an_iis_runtime *r)
{
    if (m->version.signature == 0xFEEF04BDu && (m->version.file_ms || m->version.file_ls)) {
        md_version_str(m->version.file_ms, m->version.file_ls, r->version);
        r->has_version = true;
        r->version_source = "module list";
    }
    bool from_path = framework_dir_version(m->path, r->product_version, sizeof r->product_version);
    if (r->has_version && from_path) return;

    pe_image *img = NULL;
    cor_err e;
    if (pe_image_open_as(t->as, m->base, &img, &e) != COR_OK) return;
    pe_version_info *vi = NULL;
    if (pe_version_read(img, &vi, &e) == COR_OK && vi) {
        if (!r->has_version && vi->has_fixed && (vi->fixed.file_ms || vi->fixed.file_ls)) {
            md_version_str(vi->fixed.file_ms, vi->fixed.file_ls, r->version);
            r->has_version = true;
            r->version_source = "version resource";
        }
        const char *pv = pe_version_string_get(vi, "ProductVersion");
        if (!from_path && pv) {
            size_t n = strcspn(pv, " \t");
            if (n >= sizeof r->product_version) n = sizeof r->product_version - 1;
            memcpy(r->product_version, pv, n);
            r->product_version[n] = 0;
        }
    }
    pe_version_free(vi);
    pe_image_close(img);
}

static int find_runtimes(cor_target *t, an_iis *iis, cor_err *err)
{
    const size_t ntable = sizeof runtime_table / sizeof runtime_table[0];
    size_t nmods = md_module_count(t->dump);
    iis->runtimes = calloc(ntable, sizeof *iis->runtimes);
    if (!iis->runtimes) return cor_fail(err, "out of memory");
    for (size_t k = 0; k < ntable; k++) {
        for (size_t i = 0; i < nmods; i++) {
            const md_module *m = md_module_at(t->dump, i);
            if (strcasecmp(m->name, runtime_table[k].module) != 0) continue;
            an_iis_runtime *r = &iis->runtimes[iis->nruntimes++];
            r->kind = runtime_table[k].kind;
            r->module = runtime_table[k].module;
            r->what = runtime_table[k].what;
            r->path = m->path;
            r->base = m->base;
            r->size = m->size;
            module_version(t, m, r);
            break; /* a module name appears once per process */
        }
    }
    return COR_OK;
}

const an_iis_runtime *an_iis_find_runtime(const an_iis *iis, an_iis_runtime_kind kind)
{
    for (size_t i = 0; i < iis->nruntimes; i++)
        if (iis->runtimes[i].kind == kind) return &iis->runtimes[i];
    return NULL;
}

/* The one-line verdict on what the worker hosts. */
static void conclude(an_iis *iis)
{
    const an_iis_runtime *clr = an_iis_find_runtime(iis, AN_IIS_CLR);
    const an_iis_runtime *clr2 = an_iis_find_runtime(iis, AN_IIS_CLR2);
    const an_iis_runtime *coreclr = an_iis_find_runtime(iis, AN_IIS_CORECLR);
    const an_iis_runtime *pipeline = an_iis_find_runtime(iis, AN_IIS_ASPNET_PIPELINE);
    const an_iis_runtime *isapi = an_iis_find_runtime(iis, AN_IIS_ASPNET_ISAPI);
    bool inproc = an_iis_find_runtime(iis, AN_IIS_ANCM_INPROCESS) != NULL;
    bool outproc = an_iis_find_runtime(iis, AN_IIS_ANCM_OUTOFPROCESS) != NULL;

    iis->aspnet_core_inprocess = inproc && coreclr;
    iis->aspnet_core_outofprocess = outproc;
    iis->aspnet_framework = pipeline || isapi || clr || clr2;

    if (iis->aspnet_core_inprocess)
        iis->hosting = "ASP.NET Core, in-process hosting (coreclr.dll in w3wp)";
    else if (inproc)
        iis->hosting = "ASP.NET Core in-process handler loaded, coreclr.dll not (yet) loaded";
    else if (outproc)
        iis->hosting = "ASP.NET Core, out-of-process hosting (requests are forwarded to a separate process)";
    else if (pipeline && (clr || clr2))
        iis->hosting = clr ? "ASP.NET on .NET Framework 4, integrated pipeline"
                           : "ASP.NET on .NET Framework 2.0, integrated pipeline";
    else if (isapi && (clr || clr2))
        iis->hosting = clr ? "ASP.NET on .NET Framework 4, classic pipeline"
                           : "ASP.NET on .NET Framework 2.0, classic pipeline";
    else if (pipeline || isapi)
        iis->hosting = "ASP.NET pipeline loaded, the CLR not (yet) loaded";
    else if (clr || clr2)
        iis->hosting = clr ? ".NET Framework 4 CLR loaded, no ASP.NET pipeline module"
                           : ".NET Framework 2.0 CLR loaded, no ASP.NET pipeline module";
    else if (coreclr)
        iis->hosting = ".NET Core CLR loaded, no ASP.NET Core Module handler";
    else if (iis->is_w3wp && iis->clr_version && !*iis->clr_version)
        iis->hosting = "No managed code (the application pool's .NET CLR version is empty)";
}

int an_iis_inspect(cor_target *t, an_iis *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    const md_module *main_mod = md_module_at(t->dump, 0);
    if (main_mod) {
        out->process_name = main_mod->name;
        out->is_w3wp = strcasecmp(main_mod->name, "w3wp.exe") == 0;
    }
    /* The command line lives only in process memory; a dump without the
     * PEB leaves it NULL. WoW64: the 32-bit PEB's copy is the same. */
    proc_peb peb;
    if (proc_read_peb(t, true, &peb, NULL) == COR_OK) {
        out->command_line = peb.command_line;
        peb.command_line = NULL;
        proc_peb_free(&peb);
    }
    if (out->command_line) {
        if (an_split_command_line(out->command_line, &out->argv, &out->argc, err) != COR_OK ||
            parse_switches(out, err) != COR_OK)
            goto fail;
        /* No module list: the program name still tells a w3wp. */
        if (!main_mod && out->argc) {
            const char *name = out->argv[0];
            for (const char *q = name; *q; q++)
                if (*q == '\\' || *q == '/') name = q + 1;
            out->is_w3wp = strcasecmp(name, "w3wp.exe") == 0 || strcasecmp(name, "w3wp") == 0;
        }
    }
    if (find_runtimes(t, out, err) != COR_OK) goto fail;
    conclude(out);
    return COR_OK;
fail:
    an_iis_free(out);
    return COR_FAIL;
}

void an_iis_free(an_iis *iis)
{
    if (!iis) return;
    free(iis->command_line);
    an_free_argv(iis->argv, iis->argc);
    for (size_t i = 0; i < iis->nswitches; i++) {
        free(iis->switches[i].name);
        free(iis->switches[i].value);
    }
    free(iis->switches);
    free(iis->runtimes);
    memset(iis, 0, sizeof *iis);
}
