/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/generate_trace_test.c - the spans of the generate loop: one "generate" span (type util)
 * per model turn, the turn's model and tool spans as its children, the next turn nested in the
 * previous one (Genkit JS's shape), inputs (GenerateActionOptions) and outputs when traced, errors
 * in a later turn (isFailureSource only where the error began), max_turns, step names, generate
 * outside any action, the /util/generate action's span standing for the first turn, and nothing
 * exported when nothing is traced. Traces are captured in-process (gk__telemetry_set_capture). */
#include <stdlib.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "telemetry/export.h"
#include "support/trace_capture.h"
#include "test.h"

typedef struct GtrIn {
    const char *prompt;
    int32_t max_turns;
    const char *step_name;
} GtrIn;

typedef struct GtrOut {
    const char *text;
} GtrOut;

typedef struct GtrAdd {
    int a;
    int b;
} GtrAdd;

typedef struct GtrSum {
    int sum;
} GtrSum;

/* clang-format off */
GK_SCHEMA_DEFINE(GtrIn, NULL,
    GK_FIELD_STRING(GtrIn, prompt, "prompt", NULL),
    GK_FIELD_INT(GtrIn, max_turns, "maxTurns", NULL, GK_DEFAULT(0)),
    GK_FIELD_STRING_OPT(GtrIn, step_name, "stepName", NULL));
GK_SCHEMA_DEFINE(GtrOut, NULL, GK_FIELD_STRING(GtrOut, text, "text", NULL));
GK_SCHEMA_DEFINE(GtrAdd, NULL,
    GK_FIELD_INT(GtrAdd, a, "a", NULL),
    GK_FIELD_INT(GtrAdd, b, "b", NULL));
GK_SCHEMA_DEFINE(GtrSum, NULL, GK_FIELD_INT(GtrSum, sum, "sum", NULL));
/* clang-format on */

/* ---- the app ---- */

static gk_genkit *gk;

static gk_status add_tool(gk_ctx *ctx, const GtrAdd *in, GtrSum *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    out->sum = in->a + in->b;
    return GK_OK;
}

static gk_status tool_flow(gk_ctx *ctx, const GtrIn *in, GtrOut *out, gk_error *err)
{
    gk_generate_opts opts = {.prompt = in->prompt,
                             .tools = (const char *const[]){"add", NULL},
                             .max_turns = in->max_turns,
                             .step_name = in->step_name};
    out->text = gk_generate_text(ctx, NULL, &opts, err);
    return out->text ? GK_OK : err->status;
}

static void setup(bool traced)
{
    gk_error err = {0};
    gk = gk_init(&(gk_init_opts){.threads = 1,
                                 .name = "generate-trace-test",
                                 .plugins = (const gk_plugin *const[]){&gk_plugin_local, NULL}},
                 &err);
    ASSERT_TRUE(gk);
    ASSERT_TRUE(GK_DEFINE_FLOW(gk, "toolFlow", NULL, tool_flow, GtrIn, GtrOut, &err));
    ASSERT_TRUE(GK_DEFINE_TOOL(gk, "add", "Adds two numbers", add_tool, GtrAdd, GtrSum, &err));
    gk_test_capture_reset();
    if (traced)
        gk__telemetry_set_capture(gk_test_capture, NULL);
}

static void teardown(void)
{
    gk__telemetry_shutdown();
    gk_test_capture_reset();
    gk_shutdown(gk);
    gk = NULL;
}

static void script(const char *response_json, const char *text, gk_status fail)
{
    gk_error err = {0};
    gk_local_reply r = {.response_json = response_json,
                        .text = text,
                        .status = fail,
                        .error_message = fail ? "upstream is down" : NULL};
    gk_status st = gk_local_script(gk, "local/default", &r, &err);
    if (st != GK_OK)
        fprintf(stderr, "    script: %s %s\n", err.message, err.path);
    EXPECT_EQ(st, GK_OK);
}

static const char add_request[] =
    "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"add\",\"ref\":"
    "\"r1\",\"input\":{\"a\":2,\"b\":3}}}]},\"finishReason\":\"stop\"}";

struct run {
    const char *key;
    const char *input;
    bool direct; /* call gk_generate in the fiber, outside any action */
    gk_status st;
    gk_error err;
    char output[4096];
};

static void run_fiber(gk_ctx *ctx, void *arg)
{
    struct run *r = arg;
    if (r->direct) {
        gk_generate_opts opts = {.prompt = "hi"};
        gk_generate_response resp;
        r->st = gk_generate(ctx, gk, &opts, &resp, &r->err);
        return;
    }
    gk_json *in = NULL;
    gk_json_parse(gk_ctx_arena(ctx), r->input, strlen(r->input), NULL, &in, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    r->st = gk_action_run_json(ctx, gk_lookup_action(gk, r->key), in, NULL, NULL, &w, &r->err);
    snprintf(r->output, sizeof(r->output), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

static struct run run(const char *key, const char *input)
{
    struct run r = {.key = key, .input = input};
    rt_run_fiber(run_fiber, &r, 256 * 1024);
    return r;
}

/* ---- reading the captured TraceData ---- */

static gk_json *parse(gk_arena *a, const char *text)
{
    gk_json *doc = NULL;
    if (!text || gk_json_parse(a, text, strlen(text), NULL, &doc, NULL) != GK_OK)
        return NULL;
    return doc;
}

static size_t span_count(const gk_json *doc)
{
    const gk_json *spans = gk_json_get(doc, "spans");
    return spans ? spans->count : 0;
}

/* The span of doc whose genkit:path is path. */
static const gk_json *span_at(const gk_json *doc, const char *path)
{
    const gk_json *spans = gk_json_get(doc, "spans");
    for (size_t i = 0; spans && i < spans->count; i++) {
        const char *p = gk_test_span_str(&spans->items[i], "genkit:path");
        if (p && strcmp(p, path) == 0)
            return &spans->items[i];
    }
    fprintf(stderr, "    no span at %s\n", path);
    return NULL;
}

static bool is_child(const gk_json *child, const gk_json *parent)
{
    const char *p = gk_test_json_str(child, "parentSpanId");
    return p && strcmp(p, gk_test_json_str(parent, "spanId")) == 0;
}

/* ---- tests ---- */

#define FLOW  "/{toolFlow,t:flow}"
#define TURN1 FLOW "/{generate,t:util}"
#define TURN2 TURN1 "/{generate,t:util}"
#define MODEL "/{local/default,t:action,s:model}"
#define ADDER "/{add,t:action,s:tool}"

TEST(generate_turns_are_nested_util_spans_with_their_model_and_tool_spans)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(add_request, NULL, GK_OK);
    script(NULL, "the sum is 5", GK_OK);

    struct run r = run("/flow/toolFlow", "{\"prompt\":\"add 2 and 3\"}");

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_STREQ(r.output, "{\"text\":\"the sum is 5\"}");
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    EXPECT_EQ(span_count(doc), 6);
    const gk_json *flow = span_at(doc, FLOW);
    const gk_json *turn1 = span_at(doc, TURN1);
    const gk_json *model1 = span_at(doc, TURN1 MODEL);
    const gk_json *tool = span_at(doc, TURN1 ADDER);
    const gk_json *turn2 = span_at(doc, TURN2);
    const gk_json *model2 = span_at(doc, TURN2 MODEL);
    ASSERT_TRUE(flow && turn1 && model1 && tool && turn2 && model2);
    EXPECT_TRUE(is_child(turn1, flow));
    EXPECT_TRUE(is_child(model1, turn1));
    EXPECT_TRUE(is_child(tool, turn1));
    EXPECT_TRUE(is_child(turn2, turn1));
    EXPECT_TRUE(is_child(model2, turn2));
    /* A turn span: Genkit's runInNewSpan with genkit:type util, no subtype and no key. */
    EXPECT_STREQ(gk_test_json_str(turn1, "displayName"), "generate");
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:name"), "generate");
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:type"), "util");
    EXPECT_TRUE(gk_test_span_str(turn1, "genkit:metadata:subtype") == NULL);
    EXPECT_TRUE(gk_test_span_str(turn1, "genkit:key") == NULL);
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:state"), "success");
    EXPECT_STREQ(gk_test_span_str(turn2, "genkit:state"), "success");
    /* Inputs: each turn's request as GenerateActionOptions. */
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:input"),
                 "{\"model\":\"local/default\",\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"text\":\"add 2 and 3\"}]}],\"tools\":[\"add\"]}");
    EXPECT_STREQ(gk_test_span_str(turn2, "genkit:input"),
                 "{\"model\":\"local/default\",\"messages\":[{\"role\":\"user\",\"content\":"
                 "[{\"text\":\"add 2 and 3\"}]},{\"role\":\"model\",\"content\":[{\"toolRequest\":"
                 "{\"name\":\"add\",\"input\":{\"a\":2,\"b\":3},\"ref\":\"r1\"}}]},{\"role\":"
                 "\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"add\",\"ref\":\"r1\","
                 "\"output\":{\"sum\":5}}}]}],\"tools\":[\"add\"]}");
    /* Outputs: a turn encloses the later turns, so both return the final response. */
    EXPECT_STREQ(gk_test_span_str(turn2, "genkit:output"),
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"the sum is 5\"}]},"
                 "\"finishReason\":\"stop\"}");
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:output"),
                 gk_test_span_str(turn2, "genkit:output"));
    /* The model spans keep each turn's own answer. */
    EXPECT_CONTAINS(gk_test_span_str(model1, "genkit:output"), "\"toolRequest\"");
    EXPECT_CONTAINS(gk_test_span_str(model2, "genkit:output"), "the sum is 5");
    EXPECT_STREQ(gk_test_span_str(tool, "genkit:output"), "{\"sum\":5}");
    gk_arena_free(a);
    teardown();
}

TEST(generate_error_in_the_second_turn_fails_every_enclosing_span_but_marks_only_its_origin)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(add_request, NULL, GK_OK);
    script(NULL, NULL, GK_UNAVAILABLE);

    struct run r = run("/flow/toolFlow", "{\"prompt\":\"add 2 and 3\"}");

    EXPECT_EQ(r.st, GK_UNAVAILABLE);
    EXPECT_STREQ(r.err.message, "upstream is down");
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    EXPECT_EQ(span_count(doc), 6);
    const gk_json *model2 = span_at(doc, TURN2 MODEL);
    const gk_json *turn2 = span_at(doc, TURN2);
    const gk_json *turn1 = span_at(doc, TURN1);
    const gk_json *flow = span_at(doc, FLOW);
    const gk_json *model1 = span_at(doc, TURN1 MODEL);
    ASSERT_TRUE(model2 && turn2 && turn1 && flow && model1);
    EXPECT_STREQ(gk_test_span_str(model1, "genkit:state"), "success");
    const gk_json *failed[] = {model2, turn2, turn1, flow};
    for (size_t i = 0; i < 4; i++) {
        EXPECT_STREQ(gk_test_span_str(failed[i], "genkit:state"), "error");
        EXPECT_STREQ(gk_test_json_str(gk_json_get(failed[i], "status"), "message"),
                     "upstream is down");
        EXPECT_TRUE(gk_test_span_str(failed[i], "genkit:output") == NULL);
        EXPECT_EQ(gk_test_span_true(failed[i], "genkit:isFailureSource"), i == 0);
    }
    /* The failed turn still recorded what it was asked. */
    EXPECT_CONTAINS(gk_test_span_str(turn2, "genkit:input"), "\"toolResponse\"");
    gk_arena_free(a);
    teardown();
}

