/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/http_parse.c - the request parser (see http_parse.h): libhttp-parser 2.9 wrapped behind
 * our types, with our own limits on head size, header count and body size. The only file of the
 * project that includes <http_parser.h>. */
#include "server/http_parse.h"

#include <http_parser.h>
#include <string.h>
#include <strings.h>

#include <genkit/buf.h>

#include "base/banned.h"

_Static_assert(sizeof(http_parser) <= GK__HTTP_IMPL_SIZE, "GK__HTTP_IMPL_SIZE too small");
_Static_assert(_Alignof(http_parser) <= 16, "http_parser alignment");

#define DEFAULT_MAX_HEADER_BYTES (16 * 1024)
#define DEFAULT_MAX_BODY_BYTES   (1024 * 1024)
#define DEFAULT_MAX_HEADERS      100
#define FIRST_BODY_ALLOC         1024

static http_parser *impl(gk__http_parser *p)
{
    return (http_parser *)(void *)p->impl;
}

/* Record an error and return the callback value that makes http_parser stop. */
static int fail(gk__http_parser *p, int status, const char *message)
{
    if (!p->error_status) {
        p->error_status = status;
        p->error_message = message;
    }
    return -1;
}

/* Append at[0..len) to the arena string *s (NUL-terminated), growing it in place when it was the
 * arena's last allocation, as it is while one head field arrives in pieces. */
static bool append(gk__http_parser *p, gk_str *s, const char *at, size_t len)
{
    size_t n;
    if (!gk_size_add(s->len, len, &n) || !gk_size_add(n, 1, &n))
        return false;
    char *mem = gk_arena_realloc(p->arena, (void *)s->ptr, s->ptr ? s->len + 1 : 0, n);
    if (!mem)
        return false;
    if (len)
        memcpy(mem + s->len, at, len);
    mem[s->len + len] = '\0';
    s->ptr = mem;
    s->len += len;
    return true;
}

/* The head may not grow past the limit: at + len is how far this feed has got. */
static bool head_within_limit(const gk__http_parser *p, const char *at, size_t len)
{
    size_t in_feed = (size_t)(at - p->feed_ptr) + len;
    return p->head_bytes + in_feed <= p->limits.max_header_bytes;
}

static int on_message_begin(http_parser *hp)
{
    gk__http_parser *p = hp->data;
    if (!p->arena)
        return fail(p, 500, "no request arena");
    p->req = GK_NEW(p->arena, gk__http_request, 1);
    if (!p->req)
        return fail(p, 503, "out of memory");
    return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
    gk__http_parser *p = hp->data;
    if (!head_within_limit(p, at, len))
        return fail(p, 431, "request header fields too large");
    if (!append(p, &p->req->url, at, len))
        return fail(p, 503, "out of memory");
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    gk__http_parser *p = hp->data;
    gk__http_request *r = p->req;
    if (!head_within_limit(p, at, len))
        return fail(p, 431, "request header fields too large");
    if (p->in_value || r->header_count == 0) {
        if (r->header_count >= p->limits.max_headers)
            return fail(p, 431, "too many request header fields");
        if (r->header_count == p->header_cap) {
            size_t cap = p->header_cap ? p->header_cap * 2 : 16;
            gk__http_header *h = gk_arena_realloc(p->arena, r->headers,
                                                  p->header_cap * sizeof(*h), cap * sizeof(*h));
            if (!h)
                return fail(p, 503, "out of memory");
            r->headers = h;
            p->header_cap = cap;
        }
        r->headers[r->header_count++] = (gk__http_header){{NULL, 0}, {NULL, 0}};
        p->in_value = false;
    }
    if (!append(p, &r->headers[r->header_count - 1].name, at, len))
        return fail(p, 503, "out of memory");
    return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    gk__http_parser *p = hp->data;
    gk__http_request *r = p->req;
    if (!head_within_limit(p, at, len))
        return fail(p, 431, "request header fields too large");
    if (r->header_count == 0)
        return fail(p, 400, "header value without a name");
    p->in_value = true;
    if (!append(p, &r->headers[r->header_count - 1].value, at, len))
        return fail(p, 503, "out of memory");
    return 0;
}

