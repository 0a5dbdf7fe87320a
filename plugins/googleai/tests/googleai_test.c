/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/googleai/tests/googleai_test.c - the googleai plugin against every gemini fixture,
 * replayed by the loopback server: the exact request sent (method, path, auth header, body as
 * JSON), the GenerateResponse and chunks produced (streams also split at awkward byte offsets),
 * errors (status, message, retry delay, no key in messages), cancellation, embedders, the
 * environment configuration, and the decoder on malformed input. */
#include <stdlib.h>
#include <string.h>

#include <genkit/embed.h>
#include <genkit/plugins/googleai.h>

#include "runtime/rt_helpers.h"
#include "support/fixtures.h"
#include "test.h"

#define KEY "sk-test-SECRET"

static gk_googleai_opts t_opts;

static gk_status test_init(gk_plugin_host *h, const gk_json *cfg, gk_error *err)
{
    (void)cfg;
    return gk_googleai_init(h, &t_opts, err);
}

static const gk_plugin test_plugin = {.abi = GK_PLUGIN_ABI, .name = "googleai", .init = test_init};

static const char *const extra_models[] = {
    "gemini-3-flash-preview", "gemini-3-pro-preview", "gemini-1.5-flash",
    "gemini-2.0-flash-exp",   "gemini-nonexistent",   NULL,
};
static const char *const extra_embedders[] = {
    "gemini-embedding-2-preview",
    "gemini-embedding-2",
    "nonexistent-model",
    NULL,
};

static gk_genkit *new_gai(gk_test_server *s, const char *key)
{
    gk_error err = {0};
    t_opts = (gk_googleai_opts){.api_key = key,
                                .base_url = s ? gk_test_server_url(s) : NULL,
                                .models = extra_models,
                                .embedders = extra_embedders};
    const gk_plugin *const plugins[] = {&test_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    if (!g)
        fprintf(stderr, "googleai init: %s\n", err.message);
    return g;
}

/* ---- one model call in a fiber ---- */

struct gcase {
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
    int nchunks;
};

static void gcase_free(struct gcase *c)
{
    free(c->resp_json);
    free(c->custom_json);
    gk_buf_release(&c->chunks);
}

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct gcase *c = arg;
    gk_jw w;
    if (c->nchunks++)
        gk_buf_putc(&c->chunks, ',');
    gk_jw_init(&w, &c->chunks);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response_chunk), chunk);
    for (size_t i = 0; i < chunk->content.count; i++) {
        if (chunk->content.items[i].text)
            strncat(c->text, chunk->content.items[i].text, sizeof(c->text) - strlen(c->text) - 1);
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
    struct gcase *c = arg;
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

static void run_case(struct gcase *c)
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

/* The google-genai SDK wrote some keys in snake_case (the API takes both): camelCase them. */
static void camel_keys(gk_json *v)
{
    static const char *const map[][2] = {
        {"parameters_json_schema", "parametersJsonSchema"}, {"thinking_budget", "thinkingBudget"},
        {"property_ordering", "propertyOrdering"},          {"any_of", "anyOf"},
        {"response_mime_type", "responseMimeType"},         {"response_schema", "responseSchema"},
    };
    if (v->type != GK_JSON_ARRAY && v->type != GK_JSON_OBJECT)
        return;
    for (size_t i = 0; i < v->count; i++) {
        gk_json *m = &v->items[i];
        for (size_t k = 0; v->type == GK_JSON_OBJECT && k < sizeof(map) / sizeof(map[0]); k++) {
            if (strcmp(m->key, map[k][0]) == 0) {
                m->key = map[k][1];
                m->key_len = strlen(map[k][1]);
            }
        }
        camel_keys(m);
    }
}

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
        camel_keys(v);
        if (drop)
            drop_member(v, drop);
        out = encode_json(v);
    } else {
        fprintf(stderr, "request body is not JSON: %s\n", err.message);
    }
    gk_arena_free(a);
    return out;
}

/* Check request i: POST to target, the key in x-goog-api-key only, the body equal to the
 * fixture's request (as JSON, snake_case normalized), less the top-level member `drop`. */
static void expect_request(gk_test_server *s, size_t i, const char *target, const gk_fixture *f,
                           const char *drop)
{
    const gk_test_request *r = gk_test_server_request(s, i);
    ASSERT_TRUE(r != NULL);
    EXPECT_STREQ(r->method, "POST");
    EXPECT_STREQ(r->target, target);
    EXPECT_STREQ(gk_test_request_header(r, "x-goog-api-key"), KEY);
    EXPECT_STREQ(gk_test_request_header(r, "content-type"), "application/json");
    EXPECT_TRUE(gk_test_request_header(r, "authorization") == NULL);
    EXPECT_TRUE(strstr(r->target, "key=") == NULL);
    if (!f || !f->request)
        return;
    char *got = normalized(r->body, r->body_len, drop);
    char *want = normalized(f->request, f->request_len, drop);
    ASSERT_TRUE(got && want);
    EXPECT_JSON(got, want);
    free(got);
    free(want);
}

/* Serve fixture `name` once (split as given) and run c against it. */
static gk_fixture *serve_and_run(gk_test_server *s, const char *name, size_t split, struct gcase *c)
{
    gk_fixture *f = gk_fixture_load("gemini", name);
    if (!f)
        return NULL;
    gk_fixture_serve(s, f, split, 0);
    run_case(c);
    return f;
}

/* ---- plain generateContent scenarios ---- */

#define SYS_USER(sys, user)                                       \
    "{\"role\":\"system\",\"content\":[{\"text\":\"" sys "\"}]}," \
    "{\"role\":\"user\",\"content\":[{\"text\":\"" user "\"}]}"

/* Run fixture `name` non-streaming with request; check the wire request and the response JSON. */
static void check_generate(const char *name, const char *model, const char *request,
                           const char *want_resp, const char *drop)
{
    gk_test_server *s = gk_test_server_start();
    ASSERT_TRUE(s != NULL);
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {.g = g, .model = model, .request = request};
    gk_fixture *f = serve_and_run(s, name, 0, &c);
    ASSERT_TRUE(f != NULL);
    EXPECT_EQ(c.st, GK_OK);
    if (c.st != GK_OK)
        fprintf(stderr, "  %s: %s\n", name, c.err.message);
    char target[256];
    snprintf(target, sizeof(target), "/v1beta/models/%s:generateContent", strchr(model, '/') + 1);
    expect_request(s, 0, target, f, drop);
    EXPECT_JSON(c.resp_json, want_resp);
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_generate_text_maps_system_and_usage)
{
    check_generate(
        "generate-text", "googleai/gemini-2.5-flash",
        "{\"messages\":[" SYS_USER("You are a chatbot.",
                                   "Hello!") "],\"config\":{\"responseModalities\":[\"TEXT\"]}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"Hello! How can I "
        "help you today?\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":9,"
        "\"outputTokens\":9,\"totalTokens\":52,\"thoughtsTokens\":34}}",
        NULL);
}

TEST(googleai_generate_text_system_sends_system_instruction)
{
    check_generate(
        "generate-text-system", "googleai/gemini-2.5-flash",
        "{\"messages\":[" SYS_USER("You are a chatbot.",
                                   "Hello!") "],\"config\":{\"responseModalities\":[\"TEXT\"]}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"Hello! How can I "
        "help you today?\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":9,"
        "\"outputTokens\":9,\"totalTokens\":52,\"thoughtsTokens\":34}}",
        NULL);
}

