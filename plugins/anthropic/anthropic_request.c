/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/anthropic/anthropic_request.c - GenerateRequest -> Messages API request body: top-level
 * system, alternating user/assistant turns (consecutive same-role messages merged, tool results
 * first in their user turn), image/document/tool_use/tool_result/thinking blocks, tools and
 * tool_choice, config mapping with passthrough, native structured output.
 * It validates what it translates and reports the request path of anything it cannot send; it
 * does not check what only the API can (model names, token limits). */
#include <stdio.h>
#include <string.h>

#include "anthropic_wire.h"

/* Config keys written from Genkit's names, or set by the plugin itself: never passed through. */
static const char *const reserved_keys[] = {
    "model",       "messages", "system",   "stream",        "tools",
    "temperature", "topP",     "topK",     "seed",          "candidateCount",
    "version",     "apiKey",   "thinking", "stopSequences", "maxOutputTokens",
    NULL,
};

static bool is_reserved(const char *key)
{
    for (size_t i = 0; reserved_keys[i]; i++) {
        if (strcmp(reserved_keys[i], key) == 0)
            return true;
    }
    return false;
}

static gk_status bad(gk_error *err, const char *path, const char *msg)
{
    return gk_error_set(err, GK_INVALID_ARGUMENT, path, "anthropic: %s", msg);
}

static bool is_true(const gk_json *v)
{
    return v && v->type == GK_JSON_BOOL && v->boolean;
}

/* The wire role of a (non-system) message: tool results travel in user turns. */
static const char *wire_role(gk_role r)
{
    return r == GK_ROLE_MODEL ? "assistant" : "user";
}

/* Whether part p becomes a content block (empty text is dropped: the API rejects it). */
static bool part_emits(const gk_part *p)
{
    if (gk_part_kind_of(p) == GK_PART_TEXT)
        return p->text[0] != '\0';
    return true;
}

static bool message_emits(const gk_message *m)
{
    for (size_t j = 0; j < m->content.count; j++) {
        if (part_emits(&m->content.items[j]))
            return true;
    }
    return false;
}

static bool image_type_ok(const char *mime, size_t n)
{
    static const char *const ok[] = {"image/jpeg", "image/png", "image/gif", "image/webp", NULL};
    for (size_t i = 0; ok[i]; i++) {
        if (strlen(ok[i]) == n && memcmp(ok[i], mime, n) == 0)
            return true;
    }
    return false;
}

static bool ends_with_pdf(const char *url)
{
    size_t n = strcspn(url, "?#");
    return n >= 4 && strncmp(url + n - 4, ".pdf", 4) == 0;
}

/* An image or document block for a media part: data: URLs as base64 sources, http(s) URLs as
 * url sources. */
static gk_status write_media(gk_jw *w, const gk_media *m, const char *path, gk_error *err)
{
    const char *url = m->url ? m->url : "";
    if (strncmp(url, "data:", 5) == 0) {
        const char *comma = strchr(url, ',');
        if (!comma)
            return bad(err, path, "media data URL has no ','");
        const char *meta = url + 5;
        size_t meta_len = (size_t)(comma - meta);
        const char *semi = memchr(meta, ';', meta_len);
        size_t mime_len = semi ? (size_t)(semi - meta) : meta_len;
        if (!semi || meta_len - mime_len != 7 || memcmp(semi, ";base64", 7) != 0)
            return bad(err, path, "media data URL must be base64 (\"data:<type>;base64,...\")");
        const char *mime = meta;
        if (mime_len == 0 && m->content_type) {
            mime = m->content_type;
            mime_len = strlen(mime);
        }
        bool pdf = mime_len == 15 && memcmp(mime, "application/pdf", 15) == 0;
        if (!pdf && !image_type_ok(mime, mime_len))
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "anthropic: media type \"%.*s\" is not supported (images: jpeg, "
                                "png, gif, webp; documents: application/pdf)",
                                (int)(mime_len > 64 ? 64 : mime_len), mime);
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, pdf ? "document" : "image");
        gk_jw_key(w, "source");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "base64");
        gk_jw_key(w, "media_type");
        gk_jw_stringn(w, mime, mime_len);
        gk_jw_key(w, "data");
        gk_jw_string(w, comma + 1);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
        return GK_OK;
    }
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return bad(err, path, "media URL must be https:, http: or a base64 data: URL");
    bool pdf = (m->content_type && strcmp(m->content_type, "application/pdf") == 0) ||
               (!m->content_type && ends_with_pdf(url));
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, pdf ? "document" : "image");
    gk_jw_key(w, "source");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "url");
    gk_jw_key(w, "url");
    gk_jw_string(w, url);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    return GK_OK;
}

