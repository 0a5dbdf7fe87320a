/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/middleware.c - model middleware (ai layer): the chain runner gk_model_call_mw, and the
 * shipped middlewares: retry with backoff and jitter, fallback to other models, simulated system
 * prompt, simulated constrained output and context documents (Genkit JS's model middlewares).
 * Middlewares never change the caller's request: a changed request is a shallow copy in the ctx
 * arena sharing everything it does not change. Tracing each middleware is not done here. */
#include <stdio.h>
#include <string.h>

#include <genkit/middleware.h>

#include "base/log.h"
#include "base/banned.h"

/* ---- the chain ---- */

/* The chain being run: constant during one gk_model_call_mw. */
struct chain {
    gk_genkit *g;
    const gk_model_middleware *const *mw;
};

/* What next_state points to: the chain and the index of the middleware that next runs (the model
 * when mw[i] is NULL). Lives on the stack of the link that made it, which outlives the call. */
struct link {
    const struct chain *chain;
    size_t i;
};

static gk_status run_link(gk_ctx *ctx, const struct chain *c, size_t i, const char *model_name,
                          const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                          void *chunk_arg, gk_generate_response *resp, gk_error *err);

static gk_status call_next(gk_ctx *ctx, const char *model_name, const gk_generate_request *req,
                           gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
                           gk_error *err, void *next_state)
{
    const struct link *at = next_state;
    return run_link(ctx, at->chain, at->i, model_name, req, on_chunk, chunk_arg, resp, err);
}

static gk_status run_link(gk_ctx *ctx, const struct chain *c, size_t i, const char *model_name,
                          const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                          void *chunk_arg, gk_generate_response *resp, gk_error *err)
{
    const gk_model_middleware *m = c->mw ? c->mw[i] : NULL;
    memset(resp, 0, sizeof(*resp));
    if (!m)
        return gk_model_call(ctx, c->g, model_name, req, on_chunk, chunk_arg, resp, err);
    const char *name = m->name ? m->name : "(unnamed)";
    if (!m->fn)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "model middleware \"%s\" has no function",
                            name);
    if (!req)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "no request for model \"%s\"",
                            model_name ? model_name : "");
    if (err)
        gk_error_clear(err);
    struct link next = {c, i + 1};
    gk_status st =
        m->fn(m, ctx, c->g, model_name, req, on_chunk, chunk_arg, resp, err, call_next, &next);
    if (st != GK_OK && err && err->status == GK_OK)
        gk_error_set(err, st, "", "model middleware \"%s\" failed with %s", name,
                     gk_status_name(st));
    return st;
}

gk_status gk_model_call_mw(gk_ctx *ctx, gk_genkit *g, const char *model_name,
                           const gk_model_middleware *const *mw, const gk_generate_request *req,
                           gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
                           gk_error *err)
{
    struct chain c = {g, mw};
    return run_link(ctx, &c, 0, model_name, req, on_chunk, chunk_arg, resp, err);
}

/* ---- helpers shared by the middlewares ---- */

/* Whether st is in list (terminated by GK_OK). */
static bool status_listed(const gk_status *list, gk_status st)
{
    for (; *list != GK_OK; list++) {
        if (*list == st)
            return true;
    }
    return false;
}

/* Forwards chunks to the caller and counts them: once one reached the caller, the call cannot be
 * repeated or sent to another model without the caller seeing two answers. */
struct watch {
    gk_model_chunk_fn fn;
    void *arg;
    size_t sent;
};

static gk_status watch_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct watch *w = arg;
    w->sent++;
    return w->fn(chunk, w->arg);
}

