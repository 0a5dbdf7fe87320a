/* SPDX-License-Identifier: Apache-2.0 */
/* tests/telemetry/trace_test.c - spans of actions and steps: the tree (nested steps, branches
 * started with gk_go, nested actions), Genkit's attributes and the TraceData JSON exactly, errors
 * and isFailureSource, realtime posts, requested traces without a sink, and that nothing is traced
 * when no sink is configured. Traces are captured in-process (gk__telemetry_set_capture). */
#include <stdlib.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "telemetry/export.h"
#include "telemetry/trace.h"
#include "support/trace_capture.h"
#include "test.h"

typedef struct TIn {
    const char *word;
    int32_t fail; /* 1: a step fails; 2: the flow fails after its steps; 3: big output */
} TIn;

typedef struct TOut {
    const char *text;
} TOut;

GK_SCHEMA_DEFINE(TIn, NULL, GK_FIELD_STRING(TIn, word, "word", NULL),
                 GK_FIELD_INT(TIn, fail, "fail", NULL, GK_DEFAULT(0)));
GK_SCHEMA_DEFINE(TOut, NULL, GK_FIELD_STRING(TOut, text, "text", NULL));

/* ---- the flows ---- */

static gk_genkit *gk;

static gk_status upper_step(gk_ctx *ctx, void *arg, void *out, gk_error *err)
{
    const TIn *in = arg;
    TOut *o = out;
    (void)ctx;
    if (in->fail == 1)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "", "no %s today", in->word);
    o->text = gk_arena_sprintf(gk_ctx_arena(ctx), "%s!", in->word);
    return GK_OK;
}

static gk_status steps_flow(gk_ctx *ctx, const TIn *in, TOut *out, gk_error *err)
{
    TOut a = {0};
    gk_status st = gk_run(ctx, "shout", upper_step, (void *)in, GK_TYPE_OF(TOut), &a, err);
    if (st != GK_OK)
        return st;
    if (in->fail == 2)
        return gk_error_set(err, GK_ABORTED, "", "changed my mind");
    if (in->fail == 3) {
        char *big = gk_arena_alloc(gk_ctx_arena(ctx), GK__SPAN_IO_CAP + 10);
        memset(big, 'x', GK__SPAN_IO_CAP + 9);
        out->text = big;
        return GK_OK;
    }
    out->text = a.text;
    return GK_OK;
}

struct branch {
    const TIn *in;
    TOut out;
};

static gk_status branch_fn(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct branch *b = arg;
    return gk_run(ctx, "leaf", upper_step, (void *)b->in, GK_TYPE_OF(TOut), &b->out, err);
}

static gk_status fanout_flow(gk_ctx *ctx, const TIn *in, TOut *out, gk_error *err)
{
    struct branch br[2] = {{in, {0}}, {in, {0}}};
    gk_group *g = gk_group_new(ctx, NULL);
    gk_go(g, branch_fn, &br[0]);
    gk_go(g, branch_fn, &br[1]);
    gk_status st = gk_group_wait(g, err);
    out->text = br[0].out.text;
    return st;
}

static gk_status tool_fn(gk_ctx *ctx, const void *in, void *out, gk_stream *s, void *self,
                         gk_error *err)
{
    (void)s;
    (void)self;
    (void)err;
    ((TOut *)out)->text = gk_arena_sprintf(gk_ctx_arena(ctx), "tool:%s", ((const TIn *)in)->word);
    return GK_OK;
}

static gk_status calls_tool_flow(gk_ctx *ctx, const TIn *in, TOut *out, gk_error *err)
{
    return gk_action_run(ctx, gk_lookup(gk, GK_ACTION_TOOL, "lookup"), in, out, NULL, err);
}

static void setup(void)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "trace-test"}, &err);
    GK_DEFINE_FLOW(gk, "steps", NULL, steps_flow, TIn, TOut, &err);
    GK_DEFINE_FLOW(gk, "fanout", NULL, fanout_flow, TIn, TOut, &err);
    GK_DEFINE_FLOW(gk, "callsTool", NULL, calls_tool_flow, TIn, TOut, &err);
    gk_action_desc tool = {.type = GK_ACTION_TOOL,
                           .name = "lookup",
                           .in_type = GK_TYPE_OF(TIn),
                           .out_type = GK_TYPE_OF(TOut),
                           .fn = tool_fn};
    gk_define_action(gk, &tool, &err);
    gk_test_capture_reset();
    gk__telemetry_set_capture(gk_test_capture, NULL);
}

static void teardown(void)
{
    gk__telemetry_shutdown();
    gk_test_capture_reset();
    gk_shutdown(gk);
    gk = NULL;
}

