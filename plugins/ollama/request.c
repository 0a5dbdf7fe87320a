/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/ollama/request.c - GenerateRequest -> Ollama /api/chat JSON: messages with content,
 * images (raw base64), thinking, tool_calls and tool results; tools; format from the output
 * config; options and top-level settings from the config. It only writes JSON; sending it is
 * ollama.c's job. */
#include <stdio.h>
#include <string.h>

#include "ollama_internal.h"

static bool json_is(const gk_json *v, gk_json_type t)
{
    return v && v->type == t;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool gk__ollama_id_ok(const char *id)
{
    size_t n = 0;
    if (!id || id[0] == '/' || id[0] == '.')
        return false;
    for (const char *p = id; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == ':' || c == '/' || c == '+';
        if (!ok || n >= GK_OLLAMA_MAX_ID)
            return false;
    }
    return n > 0;
}

gk_status gk__ollama_version(const gk_generate_request *req, const char **out, gk_error *err)
{
    *out = NULL;
    const gk_json *cfg = req->config;
    if (!cfg || cfg->type == GK_JSON_NULL)
        return GK_OK;
    if (cfg->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config", "config must be an object, got %s",
                            gk_json_type_name(cfg));
    const gk_json *v = gk_json_get(cfg, "version");
    if (!v || v->type == GK_JSON_NULL)
        return GK_OK;
    if (v->type != GK_JSON_STRING || strlen(v->str) != v->len || !gk__ollama_id_ok(v->str))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/version",
                            "version must be an ollama model name (letters, digits, '.', '_', "
                            "'-', ':', '/')");
    *out = v->str;
    return GK_OK;
}

/* ---- config ---- */

enum value_kind { V_NUMBER, V_STRINGS };

/* Genkit's common config keys and their names in "options". */
static const struct {
    const char *genkit;
    const char *wire;
    enum value_kind kind;
} mapped_keys[] = {
    {"temperature", "temperature", V_NUMBER},
    {"topP", "top_p", V_NUMBER},
    {"topK", "top_k", V_NUMBER},
    {"maxOutputTokens", "num_predict", V_NUMBER},
    {"stopSequences", "stop", V_STRINGS},
    {"seed", "seed", V_NUMBER},
    {"frequencyPenalty", "frequency_penalty", V_NUMBER},
    {"presencePenalty", "presence_penalty", V_NUMBER},
};

/* Config keys sent at the top level of the request, not in "options". */
static const char *const top_level_keys[] = {
    "keep_alive", "think", "format", "truncate", "shift", "logprobs", "top_logprobs", NULL,
};

/* Config keys that are plugin settings or handled apart. */
static const char *const reserved_keys[] = {"version", "options", "keepAlive", NULL};

static bool in_list(const char *key, const char *const *list)
{
    for (size_t i = 0; list[i]; i++) {
        if (strcmp(key, list[i]) == 0)
            return true;
    }
    return false;
}

static int mapped_index(const char *key)
{
    for (size_t i = 0; i < sizeof(mapped_keys) / sizeof(mapped_keys[0]); i++) {
        if (strcmp(key, mapped_keys[i].genkit) == 0)
            return (int)i;
    }
    return -1;
}

static gk_status check_kind(const gk_json *v, enum value_kind kind, gk_error *err)
{
    char path[96];
    snprintf(path, sizeof(path), "/config/%.80s", v->key);
    if (kind == V_NUMBER && v->type != GK_JSON_NUMBER)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s must be a number, got %s", v->key,
                            gk_json_type_name(v));
    if (kind == V_STRINGS) {
        bool ok = v->type == GK_JSON_ARRAY;
        for (size_t i = 0; ok && i < v->count; i++)
            ok = v->items[i].type == GK_JSON_STRING;
        if (!ok)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s must be an array of strings",
                                v->key);
    }
    return GK_OK;
}

