/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/encode.c - the encoder: a C value to JSON by its descriptor, through the streaming
 * writer. It never fails on its own; the writer's buffer records overflow. It does not validate
 * constraints (the value is the program's own), but it always writes JSON that has the schema's
 * shape, so that decoding it again succeeds. */
#include <string.h>

#include "schema/schema_internal.h"
#include "base/banned.h"

static void encode_value(gk_jw *w, const gk_type *t, const void *p, unsigned depth);

static void encode_array(gk_jw *w, const gk_type *elem, const void *p, unsigned depth)
{
    const void *items;
    size_t count;
    gk__array_get(p, &items, &count);
    gk_jw_array_begin(w);
    if (items) {
        for (size_t i = 0; i < count && !gk_buf_failed(w->b); i++)
            encode_value(w, elem, (const char *)items + i * elem->size, depth);
    }
    gk_jw_array_end(w);
}

static void encode_struct(gk_jw *w, const gk_type *t, const void *p, unsigned depth)
{
    gk_jw_object_begin(w);
    for (size_t i = 0; i < t->field_count; i++) {
        const gk_field *f = &t->fields[i];
        if (!gk__field_is_set(f, p))
            continue;
        gk_jw_key(w, f->name);
        const char *m = (const char *)p + f->offset;
        if (f->is_array)
            encode_array(w, f->type, m, depth);
        else
            encode_value(w, f->type, m, depth);
    }
    gk_jw_object_end(w);
}

static void encode_value(gk_jw *w, const gk_type *t, const void *p, unsigned depth)
{
    if (depth >= GK_SCHEMA_MAX_DEPTH) {
        /* Only a cyclic hand-made descriptor gets here; gk_type_validate rejects those. */
        w->b->failed = true;
        return;
    }
    switch (t->kind) {
    case GK_KIND_STRUCT:
        encode_struct(w, t, p, depth + 1);
        return;
    case GK_KIND_STRING: {
        const char *s = *(const char *const *)p;
        gk_jw_string(w, s ? s : "");
        return;
    }
    case GK_KIND_INT32:
        gk_jw_int(w, *(const int32_t *)p);
        return;
    case GK_KIND_INT64:
        gk_jw_int(w, *(const int64_t *)p);
        return;
    case GK_KIND_NUMBER:
        gk_jw_double(w, *(const double *)p);
        return;
    case GK_KIND_BOOL:
        gk_jw_bool(w, *(const bool *)p);
        return;
    case GK_KIND_ENUM: {
        int x;
        memcpy(&x, p, sizeof(x));
        if (x >= 0 && (size_t)x < t->value_count)
            gk_jw_string(w, t->values[x]);
        else
            gk_jw_null(w);
        return;
    }
    case GK_KIND_ARRAY:
        encode_array(w, t->elem, p, depth + 1);
        return;
    case GK_KIND_JSON:
        gk_jw_value(w, (const gk_json *)p);
        return;
    case GK_KIND_JSON_REF:
        gk_jw_value(w, *(const gk_json *const *)p); /* NULL is written as null */
        return;
    }
    gk_jw_null(w);
}

void gk_encode(gk_jw *w, const gk_type *t, const void *v)
{
    if (!w || !w->b)
        return;
    if (!t || !v) {
        gk_jw_null(w);
        return;
    }
    encode_value(w, t, v, 0);
}
