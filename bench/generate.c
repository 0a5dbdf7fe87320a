/* SPDX-License-Identifier: Apache-2.0 */
/* bench/generate.c - CPU cost of one gk_generate call, the model excluded: a model that answers
 * a canned ~2 KB reply at once stands in for the provider, so the figure is the framework's share
 * (request building, action dispatch and checks, response parse, history) per call. Two shapes:
 * text with a ~2 KB conversation, and gk_generate_data decoding a ~2 KB JSON reply into a struct.
 * A third, the recipe demo's shape (examples/recipe): gk_generate_data with a system prompt into
 * a struct of eight described fields, a ~1 KB reply.
 * Usage: bench/generate [calls] [text|data|recipe]   (default: all three; built and run by
 * bench/generate.sh on a release build; one shape at a time suits callgrind) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <genkit/genkit.h>

#include "runtime/sched.h"

typedef struct BItem {
    const char *name;
    const char *note;
    int qty;
} BItem;

typedef struct BOut {
    const char *title;
    GK_ARRAY_OF(BItem) items;
} BOut;

/* clang-format off */
GK_SCHEMA_DEFINE(BItem, NULL,
    GK_FIELD_STRING(BItem, name, "name", NULL),
    GK_FIELD_STRING(BItem, note, "note", NULL),
    GK_FIELD_INT(BItem, qty, "qty", NULL));
GK_SCHEMA_DEFINE(BOut, NULL,
    GK_FIELD_STRING(BOut, title, "title", NULL),
    GK_FIELD_ARRAY(BOut, items, "items", BItem, NULL));
/* The recipe demo's output type (examples/recipe/main.c). */
typedef struct BRecipe {
    const char *title;
    const char *description;
    const char *prep_time;
    const char *cook_time;
    int32_t servings;
    GK_ARRAY_OF(gk_text) ingredients;
    GK_ARRAY_OF(gk_text) instructions;
    GK_ARRAY_OF(gk_text) tips;
} BRecipe;

GK_SCHEMA_DEFINE(BRecipe, "A recipe",
    GK_FIELD_STRING(BRecipe, title, "title", "Name of the dish"),
    GK_FIELD_STRING(BRecipe, description, "description", "One-sentence summary"),
    GK_FIELD_STRING(BRecipe, prep_time, "prepTime", "e.g. 10 minutes"),
    GK_FIELD_STRING(BRecipe, cook_time, "cookTime", "e.g. 25 minutes"),
    GK_FIELD_INT(BRecipe, servings, "servings", "Number of servings", GK_MINIMUM(1)),
    GK_FIELD_ARRAY(BRecipe, ingredients, "ingredients", gk_text, "Ingredients with quantities"),
    GK_FIELD_ARRAY(BRecipe, instructions, "instructions", gk_text, "Steps in order"),
    GK_FIELD_ARRAY_OPT(BRecipe, tips, "tips", gk_text, "Optional tips"));
/* clang-format on */

#define SHAPES 3
static const char *const shape_names[SHAPES] = {"text", "data", "recipe"};

static const char recipe_reply[] =
    "{\"title\":\"Tomato and basil pasta\",\"description\":\"A quick summer pasta with fresh "
    "tomatoes, garlic and basil.\",\"prepTime\":\"10 minutes\",\"cookTime\":\"15 minutes\","
    "\"servings\":2,\"ingredients\":[\"200 g spaghetti\",\"4 ripe tomatoes, diced\",\"2 cloves "
    "garlic, sliced\",\"1 handful fresh basil\",\"3 tbsp olive oil\",\"salt and pepper\"],"
    "\"instructions\":[\"Boil the spaghetti in salted water until al dente.\",\"Warm the olive "
    "oil and soften the garlic for a minute.\",\"Add the tomatoes and cook for five minutes.\","
    "\"Toss the drained pasta with the sauce.\",\"Tear in the basil, season and serve.\"],"
    "\"tips\":[\"Keep a cup of pasta water to loosen the sauce.\",\"Use the ripest tomatoes you "
    "can find.\"]}";

static char text_reply[2100];
static char json_reply[2100];

