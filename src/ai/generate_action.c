/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/generate_action.c - Genkit's /util/generate action (the Dev UI's model and prompt runners
 * and `genkit eval` call it) and gk_generate_from_options: GenerateActionOptions, decoded by their
 * descriptor, are mapped onto gk_generate_opts and run by the one generate loop (generate.c);
 * nothing here generates. Middleware by name and resources are rejected with the JSON path that
 * names them: genkit-c has no registry for either. */
#include <stdio.h>
#include <string.h>

#include <genkit/ai.h>

#include "ai/formats.h"
#include "ai/generate.h"
#include "base/banned.h"

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

/* v, or NULL when it is absent or JSON null (a null option means "not given"). */
static const gk_json *given(const gk_json *v)
{
    return v && v->type != GK_JSON_NULL ? v : NULL;
}

/* Check that each of the n parts is a `want` part, and well formed; errors name "<path>/<i>". */
static gk_status check_kinds(const gk_part *parts, size_t n, gk_part_kind want, const char *path,
                             gk_error *err)
{
    for (size_t i = 0; i < n; i++) {
        gk_part_kind k = gk_part_kind_of(&parts[i]);
        if (k == want)
            continue;
        char where[64];
        snprintf(where, sizeof(where), "%s/%zu", path, i);
        return gk_error_set(err, GK_INVALID_ARGUMENT, where, "expected a %s part, got %s",
                            gk_part_kind_name(want), gk_part_kind_name(k));
    }
    return gk_parts_check(parts, n, path, err);
}

static gk_status map_output(const gk_generate_action_output *in, gk_output_opts *out, gk_error *err)
{
    if (in->format && !gk__output_format_from_name(in->format, &out->format))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/format",
                            "unknown output format \"%s\": expected text, json, jsonl, array or "
                            "enum",
                            in->format);
    const gk_json *schema = given(in->json_schema);
    if (schema && schema->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/jsonSchema",
                            "expected a JSON Schema object, got %s", gk_json_type_name(schema));
    out->schema = schema;
    out->content_type = in->content_type;
    /* constrained:false asks for instructions instead of the model's own constrained decoding. */
    out->custom_constrained = in->has_constrained && !in->constrained;
    const gk_json *instr = given(in->instructions);
    if (!instr)
        return GK_OK;
    if (instr->type == GK_JSON_BOOL) {
        /* true is what the loop does anyway: instructions whenever the model cannot constrain. */
        if (!instr->boolean)
            out->instructions = "";
        return GK_OK;
    }
    if (instr->type != GK_JSON_STRING)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/instructions",
                            "expected boolean or string, got %s", gk_json_type_name(instr));
    if (memchr(instr->str, '\0', instr->len))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/instructions",
                            "string must not contain NUL characters");
    out->instructions = instr->str;
    return GK_OK;
}

static gk_status map_resume(const gk_generate_action_resume *in, gk_resume_opts *out, gk_error *err)
{
    gk_status st = check_kinds(in->respond.items, in->respond.count, GK_PART_TOOL_RESPONSE,
                               "/resume/respond", err);
    if (st == GK_OK)
        st = check_kinds(in->restart.items, in->restart.count, GK_PART_TOOL_REQUEST,
                         "/resume/restart", err);
    if (st != GK_OK)
        return st;
    const gk_json *meta = given(in->metadata);
    if (meta && meta->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/resume/metadata", "expected object, got %s",
                            gk_json_type_name(meta));
    out->respond = in->respond.items;
    out->respond_count = in->respond.count;
    out->restart = in->restart.items;
    out->restart_count = in->restart.count;
    out->metadata = meta;
    return GK_OK;
}

/* Map o onto *opts (zeroed first): the one translation between Genkit's options as data and the
 * C options, so /util/generate and gk_generate run the same loop. Arrays are borrowed from o; the
 * NULL-terminated tool list is made in a. */
