/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/openapi.c - GET /openapi.json: an OpenAPI 3.1 document of the served flows, built
 * once at start from the frozen registry (flow input/output/chunk schemas from their descriptors,
 * in components/schemas), the request and response envelopes of the Genkit flow protocol, the
 * error shape for every status, the SSE variant (?stream=true), and bearer security on flows with
 * an auth rule. Only flows: models and tools are not served over HTTP. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/json.h>

#include "core/core.h"
#include "server/server_internal.h"

#include "base/banned.h"

#define OPENAPI_CAP (16u * 1024 * 1024)

/* Shared error responses: name, HTTP status, description. */
static const struct {
    const char *name;
    const char *code;
    const char *description;
} error_responses[] = {
    {"BadRequest", "400",
     "INVALID_ARGUMENT: the body is not JSON, not an object, or its data does not match the "
     "input schema (details.path names the field), or the stream parameter is not a boolean"},
    {"Unauthorized", "401", "UNAUTHENTICATED: no credentials (send Authorization: Bearer <key>)"},
    {"Forbidden", "403", "PERMISSION_DENIED: the credentials are not valid for this flow"},
    {"NotFound", "404", "NOT_FOUND: no flow at this path"},
    {"PayloadTooLarge", "413", "RESOURCE_EXHAUSTED: the request body is over the server's limit"},
    {"UnsupportedMediaType", "415", "INVALID_ARGUMENT: the body is not sent as JSON"},
    {"InternalError", "500", "INTERNAL: the flow failed (the message is hidden: see the log)"},
    {"Unavailable", "503", "UNAVAILABLE: overloaded or shutting down; retry elsewhere"},
    {"Timeout", "504", "DEADLINE_EXCEEDED: the flow ran out of time"},
    {"Error", "default", "Any other failure of the flow, with the HTTP status of its Genkit status"},
};

static bool component_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '-' || ch == '_';
}

static bool path_char(char ch)
{
    return component_char(ch) || ch == '~' || ch == '/';
}

/* Flow names may hold characters a component name may not (^[a-zA-Z0-9.\-_]+$): replace them
 * with '_' and make the result unique among the earlier flows. */
static char *component_name(const char *name, char **earlier, size_t n)
{
    size_t len = strlen(name);
    char *out = malloc(len + 24);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++)
        out[i] = component_char(name[i]) ? name[i] : '_';
    out[len] = '\0';
    for (unsigned k = 2;; k++) {
        bool clash = false;
        for (size_t i = 0; i < n && !clash; i++)
            clash = strcmp(earlier[i], out) == 0;
        if (!clash)
            return out;
        /* "a_b" taken: try "a_b_2", "a_b_3", ... */
        size_t at = len;
        out[at++] = '_';
        unsigned v = k;
        char digits[12];
        size_t nd = 0;
        do {
            digits[nd++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (nd)
            out[at++] = digits[--nd];
        out[at] = '\0';
    }
}

static void put_path(gk_buf *b, const char *prefix, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    gk_buf_puts(b, prefix);
    gk_buf_putc(b, '/');
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (path_char((char)*p)) {
            gk_buf_putc(b, (char)*p);
        } else {
            gk_buf_putc(b, '%');
            gk_buf_putc(b, hex[*p >> 4]);
            gk_buf_putc(b, hex[*p & 15]);
        }
    }
}

static void ref(gk_jw *w, const char *kind, const char *name, const char *suffix)
{
    gk_buf tmp = GK_BUF_INIT(4096);
    gk_buf_printf(&tmp, "#/components/%s/%s%s", kind, name, suffix);
    gk_jw_object_begin(w);
    gk_jw_key(w, "$ref");
    gk_jw_string(w, gk_buf_failed(&tmp) ? "" : tmp.ptr);
    gk_jw_object_end(w);
    gk_buf_release(&tmp);
}

/* {"type":"object","properties":{key: $ref},"required":[key]?} */
static void envelope(gk_jw *w, const char *key, const char *comp, const char *suffix,
                     bool required)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "object");
    gk_jw_key(w, "properties");
    gk_jw_object_begin(w);
    gk_jw_key(w, key);
    ref(w, "schemas", comp, suffix);
    gk_jw_object_end(w);
    if (required) {
        gk_jw_key(w, "required");
        gk_jw_array_begin(w);
        gk_jw_string(w, key);
        gk_jw_array_end(w);
    }
    gk_jw_object_end(w);
}

