/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection.c - the reflection API v1 (genkit-reference.md 4.2-4.5): a small HTTP/1.1
 * server on 127.0.0.1 with its own thread and one-loop runtime, so dev tooling never competes with
 * the flow server's loops. One request per connection (every answer says Connection: close), which
 * is all the Genkit CLI needs. runAction runs the action in a fiber under a requested trace and
 * sends the headers (X-Genkit-Trace-Id...) as soon as the root span exists, then the body in
 * chunks; cancelAction cancels the context of the run with that trace id. The runtime file in
 * <project>/.genkit/runtimes/ announces the server to the CLI and is removed at stop (and at exit).
 * With a v2 server URL (GENKIT_REFLECTION_V2_SERVER, set by the CLI's one-shot commands) the same
 * thread and loop run the v2 WebSocket client (reflection_v2.c) instead of the HTTP server, and no
 * runtime file is written. Listing, values and running actions are reflection_run.c's, shared by
 * both. Not here: the flow protocol, anything bound to a public address. */
#include "server/reflection.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <genkit/json.h>

#include "base/ids.h"
#include "base/log.h"
#include "core/core.h"
#include "runtime/sched.h"
#include "server/http_parse.h"
#include "server/reflection_run.h"
#include "server/reflection_v2.h"
#include "telemetry/export.h"

#include "base/banned.h"

#define FIRST_PORT     3100
#define LAST_PORT      3199
#define REQUEST_MEMORY ((size_t)64 << 20)
#define MAX_BODY       ((size_t)32 << 20)
#define OUT_CAP        GK__REFL_OUT_CAP
#define HIGH_WATER     ((size_t)1 << 20)
#define LOW_WATER      ((size_t)256 << 10)
#define SPEC_VERSION   1
#define VERSION_HEADER "X-Genkit-Version: c/" GK_VERSION "\r\n"

const char *gk__srv_reason(int status); /* response.c */

/*
 * One connection, carrying one request. Invariants: the struct is freed when its handle is
 * closed and no fiber runs for it (maybe_free); arena holds the request and, while running, the
 * action's context; pending counts writes not yet completed and pending_bytes their size.
 */
struct rconn {
    uv_tcp_t tcp;
    gk_reflection *r;
    struct rconn *prev;
    struct rconn *next;
    gk__http_parser hp;
    gk_arena *arena;
    bool have_request; /* a complete request was parsed; later input is ignored */
    gk__refl_run run;  /* runAction: the action running for this connection */
    bool headers_sent;
    bool finished; /* the whole response was handed to write */
    bool closing;  /* uv_close was called */
    bool closed;   /* the close callback ran */
    unsigned pending;
    size_t pending_bytes;
    gk_waiter *writer; /* a streaming fiber waiting for pending_bytes to fall */
};

struct wreq {
    uv_write_t req;
    struct rconn *c;
    size_t len;
    char data[];
};

/* The server. Invariants: conns lists every live connection; file is "" or the runtime file we
 * wrote; v2 is set in v2 mode (then there is no listener, no port and no file); runs lists the
 * actions running for v1 requests; everything but the atomics belongs to the server's loop once
 * it runs. */
struct gk_reflection {
    gk_genkit *g;
    gk_runtime *rt;
    gk_loop *loop;
    pthread_t thread;
    bool thread_started;
    int fd;
    int port;
    char id[128];
    char file[PATH_MAX];
    uv_tcp_t listener;
    bool listening;
    struct rconn *conns;
    gk__refl_runs runs;
    gk__refl_v2 *v2;
    uv_sem_t started;
    atomic_bool start_failed;
    /* Read buffer of the server's one loop thread: every read is consumed before the next. In the
     * struct, not _Thread_local, so that other threads don't carry (and zero) 64 KiB each. */
    char slab[64 * 1024];
};

/* ---- the runtime file ---- */

/* The runtime file of this process, removed by an exit handler if the program never stops the
 * server (exit() from elsewhere). Guarded by file_mu. */
static pthread_mutex_t file_mu = PTHREAD_MUTEX_INITIALIZER;
static char exit_file[PATH_MAX];
static bool exit_handler_set;

static void remove_at_exit(void)
{
    pthread_mutex_lock(&file_mu);
    if (exit_file[0])
        unlink(exit_file);
    exit_file[0] = '\0';
    pthread_mutex_unlock(&file_mu);
}

static bool exists(const char *dir, const char *name)
{
    char p[PATH_MAX];
    int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
    struct stat st;
    return n > 0 && (size_t)n < sizeof(p) && stat(p, &st) == 0;
}

/* The Genkit CLI's project root (tools-common findProjectRoot): the nearest ancestor of the
 * working directory holding a marker, the filesystem root excluded; else the working directory. */
static bool project_root(char *out, size_t cap)
{
    static const char *const markers[] = {"package.json",     "go.mod",       "pyproject.toml",
                                          "requirements.txt", "pom.xml",      "build.gradle",
                                          "build.gradle.kts", "pubspec.yaml", NULL};
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)) || strlen(cwd) >= cap)
        return false;
    char dir[PATH_MAX];
    memcpy(dir, cwd, strlen(cwd) + 1);
    while (strcmp(dir, "/") != 0 && dir[0]) {
        for (size_t i = 0; markers[i]; i++) {
            if (exists(dir, markers[i])) {
                memcpy(out, dir, strlen(dir) + 1);
                return true;
            }
        }
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    memcpy(out, cwd, strlen(cwd) + 1);
    return true;
}

