/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/openai_request.c - GenerateRequest -> chat.completions request body: messages
 * (tool results as role "tool" messages), media parts, tools, tool choice, response_format and the
 * config mapping with passthrough. The rules are listed in genkit/plugins/openai.h. It only writes
 * JSON; sending and parsing live in openai.c and openai_response.c. */
#include <stdio.h>
#include <string.h>

#include "openai_internal.h"

/* Genkit config keys renamed to their wire names. */
static const struct {
    const char *genkit;
    const char *wire;
} renames[] = {
    {"topP", "top_p"},
    {"stopSequences", "stop"},
    {"frequencyPenalty", "frequency_penalty"},
    {"presencePenalty", "presence_penalty"},
    {"logitBias", "logit_bias"},
    {"logProbs", "logprobs"},
    {"topLogProbs", "top_logprobs"},
};

/* Genkit config keys that have no chat.completions parameter, or that we consume, and body
 * members we always write ourselves. */
static const char *const consumed[] = {
    "topK",  "version",  "apiKey", "candidateCount", "visualDetailLevel", "maxOutputTokens",
    "model", "messages", "stream",
};

static bool in_list(const char *key, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, list[i]) == 0)
            return true;
    }
    return false;
}

bool gk__openai_is_reasoning(const char *model)
{
    static const char *const families[] = {"o1", "o3", "o4"};
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        size_t n = strlen(families[i]);
        if (strncmp(model, families[i], n) == 0 && (model[n] == '\0' || model[n] == '-'))
            return true;
    }
    return strncmp(model, "gpt-5", 5) == 0;
}

static const gk_json *config_get(const gk_json *config, const char *key)
{
    return config ? gk_json_get(config, key) : NULL;
}

/* Set err with "<path>/<i>..." built from a base path. */
static gk_status part_error(gk_error *err, size_t msg, size_t part, const char *what)
{
    char path[96];
    snprintf(path, sizeof(path), "/messages/%zu/content/%zu", msg, part);
    return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s", what);
}

/* A JSON Schema written without its top-level "$schema" (a draft marker OpenAI does not need). */
static void write_schema(gk_jw *w, const gk_json *schema)
{
    if (!schema || schema->type != GK_JSON_OBJECT) {
        if (schema && schema->type != GK_JSON_NULL) {
            gk_jw_value(w, schema);
            return;
        }
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "object");
        gk_jw_key(w, "properties");
        gk_jw_object_begin(w);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
        return;
    }
    gk_jw_object_begin(w);
    for (size_t i = 0; i < schema->count; i++) {
        const gk_json *m = &schema->items[i];
        if (strcmp(m->key, "$schema") == 0)
            continue;
        gk_jw_key(w, m->key);
        gk_jw_value(w, m);
    }
    gk_jw_object_end(w);
}

static bool type_is_object(const gk_json *type)
{
    if (!type)
        return false;
    if (type->type == GK_JSON_STRING)
        return strcmp(type->str, "object") == 0;
    if (type->type == GK_JSON_ARRAY) {
        for (size_t i = 0; i < type->count; i++) {
            if (type->items[i].type == GK_JSON_STRING && strcmp(type->items[i].str, "object") == 0)
                return true;
        }
    }
    return false;
}

static bool required_has(const gk_json *required, const char *key)
{
    for (size_t i = 0; i < required->count; i++) {
        if (required->items[i].type == GK_JSON_STRING && strcmp(required->items[i].str, key) == 0)
            return true;
    }
    return false;
}

/* Whether schema already meets strict mode: every object schema closed with
 * additionalProperties false and listing each property in required. Keys holding data, not
 * schemas (enum, const, default, examples), are not walked. */
static bool strict_ok(const gk_json *v)
{
    if (v->type == GK_JSON_ARRAY) {
        for (size_t i = 0; i < v->count; i++) {
            if (!strict_ok(&v->items[i]))
                return false;
        }
        return true;
    }
    if (v->type != GK_JSON_OBJECT)
        return true;
    const gk_json *props = gk_json_get(v, "properties");
    if (type_is_object(gk_json_get(v, "type")) || props) {
        const gk_json *ap = gk_json_get(v, "additionalProperties");
        if (!ap || ap->type != GK_JSON_BOOL || ap->boolean)
            return false;
        if (props) {
            if (props->type != GK_JSON_OBJECT)
                return false;
            const gk_json *req = gk_json_get(v, "required");
            if (props->count && (!req || req->type != GK_JSON_ARRAY))
                return false;
            for (size_t i = 0; i < props->count; i++) {
                if (!required_has(req, props->items[i].key))
                    return false;
            }
        }
    }
    for (size_t i = 0; i < v->count; i++) {
        const char *k = v->items[i].key;
        if (strcmp(k, "enum") == 0 || strcmp(k, "const") == 0 || strcmp(k, "default") == 0 ||
            strcmp(k, "examples") == 0)
            continue;
        if (!strict_ok(&v->items[i]))
            return false;
    }
    return true;
}

