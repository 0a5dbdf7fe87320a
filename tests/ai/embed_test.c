/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/embed_test.c - embedder actions: metadata, definition errors, plugin-scoped names,
 * calls through the registry from a fiber (texts, documents with options, JSON), the per-document
 * count check and part checks before the embedder runs. */
#include <stdio.h>
#include <string.h>

#include <genkit/embed.h>

#include "core/plugin_host.h"
#include "runtime/rt_helpers.h"
#include "test.h"

/* A test embedder: document i with text t becomes [strlen(t), i, 0.5]; options {"extra":true}
 * adds metadata {"extra":true}. */
struct fake {
    int calls;
    bool short_by_one; /* return one embedding too few */
    const gk_json *last_options;
};

static gk_status fake_embed(void *self, gk_ctx *ctx, const gk_embed_request *req,
                            gk_embed_response *resp, gk_error *err)
{
    struct fake *f = self;
    gk_arena *a = gk_ctx_arena(ctx);
    f->calls++;
    f->last_options = req->options;
    size_t n = req->input.count - (f->short_by_one && req->input.count ? 1 : 0);
    gk_embedding *e = GK_NEW(a, gk_embedding, n ? n : 1);
    if (!e)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const gk_document *d = &req->input.items[i];
        const char *t = d->content.count ? d->content.items[0].text : NULL;
        double *v = GK_NEW(a, double, 3);
        if (!v)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        v[0] = t ? (double)strlen(t) : -1;
        v[1] = (double)i;
        v[2] = 0.5;
        e[i].embedding.items = v;
        e[i].embedding.count = 3;
        if (req->options && gk_json_get(req->options, "extra"))
            e[i].metadata = gk_json_get(req->options, "extra");
    }
    resp->embeddings.items = e;
    resp->embeddings.count = n;
    return GK_OK;
}

static gk_genkit *new_genkit(void)
{
    gk_error err = {0};
    return gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
}

static gk_action *define_fake(gk_genkit *g, struct fake *f)
{
    gk_error err = {0};
    gk_embedder_desc d = {.name = "test/fake",
                          .description = "lengths",
                          .info = {.label = "Fake", .dimensions = 3},
                          .embed = fake_embed,
                          .self = f};
    return gk_define_embedder(g, &d, &err);
}

TEST(define_embedder_registers_action_with_info_and_embedder_metadata)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};

    gk_action *a = define_fake(g, &f);

    ASSERT_TRUE(a);
    EXPECT_STREQ(gk_action_key(a), "/embedder/test/fake");
    EXPECT_STREQ(gk_action_description(a), "lengths");
    EXPECT_STREQ(gk_action_metadata(a),
                 "{\"info\":{\"label\":\"Fake\",\"dimensions\":3,\"supports\":{\"input\":"
                 "[\"text\"]}},\"embedder\":{\"label\":\"Fake\",\"dimensions\":3,\"supports\":"
                 "{\"input\":[\"text\"]}}}");
    EXPECT_TRUE(gk_action_in_type(a) == GK_TYPE_OF(gk_embed_request));
    EXPECT_TRUE(gk_action_out_type(a) == GK_TYPE_OF(gk_embed_response));
    EXPECT_TRUE(gk_action_chunk_type(a) == NULL);
    EXPECT_TRUE(gk_embedder_self(a, fake_embed) == &f);
    EXPECT_TRUE(gk_embedder_self(a, NULL) == NULL);
    EXPECT_TRUE(gk_embedder_self(NULL, fake_embed) == NULL);
    gk_shutdown(g);
}

TEST(embedder_metadata_defaults_label_and_lists_every_input_kind)
{
    gk_buf b = GK_BUF_INIT(4096);
    gk_embedder_info info = {.supports = GK_EMBEDDER_TEXT | GK_EMBEDDER_IMAGE | GK_EMBEDDER_VIDEO |
                                         GK_EMBEDDER_MULTILINGUAL};

    gk_embedder_metadata_write(&b, "p/e", &info);

    EXPECT_STREQ(b.ptr, "{\"info\":{\"label\":\"p/e\",\"supports\":{\"input\":[\"text\",\"image\","
                        "\"video\"],\"multilingual\":true}},\"embedder\":{\"label\":\"p/e\","
                        "\"supports\":{\"input\":[\"text\",\"image\",\"video\"],"
                        "\"multilingual\":true}}}");
    gk_buf_release(&b);
}

