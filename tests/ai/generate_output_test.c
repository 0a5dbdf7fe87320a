/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/generate_output_test.c - gk_generate without tools, against the local model: model
 * resolution, the request built from every option, typed output (native constrained and with
 * instructions), formats, malformed output, streaming aggregation and partial output. */
#include <stdlib.h>
#include <string.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "test.h"

typedef enum { GO_EASY, GO_MEDIUM, GO_HARD } GoLevel;

typedef struct GoRecipe {
    const char *title;
    int servings;
    GoLevel level;
    GK_ARRAY_OF(gk_text) ingredients;
} GoRecipe;

typedef struct GoItem {
    int n;
} GoItem;

typedef GK_ARRAY_OF(GoItem) GoItems;

/* clang-format off */
GK_ENUM_DEFINE(GoLevel, NULL, "easy", "medium", "hard");
GK_SCHEMA_DEFINE(GoRecipe, "A recipe",
    GK_FIELD_STRING(GoRecipe, title, "title", NULL),
    GK_FIELD_INT(GoRecipe, servings, "servings", NULL, GK_MINIMUM(1)),
    GK_FIELD_ENUM(GoRecipe, level, "level", GoLevel, NULL),
    GK_FIELD_ARRAY(GoRecipe, ingredients, "ingredients", gk_text, NULL, GK_MIN_ITEMS(1)));
GK_SCHEMA_DEFINE(GoItem, NULL, GK_FIELD_INT(GoItem, n, "n", NULL));
GK_ARRAY_DEFINE(GoItems, GoItem, "items");
/* clang-format on */

static gk_genkit *new_genkit(const char *default_model)
{
    gk_error err = {0};
    return gk_init(&(gk_init_opts){.threads = 1,
                                   .name = "test",
                                   .default_model = default_model,
                                   .plugins = (const gk_plugin *const[]){&gk_plugin_local, NULL}},
                   &err);
}

static void script(gk_genkit *g, const gk_local_reply *r)
{
    gk_error err = {0};
    gk_status st = gk_local_script(g, "local/default", r, &err);
    if (st != GK_OK)
        fprintf(stderr, "script: %s %s\n", err.message, err.path);
    EXPECT_EQ(st, GK_OK);
}

/* One test case: what to run in the fiber and what came out (copied out of the arena). */
struct gt {
    gk_genkit *g;
    gk_generate_opts opts;
    void (*body)(gk_ctx *ctx, struct gt *t);
    gk_status st;
    gk_error err;
    char text[2048];
    char request[4096];
    char chunks[4096]; /* "index:role:text|" per chunk, then "=> output" where there is one */
    int nchunks;
    gk_finish_reason finish;
    GoRecipe recipe;
    bool recipe_ok;
    char recipe_title[128];
    char recipe_first[128];
    void *data;
};

static void jappend(char *out, size_t cap, const gk_json *v)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, v);
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

static gk_status collect(const gk_generate_chunk *c, void *arg)
{
    struct gt *t = arg;
    size_t len = strlen(t->chunks);
    const char *piece = "";
    for (size_t i = 0; i < c->chunk->content.count; i++) {
        if (c->chunk->content.items[i].text)
            piece = c->chunk->content.items[i].text;
        else if (c->chunk->content.items[i].has_tool_response)
            piece = c->chunk->content.items[i].tool_response.name;
    }
    snprintf(t->chunks + len, sizeof(t->chunks) - len, "%d:%s:%s", (int)c->chunk->index,
             gk_role_name(c->chunk->role), piece);
    if (c->output) {
        len = strlen(t->chunks);
        snprintf(t->chunks + len, sizeof(t->chunks) - len, " => ");
        jappend(t->chunks, sizeof(t->chunks), c->output);
    }
    len = strlen(t->chunks);
    snprintf(t->chunks + len, sizeof(t->chunks) - len, "|");
    t->nchunks++;
    return GK_OK;
}

