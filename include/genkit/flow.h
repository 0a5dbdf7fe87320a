/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/flow.h - the genkit instance, the action registry, typed flows, streaming flows and named
 * steps (gk_run). A flow is a C function taking a plain input struct and filling an output struct;
 * GK_DEFINE_FLOW checks its signature against the declared types at compile time.
 * Threads: define everything before gk_serve; the registry is read-only while serving. Flow
 * functions run in fibers, one request per fiber. */
#ifndef GENKIT_FLOW_H
#define GENKIT_FLOW_H

#include <genkit/json.h>
#include <genkit/runtime.h>
#include <genkit/schema.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_genkit gk_genkit;
typedef struct gk_action gk_action;
typedef struct gk_stream gk_stream;
typedef struct gk_plugin gk_plugin; /* genkit/plugin.h */

typedef struct gk_init_opts {
    int threads;               /* carrier threads; 0: $GK_THREADS, else the number of cores */
    const char *default_model; /* "provider/name" used when a generate call names none */
    const char *name;          /* service name for logs and telemetry; default: program name */
    const gk_plugin *const *plugins; /* NULL-terminated, initialized in order; may be NULL */
} gk_init_opts;

/*
 * Create a genkit instance: runtime, registry, then each plugin's init (which defines its models).
 *
 * Ownership: free with gk_shutdown. opts may be NULL and is only read.
 * Returns: the instance, or NULL with err set.
 */
GK_API gk_genkit *gk_init(const gk_init_opts *opts, gk_error *err);

/* Release everything gk_init made. NULL is a no-op. */
GK_API void gk_shutdown(gk_genkit *g);

/* The runtime of g (its loops). */
GK_API gk_runtime *gk_genkit_runtime(gk_genkit *g);

/* The kinds of action (the <type> in the key /<type>/<name>). */
typedef enum gk_action_type {
    GK_ACTION_FLOW,
    GK_ACTION_MODEL,
    GK_ACTION_TOOL,
    GK_ACTION_EMBEDDER,
    GK_ACTION_RETRIEVER,
    GK_ACTION_INDEXER,
    GK_ACTION_EVALUATOR,
    GK_ACTION_PROMPT,
    GK_ACTION_EXECUTABLE_PROMPT,
    GK_ACTION_UTIL,
    GK_ACTION_TYPE_COUNT,
} gk_action_type;

/* "flow", "model", "tool", ... */
GK_API const char *gk_action_type_name(gk_action_type t);

/*
 * An action body. in points to a decoded value of the action's input type, out to a zeroed value of
 * its output type; stream is NULL unless the caller streams (then send chunks with gk_stream_send).
 * Report failures through err and return their status.
 */
typedef gk_status (*gk_action_fn)(gk_ctx *ctx, const void *in, void *out, gk_stream *stream,
                                  void *self, gk_error *err);

/* Everything that defines an action. Strings and metadata are copied at definition. */
typedef struct gk_action_desc {
    gk_action_type type;
    const char *name;        /* unique within its type */
    const char *description; /* may be NULL */
    const gk_type *in_type;  /* required */
    const gk_type *out_type; /* required */
    const gk_type *chunk_type; /* NULL: does not stream */
    gk_action_fn fn;
    void *self;
    const char *metadata_json; /* extra metadata object as JSON text, or NULL */
} gk_action_desc;

/*
 * Register an action under /<type>/<name>.
 *
 * Context: before serving. Returns: the action (lives as long as g), or NULL with err:
 *   GK_ALREADY_EXISTS for a duplicate key, GK_INVALID_ARGUMENT for a bad descriptor,
 *   GK_FAILED_PRECONDITION once serving started.
 */
GK_API gk_action *gk_define_action(gk_genkit *g, const gk_action_desc *desc, gk_error *err);

/* Find an action by key ("/flow/recipe"), or NULL. */
GK_API gk_action *gk_lookup_action(gk_genkit *g, const char *key);

/* Find an action by type and name, or NULL. */
GK_API gk_action *gk_lookup(gk_genkit *g, gk_action_type type, const char *name);

/* Number of actions and the i-th in key order (for listing). */
GK_API size_t gk_action_count(gk_genkit *g);
GK_API gk_action *gk_action_at(gk_genkit *g, size_t i);

GK_API const char *gk_action_key(const gk_action *a);
GK_API const char *gk_action_name(const gk_action *a);
GK_API gk_action_type gk_action_get_type(const gk_action *a);
GK_API const char *gk_action_description(const gk_action *a);
GK_API const gk_type *gk_action_in_type(const gk_action *a);
GK_API const gk_type *gk_action_out_type(const gk_action *a);
GK_API const gk_type *gk_action_chunk_type(const gk_action *a);
/* Metadata object as JSON text ("{}" if none). */
GK_API const char *gk_action_metadata(const gk_action *a);

