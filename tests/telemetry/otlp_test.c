/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/otlp_test.c - OTLP/HTTP JSON export against a scripted loopback collector: the
 * settings (the OTEL_* variables and their precedence, k=v lists), the exact body of a small trace,
 * batching, retry with backoff on 503/429 then success, giving up on a non-retryable answer, and
 * the drop counter when the collector is down and the queue is full. */
#include <stdlib.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "base/log.h"
#include "runtime/rt_helpers.h"
#include "support/test_http_server.h"
#include "telemetry/export.h"
#include "telemetry/otlp.h"
#include "telemetry/trace.h"
#include "test.h"

typedef struct OtIn {
    const char *word;
    int32_t fail;
} OtIn;

typedef struct OtOut {
    const char *text;
} OtOut;

GK_SCHEMA_DEFINE(OtIn, NULL, GK_FIELD_STRING(OtIn, word, "word", NULL),
                 GK_FIELD_INT(OtIn, fail, "fail", NULL, GK_DEFAULT(0)));
GK_SCHEMA_DEFINE(OtOut, NULL, GK_FIELD_STRING(OtOut, text, "text", NULL));

static const char *const otel_vars[] = {
    "OTEL_SDK_DISABLED",           "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",  "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_SERVICE_NAME",           "OTEL_RESOURCE_ATTRIBUTES",
    "OTEL_BSP_SCHEDULE_DELAY",     "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
    "OTEL_BSP_MAX_QUEUE_SIZE",     NULL,
};

static void clear_otel_env(void)
{
    for (size_t i = 0; otel_vars[i]; i++)
        unsetenv(otel_vars[i]);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    memcpy(p, s, n + 1);
    return p;
}

static gk_json *parse(gk_arena *a, const char *text, size_t len)
{
    gk_json *doc = NULL;
    gk_error err = {0};
    if (gk_json_parse(a, text, len, NULL, &doc, &err) != GK_OK) {
        fprintf(stderr, "    bad JSON: %s\n", err.message);
        return NULL;
    }
    return doc;
}

/* ---- settings ---- */

TEST(otlp_kv_list_trims_decodes_and_skips_empty_members)
{
    gk_arena *a = gk_arena_new(0);
    gk__otlp_kv *kv = NULL;
    size_t n = 0;
    gk_error err = {0};
    const char *s = " service.name = recipes ,, team=a%2Cb%3Dc , empty= ,x=%C3%A9";

    EXPECT_EQ(gk__otlp_parse_kv(a, s, strlen(s), &kv, &n, &err), GK_OK);

    ASSERT_EQ(n, 4);
    EXPECT_STREQ(kv[0].key, "service.name");
    EXPECT_STREQ(kv[0].value, "recipes");
    EXPECT_STREQ(kv[1].key, "team");
    EXPECT_STREQ(kv[1].value, "a,b=c");
    EXPECT_STREQ(kv[2].key, "empty");
    EXPECT_STREQ(kv[2].value, "");
    EXPECT_STREQ(kv[3].value, "\xc3\xa9");
    gk_arena_free(a);
}

