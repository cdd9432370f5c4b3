/* MSVC decorated names whose meaning the decoration scheme fixes. */
#include "sym/msvc_demangle.h"
#include "test.h"

static void ok(const char *dec, const char *want)
{
    char out[256] = "";
    CHECK(msvc_demangle_name(dec, out, sizeof out));
    CHECK_STR(out, want);
}

static void no(const char *dec)
{
    char out[64] = "unchanged";
    CHECK(!msvc_demangle_name(dec, out, sizeof out));
    CHECK_STR(out, "unchanged");
}

int main(void)
{
    ok("?Run@Worker@app@@QEAAXH@Z", "app::Worker::Run");
    ok("?main@@YAHHPEAPEAD@Z", "main");
    ok("??0Worker@app@@QEAA@XZ", "app::Worker::Worker");
    ok("??1Worker@app@@UEAA@XZ", "app::Worker::~Worker");
    ok("??_7Worker@app@@6B@", "app::Worker::`vftable'");
    ok("??_GWorker@@UEAAPEAXI@Z", "Worker::`scalar deleting destructor'");
    ok("??2@YAPEAX_K@Z", "operator new");
    ok("?CrashFunction@?A0x1a2b3c4d@@YAXXZ", "`anonymous namespace'::CrashFunction");
    ok("?g_count@@3HA", "g_count");
    /* A back-reference: the second scope repeats the first name seen. */
    ok("?f@x@0@@YAXXZ", "f::x::f");
    no("CreateFileW");
    no("_main");
    no("?$vector@H@std@@");
    no("??$make_shared@H@std@@YA?AV?$shared_ptr@H@0@XZ");
    no("?");
    no("?@");
    TEST_DONE();
}
