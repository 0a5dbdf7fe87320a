/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/tools.c - typed tools: GK_DEFINE_TOOL registers /tool/<name> over a typed function with
 * its JSON Schemas computed once; running one tool call for the generate loop (input decoded and
 * output encoded by the tool's descriptors, traced as an action); interrupts and resumed state,
 * found from the tool's context. It does not decide what to do with results: generate.c does. */
#include <string.h>

#include <genkit/ai.h>

#include "ai/tools.h"
#include "core/core.h"
#include "core/registry.h"
#include "schema/schema_cache.h"
#include "base/banned.h"

/* Largest tool output, encoded. */
#define TOOL_OUTPUT_CAP ((size_t)16 << 20)
/* Largest JSON Schema of a tool's input or output. */
#define SCHEMA_CAP ((size_t)1 << 20)

/* A tool defined by GK_DEFINE_TOOL: what its action's self points to (in the instance arena). */
struct tool {
    void (*fn)(void);
    const gk_json *input_schema;
    const gk_json *output_schema;
};

typedef gk_status (*typed_tool_fn)(gk_ctx *, const void *, void *, gk_error *);

/* Calls go through the generic shape, as flows do (docs/decisions/0001-typed-flow-trampolines.md).
 */
static gk_status call_tool(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                           gk_error *err)
{
    (void)stream;
    const struct tool *t = self;
    return ((typed_tool_fn)t->fn)(ctx, in, out, err);
}

/* t's JSON Schema (no "$schema": some providers reject it) as a tree: the process-wide one
 * (schema_cache.h), else written and parsed into a; NULL if over cap. */
static const gk_json *schema_of(gk_arena *a, const gk_type *t)
{
    const gk__schema_doc *doc = gk__schema_cached(t, GK_SCHEMA_NO_META);
    if (doc)
        return doc->tree;
    gk_buf b = GK_BUF_INIT(SCHEMA_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_schema_write_ex(&w, t, GK_SCHEMA_NO_META);
    gk_json *v = NULL;
    if (!gk_buf_failed(&b) && gk_json_parse(a, b.ptr, b.len, NULL, &v, NULL) != GK_OK)
        v = NULL;
    gk_buf_release(&b);
    return v;
}

gk_action *gk__define_tool(gk_genkit *g, const char *name, const char *description,
                           const gk_type *in_type, const gk_type *out_type, void (*fn)(void),
                           gk_error *err)
{
    if (!g || !fn || !in_type || !out_type) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "tool \"%s\" needs a function and types",
                     name ? name : "");
        return NULL;
    }
    if (gk_type_validate(in_type, err) != GK_OK || gk_type_validate(out_type, err) != GK_OK)
        return NULL;
    gk_arena *a = gk__genkit_arena(g);
    struct tool *t = GK_NEW(a, struct tool, 1);
    if (t) {
        t->fn = fn;
        t->input_schema = schema_of(a, in_type);
        t->output_schema = schema_of(a, out_type);
    }
    if (!t || !t->input_schema || !t->output_schema) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory defining tool \"%s\"",
                     name ? name : "");
        return NULL;
    }
    gk_action_desc d = {
        .type = GK_ACTION_TOOL,
        .name = name,
        .description = description,
        .in_type = in_type,
        .out_type = out_type,
        .fn = call_tool,
        .self = t,
    };
    return gk_define_action(g, &d, err);
}

gk_status gk__tool_definition(gk_arena *a, gk_action *tool, gk_tool_definition *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    out->name = gk_action_name(tool);
    out->description = gk_action_description(tool);
    if (tool->fn == call_tool) {
        const struct tool *t = tool->self;
        out->input_schema = t->input_schema;
        out->output_schema = t->output_schema;
        return GK_OK;
    }
    /* A tool defined some other way (gk_define_action): derive the schemas now. */
    out->input_schema = schema_of(a, gk_action_in_type(tool));
    out->output_schema = schema_of(a, gk_action_out_type(tool));
    if (!out->input_schema || !out->output_schema)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    return GK_OK;
}

/* ---- running ---- */

