/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/anthropic/tests/anthropic_test.c - the Anthropic plugin against replayed provider
 * traffic (tests/fixtures/providers/anthropic): for every fixture, the request body the plugin
 * sends (compared as JSON with the recorded one), its method, path and headers, and the
 * GenerateResponse and chunks it makes of the recorded reply, streams also replayed cut at
 * awkward byte boundaries. The Genkit side of each exchange is in tests/cases/<fixture>.*.json,
 * computed from the fixtures by an independent script. Also: every error fixture, mid-stream
 * errors, truncated and malformed streams, cancellation, configuration, request mapping rules. */
#include <stdlib.h>
#include <string.h>

#include <genkit/plugins/anthropic.h>

#include "../anthropic_wire.h"
#include "runtime/rt_helpers.h"
#include "support/fixtures.h"
#include "test.h"

#define TEST_KEY "sk-test-SECRET"

/* Models the fixtures were recorded with that are not among the well-known ones. */
static const char *const extra_models[] = {"claude-3-opus-latest", "claude-sonnet-4-5-20250929",
                                           "claude-haiku-4-5-20251001", "claude-sonnet-4-20250514",
                                           NULL};

/* The test plugin's options: set before gk_init (tests run one at a time). */
static gk_anthropic_opts t_opts;

static gk_status t_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    return gk_anthropic_init(host, &t_opts, err);
}

static const gk_plugin t_plugin = {.abi = GK_PLUGIN_ABI, .name = "anthropic", .init = t_init};

static gk_genkit *new_genkit(gk_test_server *s)
{
    t_opts = (gk_anthropic_opts){
        .api_key = TEST_KEY, .base_url = s ? gk_test_server_url(s) : NULL, .models = extra_models};
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&t_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test", .plugins = plugins}, &err);
    if (!g)
        fprintf(stderr, "anthropic init: %s\n", err.message);
    return g;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    gk_buf b = GK_BUF_INIT(0);
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        gk_buf_put(&b, tmp, n);
    fclose(f);
    return gk_buf_detach(&b, NULL);
}

static char *read_case(const char *name, const char *kind)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/plugins/anthropic/tests/cases/%s.%s.json", GK_SOURCE_DIR, name,
             kind);
    char *text = read_text(path);
    if (!text)
        fprintf(stderr, "cannot read %s\n", path);
    return text;
}

/* ---- one model call in a fiber ---- */

struct call {
    gk_genkit *g;
    const char *model;
    const char *request; /* Genkit GenerateRequest JSON */
    bool stream;
    int64_t timeout_ms;
    gk_status st;
    gk_error err;
    char *response; /* GenerateResponse JSON (malloc'd) */
    int nchunks;
    char chunk_text[16384];
    char chunk_tools[512]; /* "name(ref) " per streamed tool request */
};

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct call *c = arg;
    c->nchunks++;
    for (size_t i = 0; i < chunk->content.count; i++) {
        const gk_part *p = &chunk->content.items[i];
        size_t used = strlen(c->chunk_text);
        if (p->text)
            snprintf(c->chunk_text + used, sizeof(c->chunk_text) - used, "%s", p->text);
        if (p->has_tool_request) {
            used = strlen(c->chunk_tools);
            snprintf(c->chunk_tools + used, sizeof(c->chunk_tools) - used, "%s(%s) ",
                     p->tool_request.name, p->tool_request.ref);
        }
    }
    return GK_OK;
}

static char *encode_response(const gk_generate_response *resp)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response), resp);
    return gk_buf_detach(&b, NULL);
}

static void call_in_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
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
    if (c->st == GK_OK)
        c->response = encode_response(&resp);
}

static void run_call(struct call *c)
{
    gk_status st = rt_run_fiber(call_in_fiber, c, 256 * 1024);
    if (st != GK_OK)
        c->st = st;
}

/* ---- comparing JSON ---- */

static bool json_same(const char *what, const char *actual, const char *expected)
{
    char why[128] = "";
    if (actual && expected &&
        gk_fixture_json_equal(actual, strlen(actual), expected, strlen(expected), why, sizeof(why)))
        return true;
    fprintf(stderr, "%s differs (%s)\n  actual:   %s\n  expected: %s\n", what, why,
            actual ? actual : "(null)", expected ? expected : "(null)");
    return false;
}

/* The recorded request as this plugin writes it: message content always as block arrays, an
 * explicit "stream", and no "is_error": false (the API's default, which the plugin leaves out). */
static void normalize_wire_request(gk_arena *a, gk_json *req)
{
    if (!gk_json_get(req, "stream"))
        gk_json_object_set(a, req, "stream", gk_json_new_bool(a, false));
    gk_json *msgs = (gk_json *)gk_json_get(req, "messages");
    for (size_t i = 0; msgs && i < msgs->count; i++) {
        gk_json *m = &msgs->items[i];
        const gk_json *content = gk_json_get(m, "content");
        if (content && content->type == GK_JSON_STRING) {
            gk_json *block = gk_json_new_object(a);
            gk_json_object_set(a, block, "type", gk_json_new_string(a, "text", 4));
            gk_json_object_set(a, block, "text", content);
            gk_json *arr = gk_json_new_array(a);
            gk_json_array_push(a, arr, block);
            gk_json_object_set(a, m, "content", arr);
            continue;
        }
        for (size_t j = 0; content && j < content->count; j++) {
            gk_json *b = &content->items[j];
            for (size_t k = 0; b->type == GK_JSON_OBJECT && k < b->count; k++) {
                if (strcmp(b->items[k].key, "is_error") == 0 && b->items[k].type == GK_JSON_BOOL &&
                    !b->items[k].boolean) {
                    memmove(&b->items[k], &b->items[k + 1],
                            (b->count - k - 1) * sizeof(b->items[0]));
                    b->count--;
                    break;
                }
            }
        }
    }
}

