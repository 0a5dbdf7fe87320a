/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/loop.c - carrier loops and the fiber scheduler. Each loop is a libuv loop on its own
 * thread with a FIFO of ready fibers and a FIFO of tasks (work for the loop's stack). Both are
 * drained on the loop's stack by an idle handle (started while work is pending, so the loop neither
 * blocks in poll nor exits) and by an always-on check handle (so that a wake from an I/O callback
 * resumes its fiber in the same iteration). A wake never resumes a fiber directly: it only queues,
 * so no fiber is ever resumed while another runs and callbacks are never re-entered.
 *
 * Stop sequence (gk_runtime_stop, from any thread or a signal-handler callback):
 *   1. stop_requested is set once and the loop's stop_async is sent (async-signal-safe).
 *   2. On the loop's thread, the async callback runs every gk__loop_on_stop hook in registration
 *      order (the server closes its listeners and starts draining connections), then closes the
 *      async handle itself. Nothing is stopped by force: no uv_stop.
 *   3. uv_run returns once no referenced handle is active: connections drained, timers of sleeping
 *      fibers fired, transfers done, ready queue empty.
 *   4. Teardown on the same thread: the HTTP client's state, the pooled timers and the scheduler's
 *      handles are closed, close callbacks run, fibers still parked (nothing could wake them) are
 *      unmapped with a warning, and the uv loop is closed.
 * Not here: what a fiber runs (ctx.c, group.c) and how stacks switch (fiber.c). */
#include "runtime/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

#include "base/banned.h"

/* Resumes per drain before the loop polls for I/O again: enough to batch, bounded so that fibers
 * that keep waking each other cannot starve sockets and timers. */
#define GK__DRAIN_BUDGET 1024
/* Idle stacks kept per loop; a burst beyond this is unmapped when it ends. */
#define GK__STACK_POOL_CAP 1024
/* Stopped timers kept per loop for reuse. */
#define GK__TIMER_POOL_CAP 4096
/* A fiber that runs longer than this without parking stalls its loop: say so. */
#define GK__STALL_NS (10 * 1000 * 1000)

struct gk__pooled_timer {
    uv_timer_t handle; /* first: the uv_timer_t pointer is the struct pointer */
    struct gk__pooled_timer *next;
};

static _Thread_local gk_loop *tls_loop;

gk_loop *gk__loop_current(void)
{
    return tls_loop;
}

gk_fiber *gk__fiber_current(void)
{
    return tls_loop ? tls_loop->host.current : NULL;
}

bool gk__in_fiber(void)
{
    return gk__fiber_current() != NULL;
}

uv_loop_t *gk__loop_uv(gk_loop *loop)
{
    return &loop->uv;
}

size_t gk__loop_fibers(const gk_loop *loop)
{
    return loop->host.alive;
}

size_t gk__loop_stacks_pooled(const gk_loop *loop)
{
    return loop->host.pooled;
}

gk_runtime *gk_loop_runtime(const gk_loop *loop)
{
    return loop->rt;
}

int gk_loop_index(const gk_loop *loop)
{
    return loop->index;
}

int64_t gk_now_ms(void)
{
    if (tls_loop)
        return (int64_t)uv_now(&tls_loop->uv);
    return (int64_t)(uv_hrtime() / 1000000);
}

/* ---- scheduling ---- */

static void on_idle(uv_idle_t *h);

static void kick(gk_loop *l)
{
    if (!l->idle_active) {
        uv_idle_start(&l->idle, on_idle);
        l->idle_active = true;
    }
}

static void enqueue(gk_loop *l, gk_fiber *f)
{
    if (f->queued)
        return;
    f->queued = true;
    f->next = NULL;
    if (l->ready_tail)
        l->ready_tail->next = f;
    else
        l->ready_head = f;
    l->ready_tail = f;
    kick(l);
}

void gk__loop_post(gk_loop *loop, gk__task *t)
{
    if (t->queued)
        return;
    t->queued = true;
    t->next = NULL;
    if (loop->task_tail)
        loop->task_tail->next = t;
    else
        loop->task_head = t;
    loop->task_tail = t;
    kick(loop);
}

void gk__loop_unpost(gk_loop *loop, gk__task *t)
{
    gk__task *prev = NULL;
    if (!t->queued)
        return;
    for (gk__task *it = loop->task_head; it; prev = it, it = it->next) {
        if (it != t)
            continue;
        if (prev)
            prev->next = t->next;
        else
            loop->task_head = t->next;
        if (loop->task_tail == t)
            loop->task_tail = prev;
        break;
    }
    t->queued = false;
    t->next = NULL;
}

