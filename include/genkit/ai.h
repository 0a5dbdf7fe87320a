/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/ai.h - the Genkit data model (Message, Part, GenerateRequest/Response, Document) as plain
 * C structs with schema descriptors, helpers to build and read them, and model actions: defining a
 * model (/model/<provider>/<name>) and calling one through the registry; output formats; tools;
 * and the generate loop (gk_generate, gk_generate_data, gk_generate_stream) with tool calls and
 * interrupts; GenerateActionOptions, the input of the /util/generate action every instance has.
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

/* ---- output formats ---- */

/* How a generate call wants the model's reply (Genkit's output formats). */
typedef enum gk_output_format {
    GK_FORMAT_DEFAULT, /* json when a schema or type is given, else text */
    GK_FORMAT_TEXT,    /* plain text */
    GK_FORMAT_JSON,    /* one JSON value (an object per the schema) */
    GK_FORMAT_JSONL,   /* one JSON object per line; the schema is {"type":"array","items":...} */
    GK_FORMAT_ARRAY,   /* one JSON array; the schema is {"type":"array","items":...} */
    GK_FORMAT_ENUM,    /* one of the schema's enum values, as bare text */
} gk_output_format;

/* Genkit's name of a format ("json"); "" for GK_FORMAT_DEFAULT or out of range. */
GK_API const char *gk_output_format_name(gk_output_format f);

/*
 * Parse a model's reply text as format f, the way the generate loop does.
 *
 * json: the first JSON value in text, tolerating a markdown fence (```json ... ```) and prose
 * around it. jsonl: an array of the objects found on lines starting with '{' (other lines are
 * skipped). array: the items of the first JSON array. enum: the trimmed text without surrounding
 * quotes, as a JSON string. text: the text as a JSON string.
 * With partial (streaming), text is the reply so far: an unfinished JSON value is repaired (open
 * strings, arrays and objects closed, a dangling key or number dropped) and *out is NULL when no
 * value has started yet; jsonl and array then only give the items already complete.
 * Ownership: *out lives in a; text is only read. Context: any.
 * Returns: GK_OK; GK_INVALID_ARGUMENT (final parse only) with a message naming the line and
 *   column, or "no JSON value found"; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_output_parse(gk_arena *a, gk_output_format f, const char *text, size_t len,
                                 bool partial, const gk_json **out, gk_error *err);

/*
 * Write into b the instructions a model gets for format f and schema (may be NULL) when the
 * output is not constrained natively: "Output should be in JSON format and conform to the
 * following schema:\n\n```\n<schema>\n```\n" for json, the items schema for jsonl and array, the
 * values for enum; nothing for text. enum_values (NULL-terminated, may be NULL) overrides the
 * schema's enum. Context: any. Check gk_buf_failed(b) afterwards.
 */
GK_API void gk_output_instructions(gk_buf *b, gk_output_format f, const gk_json *schema,
                                   const char *const *enum_values);

/* ---- tools ---- */

/* Wraps a typed tool function; generated by GK_DEFINE_TOOL (not for direct use). */
GK_API gk_action *gk__define_tool(gk_genkit *g, const char *name, const char *description,
                                  const gk_type *in_type, const gk_type *out_type,
                                  void (*fn)(void), gk_error *err);

/*
 * Define tool `name` (action /tool/<name>) whose function is
 *     gk_status fn(gk_ctx *ctx, const InT *in, OutT *out, gk_error *err);
 * InT and OutT need descriptors; their JSON Schemas are the tool's inputSchema and outputSchema
 * in the ToolDefinitions sent to models. A function of another signature does not compile.
 * The description tells the model when to call the tool: make it specific.
 * Context: before serving. Returns: the action (lives as long as g), or NULL with err
 *   (GK_ALREADY_EXISTS, GK_INVALID_ARGUMENT for a bad name or descriptor).
 */
#define GK_DEFINE_TOOL(g, name, desc, fn, InT, OutT, err)                                         \
    gk__define_tool((g), (name), (desc), GK_TYPE_OF(InT), GK_TYPE_OF(OutT),                        \
                    (void (*)(void))_Generic((fn),                                                 \
                        gk_status(*)(gk_ctx *, const InT *, OutT *, gk_error *): (fn)),            \
                    (err))

