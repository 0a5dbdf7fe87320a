/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/export.c - the export queue and the exporter thread (see export.h). The thread
 * runs a one-loop runtime of its own with one fiber that takes items off the queue in order:
 * TraceData bodies are POSTed with gk_http_fetch at once; OTLP span fragments are appended to the
 * pending batch, which is POSTed (with retries) when full, when its delay ran out, on flush and at
 * shutdown. Producers on any thread wake the fiber with a uv_async; a uv_timer ends its waits for
 * a batch delay or a backoff. The queue is bounded in items and bytes, and OTLP spans in number:
 * a slow or dead collector costs dropped spans, never memory or latency on the request loops. */
#include "telemetry/export.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <genkit/http.h>

#include "base/ids.h"
#include "base/log.h"
#include "runtime/sched.h"
#include "telemetry/otlp.h"

#include "base/banned.h"

#define POST_TIMEOUT_MS 5000
#define URL_MAX         1024
#define POST_ARENA_CAP  ((size_t)1 << 20)
#define BATCH_CAP       ((size_t)16 << 20) /* bytes of span JSON in one OTLP POST */

enum sink { SINK_GENKIT, SINK_OTLP };

struct item {
    struct item *next;
    char *body;
    size_t len;
    enum sink sink;
    size_t spans; /* OTLP: spans in body */
};

/*
 * The layer's state. mu guards everything except the atomics. Invariants: head..tail holds n
 * items of bytes total; async_ready is true only while the exporter loop runs (async is then
 * initialized); in_flight counts the item the fiber holds (0 or 1).
 */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when the queue empties and nothing is in flight */
    struct item *head;
    struct item *tail;
    size_t n;
    size_t bytes;
    int in_flight;
    char url[URL_MAX];
    bool url_from_env;
    gk__telemetry_capture_fn capture;
    void *capture_arg;
    /* exporter thread */
    bool running;
    bool stopping;
    pthread_t thread;
    gk_runtime *rt;
    uv_async_t async;
    bool async_ready;
    gk_waiter *waiter; /* the fiber parked for work (loop thread only) */
    gk_arena *fiber_arena;
    gk_loop *loop;
    uv_timer_t timer; /* ends batch-delay and backoff waits (loop thread only) */
    /* OTLP sink: otlp NULL means off. otlp_queued counts spans in queued OTLP items; batch holds
     * batch_spans spans' JSON (loop thread only, but batch_spans is read under mu by flush). */
    gk__otlp_settings *otlp;
    size_t otlp_queued;
    gk_buf batch;
    size_t batch_spans;
    int64_t batch_deadline_ns; /* monotonic; set when the batch got its first span */
    bool flush_req;
} X = {.mu = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

static atomic_bool active;
static atomic_bool realtime;
static atomic_uint_least64_t n_submitted;
static atomic_uint_least64_t n_sent;
static atomic_uint_least64_t n_failed;
static atomic_uint_least64_t n_dropped;
static atomic_uint_least64_t n_otlp_submitted;
static atomic_uint_least64_t n_otlp_sent;
static atomic_uint_least64_t n_otlp_failed;
static atomic_uint_least64_t n_otlp_dropped;
static atomic_uint_least64_t n_otlp_posts;
static atomic_uint_least64_t n_otlp_retries;
static atomic_bool genkit_active;
static atomic_bool otlp_active;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void update_active_locked(void)
{
    bool genkit = X.url[0] != '\0' || X.capture != NULL;
    atomic_store(&genkit_active, genkit);
    atomic_store(&otlp_active, X.otlp != NULL);
    atomic_store(&active, genkit || X.otlp != NULL);
}

static void set_url_locked(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    while (n && url[n - 1] == '/')
        n--;
    if (n >= sizeof(X.url)) {
        gk__log(GK_LOG_WARN, "telemetry server URL longer than %zu bytes: not exporting",
                sizeof(X.url) - 1);
        n = 0;
    }
    if (n)
        memcpy(X.url, url, n);
    X.url[n] = '\0';
    update_active_locked();
}

static void read_env(void)
{
    const char *url = getenv("GENKIT_TELEMETRY_SERVER");
    const char *rt = getenv("GENKIT_ENABLE_REALTIME_TELEMETRY");
    gk__otlp_settings *otlp = gk__otlp_settings_new(NULL);
    pthread_mutex_lock(&X.mu);
    if (url && *url) {
        set_url_locked(url);
        X.url_from_env = X.url[0] != '\0';
    }
    X.otlp = otlp;
    update_active_locked();
    pthread_mutex_unlock(&X.mu);
    if (rt && strcmp(rt, "true") == 0)
        atomic_store(&realtime, true);
}

static void init_env(void)
{
    pthread_once(&env_once, read_env);
}

bool gk__telemetry_active(void)
{
    init_env();
    return atomic_load_explicit(&active, memory_order_relaxed);
}

bool gk__telemetry_genkit_active(void)
{
    init_env();
    return atomic_load_explicit(&genkit_active, memory_order_relaxed);
}

bool gk__telemetry_otlp_active(void)
{
    init_env();
    return atomic_load_explicit(&otlp_active, memory_order_relaxed);
}

void gk__telemetry_set_otlp(const struct gk__otlp_config *cfg)
{
    init_env();
    gk__otlp_settings *s = cfg ? gk__otlp_settings_new(cfg) : NULL;
    pthread_mutex_lock(&X.mu);
    gk__otlp_settings *old = X.otlp;
    X.otlp = s;
    update_active_locked();
    pthread_mutex_unlock(&X.mu);
    gk__otlp_settings_unref(old);
}

bool gk__telemetry_realtime(void)
{
    init_env();
    return atomic_load_explicit(&realtime, memory_order_relaxed);
}

void gk__telemetry_set_realtime(bool on)
{
    init_env();
    atomic_store(&realtime, on);
}

void gk__telemetry_set_server(const char *url)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    set_url_locked(url);
    X.url_from_env = false;
    pthread_mutex_unlock(&X.mu);
}

