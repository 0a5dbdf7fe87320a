/* SPDX-License-Identifier: Apache-2.0 */
/* tests/main.c - runs every registered test (or those whose name or file contains argv[1]) in
 * registration order and ends with "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>

#include "test.h"

struct test {
    const char *name;
    const char *file;
    gk_test_fn fn;
    size_t seq;
};

static struct test *tests;
static size_t ntests;
static size_t cap;
static int current_failures;

void gk_test_register(const char *name, const char *file, gk_test_fn fn)
{
    if (ntests == cap) {
        cap = cap ? cap * 2 : 256;
        tests = realloc(tests, cap * sizeof(*tests));
        if (!tests)
            abort();
    }
    tests[ntests] = (struct test){name, file, fn, ntests};
    ntests++;
}

void gk_test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    current_failures++;
}

static int by_file(const void *x, const void *y)
{
    const struct test *a = x;
    const struct test *b = y;
    int c = strcmp(a->file, b->file);
    if (c)
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    size_t passed = 0;
    size_t failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    qsort(tests, ntests, sizeof(*tests), by_file);
    for (size_t i = 0; i < ntests; i++) {
        struct test *t = &tests[i];
        if (filter && !strstr(t->name, filter) && !strstr(t->file, filter))
            continue;
        current_failures = 0;
        t->fn();
        if (current_failures) {
            failed++;
            printf("FAIL %s (%s)\n", t->name, t->file);
        } else {
            passed++;
            printf("ok   %s\n", t->name);
        }
    }
    free(tests);
    printf("%zu passed, %zu failed\n", passed, failed);
    return failed ? 1 : 0;
}
