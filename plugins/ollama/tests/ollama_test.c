/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/ollama/tests/ollama_test.c - the ollama plugin against every ollama fixture, replayed
 * by the loopback server: the exact request sent (method, path, headers, body as JSON), the
 * GenerateResponse and chunks produced (streams also split at awkward byte offsets), errors
 * (status, message, retry delay, no key in messages), cancellation, embedders, the host and
 * environment configuration, request mapping details, and the decoder on malformed input.
 * The two v1-* fixtures are Ollama's OpenAI dialect, which the openai plugin speaks; their
 * scenarios are covered here through their native twins (api-chat-format-schema and
 * api-chat-cloud-tool-call-thinking). */
#include <stdlib.h>
#include <string.h>

#include <genkit/embed.h>
#include <genkit/plugins/ollama.h>

#include "runtime/rt_helpers.h"
#include "support/fixtures.h"
#include "test.h"

#define KEY "sk-test-SECRET"

static gk_ollama_opts t_opts;

static gk_status test_init(gk_plugin_host *h, const gk_json *cfg, gk_error *err)
{
    (void)cfg;
    return gk_ollama_init(h, &t_opts, err);
}

static const gk_plugin test_plugin = {.abi = GK_PLUGIN_ABI, .name = "ollama", .init = test_init};

static const char *const extra_models[] = {"llama9", "gpt-oss:20b", "llama3.2:1b", NULL};

/* An instance whose ollama plugin talks to s, with key (NULL: no Authorization header). */
static gk_genkit *new_oll(gk_test_server *s, const char *key)
{
    gk_error err = {0};
    unsetenv("OLLAMA_API_KEY");
    t_opts = (gk_ollama_opts){
        .api_key = key, .host = s ? gk_test_server_url(s) : NULL, .models = extra_models};
    const gk_plugin *const plugins[] = {&test_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    if (!g)
        fprintf(stderr, "ollama init: %s\n", err.message);
    return g;
}

/* ---- one model call in a fiber ---- */

struct ocase {
    gk_genkit *g;
    const char *model;
    const char *request; /* GenerateRequest JSON */
    bool stream;
    int64_t timeout_ms;
    gk_status st;
    gk_error err;
    char *resp_json;   /* the response, less latencyMs, custom and request (heap) */
    char *custom_json; /* its custom (heap), NULL when absent */
    gk_buf chunks;     /* the chunks as a JSON array's items */
    char text[8192];   /* the chunks' text concatenated */
    char reasoning[8192];
    int nchunks;
};

static void ocase_free(struct ocase *c)
{
    free(c->resp_json);
    free(c->custom_json);
    gk_buf_release(&c->chunks);
}

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct ocase *c = arg;
    gk_jw w;
    if (c->nchunks++)
        gk_buf_putc(&c->chunks, ',');
    gk_jw_init(&w, &c->chunks);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response_chunk), chunk);
    for (size_t i = 0; i < chunk->content.count; i++) {
        const gk_part *p = &chunk->content.items[i];
        if (p->text)
            strncat(c->text, p->text, sizeof(c->text) - strlen(c->text) - 1);
        if (p->reasoning)
            strncat(c->reasoning, p->reasoning, sizeof(c->reasoning) - strlen(c->reasoning) - 1);
    }
    return GK_OK;
}

static char *encode_json(const gk_json *v)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, v);
    return gk_buf_detach(&b, NULL);
}

static void call_fiber(gk_ctx *ctx, void *arg)
{
    struct ocase *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_generate_request req = {0};
    c->st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), c->request, strlen(c->request), &req,
                           &c->err);
    if (c->st != GK_OK)
        return;
    if (c->timeout_ms)
        gk_ctx_set_timeout(ctx, c->timeout_ms);
    gk_generate_response resp;
    c->st =
        gk_model_call(ctx, c->g, c->model, &req, c->stream ? on_chunk : NULL, c, &resp, &c->err);
    if (c->st != GK_OK)
        return;
    if (resp.custom)
        c->custom_json = encode_json(resp.custom);
    resp.has_latency_ms = false;
    resp.custom = NULL;
    resp.request = NULL;
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response), &resp);
    c->resp_json = gk_buf_detach(&b, NULL);
}

static void run_case(struct ocase *c)
{
    c->chunks = GK_BUF_INIT(0);
    gk_status st = rt_run_fiber(call_fiber, c, 256 * 1024);
    if (st != GK_OK)
        c->st = st;
}

/* ---- JSON comparisons ---- */

#define EXPECT_JSON(actual, expected)                                                            \
    do {                                                                                         \
        const char *a_ = (actual);                                                               \
        const char *e_ = (expected);                                                             \
        char why_[256] = "";                                                                     \
        if (!a_ || !gk_fixture_json_equal(a_, strlen(a_), e_, strlen(e_), why_, sizeof(why_)))   \
            gk_test_fail(__FILE__, __LINE__, "JSON differs (%s):\n  got:  %s\n  want: %s", why_, \
                         a_ ? a_ : "(null)", e_);                                                \
    } while (0)

static void drop_member(gk_json *obj, const char *key)
{
    for (size_t i = 0; obj && obj->type == GK_JSON_OBJECT && i < obj->count; i++) {
        if (strcmp(obj->items[i].key, key) == 0) {
            memmove(&obj->items[i], &obj->items[i + 1], (obj->count - i - 1) * sizeof(gk_json));
            obj->count--;
            obj->len = obj->count;
            return;
        }
    }
}

/* Normalized JSON text of a request body (heap), with top-level member `drop` removed. */
static char *normalized(const char *text, size_t len, const char *drop)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *v = NULL;
    gk_error err = {0};
    char *out = NULL;
    if (gk_json_parse(a, text, len, NULL, &v, &err) == GK_OK) {
        if (drop)
            drop_member(v, drop);
        out = encode_json(v);
    } else {
        fprintf(stderr, "request body is not JSON: %s\n", err.message);
    }
    gk_arena_free(a);
    return out;
}

/* The top-level member `key` of request i's body as JSON text (heap), or NULL. */
static char *body_member(gk_test_server *s, size_t i, const char *key)
{
    const gk_test_request *r = gk_test_server_request(s, i);
    if (!r)
        return NULL;
    gk_arena *a = gk_arena_new(0);
    gk_json *v = NULL;
    char *out = NULL;
    if (gk_json_parse(a, r->body, r->body_len, NULL, &v, NULL) == GK_OK && gk_json_get(v, key))
        out = encode_json(gk_json_get(v, key));
    gk_arena_free(a);
    return out;
}

/* Check request i: POST to path, JSON headers, the bearer key exactly when one is configured,
 * and the body equal to the fixture's request (as JSON) less the top-level member `drop`. */