static bool mkdir_p(const char *path)
{
    char p[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(p))
        return false;
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char saved = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return false;
        p[i] = saved;
    }
    return true;
}

static gk_status write_runtime_file(gk_reflection *r, const char *project_dir, gk_error *err)
{
    char root[PATH_MAX];
    if (project_dir) {
        if (strlen(project_dir) >= sizeof(root))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "project directory path too long");
        memcpy(root, project_dir, strlen(project_dir) + 1);
    } else if (!project_root(root, sizeof(root))) {
        return gk_error_set(err, GK_INTERNAL, "", "cannot read the working directory: %s",
                            strerror(errno));
    }
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/.genkit/runtimes", root);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "project directory path too long");
    if (!mkdir_p(dir))
        return gk_error_set(err, GK_INTERNAL, "", "cannot create \"%s\": %s", dir, strerror(errno));
    int64_t now = gk__wall_ms();
    char ts[32];
    gk__iso8601(now, ts);
    n = snprintf(r->file, sizeof(r->file), "%s/%ld-%lld.json", dir, (long)getpid(), (long long)now);
    if (n < 0 || (size_t)n >= sizeof(r->file)) {
        r->file[0] = '\0';
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "project directory path too long");
    }
    gk_buf b = GK_BUF_INIT(8192);
    gk_buf_puts(&b, "{\n  \"id\": ");
    gk_json_write_string(&b, r->id, strlen(r->id));
    gk_buf_printf(&b, ",\n  \"pid\": %ld,\n  \"name\": ", (long)getpid());
    const char *name = gk__genkit_name(r->g);
    gk_json_write_string(&b, name, strlen(name));
    gk_buf_printf(&b,
                  ",\n  \"reflectionServerUrl\": \"http://127.0.0.1:%d\",\n"
                  "  \"timestamp\": \"%s\",\n  \"genkitVersion\": \"c/%s\",\n"
                  "  \"reflectionApiSpecVersion\": %d\n}\n",
                  r->port, ts, GK_VERSION, SPEC_VERSION);
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        r->file[0] = '\0';
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    FILE *f = fopen(r->file, "wx");
    bool ok = f && fwrite(b.ptr, 1, b.len, f) == b.len;
    if (f && fclose(f) != 0)
        ok = false;
    gk_buf_release(&b);
    if (!ok) {
        int e = errno;
        unlink(r->file);
        gk_error_set(err, GK_INTERNAL, "", "cannot write the runtime file \"%s\": %s", r->file,
                     strerror(e));
        r->file[0] = '\0';
        return GK_INTERNAL;
    }
    pthread_mutex_lock(&file_mu);
    memcpy(exit_file, r->file, sizeof(exit_file));
    if (!exit_handler_set)
        exit_handler_set = atexit(remove_at_exit) == 0;
    pthread_mutex_unlock(&file_mu);
    return GK_OK;
}

