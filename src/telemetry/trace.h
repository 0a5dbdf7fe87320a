/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/trace.h - spans with Genkit's attributes: every action invocation and every named
 * step is a span (W3C trace and span ids, genkit:name/type/metadata:subtype/path/input/output/
 * state/isRoot/isFailureSource), parented through the context slot GK_CTX_SLOT_SPAN, so branches
 * started with gk_go become child spans. Finished traces are serialized as Genkit TraceData JSON
 * and handed to the export queue (export.h); nothing here does I/O.
 * Cost: with no sink configured and no trace requested, gk__span_begin is a slot read and an
 * atomic load, and inputs and outputs are never encoded.
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
 * Returns: the span (in ctx's arena), or NULL when nothing is traced (no sink and no requested
 *   trace) or over the arena cap; every other gk__span_* call accepts NULL and does nothing.
 * Context: ctx's fiber.
 */
gk__span *gk__span_begin(gk_ctx *ctx, const gk__span_info *info);

/* True when the span's trace is exported, i.e. inputs and outputs are worth encoding. */
bool gk__span_records_io(const gk__span *s);

/* Record genkit:input / genkit:output as v encoded by t (capped at GK__SPAN_IO_CAP). No-op unless
 * gk__span_records_io. t NULL records nothing. */
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

/* The span's trace id (32 hex) and span id (16 hex). Borrowed from s. */
const char *gk__span_trace_id(const gk__span *s);
const char *gk__span_id(const gk__span *s);

/* The span's genkit:path ("/{recipe,t:flow}/{course-1,t:flowStep}"). Borrowed from s. */
const char *gk__span_path(const gk__span *s);

/* The trace id of ctx's requested or running trace: set once its root span began; "" before. */
const char *gk__ctx_trace_id(const gk_ctx *ctx);

#endif
