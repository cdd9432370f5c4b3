/* The dump layer against the real minidumps in the corpus: every Windows
 * dump listed in MANIFEST.tsv opens, and its thread count, module count,
 * main module, exception and OS version agree with the manifest's notes;
 * the deliberately broken ones are refused with a message. */
#include <ctype.h>
#include <unistd.h>

#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"
#include "synth_dump.h"
#include "test.h"

/* Value after "key=" in a manifest note, up to ';' or ' ' (static buffer). */
static const char *note_val(const char *note, const char *key)
{
    static char buf[256];
    char pat[64];
    snprintf(pat, sizeof pat, "%s=", key);
    const char *p = note;
    while ((p = strstr(p, pat))) {
        if (p == note || p[-1] == ' ' || p[-1] == ';') break;
        p++;
    }
    if (!p) return NULL;
    p += strlen(pat);
    size_t n = 0;
    while (p[n] && p[n] != ';' && p[n] != ' ' && n < sizeof buf - 1) n++;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static bool is_broken(const char *note, const char *file)
{
    return strstr(note, "malformed") || strstr(note, "fuzz") || strstr(note, "robustness") ||
           strstr(file, "bad_duplicate") || strstr(file, "bad_overlapping");
}

static void check_dump(const char *path, const char *file, const char *note)
{
    md_dump *d;
    cor_err err = { "" };
    int rc = md_open(path, &d, &err);
    if (is_broken(note, file)) {
        /* Broken files must be refused with a message, or (when the damage
         * is in a stream we do not need) read without harm. */
        if (rc == COR_OK) md_close(d);
        else CHECK(err.msg[0] != 0);
        return;
    }
    if (rc != COR_OK) {
        fprintf(stderr, "%s: %s\n", file, err.msg);
        CHECK(rc == COR_OK);
        return;
    }
    const char *v;
    if ((v = note_val(note, "threads")) && isdigit((unsigned char)v[0])) CHECK_EQ_U(md_thread_count(d), atoi(v));
    if ((v = note_val(note, "modules")) && isdigit((unsigned char)v[0]) && !strstr(note, "naive parse"))
        CHECK_EQ_U(md_module_count(d), atoi(v));
    /* LLDB's hand-made module dumps are padded; the manifest's note came from
     * a parser that ignored the padding, so its "main" is not a fact. */
    if ((v = note_val(note, "main")) && md_module_count(d) && !strstr(note, "hand-made"))
        CHECK_STR(md_module_at(d, 0)->name, v);
    /* "modules: a.exe,ntdll.dll,...,+11 more;" lists the first names in order. */
    const char *ml = strstr(note, "modules: ");
    if (ml && !strstr(note, "hand-made")) {
        ml += 9;
        size_t k = 0;
        while (*ml && *ml != ';' && *ml != '+') {
            size_t n = strcspn(ml, ",;");
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(n < 255 ? n : 255), ml);
            const md_module *m = md_module_at(d, k++);
            CHECK(m != NULL);
            if (m) CHECK_STR(m->name, name);
            ml += n;
            if (*ml == ',') ml++;
        }
        CHECK(k > 0);
    }
    const md_exception *x = md_get_exception(d);
    if ((v = note_val(note, "tid")) && strstr(note, "exc tid=")) {
        CHECK(x != NULL);
        if (x) {
            CHECK_EQ_U(x->tid, strtoul(v, NULL, 10));
            CHECK_EQ_U(x->code, strtoul(note_val(note, "code"), NULL, 16));
            CHECK_EQ_U(x->address, strtoull(note_val(note, "addr"), NULL, 16));
        }
    }
    /* "WinNT 6.1.7600" names the OS version SystemInfo carries. */
    const char *os = strstr(note, "WinNT ");
    if (os) {
        unsigned maj, min, build;
        if (sscanf(os, "WinNT %u.%u.%u", &maj, &min, &build) == 3) {
            const md_system_info *si = md_get_system_info(d);
            CHECK(si != NULL);
            if (si) {
                CHECK_EQ_U(si->major, maj);
                CHECK_EQ_U(si->minor, min);
                CHECK_EQ_U(si->build, build);
                CHECK_EQ_U(si->platform, 2); /* VER_PLATFORM_WIN32_NT */
            }
        }
    }
    if (strstr(note, "; x86;")) CHECK_EQ_U(md_dump_arch(d), MD_ARCH_X86);
    if (strstr(note, "; AMD64;")) CHECK_EQ_U(md_dump_arch(d), MD_ARCH_AMD64);
    if (strstr(note, "; ARM64;")) CHECK_EQ_U(md_dump_arch(d), MD_ARCH_ARM64);

    /* Every thread of a Windows dump has a decodable context whose stack
     * pointer lies in (or next to) its captured stack. */
    if (os) {
        for (size_t i = 0; i < md_thread_count(d); i++) {
            const md_thread *t = md_thread_at(d, i);
            md_context c;
            CHECK(md_context_read(d, t->context, md_dump_arch(d), &c, &err) == COR_OK);
        }
    }
    md_close(d);
}

