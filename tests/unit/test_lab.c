/* The dump layer on the lab's own dumps (tests/lab): facts known by
 * construction, written by each scenario into NAME.facts before it was
 * dumped. Skips (77) when the lab has not been built, unless
 * COR_LAB_REQUIRED is set, as `make check` does. */
#include <strings.h>
#include <unistd.h>

#include "core/cursor.h"

#include "dump/context.h"
#include "process/environment.h"
#include "test.h"

typedef struct facts {
    char *keys[512], *vals[512];
    size_t n;
} facts;

static bool load_facts(const char *path, facts *f)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return false;
    char line[4096];
    f->n = 0;
    while (fgets(line, sizeof line, fp) && f->n < 512) {
        line[strcspn(line, "\r\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq) continue;
        *eq = 0;
        f->keys[f->n] = strdup(line);
        f->vals[f->n++] = strdup(eq + 1);
    }
    fclose(fp);
    return true;
}

static const char *fact(const facts *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0) return f->vals[i];
    return NULL;
}

static void free_facts(facts *f)
{
    for (size_t i = 0; i < f->n; i++) { free(f->keys[i]); free(f->vals[i]); }
    f->n = 0;
}

static cor_target *open_lab(const char *name, facts *f)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.facts", getenv("COR_LAB"), name);
    CHECK(load_facts(path, f));
    snprintf(path, sizeof path, "%s/%s.dmp", getenv("COR_LAB"), name);
    cor_target *t = NULL;
    cor_err err;
    if (target_open(path, &t, &err) != COR_OK) fprintf(stderr, "%s: %s\n", path, err.msg);
    CHECK(t != NULL);
    return t;
}

/* Every thread role named in the facts is a thread of the dump, with the
 * name the scenario gave it. */
static void check_threads(cor_target *t, const facts *f)
{
    size_t roles = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (strncmp(f->keys[i], "tid.", 4) != 0) continue;
        uint32_t tid = (uint32_t)strtoul(f->vals[i], NULL, 0);
        const md_thread *th = md_thread_by_tid(t->dump, tid);
        CHECK(th != NULL);
        char key[256];
        snprintf(key, sizeof key, "thread_name.%s", f->keys[i] + 4);
        const char *name = fact(f, key);
        if (th && name) CHECK_STR(th->name, name);
        roles++;
    }
    CHECK(roles > 0);
    const char *pid = fact(f, "pid");
    const md_misc_info *mi = md_get_misc_info(t->dump);
    CHECK(mi && pid && mi->pid == strtoul(pid, NULL, 0));
    CHECK_EQ_U(t->arch, MD_ARCH_AMD64);
    CHECK_EQ_U(md_module_at(t->dump, 0)->base, strtoull(fact(f, "image_base"), NULL, 0));
    CHECK(strcasecmp(md_module_at(t->dump, 0)->name, fact(f, "exe")) == 0);
    /* Every thread's TEB names its own thread. */
    for (size_t i = 0; i < md_thread_count(t->dump); i++) {
        proc_teb teb;
        cor_err err;
        CHECK(proc_read_teb(t, i, false, &teb, &err) == COR_OK);
        CHECK_EQ_U(teb.client_tid, md_thread_at(t->dump, i)->tid);
    }
}

int main(void)
{
    if (!getenv("COR_LAB") || access(getenv("COR_LAB"), R_OK) != 0) {
        fprintf(stderr, "lab dumps not built (tests/lab/build-lab.sh)\n");
        return getenv("COR_LAB_REQUIRED") ? 1 : 77;
    }
    facts f;
    cor_err err;

    cor_target *t = open_lab("crash_av", &f);
    if (t) {
        check_threads(t, &f);
        const md_exception *x = md_get_exception(t->dump);
        CHECK(x != NULL);
        if (x) {
            CHECK_EQ_U(x->code, strtoul(fact(&f, "exception.code"), NULL, 0));
            CHECK_EQ_U(x->tid, strtoul(fact(&f, "exception.tid"), NULL, 0));
            CHECK_EQ_U(x->params[0], strtoul(fact(&f, "exception.info0"), NULL, 0));
            CHECK_EQ_U(x->params[1], strtoull(fact(&f, "exception.target"), NULL, 0));
            md_context c;
            CHECK(md_context_read(t->dump, x->context, t->arch, &c, &err) == COR_OK);
            CHECK_EQ_U(c.ip, x->address);
        }
        target_close(t);
    }
    free_facts(&f);

    t = open_lab("stack_overflow", &f);
    if (t) {
        check_threads(t, &f);
        const md_exception *x = md_get_exception(t->dump);
        CHECK(x && x->code == 0xC00000FD);
        target_close(t);
    }
    free_facts(&f);

    t = open_lab("hang_locks", &f);
    if (t) {
        check_threads(t, &f);
        CHECK(md_get_exception(t->dump) == NULL);
        /* The named event is in the handle table, by its name and type. */
        const md_handle *h;
        size_t nh, found = 0;
        CHECK(md_handles(t->dump, &h, &nh, &err) == COR_OK);
        const char *ev = fact(&f, "event.name");
        uint64_t evh = strtoull(fact(&f, "event.handle"), NULL, 0);
        for (size_t i = 0; i < nh; i++)
            if (h[i].handle == evh && h[i].object_name && strstr(h[i].object_name, strchr(ev, '\\') + 1) &&
                h[i].type_name && strcmp(h[i].type_name, "Event") == 0)
                found++;
        CHECK_EQ_U(found, 1);
        /* The critical sections live in the image's data, captured in full memory. */
        uint8_t cs[40];
        CHECK(as_read(t->as, strtoull(fact(&f, "cs.cs1"), NULL, 0), cs, sizeof cs, &err) == COR_OK);
        /* CRITICAL_SECTION.OwningThread (offset 16 on x64) is the owner's TID. */
        CHECK_EQ_U(le64(cs + 16), strtoul(fact(&f, "cs.cs1.owner"), NULL, 0));
        target_close(t);
    }
    free_facts(&f);

    const char *w3[] = { "w3wp_hang", "w3wp_hang_mp" };
    for (int k = 0; k < 2; k++) {
        t = open_lab(w3[k], &f);
        if (!t) continue;
        check_threads(t, &f);
        CHECK_EQ_U(md_thread_count(t->dump), strtoul(fact(&f, "threads.lab"), NULL, 0));
        proc_peb p;
        CHECK(proc_read_peb(t, true, &p, &err) == COR_OK);
        CHECK_STR(p.command_line, fact(&f, "cmdline"));
        CHECK(p.command_line && strstr(p.command_line, "-ap \"CoronerPool\""));
        proc_peb_free(&p);
        /* The IIS engine and thread pool modules sit where the worker saw them. */
        const md_module *m = md_module_by_addr(t->dump, strtoull(fact(&f, "module.engine.base"), NULL, 0));
        CHECK(m && strcasecmp(m->name, fact(&f, "module.engine")) == 0);
        target_close(t);
        free_facts(&f);
    }
    TEST_DONE();
}
