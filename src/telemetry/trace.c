/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/trace.c - the span model (see trace.h): spans and their trace live in the request
 * arena while it runs; a finished trace (or, in realtime mode, each started and each finished span)
 * is serialized into a malloc'd TraceData body and handed to the export queue, so nothing exported
 * points into a request arena. */
#include "telemetry/trace.h"

#include <stdlib.h>
#include <string.h>

#include "base/ids.h"
#include "runtime/sched.h"
#include "telemetry/export.h"

#include "base/banned.h"

/* Bodies hold one trace; a trace bigger than this is exported as one post per span instead. */
#define TRACE_BODY_CAP ((size_t)32 << 20)

/* One trace. Invariants: root is the first span begun in it; done lists the finished non-root
 * spans in end order (kept only when the trace is exported in batch mode); finished is set when
 * the root ended, after which no span of it is kept. */
struct trace {
    char trace_id[33];
    bool exported; /* a sink was active when the root began */
    bool realtime;
    bool finished;
    gk__span *root;
    gk__span *done_head;
    gk__span *done_tail;
    const gk__trace_request *req; /* the reflection request that asked for it, or NULL */
};

/*
 * A span, or an anchor (a placeholder installed by gk__trace_request_install that makes the next
 * span begun on the context a root of a requested trace; it is never exported).
 * Invariants: start_ms > 0; end_ms == 0 while running; input/output are JSON text or NULL.
 */
struct gk__span {
    bool anchor;
    struct trace *trace;
    gk__span *parent;             /* NULL for the root */
    gk__span *restore;            /* what the context slot held before: parent, anchor, or NULL */
    const gk__trace_request *req; /* anchors: the request */
    char trace_id_buf[33];        /* anchors: the trace id once the root began */
    char span_id[17];
    const char *name;
    const char *type;
    const char *subtype;
    const char *key;
    const char *path;
    double start_ms;
    double end_ms;
    const char *input;
    size_t input_len;
    const char *output;
    size_t output_len;
    bool truncated;
    gk_status status;
    const char *message;
    bool failure_source;
    /* A direct child failed with child_status / child_msg: if this span fails the same way, the
     * error came from below and this span is not where it began. */
    bool child_failed;
    gk_status child_status;
    const char *child_msg;
    gk__span *next_done;
    gk_arena *arena; /* the request arena the span and its strings live in */
};

static double wall_ms(void)
{
    return (double)gk__wall_ns() / 1e6;
}

bool gk__trace_request_install(gk_ctx *ctx, const gk__trace_request *req)
{
    gk_arena *a = gk_ctx_arena(ctx);
    gk__span *anchor = GK_NEW(a, gk__span, 1);
    gk__trace_request *copy = GK_NEW(a, gk__trace_request, 1);
    if (!anchor || !copy)
        return false;
    *copy = *req;
    anchor->anchor = true;
    anchor->req = copy;
    gk__ctx_set(ctx, GK_CTX_SLOT_SPAN, anchor);
    return true;
}

gk__span *gk__span_current(const gk_ctx *ctx)
{
    gk__span *s = gk__ctx_get(ctx, GK_CTX_SLOT_SPAN);
    return s && !s->anchor ? s : NULL;
}

const char *gk__ctx_trace_id(const gk_ctx *ctx)
{
    gk__span *s = gk__ctx_get(ctx, GK_CTX_SLOT_SPAN);
    if (!s)
        return "";
    return s->anchor ? s->trace_id_buf : s->trace->trace_id;
}

/* "{name,t:type[,s:subtype]}" appended to the parent's path. As in Genkit JS: t is "flow" for
 * flow actions, else genkit:type; the subtype is shown only below the root, and never for util
 * actions (generate turns read "{generate,t:util}" in both Go and JS). */
static const char *make_path(gk_arena *a, const gk__span *parent, const gk__span_info *info)
{
    const char *t = info->subtype && strcmp(info->subtype, "flow") == 0 ? "flow" : info->type;
    if (!parent)
        return gk_arena_sprintf(a, "/{%s,t:%s}", info->name, t);
    if (info->subtype && strcmp(info->subtype, "util") != 0)
        return gk_arena_sprintf(a, "%s/{%s,t:%s,s:%s}", parent->path, info->name, t, info->subtype);
    return gk_arena_sprintf(a, "%s/{%s,t:%s}", parent->path, info->name, t);
}

