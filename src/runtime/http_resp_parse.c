/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_resp_parse.c - the native HTTP client's response parser (see the header):
 * libhttp-parser 2.9 in HTTP_RESPONSE mode behind our types. It pauses itself at the end of the
 * final response, which is how the caller learns where the response ended. */
#include "runtime/http_resp_parse.h"

#include <http_parser.h>
#include <string.h>

#include "base/banned.h"

_Static_assert(sizeof(http_parser) <= GK__HTTP_RESP_IMPL_SIZE, "GK__HTTP_RESP_IMPL_SIZE too small");
_Static_assert(_Alignof(http_parser) <= 16, "http_parser alignment");

static http_parser *impl(gk__http_resp *p)
{
    return (http_parser *)(void *)p->impl;
}

static gk__http_resp *owner(http_parser *hp)
{
    return hp->data;
}

/* Append to the header lines; false (stop) once they no longer fit. */
static int put_head(gk__http_resp *p, const char *at, size_t len)
{
    gk_buf_put(p->heads, at, len);
    if (gk_buf_failed(p->heads)) {
        p->heads_full = true;
        return -1;
    }
    return 0;
}

static int on_message_begin(http_parser *hp)
{
    gk__http_resp *p = owner(hp);
    /* Each response (an interim 1xx one, then the final one) starts with empty header lines. */
    gk_buf_reset(p->heads);
    p->in_value = false;
    p->started = true;
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    gk__http_resp *p = owner(hp);
    /* A field after a value starts a new line; fields in a row are pieces of one name. */
    if (p->in_value && put_head(p, "\n", 1) != 0)
        return -1;
    p->in_value = false;
    return put_head(p, at, len);
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    gk__http_resp *p = owner(hp);
    if (!p->in_value && put_head(p, ": ", 2) != 0)
        return -1;
    p->in_value = true;
    return put_head(p, at, len);
}

static int on_headers_complete(http_parser *hp)
{
    gk__http_resp *p = owner(hp);
    int code = (int)hp->status_code;
    if (p->in_value && put_head(p, "\n", 1) != 0)
        return -1;
    p->in_value = false;
    if (code < 100) {
        p->error = "invalid status code"; /* http_parser takes 1 to 3 digits */
        return -1;
    }
    if (code == 101) {
        p->error = "the server switched protocols (101)";
        return -1;
    }
    if (code >= 100 && code < 200)
        return 1; /* interim: it ends with its head (whatever it says), the final one follows */
    p->status = code;
    if (p->sink.on_head && !p->sink.on_head(p->sink.arg, code)) {
        p->stopped = true;
        return -1;
    }
    return p->no_body ? 1 : 0; /* 1: no body follows (HEAD, CONNECT) */
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    gk__http_resp *p = owner(hp);
    if (p->status == 0)
        return 0; /* not the final response's (cannot happen: interim heads skip their body) */
    if (len && p->sink.on_body && !p->sink.on_body(p->sink.arg, at, len)) {
        p->stopped = true;
        return -1;
    }
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    gk__http_resp *p = owner(hp);
    if (p->status == 0)
        return 0; /* an interim response ended: go on with the next one */
    /* Trailers of a chunked body came as more header lines (curl hands them over too). */
    if (p->in_value && put_head(p, "\n", 1) != 0)
        return -1;
    p->in_value = false;
    p->complete = true;
    /* HTTP/1.0 keep-alive is an opt-in extension that proxies get wrong: never reused. */
    p->keep_alive = http_should_keep_alive(hp) != 0 && (hp->http_major > 1 || hp->http_minor >= 1);
    /* Stop right after this response: the caller decides about any byte that follows. */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void gk__http_resp_init(gk__http_resp *p, gk_buf *heads, bool no_body,
                        const gk__http_resp_sink *sink)
{
    memset(p, 0, sizeof(*p));
    http_parser_init(impl(p), HTTP_RESPONSE);
    impl(p)->data = p;
    p->heads = heads;
    p->no_body = no_body;
    if (sink)
        p->sink = *sink;
    gk_buf_reset(heads);
}

/* Record why parsing stopped (the first reason wins). */
static gk__http_resp_result fail(gk__http_resp *p, const char *fallback)
{
    if (!p->error) {
        if (p->stopped)
            p->error = "stopped";
        else if (p->heads_full)
            p->error = "response headers too large";
        else
            p->error = fallback;
    }
    return GK__HTTP_RESP_ERROR;
}

gk__http_resp_result gk__http_resp_feed(gk__http_resp *p, const char *data, size_t len,
                                        size_t *consumed)
{
    http_parser *hp = impl(p);
    size_t n;
    enum http_errno e;
    *consumed = 0;
    if (p->error)
        return GK__HTTP_RESP_ERROR;
    if (p->complete)
        return GK__HTTP_RESP_DONE;
    if (len == 0)
        return GK__HTTP_RESP_MORE; /* http_parser takes 0 bytes as end of input */
    n = http_parser_execute(hp, &settings, data, len);
    e = HTTP_PARSER_ERRNO(hp);
    *consumed = n;
    if (p->complete) /* paused at the end of the response (e == HPE_PAUSED) */
        return GK__HTTP_RESP_DONE;
    if (e != HPE_OK)
        return fail(p, http_errno_description(e));
    if (hp->upgrade)
        return fail(p, "the server switched protocols");
    return GK__HTTP_RESP_MORE;
}

gk__http_resp_result gk__http_resp_eof(gk__http_resp *p)
{
    http_parser *hp = impl(p);
    if (p->error)
        return GK__HTTP_RESP_ERROR;
    if (p->complete)
        return GK__HTTP_RESP_DONE;
    if (!p->started)
        return fail(p, "no response");
    http_parser_execute(hp, &settings, NULL, 0);
    if (p->complete)
        return GK__HTTP_RESP_DONE;
    return fail(p, "the connection closed before the response was complete");
}
