/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/generate_action_test.c - the /util/generate action (GenerateActionOptions in,
 * GenerateResponse with its request out, GenerateResponseChunk chunks) run as the reflection API
 * runs it (gk_action_run_json) against scripted local replies: registration and schemas, a plain
 * answer, tools by name and by key, streaming, output options, resume after an interrupt,
 * maxTurns, returnToolRequests, what is rejected with which JSON path, and
 * gk_generate_from_options from C. */
#include <string.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "test.h"

typedef struct GaAdd {
    int a;
    int b;
} GaAdd;

typedef struct GaSum {
    int sum;
} GaSum;

typedef struct GaAsk {
    const char *question;
} GaAsk;

/* clang-format off */
GK_SCHEMA_DEFINE(GaAdd, NULL,
    GK_FIELD_INT(GaAdd, a, "a", NULL),
    GK_FIELD_INT(GaAdd, b, "b", NULL));
GK_SCHEMA_DEFINE(GaSum, NULL, GK_FIELD_INT(GaSum, sum, "sum", NULL));
GK_SCHEMA_DEFINE(GaAsk, NULL, GK_FIELD_STRING(GaAsk, question, "question", NULL));
/* clang-format on */

static int add_calls;

static gk_status add_tool(gk_ctx *ctx, const GaAdd *in, GaSum *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    add_calls++;
    out->sum = in->a + in->b;
    return GK_OK;
}

/* Interrupts unless restarted; restarted, answers 42 with resume metadata (an object), else 7. */
static gk_status confirm_tool(gk_ctx *ctx, const GaAsk *in, GaSum *out, gk_error *err)
{
    (void)in;
    const gk_json *resumed = gk_tool_resumed(ctx);
    if (!resumed)
        return gk_tool_interrupt(ctx, "{\"ask\":\"sure?\"}", err);
    out->sum = resumed->type == GK_JSON_OBJECT ? 42 : 7;
    return GK_OK;
}

static gk_genkit *new_genkit(void)
{
    gk_error err = {0};
    gk_genkit *g =
        gk_init(&(gk_init_opts){.threads = 1,
                                .name = "test",
                                .plugins = (const gk_plugin *const[]){&gk_plugin_local, NULL}},
                &err);
    if (!g)
        return NULL;
    if (!GK_DEFINE_TOOL(g, "add", "Adds two numbers", add_tool, GaAdd, GaSum, &err) ||
        !GK_DEFINE_TOOL(g, "confirm", "Asks the user", confirm_tool, GaAsk, GaSum, &err)) {
        gk_shutdown(g);
        return NULL;
    }
    add_calls = 0;
    return g;
}

static void script(gk_genkit *g, const char *response_json, const char *text)
{
    gk_error err = {0};
    gk_status st = gk_local_script(
        g, "local/default", &(gk_local_reply){.response_json = response_json, .text = text}, &err);
    if (st != GK_OK)
        fprintf(stderr, "    script: %s %s\n", err.message, err.path);
    EXPECT_EQ(st, GK_OK);
}

static const char add_request[] =
    "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"add\",\"ref\":"
    "\"r1\",\"input\":{\"a\":2,\"b\":3}}}]},\"finishReason\":\"stop\"}";

/* One run of /util/generate with a JSON input, as the reflection API runs an action. */
struct ga {
    gk_genkit *g;
    const char *input;
    bool stream;
    gk_status st;
    gk_error err;
    char output[8192];
    char chunks[4096]; /* each chunk's JSON, one per line */
};

static gk_status on_chunk(const char *json, size_t len, void *arg)
{
    struct ga *t = arg;
    size_t used = strlen(t->chunks);
    snprintf(t->chunks + used, sizeof(t->chunks) - used, "%.*s\n", (int)len, json);
    return GK_OK;
}