static void write_text_block(gk_jw *w, const char *text)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "text");
    gk_jw_key(w, "text");
    gk_jw_string(w, text);
    gk_jw_object_end(w);
}

/* tool_result content: a string output as is, other JSON as its text, multipart content as
 * text/image blocks. */
static gk_status write_tool_result(gk_arena *a, gk_jw *w, const gk_part *p, const char *path,
                                   gk_error *err)
{
    const gk_tool_response *tr = &p->tool_response;
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "tool_result");
    gk_jw_key(w, "tool_use_id");
    gk_jw_string(w, tr->ref ? tr->ref : (tr->name ? tr->name : ""));
    const gk_json *out = tr->output;
    bool has_out = out && out->type != GK_JSON_NULL;
    if (tr->content) {
        gk_part_array parts = {0};
        gk_status st = gk_tool_response_content(a, tr, &parts, err);
        if (st != GK_OK) {
            gk_error_prefix_path(err, "/toolResponse/content");
            gk_error_prefix_path(err, path);
            return st;
        }
        gk_jw_key(w, "content");
        gk_jw_array_begin(w);
        if (has_out) {
            gk_buf b = GK_BUF_INIT(0);
            gk_json_write(&b, out);
            write_text_block(w, gk_buf_failed(&b) || !b.ptr ? "" : b.ptr);
            gk_buf_release(&b);
        }
        for (size_t i = 0; i < parts.count; i++) {
            const gk_part *cp = &parts.items[i];
            gk_part_kind k = gk_part_kind_of(cp);
            if (k == GK_PART_TEXT) {
                if (cp->text[0])
                    write_text_block(w, cp->text);
            } else if (k == GK_PART_MEDIA) {
                st = write_media(w, &cp->media, path, err);
                if (st != GK_OK)
                    return st;
            } else {
                return bad(err, path, "tool response content may hold only text and media parts");
            }
        }
        gk_jw_array_end(w);
    } else if (has_out && out->type == GK_JSON_STRING) {
        gk_jw_key(w, "content");
        gk_jw_stringn(w, out->str, out->len);
    } else if (has_out) {
        gk_buf b = GK_BUF_INIT(0);
        gk_json_write(&b, out);
        if (gk_buf_failed(&b)) {
            gk_buf_release(&b);
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, path, "anthropic: tool output too big");
        }
        gk_jw_key(w, "content");
        gk_jw_stringn(w, b.ptr, b.len);
        gk_buf_release(&b);
    }
    if (is_true(gk_json_get(p->metadata, "isError"))) {
        gk_jw_key(w, "is_error");
        gk_jw_bool(w, true);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

/* One content block for part p of a message of role r. */
static gk_status write_part(gk_arena *a, gk_jw *w, gk_role r, const gk_part *p, const char *path,
                            gk_error *err)
{
    switch (gk_part_kind_of(p)) {
    case GK_PART_TEXT:
        write_text_block(w, p->text);
        return GK_OK;
    case GK_PART_MEDIA:
        if (r == GK_ROLE_MODEL)
            return bad(err, path, "media parts are accepted only in user messages");
        return write_media(w, &p->media, path, err);
    case GK_PART_TOOL_REQUEST: {
        if (r != GK_ROLE_MODEL)
            return bad(err, path, "toolRequest parts belong in model messages");
        const gk_tool_request *tq = &p->tool_request;
        if (tq->input && tq->input->type != GK_JSON_OBJECT && tq->input->type != GK_JSON_NULL)
            return bad(err, path, "toolRequest input must be a JSON object");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "tool_use");
        gk_jw_key(w, "id");
        gk_jw_string(w, tq->ref ? tq->ref : (tq->name ? tq->name : ""));
        gk_jw_key(w, "name");
        gk_jw_string(w, tq->name ? tq->name : "");
        gk_jw_key(w, "input");
        if (tq->input && tq->input->type == GK_JSON_OBJECT) {
            gk_jw_value(w, tq->input);
        } else {
            gk_jw_object_begin(w);
            gk_jw_object_end(w);
        }
        gk_jw_object_end(w);
        return GK_OK;
    }
    case GK_PART_TOOL_RESPONSE:
        if (r == GK_ROLE_MODEL)
            return bad(err, path, "toolResponse parts belong in tool or user messages");
        return write_tool_result(a, w, p, path, err);
    case GK_PART_REASONING: {
        if (r != GK_ROLE_MODEL)
            return bad(err, path, "reasoning parts belong in model messages");
        const gk_json *sig = gk_json_get(p->metadata, "thoughtSignature");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "thinking");
        gk_jw_key(w, "thinking");
        gk_jw_string(w, p->reasoning);
        gk_jw_key(w, "signature");
        if (sig && sig->type == GK_JSON_STRING)
            gk_jw_stringn(w, sig->str, sig->len);
        else
            gk_jw_string(w, "");
        gk_jw_object_end(w);
        return GK_OK;
    }
    case GK_PART_DATA: {
        gk_buf b = GK_BUF_INIT(0);
        gk_json_write(&b, p->data);
        if (gk_buf_failed(&b) || !b.ptr) {
            gk_buf_release(&b);
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, path, "anthropic: data part too big");
        }
        write_text_block(w, b.ptr);
        gk_buf_release(&b);
        return GK_OK;
    }
    case GK_PART_CUSTOM: {
        const gk_json *type = gk_json_get(p->custom, "type");
        if (!type || type->type != GK_JSON_STRING)
            return bad(err, path,
                       "custom parts must be Anthropic content blocks (with a \"type\")");
        gk_jw_value(w, p->custom);
        return GK_OK;
    }
    case GK_PART_RESOURCE:
        return bad(err, path, "resource parts must be resolved before the model call");
    case GK_PART_INVALID:
    default:
        return bad(err, path, "part must have exactly one kind");
    }
}

