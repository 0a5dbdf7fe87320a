/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/group.c - fan-out/fan-in: each branch runs in its own fiber with its own child
 * context under a group context (a child of the caller's), so a group timeout or cancel_on_error
 * ends the branches and nothing else. gk_group_wait always waits for every branch, even when the
 * caller is cancelled, because branches share the caller's arena. */
#include "runtime/loop.h"

#include <string.h>

#include "base/banned.h"

struct branch {
    gk_group *g;
    gk_task_fn fn;
    void *arg;
    size_t index;
    gk_status status;
    gk_error *err; /* arena copy of the branch's report; NULL if it succeeded or if out of memory */
};

/* Invariants: branches[0..n) in start order; running counts started branches not yet finished;
 * waiter is set only while gk_group_wait is parked. */
struct gk_group {
    gk_ctx *parent;
    gk_ctx *gctx;
    gk_group_opts opts;
    struct branch **branches;
    size_t n;
    size_t cap;
    size_t running;
    gk_waiter *waiter;
};

static const gk_error ok_error = {.status = GK_OK};

gk_group *gk_group_new(gk_ctx *ctx, const gk_group_opts *opts)
{
    gk_group *g = GK_NEW(ctx->arena, gk_group, 1);
    if (!g)
        return NULL;
    g->parent = ctx;
    if (opts)
        g->opts = *opts;
    g->gctx = gk__ctx_child(ctx);
    if (!g->gctx)
        return NULL;
    if (g->opts.timeout_ms > 0)
        gk_ctx_set_timeout(g->gctx, g->opts.timeout_ms);
    return g;
}

static void branch_main(gk_ctx *ctx, void *arg)
{
    struct branch *b = arg;
    gk_group *g = b->g;
    /* The report lives on the fiber's stack while the branch runs; only failures are kept. */
    gk_error e = {0};
    gk_status st = b->fn(ctx, b->arg, &e);
    b->status = st;
    if (st != GK_OK) {
        b->err = GK_NEW(ctx->arena, gk_error, 1);
        if (b->err) {
            *b->err = e;
            if (b->err->status != st || b->err->message[0] == '\0') {
                b->err->status = st;
                if (b->err->message[0] == '\0')
                    gk_error_set(b->err, st, e.path, "branch %zu failed with %s", b->index,
                                 gk_status_name(st));
            }
        }
        if (g->opts.cancel_on_error)
            gk_ctx_cancel(g->gctx, GK_CANCELLED);
    }
}

static void branch_done(void *arg)
{
    struct branch *b = arg;
    gk_group *g = b->g;
    g->running--;
    if (g->running == 0 && g->waiter)
        gk__wake(g->waiter);
}

gk_status gk_go(gk_group *g, gk_task_fn fn, void *arg)
{
    struct branch *b;
    gk_ctx *ctx;
    gk_status st;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 8;
        struct branch **nb = gk_arena_realloc(g->parent->arena, g->branches, g->cap * sizeof(*nb),
                                              cap * sizeof(*nb));
        if (!nb)
            return GK_RESOURCE_EXHAUSTED;
        g->branches = nb;
        g->cap = cap;
    }
    b = GK_NEW(g->parent->arena, struct branch, 1);
    ctx = gk__ctx_child(g->gctx);
    if (!b || !ctx)
        return GK_RESOURCE_EXHAUSTED;
    b->g = g;
    b->index = g->n;
    b->fn = fn;
    b->arg = arg;
    st = gk__spawn(ctx, branch_main, branch_done, b);
    if (st != GK_OK)
        return st;
    g->branches[g->n++] = b;
    g->running++;
    return GK_OK;
}

gk_status gk_group_wait(gk_group *g, gk_error *err)
{
    while (g->running > 0) {
        gk_waiter w = {0};
        g->waiter = &w;
        /* Not gk__park: a cancelled caller must still wait, since the branches use its arena. The
         * cancel reaches them through the context tree, and the last one to finish wakes us. */
        gk__wait(&w);
        g->waiter = NULL;
    }
    for (size_t i = 0; i < g->n; i++) {
        struct branch *b = g->branches[i];
        if (b->status == GK_OK)
            continue;
        if (err) {
            if (b->err)
                *err = *b->err;
            else
                gk_error_set(err, b->status, "",
                             "branch %zu failed with %s (report lost: out of "
                             "memory)",
                             i, gk_status_name(b->status));
        }
        return b->status;
    }
    return GK_OK;
}

size_t gk_group_size(const gk_group *g)
{
    return g->n;
}

gk_status gk_group_result(const gk_group *g, size_t i, const gk_error **err)
{
    if (i >= g->n) {
        if (err)
            *err = &ok_error;
        return GK_OUT_OF_RANGE;
    }
    if (err)
        *err = g->branches[i]->err ? g->branches[i]->err : &ok_error;
    return g->branches[i]->status;
}
