/* The console layer: the expression evaluator and range parser against a
 * fake environment, command-line splitting, WinDbg's command-name rules,
 * and (on minidump2.dmp, whose facts Breakpad's minidump_dump lists)
 * commands run with their output captured in a strbuf as the analyzer
 * captures it. */
#include "console/console.h"
#include "console/expr.h"
#include "test.h"

/* A fake target: two registers, one module, four bytes of memory. */
static int fake_lookup(void *ctx, const char *name, size_t len, bool at, uint64_t *v)
{
    (void)ctx;
    static const struct { const char *name; uint64_t v; bool reg; } names[] = {
        { "rsp", 0x1000, true }, { "$ip", 0x401000, true }, { "kernel32", 0x7c800000, false },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
            if (at && !names[i].reg) return COR_FAIL;
            *v = names[i].v;
            return COR_OK;
        }
    return COR_FAIL;
}

static int fake_read(void *ctx, uint64_t addr, unsigned size, uint64_t *v)
{
    (void)ctx;
    if (addr != 0x1000) return COR_FAIL;
    *v = size == 1 ? 0x78 : size == 2 ? 0x5678 : 0x12345678;
    return COR_OK;
}

static const expr_env env = { NULL, fake_lookup, fake_read };

static uint64_t eval(const char *s)
{
    uint64_t v = 0xDEAD;
    cor_err err = { "" };
    const char *end;
    if (expr_eval(&env, s, &end, &v, &err) != COR_OK) {
        fprintf(stderr, "eval(%s): %s\n", s, err.msg);
        return 0xBAD;
    }
    return v;
}

static const char *eval_error(const char *s)
{
    static cor_err err;
    uint64_t v;
    err.msg[0] = 0;
    if (expr_eval(&env, s, NULL, &v, &err) == COR_OK) return "(no error)";
    return err.msg;
}

static void test_expr(void)
{
    CHECK_EQ_U(eval("1000"), 0x1000);
    CHECK_EQ_U(eval("0x10"), 0x10);
    CHECK_EQ_U(eval("0n10"), 10);
    CHECK_EQ_U(eval("0t17"), 15);
    CHECK_EQ_U(eval("0y101"), 5);
    CHECK_EQ_U(eval("00000000`7ffe0000"), 0x7ffe0000);
    CHECK_EQ_U(eval("0x00007ff7`38721331"), 0x7ff738721331ull);
    CHECK_EQ_U(eval("ffffffff`ffffffff"), UINT64_MAX);
    CHECK_EQ_U(eval("dead"), 0xdead); /* all hex digits: a number, as in WinDbg */
    CHECK_EQ_U(eval("rsp"), 0x1000);
    CHECK_EQ_U(eval("@rsp"), 0x1000);
    CHECK_EQ_U(eval("@$ip"), 0x401000);
    CHECK_EQ_U(eval("$ip+4"), 0x401004);
    CHECK_EQ_U(eval("rsp+8"), 0x1008);
    CHECK_EQ_U(eval("@rsp - 0x10"), 0xff0);
    CHECK_EQ_U(eval("kernel32+0x1234"), 0x7c801234);
    CHECK_EQ_U(eval("KERNEL32"), 0x7c800000);
    CHECK_EQ_U(eval("(1+2)*3"), 9);
    CHECK_EQ_U(eval("10/4"), 4);
    CHECK_EQ_U(eval("-1"), UINT64_MAX);
    CHECK_EQ_U(eval("2*-3"), (uint64_t)-6);
    CHECK_EQ_U(eval("poi(rsp)"), 0x12345678);
    CHECK_EQ_U(eval("by(1000)"), 0x78);
    CHECK_EQ_U(eval("wo(rsp)+1"), 0x5679);

    /* The expression ends where no operator follows. */
    const char *end;
    uint64_t v;
    cor_err err;
    CHECK(expr_eval(&env, "1000 L20", &end, &v, &err) == COR_OK && v == 0x1000 && strcmp(end, " L20") == 0);
    CHECK(expr_eval(&env, "esp2 ", &end, &v, &err) == COR_FAIL);

    CHECK_STR(eval_error("xyz"), "Couldn't resolve error at 'xyz'");
    CHECK_STR(eval_error("kernel32!CreateFileW"), "Couldn't resolve error at 'kernel32!CreateFileW'");
    CHECK_STR(eval_error("@kernel32"), "Bad register error at '@kernel32'");
    CHECK_STR(eval_error("@foo"), "Bad register error at '@foo'");
    CHECK_STR(eval_error("12g4"), "Syntax error at '12g4'");
    CHECK_STR(eval_error("(1+2"), "Syntax error at ''");
    CHECK_STR(eval_error("1/0"), "Divide by zero error at '/0'");
    CHECK_STR(eval_error("poi(2000)"), "Memory access error at 'poi(2000)'");
    CHECK_STR(eval_error("1ffffffffffffffff"), "Syntax error at '1ffffffffffffffff'");

    CHECK(expr_number("0x1f", 4, 16, &v) == COR_OK && v == 0x1f);
    CHECK(expr_number("12", 2, 10, &v) == COR_OK && v == 12);
    CHECK(expr_number("1a", 2, 10, &v) == COR_FAIL);
    CHECK(expr_number("`1", 2, 16, &v) == COR_FAIL);
}