static void run_tasks(gk_loop *l)
{
    while (l->task_head) {
        gk__task *t = l->task_head;
        l->task_head = t->next;
        if (!l->task_head)
            l->task_tail = NULL;
        t->queued = false;
        t->next = NULL;
        t->fn(t);
    }
}

static void alive_unlink(gk_loop *l, gk_fiber *f)
{
    if (f->alive_prev)
        f->alive_prev->alive_next = f->alive_next;
    else
        l->alive = f->alive_next;
    if (f->alive_next)
        f->alive_next->alive_prev = f->alive_prev;
    f->alive_next = NULL;
    f->alive_prev = NULL;
}

static void finish_fiber(gk_loop *l, gk_fiber *f)
{
    void (*done)(void *) = f->done;
    void *arg = f->arg;
    alive_unlink(l, f);
    gk__fiber_release(f);
    if (done)
        done(arg);
}

/* Run queued tasks and ready fibers on the loop's stack. Re-entry is refused: a task or a done
 * callback that wakes a fiber only queues it, and this loop picks it up. */
static void drain(gk_loop *l)
{
    unsigned budget = GK__DRAIN_BUDGET;
    if (l->draining)
        return;
    l->draining = true;
    run_tasks(l);
    while (l->ready_head && budget > 0) {
        gk_fiber *f = l->ready_head;
        uint64_t t0;
        uint64_t ran;
        budget--;
        l->ready_head = f->next;
        if (!l->ready_head)
            l->ready_tail = NULL;
        f->queued = false;
        f->next = NULL;
        t0 = uv_hrtime();
        gk__fiber_resume(f);
        ran = uv_hrtime() - t0;
        if (ran > GK__STALL_NS)
            gk__log(GK_LOG_WARN, "loop %d stalled: a fiber ran %llu ms without parking", l->index,
                    (unsigned long long)(ran / 1000000));
        /* Tasks first: a fiber that posted work (gk__loop_call, a deferred cancel) expects it done
         * before anything else runs, and before its done callback may free what the work uses. */
        run_tasks(l);
        if (f->finished)
            finish_fiber(l, f);
    }
    l->draining = false;
    if (!l->ready_head && !l->task_head && l->idle_active) {
        uv_idle_stop(&l->idle);
        l->idle_active = false;
    }
}

static void on_idle(uv_idle_t *h)
{
    drain(h->data);
}

static void on_check(uv_check_t *h)
{
    drain(h->data);
}

static void fiber_main(gk_fiber *f)
{
    f->fn(f->ctx, f->arg);
}

gk_status gk__spawn(gk_ctx *ctx, void (*fn)(gk_ctx *ctx, void *arg), void (*done)(void *arg),
                    void *arg)
{
    gk_loop *l = ctx->loop;
    gk_fiber *f = gk__fiber_new(&l->host, fiber_main);
    if (!f)
        return GK_RESOURCE_EXHAUSTED;
    f->loop = l;
    f->ctx = ctx;
    f->fn = fn;
    f->done = done;
    f->arg = arg;
    f->queued = false;
    f->alive_prev = NULL;
    f->alive_next = l->alive;
    if (l->alive)
        l->alive->alive_prev = f;
    l->alive = f;
    enqueue(l, f);
    return GK_OK;
}

void gk__wake(gk_waiter *w)
{
    if (w->woken)
        return;
    w->woken = true;
    if (w->fiber)
        enqueue(w->fiber->loop, w->fiber);
}

void gk__wait(gk_waiter *w)
{
    gk_fiber *f = gk__fiber_current();
    if (w->woken)
        return;
    w->fiber = f;
    gk__fiber_yield(f);
    w->fiber = NULL;
}

void gk__yield(void)
{
    gk_fiber *f = gk__fiber_current();
    enqueue(f->loop, f);
    gk__fiber_yield(f);
}

struct loop_call {
    gk__task task; /* first: the task pointer is the struct pointer */
    void (*fn)(void *arg);
    void *arg;
    gk_waiter w;
};

static void loop_call_task(gk__task *t)
{
    struct loop_call *c = (struct loop_call *)t;
    c->fn(c->arg);
    gk__wake(&c->w);
}

void gk__loop_call(void (*fn)(void *arg), void *arg)
{
    gk_fiber *f = gk__fiber_current();
    struct loop_call c = {.task = {.fn = loop_call_task}, .fn = fn, .arg = arg};
    if (!f) {
        fn(arg);
        return;
    }
    gk__loop_post(f->loop, &c.task);
    gk__wait(&c.w);
}

/* ---- timers ---- */

static void free_timer(uv_handle_t *h)
{
    free(h);
}

uv_timer_t *gk__loop_timer_get(gk_loop *loop)
{
    struct gk__pooled_timer *pt = loop->timers;
    if (pt) {
        loop->timers = pt->next;
        loop->n_timers--;
        pt->next = NULL;
        return &pt->handle;
    }
    pt = calloc(1, sizeof(*pt));
    if (!pt)
        return NULL;
    uv_timer_init(&loop->uv, &pt->handle);
    return &pt->handle;
}

