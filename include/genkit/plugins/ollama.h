/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/plugins/ollama.h - the Ollama plugin: models "ollama/<model>" over the native
 * POST /api/chat (NDJSON streaming) and embedders "ollama/<model>" over POST /api/embed, on the
 * wire as Ollama's own clients (ollama-python, ollama-js) speak it. For Ollama's OpenAI dialect
 * (/v1/chat/completions) use the openai plugin with a base URL instead.
 * Threads: init runs in gk_init; models and embedders run on the calling flow's fiber.
 *
 * Configuration (read once, at init; the environment fills what the options leave NULL):
 *   host      opts.host, else $OLLAMA_HOST, else http://127.0.0.1:11434. As Ollama's clients do,
 *             a host without a scheme is http ("localhost:8080", "10.0.0.5", ":11434"), and a
 *             scheme-less host without a port gets 11434; a URL with a scheme keeps its own
 *             (default) port, and a path ("https://proxy.example/ollama") prefixes /api/....
 *   API key   opts.api_key, else $OLLAMA_API_KEY: sent as "Authorization: Bearer <key>" (hosted
 *             ollama.com or an authenticating proxy); without one no Authorization header goes
 *             out (a local server needs none). Never logged, never in an error message.
 *   models    always defined: llama3.2, qwen3, gemma3, llava, mistral, gpt-oss; more from
 *             opts.models and $GK_OLLAMA_MODELS ("llama3.2:1b,qwen3:8b"; duplicates skipped).
 *             Ids are Ollama model names with tags and namespaces ("hf.co/user/repo:Q4_K_M").
 *             ($OLLAMA_MODELS is not read: for Ollama itself it names the models directory.)
 *   embedders always: nomic-embed-text (768 dims), mxbai-embed-large (1024), all-minilm (384);
 *             more from opts.embedders and $GK_OLLAMA_EMBEDDERS.
 *   Ollama has no catalogue a client can trust offline, so a model's "supports" metadata comes
 *   from its family (the name without namespace and tag), conservatively: every model gets
 *   multiturn and systemRole; tools only for families whose Ollama templates handle tools
 *   (llama3.1/3.2/3.3, llama4, qwen2.5, qwen3, qwq, mistral, mixtral, mistral-nemo,
 *   mistral-small, command-r, granite3, hermes3, firefunction, nemotron, smollm2, phi4-mini,
 *   gpt-oss, devstral, magistral, cogito); media for vision families (llava, bakllava,
 *   llama3.2-vision, llama4, gemma3 (not gemma3n), qwen2.5vl, qwen3-vl, minicpm-v, moondream,
 *   granite3.2-vision, mistral-small3.1/3.2). toolChoice never (Ollama cannot force or forbid a
 *   call). The flags are advisory: requests are sent as asked, and a server whose model lacks a
 *   capability answers 400 ("... does not support tools"), returned as GK_INVALID_ARGUMENT.
 *   JSON output is constrained natively ("format"), not together with tools.
 *
 * Request mapping (GenerateRequest -> /api/chat):
 *   {"model", "messages", "tools"?, "format"?, "options"?, "stream", "keep_alive"?, "think"?}.
 *   "stream" is always sent (Ollama streams unless told "stream": false).
 *   messages: system -> "system", user -> "user", model -> "assistant", tool -> "tool". A
 *     message's text parts are concatenated into "content" (data parts as their JSON text);
 *     media parts go to "images" as raw base64: a data: URL (";base64,") is cut to its payload;
 *     http(s) URLs are refused with GK_INVALID_ARGUMENT (Ollama does not fetch URLs), as are
 *     non-image media types. Reasoning parts -> "thinking"; toolRequest parts -> "tool_calls"
 *     [{"function": {"name", "arguments": input object}}] plus "id": ref when the ref is not
 *     one this plugin numbered ("0", "1", ...: servers that send no ids); each toolResponse
 *     part -> its own {"role": "tool", "content", "tool_name"[, "tool_call_id"]} message
 *     (a string output as it is, anything else as JSON text), placed before the rest of its
 *     message. custom and resource parts are refused.
 *   tools -> {"type": "function", "function": {"name", "description", "parameters":
 *     inputSchema (or an empty object schema)}}. toolChoice "none" sends no tools; "required"
 *     cannot be expressed and is sent as "auto".
 *   output format "json" (or contentType application/json) -> "format": the schema, or "json"
 *     without a schema or with constrained false.
 *   config: temperature, topP -> top_p, topK -> top_k, maxOutputTokens -> num_predict,
 *     stopSequences -> stop, seed, frequencyPenalty -> frequency_penalty, presencePenalty ->
 *     presence_penalty, all in "options"; "keep_alive" (or keepAlive), "think", "format",
 *     "truncate", "shift", "logprobs", "top_logprobs" top level; "version" sends the call to
 *     another model id; "options" (an object) is merged into "options"; every other key goes
 *     into "options" as it is (num_ctx, repeat_penalty, min_p, num_gpu, ...). A key with the
 *     wire name replaces the mapped one (num_predict over maxOutputTokens).
 *
 * Response mapping: message.thinking -> a reasoning part (first), message.content -> a text
 *   part, message.tool_calls -> toolRequest parts (input: the arguments object, or a JSON
 *   string's value from proxies that send one; ref: tool_calls[].id, else the call's index in
 *   the reply "0", "1", ...). done_reason stop -> "stop", length -> "length", load, unload and
 *   others -> "other" (with finishMessage), absent -> "unknown". prompt_eval_count ->
 *   inputTokens, eval_count -> outputTokens, their sum -> totalTokens. custom: {"model",
 *   "created_at", "total_duration", "load_duration", "prompt_eval_duration", "eval_duration"}
 *   (durations in ns, as sent). Streams: one chunk per line with content, thinking or tool
 *   calls (tool calls arrive whole); the final line (done: true) carries the counters.
 * Errors: {"error": "text"} bodies -> the status of the HTTP code (400 INVALID_ARGUMENT, 401
 *   UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND (model not pulled), 429
 *   RESOURCE_EXHAUSTED with err->retry_after_ms, 500 INTERNAL, 502/503 UNAVAILABLE), message
 *   "ollama error (HTTP <code>, <STATUS>): <text>". An {"error"} line inside a 200 stream ->
 *   GK_NOT_FOUND for "... not found", GK_INVALID_ARGUMENT for "... does not support ...",
 *   GK_UNAVAILABLE for "server busy", else GK_INTERNAL. A stream that ends before its done
 *   line -> GK_UNAVAILABLE; malformed provider JSON -> GK_INTERNAL naming the line.
 */
