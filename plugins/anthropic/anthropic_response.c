/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/anthropic/anthropic_response.c - Messages API replies -> GenerateResponse: content
 * blocks to parts, stop_reason to finishReason, usage, error bodies and error types to statuses,
 * and the streaming state machine (message_start, content_block_start/delta/stop with
 * input_json_delta fragments reassembled per block index, message_delta, message_stop, ping,
 * error). Provider output is untrusted: every member's type is checked, and anything malformed is
 * a status with a message naming the event or field, never a crash. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anthropic_wire.h"

/* Content blocks one reply may have (block indexes are below this). */
#define MAX_BLOCKS 1024
/* Most bytes kept for one block's text or thinking, and for one tool call's input JSON. */
#define MAX_BLOCK_TEXT ((size_t)16 << 20)
#define MAX_TOOL_JSON  ((size_t)8 << 20)

/* A string member (without embedded NULs, which a C string cannot carry), or NULL. */
static const char *jstr(const gk_json *o, const char *key)
{
    const gk_json *v = gk_json_get(o, key);
    if (!v || v->type != GK_JSON_STRING || strlen(v->str) != v->len)
        return NULL;
    return v->str;
}

static const gk_json *jobj(const gk_json *o, const char *key)
{
    const gk_json *v = gk_json_get(o, key);
    return v && v->type == GK_JSON_OBJECT ? v : NULL;
}

