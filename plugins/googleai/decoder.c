/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/googleai/decoder.c - Gemini GenerateContentResponse -> GenerateResponse (and chunks):
 * one body, an SSE stream (alt=sse) or the JSON-array stream sent without alt=sse, fed in pieces
 * split anywhere; assembles opt-in streamed function-call arguments (partialArgs); maps
 * google.rpc.Status errors. Provider JSON is untrusted: every member's type is checked, and
 * unknown members and part kinds are tolerated (kept as custom parts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "googleai_internal.h"

/* Largest whole body or array element kept (the JSON reader's own default limit). */
#define MAX_DOC ((size_t)16 << 20)
/* Most argument values of one streamed function call. */
#define MAX_PARTIAL_ARGS 256

enum mode { MODE_UNKNOWN, MODE_LINES, MODE_ARRAY };

/* One value of a function call whose arguments are being streamed ($.path -> value). */
struct partial_arg {
    const char *path; /* the JSON path without "$." */
    gk_json_type type;
    char *s; /* STRING: the pieces so far (arena, grown), NUL-terminated */
    size_t len, cap;
    const gk_json *value; /* NUMBER / BOOL / NULL: the value */
};

/* A function call whose arguments arrive in pieces. Invariant: nargs <= MAX_PARTIAL_ARGS. */
struct partial_call {
    bool open;
    const char *name;
    const char *id;
    const char *signature;
    struct partial_arg *args;
    size_t nargs;
};

/*
 * Invariants: parts[0..nparts) is the aggregated reply; when text_cap > 0 the last part is a text
 * or reasoning part whose string is an arena buffer of text_cap bytes that may grow in place;
 * once sticky != GK_OK every call returns it with sticky_err.
 */
struct gk_googleai_decoder {
    gk_arena *a;
    bool stream;
    gk_model_chunk_fn on_chunk;
    void *arg;
    gk_lines *lines;
    gk_buf body; /* whole-body mode: the bytes; array mode: the element being read */
    enum mode mode;
    unsigned depth; /* array mode: nesting, 1 inside the top-level array */
    bool in_str, esc, array_done;
    size_t events;
    gk_status sticky;
    gk_error sticky_err;

    gk_part *parts;
    size_t nparts, cap_parts;
    size_t text_len, text_cap;
    size_t tool_index;
    struct partial_call pc;

    const gk_json *usage;
    const char *finish_reason;
    const char *finish_message;
    const char *block_reason;
    const char *model_version;
    const char *response_id;
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
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory decoding the gemini reply");
}

static gk_status bad(gk_error *err, const char *what)
{
    return gk_error_set(err, GK_INTERNAL, "", "invalid response from gemini: %s", what);
}

/* ---- errors (google.rpc.Status) ---- */

/* "37s", "34.4s", "0.5s" -> milliseconds; 0 if unparsable. */
static int parse_duration_ms(const char *s)
{
    double secs = 0;
    double scale = 0;
    bool digits = false;
    for (; *s && *s != 's'; s++) {
        if (*s >= '0' && *s <= '9') {
            digits = true;
            if (scale == 0) {
                secs = secs * 10 + (*s - '0');
            } else {
                secs += (*s - '0') * scale;
                scale /= 10;
            }
            if (secs > 86400.0 * 365)
                return 0;
        } else if (*s == '.' && scale == 0) {
            scale = 0.1;
        } else {
            return 0;
        }
    }
    if (!digits || *s != 's' || s[1])
        return 0;
    return (int)(secs * 1000 + 0.5);
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* Fill err from an {"error": {...}} object (or a bare Status object). */
static gk_status error_from_json(int http_status, const gk_json *root, int header_ms, gk_error *err)
{
    const gk_json *e = gk_json_get(root, "error");
    if (!json_is(e, GK_JSON_OBJECT))
        e = root;
    const char *name = get_str(e, "status");
    const char *message = get_str(e, "message");
    const gk_json *code = gk_json_get(e, "code");
    gk_status st = GK_UNKNOWN;
    bool named = name && gk_status_from_name(name, strlen(name), &st) && st != GK_OK;
    if (!named) {
        int http = http_status;
        if ((http < 400 || http > 599) && json_is(code, GK_JSON_NUMBER) && code->is_int &&
            code->integer >= 400 && code->integer <= 599)
            http = (int)code->integer;
        st = gk_status_from_http(http);
        if (st == GK_OK)
            st = GK_UNKNOWN;
    }
    int retry_ms = header_ms > 0 ? header_ms : 0;
    const gk_json *details = gk_json_get(e, "details");
    for (size_t i = 0; json_is(details, GK_JSON_ARRAY) && i < details->count; i++) {
        const gk_json *d = &details->items[i];
        const char *type = get_str(d, "@type");
        if (!type)
            continue;
        if (strstr(type, "google.rpc.ErrorInfo")) {
            const char *reason = get_str(d, "reason");
            /* Gemini answers a bad key with 400 INVALID_ARGUMENT; the reason says what it is. */
            if (reason && strcmp(reason, "API_KEY_INVALID") == 0)
                st = GK_UNAUTHENTICATED;
        } else if (strstr(type, "google.rpc.RetryInfo")) {
            const char *delay = get_str(d, "retryDelay");
            int ms = delay ? parse_duration_ms(delay) : 0;
            if (ms > 0)
                retry_ms = ms;
        }
    }
    char where[48];
    if (http_status >= 200 && http_status < 300)
        snprintf(where, sizeof(where), "in stream");
    else
        snprintf(where, sizeof(where), "HTTP %d", http_status);
    if (message && message[0])
        gk_error_set(err, st, "", "gemini error (%s, %s): %s", where,
                     name ? name : gk_status_name(st), message);
    else
        gk_error_set(err, st, "", "gemini error (%s, %s)", where, name ? name : gk_status_name(st));
    if (err) {
        trim_end(err->message);
        err->retry_after_ms = retry_ms;
    }
    return st;
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

gk_status gk_googleai_error_from_body(int http_status, const char *body, size_t len,
                                      int retry_after_header_ms, const char *secret, gk_error *err)
{
    gk_status st;
    gk_arena *a = gk_arena_new(0);
    gk_json *root = NULL;
    gk_error perr = {0};
    if (a && body && len > 0 && gk_json_parse(a, body, len, NULL, &root, &perr) == GK_OK) {
        if (root->type == GK_JSON_ARRAY && root->count > 0)
            root = &root->items[0]; /* the JSON-array stream form wraps the error too */
        st = error_from_json(http_status, root, retry_after_header_ms, err);
    } else {
        st = gk_status_from_http(http_status);
        if (st == GK_OK)
            st = GK_UNKNOWN;
        /* The body is not a Status: say so without quoting it (it could be anything). */
        gk_error_set(err, st, "", "gemini error (HTTP %d, %s) with a body that is not JSON",
                     http_status, gk_status_name(st));
        if (err)
            err->retry_after_ms = retry_after_header_ms > 0 ? retry_after_header_ms : 0;
    }
    gk_arena_free(a);
    if (err)
        mask(err->message, secret);
    return st;
}

/* ---- aggregation ---- */

static gk_part *add_part(gk_googleai_decoder *d)
{
    if (d->nparts == d->cap_parts) {
        size_t cap = d->cap_parts ? d->cap_parts * 2 : 8;
        size_t bytes;
        if (!gk_size_mul(cap, sizeof(gk_part), &bytes))
            return NULL;
        gk_part *p = gk_arena_realloc(d->a, d->parts, d->cap_parts * sizeof(gk_part), bytes);
        if (!p)
            return NULL;
        d->parts = p;
        d->cap_parts = cap;
    }
    gk_part *p = &d->parts[d->nparts++];
    memset(p, 0, sizeof(*p));
    d->text_cap = 0;
    return p;
}

static gk_json *signature_meta(gk_arena *a, const char *sig)
{
    gk_json *m = gk_json_new_object(a);
    gk_json *s = gk_json_new_string(a, sig, strlen(sig));
    if (!m || !s || !gk_json_object_set(a, m, "thoughtSignature", s))
        return NULL;
    return m;
}

/* Append text (or reasoning) to the reply, merging with the previous piece of the same kind. */
static gk_status agg_text(gk_googleai_decoder *d, const char *s, size_t n, bool thought,
                          const gk_json *meta, gk_error *err)
{
    gk_part *last = d->nparts ? &d->parts[d->nparts - 1] : NULL;
    bool same = last && d->text_cap > 0 && (thought ? last->reasoning != NULL : last->text != NULL);
    if (!same) {
        if (n == 0 && !meta)
            return GK_OK;
        last = add_part(d);
        if (!last)
            return oom(err);
        size_t cap = n < 64 ? 64 : n + 1;
        char *buf = gk_arena_alloc(d->a, cap);
        if (!buf)
            return oom(err);
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (thought)
            last->reasoning = buf;
        else
            last->text = buf;
        d->text_len = n;
        d->text_cap = cap;
    } else if (n > 0) {
        char *buf = (char *)(thought ? last->reasoning : last->text);
        size_t need;
        if (!gk_size_add(d->text_len, n + 1, &need))
            return oom(err);
        if (need > d->text_cap) {
            size_t cap = d->text_cap * 2 > need ? d->text_cap * 2 : need;
            buf = gk_arena_realloc(d->a, buf, d->text_cap, cap);
            if (!buf)
                return oom(err);
            d->text_cap = cap;
        }
        memcpy(buf + d->text_len, s, n);
        d->text_len += n;
        buf[d->text_len] = '\0';
        if (thought)
            last->reasoning = buf;
        else
            last->text = buf;
    }
    if (meta)
        last->metadata = meta;
    return GK_OK;
}

static gk_status agg_part(gk_googleai_decoder *d, const gk_part *p, gk_error *err)
{
    gk_part *slot = add_part(d);
    if (!slot)
        return oom(err);
    *slot = *p;
    return GK_OK;
}

/* ---- parts ---- */

static gk_status make_tool_request(gk_googleai_decoder *d, const char *name, const char *id,
                                   const gk_json *args, const char *sig, gk_part *out,
                                   gk_error *err)
{
    memset(out, 0, sizeof(*out));
    out->has_tool_request = true;
    out->tool_request.name = name;
    if (!args) {
        args = gk_json_new_object(d->a);
        if (!args)
            return oom(err);
    }
    out->tool_request.input = args;
    if (id) {
        out->tool_request.ref = id;
    } else {
        /* Gemini 2.x sends no call ids: number the calls so that the answers can be matched
         * (several calls of one tool in a turn are otherwise indistinguishable). */
        out->tool_request.ref = gk_arena_sprintf(d->a, "%zu", d->tool_index);
        if (!out->tool_request.ref)
            return oom(err);
    }
    d->tool_index++;
    if (sig) {
        out->metadata = signature_meta(d->a, sig);
        if (!out->metadata)
            return oom(err);
    }
    return GK_OK;
}

/* Set the value at dotted path p ("a.b") in obj, creating objects on the way. */
static bool set_path(gk_arena *a, gk_json *obj, const char *p, const gk_json *v, unsigned depth)
{
    const char *dot = strchr(p, '.');
    if (!dot)
        return gk_json_object_set(a, obj, p, v);
    if (depth > 32 || dot == p)
        return false;
    char *key = gk_arena_strndup(a, p, (size_t)(dot - p));
    if (!key)
        return false;
    const gk_json *cur = gk_json_get(obj, key);
    if (!json_is(cur, GK_JSON_OBJECT)) {
        gk_json *fresh = gk_json_new_object(a);
        if (!fresh || !gk_json_object_set(a, obj, key, fresh))
            return false;
        cur = gk_json_get(obj, key);
    }
    /* cur points into obj's items; it is mutated in place (no copy to go stale). */
    return set_path(a, (gk_json *)cur, dot + 1, v, depth + 1);
}

static gk_status partial_add(gk_googleai_decoder *d, const gk_json *pa, gk_error *err)
{
    for (size_t i = 0; i < pa->count; i++) {
        const gk_json *arg = &pa->items[i];
        const char *path = get_str(arg, "jsonPath");
        if (!path || strncmp(path, "$.", 2) != 0 || !path[2] || strchr(path, '['))
            return bad(err, "partialArgs jsonPath must look like \"$.name\" or \"$.a.b\"");
        path += 2;
        const gk_json *sv = gk_json_get(arg, "stringValue");
        struct partial_call *pc = &d->pc;
        struct partial_arg *last = pc->nargs ? &pc->args[pc->nargs - 1] : NULL;
        if (json_is(sv, GK_JSON_STRING) && last && last->type == GK_JSON_STRING &&
            strcmp(last->path, path) == 0) {
            size_t need;
            if (!gk_size_add(last->len, sv->len + 1, &need))
                return oom(err);
            if (need > last->cap) {
                size_t cap = need * 2;
                char *s = gk_arena_realloc(d->a, last->s, last->cap, cap);
                if (!s)
                    return oom(err);
                last->s = s;
                last->cap = cap;
            }
            memcpy(last->s + last->len, sv->str, sv->len);
            last->len += sv->len;
            last->s[last->len] = '\0';
            continue;
        }
        if (pc->nargs == MAX_PARTIAL_ARGS)
            return bad(err, "too many streamed function-call arguments");
        if (!pc->args) {
            pc->args = GK_NEW(d->a, struct partial_arg, MAX_PARTIAL_ARGS);
            if (!pc->args)
                return oom(err);
        }
        struct partial_arg *na = &pc->args[pc->nargs];
        memset(na, 0, sizeof(*na));
        na->path = path;
        if (json_is(sv, GK_JSON_STRING)) {
            na->type = GK_JSON_STRING;
            na->cap = sv->len + 16;
            na->s = gk_arena_alloc(d->a, na->cap);
            if (!na->s)
                return oom(err);
            memcpy(na->s, sv->str, sv->len);
            na->len = sv->len;
        } else if (json_is(gk_json_get(arg, "numberValue"), GK_JSON_NUMBER)) {
            na->type = GK_JSON_NUMBER;
            na->value = gk_json_get(arg, "numberValue");
        } else if (json_is(gk_json_get(arg, "boolValue"), GK_JSON_BOOL)) {
            na->type = GK_JSON_BOOL;
            na->value = gk_json_get(arg, "boolValue");
        } else if (gk_json_get(arg, "nullValue")) {
            na->type = GK_JSON_NULL;
        } else {
            return bad(err, "partialArgs entry has no value");
        }
        pc->nargs++;
    }
    return GK_OK;
}

/* The streamed call is complete: build its arguments object and add the tool request. */
static gk_status partial_close(gk_googleai_decoder *d, gk_part *out, gk_error *err)
{
    struct partial_call *pc = &d->pc;
    gk_json *args = gk_json_new_object(d->a);
    if (!args)
        return oom(err);
    for (size_t i = 0; i < pc->nargs; i++) {
        struct partial_arg *pa = &pc->args[i];
        gk_json *v;
        if (pa->type == GK_JSON_STRING)
            v = gk_json_new_string(d->a, pa->s, pa->len);
        else if (pa->type == GK_JSON_NULL)
            v = gk_json_new_null(d->a);
        else
            v = (gk_json *)pa->value; /* set_path copies it shallowly */
        if (!v || !set_path(d->a, args, pa->path, v, 0))
            return oom(err);
    }
    gk_status st = make_tool_request(d, pc->name, pc->id, args, pc->signature, out, err);
    memset(pc, 0, sizeof(*pc));
    return st;
}

/*
 * Convert one Gemini part. *emit says whether *out is a part to stream and aggregate (false for
 * pieces of a streamed function call and for empty text); text is aggregated here.
 */
static gk_status convert_part(gk_googleai_decoder *d, const gk_json *p, gk_part *out, bool *emit,
                              gk_error *err)
{
    *emit = false;
    memset(out, 0, sizeof(*out));
    if (!json_is(p, GK_JSON_OBJECT))
        return bad(err, "a content part is not an object");
    const char *sig = get_str(p, "thoughtSignature");
    const gk_json *fc = gk_json_get(p, "functionCall");
    const gk_json *text = gk_json_get(p, "text");
    if (fc) {
        if (!json_is(fc, GK_JSON_OBJECT))
            return bad(err, "functionCall is not an object");
        const char *name = get_str(fc, "name");
        const char *id = get_str(fc, "id");
        const gk_json *args = gk_json_get(fc, "args");
        const gk_json *pa = gk_json_get(fc, "partialArgs");
        const gk_json *wc = gk_json_get(fc, "willContinue");
        bool will_continue = json_is(wc, GK_JSON_BOOL) && wc->boolean;
        if (args && args->type != GK_JSON_OBJECT && args->type != GK_JSON_NULL)
            return bad(err, "functionCall.args is not an object");
        if (pa && !json_is(pa, GK_JSON_ARRAY))
            return bad(err, "functionCall.partialArgs is not an array");
        if (args && args->type == GK_JSON_NULL)
            args = NULL;
        if (name && d->pc.open)
            return bad(err, "a function call started before the streamed one ended");
        if (!d->pc.open && name && !will_continue && !pa) {
            gk_status st = make_tool_request(d, name, id, args, sig, out, err);
            if (st != GK_OK)
                return st;
            *emit = true;
            return agg_part(d, out, err);
        }
        if (!d->pc.open) {
            if (!name) {
                if (pa || will_continue)
                    return bad(err, "streamed function-call arguments without a call name");
                return GK_OK; /* an empty functionCall outside a call carries nothing */
            }
            d->pc.open = true;
            d->pc.name = name;
            d->pc.id = id;
            d->pc.signature = sig;
        }
        if (pa) {
            gk_status st = partial_add(d, pa, err);
            if (st != GK_OK)
                return st;
        }
        if (will_continue)
            return GK_OK;
        gk_status st = partial_close(d, out, err);
        if (st != GK_OK)
            return st;
        *emit = true;
        return agg_part(d, out, err);
    }
    if (text) {
        if (!json_is(text, GK_JSON_STRING))
            return bad(err, "text is not a string");
        const gk_json *thought = gk_json_get(p, "thought");
        bool is_thought = json_is(thought, GK_JSON_BOOL) && thought->boolean;
        const gk_json *meta = NULL;
        if (sig) {
            meta = signature_meta(d->a, sig);
            if (!meta)
                return oom(err);
        }
        gk_status st = agg_text(d, text->str, text->len, is_thought, meta, err);
        if (st != GK_OK || text->len == 0)
            return st;
        if (is_thought)
            out->reasoning = text->str;
        else
            out->text = text->str;
        out->metadata = meta;
        *emit = true;
        return GK_OK; /* already aggregated (merged with the previous piece) */
    }
    const gk_json *inl = gk_json_get(p, "inlineData");
    const gk_json *file = gk_json_get(p, "fileData");
    if (json_is(inl, GK_JSON_OBJECT)) {
        const char *mime = get_str(inl, "mimeType");
        const char *data = get_str(inl, "data");
        if (!mime || !data)
            return bad(err, "inlineData needs mimeType and data strings");
        out->has_media = true;
        out->media.content_type = mime;
        out->media.url = gk_arena_sprintf(d->a, "data:%s;base64,%s", mime, data);
        if (!out->media.url)
            return oom(err);
    } else if (json_is(file, GK_JSON_OBJECT)) {
        const char *uri = get_str(file, "fileUri");
        if (!uri)
            return bad(err, "fileData needs a fileUri string");
        out->has_media = true;
        out->media.url = uri;
        out->media.content_type = get_str(file, "mimeType");
    } else {
        /* executableCode, codeExecutionResult, and kinds newer than this plugin: kept whole. */
        out->custom = p;
        *emit = true;
        return agg_part(d, out, err);
    }
    if (sig) {
        out->metadata = signature_meta(d->a, sig);
        if (!out->metadata)
            return oom(err);
    }
    *emit = true;
    return agg_part(d, out, err);
}

/* One GenerateContentResponse: fold it into the reply, stream its parts. */
static gk_status process_response(gk_googleai_decoder *d, const gk_json *v, gk_error *err)
{
    if (!json_is(v, GK_JSON_OBJECT))
        return bad(err, "a response is not a JSON object");
    d->events++;
    if (gk_json_get(v, "error"))
        return error_from_json(200, v, 0, err);
    const gk_json *usage = gk_json_get(v, "usageMetadata");
    if (json_is(usage, GK_JSON_OBJECT))
        d->usage = usage;
    const gk_json *pf = gk_json_get(v, "promptFeedback");
    if (get_str(pf, "blockReason"))
        d->block_reason = get_str(pf, "blockReason");
    if (get_str(v, "modelVersion"))
        d->model_version = get_str(v, "modelVersion");
    if (get_str(v, "responseId"))
        d->response_id = get_str(v, "responseId");
    const gk_json *cands = gk_json_get(v, "candidates");
    if (!cands || cands->type == GK_JSON_NULL)
        return GK_OK;
    if (!json_is(cands, GK_JSON_ARRAY))
        return bad(err, "candidates is not an array");
    if (cands->count == 0)
        return GK_OK;
    const gk_json *c = &cands->items[0];
    if (!json_is(c, GK_JSON_OBJECT))
        return bad(err, "a candidate is not an object");
    if (get_str(c, "finishReason"))
        d->finish_reason = get_str(c, "finishReason");
    if (get_str(c, "finishMessage"))
        d->finish_message = get_str(c, "finishMessage");
    const gk_json *content = gk_json_get(c, "content");
    if (!content || content->type == GK_JSON_NULL)
        return GK_OK;
    if (!json_is(content, GK_JSON_OBJECT))
        return bad(err, "candidate content is not an object");
    const gk_json *parts = gk_json_get(content, "parts");
    if (!parts || parts->type == GK_JSON_NULL)
        return GK_OK; /* content {} (safety) or without parts (thinking spent the budget) */
    if (!json_is(parts, GK_JSON_ARRAY))
        return bad(err, "content parts is not an array");
    gk_part *chunk_parts = NULL;
    size_t n = 0;
    if (d->stream && d->on_chunk && parts->count) {
        chunk_parts = GK_NEW(d->a, gk_part, parts->count);
        if (!chunk_parts)
            return oom(err);
    }
    for (size_t i = 0; i < parts->count; i++) {
        gk_part part;
        bool emit;
        gk_status st = convert_part(d, &parts->items[i], &part, &emit, err);
        if (st != GK_OK)
            return st;
        if (emit && chunk_parts)
            chunk_parts[n++] = part;
    }
    if (n > 0) {
        gk_generate_response_chunk chunk = {
            .role = GK_ROLE_MODEL,
            .has_role = true,
            .index = 0,
            .has_index = true,
        };
        chunk.content.items = chunk_parts;
        chunk.content.count = n;
        gk_status st = d->on_chunk(&chunk, d->arg);
        if (st != GK_OK)
            return gk_error_set(err, st, "", "the stream's receiver stopped it (%s)",
                                gk_status_name(st));
    }
    return GK_OK;
}

static gk_status process_text(gk_googleai_decoder *d, const char *s, size_t n, gk_error *err)
{
    gk_json *v = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(d->a, s, n, NULL, &v, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "gemini reply too large: %s", perr.message);
    if (st != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "invalid JSON from gemini (response %zu): %s",
                            d->events + 1, perr.message);
    if (v->type == GK_JSON_ARRAY) {
        /* A whole streamGenerateContent body without alt=sse. */
        for (size_t i = 0; i < v->count; i++) {
            st = process_response(d, &v->items[i], err);
            if (st != GK_OK)
                return st;
        }
        return GK_OK;
    }
    return process_response(d, v, err);
}

/* ---- stream framing ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* JSON-array framing: cut "[{...}\n,\n{...}]" into its elements as bytes arrive. */
static gk_status array_bytes(gk_googleai_decoder *d, const char *s, size_t n, gk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (d->array_done) {
            if (!is_ws(c))
                return bad(err, "bytes after the end of the streamed JSON array");
            continue;
        }
        if (d->depth == 0) {
            if (c == '[')
                d->depth = 1;
            else if (!is_ws(c))
                return bad(err, "stream is neither SSE nor a JSON array");
            continue;
        }
        if (d->depth == 1) {
            if (c == ']') {
                d->array_done = true;
            } else if (c == '{') {
                d->depth = 2;
                gk_buf_reset(&d->body);
                gk_buf_putc(&d->body, c);
            } else if (!is_ws(c) && c != ',') {
                return bad(err, "streamed JSON array holds something other than objects");
            }
            continue;
        }
        gk_buf_putc(&d->body, c);
        if (d->in_str) {
            if (d->esc)
                d->esc = false;
            else if (c == '\\')
                d->esc = true;
            else if (c == '"')
                d->in_str = false;
            continue;
        }
        if (c == '"') {
            d->in_str = true;
        } else if (c == '{' || c == '[') {
            if (d->depth > 200)
                return bad(err, "streamed JSON nested too deeply");
            d->depth++;
        } else if (c == '}' || c == ']') {
            d->depth--;
            if (d->depth == 1) {
                if (gk_buf_failed(&d->body))
                    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                                        "gemini stream element over %zu bytes", MAX_DOC);
                gk_status st = process_text(d, d->body.ptr, d->body.len, err);
                if (st != GK_OK)
                    return st;
                gk_buf_reset(&d->body);
            }
        }
    }
    if (gk_buf_failed(&d->body))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "gemini stream element over %zu bytes",
                            MAX_DOC);
    return GK_OK;
}

