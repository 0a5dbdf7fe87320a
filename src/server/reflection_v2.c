/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection_v2.c - the reflection API v2 client (see reflection_v2.h): one WebSocket
 * connection to the Genkit CLI on the reflection thread's loop, JSON-RPC 2.0 over its text
 * messages. The protocol bytes are websocket.c's; the actions are run by reflection_run.c, exactly
 * as v1 runs them. Every runAction gets a fiber, so several can be in flight and their
 * notifications and answers interleave; each message is one uv_write, so they never mix within a
 * message. A run belongs to the connection it came on: when that connection ends the run is
 * cancelled and nothing it says later reaches a newer connection.
 * Not here: input streaming (sendInputStreamChunk/endInputStream are ignored, as Go does), TLS. */
#include "server/reflection_v2.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <genkit/json.h>

#include "base/ids.h"
#include "base/log.h"
#include "core/core.h"
#include "runtime/sched.h"
#include "server/reflection_run.h"
#include "server/websocket.h"
#include "telemetry/export.h"

#include "base/banned.h"

/* Same input limits as v1's request bodies: a message is one request. */
#define MAX_MESSAGE    ((size_t)32 << 20)
#define REQUEST_MEMORY ((size_t)64 << 20)
/* A streaming run waits while more than HIGH_WATER bytes are queued on the socket, until they
 * fall to LOW_WATER. */
#define HIGH_WATER           ((size_t)1 << 20)
#define LOW_WATER            ((size_t)256 << 10)
#define FIRST_BACKOFF_MS     500
#define MAX_BACKOFF_MS       5000
#define HANDSHAKE_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS     2000
#define MAX_RUNS             64
#define MAX_ADDRS            8
#define SPEC_VERSION         1

/* JSON-RPC 2.0 error codes. */
#define RPC_PARSE_ERROR      (-32700)
#define RPC_INVALID_REQUEST  (-32600)
#define RPC_METHOD_NOT_FOUND (-32601)
#define RPC_INVALID_PARAMS   (-32602)
#define RPC_INTERNAL_ERROR   (-32603)
#define RPC_SERVER_ERROR     (-32000)

/*
 * Where the connection is. IDLE: no socket, no timer armed. BACKOFF: the timer will connect.
 * CONNECTING, HANDSHAKE: the timer bounds both. OPEN: messages flow. CLOSING: the socket is being
 * shut down and closed (the timer bounds that); its close callback decides what comes next.
 */
enum state { ST_IDLE, ST_BACKOFF, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSING };

struct out {
    uv_write_t req;
    gk__refl_v2 *c;
    size_t len;
    uint8_t data[];
};

/* A runAction in flight. Lives in its own arena (run.arena), freed at on_done. */
struct v2run {
    gk__refl_run run;
    uint64_t gen;        /* the connection it came on */
    const char *id_json; /* the request's id as JSON text, echoed as requestId and id */
    size_t id_len;
};

/* A streaming fiber parked until the socket drains. */
struct bp_wait {
    gk_waiter w;
    struct bp_wait *prev;
    struct bp_wait *next;
};

/*
 * The client. Invariants: tcp_live while tcp is initialised and its close callback has not run
 * (state CONNECTING..CLOSING); pending/pending_bytes count writes not yet completed; gen numbers
 * connections (bumped at each connect) and a v2run answers only while its gen is current and the
 * state is OPEN; runs lists every run not yet done, whatever its connection.
 */
struct gk__refl_v2 {
    gk_genkit *g;
    gk_loop *loop;
    char *url_text;
    gk__ws_url url;
    struct sockaddr_storage addrs[MAX_ADDRS];
    int naddrs;
    int addr_i;
    bool try_next_now; /* the connect failed and another address is left: try it at once */
    char runtime_id[128];
    enum state state;
    bool stopping;
    bool ever_connected;
    uv_tcp_t tcp;
    bool tcp_live;
    uv_connect_t connect_req;
    uv_shutdown_t shutdown_req;
    uv_timer_t timer;
    bool timer_live;
    int64_t backoff_ms;
    char key[25];
    char accept[29];
    gk_buf hs; /* the handshake answer read so far */
    gk__ws_parser parser;
    bool parser_live;
    uint64_t gen;
    unsigned pending;
    size_t pending_bytes;
    struct bp_wait *waiters;
    gk__refl_runs runs;
    uint64_t next_id;
    char register_id[24];
    /* Read buffer: every read is consumed before the next. */
    char slab[64 * 1024];
};

