/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/server_internal.h - the flow server's private structures: the server, its per-loop
 * state, connections and in-flight requests, and the functions the server's files share
 * (conn.c: sockets and I/O; response.c: status lines, error bodies, SSE framing; router.c: routes
 * and the flow protocol; server.c: listening, start/stop, drain).
 * Threads: a srv_loop and its connections belong to that loop's thread; gk_server is read-only
 * while serving except its atomics. */
#ifndef GK_SERVER_INTERNAL_H
#define GK_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <uv.h>

#include <genkit/server.h>

#include "runtime/sched.h"
#include "server/http_parse.h"

#define GK__SRV_READ_BUF    (16 * 1024) /* one read buffer; input not yet parsed */
#define GK__SRV_HIGH_WATER  (256 * 1024) /* queued output above which a streaming flow waits */
#define GK__SRV_LOW_WATER   (64 * 1024)  /* ...until the queue is back below this */
#define GK__SRV_LINGER_MS   2000         /* read and drop input this long after a final response */
#define GK__SRV_POOL_MAX    256          /* pooled objects kept per loop and kind */
#define GK__SRV_HEAD_MAX    768          /* bytes of a response head we build */

/* One registered flow, for lookups by the path's name without a copy. */
struct gk__srv_flow {
    const char *name;
    size_t len;
    gk_action *action;
};

struct gk__srv_loop;
struct gk__srv_loop_stats; /* metrics.c */

/* A resolved auth rule for one flow (auth.c). api_key is the key's bytes (from the environment at
 * start; never logged), or NULL. */
struct gk__srv_auth {
    char *api_key;
    size_t api_key_len;
    gk_context_provider provider;
    void *provider_arg;
};

/* CORS settings (cors.c): origins is NULL-terminated, or NULL when CORS is off; the strings are
 * copies owned by the server. */
struct gk__srv_cors {
    char **origins;
    bool any_origin;
    char *methods;
    char *headers;
    int max_age;
};

/*
 * The server. Invariants: every option is resolved (no zero defaults left); loops has nloops
 * entries, one per runtime loop; fds[i] is loop i's listening socket until that loop adopts it.
 */
struct gk_server {
    gk_genkit *g;
    gk_runtime *rt;
    char *host;
    int port;
    gk__http_limits limits;
    int max_connections;
    int64_t header_timeout_ms;
    int64_t body_timeout_ms;
    int64_t idle_timeout_ms;
    int64_t write_timeout_ms;
    int64_t drain_timeout_ms;
    int64_t tick_ms;
    char *prefix;
    size_t prefix_len;
    bool quiet;
    size_t request_memory;
    bool signals;

    struct gk__srv_flow *flows; /* sorted by (len, name) */
    size_t nflows;

    int nloops;
    struct gk__srv_loop *loops;
    int *fds;

    atomic_int connections;
    atomic_ulong rejected;
    atomic_bool stopping; /* a drain was requested */
    atomic_bool force;    /* a second signal: cancel in-flight flows now */
    atomic_int started;   /* loops that finished on_start */
    atomic_bool start_failed;
    uv_sem_t started_sem;
    bool sem_ready;

    pthread_t thread;
    bool threaded;
    gk_status run_status;
    gk_error run_err;

    /* ---- operations (openapi.c, metrics.c, cors.c, auth.c), set up by gk__srv_ops_init
     * after the flow table, released by gk__srv_ops_free ---- */
    struct gk__srv_auth **flow_auth; /* nflows entries, parallel to flows; NULL: open flow */
    struct gk__srv_auth *auth_rules; /* owned storage the entries point into */
    size_t nauth_rules;
    struct gk__srv_cors cors;
    bool serve_metrics;
    bool serve_openapi;
    /* /openapi.json, built at the first request (the registry is frozen by then) and published
     * once with a compare-and-swap; NULL until then. Freed by gk__srv_ops_free. */
    _Atomic(struct gk__srv_doc *) openapi;
    struct gk__srv_loop_stats **stats; /* one per loop, written only by that loop */
    double start_time; /* server start (Unix seconds), if /proc cannot give the process start */
};

