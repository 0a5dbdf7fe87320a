/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_client.c - the async HTTP client's front (genkit/http.h): request checks, the
 * choice of transport (GK_HTTP_CLIENT: libcurl in http_curl.c, HTTP/1.1 on libuv in
 * http_native.c), URL redaction for messages, W3C traceparent injection, the response object and
 * its accessors, and the streaming plumbing both transports share (events are cut from the pending
 * bytes on the calling fiber). Knows nothing of sockets, curl or TLS: see http_backend.h. */
#include "runtime/http_backend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

/* The per-loop states of the backends, hung on gk_loop.http. */
struct http_loops {
    void *state[GK__HTTP_BACKENDS];
};

struct gk_http_header {
    const char *name;
    const char *value;
};

struct gk_http_response {
    int status;
    gk_str body;
    struct gk_http_header *headers;
    size_t n_headers;
};

/* ---- choosing the transport ---- */

static pthread_once_t env_once = PTHREAD_ONCE_INIT;
static gk__http_backend_id env_choice;
static gk_error env_err; /* GK_HTTP_CLIENT's verdict; read-only once env_once ran */
static atomic_int forced = GK__HTTP_AUTO;

bool gk__http_has_backend(gk__http_backend_id id)
{
    return id == GK__HTTP_NATIVE || (id == GK__HTTP_CURL && GK_HTTP_CURL);
}

gk_status gk__http_choose(const char *value, bool have_curl, gk__http_backend_id *out,
                          gk_error *err)
{
    if (!value || !*value) {
        *out = have_curl ? GK__HTTP_CURL : GK__HTTP_NATIVE;
        return GK_OK;
    }
    if (strcmp(value, "native") == 0) {
        *out = GK__HTTP_NATIVE;
        return GK_OK;
    }
    if (strcmp(value, "curl") == 0) {
        if (have_curl) {
            *out = GK__HTTP_CURL;
            return GK_OK;
        }
        return gk_error_set(err, GK_UNAVAILABLE, "",
                            "GK_HTTP_CLIENT=curl, but this build has no libcurl (built with "
                            "GK_HTTP_CURL=OFF): unset it or use native");
    }
    return gk_error_set(err, GK_UNAVAILABLE, "", "GK_HTTP_CLIENT=\"%.40s\" is not curl or native",
                        value);
}

static void read_env(void)
{
    gk_error_clear(&env_err);
    gk__http_choose(getenv("GK_HTTP_CLIENT"), GK_HTTP_CURL, &env_choice, &env_err);
}

bool gk__http_set_backend(gk__http_backend_id id)
{
    if (id != GK__HTTP_AUTO && !gk__http_has_backend(id))
        return false;
    atomic_store(&forced, (int)id);
    return true;
}

/* The transport for the next call, or NULL with err set. */
static const struct gk__http_backend *backend(gk_error *err)
{
    gk__http_backend_id id = (gk__http_backend_id)atomic_load(&forced);
    if (id == GK__HTTP_AUTO) {
        pthread_once(&env_once, read_env);
        if (env_err.status != GK_OK) {
            if (err)
                *err = env_err;
            return NULL;
        }
        id = env_choice;
    }
#if GK_HTTP_CURL
    if (id == GK__HTTP_CURL)
        return &gk__http_curl_backend;
#endif
    return &gk__http_native_backend;
}

/* ---- per-loop state ---- */

static void http_loops_free(gk_loop *loop)
{
    struct http_loops *s = loop->http;
    const struct gk__http_backend *all[GK__HTTP_BACKENDS] = {NULL};
    if (!s)
        return;
#if GK_HTTP_CURL
    all[GK__HTTP_CURL] = &gk__http_curl_backend;
#endif
    all[GK__HTTP_NATIVE] = &gk__http_native_backend;
    for (int i = 0; i < GK__HTTP_BACKENDS; i++) {
        if (s->state[i] && all[i])
            all[i]->loop_free(loop, s->state[i]);
    }
    loop->http = NULL;
    free(s);
}

void **gk__http_loop_slot(gk_loop *loop, gk__http_backend_id id)
{
    struct http_loops *s = loop->http;
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return NULL;
        loop->http = s;
        loop->http_free = http_loops_free;
    }
    return &s->state[id];
}

/* ---- streaming ---- */

static gk_status on_parsed(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct gk__http_call *c = arg;
    return c->req->on_event(c->req->on_event_arg, ev, err);
}

