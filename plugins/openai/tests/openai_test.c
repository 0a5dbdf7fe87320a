/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/tests/openai_test.c - the openai plugin against replayed provider traffic: for
 * every openai and openai-compat fixture, the request we send (body compared with the fixture's
 * request as JSON values, plus method, path and headers) and the GenerateResponse / chunks /
 * embeddings we make of the recorded reply; streams replayed whole and split at 1, 7 and 64
 * bytes; error fixtures to statuses (key never in messages, retry delays kept); a hanging stream
 * cut by the ctx deadline; request mapping and parser edge cases without a server.
 *
 * Fixture requests were sent by other SDKs, so the comparison removes what differs harmlessly
 * (see normalize): "n": 1 and "stream": false (defaults we leave out), a tool "description" the
 * fixture's SDK omitted when empty (Genkit tools always have one), an assistant "content": null
 * that the SDK omitted, an empty "tools": [] array, and a response_format name chosen by the
 * other SDK (pydantic-ai's "result"; we send the schema's title or "output"). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/plugins/openai.h>

#include "core/plugin_host.h"
#include "runtime/rt_helpers.h"
#include "support/fixtures.h"
#include "test.h"

#define KEY "sk-test-SECRET"

/* ---- environment ---- */

struct env {
    gk_test_server *srv;
    gk_genkit *g;
};

static bool env_up(struct env *e)
{
    memset(e, 0, sizeof(*e));
    e->srv = gk_test_server_start();
    if (!e->srv)
        return false;
    char url[256];
    snprintf(url, sizeof(url), "%s/v1", gk_test_server_url(e->srv));
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", KEY, 1);
    setenv("GK_OPENAI_MODELS", "gpt-4o-2024-08-06", 1);
    unsetenv("GK_OPENAI_EMBEDDERS");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
    gk_error err = {0};
    e->g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    const gk_plugin *const plugins[] = {&gk_plugin_openai, NULL};
    if (!e->g || gk__plugins_init(e->g, plugins, &err) != GK_OK) {
        fprintf(stderr, "openai init: %s\n", err.message);
        return false;
    }
    return true;
}

static void env_down(struct env *e)
{
    gk_shutdown(e->g);
    gk_test_server_stop(e->srv);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("GK_OPENAI_MODELS");
}

/* ---- calling a model from a fiber ---- */

struct call {
    gk_genkit *g;
    const char *model;
    const char *request; /* GenerateRequest JSON */
    bool stream;
    int64_t deadline_ms;
    /* A second turn (multi-turn scenarios): after the first reply, send the request again with
     * the reply and a tool response carrying followup_output appended. */
    const char *followup_output;
    gk_status st;
    gk_error err;
    char *resp; /* the last GenerateResponse as JSON, without raw and latencyMs (malloc'd) */
    gk_buf chunk_text;
    gk_buf chunk_reasoning;
    int nchunks;
    size_t chunk_tool_requests;
    int64_t elapsed_ms;
};

static void call_release(struct call *c)
{
    free(c->resp);
    gk_buf_release(&c->chunk_text);
    gk_buf_release(&c->chunk_reasoning);
}

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct call *c = arg;
    c->nchunks++;
    for (size_t i = 0; i < chunk->content.count; i++) {
        const gk_part *p = &chunk->content.items[i];
        if (p->text)
            gk_buf_puts(&c->chunk_text, p->text);
        if (p->reasoning)
            gk_buf_puts(&c->chunk_reasoning, p->reasoning);
        if (p->has_tool_request)
            c->chunk_tool_requests++;
    }
    return GK_OK;
}

static char *response_json(gk_generate_response *resp)
{
    resp->raw = NULL;
    resp->has_latency_ms = false;
    gk_buf b = GK_BUF_INIT(1 << 24);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response), resp);
    char *s = strdup(b.ptr ? b.ptr : "");
    gk_buf_release(&b);
    return s;
}

static void call_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    int64_t start = gk_now_ms();
    if (c->deadline_ms)
        gk_ctx_set_timeout(ctx, c->deadline_ms);
    gk_generate_request req;
    c->st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), c->request, strlen(c->request), &req,
                           &c->err);
    if (c->st != GK_OK)
        return;
    gk_generate_response resp;
    c->st =
        gk_model_call(ctx, c->g, c->model, &req, c->stream ? on_chunk : NULL, c, &resp, &c->err);
    if (c->st == GK_OK && c->followup_output) {
        free(c->resp);
        c->resp = response_json(&resp);
        /* The history the generate loop would send: the reply, then the tool's answer. */
        gk_request_add_message(a, &req, &resp.message);
        const gk_tool_request **trs;
        size_t n;
        gk_response_tool_requests(a, &resp, &trs, &n);
        gk_message tool = {.role = GK_ROLE_TOOL};
        gk_json *out = gk_json_new_string(a, c->followup_output, strlen(c->followup_output));
        for (size_t i = 0; i < n; i++) {
            gk_part p = gk_part_tool_response(trs[i]->name, trs[i]->ref, out);
            gk_message_add_part(a, &tool, &p);
        }
        gk_request_add_message(a, &req, &tool);
        c->st = gk_model_call(ctx, c->g, c->model, &req, c->stream ? on_chunk : NULL, c, &resp,
                              &c->err);
    }
    if (c->st == GK_OK) {
        free(c->resp);
        c->resp = response_json(&resp);
    }
    c->elapsed_ms = gk_now_ms() - start;
}

static bool run_call(struct call *c)
{
    c->chunk_text = GK_BUF_INIT(0);
    c->chunk_reasoning = GK_BUF_INIT(0);
    return rt_run_fiber(call_fiber, c, 256 * 1024) == GK_OK;
}

/* ---- comparing what was sent ---- */

static void normalize(json_t *exp, json_t *act)
{
    json_t *n = json_object_get(exp, "n");
    if (n && json_integer_value(n) == 1)
        json_object_del(exp, "n");
    if (json_is_false(json_object_get(exp, "stream")))
        json_object_del(exp, "stream");
    json_t *tools = json_object_get(exp, "tools");
    if (json_is_array(tools) && json_array_size(tools) == 0)
        json_object_del(exp, "tools");
    json_t *etools = json_object_get(exp, "tools");
    json_t *atools = json_object_get(act, "tools");
    for (size_t i = 0; i < json_array_size(etools) && i < json_array_size(atools); i++) {
        json_t *ef = json_object_get(json_array_get(etools, i), "function");
        json_t *af = json_object_get(json_array_get(atools, i), "function");
        if (!json_object_get(ef, "description"))
            json_object_del(af, "description");
    }
    json_t *emsgs = json_object_get(exp, "messages");
    json_t *amsgs = json_object_get(act, "messages");
    for (size_t i = 0; i < json_array_size(emsgs) && i < json_array_size(amsgs); i++) {
        json_t *em = json_array_get(emsgs, i);
        json_t *am = json_array_get(amsgs, i);
        if (!json_object_get(em, "content") && json_is_null(json_object_get(am, "content")))
            json_object_del(am, "content");
    }
    json_t *ejs = json_object_get(json_object_get(exp, "response_format"), "json_schema");
    json_t *ajs = json_object_get(json_object_get(act, "response_format"), "json_schema");
    if (ejs && ajs && json_object_get(ajs, "name"))
        json_object_set(ejs, "name", json_object_get(ajs, "name"));
}

