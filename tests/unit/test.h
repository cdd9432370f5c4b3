/* A minimal test harness: CHECK records a failure and goes on; a test
 * program returns non-zero when any check failed. Tests needing the corpus
 * find it through the COR_CORPUS environment variable set by meson. */
#ifndef COR_TEST_H
#define COR_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        test_checks++;                                                                       \
        if (!(cond)) {                                                                       \
            test_failures++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);         \
        }                                                                                    \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                     \
    do {                                                                                     \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);       \
        test_checks++;                                                                       \
        if (a_ != b_) {                                                                      \
            test_failures++;                                                                 \
            fprintf(stderr, "%s:%d: %s == %s failed: 0x%llx != 0x%llx\n", __FILE__, __LINE__, \
                    #a, #b, a_, b_);                                                         \
        }                                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                                      \
    do {                                                                                     \
        const char *a_ = (a), *b_ = (b);                                                     \
        test_checks++;                                                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                             \
            test_failures++;                                                                 \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                         \
        }                                                                                    \
    } while (0)

#define TEST_DONE()                                                                          \
    do {                                                                                     \
        fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);               \
        return test_failures ? 1 : 0;                                                        \
    } while (0)

/* Path of a corpus file, "owner__repo/file"; static buffer, one at a time. */
static inline const char *corpus_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("COR_CORPUS");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "../shared/corpus", rel);
    return buf;
}

#endif