/*
 * Send one chunk to whoever streams the action. chunk points to a value of the action's chunk type.
 *
 * Context: the action's fiber. Returns: GK_OK; GK_CANCELLED if the receiver went away (stop work);
 *   GK_RESOURCE_EXHAUSTED if the chunk could not be encoded within limits.
 */
GK_API gk_status gk_stream_send(gk_stream *stream, const void *chunk, gk_error *err);

/* Receives each chunk as a C value of the action's chunk type (borrowed for the call). Returning
 * non-OK tells the action to stop (its gk_stream_send returns that status). */
typedef gk_status (*gk_typed_chunk_fn)(const void *chunk, void *arg);

/*
 * A stream for calling an action in-process with gk_action_run and receiving its chunks as C values.
 *
 * Ownership: lives in ctx's arena. Context: a fiber. Returns: NULL if over the arena cap.
 */
GK_API gk_stream *gk_stream_new(gk_ctx *ctx, gk_typed_chunk_fn on_chunk, void *arg);

/* Receives each chunk as JSON text while an action streams. Returning non-OK cancels the action. */
typedef gk_status (*gk_chunk_fn)(const char *json, size_t len, void *arg);

/*
 * Run action a with a JSON input: decode by its input type, call it, encode the output.
 *
 * The output is written as the next value of out (so callers can wrap it, e.g. {"result": ...}).
 * on_chunk may be NULL (no streaming). Every step is traced.
 * Ownership: everything lives in ctx's arena. Context: a fiber.
 * Returns: the action's status; GK_INVALID_ARGUMENT with err->path for input that does not match.
 */
GK_API gk_status gk_action_run_json(gk_ctx *ctx, gk_action *a, const gk_json *input,
                                    gk_chunk_fn on_chunk, void *chunk_arg, gk_jw *out,
                                    gk_error *err);

/*
 * Run action a with typed input and output (in/out are values of its declared types).
 *
 * Context: a fiber. Returns: the action's status.
 */
GK_API gk_status gk_action_run(gk_ctx *ctx, gk_action *a, const void *in, void *out,
                               gk_stream *stream, gk_error *err);

/* ---- typed flows ---- */

/* Wraps a typed flow function; generated by GK_DEFINE_FLOW (not for direct use). */
GK_API gk_action *gk__define_flow(gk_genkit *g, const char *name, const char *description,
                                  const gk_type *in_type, const gk_type *out_type,
                                  const gk_type *chunk_type, void (*fn)(void), bool streaming,
                                  gk_error *err);

/*
 * Define flow `name` whose function is
 *     gk_status fn(gk_ctx *ctx, const InT *in, OutT *out, gk_error *err);
 * InT and OutT must have descriptors (GK_SCHEMA_DEFINE). A function of any other signature, or types
 * without descriptors, fail to compile. Returns the gk_action * (NULL with err set on failure).
 */
#define GK_DEFINE_FLOW(g, name, desc, fn, InT, OutT, err)                                         \
    gk__define_flow((g), (name), (desc), GK_TYPE_OF(InT), GK_TYPE_OF(OutT), NULL,                  \
                    (void (*)(void))_Generic((fn),                                                 \
                        gk_status(*)(gk_ctx *, const InT *, OutT *, gk_error *): (fn)),            \
                    false, (err))

/*
 * Define a streaming flow whose function is
 *     gk_status fn(gk_ctx *ctx, const InT *in, OutT *out, gk_stream *stream, gk_error *err);
 * and which sends values of ChunkT with gk_stream_send (stream is NULL when the caller does not
 * stream: gk_stream_send then does nothing).
 */
#define GK_DEFINE_STREAMING_FLOW(g, name, desc, fn, InT, OutT, ChunkT, err)                       \
    gk__define_flow((g), (name), (desc), GK_TYPE_OF(InT), GK_TYPE_OF(OutT), GK_TYPE_OF(ChunkT),    \
                    (void (*)(void))_Generic((fn),                                                 \
                        gk_status(*)(gk_ctx *, const InT *, OutT *, gk_stream *, gk_error *): (fn)), \
                    true, (err))

/* ---- named steps ---- */

/* A step body: fills out (a value of the step's output type) from arg. */
typedef gk_status (*gk_step_fn)(gk_ctx *ctx, void *arg, void *out, gk_error *err);

/*
 * Run fn as a named step of the current flow: traced as a child span of type flowStep, with its
 * output recorded (encoded by out_type, which may be NULL for untraced output).
 *
 * Context: a flow's fiber. Returns: fn's status.
 */
GK_API gk_status gk_run(gk_ctx *ctx, const char *name, gk_step_fn fn, void *arg,
                        const gk_type *out_type, void *out, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