static void remove_runtime_file(gk_reflection *r)
{
    if (!r->file[0])
        return;
    unlink(r->file);
    pthread_mutex_lock(&file_mu);
    if (strcmp(exit_file, r->file) == 0)
        exit_file[0] = '\0';
    pthread_mutex_unlock(&file_mu);
}

/* ---- connections and writes ---- */

static void on_closed(uv_handle_t *h);

static void maybe_free(struct rconn *c)
{
    if (!c->closed || c->run.running)
        return;
    gk_reflection *r = c->r;
    if (c->prev)
        c->prev->next = c->next;
    else
        r->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    gk_arena_free(c->arena);
    free(c);
}

static void close_conn(struct rconn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->writer) {
        gk_waiter *w = c->writer;
        c->writer = NULL;
        gk__wake(w);
    }
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

/* The client went away or the socket failed: stop the action and close. */
static void abort_conn(struct rconn *c)
{
    gk__refl_run_cancel(&c->run);
    close_conn(c);
}

static void on_closed(uv_handle_t *h)
{
    struct rconn *c = h->data;
    c->closed = true;
    maybe_free(c);
}

static void maybe_close(struct rconn *c)
{
    if (c->finished && c->pending == 0)
        close_conn(c);
}

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    struct rconn *c = w->c;
    c->pending--;
    c->pending_bytes -= w->len;
    free(w);
    if (status < 0 && !c->closing) {
        abort_conn(c);
        return;
    }
    if (c->writer && c->pending_bytes <= LOW_WATER) {
        gk_waiter *wt = c->writer;
        c->writer = NULL;
        gk__wake(wt);
    }
    maybe_close(c);
}

/* Queue a copy of the n pieces. Returns false if the connection is closing. */
static bool write_pieces(struct rconn *c, const char *const *p, const size_t *len, size_t n)
{
    if (c->closing)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (!gk_size_add(total, len[i], &total))
            return false;
    size_t sz;
    if (!gk_size_add(sizeof(struct wreq), total, &sz))
        return false;
    struct wreq *w = malloc(sz);
    if (!w) {
        abort_conn(c);
        return false;
    }
    w->c = c;
    w->len = total;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (len[i])
            memcpy(w->data + off, p[i], len[i]);
        off += len[i];
    }
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)total);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_written) != 0) {
        free(w);
        abort_conn(c);
        return false;
    }
    c->pending++;
    c->pending_bytes += total;
    return true;
}

static bool write_all(struct rconn *c, const char *p, size_t n)
{
    return write_pieces(c, &p, &n, 1);
}

static void finish(struct rconn *c)
{
    c->finished = true;
    maybe_close(c);
}

/* A complete response with a body. */
static void respond(struct rconn *c, int status, const char *type, const char *body, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n" VERSION_HEADER
                     "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                     status, gk__srv_reason(status), type, len);
    const char *p[2] = {head, body};
    size_t l[2] = {(size_t)n, len};
    write_pieces(c, p, l, body ? 2 : 1);
    finish(c);
}