static gk_status out_of_memory(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

/* Copy an int into a small buffer, for log fields. */
static const char *fmt_i64(char *buf, size_t n, int64_t v)
{
    snprintf(buf, n, "%lld", (long long)v);
    return buf;
}

/* ---- retry ---- */

static const gk_status default_retry_statuses[] = {
    GK_UNAVAILABLE, GK_RESOURCE_EXHAUSTED, GK_DEADLINE_EXCEEDED, GK_ABORTED, GK_INTERNAL, GK_OK,
};

/* A per-thread xorshift64* generator: jitter needs spread, not secrecy. Seeded on first use from
 * the clock and the state's own address (different on every carrier thread). */
static _Thread_local uint64_t rng_state;

static uint64_t default_random(void *arg)
{
    (void)arg;
    uint64_t x = rng_state;
    if (x == 0) {
        x = ((uint64_t)gk_now_ms() * 0x9E3779B97F4A7C15u) ^ (uint64_t)(uintptr_t)&rng_state;
        if (x == 0)
            x = 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Du;
}

static gk_status default_sleep(gk_ctx *ctx, int64_t ms, void *arg)
{
    (void)arg;
    return gk_sleep(ctx, ms);
}

/* The backoff d randomized by mode j with the random value r. */
static int64_t jitter_delay(int64_t d, gk_retry_jitter j, uint64_t r)
{
    if (d <= 0)
        return 0;
    switch (j) {
    case GK_RETRY_JITTER_NONE:
        return d;
    case GK_RETRY_JITTER_FULL:
        return (int64_t)(r % ((uint64_t)d + 1));
    case GK_RETRY_JITTER_EQUAL:
    default: {
        int64_t half = d / 2;
        return half + (int64_t)(r % ((uint64_t)(d - half) + 1));
    }
    }
}

static void log_retry(const char *model_name, int attempt, int64_t delay_ms, const gk_error *e)
{
    if (!gk__log_enabled(GK_LOG_INFO))
        return;
    char a[24];
    char d[24];
    const char *kv[] = {
        "model",    model_name ? model_name : "",    "attempt", fmt_i64(a, sizeof(a), attempt),
        "delay_ms", fmt_i64(d, sizeof(d), delay_ms), "status",  gk_status_name(e->status),
        NULL};
    gk__log_kv(GK_LOG_INFO, "retrying model call", kv);
}

static gk_status retry_fn(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                          const char *model_name, const gk_generate_request *req,
                          gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
                          gk_error *err, gk_model_next_fn next, void *next_state)
{
    static const gk_retry_opts defaults = {0};
    const gk_retry_opts *o = self->config ? self->config : &defaults;
    int max_retries = o->max_retries == 0 ? 3 : o->max_retries;
    int64_t initial = o->initial_delay_ms > 0 ? o->initial_delay_ms : 1000;
    int64_t max_delay = o->max_delay_ms > 0 ? o->max_delay_ms : 60000;
    double factor = o->backoff_factor >= 1 ? o->backoff_factor : 2;
    const gk_status *statuses = o->statuses ? o->statuses : default_retry_statuses;
    gk_status (*sleep_fn)(gk_ctx *, int64_t, void *) = o->sleep ? o->sleep : default_sleep;
    uint64_t (*random_fn)(void *) = o->random ? o->random : default_random;
    (void)g;

    /* The retry-after of a failure is read from err: keep one even when the caller passed none. */
    gk_error local = {0};
    gk_error *e = err ? err : &local;
    struct watch w = {on_chunk, chunk_arg, 0};
    gk_model_chunk_fn fn = on_chunk ? watch_chunk : NULL;
    double backoff = initial < max_delay ? (double)initial : (double)max_delay;

    for (int attempt = 0;; attempt++) {
        gk_error_clear(e);
        gk_status st = next(ctx, model_name, req, fn, on_chunk ? &w : NULL, resp, e, next_state);
        if (st == GK_OK)
            return st;
        if (attempt >= max_retries || !status_listed(statuses, st) || w.sent > 0 ||
            gk_ctx_status(ctx) != GK_OK)
            return st;
        int64_t retry_after = e->retry_after_ms > 0 ? e->retry_after_ms : 0;
        if (retry_after > max_delay)
            return st;
        int64_t delay = jitter_delay((int64_t)backoff, o->jitter, random_fn(o->random_arg));
        if (delay < retry_after)
            delay = retry_after;
        int64_t deadline = gk_ctx_deadline(ctx);
        if (deadline != INT64_MAX && delay >= deadline - gk_now_ms())
            return st;
        if (o->on_retry)
            o->on_retry(model_name, attempt + 1, delay, e, o->on_retry_arg);
        log_retry(model_name, attempt + 1, delay, e);
        gk_status ws = sleep_fn(ctx, delay, o->sleep_arg);
        if (ws != GK_OK) {
            char was[160];
            size_t n = strnlen(e->message, sizeof(was) - 1);
            memcpy(was, e->message, n);
            was[n] = '\0';
            return gk_error_set(e, ws, "", "%s while waiting to retry model \"%s\" after %s: %s",
                                ws == GK_CANCELLED           ? "cancelled"
                                : ws == GK_DEADLINE_EXCEEDED ? "deadline exceeded"
                                                             : "interrupted",
                                model_name ? model_name : "", gk_status_name(st), was);
        }
        backoff *= factor;
        if (backoff > (double)max_delay)
            backoff = (double)max_delay;
    }
}

gk_model_middleware gk_mw_retry(const gk_retry_opts *opts)
{
    return (gk_model_middleware){.name = "retry", .fn = retry_fn, .config = opts};
}

/* ---- fallback ---- */

static const gk_status default_fallback_statuses[] = {
    GK_UNAVAILABLE, GK_RESOURCE_EXHAUSTED, GK_DEADLINE_EXCEEDED, GK_ABORTED,
    GK_INTERNAL,    GK_NOT_FOUND,          GK_UNIMPLEMENTED,     GK_OK,
};

static void log_fallback(const char *from, const char *to, const gk_error *e)
{
    if (!gk__log_enabled(GK_LOG_INFO))
        return;
    const char *kv[] = {"model",  from ? from : "",          "fallback", to,
                        "status", gk_status_name(e->status), NULL};
    gk__log_kv(GK_LOG_INFO, "falling back to another model", kv);
}

static gk_status fallback_fn(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                             const char *model_name, const gk_generate_request *req,
                             gk_model_chunk_fn on_chunk, void *chunk_arg,
                             gk_generate_response *resp, gk_error *err, gk_model_next_fn next,
                             void *next_state)
{
    const gk_fallback_opts *o = self->config;
    const gk_status *statuses = o && o->statuses ? o->statuses : default_fallback_statuses;
    (void)g;

    gk_error local = {0};
    gk_error *e = err ? err : &local;
    struct watch w = {on_chunk, chunk_arg, 0};
    gk_model_chunk_fn fn = on_chunk ? watch_chunk : NULL;
    void *fn_arg = on_chunk ? &w : NULL;
    const char *from = model_name;

    gk_status st = next(ctx, model_name, req, fn, fn_arg, resp, e, next_state);
    for (const char *const *m = o ? o->models : NULL; st != GK_OK && m && *m; m++) {
        if (!status_listed(statuses, st) || w.sent > 0 || gk_ctx_status(ctx) != GK_OK)
            return st;
        if (o->on_fallback)
            o->on_fallback(from, *m, e, o->on_fallback_arg);
        log_fallback(from, *m, e);
        gk_error_clear(e);
        from = *m;
        st = next(ctx, *m, req, fn, fn_arg, resp, e, next_state);
    }
    return st;
}

gk_model_middleware gk_mw_fallback(const gk_fallback_opts *opts)
{
    return (gk_model_middleware){.name = "fallback", .fn = fallback_fn, .config = opts};
}

/* ---- reading a model's capabilities ---- */

/* What a model's action metadata says it supports. known is false when the metadata has no
 * model.supports object (an action not defined by gk_define_model) or the model is not defined. */
struct caps {
    bool known;
    bool system_role;
    bool context;
    gk_model_constrained constrained;
};

static bool json_true(const gk_json *v)
{
    return v && v->type == GK_JSON_BOOL && v->boolean;
}

/* JavaScript truthiness, for metadata flags Genkit JS tests with `if (x)`. */
static bool json_truthy(const gk_json *v)
{
    if (!v)
        return false;
    switch (v->type) {
    case GK_JSON_NULL:
        return false;
    case GK_JSON_BOOL:
        return v->boolean;
    case GK_JSON_NUMBER:
        return v->number != 0;
    case GK_JSON_STRING:
        return v->len > 0;
    default:
        return true;
    }
}

/* Parse the model's metadata (small: a few hundred bytes) into ctx's arena. */
static gk_status read_caps(gk_ctx *ctx, gk_genkit *g, const char *model_name, struct caps *out,
                           gk_error *err)
{
    memset(out, 0, sizeof(*out));
    gk_action *a = model_name ? gk_lookup(g, GK_ACTION_MODEL, model_name) : NULL;
    if (!a)
        return GK_OK; /* the model call reports NOT_FOUND */
    const char *meta = gk_action_metadata(a);
    gk_json *doc = NULL;
    gk_status st = gk_json_parse(gk_ctx_arena(ctx), meta, strlen(meta), NULL, &doc, err);
    if (st == GK_RESOURCE_EXHAUSTED)
        return st;
    if (st != GK_OK) {
        gk_error_clear(err); /* metadata we cannot read says nothing: leave the request alone */
        return GK_OK;
    }
    const gk_json *model = gk_json_get(doc, "model");
    const gk_json *supports = model ? gk_json_get(model, "supports") : NULL;
    if (!supports || supports->type != GK_JSON_OBJECT)
        return GK_OK;
    out->known = true;
    out->system_role = json_true(gk_json_get(supports, "systemRole"));
    out->context = json_true(gk_json_get(supports, "context"));
    const gk_json *c = gk_json_get(supports, "constrained");
    out->constrained = GK_CONSTRAINED_NONE;
    if (c && c->type == GK_JSON_STRING && strcmp(c->str, "all") == 0)
        out->constrained = GK_CONSTRAINED_ALL;
    else if (c && c->type == GK_JSON_STRING && strcmp(c->str, "no-tools") == 0)
        out->constrained = GK_CONSTRAINED_NO_TOOLS;
    return GK_OK;
}

/* ---- changing a request (shallow copies in the ctx arena) ---- */

static gk_generate_request *copy_request(gk_arena *a, const gk_generate_request *req)
{
    gk_generate_request *r = GK_NEW(a, gk_generate_request, 1);
    if (r)
        *r = *req;
    return r;
}

/*
 * Put p into message mi of r: at part index pi, or appended when pi is SIZE_MAX. The messages array
 * and that message's parts are copied first, so whatever r shares with the caller's request stays
 * as it was. Returns false if over the arena cap.
 */
static bool put_part(gk_arena *a, gk_generate_request *r, size_t mi, size_t pi, const gk_part *p)
{
    size_t nm = r->messages.count;
    gk_message *msgs = GK_NEW(a, gk_message, nm);
    if (!msgs)
        return false;
    memcpy(msgs, r->messages.items, nm * sizeof(*msgs));
    gk_message *m = &msgs[mi];
    size_t np = m->content.count + (pi == SIZE_MAX ? 1 : 0);
    gk_part *parts = GK_NEW(a, gk_part, np);
    if (!parts)
        return false;
    if (m->content.count)
        memcpy(parts, m->content.items, m->content.count * sizeof(*parts));
    parts[pi == SIZE_MAX ? np - 1 : pi] = *p;
    m->content.items = parts;
    m->content.count = np;
    r->messages.items = msgs;
    return true;
}

/* A text part over text with metadata {"purpose": purpose}; false if over the arena cap. */
static bool purpose_part(gk_arena *a, const char *text, const char *purpose, gk_part *out)
{
    gk_json *meta = gk_json_new_object(a);
    gk_json *value = gk_json_new_string(a, purpose, strlen(purpose));
    if (!meta || !value || !gk_json_object_set(a, meta, "purpose", value))
        return false;
    *out = gk_part_text(text);
    out->metadata = meta;
    return true;
}

/* Whether p's metadata.purpose is purpose; *pending tells whether metadata.pending is set. */
static bool has_purpose(const gk_part *p, const char *purpose, bool *pending)
{
    const gk_json *v = p->metadata ? gk_json_get(p->metadata, "purpose") : NULL;
    if (!v || v->type != GK_JSON_STRING || strcmp(v->str, purpose) != 0)
        return false;
    *pending = json_truthy(gk_json_get(p->metadata, "pending"));
    return true;
}

static size_t last_user_message(const gk_generate_request *req)
{
    for (size_t i = req->messages.count; i > 0; i--) {
        if (req->messages.items[i - 1].role == GK_ROLE_USER)
            return i - 1;
    }
    return SIZE_MAX;
}

/* ---- simulated system prompt ---- */

static gk_status system_prompt_fn(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                                  const char *model_name, const gk_generate_request *req,
                                  gk_model_chunk_fn on_chunk, void *chunk_arg,
                                  gk_generate_response *resp, gk_error *err, gk_model_next_fn next,
                                  void *next_state)
{
    const gk_system_prompt_opts *o = self->config;
    size_t si = SIZE_MAX;
    for (size_t i = 0; i < req->messages.count && si == SIZE_MAX; i++) {
        if (req->messages.items[i].role == GK_ROLE_SYSTEM)
            si = i;
    }
    if (si == SIZE_MAX)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);
    struct caps caps;
    gk_status st = read_caps(ctx, g, model_name, &caps, err);
    if (st != GK_OK)
        return st;
    if (!caps.known || caps.system_role)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);

    gk_arena *a = gk_ctx_arena(ctx);
    const gk_message *sys = &req->messages.items[si];
    size_t nm = req->messages.count + 1;
    gk_generate_request *r = copy_request(a, req);
    gk_message *msgs = GK_NEW(a, gk_message, nm);
    gk_part *user_parts = GK_NEW(a, gk_part, sys->content.count + 1);
    gk_part *model_parts = GK_NEW(a, gk_part, 1);
    if (!r || !msgs || !user_parts || !model_parts)
        return out_of_memory(err);
    memcpy(msgs, req->messages.items, si * sizeof(*msgs));
    user_parts[0] = gk_part_text(o && o->preface ? o->preface : "SYSTEM INSTRUCTIONS:\n");
    if (sys->content.count)
        memcpy(user_parts + 1, sys->content.items, sys->content.count * sizeof(*user_parts));
    model_parts[0] = gk_part_text(o && o->acknowledgement ? o->acknowledgement : "Understood.");
    msgs[si] = (gk_message){.role = GK_ROLE_USER, .content = {user_parts, sys->content.count + 1}};
    msgs[si + 1] = (gk_message){.role = GK_ROLE_MODEL, .content = {model_parts, 1}};
    memcpy(msgs + si + 2, req->messages.items + si + 1,
           (req->messages.count - si - 1) * sizeof(*msgs));
    r->messages.items = msgs;
    r->messages.count = nm;
    return next(ctx, model_name, r, on_chunk, chunk_arg, resp, err, next_state);
}

