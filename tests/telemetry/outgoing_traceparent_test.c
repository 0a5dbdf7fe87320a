/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/outgoing_traceparent_test.c - provider calls made inside a traced flow carry the
 * W3C traceparent of the calling span (gk_init wires the telemetry layer into the HTTP client). */
#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "support/test_http_server.h"
#include "telemetry/export.h"
#include "telemetry/trace.h"
#include "test.h"

typedef struct OutUrl {
    const char *url;
} OutUrl;

GK_SCHEMA_DEFINE(OutUrl, NULL, GK_FIELD_STRING(OutUrl, url, "url", NULL));

static char flow_span[GK__TRACEPARENT_SIZE];

static gk_status fetch_flow(gk_ctx *ctx, const OutUrl *in, OutUrl *out, gk_error *err)
{
    gk__trace_traceparent(ctx, flow_span);
    gk_http_response *resp = NULL;
    gk_http_request req = {.url = in->url, .timeout_ms = 5000};
    gk_status st = gk_http_fetch(ctx, &req, &resp, err);
    out->url = in->url;
    return st;
}

struct call {
    gk_genkit *g;
    const char *input;
    gk_status st;
};

static void run(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_json *in = NULL;
    gk_json_parse(gk_ctx_arena(ctx), c->input, strlen(c->input), NULL, &in, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    c->st = gk_action_run_json(ctx, gk_lookup_action(c->g, "/flow/fetchOut"), in, NULL, NULL, &w,
                               NULL);
    gk_buf_release(&b);
}

static void ignore(const char *body, size_t len, void *arg)
{
    (void)body, (void)len, (void)arg;
}

static const char *fetch_header(bool traced)
{
    static char got[128];
    got[0] = 0;
    gk_test_server *s = gk_test_server_start();
    if (!s)
        return NULL;
    gk_test_server_set_default(s, &(gk_test_response){.body = "ok"});
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1}, &err);
    GK_DEFINE_FLOW(g, "fetchOut", NULL, fetch_flow, OutUrl, OutUrl, &err);
    if (traced)
        gk__telemetry_set_capture(ignore, NULL);
    char input[256];
    snprintf(input, sizeof(input), "{\"url\":\"%s/v1/x\"}", gk_test_server_url(s));
    struct call c = {.g = g, .input = input};
    memset(flow_span, 0, sizeof(flow_span));

    rt_run_fiber(run, &c, 0);

    if (c.st == GK_OK && gk_test_server_request_count(s) == 1) {
        const char *h = gk_test_request_header(gk_test_server_request(s, 0), "traceparent");
        snprintf(got, sizeof(got), "%s", h ? h : "(none)");
    }
    gk__telemetry_shutdown();
    gk_shutdown(g);
    gk_test_server_stop(s);
    return got;
}

TEST(provider_call_inside_a_traced_flow_sends_the_flow_spans_traceparent)
{
    const char *h = fetch_header(true);

    ASSERT_TRUE(h);
    EXPECT_EQ(strlen(flow_span), 55);
    EXPECT_STREQ(h, flow_span);
}

TEST(provider_call_without_tracing_sends_no_traceparent)
{
    const char *h = fetch_header(false);

    ASSERT_TRUE(h);
    EXPECT_STREQ(h, "(none)");
}
