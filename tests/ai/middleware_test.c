/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/middleware_test.c - model middleware: the chain (order, changed requests, short cuts),
 * retry (exact backoff with a fake sleeper, caps, retry-after, jitter bounds, statuses, streaming,
 * cancellation and deadlines with the real gk_sleep), fallback (order, statuses, last error), and
 * the simulations (system prompt, constrained output, context documents) on scripted test models
 * that fail on demand and record the requests they get. */
#include <string.h>

#include <genkit/middleware.h>

#include "base/log.h"
#include "runtime/rt_helpers.h"
#include "test.h"

#define STACK (256 * 1024)

/* ---- scripted models ---- */

struct world;

/* A model that fails its first fail_times calls with fail_status (and retry_after_ms), streams one
 * chunk per call when asked to, answers "ok from <tag>" and records each request as JSON. */
struct script {
    struct world *w;
    const char *tag;
    int fail_times;
    gk_status fail_status;
    int retry_after_ms;
    bool stream_first;
    int calls;
    char last_request[4096];
};

struct world {
    gk_genkit *g;
    char called[256]; /* tags of the models called, comma-separated */
    struct script a;  /* test/a: no system role, constrained none */
    struct script b;  /* test/b: system role, constrained all */
    struct script c;  /* test/c: context, constrained no-tools */
};

static void append(char *dst, size_t n, const char *s)
{
    size_t have = strlen(dst);
    if (have + strlen(s) + 1 < n)
        memcpy(dst + have, s, strlen(s) + 1);
}

static void encode_request(const gk_generate_request *req, char *out, size_t n)
{
    gk_buf b = GK_BUF_INIT(1 << 20);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_generate_request), req);
    snprintf(out, n, "%s", gk_buf_failed(&b) ? "(failed)" : b.ptr);
    gk_buf_release(&b);
}

static gk_status script_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                 gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    struct script *s = self;
    gk_arena *a = gk_ctx_arena(ctx);
    s->calls++;
    if (s->w->called[0])
        append(s->w->called, sizeof(s->w->called), ",");
    append(s->w->called, sizeof(s->w->called), s->tag);
    encode_request(req, s->last_request, sizeof(s->last_request));
    if (s->stream_first) {
        gk_part p = gk_part_text("partial");
        gk_generate_response_chunk c = {.content = {&p, 1}};
        gk_status st = gk_model_stream_send(stream, &c, err);
        if (st != GK_OK)
            return st;
    }
    if (s->calls <= s->fail_times) {
        gk_error_set(err, s->fail_status, "", "%s failed %d", s->tag, s->calls);
        if (err)
            err->retry_after_ms = s->retry_after_ms;
        return s->fail_status;
    }
    const char *text = gk_arena_sprintf(a, "ok from %s", s->tag);
    if (!text || gk_message_text_init(a, &resp->message, GK_ROLE_MODEL, text) != GK_OK)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    resp->has_message = true;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

static bool define_script(struct world *w, struct script *s, const char *name, const char *tag,
                          unsigned supports, gk_model_constrained constrained)
{
    gk_error err = {0};
    s->w = w;
    s->tag = tag;
    gk_model_desc d = {.name = name,
                       .info = {.supports = supports, .constrained = constrained},
                       .generate = script_generate,
                       .self = s};
    return gk_define_model(w->g, &d, &err) != NULL;
}

/* Retries and fallbacks log at info; keep the test output quiet. */
static bool world_init(struct world *w)
{
    gk_error err = {0};
    memset(w, 0, sizeof(*w));
    gk__log_configure(GK_LOG_WARN, -1, -1);
    w->g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    return w->g &&
           define_script(w, &w->a, "test/a", "a", GK_MODEL_MULTITURN, GK_CONSTRAINED_NONE) &&
           define_script(w, &w->b, "test/b", "b", GK_MODEL_MULTITURN | GK_MODEL_SYSTEM_ROLE,
                         GK_CONSTRAINED_ALL) &&
           define_script(w, &w->c, "test/c", "c", GK_MODEL_MULTITURN | GK_MODEL_CONTEXT,
                         GK_CONSTRAINED_NO_TOOLS);
}

