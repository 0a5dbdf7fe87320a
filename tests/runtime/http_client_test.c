/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/http_client_test.c - the async HTTP client against the scripted loopback server:
 * requests as sent, whole bodies, SSE and NDJSON streamed as they arrive, backpressure, timeouts,
 * cancellation closing the connection, transport errors, limits, keep-alive, 100 concurrent calls.
 * Every HTTP_TEST runs once per transport the build has ("<name>/curl", "<name>/native"); cases
 * for one transport only say why. TLS against `openssl s_server` and proxies: native transport.
 */
#include <genkit/http.h>

#include <dlfcn.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_helpers.h"
#include "runtime/http_backend.h"
#include "runtime/sched.h"
#include "runtime/tls.h"
#include "support/test_http_server.h"
#include "support/test_proxy.h"
#include "support/test_tls_server.h"
#include "test.h"

#if GK_HTTP_CURL
#include "runtime/curl_dl.h"
#endif

/* The transport the running HTTP_TEST uses. */
static gk__http_backend_id backend_now = GK__HTTP_AUTO;

static void run_on(gk__http_backend_id id, void (*fn)(void))
{
    gk__http_set_backend(id);
    backend_now = id;
    fn();
    gk__http_set_backend(GK__HTTP_AUTO);
    backend_now = GK__HTTP_AUTO;
}

