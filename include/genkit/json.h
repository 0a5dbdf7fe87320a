/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/json.h - strict JSON (RFC 8259): an arena-allocated tree for reading and untyped actions, and
 * a writer that always escapes. The reader validates UTF-8, rejects duplicate keys, limits depth and
 * size, and keeps integers exact (int64) with the source text of every number.
 * Threads: trees belong to their arena's fiber; the writer to its gk_buf's owner. */
#ifndef GENKIT_JSON_H
#define GENKIT_JSON_H

#include <genkit/arena.h>
#include <genkit/buf.h>
#include <genkit/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gk_json_type {
    GK_JSON_NULL,
    GK_JSON_BOOL,
    GK_JSON_NUMBER,
    GK_JSON_STRING,
    GK_JSON_ARRAY,
    GK_JSON_OBJECT,
} gk_json_type;

/*
 * One JSON value. Plain data, owned by the arena it was parsed or built in.
 * Invariants: for STRING, str is NUL-terminated UTF-8 of len bytes (may contain "\0" escapes, so use
 * len); for NUMBER, str/len hold the source text and is_int tells whether `integer` is exact; for
 * ARRAY and OBJECT, items holds count values and, in an object, each item's key/key_len is set and
 * keys are unique; len is the capacity of items (count after parsing; gk_json_array_push and
 * gk_json_object_set grow it geometrically; 0 in a hand-built value means "exactly count").
 */
typedef struct gk_json {
    gk_json_type type;
    bool boolean;
    bool is_int;     /* a number without fraction or exponent that fits int64 */
    int64_t integer; /* exact when is_int */
    double number;   /* every number, as the nearest double */
    const char *str; /* STRING value, or NUMBER source text */
    size_t len;
    size_t count;          /* ARRAY/OBJECT: number of items */
    struct gk_json *items; /* ARRAY/OBJECT: the items, contiguous */
    const char *key;       /* when this value is an object member: its name (NUL-terminated) */
    size_t key_len;
} gk_json;

/* Limits for the reader. Zero fields take the defaults. */
typedef struct gk_json_limits {
    size_t max_depth; /* nesting of arrays/objects; default 64 */
    size_t max_size;  /* bytes of input; default 16 MiB */
} gk_json_limits;

/*
 * Parse text (exactly one JSON value, surrounding whitespace allowed) into a tree in a.
 *
 * Ownership: the tree and its strings live in a; text is only read during the call.
 * Returns: GK_OK; GK_INVALID_ARGUMENT with a message "line L column C: what" for syntax errors,
 *   invalid UTF-8, duplicate keys, depth over the limit; GK_RESOURCE_EXHAUSTED if the input exceeds
 *   max_size or the arena cap.
 */
GK_API gk_status gk_json_parse(gk_arena *a, const char *text, size_t len,
                               const gk_json_limits *limits, gk_json **out, gk_error *err);

/* The member of obj named key, or NULL if obj is not an object or has no such member. */
GK_API const gk_json *gk_json_get(const gk_json *obj, const char *key);

/* Like gk_json_get with an explicit key length. */
GK_API const gk_json *gk_json_getn(const gk_json *obj, const char *key, size_t key_len);

/* "null", "boolean", "number", "string", "array", "object". */
GK_API const char *gk_json_type_name(const gk_json *v);

/* True if p[0..n) is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
GK_API bool gk_utf8_valid(const char *p, size_t n);

/* Value constructors in arena a (NULL if over cap). Strings are copied. */
GK_API gk_json *gk_json_new_null(gk_arena *a);
GK_API gk_json *gk_json_new_bool(gk_arena *a, bool b);
GK_API gk_json *gk_json_new_int(gk_arena *a, int64_t i);
GK_API gk_json *gk_json_new_double(gk_arena *a, double d);
GK_API gk_json *gk_json_new_string(gk_arena *a, const char *s, size_t len);
GK_API gk_json *gk_json_new_array(gk_arena *a);
GK_API gk_json *gk_json_new_object(gk_arena *a);
/* Append a copy of v to arr (a shallow copy: v's strings and items are shared, not duplicated).
 * Returns false if over cap or arr is not an array. */
GK_API bool gk_json_array_push(gk_arena *a, gk_json *arr, const gk_json *v);
/* Set member key of obj to a shallow copy of v (replacing an existing one; key is copied). Finding
 * an existing member is a linear scan. False if over cap or obj is not an object. */
GK_API bool gk_json_object_set(gk_arena *a, gk_json *obj, const char *key, const gk_json *v);

/* Serialize v compactly into b (check gk_buf_failed afterwards). */
GK_API void gk_json_write(gk_buf *b, const gk_json *v);

/* Write s as a quoted, escaped JSON string (control characters, quotes, backslash, U+2028/9). */
GK_API void gk_json_write_string(gk_buf *b, const char *s, size_t len);

/* Deep equality (object member order ignored; numbers compared by value). */
GK_API bool gk_json_equal(const gk_json *x, const gk_json *y);

/*
 * Streaming writer: begin/append/end into a gk_buf with commas placed automatically (git's
 * json-writer). Invariants: depth <= GK_JW_MAX_DEPTH; `first` bit d is set while container d is empty.
 */
#define GK_JW_MAX_DEPTH 64
typedef struct gk_jw {
    gk_buf *b;
    unsigned depth;
    uint64_t first;   /* bit per depth: next item is the first */
    uint64_t after_key;
} gk_jw;

GK_API void gk_jw_init(gk_jw *w, gk_buf *b);
GK_API void gk_jw_object_begin(gk_jw *w);
GK_API void gk_jw_object_end(gk_jw *w);
GK_API void gk_jw_array_begin(gk_jw *w);
GK_API void gk_jw_array_end(gk_jw *w);
/* A member name; the next value call writes its value. */
GK_API void gk_jw_key(gk_jw *w, const char *key);
GK_API void gk_jw_string(gk_jw *w, const char *s);
GK_API void gk_jw_stringn(gk_jw *w, const char *s, size_t len);
GK_API void gk_jw_int(gk_jw *w, int64_t i);
/* Shortest round-trip form; NaN/Inf are written as null (JSON has no such numbers). */
GK_API void gk_jw_double(gk_jw *w, double d);
GK_API void gk_jw_bool(gk_jw *w, bool b);
GK_API void gk_jw_null(gk_jw *w);
/* A value that is already JSON text (trusted: the caller guarantees it is valid). */
GK_API void gk_jw_raw(gk_jw *w, const char *json, size_t len);
/* A gk_json tree as the next value. */
GK_API void gk_jw_value(gk_jw *w, const gk_json *v);

#ifdef __cplusplus
}
#endif
#endif
