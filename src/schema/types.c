/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/types.c - the builtin descriptors (gk_text, gk_int, ... gk_json), names and sizes, and
 * gk_type_validate, which checks what the descriptor macros cannot check at compile time. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema/schema_internal.h"
#include "base/banned.h"

_Static_assert(sizeof(int) == sizeof(int32_t), "GK_FIELD_INT and enums assume a 32-bit int");

const gk_type gk_text__gk_type = {
    .kind = GK_KIND_STRING, .size = sizeof(gk_text), .name = "gk_text"};
const gk_type gk_int32__gk_type = {
    .kind = GK_KIND_INT32, .size = sizeof(gk_int32), .name = "gk_int32"};
const gk_type gk_int__gk_type = {.kind = GK_KIND_INT64, .size = sizeof(gk_int), .name = "gk_int"};
const gk_type gk_number__gk_type = {
    .kind = GK_KIND_NUMBER, .size = sizeof(gk_number), .name = "gk_number"};
const gk_type gk_bool__gk_type = {.kind = GK_KIND_BOOL, .size = sizeof(gk_bool), .name = "gk_bool"};
const gk_type gk_json__gk_type = {.kind = GK_KIND_JSON, .size = sizeof(gk_json), .name = "gk_json"};
const gk_type gk_json_ref__gk_type = {
    .kind = GK_KIND_JSON_REF, .size = sizeof(gk_json_ref), .name = "gk_json_ref"};
const gk_type gk_text_array__gk_type = {.kind = GK_KIND_ARRAY,
                                        .size = sizeof(gk_text_array),
                                        .name = "gk_text_array",
                                        .elem = &gk_text__gk_type};

const char *gk_type_name(const gk_type *t)
{
    return t && t->name ? t->name : "";
}

size_t gk_type_size(const gk_type *t)
{
    return t ? t->size : 0;
}

const char *gk_kind_name(gk_kind k)
{
    switch (k) {
    case GK_KIND_STRUCT:
        return "object";
    case GK_KIND_STRING:
    case GK_KIND_ENUM:
        return "string";
    case GK_KIND_INT32:
    case GK_KIND_INT64:
        return "integer";
    case GK_KIND_NUMBER:
        return "number";
    case GK_KIND_BOOL:
        return "boolean";
    case GK_KIND_ARRAY:
        return "array";
    case GK_KIND_JSON:
    case GK_KIND_JSON_REF:
        return "any";
    }
    return "invalid";
}

/* ---- validation ---- */

static gk_status bad(gk_error *err, const gk_type *t, const gk_field *f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "Recipe.servings: what" (or "Recipe: what"). */
static gk_status bad(gk_error *err, const gk_type *t, const gk_field *f, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    if (!err)
        return GK_INVALID_ARGUMENT;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    const char *name = t->name && *t->name ? t->name : "(unnamed type)";
    if (f)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s.%s: %s", name,
                            f->name ? f->name : "?", what);
    return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s: %s", name, what);
}

static size_t expected_size(gk_kind k)
{
    switch (k) {
    case GK_KIND_STRING:
        return sizeof(const char *);
    case GK_KIND_INT32:
    case GK_KIND_ENUM:
        return sizeof(int32_t);
    case GK_KIND_INT64:
        return sizeof(int64_t);
    case GK_KIND_NUMBER:
        return sizeof(double);
    case GK_KIND_BOOL:
        return sizeof(bool);
    case GK_KIND_ARRAY:
        return 2 * sizeof(void *);
    case GK_KIND_JSON:
        return sizeof(gk_json);
    case GK_KIND_JSON_REF:
        return sizeof(const gk_json *);
    case GK_KIND_STRUCT:
        return 0; /* any */
    }
    return 0;
}

static bool is_numeric(gk_kind k)
{
    return k == GK_KIND_INT32 || k == GK_KIND_INT64 || k == GK_KIND_NUMBER;
}

static gk_status validate_type(const gk_type *t, unsigned depth, gk_error *err);

static gk_status validate_default(const gk_type *owner, const gk_field *f, gk_error *err)
{
    const gk_type *t = f->type;
    if (f->is_array)
        return bad(err, owner, f, "arrays cannot have a default");
    if (t->kind != GK_KIND_STRING && f->default_string)
        return bad(err, owner, f, "default is a string but the field is not");
    switch (t->kind) {
    case GK_KIND_STRING: {
        if (!f->default_string)
            return bad(err, owner, f, "default of a string field must be a string");
        size_t n = 0;
        size_t len = strlen(f->default_string);
        if (!gk_utf8_valid(f->default_string, len))
            return bad(err, owner, f, "default is not valid UTF-8");
        for (size_t i = 0; i < len; i++)
            n += ((unsigned char)f->default_string[i] & 0xc0) != 0x80;
        if ((f->min_length && n < f->min_length) || (f->max_length && n > f->max_length))
            return bad(err, owner, f, "default does not fit the length limits");
        return GK_OK;
    }
    case GK_KIND_INT32:
    case GK_KIND_INT64:
        if ((double)f->default_int != f->default_number)
            return bad(err, owner, f, "default of an integer field must be an integer");
        if (t->kind == GK_KIND_INT32 && (f->default_int < INT32_MIN || f->default_int > INT32_MAX))
            return bad(err, owner, f, "default is out of range for int32");
        break;
    case GK_KIND_NUMBER:
        if (!isfinite(f->default_number))
            return bad(err, owner, f, "default must be finite");
        break;
    case GK_KIND_BOOL:
        if (f->default_int != 0 && f->default_int != 1)
            return bad(err, owner, f, "default of a boolean field must be true or false");
        return GK_OK;
    case GK_KIND_ENUM:
        if (f->default_int < 0 || (uint64_t)f->default_int >= t->value_count)
            return bad(err, owner, f, "default %lld is not a value of %s",
                       (long long)f->default_int, gk_type_name(t));
        return GK_OK;
    default:
        return bad(err, owner, f, "only strings, numbers, booleans and enums can have a default");
    }
    double x = t->kind == GK_KIND_NUMBER ? f->default_number : (double)f->default_int;
    if ((f->has_minimum && x < f->minimum) || (f->has_maximum && x > f->maximum))
        return bad(err, owner, f, "default is outside minimum/maximum");
    return GK_OK;
}