void gk__http_drain(struct gk__http_call *c)
{
    /* Swap first: the transport appends to pending while a callback parks the fiber. */
    gk_buf t = c->work;
    c->work = c->pending;
    c->pending = t;
    gk_buf_reset(&c->pending);
    if (c->cb_status == GK_OK)
        c->cb_status = gk_lines_feed(c->parser, c->work.ptr, c->work.len, &c->cb_err);
    gk_buf_reset(&c->work);
}

gk_status gk__http_ended(const struct gk__http_call *c, gk_error *err)
{
    gk_status st = gk_ctx_status(c->ctx);
    if (st == GK_OK)
        st = GK_CANCELLED;
    return gk_error_set(err, st, "", "%s %s: %s", c->method, c->where,
                        st == GK_DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled");
}

/* ---- the request ---- */

/* "scheme://host[:port]/path" of url: no user info, query or fragment (they may hold keys). */
static void redact_url(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    const char *end = auth + strcspn(auth, "/?#");
    const char *host = auth;
    const char *path_end;
    for (const char *q = auth; q < end; q++) {
        if (*q == '@')
            host = q + 1;
    }
    path_end = end + strcspn(end, "?#");
    snprintf(out, cap, "%.*s%.*s%.*s", (int)(auth - url), url, (int)(end - host), host,
             (int)(path_end - end), end);
}

static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= ' ' || ch >= 127 || strchr("\"(),/:;<=>?@[\\]{}", ch))
            return false;
    }
    return true;
}

static gk_status check_request(const gk_http_request *req, const char *method, gk_error *err)
{
    if (!req->url ||
        (strncasecmp(req->url, "http://", 7) != 0 && strncasecmp(req->url, "https://", 8) != 0))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "URL must start with http:// or https://");
    if (strpbrk(req->url, "\r\n "))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "URL contains a space or line break");
    if (!is_token(method))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "method is not an HTTP token");
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        const char *hd = req->headers[i];
        const char *colon = strchr(hd, ':');
        /* Never quote the header: its value may be a key. */
        if (strpbrk(hd, "\r\n"))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "header %zu contains a line break",
                                i);
        if (!colon || colon == hd)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "header %zu is not \"Name: value\"",
                                i);
    }
    if (req->stream && req->stream != GK_LINES_SSE && req->stream != GK_LINES_NDJSON)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "stream mode %d is unknown",
                            (int)req->stream);
    if (req->stream && !req->on_event)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "stream mode set without on_event");
    return GK_OK;
}

bool gk__http_has_header(const gk_http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        if (strncasecmp(req->headers[i], name, n) == 0 && req->headers[i][n] == ':')
            return true;
    }
    return false;
}

static _Atomic(gk__traceparent_fn) traceparent_source;

void gk__http_set_traceparent_source(gk__traceparent_fn fn)
{
    atomic_store_explicit(&traceparent_source, fn, memory_order_release);
}

/* ---- the response ---- */

/* Split the header lines into the response's table (in the arena). */
static bool parse_headers(gk_arena *a, const gk_buf *heads, gk_http_response *r)
{
    size_t n = 0;
    const char *s = heads->ptr;
    const char *end = s ? s + heads->len : NULL;
    if (!s)
        return true;
    for (const char *p = s; p < end; p++)
        n += *p == '\n';
    r->headers = GK_NEW(a, struct gk_http_header, n ? n : 1);
    if (!r->headers)
        return false;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        const char *colon;
        if (!nl)
            nl = end;
        colon = memchr(s, ':', (size_t)(nl - s));
        if (colon && colon > s) {
            const char *v = colon + 1;
            const char *ve = nl;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            r->headers[r->n_headers].name = gk_arena_strndup(a, s, (size_t)(colon - s));
            r->headers[r->n_headers].value = gk_arena_strndup(a, v, (size_t)(ve - v));
            if (!r->headers[r->n_headers].name || !r->headers[r->n_headers].value)
                return false;
            r->n_headers++;
        }
        s = nl + 1;
    }
    return true;
}

static gk_status build_response(struct gk__http_call *c, gk_http_response **out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(c->ctx);
    gk_http_response *r = GK_NEW(a, gk_http_response, 1);
    char *body;
    if (!r)
        goto oom;
    r->status = c->status;
    body = gk_arena_alloc(a, c->body.len + 1);
    if (!body)
        goto oom;
    if (c->body.len)
        memcpy(body, c->body.ptr, c->body.len);
    body[c->body.len] = '\0';
    r->body = (gk_str){body, c->body.len};
    if (!parse_headers(a, &c->heads, r))
        goto oom;
    *out = r;
    return GK_OK;
oom:
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "response does not fit the request arena");
}