static void drop(gk__refl_v2 *c, const char *why);
static void finish_stop(gk__refl_v2 *c);

/* ---- writes ---- */

static void wake_writers(gk__refl_v2 *c)
{
    for (struct bp_wait *b = c->waiters; b; b = b->next)
        gk__wake(&b->w);
}

static void on_written(uv_write_t *req, int status)
{
    struct out *o = (struct out *)req;
    gk__refl_v2 *c = o->c;
    c->pending--;
    c->pending_bytes -= o->len;
    free(o);
    if (status < 0 && (c->state == ST_OPEN || c->state == ST_HANDSHAKE)) {
        drop(c, uv_strerror(status));
        return;
    }
    if (c->pending_bytes <= LOW_WATER)
        wake_writers(c);
}

static bool write_out(gk__refl_v2 *c, struct out *o, size_t len)
{
    o->c = c;
    o->len = len;
    uv_buf_t buf = uv_buf_init((char *)o->data, (unsigned)len);
    if (uv_write(&o->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
        free(o);
        drop(c, "write failed");
        return false;
    }
    c->pending++;
    c->pending_bytes += len;
    return true;
}

/* Send the n pieces as one masked frame. Only while OPEN; a close frame is sent just before the
 * state leaves OPEN. Returns false if it was not queued. */
static bool send_frame(gk__refl_v2 *c, enum gk__ws_opcode op, const char *const *p,
                       const size_t *len, size_t n)
{
    if (c->state != ST_OPEN)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (!gk_size_add(total, len[i], &total))
            return false;
    uint8_t mask[4];
    uint8_t hdr[14];
    gk__random_bytes(mask, sizeof(mask));
    size_t hlen = gk__ws_frame_header(hdr, op, total, mask);
    size_t sz;
    if (!gk_size_add(sizeof(struct out) + hlen, total, &sz) || total > UINT32_MAX - hlen)
        return false;
    struct out *o = malloc(sz);
    if (!o) {
        drop(c, "out of memory");
        return false;
    }
    memcpy(o->data, hdr, hlen);
    size_t off = hlen;
    for (size_t i = 0; i < n; i++) {
        if (len[i])
            memcpy(o->data + off, p[i], len[i]);
        off += len[i];
    }
    gk__ws_mask(o->data + hlen, total, mask, 0);
    return write_out(c, o, hlen + total);
}

static bool send_text(gk__refl_v2 *c, const gk_buf *b)
{
    if (gk_buf_failed(b))
        return false;
    const char *p = b->ptr ? b->ptr : "";
    return send_frame(c, GK__WS_OP_TEXT, &p, &b->len, 1);
}

/* Close frame with code (0: no code) and a short reason; the connection is dropped after. */
static void send_close(gk__refl_v2 *c, int code, const char *reason)
{
    char payload[125];
    size_t n = 0;
    if (code) {
        payload[0] = (char)(code >> 8);
        payload[1] = (char)(code & 0xff);
        n = 2;
        size_t rlen = reason ? strlen(reason) : 0;
        if (rlen > sizeof(payload) - 2)
            rlen = sizeof(payload) - 2;
        if (rlen)
            memcpy(payload + 2, reason, rlen);
        n += rlen;
    }
    const char *p = payload;
    send_frame(c, GK__WS_OP_CLOSE, &p, &n, 1);
}

/* ---- JSON-RPC replies ---- */

/* {"jsonrpc":"2.0","id":<id or null>, ... then the caller's key, value and gk_jw_object_end. */
static void reply_begin(gk_jw *w, const gk_json *id)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "jsonrpc");
    gk_jw_string(w, "2.0");
    gk_jw_key(w, "id");
    if (id)
        gk_jw_value(w, id);
    else
        gk_jw_null(w);
}