static void manifest_tests(void)
{
    FILE *f = fopen(corpus_path("MANIFEST.tsv"), "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[65536];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char *cols[7] = { 0 };
        char *p = line;
        for (int i = 0; i < 7 && p; i++) {
            cols[i] = p;
            p = strchr(p, '\t');
            if (p) *p++ = 0;
        }
        if (!cols[6] || strcmp(cols[5], "minidump") != 0) continue;
        cols[6][strcspn(cols[6], "\n")] = 0;
        if (strstr(cols[0], ".xz")) {
            /* Compressed as the repository ships it: check the decompressed
             * bytes, unless a DECOMPRESSED copy is listed as well. */
            char dec[1024];
            snprintf(dec, sizeof dec, "%s", cols[0]);
            *strstr(dec, ".xz") = 0;
            strcat(dec, ".DECOMPRESSED.dmp");
            if (access(corpus_path(dec), R_OK) == 0) continue;
            char tmp[] = "/tmp/coroner-test-XXXXXX";
            int fd = mkstemp(tmp);
            CHECK(fd >= 0);
            if (fd < 0) continue;
            close(fd);
            char cmd[8192];
            snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s'", corpus_path(cols[0]), tmp);
            CHECK(system(cmd) == 0);
            check_dump(tmp, cols[0], cols[6]);
            unlink(tmp);
            n++;
            continue;
        }
        check_dump(corpus_path(cols[0]), cols[0], cols[6]);
        n++;
    }
    fclose(f);
    CHECK(n >= 45);
}

/* minidump2.dmp against Breakpad's minidump2.dump.out (minidump_dump). */
static void minidump2_tests(void)
{
    md_dump *d;
    cor_err err;
    CHECK(md_open(corpus_path("google__breakpad/src__processor__testdata__minidump2.dmp"), &d, &err) == COR_OK);
    if (!d) return;
    CHECK_EQ_U(md_thread_count(d), 2);
    const md_thread *t0 = md_thread_at(d, 0);
    CHECK_EQ_U(t0->tid, 0xbf4);
    CHECK_EQ_U(t0->teb, 0x7ffdf000);
    CHECK_EQ_U(t0->stack_start, 0x12f31c);
    CHECK_EQ_U(t0->stack.size, 0xce4);
    const md_module *m = md_module_at(d, 0);
    CHECK_EQ_U(m->base, 0x400000);
    CHECK_EQ_U(m->size, 0x2d000);
    CHECK_EQ_U(m->timestamp, 0x45d35f6c);
    CHECK_STR(m->path, "c:\\test_app.exe");
    CHECK_STR(m->name, "test_app.exe");
    char id[48];
    CHECK_STR(md_codeview_id(&m->cv, id), "5A9832E5287241C1838ED98914E9B7FF1");
    CHECK_STR(m->cv.pdb_path, "c:\\test_app.pdb");
    const md_module *k = md_module_by_addr(d, 0x7c801234);
    CHECK(k && strcmp(k->name, "kernel32.dll") == 0);
    CHECK(md_module_by_addr(d, 0x10) == NULL);
    const md_exception *x = md_get_exception(d);
    CHECK(x && x->code == 0xc0000005 && x->address == 0x40429e && x->nparams == 2);
    CHECK(x && x->params[0] == 1 && x->params[1] == 0x45); /* a write to 0x45 */
    const md_system_info *si = md_get_system_info(d);
    CHECK(si && si->nprocs == 1 && si->product_type == 1);
    CHECK_STR(si->csd_version, "Service Pack 2");
    CHECK_STR(si->vendor, "GenuineIntel");
    const md_misc_info *mi = md_get_misc_info(d);
    CHECK(mi && mi->pid == 3932 && mi->flags == 3 && mi->create_time == 0x45d35f73 && mi->version == 1);
    /* Exception context: eip is the faulting address. */
    md_context c;
    CHECK(md_context_read(d, x->context, MD_ARCH_X86, &c, &err) == COR_OK);
    CHECK_EQ_U(c.ip, 0x40429e);
    CHECK_EQ_U(c.sp, 0x12fe84);
    CHECK_EQ_U(c.gpr[REG_RBP], 0x12fe88);

    /* Address space: a read inside the first thread's stack, one across its
     * end fails and names the first missing address. */
    as_space *as;
    CHECK(as_open(d, &as, &err) == COR_OK);
    uint32_t v;
    CHECK(as_read_u32(as, 0x12fe84, &v) == COR_OK);
    uint8_t buf[16];
    CHECK(as_read(as, 0x12f31c + 0xce4 - 8, buf, 16, &err) == COR_FAIL);
    CHECK_STR(err.msg, "memory at 0x130000 is not in the dump");
    CHECK_EQ_U(as_read_partial(as, 0x12f31c + 0xce4 - 8, buf, 16), 8);
    as_close(as);
    md_close(d);
}

