/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_resp_parse.h - HTTP/1.x response parsing for the native HTTP client, behind our
 * own types: http_resp_parse.c is the runtime's only file that includes <http_parser.h> (the
 * server's request parser is src/server/http_parse.c), so the parser stays replaceable. One
 * response at a time: interim 1xx responses are skipped, the final response's header lines are
 * collected into a caller's buffer, its body (de-chunked) goes to a callback, and the parser stops
 * right after the response's last byte, so the caller can tell whether the connection carried
 * anything more. Bodies framed by Content-Length, chunked, or read until the connection closes.
 * Not here: sockets, TLS, limits other than the header buffer's cap.
 * Threads: a parser belongs to one connection of one loop. */
#ifndef GK_RUNTIME_HTTP_RESP_PARSE_H
#define GK_RUNTIME_HTTP_RESP_PARSE_H

#include <genkit/buf.h>

typedef enum gk__http_resp_result {
    GK__HTTP_RESP_MORE,  /* every byte was consumed; the response is not complete yet */
    GK__HTTP_RESP_DONE,  /* the response is complete; bytes after it were not consumed */
    GK__HTTP_RESP_ERROR, /* error says why (stopped: a callback said stop); no more input */
} gk__http_resp_result;

/* Where a parser delivers the final response. Both callbacks return false to stop parsing (the
 * feed then returns GK__HTTP_RESP_ERROR with stopped set). */
typedef struct gk__http_resp_sink {
    /* The final response's head is complete: status is its code (200..999) and the header buffer
     * holds its "Name: value\n" lines. */
    bool (*on_head)(void *arg, int status);
    /* len > 0 body bytes, borrowed for the call. */
    bool (*on_body)(void *arg, const char *data, size_t len);
    void *arg;
} gk__http_resp_sink;

/* Size of the wrapped parser's state; checked against sizeof(http_parser) in the .c file. */
#define GK__HTTP_RESP_IMPL_SIZE 64

/*
 * Parser state for one response. Invariants: heads is never NULL; status is 0 until the final
 * head is complete; once error is set, nothing more is accepted.
 */
typedef struct gk__http_resp {
    _Alignas(16) unsigned char impl[GK__HTTP_RESP_IMPL_SIZE];
    gk_buf *heads; /* borrowed: the final response's header lines ("Name: value\n") */
    gk__http_resp_sink sink;
    bool no_body;  /* the request was HEAD or CONNECT: no body follows any head */
    int status;    /* the final response's status code, once on_head ran */
    bool in_value; /* the last header callback was for a value */
    bool started;  /* a byte of a response was parsed */
    bool complete;
    bool keep_alive;   /* when complete: HTTP/1.1 or later, no "Connection: close", the body
                          not read until the connection closed */
    bool stopped;      /* a sink callback returned false */
    bool heads_full;   /* the header lines grew over heads->cap (or out of memory) */
    const char *error; /* static text when GK__HTTP_RESP_ERROR */
} gk__http_resp;

/* Prepare p for one response: its header lines go to heads (borrowed; reset here), its head and
 * body to sink (copied). no_body: the request was HEAD (or CONNECT), so no body follows. */
void gk__http_resp_init(gk__http_resp *p, gk_buf *heads, bool no_body,
                        const gk__http_resp_sink *sink);

/*
 * Parse up to len bytes. Stops right after the end of the response.
 * Ownership: data is only read during the call.
 * Returns: GK__HTTP_RESP_MORE, _DONE or _ERROR; *consumed is how many bytes belonged to the
 *   response (all of them for MORE).
 */
gk__http_resp_result gk__http_resp_feed(gk__http_resp *p, const char *data, size_t len,
                                        size_t *consumed);

/*
 * The connection ended (EOF). Completes a body read until close.
 * Returns: GK__HTTP_RESP_DONE if that made the response complete (or it already was);
 *   GK__HTTP_RESP_ERROR otherwise: error is "no response" when not a byte arrived, else says the
 *   response was cut short.
 */
gk__http_resp_result gk__http_resp_eof(gk__http_resp *p);

#endif
