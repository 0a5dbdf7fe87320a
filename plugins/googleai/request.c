/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/googleai/request.c - GenerateRequest -> Gemini GenerateContentRequest JSON: contents and
 * systemInstruction, media as inlineData/fileData, function declarations with schemas converted
 * to Gemini's OpenAPI subset, toolConfig, generationConfig from config and output. It only writes
 * JSON; sending it is googleai.c's job. */
#include <stdio.h>
#include <string.h>

#include "googleai_internal.h"

/* Deepest schema nesting converted; deeper schemas are refused rather than cut. */
#define MAX_SCHEMA_DEPTH 32

/* Config keys that are plugin settings or go elsewhere than generationConfig. */
static const char *const reserved_config_keys[] = {
    "safetySettings", "functionCallingConfig", "version", "apiKey", "schemaDialect", NULL,
};

static bool is_reserved_key(const char *key)
{
    for (size_t i = 0; reserved_config_keys[i]; i++) {
        if (strcmp(key, reserved_config_keys[i]) == 0)
            return true;
    }
    return false;
}

static bool json_is(const gk_json *v, gk_json_type t)
{
    return v && v->type == t;
}

bool gk__googleai_id_ok(const char *id)
{
    size_t n = 0;
    if (!id)
        return false;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok || n >= 128)
            return false;
    }
    return n > 0;
}

gk_status gk__googleai_call_settings(const gk_generate_request *req, gai_call_settings *out,
                                     gk_error *err)
{
    memset(out, 0, sizeof(*out));
    const gk_json *cfg = req->config;
    if (!cfg || cfg->type == GK_JSON_NULL)
        return GK_OK;
    if (cfg->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config", "config must be an object, got %s",
                            gk_json_type_name(cfg));
    const gk_json *v = gk_json_get(cfg, "version");
    if (v && v->type != GK_JSON_NULL) {
        if (v->type != GK_JSON_STRING || !gk__googleai_id_ok(v->str))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/version",
                                "version must be a model id of letters, digits, '.', '_' or '-'");
        out->version = v->str;
    }
    v = gk_json_get(cfg, "apiKey");
    if (v && v->type != GK_JSON_NULL) {
        if (v->type != GK_JSON_STRING || v->len == 0 || strlen(v->str) != v->len)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/apiKey",
                                "apiKey must be a non-empty string");
        out->api_key = v->str;
    }
    v = gk_json_get(cfg, "schemaDialect");
    if (v && v->type != GK_JSON_NULL) {
        if (json_is(v, GK_JSON_STRING) && strcmp(v->str, "jsonSchema") == 0)
            out->dialect = GAI_SCHEMA_JSON;
        else if (json_is(v, GK_JSON_STRING) && strcmp(v->str, "openapi") == 0)
            out->dialect = GAI_SCHEMA_OPENAPI;
        else
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/schemaDialect",
                                "schemaDialect must be \"openapi\" or \"jsonSchema\"");
    }
    return GK_OK;
}

/* ---- schemas ---- */

/* JSON Schema keywords Gemini's OpenAPI subset understands, copied as they are. */
static const char *const schema_passthrough[] = {
    "description", "enum",    "required", "format",        "nullable",      "minItems",
    "maxItems",    "minimum", "maximum",  "minLength",     "maxLength",     "pattern",
    "title",       "default", "example",  "minProperties", "maxProperties", "propertyOrdering",
    NULL,
};

static bool is_passthrough(const char *key)
{
    for (size_t i = 0; schema_passthrough[i]; i++) {
        if (strcmp(key, schema_passthrough[i]) == 0)
            return true;
    }
    return false;
}