static gk_status validate_field(const gk_type *owner, const gk_field *f, unsigned depth,
                                gk_error *err)
{
    if (!f->name)
        return bad(err, owner, f, "field without a name");
    if (strlen(f->name) != f->name_len)
        return bad(err, owner, f, "name_len does not match the name");
    if (!f->type)
        return bad(err, owner, f, "field without a type");
    gk_status st = validate_type(f->type, depth + 1, err);
    if (st != GK_OK)
        return st;
    gk_kind k = f->type->kind;
    size_t msize = f->is_array ? 2 * sizeof(void *) : f->type->size;
    if (f->offset > owner->size || msize > owner->size - f->offset)
        return bad(err, owner, f, "member lies outside the struct");
    if (f->has_presence) {
        if (!f->optional)
            return bad(err, owner, f, "a presence flag needs an optional field");
        if (f->presence_offset >= owner->size)
            return bad(err, owner, f, "presence flag lies outside the struct");
    } else if (f->optional && !f->is_array && k != GK_KIND_STRING && k != GK_KIND_JSON_REF) {
        return bad(err, owner, f, "optional %s needs a has_ presence flag", gk_kind_name(k));
    }
    if ((f->has_minimum || f->has_maximum) && !is_numeric(k))
        return bad(err, owner, f, "minimum/maximum need a number or integer");
    if ((f->has_minimum && isnan(f->minimum)) || (f->has_maximum && isnan(f->maximum)))
        return bad(err, owner, f, "minimum/maximum must be numbers");
    if (f->has_minimum && f->has_maximum && f->minimum > f->maximum)
        return bad(err, owner, f, "minimum is greater than maximum");
    if ((f->min_length || f->max_length) && k != GK_KIND_STRING)
        return bad(err, owner, f, "min/max length need a string");
    if (f->max_length && f->min_length > f->max_length)
        return bad(err, owner, f, "min_length is greater than max_length");
    if ((f->min_items || f->max_items) && !f->is_array)
        return bad(err, owner, f, "min/max items need an array");
    if (f->max_items && f->min_items > f->max_items)
        return bad(err, owner, f, "min_items is greater than max_items");
    if (f->has_default)
        return validate_default(owner, f, err);
    return GK_OK;
}

static gk_status validate_type(const gk_type *t, unsigned depth, gk_error *err)
{
    if (!t)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "missing type descriptor");
    if (depth >= GK_SCHEMA_MAX_DEPTH)
        return bad(err, t, NULL, "nests deeper than %d levels (a cycle?)", GK_SCHEMA_MAX_DEPTH);
    if (t->kind < GK_KIND_STRUCT || t->kind > GK_KIND_JSON_REF)
        return bad(err, t, NULL, "invalid kind %d", (int)t->kind);
    size_t want = expected_size(t->kind);
    if (t->size == 0 || (want && t->size != want))
        return bad(err, t, NULL, "size %zu does not fit a %s", t->size, gk_kind_name(t->kind));
    switch (t->kind) {
    case GK_KIND_STRUCT:
        if (!t->fields || t->field_count == 0)
            return bad(err, t, NULL, "a struct type needs fields");
        if (t->field_count > GK_SCHEMA_MAX_FIELDS)
            return bad(err, t, NULL, "more than %d fields", GK_SCHEMA_MAX_FIELDS);
        for (size_t i = 0; i < t->field_count; i++) {
            const gk_field *f = &t->fields[i];
            gk_status st = validate_field(t, f, depth, err);
            if (st != GK_OK)
                return st;
            for (size_t j = 0; j < i; j++) {
                if (t->fields[j].name_len == f->name_len &&
                    memcmp(t->fields[j].name, f->name, f->name_len) == 0)
                    return bad(err, t, f, "duplicate field name");
            }
        }
        return GK_OK;
    case GK_KIND_ENUM:
        if (!t->values || t->value_count == 0)
            return bad(err, t, NULL, "an enum needs values");
        if (t->value_count > INT32_MAX)
            return bad(err, t, NULL, "too many values");
        for (size_t i = 0; i < t->value_count; i++) {
            if (!t->values[i])
                return bad(err, t, NULL, "value %zu is NULL", i);
            for (size_t j = 0; j < i; j++) {
                if (strcmp(t->values[i], t->values[j]) == 0)
                    return bad(err, t, NULL, "duplicate value \"%s\"", t->values[i]);
            }
        }
        return GK_OK;
    case GK_KIND_ARRAY:
        if (!t->elem)
            return bad(err, t, NULL, "an array type needs an element type");
        return validate_type(t->elem, depth + 1, err);
    default:
        return GK_OK;
    }
}

gk_status gk_type_validate(const gk_type *t, gk_error *err)
{
    return validate_type(t, 0, err);
}
