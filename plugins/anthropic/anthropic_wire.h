/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/anthropic/anthropic_wire.h - the Messages API wire format, shared by the plugin's files
 * (plugin-private): building the request body, mapping responses, error types and stream events.
 * Nothing here does I/O; anthropic.c does the HTTP calls. */
#ifndef GK_PLUGINS_ANTHROPIC_WIRE_H
#define GK_PLUGINS_ANTHROPIC_WIRE_H

#include <genkit/http.h>
#include <genkit/plugins/anthropic.h>

/* The wire version header the plugin speaks. */
#define GK__ANTHROPIC_VERSION "2023-06-01"
/* max_tokens when neither the request nor the options set one (the API requires it). */
#define GK__ANTHROPIC_DEFAULT_MAX_TOKENS 4096

/* What the request builder needs to know about the model being called. */
typedef struct gk__anthropic_target {
    const char *model_id;   /* sent as "model" unless config.version overrides it */
    int default_max_tokens; /* > 0 */
    bool native_json;       /* the model takes output_config.format json_schema */
    bool stream;            /* send "stream": true (else false) */
} gk__anthropic_target;

/* What the request builder found in the request besides the body. */
typedef struct gk__anthropic_built {
    const char *api_key; /* config.apiKey (borrowed from the request), or NULL */
    const char *model;   /* the model id written into the body */
} gk__anthropic_built;

/*
 * Write the Messages API body for req into out (JSON, compact).
 *
 * Ownership: out is the caller's; strings in *built are borrowed from req or t.
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT with err->path naming the request field
 *   ("/messages/1/content/0", "/config/temperature"); GK_RESOURCE_EXHAUSTED if out hits its cap.
 */
gk_status gk__anthropic_build_request(gk_arena *a, const gk__anthropic_target *t,
                                      const gk_generate_request *req, gk_buf *out,
                                      gk__anthropic_built *built, gk_error *err);

/* The status for an Anthropic error type ("overloaded_error"), falling back on the HTTP status
 * (0 when the error came inside a stream). 5xx and 529 are GK_UNAVAILABLE. */
gk_status gk__anthropic_error_status(const char *type, int http_status);

/*
 * Fill err from an error body {"type":"error","error":{"type","message"},"request_id"}: the
 * status from the error type (or http_status), and the message "anthropic: <type>: <message>"
 * with any occurrence of secret (the API key; may be NULL) replaced by "[redacted]".
 * Returns: the status.
 */
gk_status gk__anthropic_error_from_body(gk_arena *a, int http_status, const char *body, size_t len,
                                        const char *secret, gk_error *err);

/* Receives each chunk the stream parser produces. */
typedef gk_status (*gk__anthropic_emit_fn)(void *arg, const gk_generate_response_chunk *chunk,
                                           gk_error *err);

/* The streaming state of one call. Lives in its arena (its buffers are freed with it). */
typedef struct gk__anthropic_stream gk__anthropic_stream;

/* A parser for one stream. emit may be NULL. Returns NULL if a is out of memory. */
gk__anthropic_stream *gk__anthropic_stream_new(gk_arena *a, gk__anthropic_emit_fn emit,
                                               void *emit_arg, const char *secret);

/* Feed one SSE event (a gk_line_fn body). Returns: GK_OK; the error event's status; GK_INTERNAL
 * for a malformed event; emit's status. */
gk_status gk__anthropic_stream_event(gk__anthropic_stream *s, const gk_line_event *ev,
                                     gk_error *err);

/* The stream ended: aggregate the reply into *resp. Returns: GK_OK; GK_UNAVAILABLE if
 * message_stop never came; GK_INTERNAL for a tool call whose input is not a JSON object. */
gk_status gk__anthropic_stream_finish(gk__anthropic_stream *s, gk_generate_response *resp,
                                      gk_error *err);

#endif
