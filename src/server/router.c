/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/router.c - what a complete request means: CORS (preflight answered), GET /healthz,
 * GET /metrics, GET /openapi.json, POST <prefix>/<flow> with the flow protocol's checks (404
 * unknown flow, 405 wrong method, 415 non-JSON type, 400 bad JSON or a body that is not an
 * object), streaming detection, and the start of the flow's fiber, which runs the flow's auth
 * rule before the flow. Runs on the loop's stack; the flow itself runs in flow_handler.c. */
#include <string.h>
#include <strings.h>

#include <genkit/json.h>

#include "base/ids.h"
#include "server/server_internal.h"

#include "base/banned.h"

static bool str_is(gk_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

static gk_str trim(gk_str s)
{
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

static bool iequal(gk_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

enum body_type {
    BODY_JSON,       /* decode as JSON */
    BODY_MAYBE_JSON, /* decode as JSON; if that fails, the type was the problem (415) */
    BODY_OTHER,      /* 415 */
};

/* Genkit's clients send application/json, nothing at all, or text/plain (fetch without a type):
 * decode all of those as JSON. `curl -d '{"data":...}'` labels JSON as a form
 * (application/x-www-form-urlencoded), so a form body is accepted when it is valid JSON. Only a
 * type that is clearly something else gets 415. */
static enum body_type body_type(gk_str ct)
{
    if (!ct.ptr)
        return BODY_JSON;
    const char *semi = memchr(ct.ptr, ';', ct.len);
    gk_str type = trim((gk_str){ct.ptr, semi ? (size_t)(semi - ct.ptr) : ct.len});
    if (type.len == 0 || iequal(type, "application/json") || iequal(type, "text/plain"))
        return BODY_JSON;
    /* Structured-syntax suffix (RFC 6839): application/vnd.example+json. */
    if (type.len > 5 && strncasecmp(type.ptr + type.len - 5, "+json", 5) == 0)
        return BODY_JSON;
    if (iequal(type, "application/x-www-form-urlencoded"))
        return BODY_MAYBE_JSON;
    return BODY_OTHER;
}

static void unsupported_type(struct gk__srv_conn *c, gk_str t)
{
    gk_error e = {0};
    int n = t.len > 60 ? 60 : (int)t.len;
    gk_error_set(&e, GK_INVALID_ARGUMENT, "",
                 "unsupported content type \"%.*s\"; send application/json", n, t.ptr);
    gk__srv_send_error(c, 415, GK_INVALID_ARGUMENT, e.message, NULL, c->req->extra_head);
}

/* Go's strconv.ParseBool, which Genkit's Go server applies to ?stream=. */
static int parse_bool(gk_str v)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < 6; i++) {
        if (str_is(v, yes[i]))
            return 1;
        if (str_is(v, no[i]))
            return 0;
    }
    return -1;
}

/* Find ?stream=<bool>. Returns 1 / 0, or -1 for a value that is not a boolean. */
static int query_stream(gk_str q)
{
    size_t i = 0;
    int result = 0;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.ptr[i] != '&')
            i++;
        gk_str pair = {q.ptr + start, i - start};
        i++;
        const char *eq = memchr(pair.ptr, '=', pair.len);
        gk_str key = {pair.ptr, eq ? (size_t)(eq - pair.ptr) : pair.len};
        if (!str_is(key, "stream"))
            continue;
        gk_str val = eq ? (gk_str){eq + 1, pair.len - key.len - 1} : (gk_str){pair.ptr, 0};
        if (val.len == 0)
            continue; /* "?stream" or "?stream=": not a request to stream */
        result = parse_bool(val);
        if (result < 0)
            return -1;
    }
    return result;
}

static bool accepts_event_stream(gk_str accept)
{
    static const char want[] = "text/event-stream";
    size_t n = sizeof(want) - 1;
    if (!accept.ptr || accept.len < n)
        return false;
    for (size_t i = 0; i + n <= accept.len; i++)
        if (strncasecmp(accept.ptr + i, want, n) == 0)
            return true;
    return false;
}