static void respond_text(struct rconn *c, int status, const char *text)
{
    respond(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void respond_buf(struct rconn *c, int status, gk_buf *b)
{
    if (gk_buf_failed(b))
        respond_text(c, 500, "response too large");
    else
        respond(c, status, "application/json", b->ptr ? b->ptr : "", b->len);
    gk_buf_release(b);
}

/* {"error": <status>}: the reflection error shape (gk__refl_write_status). */
static void respond_error(struct rconn *c, int http, gk_status st, const char *message)
{
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "error");
    gk__refl_write_status(&w, st, message, NULL);
    gk_jw_object_end(&w);
    respond_buf(c, http, &b);
}

/* ---- small parsing helpers ---- */

static bool str_is(gk_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

const char *gk__reflection_query_get(gk_arena *a, gk_str q, const char *key)
{
    size_t klen = strlen(key);
    size_t i = 0;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.ptr[i] != '&')
            i++;
        const char *pair = q.ptr + start;
        size_t plen = i - start;
        i++;
        if (plen < klen || memcmp(pair, key, klen) != 0 || (plen > klen && pair[klen] != '='))
            continue;
        const char *v = plen > klen ? pair + klen + 1 : pair + plen;
        size_t vlen = plen > klen ? plen - klen - 1 : 0;
        char *out = gk_arena_alloc(a, vlen + 1);
        if (!out)
            return NULL;
        size_t o = 0;
        for (size_t k = 0; k < vlen; k++) {
            char ch = v[k];
            if (ch == '+') {
                ch = ' ';
            } else if (ch == '%') {
                if (k + 2 >= vlen)
                    return NULL;
                int hi = gk__hex_value(v[k + 1]);
                int lo = gk__hex_value(v[k + 2]);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                    return NULL;
                ch = (char)(hi * 16 + lo);
                k += 2;
            }
            out[o++] = ch;
        }
        out[o] = '\0';
        return out;
    }
    return NULL;
}

/* Parse the request body as a JSON object. On failure answers 400 and returns NULL. */
static const gk_json *body_object(struct rconn *c, const gk__http_request *h)
{
    gk_json_limits lim = {.max_size = MAX_BODY};
    gk_json *doc = NULL;
    gk_error e = {0};
    if (!h->body) {
        respond_error(c, 400, GK_INVALID_ARGUMENT, "request body must be a JSON object");
        return NULL;
    }
    if (gk_json_parse(c->arena, h->body, h->body_len, &lim, &doc, &e) != GK_OK) {
        gk_error m = {0};
        gk_error_set(&m, GK_INVALID_ARGUMENT, "", "invalid JSON body: %s", e.message);
        respond_error(c, 400, GK_INVALID_ARGUMENT, m.message);
        return NULL;
    }
    if (doc->type != GK_JSON_OBJECT) {
        respond_error(c, 400, GK_INVALID_ARGUMENT, "request body must be a JSON object");
        return NULL;
    }
    return doc;
}

/* ---- endpoints ---- */

static void health(struct rconn *c, const gk__http_request *h)
{
    const char *id = gk__reflection_query_get(c->arena, h->query, "id");
    if (id && strcmp(id, c->r->id) != 0) {
        respond_text(c, 503, "Invalid runtime ID");
        return;
    }
    respond_text(c, 200, "OK");
}

static void list_actions(struct rconn *c)
{
    gk_buf b = GK_BUF_INIT(OUT_CAP);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk__refl_write_actions(&w, c->r->g, c->arena);
    respond_buf(c, 200, &b);
}

static void values(struct rconn *c, const gk__http_request *h)
{
    const char *type = gk__reflection_query_get(c->arena, h->query, "type");
    if (!type || !type[0]) {
        respond_text(c, 400, "Query parameter \"type\" is required.");
        return;
    }
    gk_buf b = GK_BUF_INIT(64 * 1024);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_error e = {0};
    if (gk__refl_write_values(&w, c->r->g, type, &e) != GK_OK) {
        gk_buf_release(&b);
        respond_text(c, 400, e.message);
        return;
    }
    respond_buf(c, 200, &b);
}

static void notify(struct rconn *c, const gk__http_request *h)
{
    const gk_json *body = body_object(c, h);
    if (!body)
        return;
    const char *url = gk__refl_json_str(body, "telemetryServerUrl");
    if (url && url[0])
        gk__telemetry_notify_server(url);
    const gk_json *v = gk_json_get(body, "reflectionApiSpecVersion");
    if (v && v->type == GK_JSON_NUMBER && (!v->is_int || v->integer != SPEC_VERSION))
        gk__log(GK_LOG_WARN,
                "the Genkit CLI speaks reflection API version %s; this runtime speaks %d",
                v->str ? v->str : "?", SPEC_VERSION);
    respond_text(c, 200, "OK");
}

