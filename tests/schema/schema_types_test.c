/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/schema_types_test.c - the shared test descriptors (schema_types.h) and the tests of
 * gk_type_validate, names and sizes. */
#include <stddef.h>
#include <string.h>

#include <genkit/schema.h>

#include "schema_types.h"
#include "test.h"

/* clang-format off */
GK_ENUM_DEFINE(SchDifficulty, "How hard the recipe is", "easy", "medium", "hard");

GK_SCHEMA_DEFINE(SchRecipeInput, "What to cook",
    GK_FIELD_STRING(SchRecipeInput, ingredient, "ingredient", "Main ingredient", GK_MIN_LENGTH(1)),
    GK_FIELD_ARRAY_OPT(SchRecipeInput, dietary_restrictions, "dietaryRestrictions", gk_text,
                       "e.g. vegetarian"));

GK_SCHEMA_DEFINE(SchRecipe, "A recipe",
    GK_FIELD_STRING(SchRecipe, title, "title", "Name of the dish"),
    GK_FIELD_STRING(SchRecipe, description, "description", NULL),
    GK_FIELD_STRING(SchRecipe, prep_time, "prepTime", "e.g. 10 minutes"),
    GK_FIELD_STRING(SchRecipe, cook_time, "cookTime", NULL),
    GK_FIELD_INT(SchRecipe, servings, "servings", NULL, GK_MINIMUM(1), GK_DEFAULT(2)),
    GK_FIELD_ENUM(SchRecipe, difficulty, "difficulty", SchDifficulty, NULL,
                  GK_DEFAULT(SCH_EASY)),
    GK_FIELD_ARRAY(SchRecipe, ingredients, "ingredients", gk_text, NULL, GK_MIN_ITEMS(1)),
    GK_FIELD_ARRAY(SchRecipe, instructions, "instructions", gk_text, NULL),
    GK_FIELD_ARRAY_OPT(SchRecipe, tips, "tips", gk_text, NULL),
    GK_FIELD_NUMBER_OPT(SchRecipe, rating, "rating", NULL, GK_MINIMUM(0), GK_MAXIMUM(5)));

GK_SCHEMA_DEFINE(SchStep, NULL,
    GK_FIELD_STRING(SchStep, text, "text", NULL),
    GK_FIELD_ARRAY(SchStep, ingredients, "ingredients", gk_text, NULL),
    GK_FIELD_INT_OPT(SchStep, minutes, "minutes", NULL, GK_MINIMUM(0)));

GK_ARRAY_DEFINE(SchRow, gk_int, "A row");

GK_SCHEMA_DEFINE(SchAll, "Every kind",
    GK_FIELD_STRING(SchAll, s, "s", NULL),
    GK_FIELD_STRING_OPT(SchAll, s_opt, "sOpt", NULL),
    GK_FIELD_INT(SchAll, i32, "i32", NULL),
    GK_FIELD_INT_OPT(SchAll, i32_opt, "i32Opt", NULL),
    GK_FIELD_INT64(SchAll, i64, "i64", NULL),
    GK_FIELD_INT64_OPT(SchAll, i64_opt, "i64Opt", NULL),
    GK_FIELD_NUMBER(SchAll, num, "num", NULL),
    GK_FIELD_NUMBER_OPT(SchAll, num_opt, "numOpt", NULL),
    GK_FIELD_BOOL(SchAll, flag, "flag", NULL),
    GK_FIELD_BOOL_OPT(SchAll, flag_opt, "flagOpt", NULL),
    GK_FIELD_ENUM(SchAll, level, "level", SchDifficulty, NULL),
    GK_FIELD_ENUM_OPT(SchAll, level_opt, "levelOpt", SchDifficulty, NULL),
    GK_FIELD_STRUCT(SchAll, step, "step", SchStep, NULL),
    GK_FIELD_STRUCT_OPT(SchAll, step_opt, "stepOpt", SchStep, "An optional step"),
    GK_FIELD_JSON(SchAll, any, "any", NULL),
    GK_FIELD_JSON_OPT(SchAll, any_opt, "anyOpt", NULL),
    GK_FIELD_ARRAY(SchAll, steps, "steps", SchStep, NULL),
    GK_FIELD_ARRAY(SchAll, ints, "ints", gk_int32, NULL),
    GK_FIELD_ARRAY(SchAll, nums, "nums", gk_number, NULL),
    GK_FIELD_ARRAY(SchAll, flags, "flags", gk_bool, NULL),
    GK_FIELD_ARRAY(SchAll, levels, "levels", SchDifficulty, NULL),
    GK_FIELD_ARRAY(SchAll, anys, "anys", gk_json, NULL),
    GK_FIELD_ARRAY(SchAll, matrix, "matrix", SchRow, NULL),
    GK_FIELD_ARRAY_OPT(SchAll, tags_opt, "tagsOpt", gk_text, NULL));

