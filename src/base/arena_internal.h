/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/arena_internal.h - arena entry points for base-layer hot paths (the JSON reader). */
#ifndef GK_BASE_ARENA_INTERNAL_H
#define GK_BASE_ARENA_INTERNAL_H

#include <genkit/arena.h>

/* Like gk_arena_alloc but the memory is NOT zeroed: for callers that overwrite all of it at once. */
void *gk__arena_alloc_raw(gk_arena *a, size_t size);

#endif