static gk_status write_system(gk_jw *w, const gk_generate_request *req, gk_error *err)
{
    bool any = false;
    for (size_t i = 0; i < req->messages.count; i++) {
        if (req->messages.items[i].role == GK_ROLE_SYSTEM)
            any = true;
    }
    if (!any)
        return GK_OK;
    /* One string: system messages joined by blank lines, their text parts concatenated. */
    gk_buf b = GK_BUF_INIT(0);
    bool first = true;
    for (size_t i = 0; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        if (m->role != GK_ROLE_SYSTEM)
            continue;
        if (!first)
            gk_buf_puts(&b, "\n\n");
        first = false;
        for (size_t j = 0; j < m->content.count; j++) {
            const gk_part *p = &m->content.items[j];
            if (gk_part_kind_of(p) != GK_PART_TEXT) {
                gk_buf_release(&b);
                char path[64];
                snprintf(path, sizeof(path), "/messages/%zu/content/%zu", i, j);
                return bad(err, path, "system messages may hold only text parts");
            }
            gk_buf_puts(&b, p->text);
        }
    }
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "/messages", "anthropic: system too big");
    }
    gk_jw_key(w, "system");
    gk_jw_stringn(w, b.ptr ? b.ptr : "", b.len);
    gk_buf_release(&b);
    return GK_OK;
}