static gk_status malformed(gk_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static gk_status malformed(gk_error *err, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gk_error_set(err, GK_INTERNAL, "", "anthropic: malformed response: %s", msg);
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: request memory limit reached");
}

/* ---- usage and finish reason ---- */

struct usage_acc {
    double input, output, cache_creation, cache_read;
    bool has_input, has_output, has_cache_creation, has_cache_read;
};

static void usage_take(const gk_json *usage, const char *key, double *v, bool *has)
{
    const gk_json *n = gk_json_get(usage, key);
    if (n && n->type == GK_JSON_NUMBER && n->number >= 0) {
        *v = n->number;
        *has = true;
    }
}

/* Later reports overwrite earlier ones field by field (message_delta repeats what it knows). */
static void usage_merge(struct usage_acc *u, const gk_json *usage)
{
    if (!usage || usage->type != GK_JSON_OBJECT)
        return;
    usage_take(usage, "input_tokens", &u->input, &u->has_input);
    usage_take(usage, "output_tokens", &u->output, &u->has_output);
    usage_take(usage, "cache_creation_input_tokens", &u->cache_creation, &u->has_cache_creation);
    usage_take(usage, "cache_read_input_tokens", &u->cache_read, &u->has_cache_read);
}

static gk_status usage_write(gk_arena *a, const struct usage_acc *u, gk_generate_response *resp,
                             gk_error *err)
{
    if (!u->has_input && !u->has_output && !u->has_cache_creation && !u->has_cache_read)
        return GK_OK;
    gk_generation_usage *g = &resp->usage;
    resp->has_usage = true;
    g->input_tokens = u->input;
    g->has_input_tokens = u->has_input;
    g->output_tokens = u->output;
    g->has_output_tokens = u->has_output;
    /* The API's input_tokens excludes cached input: the total counts every token. */
    g->total_tokens = u->input + u->output + u->cache_creation + u->cache_read;
    g->has_total_tokens = true;
    if (u->has_cache_read) {
        g->cached_content_tokens = u->cache_read;
        g->has_cached_content_tokens = true;
    }
    if (u->has_cache_creation || u->has_cache_read) {
        gk_json *custom = gk_json_new_object(a);
        if (!custom)
            return oom(err);
        if (u->has_cache_creation && !gk_json_object_set(a, custom, "cache_creation_input_tokens",
                                                         gk_json_new_double(a, u->cache_creation)))
            return oom(err);
        if (u->has_cache_read && !gk_json_object_set(a, custom, "cache_read_input_tokens",
                                                     gk_json_new_double(a, u->cache_read)))
            return oom(err);
        g->custom = custom;
    }
    return GK_OK;
}

static void finish_map(const char *stop_reason, const gk_json *stop_details,
                       gk_generate_response *resp)
{
    resp->finish_reason = GK_FINISH_UNKNOWN;
    if (!stop_reason)
        return;
    if (strcmp(stop_reason, "end_turn") == 0 || strcmp(stop_reason, "stop_sequence") == 0 ||
        strcmp(stop_reason, "tool_use") == 0) {
        resp->finish_reason = GK_FINISH_STOP;
    } else if (strcmp(stop_reason, "max_tokens") == 0 ||
               strcmp(stop_reason, "model_context_window_exceeded") == 0) {
        resp->finish_reason = GK_FINISH_LENGTH;
    } else if (strcmp(stop_reason, "refusal") == 0) {
        resp->finish_reason = GK_FINISH_BLOCKED;
        const char *why = jstr(stop_details, "explanation");
        resp->finish_message = why ? why : "the model refused to answer";
    } else if (strcmp(stop_reason, "pause_turn") == 0) {
        resp->finish_reason = GK_FINISH_OTHER;
        resp->finish_message = "pause_turn: the server paused a long turn; send the reply back "
                               "to let it continue";
    } else {
        resp->finish_reason = GK_FINISH_OTHER;
        resp->finish_message = stop_reason;
    }
}

/* ---- content blocks ---- */

static gk_json *metadata_with(gk_arena *a, const char *key, const char *value)
{
    gk_json *m = gk_json_new_object(a);
    gk_json *v = gk_json_new_string(a, value, strlen(value));
    if (!m || !v || !gk_json_object_set(a, m, key, v))
        return NULL;
    return m;
}

static gk_status reasoning_part(gk_arena *a, const char *thinking, const char *signature,
                                gk_part *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    out->reasoning = thinking;
    if (signature && signature[0]) {
        gk_json *m = metadata_with(a, "thoughtSignature", signature);
        if (!m)
            return oom(err);
        out->metadata = m;
    }
    return GK_OK;
}

/* The part for a non-streamed content block; *keep is false for blocks that carry nothing. */
static gk_status block_part(gk_arena *a, const gk_json *b, size_t i, gk_part *out, bool *keep,
                            gk_error *err)
{
    char where[64];
    snprintf(where, sizeof(where), "content[%zu]", i);
    *keep = true;
    memset(out, 0, sizeof(*out));
    const char *type = jstr(b, "type");
    if (!type)
        return malformed(err, "%s has no \"type\"", where);
    if (strcmp(type, "text") == 0) {
        const char *text = jstr(b, "text");
        if (!text)
            return malformed(err, "%s.text is not a string", where);
        out->text = text;
        *keep = text[0] != '\0';
    } else if (strcmp(type, "tool_use") == 0) {
        const char *id = jstr(b, "id");
        const char *name = jstr(b, "name");
        const gk_json *input = gk_json_get(b, "input");
        if (!id || !name)
            return malformed(err, "%s (tool_use) needs string \"id\" and \"name\"", where);
        if (input && input->type != GK_JSON_OBJECT)
            return malformed(err, "%s.input is not an object", where);
        if (!input) {
            input = gk_json_new_object(a);
            if (!input)
                return oom(err);
        }
        *out = gk_part_tool_request(name, id, input);
    } else if (strcmp(type, "thinking") == 0) {
        const char *thinking = jstr(b, "thinking");
        if (!thinking)
            return malformed(err, "%s.thinking is not a string", where);
        return reasoning_part(a, thinking, jstr(b, "signature"), out, err);
    } else {
        /* redacted_thinking, server tool blocks, ...: kept verbatim, sent back as they are. */
        out->custom = b;
    }
    return GK_OK;
}

gk_status gk_anthropic_parse_response(gk_arena *a, const char *body, size_t len,
                                      gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    gk_json *doc = NULL;
    gk_status st = gk_json_parse(a, body, len, NULL, &doc, err);
    if (st != GK_OK) {
        if (st == GK_RESOURCE_EXHAUSTED)
            return st;
        char why[sizeof(err->message)];
        snprintf(why, sizeof(why), "%s", err ? err->message : "");
        return gk_error_set(err, GK_INTERNAL, "", "anthropic: response is not JSON: %s", why);
    }
    if (doc->type != GK_JSON_OBJECT)
        return malformed(err, "%s", "the body is not an object");
    const char *type = jstr(doc, "type");
    if (type && strcmp(type, "error") == 0)
        return gk__anthropic_error_from_body(a, 0, body, len, NULL, err);
    if (type && strcmp(type, "message") != 0)
        return malformed(err, "type is \"%s\", expected \"message\"", type);
    const gk_json *content = gk_json_get(doc, "content");
    if (!content || content->type != GK_JSON_ARRAY)
        return malformed(err, "%s", "content is not an array");
    gk_part *parts = GK_NEW(a, gk_part, content->count ? content->count : 1);
    if (!parts)
        return oom(err);
    size_t n = 0;
    for (size_t i = 0; i < content->count; i++) {
        const gk_json *b = &content->items[i];
        if (b->type != GK_JSON_OBJECT)
            return malformed(err, "%s", "a content block is not an object");
        bool keep = false;
        st = block_part(a, b, i, &parts[n], &keep, err);
        if (st != GK_OK)
            return st;
        if (keep)
            n++;
    }
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = parts;
    resp->message.content.count = n;
    const gk_json *sr = gk_json_get(doc, "stop_reason");
    if (sr && sr->type != GK_JSON_NULL && sr->type != GK_JSON_STRING)
        return malformed(err, "%s", "stop_reason is not a string");
    finish_map(jstr(doc, "stop_reason"), jobj(doc, "stop_details"), resp);
    struct usage_acc u = {0};
    usage_merge(&u, gk_json_get(doc, "usage"));
    return usage_write(a, &u, resp, err);
}

/* ---- errors ---- */

gk_status gk__anthropic_error_status(const char *type, int http_status)
{
    static const struct {
        const char *type;
        gk_status status;
    } map[] = {
        {"invalid_request_error", GK_INVALID_ARGUMENT},
        {"authentication_error", GK_UNAUTHENTICATED},
        {"permission_error", GK_PERMISSION_DENIED},
        {"not_found_error", GK_NOT_FOUND},
        {"request_too_large", GK_INVALID_ARGUMENT},
        {"rate_limit_error", GK_RESOURCE_EXHAUSTED},
        {"api_error", GK_UNAVAILABLE},
        {"overloaded_error", GK_UNAVAILABLE},
        {"timeout_error", GK_DEADLINE_EXCEEDED},
        {"billing_error", GK_FAILED_PRECONDITION},
    };
    for (size_t i = 0; type && i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].type, type) == 0)
            return map[i].status;
    }
    if (http_status >= 500 || http_status == 0)
        return GK_UNAVAILABLE; /* 529 "overloaded" included; unknown mid-stream errors too */
    gk_status st = gk_status_from_http(http_status);
    return st == GK_OK ? GK_UNKNOWN : st;
}