TEST(generate_past_max_turns_fails_in_the_turn_that_asked_for_too_many_tools)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(add_request, NULL, GK_OK);
    script(add_request, NULL, GK_OK);

    struct run r = run("/flow/toolFlow", "{\"prompt\":\"p\",\"maxTurns\":1}");

    EXPECT_EQ(r.st, GK_ABORTED);
    EXPECT_STREQ(r.err.message, "exceeded maximum tool call iterations (1)");
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    const gk_json *turn1 = span_at(doc, TURN1);
    const gk_json *turn2 = span_at(doc, TURN2);
    const gk_json *model2 = span_at(doc, TURN2 MODEL);
    ASSERT_TRUE(turn1 && turn2 && model2);
    EXPECT_STREQ(gk_test_span_str(model2, "genkit:state"), "success");
    EXPECT_TRUE(gk_test_span_true(turn2, "genkit:isFailureSource"));
    EXPECT_STREQ(gk_test_span_str(turn1, "genkit:state"), "error");
    EXPECT_FALSE(gk_test_span_true(turn1, "genkit:isFailureSource"));
    EXPECT_CONTAINS(gk_test_span_str(turn1, "genkit:input"), "\"maxTurns\":1");
    gk_arena_free(a);
    teardown();
}

TEST(generate_step_name_names_the_turn_spans)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(add_request, NULL, GK_OK);
    script(NULL, "5", GK_OK);

    struct run r = run("/flow/toolFlow", "{\"prompt\":\"p\",\"stepName\":\"adding\"}");

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    const gk_json *turn1 = span_at(doc, FLOW "/{adding,t:util}");
    ASSERT_TRUE(turn1);
    EXPECT_STREQ(gk_test_json_str(turn1, "displayName"), "adding");
    EXPECT_CONTAINS(gk_test_span_str(turn1, "genkit:input"), "\"stepName\":\"adding\"");
    EXPECT_TRUE(span_at(doc, FLOW "/{adding,t:util}/{adding,t:util}" MODEL) != NULL);
    gk_arena_free(a);
    teardown();
}

