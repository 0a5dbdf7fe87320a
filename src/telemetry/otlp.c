/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/otlp.c - OTLP/HTTP JSON settings, envelope and POST (see otlp.h). Reads the
 * OTEL_* variables once per settings object; never logs header values; does no queueing. */
#include "telemetry/otlp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <genkit/http.h>
#include <genkit/json.h>

#include "base/ids.h"
#include "base/log.h"

#include "base/banned.h"

#define OTLP_MAX_RESPONSE ((size_t)64 << 10)

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool env_true(const char *name)
{
    const char *v = env(name);
    return v && strcasecmp(v, "true") == 0;
}

/* A positive integer variable, or dflt (with a warning when it is set but not one). */
static int64_t env_int(const char *name, int64_t dflt)
{
    const char *v = env(name);
    if (!v)
        return dflt;
    char *end = NULL;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x <= 0) {
        gk__log(GK_LOG_WARN, "environment variable %s: \"%.20s\" is not a positive integer, using %lld",
                name, v, (long long)dflt);
        return dflt;
    }
    return (int64_t)x;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **p, const char **e)
{
    while (*p < *e && is_blank(**p))
        (*p)++;
    while (*e > *p && is_blank((*e)[-1]))
        (*e)--;
}

/* Percent-decode [p, e) into an arena string; NULL on a bad escape or a bad result. */
static char *decode(gk_arena *a, const char *p, const char *e, bool *oom)
{
    char *out = gk_arena_alloc(a, (size_t)(e - p) + 1);
    if (!out) {
        *oom = true;
        return NULL;
    }
    size_t n = 0;
    while (p < e) {
        if (*p == '%') {
            int hi = e - p >= 3 ? gk__hex_value(p[1]) : -1;
            int lo = e - p >= 3 ? gk__hex_value(p[2]) : -1;
            if (hi < 0 || lo < 0)
                return NULL;
            out[n++] = (char)(hi * 16 + lo);
            p += 3;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7f)
            return NULL;
    }
    return gk_utf8_valid(out, n) ? out : NULL;
}

gk_status gk__otlp_parse_kv(gk_arena *a, const char *s, size_t len, gk__otlp_kv **out,
                            size_t *n_out, gk_error *err)
{
    *out = NULL;
    *n_out = 0;
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += s[i] == ',';
    gk__otlp_kv *kv = GK_NEW(a, gk__otlp_kv, cap);
    if (!kv)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    size_t n = 0;
    size_t member = 0;
    const char *p = s;
    const char *end = s + len;
    while (p <= end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *me = comma ? comma : end;
        member++;
        const char *ks = p;
        const char *ke = me;
        trim(&ks, &ke);
        if (ks != ke) {
            const char *eq = memchr(ks, '=', (size_t)(ke - ks));
            if (!eq)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "member %zu has no '='", member);
            const char *vs = eq + 1;
            const char *ve = ke;
            ke = eq;
            trim(&ks, &ke);
            trim(&vs, &ve);
            if (ks == ke)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "member %zu has an empty key",
                                    member);
            bool oom = false;
            char *k = decode(a, ks, ke, &oom);
            char *v = k ? decode(a, vs, ve, &oom) : NULL;
            if (oom)
                return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
            if (!k)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "member %zu has a bad key (a bad %%-escape, a control character "
                                    "or invalid UTF-8)",
                                    member);
            if (!v)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "member %zu (\"%.40s\") has a bad value (a bad %%-escape, a "
                                    "control character or invalid UTF-8)",
                                    member, k);
            kv[n].key = k;
            kv[n].value = v;
            n++;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = kv;
    *n_out = n;
    return GK_OK;
}

/* An HTTP token (RFC 9110 tchar): what a header name may hold. */
static bool is_token(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
            return false;
    }
    return true;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

static void settings_free(gk__otlp_settings *s)
{
    if (!s)
        return;
    if (s->headers) {
        for (char **h = s->headers; *h; h++)
            free(*h);
        free(s->headers);
    }
    free(s->url);
    free(s->prefix);
    free(s);
}

