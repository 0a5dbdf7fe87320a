/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/fault_test.c - fault sweeps (curl's torture mode): fail the n-th allocation for
 * n = 1, 2, ... until decode/encode/schema succeed; every run must return a status, leave *out
 * zeroed on failure, and leak nothing (LeakSanitizer checks at exit). */
#include <string.h>

#include <genkit/schema.h>

#include "base/fault.h"
#include "schema_types.h"
#include "test.h"

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return false;
    }
    return true;
}

TEST(fault_sweep_decode_text_returns_a_status_at_every_allocation)
{
    long runs = 0;
    for (long n = 1; n < 10000; n++) {
        gk_error err = {0};
        SchAll v;
        gk__alloc_fail_after(n);
        gk_arena *a = gk_arena_new(0);
        gk_status st = GK_RESOURCE_EXHAUSTED;
        if (a)
            st =
                gk_decode_text(a, GK_TYPE_OF(SchAll), sch_all_json, strlen(sch_all_json), &v, &err);
        bool fired = gk__alloc_fault_fired();
        gk__alloc_fail_after(-1);
        runs++;
        if (a && st != GK_OK) {
            EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
            EXPECT_TRUE(all_zero(&v, sizeof(v)));
        }
        gk_arena_free(a);
        if (!fired) {
            EXPECT_EQ(st, GK_OK);
            break;
        }
    }
    EXPECT_GT(runs, 2);
}

TEST(fault_sweep_encode_and_schema_fail_the_buffer_cleanly)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchAll v;
    ASSERT_TRUE(a != NULL);
    ASSERT_EQ(gk_decode_text(a, GK_TYPE_OF(SchAll), sch_all_json, strlen(sch_all_json), &v, &err),
              GK_OK);
    for (int which = 0; which < 2; which++) {
        for (long n = 1; n < 1000; n++) {
            gk_buf b = GK_BUF_INIT(0);
            gk_jw w;
            gk_jw_init(&w, &b);
            gk__alloc_fail_after(n);
            if (which == 0)
                gk_encode(&w, GK_TYPE_OF(SchAll), &v);
            else
                gk_schema_write(&w, GK_TYPE_OF(SchAll));
            bool fired = gk__alloc_fault_fired();
            gk__alloc_fail_after(-1);
            if (fired)
                EXPECT_TRUE(gk_buf_failed(&b));
            else
                EXPECT_FALSE(gk_buf_failed(&b));
            gk_buf_release(&b);
            if (!fired)
                break;
        }
    }
    gk_arena_free(a);
}