GK_SCHEMA_DEFINE(SchLimits, NULL,
    GK_FIELD_INT(SchLimits, small, "small", NULL, GK_MINIMUM(1), GK_MAXIMUM(10), GK_DEFAULT(5)),
    GK_FIELD_INT64(SchLimits, big, "big", NULL, GK_MINIMUM(-1)),
    GK_FIELD_NUMBER(SchLimits, ratio, "ratio", NULL, GK_MINIMUM(0), GK_MAXIMUM(1)),
    GK_FIELD_STRING(SchLimits, code, "code", NULL, GK_MIN_LENGTH(2), GK_MAX_LENGTH(4),
                    GK_DEFAULT("abc")),
    GK_FIELD_ARRAY(SchLimits, tags, "tags", gk_text, NULL, GK_MIN_ITEMS(1), GK_MAX_ITEMS(3),
                   GK_MAX_LENGTH(3)),
    GK_FIELD_BOOL_OPT(SchLimits, on, "on", NULL, GK_DEFAULT(true)),
    GK_FIELD_NUMBER(SchLimits, scale, "scale", NULL, GK_DEFAULT(1.5)));

GK_SCHEMA_DEFINE_STRICT(SchStrict, NULL, GK_FIELD_STRING(SchStrict, name, "name", NULL));
/* clang-format on */

const char sch_all_json[] =
    "{\"s\":\"hello\",\"sOpt\":\"there\",\"i32\":-7,\"i32Opt\":2147483647,"
    "\"i64\":-9223372036854775808,\"i64Opt\":9223372036854775807,\"num\":2.5,\"numOpt\":-0.125,"
    "\"flag\":true,\"flagOpt\":false,\"level\":\"hard\",\"levelOpt\":\"medium\","
    "\"step\":{\"text\":\"boil\",\"ingredients\":[\"water\"],\"minutes\":10},"
    "\"stepOpt\":{\"text\":\"serve\",\"ingredients\":[]},"
    "\"any\":{\"k\":[1,\"two\",null]},\"anyOpt\":null,"
    "\"steps\":[{\"text\":\"a\",\"ingredients\":[\"x\",\"y\"]},{\"text\":\"b\",\"ingredients\":[]}]"
    ","
    "\"ints\":[1,2,3],\"nums\":[0.5,1e3],\"flags\":[true,false],\"levels\":[\"easy\",\"hard\"],"
    "\"anys\":[1,\"a\",[],{}],\"matrix\":[[1,2],[],[3]],\"tagsOpt\":[]}";

/* ---- gk_type_validate ---- */