static void record(gk_ctx *ctx, struct gt *t, const gk_generate_response *resp)
{
    const char *text = gk_response_text(gk_ctx_arena(ctx), resp);
    snprintf(t->text, sizeof(t->text), "%s", text ? text : "");
    t->finish = resp->finish_reason;
    if (resp->request)
        jappend(t->request, sizeof(t->request), resp->request);
}

static void generate_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate(ctx, t->g, &t->opts, &resp, &t->err);
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

TEST(generate_without_a_model_uses_local_default)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    struct gt t = {.g = g, .opts = {.prompt = "Tell me a joke"}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "You said: \"Tell me a joke\". This answer comes from genkit-c's built-in "
                         "local model; configure a model provider plugin for real answers.");
    EXPECT_EQ(t.finish, GK_FINISH_STOP);
    gk_shutdown(g);
}

TEST(generate_uses_the_init_default_model_before_local_default)
{
    gk_genkit *g = new_genkit("local/echo");
    ASSERT_TRUE(g);
    struct gt t = {.g = g, .opts = {.prompt = "echo me"}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "echo me");
    gk_shutdown(g);
}

TEST(generate_model_option_wins_and_unknown_models_are_not_found)
{
    gk_genkit *g = new_genkit("local/default");
    ASSERT_TRUE(g);
    struct gt echo = {.g = g, .opts = {.model = "local/echo", .prompt = "x"}};
    struct gt bad = {.g = g, .opts = {.model = "nope/model", .prompt = "x"}};

    run(&echo);
    run(&bad);

    EXPECT_STREQ(echo.text, "x");
    EXPECT_EQ(bad.st, GK_NOT_FOUND);
    EXPECT_STREQ(bad.err.message,
                 "model \"nope/model\" not found: is its plugin in gk_init_opts.plugins?");
    gk_shutdown(g);
}

TEST(generate_without_any_model_is_invalid_argument)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    char *saved = getenv("GK_MODEL") ? strdup(getenv("GK_MODEL")) : NULL;
    unsetenv("GK_MODEL");
    struct gt t = {.g = g, .opts = {.prompt = "x"}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(t.err.message, "no model: set gk_generate_opts.model");
    if (saved)
        setenv("GK_MODEL", saved, 1);
    free(saved);
    gk_shutdown(g);
}

TEST(generate_model_from_environment_when_nothing_else_names_one)
{
    gk_error err = {0};
    gk_genkit *g =
        gk_init(&(gk_init_opts){.threads = 1,
                                .plugins = (const gk_plugin *const[]){&gk_plugin_local, NULL}},
                &err);
    ASSERT_TRUE(g);
    char *saved = getenv("GK_MODEL") ? strdup(getenv("GK_MODEL")) : NULL;
    setenv("GK_MODEL", "local/echo", 1);
    struct gt t = {.g = g, .opts = {.prompt = "from env"}};

    run(&t);

    EXPECT_STREQ(t.text, "from env");
    if (saved)
        setenv("GK_MODEL", saved, 1);
    else
        unsetenv("GK_MODEL");
    free(saved);
    gk_shutdown(g);
}

TEST(generate_sends_system_history_prompt_parts_config_docs_and_tool_choice)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "ok"});
    gk_part hi = gk_part_text("hi");
    gk_part hello = gk_part_text("hello");
    gk_message history[] = {{.role = GK_ROLE_USER, .content = {&hi, 1}},
                            {.role = GK_ROLE_MODEL, .content = {&hello, 1}}};
    gk_part media = gk_part_media("https://example.com/a.png", "image/png");
    gk_part doc_text = gk_part_text("doc one");
    gk_document doc = {.content = {&doc_text, 1}};
    struct gt t = {.g = g,
                   .opts = {.system = "be brief",
                            .messages = history,
                            .message_count = 2,
                            .prompt = "again",
                            .prompt_parts = &media,
                            .prompt_part_count = 1,
                            .config_json = "{\"temperature\":0.5,\"maxOutputTokens\":10}",
                            .docs = &doc,
                            .doc_count = 1,
                            .tool_choice = GK_TOOL_CHOICE_NONE}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "ok");
    EXPECT_STREQ(t.request,
                 "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"be brief\"}]},"
                 "{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]},"
                 "{\"role\":\"model\",\"content\":[{\"text\":\"hello\"}]},"
                 "{\"role\":\"user\",\"content\":[{\"text\":\"again\"},{\"media\":{\"url\":"
                 "\"https://example.com/a.png\",\"contentType\":\"image/png\"}}]}],"
                 "\"config\":{\"temperature\":0.5,\"maxOutputTokens\":10},\"toolChoice\":\"none\","
                 "\"docs\":[{\"content\":[{\"text\":\"doc one\"}]}]}");
    gk_shutdown(g);
}

