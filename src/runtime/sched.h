/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/sched.h - the runtime's internal contract for the layers above it (server, core):
 * loops as libuv loops, root contexts, spawning fibers, and parking/waking with cancellation.
 * Not public: plugins never see it. */
#ifndef GK_RUNTIME_SCHED_H
#define GK_RUNTIME_SCHED_H

#include <genkit/runtime.h>
#include <uv.h>

/* Slots for state the upper layers hang on a context; children made by gk_go inherit them. */
enum gk_ctx_slot {
    GK_CTX_SLOT_ACTION = 0, /* core: the running action frame (stream callback, action context) */
    GK_CTX_SLOT_SPAN = 1,   /* telemetry: the current span */
    GK_CTX_SLOT_USER = 2,   /* server: the request (for disconnect detection) */
    GK_CTX_SLOTS = 4,
};

/* The libuv loop of loop, and the loop running on this thread (NULL off carrier threads). */
uv_loop_t *gk__loop_uv(gk_loop *loop);
gk_loop *gk__loop_current(void);

/* Register fn(arg) to run on loop's thread when the runtime stops (close listeners, begin drain).
 * Called from that loop's thread. Returns false if out of memory.
 * The stop sequence, per loop: gk_runtime_stop wakes the loop; the hooks run in registration order
 * (a hook registered after that runs at once); nothing is stopped by force: uv_run returns when no
 * referenced handle is active any more (listeners closed, connections drained, sleeping fibers
 * woken, transfers done, no fiber ready); then the runtime closes its own handles and the HTTP
 * client's, and unmaps the stacks of fibers still parked (with a warning: nothing could wake them).
 * So a hook must close or unref every handle its layer owns, or have them close soon. */
bool gk__loop_on_stop(gk_loop *loop, void (*fn)(gk_loop *loop, void *arg), void *arg);

/*
 * A root context for one request on loop, using arena (borrowed: it must outlive the context; the
 * context itself is allocated in it). Returns NULL if over the arena cap.
 * Lifetime: free the arena on loop's thread, once every fiber using the context or a child of it
 * finished (the root fiber's done callback is the place: gk_group_wait joins all branches before
 * the root returns). The context registers an arena cleanup that gives its deadline timer back to
 * the loop, so nothing of the loop points into a freed arena.
 */
gk_ctx *gk__ctx_new(gk_loop *loop, gk_arena *arena);

/* Per-context slots (see enum gk_ctx_slot). */
void *gk__ctx_get(const gk_ctx *ctx, enum gk_ctx_slot slot);
void gk__ctx_set(gk_ctx *ctx, enum gk_ctx_slot slot, void *value);

/* A child context: same arena and loop, inherits slots and deadline, cancelled with the parent.
 * Returns NULL if over the arena cap. */
gk_ctx *gk__ctx_child(gk_ctx *parent);

/*
 * Start fn(ctx, arg) in a new fiber on ctx's loop (from the loop's own stack or from another fiber
 * of that loop). When fn returns, done(arg) runs on the loop's stack (may be NULL); the fiber's stack
 * goes back to the pool.
 *
 * Returns: GK_OK; GK_RESOURCE_EXHAUSTED if no stack could be had (nothing runs then).
 */
gk_status gk__spawn(gk_ctx *ctx, void (*fn)(gk_ctx *ctx, void *arg), void (*done)(void *arg),
                    void *arg);

/* True when running on a fiber (not on a loop's own stack). */
bool gk__in_fiber(void);

/*
 * One park of one fiber. Fill on_cancel (may be NULL) and data before gk__park; fiber and woken are
 * the runtime's.
 */
typedef struct gk_waiter {
    struct gk_fiber *fiber;
    /* Runs on the loop's stack when the context is cancelled while parked. It must make sure that
     * gk__wake(w) is called, now or later (e.g. after curl let go of the transfer). NULL: the
     * runtime wakes the fiber itself. Not called if w was already woken. */
    void (*on_cancel)(struct gk_waiter *w);
    void *data;
    bool woken;
    /* The runtime's: the context's list of parked waiters. */
    struct gk_waiter *next_parked;
    struct gk_waiter *prev_parked;
} gk_waiter;

/*
 * Park the current fiber until gk__wake(w). If ctx is already cancelled, returns at once without
 * parking. Context: a fiber of ctx's loop.
 * Returns: gk_ctx_status(ctx) after waking (GK_OK if not cancelled).
 */
gk_status gk__park(gk_ctx *ctx, gk_waiter *w);

/* Make w's fiber runnable (it resumes after the current callback or fiber yields). Idempotent;
 * callable from the loop's stack or another fiber of the same loop. A wake that comes before the
 * park (w->woken set while w->fiber is NULL) makes the park return at once: use a zeroed waiter per
 * park, or clear woken before parking with it again. */
void gk__wake(gk_waiter *w);

/*
 * Park the current fiber until gk__wake(w), whatever happens to its context: for waits that must
 * not end early (a group waiting for its branches, a server draining). w->on_cancel is not used.
 * Context: a fiber.
 */
void gk__wait(gk_waiter *w);

/*
 * Run fn(arg) on the loop's own stack and return when it did: for code with deep stacks or
 * re-entrancy rules (curl, TLS) called from a fiber. From the loop's stack it just calls fn.
 * Context: a fiber or the loop's stack of the current thread's loop.
 */
void gk__loop_call(void (*fn)(void *arg), void *arg);

/* Where outgoing HTTP requests get their W3C `traceparent` header: the telemetry layer, which the
 * runtime must not include, registers its function here (core does it in gk_init). fn writes the
 * header value (55 characters and a NUL) for ctx's current span and returns true, or returns false
 * for "no trace". Set once before serving; NULL turns it off. */
typedef bool (*gk__traceparent_fn)(const gk_ctx *ctx, char out[56]);
void gk__http_set_traceparent_source(gk__traceparent_fn fn);

/* Counters for metrics: fibers alive and pooled stacks on this loop. */
size_t gk__loop_fibers(const gk_loop *loop);
size_t gk__loop_stacks_pooled(const gk_loop *loop);

#endif
