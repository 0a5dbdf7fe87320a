/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/runtime.h - carrier loops, fibers and the request context: deadlines, cancellation,
 * fan-out/fan-in, sleeping and offloading blocking work. Flow code is written in blocking style; a
 * call that waits parks the fiber and lets its loop run others.
 * Threads: a gk_ctx and everything it owns belong to one loop; fibers never migrate. gk_runtime_stop
 * is the only call that may come from another thread or a signal handler's loop callback. */
#ifndef GENKIT_RUNTIME_H
#define GENKIT_RUNTIME_H

#include <genkit/arena.h>
#include <genkit/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_runtime gk_runtime;
typedef struct gk_loop gk_loop;
typedef struct gk_ctx gk_ctx;
typedef struct gk_group gk_group;

typedef struct gk_runtime_opts {
    int threads;       /* carrier threads; 0: $GK_THREADS, else the number of cores */
    size_t stack_size; /* usable bytes per fiber stack; 0: 64 KiB (a guard page is added) */
} gk_runtime_opts;

/*
 * Create the loops (not yet running).
 *
 * Ownership: free with gk_runtime_free after gk_runtime_run returned. opts is only read.
 * Returns: the runtime, or NULL with err set (GK_RESOURCE_EXHAUSTED, GK_INTERNAL).
 */
GK_API gk_runtime *gk_runtime_new(const gk_runtime_opts *opts, gk_error *err);

GK_API int gk_runtime_threads(const gk_runtime *rt);
GK_API gk_loop *gk_runtime_loop(gk_runtime *rt, int index);

/*
 * Run every loop until gk_runtime_stop: loop 0 on the calling thread, the others on their own.
 * on_start(loop, arg) runs first on each loop's thread (to open listeners, start fibers).
 *
 * Returns: GK_OK after all loops stopped; an error if a thread could not start.
 */
GK_API gk_status gk_runtime_run(gk_runtime *rt, void (*on_start)(gk_loop *loop, void *arg),
                                void *arg, gk_error *err);

/* Ask every loop to stop once its handles are closed. Thread-safe. */
GK_API void gk_runtime_stop(gk_runtime *rt);

/* Release the loops and pooled stacks. NULL is a no-op. */
GK_API void gk_runtime_free(gk_runtime *rt);

/* The runtime and index of a loop. */
GK_API gk_runtime *gk_loop_runtime(const gk_loop *loop);
GK_API int gk_loop_index(const gk_loop *loop);

/* Milliseconds of the monotonic clock (the loop's cached time inside fibers). */
GK_API int64_t gk_now_ms(void);

/* ---- the request context ---- */

/* The arena of ctx's request. */
GK_API gk_arena *gk_ctx_arena(const gk_ctx *ctx);

/* The loop ctx runs on. */
GK_API gk_loop *gk_ctx_loop(const gk_ctx *ctx);

/* True once ctx was cancelled or its deadline passed. */
GK_API bool gk_ctx_is_cancelled(const gk_ctx *ctx);

/* GK_OK while live; GK_CANCELLED or GK_DEADLINE_EXCEEDED once ended. */
GK_API gk_status gk_ctx_status(const gk_ctx *ctx);

/* Cancel ctx and its descendants with why (GK_CANCELLED, GK_DEADLINE_EXCEEDED...): wakes every fiber
 * parked under it; their waits return why. Idempotent: the first reason stays. */
GK_API void gk_ctx_cancel(gk_ctx *ctx, gk_status why);

/* Narrow ctx's deadline to now + ms (never extends it). ms <= 0 cancels at once. */
GK_API void gk_ctx_set_timeout(gk_ctx *ctx, int64_t ms);

/* Absolute deadline on gk_now_ms's clock, or INT64_MAX if none. */
GK_API int64_t gk_ctx_deadline(const gk_ctx *ctx);

/*
 * Park the fiber for ms milliseconds.
 *
 * Context: a fiber. Returns: GK_OK; GK_CANCELLED or GK_DEADLINE_EXCEEDED if ctx ended first.
 */
GK_API gk_status gk_sleep(gk_ctx *ctx, int64_t ms);

/*
 * Run fn(arg) on the thread pool while the fiber waits; for code that must block (a synchronous
 * driver, big file I/O). fn must not touch ctx or its arena from the other thread except through arg.
 *
 * Context: a fiber. Returns: GK_OK after fn ran; if ctx is cancelled before fn started, fn does not
 *   run and the status is returned; once started, fn runs to completion and the wait returns then.
 */
GK_API gk_status gk_blocking(gk_ctx *ctx, void (*fn)(void *arg), void *arg);

/* ---- fan-out / fan-in ---- */

/* A branch: runs in its own fiber on the same loop with a child context (same arena, cancelled with
 * the parent). Report failures through err and return its status. */
typedef gk_status (*gk_task_fn)(gk_ctx *ctx, void *arg, gk_error *err);

typedef struct gk_group_opts {
    int64_t timeout_ms;   /* 0: only the parent's deadline; else branches get this long */
    bool cancel_on_error; /* first failure cancels the other branches (errgroup style) */
} gk_group_opts;

/*
 * Start a group of branches under ctx. opts may be NULL.
 *
 * Ownership: lives in ctx's arena. Context: a fiber. Returns: NULL if over the arena cap.
 */
GK_API gk_group *gk_group_new(gk_ctx *ctx, const gk_group_opts *opts);

/*
 * Start fn(child_ctx, arg, err) as a new branch; it runs as soon as the caller parks.
 *
 * Returns: GK_OK; GK_RESOURCE_EXHAUSTED if no fiber could be made (fn then never runs).
 */
GK_API gk_status gk_go(gk_group *g, gk_task_fn fn, void *arg);

/*
 * Wait for every branch. On timeout the unfinished branches are cancelled with
 * GK_DEADLINE_EXCEEDED and waited for.
 *
 * Returns: GK_OK if all succeeded; else the status of the first failing branch in start order,
 *   with err copied from it. If the waiting ctx is cancelled, the branches are cancelled too.
 */
GK_API gk_status gk_group_wait(gk_group *g, gk_error *err);

/* Number of branches started, and branch i's outcome after gk_group_wait (err may be NULL). */
GK_API size_t gk_group_size(const gk_group *g);
GK_API gk_status gk_group_result(const gk_group *g, size_t i, const gk_error **err);

#ifdef __cplusplus
}
#endif
#endif