TEST(otlp_kv_list_rejects_bad_members_without_quoting_values)
{
    gk_arena *a = gk_arena_new(0);
    gk__otlp_kv *kv = NULL;
    size_t n = 0;
    gk_error err = {0};

    EXPECT_EQ(gk__otlp_parse_kv(a, "a=1,novalue", 11, &kv, &n, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "member 2 has no '='");
    EXPECT_EQ(gk__otlp_parse_kv(a, "=1", 2, &kv, &n, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "member 1 has an empty key");
    EXPECT_EQ(gk__otlp_parse_kv(a, "k=secret%2", 10, &kv, &n, &err), GK_INVALID_ARGUMENT);
    EXPECT_TRUE(strstr(err.message, "member 1 (\"k\") has a bad value") == err.message);
    EXPECT_TRUE(strstr(err.message, "secret") == NULL);
    EXPECT_EQ(gk__otlp_parse_kv(a, "k=%0a", 5, &kv, &n, &err), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk__otlp_parse_kv(a, "k=%ff", 5, &kv, &n, &err), GK_INVALID_ARGUMENT);
    EXPECT_EQ(n, 0);
    gk_arena_free(a);
}

TEST(otlp_settings_follow_the_otel_variables_and_their_precedence)
{
    clear_otel_env();
    gk__log_configure(GK_LOG_ERROR, -1, -1); /* the bad entries below are warned about */
    EXPECT_TRUE(gk__otlp_settings_new(NULL) == NULL); /* no endpoint: off */

    setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/", 1);
    setenv("OTEL_SERVICE_NAME", "recipes", 1);
    setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored,deployment.environment=prod%20eu", 1);
    setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=abc%3D,Content-Type=text/plain,bad name=1", 1);
    setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64", 1);
    gk__otlp_settings *s = gk__otlp_settings_new(NULL);
    ASSERT_TRUE(s);
    EXPECT_STREQ(s->url, "http://collector:4318/v1/traces");
    EXPECT_STREQ(s->headers[0], "Content-Type: application/json");
    EXPECT_STREQ(s->headers[1], "x-api-key: abc=");
    EXPECT_TRUE(s->headers[2] == NULL); /* content-type is ours; "bad name" is not a token */
    EXPECT_STREQ(s->prefix,
                 "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
                 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"recipes\"}},"
                 "{\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"prod eu\"}}]},"
                 "\"scopeSpans\":[{\"scope\":{\"name\":\"genkit-tracer\",\"version\":\"v1\"},"
                 "\"spans\":[");
    EXPECT_EQ(s->batch_spans, 64);
    EXPECT_EQ(s->batch_delay_ms, GK__OTLP_DEFAULT_DELAY_MS);
    EXPECT_EQ(s->max_queue_spans, GK__OTLP_DEFAULT_QUEUE_SPANS);
    gk__otlp_settings_unref(s);

    /* The traces endpoint is used as-is and wins over the base endpoint and the config file. */
    setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://otel.example/custom", 1);
    s = gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "http://from-config:4318"});
    ASSERT_TRUE(s);
    EXPECT_STREQ(s->url, "https://otel.example/custom");
    gk__otlp_settings_unref(s);
    unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");

    /* The config file's endpoint wins over OTEL_EXPORTER_OTLP_ENDPOINT (config.c already applied
     * that variable to it); service.name from the resource attributes is the fallback. */
    unsetenv("OTEL_SERVICE_NAME");
    setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from%20attrs", 1);
    s = gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "http://from-config:4318"});
    ASSERT_TRUE(s);
    EXPECT_STREQ(s->url, "http://from-config:4318/v1/traces");
    EXPECT_TRUE(strstr(s->prefix, "{\"stringValue\":\"from attrs\"}") != NULL);
    gk__otlp_settings_unref(s);

    /* A malformed list is discarded whole. */
    setenv("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken", 1);
    s = gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "http://c", .service_name = "svc"});
    ASSERT_TRUE(s);
    EXPECT_STREQ(s->prefix + strlen("{\"resourceSpans\":[{\"resource\":{\"attributes\":["),
                 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc\"}}]},"
                 "\"scopeSpans\":[{\"scope\":{\"name\":\"genkit-tracer\",\"version\":\"v1\"},"
                 "\"spans\":[");
    gk__otlp_settings_unref(s);

    setenv("OTEL_SDK_DISABLED", "true", 1);
    EXPECT_TRUE(gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "http://c"}) == NULL);
    unsetenv("OTEL_SDK_DISABLED");
    setenv("OTEL_TRACES_EXPORTER", "none", 1);
    EXPECT_TRUE(gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "http://c"}) == NULL);
    EXPECT_TRUE(gk__otlp_settings_new(&(gk__otlp_config){.endpoint = "ftp://c"}) == NULL);
    clear_otel_env();
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

/* ---- a small trace, exactly ---- */

