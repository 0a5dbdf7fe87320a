/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/ctx_test.c - contexts: cancellation down the tree, deadlines, slots, gk_sleep and
 * gk_blocking (including a cancel before the job started). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "rt_helpers.h"
#include "runtime/sched.h"
#include "test.h"

/* A child fiber under its own context, and a way for the parent to wait for it. */
struct child {
    gk_ctx *ctx;
    gk_status slept;
    bool finished;
    gk_waiter *joiner;
    int64_t sleep_ms;
};

static void child_sleeps(gk_ctx *ctx, void *arg)
{
    struct child *c = arg;
    c->slept = gk_sleep(ctx, c->sleep_ms);
}

static void child_done(void *arg)
{
    struct child *c = arg;
    c->finished = true;
    if (c->joiner)
        gk__wake(c->joiner);
}

static void join(struct child *c)
{
    while (!c->finished) {
        gk_waiter w = {0};
        c->joiner = &w;
        gk__wait(&w);
        c->joiner = NULL;
    }
}

static void cancel_parent(gk_ctx *ctx, void *arg)
{
    struct child *kids = arg;
    gk_ctx *mid = gk__ctx_child(ctx);
    kids[0].ctx = gk__ctx_child(mid);
    kids[1].ctx = gk__ctx_child(kids[0].ctx);
    for (int i = 0; i < 2; i++) {
        kids[i].sleep_ms = 60000;
        ASSERT_EQ(gk__spawn(kids[i].ctx, child_sleeps, child_done, &kids[i]), GK_OK);
    }
    gk_sleep(ctx, 0); /* both park */
    gk_ctx_cancel(mid, GK_CANCELLED);
    gk_ctx_cancel(mid, GK_DEADLINE_EXCEEDED);            /* the first reason stays */
    EXPECT_EQ(gk_ctx_status(kids[1].ctx), GK_CANCELLED); /* visible at once */
    EXPECT_EQ(gk_ctx_status(ctx), GK_OK);                /* never upwards */
    join(&kids[0]);
    join(&kids[1]);
    EXPECT_EQ(gk_ctx_status(mid), GK_CANCELLED);
}

TEST(ctx_cancel_propagates_down_and_wakes_parked_fibers)
{
    struct child kids[2] = {0};
    ASSERT_EQ(rt_run_fiber(cancel_parent, kids, 0), GK_OK);
    EXPECT_EQ(kids[0].slept, GK_CANCELLED);
    EXPECT_EQ(kids[1].slept, GK_CANCELLED);
}

static void child_of_cancelled(gk_ctx *ctx, void *arg)
{
    gk_status *out = arg;
    gk_ctx_cancel(ctx, GK_ABORTED);
    gk_ctx *c = gk__ctx_child(ctx);
    out[0] = gk_ctx_status(c);
    out[1] = gk_sleep(c, 10);
    EXPECT_TRUE(gk_ctx_is_cancelled(c));
}

TEST(ctx_child_of_a_cancelled_context_starts_cancelled)
{
    gk_status out[2] = {GK_OK, GK_OK};
    ASSERT_EQ(rt_run_fiber(child_of_cancelled, out, 0), GK_OK);
    EXPECT_EQ(out[0], GK_ABORTED);
    EXPECT_EQ(out[1], GK_ABORTED);
}

struct deadline_result {
    gk_status slept;
    gk_status status;
    int64_t waited;
    int64_t parent_deadline;
    int64_t child_deadline;
    int64_t after_widen;
};

static void deadline_fiber(gk_ctx *ctx, void *arg)
{
    struct deadline_result *r = arg;
    int64_t t0 = gk_now_ms();
    EXPECT_EQ(gk_ctx_deadline(ctx), INT64_MAX);
    gk_ctx_set_timeout(ctx, 30);
    r->parent_deadline = gk_ctx_deadline(ctx);
    gk_ctx *child = gk__ctx_child(ctx);
    r->child_deadline = gk_ctx_deadline(child);
    gk_ctx_set_timeout(ctx, 100000); /* never extends */
    r->after_widen = gk_ctx_deadline(ctx);
    r->slept = gk_sleep(child, 60000);
    r->waited = gk_now_ms() - t0;
    r->status = gk_ctx_status(ctx);
    EXPECT_EQ(gk_ctx_status(child), GK_DEADLINE_EXCEEDED);
}

