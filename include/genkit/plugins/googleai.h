/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/plugins/googleai.h - the Google AI (Gemini API) plugin: models "googleai/<model>" over
 * v1beta generateContent / streamGenerateContent?alt=sse, and embedders "googleai/<model>" over
 * batchEmbedContents, on the wire exactly as Google's SDKs speak it.
 * Threads: init runs in gk_init; models and embedders run on the calling flow's fiber.
 *
 * Configuration (read once, at init; the environment fills what the options leave NULL):
 *   API key   opts.api_key, else $GEMINI_API_KEY, else $GOOGLE_API_KEY. Sent only in the
 *             x-goog-api-key header (never in the URL, a log, a trace or an error message). A
 *             request's config may carry "apiKey" to override it for that call. With no key at
 *             all, init succeeds and calls fail with GK_FAILED_PRECONDITION.
 *   base URL  opts.base_url, else $GEMINI_BASE_URL, else https://generativelanguage.googleapis.com
 *   models    gemini-2.5-flash, gemini-2.5-pro, gemini-2.5-flash-lite and gemini-2.0-flash are
 *             always defined; more from opts.models and $GK_GOOGLEAI_MODELS ("a,b,c"), defined
 *             with the same capabilities (duplicates are skipped). A request's config "version"
 *             sends the call to another model id without defining it.
 *   embedders text-embedding-004 and gemini-embedding-001, plus opts.embedders and
 *             $GK_GOOGLEAI_EMBEDDERS.
 *
 * Request mapping (GenerateRequest -> GenerateContentRequest):
 *   messages: system -> systemInstruction; user -> "user"; model -> "model"; tool -> "user" (with
 *     functionResponse parts). Parts: text; media data: URLs (base64) -> inlineData, other URLs ->
 *     fileData; toolRequest -> functionCall {name, args, id: ref}; toolResponse ->
 *     functionResponse {name, id: ref, response} where a non-object output is wrapped as
 *     {"result": output}; reasoning -> {"text", "thought": true}; custom -> the object as the
 *     part (executableCode, ...); data -> its JSON as text. part.metadata.thoughtSignature is
 *     echoed as the part's thoughtSignature.
 *   tools -> functionDeclarations with "parameters" in Gemini's OpenAPI subset: types upper-cased,
 *     ["T","null"] -> type T + nullable, const -> enum, and keywords Gemini rejects
 *     (additionalProperties, $schema, $ref, $defs, patternProperties, ...) dropped. With config
 *     "schemaDialect": "jsonSchema" the schemas go verbatim (less $schema) as
 *     parametersJsonSchema / responseJsonSchema instead.
 *   toolChoice auto/required/none -> toolConfig.functionCallingConfig.mode AUTO/ANY/NONE, merged
 *     into config "functionCallingConfig" (e.g. {"allowedFunctionNames": [...]}) when given.
 *   output format "json" (or contentType application/json) -> responseMimeType
 *     "application/json", plus responseSchema from output.schema unless constrained is false.
 *   config: every key goes to generationConfig as is (temperature, maxOutputTokens,
 *     stopSequences, topP, topK, seed, thinkingConfig, responseModalities, ...) except
 *     "safetySettings" (top level), "functionCallingConfig" (toolConfig), "version", "apiKey"
 *     and "schemaDialect" (plugin settings). candidateCount other than 1 is refused.
 *
 * Response mapping: the first candidate's parts -> text, reasoning (thought parts), toolRequest
 *   (ref = functionCall.id, else the call's index "0", "1", ...), media (inlineData as a data:
 *   URL, fileData), custom (anything else); thoughtSignature -> part.metadata.thoughtSignature.
 *   finishReason STOP -> stop, MAX_TOKENS -> length, SAFETY/RECITATION/BLOCKLIST/
 *   PROHIBITED_CONTENT/SPII/IMAGE_SAFETY/... -> blocked, MALFORMED_FUNCTION_CALL and anything
 *   else -> other; no candidates with promptFeedback.blockReason -> blocked with a finishMessage.
 *   usageMetadata -> inputTokens (promptTokenCount), outputTokens (candidatesTokenCount),
 *   totalTokens, thoughtsTokens, cachedContentTokens; custom {"toolUsePromptTokens"} when sent.
 *   Streams: each event is a whole GenerateContentResponse; text deltas are sent as chunks and
 *   concatenated, function calls arrive whole (or, opt-in, as partialArgs, assembled here). The
 *   JSON-array stream a server sends without alt=sse is accepted too.
 * Errors: google.rpc.Status bodies -> the status named by error.status (else by the HTTP code;
 *   ErrorInfo reason API_KEY_INVALID -> GK_UNAUTHENTICATED), the provider's message kept, and
 *   RetryInfo.retryDelay (or a Retry-After header) in err->retry_after_ms.
 */