/* The schema's "title" when it is a valid response_format name ([A-Za-z0-9_-]{1,64}). */
static const char *schema_name(const gk_json *schema)
{
    const gk_json *t =
        schema && schema->type == GK_JSON_OBJECT ? gk_json_get(schema, "title") : NULL;
    if (!t || t->type != GK_JSON_STRING || t->len == 0 || t->len > 64)
        return "output";
    for (size_t i = 0; i < t->len; i++) {
        char c = t->str[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return "output";
    }
    return t->str;
}

/* The media type of a data: URL ("data:image/png;base64,..." -> "image/png") into out. */
static void data_url_type(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    if (strncmp(url, "data:", 5) != 0)
        return;
    const char *p = url + 5;
    size_t n = strcspn(p, ";,");
    if (n >= cap)
        return;
    memcpy(out, p, n);
    out[n] = '\0';
}

static gk_status write_media(gk_jw *w, const gk_media *m, const char *detail, size_t msg,
                             size_t part, gk_error *err)
{
    if (!m->url || !m->url[0])
        return part_error(err, msg, part, "media part needs a url");
    char type[128];
    data_url_type(m->url, type, sizeof(type));
    const char *ct = m->content_type && m->content_type[0] ? m->content_type : type;
    bool is_data = strncmp(m->url, "data:", 5) == 0;
    if (strncmp(ct, "audio/", 6) == 0) {
        const char *fmt = NULL;
        if (strcmp(ct, "audio/wav") == 0 || strcmp(ct, "audio/x-wav") == 0 ||
            strcmp(ct, "audio/wave") == 0)
            fmt = "wav";
        else if (strcmp(ct, "audio/mpeg") == 0 || strcmp(ct, "audio/mp3") == 0)
            fmt = "mp3";
        const char *b64 = is_data ? strstr(m->url, ";base64,") : NULL;
        if (!fmt || !b64)
            return part_error(err, msg, part,
                              "audio input must be a base64 data: URL of audio/wav or audio/mpeg");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "input_audio");
        gk_jw_key(w, "input_audio");
        gk_jw_object_begin(w);
        gk_jw_key(w, "data");
        gk_jw_string(w, b64 + 8);
        gk_jw_key(w, "format");
        gk_jw_string(w, fmt);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
        return GK_OK;
    }
    if (strcmp(ct, "application/pdf") == 0) {
        if (!is_data)
            return part_error(err, msg, part, "pdf input must be a base64 data: URL");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "file");
        gk_jw_key(w, "file");
        gk_jw_object_begin(w);
        gk_jw_key(w, "filename");
        gk_jw_string(w, "document.pdf");
        gk_jw_key(w, "file_data");
        gk_jw_string(w, m->url);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
        return GK_OK;
    }
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "image_url");
    gk_jw_key(w, "image_url");
    gk_jw_object_begin(w);
    gk_jw_key(w, "url");
    gk_jw_string(w, m->url);
    if (detail) {
        gk_jw_key(w, "detail");
        gk_jw_string(w, detail);
    }
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    return GK_OK;
}

/* A value as message text: strings as they are, anything else as its JSON. */
static void write_as_text(gk_jw *w, gk_buf *scratch, const gk_json *v)
{
    if (!v) {
        gk_jw_string(w, "");
        return;
    }
    if (v->type == GK_JSON_STRING) {
        gk_jw_stringn(w, v->str, v->len);
        return;
    }
    gk_buf_reset(scratch);
    gk_json_write(scratch, v);
    gk_jw_stringn(w, scratch->ptr ? scratch->ptr : "", scratch->len);
}

/* The id a tool request/response is matched by: its ref, else the tool's name. */
static const char *call_id(const char *ref, const char *name)
{
    return ref && ref[0] ? ref : name;
}

static void write_tool_messages(gk_jw *w, gk_buf *scratch, const gk_message *m)
{
    for (size_t j = 0; j < m->content.count; j++) {
        const gk_part *p = &m->content.items[j];
        if (!p->has_tool_response)
            continue;
        gk_jw_object_begin(w);
        gk_jw_key(w, "role");
        gk_jw_string(w, "tool");
        gk_jw_key(w, "tool_call_id");
        gk_jw_string(w, call_id(p->tool_response.ref, p->tool_response.name));
        gk_jw_key(w, "content");
        write_as_text(w, scratch, p->tool_response.output);
        gk_jw_object_end(w);
    }
}