TEST(googleai_image_data_url_becomes_inline_data)
{
    check_generate(
        "generate-image-inline-data", "googleai/gemini-2.0-flash",
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"You are a helpful "
        "chatbot.\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"What fruit is in the "
        "image?\"},{\"media\":{\"url\":\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYA"
        "AAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==\"}}]}]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The fruit in the image is a "
        "kiwi.\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":3367,\"outputTokens\":9,"
        "\"totalTokens\":3376}}",
        NULL);
}

TEST(googleai_max_tokens_maps_to_length)
{
    check_generate(
        "generate-max-tokens", "googleai/gemini-2.5-flash",
        "{\"messages\":[" SYS_USER(
            "You are a helpful chatbot.",
            "What is the capital of France?") "],\"config\":{\"maxOutputTokens\":5,"
                                              "\"responseModalities\":[\"TEXT\"],"
                                              "\"thinkingConfig\":{\"thinkingBudget\":0}}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The capital of "
        "France is\"}]},\"finishReason\":\"length\",\"usage\":{\"inputTokens\":15,"
        "\"outputTokens\":5,\"totalTokens\":20}}",
        NULL);
}

TEST(googleai_max_tokens_spent_thinking_gives_empty_message)
{
    check_generate("generate-max-tokens-thinking-empty", "googleai/gemini-2.5-pro",
                   "{\"messages\":[" SYS_USER(
                       "You are a helpful chatbot.",
                       "What is the capital of France?") "],\"config\":{\"maxOutputTokens\":5,"
                                                         "\"responseModalities\":[\"TEXT\"]}}",
                   "{\"message\":{\"role\":\"model\",\"content\":[]},\"finishReason\":\"length\","
                   "\"usage\":{\"inputTokens\":15,\"totalTokens\":17,\"thoughtsTokens\":2}}",
                   NULL);
}

TEST(googleai_parallel_function_calls_get_distinct_refs_and_signature)
{
    /* The recorded request came from the google-genai SDK with JSON-Schema parameters:
     * schemaDialect "jsonSchema" sends them the same way (parametersJsonSchema). */
    check_generate(
        "generate-parallel-tool-calls", "googleai/gemini-3-flash-preview",
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"Tell three jokes. Generate "
        "topics with the generate_topic "
        "tool.\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"\"}]}],"
        "\"config\":{\"responseModalities\":[\"TEXT\"],\"schemaDialect\":\"jsonSchema\","
        "\"functionCallingConfig\":{\"allowedFunctionNames\":[\"generate_topic\",\"final_result\"]}"
        "},"
        "\"tools\":[{\"name\":\"generate_topic\",\"description\":\"\",\"inputSchema\":{"
        "\"additionalProperties\":false,\"properties\":{},\"type\":\"object\"}},{\"name\":"
        "\"final_result\",\"description\":\"The final response which ends this conversation\","
        "\"inputSchema\":{\"properties\":{\"response\":{\"items\":{\"type\":\"string\"},\"type\":"
        "\"array\"}},\"required\":[\"response\"],\"type\":\"object\"}}],\"toolChoice\":"
        "\"required\"}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"generate_"
        "topic\","
        "\"input\":{},\"ref\":\"0\"},\"metadata\":{\"thoughtSignature\":"
        "\"Es8FCswFAXLI2nxFGW9oAYt0fTQo"
        "HlYcudYTgqNXlir9nzbXoqFXqLY9sWOIMaevBSmRIl/"
        "38GhJB+V+cQHNBmUzxq17UwAqJmMgQ99kWRCfLmU1uUtLpz2"
        "60ep1CbMwDTJeIsjLz9JzjMd3vMx7gWYrvmOMg7aANsbpw1iHw/YtlA5mXdU0Mn6TOdO9UiGTnnDgzfqu/"
        "aoYPNT2DSs"
        "/ZlUVpOawy+Ds0hY+BakQLutn2fT++"
        "i4lLLwstQjuAsgONiLIWp47NyJ9S9mR8kMnlKuDn1xZMxAHl9YK6j47Rmu9qi"
        "WM0fK9fxJOzRiUxQ4eDhWqUKAjrdPPsH8MYaIJMANNbrS2rtHUWcsfKTPbKlBGUA/"
        "5BtuxIT11yIIL78MF+RId8W6s0j"
        "2VuRYNzzLqAz961XU9v3+sd7TS+aiSXzzffIoDVpvz0Ozs5Dq6jkzTEnPqbxBX7ctd+SHh/X+DYXYEk/"
        "f+0RKTn4ZWjV"
        "IVGeAqcg66zZCNtbzfCDKh9164rrhDUEddrrNVyQ+N04iUYxZCvU7xSSTLxbt8zJ2LhPNWmI6Y3zhISUP23o/"
        "TcvpRec"
        "QgR2iTY4k2UV3iTygB9qcYnC3Ka4+SiuXuAfRHs28FqtHvA6jrEDty6+DDaG5uudrN3wTYvawBYnxTLgK3uDTuTkg+"
        "OL"
        "Yl5WEF+/9BOd3kcoxx+yDR140Xt21+rXGLC7fusqaJ/"
        "TZoClO3mf7V7lEEypYVRMpvbC9B8gI84x6o4yXc+G1EJrJIOm"
        "ch/"
        "K6tyE9razLuPy5BzT3WDvieYDOpGNvePrKbWWtJKXt06undMLLzM7lwVFGPCB03sP7e3YCKRHQ9LE4eVD5CHa0UEIS"
        "GhQ7vytpzfXKFNi2C35MujDS4DYE9/"
        "aG4YiJdCPxCinmggdYw5j872KKx8VNlZC8CZShSkt7Hnbc6pDIbCKpg2x4yTeB"
        "AT3783UHrkQCEaZs=\"}},{\"toolRequest\":{\"name\":\"generate_topic\",\"input\":{},\"ref\":"
        "\"1\"}},{\"toolRequest\":{\"name\":\"generate_topic\",\"input\":{},\"ref\":\"2\"}}]},"
        "\"finishReason\":\"stop\",\"finishMessage\":\"Model generated function call(s).\","
        "\"usage\":{\"inputTokens\":83,\"outputTokens\":30,\"totalTokens\":303,"
        "\"thoughtsTokens\":190}}",
        NULL);
}

TEST(googleai_safety_block_maps_to_blocked_and_passes_safety_settings)
{
    check_generate(
        "generate-safety-block", "googleai/gemini-1.5-flash",
        "{\"messages\":[" SYS_USER(
            "You hate the world!",
            "Tell me a joke about a Brazilians.") "],\"config\":{\"safetySettings\":[{\"category\":"
                                                  "\"HARM_CATEGORY_HATE_SPEECH\","
                                                  "\"threshold\":\"BLOCK_LOW_AND_ABOVE\"}]}}",
        "{\"message\":{\"role\":\"model\",\"content\":[]},\"finishReason\":\"blocked\","
        "\"finishMessage\":\"response blocked: SAFETY\",\"usage\":{\"inputTokens\":14,"
        "\"totalTokens\":14}}",
        NULL);
}

TEST(googleai_blocked_prompt_maps_to_blocked_with_reason)
{
    check_generate("generate-safety-blocked-prompt", "googleai/gemini-2.5-flash",
                   "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}]}",
                   "{\"message\":{\"role\":\"model\",\"content\":[]},\"finishReason\":\"blocked\","
                   "\"finishMessage\":\"prompt blocked: SAFETY\",\"usage\":{\"inputTokens\":9,"
                   "\"totalTokens\":9}}",
                   NULL);
}

