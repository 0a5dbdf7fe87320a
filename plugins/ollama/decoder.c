/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/ollama/decoder.c - Ollama /api/chat replies -> GenerateResponse (and chunks): one JSON
 * body, or an NDJSON stream fed in pieces split anywhere; {"error"} bodies and lines -> statuses;
 * /api/embed bodies -> embeddings. Provider JSON is untrusted: every member's type is checked and
 * unknown members are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ollama_internal.h"

/* Largest whole body kept, and largest text or thinking aggregated. */
#define MAX_DOC ((size_t)16 << 20)
/* Most tool calls aggregated from one reply. */
#define MAX_CALLS 1024

/*
 * Invariants: calls[0..ncalls) are the tool requests so far (ncalls <= MAX_CALLS); text and
 * thinking hold the aggregated strings; once sticky != GK_OK every call returns it with
 * sticky_err.
 */
struct gk_ollama_decoder {
    gk_arena *a;
    bool stream;
    gk_model_chunk_fn on_chunk;
    void *arg;
    gk_lines *lines;
    gk_buf body; /* whole-body mode: the bytes */
    gk_buf text;
    gk_buf thinking;
    gk_part *calls;
    size_t ncalls, cap_calls;
    size_t objects; /* JSON objects (lines) processed */
    bool done;
    gk_status sticky;
    gk_error sticky_err;

    const char *done_reason;
    const char *model;
    const char *created_at;
    const gk_json *final; /* the object with done: true (counters, durations) */
};

static bool json_is(const gk_json *v, gk_json_type t)
{
    return v && v->type == t;
}

static const char *get_str(const gk_json *obj, const char *key)
{
    const gk_json *v = gk_json_get(obj, key);
    return json_is(v, GK_JSON_STRING) ? v->str : NULL;
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory decoding the ollama reply");
}

static gk_status bad(gk_ollama_decoder *d, gk_error *err, const char *what)
{
    if (d->stream)
        return gk_error_set(err, GK_INTERNAL, "", "invalid response from ollama (line %zu): %s",
                            d->objects, what);
    return gk_error_set(err, GK_INTERNAL, "", "invalid response from ollama: %s", what);
}

static void mask(char *msg, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n == 0)
        return;
    char *p;
    while ((p = strstr(msg, secret)) != NULL)
        memset(p, '*', n);
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* ---- errors ---- */

/* The status an error that arrived inside a 200 stream means, judged by Ollama's wording. */
static gk_status stream_error_status(const char *msg)
{
    if (strstr(msg, "not found"))
        return GK_NOT_FOUND;
    if (strstr(msg, "does not support"))
        return GK_INVALID_ARGUMENT;
    if (strstr(msg, "server busy") || strstr(msg, "maximum pending requests"))
        return GK_UNAVAILABLE;
    return GK_INTERNAL;
}

/* The error text of an {"error": "..."} (or proxies' {"error": {"message": "..."}}) object. */
static const char *error_text(const gk_json *root)
{
    const gk_json *e = gk_json_get(root, "error");
    if (json_is(e, GK_JSON_STRING))
        return e->str;
    if (json_is(e, GK_JSON_OBJECT))
        return get_str(e, "message");
    return NULL;
}

/* Fill err for an error with text msg (may be NULL); http_status 0 means inside a stream. */
static gk_status error_with_text(int http_status, const char *msg, int retry_ms, gk_error *err)
{
    gk_status st;
    char where[32];
    if (http_status == 0) {
        st = msg ? stream_error_status(msg) : GK_INTERNAL;
        snprintf(where, sizeof(where), "in stream");
    } else {
        st = gk_status_from_http(http_status);
        if (st == GK_OK || (http_status >= 300 && http_status < 400))
            st = GK_UNKNOWN;
        snprintf(where, sizeof(where), "HTTP %d", http_status);
    }
    if (msg && msg[0])
        gk_error_set(err, st, "", "ollama error (%s, %s): %s", where, gk_status_name(st), msg);
    else if (http_status >= 300 && http_status < 400)
        gk_error_set(err, st, "", "ollama error (%s): redirects are not followed (check the host)",
                     where);
    else
        gk_error_set(err, st, "", "ollama error (%s, %s)", where, gk_status_name(st));
    if (err) {
        trim_end(err->message);
        err->retry_after_ms = retry_ms > 0 ? retry_ms : 0;
    }
    return st;
}

