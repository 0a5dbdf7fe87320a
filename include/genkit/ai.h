/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/ai.h - the Genkit data model (Message, Part, GenerateRequest/Response, Document) as plain
 * C structs with schema descriptors, helpers to build and read them, and model actions: defining a
 * model (/model/<provider>/<name>) and calling one through the registry.
 * Threads: descriptors are constant; values belong to the arena (fiber) that decoded or built them.
 * Define models before serving; call them from a flow's fiber.
 *
 * JSON names are Genkit's (camelCase), C names gk_<snake>. Encoding writes members in the order
 * Genkit's own runtimes do, so canonical Genkit JSON decodes and encodes back byte for byte.
 * Two limits of the schema layer shape the model: a struct cannot contain itself, so
 * toolResponse.content (a list of Parts inside a Part) is kept as JSON (read it with
 * gk_tool_response_content); and "exactly one kind per Part" is checked after decoding by
 * gk_parts_check / gk_generate_request_check (model actions run the check on every request). */
#ifndef GENKIT_AI_H
#define GENKIT_AI_H

#include <genkit/flow.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the data model ---- */

/* Who wrote a message. */
typedef enum gk_role { GK_ROLE_SYSTEM, GK_ROLE_USER, GK_ROLE_MODEL, GK_ROLE_TOOL } gk_role;

/* Why a model stopped. */
typedef enum gk_finish_reason {
    GK_FINISH_STOP,
    GK_FINISH_LENGTH,
    GK_FINISH_BLOCKED,
    GK_FINISH_INTERRUPTED,
    GK_FINISH_OTHER,
    GK_FINISH_UNKNOWN,
} gk_finish_reason;

/* How a model may use tools. */
typedef enum gk_tool_choice {
    GK_TOOL_CHOICE_AUTO,
    GK_TOOL_CHOICE_REQUIRED,
    GK_TOOL_CHOICE_NONE,
} gk_tool_choice;

/* {"url", "contentType"?}: a https: or data: URL. */
typedef struct gk_media {
    const char *url;
    const char *content_type; /* NULL: absent */
} gk_media;

/* {"name", "input"?, "ref"?, "partial"?}: a model asking to call a tool. */
typedef struct gk_tool_request {
    const char *name;
    const gk_json *input; /* NULL: absent */
    const char *ref;      /* NULL: absent; matches the response to the request */
    bool partial;         /* a streamed, incomplete request */
    bool has_partial;
} gk_tool_request;

/* {"name", "ref"?, "output"?, "content"?}: a tool's answer. content is a JSON array of Parts
 * (multipart tools); read it typed with gk_tool_response_content. */
typedef struct gk_tool_response {
    const char *name;
    const char *ref;       /* NULL: absent */
    const gk_json *output; /* NULL: absent */
    const gk_json *content; /* NULL: absent; else an array of Part objects */
} gk_tool_response;

/* {"uri"}: a resource reference, replaced by the resource's content before the model call. */
typedef struct gk_resource_ref {
    const char *uri;
} gk_resource_ref;

/* What a Part holds (gk_part_kind). GK_PART_INVALID: none or several kinds set. */
typedef enum gk_part_kind {
    GK_PART_INVALID,
    GK_PART_TEXT,
    GK_PART_MEDIA,
    GK_PART_TOOL_REQUEST,
    GK_PART_TOOL_RESPONSE,
    GK_PART_DATA,
    GK_PART_CUSTOM,
    GK_PART_REASONING,
    GK_PART_RESOURCE,
} gk_part_kind;

/*
 * One piece of a message: exactly one of text, media, tool_request, tool_response, data, custom,
 * reasoning, resource is set (a custom part may also carry data), plus optional metadata.
 * Pointer members say "absent" with NULL, struct members with their has_ flag. A JSON data value
 * of null is a set (non-NULL) gk_json of type GK_JSON_NULL.
 */
typedef struct gk_part {
    const char *text;
    gk_media media;
    bool has_media;
    gk_tool_request tool_request;
    bool has_tool_request;
    gk_tool_response tool_response;
    bool has_tool_response;
    const gk_json *data;
    const gk_json *custom;
    const char *reasoning;
    gk_resource_ref resource;
    bool has_resource;
    const gk_json *metadata; /* NULL: absent */
} gk_part;

typedef GK_ARRAY_OF(gk_part) gk_part_array;

/* {"role", "content": [Part], "metadata"?}. */
typedef struct gk_message {
    gk_role role;
    GK_ARRAY_OF(gk_part) content;
    const gk_json *metadata; /* NULL: absent */
} gk_message;