static void submit_spans(struct trace *tr, gk__span *const *spans, size_t n, bool running);

gk__span *gk__span_begin(gk_ctx *ctx, const gk__span_info *info)
{
    gk__span *cur = gk__ctx_get(ctx, GK_CTX_SLOT_SPAN);
    if (!cur && !gk__telemetry_active())
        return NULL;
    gk_arena *a = gk_ctx_arena(ctx);
    gk__span *s = GK_NEW(a, gk__span, 1);
    if (!s)
        return NULL;
    gk__span *parent = cur && !cur->anchor ? cur : NULL;
    if (parent && parent->trace->finished)
        parent = NULL; /* a branch that outlived its root starts a trace of its own */
    struct trace *tr;
    if (parent) {
        tr = parent->trace;
    } else {
        tr = GK_NEW(a, struct trace, 1);
        if (!tr)
            return NULL;
        uint8_t id[16];
        gk__random_bytes(id, sizeof(id));
        gk__hex(id, sizeof(id), tr->trace_id);
        tr->exported = gk__telemetry_active();
        tr->realtime = tr->exported && gk__telemetry_realtime();
        tr->root = s;
        if (cur && cur->anchor) {
            tr->req = cur->req;
            memcpy(cur->trace_id_buf, tr->trace_id, sizeof(tr->trace_id));
        }
    }
    uint8_t sid[8];
    gk__random_bytes(sid, sizeof(sid));
    gk__hex(sid, sizeof(sid), s->span_id);
    s->arena = a;
    s->trace = tr;
    s->parent = parent;
    s->restore = cur;
    s->name = gk_arena_strdup(a, info->name ? info->name : "");
    s->type = info->type ? info->type : "action";
    s->subtype = info->subtype;
    s->key = info->key;
    s->path = s->name ? make_path(a, parent, info) : NULL;
    s->start_ms = wall_ms();
    if (!s->path)
        return NULL;
    gk__ctx_set(ctx, GK_CTX_SLOT_SPAN, s);
    if (tr->realtime)
        submit_spans(tr, &s, 1, true);
    if (!parent && tr->req && tr->req->on_root)
        tr->req->on_root(s, tr->req->arg);
    return s;
}

bool gk__span_records_io(const gk__span *s)
{
    return s && s->trace->exported;
}

static const char truncated_marker[] = "\"[truncated: larger than 131072 bytes]\"";

/* Encode v by t into an arena copy; on overflow store the marker and flag the span. */
static const char *encode_io(gk__span *s, gk_arena *a, const gk_type *t, const void *v, size_t *len)
{
    gk_buf b = GK_BUF_INIT(GK__SPAN_IO_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, t, v);
    const char *out;
    if (gk_buf_failed(&b)) {
        s->truncated = true;
        out = truncated_marker;
        *len = sizeof(truncated_marker) - 1;
    } else {
        out = gk_arena_strndup(a, b.ptr ? b.ptr : "null", b.ptr ? b.len : 4);
        *len = out ? strlen(out) : 0;
    }
    gk_buf_release(&b);
    return out;
}

static const char *copy_io(gk__span *s, gk_arena *a, const char *json, size_t n, size_t *len)
{
    if (n > GK__SPAN_IO_CAP) {
        s->truncated = true;
        *len = sizeof(truncated_marker) - 1;
        return truncated_marker;
    }
    *len = n;
    return gk_arena_strndup(a, json, n);
}

void gk__span_set_input(gk__span *s, const gk_type *t, const void *v)
{
    if (gk__span_records_io(s) && t)
        s->input = encode_io(s, s->arena, t, v, &s->input_len);
}

void gk__span_set_output(gk__span *s, const gk_type *t, const void *v)
{
    if (gk__span_records_io(s) && t)
        s->output = encode_io(s, s->arena, t, v, &s->output_len);
}

void gk__span_set_input_json(gk__span *s, const char *json, size_t len)
{
    if (gk__span_records_io(s) && json)
        s->input = copy_io(s, s->arena, json, len, &s->input_len);
}

void gk__span_set_output_json(gk__span *s, const char *json, size_t len)
{
    if (gk__span_records_io(s) && json)
        s->output = copy_io(s, s->arena, json, len, &s->output_len);
}

