/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/middleware.h - model middleware: a chain of functions around one model call, each of which
 * sees the request before the model, may change it (as a copy), call the rest of the chain any
 * number of times (retry, fallback) or answer without it, and sees the response or error after it.
 * The shipped middlewares are Genkit's: retry with backoff, fallback to other models, simulated
 * system prompt, simulated constrained output and context documents for models that lack them. A
 * user's own middleware is the same struct: that is the hook point.
 * Threads: a middleware value is plain constant data once built; call the chain from a fiber.
 *
 * The shape, in one place:
 *
 *     gk_status my_mw(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
 *                     const char *model_name, const gk_generate_request *req,
 *                     gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
 *                     gk_error *err, gk_model_next_fn next, void *next_state)
 *     {
 *         ...look at or copy req (copies in gk_ctx_arena(ctx): req itself is const)...
 *         gk_status st = next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);
 *         ...look at resp or err...
 *         return st;
 *     }
 *     gk_model_middleware mine = {.name = "mine", .fn = my_mw, .config = &my_config};
 *     gk_model_middleware retry = gk_mw_retry(&(gk_retry_opts){.max_retries = 2});
 *     const gk_model_middleware *chain[] = {&retry, &mine, NULL};
 *     st = gk_model_call_mw(ctx, g, "openai/gpt-4o-mini", chain, &req, NULL, NULL, &resp, &err);
 *
 * chain[0] is outermost: it sees the request first and the result last; the model runs after the
 * last one. A useful order is: fallback, retry, the user's own, then the simulations (innermost, so
 * that they read the capabilities of the model actually called after a fallback). */
#ifndef GENKIT_MIDDLEWARE_H
#define GENKIT_MIDDLEWARE_H

#include <genkit/ai.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_model_middleware gk_model_middleware;

/*
 * Call the rest of the chain (the next middleware, or the model after the last one).
 *
 * model_name is normally the name the middleware received; a middleware may pass another one
 * (fallback does), and everything after it then works with that model. resp is zeroed first, so a
 * middleware may call next several times with the same resp. next_state is the value the
 * middleware received: pass it back unchanged.
 * Ownership: as gk_model_call: req is borrowed for the call; what resp points to lives in ctx's
 *   arena or req's tree.
 * Context: the calling fiber, during the middleware's own call only.
 * Returns: GK_OK; the model's (or a later middleware's) status with err filled.
 */
typedef gk_status (*gk_model_next_fn)(gk_ctx *ctx, const char *model_name,
                                      const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                                      void *chunk_arg, gk_generate_response *resp, gk_error *err,
                                      void *next_state);

/*
 * A middleware's body: answer req for model model_name into *resp (zeroed on entry), usually by
 * calling next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state).
 *
 * self is the middleware (read self->config). on_chunk may be NULL (the caller does not stream); a
 * middleware that wraps it must forward every chunk and keep NULL as NULL.
 * Ownership: req is borrowed; build a changed request as a shallow copy in gk_ctx_arena(ctx).
 *   What resp points to must live in ctx's arena, req's tree or static memory.
 * Context: the calling fiber; park freely.
 * Returns: GK_OK with resp filled, or an error status with err filled.
 */
typedef gk_status (*gk_model_middleware_fn)(const gk_model_middleware *self, gk_ctx *ctx,
                                            gk_genkit *g, const char *model_name,
                                            const gk_generate_request *req,
                                            gk_model_chunk_fn on_chunk, void *chunk_arg,
                                            gk_generate_response *resp, gk_error *err,
                                            gk_model_next_fn next, void *next_state);

/* One link of the chain. Plain data: copy it freely. name is for errors and traces. */
struct gk_model_middleware {
    const char *name;
    gk_model_middleware_fn fn;
    const void *config; /* whatever fn reads (borrowed; the constructors below document theirs) */
};

