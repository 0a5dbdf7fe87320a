/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/ids_test.c - random bytes, hex and time formatting. */
#include "base/ids.h"

#include <string.h>
#include <time.h>

#include "test.h"

TEST(ids_hex_is_lowercase_and_terminated)
{
    const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[9];
    gk__hex(bytes, 4, out);
    EXPECT_STREQ(out, "000fa5ff");
    gk__hex(bytes, 0, out);
    EXPECT_STREQ(out, "");
}

TEST(ids_hex_value_of_every_byte)
{
    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9'   ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        EXPECT_EQ(gk__hex_value((char)c), want);
    }
}

TEST(ids_random_bytes_fill_and_differ)
{
    uint8_t a[16] = {0};
    uint8_t b[16] = {0};
    gk__random_bytes(a, sizeof(a));
    gk__random_bytes(b, sizeof(b));
    EXPECT_TRUE(memcmp(a, b, sizeof(a)) != 0);
    uint8_t big[1000];
    memset(big, 0, sizeof(big));
    gk__random_bytes(big, sizeof(big));
    size_t zeros = 0;
    for (size_t i = 0; i < sizeof(big); i++)
        zeros += big[i] == 0;
    EXPECT_LT(zeros, 30);
}

TEST(ids_iso8601_formats_utc_milliseconds)
{
    char out[32];
    gk__iso8601(0, out);
    EXPECT_STREQ(out, "1970-01-01T00:00:00.000Z");
    gk__iso8601(1795428000123LL, out);
    EXPECT_STREQ(out, "2026-11-23T10:00:00.123Z");
    gk__iso8601(951782400999LL, out); /* leap day */
    EXPECT_STREQ(out, "2000-02-29T00:00:00.999Z");
    gk__iso8601(-1, out);
    EXPECT_STREQ(out, "1969-12-31T23:59:59.999Z");
}

/* The calendar arithmetic agrees with glibc's gmtime_r: every day boundary over 1600..2400, and
 * seconds scattered over +-10,000 years. */
static void expect_same_as_gmtime(int64_t sec)
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return;
    gk__utc u = gk__utc_from_unix(sec);
    if (u.year != tm.tm_year + 1900LL || u.month != tm.tm_mon + 1 || u.day != tm.tm_mday ||
        u.hour != tm.tm_hour || u.minute != tm.tm_min || u.second != tm.tm_sec ||
        u.weekday != tm.tm_wday) {
        EXPECT_EQ(sec, -1); /* names the failing second */
    }
}

TEST(ids_utc_matches_gmtime)
{
    for (int64_t day = -135140; day <= 157066; day++) /* 1600-01-01 .. 2400-01-01 */
        expect_same_as_gmtime(day * 86400 + (day % 86400 + 86400) % 86400);
    uint64_t x = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        expect_same_as_gmtime((int64_t)(x % 631152000000ULL) - 315576000000LL);
    }
    gk__utc u = gk__utc_from_unix(1795428000);
    EXPECT_EQ(u.year, 2026);
    EXPECT_EQ(u.weekday, 1); /* a Monday */
}

TEST(ids_clocks_are_consistent)
{
    int64_t ms = gk__wall_ms();
    int64_t ns = gk__wall_ns();
    EXPECT_GT(ms, 1700000000000LL);
    EXPECT_LT(ns / 1000000 - ms, 1000);
    int64_t m1 = gk__mono_ns();
    int64_t m2 = gk__mono_ns();
    EXPECT_GE(m2, m1);
}
