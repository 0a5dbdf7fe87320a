/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/generate_tools_test.c - the tool loop against scripted local replies: requests and
 * responses in the conversation, concurrent tools, failure policies, unknown tools, max_turns,
 * return_tool_requests, per-turn timeouts, streamed indexes, interrupts and resume. */
#include <string.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "test.h"

typedef struct GtAdd {
    int a;
    int b;
} GtAdd;

typedef struct GtSum {
    int sum;
} GtSum;

typedef struct GtAsk {
    const char *question;
} GtAsk;

/* clang-format off */
GK_SCHEMA_DEFINE(GtAdd, "Two numbers",
    GK_FIELD_INT(GtAdd, a, "a", NULL),
    GK_FIELD_INT(GtAdd, b, "b", NULL));
GK_SCHEMA_DEFINE(GtSum, NULL, GK_FIELD_INT(GtSum, sum, "sum", NULL));
GK_SCHEMA_DEFINE(GtAsk, NULL, GK_FIELD_STRING(GtAsk, question, "question", NULL));
/* clang-format on */

static int add_calls;

static gk_status add_tool(gk_ctx *ctx, const GtAdd *in, GtSum *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    add_calls++;
    out->sum = in->a + in->b;
    return GK_OK;
}

/* Sleeps a ms, then answers a + b. */
static gk_status slow_tool(gk_ctx *ctx, const GtAdd *in, GtSum *out, gk_error *err)
{
    gk_status st = gk_sleep(ctx, in->a);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "slow tool cut short");
    out->sum = in->a + in->b;
    return GK_OK;
}

static gk_status failing_tool(gk_ctx *ctx, const GtAdd *in, GtSum *out, gk_error *err)
{
    (void)ctx;
    (void)in;
    (void)out;
    return gk_error_set(err, GK_PERMISSION_DENIED, "", "no access to the pantry");
}

/* Interrupts unless restarted; restarted, answers 42 (or the question's length). */
static gk_status confirm_tool(gk_ctx *ctx, const GtAsk *in, GtSum *out, gk_error *err)
{
    const gk_json *resumed = gk_tool_resumed(ctx);
    if (!resumed)
        return gk_tool_interrupt(ctx, "{\"ask\":\"sure?\"}", err);
    out->sum = resumed->type == GK_JSON_OBJECT ? 42 : (int)strlen(in->question);
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
    if (!GK_DEFINE_TOOL(g, "add", "Adds two numbers", add_tool, GtAdd, GtSum, &err) ||
        !GK_DEFINE_TOOL(g, "slow", "Adds slowly", slow_tool, GtAdd, GtSum, &err) ||
        !GK_DEFINE_TOOL(g, "fail", "Always fails", failing_tool, GtAdd, GtSum, &err) ||
        !GK_DEFINE_TOOL(g, "confirm", "Asks the user", confirm_tool, GtAsk, GtSum, &err)) {
        fprintf(stderr, "define tools: %s\n", err.message);
        gk_shutdown(g);
        return NULL;
    }
    add_calls = 0;
    return g;
}

static void script_json(gk_genkit *g, const char *response_json)
{
    gk_error err = {0};
    gk_status st = gk_local_script(g, "local/default",
                                   &(gk_local_reply){.response_json = response_json}, &err);
    if (st != GK_OK)
        fprintf(stderr, "script: %s %s\n", err.message, err.path);
    EXPECT_EQ(st, GK_OK);
}

static void script_text(gk_genkit *g, const char *text)
{
    gk_error err = {0};
    EXPECT_EQ(gk_local_script(g, "local/default", &(gk_local_reply){.text = text}, &err), GK_OK);
}

/* A model message asking for tools: parts is the JSON of the content array. */
static const char *tool_reply(char *buf, size_t cap, const char *parts)
{
    snprintf(buf, cap,
             "{\"message\":{\"role\":\"model\",\"content\":%s},\"finishReason\":\"stop\"}", parts);
    return buf;
}

struct gt {
    gk_genkit *g;
    gk_generate_opts opts;
    void (*body)(gk_ctx *ctx, struct gt *t);
    gk_status st;
    gk_error err;
    char text[2048];
    char history[8192];
    char message[2048];
    char chunks[2048];
    gk_finish_reason finish;
    int64_t elapsed_ms;
};

