/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/local/tests/local_test.c - the local plugin: registration and metadata, deterministic
 * text, schema-valid structured output (decoded into a typed struct), streaming chunks, answers
 * tool requests for the tools a prompt names, answers after tool calls, and scripted replies (tool
 * requests, chunks, errors). */
#include <string.h>

#include <genkit/plugin.h>

#include "core/plugin_host.h"
#include "runtime/rt_helpers.h"
#include "test.h"

typedef enum { LT_EASY, LT_MEDIUM, LT_HARD } LtDifficulty;

typedef struct LtRecipe {
    const char *title;
    const char *prep_time;
    int servings;
    LtDifficulty difficulty;
    GK_ARRAY_OF(gk_text) ingredients;
    GK_ARRAY_OF(gk_text) tips;
    double rating;
    bool has_rating;
    bool vegetarian;
} LtRecipe;

/* clang-format off */
GK_ENUM_DEFINE(LtDifficulty, NULL, "easy", "medium", "hard");
GK_SCHEMA_DEFINE(LtRecipe, "A recipe",
    GK_FIELD_STRING(LtRecipe, title, "title", NULL, GK_MIN_LENGTH(3), GK_MAX_LENGTH(30)),
    GK_FIELD_STRING(LtRecipe, prep_time, "prepTime", NULL),
    GK_FIELD_INT(LtRecipe, servings, "servings", NULL, GK_MINIMUM(1)),
    GK_FIELD_ENUM(LtRecipe, difficulty, "difficulty", LtDifficulty, NULL),
    GK_FIELD_ARRAY(LtRecipe, ingredients, "ingredients", gk_text, NULL, GK_MIN_ITEMS(4)),
    GK_FIELD_ARRAY_OPT(LtRecipe, tips, "tips", gk_text, NULL, GK_MAX_ITEMS(1)),
    GK_FIELD_NUMBER_OPT(LtRecipe, rating, "rating", NULL, GK_MINIMUM(0), GK_MAXIMUM(5)),
    GK_FIELD_BOOL(LtRecipe, vegetarian, "vegetarian", NULL));
/* clang-format on */

static gk_genkit *new_local(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    const gk_plugin *const plugins[] = {&gk_plugin_local, NULL};
    if (g && gk__plugins_init(g, plugins, &err) != GK_OK) {
        fprintf(stderr, "local init: %s\n", err.message);
        gk_shutdown(g);
        return NULL;
    }
    return g;
}

struct call {
    gk_genkit *g;
    const char *model;
    const char *request_json; /* NULL: a user message "prompt" with output.schema = schema */
    const char *prompt;
    const gk_type *schema;
    bool stream;
    gk_status st;
    gk_error err;
    char text[2048];
    char chunks[2048];
    int nchunks;
    size_t tool_requests;
    char tool_name[32];
    char message[2048]; /* the reply's message as JSON */
    gk_finish_reason finish;
};

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct call *c = arg;
    c->nchunks++;
    for (size_t i = 0; i < chunk->content.count; i++) {
        if (chunk->content.items[i].text)
            strncat(c->chunks, chunk->content.items[i].text,
                    sizeof(c->chunks) - strlen(c->chunks) - 1);
    }
    return GK_OK;
}

static void call_in_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_generate_request req = {0};
    if (c->request_json) {
        c->st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), c->request_json,
                               strlen(c->request_json), &req, &c->err);
        if (c->st != GK_OK)
            return;
    } else {
        gk_message m;
        gk_message_text_init(a, &m, GK_ROLE_USER, c->prompt);
        gk_request_add_message(a, &req, &m);
    }
    if (c->schema) {
        gk_buf b = GK_BUF_INIT(1 << 16);
        gk_jw w;
        gk_jw_init(&w, &b);
        gk_schema_write(&w, c->schema);
        gk_json *schema = NULL;
        c->st = gk_json_parse(a, b.ptr, b.len, NULL, &schema, &c->err);
        gk_buf_release(&b);
        if (c->st != GK_OK)
            return;
        req.has_output = true;
        req.output.format = "json";
        req.output.schema = schema;
    }
    gk_generate_response resp;
    c->st =
        gk_model_call(ctx, c->g, c->model, &req, c->stream ? on_chunk : NULL, c, &resp, &c->err);
    if (c->st != GK_OK)
        return;
    snprintf(c->text, sizeof(c->text), "%s", gk_response_text(a, &resp));
    const gk_tool_request **reqs = NULL;
    gk_response_tool_requests(a, &resp, &reqs, &c->tool_requests);
    if (c->tool_requests)
        snprintf(c->tool_name, sizeof(c->tool_name), "%s", reqs[0]->name);
    c->finish = resp.finish_reason;
    gk_buf b = GK_BUF_INIT(sizeof(c->message) - 1);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_message), &resp.message);
    snprintf(c->message, sizeof(c->message), "%s", gk_buf_failed(&b) ? "(too long)" : b.ptr);
    gk_buf_release(&b);
}