gk_status gk_ollama_error_from_body(int http_status, const char *body, size_t len,
                                    int retry_after_ms, const char *secret, gk_error *err)
{
    gk_status st;
    gk_arena *a = gk_arena_new(0);
    gk_json *root = NULL;
    gk_error perr = {0};
    if (http_status == 0)
        http_status = 500; /* 0 is our "in stream" marker, never a real code */
    if (a && body && len > 0 && gk_json_parse(a, body, len, NULL, &root, &perr) == GK_OK &&
        error_text(root)) {
        st = error_with_text(http_status, error_text(root), retry_after_ms, err);
    } else {
        st = gk_status_from_http(http_status);
        if (st == GK_OK || (http_status >= 300 && http_status < 400))
            st = GK_UNKNOWN;
        /* Not Ollama's error shape (a proxy's page, "404 page not found" from an old server):
         * say so without quoting it, as it could be anything. */
        if (http_status >= 300 && http_status < 400)
            gk_error_set(err, st, "",
                         "ollama error (HTTP %d): redirects are not followed (check the host)",
                         http_status);
        else
            gk_error_set(err, st, "",
                         "ollama error (HTTP %d, %s) with a body that is not an "
                         "ollama error object",
                         http_status, gk_status_name(st));
        if (err)
            err->retry_after_ms = retry_after_ms > 0 ? retry_after_ms : 0;
    }
    gk_arena_free(a);
    if (err)
        mask(err->message, secret);
    return st;
}

/* ---- aggregation ---- */

static gk_part *add_call(gk_ollama_decoder *d)
{
    if (d->ncalls == d->cap_calls) {
        size_t cap = d->cap_calls ? d->cap_calls * 2 : 4;
        gk_part *p =
            gk_arena_realloc(d->a, d->calls, d->cap_calls * sizeof(gk_part), cap * sizeof(gk_part));
        if (!p)
            return NULL;
        d->calls = p;
        d->cap_calls = cap;
    }
    gk_part *p = &d->calls[d->ncalls++];
    memset(p, 0, sizeof(*p));
    return p;
}

/* One tool_calls[] item -> a toolRequest part appended to the reply. */
static gk_status convert_call(gk_ollama_decoder *d, const gk_json *tc, gk_part **out, gk_error *err)
{
    if (!json_is(tc, GK_JSON_OBJECT))
        return bad(d, err, "a tool call is not an object");
    const gk_json *fn = gk_json_get(tc, "function");
    if (!json_is(fn, GK_JSON_OBJECT))
        return bad(d, err, "a tool call has no function object");
    const gk_json *name = gk_json_get(fn, "name");
    if (!json_is(name, GK_JSON_STRING) || name->len == 0)
        return bad(d, err, "a tool call has no function name");
    const gk_json *args = gk_json_get(fn, "arguments");
    if (json_is(args, GK_JSON_STRING)) {
        /* Ollama sends an object; proxies speaking OpenAI's habits send JSON text. */
        gk_json *parsed = NULL;
        gk_error perr = {0};
        if (args->len == 0) {
            args = NULL;
        } else if (gk_json_parse(d->a, args->str, args->len, NULL, &parsed, &perr) != GK_OK ||
                   parsed->type != GK_JSON_OBJECT) {
            return bad(d, err, "tool call arguments are not a JSON object");
        } else {
            args = parsed;
        }
    } else if (args && args->type == GK_JSON_NULL) {
        args = NULL;
    } else if (args && args->type != GK_JSON_OBJECT) {
        return bad(d, err, "tool call arguments are not an object");
    }
    if (!args) {
        args = gk_json_new_object(d->a);
        if (!args)
            return oom(err);
    }
    const gk_json *id = gk_json_get(tc, "id");
    if (id && id->type != GK_JSON_NULL && id->type != GK_JSON_STRING)
        return bad(d, err, "a tool call id is not a string");
    if (d->ncalls == MAX_CALLS)
        return bad(d, err, "too many tool calls");
    gk_part *p = add_call(d);
    if (!p)
        return oom(err);
    p->has_tool_request = true;
    p->tool_request.name = name->str;
    p->tool_request.input = args;
    if (json_is(id, GK_JSON_STRING) && id->len > 0) {
        p->tool_request.ref = id->str;
    } else {
        /* Older servers send no ids: number the calls so that answers can be matched. */
        p->tool_request.ref = gk_arena_sprintf(d->a, "%zu", d->ncalls - 1);
        if (!p->tool_request.ref)
            return oom(err);
    }
    *out = p;
    return GK_OK;
}