static void cancel_action(struct rconn *c, const gk__http_request *h)
{
    const gk_json *body = body_object(c, h);
    if (!body)
        return;
    const char *id = gk__refl_json_str(body, "traceId");
    if (!id || !id[0]) {
        static const char msg[] = "{\"error\":\"traceId is required\"}";
        respond(c, 400, "application/json", msg, sizeof(msg) - 1);
        return;
    }
    if (gk__refl_run_cancel_trace(&c->r->runs, id)) {
        static const char msg[] = "{\"message\":\"Action cancelled\"}";
        respond(c, 200, "application/json", msg, sizeof(msg) - 1);
        return;
    }
    static const char msg[] = "{\"error\":\"Action not found or already completed\"}";
    respond(c, 404, "application/json", msg, sizeof(msg) - 1);
}

/* ---- runAction ---- */

static bool send_chunk(struct rconn *c, const char *prefix, const char *data, size_t len,
                       const char *suffix)
{
    char size[24];
    size_t plen = strlen(prefix);
    size_t slen = strlen(suffix);
    int n = snprintf(size, sizeof(size), "%zx\r\n", plen + len + slen);
    const char *p[5] = {size, prefix, data, suffix, "\r\n"};
    size_t l[5] = {(size_t)n, plen, len, slen, 2};
    return write_pieces(c, p, l, 5);
}

static void send_head(struct rconn *c, const char *trace_id, const char *span_id)
{
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                     "%s%s%s%s%s%s" VERSION_HEADER "Cache-Control: no-store\r\n"
                     "Connection: close\r\n\r\n",
                     c->run.stream ? "text/plain; charset=utf-8" : "application/json",
                     trace_id[0] ? "X-Genkit-Trace-Id: " : "", trace_id, trace_id[0] ? "\r\n" : "",
                     span_id[0] ? "X-Genkit-Span-Id: " : "", span_id, span_id[0] ? "\r\n" : "");
    c->headers_sent = true;
    write_all(c, head, (size_t)n);
}

/* The root span exists: answer the headers now, so the Dev UI can open the trace and cancel. */
static void v1_on_trace(gk__refl_run *run, const char *trace_id, const char *span_id)
{
    struct rconn *c = run->owner;
    if (!c->headers_sent)
        send_head(c, trace_id, span_id);
}

/* Each chunk is its compact JSON and "\n" (the CLI splits on newlines). */
static gk_status v1_on_chunk(gk__refl_run *run, const char *json, size_t len)
{
    struct rconn *c = run->owner;
    if (c->closing)
        return GK_CANCELLED;
    if (!c->headers_sent)
        send_head(c, run->trace_id, "");
    if (!send_chunk(c, "", json, len, "\n"))
        return GK_CANCELLED;
    while (c->pending_bytes > HIGH_WATER && !c->closing) {
        gk_waiter w = {0};
        c->writer = &w;
        gk_status st = gk__park(run->ctx, &w);
        c->writer = NULL;
        if (st != GK_OK)
            return st;
    }
    return c->closing ? GK_CANCELLED : GK_OK;
}

/* The last chunk: the result object, or {"error": <status>}. */
static void v1_on_result(gk__refl_run *run, gk_status st, const char *message, const char *body,
                         size_t len)
{
    struct rconn *c = run->owner;
    (void)message;
    if (!c->closing) {
        if (!c->headers_sent)
            send_head(c, run->trace_id, "");
        if (st != GK_OK)
            send_chunk(c, "{\"error\":", body, len, "}");
        else if (len)
            send_chunk(c, "", body, len, "");
        write_all(c, "0\r\n\r\n", 5);
    }
    finish(c);
}

static void v1_on_done(gk__refl_run *run)
{
    struct rconn *c = run->owner;
    if (c->closed)
        maybe_free(c);
}

static const gk__refl_run_ops v1_ops = {
    .on_trace = v1_on_trace,
    .on_chunk = v1_on_chunk,
    .on_result = v1_on_result,
    .on_done = v1_on_done,
};

