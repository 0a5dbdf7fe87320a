/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/trace.h - spans with Genkit's attributes: every action invocation and every named
 * step is a span (W3C trace and span ids, genkit:name/type/metadata:subtype/path/input/output/
 * state/isRoot/isFailureSource), parented through the context slot GK_CTX_SLOT_SPAN, so branches
 * started with gk_go become child spans. Finished traces are serialized as Genkit TraceData JSON
 * and/or OTLP span objects and handed to the export queue (export.h); nothing here does I/O.
 * Model and tool spans feed the metrics when they end (metrics_hooks.h). A trace may continue a
 * remote one (W3C traceparent, gk__trace_continue), and gk__trace_traceparent gives the value for
 * outgoing calls.
 * Cost: with no sink configured and no trace requested, gk__span_begin is a slot read and an
 * atomic load (plus one small arena allocation for model and tool actions, for the metrics), and
 * inputs and outputs are never encoded.
 * Threads: a span belongs to its context's loop (its trace's fibers all run there). */
#ifndef GK_TELEMETRY_TRACE_H
#define GK_TELEMETRY_TRACE_H

#include <genkit/json.h>
#include <genkit/runtime.h>
#include <genkit/schema.h>

/* genkit:input / genkit:output larger than this are replaced by a marker and the span is marked
 * truncated. */
#define GK__SPAN_IO_CAP ((size_t)128 << 10)

typedef struct gk__span gk__span;

/* What a span is. Strings are borrowed: they must live as long as the request (action names and
 * keys live in the registry; step names are copied by gk__span_begin). */
typedef struct gk__span_info {
    const char *name;    /* genkit:name and displayName */
    const char *type;    /* genkit:type: "action", "flowStep", "util" */
    const char *subtype; /* genkit:metadata:subtype ("flow", "model", "tool"...), or NULL */
    const char *key;     /* genkit:key ("/flow/recipe"), or NULL */
} gk__span_info;

/* Called in the action's fiber as soon as the root span of a requested trace exists (before the
 * action body runs), e.g. to send X-Genkit-Trace-Id early. root is borrowed for the call. */
typedef void (*gk__trace_root_fn)(gk__span *root, void *arg);

/* A request for a trace rooted at the next span begun on a context (the reflection API's
 * runAction): the trace is made even when no exporter is configured, so that it has ids. */
typedef struct gk__trace_request {
    gk__trace_root_fn on_root; /* may be NULL */
    void *arg;
    const gk_json *labels;    /* object of string values copied onto the root span, or NULL */
    const char *context_json; /* genkit:metadata:context (already redacted), or NULL */
} gk__trace_request;

/*
 * Ask for a trace rooted at the next span begun on ctx (or a child of it).
 *
 * Ownership: req is copied into ctx's arena; labels and context_json are borrowed and must live
 *   as long as the request (the arena).
 * Context: ctx's fiber or loop, before the action starts. Returns: false if over the arena cap.
 */
bool gk__trace_request_install(gk_ctx *ctx, const gk__trace_request *req);

/*
 * Begin a span as a child of ctx's current span (or a new trace's root) and make it current.
 *
 * When nothing is traced, model and tool actions (subtype "model" / "tool") still get a
 * metrics-only span: it is never current, never exported and has no ids, but its end feeds the
 * model and tool metrics (metrics_hooks.h), which are always on.
 *
 * Returns: the span (in ctx's arena), or NULL when nothing is traced (no sink and no requested
 *   trace) and the action is neither a model nor a tool, or over the arena cap; every other
 *   gk__span_* call accepts NULL and does nothing.
 * Context: ctx's fiber.
 */
gk__span *gk__span_begin(gk_ctx *ctx, const gk__span_info *info);

/* True when the span's trace is exported, i.e. inputs and outputs are worth encoding. */
bool gk__span_records_io(const gk__span *s);

/* Record genkit:input / genkit:output as v encoded by t (capped at GK__SPAN_IO_CAP). No-op unless
 * gk__span_records_io. t NULL records nothing. A model span's gk_generate_response output is also
 * kept by reference (it must live until gk__span_end) for the token metrics. */
void gk__span_set_input(gk__span *s, const gk_type *t, const void *v);
void gk__span_set_output(gk__span *s, const gk_type *t, const void *v);

/* Record genkit:input / genkit:output from JSON text (copied). No-op unless gk__span_records_io. */
void gk__span_set_input_json(gk__span *s, const char *json, size_t len);
void gk__span_set_output_json(gk__span *s, const char *json, size_t len);

/*
 * End s with st (err gives the message for a failure; may be NULL), make its parent current on
 * ctx again, and, for the root of an exported trace (or every span in realtime mode), hand the
 * TraceData to the export queue.
 *
 * Context: the fiber that began s (ctx is the same context).
 */
void gk__span_end(gk_ctx *ctx, gk__span *s, gk_status st, const gk_error *err);

/* The current span of ctx, or NULL. */
gk__span *gk__span_current(const gk_ctx *ctx);

/* The span's trace id (32 hex) and span id (16 hex); "" for a metrics-only span. Borrowed from s. */
const char *gk__span_trace_id(const gk__span *s);
const char *gk__span_id(const gk__span *s);

/* The span's genkit:path ("/{recipe,t:flow}/{course-1,t:flowStep}"). Borrowed from s. */
const char *gk__span_path(const gk__span *s);

/* The trace id of ctx's requested or running trace: set once its root span began (for a trace
 * continued from a traceparent header, at once); "" before. */
const char *gk__ctx_trace_id(const gk_ctx *ctx);

/* ---- W3C trace context ---- */

/* A traceparent: version-format 00 ("00-<trace id>-<parent span id>-<flags>"). Invariants after a
 * successful parse: ids are lower-case hex, not all zeros, NUL-terminated. */
typedef struct gk__traceparent {
    char trace_id[33];
    char span_id[17];
    uint8_t flags; /* bit 0: sampled */
} gk__traceparent;

/* The length of a traceparent value with its NUL: "00-" 32 "-" 16 "-" 2, plus 1. */
#define GK__TRACEPARENT_SIZE 56

/*
 * Parse a traceparent header value strictly (W3C Trace Context level 1): blanks around the value
 * are ignored; hex must be lower case; all-zero ids and version ff are invalid; version 00 must
 * be exactly 55 characters, and a later version at least 55 with '-' after them (its extra
 * fields are ignored).
 *
 * Returns: true with *out filled; false (out untouched) for anything else.
 */
bool gk__traceparent_parse(const char *s, size_t len, gk__traceparent *out);

/*
 * Make the next span begun on ctx continue the remote trace tp: the span gets tp's trace id and
 * tp's span id as its parent. It is exported only when a sink is active and tp is sampled (the
 * parent-based sampling OpenTelemetry uses by default); otherwise nothing is traced, and
 * gk__trace_traceparent still passes tp on.
 *
 * Ownership: tp is copied into ctx's arena.
 * Context: ctx's fiber, before the action starts. Returns: false if ctx already has a span or
 *   trace request, or over the arena cap.
 */
bool gk__trace_continue(gk_ctx *ctx, const gk__traceparent *tp);

/*
 * The traceparent value for an outgoing call made in ctx's current span:
 * "00-<trace id>-<span id>-<01 when exported, else 00>", or, before any span of a continued
 * trace, the incoming header's ids and flags.
 *
 * Context: ctx's fiber (reads its span slot). Returns: true with out set (55 characters and a
 *   NUL); false when ctx has no trace (out is then "").
 */
bool gk__trace_traceparent(const gk_ctx *ctx, char out[GK__TRACEPARENT_SIZE]);

#endif