gk_model_middleware gk_mw_simulate_system_prompt(const gk_system_prompt_opts *opts)
{
    return (gk_model_middleware){
        .name = "simulate-system-prompt", .fn = system_prompt_fn, .config = opts};
}

/* ---- simulated constrained output ---- */

static const char *default_instructions(gk_arena *a, const gk_json *schema)
{
    gk_buf b = GK_BUF_INIT(16 * 1024 * 1024);
    gk_buf_puts(&b,
                "Output should be in JSON format and conform to the following schema:\n\n```\n");
    gk_json_write(&b, schema);
    gk_buf_puts(&b, "\n```\n");
    const char *s = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    return s;
}

/* Genkit's injectInstructions: the output part goes to the first system message, else the last
 * user message; a pending output part is replaced; nothing is added when a message already holds
 * a settled output part or there is no target. */
static bool inject_instructions(gk_arena *a, gk_generate_request *r, const char *text)
{
    size_t target = SIZE_MAX;
    for (size_t i = 0; i < r->messages.count; i++) {
        const gk_message *m = &r->messages.items[i];
        for (size_t j = 0; j < m->content.count; j++) {
            bool pending;
            if (has_purpose(&m->content.items[j], "output", &pending) && !pending)
                return true;
        }
        if (target == SIZE_MAX && m->role == GK_ROLE_SYSTEM)
            target = i;
    }
    if (target == SIZE_MAX)
        target = last_user_message(r);
    if (target == SIZE_MAX)
        return true;
    const gk_message *m = &r->messages.items[target];
    size_t at = SIZE_MAX;
    for (size_t j = 0; j < m->content.count && at == SIZE_MAX; j++) {
        bool pending;
        if (has_purpose(&m->content.items[j], "output", &pending) && pending)
            at = j;
    }
    gk_part p;
    return purpose_part(a, text, "output", &p) && put_part(a, r, target, at, &p);
}