static void expect_request(gk_test_server *s, size_t i, const char *path, const char *key,
                           const gk_fixture *f, const char *drop)
{
    const gk_test_request *r = gk_test_server_request(s, i);
    ASSERT_TRUE(r != NULL);
    EXPECT_STREQ(r->method, "POST");
    EXPECT_STREQ(r->target, path);
    EXPECT_STREQ(gk_test_request_header(r, "content-type"), "application/json");
    EXPECT_STREQ(gk_test_request_header(r, "accept"), "application/json");
    EXPECT_CONTAINS(gk_test_request_header(r, "user-agent"), "genkit-c/");
    if (key) {
        char want[128];
        snprintf(want, sizeof(want), "Bearer %s", key);
        EXPECT_STREQ(gk_test_request_header(r, "authorization"), want);
    } else {
        EXPECT_TRUE(gk_test_request_header(r, "authorization") == NULL);
    }
    if (!f || !f->request)
        return;
    char *got = normalized(r->body, r->body_len, drop);
    char *want = normalized(f->request, f->request_len, drop);
    ASSERT_TRUE(got && want);
    EXPECT_JSON(got, want);
    free(got);
    free(want);
}

static gk_fixture *serve_and_run(gk_test_server *s, const char *name, size_t split, struct ocase *c)
{
    gk_fixture *f = gk_fixture_load("ollama", name);
    if (!f)
        return NULL;
    gk_fixture_serve(s, f, split, 0);
    run_case(c);
    return f;
}

#define USER(text) "{\"role\":\"user\",\"content\":[{\"text\":\"" text "\"}]}"

/* Run fixture `name` non-streaming with request; check the wire request and the response JSON. */
static void check_chat(const char *name, const char *model, const char *key, const char *request,
                       const char *want_resp, const char *drop)
{
    gk_test_server *s = gk_test_server_start();
    ASSERT_TRUE(s != NULL);
    gk_genkit *g = new_oll(s, key);
    ASSERT_TRUE(g != NULL);
    struct ocase c = {.g = g, .model = model, .request = request};
    gk_fixture *f = serve_and_run(s, name, 0, &c);
    ASSERT_TRUE(f != NULL);
    EXPECT_EQ(c.st, GK_OK);
    if (c.st != GK_OK)
        fprintf(stderr, "  %s: %s\n", name, c.err.message);
    expect_request(s, 0, "/api/chat", key, f, drop);
    EXPECT_JSON(c.resp_json, want_resp);
    ocase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_chat_maps_system_options_and_usage)
{
    check_chat("api-chat", "ollama/llama3.2", NULL,
               "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"Answer in one "
               "sentence.\"}]}," USER("Why is the sky blue?") "],\"config\":{\"temperature\":0.2,"
                                                              "\"maxOutputTokens\":128}}",
               "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The sky appears blue "
               "because of Rayleigh scattering.\"}]},\"finishReason\":\"stop\",\"usage\":{"
               "\"inputTokens\":26,\"outputTokens\":12,\"totalTokens\":38}}",
               NULL);
}

TEST(ollama_chat_custom_carries_model_and_durations)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    struct ocase c = {
        .g = g, .model = "ollama/llama3.2", .request = "{\"messages\":[" USER("hi") "]}"};
    gk_fixture *f = serve_and_run(s, "api-chat", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    EXPECT_JSON(c.custom_json,
                "{\"model\":\"llama3.2\",\"created_at\":\"2026-01-05T10:00:02.123456Z\","
                "\"total_duration\":1523456789,\"load_duration\":12345678,"
                "\"prompt_eval_duration\":123456789,\"eval_duration\":987654321}");
    /* No config: no "options" member at all. */
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_TRUE(r != NULL);
    EXPECT_JSON(r->body, "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":"
                         "\"hi\"}],\"stream\":false}");
    ocase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_num_predict_truncation_maps_to_length)
{
    check_chat(
        "api-chat-length", "ollama/llama3.2", NULL,
        "{\"messages\":[" USER("Why is the sky blue?") "],\"config\":{\"maxOutputTokens\":5}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The sky is blue "
        "because\"}]},\"finishReason\":\"length\",\"usage\":{\"inputTokens\":26,"
        "\"outputTokens\":5,\"totalTokens\":31}}",
        NULL);
}

TEST(ollama_image_data_url_goes_as_raw_base64)
{
    check_chat(
        "api-chat-image", "ollama/llava", NULL,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is in this "
        "image?\"},{\"media\":{\"url\":\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAA"
        "ABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==\","
        "\"contentType\":\"image/png\"}}]}]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"A red square.\"}]},"
        "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":600,\"outputTokens\":5,"
        "\"totalTokens\":605}}",
        NULL);
}

