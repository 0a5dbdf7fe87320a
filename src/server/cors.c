/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/cors.c - cross-origin requests from browsers: the allowed-origin check, the
 * Access-Control-Allow-Origin / Vary: Origin lines every response of a CORS request carries, and
 * preflight OPTIONS answered with 204 (or 403 for an origin that is not allowed). Origins match
 * exactly (ASCII case-insensitive); "*" allows any origin. No credentials mode: flows authenticate
 * with headers (Authorization), which browsers send cross-origin once the preflight allows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server_internal.h"

#include "base/banned.h"

#define DEFAULT_METHODS "GET, POST, OPTIONS"
#define DEFAULT_HEADERS "Content-Type, Authorization, Accept, X-Genkit-Stream-Id"
#define DEFAULT_MAX_AGE 600
#define EXPOSE_HEADERS  "X-Genkit-Trace-Id, X-Genkit-Span-Id, X-Genkit-Stream-Id"

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* A value that goes into a header line: printable ASCII (and tab), so no CR/LF injection. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 ? *s != '\t' : (unsigned char)*s > 0x7e)
            return false;
    return true;
}

gk_status gk__srv_cors_init(gk_server *s, const gk_server_opts *o, gk_error *err)
{
    struct gk__srv_cors *k = &s->cors;
    if (!o->cors_origins)
        return GK_OK;
    size_t n = 0;
    while (o->cors_origins[n])
        n++;
    k->origins = calloc(n + 1, sizeof(*k->origins));
    k->methods = dup_str(o->cors_methods && *o->cors_methods ? o->cors_methods : DEFAULT_METHODS);
    k->headers = dup_str(o->cors_headers && *o->cors_headers ? o->cors_headers : DEFAULT_HEADERS);
    k->max_age = o->cors_max_age > 0 ? o->cors_max_age : o->cors_max_age < 0 ? -1 : DEFAULT_MAX_AGE;
    if (!k->origins || !k->methods || !k->headers)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (!header_safe(k->methods) || !header_safe(k->headers))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "cors methods and headers must be printable ASCII");
    for (size_t i = 0; i < n; i++) {
        const char *origin = o->cors_origins[i];
        if (!*origin || !header_safe(origin) || strchr(origin, ' ') || strchr(origin, ','))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "cors origin %zu is not a valid origin (scheme://host[:port])", i);
        if (strcmp(origin, "*") == 0)
            k->any_origin = true;
        k->origins[i] = dup_str(origin);
        if (!k->origins[i])
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    return GK_OK;
}

void gk__srv_cors_free(gk_server *s)
{
    struct gk__srv_cors *k = &s->cors;
    for (size_t i = 0; k->origins && k->origins[i]; i++)
        free(k->origins[i]);
    free(k->origins);
    free(k->methods);
    free(k->headers);
    memset(k, 0, sizeof(*k));
}

static bool origin_allowed(const struct gk__srv_cors *k, const gk_str *origin)
{
    if (k->any_origin)
        return true;
    for (size_t i = 0; k->origins[i]; i++)
        if (strlen(k->origins[i]) == origin->len &&
            strncasecmp(k->origins[i], origin->ptr, origin->len) == 0)
            return true;
    return false;
}

/* 204 with no Content-Length (RFC 9110 forbids one on 204), the way gk__srv_send answers. */
static void send_204(struct gk__srv_conn *c, const char *extra)
{
    struct gk__srv_request *r = c->req;
    char head[GK__SRV_HEAD_MAX];
    bool close = r->close_after || c->force_close || c->sl->draining;
    bool ka10 = r->http->version_major == 1 && r->http->version_minor == 0;
    r->close_after = close;
    r->status = 204;
    size_t n = gk__srv_head(c->sl, head, 204, NULL, -2, close, ka10, extra);
    uv_buf_t b = uv_buf_init(head, (unsigned)n);
    gk__srv_write(c, &b, 1);
    gk__srv_responded(c);
}

bool gk__srv_cors(struct gk__srv_conn *c)
{
    struct gk__srv_request *r = c->req;
    const struct gk__srv_cors *k = &c->sl->s->cors;
    if (!k->origins)
        return false;
    const gk_str *origin = gk__http_header_find(r->http, "origin");
    bool preflight = r->http->method == GK__HTTP_OPTIONS && origin &&
                     gk__http_header_find(r->http, "access-control-request-method");
    if (!origin) {
        r->extra_head = "Vary: Origin\r\n";
        return false;
    }
    bool allowed = origin_allowed(k, origin) && header_safe(origin->ptr);
    if (!allowed) {
        r->extra_head = "Vary: Origin\r\n";
        if (preflight) {
            gk_error e = {0};
            int n = origin->len > 100 ? 100 : (int)origin->len;
            gk_error_set(&e, GK_PERMISSION_DENIED, "", "origin \"%.*s\" is not allowed", n,
                         origin->ptr);
            gk__srv_send_error(c, 403, GK_PERMISSION_DENIED, e.message, NULL, r->extra_head);
            return true;
        }
        return false;
    }
    const char *allow = k->any_origin ? "*" : origin->ptr;
    if (!preflight) {
        r->extra_head = gk_arena_sprintf(r->arena,
                                         "Access-Control-Allow-Origin: %s\r\n"
                                         "Access-Control-Expose-Headers: " EXPOSE_HEADERS "\r\n"
                                         "Vary: Origin\r\n",
                                         allow);
        return false;
    }
    char age[48] = "";
    if (k->max_age >= 0)
        snprintf(age, sizeof(age), "Access-Control-Max-Age: %d\r\n", k->max_age);
    const char *extra = gk_arena_sprintf(r->arena,
                                         "Access-Control-Allow-Origin: %s\r\n"
                                         "Access-Control-Allow-Methods: %s\r\n"
                                         "Access-Control-Allow-Headers: %s\r\n"
                                         "%sVary: Origin\r\n",
                                         allow, k->methods, k->headers, age);
    if (!extra) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return true;
    }
    send_204(c, extra);
    return true;
}
