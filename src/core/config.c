/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/config.c - genkit.yaml: read the file, convert it through src/base/yaml.c to JSON,
 * decode it with strict descriptors (unknown keys are errors), check what descriptors cannot
 * (environment variable names, not keys; auth rules), map errors back to "file:LINE:COL", apply
 * the environment overrides, and hand the server its options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/schema.h>

#include "base/yaml.h"
#include "core/config.h"

#include "base/banned.h"

/* clang-format off */
GK_ENUM_DEFINE(gk_config_log_level, "log level", "default", "debug", "info", "warn", "error");
GK_ENUM_DEFINE(gk_config_auth_type, "auth type", "none", "apikey");

GK_SCHEMA_DEFINE_STRICT(gk_config_limits, "request limits",
    GK_FIELD_INT64(gk_config_limits, max_body_bytes, "max_body_bytes", NULL, GK_MINIMUM(0),
                   GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_limits, max_header_bytes, "max_header_bytes", NULL, GK_MINIMUM(0),
                   GK_DEFAULT(0)),
    GK_FIELD_INT(gk_config_limits, max_connections, "max_connections", NULL, GK_MINIMUM(0),
                 GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_limits, request_memory, "request_memory", NULL, GK_MINIMUM(0),
                   GK_DEFAULT(0)));

GK_SCHEMA_DEFINE_STRICT(gk_config_timeouts, "timeouts in milliseconds",
    GK_FIELD_INT64(gk_config_timeouts, header_ms, "header_ms", NULL, GK_MINIMUM(0), GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_timeouts, body_ms, "body_ms", NULL, GK_MINIMUM(0), GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_timeouts, idle_ms, "idle_ms", NULL, GK_MINIMUM(0), GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_timeouts, write_ms, "write_ms", NULL, GK_MINIMUM(0), GK_DEFAULT(0)),
    GK_FIELD_INT64(gk_config_timeouts, drain_ms, "drain_ms", NULL, GK_MINIMUM(0), GK_DEFAULT(0)));

