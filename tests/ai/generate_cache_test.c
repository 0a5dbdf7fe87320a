/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/generate_cache_test.c - the per-call work generate no longer repeats: an output type's
 * JSON Schema is made once per process (src/schema/schema_cache.h) and every request of that type
 * gets the same tree, with requests identical call after call; the cache's fallback for a
 * descriptor that changed under its address; first use from several threads at once; and the
 * markdown fence search of formats.c on replies with stray backticks. */
#include <pthread.h>
#include <string.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "schema/schema_cache.h"
#include "test.h"

typedef struct GcDish {
    const char *title;
    int32_t servings;
    GK_ARRAY_OF(gk_text) steps;
} GcDish;

typedef struct GcThread {
    const char *name;
} GcThread;

/* clang-format off */
GK_SCHEMA_DEFINE(GcDish, "A dish",
    GK_FIELD_STRING(GcDish, title, "title", "Name of the dish"),
    GK_FIELD_INT(GcDish, servings, "servings", NULL, GK_MINIMUM(1)),
    GK_FIELD_ARRAY(GcDish, steps, "steps", gk_text, "Steps in order"));
GK_SCHEMA_DEFINE(GcThread, NULL, GK_FIELD_STRING(GcThread, name, "name", NULL));
/* clang-format on */

#define GC_SCHEMA                                                                                 \
    "{\"type\":\"object\",\"description\":\"A dish\",\"properties\":{\"title\":{\"type\":"        \
    "\"string\",\"description\":\"Name of the dish\"},\"servings\":{\"type\":\"integer\","        \
    "\"minimum\":1},\"steps\":{\"type\":\"array\",\"description\":\"Steps in order\",\"items\":{" \
    "\"type\":\"string\"}}},\"required\":[\"title\",\"servings\",\"steps\"],"                     \
    "\"additionalProperties\":false}"

#define GC_REPLY "{\"title\":\"Soup\",\"servings\":2,\"steps\":[\"boil\",\"serve\"]}"

/* A model that records what it was sent and answers GC_REPLY. */
struct seen {
    int calls;
    const gk_json *schema[2];
    char request[2][2048];
};

static gk_status recording_model(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                 gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    (void)ctx;
    (void)stream;
    (void)err;
    struct seen *s = self;
    static gk_part part;
    if (s->calls < 2) {
        s->schema[s->calls] = req->has_output ? req->output.schema : NULL;
        gk_buf b = GK_BUF_INIT(0);
        gk_jw w;
        gk_jw_init(&w, &b);
        gk_encode(&w, GK_TYPE_OF(gk_generate_request), req);
        snprintf(s->request[s->calls], sizeof(s->request[0]), "%s", b.ptr ? b.ptr : "");
        gk_buf_release(&b);
    }
    s->calls++;
    part = gk_part_text(GC_REPLY);
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = &part;
    resp->message.content.count = 1;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

static gk_genkit *new_genkit(struct seen *s)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    gk_model_desc d = {.name = "test/recording",
                       .generate = recording_model,
                       .self = s,
                       .info = {.supports = GK_MODEL_MULTITURN | GK_MODEL_SYSTEM_ROLE,
                                .constrained = GK_CONSTRAINED_ALL}};
    if (g && !gk_define_model(g, &d, &err)) {
        gk_shutdown(g);
        return NULL;
    }
    return g;
}

/* Two calls of one kind in a fiber, with what came out copied from the arena. */
struct two {
    gk_genkit *g;
    const gk_type *type; /* gk_generate's output.type (unused with data) */
    bool data;           /* gk_generate_data; else gk_generate with output.type */
    gk_status st[2];
    gk_error err;
    char title[2][32];
    int32_t servings[2];
    char kept[2][2048]; /* resp->request of gk_generate */
};

static void two_calls(gk_ctx *ctx, void *arg)
{
    struct two *t = arg;
    gk_generate_opts opts = {
        .model = "test/recording", .system = "You are a cook.", .prompt = "A soup, please."};
    for (int i = 0; i < 2; i++) {
        if (t->data) {
            GcDish d;
            t->st[i] = gk_generate_data(ctx, t->g, &opts, GK_TYPE_OF(GcDish), &d, &t->err);
            if (t->st[i] == GK_OK) {
                snprintf(t->title[i], sizeof(t->title[i]), "%s", d.title);
                t->servings[i] = d.servings;
            }
        } else {
            gk_generate_opts o = opts;
            o.output.type = t->type;
            gk_generate_response resp;
            t->st[i] = gk_generate(ctx, t->g, &o, &resp, &t->err);
            if (t->st[i] == GK_OK && resp.request) {
                gk_buf b = GK_BUF_INIT(0);
                gk_json_write(&b, resp.request);
                snprintf(t->kept[i], sizeof(t->kept[i]), "%s", b.ptr ? b.ptr : "");
                gk_buf_release(&b);
            }
        }
    }
}

