/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/conn.c - client connections on a loop: accept (with the connection limit), reads into
 * pooled buffers, driving the request parser one request at a time (pipelining-safe), writes that
 * try the socket first and queue a copy only for what does not fit, deadlines (head, body, idle,
 * write stall) checked by one sweep timer per loop, lingering close, and the drain.
 * Not here: what a request means (router.c) or how responses look (response.c). */
#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "base/log.h"
#include "server/server_internal.h"

#include "base/banned.h"

#define BUF_POOL_KEEP_BYTES (256 * 1024) /* pooled response buffers larger than this are freed */
#define WREQ_KEEP_BYTES     (64 * 1024)  /* pooled write copies larger than this are freed */
#define DRAIN_HARD_MS       2000          /* after cancelling, close whatever is still open */

static void process(struct gk__srv_conn *c);
static void update_reading(struct gk__srv_conn *c);
static void request_maybe_end(struct gk__srv_conn *c);

/* ---- pools: the hot path reuses memory instead of calling malloc per read or response ---- */

static char *rbuf_get(struct gk__srv_loop *sl)
{
    if (sl->n_free_bufs)
        return sl->free_bufs[--sl->n_free_bufs];
    return malloc(GK__SRV_READ_BUF);
}

static void rbuf_put(struct gk__srv_loop *sl, char *b)
{
    if (sl->free_bufs && sl->n_free_bufs < GK__SRV_POOL_MAX)
        sl->free_bufs[sl->n_free_bufs++] = b;
    else
        free(b);
}

gk_buf *gk__srv_buf_get(struct gk__srv_loop *sl)
{
    gk_buf *b;
    if (sl->n_free_gkbufs) {
        b = sl->free_gkbufs[--sl->n_free_gkbufs];
    } else {
        b = malloc(sizeof(*b));
        if (!b)
            return NULL;
        *b = GK_BUF_INIT(0);
    }
    b->cap = sl->s->request_memory;
    return b;
}

void gk__srv_buf_put(struct gk__srv_loop *sl, gk_buf *b)
{
    if (!b)
        return;
    gk_buf_reset(b);
    if (b->alloc <= BUF_POOL_KEEP_BYTES && sl->free_gkbufs && sl->n_free_gkbufs < GK__SRV_POOL_MAX) {
        sl->free_gkbufs[sl->n_free_gkbufs++] = b;
        return;
    }
    gk_buf_release(b);
    free(b);
}

static struct gk__srv_wreq *wreq_get(struct gk__srv_loop *sl, size_t len)
{
    struct gk__srv_wreq *w = sl->free_wreqs;
    if (w) {
        sl->free_wreqs = w->next;
        sl->n_free_wreqs--;
    } else {
        w = calloc(1, sizeof(*w));
        if (!w)
            return NULL;
    }
    if (w->cap < len) {
        char *d = realloc(w->data, len);
        if (!d) {
            free(w->data);
            free(w);
            return NULL;
        }
        w->data = d;
        w->cap = len;
    }
    w->len = len;
    w->next = NULL;
    return w;
}

static void wreq_put(struct gk__srv_loop *sl, struct gk__srv_wreq *w)
{
    if (sl->n_free_wreqs < GK__SRV_POOL_MAX && w->cap <= WREQ_KEEP_BYTES) {
        w->next = sl->free_wreqs;
        sl->free_wreqs = w;
        sl->n_free_wreqs++;
        return;
    }
    free(w->data);
    free(w);
}

/* ---- connection lifetime ---- */