static void ga_fiber(gk_ctx *ctx, void *arg)
{
    struct ga *t = arg;
    gk_json *in = NULL;
    t->st = gk_json_parse(gk_ctx_arena(ctx), t->input, strlen(t->input), NULL, &in, &t->err);
    if (t->st != GK_OK)
        return;
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    t->st = gk_action_run_json(ctx, gk_lookup_action(t->g, "/util/generate"), in,
                               t->stream ? on_chunk : NULL, t, &w, &t->err);
    if (t->st == GK_OK)
        snprintf(t->output, sizeof(t->output), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

static struct ga run(gk_genkit *g, const char *input, bool stream)
{
    struct ga t = {.g = g, .input = input, .stream = stream};
    gk_status st = rt_run_fiber(ga_fiber, &t, 256 * 1024);
    if (st != GK_OK)
        t.st = st;
    return t;
}

#define USER_P "{\"role\":\"user\",\"content\":[{\"text\":\"p\"}]}"

/* ---- registration ---- */

static gk_status never_runs(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                            gk_error *err)
{
    (void)ctx;
    (void)in;
    (void)out;
    (void)stream;
    (void)self;
    return gk_error_set(err, GK_INTERNAL, "", "never runs");
}

TEST(util_generate_is_registered_by_gk_init_with_genkit_schemas)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "bare"}, &err);
    ASSERT_TRUE(g);

    gk_action *a = gk_lookup_action(g, "/util/generate");

    ASSERT_TRUE(a);
    EXPECT_EQ(gk_action_get_type(a), GK_ACTION_UTIL);
    EXPECT_STREQ(gk_action_name(a), "generate");
    EXPECT_TRUE(gk_action_in_type(a) == GK_TYPE_OF(gk_generate_action_options));
    EXPECT_TRUE(gk_action_out_type(a) == GK_TYPE_OF(gk_generate_response));
    EXPECT_TRUE(gk_action_chunk_type(a) == GK_TYPE_OF(gk_generate_response_chunk));
    EXPECT_STREQ(gk_action_metadata(a), "{}");
    EXPECT_EQ(gk_type_validate(GK_TYPE_OF(gk_generate_action_options), &err), GK_OK);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_schema_write_ex(&w, gk_action_in_type(a), GK_SCHEMA_NO_META);
    EXPECT_CONTAINS(b.ptr, "\"required\":[\"messages\"]");
    EXPECT_CONTAINS(b.ptr, "\"maxTurns\":{\"type\":\"integer\"");
    EXPECT_CONTAINS(b.ptr, "\"toolChoice\":{\"type\":\"string\",\"enum\":[\"auto\",\"required\","
                           "\"none\"]");
    EXPECT_CONTAINS(b.ptr, "\"jsonSchema\":{}");
    gk_buf_release(&b);
    /* A plugin cannot take the key. */
    gk_action_desc d = {.type = GK_ACTION_UTIL,
                        .name = "generate",
                        .in_type = GK_TYPE_OF(gk_json),
                        .out_type = GK_TYPE_OF(gk_json),
                        .fn = never_runs};
    EXPECT_TRUE(gk_define_action(g, &d, &err) == NULL);
    EXPECT_EQ(err.status, GK_ALREADY_EXISTS);
    gk_shutdown(g);
}

/* ---- running ---- */

TEST(util_generate_answers_a_prompt_message_with_the_request_filled_in)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, NULL, "hello there");

    struct ga t = run(g,
                      "{\"model\":\"local/default\",\"messages\":[" USER_P "],"
                      "\"config\":{\"temperature\":0.5},\"toolChoice\":\"none\"}",
                      false);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.output,
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"hello there\"}]},"
                 "\"finishReason\":\"stop\",\"request\":{\"messages\":[" USER_P "],"
                 "\"config\":{\"temperature\":0.5},\"toolChoice\":\"none\"}}");
    gk_shutdown(g);
}

TEST(util_generate_without_a_model_uses_the_default_one)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);

    struct ga t =
        run(g, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", false);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_CONTAINS(t.output, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":");
    gk_shutdown(g);
}

TEST(util_generate_runs_tools_named_by_name_and_by_key)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    const char *inputs[] = {
        "{\"messages\":[" USER_P "],\"tools\":[\"add\"]}",
        "{\"messages\":[" USER_P "],\"tools\":[\"/tool/add\"]}",
    };

    for (size_t i = 0; i < 2; i++) {
        script(g, add_request, NULL);
        script(g, NULL, "5");
        struct ga t = run(g, inputs[i], false);

        EXPECT_EQ(t.st, GK_OK);
        EXPECT_CONTAINS(t.output,
                        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"5\"}]}");
        EXPECT_CONTAINS(t.output, "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":"
                                  "\"add\",\"ref\":\"r1\",\"output\":{\"sum\":5}}}]}");
        EXPECT_CONTAINS(t.output, "\"tools\":[{\"name\":\"add\",\"description\":\"Adds two "
                                  "numbers\"");
    }
    EXPECT_EQ(add_calls, 2);
    gk_shutdown(g);
}

