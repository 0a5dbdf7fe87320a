/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/traceparent_test.c - W3C trace context: strict parsing of traceparent values,
 * the value for outgoing calls (gk__trace_traceparent), and a flow request with a traceparent
 * header served by the real flow server continuing the caller's trace in the OTLP export, while
 * an invalid header starts a new trace. */
#include <stdlib.h>

#include <genkit/genkit.h>
#include <genkit/http.h>

#include "runtime/rt_helpers.h"
#include "support/test_http_server.h"
#include "telemetry/export.h"
#include "telemetry/otlp.h"
#include "telemetry/trace.h"
#include "test.h"

#define TP_TRACE "4bf92f3577b34da6a3ce929d0e0e4736"
#define TP_SPAN  "00f067aa0ba902b7"
#define TP_VALID "00-" TP_TRACE "-" TP_SPAN "-01"

static bool parses(const char *s)
{
    gk__traceparent tp;
    return gk__traceparent_parse(s, strlen(s), &tp);
}

TEST(traceparent_parse_accepts_the_spec_example_and_reads_its_fields)
{
    gk__traceparent tp;
    ASSERT_TRUE(gk__traceparent_parse(TP_VALID, strlen(TP_VALID), &tp));
    EXPECT_STREQ(tp.trace_id, TP_TRACE);
    EXPECT_STREQ(tp.span_id, TP_SPAN);
    EXPECT_EQ(tp.flags, 1);
    ASSERT_TRUE(gk__traceparent_parse(" 00-" TP_TRACE "-" TP_SPAN "-00\t", 57, &tp));
    EXPECT_EQ(tp.flags, 0);
    /* A later version may carry more fields after a '-'. */
    EXPECT_TRUE(parses("01-" TP_TRACE "-" TP_SPAN "-09-whatever"));
    EXPECT_TRUE(parses("cc-" TP_TRACE "-" TP_SPAN "-01"));
}

TEST(traceparent_parse_rejects_everything_else)
{
    EXPECT_FALSE(parses(""));
    EXPECT_FALSE(parses("00-" TP_TRACE "-" TP_SPAN "-1"));
    EXPECT_FALSE(parses("00-" TP_TRACE "-" TP_SPAN "-01-"));             /* 00 has no extras */
    EXPECT_FALSE(parses("01-" TP_TRACE "-" TP_SPAN "-01x"));             /* no '-' after */
    EXPECT_FALSE(parses("ff-" TP_TRACE "-" TP_SPAN "-01"));              /* forbidden version */
    EXPECT_FALSE(parses("00-4BF92F3577B34DA6A3CE929D0E0E4736-" TP_SPAN "-01")); /* upper case */
    EXPECT_FALSE(parses("00-00000000000000000000000000000000-" TP_SPAN "-01"));
    EXPECT_FALSE(parses("00-" TP_TRACE "-0000000000000000-01"));
    EXPECT_FALSE(parses("00-" TP_TRACE "-" TP_SPAN "-0g"));
    EXPECT_FALSE(parses("00_" TP_TRACE "-" TP_SPAN "-01"));
    EXPECT_FALSE(parses("0x-" TP_TRACE "-" TP_SPAN "-01"));
    EXPECT_FALSE(parses("00-" TP_TRACE "z" TP_SPAN "-01"));
    gk__traceparent tp;
    EXPECT_FALSE(gk__traceparent_parse(NULL, 0, &tp));
    EXPECT_FALSE(gk__traceparent_parse(TP_VALID, 54, &tp)); /* cut short */
}

/* ---- the value for outgoing calls ---- */

typedef struct TpIn {
    const char *word;
} TpIn;

GK_SCHEMA_DEFINE(TpIn, NULL, GK_FIELD_STRING(TpIn, word, "word", NULL));

static gk_genkit *gk;

struct seen {
    char inside[GK__TRACEPARENT_SIZE];
    char trace_id[33];
    char span_id[17];
    bool had;
};
static struct seen seen;