TEST(ollama_json_output_with_schema_sends_format_schema)
{
    check_chat(
        "api-chat-format-schema", "ollama/llama3.2", NULL,
        "{\"messages\":[" USER("Capital of France as JSON") "],\"output\":{\"format\":\"json\","
                                                            "\"schema\":{\"type\":\"object\","
                                                            "\"properties\":{\"city\":{\"type\":"
                                                            "\"string\"},\"country\":{\"type\":"
                                                            "\"string\"}},\"required\":[\"city\","
                                                            "\"country\"]}}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"{\\\"city\\\": \\\"Paris\\\", "
        "\\\"country\\\": \\\"France\\\"}\"}]},\"finishReason\":\"stop\",\"usage\":{"
        "\"inputTokens\":30,\"outputTokens\":14,\"totalTokens\":44}}",
        NULL);
}

#define WEATHER_TOOL                                                                               \
    "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Get the current weather for a "        \
    "city\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}," \
    "\"required\":[\"city\"]}}]"

TEST(ollama_tool_calls_with_object_arguments_get_numbered_refs)
{
    check_chat("api-chat-tool-call", "ollama/llama3.2", NULL,
               "{\"messages\":[" USER("Weather in Paris and Tokyo?") "]," WEATHER_TOOL "}",
               "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
               "\"get_weather\",\"input\":{\"city\":\"Paris\"},\"ref\":\"0\"}},{\"toolRequest\":{"
               "\"name\":\"get_weather\",\"input\":{\"city\":\"Tokyo\"},\"ref\":\"1\"}}]},"
               "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":160,\"outputTokens\":38,"
               "\"totalTokens\":198}}",
               NULL);
}

TEST(ollama_tool_results_go_as_tool_messages_without_numbered_ids)
{
    check_chat(
        "api-chat-tool-result-followup", "ollama/llama3.2", NULL,
        "{\"messages\":[" USER("Weather in Paris and Tokyo?") ",{\"role\":\"model\",\"content\":[{"
                                                              "\"toolRequest\":{\"name\":\"get_"
                                                              "weather\",\"ref\":\"0\",\"input\":{"
                                                              "\"city\":\"Paris\"}}},{"
                                                              "\"toolRequest\":{\"name\":\"get_"
                                                              "weather\",\"ref\":\"1\",\"input\":{"
                                                              "\"city\":\"Tokyo\"}}}]},{\"role\":"
                                                              "\"tool\",\"content\":[{"
                                                              "\"toolResponse\":{\"name\":\"get_"
                                                              "weather\",\"ref\":\"0\",\"output\":"
                                                              "{\"temp_c\":18}}},{\"toolResponse\":"
                                                              "{\"name\":\"get_weather\",\"ref\":"
                                                              "\"1\",\"output\":{\"temp_c\":22}}}]"
                                                              "}]," WEATHER_TOOL "}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"It is 18\xc2\xb0"
        "C in Paris and 22\xc2\xb0"
        "C in Tokyo.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":210,"
        "\"outputTokens\":18,\"totalTokens\":228}}",
        NULL);
}

#define CITY_TOOL                                                                               \
    "\"tools\":[{\"name\":\"get_weather\",\"description\":\"Get the weather in a given city\"," \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","       \
    "\"description\":\"The city to get the weather for\"}},\"required\":[\"city\"]}}]"

TEST(ollama_tool_results_echo_server_ids_as_tool_call_id)
{
    check_chat(
        "api-chat-tool-result-followup-ids", "ollama/llama3.2", NULL,
        "{\"messages\":[" USER(
            "what is the weather in tokyo and paris?") ",{\"role\":\"model\","
                                                       "\"content\":[{\"toolRequest\":{\"name\":"
                                                       "\"get_weather\",\"ref\":\"call_k3kzl6ga\","
                                                       "\"input\":{\"city\":\"Tokyo\"}}},{"
                                                       "\"toolRequest\":{\"name\":\"get_weather\","
                                                       "\"ref\":"
                                                       "\"call_m1t0fx2b\",\"input\":{\"city\":"
                                                       "\"Paris\"}}}]},{\"role\":\"tool\","
                                                       "\"content\":[{"
                                                       "\"toolResponse\":{\"name\":\"get_weather\","
                                                       "\"ref\":\"call_k3kzl6ga\",\"output\":{"
                                                       "\"temp_c\":25}}},{\"toolResponse\":{"
                                                       "\"name\":\"get_weather\",\"ref\":\"call_"
                                                       "m1t0fx2b\","
                                                       "\"output\":{\"temp_c\":18}}}]}]," CITY_TOOL
                                                       "}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"Tokyo 25\xc2\xb0"
        "C, Paris 18\xc2\xb0"
        "C.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":230,\"outputTokens\":14,"
        "\"totalTokens\":244}}",
        NULL);
}

TEST(ollama_thinking_maps_to_a_reasoning_part_first)
{
    check_chat("api-chat-thinking", "ollama/qwen3", NULL,
               "{\"messages\":[" USER("How many r's are in strawberry?") "],\"config\":{\"think\":"
                                                                         "true}}",
               "{\"message\":{\"role\":\"model\",\"content\":[{\"reasoning\":\"Let me count: "
               "s-t-r-a-w-b-e-r-r-y. r at positions 3, 8 and 9. That is 3.\"},{\"text\":\"There "
               "are 3 r's in strawberry.\"}]},\"finishReason\":\"stop\",\"usage\":{"
               "\"inputTokens\":18,\"outputTokens\":64,\"totalTokens\":82}}",
               NULL);
}

TEST(ollama_load_reply_maps_to_other_and_keep_alive_passes_through)
{
    check_chat("api-chat-done-reason-load", "ollama/llama3.2", NULL,
               "{\"messages\":[],\"config\":{\"keepAlive\":\"10m\"}}",
               "{\"message\":{\"role\":\"model\",\"content\":[]},\"finishReason\":\"other\","
               "\"finishMessage\":\"ollama done_reason \\\"load\\\"\"}",
               NULL);
}

TEST(ollama_hosted_call_sends_bearer_key_and_reads_thinking_tool_call)
{
    check_chat(
        "api-chat-cloud-tool-call-thinking", "ollama/gpt-oss:20b", KEY,
        "{\"messages\":[" USER(
            "What is the capital of France?") "],\"tools\":[{\"name\":"
                                              "\"final_result\",\"description\":\"The final "
                                              "response which ends this "
                                              "conversation\",\"inputSchema\":{"
                                              "\"additionalProperties\":false,\"properties\":{"
                                              "\"city\":{\"type\":\"string\"},\"country\":{"
                                              "\"type\":\"string\"}},\"required\":["
                                              "\"city\",\"country\"],\"type\":\"object\"}}]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"reasoning\":\"The user wants "
        "structured output; call final_result with Paris and France.\"},{\"toolRequest\":{"
        "\"name\":\"final_result\",\"input\":{\"city\":\"Paris\",\"country\":\"France\"},"
        "\"ref\":\"call_o2vnpxrw\"}}]},\"finishReason\":\"stop\",\"usage\":{"
        "\"inputTokens\":206,\"outputTokens\":194,\"totalTokens\":400}}",
        NULL);
}

/* ---- streaming ---- */

/* Run fixture `name` streamed (whole, and split at 1, 7 and 64 bytes: the same results each
 * time); check the wire request (less `drop`; "stream" must be true), the response and chunks. */
static void check_stream(const char *name, const char *model, const char *request,
                         const char *want_resp, const char *want_text, const char *want_reasoning,
                         int want_chunks, const char *want_chunks_json, const char *drop)
{
    static const size_t splits[] = {0, 1, 7, 64};
    for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
        gk_test_server *s = gk_test_server_start();
        ASSERT_TRUE(s != NULL);
        gk_genkit *g = new_oll(s, NULL);
        ASSERT_TRUE(g != NULL);
        struct ocase c = {.g = g, .model = model, .request = request, .stream = true};
        gk_fixture *f = serve_and_run(s, name, splits[k], &c);
        ASSERT_TRUE(f != NULL);
        EXPECT_EQ(c.st, GK_OK);
        if (c.st != GK_OK)
            fprintf(stderr, "  %s split %zu: %s\n", name, splits[k], c.err.message);
        expect_request(s, 0, "/api/chat", NULL, f, drop);
        char *stream = body_member(s, 0, "stream");
        EXPECT_STREQ(stream, "true");
        free(stream);
        EXPECT_JSON(c.resp_json, want_resp);
        EXPECT_STREQ(c.text, want_text);
        EXPECT_STREQ(c.reasoning, want_reasoning);
        EXPECT_EQ(c.nchunks, want_chunks);
        if (want_chunks_json) {
            gk_buf all = GK_BUF_INIT(0);
            gk_buf_putc(&all, '[');
            gk_buf_put(&all, c.chunks.ptr ? c.chunks.ptr : "", c.chunks.len);
            gk_buf_putc(&all, ']');
            EXPECT_JSON(all.ptr, want_chunks_json);
            gk_buf_release(&all);
        }
        ocase_free(&c);
        gk_fixture_free(f);
        gk_shutdown(g);
        gk_test_server_stop(s);
    }
}

TEST(ollama_stream_concatenates_content_deltas_at_any_split)
{
    /* The hand-written request omits "stream" (Ollama's default is true); we send it always, as
     * ollama-python and ollama-js do, so it is compared apart. */
    check_stream(
        "api-chat-stream", "ollama/llama3.2", "{\"messages\":[" USER("Why is the sky blue?") "]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The sky is blue due to "
        "Rayleigh scattering.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":26,"
        "\"outputTokens\":10,\"totalTokens\":36}}",
        "The sky is blue due to Rayleigh scattering.", "", 9, NULL, "stream");
}