/* Build the "options" object from the config (see the header for the precedence). */
static gk_status build_options(gk_arena *a, const gk_json *cfg, gk_json **out, gk_error *err)
{
    gk_json *opts = gk_json_new_object(a);
    if (!opts)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    *out = opts;
    if (!json_is(cfg, GK_JSON_OBJECT))
        return GK_OK;
    for (size_t i = 0; i < cfg->count; i++) {
        const gk_json *m = &cfg->items[i];
        int k = mapped_index(m->key);
        if (k < 0 || m->type == GK_JSON_NULL)
            continue;
        gk_status st = check_kind(m, mapped_keys[k].kind, err);
        if (st != GK_OK)
            return st;
        if (!gk_json_object_set(a, opts, mapped_keys[k].wire, m))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    for (size_t i = 0; i < cfg->count; i++) {
        const gk_json *m = &cfg->items[i];
        if (mapped_index(m->key) >= 0 || in_list(m->key, top_level_keys) ||
            in_list(m->key, reserved_keys) || m->type == GK_JSON_NULL)
            continue;
        if (!gk_json_object_set(a, opts, m->key, m))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    const gk_json *nested = gk_json_get(cfg, "options");
    if (nested && nested->type != GK_JSON_NULL) {
        if (nested->type != GK_JSON_OBJECT)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/options",
                                "options must be an object, got %s", gk_json_type_name(nested));
        for (size_t i = 0; i < nested->count; i++) {
            if (!gk_json_object_set(a, opts, nested->items[i].key, &nested->items[i]))
                return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        }
    }
    return GK_OK;
}

/* The top-level settings, type-checked; written after "stream". */
static gk_status write_top_level(gk_jw *w, const gk_json *cfg, gk_error *err)
{
    if (!json_is(cfg, GK_JSON_OBJECT))
        return GK_OK;
    const gk_json *ka = gk_json_get(cfg, "keep_alive");
    const char *ka_path = "/config/keep_alive";
    if (!ka || ka->type == GK_JSON_NULL) {
        ka = gk_json_get(cfg, "keepAlive");
        ka_path = "/config/keepAlive";
    }
    if (ka && ka->type != GK_JSON_NULL) {
        if (ka->type != GK_JSON_STRING && ka->type != GK_JSON_NUMBER)
            return gk_error_set(err, GK_INVALID_ARGUMENT, ka_path,
                                "keep_alive must be a duration string (\"5m\") or seconds");
        gk_jw_key(w, "keep_alive");
        gk_jw_value(w, ka);
    }
    const gk_json *think = gk_json_get(cfg, "think");
    if (think && think->type != GK_JSON_NULL) {
        if (think->type != GK_JSON_BOOL && think->type != GK_JSON_STRING)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/think",
                                "think must be a boolean or a level (\"low\", \"medium\", "
                                "\"high\")");
        gk_jw_key(w, "think");
        gk_jw_value(w, think);
    }
    static const char *const rest[] = {"truncate", "shift", "logprobs", "top_logprobs", NULL};
    for (size_t i = 0; rest[i]; i++) {
        const gk_json *v = gk_json_get(cfg, rest[i]);
        if (v && v->type != GK_JSON_NULL) {
            gk_jw_key(w, rest[i]);
            gk_jw_value(w, v);
        }
    }
    return GK_OK;
}

/* ---- messages ---- */

static const char *role_name(gk_role r)
{
    switch (r) {
    case GK_ROLE_SYSTEM:
        return "system";
    case GK_ROLE_MODEL:
        return "assistant";
    case GK_ROLE_TOOL:
        return "tool";
    case GK_ROLE_USER:
    default:
        return "user";
    }
}

/* Refs this plugin numbered for a server that sent no ids ("0", "1", ...): never sent back. */
static bool numbered_ref(const char *ref)
{
    if (!ref || !ref[0])
        return true;
    for (const char *p = ref; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    return true;
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory building the request");
}

/* The tool's answer as the "content" string: a string output as it is, other JSON as its text,
 * else the text parts of a multipart answer. */
static bool write_tool_content(gk_jw *w, const gk_tool_response *tr)
{
    if (json_is(tr->output, GK_JSON_STRING)) {
        gk_jw_stringn(w, tr->output->str, tr->output->len);
        return true;
    }
    gk_buf tmp = GK_BUF_INIT(0);
    if (tr->output) {
        gk_json_write(&tmp, tr->output);
    } else if (json_is(tr->content, GK_JSON_ARRAY)) {
        for (size_t i = 0; i < tr->content->count; i++) {
            const gk_json *t = gk_json_get(&tr->content->items[i], "text");
            if (json_is(t, GK_JSON_STRING))
                gk_buf_put(&tmp, t->str, t->len);
        }
    }
    bool ok = !gk_buf_failed(&tmp);
    gk_jw_stringn(w, tmp.ptr ? tmp.ptr : "", tmp.len);
    gk_buf_release(&tmp);
    return ok;
}

static gk_status write_tool_result(gk_jw *w, const gk_tool_response *tr, gk_error *err)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "role");
    gk_jw_string(w, "tool");
    gk_jw_key(w, "content");
    if (!write_tool_content(w, tr))
        return oom(err);
    gk_jw_key(w, "tool_name");
    gk_jw_string(w, tr->name ? tr->name : "");
    if (!numbered_ref(tr->ref)) {
        gk_jw_key(w, "tool_call_id");
        gk_jw_string(w, tr->ref);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

/* The base64 payload of an image part, or an error naming why Ollama cannot take it. */
static gk_status image_payload(const gk_part *p, const char *path, const char **out, gk_error *err)
{
    const char *url = p->media.url;
    if (!url || !url[0])
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "media has no url");
    if (starts_with(url, "http://") || starts_with(url, "https://"))
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "ollama does not fetch media URLs: send the image inline as a base64 "
                            "data: URL");
    if (!starts_with(url, "data:"))
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "ollama takes images as base64 data: URLs only");
    const char *spec = url + 5;
    const char *comma = strchr(spec, ',');
    if (!comma)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "data URL has no ','");
    size_t head = (size_t)(comma - spec);
    if (head < 7 || strncmp(comma - 7, ";base64", 7) != 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "data URL must be base64 (\"data:image/png;base64,...\")");
    size_t mime_len = strcspn(spec, ";,");
    const char *ct = p->media.content_type;
    bool image = true;
    if (ct && ct[0])
        image = starts_with(ct, "image/");
    else if (mime_len > 0)
        image = mime_len >= 6 && strncmp(spec, "image/", 6) == 0;
    if (!image) {
        const char *shown = ct && ct[0] ? ct : spec;
        size_t shown_len = ct && ct[0] ? strlen(ct) : mime_len;
        return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                            "ollama takes images only, got media of type \"%.*s\"",
                            (int)(shown_len < 64 ? shown_len : 64), shown);
    }
    if (!comma[1])
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "data URL has no data");
    *out = comma + 1;
    return GK_OK;
}