/* Whether request i's body equals the fixture request (after normalize); prints both if not. */
static bool sent_matches(gk_test_server *srv, size_t i, const char *provider, const char *name)
{
    const gk_test_request *r = gk_test_server_request(srv, i);
    gk_fixture *f = gk_fixture_load(provider, name);
    if (!r || !f || !f->request) {
        gk_fixture_free(f);
        return false;
    }
    json_error_t je;
    json_t *exp = json_loadb(f->request, f->request_len, 0, &je);
    json_t *act = json_loadb(r->body, r->body_len, 0, &je);
    bool ok = exp && act;
    if (ok) {
        normalize(exp, act);
        ok = json_equal(exp, act);
    }
    if (!ok) {
        char *es = exp ? json_dumps(exp, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        char *as = act ? json_dumps(act, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        fprintf(stderr, "request mismatch for %s/%s\n  expected %s\n  sent     %s\n", provider,
                name, es ? es : "(invalid)", as ? as : "(invalid)");
        free(es);
        free(as);
    }
    json_decref(exp);
    json_decref(act);
    gk_fixture_free(f);
    return ok;
}

/* Method, path and the headers every call carries. */
static bool sent_headers_ok(gk_test_server *srv, size_t i, const char *path)
{
    const gk_test_request *r = gk_test_server_request(srv, i);
    if (!r)
        return false;
    const char *auth = gk_test_request_header(r, "Authorization");
    const char *ct = gk_test_request_header(r, "Content-Type");
    return strcmp(r->method, "POST") == 0 && strcmp(r->target, path) == 0 && auth &&
           strcmp(auth, "Bearer " KEY) == 0 && ct && strcmp(ct, "application/json") == 0;
}

static bool json_eq(const char *a, const char *b)
{
    char why[256] = "";
    if (a && b && gk_fixture_json_equal(a, strlen(a), b, strlen(b), why, sizeof(why)))
        return true;
    fprintf(stderr, "json mismatch (%s)\n  got      %s\n  expected %s\n", why, a ? a : "(null)", b);
    return false;
}

/* Serve provider/name (split as given), make the call, return whether the call ran. */
static bool replay(struct env *e, const char *provider, const char *name, size_t split,
                   struct call *c)
{
    gk_fixture *f = gk_fixture_load(provider, name);
    if (!f)
        return false;
    gk_fixture_serve(e->srv, f, split, 0);
    gk_fixture_free(f);
    c->g = e->g;
    return run_call(c);
}

/* ---- requests of the scenarios (Genkit's side) ---- */

#define USER(text) "{\"role\":\"user\",\"content\":[{\"text\":\"" text "\"}]}"
#define SF         "What's the weather like in SF?"

#define LOCATION_SCHEMA                                                                            \
    "{\"properties\":{\"city\":{\"title\":\"City\",\"type\":\"string\"},\"temperature\":{"         \
    "\"title\":\"Temperature\",\"type\":\"number\"},\"units\":{\"enum\":[\"c\",\"f\"],\"title\":"  \
    "\"Units\",\"type\":\"string\"}},\"required\":[\"city\",\"temperature\",\"units\"],\"title\":" \
    "\"Location\",\"type\":\"object\",\"additionalProperties\":false}"

#define LOCATION_OUTPUT \
    "\"output\":{\"format\":\"json\",\"schema\":" LOCATION_SCHEMA ",\"constrained\":true}"

#define WEATHER_TOOL(desc)                                                                        \
    "{\"name\":\"GetWeatherArgs\",\"description\":\"" desc "\",\"inputSchema\":{\"properties\":{" \
    "\"city\":{\"title\":\"City\",\"type\":\"string\"},\"country\":{\"title\":\"Country\","       \
    "\"type\":\"string\"},\"units\":{\"default\":\"c\",\"enum\":[\"c\",\"f\"],\"title\":"         \
    "\"Units\",\"type\":\"string\"}},\"required\":[\"city\",\"country\",\"units\"],\"title\":"    \
    "\"GetWeatherArgs\",\"type\":\"object\",\"additionalProperties\":false},\"metadata\":{"       \
    "\"strict\":true}}"

#define STOCK_TOOL                                                                          \
    "{\"name\":\"get_stock_price\",\"description\":\"Fetch the latest price for a given "   \
    "ticker\",\"inputSchema\":{\"properties\":{\"ticker\":{\"title\":\"Ticker\",\"type\":"  \
    "\"string\"},\"exchange\":{\"title\":\"Exchange\",\"type\":\"string\"}},\"required\":[" \
    "\"ticker\",\"exchange\"],\"title\":\"GetStockPrice\",\"type\":\"object\","             \
    "\"additionalProperties\":false},\"metadata\":{\"strict\":true}}"

#define PARALLEL_REQUEST                                                                                     \
    "{\"messages\":[" USER("What's the weather like in Edinburgh?") "," USER(                                \
        "What's the price of AAPL?") "],\"tools\":[" WEATHER_TOOL("Get the temperature for the "             \
                                                                  "given country/city combo") "," STOCK_TOOL \
                                                                                              "]}"

#define CAPITAL_REQUEST                                                                            \
    "{\"messages\":[" USER(                                                                        \
        "What is the capital of the UK? Use the tool, then answer.") "],"                          \
                                                                     "\"tools\":[{\"name\":\"get_" \
                                                                     "capital\",\"description\":"  \
                                                                     "\"\",\"inputSchema\":{"      \
                                                                     "\"additionalProperties\":"   \
                                                                     "false,\"properties\":{"      \
                                                                     "\"country\":{\"type\":"      \
                                                                     "\"string\"}},"               \
                                                                     "\"required\":[\"country\"]," \
                                                                     "\"type\":\"object\"},"       \
                                                                     "\"metadata\":{\"strict\":"   \
                                                                     "true}}],"                    \
                                                                     "\"toolChoice\":\"auto\"}"

#define COUNTRY_TOOLS                                                                        \
    "\"tools\":[{\"name\":\"get_user_country\",\"description\":\"\",\"inputSchema\":{"       \
    "\"additionalProperties\":false,\"properties\":{},\"type\":\"object\"}},{\"name\":"      \
    "\"final_result\",\"description\":\"The final response which ends this conversation\","  \
    "\"inputSchema\":{\"properties\":{\"city\":{\"type\":\"string\"},\"country\":{\"type\":" \
    "\"string\"}},\"required\":[\"city\",\"country\"],\"type\":\"object\"}}]"

/* ---- text ---- */

TEST(openai_text_sends_the_sdk_request_and_maps_text_finish_and_usage)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-2024-08-06",
                     .request = "{\"messages\":[" USER(SF) "]}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-text", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-text"));
    EXPECT_TRUE(sent_headers_ok(e.srv, 0, "/v1/chat/completions"));
    EXPECT_TRUE(json_eq(
        c.resp, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"I'm unable to provide "
                "real-time weather updates. To get the current weather in San Francisco, I "
                "recommend checking a reliable weather website or app like the Weather Channel or "
                "a local news station.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":"
                "14,\"outputTokens\":37,\"totalTokens\":51,\"thoughtsTokens\":0}}"));
    call_release(&c);
    env_down(&e);
}

TEST(openai_system_message_is_sent_as_system_role_and_details_go_to_usage_custom)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o",
        .request = "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"You "
                   "are a helpful assistant.\"}]}," USER("What is the capital of France?") "]}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-text-system", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-text-system"));
    EXPECT_TRUE(json_eq(
        c.resp,
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The capital of France is "
        "Paris.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":24,\"outputTokens\":8,"
        "\"totalTokens\":32,\"thoughtsTokens\":0,\"cachedContentTokens\":0,\"custom\":{"
        "\"prompt_audio_tokens\":0,\"completion_accepted_prediction_tokens\":0,"
        "\"completion_audio_tokens\":0,\"completion_rejected_prediction_tokens\":0}}}"));
    call_release(&c);
    env_down(&e);
}

TEST(openai_image_data_url_is_sent_as_an_image_url_part)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o",
        .request =
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What fruit is in the "
            "image?\"},{\"media\":{\"url\":\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA"
            "AAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\","
            "\"contentType\":\"image/png\"}}]}]}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-image-data-url", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-image-data-url"));
    EXPECT_CONTAINS(c.resp, "\"text\":\"The fruit in the image is a kiwi.\"");
    call_release(&c);
    env_down(&e);
}

TEST(openai_stream_text_sends_stream_options_and_chunks_concatenate_to_the_reply)
{
    static const char text[] = "I'm unable to provide real-time weather updates. To get the "
                               "current weather in San Francisco, I recommend checking a reliable "
                               "weather website or a weather app.";
    static const size_t splits[] = {0, 1, 7, 64};
    for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {.model = "openai/gpt-4o-2024-08-06",
                         .request = "{\"messages\":[" USER(SF) "]}",
                         .stream = true};

        ASSERT_TRUE(replay(&e, "openai", "chat-stream-text", splits[k], &c));

        EXPECT_EQ(c.st, GK_OK);
        EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-stream-text"));
        EXPECT_STREQ(c.chunk_text.ptr, text);
        EXPECT_EQ(c.nchunks, 30); /* 33 events: role, 30 deltas, finish, usage */
        char expected[1024];
        snprintf(expected, sizeof(expected),
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"%s\"}]},"
                 "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":14,\"outputTokens\":30,"
                 "\"totalTokens\":44,\"thoughtsTokens\":0}}",
                 text);
        EXPECT_TRUE(json_eq(c.resp, expected));
        call_release(&c);
        env_down(&e);
    }
}

TEST(openai_stream_with_usage_null_and_obfuscation_fields_is_read)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-mini",
                     .request = "{\"messages\":[" USER("Invent a new holiday.") "]}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai", "chat-stream-text-2026", 64, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.chunk_text.len, 1730);
    EXPECT_EQ(c.nchunks, 300);
    EXPECT_CONTAINS(c.resp,
                    "ed human experiences and mutual respect.\"}]},\"finishReason\":\"stop\"");
    EXPECT_CONTAINS(c.resp,
                    "\"usage\":{\"inputTokens\":16,\"outputTokens\":300,\"totalTokens\":316");
    call_release(&c);
    env_down(&e);
}