static gk_genkit *gk;

static gk_status shout_step(gk_ctx *ctx, void *arg, void *out, gk_error *err)
{
    const OtIn *in = arg;
    if (in->fail)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "", "no %s today", in->word);
    ((OtOut *)out)->text = gk_arena_sprintf(gk_ctx_arena(ctx), "%s!", in->word);
    return GK_OK;
}

static gk_status otlp_flow(gk_ctx *ctx, const OtIn *in, OtOut *out, gk_error *err)
{
    return gk_run(ctx, "shout", shout_step, (void *)in, GK_TYPE_OF(OtOut), out, err);
}

struct run {
    const char *input;
    gk_status st;
};

static void run_fiber(gk_ctx *ctx, void *arg)
{
    struct run *r = arg;
    gk_json *in = NULL;
    gk_json_parse(gk_ctx_arena(ctx), r->input, strlen(r->input), NULL, &in, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_error err = {0};
    r->st = gk_action_run_json(ctx, gk_lookup_action(gk, "/flow/otlpSteps"), in, NULL, NULL, &w,
                               &err);
    gk_buf_release(&b);
}

static gk_status run_flow(const char *input)
{
    struct run r = {.input = input};
    rt_run_fiber(run_fiber, &r, 0);
    return r.st;
}

static void setup(void)
{
    gk_error err = {0};
    clear_otel_env();
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "otlp-test"}, &err);
    GK_DEFINE_FLOW(gk, "otlpSteps", NULL, otlp_flow, OtIn, OtOut, &err);
}

static void teardown(void)
{
    gk__telemetry_shutdown();
    gk_shutdown(gk);
    gk = NULL;
}

static const char *str_at(const gk_json *obj, const char *key)
{
    const gk_json *v = gk_json_get(obj, key);
    return v && v->type == GK_JSON_STRING ? v->str : "";
}