static void world_free(struct world *w)
{
    gk_shutdown(w->g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

/* ---- calling through a chain in a fiber ---- */

struct call {
    struct world *w;
    const char *model;
    const gk_model_middleware *const *mw;
    const char *request_json; /* NULL: one user message "hi" */
    bool stream;
    int64_t timeout_ms;  /* > 0: narrow the ctx's deadline first */
    bool cancel_sibling; /* run the call in a branch and cancel it from another after 20 ms */
    gk_status st;
    gk_error err;
    char text[256];
    char chunks[256];
    char request_after[4096]; /* the caller's request, encoded after the call */
    char request_before[4096];
    int64_t elapsed_ms;
    gk_ctx *call_ctx;
};

static gk_status collect_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct call *c = arg;
    for (size_t i = 0; i < chunk->content.count; i++) {
        if (chunk->content.items[i].text)
            append(c->chunks, sizeof(c->chunks), chunk->content.items[i].text);
    }
    return GK_OK;
}

static void do_call(gk_ctx *ctx, struct call *c)
{
    gk_arena *a = gk_ctx_arena(ctx);
    const char *json = c->request_json
                           ? c->request_json
                           : "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}";
    gk_generate_request req;
    c->st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), json, strlen(json), &req, &c->err);
    if (c->st != GK_OK)
        return;
    encode_request(&req, c->request_before, sizeof(c->request_before));
    if (c->timeout_ms > 0)
        gk_ctx_set_timeout(ctx, c->timeout_ms);
    gk_generate_response resp;
    int64_t t0 = gk_now_ms();
    c->st = gk_model_call_mw(ctx, c->w->g, c->model, c->mw, &req, c->stream ? collect_chunk : NULL,
                             c, &resp, &c->err);
    c->elapsed_ms = gk_now_ms() - t0;
    if (c->st == GK_OK)
        snprintf(c->text, sizeof(c->text), "%s", gk_response_text(a, &resp));
    encode_request(&req, c->request_after, sizeof(c->request_after));
}

static gk_status call_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct call *c = arg;
    (void)err;
    c->call_ctx = ctx;
    do_call(ctx, c);
    return GK_OK;
}

static gk_status cancel_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct call *c = arg;
    (void)err;
    gk_status st = gk_sleep(ctx, 20);
    if (c->call_ctx)
        gk_ctx_cancel(c->call_ctx, GK_CANCELLED);
    return st;
}

static void call_fiber(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    if (!c->cancel_sibling) {
        do_call(ctx, c);
        return;
    }
    gk_group *g = gk_group_new(ctx, NULL);
    if (!g || gk_go(g, call_branch, c) != GK_OK || gk_go(g, cancel_branch, c) != GK_OK) {
        c->st = GK_INTERNAL;
        return;
    }
    gk_group_wait(g, NULL);
}

static void run_call(struct call *c)
{
    gk_status st = rt_run_fiber(call_fiber, c, STACK);
    if (st != GK_OK)
        c->st = st;
}

/* ---- a fake clock for retry ---- */

struct sleeper {
    int64_t delays[32];
    int n;
    gk_status result;
};

static gk_status fake_sleep(gk_ctx *ctx, int64_t ms, void *arg)
{
    struct sleeper *s = arg;
    (void)ctx;
    if (s->n < 32)
        s->delays[s->n] = ms;
    s->n++;
    return s->result;
}

/* Returns values[i++] (the last one repeated). */
struct randoms {
    const uint64_t *values;
    size_t n;
    size_t i;
};

static uint64_t next_random(void *arg)
{
    struct randoms *r = arg;
    uint64_t v = r->values[r->i < r->n ? r->i : r->n - 1];
    r->i++;
    return v;
}

/* A seeded splitmix64, for bounds over many draws. */
static uint64_t seeded_random(void *arg)
{
    uint64_t *s = arg;
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

struct retry_log {
    char text[512];
};

static void record_retry(const char *model_name, int attempt, int64_t delay_ms, const gk_error *err,
                         void *arg)
{
    struct retry_log *l = arg;
    char line[128];
    snprintf(line, sizeof(line), "%s#%d %lld %s;", model_name, attempt, (long long)delay_ms,
             gk_status_name(err->status));
    append(l->text, sizeof(l->text), line);
}

/* ---- retry ---- */

TEST(retry_backs_off_exponentially_then_succeeds)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 3;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {0};
    struct retry_log log = {0};
    gk_retry_opts ro = {.initial_delay_ms = 100,
                        .jitter = GK_RETRY_JITTER_NONE,
                        .on_retry = record_retry,
                        .on_retry_arg = &log,
                        .sleep = fake_sleep,
                        .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "ok from a");
    EXPECT_EQ(w.a.calls, 4);
    ASSERT_EQ(s.n, 3);
    EXPECT_EQ(s.delays[0], 100);
    EXPECT_EQ(s.delays[1], 200);
    EXPECT_EQ(s.delays[2], 400);
    EXPECT_STREQ(log.text, "test/a#1 100 UNAVAILABLE;test/a#2 200 UNAVAILABLE;"
                           "test/a#3 400 UNAVAILABLE;");
    world_free(&w);
}

TEST(retry_caps_the_backoff_at_max_delay_with_custom_factor)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 5;
    w.a.fail_status = GK_RESOURCE_EXHAUSTED;
    struct sleeper s = {0};
    gk_retry_opts ro = {.max_retries = 5,
                        .initial_delay_ms = 1000,
                        .max_delay_ms = 5000,
                        .backoff_factor = 3,
                        .jitter = GK_RETRY_JITTER_NONE,
                        .sleep = fake_sleep,
                        .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    ASSERT_EQ(s.n, 5);
    EXPECT_EQ(s.delays[0], 1000);
    EXPECT_EQ(s.delays[1], 3000);
    EXPECT_EQ(s.delays[2], 5000);
    EXPECT_EQ(s.delays[3], 5000);
    EXPECT_EQ(s.delays[4], 5000);
    world_free(&w);
}