static gk_status constrained_fn(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                                const char *model_name, const gk_generate_request *req,
                                gk_model_chunk_fn on_chunk, void *chunk_arg,
                                gk_generate_response *resp, gk_error *err, gk_model_next_fn next,
                                void *next_state)
{
    const gk_constrained_opts *o = self->config;
    if (!req->has_output || !req->output.constrained || !req->output.schema)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);
    struct caps caps;
    gk_status st = read_caps(ctx, g, model_name, &caps, err);
    if (st != GK_OK)
        return st;
    bool native = caps.constrained == GK_CONSTRAINED_ALL ||
                  (caps.constrained == GK_CONSTRAINED_NO_TOOLS && req->tools.count == 0);
    if (!caps.known || native)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);

    gk_arena *a = gk_ctx_arena(ctx);
    const char *text = o && o->instructions
                           ? o->instructions(a, req->output.schema, o->instructions_arg)
                           : default_instructions(a, req->output.schema);
    gk_generate_request *r = copy_request(a, req);
    if (!text || !r || !inject_instructions(a, r, text))
        return out_of_memory(err);
    /* Simulated, so to the model the output is unconstrained. */
    r->output.constrained = false;
    r->output.has_constrained = true;
    r->output.format = NULL;
    r->output.content_type = NULL;
    r->output.schema = NULL;
    return next(ctx, model_name, r, on_chunk, chunk_arg, resp, err, next_state);
}

