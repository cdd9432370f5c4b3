/* The analysis summary on corpus dumps whose facts are known (Breakpad's
 * minidump_dump output for minidump2.dmp; electron's fixture). */
#include "analysis/analyze.h"
#include "test.h"

int main(void)
{
    cor_target *t;
    cor_err err;
    an_summary s;
    CHECK(target_open(corpus_path("google__breakpad/src__processor__testdata__minidump2.dmp"), &t, &err) == COR_OK);
    if (t) {
        CHECK(an_summarize(t, &s, &err) == COR_OK);
        CHECK_STR(s.kind, "crash");
        CHECK_STR(s.os_name, "Windows XP");
        CHECK_STR(s.service_pack, "Service Pack 2");
        CHECK_STR(s.process_name, "test_app.exe");
        CHECK(s.has_pid && s.pid == 3932);
        CHECK(s.exception.code == 0xc0000005 && s.exception.tid == 3060 && s.exception.thread_index == 0);
        CHECK_STR(s.exception.module, "test_app.exe");
        CHECK_EQ_U(s.exception.module_offset, 0x429e);
        CHECK_STR(s.exception.description, "Attempt to write to address 00000045");
        CHECK(s.nfindings >= 1 && s.findings[0].severity == AN_SEV_ERROR);
        CHECK(s.command_line == NULL); /* this minidump holds no PEB */
        an_summary_free(&s);
        target_close(t);
    }
    CHECK(target_open(corpus_path("electron__node-minidump/test__fixtures__windows.dmp"), &t, &err) == COR_OK);
    if (t) {
        CHECK(an_summarize(t, &s, &err) == COR_OK);
        CHECK_STR(s.os_name, "Windows 10");
        CHECK_STR(s.arch, "AMD64");
        CHECK(s.command_line && strstr(s.command_line, "--type=renderer"));
        CHECK(s.has_times && s.uptime_seconds == 8);
        CHECK_STR(s.build_string, "10.0.14393.0 (rs1_release.160715-1616)");
        an_summary_free(&s);
        target_close(t);
    }
    /* A dump without an exception is reported as a hang with an info finding. */
    CHECK(target_open(corpus_path("google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp"), &t,
                      &err) == COR_OK);
    if (t) {
        CHECK(an_summarize(t, &s, &err) == COR_OK);
        CHECK_STR(s.kind, "hang");
        CHECK_STR(s.os_name, "Windows 11");
        /* Nothing wrong to report: only information (no exception record,
         * what the threads are doing). */
        bool no_exception = false;
        for (size_t i = 0; i < s.nfindings; i++) {
            CHECK(s.findings[i].severity == AN_SEV_INFO);
            no_exception |= strncmp(s.findings[i].title, "No exception record", 19) == 0;
        }
        CHECK(no_exception);
        an_summary_free(&s);
        target_close(t);
    }
    TEST_DONE();
}
