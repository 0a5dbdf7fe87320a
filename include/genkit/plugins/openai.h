/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/plugins/openai.h - the OpenAI plugin: models over Chat Completions
 * (POST <base>/chat/completions, streaming with SSE) and embedders over POST <base>/embeddings,
 * speaking the dialect that OpenAI's SDKs put on the wire. The base URL is configurable, so the
 * same plugin serves OpenAI-compatible servers: Ollama (http://localhost:11434/v1), vLLM,
 * llama.cpp server, Groq, OpenRouter, DeepSeek, xAI, Gemini's OpenAI endpoint.
 * Threads: init runs in gk_init; models and embedders run on the calling flow's fiber.
 *
 * Configuration (gk_plugin_openai reads the environment once, at init):
 *   OPENAI_API_KEY      the key, sent as "Authorization: Bearer <key>" (never logged, never in an
 *                       error: a provider message that echoes it has it replaced by "***")
 *   OPENAI_BASE_URL     default https://api.openai.com/v1 (the path ends before /chat/completions)
 *   OPENAI_ORG_ID, OPENAI_PROJECT_ID   sent as OpenAI-Organization / OpenAI-Project when set
 *   GK_OPENAI_MODELS    extra model ids to define, comma-separated ("gpt-4o-2024-08-06,llama3.2")
 *   GK_OPENAI_EMBEDDERS extra embedder ids to define, comma-separated ("nomic-embed-text")
 * With no key, init succeeds; a call to api.openai.com then fails with GK_FAILED_PRECONDITION,
 * and a call to any other base URL goes out without an Authorization header (local servers).
 * Programmatic configuration: write a small plugin whose init calls gk_openai_init with a
 * gk_openai_opts (or use GK_OPENAI_PLUGIN below). Its name prefixes its actions, and the
 * environment it falls back on is named after it: a plugin "groq" reads GROQ_API_KEY,
 * GROQ_BASE_URL (required: there is no default for other names, so an OpenAI key never goes to
 * another host), GROQ_ORG_ID, GROQ_PROJECT_ID, GK_GROQ_MODELS, GK_GROQ_EMBEDDERS.
 *
 * Models "openai/<id>": gpt-4o, gpt-4o-mini, gpt-4.1, gpt-4.1-mini, gpt-5 (text and image input,
 * tools, tool choice, system role, constrained JSON output) and o3-mini (no image input), plus the
 * extra ids (defined with the gpt-4o capabilities). Embedders "openai/<id>":
 * text-embedding-3-small (1536 dimensions), text-embedding-3-large (3072),
 * text-embedding-ada-002 (1536), plus the extra ids. A plugin other than "openai" defines only
 * the ids it is given. A request's config "version" sends the call to another model id.
 *
 * Request mapping (GenerateRequest -> chat.completions request):
 *   messages: system -> role "system" with the text; user -> role "user", content a string when
 *     it is one text part, else an array of {"type":"text"} and {"type":"image_url",
 *     "image_url":{"url"[,"detail"]}} parts (https: and data: URLs; data:audio/wav|mp3 becomes
 *     input_audio, data:application/pdf a file part; a data part is sent as its JSON text);
 *     model -> role "assistant" with the text (null when there is none) and tool_calls
 *     [{"id": ref, "type":"function","function":{"name","arguments": input as JSON text}}];
 *     toolResponse parts (any role) -> one role "tool" message each, tool_call_id = ref, content
 *     the output (a string output as it is, anything else as JSON text). Reasoning parts are not
 *     sent back (providers refuse them as input).
 *   tools -> {"type":"function","function":{"name","description","parameters": inputSchema}},
 *     plus "strict": b when the tool's metadata has a boolean "strict" (strict mode needs every
 *     object closed with additionalProperties false and every property required).
 *   toolChoice -> tool_choice "auto" | "required" | "none".
 *   output: format "json" with a schema -> response_format {"type":"json_schema","json_schema":
 *     {"name": the schema's "title" when it is a valid name, else "output", "schema",
 *     "strict"}}. "strict" is true only when the schema already meets strict mode's rules (every
 *     object has additionalProperties false and lists all its properties in required); a schema
 *     with optional fields is sent as it is with strict false (the model follows it best-effort
 *     and Genkit validates the reply) rather than rewritten to nullable-required fields, which
 *     would make the model answer null where the caller's schema allows no null. Format "json"
 *     without a schema, or with output.constrained false -> {"type":"json_object"}.
 *   config: temperature; maxOutputTokens -> max_tokens, or max_completion_tokens for reasoning
 *     models (ids starting o1, o3, o4, gpt-5), which refuse max_tokens; stopSequences -> stop;
 *     topP -> top_p; frequencyPenalty, presencePenalty, logitBias, logProbs, topLogProbs ->
 *     their snake_case names; visualDetailLevel -> each image's "detail"; version -> the model
 *     id. topK, apiKey and candidateCount are dropped (no such parameters). Every other key is
 *     sent as it is (seed, user, n, parallel_tool_calls, reasoning_effort, service_tier, ...), and
 *     a config key with the wire name of a derived field (tool_choice, response_format,
 *     stream_options, max_tokens, ...) replaces the derived value.
 *   streaming adds "stream": true and "stream_options": {"include_usage": true}.
 * Response mapping: content -> text part; reasoning_content / reasoning (DeepSeek, Ollama, xAI)
 *   -> reasoning part (first); tool_calls -> toolRequest parts {name, ref: id, input: the
 *   arguments parsed} (an empty arguments string is {}; a missing id becomes "call_<index>");
 *   finish_reason stop/tool_calls/function_call -> "stop", length -> "length", content_filter ->
 *   "blocked", other values -> "other"; a refusal -> "blocked" with finishMessage the refusal
 *   text and no parts; usage prompt/completion/total_tokens -> input/output/totalTokens,
 *   reasoning_tokens -> thoughtsTokens, cached_tokens -> cachedContentTokens, the other numeric
 *   usage fields -> usage.custom ("prompt_audio_tokens", "queue_time", ...). Only choice 0 is
 *   read. Streams: one chunk per content or reasoning delta, one chunk with all tool requests
 *   once the stream ends (arguments are reassembled per tool_calls[].index), usage from any
 *   chunk that carries it.
 * Errors: HTTP 400/422 -> GK_INVALID_ARGUMENT, 401 -> GK_UNAUTHENTICATED, 403 ->
 *   GK_PERMISSION_DENIED, 404 -> GK_NOT_FOUND, 408 -> GK_DEADLINE_EXCEEDED, 409 -> GK_ABORTED,
 *   429 -> GK_RESOURCE_EXHAUSTED with err->retry_after_ms from retry-after-ms / retry-after,
 *   5xx -> GK_UNAVAILABLE (also with retry_after_ms); the message is
 *   "<plugin>: HTTP <code> (<error code>): <provider message>". An {"error":...} event inside a
 *   stream -> GK_UNAVAILABLE (GK_RESOURCE_EXHAUSTED, GK_INVALID_ARGUMENT by its type/code); a
 *   stream that ends before "data: [DONE]" and before a finish_reason -> GK_UNAVAILABLE;
 *   malformed provider JSON -> GK_INTERNAL naming what was wrong.
 */