/* Request i the server got: POST /v1/messages with the key and version headers, and a body equal
 * to the fixture's recorded request. */
static void expect_request(gk_test_server *s, size_t i, const gk_fixture *f)
{
    const gk_test_request *r = gk_test_server_request(s, i);
    ASSERT_TRUE(r != NULL);
    EXPECT_STREQ(r->method, "POST");
    EXPECT_STREQ(r->target, "/v1/messages");
    EXPECT_STREQ(gk_test_request_header(r, "x-api-key"), TEST_KEY);
    EXPECT_STREQ(gk_test_request_header(r, "anthropic-version"), "2023-06-01");
    EXPECT_STREQ(gk_test_request_header(r, "content-type"), "application/json");
    EXPECT_TRUE(gk_test_request_header(r, "authorization") == NULL);
    if (!f || !f->request)
        return;
    gk_arena *a = gk_arena_new(0);
    gk_json *expected = NULL;
    gk_json *actual = NULL;
    gk_error err = {0};
    ASSERT_EQ(gk_json_parse(a, f->request, f->request_len, NULL, &expected, &err), GK_OK);
    ASSERT_EQ(gk_json_parse(a, r->body, r->body_len, NULL, &actual, &err), GK_OK);
    normalize_wire_request(a, expected);
    bool same = gk_json_equal(actual, expected);
    if (!same) {
        gk_buf b = GK_BUF_INIT(0);
        gk_json_write(&b, expected);
        fprintf(stderr, "request for %s differs\n  sent:     %.*s\n  expected: %.3000s\n", f->name,
                (int)(r->body_len > 3000 ? 3000 : r->body_len), r->body, b.ptr ? b.ptr : "");
        gk_buf_release(&b);
    }
    EXPECT_TRUE(same);
    gk_arena_free(a);
}

/* ---- the fixture scenarios ---- */

static const struct scenario {
    const char *fixture;
    const char *model;
} scenarios[] = {
    {"messages-text", "claude-sonnet-4-5"},
    {"messages-text-system", "claude-3-opus-latest"},
    {"messages-image-url", "claude-haiku-4-5"},
    {"messages-document-pdf-base64", "claude-sonnet-4-5"},
    {"messages-max-tokens", "claude-sonnet-4-5-20250929"},
    {"messages-parallel-tool-calls", "claude-haiku-4-5"},
    {"messages-parallel-tool-results-followup", "claude-haiku-4-5"},
    {"messages-refusal", "claude-sonnet-4-5"},
    {"messages-structured-output-config", "claude-sonnet-4-5"},
    {"messages-tool-call-forced", "claude-sonnet-4-5"},
    {"messages-tool-result-followup-structured", "claude-sonnet-4-5"},
    {"messages-parallel-tool-use-stream", "claude-sonnet-4-5-20250929"},
    {"messages-stream-image-base64", "claude-sonnet-4-5"},
    {"messages-stream-max-tokens", "claude-sonnet-4-5"},
    {"messages-stream-output-format-json", "claude-sonnet-4-5"},
    {"messages-stream-parallel-tool-calls", "claude-haiku-4-5-20251001"},
    {"messages-stream-parallel-tool-results-followup", "claude-haiku-4-5-20251001"},
    {"messages-stream-refusal", "claude-sonnet-4-5"},
    {"messages-stream-stop-sequence", "claude-haiku-4-5-20251001"},
    {"messages-stream-structured-output-config", "claude-sonnet-4-5"},
    {"messages-stream-text-short", "claude-haiku-4-5-20251001"},
    {"messages-stream-text-then-tool", "claude-sonnet-4-5"},
    {"messages-stream-text", "claude-sonnet-4-5"},
    {"messages-stream-tool-call-fragmented", "claude-sonnet-4-20250514"},
    {"messages-stream-tool-call-noargs", "claude-haiku-4-5-20251001"},
    {"messages-stream-tool-chain-1", "claude-haiku-4-5-20251001"},
    {"messages-stream-tool-chain-2", "claude-haiku-4-5-20251001"},
    {"messages-stream-tool-json-fragments", "claude-haiku-4-5-20251001"},
};

static const struct scenario *find_scenario(const char *fixture)
{
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(scenarios[i].fixture, fixture) == 0)
            return &scenarios[i];
    }
    return NULL;
}

/* The text parts of a GenerateResponse JSON concatenated, and its tool requests as "name(ref) "
 * (for comparing with what was streamed). */
static void response_text(const char *json, char *out, size_t cap, char *tools, size_t tools_cap)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_response r;
    gk_error err = {0};
    out[0] = '\0';
    tools[0] = '\0';
    if (gk_decode_text(a, GK_TYPE_OF(gk_generate_response), json, strlen(json), &r, &err) ==
        GK_OK) {
        snprintf(out, cap, "%s", gk_response_text(a, &r));
        for (size_t i = 0; i < r.message.content.count; i++) {
            const gk_part *p = &r.message.content.items[i];
            size_t used = strlen(tools);
            if (p->has_tool_request)
                snprintf(tools + used, tools_cap - used, "%s(%s) ", p->tool_request.name,
                         p->tool_request.ref);
        }
    }
    gk_arena_free(a);
}

