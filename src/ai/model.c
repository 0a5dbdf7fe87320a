/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/model.c - model actions: gk_define_model registers /model/<name> over a typed generate
 * function, checks every request and response, adapts streaming both to the core's JSON stream
 * (HTTP, reflection) and to typed chunk callbacks (gk_model_call); gk_model_call resolves a model
 * by name and runs it through gk_action_run so it is traced like any action.
 * It does not run tools or parse formats: that is the generate loop's job. */
#include <stdio.h>
#include <string.h>

#include <genkit/ai.h>

#include "core/core.h"
#include "core/registry.h"
#include "base/banned.h"

/* A defined model: what the action's self points to. Lives in the genkit arena. */
struct model {
    gk_model_fn generate;
    void *self;
};

/* What a model's generate function streams into: the stream its action was run with. */
struct gk_model_stream {
    gk_stream *core;
};

static gk_status run_model(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                           gk_error *err)
{
    struct model *m = self;
    const gk_generate_request *req = in;
    gk_generate_response *resp = out;
    gk_status st = gk_generate_request_check(req, err);
    if (st != GK_OK)
        return st;
    gk_model_stream ms = {.core = stream};
    st = m->generate(m->self, ctx, req, stream ? &ms : NULL, resp, err);
    if (st != GK_OK)
        return st;
    gk_error bad = {0};
    if (gk_generate_response_check(resp, &bad) != GK_OK)
        return gk_error_set(err, GK_INTERNAL, bad.path, "model returned a malformed response: %s",
                            bad.message);
    return GK_OK;
}

static void write_bool(gk_jw *w, const char *key, bool v)
{
    gk_jw_key(w, key);
    gk_jw_bool(w, v);
}

void gk_model_metadata_write(gk_buf *b, const char *name, const gk_model_info *info)
{
    static const char *const constrained[] = {"none", "all", "no-tools"};
    unsigned s = info->supports;
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "label");
    gk_jw_string(&w, info->label ? info->label : name);
    gk_jw_key(&w, "supports");
    gk_jw_object_begin(&w);
    write_bool(&w, "multiturn", s & GK_MODEL_MULTITURN);
    write_bool(&w, "tools", s & GK_MODEL_TOOLS);
    write_bool(&w, "media", s & GK_MODEL_MEDIA);
    write_bool(&w, "systemRole", s & GK_MODEL_SYSTEM_ROLE);
    write_bool(&w, "toolChoice", s & GK_MODEL_TOOL_CHOICE);
    if (s & GK_MODEL_CONTEXT)
        write_bool(&w, "context", true);
    if (info->output) {
        gk_jw_key(&w, "output");
        gk_jw_array_begin(&w);
        for (const char *const *f = info->output; *f; f++)
            gk_jw_string(&w, *f);
        gk_jw_array_end(&w);
    }
    gk_jw_key(&w, "constrained");
    gk_jw_string(&w, (unsigned)info->constrained < 3 ? constrained[info->constrained] : "none");
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
}

gk_action *gk_define_model(gk_genkit *g, const gk_model_desc *desc, gk_error *err)
{
    if (!desc || !desc->name || !desc->name[0] || !desc->generate) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "model \"%s\" needs a name and a generate function",
                     desc && desc->name ? desc->name : "");
        return NULL;
    }
    if ((unsigned)desc->info.constrained > GK_CONSTRAINED_NO_TOOLS) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "model \"%s\" has an unknown constrained mode",
                     desc->name);
        return NULL;
    }
    gk_buf meta = GK_BUF_INIT(64 * 1024);
    gk_model_metadata_write(&meta, desc->name, &desc->info);
    if (gk_buf_failed(&meta)) {
        gk_buf_release(&meta);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "model \"%s\" metadata is too large",
                     desc->name);
        return NULL;
    }
    /* The record lives as long as the action: in the instance's arena. */
    struct model *m = GK_NEW(gk__genkit_arena(g), struct model, 1);
    gk_action *a = NULL;
    if (!m) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    } else {
        m->generate = desc->generate;
        m->self = desc->self;
        gk_action_desc d = {
            .type = GK_ACTION_MODEL,
            .name = desc->name,
            .description = desc->description,
            .in_type = GK_TYPE_OF(gk_generate_request),
            .out_type = GK_TYPE_OF(gk_generate_response),
            .chunk_type = GK_TYPE_OF(gk_generate_response_chunk),
            .fn = run_model,
            .self = m,
            .metadata_json = meta.ptr,
        };
        a = gk_define_action(g, &d, err);
    }
    gk_buf_release(&meta);
    return a;
}

void *gk_model_self(const gk_action *a, gk_model_fn generate)
{
    if (!a || a->type != GK_ACTION_MODEL || a->fn != run_model)
        return NULL;
    const struct model *m = a->self;
    return m->generate == generate ? m->self : NULL;
}

gk_status gk_model_stream_send(gk_model_stream *stream, const gk_generate_response_chunk *chunk,
                               gk_error *err)
{
    if (!stream)
        return GK_OK;
    return gk_stream_send(stream->core, chunk, err);
}

/* Adapts the core's untyped chunk callback to gk_model_call's typed one. */
struct chunk_relay {
    gk_model_chunk_fn fn;
    void *arg;
};

static gk_status relay_chunk(const void *chunk, void *arg)
{
    struct chunk_relay *r = arg;
    return r->fn(chunk, r->arg);
}

gk_status gk_model_call(gk_ctx *ctx, gk_genkit *g, const char *model_name,
                        const gk_generate_request *req, gk_model_chunk_fn on_chunk,
                        void *chunk_arg, gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    if (!model_name || !model_name[0])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "no model named: pass \"provider/model\" or configure a default model");
    gk_action *a = gk_lookup(g, GK_ACTION_MODEL, model_name);
    if (!a)
        return gk_error_set(err, GK_NOT_FOUND, "",
                            "model \"%s\" not found: is its plugin configured?", model_name);
    if (!on_chunk)
        return gk_action_run(ctx, a, req, resp, NULL, err);
    struct chunk_relay relay = {on_chunk, chunk_arg};
    gk_stream *stream = gk_stream_new(ctx, relay_chunk, &relay);
    if (!stream)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    return gk_action_run(ctx, a, req, resp, stream, err);
}
