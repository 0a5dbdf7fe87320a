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

    /* ---- CORS (browsers calling flows from another origin) ---- */
    /* Allowed origins, NULL-terminated ("https://app.example.com"; "*" allows any origin). NULL:
     * no CORS headers at all, and OPTIONS is not answered. */
    const char *const *cors_origins;
    const char *cors_methods; /* Access-Control-Allow-Methods; default "GET, POST, OPTIONS" */
    const char *cors_headers; /* Access-Control-Allow-Headers; default
                               * "Content-Type, Authorization, Accept, X-Genkit-Stream-Id" */
    int cors_max_age;         /* seconds a preflight may be cached; 0: 600; < 0: not sent */

    /* ---- auth: who may run which flow (see gk_flow_auth) ---- */
    const struct gk_flow_auth *auth; /* nauth rules; copied at start */
    size_t nauth;

    /* ---- operations endpoints ---- */
    bool no_metrics; /* do not serve GET /metrics (Prometheus text format) */
    bool no_openapi; /* do not serve GET /openapi.json (OpenAPI 3.1 of the flows) */
    /* Names of the flows to serve, NULL-terminated; NULL: every flow. A name that is not a defined
     * flow makes the server refuse to start (GK_INVALID_ARGUMENT). */
    const char *const *flows;
} gk_server_opts;

/*
 * A flow request as a context provider sees it, before the flow runs. Borrowed for the call.
 */
typedef struct gk_request gk_request;

/* The value of request header name (ASCII case-insensitive; Genkit names them in lower case, e.g.
 * "authorization"), or NULL if absent. Borrowed from the request's arena. */
GK_API const char *gk_request_header(const gk_request *req, const char *name);

/* The flow's name, the HTTP method ("POST"), and the decoded input (JSON null when absent). */
GK_API const char *gk_request_flow(const gk_request *req);
GK_API const char *gk_request_method(const gk_request *req);
GK_API const gk_json *gk_request_input(const gk_request *req);

/*
 * A context provider: decides whether req may run its flow and what the flow sees as its auth
 * context (Genkit's ContextProvider).
 *
 * Set *auth_out to a JSON value built in gk_ctx_arena(ctx) (or leave it NULL) and return GK_OK to
 * let the flow run; return GK_UNAUTHENTICATED (401) or GK_PERMISSION_DENIED (403), or any other
 * status, with err's message (no secrets: it is sent to the client) to refuse.
 * Context: the request's fiber, before the flow; may park (e.g. to fetch signing keys).
 */
typedef gk_status (*gk_context_provider)(gk_ctx *ctx, const gk_request *req,
                                         const gk_json **auth_out, void *arg, gk_error *err);

/*
 * One auth rule. The rule whose flow equals the request's flow applies, else the rule with flow
 * "*", else none (the flow is open). When both api_key_env and provider are set, the API key is
 * checked first, then the provider runs.
 */
typedef struct gk_flow_auth {
    const char *flow;        /* flow name, or "*" for every flow without its own rule */
    const char *api_key_env; /* built-in API-key check: the NAME of the environment variable that
                              * holds the key (read once at start; the server refuses to start if
                              * it is unset or empty). Clients send "Authorization: Bearer <key>"
                              * or "Authorization: <key>": missing -> 401 UNAUTHENTICATED, wrong ->
                              * 403 PERMISSION_DENIED (Genkit JS's apiKey provider). NULL: none. */
    gk_context_provider provider; /* custom check; NULL: none */
    void *provider_arg;
} gk_flow_auth;

/*
 * The auth context of the flow request running on ctx: what its context provider returned (the
 * API-key check gives {"type":"apiKey"}), or NULL outside a served request or for an open flow.
 * Context: the request's fiber (or a gk_go child of it). Borrowed from the request's arena.
 */
GK_API const gk_json *gk_ctx_auth(const gk_ctx *ctx);

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

/* ---- the reflection API (dev mode: what `genkit start` and the Developer UI talk to) ---- */

typedef struct gk_reflection gk_reflection;

/* Reflection server options. Zero means the default for every field. Fields are only appended. */
typedef struct gk_reflection_opts {
    int port;                /* > 0: that port; 0: $GENKIT_REFLECTION_PORT, else the first free
                                port from 3100; < 0: an ephemeral port */
    const char *project_dir; /* where .genkit/runtimes/ is; NULL: the nearest ancestor of the
                                working directory with a project marker, as the Genkit CLI finds it */
    bool no_runtime_file;    /* do not announce the runtime in .genkit/runtimes/ */
    /* Reflection API v2: connect out to this WebSocket URL ("ws://localhost:3200") and answer
     * the Genkit CLI's JSON-RPC requests over it, instead of serving HTTP (then port,
     * project_dir and no_runtime_file do not apply: there is no listener and no runtime file).
     * NULL: $GENKIT_REFLECTION_V2_SERVER if set (the CLI sets it for `genkit flow:run ... --
     * <cmd>`), else v1. Copied. */
    const char *v2_server_url;
} gk_reflection_opts;

/*
 * Start the reflection API (Genkit reflection spec v1: /api/__health, /api/actions,
 * /api/runAction, /api/cancelAction, /api/notify, /api/values) on 127.0.0.1, on a thread of its
 * own, and write the runtime file the CLI discovers it by. gk_serve and gk_server_start call this
 * themselves when GENKIT_ENV=dev; call it directly only for programs that run flows without the
 * flow server.
 *
 * With a v2 server URL (opts->v2_server_url or GENKIT_REFLECTION_V2_SERVER), the same thread
 * instead connects to the CLI's ws:// URL, registers, and answers listActions, listValues,
 * runAction (streaming, several at once) and cancelAction over JSON-RPC 2.0; it reconnects with
 * backoff (500 ms doubling, at most 5 s) whenever the connection ends. It returns without waiting
 * for the connection.
 *
 * Freezes g's registry. Never binds anything but the loopback address.
 * Ownership: stop and free with gk_reflection_stop. opts (may be NULL) is only read.
 * Context: any thread that is not one of g's loops; at most one per process is useful (one
 *   runtime file per process).
 * Returns: the server; NULL with err: GK_FAILED_PRECONDITION unless GENKIT_ENV is "dev",
 *   GK_UNAVAILABLE if no port could be bound, GK_INTERNAL if the runtime file cannot be written;
 *   v2: GK_UNIMPLEMENTED for a wss:// URL, GK_INVALID_ARGUMENT for a URL that is not ws:// or
 *   whose host does not resolve.
 */
GK_API gk_reflection *gk_reflection_start(gk_genkit *g, const gk_reflection_opts *opts,
                                          gk_error *err);

/* The port the reflection server listens on (0 in v2 mode: it listens on nothing). */
GK_API int gk_reflection_port(const gk_reflection *r);

/* The runtime file's path ("" when none was written, as in v2 mode). Borrowed from r. */
GK_API const char *gk_reflection_runtime_file(const gk_reflection *r);

/*
 * Stop: close the listener, cancel running actions (they answer "Action was cancelled"), wait for
 * the thread, remove the runtime file, free r. In v2 mode: cancel running actions, let their
 * answers go, send a close frame (1001) and close the connection, or stop reconnecting. NULL is a
 * no-op.
 * Context: any thread except r's own.
 */
GK_API void gk_reflection_stop(gk_reflection *r);

#ifdef __cplusplus
}
#endif
#endif