/* Replay fixture `name` through the fake server (body cut in `split`-byte writes), check the
 * request sent and the response and chunks made. */
static void run_fixture(const char *name, size_t split)
{
    const struct scenario *sc = find_scenario(name);
    ASSERT_TRUE(sc != NULL);
    gk_fixture *f = gk_fixture_load("anthropic", name);
    ASSERT_TRUE(f != NULL);
    char *request = read_case(name, "request");
    char *expected = read_case(name, "response");
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = s ? new_genkit(s) : NULL;
    if (!request || !expected || !g)
        goto out;
    gk_fixture_serve(s, f, split, 0);
    char model[160];
    snprintf(model, sizeof(model), "anthropic/%s", sc->model);
    struct call c = {.g = g, .model = model, .request = request, .stream = f->stream};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    if (c.st != GK_OK)
        fprintf(stderr, "%s: %s\n", name, c.err.message);
    EXPECT_TRUE(json_same(name, c.response, expected));
    expect_request(s, 0, f);
    if (f->stream) {
        char text[16384];
        char tools[512];
        response_text(expected, text, sizeof(text), tools, sizeof(tools));
        EXPECT_STREQ(c.chunk_text, text);
        EXPECT_STREQ(c.chunk_tools, tools);
        EXPECT_EQ(c.nchunks > 0, text[0] != '\0' || tools[0] != '\0');
    } else {
        EXPECT_EQ(c.nchunks, 0);
    }
    free(c.response);
out:
    gk_shutdown(g);
    gk_test_server_stop(s);
    free(request);
    free(expected);
    gk_fixture_free(f);
}

/* Replay a stream fixture through gk_anthropic_parse_stream cut in pieces of 1, 7 and 64 bytes:
 * the same response every time. */
