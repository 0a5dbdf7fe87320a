/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/model_types.c - descriptors of the Genkit data model (Part, Message, GenerateRequest,
 * GenerateResponse, chunks, GenerateActionOptions), the "exactly one kind per Part" check the
 * schema layer cannot express, and small helpers to build and read messages. Field order follows
 * what Genkit's runtimes write, so canonical JSON round-trips byte for byte. No model calls here
 * (model.c). */
#include <stdio.h>
#include <string.h>

#include <genkit/ai.h>

#include "base/banned.h"

/* clang-format off */
GK_ENUM_DEFINE(gk_role, "Who wrote a message", "system", "user", "model", "tool");
GK_ENUM_DEFINE(gk_finish_reason, "Why the model stopped",
               "stop", "length", "blocked", "interrupted", "other", "unknown");
GK_ENUM_DEFINE(gk_tool_choice, "How the model may use tools", "auto", "required", "none");

GK_SCHEMA_DEFINE(gk_media, "Media by URL (https: or data:)",
    GK_FIELD_STRING(gk_media, url, "url", NULL),
    GK_FIELD_STRING_OPT(gk_media, content_type, "contentType", NULL));

GK_SCHEMA_DEFINE(gk_tool_request, "A request to call a tool",
    GK_FIELD_STRING(gk_tool_request, name, "name", NULL),
    GK_FIELD_JSON_OPT(gk_tool_request, input, "input", NULL),
    GK_FIELD_STRING_OPT(gk_tool_request, ref, "ref", NULL),
    GK_FIELD_BOOL_OPT(gk_tool_request, partial, "partial", NULL));

GK_SCHEMA_DEFINE(gk_tool_response, "A tool's answer",
    GK_FIELD_STRING(gk_tool_response, name, "name", NULL),
    GK_FIELD_STRING_OPT(gk_tool_response, ref, "ref", NULL),
    GK_FIELD_JSON_OPT(gk_tool_response, output, "output", NULL),
    GK_FIELD_JSON_OPT(gk_tool_response, content, "content", "Parts (multipart tools)"));

GK_SCHEMA_DEFINE(gk_resource_ref, "A resource reference",
    GK_FIELD_STRING(gk_resource_ref, uri, "uri", NULL));

GK_SCHEMA_DEFINE(gk_part, "One piece of a message: exactly one kind",
    GK_FIELD_STRING_OPT(gk_part, text, "text", NULL),
    GK_FIELD_STRUCT_OPT(gk_part, media, "media", gk_media, NULL),
    GK_FIELD_STRUCT_OPT(gk_part, tool_request, "toolRequest", gk_tool_request, NULL),
    GK_FIELD_STRUCT_OPT(gk_part, tool_response, "toolResponse", gk_tool_response, NULL),
    GK_FIELD_JSON_OPT(gk_part, data, "data", NULL),
    GK_FIELD_JSON_OPT(gk_part, custom, "custom", NULL),
    GK_FIELD_STRING_OPT(gk_part, reasoning, "reasoning", NULL),
    GK_FIELD_STRUCT_OPT(gk_part, resource, "resource", gk_resource_ref, NULL),
    GK_FIELD_JSON_OPT(gk_part, metadata, "metadata", NULL));

GK_ARRAY_DEFINE(gk_part_array, gk_part, "Parts");

GK_SCHEMA_DEFINE(gk_message, "A message",
    GK_FIELD_ENUM(gk_message, role, "role", gk_role, NULL),
    GK_FIELD_ARRAY(gk_message, content, "content", gk_part, NULL),
    GK_FIELD_JSON_OPT(gk_message, metadata, "metadata", NULL));

GK_SCHEMA_DEFINE(gk_document, "A context document",
    GK_FIELD_ARRAY(gk_document, content, "content", gk_part, NULL),
    GK_FIELD_JSON_OPT(gk_document, metadata, "metadata", NULL));