TEST(generate_outside_an_action_is_the_root_of_its_trace)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(NULL, "hello", GK_OK);
    struct run r = {.direct = true};

    rt_run_fiber(run_fiber, &r, 256 * 1024);

    EXPECT_EQ(r.st, GK_OK);
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    EXPECT_EQ(span_count(doc), 2);
    const gk_json *root = span_at(doc, "/{generate,t:util}");
    ASSERT_TRUE(root);
    EXPECT_TRUE(gk_test_span_true(root, "genkit:isRoot"));
    EXPECT_STREQ(gk_test_json_str(doc, "displayName"), "generate");
    EXPECT_TRUE(span_at(doc, "/{generate,t:util}" MODEL) != NULL);
    gk_arena_free(a);
    teardown();
}

TEST(generate_exports_nothing_when_nothing_is_traced)
{
    setup(false);
    script(add_request, NULL, GK_OK);
    script(NULL, "the sum is 5", GK_OK);

    struct run r = run("/flow/toolFlow", "{\"prompt\":\"add 2 and 3\"}");

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_STREQ(r.output, "{\"text\":\"the sum is 5\"}");
    EXPECT_EQ(gk_test_cap.n, 0);
    teardown();
}

#define UTIL "/{generate,t:util}"

TEST(util_generate_action_span_is_the_first_turn_and_later_turns_nest_in_it)
{
    setup(true);
    gk_arena *a = gk_arena_new(0);
    script(add_request, NULL, GK_OK);
    script(NULL, "the sum is 5", GK_OK);
    static const char input[] =
        "{\"model\":\"local/default\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
        "\"add 2 and 3\"}]}],\"tools\":[\"add\"]}";

    struct run r = run("/util/generate", input);

    EXPECT_EQ(r.st, GK_OK);
    EXPECT_CONTAINS(r.output, "\"text\":\"the sum is 5\"");
    ASSERT_EQ(gk_test_cap.n, 1);
    gk_json *doc = parse(a, gk_test_cap.body[0]);
    ASSERT_TRUE(doc);
    EXPECT_EQ(span_count(doc), 5);
    const gk_json *root = span_at(doc, UTIL);
    const gk_json *model1 = span_at(doc, UTIL MODEL);
    const gk_json *tool = span_at(doc, UTIL ADDER);
    const gk_json *turn2 = span_at(doc, UTIL UTIL);
    const gk_json *model2 = span_at(doc, UTIL UTIL MODEL);
    ASSERT_TRUE(root && model1 && tool && turn2 && model2);
    EXPECT_TRUE(gk_test_span_true(root, "genkit:isRoot"));
    EXPECT_STREQ(gk_test_span_str(root, "genkit:type"), "util");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:metadata:subtype"), "util");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:key"), "/util/generate");
    EXPECT_STREQ(gk_test_span_str(root, "genkit:input"), input);
    EXPECT_STREQ(gk_test_span_str(root, "genkit:output"), r.output);
    EXPECT_TRUE(is_child(model1, root));
    EXPECT_TRUE(is_child(tool, root));
    EXPECT_TRUE(is_child(turn2, root));
    EXPECT_TRUE(is_child(model2, turn2));
    EXPECT_TRUE(gk_test_span_str(turn2, "genkit:metadata:subtype") == NULL);
    EXPECT_CONTAINS(gk_test_span_str(turn2, "genkit:input"), "\"toolResponse\"");
    gk_arena_free(a);
    teardown();
}