const char *gk__span_trace_id(const gk__span *s)
{
    return s ? s->trace->trace_id : "";
}

const char *gk__span_id(const gk__span *s)
{
    return s ? s->span_id : "";
}

const char *gk__span_path(const gk__span *s)
{
    return s && s->path ? s->path : "";
}

static bool same_message(const char *x, const char *y)
{
    return x && y && strcmp(x, y) == 0;
}

void gk__span_end(gk_ctx *ctx, gk__span *s, gk_status st, const gk_error *err)
{
    if (!s)
        return;
    gk__ctx_set(ctx, GK_CTX_SLOT_SPAN, s->restore);
    struct trace *tr = s->trace;
    s->end_ms = wall_ms();
    if (s->end_ms <= s->start_ms)
        s->end_ms = s->start_ms + 0.001; /* a running span has endTime 0; a finished one never */
    s->status = st;
    if (st != GK_OK) {
        const char *msg = err && err->message[0] ? err->message : gk_status_name(st);
        s->message = gk_arena_strdup(s->arena, msg);
        if (!s->message)
            s->message = gk_status_name(st);
        /* The error began here unless a child failed with the very same status and message. */
        s->failure_source =
            !(s->child_failed && s->child_status == st && same_message(s->child_msg, s->message));
        if (s->parent) {
            s->parent->child_failed = true;
            s->parent->child_status = st;
            s->parent->child_msg = s->message;
        }
    }
    if (tr->finished)
        return; /* outlived its root: its trace was already exported */
    if (!tr->exported) {
        if (!s->parent)
            tr->finished = true;
        return;
    }
    if (tr->realtime) {
        submit_spans(tr, &s, 1, false);
        if (!s->parent)
            tr->finished = true;
        return;
    }
    if (s->parent) {
        if (tr->done_tail)
            tr->done_tail->next_done = s;
        else
            tr->done_head = s;
        tr->done_tail = s;
        return;
    }
    /* The root ended: the whole trace goes in one body. */
    size_t n = 1;
    for (gk__span *d = tr->done_head; d; d = d->next_done)
        n++;
    gk__span **all = GK_NEW(s->arena, gk__span *, n);
    if (all) {
        size_t i = 0;
        for (gk__span *d = tr->done_head; d; d = d->next_done)
            all[i++] = d;
        all[i] = s;
        submit_spans(tr, all, n, false);
    } else {
        for (gk__span *d = tr->done_head; d; d = d->next_done)
            submit_spans(tr, &d, 1, false);
        submit_spans(tr, &s, 1, false);
    }
    tr->finished = true;
}

/* ---- TraceData JSON (genkit-reference.md 4.7) ---- */

static void attr_str(gk_jw *w, const char *key, const char *value)
{
    if (!value)
        return;
    gk_jw_key(w, key);
    gk_jw_string(w, value);
}

static void attr_json_text(gk_jw *w, const char *key, const char *json, size_t len)
{
    if (!json)
        return;
    gk_jw_key(w, key);
    gk_jw_stringn(w, json, len);
}

static void write_attributes(gk_jw *w, const gk__span *s, bool running)
{
    const struct trace *tr = s->trace;
    gk_jw_key(w, "attributes");
    gk_jw_object_begin(w);
    attr_str(w, "genkit:type", s->type);
    attr_str(w, "genkit:metadata:subtype", s->subtype);
    attr_str(w, "genkit:key", s->key);
    if (!s->parent && tr->req && tr->req->labels && tr->req->labels->type == GK_JSON_OBJECT) {
        const gk_json *labels = tr->req->labels;
        for (size_t i = 0; i < labels->count; i++) {
            const gk_json *v = &labels->items[i];
            if (v->type != GK_JSON_STRING || strncmp(v->key, "genkit:", 7) == 0)
                continue;
            gk_jw_key(w, v->key);
            gk_jw_stringn(w, v->str, v->len);
        }
    }
    attr_str(w, "genkit:name", s->name);
    if (!s->parent) {
        gk_jw_key(w, "genkit:isRoot");
        gk_jw_bool(w, true);
    }
    attr_str(w, "genkit:path", s->path);
    if (!s->parent && tr->req)
        attr_str(w, "genkit:metadata:context", tr->req->context_json);
    attr_json_text(w, "genkit:input", s->input, s->input_len);
    if (!running) {
        if (s->status == GK_OK)
            attr_json_text(w, "genkit:output", s->output, s->output_len);
        attr_str(w, "genkit:state", s->status == GK_OK ? "success" : "error");
        if (s->status != GK_OK && s->failure_source) {
            gk_jw_key(w, "genkit:isFailureSource");
            gk_jw_bool(w, true);
        }
    }
    gk_jw_object_end(w);
}

