/* SPDX-License-Identifier: Apache-2.0 */
/* tests/integration/server_test.c - the flow server over real loopback sockets: an in-process
 * server on an ephemeral port (gk_server_start) and a blocking client written here, so every test
 * sees the exact bytes. Covers the flow protocol (JSON, errors, SSE), bad input (the server keeps
 * serving after each), keep-alive, pipelining, chunked bodies, limits, timeouts, client disconnect
 * cancelling the flow, the connection limit and the drain. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "base/log.h"
#include "test.h"

/* ---- test flows ---- */

typedef struct GreetIn {
    const char *name;
} GreetIn;

typedef struct GreetOut {
    const char *greeting;
} GreetOut;

GK_SCHEMA_DEFINE(GreetIn, "who to greet", GK_FIELD_STRING(GreetIn, name, "name", NULL));
GK_SCHEMA_DEFINE(GreetOut, "a greeting", GK_FIELD_STRING(GreetOut, greeting, "greeting", NULL));

static atomic_int sleepy_started;
static atomic_int sleepy_finished;
static atomic_int sleepy_status;

static gk_status echo_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    *out = *in;
    return GK_OK;
}

static gk_status greet_flow(gk_ctx *ctx, const GreetIn *in, GreetOut *out, gk_error *err)
{
    out->greeting = gk_arena_sprintf(gk_ctx_arena(ctx), "hello, %s", in->name);
    if (!out->greeting)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    return GK_OK;
}

static gk_status fail_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    (void)ctx;
    (void)out;
    if (in->type == GK_JSON_STRING && strcmp(in->str, "deny") == 0)
        return gk_error_set(err, GK_PERMISSION_DENIED, "", "no way");
    return gk_error_set(err, GK_INTERNAL, "", "database password is hunter2");
}

static gk_status sleepy_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    atomic_store(&sleepy_started, 1);
    gk_status st = gk_sleep(ctx, in->type == GK_JSON_NUMBER ? in->integer : 0);
    atomic_store(&sleepy_status, (int)st);
    atomic_store(&sleepy_finished, 1);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "sleep interrupted");
    gk_json *v = gk_json_new_string(gk_ctx_arena(ctx), "slept", 5);
    if (!v)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    *out = *v;
    return GK_OK;
}

static gk_status count_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_stream *stream,
                            gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    int64_t n = in->type == GK_JSON_NUMBER ? in->integer : 0;
    for (int64_t i = 0; i < n; i++) {
        gk_json *chunk = gk_json_new_object(a);
        gk_json *iv = gk_json_new_int(a, i);
        if (!chunk || !iv || !gk_json_object_set(a, chunk, "i", iv))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        gk_status st = gk_stream_send(stream, chunk, err);
        if (st != GK_OK)
            return st;
    }
    gk_json *v = gk_json_new_string(a, "done", 4);
    if (!v)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    *out = *v;
    return GK_OK;
}

static gk_status stream_fail_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_stream *stream,
                                  gk_error *err)
{
    (void)out;
    gk_status st = gk_stream_send(stream, in, err);
    if (st != GK_OK)
        return st;
    (void)ctx;
    return gk_error_set(err, GK_ABORTED, "", "stopped midway");
}

/* ---- an in-process server ---- */

struct srv {
    gk_genkit *g;
    gk_server *s;
    int port;
};