struct run {
    const char *key;
    const char *input;
    gk_status st;
    gk_error err;
    bool request; /* install a trace request first */
    char root_trace[33];
    char root_span[17];
    int roots_seen;
    char ctx_trace[33];
};

static void on_root(gk__span *root, void *arg)
{
    struct run *r = arg;
    r->roots_seen++;
    snprintf(r->root_trace, sizeof(r->root_trace), "%s", gk__span_trace_id(root));
    snprintf(r->root_span, sizeof(r->root_span), "%s", gk__span_id(root));
}

static void run_fiber(gk_ctx *ctx, void *arg)
{
    struct run *r = arg;
    gk_json *in = NULL;
    gk_json_parse(gk_ctx_arena(ctx), r->input, strlen(r->input), NULL, &in, NULL);
    if (r->request) {
        gk__trace_request tr = {.on_root = on_root, .arg = r};
        gk__trace_request_install(ctx, &tr);
    }
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    r->st = gk_action_run_json(ctx, gk_lookup_action(gk, r->key), in, NULL, NULL, &w, &r->err);
    snprintf(r->ctx_trace, sizeof(r->ctx_trace), "%s", gk__ctx_trace_id(ctx));
    gk_buf_release(&b);
}

static struct run run(const char *key, const char *input)
{
    struct run r = {.key = key, .input = input};
    rt_run_fiber(run_fiber, &r, 0);
    return r;
}

/* ---- reading the captured TraceData ---- */

static gk_json *parse(gk_arena *a, const char *text)
{
    gk_json *doc = NULL;
    gk_error err = {0};
    if (gk_json_parse(a, text, strlen(text), NULL, &doc, &err) != GK_OK) {
        fprintf(stderr, "    bad JSON: %s\n", err.message);
        return NULL;
    }
    return doc;
}

/* The span of doc named name. */
static const gk_json *span_named(const gk_json *doc, const char *name)
{
    const gk_json *spans = gk_json_get(doc, "spans");
    for (size_t i = 0; spans && i < spans->count; i++) {
        const gk_json *n = gk_json_get(&spans->items[i], "displayName");
        if (n && strcmp(n->str, name) == 0)
            return &spans->items[i];
    }
    return NULL;
}

static int64_t status_code(const gk_json *span)
{
    const gk_json *v = gk_json_get(gk_json_get(span, "status"), "code");
    return v && v->is_int ? v->integer : -1;
}

/* ---- tests ---- */

TEST(no_sink_means_no_spans_and_no_export)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "t"}, &err);
    GK_DEFINE_FLOW(gk, "steps", NULL, steps_flow, TIn, TOut, &err);
    gk_test_capture_reset();

    struct run r = run("/flow/steps", "{\"word\":\"hi\"}");

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_EQ(gk_test_cap.n, 0);
    EXPECT_STREQ(r.ctx_trace, "");
    gk_shutdown(gk);
}

TEST(flow_with_step_exports_one_trace_with_genkit_attributes)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/steps", "{\"word\":\"hi\"}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    const gk_json *root = span_named(doc, "steps");
    const gk_json *step = span_named(doc, "shout");
    ASSERT_TRUE(root && step);
    EXPECT_EQ(gk_json_get(doc, "spans")->count, 2);
    EXPECT_STREQ(gk_test_json_str(doc, "displayName"), "steps");
    EXPECT_EQ(strlen(gk_test_json_str(doc, "traceId")), 32);
    EXPECT_STREQ(gk_test_json_str(root, "traceId"), gk_test_json_str(doc, "traceId"));
    EXPECT_STREQ(gk_test_json_str(step, "traceId"), gk_test_json_str(doc, "traceId"));
    EXPECT_EQ(strlen(gk_test_json_str(root, "spanId")), 16);
    EXPECT_STREQ(step->key, gk_test_json_str(step, "spanId"));
    /* root */
    EXPECT_TRUE(gk_json_get(root, "parentSpanId") == NULL);
    EXPECT_STREQ(gk_test_span_str(root, "genkit:type"), "action");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:metadata:subtype"), "flow");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:key"), "/flow/steps");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:name"), "steps");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:path"), "/{steps,t:flow}");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:input"), "{\"word\":\"hi\",\"fail\":0}");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:output"), "{\"text\":\"hi!\"}");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:state"), "success");
    EXPECT_TRUE(gk_test_span_true(root, "genkit:isRoot"));
    EXPECT_EQ(status_code(root), 0);
    EXPECT_STREQ(gk_test_json_str(root, "spanKind"), "INTERNAL");
    EXPECT_STREQ(gk_test_json_str(gk_json_get(root, "instrumentationLibrary"), "name"),
                 "genkit-tracer");
    EXPECT_STREQ(gk_test_json_str(gk_json_get(root, "instrumentationLibrary"), "version"), "v1");
    EXPECT_TRUE(gk_json_get(gk_json_get(root, "sameProcessAsParentSpan"), "value")->boolean);
    EXPECT_EQ(gk_json_get(gk_json_get(root, "timeEvents"), "timeEvent")->count, 0);
    EXPECT_EQ(gk_json_get(root, "links")->count, 0);
    EXPECT_TRUE(gk_json_get(root, "endTime")->number >= gk_json_get(root, "startTime")->number);
    EXPECT_TRUE(gk_json_get(root, "startTime")->number > 1.7e12); /* epoch ms */
    EXPECT_TRUE(gk_json_get(doc, "endTime")->number == gk_json_get(root, "endTime")->number);
    /* step */
    EXPECT_STREQ(gk_test_json_str(step, "parentSpanId"), gk_test_json_str(root, "spanId"));
    EXPECT_STREQ(gk_test_span_str(step, "genkit:type"), "flowStep");
    EXPECT_TRUE(gk_test_span_str(step, "genkit:metadata:subtype") == NULL);
    EXPECT_STREQ(gk_test_span_str(step, "genkit:path"), "/{steps,t:flow}/{shout,t:flowStep}");
    EXPECT_STREQ(gk_test_span_str(step, "genkit:output"), "{\"text\":\"hi!\"}");
    EXPECT_TRUE(gk_test_span_str(step, "genkit:input") == NULL);
    EXPECT_FALSE(gk_test_span_true(step, "genkit:isRoot"));
    EXPECT_TRUE(gk_json_get(step, "startTime")->number >= gk_json_get(root, "startTime")->number);
    EXPECT_TRUE(gk_json_get(step, "endTime")->number <= gk_json_get(root, "endTime")->number);
    gk_arena_free(a);
    teardown();
}