TEST(generate_data_twice_sends_identical_requests_with_the_cached_schema)
{
    struct seen s = {0};
    gk_genkit *g = new_genkit(&s);
    ASSERT_TRUE(g != NULL);
    size_t before = gk__schema_cache_computed();
    struct two t = {.g = g, .data = true};
    ASSERT_EQ(rt_run_fiber(two_calls, &t, 256 * 1024), GK_OK);
    EXPECT_EQ(t.st[0], GK_OK);
    EXPECT_EQ(t.st[1], GK_OK);
    EXPECT_STREQ(t.title[0], "Soup");
    EXPECT_STREQ(t.title[1], "Soup");
    EXPECT_EQ(t.servings[1], 2);
    ASSERT_EQ(s.calls, 2);
    /* At most one computation (none when an earlier run of this test made it), and the second
     * call is a hit: the very same tree, the one the cache holds. */
    EXPECT_LE(gk__schema_cache_computed(), before + 1);
    const gk__schema_doc *doc = gk__schema_cached(GK_TYPE_OF(GcDish), GK_SCHEMA_NO_META);
    ASSERT_TRUE(doc != NULL);
    EXPECT_TRUE(s.schema[0] == doc->tree);
    EXPECT_TRUE(s.schema[1] == doc->tree);
    EXPECT_STREQ(doc->text, GC_SCHEMA);
    EXPECT_EQ(doc->len, strlen(GC_SCHEMA));
    EXPECT_STREQ(s.request[0], s.request[1]);
    EXPECT_STREQ(
        s.request[0],
        "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"You are a cook.\"}]},"
        "{\"role\":\"user\",\"content\":[{\"text\":\"A soup, please.\"}]}],"
        "\"output\":{\"format\":\"json\",\"schema\":" GC_SCHEMA ",\"constrained\":true,"
        "\"contentType\":\"application/json\"}}");
    gk_shutdown(g);
}

TEST(generate_with_an_output_type_keeps_the_same_request_on_every_call)
{
    struct seen s = {0};
    gk_genkit *g = new_genkit(&s);
    ASSERT_TRUE(g != NULL);
    struct two t = {.g = g, .type = GK_TYPE_OF(GcDish)};
    ASSERT_EQ(rt_run_fiber(two_calls, &t, 256 * 1024), GK_OK);
    EXPECT_EQ(t.st[0], GK_OK);
    EXPECT_EQ(t.st[1], GK_OK);
    size_t after_first = gk__schema_cache_computed();
    struct two again = {.g = g, .type = GK_TYPE_OF(GcDish)};
    ASSERT_EQ(rt_run_fiber(two_calls, &again, 256 * 1024), GK_OK);
    EXPECT_EQ(gk__schema_cache_computed(), after_first);
    /* resp->request is what the model was sent, the same text call after call. */
    EXPECT_STREQ(t.kept[0], s.request[0]);
    EXPECT_STREQ(t.kept[1], s.request[1]);
    EXPECT_STREQ(t.kept[0], t.kept[1]);
    EXPECT_STREQ(again.kept[1], t.kept[0]);
    EXPECT_CONTAINS(t.kept[0], "\"schema\":" GC_SCHEMA);
    gk_shutdown(g);
}

