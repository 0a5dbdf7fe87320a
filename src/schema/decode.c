/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/decode.c - the validating decoder: a gk_json tree into a C value by its descriptor.
 * Errors say what is wrong and where (a JSON pointer built while the error unwinds, so decoding
 * valid input never formats a path). It does not parse text (gk_json_parse does) nor copy strings:
 * they are borrowed from the tree. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json_internal.h"
#include "schema/schema_internal.h"
#include "base/banned.h"

struct dec {
    gk_arena *a;
    gk_error *err;
};

static const gk_json json_null = {.type = GK_JSON_NULL};

/* Where an empty array's items point: not NULL (NULL means absent), never dereferenced. */
static max_align_t empty_items;

static gk_status decode_value(struct dec *d, const gk_type *t, const gk_field *c, const gk_json *v,
                              void *out, unsigned depth);

static const char *type_name(const gk_json *v)
{
    return v ? gk_json_type_name(v) : "null";
}

/* Report invalid input at the current value (the path is added as the error unwinds). */
static gk_status fail(struct dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static gk_status fail(struct dec *d, const char *fmt, ...)
{
    char msg[sizeof(d->err->message)];
    va_list ap;
    if (!d->err)
        return GK_INVALID_ARGUMENT;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gk_error_set(d->err, GK_INVALID_ARGUMENT, "", "%s", msg);
}

static gk_status expected(struct dec *d, const char *want, const gk_json *v)
{
    return fail(d, "expected %s, got %s", want, type_name(v));
}

/* Copy at most cap-1 bytes of s for a message, cut at a code point boundary, control characters
 * replaced by '?', and "..." when cut. */
static void excerpt(const char *s, size_t len, char *dst, size_t cap)
{
    size_t max = cap - 4;
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (i + w > len)
            w = len - i;
        if (n + w > max)
            break;
        if (c < 0x20 || c == 0x7f) {
            dst[n++] = '?';
        } else {
            memcpy(dst + n, s + i, w);
            n += w;
        }
        i += w;
    }
    if (i < len) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }
    dst[n] = '\0';
}

static void format_number(double x, char out[32])
{
    gk__json_format_double(x, out);
}

void gk__error_prefix_segment(gk_error *err, const char *s, size_t len)
{
    if (!err)
        return;
    char seg[sizeof(err->path)];
    size_t n = 0;
    seg[n++] = '/';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t w = c == '~' || c == '/' ? 2 : c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (i + w > len && c >= 0x80)
            w = len - i;
        if (n + w >= sizeof(seg))
            break; /* the path is cut at its end anyway; stop at a code point boundary */
        if (c == '~' || c == '/') {
            seg[n++] = '~';
            seg[n++] = c == '~' ? '0' : '1';
        } else {
            memcpy(seg + n, s + i, w);
            n += w;
            i += w - 1;
        }
    }
    seg[n] = '\0';
    gk_error_prefix_path(err, seg);
}

void gk__error_prefix_index(gk_error *err, size_t index)
{
    if (!err)
        return;
    char seg[24];
    snprintf(seg, sizeof(seg), "/%zu", index);
    gk_error_prefix_path(err, seg);
}

static size_t count_code_points(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    return n;
}

static gk_status check_range(struct dec *d, const gk_field *c, double x)
{
    char num[32];
    if (!c)
        return GK_OK;
    if (c->has_minimum && !(x >= c->minimum)) {
        format_number(c->minimum, num);
        return fail(d, "must be >= %s", num);
    }
    if (c->has_maximum && !(x <= c->maximum)) {
        format_number(c->maximum, num);
        return fail(d, "must be <= %s", num);
    }
    return GK_OK;
}