/* Copy src into dst (cap bytes), replacing each occurrence of secret by "[redacted]". */
static void redact(char *dst, size_t cap, const char *src, const char *secret)
{
    size_t slen = secret ? strlen(secret) : 0;
    size_t o = 0;
    while (*src && o + 1 < cap) {
        if (slen >= 4 && strncmp(src, secret, slen) == 0) {
            static const char mark[] = "[redacted]";
            for (size_t k = 0; mark[k] && o + 1 < cap; k++)
                dst[o++] = mark[k];
            src += slen;
            continue;
        }
        dst[o++] = *src++;
    }
    dst[o] = '\0';
}

gk_status gk__anthropic_error_from_body(gk_arena *a, int http_status, const char *body, size_t len,
                                        const char *secret, gk_error *err)
{
    gk_json *doc = NULL;
    gk_error ignored = {0};
    const gk_json *e = NULL;
    if (len > 0 && gk_json_parse(a, body, len, NULL, &doc, &ignored) == GK_OK)
        e = jobj(doc, "error");
    const char *type = jstr(e, "type");
    const char *msg = jstr(e, "message");
    const char *request_id = jstr(doc, "request_id");
    gk_status st = gk__anthropic_error_status(type, http_status);
    char text[sizeof(err->message)];
    if (type || msg) {
        char raw[sizeof(text)];
        if (request_id)
            snprintf(raw, sizeof(raw), "anthropic: %s: %s (request %s)", type ? type : "error",
                     msg ? msg : "", request_id);
        else
            snprintf(raw, sizeof(raw), "anthropic: %s: %s", type ? type : "error", msg ? msg : "");
        redact(text, sizeof(text), raw, secret);
    } else if (http_status) {
        snprintf(text, sizeof(text), "anthropic: HTTP %d without an error body", http_status);
    } else {
        snprintf(text, sizeof(text), "anthropic: error event without details");
    }
    return gk_error_set(err, st, "", "%s", text);
}

