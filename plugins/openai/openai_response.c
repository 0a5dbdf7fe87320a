/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/openai_response.c - chat.completion bodies and chat.completion.chunk streams ->
 * GenerateResponse: text, reasoning, refusal, tool calls (stream fragments reassembled per
 * tool_calls[].index), finish reason and usage. Provider JSON is untrusted: every member's type is
 * checked, unknown members are ignored. Only choice 0 is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openai_internal.h"

#define MAX_TOOL_CALLS 1024
#define MAX_TEXT       ((size_t)64 << 20)

/* One tool call of the reply, complete. */
struct call {
    const char *id;   /* NULL or "": synthesized */
    const char *name; /* NULL: malformed */
    const char *args;
    size_t args_len;
};

/* What a reply is made of, from a body or from a stream. Strings may be NULL (absent). */
struct reply {
    const char *text;
    size_t text_len;
    const char *reasoning;
    size_t reasoning_len;
    const char *refusal;
    size_t refusal_len;
    const struct call *calls;
    size_t ncalls;
    const char *finish; /* finish_reason, NULL when none */
};

static gk_status bad(gk_error *err, const char *where, const char *what, const gk_json *v)
{
    return gk_error_set(err, GK_INTERNAL, "", "malformed openai response: %s is %s, expected %s",
                        where, gk_json_type_name(v), what);
}

/* v as a string: NULL when absent or null; an error for any other type. */
static gk_status get_str(const gk_json *obj, const char *key, const char *where,
                         const gk_json **out, gk_error *err)
{
    const gk_json *v = gk_json_get(obj, key);
    *out = NULL;
    if (!v || v->type == GK_JSON_NULL)
        return GK_OK;
    if (v->type != GK_JSON_STRING)
        return bad(err, where, "a string", v);
    *out = v;
    return GK_OK;
}

static gk_finish_reason map_finish(const char *f)
{
    if (!f)
        return GK_FINISH_UNKNOWN;
    if (strcmp(f, "stop") == 0 || strcmp(f, "tool_calls") == 0 || strcmp(f, "function_call") == 0)
        return GK_FINISH_STOP;
    if (strcmp(f, "length") == 0)
        return GK_FINISH_LENGTH;
    if (strcmp(f, "content_filter") == 0)
        return GK_FINISH_BLOCKED;
    return GK_FINISH_OTHER;
}

static bool custom_put(gk_arena *a, gk_json *custom, const char *key, const gk_json *num)
{
    gk_json *copy =
        num->is_int ? gk_json_new_int(a, num->integer) : gk_json_new_double(a, num->number);
    return copy && gk_json_object_set(a, custom, key, copy);
}

/* Numbers of a details object: one to its Genkit field, the others into custom as
 * "<prefix>_<key>". */
static bool map_details(gk_arena *a, const gk_json *d, const char *known, double *known_out,
                        bool *has_known, const char *prefix, gk_json *custom)
{
    if (!d || d->type != GK_JSON_OBJECT)
        return true;
    for (size_t i = 0; i < d->count; i++) {
        const gk_json *v = &d->items[i];
        if (v->type != GK_JSON_NUMBER)
            continue;
        if (strcmp(v->key, known) == 0) {
            *known_out = v->number;
            *has_known = true;
            continue;
        }
        const char *key = gk_arena_sprintf(a, "%s_%s", prefix, v->key);
        if (!key || !custom_put(a, custom, key, v))
            return false;
    }
    return true;
}

/* Map an OpenAI usage object into *u (custom in a). Returns false only when a runs out. */
static bool map_usage(gk_arena *a, const gk_json *usage, gk_generation_usage *u, bool *has)
{
    *has = false;
    if (!usage || usage->type != GK_JSON_OBJECT)
        return true;
    memset(u, 0, sizeof(*u));
    gk_json *custom = gk_json_new_object(a);
    if (!custom)
        return false;
    for (size_t i = 0; i < usage->count; i++) {
        const gk_json *v = &usage->items[i];
        if (v->type != GK_JSON_NUMBER)
            continue;
        if (strcmp(v->key, "prompt_tokens") == 0) {
            u->input_tokens = v->number;
            u->has_input_tokens = true;
        } else if (strcmp(v->key, "completion_tokens") == 0) {
            u->output_tokens = v->number;
            u->has_output_tokens = true;
        } else if (strcmp(v->key, "total_tokens") == 0) {
            u->total_tokens = v->number;
            u->has_total_tokens = true;
        } else if (!custom_put(a, custom, v->key, v)) {
            return false;
        }
    }
    if (!map_details(a, gk_json_get(usage, "prompt_tokens_details"), "cached_tokens",
                     &u->cached_content_tokens, &u->has_cached_content_tokens, "prompt", custom) ||
        !map_details(a, gk_json_get(usage, "completion_tokens_details"), "reasoning_tokens",
                     &u->thoughts_tokens, &u->has_thoughts_tokens, "completion", custom))
        return false;
    u->custom = custom->count ? custom : NULL;
    *has = true;
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    }
    return true;
}