static void write_operation(gk_jw *w, const struct gk__srv_flow *f, const char *comp, bool secured)
{
    gk_action *a = f->action;
    bool streams = gk_action_chunk_type(a) != NULL;
    const char *desc = gk_action_description(a);
    gk_buf tmp = GK_BUF_INIT(4096);

    gk_jw_object_begin(w);
    gk_jw_key(w, "operationId");
    gk_jw_string(w, comp);
    gk_jw_key(w, "summary");
    gk_buf_printf(&tmp, "Run the %s flow", f->name);
    gk_jw_string(w, gk_buf_failed(&tmp) ? f->name : tmp.ptr);
    if (desc && *desc) {
        gk_jw_key(w, "description");
        gk_jw_string(w, desc);
    }
    gk_jw_key(w, "tags");
    gk_jw_array_begin(w);
    gk_jw_string(w, "flows");
    gk_jw_array_end(w);

    gk_jw_key(w, "parameters");
    gk_jw_array_begin(w);
    gk_jw_object_begin(w);
    gk_jw_key(w, "name");
    gk_jw_string(w, "stream");
    gk_jw_key(w, "in");
    gk_jw_string(w, "query");
    gk_jw_key(w, "required");
    gk_jw_bool(w, false);
    gk_jw_key(w, "description");
    gk_jw_string(w, "true: answer with a text/event-stream (as does Accept: text/event-stream)");
    gk_jw_key(w, "schema");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "boolean");
    gk_jw_key(w, "default");
    gk_jw_bool(w, false);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_array_end(w);

    gk_jw_key(w, "requestBody");
    gk_jw_object_begin(w);
    gk_jw_key(w, "description");
    gk_jw_string(w, "The flow's input as data (an empty body or no data means null)");
    gk_jw_key(w, "required");
    gk_jw_bool(w, false);
    gk_jw_key(w, "content");
    gk_jw_object_begin(w);
    gk_jw_key(w, "application/json");
    gk_jw_object_begin(w);
    gk_jw_key(w, "schema");
    envelope(w, "data", comp, "Input", false);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_object_end(w);

    gk_jw_key(w, "responses");
    gk_jw_object_begin(w);
    gk_jw_key(w, "200");
    gk_jw_object_begin(w);
    gk_jw_key(w, "description");
    gk_buf_reset(&tmp);
    gk_buf_printf(&tmp,
                  "The flow's result. With stream=true (or Accept: text/event-stream) the answer is "
                  "an event stream instead: events separated by a blank line, each one line "
                  "`data: <JSON>`: zero or more `{\"message\": <chunk>}`%s%s%s, then exactly one "
                  "`{\"result\": <output>}` (#/components/schemas/%sOutput) or "
                  "`{\"error\": {\"status\", \"message\", \"details\"}}` "
                  "(#/components/schemas/Error), and the stream ends.",
                  streams ? " (#/components/schemas/" : "", streams ? comp : "",
                  streams ? "Chunk)" : " (this flow sends none)", comp);
    gk_jw_string(w, gk_buf_failed(&tmp) ? "" : tmp.ptr);
    gk_jw_key(w, "content");
    gk_jw_object_begin(w);
    gk_jw_key(w, "application/json");
    gk_jw_object_begin(w);
    gk_jw_key(w, "schema");
    envelope(w, "result", comp, "Output", true);
    gk_jw_object_end(w);
    gk_jw_key(w, "text/event-stream");
    gk_jw_object_begin(w);
    gk_jw_key(w, "schema");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "string");
    gk_jw_object_end(w);
    gk_jw_key(w, "example");
    gk_jw_string(w, streams ? "data: {\"message\":{}}\n\ndata: {\"result\":{}}\n\n"
                            : "data: {\"result\":{}}\n\n");
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    for (size_t i = 0; i < sizeof(error_responses) / sizeof(error_responses[0]); i++) {
        const char *code = error_responses[i].code;
        if (!secured && (strcmp(code, "401") == 0 || strcmp(code, "403") == 0))
            continue;
        gk_jw_key(w, code);
        ref(w, "responses", error_responses[i].name, "");
    }
    gk_jw_object_end(w);

    if (secured) {
        gk_jw_key(w, "security");
        gk_jw_array_begin(w);
        gk_jw_object_begin(w);
        gk_jw_key(w, "bearerAuth");
        gk_jw_array_begin(w);
        gk_jw_array_end(w);
        gk_jw_object_end(w);
        gk_jw_array_end(w);
    }
    gk_jw_object_end(w);
    gk_buf_release(&tmp);
}