/* ---- streaming ---- */

enum block_kind { BLOCK_TEXT, BLOCK_TOOL, BLOCK_THINKING, BLOCK_OTHER };

/* One content block being streamed. buf holds text, thinking or the tool input's JSON so far. */
struct block {
    enum block_kind kind;
    bool stopped;
    const char *id, *name;      /* tool_use */
    const gk_json *start_input; /* tool_use: content_block_start's input (a placeholder) */
    const gk_json *raw;         /* other kinds: content_block_start's block, kept verbatim */
    gk_buf buf;
    gk_buf sig;
    gk_part part; /* set at stop for tools */
    bool has_part;
};

/* Invariants: blocks[0..nblocks) are NULL or started blocks; stopped once message_stop came;
 * failed after an error event (later events are refused). */
struct gk__anthropic_stream {
    gk_arena *a;
    gk__anthropic_emit_fn emit;
    void *emit_arg;
    const char *secret;
    struct block **blocks;
    size_t nblocks;
    struct usage_acc usage;
    const char *stop_reason;
    const gk_json *stop_details;
    bool stopped;
    uint64_t events;
};

static void stream_release(void *arg)
{
    gk__anthropic_stream *s = arg;
    for (size_t i = 0; i < s->nblocks; i++) {
        if (s->blocks[i]) {
            gk_buf_release(&s->blocks[i]->buf);
            gk_buf_release(&s->blocks[i]->sig);
        }
    }
}

gk__anthropic_stream *gk__anthropic_stream_new(gk_arena *a, gk__anthropic_emit_fn emit,
                                               void *emit_arg, const char *secret)
{
    gk__anthropic_stream *s = GK_NEW(a, gk__anthropic_stream, 1);
    if (!s)
        return NULL;
    s->a = a;
    s->emit = emit;
    s->emit_arg = emit_arg;
    s->secret = secret;
    if (!gk_arena_defer(a, stream_release, s))
        return NULL;
    return s;
}

static gk_status emit_part(gk__anthropic_stream *s, const gk_part *p, gk_error *err)
{
    if (!s->emit)
        return GK_OK;
    gk_generate_response_chunk chunk = {.role = GK_ROLE_MODEL,
                                        .has_role = true,
                                        .index = 0,
                                        .has_index = true,
                                        .content = {(gk_part *)p, 1}};
    return s->emit(s->emit_arg, &chunk, err);
}

/* The block index of an event: an integer in [0, MAX_BLOCKS). */
static gk_status event_index(const gk_json *doc, const char *ev, size_t *out, gk_error *err)
{
    const gk_json *v = gk_json_get(doc, "index");
    if (!v || v->type != GK_JSON_NUMBER || !v->is_int || v->integer < 0 || v->integer >= MAX_BLOCKS)
        return malformed(err, "%s has no valid block \"index\"", ev);
    *out = (size_t)v->integer;
    return GK_OK;
}

static gk_status append(gk_buf *b, const char *s, size_t n, gk_error *err)
{
    gk_buf_put(b, s, n);
    if (gk_buf_failed(b))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "anthropic: a streamed content block is over %zu bytes", b->cap);
    return GK_OK;
}