/* Pooled write: bytes that did not fit in the socket at once, copied, then written by libuv. */
struct gk__srv_wreq {
    uv_write_t req;
    struct gk__srv_conn *c;
    char *data;
    size_t len;
    size_t cap;
    struct gk__srv_wreq *next;
};

/*
 * Per-loop state. Invariants: conns lists every connection struct alive on this loop (nconns of
 * them); the pools hold at most GK__SRV_POOL_MAX items each; date holds "Date: ...\r\n" for the
 * current second.
 */
struct gk__srv_loop {
    gk_server *s;
    gk_loop *loop;
    uv_loop_t *uv;
    int index;
    uv_tcp_t listener;
    bool listening;
    uv_timer_t sweep;
    bool sweep_on;
    uv_signal_t sigint;
    uv_signal_t sigterm;
    bool signals_on;
    char date[48];
    size_t date_len;
    time_t date_sec;

    struct gk__srv_conn *conns;
    size_t nconns;
    size_t requests_running; /* flow fibers alive */

    bool draining;
    bool drain_cancelled;
    int64_t drain_deadline;
    bool finished; /* our handles were closed after the drain */

    struct gk__srv_conn *free_conns;
    size_t n_free_conns;
    char **free_bufs;
    size_t n_free_bufs;
    struct gk__srv_wreq *free_wreqs;
    size_t n_free_wreqs;
    gk_buf **free_gkbufs;
    size_t n_free_gkbufs;
};

enum gk__conn_state {
    GK__CONN_IDLE,   /* between requests (or before the first) */
    GK__CONN_HEAD,   /* a request's head is arriving */
    GK__CONN_BODY,   /* its body is arriving */
    GK__CONN_BUSY,   /* a complete request is being answered */
    GK__CONN_LINGER, /* final response sent: reading and dropping input until EOF or a deadline */
};

/*
 * A request being answered. Lives in its arena (freed when the answer is written and its fiber,
 * if any, has returned).
 */
struct gk__srv_request {
    struct gk__srv_conn *c;
    gk__http_request *http;
    gk_arena *arena;
    gk_ctx *ctx;
    gk_action *action;
    const gk_json *input;
    uint64_t start_ns;
    int status;       /* HTTP status sent (for the log) */
    size_t bytes_out; /* bytes of the response, head included */
    bool stream;
    bool chunked;       /* streaming with chunked framing (HTTP/1.1) */
    bool head_only;     /* HEAD: no body bytes */
    bool close_after;   /* Connection: close was (or will be) sent */
    bool fiber_running; /* a flow fiber owns the request */
    bool responded;     /* the whole response was handed to conn_write */
    /* ---- operations ---- */
    uint64_t magic;         /* GK__SRV_REQUEST_MAGIC: lets gk_ctx_auth recognize the slot */
    ptrdiff_t flow_index;   /* index into s->flows, or -1 for other routes */
    const gk_json *auth;    /* the context provider's result (gk_ctx_auth), or NULL */
    const char *extra_head; /* header lines (each CRLF-ended) for every response of this request
                             * (CORS), or NULL; gk__srv_send and the SSE head append them */
    bool outcome_set;       /* outcome is the flow's own status (else derived from status) */
    gk_status outcome;
};

#define GK__SRV_REQUEST_MAGIC 0x67656e6b69747271ull /* "genkitrq" */

/*
 * One client connection. Invariants: refs counts the open handle plus a running flow fiber; the
 * struct is freed when it drops to 0. in holds in_len bytes of unparsed input (NULL when empty).
 * arena is the current request's (owned), or NULL between requests.
 */
struct gk__srv_conn {
    uv_tcp_t tcp;
    uv_shutdown_t shutdown;
    struct gk__srv_loop *sl;
    struct gk__srv_conn *prev;
    struct gk__srv_conn *next;
    gk__http_parser hp;
    gk_arena *arena;
    struct gk__srv_request *req;
    char *in;
    size_t in_len;
    enum gk__conn_state state;
    int64_t deadline; /* loop time (ms) at which the state times out; 0: none */
    size_t pending_bytes;
    unsigned pending_writes;
    int64_t write_progress; /* loop time of the last write progress */
    gk_waiter *writer;      /* a streaming fiber waiting for the queue to drain */
    int refs;
    bool counted;  /* included in gk_server.connections */
    bool closing;  /* uv_close was called */
    bool reading;
    bool continue_sent;
    bool in_process;
    bool force_close; /* answer with Connection: close (drain) */
};