TEST(ollama_stream_tool_call_arrives_whole)
{
    check_stream("api-chat-stream-tool-call", "ollama/llama3.2",
                 "{\"messages\":[" USER("Weather in Paris?") "]," WEATHER_TOOL "}",
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                 "\"get_weather\",\"input\":{\"city\":\"Paris\"},\"ref\":\"0\"}}]},"
                 "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":150,\"outputTokens\":20,"
                 "\"totalTokens\":170}}",
                 "", "", 1,
                 "[{\"role\":\"model\",\"index\":0,\"content\":[{\"toolRequest\":{\"name\":"
                 "\"get_weather\",\"input\":{\"city\":\"Paris\"},\"ref\":\"0\"}}]}]",
                 "stream");
}

TEST(ollama_stream_parallel_tool_calls_keep_server_ids)
{
    check_stream("api-chat-stream-parallel-tool-calls", "ollama/llama3.2",
                 "{\"messages\":[" USER("what is the weather in tokyo and paris?") "]," CITY_TOOL
                                                                                   "}",
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                 "\"get_weather\",\"input\":{\"city\":\"Tokyo\"},\"ref\":\"call_k3kzl6ga\"}},{"
                 "\"toolRequest\":{\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"},\"ref\":"
                 "\"call_m1t0fx2b\"}}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":175,"
                 "\"outputTokens\":38,\"totalTokens\":213}}",
                 "", "", 1, NULL, NULL);
}

TEST(ollama_stream_thinking_then_content_at_any_split)
{
    check_stream(
        "api-chat-stream-thinking", "ollama/qwen3",
        "{\"messages\":[" USER("How many r's are in strawberry?") "],\"config\":{\"think\":"
                                                                  "true}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"reasoning\":\"Count the r's: "
        "3.\"},{\"text\":\"There are 3 \xe2\x80\x94 r\xe2\x80\x99s.\"}]},\"finishReason\":"
        "\"stop\",\"usage\":{\"inputTokens\":18,\"outputTokens\":12,\"totalTokens\":30}}",
        "There are 3 \xe2\x80\x94 r\xe2\x80\x99s.", "Count the r's: 3.", 4,
        "[{\"role\":\"model\",\"index\":0,\"content\":[{\"reasoning\":\"Count\"}]},"
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"reasoning\":\" the r's: 3.\"}]},"
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\"There are\"}]},"
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\" 3 \xe2\x80\x94 "
        "r\xe2\x80\x99s.\"}]}]",
        NULL);
}

/* ---- errors ---- */

static void check_error(const char *name, const char *model, gk_status want, const char *msg,
                        int want_retry_ms, bool stream, const char *key)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, key);
    ASSERT_TRUE(g != NULL);
    struct ocase c = {
        .g = g, .model = model, .request = "{\"messages\":[" USER("hi") "]}", .stream = stream};
    gk_fixture *f = serve_and_run(s, name, 0, &c);
    ASSERT_TRUE(f != NULL);
    EXPECT_EQ(c.st, want);
    EXPECT_EQ(c.err.status, want);
    EXPECT_STREQ(c.err.message, msg);
    EXPECT_TRUE(strstr(c.err.message, "SECRET") == NULL);
    EXPECT_EQ(c.err.retry_after_ms, want_retry_ms);
    if (f->request)
        expect_request(s, 0, "/api/chat", key, f, "stream");
    ocase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_error_400_is_invalid_argument_with_the_message)
{
    check_error("error-400-bad-request", "ollama/llama3.2", GK_INVALID_ARGUMENT,
                "ollama error (HTTP 400, INVALID_ARGUMENT): invalid message format", 0, false, KEY);
}

TEST(ollama_error_model_not_pulled_is_not_found)
{
    check_error("error-404-model-not-found", "ollama/llama9", GK_NOT_FOUND,
                "ollama error (HTTP 404, NOT_FOUND): model \"llama9\" not found, try pulling it "
                "first",
                0, false, NULL);
    check_error("error-404-model-not-found", "ollama/llama9", GK_NOT_FOUND,
                "ollama error (HTTP 404, NOT_FOUND): model \"llama9\" not found, try pulling it "
                "first",
                0, true, NULL);
}

TEST(ollama_error_500_is_internal)
{
    check_error("error-500-runner-terminated", "ollama/llama3.2", GK_INTERNAL,
                "ollama error (HTTP 500, INTERNAL): llama runner process has terminated: signal: "
                "killed",
                0, false, NULL);
}

TEST(ollama_error_401_is_unauthenticated_without_the_key)
{
    check_error("error-401-unauthorized", "ollama/gpt-oss:20b", GK_UNAUTHENTICATED,
                "ollama error (HTTP 401, UNAUTHENTICATED): unauthorized", 0, false, KEY);
}

TEST(ollama_error_429_reads_retry_after)
{
    check_error("error-429-rate-limited", "ollama/gpt-oss:20b", GK_RESOURCE_EXHAUSTED,
                "ollama error (HTTP 429, RESOURCE_EXHAUSTED): you've reached your hourly usage "
                "limit, please upgrade or try again later",
                7000, true, KEY);
}

TEST(ollama_error_503_server_busy_is_unavailable)
{
    check_error("error-503-server-busy", "ollama/llama3.2", GK_UNAVAILABLE,
                "ollama error (HTTP 503, UNAVAILABLE): server busy, please try again.  maximum "
                "pending requests exceeded",
                0, true, NULL);
}

