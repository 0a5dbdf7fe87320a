/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/schema.h - schema-as-struct: one descriptor per plain C struct gives its JSON Schema, a
 * validating decoder (errors name the JSON pointer path) and an encoder.
 * Threads: descriptors are constant data; decode/encode touch only their arguments.
 *
 * A C user declares a struct and, beside it, one descriptor line per field. The field macros check
 * with _Generic and offsetof that the member's C type matches the declared kind, so a mismatch is a
 * compile error naming `gk_member_type_does_not_match_field_kind`:
 *
 *     typedef enum { DIFFICULTY_EASY, DIFFICULTY_MEDIUM, DIFFICULTY_HARD } Difficulty;
 *
 *     typedef struct RecipeInput {
 *         const char *ingredient;                           required: never NULL after decode
 *         GK_ARRAY_OF(gk_text) dietary_restrictions;        optional: items NULL when absent
 *     } RecipeInput;
 *
 *     typedef struct Recipe {
 *         const char *title;
 *         const char *description;
 *         const char *prep_time;
 *         const char *cook_time;
 *         int servings;
 *         Difficulty difficulty;
 *         GK_ARRAY_OF(gk_text) ingredients;
 *         GK_ARRAY_OF(gk_text) instructions;
 *         GK_ARRAY_OF(gk_text) tips;                        optional
 *         double rating;
 *         bool has_rating;                                  presence of the optional rating
 *     } Recipe;
 *
 *     In a header:  GK_SCHEMA_DECLARE(Recipe);  (and likewise for the others)
 *     In one .c file:
 *
 *     GK_ENUM_DEFINE(Difficulty, "How hard the recipe is", "easy", "medium", "hard");
 *
 *     GK_SCHEMA_DEFINE(RecipeInput, "What to cook",
 *         GK_FIELD_STRING(RecipeInput, ingredient, "ingredient", NULL, GK_MIN_LENGTH(1)),
 *         GK_FIELD_ARRAY_OPT(RecipeInput, dietary_restrictions, "dietaryRestrictions", gk_text,
 *                            "e.g. vegetarian"));
 *
 *     GK_SCHEMA_DEFINE(Recipe, "A recipe",
 *         GK_FIELD_STRING(Recipe, title, "title", "Name of the dish"),
 *         GK_FIELD_STRING(Recipe, description, "description", NULL),
 *         GK_FIELD_STRING(Recipe, prep_time, "prepTime", "e.g. 10 minutes"),
 *         GK_FIELD_STRING(Recipe, cook_time, "cookTime", NULL),
 *         GK_FIELD_INT(Recipe, servings, "servings", NULL, GK_MINIMUM(1), GK_DEFAULT(2)),
 *         GK_FIELD_ENUM(Recipe, difficulty, "difficulty", Difficulty, NULL,
 *                       GK_DEFAULT(DIFFICULTY_EASY)),
 *         GK_FIELD_ARRAY(Recipe, ingredients, "ingredients", gk_text, NULL, GK_MIN_ITEMS(1)),
 *         GK_FIELD_ARRAY(Recipe, instructions, "instructions", gk_text, NULL),
 *         GK_FIELD_ARRAY_OPT(Recipe, tips, "tips", gk_text, NULL),
 *         GK_FIELD_NUMBER_OPT(Recipe, rating, "rating", NULL, GK_MINIMUM(0), GK_MAXIMUM(5)));
 *
 *     GK_TYPE_OF(Recipe) is then the descriptor: gk_decode(a, GK_TYPE_OF(Recipe), v, &r, &err).
 *
 * Field macros: GK_FIELD_<KIND>(StructT, member, "jsonName", description, options...). The
 * description is a string literal or NULL. Options, in any order: GK_MINIMUM(x), GK_MAXIMUM(x)
 * (numbers), GK_MIN_LENGTH(n), GK_MAX_LENGTH(n) (strings, in code points), GK_MIN_ITEMS(n),
 * GK_MAX_ITEMS(n) (arrays), GK_DEFAULT(constant) (scalars and enums: used when the field is absent
 * or null). On an array field, GK_MINIMUM/GK_MAXIMUM/GK_*_LENGTH apply to each element.
 *
 * Member C types, per kind (a mismatch does not compile):
 *   STRING  const char *      (borrowed from the JSON tree; NULL only for an absent _OPT field)
 *   INT     int (int32_t)     INT64  int64_t     NUMBER  double     BOOL  bool
 *   ENUM    the C enum E      (values 0..n-1 map to the JSON strings given to GK_ENUM_DEFINE(E))
 *   STRUCT  the struct S      (embedded by value; S has its own GK_SCHEMA_DEFINE)
 *   JSON    const gk_json *   (any JSON value; NULL only for an absent _OPT field)
 *   ARRAY   GK_ARRAY_OF(E)    (E is the element's descriptor name: gk_text, gk_int32, gk_int,
 *                              gk_number, gk_bool, gk_json, or any enum, struct or array type)
 *
 * Optional fields (the _OPT macros) and presence: pointers say absent with NULL (STRING, JSON) and
 * arrays with items == NULL (an empty JSON array decodes to items != NULL, count 0). Every other
 * kind records presence in a `bool has_<member>` declared in the same struct (nanopb and
 * protobuf-c's convention); the macro checks it exists and is bool. An optional field given JSON
 * null is treated as absent (JSON fields excepted: there null is a value). Fields with a
 * GK_DEFAULT are optional in the JSON and always present after decoding. Everything else is
 * required. GK_FIELD(StructT, member, "jsonName", E, description, ...) and GK_FIELD_OPT take any
 * type E that has a descriptor; GK_ARRAY_DEFINE(A, E, description) gives `typedef
 * GK_ARRAY_OF(E) A;` one, for arrays of arrays and array roots. Call gk_type_validate once per
 * root type (at registration) for what cannot be checked at compile time. clang-format mangles
 * descriptor lists: wrap them in clang-format off/on comments.
 *
 * Unknown object members are ignored (as Genkit's zod schemas strip them); types defined with
 * GK_SCHEMA_DEFINE_STRICT reject them. The JSON Schema says "additionalProperties": false either
 * way, as Genkit JS emits for zod objects, so models are told not to invent members.
 *
 * Builtin descriptors, for flows that take or return bare values and for array elements:
 *   gk_text (const char *), gk_int (int64_t), gk_int32 (int32_t), gk_number (double),
 *   gk_bool (bool), gk_json (any JSON, held by value: a flow taking it gets `const gk_json *in`),
 *   gk_json_ref (const gk_json *), gk_text_array (GK_ARRAY_OF(gk_text)).
 */
#ifndef GENKIT_SCHEMA_H
#define GENKIT_SCHEMA_H

#include <stddef.h>

#include <genkit/json.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_type gk_type;

/* The descriptor of C type T (a typedef name), as defined by GK_SCHEMA_DEFINE(T, ...). */
#define GK_TYPE_OF(T) (&T##__gk_type)

/* What a descriptor describes. Zero is not a kind, so a zeroed gk_type fails gk_type_validate. */
typedef enum gk_kind {
    GK_KIND_STRUCT = 1, /* JSON object <-> C struct */
    GK_KIND_STRING,     /* const char * */
    GK_KIND_INT32,      /* int32_t (int) */
    GK_KIND_INT64,      /* int64_t */
    GK_KIND_NUMBER,     /* double */
    GK_KIND_BOOL,       /* bool */
    GK_KIND_ENUM,       /* C enum stored as int <-> one of a list of JSON strings */
    GK_KIND_ARRAY,      /* GK_ARRAY_OF(elem) */
    GK_KIND_JSON,       /* gk_json (a value) */
    GK_KIND_JSON_REF,   /* const gk_json * */
} gk_kind;

/* Most fields in one struct type; most levels of nesting gk_decode and gk_encode follow. */
#define GK_SCHEMA_MAX_FIELDS 256
#define GK_SCHEMA_MAX_DEPTH  64

/* gk_type.flags */
#define GK_TYPE_STRICT 1u /* STRUCT: unknown object members are errors, not ignored */

/*
 * One member of a struct type. Built by the GK_FIELD_* macros; plain constant data.
 * Invariants: name_len == strlen(name); type describes the member, or its elements when is_array;
 * has_presence implies optional; constraints are 0/false when unset.
 */
typedef struct gk_field {
    const char *name; /* JSON member name */
    size_t name_len;
    size_t offset;       /* offsetof the member */
    const gk_type *type; /* the member's type, or its element type when is_array */
    bool is_array;       /* the member is GK_ARRAY_OF(element) */
    bool optional;       /* may be absent in JSON (see has_presence) */
    bool has_presence;   /* a bool at presence_offset says whether the member is set */
    size_t presence_offset;
    const char *description; /* may be NULL */
    bool has_minimum;
    bool has_maximum;
    double minimum; /* numbers (each element, for arrays): value >= minimum */
    double maximum;
    size_t min_length; /* strings: code points; 0: no limit */
    size_t max_length;
    size_t min_items; /* arrays; 0: no limit */
    size_t max_items;
    bool has_default;           /* used when the member is absent or null */
    int64_t default_int;        /* INT32, INT64, BOOL, ENUM */
    double default_number;      /* NUMBER */
    const char *default_string; /* STRING */
} gk_field;

/*
 * A type descriptor: constant data, defined by the macros below (or by hand: every member is
 * documented). Invariants: size == sizeof the C type; STRUCT has 1..GK_SCHEMA_MAX_FIELDS fields,
 * ENUM has value_count >= 1 distinct values, ARRAY has elem. gk_type_validate checks all of it.
 */
struct gk_type {
    gk_kind kind;
    unsigned flags;          /* GK_TYPE_STRICT */
    size_t size;             /* sizeof the C type */
    const char *name;        /* the C type name ("Recipe") */
    const char *description; /* may be NULL */
    const gk_field *fields;  /* STRUCT: in declaration order */
    size_t field_count;
    const char *const *values; /* ENUM: values[i] is the JSON string for C value i */
    size_t value_count;
    const gk_type *elem; /* ARRAY: the element type */
};

/* An array member: `GK_ARRAY_OF(gk_text) tags;` is a struct { const char **items; size_t count; }.
 * Decoded items live in the decode arena. */
#define GK_ARRAY_OF(E) \
    struct {           \
        E *items;      \
        size_t count;  \
    }

/* Builtin types (see the header comment). */
typedef const char *gk_text;
typedef int32_t gk_int32;
typedef int64_t gk_int;
typedef double gk_number;
typedef bool gk_bool;
typedef const gk_json *gk_json_ref;
typedef GK_ARRAY_OF(gk_text) gk_text_array;

/* Declare the descriptor of T (put it in the header that declares T). */
#define GK_SCHEMA_DECLARE(T) extern const gk_type T##__gk_type

GK_API GK_SCHEMA_DECLARE(gk_text);
GK_API GK_SCHEMA_DECLARE(gk_int32);
GK_API GK_SCHEMA_DECLARE(gk_int);
GK_API GK_SCHEMA_DECLARE(gk_number);
GK_API GK_SCHEMA_DECLARE(gk_bool);
GK_API GK_SCHEMA_DECLARE(gk_json);
GK_API GK_SCHEMA_DECLARE(gk_json_ref);
GK_API GK_SCHEMA_DECLARE(gk_text_array);

/* ---- defining descriptors ---- */

/* Define the descriptor of struct type T: GK_SCHEMA_DEFINE(T, "description", GK_FIELD_...(T, ...),
 * ...); at file scope. Members without a field are neither decoded nor encoded (left zero). */
#define GK_SCHEMA_DEFINE(T, desc, ...) GK__SCHEMA_DEFINE(T, 0u, desc, __VA_ARGS__)

/* Like GK_SCHEMA_DEFINE, but decoding rejects object members that are not fields. */
#define GK_SCHEMA_DEFINE_STRICT(T, desc, ...) \
    GK__SCHEMA_DEFINE(T, GK_TYPE_STRICT, desc, __VA_ARGS__)

/* Define the descriptor of enum type E whose C values 0, 1, ... are the JSON strings listed. */
#define GK_ENUM_DEFINE(E, desc, ...)                                       \
    static const char *const E##__gk_values[] = {__VA_ARGS__};             \
    _Static_assert(_Generic((E)0, int : 1, unsigned int : 1, default : 0), \
                   #E " must be an enum type (stored as int)");            \
    const gk_type E##__gk_type = {.kind = GK_KIND_ENUM,                    \
                                  .size = sizeof(E),                       \
                                  .name = #E,                              \
                                  .description = (desc),                   \
                                  .values = E##__gk_values,                \
                                  .value_count = sizeof(E##__gk_values) / sizeof(const char *)}

/* Define the descriptor of A, a typedef of GK_ARRAY_OF(E), for arrays as roots or as elements of
 * arrays. */
#define GK_ARRAY_DEFINE(A, E, desc)                                        \
    _Static_assert(_Generic(((A *)0)->items, E * : 1, default : 0) &&      \
                       _Generic(((A *)0)->count, size_t : 1, default : 0), \
                   #A " must be GK_ARRAY_OF(" #E ")");                     \
    const gk_type A##__gk_type = {.kind = GK_KIND_ARRAY,                   \
                                  .size = sizeof(A),                       \
                                  .name = #A,                              \
                                  .description = (desc),                   \
                                  .elem = GK_TYPE_OF(E)}

/* ---- fields (see the header comment) ---- */

/* One macro per line reads better than the formatter's blocks. */
/* clang-format off */
#define GK_FIELD_STRING(T, m, key, ...)     GK__F(T, m, key, const char *, gk_text, __VA_ARGS__)
#define GK_FIELD_STRING_OPT(T, m, key, ...) GK__F_PTR(T, m, key, const char *, gk_text, __VA_ARGS__)
#define GK_FIELD_INT(T, m, key, ...)        GK__F(T, m, key, int32_t, gk_int32, __VA_ARGS__)
#define GK_FIELD_INT_OPT(T, m, key, ...)    GK__F_HAS(T, m, key, int32_t, gk_int32, __VA_ARGS__)
#define GK_FIELD_INT64(T, m, key, ...)      GK__F(T, m, key, int64_t, gk_int, __VA_ARGS__)
#define GK_FIELD_INT64_OPT(T, m, key, ...)  GK__F_HAS(T, m, key, int64_t, gk_int, __VA_ARGS__)
#define GK_FIELD_NUMBER(T, m, key, ...)     GK__F(T, m, key, double, gk_number, __VA_ARGS__)
#define GK_FIELD_NUMBER_OPT(T, m, key, ...) GK__F_HAS(T, m, key, double, gk_number, __VA_ARGS__)
#define GK_FIELD_BOOL(T, m, key, ...)       GK__F(T, m, key, bool, gk_bool, __VA_ARGS__)
#define GK_FIELD_BOOL_OPT(T, m, key, ...)   GK__F_HAS(T, m, key, bool, gk_bool, __VA_ARGS__)
#define GK_FIELD_JSON(T, m, key, ...)       GK__F(T, m, key, gk_json_ref, gk_json_ref, __VA_ARGS__)
#define GK_FIELD_JSON_OPT(T, m, key, ...) \
    GK__F_PTR(T, m, key, gk_json_ref, gk_json_ref, __VA_ARGS__)

/* A member of type E, where E has a descriptor (an enum, a struct, an array typedef, a builtin).
 * _OPT: with a `bool has_<m>` presence member. */
#define GK_FIELD(T, m, key, E, ...)            GK__F(T, m, key, E, E, __VA_ARGS__)
#define GK_FIELD_OPT(T, m, key, E, ...)        GK__F_HAS(T, m, key, E, E, __VA_ARGS__)
#define GK_FIELD_ENUM(T, m, key, E, ...)       GK__F(T, m, key, E, E, __VA_ARGS__)
#define GK_FIELD_ENUM_OPT(T, m, key, E, ...)   GK__F_HAS(T, m, key, E, E, __VA_ARGS__)
#define GK_FIELD_STRUCT(T, m, key, S, ...)     GK__F(T, m, key, S, S, __VA_ARGS__)
#define GK_FIELD_STRUCT_OPT(T, m, key, S, ...) GK__F_HAS(T, m, key, S, S, __VA_ARGS__)

/* A GK_ARRAY_OF(E) member. _OPT: absent when items is NULL. */
#define GK_FIELD_ARRAY(T, m, key, E, ...) \
    {GK__ARRAY_FIELD(T, m, key, E), .description = __VA_ARGS__}
#define GK_FIELD_ARRAY_OPT(T, m, key, E, ...) \
    {GK__ARRAY_FIELD(T, m, key, E), .optional = true, .description = __VA_ARGS__}

/* Field options (after the description). */
#define GK_MINIMUM(x)    .has_minimum = true, .minimum = (x)
#define GK_MAXIMUM(x)    .has_maximum = true, .maximum = (x)
#define GK_MIN_LENGTH(n) .min_length = (n)
#define GK_MAX_LENGTH(n) .max_length = (n)
#define GK_MIN_ITEMS(n)  .min_items = (n)
#define GK_MAX_ITEMS(n)  .max_items = (n)
/* A constant: an integer, enum constant, true/false, a floating constant or a string literal. */
#define GK_DEFAULT(x)                                                                             \
    .has_default = true,                                                                          \
    .default_int = _Generic((x), char *: 0, const char *: 0, float: 0, double: 0,                 \
                            long double: 0, default: (x)),                                        \
    .default_number = _Generic((x), char *: 0.0, const char *: 0.0, default: (x)),                \
    .default_string = _Generic((x), char *: (x), const char *: (x), default: (const char *)0)
/* clang-format on */

/* ---- decode, encode, JSON Schema ---- */

/*
 * Decode JSON value v into *out, a value of the C type t describes, validating as it goes.
 *
 * *out is zeroed first. Missing fields take their defaults; optional ones stay absent. Integers
 * accept any JSON number with an integral value in range (3 and 3.0; not 3.5); written with a
 * fraction or exponent, only within +-2^53, where doubles are exact. Strings must not
 * contain NUL characters (the C side could not see past them).
 * Ownership: arrays are allocated in a; strings and gk_json values are borrowed from v's tree,
 *   which must live as long as *out (the usual case: both in the request arena). v is not modified.
 * Context: any; a is used by one fiber at a time.
 * Returns: GK_OK; GK_INVALID_ARGUMENT with err->path the JSON pointer of the offending value
 *   ("/steps/1/ingredients/0") and a message such as "expected string, got number", "missing
 *   required field", "must be >= 1", "value \"x\" is not one of: a, b", "integer out of range";
 *   GK_RESOURCE_EXHAUSTED if a is over its cap. On failure *out is zeroed. v NULL means JSON null.
 */
GK_API gk_status gk_decode(gk_arena *a, const gk_type *t, const gk_json *v, void *out,
                           gk_error *err);

/*
 * Parse json[0..len) (strict: UTF-8, duplicate keys, depth 64) and decode it into *out.
 *
 * Ownership: the tree and everything *out points to live in a.
 * Returns: as gk_decode; parse errors are GK_INVALID_ARGUMENT with "line L column C: ..." and an
 *   empty path.
 */
GK_API gk_status gk_decode_text(gk_arena *a, const gk_type *t, const char *json, size_t len,
                                void *out, gk_error *err);

/*
 * Write the value v points to (a value of the C type t describes) as the next JSON value of w.
 *
 * Absent optional fields are omitted; a NULL required string is written as "" and a NULL required
 * array as [], so output always matches the schema; an enum value outside its list, a NaN and
 * an infinity are written as null. Decoding what gk_encode wrote gives back an equal value.
 * Ownership: only reads v. Context: any. Check gk_buf_failed on w's buffer afterwards.
 */
GK_API void gk_encode(gk_jw *w, const gk_type *t, const void *v);

/* gk_schema_write_ex flags */
#define GK_SCHEMA_NO_META 1u /* omit "$schema" at the root (for providers that reject it) */

/*
 * Write t's JSON Schema (draft 2020-12 subset) as the next value of w: "$schema" at the root,
 * nested structs inline (no $ref), "required" for required fields, "additionalProperties": false
 * on objects, enums as {"type":"string","enum":[...]}, any JSON as {}.
 *
 * Context: any. Check gk_buf_failed on w's buffer afterwards.
 */
GK_API void gk_schema_write(gk_jw *w, const gk_type *t);

/* gk_schema_write with flags (GK_SCHEMA_NO_META). */
GK_API void gk_schema_write_ex(gk_jw *w, const gk_type *t, unsigned flags);

/*
 * Check that t (and every type it reaches) is well formed: kinds, sizes, unique field names,
 * constraints that fit the kind, min <= max, defaults of the right kind that satisfy the
 * constraints, enum values distinct, nesting within GK_SCHEMA_MAX_DEPTH (no cycles).
 *
 * Context: any; call once when registering (the macros cannot check everything at compile time).
 * Returns: GK_OK; GK_INVALID_ARGUMENT with a message naming the type and field.
 */
GK_API gk_status gk_type_validate(const gk_type *t, gk_error *err);

/* The C type name of t ("Recipe", "gk_text"), or "" if t or its name is NULL. */
GK_API const char *gk_type_name(const gk_type *t);

/* sizeof the C type t describes (0 if t is NULL). */
GK_API size_t gk_type_size(const gk_type *t);

/* The JSON Schema name of a kind: "object", "string", "integer", "number", "boolean", "string"
 * (enum), "array", "any"; "invalid" if k is not a kind. */
GK_API const char *gk_kind_name(gk_kind k);

/* ---- internals of the macros ---- */

#define GK__SCHEMA_DEFINE(T, fl, desc, ...)                                           \
    static const gk_field T##__gk_fields[] = {__VA_ARGS__};                           \
    _Static_assert(sizeof(T##__gk_fields) / sizeof(gk_field) <= GK_SCHEMA_MAX_FIELDS, \
                   "too many fields in " #T);                                         \
    const gk_type T##__gk_type = {.kind = GK_KIND_STRUCT,                             \
                                  .flags = (fl),                                      \
                                  .size = sizeof(T),                                  \
                                  .name = #T,                                         \
                                  .description = (desc),                              \
                                  .fields = T##__gk_fields,                           \
                                  .field_count = sizeof(T##__gk_fields) / sizeof(gk_field)}

/* 0, or a compile error naming `what` when cond is false (a bit-field of negative width). */
#define GK__REQUIRE(cond, what) (0 * sizeof(struct { int what : (cond) ? 1 : -1; }))
#define GK__MEMBER(T, m)        (((T *)0)->m)
#define GK__IS(expr, CT)        _Generic((expr), CT : 1, default : 0)

/* The json name must be a string literal: "" json "" does not compile otherwise. */
#define GK__FIELD(T, m, json, CT, typeptr)                                                         \
    .name = "" json "", .name_len = sizeof(json) - 1,                                              \
    .offset = offsetof(T, m) +                                                                     \
              GK__REQUIRE(GK__IS(GK__MEMBER(T, m), CT), gk_member_type_does_not_match_field_kind), \
    .type = (typeptr)

#define GK__PRESENCE(T, m)                                                                      \
    .optional = true, .has_presence = true,                                                     \
    .presence_offset = offsetof(T, has_##m) + GK__REQUIRE(GK__IS(GK__MEMBER(T, has_##m), bool), \
                                                          gk_presence_member_has_must_be_bool)

/* clang-format off */
/* A field of C type CT described by E's descriptor: required, pointer-optional (NULL: absent), or
 * optional with a has_<m> presence flag. */
#define GK__F(T, m, json, CT, E, ...) \
    {GK__FIELD(T, m, json, CT, GK_TYPE_OF(E)), .description = __VA_ARGS__}
#define GK__F_PTR(T, m, json, CT, E, ...) \
    {GK__FIELD(T, m, json, CT, GK_TYPE_OF(E)), .optional = true, .description = __VA_ARGS__}
#define GK__F_HAS(T, m, json, CT, E, ...) \
    {GK__FIELD(T, m, json, CT, GK_TYPE_OF(E)), GK__PRESENCE(T, m), .description = __VA_ARGS__}
/* clang-format on */

#define GK__ARRAY_FIELD(T, m, json, E)                                                 \
    .name = "" json "", .name_len = sizeof(json) - 1,                                  \
    .offset = offsetof(T, m) +                                                         \
              GK__REQUIRE(GK__IS(GK__MEMBER(T, m).items, E *),                         \
                          gk_member_type_does_not_match_field_kind) +                  \
              GK__REQUIRE(GK__IS(GK__MEMBER(T, m).count, size_t) &&                    \
                              offsetof(T, m.items) == offsetof(T, m) &&                \
                              offsetof(T, m.count) == offsetof(T, m) + sizeof(void *), \
                          gk_array_member_must_be_GK_ARRAY_OF),                        \
    .type = GK_TYPE_OF(E), .is_array = true

#ifdef __cplusplus
}
#endif
#endif
