/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/response.c - what responses look like: status line and headers built in one stack
 * buffer (with the loop's preformatted Date), JSON error bodies in Genkit's shape, SSE events in
 * HTTP chunks, and the per-request log line. Bytes go out through gk__srv_write (conn.c). */
#include <stdio.h>
#include <string.h>

#include <genkit/json.h>

#include "base/log.h"
#include "server/server_internal.h"

#include "base/banned.h"

const char *gk__srv_reason(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 499:
        return "Client Closed Request";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status < 500 ? "Client Error" : "Server Error";
    }
}

/* A bounded builder for response heads: appends past the end are dropped (heads are built only
 * from our own constants and numbers, far below GK__SRV_HEAD_MAX). */
struct head {
    char *p;
    size_t len;
};

static void put(struct head *h, const char *s, size_t n)
{
    if (h->len + n > GK__SRV_HEAD_MAX - 1)
        return;
    memcpy(h->p + h->len, s, n);
    h->len += n;
}

static void puts_(struct head *h, const char *s)
{
    put(h, s, strlen(s));
}

static void put_u64(struct head *h, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(h, tmp + i, sizeof(tmp) - i);
}

size_t gk__srv_head(const struct gk__srv_loop *sl, char *dst, int status, const char *content_type,
                    int64_t content_length, bool close, bool keep_alive_10, const char *extra)
{
    struct head h = {dst, 0};
    put(&h, "HTTP/1.1 ", 9);
    put_u64(&h, (uint64_t)status);
    put(&h, " ", 1);
    puts_(&h, gk__srv_reason(status));
    put(&h, "\r\n", 2);
    put(&h, sl->date, sl->date_len);
    if (content_type) {
        put(&h, "Content-Type: ", 14);
        puts_(&h, content_type);
        put(&h, "\r\n", 2);
    }
    if (content_length >= 0) {
        put(&h, "Content-Length: ", 16);
        put_u64(&h, (uint64_t)content_length);
        put(&h, "\r\n", 2);
    } else if (content_length == -1) {
        put(&h, "Transfer-Encoding: chunked\r\n", 28);
    }
    if (close)
        put(&h, "Connection: close\r\n", 19);
    else if (keep_alive_10)
        put(&h, "Connection: keep-alive\r\n", 24);
    if (extra)
        puts_(&h, extra);
    put(&h, "\r\n", 2);
    return h.len;
}

void gk__srv_send(struct gk__srv_conn *c, int status, const char *content_type, const char *body,
                  size_t len, const char *extra)
{
    struct gk__srv_request *r = c->req;
    char head[GK__SRV_HEAD_MAX];
    bool close = r->close_after || c->force_close || c->sl->draining;
    bool ka10 = r->http->version_major == 1 && r->http->version_minor == 0;
    r->close_after = close;
    r->status = status;
    if (!extra)
        extra = r->extra_head; /* CORS lines (router.c passes them itself when it adds others) */
    size_t n = gk__srv_head(c->sl, head, status, content_type, (int64_t)len, close, ka10, extra);
    uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)n), uv_buf_init((char *)body, (unsigned)len)};
    gk__srv_write(c, bufs, (r->head_only || len == 0) ? 1 : 2);
    gk__srv_responded(c); /* may end the request and free its arena: last */
}

void gk__srv_error_json(gk_buf *b, gk_status status, const char *message, const char *path)
{
    gk__srv_error_json_ex(b, status, message, path, false);
}

void gk__srv_error_json_ex(gk_buf *b, gk_status status, const char *message, const char *path,
                           bool text_details)
{
    gk_jw w;
    gk_jw_init(&w, b);
    if (status == GK_INTERNAL || status == GK_UNKNOWN)
        message = "Internal Error"; /* never leak internals; the log has the real message */
    if (!message || !*message)
        message = gk_status_name(status);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "error");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "status");
    gk_jw_string(&w, gk_status_name(status));
    gk_jw_key(&w, "message");
    gk_jw_string(&w, message);
    if (path && *path && status != GK_INTERNAL && status != GK_UNKNOWN) {
        gk_jw_key(&w, "details");
        if (text_details) {
            gk_buf d = GK_BUF_INIT(sizeof(((gk_error *)0)->path) + 16);
            gk_buf_printf(&d, "path: %s", path);
            gk_jw_string(&w, d.ptr ? d.ptr : "");
            gk_buf_release(&d);
        } else {
            gk_jw_object_begin(&w);
            gk_jw_key(&w, "path");
            gk_jw_string(&w, path);
            gk_jw_object_end(&w);
        }
    }
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
}

void gk__srv_send_error(struct gk__srv_conn *c, int http, gk_status status, const char *message,
                        const char *path, const char *extra)
{
    static const char fallback[] =
        "{\"error\":{\"status\":\"RESOURCE_EXHAUSTED\",\"message\":\"out of memory\"}}";
    if (!http)
        http = gk_status_http(status);
    if (status == GK_INTERNAL || status == GK_UNKNOWN)
        gk__log(GK_LOG_WARN, "request failed: %s: %s", gk_status_name(status),
                message ? message : "");
    gk_buf *b = gk__srv_buf_get(c->sl);
    if (b)
        gk__srv_error_json(b, status, message, path);
    if (!b || gk_buf_failed(b))
        gk__srv_send(c, http, "application/json", fallback, sizeof(fallback) - 1, extra);
    else
        gk__srv_send(c, http, "application/json", b->ptr, b->len, extra);
    gk__srv_buf_put(c->sl, b);
}

