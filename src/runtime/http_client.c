/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_client.c - the async HTTP client (genkit/http.h) on libcurl's multi-socket
 * interface: one CURLM per loop, driven by the loop (uv_poll per socket, one uv_timer), created on
 * first use and released at loop teardown. With curl_dl.c, the only file that uses curl: the
 * curl_* calls below go to the linked library or, in dynamic builds (GK_CURL_DLOPEN), through a
 * table filled when the first request loads libcurl.so.4 (runtime/curl_dl.h).
 *
 * A call parks its fiber; curl's callbacks run on the loop's stack and only copy bytes and wake the
 * fiber. Every curl call a fiber needs (add, remove, unpause) is made on the loop's stack through
 * gk__loop_call, so curl and TLS never run on a small fiber stack nor inside their own callbacks.
 * Streaming: the write callback appends to a pending buffer; the fiber cuts it into events and
 * calls the user back on the fiber. When the fiber falls behind (pending over GK__HTTP_HIGH_WATER)
 * the transfer is paused and resumed once the fiber drained it, so memory per call stays bounded.
 * Cancellation while parked removes the easy handle (curl closes the unfinished connection). */
#include "runtime/loop.h"

#include <genkit/buf.h>
#include <genkit/http.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "runtime/curl_dl.h"

#include "base/banned.h"

#define GK__HTTP_HIGH_WATER   (64 * 1024)   /* pending stream bytes before pausing the transfer */
#define GK__HTTP_PENDING_CAP  (1024 * 1024) /* hard cap: a paused transfer's replay fits */
#define GK__HTTP_HEADERS_CAP  (256 * 1024)  /* response header bytes */
#define GK__HTTP_DEFAULT_BODY ((size_t)16 << 20)
#define GK__HTTP_EASY_POOL    64 /* idle easy handles kept per loop */

/* Per-loop client state. Invariants: timer is initialised; easy_pool[0..n_easy) are reset handles
 * not in the multi; inflight counts calls between add and remove. */
struct http_loop {
    gk_loop *loop;
    CURLM *multi;
    CURLSH *share;
    uv_timer_t timer;
    CURL *easy_pool[GK__HTTP_EASY_POOL];
    size_t n_easy;
    size_t inflight;
};

/* One watched socket: curl_multi_assign ties it to curl's socket. */
struct http_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct http_loop *h;
};

/* One call, on the calling fiber's stack; curl's easy handle points at it (CURLOPT_PRIVATE). It
 * outlives the transfer: gk_http_fetch removes the handle before returning, whatever happened. */