GK_SCHEMA_DEFINE(gk_tool_definition, "A tool offered to a model",
    GK_FIELD_STRING(gk_tool_definition, name, "name", NULL),
    GK_FIELD_STRING(gk_tool_definition, description, "description", NULL),
    GK_FIELD_JSON_OPT(gk_tool_definition, input_schema, "inputSchema", NULL),
    GK_FIELD_JSON_OPT(gk_tool_definition, output_schema, "outputSchema", NULL),
    GK_FIELD_JSON_OPT(gk_tool_definition, metadata, "metadata", NULL));

GK_SCHEMA_DEFINE(gk_output_config, "The output the caller wants",
    GK_FIELD_STRING_OPT(gk_output_config, format, "format", NULL),
    GK_FIELD_JSON_OPT(gk_output_config, schema, "schema", NULL),
    GK_FIELD_BOOL_OPT(gk_output_config, constrained, "constrained", NULL),
    GK_FIELD_STRING_OPT(gk_output_config, content_type, "contentType", NULL));

GK_SCHEMA_DEFINE(gk_generate_request, "A model request",
    GK_FIELD_ARRAY(gk_generate_request, messages, "messages", gk_message, NULL),
    GK_FIELD_JSON_OPT(gk_generate_request, config, "config", NULL),
    GK_FIELD_ARRAY_OPT(gk_generate_request, tools, "tools", gk_tool_definition, NULL),
    GK_FIELD_ENUM_OPT(gk_generate_request, tool_choice, "toolChoice", gk_tool_choice, NULL),
    GK_FIELD_STRUCT_OPT(gk_generate_request, output, "output", gk_output_config, NULL),
    GK_FIELD_ARRAY_OPT(gk_generate_request, docs, "docs", gk_document, NULL));

GK_SCHEMA_DEFINE(gk_generation_usage, "Token and character counts",
    GK_FIELD_NUMBER_OPT(gk_generation_usage, input_tokens, "inputTokens", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, output_tokens, "outputTokens", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, total_tokens, "totalTokens", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, input_characters, "inputCharacters", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, output_characters, "outputCharacters", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, input_images, "inputImages", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, output_images, "outputImages", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, input_videos, "inputVideos", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, output_videos, "outputVideos", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, input_audio_files, "inputAudioFiles", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, output_audio_files, "outputAudioFiles", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, thoughts_tokens, "thoughtsTokens", NULL),
    GK_FIELD_NUMBER_OPT(gk_generation_usage, cached_content_tokens, "cachedContentTokens", NULL),
    GK_FIELD_JSON_OPT(gk_generation_usage, custom, "custom", NULL));

GK_SCHEMA_DEFINE(gk_generate_response, "A model response",
    GK_FIELD_STRUCT_OPT(gk_generate_response, message, "message", gk_message, NULL),
    GK_FIELD_ENUM(gk_generate_response, finish_reason, "finishReason", gk_finish_reason, NULL,
                  GK_DEFAULT(GK_FINISH_UNKNOWN)),
    GK_FIELD_STRING_OPT(gk_generate_response, finish_message, "finishMessage", NULL),
    GK_FIELD_NUMBER_OPT(gk_generate_response, latency_ms, "latencyMs", NULL),
    GK_FIELD_STRUCT_OPT(gk_generate_response, usage, "usage", gk_generation_usage, NULL),
    GK_FIELD_JSON_OPT(gk_generate_response, custom, "custom", NULL),
    GK_FIELD_JSON_OPT(gk_generate_response, raw, "raw", NULL),
    GK_FIELD_JSON_OPT(gk_generate_response, request, "request", NULL));

