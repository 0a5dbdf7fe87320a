/* SPDX-License-Identifier: Apache-2.0 */
/* examples/recipe - the demo service, written the way a Genkit user writes one: `recipe` asks the
 * model for a typed Recipe, `recipeSteps` streams the recipe's steps while the model writes them,
 * `menu` fans out one model call per course under a deadline, and `pantryCheck` lets the model
 * call two tools (in parallel, in one turn). The model comes from $GK_MODEL, else from the first
 * provider whose API key is set, else it is the embedded local/default (offline, canned answers),
 * so `make run` and the tests need no key and no network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <genkit/genkit.h>
#include <genkit/middleware.h>
#include <genkit/plugin.h>
#include <genkit/plugins/anthropic.h>
#include <genkit/plugins/googleai.h>
#include <genkit/plugins/ollama.h>
#include <genkit/plugins/openai.h>

/* ---- types ---- */

typedef struct RecipeInput {
    const char *ingredient;
    const char *dietary_restrictions; /* NULL when absent */
} RecipeInput;

typedef struct Recipe {
    const char *title;
    const char *description;
    const char *prep_time;
    const char *cook_time;
    int32_t servings;
    GK_ARRAY_OF(gk_text) ingredients;
    GK_ARRAY_OF(gk_text) instructions;
    GK_ARRAY_OF(gk_text) tips;
} Recipe;

typedef struct RecipeStep {
    int32_t index;
    const char *text;
} RecipeStep;

typedef struct MenuInput {
    GK_ARRAY_OF(gk_text) ingredients;
    const char *dietary_restrictions;
    int32_t deadline_ms;
    int32_t kitchen_delay_ms;
} MenuInput;

typedef struct Menu {
    GK_ARRAY_OF(Recipe) courses;
    int64_t elapsed_ms;
} Menu;

typedef struct PantryInput {
    GK_ARRAY_OF(gk_text) ingredients;
} PantryInput;

typedef struct PantryReport {
    const char *answer;
    int32_t tool_calls;
    const char *model;
} PantryReport;

/* The tools' input, and their outputs. */
typedef struct Item {
    const char *item;
} Item;

typedef struct Stock {
    const char *item;
    bool in_stock;
    int32_t quantity;
    const char *unit;
} Stock;

typedef struct Season {
    const char *item;
    const char *season;
} Season;

/* clang-format off */
GK_SCHEMA_DEFINE(RecipeInput, "What to cook",
    GK_FIELD_STRING(RecipeInput, ingredient, "ingredient", "Main ingredient", GK_MIN_LENGTH(1),
                    GK_MAX_LENGTH(100)),
    GK_FIELD_STRING_OPT(RecipeInput, dietary_restrictions, "dietaryRestrictions",
                        "e.g. vegetarian, vegan, gluten-free", GK_MAX_LENGTH(200)));

GK_SCHEMA_DEFINE(Recipe, "A recipe",
    GK_FIELD_STRING(Recipe, title, "title", "Name of the dish"),
    GK_FIELD_STRING(Recipe, description, "description", "One-sentence summary"),
    GK_FIELD_STRING(Recipe, prep_time, "prepTime", "e.g. 10 minutes"),
    GK_FIELD_STRING(Recipe, cook_time, "cookTime", "e.g. 25 minutes"),
    GK_FIELD_INT(Recipe, servings, "servings", "Number of servings", GK_MINIMUM(1)),
    GK_FIELD_ARRAY(Recipe, ingredients, "ingredients", gk_text, "Ingredients with quantities"),
    GK_FIELD_ARRAY(Recipe, instructions, "instructions", gk_text, "Steps in order"),
    GK_FIELD_ARRAY_OPT(Recipe, tips, "tips", gk_text, "Optional tips"));

GK_SCHEMA_DEFINE(RecipeStep, "One step of a recipe, streamed as it is written",
    GK_FIELD_INT(RecipeStep, index, "index", "Step number, from 1"),
    GK_FIELD_STRING(RecipeStep, text, "text", NULL));