/* "string" -> "STRING"; unknown names are upper-cased too (the API reports them). */
static void write_upper(gk_jw *w, const char *s, size_t len)
{
    char tmp[32];
    if (len >= sizeof(tmp)) {
        gk_jw_stringn(w, s, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        tmp[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    gk_jw_stringn(w, tmp, len);
}

static gk_status write_openapi_schema(gk_jw *w, const gk_json *s, unsigned depth, gk_error *err);

static gk_status write_schema_array(gk_jw *w, const gk_json *arr, unsigned depth, gk_error *err)
{
    gk_jw_array_begin(w);
    for (size_t i = 0; i < arr->count; i++) {
        gk_status st = write_openapi_schema(w, &arr->items[i], depth + 1, err);
        if (st != GK_OK)
            return st;
    }
    gk_jw_array_end(w);
    return GK_OK;
}

/*
 * Write JSON Schema s in Gemini's OpenAPI subset: upper-case types, ["T","null"] as T + nullable,
 * oneOf as anyOf, const as a one-value enum; keywords outside the subset are dropped (Gemini
 * answers 400 to additionalProperties, $schema, $ref...).
 */
static gk_status write_openapi_schema(gk_jw *w, const gk_json *s, unsigned depth, gk_error *err)
{
    if (depth > MAX_SCHEMA_DEPTH)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "schema nested deeper than %d levels",
                            MAX_SCHEMA_DEPTH);
    if (!json_is(s, GK_JSON_OBJECT))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "schema must be an object, got %s",
                            gk_json_type_name(s));
    bool nullable_written = false;
    bool null_in_type = false;
    bool has_enum = gk_json_get(s, "enum") != NULL;
    gk_jw_object_begin(w);
    for (size_t i = 0; i < s->count; i++) {
        const gk_json *m = &s->items[i];
        const char *k = m->key;
        gk_status st = GK_OK;
        if (strcmp(k, "type") == 0) {
            if (m->type == GK_JSON_STRING) {
                gk_jw_key(w, "type");
                write_upper(w, m->str, m->len);
            } else if (m->type == GK_JSON_ARRAY) {
                const gk_json *first = NULL;
                for (size_t j = 0; j < m->count; j++) {
                    const gk_json *t = &m->items[j];
                    if (t->type != GK_JSON_STRING)
                        continue;
                    if (strcmp(t->str, "null") == 0)
                        null_in_type = true;
                    else if (!first)
                        first = t;
                }
                gk_jw_key(w, "type");
                if (first)
                    write_upper(w, first->str, first->len);
                else
                    gk_jw_string(w, "NULL");
            }
        } else if (strcmp(k, "properties") == 0 && m->type == GK_JSON_OBJECT) {
            gk_jw_key(w, "properties");
            gk_jw_object_begin(w);
            for (size_t j = 0; j < m->count && st == GK_OK; j++) {
                gk_jw_key(w, m->items[j].key);
                st = write_openapi_schema(w, &m->items[j], depth + 1, err);
            }
            gk_jw_object_end(w);
        } else if (strcmp(k, "items") == 0 && m->type == GK_JSON_OBJECT) {
            gk_jw_key(w, "items");
            st = write_openapi_schema(w, m, depth + 1, err);
        } else if ((strcmp(k, "anyOf") == 0 || strcmp(k, "oneOf") == 0) &&
                   m->type == GK_JSON_ARRAY) {
            if (strcmp(k, "oneOf") == 0 && gk_json_get(s, "anyOf"))
                continue; /* anyOf wins; two anyOf keys would be invalid JSON */
            gk_jw_key(w, "anyOf");
            st = write_schema_array(w, m, depth, err);
        } else if (strcmp(k, "const") == 0) {
            if (!has_enum) {
                gk_jw_key(w, "enum");
                gk_jw_array_begin(w);
                gk_jw_value(w, m);
                gk_jw_array_end(w);
            }
        } else if (is_passthrough(k)) {
            if (strcmp(k, "nullable") == 0)
                nullable_written = true;
            gk_jw_key(w, k);
            gk_jw_value(w, m);
        }
        if (st != GK_OK)
            return st;
    }
    if (null_in_type && !nullable_written) {
        gk_jw_key(w, "nullable");
        gk_jw_bool(w, true);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

/* The schema as given, less its top-level "$schema" (responseJsonSchema / parametersJsonSchema). */
static gk_status write_json_schema(gk_jw *w, const gk_json *s, gk_error *err)
{
    if (!json_is(s, GK_JSON_OBJECT))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "schema must be an object, got %s",
                            gk_json_type_name(s));
    gk_jw_object_begin(w);
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->items[i].key, "$schema") == 0)
            continue;
        gk_jw_key(w, s->items[i].key);
        gk_jw_value(w, &s->items[i]);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

static gk_status write_schema(gk_jw *w, const gk_json *s, gai_schema_dialect d, const char *path,
                              gk_error *err)
{
    gk_status st =
        d == GAI_SCHEMA_JSON ? write_json_schema(w, s, err) : write_openapi_schema(w, s, 0, err);
    if (st != GK_OK && err && !err->path[0])
        gk_error_prefix_path(err, path);
    return st;
}

/* ---- parts ---- */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* {"inlineData": {"mimeType", "data"}} from a data: URL (base64 only). */
static gk_status write_inline_data(gk_jw *w, const gk_media *m, const char *path, gk_error *err)
{
    const char *url = m->url + 5; /* after "data:" */
    const char *comma = strchr(url, ',');
    if (!comma)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "data URL has no ','");
    size_t head = (size_t)(comma - url);
    bool base64 = head >= 7 && strncmp(comma - 7, ";base64", 7) == 0;
    if (!base64)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "data URL must be base64 (\"data:<type>;base64,...\")");
    size_t mime_len = strcspn(url, ";,");
    const char *mime = m->content_type;
    if ((!mime || !mime[0]) && mime_len == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "media needs a contentType or a type in its data URL");
    gk_jw_object_begin(w);
    gk_jw_key(w, "inlineData");
    gk_jw_object_begin(w);
    gk_jw_key(w, "mimeType");
    if (mime && mime[0])
        gk_jw_string(w, mime);
    else
        gk_jw_stringn(w, url, mime_len);
    gk_jw_key(w, "data");
    gk_jw_string(w, comma + 1);
    gk_jw_object_end(w);
    return GK_OK; /* the caller closes the part object */
}