static gk_status map_options(gk_arena *a, const gk_generate_action_options *o,
                             gk_generate_opts *opts, gk_error *err)
{
    memset(opts, 0, sizeof(*opts));
    if (o->use.count)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/use",
                            "middleware by name (\"%s\") is not supported: genkit-c has no "
                            "middleware registry; C code passes gk_generate_opts.use",
                            o->use.items[0].name ? o->use.items[0].name : "");
    if (o->resources.count)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/resources", "resources are not supported");
    if (!o->messages.count)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/messages", "messages must not be empty");
    opts->model = o->model && o->model[0] ? o->model : NULL;
    opts->messages = o->messages.items;
    opts->message_count = o->messages.count;
    opts->docs = o->docs.items;
    opts->doc_count = o->docs.count;
    if (o->tools.count) {
        const char **names = GK_NEW(a, const char *, o->tools.count + 1);
        if (!names)
            return oom(err);
        for (size_t i = 0; i < o->tools.count; i++) {
            if (!o->tools.items[i] || !o->tools.items[i][0]) {
                char where[32];
                snprintf(where, sizeof(where), "/tools/%zu", i);
                return gk_error_set(err, GK_INVALID_ARGUMENT, where, "tool name is empty");
            }
            names[i] = o->tools.items[i];
        }
        opts->tools = names;
    }
    if (o->has_tool_choice)
        opts->tool_choice = o->tool_choice;
    opts->config = given(o->config);
    if (o->has_output) {
        gk_status st = map_output(&o->output, &opts->output, err);
        if (st != GK_OK)
            return st;
    }
    if (o->has_resume) {
        gk_status st = map_resume(&o->resume, &opts->resume, err);
        if (st != GK_OK)
            return st;
    }
    opts->return_tool_requests = o->has_return_tool_requests && o->return_tool_requests;
    if (o->has_max_turns)
        opts->max_turns = o->max_turns;
    opts->step_name = o->step_name;
    return GK_OK;
}

gk_status gk_generate_from_options(gk_ctx *ctx, gk_genkit *g, const gk_generate_action_options *o,
                                   gk_generate_chunk_fn on_chunk, void *arg,
                                   gk_generate_response *resp, gk_error *err)
{
    memset(resp, 0, sizeof(*resp));
    if (!ctx || !o)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "gk_generate_from_options needs ctx and o");
    gk_generate_opts opts;
    gk_status st = map_options(gk_ctx_arena(ctx), o, &opts, err);
    if (st != GK_OK)
        return st;
    opts.on_chunk = on_chunk;
    opts.chunk_arg = arg;
    return gk__generate(ctx, g, &opts, 0, resp, err);
}

/* ---- the action ---- */

static gk_status send_chunk(const gk_generate_chunk *c, void *arg)
{
    return gk_stream_send(arg, c->chunk, NULL);
}

static gk_status generate_action(gk_ctx *ctx, const void *in, void *out, gk_stream *stream,
                                 void *self, gk_error *err)
{
    (void)self;
    gk_generate_opts opts;
    gk_status st = map_options(gk_ctx_arena(ctx), in, &opts, err);
    if (st != GK_OK)
        return st;
    if (stream) {
        opts.on_chunk = send_chunk;
        opts.chunk_arg = stream;
    }
    /* g NULL: the loop takes the running action's instance. */
    return gk__generate(ctx, NULL, &opts, GK__GENERATE_IN_ACTION_SPAN, out, err);
}

gk_status gk__generate_action_define(gk_genkit *g, gk_error *err)
{
    /* As Genkit JS defines it: no description and no metadata. */
    gk_action_desc d = {
        .type = GK_ACTION_UTIL,
        .name = "generate",
        .in_type = GK_TYPE_OF(gk_generate_action_options),
        .out_type = GK_TYPE_OF(gk_generate_response),
        .chunk_type = GK_TYPE_OF(gk_generate_response_chunk),
        .fn = generate_action,
    };
    gk_error local = {0};
    if (!err)
        err = &local;
    return gk_define_action(g, &d, err) ? GK_OK : err->status;
}
