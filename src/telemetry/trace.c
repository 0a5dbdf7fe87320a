/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/trace.c - the span model (see trace.h): spans and their trace live in the request
 * arena while it runs; a finished trace (or, in realtime mode, each started and each finished span)
 * is serialized into a malloc'd TraceData body and/or OTLP span objects and handed to the export
 * queue, so nothing exported points into a request arena. Model and tool spans feed the metrics
 * (metrics_hooks.h) when they end, traced or not. W3C traceparent parsing and formatting. */
#include "telemetry/trace.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/ai.h>

#include "base/ids.h"
#include "runtime/sched.h"
#include "telemetry/export.h"
#include "telemetry/metrics_hooks.h"

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
    char remote_parent[17];       /* the root's parent from a traceparent header, or "" */
};

/* What a span is for the metrics. */
enum span_kind { KIND_OTHER, KIND_MODEL, KIND_TOOL };

/*
 * A span, or an anchor (a placeholder installed by gk__trace_request_install that makes the next
 * span begun on the context a root of a requested trace; it is never exported).
 * Invariants: start_ms > 0; end_ms == 0 while running; input/output are JSON text or NULL.
 */
struct gk__span {
    bool anchor;
    bool metrics_only; /* not traced: no trace, ids or path; only feeds the metrics at its end */
    bool remote;       /* anchors: continues the trace in trace_id_buf from remote_span_id */
    uint8_t remote_flags;
    char remote_span_id[17];
    enum span_kind kind;
    const gk_generate_response *model_out; /* KIND_MODEL: the typed output, once set */
    int64_t start_mono_ns;
    int64_t start_ns; /* wall clock */
    int64_t end_ns;
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

static enum span_kind kind_of(const char *subtype)
{
    if (!subtype)
        return KIND_OTHER;
    if (strcmp(subtype, "model") == 0)
        return KIND_MODEL;
    if (strcmp(subtype, "tool") == 0)
        return KIND_TOOL;
    return KIND_OTHER;
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

bool gk__trace_continue(gk_ctx *ctx, const gk__traceparent *tp)
{
    if (gk__ctx_get(ctx, GK_CTX_SLOT_SPAN))
        return false;
    gk__span *anchor = GK_NEW(gk_ctx_arena(ctx), gk__span, 1);
    if (!anchor)
        return false;
    anchor->anchor = true;
    anchor->remote = true;
    anchor->remote_flags = tp->flags;
    memcpy(anchor->trace_id_buf, tp->trace_id, sizeof(anchor->trace_id_buf));
    memcpy(anchor->remote_span_id, tp->span_id, sizeof(anchor->remote_span_id));
    gk__ctx_set(ctx, GK_CTX_SLOT_SPAN, anchor);
    return true;
}

/* n lower-case hex digits, not all zeros. */
static bool lower_hex_id(const char *p, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        nonzero |= c != '0';
    }
    return nonzero;
}

static unsigned hex2(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 2; i++)
        v = v * 16 + (unsigned)(p[i] <= '9' ? p[i] - '0' : p[i] - 'a' + 10);
    return v;
}

bool gk__traceparent_parse(const char *s, size_t len, gk__traceparent *out)
{
    if (!s)
        return false;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len < 55 || s[2] != '-' || s[35] != '-' || s[52] != '-')
        return false;
    /* The version is two hex digits (zeros allowed); ff is forbidden. */
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    unsigned version = hex2(s);
    if (version == 0xff)
        return false;
    if (version == 0 ? len != 55 : (len > 55 && s[55] != '-'))
        return false;
    if (!lower_hex_id(s + 3, 32) || !lower_hex_id(s + 36, 16))
        return false;
    for (int i = 53; i < 55; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    memcpy(out->trace_id, s + 3, 32);
    out->trace_id[32] = '\0';
    memcpy(out->span_id, s + 36, 16);
    out->span_id[16] = '\0';
    out->flags = (uint8_t)hex2(s + 53);
    return true;
}

