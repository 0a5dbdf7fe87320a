/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/group_test.c - fan-out/fan-in: results, first failure in start order, group
 * timeout, cancel_on_error, a cancelled waiter, 1000 branches. */
#include "base/fault.h"
#include "rt_helpers.h"
#include "runtime/sched.h"
#include "test.h"

struct step {
    int64_t sleep_ms;
    gk_status result;
    const char *message;
    gk_status slept; /* what the sleep returned */
    int ran;
};

static gk_status run_step(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct step *s = arg;
    s->ran++;
    if (s->sleep_ms) {
        s->slept = gk_sleep(ctx, s->sleep_ms);
        if (s->slept != GK_OK)
            return gk_error_set(err, s->slept, "", "step interrupted");
    }
    if (s->result != GK_OK)
        return gk_error_set(err, s->result, "/step", "%s", s->message);
    return GK_OK;
}

struct plan {
    gk_group_opts opts;
    struct step steps[4];
    int n;
    gk_status waited;
    gk_error err;
    size_t size;
    gk_status results[4];
    gk_error errs[4]; /* copies: the originals die with the arena */
    gk_status parent_after;
};

static void run_plan(gk_ctx *ctx, void *arg)
{
    struct plan *p = arg;
    gk_group *g = gk_group_new(ctx, &p->opts);
    ASSERT_TRUE(g != NULL);
    for (int i = 0; i < p->n; i++)
        ASSERT_EQ(gk_go(g, run_step, &p->steps[i]), GK_OK);
    p->waited = gk_group_wait(g, &p->err);
    p->size = gk_group_size(g);
    for (int i = 0; i < p->n; i++) {
        const gk_error *e = NULL;
        p->results[i] = gk_group_result(g, (size_t)i, &e);
        p->errs[i] = *e;
    }
    p->parent_after = gk_ctx_status(ctx);
}

TEST(group_all_branches_succeed)
{
    struct plan p = {.n = 3, .steps = {{.sleep_ms = 2}, {0}, {.sleep_ms = 1}}};
    ASSERT_EQ(rt_run_fiber(run_plan, &p, 0), GK_OK);
    EXPECT_EQ(p.waited, GK_OK);
    EXPECT_EQ(p.size, 3);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(p.steps[i].ran, 1);
        EXPECT_EQ(p.results[i], GK_OK);
        EXPECT_EQ(p.errs[i].status, GK_OK);
    }
}