/* Padded list variants read the same as unpadded ones (LLDB's inputs). */
static void padding_tests(void)
{
    const char *pairs[][2] = {
        { "thread-list-padded", "thread-list-not-padded" },
        { "module-list-padded", "module-list-not-padded" },
        { "memory-list-padded", "memory-list-not-padded" },
    };
    for (size_t i = 0; i < 3; i++) {
        md_dump *a, *b;
        cor_err err;
        char pa[256], pb[256];
        snprintf(pa, sizeof pa, "llvm-mirror__lldb/unittests__Process__minidump__Inputs__%s.dmp", pairs[i][0]);
        snprintf(pb, sizeof pb, "llvm-mirror__lldb/unittests__Process__minidump__Inputs__%s.dmp", pairs[i][1]);
        CHECK(md_open(corpus_path(pa), &a, &err) == COR_OK);
        CHECK(md_open(corpus_path(pb), &b, &err) == COR_OK);
        if (!a || !b) continue;
        CHECK_EQ_U(md_thread_count(a), md_thread_count(b));
        CHECK_EQ_U(md_module_count(a), md_module_count(b));
        CHECK_EQ_U(md_range_count(a), md_range_count(b));
        for (size_t k = 0; k < md_thread_count(a); k++)
            CHECK_EQ_U(md_thread_at(a, k)->tid, md_thread_at(b, k)->tid);
        for (size_t k = 0; k < md_module_count(a); k++) {
            CHECK_EQ_U(md_module_at(a, k)->base, md_module_at(b, k)->base);
            CHECK_STR(md_module_at(a, k)->name, md_module_at(b, k)->name);
        }
        for (size_t k = 0; k < md_range_count(a); k++)
            CHECK_EQ_U(md_range_at(a, k)->start, md_range_at(b, k)->start);
        md_close(a);
        md_close(b);
    }
}