TEST(retry_gives_up_after_max_retries_with_the_last_error)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {0};
    gk_retry_opts ro = {.jitter = GK_RETRY_JITTER_NONE, .sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_EQ(c.err.status, GK_UNAVAILABLE);
    EXPECT_STREQ(c.err.message, "a failed 4");
    EXPECT_EQ(w.a.calls, 4); /* default max_retries 3 */
    ASSERT_EQ(s.n, 3);       /* defaults: 1000 ms, factor 2 */
    EXPECT_EQ(s.delays[0], 1000);
    EXPECT_EQ(s.delays[1], 2000);
    EXPECT_EQ(s.delays[2], 4000);
    world_free(&w);
}

TEST(retry_honours_retry_after_as_the_minimum_delay)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 3;
    w.a.fail_status = GK_RESOURCE_EXHAUSTED;
    w.a.retry_after_ms = 1500;
    struct sleeper s = {0};
    gk_retry_opts ro = {.initial_delay_ms = 1000,
                        .jitter = GK_RETRY_JITTER_NONE,
                        .sleep = fake_sleep,
                        .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    ASSERT_EQ(s.n, 3);
    EXPECT_EQ(s.delays[0], 1500); /* retry-after over the 1000 ms backoff */
    EXPECT_EQ(s.delays[1], 2000); /* the backoff once it is longer */
    EXPECT_EQ(s.delays[2], 4000);
    world_free(&w);
}

TEST(retry_returns_at_once_when_retry_after_exceeds_max_delay)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 1;
    w.a.fail_status = GK_RESOURCE_EXHAUSTED;
    w.a.retry_after_ms = 120000;
    struct sleeper s = {0};
    gk_retry_opts ro = {.sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_RESOURCE_EXHAUSTED);
    EXPECT_EQ(c.err.retry_after_ms, 120000); /* left for the caller (or a fallback) to see */
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_EQ(s.n, 0);
    world_free(&w);
}

TEST(retry_equal_jitter_is_half_fixed_half_random)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 3;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {0};
    static const uint64_t values[] = {0, 250, 1000 + 1001 * 7}; /* last: 2000 ms backoff... */
    struct randoms r = {values, 3, 0};
    gk_retry_opts ro = {.initial_delay_ms = 1000,
                        .sleep = fake_sleep,
                        .sleep_arg = &s,
                        .random = next_random,
                        .random_arg = &r};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    ASSERT_EQ(s.n, 3);
    EXPECT_EQ(s.delays[0], 500);                                        /* 1000/2 + 0 % 501 */
    EXPECT_EQ(s.delays[1], 1250);                                       /* 2000/2 + 250 % 1001 */
    EXPECT_EQ(s.delays[2], 2000 + (int64_t)((1000 + 1001 * 7) % 2001)); /* 4000/2 + r % 2001 */
    world_free(&w);
}

static void check_jitter_bounds(gk_retry_jitter mode, int64_t lo_num, int64_t lo_den)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 20;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {0};
    uint64_t seed = 42;
    gk_retry_opts ro = {.max_retries = 20,
                        .initial_delay_ms = 100,
                        .max_delay_ms = 1000,
                        .jitter = mode,
                        .sleep = fake_sleep,
                        .sleep_arg = &s,
                        .random = seeded_random,
                        .random_arg = &seed};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    ASSERT_EQ(s.n, 20);
    int64_t d = 100;
    int distinct = 0;
    for (int i = 0; i < 20; i++) {
        EXPECT_GE(s.delays[i], d * lo_num / lo_den);
        EXPECT_LE(s.delays[i], d);
        if (i > 0 && s.delays[i] != s.delays[i - 1])
            distinct++;
        d = d * 2 > 1000 ? 1000 : d * 2;
    }
    EXPECT_GT(distinct, 10); /* actually random, not a constant */
    world_free(&w);
}

TEST(retry_equal_jitter_stays_within_half_to_full_backoff)
{
    check_jitter_bounds(GK_RETRY_JITTER_EQUAL, 1, 2);
}

TEST(retry_full_jitter_stays_within_zero_to_full_backoff)
{
    check_jitter_bounds(GK_RETRY_JITTER_FULL, 0, 1);
}

TEST(retry_leaves_unlisted_statuses_alone)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 1;
    w.a.fail_status = GK_INVALID_ARGUMENT;
    struct sleeper s = {0};
    gk_retry_opts ro = {.sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.message, "a failed 1");
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_EQ(s.n, 0);
    world_free(&w);
}