GK_SCHEMA_DEFINE(gk_generate_response_chunk, "A streamed piece of a model response",
    GK_FIELD_ENUM_OPT(gk_generate_response_chunk, role, "role", gk_role, NULL),
    GK_FIELD_INT_OPT(gk_generate_response_chunk, index, "index", NULL, GK_MINIMUM(0)),
    GK_FIELD_ARRAY(gk_generate_response_chunk, content, "content", gk_part, NULL),
    GK_FIELD_JSON_OPT(gk_generate_response_chunk, custom, "custom", NULL),
    GK_FIELD_BOOL_OPT(gk_generate_response_chunk, aggregated, "aggregated", NULL));

GK_SCHEMA_DEFINE(gk_generate_action_output, "The output the caller wants",
    GK_FIELD_STRING_OPT(gk_generate_action_output, format, "format",
                        "text, json, jsonl, array or enum"),
    GK_FIELD_STRING_OPT(gk_generate_action_output, content_type, "contentType", NULL),
    GK_FIELD_JSON_OPT(gk_generate_action_output, instructions, "instructions",
                      "true, false (none) or the instructions text"),
    GK_FIELD_JSON_OPT(gk_generate_action_output, json_schema, "jsonSchema", NULL),
    GK_FIELD_BOOL_OPT(gk_generate_action_output, constrained, "constrained", NULL));

GK_SCHEMA_DEFINE(gk_generate_action_resume, "Answers to an interrupted generate",
    GK_FIELD_ARRAY_OPT(gk_generate_action_resume, respond, "respond", gk_part,
                       "toolResponse parts"),
    GK_FIELD_ARRAY_OPT(gk_generate_action_resume, restart, "restart", gk_part,
                       "toolRequest parts"),
    GK_FIELD_JSON_OPT(gk_generate_action_resume, metadata, "metadata", NULL));

GK_SCHEMA_DEFINE(gk_middleware_ref, "A middleware by name",
    GK_FIELD_STRING(gk_middleware_ref, name, "name", NULL),
    GK_FIELD_JSON_OPT(gk_middleware_ref, config, "config", NULL));

GK_SCHEMA_DEFINE(gk_generate_action_options, "A generate call (GenerateActionOptions)",
    GK_FIELD_STRING_OPT(gk_generate_action_options, model, "model", NULL),
    GK_FIELD_ARRAY_OPT(gk_generate_action_options, docs, "docs", gk_document, NULL),
    GK_FIELD_ARRAY(gk_generate_action_options, messages, "messages", gk_message, NULL),
    GK_FIELD_ARRAY_OPT(gk_generate_action_options, tools, "tools", gk_text,
                       "tool names or keys (/tool/<name>)"),
    GK_FIELD_ARRAY_OPT(gk_generate_action_options, resources, "resources", gk_text, NULL),
    GK_FIELD_ENUM_OPT(gk_generate_action_options, tool_choice, "toolChoice", gk_tool_choice,
                      NULL),
    GK_FIELD_JSON_OPT(gk_generate_action_options, config, "config", NULL),
    GK_FIELD_STRUCT_OPT(gk_generate_action_options, output, "output",
                        gk_generate_action_output, NULL),
    GK_FIELD_STRUCT_OPT(gk_generate_action_options, resume, "resume",
                        gk_generate_action_resume, NULL),
    GK_FIELD_BOOL_OPT(gk_generate_action_options, return_tool_requests, "returnToolRequests",
                      NULL),
    GK_FIELD_INT_OPT(gk_generate_action_options, max_turns, "maxTurns",
                     "model turns that may request tools (default 5)", GK_MINIMUM(0)),
    GK_FIELD_STRING_OPT(gk_generate_action_options, step_name, "stepName", NULL),
    GK_FIELD_ARRAY_OPT(gk_generate_action_options, use, "use", gk_middleware_ref, NULL));
/* clang-format on */

/* ---- checking ---- */

static const char *const kind_names[] = {
    "invalid", "text", "media", "toolRequest", "toolResponse",
    "data",    "custom", "reasoning", "resource",
};

const char *gk_part_kind_name(gk_part_kind k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "invalid";
}