/* ---- structured output, truncation, refusal ---- */

TEST(openai_json_schema_output_is_strict_when_the_schema_is_closed)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-2024-08-06",
                     .request = "{\"messages\":[" USER(SF) "]," LOCATION_OUTPUT "}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-structured-json-schema-strict", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-structured-json-schema-strict"));
    EXPECT_CONTAINS(c.resp, "[{\"text\":\"{\\\"city\\\":\\\"San Francisco\\\",\\\"temperature\\\":"
                            "65,\\\"units\\\":\\\"f\\\"}\"}]},\"finishReason\":\"stop\"");
    call_release(&c);
    env_down(&e);
}

TEST(openai_stream_json_schema_output_streams_the_json_text)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-2024-08-06",
                     .request = "{\"messages\":[" USER(SF) "]," LOCATION_OUTPUT "}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai", "chat-stream-structured-json-schema", 7, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-stream-structured-json-schema"));
    EXPECT_STREQ(c.chunk_text.ptr,
                 "{\"city\":\"San Francisco\",\"temperature\":61,\"units\":\"f\"}");
    call_release(&c);
    env_down(&e);
}

TEST(openai_json_output_without_schema_asks_for_json_object)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-2024-08-06",
                     .request = "{\"messages\":[" USER("What's the weather like in SF? Give me any "
                                                       "JSON back") "],\"output\":{\"format\":"
                                                                    "\"json\"}}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai", "chat-stream-json-object", 1, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-stream-json-object"));
    EXPECT_EQ(c.chunk_text.len, 615);
    EXPECT_EQ(c.nchunks, 177);
    call_release(&c);
    env_down(&e);
}

TEST(openai_max_tokens_truncation_finishes_with_length)
{
    static const char *const fixtures[] = {"chat-max-tokens", "chat-stream-max-tokens"};
    for (int k = 0; k < 2; k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {.model = "openai/gpt-4o-2024-08-06",
                         .request = "{\"messages\":[" USER(SF) "],\"config\":{\"maxOutputTokens\":"
                                                               "1}," LOCATION_OUTPUT "}",
                         .stream = k == 1};

        ASSERT_TRUE(replay(&e, "openai", fixtures[k], 0, &c));

        EXPECT_EQ(c.st, GK_OK);
        EXPECT_TRUE(sent_matches(e.srv, 0, "openai", fixtures[k]));
        EXPECT_TRUE(json_eq(c.resp, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":"
                                    "\"{\\\"\"}]},\"finishReason\":\"length\",\"usage\":{"
                                    "\"inputTokens\":79,\"outputTokens\":1,\"totalTokens\":80,"
                                    "\"thoughtsTokens\":0}}"));
        call_release(&c);
        env_down(&e);
    }
}

TEST(openai_refusal_is_blocked_with_the_refusal_as_finish_message)
{
    static const char *const fixtures[] = {"chat-refusal", "chat-stream-refusal"};
    static const char *const refusals[] = {"I'm very sorry, but I can't assist with that.",
                                           "I'm sorry, I can't assist with that request."};
    for (int k = 0; k < 2; k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {
            .model = "openai/gpt-4o-2024-08-06",
            .request = "{\"messages\":[" USER("How do I make anthrax?") "]," LOCATION_OUTPUT "}",
            .stream = k == 1};

        ASSERT_TRUE(replay(&e, "openai", fixtures[k], 0, &c));

        EXPECT_EQ(c.st, GK_OK);
        EXPECT_TRUE(sent_matches(e.srv, 0, "openai", fixtures[k]));
        char expected[256];
        snprintf(expected, sizeof(expected),
                 "\"content\":[]},\"finishReason\":\"blocked\",\"finishMessage\":\"%s\"",
                 refusals[k]);
        EXPECT_CONTAINS(c.resp, expected);
        EXPECT_EQ(c.chunk_text.len, 0);
        call_release(&c);
        env_down(&e);
    }
}

/* ---- tools ---- */

TEST(openai_parallel_tool_calls_become_tool_requests_with_parsed_input)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o-2024-08-06", .request = PARALLEL_REQUEST};

    ASSERT_TRUE(replay(&e, "openai", "chat-parallel-tool-calls", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-parallel-tool-calls"));
    EXPECT_TRUE(json_eq(
        c.resp,
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
        "\"GetWeatherArgs\",\"input\":{\"city\":\"Edinburgh\",\"country\":\"GB\",\"units\":\"c\"},"
        "\"ref\":\"call_fdNz3vOBKYgOIpMdWotB9MjY\"}},{\"toolRequest\":{\"name\":"
        "\"get_stock_price\",\"input\":{\"ticker\":\"AAPL\",\"exchange\":\"NASDAQ\"},\"ref\":"
        "\"call_h1DWI1POMJLb0KwIyQHWXD4p\"}}]},\"finishReason\":\"stop\",\"usage\":{"
        "\"inputTokens\":149,\"outputTokens\":60,\"totalTokens\":209,\"thoughtsTokens\":0}}"));
    call_release(&c);
    env_down(&e);
}

TEST(openai_streamed_parallel_tool_calls_reassemble_identically_at_any_split)
{
    static const char expected[] =
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
        "\"GetWeatherArgs\",\"input\":{\"city\":\"Edinburgh\",\"country\":\"GB\",\"units\":\"c\"},"
        "\"ref\":\"call_JMW1whyEaYG438VE1OIflxA2\"}},{\"toolRequest\":{\"name\":"
        "\"get_stock_price\",\"input\":{\"ticker\":\"AAPL\",\"exchange\":\"NASDAQ\"},\"ref\":"
        "\"call_DNYTawLBoN8fj3KN6qU9N1Ou\"}}]},\"finishReason\":\"stop\",\"usage\":{"
        "\"inputTokens\":149,\"outputTokens\":60,\"totalTokens\":209,\"thoughtsTokens\":0}}";
    static const size_t splits[] = {0, 1, 7, 64};
    for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {
            .model = "openai/gpt-4o-2024-08-06", .request = PARALLEL_REQUEST, .stream = true};

        ASSERT_TRUE(replay(&e, "openai", "chat-stream-parallel-tool-calls", splits[k], &c));

        EXPECT_EQ(c.st, GK_OK);
        EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-stream-parallel-tool-calls"));
        EXPECT_TRUE(json_eq(c.resp, expected));
        EXPECT_EQ(c.nchunks, 1);
        EXPECT_EQ(c.chunk_tool_requests, 2);
        call_release(&c);
        env_down(&e);
    }
}

TEST(openai_strict_tool_call_round_trips_in_both_modes)
{
    static const char *const fixtures[] = {"chat-tool-call-strict", "chat-stream-tool-call-strict"};
    static const char *const refs[] = {"call_Y6qJ7ofLgOrBnMD5WbVAeiRV",
                                       "call_c91SqDXlYFuETYv8mUHzz6pp"};
    for (int k = 0; k < 2; k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {
            .model = "openai/gpt-4o-2024-08-06",
            .request = "{\"messages\":[" USER(
                "What's the weather like in Edinburgh?") "],\"tools\":[" WEATHER_TOOL("") "]}",
            .stream = k == 1};

        ASSERT_TRUE(replay(&e, "openai", fixtures[k], 0, &c));

        EXPECT_EQ(c.st, GK_OK);
        EXPECT_TRUE(sent_matches(e.srv, 0, "openai", fixtures[k]));
        char expected[256];
        snprintf(expected, sizeof(expected),
                 "{\"toolRequest\":{\"name\":\"GetWeatherArgs\",\"input\":{\"city\":\"Edinburgh\","
                 "\"country\":\"UK\",\"units\":\"c\"},\"ref\":\"%s\"}}",
                 refs[k]);
        EXPECT_CONTAINS(c.resp, expected);
        call_release(&c);
        env_down(&e);
    }
}