TEST(embedder_metadata_for_multilingual_alone_still_says_text)
{
    gk_buf b = GK_BUF_INIT(4096);
    gk_embedder_info info = {.label = "M", .supports = GK_EMBEDDER_MULTILINGUAL};

    gk_embedder_metadata_write(&b, "p/e", &info);

    EXPECT_STREQ(b.ptr, "{\"info\":{\"label\":\"M\",\"supports\":{\"input\":[\"text\"],"
                        "\"multilingual\":true}},\"embedder\":{\"label\":\"M\",\"supports\":{"
                        "\"input\":[\"text\"],\"multilingual\":true}}}");
    gk_buf_release(&b);
}

TEST(define_embedder_rejects_missing_function_negative_dimensions_and_duplicates)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    gk_error err = {0};
    gk_embedder_desc no_fn = {.name = "test/x"};
    gk_embedder_desc negative = {.name = "test/y", .embed = fake_embed, .info = {.dimensions = -1}};

    EXPECT_TRUE(gk_define_embedder(g, &no_fn, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "embedder \"test/x\" needs a name and an embed function");
    EXPECT_TRUE(gk_define_embedder(g, &negative, &err) == NULL);
    EXPECT_STREQ(err.message, "embedder \"test/y\" has negative dimensions");
    ASSERT_TRUE(define_fake(g, &f));
    gk_embedder_desc dup = {.name = "test/fake", .embed = fake_embed};
    EXPECT_TRUE(gk_define_embedder(g, &dup, &err) == NULL);
    EXPECT_EQ(err.status, GK_ALREADY_EXISTS);
    gk_shutdown(g);
}

/* ---- plugins ---- */

static gk_status init_good(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_embedder_desc d = {.name = "emb/small", .embed = fake_embed};
    return gk_host_define_embedder(host, &d, err);
}

static gk_status init_outside_prefix(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_embedder_desc d = {.name = "other/small", .embed = fake_embed};
    return gk_host_define_embedder(host, &d, err);
}

static gk_status init_prefix_only(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_embedder_desc d = {.name = "emb/", .embed = fake_embed};
    return gk_host_define_embedder(host, &d, err);
}

TEST(plugin_defines_embedder_under_its_own_name)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    static const gk_plugin p = {.abi = GK_PLUGIN_ABI, .name = "emb", .init = init_good};
    const gk_plugin *const list[] = {&p, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_OK);

    EXPECT_TRUE(gk_lookup_action(g, "/embedder/emb/small") != NULL);
    gk_shutdown(g);
}

TEST(plugin_embedder_outside_its_prefix_fails_init)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    static const gk_plugin p = {.abi = GK_PLUGIN_ABI, .name = "emb", .init = init_outside_prefix};
    static const gk_plugin q = {.abi = GK_PLUGIN_ABI, .name = "emb", .init = init_prefix_only};
    const gk_plugin *const list[] = {&p, NULL};
    const gk_plugin *const list2[] = {&q, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "plugin \"emb\": embedder \"other/small\" of plugin \"emb\" must be "
                              "named \"emb/<embedder>\"");
    EXPECT_EQ(gk__plugins_init(g, list2, &err), GK_INVALID_ARGUMENT);
    EXPECT_TRUE(gk_lookup_action(g, "/embedder/other/small") == NULL);
    gk_shutdown(g);
}

/* ---- calls from a fiber ---- */

struct call {
    gk_genkit *g;
    const char *embedder;
    const char *const *texts;
    size_t n;
    const char *docs_json;    /* when set: gk_embed_documents over these documents */
    const char *options_json; /* with these options */
    const char *request_json; /* when set: gk_action_run_json with this EmbedRequest */
    gk_status st;
    gk_error err;
    char out[1024]; /* the response as JSON */
};