TEST(ctx_deadline_cancels_with_deadline_exceeded_and_children_inherit_it)
{
    struct deadline_result r = {0};
    ASSERT_EQ(rt_run_fiber(deadline_fiber, &r, 0), GK_OK);
    EXPECT_EQ(r.slept, GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(r.status, GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(r.child_deadline, r.parent_deadline);
    EXPECT_EQ(r.after_widen, r.parent_deadline);
    EXPECT_GE(r.waited, 30);
}

static void child_narrows(gk_ctx *ctx, void *arg)
{
    gk_status *out = arg;
    gk_ctx *child = gk__ctx_child(ctx);
    gk_ctx_set_timeout(child, 5);
    out[0] = gk_sleep(child, 60000);
    out[1] = gk_ctx_status(ctx); /* the parent is untouched */
    gk_ctx_set_timeout(ctx, 0);  /* zero: at once */
    out[2] = gk_ctx_status(ctx);
}

TEST(ctx_child_deadline_does_not_touch_the_parent_and_zero_timeout_cancels_at_once)
{
    gk_status out[3] = {GK_OK, GK_OK, GK_OK};
    ASSERT_EQ(rt_run_fiber(child_narrows, out, 0), GK_OK);
    EXPECT_EQ(out[0], GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(out[1], GK_OK);
    EXPECT_EQ(out[2], GK_DEADLINE_EXCEEDED);
}

static void slots_fiber(gk_ctx *ctx, void *arg)
{
    int *vals = arg;
    gk__ctx_set(ctx, GK_CTX_SLOT_ACTION, &vals[0]);
    gk__ctx_set(ctx, GK_CTX_SLOT_USER, &vals[1]);
    gk_ctx *child = gk__ctx_child(ctx);
    gk__ctx_set(child, GK_CTX_SLOT_USER, &vals[2]);
    EXPECT_TRUE(gk__ctx_get(child, GK_CTX_SLOT_ACTION) == &vals[0]);
    EXPECT_TRUE(gk__ctx_get(child, GK_CTX_SLOT_USER) == &vals[2]);
    EXPECT_TRUE(gk__ctx_get(ctx, GK_CTX_SLOT_USER) == &vals[1]);
    EXPECT_TRUE(gk__ctx_get(child, GK_CTX_SLOT_SPAN) == NULL);
    EXPECT_TRUE(gk_ctx_arena(child) == gk_ctx_arena(ctx));
    EXPECT_TRUE(gk_ctx_loop(child) == gk_ctx_loop(ctx));
    vals[3] = 1;
}

TEST(ctx_children_inherit_slots_arena_and_loop)
{
    int vals[4] = {0};
    ASSERT_EQ(rt_run_fiber(slots_fiber, vals, 0), GK_OK);
    EXPECT_EQ(vals[3], 1);
}

static void sleep_fiber(gk_ctx *ctx, void *arg)
{
    int64_t *out = arg;
    int64_t t0 = gk_now_ms();
    out[0] = gk_sleep(ctx, 20);
    out[1] = gk_now_ms() - t0;
}

TEST(sleep_returns_ok_no_earlier_than_asked)
{
    int64_t out[2] = {-1, -1};
    ASSERT_EQ(rt_run_fiber(sleep_fiber, out, 0), GK_OK);
    EXPECT_EQ(out[0], GK_OK);
    EXPECT_GE(out[1], 20);
}

/* ---- gk_blocking ---- */

struct pool_job {
    pthread_t thread;
    int ran;
};

static void note_thread(void *arg)
{
    struct pool_job *j = arg;
    j->thread = pthread_self();
    j->ran++;
}

static void blocking_fiber(gk_ctx *ctx, void *arg)
{
    struct pool_job *j = arg;
    EXPECT_EQ(gk_blocking(ctx, note_thread, j), GK_OK);
}

TEST(blocking_runs_on_another_thread_while_the_fiber_waits)
{
    struct pool_job j = {0};
    ASSERT_EQ(rt_run_fiber(blocking_fiber, &j, 0), GK_OK);
    EXPECT_EQ(j.ran, 1);
    EXPECT_FALSE(pthread_equal(j.thread, pthread_self()));
}

/* Occupies every thread of libuv's pool until released, so that the next job stays queued. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static atomic_int blockers_started;

static void block_until_open(void *arg)
{
    (void)arg;
    atomic_fetch_add(&blockers_started, 1);
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
}

static void blocker(gk_ctx *ctx, void *arg)
{
    struct child *c = arg;
    c->slept = gk_blocking(ctx, block_until_open, NULL);
}

static void cancelled_job(gk_ctx *ctx, void *arg)
{
    struct child *c = arg;
    static struct pool_job j;
    c->slept = gk_blocking(ctx, note_thread, &j);
    c->sleep_ms = j.ran; /* reused as "ran" */
}

static int pool_size(void)
{
    const char *env = getenv("UV_THREADPOOL_SIZE");
    int n = env ? (int)strtol(env, NULL, 10) : 4;
    return n < 1 ? 4 : n;
}

static void cancel_queued_job(gk_ctx *ctx, void *arg)
{
    struct child *victim = arg;
    int n = pool_size();
    struct child *blockers = calloc((size_t)n, sizeof(*blockers));
    ASSERT_TRUE(blockers != NULL);
    gate_open = false;
    atomic_store(&blockers_started, 0);
    for (int i = 0; i < n; i++) {
        blockers[i].ctx = gk__ctx_child(ctx);
        ASSERT_EQ(gk__spawn(blockers[i].ctx, blocker, child_done, &blockers[i]), GK_OK);
    }
    while (atomic_load(&blockers_started) < n)
        gk_sleep(ctx, 1);
    victim->ctx = gk__ctx_child(ctx);
    ASSERT_EQ(gk__spawn(victim->ctx, cancelled_job, child_done, victim), GK_OK);
    gk_sleep(ctx, 0); /* the victim queues its job and parks */
    gk_ctx_cancel(victim->ctx, GK_CANCELLED);
    join(victim);
    pthread_mutex_lock(&gate_mu);
    gate_open = true;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    for (int i = 0; i < n; i++) {
        join(&blockers[i]);
        EXPECT_EQ(blockers[i].slept, GK_OK);
    }
    free(blockers);
}

TEST(blocking_cancelled_before_it_started_never_runs)
{
    struct child victim = {0};
    ASSERT_EQ(rt_run_fiber(cancel_queued_job, &victim, 0), GK_OK);
    EXPECT_EQ(victim.slept, GK_CANCELLED);
    EXPECT_EQ(victim.sleep_ms, 0);
}

static void blocking_on_cancelled(gk_ctx *ctx, void *arg)
{
    struct pool_job *j = arg;
    gk_ctx_cancel(ctx, GK_CANCELLED);
    EXPECT_EQ(gk_blocking(ctx, note_thread, j), GK_CANCELLED);
}

TEST(blocking_on_a_cancelled_context_returns_its_status_without_running)
{
    struct pool_job j = {0};
    ASSERT_EQ(rt_run_fiber(blocking_on_cancelled, &j, 0), GK_OK);
    EXPECT_EQ(j.ran, 0);
}
