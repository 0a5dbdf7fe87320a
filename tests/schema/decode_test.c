/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/decode_test.c - gk_decode and gk_decode_text: every kind, every error with its exact
 * path and message, defaults, optional presence, limits, and what the parser rejects. */
#include <stdlib.h>
#include <string.h>

#include <genkit/schema.h>

#include "schema_types.h"
#include "test.h"

static gk_status decode(gk_arena *a, const gk_type *t, const char *text, void *out, gk_error *err)
{
    gk_error_clear(err);
    return gk_decode_text(a, t, text, strlen(text), out, err);
}

/* doc with the first occurrence of from replaced by to, in a. */
static const char *replace(gk_arena *a, const char *doc, const char *from, const char *to)
{
    const char *at = strstr(doc, from);
    if (!at)
        return NULL;
    size_t pre = (size_t)(at - doc);
    return gk_arena_sprintf(a, "%.*s%s%s", (int)pre, doc, to, at + strlen(from));
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return false;
    }
    return true;
}

TEST(decode_fills_every_kind)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchAll v;

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchAll), sch_all_json, &v, &err), GK_OK);

    EXPECT_STREQ(v.s, "hello");
    EXPECT_STREQ(v.s_opt, "there");
    EXPECT_EQ(v.i32, -7);
    EXPECT_TRUE(v.has_i32_opt);
    EXPECT_EQ(v.i32_opt, 2147483647);
    EXPECT_EQ(v.i64, INT64_MIN);
    EXPECT_TRUE(v.has_i64_opt);
    EXPECT_EQ(v.i64_opt, INT64_MAX);
    EXPECT_TRUE(v.num == 2.5);
    EXPECT_TRUE(v.has_num_opt);
    EXPECT_TRUE(v.num_opt == -0.125);
    EXPECT_TRUE(v.flag);
    EXPECT_TRUE(v.has_flag_opt);
    EXPECT_FALSE(v.flag_opt);
    EXPECT_EQ(v.level, SCH_HARD);
    EXPECT_TRUE(v.has_level_opt);
    EXPECT_EQ(v.level_opt, SCH_MEDIUM);
    EXPECT_STREQ(v.step.text, "boil");
    ASSERT_EQ(v.step.ingredients.count, 1);
    EXPECT_STREQ(v.step.ingredients.items[0], "water");
    EXPECT_TRUE(v.step.has_minutes);
    EXPECT_EQ(v.step.minutes, 10);
    EXPECT_TRUE(v.has_step_opt);
    EXPECT_STREQ(v.step_opt.text, "serve");
    EXPECT_TRUE(v.step_opt.ingredients.items != NULL);
    EXPECT_EQ(v.step_opt.ingredients.count, 0);
    EXPECT_FALSE(v.step_opt.has_minutes);
    ASSERT_TRUE(v.any != NULL);
    EXPECT_EQ(v.any->type, GK_JSON_OBJECT);
    EXPECT_EQ(gk_json_get(v.any, "k")->count, 3);
    /* JSON fields keep null as a value: null is not "absent" for any-JSON. */
    ASSERT_TRUE(v.any_opt != NULL);
    EXPECT_EQ(v.any_opt->type, GK_JSON_NULL);
    ASSERT_EQ(v.steps.count, 2);
    EXPECT_STREQ(v.steps.items[0].text, "a");
    ASSERT_EQ(v.steps.items[0].ingredients.count, 2);
    EXPECT_STREQ(v.steps.items[0].ingredients.items[1], "y");
    EXPECT_STREQ(v.steps.items[1].text, "b");
    EXPECT_EQ(v.steps.items[1].ingredients.count, 0);
    ASSERT_EQ(v.ints.count, 3);
    EXPECT_EQ(v.ints.items[0] + v.ints.items[1] + v.ints.items[2], 6);
    ASSERT_EQ(v.nums.count, 2);
    EXPECT_TRUE(v.nums.items[1] == 1000.0);
    ASSERT_EQ(v.flags.count, 2);
    EXPECT_TRUE(v.flags.items[0] && !v.flags.items[1]);
    ASSERT_EQ(v.levels.count, 2);
    EXPECT_EQ(v.levels.items[1], SCH_HARD);
    ASSERT_EQ(v.anys.count, 4);
    EXPECT_EQ(v.anys.items[0].type, GK_JSON_NUMBER);
    EXPECT_EQ(v.anys.items[3].type, GK_JSON_OBJECT);
    ASSERT_EQ(v.matrix.count, 3);
    ASSERT_EQ(v.matrix.items[0].count, 2);
    EXPECT_EQ(v.matrix.items[0].items[1], 2);
    EXPECT_EQ(v.matrix.items[1].count, 0);
    EXPECT_EQ(v.matrix.items[2].items[0], 3);
    EXPECT_TRUE(v.tags_opt.items != NULL);
    EXPECT_EQ(v.tags_opt.count, 0);
    gk_arena_free(a);
}