static gk_status tool_part(gk_arena *a, const struct call *c, size_t i, gk_part *out, gk_error *err)
{
    if (!c->name || !c->name[0])
        return gk_error_set(err, GK_INTERNAL, "",
                            "malformed openai response: tool call %zu has no function name", i);
    gk_json *input = NULL;
    if (!c->args || blank(c->args, c->args_len)) {
        input = gk_json_new_object(a);
    } else {
        gk_error perr = {0};
        gk_status st = gk_json_parse(a, c->args, c->args_len, NULL, &input, &perr);
        if (st == GK_RESOURCE_EXHAUSTED)
            return gk_error_set(err, st, "", "%s", perr.message);
        if (st != GK_OK)
            return gk_error_set(err, GK_INTERNAL, "",
                                "openai tool call %zu (\"%s\") has arguments that are not JSON: %s",
                                i, c->name, perr.message);
    }
    const char *id =
        c->id && c->id[0] ? gk_arena_strdup(a, c->id) : gk_arena_sprintf(a, "call_%zu", i);
    const char *name = gk_arena_strdup(a, c->name);
    if (!input || !id || !name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    *out = gk_part_tool_request(name, id, input);
    return GK_OK;
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

/* Fill resp's message, finish reason and finish message from r (strings copied into a). */
static gk_status build(gk_arena *a, const struct reply *r, gk_generate_response *resp,
                       gk_error *err)
{
    size_t n = r->ncalls + 2;
    gk_part *parts = GK_NEW(a, gk_part, n);
    if (!parts)
        return oom(err);
    size_t k = 0;
    if (r->reasoning && r->reasoning_len) {
        parts[k].reasoning = gk_arena_strndup(a, r->reasoning, r->reasoning_len);
        if (!parts[k++].reasoning)
            return oom(err);
    }
    if (r->text && r->text_len) {
        parts[k].text = gk_arena_strndup(a, r->text, r->text_len);
        if (!parts[k++].text)
            return oom(err);
    }
    for (size_t i = 0; i < r->ncalls; i++) {
        gk_status st = tool_part(a, &r->calls[i], i, &parts[k++], err);
        if (st != GK_OK)
            return st;
    }
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = parts;
    resp->message.content.count = k;
    resp->has_message = true;
    resp->finish_reason = map_finish(r->finish);
    if (r->refusal && r->refusal_len) {
        resp->finish_reason = GK_FINISH_BLOCKED;
        resp->finish_message = gk_arena_strndup(a, r->refusal, r->refusal_len);
        if (!resp->finish_message)
            return oom(err);
    } else if (resp->finish_reason == GK_FINISH_BLOCKED) {
        resp->finish_message = "the provider's content filter stopped the reply";
    }
    return GK_OK;
}

/* The message text fields of a message or a delta: content, reasoning_content / reasoning,
 * refusal. */
static gk_status read_texts(const gk_json *m, const char *where, const gk_json **content,
                            const gk_json **reasoning, const gk_json **refusal, gk_error *err)
{
    char path[96];
    snprintf(path, sizeof(path), "%s.content", where);
    gk_status st = get_str(m, "content", path, content, err);
    if (st != GK_OK)
        return st;
    snprintf(path, sizeof(path), "%s.reasoning_content", where);
    st = get_str(m, "reasoning_content", path, reasoning, err);
    if (st == GK_OK && !*reasoning) {
        snprintf(path, sizeof(path), "%s.reasoning", where);
        st = get_str(m, "reasoning", path, reasoning, err);
    }
    if (st != GK_OK)
        return st;
    snprintf(path, sizeof(path), "%s.refusal", where);
    return get_str(m, "refusal", path, refusal, err);
}

/* The status and message of an {"error":{...}} object (or a bare string) inside a body. */
static gk_status error_object(const gk_json *e, int http, gk_error *err)
{
    const char *msg = "no message";
    const char *type = NULL;
    const char *code = NULL;
    if (e->type == GK_JSON_STRING) {
        msg = e->str;
    } else if (e->type == GK_JSON_OBJECT) {
        const gk_json *m = gk_json_get(e, "message");
        const gk_json *t = gk_json_get(e, "type");
        const gk_json *c = gk_json_get(e, "code");
        if (m && m->type == GK_JSON_STRING)
            msg = m->str;
        if (t && t->type == GK_JSON_STRING)
            type = t->str;
        if (c && c->type == GK_JSON_STRING)
            code = c->str;
    }
    gk_status st = gk__openai_error_status(http, type, code);
    return gk_error_set(err, st, "", "error from the provider (%s): %s",
                        code   ? code
                        : type ? type
                               : "unknown",
                        msg);
}

/* Choice 0 of a choices array, or NULL (an error when the array or an item is malformed). */
static gk_status choice0(const gk_json *choices, const gk_json **out, gk_error *err)
{
    *out = NULL;
    if (!choices || choices->type == GK_JSON_NULL)
        return GK_OK;
    if (choices->type != GK_JSON_ARRAY)
        return bad(err, "choices", "an array", choices);
    for (size_t i = 0; i < choices->count; i++) {
        const gk_json *c = &choices->items[i];
        if (c->type != GK_JSON_OBJECT)
            return bad(err, "choices[]", "an object", c);
        const gk_json *idx = gk_json_get(c, "index");
        if (idx && idx->type != GK_JSON_NUMBER)
            return bad(err, "choices[].index", "an integer", idx);
        if (!idx || (idx->is_int && idx->integer == 0)) {
            *out = c;
            return GK_OK;
        }
    }
    return GK_OK;
}

gk_status gk_openai_parse_response(gk_arena *a, const char *body, size_t len,
                                   gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    gk_json *doc = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(a, body, len, NULL, &doc, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "%s", perr.message);
    if (st != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "openai response is not JSON: %s", perr.message);
    if (doc->type != GK_JSON_OBJECT)
        return bad(err, "the response", "an object", doc);
    const gk_json *e = gk_json_get(doc, "error");
    if (e && e->type != GK_JSON_NULL)
        return error_object(e, 0, err);
    const gk_json *c = NULL;
    st = choice0(gk_json_get(doc, "choices"), &c, err);
    if (st != GK_OK)
        return st;
    if (!c)
        return gk_error_set(err, GK_INTERNAL, "", "malformed openai response: no choice 0");
    const gk_json *m = gk_json_get(c, "message");
    if (!m || m->type != GK_JSON_OBJECT)
        return bad(err, "choices[0].message", "an object", m);
    const gk_json *content, *reasoning, *refusal, *finish;
    st = read_texts(m, "choices[0].message", &content, &reasoning, &refusal, err);
    if (st == GK_OK)
        st = get_str(c, "finish_reason", "choices[0].finish_reason", &finish, err);
    if (st != GK_OK)
        return st;
    const gk_json *tc = gk_json_get(m, "tool_calls");
    struct call *calls = NULL;
    size_t ncalls = 0;
    if (tc && tc->type != GK_JSON_NULL) {
        if (tc->type != GK_JSON_ARRAY)
            return bad(err, "choices[0].message.tool_calls", "an array", tc);
        if (tc->count > MAX_TOOL_CALLS)
            return gk_error_set(err, GK_INTERNAL, "", "openai response has %zu tool calls",
                                tc->count);
        calls = GK_NEW(a, struct call, tc->count ? tc->count : 1);
        if (!calls)
            return oom(err);
        for (size_t i = 0; i < tc->count; i++) {
            const gk_json *t = &tc->items[i];
            if (t->type != GK_JSON_OBJECT)
                return bad(err, "tool_calls[]", "an object", t);
            const gk_json *fn = gk_json_get(t, "function");
            if (!fn || fn->type != GK_JSON_OBJECT)
                return bad(err, "tool_calls[].function", "an object", fn);
            const gk_json *id, *name, *args;
            st = get_str(t, "id", "tool_calls[].id", &id, err);
            if (st == GK_OK)
                st = get_str(fn, "name", "tool_calls[].function.name", &name, err);
            if (st == GK_OK)
                st = get_str(fn, "arguments", "tool_calls[].function.arguments", &args, err);
            if (st != GK_OK)
                return st;
            calls[ncalls].id = id ? id->str : NULL;
            calls[ncalls].name = name ? name->str : NULL;
            calls[ncalls].args = args ? args->str : NULL;
            calls[ncalls].args_len = args ? args->len : 0;
            ncalls++;
        }
    }
    struct reply r = {
        .text = content ? content->str : NULL,
        .text_len = content ? content->len : 0,
        .reasoning = reasoning ? reasoning->str : NULL,
        .reasoning_len = reasoning ? reasoning->len : 0,
        .refusal = refusal ? refusal->str : NULL,
        .refusal_len = refusal ? refusal->len : 0,
        .calls = calls,
        .ncalls = ncalls,
        .finish = finish ? finish->str : NULL,
    };
    st = build(a, &r, resp, err);
    if (st != GK_OK)
        return st;
    if (!map_usage(a, gk_json_get(doc, "usage"), &resp->usage, &resp->has_usage))
        return oom(err);
    resp->raw = doc;
    return GK_OK;
}

/* ---- streams ---- */

/* One tool call being reassembled. */
struct acc_call {
    int64_t index; /* tool_calls[].index */
    gk_buf id;
    gk_buf name;
    gk_buf args;
};

/* Invariants: calls[0..ncalls) have distinct index values, in order of first appearance; the
 * buffers are released when the arena is freed. */
struct oai_stream {
    gk_arena *a;
    oai_emit_fn emit;
    void *emit_arg;
    gk_buf text;
    gk_buf reasoning;
    gk_buf refusal;
    struct acc_call *calls; /* malloc'd */
    size_t ncalls;
    size_t cap;
    char finish[64];
    bool has_finish;
    bool done;
    gk_generation_usage usage;
    bool has_usage;
};

static void stream_release(void *arg)
{
    struct oai_stream *s = arg;
    gk_buf_release(&s->text);
    gk_buf_release(&s->reasoning);
    gk_buf_release(&s->refusal);
    for (size_t i = 0; i < s->ncalls; i++) {
        gk_buf_release(&s->calls[i].id);
        gk_buf_release(&s->calls[i].name);
        gk_buf_release(&s->calls[i].args);
    }
    free(s->calls);
    s->calls = NULL;
    s->ncalls = 0;
}

struct oai_stream *gk__openai_stream_new(gk_arena *a, oai_emit_fn emit, void *emit_arg)
{
    struct oai_stream *s = GK_NEW(a, struct oai_stream, 1);
    if (!s)
        return NULL;
    s->a = a;
    s->emit = emit;
    s->emit_arg = emit_arg;
    s->text = GK_BUF_INIT(MAX_TEXT);
    s->reasoning = GK_BUF_INIT(MAX_TEXT);
    s->refusal = GK_BUF_INIT(MAX_TEXT);
    if (!gk_arena_defer(a, stream_release, s))
        return NULL;
    return s;
}

static gk_status emit_part(struct oai_stream *s, const gk_part *p, size_t n, gk_error *err)
{
    if (!s->emit)
        return GK_OK;
    gk_generate_response_chunk c = {
        .role = GK_ROLE_MODEL, .has_role = true, .index = 0, .has_index = true};
    c.content.items = (gk_part *)p;
    c.content.count = n;
    return s->emit(s->emit_arg, &c, err);
}

static struct acc_call *find_call(struct oai_stream *s, int64_t index, gk_error *err)
{
    for (size_t i = 0; i < s->ncalls; i++) {
        if (s->calls[i].index == index)
            return &s->calls[i];
    }
    if (s->ncalls == MAX_TOOL_CALLS) {
        gk_error_set(err, GK_INTERNAL, "", "openai stream has more than %d tool calls",
                     MAX_TOOL_CALLS);
        return NULL;
    }
    if (s->ncalls == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        struct acc_call *grown = realloc(s->calls, cap * sizeof(*grown));
        if (!grown) {
            gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
            return NULL;
        }
        s->calls = grown;
        s->cap = cap;
    }
    struct acc_call *c = &s->calls[s->ncalls++];
    c->index = index;
    c->id = GK_BUF_INIT(4096);
    c->name = GK_BUF_INIT(4096);
    c->args = GK_BUF_INIT(MAX_TEXT);
    return c;
}

static gk_status stream_tool_calls(struct oai_stream *s, const gk_json *tc, gk_error *err)
{
    if (!tc || tc->type == GK_JSON_NULL)
        return GK_OK;
    if (tc->type != GK_JSON_ARRAY)
        return bad(err, "delta.tool_calls", "an array", tc);
    for (size_t i = 0; i < tc->count; i++) {
        const gk_json *t = &tc->items[i];
        if (t->type != GK_JSON_OBJECT)
            return bad(err, "delta.tool_calls[]", "an object", t);
        const gk_json *idx = gk_json_get(t, "index");
        int64_t index = (int64_t)i;
        if (idx && idx->type != GK_JSON_NULL) {
            if (idx->type != GK_JSON_NUMBER || !idx->is_int || idx->integer < 0)
                return bad(err, "delta.tool_calls[].index", "a non-negative integer", idx);
            index = idx->integer;
        }
        const gk_json *fn = gk_json_get(t, "function");
        if (fn && fn->type != GK_JSON_NULL && fn->type != GK_JSON_OBJECT)
            return bad(err, "delta.tool_calls[].function", "an object", fn);
        const gk_json *id, *name = NULL, *args = NULL;
        gk_status st = get_str(t, "id", "delta.tool_calls[].id", &id, err);
        if (st == GK_OK && fn && fn->type == GK_JSON_OBJECT) {
            st = get_str(fn, "name", "delta.tool_calls[].function.name", &name, err);
            if (st == GK_OK)
                st = get_str(fn, "arguments", "delta.tool_calls[].function.arguments", &args, err);
        }
        if (st != GK_OK)
            return st;
        struct acc_call *c = find_call(s, index, err);
        if (!c)
            return err->status;
        /* The id and name come whole in a call's first fragment; later ones repeat or omit them. */
        if (id && id->len && c->id.len == 0)
            gk_buf_put(&c->id, id->str, id->len);
        if (name && name->len && c->name.len == 0)
            gk_buf_put(&c->name, name->str, name->len);
        if (args && args->len)
            gk_buf_put(&c->args, args->str, args->len);
        if (gk_buf_failed(&c->id) || gk_buf_failed(&c->name) || gk_buf_failed(&c->args))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                                "openai tool call arguments larger than %zu bytes", c->args.cap);
    }
    return GK_OK;
}

static gk_status stream_json(struct oai_stream *s, gk_arena *scratch, const gk_line_event *ev,
                             gk_error *err)
{
    gk_json *doc = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(scratch, ev->data.ptr, ev->data.len, NULL, &doc, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "%s", perr.message);
    if (st != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "openai stream event %llu is not JSON: %s",
                            (unsigned long long)ev->index, perr.message);
    if (doc->type != GK_JSON_OBJECT)
        return bad(err, "a stream event", "an object", doc);
    const gk_json *e = gk_json_get(doc, "error");
    if (e && e->type != GK_JSON_NULL)
        return error_object(e, 0, err);
    const gk_json *usage = gk_json_get(doc, "usage");
    if (usage && usage->type == GK_JSON_OBJECT && !map_usage(s->a, usage, &s->usage, &s->has_usage))
        return oom(err);
    const gk_json *c = NULL;
    st = choice0(gk_json_get(doc, "choices"), &c, err);
    if (st != GK_OK || !c)
        return st;
    const gk_json *finish;
    st = get_str(c, "finish_reason", "choices[0].finish_reason", &finish, err);
    if (st != GK_OK)
        return st;
    if (finish) {
        snprintf(s->finish, sizeof(s->finish), "%s", finish->str);
        s->has_finish = true;
    }
    const gk_json *delta = gk_json_get(c, "delta");
    if (!delta || delta->type == GK_JSON_NULL)
        return GK_OK;
    if (delta->type != GK_JSON_OBJECT)
        return bad(err, "choices[0].delta", "an object", delta);
    const gk_json *content, *reasoning, *refusal;
    st = read_texts(delta, "choices[0].delta", &content, &reasoning, &refusal, err);
    if (st != GK_OK)
        return st;
    if (reasoning && reasoning->len) {
        gk_buf_put(&s->reasoning, reasoning->str, reasoning->len);
        gk_part p = {.reasoning = reasoning->str};
        st = emit_part(s, &p, 1, err);
        if (st != GK_OK)
            return st;
    }
    if (content && content->len) {
        gk_buf_put(&s->text, content->str, content->len);
        gk_part p = gk_part_text(content->str);
        st = emit_part(s, &p, 1, err);
        if (st != GK_OK)
            return st;
    }
    if (refusal && refusal->len)
        gk_buf_put(&s->refusal, refusal->str, refusal->len);
    if (gk_buf_failed(&s->text) || gk_buf_failed(&s->reasoning) || gk_buf_failed(&s->refusal))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "openai reply larger than %zu bytes",
                            MAX_TEXT);
    return stream_tool_calls(s, gk_json_get(delta, "tool_calls"), err);
}

