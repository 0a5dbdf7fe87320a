/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection_run.c - the reflection API's protocol-free half (see reflection_run.h):
 * listing actions and values, the error status, and running an action for the CLI or the Dev UI
 * in a fiber under a requested trace. Both v1 (HTTP) and v2 (WebSocket JSON-RPC) call these, so
 * the two answer with the same bytes for the same action. */
#include "server/reflection_run.h"

#include <stdio.h>
#include <string.h>

#include <genkit/schema.h>

#include "core/core.h"
#include "runtime/sched.h"
#include "telemetry/trace.h"

#include "base/banned.h"

const char *gk__refl_json_str(const gk_json *obj, const char *key)
{
    const gk_json *v = gk_json_get(obj, key);
    return v && v->type == GK_JSON_STRING && v->len == strlen(v->str) ? v->str : NULL;
}

/* ---- listings ---- */

static void write_metadata(gk_jw *w, gk_arena *a, const char *text)
{
    gk_json *doc = NULL;
    if (!text || strcmp(text, "{}") == 0)
        return;
    if (gk_json_parse(a, text, strlen(text), NULL, &doc, NULL) != GK_OK ||
        doc->type != GK_JSON_OBJECT)
        return;
    gk_jw_key(w, "metadata");
    gk_jw_value(w, doc);
}

void gk__refl_write_actions(gk_jw *w, gk_genkit *g, gk_arena *scratch)
{
    gk_jw_object_begin(w);
    size_t n = gk_action_count(g);
    for (size_t i = 0; i < n; i++) {
        const gk_action *a = gk_action_at(g, i);
        gk_jw_key(w, gk_action_key(a));
        gk_jw_object_begin(w);
        gk_jw_key(w, "key");
        gk_jw_string(w, gk_action_key(a));
        gk_jw_key(w, "name");
        gk_jw_string(w, gk_action_name(a));
        gk_jw_key(w, "type");
        gk_jw_string(w, gk_action_type_name(gk_action_get_type(a)));
        const char *desc = gk_action_description(a);
        if (desc && desc[0]) {
            gk_jw_key(w, "description");
            gk_jw_string(w, desc);
        }
        gk_jw_key(w, "inputSchema");
        gk_schema_write(w, gk_action_in_type(a));
        gk_jw_key(w, "outputSchema");
        gk_schema_write(w, gk_action_out_type(a));
        if (gk_action_chunk_type(a)) {
            gk_jw_key(w, "streamSchema");
            gk_schema_write(w, gk_action_chunk_type(a));
        }
        write_metadata(w, scratch, gk_action_metadata(a));
        gk_jw_object_end(w);
    }
    gk_jw_object_end(w);
}

gk_status gk__refl_write_values(gk_jw *w, gk_genkit *g, const char *type, gk_error *err)
{
    bool default_model = type && strcmp(type, "defaultModel") == 0;
    if (!default_model && (!type || strcmp(type, "middleware") != 0))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "'type' must be one of: defaultModel, middleware");
    gk_jw_object_begin(w);
    const char *model = gk__genkit_default_model(g);
    if (default_model && model) {
        gk_jw_key(w, "defaultModel");
        gk_jw_object_begin(w);
        gk_jw_key(w, "name");
        gk_jw_string(w, model);
        gk_jw_object_end(w);
    }
    gk_jw_object_end(w);
    return GK_OK;
}

void gk__refl_write_status(gk_jw *w, gk_status st, const char *message, const char *trace_id)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "code");
    gk_jw_int(w, (int64_t)st);
    gk_jw_key(w, "message");
    gk_jw_string(w, st == GK_CANCELLED ? "Action was cancelled" : message);
    gk_jw_key(w, "details");
    gk_jw_object_begin(w);
    if (trace_id && trace_id[0]) {
        gk_jw_key(w, "traceId");
        gk_jw_string(w, trace_id);
    }
    gk_jw_object_end(w);
    gk_jw_object_end(w);
}

/* ---- the runner ---- */

static void link_run(gk__refl_runs *runs, gk__refl_run *run)
{
    run->list = runs;
    run->prev = NULL;
    run->next = runs->head;
    if (runs->head)
        runs->head->prev = run;
    runs->head = run;
    runs->count++;
}

static void unlink_run(gk__refl_run *run)
{
    gk__refl_runs *runs = run->list;
    if (!runs)
        return;
    if (run->prev)
        run->prev->next = run->next;
    else
        runs->head = run->next;
    if (run->next)
        run->next->prev = run->prev;
    runs->count--;
    run->list = NULL;
    run->prev = NULL;
    run->next = NULL;
}

/* The root span exists: remember its trace (for cancelAction) and tell the protocol. */
static void on_root(gk__span *root, void *arg)
{
    gk__refl_run *run = arg;
    memcpy(run->trace_id, gk__span_trace_id(root), sizeof(run->trace_id));
    run->ops->on_trace(run, run->trace_id, gk__span_id(root));
}

static gk_status on_chunk(const char *json, size_t len, void *arg)
{
    gk__refl_run *run = arg;
    return run->ops->on_chunk(run, json, len);
}