static void test_range(void)
{
    expr_range r;
    cor_err err;
    const char *end;
    CHECK(expr_parse_range(&env, "1000 L20", 1, &r, &end, &err) == COR_OK);
    CHECK(r.has_start && r.start == 0x1000 && r.has_count && r.count == 0x20 && !*end);
    CHECK(expr_parse_range(&env, "rsp l8", 4, &r, &end, &err) == COR_OK);
    CHECK(r.start == 0x1000 && r.count == 8);
    CHECK(expr_parse_range(&env, "1000 100f", 1, &r, &end, &err) == COR_OK); /* last address included */
    CHECK(r.count == 0x10);
    CHECK(expr_parse_range(&env, "1000 100f", 4, &r, &end, &err) == COR_OK);
    CHECK(r.count == 4);
    CHECK(expr_parse_range(&env, "1000", 1, &r, &end, &err) == COR_OK);
    CHECK(r.has_start && !r.has_count);
    CHECK(expr_parse_range(&env, "", 1, &r, &end, &err) == COR_OK);
    CHECK(!r.has_start && !r.has_count);
    CHECK(expr_parse_range(&env, "L10", 1, &r, &end, &err) == COR_OK);
    CHECK(!r.has_start && r.count == 0x10);
    /* Over 256 MB needs L?. */
    CHECK(expr_parse_range(&env, "0 L10000001", 1, &r, &end, &err) == COR_FAIL);
    CHECK(strstr(err.msg, "Range error") != NULL);
    CHECK(expr_parse_range(&env, "0 L?10000001", 1, &r, &end, &err) == COR_OK && r.count == 0x10000001);
    CHECK(expr_parse_range(&env, "0 L?10000001", 8, &r, &end, &err) == COR_OK);
    CHECK(expr_parse_range(&env, "2000 1000", 1, &r, &end, &err) == COR_FAIL);
    CHECK(expr_parse_range(&env, "1000 L20 junk", 1, &r, &end, &err) == COR_OK && strcmp(end, "junk") == 0);
}

/* Splits line and joins the pieces with '|' for comparison. */
static const char *split(const char *line)
{
    static char out[512];
    out[0] = 0;
    const char *cur = line, *start;
    size_t len;
    while (con_next_command(&cur, &start, &len)) {
        if (out[0]) strcat(out, "|");
        strncat(out, start, len);
    }
    return out;
}

static void test_split(void)
{
    CHECK_STR(split("lm; ~ ;r"), "lm|~|r");
    CHECK_STR(split("  vertarget  "), "vertarget");
    CHECK_STR(split(";;lm;;"), "lm");
    CHECK_STR(split(""), "");
    CHECK_STR(split(".echo \"a;b\"; r"), ".echo \"a;b\"|r");
    CHECK_STR(split("r; * a comment; with semicolons"), "r|* a comment; with semicolons");
    CHECK_STR(split("$$ note; lm"), "$$ note|lm");
    CHECK_STR(split(".exr -1;.ecxr;r\n"), ".exr -1|.ecxr|r");
}

/* The registered name a line resolves to, and its arguments. */
static const char *find(const char *line, const char **args)
{
    static char name[64];
    size_t n;
    const con_command *c = con_find_command(line, &n, args);
    if (!c) return "(none)";
    snprintf(name, sizeof name, "%.*s=%.*s", (int)n, line, (int)strcspn(c->names, " "), c->names);
    return name;
}