#ifndef GENKIT_PLUGINS_OPENAI_H
#define GENKIT_PLUGINS_OPENAI_H

#include <genkit/embed.h>
#include <genkit/http.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin "openai", configured from the environment (above). Its init fails only for a
 * malformed base URL or model list; a missing key is reported by each call. */
GK_API extern const gk_plugin gk_plugin_openai;

/* Programmatic options. Zero fields take the defaults; strings are copied by gk_openai_init.
 * "<NAME>" below is the plugin's name upper-cased, '-' and '.' as '_' ("OPENAI" for openai). */
typedef struct gk_openai_opts {
    const char *api_key;      /* NULL: $<NAME>_API_KEY */
    const char *base_url;     /* NULL: $<NAME>_BASE_URL, else (plugin "openai" only) OpenAI's */
    const char *organization; /* NULL: $<NAME>_ORG_ID; sent as OpenAI-Organization */
    const char *project;      /* NULL: $<NAME>_PROJECT_ID; sent as OpenAI-Project */
    /* NULL-terminated extra model ids (without the plugin prefix); NULL: $GK_<NAME>_MODELS. */
    const char *const *models;
    /* NULL-terminated extra embedder ids; NULL: $GK_<NAME>_EMBEDDERS. */
    const char *const *embedders;
    /* Do not define the well-known OpenAI models and embedders (always so for other names). */
    bool no_default_models;
    int64_t timeout_ms; /* per call (the ctx deadline applies too); 0: none */
} gk_openai_opts;