static void send_error(gk__refl_v2 *c, const gk_json *id, int code, const char *message,
                       const char *data)
{
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "error");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "code");
    gk_jw_int(&w, code);
    gk_jw_key(&w, "message");
    gk_jw_string(&w, message);
    if (data) {
        gk_jw_key(&w, "data");
        gk_jw_string(&w, data);
    }
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    send_text(c, &b);
    gk_buf_release(&b);
}

/* A Genkit error as JSON-RPC: -32000 with the reflection status as data. */
static void send_status(gk__refl_v2 *c, const gk_json *id, gk_status st, const char *message)
{
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "error");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "code");
    gk_jw_int(&w, RPC_SERVER_ERROR);
    gk_jw_key(&w, "message");
    gk_jw_string(&w, message);
    gk_jw_key(&w, "data");
    gk__refl_write_status(&w, st, message, NULL);
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    send_text(c, &b);
    gk_buf_release(&b);
}

static void send_result_null(gk__refl_v2 *c, const gk_json *id)
{
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "result");
    gk_jw_null(&w);
    gk_jw_object_end(&w);
    send_text(c, &b);
    gk_buf_release(&b);
}

static void send_register(gk__refl_v2 *c)
{
    snprintf(c->register_id, sizeof(c->register_id), "%llu", (unsigned long long)++c->next_id);
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "jsonrpc");
    gk_jw_string(&w, "2.0");
    gk_jw_key(&w, "method");
    gk_jw_string(&w, "register");
    gk_jw_key(&w, "id");
    gk_jw_string(&w, c->register_id);
    gk_jw_key(&w, "params");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "id");
    gk_jw_string(&w, c->runtime_id);
    gk_jw_key(&w, "pid");
    gk_jw_int(&w, (int64_t)getpid());
    gk_jw_key(&w, "name");
    gk_jw_string(&w, gk__genkit_name(c->g));
    gk_jw_key(&w, "genkitVersion");
    gk_jw_string(&w, "c/" GK_VERSION);
    gk_jw_key(&w, "reflectionApiSpecVersion");
    gk_jw_int(&w, SPEC_VERSION);
    gk_jw_key(&w, "envs");
    gk_jw_array_begin(&w);
    gk_jw_string(&w, "dev");
    gk_jw_array_end(&w);
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    send_text(c, &b);
    gk_buf_release(&b);
}

/* ---- runAction: the runner's callbacks ---- */

static bool is_current(gk__refl_v2 *c, const struct v2run *vr)
{
    return c->state == ST_OPEN && vr->gen == c->gen;
}

static void v2_on_trace(gk__refl_run *run, const char *trace_id, const char *span_id)
{
    struct v2run *vr = (struct v2run *)run;
    gk__refl_v2 *c = run->owner;
    (void)span_id;
    if (!is_current(c, vr))
        return;
    const char *p[] = {"{\"jsonrpc\":\"2.0\",\"method\":\"runActionState\",\"params\":{"
                       "\"requestId\":",
                       vr->id_json, ",\"state\":{\"traceId\":\"", trace_id, "\"}}}"};
    size_t l[] = {strlen(p[0]), vr->id_len, strlen(p[2]), strlen(trace_id), strlen(p[4])};
    send_frame(c, GK__WS_OP_TEXT, p, l, 5);
}

static gk_status v2_on_chunk(gk__refl_run *run, const char *json, size_t len)
{
    struct v2run *vr = (struct v2run *)run;
    gk__refl_v2 *c = run->owner;
    if (!is_current(c, vr))
        return GK_CANCELLED;
    const char *p[] = {"{\"jsonrpc\":\"2.0\",\"method\":\"streamChunk\",\"params\":{"
                       "\"requestId\":",
                       vr->id_json, ",\"chunk\":", json, "}}"};
    size_t l[] = {strlen(p[0]), vr->id_len, strlen(p[2]), len, strlen(p[4])};
    if (!send_frame(c, GK__WS_OP_TEXT, p, l, 5))
        return GK_CANCELLED;
    while (c->pending_bytes > HIGH_WATER && is_current(c, vr)) {
        struct bp_wait bw = {0};
        bw.next = c->waiters;
        if (c->waiters)
            c->waiters->prev = &bw;
        c->waiters = &bw;
        gk_status st = gk__park(run->ctx, &bw.w);
        if (bw.prev)
            bw.prev->next = bw.next;
        else
            c->waiters = bw.next;
        if (bw.next)
            bw.next->prev = bw.prev;
        if (st != GK_OK)
            return st;
    }
    return is_current(c, vr) ? GK_OK : GK_CANCELLED;
}