void gk__telemetry_notify_server(const char *url)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    if (!X.url_from_env)
        set_url_locked(url);
    pthread_mutex_unlock(&X.mu);
}

void gk__telemetry_server(char *out, size_t cap)
{
    init_env();
    if (!cap)
        return;
    pthread_mutex_lock(&X.mu);
    size_t n = strlen(X.url);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, X.url, n);
    out[n] = '\0';
    pthread_mutex_unlock(&X.mu);
}

void gk__telemetry_set_capture(gk__telemetry_capture_fn fn, void *arg)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    X.capture = fn;
    X.capture_arg = arg;
    update_active_locked();
    pthread_mutex_unlock(&X.mu);
}

void gk__telemetry_get_stats(gk__telemetry_stats *out)
{
    out->submitted = atomic_load(&n_submitted);
    out->sent = atomic_load(&n_sent);
    out->failed = atomic_load(&n_failed);
    out->dropped = atomic_load(&n_dropped);
    out->otlp_submitted = atomic_load(&n_otlp_submitted);
    out->otlp_sent = atomic_load(&n_otlp_sent);
    out->otlp_failed = atomic_load(&n_otlp_failed);
    out->otlp_dropped = atomic_load(&n_otlp_dropped);
    out->otlp_posts = atomic_load(&n_otlp_posts);
    out->otlp_retries = atomic_load(&n_otlp_retries);
}

/* ---- the exporter thread ---- */

static void on_async(uv_async_t *h)
{
    (void)h;
    gk_waiter *w = X.waiter;
    if (w) {
        X.waiter = NULL;
        gk__wake(w);
    }
}

