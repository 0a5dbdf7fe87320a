/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/anthropic/anthropic.c - the Anthropic plugin: configuration (options or environment),
 * the model definitions, and each call's HTTP exchange with POST <base>/v1/messages (whole body or
 * text/event-stream), HTTP errors mapped to statuses with the provider's message and retry hint.
 * The wire format itself lives in anthropic_request.c and anthropic_response.c. The API key only
 * ever goes into the x-api-key header: never into logs, errors or traces. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anthropic_wire.h"

#define DEFAULT_BASE_URL "https://api.anthropic.com"
/* The API refuses bodies over 32 MB (413): refuse them here without sending. */
#define MAX_REQUEST_BODY ((size_t)32 << 20)
#define MAX_MODEL_ID     127

/* One configured account/gateway. Lives in the host arena until gk_shutdown. */
struct anthropic {
    const char *api_key;     /* "" when none is configured */
    const char *url;         /* <base>/v1/messages */
    const char *key_header;  /* "x-api-key: <key>" */
    const char *beta_header; /* "anthropic-beta: ..." or NULL */
    int default_max_tokens;
    int64_t timeout_ms;
};

/* One defined model. */
struct anthropic_model {
    const struct anthropic *p;
    const char *id;
    bool native_json;
};

/* Well-known models. native_json: takes output_config.format json_schema (structured outputs). */
static const struct known_model {
    const char *id;
    const char *label;
    bool native_json;
} known_models[] = {
    {"claude-opus-4-6", "Anthropic - Claude Opus 4.6", true},
    {"claude-opus-4-5", "Anthropic - Claude Opus 4.5", true},
    {"claude-opus-4-1", "Anthropic - Claude Opus 4.1", true},
    {"claude-sonnet-4-5", "Anthropic - Claude Sonnet 4.5", true},
    {"claude-sonnet-4-0", "Anthropic - Claude Sonnet 4", false},
    {"claude-haiku-4-5", "Anthropic - Claude Haiku 4.5", true},
    {"claude-3-5-haiku-latest", "Anthropic - Claude Haiku 3.5", false},
};

static const char *const output_formats[] = {"text", "json", NULL};

/* Builds the body, POSTs it, and maps the reply (streamed to stream when it is not NULL). */
static gk_status anthropic_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                    gk_model_stream *stream, gk_generate_response *resp,
                                    gk_error *err);

/* ---- configuration ---- */

/* A copy of s without surrounding blanks (keys pasted from a file often end in a newline). */
static char *trimmed_copy(gk_arena *a, const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return gk_arena_strndup(a, s, n);
}

/* Header values must not carry CR, LF or other control characters. */
static bool header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}

static bool model_id_ok(const char *id, size_t n)
{
    if (n == 0 || n > MAX_MODEL_ID)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':' && c != '@')
            return false;
    }
    return true;
}

static bool is_known(const char *id)
{
    for (size_t i = 0; i < sizeof(known_models) / sizeof(known_models[0]); i++) {
        if (strcmp(known_models[i].id, id) == 0)
            return true;
    }
    return false;
}

static gk_status define_one(gk_plugin_host *host, const struct anthropic *p, const char *id,
                            const char *label, bool native_json, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    struct anthropic_model *m = GK_NEW(a, struct anthropic_model, 1);
    const char *name = gk_arena_sprintf(a, "%s/%s", gk_host_plugin_name(host), id);
    const char *full_label = label ? label : gk_arena_sprintf(a, "Anthropic - %s", id);
    if (!m || !name || !full_label)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    m->p = p;
    m->id = gk_arena_strdup(a, id);
    m->native_json = native_json;
    if (!m->id)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    gk_model_desc d = {
        .name = name,
        .description = "Claude over the Anthropic Messages API",
        .info = {.label = full_label,
                 .supports = GK_MODEL_MULTITURN | GK_MODEL_TOOLS | GK_MODEL_MEDIA |
                             GK_MODEL_SYSTEM_ROLE | GK_MODEL_TOOL_CHOICE,
                 .output = output_formats,
                 .constrained = native_json ? GK_CONSTRAINED_ALL : GK_CONSTRAINED_NONE},
        .generate = anthropic_generate,
        .self = m,
    };
    return gk_host_define_model(host, &d, err);
}