static void replay_splits(const char *name)
{
    gk_fixture *f = gk_fixture_load("anthropic", name);
    ASSERT_TRUE(f != NULL);
    char *expected = read_case(name, "response");
    static const size_t splits[] = {0, 1, 7, 64};
    for (size_t i = 0; expected && i < sizeof(splits) / sizeof(splits[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        gk_status st = gk_anthropic_parse_stream(a, f->response, f->response_len, splits[i], NULL,
                                                 NULL, &resp, &err);
        EXPECT_EQ(st, GK_OK);
        char *json = st == GK_OK ? encode_response(&resp) : NULL;
        char what[160];
        snprintf(what, sizeof(what), "%s split %zu", name, splits[i]);
        EXPECT_TRUE(json_same(what, json, expected));
        free(json);
        gk_arena_free(a);
    }
    free(expected);
    gk_fixture_free(f);
}

#define FIXTURE_TEST(test_name, fixture) \
    TEST(test_name)                      \
    {                                    \
        run_fixture(fixture, 0);         \
    }

#define STREAM_FIXTURE_TEST(test_name, fixture) \
    TEST(test_name)                             \
    {                                           \
        run_fixture(fixture, 0);                \
        run_fixture(fixture, 7);                \
        replay_splits(fixture);                 \
    }

FIXTURE_TEST(anthropic_text_reply_maps_to_text_part_and_usage, "messages-text")
FIXTURE_TEST(anthropic_system_message_goes_to_top_level_system, "messages-text-system")
FIXTURE_TEST(anthropic_https_media_becomes_image_url_source, "messages-image-url")
FIXTURE_TEST(anthropic_pdf_data_url_becomes_base64_document, "messages-document-pdf-base64")
FIXTURE_TEST(anthropic_max_tokens_stop_is_finish_length, "messages-max-tokens")
FIXTURE_TEST(anthropic_parallel_tool_use_blocks_become_tool_requests,
             "messages-parallel-tool-calls")
FIXTURE_TEST(anthropic_tool_results_go_in_one_user_turn, "messages-parallel-tool-results-followup")
FIXTURE_TEST(anthropic_refusal_is_blocked_with_explanation, "messages-refusal")
FIXTURE_TEST(anthropic_json_schema_output_uses_output_config, "messages-structured-output-config")
FIXTURE_TEST(anthropic_required_tool_choice_is_any, "messages-tool-call-forced")
FIXTURE_TEST(anthropic_tool_result_followup_with_forced_tool,
             "messages-tool-result-followup-structured")
STREAM_FIXTURE_TEST(anthropic_stream_text_and_two_fragmented_tool_calls,
                    "messages-parallel-tool-use-stream")
STREAM_FIXTURE_TEST(anthropic_stream_base64_image_input, "messages-stream-image-base64")
STREAM_FIXTURE_TEST(anthropic_stream_max_tokens_is_finish_length, "messages-stream-max-tokens")
STREAM_FIXTURE_TEST(anthropic_stream_json_text_deltas_concatenate,
                    "messages-stream-output-format-json")
STREAM_FIXTURE_TEST(anthropic_stream_parallel_no_arg_tool_calls,
                    "messages-stream-parallel-tool-calls")
STREAM_FIXTURE_TEST(anthropic_stream_after_parallel_tool_results_with_emoji,
                    "messages-stream-parallel-tool-results-followup")
STREAM_FIXTURE_TEST(anthropic_stream_refusal_without_blocks_is_blocked, "messages-stream-refusal")
STREAM_FIXTURE_TEST(anthropic_stream_prefill_and_stop_sequence, "messages-stream-stop-sequence")
STREAM_FIXTURE_TEST(anthropic_stream_structured_output_config,
                    "messages-stream-structured-output-config")
STREAM_FIXTURE_TEST(anthropic_stream_one_word_reply, "messages-stream-text-short")
STREAM_FIXTURE_TEST(anthropic_stream_text_then_tool_with_pings, "messages-stream-text-then-tool")
STREAM_FIXTURE_TEST(anthropic_stream_text_with_padded_events, "messages-stream-text")
STREAM_FIXTURE_TEST(anthropic_stream_reassembles_fragmented_tool_input,
                    "messages-stream-tool-call-fragmented")
STREAM_FIXTURE_TEST(anthropic_stream_no_arg_tool_input_is_empty_object,
                    "messages-stream-tool-call-noargs")
STREAM_FIXTURE_TEST(anthropic_stream_tool_chain_turn_one, "messages-stream-tool-chain-1")
STREAM_FIXTURE_TEST(anthropic_stream_tool_chain_turn_two, "messages-stream-tool-chain-2")
STREAM_FIXTURE_TEST(anthropic_stream_forced_tool_json_fragments,
                    "messages-stream-tool-json-fragments")

/* A tool loop over two exchanges on one connection: the follow-up echoes the ids of the first. */
TEST(anthropic_parallel_tool_loop_two_turns_on_one_server)
{
    run_fixture("messages-parallel-tool-calls", 0);
    run_fixture("messages-parallel-tool-results-followup", 0);
}

/* ---- errors ---- */

struct error_case {
    const char *fixture;
    gk_status status;
    const char *message;
    int retry_after_ms;
};

static void run_error(const struct error_case *ec, bool stream)
{
    gk_fixture *f = gk_fixture_load("anthropic", ec->fixture);
    ASSERT_TRUE(f != NULL);
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = s ? new_genkit(s) : NULL;
    char *request = strcmp(ec->fixture, "error-400-invalid-request") == 0
                        ? read_case(ec->fixture, "request")
                        : NULL;
    if (!g)
        goto out;
    gk_fixture_serve(s, f, 0, 0);
    struct call c = {.g = g,
                     .model = request ? "anthropic/claude-opus-4-6" : "anthropic/claude-sonnet-4-5",
                     .request = request ? request
                                        : "{\"messages\":[{\"role\":\"user\",\"content\":[{"
                                          "\"text\":\"hi\"}]}]}",
                     .stream = stream};

    run_call(&c);

    EXPECT_EQ(c.st, ec->status);
    EXPECT_STREQ(c.err.message, ec->message);
    EXPECT_EQ(c.err.retry_after_ms, ec->retry_after_ms);
    EXPECT_TRUE(strstr(c.err.message, TEST_KEY) == NULL);
    EXPECT_TRUE(strstr(c.err.message, "SECRET") == NULL);
    EXPECT_TRUE(c.response == NULL);
    if (request && !stream)
        expect_request(s, 0, f);
    free(c.response);
out:
    free(request);
    gk_shutdown(g);
    gk_test_server_stop(s);
    gk_fixture_free(f);
}

static const struct error_case error_cases[] = {
    {"error-400-invalid-request", GK_INVALID_ARGUMENT,
     "anthropic: invalid_request_error: This model does not support effort level 'xhigh'. "
     "Supported levels: high, low, max, medium. (request req_011Ca7jT9AHpgXgdv8igm4z9)",
     0},
    {"error-401-authentication", GK_UNAUTHENTICATED,
     "anthropic: authentication_error: invalid x-api-key (request req_011CaJCR7Pm2Jh2LbWpBH5Y6)",
     0},
    {"error-404-not-found", GK_NOT_FOUND,
     "anthropic: not_found_error: model: claude-does-not-exist (request "
     "req_011CVEA3SF7rnb3DuBZytqQa)",
     0},
    {"error-413-request-too-large", GK_INVALID_ARGUMENT,
     "anthropic: request_too_large: Request exceeds the maximum allowed number of bytes. (request "
     "req_011CHandWritten413aaaa)",
     0},
    {"error-429-rate-limit", GK_RESOURCE_EXHAUSTED,
     "anthropic: rate_limit_error: This request would exceed your account's rate limit. Please "
     "try again later. (request req_011CcR9mkMvXdaiWP4739PSN)",
     17000},
    {"error-500-api-error", GK_UNAVAILABLE,
     "anthropic: api_error: Internal server error (request req_011CHandWritten500aaaa)", 0},
    {"error-529-overloaded", GK_UNAVAILABLE,
     "anthropic: overloaded_error: Overloaded (request req_011CZAau32QzxDkriovTaFCB)", 0},
};

TEST(anthropic_error_fixtures_map_to_statuses_with_provider_messages)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
        run_error(&error_cases[i], false);
}

TEST(anthropic_error_fixtures_map_the_same_when_streaming)
{
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
        run_error(&error_cases[i], true);
}

TEST(anthropic_error_event_mid_stream_is_unavailable_after_streamed_text)
{
    gk_fixture *f = gk_fixture_load("anthropic", "messages-stream-error-overloaded");
    ASSERT_TRUE(f != NULL);
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_genkit(s);
    ASSERT_TRUE(g != NULL);
    gk_fixture_serve(s, f, 5, 0);
    struct call c = {.g = g,
                     .model = "anthropic/claude-sonnet-4-5",
                     .request = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"Tell "
                                "a story\"}]}]}",
                     .stream = true};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_STREQ(c.err.message, "anthropic: overloaded_error: Overloaded");
    EXPECT_STREQ(c.chunk_text, "Once upon");
    EXPECT_TRUE(c.response == NULL);
    gk_shutdown(g);
    gk_test_server_stop(s);
    gk_fixture_free(f);
}

/* A stream answering a prompt, with `tail` after the first text delta. */
static const char stream_head[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":"
    "\"assistant\",\"content\":[],\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
    "\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
    "\"text\":\"Hi\"}}\n\n";

static gk_status parse_with_tail(const char *tail, gk_error *err)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_puts(&b, stream_head);
    gk_buf_puts(&b, tail);
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    gk_status st = gk_anthropic_parse_stream(a, b.ptr, b.len, 3, NULL, NULL, &resp, err);
    gk_arena_free(a);
    gk_buf_release(&b);
    return st;
}

TEST(anthropic_stream_without_message_stop_is_unavailable)
{
    gk_error err = {0};
    EXPECT_EQ(parse_with_tail("event: content_block_stop\n"
                              "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                              &err),
              GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "anthropic: the stream ended before message_stop (after 4 events)");
}

TEST(anthropic_stream_with_invalid_json_event_is_internal)
{
    gk_error err = {0};
    EXPECT_EQ(parse_with_tail("event: content_block_delta\ndata: {\"type\":\"content_bl\n\n", &err),
              GK_INTERNAL);
    EXPECT_CONTAINS(err.message, "anthropic: malformed response: event 4 is not JSON");
}

TEST(anthropic_stream_delta_for_unknown_block_is_internal)
{
    gk_error err = {0};
    EXPECT_EQ(parse_with_tail("event: content_block_delta\n"
                              "data: {\"type\":\"content_block_delta\",\"index\":5,\"delta\":{"
                              "\"type\":\"text_delta\",\"text\":\"x\"}}\n\n",
                              &err),
              GK_INTERNAL);
    EXPECT_STREQ(err.message,
                 "anthropic: malformed response: content_block_delta for a block that is not open");
}

TEST(anthropic_stream_tool_input_that_is_not_an_object_is_internal)
{
    gk_error err = {0};
    EXPECT_EQ(parse_with_tail(
                  "event: content_block_start\n"
                  "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
                  "\"tool_use\",\"id\":\"toolu_1\",\"name\":\"f\",\"input\":{}}}\n\n"
                  "event: content_block_delta\n"
                  "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                  "\"input_json_delta\",\"partial_json\":\"[1,\"}}\n\n"
                  "event: content_block_stop\n"
                  "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
                  &err),
              GK_INTERNAL);
    EXPECT_STREQ(err.message,
                 "anthropic: malformed response: tool_use \"f\" input is not a JSON object");
}

TEST(anthropic_stream_unknown_events_and_deltas_are_skipped)
{
    gk_error err = {0};
    EXPECT_EQ(parse_with_tail("event: future_event\ndata: {\"type\":\"future_event\"}\n\n"
                              "event: content_block_delta\n"
                              "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
                              "\"type\":\"citations_delta\",\"citation\":{}}}\n\n"
                              "event: content_block_stop\n"
                              "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                              "event: message_delta\n"
                              "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                              "\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n"
                              "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
                              &err),
              GK_OK);
}

TEST(anthropic_stream_thinking_becomes_reasoning_with_signature)
{
    static const char sse[] =
        "event: message_start\n"
        "data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5}}}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
        "\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"thinking_delta\",\"thinking\":\"Let me \"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"thinking_delta\",\"thinking\":\"think.\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
        "\"signature_delta\",\"signature\":\"EqQBCgIYAh\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":"
        "\"redacted_thinking\",\"data\":\"abc\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
        "event: content_block_start\n"
        "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":"
        "\"text\",\"text\":\"\"}}\n\n"
        "event: content_block_delta\n"
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\","
        "\"text\":\"42\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n"
        "event: message_delta\n"
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{"
        "\"output_tokens\":7}}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    gk_arena *a = gk_arena_new(0);
    gk_generate_response resp;
    gk_error err = {0};
    struct call c = {0};

    gk_status st =
        gk_anthropic_parse_stream(a, sse, sizeof(sse) - 1, 11, on_chunk, &c, &resp, &err);

    EXPECT_EQ(st, GK_OK);
    char *json = encode_response(&resp);
    EXPECT_TRUE(json_same(
        "thinking", json,
        "{\"message\":{\"role\":\"model\",\"content\":[{\"reasoning\":\"Let me think.\","
        "\"metadata\":{\"thoughtSignature\":\"EqQBCgIYAh\"}},{\"custom\":{\"type\":"
        "\"redacted_thinking\",\"data\":\"abc\"}},{\"text\":\"42\"}]},\"finishReason\":\"stop\","
        "\"usage\":{\"inputTokens\":5,\"outputTokens\":7,\"totalTokens\":12}}"));
    EXPECT_EQ(c.nchunks, 3); /* two thinking deltas, one text delta */
    EXPECT_STREQ(c.chunk_text, "42");
    free(json);
    gk_arena_free(a);
}

TEST(anthropic_parse_response_rejects_malformed_bodies)
{
    static const struct {
        const char *body;
        const char *message;
    } cases[] = {
        {"", "anthropic: response is not JSON: line 1 column 1: unexpected end of input"},
        {"[]", "anthropic: malformed response: the body is not an object"},
        {"{\"type\":\"message\"}", "anthropic: malformed response: content is not an array"},
        {"{\"content\":[{\"type\":\"text\",\"text\":5}]}",
         "anthropic: malformed response: content[0].text is not a string"},
        {"{\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"n\",\"input\":[]}]}",
         "anthropic: malformed response: content[0].input is not an object"},
        {"{\"content\":[],\"stop_reason\":7}",
         "anthropic: malformed response: stop_reason is not a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        gk_status st =
            gk_anthropic_parse_response(a, cases[i].body, strlen(cases[i].body), &resp, &err);
        EXPECT_EQ(st, GK_INTERNAL);
        EXPECT_STREQ(err.message, cases[i].message);
        gk_arena_free(a);
    }
}

/* ---- transport ---- */

TEST(anthropic_deadline_on_a_hanging_stream_closes_the_connection)
{
    gk_test_server *s = gk_test_server_start();
    gk_genkit *g = new_genkit(s);
    ASSERT_TRUE(g != NULL);
    const char *const chunks[] = {stream_head, NULL};
    gk_test_response r = {.headers = "content-type: text/event-stream\r\n",
                          .chunks = chunks,
                          .chunked = true,
                          .hang = true};
    gk_test_server_push(s, &r);
    struct call c = {.g = g,
                     .model = "anthropic/claude-haiku-4-5",
                     .request =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}",
                     .stream = true,
                     .timeout_ms = 300};

    int64_t t0 = gk_now_ms();
    run_call(&c);
    int64_t took = gk_now_ms() - t0;

    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.chunk_text, "Hi");
    EXPECT_LT(took, 5000);
    EXPECT_TRUE(gk_test_server_wait_closed(s, 1, 5000));
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(anthropic_unreachable_server_is_unavailable)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", gk_test_unused_port());
    t_opts = (gk_anthropic_opts){.api_key = TEST_KEY, .base_url = url};
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&t_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err);
    ASSERT_TRUE(g != NULL);
    struct call c = {.g = g,
                     .model = "anthropic/claude-haiku-4-5",
                     .request =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_TRUE(strstr(c.err.message, TEST_KEY) == NULL);
    gk_shutdown(g);
}

TEST(anthropic_missing_key_fails_without_calling_the_server)
{
    gk_test_server *s = gk_test_server_start();
    ASSERT_TRUE(s != NULL);
    unsetenv("ANTHROPIC_API_KEY");
    t_opts = (gk_anthropic_opts){.base_url = gk_test_server_url(s)};
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&t_plugin, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err);
    ASSERT_TRUE(g != NULL);
    struct call c = {.g = g,
                     .model = "anthropic/claude-haiku-4-5",
                     .request =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_FAILED_PRECONDITION);
    EXPECT_STREQ(c.err.message, "anthropic: no API key: set ANTHROPIC_API_KEY");
    EXPECT_EQ(gk_test_server_request_count(s), 0);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

/* ---- configuration ---- */

TEST(anthropic_plugin_reads_the_environment_and_defines_models)
{
    gk_test_server *s = gk_test_server_start();
    ASSERT_TRUE(s != NULL);
    setenv("ANTHROPIC_API_KEY", " " TEST_KEY "\n", 1);
    setenv("ANTHROPIC_BASE_URL", gk_test_server_url(s), 1);
    setenv("GK_ANTHROPIC_MODELS", " claude-3-haiku-20240307 ,claude-sonnet-4-5,,my-proxy-model", 1);
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&gk_plugin_anthropic, NULL};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err);
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("ANTHROPIC_BASE_URL");
    unsetenv("GK_ANTHROPIC_MODELS");
    ASSERT_TRUE(g != NULL);

    gk_action *sonnet = gk_lookup(g, GK_ACTION_MODEL, "anthropic/claude-sonnet-4-5");
    gk_action *haiku3 = gk_lookup(g, GK_ACTION_MODEL, "anthropic/claude-3-haiku-20240307");
    gk_action *proxy = gk_lookup(g, GK_ACTION_MODEL, "anthropic/my-proxy-model");

    ASSERT_TRUE(sonnet && haiku3 && proxy);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "anthropic/claude-opus-4-1") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "anthropic/claude-haiku-4-5") != NULL);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "anthropic/claude-3-5-haiku-latest") != NULL);
    EXPECT_STREQ(gk_action_metadata(sonnet),
                 "{\"model\":{\"label\":\"Anthropic - Claude Sonnet 4.5\",\"supports\":{"
                 "\"multiturn\":true,\"tools\":true,\"media\":true,\"systemRole\":true,"
                 "\"toolChoice\":true,\"output\":[\"text\",\"json\"],\"constrained\":\"all\"}}}");
    EXPECT_CONTAINS(gk_action_metadata(haiku3), "\"constrained\":\"none\"");
    EXPECT_CONTAINS(gk_action_metadata(proxy), "\"label\":\"Anthropic - my-proxy-model\"");

    /* The key (trimmed) and base URL from the environment are used by calls. */
    gk_fixture *f = gk_fixture_load("anthropic", "messages-text");
    ASSERT_TRUE(f != NULL);
    gk_fixture_serve(s, f, 0, 0);
    struct call c = {.g = g,
                     .model = "anthropic/my-proxy-model",
                     .request =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}"};
    run_call(&c);
    EXPECT_EQ(c.st, GK_OK);
    expect_request(s, 0, NULL);
    const gk_test_request *r = gk_test_server_request(s, 0);
    EXPECT_TRUE(r && strstr(r->body, "\"model\":\"my-proxy-model\"") != NULL);
    free(c.response);
    gk_fixture_free(f);
    gk_shutdown(g);
    gk_test_server_stop(s);
}