/*
 * Define the models and embedders of an OpenAI-dialect plugin for the plugin being initialized.
 *
 * Call it from a plugin's init; actions are named "<plugin name>/<id>".
 * Ownership: opts is only read; what it points to is copied into the host's arena.
 * Context: a plugin's init (gk_init). opts may be NULL (all defaults, environment included).
 * Returns: GK_OK; GK_INVALID_ARGUMENT for a base URL that is not http(s) (or missing, for a
 *   plugin not named "openai"), a header value with a line break, or a malformed model id (err
 *   names it); GK_ALREADY_EXISTS; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_openai_init(gk_plugin_host *host, const gk_openai_opts *opts, gk_error *err);

/* Define `ident`, a const gk_plugin named `plugin_name` whose init calls gk_openai_init with the
 * gk_openai_opts initializer that follows, e.g.
 *     GK_OPENAI_PLUGIN(groq_plugin, "groq", .base_url = "https://api.groq.com/openai/v1",
 *                      .models = (const char *const[]){"llama-3.3-70b-versatile", NULL});
 * then list &groq_plugin in gk_init_opts.plugins. */
#define GK_OPENAI_PLUGIN(ident, plugin_name, ...)                                                 \
    static gk_status ident##__gk_init(gk_plugin_host *host, const gk_json *config, gk_error *err) \
    {                                                                                             \
        const gk_openai_opts opts = {__VA_ARGS__};                                                \
        (void)config;                                                                             \
        return gk_openai_init(host, &opts, err);                                                  \
    }                                                                                             \
    static const gk_plugin ident = {                                                              \
        .abi = GK_PLUGIN_ABI, .name = (plugin_name), .init = ident##__gk_init}

/*
 * Write the chat.completions request body for req to model id `model` (before "version" is
 * applied) into out, as the models send it.
 *
 * Exposed for tests and debugging. Ownership: out is appended to; a is scratch.
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT for a request that cannot be expressed (a
 *   media part without a URL, ...; err->path names it); GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_openai_build_request(gk_arena *a, const char *model,
                                         const gk_generate_request *req, bool stream, gk_buf *out,
                                         gk_error *err);

/*
 * Map a chat.completion body (non-streaming, HTTP 200) to *resp.
 *
 * Exposed for tests and the fuzz target; the models use it themselves.
 * Ownership: *resp points into a. Context: any.
 * Returns: GK_OK; GK_INTERNAL with a message naming the field when the body is not a valid
 *   response; GK_RESOURCE_EXHAUSTED when a runs out.
 */
GK_API gk_status gk_openai_parse_response(gk_arena *a, const char *body, size_t len,
                                          gk_generate_response *resp, gk_error *err);

/*
 * Replay a chat.completion.chunk event stream (the raw text/event-stream bytes) through the
 * streaming parser the models use: each delta goes to on_chunk (may be NULL), the aggregated
 * reply to *resp. Bytes are fed in pieces of at most `split` bytes (0: all at once).
 *
 * Exposed for tests and the fuzz target.
 * Ownership: *resp points into a; chunks are borrowed for the callback. Context: any.
 * Returns: GK_OK; an error event's status; GK_UNAVAILABLE for a stream that ends too early;
 *   GK_INTERNAL for malformed events; on_chunk's status.
 */
GK_API gk_status gk_openai_parse_stream(gk_arena *a, const char *body, size_t len, size_t split,
                                        gk_model_chunk_fn on_chunk, void *chunk_arg,
                                        gk_generate_response *resp, gk_error *err);

/*
 * Map an /embeddings body (HTTP 200) for n inputs to *out: "data" items placed by their "index",
 * each "embedding" a number array or base64 little-endian float32.
 *
 * Exposed for tests and the fuzz target. Ownership: *out points into a. Context: any.
 * Returns: GK_OK; GK_INTERNAL when the body is malformed or does not hold exactly one embedding
 *   per input; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_openai_parse_embeddings(gk_arena *a, const char *body, size_t len, size_t n,
                                            gk_embed_response *out, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