/* Write the parts of messages [from, to) that pass the filter (tool results or the rest). */
static gk_status write_turn_parts(gk_arena *a, gk_jw *w, const gk_generate_request *req,
                                  size_t from, size_t to, int pass, gk_error *err)
{
    for (size_t i = from; i < to; i++) {
        const gk_message *m = &req->messages.items[i];
        if (m->role == GK_ROLE_SYSTEM)
            continue;
        for (size_t j = 0; j < m->content.count; j++) {
            const gk_part *p = &m->content.items[j];
            bool is_result = gk_part_kind_of(p) == GK_PART_TOOL_RESPONSE;
            if ((pass == 0) != is_result || !part_emits(p))
                continue;
            char path[64];
            snprintf(path, sizeof(path), "/messages/%zu/content/%zu", i, j);
            gk_status st = write_part(a, w, m->role, p, path, err);
            if (st != GK_OK)
                return st;
        }
    }
    return GK_OK;
}

static gk_status write_messages(gk_arena *a, gk_jw *w, const gk_generate_request *req,
                                gk_error *err)
{
    gk_jw_key(w, "messages");
    gk_jw_array_begin(w);
    size_t i = 0;
    size_t n = req->messages.count;
    while (i < n) {
        const gk_message *m = &req->messages.items[i];
        if (m->role == GK_ROLE_SYSTEM || !message_emits(m)) {
            i++;
            continue;
        }
        /* The API wants alternating roles: merge the run of messages with the same wire role
         * (system and empty messages in between do not break it). */
        const char *role = wire_role(m->role);
        size_t end = i + 1;
        while (end < n) {
            const gk_message *next = &req->messages.items[end];
            if (next->role != GK_ROLE_SYSTEM && message_emits(next) &&
                strcmp(wire_role(next->role), role) != 0)
                break;
            end++;
        }
        gk_jw_object_begin(w);
        gk_jw_key(w, "role");
        gk_jw_string(w, role);
        gk_jw_key(w, "content");
        gk_jw_array_begin(w);
        /* Tool results first: the API wants them before any text of their user turn. */
        gk_status st = write_turn_parts(a, w, req, i, end, 0, err);
        if (st == GK_OK)
            st = write_turn_parts(a, w, req, i, end, 1, err);
        if (st != GK_OK)
            return st;
        gk_jw_array_end(w);
        gk_jw_object_end(w);
        i = end;
    }
    gk_jw_array_end(w);
    return GK_OK;
}

static gk_status write_tools(gk_jw *w, const gk_generate_request *req, const gk_json *config,
                             gk_error *err)
{
    if (req->tools.count == 0)
        return GK_OK;
    gk_jw_key(w, "tools");
    gk_jw_array_begin(w);
    for (size_t i = 0; i < req->tools.count; i++) {
        const gk_tool_definition *t = &req->tools.items[i];
        char path[48];
        snprintf(path, sizeof(path), "/tools/%zu", i);
        if (!t->name || !t->name[0])
            return bad(err, path, "tool has no name");
        if (t->input_schema && t->input_schema->type != GK_JSON_OBJECT &&
            t->input_schema->type != GK_JSON_NULL)
            return bad(err, path, "tool inputSchema must be a JSON Schema object");
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, t->name);
        gk_jw_key(w, "description");
        gk_jw_string(w, t->description ? t->description : "");
        gk_jw_key(w, "input_schema");
        if (t->input_schema && t->input_schema->type == GK_JSON_OBJECT) {
            gk_jw_value(w, t->input_schema);
        } else {
            /* A tool without parameters still needs an object schema. */
            static const char empty[] = "{\"type\":\"object\",\"properties\":{}}";
            gk_jw_raw(w, empty, sizeof(empty) - 1);
        }
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);
    if (req->has_tool_choice && !gk_json_get(config, "tool_choice")) {
        static const char *const names[] = {"auto", "any", "none"};
        gk_jw_key(w, "tool_choice");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, (unsigned)req->tool_choice < 3 ? names[req->tool_choice] : "auto");
        gk_jw_object_end(w);
    }
    return GK_OK;
}