/* {"content": [Part], "metadata"?}: a context document. */
typedef struct gk_document {
    GK_ARRAY_OF(gk_part) content;
    const gk_json *metadata;
} gk_document;

/* {"name", "description", "inputSchema"?, "outputSchema"?, "metadata"?}: a tool offered to a model. */
typedef struct gk_tool_definition {
    const char *name;
    const char *description;
    const gk_json *input_schema; /* NULL: absent (JSON null is a value) */
    const gk_json *output_schema;
    const gk_json *metadata;
} gk_tool_definition;

/* {"format"?, "schema"?, "constrained"?, "contentType"?}: what output the caller wants. */
typedef struct gk_output_config {
    const char *format;   /* "text", "json", "jsonl", "array", "enum", ... NULL: absent */
    const gk_json *schema; /* JSON Schema of the output, NULL: absent */
    bool constrained;
    bool has_constrained;
    const char *content_type;
} gk_output_config;

/* What a model action takes (Genkit's GenerateRequest / Go's ModelRequest). */
typedef struct gk_generate_request {
    GK_ARRAY_OF(gk_message) messages;
    const gk_json *config; /* provider config (temperature, ...), NULL: absent */
    GK_ARRAY_OF(gk_tool_definition) tools; /* items NULL: absent */
    gk_tool_choice tool_choice;
    bool has_tool_choice;
    gk_output_config output;
    bool has_output;
    GK_ARRAY_OF(gk_document) docs; /* items NULL: absent */
} gk_generate_request;

/* Token and character counts; every member optional (has_ flags). custom: {name: number}. */
typedef struct gk_generation_usage {
    double input_tokens;
    bool has_input_tokens;
    double output_tokens;
    bool has_output_tokens;
    double total_tokens;
    bool has_total_tokens;
    double input_characters;
    bool has_input_characters;
    double output_characters;
    bool has_output_characters;
    double input_images;
    bool has_input_images;
    double output_images;
    bool has_output_images;
    double input_videos;
    bool has_input_videos;
    double output_videos;
    bool has_output_videos;
    double input_audio_files;
    bool has_input_audio_files;
    double output_audio_files;
    bool has_output_audio_files;
    double thoughts_tokens;
    bool has_thoughts_tokens;
    double cached_content_tokens;
    bool has_cached_content_tokens;
    const gk_json *custom;
} gk_generation_usage;

/* What a model action returns (Genkit's GenerateResponse / Go's ModelResponse). finishReason is
 * always written; decoding accepts its absence as "unknown". */
typedef struct gk_generate_response {
    gk_message message;
    bool has_message;
    gk_finish_reason finish_reason;
    const char *finish_message; /* NULL: absent */
    double latency_ms;
    bool has_latency_ms;
    gk_generation_usage usage;
    bool has_usage;
    const gk_json *custom;
    const gk_json *raw;
    const gk_json *request; /* the request, as JSON (kept verbatim), NULL: absent */
} gk_generate_response;

/* One streamed piece of a model's reply. index numbers the messages of one generate call. */
typedef struct gk_generate_response_chunk {
    gk_role role;
    bool has_role;
    int32_t index;
    bool has_index;
    GK_ARRAY_OF(gk_part) content;
    const gk_json *custom;
    bool aggregated;
    bool has_aggregated;
} gk_generate_response_chunk;

GK_API GK_SCHEMA_DECLARE(gk_role);
GK_API GK_SCHEMA_DECLARE(gk_finish_reason);
GK_API GK_SCHEMA_DECLARE(gk_tool_choice);
GK_API GK_SCHEMA_DECLARE(gk_media);
GK_API GK_SCHEMA_DECLARE(gk_tool_request);
GK_API GK_SCHEMA_DECLARE(gk_tool_response);
GK_API GK_SCHEMA_DECLARE(gk_resource_ref);
GK_API GK_SCHEMA_DECLARE(gk_part);
GK_API GK_SCHEMA_DECLARE(gk_part_array);
GK_API GK_SCHEMA_DECLARE(gk_message);
GK_API GK_SCHEMA_DECLARE(gk_document);
GK_API GK_SCHEMA_DECLARE(gk_tool_definition);
GK_API GK_SCHEMA_DECLARE(gk_output_config);
GK_API GK_SCHEMA_DECLARE(gk_generate_request);
GK_API GK_SCHEMA_DECLARE(gk_generation_usage);
GK_API GK_SCHEMA_DECLARE(gk_generate_response);
GK_API GK_SCHEMA_DECLARE(gk_generate_response_chunk);

/* ---- checking ---- */

/* The kind p holds, or GK_PART_INVALID if it holds none or several (custom with data is custom). */
GK_API gk_part_kind gk_part_kind_of(const gk_part *p);