GK_SCHEMA_DEFINE_STRICT(gk_config_cors, "CORS",
    GK_FIELD_ARRAY(gk_config_cors, origins, "origins", gk_text, "allowed origins", GK_MIN_ITEMS(1),
                   GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_cors, methods, "methods", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_cors, headers, "headers", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_INT(gk_config_cors, max_age, "max_age", NULL, GK_MINIMUM(-1), GK_DEFAULT(0)));

GK_SCHEMA_DEFINE_STRICT(gk_config_server, "server",
    GK_FIELD_STRING_OPT(gk_config_server, host, "host", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_INT(gk_config_server, port, "port", NULL, GK_MINIMUM(0), GK_MAXIMUM(65535),
                 GK_DEFAULT(0)),
    GK_FIELD_INT(gk_config_server, threads, "threads", NULL, GK_MINIMUM(0), GK_MAXIMUM(1024),
                 GK_DEFAULT(0)),
    GK_FIELD_STRUCT_OPT(gk_config_server, limits, "limits", gk_config_limits, NULL),
    GK_FIELD_STRUCT_OPT(gk_config_server, timeouts, "timeouts", gk_config_timeouts, NULL),
    GK_FIELD_STRUCT_OPT(gk_config_server, cors, "cors", gk_config_cors, NULL));

GK_SCHEMA_DEFINE_STRICT(gk_config_provider, "a model provider",
    GK_FIELD_STRING(gk_config_provider, name, "name", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_provider, base_url, "base_url", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_provider, api_key_env, "api_key_env", NULL, GK_MIN_LENGTH(1)));

GK_SCHEMA_DEFINE_STRICT(gk_config_telemetry, "telemetry",
    GK_FIELD_STRING_OPT(gk_config_telemetry, otlp_endpoint, "otlp_endpoint", NULL,
                        GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_telemetry, service_name, "service_name", NULL,
                        GK_MIN_LENGTH(1)));

GK_SCHEMA_DEFINE_STRICT(gk_config_flow_auth, "auth for a flow",
    GK_FIELD_STRING(gk_config_flow_auth, flow, "flow", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_ENUM(gk_config_flow_auth, type, "type", gk_config_auth_type, NULL),
    GK_FIELD_STRING_OPT(gk_config_flow_auth, api_key_env, "api_key_env", NULL, GK_MIN_LENGTH(1)));

GK_SCHEMA_DEFINE_STRICT(gk_config_flows, "flows",
    GK_FIELD_ARRAY_OPT(gk_config_flows, expose, "expose", gk_text, NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_STRING_OPT(gk_config_flows, path_prefix, "path_prefix", NULL),
    GK_FIELD_ARRAY_OPT(gk_config_flows, auth, "auth", gk_config_flow_auth, NULL));

GK_SCHEMA_DEFINE_STRICT(gk_config_dev_ui, "Developer UI",
    GK_FIELD_INT(gk_config_dev_ui, reflection_port, "reflection_port", NULL, GK_MINIMUM(0),
                 GK_MAXIMUM(65535), GK_DEFAULT(0)),
    GK_FIELD_STRING_OPT(gk_config_dev_ui, telemetry_server, "telemetry_server", NULL,
                        GK_MIN_LENGTH(1)));

GK_SCHEMA_DEFINE_STRICT(gk_config, "genkit.yaml",
    GK_FIELD_STRUCT_OPT(gk_config, server, "server", gk_config_server, NULL),
    GK_FIELD_STRING_OPT(gk_config, default_model, "default_model", NULL, GK_MIN_LENGTH(1)),
    GK_FIELD_ARRAY_OPT(gk_config, providers, "providers", gk_config_provider, NULL),
    GK_FIELD_STRUCT_OPT(gk_config, telemetry, "telemetry", gk_config_telemetry, NULL),
    GK_FIELD_ENUM(gk_config, log_level, "log_level", gk_config_log_level, NULL,
                  GK_DEFAULT(GK_CONFIG_LOG_DEFAULT)),
    GK_FIELD_STRUCT_OPT(gk_config, flows, "flows", gk_config_flows, NULL),
    GK_FIELD_STRUCT_OPT(gk_config, dev_ui, "dev_ui", gk_config_dev_ui, NULL));
/* clang-format on */

void gk__config_release(gk_config *cfg)
{
    if (!cfg)
        return;
    gk_arena_free(cfg->arena);
    memset(cfg, 0, sizeof(*cfg));
}

/* An environment variable name, and not something that looks like a key pasted in its place. */
static const char *env_name_problem(const char *s)
{
    static const char *const key_prefixes[] = {"sk-", "sk_", "AIza", "xox", "ghp_", "pk_"};
    for (size_t i = 0; i < sizeof(key_prefixes) / sizeof(key_prefixes[0]); i++)
        if (strncmp(s, key_prefixes[i], strlen(key_prefixes[i])) == 0)
            return "looks like an API key: put the key in an environment variable and give its "
                   "NAME here";
    size_t lower = 0;
    size_t digits = 0;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '_';
        if (!ok || (n == 0 && *p >= '0' && *p <= '9'))
            return "must be an environment variable name ([A-Z_][A-Z0-9_]*), not a key";
        lower += *p >= 'a' && *p <= 'z';
        digits += *p >= '0' && *p <= '9';
    }
    if (n > 64 || (n >= 20 && lower && digits))
        return "looks like an API key: put the key in an environment variable and give its "
               "NAME here";
    return NULL;
}

/* err (path set) -> "name:LINE:COL: message" from the YAML marks. */
static gk_status located(gk__yaml *doc, const char *name, gk_error *err)
{
    int line = 1;
    int col = 1;
    gk__yaml_locate(doc, err->path, strncmp(err->message, "unknown field", 13) == 0, &line, &col);
    gk_error e = *err;
    if (e.path[0])
        gk_error_set(err, e.status, e.path, "%s:%d:%d: %s: %s", name, line, col, e.path,
                     e.message);
    else
        gk_error_set(err, e.status, "", "%s:%d:%d: %s", name, line, col, e.message);
    return err->status;
}

static gk_status fail_at(gk__yaml *doc, const char *name, gk_error *err, const char *path,
                         const char *msg)
{
    gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s", msg);
    return located(doc, name, err);
}

static gk_status check(gk_config *c, gk__yaml *doc, const char *name, gk_error *err)
{
    char path[96];
    for (size_t i = 0; i < c->providers.count; i++) {
        const char *env = c->providers.items[i].api_key_env;
        const char *why = env ? env_name_problem(env) : NULL;
        if (why) {
            snprintf(path, sizeof(path), "/providers/%zu/api_key_env", i);
            return fail_at(doc, name, err, path, why);
        }
    }
    size_t napikey = 0;
    for (size_t i = 0; c->has_flows && i < c->flows.auth.count; i++) {
        const gk_config_flow_auth *a = &c->flows.auth.items[i];
        snprintf(path, sizeof(path), "/flows/auth/%zu/api_key_env", i);
        if (a->type == GK_CONFIG_AUTH_APIKEY && !a->api_key_env)
            return fail_at(doc, name, err, path,
                           "type apikey needs api_key_env (the NAME of the variable holding the "
                           "key)");
        if (a->type == GK_CONFIG_AUTH_NONE && a->api_key_env)
            return fail_at(doc, name, err, path, "type none takes no api_key_env");
        const char *why = a->api_key_env ? env_name_problem(a->api_key_env) : NULL;
        if (why)
            return fail_at(doc, name, err, path, why);
        napikey += a->type == GK_CONFIG_AUTH_APIKEY;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(c->flows.auth.items[k].flow, a->flow) == 0) {
                snprintf(path, sizeof(path), "/flows/auth/%zu/flow", i);
                return fail_at(doc, name, err, path, "a second rule for the same flow");
            }
        }
    }
    /* The server's shapes, so applying them cannot fail later. */
    c->server_auth = GK_NEW(c->arena, gk_flow_auth, napikey ? napikey : 1);
    if (!c->server_auth)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; c->has_flows && i < c->flows.auth.count; i++) {
        const gk_config_flow_auth *a = &c->flows.auth.items[i];
        if (a->type == GK_CONFIG_AUTH_APIKEY)
            c->server_auth[c->server_nauth++] =
                (gk_flow_auth){.flow = a->flow, .api_key_env = a->api_key_env};
    }
    if (c->has_server && c->server.has_cors) {
        size_t n = c->server.cors.origins.count;
        c->cors_origins = GK_NEW(c->arena, const char *, n + 1);
        if (!c->cors_origins)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        for (size_t i = 0; i < n; i++)
            c->cors_origins[i] = c->server.cors.origins.items[i];
    }
    if (c->has_flows && c->flows.expose.items) {
        size_t n = c->flows.expose.count;
        c->expose = GK_NEW(c->arena, const char *, n + 1);
        if (!c->expose)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        for (size_t i = 0; i < n; i++)
            c->expose[i] = c->flows.expose.items[i];
    }
    return GK_OK;
}