/* A string value without NUL characters, within c's length limits. */
static gk_status get_string(struct dec *d, const gk_field *c, const gk_json *v, const char *want)
{
    if (!v || v->type != GK_JSON_STRING)
        return expected(d, want, v);
    if (v->len && memchr(v->str, '\0', v->len))
        return fail(d, "string contains a NUL character");
    if (c && (c->min_length || c->max_length)) {
        size_t n = count_code_points(v->str, v->len);
        if (c->min_length && n < c->min_length)
            return fail(d, "must be at least %zu character%s long", c->min_length,
                        c->min_length == 1 ? "" : "s");
        if (c->max_length && n > c->max_length)
            return fail(d, "must be at most %zu character%s long", c->max_length,
                        c->max_length == 1 ? "" : "s");
    }
    return GK_OK;
}

/* An integral JSON number within [lo, hi]: 3 and 3.0 and 3e0 are 3; 3.5 is not an integer. */
static gk_status get_int(struct dec *d, const gk_field *c, const gk_json *v, int64_t lo, int64_t hi,
                         int64_t *out)
{
    int64_t x;
    if (!v || v->type != GK_JSON_NUMBER)
        return expected(d, "integer", v);
    if (v->is_int) {
        x = v->integer;
    } else {
        double f = v->number;
        if (!isfinite(f))
            return fail(d, "integer out of range");
        if (f != floor(f)) {
            char num[48];
            if (v->str && v->len)
                excerpt(v->str, v->len, num, 36);
            else
                format_number(f, num);
            return fail(d, "expected integer, got %s", num);
        }
        /* Beyond 2^53 a double no longer holds every integer: the text may have named another
         * value than f (-9223372036854775809 rounds to -2^63), so only smaller ones are exact. */
        if (f < -9007199254740992.0 || f > 9007199254740992.0)
            return fail(d, "integer out of range");
        x = (int64_t)f;
    }
    if (x < lo || x > hi)
        return fail(d, "integer out of range");
    gk_status st = check_range(d, c, (double)x);
    if (st != GK_OK)
        return st;
    *out = x;
    return GK_OK;
}

static gk_status decode_enum(struct dec *d, const gk_type *t, const gk_json *v, void *out)
{
    gk_status st = get_string(d, NULL, v, "string");
    if (st != GK_OK)
        return st;
    for (size_t i = 0; i < t->value_count; i++) {
        /* No NUL in v (checked above), so a match of len bytes ends inside values[i]. */
        if (strncmp(t->values[i], v->str, v->len) == 0 && t->values[i][v->len] == '\0') {
            int x = (int)i;
            memcpy(out, &x, sizeof(x));
            return GK_OK;
        }
    }
    char shown[48];
    char list[168];
    size_t n = 0;
    excerpt(v->str, v->len, shown, sizeof(shown));
    list[0] = '\0';
    for (size_t i = 0; i < t->value_count; i++) {
        size_t w = strlen(t->values[i]);
        size_t sep = i ? 2 : 0;
        if (n + sep + w + 4 > sizeof(list)) {
            memcpy(list + n, "...", 4);
            break;
        }
        memcpy(list + n, ", ", sep);
        memcpy(list + n + sep, t->values[i], w + 1);
        n += sep + w;
    }
    return fail(d, "value \"%s\" is not one of: %s", shown, list);
}

/* field: the array field whose item limits and element constraints apply, or NULL. depth: the
 * nesting of the array itself (its elements are one level deeper). */