TEST(schema_cache_returns_one_entry_per_type_and_flags)
{
    const gk__schema_doc *a = gk__schema_cached(GK_TYPE_OF(GcDish), GK_SCHEMA_NO_META);
    const gk__schema_doc *b = gk__schema_cached(GK_TYPE_OF(GcDish), 0);
    ASSERT_TRUE(a != NULL);
    ASSERT_TRUE(b != NULL);
    EXPECT_TRUE(a != b);
    EXPECT_TRUE(gk__schema_cached(GK_TYPE_OF(GcDish), 0) == b);
    EXPECT_EQ(
        strncmp(b->text, "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",", 58), 0);
    EXPECT_STREQ(b->text + 58, GC_SCHEMA + 1);
    EXPECT_TRUE(gk__schema_cached(NULL, 0) == NULL);
}

/* A descriptor in writable memory, changed after its schema was cached, as a type built at run
 * time and freed would be when another took its address. */
static gk_field swap_fields[1];
static gk_type swap_type;

struct swap {
    struct seen seen;
    gk_status st;
    gk_error err;
};

static void swap_body(gk_ctx *ctx, void *arg)
{
    struct swap *w = arg;
    gk_genkit *g = new_genkit(&w->seen);
    if (!g)
        return;
    gk_generate_opts o = {.model = "test/recording", .prompt = "hi"};
    o.output.type = &swap_type;
    gk_generate_response resp;
    w->st = gk_generate(ctx, g, &o, &resp, &w->err);
    gk_shutdown(g);
}

TEST(schema_cache_does_not_serve_a_descriptor_that_changed_under_its_address)
{
    swap_fields[0] = *GK_TYPE_OF(GcThread)->fields;
    swap_type = *GK_TYPE_OF(GcThread);
    swap_type.fields = swap_fields;
    swap_type.name = "SwapA";
    const gk__schema_doc *a = gk__schema_cached(&swap_type, GK_SCHEMA_NO_META);
    ASSERT_TRUE(a != NULL);
    EXPECT_STREQ(a->text, "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
                          "\"required\":[\"name\"],\"additionalProperties\":false}");
    /* Another descriptor at the same address: not served, and generate writes its schema. */
    swap_fields[0].name = "label";
    swap_type.name = "SwapB";
    EXPECT_TRUE(gk__schema_cached(&swap_type, GK_SCHEMA_NO_META) == NULL);
    struct swap w = {.st = GK_UNKNOWN};
    ASSERT_EQ(rt_run_fiber(swap_body, &w, 256 * 1024), GK_OK);
    ASSERT_EQ(w.seen.calls, 1);
    EXPECT_CONTAINS(w.seen.request[0],
                    "\"schema\":{\"type\":\"object\",\"properties\":{\"label\":");
    /* The reply (a GcDish) is checked against the new descriptor too. */
    EXPECT_EQ(w.st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(w.err.message, "does not match SwapB");
    /* The entry made first is untouched. */
    EXPECT_CONTAINS(a->text, "\"name\"");
}

struct racer {
    const gk__schema_doc *doc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    r->doc = gk__schema_cached(GK_TYPE_OF(GcThread), 0);
    return NULL;
}

TEST(schema_cache_first_use_from_several_threads_yields_one_entry)
{
    enum { N = 4 };
    pthread_t th[N];
    struct racer r[N] = {{0}};
    for (int i = 0; i < N; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, race, &r[i]), 0);
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    ASSERT_TRUE(r[0].doc != NULL);
    for (int i = 1; i < N; i++)
        EXPECT_TRUE(r[i].doc == r[0].doc);
    EXPECT_TRUE(gk__schema_cached(GK_TYPE_OF(GcThread), 0) == r[0].doc);
}

TEST(output_parse_finds_the_fence_after_stray_backticks)
{
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(a != NULL);
    static const char *const replies[] = {
        "Use `salt` and ``pepper``:\n```json\n{\"n\":1}\n```\nEnjoy `it`.",
        "``\n```{\"n\":1}```",
        "`````json\n{\"n\":1}\n```",
        "{\"n\":1}",
        "text ``` ",
    };
    static const char *const want[] = {"{\"n\":1}", "{\"n\":1}", "{\"n\":1}", "{\"n\":1}", NULL};
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        const gk_json *v = NULL;
        gk_error err = {0};
        gk_status st =
            gk_output_parse(a, GK_FORMAT_JSON, replies[i], strlen(replies[i]), false, &v, &err);
        if (!want[i]) {
            EXPECT_NE(st, GK_OK);
            continue;
        }
        EXPECT_EQ(st, GK_OK);
        if (st == GK_OK) {
            gk_buf b = GK_BUF_INIT(0);
            gk_json_write(&b, v);
            EXPECT_STREQ(b.ptr, want[i]);
            gk_buf_release(&b);
        }
    }
    gk_arena_free(a);
}