TEST(googleai_structured_output_with_json_schema_dialect)
{
    check_generate(
        "generate-structured-response-json-schema", "googleai/gemini-2.0-flash",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the largest city in "
        "Mexico?\"}]}],\"config\":{\"responseModalities\":[\"TEXT\"],\"schemaDialect\":"
        "\"jsonSchema\"},\"output\":{\"format\":\"json\",\"schema\":{\"$schema\":"
        "\"http://json-schema.org/draft-07/schema#\",\"description\":\"A city and its country.\","
        "\"properties\":{\"city\":{\"type\":\"string\"},\"country\":{\"type\":\"string\"}},"
        "\"required\":[\"city\",\"country\"],\"title\":\"CityLocation\",\"type\":\"object\"}}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"{\\n  \\\"city\\\": \\\"Mexico "
        "City\\\",\\n  \\\"country\\\": \\\"Mexico\\\"\\n}\"}]},\"finishReason\":\"stop\","
        "\"usage\":{\"inputTokens\":8,\"outputTokens\":20,\"totalTokens\":28}}",
        NULL);
}

TEST(googleai_structured_output_converts_schema_to_openapi_subset)
{
    /* A JSON Schema with lower-case types, additionalProperties and $schema comes out as the
     * recorded OpenAPI-subset responseSchema (upper-case types, anyOf, no extra keywords). */
    check_generate(
        "generate-structured-response-schema", "googleai/gemini-2.0-flash",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the primarily language "
        "spoken in Mexico?\"}]}],\"output\":{\"format\":\"json\",\"constrained\":true,\"schema\":{"
        "\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"additionalProperties\":false,"
        "\"type\":\"object\",\"required\":[\"result\"],\"properties\":{\"result\":{\"anyOf\":["
        "{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"kind\",\"data\"],"
        "\"propertyOrdering\":[\"kind\",\"data\"],\"properties\":{\"kind\":{\"type\":\"string\","
        "\"enum\":[\"CityLocation\"]},\"data\":{\"type\":\"object\",\"required\":[\"city\","
        "\"country\"],\"propertyOrdering\":[\"city\",\"country\"],\"properties\":{\"city\":{"
        "\"type\":\"string\"},\"country\":{\"type\":\"string\"}}}}},"
        "{\"type\":\"object\",\"required\":[\"kind\",\"data\"],\"propertyOrdering\":[\"kind\","
        "\"data\"],\"properties\":{\"kind\":{\"type\":\"string\",\"const\":\"CountryLanguage\"},"
        "\"data\":{\"type\":\"object\",\"required\":[\"country\",\"language\"],"
        "\"propertyOrdering\":[\"country\",\"language\"],\"properties\":{\"country\":{\"type\":"
        "\"string\"},\"language\":{\"type\":\"string\"}}}}}]}}}}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"{\\n  \\\"result\\\": {\\n    "
        "\\\"kind\\\": \\\"CountryLanguage\\\",\\n    \\\"data\\\": {\\n      \\\"country\\\": "
        "\\\"Mexico\\\",\\n      \\\"language\\\": \\\"Spanish\\\"\\n    }\\n  }\\n}\"}]},"
        "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":50,\"outputTokens\":46,"
        "\"totalTokens\":96}}",
        NULL);
}

#define FORCED_TOOLS                                                                               \
    "\"tools\":[{\"name\":\"get_user_country\",\"description\":\"\",\"inputSchema\":{\"$schema\":" \
    "\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\",\"properties\":{},"           \
    "\"additionalProperties\":false}},{\"name\":\"final_result\",\"description\":\"The final "     \
    "response which ends this conversation\",\"inputSchema\":{\"type\":\"object\",\"properties\":" \
    "{\"city\":{\"type\":\"string\"},\"country\":{\"type\":\"string\"}},\"required\":[\"city\","   \
    "\"country\"]}}],\"toolChoice\":\"required\",\"config\":{\"functionCallingConfig\":{"          \
    "\"allowedFunctionNames\":[\"get_user_country\",\"final_result\"]}}"

TEST(googleai_forced_tool_call_sends_mode_any_and_openapi_parameters)
{
    check_generate("generate-tool-call-forced", "googleai/gemini-2.0-flash",
                   "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the largest "
                   "city in the user country?\"}]}]," FORCED_TOOLS "}",
                   "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                   "\"get_user_country\",\"input\":{},\"ref\":\"0\"}}]},\"finishReason\":\"stop\","
                   "\"usage\":{\"inputTokens\":33,\"outputTokens\":5,\"totalTokens\":38}}",
                   NULL);
}

TEST(googleai_tool_result_followup_sends_function_response_turn)
{
    check_generate(
        "generate-tool-result-followup", "googleai/gemini-2.0-flash",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the largest city in "
        "the "
        "user country?\"}]},{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
        "\"get_user_country\",\"ref\":\"pyd_ai_3fa5644dae1d4aad997ae39c70006fbd\",\"input\":{}}}]},"
        "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"get_user_country\",\"ref\":"
        "\"pyd_ai_3fa5644dae1d4aad997ae39c70006fbd\",\"output\":{\"return_value\":\"Mexico\"}}}]}]"
        "," FORCED_TOOLS "}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"final_result\","
        "\"input\":{\"city\":\"Mexico City\",\"country\":\"Mexico\"},\"ref\":\"0\"}}]},"
        "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":47,\"outputTokens\":8,"
        "\"totalTokens\":55}}",
        NULL);
}

TEST(googleai_response_custom_carries_model_version_and_response_id)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {
        .g = g,
        .model = "googleai/gemini-2.5-flash",
        .request = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello!\"}]}]}"};
    gk_fixture *f = serve_and_run(s, "generate-text", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    EXPECT_JSON(
        c.custom_json,
        "{\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"bzlXaa_EE_aHqtsPi_zw8Ao\"}");
    /* No system message: no systemInstruction; no config: an empty generationConfig. */
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_TRUE(r != NULL);
    EXPECT_JSON(r->body, "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"Hello!\"}]}],"
                         "\"generationConfig\":{}}");
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- streaming ---- */

/* Run fixture `name` streamed (whole, and split at 1, 7 and 64 bytes: the same results each
 * time); check the wire request, the response and the chunks. */
static void check_stream(const char *name, const char *model, const char *request,
                         const char *want_resp, const char *want_text, int want_chunks,
                         const char *want_chunks_json, const char *drop)
{
    static const size_t splits[] = {0, 1, 7, 64};
    for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
        gk_test_server *s = gk_test_server_start();
        ASSERT_TRUE(s != NULL);
        gk_genkit *g = new_gai(s, KEY);
        ASSERT_TRUE(g != NULL);
        struct gcase c = {.g = g, .model = model, .request = request, .stream = true};
        gk_fixture *f = serve_and_run(s, name, splits[k], &c);
        ASSERT_TRUE(f != NULL);
        EXPECT_EQ(c.st, GK_OK);
        if (c.st != GK_OK)
            fprintf(stderr, "  %s split %zu: %s\n", name, splits[k], c.err.message);
        char target[256];
        snprintf(target, sizeof(target), "/v1beta/models/%s:streamGenerateContent?alt=sse",
                 strchr(model, '/') + 1);
        expect_request(s, 0, target, f, drop);
        if (want_resp)
            EXPECT_JSON(c.resp_json, want_resp);
        EXPECT_STREQ(c.text, want_text);
        EXPECT_EQ(c.nchunks, want_chunks);
        if (want_chunks_json) {
            gk_buf all = GK_BUF_INIT(0);
            gk_buf_putc(&all, '[');
            gk_buf_put(&all, c.chunks.ptr ? c.chunks.ptr : "", c.chunks.len);
            gk_buf_putc(&all, ']');
            EXPECT_JSON(all.ptr, want_chunks_json);
            gk_buf_release(&all);
        }
        gcase_free(&c);
        gk_fixture_free(f);
        gk_shutdown(g);
        gk_test_server_stop(s);
    }
}

TEST(googleai_stream_text_concatenates_deltas_at_any_split)
{
    check_stream("generate-stream-text", "googleai/gemini-2.0-flash-exp",
                 "{\"messages\":[" SYS_USER(
                     "You are a helpful chatbot.",
                     "What is the capital of France?") "],\"config\":{\"temperature\":0.0}}",
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The capital of France "
                 "is Paris.\\n\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":13,"
                 "\"outputTokens\":8,\"totalTokens\":21}}",
                 "The capital of France is Paris.\n", 3,
                 "[{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\"The\"}]},"
                 "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\" capital of France\"}]},"
                 "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\" is Paris.\\n\"}]}]",
                 NULL);
}

TEST(googleai_stream_usage_takes_the_last_snapshot)
{
    check_stream(
        "stream-usage-every-chunk", "googleai/gemini-2.5-flash",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Count from 1 to 30, "
        "one number per line, digits only.\"}]}],\"config\":{\"responseModalities\":"
        "[\"TEXT\"]}}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"1\\n2\\n3\\n4\\n5\\n6\\n"
        "7\\n8\\n9\\n10\\n11\\n12\\n13\\n14\\n15\\n16\\n17\\n18\\n19\\n20\\n21\\n22\\n23\\n"
        "24\\n25\\n26\\n27\\n28\\n29\\n30\"}]},\"finishReason\":\"stop\",\"usage\":{"
        "\"inputTokens\":18,\"outputTokens\":80,\"totalTokens\":133,\"thoughtsTokens\":35}}",
        "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n"
        "24\n25\n26\n27\n28\n29\n30",
        3, NULL, NULL);
}

#define CAPITAL_TOOLS                                                                           \
    "\"tools\":[{\"name\":\"get_capital\",\"description\":\"Get the capital of a country.\","   \
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"country\":{\"type\":\"string\","    \
    "\"description\":\"The country name.\"}},\"required\":[\"country\"],"                       \
    "\"additionalProperties\":false}},{\"name\":\"get_temperature\",\"description\":\"Get the " \
    "temperature in a city.\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"city\":{"  \
    "\"type\":\"string\",\"description\":\"The city name.\"}},\"required\":[\"city\"]}}]"

TEST(googleai_stream_function_call_arrives_whole)
{
    check_stream("generate-stream-tool-call", "googleai/gemini-2.0-flash",
                 "{\"messages\":[" SYS_USER(
                     "You are a helpful chatbot.",
                     "What is the temperature of the capital of France?") "]," CAPITAL_TOOLS "}",
                 "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":"
                 "\"get_capital\",\"input\":{\"country\":\"France\"},\"ref\":\"0\"}}]},"
                 "\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":52,\"outputTokens\":5,"
                 "\"totalTokens\":57}}",
                 "", 1,
                 "[{\"role\":\"model\",\"index\":0,\"content\":[{\"toolRequest\":{\"name\":"
                 "\"get_capital\",\"input\":{\"country\":\"France\"},\"ref\":\"0\"}}]}]",
                 NULL);
}

TEST(googleai_stream_after_two_tool_rounds_sends_full_history)
{
    check_stream(
        "generate-stream-tool-result-followup", "googleai/gemini-2.0-flash",
        "{\"messages\":[" SYS_USER(
            "You are a helpful chatbot.",
            "What is the temperature of the capital of France?") ",{\"role\":\"model\",\"content\":"
                                                                 "[{\"toolRequest\":{\"name\":"
                                                                 "\"get_capital\",\"ref\":"
                                                                 "\"pyd_ai_"
                                                                 "0e1a07b3c2b64d2ab3ad2efbe18e1b97"
                                                                 "\",\"input\":{\"country\":"
                                                                 "\"France\"}}}]},"
                                                                 "{\"role\":\"tool\",\"content\":[{"
                                                                 "\"toolResponse\":{\"name\":\"get_"
                                                                 "capital\",\"ref\":"
                                                                 "\"pyd_ai_"
                                                                 "0e1a07b3c2b64d2ab3ad2efbe18e1b97"
                                                                 "\",\"output\":{\"return_value\":"
                                                                 "\"Paris\"}}}]},"
                                                                 "{\"role\":\"model\",\"content\":["
                                                                 "{\"toolRequest\":{\"name\":\"get_"
                                                                 "temperature\",\"ref\":"
                                                                 "\"pyd_ai_"
                                                                 "98b25d994c5648df82f683188629229d"
                                                                 "\",\"input\":{\"city\":\"Paris\"}"
                                                                 "}}]},"
                                                                 "{\"role\":\"tool\",\"content\":[{"
                                                                 "\"toolResponse\":{\"name\":\"get_"
                                                                 "temperature\",\"ref\":"
                                                                 "\"pyd_ai_"
                                                                 "98b25d994c5648df82f683188629229d"
                                                                 "\",\"output\":{\"return_value\":"
                                                                 "\"30\xc2\xb0"
                                                                 "C\"}}}]}]," CAPITAL_TOOLS "}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"The temperature in Paris is "
        "30\xc2\xb0"
        "C.\\n\"}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":79,"
        "\"outputTokens\":12,\"totalTokens\":91}}",
        "The temperature in Paris is 30\xc2\xb0"
        "C.\n",
        2, NULL, NULL);
}

TEST(googleai_stream_gemini3_function_call_keeps_thought_signature)
{
    check_stream(
        "generate-stream-tool-call-gemini3", "googleai/gemini-3-pro-preview",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Weather in SF?\"}]}]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"weather\","
        "\"input\":{\"location\":\"San Francisco\"},\"ref\":\"0\"},\"metadata\":{"
        "\"thoughtSignature\":\"EqUCCqICAb4+9vsh8Pd5taZVoPzSvjWWwzBrvhEQWBLCGa7IdY8FBMm7Z6dCKFU3Ft0"
        "la15gF7RaHe1NlPRygQec0bFwPDfMwGcUOMNiJiNIKxusCs4ejCZRuouNYQ4etEIt7CujEUHiILLfZXSJZYhs4UCrD"
        "2bLqPq0sE0lWgYJnzHkkKUOnMsA2hKffAhtF4DWn5INYj8pPssvch/2VpDFW2F9XSE04zLDzkIWF2eztJX50Y0lTeh"
        "RZC3FW7fOrXCzGx+PwdataD6eXlF5O1zn+86XtmktOs2DEp4o1PMvXFFAXe8GGvPt8Idf3UtHMq7AsapwMW9sjiKj+"
        "FJk54m+9LMTSaj7C86smfvoQryYBEHTVazr1bEnpl4bPG5JUtm2yAMkHj4=\"}}]},\"finishReason\":"
        "\"stop\",\"usage\":{\"inputTokens\":29,\"outputTokens\":15,\"totalTokens\":89,"
        "\"thoughtsTokens\":45}}",
        "", 1, NULL, NULL);
}

TEST(googleai_stream_partial_args_are_assembled_into_whole_calls)
{
    check_stream(
        "generate-stream-partial-args", "googleai/gemini-3-pro-preview",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Weather in Boston and "
        "SF?\"}]}]}",
        "{\"message\":{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"getWeather\","
        "\"input\":{\"location\":\"Boston\"},\"ref\":\"0\"},\"metadata\":{\"thoughtSignature\":"
        "\"CiMBjz1rX25KieIB4d4AwFn8/WbsHTRNHBXso88PtemwfsSfRAp6AY89a1/"
        "e2FrmrE2HtlOxvV7vy8Kn5Og9n6CepcB"
        "KYW9aBT5QdXtTD4PGv9pDDWLEDAfsd86Et6k7HDEV976M3kC0ahLS8FCrwRntUKr+"
        "GF5uiUfPvgpzqNl5m8d8EwYykfwo"
        "1VwuTStR7q3mr/TzDcNzepafpVLdZloKYQGPPWtfkohmdau0GqGi3DuPbFTUBe5Ac/"
        "UbCvUk+P7KFbCGb93vFmnjmmTV72"
        "28DcAddqtWfe4iVePtSumw3JptYE6PIeVao2r8q7FXZKazzEiA9c04nmq6Vv9lOtt5NsgKrwEBjz1rX1ajIx3yeG/"
        "QI78u"
        "O+MsKoqgwrCI7PAEaDRqbyDCW/NX/4Vfuz1wp96oT3h/ttJ5ejzQyGamOrYreUUFvJBR/"
        "0TvFBdWOXwwCOWtvJ0Jh7SinV"
        "9HNqBDM1WWH8e+tGWY0r7xU/o/"
        "M1Fkwd73bvyp3BmSm5orrQL4jUZ1TN6ECqw7T7wHEkIfuBXGMZhQwAPzaapGVCdn0Lj"
        "FJwd1aVReWmt6pE4ut993/K+0CqsBAY89a1+ts0Nggt7GZxVw/"
        "dQhH2Gc6KxRbAZKFMTuYRcNufJ5CyTvq85rMWEhTPWQx"
        "lQe1V7NIOlsQzyDhlejiCVbq0chDVrwRY23BmLrhSLi+SfKukEc0M+"
        "V9LdFiqxxLgUBrVdCvxA17g11j6HGdmXiNze2WDK"
        "m7ZXgMYvEiVmglpRZOb4JeJzxNPFsxhv2k6VkKB+GRtO48XwNz/"
        "i2taQ8Nq+LO5tED6HhCp4BAY89a18wBKoSkBT2IRo53"
        "0FeNq/lpVozY0+k+p+H//"
        "TAtKoWZBamKCwra81idaMm1TTaWZGlX85Pq0kBvx1sQLFEhILeQrbH0O3Iuk9JlKLKctAwnBj"
        "8BZUGJEGtbigTKaSgWcMBhW+jfKWi1xwSxyJLRkIcXmE8U3FE/"
        "XHCLeiBy0NRa0yKn3xh62JU9087Q2nOMClxy5Zy5VsZ0"
        "qQ=\"}},{\"toolRequest\":{\"name\":\"getWeather\",\"input\":{\"location\":\"San "
        "Francisco\"},"
        "\"ref\":\"1\"}}]},\"finishReason\":\"stop\",\"usage\":{\"inputTokens\":26,"
        "\"outputTokens\":23,"
        "\"totalTokens\":181,\"thoughtsTokens\":132}}",
        "", 2, NULL, NULL);
}

TEST(googleai_stream_thought_signature_call_and_echo)
{
    check_stream(
        "stream-function-call-thought-signature", "googleai/gemini-3-pro-preview",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"What is the capital of "
        "the user country? Call the tool\"}]}],\"config\":{\"responseModalities\":"
        "[\"TEXT\"],\"schemaDialect\":\"jsonSchema\"},\"tools\":[{\"name\":\"get_country\","
        "\"description\":\"\",\"inputSchema\":{\"additionalProperties\":false,"
        "\"properties\":{},\"type\":\"object\"}}]}",
        NULL, "", 1, NULL, NULL);
}

#define PELICAN_REQUEST                                                                \
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Two names for a pet "  \
    "pelican\"}]}],\"config\":{\"safetySettings\":[{\"category\":"                     \
    "\"HARM_CATEGORY_DANGEROUS_CONTENT\",\"threshold\":\"BLOCK_NONE\"},{\"category\":" \
    "\"HARM_CATEGORY_SEXUALLY_EXPLICIT\",\"threshold\":\"BLOCK_NONE\"},{\"category\":" \
    "\"HARM_CATEGORY_HATE_SPEECH\",\"threshold\":\"BLOCK_NONE\"},{\"category\":"       \
    "\"HARM_CATEGORY_HARASSMENT\",\"threshold\":\"BLOCK_NONE\"}],\"thinkingConfig\":{" \
    "\"includeThoughts\":true}},\"tools\":[{\"name\":\"pelican_name_generator\","      \
    "\"description\":\"\",\"inputSchema\":{\"type\":\"object\",\"properties\":{}}}]}"

TEST(googleai_stream_accepts_the_json_array_form)
{
    /* The fixture's request (llm-gemini) wrote "description": null and a lower-case
     * "type": "object"; we send "" and the OpenAPI "OBJECT", so tools are compared apart. */
    check_stream("stream-no-alt-sse-json-array", "googleai/gemini-2.5-flash", PELICAN_REQUEST, NULL,
                 "", 2, NULL, "tools");
}

/* The whole responses of the two tests above, checked once (their signatures are long). */
static void expect_signature_prefix(const char *resp_json, const char *prefix)
{
    const char *p = resp_json ? strstr(resp_json, "\"thoughtSignature\":\"") : NULL;
    ASSERT_TRUE(p != NULL);
    EXPECT_EQ(strncmp(p + 20, prefix, strlen(prefix)), 0);
}

TEST(googleai_json_array_stream_maps_thoughts_calls_and_usage)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {
        .g = g, .model = "googleai/gemini-2.5-flash", .request = PELICAN_REQUEST, .stream = true};
    gk_fixture *f = serve_and_run(s, "stream-no-alt-sse-json-array", 5, &c);
    ASSERT_EQ(c.st, GK_OK);
    gk_arena *a = gk_arena_new(0);
    gk_json *v = NULL;
    ASSERT_EQ(gk_json_parse(a, c.resp_json, strlen(c.resp_json), NULL, &v, NULL), GK_OK);
    const gk_json *content = gk_json_get(gk_json_get(v, "message"), "content");
    ASSERT_EQ(content->count, 2);
    const gk_json *reasoning = gk_json_get(&content->items[0], "reasoning");
    ASSERT_TRUE(reasoning != NULL);
    EXPECT_EQ(strncmp(reasoning->str, "**Generating Pelican Names**", 28), 0);
    const gk_json *tr = gk_json_get(&content->items[1], "toolRequest");
    EXPECT_STREQ(gk_json_get(tr, "name")->str, "pelican_name_generator");
    EXPECT_STREQ(gk_json_get(tr, "ref")->str, "0");
    expect_signature_prefix(c.resp_json, "ClgBEU0yD8z3tYzbgjZ1jc6lL1fw");
    EXPECT_STREQ(gk_json_get(v, "finishReason")->str, "stop");
    EXPECT_STREQ(gk_json_get(v, "finishMessage")->str, "Model generated function call(s).");
    const gk_json *u = gk_json_get(v, "usage");
    EXPECT_EQ(gk_json_get(u, "inputTokens")->integer, 32);
    EXPECT_EQ(gk_json_get(u, "outputTokens")->integer, 12);
    EXPECT_EQ(gk_json_get(u, "totalTokens")->integer, 86);
    EXPECT_EQ(gk_json_get(u, "thoughtsTokens")->integer, 42);
    /* The tools we sent, in the OpenAPI dialect. */
    const gk_test_request *r = gk_test_server_request(s, 0);
    gk_json *body = NULL;
    ASSERT_EQ(gk_json_parse(a, r->body, r->body_len, NULL, &body, NULL), GK_OK);
    char *tools = encode_json(gk_json_get(body, "tools"));
    EXPECT_JSON(tools,
                "[{\"functionDeclarations\":[{\"name\":\"pelican_name_generator\","
                "\"description\":\"\",\"parameters\":{\"type\":\"OBJECT\",\"properties\":{}}}]}]");
    free(tools);
    gk_arena_free(a);
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_thought_signature_is_echoed_on_the_replayed_call)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {
        .g = g,
        .model = "googleai/gemini-3-pro-preview",
        .request =
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]},{\"role\":\"model\","
            "\"content\":[{\"reasoning\":\"thinking\",\"metadata\":{\"thoughtSignature\":\"S0\"}},"
            "{\"toolRequest\":{\"name\":\"get_country\",\"ref\":\"0\",\"input\":{}},\"metadata\":{"
            "\"thoughtSignature\":\"S1\"}}]},{\"role\":\"tool\",\"content\":[{\"toolResponse\":{"
            "\"name\":\"get_country\",\"ref\":\"0\",\"output\":\"Mexico\"}}]}]}"};
    gk_fixture *f = serve_and_run(s, "generate-text", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_TRUE(r != NULL);
    EXPECT_JSON(
        r->body,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},{\"role\":"
        "\"model\",\"parts\":[{\"text\":\"thinking\",\"thought\":true,\"thoughtSignature\":"
        "\"S0\"},{\"functionCall\":{\"name\":\"get_country\",\"args\":{},\"id\":\"0\"},"
        "\"thoughtSignature\":\"S1\"}]},{\"role\":\"user\",\"parts\":[{\"functionResponse\":"
        "{\"name\":\"get_country\",\"id\":\"0\",\"response\":{\"result\":\"Mexico\"}}}]}],"
        "\"generationConfig\":{}}");
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- errors ---- */

static void check_error(const char *name, const char *model, gk_status want, const char *msg_part,
                        int want_retry_ms, bool stream)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {.g = g,
                      .model = model,
                      .request =
                          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}",
                      .stream = stream};
    gk_fixture *f = serve_and_run(s, name, 0, &c);
    ASSERT_TRUE(f != NULL);
    EXPECT_EQ(c.st, want);
    EXPECT_EQ(c.err.status, want);
    EXPECT_CONTAINS(c.err.message, msg_part);
    EXPECT_TRUE(strstr(c.err.message, KEY) == NULL);
    EXPECT_TRUE(strstr(c.err.message, "SECRET") == NULL);
    EXPECT_EQ(c.err.retry_after_ms, want_retry_ms);
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_error_invalid_key_is_unauthenticated)
{
    check_error("error-400-api-key-invalid", "googleai/gemini-2.5-flash", GK_UNAUTHENTICATED,
                "API key not valid. Please pass a valid API key.", 0, false);
}