bool gk__trace_traceparent(const gk_ctx *ctx, char out[GK__TRACEPARENT_SIZE])
{
    out[0] = '\0';
    const gk__span *s = gk__ctx_get(ctx, GK_CTX_SLOT_SPAN);
    const char *trace_id;
    const char *span_id;
    unsigned flags;
    if (!s)
        return false;
    if (s->anchor) {
        if (!s->remote)
            return false;
        trace_id = s->trace_id_buf;
        span_id = s->remote_span_id;
        flags = s->remote_flags;
    } else {
        trace_id = s->trace->trace_id;
        span_id = s->span_id;
        flags = s->trace->exported ? 1 : 0;
    }
    memcpy(out, "00-", 3);
    memcpy(out + 3, trace_id, 32);
    out[35] = '-';
    memcpy(out + 36, span_id, 16);
    out[52] = '-';
    static const char hex[] = "0123456789abcdef";
    out[53] = hex[(flags >> 4) & 15];
    out[54] = hex[flags & 15];
    out[55] = '\0';
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
    const char *sub =
        parent && info->subtype && strcmp(info->subtype, "util") != 0 ? info->subtype : NULL;
    /* Built without printf (every action run makes a span): the pieces, "(null)" for a missing
     * one as printf would print it. */
    const char *piece[8] = {parent ? parent->path : "", "/{",           info->name, ",t:", t,
                            sub ? ",s:" : "",           sub ? sub : "", "}"};
    size_t len[8];
    size_t total = 1;
    for (size_t i = 0; i < 8; i++) {
        if (!piece[i])
            piece[i] = "(null)";
        len[i] = strlen(piece[i]);
        if (!gk_size_add(total, len[i], &total))
            return NULL;
    }
    char *out = gk_arena_alloc(a, total);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < 8; i++) {
        memcpy(out + n, piece[i], len[i]);
        n += len[i];
    }
    out[n] = '\0';
    return out;
}

static void submit_spans(struct trace *tr, gk__span *const *spans, size_t n, bool running);
static void submit_otlp(gk__span *const *spans, size_t n);

/* A span that only feeds the metrics: model and tool calls are counted even when nothing is
 * traced. info->name lives in the registry, so it is not copied. */
static gk__span *metrics_span(gk_ctx *ctx, const gk__span_info *info)
{
    enum span_kind kind = kind_of(info->subtype);
    if (kind == KIND_OTHER)
        return NULL;
    gk__span *s = GK_NEW(gk_ctx_arena(ctx), gk__span, 1);
    if (!s)
        return NULL;
    s->metrics_only = true;
    s->kind = kind;
    s->name = info->name;
    s->start_mono_ns = gk__mono_ns();
    return s;
}