TEST(anthropic_init_rejects_bad_base_url_and_model_ids)
{
    gk_error err = {0};
    const gk_plugin *const plugins[] = {&t_plugin, NULL};
    t_opts = (gk_anthropic_opts){.api_key = TEST_KEY, .base_url = "ftp://example.com"};
    EXPECT_TRUE(gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "base URL must start with https:// or http://");

    const char *const bad_models[] = {"claude 4", NULL};
    t_opts = (gk_anthropic_opts){.api_key = TEST_KEY, .models = bad_models};
    EXPECT_TRUE(gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "model id \"claude 4\" is not valid");

    t_opts = (gk_anthropic_opts){.api_key = "sk-bad\r\nx-injected: 1"};
    EXPECT_TRUE(gk_init(&(gk_init_opts){.threads = 1, .plugins = plugins}, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_TRUE(strstr(err.message, "sk-bad") == NULL);
}

/* ---- request mapping rules (the builder directly) ---- */

struct built {
    gk_status st;
    gk_error err;
    char body[8192];
    const char *api_key;
};

static void build(const char *genkit_request, bool native_json, bool stream, struct built *out)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_request req = {0};
    memset(out, 0, sizeof(*out));
    out->st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), genkit_request,
                             strlen(genkit_request), &req, &out->err);
    if (out->st == GK_OK) {
        gk__anthropic_target t = {.model_id = "claude-x",
                                  .default_max_tokens = 4096,
                                  .native_json = native_json,
                                  .stream = stream};
        gk__anthropic_built b;
        gk_buf buf = GK_BUF_INIT(0);
        out->st = gk__anthropic_build_request(a, &t, &req, &buf, &b, &out->err);
        if (out->st == GK_OK) {
            snprintf(out->body, sizeof(out->body), "%s", buf.ptr);
            out->api_key = b.api_key ? "set" : NULL;
        }
        gk_buf_release(&buf);
    }
    gk_arena_free(a);
}