TEST(googleai_error_invalid_argument_keeps_the_message)
{
    check_error("error-400-invalid-argument", "googleai/gemini-2.5-flash", GK_INVALID_ARGUMENT,
                "(HTTP 400, INVALID_ARGUMENT): * GenerateContentRequest.contents: contents is not "
                "specified",
                0, false);
}

TEST(googleai_error_unknown_model_is_not_found)
{
    check_error("error-404-model-not-found", "googleai/gemini-nonexistent", GK_NOT_FOUND,
                "models/gemini-nonexistent is not found for API version v1beta", 0, false);
}

TEST(googleai_error_429_reads_retry_info)
{
    check_error("error-429-resource-exhausted", "googleai/gemini-2.5-flash", GK_RESOURCE_EXHAUSTED,
                "You exceeded your current quota", 37000, false);
    check_error("error-429-resource-exhausted", "googleai/gemini-2.5-flash", GK_RESOURCE_EXHAUSTED,
                "You exceeded your current quota", 37000, true);
}

TEST(googleai_error_500_is_internal)
{
    check_error("error-500-internal", "googleai/gemini-2.5-flash", GK_INTERNAL,
                "An internal error has occurred", 0, false);
}

TEST(googleai_error_503_is_unavailable_also_when_streaming)
{
    check_error("error-503-unavailable", "googleai/gemini-2.5-flash", GK_UNAVAILABLE,
                "The model is overloaded. Please try again later.", 0, false);
    check_error("error-503-unavailable", "googleai/gemini-2.5-flash", GK_UNAVAILABLE,
                "The model is overloaded. Please try again later.", 0, true);
}