gk__otlp_settings *gk__otlp_settings_ref(gk__otlp_settings *s)
{
    if (s)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

void gk__otlp_settings_unref(gk__otlp_settings *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        settings_free(s);
}

/* The traces URL by precedence (otlp.h), malloc'd; NULL when none or unusable. */
static char *pick_url(const gk__otlp_config *cfg)
{
    const char *as_is = cfg->traces_url && *cfg->traces_url ? cfg->traces_url
                                                             : env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    const char *base = NULL;
    if (!as_is)
        base = cfg->endpoint && *cfg->endpoint ? cfg->endpoint : env("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (!as_is && !base)
        return NULL;
    const char *u = as_is ? as_is : base;
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) {
        gk__log(GK_LOG_WARN, "OTLP endpoint is not an http:// or https:// URL: not exporting");
        return NULL;
    }
    if (as_is)
        return xstrdup(as_is);
    size_t n = strlen(base);
    while (n && base[n - 1] == '/')
        n--;
    static const char path[] = "/v1/traces";
    char *url = malloc(n + sizeof(path));
    if (url) {
        memcpy(url, base, n);
        memcpy(url + n, path, sizeof(path));
    }
    return url;
}

static void resource_attr(gk_jw *w, const char *key, const char *value)
{
    gk_jw_object_begin(w);
    gk_jw_key(w, "key");
    gk_jw_string(w, key);
    gk_jw_key(w, "value");
    gk_jw_object_begin(w);
    gk_jw_key(w, "stringValue");
    gk_jw_string(w, value);
    gk_jw_object_end(w);
    gk_jw_object_end(w);
}

/* The envelope up to the spans array. service.name comes first; the other resource attributes
 * follow in the order given. */
static char *make_prefix(gk_arena *a, const gk__otlp_config *cfg, size_t *len)
{
    const char *list = cfg->resource_attributes ? cfg->resource_attributes
                                                : env("OTEL_RESOURCE_ATTRIBUTES");
    gk__otlp_kv *kv = NULL;
    size_t n = 0;
    if (list) {
        gk_error err = {0};
        if (gk__otlp_parse_kv(a, list, strlen(list), &kv, &n, &err) != GK_OK) {
            gk__log(GK_LOG_WARN, "OTEL_RESOURCE_ATTRIBUTES ignored: %s", err.message);
            n = 0;
        }
    }
    const char *service = cfg->service_name && *cfg->service_name ? cfg->service_name
                                                                   : env("OTEL_SERVICE_NAME");
    for (size_t i = 0; !service && i < n; i++) {
        if (strcmp(kv[i].key, "service.name") == 0)
            service = kv[i].value;
    }
    if (!service)
        service = program_invocation_short_name;
    gk_buf b = GK_BUF_INIT(1 << 20);
    gk_jw w;
    gk_buf_puts(&b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    gk_jw_init(&w, &b);
    resource_attr(&w, "service.name", service);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kv[i].key, "service.name") == 0)
            continue;
        gk_buf_putc(&b, ',');
        gk_jw_init(&w, &b); /* one writer per member: the commas between them are ours */
        resource_attr(&w, kv[i].key, kv[i].value);
    }
    gk_buf_puts(&b, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"genkit-tracer\",\"version\":\"v1\"},"
                    "\"spans\":[");
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        return NULL;
    }
    return gk_buf_detach(&b, len);
}

/* "Name: value" lines from the headers list; NULL-terminated, malloc'd. */
static char **make_headers(gk_arena *a, const gk__otlp_config *cfg, bool *ok)
{
    const char *list = cfg->headers;
    const char *var = "telemetry headers";
    if (!list) {
        var = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
        list = env(var);
    }
    if (!list) {
        var = "OTEL_EXPORTER_OTLP_HEADERS";
        list = env(var);
    }
    gk__otlp_kv *kv = NULL;
    size_t n = 0;
    *ok = true;
    if (list) {
        gk_error err = {0};
        /* The message names the member's position and key, never a value: values are secrets. */
        if (gk__otlp_parse_kv(a, list, strlen(list), &kv, &n, &err) != GK_OK) {
            gk__log(GK_LOG_WARN, "%s ignored: %s", var, err.message);
            n = 0;
        }
    }
    char **h = calloc(n + 2, sizeof(*h));
    if (!h) {
        *ok = false;
        return NULL;
    }
    size_t k = 0;
    h[k++] = xstrdup("Content-Type: application/json");
    for (size_t i = 0; i < n; i++) {
        if (!is_token(kv[i].key)) {
            gk__log(GK_LOG_WARN, "%s: header name \"%.40s\" is not a valid token: skipped", var,
                    kv[i].key);
            continue;
        }
        if (strcasecmp(kv[i].key, "content-type") == 0 ||
            strcasecmp(kv[i].key, "content-length") == 0)
            continue;
        size_t kn = strlen(kv[i].key);
        size_t vn = strlen(kv[i].value);
        char *line = malloc(kn + vn + 3);
        if (line) {
            memcpy(line, kv[i].key, kn);
            memcpy(line + kn, ": ", 2);
            memcpy(line + kn + 2, kv[i].value, vn + 1);
        }
        h[k++] = line;
    }
    for (size_t i = 0; i < k; i++) {
        if (!h[i])
            *ok = false;
    }
    return h;
}