static void run_action_request(struct rconn *c, const gk__http_request *h)
{
    const gk_json *body = body_object(c, h);
    if (!body)
        return;
    const char *stream = gk__reflection_query_get(c->arena, h->query, "stream");
    c->run.ops = &v1_ops;
    c->run.owner = c;
    c->run.arena = c->arena;
    c->run.stream = stream && strcmp(stream, "true") == 0;
    gk_error e = {0};
    gk_status st = gk__refl_run_start(&c->r->runs, &c->run, c->r->g, c->r->loop, body, &e);
    if (st == GK_OK)
        return;
    int http = st == GK_INVALID_ARGUMENT ? 400 : st == GK_NOT_FOUND ? 404 : 503;
    respond_error(c, http, st, e.message);
}

static void dispatch(struct rconn *c, const gk__http_request *h)
{
    gk_str p = h->path;
    bool get = h->method == GK__HTTP_GET || h->method == GK__HTTP_HEAD;
    bool post = h->method == GK__HTTP_POST;
    if (str_is(p, "/api/__health") && get)
        health(c, h);
    else if (str_is(p, "/api/actions") && get)
        list_actions(c);
    else if (str_is(p, "/api/runAction") && post)
        run_action_request(c, h);
    else if (str_is(p, "/api/cancelAction") && post)
        cancel_action(c, h);
    else if (str_is(p, "/api/notify") && post)
        notify(c, h);
    else if (str_is(p, "/api/values") && get)
        values(c, h);
    else if (str_is(p, "/api/envs") && get)
        respond(c, 200, "application/json", "[\"dev\"]", 7);
    else if (str_is(p, "/api/__health") || str_is(p, "/api/actions") ||
             str_is(p, "/api/runAction") || str_is(p, "/api/cancelAction") ||
             str_is(p, "/api/notify") || str_is(p, "/api/values") || str_is(p, "/api/envs"))
        respond_text(c, 405, "Method Not Allowed");
    else
        respond_text(c, 404, "Not Found");
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct rconn *c = h->data;
    (void)suggested;
    *buf = uv_buf_init(c->r->slab, sizeof(c->r->slab));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct rconn *c = s->data;
    if (nread < 0) {
        /* The client left: a run in progress is not wanted any more. */
        if (!c->finished)
            abort_conn(c);
        else
            close_conn(c);
        return;
    }
    if (nread == 0 || c->have_request || c->closing)
        return;
    size_t used = 0;
    gk__http_result res = gk__http_feed(&c->hp, buf->base, (size_t)nread, &used);
    if (res == GK__HTTP_ERROR) {
        c->have_request = true;
        int st = c->hp.error_status ? c->hp.error_status : 400;
        respond_text(c, st, c->hp.error_message ? c->hp.error_message : "bad request");
        return;
    }
    if (res == GK__HTTP_DONE) {
        c->have_request = true;
        dispatch(c, c->hp.req);
    }
}

static void on_connection(uv_stream_t *server, int status)
{
    gk_reflection *r = server->data;
    if (status < 0)
        return;
    struct rconn *c = calloc(1, sizeof(*c));
    gk_arena *a = c ? gk_arena_new(REQUEST_MEMORY) : NULL;
    if (!a) {
        free(c);
        return;
    }
    c->r = r;
    c->arena = a;
    uv_tcp_init(gk__loop_uv(r->loop), &c->tcp);
    c->tcp.data = c;
    c->next = r->conns;
    if (r->conns)
        r->conns->prev = c;
    r->conns = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        close_conn(c);
        return;
    }
    gk__http_limits lim = {.max_body_bytes = MAX_BODY};
    gk__http_parser_init(&c->hp, &lim);
    gk__http_begin(&c->hp, a);
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
        close_conn(c);
}

/* ---- the server's thread ---- */

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
}

static void on_stop(gk_loop *loop, void *arg)
{
    gk_reflection *r = arg;
    (void)loop;
    if (r->v2)
        gk__refl_v2_stop(r->v2);
    if (r->listening) {
        r->listening = false;
        uv_close((uv_handle_t *)&r->listener, on_listener_closed);
    }
    for (struct rconn *c = r->conns; c; c = c->next) {
        if (c->run.running)
            gk__refl_run_cancel(&c->run); /* it answers, then its connection closes */
        else if (!c->finished)
            close_conn(c);
    }
}

