/* The `~` family: list threads, switch the current one, run a command on
 * one or all of them.
 *
 *   ~            every thread, one line each
 *   ~*           the same with start address and priorities
 *   ~N ~. ~#     one thread (N is decimal, as WinDbg numbers threads)
 *   ~~[TID]      the thread with that id (an expression, hex by default)
 *   ...s         make it current (the prompt follows)
 *   ... CMD      run CMD with that thread current, then come back
 *   ~*e CMD      run CMD on every thread without the thread headers */
#include "console/con_internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint32_t process_id(const con_session *s)
{
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    return mi && (mi->flags & MD_MISC_PROCESS_ID) ? mi->pid : 0;
}

/* ".  0  Id: f5c.bf4 Suspend: 1 Teb: 7ffdf000 Unfrozen "name"": '.' marks
 * the current thread, '#' the one the exception happened on. */
static void print_thread(con_session *s, size_t i, bool verbose)
{
    const md_thread *th = md_thread_at(s->t->dump, i);
    char mark = i == s->t->cur_thread ? '.' : i == con_event_thread(s) ? '#' : ' ';
    char teb[24];
    /* The effective machine's TEB: the 32-bit one in a WoW64 x86 view. */
    con_printf(s, "%c%3zu  Id: %x.%x Suspend: %u Teb: %s Unfrozen", mark, i, process_id(s), th->tid,
               th->suspend_count, con_fmt_addr(s, target_thread_teb(s->t, i), teb));
    if (th->name) con_printf(s, " \"%s\"", th->name);
    con_puts(s, "\n");
    if (!verbose) return;
    const md_thread_info *ti = md_thread_info_by_tid(s->t->dump, th->tid);
    if (ti && ti->start_address) {
        char sym[300], addr[24];
        if (con_symbolize(s, ti->start_address, false, sym, sizeof sym))
            con_printf(s, "      Start: %s (%s)\n", sym, con_fmt_addr(s, ti->start_address, addr));
        else
            con_printf(s, "      Start: %s\n", con_fmt_addr(s, ti->start_address, addr));
    }
    con_printf(s, "      Priority: %d  Priority class: %u", (int32_t)th->priority, th->priority_class);
    if (ti) con_printf(s, "  Affinity: %" PRIx64, ti->affinity);
    con_puts(s, "\n");
}

/* Runs cmd with thread i current, then restores the current thread and
 * any .ecxr context, as WinDbg does for "~N cmd". */
static int run_on_thread(con_session *s, size_t i, const char *cmd)
{
    cor_target *t = s->t;
    size_t saved = t->cur_thread;
    bool saved_override = t->has_ctx_override;
    md_context saved_ctx = t->ctx_override;
    bool saved_echo = s->echo;
    con_set_thread(s, i);
    s->echo = false;
    int rc = con_execute(s, cmd);
    s->echo = saved_echo;
    t->cur_thread = saved;
    t->has_ctx_override = saved_override;
    t->ctx_override = saved_ctx;
    return rc;
}

enum { SEL_ALL = -1 };

/* Parses the thread part after '~'. Sets *sel to an index or SEL_ALL and
 * returns the rest of the text, or NULL with err set. */
static const char *parse_selector(con_session *s, const char *p, long long *sel, cor_err *err)
{
    size_t n = md_thread_count(s->t->dump);
    if (*p == '*') {
        *sel = SEL_ALL;
        return p + 1;
    }
    if (*p == '.') {
        *sel = (long long)s->t->cur_thread;
        return p + 1;
    }
    if (*p == '#') {
        size_t ev = con_event_thread(s);
        if (ev == (size_t)-1) {
            cor_fail(err, "No event thread: the dump has no exception");
            return NULL;
        }
        *sel = (long long)ev;
        return p + 1;
    }
    if (*p == '~' && p[1] == '[') {
        const char *close = strchr(p + 2, ']');
        if (!close) {
            cor_fail(err, "Syntax error in '~%s': missing ']'", p);
            return NULL;
        }
        char *inner = strndup(p + 2, (size_t)(close - p - 2));
        if (!inner) {
            cor_fail(err, "out of memory");
            return NULL;
        }
        uint64_t tid;
        int rc = con_eval(s, inner, NULL, &tid, err);
        free(inner);
        if (rc != COR_OK) return NULL;
        size_t i = tid <= UINT32_MAX ? target_thread_index(s->t, (uint32_t)tid) : (size_t)-1;
        if (i == (size_t)-1) {
            cor_fail(err, "Illegal thread error in '~~[%" PRIx64 "]': no thread with that id", tid);
            return NULL;
        }
        *sel = (long long)i;
        return close + 1;
    }
    if (isdigit((unsigned char)*p)) {
        /* Thread numbers are decimal in WinDbg, unlike everything else. */
        size_t len = 0;
        while (isdigit((unsigned char)p[len])) len++;
        uint64_t v;
        if (expr_number(p, len, 10, &v) != COR_OK || v >= n) {
            cor_fail(err, "Illegal thread error in '~%.*s': the dump has %zu threads", (int)len, p, n);
            return NULL;
        }
        *sel = (long long)v;
        return p + len;
    }
    /* No thread named: only the bare `~` listing is meaningful. */
    if (*p) {
        cor_fail(err, "Syntax error in '~%s'", p);
        return NULL;
    }
    *sel = SEL_ALL;
    return p;
}

int cmd_threads(con_session *s, const char *name, const char *args, cor_err *err)
{
    size_t n = md_thread_count(s->t->dump);
    if (!n) return cor_fail(err, "The dump has no thread list");
    bool bare = !*args;
    long long sel;
    const char *rest = parse_selector(s, args, &sel, err);
    if (!rest) return COR_FAIL;
    bool star = !bare && args[0] == '*';
    while (*rest == ' ' || *rest == '\t') rest++;

    if (!*rest) { /* list */
        if (sel == SEL_ALL) {
            for (size_t i = 0; i < n; i++) print_thread(s, i, star);
        } else {
            print_thread(s, (size_t)sel, false);
        }
        return COR_OK;
    }
    if ((rest[0] == 's' || rest[0] == 'S') && !rest[1]) { /* switch */
        if (sel == SEL_ALL) return cor_fail(err, "Syntax error in '~%s': switch to which thread?", args);
        con_set_thread(s, (size_t)sel);
        md_context c;
        if (target_current_context(s->t, &c, err) != COR_OK) return COR_FAIL;
        con_print_location(s, c.ip);
        return COR_OK;
    }
    if (strchr("fFuUnNmM", rest[0]) && !rest[1])
        return cor_fail(err, "Freezing and suspending threads has no meaning in a dump");
    bool quiet = false;
    if ((rest[0] == 'e' || rest[0] == 'E') && (rest[1] == ' ' || rest[1] == '\t')) {
        quiet = true;
        rest += 2;
        while (*rest == ' ' || *rest == '\t') rest++;
    }
    if (sel != SEL_ALL) return run_on_thread(s, (size_t)sel, rest);
    int rc = COR_OK;
    for (size_t i = 0; i < n && !s->quit; i++) {
        if (!quiet) {
            con_puts(s, "\n");
            print_thread(s, i, false);
        }
        if (run_on_thread(s, i, rest) != COR_OK) rc = COR_FAIL;
    }
    return rc;
}
