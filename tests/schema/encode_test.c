/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/encode_test.c - gk_encode: exact output, absent optionals, NULL required members,
 * and encode(decode(x)) round trips that are stable byte for byte. */
#include <string.h>

#include <genkit/schema.h>

#include "schema_types.h"
#include "test.h"

/* Encode v as one JSON text into b (reset first). */
static const char *encode(gk_buf *b, const gk_type *t, const void *v)
{
    gk_jw w;
    gk_buf_reset(b);
    gk_jw_init(&w, b);
    gk_encode(&w, t, v);
    return gk_buf_failed(b) ? "(failed)" : b->ptr ? b->ptr : "";
}

TEST(encode_writes_a_recipe_in_field_order)
{
    gk_buf b = GK_BUF_INIT(0);
    const char *ingredients[] = {"water", "salt"};
    const char *steps[] = {"boil"};
    SchRecipe r = {.title = "Soup",
                   .description = "Warm \"and\" salty",
                   .prep_time = "5 min",
                   .cook_time = "20 min",
                   .servings = 4,
                   .difficulty = SCH_MEDIUM,
                   .ingredients = {ingredients, 2},
                   .instructions = {steps, 1},
                   .rating = 4.5,
                   .has_rating = true};

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchRecipe), &r),
                 "{\"title\":\"Soup\",\"description\":\"Warm \\\"and\\\" salty\","
                 "\"prepTime\":\"5 min\",\"cookTime\":\"20 min\",\"servings\":4,"
                 "\"difficulty\":\"medium\",\"ingredients\":[\"water\",\"salt\"],"
                 "\"instructions\":[\"boil\"],\"rating\":4.5}");
    gk_buf_release(&b);
}

TEST(encode_omits_absent_optionals_and_fills_null_required_members)
{
    gk_buf b = GK_BUF_INIT(0);
    SchAll v;
    memset(&v, 0, sizeof(v));
    v.level = (SchDifficulty)7; /* not a value of the enum */

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchAll), &v),
                 "{\"s\":\"\",\"i32\":0,\"i64\":0,\"num\":0,\"flag\":false,\"level\":null,"
                 "\"step\":{\"text\":\"\",\"ingredients\":[]},\"any\":null,\"steps\":[],"
                 "\"ints\":[],\"nums\":[],\"flags\":[],\"levels\":[],\"anys\":[],\"matrix\":[]}");
    gk_buf_release(&b);
}

TEST(encode_writes_optionals_that_are_present)
{
    gk_buf b = GK_BUF_INIT(0);
    SchAll v;
    memset(&v, 0, sizeof(v));
    static const char *empty[1];
    v.has_i32_opt = true;
    v.i32_opt = -3;
    v.has_flag_opt = true;
    v.has_level_opt = true;
    v.level_opt = SCH_HARD;
    v.tags_opt.items = empty; /* present and empty */
    v.s_opt = "x";

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchAll), &v),
                 "{\"s\":\"\",\"sOpt\":\"x\",\"i32\":0,\"i32Opt\":-3,\"i64\":0,\"num\":0,"
                 "\"flag\":false,\"flagOpt\":false,\"level\":\"easy\",\"levelOpt\":\"hard\","
                 "\"step\":{\"text\":\"\",\"ingredients\":[]},\"any\":null,\"steps\":[],"
                 "\"ints\":[],\"nums\":[],\"flags\":[],\"levels\":[],\"anys\":[],\"matrix\":[],"
                 "\"tagsOpt\":[]}");
    gk_buf_release(&b);
}

