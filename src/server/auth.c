/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/auth.c - who may run a flow: per-flow rules resolved at start (exact name, else "*"),
 * the built-in API-key check (Authorization: Bearer <key>, compared in constant time, the key read
 * once from an environment variable and never logged), user context providers run in the
 * request's fiber before the flow, and gk_ctx_auth for flows to read the result. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <genkit/json.h>

#include "server/server_internal.h"

#include "base/banned.h"

/* The view a context provider gets of a request. */
struct gk_request {
    const struct gk__srv_request *r;
    const char *flow;
};

const char *gk_request_header(const gk_request *req, const char *name)
{
    if (!req || !name)
        return NULL;
    const gk_str *v = gk__http_header_find(req->r->http, name);
    return v ? v->ptr : NULL; /* header values are NUL-terminated in the arena */
}

const char *gk_request_flow(const gk_request *req)
{
    return req ? req->flow : NULL;
}

const char *gk_request_method(const gk_request *req)
{
    return req ? req->r->http->method_name : NULL;
}

const gk_json *gk_request_input(const gk_request *req)
{
    return req ? req->r->input : NULL;
}

const gk_json *gk_ctx_auth(const gk_ctx *ctx)
{
    if (!ctx)
        return NULL;
    const struct gk__srv_request *r = gk__ctx_get(ctx, GK_CTX_SLOT_USER);
    if (!r || r->magic != GK__SRV_REQUEST_MAGIC)
        return NULL;
    return r->auth;
}

bool gk__secret_equal(const char *x, size_t n, const char *y, size_t m)
{
    /* Every byte of the secret y is visited whatever x holds, so the time tells nothing about
     * how much of a guess was right; only the secret's length shows. */
    volatile unsigned char diff = (unsigned char)(n != m);
    for (size_t i = 0; i < m; i++) {
        unsigned char a = n ? (unsigned char)x[i % n] : 0;
        diff |= (unsigned char)(a ^ (unsigned char)y[i]);
    }
    return diff == 0;
}

static bool env_name_valid(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static gk_status resolve(struct gk__srv_auth *dst, const gk_flow_auth *rule, size_t i, gk_error *err)
{
    dst->provider = rule->provider;
    dst->provider_arg = rule->provider_arg;
    if (!rule->api_key_env)
        return GK_OK;
    if (!env_name_valid(rule->api_key_env))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "auth rule %zu: api_key_env must name an environment variable "
                            "([A-Za-z_][A-Za-z0-9_]*), not hold a key",
                            i);
    const char *key = getenv(rule->api_key_env);
    if (!key || !*key)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                            "auth for flow \"%s\": environment variable %s (the API key) is not set",
                            rule->flow, rule->api_key_env);
    dst->api_key_len = strlen(key);
    dst->api_key = malloc(dst->api_key_len + 1);
    if (!dst->api_key)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    memcpy(dst->api_key, key, dst->api_key_len + 1);
    return GK_OK;
}

gk_status gk__srv_auth_init(gk_server *s, const gk_server_opts *o, gk_error *err)
{
    if (!o->auth || o->nauth == 0)
        return GK_OK;
    s->flow_auth = calloc(s->nflows ? s->nflows : 1, sizeof(*s->flow_auth));
    s->auth_rules = calloc(o->nauth, sizeof(*s->auth_rules));
    if (!s->flow_auth || !s->auth_rules)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    s->nauth_rules = o->nauth;
    const struct gk__srv_auth *star = NULL;
    for (size_t i = 0; i < o->nauth; i++) {
        const gk_flow_auth *rule = &o->auth[i];
        if (!rule->flow || !*rule->flow)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "auth rule %zu names no flow", i);
        if (!rule->api_key_env && !rule->provider)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "auth rule for \"%s\" has neither api_key_env nor provider",
                                rule->flow);
        gk_status st = resolve(&s->auth_rules[i], rule, i, err);
        if (st != GK_OK)
            return st;
        if (strcmp(rule->flow, "*") == 0) {
            star = &s->auth_rules[i];
            continue;
        }
        size_t len = strlen(rule->flow);
        size_t k = 0;
        while (k < s->nflows &&
               !(s->flows[k].len == len && memcmp(s->flows[k].name, rule->flow, len) == 0))
            k++;
        if (k == s->nflows)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "auth rule for \"%s\": no such flow", rule->flow);
        s->flow_auth[k] = &s->auth_rules[i];
    }
    for (size_t k = 0; star && k < s->nflows; k++)
        if (!s->flow_auth[k])
            s->flow_auth[k] = (struct gk__srv_auth *)star;
    return GK_OK;
}

void gk__srv_auth_free(gk_server *s)
{
    for (size_t i = 0; s->auth_rules && i < s->nauth_rules; i++) {
        struct gk__srv_auth *a = &s->auth_rules[i];
        if (a->api_key) {
            explicit_bzero(a->api_key, a->api_key_len);
            free(a->api_key);
        }
    }
    free(s->auth_rules);
    free(s->flow_auth);
    s->auth_rules = NULL;
    s->flow_auth = NULL;
    s->nauth_rules = 0;
}

const struct gk__srv_auth *gk__srv_flow_auth(const gk_server *s, size_t i)
{
    return s->flow_auth && i < s->nflows ? s->flow_auth[i] : NULL;
}

static gk_status check_api_key(struct gk__srv_request *r, const struct gk__srv_auth *a,
                               gk_error *err)
{
    const gk_str *h = gk__http_header_find(r->http, "authorization");
    gk_str v = h ? *h : (gk_str){"", 0};
    while (v.len && (v.ptr[0] == ' ' || v.ptr[0] == '\t')) {
        v.ptr++;
        v.len--;
    }
    if (v.len >= 7 && strncasecmp(v.ptr, "Bearer ", 7) == 0) {
        v.ptr += 7;
        v.len -= 7;
        while (v.len && v.ptr[0] == ' ') {
            v.ptr++;
            v.len--;
        }
    }
    while (v.len && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
        v.len--;
    if (v.len == 0)
        return gk_error_set(err, GK_UNAUTHENTICATED, "",
                            "missing API key: send \"Authorization: Bearer <key>\"");
    if (!gk__secret_equal(v.ptr, v.len, a->api_key, a->api_key_len))
        return gk_error_set(err, GK_PERMISSION_DENIED, "", "invalid API key");
    gk_json *auth = gk_json_new_object(r->arena);
    gk_json *type = gk_json_new_string(r->arena, "apiKey", 6);
    if (!auth || !type || !gk_json_object_set(r->arena, auth, "type", type))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    r->auth = auth;
    return GK_OK;
}

gk_status gk__srv_authorize(struct gk__srv_request *r, const struct gk__srv_auth *a, gk_error *err)
{
    if (!a)
        return GK_OK;
    if (a->api_key) {
        gk_status st = check_api_key(r, a, err);
        if (st != GK_OK)
            return st;
    }
    if (!a->provider)
        return GK_OK;
    struct gk_request view = {r, gk_action_name(r->action)};
    const gk_json *auth = NULL;
    gk_error perr = {0};
    gk_status st = a->provider(r->ctx, &view, &auth, a->provider_arg, &perr);
    if (st != GK_OK) {
        if (!perr.message[0])
            gk_error_set(&perr, st, "", "%s",
                         st == GK_UNAUTHENTICATED     ? "unauthenticated"
                         : st == GK_PERMISSION_DENIED ? "permission denied"
                                                      : "request refused");
        if (err)
            *err = perr;
        return st;
    }
    if (auth)
        r->auth = auth;
    return GK_OK;
}