static gk_status env_int(const char *var, int32_t min, int32_t max, int32_t *out, gk_error *err)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return GK_OK;
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "environment variable %s: \"%.40s\" is not an integer in [%d, %d]", var,
                            v, (int)min, (int)max);
    *out = (int32_t)n;
    return GK_OK;
}

static gk_status env_overrides(gk_config *c, gk_error *err)
{
    gk_status st = env_int("PORT", 1, 65535, &c->server.port, err);
    if (st == GK_OK)
        st = env_int("GK_THREADS", 1, 1024, &c->server.threads, err);
    if (st != GK_OK)
        return st;
    const char *host = getenv("HOST");
    if (host && *host)
        c->server.host = host;
    const char *level = getenv("GK_LOG_LEVEL");
    if (level && *level) {
        static const char *const names[] = {"debug", "info", "warn", "error"};
        size_t i = 0;
        while (i < 4 && strcmp(level, names[i]) != 0)
            i++;
        if (i == 4)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "environment variable GK_LOG_LEVEL: \"%.20s\" is not one of: "
                                "debug, info, warn, error",
                                level);
        c->log_level = (gk_config_log_level)(i + 1);
    }
    const char *otlp = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (otlp && *otlp)
        c->telemetry.otlp_endpoint = otlp;
    const char *svc = getenv("OTEL_SERVICE_NAME");
    if (svc && *svc)
        c->telemetry.service_name = svc;
    return GK_OK;
}

