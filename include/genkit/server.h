/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/server.h - the flow server: HTTP/1.1 on the runtime's loops, serving every registered flow
 * with Genkit's flow protocol (POST <prefix>/<flow> {"data": ...} -> {"result": ...}, SSE streaming
 * with ?stream=true or Accept: text/event-stream), GET /healthz, request limits and timeouts, and a
 * graceful drain on SIGINT/SIGTERM or gk_server_stop.
 * Threads: gk_serve runs the loops on the calling thread (loop 0) and the runtime's threads;
 * gk_server_start runs them on a background thread. gk_server_stop may be called from any thread
 * except the server's own loops. The registry must be complete before serving: it is frozen. */
#ifndef GENKIT_SERVER_H
#define GENKIT_SERVER_H

#include <genkit/error.h>
#include <genkit/flow.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_server gk_server;

/*
 * Server options. Zero means the default for every field, so `gk_server_opts o = {0};` serves on
 * 0.0.0.0:$PORT (else 3400) with the limits below. Fields are only ever appended.
 */
typedef struct gk_server_opts {
    const char *host;          /* listen address; default "0.0.0.0" ("::" for IPv6) */
    int port;                  /* > 0: that port; 0: $PORT, else 3400; < 0: an ephemeral port */
    size_t max_header_bytes;   /* request line + headers; default 16 KiB (431 beyond) */
    size_t max_body_bytes;     /* request body; default 1 MiB (413 beyond) */
    int max_connections;       /* open connections per process; default 10000 (503 beyond) */
    int64_t header_timeout_ms; /* first byte (or accept) to end of headers; default 10 s */
    int64_t body_timeout_ms;   /* end of headers to end of body (slow senders); default 30 s */
    int64_t idle_timeout_ms;   /* keep-alive connection with no request; default 60 s */
    int64_t write_timeout_ms;  /* a response that makes no progress (slow readers); default 30 s */
    int64_t drain_timeout_ms;  /* grace for in-flight requests at shutdown; default 10 s */
    const char *path_prefix;   /* flows are served at <path_prefix>/<name>; default "" */
    bool quiet;                /* no per-request log lines (they are on by default) */
    size_t request_memory;     /* arena cap per request; default 64 MiB */
    /* Called once the sockets listen (before any request), on the thread that started serving,
     * with the bound port (useful with port < 0). May be NULL. */
    void (*on_listen)(int port, void *arg);
    void *on_listen_arg;
} gk_server_opts;

/*
 * Serve g's flows until SIGINT or SIGTERM, then drain: stop accepting, let in-flight requests
 * finish for up to drain_timeout_ms, cancel the rest, and return. A second signal cancels at once.
 *
 * Freezes g's registry. Logs "listening on http://<host>:<port>" when ready.
 * Ownership: opts (may be NULL) is only read during the call.
 * Context: the main thread; blocks until the drain completes.
 * Returns: GK_OK after a clean drain (exit 0); GK_UNAVAILABLE if the address cannot be bound
 *   (err names it); GK_INVALID_ARGUMENT for a bad host; GK_INTERNAL if the loops fail.
 */
GK_API gk_status gk_serve(gk_genkit *g, const gk_server_opts *opts, gk_error *err);

/*
 * Start serving in the background (for tests and programs that embed the server): the sockets
 * listen when this returns. No signal handlers are installed.
 *
 * Ownership: stop and free with gk_server_stop. opts is only read during the call.
 * Context: any thread that is not one of g's loops; at most one server per gk_genkit.
 * Returns: the server, or NULL with err set (as gk_serve).
 */
GK_API gk_server *gk_server_start(gk_genkit *g, const gk_server_opts *opts, gk_error *err);

/* The TCP port s listens on (the chosen one when opts.port < 0). */
GK_API int gk_server_port(const gk_server *s);

/* Connections open right now (for tests and metrics). */
GK_API int gk_server_connections(const gk_server *s);

/*
 * Drain (as for a signal), wait for the loops to stop, and free s. NULL is a no-op.
 *
 * Context: any thread except s's loops. Blocks for at most about drain_timeout_ms plus the time
 * cancelled flows take to return.
 */
GK_API void gk_server_stop(gk_server *s);

#ifdef __cplusplus
}
#endif
#endif