static void run(struct call *c)
{
    gk_status st = rt_run_fiber(call_in_fiber, c, 256 * 1024);
    if (st != GK_OK)
        c->st = st;
}

TEST(local_plugin_defines_default_and_echo_with_metadata)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);

    gk_action *a = gk_lookup(g, GK_ACTION_MODEL, "local/default");

    ASSERT_TRUE(a);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "local/echo") != NULL);
    EXPECT_STREQ(gk_action_metadata(a),
                 "{\"model\":{\"label\":\"Local default model\",\"supports\":{\"multiturn\":true,"
                 "\"tools\":true,\"media\":false,\"systemRole\":true,\"toolChoice\":false,"
                 "\"output\":[\"text\",\"json\"],\"constrained\":\"all\"}}}");
    gk_shutdown(g);
}

TEST(local_default_answers_plain_prompts_deterministically)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g, .model = "local/default", .prompt = "Tell me a joke"};

    run(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "You said: \"Tell me a joke\". This answer comes from genkit-c's built-in "
                         "local model; configure a model provider plugin for real answers.");
    EXPECT_EQ(c.finish, GK_FINISH_STOP);
    gk_shutdown(g);
}

TEST(local_echo_answers_the_last_user_message)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g,
                     .model = "local/echo",
                     .request_json = "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":"
                                     "\"sys\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"one "
                                     "\"},{\"text\":\"two\"}]}]}"};

    run(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "one two");
    gk_shutdown(g);
}

TEST(local_default_output_is_valid_for_the_requested_schema)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g,
                     .model = "local/default",
                     .prompt = "A quick dinner with avocado and lime, please",
                     .schema = GK_TYPE_OF(LtRecipe)};

    run(&c);

    ASSERT_EQ(c.st, GK_OK);
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    LtRecipe r;
    EXPECT_EQ(gk_decode_text(a, GK_TYPE_OF(LtRecipe), c.text, strlen(c.text), &r, &err), GK_OK);
    EXPECT_STREQ(err.message, "");
    /* maxLength 30 cuts the title; the topic is cut at a word boundary within 40 bytes. */
    EXPECT_STREQ(r.title, "Title (A quick dinner with avo");
    EXPECT_STREQ(r.prep_time, "Prep time (A quick dinner with avocado and lime,)");
    EXPECT_EQ(r.servings, 2);
    EXPECT_EQ(r.difficulty, LT_EASY);
    ASSERT_EQ(r.ingredients.count, 4);
    EXPECT_STREQ(r.ingredients.items[3], "Ingredients 4 (A quick dinner with avocado and lime,)");
    EXPECT_EQ(r.tips.count, 1);
    EXPECT_TRUE(r.has_rating);
    EXPECT_TRUE(r.rating == 2.5);
    EXPECT_TRUE(r.vegetarian);
    gk_arena_free(a);
    gk_shutdown(g);
}

