/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/action_test.c - invoking actions: typed flows through JSON, streaming, errors,
 * cancellation and named steps, each run in a fiber on a one-loop runtime. */
#include <genkit/genkit.h>

#include "core/core.h"
#include "runtime/rt_helpers.h"
#include "test.h"

typedef struct Order {
    const char *item;
    int32_t qty;
} Order;

typedef struct Receipt {
    const char *line;
    int32_t total;
} Receipt;

typedef struct Tick {
    int32_t n;
} Tick;

GK_SCHEMA_DEFINE(Order, "An order",
    GK_FIELD_STRING(Order, item, "item", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_INT(Order, qty, "qty", NULL, GK_MINIMUM(1)));
GK_SCHEMA_DEFINE(Receipt, NULL,
    GK_FIELD_STRING(Receipt, line, "line", NULL),
    GK_FIELD_INT(Receipt, total, "total", NULL));
GK_SCHEMA_DEFINE(Tick, NULL, GK_FIELD_INT(Tick, n, "n", NULL));

static gk_action *seen_action;
static int calls;

static gk_status order_flow(gk_ctx *ctx, const Order *in, Receipt *out, gk_error *err)
{
    calls++;
    seen_action = gk__ctx_action(ctx);
    if (in->qty > 100)
        return gk_error_set(err, GK_OUT_OF_RANGE, "/qty", "at most 100 per order");
    if (in->qty == 13)
        return GK_ABORTED; /* no message: the core supplies one */
    out->line = gk_arena_sprintf(gk_ctx_arena(ctx), "%d x %s", in->qty, in->item);
    out->total = in->qty * 3;
    return GK_OK;
}

static gk_status ticker(gk_ctx *ctx, const Order *in, Receipt *out, gk_stream *stream,
                        gk_error *err)
{
    for (int32_t i = 1; i <= in->qty; i++) {
        Tick t = {.n = i};
        gk_status st = gk_stream_send(stream, &t, err);
        if (st != GK_OK)
            return st;
    }
    out->line = stream ? "streamed" : "not streamed";
    out->total = in->qty;
    (void)ctx;
    return GK_OK;
}

struct call {
    gk_genkit *g;
    const char *key;
    const char *input;
    bool stream;
    int stop_after; /* chunk receiver answers CANCELLED after this many (0: never) */
    bool cancel_first;
    gk_status st;
    gk_error err;
    char out[512];
    char chunks[512];
    int nchunks;
};

static gk_status on_chunk(const char *json, size_t len, void *arg)
{
    struct call *c = arg;
    c->nchunks++;
    size_t used = strlen(c->chunks);
    snprintf(c->chunks + used, sizeof(c->chunks) - used, "%.*s;", (int)len, json);
    if (c->stop_after && c->nchunks >= c->stop_after)
        return GK_CANCELLED;
    return GK_OK;
}

static void run_call(gk_ctx *ctx, void *arg)
{
    struct call *c = arg;
    gk_json *in = NULL;
    gk_status st = gk_json_parse(gk_ctx_arena(ctx), c->input, strlen(c->input), NULL, &in,
                                 &c->err);
    if (st != GK_OK) {
        c->st = st;
        return;
    }
    if (c->cancel_first)
        gk_ctx_cancel(ctx, GK_CANCELLED);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    c->st = gk_action_run_json(ctx, gk_lookup_action(c->g, c->key), in,
                               c->stream ? on_chunk : NULL, c, &w, &c->err);
    snprintf(c->out, sizeof(c->out), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

static gk_genkit *setup(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    if (!g)
        return NULL;
    if (!GK_DEFINE_FLOW(g, "order", "takes orders", order_flow, Order, Receipt, &err) ||
        !GK_DEFINE_STREAMING_FLOW(g, "ticker", NULL, ticker, Order, Receipt, Tick, &err)) {
        fprintf(stderr, "define: %s\n", err.message);
        gk_shutdown(g);
        return NULL;
    }
    return g;
}

static struct call call(gk_genkit *g, const char *key, const char *input, bool stream)
{
    struct call c = {.g = g, .key = key, .input = input, .stream = stream};
    rt_run_fiber(run_call, &c, 0);
    return c;
}

TEST(run_json_decodes_input_runs_typed_flow_and_encodes_output)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);
    calls = 0;

    struct call c = call(g, "/flow/order", "{\"item\":\"tea\",\"qty\":2}", false);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.out, "{\"line\":\"2 x tea\",\"total\":6}");
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(seen_action == gk_lookup_action(g, "/flow/order"));
    gk_shutdown(g);
}