TEST(retry_uses_only_the_statuses_it_is_given)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 1;
    w.a.fail_status = GK_UNAVAILABLE;
    w.b.fail_times = 1;
    w.b.fail_status = GK_PERMISSION_DENIED;
    struct sleeper s = {0};
    static const gk_status only[] = {GK_PERMISSION_DENIED, GK_OK};
    gk_retry_opts ro = {.statuses = only, .sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call ca = {.w = &w, .model = "test/a", .mw = chain};
    struct call cb = {.w = &w, .model = "test/b", .mw = chain};

    run_call(&ca);
    run_call(&cb);

    EXPECT_EQ(ca.st, GK_UNAVAILABLE);
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_EQ(cb.st, GK_OK);
    EXPECT_EQ(w.b.calls, 2);
    EXPECT_EQ(s.n, 1);
    world_free(&w);
}

TEST(retry_never_repeats_a_call_that_already_streamed)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 1;
    w.a.fail_status = GK_UNAVAILABLE;
    w.a.stream_first = true;
    struct sleeper s = {0};
    gk_retry_opts ro = {.sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call streamed = {.w = &w, .model = "test/a", .mw = chain, .stream = true};

    run_call(&streamed);

    EXPECT_EQ(streamed.st, GK_UNAVAILABLE);
    EXPECT_STREQ(streamed.chunks, "partial");
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_EQ(s.n, 0);

    /* The same failure without a streaming caller is retried (nothing reached anyone). */
    w.a.calls = 0;
    struct call plain = {.w = &w, .model = "test/a", .mw = chain};
    run_call(&plain);
    EXPECT_EQ(plain.st, GK_OK);
    EXPECT_EQ(w.a.calls, 2);
    EXPECT_EQ(s.n, 1);
    world_free(&w);
}

TEST(retry_streams_the_successful_attempt_to_the_caller)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.stream_first = true;
    struct sleeper s = {0};
    gk_retry_opts ro = {.sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .stream = true};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.chunks, "partial");
    EXPECT_STREQ(c.text, "ok from a");
    world_free(&w);
}

TEST(retry_wait_ends_promptly_when_the_context_is_cancelled)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 5;
    w.a.fail_status = GK_UNAVAILABLE;
    gk_retry_opts ro = {.initial_delay_ms = 30000}; /* the real gk_sleep */
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .cancel_sibling = true};

    run_call(&c);

    EXPECT_EQ(c.st, GK_CANCELLED);
    EXPECT_EQ(c.err.status, GK_CANCELLED);
    EXPECT_STREQ(c.err.message,
                 "cancelled while waiting to retry model \"test/a\" after UNAVAILABLE: a failed 1");
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_LT(c.elapsed_ms, 5000);
    world_free(&w);
}

TEST(retry_does_not_start_a_wait_that_would_outlive_the_deadline)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 5;
    w.a.fail_status = GK_UNAVAILABLE;
    gk_retry_opts ro = {.initial_delay_ms = 30000}; /* the real gk_sleep */
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .timeout_ms = 10000};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE); /* the real failure, not a deadline after a useless wait */
    EXPECT_STREQ(c.err.message, "a failed 1");
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_LT(c.elapsed_ms, 5000);
    world_free(&w);
}

TEST(retry_wait_cut_by_the_deadline_returns_deadline_exceeded)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 5;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {.result = GK_DEADLINE_EXCEEDED}; /* as gk_sleep reports an ended deadline */
    gk_retry_opts ro = {.sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.err.message, "deadline exceeded while waiting to retry model \"test/a\" after "
                                "UNAVAILABLE: a failed 1");
    EXPECT_EQ(w.a.calls, 1);
    world_free(&w);
}

TEST(retry_with_negative_max_retries_never_retries)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 1;
    w.a.fail_status = GK_UNAVAILABLE;
    struct sleeper s = {0};
    gk_retry_opts ro = {.max_retries = -1, .sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_EQ(w.a.calls, 1);
    EXPECT_EQ(s.n, 0);
    world_free(&w);
}

/* ---- fallback ---- */

struct fallback_log {
    char text[256];
};

static void record_fallback(const char *from, const char *to, const gk_error *err, void *arg)
{
    struct fallback_log *l = arg;
    char line[96];
    snprintf(line, sizeof(line), "%s->%s:%s;", from, to, gk_status_name(err->status));
    append(l->text, sizeof(l->text), line);
}

TEST(fallback_tries_the_models_in_order_on_listed_statuses)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    w.b.fail_times = 100;
    w.b.fail_status = GK_RESOURCE_EXHAUSTED;
    static const char *const models[] = {"test/b", "test/c", NULL};
    struct fallback_log log = {0};
    gk_fallback_opts fo = {
        .models = models, .on_fallback = record_fallback, .on_fallback_arg = &log};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    const gk_model_middleware *chain[] = {&fallback, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "ok from c");
    EXPECT_STREQ(w.called, "a,b,c");
    EXPECT_STREQ(log.text, "test/a->test/b:UNAVAILABLE;test/b->test/c:RESOURCE_EXHAUSTED;");
    EXPECT_STREQ(w.c.last_request, c.request_before); /* the same request */
    world_free(&w);
}