static gk_status emit(gk_ollama_decoder *d, gk_part *parts, size_t n, gk_error *err)
{
    if (n == 0 || !d->stream || !d->on_chunk)
        return GK_OK;
    gk_generate_response_chunk chunk = {
        .role = GK_ROLE_MODEL,
        .has_role = true,
        .index = 0,
        .has_index = true,
    };
    chunk.content.items = parts;
    chunk.content.count = n;
    gk_status st = d->on_chunk(&chunk, d->arg);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "the stream's receiver stopped it (%s)",
                            gk_status_name(st));
    return GK_OK;
}

/* One ChatResponse object (the body, or one line of a stream). */
static gk_status process_object(gk_ollama_decoder *d, const gk_json *v, gk_error *err)
{
    d->objects++;
    if (!json_is(v, GK_JSON_OBJECT))
        return bad(d, err, "not a JSON object");
    if (gk_json_get(v, "error")) {
        const char *msg = error_text(v);
        return error_with_text(0, msg ? msg : "(no message)", 0, err);
    }
    if (d->done)
        return bad(d, err, "a line after the final (done) line");
    if (get_str(v, "model"))
        d->model = get_str(v, "model");
    if (get_str(v, "created_at"))
        d->created_at = get_str(v, "created_at");

    const gk_json *msg = gk_json_get(v, "message");
    gk_part *chunk_parts = NULL;
    size_t n = 0;
    if (msg && msg->type != GK_JSON_NULL) {
        if (!json_is(msg, GK_JSON_OBJECT))
            return bad(d, err, "message is not an object");
        const gk_json *content = gk_json_get(msg, "content");
        const gk_json *thinking = gk_json_get(msg, "thinking");
        const gk_json *calls = gk_json_get(msg, "tool_calls");
        if (content && content->type != GK_JSON_NULL && content->type != GK_JSON_STRING)
            return bad(d, err, "message.content is not a string");
        if (thinking && thinking->type != GK_JSON_NULL && thinking->type != GK_JSON_STRING)
            return bad(d, err, "message.thinking is not a string");
        if (calls && calls->type != GK_JSON_NULL && calls->type != GK_JSON_ARRAY)
            return bad(d, err, "message.tool_calls is not an array");
        size_t ncalls = json_is(calls, GK_JSON_ARRAY) ? calls->count : 0;
        if (d->stream && d->on_chunk) {
            chunk_parts = GK_NEW(d->a, gk_part, ncalls + 2);
            if (!chunk_parts)
                return oom(err);
        }
        if (json_is(thinking, GK_JSON_STRING) && thinking->len > 0) {
            gk_buf_put(&d->thinking, thinking->str, thinking->len);
            if (chunk_parts)
                chunk_parts[n++].reasoning = thinking->str;
        }
        if (json_is(content, GK_JSON_STRING) && content->len > 0) {
            gk_buf_put(&d->text, content->str, content->len);
            if (chunk_parts)
                chunk_parts[n++].text = content->str;
        }
        if (gk_buf_failed(&d->text) || gk_buf_failed(&d->thinking))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "ollama reply over %zu bytes",
                                MAX_DOC);
        for (size_t i = 0; i < ncalls; i++) {
            gk_part *p = NULL;
            gk_status st = convert_call(d, &calls->items[i], &p, err);
            if (st != GK_OK)
                return st;
            if (chunk_parts)
                chunk_parts[n++] = *p;
        }
    }

    const gk_json *done = gk_json_get(v, "done");
    if (done && done->type != GK_JSON_NULL && done->type != GK_JSON_BOOL)
        return bad(d, err, "done is not a boolean");
    if (json_is(done, GK_JSON_BOOL) && done->boolean) {
        d->done = true;
        d->final = v;
        d->done_reason = get_str(v, "done_reason");
    }
    return emit(d, chunk_parts, n, err);
}

static gk_status process_text(gk_ollama_decoder *d, const char *s, size_t n, gk_error *err)
{
    gk_json *v = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(d->a, s, n, NULL, &v, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "ollama reply too large: %s", perr.message);
    if (st != GK_OK) {
        d->objects++;
        return bad(d, err, perr.message[0] ? perr.message : "not JSON");
    }
    return process_object(d, v, err);
}

/* ---- the decoder ---- */

static gk_status on_line(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_ollama_decoder *d = arg;
    return process_text(d, ev->data.ptr, ev->data.len, err);
}