TEST(encode_of_decode_reproduces_canonical_json)
{
    gk_arena *a = gk_arena_new(0);
    gk_buf b = GK_BUF_INIT(0);
    gk_error err = {0};
    SchAll v;
    SchAll again;

    ASSERT_EQ(gk_decode_text(a, GK_TYPE_OF(SchAll), sch_all_json, strlen(sch_all_json), &v, &err),
              GK_OK);
    const char *first = gk_arena_strdup(a, encode(&b, GK_TYPE_OF(SchAll), &v));

    /* The only difference from the input: numbers are written in their shortest form. */
    const char *at = strstr(sch_all_json, "1e3");
    ASSERT_TRUE(at != NULL);
    const char *want =
        gk_arena_sprintf(a, "%.*s1000%s", (int)(at - sch_all_json), sch_all_json, at + 3);
    EXPECT_STREQ(first, want);

    ASSERT_EQ(gk_decode_text(a, GK_TYPE_OF(SchAll), first, strlen(first), &again, &err), GK_OK);
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchAll), &again), first);
    gk_buf_release(&b);
    gk_arena_free(a);
}

TEST(encode_of_decode_writes_defaults)
{
    gk_arena *a = gk_arena_new(0);
    gk_buf b = GK_BUF_INIT(0);
    gk_error err = {0};
    SchLimits v;
    const char *in = "{\"big\":7,\"ratio\":0.5,\"tags\":[\"a\"],\"ignored\":1}";

    ASSERT_EQ(gk_decode_text(a, GK_TYPE_OF(SchLimits), in, strlen(in), &v, &err), GK_OK);

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchLimits), &v),
                 "{\"small\":5,\"big\":7,\"ratio\":0.5,\"code\":\"abc\",\"tags\":[\"a\"],"
                 "\"on\":true,\"scale\":1.5}");
    gk_buf_release(&b);
    gk_arena_free(a);
}

TEST(encode_roots_of_builtin_types)
{
    gk_arena *a = gk_arena_new(0);
    gk_buf b = GK_BUF_INIT(0);
    gk_text s = "a\nb";
    gk_text null_text = NULL;
    gk_int i = INT64_MIN;
    gk_int32 i32 = -1;
    gk_number n = 0.1;
    gk_number nan = __builtin_nan("");
    gk_bool t = true;
    gk_json j = {.type = GK_JSON_BOOL, .boolean = false};
    gk_json_ref r = NULL;
    const char *items[] = {"x"};
    gk_text_array arr = {items, 1};
    gk_json *obj = gk_json_new_object(a);
    ASSERT_TRUE(gk_json_object_set(a, obj, "k", gk_json_new_int(a, 1)));

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_text), &s), "\"a\\nb\"");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_text), &null_text), "\"\"");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_int), &i), "-9223372036854775808");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_int32), &i32), "-1");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_number), &n), "0.1");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_number), &nan), "null");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_bool), &t), "true");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_json), &j), "false");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_json), obj), "{\"k\":1}");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_json_ref), &r), "null");
    r = obj;
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_json_ref), &r), "{\"k\":1}");
    EXPECT_STREQ(encode(&b, GK_TYPE_OF(gk_text_array), &arr), "[\"x\"]");
    EXPECT_STREQ(encode(&b, NULL, &arr), "null");
    gk_buf_release(&b);
    gk_arena_free(a);
}

TEST(encode_into_a_full_buffer_fails_the_buffer)
{
    gk_buf b = GK_BUF_INIT(16);
    const char *ingredients[] = {"water", "salt"};
    SchRecipe r = {.title = "A title longer than sixteen bytes", .ingredients = {ingredients, 2}};

    EXPECT_STREQ(encode(&b, GK_TYPE_OF(SchRecipe), &r), "(failed)");
    gk_buf_release(&b);
}

TEST(encode_nested_in_a_larger_document)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    SchStrict v = {.name = "n"};
    gk_jw_init(&w, &b);

    gk_jw_object_begin(&w);
    gk_jw_key(&w, "result");
    gk_encode(&w, GK_TYPE_OF(SchStrict), &v);
    gk_jw_key(&w, "next");
    gk_jw_int(&w, 1);
    gk_jw_object_end(&w);

    EXPECT_STREQ(b.ptr, "{\"result\":{\"name\":\"n\"},\"next\":1}");
    gk_buf_release(&b);
}