GK_SCHEMA_DEFINE(MenuInput, "Ingredients for a menu, one course each",
    GK_FIELD_ARRAY(MenuInput, ingredients, "ingredients", gk_text, "One per course",
                   GK_MIN_ITEMS(1), GK_MAX_ITEMS(8), GK_MIN_LENGTH(1), GK_MAX_LENGTH(100)),
    GK_FIELD_STRING_OPT(MenuInput, dietary_restrictions, "dietaryRestrictions", NULL,
                        GK_MAX_LENGTH(200)),
    GK_FIELD_INT(MenuInput, deadline_ms, "deadlineMs", "Time budget for the whole menu",
                 GK_MINIMUM(1), GK_MAXIMUM(60000), GK_DEFAULT(30000)),
    GK_FIELD_INT(MenuInput, kitchen_delay_ms, "kitchenDelayMs",
                 "Simulated work per course before the model call (to see the fan-out and the "
                 "deadline)", GK_MINIMUM(0), GK_MAXIMUM(60000), GK_DEFAULT(20)));

GK_SCHEMA_DEFINE(Menu, "A menu: one recipe per course",
    GK_FIELD_ARRAY(Menu, courses, "courses", Recipe, NULL),
    GK_FIELD_INT64(Menu, elapsed_ms, "elapsedMs", "Wall time the kitchen took"));

GK_SCHEMA_DEFINE(PantryInput, "Ingredients to check against the pantry and the season",
    GK_FIELD_ARRAY(PantryInput, ingredients, "ingredients", gk_text, NULL, GK_MIN_ITEMS(1),
                   GK_MAX_ITEMS(8), GK_MIN_LENGTH(1), GK_MAX_LENGTH(60)));

GK_SCHEMA_DEFINE(PantryReport, "What the model concluded from the tools",
    GK_FIELD_STRING(PantryReport, answer, "answer", "The model's answer"),
    GK_FIELD_INT(PantryReport, tool_calls, "toolCalls", "Tool calls the model made"),
    GK_FIELD_STRING(PantryReport, model, "model", "The model that answered"));

GK_SCHEMA_DEFINE(Item, "An ingredient to look up",
    GK_FIELD_STRING(Item, item, "item", "The ingredient, e.g. tomato", GK_MIN_LENGTH(1),
                    GK_MAX_LENGTH(60)));

GK_SCHEMA_DEFINE(Stock, "What the pantry holds of an ingredient",
    GK_FIELD_STRING(Stock, item, "item", NULL),
    GK_FIELD_BOOL(Stock, in_stock, "inStock", NULL),
    GK_FIELD_INT(Stock, quantity, "quantity", NULL),
    GK_FIELD_STRING(Stock, unit, "unit", NULL));

GK_SCHEMA_DEFINE(Season, "When an ingredient is at its best",
    GK_FIELD_STRING(Season, item, "item", NULL),
    GK_FIELD_STRING(Season, season, "season", "spring, summer, autumn, winter or all year"));
/* clang-format on */

/* ---- the application: set up in main before serving, read-only afterwards ---- */

static struct app {
    gk_genkit *g;
    const char *model;          /* "provider/name" every generate call uses */
    const char *extra_model[2]; /* the id of $GK_MODEL for its plugin to define, NULL-terminated */
    const char *extra_for;      /* the plugin that gets extra_model ("openai"), or NULL */
    gk_model_middleware retry;
    const gk_model_middleware *use[2]; /* {&retry, NULL}: around every model call */
    gk_action *check_stock;
    gk_action *check_season;
} app;

static const char chef[] = "You are a chef who writes clear, simple home recipes.";

/* ---- tools ---- */

/* Whether item is food `name` or its plural ("tomatoes", "peas", "strawberries"), ignoring case;
 * "pear" is not "pea". */