/* A test registered once per transport in the build: the same contract, two implementations. */
#define HTTP_TEST(name)                                                \
    static void name(void);                                            \
    static void name##_on_curl(void)                                   \
    {                                                                  \
        run_on(GK__HTTP_CURL, name);                                   \
    }                                                                  \
    static void name##_on_native(void)                                 \
    {                                                                  \
        run_on(GK__HTTP_NATIVE, name);                                 \
    }                                                                  \
    __attribute__((constructor)) static void name##_register(void)     \
    {                                                                  \
        if (gk__http_has_backend(GK__HTTP_CURL))                       \
            gk_test_register(#name "/curl", __FILE__, name##_on_curl); \
        gk_test_register(#name "/native", __FILE__, name##_on_native); \
    }                                                                  \
    static void name(void)

struct fetch {
    gk_test_server *srv;
    gk_http_request req;
    char url[256];
    gk_status st;
    gk_error err;
    int status;
    char body[4096];
    char header[128];
    int retry_after_ms;
    size_t n_headers;
    /* streaming */
    char events[8192];
    int n_events;
    bool open_gate_at_first;
    bool cancel_at_first;
    gk_status fail_at_first;
    /* after */
    bool closed_seen;
};

static gk_status keep_event(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct fetch *f = arg;
    size_t used = strlen(f->events);
    snprintf(f->events + used, sizeof(f->events) - used, "%s:%s;", ev->event.ptr, ev->data.ptr);
    f->n_events++;
    if (f->n_events == 1 && f->open_gate_at_first)
        gk_test_server_open_gate(f->srv);
    if (f->n_events == 1 && f->fail_at_first != GK_OK)
        return gk_error_set(err, f->fail_at_first, "/choices", "bad chunk");
    return GK_OK;
}

static void copy_response(struct fetch *f, const gk_http_response *resp)
{
    gk_str body = gk_http_response_body(resp);
    const char *h = gk_http_response_header(resp, "x-test");
    f->status = gk_http_response_status(resp);
    snprintf(f->body, sizeof(f->body), "%.*s", (int)body.len, body.ptr);
    snprintf(f->header, sizeof(f->header), "%s", h ? h : "(none)");
    f->retry_after_ms = gk_http_response_retry_after_ms(resp);
    f->n_headers = gk_http_response_header_count(resp);
}

static void fetch_fiber(gk_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    gk_http_response *resp = NULL;
    if (f->req.stream) {
        f->req.on_event = keep_event;
        f->req.on_event_arg = f;
    }
    f->req.url = f->url;
    f->st = gk_http_fetch(ctx, &f->req, &resp, &f->err);
    if (f->st == GK_OK)
        copy_response(f, resp);
    else
        EXPECT_TRUE(resp == NULL);
}

static gk_test_server *start_with(const gk_test_response *r)
{
    gk_test_server *s = gk_test_server_start();
    if (s && r)
        gk_test_server_push(s, r);
    return s;
}

HTTP_TEST(http_get_sends_headers_and_returns_status_headers_and_body)
{
    gk_test_response r = {.headers = "X-Test: yes\r\nRetry-After: 3\r\n", .body = "hello"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/v1/models?page=2", gk_test_server_url(f.srv));
    f.req.headers = (const char *[]){"Authorization: Bearer sk-secret", "X-Custom: 1", NULL};
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 200);
    EXPECT_STREQ(f.body, "hello");
    EXPECT_STREQ(f.header, "yes");
    EXPECT_EQ(f.retry_after_ms, 3000);
    EXPECT_EQ(f.n_headers, 3); /* X-Test, Retry-After, Content-Length */
    ASSERT_EQ(gk_test_server_request_count(f.srv), 1);
    const gk_test_request *got = gk_test_server_request(f.srv, 0);
    EXPECT_STREQ(got->method, "GET");
    EXPECT_STREQ(got->target, "/v1/models?page=2");
    EXPECT_STREQ(gk_test_request_header(got, "authorization"), "Bearer sk-secret");
    EXPECT_STREQ(gk_test_request_header(got, "X-Custom"), "1");
    EXPECT_STREQ(gk_test_request_header(got, "User-Agent"), "genkit-c/0.1.0");
    EXPECT_TRUE(gk_test_request_header(got, "Expect") == NULL);
    char host[64];
    snprintf(host, sizeof(host), "127.0.0.1:%d", gk_test_server_port(f.srv));
    EXPECT_STREQ(gk_test_request_header(got, "Host"), host);
    /* Native only: curl sends no Accept-Encoding unless asked to decompress. */
    if (backend_now == GK__HTTP_NATIVE)
        EXPECT_STREQ(gk_test_request_header(got, "Accept-Encoding"), "identity");
    EXPECT_EQ(got->body_len, 0);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_post_sends_the_body_with_its_length_and_content_type)
{
    gk_test_response r = {.status = 201, .body = "{\"id\":1}"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/v1/chat", gk_test_server_url(f.srv));
    f.req.headers = (const char *[]){"Content-Type: application/json", NULL};
    f.req.body = GK_STR("{\"q\":\"hi\"}");
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 201);
    EXPECT_STREQ(f.body, "{\"id\":1}");
    const gk_test_request *got = gk_test_server_request(f.srv, 0);
    ASSERT_TRUE(got != NULL);
    EXPECT_STREQ(got->method, "POST");
    EXPECT_STREQ(got->body, "{\"q\":\"hi\"}");
    EXPECT_STREQ(gk_test_request_header(got, "Content-Length"), "10");
    EXPECT_STREQ(gk_test_request_header(got, "Content-Type"), "application/json");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_custom_method_without_content_type_sends_none)
{
    struct fetch f = {.srv = start_with(NULL)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/items/7", gk_test_server_url(f.srv));
    f.req.method = "PUT";
    f.req.body = GK_STR("raw");
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    const gk_test_request *got = gk_test_server_request(f.srv, 0);
    ASSERT_TRUE(got != NULL);
    EXPECT_STREQ(got->method, "PUT");
    EXPECT_STREQ(got->body, "raw");
    EXPECT_TRUE(gk_test_request_header(got, "Content-Type") == NULL);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_error_status_is_returned_not_failed)
{
    gk_test_response r = {.status = 429,
                          .headers = "Retry-After-Ms: 1500\r\nRetry-After: 2\r\n",
                          .body = "{\"error\":{\"message\":\"slow down\"}}"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 429);
    EXPECT_EQ(f.retry_after_ms, 1500); /* the ms header wins */
    EXPECT_STREQ(f.body, "{\"error\":{\"message\":\"slow down\"}}");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_sse_events_arrive_before_the_server_sends_the_rest)
{
    /* The server holds everything after the first event until the first event's callback opens
     * the gate: the call can only complete if events are delivered as they arrive. */
    gk_test_response r = {.headers = "Content-Type: text/event-stream\r\n",
                          .chunked = true,
                          .gate_after = 1,
                          .chunks = (const char *[]){"event: start\ndata: one\n\n", "data: tw",
                                                     "o\n\nda", "ta: three\n\n", NULL}};
    struct fetch f = {.srv = start_with(&r), .open_gate_at_first = true};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/stream", gk_test_server_url(f.srv));
    f.req.stream = GK_LINES_SSE;
    f.req.timeout_ms = 10000; /* a failure must not hang the suite */
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 200);
    EXPECT_STREQ(f.events, "start:one;:two;:three;");
    EXPECT_STREQ(f.body, ""); /* streamed, not kept */
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_ndjson_lines_split_across_chunks_and_a_final_line_without_newline)
{
    gk_test_response r = {
        .chunked = true,
        .chunks = (const char *[]){"{\"a\":", "1}\n\n{\"b\":2}\r\n", "{\"c\":3}", NULL}};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/api/chat", gk_test_server_url(f.srv));
    f.req.stream = GK_LINES_NDJSON;
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_STREQ(f.events, ":{\"a\":1};:{\"b\":2};:{\"c\":3};");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_stream_with_an_error_status_keeps_the_body_and_delivers_no_events)
{
    gk_test_response r = {.status = 500, .body = "data: not an event\n\n"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/stream", gk_test_server_url(f.srv));
    f.req.stream = GK_LINES_SSE;
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 500);
    EXPECT_EQ(f.n_events, 0);
    EXPECT_STREQ(f.body, "data: not an event\n\n");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_timeout_is_deadline_exceeded)
{
    gk_test_response r = {.no_response = true};
    struct fetch f = {.srv = start_with(&r)};
    char want[128];
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/slow?key=k", gk_test_server_url(f.srv));
    f.req.timeout_ms = 100;
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_DEADLINE_EXCEEDED);
    EXPECT_EQ(f.err.status, GK_DEADLINE_EXCEEDED);
    snprintf(want, sizeof(want), "GET %s/slow: ", gk_test_server_url(f.srv));
    EXPECT_CONTAINS(f.err.message, want);
    EXPECT_TRUE(strstr(f.err.message, "key=k") == NULL);
    gk_test_server_stop(f.srv);
}

static void fetch_with_deadline(gk_ctx *ctx, void *arg)
{
    gk_ctx_set_timeout(ctx, 50);
    fetch_fiber(ctx, arg);
}

HTTP_TEST(http_context_deadline_is_deadline_exceeded)
{
    gk_test_response r = {.no_response = true};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/slow", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_with_deadline, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_DEADLINE_EXCEEDED);
    EXPECT_CONTAINS(f.err.message, "deadline exceeded");
    EXPECT_TRUE(gk_test_server_wait_closed(f.srv, 1, 5000));
    gk_test_server_stop(f.srv);
}

/* ---- cancellation while streaming ---- */

struct cancel_run {
    struct fetch f;
    gk_ctx *fetch_ctx;
    bool fetch_done;
    gk_waiter *joiner;
    bool closed_before_teardown;
};

static void cancel_fetch_done(void *arg)
{
    struct cancel_run *c = arg;
    c->fetch_done = true;
    if (c->joiner)
        gk__wake(c->joiner);
}

static void wait_server_closed(void *arg)
{
    struct cancel_run *c = arg;
    c->closed_before_teardown = gk_test_server_wait_closed(c->f.srv, 1, 5000);
}

static void cancel_from_another_fiber(gk_ctx *ctx, void *arg)
{
    struct cancel_run *c = arg;
    c->fetch_ctx = gk__ctx_child(ctx);
    ASSERT_EQ(gk__spawn(c->fetch_ctx, fetch_fiber, cancel_fetch_done, &c->f), GK_OK);
    /* Wait until the first event arrived: the fetch is then parked on the open transfer. */
    while (c->f.n_events == 0)
        ASSERT_EQ(gk_sleep(ctx, 1), GK_OK);
    gk_ctx_cancel(c->fetch_ctx, GK_CANCELLED);
    while (!c->fetch_done) {
        gk_waiter w = {0};
        c->joiner = &w;
        gk__wait(&w);
    }
    /* Still inside the runtime (before curl's teardown could close anything): the cancel itself
     * must have closed the connection. */
    EXPECT_EQ(gk_blocking(ctx, wait_server_closed, c), GK_OK);
}

HTTP_TEST(http_cancel_while_streaming_removes_the_transfer_and_closes_the_connection)
{
    gk_test_response r = {
        .chunked = true, .hang = true, .chunks = (const char *[]){"data: one\n\n", NULL}};
    struct cancel_run c = {.f = {.srv = start_with(&r)}};
    ASSERT_TRUE(c.f.srv != NULL);
    snprintf(c.f.url, sizeof(c.f.url), "%s/stream", gk_test_server_url(c.f.srv));
    c.f.req.stream = GK_LINES_SSE;
    ASSERT_EQ(rt_run_fiber(cancel_from_another_fiber, &c, 0), GK_OK);
    EXPECT_EQ(c.f.st, GK_CANCELLED);
    EXPECT_STREQ(c.f.events, ":one;");
    EXPECT_CONTAINS(c.f.err.message, "cancelled");
    EXPECT_TRUE(c.closed_before_teardown);
    gk_test_server_stop(c.f.srv);
}

static void fetch_then_check_closed(gk_ctx *ctx, void *arg)
{
    struct cancel_run *c = arg;
    gk_ctx *child = gk__ctx_child(ctx);
    fetch_fiber(child, &c->f);
    EXPECT_EQ(gk_blocking(ctx, wait_server_closed, c), GK_OK);
}

HTTP_TEST(http_callback_error_aborts_the_transfer_with_its_status)
{
    gk_test_response r = {
        .chunked = true, .hang = true, .chunks = (const char *[]){"data: {}\n\n", NULL}};
    struct cancel_run c = {.f = {.srv = start_with(&r), .fail_at_first = GK_INVALID_ARGUMENT}};
    ASSERT_TRUE(c.f.srv != NULL);
    snprintf(c.f.url, sizeof(c.f.url), "%s/stream", gk_test_server_url(c.f.srv));
    c.f.req.stream = GK_LINES_SSE;
    ASSERT_EQ(rt_run_fiber(fetch_then_check_closed, &c, 0), GK_OK);
    EXPECT_EQ(c.f.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(c.f.err.message, "bad chunk");
    EXPECT_STREQ(c.f.err.path, "/choices");
    EXPECT_TRUE(c.closed_before_teardown);
    gk_test_server_stop(c.f.srv);
}

static gk_status cancel_own_ctx(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_ctx *ctx = arg;
    (void)ev;
    (void)err;
    gk_ctx_cancel(ctx, GK_CANCELLED);
    return GK_OK;
}

static void fetch_cancelling_itself(gk_ctx *ctx, void *arg)
{
    struct cancel_run *c = arg;
    gk_ctx *child = gk__ctx_child(ctx);
    gk_http_response *resp = NULL;
    c->f.req.url = c->f.url;
    c->f.req.stream = GK_LINES_SSE;
    c->f.req.on_event = cancel_own_ctx;
    c->f.req.on_event_arg = child;
    c->f.st = gk_http_fetch(child, &c->f.req, &resp, &c->f.err);
    EXPECT_EQ(gk_blocking(ctx, wait_server_closed, c), GK_OK);
}

HTTP_TEST(http_cancel_from_inside_the_event_callback_ends_the_call)
{
    gk_test_response r = {
        .chunked = true, .hang = true, .chunks = (const char *[]){"data: {}\n\n", NULL}};
    struct cancel_run c = {.f = {.srv = start_with(&r)}};
    ASSERT_TRUE(c.f.srv != NULL);
    snprintf(c.f.url, sizeof(c.f.url), "%s/stream", gk_test_server_url(c.f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_cancelling_itself, &c, 0), GK_OK);
    EXPECT_EQ(c.f.st, GK_CANCELLED);
    EXPECT_TRUE(c.closed_before_teardown);
    gk_test_server_stop(c.f.srv);
}

/* ---- transport errors and limits ---- */

HTTP_TEST(http_connection_refused_is_unavailable_without_the_query)
{
    struct fetch f = {0};
    snprintf(f.url, sizeof(f.url), "http://user:pw@127.0.0.1:%d/v1?key=SECRET",
             gk_test_unused_port());
    f.req.headers = (const char *[]){"x-api-key: SECRET2", NULL};
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "GET http://127.0.0.1:");
    EXPECT_CONTAINS(f.err.message, "/v1: ");
    EXPECT_TRUE(strstr(f.err.message, "SECRET") == NULL);
    EXPECT_TRUE(strstr(f.err.message, "pw") == NULL);
}

HTTP_TEST(http_truncated_body_is_unavailable)
{
    gk_test_response r = {.truncate = true, .body = "partial"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_body_over_the_cap_is_resource_exhausted)
{
    gk_test_response r = {.body = "0123456789abcdef"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/big", gk_test_server_url(f.srv));
    f.req.max_body = 10;
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_RESOURCE_EXHAUSTED);
    EXPECT_CONTAINS(f.err.message, "response body larger than 10 bytes");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_rejects_bad_requests_without_quoting_header_values)
{
    struct fetch f = {0};
    snprintf(f.url, sizeof(f.url), "http://127.0.0.1:1/");
    f.req.headers = (const char *[]){"Authorization: Bearer k\r\nX-Evil: 1", NULL};
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(f.err.message, "header 0 contains a line break");

    struct fetch g = {0};
    snprintf(g.url, sizeof(g.url), "ftp://127.0.0.1/");
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &g, 0), GK_OK);
    EXPECT_EQ(g.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(g.err.message, "URL must start with http:// or https://");

    struct fetch h = {0};
    snprintf(h.url, sizeof(h.url), "http://127.0.0.1:1/");
    h.req.method = "GE T";
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &h, 0), GK_OK);
    EXPECT_EQ(h.st, GK_INVALID_ARGUMENT);
}