static void jappend(char *out, size_t cap, const gk_json *v)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, v);
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

/* The conversation without the first (user) message, one JSON message per line. */
static void record(gk_ctx *ctx, struct gt *t, const gk_generate_response *resp)
{
    gk_arena *a = gk_ctx_arena(ctx);
    const char *text = gk_response_text(a, resp);
    snprintf(t->text, sizeof(t->text), "%s", text ? text : "");
    t->finish = resp->finish_reason;
    gk_message *msgs = NULL;
    size_t n = 0;
    EXPECT_EQ(gk_response_history(a, resp, &msgs, &n, NULL), GK_OK);
    for (size_t i = 1; i < n; i++) {
        gk_buf b = GK_BUF_INIT(0);
        gk_jw w;
        gk_jw_init(&w, &b);
        gk_encode(&w, GK_TYPE_OF(gk_message), &msgs[i]);
        size_t len = strlen(t->history);
        snprintf(t->history + len, sizeof(t->history) - len, "%s\n", b.ptr);
        gk_buf_release(&b);
    }
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_message), &resp->message);
    snprintf(t->message, sizeof(t->message), "%s", b.ptr);
    gk_buf_release(&b);
}

static gk_status collect(const gk_generate_chunk *c, void *arg)
{
    struct gt *t = arg;
    size_t len = strlen(t->chunks);
    snprintf(t->chunks + len, sizeof(t->chunks) - len, "%d:%s|", (int)c->chunk->index,
             gk_role_name(c->chunk->role));
    return GK_OK;
}

static void generate_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    int64_t start = gk_now_ms();
    t->st = gk_generate(ctx, t->g, &t->opts, &resp, &t->err);
    t->elapsed_ms = gk_now_ms() - start;
    if (t->st == GK_OK)
        record(ctx, t, &resp);
}

static void fiber(gk_ctx *ctx, void *arg)
{
    struct gt *t = arg;
    t->body ? t->body(ctx, t) : generate_body(ctx, t);
}

static void run(struct gt *t)
{
    gk_status st = rt_run_fiber(fiber, t, 256 * 1024);
    if (st != GK_OK)
        t->st = st;
}

static const char *const add_only[] = {"add", NULL};

TEST(generate_runs_requested_tools_and_sends_their_responses_back)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(g,
                tool_reply(buf, sizeof(buf),
                           "[{\"toolRequest\":{\"name\":\"add\",\"ref\":\"r1\",\"input\":{\"a\":2,"
                           "\"b\":3}}}]"));
    script_text(g, "the sum is 5");
    struct gt t = {.g = g, .opts = {.prompt = "add 2 and 3", .tools = add_only}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "the sum is 5");
    EXPECT_EQ(add_calls, 1);
    EXPECT_STREQ(
        t.history,
        "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"add\",\"input\":"
        "{\"a\":2,\"b\":3},\"ref\":\"r1\"}}]}\n"
        "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"add\",\"ref\":\"r1\","
        "\"output\":{\"sum\":5}}}]}\n"
        "{\"role\":\"model\",\"content\":[{\"text\":\"the sum is 5\"}]}\n");
    gk_shutdown(g);
}

static void request_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate(ctx, t->g, &t->opts, &resp, &t->err);
    if (t->st == GK_OK) {
        const gk_json *tools = gk_json_get(resp.request, "tools");
        if (tools)
            jappend(t->text, sizeof(t->text), tools);
    }
}