static gk_status echo_flow(gk_ctx *ctx, const TpIn *in, TpIn *out, gk_error *err)
{
    (void)err;
    seen.had = gk__trace_traceparent(ctx, seen.inside);
    gk__span *s = gk__span_current(ctx);
    snprintf(seen.trace_id, sizeof(seen.trace_id), "%s", gk__span_trace_id(s));
    snprintf(seen.span_id, sizeof(seen.span_id), "%s", gk__span_id(s));
    out->word = in->word;
    return GK_OK;
}

static void noop_capture(const char *body, size_t len, void *arg)
{
    (void)body;
    (void)len;
    (void)arg;
}

struct run {
    const char *header; /* traceparent to continue, or NULL */
    gk_status st;
    char before[GK__TRACEPARENT_SIZE];
    bool had_before;
    char after[GK__TRACEPARENT_SIZE];
    bool had_after;
};

static void run_fiber(gk_ctx *ctx, void *arg)
{
    struct run *r = arg;
    if (r->header) {
        gk__traceparent tp;
        if (gk__traceparent_parse(r->header, strlen(r->header), &tp))
            gk__trace_continue(ctx, &tp);
    }
    r->had_before = gk__trace_traceparent(ctx, r->before);
    gk_json *in = NULL;
    gk_json_parse(gk_ctx_arena(ctx), "{\"word\":\"x\"}", 12, NULL, &in, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_error err = {0};
    r->st = gk_action_run_json(ctx, gk_lookup_action(gk, "/flow/tpEcho"), in, NULL, NULL, &w, &err);
    gk_buf_release(&b);
    r->had_after = gk__trace_traceparent(ctx, r->after);
}

static void define(void)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "tp-test"}, &err);
    GK_DEFINE_FLOW(gk, "tpEcho", NULL, echo_flow, TpIn, TpIn, &err);
    memset(&seen, 0, sizeof(seen));
}

TEST(traceparent_for_outgoing_calls_names_the_current_span)
{
    define();
    gk__telemetry_set_capture(noop_capture, NULL);
    struct run r = {0};
    rt_run_fiber(run_fiber, &r, 0);

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_FALSE(r.had_before);
    EXPECT_STREQ(r.before, "");
    ASSERT_TRUE(seen.had);
    char want[GK__TRACEPARENT_SIZE];
    snprintf(want, sizeof(want), "00-%s-%s-01", seen.trace_id, seen.span_id);
    EXPECT_STREQ(seen.inside, want);
    EXPECT_EQ(strlen(seen.inside), 55);
    EXPECT_FALSE(r.had_after); /* the span ended: nothing current */
    gk__telemetry_shutdown();
    gk_shutdown(gk);
}

TEST(traceparent_continued_without_a_sink_is_passed_on_unchanged)
{
    define();
    struct run r = {.header = TP_VALID};
    rt_run_fiber(run_fiber, &r, 0);

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_TRUE(r.had_before);
    EXPECT_STREQ(r.before, TP_VALID);
    EXPECT_STREQ(seen.inside, TP_VALID); /* not traced: the caller's span is the parent */
    EXPECT_STREQ(seen.span_id, "");
    gk_shutdown(gk);
}

TEST(traceparent_continued_with_a_sink_makes_the_flow_span_a_child)
{
    define();
    gk__telemetry_set_capture(noop_capture, NULL);
    struct run r = {.header = TP_VALID};
    rt_run_fiber(run_fiber, &r, 0);

    EXPECT_STREQ(seen.trace_id, TP_TRACE);
    EXPECT_NE(strcmp(seen.span_id, TP_SPAN), 0);
    char want[GK__TRACEPARENT_SIZE];
    snprintf(want, sizeof(want), "00-%s-%s-01", TP_TRACE, seen.span_id);
    EXPECT_STREQ(seen.inside, want);
    gk__telemetry_stats st;
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.submitted, 1);

    /* An unsampled caller: parent-based sampling records nothing, and the flags pass on. */
    gk__telemetry_shutdown();
    gk__telemetry_set_capture(noop_capture, NULL);
    struct run r2 = {.header = "00-" TP_TRACE "-" TP_SPAN "-00"};
    rt_run_fiber(run_fiber, &r2, 0);
    EXPECT_STREQ(seen.inside, "00-" TP_TRACE "-" TP_SPAN "-00");
    gk__telemetry_get_stats(&st);
    EXPECT_EQ(st.submitted, 0);
    gk__telemetry_shutdown();
    gk_shutdown(gk);
}

