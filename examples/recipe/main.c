/* SPDX-License-Identifier: Apache-2.0 */
/* examples/recipe - the demo service: a typed `recipe` flow, a streaming `recipeSteps` flow and a
 * `menu` flow that fans out one branch per course under a deadline. The recipes are composed
 * locally and deterministically; the generate issue moves them onto the model interface. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/genkit.h>

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
                 GK_MINIMUM(1), GK_MAXIMUM(60000), GK_DEFAULT(2000)),
    GK_FIELD_INT(MenuInput, kitchen_delay_ms, "kitchenDelayMs",
                 "Simulated work per course (to see the fan-out and the deadline)", GK_MINIMUM(0),
                 GK_MAXIMUM(60000), GK_DEFAULT(20)));

GK_SCHEMA_DEFINE(Menu, "A menu: one recipe per course",
    GK_FIELD_ARRAY(Menu, courses, "courses", Recipe, NULL),
    GK_FIELD_INT64(Menu, elapsed_ms, "elapsedMs", "Wall time the kitchen took"));

/* ---- composing a recipe (deterministic, local) ---- */

/* Dish names around the ingredient: {before, after}. */
static const char *const dishes[][2] = {{"Roasted ", " with Herbs"}, {"", " Stir-Fry"},
                                        {"Creamy ", " Soup"},        {"", " Tart"},
                                        {"Grilled ", " Salad"}};

static unsigned pick(const char *s, unsigned n)
{
    unsigned h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)tolower((unsigned char)*s);
    return h % n;
}

static bool restricted(const char *restrictions, const char *word)
{
    return restrictions && strcasestr(restrictions, word) != NULL;
}

static const char *capitalized(gk_arena *a, const char *s)
{
    char *c = gk_arena_strdup(a, s);
    if (c && c[0])
        c[0] = (char)toupper((unsigned char)c[0]);
    return c;
}

static gk_status compose(gk_arena *a, const char *ingredient, const char *restrictions, Recipe *r,
                         gk_error *err)
{
    unsigned d = pick(ingredient, sizeof(dishes) / sizeof(dishes[0]));
    bool vegan = restricted(restrictions, "vegan");
    bool gluten_free = restricted(restrictions, "gluten");
    const char *fat = vegan ? "2 tbsp olive oil" : "2 tbsp butter";
    const char *starch = gluten_free ? "1 cup cooked rice" : "4 slices crusty bread";

    const char *name = capitalized(a, ingredient);
    if (!name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    r->title = gk_arena_sprintf(a, "%s%s%s", dishes[d][0], name, dishes[d][1]);
    r->description = gk_arena_sprintf(a, "A simple, weeknight-friendly dish that lets the %s shine%s%s.",
                                      ingredient, restrictions ? ", suitable for " : "",
                                      restrictions ? restrictions : "");
    r->prep_time = "10 minutes";
    r->cook_time = gk_arena_sprintf(a, "%u minutes", 15 + 5 * d);
    r->servings = 2 + (int32_t)(d % 3);

    const char *ingredients[] = {gk_arena_sprintf(a, "500 g %s", ingredient), fat,
                                 "1 clove garlic, minced", "1 small onion, diced",
                                 "salt and pepper to taste", starch};
    const char *instructions[] = {
        gk_arena_sprintf(a, "Wash and cut the %s into even pieces.", ingredient),
        vegan ? "Warm the olive oil in a wide pan over medium heat." :
                "Melt the butter in a wide pan over medium heat.",
        "Soften the onion and garlic for 3 minutes.",
        gk_arena_sprintf(a, "Add the %s and cook until tender, stirring now and then.", ingredient),
        "Season with salt and pepper, then serve.",
    };
    const char *tips[] = {gk_arena_sprintf(a, "Choose %s that is firm and fragrant.", ingredient),
                          "Leftovers keep for two days in the fridge."};

    r->ingredients.count = sizeof(ingredients) / sizeof(ingredients[0]);
    r->instructions.count = sizeof(instructions) / sizeof(instructions[0]);
    r->tips.count = sizeof(tips) / sizeof(tips[0]);
    r->ingredients.items = GK_NEW(a, gk_text, r->ingredients.count);
    r->instructions.items = GK_NEW(a, gk_text, r->instructions.count);
    r->tips.items = GK_NEW(a, gk_text, r->tips.count);
    if (!r->ingredients.items || !r->instructions.items || !r->tips.items || !r->title ||
        !r->description || !r->cook_time)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    memcpy(r->ingredients.items, ingredients, sizeof(ingredients));
    memcpy(r->instructions.items, instructions, sizeof(instructions));
    memcpy(r->tips.items, tips, sizeof(tips));
    for (size_t i = 0; i < r->ingredients.count; i++)
        if (!r->ingredients.items[i])
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    for (size_t i = 0; i < r->instructions.count; i++)
        if (!r->instructions.items[i])
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    return GK_OK;
}

/* ---- flows ---- */

static gk_status recipe_flow(gk_ctx *ctx, const RecipeInput *in, Recipe *out, gk_error *err)
{
    return compose(gk_ctx_arena(ctx), in->ingredient, in->dietary_restrictions, out, err);
}

static gk_status recipe_steps_flow(gk_ctx *ctx, const RecipeInput *in, Recipe *out,
                                   gk_stream *stream, gk_error *err)
{
    gk_status st = compose(gk_ctx_arena(ctx), in->ingredient, in->dietary_restrictions, out, err);
    for (size_t i = 0; st == GK_OK && i < out->instructions.count; i++) {
        RecipeStep step = {.index = (int32_t)i + 1, .text = out->instructions.items[i]};
        st = gk_stream_send(stream, &step, err);
        /* Pace the steps so a streaming client sees them arrive one by one. */
        if (st == GK_OK && stream)
            st = gk_sleep(ctx, 50);
    }
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
    gk_status st = gk_sleep(ctx, c->in->kitchen_delay_ms);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "course %zu (\"%s\") did not finish in time", c->index + 1,
                            c->in->ingredients.items[c->index]);
    return compose(gk_ctx_arena(ctx), c->in->ingredients.items[c->index],
                   c->in->dietary_restrictions, out, err);
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
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
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

int main(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.name = "recipe"}, &err);
    if (!g) {
        fprintf(stderr, "recipe: %s\n", err.message);
        return 1;
    }
    if (!GK_DEFINE_FLOW(g, "recipe", "Create a recipe from a main ingredient", recipe_flow,
                        RecipeInput, Recipe, &err) ||
        !GK_DEFINE_STREAMING_FLOW(g, "recipeSteps", "Create a recipe, streaming its steps",
                                  recipe_steps_flow, RecipeInput, Recipe, RecipeStep, &err) ||
        !GK_DEFINE_FLOW(g, "menu", "One recipe per course, cooked in parallel under a deadline",
                        menu_flow, MenuInput, Menu, &err)) {
        fprintf(stderr, "recipe: %s\n", err.message);
        gk_shutdown(g);
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
                "'{\"data\":{\"ingredients\":[\"pea\",\"salmon\",\"pear\"],\"deadlineMs\":500}}'\n",
                p, p, p);
    gk_status st = gk_serve(g, &so, &err);
    if (st != GK_OK)
        fprintf(stderr, "recipe: %s\n", err.message);
    gk_shutdown(g);
    return st == GK_OK ? 0 : 1;
}