static gk_status stick(gk_ollama_decoder *d, gk_status st, gk_error *err)
{
    if (st != GK_OK && d->sticky == GK_OK) {
        d->sticky = st;
        if (err)
            d->sticky_err = *err;
        else
            gk_error_set(&d->sticky_err, st, "", "ollama reply could not be decoded");
    }
    return st;
}

static gk_status sticky(gk_ollama_decoder *d, gk_error *err)
{
    if (err)
        *err = d->sticky_err;
    return d->sticky;
}

gk_status gk__ollama_decoder_line(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_ollama_decoder *d = arg;
    if (d->sticky != GK_OK)
        return sticky(d, err);
    return stick(d, on_line(d, ev, err), err);
}

static void release_decoder(void *arg)
{
    gk_ollama_decoder *d = arg;
    gk_lines_free(d->lines);
    d->lines = NULL;
    gk_buf_release(&d->body);
    gk_buf_release(&d->text);
    gk_buf_release(&d->thinking);
}

gk_ollama_decoder *gk_ollama_decoder_new(gk_arena *a, bool stream, gk_model_chunk_fn on_chunk,
                                         void *arg)
{
    gk_ollama_decoder *d = GK_NEW(a, gk_ollama_decoder, 1);
    if (!d)
        return NULL;
    d->a = a;
    d->stream = stream;
    d->on_chunk = on_chunk;
    d->arg = arg;
    d->body = GK_BUF_INIT(MAX_DOC);
    d->text = GK_BUF_INIT(MAX_DOC);
    d->thinking = GK_BUF_INIT(MAX_DOC);
    if (stream) {
        d->lines = gk_lines_new(GK_LINES_NDJSON, 0, on_line, d);
        if (!d->lines)
            return NULL;
    }
    if (!gk_arena_defer(a, release_decoder, d)) {
        release_decoder(d);
        return NULL;
    }
    return d;
}

gk_status gk_ollama_decoder_feed(gk_ollama_decoder *d, const void *data, size_t len, gk_error *err)
{
    if (d->sticky != GK_OK)
        return sticky(d, err);
    gk_error local = {0};
    gk_error *e = err ? err : &local;
    if (d->stream)
        return stick(d, gk_lines_feed(d->lines, data, len, e), e);
    gk_buf_put(&d->body, data, len);
    if (gk_buf_failed(&d->body))
        return stick(
            d, gk_error_set(e, GK_RESOURCE_EXHAUSTED, "", "ollama reply over %zu bytes", MAX_DOC),
            e);
    return GK_OK;
}

static gk_finish_reason map_finish(const char *r)
{
    if (!r)
        return GK_FINISH_UNKNOWN;
    if (strcmp(r, "stop") == 0)
        return GK_FINISH_STOP;
    if (strcmp(r, "length") == 0)
        return GK_FINISH_LENGTH;
    return GK_FINISH_OTHER; /* load, unload, and reasons newer than this plugin */
}

static bool count_of(const gk_json *obj, const char *key, double *out)
{
    const gk_json *v = gk_json_get(obj, key);
    if (!json_is(v, GK_JSON_NUMBER))
        return false;
    *out = v->number;
    return true;
}

static bool custom_str(gk_arena *a, gk_json *c, const char *key, const char *s)
{
    if (!s)
        return true;
    gk_json *v = gk_json_new_string(a, s, strlen(s));
    return v && gk_json_object_set(a, c, key, v);
}

static const char *arena_copy(gk_arena *a, const gk_buf *b)
{
    return gk_arena_strndup(a, b->ptr ? b->ptr : "", b->len);
}