gk_model_middleware gk_mw_simulate_constrained(const gk_constrained_opts *opts)
{
    return (gk_model_middleware){
        .name = "simulate-constrained-generation", .fn = constrained_fn, .config = opts};
}

/* ---- context documents ---- */

/* A citation value as text: a non-empty string, or a non-zero number's source text (Genkit JS
 * skips falsy values). NULL otherwise. */
static const char *citation_of(const gk_json *v, size_t *len)
{
    if (!v)
        return NULL;
    if (v->type == GK_JSON_STRING && v->len > 0) {
        *len = v->len;
        return v->str;
    }
    if (v->type == GK_JSON_NUMBER && v->number != 0) {
        *len = v->len;
        return v->str;
    }
    return NULL;
}

static void write_document(gk_buf *b, const gk_document *d, size_t index, const char *citation_key)
{
    const char *cite = NULL;
    size_t cite_len = 0;
    if (d->metadata && citation_key) {
        cite = citation_of(gk_json_get(d->metadata, citation_key), &cite_len);
    } else if (d->metadata) {
        cite = citation_of(gk_json_get(d->metadata, "ref"), &cite_len);
        if (!cite)
            cite = citation_of(gk_json_get(d->metadata, "id"), &cite_len);
    }
    gk_buf_puts(b, "- [");
    if (cite)
        gk_buf_put(b, cite, cite_len);
    else
        gk_buf_printf(b, "%zu", index);
    gk_buf_puts(b, "]: ");
    for (size_t j = 0; j < d->content.count; j++) {
        if (d->content.items[j].text)
            gk_buf_puts(b, d->content.items[j].text);
    }
    gk_buf_putc(b, '\n');
}