/* The call's outcome once the backend is done with it. */
static gk_status outcome(struct gk__http_call *c, gk_status st, gk_http_response **out,
                         gk_error *err)
{
    if (c->cb_status != GK_OK) {
        if (err)
            *err = c->cb_err;
        return c->cb_status;
    }
    if (st != GK_OK)
        return st; /* err already says what happened */
    if (c->events) {
        c->cb_status = gk_lines_finish(c->parser, &c->cb_err);
        if (c->cb_status != GK_OK) {
            if (err)
                *err = c->cb_err;
            return c->cb_status;
        }
    }
    return build_response(c, out, err);
}

gk_status gk_http_fetch(gk_ctx *ctx, const gk_http_request *req, gk_http_response **out,
                        gk_error *err)
{
    struct gk__http_call c;
    const struct gk__http_backend *be;
    gk__traceparent_fn tp_fn;
    char where[256];
    char tp[13 + 56] = "traceparent: ";
    gk_status st;
    const char *method;
    if (out)
        *out = NULL;
    if (!gk__in_fiber() || gk__loop_current() != gk_ctx_loop(ctx))
        return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                            "gk_http_fetch must be called from a fiber of the context's loop");
    if (gk_ctx_is_cancelled(ctx))
        return gk_error_set(err, gk_ctx_status(ctx), "", "request not sent: context already ended");
    method = req->method ? req->method : (req->body.ptr || req->body.len) ? "POST" : "GET";
    st = check_request(req, method, err);
    if (st != GK_OK)
        return st;
    be = backend(err);
    if (!be)
        return err ? err->status : GK_UNAVAILABLE;

    memset(&c, 0, sizeof(c));
    redact_url(req->url, where, sizeof(where));
    c.ctx = ctx;
    c.req = req;
    c.method = method;
    c.where = where;
    /* W3C trace context: the upstream call continues the current span's trace. */
    tp_fn = atomic_load_explicit(&traceparent_source, memory_order_acquire);
    if (tp_fn && !gk__http_has_header(req, "traceparent") && tp_fn(ctx, tp + 13))
        c.traceparent = tp;
    c.max_body = req->max_body ? req->max_body : GK__HTTP_DEFAULT_BODY;
    c.body = GK_BUF_INIT(c.max_body);
    c.heads = GK_BUF_INIT(GK__HTTP_HEADERS_CAP);
    c.pending = GK_BUF_INIT(GK__HTTP_PENDING_CAP);
    c.work = GK_BUF_INIT(GK__HTTP_PENDING_CAP);
    if (req->stream) {
        c.parser = gk_lines_new(req->stream, req->max_line, on_parsed, &c);
        if (!c.parser)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory for the parser");
    }
    st = be->perform(&c, err);
    st = outcome(&c, st, out, err);
    gk_buf_release(&c.body);
    gk_buf_release(&c.heads);
    gk_buf_release(&c.pending);
    gk_buf_release(&c.work);
    gk_lines_free(c.parser);
    return st;
}

int gk_http_response_status(const gk_http_response *resp)
{
    return resp->status;
}

gk_str gk_http_response_body(const gk_http_response *resp)
{
    return resp->body;
}

const char *gk_http_response_header(const gk_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_headers; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

size_t gk_http_response_header_count(const gk_http_response *resp)
{
    return resp->n_headers;
}

bool gk_http_response_header_at(const gk_http_response *resp, size_t i, const char **name,
                                const char **value)
{
    if (i >= resp->n_headers)
        return false;
    if (name)
        *name = resp->headers[i].name;
    if (value)
        *value = resp->headers[i].value;
    return true;
}

/* A non-negative decimal number (optionally with a fraction, which is dropped); -1 if not. */
static int64_t parse_number(const char *s)
{
    int64_t v = 0;
    const char *p = s;
    if (!s || *s < '0' || *s > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0' ? v : -1;
}

int gk_http_response_retry_after_ms(const gk_http_response *resp)
{
    int64_t ms = parse_number(gk_http_response_header(resp, "retry-after-ms"));
    if (ms < 0) {
        int64_t s = parse_number(gk_http_response_header(resp, "retry-after"));
        ms = s < 0 ? 0 : s > INT32_MAX / 1000 ? INT32_MAX : s * 1000;
    }
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}