TEST(generate_rejects_bad_options)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    struct gt empty = {.g = g, .opts = {0}};
    struct gt turns = {.g = g, .opts = {.prompt = "x", .max_turns = -1}};
    struct gt config = {.g = g, .opts = {.prompt = "x", .config_json = "{\"t\":"}};
    struct gt enums = {.g = g, .opts = {.prompt = "x", .output = {.format = GK_FORMAT_ENUM}}};

    run(&empty);
    run(&turns);
    run(&config);
    run(&enums);

    EXPECT_EQ(empty.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(empty.err.message, "nothing to send: give a prompt, prompt_parts or messages");
    EXPECT_EQ(turns.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(turns.err.message, "max_turns must be >= 0, got -1");
    EXPECT_EQ(config.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(config.err.path, "/config");
    EXPECT_EQ(enums.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(enums.err.message, "enum output needs enum_values or a schema with \"enum\"");
    gk_shutdown(g);
}

static void data_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_opts o = t->opts;
    o.on_chunk = t->opts.on_chunk ? collect : NULL;
    o.chunk_arg = t;
    t->st = gk_generate_data(ctx, t->g, &o, GK_TYPE_OF(GoRecipe), &t->recipe, &t->err);
    if (t->st == GK_OK) {
        t->recipe_ok = true;
        snprintf(t->recipe_title, sizeof(t->recipe_title), "%s", t->recipe.title);
        snprintf(t->recipe_first, sizeof(t->recipe_first), "%s", t->recipe.ingredients.items[0]);
    } else {
        EXPECT_TRUE(t->recipe.title == NULL && t->recipe.servings == 0);
    }
}

TEST(generate_data_decodes_natively_constrained_local_output)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    struct gt t = {.g = g, .body = data_body, .opts = {.prompt = "Pasta with basil"}};

    run(&t);

    ASSERT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.recipe_title, "Title (Pasta with basil)");
    EXPECT_EQ(t.recipe.servings, 2);
    EXPECT_EQ(t.recipe.level, GO_EASY);
    EXPECT_STREQ(t.recipe_first, "Ingredients 1 (Pasta with basil)");
    gk_shutdown(g);
}

static void data_request_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    gk_generate_opts o = t->opts;
    o.output.type = GK_TYPE_OF(GoRecipe);
    t->st = gk_generate(ctx, t->g, &o, &resp, &t->err);
    if (t->st == GK_OK)
        record(ctx, t, &resp);
}

TEST(generate_with_a_type_sends_the_schema_constrained_when_the_model_can)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "{\"title\":\"T\",\"servings\":2,\"level\":\"hard\","
                                        "\"ingredients\":[\"x\"]}"});
    struct gt t = {.g = g, .body = data_request_body, .opts = {.prompt = "p"}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_CONTAINS(t.request, "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\"");
    EXPECT_CONTAINS(t.request, "\"constrained\":true,\"contentType\":\"application/json\"}");
    EXPECT_CONTAINS(t.request, "\"content\":[{\"text\":\"p\"}]}]");
    gk_shutdown(g);
}

TEST(generate_data_with_custom_constrained_appends_instructions_and_parses_fenced_reply)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "Here is your recipe:\n```json\n{\"title\":\"Soup\","
                                        "\"servings\":4,\"level\":\"medium\",\"ingredients\":"
                                        "[\"leek\"]}\n```\nEnjoy!"});
    struct gt t = {
        .g = g,
        .body = data_body,
        .opts = {.system = "You cook.", .prompt = "Soup", .output = {.custom_constrained = true}}};

    run(&t);

    ASSERT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.recipe_title, "Soup");
    EXPECT_EQ(t.recipe.servings, 4);
    EXPECT_EQ(t.recipe.level, GO_MEDIUM);
    EXPECT_STREQ(t.recipe_first, "leek");
    gk_shutdown(g);
}