TEST(schema_validate_accepts_every_test_descriptor)
{
    gk_error err = {0};
    const gk_type *types[] = {
        GK_TYPE_OF(SchDifficulty), GK_TYPE_OF(SchRecipeInput), GK_TYPE_OF(SchRecipe),
        GK_TYPE_OF(SchStep),       GK_TYPE_OF(SchRow),         GK_TYPE_OF(SchAll),
        GK_TYPE_OF(SchLimits),     GK_TYPE_OF(SchStrict),      GK_TYPE_OF(gk_text),
        GK_TYPE_OF(gk_int32),      GK_TYPE_OF(gk_int),         GK_TYPE_OF(gk_number),
        GK_TYPE_OF(gk_bool),       GK_TYPE_OF(gk_json),        GK_TYPE_OF(gk_json_ref),
        GK_TYPE_OF(gk_text_array),
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        EXPECT_EQ(gk_type_validate(types[i], &err), GK_OK);
        EXPECT_STREQ(err.message, "");
    }
}

TEST(schema_descriptor_records_names_offsets_and_sizes)
{
    const gk_type *t = GK_TYPE_OF(SchRecipe);
    EXPECT_EQ(t->kind, GK_KIND_STRUCT);
    EXPECT_STREQ(gk_type_name(t), "SchRecipe");
    EXPECT_EQ(gk_type_size(t), sizeof(SchRecipe));
    EXPECT_EQ(t->field_count, 10);
    EXPECT_STREQ(t->fields[2].name, "prepTime");
    EXPECT_EQ(t->fields[2].name_len, 8);
    EXPECT_EQ(t->fields[2].offset, offsetof(SchRecipe, prep_time));
    EXPECT_TRUE(t->fields[6].is_array);
    EXPECT_EQ(t->fields[6].min_items, 1);
    EXPECT_TRUE(t->fields[9].has_presence);
    EXPECT_EQ(t->fields[9].presence_offset, offsetof(SchRecipe, has_rating));
    EXPECT_EQ(t->fields[4].default_int, 2);
    EXPECT_EQ(GK_TYPE_OF(SchDifficulty)->value_count, 3);
    EXPECT_STREQ(gk_type_name(NULL), "");
    EXPECT_EQ(gk_type_size(NULL), 0);
    EXPECT_STREQ(gk_kind_name(GK_KIND_INT64), "integer");
    EXPECT_STREQ(gk_kind_name(GK_KIND_JSON), "any");
    EXPECT_STREQ(gk_kind_name((gk_kind)0), "invalid");
}

/* Descriptors the macros accept but that make no sense: gk_type_validate catches them. */
typedef struct SchBad {
    int n;
    const char *s;
    double d;
    GK_ARRAY_OF(gk_text) list;
} SchBad;

static gk_status validate_fields(const gk_field *fields, size_t n, gk_error *err)
{
    gk_type t = {.kind = GK_KIND_STRUCT,
                 .size = sizeof(SchBad),
                 .name = "SchBad",
                 .fields = fields,
                 .field_count = n};
    return gk_type_validate(&t, err);
}