/* Define one extra model id (from options or the environment) unless it is already defined. */
static gk_status define_extra(gk_plugin_host *host, const struct anthropic *p, const char *id,
                              size_t n, gk_error *err)
{
    if (!model_id_ok(id, n))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "anthropic: model id \"%.*s\" is not valid (letters, digits, - _ . : "
                            "@; at most %d bytes)",
                            (int)(n > 64 ? 64 : n), id, MAX_MODEL_ID);
    char copy[MAX_MODEL_ID + 1];
    memcpy(copy, id, n);
    copy[n] = '\0';
    if (is_known(copy))
        return GK_OK;
    char name[MAX_MODEL_ID + 64];
    snprintf(name, sizeof(name), "%s/%s", gk_host_plugin_name(host), copy);
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_MODEL, name))
        return GK_OK; /* listed twice */
    /* Claude 3 models predate structured outputs; later ones have them. */
    bool native = strncmp(copy, "claude-3", 8) != 0;
    return define_one(host, p, copy, NULL, native, err);
}

/* GK_ANTHROPIC_MODELS items, through gk_plugin_each_listed. */
struct listed {
    gk_plugin_host *host;
    const struct anthropic *p;
};

static gk_status define_listed(const char *s, size_t len, void *arg, gk_error *err)
{
    struct listed *l = arg;
    return define_extra(l->host, l->p, s, len, err);
}

gk_status gk_anthropic_init(gk_plugin_host *host, const gk_anthropic_opts *opts, gk_error *err)
{
    static const gk_anthropic_opts none = {0};
    if (!opts)
        opts = &none;
    gk_arena *a = gk_host_arena(host);
    struct anthropic *p = GK_NEW(a, struct anthropic, 1);
    if (!p)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");

    const char *key = opts->api_key ? opts->api_key : getenv("ANTHROPIC_API_KEY");
    p->api_key = trimmed_copy(a, key ? key : "");
    if (!p->api_key)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    if (!header_safe(p->api_key))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "anthropic: the API key contains control characters");
    p->key_header = gk_arena_sprintf(a, "x-api-key: %s", p->api_key);

    const char *base = opts->base_url ? opts->base_url : getenv("ANTHROPIC_BASE_URL");
    char *b = trimmed_copy(a, base && base[0] ? base : DEFAULT_BASE_URL);
    if (!b || !p->key_header)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    size_t blen = strlen(b);
    while (blen > 0 && b[blen - 1] == '/')
        b[--blen] = '\0';
    if ((strncmp(b, "https://", 8) != 0 && strncmp(b, "http://", 7) != 0) || !header_safe(b) ||
        strchr(b, ' '))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "anthropic: base URL must start with https:// or http:// (set "
                            "ANTHROPIC_BASE_URL or opts.base_url)");
    p->url = gk_arena_sprintf(a, "%s/v1/messages", b);
    if (opts->beta && opts->beta[0]) {
        if (!header_safe(opts->beta))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "anthropic: beta header value contains control characters");
        p->beta_header = gk_arena_sprintf(a, "anthropic-beta: %s", opts->beta);
        if (!p->beta_header)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    }
    if (!p->url)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "anthropic: out of memory");
    p->default_max_tokens =
        opts->default_max_tokens > 0 ? opts->default_max_tokens : GK__ANTHROPIC_DEFAULT_MAX_TOKENS;
    p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;

    gk_status st = GK_OK;
    for (size_t i = 0; st == GK_OK && i < sizeof(known_models) / sizeof(known_models[0]); i++)
        st = define_one(host, p, known_models[i].id, known_models[i].label,
                        known_models[i].native_json, err);
    if (opts->models) {
        for (size_t i = 0; st == GK_OK && opts->models[i]; i++)
            st = define_extra(host, p, opts->models[i], strlen(opts->models[i]), err);
    } else {
        struct listed l = {host, p};
        st = gk_plugin_each_listed(getenv("GK_ANTHROPIC_MODELS"), define_listed, &l, err);
    }
    if (st != GK_OK)
        return st;
    if (!p->api_key[0])
        gk_log(GK_SEVERITY_WARN,
               "anthropic: no API key (set ANTHROPIC_API_KEY): calls to the "
               "%s models will fail",
               gk_host_plugin_name(host));
    return GK_OK;
}