/* Percent-decode name into the arena (names rarely need it). False on a bad escape or "%00". */
static bool decode_name(gk_arena *a, gk_str *name)
{
    if (!memchr(name->ptr, '%', name->len))
        return true;
    char *out = gk_arena_alloc(a, name->len + 1);
    if (!out)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < name->len; i++) {
        char ch = name->ptr[i];
        if (ch == '%') {
            if (i + 2 >= name->len)
                return false;
            int hi = gk__hex_value(name->ptr[i + 1]);
            int lo = gk__hex_value(name->ptr[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                return false;
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    *name = (gk_str){out, o};
    return true;
}

static bool only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return false;
    return true;
}

static int flow_cmp(const struct gk__srv_flow *f, const char *name, size_t len)
{
    if (f->len != len)
        return f->len < len ? -1 : 1;
    return memcmp(f->name, name, len);
}

/* The index in s->flows of the flow named name[0..len), or -1. */
static ptrdiff_t flow_index(const gk_server *s, const char *name, size_t len)
{
    size_t lo = 0;
    size_t hi = s->nflows;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = flow_cmp(&s->flows[mid], name, len);
        if (c == 0)
            return (ptrdiff_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

gk_action *gk__srv_find_flow(const gk_server *s, const char *name, size_t len)
{
    ptrdiff_t i = flow_index(s, name, len);
    return i < 0 ? NULL : s->flows[i].action;
}

/* more's header lines followed by the request's own (CORS), in the arena; more if that fails. */
static const char *with_extra(struct gk__srv_request *r, const char *more)
{
    if (!r->extra_head)
        return more;
    if (!more)
        return r->extra_head;
    const char *both = gk_arena_sprintf(r->arena, "%s%s", more, r->extra_head);
    return both ? both : more;
}

/* The fiber of a flow request: its auth rule first, then the flow. A refusal is an ordinary HTTP
 * error, even for a stream (no event stream has started). */
static void run_request(gk_ctx *ctx, void *arg)
{
    struct gk__srv_request *r = arg;
    struct gk__srv_conn *c = r->c;
    const struct gk__srv_auth *a = gk__srv_flow_auth(c->sl->s, (size_t)r->flow_index);
    if (a) {
        gk_error err = {0};
        gk_status st = gk__srv_authorize(r, a, &err);
        if (st != GK_OK) {
            if (c->closing) {
                gk__srv_responded(c);
                return;
            }
            const char *more = st == GK_UNAUTHENTICATED ? "WWW-Authenticate: Bearer\r\n" : NULL;
            gk__srv_send_error(c, 0, st, err.message, err.path, with_extra(r, more));
            return;
        }
    }
    gk__srv_run_flow(ctx, r);
}

static void healthz(struct gk__srv_conn *c)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    gk__http_method m = c->req->http->method;
    if (m != GK__HTTP_GET && m != GK__HTTP_HEAD) {
        gk__srv_send_error(c, 405, GK_INVALID_ARGUMENT, "method not allowed on /healthz; use GET",
                           NULL, "Allow: GET, HEAD\r\n");
        return;
    }
    gk__srv_send(c, 200, "application/json", ok, sizeof(ok) - 1,
                 with_extra(c->req, "Cache-Control: no-store\r\n"));
}

static void not_found(struct gk__srv_conn *c, gk_str path)
{
    gk_error e = {0};
    int n = path.len > 100 ? 100 : (int)path.len;
    gk_error_set(&e, GK_NOT_FOUND, "", "no flow at \"%.*s%s\"", n, path.ptr,
                 path.len > 100 ? "..." : "");
    gk__srv_send_error(c, 404, GK_NOT_FOUND, e.message, NULL, c->req->extra_head);
}

void gk__srv_dispatch(struct gk__srv_conn *c)
{
    struct gk__srv_request *r = c->req;
    const gk__http_request *h = r->http;
    struct gk__srv_loop *sl = c->sl;
    const gk_server *s = sl->s;
    gk_str path = h->path;

    r->magic = GK__SRV_REQUEST_MAGIC;
    gk__srv_metrics_track(r);
    if (gk__srv_cors(c))
        return; /* a preflight, answered */
    bool get = h->method == GK__HTTP_GET || h->method == GK__HTTP_HEAD;

    if (str_is(path, "/healthz")) {
        healthz(c);
        return;
    }
    /* A flow may be named "metrics": GET is ours, POST goes to the flow. */
    if (s->serve_metrics && str_is(path, "/metrics") && (get || s->prefix_len > 0)) {
        gk__srv_metrics(c);
        return;
    }
    if (s->serve_openapi && str_is(path, "/openapi.json") && (get || s->prefix_len > 0)) {
        gk__srv_openapi(c);
        return;
    }

    /* <prefix>/<name>: the name is the whole rest, so "menu/suggest" flows work too. */
    if (path.len <= s->prefix_len + 1 || memcmp(path.ptr, s->prefix, s->prefix_len) != 0 ||
        path.ptr[s->prefix_len] != '/') {
        not_found(c, path);
        return;
    }
    gk_str name = {path.ptr + s->prefix_len + 1, path.len - s->prefix_len - 1};
    if (!decode_name(r->arena, &name)) {
        not_found(c, path);
        return;
    }
    ptrdiff_t fi = flow_index(s, name.ptr, name.len);
    if (fi < 0) {
        not_found(c, path);
        return;
    }
    r->action = s->flows[fi].action;
    gk__srv_metrics_flow(r, (size_t)fi);
    if (h->method != GK__HTTP_POST) {
        gk_error e = {0};
        gk_error_set(&e, GK_INVALID_ARGUMENT, "", "method %s is not allowed; flows take POST",
                     h->method_name);
        gk__srv_send_error(c, 405, GK_INVALID_ARGUMENT, e.message, NULL,
                           with_extra(r, "Allow: POST\r\n"));
        return;
    }
    enum body_type bt = body_type(h->content_type);
    if (bt == BODY_OTHER) {
        unsupported_type(c, h->content_type);
        return;
    }
    int qs = query_stream(h->query);
    if (qs < 0) {
        gk__srv_send_error(c, 400, GK_INVALID_ARGUMENT,
                           "query parameter \"stream\" must be true or false", NULL,
                           r->extra_head);
        return;
    }
    r->stream = qs == 1 || accepts_event_stream(h->accept);

    /* {"data": <input>}; an empty body or a missing "data" means input null. */
    const gk_json *input = NULL;
    if (h->body && !only_space(h->body, h->body_len)) {
        gk_json_limits lim = {.max_depth = 0, .max_size = s->limits.max_body_bytes};
        gk_json *doc = NULL;
        gk_error e = {0};
        gk_status st = gk_json_parse(r->arena, h->body, h->body_len, &lim, &doc, &e);
        if (st != GK_OK && bt == BODY_MAYBE_JSON) {
            unsupported_type(c, h->content_type);
            return;
        }
        if (st != GK_OK) {
            gk_error m = {0};
            gk_error_set(&m, st, "", "invalid JSON body: %s", e.message);
            if (st == GK_RESOURCE_EXHAUSTED)
                gk__srv_send_error(c, 413, GK_RESOURCE_EXHAUSTED, m.message, NULL, r->extra_head);
            else
                gk__srv_send_error(c, 400, GK_INVALID_ARGUMENT, m.message, NULL, r->extra_head);
            return;
        }
        if (doc->type != GK_JSON_OBJECT) {
            gk__srv_send_error(c, 400, GK_INVALID_ARGUMENT,
                               "request body must be a JSON object: {\"data\": <input>}", NULL,
                               r->extra_head);
            return;
        }
        input = gk_json_get(doc, "data");
    }
    if (!input)
        input = gk_json_new_null(r->arena);
    if (!input) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return;
    }
    r->input = input;

    r->ctx = gk__ctx_new(sl->loop, r->arena);
    if (!r->ctx) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return;
    }
    gk__ctx_set(r->ctx, GK_CTX_SLOT_USER, r);
    r->fiber_running = true;
    c->refs++;
    sl->requests_running++;
    if (gk__spawn(r->ctx, run_request, gk__srv_fiber_done, r) != GK_OK) {
        r->fiber_running = false;
        c->refs--;
        sl->requests_running--;
        gk__srv_send_error(c, 503, GK_UNAVAILABLE, "server overloaded: no fiber available", NULL,
                           NULL);
    }
}