TEST(ollama_error_line_inside_a_stream_fails_after_the_text_so_far)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    static const size_t splits[] = {0, 1, 7};
    for (size_t k = 0; k < 3; k++) {
        struct ocase c = {.g = g,
                          .model = "ollama/llama3.2",
                          .request = "{\"messages\":[" USER("hi") "]}",
                          .stream = true};
        gk_fixture *f = serve_and_run(s, "api-chat-stream-error", splits[k], &c);
        ASSERT_TRUE(f != NULL);
        EXPECT_EQ(c.st, GK_INTERNAL);
        EXPECT_STREQ(c.err.message, "ollama error (in stream, INTERNAL): an error was encountered "
                                    "while running the model: unexpected EOF");
        EXPECT_STREQ(c.text, "The");
        ocase_free(&c);
        gk_fixture_free(f);
    }
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_error_mapping_masks_an_echoed_key_and_reads_stream_wording)
{
    const char body[] = "{\"error\":\"bad key sk-test-SECRET\"}";
    gk_error err = {0};
    EXPECT_EQ(gk_ollama_error_from_body(401, body, strlen(body), 0, KEY, &err), GK_UNAUTHENTICATED);
    EXPECT_TRUE(strstr(err.message, "SECRET") == NULL);
    EXPECT_CONTAINS(err.message, "bad key ***");
    EXPECT_EQ(gk_ollama_error_from_body(502, "<html>bad gateway</html>", 24, 0, NULL, &err),
              GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "ollama error (HTTP 502, UNAVAILABLE) with a body that is not an "
                              "ollama error object");
    EXPECT_EQ(gk_ollama_error_from_body(404, "404 page not found", 18, 0, NULL, &err),
              GK_NOT_FOUND);
    EXPECT_EQ(gk_ollama_error_from_body(301, "", 0, 0, NULL, &err), GK_UNKNOWN);
    EXPECT_CONTAINS(err.message, "redirects are not followed");
    const char proxy[] = "{\"error\":{\"message\":\"quota\",\"type\":\"rate_limit\"}}";
    EXPECT_EQ(gk_ollama_error_from_body(429, proxy, strlen(proxy), 1500, NULL, &err),
              GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(err.message, "ollama error (HTTP 429, RESOURCE_EXHAUSTED): quota");
    EXPECT_EQ(err.retry_after_ms, 1500);

    /* Errors inside a 200 stream are judged by Ollama's wording. */
    static const struct {
        const char *line;
        gk_status want;
    } cases[] = {
        {"{\"error\":\"model 'x' not found\"}", GK_NOT_FOUND},
        {"{\"error\":\"x does not support tools\"}", GK_INVALID_ARGUMENT},
        {"{\"error\":\"server busy, please try again\"}", GK_UNAVAILABLE},
        {"{\"error\":\"unexpected EOF\"}", GK_INTERNAL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_ollama_decoder *d = gk_ollama_decoder_new(a, true, NULL, NULL);
        EXPECT_EQ(gk_ollama_decoder_feed(d, cases[i].line, strlen(cases[i].line), &err), GK_OK);
        gk_generate_response resp;
        EXPECT_EQ(gk_ollama_decoder_finish(d, &resp, &err), cases[i].want);
        gk_arena_free(a);
    }
}

TEST(ollama_unreachable_server_is_unavailable_with_a_hint)
{
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", gk_test_unused_port());
    gk_error err = {0};
    unsetenv("OLLAMA_API_KEY");
    t_opts = (gk_ollama_opts){.host = host};
    const gk_plugin *const plugins[] = {&test_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    ASSERT_TRUE(g != NULL);
    struct ocase c = {
        .g = g, .model = "ollama/llama3.2", .request = "{\"messages\":[" USER("hi") "]}"};
    run_case(&c);
    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(c.err.message, "(is ollama running? see OLLAMA_HOST)");
    ocase_free(&c);
    gk_shutdown(g);
}

/* ---- requests refused or mapped ---- */

TEST(ollama_bad_requests_are_refused_before_sending)
{
    static const struct {
        const char *request;
        const char *path;
        const char *msg;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
         "\"https://x.test/cat.png\"}}]}]}",
         "/messages/0/content/0", "ollama does not fetch media URLs"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
         "\"data:application/pdf;base64,JVBERi0=\"}}]}]}",
         "/messages/0/content/0", "images only, got media of type \"application/pdf\""},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
         "\"data:image/png,abc\"}}]}]}",
         "/messages/0/content/0", "must be base64"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"custom\":{\"x\":1}}]}]}",
         "/messages/0/content/0", "custom parts"},
        {"{\"messages\":[" USER("x") "],\"config\":{\"temperature\":\"hot\"}}",
         "/config/temperature", "must be a number"},
        {"{\"messages\":[" USER("x") "],\"config\":{\"stopSequences\":\"END\"}}",
         "/config/stopSequences", "array of strings"},
        {"{\"messages\":[" USER("x") "],\"config\":{\"version\":\"../x\"}}", "/config/version",
         "ollama model name"},
        {"{\"messages\":[" USER("x") "],\"config\":{\"think\":3}}", "/config/think",
         "boolean or a level"},
        {"{\"messages\":[" USER("x") "],\"config\":{\"options\":[1]}}", "/config/options",
         "must be an object"},
        {"{\"messages\":[" USER("x") "],\"tools\":[{\"name\":\"t\",\"description\":\"d\","
                                     "\"inputSchema\":[1]}]}",
         "/tools/0/inputSchema", "must be an object"},
    };
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ocase c = {.g = g, .model = "ollama/llava", .request = cases[i].request};
        run_case(&c);
        EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
        EXPECT_STREQ(c.err.path, cases[i].path);
        EXPECT_CONTAINS(c.err.message, cases[i].msg);
        ocase_free(&c);
    }
    EXPECT_EQ(gk_test_server_request_count(s), 0);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* The request body gk_ollama_build_request writes for GenerateRequest JSON (heap), or NULL. */
static char *build(const char *model, const char *request, bool stream, gk_error *err)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_request req = {0};
    char *out = NULL;
    if (gk_decode_text(a, GK_TYPE_OF(gk_generate_request), request, strlen(request), &req, err) ==
        GK_OK) {
        gk_buf b = GK_BUF_INIT(0);
        if (gk_ollama_build_request(a, model, &req, stream, &b, err) == GK_OK)
            out = gk_buf_detach(&b, NULL);
        gk_buf_release(&b);
    }
    gk_arena_free(a);
    return out;
}

TEST(ollama_request_maps_config_options_and_top_level_settings)
{
    gk_error err = {0};
    char *body = build(
        "qwen3",
        "{\"messages\":[" USER(
            "x") "],\"config\":{\"temperature\":0.5,\"topP\":0.9,\"topK\":40,"
                 "\"maxOutputTokens\":64,\"stopSequences\":[\"END\"],\"seed\":7,"
                 "\"frequencyPenalty\":0.1,"
                 "\"presencePenalty\":0.2,\"num_ctx\":8192,\"num_predict\":32,\"repeat_penalty\":1."
                 "1,"
                 "\"options\":{\"min_p\":0.05,\"seed\":8},\"keep_alive\":-1,\"keepAlive\":\"1m\","
                 "\"think\":\"high\",\"truncate\":false,\"version\":\"ignored-here\"}}",
        true, &err);
    ASSERT_TRUE(body != NULL);
    EXPECT_JSON(body,
                "{\"model\":\"qwen3\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                "\"options\":{\"temperature\":0.5,\"top_p\":0.9,\"top_k\":40,\"num_predict\":32,"
                "\"stop\":[\"END\"],\"seed\":8,\"frequency_penalty\":0.1,\"presence_penalty\":0.2,"
                "\"num_ctx\":8192,\"repeat_penalty\":1.1,\"min_p\":0.05},\"stream\":true,"
                "\"keep_alive\":-1,\"think\":\"high\",\"truncate\":false}");
    free(body);
}