TEST(openai_streamed_tool_call_then_tool_result_followup_sends_the_exact_history)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    gk_fixture *first = gk_fixture_load("openai", "chat-stream-tool-call");
    ASSERT_TRUE(first);
    gk_fixture_serve(e.srv, first, 7, 0);
    gk_fixture_free(first);
    struct call c = {.g = e.g,
                     .model = "openai/gpt-4o-mini",
                     .request = CAPITAL_REQUEST,
                     .stream = true,
                     .followup_output = "London"};

    ASSERT_TRUE(replay(&e, "openai", "chat-stream-tool-result-followup", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-stream-tool-call"));
    EXPECT_TRUE(sent_matches(e.srv, 1, "openai", "chat-stream-tool-result-followup"));
    EXPECT_TRUE(sent_headers_ok(e.srv, 1, "/v1/chat/completions"));
    EXPECT_EQ(c.chunk_tool_requests, 1);
    EXPECT_STREQ(c.chunk_text.ptr, "The capital of the UK is London.");
    EXPECT_TRUE(json_eq(
        c.resp, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The capital of the UK "
                "is London.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":78,"
                "\"outputTokens\":9,\"totalTokens\":87,\"thoughtsTokens\":0,"
                "\"cachedContentTokens\":0,\"custom\":{\"prompt_audio_tokens\":0,"
                "\"completion_audio_tokens\":0,\"completion_accepted_prediction_tokens\":0,"
                "\"completion_rejected_prediction_tokens\":0}}}"));
    call_release(&c);
    env_down(&e);
}

TEST(openai_required_tool_choice_then_followup_without_streaming)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    gk_fixture *first = gk_fixture_load("openai", "chat-tool-call");
    ASSERT_TRUE(first);
    gk_fixture_serve(e.srv, first, 0, 0);
    gk_fixture_free(first);
    struct call c = {.g = e.g,
                     .model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER("What is the largest city in the user "
                                                       "country?") "]," COUNTRY_TOOLS
                                                                   ",\"toolChoice\":\"required\"}",
                     .followup_output = "Mexico"};

    ASSERT_TRUE(replay(&e, "openai", "chat-tool-result-followup", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-tool-call"));
    EXPECT_TRUE(sent_matches(e.srv, 1, "openai", "chat-tool-result-followup"));
    EXPECT_CONTAINS(c.resp, "{\"toolRequest\":{\"name\":\"final_result\",\"input\":{\"city\":"
                            "\"Mexico City\",\"country\":\"Mexico\"},\"ref\":"
                            "\"call_gmD2oUZUzSoCkmNmp3JPUF7R\"}}");
    call_release(&c);
    env_down(&e);
}

TEST(openai_json_schema_after_a_tool_turn_is_not_strict_for_an_open_schema)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o",
        .request = "{\"messages\":[" USER(
            "What is the largest city in the user country?") ",{\"role\":"
                                                             "\"model\",\"content\":[{"
                                                             "\"toolRequest\":{\"name\":\"get_user_"
                                                             "country\",\"ref\":"
                                                             "\"call_PkRGedQNRFUzJp2R7dO7avWR\","
                                                             "\"input\":{}}}]},{\"role\":\"tool\","
                                                             "\"content\":[{"
                                                             "\"toolResponse\":{\"name\":\"get_"
                                                             "user_country\",\"ref\":"
                                                             "\"call_PkRGedQNRFUzJp2R7dO7avWR\","
                                                             "\"output\":\"Mexico\"}}]}],\"tools\":"
                                                             "[{\"name\":"
                                                             "\"get_user_country\",\"description\":"
                                                             "\"\",\"inputSchema\":{"
                                                             "\"additionalProperties\":"
                                                             "false,\"properties\":{},\"type\":"
                                                             "\"object\"}}],\"toolChoice\":"
                                                             "\"auto\",\"output\":{"
                                                             "\"format\":\"json\",\"schema\":{"
                                                             "\"properties\":{\"city\":{\"type\":"
                                                             "\"string\"},"
                                                             "\"country\":{\"type\":\"string\"}},"
                                                             "\"required\":[\"city\",\"country\"],"
                                                             "\"type\":"
                                                             "\"object\"}}}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-structured-json-schema-after-tool", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "chat-structured-json-schema-after-tool"));
    EXPECT_CONTAINS(gk_test_server_request(e.srv, 0)->body, "\"name\":\"output\"");
    EXPECT_CONTAINS(c.resp, "{\"text\":\"{\\\"city\\\":\\\"Mexico City\\\",\\\"country\\\":"
                            "\\\"Mexico\\\"}\"}");
    call_release(&c);
    env_down(&e);
}

/* ---- OpenAI-compatible servers ---- */

TEST(openai_compat_reasoning_content_becomes_a_reasoning_part_before_the_tool_call)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER(
                         "What's the weather in San Francisco?") "],"
                                                                 "\"config\":{\"version\":"
                                                                 "\"deepseek-reasoner\"}}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai-compat", "deepseek-stream-tool-call", 7, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.chunk_reasoning.len, 191);
    EXPECT_CONTAINS(c.resp, "{\"message\":{\"role\":\"model\",\"content\":[{\"reasoning\":\"The "
                            "user is asking for the weather in San Francisco.");
    EXPECT_CONTAINS(c.resp, "\"San Francisco\\\".\"},{\"toolRequest\":{\"name\":\"weather\","
                            "\"input\":{\"location\":\"San Francisco\"},\"ref\":"
                            "\"call_00_ioIn7yN9p1ZOMNpDLwd4MgAF\"}}]},\"finishReason\":\"stop\"");
    EXPECT_CONTAINS(c.resp, "\"usage\":{\"inputTokens\":339,\"outputTokens\":83,\"totalTokens\":"
                            "422,\"thoughtsTokens\":39,\"cachedContentTokens\":320,\"custom\":{"
                            "\"prompt_cache_hit_tokens\":320,\"prompt_cache_miss_tokens\":19}}");
    const gk_test_request *r = gk_test_server_request(e.srv, 0);
    ASSERT_TRUE(r);
    EXPECT_CONTAINS(r->body, "\"model\":\"deepseek-reasoner\"");
    call_release(&c);
    env_down(&e);
}

TEST(openai_compat_groq_usage_on_the_finish_chunk_and_whole_tool_call)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER("weather?") "]}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai-compat", "groq-stream-tool-call", 1, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(json_eq(
        c.resp, "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                "\"weather\",\"input\":{},\"ref\":\"tk85n1k4m\"}}]},\"finishReason\":\"stop\","
                "\"usage\":{\"inputTokens\":210,\"outputTokens\":15,\"totalTokens\":225,\"custom\":"
                "{\"queue_time\":0.041520249,\"prompt_time\":0.010407901,\"completion_time\":"
                "0.046601227,\"total_time\":0.057009128}}}"));
    call_release(&c);
    env_down(&e);
}

TEST(openai_compat_groq_long_text_stream)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER("Invent a holiday.") "]}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai-compat", "groq-stream-text", 64, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.chunk_text.len, 3189);
    EXPECT_EQ(c.nchunks, 661);
    EXPECT_CONTAINS(c.resp,
                    "per appreciation for the magic of light.\"}]},\"finishReason\":\"stop\"");
    EXPECT_CONTAINS(c.resp, "\"inputTokens\":45,\"outputTokens\":662,\"totalTokens\":707");
    call_release(&c);
    env_down(&e);
}

TEST(openai_compat_xai_reasoning_stream_with_tool_call)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER("weather in SF?") "]}",
                     .stream = true};

    ASSERT_TRUE(replay(&e, "openai-compat", "xai-stream-tool-call", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.chunk_reasoning.len, 1069);
    EXPECT_EQ(c.nchunks, 228);
    EXPECT_CONTAINS(c.resp, "{\"toolRequest\":{\"name\":\"weather\",\"input\":{\"location\":"
                            "\"San Francisco\"},\"ref\":\"call_79382389\"}}");
    EXPECT_CONTAINS(c.resp, "\"thoughtsTokens\":227,\"cachedContentTokens\":306");
    call_release(&c);
    env_down(&e);
}

TEST(openai_compat_tool_call_without_id_gets_a_synthesized_ref)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o",
        .request = "{\"messages\":[" USER(
            "What is the current time?") "],\"config\":"
                                         "{\"version\":\"gemini-2.5-pro-preview-05-06\"},\"tools\":"
                                         "[{"
                                         "\"name\":\"get_current_time\",\"description\":\"Get the "
                                         "current "
                                         "time.\",\"inputSchema\":{\"additionalProperties\":false,"
                                         "\"properties\":{},\"type\":\"object\"}}],\"toolChoice\":"
                                         "\"auto\"}"};

    ASSERT_TRUE(replay(&e, "openai-compat", "gemini-openai-tool-calls-without-id", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai-compat", "gemini-openai-tool-calls-without-id"));
    EXPECT_CONTAINS(c.resp, "{\"toolRequest\":{\"name\":\"get_current_time\",\"input\":{},"
                            "\"ref\":\"call_0\"}}");
    call_release(&c);
    env_down(&e);
}

TEST(openai_compat_router_truncated_reply_keeps_text_and_length)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {.model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER(
                         "hello") "],\"config\":{\"version\":"
                                  "\"deepseek-ai/DeepSeek-R1\",\"maxOutputTokens\":100}}"};

    ASSERT_TRUE(replay(&e, "openai", "compat-hf-router-chat-max-tokens-length", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "compat-hf-router-chat-max-tokens-length"));
    EXPECT_CONTAINS(c.resp, "\\n- Acknowledge\"}]},\"finishReason\":\"length\"");
    EXPECT_CONTAINS(c.resp, "\"usage\":{\"inputTokens\":4,\"outputTokens\":100,\"totalTokens\":104,"
                            "\"custom\":{\"cached_tokens\":0}}");
    call_release(&c);
    env_down(&e);
}