TEST(run_json_rejects_input_that_does_not_match_and_never_calls_the_flow)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);
    calls = 0;

    struct call c = call(g, "/flow/order", "{\"item\":\"tea\",\"qty\":\"2\"}", false);

    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.path, "/qty");
    EXPECT_EQ(calls, 0);
    EXPECT_STREQ(c.out, "");
    c = call(g, "/flow/order", "{\"item\":\"tea\",\"qty\":0}", false);
    EXPECT_EQ(c.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.err.path, "/qty");
    gk_shutdown(g);
}

TEST(flow_errors_keep_status_path_and_message)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);

    struct call c = call(g, "/flow/order", "{\"item\":\"tea\",\"qty\":101}", false);

    EXPECT_EQ(c.st, GK_OUT_OF_RANGE);
    EXPECT_EQ(c.err.status, GK_OUT_OF_RANGE);
    EXPECT_STREQ(c.err.path, "/qty");
    EXPECT_STREQ(c.err.message, "at most 100 per order");
    gk_shutdown(g);
}

TEST(flow_error_without_message_gets_the_status_name)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);

    struct call c = call(g, "/flow/order", "{\"item\":\"tea\",\"qty\":13}", false);

    EXPECT_EQ(c.st, GK_ABORTED);
    EXPECT_EQ(c.err.status, GK_ABORTED);
    EXPECT_STREQ(c.err.message, "ABORTED");
    gk_shutdown(g);
}

TEST(cancelled_context_does_not_start_the_action)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);
    calls = 0;
    struct call c = {.g = g, .key = "/flow/order", .input = "{\"item\":\"a\",\"qty\":1}",
                     .cancel_first = true};

    rt_run_fiber(run_call, &c, 0);

    EXPECT_EQ(c.st, GK_CANCELLED);
    EXPECT_EQ(calls, 0);
    gk_shutdown(g);
}

TEST(streaming_flow_sends_encoded_chunks_in_order)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);

    struct call c = call(g, "/flow/ticker", "{\"item\":\"x\",\"qty\":3}", true);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_STREQ(c.chunks, "{\"n\":1};{\"n\":2};{\"n\":3};");
    EXPECT_STREQ(c.out, "{\"line\":\"streamed\",\"total\":3}");
    gk_shutdown(g);
}

TEST(streaming_flow_called_without_a_receiver_runs_with_null_stream)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);

    struct call c = call(g, "/flow/ticker", "{\"item\":\"x\",\"qty\":3}", false);

    EXPECT_EQ(c.st, GK_OK);
    EXPECT_EQ(c.nchunks, 0);
    EXPECT_STREQ(c.out, "{\"line\":\"not streamed\",\"total\":3}");
    gk_shutdown(g);
}

TEST(receiver_going_away_stops_the_stream)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);
    struct call c = {.g = g, .key = "/flow/ticker", .input = "{\"item\":\"x\",\"qty\":50}",
                     .stream = true, .stop_after = 2};

    rt_run_fiber(run_call, &c, 0);

    EXPECT_EQ(c.st, GK_CANCELLED);
    EXPECT_EQ(c.nchunks, 2);
    EXPECT_STREQ(c.out, "");
    gk_shutdown(g);
}

struct step_arg {
    int value;
    gk_status result;
};

static gk_status double_it(gk_ctx *ctx, void *arg, void *out, gk_error *err)
{
    (void)ctx;
    struct step_arg *s = arg;
    if (s->value < 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "negative");
    ((Tick *)out)->n = s->value * 2;
    return GK_OK;
}

static void run_steps(gk_ctx *ctx, void *arg)
{
    struct step_arg *s = arg;
    Tick t = {0};
    gk_error err = {0};
    s->result = gk_run(ctx, "double", double_it, s, GK_TYPE_OF(Tick), &t, &err);
    if (s->result == GK_OK)
        s->value = t.n;
}

TEST(run_step_returns_its_output_and_its_errors)
{
    struct step_arg ok = {.value = 21};
    struct step_arg bad = {.value = -1};

    rt_run_fiber(run_steps, &ok, 0);
    rt_run_fiber(run_steps, &bad, 0);

    EXPECT_EQ(ok.result, GK_OK);
    EXPECT_EQ(ok.value, 42);
    EXPECT_EQ(bad.result, GK_INVALID_ARGUMENT);
}