static struct gk__srv_conn *conn_new(struct gk__srv_loop *sl)
{
    struct gk__srv_conn *c = sl->free_conns;
    if (c) {
        sl->free_conns = c->next;
        sl->n_free_conns--;
    } else {
        c = malloc(sizeof(*c));
        if (!c)
            return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->sl = sl;
    c->refs = 1;
    c->state = GK__CONN_IDLE;
    gk__http_parser_init(&c->hp, &sl->s->limits);
    c->next = sl->conns;
    if (sl->conns)
        sl->conns->prev = c;
    sl->conns = c;
    sl->nconns++;
    return c;
}

static void conn_free(struct gk__srv_conn *c)
{
    struct gk__srv_loop *sl = c->sl;
    if (c->arena)
        gk_arena_free(c->arena);
    if (c->in)
        rbuf_put(sl, c->in);
    if (c->prev)
        c->prev->next = c->next;
    else
        sl->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    sl->nconns--;
    if (sl->n_free_conns < GK__SRV_POOL_MAX) {
        c->next = sl->free_conns;
        sl->free_conns = c;
        sl->n_free_conns++;
    } else {
        free(c);
    }
    gk__srv_loop_check_done(sl);
}

static void conn_unref(struct gk__srv_conn *c)
{
    if (--c->refs == 0)
        conn_free(c);
}

static void on_close(uv_handle_t *h)
{
    struct gk__srv_conn *c = h->data;
    if (c->counted) {
        atomic_fetch_sub(&c->sl->s->connections, 1);
        c->counted = false;
    }
    conn_unref(c);
}

void gk__srv_abort(struct gk__srv_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
    /* The client is gone (or must be let go): stop the work done on its behalf. */
    if (c->req && c->req->fiber_running && c->req->ctx)
        gk_ctx_cancel(c->req->ctx, GK_CANCELLED);
    uv_close((uv_handle_t *)&c->tcp, on_close);
    request_maybe_end(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct gk__srv_conn *c = req->data;
    if (status < 0)
        gk__srv_abort(c);
}

void gk__srv_linger(struct gk__srv_conn *c)
{
    if (c->closing || c->state == GK__CONN_LINGER)
        return;
    c->state = GK__CONN_LINGER;
    c->deadline = (int64_t)uv_now(c->sl->uv) + GK__SRV_LINGER_MS;
    c->in_len = 0;
    if (!c->req && c->arena) {
        gk_arena_free(c->arena);
        c->arena = NULL;
    }
    /* Send FIN after the queued response, then keep reading (and dropping) what the client still
     * sends: closing with unread input would reset the connection and could destroy the response
     * before the client read it. */
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        gk__srv_abort(c);
        return;
    }
    update_reading(c);
}

/* ---- requests ---- */

static void request_end(struct gk__srv_conn *c)
{
    struct gk__srv_loop *sl = c->sl;
    struct gk__srv_request *r = c->req;
    if (c->closing && !r->responded)
        r->status = 499; /* nginx's "client closed request", for the log */
    gk__srv_log_request(c, r);
    bool close = r->close_after;
    c->req = NULL;
    gk_arena_free(c->arena);
    c->arena = NULL;
    if (c->closing)
        return;
    if (close || sl->draining) {
        gk__srv_linger(c);
        return;
    }
    c->state = GK__CONN_IDLE;
    c->deadline = (int64_t)uv_now(sl->uv) + sl->s->idle_timeout_ms;
    c->continue_sent = false;
    if (!c->in_process)
        process(c);
}

static void request_maybe_end(struct gk__srv_conn *c)
{
    struct gk__srv_request *r = c->req;
    if (!r || r->fiber_running)
        return;
    if (!c->closing && (!r->responded || c->pending_writes > 0))
        return;
    request_end(c);
}

void gk__srv_responded(struct gk__srv_conn *c)
{
    if (!c->req)
        return;
    c->req->responded = true;
    request_maybe_end(c);
}

void gk__srv_fiber_done(void *arg)
{
    struct gk__srv_request *r = arg;
    struct gk__srv_conn *c = r->c;
    r->fiber_running = false;
    c->sl->requests_running--;
    request_maybe_end(c); /* may free r */
    conn_unref(c);
}

/* ---- writing ---- */

static void on_write(uv_write_t *req, int status)
{
    struct gk__srv_wreq *w = (struct gk__srv_wreq *)req;
    struct gk__srv_conn *c = w->c;
    struct gk__srv_loop *sl = c->sl;
    c->pending_writes--;
    c->pending_bytes -= w->len;
    wreq_put(sl, w);
    if (status < 0) {
        gk__srv_abort(c);
        return;
    }
    c->write_progress = (int64_t)uv_now(sl->uv);
    if (c->writer && c->pending_bytes <= GK__SRV_LOW_WATER)
        gk__wake(c->writer);
    request_maybe_end(c);
}

bool gk__srv_write(struct gk__srv_conn *c, const uv_buf_t *bufs, unsigned n)
{
    if (c->closing)
        return false;
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += bufs[i].len;
    if (c->req)
        c->req->bytes_out += total;
    if (total == 0)
        return true;

    size_t done = 0;
    if (c->pending_writes == 0) {
        /* Write now: most responses fit in the socket buffer, so nothing is copied or queued. */
        int rc = uv_try_write((uv_stream_t *)&c->tcp, bufs, n);
        if (rc >= 0) {
            done = (size_t)rc;
        } else if (rc != UV_EAGAIN) {
            gk__srv_abort(c);
            return false;
        }
        if (done == total) {
            c->write_progress = (int64_t)uv_now(c->sl->uv);
            return true;
        }
    }

    size_t rest = total - done;
    struct gk__srv_wreq *w = wreq_get(c->sl, rest);
    if (!w) {
        gk__srv_abort(c);
        return false;
    }
    size_t skip = done;
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t len = bufs[i].len;
        if (skip >= len) {
            skip -= len;
            continue;
        }
        memcpy(w->data + at, bufs[i].base + skip, len - skip);
        at += len - skip;
        skip = 0;
    }
    w->c = c;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)rest);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        wreq_put(c->sl, w);
        gk__srv_abort(c);
        return false;
    }
    if (c->pending_writes == 0)
        c->write_progress = (int64_t)uv_now(c->sl->uv);
    c->pending_writes++;
    c->pending_bytes += rest;
    return true;
}

