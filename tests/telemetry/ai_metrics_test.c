/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/ai_metrics_test.c - model and tool metrics fed from span ends: requests by
 * model and status, the latency histogram, input/output tokens from the typed GenerateResponse
 * usage, tool calls by tool and status; with no exporter configured (metrics are always on) and
 * with tracing on (each call still counted once). Read back through the /metrics text. */
#include <stdlib.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "server/metrics.h"
#include "telemetry/export.h"
#include "test.h"

typedef struct AmIn {
    int32_t n;
} AmIn;

typedef struct AmOut {
    int32_t n;
} AmOut;

GK_SCHEMA_DEFINE(AmIn, NULL, GK_FIELD_INT(AmIn, n, "n", NULL));
GK_SCHEMA_DEFINE(AmOut, NULL, GK_FIELD_INT(AmOut, n, "n", NULL));

/* Answers with usage {inputTokens: 7, outputTokens: 3}; "am/broken" fails. */
static gk_status counting_model(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                gk_model_stream *stream, gk_generate_response *resp,
                                gk_error *err)
{
    (void)req;
    (void)stream;
    if (self)
        return gk_error_set(err, GK_UNAVAILABLE, "", "upstream is down");
    static const char reply[] = "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"ok\"}]},"
                                "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":7,"
                                "\"outputTokens\":3,\"totalTokens\":10}}";
    return gk_decode_text(gk_ctx_arena(ctx), GK_TYPE_OF(gk_generate_response), reply,
                          sizeof(reply) - 1, resp, err);
}

static gk_status double_tool(gk_ctx *ctx, const AmIn *in, AmOut *out, gk_error *err)
{
    (void)ctx;
    if (in->n < 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "negative");
    out->n = in->n * 2;
    return GK_OK;
}

static gk_genkit *gk;
static int broken_marker;

static void define(void)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "ai-metrics-test"}, &err);
    gk_model_desc ok = {.name = "am/counting", .generate = counting_model};
    gk_model_desc broken = {.name = "am/broken", .generate = counting_model, .self = &broken_marker};
    ASSERT_TRUE(gk_define_model(gk, &ok, &err));
    ASSERT_TRUE(gk_define_model(gk, &broken, &err));
    ASSERT_TRUE(GK_DEFINE_TOOL(gk, "amDouble", "Doubles", double_tool, AmIn, AmOut, &err));
}

struct calls {
    const char *model_ok;
    gk_status st_ok;
    gk_status st_broken;
    gk_status st_tool_ok;
    gk_status st_tool_bad;
};

static void calls_fiber(gk_ctx *ctx, void *arg)
{
    struct calls *c = arg;
    gk_generate_response resp;
    gk_error err = {0};
    c->st_ok = gk_generate(ctx, gk, &(gk_generate_opts){.model = "am/counting", .prompt = "a"},
                           &resp, &err);
    gk_generate(ctx, gk, &(gk_generate_opts){.model = "am/counting", .prompt = "b"}, &resp, &err);
    c->st_broken = gk_generate(ctx, gk, &(gk_generate_opts){.model = "am/broken", .prompt = "c"},
                               &resp, &err);
    gk_action *tool = gk_lookup(gk, GK_ACTION_TOOL, "amDouble");
    AmIn in = {.n = 2};
    AmOut out = {0};
    c->st_tool_ok = gk_action_run(ctx, tool, &in, &out, NULL, &err);
    in.n = -1;
    c->st_tool_bad = gk_action_run(ctx, tool, &in, &out, NULL, &err);
}

/* The value of the sample line starting with prefix ("name{labels} "), or -1. */
static double sample(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, n) == 0)
            return strtod(p + n, NULL);
    }
    return -1;
}

static char *scrape(void)
{
    gk_buf b = GK_BUF_INIT(0);
    gk__metrics_write_registry(&b);
    size_t len = 0;
    return gk_buf_detach(&b, &len);
}

static void check_counts(const char *before, const char *after, const char *prefix, double want)
{
    double was = sample(before, prefix);
    double now = sample(after, prefix);
    if (was < 0)
        was = 0;
    EXPECT_EQ((long long)(now - was), (long long)want);
}

static void run_and_check(void)
{
    char *before = scrape();
    struct calls c = {0};
    rt_run_fiber(calls_fiber, &c, 0);
    EXPECT_EQ(c.st_ok, GK_OK);
    EXPECT_EQ(c.st_broken, GK_UNAVAILABLE);
    EXPECT_EQ(c.st_tool_ok, GK_OK);
    EXPECT_EQ(c.st_tool_bad, GK_INVALID_ARGUMENT);
    char *after = scrape();

    check_counts(before, after, "genkit_model_requests_total{model=\"am/counting\",status=\"OK\"} ",
                 2);
    check_counts(before, after,
                 "genkit_model_requests_total{model=\"am/broken\",status=\"UNAVAILABLE\"} ", 1);
    check_counts(before, after, "genkit_model_latency_seconds_count{model=\"am/counting\"} ", 2);
    check_counts(before, after, "genkit_model_latency_seconds_count{model=\"am/broken\"} ", 1);
    check_counts(before, after,
                 "genkit_model_latency_seconds_bucket{model=\"am/counting\",le=\"+Inf\"} ", 2);
    check_counts(before, after, "genkit_model_tokens_total{model=\"am/counting\",kind=\"input\"} ",
                 14);
    check_counts(before, after, "genkit_model_tokens_total{model=\"am/counting\",kind=\"output\"} ",
                 6);
    EXPECT_EQ(sample(after, "genkit_model_tokens_total{model=\"am/broken\","), -1);
    check_counts(before, after, "genkit_tool_calls_total{tool=\"amDouble\",status=\"OK\"} ", 1);
    check_counts(before, after,
                 "genkit_tool_calls_total{tool=\"amDouble\",status=\"INVALID_ARGUMENT\"} ", 1);
    EXPECT_TRUE(strstr(after, "# TYPE genkit_model_latency_seconds histogram\n") != NULL);
    EXPECT_TRUE(strstr(after, "# TYPE genkit_model_tokens_total counter\n") != NULL);
    free(before);
    free(after);
}

TEST(ai_metrics_count_models_tokens_and_tools_without_any_exporter)
{
    define();
    EXPECT_FALSE(gk__telemetry_active());
    run_and_check();
    gk_shutdown(gk);
}

static void noop_capture(const char *body, size_t len, void *arg)
{
    (void)body;
    (void)len;
    (void)arg;
}

TEST(ai_metrics_count_each_call_once_when_tracing_is_on)
{
    define();
    gk__telemetry_set_capture(noop_capture, NULL);
    run_and_check();
    gk__telemetry_shutdown();
    gk_shutdown(gk);
}