static void call_in_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_buf b = GK_BUF_INIT(1 << 16);
    gk_jw w;
    gk_jw_init(&w, &b);
    if (c->request_json) {
        gk_json *in = NULL;
        c->st = gk_json_parse(a, c->request_json, strlen(c->request_json), NULL, &in, &c->err);
        if (c->st == GK_OK)
            c->st = gk_action_run_json(ctx, gk_lookup(c->g, GK_ACTION_EMBEDDER, c->embedder), in,
                                       NULL, NULL, &w, &c->err);
    } else {
        gk_embed_response resp;
        if (c->docs_json) {
            gk_json *dj = NULL;
            gk_json *oj = NULL;
            GK_ARRAY_OF(gk_document) docs = {0};
            c->st = gk_json_parse(a, c->docs_json, strlen(c->docs_json), NULL, &dj, &c->err);
            if (c->st == GK_OK && c->options_json)
                c->st =
                    gk_json_parse(a, c->options_json, strlen(c->options_json), NULL, &oj, &c->err);
            for (size_t i = 0; c->st == GK_OK && i == 0; i++) {
                docs.count = dj->count;
                docs.items = GK_NEW(a, gk_document, dj->count);
                for (size_t j = 0; c->st == GK_OK && j < dj->count; j++)
                    c->st = gk_decode(a, GK_TYPE_OF(gk_document), &dj->items[j], &docs.items[j],
                                      &c->err);
            }
            if (c->st == GK_OK)
                c->st = gk_embed_documents(ctx, c->g, c->embedder, docs.items, docs.count, oj,
                                           &resp, &c->err);
        } else {
            c->st = gk_embed(ctx, c->g, c->embedder, c->texts, c->n, &resp, &c->err);
        }
        if (c->st == GK_OK)
            gk_encode(&w, GK_TYPE_OF(gk_embed_response), &resp);
    }
    if (c->st == GK_OK)
        snprintf(c->out, sizeof(c->out), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

TEST(embed_texts_returns_one_vector_per_text_in_order)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    const char *const texts[] = {"hi", "hello", ""};
    struct call c = {.g = g, .embedder = "test/fake", .texts = texts, .n = 3};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.out, "{\"embeddings\":[{\"embedding\":[2,0,0.5]},{\"embedding\":[5,1,0.5]},"
                        "{\"embedding\":[0,2,0.5]}]}");
    EXPECT_EQ(f.calls, 1);
    EXPECT_TRUE(f.last_options == NULL);
    gk_shutdown(g);
}

TEST(embed_zero_texts_calls_the_embedder_with_empty_input)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g, .embedder = "test/fake", .n = 0};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.out, "{\"embeddings\":[]}");
    gk_shutdown(g);
}

TEST(embed_documents_passes_options_and_keeps_embedding_metadata)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g,
                     .embedder = "test/fake",
                     .docs_json = "[{\"content\":[{\"text\":\"abc\"}],\"metadata\":{\"id\":1}}]",
                     .options_json = "{\"extra\":{\"k\":\"v\"}}"};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.out, "{\"embeddings\":[{\"embedding\":[3,0,0.5],\"metadata\":{\"k\":\"v\"}}]}");
    EXPECT_TRUE(f.last_options != NULL);
    gk_shutdown(g);
}

TEST(embedder_runs_from_json_like_the_dev_ui_calls_it)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g,
                     .embedder = "test/fake",
                     .request_json = "{\"input\":[{\"content\":[{\"text\":\"four\"}]}]}"};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.out, "{\"embeddings\":[{\"embedding\":[4,0,0.5]}]}");
    gk_shutdown(g);
}

TEST(embedder_returning_too_few_embeddings_is_an_internal_error)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {.short_by_one = true};
    ASSERT_TRUE(define_fake(g, &f));
    const char *const texts[] = {"a", "b"};
    struct call c = {.g = g, .embedder = "test/fake", .texts = texts, .n = 2};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_INTERNAL);
    EXPECT_STREQ(c.err.message, "embedder returned 1 embeddings for 2 documents");
    gk_shutdown(g);
}

TEST(embed_with_unknown_embedder_is_not_found)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    const char *const texts[] = {"a"};
    struct call c = {.g = g, .embedder = "nope/none", .texts = texts, .n = 1};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_NOT_FOUND);
    EXPECT_STREQ(c.err.message, "embedder \"nope/none\" not found: is its plugin configured?");
    gk_shutdown(g);
}

TEST(embed_document_with_a_kindless_part_is_rejected_before_the_embedder_runs)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    struct call c = {.g = g,
                     .embedder = "test/fake",
                     .docs_json = "[{\"content\":[{\"text\":\"ok\"}]},{\"content\":[{}]}]"};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.path, "/input/1/content/0");
    EXPECT_EQ(f.calls, 0);
    gk_shutdown(g);
}

TEST(embed_with_a_null_text_is_invalid)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    struct fake f = {0};
    ASSERT_TRUE(define_fake(g, &f));
    const char *const texts[] = {"a", NULL};
    struct call c = {.g = g, .embedder = "test/fake", .texts = texts, .n = 2};

    ASSERT_EQ(rt_run_fiber(call_in_fiber, &c, 256 * 1024), GK_OK);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.message, "text 1 is NULL");
    EXPECT_EQ(f.calls, 0);
    gk_shutdown(g);
}