TEST(ollama_request_maps_history_parts_and_tool_choice)
{
    gk_error err = {0};
    char *body = build(
        "llama3.2",
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"a\"},{\"text\":\"b\"}]},"
        "{\"role\":\"user\",\"content\":[{\"text\":\"see \"},{\"data\":{\"k\":1}},{\"media\":{"
        "\"url\":\"data:;base64,AAAA\"}},{\"media\":{\"url\":\"data:image/jpeg;base64,BBBB\"}}]},"
        "{\"role\":\"model\",\"content\":[{\"reasoning\":\"hmm\"},{\"text\":\"ok\"},{"
        "\"toolRequest\":{\"name\":\"t\",\"ref\":\"toolu_1\"}}]},{\"role\":\"tool\",\"content\":[{"
        "\"toolResponse\":{\"name\":\"t\",\"ref\":\"toolu_1\",\"output\":\"plain\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"toolResponse\":{\"name\":\"u\",\"content\":[{\"text\":"
        "\"multi\"},{\"text\":\"part\"}]}},{\"text\":\"next\"}]}],"
        "\"tools\":[{\"name\":\"t\",\"description\":\"d\"}],\"toolChoice\":\"none\","
        "\"output\":{\"format\":\"json\",\"constrained\":false,\"schema\":{\"type\":\"object\"}}}",
        false, &err);
    if (!body)
        fprintf(stderr, "build: %s (%s)\n", err.message, err.path);
    ASSERT_TRUE(body != NULL);
    EXPECT_JSON(body,
                "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"system\",\"content\":\"ab\"},"
                "{\"role\":\"user\",\"content\":\"see {\\\"k\\\":1}\",\"images\":[\"AAAA\","
                "\"BBBB\"]},{\"role\":\"assistant\",\"content\":\"ok\",\"thinking\":\"hmm\","
                "\"tool_calls\":[{\"id\":\"toolu_1\",\"function\":{\"name\":\"t\",\"arguments\":{}"
                "}}]},{\"role\":\"tool\",\"content\":\"plain\",\"tool_name\":\"t\","
                "\"tool_call_id\":\"toolu_1\"},{\"role\":\"tool\",\"content\":\"multipart\","
                "\"tool_name\":\"u\"},{\"role\":\"user\",\"content\":\"next\"}],"
                "\"format\":\"json\",\"stream\":false}");
    free(body);

    /* Tools without a schema get an empty object schema; config "format" wins over output. */
    body =
        build("llama3.2",
              "{\"messages\":[" USER(
                  "x") "],\"tools\":[{\"name\":\"t\",\"description\":\"d\"}],"
                       "\"toolChoice\":\"required\",\"output\":{\"format\":\"json\"},\"config\":{"
                       "\"format\":{\"type\":\"string\"}}}",
              false, &err);
    ASSERT_TRUE(body != NULL);
    EXPECT_JSON(body, "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\",\"content\":"
                      "\"x\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"t\","
                      "\"description\":\"d\",\"parameters\":{\"type\":\"object\",\"properties\":"
                      "{}}}}],\"format\":{\"type\":\"string\"},\"stream\":false}");
    free(body);
}

TEST(ollama_config_version_sends_another_model_id)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    struct ocase c = {.g = g,
                      .model = "ollama/llama3.2",
                      .request = "{\"messages\":[" USER(
                          "hi") "],\"config\":{\"version\":"
                                "\"hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M\"}}"};
    gk_fixture *f = serve_and_run(s, "api-chat", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    char *model = body_member(s, 0, "model");
    EXPECT_STREQ(model, "\"hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M\"");
    free(model);
    ocase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- cancellation ---- */

TEST(ollama_stream_deadline_cancels_a_hanging_upstream)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    static const char *const pieces[] = {
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},"
        "\"done\":false}\n",
        NULL};
    gk_test_server_push(s, &(gk_test_response){.headers = "Content-Type: application/x-ndjson\r\n",
                                               .chunks = pieces,
                                               .chunked = true,
                                               .hang = true});
    struct ocase c = {.g = g,
                      .model = "ollama/llama3.2",
                      .request = "{\"messages\":[" USER("hi") "]}",
                      .stream = true,
                      .timeout_ms = 200};
    int64_t t0 = gk_now_ms();
    run_case(&c);
    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.text, "Hel");
    EXPECT_LT(gk_now_ms() - t0, 5000);
    EXPECT_TRUE(gk_test_server_wait_closed(s, 1, 5000));
    ocase_free(&c);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_stream_cut_before_the_done_line_is_unavailable)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    static const char *const pieces[] = {
        "{\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n", NULL};
    gk_test_server_push(s, &(gk_test_response){.headers = "Content-Type: application/x-ndjson\r\n",
                                               .chunks = pieces,
                                               .chunked = true});
    struct ocase c = {.g = g,
                      .model = "ollama/llama3.2",
                      .request = "{\"messages\":[" USER("hi") "]}",
                      .stream = true};
    run_case(&c);
    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_STREQ(c.err.message, "ollama stream ended before its final (done) line");
    ocase_free(&c);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- configuration ---- */

TEST(ollama_host_is_normalized_like_ollamas_clients)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {NULL, "http://127.0.0.1:11434"},
        {"", "http://127.0.0.1:11434"},
        {"localhost", "http://localhost:11434"},
        {"10.0.0.5:8080", "http://10.0.0.5:8080"},
        {":1234", "http://127.0.0.1:1234"},
        {"0.0.0.0", "http://0.0.0.0:11434"},
        {"[::1]", "http://[::1]:11434"},
        {"[::1]:9000", "http://[::1]:9000"},
        {"gpu-box/ollama/", "http://gpu-box:11434/ollama"},
        {"https://ollama.com", "https://ollama.com"},
        {"http://example.com:80/", "http://example.com:80"},
        {"https://proxy.example/ollama//", "https://proxy.example/ollama"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        gk_error err = {0};
        EXPECT_EQ(gk_ollama_host_url(cases[i].in, out, sizeof(out), &err), GK_OK);
        EXPECT_STREQ(out, cases[i].want);
    }
    static const char *const bad[] = {"ftp://x", "host:port", "a b",       "[::1",
                                      "[::1]x",  "http://",   "https:///x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char out[128];
        gk_error err = {0};
        EXPECT_EQ(gk_ollama_host_url(bad[i], out, sizeof(out), &err), GK_INVALID_ARGUMENT);
    }
    char tiny[8];
    EXPECT_EQ(gk_ollama_host_url("localhost", tiny, sizeof(tiny), NULL), GK_INVALID_ARGUMENT);
}