TEST(googleai_error_mapping_masks_an_echoed_key_and_reads_retry_header)
{
    const char body[] = "{\"error\":{\"code\":429,\"message\":\"key sk-test-SECRET over quota\"}}";
    gk_error err = {0};
    gk_status st = gk_googleai_error_from_body(429, body, strlen(body), 2000, KEY, &err);
    EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
    EXPECT_TRUE(strstr(err.message, "SECRET") == NULL);
    EXPECT_CONTAINS(err.message, "over quota");
    EXPECT_EQ(err.retry_after_ms, 2000);
    st = gk_googleai_error_from_body(502, "<html>bad gateway</html>", 24, 0, NULL, &err);
    EXPECT_EQ(st, GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "gemini error (HTTP 502, UNAVAILABLE) with a body that is not JSON");
}

TEST(googleai_missing_key_fails_the_call_not_init)
{
    const char *saved1 = getenv("GEMINI_API_KEY");
    const char *saved2 = getenv("GOOGLE_API_KEY");
    char *s1 = saved1 ? strdup(saved1) : NULL;
    char *s2 = saved2 ? strdup(saved2) : NULL;
    unsetenv("GEMINI_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, NULL);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {.g = g,
                      .model = "googleai/gemini-2.5-flash",
                      .request =
                          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}"};
    run_case(&c);
    EXPECT_EQ(c.st, GK_FAILED_PRECONDITION);
    EXPECT_CONTAINS(c.err.message, "GEMINI_API_KEY");
    EXPECT_EQ(gk_test_server_request_count(s), 0);
    gcase_free(&c);
    gk_shutdown(g);
    gk_test_server_stop(s);
    if (s1)
        setenv("GEMINI_API_KEY", s1, 1);
    if (s2)
        setenv("GOOGLE_API_KEY", s2, 1);
    free(s1);
    free(s2);
}