static bool srv_start_opts(struct srv *x, int threads, gk_server_opts o)
{
    gk_error err = {0};
    gk__log_configure(GK_LOG_WARN, -1, -1);
    atomic_store(&sleepy_started, 0);
    atomic_store(&sleepy_finished, 0);
    atomic_store(&sleepy_status, -1);
    x->g = gk_init(&(gk_init_opts){.threads = threads, .name = "server-test"}, &err);
    if (!x->g) {
        fprintf(stderr, "gk_init: %s\n", err.message);
        return false;
    }
    if (!GK_DEFINE_FLOW(x->g, "echo", NULL, echo_flow, gk_json, gk_json, &err) ||
        !GK_DEFINE_FLOW(x->g, "greet", NULL, greet_flow, GreetIn, GreetOut, &err) ||
        !GK_DEFINE_FLOW(x->g, "fail", NULL, fail_flow, gk_json, gk_json, &err) ||
        !GK_DEFINE_FLOW(x->g, "sleepy", NULL, sleepy_flow, gk_json, gk_json, &err) ||
        !GK_DEFINE_STREAMING_FLOW(x->g, "count", NULL, count_flow, gk_json, gk_json, gk_json,
                                  &err) ||
        !GK_DEFINE_STREAMING_FLOW(x->g, "streamFail", NULL, stream_fail_flow, gk_json, gk_json,
                                  gk_json, &err)) {
        fprintf(stderr, "define: %s\n", err.message);
        gk_shutdown(x->g);
        return false;
    }
    if (!o.host)
        o.host = "127.0.0.1";
    if (!o.port)
        o.port = -1;
    o.quiet = true;
    x->s = gk_server_start(x->g, &o, &err);
    if (!x->s) {
        fprintf(stderr, "gk_server_start: %s\n", err.message);
        gk_shutdown(x->g);
        return false;
    }
    x->port = gk_server_port(x->s);
    return x->port > 0;
}

static bool srv_start(struct srv *x)
{
    return srv_start_opts(x, 1, (gk_server_opts){0});
}