static void post_one(gk_loop *loop, const char *url, struct item *it)
{
    char target[URL_MAX + 16];
    int tn = snprintf(target, sizeof(target), "%s/api/traces", url);
    if (tn < 0 || (size_t)tn >= sizeof(target)) {
        atomic_fetch_add(&n_failed, 1);
        return;
    }
    gk_arena *a = gk_arena_new(POST_ARENA_CAP);
    gk_ctx *ctx = a ? gk__ctx_new(loop, a) : NULL;
    if (!ctx) {
        gk_arena_free(a);
        atomic_fetch_add(&n_failed, 1);
        return;
    }
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    gk_http_request req = {
        .method = "POST",
        .url = target,
        .headers = headers,
        .body = {it->body, it->len},
        .timeout_ms = POST_TIMEOUT_MS,
        .connect_timeout_ms = 2000,
        .max_body = 64 * 1024,
    };
    gk_http_response *resp = NULL;
    gk_error err = {0};
    gk_status st = gk_http_fetch(ctx, &req, &resp, &err);
    int code = st == GK_OK ? gk_http_response_status(resp) : 0;
    if (st == GK_OK && code >= 200 && code < 300) {
        atomic_fetch_add(&n_sent, 1);
    } else {
        /* Warn on the first failure and then rarely: a missing telemetry server must not flood
         * the log of a service that keeps running. */
        uint64_t failed = atomic_fetch_add(&n_failed, 1);
        if (failed == 0 || failed % 1000 == 0) {
            if (st != GK_OK)
                gk__log(GK_LOG_WARN, "trace export to %s failed: %s (%" PRIu64 " failures)", url,
                        err.message, failed + 1);
            else
                gk__log(GK_LOG_WARN, "trace export to %s answered HTTP %d (%" PRIu64 " failures)",
                        url, code, failed + 1);
        }
    }
    gk_arena_free(a);
}

static void on_timer(uv_timer_t *h)
{
    on_async((uv_async_t *)h->data);
}

/* Park until woken by a producer, a flush, shutdown, or the monotonic deadline (0: none). */
static void wait_for(int64_t deadline_ns)
{
    if (deadline_ns) {
        int64_t left = deadline_ns - gk__mono_ns();
        if (left <= 0)
            return;
        uv_timer_start(&X.timer, on_timer, (uint64_t)(left / 1000000 + 1), 0);
    }
    gk_waiter w = {0};
    X.waiter = &w;
    gk__wait(&w);
    X.waiter = NULL;
    uv_timer_stop(&X.timer);
}

static bool is_stopping(void)
{
    pthread_mutex_lock(&X.mu);
    bool stopping = X.stopping;
    pthread_mutex_unlock(&X.mu);
    return stopping;
}

