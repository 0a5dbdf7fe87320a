/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_backend.h - what the HTTP client's front (http_client.c) and its transports
 * share: the call being performed, the backend table (libcurl in http_curl.c, HTTP/1.1 on libuv in
 * http_native.c), the per-loop slot each backend keeps its state in, and the streaming plumbing.
 * The front checks the request, picks the backend and builds the response; a backend moves the
 * bytes and fills the call. Only the runtime's HTTP files include it.
 * Threads: a call belongs to its ctx's fiber and loop; backend state belongs to one loop. */
#ifndef GK_RUNTIME_HTTP_BACKEND_H
#define GK_RUNTIME_HTTP_BACKEND_H

#include <genkit/buf.h>
#include <genkit/http.h>

#include "runtime/loop.h"

/* 1 when the build has the libcurl transport (CMake GK_HTTP_CURL). */
#ifndef GK_HTTP_CURL
#define GK_HTTP_CURL 0
#endif

#define GK__HTTP_HIGH_WATER   (64 * 1024)   /* pending stream bytes before reading pauses */
#define GK__HTTP_PENDING_CAP  (1024 * 1024) /* hard cap: what one paused read may still add fits */
#define GK__HTTP_HEADERS_CAP  (256 * 1024)  /* response header bytes */
#define GK__HTTP_DEFAULT_BODY ((size_t)16 << 20)
#define GK__HTTP_USER_AGENT   "genkit-c/" GK_VERSION

/* The transports. GK__HTTP_AUTO means "as GK_HTTP_CLIENT says, else the build's default". */
typedef enum gk__http_backend_id {
    GK__HTTP_AUTO = 0,
    GK__HTTP_CURL = 1,
    GK__HTTP_NATIVE = 2,
    GK__HTTP_BACKENDS = 3,
} gk__http_backend_id;

/*
 * One call between the front and a backend, on the calling fiber's stack.
 * The front sets the first group and owns every buffer (initialised with their caps, released
 * after the call); the backend fills the second group.
 * Invariants: parser is set iff req->stream; events implies parser; body holds at most max_body
 * bytes; heads holds "Name: value\n" lines of the final response only (no status line, no 1xx).
 */
struct gk__http_call {
    gk_ctx *ctx;
    const gk_http_request *req;
    const char *method;      /* req->method or its default */
    const char *where;       /* "scheme://host[:port]/path" for messages (no query, no user) */
    const char *traceparent; /* "traceparent: <value>" to send, or NULL */
    size_t max_body;
    gk_lines *parser;

    int status;          /* the final response's status code */
    bool events;         /* this response's body goes to pending, to be cut into events */
    gk_buf body;         /* the body kept (cap max_body) */
    gk_buf heads;        /* cap GK__HTTP_HEADERS_CAP */
    gk_buf pending;      /* streamed bytes not yet cut into events (cap GK__HTTP_PENDING_CAP) */
    gk_buf work;         /* drain's swap buffer */
    gk_status cb_status; /* the parser's / on_event's status; the call's outcome when not OK */
    gk_error cb_err;
};

/* A transport. Every function runs in the calling fiber unless it says otherwise. */
struct gk__http_backend {
    const char *name; /* "curl", "native" */
    /*
     * Perform c's exchange and park until it is over: sends c->req to c->req->url, fills status,
     * heads and body, and (when c->events) feeds the streamed body through gk__http_drain, on the
     * fiber, pausing the transfer while pending is over GK__HTTP_HIGH_WATER. Returns with the
     * connection released (kept for reuse or closed), whatever happened.
     * Returns: GK_OK once the whole response arrived; otherwise a status and err as gk_http_fetch
     *   documents them (the front lets a non-OK c->cb_status win over it).
     */
    gk_status (*perform)(struct gk__http_call *c, gk_error *err);
    /* Release this backend's per-loop state (loop teardown, on the loop's thread: no call is in
     * flight any more; handles are closed with uv_close, their close callbacks run afterwards). */
    void (*loop_free)(gk_loop *loop, void *state);
};

#if GK_HTTP_CURL
extern const struct gk__http_backend gk__http_curl_backend;
#endif
extern const struct gk__http_backend gk__http_native_backend;

/* The backend's per-loop state slot on loop (NULL until the backend stores its state there; freed
 * at teardown through loop_free). Context: loop's thread. */
void **gk__http_loop_slot(gk_loop *loop, gk__http_backend_id id);

/* Cut c->pending into events (user callbacks run here, so: on the fiber). Sets c->cb_status when
 * the parser or a callback fails; later calls then only discard. */
void gk__http_drain(struct gk__http_call *c);

/* Whether req carries a header called name (ASCII case-insensitive; "Name:" as sent). */
bool gk__http_has_header(const gk_http_request *req, const char *name);

/* The error for a call that ended because its ctx did (cancelled or deadline). Returns the ctx's
 * status (GK_CANCELLED if it has none). */
gk_status gk__http_ended(const struct gk__http_call *c, gk_error *err);

/*
 * Choose the transport from the value of GK_HTTP_CLIENT (value, NULL when unset) in a build that
 * has libcurl (have_curl) or not. Pure: for the front and its tests.
 * Returns: GK_OK with *out set (curl or native); GK_UNAVAILABLE for "curl" without libcurl in the
 *   build, or for a name that is neither (err says so).
 */
gk_status gk__http_choose(const char *value, bool have_curl, gk__http_backend_id *out,
                          gk_error *err);

/* Test hook: make later calls in this process use backend id (GK__HTTP_AUTO: back to the
 * environment's choice). Returns false (and changes nothing) if the build lacks it. Call it while
 * no call is being made. */
bool gk__http_set_backend(gk__http_backend_id id);

/* Whether this build has backend id. */
bool gk__http_has_backend(gk__http_backend_id id);

#endif