TEST(decode_leaves_absent_and_null_optionals_unset)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchAll v;
    const char *doc = sch_all_json;
    doc = replace(a, doc, "\"sOpt\":\"there\"", "\"sOpt\":null");
    doc = replace(a, doc, "\"i32Opt\":2147483647,", "");
    doc = replace(a, doc, "\"i64Opt\":9223372036854775807", "\"i64Opt\":null");
    doc = replace(a, doc, "\"numOpt\":-0.125,", "");
    doc = replace(a, doc, "\"flagOpt\":false", "\"flagOpt\":null");
    doc = replace(a, doc, "\"levelOpt\":\"medium\",", "");
    doc =
        replace(a, doc, "\"stepOpt\":{\"text\":\"serve\",\"ingredients\":[]}", "\"stepOpt\":null");
    doc = replace(a, doc, "\"anyOpt\":null,", "");
    doc = replace(a, doc, ",\"tagsOpt\":[]", "");
    ASSERT_TRUE(doc != NULL);

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchAll), doc, &v, &err), GK_OK);

    EXPECT_TRUE(v.s_opt == NULL);
    EXPECT_FALSE(v.has_i32_opt);
    EXPECT_FALSE(v.has_i64_opt);
    EXPECT_FALSE(v.has_num_opt);
    EXPECT_FALSE(v.has_flag_opt);
    EXPECT_FALSE(v.has_level_opt);
    EXPECT_FALSE(v.has_step_opt);
    EXPECT_TRUE(v.step_opt.text == NULL);
    EXPECT_TRUE(v.any_opt == NULL);
    EXPECT_TRUE(v.tags_opt.items == NULL);
    EXPECT_EQ(v.tags_opt.count, 0);
    gk_arena_free(a);
}

struct bad_case {
    const char *from; /* text in sch_all_json */
    const char *to;   /* what replaces it */
    const char *path;
    const char *message;
};