TEST(googleai_bad_requests_are_refused_before_sending)
{
    static const struct {
        const char *request;
        const char *path;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":\"data:image/"
         "png,abc\"}}]}]}",
         "/messages/0/content/0"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"config\":{"
         "\"candidateCount\":2}}",
         "/config/candidateCount"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"config\":{"
         "\"temperature\":\"hot\"}}",
         "/config/temperature"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"tools\":[{\"name\":"
         "\"t\",\"description\":\"d\",\"inputSchema\":[1]}]}",
         "/tools/0/inputSchema"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\"}]}],\"config\":{"
         "\"version\":\"../x\"}}",
         "/config/version"},
    };
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gcase c = {
            .g = g, .model = "googleai/gemini-2.5-flash", .request = cases[i].request};
        run_case(&c);
        EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
        EXPECT_STREQ(c.err.path, cases[i].path);
        gcase_free(&c);
    }
    EXPECT_EQ(gk_test_server_request_count(s), 0);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_request_maps_media_urls_nullable_types_and_config)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    struct gcase c = {
        .g = g,
        .model = "googleai/gemini-2.5-flash",
        .request =
            "{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
            "\"https://x.test/a.pdf\",\"contentType\":\"application/"
            "pdf\"}},{\"data\":{\"k\":1}}]}],"
            "\"config\":{\"version\":\"gemini-2.5-flash-preview\",\"temperature\":0.5,\"topK\":3,"
            "\"topP\":0.9,\"seed\":7,\"stopSequences\":[\"END\"],\"candidateCount\":1},"
            "\"tools\":[{\"name\":\"t\",\"description\":\"d\",\"inputSchema\":{\"type\":\"object\","
            "\"properties\":{\"n\":{\"type\":[\"string\",\"null\"],\"pattern\":\"^a\"}},"
            "\"$defs\":{}}}],\"toolChoice\":\"none\"}"};
    gk_fixture *f = serve_and_run(s, "generate-text", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_TRUE(r != NULL);
    EXPECT_STREQ(r->target, "/v1beta/models/gemini-2.5-flash-preview:generateContent");
    EXPECT_JSON(
        r->body,
        "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"fileData\":{\"mimeType\":"
        "\"application/pdf\",\"fileUri\":\"https://x.test/a.pdf\"}},{\"text\":"
        "\"{\\\"k\\\":1}\"}]}],\"tools\":[{\"functionDeclarations\":[{\"name\":\"t\","
        "\"description\":\"d\",\"parameters\":{\"type\":\"OBJECT\",\"properties\":{\"n\":{"
        "\"type\":\"STRING\",\"pattern\":\"^a\",\"nullable\":true}}}}]}],\"toolConfig\":{"
        "\"functionCallingConfig\":{\"mode\":\"NONE\"}},\"generationConfig\":{"
        "\"temperature\":0.5,\"topK\":3,\"topP\":0.9,\"seed\":7,\"stopSequences\":[\"END\"],"
        "\"candidateCount\":1}}");
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- cancellation ---- */

TEST(googleai_stream_deadline_cancels_a_hanging_upstream)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    static const char *const pieces[] = {
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],\"role\": "
        "\"model\"}}]}\r\n\r\n",
        NULL};
    gk_test_server_push(s, &(gk_test_response){.headers = "Content-Type: text/event-stream\r\n",
                                               .chunks = pieces,
                                               .chunked = true,
                                               .hang = true});
    struct gcase c = {.g = g,
                      .model = "googleai/gemini-2.5-flash",
                      .request =
                          "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}",
                      .stream = true,
                      .timeout_ms = 200};
    int64_t t0 = gk_now_ms();
    run_case(&c);
    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.text, "Hel");
    EXPECT_LT(gk_now_ms() - t0, 5000);
    EXPECT_TRUE(gk_test_server_wait_closed(s, 1, 5000));
    gcase_free(&c);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- configuration ---- */