TEST(local_default_schema_output_honours_lengths_enums_and_bounds)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {
        .g = g,
        .model = "local/default",
        .request_json =
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"output\":{"
            "\"format\":\"json\",\"schema\":{\"type\":\"object\",\"properties\":{"
            "\"code\":{\"type\":\"string\",\"maxLength\":2},"
            "\"long\":{\"type\":\"string\",\"minLength\":12},"
            "\"pick\":{\"enum\":[\"b\",\"a\"]},"
            "\"n\":{\"type\":\"integer\",\"exclusiveMinimum\":10,\"maximum\":20},"
            "\"when\":{\"type\":\"string\",\"format\":\"date\"},"
            "\"maybe\":{\"type\":[\"null\",\"number\"],\"maximum\":-3},"
            "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"boolean\"},\"maxItems\":2}},"
            "\"required\":[\"code\",\"other\"]}}}"};

    run(&c);

    ASSERT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "{\"code\":\"Co\",\"long\":\"Long (x)....\",\"pick\":\"b\",\"n\":15,"
                         "\"when\":\"2026-01-01\",\"maybe\":-3,\"tags\":[true,true],"
                         "\"other\":\"Other (x)\"}");
    gk_shutdown(g);
}

TEST(local_default_streams_its_answer_in_several_chunks)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g, .model = "local/default", .prompt = "stream me", .stream = true};

    run(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_GE(c.nchunks, 3);
    EXPECT_STREQ(c.chunks, c.text);
    gk_shutdown(g);
}

TEST(local_default_reports_tool_results_after_a_tool_turn)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {
        .g = g,
        .model = "local/default",
        .request_json =
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"add\"}]},"
            "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"adder\",\"input\":{"
            "\"a\":2,\"b\":3},\"ref\":\"r1\"}}]},"
            "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"adder\",\"ref\":\"r1\","
            "\"output\":5}}]}]}"};

    run(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "Tool \"adder\" returned 5.");
    gk_shutdown(g);
}

/* Two lookups taking one string, and one tool with a structured input. */
#define LT_TOOLS                                                                                \
    "\"tools\":[{\"name\":\"checkStock\",\"description\":\"Pantry stock of an item\","          \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"item\":{\"type\":\"string\","       \
    "\"maxLength\":10}},\"required\":[\"item\"]}},"                                             \
    "{\"name\":\"checkSeason\",\"description\":\"When an item is in season\","                  \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"item\":{\"type\":\"string\"}}}},"   \
    "{\"name\":\"convert\",\"description\":\"Converts units\",\"inputSchema\":{\"type\":"       \
    "\"object\",\"properties\":{\"amount\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":9}," \
    "\"unit\":{\"enum\":[\"g\",\"oz\"]}},\"required\":[\"amount\",\"unit\"]}}]"

#define LT_USER(text) "{\"role\":\"user\",\"content\":[{\"text\":\"" text "\"}]}"

TEST(local_default_calls_each_named_tool_once_per_quoted_phrase)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {
        .g = g,
        .model = "local/default",
        .stream = true,
        .request_json = "{\"messages\":[" LT_USER(
            "For \\\"tomato\\\" and \\\"a very long name\\\" and \\\"rice\\\": call checkstock "
            "and checkSeason.") "]," LT_TOOLS "}"};

    run(&c);

    ASSERT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.tool_requests, 5);
    /* checkStock's maxLength 10 leaves out the long phrase; convert is not named. */
    EXPECT_STREQ(c.message, "{\"role\":\"model\",\"content\":["
                            "{\"toolRequest\":{\"name\":\"checkStock\",\"input\":{\"item\":"
                            "\"tomato\"},\"ref\":\"checkStock-1\"}},"
                            "{\"toolRequest\":{\"name\":\"checkStock\",\"input\":{\"item\":"
                            "\"rice\"},\"ref\":\"checkStock-2\"}},"
                            "{\"toolRequest\":{\"name\":\"checkSeason\",\"input\":{\"item\":"
                            "\"tomato\"},\"ref\":\"checkSeason-3\"}},"
                            "{\"toolRequest\":{\"name\":\"checkSeason\",\"input\":{\"item\":"
                            "\"a very long name\"},\"ref\":\"checkSeason-4\"}},"
                            "{\"toolRequest\":{\"name\":\"checkSeason\",\"input\":{\"item\":"
                            "\"rice\"},\"ref\":\"checkSeason-5\"}}]}");
    /* The whole turn streams as one chunk without text. */
    EXPECT_EQ(c.nchunks, 1);
    EXPECT_STREQ(c.chunks, "");
    EXPECT_EQ(c.finish, GK_FINISH_STOP);
    gk_shutdown(g);
}