static void v2_on_result(gk__refl_run *run, gk_status st, const char *message, const char *body,
                         size_t len)
{
    struct v2run *vr = (struct v2run *)run;
    gk__refl_v2 *c = run->owner;
    if (!is_current(c, vr))
        return;
    if (st == GK_OK) {
        const char *p[] = {"{\"jsonrpc\":\"2.0\",\"id\":", vr->id_json, ",\"result\":", body, "}"};
        size_t l[] = {strlen(p[0]), vr->id_len, strlen(p[2]), len, 1};
        send_frame(c, GK__WS_OP_TEXT, p, l, 5);
        return;
    }
    gk_buf m = GK_BUF_INIT(4096);
    gk_json_write_string(&m, message, strlen(message));
    if (gk_buf_failed(&m)) {
        gk_buf_release(&m);
        return;
    }
    const char *p[] = {"{\"jsonrpc\":\"2.0\",\"id\":",
                       vr->id_json,
                       ",\"error\":{\"code\":-32000,\"message\":",
                       m.ptr,
                       ",\"data\":",
                       body,
                       "}}"};
    size_t l[] = {strlen(p[0]), vr->id_len, strlen(p[2]), m.len, strlen(p[4]), len, 2};
    send_frame(c, GK__WS_OP_TEXT, p, l, 7);
    gk_buf_release(&m);
}

static void v2_on_done(gk__refl_run *run)
{
    gk__refl_v2 *c = run->owner;
    gk_arena_free(run->arena); /* run lives in it */
    if (c->stopping && c->runs.count == 0)
        finish_stop(c);
}

static const gk__refl_run_ops v2_ops = {
    .on_trace = v2_on_trace,
    .on_chunk = v2_on_chunk,
    .on_result = v2_on_result,
    .on_done = v2_on_done,
};

/* ---- JSON-RPC requests ---- */

static void list_actions(gk__refl_v2 *c, gk_arena *a, const gk_json *id)
{
    gk_buf b = GK_BUF_INIT(GK__REFL_OUT_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "result");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "actions");
    gk__refl_write_actions(&w, c->g, a);
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    if (gk_buf_failed(&b))
        send_error(c, id, RPC_INTERNAL_ERROR, "the action list is too large", NULL);
    else
        send_text(c, &b);
    gk_buf_release(&b);
}

static void list_values(gk__refl_v2 *c, const gk_json *id, const gk_json *params)
{
    const char *type = gk__refl_json_str(params, "type");
    if (!type || !type[0]) {
        send_error(c, id, RPC_INVALID_PARAMS, "\"type\" is required", NULL);
        return;
    }
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "result");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "values");
    gk_error e = {0};
    if (gk__refl_write_values(&w, c->g, type, &e) != GK_OK)
        send_error(c, id, RPC_INVALID_PARAMS, e.message, NULL);
    else {
        gk_jw_object_end(&w);
        gk_jw_object_end(&w);
        send_text(c, &b);
    }
    gk_buf_release(&b);
}

static void cancel_action(gk__refl_v2 *c, const gk_json *id, const gk_json *params)
{
    const char *trace = gk__refl_json_str(params, "traceId");
    if (!trace || !trace[0]) {
        send_error(c, id, RPC_INVALID_PARAMS, "traceId is required", NULL);
        return;
    }
    if (!gk__refl_run_cancel_trace(&c->runs, trace)) {
        send_status(c, id, GK_NOT_FOUND, "Action not found or already completed");
        return;
    }
    gk_buf b = GK_BUF_INIT(4096);
    gk_jw w;
    gk_jw_init(&w, &b);
    reply_begin(&w, id);
    gk_jw_key(&w, "result");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "message");
    gk_jw_string(&w, "Action cancelled");
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);
    send_text(c, &b);
    gk_buf_release(&b);
}