static gk_status write_message(gk_jw *w, const gk_message *m, size_t mi, gk_error *err)
{
    char path[80];
    size_t n_results = 0, n_other = 0, n_images = 0, n_calls = 0;
    gk_buf text = GK_BUF_INIT(0);
    gk_buf thinking = GK_BUF_INIT(0);
    gk_status st = GK_OK;

    /* Tool results first: they answer the assistant turn right before this message. */
    for (size_t j = 0; j < m->content.count && st == GK_OK; j++) {
        const gk_part *p = &m->content.items[j];
        snprintf(path, sizeof(path), "/messages/%zu/content/%zu", mi, j);
        switch (gk_part_kind_of(p)) {
        case GK_PART_TOOL_RESPONSE:
            st = write_tool_result(w, &p->tool_response, err);
            n_results++;
            break;
        case GK_PART_TEXT:
            gk_buf_puts(&text, p->text);
            n_other++;
            break;
        case GK_PART_DATA:
            gk_json_write(&text, p->data);
            n_other++;
            break;
        case GK_PART_REASONING:
            gk_buf_puts(&thinking, p->reasoning);
            n_other++;
            break;
        case GK_PART_MEDIA: {
            const char *payload;
            st = image_payload(p, path, &payload, err);
            n_images++;
            n_other++;
            break;
        }
        case GK_PART_TOOL_REQUEST: {
            const gk_json *in = p->tool_request.input;
            if (in && in->type != GK_JSON_OBJECT && in->type != GK_JSON_NULL)
                st = gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                  "toolRequest input must be an object for ollama, got %s",
                                  gk_json_type_name(in));
            n_calls++;
            n_other++;
            break;
        }
        case GK_PART_CUSTOM:
            st = gk_error_set(err, GK_INVALID_ARGUMENT, path,
                              "ollama has no equivalent of custom parts");
            break;
        case GK_PART_RESOURCE:
            st = gk_error_set(err, GK_INVALID_ARGUMENT, path,
                              "resource parts must be resolved before the model call");
            break;
        case GK_PART_INVALID:
        default:
            st = gk_error_set(err, GK_INVALID_ARGUMENT, path, "part has no single kind");
            break;
        }
    }
    if (st == GK_OK && (gk_buf_failed(&text) || gk_buf_failed(&thinking)))
        st = oom(err);
    if (st != GK_OK || (n_results > 0 && n_other == 0))
        goto done;

    gk_jw_object_begin(w);
    gk_jw_key(w, "role");
    gk_jw_string(w, role_name(m->role));
    gk_jw_key(w, "content");
    gk_jw_stringn(w, text.ptr ? text.ptr : "", text.len);
    if (thinking.len > 0) {
        gk_jw_key(w, "thinking");
        gk_jw_stringn(w, thinking.ptr, thinking.len);
    }
    if (n_images > 0) {
        gk_jw_key(w, "images");
        gk_jw_array_begin(w);
        for (size_t j = 0; j < m->content.count; j++) {
            const gk_part *p = &m->content.items[j];
            const char *payload;
            if (gk_part_kind_of(p) != GK_PART_MEDIA)
                continue;
            st = image_payload(p, "", &payload, err); /* checked above: cannot fail */
            if (st != GK_OK)
                goto done;
            gk_jw_string(w, payload);
        }
        gk_jw_array_end(w);
    }
    if (n_calls > 0) {
        gk_jw_key(w, "tool_calls");
        gk_jw_array_begin(w);
        for (size_t j = 0; j < m->content.count; j++) {
            const gk_part *p = &m->content.items[j];
            if (gk_part_kind_of(p) != GK_PART_TOOL_REQUEST)
                continue;
            const gk_tool_request *tr = &p->tool_request;
            gk_jw_object_begin(w);
            if (!numbered_ref(tr->ref)) {
                gk_jw_key(w, "id");
                gk_jw_string(w, tr->ref);
            }
            gk_jw_key(w, "function");
            gk_jw_object_begin(w);
            gk_jw_key(w, "name");
            gk_jw_string(w, tr->name ? tr->name : "");
            gk_jw_key(w, "arguments");
            if (json_is(tr->input, GK_JSON_OBJECT))
                gk_jw_value(w, tr->input);
            else
                gk_jw_raw(w, "{}", 2);
            gk_jw_object_end(w);
            gk_jw_object_end(w);
        }
        gk_jw_array_end(w);
    }
    gk_jw_object_end(w);
