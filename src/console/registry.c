/* The command table and WinDbg's dispatch rules: how a line splits into
 * commands, how a command's name is told from its arguments, and what an
 * unknown command prints. */
#include "console/con_internal.h"
#include "sym/store/sympath.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const con_command commands[] = {
    { "vertarget", 0, cmd_vertarget, "vertarget",
      "OS version and build, processors, session time, uptimes, dump type" },
    { "|", 0, cmd_process_status, "|", "the process: id and image path" },
    { "~", 0, cmd_threads, "~ | ~* | ~N | ~Ns | ~~[TID]s | ~#s | ~N CMD | ~* CMD | ~*e CMD",
      "list threads, switch the current thread, run a command on threads" },
    { "lm", CON_ATTACHED, cmd_lm, "lm [v|f|n|t|1m] [m PATTERN] [a ADDR]",
      "loaded modules (lmv m PATTERN: version, timestamp, PDB details)" },
    { ".exr", 0, cmd_exr, ".exr -1 | .exr ADDR", "the dump's exception record (-1), or one in memory" },
    { ".ecxr", 0, cmd_ecxr, ".ecxr", "switch to the exception's register context and show it" },
    { ".cxr", 0, cmd_cxr, ".cxr [ADDR]", "use the CONTEXT record at ADDR (or go back to the thread's own)" },
    { "r", 0, cmd_r, "r [REG[, REG...]]", "registers of the current context (rax, @rip, eax, al, efl, $ip)" },
    { "db dw dd dq dp dps dds dqs da du", CON_ATTACHED, cmd_display,
      "d{b|w|d|q|p|ps|ds|qs|a|u} [ADDR [L COUNT | L?COUNT | ADDR2]]",
      "display memory as bytes, words, dwords, qwords, pointers (with module+offset), strings" },
    { "u", CON_ATTACHED, cmd_unassemble, "u [ADDR] [L COUNT]",
      "disassemble (8 instructions from the current instruction, or where the last u stopped)" },
    { "uf", 0, cmd_unassemble_function, "uf ADDR", "disassemble the whole function containing ADDR (needs symbols)" },
    { "k", CON_ATTACHED | CON_SPACED, cmd_k, "k[b|n|v|p|L|c|f] [COUNT]",
      "the current thread's stack (b: arguments, n: frame numbers, v: how each frame was found, L: no source lines)" },
    { ".frame", 0, cmd_frame, ".frame [/r] [N]", "show (and select) frame N of the current stack; /r: its registers" },
    { ".effmach", 0, cmd_effmach, ".effmach [x86|amd64|.]",
      "the effective machine; x86 on a 64-bit dump of a WoW64 process: its 32-bit registers, stacks, TEBs" },
    { "!locks", 0, cmd_locks, "!locks [-v]",
      "locked critical sections (-v: all found): owner, counts, and the threads waiting" },
    { "!cs", 0, cmd_cs, "!cs [ADDR]", "one critical section, decoded (no ADDR: all, as !locks -v)" },
    { "!analyze", 0, cmd_analyze, "!analyze [-v]",
      "the crash verdict: exception decoded, faulting frame and instruction, stack, bucket id" },
    { "!peb", 0, cmd_peb, "!peb", "process environment block: image, command line, environment" },
    { "!teb", 0, cmd_teb, "!teb [ADDR]", "thread environment block of the current thread (or at ADDR)" },
    { "!runaway", 0, cmd_runaway, "!runaway [FLAGS]",
      "CPU time per thread, busiest first (1: user, 2: kernel, 4: elapsed since creation)" },
    { "!handle", 0, cmd_handle, "!handle [HANDLE [FLAGS [TYPE]]]",
      "the process's handles and a count per type (FLAGS f: access, counts, names, object details)" },
    { "!address", 0, cmd_address, "!address -summary | !address ADDR",
      "address-space usage (Image, Heap, Stack, TEB, PEB, Free...) by region count and size, or the region at ADDR" },
    { "!heap", 0, cmd_heap, "!heap | !heap -s [HEAP]",
      "the process's heaps (PEB list); -s: WinDbg's summary table (flags, reserved, committed, free, LFH) and segments" },
    { ".time", 0, cmd_time, ".time", "debug session time, process uptime, kernel and user time" },
    { ".dumpdebug", 0, cmd_dumpdebug, ".dumpdebug", "the dump's header and stream directory" },
    { "?", 0, cmd_evaluate, "? EXPR", "evaluate an expression" },
    { ".echo", 0, cmd_echo, ".echo TEXT", "print text" },
    { ".sympath", 0, cmd_sympath, ".sympath [PATH]", "show or set the symbol search path" },
    { ".symfix", 0, cmd_symfix, ".symfix[+] [CACHE]",
      "symbol path = srv*CACHE*https://msdl.microsoft.com/download/symbols (+: append)" },
    { "!sym", 0, cmd_sym, "!sym noisy | quiet", "log every symbol-store probe, or stop" },
    { ".reload", 0, cmd_reload, ".reload [/f] [/i] [MODULE]",
      "forget loaded symbols (all, or one module's); /f loads them again now; /i accepts mismatched PDBs" },
    { "ln", 0, cmd_ln, "ln [ADDR]", "the nearest symbol at or before ADDR (default: the current instruction)" },
    { "dt", 0, cmd_dt, "dt [MODULE!]TYPE [ADDR]",
      "a struct, class, union or enum from the module's PDB: members, offsets, types (values at ADDR)" },
    { "x", 0, cmd_x, "x [MODULE!]PATTERN", "functions whose names match PATTERN (* and ?)" },
    { "!lmi", 0, cmd_lmi, "!lmi MODULE", "a module's identity and where its symbols came from" },
    { ".exepath", 0, cmd_exepath, ".exepath [PATH]", "show or set the executable image search path" },
    { ".help !help", 0, cmd_help, ".help", "this list" },
    { "q qq", 0, cmd_quit, "q | qq", "quit" },
};

