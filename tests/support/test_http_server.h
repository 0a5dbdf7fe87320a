/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_http_server.h - a small scripted HTTP/1.1 server on 127.0.0.1 for tests of
 * anything that makes outgoing calls (the HTTP client, provider plugins). It runs on plain threads
 * and blocking sockets, not on our runtime, so it can never share a bug with what it tests.
 *
 * Use: start it (ephemeral port), push the responses the next requests get (FIFO; when the script
 * is empty the default response is used: 200 with an empty body), point the code under test at
 * gk_test_server_url(), then read what was received (method, target, headers, body, which
 * connection) and how connections ended. Responses can be streamed in chunks, held at a gate until
 * the test opens it, delayed, truncated, or never sent. Keep-alive is honoured (HTTP/1.1 default).
 * Request bodies must come with Content-Length (chunked uploads are not supported).
 * Threads: every function may be called from any thread (the test's fiber, a blocking job, main).
 */
#ifndef GK_TESTS_TEST_HTTP_SERVER_H
#define GK_TESTS_TEST_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gk_test_server gk_test_server;

/* One scripted response. Zero fields take the defaults. Strings are copied by push. */
typedef struct gk_test_response {
    int status;          /* 0: 200 */
    const char *headers; /* extra header lines, each ending in "\r\n" ("Retry-After: 3\r\n") */
    const char *body;    /* the body, written at once (ignored when chunks is set) */
    const char *const *chunks; /* NULL-terminated body pieces, each written by its own send() */
    int delay_ms;              /* sleep before each chunk */
    bool chunked;              /* Transfer-Encoding: chunked; otherwise Content-Length */
    int gate_after;            /* > 0: after this many chunks, wait for gk_test_server_open_gate */
    bool hang;                 /* after the last chunk, leave the body unfinished and hold the
                                  connection until the client closes it */
    bool no_response;          /* read the request, send nothing, hold until the client closes */
    bool truncate;             /* announce 1000 more bytes than sent, then close the connection */
    bool close;                /* send "Connection: close" and close after the response */
    bool drop;                 /* read the request, then close the connection without a word (a
                                  kept-alive connection the server gave up on) */
    bool until_close;          /* no Content-Length, not chunked: the body ends when the server
                                  closes the connection */
} gk_test_response;

/* One received request. Strings are NUL-terminated; body may hold NULs (use body_len). */
typedef struct gk_test_request {
    char method[16];
    char target[2048]; /* "/v1/chat?x=1" */
    char *body;
    size_t body_len;
    size_t connection; /* 1 for the first connection accepted, 2 for the next... */
    size_t n_headers;
    char **names; /* as received */
    char **values;
} gk_test_request;

/* Listen on 127.0.0.1 on a free port. Returns NULL (and prints why) if that fails. */
gk_test_server *gk_test_server_start(void);

/* Close every connection, join every thread, free everything (requests read before included).
 * NULL is a no-op. */
void gk_test_server_stop(gk_test_server *s);

int gk_test_server_port(const gk_test_server *s);

/* "http://127.0.0.1:<port>" (no trailing slash). Borrowed from s. */
const char *gk_test_server_url(const gk_test_server *s);

/* Append r to the script: the next request without a scripted response gets it. */
void gk_test_server_push(gk_test_server *s, const gk_test_response *r);

/* The response used when the script is empty. */
void gk_test_server_set_default(gk_test_server *s, const gk_test_response *r);

/* Let responses waiting at their gate go on (the gate stays open). */
void gk_test_server_open_gate(gk_test_server *s);

/* Requests received so far, and request i (borrowed until stop; NULL if i is out of range). */
size_t gk_test_server_request_count(gk_test_server *s);
const gk_test_request *gk_test_server_request(gk_test_server *s, size_t i);

/* The value of r's first header called name (case-insensitive), or NULL. */
const char *gk_test_request_header(const gk_test_request *r, const char *name);

/* Connections accepted so far, and those the client closed (seen as end-of-file or a reset while
 * the server was reading or holding the connection). */
size_t gk_test_server_connections(gk_test_server *s);
size_t gk_test_server_closed_by_client(gk_test_server *s);

/* Block until at least n connections were closed by the client, or timeout_ms passed. Returns
 * whether they were. */
bool gk_test_server_wait_closed(gk_test_server *s, size_t n, int timeout_ms);

/* A loopback port where nothing listens (connecting to it is refused). */
int gk_test_unused_port(void);

#endif