TEST(local_default_generates_tool_input_from_the_schema_without_phrases)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g,
                     .model = "local/default",
                     .request_json = "{\"messages\":[" LT_USER(
                         "Please convert 3 cups. Thanks") "]," LT_TOOLS "}"};

    run(&c);

    ASSERT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.message,
                 "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"convert\","
                 "\"input\":{\"amount\":5,\"unit\":\"g\"},\"ref\":\"convert-1\"}}]}");
    gk_shutdown(g);
}

TEST(local_default_tool_choice_decides_when_no_tool_is_named)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call unnamed = {.g = g,
                           .model = "local/default",
                           .request_json = "{\"messages\":[" LT_USER("hello") "]," LT_TOOLS "}"};
    struct call none = {.g = g,
                        .model = "local/default",
                        .request_json = "{\"messages\":[" LT_USER(
                            "convert") "]," LT_TOOLS ",\"toolChoice\":\"none\"}"};
    struct call required = {.g = g,
                            .model = "local/default",
                            .request_json = "{\"messages\":[" LT_USER(
                                "\\\"salt\\\"") "]," LT_TOOLS ",\"toolChoice\":\"required\"}"};

    run(&unnamed);
    run(&none);
    run(&required);

    EXPECT_EQ(unnamed.st, GK_OK);
    EXPECT_EQ(unnamed.tool_requests, 0);
    EXPECT_CONTAINS(unnamed.text, "You said: \"hello\"");
    EXPECT_EQ(none.st, GK_OK);
    EXPECT_EQ(none.tool_requests, 0);
    EXPECT_CONTAINS(none.text, "You said: \"convert\"");
    EXPECT_EQ(required.st, GK_OK);
    EXPECT_EQ(required.tool_requests, 3);
    EXPECT_STREQ(required.tool_name, "checkStock");
    gk_shutdown(g);
}

TEST(local_default_summarizes_tool_results_instead_of_calling_again)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {
        .g = g,
        .model = "local/default",
        .request_json = "{\"messages\":[" LT_USER(
            "checkStock and checkSeason for \\\"pea\\\"") ","
                                                          "{\"role\":\"model\",\"content\":[{"
                                                          "\"toolRequest\":{\"name\":"
                                                          "\"checkStock\",\"ref\":"
                                                          "\"a\",\"input\":{\"item\":\"pea\"}}},{"
                                                          "\"toolRequest\":{\"name\":"
                                                          "\"checkSeason\","
                                                          "\"ref\":\"b\",\"input\":{\"item\":"
                                                          "\"pea\"}}}]},"
                                                          "{\"role\":\"tool\",\"content\":[{"
                                                          "\"toolResponse\":{\"name\":"
                                                          "\"checkStock\",\"ref\":"
                                                          "\"a\",\"output\":{\"inStock\":false}}},{"
                                                          "\"toolResponse\":{\"name\":"
                                                          "\"checkSeason\","
                                                          "\"ref\":\"b\",\"output\":\"spring\"}}]}]"
                                                          "," LT_TOOLS "}"};

    run(&c);

    ASSERT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.tool_requests, 0);
    EXPECT_STREQ(c.text, "Tool \"checkStock\" returned {\"inStock\":false}. Tool \"checkSeason\" "
                         "returned \"spring\".");
    gk_shutdown(g);
}

TEST(local_default_topic_is_the_prompts_first_sentence)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    struct call c = {.g = g,
                     .model = "local/default",
                     .request_json =
                         "{\"messages\":[" LT_USER("Create a recipe with tomato. It must be "
                                                   "vegan.\\nMore") "],"
                                                                    "\"output\":{\"format\":"
                                                                    "\"json\",\"schema\":{\"type\":"
                                                                    "\"object\",\"properties\":{"
                                                                    "\"title\":{\"type\":"
                                                                    "\"string\"}}}}}"};
    struct call line = {
        .g = g,
        .model = "local/default",
        .request_json = "{\"messages\":[" LT_USER(
            "A soup for 3.5 people\\nvegan") "],"
                                             "\"output\":{\"format\":\"json\",\"schema\":{\"type\":"
                                             "\"object\","
                                             "\"properties\":{\"title\":{\"type\":\"string\"}}}}}"};

    run(&c);
    run(&line);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "{\"title\":\"Title (Create a recipe with tomato)\"}");
    EXPECT_EQ(line.st, GK_OK);
    EXPECT_STREQ(line.text, "{\"title\":\"Title (A soup for 3.5 people)\"}");
    gk_shutdown(g);
}