#ifndef GENKIT_PLUGINS_OLLAMA_H
#define GENKIT_PLUGINS_OLLAMA_H

#include <genkit/embed.h>
#include <genkit/http.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Programmatic options. Zero fields take the environment / defaults above. Strings are copied. */
typedef struct gk_ollama_opts {
    const char *host;             /* NULL: $OLLAMA_HOST, else http://127.0.0.1:11434 */
    const char *api_key;          /* NULL: $OLLAMA_API_KEY, else none */
    const char *const *models;    /* extra model ids ("llama3.2:1b"), NULL-terminated */
    const char *const *embedders; /* extra embedder ids, NULL-terminated */
    int64_t timeout_ms;           /* whole-call limit per upstream request; 0: none */
} gk_ollama_opts;

/*
 * The plugin table, configured from the environment (or from its config JSON when the host
 * passes one: {"host","apiKey","models":[...],"embedders":[...],"timeoutMs"}).
 */
GK_API extern const gk_plugin gk_plugin_ollama;

/*
 * Define the plugin's models and embedders with opts, for applications that configure it in
 * code: call it from the init of a plugin table of your own (its name prefixes the actions):
 *
 *   static gk_status my_init(gk_plugin_host *h, const gk_json *cfg, gk_error *err)
 *   {
 *       gk_ollama_opts o = {.host = "gpu-box:11434", .models = my_models};
 *       return gk_ollama_init(h, &o, err);
 *   }
 *   const gk_plugin my_ollama = {.abi = GK_PLUGIN_ABI, .name = "ollama", .init = my_init};
 *
 * Ownership: opts and its strings are copied into the host's arena. opts may be NULL.
 * Context: a plugin's init. Returns: GK_OK; GK_INVALID_ARGUMENT for a bad host, a key with
 *   control characters or a bad model id (err says which); GK_ALREADY_EXISTS;
 *   GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_ollama_init(gk_plugin_host *host, const gk_ollama_opts *opts, gk_error *err);

/*
 * Normalize an Ollama host the way Ollama's clients do (see "host" above) into out
 * ("localhost" -> "http://localhost:11434"; trailing slashes dropped).
 *
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT for a scheme other than http/https, spaces
 *   or control characters, or a result longer than out_len - 1 bytes.
 */