static bool same_food(const char *item, const char *name)
{
    size_t n = strlen(name);
    if (strncasecmp(item, name, n) == 0) {
        const char *rest = item + n;
        return !*rest || strcasecmp(rest, "s") == 0 || strcasecmp(rest, "es") == 0;
    }
    return n > 1 && (name[n - 1] == 'y' || name[n - 1] == 'Y') &&
           strncasecmp(item, name, n - 1) == 0 && strcasecmp(item + n - 1, "ies") == 0;
}

static gk_status check_stock(gk_ctx *ctx, const Item *in, Stock *out, gk_error *err)
{
    /* A pantry that never changes, so the demo answers the same every time. */
    static const struct {
        const char *name;
        int32_t quantity;
        const char *unit;
    } pantry[] = {{"rice", 2, "kg"},      {"pasta", 500, "g"},   {"tomato", 6, "pieces"},
                  {"onion", 4, "pieces"}, {"garlic", 1, "head"}, {"olive oil", 1, "bottle"},
                  {"butter", 250, "g"},   {"flour", 1, "kg"},    {"egg", 6, "pieces"},
                  {"pea", 400, "g"}};
    (void)ctx;
    (void)err;
    *out = (Stock){.item = in->item, .in_stock = false, .quantity = 0, .unit = ""};
    for (size_t i = 0; i < sizeof(pantry) / sizeof(pantry[0]); i++) {
        if (same_food(in->item, pantry[i].name)) {
            out->in_stock = true;
            out->quantity = pantry[i].quantity;
            out->unit = pantry[i].unit;
            break;
        }
    }
    return GK_OK;
}

static gk_status check_season(gk_ctx *ctx, const Item *in, Season *out, gk_error *err)
{
    static const char *const seasons[][2] = {
        {"asparagus", "spring"}, {"pea", "spring"},      {"rhubarb", "spring"},
        {"tomato", "summer"},    {"zucchini", "summer"}, {"strawberry", "summer"},
        {"basil", "summer"},     {"pumpkin", "autumn"},  {"apple", "autumn"},
        {"pear", "autumn"},      {"leek", "winter"},     {"kale", "winter"},
        {"orange", "winter"}};
    (void)ctx;
    (void)err;
    *out = (Season){.item = in->item, .season = "all year"};
    for (size_t i = 0; i < sizeof(seasons) / sizeof(seasons[0]); i++) {
        if (same_food(in->item, seasons[i][0])) {
            out->season = seasons[i][1];
            break;
        }
    }
    return GK_OK;
}

/* ---- flows ---- */

/* The strings of parts (NULL ones skipped) joined in a; NULL if a is over its cap. Plain copies:
 * a prompt is built on every request, and vsnprintf (run twice by gk_arena_sprintf) costs about
 * 10k instructions for one this long. */
static const char *concat(gk_arena *a, const char *const *parts, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++) {
        if (parts[i] && !gk_size_add(len, strlen(parts[i]), &len))
            return NULL;
    }
    char *out = gk_arena_alloc(a, len);
    if (!out)
        return NULL;
    char *at = out;
    for (size_t i = 0; i < n; i++) {
        size_t k = parts[i] ? strlen(parts[i]) : 0;
        memcpy(at, parts[i] ? parts[i] : "", k);
        at += k;
    }
    *at = '\0';
    return out;
}