TEST(group_reports_the_first_failure_in_start_order_not_in_time)
{
    struct plan p = {.n = 3,
                     .steps = {{0},
                               {.sleep_ms = 20, .result = GK_INVALID_ARGUMENT, .message = "late"},
                               {.result = GK_NOT_FOUND, .message = "early"}}};
    ASSERT_EQ(rt_run_fiber(run_plan, &p, 0), GK_OK);
    EXPECT_EQ(p.waited, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(p.err.message, "late");
    EXPECT_STREQ(p.err.path, "/step");
    EXPECT_EQ(p.results[0], GK_OK);
    EXPECT_EQ(p.results[1], GK_INVALID_ARGUMENT);
    EXPECT_EQ(p.results[2], GK_NOT_FOUND);
    EXPECT_STREQ(p.errs[2].message, "early");
    EXPECT_EQ(p.steps[1].slept, GK_OK); /* no cancel_on_error: the slow branch finished */
}

TEST(group_timeout_cancels_slow_branches_with_deadline_exceeded)
{
    struct plan p = {
        .opts = {.timeout_ms = 20}, .n = 2, .steps = {{.sleep_ms = 1}, {.sleep_ms = 60000}}};
    ASSERT_EQ(rt_run_fiber(run_plan, &p, 0), GK_OK);
    EXPECT_EQ(p.waited, GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(p.results[0], GK_OK);
    EXPECT_EQ(p.results[1], GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(p.steps[1].slept, GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(p.parent_after, GK_OK); /* the group's timeout is the group's only */
}

TEST(group_cancel_on_error_cancels_the_other_branches)
{
    struct plan p = {.opts = {.cancel_on_error = true},
                     .n = 3,
                     .steps = {{.sleep_ms = 60000},
                               {.result = GK_PERMISSION_DENIED, .message = "no"},
                               {.sleep_ms = 60000}}};
    ASSERT_EQ(rt_run_fiber(run_plan, &p, 0), GK_OK);
    /* Branch 0 started first and ended (cancelled) after branch 1 failed: start order wins. */
    EXPECT_EQ(p.waited, GK_CANCELLED);
    EXPECT_STREQ(p.err.message, "step interrupted");
    EXPECT_EQ(p.results[1], GK_PERMISSION_DENIED);
    EXPECT_EQ(p.steps[0].slept, GK_CANCELLED);
    EXPECT_EQ(p.steps[2].slept, GK_CANCELLED);
    EXPECT_EQ(p.parent_after, GK_OK);
}

struct cancelled_waiter {
    gk_ctx *ctx;
    struct plan plan;
    bool finished;
    gk_waiter *joiner;
};

static void waiter_fiber(gk_ctx *ctx, void *arg)
{
    struct cancelled_waiter *c = arg;
    run_plan(ctx, &c->plan);
}

static void waiter_done(void *arg)
{
    struct cancelled_waiter *c = arg;
    c->finished = true;
    if (c->joiner)
        gk__wake(c->joiner);
}

static void cancel_the_waiter(gk_ctx *ctx, void *arg)
{
    struct cancelled_waiter *c = arg;
    c->ctx = gk__ctx_child(ctx);
    ASSERT_EQ(gk__spawn(c->ctx, waiter_fiber, waiter_done, c), GK_OK);
    gk_sleep(ctx, 0); /* the waiter starts its branches and parks in gk_group_wait */
    gk_sleep(ctx, 0); /* the branches park in their sleeps */
    gk_ctx_cancel(c->ctx, GK_CANCELLED);
    while (!c->finished) {
        gk_waiter w = {0};
        c->joiner = &w;
        gk__wait(&w);
    }
}

TEST(group_wait_of_a_cancelled_caller_cancels_branches_and_still_joins_them)
{
    struct cancelled_waiter c = {
        .plan = {.n = 2, .steps = {{.sleep_ms = 60000}, {.sleep_ms = 60000}}}};
    ASSERT_EQ(rt_run_fiber(cancel_the_waiter, &c, 0), GK_OK);
    EXPECT_TRUE(c.finished);
    EXPECT_EQ(c.plan.waited, GK_CANCELLED);
    EXPECT_EQ(c.plan.steps[0].slept, GK_CANCELLED);
    EXPECT_EQ(c.plan.steps[1].slept, GK_CANCELLED);
    EXPECT_EQ(c.plan.parent_after, GK_CANCELLED);
}

static gk_status count_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    int *count = arg;
    (void)err;
    gk_status st = gk_sleep(ctx, 1);
    (*count)++;
    return st;
}

static void thousand(gk_ctx *ctx, void *arg)
{
    int *count = arg;
    gk_error err = {0};
    gk_group *g = gk_group_new(ctx, NULL);
    ASSERT_TRUE(g != NULL);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(gk_go(g, count_branch, count), GK_OK);
    EXPECT_EQ(gk_group_wait(g, &err), GK_OK);
    EXPECT_EQ(gk_group_size(g), 1000);
    EXPECT_EQ(gk__loop_fibers(gk_ctx_loop(ctx)), 1);
}

TEST(group_runs_a_thousand_branches)
{
    int count = 0;
    ASSERT_EQ(rt_run_fiber(thousand, &count, 0), GK_OK);
    EXPECT_EQ(count, 1000);
}

static void empty_group(gk_ctx *ctx, void *arg)
{
    gk_status *out = arg;
    gk_group *g = gk_group_new(ctx, NULL);
    const gk_error *e = NULL;
    out[0] = gk_group_wait(g, NULL);
    out[1] = gk_group_result(g, 0, &e);
    EXPECT_TRUE(e != NULL);
}

TEST(group_with_no_branches_waits_for_nothing)
{
    gk_status out[2] = {GK_UNKNOWN, GK_UNKNOWN};
    ASSERT_EQ(rt_run_fiber(empty_group, out, 0), GK_OK);
    EXPECT_EQ(out[0], GK_OK);
    EXPECT_EQ(out[1], GK_OUT_OF_RANGE);
}

struct sweep {
    long n;
    bool fired;
    gk_status st;
};

static gk_status quick_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    (void)arg;
    (void)err;
    return gk_sleep(ctx, 0);
}

static void group_under_faults(gk_ctx *ctx, void *arg)
{
    struct sweep *s = arg;
    gk_error err = {0};
    gk__alloc_fail_after(s->n);
    gk_ctx *child = gk__ctx_child(ctx);
    gk_group *g = child ? gk_group_new(child, &(gk_group_opts){.timeout_ms = 1000}) : NULL;
    s->st = g ? GK_OK : GK_RESOURCE_EXHAUSTED;
    for (int i = 0; g && i < 3 && s->st == GK_OK; i++)
        s->st = gk_go(g, quick_branch, NULL);
    if (g) {
        gk_status w = gk_group_wait(g, &err);
        if (s->st == GK_OK)
            s->st = w;
    }
    s->fired = gk__alloc_fault_fired();
    gk__alloc_fail_after(-1);
}

TEST(group_fault_sweep_fails_cleanly_at_every_allocation)
{
    bool completed = false;
    for (long n = 1; n < 100 && !completed; n++) {
        struct sweep s = {.n = n};
        ASSERT_EQ(rt_run_fiber(group_under_faults, &s, 0), GK_OK);
        if (s.st != GK_OK && s.st != GK_RESOURCE_EXHAUSTED)
            gk_test_fail(__FILE__, __LINE__, "n=%ld: status %d", n, (int)s.st);
        if (!s.fired) {
            EXPECT_EQ(s.st, GK_OK);
            completed = true;
        }
    }
    EXPECT_TRUE(completed);
}
