/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/flow_handler.c - the Genkit flow protocol inside a request's fiber: run the action
 * on the decoded input and answer {"result": ...} or {"error": {...}} with the status's HTTP code,
 * or, when streaming, an SSE stream of data: {"message": chunk} events ended by a result or error
 * event. Streaming applies backpressure: a flow that produces faster than the client reads waits.
 * A W3C traceparent header makes the flow's root span continue the caller's trace. */
#include <string.h>
#include <strings.h>

#include <genkit/json.h>

#include "base/log.h"
#include "server/server_internal.h"
#include "telemetry/trace.h"

#include "base/banned.h"

/* The status and message a failed flow is reported with. A flow cancelled by the drain tells the
 * client to retry elsewhere. */
static gk_status report_status(const struct gk__srv_request *r, gk_status st, gk_error *err)
{
    if (st == GK_CANCELLED && r->c->sl->drain_cancelled) {
        gk_error_set(err, GK_UNAVAILABLE, "", "server is shutting down");
        return GK_UNAVAILABLE;
    }
    if (!err->message[0])
        gk_error_set(err, st, err->path, "flow failed: %s", gk_status_name(st));
    return st;
}

static void run_plain(struct gk__srv_request *r)
{
    struct gk__srv_conn *c = r->c;
    gk_error err = {0};
    gk_buf *b = gk__srv_buf_get(c->sl);
    if (!b) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return;
    }
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "result");
    gk_status st = gk_action_run_json(r->ctx, r->action, r->input, NULL, NULL, &w, &err);
    gk_jw_object_end(&w);
    r->outcome_set = true; /* for /metrics */
    r->outcome = st;
    if (st == GK_OK && gk_buf_failed(b))
        st = gk_error_set(&err, GK_RESOURCE_EXHAUSTED, "", "flow output larger than %zu bytes",
                          b->cap);
    if (st == GK_OK) {
        gk__srv_send(c, 200, "application/json", b->ptr, b->len, NULL);
    } else if (c->closing) {
        gk__srv_responded(c);
    } else {
        st = report_status(r, st, &err);
        gk__srv_send_error(c, 0, st, err.message, err.path, NULL);
    }
    gk__srv_buf_put(c->sl, b);
}

/* Each chunk is one event, `data: {"message":<chunk>}\n\n`, sent as one HTTP chunk. */
static gk_status on_chunk(const char *json, size_t len, void *arg)
{
    struct gk__srv_request *r = arg;
    struct gk__srv_conn *c = r->c;
    if (c->closing)
        return GK_CANCELLED;
    if (!gk__srv_send_chunk(c, "data: {\"message\":", json, len, "}\n\n", false))
        return GK_CANCELLED;
    while (c->pending_bytes > GK__SRV_HIGH_WATER && !c->closing) {
        gk_waiter w = {0};
        c->writer = &w;
        gk_status st = gk__park(r->ctx, &w);
        c->writer = NULL;
        if (st != GK_OK)
            return st;
    }
    return c->closing ? GK_CANCELLED : GK_OK;
}

static void run_stream(struct gk__srv_request *r)
{
    struct gk__srv_conn *c = r->c;
    struct gk__srv_loop *sl = c->sl;
    const gk__http_request *h = r->http;
    gk_error err = {0};

    /* HTTP/1.0 has no chunked encoding: the stream then ends when the connection closes. */
    r->chunked = h->version_major > 1 || (h->version_major == 1 && h->version_minor >= 1);
    if (!r->chunked)
        r->close_after = true;
    bool close = r->close_after || c->force_close || sl->draining;
    r->close_after = close;
    r->status = 200;
    char head[GK__SRV_HEAD_MAX];
    const char *extra = r->extra_head ? gk_arena_sprintf(r->arena, "Cache-Control: no-cache\r\n%s",
                                                         r->extra_head)
                                      : NULL;
    size_t n = gk__srv_head(sl, head, 200, "text/event-stream", r->chunked ? -1 : -2, close, false,
                            extra ? extra : "Cache-Control: no-cache\r\n");
    uv_buf_t hb = uv_buf_init(head, (unsigned)n);
    gk__srv_write(c, &hb, 1);

    gk_buf *b = gk__srv_buf_get(sl);
    if (!b) {
        gk__srv_responded(c);
        return;
    }
    gk_jw w;
    gk_jw_init(&w, b);
    gk_buf_puts(b, "data: ");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "result");
    gk_status st = gk_action_run_json(r->ctx, r->action, r->input, on_chunk, r, &w, &err);
    gk_jw_object_end(&w);
    r->outcome_set = true; /* for /metrics: a stream's 200 says nothing of how it ended */
    r->outcome = st;
    gk_buf_puts(b, "\n\n");
    if (st == GK_OK && gk_buf_failed(b))
        st = gk_error_set(&err, GK_RESOURCE_EXHAUSTED, "", "flow output larger than %zu bytes",
                          b->cap);
    if (st != GK_OK && !c->closing) {
        st = report_status(r, st, &err);
        if (st == GK_INTERNAL || st == GK_UNKNOWN)
            gk__log(GK_LOG_WARN, "stream failed: %s: %s", gk_status_name(st), err.message);
        gk_buf_reset(b);
        gk_buf_puts(b, "data: ");
        gk__srv_error_json_ex(b, st, err.message, err.path, true);
        gk_buf_puts(b, "\n\n");
    }
    if (!c->closing && !gk_buf_failed(b))
        gk__srv_send_chunk(c, "", b->ptr, b->len, "", true);
    gk__srv_buf_put(sl, b);
    gk__srv_responded(c);
}

/* Continue the caller's trace from a valid traceparent header. An invalid one, or more than one,
 * is ignored (W3C Trace Context: the receiver then starts a new trace). */
static void continue_trace(gk_ctx *ctx, const gk__http_request *h)
{
    const gk__http_header *found = NULL;
    for (size_t i = 0; i < h->header_count; i++) {
        const gk__http_header *hd = &h->headers[i];
        if (hd->name.len != 11 || strncasecmp(hd->name.ptr, "traceparent", 11) != 0)
            continue;
        if (found)
            return;
        found = hd;
    }
    gk__traceparent tp;
    if (found && gk__traceparent_parse(found->value.ptr, found->value.len, &tp))
        gk__trace_continue(ctx, &tp);
}

void gk__srv_run_flow(gk_ctx *ctx, void *arg)
{
    struct gk__srv_request *r = arg;
    continue_trace(ctx, r->http);
    if (r->stream)
        run_stream(r);
    else
        run_plain(r);
}