static void srv_stop(struct srv *x)
{
    gk_server_stop(x->s);
    gk_shutdown(x->g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

/* ---- a blocking HTTP client ---- */

struct client {
    int fd;
    char buf[256 * 1024];
    size_t len;
};

struct resp {
    int status;
    char head[4096];
    char body[128 * 1024];
    size_t body_len;
};

static bool cl_connect(struct client *c, int port)
{
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return false;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(c->fd);
        c->fd = -1;
        return false;
    }
    return true;
}

static void cl_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static bool cl_send_n(struct client *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool cl_send(struct client *c, const char *s)
{
    return cl_send_n(c, s, strlen(s));
}

/* Read more bytes into the buffer; false on EOF, error or timeout. */
static bool cl_fill(struct client *c)
{
    if (c->len >= sizeof(c->buf))
        return false;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    if (r <= 0)
        return false;
    c->len += (size_t)r;
    return true;
}

static void cl_drop(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static const char *find_n(const char *hay, size_t n, const char *needle)
{
    return memmem(hay, n, needle, strlen(needle));
}

/* The value of header name in a response head, copied into out; false if absent. */
static bool header_value(const char *head, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p; p = strstr(p, "\r\n")) {
        p += 2;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t l = e ? (size_t)(e - v) : strlen(v);
            if (l >= cap)
                l = cap - 1;
            memcpy(out, v, l);
            out[l] = '\0';
            return true;
        }
    }
    return false;
}

/* Read one response (Content-Length, chunked, or to EOF); bytes after it stay buffered. */
static bool cl_read(struct client *c, struct resp *r)
{
    memset(r, 0, sizeof(*r));
    const char *end;
    while (!(end = find_n(c->buf, c->len, "\r\n\r\n")))
        if (!cl_fill(c))
            return false;
    size_t hl = (size_t)(end - c->buf) + 4;
    if (hl >= sizeof(r->head))
        return false;
    memcpy(r->head, c->buf, hl);
    r->head[hl] = '\0';
    cl_drop(c, hl);
    if (sscanf(r->head, "HTTP/1.%*d %d", &r->status) != 1)
        return false;
    char v[64];
    if (header_value(r->head, "Content-Length", v, sizeof(v))) {
        size_t n = strtoul(v, NULL, 10);
        if (n >= sizeof(r->body))
            return false;
        while (c->len < n)
            if (!cl_fill(c))
                return false;
        memcpy(r->body, c->buf, n);
        r->body_len = n;
        cl_drop(c, n);
    } else if (header_value(r->head, "Transfer-Encoding", v, sizeof(v))) {
        for (;;) {
            const char *le;
            while (!(le = find_n(c->buf, c->len, "\r\n")))
                if (!cl_fill(c))
                    return false;
            size_t size = strtoul(c->buf, NULL, 16);
            size_t line = (size_t)(le - c->buf) + 2;
            while (c->len < line + size + 2)
                if (!cl_fill(c))
                    return false;
            if (c->buf[line + size] != '\r' || c->buf[line + size + 1] != '\n')
                return false;
            if (r->body_len + size >= sizeof(r->body))
                return false;
            memcpy(r->body + r->body_len, c->buf + line, size);
            r->body_len += size;
            cl_drop(c, line + size + 2);
            if (size == 0)
                break;
        }
    } else if (r->status != 100 && r->status != 204) {
        while (cl_fill(c))
            ;
        size_t n = c->len < sizeof(r->body) - 1 ? c->len : sizeof(r->body) - 1;
        memcpy(r->body, c->buf, n);
        r->body_len = n;
        cl_drop(c, c->len);
    }
    r->body[r->body_len] = '\0';
    return true;
}

/* True when the server closed the connection (EOF) with nothing more to read. */
static bool cl_eof(struct client *c)
{
    if (c->len)
        return false;
    char b;
    return recv(c->fd, &b, 1, 0) == 0;
}

static bool post(struct client *c, const char *path, const char *body, struct resp *r)
{
    char req[8192];
    snprintf(req, sizeof(req),
             "POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             path, strlen(body), body);
    return cl_send(c, req) && cl_read(c, r);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll flag (up to ~5 s) until it equals want. */
static bool wait_for(atomic_int *flag, int want)
{
    for (int i = 0; i < 500; i++) {
        if (atomic_load(flag) == want)
            return true;
        sleep_ms(10);
    }
    return false;
}

/* ---- the flow protocol ---- */

TEST(server_json_flow_returns_result)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":{\"a\":[1,2],\"b\":\"\\u00e9\"}}", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":{\"a\":[1,2],\"b\":\"\xc3\xa9\"}}");
    char v[128];
    EXPECT_TRUE(header_value(r.head, "Content-Type", v, sizeof(v)));
    EXPECT_STREQ(v, "application/json");
    EXPECT_TRUE(header_value(r.head, "Date", v, sizeof(v)));
    EXPECT_CONTAINS(v, " GMT");
    EXPECT_FALSE(header_value(r.head, "Connection", v, sizeof(v)));
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_typed_flow_and_schema_error_with_path)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/greet", "{\"data\":{\"name\":\"ada\"}}", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":{\"greeting\":\"hello, ada\"}}");
    ASSERT_TRUE(post(&c, "/greet", "{\"data\":{\"name\":7}}", &r));
    EXPECT_EQ(r.status, 400);
    EXPECT_CONTAINS(r.body, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"message\":\"");
    EXPECT_CONTAINS(r.body, "\"details\":{\"path\":\"/name\"}}}");
    /* The connection keeps serving after a failed flow. */
    ASSERT_TRUE(post(&c, "/greet", "{\"data\":{\"name\":\"bo\"}}", &r));
    EXPECT_STREQ(r.body, "{\"result\":{\"greeting\":\"hello, bo\"}}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_flow_errors_map_status_and_hide_internal)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/fail", "{\"data\":\"deny\"}", &r));
    EXPECT_EQ(r.status, 403);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"PERMISSION_DENIED\",\"message\":\"no way\"}}");
    ASSERT_TRUE(post(&c, "/fail", "{\"data\":\"boom\"}", &r));
    EXPECT_EQ(r.status, 500);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"INTERNAL\",\"message\":\"Internal Error\"}}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_unknown_flow_is_404_and_connection_survives)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/nope", "{}", &r));
    EXPECT_EQ(r.status, 404);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"NOT_FOUND\",\"message\":\"no flow at \\\"/nope\\\"\"}}");
    ASSERT_TRUE(post(&c, "/", "{}", &r));
    EXPECT_EQ(r.status, 404);
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":1}", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":1}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_wrong_method_is_405_with_allow)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(cl_send(&c, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 405);
    char v[64];
    EXPECT_TRUE(header_value(r.head, "Allow", v, sizeof(v)));
    EXPECT_STREQ(v, "POST");
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"message\":\"method GET is "
                         "not allowed; flows take POST\"}}");
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":2}", &r));
    EXPECT_STREQ(r.body, "{\"result\":2}");
    cl_close(&c);
    srv_stop(&x);
}