TEST(schema_validate_rejects_a_default_of_the_wrong_kind)
{
    gk_error err = {0};
    static const gk_field int_with_string[] = {
        GK_FIELD_INT(SchBad, n, "n", NULL, GK_DEFAULT("three")),
    };
    static const gk_field string_with_int[] = {
        GK_FIELD_STRING(SchBad, s, "s", NULL, GK_DEFAULT(3)),
    };
    static const gk_field int_with_fraction[] = {
        GK_FIELD_INT(SchBad, n, "n", NULL, GK_DEFAULT(2.5)),
    };
    static const gk_field array_with_default[] = {
        GK_FIELD_ARRAY(SchBad, list, "list", gk_text, NULL, GK_DEFAULT("x")),
    };

    EXPECT_EQ(validate_fields(int_with_string, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: default is a string but the field is not");
    EXPECT_EQ(validate_fields(string_with_int, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.s: default of a string field must be a string");
    EXPECT_EQ(validate_fields(int_with_fraction, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: default of an integer field must be an integer");
    EXPECT_EQ(validate_fields(array_with_default, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.list: arrays cannot have a default");
}

TEST(schema_validate_rejects_constraints_that_do_not_fit)
{
    gk_error err = {0};
    static const gk_field min_over_max[] = {
        GK_FIELD_NUMBER(SchBad, d, "d", NULL, GK_MINIMUM(2), GK_MAXIMUM(1)),
    };
    static const gk_field length_on_int[] = {
        GK_FIELD_INT(SchBad, n, "n", NULL, GK_MAX_LENGTH(3)),
    };
    static const gk_field minimum_on_string[] = {
        GK_FIELD_STRING(SchBad, s, "s", NULL, GK_MINIMUM(3)),
    };
    static const gk_field items_on_string[] = {
        GK_FIELD_STRING(SchBad, s, "s", NULL, GK_MIN_ITEMS(3)),
    };
    static const gk_field default_below_minimum[] = {
        GK_FIELD_INT(SchBad, n, "n", NULL, GK_MINIMUM(1), GK_DEFAULT(0)),
    };
    static const gk_field default_too_long[] = {
        GK_FIELD_STRING(SchBad, s, "s", NULL, GK_MAX_LENGTH(2), GK_DEFAULT("abc")),
    };

    EXPECT_EQ(validate_fields(min_over_max, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.d: minimum is greater than maximum");
    EXPECT_EQ(validate_fields(length_on_int, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: min/max length need a string");
    EXPECT_EQ(validate_fields(minimum_on_string, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.s: minimum/maximum need a number or integer");
    EXPECT_EQ(validate_fields(items_on_string, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.s: min/max items need an array");
    EXPECT_EQ(validate_fields(default_below_minimum, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: default is outside minimum/maximum");
    EXPECT_EQ(validate_fields(default_too_long, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.s: default does not fit the length limits");
}

TEST(schema_validate_rejects_duplicate_names_and_bad_layouts)
{
    gk_error err = {0};
    static const gk_field dup[] = {
        GK_FIELD_INT(SchBad, n, "x", NULL),
        GK_FIELD_STRING(SchBad, s, "x", NULL),
    };
    /* An optional int without a has_ flag cannot say "absent". */
    static const gk_field no_presence[] = {
        {.name = "n",
         .name_len = 1,
         .offset = offsetof(SchBad, n),
         .type = &gk_int32__gk_type,
         .optional = true},
    };
    static const gk_field outside[] = {
        {.name = "n", .name_len = 1, .offset = sizeof(SchBad), .type = &gk_int32__gk_type},
    };
    static const gk_field wrong_len[] = {
        {.name = "n", .name_len = 2, .offset = 0, .type = &gk_int32__gk_type},
    };

    EXPECT_EQ(validate_fields(dup, 2, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.x: duplicate field name");
    EXPECT_EQ(validate_fields(no_presence, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: optional integer needs a has_ presence flag");
    EXPECT_EQ(validate_fields(outside, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: member lies outside the struct");
    EXPECT_EQ(validate_fields(wrong_len, 1, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "SchBad.n: name_len does not match the name");
}

TEST(schema_validate_rejects_cycles_bad_enums_and_zeroed_types)
{
    gk_error err = {0};
    static gk_type cyclic = {.kind = GK_KIND_ARRAY, .size = 2 * sizeof(void *), .name = "Loop"};
    cyclic.elem = &cyclic;
    static const char *const dup_values[] = {"a", "b", "a"};
    gk_type bad_enum = {.kind = GK_KIND_ENUM,
                        .size = sizeof(int),
                        .name = "E",
                        .values = dup_values,
                        .value_count = 3};
    gk_type zeroed = {0};

    EXPECT_EQ(gk_type_validate(&cyclic, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "Loop: nests deeper than 64 levels (a cycle?)");
    EXPECT_EQ(gk_type_validate(&bad_enum, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "E: duplicate value \"a\"");
    EXPECT_EQ(gk_type_validate(&zeroed, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "(unnamed type): invalid kind 0");
    EXPECT_EQ(gk_type_validate(NULL, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "missing type descriptor");
}