static gk_status canned(void *self, gk_ctx *ctx, const gk_generate_request *req,
                        gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    (void)ctx;
    (void)stream;
    (void)err;
    static gk_part part;
    bool json = req->has_output && req->output.schema;
    const gk_json *props = json ? gk_json_get(req->output.schema, "properties") : NULL;
    bool recipe = props && gk_json_get(props, "servings");
    part = gk_part_text(recipe ? recipe_reply : json ? json_reply : text_reply);
    (void)self;
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = &part;
    resp->message.content.count = 1;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

struct bench {
    gk_genkit *g;
    long calls;
    int only; /* a shape's index, or -1 for all */
    gk_runtime *rt;
    double ns[SHAPES];
    int failed;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void body(gk_ctx *root, void *arg)
{
    struct bench *b = arg;
    gk_error err = {0};
    static char history_text[4][512];
    gk_part parts[4];
    gk_message history[4];
    for (int i = 0; i < 4; i++) {
        memset(history_text[i], 'a' + i, 480);
        history_text[i][480] = '\0';
        parts[i] = gk_part_text(history_text[i]);
        history[i] =
            (gk_message){.role = i % 2 ? GK_ROLE_MODEL : GK_ROLE_USER, .content = {&parts[i], 1}};
    }
    gk_generate_opts text = {.model = "bench/canned",
                             .system = "You are a helpful assistant.",
                             .messages = history,
                             .message_count = 4,
                             .prompt = "Summarize the conversation."};
    gk_generate_opts data = {.model = "bench/canned", .prompt = "Give me the list."};
    gk_generate_opts recipe = {
        .model = "bench/canned",
        .system = "You are a chef. Answer with one recipe: a title, a one-sentence description, "
                  "the prep and cook times, servings, the ingredients with quantities, the steps "
                  "in order and a few tips.",
        .prompt = "Suggest a recipe with tomatoes as the main ingredient. Dietary restrictions: "
                  "vegetarian."};
    for (int shape = 0; shape < SHAPES; shape++) {
        if (b->only >= 0 && shape != b->only)
            continue;
        double t0 = now_ns();
        for (long i = 0; i < b->calls; i++) {
            /* A request arena per call, as a server request has. */
            gk_arena *a = gk_arena_new(0);
            gk_ctx *ctx = gk__ctx_new(gk_ctx_loop(root), a);
            gk_status st;
            if (shape == 0) {
                gk_generate_response resp;
                st = gk_generate(ctx, b->g, &text, &resp, &err);
            } else if (shape == 1) {
                BOut out;
                st = gk_generate_data(ctx, b->g, &data, GK_TYPE_OF(BOut), &out, &err);
            } else {
                BRecipe out;
                st = gk_generate_data(ctx, b->g, &recipe, GK_TYPE_OF(BRecipe), &out, &err);
            }
            gk_arena_free(a);
            if (st != GK_OK) {
                fprintf(stderr, "generate: %s\n", err.message);
                b->failed = 1;
                return;
            }
        }
        b->ns[shape] = (now_ns() - t0) / (double)b->calls;
    }
}

static void done(void *arg)
{
    struct bench *b = arg;
    gk_runtime_stop(b->rt);
}

static void start(gk_loop *loop, void *arg)
{
    static gk_arena *root_arena;
    root_arena = gk_arena_new(0);
    gk_ctx *ctx = gk__ctx_new(loop, root_arena);
    if (gk__spawn(ctx, body, done, arg) != GK_OK)
        abort();
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    int only = -1;
    for (int i = 0; argc > 2 && i < SHAPES; i++) {
        if (strcmp(argv[2], shape_names[i]) == 0)
            only = i;
    }
    if (calls <= 0 || (argc > 2 && only < 0)) {
        fprintf(stderr, "usage: %s [calls] [text|data|recipe]\n", argv[0]);
        return 2;
    }
    /* ~2 KB replies: prose, and JSON with 20 items. */
    memset(text_reply, 'z', 2000);
    text_reply[2000] = '\0';
    gk_buf jb = GK_BUF_INIT(0);
    gk_buf_puts(&jb, "{\"title\":\"Shopping list\",\"items\":[");
    for (int i = 0; i < 20; i++)
        gk_buf_printf(&jb,
                      "%s{\"name\":\"item number %02d\",\"note\":\"buy it fresh at the "
                      "market, early\",\"qty\":%d}",
                      i ? "," : "", i, i + 1);
    gk_buf_puts(&jb, "]}");
    snprintf(json_reply, sizeof(json_reply), "%s", jb.ptr);
    gk_buf_release(&jb);

    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "bench"}, &err);
    gk_model_desc d = {.name = "bench/canned",
                       .generate = canned,
                       .info = {.supports = GK_MODEL_MULTITURN | GK_MODEL_SYSTEM_ROLE,
                                .constrained = GK_CONSTRAINED_ALL}};
    if (!g || !gk_define_model(g, &d, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    gk_runtime *rt = gk_runtime_new(&(gk_runtime_opts){.threads = 1}, &err);
    struct bench b = {.g = g, .calls = calls, .only = only, .rt = rt};
    gk_runtime_run(rt, start, &b, &err);
    gk_runtime_free(rt);
    gk_shutdown(g);
    if (b.failed)
        return 1;
    static const char *const labels[SHAPES] = {
        "gk_generate text, 2 KB conversation + 2 KB reply",
        "gk_generate_data, 2 KB JSON reply into a struct  ",
        "gk_generate_data, recipe demo shape, 1 KB reply  ",
    };
    for (int i = 0; i < SHAPES; i++) {
        if (only < 0 || i == only)
            printf("%s: %.0f ns/call\n", labels[i], b.ns[i]);
    }
    return 0;
}