TEST(googleai_environment_configures_key_base_url_and_extra_models)
{
    gk_test_server *s = gk_test_server_start();
    setenv("GEMINI_BASE_URL", gk_test_server_url(s), 1);
    setenv("GEMINI_API_KEY", KEY, 1);
    setenv("GK_GOOGLEAI_MODELS", " gemini-x , gemini-2.5-flash,,gemini-y", 1);
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&gk_plugin_googleai, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    unsetenv("GEMINI_BASE_URL");
    unsetenv("GEMINI_API_KEY");
    unsetenv("GK_GOOGLEAI_MODELS");
    ASSERT_TRUE(g != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "googleai/gemini-y") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "googleai/gemini-2.5-pro") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "googleai/gemini-2.5-flash-lite") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "googleai/gemini-2.0-flash") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_EMBEDDER, "googleai/text-embedding-004") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_EMBEDDER, "googleai/gemini-embedding-001") != NULL);
    const char *meta =
        gk_action_metadata(gk_lookup(g, GK_ACTION_MODEL, "googleai/gemini-2.5-flash"));
    EXPECT_CONTAINS(meta, "\"label\":\"Google AI - Gemini 2.5 Flash\"");
    EXPECT_CONTAINS(meta, "\"multiturn\":true,\"tools\":true,\"media\":true,\"systemRole\":true,"
                          "\"toolChoice\":true");
    EXPECT_CONTAINS(meta, "\"constrained\":\"no-tools\"");
    struct gcase c = {
        .g = g,
        .model = "googleai/gemini-x",
        .request = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Hello!\"}]}]}"};
    gk_fixture *f = serve_and_run(s, "generate-text", 0, &c);
    EXPECT_EQ(c.st, GK_OK);
    expect_request(s, 0, "/v1beta/models/gemini-x:generateContent", NULL, NULL);
    gcase_free(&c);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
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

static void check_embed(const char *name, const char *embedder, const char *const *texts, size_t n,
                        const char *options, gk_status want, size_t dims, double first0)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    gk_fixture *f = gk_fixture_load("gemini", name);
    ASSERT_TRUE(f != NULL);
    gk_fixture_serve(s, f, 0, 0);
    struct ecase c = {.g = g, .embedder = embedder, .texts = texts, .n = n, .options = options};
    gk_status st = rt_run_fiber(embed_fiber, &c, 256 * 1024);
    EXPECT_EQ(st, GK_OK);
    EXPECT_EQ(c.st, want);
    char target[256];
    snprintf(target, sizeof(target), "/v1beta/models/%s:batchEmbedContents",
             strchr(embedder, '/') + 1);
    expect_request(s, 0, target, strstr(name, "embed-content") ? NULL : f, NULL);
    if (want == GK_OK) {
        EXPECT_EQ(c.count, n);
        EXPECT_EQ(c.dims[0], dims);
        EXPECT_TRUE(c.first[0] == first0);
    } else {
        EXPECT_CONTAINS(c.err.message, "is not found for API version v1beta");
    }
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_embed_batch_of_documents)
{
    static const char *const texts[] = {"hello", "world"};
    check_embed("embed-batch", "googleai/gemini-embedding-2-preview", texts, 2,
                "{\"taskType\":\"RETRIEVAL_DOCUMENT\"}", GK_OK, 3072, -0.006419318);
}

TEST(googleai_embed_batch_with_output_dimensionality)
{
    static const char *const texts[] = {"First text", "Second text"};
    check_embed("embed-batch-768", "googleai/gemini-embedding-2", texts, 2,
                "{\"outputDimensionality\":768}", GK_OK, 768, -0.011345503);
}

TEST(googleai_embed_single_query)
{
    static const char *const texts[] = {"Hello, world!"};
    check_embed("embed-batch-query", "googleai/gemini-embedding-2-preview", texts, 1,
                "{\"taskType\":\"RETRIEVAL_QUERY\"}", GK_OK, 3072, -0.022495363);
}

