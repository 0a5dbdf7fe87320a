/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/openai_internal.h - what the files of the openai plugin share: the plugin's
 * state, the streaming accumulator and the error mapping (plugin-private, not installed). */
#ifndef GK_PLUGINS_OPENAI_INTERNAL_H
#define GK_PLUGINS_OPENAI_INTERNAL_H

#include <genkit/plugins/openai.h>

/* One configured plugin instance. Lives in the host arena until gk_shutdown.
 * Invariants: base_url has no trailing '/'; headers is NULL-terminated and holds the
 * Authorization line only when api_key is set. */
struct oai {
    const char *name;     /* plugin name: prefixes actions and error messages */
    const char *base_url; /* "https://api.openai.com/v1" */
    const char *api_key;  /* NULL: none configured */
    const char *key_env;  /* the variable the key is read from ("OPENAI_API_KEY") */
    bool official;        /* base_url is OpenAI's own: a key is required */
    const char **headers;
    int64_t timeout_ms;
};

/* Receives one streamed chunk (borrowed for the call). */
typedef gk_status (*oai_emit_fn)(void *arg, const gk_generate_response_chunk *chunk, gk_error *err);

struct oai_stream;

/* Whether model id names a reasoning model (o1, o3, o4, gpt-5 families), which take
 * max_completion_tokens instead of max_tokens. */
bool gk__openai_is_reasoning(const char *model);

/*
 * A streaming accumulator in a: feed it events with gk__openai_stream_event (a gk_line_fn), then
 * gk__openai_stream_end. emit (may be NULL) receives each delta as a chunk.
 * Ownership: lives in a (its buffers are released when a is freed). Returns NULL if out of memory.
 */
struct oai_stream *gk__openai_stream_new(gk_arena *a, oai_emit_fn emit, void *emit_arg);

/* A gk_line_fn over a struct oai_stream. */
gk_status gk__openai_stream_event(void *arg, const gk_line_event *ev, gk_error *err);

/* The aggregated reply once the stream ended (tool requests are emitted as one last chunk).
 * Returns: GK_OK; GK_UNAVAILABLE if the stream ended before [DONE] and before any finish_reason. */
gk_status gk__openai_stream_end(struct oai_stream *s, gk_generate_response *resp, gk_error *err);

/* The status for an OpenAI error object's HTTP code (0 inside a stream), type and code. */
gk_status gk__openai_error_status(int http, const char *type, const char *code);

/*
 * Fill err from an error response (status >= 300): the status by gk__openai_error_status,
 * retry_after_ms from its headers, and "<plugin>: HTTP <n> (<code>): <message>" with the key
 * masked. Returns err's status.
 */
gk_status gk__openai_http_error(const struct oai *o, const gk_http_response *hr, gk_error *err);

/*
 * POST body to <base_url><path> with the plugin's headers; park until done. stream/on_event as
 * in gk_http_request. A non-2xx reply becomes an error through gk__openai_http_error.
 * Returns: GK_OK with *out (2xx); the transport's or the provider's error status.
 */
gk_status gk__openai_post(gk_ctx *ctx, const struct oai *o, const char *path, const gk_buf *body,
                          gk_line_fn on_event, void *event_arg, gk_http_response **out,
                          gk_error *err);

/* The embed function of the plugin's embedders (self: struct oai_embedder). */
struct oai_embedder {
    const struct oai *o;
    const char *id;
};
gk_status gk__openai_embed(void *self, gk_ctx *ctx, const gk_embed_request *req,
                           gk_embed_response *resp, gk_error *err);

#endif
