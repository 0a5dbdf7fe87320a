/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/action.c - defining and invoking actions: typed calls, JSON calls (decode by the input
 * descriptor, encode by the output descriptor), streaming, typed flows and named steps.
 * An action's frame hangs on its context so nested calls (steps, generate) know their parent. */
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "runtime/sched.h"
#include "telemetry/trace.h"
#include "base/banned.h"

/* Chunks larger than this are refused: a stream event must fit in memory comfortably. */
#define CHUNK_CAP ((size_t)8 << 20)

/* Exactly one of fn (chunks as JSON text) and typed (chunks as C values) is set. */
struct gk_stream {
    gk_ctx *ctx;
    const gk_type *chunk_type;
    gk_chunk_fn fn;
    gk_typed_chunk_fn typed;
    void *arg;
};

/* The action running on a context; children made by gk_go inherit it. */
struct frame {
    gk_action *action;
    struct frame *parent;
};

static char *copy_or(gk_arena *a, const char *s, const char *dflt)
{
    return gk_arena_strdup(a, s ? s : dflt);
}

static bool valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c == 0x7f || c == '?' || c == '#')
            return false;
    }
    return true;
}

gk_action *gk_define_action(gk_genkit *g, const gk_action_desc *d, gk_error *err)
{
    if (!valid_name(d->name)) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "action name \"%s\" is empty or has spaces",
                     d->name ? d->name : "");
        return NULL;
    }
    if ((unsigned)d->type >= GK_ACTION_TYPE_COUNT || !d->fn || !d->in_type || !d->out_type) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "",
                     "action \"%s\" needs a type, a function, an input and an output type",
                     d->name);
        return NULL;
    }
    const gk_type *types[] = {d->in_type, d->out_type, d->chunk_type};
    for (size_t i = 0; i < 3; i++) {
        if (types[i] && gk_type_validate(types[i], err) != GK_OK)
            return NULL;
    }
    gk_arena *arena = g->arena;
    gk_action *a = GK_NEW(arena, gk_action, 1);
    char *key = a ? gk_arena_sprintf(arena, "/%s/%s", gk_action_type_name(d->type), d->name) : NULL;
    if (!key) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    a->type = d->type;
    a->key = key;
    a->key_len = strlen(key);
    a->name = key + 2 + strlen(gk_action_type_name(d->type));
    a->description = copy_or(arena, d->description, "");
    a->metadata_json = copy_or(arena, d->metadata_json, "{}");
    a->in_type = d->in_type;
    a->out_type = d->out_type;
    a->chunk_type = d->chunk_type;
    a->fn = d->fn;
    a->self = d->self;
    a->g = g;
    if (!a->description || !a->metadata_json) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    if (gk__registry_add(&g->reg, a, err) != GK_OK)
        return NULL;
    return a;
}

gk_action *gk_lookup_action(gk_genkit *g, const char *key)
{
    return gk__registry_find(&g->reg, key, strlen(key));
}

gk_action *gk_lookup(gk_genkit *g, gk_action_type type, const char *name)
{
    /* On the request path (every generate resolves its model): build the key without printf. */
    char key[256];
    const char *tn = gk_action_type_name(type);
    size_t tl = strlen(tn);
    size_t nl = strlen(name);
    if (tl + nl + 2 >= sizeof(key))
        return NULL;
    key[0] = '/';
    memcpy(key + 1, tn, tl);
    key[1 + tl] = '/';
    memcpy(key + 2 + tl, name, nl);
    return gk__registry_find(&g->reg, key, tl + nl + 2);
}

size_t gk_action_count(gk_genkit *g)
{
    return g->reg.count;
}

gk_action *gk_action_at(gk_genkit *g, size_t i)
{
    return i < g->reg.count ? g->reg.list[i] : NULL;
}

const char *gk_action_key(const gk_action *a)
{
    return a->key;
}

const char *gk_action_name(const gk_action *a)
{
    return a->name;
}

gk_action_type gk_action_get_type(const gk_action *a)
{
    return a->type;
}

const char *gk_action_description(const gk_action *a)
{
    return a->description;
}

const gk_type *gk_action_in_type(const gk_action *a)
{
    return a->in_type;
}

const gk_type *gk_action_out_type(const gk_action *a)
{
    return a->out_type;
}

const gk_type *gk_action_chunk_type(const gk_action *a)
{
    return a->chunk_type;
}

const char *gk_action_metadata(const gk_action *a)
{
    return a->metadata_json;
}

gk_action *gk__ctx_action(const gk_ctx *ctx)
{
    struct frame *f = gk__ctx_get(ctx, GK_CTX_SLOT_ACTION);
    return f ? f->action : NULL;
}

/* Make sure a failing action leaves a usable report: its status and at least a message. */
static gk_status settle(gk_status st, gk_error *err)
{
    if (st == GK_OK || !err)
        return st;
    if (err->status != st)
        err->status = st;
    if (!err->message[0])
        gk_error_set(err, st, err->path, "%s", gk_status_name(st));
    return st;
}

