/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/export_test.c - the exporter thread against a scripted loopback telemetry
 * server: one POST /api/traces per body, failures counted and never surfaced, a full queue drops
 * with a counter, /api/notify's URL. */
#include <stdlib.h>
#include <unistd.h>

#include "support/test_http_server.h"
#include "telemetry/export.h"
#include "test.h"

static char *dup_body(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

TEST(exporter_posts_each_body_to_api_traces_as_json)
{
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk__telemetry_set_server(gk_test_server_url(srv));
    EXPECT_TRUE(gk__telemetry_active());

    gk__telemetry_submit(dup_body("{\"traceId\":\"a\",\"spans\":{}}"), 26);
    gk__telemetry_submit(dup_body("{\"traceId\":\"b\",\"spans\":{}}"), 26);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    ASSERT_EQ(gk_test_server_request_count(srv), 2);
    const gk_test_request *r0 = gk_test_server_request(srv, 0);
    const gk_test_request *r1 = gk_test_server_request(srv, 1);
    EXPECT_STREQ(r0->method, "POST");
    EXPECT_STREQ(r0->target, "/api/traces");
    EXPECT_STREQ(gk_test_request_header(r0, "Content-Type"), "application/json");
    EXPECT_STREQ(r0->body, "{\"traceId\":\"a\",\"spans\":{}}");
    EXPECT_STREQ(r1->body, "{\"traceId\":\"b\",\"spans\":{}}");
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.submitted, 2);
    EXPECT_EQ(st.sent, 2);
    EXPECT_EQ(st.failed, 0);
    gk__telemetry_shutdown();
    EXPECT_FALSE(gk__telemetry_active());
    gk_test_server_stop(srv);
}

TEST(exporter_counts_failures_and_keeps_going)
{
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk_test_server_push(srv, &(gk_test_response){.status = 500, .body = "no"});
    gk__telemetry_set_server(gk_test_server_url(srv));

    gk__telemetry_submit(dup_body("{}"), 2);
    gk__telemetry_submit(dup_body("{}"), 2);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.failed, 1);
    EXPECT_EQ(st.sent, 1);
    gk__telemetry_shutdown();
    gk_test_server_stop(srv);
}

TEST(exporter_to_a_closed_port_fails_quietly)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", gk_test_unused_port());
    gk__telemetry_set_server(url);
    char got[64];
    gk__telemetry_server(got, sizeof(got));
    url[strlen(url) - 1] = '\0'; /* the trailing slash is dropped */
    EXPECT_STREQ(got, url);

    gk__telemetry_submit(dup_body("{}"), 2);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.failed, 1);
    gk__telemetry_shutdown();
}

TEST(full_queue_drops_with_a_counter)
{
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    /* The first post is held at the gate, so everything after it waits in the queue. */
    static const char *const chunks[] = {"o", "k", NULL};
    gk_test_server_push(srv, &(gk_test_response){.chunks = chunks, .gate_after = 1});
    gk__telemetry_set_server(gk_test_server_url(srv));
    gk__telemetry_submit(dup_body("{}"), 2);
    while (gk_test_server_request_count(srv) < 1)
        usleep(1000); /* until the exporter took the first body */

    for (int i = 0; i < GK__EXPORT_MAX_ITEMS + 3; i++)
        gk__telemetry_submit(dup_body("{}"), 2);

    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.dropped, 3);
    EXPECT_EQ(st.submitted, GK__EXPORT_MAX_ITEMS + 1);
    gk__telemetry_set_server(NULL); /* what is still queued is discarded, not posted */
    gk_test_server_open_gate(srv);
    EXPECT_TRUE(gk__telemetry_flush(5000));
    EXPECT_EQ(gk_test_server_request_count(srv), 1);
    gk__telemetry_shutdown();
    gk_test_server_stop(srv);
}

TEST(notify_sets_the_server_when_none_is_configured)
{
    gk__telemetry_notify_server("http://127.0.0.1:4033");
    char got[64];
    gk__telemetry_server(got, sizeof(got));
    EXPECT_STREQ(got, "http://127.0.0.1:4033");
    EXPECT_TRUE(gk__telemetry_active());
    gk__telemetry_shutdown();
    gk__telemetry_server(got, sizeof(got));
    EXPECT_STREQ(got, "");
}