/* ---- reading and parsing ---- */

static void release_input(struct gk__srv_conn *c)
{
    if (c->in && c->in_len == 0) {
        rbuf_put(c->sl, c->in);
        c->in = NULL;
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct gk__srv_conn *c = h->data;
    (void)suggested;
    if (!c->in) {
        c->in = rbuf_get(c->sl);
        c->in_len = 0;
    }
    if (!c->in || c->in_len >= GK__SRV_READ_BUF) {
        *buf = uv_buf_init(NULL, 0); /* read_cb gets UV_ENOBUFS */
        return;
    }
    *buf = uv_buf_init(c->in + c->in_len, (unsigned)(GK__SRV_READ_BUF - c->in_len));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct gk__srv_conn *c = stream->data;
    (void)buf;
    if (nread < 0) {
        /* EOF or an error: the client is gone. A running flow is cancelled by the abort. */
        gk__srv_abort(c);
        return;
    }
    if (nread > 0) {
        if (c->state == GK__CONN_LINGER) {
            c->in_len = 0;
        } else {
            c->in_len += (size_t)nread;
            process(c);
        }
    }
    if (!c->closing) {
        release_input(c);
        update_reading(c);
    }
}

static void update_reading(struct gk__srv_conn *c)
{
    /* Keep reading while a request runs (to see the client leave) unless the buffer is full of
     * pipelined input: then the socket applies backpressure until this request is answered. */
    bool want = !c->closing && c->in_len < GK__SRV_READ_BUF;
    if (want && !c->reading) {
        if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
            c->reading = true;
        else
            gk__srv_abort(c);
    } else if (!want && c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = false;
    }
}

static void consume(struct gk__srv_conn *c, size_t used)
{
    if (used >= c->in_len) {
        c->in_len = 0;
        return;
    }
    if (used) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
}

static void advance_state(struct gk__srv_conn *c)
{
    gk_server *s = c->sl->s;
    int64_t now = (int64_t)uv_now(c->sl->uv);
    if (c->state == GK__CONN_IDLE && gk__http_started(&c->hp)) {
        c->state = GK__CONN_HEAD;
        c->deadline = now + s->header_timeout_ms;
    }
    if (c->state == GK__CONN_HEAD && c->hp.head_done) {
        c->state = GK__CONN_BODY;
        c->deadline = now + s->body_timeout_ms;
        if (c->hp.req->expect_continue && !c->continue_sent) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            uv_buf_t b = uv_buf_init((char *)cont, sizeof(cont) - 1);
            c->continue_sent = true;
            gk__srv_write(c, &b, 1);
        }
    }
}