/* ---- conn.c ---- */

/* Accept callback for a listening socket whose data is its gk__srv_loop. */
void gk__srv_on_connection(uv_stream_t *listener, int status);

/*
 * Write bufs to c: try the socket first, queue a copy of what did not fit.
 * Context: c's loop (stack or fiber). Returns: false if c is closing or failed (the bytes are
 *   dropped; the connection is then being closed and its flow cancelled).
 */
bool gk__srv_write(struct gk__srv_conn *c, const uv_buf_t *bufs, unsigned n);

/* The request's answer is complete (all bytes handed to gk__srv_write); finish it once flushed. */
void gk__srv_responded(struct gk__srv_conn *c);

/* A flow fiber that owned c's request returned (the done callback of gk__spawn). */
void gk__srv_fiber_done(void *arg);

/* Close c now: cancel its flow, drop queued output. Idempotent. */
void gk__srv_abort(struct gk__srv_conn *c);

/* Close c gracefully after its final response: FIN after the queued bytes, then read and drop
 * input until EOF or GK__SRV_LINGER_MS. */
void gk__srv_linger(struct gk__srv_conn *c);

/* Periodic work: deadlines, drain progress, the Date header. */
void gk__srv_sweep(uv_timer_t *t);

/* Start draining this loop (close the listener, close idle connections). */
void gk__srv_loop_drain(struct gk__srv_loop *sl);

/* Close the loop's own handles once drained and no connection is left. */
void gk__srv_loop_check_done(struct gk__srv_loop *sl);

/* Refresh sl->date for the current second. */
void gk__srv_update_date(struct gk__srv_loop *sl);

/* Pooled response buffers (cap: the request memory limit). */
gk_buf *gk__srv_buf_get(struct gk__srv_loop *sl);
void gk__srv_buf_put(struct gk__srv_loop *sl, gk_buf *b);

/* ---- response.c ---- */

/* Reason phrase for an HTTP status ("Not Found"). */
const char *gk__srv_reason(int status);

/*
 * Build a response head into dst (GK__SRV_HEAD_MAX bytes): status line, Date, Content-Type (if not
 * NULL), Content-Length (content_length >= 0) or Transfer-Encoding: chunked (-1) or nothing (-2),
 * Connection: close when close, extra header lines (each ending in CRLF; may be NULL), blank line.
 * Returns: its length.
 */
size_t gk__srv_head(const struct gk__srv_loop *sl, char *dst, int status, const char *content_type,
                    int64_t content_length, bool close, bool keep_alive_10, const char *extra);

/* Send a complete response with a body (may be NULL/0) and mark the request responded. */
void gk__srv_send(struct gk__srv_conn *c, int status, const char *content_type, const char *body,
                  size_t len, const char *extra);

/* Write {"error":{"status","message","details"?}} for status/message/path into b. INTERNAL and
 * UNKNOWN messages are replaced by "Internal Error". */
void gk__srv_error_json(gk_buf *b, gk_status status, const char *message, const char *path);
/* Like gk__srv_error_json; text_details writes details as the string "path: /x" instead of
 * {"path":"/x"}: Genkit's JS streamFlow client prints details with string interpolation. */
void gk__srv_error_json_ex(gk_buf *b, gk_status status, const char *message, const char *path,
                           bool text_details);

/* Send an error response: http is the HTTP status (0: from status). */
void gk__srv_send_error(struct gk__srv_conn *c, int http, gk_status status, const char *message,
                        const char *path, const char *extra);

/* Send an error for a request that could not be parsed, then close (no request struct exists). */
void gk__srv_send_parse_error(struct gk__srv_conn *c, int http, const char *message);

/* Send a chunk of an SSE stream: one HTTP chunk holding prefix + body + suffix (any may be empty).
 * Returns: false if the connection is gone. */
bool gk__srv_send_chunk(struct gk__srv_conn *c, const char *prefix, const char *body, size_t len,
                        const char *suffix, bool last);

/* Log the finished request (unless quiet). */
void gk__srv_log_request(const struct gk__srv_conn *c, const struct gk__srv_request *r);