/* ---- connections ---- */

static void fetch_twice(gk_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    fetch_fiber(ctx, f);
    EXPECT_EQ(f->st, GK_OK);
    fetch_fiber(ctx, f);
    EXPECT_EQ(f->st, GK_OK);
}

HTTP_TEST(http_sequential_requests_reuse_one_connection)
{
    struct fetch f = {.srv = start_with(NULL)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/again", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_twice, &f, 0), GK_OK);
    EXPECT_EQ(gk_test_server_request_count(f.srv), 2);
    EXPECT_EQ(gk_test_server_connections(f.srv), 1);
    EXPECT_EQ(gk_test_server_request(f.srv, 1)->connection, 1);
    gk_test_server_stop(f.srv);
}

struct many {
    gk_test_server *srv;
    char urls[100][96];
    int ok;
};

static gk_status fetch_one(gk_ctx *ctx, void *arg, gk_error *err)
{
    const char *url = arg;
    gk_http_request req = {.url = url};
    gk_http_response *resp = NULL;
    gk_status st = gk_http_fetch(ctx, &req, &resp, err);
    if (st != GK_OK)
        return st;
    gk_str body = gk_http_response_body(resp);
    if (gk_http_response_status(resp) != 200 || strcmp(body.ptr, "tag") != 0)
        return gk_error_set(err, GK_INTERNAL, "", "unexpected response %d",
                            gk_http_response_status(resp));
    return GK_OK;
}

static void hundred(gk_ctx *ctx, void *arg)
{
    struct many *m = arg;
    gk_error err = {0};
    gk_group *g = gk_group_new(ctx, NULL);
    ASSERT_TRUE(g != NULL);
    for (int i = 0; i < 100; i++)
        ASSERT_EQ(gk_go(g, fetch_one, m->urls[i]), GK_OK);
    gk_status st = gk_group_wait(g, &err);
    EXPECT_EQ(st, GK_OK);
    if (st != GK_OK)
        fprintf(stderr, "    group: %s\n", err.message);
    for (size_t i = 0; i < gk_group_size(g); i++)
        m->ok += gk_group_result(g, i, NULL) == GK_OK;
}

HTTP_TEST(http_hundred_concurrent_requests_from_one_loop)
{
    struct many m = {.srv = gk_test_server_start()};
    ASSERT_TRUE(m.srv != NULL);
    gk_test_server_set_default(m.srv, &(gk_test_response){.body = "tag"});
    for (int i = 0; i < 100; i++)
        snprintf(m.urls[i], sizeof(m.urls[i]), "%s/r/%03d/tag", gk_test_server_url(m.srv), i);
    ASSERT_EQ(rt_run_fiber(hundred, &m, 0), GK_OK);
    EXPECT_EQ(m.ok, 100);
    ASSERT_EQ(gk_test_server_request_count(m.srv), 100);
    bool seen[100] = {false};
    for (size_t i = 0; i < 100; i++) {
        int n = -1;
        sscanf(gk_test_server_request(m.srv, i)->target, "/r/%d/tag", &n);
        if (n >= 0 && n < 100)
            seen[n] = true;
    }
    for (int i = 0; i < 100; i++)
        EXPECT_TRUE(seen[i]);
    gk_test_server_stop(m.srv);
}

/* ---- backpressure ---- */

struct slow {
    gk_ctx *ctx;
    int n;
    int out_of_order;
};

static gk_status slow_consumer(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct slow *s = arg;
    int got = (int)strtol(ev->data.ptr, NULL, 10);
    (void)err;
    if (got != s->n)
        s->out_of_order++;
    s->n++;
    /* Park now and then, as a consumer writing to a slow client would: the transfer gets ahead and
     * must be paused and resumed. */
    if (s->n % 256 == 0)
        return gk_sleep(s->ctx, 2);
    return GK_OK;
}

static void fetch_slowly(gk_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    struct slow s = {.ctx = ctx};
    gk_http_response *resp = NULL;
    f->req.url = f->url;
    f->req.stream = GK_LINES_SSE;
    f->req.on_event = slow_consumer;
    f->req.on_event_arg = &s;
    f->st = gk_http_fetch(ctx, &f->req, &resp, &f->err);
    f->n_events = s.n;
    EXPECT_EQ(s.out_of_order, 0);
}

HTTP_TEST(http_stream_faster_than_the_consumer_delivers_every_event_in_order)
{
    enum { EVENTS = 4096 };
    const char pad[] =
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
    size_t per = 16 + sizeof(pad) * 2;
    char *body = malloc(per * EVENTS + 1);
    size_t len = 0;
    for (int i = 0; i < EVENTS; i++)
        len +=
            (size_t)snprintf(body + len, per * EVENTS + 1 - len, "data: %d %s%s\n\n", i, pad, pad);
    gk_test_response r = {.headers = "Content-Type: text/event-stream\r\n", .body = body};
    struct fetch f = {.srv = start_with(&r)};
    free(body);
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/firehose", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_slowly, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.n_events, EVENTS);
    gk_test_server_stop(f.srv);
}

/* ---- choosing the transport ---- */

TEST(http_transport_choice_follows_gk_http_client)
{
    gk__http_backend_id id = GK__HTTP_AUTO;
    gk_error err = {0};
    EXPECT_EQ(gk__http_choose(NULL, true, &id, &err), GK_OK);
    EXPECT_EQ(id, GK__HTTP_CURL);
    EXPECT_EQ(gk__http_choose("", false, &id, &err), GK_OK);
    EXPECT_EQ(id, GK__HTTP_NATIVE);
    EXPECT_EQ(gk__http_choose("native", true, &id, &err), GK_OK);
    EXPECT_EQ(id, GK__HTTP_NATIVE);
    EXPECT_EQ(gk__http_choose("curl", true, &id, &err), GK_OK);
    EXPECT_EQ(id, GK__HTTP_CURL);
    EXPECT_EQ(gk__http_choose("curl", false, &id, &err), GK_UNAVAILABLE);
    EXPECT_CONTAINS(err.message, "GK_HTTP_CLIENT=curl, but this build has no libcurl");
    EXPECT_EQ(gk__http_choose("wget", true, &id, &err), GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "GK_HTTP_CLIENT=\"wget\" is not curl or native");
    EXPECT_TRUE(gk__http_has_backend(GK__HTTP_NATIVE));
    EXPECT_EQ(gk__http_has_backend(GK__HTTP_CURL), GK_HTTP_CURL);
}

/* ---- more on connections ---- */

HTTP_TEST(http_host_name_is_resolved)
{
    gk_test_response r = {.body = "by name"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    /* "localhost" may resolve to ::1 first, where nothing listens: the next address is tried. */
    snprintf(f.url, sizeof(f.url), "http://localhost:%d/named", gk_test_server_port(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_STREQ(f.body, "by name");
    char host[64];
    snprintf(host, sizeof(host), "localhost:%d", gk_test_server_port(f.srv));
    EXPECT_STREQ(gk_test_request_header(gk_test_server_request(f.srv, 0), "Host"), host);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_user_info_in_the_url_is_sent_as_basic_auth)
{
    struct fetch f = {.srv = start_with(NULL)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "http://user:pw@127.0.0.1:%d/private",
             gk_test_server_port(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    const gk_test_request *got = gk_test_server_request(f.srv, 0);
    ASSERT_TRUE(got != NULL);
    EXPECT_STREQ(got->target, "/private");
    EXPECT_STREQ(gk_test_request_header(got, "Authorization"), "Basic dXNlcjpwdw==");
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_connection_close_is_not_reused)
{
    gk_test_response r = {.close = true, .body = "bye"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/closing", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_twice, &f, 0), GK_OK);
    EXPECT_EQ(gk_test_server_request_count(f.srv), 2);
    EXPECT_EQ(gk_test_server_connections(f.srv), 2);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_body_read_until_close_is_complete_and_not_reused)
{
    gk_test_response r = {.until_close = true, .body = "all of it"};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/eof", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_twice, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_STREQ(f.body, ""); /* the second response is the default, empty one */
    EXPECT_EQ(gk_test_server_connections(f.srv), 2);
    gk_test_server_stop(f.srv);
}

static void fetch_twice_keep_first(gk_ctx *ctx, void *arg)
{
    struct fetch *f = arg;
    char first[64];
    fetch_fiber(ctx, f);
    EXPECT_EQ(f->st, GK_OK);
    snprintf(first, sizeof(first), "%.60s", f->body);
    fetch_fiber(ctx, f);
    EXPECT_EQ(f->st, GK_OK);
    EXPECT_STREQ(first, "one");
}

HTTP_TEST(http_kept_connection_dropped_by_the_server_is_retried_on_a_new_one)
{
    struct fetch f = {.srv = gk_test_server_start()};
    ASSERT_TRUE(f.srv != NULL);
    gk_test_server_push(f.srv, &(gk_test_response){.body = "one"});
    /* The server reads the second request on the kept connection and closes it unanswered. */
    gk_test_server_push(f.srv, &(gk_test_response){.drop = true});
    gk_test_server_push(f.srv, &(gk_test_response){.body = "two"});
    snprintf(f.url, sizeof(f.url), "%s/again", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_twice_keep_first, &f, 0), GK_OK);
    EXPECT_STREQ(f.body, "two");
    EXPECT_EQ(gk_test_server_request_count(f.srv), 3);
    EXPECT_EQ(gk_test_server_connections(f.srv), 2);
    gk_test_server_stop(f.srv);
}

HTTP_TEST(http_empty_reply_is_unavailable)
{
    gk_test_response r = {.drop = true};
    struct fetch f = {.srv = start_with(&r)};
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/nothing", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    gk_test_server_stop(f.srv);
}

/* ---- TLS (native transport: mbedTLS with the CA store from SSL_CERT_FILE; the curl transport
 * takes libcurl's own CA configuration, which these tests do not set up) ---- */

static gk_test_pki *test_pki;
static char *outer_cert_file; /* SSL_CERT_FILE as the suite found it, restored after each test */

static void drop_pki(void)
{
    gk_test_pki_free(test_pki);
    test_pki = NULL;
    free(outer_cert_file);
    outer_cert_file = NULL;
}

/* The test PKI (made once per process), with SSL_CERT_FILE naming its CA and the CA store
 * reloaded; NULL (with SKIP printed) when the openssl command is missing. */
static gk_test_pki *use_test_ca(void)
{
    const char *why = NULL;
    if (!gk_test_tls_available(&why)) {
        printf("SKIP: %s\n", why);
        return NULL;
    }
    if (!test_pki) {
        test_pki = gk_test_pki_new();
        if (!test_pki)
            return NULL;
        atexit(drop_pki);
    }
    if (!outer_cert_file && getenv("SSL_CERT_FILE"))
        outer_cert_file = strdup(getenv("SSL_CERT_FILE"));
    setenv("SSL_CERT_FILE", gk_test_pki_ca_file(test_pki), 1);
    gk__tls_forget_ca();
    gk__http_set_backend(GK__HTTP_NATIVE);
    return test_pki;
}

static void done_with_test_ca(void)
{
    if (outer_cert_file)
        setenv("SSL_CERT_FILE", outer_cert_file, 1);
    else
        unsetenv("SSL_CERT_FILE");
    gk__tls_forget_ca();
    gk__http_set_backend(GK__HTTP_AUTO);
}

/* Fetch https://<host>:<port><path> from a server with certificate which. */
static void tls_fetch(gk_test_tls_cert which, const char *host, const char *path, struct fetch *f)
{
    const gk_test_pki *pki = use_test_ca();
    gk_test_tls_server *srv;
    if (!pki) {
        f->st = GK_OK;
        f->status = -1; /* skipped */
        return;
    }
    srv = gk_test_tls_server_start(pki, which);
    if (!srv) {
        f->st = GK_INTERNAL;
        done_with_test_ca();
        return;
    }
    snprintf(f->url, sizeof(f->url), "https://%s:%d%s", host, gk_test_tls_server_port(srv), path);
    f->req.timeout_ms = 10000;
    if (rt_run_fiber(fetch_fiber, f, 0) != GK_OK)
        f->st = GK_INTERNAL;
    gk_test_tls_server_stop(srv);
    done_with_test_ca();
}

TEST(http_tls_verified_get_returns_the_body)
{
    struct fetch f = {0};
    tls_fetch(GK_TEST_TLS_LOCALHOST, "localhost", "/hello.txt", &f);
    if (f.status == -1)
        return;
    EXPECT_EQ(f.st, GK_OK);
    if (f.st != GK_OK)
        printf("    %s\n", f.err.message);
    EXPECT_EQ(f.status, 200);
    EXPECT_STREQ(f.body, GK_TEST_TLS_HELLO);
}

TEST(http_tls_ip_address_is_checked_against_the_certificates_ip_names)
{
    struct fetch f = {0};
    tls_fetch(GK_TEST_TLS_LOCALHOST, "127.0.0.1", "/hello.txt", &f);
    if (f.status == -1)
        return;
    EXPECT_EQ(f.st, GK_OK);
    if (f.st != GK_OK)
        printf("    %s\n", f.err.message);
    EXPECT_STREQ(f.body, GK_TEST_TLS_HELLO);
}

TEST(http_tls_ip_address_missing_from_the_certificate_is_unavailable)
{
    struct fetch f = {0};
    tls_fetch(GK_TEST_TLS_OTHER_NAME, "127.0.0.1", "/hello.txt", &f);
    if (f.status == -1)
        return;
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "TLS: certificate verification failed for host 127.0.0.1: ");
}

TEST(http_tls_untrusted_ca_is_unavailable)
{
    struct fetch f = {0};
    tls_fetch(GK_TEST_TLS_UNTRUSTED, "localhost", "/hello.txt?key=SECRET", &f);
    if (f.status == -1)
        return;
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "TLS: certificate verification failed for host localhost: ");
    EXPECT_CONTAINS(f.err.message, "not correctly signed by the trusted CA");
    EXPECT_TRUE(strstr(f.err.message, "SECRET") == NULL);
}

TEST(http_tls_certificate_for_another_name_is_unavailable)
{
    struct fetch f = {0};
    tls_fetch(GK_TEST_TLS_OTHER_NAME, "localhost", "/hello.txt", &f);
    if (f.status == -1)
        return;
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "TLS: certificate verification failed for host localhost: ");
    EXPECT_CONTAINS(f.err.message, "Common Name (CN) does not match");
}

/* Backpressure over TLS: decrypted records wait in the session while reading is paused. */
TEST(http_tls_stream_faster_than_the_consumer_delivers_every_event_in_order)
{
    enum { EVENTS = 4096 };
    gk_test_pki *pki = use_test_ca();
    gk_test_tls_server *srv;
    struct fetch f = {0};
    size_t cap = (size_t)EVENTS * 340 + 1;
    char *body;
    size_t len = 0;
    if (!pki)
        return;
    body = malloc(cap);
    ASSERT_TRUE(body != NULL);
    for (int i = 0; i < EVENTS; i++)
        len += (size_t)snprintf(body + len, cap - len, "data: %d %0320d\n\n", i, i);
    ASSERT_TRUE(gk_test_pki_add_file(pki, "firehose.sse", body));
    free(body);
    srv = gk_test_tls_server_start(pki, GK_TEST_TLS_LOCALHOST);
    ASSERT_TRUE(srv != NULL);
    snprintf(f.url, sizeof(f.url), "https://localhost:%d/firehose.sse",
             gk_test_tls_server_port(srv));
    f.req.timeout_ms = 30000;
    ASSERT_EQ(rt_run_fiber(fetch_slowly, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    if (f.st != GK_OK)
        printf("    %s\n", f.err.message);
    EXPECT_EQ(f.n_events, EVENTS);
    gk_test_tls_server_stop(srv);
    done_with_test_ca();
}

TEST(http_tls_to_a_plain_http_port_fails_at_once)
{
    struct fetch f = {0};
    gk_test_plain_port *pp;
    int64_t t0;
    if (!use_test_ca())
        return;
    pp = gk_test_plain_port_start();
    ASSERT_TRUE(pp != NULL);
    snprintf(f.url, sizeof(f.url), "https://localhost:%d/", gk_test_plain_port_port(pp));
    f.req.timeout_ms = 20000;
    t0 = gk_now_ms();
    EXPECT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_LT(gk_now_ms() - t0, 5000);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "TLS: ");
    gk_test_plain_port_stop(pp);
    done_with_test_ca();
}

TEST(http_tls_missing_ca_bundle_is_unavailable)
{
    struct fetch f = {.url = "https://localhost:9/"};
    gk__http_set_backend(GK__HTTP_NATIVE);
    if (!outer_cert_file && getenv("SSL_CERT_FILE"))
        outer_cert_file = strdup(getenv("SSL_CERT_FILE"));
    setenv("SSL_CERT_FILE", "/nonexistent/ca.pem", 1);
    gk__tls_forget_ca();
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "TLS: cannot load CA bundle /nonexistent/ca.pem: ");
    done_with_test_ca();
}

/* ---- proxies (native transport; curl has its own proxy support, not pinned here) ---- */

static void proxy_env(const char *name, const char *value)
{
    static const char *const all[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                      "HTTPS_PROXY", "no_proxy",   "NO_PROXY"};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        unsetenv(all[i]);
    if (name)
        setenv(name, value, 1);
}

TEST(http_native_http_proxy_gets_absolute_form_requests_with_its_credentials)
{
    gk_test_proxy *px = gk_test_proxy_start("Basic dXNlcjpwdw==");
    struct fetch f = {.srv = start_with(&(gk_test_response){.body = "via proxy"})};
    char env[128], line[256], auth[256], want[256];
    ASSERT_TRUE(px != NULL && f.srv != NULL);
    snprintf(env, sizeof(env), "http://user:pw@127.0.0.1:%d", gk_test_proxy_port(px));
    proxy_env("http_proxy", env);
    gk__http_set_backend(GK__HTTP_NATIVE);
    snprintf(f.url, sizeof(f.url), "%s/v1/models?key=k", gk_test_server_url(f.srv));
    EXPECT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    gk__http_set_backend(GK__HTTP_AUTO);
    proxy_env(NULL, NULL);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_STREQ(f.body, "via proxy");
    ASSERT_TRUE(gk_test_proxy_request(px, 0, line, auth, sizeof(line)));
    snprintf(want, sizeof(want), "GET %s/v1/models?key=k HTTP/1.1", gk_test_server_url(f.srv));
    EXPECT_STREQ(line, want);
    EXPECT_STREQ(auth, "Basic dXNlcjpwdw==");
    gk_test_server_stop(f.srv);
    gk_test_proxy_stop(px);
}

TEST(http_native_https_goes_through_a_connect_tunnel)
{
    gk_test_proxy *px;
    gk_test_tls_server *srv;
    const gk_test_pki *pki = use_test_ca();
    struct fetch f = {0};
    char env[128], line[256], auth[256], want[256];
    if (!pki)
        return;
    px = gk_test_proxy_start(NULL);
    srv = gk_test_tls_server_start(pki, GK_TEST_TLS_LOCALHOST);
    ASSERT_TRUE(px != NULL && srv != NULL);
    snprintf(env, sizeof(env), "127.0.0.1:%d", gk_test_proxy_port(px)); /* no scheme: http */
    proxy_env("HTTPS_PROXY", env);
    snprintf(f.url, sizeof(f.url), "https://localhost:%d/hello.txt", gk_test_tls_server_port(srv));
    f.req.timeout_ms = 10000;
    EXPECT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    proxy_env(NULL, NULL);
    EXPECT_EQ(f.st, GK_OK);
    if (f.st != GK_OK)
        printf("    %s\n", f.err.message);
    EXPECT_STREQ(f.body, GK_TEST_TLS_HELLO);
    ASSERT_TRUE(gk_test_proxy_request(px, 0, line, auth, sizeof(line)));
    snprintf(want, sizeof(want), "CONNECT localhost:%d HTTP/1.1", gk_test_tls_server_port(srv));
    EXPECT_STREQ(line, want);
    EXPECT_STREQ(auth, "");
    gk_test_tls_server_stop(srv);
    gk_test_proxy_stop(px);
    done_with_test_ca();
}

TEST(http_native_proxy_refusing_connect_is_unavailable_without_the_credentials)
{
    gk_test_proxy *px = gk_test_proxy_start("Basic dXNlcjpwdw==");
    struct fetch f = {0};
    char env[128];
    ASSERT_TRUE(px != NULL);
    snprintf(env, sizeof(env), "http://user:wrong-secret@127.0.0.1:%d", gk_test_proxy_port(px));
    proxy_env("https_proxy", env);
    gk__http_set_backend(GK__HTTP_NATIVE);
    snprintf(f.url, sizeof(f.url), "https://localhost:%d/", gk_test_unused_port());
    EXPECT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    gk__http_set_backend(GK__HTTP_AUTO);
    proxy_env(NULL, NULL);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_CONTAINS(f.err.message, "refused CONNECT");
    EXPECT_CONTAINS(f.err.message, "status 407");
    EXPECT_TRUE(strstr(f.err.message, "wrong-secret") == NULL);
    gk_test_proxy_stop(px);
}

TEST(http_native_no_proxy_exempts_a_host)
{
    struct fetch f = {.srv = start_with(&(gk_test_response){.body = "direct"})};
    char env[64];
    ASSERT_TRUE(f.srv != NULL);
    snprintf(env, sizeof(env), "http://127.0.0.1:%d", gk_test_unused_port()); /* would fail */
    proxy_env("HTTP_PROXY", env);
    setenv("NO_PROXY", "example.com, .test,127.0.0.1", 1);
    gk__http_set_backend(GK__HTTP_NATIVE);
    snprintf(f.url, sizeof(f.url), "%s/direct", gk_test_server_url(f.srv));
    EXPECT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    gk__http_set_backend(GK__HTTP_AUTO);
    proxy_env(NULL, NULL);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_STREQ(f.body, "direct");
    gk_test_server_stop(f.srv);
}

/* ---- lazy libcurl (GK_CURL_DLOPEN): checked in a fresh process, since the load is once per
 * process. The parent test re-runs this binary on one child test, with GK_HTTP_TEST_CHILD set
 * (and GK_LIBCURL_PATH, the loader's test hook); without that variable the child tests pass
 * without doing anything. Curl only: this is about loading libcurl. */
#if GK_HTTP_CURL

extern char **environ;

/* Run this test binary on the test `name` with the extra environment entries env (NULL-ended);
 * true when it exited 0 having run and passed exactly that test. */
static bool run_child_test(const char *name, const char *const *env)
{
    char out_path[] = "/tmp/gk_http_child_XXXXXX";
    char *argv[] = {(char *)"gk_tests", (char *)name, NULL};
    char *envp[256];
    char text[8192];
    char want[256];
    size_t n = 0;
    size_t len;
    int fd = mkstemp(out_path);
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int wst = 0;
    bool ok;
    FILE *f;
    if (fd < 0)
        return false;
    for (size_t i = 0; env[i] && n < 8; i++)
        envp[n++] = (char *)env[i];
    for (size_t i = 0; environ[i] && n < 255; i++)
        envp[n++] = environ[i];
    envp[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
    ok = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp) == 0 &&
         waitpid(pid, &wst, 0) == pid && WIFEXITED(wst) && WEXITSTATUS(wst) == 0;
    posix_spawn_file_actions_destroy(&fa);
    close(fd);
    f = fopen(out_path, "r");
    len = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
    text[len] = '\0';
    if (f)
        fclose(f);
    unlink(out_path);
    snprintf(want, sizeof(want), "ok   %s\n1 passed, 0 failed\n", name);
    if (!strstr(text, want)) {
        printf("child %s printed:\n%s\n", name, text);
        ok = false;
    }
    return ok;
}

static bool libcurl_mapped(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_NOLOAD);
    if (h)
        dlclose(h);
    return h != NULL;
}

static bool is_child(const char *role)
{
    const char *v = getenv("GK_HTTP_TEST_CHILD");
    return v && strcmp(v, role) == 0;
}

TEST(http_zz_child_lazy_fetch)
{
    gk_test_response r = {.body = "lazy"};
    struct fetch f = {0};
    if (!is_child("lazy"))
        return;
    gk__http_set_backend(GK__HTTP_CURL); /* whatever GK_HTTP_CLIENT says */
    /* A fresh process: nothing has made a request yet. */
    EXPECT_EQ(libcurl_mapped(), !gk__curl_is_lazy());
    f.srv = start_with(&r);
    ASSERT_TRUE(f.srv != NULL);
    snprintf(f.url, sizeof(f.url), "%s/first", gk_test_server_url(f.srv));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_OK);
    EXPECT_EQ(f.status, 200);
    EXPECT_STREQ(f.body, "lazy");
    EXPECT_TRUE(libcurl_mapped());
    EXPECT_EQ(gk__curl_load(NULL), GK_OK);
    gk_test_server_stop(f.srv);
}

TEST(http_zz_child_missing_libcurl)
{
    struct fetch f = {.url = "http://127.0.0.1:9/never"};
    if (!is_child("missing") || !gk__curl_is_lazy())
        return;
    gk__http_set_backend(GK__HTTP_CURL);
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_EQ(f.err.status, GK_UNAVAILABLE);
    EXPECT_TRUE(strstr(f.err.message, "libcurl.so.4 not found: install libcurl4 (") ==
                f.err.message);
    EXPECT_TRUE(strstr(f.err.message, "/nonexistent/libcurl.so.4") != NULL);
    /* The failed load is remembered: the next call fails the same way, without crashing. */
    memset(&f.err, 0, sizeof(f.err));
    ASSERT_EQ(rt_run_fiber(fetch_fiber, &f, 0), GK_OK);
    EXPECT_EQ(f.st, GK_UNAVAILABLE);
    EXPECT_TRUE(strstr(f.err.message, "libcurl.so.4 not found") != NULL);
    EXPECT_EQ(gk__curl_load(NULL), GK_UNAVAILABLE);
    EXPECT_FALSE(libcurl_mapped());
}

TEST(http_libcurl_is_loaded_by_the_first_fetch_of_a_process)
{
    const char *env[] = {"GK_HTTP_TEST_CHILD=lazy", NULL};
    EXPECT_TRUE(run_child_test("http_zz_child_lazy_fetch", env));
}

TEST(http_missing_libcurl_fails_fetch_with_unavailable)
{
    const char *env[] = {"GK_HTTP_TEST_CHILD=missing", "GK_LIBCURL_PATH=/nonexistent/libcurl.so.4",
                         NULL};
    EXPECT_TRUE(run_child_test("http_zz_child_missing_libcurl", env));
}
#endif