TEST(otlp_exports_a_small_trace_as_exact_json)
{
    setup();
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    char url[128];
    snprintf(url, sizeof(url), "%s/v1/traces", gk_test_server_url(srv));
    gk__telemetry_set_otlp(&(gk__otlp_config){.traces_url = url,
                                              .service_name = "recipes",
                                              .resource_attributes = "deployment.environment=test",
                                              .headers = "x-api-key=s%20cret"});
    EXPECT_TRUE(gk__telemetry_otlp_active());
    EXPECT_FALSE(gk__telemetry_genkit_active());

    EXPECT_EQ(run_flow("{\"word\":\"hi\"}"), GK_OK);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    ASSERT_EQ(gk_test_server_request_count(srv), 1);
    const gk_test_request *r = gk_test_server_request(srv, 0);
    EXPECT_STREQ(r->method, "POST");
    EXPECT_STREQ(r->target, "/v1/traces");
    EXPECT_STREQ(gk_test_request_header(r, "Content-Type"), "application/json");
    EXPECT_STREQ(gk_test_request_header(r, "x-api-key"), "s cret");

    gk_arena *a = gk_arena_new(0);
    gk_json *doc = parse(a, r->body, r->body_len);
    ASSERT_TRUE(doc);
    const gk_json *rs = gk_json_get(doc, "resourceSpans");
    ASSERT_TRUE(rs && rs->count == 1);
    const gk_json *ss = gk_json_get(&rs->items[0], "scopeSpans");
    ASSERT_TRUE(ss && ss->count == 1);
    const gk_json *spans = gk_json_get(&ss->items[0], "spans");
    ASSERT_TRUE(spans && spans->count == 2);
    const gk_json *step = &spans->items[0];
    const gk_json *root = &spans->items[1];
    const char *tid = str_at(root, "traceId");
    const char *root_id = str_at(root, "spanId");
    EXPECT_EQ(strlen(tid), 32);
    EXPECT_EQ(strlen(root_id), 16);
    EXPECT_STREQ(str_at(step, "traceId"), tid);
    /* Times are nanoseconds since the epoch, as strings; the step lies within its flow. */
    EXPECT_EQ(strlen(str_at(root, "startTimeUnixNano")), 19);
    EXPECT_LE(strtoll(str_at(root, "startTimeUnixNano"), NULL, 10),
              strtoll(str_at(step, "startTimeUnixNano"), NULL, 10));
    EXPECT_LE(strtoll(str_at(step, "endTimeUnixNano"), NULL, 10),
              strtoll(str_at(root, "endTimeUnixNano"), NULL, 10));

    char want[4096];
    snprintf(
        want, sizeof(want),
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
        "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"recipes\"}},"
        "{\"key\":\"deployment.environment\",\"value\":{\"stringValue\":\"test\"}}]},"
        "\"scopeSpans\":[{\"scope\":{\"name\":\"genkit-tracer\",\"version\":\"v1\"},\"spans\":["
        "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"parentSpanId\":\"%s\",\"name\":\"shout\","
        "\"kind\":1,\"startTimeUnixNano\":\"%s\",\"endTimeUnixNano\":\"%s\",\"attributes\":["
        "{\"key\":\"genkit:type\",\"value\":{\"stringValue\":\"flowStep\"}},"
        "{\"key\":\"genkit:name\",\"value\":{\"stringValue\":\"shout\"}},"
        "{\"key\":\"genkit:path\",\"value\":{\"stringValue\":\"/{otlpSteps,t:flow}/"
        "{shout,t:flowStep}\"}},"
        "{\"key\":\"genkit:output\",\"value\":{\"stringValue\":\"{\\\"text\\\":\\\"hi!\\\"}\"}},"
        "{\"key\":\"genkit:state\",\"value\":{\"stringValue\":\"success\"}}],"
        "\"status\":{\"code\":1}},"
        "{\"traceId\":\"%s\",\"spanId\":\"%s\",\"name\":\"otlpSteps\",\"kind\":1,"
        "\"startTimeUnixNano\":\"%s\",\"endTimeUnixNano\":\"%s\",\"attributes\":["
        "{\"key\":\"genkit:type\",\"value\":{\"stringValue\":\"action\"}},"
        "{\"key\":\"genkit:metadata:subtype\",\"value\":{\"stringValue\":\"flow\"}},"
        "{\"key\":\"genkit:key\",\"value\":{\"stringValue\":\"/flow/otlpSteps\"}},"
        "{\"key\":\"genkit:name\",\"value\":{\"stringValue\":\"otlpSteps\"}},"
        "{\"key\":\"genkit:isRoot\",\"value\":{\"boolValue\":true}},"
        "{\"key\":\"genkit:path\",\"value\":{\"stringValue\":\"/{otlpSteps,t:flow}\"}},"
        "{\"key\":\"genkit:input\",\"value\":{\"stringValue\":\"{\\\"word\\\":\\\"hi\\\","
        "\\\"fail\\\":0}\"}},"
        "{\"key\":\"genkit:output\",\"value\":{\"stringValue\":\"{\\\"text\\\":\\\"hi!\\\"}\"}},"
        "{\"key\":\"genkit:state\",\"value\":{\"stringValue\":\"success\"}}],"
        "\"status\":{\"code\":1}}]}]}]}",
        tid, str_at(step, "spanId"), root_id, str_at(step, "startTimeUnixNano"),
        str_at(step, "endTimeUnixNano"), tid, root_id, str_at(root, "startTimeUnixNano"),
        str_at(root, "endTimeUnixNano"));
    EXPECT_STREQ(r->body, want);

    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_submitted, 2);
    EXPECT_EQ(st.otlp_sent, 2);
    EXPECT_EQ(st.otlp_posts, 1);
    EXPECT_EQ(st.submitted, 0); /* no TraceData without a Genkit telemetry server */
    gk_arena_free(a);
    teardown();
    gk_test_server_stop(srv);
}