TEST(anthropic_request_merges_same_role_turns_with_tool_results_first)
{
    struct built b;
    build("{\"messages\":["
          "{\"role\":\"system\",\"content\":[{\"text\":\"Be brief.\"}]},"
          "{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},"
          "{\"role\":\"user\",\"content\":[{\"text\":\"\"},{\"text\":\"b\"}]},"
          "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"f\",\"ref\":\"t1\"}}]},"
          "{\"role\":\"system\",\"content\":[{\"text\":\"Be kind.\"}]},"
          "{\"role\":\"model\",\"content\":[{\"text\":\"\"}]},"
          "{\"role\":\"user\",\"content\":[{\"text\":\"also\"}]},"
          "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"f\",\"ref\":\"t1\","
          "\"output\":{\"x\":1}},\"metadata\":{\"isError\":true}}]}]}",
          false, true, &b);

    EXPECT_EQ(b.st, GK_OK);
    EXPECT_TRUE(json_same(
        "merged", b.body,
        "{\"model\":\"claude-x\",\"max_tokens\":4096,\"system\":\"Be brief.\\n\\nBe kind.\","
        "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
        "{\"type\":\"text\",\"text\":\"b\"}]},{\"role\":\"assistant\",\"content\":[{\"type\":"
        "\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{}}]},{\"role\":\"user\","
        "\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\",\"content\":"
        "\"{\\\"x\\\":1}\",\"is_error\":true},{\"type\":\"text\",\"text\":\"also\"}]}],"
        "\"stream\":true}"));
}