static void write_error_schema(gk_jw *w)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "object");
    gk_jw_key(w, "description");
    gk_jw_string(w, "A failed flow request (Genkit's status names)");
    gk_jw_key(w, "properties");
    gk_jw_object_begin(w);
    gk_jw_key(w, "error");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "object");
    gk_jw_key(w, "properties");
    gk_jw_object_begin(w);
    gk_jw_key(w, "status");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "string");
    gk_jw_key(w, "enum");
    gk_jw_array_begin(w);
    for (int st = 1; st <= 16; st++)
        gk_jw_string(w, gk_status_name((gk_status)st));
    gk_jw_array_end(w);
    gk_jw_object_end(w);
    gk_jw_key(w, "message");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "string");
    gk_jw_object_end(w);
    gk_jw_key(w, "details");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "object");
    gk_jw_key(w, "properties");
    gk_jw_object_begin(w);
    gk_jw_key(w, "path");
    gk_jw_object_begin(w);
    gk_jw_key(w, "type");
    gk_jw_string(w, "string");
    gk_jw_key(w, "description");
    gk_jw_string(w, "JSON pointer to the offending input field");
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_key(w, "required");
    gk_jw_array_begin(w);
    gk_jw_string(w, "status");
    gk_jw_string(w, "message");
    gk_jw_array_end(w);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
    gk_jw_key(w, "required");
    gk_jw_array_begin(w);
    gk_jw_string(w, "error");
    gk_jw_array_end(w);
    gk_jw_object_end(w);
}

static int name_cmp(const void *x, const void *y)
{
    const struct gk__srv_flow *a = *(const struct gk__srv_flow *const *)x;
    const struct gk__srv_flow *b = *(const struct gk__srv_flow *const *)y;
    return strcmp(a->name, b->name);
}

void gk__openapi_write(gk_buf *b, const char *title, const char *version, const char *prefix,
                       const struct gk__srv_flow *flows, size_t n, const bool *secured)
{
    /* Alphabetical order for readers; the server's table is ordered for look-ups. */
    const struct gk__srv_flow **order = calloc(n ? n : 1, sizeof(*order));
    char **comps = calloc(n ? n : 1, sizeof(*comps));
    bool *sec = calloc(n ? n : 1, sizeof(*sec));
    bool any_secured = false;
    if (!order || !comps || !sec) {
        b->failed = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = &flows[i];
    qsort(order, n, sizeof(*order), name_cmp);
    for (size_t i = 0; i < n; i++) {
        comps[i] = component_name(order[i]->name, comps, i);
        if (!comps[i]) {
            b->failed = true;
            goto out;
        }
        sec[i] = secured && secured[order[i] - flows];
        any_secured = any_secured || sec[i];
    }

    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "openapi");
    gk_jw_string(&w, "3.1.0");
    gk_jw_key(&w, "info");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "title");
    gk_jw_string(&w, title && *title ? title : "genkit");
    gk_jw_key(&w, "version");
    gk_jw_string(&w, version && *version ? version : "0");
    gk_jw_key(&w, "description");
    gk_jw_string(&w, "Flows served with the Genkit flow protocol: POST {\"data\": <input>}, "
                     "answer {\"result\": <output>}");
    gk_jw_object_end(&w);

    gk_jw_key(&w, "paths");
    gk_jw_object_begin(&w);
    gk_buf path = GK_BUF_INIT(64 * 1024);
    for (size_t i = 0; i < n; i++) {
        gk_buf_reset(&path);
        put_path(&path, prefix ? prefix : "", order[i]->name);
        gk_jw_key(&w, gk_buf_failed(&path) ? "/" : path.ptr);
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "post");
        write_operation(&w, order[i], comps[i], sec[i]);
        gk_jw_object_end(&w);
    }
    gk_buf_release(&path);
    gk_jw_object_end(&w);

    gk_jw_key(&w, "components");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "schemas");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "Error");
    write_error_schema(&w);
    gk_buf key = GK_BUF_INIT(64 * 1024);
    for (size_t i = 0; i < n; i++) {
        gk_action *a = order[i]->action;
        static const char *const suffixes[] = {"Input", "Output", "Chunk"};
        const gk_type *types[] = {gk_action_in_type(a), gk_action_out_type(a),
                                  gk_action_chunk_type(a)};
        for (size_t k = 0; k < 3; k++) {
            if (!types[k])
                continue;
            gk_buf_reset(&key);
            gk_buf_printf(&key, "%s%s", comps[i], suffixes[k]);
            gk_jw_key(&w, gk_buf_failed(&key) ? "" : key.ptr);
            gk_schema_write_ex(&w, types[k], GK_SCHEMA_NO_META);
        }
    }
    gk_buf_release(&key);
    gk_jw_object_end(&w);

    gk_jw_key(&w, "responses");
    gk_jw_object_begin(&w);
    for (size_t i = 0; i < sizeof(error_responses) / sizeof(error_responses[0]); i++) {
        gk_jw_key(&w, error_responses[i].name);
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "description");
        gk_jw_string(&w, error_responses[i].description);
        gk_jw_key(&w, "content");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "application/json");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "schema");
        ref(&w, "schemas", "Error", "");
        gk_jw_object_end(&w);
        gk_jw_object_end(&w);
        gk_jw_object_end(&w);
    }
    gk_jw_object_end(&w);

    if (any_secured) {
        gk_jw_key(&w, "securitySchemes");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "bearerAuth");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "type");
        gk_jw_string(&w, "http");
        gk_jw_key(&w, "scheme");
        gk_jw_string(&w, "bearer");
        gk_jw_key(&w, "description");
        gk_jw_string(&w, "The service's API key: Authorization: Bearer <key>");
        gk_jw_object_end(&w);
        gk_jw_object_end(&w);
    }
    gk_jw_object_end(&w);
    gk_jw_object_end(&w);

