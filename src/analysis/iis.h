/* IIS recognition: is the dump an IIS worker process (w3wp.exe), which
 * application pool does it serve, and which web runtimes does it host.
 *
 * Everything comes from two places a minidump keeps:
 *  - the PEB's command line, which the Windows Process Activation Service
 *    writes when it starts the worker:
 *      w3wp.exe -ap "DefaultAppPool" -v "v4.0" -l "webengine4.dll"
 *               -a \\.\pipe\iisipm... -h "C:\inetpub\temp\apppools\...config"
 *               -w "" -m 0 -t 20 -ta 0
 *    split into arguments by Windows' CommandLineToArgvW rules;
 *  - the module list: the ASP.NET pipeline (webengine4.dll), the ASP.NET
 *    Core Module and its in-process and out-of-process handlers, the .NET
 *    Framework CLR (clr.dll, mscorwks.dll for 2.0), .NET Core's coreclr.dll,
 *    IIS's core (iiscore.dll) and thread pool (w3tp.dll), each with the
 *    file version of its VS_FIXEDFILEINFO (from the module list, else from
 *    the image's version resource when its pages are in the dump or on the
 *    image path). */
#ifndef COR_ANALYSIS_IIS_H
#define COR_ANALYSIS_IIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"

/* What a hosted runtime module is. */
typedef enum {
    AN_IIS_CORE,              /* iiscore.dll: the IIS request pipeline */
    AN_IIS_THREAD_POOL,       /* w3tp.dll: the IIS worker thread pool */
    AN_IIS_ASPNET_PIPELINE,   /* webengine4.dll / webengine.dll: ASP.NET integrated pipeline */
    AN_IIS_ASPNET_ISAPI,      /* aspnet_isapi.dll: ASP.NET in classic mode */
    AN_IIS_ANCM,              /* aspnetcorev2.dll / aspnetcore.dll: ASP.NET Core Module */
    AN_IIS_ANCM_INPROCESS,    /* aspnetcorev2_inprocess.dll: in-process hosting */
    AN_IIS_ANCM_OUTOFPROCESS, /* aspnetcorev2_outofprocess.dll: proxy to a Kestrel process */
    AN_IIS_CLR,               /* clr.dll: .NET Framework 4 */
    AN_IIS_CLR2,              /* mscorwks.dll: .NET Framework 2.0 - 3.5 */
    AN_IIS_CORECLR,           /* coreclr.dll: .NET Core / .NET 5+ */
} an_iis_runtime_kind;

typedef struct an_iis_runtime {
    an_iis_runtime_kind kind;
    const char *module;       /* the file name as the table knows it ("clr.dll") */
    const char *what;         /* ".NET Framework 4 CLR" */
    const char *path;         /* the module's path in the dump (points into the dump) */
    uint64_t base;
    uint32_t size;
    bool has_version;
    char version[48];         /* "4.8.4515.0" (file version) */
    const char *version_source; /* "module list" or "version resource" */
    /* The product's own version, where it differs from the file version:
     * .NET Core's coreclr.dll has file version 4.6.27317.7 for runtime
     * 2.2.2. From the shared-framework directory in the module's path
     * (...\Microsoft.NETCore.App\2.2.2\coreclr.dll), else the version
     * resource's ProductVersion string up to its first blank ("8.0.0+hash").
     * "" when neither is known. */
    char product_version[64];
} an_iis_runtime;

/* One command-line switch ("-ap" "DefaultAppPool"); value NULL when the
 * next argument is another switch or there is none. */
typedef struct an_iis_switch {
    char *name;
    char *value;
} an_iis_switch;

typedef struct an_iis {
    bool is_w3wp;             /* the main module is w3wp.exe */
    const char *process_name; /* main module file name, or NULL */
    /* The command line, from the PEB; NULL when the dump lacks it. */
    char *command_line;
    char **argv;              /* CommandLineToArgvW's split */
    size_t argc;
    an_iis_switch *switches;  /* every "-x [value]" after argv[0], in order */
    size_t nswitches;
    /* The switches IIS gives meaning to (pointers into switches; NULL when absent). */
    const char *app_pool;     /* -ap: the application pool */
    const char *clr_version;  /* -v: managedRuntimeVersion ("v4.0", "v2.0"; "" = No Managed Code) */
    const char *pipeline_dll; /* -l: the ASP.NET integrated pipeline DLL */
    const char *config_path;  /* -h: the application pool's applicationHost.config */
    const char *ipm_pipe;     /* -a: the named pipe to the Windows Process Activation Service */
    /* Hosted runtimes found in the module list, in table order. */
    an_iis_runtime *runtimes;
    size_t nruntimes;
    /* Conclusions from the modules. */
    bool aspnet_framework;    /* ASP.NET on .NET Framework (pipeline, ISAPI or clr.dll/mscorwks.dll) */
    bool aspnet_core_inprocess;   /* ANCM in-process handler with coreclr.dll */
    bool aspnet_core_outofprocess; /* ANCM out-of-process handler: the app runs in another process */
    const char *hosting;      /* one line: "ASP.NET (.NET Framework 4, integrated pipeline)", ... or NULL */
} an_iis;

/* Fills out from t. Fails only on out-of-memory; a dump without a PEB or
 * modules gives an an_iis with what it has. Free with an_iis_free. */
int an_iis_inspect(cor_target *t, an_iis *out, cor_err *err);
void an_iis_free(an_iis *iis);

/* The runtime of a kind, or NULL. */
const an_iis_runtime *an_iis_find_runtime(const an_iis *iis, an_iis_runtime_kind kind);

/* Splits a command line as Windows' CommandLineToArgvW does (exposed for
 * tests): the program name ends at the next quote when it starts with one,
 * else at the first blank, and its backslashes are literal; later
 * arguments follow the quoting rules described in iis.c. *argv is a
 * malloc'd array of malloc'd strings. An empty line gives no arguments. */
int an_split_command_line(const char *line, char ***argv, size_t *argc, cor_err *err);
void an_free_argv(char **argv, size_t argc);

#endif