static gk_status on_block_start(gk__anthropic_stream *s, const gk_json *doc, gk_error *err)
{
    size_t i = 0;
    gk_status st = event_index(doc, "content_block_start", &i, err);
    if (st != GK_OK)
        return st;
    const gk_json *cb = jobj(doc, "content_block");
    const char *type = jstr(cb, "type");
    if (!type)
        return malformed(err, "%s has no content_block.type", "content_block_start");
    if (i >= s->nblocks) {
        struct block **grown = gk_arena_realloc(s->a, s->blocks, s->nblocks * sizeof(*grown),
                                                (i + 1) * sizeof(*grown));
        if (!grown)
            return oom(err);
        s->blocks = grown;
        s->nblocks = i + 1;
    }
    if (s->blocks[i])
        return malformed(err, "%s for a block index already started", "content_block_start");
    struct block *b = GK_NEW(s->a, struct block, 1);
    if (!b)
        return oom(err);
    b->buf = GK_BUF_INIT(MAX_BLOCK_TEXT);
    b->sig = GK_BUF_INIT(64 * 1024);
    s->blocks[i] = b;
    if (strcmp(type, "text") == 0) {
        b->kind = BLOCK_TEXT;
        const char *text = jstr(cb, "text");
        if (text && text[0]) {
            st = append(&b->buf, text, strlen(text), err);
            if (st != GK_OK)
                return st;
            gk_part p = gk_part_text(text);
            return emit_part(s, &p, err);
        }
    } else if (strcmp(type, "tool_use") == 0) {
        b->kind = BLOCK_TOOL;
        b->buf.cap = MAX_TOOL_JSON;
        b->id = jstr(cb, "id");
        b->name = jstr(cb, "name");
        if (!b->id || !b->name)
            return malformed(err, "%s (tool_use) needs string \"id\" and \"name\"",
                             "content_block_start");
        b->start_input = jobj(cb, "input");
    } else if (strcmp(type, "thinking") == 0) {
        b->kind = BLOCK_THINKING;
        const char *t = jstr(cb, "thinking");
        const char *sig = jstr(cb, "signature");
        if (t && t[0])
            st = append(&b->buf, t, strlen(t), err);
        if (st == GK_OK && sig && sig[0])
            st = append(&b->sig, sig, strlen(sig), err);
        if (st == GK_OK && t && t[0]) {
            gk_part p = {.reasoning = t};
            st = emit_part(s, &p, err);
        }
        return st;
    } else {
        b->kind = BLOCK_OTHER;
        b->raw = cb;
    }
    return GK_OK;
}

static gk_status on_block_delta(gk__anthropic_stream *s, const gk_json *doc, gk_error *err)
{
    size_t i = 0;
    gk_status st = event_index(doc, "content_block_delta", &i, err);
    if (st != GK_OK)
        return st;
    if (i >= s->nblocks || !s->blocks[i] || s->blocks[i]->stopped)
        return malformed(err, "%s for a block that is not open", "content_block_delta");
    struct block *b = s->blocks[i];
    const gk_json *delta = jobj(doc, "delta");
    const char *type = jstr(delta, "type");
    if (!type)
        return malformed(err, "%s has no delta.type", "content_block_delta");
    if (strcmp(type, "text_delta") == 0) {
        const char *text = jstr(delta, "text");
        if (!text || b->kind != BLOCK_TEXT)
            return malformed(err, "%s: text_delta without text, or not in a text block",
                             "content_block_delta");
        if (!text[0])
            return GK_OK;
        st = append(&b->buf, text, strlen(text), err);
        if (st != GK_OK)
            return st;
        gk_part p = gk_part_text(text);
        return emit_part(s, &p, err);
    }
    if (strcmp(type, "input_json_delta") == 0) {
        const gk_json *pj = gk_json_get(delta, "partial_json");
        if (!pj || pj->type != GK_JSON_STRING)
            return malformed(err, "%s: input_json_delta without partial_json",
                             "content_block_delta");
        if (b->kind == BLOCK_OTHER)
            return GK_OK; /* server tools stream their input too; kept verbatim at start */
        if (b->kind != BLOCK_TOOL)
            return malformed(err, "%s: input_json_delta outside a tool_use block",
                             "content_block_delta");
        return append(&b->buf, pj->str, pj->len, err);
    }
    if (strcmp(type, "thinking_delta") == 0 || strcmp(type, "signature_delta") == 0) {
        bool thinking = type[1] == 'h';
        const char *text = jstr(delta, thinking ? "thinking" : "signature");
        if (!text || b->kind != BLOCK_THINKING)
            return malformed(err, "%s: thinking delta outside a thinking block",
                             "content_block_delta");
        st = append(thinking ? &b->buf : &b->sig, text, strlen(text), err);
        if (st != GK_OK || !thinking || !text[0])
            return st;
        gk_part p = {.reasoning = text};
        return emit_part(s, &p, err);
    }
    return GK_OK; /* citations_delta and kinds added later: nothing to stream */
}

