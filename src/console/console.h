/* The WinDbg-style console: one command registry that serves the
 * interactive prompt, `coroner -c "cmd; cmd"`, and the analyzer (which
 * captures a command's output in a strbuf).
 *
 * A session wraps a cor_target with the console's own state: where output
 * goes, the module names as WinDbg spells them, where the next bare `db`
 * continues. Commands follow WinDbg's syntax and print WinDbg's layouts so
 * that users can compare the two; docs/commands.md lists them. */
#ifndef COR_CONSOLE_CONSOLE_H
#define COR_CONSOLE_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/error.h"
#include "core/text.h"
#include "target/target.h"

typedef struct con_session con_session;

/* A session over an opened target (which it does not own). Output goes to
 * stdout until redirected. */
int con_open(cor_target *t, con_session **out, cor_err *err);
void con_close(con_session *s);

/* Output sinks: a stream, or a buffer the caller reads afterwards. */
void con_set_output_file(con_session *s, FILE *fp);
void con_set_output_buffer(con_session *s, strbuf *sb);

/* Echo each command after the prompt before its output, as cdb's log
 * shows it ("0:000> lm"). On for -c and piped input. */
void con_set_echo(con_session *s, bool on);

/* The symbol path (-y, .sympath); stored for the symbol layer to come. */
/* Sets the target's symbol path (loaded symbols are forgotten). */
int con_set_symbol_path(con_session *s, const char *path, cor_err *err);
const char *con_symbol_path(const con_session *s);

/* "0:000> ": process 0, current thread index in three digits. The string
 * stays valid until the next command runs. */
const char *con_prompt(con_session *s);

/* Runs one line: the commands in it, split on ';' outside quotes, run in
 * order. A failing command prints its error and the next one runs; `q`
 * stops the line. Returns COR_FAIL if any command failed. */
int con_execute(con_session *s, const char *line);
/* Runs exactly one command (no splitting). */
int con_run_command(con_session *s, const char *cmd);

/* True once `q` or `qq` ran. */
bool con_quit_requested(const con_session *s);

/* What WinDbg prints when it opens a dump: the dump type, the system, the
 * session time, and the stored exception. Printed at the interactive
 * prompt's start. */
void con_print_banner(con_session *s);

/* The interactive loop: reads lines with libedit when in is a terminal
 * (history kept in history_path when non-NULL), plain lines otherwise
 * (then each command is echoed after the prompt, so the transcript reads
 * like a cdb log). Ends at q, qq or end of input. Returns COR_OK. */
int con_repl(con_session *s, FILE *in, const char *history_path);

/* Command-line splitting, exposed for tests: finds the next command in
 * *cursor, skipping ';' separators and surrounding blanks. Sets *start and
 * *len and advances *cursor; false when no command is left. Quoted text
 * ("a;b") is not split. */
bool con_next_command(const char **cursor, const char **start, size_t *len);

/* The registry. Each entry is one command family. */
typedef struct con_command con_command;
typedef int (*con_handler)(con_session *s, const char *name, const char *args, cor_err *err);

enum {
    /* Options may follow the name without a space: lmvm, lmf, dd0x1000. */
    CON_ATTACHED = 1,
    /* The handler's arguments keep one leading blank when blanks separated
     * them from the name, so it can tell options attached to the name
     * from a first argument: `kf` (frame sizes) against `k ffff` (a count). */
    CON_SPACED = 2,
};

struct con_command {
    const char *names;   /* space-separated; the first is the main name */
    unsigned flags;      /* CON_* */
    con_handler run;
    const char *syntax;  /* one line, for .help */
    const char *help;    /* one line, for .help */
};

/* All commands, in .help order. */
const con_command *con_commands(size_t *count);

/* Finds the command a line starts with, by WinDbg's rules: `~`, `|` and
 * `?` stand alone; `.name` and `!name` run to the first non-word
 * character; other names are the leading word, or (CON_ATTACHED) its
 * longest registered prefix. Sets *name_len to the length of the name as
 * typed and *args to what follows it. NULL when nothing matches. */
const con_command *con_find_command(const char *line, size_t *name_len, const char **args);

#endif