gk__span *gk__span_begin(gk_ctx *ctx, const gk__span_info *info)
{
    gk__span *cur = gk__ctx_get(ctx, GK_CTX_SLOT_SPAN);
    bool traced;
    if (!cur)
        traced = gk__telemetry_active();
    else if (!cur->anchor)
        traced = true;
    else if (cur->req)
        traced = true;
    else /* a continued remote trace: parent-based sampling */
        traced = (cur->remote_flags & 1) && gk__telemetry_active();
    if (!traced)
        return metrics_span(ctx, info);
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
        if (cur && cur->anchor && cur->remote) {
            memcpy(tr->trace_id, cur->trace_id_buf, sizeof(tr->trace_id));
            memcpy(tr->remote_parent, cur->remote_span_id, sizeof(tr->remote_parent));
        } else {
            uint8_t id[16];
            gk__random_bytes(id, sizeof(id));
            gk__hex(id, sizeof(id), tr->trace_id);
        }
        tr->exported = gk__telemetry_active();
        tr->realtime = tr->exported && gk__telemetry_genkit_active() && gk__telemetry_realtime();
        tr->root = s;
        if (cur && cur->anchor && !cur->remote) {
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
    s->kind = kind_of(info->subtype);
    s->start_mono_ns = gk__mono_ns();
    s->start_ns = gk__wall_ns();
    s->start_ms = (double)s->start_ns / 1e6;
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
    return s && s->trace && s->trace->exported;
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
    if (s && s->kind == KIND_MODEL && t == GK_TYPE_OF(gk_generate_response))
        s->model_out = v;
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
    return s && s->trace ? s->trace->trace_id : "";
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

/* The model and tool metrics, for every model and tool span whether traced or not. */
static void record_metrics(const gk__span *s, gk_status st)
{
    if (s->kind == KIND_MODEL) {
        double seconds = (double)(gk__mono_ns() - s->start_mono_ns) / 1e9;
        gk__metrics_model_call(s->name, st, seconds, st == GK_OK ? s->model_out : NULL);
    } else if (s->kind == KIND_TOOL) {
        gk__metrics_tool_call(s->name, st);
    }
}

void gk__span_end(gk_ctx *ctx, gk__span *s, gk_status st, const gk_error *err)
{
    if (!s)
        return;
    record_metrics(s, st);
    if (s->metrics_only)
        return; /* never current: the context's slot is not ours to restore */
    gk__ctx_set(ctx, GK_CTX_SLOT_SPAN, s->restore);
    struct trace *tr = s->trace;
    s->end_ns = gk__wall_ns();
    if (s->end_ns <= s->start_ns)
        s->end_ns = s->start_ns + 1000; /* a running span has endTime 0; a finished one never */
    s->end_ms = (double)s->end_ns / 1e6;
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
    if (tr->finished) {
        /* Outlived its root: the TraceData was already sent, but OTLP takes spans one by one. */
        if (tr->exported)
            submit_otlp(&s, 1);
        return;
    }
    if (!tr->exported) {
        if (!s->parent)
            tr->finished = true;
        return;
    }
    if (tr->realtime) {
        submit_spans(tr, &s, 1, false);
        submit_otlp(&s, 1);
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
        submit_otlp(all, n);
    } else {
        for (gk__span *d = tr->done_head; d; d = d->next_done) {
            submit_spans(tr, &d, 1, false);
            submit_otlp(&d, 1);
        }
        submit_spans(tr, &s, 1, false);
        submit_otlp(&s, 1);
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

/* Attributes go out as a TraceData object ({"key": value}) or an OTLP KeyValue array
 * ([{"key": k, "value": {"stringValue": v}}]); one writer serves both. */
struct attrs {
    gk_jw *w;
    bool otlp;
};

static void put_strn(struct attrs *at, const char *key, const char *v, size_t len)
{
    if (!v)
        return;
    if (!at->otlp) {
        gk_jw_key(at->w, key);
        gk_jw_stringn(at->w, v, len);
        return;
    }
    gk_jw_object_begin(at->w);
    gk_jw_key(at->w, "key");
    gk_jw_string(at->w, key);
    gk_jw_key(at->w, "value");
    gk_jw_object_begin(at->w);
    gk_jw_key(at->w, "stringValue");
    gk_jw_stringn(at->w, v, len);
    gk_jw_object_end(at->w);
    gk_jw_object_end(at->w);
}

static void put_str(struct attrs *at, const char *key, const char *v)
{
    if (v)
        put_strn(at, key, v, strlen(v));
}

static void put_true(struct attrs *at, const char *key)
{
    if (!at->otlp) {
        gk_jw_key(at->w, key);
        gk_jw_bool(at->w, true);
        return;
    }
    gk_jw_object_begin(at->w);
    gk_jw_key(at->w, "key");
    gk_jw_string(at->w, key);
    gk_jw_key(at->w, "value");
    gk_jw_object_begin(at->w);
    gk_jw_key(at->w, "boolValue");
    gk_jw_bool(at->w, true);
    gk_jw_object_end(at->w);
    gk_jw_object_end(at->w);
}

static void write_attributes(gk_jw *w, const gk__span *s, bool running, bool otlp)
{
    const struct trace *tr = s->trace;
    struct attrs at = {w, otlp};
    gk_jw_key(w, "attributes");
    if (otlp)
        gk_jw_array_begin(w);
    else
        gk_jw_object_begin(w);
    put_str(&at, "genkit:type", s->type);
    put_str(&at, "genkit:metadata:subtype", s->subtype);
    put_str(&at, "genkit:key", s->key);
    if (!s->parent && tr->req && tr->req->labels && tr->req->labels->type == GK_JSON_OBJECT) {
        const gk_json *labels = tr->req->labels;
        for (size_t i = 0; i < labels->count; i++) {
            const gk_json *v = &labels->items[i];
            if (v->type != GK_JSON_STRING || strncmp(v->key, "genkit:", 7) == 0)
                continue;
            put_strn(&at, v->key, v->str, v->len);
        }
    }
    put_str(&at, "genkit:name", s->name);
    if (!s->parent)
        put_true(&at, "genkit:isRoot");
    put_str(&at, "genkit:path", s->path);
    if (!s->parent && tr->req)
        put_str(&at, "genkit:metadata:context", tr->req->context_json);
    put_strn(&at, "genkit:input", s->input, s->input_len);
    if (!running) {
        if (s->status == GK_OK)
            put_strn(&at, "genkit:output", s->output, s->output_len);
        put_str(&at, "genkit:state", s->status == GK_OK ? "success" : "error");
        if (s->status != GK_OK && s->failure_source)
            put_true(&at, "genkit:isFailureSource");
    }
    if (otlp)
        gk_jw_array_end(w);
    else
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
    write_attributes(w, s, running, false);
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
    if (!gk__telemetry_genkit_active())
        return;
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

/* ---- OTLP JSON (opentelemetry-proto, JSON encoding: hex ids, int64 nanos as strings) ---- */

static void put_nanos(gk_jw *w, const char *key, int64_t ns)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, ns);
    gk_jw_key(w, key);
    gk_jw_string(w, num);
}

static void write_otlp_span(gk_jw *w, const gk__span *s)
{
    const char *parent = s->parent ? s->parent->span_id : s->trace->remote_parent;
    gk_jw_object_begin(w);
    attr_str(w, "traceId", s->trace->trace_id);
    attr_str(w, "spanId", s->span_id);
    if (parent[0])
        attr_str(w, "parentSpanId", parent);
    attr_str(w, "name", s->name);
    gk_jw_key(w, "kind");
    gk_jw_int(w, 1); /* SPAN_KIND_INTERNAL */
    put_nanos(w, "startTimeUnixNano", s->start_ns);
    put_nanos(w, "endTimeUnixNano", s->end_ns);
    write_attributes(w, s, false, true);
    gk_jw_key(w, "status");
    gk_jw_object_begin(w);
    gk_jw_key(w, "code");
    gk_jw_int(w, s->status == GK_OK ? 1 : 2); /* STATUS_CODE_OK / STATUS_CODE_ERROR */
    if (s->status != GK_OK)
        attr_str(w, "message", s->message);
    gk_jw_object_end(w);
    if (s->status != GK_OK) {
        gk_jw_key(w, "events");
        gk_jw_array_begin(w);
        gk_jw_object_begin(w);
        put_nanos(w, "timeUnixNano", s->end_ns);
        attr_str(w, "name", "exception");
        struct attrs at = {w, true};
        gk_jw_key(w, "attributes");
        gk_jw_array_begin(w);
        put_str(&at, "exception.type", gk_status_name(s->status));
        put_str(&at, "exception.message", s->message);
        gk_jw_array_end(w);
        gk_jw_object_end(w);
        gk_jw_array_end(w);
    }
    gk_jw_object_end(w);
}

/* Serialize finished spans[0..n) as comma-separated OTLP span objects and queue them for the
 * collector, which batches them across traces. */
static void submit_otlp(gk__span *const *spans, size_t n)
{
    if (!gk__telemetry_otlp_active())
        return;
    gk_buf b = GK_BUF_INIT(TRACE_BODY_CAP);
    for (size_t i = 0; i < n; i++) {
        if (i)
            gk_buf_putc(&b, ',');
        gk_jw w;
        gk_jw_init(&w, &b); /* one writer per span: the commas between them are ours */
        write_otlp_span(&w, spans[i]);
    }
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        if (n > 1) { /* too big together: one item per span */
            for (size_t i = 0; i < n; i++)
                submit_otlp(&spans[i], 1);
        }
        return;
    }
    size_t len = 0;
    char *body = gk_buf_detach(&b, &len);
    if (body)
        gk__telemetry_submit_otlp(body, len, n);
}