/* ---- errors ---- */

struct error_case {
    const char *provider;
    const char *fixture;
    gk_status status;
    const char *message;
    int retry_after_ms;
};

/* Messages are cut to gk_error's 255 characters, as the longer provider messages show. */
TEST(openai_error_fixtures_map_to_statuses_with_the_provider_message)
{
    static const struct error_case cases[] = {
        {"openai", "error-400-unsupported-value", GK_INVALID_ARGUMENT,
         "openai: HTTP 400 (unsupported_value): Unsupported value: 'messages[0].role' does not "
         "support 'system' with this model.",
         0},
        {"openai", "error-401-invalid-api-key", GK_UNAUTHENTICATED,
         "openai: HTTP 401 (invalid_api_key): Incorrect API key provided: sk-VKMIs*************"
         "**************************wjh3. You can find your API key at "
         "https://platform.openai.com/account/api-keys.",
         0},
        {"openai", "error-429-insufficient-quota", GK_RESOURCE_EXHAUSTED,
         "openai: HTTP 429 (insufficient_quota): You exceeded your current quota, please check "
         "your plan and billing details. For more information on this error, read the docs: "
         "https://platform.openai.com/docs/guides/error-codes/api-errors.",
         0},
        {"openai", "error-429-rate-limit-tokens", GK_RESOURCE_EXHAUSTED,
         "openai: HTTP 429 (rate_limit_exceeded): Rate limit reached for gpt-4o in organization "
         "org-XXXXXXXXXXXXXXXXXXXXXXXX on tokens per min (TPM): Limit 30000, Used 29937, "
         "Requested 385. Please try again in 644ms. Visit "
         "https://platform.openai.com/account/rate-l",
         644},
        {"openai", "error-500-server-error", GK_UNAVAILABLE,
         "openai: HTTP 500 (server_error): The server had an error processing your request. "
         "Sorry about that! You can retry your request, or contact us through our help center at "
         "help.openai.com if you keep seeing this error. (Please include the request ID e5c949c8",
         0},
        {"openai", "error-503-overloaded", GK_UNAVAILABLE,
         "openai: HTTP 503 (server_error): The engine is currently overloaded, please try again "
         "later",
         0},
        {"openai-compat", "groq-error-400-tool-use-failed", GK_INVALID_ARGUMENT,
         "openai: HTTP 400 (tool_use_failed): Tool call validation failed: tool call validation "
         "failed: parameters for tool get_something_by_name did not match schema: errors: "
         "[missing properties: 'name', additionalProperties 'foo' not allowed]",
         0},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct env e;
        ASSERT_TRUE(env_up(&e));
        struct call c = {.model = "openai/gpt-4o", .request = "{\"messages\":[" USER("Hello") "]}"};

        ASSERT_TRUE(replay(&e, cases[k].provider, cases[k].fixture, 0, &c));

        EXPECT_EQ(c.st, cases[k].status);
        EXPECT_EQ(c.err.status, cases[k].status);
        EXPECT_STREQ(c.err.message, cases[k].message);
        EXPECT_EQ(c.err.retry_after_ms, cases[k].retry_after_ms);
        EXPECT_TRUE(strstr(c.err.message, KEY) == NULL);
        EXPECT_TRUE(strstr(c.err.message, "Bearer") == NULL);
        call_release(&c);
        env_down(&e);
    }
}

TEST(openai_key_echoed_by_a_server_is_masked_in_the_error)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    gk_test_response r = {.status = 401,
                          .headers = "Content-Type: application/json\r\n",
                          .body = "{\"error\":{\"message\":\"bad key " KEY " given\",\"code\":"
                                  "\"invalid_api_key\"}}"};
    gk_test_server_push(e.srv, &r);
    struct call c = {
        .g = e.g, .model = "openai/gpt-4o", .request = "{\"messages\":[" USER("Hi") "]}"};

    ASSERT_TRUE(run_call(&c));

    EXPECT_EQ(c.st, GK_UNAUTHENTICATED);
    EXPECT_STREQ(c.err.message, "openai: HTTP 401 (invalid_api_key): bad key *** given");
    call_release(&c);
    env_down(&e);
}

TEST(openai_error_without_a_json_body_says_so)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    gk_test_response r = {.status = 502, .body = "<html>bad gateway</html>"};
    gk_test_server_push(e.srv, &r);
    struct call c = {
        .g = e.g, .model = "openai/gpt-4o", .request = "{\"messages\":[" USER("Hi") "]}"};

    ASSERT_TRUE(run_call(&c));

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_STREQ(c.err.message, "openai: HTTP 502 with no error message");
    call_release(&c);
    env_down(&e);
}

TEST(openai_error_requests_match_their_fixtures)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o",
        .request = "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"You "
                   "are a helpful assistant.\"}]}," USER("Hello") "],\"config\":{"
                                                                  "\"version\":\"o1-mini\"}}"};
    ASSERT_TRUE(replay(&e, "openai", "error-400-unsupported-value", 0, &c));
    struct call g = {
        .model = "openai/gpt-4o",
        .request =
            "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"Be concise. Never "
            "use pretty double quotes, just regular ones.\"}]}," USER(
                "Please call the \\\"get_something_by_name\\\" tool with non-existent "
                "parameters to test error handling; on the second try you can use valid "
                "args") "],\"config\":{\"version\":\"openai/gpt-oss-120b\"},\"tools\":[{"
                        "\"name\":\"get_something_by_name\",\"description\":\"\",\"inputSchema\":{"
                        "\"additionalProperties\":false,\"properties\":{\"name\":{\"type\":"
                        "\"string\"}},\"required\":[\"name\"],\"type\":\"object\"}}],"
                        "\"toolChoice\":"
                        "\"auto\"}"};
    ASSERT_TRUE(replay(&e, "openai-compat", "groq-error-400-tool-use-failed", 0, &g));

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_EQ(g.st, GK_INVALID_ARGUMENT);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "error-400-unsupported-value"));
    EXPECT_TRUE(sent_matches(e.srv, 1, "openai-compat", "groq-error-400-tool-use-failed"));
    call_release(&c);
    call_release(&g);
    env_down(&e);
}

TEST(openai_error_event_inside_a_stream_fails_the_call_as_unavailable)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    struct call c = {
        .model = "openai/gpt-4o", .request = "{\"messages\":[" USER("Hello") "]}", .stream = true};

    ASSERT_TRUE(replay(&e, "openai", "chat-stream-error-midstream", 0, &c));

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_STREQ(c.err.message, "error from the provider (server_error): The server had an error "
                                "while processing your request. Sorry about that!");
    EXPECT_STREQ(c.chunk_text.ptr, "The");
    call_release(&c);
    env_down(&e);
}

TEST(openai_hanging_stream_ends_at_the_deadline_and_closes_the_connection)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    static const char *const chunks[] = {
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n", NULL};
    gk_test_response r = {.headers = "Content-Type: text/event-stream\r\n",
                          .chunks = chunks,
                          .chunked = true,
                          .hang = true};
    gk_test_server_push(e.srv, &r);
    struct call c = {.g = e.g,
                     .model = "openai/gpt-4o",
                     .request = "{\"messages\":[" USER("Hello") "]}",
                     .stream = true,
                     .deadline_ms = 300};

    ASSERT_TRUE(run_call(&c));

    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.chunk_text.ptr, "Hel");
    EXPECT_LT(c.elapsed_ms, 3000);
    EXPECT_TRUE(gk_test_server_wait_closed(e.srv, 1, 3000));
    call_release(&c);
    env_down(&e);
}