TEST(fallback_reports_the_last_models_error_when_all_fail)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    w.b.fail_times = 100;
    w.b.fail_status = GK_DEADLINE_EXCEEDED;
    static const char *const models[] = {"test/b", NULL};
    gk_fallback_opts fo = {.models = models};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    const gk_model_middleware *chain[] = {&fallback, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_DEADLINE_EXCEEDED);
    EXPECT_STREQ(c.err.message, "b failed 1");
    EXPECT_STREQ(w.called, "a,b");
    world_free(&w);
}

TEST(fallback_stops_at_an_unlisted_status)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    w.b.fail_times = 100;
    w.b.fail_status = GK_INVALID_ARGUMENT;
    static const char *const models[] = {"test/b", "test/c", NULL};
    gk_fallback_opts fo = {.models = models};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    const gk_model_middleware *chain[] = {&fallback, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.message, "b failed 1");
    EXPECT_STREQ(w.called, "a,b");
    world_free(&w);
}

TEST(fallback_uses_only_the_statuses_it_is_given_and_skips_unknown_models)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_PERMISSION_DENIED;
    static const char *const models[] = {"nope/model", "test/b", NULL};
    static const gk_status on[] = {GK_PERMISSION_DENIED, GK_NOT_FOUND, GK_OK};
    gk_fallback_opts fo = {.models = models, .statuses = on};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    const gk_model_middleware *chain[] = {&fallback, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "ok from b");
    EXPECT_STREQ(w.called, "a,b");
    world_free(&w);
}

TEST(fallback_does_not_switch_models_after_streaming)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    w.a.stream_first = true;
    static const char *const models[] = {"test/b", NULL};
    gk_fallback_opts fo = {.models = models};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    const gk_model_middleware *chain[] = {&fallback, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .stream = true};

    run_call(&c);

    EXPECT_EQ(c.st, GK_UNAVAILABLE);
    EXPECT_STREQ(w.called, "a");
    EXPECT_STREQ(c.chunks, "partial");
    world_free(&w);
}

TEST(fallback_runs_the_rest_of_the_chain_for_each_model)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.a.fail_times = 100;
    w.a.fail_status = GK_UNAVAILABLE;
    w.b.fail_times = 1;
    w.b.fail_status = GK_UNAVAILABLE;
    static const char *const models[] = {"test/b", NULL};
    gk_fallback_opts fo = {.models = models};
    struct sleeper s = {0};
    gk_retry_opts ro = {.max_retries = 1, .sleep = fake_sleep, .sleep_arg = &s};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    gk_model_middleware retry = gk_mw_retry(&ro);
    const gk_model_middleware *chain[] = {&fallback, &retry, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "ok from b");
    EXPECT_STREQ(w.called, "a,a,b,b"); /* each model retried once */
    EXPECT_EQ(s.n, 2);
    world_free(&w);
}

/* ---- the chain and user middleware ---- */

struct trace {
    char text[256];
};

struct tag_config {
    const char *tag;
    struct trace *trace;
    bool short_circuit;
    bool rewrite;
};

/* Records entry and exit; optionally replaces the last message's text or answers by itself. */
static gk_status tag_mw(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                        const char *model_name, const gk_generate_request *req,
                        gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
                        gk_error *err, gk_model_next_fn next, void *next_state)
{
    const struct tag_config *t = self->config;
    gk_arena *a = gk_ctx_arena(ctx);
    (void)g;
    append(t->trace->text, sizeof(t->trace->text), t->tag);
    append(t->trace->text, sizeof(t->trace->text), ">");
    if (t->short_circuit) {
        resp->has_message = true;
        resp->finish_reason = GK_FINISH_STOP;
        return gk_message_text_init(a, &resp->message, GK_ROLE_MODEL, "cached");
    }
    const gk_generate_request *use = req;
    if (t->rewrite) {
        gk_generate_request *r = GK_NEW(a, gk_generate_request, 1);
        gk_message *m = GK_NEW(a, gk_message, 1);
        if (!r || !m || gk_message_text_init(a, m, GK_ROLE_USER, "rewritten") != GK_OK)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        *r = *req;
        r->messages.items = m;
        r->messages.count = 1;
        use = r;
    }
    gk_status st = next(ctx, model_name, use, on_chunk, chunk_arg, resp, err, next_state);
    append(t->trace->text, sizeof(t->trace->text), "<");
    append(t->trace->text, sizeof(t->trace->text), t->tag);
    return st;
}