/*
 * One line of a stream. The framing is chosen by the first line: "[" starts the JSON-array form,
 * anything else is SSE (data: lines; comments and other fields ignored; a bare JSON object line
 * is taken as an event too). Gemini puts each event's JSON on one data line.
 */
static gk_status on_line(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_googleai_decoder *d = arg;
    const char *s = ev->data.ptr;
    size_t n = ev->data.len;
    if (d->mode == MODE_UNKNOWN) {
        size_t i = 0;
        while (i < n && is_ws(s[i]))
            i++;
        d->mode = (i < n && s[i] == '[') ? MODE_ARRAY : MODE_LINES;
    }
    if (d->mode == MODE_ARRAY) {
        gk_status st = array_bytes(d, s, n, err);
        return st != GK_OK ? st : array_bytes(d, "\n", 1, err);
    }
    if (n >= 5 && memcmp(s, "data:", 5) == 0) {
        s += 5;
        n -= 5;
        if (n && *s == ' ') {
            s++;
            n--;
        }
        if (n == 0)
            return GK_OK;
        return process_text(d, s, n, err);
    }
    if (n && s[0] == '{')
        return process_text(d, s, n, err);
    return GK_OK; /* ":" comments, event:, id:, retry: and unknown fields */
}

/* ---- the decoder ---- */