TEST(openai_without_a_key_the_official_endpoint_is_not_called)
{
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    const gk_plugin *const plugins[] = {&gk_plugin_openai, NULL};
    ASSERT_EQ(gk__plugins_init(g, plugins, &err), GK_OK);
    struct call c = {
        .g = g, .model = "openai/gpt-4o", .request = "{\"messages\":[" USER("Hi") "]}"};

    ASSERT_TRUE(run_call(&c));

    EXPECT_EQ(c.st, GK_FAILED_PRECONDITION);
    EXPECT_STREQ(c.err.message, "openai: no API key: set OPENAI_API_KEY or gk_openai_opts.api_key");
    call_release(&c);
    gk_shutdown(g);
}

/* ---- embeddings ---- */

struct embed_call {
    gk_genkit *g;
    const char *embedder;
    const char *const *texts;
    size_t n;
    gk_status st;
    gk_error err;
    size_t count;
    size_t dims[4];
    double first[4];
    double last[4];
};

static void embed_fiber(gk_ctx *ctx, void *arg)
{
    struct embed_call *c = arg;
    gk_embed_response out;
    c->st = gk_embed(ctx, c->g, c->embedder, c->texts, c->n, &out, &c->err);
    if (c->st != GK_OK)
        return;
    c->count = out.embeddings.count;
    for (size_t i = 0; i < c->count && i < 4; i++) {
        const gk_embedding *v = &out.embeddings.items[i];
        c->dims[i] = v->embedding.count;
        c->first[i] = v->embedding.count ? v->embedding.items[0] : 0;
        c->last[i] = v->embedding.count ? v->embedding.items[v->embedding.count - 1] : 0;
    }
}

static bool embed_replay(struct env *e, const char *name, struct embed_call *c)
{
    gk_fixture *f = gk_fixture_load("openai", name);
    if (!f)
        return false;
    gk_fixture_serve(e->srv, f, 0, 0);
    gk_fixture_free(f);
    c->g = e->g;
    return rt_run_fiber(embed_fiber, c, 256 * 1024) == GK_OK;
}

TEST(openai_embedder_asks_for_base64_and_decodes_float32_vectors)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    const char *const texts[] = {"Hello, world!"};
    struct embed_call c = {.embedder = "openai/text-embedding-3-small", .texts = texts, .n = 1};

    ASSERT_TRUE(embed_replay(&e, "embeddings-base64", &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_TRUE(sent_matches(e.srv, 0, "openai", "embeddings-base64"));
    EXPECT_TRUE(sent_headers_ok(e.srv, 0, "/v1/embeddings"));
    EXPECT_EQ(c.count, 1);
    EXPECT_EQ(c.dims[0], 1536);
    EXPECT_TRUE(c.first[0] == (double)-0.019193023443222046f);
    EXPECT_TRUE(c.last[0] == (double)-0.010618705302476883f);
    env_down(&e);
}

TEST(openai_embedder_reads_float_arrays_in_index_order)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    const char *const texts[] = {"sunny day at the beach", "rainy day in the city"};
    struct embed_call c = {.embedder = "openai/text-embedding-3-small", .texts = texts, .n = 2};

    ASSERT_TRUE(embed_replay(&e, "embeddings-float", &c));

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.count, 2);
    EXPECT_EQ(c.dims[0], 5);
    EXPECT_TRUE(c.first[0] == 0.0057293195);
    EXPECT_TRUE(c.last[0] == 0.022833068);
    EXPECT_TRUE(c.first[1] == -0.037104916);
    EXPECT_TRUE(c.last[1] == -0.0035253682);
    const gk_test_request *r = gk_test_server_request(e.srv, 0);
    ASSERT_TRUE(r);
    EXPECT_TRUE(json_eq(r->body, "{\"model\":\"text-embedding-3-small\",\"input\":[\"sunny day "
                                 "at the beach\",\"rainy day in the city\"],\"encoding_format\":"
                                 "\"base64\"}"));
    env_down(&e);
}

TEST(openai_embedder_unknown_model_is_not_found)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    const char *const texts[] = {"Hello, world!"};
    struct embed_call c = {.embedder = "openai/text-embedding-3-small", .texts = texts, .n = 1};

    ASSERT_TRUE(embed_replay(&e, "embeddings-error-404-model", &c));

    EXPECT_EQ(c.st, GK_NOT_FOUND);
    EXPECT_STREQ(c.err.message, "openai: HTTP 404 (model_not_found): The model `nonexistent` does "
                                "not exist or you do not have access to it.");
    env_down(&e);
}

/* ---- definitions and configuration ---- */

TEST(openai_defines_well_known_models_and_embedders_with_their_capabilities)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));

    gk_action *gpt = gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-4o");
    gk_action *o3 = gk_lookup(e.g, GK_ACTION_MODEL, "openai/o3-mini");
    gk_action *extra = gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-4o-2024-08-06");
    gk_action *emb = gk_lookup(e.g, GK_ACTION_EMBEDDER, "openai/text-embedding-3-large");

    ASSERT_TRUE(gpt && o3 && extra && emb);
    EXPECT_TRUE(gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-4o-mini") != NULL);
    EXPECT_TRUE(gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-4.1") != NULL);
    EXPECT_TRUE(gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-4.1-mini") != NULL);
    EXPECT_TRUE(gk_lookup(e.g, GK_ACTION_MODEL, "openai/gpt-5") != NULL);
    EXPECT_STREQ(gk_action_metadata(gpt),
                 "{\"model\":{\"label\":\"OpenAI - GPT-4o\",\"supports\":{\"multiturn\":true,"
                 "\"tools\":true,\"media\":true,\"systemRole\":true,\"toolChoice\":true,"
                 "\"output\":[\"text\",\"json\"],\"constrained\":\"all\"}}}");
    EXPECT_CONTAINS(gk_action_metadata(o3), "\"media\":false");
    EXPECT_CONTAINS(gk_action_metadata(extra), "\"label\":\"openai/gpt-4o-2024-08-06\"");
    EXPECT_STREQ(
        gk_action_metadata(emb),
        "{\"info\":{\"label\":\"OpenAI - text-embedding-3-large\",\"dimensions\":3072,"
        "\"supports\":{\"input\":[\"text\"]}},\"embedder\":{\"label\":\"OpenAI - "
        "text-embedding-3-large\",\"dimensions\":3072,\"supports\":{\"input\":[\"text\"]}}}");
    env_down(&e);
}

static char groq_url[256];

GK_OPENAI_PLUGIN(groq_plugin, "groq", .base_url = groq_url,
                 .models = (const char *const[]){"llama-3.3-70b-versatile", NULL});
GK_OPENAI_PLUGIN(nourl_plugin, "nourl", .models = NULL);

TEST(openai_compatible_plugin_uses_its_own_name_key_and_base_url)
{
    gk_test_server *srv = gk_test_server_start();
    ASSERT_TRUE(srv);
    snprintf(groq_url, sizeof(groq_url), "%s/openai/v1/", gk_test_server_url(srv));
    setenv("OPENAI_API_KEY", KEY, 1);
    setenv("GROQ_API_KEY", "gsk-test", 1);
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    const gk_plugin *const plugins[] = {&groq_plugin, NULL};
    ASSERT_EQ(gk__plugins_init(g, plugins, &err), GK_OK);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "groq/gpt-4o") == NULL);
    gk_fixture *f = gk_fixture_load("openai-compat", "groq-stream-tool-call");
    ASSERT_TRUE(f);
    gk_fixture_serve(srv, f, 0, 0);
    gk_fixture_free(f);
    struct call c = {.g = g,
                     .model = "groq/llama-3.3-70b-versatile",
                     .request = "{\"messages\":[" USER("weather?") "]}",
                     .stream = true};

    ASSERT_TRUE(run_call(&c));

    EXPECT_EQ(c.st, GK_OK);
    const gk_test_request *r = gk_test_server_request(srv, 0);
    ASSERT_TRUE(r);
    EXPECT_STREQ(r->target, "/openai/v1/chat/completions");
    EXPECT_STREQ(gk_test_request_header(r, "Authorization"), "Bearer gsk-test");
    EXPECT_CONTAINS(r->body, "\"model\":\"llama-3.3-70b-versatile\"");
    call_release(&c);
    gk_shutdown(g);
    gk_test_server_stop(srv);
    unsetenv("GROQ_API_KEY");
    unsetenv("OPENAI_API_KEY");
}

TEST(openai_compatible_plugin_without_base_url_fails_init)
{
    unsetenv("NOURL_BASE_URL");
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    const gk_plugin *const plugins[] = {&nourl_plugin, NULL};

    EXPECT_EQ(gk__plugins_init(g, plugins, &err), GK_INVALID_ARGUMENT);

    EXPECT_STREQ(err.message,
                 "plugin \"nourl\": no base URL: set NOURL_BASE_URL or gk_openai_opts.base_url");
    gk_shutdown(g);
}