GK_API gk_status gk_ollama_host_url(const char *host, char *out, size_t out_len, gk_error *err);

/*
 * Write the /api/chat request body for req to model id `model` (after "version" is applied)
 * into out, as the models send it.
 *
 * Exposed for tests and debugging. Ownership: out is appended to; a is scratch.
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT for a request that cannot be expressed
 *   (err->path names the part or config key); GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_ollama_build_request(gk_arena *a, const char *model,
                                         const gk_generate_request *req, bool stream, gk_buf *out,
                                         gk_error *err);

/* ---- the response decoder, public for tests and the fuzz target ---- */

typedef struct gk_ollama_decoder gk_ollama_decoder;

/*
 * A decoder for one /api/chat reply: a whole JSON body (stream false) or an NDJSON stream fed in
 * pieces split anywhere.
 *
 * on_chunk (may be NULL) receives each streamed piece; returning non-OK stops decoding with that
 * status.
 * Ownership: lives in a (released with it). Context: any. Returns: NULL if over a's cap.
 */
GK_API gk_ollama_decoder *gk_ollama_decoder_new(gk_arena *a, bool stream,
                                                gk_model_chunk_fn on_chunk, void *arg);

/* Feed bytes. Returns: GK_OK; GK_INTERNAL for malformed provider output (the message names the
 * line); the status of an {"error"} line; on_chunk's status. Errors stick. */
GK_API gk_status gk_ollama_decoder_feed(gk_ollama_decoder *d, const void *data, size_t len,
                                        gk_error *err);

/*
 * End of body: write the aggregated reply into *resp (zeroed first).
 *
 * Ownership: *resp lives in the decoder's arena. Returns: GK_OK; GK_INTERNAL for a malformed
 *   body; GK_UNAVAILABLE for a stream that ended before its done line; an error line's status.
 */
GK_API gk_status gk_ollama_decoder_finish(gk_ollama_decoder *d, gk_generate_response *resp,
                                          gk_error *err);

/*
 * Map an Ollama error reply (HTTP status + {"error": ...} body) to err, as the models do.
 *
 * secret (may be NULL) is masked out of the message if the server echoed it.
 * Returns: the status (never GK_OK: a 2xx or 3xx code gives GK_UNKNOWN).
 */
GK_API gk_status gk_ollama_error_from_body(int http_status, const char *body, size_t len,
                                           int retry_after_ms, const char *secret, gk_error *err);

/*
 * Map an /api/embed body (HTTP 200) for n inputs to *out.
 *
 * Exposed for tests and the fuzz target. Ownership: *out points into a. Context: any.
 * Returns: GK_OK; GK_INTERNAL when the body is malformed or does not hold exactly n vectors of
 *   numbers; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_ollama_parse_embeddings(gk_arena *a, const char *body, size_t len, size_t n,
                                            gk_embed_response *out, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