TEST(util_generate_streams_model_and_tool_chunks_then_answers)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, add_request, NULL);
    script(g, NULL, "the sum is 5");

    struct ga t = run(g, "{\"messages\":[" USER_P "],\"tools\":[\"add\"]}", true);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.chunks,
                 "{\"role\":\"model\",\"index\":0,\"content\":[{\"toolRequest\":{\"name\":\"add\","
                 "\"input\":{\"a\":2,\"b\":3},\"ref\":\"r1\"}}]}\n"
                 "{\"role\":\"tool\",\"index\":1,\"content\":[{\"toolResponse\":{\"name\":\"add\","
                 "\"ref\":\"r1\",\"output\":{\"sum\":5}}}]}\n"
                 "{\"role\":\"model\",\"index\":2,\"content\":[{\"text\":\"the sum is 5\"}]}\n");
    EXPECT_CONTAINS(t.output, "\"content\":[{\"text\":\"the sum is 5\"}]},\"finishReason\":"
                              "\"stop\",\"request\":");
    gk_shutdown(g);
}

TEST(util_generate_does_not_stream_when_the_caller_does_not)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, NULL, "quiet");

    struct ga t = run(g, "{\"messages\":[" USER_P "]}", false);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.chunks, "");
    gk_shutdown(g);
}

TEST(util_generate_maps_output_options_onto_the_model_request)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, NULL, "```json\n{\"n\":1}\n```");
    script(g, NULL, "{\"n\":2}");

    /* local/default constrains natively: the schema is sent, no instructions. */
    struct ga native = run(g,
                           "{\"messages\":[" USER_P "],\"output\":{\"jsonSchema\":{\"type\":"
                           "\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}},"
                           "\"contentType\":\"application/x-n\"}}",
                           false);
    /* constrained:false and an instructions text: instructions injected, no schema sent. */
    struct ga custom = run(g,
                           "{\"messages\":[" USER_P "],\"output\":{\"format\":\"json\","
                           "\"jsonSchema\":{\"type\":\"object\"},\"constrained\":false,"
                           "\"instructions\":\"Answer {n}.\"}}",
                           false);

    EXPECT_EQ(native.st, GK_OK);
    EXPECT_CONTAINS(native.output,
                    "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\","
                    "\"properties\":{\"n\":{\"type\":\"integer\"}}},\"constrained\":true,"
                    "\"contentType\":\"application/x-n\"}");
    EXPECT_EQ(custom.st, GK_OK);
    EXPECT_CONTAINS(custom.output, "{\"role\":\"user\",\"content\":[{\"text\":\"p\"},{\"text\":"
                                   "\"Answer {n}.\",\"metadata\":{\"purpose\":\"output\"}}]}");
    EXPECT_CONTAINS(custom.output, "\"output\":{\"format\":\"json\",\"contentType\":"
                                   "\"application/json\"}");
    gk_shutdown(g);
}

TEST(util_generate_fails_output_that_does_not_parse_as_the_format)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, NULL, "not json at all");

    struct ga t = run(g, "{\"messages\":[" USER_P "],\"output\":{\"format\":\"json\"}}", false);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(t.err.message, "model output is not valid json");
    gk_shutdown(g);
}

TEST(util_generate_stops_after_max_turns)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, add_request, NULL);
    script(g, add_request, NULL);

    struct ga t = run(g, "{\"messages\":[" USER_P "],\"tools\":[\"add\"],\"maxTurns\":1}", false);

    EXPECT_EQ(t.st, GK_ABORTED);
    EXPECT_STREQ(t.err.message, "exceeded maximum tool call iterations (1)");
    EXPECT_EQ(add_calls, 1);
    gk_shutdown(g);
}

TEST(util_generate_returns_tool_requests_when_asked)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, add_request, NULL);

    struct ga t = run(
        g, "{\"messages\":[" USER_P "],\"tools\":[\"add\"],\"returnToolRequests\":true}", false);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_EQ(add_calls, 0);
    EXPECT_CONTAINS(t.output, "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":"
                              "{\"name\":\"add\",\"input\":{\"a\":2,\"b\":3},\"ref\":\"r1\"}}]},"
                              "\"finishReason\":\"stop\"");
    gk_shutdown(g);
}

/* The interrupted model message of the confirm + add turn, as the first run returns it. */
#define INTERRUPTED                                                                        \
    "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"confirm\",\"input\":"   \
    "{\"question\":\"delete?\"},\"ref\":\"c\"},\"metadata\":{\"interrupt\":{\"ask\":"      \
    "\"sure?\"}}},{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":1,\"b\":2},\"ref\":" \
    "\"s\"},\"metadata\":{\"pendingOutput\":{\"sum\":3}}}]}"

