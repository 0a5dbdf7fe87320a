/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/loop.h - the runtime layer's private structures: a carrier loop (libuv loop, fiber
 * scheduler, task queue, timer pool), the runtime, and the request context. Only the runtime's .c
 * files include it; the layers above use sched.h. Threads: a gk_loop and everything hanging off it
 * belong to the loop's thread, except stop_requested and stop_async, which gk_runtime_stop touches
 * from anywhere. */
#ifndef GK_RUNTIME_LOOP_H
#define GK_RUNTIME_LOOP_H

#include <pthread.h>
#include <stdatomic.h>

#include "runtime/fiber.h"
#include "runtime/sched.h"

/* Work to run on the loop's own stack "soon": right after the running fiber yields, or at the end
 * of the current libuv callback. Intrusive: the owner embeds it; queued is the runtime's.
 * Invariant: a task is in at most one queue, once. */
typedef struct gk__task {
    void (*fn)(struct gk__task *t);
    struct gk__task *next;
    bool queued;
} gk__task;

struct gk__stop_hook {
    void (*fn)(gk_loop *loop, void *arg);
    void *arg;
};

/*
 * One carrier loop. Invariants: ready_* is a FIFO of fibers with queued set; idle_active is true
 * whenever ready or tasks are non-empty (so the loop neither sleeps nor exits with work pending);
 * the check handle is always active and unreferenced (it drains after each poll phase).
 */
struct gk_loop {
    gk_runtime *rt;
    int index;
    uv_loop_t uv;
    uv_async_t stop_async;
    uv_idle_t idle;
    uv_check_t check;
    bool idle_active;
    bool draining;
    bool stopping; /* the stop hooks ran (or are running) */
    bool torn_down;
    bool ran;
    atomic_bool stop_requested;
    gk__fiber_host host;
    gk_fiber *ready_head;
    gk_fiber *ready_tail;
    gk_fiber *alive; /* every fiber handed out and not finished, for teardown */
    gk__task *task_head;
    gk__task *task_tail;
    struct gk__stop_hook *stop_hooks;
    size_t n_stop_hooks;
    size_t cap_stop_hooks;
    struct gk__pooled_timer *timers; /* stopped timers ready for reuse */
    size_t n_timers;
    /* The HTTP client's per-loop state (http_client.c), created on first use, released by
     * http_free during teardown. */
    void *http;
    void (*http_free)(gk_loop *loop);
    pthread_t thread;
    bool thread_started;
};

struct gk_runtime {
    gk_loop **loops;
    int n;
    size_t stack_size;
    void (*on_start)(gk_loop *loop, void *arg);
    void *on_start_arg;
};

/*
 * The request context. Invariants: children share arena and loop; status is GK_OK until the first
 * cancel and never changes after; deadline is this context's own narrowing (INT64_MAX if none), the
 * effective one being the minimum along the parent chain; timer is held only while a deadline is
 * pending; parked lists the waiters parked on it now.
 */
struct gk_ctx {
    gk_arena *arena;
    gk_loop *loop;
    gk_ctx *parent;
    gk_ctx *children;
    gk_ctx *next_sibling;
    gk_status status;
    int64_t deadline;
    uv_timer_t *timer;
    gk_waiter *parked;
    gk__task notify; /* delivers a cancel to parked waiters on the loop's stack */
    void *slots[GK_CTX_SLOTS];
};

/* The loop of the current thread (same as gk__loop_current), and its running fiber (NULL on the
 * loop's stack). */
gk_fiber *gk__fiber_current(void);

/* Queue t to run on loop's stack (see gk__task). No-op if already queued. */
void gk__loop_post(gk_loop *loop, gk__task *t);

/* Take t out of loop's queue if it is there. */
void gk__loop_unpost(gk_loop *loop, gk__task *t);

/* Put the current fiber at the end of the ready queue and switch to the loop. Context: a fiber. */
void gk__yield(void);

/* A stopped timer on loop (pooled; data and callback are the caller's), or NULL if out of memory.
 * Give it back with gk__loop_timer_put, which stops it. */
uv_timer_t *gk__loop_timer_get(gk_loop *loop);
void gk__loop_timer_put(gk_loop *loop, uv_timer_t *t);

#endif