/*
 * Call model model_name with req through the middlewares mw (outermost first).
 *
 * mw is a NULL-terminated array, or NULL for none (then this is gk_model_call).
 * Ownership: *resp is zeroed first; what it points to lives in ctx's arena or req's tree. mw and
 *   req are only read during the call.
 * Context: a fiber (usually a flow's); parks while the model runs.
 * Returns: GK_OK; GK_INVALID_ARGUMENT for a middleware without fn; otherwise as gk_model_call or
 *   the status a middleware returned. A middleware that fails without filling err gets a generic
 *   message naming it.
 */
GK_API gk_status gk_model_call_mw(gk_ctx *ctx, gk_genkit *g, const char *model_name,
                                  const gk_model_middleware *const *mw,
                                  const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                                  void *chunk_arg, gk_generate_response *resp, gk_error *err);

/* ---- retry ---- */

/* How a backoff delay d is randomized (so that many clients failing together do not retry
 * together). */
typedef enum gk_retry_jitter {
    GK_RETRY_JITTER_EQUAL, /* the default: d/2 plus a uniform random part in [0, d - d/2] */
    GK_RETRY_JITTER_FULL,  /* uniform in [0, d] */
    GK_RETRY_JITTER_NONE,  /* exactly d */
} gk_retry_jitter;

/* Options of gk_mw_retry. Zero fields take the defaults. */
typedef struct gk_retry_opts {
    int max_retries;          /* retries after the first attempt; 0: 3; negative: none */
    int64_t initial_delay_ms; /* backoff before the first retry; 0: 1000 */
    int64_t max_delay_ms;     /* backoff cap and longest retry-after honoured; 0: 60000 */
    double backoff_factor;    /* each backoff is the previous times this; 0 (or < 1): 2 */
    gk_retry_jitter jitter;
    /* Statuses that are retried, terminated by GK_OK; NULL: UNAVAILABLE, RESOURCE_EXHAUSTED,
     * DEADLINE_EXCEEDED, ABORTED, INTERNAL (Genkit JS's list). */
    const gk_status *statuses;
    /* Called before each wait: attempt is the retry about to happen (1 first), delay_ms the wait,
     * err the failure being retried. May be NULL. */
    void (*on_retry)(const char *model_name, int attempt, int64_t delay_ms, const gk_error *err,
                     void *arg);
    void *on_retry_arg;
    /* Waits ms milliseconds; NULL: gk_sleep (ended early by the ctx's cancellation or deadline).
     * Tests pass a fake that records delays. A non-OK return ends the retries with that status. */
    gk_status (*sleep)(gk_ctx *ctx, int64_t ms, void *arg);
    void *sleep_arg;
    /* Uniform random 64-bit values for jitter; NULL: a per-thread generator seeded by the clock. */
    uint64_t (*random)(void *arg);
    void *random_arg;
} gk_retry_opts;

/*
 * A middleware that calls the rest of the chain again when it fails with a retried status.
 *
 * Before retry k (1-based) it waits the backoff min(initial * factor^(k-1), max_delay), jittered,
 * and at least err->retry_after_ms when the provider asked for a delay. It does not retry, and
 * returns the failure as it is, when: the status is not listed; a chunk was already streamed to
 * the caller (it cannot be taken back); ctx was cancelled or its deadline passed; the retry-after
 * is longer than max_delay_ms, or the wait would end past ctx's deadline (failing now leaves the
 * time to a fallback); or max_retries retries were made (the last error is returned).
 * A wait that ctx's cancellation or deadline cuts short returns GK_CANCELLED or
 * GK_DEADLINE_EXCEEDED, with the failure being retried named in the message.
 * Ownership: opts (and the status list) are borrowed: keep them alive as long as the middleware is
 *   used. opts may be NULL (all defaults).
 * Context: any (building it); the middleware runs in the calling fiber.
 */
GK_API gk_model_middleware gk_mw_retry(const gk_retry_opts *opts);

/* ---- fallback ---- */

/* Options of gk_mw_fallback. */
typedef struct gk_fallback_opts {
    const char *const *models; /* NULL-terminated; tried in order after the requested model */
    /* Statuses that move on to the next model, terminated by GK_OK; NULL: UNAVAILABLE,
     * RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED, INTERNAL, NOT_FOUND, UNIMPLEMENTED. */
    const gk_status *statuses;
    /* Called before each switch with the failure that caused it. May be NULL. */
    void (*on_fallback)(const char *from_model, const char *to_model, const gk_error *err,
                        void *arg);
    void *on_fallback_arg;
} gk_fallback_opts;

