/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/generate.c - the generate loop (Genkit's /util/generate): resolve the model, tools and
 * output format; build the model request (format instructions when the model cannot constrain
 * natively); call the model through the middleware chain, streaming renumbered chunks with the
 * partial output parsed; run each turn's tool requests concurrently and call the model again,
 * until it answers, a tool interrupts, or max_turns is reached; resume after interrupts; parse and
 * decode the final output. Each turn runs in a "generate" span (type util) nested in the previous
 * turn's; model calls and tool runs are actions, so their spans are the turn's children. The
 * /util/generate action itself is generate_action.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/ai.h>
#include <genkit/middleware.h>

#include "ai/formats.h"
#include "ai/generate.h"
#include "ai/tools.h"
#include "core/core.h"
#include "core/registry.h"
#include "schema/schema_cache.h"
#include "telemetry/trace.h"
#include "base/banned.h"

#define DEFAULT_MAX_TURNS 5
/* Largest accumulated text of one streamed message, and of one encoded request. */
#define STREAM_TEXT_CAP ((size_t)16 << 20)
#define REQUEST_CAP     ((size_t)64 << 20)
/* How much of a bad reply an error message quotes. */
#define QUOTE_MAX 80

/* The span of one model turn, in a list from the innermost (latest) turn outwards. */
struct turn_span {
    gk__span *span;
    struct turn_span *outer;
};

/* One generate call. Invariants: req holds the conversation sent to the model so far; acc is the
 * text of the message being streamed (index msg_index); emitted counts the jsonl/array items of
 * that message already given to the chunk callback; turn lists the turn spans still open, each
 * nested in the next (NULL when nothing is traced). */
struct gen {
    gk_ctx *ctx;
    gk_genkit *g;
    gk_arena *a;
    const gk_generate_opts *opts;
    const char *model;
    gk_output_format format;
    const gk_json *schema;      /* output schema (sent, or in the instructions), or NULL */
    const gk_json *enum_values; /* enum format: the allowed values, or NULL */
    gk_action **tools;
    size_t ntools;
    int max_turns;
    gk_generate_request req;
    gk_generate_chunk_fn on_chunk;
    void *chunk_arg;
    int32_t msg_index;
    gk_buf acc;
    int32_t acc_index;
    size_t emitted;
    struct turn_span *turn;
};

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

/* ---- small JSON helpers ---- */

static gk_json *json_true(gk_arena *a)
{
    return gk_json_new_bool(a, true);
}

/* A shallow copy of object base (or a new object when base is not one) without the members named
 * drop1/drop2 (may be NULL), with key set to v when key is not NULL. NULL if over cap. */
static gk_json *meta_edit(gk_arena *a, const gk_json *base, const char *drop1, const char *drop2,
                          const char *key, const gk_json *v)
{
    gk_json *o = gk_json_new_object(a);
    if (!o)
        return NULL;
    for (size_t i = 0; base && base->type == GK_JSON_OBJECT && i < base->count; i++) {
        const gk_json *m = &base->items[i];
        if ((drop1 && strcmp(m->key, drop1) == 0) || (drop2 && strcmp(m->key, drop2) == 0))
            continue;
        if (!gk_json_object_set(a, o, m->key, m))
            return NULL;
    }
    if (key && !gk_json_object_set(a, o, key, v))
        return NULL;
    return o;
}

static const gk_json *meta_get(const gk_part *p, const char *key)
{
    return p->metadata && p->metadata->type == GK_JSON_OBJECT ? gk_json_get(p->metadata, key)
                                                              : NULL;
}

static bool str_eq(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

/* ---- resolving ---- */

static gk_status resolve_model(struct gen *gn, gk_action **model, gk_error *err)
{
    const char *name = gn->opts->model;
    if (!name || !name[0])
        name = gk__genkit_default_model(gn->g);
    if (!name || !name[0])
        name = getenv("GK_MODEL");
    if ((!name || !name[0]) && gk_lookup(gn->g, GK_ACTION_MODEL, "local/default"))
        name = "local/default";
    if (!name || !name[0])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "no model: set gk_generate_opts.model, gk_init_opts.default_model or "
                            "$GK_MODEL (\"provider/model\"), or load the local plugin");
    *model = gk_lookup(gn->g, GK_ACTION_MODEL, name);
    if (!*model)
        return gk_error_set(err, GK_NOT_FOUND, "",
                            "model \"%s\" not found: is its plugin in gk_init_opts.plugins?", name);
    gn->model = name;
    return GK_OK;
}

/* path names the tool in opts.tools ("/tools/1"), or is "" for opts.tool_actions. */
static gk_status add_tool(struct gen *gn, gk_action *t, size_t cap, const char *path, gk_error *err)
{
    for (size_t i = 0; i < gn->ntools; i++) {
        if (gn->tools[i] == t)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "tool \"%s\" is listed twice",
                                gk_action_name(t));
    }
    if (gn->ntools == cap)
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "too many tools");
    gn->tools[gn->ntools++] = t;
    return GK_OK;
}