/* ---- router.c ---- */

/* Route and answer c's complete request (c->req is set). */
void gk__srv_dispatch(struct gk__srv_conn *c);

/* ---- flow_handler.c ---- */

/* The fiber body of a flow request (arg: the gk__srv_request; r->action, r->input, r->stream set). */
void gk__srv_run_flow(gk_ctx *ctx, void *arg);

/* The flow registered as name[0..len), or NULL. */
gk_action *gk__srv_find_flow(const gk_server *s, const char *name, size_t len);

/* ---- ops: openapi.c, metrics.c, cors.c, auth.c ---- */

/*
 * Set up the operations features from o once the flow table exists: copy CORS settings, resolve
 * auth rules (reading API keys from the environment), generate /openapi.json, allocate per-loop
 * metrics. Context: server_new. Returns: GK_OK; GK_FAILED_PRECONDITION for an API-key variable
 * that is unset; GK_INVALID_ARGUMENT for a rule naming no flow; GK_RESOURCE_EXHAUSTED.
 */
gk_status gk__srv_ops_init(gk_server *s, const gk_server_opts *o, gk_error *err);

/* Release what gk__srv_ops_init made. Safe on a partly set up or zeroed server. */
void gk__srv_ops_free(gk_server *s);

/* The parts of gk__srv_ops_init (metrics.c) done by each file, and their releases. */
gk_status gk__srv_cors_init(gk_server *s, const gk_server_opts *o, gk_error *err);
void gk__srv_cors_free(gk_server *s);
gk_status gk__srv_auth_init(gk_server *s, const gk_server_opts *o, gk_error *err);
void gk__srv_auth_free(gk_server *s);

/*
 * Write the OpenAPI 3.1 document for flows[0..n) served under prefix ("" or "/api") into b.
 * secured[i] says whether flow i has an auth rule (may be NULL). Context: any.
 */
void gk__openapi_write(gk_buf *b, const char *title, const char *version, const char *prefix,
                       const struct gk__srv_flow *flows, size_t n, const bool *secured);

/* A generated document: len bytes at bytes (one allocation with the struct). */
struct gk__srv_doc {
    size_t len;
    char bytes[];
};

/* Answer GET /openapi.json: the document of the served flows, generated at the first request
 * and kept until the server is freed. */
void gk__srv_openapi(struct gk__srv_conn *c);

/* Answer GET /metrics (Prometheus text format 0.0.4). */
void gk__srv_metrics(struct gk__srv_conn *c);

/* Count request r from dispatch to its end: registers an arena cleanup that records its HTTP
 * status and, for a flow, its outcome and latency. Context: r's loop, at dispatch. */
void gk__srv_metrics_track(struct gk__srv_request *r);

/* r is a request for flow index i (sets r->flow_index and counts it in flight). */
void gk__srv_metrics_flow(struct gk__srv_request *r, size_t i);

/* The Genkit status a finished request is counted under (r->outcome, else from r->status). */
gk_status gk__srv_outcome(const struct gk__srv_request *r);

/* Write every metric of s (flows, HTTP, runtime, process, and the gk__metrics registry) in the
 * Prometheus text format into b. Context: any of s's loops. */
void gk__srv_metrics_write(gk_server *s, gk_buf *b);

/*
 * CORS for c's request: if the request has an allowed Origin, set r->extra_head to the
 * Access-Control-Allow-Origin and Vary lines. Returns: true if the request was a preflight
 * (OPTIONS with Access-Control-Request-Method) and has been answered.
 */
bool gk__srv_cors(struct gk__srv_conn *c);

/* The auth rule of flow i, or NULL. */
const struct gk__srv_auth *gk__srv_flow_auth(const gk_server *s, size_t i);

/*
 * Run the flow's auth rule in the request's fiber. Returns: GK_OK (r->auth set) or the refusal's
 * status with err set (the caller answers with it).
 */
gk_status gk__srv_authorize(struct gk__srv_request *r, const struct gk__srv_auth *a, gk_error *err);

/* True if the n bytes at x equal the m bytes at y, in time that depends only on m (constant-time
 * compare for secrets: y is the secret). */
bool gk__secret_equal(const char *x, size_t n, const char *y, size_t m);

#endif