/* Streams that only real Windows dumps carry. */
static void windows_streams_tests(void)
{
    md_dump *d;
    cor_err err;
    CHECK(md_open(corpus_path("google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp"), &d, &err) ==
          COR_OK);
    if (d) {
        const md_handle *h;
        size_t nh;
        CHECK(md_handles(d, &h, &nh, &err) == COR_OK);
        CHECK(nh > 0);
        size_t typed = 0;
        for (size_t i = 0; i < nh; i++) typed += h[i].type_name && strcmp(h[i].type_name, "File") == 0;
        CHECK(typed > 0);
        const md_memory_info *mi;
        size_t nm;
        CHECK(md_memory_infos(d, &mi, &nm, &err) == COR_OK);
        CHECK(nm > 0);
        /* Regions are sorted and do not overlap. */
        for (size_t i = 1; i < nm; i++) CHECK(mi[i].base >= mi[i - 1].base + mi[i - 1].region_size);
        CHECK(md_unloaded_count(d) > 0 || md_find_stream(d, MD_STREAM_UNLOADED_MODULE_LIST) != NULL);
        md_close(d);
    }
    CHECK(md_open(corpus_path("llvm-mirror__lldb/packages__Python__lldbsuite__test__functionalities__postmortem__minidump__fizzbuzz_no_heap.dmp"),
                  &d, &err) == COR_OK);
    if (d) {
        const md_thread_info *ti;
        size_t n;
        CHECK(md_thread_infos(d, &ti, &n, &err) == COR_OK);
        CHECK_EQ_U(n, 1);
        CHECK(n && ti[0].tid == md_thread_at(d, 0)->tid);
        md_close(d);
    }
    CHECK(md_open(corpus_path("google__breakpad/src__processor__testdata__thread_name_list.dmp"), &d, &err) == COR_OK);
    if (d) {
        size_t named = 0;
        for (size_t i = 0; i < md_thread_count(d); i++) named += md_thread_at(d, i)->name != NULL;
        CHECK(named > 0);
        const md_vm_counters *vm = md_get_vm_counters(d);
        CHECK(vm && vm->working_set > 0 && vm->peak_working_set >= vm->working_set);
        const md_system_memory *sm = md_get_system_memory(d);
        CHECK(sm && sm->page_size == 4096 && sm->allocation_granularity == 0x10000);
        CHECK(sm && sm->processors == md_get_system_info(d)->nprocs);
        CHECK(sm && sm->max_user_address > sm->min_user_address);
        md_close(d);
    }
    CHECK(md_open(corpus_path("radareorg__radare2-testbins/mdmp__calc.dmp"), &d, &err) == COR_OK);
    if (d) {
        const md_token *tk;
        size_t n;
        CHECK(md_tokens(d, &tk, &n, &err) == COR_OK);
        CHECK(n > 0);
        md_close(d);
    }
    CHECK(md_open(corpus_path("electron__node-minidump/test__fixtures__windows.dmp"), &d, &err) == COR_OK);
    if (d) {
        const md_function_table *ft;
        size_t n;
        CHECK(md_function_tables(d, &ft, &n, &err) == COR_OK);
        CHECK(n > 0);
        CHECK_EQ_U(n, 1);
        CHECK(n && ft[0].min_address == 0x1fcaa00000 && ft[0].max_address == 0x1feaa00000);
        CHECK(n && ft[0].entry_count == 1 && ft[0].entries.size == 12);
        md_close(d);
    }
}

/* Truncating a real dump anywhere gives an error or a consistent dump,
 * never a crash (the suite also runs under ASan/UBSan). */
static void truncation_tests(void)
{
    FILE *f = fopen(corpus_path("google__breakpad/src__processor__testdata__tiny-exe-with-cet-xsave.dmp"), "rb");
    CHECK(f != NULL);
    if (!f) return;
    static uint8_t buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    size_t refused = 0;
    for (size_t len = 0; len < n; len += (len < 4096 ? 7 : 997)) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, buf, len);
        md_dump *d;
        cor_err err;
        if (md_open_mem(copy, len, &d, &err) == COR_OK) {
            const md_handle *h; const md_memory_info *mi; size_t k;
            md_handles(d, &h, &k, &err);
            md_memory_infos(d, &mi, &k, &err);
            md_close(d);
        } else {
            refused++;
            CHECK(err.msg[0] != 0);
        }
        free(copy);
    }
    CHECK(refused > 0);
    /* Bit flips: every byte of the header and directory, one at a time. */
    for (size_t i = 0; i < 512 && i < n; i++) {
        uint8_t *copy = malloc(n);
        memcpy(copy, buf, n);
        copy[i] ^= (uint8_t)(0x80 >> (i % 8));
        md_dump *d;
        cor_err err;
        if (md_open_mem(copy, n, &d, &err) == COR_OK) md_close(d);
        free(copy);
    }
}

/* An empty ThreadList beside a ThreadExList: ThreadList wins, with no
 * threads, and the ThreadExList is not parsed over it (fuzz_unwind found
 * the first list leaked when it was; ASan's leak check sees it again). */