static gk_status resolve_tools(struct gen *gn, gk_error *err)
{
    size_t cap = 0;
    for (const char *const *n = gn->opts->tools; n && *n; n++)
        cap++;
    for (gk_action *const *t = gn->opts->tool_actions; t && *t; t++)
        cap++;
    if (cap == 0)
        return GK_OK;
    gn->tools = GK_NEW(gn->a, gk_action *, cap);
    if (!gn->tools)
        return oom(err);
    for (const char *const *n = gn->opts->tools; n && *n; n++) {
        const char *name = *n;
        char path[32];
        snprintf(path, sizeof(path), "/tools/%zu", (size_t)(n - gn->opts->tools));
        gk_action *t =
            name[0] == '/' ? gk_lookup_action(gn->g, name) : gk_lookup(gn->g, GK_ACTION_TOOL, name);
        if (!t || gk_action_get_type(t) != GK_ACTION_TOOL)
            return gk_error_set(err, GK_NOT_FOUND, path, "tool \"%s\" not found", name);
        gk_status st = add_tool(gn, t, cap, path, err);
        if (st != GK_OK)
            return st;
    }
    for (gk_action *const *t = gn->opts->tool_actions; t && *t; t++) {
        if (gk_action_get_type(*t) != GK_ACTION_TOOL)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "action \"%s\" is not a tool",
                                gk_action_key(*t));
        gk_status st = add_tool(gn, *t, cap, "", err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

static gk_action *find_tool(const struct gen *gn, const char *name)
{
    for (size_t i = 0; name && i < gn->ntools; i++) {
        if (strcmp(gk_action_name(gn->tools[i]), name) == 0)
            return gn->tools[i];
    }
    return NULL;
}

static gk_status parse_json_opt(gk_arena *a, const char *text, const char *path,
                                const gk_json **out, gk_error *err)
{
    gk_json *v = NULL;
    gk_status st = gk_json_parse(a, text, strlen(text), NULL, &v, err);
    if (st != GK_OK) {
        if (err)
            gk_error_prefix_path(err, path);
        return st;
    }
    *out = v;
    return GK_OK;
}

/* t's JSON Schema (no "$schema") as a tree: made once per process and shared (schema_cache.h),
 * or written and parsed into the request arena when the cache cannot hold it. */
static gk_status type_schema(struct gen *gn, const gk_type *t, const gk_json **out, gk_error *err)
{
    const gk__schema_doc *doc = gk__schema_cached(t, GK_SCHEMA_NO_META);
    if (doc) {
        *out = doc->tree;
        return GK_OK;
    }
    gk_buf b = GK_BUF_INIT(REQUEST_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_schema_write_ex(&w, t, GK_SCHEMA_NO_META);
    gk_json *v = NULL;
    gk_status st = gk_buf_failed(&b) ? oom(err) : gk_json_parse(gn->a, b.ptr, b.len, NULL, &v, err);
    gk_buf_release(&b);
    *out = v;
    return st;
}

/* The output schema (from the type, text or value) and the format. */
static gk_status resolve_output(struct gen *gn, gk_error *err)
{
    const gk_output_opts *o = &gn->opts->output;
    if ((unsigned)o->format > GK_FORMAT_ENUM)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/format", "unknown output format %d",
                            (int)o->format);
    if (o->type) {
        gk_status st = type_schema(gn, o->type, &gn->schema, err);
        if (st != GK_OK)
            return st;
    } else if (o->schema_json) {
        gk_status st = parse_json_opt(gn->a, o->schema_json, "/output/schema", &gn->schema, err);
        if (st != GK_OK)
            return st;
    } else {
        gn->schema = o->schema;
    }
    gn->format = o->format;
    if (gn->format == GK_FORMAT_DEFAULT)
        gn->format = gn->schema ? GK_FORMAT_JSON : GK_FORMAT_TEXT;
    if (gn->format == GK_FORMAT_ENUM) {
        if (o->enum_values) {
            /* {"type":"string","enum":[...]} from the listed values. */
            gk_json *values = gk_json_new_array(gn->a);
            gk_json *schema = gk_json_new_object(gn->a);
            gk_json *type = gk_json_new_string(gn->a, "string", 6);
            if (!values || !schema || !type || !gk_json_object_set(gn->a, schema, "type", type))
                return oom(err);
            for (const char *const *v = o->enum_values; *v; v++) {
                gk_json *s = gk_json_new_string(gn->a, *v, strlen(*v));
                if (!s || !gk_json_array_push(gn->a, values, s))
                    return oom(err);
            }
            if (!gk_json_object_set(gn->a, schema, "enum", values))
                return oom(err);
            gn->schema = schema;
        }
        gn->enum_values = gk__output_enum_values(gn->schema);
        if (!gn->enum_values)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/output",
                                "enum output needs enum_values or a schema with \"enum\"");
    }
    if ((gn->format == GK_FORMAT_JSONL || gn->format == GK_FORMAT_ARRAY) && gn->schema &&
        !gk__output_items_schema(gn->schema))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/schema",
                            "%s output needs an array schema ({\"type\":\"array\",\"items\":...})",
                            gk_output_format_name(gn->format));
    return GK_OK;
}

/* Whether the model constrains output natively for this request (its metadata, as
 * gk_model_metadata_write records it). */
static bool model_constrains(const gk_action *model, size_t ntools)
{
    const char *meta = gk_action_metadata(model);
    if (strstr(meta, "\"constrained\":\"all\""))
        return true;
    return ntools == 0 && strstr(meta, "\"constrained\":\"no-tools\"") != NULL;
}

/* ---- building the request ---- */

static bool has_output_part(const gk_message *m)
{
    for (size_t i = 0; i < m->content.count; i++) {
        const gk_json *p = meta_get(&m->content.items[i], "purpose");
        if (p && p->type == GK_JSON_STRING && strcmp(p->str, "output") == 0)
            return true;
    }
    return false;
}

/* Append the format instructions as a text part {"purpose":"output"} to the system message, else
 * the last user message (copying that message's parts: they may be the caller's). */
static gk_status add_instructions(struct gen *gn, const char *text, gk_error *err)
{
    gk_message *target = NULL;
    for (size_t i = 0; i < gn->req.messages.count && !target; i++) {
        if (gn->req.messages.items[i].role == GK_ROLE_SYSTEM)
            target = &gn->req.messages.items[i];
    }
    for (size_t i = gn->req.messages.count; i-- > 0 && !target;) {
        if (gn->req.messages.items[i].role == GK_ROLE_USER)
            target = &gn->req.messages.items[i];
    }
    if (!target || has_output_part(target))
        return GK_OK;
    gk_part *parts = GK_NEW(gn->a, gk_part, target->content.count + 1);
    gk_json *meta = gk_json_new_object(gn->a);
    gk_json *purpose = gk_json_new_string(gn->a, "output", 6);
    if (!parts || !meta || !purpose || !gk_json_object_set(gn->a, meta, "purpose", purpose))
        return oom(err);
    if (target->content.count)
        memcpy(parts, target->content.items, target->content.count * sizeof(gk_part));
    parts[target->content.count] = gk_part_text(text);
    parts[target->content.count].metadata = meta;
    target->content.items = parts;
    target->content.count++;
    return GK_OK;
}

