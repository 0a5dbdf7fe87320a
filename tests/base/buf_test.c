/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/buf_test.c - gk_buf: growth, cap, sticky failure, NUL termination, detach. */
#include <genkit/buf.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "test.h"

TEST(buf_appends_and_stays_nul_terminated)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_puts(&b, "hello");
    gk_buf_putc(&b, ' ');
    gk_buf_put(&b, "world!!", 5);
    gk_buf_printf(&b, " %d+%s", 42, "x");
    EXPECT_FALSE(gk_buf_failed(&b));
    EXPECT_STREQ(b.ptr, "hello world 42+x");
    EXPECT_EQ(b.len, 16);
    EXPECT_TRUE(b.len < b.alloc);
    gk_buf_release(&b);
    EXPECT_TRUE(b.ptr == NULL);
    EXPECT_EQ(b.len, 0);
}

TEST(buf_grows_past_many_doublings)
{
    gk_buf b = GK_BUF_INIT(0);
    for (int i = 0; i < 100000; i++)
        gk_buf_putc(&b, (char)('a' + i % 26));
    EXPECT_EQ(b.len, 100000);
    EXPECT_EQ(b.ptr[99999], 'a' + 99999 % 26);
    EXPECT_EQ(b.ptr[100000], 0);
    gk_buf_release(&b);
}

TEST(buf_printf_long_output_takes_second_pass)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_puts(&b, "x");
    gk_buf_printf(&b, "%0500d", 7);
    EXPECT_EQ(b.len, 501);
    EXPECT_EQ(b.ptr[500], '7');
    EXPECT_EQ(b.ptr[1], '0');
    gk_buf_release(&b);
}

TEST(buf_cap_is_sticky_failure)
{
    gk_buf b = GK_BUF_INIT(8);
    gk_buf_puts(&b, "12345678");
    EXPECT_FALSE(gk_buf_failed(&b));
    EXPECT_EQ(b.len, 8);
    gk_buf_putc(&b, '9');
    EXPECT_TRUE(gk_buf_failed(&b));
    EXPECT_EQ(b.len, 8);
    gk_buf_puts(&b, "");
    gk_buf_printf(&b, "%d", 1);
    EXPECT_TRUE(gk_buf_failed(&b));
    EXPECT_STREQ(b.ptr, "12345678");
    gk_buf_reset(&b);
    EXPECT_FALSE(gk_buf_failed(&b));
    EXPECT_EQ(b.len, 0);
    EXPECT_STREQ(b.ptr, "");
    gk_buf_puts(&b, "ok");
    EXPECT_STREQ(b.ptr, "ok");
    gk_buf_release(&b);
}

TEST(buf_printf_over_cap_fails_and_keeps_content)
{
    gk_buf b = GK_BUF_INIT(10);
    gk_buf_puts(&b, "abc");
    gk_buf_printf(&b, "%s", "0123456789");
    EXPECT_TRUE(gk_buf_failed(&b));
    EXPECT_STREQ(b.ptr, "abc");
    gk_buf_release(&b);
}

TEST(buf_reserve_and_commit)
{
    gk_buf b = GK_BUF_INIT(0);
    char *w = gk_buf_reserve(&b, 5);
    ASSERT_TRUE(w != NULL);
    memcpy(w, "abcde", 5);
    gk_buf_commit(&b, 3);
    EXPECT_STREQ(b.ptr, "abc");
    EXPECT_EQ(b.len, 3);
    gk_buf_release(&b);

    gk_buf c = GK_BUF_INIT(4);
    EXPECT_TRUE(gk_buf_reserve(&c, 5) == NULL);
    EXPECT_TRUE(gk_buf_failed(&c));
    gk_buf_release(&c);
}

TEST(buf_huge_sizes_fail_without_overflow)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_puts(&b, "x");
    EXPECT_TRUE(gk_buf_reserve(&b, SIZE_MAX) == NULL);
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);
}

TEST(buf_detach_hands_memory_over)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_puts(&b, "data");
    size_t len = 0;
    char *p = gk_buf_detach(&b, &len);
    EXPECT_STREQ(p, "data");
    EXPECT_EQ(len, 4);
    EXPECT_TRUE(b.ptr == NULL);
    EXPECT_EQ(b.len, 0);
    free(p);

    EXPECT_TRUE(gk_buf_detach(&b, &len) == NULL);
    EXPECT_EQ(len, 0);

    gk_buf c = GK_BUF_INIT(2);
    gk_buf_puts(&c, "abc");
    EXPECT_TRUE(gk_buf_detach(&c, NULL) == NULL);
    EXPECT_TRUE(c.ptr == NULL);
    EXPECT_FALSE(gk_buf_failed(&c));
}

TEST(buf_growth_failure_is_sticky)
{
    gk_buf b = GK_BUF_INIT(0);
    gk__alloc_fail_after(1);
    gk_buf_puts(&b, "x");
    gk__alloc_fail_after(-1);
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_puts(&b, "y");
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);
}

TEST(size_add_mul_detect_overflow)
{
    size_t r = 0;
    EXPECT_TRUE(gk_size_add(2, 3, &r));
    EXPECT_EQ(r, 5);
    EXPECT_FALSE(gk_size_add(SIZE_MAX, 1, &r));
    EXPECT_TRUE(gk_size_mul(6, 7, &r));
    EXPECT_EQ(r, 42);
    EXPECT_FALSE(gk_size_mul(SIZE_MAX / 2 + 1, 2, &r));
}