/* Which kinds p sets, one bit per gk_part_kind. A custom part may carry data beside it. */
static unsigned kinds_set(const gk_part *p)
{
    unsigned bits = 0;
    if (p->text)
        bits |= 1u << GK_PART_TEXT;
    if (p->has_media)
        bits |= 1u << GK_PART_MEDIA;
    if (p->has_tool_request)
        bits |= 1u << GK_PART_TOOL_REQUEST;
    if (p->has_tool_response)
        bits |= 1u << GK_PART_TOOL_RESPONSE;
    if (p->data && !p->custom)
        bits |= 1u << GK_PART_DATA;
    if (p->custom)
        bits |= 1u << GK_PART_CUSTOM;
    if (p->reasoning)
        bits |= 1u << GK_PART_REASONING;
    if (p->has_resource)
        bits |= 1u << GK_PART_RESOURCE;
    return bits;
}

gk_part_kind gk_part_kind_of(const gk_part *p)
{
    unsigned bits = kinds_set(p);
    if (bits == 0 || (bits & (bits - 1)) != 0)
        return GK_PART_INVALID;
    return (gk_part_kind)__builtin_ctz(bits);
}

#define EXACTLY_ONE                                                                               \
    "part must have exactly one of text, media, toolRequest, toolResponse, data, custom, "       \
    "reasoning, resource"

/* Write base + "/" + i + suffix into out (truncated to fit: paths only label errors). */
static void index_path(char *out, size_t cap, const char *base, size_t i, const char *suffix)
{
    int n = snprintf(out, cap, "%s/%zu%s", base, i, suffix);
    if (n < 0)
        out[0] = '\0';
}

static gk_status part_error(const gk_part *p, const char *path, size_t i, gk_error *err)
{
    char where[128];
    index_path(where, sizeof(where), path, i, "");
    unsigned bits = kinds_set(p);
    if (bits == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, where, "%s; it has none", EXACTLY_ONE);
    char found[96] = "";
    size_t used = 0;
    for (int k = GK_PART_TEXT; k <= GK_PART_RESOURCE; k++) {
        if (!(bits & (1u << k)))
            continue;
        int n = snprintf(found + used, sizeof(found) - used, "%s%s", used ? ", " : "",
                         kind_names[k]);
        if (n < 0 || (size_t)n >= sizeof(found) - used)
            break;
        used += (size_t)n;
    }
    return gk_error_set(err, GK_INVALID_ARGUMENT, where, "%s; it has %s", EXACTLY_ONE, found);
}

/* Nesting of toolResponse.content is bounded by the JSON depth limit; this bounds recursion too. */
#define MAX_CONTENT_DEPTH 8

static gk_status check_parts(const gk_part *parts, size_t n, const char *path, int depth,
                             gk_error *err);

static gk_status check_content_json(const gk_json *content, const char *path, int depth,
                                    gk_error *err)
{
    if (content->type != GK_JSON_ARRAY)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "expected array of parts, got %s",
                            gk_json_type_name(content));
    if (depth >= MAX_CONTENT_DEPTH)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "tool response content nested deeper "
                                                            "than %d levels", MAX_CONTENT_DEPTH);
    /* Decode each part into a scratch value. A part holds no arrays, so decoding allocates
     * nothing; the arena only satisfies gk_decode's contract. */
    gk_arena *scratch = gk_arena_new(4096);
    if (!scratch)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, path, "out of memory");
    gk_status st = GK_OK;
    for (size_t i = 0; i < content->count && st == GK_OK; i++) {
        gk_part p;
        char where[128];
        index_path(where, sizeof(where), path, i, "");
        st = gk_decode(scratch, GK_TYPE_OF(gk_part), &content->items[i], &p, err);
        if (st != GK_OK) {
            gk_error_prefix_path(err, where);
            break;
        }
        st = check_parts(&p, 1, where, depth + 1, err);
        if (st != GK_OK && err && strncmp(err->path, where, strlen(where)) == 0) {
            /* check_parts names index 0 of its one-part view ("<where>/0..."): drop the "/0". */
            size_t wl = strlen(where);
            if (strncmp(err->path + wl, "/0", 2) == 0)
                memmove(err->path + wl, err->path + wl + 2, strlen(err->path + wl + 2) + 1);
        }
    }
    gk_arena_free(scratch);
    return st;
}

