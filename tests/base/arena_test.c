/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/arena_test.c - the request arena: alignment, zeroing, cap, chunks, realloc, defer. */
#include <genkit/arena.h>

#include <stdint.h>
#include <string.h>

#include "base/fault.h"
#include "test.h"

TEST(arena_alloc_is_zeroed_and_16_byte_aligned)
{
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(a != NULL);
    for (size_t n = 1; n < 200; n += 7) {
        unsigned char *p = gk_arena_alloc(a, n);
        ASSERT_TRUE(p != NULL);
        EXPECT_EQ((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            EXPECT_EQ(p[i], 0);
        memset(p, 0xab, n);
    }
    gk_arena_free(a);
}

TEST(arena_zero_size_returns_unique_pointers)
{
    gk_arena *a = gk_arena_new(0);
    void *p = gk_arena_alloc(a, 0);
    void *q = gk_arena_alloc(a, 0);
    EXPECT_TRUE(p != NULL);
    EXPECT_TRUE(q != NULL);
    EXPECT_TRUE(p != q);
    gk_arena_free(a);
}

TEST(arena_used_counts_rounded_bytes)
{
    gk_arena *a = gk_arena_new(0);
    EXPECT_EQ(gk_arena_used(a), 0);
    gk_arena_alloc(a, 1);
    EXPECT_EQ(gk_arena_used(a), 16);
    gk_arena_alloc(a, 17);
    EXPECT_EQ(gk_arena_used(a), 48);
    EXPECT_EQ(gk_arena_used(NULL), 0);
    gk_arena_free(a);
}

TEST(arena_cap_refuses_allocation_over_it)
{
    gk_arena *a = gk_arena_new(1000);
    EXPECT_TRUE(gk_arena_alloc(a, 992) != NULL);
    EXPECT_TRUE(gk_arena_alloc(a, 16) == NULL);
    EXPECT_TRUE(gk_arena_alloc(a, 8) == NULL); /* rounded up to 16: still over */
    EXPECT_EQ(gk_arena_used(a), 992);
    gk_arena_free(a);

    a = gk_arena_new(4096);
    EXPECT_TRUE(gk_arena_alloc(a, 5000) == NULL);
    EXPECT_TRUE(gk_arena_alloc(a, SIZE_MAX) == NULL);
    EXPECT_TRUE(gk_arena_calloc(a, SIZE_MAX / 2, 4) == NULL);
    EXPECT_EQ(gk_arena_used(a), 0);
    gk_arena_free(a);
}

TEST(arena_many_allocations_span_chunks_and_stay_intact)
{
    gk_arena *a = gk_arena_new(0);
    unsigned char *ptrs[2000];
    for (size_t i = 0; i < 2000; i++) {
        size_t n = 1 + (i * 37) % 300;
        ptrs[i] = gk_arena_alloc(a, n);
        ASSERT_TRUE(ptrs[i] != NULL);
        memset(ptrs[i], (int)(i & 0xff), n);
    }
    for (size_t i = 0; i < 2000; i++) {
        size_t n = 1 + (i * 37) % 300;
        EXPECT_EQ(ptrs[i][0], i & 0xff);
        EXPECT_EQ(ptrs[i][n - 1], i & 0xff);
    }
    gk_arena_free(a);
}

TEST(arena_large_allocation_gets_own_chunk_and_bump_continues)
{
    gk_arena *a = gk_arena_new(0);
    char *small1 = gk_arena_alloc(a, 32);
    char *big = gk_arena_alloc(a, 1 << 20);
    ASSERT_TRUE(big != NULL);
    memset(big, 1, 1 << 20);
    char *small2 = gk_arena_alloc(a, 32);
    /* The small allocations still come from the first chunk, one after the other. */
    EXPECT_EQ(small2 - small1, 32);
    gk_arena_free(a);
}

TEST(arena_realloc_grows_last_allocation_in_place)
{
    gk_arena *a = gk_arena_new(0);
    char *p = gk_arena_alloc(a, 10);
    memcpy(p, "0123456789", 10);
    char *q = gk_arena_realloc(a, p, 10, 100);
    EXPECT_TRUE(p == q);
    EXPECT_EQ(memcmp(q, "0123456789", 10), 0);
    for (int i = 10; i < 100; i++)
        EXPECT_EQ(q[i], 0);
    EXPECT_EQ(gk_arena_used(a), 112);
    gk_arena_free(a);
}

TEST(arena_realloc_copies_when_not_last)
{
    gk_arena *a = gk_arena_new(0);
    char *p = gk_arena_alloc(a, 10);
    memcpy(p, "abcdefghij", 10);
    gk_arena_alloc(a, 16);
    char *q = gk_arena_realloc(a, p, 10, 40);
    EXPECT_TRUE(p != q);
    EXPECT_EQ(memcmp(q, "abcdefghij", 10), 0);
    EXPECT_EQ(q[39], 0);
    EXPECT_TRUE(gk_arena_realloc(a, q, 40, 20) == q); /* shrinking keeps it */
    char *r = gk_arena_realloc(a, NULL, 0, 8);
    EXPECT_TRUE(r != NULL);
    gk_arena_free(a);
}

TEST(arena_realloc_in_place_moves_to_new_chunk_when_full)
{
    gk_arena *a = gk_arena_new(0);
    char *p = gk_arena_alloc(a, 16);
    p[0] = 'x';
    size_t size = 16;
    for (int i = 0; i < 12; i++) {
        p = gk_arena_realloc(a, p, size, size * 2);
        ASSERT_TRUE(p != NULL);
        size *= 2;
        EXPECT_EQ(p[0], 'x');
        EXPECT_EQ(p[size - 1], 0);
    }
    gk_arena_free(a);
}

TEST(arena_strdup_strndup_sprintf)
{
    gk_arena *a = gk_arena_new(0);
    EXPECT_STREQ(gk_arena_strdup(a, "hello"), "hello");
    EXPECT_TRUE(gk_arena_strdup(a, NULL) == NULL);
    EXPECT_STREQ(gk_arena_strndup(a, "hello world", 5), "hello");
    EXPECT_STREQ(gk_arena_strndup(a, "", 0), "");
    EXPECT_STREQ(gk_arena_sprintf(a, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1");
    char big[3000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *s = gk_arena_sprintf(a, "<%s>", big);
    ASSERT_TRUE(s != NULL);
    EXPECT_EQ(strlen(s), 3001);
    gk_arena_free(a);
}

TEST(arena_sprintf_over_cap_is_null)
{
    gk_arena *a = gk_arena_new(64);
    EXPECT_TRUE(gk_arena_sprintf(a, "%0100d", 1) == NULL);
    EXPECT_STREQ(gk_arena_sprintf(a, "%d", 12), "12");
    gk_arena_free(a);
}

static char order[8];
static int norder;

static void record(void *arg)
{
    order[norder++] = *(const char *)arg;
}

TEST(arena_defer_runs_last_first_on_free)
{
    static const char names[] = "abc";
    norder = 0;
    gk_arena *a = gk_arena_new(0);
    EXPECT_TRUE(gk_arena_defer(a, record, (void *)&names[0]));
    EXPECT_TRUE(gk_arena_defer(a, record, (void *)&names[1]));
    EXPECT_TRUE(gk_arena_defer(a, record, (void *)&names[2]));
    EXPECT_EQ(norder, 0);
    gk_arena_free(a);
    ASSERT_EQ(norder, 3);
    EXPECT_EQ(memcmp(order, "cba", 3), 0);
    gk_arena_free(NULL);
}

TEST(arena_defer_over_cap_returns_false)
{
    gk_arena *a = gk_arena_new(16);
    gk_arena_alloc(a, 16);
    EXPECT_FALSE(gk_arena_defer(a, record, NULL));
    gk_arena_free(a);
}

TEST(arena_fault_hook_fails_nth_allocation_once)
{
    gk_arena *a = gk_arena_new(0);
    gk__alloc_fail_after(3);
    EXPECT_TRUE(gk_arena_alloc(a, 8) != NULL);
    EXPECT_TRUE(gk_arena_alloc(a, 8) != NULL);
    EXPECT_FALSE(gk__alloc_fault_fired());
    EXPECT_TRUE(gk_arena_alloc(a, 8) == NULL);
    EXPECT_TRUE(gk__alloc_fault_fired());
    EXPECT_TRUE(gk_arena_alloc(a, 8) != NULL);
    gk__alloc_fail_after(1);
    EXPECT_TRUE(gk_arena_new(0) == NULL);
    gk__alloc_fail_after(-1);
    EXPECT_TRUE(gk_arena_alloc(a, 8) != NULL);
    gk_arena_free(a);
}
