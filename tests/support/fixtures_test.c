/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/fixtures_test.c - the fixture replayer sends recorded bodies byte for byte. */
#include <stdlib.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "support/fixtures.h"
#include "test.h"

struct fetch {
    const char *url;
    gk_status st;
    int status;
    char *body;
    size_t len;
    char content_type[64];
};

static void do_fetch(gk_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    gk_http_response *resp = NULL;
    gk_error err = {0};
    gk_http_request req = {.url = f->url, .body = GK_STR("{}"), .timeout_ms = 5000};
    f->st = gk_http_fetch(ctx, &req, &resp, &err);
    if (f->st != GK_OK)
        return;
    f->status = gk_http_response_status(resp);
    gk_str body = gk_http_response_body(resp);
    f->body = strndup(body.ptr, body.len);
    f->len = body.len;
    const char *ct = gk_http_response_header(resp, "content-type");
    snprintf(f->content_type, sizeof(f->content_type), "%s", ct ? ct : "");
}

TEST(fixture_loads_meta_request_and_response)
{
    gk_fixture *f = gk_fixture_load("anthropic", "error-429-rate-limit");
    ASSERT_TRUE(f);

    EXPECT_EQ(f->status, 429);
    EXPECT_FALSE(f->stream);
    EXPECT_TRUE(f->response_len > 0);
    EXPECT_CONTAINS(f->response, "rate_limit_error");
    gk_fixture_free(f);
    EXPECT_TRUE(gk_fixture_load("anthropic", "no-such-fixture") == NULL);
}

TEST(fixture_replays_a_stream_byte_for_byte_when_split_at_odd_places)
{
    gk_fixture *f = gk_fixture_load("openai", "chat-stream-text");
    ASSERT_TRUE(f);
    gk_test_server *s = gk_test_server_start();
    ASSERT_TRUE(s);
    gk_fixture_serve(s, f, 7, 0);
    char url[256];
    snprintf(url, sizeof(url), "%s%s", gk_test_server_url(s), f->path);
    struct fetch r = {.url = url};

    rt_run_fiber(do_fetch, &r, 0);

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.len, f->response_len);
    EXPECT_TRUE(r.body && memcmp(r.body, f->response, f->response_len) == 0);
    EXPECT_CONTAINS(r.content_type, "text/event-stream");
    free(r.body);
    gk_test_server_stop(s);
    gk_fixture_free(f);
}

TEST(fixture_json_compare_ignores_member_order)
{
    char why[128] = "";
    EXPECT_TRUE(gk_fixture_json_equal("{\"a\":1,\"b\":[true]}", 18, "{\"b\":[true],\"a\":1.0}", 20,
                                      why, sizeof(why)));
    EXPECT_FALSE(gk_fixture_json_equal("{\"a\":1}", 7, "{\"a\":2}", 7, why, sizeof(why)));
    EXPECT_STREQ(why, "JSON values differ");
}
