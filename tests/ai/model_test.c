/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/model_test.c - model actions: metadata, definition errors, calls through the registry
 * from a fiber (typed and JSON streaming), request checks before the model runs, bad responses. */
#include <string.h>

#include <genkit/ai.h>

#include "runtime/rt_helpers.h"
#include "test.h"

/* A test model: answers "echo: <last message text>" and streams it as two chunks. */
struct fake {
    int calls;
    bool malformed; /* answer with a part that has no kind */
};

static gk_status fake_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                               gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    struct fake *f = self;
    gk_arena *a = gk_ctx_arena(ctx);
    f->calls++;
    const gk_message *last = &req->messages.items[req->messages.count - 1];
    const char *text = gk_arena_sprintf(a, "echo: %s", gk_message_text(a, last));
    const char *halves[] = {"echo: ", text + 6};
    for (int i = 0; stream && i < 2; i++) {
        gk_part p = gk_part_text(halves[i]);
        gk_generate_response_chunk c = {.index = 0, .has_index = true, .content = {&p, 1}};
        gk_status st = gk_model_stream_send(stream, &c, err);
        if (st != GK_OK)
            return st;
    }
    if (gk_message_text_init(a, &resp->message, GK_ROLE_MODEL, text) != GK_OK)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (f->malformed)
        resp->message.content.items[0].text = NULL;
    resp->has_message = true;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

static gk_genkit *new_genkit(void)
{
    gk_error err = {0};
    return gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
}

static gk_action *define_fake(gk_genkit *g, struct fake *f)
{
    static const char *const outputs[] = {"text", "json", NULL};
    gk_error err = {0};
    gk_model_desc d = {.name = "test/fake",
                       .description = "echoes",
                       .info = {.label = "Fake",
                                .supports = GK_MODEL_MULTITURN | GK_MODEL_TOOLS,
                                .output = outputs,
                                .constrained = GK_CONSTRAINED_NO_TOOLS},
                       .generate = fake_generate,
                       .self = f};
    return gk_define_model(g, &d, &err);
}

TEST(define_model_registers_action_with_model_metadata)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};

    gk_action *a = define_fake(g, &f);

    ASSERT_TRUE(a);
    EXPECT_STREQ(gk_action_key(a), "/model/test/fake");
    EXPECT_STREQ(gk_action_metadata(a),
                 "{\"model\":{\"label\":\"Fake\",\"supports\":{\"multiturn\":true,\"tools\":true,"
                 "\"media\":false,\"systemRole\":false,\"toolChoice\":false,\"output\":[\"text\","
                 "\"json\"],\"constrained\":\"no-tools\"}}}");
    EXPECT_TRUE(gk_action_in_type(a) == GK_TYPE_OF(gk_generate_request));
    EXPECT_TRUE(gk_action_out_type(a) == GK_TYPE_OF(gk_generate_response));
    EXPECT_TRUE(gk_action_chunk_type(a) == GK_TYPE_OF(gk_generate_response_chunk));
    EXPECT_TRUE(gk_model_self(a, fake_generate) == &f);
    EXPECT_TRUE(gk_model_self(a, NULL) == NULL);
    gk_shutdown(g);
}

TEST(model_metadata_defaults_label_to_name_and_omits_unset_output)
{
    gk_buf b = GK_BUF_INIT(4096);
    gk_model_info info = {.supports = GK_MODEL_MEDIA | GK_MODEL_SYSTEM_ROLE |
                                      GK_MODEL_TOOL_CHOICE | GK_MODEL_CONTEXT};

    gk_model_metadata_write(&b, "p/m", &info);

    EXPECT_STREQ(b.ptr, "{\"model\":{\"label\":\"p/m\",\"supports\":{\"multiturn\":false,"
                        "\"tools\":false,\"media\":true,\"systemRole\":true,\"toolChoice\":true,"
                        "\"context\":true,\"constrained\":\"none\"}}}");
    gk_buf_release(&b);
}

TEST(define_model_rejects_missing_parts_and_duplicates)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    gk_error err = {0};
    gk_model_desc no_fn = {.name = "test/x"};

    EXPECT_TRUE(gk_define_model(g, &no_fn, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "model \"test/x\" needs a name and a generate function");
    ASSERT_TRUE(define_fake(g, &f));
    gk_model_desc dup = {.name = "test/fake", .generate = fake_generate};
    EXPECT_TRUE(gk_define_model(g, &dup, &err) == NULL);
    EXPECT_EQ(err.status, GK_ALREADY_EXISTS);
    gk_shutdown(g);
}