/* One POST of an OTLP body on a fresh arena; the retry decision is the caller's. */
static gk_status post_otlp(gk_loop *loop, const gk__otlp_settings *s, const gk_buf *body,
                           int *code, int *retry_after_ms, gk_error *err)
{
    gk_arena *a = gk_arena_new(POST_ARENA_CAP);
    gk_ctx *ctx = a ? gk__ctx_new(loop, a) : NULL;
    if (!ctx) {
        gk_arena_free(a);
        *code = 0;
        *retry_after_ms = 0;
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    atomic_fetch_add(&n_otlp_posts, 1);
    gk_status st = gk__otlp_post(ctx, s, body->ptr, body->len, code, retry_after_ms, err);
    gk_arena_free(a);
    return st;
}

/* Send the pending batch, retrying with exponential backoff (bounded attempts; one attempt once
 * stopping), then empty it. */
static void send_batch(gk_loop *loop)
{
    pthread_mutex_lock(&X.mu);
    gk__otlp_settings *s = gk__otlp_settings_ref(X.otlp);
    size_t spans = X.batch_spans;
    pthread_mutex_unlock(&X.mu);
    gk_buf body = GK_BUF_INIT(0);
    if (s)
        gk__otlp_body(&body, s, X.batch.ptr ? X.batch.ptr : "", X.batch.len);
    if (!s || gk_buf_failed(&body)) {
        atomic_fetch_add(&n_otlp_failed, spans);
    } else {
        int64_t delay = s->backoff_ms;
        for (int attempt = 1;; attempt++) {
            int code = 0;
            int retry_after = 0;
            gk_error err = {0};
            gk_status st = post_otlp(loop, s, &body, &code, &retry_after, &err);
            if (st == GK_OK) {
                atomic_fetch_add(&n_otlp_sent, spans);
                break;
            }
            bool stopping = is_stopping();
            if (!gk__otlp_retryable(st, code) || attempt >= s->max_attempts || stopping) {
                /* Warn on the first failure and then rarely (see post_one). The URL is logged
                 * without headers: they hold credentials. */
                uint64_t failed = atomic_fetch_add(&n_otlp_failed, spans);
                if (failed == 0 || failed / 1000 != (failed + spans) / 1000)
                    gk__log(GK_LOG_WARN, "OTLP export of %zu spans to %s failed after %d attempts: %s",
                            spans, s->url, attempt, err.message);
                break;
            }
            atomic_fetch_add(&n_otlp_retries, 1);
            int64_t wait = delay;
            if (retry_after > wait)
                wait = retry_after;
            if (wait > GK__OTLP_MAX_BACKOFF_MS)
                wait = GK__OTLP_MAX_BACKOFF_MS;
            delay = delay * 2 > GK__OTLP_MAX_BACKOFF_MS ? GK__OTLP_MAX_BACKOFF_MS : delay * 2;
            int64_t until = gk__mono_ns() + wait * 1000000;
            while (!is_stopping() && gk__mono_ns() < until)
                wait_for(until);
        }
    }
    gk_buf_release(&body);
    gk__otlp_settings_unref(s);
    gk_buf_reset(&X.batch);
    pthread_mutex_lock(&X.mu);
    X.batch_spans = 0;
    if (!X.head && !X.in_flight)
        pthread_cond_broadcast(&X.idle);
    pthread_mutex_unlock(&X.mu);
}

/* Append an OTLP item to the batch, sending first when it would overflow and after when full. */
static void batch_add(gk_loop *loop, struct item *it)
{
    if (it->len > BATCH_CAP) {
        atomic_fetch_add(&n_otlp_failed, it->spans);
        return;
    }
    if (X.batch_spans && X.batch.len + 1 + it->len > BATCH_CAP)
        send_batch(loop);
    if (X.batch_spans)
        gk_buf_putc(&X.batch, ',');
    gk_buf_put(&X.batch, it->body, it->len);
    pthread_mutex_lock(&X.mu);
    if (!X.batch_spans)
        X.batch_deadline_ns = gk__mono_ns() + (X.otlp ? X.otlp->batch_delay_ms : 0) * 1000000;
    X.batch_spans += it->spans;
    bool full = !X.otlp || X.batch_spans >= X.otlp->batch_spans;
    pthread_mutex_unlock(&X.mu);
    if (full)
        send_batch(loop);
}

static void exporter_fiber(gk_ctx *ctx, void *arg)
{
    (void)arg;
    gk_loop *loop = gk_ctx_loop(ctx);
    char url[URL_MAX];
    for (;;) {
        pthread_mutex_lock(&X.mu);
        struct item *it = X.head;
        if (it) {
            X.head = it->next;
            if (!X.head)
                X.tail = NULL;
            X.n--;
            X.bytes -= it->len;
            if (it->sink == SINK_OTLP)
                X.otlp_queued -= it->spans;
            X.in_flight = 1;
            memcpy(url, X.url, sizeof(url));
        }
        bool stopping = X.stopping;
        bool due = X.batch_spans && (stopping || X.flush_req || gk__mono_ns() >= X.batch_deadline_ns);
        int64_t deadline = X.batch_spans ? X.batch_deadline_ns : 0;
        if (!it && !X.in_flight && !X.batch_spans) {
            X.flush_req = false;
            pthread_cond_broadcast(&X.idle);
        }
        pthread_mutex_unlock(&X.mu);
        if (!it) {
            if (due) {
                send_batch(loop);
                continue;
            }
            if (stopping)
                return;
            wait_for(deadline);
            continue;
        }
        if (it->sink == SINK_OTLP)
            batch_add(loop, it);
        else if (url[0])
            post_one(loop, url, it);
        free(it->body);
        free(it);
        pthread_mutex_lock(&X.mu);
        X.in_flight = 0;
        if (!X.head && !X.batch_spans)
            pthread_cond_broadcast(&X.idle);
        pthread_mutex_unlock(&X.mu);
    }
}

static void on_async_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_timer_closed(uv_handle_t *h)
{
    (void)h;
}

static void exporter_done(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&X.mu);
    X.async_ready = false;
    pthread_mutex_unlock(&X.mu);
    uv_close((uv_handle_t *)&X.async, on_async_closed);
    uv_close((uv_handle_t *)&X.timer, on_timer_closed);
    gk_buf_release(&X.batch);
    gk_arena_free(X.fiber_arena);
    X.fiber_arena = NULL;
    gk_runtime_stop(X.rt);
}

