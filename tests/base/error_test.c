/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/error_test.c - gk_error filling and the status tables. */
#include <genkit/error.h>

#include <string.h>

#include "test.h"

TEST(error_set_formats_message_copies_path_and_returns_status)
{
    gk_error err = {.retry_after_ms = 5};
    gk_status st = gk_error_set(&err, GK_NOT_FOUND, "/items/3", "no flow %s (%d)", "menu", 7);
    EXPECT_EQ(st, GK_NOT_FOUND);
    EXPECT_EQ(err.status, GK_NOT_FOUND);
    EXPECT_STREQ(err.message, "no flow menu (7)");
    EXPECT_STREQ(err.path, "/items/3");
    EXPECT_EQ(err.retry_after_ms, 0);
}

TEST(error_set_with_null_err_only_returns_status)
{
    EXPECT_EQ(gk_error_set(NULL, GK_INTERNAL, "", "x"), GK_INTERNAL);
}

TEST(error_set_null_path_is_empty)
{
    gk_error err;
    gk_error_set(&err, GK_INVALID_ARGUMENT, NULL, "bad");
    EXPECT_STREQ(err.path, "");
}

TEST(error_set_truncates_long_message_and_path)
{
    gk_error err;
    char long_text[600];
    memset(long_text, 'm', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    gk_error_set(&err, GK_UNKNOWN, long_text, "%s", long_text);
    EXPECT_EQ(strlen(err.message), sizeof(err.message) - 1);
    EXPECT_EQ(strlen(err.path), sizeof(err.path) - 1);
}

TEST(error_clear_resets_everything)
{
    gk_error err;
    gk_error_set(&err, GK_ABORTED, "/a", "m");
    err.retry_after_ms = 3;
    gk_error_clear(&err);
    EXPECT_EQ(err.status, GK_OK);
    EXPECT_STREQ(err.message, "");
    EXPECT_STREQ(err.path, "");
    EXPECT_EQ(err.retry_after_ms, 0);
    gk_error_clear(NULL);
}

TEST(error_prefix_path_prepends_segment)
{
    gk_error err;
    gk_error_set(&err, GK_INVALID_ARGUMENT, "/3/qty", "m");
    gk_error_prefix_path(&err, "/items");
    EXPECT_STREQ(err.path, "/items/3/qty");
    gk_error_set(&err, GK_INVALID_ARGUMENT, "", "m");
    gk_error_prefix_path(&err, "/input");
    EXPECT_STREQ(err.path, "/input");
    gk_error_prefix_path(&err, "");
    EXPECT_STREQ(err.path, "/input");
    gk_error_prefix_path(NULL, "/x");
}

TEST(error_prefix_path_keeps_prefix_when_too_long)
{
    gk_error err;
    char old[127];
    memset(old, 'o', sizeof(old) - 1);
    old[sizeof(old) - 1] = '\0';
    gk_error_set(&err, GK_INVALID_ARGUMENT, old, "m");
    gk_error_prefix_path(&err, "/prefix");
    EXPECT_EQ(strlen(err.path), sizeof(err.path) - 1);
    EXPECT_EQ(strncmp(err.path, "/prefixooo", 10), 0);
}

TEST(status_names_follow_genkit)
{
    EXPECT_STREQ(gk_status_name(GK_OK), "OK");
    EXPECT_STREQ(gk_status_name(GK_CANCELLED), "CANCELLED");
    EXPECT_STREQ(gk_status_name(GK_INVALID_ARGUMENT), "INVALID_ARGUMENT");
    EXPECT_STREQ(gk_status_name(GK_INTERNAL), "INTERNAL");
    EXPECT_STREQ(gk_status_name(GK_UNAUTHENTICATED), "UNAUTHENTICATED");
    EXPECT_STREQ(gk_status_name((gk_status)17), "UNKNOWN");
    EXPECT_STREQ(gk_status_name((gk_status)-1), "UNKNOWN");
}

TEST(status_http_follows_table)
{
    EXPECT_EQ(gk_status_http(GK_OK), 200);
    EXPECT_EQ(gk_status_http(GK_CANCELLED), 499);
    EXPECT_EQ(gk_status_http(GK_INVALID_ARGUMENT), 400);
    EXPECT_EQ(gk_status_http(GK_DEADLINE_EXCEEDED), 504);
    EXPECT_EQ(gk_status_http(GK_NOT_FOUND), 404);
    EXPECT_EQ(gk_status_http(GK_RESOURCE_EXHAUSTED), 429);
    EXPECT_EQ(gk_status_http(GK_UNIMPLEMENTED), 501);
    EXPECT_EQ(gk_status_http(GK_UNAVAILABLE), 503);
    EXPECT_EQ(gk_status_http(GK_UNAUTHENTICATED), 401);
    EXPECT_EQ(gk_status_http((gk_status)99), 500);
}

TEST(status_from_name_round_trips_every_status)
{
    for (int i = 0; i < GK_STATUS_COUNT; i++) {
        const char *n = gk_status_name((gk_status)i);
        gk_status st = GK_UNKNOWN;
        EXPECT_TRUE(gk_status_from_name(n, strlen(n), &st));
        EXPECT_EQ(st, i);
    }
}

TEST(status_from_name_accepts_internal_server_error_and_rejects_others)
{
    gk_status st = GK_OK;
    EXPECT_TRUE(gk_status_from_name("INTERNAL_SERVER_ERROR", 21, &st));
    EXPECT_EQ(st, GK_INTERNAL);
    EXPECT_FALSE(gk_status_from_name("NOT_FOUNDX", 10, &st));
    EXPECT_FALSE(gk_status_from_name("NOT_FOUND", 8, &st));
    EXPECT_FALSE(gk_status_from_name("not_found", 9, &st));
    EXPECT_FALSE(gk_status_from_name("", 0, &st));
    EXPECT_TRUE(gk_status_from_name("NOT_FOUND_AND_MORE", 9, &st));
    EXPECT_EQ(st, GK_NOT_FOUND);
}

TEST(status_from_http_maps_provider_codes)
{
    EXPECT_EQ(gk_status_from_http(200), GK_OK);
    EXPECT_EQ(gk_status_from_http(204), GK_OK);
    EXPECT_EQ(gk_status_from_http(400), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_status_from_http(401), GK_UNAUTHENTICATED);
    EXPECT_EQ(gk_status_from_http(403), GK_PERMISSION_DENIED);
    EXPECT_EQ(gk_status_from_http(404), GK_NOT_FOUND);
    EXPECT_EQ(gk_status_from_http(408), GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(gk_status_from_http(409), GK_ABORTED);
    EXPECT_EQ(gk_status_from_http(413), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_status_from_http(422), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_status_from_http(429), GK_RESOURCE_EXHAUSTED);
    EXPECT_EQ(gk_status_from_http(499), GK_CANCELLED);
    EXPECT_EQ(gk_status_from_http(412), GK_FAILED_PRECONDITION);
    EXPECT_EQ(gk_status_from_http(418), GK_FAILED_PRECONDITION);
    EXPECT_EQ(gk_status_from_http(500), GK_INTERNAL);
    EXPECT_EQ(gk_status_from_http(501), GK_UNIMPLEMENTED);
    EXPECT_EQ(gk_status_from_http(502), GK_UNAVAILABLE);
    EXPECT_EQ(gk_status_from_http(503), GK_UNAVAILABLE);
    EXPECT_EQ(gk_status_from_http(504), GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(gk_status_from_http(529), GK_UNAVAILABLE);
    EXPECT_EQ(gk_status_from_http(599), GK_UNAVAILABLE);
    EXPECT_EQ(gk_status_from_http(302), GK_UNKNOWN);
    EXPECT_EQ(gk_status_from_http(0), GK_UNKNOWN);
    EXPECT_EQ(gk_status_from_http(-1), GK_UNKNOWN);
}