static gk_status context_fn(const gk_model_middleware *self, gk_ctx *ctx, gk_genkit *g,
                            const char *model_name, const gk_generate_request *req,
                            gk_model_chunk_fn on_chunk, void *chunk_arg, gk_generate_response *resp,
                            gk_error *err, gk_model_next_fn next, void *next_state)
{
    const gk_context_opts *o = self->config;
    size_t ui = req->docs.count ? last_user_message(req) : SIZE_MAX;
    if (ui == SIZE_MAX)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);
    const gk_message *m = &req->messages.items[ui];
    size_t at = SIZE_MAX;
    for (size_t j = 0; j < m->content.count && at == SIZE_MAX; j++) {
        bool pending;
        if (has_purpose(&m->content.items[j], "context", &pending)) {
            if (!pending)
                return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);
            at = j;
        }
    }
    struct caps caps;
    gk_status st = read_caps(ctx, g, model_name, &caps, err);
    if (st != GK_OK)
        return st;
    if (caps.context)
        return next(ctx, model_name, req, on_chunk, chunk_arg, resp, err, next_state);

    gk_arena *a = gk_ctx_arena(ctx);
    gk_buf b = GK_BUF_INIT(16 * 1024 * 1024);
    gk_buf_puts(&b, o && o->preface
                        ? o->preface
                        : "\n\nUse the following information to complete your task:\n\n");
    for (size_t i = 0; i < req->docs.count; i++)
        write_document(&b, &req->docs.items[i], i, o ? o->citation_key : NULL);
    gk_buf_putc(&b, '\n');
    const char *text = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    gk_generate_request *r = copy_request(a, req);
    gk_part p;
    if (!text || !r || !purpose_part(a, text, "context", &p) || !put_part(a, r, ui, at, &p))
        return out_of_memory(err);
    return next(ctx, model_name, r, on_chunk, chunk_arg, resp, err, next_state);
}

gk_model_middleware gk_mw_augment_with_context(const gk_context_opts *opts)
{
    return (gk_model_middleware){.name = "augment-with-context", .fn = context_fn, .config = opts};
}