static gk_status build_output(struct gen *gn, const gk_action *model, gk_error *err)
{
    const gk_output_opts *o = &gn->opts->output;
    gk_output_config *oc = &gn->req.output;
    if (gn->format == GK_FORMAT_TEXT && !gn->schema && !o->instructions && !o->content_type)
        return GK_OK;
    gn->req.has_output = true;
    oc->format = gk_output_format_name(gn->format);
    oc->content_type = o->content_type ? o->content_type : gk__output_content_type(gn->format);
    bool want_native =
        gn->schema && !o->custom_constrained && !o->instructions && gn->format != GK_FORMAT_TEXT;
    if (want_native && model_constrains(model, gn->ntools)) {
        oc->schema = gn->schema;
        oc->constrained = true;
        oc->has_constrained = true;
        return GK_OK;
    }
    const char *text = o->instructions;
    if (!text) {
        gk_buf b = GK_BUF_INIT(REQUEST_CAP);
        gk_output_instructions(&b, gn->format, gn->schema, o->enum_values);
        if (gk_buf_failed(&b)) {
            gk_buf_release(&b);
            return oom(err);
        }
        text = b.len ? gk_arena_strndup(gn->a, b.ptr, b.len) : "";
        gk_buf_release(&b);
        if (!text)
            return oom(err);
    }
    if (!text[0])
        return GK_OK;
    return add_instructions(gn, text, err);
}

static gk_status build_request(struct gen *gn, const gk_action *model, gk_error *err)
{
    const gk_generate_opts *o = gn->opts;
    gk_generate_request *req = &gn->req;
    size_t n = o->message_count + (o->system ? 1 : 0) + (o->prompt || o->prompt_part_count);
    if (n == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "nothing to send: give a prompt, prompt_parts or messages");
    if (o->message_count && !o->messages)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/messages",
                            "message_count is %zu but messages is NULL", o->message_count);
    /* Room for the tool loop's messages: two per turn, grown later as needed. */
    req->messages.items = GK_NEW(gn->a, gk_message, n);
    if (!req->messages.items)
        return oom(err);
    if (o->system) {
        gk_status st = gk_message_text_init(gn->a, &req->messages.items[req->messages.count++],
                                            GK_ROLE_SYSTEM, o->system);
        if (st != GK_OK)
            return oom(err);
    }
    for (size_t i = 0; i < o->message_count; i++)
        req->messages.items[req->messages.count++] = o->messages[i];
    if (o->prompt || o->prompt_part_count) {
        gk_message *m = &req->messages.items[req->messages.count++];
        m->role = GK_ROLE_USER;
        size_t np = o->prompt_part_count + (o->prompt ? 1 : 0);
        gk_part *parts = GK_NEW(gn->a, gk_part, np);
        if (!parts)
            return oom(err);
        size_t k = 0;
        if (o->prompt) {
            const char *copy = gk_arena_strdup(gn->a, o->prompt);
            if (!copy)
                return oom(err);
            parts[k++] = gk_part_text(copy);
        }
        for (size_t i = 0; i < o->prompt_part_count; i++)
            parts[k++] = o->prompt_parts[i];
        m->content.items = parts;
        m->content.count = k;
    }
    if (o->config_json) {
        gk_status st = parse_json_opt(gn->a, o->config_json, "/config", &req->config, err);
        if (st != GK_OK)
            return st;
    } else {
        req->config = o->config;
    }
    if (o->doc_count) {
        req->docs.items = (gk_document *)o->docs;
        req->docs.count = o->doc_count;
    }
    if (o->tool_choice != GK_TOOL_CHOICE_AUTO) {
        req->tool_choice = o->tool_choice;
        req->has_tool_choice = true;
    }
    if (gn->ntools) {
        req->tools.items = GK_NEW(gn->a, gk_tool_definition, gn->ntools);
        if (!req->tools.items)
            return oom(err);
        req->tools.count = gn->ntools;
        for (size_t i = 0; i < gn->ntools; i++) {
            gk_status st = gk__tool_definition(gn->a, gn->tools[i], &req->tools.items[i], err);
            if (st != GK_OK)
                return st;
        }
    }
    gk_status st = gk_generate_request_check(req, err);
    if (st != GK_OK)
        return st;
    return build_output(gn, model, err);
}

/* ---- streaming ---- */

static gk_status emit(struct gen *gn, const gk_generate_response_chunk *chunk, const char *text,
                      const gk_json *output)
{
    gk_generate_chunk c = {.chunk = chunk, .text = text ? text : "", .output = output};
    return gn->on_chunk(&c, gn->chunk_arg);
}

/* The partial output of the text streamed so far, as the chunk callback gets it. */
static const gk_json *partial_output(struct gen *gn)
{
    const gk_json *v = NULL;
    const char *text = gn->acc.ptr ? gn->acc.ptr : "";
    if (gn->format != GK_FORMAT_JSON && gn->format != GK_FORMAT_JSONL &&
        gn->format != GK_FORMAT_ARRAY)
        return NULL;
    if (gk_output_parse(gn->a, gn->format, text, gn->acc.len, true, &v, NULL) != GK_OK || !v)
        return NULL;
    if (gn->format == GK_FORMAT_JSON)
        return v;
    /* jsonl and array: only the items this chunk completed. */
    if (v->type != GK_JSON_ARRAY || v->count <= gn->emitted)
        return NULL;
    gk_json *fresh = gk_json_new_array(gn->a);
    if (!fresh)
        return NULL;
    fresh->items = v->items + gn->emitted;
    fresh->count = v->count - gn->emitted;
    fresh->len = fresh->count;
    gn->emitted = v->count;
    return fresh;
}