static void start_request(struct gk__srv_conn *c)
{
    struct gk__srv_loop *sl = c->sl;
    struct gk__srv_request *r = GK_NEW(c->arena, struct gk__srv_request, 1);
    if (!r) {
        gk__srv_send_parse_error(c, 503, "out of memory");
        return;
    }
    r->c = c;
    r->http = c->hp.req;
    r->arena = c->arena;
    r->start_ns = uv_hrtime();
    r->head_only = r->http->method == GK__HTTP_HEAD;
    r->close_after = !r->http->keep_alive || c->force_close || sl->draining;
    c->req = r;
    c->state = GK__CONN_BUSY;
    c->deadline = 0;
    gk__srv_dispatch(c);
}

static void process(struct gk__srv_conn *c)
{
    if (c->in_process)
        return;
    c->in_process = true;
    while (!c->closing && c->in_len > 0 &&
           (c->state == GK__CONN_IDLE || c->state == GK__CONN_HEAD || c->state == GK__CONN_BODY)) {
        if (!c->arena) {
            c->arena = gk_arena_new(c->sl->s->request_memory);
            if (!c->arena) {
                gk__srv_send_parse_error(c, 503, "out of memory");
                break;
            }
            gk__http_begin(&c->hp, c->arena);
        }
        size_t used = 0;
        gk__http_result res = gk__http_feed(&c->hp, c->in, c->in_len, &used);
        consume(c, used);
        if (res == GK__HTTP_MORE) {
            advance_state(c);
            break;
        }
        if (res == GK__HTTP_ERROR) {
            gk__srv_send_parse_error(c, c->hp.error_status, c->hp.error_message);
            break;
        }
        start_request(c); /* may answer at once, leaving the state IDLE for the next request */
    }
    c->in_process = false;
    if (!c->closing) {
        release_input(c);
        update_reading(c);
    }
}

/* ---- accepting ---- */