struct call {
    struct http_loop *h;
    CURL *easy;
    gk_ctx *ctx;
    const gk_http_request *req;
    const char *method;
    struct curl_slist *headers;
    gk_waiter w;
    bool parked;     /* the fiber is parked on w now (wake only then) */
    bool in_multi;   /* the easy handle is in the multi */
    bool done;       /* curl reported completion; result is set */
    bool cancelled;  /* removed because ctx was cancelled */
    bool decided;    /* the response code was read at the first body byte */
    bool events;     /* this response's body is cut into events */
    bool paused;     /* the write callback returned CURL_WRITEFUNC_PAUSE */
    bool over_body;  /* the body exceeded max_body */
    bool over_heads; /* the headers exceeded GK__HTTP_HEADERS_CAP */
    bool oom;
    CURLcode result;
    size_t max_body;
    gk_buf body;
    gk_buf heads; /* "Name: value\n" lines of the final response */
    gk_buf pending;
    gk_buf work;
    gk_lines *parser;
    gk_status cb_status;
    gk_error cb_err;
    char errbuf[CURL_ERROR_SIZE];
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

/* ---- the loop side: sockets, timer, completions ---- */

static void wake_call(struct call *c)
{
    if (c->parked)
        gk__wake(&c->w);
}

static void check_done(struct http_loop *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        CURL *e;
        CURLcode rc;
        char *priv = NULL;
        struct call *c;
        if (msg->msg != CURLMSG_DONE)
            continue;
        e = msg->easy_handle;
        rc = msg->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
        c = (struct call *)(void *)priv;
        /* msg is invalid after the remove: everything needed was read above. */
        curl_multi_remove_handle(h->multi, e);
        h->inflight--;
        c->in_multi = false;
        c->result = rc;
        c->done = true;
        wake_call(c);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct http_sock *s = p->data;
    struct http_loop *h = s->h;
    int flags = 0;
    int running;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    /* s may be closed (CURL_POLL_REMOVE) inside: only h and the fd are used after. */
    curl_multi_socket_action(h->multi, s->fd, flags, &running);
    check_done(h);
}

static void free_sock(uv_handle_t *handle)
{
    free(handle->data);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_loop *h = userp;
    struct http_sock *s = socketp;
    int events = 0;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            curl_multi_assign(h->multi, fd, NULL);
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, free_sock);
        }
        return 0;
    }
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        if (uv_poll_init_socket(&h->loop->uv, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        s->fd = fd;
        s->h = h;
        curl_multi_assign(h->multi, fd, s);
    }
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_timeout(uv_timer_t *t)
{
    struct http_loop *h = t->data;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static int on_timer_set(CURLM *m, long timeout_ms, void *userp)
{
    struct http_loop *h = userp;
    (void)m;
    if (timeout_ms < 0)
        uv_timer_stop(&h->timer);
    else
        uv_timer_start(&h->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

static void free_http_loop(uv_handle_t *handle)
{
    free(handle->data);
}

/* Loop teardown (on the loop's thread): no call is in flight any more. */
static void http_loop_free(gk_loop *loop)
{
    struct http_loop *h = loop->http;
    if (!h)
        return;
    loop->http = NULL;
    for (size_t i = 0; i < h->n_easy; i++)
        curl_easy_cleanup(h->easy_pool[i]);
    h->n_easy = 0;
    curl_multi_cleanup(h->multi);
    curl_share_cleanup(h->share);
    uv_timer_stop(&h->timer);
    uv_close((uv_handle_t *)&h->timer, free_http_loop);
}

static struct http_loop *http_loop_get(gk_loop *loop, gk_error *err)
{
    struct http_loop *h = loop->http;
    if (h)
        return h;
    /* The first request of the process loads libcurl (dlopen mode) and initialises it. */
    if (gk__curl_load(err) != GK_OK)
        return NULL;
    h = calloc(1, sizeof(*h));
    if (!h) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory starting the HTTP client");
        return NULL;
    }
    h->loop = loop;
    h->multi = curl_multi_init();
    h->share = curl_share_init();
    if (!h->multi || !h->share) {
        curl_multi_cleanup(h->multi);
        curl_share_cleanup(h->share);
        free(h);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory starting the HTTP client");
        return NULL;
    }
    /* The multi already shares connections and DNS among its handles; TLS sessions are per
     * handle unless shared. One loop, one thread: no lock callbacks needed. */
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    uv_timer_init(&loop->uv, &h->timer);
    h->timer.data = h;
    loop->http = h;
    loop->http_free = http_loop_free;
    return h;
}

/* ---- curl's data callbacks (loop stack) ---- */

static size_t on_write(char *ptr, size_t size, size_t n, void *userdata)
{
    struct call *c = userdata;
    size_t len = size * n;
    if (!c->decided) {
        long code = 0;
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
        c->decided = true;
        c->events = c->parser && code >= 200 && code < 300;
    }
    if (c->events) {
        if (c->pending.len > 0 && c->pending.len + len > GK__HTTP_HIGH_WATER) {
            /* curl keeps these bytes and offers them again after the unpause. */
            c->paused = true;
            wake_call(c);
            return CURL_WRITEFUNC_PAUSE;
        }
        gk_buf_put(&c->pending, ptr, len);
        if (gk_buf_failed(&c->pending)) {
            c->oom = true;
            return CURL_WRITEFUNC_ERROR;
        }
        wake_call(c);
        return len;
    }
    if (len > c->max_body - c->body.len) {
        c->over_body = true;
        return CURL_WRITEFUNC_ERROR;
    }
    gk_buf_put(&c->body, ptr, len);
    if (gk_buf_failed(&c->body)) {
        c->oom = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *userdata)
{
    struct call *c = userdata;
    size_t len = size * n;
    /* A status line starts a response: keep only the last one's headers (after 1xx replies). */
    if (len >= 5 && memcmp(ptr, "HTTP/", 5) == 0) {
        gk_buf_reset(&c->heads);
        return len;
    }
    while (len > 0 && (ptr[len - 1] == '\n' || ptr[len - 1] == '\r'))
        len--;
    if (len == 0)
        return size * n;
    if (c->heads.len + len + 1 > GK__HTTP_HEADERS_CAP) {
        c->over_heads = true;
        return CURL_WRITEFUNC_ERROR;
    }
    gk_buf_put(&c->heads, ptr, len);
    gk_buf_putc(&c->heads, '\n');
    if (gk_buf_failed(&c->heads)) {
        c->oom = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return size * n;
}

/* ---- work the fiber sends to the loop's stack ---- */

static void start_transfer(void *arg)
{
    struct call *c = arg;
    CURLMcode rc = curl_multi_add_handle(c->h->multi, c->easy);
    if (rc == CURLM_OK) {
        c->in_multi = true;
        c->h->inflight++;
    } else {
        c->done = true;
        c->result = rc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    }
}

static void stop_transfer(void *arg)
{
    struct call *c = arg;
    if (c->in_multi) {
        curl_multi_remove_handle(c->h->multi, c->easy);
        c->h->inflight--;
        c->in_multi = false;
    }
}

static void unpause_transfer(void *arg)
{
    struct call *c = arg;
    c->paused = false;
    if (c->in_multi)
        curl_easy_pause(c->easy, CURLPAUSE_CONT);
    /* The unpause may have finished the transfer. */
    check_done(c->h);
}

/* The ctx was cancelled while the fiber was parked on the transfer (loop stack). */
static void call_cancel(gk_waiter *w)
{
    struct call *c = w->data;
    stop_transfer(c);
    c->cancelled = true;
    gk__wake(w);
}

/* ---- the fiber side ---- */

static gk_status on_parsed(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct call *c = arg;
    return c->req->on_event(c->req->on_event_arg, ev, err);
}

/* Cut the pending bytes into events; user callbacks run here, on the fiber. */
static void drain_pending(struct call *c)
{
    gk_buf t = c->work;
    c->work = c->pending;
    c->pending = t;
    gk_buf_reset(&c->pending);
    if (c->cb_status == GK_OK)
        c->cb_status = gk_lines_feed(c->parser, c->work.ptr, c->work.len, &c->cb_err);
    gk_buf_reset(&c->work);
}

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

static gk_status map_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return GK_DEADLINE_EXCEEDED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_FUNCTION_ARGUMENT:
        return GK_INVALID_ARGUMENT;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FILESIZE_EXCEEDED:
    case CURLE_TOO_MANY_REDIRECTS:
        return GK_RESOURCE_EXHAUSTED;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_UNRECOVERABLE_POLL:
    case CURLE_AGAIN:
        return GK_UNAVAILABLE;
    default:
        return GK_UNKNOWN;
    }
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

static bool has_header(const gk_http_request *req, const char *name)
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

static gk_status set_options(struct call *c, gk_error *err)
{
    const gk_http_request *req = c->req;
    CURL *e = c->easy;
    struct curl_slist *l = NULL;
    int64_t connect_ms = req->connect_timeout_ms > 0 ? req->connect_timeout_ms : 10000;
    bool has_body = req->body.ptr || req->body.len;

    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        struct curl_slist *n = curl_slist_append(l, req->headers[i]);
        if (!n)
            goto oom;
        l = n;
    }
    /* No "Expect: 100-continue" round trip, and no form content type invented for a body. */
    const char *extra[] = {"Expect:", has_header(req, "content-type") ? NULL : "Content-Type:"};
    for (size_t i = 0; i < 2; i++) {
        struct curl_slist *n;
        if (!extra[i])
            continue;
        n = curl_slist_append(l, extra[i]);
        if (!n)
            goto oom;
        l = n;
    }
    /* W3C trace context: the upstream call continues the current span's trace. */
    gk__traceparent_fn tp_fn = atomic_load_explicit(&traceparent_source, memory_order_acquire);
    char tp[13 + 56] = "traceparent: ";
    if (tp_fn && !has_header(req, "traceparent") && tp_fn(c->ctx, tp + 13)) {
        struct curl_slist *n = curl_slist_append(l, tp); /* curl copies it */
        if (!n)
            goto oom;
        l = n;
    }
    c->headers = l;

    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)c);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)c);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)c);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SHARE, c->h->share);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "genkit-c/" GK_VERSION);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_ms);
    if (req->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);

    if (strcmp(c->method, "GET") == 0 && !has_body) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(c->method, "HEAD") == 0 && !has_body) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(c->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
        /* Not copied: the body lives until gk_http_fetch returns, after the transfer ended. */
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body.ptr ? req->body.ptr : "");
    }
    return GK_OK;