gk__otlp_settings *gk__otlp_settings_new(const gk__otlp_config *cfg)
{
    static const gk__otlp_config none = {0};
    if (!cfg)
        cfg = &none;
    if (env_true("OTEL_SDK_DISABLED"))
        return NULL;
    const char *exporters = env("OTEL_TRACES_EXPORTER");
    if (exporters && strcmp(exporters, "none") == 0)
        return NULL;
    const char *proto = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
    if (!proto)
        proto = env("OTEL_EXPORTER_OTLP_PROTOCOL");
    char *url = pick_url(cfg);
    if (!url)
        return NULL;
    if (proto && strcmp(proto, "http/json") != 0)
        gk__log(GK_LOG_WARN, "OTLP protocol \"%.20s\" is not supported: sending http/json", proto);
    gk__otlp_settings *s = calloc(1, sizeof(*s));
    gk_arena *a = gk_arena_new(0);
    if (!s || !a) {
        free(url);
        free(s);
        gk_arena_free(a);
        gk__log(GK_LOG_ERROR, "OTLP exporter: out of memory");
        return NULL;
    }
    atomic_init(&s->refs, 1);
    s->url = url;
    bool headers_ok = false;
    s->headers = make_headers(a, cfg, &headers_ok);
    s->prefix = make_prefix(a, cfg, &s->prefix_len);
    gk_arena_free(a);
    if (!headers_ok || !s->prefix) {
        settings_free(s);
        gk__log(GK_LOG_ERROR, "OTLP exporter: out of memory");
        return NULL;
    }
    s->batch_spans = cfg->batch_spans
                         ? cfg->batch_spans
                         : (size_t)env_int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", GK__OTLP_DEFAULT_BATCH_SPANS);
    s->batch_delay_ms = cfg->batch_delay_ms > 0
                            ? cfg->batch_delay_ms
                            : env_int("OTEL_BSP_SCHEDULE_DELAY", GK__OTLP_DEFAULT_DELAY_MS);
    s->max_queue_spans = cfg->max_queue_spans
                             ? cfg->max_queue_spans
                             : (size_t)env_int("OTEL_BSP_MAX_QUEUE_SIZE", GK__OTLP_DEFAULT_QUEUE_SPANS);
    s->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : GK__OTLP_DEFAULT_ATTEMPTS;
    s->backoff_ms = cfg->backoff_ms > 0 ? cfg->backoff_ms : GK__OTLP_DEFAULT_BACKOFF_MS;
    int64_t timeout = env_int("OTEL_EXPORTER_OTLP_TIMEOUT", GK__OTLP_DEFAULT_TIMEOUT_MS);
    timeout = env_int("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", timeout);
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : timeout;
    return s;
}

void gk__otlp_body(gk_buf *b, const gk__otlp_settings *s, const char *spans, size_t len)
{
    gk_buf_put(b, s->prefix, s->prefix_len);
    gk_buf_put(b, spans, len);
    gk_buf_puts(b, GK__OTLP_SUFFIX);
}

gk_status gk__otlp_post(gk_ctx *ctx, const gk__otlp_settings *s, const char *body, size_t len,
                        int *code, int *retry_after_ms, gk_error *err)
{
    *code = 0;
    *retry_after_ms = 0;
    gk_http_request req = {
        .method = "POST",
        .url = s->url,
        .headers = (const char *const *)s->headers,
        .body = {body, len},
        .timeout_ms = s->timeout_ms,
        .connect_timeout_ms = s->timeout_ms < 5000 ? s->timeout_ms : 5000,
        .max_body = OTLP_MAX_RESPONSE,
    };
    gk_http_response *resp = NULL;
    gk_status st = gk_http_fetch(ctx, &req, &resp, err);
    if (st != GK_OK)
        return st;
    *code = gk_http_response_status(resp);
    if (*code >= 200 && *code < 300)
        return GK_OK;
    *retry_after_ms = gk_http_response_retry_after_ms(resp);
    return gk_error_set(err, GK_INTERNAL, "", "collector answered HTTP %d", *code);
}

bool gk__otlp_retryable(gk_status st, int code)
{
    if (st == GK_UNAVAILABLE || st == GK_DEADLINE_EXCEEDED)
        return true;
    return code == 429 || code == 502 || code == 503 || code == 504;
}
