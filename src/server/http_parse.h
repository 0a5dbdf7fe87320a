/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/http_parse.h - HTTP/1.1 request parsing behind our own types. http_parse.c is the only
 * file that includes <http_parser.h>, so the parser stays replaceable. One request at a time: when a
 * request is complete the parser pauses until the caller begins the next one, which makes pipelined
 * input safe. Everything a request holds (target, headers, body) is copied into its arena, so the
 * caller may reuse its read buffer as soon as a feed returns.
 * Not here: routing, responses, sockets. Threads: a parser belongs to one connection. */
#ifndef GK_SERVER_HTTP_PARSE_H
#define GK_SERVER_HTTP_PARSE_H

#include <genkit/arena.h>
#include <genkit/common.h>

typedef enum gk__http_method {
    GK__HTTP_OTHER = 0,
    GK__HTTP_GET,
    GK__HTTP_HEAD,
    GK__HTTP_POST,
    GK__HTTP_PUT,
    GK__HTTP_DELETE,
    GK__HTTP_OPTIONS,
    GK__HTTP_PATCH,
} gk__http_method;

/* One header as sent (name case preserved). Both strings live in the request arena and are
 * NUL-terminated. */
typedef struct gk__http_header {
    gk_str name;
    gk_str value;
} gk__http_header;

/*
 * A parsed request. Plain data in the arena given to gk__http_begin.
 * Invariants: url, every header name/value and body (when not NULL) are NUL-terminated; path and
 * query are views into url; content_type/accept/expect are {NULL, 0} when the header is absent.
 */
typedef struct gk__http_request {
    gk__http_method method;
    const char *method_name; /* "GET", "POST", ... (static) */
    int version_major;
    int version_minor;
    gk_str url;   /* request target as sent */
    gk_str path;  /* url up to '?' or '#', not percent-decoded */
    gk_str query; /* after '?' up to '#', without the '?' */
    gk__http_header *headers;
    size_t header_count;
    gk_str content_type; /* the first Content-Type value */
    gk_str accept;       /* the first Accept value */
    bool expect_continue; /* "Expect: 100-continue" */
    bool chunked;         /* the body came with Transfer-Encoding: chunked */
    bool keep_alive;      /* the connection may carry another request after this one */
    char *body;           /* NULL when the body is empty */
    size_t body_len;
} gk__http_request;

typedef struct gk__http_limits {
    size_t max_header_bytes; /* request line + headers; 0: 16 KiB */
    size_t max_body_bytes;   /* 0: 1 MiB */
    size_t max_headers;      /* 0: 100 */
} gk__http_limits;

typedef enum gk__http_result {
    GK__HTTP_MORE,  /* every byte was consumed; the request is not complete yet */
    GK__HTTP_DONE,  /* p->req is complete; parsing is paused until gk__http_begin */
    GK__HTTP_ERROR, /* p->error_status / p->error_message say why; the connection must close */
} gk__http_result;

/* Size of the wrapped parser's state; checked against sizeof(http_parser) in http_parse.c. */
#define GK__HTTP_IMPL_SIZE 64

/*
 * Parser state for one connection. Invariants: req is NULL until the first byte of a request was
 * parsed after gk__http_begin; once error_status is set the parser accepts no more input.
 */
typedef struct gk__http_parser {
    _Alignas(16) unsigned char impl[GK__HTTP_IMPL_SIZE];
    gk__http_limits limits;
    gk_arena *arena;       /* the current request's arena (borrowed) */
    gk__http_request *req; /* the request being parsed, or the complete one */
    size_t head_bytes;     /* bytes of request line and headers so far */
    size_t header_cap;     /* allocated slots in req->headers */
    size_t body_cap;       /* allocated bytes for req->body (without the NUL) */
    const char *feed_ptr;  /* start of the bytes of the current feed */
    bool in_value;         /* the last header callback was for a value */
    bool head_done;        /* the request line and headers are complete */
    bool complete;         /* req is complete (paused) */
    int error_status;      /* 400, 413, 431, 501, 505 or 500 when GK__HTTP_ERROR */
    const char *error_message; /* static text for the error body */
} gk__http_parser;

/* Prepare p with limits (copied; NULL or zero fields take the defaults). No allocation. */
void gk__http_parser_init(gk__http_parser *p, const gk__http_limits *limits);

/*
 * Start the next request: its data will be allocated from arena (borrowed: it must outlive the
 * request's use). Resumes a parser paused on a complete request.
 * Context: between requests (before the first feed, or after GK__HTTP_DONE).
 */
void gk__http_begin(gk__http_parser *p, gk_arena *arena);

/*
 * Parse up to len bytes of data. Stops right after the end of a complete request.
 *
 * Ownership: data is only read during the call (everything kept is copied into the arena).
 * Context: after gk__http_begin; never again after GK__HTTP_ERROR.
 * Returns: GK__HTTP_MORE, GK__HTTP_DONE or GK__HTTP_ERROR; *consumed is how many bytes were used
 *   (all of them for MORE; the rest belongs to the next request for DONE).
 */
gk__http_result gk__http_feed(gk__http_parser *p, const char *data, size_t len, size_t *consumed);

/* True once a request's first byte was parsed (so a connection is no longer idle). */
bool gk__http_started(const gk__http_parser *p);

/* The value of the first header named name (ASCII case-insensitive), or NULL. */
const gk_str *gk__http_header_find(const gk__http_request *req, const char *name);

/* "GET", ... for method m ("OTHER" for GK__HTTP_OTHER). */
const char *gk__http_method_name(gk__http_method m);

#endif
