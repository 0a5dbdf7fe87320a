/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/plugins/anthropic.h - the Anthropic plugin: Claude models over the Messages API
 * (POST <base>/v1/messages, x-api-key + anthropic-version 2023-06-01), streaming included.
 * Threads: plugins are initialized by gk_init on its thread; models are called from fibers.
 *
 * Configuration (gk_plugin_anthropic reads the environment when it is initialized):
 *   ANTHROPIC_API_KEY     the key, sent as the x-api-key header (never logged, never in errors)
 *   ANTHROPIC_BASE_URL    default https://api.anthropic.com (no trailing "/v1")
 *   GK_ANTHROPIC_MODELS   extra model ids to define besides the well-known ones, comma-separated
 *                         ("claude-sonnet-4-5-20250929,claude-3-haiku-20240307")
 * Programmatic configuration: write a two-line plugin of your own whose init calls
 * gk_anthropic_init with a gk_anthropic_opts (see there); it may use another plugin name, so that
 * two Anthropic accounts or gateways can be served side by side ("anthropic-eu/claude-...").
 *
 * Models are "anthropic/<id>": claude-opus-4-6, claude-opus-4-5, claude-opus-4-1,
 * claude-sonnet-4-5, claude-sonnet-4-0, claude-haiku-4-5, claude-3-5-haiku-latest, plus the extra
 * ids. The request config may name another id to send with "version" ("claude-opus-4-1-20250805").
 *
 * Request config (GenerateRequest.config): temperature, maxOutputTokens (-> max_tokens, which the
 * API requires: default 4096), topP, topK, stopSequences, version; "thinking" as Anthropic's
 * object, or Genkit's {"enabled":true,"budgetTokens":N}; every other key is sent as it is
 * (metadata, service_tier, output_config, tool_choice, ...). seed and candidateCount are dropped:
 * the API has no such parameters.
 * Parts: text; media as image or document blocks (data: URLs as base64 sources, https URLs as url
 * sources; application/pdf is a document); toolRequest / toolResponse as tool_use / tool_result
 * (part metadata {"isError":true} marks a failed tool); reasoning as thinking blocks with their
 * signature in part metadata "thoughtSignature"; a custom part whose object has a "type" is sent
 * as that content block verbatim (redacted_thinking, server tool blocks come back that way).
 * Structured output: output.format "json" with a schema becomes output_config.format json_schema
 * on the models that support it (constrained "all"); elsewhere Genkit's instructions are used.
 */
#ifndef GENKIT_PLUGINS_ANTHROPIC_H
#define GENKIT_PLUGINS_ANTHROPIC_H

#include <genkit/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin, configured from the environment (above). Its init fails only for a malformed
 * GK_ANTHROPIC_MODELS or base URL; a missing key is reported by each call. */
GK_API extern const gk_plugin gk_plugin_anthropic;

/* Programmatic options. Zero fields take the defaults; strings are copied by gk_anthropic_init. */
typedef struct gk_anthropic_opts {
    const char *api_key;  /* NULL: $ANTHROPIC_API_KEY */
    const char *base_url; /* NULL: $ANTHROPIC_BASE_URL, else "https://api.anthropic.com" */
    /* NULL-terminated extra model ids (without the plugin prefix); NULL: $GK_ANTHROPIC_MODELS. */
    const char *const *models;
    int default_max_tokens; /* max_tokens when the request sets none; 0: 4096 */
    int64_t timeout_ms;     /* per call (the ctx deadline applies too); 0: none */
    const char *beta;       /* anthropic-beta header value ("a,b"); NULL: none */
} gk_anthropic_opts;

/*
 * Define the Anthropic models for the plugin being initialized, configured by opts.
 *
 * Call it from a plugin's init; models are named "<plugin name>/<model id>".
 * Ownership: opts is only read; what it points to is copied into the host's arena.
 * Context: a plugin's init (gk_init). opts may be NULL (all defaults, environment included).
 * Returns: GK_OK; GK_INVALID_ARGUMENT for a base URL that is not http(s) or a malformed model id
 *   (err names it); GK_ALREADY_EXISTS; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_anthropic_init(gk_plugin_host *host, const gk_anthropic_opts *opts,
                                   gk_error *err);

/*
 * Map a Messages API response body (non-streaming, HTTP 200) to *resp: text, tool_use,
 * thinking and other blocks to parts, stop_reason to the finish reason, usage.
 *
 * Exposed for tests and the fuzz target; the models use it themselves.
 * Ownership: *resp points into a (and into nothing else). Context: any.
 * Returns: GK_OK; GK_INTERNAL with a message naming the field when the body is not a valid
 *   Messages response; GK_RESOURCE_EXHAUSTED when a runs out.
 */
GK_API gk_status gk_anthropic_parse_response(gk_arena *a, const char *body, size_t len,
                                             gk_generate_response *resp, gk_error *err);

/*
 * Replay a Messages API event stream (the raw text/event-stream bytes) through the streaming
 * parser the models use: each text or thinking delta and each finished tool call goes to on_chunk
 * (may be NULL), and the aggregated reply to *resp.
 *
 * Exposed for tests and the fuzz target. Bytes are fed in pieces of at most `split` bytes (0: all
 * at once), as they would arrive from the network.
 * Ownership: *resp points into a. Chunks are borrowed for the callback.
 * Context: any. Returns: GK_OK; the provider's error event as a status (overloaded_error:
 *   GK_UNAVAILABLE, ...); GK_UNAVAILABLE for a stream that ends before message_stop; GK_INTERNAL
 *   for malformed events; on_chunk's status.
 */
GK_API gk_status gk_anthropic_parse_stream(gk_arena *a, const char *body, size_t len, size_t split,
                                           gk_model_chunk_fn on_chunk, void *chunk_arg,
                                           gk_generate_response *resp, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
