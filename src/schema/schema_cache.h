/* SPDX-License-Identifier: Apache-2.0 */
/* src/schema/schema_cache.h - JSON Schemas of type descriptors, computed once per process: the
 * generate loop and tools send the same schema with every request, and a descriptor is constant
 * data, so its schema text and parsed tree are made on first use and shared by every thread.
 * Threads: any; lock-free (a fixed table of atomically published entries, never removed). */
#ifndef GK_SCHEMA_CACHE_H
#define GK_SCHEMA_CACHE_H

#include <genkit/schema.h>

/* One cached schema: gk_schema_write_ex(t, flags) as text and as a gk_json tree. */
typedef struct gk__schema_doc {
    const char *text; /* NUL-terminated JSON text */
    size_t len;
    const gk_json *tree; /* the text parsed; shared, never modify */
} gk__schema_doc;

/*
 * The JSON Schema of t written with flags (GK_SCHEMA_NO_META), computed on first use.
 *
 * t must be a descriptor with static storage duration (GK_SCHEMA_DEFINE and friends): entries are
 * keyed by its address. A descriptor whose identity (kind, size, name, fields) no longer matches
 * the entry at its address is not served from the cache.
 * Ownership: the result and everything it points to live until the process ends; read-only.
 * Context: any thread.
 * Returns: the entry; NULL when t is NULL, the schema is over its size cap, memory ran out or the
 *   table is full (callers then compute the schema themselves).
 */
const gk__schema_doc *gk__schema_cached(const gk_type *t, unsigned flags);

/* Test hook: how many schemas the cache has computed since the process started (each miss that
 * computed one; a hit adds nothing). Context: any thread. */
size_t gk__schema_cache_computed(void);

#endif