static void exporter_start(gk_loop *loop, void *arg)
{
    (void)arg;
    X.loop = loop;
    uv_async_init(gk__loop_uv(loop), &X.async, on_async);
    uv_timer_init(gk__loop_uv(loop), &X.timer);
    X.timer.data = &X.async;
    X.batch = GK_BUF_INIT(BATCH_CAP + 1);
    pthread_mutex_lock(&X.mu);
    X.async_ready = true;
    pthread_mutex_unlock(&X.mu);
    X.fiber_arena = gk_arena_new(64 * 1024);
    gk_ctx *ctx = X.fiber_arena ? gk__ctx_new(loop, X.fiber_arena) : NULL;
    if (!ctx || gk__spawn(ctx, exporter_fiber, exporter_done, NULL) != GK_OK) {
        gk__log(GK_LOG_ERROR, "trace exporter could not start: out of memory");
        exporter_done(NULL);
    }
}

static void *exporter_thread(void *arg)
{
    (void)arg;
    gk_error err = {0};
    if (gk_runtime_run(X.rt, exporter_start, NULL, &err) != GK_OK)
        gk__log(GK_LOG_ERROR, "trace exporter stopped: %s", err.message);
    return NULL;
}

/* Start the exporter thread if it is not running. Called with mu held. */
static void ensure_thread_locked(void)
{
    if (X.running)
        return;
    gk_error err = {0};
    gk_runtime_opts ro = {.threads = 1};
    X.rt = gk_runtime_new(&ro, &err);
    if (!X.rt) {
        gk__log(GK_LOG_ERROR, "trace exporter: %s", err.message);
        return;
    }
    X.stopping = false;
    if (pthread_create(&X.thread, NULL, exporter_thread, NULL) != 0) {
        gk__log(GK_LOG_ERROR, "trace exporter: cannot start its thread");
        gk_runtime_free(X.rt);
        X.rt = NULL;
        return;
    }
    X.running = true;
}

void gk__telemetry_submit(char *body, size_t len)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    if (X.capture) {
        gk__telemetry_capture_fn fn = X.capture;
        void *arg = X.capture_arg;
        pthread_mutex_unlock(&X.mu);
        atomic_fetch_add(&n_submitted, 1);
        fn(body, len, arg);
        atomic_fetch_add(&n_sent, 1);
        free(body);
        return;
    }
    struct item *it = NULL;
    if (X.url[0] && X.n < GK__EXPORT_MAX_ITEMS && X.bytes + len <= GK__EXPORT_MAX_BYTES)
        it = malloc(sizeof(*it));
    if (!it) {
        pthread_mutex_unlock(&X.mu);
        atomic_fetch_add(&n_dropped, 1);
        free(body);
        return;
    }
    *it = (struct item){NULL, body, len, SINK_GENKIT, 0};
    if (X.tail)
        X.tail->next = it;
    else
        X.head = it;
    X.tail = it;
    X.n++;
    X.bytes += len;
    atomic_fetch_add(&n_submitted, 1);
    ensure_thread_locked();
    if (X.async_ready)
        uv_async_send(&X.async);
    pthread_mutex_unlock(&X.mu);
}