/* Start a runAction. Returns true if the run took the arena a. */
static bool run_action(gk__refl_v2 *c, gk_arena *a, const gk_json *id, const gk_json *params)
{
    if (!params || params->type != GK_JSON_OBJECT) {
        send_error(c, id, RPC_INVALID_PARAMS, "params must be an object", NULL);
        return false;
    }
    if (c->runs.count >= MAX_RUNS) {
        send_status(c, id, GK_RESOURCE_EXHAUSTED, "too many actions running");
        return false;
    }
    struct v2run *vr = GK_NEW(a, struct v2run, 1);
    gk_buf idb = GK_BUF_INIT(4096);
    gk_json_write(&idb, id);
    char *id_json = vr && !gk_buf_failed(&idb) ? gk_arena_strndup(a, idb.ptr, idb.len) : NULL;
    size_t id_len = idb.len;
    gk_buf_release(&idb);
    if (!id_json) {
        send_status(c, id, GK_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }
    const gk_json *stream = gk_json_get(params, "stream");
    vr->gen = c->gen;
    vr->id_json = id_json;
    vr->id_len = id_len;
    vr->run.ops = &v2_ops;
    vr->run.owner = c;
    vr->run.arena = a;
    vr->run.stream = stream && stream->type == GK_JSON_BOOL && stream->boolean;
    gk_error e = {0};
    gk_status st = gk__refl_run_start(&c->runs, &vr->run, c->g, c->loop, params, &e);
    if (st == GK_OK)
        return true;
    if (st == GK_INVALID_ARGUMENT)
        send_error(c, id, RPC_INVALID_PARAMS, e.message, NULL);
    else
        send_status(c, id, st, e.message);
    return false;
}

/* An answer to one of our requests: only register's matters (it carries the telemetry URL). */
static void on_response(gk__refl_v2 *c, const gk_json *doc, const gk_json *id)
{
    if (!id || id->type != GK_JSON_STRING || strcmp(id->str, c->register_id) != 0)
        return;
    const gk_json *error = gk_json_get(doc, "error");
    if (error && error->type == GK_JSON_OBJECT) {
        const char *m = gk__refl_json_str(error, "message");
        gk__log(GK_LOG_WARN, "reflection API v2: the Genkit CLI refused to register: %s",
                m ? m : "(no message)");
        return;
    }
    const gk_json *result = gk_json_get(doc, "result");
    const char *url = result ? gk__refl_json_str(result, "telemetryServerUrl") : NULL;
    if (url && url[0])
        gk__telemetry_notify_server(url);
}

static void on_message(gk__refl_v2 *c, const char *text, size_t len)
{
    gk_arena *a = gk_arena_new(REQUEST_MEMORY);
    if (!a) {
        send_error(c, NULL, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    gk_json_limits lim = {.max_size = MAX_MESSAGE};
    gk_json *doc = NULL;
    gk_error e = {0};
    if (gk_json_parse(a, text, len, &lim, &doc, &e) != GK_OK) {
        if (e.status == GK_INVALID_ARGUMENT)
            send_error(c, NULL, RPC_PARSE_ERROR, "Parse error", e.message);
        else
            send_error(c, NULL, RPC_INTERNAL_ERROR, "Internal error", e.message);
        gk_arena_free(a);
        return;
    }
    const gk_json *id = doc->type == GK_JSON_OBJECT ? gk_json_get(doc, "id") : NULL;
    if (id && id->type != GK_JSON_STRING && id->type != GK_JSON_NUMBER && id->type != GK_JSON_NULL)
        id = NULL;
    const gk_json *ver = doc->type == GK_JSON_OBJECT ? gk_json_get(doc, "jsonrpc") : NULL;
    const gk_json *method = doc->type == GK_JSON_OBJECT ? gk_json_get(doc, "method") : NULL;
    if (doc->type != GK_JSON_OBJECT || !ver || ver->type != GK_JSON_STRING ||
        strcmp(ver->str, "2.0") != 0 || (method && method->type != GK_JSON_STRING)) {
        send_error(c, id, RPC_INVALID_REQUEST, "Invalid Request", NULL);
        gk_arena_free(a);
        return;
    }
    if (!method) {
        on_response(c, doc, id);
        gk_arena_free(a);
        return;
    }
    const char *m = method->str;
    const gk_json *params = gk_json_get(doc, "params");
    bool request = id != NULL; /* a notification has no id at all */
    if (request && strcmp(m, "listActions") == 0) {
        list_actions(c, a, id);
    } else if (request && strcmp(m, "listValues") == 0) {
        list_values(c, id, params);
    } else if (request && strcmp(m, "runAction") == 0) {
        if (run_action(c, a, id, params))
            a = NULL;
    } else if (request && strcmp(m, "cancelAction") == 0) {
        cancel_action(c, id, params);
    } else if (strcmp(m, "configure") == 0) {
        const char *url = gk__refl_json_str(params, "telemetryServerUrl");
        if (url && url[0])
            gk__telemetry_notify_server(url);
        if (request)
            send_result_null(c, id);
    } else if (strcmp(m, "sendInputStreamChunk") == 0 || strcmp(m, "endInputStream") == 0) {
        if (request) /* input streaming is not supported; like Go, say nothing else */
            send_result_null(c, id);
    } else if (request) {
        gk_error nf = {0};
        gk_error_set(&nf, GK_NOT_FOUND, "", "Method not found: %s", m);
        send_error(c, id, RPC_METHOD_NOT_FOUND, nf.message, NULL);
    } else {
        gk__log(GK_LOG_DEBUG, "reflection API v2: ignored notification \"%s\"", m);
    }
    gk_arena_free(a);
}

/* ---- frames ---- */

static void feed(gk__refl_v2 *c, const char *p, size_t n)
{
    while (c->state == ST_OPEN) {
        gk__ws_event ev;
        size_t used = gk__ws_parse(&c->parser, p, n, &ev);
        p += used;
        n -= used;
        switch (ev.type) {
        case GK__WS_EV_NONE:
            return;
        case GK__WS_EV_MESSAGE:
            if (ev.binary) {
                send_close(c, GK__WS_CLOSE_UNSUPPORTED, "binary messages are not supported");
                drop(c, "the Genkit CLI sent a binary message");
                return;
            }
            on_message(c, ev.data, ev.len);
            break;
        case GK__WS_EV_PING: {
            const char *d = ev.data;
            send_frame(c, GK__WS_OP_PONG, &d, &ev.len, 1);
            break;
        }
        case GK__WS_EV_PONG:
            break;
        case GK__WS_EV_CLOSE:
            send_close(c, ev.code == GK__WS_CLOSE_NO_STATUS ? 0 : ev.code, NULL);
            drop(c, "the Genkit CLI closed the connection");
            return;
        case GK__WS_EV_ERROR:
            gk__log(GK_LOG_WARN, "reflection API v2: protocol error from the Genkit CLI: %s",
                    ev.error);
            send_close(c, ev.code, ev.error);
            drop(c, ev.error);
            return;
        }
    }
}

/* ---- the connection ---- */

static void on_timer(uv_timer_t *t);
static void connect_now(gk__refl_v2 *c);

static void close_timer(gk__refl_v2 *c)
{
    if (c->timer_live && !uv_is_closing((uv_handle_t *)&c->timer))
        uv_close((uv_handle_t *)&c->timer, NULL);
}

static void on_tcp_closed(uv_handle_t *h)
{
    gk__refl_v2 *c = h->data;
    c->tcp_live = false;
    uv_timer_stop(&c->timer);
    gk_buf_release(&c->hs);
    if (c->parser_live) {
        gk__ws_parser_release(&c->parser);
        c->parser_live = false;
    }
    if (c->stopping) {
        c->state = ST_IDLE;
        if (c->runs.count == 0)
            close_timer(c);
        return;
    }
    if (c->try_next_now) {
        c->try_next_now = false;
        connect_now(c);
        return;
    }
    c->addr_i = 0;
    c->state = ST_BACKOFF;
    uv_timer_start(&c->timer, on_timer, (uint64_t)c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : c->backoff_ms * 2;
}

static void close_tcp(gk__refl_v2 *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_tcp_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    gk__refl_v2 *c = req->data;
    (void)status;
    close_tcp(c);
}

/* End the current connection (any state with a socket): cancel its runs, flush what is queued
 * (bounded by CLOSE_TIMEOUT_MS), close; on_tcp_closed then reconnects or finishes stopping. */
static void drop(gk__refl_v2 *c, const char *why)
{
    enum state was = c->state;
    if (was != ST_CONNECTING && was != ST_HANDSHAKE && was != ST_OPEN)
        return;
    c->state = ST_CLOSING;
    if (was == ST_OPEN && !c->stopping)
        gk__log(GK_LOG_WARN, "reflection API v2: disconnected from %s (%s); reconnecting",
                c->url_text, why);
    else
        gk__log(GK_LOG_DEBUG, "reflection API v2: connection to %s ended: %s", c->url_text, why);
    gk__refl_run_cancel_all(&c->runs); /* their answers have nowhere to go */
    wake_writers(c);
    uv_timer_stop(&c->timer);
    if (was == ST_CONNECTING) {
        close_tcp(c); /* the connect callback gets UV_ECANCELED and sees CLOSING */
        return;
    }
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        close_tcp(c);
        return;
    }
    uv_timer_start(&c->timer, on_timer, CLOSE_TIMEOUT_MS, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    gk__refl_v2 *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->slab, sizeof(c->slab));
}

static void on_open(gk__refl_v2 *c, const char *rest, size_t n)
{
    c->state = ST_OPEN;
    c->backoff_ms = FIRST_BACKOFF_MS;
    uv_timer_stop(&c->timer);
    gk__ws_parser_init(&c->parser, MAX_MESSAGE, false);
    c->parser_live = true;
    gk__log(c->ever_connected ? GK_LOG_INFO : GK_LOG_DEBUG,
            "reflection API v2: connected to %s (runtime %s)", c->url_text, c->runtime_id);
    c->ever_connected = true;
    send_register(c);
    feed(c, rest, n);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    gk__refl_v2 *c = s->data;
    if (nread < 0) {
        drop(c, nread == UV_EOF ? "closed by the peer" : uv_strerror((int)nread));
        return;
    }
    if (nread == 0)
        return;
    if (c->state == ST_OPEN) {
        feed(c, buf->base, (size_t)nread);
        return;
    }
    if (c->state != ST_HANDSHAKE)
        return;
    gk_buf_put(&c->hs, buf->base, (size_t)nread);
    if (gk_buf_failed(&c->hs)) {
        drop(c, "out of memory");
        return;
    }
    size_t head = 0;
    gk_error e = {0};
    gk__ws_hs_result r = gk__ws_handshake_check(c->hs.ptr, c->hs.len, c->accept, &head, &e);
    if (r == GK__WS_HS_MORE)
        return;
    if (r == GK__WS_HS_FAILED) {
        gk__log(GK_LOG_WARN, "reflection API v2: %s: %s", c->url_text, e.message);
        drop(c, e.message);
        return;
    }
    on_open(c, c->hs.ptr + head, c->hs.len - head);
    gk_buf_release(&c->hs); /* after the frames that came with it were read */
}

static void on_connect(uv_connect_t *req, int status)
{
    gk__refl_v2 *c = req->data;
    if (c->state != ST_CONNECTING)
        return; /* dropped meanwhile: the close callback decides what follows */
    if (status < 0) {
        c->try_next_now = c->addr_i + 1 < c->naddrs;
        if (c->try_next_now)
            c->addr_i++;
        drop(c, uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->state = ST_HANDSHAKE;
    gk__ws_new_key(c->key);
    gk__ws_accept_for(c->key, c->accept);
    c->hs = GK_BUF_INIT(GK__WS_MAX_HANDSHAKE + sizeof(c->slab));
    gk_buf b = GK_BUF_INIT(4096);
    gk__ws_handshake_request(&b, &c->url, c->key);
    struct out *o = gk_buf_failed(&b) ? NULL : malloc(sizeof(struct out) + b.len);
    if (!o) {
        gk_buf_release(&b);
        drop(c, "out of memory");
        return;
    }
    memcpy(o->data, b.ptr, b.len);
    size_t len = b.len;
    gk_buf_release(&b);
    if (!write_out(c, o, len))
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        drop(c, "cannot read");
}

static void connect_now(gk__refl_v2 *c)
{
    uv_loop_t *uv = gk__loop_uv(c->loop);
    c->gen++;
    if (uv_tcp_init(uv, &c->tcp) != 0) {
        c->state = ST_BACKOFF;
        uv_timer_start(&c->timer, on_timer, (uint64_t)c->backoff_ms, 0);
        return;
    }
    c->tcp.data = c;
    c->tcp_live = true;
    c->state = ST_CONNECTING;
    c->connect_req.data = c;
    uv_timer_start(&c->timer, on_timer, HANDSHAKE_TIMEOUT_MS, 0);
    int rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&c->addrs[c->addr_i],
                            on_connect);
    if (rc != 0)
        drop(c, uv_strerror(rc));
}

static void on_timer(uv_timer_t *t)
{
    gk__refl_v2 *c = t->data;
    switch (c->state) {
    case ST_BACKOFF:
        if (!c->stopping)
            connect_now(c);
        break;
    case ST_CONNECTING:
    case ST_HANDSHAKE:
        c->try_next_now = false;
        drop(c, "timed out");
        break;
    case ST_CLOSING:
        close_tcp(c); /* the peer does not take our last bytes: give up on them */
        break;
    case ST_IDLE:
    case ST_OPEN:
        break;
    }
}

/* ---- lifecycle ---- */

static void finish_stop(gk__refl_v2 *c)
{
    switch (c->state) {
    case ST_OPEN:
        send_close(c, GK__WS_CLOSE_GOING_AWAY, "runtime stopping");
        drop(c, "stopping");
        break;
    case ST_CONNECTING:
    case ST_HANDSHAKE:
        drop(c, "stopping");
        break;
    case ST_CLOSING:
        break; /* on_tcp_closed sees stopping */
    case ST_IDLE:
    case ST_BACKOFF:
        uv_timer_stop(&c->timer);
        c->state = ST_IDLE;
        close_timer(c);
        break;
    }
}

bool gk__refl_v2_start(gk__refl_v2 *c, gk_loop *loop)
{
    c->loop = loop;
    if (uv_timer_init(gk__loop_uv(loop), &c->timer) != 0)
        return false;
    c->timer.data = c;
    c->timer_live = true;
    c->backoff_ms = FIRST_BACKOFF_MS;
    connect_now(c);
    return true;
}

void gk__refl_v2_stop(gk__refl_v2 *c)
{
    if (c->stopping)
        return;
    c->stopping = true;
    if (c->state == ST_BACKOFF) { /* no reconnect now, even while runs finish */
        uv_timer_stop(&c->timer);
        c->state = ST_IDLE;
    }
    gk__refl_run_cancel_all(&c->runs);
    if (c->runs.count == 0)
        finish_stop(c);
}

static gk_status resolve(gk__refl_v2 *c, gk_error *err)
{
    char port[8];
    snprintf(port, sizeof(port), "%d", c->url.port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(c->url.host, port, &hints, &res);
    if (rc != 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "cannot resolve \"%s\": %s", c->url.host,
                            gai_strerror(rc));
    for (struct addrinfo *ai = res; ai && c->naddrs < MAX_ADDRS; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(c->addrs[0]))
            continue;
        memcpy(&c->addrs[c->naddrs++], ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    if (c->naddrs == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\" has no usable address",
                            c->url.host);
    return GK_OK;
}

gk__refl_v2 *gk__refl_v2_new(gk_genkit *g, const char *url, const char *runtime_id, gk_error *err)
{
    gk__refl_v2 *c = calloc(1, sizeof(*c));
    if (!c) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    c->g = g;
    if (gk__ws_url_parse(url, &c->url, err) != GK_OK || resolve(c, err) != GK_OK) {
        free(c);
        return NULL;
    }
    c->url_text = strdup(url);
    size_t idlen = strlen(runtime_id);
    if (!c->url_text || idlen >= sizeof(c->runtime_id)) {
        free(c->url_text);
        free(c);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    memcpy(c->runtime_id, runtime_id, idlen + 1);
    c->hs = GK_BUF_INIT(GK__WS_MAX_HANDSHAKE);
    return c;
}

void gk__refl_v2_free(gk__refl_v2 *c)
{
    if (!c)
        return;
    gk_buf_release(&c->hs);
    if (c->parser_live)
        gk__ws_parser_release(&c->parser);
    free(c->url_text);
    free(c);
}
