/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/http.h - outgoing HTTP for provider plugins: an async client whose calls park the fiber
 * (connections kept and reused per loop), and the incremental SSE/NDJSON parser that streams
 * responses are cut into.
 * Transports: the same calls run on one of two, chosen once per process by the environment
 * variable GK_HTTP_CLIENT: "curl" (libcurl's multi interface, one per loop; HTTP/2 over TLS where
 * offered; the default in builds that have it) or "native" (HTTP/1.1 on the loop's own sockets,
 * TLS 1.2+ by mbedTLS with the CA bundle from SSL_CERT_FILE, else SSL_CERT_DIR, else the system's;
 * no HTTP/2, no decompression; the only one in static builds). Both honour https_proxy/
 * HTTPS_PROXY, http_proxy and NO_PROXY (native: http:// proxies only, HTTP_PROXY too).
 * GK_HTTP_CLIENT=curl in a build without libcurl, or any other value, makes every call fail with
 * GK_UNAVAILABLE saying so.
 * Threads: a call belongs to its ctx's fiber and loop. A gk_lines parser belongs to its owner.
 * Secrets: API keys travel in headers or URLs; no message, log or error from this layer ever
 * contains a header value, a query string or a body. */
#ifndef GENKIT_HTTP_H
#define GENKIT_HTTP_H

#include <genkit/runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- SSE / NDJSON line parser ---- */

typedef enum gk_lines_mode {
    GK_LINES_SSE = 1,    /* text/event-stream (WHATWG HTML "server-sent events") */
    GK_LINES_NDJSON = 2, /* one JSON text per line (application/x-ndjson, JSON Lines) */
} gk_lines_mode;

/*
 * One event. All strings are NUL-terminated and borrowed: valid only until the callback returns.
 * SSE: data is the event's data lines joined by "\n"; event its type ("" when the stream gave none:
 * the spec's default type is "message"); id the last event id seen on the stream so far ("" if
 * none; it persists across events as the spec says); retry_ms the last valid retry field, or -1.
 * NDJSON: data is the line without its line ending (not validated: parse it with gk_json_parse);
 * event and id are "", retry_ms is -1.
 */
typedef struct gk_line_event {
    gk_str data;
    gk_str event;
    gk_str id;
    int64_t retry_ms;
    uint64_t index; /* events delivered before this one */
} gk_line_event;

/* Receives each complete event. Return GK_OK to go on; any other status stops the parser, and
 * feed/finish return it with err as filled here (err is never NULL). */
typedef gk_status (*gk_line_fn)(void *arg, const gk_line_event *ev, gk_error *err);

typedef struct gk_lines gk_lines;

/* Default and upper bound for one line (and for one SSE event's data): 8 MiB. */
#define GK_LINES_MAX_LINE ((size_t)8 << 20)

/*
 * An incremental parser: bytes go in split anywhere (even inside a CRLF or the BOM), events come
 * out through fn. Lines end with LF, CRLF or CR; a UTF-8 BOM at the very start is skipped. SSE:
 * fields data, event, id, retry ("data:x" and "data: x" are the same; other fields and ":" comment
 * lines are ignored), an event is dispatched at a blank line, and an event without data lines is
 * dropped. NDJSON: blank (whitespace-only) lines are skipped.
 *
 * Ownership: free with gk_lines_free; fn and arg are borrowed for the parser's life.
 * Returns: the parser; NULL if out of memory or mode is not a gk_lines_mode. max_line 0 means
 *   GK_LINES_MAX_LINE.
 */
GK_API gk_lines *gk_lines_new(gk_lines_mode mode, size_t max_line, gk_line_fn fn, void *arg);

/*
 * Feed the next len bytes; complete events are delivered before it returns.
 *
 * Returns: GK_OK; the callback's status (err as it filled it); GK_RESOURCE_EXHAUSTED if a line or
 *   an event grows over max_line (the message gives the byte offset) or memory runs out;
 *   GK_FAILED_PRECONDITION after gk_lines_finish. Errors are sticky: later calls return the same.
 */
GK_API gk_status gk_lines_feed(gk_lines *p, const void *data, size_t len, gk_error *err);

/*
 * End of stream: a last line without a line ending is processed, and a pending SSE event is
 * delivered even without its closing blank line. (The SSE spec discards it, but providers do end
 * streams that way, and a dropped final event loses data; a stream cut mid-event is the transport's
 * to report, not the parser's.)
 * Returns: as gk_lines_feed.
 */
GK_API gk_status gk_lines_finish(gk_lines *p, gk_error *err);

/* Release the parser. NULL is a no-op. */
GK_API void gk_lines_free(gk_lines *p);

/* ---- the client ---- */

/*
 * One request. Zero fields take the defaults. Only read during gk_http_fetch (the strings and the
 * body are not copied, and need to live only that long).
 */
typedef struct gk_http_request {
    const char *method; /* NULL: "POST" if body.len or body.ptr is set, else "GET" */
    const char *url;    /* http:// or https:// only */
    /* NULL-terminated array of "Name: value" lines, sent as given (no CR or LF allowed). */
    const char *const *headers;
    gk_str body;
    /* Whole-call limit in ms (connect, send, every byte of the response); 0: none. The ctx's
     * deadline applies too, whichever ends first. */
    int64_t timeout_ms;
    /* Name resolution, connect, proxy tunnel and TLS handshake together; 0: 10 s (or less if the
     * call's limit is shorter). */
    int64_t connect_timeout_ms;
    /* Most response body bytes kept by a whole-body call (or by a streaming call's non-2xx reply):
     * 0 means 16 MiB. More is GK_RESOURCE_EXHAUSTED. */
    size_t max_body;
    /* Streaming: with a mode, a 2xx response body is not kept but cut into events delivered to
     * on_event on the calling fiber as they arrive (the fiber may park inside it, e.g. to write to
     * its own client; the transfer is paused meanwhile when it gets ahead). on_event returning
     * non-OK aborts the transfer and gk_http_fetch returns that status and err. A non-2xx response
     * is kept whole instead (up to max_body), so that its error body can be read. */
    gk_lines_mode stream;
    gk_line_fn on_event;
    void *on_event_arg;
    size_t max_line; /* for the parser; 0: GK_LINES_MAX_LINE */
} gk_http_request;

/* A finished exchange. Lives in the ctx's arena. */
typedef struct gk_http_response gk_http_response;

/*
 * Perform req and park the fiber until the response is complete (or, when streaming, until its
 * last event was delivered).
 *
 * An HTTP error status is not a failure here: 4xx and 5xx come back as GK_OK with the status and
 * body, for the caller to map (gk_status_from_http, gk_http_response_retry_after_ms). Redirects
 * are not followed (a 3xx comes back as it is). Connections are kept and reused per loop (a kept
 * connection the server closed meanwhile is retried once on a new one, if nothing of the response
 * came); with the curl transport TLS sessions are shared per loop and HTTP/2 is used when the
 * server offers it over TLS. Bodies are returned as sent (the native transport asks for
 * "Accept-Encoding: identity"; neither decompresses unless the caller asks for an encoding and
 * decodes it). User info in the URL is sent as Basic authorization.
 *
 * Ownership: *out and everything reachable from it live in ctx's arena.
 * Context: a fiber of ctx's loop.
 * Returns: GK_OK with *out set; GK_INVALID_ARGUMENT for a bad URL, method or header;
 *   GK_UNAVAILABLE when the server cannot be reached or the connection fails mid-way (connection
 *   refused, DNS, TLS, reset, truncated body); GK_DEADLINE_EXCEEDED when timeout_ms or the ctx's
 *   deadline ran out; GK_CANCELLED (or whatever ended ctx) when ctx was cancelled: the transfer is
 *   removed and its connection closed; GK_RESOURCE_EXHAUSTED for a body over max_body, a line over
 *   max_line, or out of memory; the on_event callback's status. On failure *out is NULL, and err
 *   says what happened without header values or the URL's query.
 */
GK_API gk_status gk_http_fetch(gk_ctx *ctx, const gk_http_request *req, gk_http_response **out,
                               gk_error *err);

/* The HTTP status code (200, 404...). */
GK_API int gk_http_response_status(const gk_http_response *resp);

/* The body kept (empty for a streamed 2xx response). NUL-terminated after len bytes. */
GK_API gk_str gk_http_response_body(const gk_http_response *resp);

/* The value of the first response header called name (case-insensitive), without surrounding
 * blanks, or NULL. Borrowed from the response. */
GK_API const char *gk_http_response_header(const gk_http_response *resp, const char *name);

/* Number of response headers, and header i's name and value (borrowed); false if i is out of
 * range. */
GK_API size_t gk_http_response_header_count(const gk_http_response *resp);
GK_API bool gk_http_response_header_at(const gk_http_response *resp, size_t i, const char **name,
                                       const char **value);

/* The delay the server asked for before a retry, from "retry-after-ms" or "retry-after" (seconds;
 * an HTTP date is not interpreted), in ms; 0 if none or unparsable. For gk_error.retry_after_ms. */
GK_API int gk_http_response_retry_after_ms(const gk_http_response *resp);

#ifdef __cplusplus
}
#endif
#endif