static int post_typed(struct client *c, const char *type, const char *body, struct resp *r)
{
    char req[1024];
    if (type)
        snprintf(req, sizeof(req),
                 "POST /echo HTTP/1.1\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s", type,
                 strlen(body), body);
    else
        snprintf(req, sizeof(req), "POST /echo HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body);
    if (!cl_send(c, req) || !cl_read(c, r))
        return -1;
    return r->status;
}

TEST(server_content_types_json_like_accepted_others_415)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    EXPECT_EQ(post_typed(&c, "multipart/form-data; boundary=x", "{\"data\":1}", &r), 415);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"message\":\"unsupported "
                         "content type \\\"multipart/form-data; boundary=x\\\"; send "
                         "application/json\"}}");
    EXPECT_EQ(post_typed(&c, "image/png", "{\"data\":1}", &r), 415);
    EXPECT_EQ(post_typed(&c, NULL, "{\"data\":1}", &r), 200);
    EXPECT_EQ(post_typed(&c, "text/plain;charset=UTF-8", "{\"data\":1}", &r), 200);
    EXPECT_EQ(post_typed(&c, "Application/JSON ; charset=utf-8", "{\"data\":1}", &r), 200);
    EXPECT_EQ(post_typed(&c, "application/vnd.api+json", "{\"data\":1}", &r), 200);
    /* curl -d labels JSON as a form: accepted when it is JSON, 415 when it is a real form. */
    EXPECT_EQ(post_typed(&c, "application/x-www-form-urlencoded", "{\"data\":3}", &r), 200);
    EXPECT_STREQ(r.body, "{\"result\":3}");
    EXPECT_EQ(post_typed(&c, "application/x-www-form-urlencoded", "a=b&c=d", &r), 415);
    EXPECT_EQ(post_typed(&c, NULL, "{\"data\":4}", &r), 200);
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_empty_body_or_missing_data_is_null_input)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":null}");
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"result\":null}");
    ASSERT_TRUE(post(&c, "/echo", "{\"other\":1}", &r));
    EXPECT_STREQ(r.body, "{\"result\":null}");
    ASSERT_TRUE(post(&c, "/echo", " \r\n ", &r));
    EXPECT_STREQ(r.body, "{\"result\":null}");
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":null,\"extra\":[]}", &r));
    EXPECT_STREQ(r.body, "{\"result\":null}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_bad_json_is_400_and_serving_continues)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof(deep), "{\"data\":");
    for (int i = 0; i < 150; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    const char *bad[] = {"{\"data\":", "{\"data\":\"\xff\xfe\"}", "{\"data\":1,\"data\":2}", deep,
                         "[1,2]", "\"just a string\"", "{\"data\":tru}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_TRUE(post(&c, "/echo", bad[i], &r));
        EXPECT_EQ(r.status, 400);
        EXPECT_CONTAINS(r.body, "{\"error\":{\"status\":\"INVALID_ARGUMENT\",\"message\":\"");
        ASSERT_TRUE(post(&c, "/echo", "{\"data\":\"ok\"}", &r));
        EXPECT_EQ(r.status, 200);
        EXPECT_STREQ(r.body, "{\"result\":\"ok\"}");
    }
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":", &r));
    EXPECT_CONTAINS(r.body, "invalid JSON body: line 1 column");
    ASSERT_TRUE(post(&c, "/echo", "[1]", &r));
    EXPECT_CONTAINS(r.body, "request body must be a JSON object");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_oversized_body_is_413_then_close)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.max_body_bytes = 1024}));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    static char body[4096];
    memset(body, ' ', sizeof(body) - 1);
    memcpy(body, "{\"data\":1}", 10);
    struct resp r;
    ASSERT_TRUE(post(&c, "/echo", body, &r));
    EXPECT_EQ(r.status, 413);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"RESOURCE_EXHAUSTED\",\"message\":\"request body "
                         "larger than 1024 bytes\"}}");
    char v[32];
    EXPECT_TRUE(header_value(r.head, "Connection", v, sizeof(v)));
    EXPECT_STREQ(v, "close");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);

    /* Chunked bodies count too. */
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"));
    for (int i = 0; i < 3; i++) {
        char chunk[600];
        snprintf(chunk, sizeof(chunk), "200\r\n%0512d\r\n", 0);
        cl_send(&c, chunk);
    }
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 413);
    cl_close(&c);

    /* The server still serves new connections. */
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":5}", &r));
    EXPECT_STREQ(r.body, "{\"result\":5}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_oversized_head_is_431)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.max_header_bytes = 512}));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    char req[2048];
    snprintf(req, sizeof(req), "GET /healthz HTTP/1.1\r\nX-Big: %01000d\r\n\r\n", 1);
    ASSERT_TRUE(cl_send(&c, req));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 431);
    EXPECT_CONTAINS(r.body, "\"status\":\"RESOURCE_EXHAUSTED\"");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_malformed_request_is_400_then_close)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "BLAH BLAH\r\n\r\n"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 400);
    EXPECT_CONTAINS(r.body, "malformed HTTP request");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    srv_stop(&x);
}