static gk_status relay_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct gen *gn = arg;
    if (gn->acc_index != gn->msg_index) {
        gk_buf_reset(&gn->acc);
        gn->acc_index = gn->msg_index;
        gn->emitted = 0;
    }
    for (size_t i = 0; i < chunk->content.count; i++) {
        const char *t = chunk->content.items[i].text;
        if (t)
            gk_buf_puts(&gn->acc, t);
    }
    if (gk_buf_failed(&gn->acc))
        return GK_RESOURCE_EXHAUSTED;
    gk_generate_response_chunk c = *chunk;
    c.index = gn->msg_index;
    c.has_index = true;
    if (!c.has_role) {
        c.role = GK_ROLE_MODEL;
        c.has_role = true;
    }
    return emit(gn, &c, gn->acc.ptr, partial_output(gn));
}

/* ---- calling the model ---- */

/* The one place the model is called: through the caller's middleware chain (opts->use). */
static gk_status call_model(struct gen *gn, gk_generate_response *resp, gk_error *err)
{
    gk_status st = gk_model_call_mw(gn->ctx, gn->g, gn->model, gn->opts->use, &gn->req,
                                    gn->on_chunk ? relay_chunk : NULL, gn, resp, err);
    gn->msg_index++;
    return st;
}

/* Give every tool request of m a ref ("0", "1", ... by part position) when the model sent none,
 * so responses can be matched on resume. Copies m's parts first (they may be the model's). */
static gk_status ensure_refs(gk_arena *a, gk_message *m, gk_error *err)
{
    bool missing = false;
    for (size_t i = 0; i < m->content.count; i++) {
        const gk_part *p = &m->content.items[i];
        if (p->has_tool_request && !p->tool_request.ref)
            missing = true;
    }
    if (!missing)
        return GK_OK;
    gk_part *parts = GK_NEW(a, gk_part, m->content.count);
    if (!parts)
        return oom(err);
    memcpy(parts, m->content.items, m->content.count * sizeof(gk_part));
    for (size_t i = 0; i < m->content.count; i++) {
        if (parts[i].has_tool_request && !parts[i].tool_request.ref) {
            parts[i].tool_request.ref = gk_arena_sprintf(a, "%zu", i);
            if (!parts[i].tool_request.ref)
                return oom(err);
        }
    }
    m->content.items = parts;
    return GK_OK;
}

/* ---- running tools ---- */

struct branch {
    struct gk__tool_call *call;
    gk_tool_error_policy policy;
};

static gk_status tool_branch(gk_ctx *ctx, void *arg, gk_error *err)
{
    struct branch *b = arg;
    gk_status st = gk__tool_run(ctx, b->call);
    if (st != GK_OK && b->policy == GK_TOOL_ERRORS_ABORT) {
        if (err)
            *err = b->call->err;
        return st;
    }
    return GK_OK;
}

/* Run the n calls: all at once in their own fibers when there are several or a per-turn timeout,
 * else inline. Returns the abort policy's failure or ctx's end; tool failures are in the calls. */
static gk_status run_calls(struct gen *gn, struct gk__tool_call *calls, size_t n, gk_error *err)
{
    gk_tool_error_policy policy = gn->opts->tool_errors;
    if (n == 1 && gn->opts->tool_timeout_ms <= 0) {
        gk__tool_run(gn->ctx, &calls[0]);
    } else {
        gk_group_opts go = {.timeout_ms = gn->opts->tool_timeout_ms,
                            .cancel_on_error = policy == GK_TOOL_ERRORS_ABORT};
        gk_group *grp = gk_group_new(gn->ctx, &go);
        struct branch *br = GK_NEW(gn->a, struct branch, n);
        if (!grp || !br)
            return oom(err);
        gk_status st = GK_OK;
        for (size_t i = 0; i < n && st == GK_OK; i++) {
            br[i] = (struct branch){&calls[i], policy};
            st = gk_go(grp, tool_branch, &br[i]);
        }
        gk_error ignored = {0};
        gk_group_wait(grp, &ignored);
        if (st != GK_OK)
            return gk_error_set(err, st, "", "could not start the tool calls");
    }
    gk_status st = gk_ctx_status(gn->ctx);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "%s while tools ran",
                            st == GK_DEADLINE_EXCEEDED ? "deadline exceeded" : "cancelled");
    if (policy == GK_TOOL_ERRORS_ABORT) {
        for (size_t i = 0; i < n; i++) {
            if (calls[i].status != GK_OK) {
                gk_error_set(err, calls[i].status, calls[i].err.path, "tool \"%s\" failed: %s",
                             calls[i].name, calls[i].err.message);
                return calls[i].status;
            }
        }
    }
    return GK_OK;
}

/* The toolResponse part for a finished call: its output, or {"error": "..."} when it failed. */
static gk_status response_part(gk_arena *a, const gk_tool_request *tr,
                               const struct gk__tool_call *call, gk_part *out, gk_error *err)
{
    const gk_json *output = call->output;
    if (call->status != GK_OK) {
        gk_json *o = gk_json_new_object(a);
        gk_json *msg = gk_json_new_string(a, call->err.message, strlen(call->err.message));
        if (!o || !msg || !gk_json_object_set(a, o, "error", msg))
            return oom(err);
        output = o;
    }
    *out = gk_part_tool_response(tr->name, tr->ref, output);
    return GK_OK;
}

/* Append a message to the conversation, and stream it when it is a tool message. */
static gk_status append_message(struct gen *gn, const gk_message *m, gk_error *err)
{
    if (gk_request_add_message(gn->a, &gn->req, m) != GK_OK)
        return oom(err);
    if (m->role != GK_ROLE_TOOL || !gn->on_chunk) {
        return GK_OK;
    }
    gk_generate_response_chunk c = {.role = GK_ROLE_TOOL,
                                    .has_role = true,
                                    .index = gn->msg_index,
                                    .has_index = true,
                                    .content = {m->content.items, m->content.count}};
    gn->msg_index++;
    gk_status st = emit(gn, &c, "", NULL);
    if (st != GK_OK)
        return gk_error_set(err, st, "", "stream receiver is gone");
    return GK_OK;
}

/*
 * Run the tool requests of the model message m (one turn). On an interrupt, rewrite resp as the
 * interrupted response and set *interrupted; else append m and the tool message to the request.
 */
