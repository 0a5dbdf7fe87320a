/* SPDX-License-Identifier: Apache-2.0 */
/* tests/test.h - the tiny test runner: TEST(name) registers a function; EXPECT_* record a failure
 * and go on, ASSERT_* record it and return from the test. Asserts print both sides (libuv ASSERT_EQ).
 * The runner (tests/main.c) ends with "N passed, N failed". */
#ifndef GK_TESTS_TEST_H
#define GK_TESTS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*gk_test_fn)(void);
void gk_test_register(const char *name, const char *file, gk_test_fn fn);
void gk_test_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define TEST(name)                                                                                 \
    static void name(void);                                                                        \
    __attribute__((constructor)) static void name##_register(void)                                 \
    {                                                                                              \
        gk_test_register(#name, __FILE__, name);                                                   \
    }                                                                                              \
    static void name(void)

#define GK__CHECK_INT(a, op, b, on_fail)                                                           \
    do {                                                                                           \
        intmax_t a_ = (intmax_t)(a);                                                               \
        intmax_t b_ = (intmax_t)(b);                                                               \
        if (!(a_ op b_)) {                                                                         \
            gk_test_fail(__FILE__, __LINE__, "%s %s %s: %jd vs %jd", #a, #op, #b, a_, b_);          \
            on_fail;                                                                               \
        }                                                                                          \
    } while (0)

#define GK__CHECK_STR(a, b, eq, on_fail)                                                           \
    do {                                                                                           \
        const char *a_ = (a);                                                                      \
        const char *b_ = (b);                                                                      \
        int same_ = (a_ && b_) ? strcmp(a_, b_) == 0 : a_ == b_;                                   \
        if (same_ != (eq)) {                                                                       \
            gk_test_fail(__FILE__, __LINE__, "%s %s %s: \"%s\" vs \"%s\"", #a, (eq) ? "==" : "!=", \
                         #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");                              \
            on_fail;                                                                               \
        }                                                                                          \
    } while (0)

#define GK__CHECK_TRUE(c, on_fail)                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            gk_test_fail(__FILE__, __LINE__, "expected true: %s", #c);                             \
            on_fail;                                                                               \
        }                                                                                          \
    } while (0)

#define EXPECT_EQ(a, b)     GK__CHECK_INT(a, ==, b, (void)0)
#define EXPECT_NE(a, b)     GK__CHECK_INT(a, !=, b, (void)0)
#define EXPECT_LT(a, b)     GK__CHECK_INT(a, <, b, (void)0)
#define EXPECT_LE(a, b)     GK__CHECK_INT(a, <=, b, (void)0)
#define EXPECT_GT(a, b)     GK__CHECK_INT(a, >, b, (void)0)
#define EXPECT_GE(a, b)     GK__CHECK_INT(a, >=, b, (void)0)
#define EXPECT_STREQ(a, b)  GK__CHECK_STR(a, b, 1, (void)0)
#define EXPECT_STRNE(a, b)  GK__CHECK_STR(a, b, 0, (void)0)
#define EXPECT_TRUE(c)      GK__CHECK_TRUE(c, (void)0)
#define EXPECT_FALSE(c)     GK__CHECK_TRUE(!(c), (void)0)
#define ASSERT_EQ(a, b)     GK__CHECK_INT(a, ==, b, return)
#define ASSERT_NE(a, b)     GK__CHECK_INT(a, !=, b, return)
#define ASSERT_GE(a, b)     GK__CHECK_INT(a, >=, b, return)
#define ASSERT_STREQ(a, b)  GK__CHECK_STR(a, b, 1, return)
#define ASSERT_TRUE(c)      GK__CHECK_TRUE(c, return)
#define ASSERT_FALSE(c)     GK__CHECK_TRUE(!(c), return)

/* Substring check, for messages. */
#define EXPECT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay);                                                                    \
        const char *n_ = (needle);                                                                 \
        if (!h_ || !strstr(h_, n_))                                                                \
            gk_test_fail(__FILE__, __LINE__, "\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", \
                         n_);                                                                      \
    } while (0)

#endif