/*
 * Interrupt the generate loop from inside a tool: return this function's status from the tool.
 *
 * gk_generate then stops without calling the model again and returns finishReason
 * "interrupted" with the model message whose toolRequest parts are pending: this tool's part gets
 * metadata {"interrupt": <metadata_json, or true when NULL>}; tools of the same turn that
 * completed get {"pendingOutput": <their output>}. Resume with gk_generate_opts.resume.
 * A tool interrupting while being restarted by a resume fails the generate call instead.
 * Ownership: metadata_json is copied. Context: the tool's fiber, with the ctx the tool received.
 * Returns: GK_ABORTED (the tool returns it); GK_INVALID_ARGUMENT if metadata_json is not a JSON
 *   object; GK_FAILED_PRECONDITION when ctx is not a tool run by gk_generate.
 */
GK_API gk_status gk_tool_interrupt(gk_ctx *ctx, const char *metadata_json, gk_error *err);

/* Whether the running tool is a restart of an interrupted request (gk_generate_opts.resume), and
 * its "resumed" metadata (true or the object given at restart; NULL when not resumed). */
GK_API const gk_json *gk_tool_resumed(gk_ctx *ctx);

/*
 * Build the toolResponse part that answers an interrupted toolRequest part (for resume.respond):
 * same name and ref, output, and metadata {"interruptResponse": true}.
 * Ownership: *out borrows interrupt's strings and output. Context: any.
 * Returns: GK_OK; GK_INVALID_ARGUMENT if interrupt is not a toolRequest part.
 */
GK_API gk_status gk_tool_respond(const gk_part *interrupt, const gk_json *output, gk_part *out,
                                 gk_error *err);

/* ---- generate ---- */

typedef struct gk_model_middleware gk_model_middleware; /* genkit/middleware.h */

/* What a tool failure does to the generate loop. */
typedef enum gk_tool_error_policy {
    GK_TOOL_ERRORS_REPORT, /* tell the model: the tool's output is {"error": "<message>"} */
    GK_TOOL_ERRORS_ABORT,  /* fail gk_generate with the tool's status and message */
} gk_tool_error_policy;

/* What generate wants back from the model. Zero: text, or json when a schema is given. */
typedef struct gk_output_opts {
    gk_output_format format;
    const gk_type *type;     /* the output's descriptor: its JSON Schema is sent */
    const char *schema_json; /* or a JSON Schema as text (ignored when type is set) */
    const gk_json *schema;   /* or as a value (ignored when type or schema_json is set) */
    const char *const *enum_values; /* enum format: the values (NULL-terminated) */
    /* Do not use the model's native constrained decoding even when it has one; send the
     * instructions instead (Genkit's WithCustomConstrainedOutput). */
    bool custom_constrained;
    /* Replace the injected instructions ("": none). Implies custom_constrained. */
    const char *instructions;
    const char *content_type; /* output.contentType sent to the model; NULL: the format's */
} gk_output_opts;

/* The resume of an interrupted generate (opts.messages must end with the interrupted model
 * message, as in the interrupted response's history). */
typedef struct gk_resume_opts {
    const gk_part *respond; /* toolResponse parts answering interrupts (gk_tool_respond) */
    size_t respond_count;
    const gk_part *restart; /* toolRequest parts to run again (input may be replaced) */
    size_t restart_count;
    const char *metadata_json; /* "resumed" metadata for restarted tools; NULL: true */
    const gk_json *metadata;   /* or as a value (ignored when metadata_json is set) */
} gk_resume_opts;

/* One chunk of a streaming generate call, as the chunk callback sees it. */
typedef struct gk_generate_chunk {
    /* The chunk (role defaults to model; index numbers the messages of this generate call:
     * model turn 0 is 0, its tool message 1, the next model turn 2, ...). */
    const gk_generate_response_chunk *chunk;
    const char *text; /* all text of this message so far, this chunk included */
    /* The output parsed so far: json: the partial value (NULL until one starts); jsonl and
     * array: an array of the items this chunk completed (NULL when none); enum and text:
     * NULL. */
    const gk_json *output;
} gk_generate_chunk;

/* Receives each chunk (borrowed for the call). Returning non-OK stops generating: the call then
 * fails with that status. */
typedef gk_status (*gk_generate_chunk_fn)(const gk_generate_chunk *chunk, void *arg);

/*
 * Options of a generate call: designated initializers, zero meaning default. Strings and arrays
 * are only read during the call.
 */