static void on_start(gk_loop *loop, void *arg)
{
    gk_reflection *r = arg;
    r->loop = loop;
    uv_loop_t *uv = gk__loop_uv(loop);
    int rc = gk__loop_on_stop(loop, on_stop, r) ? 0 : UV_ENOMEM;
    if (rc == 0 && r->v2) {
        if (!gk__refl_v2_start(r->v2, loop))
            rc = UV_ENOMEM;
    } else if (rc == 0) {
        uv_tcp_init(uv, &r->listener);
        r->listener.data = r;
        r->listening = true;
        rc = uv_tcp_open(&r->listener, r->fd);
        if (rc == 0) {
            r->fd = -1;
            rc = uv_listen((uv_stream_t *)&r->listener, 128, on_connection);
        }
    }
    if (rc != 0) {
        gk__log(GK_LOG_ERROR, "reflection server: %s", uv_strerror(rc));
        atomic_store(&r->start_failed, true);
        gk_runtime_stop(r->rt);
    }
    uv_sem_post(&r->started);
}

static void *thread_main(void *arg)
{
    gk_reflection *r = arg;
    gk_error err = {0};
    if (gk_runtime_run(r->rt, on_start, r, &err) != GK_OK) {
        gk__log(GK_LOG_ERROR, "reflection server: %s", err.message);
        atomic_store(&r->start_failed, true);
        uv_sem_post(&r->started);
    }
    return NULL;
}

/* Bind 127.0.0.1:port (0: ephemeral) and listen. Returns the fd, or -1 with errno. */
static int listen_on(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 128) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 0;
    return ntohs(a.sin_port);
}

static gk_status open_listener(gk_reflection *r, int port_opt, gk_error *err)
{
    int port = port_opt;
    if (port == 0) {
        const char *env = getenv("GENKIT_REFLECTION_PORT");
        if (env && *env) {
            char *end = NULL;
            errno = 0;
            long v = strtol(env, &end, 10);
            if (errno || *end || v <= 0 || v > 65535)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "GENKIT_REFLECTION_PORT \"%s\" is not a port number", env);
            port = (int)v;
        }
    }
    if (port != 0) {
        r->fd = listen_on(port < 0 ? 0 : port);
        if (r->fd < 0)
            return gk_error_set(err, GK_UNAVAILABLE, "",
                                "cannot listen on 127.0.0.1:%d for the reflection API: %s",
                                port < 0 ? 0 : port, strerror(errno));
    } else {
        for (int p = FIRST_PORT; p <= LAST_PORT && r->fd < 0; p++)
            r->fd = listen_on(p);
        if (r->fd < 0)
            return gk_error_set(err, GK_UNAVAILABLE, "",
                                "no free port for the reflection API in %d-%d", FIRST_PORT,
                                LAST_PORT);
    }
    r->port = bound_port(r->fd);
    return GK_OK;
}

bool gk__reflection_dev_mode(void)
{
    const char *env = getenv("GENKIT_ENV");
    return env && strcmp(env, "dev") == 0;
}

static void reflection_free(gk_reflection *r)
{
    if (r->fd >= 0)
        close(r->fd);
    gk__refl_v2_free(r->v2);
    remove_runtime_file(r);
    uv_sem_destroy(&r->started);
    gk_runtime_free(r->rt);
    free(r);
}