void gk__telemetry_submit_otlp(char *spans, size_t len, size_t n)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    struct item *it = NULL;
    if (X.otlp && X.otlp_queued + n <= X.otlp->max_queue_spans && X.n < GK__EXPORT_MAX_ITEMS &&
        X.bytes + len <= GK__EXPORT_MAX_BYTES)
        it = malloc(sizeof(*it));
    if (!it) {
        pthread_mutex_unlock(&X.mu);
        atomic_fetch_add(&n_otlp_dropped, n);
        free(spans);
        return;
    }
    *it = (struct item){NULL, spans, len, SINK_OTLP, n};
    if (X.tail)
        X.tail->next = it;
    else
        X.head = it;
    X.tail = it;
    X.n++;
    X.bytes += len;
    X.otlp_queued += n;
    atomic_fetch_add(&n_otlp_submitted, n);
    ensure_thread_locked();
    if (X.async_ready)
        uv_async_send(&X.async);
    pthread_mutex_unlock(&X.mu);
}

bool gk__telemetry_flush(int64_t timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&X.mu);
    bool ok = true;
    if (X.running && (X.head || X.in_flight || X.batch_spans)) {
        X.flush_req = true;
        if (X.async_ready)
            uv_async_send(&X.async);
    }
    while (X.running && (X.head || X.in_flight || X.batch_spans)) {
        if (pthread_cond_timedwait(&X.idle, &X.mu, &until) == ETIMEDOUT) {
            ok = !X.head && !X.in_flight && !X.batch_spans;
            break;
        }
    }
    if (!X.running && X.head)
        ok = false;
    pthread_mutex_unlock(&X.mu);
    return ok;
}

void gk__telemetry_shutdown(void)
{
    init_env();
    pthread_mutex_lock(&X.mu);
    bool running = X.running;
    X.stopping = true;
    if (X.async_ready)
        uv_async_send(&X.async);
    pthread_mutex_unlock(&X.mu);
    if (running) {
        pthread_join(X.thread, NULL);
        gk_runtime_free(X.rt);
    }
    pthread_mutex_lock(&X.mu);
    X.rt = NULL;
    X.running = false;
    X.stopping = false;
    while (X.head) {
        struct item *it = X.head;
        X.head = it->next;
        free(it->body);
        free(it);
    }
    X.tail = NULL;
    X.n = 0;
    X.bytes = 0;
    X.in_flight = 0;
    X.otlp_queued = 0;
    X.batch_spans = 0;
    X.flush_req = false;
    gk__otlp_settings *otlp = X.otlp;
    X.otlp = NULL;
    X.url[0] = '\0';
    X.url_from_env = false;
    X.capture = NULL;
    X.capture_arg = NULL;
    update_active_locked();
    pthread_mutex_unlock(&X.mu);
    gk__otlp_settings_unref(otlp);
    atomic_store(&realtime, false);
    atomic_store(&n_submitted, 0);
    atomic_store(&n_sent, 0);
    atomic_store(&n_failed, 0);
    atomic_store(&n_dropped, 0);
    atomic_store(&n_otlp_submitted, 0);
    atomic_store(&n_otlp_sent, 0);
    atomic_store(&n_otlp_failed, 0);
    atomic_store(&n_otlp_dropped, 0);
    atomic_store(&n_otlp_posts, 0);
    atomic_store(&n_otlp_retries, 0);
}