void gk__loop_timer_put(gk_loop *loop, uv_timer_t *t)
{
    struct gk__pooled_timer *pt = (struct gk__pooled_timer *)t;
    uv_timer_stop(t);
    t->data = NULL;
    if (loop->n_timers >= GK__TIMER_POOL_CAP || loop->torn_down) {
        uv_close((uv_handle_t *)t, free_timer);
        return;
    }
    pt->next = loop->timers;
    loop->timers = pt;
    loop->n_timers++;
}

/* ---- stopping ---- */

bool gk__loop_on_stop(gk_loop *loop, void (*fn)(gk_loop *loop, void *arg), void *arg)
{
    if (loop->n_stop_hooks == loop->cap_stop_hooks) {
        size_t cap = loop->cap_stop_hooks ? loop->cap_stop_hooks * 2 : 4;
        struct gk__stop_hook *h = realloc(loop->stop_hooks, cap * sizeof(*h));
        if (!h)
            return false;
        loop->stop_hooks = h;
        loop->cap_stop_hooks = cap;
    }
    loop->stop_hooks[loop->n_stop_hooks].fn = fn;
    loop->stop_hooks[loop->n_stop_hooks].arg = arg;
    loop->n_stop_hooks++;
    /* Registered after the stop began: it still must run, or its handles would keep the loop. */
    if (loop->stopping)
        fn(loop, arg);
    return true;
}

static void on_stop_async(uv_async_t *a)
{
    gk_loop *l = a->data;
    if (l->stopping)
        return;
    l->stopping = true;
    /* By index: a hook may register another hook (which then runs at registration). */
    for (size_t i = 0; i < l->n_stop_hooks; i++)
        l->stop_hooks[i].fn(l, l->stop_hooks[i].arg);
    uv_close((uv_handle_t *)&l->stop_async, NULL);
}

void gk_runtime_stop(gk_runtime *rt)
{
    if (!rt)
        return;
    for (int i = 0; i < rt->n; i++) {
        gk_loop *l = rt->loops[i];
        if (!atomic_exchange(&l->stop_requested, true))
            uv_async_send(&l->stop_async);
    }
}

/* ---- set-up and teardown ---- */

static void close_leftover(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) {
        gk__log(GK_LOG_WARN, "loop teardown: closing a leftover %s handle",
                uv_handle_type_name(uv_handle_get_type(h)));
        uv_close(h, NULL);
    }
}

/* Runs on the loop's thread after uv_run returned (or in gk_runtime_free for a loop that never
 * ran). Idempotent. */
static void loop_teardown(gk_loop *l)
{
    size_t parked = 0;
    if (l->torn_down)
        return;
    if (l->http_free)
        l->http_free(l);
    l->http_free = NULL;
    l->torn_down = true;
    if (!uv_is_closing((uv_handle_t *)&l->stop_async))
        uv_close((uv_handle_t *)&l->stop_async, NULL);
    uv_close((uv_handle_t *)&l->idle, NULL);
    uv_close((uv_handle_t *)&l->check, NULL);
    while (l->timers) {
        struct gk__pooled_timer *pt = l->timers;
        l->timers = pt->next;
        uv_close((uv_handle_t *)&pt->handle, free_timer);
    }
    l->n_timers = 0;
    uv_run(&l->uv, UV_RUN_NOWAIT);
    if (uv_loop_close(&l->uv) == UV_EBUSY) {
        uv_walk(&l->uv, close_leftover, NULL);
        uv_run(&l->uv, UV_RUN_NOWAIT);
        uv_loop_close(&l->uv);
    }
    while (l->alive) {
        gk_fiber *f = l->alive;
        alive_unlink(l, f);
        gk__fiber_discard(f);
        parked++;
    }
    if (parked)
        gk__log(GK_LOG_WARN, "loop %d ended with %zu fibers parked forever", l->index, parked);
    l->ready_head = NULL;
    l->ready_tail = NULL;
    gk__fiber_host_destroy(&l->host);
}

static void loop_free(gk_loop *l)
{
    if (!l)
        return;
    loop_teardown(l);
    free(l->stop_hooks);
    free(l);
}