/* Genkit's config names and a few Anthropic-specific shorthands. */
static gk_status write_config(gk_jw *w, const gk__anthropic_target *t, const gk_json *config,
                              gk__anthropic_built *built, gk_error *err)
{
    const gk_json *v;
    bool max_written = false;
    v = gk_json_get(config, "maxOutputTokens");
    if (v && v->type != GK_JSON_NULL) {
        if (v->type != GK_JSON_NUMBER || !v->is_int || v->integer < 1)
            return bad(err, "/config/maxOutputTokens",
                       "maxOutputTokens must be a positive integer");
        gk_jw_key(w, "max_tokens");
        gk_jw_int(w, v->integer);
        max_written = true;
    } else if ((v = gk_json_get(config, "max_tokens")) != NULL) {
        if (v->type != GK_JSON_NUMBER || !v->is_int || v->integer < 1)
            return bad(err, "/config/max_tokens", "max_tokens must be a positive integer");
        gk_jw_key(w, "max_tokens");
        gk_jw_int(w, v->integer);
        max_written = true;
    }
    if (!max_written) {
        gk_jw_key(w, "max_tokens");
        gk_jw_int(w, t->default_max_tokens);
    }
    static const struct {
        const char *genkit, *wire;
        bool integer;
    } nums[] = {
        {"temperature", "temperature", false}, {"topP", "top_p", false}, {"topK", "top_k", true}};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        v = gk_json_get(config, nums[i].genkit);
        if (!v || v->type == GK_JSON_NULL)
            continue;
        char path[48];
        snprintf(path, sizeof(path), "/config/%s", nums[i].genkit);
        if (v->type != GK_JSON_NUMBER || (nums[i].integer && !v->is_int))
            return bad(err, path, nums[i].integer ? "expected an integer" : "expected a number");
        gk_jw_key(w, nums[i].wire);
        gk_jw_value(w, v);
    }
    v = gk_json_get(config, "stopSequences");
    if (v && v->type != GK_JSON_NULL) {
        if (v->type != GK_JSON_ARRAY)
            return bad(err, "/config/stopSequences", "expected an array of strings");
        for (size_t i = 0; i < v->count; i++) {
            if (v->items[i].type != GK_JSON_STRING)
                return bad(err, "/config/stopSequences", "expected an array of strings");
        }
        gk_jw_key(w, "stop_sequences");
        gk_jw_value(w, v);
    }
    v = gk_json_get(config, "thinking");
    if (v && v->type != GK_JSON_NULL) {
        if (v->type != GK_JSON_OBJECT)
            return bad(err, "/config/thinking", "expected an object");
        gk_jw_key(w, "thinking");
        const gk_json *enabled = gk_json_get(v, "enabled");
        if (gk_json_get(v, "type") || !enabled) {
            gk_jw_value(w, v);
        } else {
            /* Genkit's shorthand: {"enabled": true, "budgetTokens": N}. */
            const gk_json *budget = gk_json_get(v, "budgetTokens");
            gk_jw_object_begin(w);
            gk_jw_key(w, "type");
            gk_jw_string(w, is_true(enabled) ? "enabled" : "disabled");
            if (is_true(enabled)) {
                if (!budget || budget->type != GK_JSON_NUMBER || !budget->is_int)
                    return bad(err, "/config/thinking/budgetTokens", "expected an integer");
                gk_jw_key(w, "budget_tokens");
                gk_jw_int(w, budget->integer);
            }
            gk_jw_object_end(w);
        }
    }
    v = gk_json_get(config, "apiKey");
    if (v && v->type == GK_JSON_STRING && v->len > 0)
        built->api_key = v->str;
    return GK_OK;
}