static gk_status run_turn(struct gen *gn, gk_generate_response *resp, bool *interrupted,
                          gk_error *err)
{
    gk_message *m = &resp->message;
    size_t n = 0;
    for (size_t i = 0; i < m->content.count; i++)
        n += m->content.items[i].has_tool_request;
    struct gk__tool_call *calls = GK_NEW(gn->a, struct gk__tool_call, n);
    size_t *at = GK_NEW(gn->a, size_t, n);
    if (!calls || !at)
        return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < m->content.count; i++) {
        const gk_part *p = &m->content.items[i];
        if (!p->has_tool_request)
            continue;
        at[k] = i;
        calls[k].name = p->tool_request.name;
        calls[k].action = find_tool(gn, p->tool_request.name);
        calls[k].input = p->tool_request.input;
        if (!calls[k].action && gn->opts->tool_errors == GK_TOOL_ERRORS_ABORT)
            return gk_error_set(err, GK_NOT_FOUND, "",
                                "model requested tool \"%s\", which was not offered",
                                p->tool_request.name ? p->tool_request.name : "");
        k++;
    }
    gk_status st = run_calls(gn, calls, n, err);
    if (st != GK_OK)
        return st;
    bool any_interrupt = false;
    for (size_t i = 0; i < n; i++)
        any_interrupt |= calls[i].interrupted;
    if (any_interrupt) {
        /* The model message comes back with the pending requests marked. */
        gk_part *parts = GK_NEW(gn->a, gk_part, m->content.count);
        if (!parts)
            return oom(err);
        memcpy(parts, m->content.items, m->content.count * sizeof(gk_part));
        for (size_t i = 0; i < n; i++) {
            gk_part *p = &parts[at[i]];
            if (calls[i].interrupted)
                p->metadata =
                    meta_edit(gn->a, p->metadata, NULL, NULL, "interrupt", calls[i].interrupt_meta);
            else if (calls[i].status == GK_OK)
                p->metadata =
                    meta_edit(gn->a, p->metadata, NULL, NULL, "pendingOutput", calls[i].output);
            else
                continue;
            if (!p->metadata)
                return oom(err);
        }
        m->content.items = parts;
        resp->finish_reason = GK_FINISH_INTERRUPTED;
        resp->finish_message = "One or more tool calls resulted in interrupts.";
        *interrupted = true;
        return GK_OK;
    }
    gk_message tool = {.role = GK_ROLE_TOOL};
    tool.content.items = GK_NEW(gn->a, gk_part, n);
    if (!tool.content.items)
        return oom(err);
    tool.content.count = n;
    for (size_t i = 0; i < n; i++) {
        st = response_part(gn->a, &m->content.items[at[i]].tool_request, &calls[i],
                           &tool.content.items[i], err);
        if (st != GK_OK)
            return st;
    }
    st = append_message(gn, m, err);
    if (st == GK_OK)
        st = append_message(gn, &tool, err);
    return st;
}

/* ---- resume ---- */

static const gk_part *find_answer(const gk_part *parts, size_t n, bool response,
                                  const gk_tool_request *tr)
{
    for (size_t i = 0; i < n; i++) {
        const gk_part *p = &parts[i];
        if (response && p->has_tool_response && str_eq(p->tool_response.name, tr->name) &&
            str_eq(p->tool_response.ref, tr->ref))
            return p;
        if (!response && p->has_tool_request && str_eq(p->tool_request.name, tr->name) &&
            str_eq(p->tool_request.ref, tr->ref))
            return p;
    }
    return NULL;
}

/* Answer every tool request of the last (model) message from resume.respond, resume.restart and
 * pending outputs, then append the tool message. */
static gk_status resume(struct gen *gn, gk_error *err)
{
    const gk_resume_opts *r = &gn->opts->resume;
    gk_arena *a = gn->a;
    gk_message *last =
        gn->req.messages.count ? &gn->req.messages.items[gn->req.messages.count - 1] : NULL;
    size_t n = 0;
    for (size_t i = 0; last && i < last->content.count; i++)
        n += last->content.items[i].has_tool_request;
    if (!last || last->role != GK_ROLE_MODEL || n == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/resume",
                            "cannot resume: the last message must be a model message with tool "
                            "requests (pass the interrupted response's history as messages)");
    const gk_json *resumed = NULL;
    if (r->metadata_json) {
        gk_status st = parse_json_opt(a, r->metadata_json, "/resume/metadata", &resumed, err);
        if (st != GK_OK)
            return st;
    } else {
        resumed = r->metadata ? r->metadata : json_true(a);
    }
    gk_part *model_parts = GK_NEW(a, gk_part, last->content.count);
    gk_message tool = {.role = GK_ROLE_TOOL};
    tool.content.items = GK_NEW(a, gk_part, n);
    struct gk__tool_call *calls = GK_NEW(a, struct gk__tool_call, n);
    size_t *slot = GK_NEW(a, size_t, n);
    if (!model_parts || !tool.content.items || !calls || !resumed || !slot)
        return oom(err);
    memcpy(model_parts, last->content.items, last->content.count * sizeof(gk_part));
    size_t nrun = 0;
    for (size_t i = 0; i < last->content.count; i++) {
        gk_part *p = &model_parts[i];
        if (!p->has_tool_request)
            continue;
        const gk_tool_request *tr = &p->tool_request;
        gk_part *out = &tool.content.items[tool.content.count++];
        const gk_json *pending = meta_get(p, "pendingOutput");
        const gk_json *interrupt = meta_get(p, "interrupt");
        const gk_part *answer = find_answer(r->respond, r->respond_count, true, tr);
        const gk_part *restart =
            answer ? NULL : find_answer(r->restart, r->restart_count, false, tr);
        if (pending) {
            gk_json *src = gk_json_new_string(a, "pending", 7);
            *out = gk_part_tool_response(tr->name, tr->ref, pending);
            out->metadata = src ? meta_edit(a, NULL, NULL, NULL, "source", src) : NULL;
            if (!out->metadata)
                return oom(err);
        } else if (answer) {
            *out = *answer;
            if (!meta_get(out, "interruptResponse")) {
                out->metadata =
                    meta_edit(a, out->metadata, NULL, NULL, "interruptResponse", json_true(a));
                if (!out->metadata)
                    return oom(err);
            }
        } else if (restart) {
            struct gk__tool_call *c = &calls[nrun];
            c->name = tr->name;
            c->action = find_tool(gn, tr->name);
            c->input = restart->tool_request.input ? restart->tool_request.input : tr->input;
            c->resumed = resumed;
            slot[nrun++] = tool.content.count - 1;
        } else {
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/resume",
                                "tool request \"%s\" (ref \"%s\") has no response: resume must "
                                "respond to or restart every interrupted request",
                                tr->name ? tr->name : "", tr->ref ? tr->ref : "");
        }
        if (interrupt || pending) {
            /* Genkit marks the request resolved: "interrupt" becomes "resolvedInterrupt". */
            gk_json *meta = meta_edit(a, p->metadata, "interrupt", "pendingOutput",
                                      interrupt ? "resolvedInterrupt" : NULL, interrupt);
            if (!meta)
                return oom(err);
            p->metadata = meta->count ? meta : NULL;
        }
    }
    gk_status st = run_calls(gn, calls, nrun, err);
    if (st != GK_OK)
        return st;
    for (size_t i = 0; i < nrun; i++) {
        if (calls[i].interrupted)
            return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                                "tool \"%s\" interrupted again while being restarted",
                                calls[i].name);
        gk_part *out = &tool.content.items[slot[i]];
        const gk_part *orig = NULL;
        for (size_t j = 0, seen = 0; j < last->content.count; j++) {
            if (model_parts[j].has_tool_request && seen++ == slot[i])
                orig = &model_parts[j];
        }
        st = response_part(a, &orig->tool_request, &calls[i], out, err);
        if (st != GK_OK)
            return st;
    }
    last->content.items = model_parts;
    return append_message(gn, &tool, err);
}

