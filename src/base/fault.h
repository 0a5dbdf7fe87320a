/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/fault.h - allocation fault injection for fault-sweep tests (curl's torture mode, SQLite's
 * fault tests). Compiled into every build: when disabled (the default) the cost is one relaxed load
 * and a predicted branch per allocation.
 * Threads: the countdown is process-wide and atomic; sweeps should run single-threaded. */
#ifndef GK_BASE_FAULT_H
#define GK_BASE_FAULT_H

#include <stdatomic.h>
#include <stdbool.h>

/*
 * Make the n-th allocation from now fail (n >= 1), once; n = -1 (or 0) disables injection.
 *
 * Counted allocations: gk_arena_new, every gk_arena_alloc/calloc/realloc/strdup/sprintf request
 * (even those served by a pointer bump, so sweeps reach every allocation site), gk_arena_defer,
 * gk_buf growth, the JSON reader's scratch stack, and any other layer that calls
 * gk__alloc_should_fail() before its own malloc.
 * Context: tests only.
 */
void gk__alloc_fail_after(long n);

/* True once: when the countdown set by gk__alloc_fail_after reaches this allocation. */
bool gk__alloc_fault_hit(void);

/* Whether the injected failure has happened since the last gk__alloc_fail_after (a sweep can stop
 * once a run completes without it). */
bool gk__alloc_fault_fired(void);

extern atomic_long gk__fault_countdown;

/* Call before an allocation that the fault sweep should be able to fail. */
static inline bool gk__alloc_should_fail(void)
{
    if (__builtin_expect(atomic_load_explicit(&gk__fault_countdown, memory_order_relaxed) <= 0, 1))
        return false;
    return gk__alloc_fault_hit();
}

#endif