TEST(generate_offers_tool_definitions_with_their_schemas)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script_text(g, "no tools needed");
    gk_action *confirm = gk_lookup(g, GK_ACTION_TOOL, "confirm");
    struct gt t = {.g = g,
                   .body = request_body,
                   .opts = {.prompt = "p",
                            .tools = add_only,
                            .tool_actions = (gk_action *const[]){confirm, NULL}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(
        t.text,
        "[{\"name\":\"add\",\"description\":\"Adds two numbers\",\"inputSchema\":{\"type\":"
        "\"object\",\"description\":\"Two numbers\",\"properties\":{\"a\":{\"type\":"
        "\"integer\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\",\"b\"],"
        "\"additionalProperties\":false},\"outputSchema\":{\"type\":\"object\","
        "\"properties\":{\"sum\":{\"type\":\"integer\"}},\"required\":[\"sum\"],"
        "\"additionalProperties\":false}},{\"name\":\"confirm\",\"description\":\"Asks the "
        "user\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"question\":{\"type\":"
        "\"string\"}},\"required\":[\"question\"],\"additionalProperties\":false},"
        "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"sum\":{\"type\":"
        "\"integer\"}},\"required\":[\"sum\"],\"additionalProperties\":false}}]");
    gk_shutdown(g);
}

TEST(generate_rejects_duplicate_and_unknown_tools)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct gt dup = {
        .g = g, .opts = {.prompt = "p", .tools = (const char *const[]){"add", "/tool/add", NULL}}};
    struct gt unknown = {.g = g,
                         .opts = {.prompt = "p", .tools = (const char *const[]){"nope", NULL}}};

    run(&dup);
    run(&unknown);

    EXPECT_EQ(dup.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(dup.err.message, "tool \"add\" is listed twice");
    EXPECT_EQ(unknown.st, GK_NOT_FOUND);
    EXPECT_STREQ(unknown.err.message, "tool \"nope\" not found");
    gk_shutdown(g);
}

TEST(generate_runs_one_turns_tools_concurrently)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(
        g, tool_reply(buf, sizeof(buf),
                      "[{\"toolRequest\":{\"name\":\"slow\",\"ref\":\"a\",\"input\":{\"a\":100,"
                      "\"b\":1}}},{\"toolRequest\":{\"name\":\"slow\",\"ref\":\"b\",\"input\":"
                      "{\"a\":100,\"b\":2}}}]"));
    script_text(g, "done");
    struct gt t = {.g = g, .opts = {.prompt = "p", .tools = (const char *const[]){"slow", NULL}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_GE(t.elapsed_ms, 100);
    EXPECT_LT(t.elapsed_ms, 180);
    /* Responses keep the request order. */
    EXPECT_CONTAINS(t.history,
                    "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"slow\","
                    "\"ref\":\"a\",\"output\":{\"sum\":101}}},{\"toolResponse\":{\"name\":"
                    "\"slow\",\"ref\":\"b\",\"output\":{\"sum\":102}}}]}");
    gk_shutdown(g);
}

TEST(generate_reports_tool_failures_unknown_tools_and_bad_input_to_the_model)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(
        g, tool_reply(buf, sizeof(buf),
                      "[{\"toolRequest\":{\"name\":\"fail\",\"input\":{\"a\":1,\"b\":1}}},"
                      "{\"toolRequest\":{\"name\":\"ghost\",\"input\":{}}},"
                      "{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":\"x\",\"b\":1}}}]"));
    script_text(g, "sorry");
    struct gt t = {.g = g,
                   .opts = {.prompt = "p", .tools = (const char *const[]){"fail", "add", NULL}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "sorry");
    EXPECT_CONTAINS(
        t.history,
        "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"fail\",\"ref\":"
        "\"0\",\"output\":{\"error\":\"no access to the pantry\"}}},{\"toolResponse\":"
        "{\"name\":\"ghost\",\"ref\":\"1\",\"output\":{\"error\":\"tool \\\"ghost\\\" is "
        "not available: it was not offered\"}}},{\"toolResponse\":{\"name\":\"add\","
        "\"ref\":\"2\",\"output\":{\"error\":\"expected integer, got string\"}}}]}");
    gk_shutdown(g);
}

TEST(generate_with_abort_policy_fails_with_the_tools_error)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(g,
                tool_reply(buf, sizeof(buf),
                           "[{\"toolRequest\":{\"name\":\"fail\",\"input\":{\"a\":1,\"b\":1}}}]"));
    script_json(g, tool_reply(buf, sizeof(buf), "[{\"toolRequest\":{\"name\":\"ghost\"}}]"));
    struct gt failed = {.g = g,
                        .opts = {.prompt = "p",
                                 .tools = (const char *const[]){"fail", NULL},
                                 .tool_errors = GK_TOOL_ERRORS_ABORT}};
    struct gt ghost = failed;

    run(&failed);
    run(&ghost);

    EXPECT_EQ(failed.st, GK_PERMISSION_DENIED);
    EXPECT_STREQ(failed.err.message, "tool \"fail\" failed: no access to the pantry");
    EXPECT_EQ(ghost.st, GK_NOT_FOUND);
    EXPECT_STREQ(ghost.err.message, "model requested tool \"ghost\", which was not offered");
    gk_shutdown(g);
}

TEST(generate_stops_after_max_turns_of_tool_requests)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    for (int i = 0; i < 3; i++)
        script_json(
            g, tool_reply(buf, sizeof(buf),
                          "[{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":1,\"b\":1}}}]"));
    struct gt t = {.g = g, .opts = {.prompt = "p", .tools = add_only, .max_turns = 2}};

    run(&t);

    EXPECT_EQ(t.st, GK_ABORTED);
    EXPECT_STREQ(t.err.message, "exceeded maximum tool call iterations (2)");
    EXPECT_EQ(add_calls, 2);
    gk_shutdown(g);
}