static const struct bad_case bad_cases[] = {
    {"\"s\":\"hello\"", "\"s\":5", "/s", "expected string, got number"},
    {"\"s\":\"hello\",", "", "/s", "missing required field"},
    {"\"s\":\"hello\"", "\"s\":null", "/s", "expected string, got null"},
    {"\"s\":\"hello\"", "\"s\":\"a\\u0000b\"", "/s", "string contains a NUL character"},
    {"\"sOpt\":\"there\"", "\"sOpt\":[]", "/sOpt", "expected string, got array"},
    {"\"i32\":-7", "\"i32\":\"7\"", "/i32", "expected integer, got string"},
    {"\"i32\":-7", "\"i32\":3.5", "/i32", "expected integer, got 3.5"},
    {"\"i32\":-7", "\"i32\":2147483648", "/i32", "integer out of range"},
    {"\"i32\":-7", "\"i32\":-2147483649", "/i32", "integer out of range"},
    {"\"i32Opt\":2147483647", "\"i32Opt\":1.5e0", "/i32Opt", "expected integer, got 1.5e0"},
    {"\"i64\":-9223372036854775808", "\"i64\":-9223372036854775809", "/i64",
     "integer out of range"},
    {"\"i64Opt\":9223372036854775807", "\"i64Opt\":9223372036854775808", "/i64Opt",
     "integer out of range"},
    {"\"i64\":-9223372036854775808", "\"i64\":1e19", "/i64", "integer out of range"},
    {"\"num\":2.5", "\"num\":true", "/num", "expected number, got boolean"},
    {"\"numOpt\":-0.125", "\"numOpt\":\"1\"", "/numOpt", "expected number, got string"},
    {"\"flag\":true", "\"flag\":\"true\"", "/flag", "expected boolean, got string"},
    {"\"flag\":true", "\"flag\":1", "/flag", "expected boolean, got number"},
    {"\"level\":\"hard\"", "\"level\":\"extreme\"", "/level",
     "value \"extreme\" is not one of: easy, medium, hard"},
    {"\"level\":\"hard\"", "\"level\":2", "/level", "expected string, got number"},
    {"\"levelOpt\":\"medium\"", "\"levelOpt\":\"MEDIUM\"", "/levelOpt",
     "value \"MEDIUM\" is not one of: easy, medium, hard"},
    {"\"level\":\"hard\"", "\"level\":\"ha\\u0000rd\"", "/level",
     "string contains a NUL character"},
    {"\"step\":{\"text\":\"boil\"", "\"step\":{\"text\":1", "/step/text",
     "expected string, got number"},
    {"\"step\":{\"text\":\"boil\",\"ingredients\":[\"water\"],\"minutes\":10}", "\"step\":[]",
     "/step", "expected object, got array"},
    {"\"minutes\":10", "\"minutes\":-1", "/step/minutes", "must be >= 0"},
    {"\"stepOpt\":{\"text\":\"serve\",\"ingredients\":[]}", "\"stepOpt\":{\"text\":\"serve\"}",
     "/stepOpt/ingredients", "missing required field"},
    {"\"any\":{\"k\":[1,\"two\",null]},", "", "/any", "missing required field"},
    {"{\"text\":\"b\",\"ingredients\":[]}", "{\"text\":\"b\",\"ingredients\":[\"ok\",7]}",
     "/steps/1/ingredients/1", "expected string, got number"},
    {"\"ints\":[1,2,3]", "\"ints\":[1,2,\"3\"]", "/ints/2", "expected integer, got string"},
    {"\"nums\":[0.5,1e3]", "\"nums\":{}", "/nums", "expected array, got object"},
    {"\"flags\":[true,false]", "\"flags\":[true,null]", "/flags/1", "expected boolean, got null"},
    {"\"levels\":[\"easy\",\"hard\"]", "\"levels\":[\"easy\",\"x\"]", "/levels/1",
     "value \"x\" is not one of: easy, medium, hard"},
    {"\"matrix\":[[1,2],[],[3]]", "\"matrix\":[[1,2],[],[3,\"4\"]]", "/matrix/2/1",
     "expected integer, got string"},
    {"\"matrix\":[[1,2],[],[3]]", "\"matrix\":[[1,2],{}]", "/matrix/1",
     "expected array, got object"},
    {"\"tagsOpt\":[]", "\"tagsOpt\":[1]", "/tagsOpt/0", "expected string, got number"},
    {"\"steps\":[", "\"steps\":null,\"x\":[", "/steps", "expected array, got null"},
};

TEST(decode_reports_each_error_with_its_path_and_message)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad_case *c = &bad_cases[i];
        gk_arena *a = gk_arena_new(0);
        gk_error err = {0};
        SchAll v;
        const char *doc = replace(a, sch_all_json, c->from, c->to);
        if (!doc) {
            gk_test_fail(__FILE__, __LINE__, "case %zu: %s not in the document", i, c->from);
            gk_arena_free(a);
            continue;
        }

        gk_status st = decode(a, GK_TYPE_OF(SchAll), doc, &v, &err);

        if (st != GK_INVALID_ARGUMENT || strcmp(err.path, c->path) != 0 ||
            strcmp(err.message, c->message) != 0)
            gk_test_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\" \"%s\", want \"%s\" \"%s\"",
                         i, (int)st, err.path, err.message, c->path, c->message);
        EXPECT_TRUE(all_zero(&v, sizeof(v)));
        gk_arena_free(a);
    }
}

TEST(decode_accepts_integral_numbers_in_any_notation)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchAll v;
    const char *doc = replace(a, sch_all_json, "\"i32\":-7", "\"i32\":3.0");
    doc = replace(a, doc, "\"i64\":-9223372036854775808", "\"i64\":1e2");
    doc = replace(a, doc, "\"ints\":[1,2,3]", "\"ints\":[-0.0,2E1,-2147483648]");

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchAll), doc, &v, &err), GK_OK);

    EXPECT_EQ(v.i32, 3);
    EXPECT_EQ(v.i64, 100);
    ASSERT_EQ(v.ints.count, 3);
    EXPECT_EQ(v.ints.items[0], 0);
    EXPECT_EQ(v.ints.items[1], 20);
    EXPECT_EQ(v.ints.items[2], INT32_MIN);
    gk_arena_free(a);
}