oom:
    curl_slist_free_all(l);
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory building the request");
}

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
        const char *colon = memchr(s, ':', (size_t)(nl - s));
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

static gk_status build_response(struct call *c, gk_http_response **out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(c->ctx);
    gk_http_response *r = GK_NEW(a, gk_http_response, 1);
    long code = 0;
    char *body;
    if (!r)
        goto oom;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &code);
    r->status = (int)code;
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

/* The call's outcome once the transfer is over and removed. */
static gk_status outcome(struct call *c, gk_http_response **out, gk_error *err)
{
    char where[256];
    gk_status st;
    redact_url(c->req->url, where, sizeof(where));
    if (c->cb_status != GK_OK) {
        if (err)
            *err = c->cb_err;
        return c->cb_status;
    }
    if (!c->done || c->cancelled) {
        st = gk_ctx_status(c->ctx);
        if (st == GK_OK)
            st = GK_CANCELLED;
        return gk_error_set(err, st, "", "%s %s: %s", c->method, where,
                            st == GK_DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled");
    }
    if (c->over_body)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "%s %s: response body larger than %zu bytes", c->method, where,
                            c->max_body);
    if (c->over_heads)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "%s %s: response headers larger than %d bytes", c->method, where,
                            GK__HTTP_HEADERS_CAP);
    if (c->oom)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "%s %s: out of memory", c->method,
                            where);
    if (c->result != CURLE_OK) {
        /* curl's detail names hosts and ports, never headers; drop it if it might quote a URL. */
        const char *detail =
            c->errbuf[0] && !strchr(c->errbuf, '?') ? c->errbuf : curl_easy_strerror(c->result);
        st = map_curl(c->result);
        return gk_error_set(err, st, "", "%s %s: %s (curl %d)", c->method, where, detail,
                            (int)c->result);
    }
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

