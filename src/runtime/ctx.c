/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/ctx.c - request contexts: the cancellation tree, deadlines (one pooled loop timer per
 * context that narrows its deadline), slots, parking with cancellation, gk_sleep and gk_blocking.
 *
 * Lifetime rule for callers: a context lives in its arena. The arena must be freed on the context's
 * loop thread, after every fiber that uses the context (or a child) finished: the server frees the
 * request arena in the root fiber's done callback, after gk_group_wait has joined all branches. The
 * arena cleanup registered here gives the deadline timer back to the loop (timers are pooled and
 * never closed while the loop runs, so no close callback can outlive the arena). */
#include "runtime/loop.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void ctx_release(void *arg);
static void notify_task(gk__task *t);

/* Every context registers its release on the arena, so that nothing the loop holds (the deadline
 * timer, a queued cancel notification) outlives the arena, whoever frees it and when. */
static gk_ctx *ctx_alloc(gk_loop *loop, gk_arena *arena)
{
    gk_ctx *ctx = GK_NEW(arena, gk_ctx, 1);
    if (!ctx)
        return NULL;
    if (!gk_arena_defer(arena, ctx_release, ctx))
        return NULL;
    ctx->arena = arena;
    ctx->loop = loop;
    ctx->status = GK_OK;
    ctx->deadline = INT64_MAX;
    ctx->notify.fn = notify_task;
    return ctx;
}

gk_ctx *gk__ctx_new(gk_loop *loop, gk_arena *arena)
{
    return ctx_alloc(loop, arena);
}

gk_ctx *gk__ctx_child(gk_ctx *parent)
{
    gk_ctx *ctx = ctx_alloc(parent->loop, parent->arena);
    if (!ctx)
        return NULL;
    ctx->parent = parent;
    memcpy(ctx->slots, parent->slots, sizeof(ctx->slots));
    ctx->status = parent->status;
    ctx->next_sibling = parent->children;
    parent->children = ctx;
    return ctx;
}

void *gk__ctx_get(const gk_ctx *ctx, enum gk_ctx_slot slot)
{
    if ((unsigned)slot >= GK_CTX_SLOTS)
        return NULL;
    return ctx->slots[slot];
}

void gk__ctx_set(gk_ctx *ctx, enum gk_ctx_slot slot, void *value)
{
    if ((unsigned)slot < GK_CTX_SLOTS)
        ctx->slots[slot] = value;
}

gk_arena *gk_ctx_arena(const gk_ctx *ctx)
{
    return ctx->arena;
}

gk_loop *gk_ctx_loop(const gk_ctx *ctx)
{
    return ctx->loop;
}

bool gk_ctx_is_cancelled(const gk_ctx *ctx)
{
    return ctx->status != GK_OK;
}

gk_status gk_ctx_status(const gk_ctx *ctx)
{
    return ctx->status;
}

int64_t gk_ctx_deadline(const gk_ctx *ctx)
{
    int64_t d = INT64_MAX;
    for (const gk_ctx *c = ctx; c; c = c->parent) {
        if (c->deadline < d)
            d = c->deadline;
    }
    return d;
}

/* Tell each waiter parked on ctx (and not yet woken) about the cancel. On the loop's stack. */
static void notify_now(gk_ctx *ctx)
{
    gk_waiter *w = ctx->parked;
    while (w) {
        gk_waiter *next = w->next_parked;
        if (!w->woken) {
            if (w->on_cancel)
                w->on_cancel(w);
            else
                gk__wake(w);
        }
        w = next;
    }
}

static void notify_task(gk__task *t)
{
    gk_ctx *ctx = (gk_ctx *)((char *)t - offsetof(gk_ctx, notify));
    notify_now(ctx);
}

static void drop_timer(gk_ctx *ctx)
{
    if (ctx->timer) {
        gk__loop_timer_put(ctx->loop, ctx->timer);
        ctx->timer = NULL;
    }
}

void gk_ctx_cancel(gk_ctx *ctx, gk_status why)
{
    if (why == GK_OK)
        why = GK_CANCELLED;
    if (ctx->status != GK_OK)
        return;
    ctx->status = why;
    drop_timer(ctx);
    /* on_cancel hooks run on the loop's stack (they call into curl and libuv): from a fiber, they
     * run right after it yields, before any other fiber. The status is already visible. */
    if (ctx->parked) {
        if (gk__in_fiber())
            gk__loop_post(ctx->loop, &ctx->notify);
        else
            notify_now(ctx);
    }
    for (gk_ctx *c = ctx->children; c; c = c->next_sibling)
        gk_ctx_cancel(c, why);
}