static const char *thought_signature(const gk_part *p)
{
    const gk_json *sig = gk_json_get(p->metadata, "thoughtSignature");
    return json_is(sig, GK_JSON_STRING) ? sig->str : NULL;
}

/* One part of a content turn, at JSON pointer path (for errors). */
static gk_status write_part(gk_jw *w, const gk_part *p, const char *path, gk_error *err)
{
    switch (gk_part_kind_of(p)) {
    case GK_PART_TEXT:
        gk_jw_object_begin(w);
        gk_jw_key(w, "text");
        gk_jw_string(w, p->text);
        break;
    case GK_PART_REASONING:
        gk_jw_object_begin(w);
        gk_jw_key(w, "text");
        gk_jw_string(w, p->reasoning);
        gk_jw_key(w, "thought");
        gk_jw_bool(w, true);
        break;
    case GK_PART_MEDIA: {
        if (!p->media.url)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "media has no url");
        if (starts_with(p->media.url, "data:")) {
            gk_status st = write_inline_data(w, &p->media, path, err);
            if (st != GK_OK)
                return st;
        } else {
            gk_jw_object_begin(w);
            gk_jw_key(w, "fileData");
            gk_jw_object_begin(w);
            if (p->media.content_type && p->media.content_type[0]) {
                gk_jw_key(w, "mimeType");
                gk_jw_string(w, p->media.content_type);
            }
            gk_jw_key(w, "fileUri");
            gk_jw_string(w, p->media.url);
            gk_jw_object_end(w);
        }
        break;
    }
    case GK_PART_TOOL_REQUEST: {
        const gk_tool_request *tr = &p->tool_request;
        const gk_json *in = tr->input;
        if (in && in->type != GK_JSON_OBJECT && in->type != GK_JSON_NULL)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "toolRequest input must be an object for gemini, got %s",
                                gk_json_type_name(in));
        gk_jw_object_begin(w);
        gk_jw_key(w, "functionCall");
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, tr->name ? tr->name : "");
        gk_jw_key(w, "args");
        if (in && in->type == GK_JSON_OBJECT)
            gk_jw_value(w, in);
        else
            gk_jw_raw(w, "{}", 2);
        if (tr->ref) {
            gk_jw_key(w, "id");
            gk_jw_string(w, tr->ref);
        }
        gk_jw_object_end(w);
        break;
    }
    case GK_PART_TOOL_RESPONSE: {
        const gk_tool_response *tr = &p->tool_response;
        gk_jw_object_begin(w);
        gk_jw_key(w, "functionResponse");
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, tr->name ? tr->name : "");
        if (tr->ref) {
            gk_jw_key(w, "id");
            gk_jw_string(w, tr->ref);
        }
        /* Gemini takes a Struct here: an object goes as it is, anything else is wrapped. */
        gk_jw_key(w, "response");
        if (json_is(tr->output, GK_JSON_OBJECT)) {
            gk_jw_value(w, tr->output);
        } else {
            gk_jw_object_begin(w);
            gk_jw_key(w, "result");
            if (tr->output)
                gk_jw_value(w, tr->output);
            else
                gk_jw_null(w);
            gk_jw_object_end(w);
        }
        gk_jw_object_end(w);
        break;
    }
    case GK_PART_DATA: {
        gk_buf tmp = GK_BUF_INIT(0);
        gk_json_write(&tmp, p->data);
        gk_jw_object_begin(w);
        gk_jw_key(w, "text");
        gk_jw_stringn(w, tmp.ptr ? tmp.ptr : "", tmp.len);
        bool failed = gk_buf_failed(&tmp);
        gk_buf_release(&tmp);
        if (failed)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, path, "data part too large");
        break;
    }
    case GK_PART_CUSTOM:
        if (!json_is(p->custom, GK_JSON_OBJECT))
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "custom part must be an object holding a Gemini part");
        /* A custom part carries a Gemini part as it is (executableCode, ...): no signature. */
        gk_jw_value(w, p->custom);
        return GK_OK;
    case GK_PART_RESOURCE:
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "resource parts must be resolved before the model call");
    case GK_PART_INVALID:
    default:
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "part has no single kind");
    }
    const char *sig = thought_signature(p);
    if (sig) {
        gk_jw_key(w, "thoughtSignature");
        gk_jw_string(w, sig);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

static gk_status write_parts(gk_jw *w, const gk_message *m, size_t mi, gk_error *err)
{
    char path[64];
    for (size_t j = 0; j < m->content.count; j++) {
        snprintf(path, sizeof(path), "/messages/%zu/content/%zu", mi, j);
        gk_status st = write_part(w, &m->content.items[j], path, err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

/* ---- the request ---- */

static gk_status write_contents(gk_jw *w, const gk_generate_request *req, gk_error *err)
{
    gk_jw_key(w, "contents");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        if (m->role == GK_ROLE_SYSTEM)
            continue;
        gk_jw_object_begin(w);
        gk_jw_key(w, "role");
        gk_jw_string(w, m->role == GK_ROLE_MODEL ? "model" : "user");
        gk_jw_key(w, "parts");
        gk_jw_array_begin(w);
        gk_status st = write_parts(w, m, i, err);
        if (st != GK_OK)
            return st;
        gk_jw_array_end(w);
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);

    /* Every system message goes into the one systemInstruction, in order. The role is ignored
     * by the API; Google's SDKs send "user". */
    bool any = false;
    for (size_t i = 0; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        if (m->role != GK_ROLE_SYSTEM)
            continue;
        if (!any) {
            gk_jw_key(w, "systemInstruction");
            gk_jw_object_begin(w);
            gk_jw_key(w, "role");
            gk_jw_string(w, "user");
            gk_jw_key(w, "parts");
            gk_jw_array_begin(w);
            any = true;
        }
        gk_status st = write_parts(w, m, i, err);
        if (st != GK_OK)
            return st;
    }
    if (any) {
        gk_jw_array_end(w);
        gk_jw_object_end(w);
    }
    return GK_OK;
}

static gk_status write_tools(gk_jw *w, const gk_generate_request *req, gai_schema_dialect d,
                             gk_error *err)
{
    if (req->tools.count == 0)
        return GK_OK;
    char path[64];
    gk_jw_key(w, "tools");
    gk_jw_array_begin(w);
    gk_jw_object_begin(w);
    gk_jw_key(w, "functionDeclarations");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->tools.count; i++) {
        const gk_tool_definition *t = &req->tools.items[i];
        if (!t->name || !t->name[0]) {
            snprintf(path, sizeof(path), "/tools/%zu/name", i);
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "tool needs a name");
        }
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, t->name);
        gk_jw_key(w, "description");
        gk_jw_string(w, t->description ? t->description : "");
        if (t->input_schema && t->input_schema->type != GK_JSON_NULL) {
            snprintf(path, sizeof(path), "/tools/%zu/inputSchema", i);
            gk_jw_key(w, d == GAI_SCHEMA_JSON ? "parametersJsonSchema" : "parameters");
            gk_status st = write_schema(w, t->input_schema, d, path, err);
            if (st != GK_OK)
                return st;
        }
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);
    gk_jw_object_end(w);
    gk_jw_array_end(w);
    return GK_OK;
}

