/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/schema_internal.h - what decode.c, encode.c, jsonschema.c and types.c share: reading
 * and writing GK_ARRAY_OF members, presence flags, and JSON pointer segments for error paths. */
#ifndef GK_SCHEMA_INTERNAL_H
#define GK_SCHEMA_INTERNAL_H

#include <string.h>

#include <genkit/schema.h>

/* The layout every GK_ARRAY_OF(E) has (checked by the field macros). Accessed with memcpy, because
 * the member's own struct type is anonymous and differs per element type. */
static inline void gk__array_get(const void *p, const void **items, size_t *count)
{
    memcpy(items, p, sizeof(*items));
    memcpy(count, (const char *)p + sizeof(void *), sizeof(*count));
}

static inline void gk__array_set(void *p, void *items, size_t count)
{
    memcpy(p, &items, sizeof(items));
    memcpy((char *)p + sizeof(void *), &count, sizeof(count));
}

/* Whether an optional field is set in the struct at base. Required fields are always set. */
static inline bool gk__field_is_set(const gk_field *f, const void *base)
{
    const char *m = (const char *)base + f->offset;
    if (!f->optional)
        return true;
    if (f->has_presence)
        return *(const bool *)((const char *)base + f->presence_offset);
    if (f->is_array) {
        const void *items;
        size_t count;
        gk__array_get(m, &items, &count);
        return items != NULL;
    }
    /* STRING and JSON_REF: a pointer, NULL when absent. */
    const void *ptr;
    memcpy(&ptr, m, sizeof(ptr));
    return ptr != NULL;
}

/* Prefix err's path with "/" + s[0..len) escaped as a JSON pointer segment (~ -> ~0, / -> ~1). */
void gk__error_prefix_segment(gk_error *err, const char *s, size_t len);

/* Prefix err's path with "/<index>". */
void gk__error_prefix_index(gk_error *err, size_t index);

#endif