/* ---- calls from a fiber ---- */

struct call {
    gk_genkit *g;
    const char *model;
    const char *request_json;
    gk_status stop_with; /* the chunk callback returns this */
    gk_status st;
    gk_error err;
    char text[256];
    char chunks[256];
    int nchunks;
    bool json_path; /* call through gk_action_run_json with a JSON chunk callback */
    char out_json[512];
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
    return c->stop_with;
}

static gk_status on_json_chunk(const char *json, size_t len, void *arg)
{
    struct call *c = arg;
    c->nchunks++;
    size_t have = strlen(c->chunks);
    if (have + len + 2 < sizeof(c->chunks)) {
        memcpy(c->chunks + have, json, len);
        c->chunks[have + len] = '\n';
        c->chunks[have + len + 1] = '\0';
    }
    return GK_OK;
}

static void call_in_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_json *in = NULL;
    c->st = gk_json_parse(a, c->request_json, strlen(c->request_json), NULL, &in, &c->err);
    if (c->st != GK_OK)
        return;
    if (c->json_path) {
        gk_action *act = gk_lookup(c->g, GK_ACTION_MODEL, c->model);
        gk_buf b = GK_BUF_INIT(1 << 16);
        gk_jw w;
        gk_jw_init(&w, &b);
        c->st = gk_action_run_json(ctx, act, in, on_json_chunk, c, &w, &c->err);
        if (c->st == GK_OK)
            snprintf(c->out_json, sizeof(c->out_json), "%s", b.ptr);
        gk_buf_release(&b);
        return;
    }
    gk_generate_request req;
    c->st = gk_decode(a, GK_TYPE_OF(gk_generate_request), in, &req, &c->err);
    if (c->st != GK_OK)
        return;
    gk_generate_response resp;
    c->st = gk_model_call(ctx, c->g, c->model, &req, on_chunk, c, &resp, &c->err);
    if (c->st == GK_OK)
        snprintf(c->text, sizeof(c->text), "%s", gk_response_text(a, &resp));
}

static const char hello_request[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hello\"}]}]}";

TEST(model_call_runs_the_model_and_streams_typed_chunks)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g, .model = "test/fake", .request_json = hello_request};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "echo: hello");
    EXPECT_EQ(c.nchunks, 2);
    EXPECT_STREQ(c.chunks, "echo: hello");
    EXPECT_EQ(f.calls, 1);
    gk_shutdown(g);
}

TEST(model_streams_json_chunks_through_the_core_stream)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {
        .g = g, .model = "test/fake", .request_json = hello_request, .json_path = true};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.chunks, "{\"index\":0,\"content\":[{\"text\":\"echo: \"}]}\n"
                           "{\"index\":0,\"content\":[{\"text\":\"hello\"}]}\n");
    EXPECT_STREQ(c.out_json, "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"echo: "
                             "hello\"}]},\"finishReason\":\"stop\"}");
    gk_shutdown(g);
}

TEST(model_call_to_unknown_model_is_not_found)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct call c = {.g = g, .model = "nope/model", .request_json = hello_request};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_NOT_FOUND);
    EXPECT_STREQ(c.err.message, "model \"nope/model\" not found: is its plugin configured?");
    gk_shutdown(g);
}

TEST(model_call_rejects_malformed_parts_before_the_model_runs)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g,
                     .model = "test/fake",
                     .request_json = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
                                     "\"a\",\"reasoning\":\"b\"}]}]}"};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.path, "/messages/0/content/0");
    EXPECT_EQ(f.calls, 0);
    gk_shutdown(g);
}

TEST(model_returning_a_malformed_part_fails_as_internal)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {.malformed = true};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g, .model = "test/fake", .request_json = hello_request};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_INTERNAL);
    EXPECT_STREQ(c.err.path, "/message/content/0");
    EXPECT_CONTAINS(c.err.message, "model returned a malformed response");
    gk_shutdown(g);
}

TEST(chunk_callback_error_stops_the_model)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {
        .g = g, .model = "test/fake", .request_json = hello_request, .stop_with = GK_CANCELLED};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_CANCELLED);
    EXPECT_EQ(c.nchunks, 1);
    gk_shutdown(g);
}