static const char *mode_name(gk_tool_choice c)
{
    switch (c) {
    case GK_TOOL_CHOICE_REQUIRED:
        return "ANY";
    case GK_TOOL_CHOICE_NONE:
        return "NONE";
    case GK_TOOL_CHOICE_AUTO:
    default:
        return "AUTO";
    }
}

static gk_status write_tool_config(gk_jw *w, const gk_generate_request *req, gk_error *err)
{
    const gk_json *fcc = gk_json_get(req->config, "functionCallingConfig");
    if (fcc && fcc->type == GK_JSON_NULL)
        fcc = NULL;
    if (fcc && fcc->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/functionCallingConfig",
                            "functionCallingConfig must be an object, got %s",
                            gk_json_type_name(fcc));
    bool mode = req->has_tool_choice && req->tools.count > 0;
    if (!fcc && !mode)
        return GK_OK;
    gk_jw_key(w, "toolConfig");
    gk_jw_object_begin(w);
    gk_jw_key(w, "functionCallingConfig");
    gk_jw_object_begin(w);
    for (size_t i = 0; fcc && i < fcc->count; i++) {
        if (mode && strcmp(fcc->items[i].key, "mode") == 0)
            continue; /* toolChoice decides */
        gk_jw_key(w, fcc->items[i].key);
        gk_jw_value(w, &fcc->items[i]);
    }
    if (mode) {
        gk_jw_key(w, "mode");
        gk_jw_string(w, mode_name(req->tool_choice));
    }
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    return GK_OK;
}

