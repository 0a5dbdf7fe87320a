/* SPDX-License-Identifier: Apache-2.0 */
/* tests/schema/schema_types.h - the descriptors the schema tests share (defined in
 * schema_types_test.c): the Recipe of the schema.h example, a struct with every kind, a strict
 * type and a few roots. Names start with Sch so they cannot collide with other tests' types. */
#ifndef GK_TESTS_SCHEMA_TYPES_H
#define GK_TESTS_SCHEMA_TYPES_H

#include <genkit/schema.h>

typedef enum { SCH_EASY, SCH_MEDIUM, SCH_HARD } SchDifficulty;

typedef struct SchRecipeInput {
    const char *ingredient;
    GK_ARRAY_OF(gk_text) dietary_restrictions;
} SchRecipeInput;

typedef struct SchRecipe {
    const char *title;
    const char *description;
    const char *prep_time;
    const char *cook_time;
    int servings;
    SchDifficulty difficulty;
    GK_ARRAY_OF(gk_text) ingredients;
    GK_ARRAY_OF(gk_text) instructions;
    GK_ARRAY_OF(gk_text) tips;
    double rating;
    bool has_rating;
} SchRecipe;

typedef struct SchStep {
    const char *text;
    GK_ARRAY_OF(gk_text) ingredients;
    int minutes;
    bool has_minutes;
} SchStep;

/* An array type, for arrays of arrays. */
typedef GK_ARRAY_OF(gk_int) SchRow;

/* One member of every kind, required and optional, plus arrays of every element kind. */
typedef struct SchAll {
    const char *s;
    const char *s_opt;
    int i32;
    int i32_opt;
    bool has_i32_opt;
    int64_t i64;
    int64_t i64_opt;
    bool has_i64_opt;
    double num;
    double num_opt;
    bool has_num_opt;
    bool flag;
    bool flag_opt;
    bool has_flag_opt;
    SchDifficulty level;
    SchDifficulty level_opt;
    bool has_level_opt;
    SchStep step;
    SchStep step_opt;
    bool has_step_opt;
    const gk_json *any;
    const gk_json *any_opt;
    GK_ARRAY_OF(SchStep) steps;
    GK_ARRAY_OF(gk_int32) ints;
    GK_ARRAY_OF(gk_number) nums;
    GK_ARRAY_OF(gk_bool) flags;
    GK_ARRAY_OF(SchDifficulty) levels;
    GK_ARRAY_OF(gk_json) anys;
    GK_ARRAY_OF(SchRow) matrix;
    GK_ARRAY_OF(gk_text) tags_opt;
} SchAll;

/* Constraints and defaults. */
typedef struct SchLimits {
    int small;                 /* 1..10, default 5 */
    int64_t big;               /* >= -1 */
    double ratio;              /* 0..1 */
    const char *code;          /* 2..4 code points, default "abc" */
    GK_ARRAY_OF(gk_text) tags; /* 1..3 items, each at most 3 code points */
    bool on;                   /* default true */
    bool has_on;
    double scale; /* default 1.5 */
} SchLimits;

/* Rejects unknown members. */
typedef struct SchStrict {
    const char *name;
} SchStrict;

GK_SCHEMA_DECLARE(SchDifficulty);
GK_SCHEMA_DECLARE(SchRecipeInput);
GK_SCHEMA_DECLARE(SchRecipe);
GK_SCHEMA_DECLARE(SchStep);
GK_SCHEMA_DECLARE(SchRow);
GK_SCHEMA_DECLARE(SchAll);
GK_SCHEMA_DECLARE(SchLimits);
GK_SCHEMA_DECLARE(SchStrict);

/* A JSON document with every SchAll member set (canonical but for one number, 1e3). */
extern const char sch_all_json[];

#endif