TEST(generate_instructions_go_to_the_system_message_with_purpose_output)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "{\"title\":\"T\",\"servings\":2,\"level\":\"hard\","
                                        "\"ingredients\":[\"x\"]}"});
    struct gt t = {
        .g = g,
        .body = data_request_body,
        .opts = {.system = "sys", .prompt = "p", .output = {.custom_constrained = true}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_CONTAINS(
        t.request,
        "{\"role\":\"system\",\"content\":[{\"text\":\"sys\"},{\"text\":\"Output should "
        "be in JSON format and conform to the following schema:\\n\\n```\\n{\\\"type\\\"");
    EXPECT_CONTAINS(t.request, "\\n```\\n\",\"metadata\":{\"purpose\":\"output\"}}]}");
    EXPECT_CONTAINS(t.request, "\"output\":{\"format\":\"json\",\"contentType\":"
                               "\"application/json\"}}");
    gk_shutdown(g);
}

TEST(generate_custom_instructions_replace_the_default_and_go_to_the_last_user_message)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "{\"title\":\"T\",\"servings\":2,\"level\":\"hard\","
                                        "\"ingredients\":[\"x\"]}"});
    struct gt t = {.g = g,
                   .body = data_request_body,
                   .opts = {.prompt = "p", .output = {.instructions = "Answer in JSON."}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_CONTAINS(t.request, "{\"role\":\"user\",\"content\":[{\"text\":\"p\"},{\"text\":"
                               "\"Answer in JSON.\",\"metadata\":{\"purpose\":\"output\"}}]}");
    gk_shutdown(g);
}

TEST(generate_data_reports_the_path_of_a_wrong_type_and_quotes_the_output)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "{\"title\":\"T\",\"servings\":\"four\",\"level\":\"hard\","
                                        "\"ingredients\":[\"x\"]}"});
    struct gt t = {.g = g, .body = data_body, .opts = {.prompt = "p"}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(t.err.path, "/servings");
    EXPECT_STREQ(t.err.message, "model output does not match GoRecipe at \"/servings\": expected "
                                "integer, got string (output: \"{\"title\":\"T\",\"servings\":"
                                "\"four\",\"level\":\"hard\",\"ingredients\":[\"x\"]}\")");
    gk_shutdown(g);
}

TEST(generate_data_rejects_output_that_is_not_json)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "Sorry, I only speak prose."});
    struct gt t = {.g = g, .body = data_body, .opts = {.prompt = "p"}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(t.err.message, "model output is not valid json: no JSON value found in model "
                                "output (output: \"Sorry, I only speak prose.\")");
    gk_shutdown(g);
}

TEST(generate_json_without_a_type_checks_that_the_output_parses)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.text = "{\"a\": [1,"});
    struct gt t = {.g = g, .opts = {.prompt = "p", .output = {.format = GK_FORMAT_JSON}}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(t.err.message, "unterminated JSON object");
    gk_shutdown(g);
}

static void enum_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate(ctx, t->g, &t->opts, &resp, &t->err);
    if (t->st != GK_OK)
        return;
    record(ctx, t, &resp);
    const gk_json *v = NULL;
    EXPECT_EQ(gk_response_output(gk_ctx_arena(ctx), &resp, GK_FORMAT_ENUM, &v, NULL), GK_OK);
    t->chunks[0] = '\0';
    jappend(t->chunks, sizeof(t->chunks), v);
}