TEST(chain_runs_the_first_middleware_outermost)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    struct trace tr = {0};
    struct tag_config t1 = {.tag = "1", .trace = &tr};
    struct tag_config t2 = {.tag = "2", .trace = &tr, .rewrite = true};
    gk_model_middleware m1 = {.name = "one", .fn = tag_mw, .config = &t1};
    gk_model_middleware m2 = {.name = "two", .fn = tag_mw, .config = &t2};
    const gk_model_middleware *chain[] = {&m1, &m2, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(tr.text, "1>2><2<1");
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"rewritten\"}]}]}");
    EXPECT_STREQ(c.request_after, c.request_before); /* the caller's request is untouched */
    world_free(&w);
}

TEST(chain_middleware_can_answer_without_the_model)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    struct trace tr = {0};
    struct tag_config t1 = {.tag = "1", .trace = &tr};
    struct tag_config t2 = {.tag = "2", .trace = &tr, .short_circuit = true};
    gk_model_middleware m1 = {.name = "one", .fn = tag_mw, .config = &t1};
    gk_model_middleware m2 = {.name = "cache", .fn = tag_mw, .config = &t2};
    const gk_model_middleware *chain[] = {&m1, &m2, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.text, "cached");
    EXPECT_STREQ(tr.text, "1>2><1");
    EXPECT_EQ(w.a.calls, 0);
    world_free(&w);
}

TEST(chain_without_middleware_is_a_plain_model_call)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    const gk_model_middleware *empty[] = {NULL};
    struct call none = {.w = &w, .model = "test/a"};
    struct call zero = {.w = &w, .model = "test/a", .mw = empty};
    struct call missing = {.w = &w, .model = "nope/model", .mw = empty};

    run_call(&none);
    run_call(&zero);
    run_call(&missing);

    EXPECT_EQ(none.st, GK_OK);
    EXPECT_STREQ(none.text, "ok from a");
    EXPECT_EQ(zero.st, GK_OK);
    EXPECT_EQ(w.a.calls, 2);
    EXPECT_EQ(missing.st, GK_NOT_FOUND);
    world_free(&w);
}

static gk_status silent_failure(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                                const char *model_name, const gk_generate_request *req,
                                gk_model_chunk_fn on_chunk, void *chunk_arg,
                                gk_generate_response *resp, gk_error *err, gk_model_next_fn next,
                                void *next_state)
{
    (void)self, (void)ctx, (void)g, (void)model_name, (void)req, (void)on_chunk, (void)chunk_arg;
    (void)resp, (void)err, (void)next, (void)next_state;
    return GK_ABORTED;
}

TEST(chain_names_a_middleware_that_fails_without_saying_why_or_has_no_function)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware silent = {.name = "quiet", .fn = silent_failure};
    gk_model_middleware broken = {.name = "broken"};
    const gk_model_middleware *chain1[] = {&silent, NULL};
    const gk_model_middleware *chain2[] = {&broken, NULL};
    struct call c1 = {.w = &w, .model = "test/a", .mw = chain1};
    struct call c2 = {.w = &w, .model = "test/a", .mw = chain2};

    run_call(&c1);
    run_call(&c2);

    EXPECT_EQ(c1.st, GK_ABORTED);
    EXPECT_EQ(c1.err.status, GK_ABORTED);
    EXPECT_STREQ(c1.err.message, "model middleware \"quiet\" failed with ABORTED");
    EXPECT_EQ(c2.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c2.err.message, "model middleware \"broken\" has no function");
    EXPECT_EQ(w.a.calls, 0);
    world_free(&w);
}

/* ---- simulated system prompt ---- */

static const char system_request[] =
    "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"be brief\"}]},"
    "{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}";

TEST(simulate_system_prompt_turns_the_system_message_into_a_user_turn)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware sys = gk_mw_simulate_system_prompt(NULL);
    const gk_model_middleware *chain[] = {&sys, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .request_json = system_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"SYSTEM "
                 "INSTRUCTIONS:\\n\"},{\"text\":\"be brief\"}]},{\"role\":\"model\",\"content\":"
                 "[{\"text\":\"Understood.\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}"
                 "]}");
    EXPECT_STREQ(c.request_after, c.request_before);
    world_free(&w);
}

TEST(simulate_system_prompt_uses_custom_texts)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_system_prompt_opts so = {.preface = "RULES: ", .acknowledgement = "OK."};
    gk_model_middleware sys = gk_mw_simulate_system_prompt(&so);
    const gk_model_middleware *chain[] = {&sys, NULL};
    struct call c = {.w = &w,
                     .model = "test/a",
                     .mw = chain,
                     .request_json = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":"
                                     "\"q\"}]},{\"role\":\"system\",\"content\":[]}]}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]},{\"role\":"
                 "\"user\",\"content\":[{\"text\":\"RULES: \"}]},{\"role\":\"model\",\"content\":"
                 "[{\"text\":\"OK.\"}]}]}");
    world_free(&w);
}

TEST(simulate_system_prompt_leaves_models_with_system_role_alone)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware sys = gk_mw_simulate_system_prompt(NULL);
    const gk_model_middleware *chain[] = {&sys, NULL};
    struct call c = {.w = &w, .model = "test/b", .mw = chain, .request_json = system_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.b.last_request, c.request_before);
    world_free(&w);
}