gk_status gk__config_parse(const char *name, const char *text, size_t len, gk_config *out,
                           gk_error *err)
{
    memset(out, 0, sizeof(*out));
    gk_arena *a = gk_arena_new(0);
    if (!a)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk__yaml *doc = NULL;
    gk_json *json = NULL;
    gk_status st = gk__yaml_parse(a, name, text, len, &doc, &json, err);
    if (st != GK_OK) {
        gk_arena_free(a);
        return st;
    }
    gk_config tmp;
    st = gk_decode(a, GK_TYPE_OF(gk_config), json, &tmp, err);
    if (st == GK_INVALID_ARGUMENT)
        located(doc, name, err);
    if (st == GK_OK) {
        tmp.arena = a;
        st = check(&tmp, doc, name, err);
    }
    if (st == GK_OK)
        st = env_overrides(&tmp, err);
    gk__yaml_free(doc);
    if (st != GK_OK) {
        gk_arena_free(a);
        return st;
    }
    *out = tmp;
    out->arena = a;
    return GK_OK;
}

gk_status gk__config_load(const char *path, gk_config *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "re");
    if (!f)
        return gk_error_set(err, GK_NOT_FOUND, "", "cannot open %s: %s", path, strerror(errno));
    char *buf = malloc(GK__YAML_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, GK__YAML_MAX_BYTES + 1, f) : 0;
    bool read_err = ferror(f);
    fclose(f);
    if (!buf)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (read_err) {
        free(buf);
        return gk_error_set(err, GK_NOT_FOUND, "", "cannot read %s", path);
    }
    const char *base = strrchr(path, '/');
    gk_status st = gk__config_parse(base ? base + 1 : path, buf, n, out, err);
    free(buf);
    return st;
}

void gk__config_apply_server(const gk_config *cfg, gk_server_opts *o)
{
    const gk_config_server *s = &cfg->server;
    if (s->host)
        o->host = s->host;
    if (s->port > 0)
        o->port = s->port;
    if (s->has_limits) {
        if (s->limits.max_body_bytes > 0)
            o->max_body_bytes = (size_t)s->limits.max_body_bytes;
        if (s->limits.max_header_bytes > 0)
            o->max_header_bytes = (size_t)s->limits.max_header_bytes;
        if (s->limits.max_connections > 0)
            o->max_connections = s->limits.max_connections;
        if (s->limits.request_memory > 0)
            o->request_memory = (size_t)s->limits.request_memory;
    }
    if (s->has_timeouts) {
        const gk_config_timeouts *t = &s->timeouts;
        o->header_timeout_ms = t->header_ms > 0 ? t->header_ms : o->header_timeout_ms;
        o->body_timeout_ms = t->body_ms > 0 ? t->body_ms : o->body_timeout_ms;
        o->idle_timeout_ms = t->idle_ms > 0 ? t->idle_ms : o->idle_timeout_ms;
        o->write_timeout_ms = t->write_ms > 0 ? t->write_ms : o->write_timeout_ms;
        o->drain_timeout_ms = t->drain_ms > 0 ? t->drain_ms : o->drain_timeout_ms;
    }
    if (cfg->expose)
        o->flows = cfg->expose;
    if (cfg->cors_origins) {
        o->cors_origins = cfg->cors_origins;
        o->cors_methods = s->cors.methods;
        o->cors_headers = s->cors.headers;
        o->cors_max_age = s->cors.max_age;
    }
    if (cfg->has_flows && cfg->flows.path_prefix)
        o->path_prefix = cfg->flows.path_prefix;
    if (cfg->server_nauth) {
        o->auth = cfg->server_auth;
        o->nauth = cfg->server_nauth;
    }
}