TEST(googleai_embed_accepts_the_single_embedding_shape)
{
    /* embed-content is the embedContent exchange; we always batch (as Google's SDKs do), so the
     * fixture's request must equal the one item of our batch, and its singular reply is read. */
    static const char *const texts[] = {"What is the meaning of life?"};
    check_embed("embed-content", "googleai/gemini-embedding-001", texts, 1,
                "{\"taskType\":\"RETRIEVAL_QUERY\",\"outputDimensionality\":8}", GK_OK, 8, 0.0123);
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_gai(s, KEY);
    ASSERT_TRUE(g != NULL);
    gk_fixture *f = gk_fixture_load("gemini", "embed-content");
    gk_fixture_serve(s, f, 0, 0);
    struct ecase c = {.g = g,
                      .embedder = "googleai/gemini-embedding-001",
                      .texts = texts,
                      .n = 1,
                      .options = "{\"taskType\":\"RETRIEVAL_QUERY\",\"outputDimensionality\":8}"};
    rt_run_fiber(embed_fiber, &c, 256 * 1024);
    EXPECT_EQ(c.st, GK_OK);
    gk_arena *a = gk_arena_new(0);
    gk_json *body = NULL;
    const gk_test_request *r = gk_test_server_request(s, 0);
    ASSERT_EQ(gk_json_parse(a, r->body, r->body_len, NULL, &body, NULL), GK_OK);
    char *item = encode_json(&gk_json_get(body, "requests")->items[0]);
    EXPECT_JSON(item, f->request);
    free(item);
    gk_arena_free(a);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(googleai_embed_unknown_model_is_not_found)
{
    static const char *const texts[] = {"Hello, world!"};
    check_embed("embed-error-404", "googleai/nonexistent-model", texts, 1,
                "{\"taskType\":\"RETRIEVAL_QUERY\"}", GK_NOT_FOUND, 0, 0);
}

/* ---- the decoder on its own ---- */

static gk_status decode(const char *body, bool stream, size_t split, gk_generate_response *resp,
                        gk_arena *a, gk_error *err)
{
    gk_googleai_decoder *d = gk_googleai_decoder_new(a, stream, NULL, NULL);
    if (!d)
        return GK_RESOURCE_EXHAUSTED;
    size_t n = strlen(body);
    size_t step = split ? split : n;
    for (size_t off = 0; off < n; off += step) {
        size_t len = n - off < step ? n - off : step;
        gk_status st = gk_googleai_decoder_feed(d, body + off, len, err);
        if (st != GK_OK)
            return st;
    }
    return gk_googleai_decoder_finish(d, resp, err);
}

TEST(googleai_decoder_rejects_malformed_output_clearly)
{
    static const struct {
        const char *body;
        bool stream;
        gk_status want;
        const char *msg;
    } cases[] = {
        {"data: {\"candidates\": [\r\n\r\n", true, GK_INTERNAL, "invalid JSON from gemini"},
        {"data: {\"candidates\": 3}\r\n\r\n", true, GK_INTERNAL, "candidates is not an array"},
        {"[{\"candidates\": []}\n,\n", true, GK_UNAVAILABLE, "inside its JSON array"},
        {"data: {\"error\": {\"code\": 503, \"message\": \"overloaded\", \"status\": "
         "\"UNAVAILABLE\"}}\r\n\r\n",
         true, GK_UNAVAILABLE, "in stream, UNAVAILABLE): overloaded"},
        {"data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
         "\"willContinue\":true}}]}}]}\r\n\r\n",
         true, GK_UNAVAILABLE, "before function call \"f\" was complete"},
        {"data: "
         "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"partialArgs\":[]}}]}}]}"
         "\n\n",
         true, GK_INTERNAL, "without a call name"},
        {"", true, GK_INTERNAL, "empty response from gemini"},
        {"", false, GK_INTERNAL, "invalid JSON from gemini"},
        {"\"text\"", false, GK_INTERNAL, "not a JSON object"},
        {"{\"candidates\":[{\"content\":{\"parts\":[{\"text\":7}]}}]}", false, GK_INTERNAL,
         "text is not a string"},
        {"{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":[]}}"
         "]}}]}",
         false, GK_INTERNAL, "args is not an object"},
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

TEST(googleai_decoder_maps_finish_reasons_and_keeps_unknown_parts)
{
    static const struct {
        const char *reason;
        gk_finish_reason want;
    } cases[] = {
        {"STOP", GK_FINISH_STOP},
        {"MAX_TOKENS", GK_FINISH_LENGTH},
        {"SAFETY", GK_FINISH_BLOCKED},
        {"RECITATION", GK_FINISH_BLOCKED},
        {"BLOCKLIST", GK_FINISH_BLOCKED},
        {"PROHIBITED_CONTENT", GK_FINISH_BLOCKED},
        {"SPII", GK_FINISH_BLOCKED},
        {"MALFORMED_FUNCTION_CALL", GK_FINISH_OTHER},
        {"LANGUAGE", GK_FINISH_OTHER},
        {"SOMETHING_NEW", GK_FINISH_OTHER},
        {"FINISH_REASON_UNSPECIFIED", GK_FINISH_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        snprintf(body, sizeof(body),
                 "{\"candidates\":[{\"content\":{\"parts\":[{\"executableCode\":{\"code\":\"1\"}},"
                 "{\"inlineData\":{\"mimeType\":\"image/png\",\"data\":\"AA==\"}}]},"
                 "\"finishReason\":\"%s\"}],\"usageMetadata\":{\"cachedContentTokenCount\":4,"
                 "\"toolUsePromptTokenCount\":2}}",
                 cases[i].reason);
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        EXPECT_EQ(decode(body, false, 0, &resp, a, &err), GK_OK);
        EXPECT_EQ(resp.finish_reason, cases[i].want);
        ASSERT_EQ(resp.message.content.count, 2);
        EXPECT_TRUE(gk_json_get(resp.message.content.items[0].custom, "executableCode") != NULL);
        EXPECT_STREQ(resp.message.content.items[1].media.url, "data:image/png;base64,AA==");
        EXPECT_TRUE(resp.usage.has_cached_content_tokens);
        EXPECT_EQ((int)resp.usage.cached_content_tokens, 4);
        EXPECT_EQ((int)gk_json_get(resp.usage.custom, "toolUsePromptTokens")->number, 2);
        gk_arena_free(a);
    }
}

TEST(googleai_decoder_assembles_nested_and_typed_partial_args)
{
    const char body[] =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\","
        "\"willContinue\":true}}]}}]}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"partialArgs\":["
        "{\"jsonPath\":\"$.a.b\",\"numberValue\":1.5},{\"jsonPath\":\"$.a.c\",\"boolValue\":true},"
        "{\"jsonPath\":\"$.s\",\"stringValue\":\"he\",\"willContinue\":true}],\"willContinue\":"
        "true}}]}}]}"
        "\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"partialArgs\":["
        "{\"jsonPath\":\"$.s\",\"stringValue\":\"llo\"},{\"jsonPath\":\"$.n\",\"nullValue\":null}],"
        "\"willContinue\":true}}]}}]}\r\n\r\n"
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{}}]},"
        "\"finishReason\":\"STOP\"}]}\r\n\r\n";
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    gk_error err = {0};
    ASSERT_EQ(decode(body, true, 5, &resp, a, &err), GK_OK);
    ASSERT_EQ(resp.message.content.count, 1);
    const gk_tool_request *tr = &resp.message.content.items[0].tool_request;
    EXPECT_STREQ(tr->name, "f");
    EXPECT_STREQ(tr->ref, "0");
    char *in = encode_json(tr->input);
    EXPECT_JSON(in, "{\"a\":{\"b\":1.5,\"c\":true},\"s\":\"hello\",\"n\":null}");
    free(in);
    EXPECT_EQ(resp.finish_reason, GK_FINISH_STOP);
    gk_arena_free(a);
}
