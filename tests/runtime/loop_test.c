/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/loop_test.c - the scheduler and the runtime: spawn order, yields, wakes, running on
 * the loop's stack, stop hooks, stopping from another thread, two carrier threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "rt_helpers.h"
#include "runtime/sched.h"
#include "test.h"

struct order {
    int log[32];
    int n;
    gk_waiter *parked;
};

struct order_arg {
    struct order *o;
    int id;
};

static void log_twice(gk_ctx *ctx, void *arg)
{
    struct order_arg *a = arg;
    a->o->log[a->o->n++] = a->id;
    EXPECT_EQ(gk_sleep(ctx, 0), GK_OK); /* a yield: the others run first */
    a->o->log[a->o->n++] = a->id + 10;
}

static void spawn_three(gk_ctx *ctx, void *arg)
{
    static struct order_arg args[3];
    struct order *o = arg;
    for (int i = 0; i < 3; i++) {
        args[i] = (struct order_arg){o, i + 1};
        ASSERT_EQ(gk__spawn(gk__ctx_child(ctx), log_twice, NULL, &args[i]), GK_OK);
    }
    o->log[o->n++] = 0; /* spawned fibers start only once this one parks */
    gk_sleep(ctx, 0);
    gk_sleep(ctx, 0);
    o->log[o->n++] = 99;
}

TEST(scheduler_runs_fibers_in_fifo_order_and_yield_goes_to_the_back)
{
    struct order o = {0};
    ASSERT_EQ(rt_run_fiber(spawn_three, &o, 0), GK_OK);
    int want[] = {0, 1, 2, 3, 11, 12, 13, 99};
    ASSERT_EQ(o.n, 8);
    for (int i = 0; i < 8; i++)
        EXPECT_EQ(o.log[i], want[i]);
}

static void parker(gk_ctx *ctx, void *arg)
{
    struct order *o = arg;
    gk_waiter w = {0};
    o->parked = &w;
    o->log[o->n++] = 1;
    EXPECT_EQ(gk__park(ctx, &w), GK_OK);
    o->log[o->n++] = 3;
}

static void waker(gk_ctx *ctx, void *arg)
{
    struct order *o = arg;
    ASSERT_EQ(gk__spawn(gk__ctx_child(ctx), parker, NULL, o), GK_OK);
    gk_sleep(ctx, 0);
    ASSERT_TRUE(o->parked != NULL);
    o->log[o->n++] = 2;
    gk__wake(o->parked);
    gk__wake(o->parked); /* idempotent */
    gk_sleep(ctx, 0);
    o->log[o->n++] = 4;
}

TEST(wake_from_another_fiber_resumes_the_parked_fiber_once)
{
    struct order o = {0};
    ASSERT_EQ(rt_run_fiber(waker, &o, 0), GK_OK);
    ASSERT_EQ(o.n, 4);
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(o.log[i], i + 1);
}

static void wake_before_park(gk_ctx *ctx, void *arg)
{
    int *out = arg;
    gk_waiter w = {0};
    gk__wake(&w);
    *out = gk__park(ctx, &w) == GK_OK && w.woken;
}

TEST(wake_before_park_is_not_lost)
{
    int ok = 0;
    ASSERT_EQ(rt_run_fiber(wake_before_park, &ok, 0), GK_OK);
    EXPECT_EQ(ok, 1);
}

static void on_loop_stack(void *arg)
{
    int *where = arg;
    *where = gk__in_fiber() ? 1 : 2;
}

static void call_on_loop(gk_ctx *ctx, void *arg)
{
    int *where = arg;
    (void)ctx;
    EXPECT_TRUE(gk__in_fiber());
    gk__loop_call(on_loop_stack, where);
    EXPECT_TRUE(gk__in_fiber());
}

TEST(loop_call_runs_the_function_on_the_loop_stack)
{
    int where = 0;
    ASSERT_EQ(rt_run_fiber(call_on_loop, &where, 0), GK_OK);
    EXPECT_EQ(where, 2);
}

static void count_fibers(gk_ctx *ctx, void *arg)
{
    size_t *counts = arg;
    gk_loop *l = gk_ctx_loop(ctx);
    counts[0] = gk__loop_fibers(l);
    EXPECT_TRUE(gk__loop_current() == l);
    EXPECT_EQ(gk_loop_index(l), 0);
}

TEST(loop_counts_live_fibers)
{
    size_t counts[1] = {0};
    ASSERT_EQ(rt_run_fiber(count_fibers, counts, 0), GK_OK);
    EXPECT_EQ(counts[0], 1);
    EXPECT_TRUE(gk__loop_current() == NULL); /* off carrier threads */
}

/* ---- stopping ---- */

struct stopper {
    gk_runtime *rt;
    uv_timer_t tick;
    int ticks;
    int hooks_run;
    atomic_int started;
    pthread_t loop_thread;
    pthread_t hook_thread;
};

static void on_tick(uv_timer_t *t)
{
    struct stopper *s = t->data;
    s->ticks++;
    atomic_store(&s->started, 1);
}

static void close_tick(gk_loop *loop, void *arg)
{
    struct stopper *s = arg;
    (void)loop;
    s->hooks_run++;
    s->hook_thread = pthread_self();
    uv_close((uv_handle_t *)&s->tick, NULL);
}

static void start_ticking(gk_loop *loop, void *arg)
{
    struct stopper *s = arg;
    s->loop_thread = pthread_self();
    uv_timer_init(gk__loop_uv(loop), &s->tick);
    s->tick.data = s;
    uv_timer_start(&s->tick, on_tick, 1, 1);
    EXPECT_TRUE(gk__loop_on_stop(loop, close_tick, s));
}