/* A tool_use block's input from its fragments ("" means {}), as a toolRequest part. */
static gk_status finish_tool(gk__anthropic_stream *s, struct block *b, gk_error *err)
{
    const gk_json *input = NULL;
    size_t n = b->buf.len;
    const char *text = b->buf.ptr ? b->buf.ptr : "";
    size_t blank = strspn(text, " \t\r\n");
    if (blank >= n) {
        input = b->start_input && b->start_input->count ? b->start_input : gk_json_new_object(s->a);
        if (!input)
            return oom(err);
    } else {
        gk_json *doc = NULL;
        gk_status st = gk_json_parse(s->a, text, n, NULL, &doc, err);
        if (st == GK_RESOURCE_EXHAUSTED)
            return st;
        if (st != GK_OK || doc->type != GK_JSON_OBJECT) {
            char why[160];
            snprintf(why, sizeof(why), "tool_use \"%s\" input is not a JSON object", b->name);
            return malformed(err, "%s", why);
        }
        input = doc;
    }
    b->part = gk_part_tool_request(b->name, b->id, input);
    b->has_part = true;
    return GK_OK;
}

static gk_status on_block_stop(gk__anthropic_stream *s, const gk_json *doc, gk_error *err)
{
    size_t i = 0;
    gk_status st = event_index(doc, "content_block_stop", &i, err);
    if (st != GK_OK)
        return st;
    if (i >= s->nblocks || !s->blocks[i] || s->blocks[i]->stopped)
        return malformed(err, "%s for a block that is not open", "content_block_stop");
    struct block *b = s->blocks[i];
    b->stopped = true;
    if (b->kind != BLOCK_TOOL)
        return GK_OK;
    st = finish_tool(s, b, err);
    if (st != GK_OK)
        return st;
    return emit_part(s, &b->part, err);
}

static gk_status on_error(gk__anthropic_stream *s, const gk_line_event *ev, gk_error *err)
{
    gk_status st =
        gk__anthropic_error_from_body(s->a, 0, ev->data.ptr, ev->data.len, s->secret, err);
    return st == GK_OK ? gk_error_set(err, GK_UNKNOWN, "", "anthropic: error event") : st;
}

gk_status gk__anthropic_stream_event(gk__anthropic_stream *s, const gk_line_event *ev,
                                     gk_error *err)
{
    s->events++;
    if (s->stopped)
        return GK_OK; /* nothing follows message_stop; tolerate trailing noise */
    const char *name = ev->event.ptr ? ev->event.ptr : "";
    if (strcmp(name, "ping") == 0)
        return GK_OK;
    if (strcmp(name, "error") == 0)
        return on_error(s, ev, err);
    /* Deltas are many and short-lived: parse them in a scratch arena freed right after. */
    bool scratch = strcmp(name, "content_block_delta") == 0;
    gk_arena *a = scratch ? gk_arena_new(0) : s->a;
    if (!a)
        return oom(err);
    gk_json *doc = NULL;
    gk_status st = gk_json_parse(a, ev->data.ptr, ev->data.len, NULL, &doc, err);
    if (st != GK_OK) {
        if (st != GK_RESOURCE_EXHAUSTED) {
            char why[sizeof(err->message)];
            snprintf(why, sizeof(why), "%s", err ? err->message : "");
            st = gk_error_set(err, GK_INTERNAL, "",
                              "anthropic: malformed response: event %llu is not JSON: %s",
                              (unsigned long long)s->events, why);
        }
        goto out;
    }
    const char *type = jstr(doc, "type");
    if (!type) {
        st = malformed(err, "an event (\"%s\") has no \"type\"", name[0] ? name : "message");
        goto out;
    }
    if (scratch && strcmp(type, "content_block_delta") != 0) {
        st = malformed(err, "event content_block_delta carries \"%s\"", type);
        goto out;
    }
    if (strcmp(type, "message_start") == 0) {
        usage_merge(&s->usage, gk_json_get(jobj(doc, "message"), "usage"));
    } else if (strcmp(type, "content_block_start") == 0) {
        st = on_block_start(s, doc, err);
    } else if (strcmp(type, "content_block_delta") == 0) {
        st = on_block_delta(s, doc, err);
    } else if (strcmp(type, "content_block_stop") == 0) {
        st = on_block_stop(s, doc, err);
    } else if (strcmp(type, "message_delta") == 0) {
        const gk_json *delta = jobj(doc, "delta");
        const char *sr = jstr(delta, "stop_reason");
        if (sr)
            s->stop_reason = sr;
        if (jobj(delta, "stop_details"))
            s->stop_details = jobj(delta, "stop_details");
        usage_merge(&s->usage, gk_json_get(doc, "usage"));
    } else if (strcmp(type, "message_stop") == 0) {
        s->stopped = true;
    } else if (strcmp(type, "error") == 0) {
        st = on_error(s, ev, err);
    }
    /* ping and event types added later: nothing to do. */
out:
    if (scratch)
        gk_arena_free(a);
    return st;
}