done:
    gk_buf_release(&text);
    gk_buf_release(&thinking);
    return st;
}

/* ---- tools and output ---- */

static gk_status write_tools(gk_jw *w, const gk_generate_request *req, gk_error *err)
{
    /* Ollama cannot forbid calls: not offering the tools is the faithful "none". */
    if (req->tools.count == 0 || (req->has_tool_choice && req->tool_choice == GK_TOOL_CHOICE_NONE))
        return GK_OK;
    char path[64];
    gk_jw_key(w, "tools");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->tools.count; i++) {
        const gk_tool_definition *t = &req->tools.items[i];
        if (!t->name || !t->name[0]) {
            snprintf(path, sizeof(path), "/tools/%zu/name", i);
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "tool needs a name");
        }
        const gk_json *schema = t->input_schema;
        if (schema && schema->type != GK_JSON_NULL && schema->type != GK_JSON_OBJECT) {
            snprintf(path, sizeof(path), "/tools/%zu/inputSchema", i);
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "inputSchema must be an object, got %s", gk_json_type_name(schema));
        }
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
        if (json_is(schema, GK_JSON_OBJECT))
            gk_jw_value(w, schema);
        else
            gk_jw_raw(w, "{\"type\":\"object\",\"properties\":{}}", 33);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);
    return GK_OK;
}

static gk_status write_format(gk_jw *w, const gk_generate_request *req, gk_error *err)
{
    const gk_json *f = gk_json_get(req->config, "format");
    if (f && f->type != GK_JSON_NULL) {
        if (f->type != GK_JSON_STRING && f->type != GK_JSON_OBJECT)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/format",
                                "format must be \"json\" or a JSON Schema object");
        gk_jw_key(w, "format");
        gk_jw_value(w, f);
        return GK_OK;
    }
    if (!req->has_output)
        return GK_OK;
    const gk_output_config *o = &req->output;
    bool json_out = (o->format && strcmp(o->format, "json") == 0) ||
                    (o->content_type && strcmp(o->content_type, "application/json") == 0);
    if (!json_out)
        return GK_OK;
    if (o->schema && o->schema->type != GK_JSON_NULL && o->schema->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/schema",
                            "schema must be an object, got %s", gk_json_type_name(o->schema));
    bool constrained = !o->has_constrained || o->constrained;
    gk_jw_key(w, "format");
    if (constrained && json_is(o->schema, GK_JSON_OBJECT))
        gk_jw_value(w, o->schema);
    else
        gk_jw_string(w, "json");
    return GK_OK;
}

gk_status gk_ollama_build_request(gk_arena *a, const char *model, const gk_generate_request *req,
                                  bool stream, gk_buf *out, gk_error *err)
{
    const gk_json *cfg = req->config;
    if (cfg && cfg->type != GK_JSON_NULL && cfg->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config", "config must be an object, got %s",
                            gk_json_type_name(cfg));
    gk_json *options = NULL;
    gk_status st = build_options(a, cfg, &options, err);
    if (st != GK_OK)
        return st;

    gk_jw w;
    gk_jw_init(&w, out);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_string(&w, model);
    gk_jw_key(&w, "messages");
    gk_jw_array_begin(&w);
    for (size_t i = 0; i < req->messages.count; i++) {
        st = write_message(&w, &req->messages.items[i], i, err);
        if (st != GK_OK)
            return st;
    }
    gk_jw_array_end(&w);
    st = write_tools(&w, req, err);
    if (st == GK_OK)
        st = write_format(&w, req, err);
    if (st != GK_OK)
        return st;
    if (options->count > 0) {
        gk_jw_key(&w, "options");
        gk_jw_value(&w, options);
    }
    gk_jw_key(&w, "stream");
    gk_jw_bool(&w, stream);
    st = write_top_level(&w, cfg, err);
    if (st != GK_OK)
        return st;
    gk_jw_object_end(&w);
    if (gk_buf_failed(out))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request larger than %zu bytes",
                            out->cap);
    return GK_OK;
}