static gk_status stick(gk_googleai_decoder *d, gk_status st, gk_error *err);
static gk_status sticky(gk_googleai_decoder *d, gk_error *err);

gk_status gk__googleai_decoder_line(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_googleai_decoder *d = arg;
    if (d->sticky != GK_OK)
        return sticky(d, err);
    return stick(d, on_line(d, ev, err), err);
}

static void release_decoder(void *arg)
{
    gk_googleai_decoder *d = arg;
    gk_lines_free(d->lines);
    d->lines = NULL;
    gk_buf_release(&d->body);
}

gk_googleai_decoder *gk_googleai_decoder_new(gk_arena *a, bool stream, gk_model_chunk_fn on_chunk,
                                             void *arg)
{
    gk_googleai_decoder *d = GK_NEW(a, gk_googleai_decoder, 1);
    if (!d)
        return NULL;
    d->a = a;
    d->stream = stream;
    d->on_chunk = on_chunk;
    d->arg = arg;
    d->body = GK_BUF_INIT(MAX_DOC);
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

static gk_status stick(gk_googleai_decoder *d, gk_status st, gk_error *err)
{
    if (st != GK_OK && d->sticky == GK_OK) {
        d->sticky = st;
        if (err)
            d->sticky_err = *err;
        else
            gk_error_set(&d->sticky_err, st, "", "gemini reply could not be decoded");
    }
    return st;
}

static gk_status sticky(gk_googleai_decoder *d, gk_error *err)
{
    if (err)
        *err = d->sticky_err;
    return d->sticky;
}

gk_status gk_googleai_decoder_feed(gk_googleai_decoder *d, const void *data, size_t len,
                                   gk_error *err)
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
            d, gk_error_set(e, GK_RESOURCE_EXHAUSTED, "", "gemini reply over %zu bytes", MAX_DOC),
            e);
    return GK_OK;
}