/* ---- connection handling ---- */

TEST(server_keep_alive_serves_many_requests)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    for (int i = 0; i < 50; i++) {
        char body[64];
        char want[64];
        snprintf(body, sizeof(body), "{\"data\":%d}", i);
        snprintf(want, sizeof(want), "{\"result\":%d}", i);
        struct resp r;
        ASSERT_TRUE(post(&c, "/echo", body, &r));
        EXPECT_STREQ(r.body, want);
    }
    EXPECT_EQ(gk_server_connections(x.s), 1);
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_pipelined_requests_answered_in_order)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"data\":1}"
                            "POST /sleepy HTTP/1.1\r\nContent-Length: 11\r\n\r\n{\"data\":30}"
                            "GET /healthz HTTP/1.1\r\n\r\n"
                            "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n{\"data\":4}"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"result\":1}");
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"result\":\"slept\"}");
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"status\":\"ok\"}");
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"result\":4}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_chunked_request_body_and_expect_continue)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "4\r\n{\"da\r\n"
                            "6\r\nta\":42\r\n"
                            "1\r\n}\r\n0\r\n\r\n"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":42}");

    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 100);
    ASSERT_TRUE(cl_send(&c, "{\"data\":7}"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":7}");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_healthz_get_head_and_405)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(cl_send(&c, "GET /healthz HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"status\":\"ok\"}");
    /* HEAD: the same head (with the length of the body it would have had), no body. */
    ASSERT_TRUE(cl_send(&c, "HEAD /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"));
    const char *end;
    while (!(end = find_n(c.buf, c.len, "\r\n\r\n")))
        ASSERT_TRUE(cl_fill(&c));
    EXPECT_TRUE(strncmp(c.buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    EXPECT_TRUE(find_n(c.buf, (size_t)(end - c.buf), "Content-Length: 15") != NULL);
    cl_drop(&c, (size_t)(end - c.buf) + 4);
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"status\":\"ok\"}");
    ASSERT_TRUE(cl_send(&c, "DELETE /healthz HTTP/1.1\r\n\r\n"));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 405);
    char v[64];
    EXPECT_TRUE(header_value(r.head, "Allow", v, sizeof(v)));
    EXPECT_STREQ(v, "GET, HEAD");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_http10_closes_after_response)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /echo HTTP/1.0\r\nContent-Length: 10\r\n\r\n{\"data\":9}"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_STREQ(r.body, "{\"result\":9}");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_path_prefix)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.path_prefix = "api/"}));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/api/echo", "{\"data\":1}", &r));
    EXPECT_EQ(r.status, 200);
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":1}", &r));
    EXPECT_EQ(r.status, 404);
    ASSERT_TRUE(post(&c, "/apiecho", "{\"data\":1}", &r));
    EXPECT_EQ(r.status, 404);
    ASSERT_TRUE(post(&c, "/api/%65cho", "{\"data\":2}", &r));
    EXPECT_EQ(r.status, 200);
    cl_close(&c);
    srv_stop(&x);
}

/* ---- streaming ---- */