static gk_status plugin_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config; /* the host passes none yet: the environment configures the plugin */
    return gk_anthropic_init(host, NULL, err);
}

const gk_plugin gk_plugin_anthropic = {
    .abi = GK_PLUGIN_ABI,
    .name = "anthropic",
    .init = plugin_init,
};

/* ---- calls ---- */

static gk_status stream_emit(void *arg, const gk_generate_response_chunk *chunk, gk_error *err)
{
    return gk_model_stream_send(arg, chunk, err);
}

static gk_status stream_event(void *arg, const gk_line_event *ev, gk_error *err)
{
    return gk__anthropic_stream_event(arg, ev, err);
}

static gk_status anthropic_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                    gk_model_stream *stream, gk_generate_response *resp,
                                    gk_error *err)
{
    const struct anthropic_model *m = self;
    const struct anthropic *p = m->p;
    gk_arena *a = gk_ctx_arena(ctx);
    gk__anthropic_target t = {.model_id = m->id,
                              .default_max_tokens = p->default_max_tokens,
                              .native_json = m->native_json,
                              .stream = stream != NULL};
    gk__anthropic_built built;
    gk_buf body = GK_BUF_INIT(MAX_REQUEST_BODY);
    gk_status st = gk__anthropic_build_request(a, &t, req, &body, &built, err);
    if (st != GK_OK) {
        gk_buf_release(&body);
        return st;
    }
    const char *key = built.api_key ? built.api_key : p->api_key;
    const char *key_header = p->key_header;
    if (built.api_key) {
        if (!header_safe(built.api_key)) {
            gk_buf_release(&body);
            return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/apiKey",
                                "anthropic: the API key contains control characters");
        }
        key_header = gk_arena_sprintf(a, "x-api-key: %s", built.api_key);
    }
    if (!key[0] || !key_header) {
        gk_buf_release(&body);
        return key_header ? gk_error_set(err, GK_FAILED_PRECONDITION, "",
                                         "anthropic: no API key: set ANTHROPIC_API_KEY")
                          : gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                                         "anthropic: request memory limit reached");
    }
    const char *headers[] = {key_header,
                             "anthropic-version: " GK__ANTHROPIC_VERSION,
                             "content-type: application/json",
                             "accept: application/json",
                             "user-agent: genkit-c/" GK_VERSION,
                             p->beta_header,
                             NULL};
    gk_http_request hr = {.method = "POST",
                          .url = p->url,
                          .headers = headers,
                          .body = {body.ptr, body.len},
                          .timeout_ms = p->timeout_ms};
    gk__anthropic_stream *s = NULL;
    if (stream) {
        s = gk__anthropic_stream_new(a, stream_emit, stream, key);
        if (!s) {
            gk_buf_release(&body);
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                                "anthropic: request memory limit reached");
        }
        hr.stream = GK_LINES_SSE;
        hr.on_event = stream_event;
        hr.on_event_arg = s;
    }
    gk_http_response *hres = NULL;
    st = gk_http_fetch(ctx, &hr, &hres, err);
    gk_buf_release(&body);
    if (st != GK_OK)
        return st;
    int code = gk_http_response_status(hres);
    if (code < 200 || code > 299) {
        gk_str eb = gk_http_response_body(hres);
        st = gk__anthropic_error_from_body(a, code, eb.ptr, eb.len, key, err);
        if (err)
            err->retry_after_ms = gk_http_response_retry_after_ms(hres);
        return st;
    }
    if (s)
        return gk__anthropic_stream_finish(s, resp, err);
    gk_str rb = gk_http_response_body(hres);
    return gk_anthropic_parse_response(a, rb.ptr, rb.len, resp, err);
}