typedef struct gk_generate_opts {
    /* "provider/model". NULL: gk_init's default_model, else $GK_MODEL, else "local/default"
     * when the local plugin is loaded. */
    const char *model;
    const char *system; /* a system message, first */
    const char *prompt; /* the user message, last */
    const gk_part *prompt_parts; /* more parts of the user message (media, data), after prompt */
    size_t prompt_part_count;
    const gk_message *messages; /* history, between system and prompt */
    size_t message_count;
    const gk_document *docs; /* context documents (request "docs") */
    size_t doc_count;
    const char *const *tools;       /* tool names ("weather" or "/tool/weather"), NULL-terminated */
    gk_action *const *tool_actions; /* or the actions GK_DEFINE_TOOL returned, NULL-terminated */
    gk_tool_choice tool_choice;     /* sent when not GK_TOOL_CHOICE_AUTO */
    int max_turns;                  /* model turns that may request tools; 0: 5 */
    bool return_tool_requests;      /* return the model's tool requests instead of running them */
    gk_tool_error_policy tool_errors;
    int64_t tool_timeout_ms; /* 0: only ctx's deadline; else each turn's tools get this long */
    gk_output_opts output;
    const char *config_json; /* provider config as JSON text ({"temperature":0.2}) */
    const gk_json *config;   /* or as a value (ignored when config_json is set) */
    gk_resume_opts resume;
    const gk_model_middleware *const *use; /* model middleware, outermost first, NULL-terminated */
    gk_generate_chunk_fn on_chunk;         /* streaming: NULL for none */
    void *chunk_arg;
    /* The name of this call's per-turn spans in traces (Genkit's stepName); NULL: "generate". */
    const char *step_name;
} gk_generate_opts;

/*
 * Run the generate loop: build the request from opts, call the model, run the tools it asks
 * for (all of one turn concurrently) and call it again, until it answers without tool requests.
 *
 * g may be NULL inside an action (a flow): the running action's instance is used.
 * On success resp->request holds the last model request as JSON ({"messages": [...], ...}), so
 * gk_response_history gives the whole conversation; json formats were checked to parse and,
 * with output.type, to decode.
 * Traces: each model turn runs in a span named "generate" (opts.step_name), genkit:type "util",
 * path segment {generate,t:util}; the turn's model and tool spans are its children and the next
 * turn's span nests in it, as Genkit JS records them. Nothing is built when nothing is traced.
 * Ownership: everything *resp points to lives in ctx's arena. Context: a fiber (a flow's);
 *   parks while the model and tools run.
 * Returns: GK_OK (finishReason "interrupted" when a tool interrupted); GK_INVALID_ARGUMENT for bad
 *   options, no model, or output that does not parse or match output.type (err->path names the
 *   field); GK_NOT_FOUND for an unknown model or tool (err->path "/tools/<i>" for a name in
 *   opts.tools); GK_ABORTED "exceeded maximum tool call iterations (N)"; a tool's status with
 *   GK_TOOL_ERRORS_ABORT; the model's status; GK_DEADLINE_EXCEEDED, GK_CANCELLED.
 */
GK_API gk_status gk_generate(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                             gk_generate_response *resp, gk_error *err);

/*
 * gk_generate, streaming: on_chunk (with arg) receives each chunk while the fiber parks
 * (replacing opts->on_chunk). The chunks' text concatenates, per index, to the messages.
 * Returns: as gk_generate.
 */
GK_API gk_status gk_generate_stream(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                                    gk_generate_chunk_fn on_chunk, void *arg,
                                    gk_generate_response *resp, gk_error *err);

/* gk_generate returning the reply's text (in ctx's arena), or NULL with err set. */
GK_API const char *gk_generate_text(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                                    gk_error *err);

/*
 * Generate a value of out_type: asks for JSON with out_type's schema (natively constrained when
 * the model can, else with instructions), parses the reply (tolerating markdown fences and prose
 * around the JSON) and decodes it into *out. opts->output.format may be json (default) or array
 * (out_type then is an array type); opts->output.type is ignored.
 * Ownership: strings and arrays in *out live in ctx's arena. Context: a fiber.
 * Returns: GK_OK; GK_INVALID_ARGUMENT if the reply does not match (err->path names the field and
 *   the message quotes the start of the reply); else as gk_generate. On failure *out is zeroed.
 */
GK_API gk_status gk_generate_data(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                                  const gk_type *out_type, void *out, gk_error *err);

/*
 * The conversation of a generate response: the last request's messages followed by the reply
 * (for a next turn, or to resume after an interrupt).
 * Ownership: *out in a. Context: any.
 * Returns: GK_OK; GK_INVALID_ARGUMENT if resp->request is absent or malformed;
 *   GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_response_history(gk_arena *a, const gk_generate_response *resp,
                                     gk_message **out, size_t *count, gk_error *err);

/*
 * The interrupted toolRequest parts of resp (metadata "interrupt"), in order.
 * Ownership: *out is an array in a of pointers into resp.
 * Returns: GK_OK with *count (0 when none); GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_response_interrupts(gk_arena *a, const gk_generate_response *resp,
                                        const gk_part ***out, size_t *count);

/*
 * Parse resp's text as format f (gk_output_parse, final). Ownership: *out in a.
 * Returns: as gk_output_parse.
 */