TEST(ollama_environment_configures_host_key_models_and_capabilities)
{
    gk_test_server *s = gk_test_server_start();
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", gk_test_server_port(s)); /* no scheme */
    setenv("OLLAMA_HOST", host, 1);
    setenv("OLLAMA_API_KEY", KEY, 1);
    setenv("GK_OLLAMA_MODELS", " llama3.2:1b , qwen3,,my-finetune:latest,gemma3n:e4b", 1);
    setenv("GK_OLLAMA_EMBEDDERS", "bge-m3", 1);
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&gk_plugin_ollama, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    unsetenv("OLLAMA_HOST");
    unsetenv("OLLAMA_API_KEY");
    unsetenv("GK_OLLAMA_MODELS");
    unsetenv("GK_OLLAMA_EMBEDDERS");
    ASSERT_TRUE(g != NULL);
    static const char *const models[] = {
        "ollama/llama3.2",   "ollama/qwen3",   "ollama/gemma3",      "ollama/llava",
        "ollama/mistral",    "ollama/gpt-oss", "ollama/llama3.2:1b", "ollama/my-finetune:latest",
        "ollama/gemma3n:e4b"};
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, models[i]) != NULL);
    static const char *const embedders[] = {"ollama/nomic-embed-text", "ollama/mxbai-embed-large",
                                            "ollama/all-minilm", "ollama/bge-m3"};
    for (size_t i = 0; i < sizeof(embedders) / sizeof(embedders[0]); i++)
        EXPECT_TRUE(gk_lookup(g, GK_ACTION_EMBEDDER, embedders[i]) != NULL);

    static const struct {
        const char *model;
        const char *supports;
    } caps[] = {
        {"ollama/llama3.2:1b", "\"multiturn\":true,\"tools\":true,\"media\":false,"
                               "\"systemRole\":true,\"toolChoice\":false"},
        {"ollama/gemma3", "\"multiturn\":true,\"tools\":false,\"media\":true"},
        {"ollama/gemma3n:e4b", "\"multiturn\":true,\"tools\":false,\"media\":false"},
        {"ollama/llava", "\"tools\":false,\"media\":true"},
        {"ollama/my-finetune:latest", "\"tools\":false,\"media\":false"},
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        const char *meta = gk_action_metadata(gk_lookup(g, GK_ACTION_MODEL, caps[i].model));
        EXPECT_CONTAINS(meta, caps[i].supports);
        EXPECT_CONTAINS(meta, "\"constrained\":\"no-tools\"");
    }
    EXPECT_CONTAINS(gk_action_metadata(gk_lookup(g, GK_ACTION_MODEL, "ollama/qwen3")),
                    "\"label\":\"Ollama - qwen3\"");
    EXPECT_CONTAINS(gk_action_metadata(gk_lookup(g, GK_ACTION_EMBEDDER, "ollama/nomic-embed-text")),
                    "\"dimensions\":768");

    struct ocase c = {
        .g = g, .model = "ollama/my-finetune:latest", .request = "{\"messages\":[" USER("hi") "]}"};
    gk_fixture *f = serve_and_run(s, "api-chat", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    expect_request(s, 0, "/api/chat", KEY, NULL, NULL);
    char *model = body_member(s, 0, "model");
    EXPECT_STREQ(model, "\"my-finetune:latest\"");
    free(model);
    ocase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_bad_configuration_fails_init_clearly)
{
    const struct {
        gk_ollama_opts opts;
        const char *msg;
    } cases[] = {
        {{.host = "ftp://x"}, "http:// or https://"},
        {{.api_key = "a\nb"}, "control characters"},
        {{.models = (const char *const[]){"bad model", NULL}}, "must be an ollama model name"},
        {{.embedders = (const char *const[]){"/abs", NULL}}, "must be an ollama model name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gk_error err = {0};
        t_opts = cases[i].opts;
        const gk_plugin *const plugins[] = {&test_plugin, NULL};
        gk_genkit *g =
            gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
        EXPECT_TRUE(g == NULL);
        EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
        EXPECT_CONTAINS(err.message, cases[i].msg);
        gk_shutdown(g);
    }
}

/* ---- embedders ---- */

struct ecase {
    gk_genkit *g;
    const char *embedder;
    const char *const *texts;
    size_t n;
    const char *options; /* JSON or NULL */
    gk_status st;
    gk_error err;
    size_t count;
    size_t dims[4];
    double first[4];
};

static void embed_fiber(gk_ctx *ctx, void *arg)
{
    struct ecase *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_document docs[4];
    gk_part parts[4];
    gk_json *opts = NULL;
    if (c->options)
        gk_json_parse(a, c->options, strlen(c->options), NULL, &opts, NULL);
    for (size_t i = 0; i < c->n; i++) {
        parts[i] = gk_part_text(c->texts[i]);
        docs[i] = (gk_document){0};
        docs[i].content.items = &parts[i];
        docs[i].content.count = 1;
    }
    gk_embed_response out;
    c->st = gk_embed_documents(ctx, c->g, c->embedder, docs, c->n, opts, &out, &c->err);
    if (c->st != GK_OK)
        return;
    c->count = out.embeddings.count;
    for (size_t i = 0; i < out.embeddings.count && i < 4; i++) {
        c->dims[i] = out.embeddings.items[i].embedding.count;
        c->first[i] = c->dims[i] ? out.embeddings.items[i].embedding.items[0] : 0;
    }
}

static void check_embed(const char *name, size_t dims)
{
    static const char *const texts[] = {"Why is the sky blue?", "Why is the grass green?"};
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    gk_fixture *f = gk_fixture_load("ollama", name);
    ASSERT_TRUE(f != NULL);
    gk_fixture_serve(s, f, 0, 0);
    struct ecase c = {.g = g, .embedder = "ollama/all-minilm", .texts = texts, .n = 2};
    EXPECT_EQ(rt_run_fiber(embed_fiber, &c, 256 * 1024), GK_OK);
    EXPECT_EQ(c.st, GK_OK);
    expect_request(s, 0, "/api/embed", NULL, f, NULL);
    EXPECT_EQ(c.count, 2);
    EXPECT_EQ(c.dims[0], dims);
    EXPECT_EQ(c.dims[1], dims);
    EXPECT_TRUE(c.first[0] == 0.010071029);
    EXPECT_TRUE(c.first[1] == -0.0098027075);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(ollama_embed_sends_input_list_and_reads_vectors_in_order)
{
    check_embed("api-embed", 6);
}

TEST(ollama_embed_batch_doc_example)
{
    check_embed("api-embed-batch", 10);
}

TEST(ollama_embed_options_and_errors)
{
    static const char *const texts[] = {"a"};
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_oll(s, NULL);
    ASSERT_TRUE(g != NULL);
    /* Options go to the top level; keepAlive is renamed; version picks another model. */
    gk_test_server_push(s, &(gk_test_response){.body = "{\"embeddings\":[[1,2]]}"});
    struct ecase c = {.g = g,
                      .embedder = "ollama/nomic-embed-text",
                      .texts = texts,
                      .n = 1,
                      .options = "{\"truncate\":true,\"dimensions\":2,\"keepAlive\":\"1m\","
                                 "\"options\":{\"num_ctx\":512}}"};
    rt_run_fiber(embed_fiber, &c, 256 * 1024);
    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.dims[0], 2);
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_TRUE(r != NULL);
    EXPECT_JSON(r->body, "{\"model\":\"nomic-embed-text\",\"input\":[\"a\"],\"truncate\":true,"
                         "\"dimensions\":2,\"options\":{\"num_ctx\":512},\"keep_alive\":\"1m\"}");
    /* A count mismatch is the provider's fault. */
    gk_test_server_push(s, &(gk_test_response){.body = "{\"embeddings\":[]}"});
    struct ecase c2 = {.g = g, .embedder = "ollama/nomic-embed-text", .texts = texts, .n = 1};
    rt_run_fiber(embed_fiber, &c2, 256 * 1024);
    EXPECT_EQ(c2.st, GK_INTERNAL);
    EXPECT_CONTAINS(c2.err.message, "returned 0 embeddings for 1 inputs");
    /* A model that is not pulled. */
    gk_fixture *f = gk_fixture_load("ollama", "error-404-model-not-found");
    gk_fixture_serve(s, f, 0, 0);
    struct ecase c3 = {.g = g, .embedder = "ollama/nomic-embed-text", .texts = texts, .n = 1};
    rt_run_fiber(embed_fiber, &c3, 256 * 1024);
    EXPECT_EQ(c3.st, GK_NOT_FOUND);
    /* Unknown options are refused before sending. */
    struct ecase c4 = {.g = g,
                       .embedder = "ollama/nomic-embed-text",
                       .texts = texts,
                       .n = 1,
                       .options = "{\"taskType\":\"x\"}"};
    rt_run_fiber(embed_fiber, &c4, 256 * 1024);
    EXPECT_EQ(c4.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c4.err.path, "/options/taskType");
    EXPECT_EQ(gk_test_server_request_count(s), 3);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- the decoder on its own ---- */

static gk_status decode(const char *body, bool stream, size_t split, gk_generate_response *resp,
                        gk_arena *a, gk_error *err)
{
    gk_ollama_decoder *d = gk_ollama_decoder_new(a, stream, NULL, NULL);
    if (!d)
        return GK_RESOURCE_EXHAUSTED;
    size_t n = strlen(body);
    size_t step = split ? split : (n ? n : 1);
    for (size_t off = 0; off < n; off += step) {
        size_t len = n - off < step ? n - off : step;
        gk_status st = gk_ollama_decoder_feed(d, body + off, len, err);
        if (st != GK_OK)
            return st;
    }
    return gk_ollama_decoder_finish(d, resp, err);
}

TEST(ollama_decoder_rejects_malformed_output_clearly)
{
    static const struct {
        const char *body;
        bool stream;
        gk_status want;
        const char *msg;
    } cases[] = {
        {"{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"message\":", true, GK_INTERNAL,
         "invalid response from ollama (line 2)"},
        {"[1]\n", true, GK_INTERNAL, "(line 1): not a JSON object"},
        {"{\"message\":{\"content\":7}}\n", true, GK_INTERNAL, "message.content is not a string"},
        {"{\"message\":{\"thinking\":[]}}\n", true, GK_INTERNAL, "thinking is not a string"},
        {"{\"message\":{\"tool_calls\":{}}}\n", true, GK_INTERNAL, "tool_calls is not an array"},
        {"{\"message\":{\"tool_calls\":[{\"function\":{}}]}}\n", true, GK_INTERNAL,
         "no function name"},
        {"{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":[1]}}]}}\n",
         true, GK_INTERNAL, "arguments are not an object"},
        {"{\"message\":{\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"[\"}}]}}\n",
         true, GK_INTERNAL, "arguments are not a JSON object"},
        {"{\"done\":\"yes\"}\n", true, GK_INTERNAL, "done is not a boolean"},
        {"{\"done\":true}\n{\"done\":true}\n", true, GK_INTERNAL, "after the final (done) line"},
        {"{\"message\":{\"content\":\"a\"},\"done\":false}\n", true, GK_UNAVAILABLE,
         "ended before its final (done) line"},
        {"", true, GK_UNAVAILABLE, "ollama stream was empty"},
        {"\n\n", true, GK_UNAVAILABLE, "ollama stream was empty"},
        {"", false, GK_INTERNAL, "empty response from ollama"},
        {"{\"message\":", false, GK_INTERNAL, "invalid response from ollama: "},
        {"{\"error\":\"boom\"}", false, GK_INTERNAL, "in stream, INTERNAL): boom"},
        {"{\"error\":5}\n", true, GK_INTERNAL, "(no message)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        gk_status st = decode(cases[i].body, cases[i].stream, 3, &resp, a, &err);
        EXPECT_EQ(st, cases[i].want);
        EXPECT_CONTAINS(err.message, cases[i].msg);
        gk_arena_free(a);
    }
}