static const char *recipe_prompt(gk_arena *a, const char *ingredient, const char *restrictions,
                                 const char *course)
{
    const char *parts[] = {
        "Create a recipe with ",
        ingredient,
        ".\n",
        course,
        restrictions ? "Dietary restrictions: " : NULL,
        restrictions,
        restrictions ? ".\n" : NULL,
        "Give it a title, a one-sentence description, prep and cook times, the number of "
        "servings, the ingredients with quantities, the instructions as short steps in order, and "
        "a few tips.",
    };
    return concat(a, parts, sizeof(parts) / sizeof(parts[0]));
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

static gk_status recipe_flow(gk_ctx *ctx, const RecipeInput *in, Recipe *out, gk_error *err)
{
    const char *prompt =
        recipe_prompt(gk_ctx_arena(ctx), in->ingredient, in->dietary_restrictions, NULL);
    if (!prompt)
        return oom(err);
    gk_generate_opts opts = {.system = chef, .prompt = prompt, .use = app.use};
    return gk_generate_data(ctx, app.g, &opts, GK_TYPE_OF(Recipe), out, err);
}

/* The steps of a streamed recipe: sent counts the RecipeStep chunks already sent. */
struct steps {
    gk_stream *stream;
    size_t sent;
    gk_error *err;
};

static gk_status send_step(struct steps *s, const char *text)
{
    RecipeStep step = {.index = (int32_t)s->sent + 1, .text = text};
    gk_status st = gk_stream_send(s->stream, &step, s->err);
    if (st == GK_OK)
        s->sent++;
    return st;
}

/* Sends each instruction of the partial output once it is complete: when a later instruction, or
 * a member after "instructions", has started (the last one may still be growing). */
static gk_status on_recipe_chunk(const gk_generate_chunk *chunk, void *arg)
{
    struct steps *s = arg;
    const gk_json *out = chunk->output;
    if (!out || out->type != GK_JSON_OBJECT)
        return GK_OK;
    for (size_t i = 0; i < out->count; i++) {
        const gk_json *steps = &out->items[i];
        if (strcmp(steps->key, "instructions") != 0 || steps->type != GK_JSON_ARRAY)
            continue;
        size_t complete = i + 1 < out->count ? steps->count : steps->count - (steps->count > 0);
        while (s->sent < complete && steps->items[s->sent].type == GK_JSON_STRING) {
            gk_status st = send_step(s, steps->items[s->sent].str);
            if (st != GK_OK)
                return st;
        }
        break;
    }
    return GK_OK;
}

static gk_status recipe_steps_flow(gk_ctx *ctx, const RecipeInput *in, Recipe *out,
                                   gk_stream *stream, gk_error *err)
{
    if (!stream)
        return recipe_flow(ctx, in, out, err); /* the caller does not stream */
    gk_arena *a = gk_ctx_arena(ctx);
    const char *prompt = recipe_prompt(a, in->ingredient, in->dietary_restrictions, NULL);
    if (!prompt)
        return oom(err);
    gk_generate_opts opts = {
        .system = chef, .prompt = prompt, .output = {.type = GK_TYPE_OF(Recipe)}, .use = app.use};
    struct steps s = {.stream = stream, .err = err};
    gk_generate_response resp;
    gk_status st = gk_generate_stream(ctx, app.g, &opts, on_recipe_chunk, &s, &resp, err);
    const gk_json *v = NULL;
    if (st == GK_OK)
        st = gk_response_output(a, &resp, GK_FORMAT_JSON, &v, err);
    if (st == GK_OK)
        st = gk_decode(a, GK_TYPE_OF(Recipe), v, out, err);
    /* The last step (or all of them, from a model that does not stream) is complete only now. */
    while (st == GK_OK && s.sent < out->instructions.count)
        st = send_step(&s, out->instructions.items[s.sent]);
    return st;
}

struct course {
    const MenuInput *in;
    size_t index;
    Recipe *out;
};

static gk_status cook_course(gk_ctx *ctx, void *arg, void *out, gk_error *err)
{
    struct course *c = arg;
    const char *ingredient = c->in->ingredients.items[c->index];
    gk_status st = gk_sleep(ctx, c->in->kitchen_delay_ms);
    if (st == GK_DEADLINE_EXCEEDED)
        return gk_error_set(err, st, "", "course %zu (\"%s\") did not finish in time", c->index + 1,
                            ingredient);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "course %zu (\"%s\") was cancelled", c->index + 1,
                            ingredient);
    gk_arena *a = gk_ctx_arena(ctx);
    const char *course = gk_arena_sprintf(a, "It is course %zu of a menu of %zu.\n", c->index + 1,
                                          c->in->ingredients.count);
    const char *prompt =
        course ? recipe_prompt(a, ingredient, c->in->dietary_restrictions, course) : NULL;
    if (!prompt)
        return oom(err);
    gk_generate_opts opts = {.system = chef, .prompt = prompt, .use = app.use};
    st = gk_generate_data(ctx, app.g, &opts, GK_TYPE_OF(Recipe), out, err);
    if (st == GK_DEADLINE_EXCEEDED)
        return gk_error_set(err, st, "", "course %zu (\"%s\") did not finish in time", c->index + 1,
                            ingredient);
    return st;
}