/* ---- through the flow server ---- */

struct call {
    int port;
    const char *traceparent;
    int status;
};

static void call_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/tpEcho", c->port);
    const char *line = gk_arena_sprintf(gk_ctx_arena(ctx), "traceparent: %s", c->traceparent);
    const char *headers[] = {"Content-Type: application/json", line, NULL};
    gk_http_request req = {.method = "POST",
                           .url = url,
                           .headers = headers,
                           .body = GK_STR("{\"data\":{\"word\":\"w\"}}"),
                           .timeout_ms = 5000};
    gk_http_response *resp = NULL;
    gk_error err = {0};
    if (gk_http_fetch(ctx, &req, &resp, &err) == GK_OK)
        c->status = gk_http_response_status(resp);
}

/* The OTLP span the collector received in request i: its traceId and parentSpanId ("" if none). */
static void exported_ids(gk_test_server *srv, size_t i, char trace[33], char parent[17])
{
    trace[0] = parent[0] = '\0';
    const gk_test_request *r = gk_test_server_request(srv, i);
    if (!r)
        return;
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    if (gk_json_parse(a, r->body, r->body_len, NULL, &doc, NULL) == GK_OK) {
        const gk_json *rs = gk_json_get(doc, "resourceSpans");
        const gk_json *ss = rs && rs->count ? gk_json_get(&rs->items[0], "scopeSpans") : NULL;
        const gk_json *sp = ss && ss->count ? gk_json_get(&ss->items[0], "spans") : NULL;
        if (sp && sp->count == 1) {
            const gk_json *t = gk_json_get(&sp->items[0], "traceId");
            const gk_json *p = gk_json_get(&sp->items[0], "parentSpanId");
            snprintf(trace, 33, "%s", t ? t->str : "");
            snprintf(parent, 17, "%s", p ? p->str : "");
        }
    }
    gk_arena_free(a);
}

TEST(traceparent_header_on_a_flow_request_continues_the_callers_trace)
{
    gk_test_server *collector = gk_test_server_start();
    ASSERT_TRUE(collector);
    gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = gk_test_server_url(collector),
                                              .batch_spans = 1});
    define();
    gk_error err = {0};
    gk_server *s =
        gk_server_start(gk, &(gk_server_opts){.host = "127.0.0.1", .port = -1, .quiet = true},
                        &err);
    ASSERT_TRUE(s);

    struct call c = {.port = gk_server_port(s), .traceparent = TP_VALID};
    rt_run_fiber(call_fiber, &c, 0);
    EXPECT_EQ(c.status, 200);
    EXPECT_TRUE(gk__telemetry_flush(5000));
    struct call bad = {.port = gk_server_port(s),
                       .traceparent = "00-4BF92F3577B34DA6A3CE929D0E0E4736-" TP_SPAN "-01"};
    rt_run_fiber(call_fiber, &bad, 0);
    EXPECT_EQ(bad.status, 200);
    EXPECT_TRUE(gk__telemetry_flush(5000));

    ASSERT_EQ(gk_test_server_request_count(collector), 2);
    char trace[33];
    char parent[17];
    exported_ids(collector, 0, trace, parent);
    EXPECT_STREQ(trace, TP_TRACE);
    EXPECT_STREQ(parent, TP_SPAN);
    exported_ids(collector, 1, trace, parent); /* invalid header: a trace of its own */
    EXPECT_EQ(strlen(trace), 32);
    EXPECT_NE(strcmp(trace, TP_TRACE), 0);
    EXPECT_STREQ(parent, "");

    gk_server_stop(s);
    gk__telemetry_shutdown();
    gk_shutdown(gk);
    gk_test_server_stop(collector);
}