/* Loop stack: the loop's client (created on first use: loading libcurl, curl_global_init and
 * OpenSSL's set-up are too deep for a fiber stack) and an easy handle. */
static void prepare_call(void *arg)
{
    struct call *c = arg;
    c->h = http_loop_get(gk_ctx_loop(c->ctx), &c->cb_err);
    if (!c->h)
        return;
    c->easy = c->h->n_easy ? c->h->easy_pool[--c->h->n_easy] : curl_easy_init();
    if (!c->easy)
        gk_error_set(&c->cb_err, GK_RESOURCE_EXHAUSTED, "", "out of memory for a transfer");
}

/* Loop stack: the easy handle back to the pool. */
static void release_easy(void *arg)
{
    struct call *c = arg;
    curl_easy_reset(c->easy);
    if (c->h->n_easy < GK__HTTP_EASY_POOL)
        c->h->easy_pool[c->h->n_easy++] = c->easy;
    else
        curl_easy_cleanup(c->easy);
    c->easy = NULL;
}

static void release_call(struct call *c)
{
    /* Never call curl unless it was loaded: a failed load leaves no headers and no handle. */
    if (c->headers)
        curl_slist_free_all(c->headers);
    gk_buf_release(&c->body);
    gk_buf_release(&c->heads);
    gk_buf_release(&c->pending);
    gk_buf_release(&c->work);
    gk_lines_free(c->parser);
    if (c->easy)
        gk__loop_call(release_easy, c);
}

static void run_transfer(struct call *c)
{
    gk__loop_call(start_transfer, c);
    for (;;) {
        if (c->pending.len > 0 && c->cb_status == GK_OK) {
            drain_pending(c);
            continue;
        }
        if (c->done || c->cb_status != GK_OK || gk_ctx_is_cancelled(c->ctx))
            break;
        if (c->paused) {
            gk__loop_call(unpause_transfer, c);
            continue;
        }
        c->w = (gk_waiter){.on_cancel = call_cancel, .data = c};
        c->parked = true;
        gk__park(c->ctx, &c->w);
        c->parked = false;
    }
    /* Aborted by the callback or a cancel noticed outside the park: take it out of the multi
     * (curl closes the half-read connection). */
    if (c->in_multi) {
        gk__loop_call(stop_transfer, c);
        if (!c->done)
            c->cancelled = c->cb_status == GK_OK;
    }
}

gk_status gk_http_fetch(gk_ctx *ctx, const gk_http_request *req, gk_http_response **out,
                        gk_error *err)
{
    struct call c;
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

    memset(&c, 0, sizeof(c));
    c.ctx = ctx;
    c.req = req;
    c.method = method;
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
    gk__loop_call(prepare_call, &c);
    if (!c.easy) {
        st = c.cb_err.status;
        if (err)
            *err = c.cb_err;
        release_call(&c);
        return st;
    }
    st = set_options(&c, err);
    if (st == GK_OK) {
        run_transfer(&c);
        st = outcome(&c, out, err);
    }
    release_call(&c);
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