static gk_status course_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct course *c = arg;
    char name[32];
    snprintf(name, sizeof(name), "course-%zu", c->index + 1);
    return gk_run(ctx, name, cook_course, c, GK_TYPE_OF(Recipe), c->out, err);
}

static gk_status menu_flow(gk_ctx *ctx, const MenuInput *in, Menu *out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    int64_t start = gk_now_ms();
    size_t n = in->ingredients.count;
    out->courses.items = GK_NEW(a, Recipe, n);
    struct course *courses = GK_NEW(a, struct course, n);
    gk_group_opts go = {.timeout_ms = in->deadline_ms, .cancel_on_error = true};
    gk_group *g = gk_group_new(ctx, &go);
    if (!out->courses.items || !courses || !g)
        return oom(err);
    out->courses.count = n;
    for (size_t i = 0; i < n; i++) {
        courses[i] = (struct course){in, i, &out->courses.items[i]};
        gk_status st = gk_go(g, course_branch, &courses[i]);
        if (st != GK_OK) {
            gk_group_wait(g, NULL);
            return gk_error_set(err, st, "", "could not start course %zu", i + 1);
        }
    }
    gk_status st = gk_group_wait(g, err);
    out->elapsed_ms = gk_now_ms() - start;
    return st;
}

static gk_status pantry_flow(gk_ctx *ctx, const PantryInput *in, PantryReport *out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    gk_buf b = GK_BUF_INIT(4096);
    gk_buf_puts(&b, "I want to cook with ");
    for (size_t i = 0; i < in->ingredients.count; i++) {
        const char *sep = i == 0 ? "" : i + 1 < in->ingredients.count ? ", " : " and ";
        gk_buf_printf(&b, "%s\"%s\"", sep, in->ingredients.items[i]);
    }
    gk_buf_puts(&b, ". Call checkStock for each ingredient to see what the pantry holds, and "
                    "checkSeason for each to see when it is at its best. Then say in two "
                    "sentences what to buy and what is in season.");
    const char *prompt = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    if (!prompt)
        return oom(err);
    gk_action *const tools[] = {app.check_stock, app.check_season, NULL};
    gk_generate_opts opts = {
        .prompt = prompt, .tool_actions = tools, .max_turns = 3, .use = app.use};
    gk_generate_response resp;
    gk_status st = gk_generate(ctx, app.g, &opts, &resp, err);
    gk_message *history = NULL;
    size_t count = 0;
    if (st == GK_OK)
        st = gk_response_history(a, &resp, &history, &count, err);
    if (st != GK_OK)
        return st;
    out->answer = gk_response_text(a, &resp);
    if (!out->answer)
        return oom(err);
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < history[i].content.count; j++)
            out->tool_calls += history[i].content.items[j].has_tool_response;
    }
    out->model = app.model;
    return GK_OK;
}

/* ---- choosing the model ---- */

/* The models a plugin should define besides its well-known ones: $GK_MODEL's id when it names
 * this plugin (unless GK_<PLUGIN>_MODELS lists extra ids already), else NULL (the plugin's
 * default). */