TEST(otlp_failed_span_has_error_status_and_an_exception_event)
{
    setup();
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = gk_test_server_url(srv)});

    EXPECT_EQ(run_flow("{\"word\":\"hi\",\"fail\":1}"), GK_FAILED_PRECONDITION);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    ASSERT_EQ(gk_test_server_request_count(srv), 1);
    const gk_test_request *r = gk_test_server_request(srv, 0);
    EXPECT_STREQ(r->target, "/v1/traces");
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = parse(a, r->body, r->body_len);
    ASSERT_TRUE(doc);
    const gk_json *spans = gk_json_get(
        &gk_json_get(&gk_json_get(doc, "resourceSpans")->items[0], "scopeSpans")->items[0],
        "spans");
    ASSERT_TRUE(spans && spans->count == 2);
    const gk_json *step = &spans->items[0];
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, gk_json_get(step, "status"));
    EXPECT_STREQ(b.ptr, "{\"code\":2,\"message\":\"no hi today\"}");
    gk_buf_reset(&b);
    const gk_json *events = gk_json_get(step, "events");
    ASSERT_TRUE(events && events->count == 1);
    EXPECT_STREQ(str_at(&events->items[0], "timeUnixNano"), str_at(step, "endTimeUnixNano"));
    gk_json_write(&b, gk_json_get(&events->items[0], "name"));
    gk_json_write(&b, gk_json_get(&events->items[0], "attributes"));
    EXPECT_STREQ(b.ptr, "\"exception\"["
                        "{\"key\":\"exception.type\",\"value\":{\"stringValue\":"
                        "\"FAILED_PRECONDITION\"}},"
                        "{\"key\":\"exception.message\",\"value\":{\"stringValue\":"
                        "\"no hi today\"}}]");
    gk_buf_reset(&b);
    /* The step is where it failed; the flow failed because of it. */
    const gk_json *attrs = gk_json_get(step, "attributes");
    const gk_json *last = &attrs->items[attrs->count - 1];
    gk_json_write(&b, last);
    EXPECT_STREQ(b.ptr, "{\"key\":\"genkit:isFailureSource\",\"value\":{\"boolValue\":true}}");
    EXPECT_TRUE(gk_json_get(&spans->items[1], "events") != NULL);
    gk_buf_release(&b);
    gk_arena_free(a);
    teardown();
    gk_test_server_stop(srv);
}

/* ---- batching, retry, drops (spans submitted directly) ---- */

TEST(otlp_batches_spans_from_several_traces_into_one_post)
{
    clear_otel_env();
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = gk_test_server_url(srv),
                                              .service_name = "s",
                                              .batch_spans = 3,
                                              .batch_delay_ms = 60000});
    gk__telemetry_submit_otlp(dup_str("{\"name\":\"a\"}"), 12, 1);
    gk__telemetry_submit_otlp(dup_str("{\"name\":\"b\"},{\"name\":\"c\"}"), 25, 2);
    gk__telemetry_submit_otlp(dup_str("{\"name\":\"d\"}"), 12, 1);
    EXPECT_TRUE(gk__telemetry_flush(5000)); /* sends the batch still waiting for its delay */

    ASSERT_EQ(gk_test_server_request_count(srv), 2);
    const char *envelope = "{\"resourceSpans\":[{\"resource\":{\"attributes\":["
                           "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"s\"}}]},"
                           "\"scopeSpans\":[{\"scope\":{\"name\":\"genkit-tracer\","
                           "\"version\":\"v1\"},\"spans\":[";
    char want[1024];
    snprintf(want, sizeof(want), "%s{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]}]}]}",
             envelope);
    EXPECT_STREQ(gk_test_server_request(srv, 0)->body, want);
    snprintf(want, sizeof(want), "%s{\"name\":\"d\"}]}]}]}", envelope);
    EXPECT_STREQ(gk_test_server_request(srv, 1)->body, want);
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_submitted, 4);
    EXPECT_EQ(st.otlp_sent, 4);
    EXPECT_EQ(st.otlp_posts, 2);
    gk__telemetry_shutdown();
    gk_test_server_stop(srv);
}