gk_status gk_action_run(gk_ctx *ctx, gk_action *a, const void *in, void *out, gk_stream *stream,
                        gk_error *err)
{
    gk_error local = {0};
    if (!err)
        err = &local;
    gk_status st = gk_ctx_status(ctx);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "%s before \"%s\" started",
                            st == GK_DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled", a->key);
    struct frame *outer = gk__ctx_get(ctx, GK_CTX_SLOT_ACTION);
    struct frame fr = {.action = a, .parent = outer};
    gk__ctx_set(ctx, GK_CTX_SLOT_ACTION, &fr);
    gk__span_info si = {
        .name = a->name,
        .type = a->type == GK_ACTION_UTIL ? "util" : "action",
        .subtype = gk_action_type_name(a->type),
        .key = a->key,
    };
    gk__span *span = gk__span_begin(ctx, &si);
    gk__span_set_input(span, a->in_type, in);
    st = a->fn(ctx, in, out, stream, a->self, err);
    gk__ctx_set(ctx, GK_CTX_SLOT_ACTION, outer);
    /* A flow that ignored cancellation still reports it: its output is not wanted. */
    if (st == GK_OK && gk_ctx_status(ctx) != GK_OK)
        st = gk_error_set(err, gk_ctx_status(ctx), "", "%s", "action was cancelled");
    st = settle(st, err);
    if (st == GK_OK)
        gk__span_set_output(span, a->out_type, out);
    gk__span_end(ctx, span, st, err);
    return st;
}

gk_stream *gk_stream_new(gk_ctx *ctx, gk_typed_chunk_fn on_chunk, void *arg)
{
    gk_stream *s = GK_NEW(gk_ctx_arena(ctx), gk_stream, 1);
    if (s) {
        s->ctx = ctx;
        s->typed = on_chunk;
        s->arg = arg;
    }
    return s;
}

gk_status gk_stream_send(gk_stream *s, const void *chunk, gk_error *err)
{
    if (!s)
        return GK_OK;
    if (gk_ctx_is_cancelled(s->ctx))
        return gk_error_set(err, gk_ctx_status(s->ctx), "", "stream receiver is gone");
    if (s->typed) {
        gk_status st = s->typed(chunk, s->arg);
        if (st != GK_OK)
            return gk_error_set(err, st, "", "stream receiver is gone");
        return GK_OK;
    }
    gk_buf b = GK_BUF_INIT(CHUNK_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, s->chunk_type, chunk);
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "stream chunk larger than %zu bytes",
                            (size_t)CHUNK_CAP);
    }
    gk_status st = s->fn(b.ptr, b.len, s->arg);
    gk_buf_release(&b);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "stream receiver is gone");
    return GK_OK;
}

gk_status gk_action_run_json(gk_ctx *ctx, gk_action *a, const gk_json *input, gk_chunk_fn on_chunk,
                             void *chunk_arg, gk_jw *out, gk_error *err)
{
    gk_arena *arena = gk_ctx_arena(ctx);
    void *in = gk_arena_alloc(arena, gk_type_size(a->in_type));
    void *result = gk_arena_alloc(arena, gk_type_size(a->out_type));
    if (!in || !result)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    gk_status st = gk_decode(arena, a->in_type, input, in, err);
    if (st != GK_OK)
        return st;
    gk_stream stream = {ctx, a->chunk_type, on_chunk, NULL, chunk_arg};
    bool streaming = on_chunk && a->chunk_type;
    st = gk_action_run(ctx, a, in, result, streaming ? &stream : NULL, err);
    if (st != GK_OK)
        return st;
    gk_encode(out, a->out_type, result);
    return GK_OK;
}

/* ---- typed flows ---- */

/* The typed function behind a flow. Calls go through a pointer of the generic shape: the shapes
 * differ only in the pointee types of data pointers, which share one representation on every ABI
 * we build for (docs/decisions/0001-typed-flow-trampolines.md). */
struct flow {
    void (*fn)(void);
    bool streaming;
};

typedef gk_status (*plain_flow_fn)(gk_ctx *, const void *, void *, gk_error *);
typedef gk_status (*stream_flow_fn)(gk_ctx *, const void *, void *, gk_stream *, gk_error *);

static gk_status call_flow(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                           gk_error *err)
{
    struct flow *f = self;
    if (f->streaming)
        return ((stream_flow_fn)f->fn)(ctx, in, out, stream, err);
    return ((plain_flow_fn)f->fn)(ctx, in, out, err);
}

gk_action *gk__define_flow(gk_genkit *g, const char *name, const char *description,
                           const gk_type *in_type, const gk_type *out_type,
                           const gk_type *chunk_type, void (*fn)(void), bool streaming,
                           gk_error *err)
{
    struct flow *f = GK_NEW(g->arena, struct flow, 1);
    if (!f) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    f->fn = fn;
    f->streaming = streaming;
    gk_action_desc d = {
        .type = GK_ACTION_FLOW,
        .name = name,
        .description = description,
        .in_type = in_type,
        .out_type = out_type,
        .chunk_type = chunk_type,
        .fn = call_flow,
        .self = f,
    };
    return gk_define_action(g, &d, err);
}

/* ---- named steps ---- */

gk_status gk_run(gk_ctx *ctx, const char *name, gk_step_fn fn, void *arg, const gk_type *out_type,
                 void *out, gk_error *err)
{
    gk_error local = {0};
    if (!err)
        err = &local;
    gk_status st = gk_ctx_status(ctx);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "step \"%s\" not started: context ended", name);
    gk__span_info si = {.name = name, .type = "flowStep"};
    gk__span *span = gk__span_begin(ctx, &si);
    st = settle(fn(ctx, arg, out, err), err);
    if (st == GK_OK)
        gk__span_set_output(span, out_type, out);
    gk__span_end(ctx, span, st, err);
    return st;
}