TEST(generate_returns_tool_requests_without_running_them_when_asked)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(
        g, tool_reply(buf, sizeof(buf),
                      "[{\"text\":\"let me add\"},{\"toolRequest\":{\"name\":\"add\",\"input\":"
                      "{\"a\":1,\"b\":1}}}]"));
    struct gt t = {.g = g,
                   .opts = {.prompt = "p", .tools = add_only, .return_tool_requests = true}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_EQ(add_calls, 0);
    EXPECT_STREQ(t.message,
                 "{\"role\":\"model\",\"content\":[{\"text\":\"let me add\"},{\"toolRequest\":"
                 "{\"name\":\"add\",\"input\":{\"a\":1,\"b\":1},\"ref\":\"1\"}}]}");
    gk_shutdown(g);
}

TEST(generate_tool_timeout_reports_a_deadline_to_the_model)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(
        g, tool_reply(buf, sizeof(buf),
                      "[{\"toolRequest\":{\"name\":\"slow\",\"input\":{\"a\":5000,\"b\":1}}}]"));
    script_text(g, "too slow");
    struct gt t = {.g = g,
                   .opts = {.prompt = "p",
                            .tools = (const char *const[]){"slow", NULL},
                            .tool_timeout_ms = 30}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_LT(t.elapsed_ms, 1000);
    EXPECT_CONTAINS(t.history, "\"output\":{\"error\":\"slow tool cut short\"}");
    gk_shutdown(g);
}

static void stream_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate_stream(ctx, t->g, &t->opts, collect, t, &resp, &t->err);
}

TEST(generate_stream_numbers_model_and_tool_messages)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    char buf[512];
    script_json(g,
                tool_reply(buf, sizeof(buf),
                           "[{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":1,\"b\":1}}}]"));
    script_text(g, "two");
    struct gt t = {.g = g, .body = stream_body, .opts = {.prompt = "p", .tools = add_only}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.chunks, "0:model|1:tool|2:model|");
    gk_shutdown(g);
}

/* ---- interrupts ---- */

static const char *const confirm_and_add[] = {"confirm", "add", NULL};

static void script_interrupting_turn(gk_genkit *g)
{
    char buf[512];
    script_json(g, tool_reply(buf, sizeof(buf),
                              "[{\"toolRequest\":{\"name\":\"confirm\",\"ref\":\"c\",\"input\":"
                              "{\"question\":\"delete?\"}}},{\"toolRequest\":{\"name\":\"add\","
                              "\"ref\":\"s\",\"input\":{\"a\":1,\"b\":2}}}]"));
}

TEST(generate_returns_interrupted_with_pending_requests_marked)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script_interrupting_turn(g);
    struct gt t = {.g = g, .opts = {.prompt = "p", .tools = confirm_and_add}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_EQ(t.finish, GK_FINISH_INTERRUPTED);
    EXPECT_STREQ(
        t.message,
        "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"confirm\",\"input\":"
        "{\"question\":\"delete?\"},\"ref\":\"c\"},\"metadata\":{\"interrupt\":{\"ask\":"
        "\"sure?\"}}},{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":1,\"b\":2},"
        "\"ref\":\"s\"},\"metadata\":{\"pendingOutput\":{\"sum\":3}}}]}");
    EXPECT_EQ(gk_local_script_pending(g, "local/default"), 0);
    gk_shutdown(g);
}

/* Generate until interrupted, then resume per t->data's mode: respond, restart, or nothing. */
struct resume_case {
    int mode; /* 0: respond, 1: restart, 2: answer nothing */
};