static void *stop_when_ticking(void *arg)
{
    struct stopper *s = arg;
    while (!atomic_load(&s->started))
        usleep(1000);
    gk_runtime_stop(s->rt);
    gk_runtime_stop(s->rt); /* twice is harmless */
    return NULL;
}

TEST(runtime_stop_from_another_thread_runs_hooks_then_returns_when_handles_close)
{
    gk_error err = {0};
    gk_runtime_opts opts = {.threads = 1};
    struct stopper s = {0};
    pthread_t th;
    s.rt = gk_runtime_new(&opts, &err);
    ASSERT_TRUE(s.rt != NULL);
    ASSERT_EQ(pthread_create(&th, NULL, stop_when_ticking, &s), 0);
    EXPECT_EQ(gk_runtime_run(s.rt, start_ticking, &s, &err), GK_OK);
    pthread_join(th, NULL);
    EXPECT_EQ(s.hooks_run, 1);
    EXPECT_TRUE(pthread_equal(s.hook_thread, s.loop_thread));
    EXPECT_GE(s.ticks, 1);
    gk_runtime_free(s.rt);
}

TEST(runtime_stop_before_run_stops_right_after_start)
{
    gk_error err = {0};
    gk_runtime_opts opts = {.threads = 1};
    struct stopper s = {0};
    s.rt = gk_runtime_new(&opts, &err);
    ASSERT_TRUE(s.rt != NULL);
    gk_runtime_stop(s.rt);
    EXPECT_EQ(gk_runtime_run(s.rt, start_ticking, &s, &err), GK_OK);
    EXPECT_EQ(s.hooks_run, 1);
    gk_runtime_free(s.rt);
}

struct two_loops {
    gk_runtime *rt;
    atomic_int arrived;
    pthread_t threads[2];
    int seen_index[2];
    gk_arena *arenas[2];
};

static void note_loop(gk_ctx *ctx, void *arg)
{
    struct two_loops *t = arg;
    int i = gk_loop_index(gk_ctx_loop(ctx));
    EXPECT_EQ(gk_sleep(ctx, 2), GK_OK);
    t->threads[i] = pthread_self();
    t->seen_index[i] = i + 1;
    EXPECT_TRUE(gk_loop_runtime(gk_ctx_loop(ctx)) == t->rt);
}

static void note_done(void *arg)
{
    struct two_loops *t = arg;
    if (atomic_fetch_add(&t->arrived, 1) == 1)
        gk_runtime_stop(t->rt);
}

static void start_two(gk_loop *loop, void *arg)
{
    struct two_loops *t = arg;
    int i = gk_loop_index(loop);
    t->arenas[i] = gk_arena_new(0);
    gk_ctx *ctx = gk__ctx_new(loop, t->arenas[i]);
    EXPECT_EQ(gk__spawn(ctx, note_loop, note_done, t), GK_OK);
}

TEST(runtime_with_two_threads_runs_a_loop_on_each)
{
    gk_error err = {0};
    gk_runtime_opts opts = {.threads = 2};
    struct two_loops t = {0};
    t.rt = gk_runtime_new(&opts, &err);
    ASSERT_TRUE(t.rt != NULL);
    EXPECT_EQ(gk_runtime_threads(t.rt), 2);
    EXPECT_TRUE(gk_runtime_loop(t.rt, 2) == NULL);
    EXPECT_EQ(gk_runtime_run(t.rt, start_two, &t, &err), GK_OK);
    EXPECT_EQ(t.seen_index[0], 1);
    EXPECT_EQ(t.seen_index[1], 2);
    EXPECT_FALSE(pthread_equal(t.threads[0], t.threads[1]));
    EXPECT_TRUE(pthread_equal(t.threads[0], pthread_self())); /* loop 0 runs on the caller */
    gk_arena_free(t.arenas[0]);
    gk_arena_free(t.arenas[1]);
    gk_runtime_free(t.rt);
}

TEST(runtime_threads_default_from_environment)
{
    gk_error err = {0};
    setenv("GK_THREADS", "3", 1);
    gk_runtime *rt = gk_runtime_new(NULL, &err);
    unsetenv("GK_THREADS");
    ASSERT_TRUE(rt != NULL);
    EXPECT_EQ(gk_runtime_threads(rt), 3);
    gk_runtime_free(rt);
}

TEST(runtime_rejects_a_negative_thread_count)
{
    gk_error err = {0};
    gk_runtime_opts opts = {.threads = -1};
    EXPECT_TRUE(gk_runtime_new(&opts, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "threads is -1; want 0 to 1024");
}

static void noop_fiber(gk_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
}

static void spawn_many(gk_ctx *ctx, void *arg)
{
    size_t *counts = arg;
    for (int i = 0; i < 50; i++)
        ASSERT_EQ(gk__spawn(gk__ctx_child(ctx), noop_fiber, NULL, NULL), GK_OK);
    counts[0] = gk__loop_fibers(gk_ctx_loop(ctx));
    gk_sleep(ctx, 0);
    counts[1] = gk__loop_fibers(gk_ctx_loop(ctx));
    counts[2] = gk__loop_stacks_pooled(gk_ctx_loop(ctx));
}

TEST(finished_fibers_return_their_stacks_to_the_pool)
{
    size_t counts[3] = {0};
    ASSERT_EQ(rt_run_fiber(spawn_many, counts, 0), GK_OK);
    EXPECT_EQ(counts[0], 51);
    EXPECT_EQ(counts[1], 1);
    EXPECT_EQ(counts[2], 50);
}