/* Genkit's JSON key for a kind ("text", "toolRequest", ...); "invalid" for GK_PART_INVALID. */
GK_API const char *gk_part_kind_name(gk_part_kind k);

/*
 * Check that each of the n parts holds exactly one kind, also inside toolResponse.content.
 *
 * path is the JSON pointer of the array ("/messages/0/content"); errors name the part.
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT with err->path "<path>/<i>" and the message
 *   "part must have exactly one of text, media, toolRequest, toolResponse, data, custom,
 *   reasoning, resource" (plus the kinds found when several).
 */
GK_API gk_status gk_parts_check(const gk_part *parts, size_t n, const char *path, gk_error *err);

/* gk_parts_check over every message and document of req (paths "/messages/i/content/j",
 * "/docs/i/content/j"). Returns: GK_OK or GK_INVALID_ARGUMENT. */
GK_API gk_status gk_generate_request_check(const gk_generate_request *req, gk_error *err);

/* gk_parts_check over resp's message ("/message/content/j"). */
GK_API gk_status gk_generate_response_check(const gk_generate_response *resp, gk_error *err);

/*
 * Decode tr->content (a JSON array of Parts) into *out.
 *
 * Ownership: arrays in a; strings borrowed from tr's tree. Context: any.
 * Returns: GK_OK (absent content gives items NULL, count 0); GK_INVALID_ARGUMENT with err->path
 *   relative to the content array ("/1/text"); GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_tool_response_content(gk_arena *a, const gk_tool_response *tr,
                                          gk_part_array *out, gk_error *err);

/* ---- building and reading ---- */

/* A text part over text (borrowed: keep it alive as long as the part). */
GK_API gk_part gk_part_text(const char *text);

/* A data part over v (borrowed). */
GK_API gk_part gk_part_data(const gk_json *v);

/* A media part (strings borrowed; content_type may be NULL). */
GK_API gk_part gk_part_media(const char *url, const char *content_type);

/* A tool-request part (strings and input borrowed; ref and input may be NULL). */
GK_API gk_part gk_part_tool_request(const char *name, const char *ref, const gk_json *input);

/* A tool-response part (strings and output borrowed; ref and output may be NULL). */
GK_API gk_part gk_part_tool_response(const char *name, const char *ref, const gk_json *output);

/*
 * Fill *m with a message of role holding one text part with a copy of text.
 *
 * Ownership: the part array and the copy live in a. Returns: GK_OK; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_message_text_init(gk_arena *a, gk_message *m, gk_role role, const char *text);

/* Append a copy of *p (a shallow copy: its strings stay borrowed) to m's content, growing the
 * array in a. Returns: GK_OK; GK_RESOURCE_EXHAUSTED. */
GK_API gk_status gk_message_add_part(gk_arena *a, gk_message *m, const gk_part *p);

/* Append a message to req (shallow copy), growing req->messages in a. */
GK_API gk_status gk_request_add_message(gk_arena *a, gk_generate_request *req,
                                        const gk_message *m);

/* The text parts of m concatenated, in a ("" when none); NULL if a is over its cap. */
GK_API const char *gk_message_text(gk_arena *a, const gk_message *m);

/* The text of resp's message ("" when it has none); NULL if a is over its cap. */
GK_API const char *gk_response_text(gk_arena *a, const gk_generate_response *resp);

/* The text parts of a chunk concatenated ("" when none); NULL if a is over its cap. */
GK_API const char *gk_chunk_text(gk_arena *a, const gk_generate_response_chunk *chunk);

/*
 * The tool requests in resp's message, in order.
 *
 * Ownership: *out is an array in a of pointers into resp. Context: any.
 * Returns: GK_OK with *count (0 and *out NULL when there are none); GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_response_tool_requests(gk_arena *a, const gk_generate_response *resp,
                                           const gk_tool_request ***out, size_t *count);

/* Genkit's names: "user", "stop", "auto" ("" when out of range). */
GK_API const char *gk_role_name(gk_role r);
GK_API const char *gk_finish_reason_name(gk_finish_reason f);

/* ---- models ---- */

/* What a model supports (gk_model_info.supports), written into its action metadata. */
enum gk_model_supports {
    GK_MODEL_MULTITURN = 1 << 0,   /* "multiturn": several messages */
    GK_MODEL_TOOLS = 1 << 1,       /* "tools" */
    GK_MODEL_MEDIA = 1 << 2,       /* "media": media parts in input */
    GK_MODEL_SYSTEM_ROLE = 1 << 3, /* "systemRole": system messages */
    GK_MODEL_TOOL_CHOICE = 1 << 4, /* "toolChoice" */
    GK_MODEL_CONTEXT = 1 << 5,     /* "context": handles docs itself (written only when set) */
};