TEST(anthropic_request_maps_config_and_passes_unknown_keys_through)
{
    struct built b;
    build("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],"
          "\"config\":{\"temperature\":0.5,\"maxOutputTokens\":100,\"topP\":0.9,\"topK\":40,"
          "\"stopSequences\":[\"END\"],\"seed\":7,\"candidateCount\":1,\"version\":"
          "\"claude-opus-4-1-20250805\",\"apiKey\":\"sk-other\",\"top_p\":0.1,"
          "\"thinking\":{\"enabled\":true,\"budgetTokens\":2048},"
          "\"metadata\":{\"user_id\":\"u1\"},\"service_tier\":\"auto\","
          "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"}},"
          "\"tools\":[{\"name\":\"f\",\"description\":\"does f\"}],\"toolChoice\":\"auto\"}",
          false, false, &b);

    EXPECT_EQ(b.st, GK_OK);
    EXPECT_STREQ(b.api_key, "set");
    EXPECT_TRUE(json_same(
        "config", b.body,
        "{\"model\":\"claude-opus-4-1-20250805\",\"max_tokens\":100,\"temperature\":0.5,"
        "\"top_p\":0.9,\"top_k\":40,\"stop_sequences\":[\"END\"],\"thinking\":{\"type\":"
        "\"enabled\",\"budget_tokens\":2048},\"messages\":[{\"role\":\"user\",\"content\":[{"
        "\"type\":\"text\",\"text\":\"q\"}]}],\"tools\":[{\"name\":\"f\",\"description\":"
        "\"does f\",\"input_schema\":{\"type\":\"object\",\"properties\":{}}}],"
        "\"metadata\":{\"user_id\":\"u1\"},\"service_tier\":\"auto\",\"tool_choice\":{\"type\":"
        "\"tool\",\"name\":\"f\"},\"stream\":false}"));
}