static void resume_body(gk_ctx *ctx, struct gt *t)
{
    gk_arena *a = gk_ctx_arena(ctx);
    gk_generate_response first;
    t->st = gk_generate(ctx, t->g, &t->opts, &first, &t->err);
    ASSERT_EQ(t->st, GK_OK);
    ASSERT_EQ(first.finish_reason, GK_FINISH_INTERRUPTED);
    const gk_part **interrupts = NULL;
    size_t n = 0;
    ASSERT_EQ(gk_response_interrupts(a, &first, &interrupts, &n), GK_OK);
    ASSERT_EQ(n, 1);
    gk_message *history = NULL;
    size_t count = 0;
    ASSERT_EQ(gk_response_history(a, &first, &history, &count, &t->err), GK_OK);
    gk_generate_opts o = {.messages = history, .message_count = count, .tools = confirm_and_add};
    gk_part answer;
    int mode = t->opts.max_turns == 7 ? 1 : t->opts.max_turns == 8 ? 2 : 0;
    if (mode == 0) {
        gk_json *yes = gk_json_new_string(a, "yes", 3);
        ASSERT_EQ(gk_tool_respond(interrupts[0], yes, &answer, NULL), GK_OK);
        o.resume.respond = &answer;
        o.resume.respond_count = 1;
    } else if (mode == 1) {
        answer = *interrupts[0];
        o.resume.restart = &answer;
        o.resume.restart_count = 1;
        o.resume.metadata_json = "{\"by\":\"user\"}";
    } else {
        gk_part other = gk_part_tool_request("confirm", "other", NULL);
        answer = other;
        o.resume.restart = &answer;
        o.resume.restart_count = 1;
    }
    gk_generate_response second;
    t->st = gk_generate(ctx, t->g, &o, &second, &t->err);
    if (t->st == GK_OK)
        record(ctx, t, &second);
}

TEST(generate_resumes_with_responses_and_pending_outputs)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script_interrupting_turn(g);
    script_text(g, "deleted");
    struct gt t = {.g = g, .body = resume_body, .opts = {.prompt = "p", .tools = confirm_and_add}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "deleted");
    EXPECT_EQ(add_calls, 1);
    EXPECT_STREQ(
        t.history,
        "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"confirm\",\"input\":"
        "{\"question\":\"delete?\"},\"ref\":\"c\"},\"metadata\":{\"resolvedInterrupt\":"
        "{\"ask\":\"sure?\"}}},{\"toolRequest\":{\"name\":\"add\",\"input\":{\"a\":1,\"b\":"
        "2},\"ref\":\"s\"}}]}\n"
        "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"confirm\",\"ref\":"
        "\"c\",\"output\":\"yes\"},\"metadata\":{\"interruptResponse\":true}},"
        "{\"toolResponse\":{\"name\":\"add\",\"ref\":\"s\",\"output\":{\"sum\":3}},"
        "\"metadata\":{\"source\":\"pending\"}}]}\n"
        "{\"role\":\"model\",\"content\":[{\"text\":\"deleted\"}]}\n");
    gk_shutdown(g);
}

TEST(generate_resumes_by_restarting_the_interrupted_tool)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script_interrupting_turn(g);
    script_text(g, "restarted");
    struct gt t = {.g = g,
                   .body = resume_body,
                   .opts = {.prompt = "p", .tools = confirm_and_add, .max_turns = 7}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "restarted");
    EXPECT_CONTAINS(t.history, "{\"toolResponse\":{\"name\":\"confirm\",\"ref\":\"c\",\"output\":"
                               "{\"sum\":42}}}");
    gk_shutdown(g);
}

TEST(generate_resume_must_answer_every_interrupted_request)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    script_interrupting_turn(g);
    struct gt t = {.g = g,
                   .body = resume_body,
                   .opts = {.prompt = "p", .tools = confirm_and_add, .max_turns = 8}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(t.err.message, "tool request \"confirm\" (ref \"c\") has no response: resume must "
                                "respond to or restart every interrupted request");
    gk_shutdown(g);
}

TEST(generate_resume_needs_a_model_message_with_tool_requests_last)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_part answer = gk_part_tool_response("confirm", "c", NULL);
    struct gt t = {.g = g,
                   .opts = {.prompt = "p",
                            .tools = confirm_and_add,
                            .resume = {.respond = &answer, .respond_count = 1}}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(t.err.path, "/resume");
    gk_shutdown(g);
}