/* Whether the model can constrain its output to a JSON Schema natively. */
typedef enum gk_model_constrained {
    GK_CONSTRAINED_NONE,     /* "none" */
    GK_CONSTRAINED_ALL,      /* "all" */
    GK_CONSTRAINED_NO_TOOLS, /* "no-tools": only when no tools are offered */
} gk_model_constrained;

/* The model's description for tools (Dev UI) and for the generate loop. */
typedef struct gk_model_info {
    const char *label;           /* NULL: the model's name */
    unsigned supports;           /* enum gk_model_supports bits */
    const char *const *output;   /* NULL-terminated formats ("text", "json"); NULL: not written */
    gk_model_constrained constrained;
} gk_model_info;

typedef struct gk_model_stream gk_model_stream;

/*
 * A model's body: answer req into *resp (zeroed), sending chunks to stream when it is not NULL.
 *
 * Ownership: req is borrowed for the call; what resp points to must live in ctx's arena (or in
 *   req's tree, or be static).
 * Context: the calling flow's fiber; park freely (upstream HTTP calls).
 * Returns: GK_OK; an error status with err filled.
 */
typedef gk_status (*gk_model_fn)(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                 gk_model_stream *stream, gk_generate_response *resp,
                                 gk_error *err);

/* Everything that defines a model. Strings are copied at definition. */
typedef struct gk_model_desc {
    const char *name;        /* "provider/model" (the full string is the action name) */
    const char *description; /* may be NULL */
    gk_model_info info;
    gk_model_fn generate;
    void *self; /* passed to generate; lives as long as the model */
} gk_model_desc;

/*
 * Register model desc->name as the action /model/<name>, with input gk_generate_request, output
 * gk_generate_response, chunk gk_generate_response_chunk and metadata
 * {"model":{"label":...,"supports":{"multiturn":b,"tools":b,"media":b,"systemRole":b,
 * "toolChoice":b[,"context":true][,"output":[...]],"constrained":"none"|"all"|"no-tools"}}}.
 *
 * Every call checks the request (gk_generate_request_check) before generate runs and the
 * response's parts after it.
 * Context: before serving. Returns: the action (lives as long as g), or NULL with err
 *   (GK_INVALID_ARGUMENT for a missing name or generate, GK_ALREADY_EXISTS, GK_FAILED_PRECONDITION
 *   once serving).
 */
GK_API gk_action *gk_define_model(gk_genkit *g, const gk_model_desc *desc, gk_error *err);

/* The self a model was defined with (desc->self), or NULL unless a is a model action defined by
 * gk_define_model with this generate function. For plugins that reach their per-model state from
 * an action (the function check makes the cast back to their own type safe). a may be NULL. */
GK_API void *gk_model_self(const gk_action *a, gk_model_fn generate);

/*
 * Write the metadata JSON of a model (as gk_define_model records it) into b.
 *
 * Context: any. Check gk_buf_failed(b) afterwards.
 */
GK_API void gk_model_metadata_write(gk_buf *b, const char *name, const gk_model_info *info);

/*
 * Send one chunk of a model's reply to the caller. A NULL stream does nothing.
 *
 * Ownership: chunk is only read during the call.
 * Context: the model's fiber. Returns: GK_OK; GK_CANCELLED if the receiver went away (stop
 *   generating and return that status); GK_RESOURCE_EXHAUSTED if the chunk is too big.
 */
GK_API gk_status gk_model_stream_send(gk_model_stream *stream,
                                      const gk_generate_response_chunk *chunk, gk_error *err);

/* Receives each chunk of a model call. Returning non-OK stops the model (the call then fails
 * with that status). chunk is borrowed for the call. */
typedef gk_status (*gk_model_chunk_fn)(const gk_generate_response_chunk *chunk, void *arg);

/*
 * Call model `model_name` ("provider/model") with req through the registry (traced as an action).
 *
 * on_chunk (may be NULL) receives each streamed chunk before the call returns.
 * Ownership: *resp is zeroed first; what it points to lives in ctx's arena or req's tree.
 * Context: a fiber (usually a flow's); parks while the model runs.
 * Returns: GK_OK; GK_NOT_FOUND if no such model is defined; GK_INVALID_ARGUMENT for a request whose
 *   parts are malformed (err->path names the part); the model's status otherwise.
 */
GK_API gk_status gk_model_call(gk_ctx *ctx, gk_genkit *g, const char *model_name,
                               const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                               void *chunk_arg, gk_generate_response *resp, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