gk_status gk__openai_stream_event(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct oai_stream *s = arg;
    if (s->done)
        return GK_OK; /* nothing follows [DONE]; ignore stray bytes */
    if (ev->data.len == 6 && memcmp(ev->data.ptr, "[DONE]", 6) == 0) {
        s->done = true;
        return GK_OK;
    }
    /* Each event is parsed in its own arena: a long stream keeps only what it accumulates. */
    gk_arena *scratch = gk_arena_new(0);
    if (!scratch)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk_status st = stream_json(s, scratch, ev, err);
    gk_arena_free(scratch);
    return st;
}

gk_status gk__openai_stream_end(struct oai_stream *s, gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    if (!s->done && !s->has_finish)
        return gk_error_set(err, GK_UNAVAILABLE, "",
                            "openai stream ended before its finish_reason and [DONE]");
    struct call *calls = GK_NEW(s->a, struct call, s->ncalls ? s->ncalls : 1);
    if (!calls)
        return oom(err);
    for (size_t i = 0; i < s->ncalls; i++) {
        calls[i].id = s->calls[i].id.ptr;
        calls[i].name = s->calls[i].name.ptr;
        calls[i].args = s->calls[i].args.ptr;
        calls[i].args_len = s->calls[i].args.len;
    }
    struct reply r = {
        .text = s->text.ptr,
        .text_len = s->text.len,
        .reasoning = s->reasoning.ptr,
        .reasoning_len = s->reasoning.len,
        .refusal = s->refusal.ptr,
        .refusal_len = s->refusal.len,
        .calls = calls,
        .ncalls = s->ncalls,
        .finish = s->has_finish ? s->finish : NULL,
    };
    gk_status st = build(s->a, &r, resp, err);
    if (st != GK_OK)
        return st;
    resp->usage = s->usage;
    resp->has_usage = s->has_usage;
    /* Tool requests stream once complete: their arguments are only JSON at the end. */
    size_t first = resp->message.content.count - s->ncalls;
    if (s->ncalls)
        return emit_part(s, &resp->message.content.items[first], s->ncalls, err);
    return GK_OK;
}

/* ---- replaying a stream (tests, fuzzing) ---- */

struct relay {
    gk_model_chunk_fn fn;
    void *arg;
};

static gk_status relay_chunk(void *arg, const gk_generate_response_chunk *chunk, gk_error *err)
{
    struct relay *r = arg;
    gk_status st = r->fn(chunk, r->arg);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "the chunk receiver stopped the stream (%s)",
                            gk_status_name(st));
    return GK_OK;
}

gk_status gk_openai_parse_stream(gk_arena *a, const char *body, size_t len, size_t split,
                                 gk_model_chunk_fn on_chunk, void *chunk_arg,
                                 gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    struct relay relay = {on_chunk, chunk_arg};
    struct oai_stream *s = gk__openai_stream_new(a, on_chunk ? relay_chunk : NULL, &relay);
    if (!s)
        return oom(err);
    gk_lines *p = gk_lines_new(GK_LINES_SSE, 0, gk__openai_stream_event, s);
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
    return gk__openai_stream_end(s, resp, err);
}