TEST(branches_started_with_gk_go_are_children_of_the_flow_span)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/fanout", "{\"word\":\"go\"}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    const gk_json *spans = gk_json_get(doc, "spans");
    EXPECT_EQ(spans->count, 3);
    const gk_json *root = span_named(doc, "fanout");
    ASSERT_TRUE(root);
    size_t leaves = 0;
    for (size_t i = 0; i < spans->count; i++) {
        const gk_json *s = &spans->items[i];
        if (strcmp(gk_test_json_str(s, "displayName"), "leaf") != 0)
            continue;
        leaves++;
        EXPECT_STREQ(gk_test_json_str(s, "parentSpanId"), gk_test_json_str(root, "spanId"));
        EXPECT_STREQ(gk_test_span_str(s, "genkit:path"), "/{fanout,t:flow}/{leaf,t:flowStep}");
    }
    EXPECT_EQ(leaves, 2);
    gk_arena_free(a);
    teardown();
}

TEST(nested_action_span_carries_its_subtype_in_the_path)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/callsTool", "{\"word\":\"w\"}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    const gk_json *root = span_named(doc, "callsTool");
    const gk_json *tool = span_named(doc, "lookup");
    ASSERT_TRUE(root && tool);
    EXPECT_STREQ(gk_test_json_str(tool, "parentSpanId"), gk_test_json_str(root, "spanId"));
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:type"), "action");
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:metadata:subtype"), "tool");
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:key"), "/tool/lookup");
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:path"),
                 "/{callsTool,t:flow}/{lookup,t:action,s:tool}");
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:output"), "{\"text\":\"tool:w\"}");
    gk_arena_free(a);
    teardown();
}

TEST(failing_step_is_the_failure_source_and_its_flow_is_not)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/steps", "{\"word\":\"tea\",\"fail\":1}");

    EXPECT_EQ(r.st, GK_FAILED_PRECONDITION);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    const gk_json *root = span_named(doc, "steps");
    const gk_json *step = span_named(doc, "shout");
    ASSERT_TRUE(root && step);
    EXPECT_STREQ(gk_test_span_str(step, "genkit:state"), "error");
    EXPECT_EQ(status_code(step), 2);
    EXPECT_STREQ(gk_test_json_str(gk_json_get(step, "status"), "message"), "no tea today");
    EXPECT_TRUE(gk_test_span_true(step, "genkit:isFailureSource"));
    EXPECT_TRUE(gk_test_span_str(step, "genkit:output") == NULL);
    const gk_json *ev = gk_json_get(gk_json_get(step, "timeEvents"), "timeEvent");
    ASSERT_TRUE(ev && ev->count == 1);
    const gk_json *ann = gk_json_get(&ev->items[0], "annotation");
    EXPECT_STREQ(gk_test_json_str(ann, "description"), "exception");
    EXPECT_STREQ(gk_test_json_str(gk_json_get(ann, "attributes"), "exception.type"),
                 "FAILED_PRECONDITION");
    EXPECT_STREQ(gk_test_json_str(gk_json_get(ann, "attributes"), "exception.message"),
                 "no tea today");
    EXPECT_TRUE(gk_json_get(&ev->items[0], "time")->number > 1.7e12);
    EXPECT_STREQ(gk_test_span_str(root, "genkit:state"), "error");
    EXPECT_EQ(status_code(root), 2);
    EXPECT_FALSE(gk_test_span_true(root, "genkit:isFailureSource"));
    gk_arena_free(a);
    teardown();
}