/* ---- output ---- */

static const char *quote(gk_arena *a, const char *text)
{
    size_t n = strlen(text);
    if (n <= QUOTE_MAX)
        return text;
    /* Cut on a character boundary. */
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
        n--;
    const char *s = gk_arena_sprintf(a, "%.*s...", (int)n, text);
    return s ? s : "";
}

/* Parse the final reply per format; with output.type (or decode_type), decode it into decode_out
 * (scratch when NULL) so a mismatch is reported with its path. */
static gk_status check_output(struct gen *gn, const gk_generate_response *resp,
                              const gk_type *decode_type, void *decode_out, gk_error *err)
{
    if (gn->format == GK_FORMAT_TEXT && !decode_type)
        return GK_OK;
    const char *text = gk_response_text(gn->a, resp);
    if (!text)
        return oom(err);
    const gk_json *v = NULL;
    gk_error e = {0};
    gk_status st = gk_output_parse(gn->a, gn->format, text, strlen(text), false, &v, &e);
    if (st == GK_RESOURCE_EXHAUSTED)
        return oom(err);
    if (st != GK_OK)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "model output is not valid %s: %s (output: \"%s\")",
                            gk_output_format_name(gn->format), e.message, quote(gn->a, text));
    if (gn->format == GK_FORMAT_ENUM && gn->enum_values) {
        bool found = false;
        for (size_t i = 0; i < gn->enum_values->count && !found; i++) {
            const gk_json *ev = &gn->enum_values->items[i];
            found = ev->type == GK_JSON_STRING && ev->len == v->len &&
                    memcmp(ev->str, v->str, v->len) == 0;
        }
        if (!found)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "model output \"%s\" is not one of the enum values",
                                quote(gn->a, v->str));
    }
    const gk_type *t = decode_type ? decode_type : gn->opts->output.type;
    if (!t)
        return GK_OK;
    void *out = decode_out ? decode_out : gk_arena_alloc(gn->a, gk_type_size(t));
    if (!out)
        return oom(err);
    st = gk_decode(gn->a, t, v, out, &e);
    if (st == GK_RESOURCE_EXHAUSTED)
        return oom(err);
    if (st != GK_OK)
        return gk_error_set(err, GK_INVALID_ARGUMENT, e.path,
                            "model output does not match %s at \"%s\": %s (output: \"%s\")",
                            gk_type_name(t), e.path, e.message, quote(gn->a, text));
    return GK_OK;
}

/* Record the last request in resp->request (as JSON), for gk_response_history. */
static gk_status keep_request(struct gen *gn, gk_generate_response *resp, gk_error *err)
{
    gk_buf b = GK_BUF_INIT(REQUEST_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, GK_TYPE_OF(gk_generate_request), &gn->req);
    gk_json *v = NULL;
    gk_status st = gk_buf_failed(&b) ? oom(err) : gk_json_parse(gn->a, b.ptr, b.len, NULL, &v, err);
    gk_buf_release(&b);
    resp->request = v;
    return st;
}

/* ---- turn spans ---- */

/* Begin the span of the next model turn as a child of ctx's current span: the previous turn's, so
 * turns nest as Genkit JS records them. *out is the span, or NULL when nothing is traced (then
 * this costs a slot read and an atomic load). */
static gk_status turn_begin(struct gen *gn, gk__span **out, gk_error *err)
{
    const char *name = gn->opts->step_name;
    gk__span_info si = {.name = name && name[0] ? name : "generate", .type = "util"};
    *out = gk__span_begin(gn->ctx, &si);
    if (!*out)
        return GK_OK;
    struct turn_span *t = GK_NEW(gn->a, struct turn_span, 1);
    if (!t) {
        gk__span_end(gn->ctx, *out, oom(err), err);
        *out = NULL;
        return GK_RESOURCE_EXHAUSTED;
    }
    t->span = *out;
    t->outer = gn->turn;
    gn->turn = t;
    return GK_OK;
}

/* The coming turn as GenerateActionOptions, the input Genkit JS records on a turn's span: the
 * conversation so far (format instructions included) and the options that shape the request. */