static const char *const *extra_models(const char *plugin)
{
    if (!app.extra_for || strcmp(app.extra_for, plugin) != 0)
        return NULL;
    char var[64];
    snprintf(var, sizeof(var), "GK_%s_MODELS", plugin);
    for (char *p = var; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
    const char *listed = getenv(var);
    return listed && listed[0] ? NULL : app.extra_model;
}

static gk_status openai_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_openai_opts o = {.models = extra_models("openai")};
    return gk_openai_init(host, &o, err);
}

static gk_status anthropic_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_anthropic_opts o = {.models = extra_models("anthropic")};
    return gk_anthropic_init(host, &o, err);
}

static gk_status googleai_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_googleai_opts o = {.models = extra_models("googleai")};
    return gk_googleai_init(host, &o, err);
}

static gk_status ollama_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_ollama_opts o = {.models = extra_models("ollama")};
    return gk_ollama_init(host, &o, err);
}

/* The providers, in the order their keys are looked for. */
static const struct provider {
    const char *name;    /* plugin name and model prefix */
    const char *keys[2]; /* environment variables holding its API key (NULL: none) */
    const char *model;   /* the model used when only a key is set */
    gk_plugin plugin;
} providers[] = {
    {"openai",
     {"OPENAI_API_KEY", NULL},
     "openai/gpt-4o-mini",
     {.abi = GK_PLUGIN_ABI, .name = "openai", .init = openai_init}},
    {"anthropic",
     {"ANTHROPIC_API_KEY", NULL},
     "anthropic/claude-sonnet-4-5",
     {.abi = GK_PLUGIN_ABI, .name = "anthropic", .init = anthropic_init}},
    {"googleai",
     {"GEMINI_API_KEY", "GOOGLE_API_KEY"},
     "googleai/gemini-2.5-flash",
     {.abi = GK_PLUGIN_ABI, .name = "googleai", .init = googleai_init}},
    {"ollama",
     {NULL, NULL},
     "ollama/llama3.2",
     {.abi = GK_PLUGIN_ABI, .name = "ollama", .init = ollama_init}},
};

#define NPROVIDERS (sizeof(providers) / sizeof(providers[0]))

static const char *key_of(const struct provider *p)
{
    for (size_t i = 0; i < 2; i++) {
        const char *v = p->keys[i] ? getenv(p->keys[i]) : NULL;
        if (v && v[0])
            return p->keys[i];
    }
    return NULL;
}

/* Picks the model (into app.model) and the plugins to load: the local plugin always (offline
 * fallback and tests), a provider's plugin when its key is set or $GK_MODEL names it. Writes into
 * why what made the choice. */
static void choose_model(const gk_plugin **plugins, char *why, size_t why_len)
{
    const char *wanted = getenv("GK_MODEL");
    size_t n = 0;
    app.model = NULL;
    if (wanted && wanted[0]) {
        app.model = wanted;
        snprintf(why, why_len, "from GK_MODEL");
    }
    for (size_t i = 0; i < NPROVIDERS; i++) {
        const struct provider *p = &providers[i];
        size_t len = strlen(p->name);
        bool named = app.model && strncmp(app.model, p->name, len) == 0 && app.model[len] == '/';
        const char *key = key_of(p);
        if (!named && !key)
            continue;
        plugins[n++] = &p->plugin;
        if (named && app.model[len + 1]) {
            app.extra_model[0] = app.model + len + 1;
            app.extra_for = p->name;
        }
        if (!app.model) {
            app.model = p->model;
            snprintf(why, why_len, "%s is set", key);
        }
    }
    plugins[n++] = &gk_plugin_local;
    plugins[n] = NULL;
    if (!app.model) {
        app.model = "local/default";
        snprintf(why, why_len,
                 "built in, offline, canned answers; for a real model set OPENAI_API_KEY, "
                 "ANTHROPIC_API_KEY or GEMINI_API_KEY, or GK_MODEL=provider/model");
    }
}