TEST(util_generate_interrupts_and_resumes_through_the_action)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g,
           "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"confirm\","
           "\"ref\":\"c\",\"input\":{\"question\":\"delete?\"}}},{\"toolRequest\":{\"name\":"
           "\"add\",\"ref\":\"s\",\"input\":{\"a\":1,\"b\":2}}}]},\"finishReason\":\"stop\"}",
           NULL);
    script(g, NULL, "deleted");
    script(g, NULL, "restarted");

    struct ga first = run(g, "{\"messages\":[" USER_P "],\"tools\":[\"confirm\",\"add\"]}", false);
    struct ga respond = run(g,
                            "{\"messages\":[" USER_P "," INTERRUPTED "],\"tools\":[\"confirm\","
                            "\"add\"],\"resume\":{\"respond\":[{\"toolResponse\":{\"name\":"
                            "\"confirm\",\"ref\":\"c\",\"output\":\"yes\"}}]}}",
                            false);
    struct ga restart = run(g,
                            "{\"messages\":[" USER_P "," INTERRUPTED "],\"tools\":[\"confirm\","
                            "\"add\"],\"resume\":{\"restart\":[{\"toolRequest\":{\"name\":"
                            "\"confirm\",\"ref\":\"c\"}}],\"metadata\":{\"by\":\"user\"}}}",
                            false);

    EXPECT_EQ(first.st, GK_OK);
    EXPECT_CONTAINS(first.output, "{\"message\":" INTERRUPTED ",\"finishReason\":\"interrupted\","
                                  "\"finishMessage\":\"One or more tool calls resulted in "
                                  "interrupts.\"");
    EXPECT_EQ(respond.st, GK_OK);
    EXPECT_CONTAINS(respond.output, "{\"text\":\"deleted\"}");
    EXPECT_CONTAINS(respond.output,
                    "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"confirm\","
                    "\"ref\":\"c\",\"output\":\"yes\"},\"metadata\":{\"interruptResponse\":true}},"
                    "{\"toolResponse\":{\"name\":\"add\",\"ref\":\"s\",\"output\":{\"sum\":3}},"
                    "\"metadata\":{\"source\":\"pending\"}}]}");
    EXPECT_EQ(restart.st, GK_OK);
    EXPECT_CONTAINS(restart.output, "{\"text\":\"restarted\"}");
    EXPECT_CONTAINS(restart.output, "{\"toolResponse\":{\"name\":\"confirm\",\"ref\":\"c\","
                                    "\"output\":{\"sum\":42}}}");
    EXPECT_EQ(add_calls, 1); /* the first run's; resuming reuses its pending output */
    gk_shutdown(g);
}

/* ---- rejected input ---- */