/* Gemini's finishReason -> Genkit's. */
static gk_finish_reason map_finish(const char *r)
{
    static const char *const blocked[] = {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_RECITATION",
        NULL,
    };
    if (!r || strcmp(r, "FINISH_REASON_UNSPECIFIED") == 0)
        return GK_FINISH_UNKNOWN;
    if (strcmp(r, "STOP") == 0)
        return GK_FINISH_STOP;
    if (strcmp(r, "MAX_TOKENS") == 0)
        return GK_FINISH_LENGTH;
    for (size_t i = 0; blocked[i]; i++) {
        if (strcmp(r, blocked[i]) == 0)
            return GK_FINISH_BLOCKED;
    }
    return GK_FINISH_OTHER; /* MALFORMED_FUNCTION_CALL, LANGUAGE, OTHER, newer reasons */
}

static bool usage_num(const gk_json *u, const char *key, double *out)
{
    const gk_json *v = gk_json_get(u, key);
    if (!json_is(v, GK_JSON_NUMBER))
        return false;
    *out = v->number;
    return true;
}

static gk_status build_response(gk_googleai_decoder *d, gk_generate_response *resp, gk_error *err)
{
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = d->parts;
    resp->message.content.count = d->nparts;
    if (d->finish_reason) {
        resp->finish_reason = map_finish(d->finish_reason);
        resp->finish_message = d->finish_message;
        if (resp->finish_reason == GK_FINISH_BLOCKED && !resp->finish_message) {
            resp->finish_message = gk_arena_sprintf(d->a, "response blocked: %s", d->finish_reason);
            if (!resp->finish_message)
                return oom(err);
        }
    } else if (d->block_reason) {
        resp->finish_reason = GK_FINISH_BLOCKED;
        resp->finish_message = gk_arena_sprintf(d->a, "prompt blocked: %s", d->block_reason);
        if (!resp->finish_message)
            return oom(err);
    } else {
        resp->finish_reason = GK_FINISH_UNKNOWN;
        resp->finish_message = d->finish_message;
    }
    if (d->usage) {
        gk_generation_usage *u = &resp->usage;
        resp->has_usage = true;
        u->has_input_tokens = usage_num(d->usage, "promptTokenCount", &u->input_tokens);
        u->has_output_tokens = usage_num(d->usage, "candidatesTokenCount", &u->output_tokens);
        u->has_total_tokens = usage_num(d->usage, "totalTokenCount", &u->total_tokens);
        u->has_thoughts_tokens = usage_num(d->usage, "thoughtsTokenCount", &u->thoughts_tokens);
        u->has_cached_content_tokens =
            usage_num(d->usage, "cachedContentTokenCount", &u->cached_content_tokens);
        double tool_use;
        if (usage_num(d->usage, "toolUsePromptTokenCount", &tool_use)) {
            gk_json *c = gk_json_new_object(d->a);
            gk_json *n = gk_json_new_double(d->a, tool_use);
            if (!c || !n || !gk_json_object_set(d->a, c, "toolUsePromptTokens", n))
                return oom(err);
            u->custom = c;
        }
    }
    if (d->model_version || d->response_id) {
        gk_json *c = gk_json_new_object(d->a);
        if (!c)
            return oom(err);
        if (d->model_version) {
            gk_json *s = gk_json_new_string(d->a, d->model_version, strlen(d->model_version));
            if (!s || !gk_json_object_set(d->a, c, "modelVersion", s))
                return oom(err);
        }
        if (d->response_id) {
            gk_json *s = gk_json_new_string(d->a, d->response_id, strlen(d->response_id));
            if (!s || !gk_json_object_set(d->a, c, "responseId", s))
                return oom(err);
        }
        resp->custom = c;
    }
    return GK_OK;
}

gk_status gk_googleai_decoder_finish(gk_googleai_decoder *d, gk_generate_response *resp,
                                     gk_error *err)
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
        if (d->mode == MODE_ARRAY && !d->array_done)
            return stick(
                d, gk_error_set(e, GK_UNAVAILABLE, "", "gemini stream ended inside its JSON array"),
                e);
    } else {
        st = process_text(d, d->body.ptr ? d->body.ptr : "", d->body.len, e);
        if (st != GK_OK)
            return stick(d, st, e);
    }
    if (d->pc.open)
        return stick(d,
                     gk_error_set(e, GK_UNAVAILABLE, "",
                                  "gemini stream ended before function call \"%s\" was complete",
                                  d->pc.name),
                     e);
    if (d->events == 0)
        return stick(d, gk_error_set(e, GK_INTERNAL, "", "empty response from gemini"), e);
    st = build_response(d, resp, e);
    if (st != GK_OK)
        memset(resp, 0, sizeof(*resp));
    return stick(d, st, e);
}