static gk_status decode_array(struct dec *d, const gk_type *elem, const gk_field *field,
                              const gk_json *v, void *out, unsigned depth)
{
    if (!v || v->type != GK_JSON_ARRAY)
        return expected(d, "array", v);
    if (field && field->min_items && v->count < field->min_items)
        return fail(d, "must have at least %zu item%s", field->min_items,
                    field->min_items == 1 ? "" : "s");
    if (field && field->max_items && v->count > field->max_items)
        return fail(d, "must have at most %zu item%s", field->max_items,
                    field->max_items == 1 ? "" : "s");
    void *items = &empty_items;
    if (v->count) {
        items = gk_arena_calloc(d->a, v->count, elem->size);
        if (!items)
            return gk_error_set(d->err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    for (size_t i = 0; i < v->count; i++) {
        gk_status st =
            decode_value(d, elem, field, &v->items[i], (char *)items + i * elem->size, depth);
        if (st != GK_OK) {
            gk__error_prefix_index(d->err, i);
            return st;
        }
    }
    gk__array_set(out, items, v->count);
    return GK_OK;
}

static const gk_field *find_field(const gk_type *t, const char *key, size_t len, size_t *hint)
{
    size_t n = t->field_count;
    size_t i = *hint;
    /* Members usually come in field order: start after the last match. */
    for (size_t k = 0; k < n; k++, i++) {
        if (i >= n)
            i = 0;
        const gk_field *f = &t->fields[i];
        if (f->name_len == len && memcmp(f->name, key, len) == 0) {
            *hint = i + 1;
            return f;
        }
    }
    return NULL;
}

/* The field is absent (or null where null means absent): apply its default, or fail if required. */
static gk_status decode_absent(struct dec *d, const gk_field *f, char *base)
{
    char *p = base + f->offset;
    if (!f->has_default) {
        if (f->optional)
            return GK_OK;
        return fail(d, "missing required field");
    }
    switch (f->type->kind) {
    case GK_KIND_STRING:
        *(const char **)p = f->default_string;
        break;
    case GK_KIND_INT32:
        *(int32_t *)p = (int32_t)f->default_int;
        break;
    case GK_KIND_INT64:
        *(int64_t *)p = f->default_int;
        break;
    case GK_KIND_NUMBER:
        /* cppcheck-suppress invalidPointerCast ; p is the address of a double member */
        *(double *)p = f->default_number;
        break;
    case GK_KIND_BOOL:
        *(bool *)p = f->default_int != 0;
        break;
    case GK_KIND_ENUM: {
        int x = (int)f->default_int;
        memcpy(p, &x, sizeof(x));
        break;
    }
    default:
        return GK_OK; /* gk_type_validate rejects defaults on other kinds */
    }
    if (f->has_presence)
        *(bool *)(base + f->presence_offset) = true;
    return GK_OK;
}

static gk_status decode_field(struct dec *d, const gk_field *f, const gk_json *v, char *base,
                              unsigned depth)
{
    gk_kind k = f->type->kind;
    if (v->type == GK_JSON_NULL && (f->optional || f->has_default) &&
        (f->is_array || (k != GK_KIND_JSON && k != GK_KIND_JSON_REF)))
        return decode_absent(d, f, base);
    gk_status st;
    if (f->is_array)
        st = decode_array(d, f->type, f, v, base + f->offset, depth);
    else
        st = decode_value(d, f->type, f, v, base + f->offset, depth);
    if (st == GK_OK && f->has_presence)
        *(bool *)(base + f->presence_offset) = true;
    return st;
}

static gk_status decode_struct(struct dec *d, const gk_type *t, const gk_json *v, void *out,
                               unsigned depth)
{
    uint64_t seen[GK_SCHEMA_MAX_FIELDS / 64] = {0};
    size_t hint = 0;
    char *base = out;

    if (!v || v->type != GK_JSON_OBJECT)
        return expected(d, "object", v);
    if (t->field_count > GK_SCHEMA_MAX_FIELDS)
        return fail(d, "type %s has too many fields", gk_type_name(t));
    for (size_t i = 0; i < v->count; i++) {
        const gk_json *m = &v->items[i];
        const char *key = m->key ? m->key : "";
        size_t key_len = m->key ? m->key_len : 0;
        const gk_field *f = find_field(t, key, key_len, &hint);
        if (!f) {
            if (t->flags & GK_TYPE_STRICT) {
                char shown[48];
                excerpt(key, key_len, shown, sizeof(shown));
                fail(d, "unknown field \"%s\"", shown);
                gk__error_prefix_segment(d->err, key, key_len);
                return GK_INVALID_ARGUMENT;
            }
            continue;
        }
        size_t idx = (size_t)(f - t->fields);
        seen[idx / 64] |= (uint64_t)1 << (idx % 64);
        gk_status st = decode_field(d, f, m, base, depth);
        if (st != GK_OK) {
            gk__error_prefix_segment(d->err, f->name, f->name_len);
            return st;
        }
    }
    for (size_t i = 0; i < t->field_count; i++) {
        if (seen[i / 64] & ((uint64_t)1 << (i % 64)))
            continue;
        const gk_field *f = &t->fields[i];
        gk_status st = decode_absent(d, f, base);
        if (st != GK_OK) {
            gk__error_prefix_segment(d->err, f->name, f->name_len);
            return st;
        }
    }
    return GK_OK;
}

/* c: the field whose constraints apply to this value (or to each element of it), or NULL. */
static gk_status decode_value(struct dec *d, const gk_type *t, const gk_field *c, const gk_json *v,
                              void *out, unsigned depth)
{
    gk_status st;
    int64_t x;

    if (depth >= GK_SCHEMA_MAX_DEPTH)
        return fail(d, "nesting deeper than %d levels", GK_SCHEMA_MAX_DEPTH);
    switch (t->kind) {
    case GK_KIND_STRUCT:
        return decode_struct(d, t, v, out, depth + 1);
    case GK_KIND_STRING:
        st = get_string(d, c, v, "string");
        if (st == GK_OK)
            *(const char **)out = v->str;
        return st;
    case GK_KIND_INT32:
        st = get_int(d, c, v, INT32_MIN, INT32_MAX, &x);
        if (st == GK_OK)
            *(int32_t *)out = (int32_t)x;
        return st;
    case GK_KIND_INT64:
        st = get_int(d, c, v, INT64_MIN, INT64_MAX, &x);
        if (st == GK_OK)
            *(int64_t *)out = x;
        return st;
    case GK_KIND_NUMBER:
        if (!v || v->type != GK_JSON_NUMBER)
            return expected(d, "number", v);
        if (!isfinite(v->number))
            return fail(d, "number out of range");
        st = check_range(d, c, v->number);
        if (st == GK_OK)
            *(double *)out = v->number;
        return st;
    case GK_KIND_BOOL:
        if (!v || v->type != GK_JSON_BOOL)
            return expected(d, "boolean", v);
        *(bool *)out = v->boolean;
        return GK_OK;
    case GK_KIND_ENUM:
        return decode_enum(d, t, v, out);
    case GK_KIND_ARRAY:
        /* An array type nested in an array or used as a root: no field constraints reach it. */
        return decode_array(d, t->elem, NULL, v, out, depth + 1);
    case GK_KIND_JSON: {
        gk_json *o = out;
        *o = v ? *v : json_null;
        o->key = NULL;
        o->key_len = 0;
        return GK_OK;
    }
    case GK_KIND_JSON_REF:
        *(const gk_json **)out = v ? v : &json_null;
        return GK_OK;
    }
    return gk_error_set(d->err, GK_INTERNAL, "", "type %s has an invalid kind %d", gk_type_name(t),
                        (int)t->kind);
}

gk_status gk_decode(gk_arena *a, const gk_type *t, const gk_json *v, void *out, gk_error *err)
{
    if (!a || !t || !out)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "gk_decode needs an arena, a type and "
                            "an output");
    struct dec d = {a, err};
    memset(out, 0, t->size);
    gk_status st = decode_value(&d, t, NULL, v ? v : &json_null, out, 0);
    if (st != GK_OK)
        memset(out, 0, t->size);
    return st;
}

gk_status gk_decode_text(gk_arena *a, const gk_type *t, const char *json, size_t len, void *out,
                         gk_error *err)
{
    gk_json *root = NULL;
    if (!a || !t || !out || (!json && len))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "gk_decode_text needs an arena, a type, text and an output");
    gk_status st = gk_json_parse(a, json ? json : "", len, NULL, &root, err);
    if (st != GK_OK) {
        memset(out, 0, t->size);
        return st;
    }
    return gk_decode(a, t, root, out, err);
}