TEST(openai_organization_and_project_headers_are_sent_when_configured)
{
    struct env e;
    ASSERT_TRUE(env_up(&e));
    gk_shutdown(e.g);
    setenv("OPENAI_ORG_ID", "org-test", 1);
    setenv("OPENAI_PROJECT_ID", "proj_test", 1);
    gk_error err = {0};
    e.g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    const gk_plugin *const plugins[] = {&gk_plugin_openai, NULL};
    ASSERT_EQ(gk__plugins_init(e.g, plugins, &err), GK_OK);
    struct call c = {.model = "openai/gpt-4o-2024-08-06",
                     .request = "{\"messages\":[" USER(SF) "]}"};

    ASSERT_TRUE(replay(&e, "openai", "chat-text", 0, &c));

    EXPECT_EQ(c.st, GK_OK);
    const gk_test_request *r = gk_test_server_request(e.srv, 0);
    ASSERT_TRUE(r);
    EXPECT_STREQ(gk_test_request_header(r, "OpenAI-Organization"), "org-test");
    EXPECT_STREQ(gk_test_request_header(r, "OpenAI-Project"), "proj_test");
    unsetenv("OPENAI_ORG_ID");
    unsetenv("OPENAI_PROJECT_ID");
    call_release(&c);
    env_down(&e);
}

/* ---- request mapping without a server ---- */

/* Build the request for a GenerateRequest JSON; returns the body (static buffer) or the error. */
static const char *build(const char *model, const char *request, bool stream, gk_status *st,
                         gk_error *err)
{
    static char out[8192];
    gk_arena *a = gk_arena_new(0);
    gk_generate_request req;
    *st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), request, strlen(request), &req, err);
    gk_buf b = GK_BUF_INIT(0);
    if (*st == GK_OK)
        *st = gk_openai_build_request(a, model, &req, stream, &b, err);
    snprintf(out, sizeof(out), "%s", *st == GK_OK && b.ptr ? b.ptr : "");
    gk_buf_release(&b);
    gk_arena_free(a);
    return out;
}

TEST(openai_config_is_renamed_dropped_or_passed_through)
{
    gk_status st;
    gk_error err = {0};

    const char *body = build(
        "gpt-4o",
        "{\"messages\":[" USER(
            "hi") "],\"config\":{\"temperature\":0.5,\"topP\":0.9,\"topK\":40,"
                  "\"maxOutputTokens\":256,\"stopSequences\":[\"END\"],\"seed\":7,"
                  "\"frequencyPenalty\":0.1,"
                  "\"presencePenalty\":0.2,\"logProbs\":true,\"topLogProbs\":2,\"user\":\"u1\","
                  "\"parallel_tool_calls\":false,\"reasoning_effort\":\"low\",\"apiKey\":\"nope\","
                  "\"version\":\"gpt-4o-2024-11-20\"}}",
        false, &st, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(body, "{\"model\":\"gpt-4o-2024-11-20\",\"messages\":[{\"role\":\"user\","
                       "\"content\":\"hi\"}],\"max_tokens\":256,\"temperature\":0.5,\"top_p\":0.9,"
                       "\"stop\":[\"END\"],\"seed\":7,\"frequency_penalty\":0.1,"
                       "\"presence_penalty\":0.2,\"logprobs\":true,\"top_logprobs\":2,\"user\":"
                       "\"u1\",\"parallel_tool_calls\":false,\"reasoning_effort\":\"low\"}");
}

TEST(openai_reasoning_models_get_max_completion_tokens)
{
    static const char *const models[] = {"o3-mini", "o1", "o4-mini-2025-04-16", "gpt-5",
                                         "gpt-5-mini"};
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        gk_status st;
        gk_error err = {0};
        const char *body = build(models[i],
                                 "{\"messages\":[" USER("hi") "],\"config\":{"
                                                              "\"maxOutputTokens\":99}}",
                                 false, &st, &err);
        EXPECT_EQ(st, GK_OK);
        EXPECT_CONTAINS(body, "\"max_completion_tokens\":99");
        EXPECT_TRUE(strstr(body, "\"max_tokens\"") == NULL);
    }
    gk_status st;
    gk_error err = {0};
    EXPECT_CONTAINS(build("o1x",
                          "{\"messages\":[" USER("hi") "],\"config\":{\"maxOutputTokens\":"
                                                       "9}}",
                          false, &st, &err),
                    "\"max_tokens\":9");
}

TEST(openai_wire_named_config_overrides_derived_fields)
{
    gk_status st;
    gk_error err = {0};

    const char *body = build(
        "gpt-4o",
        "{\"messages\":[" USER("hi") "],\"config\":{\"topP\":0.9,\"top_p\":0.5,\"tool_choice\":{"
                                     "\"type\":\"function\",\"function\":{\"name\":\"f\"}},"
                                     "\"response_format\":{\"type\":"
                                     "\"text\"},\"stream_options\":{\"include_usage\":false}},"
                                     "\"tools\":[{\"name\":\"f\","
                                     "\"description\":\"d\"}],\"toolChoice\":\"required\","
                                     "\"output\":{\"format\":\"json\"}}",
        true, &st, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(body,
                 "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}"
                 "],\"top_p\":0.5,\"tool_choice\":{\"type\":\"function\",\"function\":{"
                 "\"name\":\"f\"}},\"response_format\":{\"type\":\"text\"},"
                 "\"stream_options\":{\"include_usage\":false},\"tools\":[{\"type\":"
                 "\"function\",\"function\":{\"name\":\"f\",\"description\":\"d\","
                 "\"parameters\":{\"type\":\"object\",\"properties\":{}}}}],\"stream\":true}");
}

TEST(openai_schema_with_optional_fields_is_sent_unchanged_and_not_strict)
{
    gk_status st;
    gk_error err = {0};

    const char *body =
        build("gpt-4o",
              "{\"messages\":[" USER(
                  "hi") "],\"output\":{\"format\":\"json\",\"schema\":{\"$schema\":"
                        "\"http://json-schema.org/draft-07/"
                        "schema#\",\"type\":\"object\",\"properties\":{\"a\":{"
                        "\"type\":\"string\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\"],"
                        "\"additionalProperties\":false}}}",
              false, &st, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_CONTAINS(body, "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":"
                          "\"output\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{"
                          "\"type\":\"string\"},\"b\":{\"type\":\"integer\"}},\"required\":[\"a\"],"
                          "\"additionalProperties\":false},\"strict\":false}}");
    const char *nested =
        build("gpt-4o",
              "{\"messages\":[" USER("hi") "],\"output\":{\"format\":\"json\",\"schema\":{\"type\":"
                                           "\"object\",\"properties\":{\"items\":{\"type\":"
                                           "\"array\",\"items\":{\"type\":\"object\","
                                           "\"properties\":{\"x\":{\"type\":\"string\"}},"
                                           "\"required\":[\"x\"]}}},\"required\":["
                                           "\"items\"],\"additionalProperties\":false}}}",
              false, &st, &err);
    EXPECT_CONTAINS(nested, "\"strict\":false");
    const char *unconstrained =
        build("gpt-4o",
              "{\"messages\":[" USER("hi") "],\"output\":{\"format\":\"json\",\"schema\":"
                                           "{\"type\":\"object\"},\"constrained\":false}}",
              false, &st, &err);
    EXPECT_CONTAINS(unconstrained, "\"response_format\":{\"type\":\"json_object\"}");
}

TEST(openai_history_maps_assistant_tool_calls_and_tool_results)
{
    gk_status st;
    gk_error err = {0};

    const char *body = build(
        "gpt-4o",
        "{\"messages\":[" USER("go") ",{\"role\":\"model\",\"content\":[{\"reasoning\":\"hmm\"},{"
                                     "\"text\":\"Calling.\"},{\"toolRequest\":{\"name\":\"a\","
                                     "\"ref\":\"c1\",\"input\":{\"x\":1}}"
                                     "},{\"toolRequest\":{\"name\":\"b\"}}]},{\"role\":\"tool\","
                                     "\"content\":[{\"toolResponse\":"
                                     "{\"name\":\"a\",\"ref\":\"c1\",\"output\":{\"ok\":true}}},{"
                                     "\"toolResponse\":{\"name\":"
                                     "\"b\",\"output\":[1,2]}}]}]}",
        false, &st, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(body,
                 "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"go\"},{"
                 "\"role\":\"assistant\",\"content\":\"Calling.\",\"tool_calls\":[{\"id\":\"c1\","
                 "\"type\":\"function\",\"function\":{\"name\":\"a\",\"arguments\":"
                 "\"{\\\"x\\\":1}\"}},{\"id\":\"b\",\"type\":\"function\",\"function\":{\"name\":"
                 "\"b\",\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\","
                 "\"content\":\"{\\\"ok\\\":true}\"},{\"role\":\"tool\",\"tool_call_id\":\"b\","
                 "\"content\":\"[1,2]\"}]}");
}

TEST(openai_media_kinds_map_to_image_audio_and_file_parts)
{
    gk_status st;
    gk_error err = {0};

    const char *body =
        build("gpt-4o",
              "{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
              "\"https://x.test/a.jpg\"}},{\"media\":{\"url\":\"data:audio/wav;base64,UklG\"}},{"
              "\"media\":{\"url\":\"data:application/pdf;base64,JVBE\"}},{\"data\":{\"k\":1}}]}],"
              "\"config\":{\"visualDetailLevel\":\"low\"}}",
              false, &st, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(body,
                 "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
                 "\"image_url\",\"image_url\":{\"url\":\"https://x.test/a.jpg\",\"detail\":"
                 "\"low\"}},{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklG\","
                 "\"format\":\"wav\"}},{\"type\":\"file\",\"file\":{\"filename\":"
                 "\"document.pdf\",\"file_data\":\"data:application/pdf;base64,JVBE\"}},{"
                 "\"type\":\"text\",\"text\":\"{\\\"k\\\":1}\"}]}]}");
    build("gpt-4o",
          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
          "\"https://x.test/a.ogg\",\"contentType\":\"audio/ogg\"}}]}]}",
          false, &st, &err);
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0");
    build("gpt-4o", "{\"messages\":[" USER("hi") "],\"config\":[1]}", false, &st, &err);
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "config must be an object, got array");
}

/* ---- parsers on malformed input ---- */

static gk_status parse_body(const char *body, gk_error *err)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    gk_status st = gk_openai_parse_response(a, body, strlen(body), &resp, err);
    gk_arena_free(a);
    return st;
}

static gk_status parse_sse(const char *body, size_t split, char *json_out, size_t cap,
                           gk_error *err)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    gk_status st = gk_openai_parse_stream(a, body, strlen(body), split, NULL, NULL, &resp, err);
    if (st == GK_OK && json_out) {
        char *j = response_json(&resp);
        snprintf(json_out, cap, "%s", j);
        free(j);
    }
    gk_arena_free(a);
    return st;
}

TEST(openai_malformed_bodies_are_internal_errors_naming_the_field)
{
    gk_error err = {0};

    EXPECT_EQ(parse_body("not json", &err), GK_INTERNAL);
    EXPECT_CONTAINS(err.message, "openai response is not JSON: ");
    EXPECT_EQ(parse_body("{\"choices\":[]}", &err), GK_INTERNAL);
    EXPECT_STREQ(err.message, "malformed openai response: no choice 0");
    EXPECT_EQ(parse_body("{\"choices\":[{\"message\":{\"content\":5}}]}", &err), GK_INTERNAL);
    EXPECT_STREQ(err.message,
                 "malformed openai response: choices[0].message.content is number, expected a "
                 "string");
    EXPECT_EQ(parse_body("{\"choices\":[{\"message\":{\"tool_calls\":[{\"id\":\"c\",\"function\":"
                         "{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}",
                         &err),
              GK_INTERNAL);
    EXPECT_CONTAINS(err.message, "openai tool call 0 (\"f\") has arguments that are not JSON: ");
    EXPECT_EQ(
        parse_body("{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":{}}]}}]}", &err),
        GK_INTERNAL);
    EXPECT_STREQ(err.message, "malformed openai response: tool call 0 has no function name");
    EXPECT_EQ(parse_body("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}", &err),
              GK_UNAVAILABLE);
}