static gk_status status_for_http(int http)
{
    switch (http) {
    case 408:
        return GK_DEADLINE_EXCEEDED;
    case 413:
    case 431:
        return GK_RESOURCE_EXHAUSTED;
    case 501:
        return GK_UNIMPLEMENTED;
    case 503:
        return GK_UNAVAILABLE;
    case 500:
        return GK_INTERNAL;
    default:
        return GK_INVALID_ARGUMENT;
    }
}

void gk__srv_send_parse_error(struct gk__srv_conn *c, int http, const char *message)
{
    const gk_server *s = c->sl->s;
    char msg[160];
    if (http == 413)
        snprintf(msg, sizeof(msg), "request body larger than %zu bytes", s->limits.max_body_bytes);
    else if (http == 431)
        snprintf(msg, sizeof(msg), "%s (limit %zu bytes, %zu fields)",
                 message ? message : "request header fields too large",
                 s->limits.max_header_bytes, s->limits.max_headers);
    else if (http == 400)
        snprintf(msg, sizeof(msg), "malformed HTTP request: %s", message ? message : "");
    else
        snprintf(msg, sizeof(msg), "%s", message ? message : gk__srv_reason(http));

    char head[GK__SRV_HEAD_MAX];
    gk_buf *b = gk__srv_buf_get(c->sl);
    if (b) {
        gk__srv_error_json(b, status_for_http(http), msg, NULL);
        if (!gk_buf_failed(b)) {
            size_t n = gk__srv_head(c->sl, head, http, "application/json", (int64_t)b->len, true,
                                    false, NULL);
            uv_buf_t bufs[2] = {uv_buf_init(head, (unsigned)n), uv_buf_init(b->ptr, (unsigned)b->len)};
            gk__srv_write(c, bufs, 2);
        }
        gk__srv_buf_put(c->sl, b);
    }
    if (!s->quiet && gk__log_enabled(GK_LOG_INFO)) {
        char status[16];
        snprintf(status, sizeof(status), "%d", http);
        const gk__http_request *req = c->hp.req;
        char path[256] = "-";
        if (req && c->hp.head_done && req->path.ptr) {
            size_t pl = req->path.len < sizeof(path) - 1 ? req->path.len : sizeof(path) - 1;
            memcpy(path, req->path.ptr, pl);
            path[pl] = '\0';
        }
        const char *kv[] = {"method", req && req->method_name ? req->method_name : "-",
                            "path", path, "status", status, "error", msg, NULL};
        gk__log_kv(GK_LOG_INFO, "request rejected", kv);
    }
    gk__srv_linger(c);
}

bool gk__srv_send_chunk(struct gk__srv_conn *c, const char *prefix, const char *body, size_t len,
                        const char *suffix, bool last)
{
    struct gk__srv_request *r = c->req;
    size_t pl = strlen(prefix);
    size_t sl = strlen(suffix);
    size_t size = pl + len + sl;
    char hex[24];
    uv_buf_t bufs[6];
    unsigned n = 0;
    if (r->chunked && size) {
        int hn = snprintf(hex, sizeof(hex), "%zx\r\n", size);
        bufs[n++] = uv_buf_init(hex, (unsigned)hn);
    }
    if (pl)
        bufs[n++] = uv_buf_init((char *)prefix, (unsigned)pl);
    if (len)
        bufs[n++] = uv_buf_init((char *)body, (unsigned)len);
    if (sl)
        bufs[n++] = uv_buf_init((char *)suffix, (unsigned)sl);
    if (r->chunked && size)
        bufs[n++] = uv_buf_init((char *)"\r\n", 2);
    if (r->chunked && last)
        bufs[n++] = uv_buf_init((char *)"0\r\n\r\n", 5);
    return gk__srv_write(c, bufs, n);
}

void gk__srv_log_request(const struct gk__srv_conn *c, const struct gk__srv_request *r)
{
    const gk_server *s = c->sl->s;
    if (s->quiet || !gk__log_enabled(GK_LOG_INFO))
        return;
    char status[16];
    char dur[32];
    char bytes[32];
    char path[256];
    uint64_t ns = uv_hrtime() - r->start_ns;
    snprintf(status, sizeof(status), "%d", r->status);
    snprintf(dur, sizeof(dur), "%.3f", (double)ns / 1e6);
    snprintf(bytes, sizeof(bytes), "%zu", r->bytes_out);
    size_t pl = r->http->path.len < sizeof(path) - 1 ? r->http->path.len : sizeof(path) - 1;
    memcpy(path, r->http->path.ptr, pl);
    path[pl] = '\0';
    const char *kv[] = {"method", r->http->method_name, "path", path, "status", status,
                        "duration_ms", dur, "bytes", bytes, NULL};
    gk__log_kv(GK_LOG_INFO, "request", kv);
}
