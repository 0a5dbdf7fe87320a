/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/arena.h - the request arena: bump allocation released all at once, with a memory cap and
 * cleanups for foreign objects. Everything made on behalf of one request lives in its arena.
 * Threads: an arena belongs to one fiber (and the fibers it fans out to on the same loop). */
#ifndef GENKIT_ARENA_H
#define GENKIT_ARENA_H

#include <genkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_arena gk_arena;

/*
 * Create an arena whose total allocations may not exceed cap bytes (0: 64 MiB).
 *
 * Ownership: the caller frees it with gk_arena_free.
 * Returns: the arena, or NULL if out of memory.
 */
GK_API gk_arena *gk_arena_new(size_t cap);

/* Run the deferred cleanups (last registered first) and release all memory. NULL is a no-op. */
GK_API void gk_arena_free(gk_arena *a);

/*
 * Allocate size bytes, zeroed and aligned for any type.
 *
 * Returns: the memory, owned by a; NULL if size is 0 is not an error (returns a unique pointer),
 *   NULL if the cap would be exceeded or the system is out of memory.
 */
GK_API void *gk_arena_alloc(gk_arena *a, size_t size);

/* Like gk_arena_alloc but size = n * size with overflow checked; NULL on overflow. */
GK_API void *gk_arena_calloc(gk_arena *a, size_t n, size_t size);

/* Grow an allocation made from a (old may be NULL); the old contents are copied. Old memory is not
 * reclaimed until the arena is freed, except when old was the last allocation (grown in place). */
GK_API void *gk_arena_realloc(gk_arena *a, void *old, size_t old_size, size_t new_size);

/* Copy n bytes of s and add a NUL. Returns NULL if over cap. */
GK_API char *gk_arena_strndup(gk_arena *a, const char *s, size_t n);

/* Copy a NUL-terminated string. Returns NULL if over cap or s is NULL. */
GK_API char *gk_arena_strdup(gk_arena *a, const char *s);

/* printf into arena memory. Returns NULL if over cap. */
GK_API char *gk_arena_sprintf(gk_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Register fn(arg) to run when the arena is freed (last registered, first run).
 *
 * Returns: true; false if out of memory (fn is then not registered and the caller must clean up).
 */
GK_API bool gk_arena_defer(gk_arena *a, void (*fn)(void *arg), void *arg);

/* Bytes handed out so far (for limits and metrics). */
GK_API size_t gk_arena_used(const gk_arena *a);

/* Typed, zeroed allocation of n objects of type T. NULL if over cap or on overflow. */
#define GK_NEW(arena, T, n) ((T *)gk_arena_calloc((arena), (n), sizeof(T)))

#ifdef __cplusplus
}
#endif
#endif