#ifndef GENKIT_PLUGINS_GOOGLEAI_H
#define GENKIT_PLUGINS_GOOGLEAI_H

#include <genkit/http.h>
#include <genkit/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Programmatic options. Zero fields take the environment / defaults above. Strings are copied. */
typedef struct gk_googleai_opts {
    const char *api_key;
    const char *base_url;
    const char *const *models;    /* extra model ids ("gemini-3-pro-preview"), NULL-terminated */
    const char *const *embedders; /* extra embedder ids, NULL-terminated */
    int64_t timeout_ms;           /* whole-call limit per upstream request; 0: none */
} gk_googleai_opts;

/*
 * The plugin table, configured from the environment (or from its config JSON when the host
 * passes one: {"apiKey","baseUrl","models":[...],"embedders":[...],"timeoutMs"}).
 */
GK_API extern const gk_plugin gk_plugin_googleai;

/*
 * Define the plugin's models and embedders with opts, for applications that configure it in
 * code: call it from the init of a plugin table of your own named "googleai":
 *
 *   static gk_status my_init(gk_plugin_host *h, const gk_json *cfg, gk_error *err)
 *   {
 *       gk_googleai_opts o = {.api_key = my_key, .base_url = my_proxy};
 *       return gk_googleai_init(h, &o, err);
 *   }
 *   const gk_plugin my_googleai = {.abi = GK_PLUGIN_ABI, .name = "googleai", .init = my_init};
 *
 * Ownership: opts and its strings are copied into the host's arena. opts may be NULL.
 * Context: a plugin's init. Returns: GK_OK; GK_INVALID_ARGUMENT for a bad base URL or model id;
 *   GK_ALREADY_EXISTS; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_googleai_init(gk_plugin_host *host, const gk_googleai_opts *opts,
                                  gk_error *err);

/* ---- the response decoder, public for tests and the fuzz target ---- */

typedef struct gk_googleai_decoder gk_googleai_decoder;

/*
 * A decoder for one Gemini response: a whole GenerateContentResponse body (stream false), or a
 * streamGenerateContent body, SSE (alt=sse) or one JSON array, fed in pieces split anywhere.
 *
 * on_chunk (may be NULL) receives each streamed piece; returning non-OK stops decoding with that
 * status.
 * Ownership: lives in a (released with it). Context: any. Returns: NULL if over a's cap.
 */
GK_API gk_googleai_decoder *gk_googleai_decoder_new(gk_arena *a, bool stream,
                                                    gk_model_chunk_fn on_chunk, void *arg);

/* Feed bytes. Returns: GK_OK; GK_INTERNAL for malformed provider output (the message says
 * where); the status of an error object inside the stream; on_chunk's status. Errors stick. */
GK_API gk_status gk_googleai_decoder_feed(gk_googleai_decoder *d, const void *data, size_t len,
                                          gk_error *err);

/*
 * End of body: write the aggregated reply into *resp (zeroed first).
 *
 * Ownership: *resp lives in the decoder's arena. Returns: GK_OK; GK_INTERNAL for malformed or
 *   empty output; GK_UNAVAILABLE for a stream cut short (open JSON array, unfinished partial
 *   function call); an error object's status.
 */
GK_API gk_status gk_googleai_decoder_finish(gk_googleai_decoder *d, gk_generate_response *resp,
                                            gk_error *err);

/*
 * Map a Gemini error reply (HTTP status + google.rpc.Status body) to err, as the models do.
 *
 * secret (may be NULL) is masked out of the message if the provider echoed it.
 * Returns: the status (never GK_OK: a 2xx code gives GK_UNKNOWN).
 */
GK_API gk_status gk_googleai_error_from_body(int http_status, const char *body, size_t len,
                                             int retry_after_header_ms, const char *secret,
                                             gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