TEST(server_stream_by_query_exact_events)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/count?stream=true", "{\"data\":3}", &r));
    EXPECT_EQ(r.status, 200);
    char v[64];
    EXPECT_TRUE(header_value(r.head, "Content-Type", v, sizeof(v)));
    EXPECT_STREQ(v, "text/event-stream");
    EXPECT_TRUE(header_value(r.head, "Cache-Control", v, sizeof(v)));
    EXPECT_STREQ(v, "no-cache");
    EXPECT_TRUE(header_value(r.head, "Transfer-Encoding", v, sizeof(v)));
    EXPECT_STREQ(v, "chunked");
    EXPECT_STREQ(r.body, "data: {\"message\":{\"i\":0}}\n\n"
                         "data: {\"message\":{\"i\":1}}\n\n"
                         "data: {\"message\":{\"i\":2}}\n\n"
                         "data: {\"result\":\"done\"}\n\n");
    /* Keep-alive holds after a stream; without streaming the same flow answers plain JSON. */
    ASSERT_TRUE(post(&c, "/count", "{\"data\":3}", &r));
    EXPECT_STREQ(r.body, "{\"result\":\"done\"}");
    ASSERT_TRUE(post(&c, "/count?stream=false", "{\"data\":1}", &r));
    EXPECT_STREQ(r.body, "{\"result\":\"done\"}");
    ASSERT_TRUE(post(&c, "/count?stream=maybe", "{\"data\":1}", &r));
    EXPECT_EQ(r.status, 400);
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_stream_by_accept_header)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /count HTTP/1.1\r\nAccept: text/event-stream\r\n"
                            "Content-Length: 10\r\n\r\n{\"data\":1}"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "data: {\"message\":{\"i\":0}}\n\ndata: {\"result\":\"done\"}\n\n");
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_stream_error_event)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    struct resp r;
    ASSERT_TRUE(post(&c, "/streamFail?stream=true", "{\"data\":\"x\"}", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "data: {\"message\":\"x\"}\n\n"
                         "data: {\"error\":{\"status\":\"ABORTED\",\"message\":\"stopped midway\"}}\n\n");
    /* Input that does not match the schema arrives as an error event once the stream started. */
    ASSERT_TRUE(post(&c, "/greet?stream=true", "{\"data\":{}}", &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_CONTAINS(r.body, "data: {\"error\":{\"status\":\"INVALID_ARGUMENT\"");
    cl_close(&c);
    srv_stop(&x);
}

/* ---- cancellation, timeouts, limits, drain ---- */

TEST(server_client_disconnect_cancels_flow)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /sleepy HTTP/1.1\r\nContent-Length: 13\r\n\r\n{\"data\":8000}"));
    ASSERT_TRUE(wait_for(&sleepy_started, 1));
    cl_close(&c);
    ASSERT_TRUE(wait_for(&sleepy_finished, 1));
    EXPECT_EQ(atomic_load(&sleepy_status), GK_CANCELLED);
    srv_stop(&x);
}

TEST(server_header_timeout_closes_slow_client)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.header_timeout_ms = 150}));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "GET /healthz HTTP/1.1\r\nHost: slo"));
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 408);
    EXPECT_CONTAINS(r.body, "\"status\":\"DEADLINE_EXCEEDED\"");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    /* A connection that sends nothing at all is closed too. */
    ASSERT_TRUE(cl_connect(&c, x.port));
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    srv_stop(&x);
}

TEST(server_connection_limit_answers_503)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.max_connections = 2}));
    struct client a;
    struct client b;
    struct client c;
    struct resp r;
    ASSERT_TRUE(cl_connect(&a, x.port));
    ASSERT_TRUE(cl_connect(&b, x.port));
    ASSERT_TRUE(post(&a, "/echo", "{\"data\":1}", &r));
    ASSERT_TRUE(post(&b, "/echo", "{\"data\":1}", &r));
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 503);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"UNAVAILABLE\",\"message\":\"too many open "
                         "connections\"}}");
    EXPECT_TRUE(cl_eof(&c));
    cl_close(&c);
    cl_close(&a);
    for (int i = 0; i < 500 && gk_server_connections(x.s) > 1; i++)
        sleep_ms(5);
    EXPECT_EQ(gk_server_connections(x.s), 1);
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(post(&c, "/echo", "{\"data\":2}", &r));
    EXPECT_STREQ(r.body, "{\"result\":2}");
    cl_close(&c);
    cl_close(&b);
    srv_stop(&x);
}

struct stopper {
    gk_server *s;
    pthread_t t;
};