TEST(otlp_retries_503_and_429_with_backoff_then_succeeds)
{
    clear_otel_env();
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk_test_server_push(srv, &(gk_test_response){.status = 503, .body = "busy"});
    gk_test_server_push(srv, &(gk_test_response){.status = 429, .body = "slow down"});
    gk__telemetry_set_otlp(&(gk__otlp_config){
        .endpoint = gk_test_server_url(srv), .batch_spans = 1, .backoff_ms = 10});

    gk__telemetry_submit_otlp(dup_str("{\"name\":\"x\"}"), 12, 1);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    ASSERT_EQ(gk_test_server_request_count(srv), 3);
    EXPECT_STREQ(gk_test_server_request(srv, 0)->body, gk_test_server_request(srv, 2)->body);
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_posts, 3);
    EXPECT_EQ(st.otlp_retries, 2);
    EXPECT_EQ(st.otlp_sent, 1);
    EXPECT_EQ(st.otlp_failed, 0);
    gk__telemetry_shutdown();
    gk_test_server_stop(srv);
}

TEST(otlp_gives_up_at_once_on_400_and_after_max_attempts_on_503)
{
    clear_otel_env();
    gk__log_configure(GK_LOG_ERROR, -1, -1);
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    gk_test_server_push(srv, &(gk_test_response){.status = 400, .body = "bad"});
    gk_test_server_push(srv, &(gk_test_response){.status = 503});
    gk_test_server_push(srv, &(gk_test_response){.status = 503});
    gk_test_server_push(srv, &(gk_test_response){.status = 503});
    gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = gk_test_server_url(srv),
                                              .batch_spans = 1,
                                              .backoff_ms = 5,
                                              .max_attempts = 3});

    gk__telemetry_submit_otlp(dup_str("{}"), 2, 1);
    EXPECT_TRUE(gk__telemetry_flush(5000));
    gk__telemetry_submit_otlp(dup_str("{}"), 2, 1);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    EXPECT_EQ(gk_test_server_request_count(srv), 4);
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_posts, 4);
    EXPECT_EQ(st.otlp_retries, 2);
    EXPECT_EQ(st.otlp_failed, 2);
    EXPECT_EQ(st.otlp_sent, 0);
    gk__telemetry_shutdown();
    gk_test_server_stop(srv);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(otlp_drops_spans_when_the_collector_is_down_and_the_queue_is_full)
{
    clear_otel_env();
    gk__log_configure(GK_LOG_ERROR, -1, -1);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", gk_test_unused_port());
    /* The first batch's retries hold the exporter (a long backoff) while the queue fills. */
    gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = url,
                                              .batch_spans = 1,
                                              .max_queue_spans = 4,
                                              .backoff_ms = 20000,
                                              .max_attempts = 3});
    gk__telemetry_submit_otlp(dup_str("{}"), 2, 1);
    gk__telemetry_stats st = {0};
    for (int i = 0; i < 500 && st.otlp_posts == 0; i++) {
        usleep(10 * 1000);
        gk__telemetry_get_stats(&st);
    }
    ASSERT_EQ(st.otlp_posts, 1);

    for (int i = 0; i < 10; i++)
        gk__telemetry_submit_otlp(dup_str("{}"), 2, 1);

    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_submitted, 5);
    EXPECT_EQ(st.otlp_dropped, 6);
    EXPECT_EQ(st.otlp_sent, 0);
    /* Shutdown cuts the backoff short and tries what is queued once each. */
    gk__telemetry_shutdown();
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_dropped, 0); /* reset */
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(otlp_without_a_collector_counts_submitted_spans_as_dropped)
{
    clear_otel_env();
    gk__telemetry_set_otlp(NULL);
    EXPECT_FALSE(gk__telemetry_otlp_active());
    gk__telemetry_submit_otlp(dup_str("{}"), 2, 3);
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.otlp_dropped, 3);
    EXPECT_EQ(st.otlp_submitted, 0);
    gk__telemetry_shutdown();
}