/*
 * A middleware that, when the model fails with a listed status, calls the rest of the chain with
 * the same request for each model of opts->models in turn, until one succeeds.
 *
 * A failure with an unlisted status is returned at once; so is any failure after a chunk was
 * streamed to the caller, or once ctx ended. When every model failed, the last model's error is
 * returned.
 * Ownership: opts and its arrays are borrowed: keep them alive as long as the middleware is used.
 * Context: any (building it); the middleware runs in the calling fiber.
 */
GK_API gk_model_middleware gk_mw_fallback(const gk_fallback_opts *opts);

/* ---- simulations for models that lack a feature ---- */

/* Options of gk_mw_simulate_system_prompt. NULL members take the defaults. */
typedef struct gk_system_prompt_opts {
    const char *preface;         /* NULL: "SYSTEM INSTRUCTIONS:\n" */
    const char *acknowledgement; /* NULL: "Understood." */
} gk_system_prompt_opts;

/*
 * A middleware that, when the model's metadata says supports.systemRole is false, replaces the
 * first system message by a user message [{text: preface}, ...the system message's parts] followed
 * by a model message [{text: acknowledgement}], as Genkit JS's simulateSystemPrompt does.
 *
 * Requests for models that support system messages, or whose metadata has no model.supports
 * object (capabilities unknown), or that have no system message, pass through unchanged.
 * Ownership: opts (and its strings) are borrowed; opts may be NULL.
 * Context: any (building it); the middleware runs in the calling fiber.
 */
GK_API gk_model_middleware gk_mw_simulate_system_prompt(const gk_system_prompt_opts *opts);

/* Options of gk_mw_simulate_constrained. */
typedef struct gk_constrained_opts {
    /* Renders the instructions for schema into a string in a (NULL: out of memory). NULL: the
     * default, "Output should be in JSON format and conform to the following schema:\n\n```\n"
     * then the schema as compact JSON, then "\n```\n". */
    const char *(*instructions)(gk_arena *a, const gk_json *schema, void *arg);
    void *instructions_arg;
} gk_constrained_opts;

/*
 * A middleware that, when the request asks for constrained output with a schema and the model
 * cannot constrain natively (supports.constrained "none", or "no-tools" with tools offered), adds
 * the schema instructions as a text part with metadata {"purpose":"output"} to the first system
 * message, else to the last user message, and sends the model an unconstrained request (output
 * constrained false; format, contentType and schema removed), as Genkit JS's
 * simulateConstrainedGeneration does. If some message already holds a non-pending output part no
 * part is added; a pending one ({"purpose":"output","pending":true}) is replaced.
 *
 * Ownership: opts is borrowed; opts may be NULL.
 * Context: any (building it); the middleware runs in the calling fiber.
 */
GK_API gk_model_middleware gk_mw_simulate_constrained(const gk_constrained_opts *opts);

/* Options of gk_mw_augment_with_context. */
typedef struct gk_context_opts {
    /* Text before the documents; NULL: "\n\nUse the following information to complete your
     * task:\n\n"; "": none. */
    const char *preface;
    /* Metadata key whose value cites a document; NULL: "ref", else "id", else its index. */
    const char *citation_key;
} gk_context_opts;

/*
 * A middleware that, when the request has docs and the model does not declare supports.context,
 * appends to the last user message a text part with metadata {"purpose":"context"}:
 * preface, then "- [<citation>]: <document text>\n" per document, then "\n" (Genkit JS's
 * augmentWithContext). A message that already holds a non-pending context part is left as it is;
 * a pending one is replaced. The docs stay in the request.
 *
 * Ownership: opts (and its strings) are borrowed; opts may be NULL.
 * Context: any (building it); the middleware runs in the calling fiber.
 */
GK_API gk_model_middleware gk_mw_augment_with_context(const gk_context_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