out:
    for (size_t i = 0; comps && i < n; i++)
        free(comps[i]);
    free(comps);
    free(order);
    free(sec);
}

/* The document of s's flows, built by the first caller; concurrent first callers may each build
 * one, and all but the one published free theirs. NULL if memory ran out or it is over the cap. */
static const struct gk__srv_doc *openapi_doc(gk_server *s)
{
    struct gk__srv_doc *doc = atomic_load_explicit(&s->openapi, memory_order_acquire);
    if (doc)
        return doc;
    bool *secured = calloc(s->nflows ? s->nflows : 1, sizeof(*secured));
    if (!secured)
        return NULL;
    for (size_t i = 0; i < s->nflows; i++)
        secured[i] = gk__srv_flow_auth(s, i) != NULL;
    gk_buf b = GK_BUF_INIT(OPENAPI_CAP);
    gk__openapi_write(&b, gk__genkit_name(s->g), gk_version(), s->prefix, s->flows, s->nflows,
                      secured);
    free(secured);
    if (!gk_buf_failed(&b))
        doc = malloc(sizeof(*doc) + b.len);
    if (doc) {
        doc->len = b.len;
        memcpy(doc->bytes, b.ptr, b.len);
    }
    gk_buf_release(&b);
    if (!doc)
        return NULL;
    struct gk__srv_doc *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&s->openapi, &expected, doc,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        free(doc);
        return expected;
    }
    return doc;
}

void gk__srv_openapi(struct gk__srv_conn *c)
{
    struct gk__srv_request *r = c->req;
    gk_server *s = c->sl->s;
    gk__http_method m = r->http->method;
    if (m != GK__HTTP_GET && m != GK__HTTP_HEAD) {
        gk__srv_send_error(c, 405, GK_INVALID_ARGUMENT,
                           "method not allowed on /openapi.json; use GET", NULL,
                           "Allow: GET, HEAD\r\n");
        return;
    }
    const char *extra = gk_arena_sprintf(r->arena, "Cache-Control: no-cache\r\n%s",
                                         r->extra_head ? r->extra_head : "");
    if (!extra) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return;
    }
    const struct gk__srv_doc *doc = openapi_doc(s);
    if (!doc) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED,
                           "out of memory (or the OpenAPI document is over its size limit)", NULL,
                           NULL);
        return;
    }
    gk__srv_send(c, 200, "application/json", doc->bytes, doc->len, extra);
}