TEST(generate_enum_output_is_trimmed_unquoted_and_checked)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    static const char *const levels[] = {"easy", "medium", "hard", NULL};
    script(g, &(gk_local_reply){.text = "  \"medium\"\n"});
    script(g, &(gk_local_reply){.text = "spicy"});
    struct gt ok = {
        .g = g,
        .body = enum_body,
        .opts = {.prompt = "p", .output = {.format = GK_FORMAT_ENUM, .enum_values = levels}}};
    struct gt bad = ok;

    run(&ok);
    run(&bad);

    EXPECT_EQ(ok.st, GK_OK);
    EXPECT_STREQ(ok.chunks, "\"medium\"");
    EXPECT_CONTAINS(ok.request, "\"output\":{\"format\":\"enum\",\"schema\":{\"type\":\"string\","
                                "\"enum\":[\"easy\",\"medium\",\"hard\"]},\"constrained\":true,"
                                "\"contentType\":\"text/enum\"}");
    EXPECT_EQ(bad.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(bad.err.message, "model output \"spicy\" is not one of the enum values");
    gk_shutdown(g);
}

static void items_body(gk_ctx *ctx, struct gt *t)
{
    GoItems items;
    gk_generate_opts o = t->opts;
    o.on_chunk = t->opts.on_chunk ? collect : NULL;
    o.chunk_arg = t;
    t->st = gk_generate_data(ctx, t->g, &o, GK_TYPE_OF(GoItems), &items, &t->err);
    if (t->st != GK_OK)
        return;
    for (size_t i = 0; i < items.count; i++) {
        size_t len = strlen(t->text);
        snprintf(t->text + len, sizeof(t->text) - len, "%d,", items.items[i].n);
    }
}

TEST(generate_data_array_format_decodes_items_and_streams_each_completed_item)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    static const char *const chunks[] = {
        "{\"content\":[{\"text\":\"[{\\\"n\\\":1},{\\\"n\\\"\"}]}",
        "{\"content\":[{\"text\":\":2},\"}]}",
        "{\"content\":[{\"text\":\"{\\\"n\\\":3}]\"}]}",
        NULL,
    };
    script(g, &(gk_local_reply){.text = "[{\"n\":1},{\"n\":2},{\"n\":3}]", .chunks = chunks});
    struct gt t = {
        .g = g,
        .body = items_body,
        .opts = {.prompt = "p", .output = {.format = GK_FORMAT_ARRAY}, .on_chunk = collect}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "1,2,3,");
    EXPECT_STREQ(t.chunks, "0:model:[{\"n\":1},{\"n\" => [{\"n\":1}]|0:model::2}, => [{\"n\":2}]|"
                           "0:model:{\"n\":3}] => [{\"n\":3}]|");
    gk_shutdown(g);
}

static void stream_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate_stream(ctx, t->g, &t->opts, collect, t, &resp, &t->err);
    if (t->st == GK_OK)
        record(ctx, t, &resp);
}

TEST(generate_stream_chunks_concatenate_to_the_final_text)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    struct gt t = {.g = g, .body = stream_body, .opts = {.prompt = "Stream this please"}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_GE(t.nchunks, 3);
    /* Rebuild the text from the chunks ("0:model:<piece>|"). */
    char joined[2048] = "";
    for (char *p = t.chunks; *p;) {
        EXPECT_TRUE(strncmp(p, "0:model:", 8) == 0);
        p += 8;
        char *end = strchr(p, '|');
        ASSERT_TRUE(end);
        strncat(joined, p, (size_t)(end - p));
        p = end + 1;
    }
    EXPECT_STREQ(joined, t.text);
    gk_shutdown(g);
}

TEST(generate_stream_json_gives_the_partial_output_of_each_chunk)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    static const char *const chunks[] = {
        "{\"content\":[{\"text\":\"```json\\n{\\\"title\\\":\\\"Pa\"}]}",
        "{\"content\":[{\"text\":\"sta\\\",\\\"servings\\\":\"}]}",
        "{\"content\":[{\"text\":\"2}\\n```\"}]}",
        NULL,
    };
    script(g, &(gk_local_reply){.text = "```json\n{\"title\":\"Pasta\",\"servings\":2}\n```",
                                .chunks = chunks});
    struct gt t = {
        .g = g, .body = stream_body, .opts = {.prompt = "p", .output = {.format = GK_FORMAT_JSON}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.chunks, "0:model:```json\n{\"title\":\"Pa => {\"title\":\"Pa\"}|"
                           "0:model:sta\",\"servings\": => {\"title\":\"Pasta\"}|"
                           "0:model:2}\n``` => {\"title\":\"Pasta\",\"servings\":2}|");
    gk_shutdown(g);
}

