/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/jsonschema.c - JSON Schema (draft 2020-12 subset) from a descriptor: the subset that
 * Genkit's Dev UI, OpenAPI and the model providers' structured-output modes all accept. Nested
 * structs are written inline, never as $ref (Gemini's responseSchema and OpenAI's strict mode
 * handle $ref badly), so a schema is as deep as its descriptor. */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>

#include <genkit/arena.h>
#include <genkit/buf.h>
#include <genkit/json.h>

#include "schema/schema_cache.h"
#include "schema/schema_internal.h"
#include "base/banned.h"

static void schema_value(gk_jw *w, const gk_type *t, const gk_field *c, const char *desc, bool root,
                         unsigned flags, unsigned depth);

/* Integers print as integers when the bound is integral (1, not 1.0: same value, tidier text). */
static void write_bound(gk_jw *w, const gk_type *t, double x)
{
    bool integral_kind = t->kind == GK_KIND_INT32 || t->kind == GK_KIND_INT64;
    if (integral_kind && x == floor(x) && fabs(x) < 9007199254740992.0)
        gk_jw_int(w, (int64_t)x);
    else
        gk_jw_double(w, x);
}

static void write_default(gk_jw *w, const gk_type *t, const gk_field *f)
{
    switch (t->kind) {
    case GK_KIND_STRING:
        gk_jw_key(w, "default");
        gk_jw_string(w, f->default_string ? f->default_string : "");
        return;
    case GK_KIND_INT32:
    case GK_KIND_INT64:
        gk_jw_key(w, "default");
        gk_jw_int(w, f->default_int);
        return;
    case GK_KIND_NUMBER:
        gk_jw_key(w, "default");
        gk_jw_double(w, f->default_number);
        return;
    case GK_KIND_BOOL:
        gk_jw_key(w, "default");
        gk_jw_bool(w, f->default_int != 0);
        return;
    case GK_KIND_ENUM:
        if (f->default_int >= 0 && (uint64_t)f->default_int < t->value_count) {
            gk_jw_key(w, "default");
            gk_jw_string(w, t->values[f->default_int]);
        }
        return;
    default:
        return;
    }
}

static void schema_struct(gk_jw *w, const gk_type *t, unsigned flags, unsigned depth)
{
    size_t required = 0;
    gk_jw_key(w, "properties");
    gk_jw_object_begin(w);
    for (size_t i = 0; i < t->field_count; i++) {
        const gk_field *f = &t->fields[i];
        gk_jw_key(w, f->name);
        if (f->is_array) {
            gk_jw_object_begin(w);
            gk_jw_key(w, "type");
            gk_jw_string(w, "array");
            if (f->description) {
                gk_jw_key(w, "description");
                gk_jw_string(w, f->description);
            }
            gk_jw_key(w, "items");
            schema_value(w, f->type, f, NULL, false, flags, depth + 1);
            if (f->min_items) {
                gk_jw_key(w, "minItems");
                gk_jw_int(w, (int64_t)f->min_items);
            }
            if (f->max_items) {
                gk_jw_key(w, "maxItems");
                gk_jw_int(w, (int64_t)f->max_items);
            }
            gk_jw_object_end(w);
        } else {
            schema_value(w, f->type, f, f->description, false, flags, depth + 1);
        }
        required += !f->optional && !f->has_default;
    }
    gk_jw_object_end(w);
    if (required) {
        gk_jw_key(w, "required");
        gk_jw_array_begin(w);
        for (size_t i = 0; i < t->field_count; i++) {
            const gk_field *f = &t->fields[i];
            if (!f->optional && !f->has_default)
                gk_jw_string(w, f->name);
        }
        gk_jw_array_end(w);
    }
    gk_jw_key(w, "additionalProperties");
    gk_jw_bool(w, false);
}

/*
 * One schema object for a value of type t. c: the field whose constraints and default apply (to
 * the value itself, or to each element when c is an array field), or NULL. desc: the description
 * to show (a field's), else the type's own is used.
 */
static void schema_value(gk_jw *w, const gk_type *t, const gk_field *c, const char *desc, bool root,
                         unsigned flags, unsigned depth)
{
    const char *type = NULL;
    if (depth >= GK_SCHEMA_MAX_DEPTH) {
        /* Only a cyclic hand-made descriptor gets here (gk_type_validate rejects those); a cut
         * schema would be a wrong one, so fail the buffer as the writer does past its depth. */
        w->b->failed = true;
        return;
    }
    gk_jw_object_begin(w);
    if (root && !(flags & GK_SCHEMA_NO_META)) {
        gk_jw_key(w, "$schema");
        gk_jw_string(w, "https://json-schema.org/draft/2020-12/schema");
    }
    switch (t->kind) {
    case GK_KIND_STRUCT:
        type = "object";
        break;
    case GK_KIND_STRING:
    case GK_KIND_ENUM:
        type = "string";
        break;
    case GK_KIND_INT32:
    case GK_KIND_INT64:
        type = "integer";
        break;
    case GK_KIND_NUMBER:
        type = "number";
        break;
    case GK_KIND_BOOL:
        type = "boolean";
        break;
    case GK_KIND_ARRAY:
        type = "array";
        break;
    case GK_KIND_JSON:
    case GK_KIND_JSON_REF:
        break;
    }
    if (type) {
        gk_jw_key(w, "type");
        gk_jw_string(w, type);
    }
    if (t->kind == GK_KIND_ENUM) {
        gk_jw_key(w, "enum");
        gk_jw_array_begin(w);
        for (size_t i = 0; i < t->value_count; i++)
            gk_jw_string(w, t->values[i]);
        gk_jw_array_end(w);
    }
    if (!desc)
        desc = t->description;
    if (desc) {
        gk_jw_key(w, "description");
        gk_jw_string(w, desc);
    }
    if (t->kind == GK_KIND_STRUCT) {
        schema_struct(w, t, flags, depth);
    } else if (t->kind == GK_KIND_ARRAY) {
        gk_jw_key(w, "items");
        schema_value(w, t->elem, NULL, NULL, false, flags, depth + 1);
    }
    if (c && (t->kind == GK_KIND_INT32 || t->kind == GK_KIND_INT64 || t->kind == GK_KIND_NUMBER)) {
        if (c->has_minimum) {
            gk_jw_key(w, "minimum");
            write_bound(w, t, c->minimum);
        }
        if (c->has_maximum) {
            gk_jw_key(w, "maximum");
            write_bound(w, t, c->maximum);
        }
    }
    if (c && t->kind == GK_KIND_STRING) {
        if (c->min_length) {
            gk_jw_key(w, "minLength");
            gk_jw_int(w, (int64_t)c->min_length);
        }
        if (c->max_length) {
            gk_jw_key(w, "maxLength");
            gk_jw_int(w, (int64_t)c->max_length);
        }
    }
    if (c && c->has_default && !c->is_array)
        write_default(w, t, c);
    gk_jw_object_end(w);
}