static gk_status build_response(gk_ollama_decoder *d, gk_generate_response *resp, gk_error *err)
{
    size_t n = d->ncalls + (d->thinking.len > 0) + (d->text.len > 0);
    gk_part *parts = GK_NEW(d->a, gk_part, n ? n : 1);
    if (!parts)
        return oom(err);
    size_t k = 0;
    if (d->thinking.len > 0) {
        parts[k].reasoning = arena_copy(d->a, &d->thinking);
        if (!parts[k++].reasoning)
            return oom(err);
    }
    if (d->text.len > 0) {
        parts[k].text = arena_copy(d->a, &d->text);
        if (!parts[k++].text)
            return oom(err);
    }
    for (size_t i = 0; i < d->ncalls; i++)
        parts[k++] = d->calls[i];
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = parts;
    resp->message.content.count = k;

    resp->finish_reason = map_finish(d->done_reason);
    if (resp->finish_reason == GK_FINISH_OTHER) {
        resp->finish_message = gk_arena_sprintf(d->a, "ollama done_reason \"%s\"", d->done_reason);
        if (!resp->finish_message)
            return oom(err);
    }

    gk_generation_usage *u = &resp->usage;
    const gk_json *f = d->final;
    u->has_input_tokens = count_of(f, "prompt_eval_count", &u->input_tokens);
    u->has_output_tokens = count_of(f, "eval_count", &u->output_tokens);
    if (u->has_input_tokens || u->has_output_tokens) {
        resp->has_usage = true;
        u->has_total_tokens = true;
        u->total_tokens = (u->has_input_tokens ? u->input_tokens : 0) +
                          (u->has_output_tokens ? u->output_tokens : 0);
    }

    gk_json *c = gk_json_new_object(d->a);
    if (!c || !custom_str(d->a, c, "model", d->model) ||
        !custom_str(d->a, c, "created_at", d->created_at))
        return oom(err);
    static const char *const durations[] = {"total_duration", "load_duration",
                                            "prompt_eval_duration", "eval_duration", NULL};
    for (size_t i = 0; durations[i]; i++) {
        const gk_json *v = gk_json_get(f, durations[i]);
        if (json_is(v, GK_JSON_NUMBER) && !gk_json_object_set(d->a, c, durations[i], v))
            return oom(err);
    }
    if (c->count > 0)
        resp->custom = c;
    return GK_OK;
}

gk_status gk_ollama_decoder_finish(gk_ollama_decoder *d, gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    if (d->sticky != GK_OK)
        return sticky(d, err);
    gk_error local = {0};
    gk_error *e = err ? err : &local;
    gk_status st;
    if (d->stream) {
        st = gk_lines_finish(d->lines, e);
        if (st != GK_OK)
            return stick(d, st, e);
        if (d->objects == 0)
            return stick(d, gk_error_set(e, GK_UNAVAILABLE, "", "ollama stream was empty"), e);
        if (!d->done)
            return stick(d,
                         gk_error_set(e, GK_UNAVAILABLE, "",
                                      "ollama stream ended before its final (done) line"),
                         e);
    } else {
        if (d->body.len == 0)
            return stick(d, gk_error_set(e, GK_INTERNAL, "", "empty response from ollama"), e);
        st = process_text(d, d->body.ptr, d->body.len, e);
        if (st != GK_OK)
            return stick(d, st, e);
    }
    st = build_response(d, resp, e);
    if (st != GK_OK)
        memset(resp, 0, sizeof(*resp));
    return stick(d, st, e);
}

/* ---- embeddings ---- */

gk_status gk_ollama_parse_embeddings(gk_arena *a, const char *body, size_t len, size_t n,
                                     gk_embed_response *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    gk_json *root = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(a, body, len, NULL, &root, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "ollama embed reply too large: %s", perr.message);
    if (st != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "invalid JSON from ollama /api/embed: %s",
                            perr.message);
    const gk_json *list = gk_json_get(root, "embeddings");
    if (!json_is(list, GK_JSON_ARRAY))
        return gk_error_set(err, GK_INTERNAL, "",
                            "invalid response from ollama /api/embed: no \"embeddings\" array");
    if (list->count != n)
        return gk_error_set(err, GK_INTERNAL, "",
                            "ollama /api/embed returned %zu embeddings for %zu inputs", list->count,
                            n);
    gk_embedding *e = GK_NEW(a, gk_embedding, n ? n : 1);
    if (!e)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        const gk_json *vec = &list->items[i];
        if (vec->type != GK_JSON_ARRAY)
            return gk_error_set(err, GK_INTERNAL, "",
                                "invalid response from ollama /api/embed: embedding %zu is %s", i,
                                gk_json_type_name(vec));
        double *v = GK_NEW(a, double, vec->count ? vec->count : 1);
        if (!v)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        for (size_t k = 0; k < vec->count; k++) {
            if (vec->items[k].type != GK_JSON_NUMBER)
                return gk_error_set(err, GK_INTERNAL, "",
                                    "invalid response from ollama /api/embed: embedding %zu "
                                    "value %zu is %s",
                                    i, k, gk_json_type_name(&vec->items[k]));
            v[k] = vec->items[k].number;
        }
        e[i].embedding.items = v;
        e[i].embedding.count = vec->count;
    }
    out->embeddings.items = e;
    out->embeddings.count = n;
    return GK_OK;
}