static gk_status check_parts(const gk_part *parts, size_t n, const char *path, int depth,
                             gk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const gk_part *p = &parts[i];
        if (gk_part_kind_of(p) == GK_PART_INVALID)
            return part_error(p, path, i, err);
        if (p->has_tool_response && p->tool_response.content) {
            char where[128];
            index_path(where, sizeof(where), path, i, "/toolResponse/content");
            gk_status st = check_content_json(p->tool_response.content, where, depth, err);
            if (st != GK_OK)
                return st;
        }
    }
    return GK_OK;
}

gk_status gk_parts_check(const gk_part *parts, size_t n, const char *path, gk_error *err)
{
    return check_parts(parts, n, path ? path : "", 0, err);
}

/* Whether check_parts passes parts without looking deeper: every part has exactly one kind and
 * none has tool response content to check. Lets the request check skip formatting paths (which
 * only label errors) on every request. */
static bool parts_plainly_valid(const gk_part *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (gk_part_kind_of(&parts[i]) == GK_PART_INVALID ||
            (parts[i].has_tool_response && parts[i].tool_response.content))
            return false;
    }
    return true;
}

gk_status gk_generate_request_check(const gk_generate_request *req, gk_error *err)
{
    char path[64];
    for (size_t i = 0; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        if (parts_plainly_valid(m->content.items, m->content.count))
            continue;
        snprintf(path, sizeof(path), "/messages/%zu/content", i);
        gk_status st = gk_parts_check(m->content.items, m->content.count, path, err);
        if (st != GK_OK)
            return st;
    }
    for (size_t i = 0; i < req->docs.count; i++) {
        const gk_document *d = &req->docs.items[i];
        if (parts_plainly_valid(d->content.items, d->content.count))
            continue;
        snprintf(path, sizeof(path), "/docs/%zu/content", i);
        gk_status st = gk_parts_check(d->content.items, d->content.count, path, err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

gk_status gk_generate_response_check(const gk_generate_response *resp, gk_error *err)
{
    if (!resp->has_message)
        return GK_OK;
    return gk_parts_check(resp->message.content.items, resp->message.content.count,
                          "/message/content", err);
}

gk_status gk_tool_response_content(gk_arena *a, const gk_tool_response *tr, gk_part_array *out,
                                   gk_error *err)
{
    out->items = NULL;
    out->count = 0;
    if (!tr->content)
        return GK_OK;
    gk_status st = gk_decode(a, GK_TYPE_OF(gk_part_array), tr->content, out, err);
    if (st != GK_OK)
        return st;
    return gk_parts_check(out->items, out->count, "", err);
}

/* ---- building and reading ---- */

gk_part gk_part_text(const char *text)
{
    return (gk_part){.text = text ? text : ""};
}

gk_part gk_part_data(const gk_json *v)
{
    return (gk_part){.data = v};
}

gk_part gk_part_media(const char *url, const char *content_type)
{
    return (gk_part){.media = {.url = url, .content_type = content_type}, .has_media = true};
}

gk_part gk_part_tool_request(const char *name, const char *ref, const gk_json *input)
{
    return (gk_part){.tool_request = {.name = name, .ref = ref, .input = input},
                     .has_tool_request = true};
}

gk_part gk_part_tool_response(const char *name, const char *ref, const gk_json *output)
{
    return (gk_part){.tool_response = {.name = name, .ref = ref, .output = output},
                     .has_tool_response = true};
}

/* Grow an arena array of elem-sized items by one; returns the new (zeroed) slot or NULL. */
static void *grow_one(gk_arena *a, void **items, size_t *count, size_t elem)
{
    size_t old_size = 0;
    size_t new_size = 0;
    if (__builtin_mul_overflow(*count, elem, &old_size) ||
        __builtin_add_overflow(old_size, elem, &new_size))
        return NULL;
    void *p = gk_arena_realloc(a, *items, old_size, new_size);
    if (!p)
        return NULL;
    *items = p;
    void *slot = (char *)p + old_size;
    memset(slot, 0, elem);
    (*count)++;
    return slot;
}

gk_status gk_message_add_part(gk_arena *a, gk_message *m, const gk_part *p)
{
    void *items = m->content.items;
    gk_part *slot = grow_one(a, &items, &m->content.count, sizeof(gk_part));
    if (!slot)
        return GK_RESOURCE_EXHAUSTED;
    m->content.items = items;
    *slot = *p;
    return GK_OK;
}

gk_status gk_request_add_message(gk_arena *a, gk_generate_request *req, const gk_message *m)
{
    void *items = req->messages.items;
    gk_message *slot = grow_one(a, &items, &req->messages.count, sizeof(gk_message));
    if (!slot)
        return GK_RESOURCE_EXHAUSTED;
    req->messages.items = items;
    *slot = *m;
    return GK_OK;
}

gk_status gk_message_text_init(gk_arena *a, gk_message *m, gk_role role, const char *text)
{
    memset(m, 0, sizeof(*m));
    m->role = role;
    const char *copy = gk_arena_strdup(a, text ? text : "");
    if (!copy)
        return GK_RESOURCE_EXHAUSTED;
    gk_part p = gk_part_text(copy);
    return gk_message_add_part(a, m, &p);
}

static const char *join_text(gk_arena *a, const gk_part *parts, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (parts[i].text && __builtin_add_overflow(total, strlen(parts[i].text), &total))
            return NULL;
    }
    char *out = gk_arena_alloc(a, total + 1);
    if (!out)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].text)
            continue;
        size_t len = strlen(parts[i].text);
        memcpy(out + at, parts[i].text, len);
        at += len;
    }
    out[at] = '\0';
    return out;
}

