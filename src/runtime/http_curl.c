/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_curl.c - the libcurl transport of the HTTP client (http_backend.h): libcurl's
 * multi-socket interface, one CURLM per loop, driven by the loop (uv_poll per socket, one
 * uv_timer), created on first use and released at loop teardown; HTTP/2 over TLS where offered,
 * connections and TLS sessions shared per loop. With curl_dl.c, the only file that uses curl: the
 * curl_* calls below go to the linked library or, in dynamic builds (GK_CURL_DLOPEN), through a
 * table filled when the first request loads libcurl.so.4 (runtime/curl_dl.h). Compiled only when
 * the build has curl (GK_HTTP_CURL).
 *
 * A call parks its fiber; curl's callbacks run on the loop's stack and only copy bytes and wake the
 * fiber. Every curl call a fiber needs (add, remove, unpause) is made on the loop's stack through
 * gk__loop_call, so curl and TLS never run on a small fiber stack nor inside their own callbacks.
 * Streaming: the write callback appends to the call's pending buffer; the fiber cuts it into events
 * (gk__http_drain). When the fiber falls behind (pending over GK__HTTP_HIGH_WATER) the transfer is
 * paused and resumed once the fiber drained it, so memory per call stays bounded.
 * Cancellation while parked removes the easy handle (curl closes the unfinished connection). */
#include "runtime/http_backend.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/curl_dl.h"

#include "base/banned.h"

#define GK__HTTP_EASY_POOL 64 /* idle easy handles kept per loop */

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
 * outlives the transfer: perform removes the handle before returning, whatever happened. */
struct call {
    struct gk__http_call *c;
    struct http_loop *h;
    CURL *easy;
    struct curl_slist *headers;
    gk_waiter w;
    bool parked;     /* the fiber is parked on w now (wake only then) */
    bool in_multi;   /* the easy handle is in the multi */
    bool done;       /* curl reported completion; result is set */
    bool cancelled;  /* removed because ctx was cancelled */
    bool decided;    /* the response code was read at the first body byte */
    bool paused;     /* the write callback returned CURL_WRITEFUNC_PAUSE */
    bool over_body;  /* the body exceeded max_body */
    bool over_heads; /* the headers exceeded GK__HTTP_HEADERS_CAP */
    bool oom;
    CURLcode result;
    gk_error load_err;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- the loop side: sockets, timer, completions ---- */

static void wake_call(struct call *k)
{
    if (k->parked)
        gk__wake(&k->w);
}

static void check_done(struct http_loop *h)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        CURL *e;
        CURLcode rc;
        char *priv = NULL;
        struct call *k;
        if (msg->msg != CURLMSG_DONE)
            continue;
        e = msg->easy_handle;
        rc = msg->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
        k = (struct call *)(void *)priv;
        /* msg is invalid after the remove: everything needed was read above. */
        curl_multi_remove_handle(h->multi, e);
        h->inflight--;
        k->in_multi = false;
        k->result = rc;
        k->done = true;
        wake_call(k);
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
static void curl_loop_free(gk_loop *loop, void *state)
{
    struct http_loop *h = state;
    (void)loop;
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
    void **slot = gk__http_loop_slot(loop, GK__HTTP_CURL);
    struct http_loop *h;
    if (!slot) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory starting the HTTP client");
        return NULL;
    }
    h = *slot;
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
    *slot = h;
    return h;
}

/* ---- curl's data callbacks (loop stack) ---- */

static size_t on_write(char *ptr, size_t size, size_t n, void *userdata)
{
    struct call *k = userdata;
    struct gk__http_call *c = k->c;
    size_t len = size * n;
    if (!k->decided) {
        long code = 0;
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &code);
        k->decided = true;
        c->events = c->parser && code >= 200 && code < 300;
    }
    if (c->events) {
        if (c->pending.len > 0 && c->pending.len + len > GK__HTTP_HIGH_WATER) {
            /* curl keeps these bytes and offers them again after the unpause. */
            k->paused = true;
            wake_call(k);
            return CURL_WRITEFUNC_PAUSE;
        }
        gk_buf_put(&c->pending, ptr, len);
        if (gk_buf_failed(&c->pending)) {
            k->oom = true;
            return CURL_WRITEFUNC_ERROR;
        }
        wake_call(k);
        return len;
    }
    if (len > c->max_body - c->body.len) {
        k->over_body = true;
        return CURL_WRITEFUNC_ERROR;
    }
    gk_buf_put(&c->body, ptr, len);
    if (gk_buf_failed(&c->body)) {
        k->oom = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return len;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *userdata)
{
    struct call *k = userdata;
    struct gk__http_call *c = k->c;
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
        k->over_heads = true;
        return CURL_WRITEFUNC_ERROR;
    }
    gk_buf_put(&c->heads, ptr, len);
    gk_buf_putc(&c->heads, '\n');
    if (gk_buf_failed(&c->heads)) {
        k->oom = true;
        return CURL_WRITEFUNC_ERROR;
    }
    return size * n;
}

/* ---- work the fiber sends to the loop's stack ---- */

static void start_transfer(void *arg)
{
    struct call *k = arg;
    CURLMcode rc = curl_multi_add_handle(k->h->multi, k->easy);
    if (rc == CURLM_OK) {
        k->in_multi = true;
        k->h->inflight++;
    } else {
        k->done = true;
        k->result = rc == CURLM_OUT_OF_MEMORY ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
    }
}