TEST(generate_stream_jsonl_emits_each_completed_line)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    static const char *const chunks[] = {
        "{\"content\":[{\"text\":\"{\\\"n\\\":1}\\n{\\\"n\\\"\"}]}",
        "{\"content\":[{\"text\":\":2}\\n\"}]}",
        NULL,
    };
    script(g, &(gk_local_reply){.text = "{\"n\":1}\n{\"n\":2}\n", .chunks = chunks});
    struct gt t = {.g = g,
                   .body = stream_body,
                   .opts = {.prompt = "p", .output = {.format = GK_FORMAT_JSONL}}};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.chunks,
                 "0:model:{\"n\":1}\n{\"n\" => [{\"n\":1}]|0:model::2}\n => [{\"n\":2}]|");
    gk_shutdown(g);
}

static gk_status stop_after_one(const gk_generate_chunk *c, void *arg)
{
    (void)c;
    (void)arg;
    return GK_CANCELLED;
}

static void stop_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate_stream(ctx, t->g, &t->opts, stop_after_one, t, &resp, &t->err);
}

TEST(generate_stream_callback_failure_stops_the_call)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    struct gt t = {.g = g, .body = stop_body, .opts = {.prompt = "a long enough prompt"}};

    run(&t);

    EXPECT_EQ(t.st, GK_CANCELLED);
    gk_shutdown(g);
}

TEST(generate_passes_the_models_error_through)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    script(g, &(gk_local_reply){.status = GK_UNAVAILABLE, .error_message = "overloaded"});
    struct gt t = {.g = g, .opts = {.prompt = "p"}};

    run(&t);

    EXPECT_EQ(t.st, GK_UNAVAILABLE);
    EXPECT_STREQ(t.err.message, "overloaded");
    gk_shutdown(g);
}

/* A flow that generates with g NULL: the running action's instance is used. */
typedef struct GoAsk {
    const char *q;
} GoAsk;
GK_SCHEMA_DEFINE(GoAsk, NULL, GK_FIELD_STRING(GoAsk, q, "q", NULL));

static gk_status ask_flow(gk_ctx *ctx, const GoAsk *in, gk_text *out, gk_error *err)
{
    *out = gk_generate_text(ctx, NULL, &(gk_generate_opts){.model = "local/echo", .prompt = in->q},
                            err);
    return *out ? GK_OK : err->status;
}

static void flow_body(gk_ctx *ctx, struct gt *t)
{
    gk_action *flow = gk_lookup(t->g, GK_ACTION_FLOW, "ask");
    GoAsk in = {.q = "inside a flow"};
    gk_text out = NULL;
    t->st = gk_action_run(ctx, flow, &in, &out, NULL, &t->err);
    snprintf(t->text, sizeof(t->text), "%s", out ? out : "(null)");
}

TEST(generate_inside_a_flow_finds_the_instance_from_the_context)
{
    gk_genkit *g = new_genkit(NULL);
    ASSERT_TRUE(g);
    gk_error err = {0};
    ASSERT_TRUE(GK_DEFINE_FLOW(g, "ask", NULL, ask_flow, GoAsk, gk_text, &err));
    struct gt t = {.g = g, .body = flow_body};

    run(&t);

    EXPECT_EQ(t.st, GK_OK);
    EXPECT_STREQ(t.text, "inside a flow");
    gk_shutdown(g);
}

static void no_instance_body(gk_ctx *ctx, struct gt *t)
{
    gk_generate_response resp;
    t->st = gk_generate(ctx, NULL, &t->opts, &resp, &t->err);
}

TEST(generate_outside_an_action_without_an_instance_is_invalid_argument)
{
    struct gt t = {.body = no_instance_body, .opts = {.prompt = "p"}};

    run(&t);

    EXPECT_EQ(t.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(t.err.message, "gk_generate outside an action needs its gk_genkit");
}