TEST(openai_content_filter_finish_is_blocked)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    const char body[] = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        "\"content\":null},\"finish_reason\":\"content_filter\"}]}";

    EXPECT_EQ(gk_openai_parse_response(a, body, strlen(body), &resp, NULL), GK_OK);

    EXPECT_EQ(resp.finish_reason, GK_FINISH_BLOCKED);
    EXPECT_STREQ(resp.finish_message, "the provider's content filter stopped the reply");
    EXPECT_EQ(resp.message.content.count, 0);
    gk_arena_free(a);
}

TEST(openai_stream_end_rules_and_bad_events)
{
    gk_error err = {0};
    char out[1024];

    EXPECT_EQ(parse_sse("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n", 0, out,
                        sizeof(out), &err),
              GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "openai stream ended before its finish_reason and [DONE]");
    EXPECT_EQ(parse_sse("data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":"
                        "\"stop\"}]}\n\n",
                        3, out, sizeof(out), &err),
              GK_OK);
    EXPECT_STREQ(out, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"a\"}]},"
                      "\"finishReason\":\"stop\"}");
    EXPECT_EQ(parse_sse("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n"
                        "\ndata: garbage after done\n\n",
                        5, out, sizeof(out), &err),
              GK_OK);
    EXPECT_STREQ(out, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"a\"}]},"
                      "\"finishReason\":\"unknown\"}");
    EXPECT_EQ(
        parse_sse("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}\n\n", 0, NULL, 0, &err),
        GK_INTERNAL);
    EXPECT_CONTAINS(err.message, "openai stream event 0 is not JSON: ");
    EXPECT_EQ(parse_sse("data: [1]\n\n", 0, NULL, 0, &err), GK_INTERNAL);
    EXPECT_EQ(parse_sse("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":-1}]}}]}\n\n",
                        0, NULL, 0, &err),
              GK_INTERNAL);
    EXPECT_STREQ(err.message, "malformed openai response: delta.tool_calls[].index is number, "
                              "expected a non-negative integer");
    EXPECT_EQ(parse_sse(": keep-alive comment\nevent: unknown\ndata: {\"choices\":[],\"extra\":"
                        "{\"x\":1}}\n\ndata: {\"choices\":[{\"delta\":{},\"finish_reason\":"
                        "\"length\"}]}\n\ndata: [DONE]\n\n",
                        1, out, sizeof(out), &err),
              GK_OK);
    EXPECT_STREQ(out, "{\"message\":{\"role\":\"model\",\"content\":[]},\"finishReason\":"
                      "\"length\"}");
}

TEST(openai_stream_tool_arguments_keyed_by_index_not_position)
{
    gk_error err = {0};
    char out[1024];
    const char *sse =
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{"
        "\"name\":\"fb\",\"arguments\":\"{\\\"y\\\"\"}},{\"index\":0,\"id\":\"a\",\"function\":{"
        "\"name\":\"fa\",\"arguments\":\"\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
        "\"{}\"}},{\"index\":1,\"function\":{\"arguments\":\":2}\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n";

    EXPECT_EQ(parse_sse(sse, 2, out, sizeof(out), &err), GK_OK);

    EXPECT_STREQ(out, "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                      "\"fb\",\"input\":{\"y\":2},\"ref\":\"b\"}},{\"toolRequest\":{\"name\":"
                      "\"fa\",\"input\":{},\"ref\":\"a\"}}]},\"finishReason\":\"stop\"}");
}

TEST(openai_embeddings_parser_rejects_wrong_counts_and_bad_base64)
{
    gk_arena *a = gk_arena_new(0);
    gk_embed_response out;
    gk_error err = {0};
    const char two[] = "{\"data\":[{\"index\":1,\"embedding\":[1,2]},{\"index\":0,\"embedding\":"
                       "\"AACAPw==\"}]}";

    EXPECT_EQ(gk_openai_parse_embeddings(a, two, strlen(two), 2, &out, &err), GK_OK);
    EXPECT_EQ(out.embeddings.items[0].embedding.count, 1);
    EXPECT_TRUE(out.embeddings.items[0].embedding.items[0] == 1.0);
    EXPECT_TRUE(out.embeddings.items[1].embedding.items[1] == 2.0);
    EXPECT_EQ(gk_openai_parse_embeddings(a, two, strlen(two), 3, &out, &err), GK_INTERNAL);
    EXPECT_STREQ(err.message, "openai returned 2 embeddings for 3 inputs");
    const char bad64[] = "{\"data\":[{\"embedding\":\"AAA!\"}]}";
    EXPECT_EQ(gk_openai_parse_embeddings(a, bad64, strlen(bad64), 1, &out, &err), GK_INTERNAL);
    const char dup[] = "{\"data\":[{\"index\":0,\"embedding\":[]},{\"index\":0,\"embedding\":[]}]}";
    EXPECT_EQ(gk_openai_parse_embeddings(a, dup, strlen(dup), 2, &out, &err), GK_INTERNAL);
    EXPECT_STREQ(err.message, "malformed openai embeddings response: index repeats (item 1)");
    gk_arena_free(a);
}