static void test_find(void)
{
    const char *args = "";
    CHECK_STR(find("~", &args), "~=~");
    CHECK_STR(args, "");
    CHECK_STR(find("~3s", &args), "~=~");
    CHECK_STR(args, "3s");
    CHECK_STR(find("~~[bf4]s", &args), "~=~");
    CHECK_STR(args, "~[bf4]s");
    CHECK_STR(find("|", &args), "|=|");
    CHECK_STR(find(".exr -1", &args), ".exr=.exr");
    CHECK_STR(args, "-1");
    CHECK_STR(find("!peb", &args), "!peb=!peb");
    CHECK_STR(find("!help", &args), "!help=.help");
    CHECK_STR(find("db 0x1000 L20", &args), "db=db");
    CHECK_STR(args, "0x1000 L20");
    CHECK_STR(find("db@rsp", &args), "db=db");
    CHECK_STR(args, "@rsp");
    CHECK_STR(find("dps esp", &args), "dps=db");
    CHECK_STR(find("DD esp", &args), "DD=db");
    CHECK_STR(find("lmv m kernel*", &args), "lm=lm");
    CHECK_STR(args, "v m kernel*");
    CHECK_STR(find("lmvm kernel32", &args), "lm=lm");
    CHECK_STR(args, "vm kernel32");
    CHECK_STR(find("lm", &args), "lm=lm");
    CHECK_STR(find("r rax", &args), "r=r");
    CHECK_STR(args, "rax");
    CHECK_STR(find("r@rip", &args), "r=r");
    CHECK_STR(find("qq", &args), "qq=q");
    CHECK_STR(find("? 1+2", &args), "?=?");
    CHECK_STR(args, "1+2");
    CHECK_STR(find("xyz", &args), "(none)");
    CHECK_STR(find("!xyz", &args), "(none)");
    CHECK_STR(find(".", &args), "(none)");
    CHECK_STR(find("??", &args), "(none)");
    CHECK_STR(find("rubbish", &args), "(none)");
}

/* Runs commands on a session whose output goes to a strbuf. */
static char *run(con_session *s, const char *line)
{
    strbuf sb;
    sb_init(&sb);
    con_set_output_buffer(s, &sb);
    con_execute(s, line);
    return sb.s ? sb.s : strdup("");
}

static void test_session(void)
{
    cor_target *t;
    cor_err err;
    if (target_open(corpus_path("google__breakpad/src__processor__testdata__minidump2.dmp"), &t, &err) != COR_OK) {
        fprintf(stderr, "minidump2.dmp: %s\n", err.msg);
        CHECK(0);
        return;
    }
    con_session *s;
    CHECK(con_open(t, &s, &err) == COR_OK);
    CHECK_STR(con_prompt(s), "0:000> ");
    char *o = run(s, "lm");
    CHECK(strstr(o, "start    end        module name\n00400000 0042d000   test_app   (deferred)\n") != NULL);
    CHECK(strstr(o, "7c900000 7c9b0000   ntdll      (deferred)\n") != NULL);
    free(o);
    o = run(s, "~1s");
    CHECK_STR(con_prompt(s), "0:001> ");
    free(o);
    o = run(s, "~; ~0s; r eip");
    CHECK(strstr(o, "#  0  Id: f5c.bf4 Suspend: 0 Teb: 7ffdf000 Unfrozen\n.  1  Id: f5c.11c0") != NULL);
    CHECK(strstr(o, "eip=7c90eb94\n") != NULL);
    free(o);
    o = run(s, ".ecxr; r eip; ? eip+2");
    CHECK(strstr(o, "eip=0040429e\n") != NULL);
    CHECK(strstr(o, "Evaluate expression: 4211360 = 004042a0\n") != NULL);
    free(o);
    /* Echo as -c does; an unknown command does not stop the line. */
    con_set_echo(s, true);
    o = run(s, "xyz; !xyz; ? test_app; q; r");
    CHECK_STR(o, "0:000> xyz\n       ^ Syntax error in 'xyz'\n0:000> !xyz\nNo export xyz found\n"
                 "0:000> ? test_app\nEvaluate expression: 4194304 = 00400000\n0:000> q\nquit:\n");
    CHECK(con_quit_requested(s));
    free(o);
    con_close(s);
    target_close(t);
}

int main(void)
{
    test_expr();
    test_range();
    test_split();
    test_find();
    test_session();
    TEST_DONE();
}