const con_command *con_commands(size_t *count)
{
    *count = sizeof commands / sizeof commands[0];
    return commands;
}

static bool is_word(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* True when one of an entry's space-separated names is word (exact), or
 * (prefix) begins word and is longer than *matched; *matched gets its length. */
static bool names_match(const con_command *c, const char *word, size_t len, bool prefix, size_t *matched)
{
    const char *n = c->names;
    bool found = false;
    while (*n) {
        size_t nl = strcspn(n, " ");
        if (prefix ? (nl < len && nl > *matched && strncasecmp(n, word, nl) == 0)
                   : (nl == len && strncasecmp(n, word, len) == 0)) {
            *matched = nl;
            found = true;
        }
        n += nl;
        while (*n == ' ') n++;
    }
    return found;
}

const con_command *con_find_command(const char *line, size_t *name_len, const char **args)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t') p++;
    size_t len = 0;
    bool punct = false;
    if (*p == '~' || *p == '|' || *p == '?') {
        len = (p[0] == '?' && p[1] == '?') ? 2 : 1;
        punct = true;
    } else if (*p == '.' || *p == '!') {
        len = 1;
        while (is_word(p[len])) len++;
        if (len == 1) return NULL;
    } else {
        while (is_word(p[len])) len++;
    }
    if (!len) return NULL;

    const size_t n = sizeof commands / sizeof commands[0];
    const con_command *best = NULL;
    size_t matched = 0;
    for (size_t i = 0; i < n && !best; i++)
        if (names_match(&commands[i], p, len, false, &matched)) best = &commands[i];
    /* lmvm, lmf, dd0x1000: the longest registered name that begins the word. */
    if (!best && !punct && *p != '.' && *p != '!') {
        for (size_t i = 0; i < n; i++)
            if ((commands[i].flags & CON_ATTACHED) && names_match(&commands[i], p, len, true, &matched))
                best = &commands[i];
        len = matched;
    }
    if (!best) return NULL;
    *name_len = (size_t)(p - line) + len;
    const char *a = p + len;
    while (*a == ' ' || *a == '\t') a++;
    *args = a;
    return best;
}

bool con_next_command(const char **cursor, const char **start, size_t *len)
{
    const char *p = *cursor;
    while (*p == ' ' || *p == '\t' || *p == ';' || *p == '\n' || *p == '\r') p++;
    if (!*p) {
        *cursor = p;
        return false;
    }
    const char *b = p;
    if (*p == '*') {
        /* "* comment": WinDbg's comment command takes the rest of the line. */
        p += strlen(p);
    } else {
        bool quoted = false;
        for (; *p && *p != '\n' && (quoted || *p != ';'); p++)
            if (*p == '"') quoted = !quoted;
    }
    const char *e = p;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    *start = b;
    *len = (size_t)(e - b);
    *cursor = p;
    return true;
}

int con_run_command(con_session *s, const char *cmd)
{
    while (*cmd == ' ' || *cmd == '\t') cmd++;
    if (s->echo) con_printf(s, "%s%s\n", con_prompt(s), cmd);
    if (!*cmd || *cmd == '*' || (cmd[0] == '$' && cmd[1] == '$')) return COR_OK; /* comments */

    size_t name_len;
    const char *args;
    const con_command *c = con_find_command(cmd, &name_len, &args);
    if (!c) {
        if (cmd[0] == '!') {
            size_t n = 1;
            while (is_word(cmd[n])) n++;
            con_printf(s, "No export %.*s found\n", (int)(n - 1), cmd + 1);
        } else {
            /* The caret sits under the command as echoed after the prompt. */
            con_printf(s, "%*s^ Syntax error in '%s'\n", (int)strlen(con_prompt(s)), "", cmd);
        }
        return COR_FAIL;
    }
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)name_len, cmd);
    cor_err err = { "" };
    /* Arguments without trailing blanks, so handlers need not trim. */
    size_t alen = strlen(args);
    while (alen && (args[alen - 1] == ' ' || args[alen - 1] == '\t')) alen--;
    bool spaced = (c->flags & CON_SPACED) && alen && args != cmd + name_len;
    char *a = malloc(alen + 2);
    if (a) snprintf(a, alen + 2, "%s%.*s", spaced ? " " : "", (int)alen, args);
    if (!a) {
        con_puts(s, "out of memory\n");
        return COR_FAIL;
    }
    int rc = c->run(s, name, a, &err);
    free(a);
    /* An empty message means the failure was already printed (~* CMD). */
    if (rc != COR_OK && err.msg[0]) con_printf(s, "%s\n", err.msg);
    return rc;
}

