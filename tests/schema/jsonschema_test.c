/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/jsonschema_test.c - gk_schema_write: exact JSON Schema text for the Recipe types,
 * every kind, constraints, defaults and the builtin roots. */
#include <string.h>

#include <genkit/schema.h>

#include "schema_types.h"
#include "test.h"

static const char *schema(gk_buf *b, const gk_type *t, unsigned flags)
{
    gk_jw w;
    gk_buf_reset(b);
    gk_jw_init(&w, b);
    gk_schema_write_ex(&w, t, flags);
    return gk_buf_failed(b) ? "(failed)" : b->ptr ? b->ptr : "";
}

TEST(schema_of_recipe_is_exact)
{
    gk_buf b = GK_BUF_INIT(0);

    EXPECT_STREQ(
        schema(&b, GK_TYPE_OF(SchRecipe), 0),
        "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
        "\"description\":\"A recipe\",\"properties\":{"
        "\"title\":{\"type\":\"string\",\"description\":\"Name of the dish\"},"
        "\"description\":{\"type\":\"string\"},"
        "\"prepTime\":{\"type\":\"string\",\"description\":\"e.g. 10 minutes\"},"
        "\"cookTime\":{\"type\":\"string\"},"
        "\"servings\":{\"type\":\"integer\",\"minimum\":1,\"default\":2},"
        "\"difficulty\":{\"type\":\"string\",\"enum\":[\"easy\",\"medium\",\"hard\"],"
        "\"description\":\"How hard the recipe is\",\"default\":\"easy\"},"
        "\"ingredients\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1},"
        "\"instructions\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
        "\"tips\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
        "\"rating\":{\"type\":\"number\",\"minimum\":0,\"maximum\":5}},"
        "\"required\":[\"title\",\"description\",\"prepTime\",\"cookTime\",\"ingredients\","
        "\"instructions\"],\"additionalProperties\":false}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(SchRecipeInput), GK_SCHEMA_NO_META),
                 "{\"type\":\"object\",\"description\":\"What to cook\",\"properties\":{"
                 "\"ingredient\":{\"type\":\"string\",\"description\":\"Main ingredient\","
                 "\"minLength\":1},"
                 "\"dietaryRestrictions\":{\"type\":\"array\",\"description\":\"e.g. vegetarian\","
                 "\"items\":{\"type\":\"string\"}}},"
                 "\"required\":[\"ingredient\"],\"additionalProperties\":false}");
    gk_buf_release(&b);
}

TEST(schema_writes_constraints_and_defaults)
{
    gk_buf b = GK_BUF_INIT(0);

    EXPECT_STREQ(
        schema(&b, GK_TYPE_OF(SchLimits), GK_SCHEMA_NO_META),
        "{\"type\":\"object\",\"properties\":{"
        "\"small\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10,\"default\":5},"
        "\"big\":{\"type\":\"integer\",\"minimum\":-1},"
        "\"ratio\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
        "\"code\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4,\"default\":\"abc\"},"
        "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":3},"
        "\"minItems\":1,\"maxItems\":3},"
        "\"on\":{\"type\":\"boolean\",\"default\":true},"
        "\"scale\":{\"type\":\"number\",\"default\":1.5}},"
        "\"required\":[\"big\",\"ratio\",\"tags\"],\"additionalProperties\":false}");
    gk_buf_release(&b);
}

TEST(schema_inlines_nested_structs_arrays_of_arrays_and_any)
{
    gk_buf b = GK_BUF_INIT(0);
    const char *step = "{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"},"
                       "\"ingredients\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
                       "\"minutes\":{\"type\":\"integer\",\"minimum\":0}},"
                       "\"required\":[\"text\",\"ingredients\"],\"additionalProperties\":false}";
    const char *out = schema(&b, GK_TYPE_OF(SchAll), GK_SCHEMA_NO_META);

    EXPECT_TRUE(strstr(out, "\"$schema\"") == NULL);
    EXPECT_CONTAINS(out, "\"step\":");
    EXPECT_CONTAINS(out, step);
    EXPECT_CONTAINS(out, "\"stepOpt\":{\"type\":\"object\",\"description\":\"An optional step\",");
    EXPECT_CONTAINS(out, "\"any\":{},\"anyOpt\":{},");
    EXPECT_CONTAINS(out, "\"anys\":{\"type\":\"array\",\"items\":{}}");
    EXPECT_CONTAINS(out, "\"matrix\":{\"type\":\"array\",\"items\":{\"type\":\"array\","
                         "\"description\":\"A row\",\"items\":{\"type\":\"integer\"}}}");
    EXPECT_CONTAINS(out, "\"levels\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
                         "\"enum\":[\"easy\",\"medium\",\"hard\"]");
    EXPECT_CONTAINS(out, "\"required\":[\"s\",\"i32\",\"i64\",\"num\",\"flag\",\"level\",\"step\","
                         "\"any\",\"steps\",\"ints\",\"nums\",\"flags\",\"levels\",\"anys\","
                         "\"matrix\"],\"additionalProperties\":false}");
    EXPECT_FALSE(strstr(out, "$ref") != NULL);
    gk_buf_release(&b);
}

TEST(schema_of_builtin_roots)
{
    gk_buf b = GK_BUF_INIT(0);

    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_text), 0),
                 "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\","
                 "\"type\":\"string\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_int), GK_SCHEMA_NO_META), "{\"type\":\"integer\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_int32), GK_SCHEMA_NO_META), "{\"type\":\"integer\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_number), GK_SCHEMA_NO_META), "{\"type\":\"number\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_bool), GK_SCHEMA_NO_META), "{\"type\":\"boolean\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_json), 0),
                 "{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\"}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_json_ref), GK_SCHEMA_NO_META), "{}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(gk_text_array), GK_SCHEMA_NO_META),
                 "{\"type\":\"array\",\"items\":{\"type\":\"string\"}}");
    EXPECT_STREQ(schema(&b, GK_TYPE_OF(SchDifficulty), GK_SCHEMA_NO_META),
                 "{\"type\":\"string\",\"enum\":[\"easy\",\"medium\",\"hard\"],"
                 "\"description\":\"How hard the recipe is\"}");
    EXPECT_STREQ(schema(&b, NULL, 0), "{}");
    gk_buf_release(&b);
}

TEST(schema_of_a_cyclic_descriptor_fails_the_buffer)
{
    gk_buf b = GK_BUF_INIT(0);
    static gk_type loop = {.kind = GK_KIND_ARRAY, .size = 2 * sizeof(void *), .name = "Loop"};
    loop.elem = &loop;

    EXPECT_STREQ(schema(&b, &loop, GK_SCHEMA_NO_META), "(failed)");
    gk_buf_release(&b);
}

TEST(schema_output_parses_as_json)
{
    gk_arena *a = gk_arena_new(0);
    gk_buf b = GK_BUF_INIT(0);
    gk_error err = {0};
    gk_json *doc = NULL;
    const char *out = schema(&b, GK_TYPE_OF(SchAll), 0);

    ASSERT_EQ(gk_json_parse(a, out, strlen(out), NULL, &doc, &err), GK_OK);
    const gk_json *props = gk_json_get(doc, "properties");
    ASSERT_TRUE(props != NULL);
    EXPECT_EQ(props->count, GK_TYPE_OF(SchAll)->field_count);
    gk_buf_release(&b);
    gk_arena_free(a);
}