static gk__http_method map_method(unsigned m)
{
    switch (m) {
    case HTTP_GET:
        return GK__HTTP_GET;
    case HTTP_HEAD:
        return GK__HTTP_HEAD;
    case HTTP_POST:
        return GK__HTTP_POST;
    case HTTP_PUT:
        return GK__HTTP_PUT;
    case HTTP_DELETE:
        return GK__HTTP_DELETE;
    case HTTP_OPTIONS:
        return GK__HTTP_OPTIONS;
    case HTTP_PATCH:
        return GK__HTTP_PATCH;
    default:
        return GK__HTTP_OTHER;
    }
}

/* Split the target into path and query. Absolute-form targets ("http://host/p?q") keep only the
 * path; "*" (OPTIONS *) is its own path. */
static void split_url(gk__http_request *r)
{
    const char *s = r->url.ptr;
    size_t n = r->url.len;
    size_t i = 0;
    if (n && s[0] != '/' && s[0] != '*') {
        const char *scheme = memmem(s, n, "://", 3);
        if (scheme) {
            i = (size_t)(scheme - s) + 3;
            while (i < n && s[i] != '/' && s[i] != '?' && s[i] != '#')
                i++;
        }
    }
    size_t start = i;
    while (i < n && s[i] != '?' && s[i] != '#')
        i++;
    r->path = (gk_str){s + start, i - start};
    if (r->path.len == 0)
        r->path = GK_STR("/");
    r->query = (gk_str){s + n, 0};
    if (i < n && s[i] == '?') {
        size_t q = ++i;
        while (i < n && s[i] != '#')
            i++;
        r->query = (gk_str){s + q, i - q};
    }
}

/* Whether a comma-separated header value holds token (case-insensitive), e.g. "100-continue". */
static bool value_is(gk_str v, const char *token)
{
    size_t tl = strlen(token);
    size_t i = 0;
    while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t'))
        i++;
    size_t end = v.len;
    while (end > i && (v.ptr[end - 1] == ' ' || v.ptr[end - 1] == '\t'))
        end--;
    return end - i == tl && strncasecmp(v.ptr + i, token, tl) == 0;
}

static int on_headers_complete(http_parser *hp)
{
    gk__http_parser *p = hp->data;
    gk__http_request *r = p->req;

    p->head_done = true;
    if (hp->upgrade || hp->method == HTTP_CONNECT)
        return fail(p, 501, "protocol upgrades and CONNECT are not supported");
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > p->limits.max_body_bytes)
        return fail(p, 413, "request body too large");

    r->method = map_method(hp->method);
    r->method_name = http_method_str((enum http_method)hp->method);
    r->version_major = hp->http_major;
    r->version_minor = hp->http_minor;
    r->chunked = (hp->flags & F_CHUNKED) != 0;
    r->keep_alive = http_should_keep_alive(hp) != 0;
    if (!r->url.ptr && !append(p, &r->url, "", 0))
        return fail(p, 503, "out of memory");
    split_url(r);

    for (size_t i = 0; i < r->header_count; i++) {
        gk__http_header *h = &r->headers[i];
        if (!h->value.ptr)
            h->value = GK_STR("");
        if (!h->name.ptr)
            h->name = GK_STR("");
        if (!r->content_type.ptr && h->name.len == 12 &&
            strncasecmp(h->name.ptr, "content-type", 12) == 0)
            r->content_type = h->value;
        else if (!r->accept.ptr && h->name.len == 6 && strncasecmp(h->name.ptr, "accept", 6) == 0)
            r->accept = h->value;
        else if (h->name.len == 6 && strncasecmp(h->name.ptr, "expect", 6) == 0 &&
                 value_is(h->value, "100-continue"))
            r->expect_continue = true;
    }

    /* A known length sizes the body once instead of growing it. */
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > 0) {
        size_t cl = (size_t)hp->content_length;
        r->body = gk_arena_alloc(p->arena, cl + 1);
        if (!r->body)
            return fail(p, 503, "out of memory");
        p->body_cap = cl;
    }
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    gk__http_parser *p = hp->data;
    gk__http_request *r = p->req;
    size_t need;
    if (!gk_size_add(r->body_len, len, &need) || need > p->limits.max_body_bytes)
        return fail(p, 413, "request body too large");
    if (need > p->body_cap) {
        size_t cap = p->body_cap ? p->body_cap * 2 : FIRST_BODY_ALLOC;
        if (cap < need)
            cap = need;
        if (cap > p->limits.max_body_bytes)
            cap = p->limits.max_body_bytes;
        char *mem = gk_arena_realloc(p->arena, r->body, r->body ? p->body_cap + 1 : 0, cap + 1);
        if (!mem)
            return fail(p, 503, "out of memory");
        r->body = mem;
        p->body_cap = cap;
    }
    memcpy(r->body + r->body_len, at, len);
    r->body_len = need;
    r->body[need] = '\0';
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    gk__http_parser *p = hp->data;
    p->complete = true;
    p->req->keep_alive = http_should_keep_alive(hp) != 0;
    if (p->req->body_len == 0)
        p->req->body = NULL;
    /* One request at a time: the rest of the input waits until this one was answered. */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void gk__http_parser_init(gk__http_parser *p, const gk__http_limits *limits)
{
    memset(p, 0, sizeof(*p));
    if (limits)
        p->limits = *limits;
    if (!p->limits.max_header_bytes)
        p->limits.max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
    if (!p->limits.max_body_bytes)
        p->limits.max_body_bytes = DEFAULT_MAX_BODY_BYTES;
    if (!p->limits.max_headers)
        p->limits.max_headers = DEFAULT_MAX_HEADERS;
    http_parser_init(impl(p), HTTP_REQUEST);
    impl(p)->data = p;
}