/* Type checks for the generationConfig keys whose type we know; the rest goes unchecked. */
static gk_status check_config_value(const gk_json *m, gk_error *err)
{
    static const char *const numbers[] = {
        "temperature",
        "topP",
        "topK",
        "maxOutputTokens",
        "seed",
        "candidateCount",
        "presencePenalty",
        "frequencyPenalty",
        NULL,
    };
    char path[96];
    snprintf(path, sizeof(path), "/config/%.80s", m->key);
    for (size_t i = 0; numbers[i]; i++) {
        if (strcmp(m->key, numbers[i]) == 0 && m->type != GK_JSON_NUMBER && m->type != GK_JSON_NULL)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s must be a number, got %s",
                                m->key, gk_json_type_name(m));
    }
    if (strcmp(m->key, "candidateCount") == 0 && m->type == GK_JSON_NUMBER && m->number != 1)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "candidateCount must be 1: one candidate is read");
    if (strcmp(m->key, "stopSequences") == 0 && m->type != GK_JSON_NULL) {
        bool ok = m->type == GK_JSON_ARRAY;
        for (size_t i = 0; ok && i < m->count; i++)
            ok = m->items[i].type == GK_JSON_STRING;
        if (!ok)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "stopSequences must be an array of strings");
    }
    return GK_OK;
}

static bool output_is_json(const gk_generate_request *req)
{
    if (!req->has_output)
        return false;
    const gk_output_config *o = &req->output;
    return (o->format && strcmp(o->format, "json") == 0) ||
           (o->content_type && strcmp(o->content_type, "application/json") == 0);
}

static gk_status write_generation_config(gk_jw *w, const gk_generate_request *req,
                                         gai_schema_dialect d, gk_error *err)
{
    bool json_out = output_is_json(req);
    /* Constrained unless the caller said otherwise: Genkit asks for constrained output by default
     * from models that support it. */
    bool schema_out = json_out && json_is(req->output.schema, GK_JSON_OBJECT) &&
                      (!req->output.has_constrained || req->output.constrained);
    const char *schema_key = d == GAI_SCHEMA_JSON ? "responseJsonSchema" : "responseSchema";
    const gk_json *cfg = req->config;

    gk_jw_key(w, "generationConfig");
    gk_jw_object_begin(w);
    for (size_t i = 0; cfg && cfg->type == GK_JSON_OBJECT && i < cfg->count; i++) {
        const gk_json *m = &cfg->items[i];
        if (is_reserved_key(m->key))
            continue;
        if (json_out && strcmp(m->key, "responseMimeType") == 0)
            continue;
        if (schema_out &&
            (strcmp(m->key, "responseSchema") == 0 || strcmp(m->key, "responseJsonSchema") == 0))
            continue;
        gk_status st = check_config_value(m, err);
        if (st != GK_OK)
            return st;
        gk_jw_key(w, m->key);
        gk_jw_value(w, m);
    }
    if (json_out) {
        gk_jw_key(w, "responseMimeType");
        gk_jw_string(w, "application/json");
    }
    if (schema_out) {
        gk_jw_key(w, schema_key);
        gk_status st = write_schema(w, req->output.schema, d, "/output/schema", err);
        if (st != GK_OK)
            return st;
    }
    gk_jw_object_end(w);
    return GK_OK;
}

gk_status gk__googleai_write_request(const gk_generate_request *req, const gai_call_settings *cs,
                                     gk_buf *b, gk_error *err)
{
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_status st = write_contents(&w, req, err);
    if (st == GK_OK)
        st = write_tools(&w, req, cs->dialect, err);
    if (st == GK_OK)
        st = write_tool_config(&w, req, err);
    if (st != GK_OK)
        return st;
    const gk_json *safety = gk_json_get(req->config, "safetySettings");
    if (safety && safety->type != GK_JSON_NULL) {
        if (safety->type != GK_JSON_ARRAY)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/safetySettings",
                                "safetySettings must be an array, got %s",
                                gk_json_type_name(safety));
        gk_jw_key(&w, "safetySettings");
        gk_jw_value(&w, safety);
    }
    st = write_generation_config(&w, req, cs->dialect, err);
    if (st != GK_OK)
        return st;
    gk_jw_object_end(&w);
    if (gk_buf_failed(b))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request larger than %zu bytes",
                            b->cap);
    return GK_OK;
}