/* Concatenated text parts of m (into scratch); returns whether there was any text part. */
static bool join_text(gk_buf *scratch, const gk_message *m)
{
    bool any = false;
    gk_buf_reset(scratch);
    for (size_t j = 0; j < m->content.count; j++) {
        if (m->content.items[j].text) {
            gk_buf_puts(scratch, m->content.items[j].text);
            any = true;
        }
    }
    return any;
}

static gk_status write_user(gk_jw *w, gk_buf *scratch, const gk_message *m, size_t i,
                            const char *detail, gk_error *err)
{
    size_t n = 0;
    for (size_t j = 0; j < m->content.count; j++) {
        const gk_part *p = &m->content.items[j];
        if (p->text || p->has_media || (p->data && !p->custom))
            n++;
    }
    if (n == 0)
        return GK_OK; /* only tool responses (written before) or parts OpenAI has no input for */
    gk_jw_object_begin(w);
    gk_jw_key(w, "role");
    gk_jw_string(w, "user");
    gk_jw_key(w, "content");
    if (n == 1 && m->content.count == 1 && m->content.items[0].text) {
        gk_jw_string(w, m->content.items[0].text);
        gk_jw_object_end(w);
        return GK_OK;
    }
    gk_jw_array_begin(w);
    for (size_t j = 0; j < m->content.count; j++) {
        const gk_part *p = &m->content.items[j];
        if (p->text || (p->data && !p->custom)) {
            gk_jw_object_begin(w);
            gk_jw_key(w, "type");
            gk_jw_string(w, "text");
            gk_jw_key(w, "text");
            if (p->text)
                gk_jw_string(w, p->text);
            else
                write_as_text(w, scratch, p->data);
            gk_jw_object_end(w);
        } else if (p->has_media) {
            gk_status st = write_media(w, &p->media, detail, i, j, err);
            if (st != GK_OK)
                return st;
        }
    }
    gk_jw_array_end(w);
    gk_jw_object_end(w);
    return GK_OK;
}

static void write_assistant(gk_jw *w, gk_buf *scratch, const gk_message *m)
{
    size_t calls = 0;
    for (size_t j = 0; j < m->content.count; j++)
        calls += m->content.items[j].has_tool_request;
    bool any_text = join_text(scratch, m);
    gk_jw_object_begin(w);
    gk_jw_key(w, "role");
    gk_jw_string(w, "assistant");
    gk_jw_key(w, "content");
    if (any_text)
        gk_jw_stringn(w, scratch->ptr ? scratch->ptr : "", scratch->len);
    else if (calls)
        gk_jw_null(w);
    else
        gk_jw_string(w, "");
    if (calls) {
        gk_jw_key(w, "tool_calls");
        gk_jw_array_begin(w);
        for (size_t j = 0; j < m->content.count; j++) {
            const gk_part *p = &m->content.items[j];
            if (!p->has_tool_request)
                continue;
            gk_jw_object_begin(w);
            gk_jw_key(w, "id");
            gk_jw_string(w, call_id(p->tool_request.ref, p->tool_request.name));
            gk_jw_key(w, "type");
            gk_jw_string(w, "function");
            gk_jw_key(w, "function");
            gk_jw_object_begin(w);
            gk_jw_key(w, "name");
            gk_jw_string(w, p->tool_request.name);
            gk_jw_key(w, "arguments");
            if (p->tool_request.input)
                write_as_text(w, scratch, p->tool_request.input);
            else
                gk_jw_string(w, "{}");
            gk_jw_object_end(w);
            gk_jw_object_end(w);
        }
        gk_jw_array_end(w);
    }
    gk_jw_object_end(w);
}

static gk_status write_messages(gk_jw *w, gk_buf *scratch, const gk_generate_request *req,
                                const char *detail, gk_error *err)
{
    gk_jw_key(w, "messages");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        write_tool_messages(w, scratch, m);
        switch (m->role) {
        case GK_ROLE_SYSTEM:
            if (join_text(scratch, m)) {
                gk_jw_object_begin(w);
                gk_jw_key(w, "role");
                gk_jw_string(w, "system");
                gk_jw_key(w, "content");
                gk_jw_stringn(w, scratch->ptr ? scratch->ptr : "", scratch->len);
                gk_jw_object_end(w);
            }
            break;
        case GK_ROLE_MODEL:
            write_assistant(w, scratch, m);
            break;
        case GK_ROLE_USER: {
            gk_status st = write_user(w, scratch, m, i, detail, err);
            if (st != GK_OK)
                return st;
            break;
        }
        case GK_ROLE_TOOL:
            break; /* its tool responses were written above */
        }
    }
    gk_jw_array_end(w);
    return GK_OK;
}