static void stop_transfer(void *arg)
{
    struct call *k = arg;
    if (k->in_multi) {
        curl_multi_remove_handle(k->h->multi, k->easy);
        k->h->inflight--;
        k->in_multi = false;
    }
}

static void unpause_transfer(void *arg)
{
    struct call *k = arg;
    k->paused = false;
    if (k->in_multi)
        curl_easy_pause(k->easy, CURLPAUSE_CONT);
    /* The unpause may have finished the transfer. */
    check_done(k->h);
}

/* The ctx was cancelled while the fiber was parked on the transfer (loop stack). */
static void call_cancel(gk_waiter *w)
{
    struct call *k = w->data;
    stop_transfer(k);
    k->cancelled = true;
    gk__wake(w);
}

/* ---- the fiber side ---- */

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

static gk_status set_options(struct call *k, gk_error *err)
{
    const struct gk__http_call *c = k->c;
    const gk_http_request *req = c->req;
    CURL *e = k->easy;
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
    const char *extra[] = {
        "Expect:", gk__http_has_header(req, "content-type") ? NULL : "Content-Type:",
        c->traceparent};
    for (size_t i = 0; i < 3; i++) {
        struct curl_slist *n;
        if (!extra[i])
            continue;
        n = curl_slist_append(l, extra[i]); /* curl copies it */
        if (!n)
            goto oom;
        l = n;
    }
    k->headers = l;

    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (void *)k);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, (void *)k);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, (void *)k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_SHARE, k->h->share);
    curl_easy_setopt(e, CURLOPT_USERAGENT, GK__HTTP_USER_AGENT);
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

/* The transfer's outcome once it is over and removed. */
static gk_status outcome(struct call *k, gk_error *err)
{
    struct gk__http_call *c = k->c;
    gk_status st;
    if (c->cb_status != GK_OK)
        return c->cb_status; /* the front reports it */
    if (!k->done || k->cancelled)
        return gk__http_ended(c, err);
    if (k->over_body)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "%s %s: response body larger than %zu bytes", c->method, c->where,
                            c->max_body);
    if (k->over_heads)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "%s %s: response headers larger than %d bytes", c->method, c->where,
                            GK__HTTP_HEADERS_CAP);
    if (k->oom)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "%s %s: out of memory", c->method,
                            c->where);
    if (k->result != CURLE_OK) {
        /* curl's detail names hosts and ports, never headers; drop it if it might quote a URL. */
        const char *detail =
            k->errbuf[0] && !strchr(k->errbuf, '?') ? k->errbuf : curl_easy_strerror(k->result);
        st = map_curl(k->result);
        return gk_error_set(err, st, "", "%s %s: %s (curl %d)", c->method, c->where, detail,
                            (int)k->result);
    }
    {
        long code = 0;
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &code);
        c->status = (int)code;
    }
    return GK_OK;
}

/* Loop stack: the loop's client (created on first use: loading libcurl, curl_global_init and
 * OpenSSL's set-up are too deep for a fiber stack) and an easy handle. */
static void prepare_call(void *arg)
{
    struct call *k = arg;
    k->h = http_loop_get(gk_ctx_loop(k->c->ctx), &k->load_err);
    if (!k->h)
        return;
    k->easy = k->h->n_easy ? k->h->easy_pool[--k->h->n_easy] : curl_easy_init();
    if (!k->easy)
        gk_error_set(&k->load_err, GK_RESOURCE_EXHAUSTED, "", "out of memory for a transfer");
}

/* Loop stack: the easy handle back to the pool. */
static void release_easy(void *arg)
{
    struct call *k = arg;
    curl_easy_reset(k->easy);
    if (k->h->n_easy < GK__HTTP_EASY_POOL)
        k->h->easy_pool[k->h->n_easy++] = k->easy;
    else
        curl_easy_cleanup(k->easy);
    k->easy = NULL;
}

static void run_transfer(struct call *k)
{
    struct gk__http_call *c = k->c;
    gk__loop_call(start_transfer, k);
    for (;;) {
        if (c->pending.len > 0 && c->cb_status == GK_OK) {
            gk__http_drain(c);
            continue;
        }
        if (k->done || c->cb_status != GK_OK || gk_ctx_is_cancelled(c->ctx))
            break;
        if (k->paused) {
            gk__loop_call(unpause_transfer, k);
            continue;
        }
        k->w = (gk_waiter){.on_cancel = call_cancel, .data = k};
        k->parked = true;
        gk__park(c->ctx, &k->w);
        k->parked = false;
    }
    /* Aborted by the callback or a cancel noticed outside the park: take it out of the multi
     * (curl closes the half-read connection). */
    if (k->in_multi) {
        gk__loop_call(stop_transfer, k);
        if (!k->done)
            k->cancelled = c->cb_status == GK_OK;
    }
}

static gk_status curl_perform(struct gk__http_call *c, gk_error *err)
{
    struct call k;
    gk_status st;
    memset(&k, 0, sizeof(k));
    k.c = c;
    gk__loop_call(prepare_call, &k);
    if (!k.easy) {
        if (err)
            *err = k.load_err;
        return k.load_err.status;
    }
    st = set_options(&k, err);
    if (st == GK_OK) {
        run_transfer(&k);
        st = outcome(&k, err);
    }
    /* Never call curl unless it was loaded: a failed load leaves no headers and no handle. */
    if (k.headers)
        curl_slist_free_all(k.headers);
    gk__loop_call(release_easy, &k);
    return st;
}

const struct gk__http_backend gk__http_curl_backend = {
    .name = "curl",
    .perform = curl_perform,
    .loop_free = curl_loop_free,
};