TEST(decode_applies_defaults_for_absent_and_null_fields)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchLimits v;

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchLimits),
                     "{\"big\":0,\"ratio\":0.5,\"tags\":[\"x\"],\"small\":null}", &v, &err),
              GK_OK);

    EXPECT_EQ(v.small, 5);
    EXPECT_STREQ(v.code, "abc");
    EXPECT_TRUE(v.has_on);
    EXPECT_TRUE(v.on);
    EXPECT_TRUE(v.scale == 1.5);
    gk_arena_free(a);
}

TEST(decode_keeps_given_values_over_defaults)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchLimits v;

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchLimits),
                     "{\"small\":10,\"big\":-1,\"ratio\":1,\"code\":\"\xc3\xa9\xc3\xa9\xc3\xa9\","
                     "\"tags\":[\"\xc3\xa9t\xc3\xa9\",\"b\",\"c\"],\"on\":false,\"scale\":-2}",
                     &v, &err),
              GK_OK);

    EXPECT_EQ(v.small, 10);
    EXPECT_EQ(v.big, -1);
    EXPECT_TRUE(v.ratio == 1.0);
    EXPECT_STREQ(v.code, "\xc3\xa9\xc3\xa9\xc3\xa9");
    EXPECT_EQ(v.tags.count, 3);
    EXPECT_TRUE(v.has_on);
    EXPECT_FALSE(v.on);
    EXPECT_TRUE(v.scale == -2.0);
    gk_arena_free(a);
}

struct limit_case {
    const char *json;
    const char *path;
    const char *message;
};

static const struct limit_case limit_cases[] = {
    {"{\"small\":0,\"big\":0,\"ratio\":0,\"tags\":[\"a\"]}", "/small", "must be >= 1"},
    {"{\"small\":11,\"big\":0,\"ratio\":0,\"tags\":[\"a\"]}", "/small", "must be <= 10"},
    {"{\"big\":-2,\"ratio\":0,\"tags\":[\"a\"]}", "/big", "must be >= -1"},
    {"{\"big\":0,\"ratio\":1.5,\"tags\":[\"a\"]}", "/ratio", "must be <= 1"},
    {"{\"big\":0,\"ratio\":-0.25,\"tags\":[\"a\"]}", "/ratio", "must be >= 0"},
    {"{\"big\":0,\"ratio\":0,\"tags\":[\"a\"],\"code\":\"a\"}", "/code",
     "must be at least 2 characters long"},
    {"{\"big\":0,\"ratio\":0,\"tags\":[\"a\"],\"code\":\"abcde\"}", "/code",
     "must be at most 4 characters long"},
    {"{\"big\":0,\"ratio\":0,\"tags\":[]}", "/tags", "must have at least 1 item"},
    {"{\"big\":0,\"ratio\":0,\"tags\":[\"a\",\"b\",\"c\",\"d\"]}", "/tags",
     "must have at most 3 items"},
    {"{\"big\":0,\"ratio\":0,\"tags\":[\"abcd\"]}", "/tags/0", "must be at most 3 characters long"},
    {"{\"big\":0,\"ratio\":0}", "/tags", "missing required field"},
    {"{\"big\":0,\"tags\":[\"a\"]}", "/ratio", "missing required field"},
    {"[]", "", "expected object, got array"},
    {"null", "", "expected object, got null"},
};

TEST(decode_enforces_minimum_maximum_lengths_and_items)
{
    for (size_t i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
        const struct limit_case *c = &limit_cases[i];
        gk_arena *a = gk_arena_new(0);
        gk_error err = {0};
        SchLimits v;

        gk_status st = decode(a, GK_TYPE_OF(SchLimits), c->json, &v, &err);

        if (st != GK_INVALID_ARGUMENT || strcmp(err.path, c->path) != 0 ||
            strcmp(err.message, c->message) != 0)
            gk_test_fail(__FILE__, __LINE__, "case %zu: got %d \"%s\" \"%s\", want \"%s\" \"%s\"",
                         i, (int)st, err.path, err.message, c->path, c->message);
        gk_arena_free(a);
    }
}