static void write_tools(gk_jw *w, const gk_generate_request *req)
{
    gk_jw_key(w, "tools");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->tools.count; i++) {
        const gk_tool_definition *t = &req->tools.items[i];
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "function");
        gk_jw_key(w, "function");
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, t->name);
        gk_jw_key(w, "description");
        gk_jw_string(w, t->description ? t->description : "");
        gk_jw_key(w, "parameters");
        write_schema(w, t->input_schema);
        const gk_json *strict = t->metadata && t->metadata->type == GK_JSON_OBJECT
                                    ? gk_json_get(t->metadata, "strict")
                                    : NULL;
        if (strict && strict->type == GK_JSON_BOOL) {
            gk_jw_key(w, "strict");
            gk_jw_bool(w, strict->boolean);
        }
        gk_jw_object_end(w);
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);
}

static void write_response_format(gk_jw *w, const gk_output_config *out)
{
    bool schema = out->schema && out->schema->type == GK_JSON_OBJECT &&
                  !(out->has_constrained && !out->constrained);
    gk_jw_key(w, "response_format");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    if (!schema) {
        gk_jw_string(w, "json_object");
        gk_jw_object_end(w);
        return;
    }
    gk_jw_string(w, "json_schema");
    gk_jw_key(w, "json_schema");
    gk_jw_object_begin(w);
    gk_jw_key(w, "name");
    gk_jw_string(w, schema_name(out->schema));
    gk_jw_key(w, "schema");
    write_schema(w, out->schema);
    gk_jw_key(w, "strict");
    gk_jw_bool(w, strict_ok(out->schema));
    gk_jw_object_end(w);
    gk_jw_object_end(w);
}

/* The config members: renamed, consumed or passed through as they are. */
static void write_config(gk_jw *w, const gk_json *config, bool reasoning)
{
    if (!config)
        return;
    const gk_json *max = gk_json_get(config, "maxOutputTokens");
    const char *max_key = reasoning ? "max_completion_tokens" : "max_tokens";
    if (max && max->type != GK_JSON_NULL && !gk_json_get(config, max_key)) {
        gk_jw_key(w, max_key);
        gk_jw_value(w, max);
    }
    for (size_t i = 0; i < config->count; i++) {
        const gk_json *v = &config->items[i];
        const char *key = v->key;
        if (in_list(key, consumed, sizeof(consumed) / sizeof(consumed[0])))
            continue;
        const char *wire = key;
        for (size_t r = 0; r < sizeof(renames) / sizeof(renames[0]); r++) {
            if (strcmp(key, renames[r].genkit) == 0)
                wire = renames[r].wire;
        }
        /* A value given under the wire name itself wins over the Genkit name. */
        if (wire != key && gk_json_get(config, wire))
            continue;
        if (v->type == GK_JSON_NULL && wire != key)
            continue;
        gk_jw_key(w, wire);
        gk_jw_value(w, v);
    }
}

gk_status gk_openai_build_request(gk_arena *a, const char *model, const gk_generate_request *req,
                                  bool stream, gk_buf *out, gk_error *err)
{
    (void)a;
    const gk_json *config = req->config;
    if (config && config->type == GK_JSON_NULL)
        config = NULL;
    if (config && config->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config", "config must be an object, got %s",
                            gk_json_type_name(config));
    const gk_json *version = config_get(config, "version");
    if (version && version->type == GK_JSON_STRING && version->len)
        model = version->str;
    const gk_json *detail_v = config_get(config, "visualDetailLevel");
    const char *detail = detail_v && detail_v->type == GK_JSON_STRING ? detail_v->str : NULL;

    gk_buf scratch = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, out);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_string(&w, model);
    gk_status st = write_messages(&w, &scratch, req, detail, err);
    if (st != GK_OK) {
        gk_buf_release(&scratch);
        return st;
    }
    write_config(&w, config, gk__openai_is_reasoning(model));
    if (req->tools.count && !config_get(config, "tools"))
        write_tools(&w, req);
    if (req->has_tool_choice && !config_get(config, "tool_choice")) {
        static const char *const choices[] = {"auto", "required", "none"};
        gk_jw_key(&w, "tool_choice");
        gk_jw_string(&w, (unsigned)req->tool_choice < 3 ? choices[req->tool_choice] : "auto");
    }
    if (req->has_output && req->output.format && strcmp(req->output.format, "json") == 0 &&
        !config_get(config, "response_format"))
        write_response_format(&w, &req->output);
    if (stream) {
        gk_jw_key(&w, "stream");
        gk_jw_bool(&w, true);
        if (!config_get(config, "stream_options")) {
            gk_jw_key(&w, "stream_options");
            gk_jw_object_begin(&w);
            gk_jw_key(&w, "include_usage");
            gk_jw_bool(&w, true);
            gk_jw_object_end(&w);
        }
    }
    gk_jw_object_end(&w);
    bool failed = gk_buf_failed(out) || gk_buf_failed(&scratch);
    gk_buf_release(&scratch);
    if (failed)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request body larger than %zu bytes",
                            out->cap);
    return GK_OK;
}