/* Transient provider failures (503, 429, timeouts) are retried twice with jittered backoff; the
 * middleware logs each retry. */
static const gk_retry_opts retry_opts = {
    .max_retries = 2, .initial_delay_ms = 500, .max_delay_ms = 5000};

int main(void)
{
    gk_error err = {0};
    const gk_plugin *plugins[NPROVIDERS + 2];
    char why[256];
    choose_model(plugins, why, sizeof(why));
    app.retry = gk_mw_retry(&retry_opts);
    app.use[0] = &app.retry;
    app.g = gk_init(
        &(gk_init_opts){.name = "recipe", .default_model = app.model, .plugins = plugins}, &err);
    if (!app.g) {
        fprintf(stderr, "recipe: %s\n", err.message);
        return 1;
    }
    if (!gk_lookup(app.g, GK_ACTION_MODEL, app.model)) {
        fprintf(stderr,
                "recipe: model \"%s\" is not defined by any loaded plugin (GK_MODEL takes "
                "openai/..., anthropic/..., googleai/..., ollama/... or local/default)\n",
                app.model);
        gk_shutdown(app.g);
        return 1;
    }
    gk_log(GK_SEVERITY_INFO, "recipe: model %s (%s)", app.model, why);
    app.check_stock =
        GK_DEFINE_TOOL(app.g, "checkStock", "How much of an ingredient the pantry holds",
                       check_stock, Item, Stock, &err);
    app.check_season =
        app.check_stock
            ? GK_DEFINE_TOOL(app.g, "checkSeason", "In which season an ingredient is at its best",
                             check_season, Item, Season, &err)
            : NULL;
    if (!app.check_season ||
        !GK_DEFINE_FLOW(app.g, "recipe", "Create a recipe from a main ingredient", recipe_flow,
                        RecipeInput, Recipe, &err) ||
        !GK_DEFINE_STREAMING_FLOW(app.g, "recipeSteps", "Create a recipe, streaming its steps",
                                  recipe_steps_flow, RecipeInput, Recipe, RecipeStep, &err) ||
        !GK_DEFINE_FLOW(app.g, "menu", "One recipe per course, cooked in parallel under a deadline",
                        menu_flow, MenuInput, Menu, &err) ||
        !GK_DEFINE_FLOW(app.g, "pantryCheck",
                        "Ask the model what to buy: it checks the pantry and the season with tools",
                        pantry_flow, PantryInput, PantryReport, &err)) {
        fprintf(stderr, "recipe: %s\n", err.message);
        gk_shutdown(app.g);
        return 1;
    }

    gk_server_opts so = {0};
    const char *port = getenv("PORT");
    int p = port ? (int)strtol(port, NULL, 10) : 3400;
    if (!getenv("GK_QUIET"))
        fprintf(stderr,
                "recipe: try\n"
                "  curl -s localhost:%d/recipe -H 'Content-Type: application/json' "
                "-d '{\"data\":{\"ingredient\":\"tomato\"}}'\n"
                "  curl -sN 'localhost:%d/recipeSteps?stream=true' "
                "-d '{\"data\":{\"ingredient\":\"leek\",\"dietaryRestrictions\":\"vegan\"}}'\n"
                "  curl -s localhost:%d/menu -d "
                "'{\"data\":{\"ingredients\":[\"pea\",\"salmon\",\"pear\"],\"deadlineMs\":5000}}'\n"
                "  curl -s localhost:%d/pantryCheck -d "
                "'{\"data\":{\"ingredients\":[\"tomato\",\"rice\",\"basil\"]}}'\n",
                p, p, p, p);
    gk_status st = gk_serve(app.g, &so, &err);
    if (st != GK_OK)
        fprintf(stderr, "recipe: %s\n", err.message);
    gk_shutdown(app.g);
    return st == GK_OK ? 0 : 1;
}