gk_reflection *gk_reflection_start(gk_genkit *g, const gk_reflection_opts *opts, gk_error *err)
{
    gk_reflection_opts o = {0};
    if (opts)
        o = *opts;
    if (!gk__reflection_dev_mode()) {
        gk_error_set(err, GK_FAILED_PRECONDITION, "",
                     "the reflection API runs only in dev mode (GENKIT_ENV=dev)");
        return NULL;
    }
    gk_reflection *r = calloc(1, sizeof(*r));
    if (!r || uv_sem_init(&r->started, 0) != 0) {
        free(r);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    r->g = g;
    r->fd = -1;
    const char *v2_url = o.v2_server_url && o.v2_server_url[0]
                             ? o.v2_server_url
                             : getenv("GENKIT_REFLECTION_V2_SERVER");
    if (v2_url && !v2_url[0])
        v2_url = NULL;
    gk_runtime_opts ro = {.threads = 1};
    r->rt = gk_runtime_new(&ro, err);
    if (!r->rt || (!v2_url && open_listener(r, o.port, err) != GK_OK)) {
        reflection_free(r);
        return NULL;
    }
    /* v1: pid-port, as the CLI's health check expects; v2 has no port (Genkit JS: the pid). */
    const char *id = getenv("GENKIT_RUNTIME_ID");
    if (id && *id && strlen(id) < sizeof(r->id))
        memcpy(r->id, id, strlen(id) + 1);
    else if (v2_url)
        snprintf(r->id, sizeof(r->id), "%ld", (long)getpid());
    else
        snprintf(r->id, sizeof(r->id), "%ld-%d", (long)getpid(), r->port);
    if (v2_url) {
        r->v2 = gk__refl_v2_new(g, v2_url, r->id, err);
        if (!r->v2) {
            reflection_free(r);
            return NULL;
        }
    }
    gk__genkit_freeze(g);
    if (pthread_create(&r->thread, NULL, thread_main, r) != 0) {
        gk_error_set(err, GK_INTERNAL, "", "cannot start the reflection server's thread");
        reflection_free(r);
        return NULL;
    }
    r->thread_started = true;
    uv_sem_wait(&r->started);
    if (atomic_load(&r->start_failed)) {
        gk_runtime_stop(r->rt);
        pthread_join(r->thread, NULL);
        gk_error_set(err, GK_INTERNAL, "", "the reflection server failed to start (see log)");
        reflection_free(r);
        return NULL;
    }
    if (r->v2) {
        gk__log(GK_LOG_INFO, "reflection API v2: connecting to %s (runtime %s)", v2_url, r->id);
        return r;
    }
    /* Announce only once the listener accepts: the CLI health-checks the file at once. */
    if (!o.no_runtime_file && write_runtime_file(r, o.project_dir, err) != GK_OK) {
        gk_reflection_stop(r);
        return NULL;
    }
    gk__log(GK_LOG_INFO, "reflection API on http://127.0.0.1:%d (runtime %s)", r->port, r->id);
    return r;
}

int gk_reflection_port(const gk_reflection *r)
{
    return r ? r->port : 0;
}

const char *gk_reflection_runtime_file(const gk_reflection *r)
{
    return r ? r->file : "";
}

void gk_reflection_stop(gk_reflection *r)
{
    if (!r)
        return;
    remove_runtime_file(r); /* first: the CLI must not pick a runtime that is going away */
    gk_runtime_stop(r->rt);
    if (r->thread_started)
        pthread_join(r->thread, NULL);
    reflection_free(r);
}

/* ---- started with the flow server ---- */

static pthread_mutex_t auto_mu = PTHREAD_MUTEX_INITIALIZER;
static gk_reflection *auto_server;

void gk__reflection_auto_start(gk_genkit *g)
{
    if (!gk__reflection_dev_mode())
        return;
    pthread_mutex_lock(&auto_mu);
    if (!auto_server) {
        gk_error err = {0};
        auto_server = gk_reflection_start(g, NULL, &err);
        if (!auto_server)
            gk__log(GK_LOG_ERROR, "reflection API not started: %s", err.message);
    }
    pthread_mutex_unlock(&auto_mu);
}

void gk__reflection_auto_stop(void)
{
    pthread_mutex_lock(&auto_mu);
    gk_reflection *r = auto_server;
    auto_server = NULL;
    pthread_mutex_unlock(&auto_mu);
    gk_reflection_stop(r);
    /* The last runs' traces are still queued: give them a moment to reach the Dev UI. */
    gk__telemetry_flush(2000);
}