static gk_status turn_options(struct gen *gn, gk_generate_action_options *o)
{
    const gk_generate_request *req = &gn->req;
    memset(o, 0, sizeof(*o));
    o->model = gn->model;
    o->docs.items = req->docs.items;
    o->docs.count = req->docs.count;
    o->messages.items = req->messages.items;
    o->messages.count = req->messages.count;
    if (gn->ntools) {
        o->tools.items = GK_NEW(gn->a, gk_text, gn->ntools);
        if (!o->tools.items)
            return GK_RESOURCE_EXHAUSTED;
        o->tools.count = gn->ntools;
        for (size_t i = 0; i < gn->ntools; i++)
            o->tools.items[i] = gk_action_name(gn->tools[i]);
    }
    o->tool_choice = req->tool_choice;
    o->has_tool_choice = req->has_tool_choice;
    o->config = req->config;
    if (req->has_output) {
        o->has_output = true;
        o->output.format = req->output.format;
        o->output.content_type = req->output.content_type;
        o->output.json_schema = gn->schema;
        o->output.constrained = req->output.constrained;
        o->output.has_constrained = req->output.has_constrained;
    }
    o->return_tool_requests = gn->opts->return_tool_requests;
    o->has_return_tool_requests = gn->opts->return_tool_requests;
    o->max_turns = gn->max_turns;
    o->has_max_turns = gn->opts->max_turns != 0;
    o->step_name = gn->opts->step_name;
    return GK_OK;
}

/* Record the coming turn's options as the input of its span s (may be NULL), when s's trace
 * records inputs. */
static void turn_input(struct gen *gn, gk__span *s)
{
    if (!gk__span_records_io(s))
        return;
    gk_generate_action_options o;
    if (turn_options(gn, &o) == GK_OK)
        gk__span_set_input(s, GK_TYPE_OF(gk_generate_action_options), &o);
}

/* End the open turn spans, innermost first, with the call's outcome. On success each records the
 * final response as its output: a turn's span encloses the turns after it, so what it returns is
 * the last response (Genkit JS records the same). The response is encoded once for all of them. */
static void turns_end(struct gen *gn, gk_status st, const gk_error *err,
                      const gk_generate_response *resp)
{
    if (!gn->turn)
        return;
    bool io = st == GK_OK && gk__span_records_io(gn->turn->span);
    gk_buf b = GK_BUF_INIT(GK__SPAN_IO_CAP);
    if (io) {
        gk_jw w;
        gk_jw_init(&w, &b);
        gk_encode(&w, GK_TYPE_OF(gk_generate_response), resp);
    }
    for (struct turn_span *t = gn->turn; t; t = t->outer) {
        if (io && !gk_buf_failed(&b))
            gk__span_set_output_json(t->span, b.ptr, b.len);
        else if (io) /* over the cap: the span code stores its truncation marker */
            gk__span_set_output(t->span, GK_TYPE_OF(gk_generate_response), resp);
        gk__span_end(gn->ctx, t->span, st, err);
    }
    gk_buf_release(&b);
    gn->turn = NULL;
}

/* ---- the loop ---- */

/* The generate call behind every entry point. resp_visible: whether the caller hands resp to its
 * own caller (gk_generate, gk_generate_stream), so resp->request must be recorded; the entry points
 * that keep resp to themselves (gk_generate_text, gk_generate_data) skip that work. flags:
 * GK__GENERATE_IN_ACTION_SPAN or 0. */
static gk_status generate(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                          gk_generate_response *resp, bool resp_visible, const gk_type *decode_type,
                          void *decode_out, unsigned flags, gk_error *err)
{
    /* The turn spans compare their error with their children's to find where it began: they need
     * the words even when the caller does not want them. */
    gk_error local = {0};
    if (!err)
        err = &local;
    memset(resp, 0, sizeof(*resp));
    if (!ctx || !opts)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "gk_generate needs ctx and opts");
    if (!g) {
        gk_action *running = gk__ctx_action(ctx);
        g = running ? running->g : NULL;
        if (!g)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "gk_generate outside an action needs its gk_genkit");
    }
    if (opts->max_turns < 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/maxTurns", "max_turns must be >= 0, got %d",
                            opts->max_turns);
    struct gen gn = {
        .ctx = ctx,
        .g = g,
        .a = gk_ctx_arena(ctx),
        .opts = opts,
        .max_turns = opts->max_turns ? opts->max_turns : DEFAULT_MAX_TURNS,
        .on_chunk = opts->on_chunk,
        .chunk_arg = opts->chunk_arg,
        .acc = GK_BUF_INIT(STREAM_TEXT_CAP),
        .acc_index = -1,
    };
    /* The first turn's span is begun before anything is resolved, so that resolution errors are
     * recorded in it; inside /util/generate the action's own span is the first turn's, as in
     * Genkit JS. */
    gk__span *turn = NULL;
    gk_status st = GK_OK;
    if (!(flags & GK__GENERATE_IN_ACTION_SPAN))
        st = turn_begin(&gn, &turn, err);
    gk_action *model = NULL;
    if (st == GK_OK)
        st = resolve_model(&gn, &model, err);
    if (st == GK_OK)
        st = resolve_tools(&gn, err);
    if (st == GK_OK)
        st = resolve_output(&gn, err);
    if (st == GK_OK)
        st = build_request(&gn, model, err);
    bool resuming = opts->resume.respond_count || opts->resume.restart_count;
    if (st == GK_OK && resuming)
        st = resume(&gn, err);
    for (int turns = 0; st == GK_OK;) {
        turn_input(&gn, turn);
        st = call_model(&gn, resp, err);
        if (st != GK_OK)
            break;
        st = ensure_refs(gn.a, &resp->message, err);
        if (st != GK_OK)
            break;
        bool wants_tools = false;
        for (size_t i = 0; i < resp->message.content.count; i++)
            wants_tools |= resp->message.content.items[i].has_tool_request;
        if (!wants_tools) {
            st = check_output(&gn, resp, decode_type, decode_out, err);
            break;
        }
        if (opts->return_tool_requests)
            break;
        if (++turns > gn.max_turns) {
            st = gk_error_set(err, GK_ABORTED, "", "exceeded maximum tool call iterations (%d)",
                              gn.max_turns);
            break;
        }
        bool interrupted = false;
        st = run_turn(&gn, resp, &interrupted, err);
        if (interrupted)
            break;
        if (st == GK_OK)
            st = turn_begin(&gn, &turn, err);
    }
    gk_buf_release(&gn.acc);
    if (st == GK_OK && resp_visible)
        st = keep_request(&gn, resp, err);
    turns_end(&gn, st, err, resp);
    if (st != GK_OK)
        memset(resp, 0, sizeof(*resp));
    return st;
}

