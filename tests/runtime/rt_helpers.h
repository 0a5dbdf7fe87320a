/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/rt_helpers.h - run one function in a fiber on a fresh one-loop runtime, with a root
 * context over a fresh arena, and return when the loop stopped. Header-only, for the runtime tests.
 */
#ifndef GK_TESTS_RT_HELPERS_H
#define GK_TESTS_RT_HELPERS_H

#include <genkit/runtime.h>

#include "runtime/sched.h"

struct rt_run {
    gk_runtime *rt;
    void (*fn)(gk_ctx *ctx, void *arg);
    void *arg;
    gk_arena *arena;
    gk_ctx *ctx;
    int spawn_status;
};

static inline void rt_run_done(void *arg)
{
    struct rt_run *r = arg;
    gk_arena_free(r->arena);
    r->arena = NULL;
    gk_runtime_stop(r->rt);
}

static inline void rt_run_main(gk_ctx *ctx, void *arg)
{
    struct rt_run *r = arg;
    r->fn(ctx, r->arg);
}

static inline void rt_run_start(gk_loop *loop, void *arg)
{
    struct rt_run *r = arg;
    r->arena = gk_arena_new(0);
    r->ctx = gk__ctx_new(loop, r->arena);
    r->spawn_status = gk__spawn(r->ctx, rt_run_main, rt_run_done, r);
}

/* Run fn(ctx, arg) in a fiber; returns GK_OK once the runtime stopped. */
static inline gk_status rt_run_fiber(void (*fn)(gk_ctx *ctx, void *arg), void *arg,
                                     size_t stack_size)
{
    gk_error err = {0};
    gk_runtime_opts opts = {.threads = 1, .stack_size = stack_size};
    struct rt_run r = {.fn = fn, .arg = arg};
    gk_status st;
    r.rt = gk_runtime_new(&opts, &err);
    if (!r.rt)
        return err.status;
    st = gk_runtime_run(r.rt, rt_run_start, &r, &err);
    gk_runtime_free(r.rt);
    return st != GK_OK ? st : (gk_status)r.spawn_status;
}

#endif