static gk_loop *loop_new(gk_runtime *rt, int index, size_t stack_size)
{
    gk_loop *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->rt = rt;
    l->index = index;
    atomic_init(&l->stop_requested, false);
    if (uv_loop_init(&l->uv) != 0) {
        free(l);
        return NULL;
    }
    if (uv_async_init(&l->uv, &l->stop_async, on_stop_async) != 0) {
        uv_loop_close(&l->uv);
        free(l);
        return NULL;
    }
    l->stop_async.data = l;
    uv_idle_init(&l->uv, &l->idle);
    l->idle.data = l;
    uv_check_init(&l->uv, &l->check);
    l->check.data = l;
    uv_check_start(&l->check, on_check);
    uv_unref((uv_handle_t *)&l->check);
    gk__fiber_host_init(&l->host, stack_size, GK__STACK_POOL_CAP);
    return l;
}

static int default_threads(void)
{
    const char *env = getenv("GK_THREADS");
    long n;
    if (env && *env) {
        char *end = NULL;
        errno = 0;
        n = strtol(env, &end, 10);
        if (errno == 0 && end && *end == '\0' && n >= 1 && n <= 1024)
            return (int)n;
        gk__log(GK_LOG_WARN, "GK_THREADS is not a number from 1 to 1024; using the core count");
    }
    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 1024)
        n = 1024;
    return (int)n;
}

gk_runtime *gk_runtime_new(const gk_runtime_opts *opts, gk_error *err)
{
    gk_runtime_opts o = opts ? *opts : (gk_runtime_opts){0};
    gk_runtime *rt;
    struct sigaction sa;

    if (o.threads < 0 || o.threads > 1024) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "threads is %d; want 0 to 1024", o.threads);
        return NULL;
    }
    rt = calloc(1, sizeof(*rt));
    if (!rt) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory creating the runtime");
        return NULL;
    }
    rt->n = o.threads ? o.threads : default_threads();
    rt->stack_size = o.stack_size;
    rt->loops = calloc((size_t)rt->n, sizeof(*rt->loops));
    if (!rt->loops) {
        free(rt);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory creating the runtime");
        return NULL;
    }
    for (int i = 0; i < rt->n; i++) {
        rt->loops[i] = loop_new(rt, i, o.stack_size);
        if (!rt->loops[i]) {
            gk_runtime_free(rt);
            gk_error_set(err, GK_INTERNAL, "", "cannot create event loop %d", i);
            return NULL;
        }
    }
    /* A peer that closes its socket must not kill the process: writes report EPIPE instead. Only
     * when nobody chose a disposition before us. */
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    return rt;
}

int gk_runtime_threads(const gk_runtime *rt)
{
    return rt->n;
}

gk_loop *gk_runtime_loop(gk_runtime *rt, int index)
{
    if (!rt || index < 0 || index >= rt->n)
        return NULL;
    return rt->loops[index];
}

static void loop_run(gk_loop *l)
{
    gk_loop *saved = tls_loop;
    tls_loop = l;
    l->ran = true;
    if (l->rt->on_start)
        l->rt->on_start(l, l->rt->on_start_arg);
    uv_run(&l->uv, UV_RUN_DEFAULT);
    loop_teardown(l);
    tls_loop = saved;
}

static void *loop_thread(void *arg)
{
    loop_run(arg);
    return NULL;
}

gk_status gk_runtime_run(gk_runtime *rt, void (*on_start)(gk_loop *loop, void *arg), void *arg,
                         gk_error *err)
{
    gk_status st = GK_OK;
    sigset_t all;
    sigset_t old;

    rt->on_start = on_start;
    rt->on_start_arg = arg;
    /* Carrier threads take no asynchronous signals: they stay with the calling thread, where the
     * program (or loop 0's uv_signal handles) expects them. Faults must stay deliverable (blocking
     * them is undefined), so the sanitizers and crash handlers still see them. */
    sigfillset(&all);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGTRAP);
    sigdelset(&all, SIGABRT);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 1; i < rt->n; i++) {
        gk_loop *l = rt->loops[i];
        int rc = pthread_create(&l->thread, NULL, loop_thread, l);
        if (rc != 0) {
            st = gk_error_set(err, GK_INTERNAL, "", "cannot start carrier thread %d: %s", i,
                              strerror(rc));
            break;
        }
        l->thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (st == GK_OK) {
        loop_run(rt->loops[0]);
    } else {
        gk_runtime_stop(rt);
    }
    for (int i = 1; i < rt->n; i++) {
        gk_loop *l = rt->loops[i];
        if (l->thread_started) {
            pthread_join(l->thread, NULL);
            l->thread_started = false;
        }
    }
    return st;
}

void gk_runtime_free(gk_runtime *rt)
{
    if (!rt)
        return;
    for (int i = 0; i < rt->n; i++) {
        gk_loop *saved = tls_loop;
        if (!rt->loops[i])
            continue;
        /* A loop that never ran is torn down here, as if on its thread. */
        tls_loop = rt->loops[i];
        loop_free(rt->loops[i]);
        tls_loop = saved;
    }
    free(rt->loops);
    free(rt);
}