TEST(ollama_decoder_maps_done_reasons_string_arguments_and_missing_counts)
{
    static const struct {
        const char *reason; /* NULL: absent */
        gk_finish_reason want;
    } cases[] = {
        {"stop", GK_FINISH_STOP},    {"length", GK_FINISH_LENGTH}, {"load", GK_FINISH_OTHER},
        {"unload", GK_FINISH_OTHER}, {"newer", GK_FINISH_OTHER},   {NULL, GK_FINISH_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
                 "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}},{\"id\":null,"
                 "\"function\":{\"name\":\"g\",\"arguments\":null}}]},\"done\":true%s%s%s,"
                 "\"eval_count\":3}",
                 cases[i].reason ? ",\"done_reason\":\"" : "",
                 cases[i].reason ? cases[i].reason : "", cases[i].reason ? "\"" : "");
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        ASSERT_EQ(decode(body, false, 0, &resp, a, &err), GK_OK);
        EXPECT_EQ(resp.finish_reason, cases[i].want);
        ASSERT_EQ(resp.message.content.count, 2);
        char *in = encode_json(resp.message.content.items[0].tool_request.input);
        EXPECT_JSON(in, "{\"a\":1}");
        free(in);
        EXPECT_STREQ(resp.message.content.items[0].tool_request.ref, "0");
        EXPECT_STREQ(resp.message.content.items[1].tool_request.ref, "1");
        in = encode_json(resp.message.content.items[1].tool_request.input);
        EXPECT_JSON(in, "{}");
        free(in);
        /* Only eval_count (the prompt was cached): no inputTokens, total = output. */
        EXPECT_FALSE(resp.usage.has_input_tokens);
        EXPECT_EQ((int)resp.usage.output_tokens, 3);
        EXPECT_EQ((int)resp.usage.total_tokens, 3);
        gk_arena_free(a);
    }
}

TEST(ollama_parse_embeddings_checks_shape)
{
    static const struct {
        const char *body;
        size_t n;
        gk_status want;
        const char *msg;
    } cases[] = {
        {"{\"embeddings\":[[0.5,1]]}", 1, GK_OK, ""},
        {"{\"embedding\":[0.5]}", 1, GK_INTERNAL, "no \"embeddings\" array"},
        {"{\"embeddings\":[[0.5],[1]]}", 1, GK_INTERNAL, "returned 2 embeddings for 1 inputs"},
        {"{\"embeddings\":[{}]}", 1, GK_INTERNAL, "embedding 0 is object"},
        {"{\"embeddings\":[[\"x\"]]}", 1, GK_INTERNAL, "embedding 0 value 0 is string"},
        {"nope", 1, GK_INTERNAL, "invalid JSON from ollama /api/embed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_embed_response out;
        gk_error err = {0};
        EXPECT_EQ(gk_ollama_parse_embeddings(a, cases[i].body, strlen(cases[i].body), cases[i].n,
                                             &out, &err),
                  cases[i].want);
        EXPECT_CONTAINS(err.message, cases[i].msg);
        gk_arena_free(a);
    }
}