static void thread_list_precedence_tests(void)
{
    synth s;
    synth_begin(&s, 2);
    uint8_t empty[4] = { 0 };
    uint32_t r1 = synth_put(&s, empty, sizeof empty);
    synth_stream(&s, 3, r1, sizeof empty);   /* ThreadListStream, 0 threads */
    uint8_t ex[4 + 64] = { 0 };
    synth_w32(ex, 1);
    synth_w32(ex + 4, 0x1234);
    uint32_t r2 = synth_put(&s, ex, sizeof ex);
    synth_stream(&s, 8, r2, sizeof ex);      /* ThreadExListStream, 1 thread */
    md_dump *d;
    cor_err err;
    CHECK(md_open_mem(s.buf, s.len, &d, &err) == COR_OK);
    if (d) {
        CHECK_EQ_U(md_thread_count(d), 0);
        md_close(d);
    }
    free(s.buf);
}

/* Lookups by thread id go through sorted indexes (a scan per thread was
 * quadratic): with ids repeated, each still finds the first entry in list
 * order, and a ThreadNames entry names every thread with its id. */
static void thread_lookup_tests(void)
{
    static const uint32_t tids[] = { 5, 3, 5, 9, 3 };
    enum { NT = sizeof tids / sizeof tids[0] };
    synth s;
    synth_begin(&s, 3);
    uint8_t tl[4 + 48 * NT] = { 0 };
    synth_w32(tl, NT);
    for (int i = 0; i < NT; i++) synth_w32(tl + 4 + 48 * i, tids[i]);
    uint32_t r = synth_put(&s, tl, sizeof tl);
    synth_stream(&s, 3, r, sizeof tl); /* ThreadListStream */
    uint32_t five = synth_string(&s, "five"), three = synth_string(&s, "three"), seven = synth_string(&s, "seven");
    uint8_t names[4 + 12 * 3] = { 0 };
    synth_w32(names, 3);
    const uint32_t named[3][2] = { { 5, five }, { 3, three }, { 7, seven } };
    for (int i = 0; i < 3; i++) {
        synth_w32(names + 4 + 12 * i, named[i][0]);
        synth_w64(names + 8 + 12 * i, named[i][1]);
    }
    r = synth_put(&s, names, sizeof names);
    synth_stream(&s, 24, r, sizeof names); /* ThreadNamesStream */
    /* ThreadInfoList: ids 9, 5, 5; DumpFlags tells the entries apart. */
    uint8_t ti[12 + 64 * 3] = { 0 };
    synth_w32(ti, 12);
    synth_w32(ti + 4, 64);
    synth_w32(ti + 8, 3);
    const uint32_t info_tids[3] = { 9, 5, 5 };
    for (int i = 0; i < 3; i++) {
        synth_w32(ti + 12 + 64 * i, info_tids[i]);
        synth_w32(ti + 16 + 64 * i, 100 + (uint32_t)i);
    }
    r = synth_put(&s, ti, sizeof ti);
    synth_stream(&s, 17, r, sizeof ti); /* ThreadInfoListStream */
    md_dump *d;
    cor_err err;
    CHECK(md_open_mem(s.buf, s.len, &d, &err) == COR_OK);
    if (d) {
        CHECK_EQ_U(md_thread_index_by_tid(d, 5), 0);
        CHECK_EQ_U(md_thread_index_by_tid(d, 3), 1);
        CHECK_EQ_U(md_thread_index_by_tid(d, 9), 3);
        CHECK_EQ_U(md_thread_index_by_tid(d, 7), (size_t)-1);
        CHECK(md_thread_by_tid(d, 9) == md_thread_at(d, 3));
        CHECK(md_thread_by_tid(d, 4) == NULL);
        CHECK_STR(md_thread_at(d, 0)->name, "five");
        CHECK_STR(md_thread_at(d, 2)->name, "five");
        CHECK_STR(md_thread_at(d, 1)->name, "three");
        CHECK_STR(md_thread_at(d, 4)->name, "three");
        CHECK(md_thread_at(d, 3)->name == NULL);
        const md_thread_info *info = md_thread_info_by_tid(d, 5);
        CHECK(info && info->dump_flags == 101);
        info = md_thread_info_by_tid(d, 9);
        CHECK(info && info->dump_flags == 100);
        CHECK(md_thread_info_by_tid(d, 3) == NULL);
        md_close(d);
    }
    free(s.buf);
}

int main(void)
{
    thread_list_precedence_tests();
    thread_lookup_tests();
    manifest_tests();
    minidump2_tests();
    padding_tests();
    windows_streams_tests();
    truncation_tests();
    TEST_DONE();
}