/* The tool calls running on this thread's loop. Fibers of one loop share the thread, so this is
 * the loop's list; a call is found by the context its tool was given, which is unique to it. */
static _Thread_local struct gk__tool_call *active;

static void activate(struct gk__tool_call *call, gk_ctx *ctx)
{
    call->ctx = ctx;
    call->next_active = active;
    active = call;
}

static void deactivate(struct gk__tool_call *call)
{
    for (struct gk__tool_call **p = &active; *p; p = &(*p)->next_active) {
        if (*p == call) {
            *p = call->next_active;
            break;
        }
    }
    call->ctx = NULL;
    call->next_active = NULL;
}

static struct gk__tool_call *find_active(const gk_ctx *ctx)
{
    for (struct gk__tool_call *c = active; c; c = c->next_active) {
        if (c->ctx == ctx)
            return c;
    }
    return NULL;
}

gk_status gk__tool_run(gk_ctx *ctx, struct gk__tool_call *call)
{
    gk_error_clear(&call->err);
    call->output = NULL;
    call->interrupted = false;
    call->interrupt_meta = NULL;
    if (!call->action) {
        call->status = gk_error_set(&call->err, GK_NOT_FOUND, "",
                                    "tool \"%s\" is not available: it was not offered", call->name);
        return call->status;
    }
    gk_buf b = GK_BUF_INIT(TOOL_OUTPUT_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    activate(call, ctx);
    gk_status st = gk_action_run_json(ctx, call->action, call->input, NULL, NULL, &w, &call->err);
    deactivate(call);
    if (call->interrupted) {
        gk_error_clear(&call->err);
        st = GK_OK;
    } else if (st == GK_OK && gk_buf_failed(&b)) {
        st = gk_error_set(&call->err, GK_RESOURCE_EXHAUSTED, "",
                          "tool \"%s\" output is larger than %zu bytes", call->name,
                          TOOL_OUTPUT_CAP);
    } else if (st == GK_OK) {
        gk_json *v = NULL;
        st = gk_json_parse(gk_ctx_arena(ctx), b.ptr, b.len, NULL, &v, &call->err);
        call->output = v;
    }
    gk_buf_release(&b);
    call->status = st;
    return st;
}

gk_status gk_tool_interrupt(gk_ctx *ctx, const char *metadata_json, gk_error *err)
{
    struct gk__tool_call *call = find_active(ctx);
    if (!call)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                            "gk_tool_interrupt called outside a tool run by gk_generate");
    gk_arena *a = gk_ctx_arena(ctx);
    gk_json *meta = NULL;
    if (metadata_json) {
        gk_status st = gk_json_parse(a, metadata_json, strlen(metadata_json), NULL, &meta, err);
        if (st != GK_OK)
            return st;
        if (meta->type != GK_JSON_OBJECT)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "interrupt metadata must be a JSON object, got %s",
                                gk_json_type_name(meta));
    } else {
        meta = gk_json_new_bool(a, true);
        if (!meta)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    }
    call->interrupted = true;
    call->interrupt_meta = meta;
    return gk_error_set(err, GK_ABORTED, "", "tool \"%s\" interrupted", call->name);
}

const gk_json *gk_tool_resumed(gk_ctx *ctx)
{
    const struct gk__tool_call *call = find_active(ctx);
    return call ? call->resumed : NULL;
}

gk_status gk_tool_respond(const gk_part *interrupt, const gk_json *output, gk_part *out,
                          gk_error *err)
{
    static const gk_json yes = {.type = GK_JSON_BOOL,
                                .boolean = true,
                                .key = "interruptResponse",
                                .key_len = sizeof("interruptResponse") - 1};
    static const gk_json meta = {
        .type = GK_JSON_OBJECT, .count = 1, .len = 1, .items = (gk_json *)&yes};
    if (!interrupt || !interrupt->has_tool_request)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "gk_tool_respond needs a toolRequest part");
    *out = gk_part_tool_response(interrupt->tool_request.name, interrupt->tool_request.ref, output);
    out->metadata = &meta;
    return GK_OK;
}