static void run_fiber(gk_ctx *ctx, void *arg)
{
    gk__refl_run *run = arg;
    gk_error err = {0};
    gk_buf b = GK_BUF_INIT(GK__REFL_OUT_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "result");
    gk_status st = gk_action_run_json(ctx, run->action, run->input, run->stream ? on_chunk : NULL,
                                      run, &w, &err);
    if (st == GK_OK && gk_buf_failed(&b))
        st = gk_error_set(&err, GK_RESOURCE_EXHAUSTED, "", "action output larger than %zu bytes",
                          b.cap);
    if (st == GK_OK) {
        gk_jw_key(&w, "telemetry");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "traceId");
        gk_jw_string(&w, run->trace_id);
        gk_jw_object_end(&w);
        gk_jw_object_end(&w);
    }
    char msg[sizeof(err.path) + sizeof(err.message) + 4];
    msg[0] = '\0';
    if (st != GK_OK || gk_buf_failed(&b)) {
        if (st == GK_OK)
            st = gk_error_set(&err, GK_RESOURCE_EXHAUSTED, "", "response too large");
        gk_buf_reset(&b);
        if (err.path[0])
            snprintf(msg, sizeof(msg), "%s: %s", err.path, err.message);
        else
            snprintf(msg, sizeof(msg), "%s", err.message);
        gk_jw_init(&w, &b);
        gk__refl_write_status(&w, st, msg, run->trace_id);
    }
    run->ops->on_result(run, st, st == GK_CANCELLED ? "Action was cancelled" : msg,
                        b.ptr ? b.ptr : "", b.len);
    gk_buf_release(&b);
}

static void run_done(void *arg)
{
    gk__refl_run *run = arg;
    run->running = false;
    run->ctx = NULL;
    unlink_run(run);
    run->ops->on_done(run);
}

/* {"auth": ...} becomes "<redacted>", as Genkit JS records the context on the root span. */
static const char *redacted_context(gk_arena *a, const gk_json *ctxv)
{
    if (!ctxv || ctxv->type != GK_JSON_OBJECT)
        return NULL;
    gk_buf b = GK_BUF_INIT(GK__SPAN_IO_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    for (size_t i = 0; i < ctxv->count; i++) {
        const gk_json *m = &ctxv->items[i];
        gk_jw_key(&w, m->key);
        if (strcmp(m->key, "auth") == 0)
            gk_jw_string(&w, "<redacted>");
        else
            gk_jw_value(&w, m);
    }
    gk_jw_object_end(&w);
    const char *out = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    return out;
}

gk_status gk__refl_run_start(gk__refl_runs *runs, gk__refl_run *run, gk_genkit *g, gk_loop *loop,
                             const gk_json *params, gk_error *err)
{
    const char *key = gk__refl_json_str(params, "key");
    if (!key || !key[0])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"key\" is required");
    run->action = gk_lookup_action(g, key);
    if (!run->action)
        return gk_error_set(err, GK_NOT_FOUND, "", "action %s not found", key);
    const gk_json *labels = gk_json_get(params, "telemetryLabels");
    if (labels && labels->type != GK_JSON_NULL) {
        bool ok = labels->type == GK_JSON_OBJECT;
        for (size_t i = 0; ok && i < labels->count; i++)
            ok = labels->items[i].type == GK_JSON_STRING;
        if (!ok)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "\"telemetryLabels\" must be an object of strings");
    }
    run->input = gk_json_get(params, "input");
    if (!run->input)
        run->input = gk_json_new_null(run->arena);
    run->ctx = run->input ? gk__ctx_new(loop, run->arena) : NULL;
    gk__trace_request tr = {
        .on_root = on_root,
        .arg = run,
        .labels = labels && labels->type == GK_JSON_OBJECT ? labels : NULL,
        .context_json = redacted_context(run->arena, gk_json_get(params, "context")),
    };
    if (!run->ctx || !gk__trace_request_install(run->ctx, &tr)) {
        run->ctx = NULL;
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    run->trace_id[0] = '\0';
    run->running = true;
    link_run(runs, run);
    if (gk__spawn(run->ctx, run_fiber, run_done, run) != GK_OK) {
        unlink_run(run);
        run->running = false;
        run->ctx = NULL;
        return gk_error_set(err, GK_UNAVAILABLE, "", "no fiber available");
    }
    return GK_OK;
}

void gk__refl_run_cancel(gk__refl_run *run)
{
    if (run->running && run->ctx)
        gk_ctx_cancel(run->ctx, GK_CANCELLED);
}

bool gk__refl_run_cancel_trace(gk__refl_runs *runs, const char *trace_id)
{
    if (!trace_id || !trace_id[0])
        return false; /* runs without a root span yet have "" */
    for (gk__refl_run *r = runs->head; r; r = r->next) {
        if (r->running && r->ctx && strcmp(r->trace_id, trace_id) == 0) {
            gk_ctx_cancel(r->ctx, GK_CANCELLED);
            return true;
        }
    }
    return false;
}

void gk__refl_run_cancel_all(gk__refl_runs *runs)
{
    for (gk__refl_run *r = runs->head; r; r = r->next)
        gk__refl_run_cancel(r);
}