TEST(util_generate_rejects_bad_options_with_the_json_path)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    static const struct {
        const char *input;
        gk_status st;
        const char *path;
        const char *message;
    } cases[] = {
        {"{}", GK_INVALID_ARGUMENT, "/messages", "missing required field"},
        {"{\"messages\":\"hi\"}", GK_INVALID_ARGUMENT, "/messages", NULL},
        {"{\"messages\":[]}", GK_INVALID_ARGUMENT, "/messages", "messages must not be empty"},
        {"{\"messages\":[{\"role\":\"robot\",\"content\":[]}]}", GK_INVALID_ARGUMENT,
         "/messages/0/role", NULL},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\",\"data\":1}]}]}",
         GK_INVALID_ARGUMENT, "/messages/0/content/0", NULL},
        {"{\"messages\":[" USER_P "],\"maxTurns\":-1}", GK_INVALID_ARGUMENT, "/maxTurns", NULL},
        {"{\"messages\":[" USER_P "],\"maxTurns\":1.5}", GK_INVALID_ARGUMENT, "/maxTurns", NULL},
        {"{\"messages\":[" USER_P "],\"toolChoice\":\"maybe\"}", GK_INVALID_ARGUMENT, "/toolChoice",
         NULL},
        {"{\"messages\":[" USER_P "],\"tools\":[\"add\",\"nope\"]}", GK_NOT_FOUND, "/tools/1",
         "tool \"nope\" not found"},
        {"{\"messages\":[" USER_P "],\"tools\":[\"add\",\"/tool/add\"]}", GK_INVALID_ARGUMENT,
         "/tools/1", "tool \"add\" is listed twice"},
        {"{\"messages\":[" USER_P "],\"tools\":[\"\"]}", GK_INVALID_ARGUMENT, "/tools/0",
         "tool name is empty"},
        {"{\"messages\":[" USER_P "],\"tools\":[\"/model/local/default\"]}", GK_NOT_FOUND,
         "/tools/0", NULL},
        {"{\"model\":\"nobody/none\",\"messages\":[" USER_P "]}", GK_NOT_FOUND, "", NULL},
        {"{\"messages\":[" USER_P "],\"output\":{\"format\":\"yaml\"}}", GK_INVALID_ARGUMENT,
         "/output/format", NULL},
        {"{\"messages\":[" USER_P "],\"output\":{\"instructions\":3}}", GK_INVALID_ARGUMENT,
         "/output/instructions", "expected boolean or string, got number"},
        {"{\"messages\":[" USER_P "],\"output\":{\"jsonSchema\":\"object\"}}", GK_INVALID_ARGUMENT,
         "/output/jsonSchema", NULL},
        {"{\"messages\":[" USER_P "],\"resume\":{\"respond\":[{\"text\":\"yes\"}]}}",
         GK_INVALID_ARGUMENT, "/resume/respond/0", "expected a toolResponse part, got text"},
        {"{\"messages\":[" USER_P "],\"resume\":{\"restart\":[{\"toolResponse\":{\"name\":"
         "\"x\"}}]}}",
         GK_INVALID_ARGUMENT, "/resume/restart/0", NULL},
        {"{\"messages\":[" USER_P "],\"resume\":{\"metadata\":[1]}}", GK_INVALID_ARGUMENT,
         "/resume/metadata", NULL},
        {"{\"messages\":[" USER_P "],\"resume\":{\"respond\":[{\"toolResponse\":{\"name\":"
         "\"x\"}}]}}",
         GK_INVALID_ARGUMENT, "/resume", NULL},
        {"{\"messages\":[" USER_P "],\"use\":[{\"name\":\"retry\"}]}", GK_INVALID_ARGUMENT, "/use",
         "middleware by name (\"retry\") is not supported: genkit-c has no middleware registry; "
         "C code passes gk_generate_opts.use"},
        {"{\"messages\":[" USER_P "],\"resources\":[\"user://x\"]}", GK_INVALID_ARGUMENT,
         "/resources", "resources are not supported"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ga t = run(g, cases[i].input, false);
        if (t.st != cases[i].st || strcmp(t.err.path, cases[i].path) != 0)
            fprintf(stderr, "    case %zu: %s -> %s %s: %s\n", i, cases[i].input,
                    gk_status_name(t.st), t.err.path, t.err.message);
        EXPECT_EQ(t.st, cases[i].st);
        EXPECT_STREQ(t.err.path, cases[i].path);
        if (cases[i].message)
            EXPECT_STREQ(t.err.message, cases[i].message);
    }
    EXPECT_EQ(gk_local_script_pending(g, "local/default"), 0);
    gk_shutdown(g);
}

TEST(util_generate_ignores_null_and_empty_optional_members)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, NULL, "fine");

    struct ga t = run(g,
                      "{\"model\":null,\"messages\":[" USER_P "],\"config\":null,\"tools\":[],"
                      "\"use\":[],\"resources\":[],\"output\":{\"instructions\":null,"
                      "\"jsonSchema\":null},\"stepName\":null,\"unknownMember\":1}",
                      false);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.output, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"fine\"}]},"
                           "\"finishReason\":\"stop\",\"request\":{\"messages\":[" USER_P "]}}");
    gk_shutdown(g);
}

/* ---- from C ---- */

struct from_c {
    gk_genkit *g;
    gk_status st;
    gk_error err;
    char text[256];
    int chunks;
};

static gk_status count_chunk(const gk_generate_chunk *c, void *arg)
{
    (void)c;
    ((struct from_c *)arg)->chunks++;
    return GK_OK;
}

static void from_c_fiber(gk_ctx *ctx, void *arg)
{
    struct from_c *t = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_message m;
    ASSERT_EQ(gk_message_text_init(a, &m, GK_ROLE_USER, "add"), GK_OK);
    const char *tools[] = {"/tool/add"};
    gk_generate_action_options o = {.messages = {&m, 1}, .tools = {tools, 1}};
    gk_generate_response resp;
    t->st = gk_generate_from_options(ctx, t->g, &o, count_chunk, t, &resp, &t->err);
    if (t->st == GK_OK)
        snprintf(t->text, sizeof(t->text), "%s", gk_response_text(a, &resp));
}

TEST(generate_from_options_runs_the_loop_from_c)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script(g, add_request, NULL);
    script(g, NULL, "five");
    struct from_c t = {.g = g};

    ASSERT_EQ(rt_run_fiber(from_c_fiber, &t, 256 * 1024), GK_OK);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "five");
    EXPECT_EQ(add_calls, 1);
    EXPECT_EQ(t.chunks, 3); /* model, tool, model */
    gk_shutdown(g);
}