gk_status gk__generate(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts, unsigned flags,
                       gk_generate_response *resp, gk_error *err)
{
    return generate(ctx, g, opts, resp, true, NULL, NULL, flags, err);
}

gk_status gk_generate(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                      gk_generate_response *resp, gk_error *err)
{
    return generate(ctx, g, opts, resp, true, NULL, NULL, 0, err);
}

gk_status gk_generate_stream(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                             gk_generate_chunk_fn on_chunk, void *arg, gk_generate_response *resp,
                             gk_error *err)
{
    if (!opts) {
        memset(resp, 0, sizeof(*resp));
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "gk_generate_stream needs opts");
    }
    gk_generate_opts o = *opts;
    o.on_chunk = on_chunk;
    o.chunk_arg = arg;
    return generate(ctx, g, &o, resp, true, NULL, NULL, 0, err);
}

const char *gk_generate_text(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts, gk_error *err)
{
    gk_generate_response resp;
    if (generate(ctx, g, opts, &resp, false, NULL, NULL, 0, err) != GK_OK)
        return NULL;
    const char *text = gk_response_text(gk_ctx_arena(ctx), &resp);
    if (!text)
        oom(err);
    return text;
}

gk_status gk_generate_data(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts,
                           const gk_type *out_type, void *out, gk_error *err)
{
    size_t size = gk_type_size(out_type);
    if (!opts || !out_type || !out)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "gk_generate_data needs opts, out_type and out");
    memset(out, 0, size);
    gk_generate_opts o = *opts;
    o.output.type = out_type;
    o.output.schema_json = NULL;
    o.output.schema = NULL;
    if (o.output.format == GK_FORMAT_DEFAULT || o.output.format == GK_FORMAT_TEXT)
        o.output.format = GK_FORMAT_JSON;
    if (o.output.format != GK_FORMAT_JSON && o.output.format != GK_FORMAT_ARRAY)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/output/format",
                            "gk_generate_data takes json or array output, not %s",
                            gk_output_format_name(o.output.format));
    gk_generate_response resp;
    gk_status st = generate(ctx, g, &o, &resp, false, out_type, out, 0, err);
    if (st == GK_OK && resp.finish_reason == GK_FINISH_INTERRUPTED)
        st = gk_error_set(err, GK_FAILED_PRECONDITION, "",
                          "a tool interrupted generation: use gk_generate to handle interrupts");
    if (st == GK_OK && opts->return_tool_requests && resp.has_message) {
        for (size_t i = 0; i < resp.message.content.count && st == GK_OK; i++) {
            if (resp.message.content.items[i].has_tool_request)
                st = gk_error_set(err, GK_FAILED_PRECONDITION, "",
                                  "the model asked for tools: use gk_generate with "
                                  "return_tool_requests");
        }
    }
    if (st != GK_OK)
        memset(out, 0, size);
    return st;
}

/* ---- reading responses ---- */

gk_status gk_response_history(gk_arena *a, const gk_generate_response *resp, gk_message **out,
                              size_t *count, gk_error *err)
{
    *out = NULL;
    *count = 0;
    const gk_json *msgs = resp->request ? gk_json_get(resp->request, "messages") : NULL;
    if (!msgs || msgs->type != GK_JSON_ARRAY)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/request",
                            "response has no request to take the history from");
    size_t n = msgs->count + (resp->has_message ? 1 : 0);
    gk_message *m = GK_NEW(a, gk_message, n ? n : 1);
    if (!m)
        return oom(err);
    for (size_t i = 0; i < msgs->count; i++) {
        gk_status st = gk_decode(a, GK_TYPE_OF(gk_message), &msgs->items[i], &m[i], err);
        if (st != GK_OK) {
            if (err) {
                char seg[48];
                snprintf(seg, sizeof(seg), "/request/messages/%zu", i);
                gk_error_prefix_path(err, seg);
            }
            return st;
        }
    }
    if (resp->has_message)
        m[msgs->count] = resp->message;
    *out = m;
    *count = n;
    return GK_OK;
}

gk_status gk_response_interrupts(gk_arena *a, const gk_generate_response *resp,
                                 const gk_part ***out, size_t *count)
{
    *out = NULL;
    *count = 0;
    size_t n = 0;
    for (size_t i = 0; i < resp->message.content.count; i++) {
        const gk_part *p = &resp->message.content.items[i];
        n += p->has_tool_request && meta_get(p, "interrupt");
    }
    if (n == 0)
        return GK_OK;
    const gk_part **list = GK_NEW(a, const gk_part *, n);
    if (!list)
        return GK_RESOURCE_EXHAUSTED;
    for (size_t i = 0, k = 0; i < resp->message.content.count; i++) {
        const gk_part *p = &resp->message.content.items[i];
        if (p->has_tool_request && meta_get(p, "interrupt"))
            list[k++] = p;
    }
    *out = list;
    *count = n;
    return GK_OK;
}

gk_status gk_response_output(gk_arena *a, const gk_generate_response *resp, gk_output_format f,
                             const gk_json **out, gk_error *err)
{
    const char *text = gk_response_text(a, resp);
    if (!text)
        return oom(err);
    return gk_output_parse(a, f == GK_FORMAT_DEFAULT ? GK_FORMAT_JSON : f, text, strlen(text),
                           false, out, err);
}