TEST(simulate_system_prompt_follows_a_fallback_to_a_model_without_system_role)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    w.b.fail_times = 1;
    w.b.fail_status = GK_UNAVAILABLE;
    static const char *const models[] = {"test/a", NULL};
    gk_fallback_opts fo = {.models = models};
    gk_model_middleware fallback = gk_mw_fallback(&fo);
    gk_model_middleware sys = gk_mw_simulate_system_prompt(NULL);
    const gk_model_middleware *chain[] = {&fallback, &sys, NULL};
    struct call c = {.w = &w, .model = "test/b", .mw = chain, .request_json = system_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.b.last_request, c.request_before);
    EXPECT_CONTAINS(w.a.last_request, "SYSTEM INSTRUCTIONS");
    world_free(&w);
}

/* ---- simulated constrained output ---- */

static const char json_request[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],"
    "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\"},\"constrained\":true,"
    "\"contentType\":\"application/json\"}}";

TEST(simulate_constrained_adds_schema_instructions_for_models_without_it)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .request_json = json_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"},{\"text\":"
                 "\"Output should be in JSON format and conform to the following schema:\\n\\n"
                 "```\\n{\\\"type\\\":\\\"object\\\"}\\n```\\n\",\"metadata\":{\"purpose\":"
                 "\"output\"}}]}],\"output\":{\"constrained\":false}}");
    EXPECT_STREQ(c.request_after, c.request_before);
    world_free(&w);
}

TEST(simulate_constrained_targets_the_system_message_and_replaces_a_pending_part)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call c = {
        .w = &w,
        .model = "test/a",
        .mw = chain,
        .request_json =
            "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"s\"},{\"text\":\"x\","
            "\"metadata\":{\"purpose\":\"output\",\"pending\":true}}]},{\"role\":\"user\","
            "\"content\":[{\"text\":\"hi\"}]}],\"output\":{\"schema\":{\"type\":\"string\"},"
            "\"constrained\":true}}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"s\"},{\"text\":"
                 "\"Output should be in JSON format and conform to the following schema:\\n\\n"
                 "```\\n{\\\"type\\\":\\\"string\\\"}\\n```\\n\",\"metadata\":{\"purpose\":"
                 "\"output\"}}]},{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],\"output\":"
                 "{\"constrained\":false}}");
    world_free(&w);
}

TEST(simulate_constrained_keeps_an_existing_output_part)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call c = {.w = &w,
                     .model = "test/a",
                     .mw = chain,
                     .request_json =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"mine\","
                         "\"metadata\":{\"purpose\":\"output\"}}]}],\"output\":{\"schema\":{},"
                         "\"constrained\":true}}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"mine\",\"metadata\":"
                 "{\"purpose\":\"output\"}}]}],\"output\":{\"constrained\":false}}");
    world_free(&w);
}

TEST(simulate_constrained_passes_through_native_support_and_no_tools_without_tools)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call all = {.w = &w, .model = "test/b", .mw = chain, .request_json = json_request};
    struct call no_tools = {.w = &w, .model = "test/c", .mw = chain, .request_json = json_request};

    run_call(&all);
    run_call(&no_tools);

    EXPECT_EQ(all.st, GK_OK);
    EXPECT_STREQ(w.b.last_request, all.request_before);
    EXPECT_EQ(no_tools.st, GK_OK);
    EXPECT_STREQ(w.c.last_request, no_tools.request_before);
    world_free(&w);
}

TEST(simulate_constrained_applies_to_no_tools_models_when_tools_are_offered)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call c = {.w = &w,
                     .model = "test/c",
                     .mw = chain,
                     .request_json =
                         "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}],"
                         "\"tools\":[{\"name\":\"t\",\"description\":\"d\"}],"
                         "\"output\":{\"schema\":{\"type\":\"object\"},\"constrained\":true}}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_CONTAINS(w.c.last_request, "\"metadata\":{\"purpose\":\"output\"}");
    EXPECT_CONTAINS(w.c.last_request, "\"output\":{\"constrained\":false}");
    world_free(&w);
}

static const char *short_instructions(gk_arena *a, const gk_json *schema, void *arg)
{
    (void)schema;
    return gk_arena_strdup(a, arg);
}

TEST(simulate_constrained_uses_a_custom_renderer)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    static char text[] = "JSON!";
    gk_constrained_opts co = {.instructions = short_instructions, .instructions_arg = text};
    gk_model_middleware con = gk_mw_simulate_constrained(&co);
    const gk_model_middleware *chain[] = {&con, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .request_json = json_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_CONTAINS(w.a.last_request, "{\"text\":\"JSON!\",\"metadata\":{\"purpose\":\"output\"}}");
    world_free(&w);
}

/* ---- context documents ---- */