TEST(scripted_replies_are_consumed_in_order)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    gk_error err = {0};
    static const char *const chunks[] = {
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\"thin\"}]}",
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\"king\"}]}", NULL};
    gk_local_reply tool = {.response_json =
                               "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{"
                               "\"name\":\"weather\",\"input\":{\"city\":\"Oslo\"}}}]},"
                               "\"finishReason\":\"stop\"}",
                           .chunks = chunks};
    gk_local_reply text = {.text = "It is sunny."};
    gk_local_reply fail = {.status = GK_UNAVAILABLE, .error_message = "upstream is down"};
    ASSERT_EQ(gk_local_script(g, "local/default", &tool, &err), GK_OK);
    ASSERT_EQ(gk_local_script(g, "local/default", &text, &err), GK_OK);
    ASSERT_EQ(gk_local_script(g, "local/default", &fail, &err), GK_OK);
    EXPECT_EQ(gk_local_script_pending(g, "local/default"), 3);
    EXPECT_EQ(gk_local_script_pending(g, "local/echo"), 0);

    struct call c1 = {.g = g, .model = "local/default", .prompt = "weather?", .stream = true};
    run(&c1);
    struct call c2 = {.g = g, .model = "local/default", .prompt = "and?", .stream = true};
    run(&c2);
    struct call c3 = {.g = g, .model = "local/default", .prompt = "again"};
    run(&c3);
    struct call c4 = {.g = g, .model = "local/default", .prompt = "done"};
    run(&c4);

    EXPECT_EQ(c1.st, GK_OK);
    EXPECT_EQ(c1.tool_requests, 1);
    EXPECT_STREQ(c1.tool_name, "weather");
    EXPECT_STREQ(c1.chunks, "thinking");
    EXPECT_EQ(c2.st, GK_OK);
    EXPECT_STREQ(c2.text, "It is sunny.");
    EXPECT_EQ(c2.nchunks, 1);
    EXPECT_STREQ(c2.chunks, "It is sunny.");
    EXPECT_EQ(c3.st, GK_UNAVAILABLE);
    EXPECT_STREQ(c3.err.message, "upstream is down");
    EXPECT_EQ(c4.st, GK_OK);
    EXPECT_CONTAINS(c4.text, "You said: \"done\"");
    EXPECT_EQ(gk_local_script_pending(g, "local/default"), 0);
    gk_shutdown(g);
}

TEST(script_rejects_bad_replies_and_unknown_models)
{
    gk_genkit *g = new_local();
    ASSERT_TRUE(g);
    gk_error err = {0};
    gk_local_reply bad_part = {.response_json =
                                   "{\"message\":{\"role\":\"model\",\"content\":[{}]}}"};
    static const char *const bad_chunks[] = {"{\"content\":3}", NULL};
    gk_local_reply bad_chunk = {.text = "x", .chunks = bad_chunks};
    gk_local_reply empty = {0};
    gk_local_reply ok = {.text = "x"};

    EXPECT_EQ(gk_local_script(g, "local/default", &bad_part, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/message/content/0");
    EXPECT_CONTAINS(err.message, "response_json: part must have exactly one of");
    EXPECT_EQ(gk_local_script(g, "local/default", &bad_chunk, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/content");
    EXPECT_CONTAINS(err.message, "chunk 0: ");
    EXPECT_EQ(gk_local_script(g, "local/default", &empty, &err), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_local_script(g, "other/model", &ok, &err), GK_NOT_FOUND);
    EXPECT_EQ(gk_local_script_pending(g, "local/default"), 0);
    /* Replies left over are released at shutdown (LeakSanitizer checks). */
    ASSERT_EQ(gk_local_script(g, "local/echo", &ok, &err), GK_OK);
    ASSERT_EQ(gk_local_script(g, "local/echo", &ok, &err), GK_OK);
    gk_local_script_clear(g, "local/echo");
    EXPECT_EQ(gk_local_script_pending(g, "local/echo"), 0);
    ASSERT_EQ(gk_local_script(g, "local/echo", &ok, &err), GK_OK);
    gk_shutdown(g);
}
