/* Private to src/console: the session's layout and the helpers the command
 * files share (output, address formatting, module names, times). */
#ifndef COR_CONSOLE_INTERNAL_H
#define COR_CONSOLE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "console/console.h"
#include "console/expr.h"
#include "dump/context.h"
#include "dump/minidump.h"

struct con_session {
    cor_target *t;
    FILE *out_fp;       /* exactly one of out_fp and out_sb is set */
    strbuf *out_sb;
    bool echo;
    bool quit;
    char prompt[32];
    /* Module display names (WinDbg's: "ntdll", "System_Web_ni"), indexed
     * like md_module_at, and the module indices sorted by base. */
    char **mod_names;
    size_t *mod_sorted;
    size_t nmods;
    /* Where a bare `db`/`dd`/... continues: after the last display. */
    bool has_next_dump;
    uint64_t next_dump_addr;
    /* The disassembler, opened on first use, and where a bare `u` goes on. */
    struct dis_engine *dis;
    bool has_next_u;
    uint64_t next_u_addr;
    /* The frame .frame selected (0 = innermost); reset by thread changes. */
    size_t cur_frame;
    expr_env env;
};

/* Output. */
void con_printf(con_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void con_puts(con_session *s, const char *str);

/* Addresses as WinDbg prints them for this target: 8 hex digits on 32-bit
 * targets, 00000000`00000000 on 64-bit ones (con_fmt_addr), or 16 plain
 * digits (con_fmt_addr_plain, used by .exr and !peb). buf: 24 bytes. */
const char *con_fmt_addr(const con_session *s, uint64_t v, char *buf);
const char *con_fmt_addr_plain(const con_session *s, uint64_t v, char *buf);
unsigned con_ptr_size(const con_session *s);

/* "module+0x1234" (or "module" at the base) for an address inside a module;
 * pad_offset writes the offset at pointer width as .exr does
 * ("test_app+0x0000429e"). False, and buf empty, outside every module. */
bool con_symbolize(const con_session *s, uint64_t addr, bool pad_offset, char *buf, size_t size);
/* The module's display name (index as for md_module_at). */
const char *con_module_name(const con_session *s, size_t i);
/* Module index for an address, or (size_t)-1. */
size_t con_module_index(const con_session *s, uint64_t addr);

/* Evaluates an expression / an address range against the session. */
int con_eval(con_session *s, const char *text, const char **end, uint64_t *out, cor_err *err);
int con_range(con_session *s, const char *text, unsigned elem_size, expr_range *r, const char **end, cor_err *err);

/* Time in WinDbg's wording, in the dump's time zone when MiscInfo records
 * it (UTC otherwise): "Wed Feb 14 19:13:55.000 2007 (UTC + 0:00)". The
 * plain form drops the milliseconds and zone ("Wed Feb 14 19:13:48 2007"). */
void con_fmt_time(const con_session *s, time_t when, bool session_style, char *buf, size_t size);
/* "0 days 0:00:05.000". */
void con_fmt_duration(uint64_t seconds, char *buf, size_t size);

/* Lines of .time, shared with vertarget. */
void con_print_times(con_session *s);
/* "User Mini Dump File: Only registers, ..." */
const char *con_dump_kind(const con_session *s);
/* MINIDUMP_TYPE flag name for bit b ("MiniDumpWithFullMemory"), or NULL. */
const char *con_dump_flag_name(unsigned bit);

/* The thread the dump's exception happened on, or (size_t)-1. */
size_t con_event_thread(const con_session *s);
/* Switches the current thread (clears a .ecxr/.cxr context override). */
void con_set_thread(con_session *s, size_t i);
/* Prints the register block of `r` for a context. */
void con_print_registers(con_session *s, const md_context *c);
/* The "module+0x1234:" line WinDbg prints before the current instruction. */
void con_print_location(con_session *s, uint64_t ip);
/* Looks up a register of a context by name ("rax", "eax", "al", "efl", "rip"):
 * its value and width in bytes. */
int con_register_value(const md_context *c, const char *name, size_t len, uint64_t *v, unsigned *width);

/* Handlers, by file. */
int cmd_vertarget(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_time(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_process_status(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_dumpdebug(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_threads(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_lm(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_exr(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_ecxr(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_cxr(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_r(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_display(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_peb(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_teb(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_help(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_quit(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_evaluate(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_echo(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_sympath(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_exepath(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_unassemble(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_unassemble_function(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_reload(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_ln(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_x(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_lmi(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_symfix(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_sym(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_dt(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_k(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_locks(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_cs(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_analyze(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_frame(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_effmach(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_runaway(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_handle(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_address(con_session *s, const char *name, const char *args, cor_err *err);
int cmd_heap(con_session *s, const char *name, const char *args, cor_err *err);
/* Walks the current thread's stack (from a .ecxr/.cxr context when set). */
struct uw_stack;
int con_walk_current(con_session *s, struct uw_stack *st, cor_err *err);
/* Prints one disassembled instruction line at addr (as `u` and `r` do);
 * returns its length, or 0 when the bytes are not in the dump. */
size_t con_print_instruction(con_session *s, uint64_t addr);

/* The PEB address, for the $peb pseudo-register (cmd_process.c). */
int con_peb_address(con_session *s, uint64_t *addr);
/* The current thread's TEB address, for $teb. */
int con_teb_address(con_session *s, uint64_t *addr);

#endif