static void *stop_thread(void *arg)
{
    struct stopper *st = arg;
    gk_server_stop(st->s);
    return NULL;
}

TEST(server_drain_lets_inflight_flow_finish)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    struct client c;
    struct client idle;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_connect(&idle, x.port));
    struct resp r;
    ASSERT_TRUE(post(&idle, "/echo", "{\"data\":0}", &r));
    ASSERT_TRUE(cl_send(&c, "POST /sleepy HTTP/1.1\r\nContent-Length: 12\r\n\r\n{\"data\":300}"));
    ASSERT_TRUE(wait_for(&sleepy_started, 1));
    struct stopper st = {x.s, 0};
    ASSERT_EQ(pthread_create(&st.t, NULL, stop_thread, &st), 0);
    /* The idle keep-alive connection is closed at once; the running flow finishes. */
    EXPECT_TRUE(cl_eof(&idle));
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 200);
    EXPECT_STREQ(r.body, "{\"result\":\"slept\"}");
    char v[32];
    EXPECT_TRUE(header_value(r.head, "Connection", v, sizeof(v)));
    EXPECT_STREQ(v, "close");
    EXPECT_TRUE(cl_eof(&c));
    pthread_join(st.t, NULL);
    EXPECT_EQ(atomic_load(&sleepy_status), GK_OK);
    cl_close(&c);
    cl_close(&idle);
    gk_shutdown(x.g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(server_drain_cancels_flows_past_grace)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 1, (gk_server_opts){.drain_timeout_ms = 100}));
    struct client c;
    ASSERT_TRUE(cl_connect(&c, x.port));
    ASSERT_TRUE(cl_send(&c, "POST /sleepy HTTP/1.1\r\nContent-Length: 14\r\n\r\n{\"data\":20000}"));
    ASSERT_TRUE(wait_for(&sleepy_started, 1));
    struct stopper st = {x.s, 0};
    ASSERT_EQ(pthread_create(&st.t, NULL, stop_thread, &st), 0);
    struct resp r;
    ASSERT_TRUE(cl_read(&c, &r));
    EXPECT_EQ(r.status, 503);
    EXPECT_STREQ(r.body, "{\"error\":{\"status\":\"UNAVAILABLE\",\"message\":\"server is shutting "
                         "down\"}}");
    EXPECT_TRUE(cl_eof(&c));
    pthread_join(st.t, NULL);
    EXPECT_EQ(atomic_load(&sleepy_status), GK_CANCELLED);
    cl_close(&c);
    gk_shutdown(x.g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(server_two_loops_serve_concurrent_connections)
{
    struct srv x;
    ASSERT_TRUE(srv_start_opts(&x, 2, (gk_server_opts){0}));
    struct client cs[8];
    for (int i = 0; i < 8; i++)
        ASSERT_TRUE(cl_connect(&cs[i], x.port));
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            char body[32];
            char want[32];
            snprintf(body, sizeof(body), "{\"data\":%d}", i * 10 + round);
            snprintf(want, sizeof(want), "{\"result\":%d}", i * 10 + round);
            struct resp r;
            ASSERT_TRUE(post(&cs[i], "/echo", body, &r));
            EXPECT_STREQ(r.body, want);
        }
    }
    for (int i = 0; i < 8; i++)
        cl_close(&cs[i]);
    srv_stop(&x);
}

TEST(server_start_fails_on_port_in_use)
{
    struct srv x;
    ASSERT_TRUE(srv_start(&x));
    gk_error err = {0};
    gk_genkit *g2 = gk_init(&(gk_init_opts){.threads = 1}, &err);
    ASSERT_TRUE(g2 != NULL);
    /* A listener without SO_REUSEPORT holds the port: the server's bind must fail. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ASSERT_EQ(listen(fd, 1), 0);
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    gk_server_opts o = {.host = "127.0.0.1", .port = ntohs(a.sin_port), .quiet = true};
    gk_server *s2 = gk_server_start(g2, &o, &err);
    EXPECT_TRUE(s2 == NULL);
    EXPECT_EQ(err.status, GK_UNAVAILABLE);
    EXPECT_CONTAINS(err.message, "cannot listen on 127.0.0.1:");
    close(fd);
    gk_shutdown(g2);
    srv_stop(&x);
}