GK_API gk_status gk_response_output(gk_arena *a, const gk_generate_response *resp,
                                    gk_output_format f, const gk_json **out, gk_error *err);

/* ---- GenerateActionOptions: the input of /util/generate ---- */

/* {"format"?, "contentType"?, "instructions"?, "jsonSchema"?, "constrained"?}. */
typedef struct gk_generate_action_output {
    const char *format;          /* "text", "json", "jsonl", "array", "enum"; NULL: absent */
    const char *content_type;    /* NULL: the format's */
    const gk_json *instructions; /* true, false (none) or the text to inject; NULL: absent */
    const gk_json *json_schema;  /* a JSON Schema object; NULL: absent */
    bool constrained;            /* false: instructions instead of native constrained output */
    bool has_constrained;
} gk_generate_action_output;

/* {"respond"?, "restart"?, "metadata"?}: answers to an interrupted generate. */
typedef struct gk_generate_action_resume {
    GK_ARRAY_OF(gk_part) respond; /* toolResponse parts; items NULL: absent */
    GK_ARRAY_OF(gk_part) restart; /* toolRequest parts; items NULL: absent */
    const gk_json *metadata;      /* an object: "resumed" metadata of restarted tools */
} gk_generate_action_resume;

/* {"name", "config"?}: a middleware named in GenerateActionOptions.use. */
typedef struct gk_middleware_ref {
    const char *name;
    const gk_json *config; /* NULL: absent */
} gk_middleware_ref;

/*
 * Genkit's GenerateActionOptions: a generate call as data (what /util/generate takes, what a
 * rendered prompt amounts to). Arrays say "absent" with items NULL. Tools are names ("add") or
 * keys ("/tool/add"). max_turns 0 means the default, 5, as in gk_generate_opts.
 */
typedef struct gk_generate_action_options {
    const char *model; /* "provider/model"; NULL: the default model (see gk_generate_opts) */
    GK_ARRAY_OF(gk_document) docs;
    GK_ARRAY_OF(gk_message) messages; /* the conversation; must not be empty */
    GK_ARRAY_OF(gk_text) tools;
    GK_ARRAY_OF(gk_text) resources; /* not supported: must be absent or empty */
    gk_tool_choice tool_choice;
    bool has_tool_choice;
    const gk_json *config; /* provider config; NULL: absent */
    gk_generate_action_output output;
    bool has_output;
    gk_generate_action_resume resume;
    bool has_resume;
    bool return_tool_requests;
    bool has_return_tool_requests;
    int32_t max_turns;
    bool has_max_turns;
    const char *step_name;              /* the name of the generate spans; NULL: "generate" */
    GK_ARRAY_OF(gk_middleware_ref) use; /* not supported: must be absent or empty */
} gk_generate_action_options;

GK_API GK_SCHEMA_DECLARE(gk_generate_action_output);
GK_API GK_SCHEMA_DECLARE(gk_generate_action_resume);
GK_API GK_SCHEMA_DECLARE(gk_middleware_ref);
GK_API GK_SCHEMA_DECLARE(gk_generate_action_options);

/*
 * Run gk_generate with options given as GenerateActionOptions, exactly as the /util/generate
 * action (which every gk_init registers) does: o is mapped onto gk_generate_opts (messages as
 * history, output.format by name, output.jsonSchema as the schema, constrained:false as
 * custom_constrained, instructions false as "", resume parts and metadata, stepName as
 * step_name) and the one generate loop runs. on_chunk (may be NULL) receives the chunks.
 * Ownership: as gk_generate; o is only read during the call.
 * Context: a fiber; parks while the model and tools run.
 * Returns: as gk_generate, and GK_INVALID_ARGUMENT with err->path for options that cannot be
 *   mapped: "/messages" (empty), "/tools/<i>" (empty name), "/output/format" (unknown),
 *   "/output/instructions" (not a boolean or string), "/output/jsonSchema" (not an object),
 *   "/resume/respond/<i>" (not a toolResponse part), "/resume/restart/<i>" (not a toolRequest
 *   part), "/resume/metadata" (not an object), "/use" (middleware by name: there is no middleware
 *   registry; C code passes gk_generate_opts.use), "/resources" (not supported).
 */
GK_API gk_status gk_generate_from_options(gk_ctx *ctx, gk_genkit *g,
                                          const gk_generate_action_options *o,
                                          gk_generate_chunk_fn on_chunk, void *arg,
                                          gk_generate_response *resp, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