TEST(decode_recipe_applies_defaults_and_optional_presence)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchRecipe r;

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchRecipe),
                     "{\"title\":\"Soup\",\"description\":\"Warm\",\"prepTime\":\"5 min\","
                     "\"cookTime\":\"20 min\",\"ingredients\":[\"water\",\"salt\"],"
                     "\"instructions\":[\"boil\"],\"unknown\":{\"ignored\":true}}",
                     &r, &err),
              GK_OK);

    EXPECT_STREQ(r.title, "Soup");
    EXPECT_STREQ(r.cook_time, "20 min");
    EXPECT_EQ(r.servings, 2);
    EXPECT_EQ(r.difficulty, SCH_EASY);
    EXPECT_EQ(r.ingredients.count, 2);
    EXPECT_STREQ(r.ingredients.items[1], "salt");
    EXPECT_TRUE(r.tips.items == NULL);
    EXPECT_FALSE(r.has_rating);
    gk_arena_free(a);
}

TEST(decode_members_in_any_order)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchRecipe r;

    ASSERT_EQ(decode(a, GK_TYPE_OF(SchRecipe),
                     "{\"rating\":4.5,\"tips\":[\"t\"],\"instructions\":[],\"ingredients\":[\"i\"],"
                     "\"difficulty\":\"hard\",\"servings\":4,\"cookTime\":\"c\",\"prepTime\":\"p\","
                     "\"description\":\"d\",\"title\":\"t\"}",
                     &r, &err),
              GK_OK);

    EXPECT_STREQ(r.title, "t");
    EXPECT_STREQ(r.prep_time, "p");
    EXPECT_EQ(r.servings, 4);
    EXPECT_EQ(r.difficulty, SCH_HARD);
    EXPECT_TRUE(r.has_rating);
    EXPECT_TRUE(r.rating == 4.5);
    EXPECT_EQ(r.tips.count, 1);
    gk_arena_free(a);
}

TEST(decode_strict_type_rejects_unknown_fields_with_an_escaped_path)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchStrict v;

    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"n\",\"a/b~c\":1}", &v, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/a~1b~0c");
    EXPECT_STREQ(err.message, "unknown field \"a/b~c\"");
    EXPECT_TRUE(v.name == NULL);

    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"n\"}", &v, &err), GK_OK);
    EXPECT_STREQ(v.name, "n");
    gk_arena_free(a);
}

TEST(decode_quotes_long_enum_values_shortened)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchDifficulty d;

    EXPECT_EQ(decode(a, GK_TYPE_OF(SchDifficulty),
                     "\"0123456789012345678901234567890123456789012345678901234567890123\"", &d,
                     &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "");
    EXPECT_STREQ(err.message, "value \"01234567890123456789012345678901234567890123...\" is not "
                              "one of: easy, medium, hard");
    EXPECT_EQ(decode(a, GK_TYPE_OF(SchDifficulty), "\"a\\nb\"", &d, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "value \"a?b\" is not one of: easy, medium, hard");
    gk_arena_free(a);
}

TEST(decode_roots_of_every_builtin_type)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_text s = NULL;
    gk_int i = 0;
    gk_int32 i32 = 0;
    gk_number n = 0;
    gk_bool b = false;
    gk_json j;
    gk_json_ref r = NULL;
    gk_text_array arr;

    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_text), "\"hi\"", &s, &err), GK_OK);
    EXPECT_STREQ(s, "hi");
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_int), "-42", &i, &err), GK_OK);
    EXPECT_EQ(i, -42);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_int32), "7", &i32, &err), GK_OK);
    EXPECT_EQ(i32, 7);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_number), "0.25", &n, &err), GK_OK);
    EXPECT_TRUE(n == 0.25);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_bool), "true", &b, &err), GK_OK);
    EXPECT_TRUE(b);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_json), "{\"x\":[1]}", &j, &err), GK_OK);
    EXPECT_EQ(j.type, GK_JSON_OBJECT);
    EXPECT_EQ(j.count, 1);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_json_ref), "[true]", &r, &err), GK_OK);
    ASSERT_TRUE(r != NULL);
    EXPECT_EQ(r->type, GK_JSON_ARRAY);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_text_array), "[\"a\",\"b\"]", &arr, &err), GK_OK);
    ASSERT_EQ(arr.count, 2);
    EXPECT_STREQ(arr.items[1], "b");

    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_text), "1", &s, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "");
    EXPECT_STREQ(err.message, "expected string, got number");
    EXPECT_TRUE(s == NULL);
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_text_array), "[\"a\",false]", &arr, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/1");
    EXPECT_EQ(arr.count, 0);
    gk_arena_free(a);
}