int con_execute(con_session *s, const char *line)
{
    int rc = COR_OK;
    const char *cur = line, *start;
    size_t len;
    while (!s->quit && con_next_command(&cur, &start, &len)) {
        char *cmd = strndup(start, len);
        if (!cmd) return COR_FAIL;
        if (con_run_command(s, cmd) != COR_OK) rc = COR_FAIL;
        free(cmd);
    }
    return rc;
}

/* The small commands that belong to the console itself. */

int cmd_help(con_session *s, const char *name, const char *args, cor_err *err)
{
    con_puts(s, "Commands (WinDbg syntax; numbers are hex unless written 0n...):\n");
    size_t n;
    const con_command *c = con_commands(&n);
    for (size_t i = 0; i < n; i++) {
        if (strlen(c[i].syntax) > 30) con_printf(s, "  %s\n  %-30s %s\n", c[i].syntax, "", c[i].help);
        else con_printf(s, "  %-30s %s\n", c[i].syntax, c[i].help);
    }
    con_puts(s, "Addresses: hex, 0x optional, backticks allowed (00000000`7ffe0000), + - * /,\n"
                "registers (rsp, @rip, @$ip), module names (ntdll+0x1000), poi(ADDR).\n");
    return COR_OK;
}

int cmd_quit(con_session *s, const char *name, const char *args, cor_err *err)
{
    con_puts(s, "quit:\n");
    s->quit = true;
    return COR_OK;
}

int cmd_echo(con_session *s, const char *name, const char *args, cor_err *err)
{
    con_printf(s, "%s\n", args);
    return COR_OK;
}

int cmd_evaluate(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t v;
    const char *end;
    if (con_eval(s, args, &end, &v, err) != COR_OK) return COR_FAIL;
    while (*end == ' ') end++;
    if (*end) return cor_fail(err, "Syntax error at '%s'", end);
    char buf[24];
    /* A 32-bit target shows 32-bit results, signed in decimal. */
    if (con_ptr_size(s) == 4) con_printf(s, "Evaluate expression: %d = %s\n", (int32_t)(uint32_t)v, con_fmt_addr(s, v, buf));
    else con_printf(s, "Evaluate expression: %lld = %s\n", (long long)(int64_t)v, con_fmt_addr(s, v, buf));
    return COR_OK;
}

int cmd_sympath(con_session *s, const char *name, const char *args, cor_err *err)
{
    while (*args == ' ') args++;
    if (*args) {
        /* ".sympath+ X" / ".sympath +X" append to the current path. */
        const char *cur = con_symbol_path(s);
        char *np;
        if (*args == '+') {
            args++;
            while (*args == ' ') args++;
            if (asprintf(&np, "%s%s%s", cur ? cur : "", cur && *cur ? ";" : "", args) < 0) np = NULL;
        } else {
            np = strdup(args);
        }
        if (!np) return cor_fail(err, "out of memory");
        int rc = con_set_symbol_path(s, np, err);
        free(np);
        if (rc != COR_OK) return COR_FAIL;
    }
    const char *p = con_symbol_path(s);
    if (!p || !*p) {
        con_puts(s, "Symbol search path is: <empty>\nExpanded Symbol search path is: <empty>\n");
        return COR_OK;
    }
    /* The expanded form spells out defaults and mapped Windows paths. */
    sym_path_options o;
    sym_path_options_from_env(&o);
    sym_path *sp = NULL;
    char *expanded = sym_path_parse(p, &o, &sp, NULL) == COR_OK ? sym_path_describe(sp) : NULL;
    for (size_t n = expanded ? strlen(expanded) : 0; n && expanded[n - 1] == '\n'; n--) expanded[n - 1] = 0;
    con_printf(s, "Symbol search path is: %s\nExpanded Symbol search path is: %s\n", p, expanded ? expanded : p);
    for (size_t i = 0; sp && i < sp->nnotes; i++) con_printf(s, "  (%s)\n", sp->notes[i]);
    free(expanded);
    sym_path_free(sp);
    return COR_OK;
}

int cmd_exepath(con_session *s, const char *name, const char *args, cor_err *err)
{
    if (*args && target_set_image_path(s->t, args, err) != COR_OK) return COR_FAIL;
    const char *p = s->t->image_path && *s->t->image_path ? s->t->image_path : "<empty>";
    con_printf(s, "Executable image search path is: %s\n", p);
    return COR_OK;
}