void gk__srv_on_connection(uv_stream_t *listener, int status)
{
    struct gk__srv_loop *sl = listener->data;
    gk_server *s = sl->s;
    if (status < 0) {
        gk__log(GK_LOG_WARN, "accept failed: %s", uv_strerror(status));
        return;
    }
    struct gk__srv_conn *c = conn_new(sl);
    if (!c) {
        gk__log(GK_LOG_ERROR, "out of memory accepting a connection");
        return;
    }
    uv_tcp_init(sl->uv, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        gk__srv_abort(c);
        return;
    }
    c->counted = true;
    int n = atomic_fetch_add(&s->connections, 1) + 1;
    if (n > s->max_connections || sl->draining) {
        /* Over the limit: say so and close, instead of letting the client wait in the backlog. */
        static const char busy[] =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            "Content-Length: 72\r\nConnection: close\r\n\r\n"
            "{\"error\":{\"status\":\"UNAVAILABLE\",\"message\":\"too many open connections\"}}";
        uv_buf_t b = uv_buf_init((char *)busy, sizeof(busy) - 1);
        atomic_fetch_add(&s->rejected, 1);
        (void)uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
        gk__srv_abort(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->deadline = (int64_t)uv_now(sl->uv) + s->header_timeout_ms;
    update_reading(c);
}

/* ---- timers and drain ---- */

static void on_timeout(struct gk__srv_conn *c)
{
    switch (c->state) {
    case GK__CONN_HEAD:
    case GK__CONN_BODY:
        gk__srv_send_parse_error(c, 408, "request not received in time");
        break;
    case GK__CONN_IDLE:
    case GK__CONN_LINGER:
    case GK__CONN_BUSY:
        gk__srv_abort(c);
        break;
    }
}

void gk__srv_sweep(uv_timer_t *t)
{
    struct gk__srv_loop *sl = t->data;
    gk_server *s = sl->s;
    int64_t now = (int64_t)uv_now(sl->uv);

    gk__srv_update_date(sl);
    if (sl->draining && !sl->drain_cancelled &&
        (now >= sl->drain_deadline || atomic_load(&s->force))) {
        /* Grace is over: cancel the flows still running; they answer 503 and the loop ends. */
        sl->drain_cancelled = true;
        sl->drain_deadline = now;
        if (sl->requests_running)
            gk__log(GK_LOG_WARN, "drain: cancelling %zu in-flight requests", sl->requests_running);
        for (struct gk__srv_conn *c = sl->conns; c; c = c->next) {
            if (c->closing)
                continue;
            if (c->req && c->req->fiber_running && c->req->ctx)
                gk_ctx_cancel(c->req->ctx, GK_CANCELLED);
            else if (c->state != GK__CONN_BUSY)
                gk__srv_abort(c);
        }
    }
    bool hard = sl->drain_cancelled && now >= sl->drain_deadline + DRAIN_HARD_MS;
    struct gk__srv_conn *next;
    for (struct gk__srv_conn *c = sl->conns; c; c = next) {
        next = c->next; /* aborting never frees synchronously, but keep the walk robust */
        if (c->closing)
            continue;
        if (hard)
            gk__srv_abort(c);
        else if (c->deadline && now >= c->deadline)
            on_timeout(c);
        else if (c->pending_writes && now - c->write_progress >= s->write_timeout_ms)
            gk__srv_abort(c); /* a client that does not read its response */
    }
}

void gk__srv_loop_drain(struct gk__srv_loop *sl)
{
    if (sl->draining)
        return;
    sl->draining = true;
    sl->drain_deadline = (int64_t)uv_now(sl->uv) + sl->s->drain_timeout_ms;
    if (sl->listening) {
        uv_close((uv_handle_t *)&sl->listener, NULL);
        sl->listening = false;
    }
    for (struct gk__srv_conn *c = sl->conns; c; c = c->next) {
        if (c->closing)
            continue;
        c->force_close = true;
        if (c->req)
            c->req->close_after = true;
        if (c->state == GK__CONN_IDLE && c->in_len == 0)
            gk__srv_abort(c);
    }
    gk__srv_loop_check_done(sl);
}

void gk__srv_loop_check_done(struct gk__srv_loop *sl)
{
    if (!sl->draining || sl->finished || sl->nconns > 0)
        return;
    sl->finished = true;
    if (sl->sweep_on) {
        uv_close((uv_handle_t *)&sl->sweep, NULL);
        sl->sweep_on = false;
    }
    if (sl->signals_on) {
        uv_close((uv_handle_t *)&sl->sigint, NULL);
        uv_close((uv_handle_t *)&sl->sigterm, NULL);
        sl->signals_on = false;
    }
}

void gk__srv_update_date(struct gk__srv_loop *sl)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now == sl->date_sec && sl->date_len)
        return;
    gk__utc u = gk__utc_from_unix((int64_t)now);
    if (u.year < 0 || u.year > 9999)
        return;
    int n = snprintf(sl->date, sizeof(sl->date), "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
                     days[u.weekday], u.day, months[u.month - 1], (int)u.year, u.hour, u.minute,
                     u.second);
    if (n > 0 && (size_t)n < sizeof(sl->date)) {
        sl->date_len = (size_t)n;
        sl->date_sec = now;
    }
}