/* Arena cleanup: the arena (and ctx with it) is about to go. */
static void ctx_release(void *arg)
{
    gk_ctx *ctx = arg;
    drop_timer(ctx);
    gk__loop_unpost(ctx->loop, &ctx->notify);
}

static void on_deadline(uv_timer_t *t)
{
    gk_ctx *ctx = t->data;
    gk_ctx_cancel(ctx, GK_DEADLINE_EXCEEDED);
}

void gk_ctx_set_timeout(gk_ctx *ctx, int64_t ms)
{
    int64_t now;
    int64_t d;
    if (ctx->status != GK_OK)
        return;
    if (ms <= 0) {
        gk_ctx_cancel(ctx, GK_DEADLINE_EXCEEDED);
        return;
    }
    now = (int64_t)uv_now(&ctx->loop->uv);
    d = ms > INT64_MAX - now ? INT64_MAX : now + ms;
    if (d >= gk_ctx_deadline(ctx))
        return;
    ctx->deadline = d;
    if (!ctx->timer) {
        ctx->timer = gk__loop_timer_get(ctx->loop);
        if (!ctx->timer) {
            gk_ctx_cancel(ctx, GK_RESOURCE_EXHAUSTED);
            return;
        }
        ctx->timer->data = ctx;
    }
    uv_timer_start(ctx->timer, on_deadline, (uint64_t)(d - now), 0);
}

/* ---- parking ---- */

gk_status gk__park(gk_ctx *ctx, gk_waiter *w)
{
    gk_fiber *f = gk__fiber_current();
    if (ctx->status != GK_OK)
        return ctx->status;
    if (w->woken)
        return GK_OK;
    w->fiber = f;
    w->prev_parked = NULL;
    w->next_parked = ctx->parked;
    if (ctx->parked)
        ctx->parked->prev_parked = w;
    ctx->parked = w;
    gk__fiber_yield(f);
    if (w->prev_parked)
        w->prev_parked->next_parked = w->next_parked;
    else
        ctx->parked = w->next_parked;
    if (w->next_parked)
        w->next_parked->prev_parked = w->prev_parked;
    w->next_parked = NULL;
    w->prev_parked = NULL;
    w->fiber = NULL;
    return ctx->status;
}

/* ---- sleeping ---- */

static void on_sleep_timer(uv_timer_t *t)
{
    gk__wake(t->data);
}

gk_status gk_sleep(gk_ctx *ctx, int64_t ms)
{
    gk_waiter w = {0};
    uv_timer_t *t;
    gk_status st;
    if (ctx->status != GK_OK)
        return ctx->status;
    if (ms <= 0) {
        /* A zero sleep is a yield: everything ready now runs before this fiber continues. */
        gk__yield();
        return ctx->status;
    }
    t = gk__loop_timer_get(ctx->loop);
    if (!t)
        return GK_RESOURCE_EXHAUSTED;
    t->data = &w;
    uv_timer_start(t, on_sleep_timer, (uint64_t)ms, 0);
    st = gk__park(ctx, &w);
    gk__loop_timer_put(ctx->loop, t);
    return st;
}

/* ---- blocking work on the thread pool ---- */

struct blocking {
    uv_work_t req;
    gk_waiter w;
    void (*fn)(void *arg);
    void *arg;
    bool ran;
    bool done;
};

static void blocking_work(uv_work_t *req)
{
    struct blocking *b = req->data;
    b->fn(b->arg);
}

static void blocking_after(uv_work_t *req, int status)
{
    struct blocking *b = req->data;
    b->ran = status != UV_ECANCELED;
    b->done = true;
    gk__wake(&b->w);
}

/* Cancelled while parked: withdraw the job if it has not started. Either way blocking_after runs
 * (with UV_ECANCELED or after fn) and wakes the fiber, so the request outlives nothing. */
static void blocking_cancel(gk_waiter *w)
{
    struct blocking *b = w->data;
    uv_cancel((uv_req_t *)&b->req);
}

gk_status gk_blocking(gk_ctx *ctx, void (*fn)(void *arg), void *arg)
{
    struct blocking b = {.fn = fn, .arg = arg};
    if (ctx->status != GK_OK)
        return ctx->status;
    b.req.data = &b;
    b.w.on_cancel = blocking_cancel;
    b.w.data = &b;
    if (uv_queue_work(&ctx->loop->uv, &b.req, blocking_work, blocking_after) != 0)
        return GK_INTERNAL;
    gk__park(ctx, &b.w);
    while (!b.done) {
        /* Woken by a cancel that could not withdraw a running job, or the context ended just as we
         * parked: the request still belongs to libuv until blocking_after. */
        uv_cancel((uv_req_t *)&b.req);
        b.w = (gk_waiter){.data = &b};
        gk__wait(&b.w);
    }
    return b.ran ? GK_OK : ctx->status;
}