static const char docs_request[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"q1\"}]},{\"role\":\"model\","
    "\"content\":[{\"text\":\"a1\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"q2\"}]}],"
    "\"docs\":[{\"content\":[{\"text\":\"alpha\"},{\"text\":\" beta\"}],\"metadata\":{\"ref\":"
    "\"r1\"}},{\"content\":[{\"text\":\"gamma\"}],\"metadata\":{\"id\":7}},{\"content\":[{"
    "\"text\":\"delta\"}]}]}";

TEST(augment_with_context_appends_the_documents_to_the_last_user_message)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware ctxmw = gk_mw_augment_with_context(NULL);
    const gk_model_middleware *chain[] = {&ctxmw, NULL};
    struct call c = {.w = &w, .model = "test/a", .mw = chain, .request_json = docs_request};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_CONTAINS(w.a.last_request,
                    "{\"role\":\"user\",\"content\":[{\"text\":\"q2\"},{\"text\":\"\\n\\nUse the "
                    "following information to complete your task:\\n\\n- [r1]: alpha beta\\n- "
                    "[7]: gamma\\n- [2]: delta\\n\\n\",\"metadata\":{\"purpose\":\"context\"}}]}],"
                    "\"docs\":");
    EXPECT_CONTAINS(w.a.last_request, "{\"role\":\"user\",\"content\":[{\"text\":\"q1\"}]}");
    EXPECT_STREQ(c.request_after, c.request_before);
    world_free(&w);
}

TEST(augment_with_context_skips_models_that_handle_docs_and_settled_context_parts)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_context_opts co = {.preface = "", .citation_key = "ref"};
    gk_model_middleware ctxmw = gk_mw_augment_with_context(&co);
    const gk_model_middleware *chain[] = {&ctxmw, NULL};
    struct call handles = {.w = &w, .model = "test/c", .mw = chain, .request_json = docs_request};
    struct call settled = {
        .w = &w,
        .model = "test/a",
        .mw = chain,
        .request_json = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"c\","
                        "\"metadata\":{\"purpose\":\"context\"}}]}],\"docs\":[{\"content\":[{"
                        "\"text\":\"x\"}]}]}"};
    struct call pending = {
        .w = &w,
        .model = "test/b",
        .mw = chain,
        .request_json = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"c\","
                        "\"metadata\":{\"purpose\":\"context\",\"pending\":true}},{\"text\":"
                        "\"q\"}]}],\"docs\":[{\"content\":[{\"text\":\"x\"}],\"metadata\":{"
                        "\"ref\":\"k\"}},{\"content\":[{\"text\":\"y\"}],\"metadata\":{\"id\":"
                        "\"i\"}}]}"};

    run_call(&handles);
    run_call(&settled);
    run_call(&pending);

    EXPECT_STREQ(w.c.last_request, handles.request_before);
    EXPECT_STREQ(w.a.last_request, settled.request_before);
    EXPECT_CONTAINS(w.b.last_request,
                    "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"- [k]: x\\n- [1]: "
                    "y\\n\\n\",\"metadata\":{\"purpose\":\"context\"}},{\"text\":\"q\"}]}]");
    world_free(&w);
}

/* ---- all together ---- */

TEST(simulations_compose_in_one_chain)
{
    struct world w;
    ASSERT_TRUE(world_init(&w));
    gk_model_middleware sys = gk_mw_simulate_system_prompt(NULL);
    gk_model_middleware ctxmw = gk_mw_augment_with_context(NULL);
    gk_model_middleware con = gk_mw_simulate_constrained(NULL);
    const gk_model_middleware *chain[] = {&sys, &ctxmw, &con, NULL};
    struct call c = {.w = &w,
                     .model = "test/a",
                     .mw = chain,
                     .request_json =
                         "{\"messages\":[{\"role\":\"system\",\"content\":[{\"text\":\"s\"}]},"
                         "{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}],\"docs\":[{"
                         "\"content\":[{\"text\":\"d\"}]}],\"output\":{\"schema\":{},"
                         "\"constrained\":true}}"};

    run_call(&c);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(w.a.last_request,
                 "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"SYSTEM "
                 "INSTRUCTIONS:\\n\"},{\"text\":\"s\"}]},{\"role\":\"model\",\"content\":[{"
                 "\"text\":\"Understood.\"}]},{\"role\":\"user\",\"content\":[{\"text\":\"q\"},{"
                 "\"text\":\"\\n\\nUse the following information to complete your task:\\n\\n- "
                 "[0]: d\\n\\n\",\"metadata\":{\"purpose\":\"context\"}},{\"text\":\"Output "
                 "should be in JSON format and conform to the following schema:\\n\\n```\\n{}\\n"
                 "```\\n\",\"metadata\":{\"purpose\":\"output\"}}]}],\"output\":{\"constrained\":"
                 "false},\"docs\":[{\"content\":[{\"text\":\"d\"}]}]}");
    EXPECT_STREQ(c.request_after, c.request_before);
    world_free(&w);
}