TEST(flow_failing_after_a_good_step_is_its_own_failure_source)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/steps", "{\"word\":\"tea\",\"fail\":2}");

    EXPECT_EQ(r.st, GK_ABORTED);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    const gk_json *root = span_named(doc, "steps");
    const gk_json *step = span_named(doc, "shout");
    ASSERT_TRUE(root && step);
    EXPECT_STREQ(gk_test_span_str(step, "genkit:state"), "success");
    EXPECT_FALSE(gk_test_span_true(step, "genkit:isFailureSource"));
    EXPECT_TRUE(gk_test_span_true(root, "genkit:isFailureSource"));
    EXPECT_STREQ(gk_test_json_str(gk_json_get(root, "status"), "message"), "changed my mind");
    gk_arena_free(a);
    teardown();
}

TEST(output_over_the_cap_is_replaced_and_the_span_marked_truncated)
{
    setup();
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/steps", "{\"word\":\"x\",\"fail\":3}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_TRUE(gk_test_cap.n == 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    const gk_json *root = span_named(doc, "steps");
    ASSERT_TRUE(root);
    EXPECT_STREQ(gk_test_span_str(root, "genkit:output"),
                 "\"[truncated: larger than 131072 bytes]\"");
    EXPECT_TRUE(gk_json_get(root, "truncated")->boolean);
    gk_arena_free(a);
    teardown();
}

TEST(realtime_posts_each_span_at_start_with_end_time_zero_and_at_end)
{
    setup();
    gk__telemetry_set_realtime(true);
    gk_arena *a = gk_arena_new(0);

    struct run r = run("/flow/steps", "{\"word\":\"hi\"}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_TRUE(gk_test_cap.n == 4); /* root start, step start, step end, root end */
    gk_json *d[4];
    for (int i = 0; i < 4; i++) {
        d[i] = parse(a, gk_test_cap.body[i]);
        ASSERT_TRUE(d[i]);
        EXPECT_EQ(gk_json_get(d[i], "spans")->count, 1);
    }
    const gk_json *root_start = span_named(d[0], "steps");
    ASSERT_TRUE(root_start);
    EXPECT_EQ(gk_json_get(root_start, "endTime")->number, 0);
    EXPECT_TRUE(gk_test_span_str(root_start, "genkit:state") == NULL);
    EXPECT_EQ(gk_json_get(d[0], "endTime")->number, 0);
    EXPECT_STREQ(gk_test_json_str(d[0], "displayName"), "steps");
    const gk_json *step_start = span_named(d[1], "shout");
    ASSERT_TRUE(step_start);
    EXPECT_EQ(gk_json_get(step_start, "endTime")->number, 0);
    EXPECT_TRUE(gk_json_get(d[1], "displayName") == NULL); /* no root in this post */
    const gk_json *step_end = span_named(d[2], "shout");
    ASSERT_TRUE(step_end);
    EXPECT_STREQ(gk_test_span_str(step_end, "genkit:state"), "success");
    EXPECT_TRUE(gk_json_get(step_end, "endTime")->number > 0);
    const gk_json *root_end = span_named(d[3], "steps");
    ASSERT_TRUE(root_end);
    EXPECT_STREQ(gk_test_span_str(root_end, "genkit:state"), "success");
    EXPECT_TRUE(gk_json_get(d[3], "endTime")->number > 0);
    EXPECT_STREQ(gk_test_json_str(root_end, "spanId"), gk_test_json_str(root_start, "spanId"));
    gk_arena_free(a);
    teardown();
}

TEST(requested_trace_has_ids_without_a_sink_and_reports_its_root_before_the_body_runs)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1, .name = "t"}, &err);
    GK_DEFINE_FLOW(gk, "steps", NULL, steps_flow, TIn, TOut, &err);
    gk_test_capture_reset();
    struct run r = {.key = "/flow/steps", .input = "{\"word\":\"hi\"}", .request = true};

    rt_run_fiber(run_fiber, &r, 0);

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_EQ(r.roots_seen, 1);
    EXPECT_EQ(strlen(r.root_trace), 32);
    EXPECT_EQ(strlen(r.root_span), 16);
    EXPECT_STREQ(r.ctx_trace, r.root_trace);
    EXPECT_EQ(gk_test_cap.n, 0);
    gk_shutdown(gk);
}