gk_status gk__anthropic_stream_finish(gk__anthropic_stream *s, gk_generate_response *resp,
                                      gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    if (!s->stopped)
        return gk_error_set(err, GK_UNAVAILABLE, "",
                            "anthropic: the stream ended before message_stop (after %llu events)",
                            (unsigned long long)s->events);
    gk_part *parts = GK_NEW(s->a, gk_part, s->nblocks ? s->nblocks : 1);
    if (!parts)
        return oom(err);
    size_t n = 0;
    for (size_t i = 0; i < s->nblocks; i++) {
        struct block *b = s->blocks[i];
        if (!b)
            continue;
        gk_status st = GK_OK;
        const char *text = b->buf.ptr ? b->buf.ptr : "";
        switch (b->kind) {
        case BLOCK_TEXT:
            if (!text[0])
                continue;
            parts[n] = gk_part_text(gk_arena_strndup(s->a, text, b->buf.len));
            if (!parts[n].text)
                return oom(err);
            break;
        case BLOCK_THINKING: {
            const char *copy = gk_arena_strndup(s->a, text, b->buf.len);
            if (!copy)
                return oom(err);
            st = reasoning_part(s->a, copy, b->sig.ptr, &parts[n], err);
            break;
        }
        case BLOCK_TOOL:
            if (!b->has_part)
                st = finish_tool(s, b, err);
            parts[n] = b->part;
            break;
        case BLOCK_OTHER:
            memset(&parts[n], 0, sizeof(parts[n]));
            parts[n].custom = b->raw;
            break;
        }
        if (st != GK_OK)
            return st;
        n++;
    }
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = parts;
    resp->message.content.count = n;
    finish_map(s->stop_reason, s->stop_details, resp);
    return usage_write(s->a, &s->usage, resp, err);
}

/* ---- replay for tests and fuzzing ---- */

struct replay {
    gk_model_chunk_fn on_chunk;
    void *arg;
};

static gk_status replay_emit(void *arg, const gk_generate_response_chunk *chunk, gk_error *err)
{
    struct replay *r = arg;
    if (!r->on_chunk)
        return GK_OK;
    gk_status st = r->on_chunk(chunk, r->arg);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "anthropic: the chunk receiver stopped the stream");
    return GK_OK;
}

static gk_status replay_event(void *arg, const gk_line_event *ev, gk_error *err)
{
    return gk__anthropic_stream_event(arg, ev, err);
}

gk_status gk_anthropic_parse_stream(gk_arena *a, const char *body, size_t len, size_t split,
                                    gk_model_chunk_fn on_chunk, void *chunk_arg,
                                    gk_generate_response *resp, gk_error *err)
{
    gk_error local = {0};
    if (!err)
        err = &local;
    memset(resp, 0, sizeof(*resp));
    struct replay r = {on_chunk, chunk_arg};
    gk__anthropic_stream *s = gk__anthropic_stream_new(a, replay_emit, &r, NULL);
    if (!s)
        return oom(err);
    gk_lines *p = gk_lines_new(GK_LINES_SSE, 0, replay_event, s);
    if (!p)
        return oom(err);
    gk_status st = GK_OK;
    size_t step = split ? split : (len ? len : 1);
    for (size_t off = 0; st == GK_OK && off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        st = gk_lines_feed(p, body + off, n, err);
    }
    if (st == GK_OK)
        st = gk_lines_finish(p, err);
    gk_lines_free(p);
    if (st != GK_OK)
        return st;
    return gk__anthropic_stream_finish(s, resp, err);
}