void gk_schema_write_ex(gk_jw *w, const gk_type *t, unsigned flags)
{
    if (!w || !w->b)
        return;
    if (!t) {
        gk_jw_object_begin(w);
        gk_jw_object_end(w);
        return;
    }
    schema_value(w, t, NULL, NULL, true, flags, 0);
}

void gk_schema_write(gk_jw *w, const gk_type *t)
{
    gk_schema_write_ex(w, t, 0);
}

/* ---- the per-process cache (schema_cache.h) ---- */

/* Largest cached schema, as text; and how many (type, flags) pairs the table holds. A process has
 * as many as it has descriptors used as model output or tool types: a few dozen. */
#define CACHE_SCHEMA_CAP ((size_t)1 << 20)
#define CACHE_SLOTS      1024u

struct cache_entry {
    gk__schema_doc doc;
    const gk_type *type;
    unsigned flags;
    /* The descriptor's identity when the entry was made, checked on every hit. */
    gk_kind kind;
    size_t size;
    const char *name;
    const gk_field *fields;
    gk_arena *arena; /* holds the entry, text and tree; kept for the life of the process */
};

static _Atomic(struct cache_entry *) cache_table[CACHE_SLOTS];
static atomic_size_t cache_computed;

static size_t cache_slot(const gk_type *t, unsigned flags)
{
    uint64_t h = ((uint64_t)(uintptr_t)t >> 3) ^ ((uint64_t)flags << 61);
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 40) % CACHE_SLOTS;
}

static bool cache_matches(const struct cache_entry *e, const gk_type *t, unsigned flags)
{
    return e->type == t && e->flags == flags;
}

static bool cache_same_identity(const struct cache_entry *e, const gk_type *t)
{
    return e->kind == t->kind && e->size == t->size && e->name == t->name && e->fields == t->fields;
}

/* A new entry for (t, flags) in an arena of its own; NULL on failure. */
static struct cache_entry *cache_make(const gk_type *t, unsigned flags)
{
    gk_arena *a = gk_arena_new(0);
    if (!a)
        return NULL;
    gk_buf b = GK_BUF_INIT(CACHE_SCHEMA_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_schema_write_ex(&w, t, flags);
    struct cache_entry *e = NULL;
    gk_json *tree = NULL;
    if (!gk_buf_failed(&b) && gk_json_parse(a, b.ptr, b.len, NULL, &tree, NULL) == GK_OK)
        e = GK_NEW(a, struct cache_entry, 1);
    const char *text = e ? gk_arena_strndup(a, b.ptr, b.len) : NULL;
    size_t len = b.len;
    gk_buf_release(&b);
    if (!text) {
        gk_arena_free(a);
        return NULL;
    }
    *e = (struct cache_entry){.doc = {.text = text, .len = len, .tree = tree},
                              .type = t,
                              .flags = flags,
                              .kind = t->kind,
                              .size = t->size,
                              .name = t->name,
                              .fields = t->fields,
                              .arena = a};
    atomic_fetch_add_explicit(&cache_computed, 1, memory_order_relaxed);
    return e;
}

const gk__schema_doc *gk__schema_cached(const gk_type *t, unsigned flags)
{
    if (!t)
        return NULL;
    size_t start = cache_slot(t, flags);
    struct cache_entry *mine = NULL;
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        _Atomic(struct cache_entry *) *slot = &cache_table[(start + i) % CACHE_SLOTS];
        struct cache_entry *e = atomic_load_explicit(slot, memory_order_acquire);
        if (!e) {
            if (!mine)
                mine = cache_make(t, flags);
            if (!mine)
                return NULL;
            if (atomic_compare_exchange_strong_explicit(slot, &e, mine, memory_order_acq_rel,
                                                        memory_order_acquire))
                return &mine->doc;
            /* Another thread filled the slot first: e is its entry; look at it as any other. */
        }
        if (cache_matches(e, t, flags)) {
            if (mine)
                gk_arena_free(mine->arena);
            /* Same address, another descriptor (a type that was not static): not served. */
            return cache_same_identity(e, t) ? &e->doc : NULL;
        }
    }
    if (mine)
        gk_arena_free(mine->arena);
    return NULL;
}

size_t gk__schema_cache_computed(void)
{
    return atomic_load_explicit(&cache_computed, memory_order_relaxed);
}
