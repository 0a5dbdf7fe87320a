/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection_run.h - what both reflection protocols share (v1 HTTP in reflection.c,
 * v2 WebSocket JSON-RPC in reflection_v2.c): the action listing, the values, Genkit's reflection
 * error status, and the action runner (an action in a fiber under a requested trace, with
 * callbacks for the trace id, stream chunks and the result, and cancellation by trace id).
 * Protocol framing (HTTP heads, chunked bodies, JSON-RPC envelopes) stays with each protocol.
 * Threads: everything runs on the reflection thread's one loop. */
#ifndef GK_SERVER_REFLECTION_RUN_H
#define GK_SERVER_REFLECTION_RUN_H

#include <genkit/flow.h>
#include <genkit/json.h>
#include <genkit/runtime.h>

/* Most bytes of a runAction's answer (the action's output included). */
#define GK__REFL_OUT_CAP ((size_t)64 << 20)

/* The string member key of obj, if it is a string without NUL bytes; else NULL. Borrowed. */
const char *gk__refl_json_str(const gk_json *obj, const char *key);

/*
 * Write every action of g as the reflection API lists them: {"<key>": {"key", "name", "type",
 * "description"?, "inputSchema", "outputSchema", "streamSchema"?, "metadata"?}}
 * (genkit-reference.md 4.5). scratch holds parsed metadata (borrowed for the call).
 */
void gk__refl_write_actions(gk_jw *w, gk_genkit *g, gk_arena *scratch);

/*
 * Write the registered values of type as an object ({"defaultModel": {"name": ...}}; middleware:
 * none yet, so {}).
 * Returns: GK_OK; GK_INVALID_ARGUMENT (nothing written, err says which types exist) unless type
 *   is "defaultModel" or "middleware".
 */
gk_status gk__refl_write_values(gk_jw *w, gk_genkit *g, const char *type, gk_error *err);

/* Write Genkit's reflection error status {"code": <gRPC code>, "message": ..., "details":
 * {"traceId"?}}. A cancelled run says "Action was cancelled" (Genkit's runtimes do), whatever
 * message says. */
void gk__refl_write_status(gk_jw *w, gk_status st, const char *message, const char *trace_id);

/* ---- the runner ---- */

typedef struct gk__refl_run gk__refl_run;

/* A run's callbacks, all on the loop's thread. Each gets the run; run->owner is the caller's. */
typedef struct gk__refl_run_ops {
    /* The root span exists (on the action's fiber, before the action's body): trace_id is 32 hex
     * digits, span_id 16; both borrowed for the call. */
    void (*on_trace)(gk__refl_run *run, const char *trace_id, const char *span_id);
    /* A stream chunk's compact JSON (streaming runs only, on the fiber; borrowed for the call).
     * May park on run->ctx (back-pressure). A status other than GK_OK stops the action. */
    gk_status (*on_chunk)(gk__refl_run *run, const char *json, size_t len);
    /* The action returned (on the fiber), once. st GK_OK: body is {"result": ..., "telemetry":
     * {"traceId": ...}}. Otherwise body is the error status (gk__refl_write_status) and message
     * its message. Both borrowed for the call. */
    void (*on_result)(gk__refl_run *run, gk_status st, const char *message, const char *body,
                      size_t len);
    /* The fiber is gone (on the loop's stack), once, last: the owner may free the run and its
     * arena now. */
    void (*on_done)(gk__refl_run *run);
} gk__refl_run_ops;

/* The runs in flight on one reflection loop, for cancellation by trace id. */
typedef struct gk__refl_runs {
    gk__refl_run *head;
    size_t count;
} gk__refl_runs;

/*
 * One action run. The owner fills the first block and keeps the struct (and arena) alive until
 * on_done; the runner owns the rest. Invariant: running is true from a successful start until
 * just before on_done, and exactly then is the run on its list.
 */
struct gk__refl_run {
    const gk__refl_run_ops *ops;
    void *owner;
    gk_arena *arena; /* holds the parameters and becomes the action's request arena */
    bool stream;     /* deliver chunks to on_chunk */

    gk__refl_runs *list;
    gk__refl_run *prev;
    gk__refl_run *next;
    gk_action *action;
    const gk_json *input;
    gk_ctx *ctx;
    bool running;
    char trace_id[33]; /* "" until on_trace */
};

/*
 * Start the run that params asks for ({"key", "input"?, "context"?, "telemetryLabels"?}, as in
 * genkit-reference.md 4.4): look the action up and run it in a fiber on loop under a requested
 * trace, with the labels and the redacted context on the root span.
 *
 * Ownership: params lives in run->arena. The run goes on runs until on_done.
 * Context: loop's thread, on its stack.
 * Returns: GK_OK, and the callbacks follow; otherwise no callback runs and err says why:
 *   GK_INVALID_ARGUMENT (no "key"; "telemetryLabels" not an object of strings), GK_NOT_FOUND (no
 *   such action: "action <key> not found"), GK_RESOURCE_EXHAUSTED (run->arena is full),
 *   GK_UNAVAILABLE (no fiber).
 */
gk_status gk__refl_run_start(gk__refl_runs *runs, gk__refl_run *run, gk_genkit *g, gk_loop *loop,
                             const gk_json *params, gk_error *err);

/* Cancel run (GK_CANCELLED) if it is running: it then ends with "Action was cancelled". */
void gk__refl_run_cancel(gk__refl_run *run);

/* Cancel the running run whose trace is trace_id. Returns whether there was one. */
bool gk__refl_run_cancel_trace(gk__refl_runs *runs, const char *trace_id);

/* Cancel every run on runs. */
void gk__refl_run_cancel_all(gk__refl_runs *runs);

#endif