static void write_span(gk_jw *w, const gk__span *s, bool running)
{
    gk_jw_key(w, s->span_id);
    gk_jw_object_begin(w);
    attr_str(w, "spanId", s->span_id);
    attr_str(w, "traceId", s->trace->trace_id);
    if (s->parent)
        attr_str(w, "parentSpanId", s->parent->span_id);
    gk_jw_key(w, "startTime");
    gk_jw_double(w, s->start_ms);
    gk_jw_key(w, "endTime");
    gk_jw_double(w, running ? 0 : s->end_ms);
    write_attributes(w, s, running);
    attr_str(w, "displayName", s->name);
    gk_jw_key(w, "links");
    gk_jw_array_begin(w);
    gk_jw_array_end(w);
    gk_jw_key(w, "instrumentationLibrary");
    gk_jw_object_begin(w);
    attr_str(w, "name", "genkit-tracer");
    attr_str(w, "version", "v1");
    gk_jw_object_end(w);
    attr_str(w, "spanKind", "INTERNAL");
    gk_jw_key(w, "sameProcessAsParentSpan");
    gk_jw_object_begin(w);
    gk_jw_key(w, "value");
    gk_jw_bool(w, true);
    gk_jw_object_end(w);
    gk_jw_key(w, "status");
    gk_jw_object_begin(w);
    gk_jw_key(w, "code");
    /* OpenTelemetry JS numbering, which the Genkit tools test: 0 unset, 2 error. */
    gk_jw_int(w, !running && s->status != GK_OK ? 2 : 0);
    if (!running && s->status != GK_OK)
        attr_str(w, "message", s->message);
    gk_jw_object_end(w);
    gk_jw_key(w, "timeEvents");
    gk_jw_object_begin(w);
    gk_jw_key(w, "timeEvent");
    gk_jw_array_begin(w);
    if (!running && s->status != GK_OK) {
        gk_jw_object_begin(w);
        gk_jw_key(w, "time");
        gk_jw_double(w, s->end_ms);
        gk_jw_key(w, "annotation");
        gk_jw_object_begin(w);
        attr_str(w, "description", "exception");
        gk_jw_key(w, "attributes");
        gk_jw_object_begin(w);
        attr_str(w, "exception.type", gk_status_name(s->status));
        attr_str(w, "exception.message", s->message);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
        gk_jw_object_end(w);
    }
    gk_jw_array_end(w);
    gk_jw_object_end(w);
    if (s->truncated) {
        gk_jw_key(w, "truncated");
        gk_jw_bool(w, true);
    }
    gk_jw_object_end(w);
}

/* Serialize spans[0..n) of tr as one TraceData and queue it. The trace-level displayName and
 * times are set only in a body that holds the root (the store keeps them otherwise). */
static void submit_spans(struct trace *tr, gk__span *const *spans, size_t n, bool running)
{
    gk_buf b = GK_BUF_INIT(TRACE_BODY_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    attr_str(&w, "traceId", tr->trace_id);
    for (size_t i = 0; i < n; i++) {
        if (spans[i]->parent)
            continue;
        attr_str(&w, "displayName", spans[i]->name);
        gk_jw_key(&w, "startTime");
        gk_jw_double(&w, spans[i]->start_ms);
        gk_jw_key(&w, "endTime");
        gk_jw_double(&w, running ? 0 : spans[i]->end_ms);
    }
    gk_jw_key(&w, "spans");
    gk_jw_object_begin(&w);
    for (size_t i = 0; i < n; i++)
        write_span(&w, spans[i], running);
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        if (n > 1) { /* too big as one body: one post per span */
            for (size_t i = 0; i < n; i++)
                submit_spans(tr, &spans[i], 1, running);
        }
        return;
    }
    size_t len = 0;
    char *body = gk_buf_detach(&b, &len);
    if (body)
        gk__telemetry_submit(body, len);
}