TEST(anthropic_request_tool_choice_none_and_output_config_merge)
{
    struct built b;
    build("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],"
          "\"tools\":[{\"name\":\"f\",\"description\":\"\",\"inputSchema\":{\"type\":\"object\"}}],"
          "\"toolChoice\":\"none\",\"config\":{\"output_config\":{\"effort\":\"low\"}},"
          "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\"}}}",
          true, false, &b);

    EXPECT_EQ(b.st, GK_OK);
    EXPECT_TRUE(
        json_same("choice none", b.body,
                  "{\"model\":\"claude-x\",\"max_tokens\":4096,\"messages\":[{\"role\":\"user\","
                  "\"content\":[{\"type\":\"text\",\"text\":\"q\"}]}],\"tools\":[{\"name\":\"f\","
                  "\"description\":\"\",\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{"
                  "\"type\":\"none\"},\"output_config\":{\"effort\":\"low\",\"format\":{\"type\":"
                  "\"json_schema\",\"schema\":{\"type\":\"object\"}}},\"stream\":false}"));

    /* Without native structured output the schema is left to Genkit's instructions. */
    build("{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],"
          "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\"}}}",
          false, false, &b);
    EXPECT_EQ(b.st, GK_OK);
    EXPECT_TRUE(strstr(b.body, "output_config") == NULL);
}

TEST(anthropic_request_rejects_what_it_cannot_send)
{
    static const struct {
        const char *request;
        const char *path;
        const char *message;
    } cases[] = {
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":\"gs://b/"
         "x.png\"}}]}]}",
         "/messages/0/content/0",
         "anthropic: media URL must be https:, http: or a base64 data: URL"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"media\":{\"url\":"
         "\"data:audio/wav;base64,AAAA\"}}]}]}",
         "/messages/0/content/0",
         "anthropic: media type \"audio/wav\" is not supported (images: jpeg, png, gif, webp; "
         "documents: application/pdf)"},
        {"{\"messages\":[{\"role\":\"system\",\"content\":[{\"media\":{\"url\":"
         "\"https://x/y.png\"}}]}]}",
         "/messages/0/content/0", "anthropic: system messages may hold only text parts"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],\"config\":{"
         "\"temperature\":\"hot\"}}",
         "/config/temperature", "anthropic: expected a number"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],\"config\":{"
         "\"maxOutputTokens\":0}}",
         "/config/maxOutputTokens", "anthropic: maxOutputTokens must be a positive integer"},
        {"{\"messages\":[{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"f\","
         "\"input\":[1]}}]}]}",
         "/messages/0/content/0", "anthropic: toolRequest input must be a JSON object"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":[{\"custom\":{\"x\":1}}]}]}",
         "/messages/0/content/0",
         "anthropic: custom parts must be Anthropic content blocks (with a \"type\")"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct built b;
        build(cases[i].request, true, false, &b);
        EXPECT_EQ(b.st, GK_INVALID_ARGUMENT);
        EXPECT_STREQ(b.err.path, cases[i].path);
        EXPECT_STREQ(b.err.message, cases[i].message);
    }
}

TEST(anthropic_request_media_kinds_and_reasoning_replay)
{
    struct built b;
    build("{\"messages\":[{\"role\":\"user\",\"content\":["
          "{\"media\":{\"url\":\"https://x/doc.pdf?sig=1\"}},"
          "{\"media\":{\"url\":\"https://x/img\",\"contentType\":\"application/pdf\"}},"
          "{\"media\":{\"url\":\"data:;base64,R0lG\",\"contentType\":\"image/gif\"}}]},"
          "{\"role\":\"model\",\"content\":[{\"reasoning\":\"hmm\",\"metadata\":{"
          "\"thoughtSignature\":\"sig\"}},{\"custom\":{\"type\":\"redacted_thinking\","
          "\"data\":\"zz\"}},{\"data\":{\"a\":[1]}}]}]}",
          false, false, &b);

    EXPECT_EQ(b.st, GK_OK);
    EXPECT_TRUE(json_same(
        "media", b.body,
        "{\"model\":\"claude-x\",\"max_tokens\":4096,\"messages\":[{\"role\":\"user\","
        "\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"url\",\"url\":"
        "\"https://x/doc.pdf?sig=1\"}},{\"type\":\"document\",\"source\":{\"type\":\"url\","
        "\"url\":\"https://x/img\"}},{\"type\":\"image\",\"source\":{\"type\":\"base64\","
        "\"media_type\":\"image/gif\",\"data\":\"R0lG\"}}]},{\"role\":\"assistant\","
        "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"sig\"},"
        "{\"type\":\"redacted_thinking\",\"data\":\"zz\"},{\"type\":\"text\",\"text\":"
        "\"{\\\"a\\\":[1]}\"}]}],\"stream\":false}"));
}