TEST(decode_null_tree_is_json_null)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_json j;
    SchStrict v;

    EXPECT_EQ(gk_decode(a, GK_TYPE_OF(gk_json), NULL, &j, &err), GK_OK);
    EXPECT_EQ(j.type, GK_JSON_NULL);
    EXPECT_EQ(gk_decode(a, GK_TYPE_OF(SchStrict), NULL, &v, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "expected object, got null");
    EXPECT_EQ(gk_decode(a, NULL, NULL, &v, &err), GK_INVALID_ARGUMENT);
    gk_arena_free(a);
}

TEST(decode_of_a_built_tree_needs_no_parser)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchStrict v;
    gk_json *o = gk_json_new_object(a);
    ASSERT_TRUE(gk_json_object_set(a, o, "name", gk_json_new_string(a, "built", 5)));

    EXPECT_EQ(gk_decode(a, GK_TYPE_OF(SchStrict), o, &v, NULL), GK_OK);
    EXPECT_STREQ(v.name, "built");

    ASSERT_TRUE(gk_json_object_set(a, o, "name", gk_json_new_double(a, 2.5)));
    EXPECT_EQ(gk_decode(a, GK_TYPE_OF(SchStrict), o, &v, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/name");
    gk_arena_free(a);
}

TEST(decode_text_reports_parser_errors_invalid_utf8_duplicates_depth)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    SchStrict v;
    gk_json j;
    char deep[200];

    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"\xff\"}", &v, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "invalid UTF-8");
    EXPECT_STREQ(err.path, "");
    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"\xed\xa0\x80\"}", &v, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "UTF-8");
    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"a\",\"name\":\"b\"}", &v, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "duplicate key \"name\"");
    EXPECT_EQ(decode(a, GK_TYPE_OF(SchStrict), "{\"name\":\"a\",}", &v, &err), GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "line 1 column");

    memset(deep, '[', 65);
    memset(deep + 65, ']', 65);
    deep[130] = '\0';
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_json), deep, &j, &err), GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "nesting deeper than 64 levels");
    memset(deep, '[', 64);
    memset(deep + 64, ']', 64);
    deep[128] = '\0';
    EXPECT_EQ(decode(a, GK_TYPE_OF(gk_json), deep, &j, &err), GK_OK);
    EXPECT_EQ(j.type, GK_JSON_ARRAY);
    gk_arena_free(a);
}

TEST(decode_stops_a_cyclic_descriptor_at_the_depth_limit)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    static gk_type nested = {.kind = GK_KIND_ARRAY, .size = 2 * sizeof(void *), .name = "Nested"};
    nested.elem = &nested;
    gk_json_limits limits = {.max_depth = 100};
    gk_json *doc = NULL;
    char text[201];
    memset(text, '[', 100);
    memset(text + 100, ']', 100);
    text[200] = '\0';
    ASSERT_EQ(gk_json_parse(a, text, 200, &limits, &doc, &err), GK_OK);
    GK_ARRAY_OF(void) out;

    EXPECT_EQ(gk_decode(a, &nested, doc, &out, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "nesting deeper than 64 levels");
    EXPECT_EQ(strncmp(err.path, "/0/0/0/0/0/0/0/0", 16), 0);
    EXPECT_EQ(strlen(err.path), 127);
    gk_arena_free(a);
}

TEST(decode_reports_arena_exhaustion)
{
    gk_arena *tree = gk_arena_new(0);
    gk_arena *a = gk_arena_new(1024); /* the output arena: too small for 200 pointers */
    gk_error err = {0};
    gk_text_array arr;
    gk_json *doc = gk_json_new_array(tree);
    gk_json *s = gk_json_new_string(tree, "x", 1);
    ASSERT_TRUE(doc && s);
    for (int i = 0; i < 200; i++)
        ASSERT_TRUE(gk_json_array_push(tree, doc, s));

    gk_status st = gk_decode(a, GK_TYPE_OF(gk_text_array), doc, &arr, &err);

    EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(err.message, "out of memory");
    EXPECT_EQ(arr.count, 0);
    gk_arena_free(a);
    gk_arena_free(tree);
}