void gk__http_begin(gk__http_parser *p, gk_arena *arena)
{
    p->arena = arena;
    p->req = NULL;
    p->head_bytes = 0;
    p->header_cap = 0;
    p->body_cap = 0;
    p->in_value = false;
    p->head_done = false;
    if (p->complete) {
        p->complete = false;
        http_parser_pause(impl(p), 0);
    }
}

static int status_for(enum http_errno e)
{
    switch (e) {
    case HPE_HEADER_OVERFLOW:
        return 431;
    case HPE_INVALID_VERSION:
        return 505;
    default:
        return 400;
    }
}

gk__http_result gk__http_feed(gk__http_parser *p, const char *data, size_t len, size_t *consumed)
{
    *consumed = 0;
    if (p->error_status)
        return GK__HTTP_ERROR;
    if (p->complete)
        return GK__HTTP_DONE;
    if (len == 0)
        return GK__HTTP_MORE; /* http_parser reads a zero-length feed as end of input */

    http_parser *hp = impl(p);
    p->feed_ptr = data;
    size_t n = http_parser_execute(hp, &settings, data, len);
    *consumed = n;
    if (p->complete)
        return GK__HTTP_DONE;

    enum http_errno e = HTTP_PARSER_ERRNO(hp);
    if (p->error_status)
        return GK__HTTP_ERROR;
    if (e != HPE_OK) {
        fail(p, status_for(e), http_errno_description(e));
        return GK__HTTP_ERROR;
    }
    if (n != len) {
        fail(p, 400, "unexpected data after the request");
        return GK__HTTP_ERROR;
    }
    if (p->req && !p->head_done) {
        p->head_bytes += n;
        if (p->head_bytes > p->limits.max_header_bytes) {
            fail(p, 431, "request header fields too large");
            return GK__HTTP_ERROR;
        }
    }
    return GK__HTTP_MORE;
}

bool gk__http_started(const gk__http_parser *p)
{
    return p->req != NULL;
}

const gk_str *gk__http_header_find(const gk__http_request *req, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->header_count; i++) {
        const gk__http_header *h = &req->headers[i];
        if (h->name.len == n && strncasecmp(h->name.ptr, name, n) == 0)
            return &h->value;
    }
    return NULL;
}

const char *gk__http_method_name(gk__http_method m)
{
    static const char *const names[] = {"OTHER", "GET",     "HEAD", "POST",
                                        "PUT",   "DELETE", "OPTIONS", "PATCH"};
    if ((unsigned)m < sizeof(names) / sizeof(names[0]))
        return names[m];
    return "OTHER";
}