const char *gk_message_text(gk_arena *a, const gk_message *m)
{
    return join_text(a, m->content.items, m->content.count);
}

const char *gk_response_text(gk_arena *a, const gk_generate_response *resp)
{
    if (!resp->has_message)
        return join_text(a, NULL, 0);
    return gk_message_text(a, &resp->message);
}

const char *gk_chunk_text(gk_arena *a, const gk_generate_response_chunk *chunk)
{
    return join_text(a, chunk->content.items, chunk->content.count);
}

gk_status gk_response_tool_requests(gk_arena *a, const gk_generate_response *resp,
                                    const gk_tool_request ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!resp->has_message)
        return GK_OK;
    const gk_message *m = &resp->message;
    size_t n = 0;
    for (size_t i = 0; i < m->content.count; i++)
        n += m->content.items[i].has_tool_request;
    if (n == 0)
        return GK_OK;
    const gk_tool_request **list = GK_NEW(a, const gk_tool_request *, n);
    if (!list)
        return GK_RESOURCE_EXHAUSTED;
    size_t k = 0;
    for (size_t i = 0; i < m->content.count; i++) {
        if (m->content.items[i].has_tool_request)
            list[k++] = &m->content.items[i].tool_request;
    }
    *out = list;
    *count = n;
    return GK_OK;
}

const char *gk_role_name(gk_role r)
{
    return (unsigned)r < gk_role__gk_type.value_count ? gk_role__gk_type.values[r] : "";
}

const char *gk_finish_reason_name(gk_finish_reason f)
{
    return (unsigned)f < gk_finish_reason__gk_type.value_count ? gk_finish_reason__gk_type.values[f]
                                                               : "";
}
