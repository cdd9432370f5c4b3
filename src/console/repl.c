/* The interactive prompt. On a terminal, libedit's histedit API gives line
 * editing and history (per EditLine object, so no global state); any other
 * input is read line by line and each command is echoed after the prompt,
 * which makes piped sessions read like a cdb log. */
#include "console/con_internal.h"

#include <histedit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HISTORY_SIZE 1000

static char *prompt_of(EditLine *el)
{
    con_session *s = NULL;
    el_get(el, EL_CLIENTDATA, &s);
    return s ? (char *)con_prompt(s) : "> ";
}

/* WinDbg repeats the previous command when Enter is pressed on an empty
 * line, which is how one pages through memory with db. */
static int repl_tty(con_session *s, FILE *in, const char *history_path)
{
    EditLine *el = el_init("coroner", in, stdout, stderr);
    History *h = history_init();
    if (!el || !h) {
        if (el) el_end(el);
        if (h) history_end(h);
        return COR_FAIL;
    }
    HistEvent ev;
    history(h, &ev, H_SETSIZE, HISTORY_SIZE);
    history(h, &ev, H_SETUNIQUE, 1);
    if (history_path) history(h, &ev, H_LOAD, history_path);
    el_set(el, EL_CLIENTDATA, s);
    el_set(el, EL_PROMPT, prompt_of);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, h);
    el_set(el, EL_SIGNAL, 1);
    el_source(el, NULL); /* the user's ~/.editrc, if any */

    char *last = NULL;
    while (!s->quit) {
        int count = 0;
        const char *line = el_gets(el, &count);
        if (!line || count <= 0) {
            con_puts(s, "\n");
            break;
        }
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) len--;
        char *cmd = strndup(line, len);
        if (!cmd) break;
        if (!len && last) {
            free(cmd);
            cmd = strdup(last);
            if (!cmd) break;
        } else if (len) {
            history(h, &ev, H_ENTER, cmd);
            free(last);
            last = strdup(cmd);
        }
        con_execute(s, cmd);
        free(cmd);
        if (s->out_fp) fflush(s->out_fp);
    }
    free(last);
    if (history_path) history(h, &ev, H_SAVE, history_path);
    history_end(h);
    el_end(el);
    return COR_OK;
}

static int repl_lines(con_session *s, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    bool saved_echo = s->echo;
    s->echo = true;
    while (!s->quit) {
        ssize_t n = getline(&line, &cap, in);
        if (n < 0) break;
        con_execute(s, line);
        if (s->out_fp) fflush(s->out_fp);
    }
    s->echo = saved_echo;
    free(line);
    return COR_OK;
}

int con_repl(con_session *s, FILE *in, const char *history_path)
{
    if (isatty(fileno(in)) && s->out_fp && isatty(fileno(s->out_fp))) return repl_tty(s, in, history_path);
    return repl_lines(s, in);
}
