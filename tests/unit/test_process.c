/* PEB and TEB from real Windows dumps that captured them (x64 and x86). */
#include "process/environment.h"
#include "test.h"

static cor_target *open_corpus(const char *rel)
{
    cor_target *t = NULL;
    cor_err err;
    if (target_open(corpus_path(rel), &t, &err) != COR_OK) fprintf(stderr, "%s: %s\n", rel, err.msg);
    CHECK(t != NULL);
    return t;
}

static bool env_has(const proc_peb *p, const char *prefix)
{
    for (size_t i = 0; i < p->nenvironment; i++)
        if (strncasecmp(p->environment[i], prefix, strlen(prefix)) == 0) return true;
    return false;
}

int main(void)
{
    cor_err err;
    proc_peb p;
    proc_teb teb;

    /* x64: electron's renderer, Windows 10.0.14393. */
    cor_target *t = open_corpus("electron__node-minidump/test__fixtures__windows.dmp");
    if (t) {
        CHECK(!proc_is_wow64(t));
        CHECK(proc_read_peb(t, true, &p, &err) == COR_OK);
        CHECK_STR(p.image_path, "C:\\users\\kevin\\Downloads\\electron-v1.4.3-win32-x64\\electron.exe");
        CHECK(p.command_line && strstr(p.command_line, "--type=renderer --no-sandbox") != NULL);
        CHECK_STR(p.current_directory, "C:\\Users\\kevin\\Documents\\GitHub\\node-minidump\\");
        CHECK(p.os_major == 10 && p.os_minor == 0 && p.os_build == 14393);
        CHECK(env_has(&p, "SystemRoot="));
        CHECK_EQ_U(p.image_base, md_module_at(t->dump, 0)->base);
        CHECK_EQ_U(p.ptr_size, 8);
        proc_peb_free(&p);
        /* Every thread's TEB: Self points at itself, ClientId names the
         * thread, and the captured stack lies within StackLimit..StackBase. */
        for (size_t i = 0; i < md_thread_count(t->dump); i++) {
            const md_thread *th = md_thread_at(t->dump, i);
            CHECK(proc_read_teb(t, i, false, &teb, &err) == COR_OK);
            CHECK_EQ_U(teb.self, th->teb);
            CHECK_EQ_U(teb.client_tid, th->tid);
            CHECK(th->stack_start >= teb.stack_limit && th->stack_start < teb.stack_base);
        }
        target_close(t);
    }

    /* x86: Firefox Nightly on Windows 10.0.19041. */
    t = open_corpus("mozilla-services__minidump-stackwalk/pgo_data__minidumps__windows-x86.dmp.DECOMPRESSED.dmp");
    if (t) {
        CHECK(proc_read_peb(t, true, &p, &err) == COR_OK);
        CHECK_STR(p.image_path, "C:\\Program Files (x86)\\Nightly\\firefox.exe");
        CHECK_STR(p.command_line, "\"C:\\Program Files (x86)\\Nightly\\firefox.exe\" -first-startup");
        CHECK_EQ_U(p.ptr_size, 4);
        CHECK(p.os_build == 19041);
        proc_peb_free(&p);
        CHECK(proc_read_teb(t, 0, false, &teb, &err) == COR_OK);
        CHECK_EQ_U(teb.client_tid, md_thread_at(t->dump, 0)->tid);
        CHECK_EQ_U(teb.ptr_size, 4);
        target_close(t);
    }

    /* A dump without process memory says so instead of inventing a PEB. */
    t = open_corpus("google__breakpad/src__processor__testdata__minidump2.dmp");
    if (t) {
        CHECK(proc_read_peb(t, true, &p, &err) == COR_FAIL);
        CHECK(strstr(err.msg, "not in the dump") != NULL);
        target_close(t);
    }
    TEST_DONE();
}