/* config keys that are not Genkit's go to the API as they are. */
static void write_passthrough(gk_jw *w, const gk_json *config, bool native_output)
{
    for (size_t i = 0; config && i < config->count; i++) {
        const gk_json *m = &config->items[i];
        if (is_reserved(m->key) || strcmp(m->key, "max_tokens") == 0)
            continue;
        if (native_output && strcmp(m->key, "output_config") == 0)
            continue; /* merged with the output format by write_output */
        /* snake_case spellings of what Genkit's names already wrote. */
        if ((strcmp(m->key, "top_p") == 0 && gk_json_get(config, "topP")) ||
            (strcmp(m->key, "top_k") == 0 && gk_json_get(config, "topK")) ||
            (strcmp(m->key, "stop_sequences") == 0 && gk_json_get(config, "stopSequences")))
            continue;
        gk_jw_key(w, m->key);
        gk_jw_value(w, m);
    }
}

/* Whether the request asks for JSON matching a schema that the model can enforce itself. */
static bool wants_native_output(const gk__anthropic_target *t, const gk_generate_request *req)
{
    if (!t->native_json || !req->has_output || !req->output.schema ||
        req->output.schema->type != GK_JSON_OBJECT)
        return false;
    if (req->output.has_constrained && !req->output.constrained)
        return false;
    return !req->output.format || strcmp(req->output.format, "json") == 0;
}

static void write_output(gk_jw *w, const gk_generate_request *req, const gk_json *config)
{
    const gk_json *oc = gk_json_get(config, "output_config");
    if (oc && oc->type != GK_JSON_OBJECT)
        oc = NULL;
    gk_jw_key(w, "output_config");
    gk_jw_object_begin(w);
    for (size_t i = 0; oc && i < oc->count; i++) {
        gk_jw_key(w, oc->items[i].key);
        gk_jw_value(w, &oc->items[i]);
    }
    if (!gk_json_get(oc, "format")) {
        gk_jw_key(w, "format");
        gk_jw_object_begin(w);
        gk_jw_key(w, "type");
        gk_jw_string(w, "json_schema");
        gk_jw_key(w, "schema");
        gk_jw_value(w, req->output.schema);
        gk_jw_object_end(w);
    }
    gk_jw_object_end(w);
}

gk_status gk__anthropic_build_request(gk_arena *a, const gk__anthropic_target *t,
                                      const gk_generate_request *req, gk_buf *out,
                                      gk__anthropic_built *built, gk_error *err)
{
    const gk_json *config = req->config;
    if (config && config->type == GK_JSON_NULL)
        config = NULL;
    if (config && config->type != GK_JSON_OBJECT)
        return bad(err, "/config", "config must be an object");
    memset(built, 0, sizeof(*built));
    built->model = t->model_id;
    const gk_json *version = gk_json_get(config, "version");
    if (version && version->type != GK_JSON_NULL) {
        if (version->type != GK_JSON_STRING || version->len == 0 ||
            strlen(version->str) != version->len)
            return bad(err, "/config/version", "version must be a model id string");
        built->model = version->str;
    }

    gk_jw w;
    gk_jw_init(&w, out);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_string(&w, built->model);
    gk_status st = write_config(&w, t, config, built, err);
    if (st == GK_OK)
        st = write_system(&w, req, err);
    if (st == GK_OK)
        st = write_messages(a, &w, req, err);
    if (st == GK_OK)
        st = write_tools(&w, req, config, err);
    if (st != GK_OK)
        return st;
    bool native = wants_native_output(t, req);
    write_passthrough(&w, config, native);
    if (native)
        write_output(&w, req, config);
    gk_jw_key(&w, "stream");
    gk_jw_bool(&w, t->stream);
    gk_jw_object_end(&w);
    if (gk_buf_failed(out))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "anthropic: request body over %zu bytes", out->cap);
    return GK_OK;
}
