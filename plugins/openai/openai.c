/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/openai.c - the openai plugin: configuration (options, then the environment named
 * after the plugin), the well-known and listed models and embedders, the model action (build the
 * request, POST it, parse the body or the SSE stream) and the HTTP error mapping. The wire rules
 * are in genkit/plugins/openai.h; request and response JSON live in openai_request.c and
 * openai_response.c, embeddings in openai_embed.c. The key is never logged or put in an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openai_internal.h"

#define OPENAI_BASE_URL "https://api.openai.com/v1"
#define MAX_BODY        ((size_t)64 << 20)

/* What every chat model here can do; image input is added where the model takes it. */
#define CHAT_SUPPORTS \
    (GK_MODEL_MULTITURN | GK_MODEL_TOOLS | GK_MODEL_SYSTEM_ROLE | GK_MODEL_TOOL_CHOICE)

static const char *const output_formats[] = {"text", "json", NULL};

static const struct known_model {
    const char *id;
    const char *label;
    unsigned supports;
} known_models[] = {
    {"gpt-4o", "OpenAI - GPT-4o", CHAT_SUPPORTS | GK_MODEL_MEDIA},
    {"gpt-4o-mini", "OpenAI - GPT-4o mini", CHAT_SUPPORTS | GK_MODEL_MEDIA},
    {"gpt-4.1", "OpenAI - GPT-4.1", CHAT_SUPPORTS | GK_MODEL_MEDIA},
    {"gpt-4.1-mini", "OpenAI - GPT-4.1 mini", CHAT_SUPPORTS | GK_MODEL_MEDIA},
    {"gpt-5", "OpenAI - GPT-5", CHAT_SUPPORTS | GK_MODEL_MEDIA},
    {"o3-mini", "OpenAI - o3-mini", CHAT_SUPPORTS},
};

static const struct known_embedder {
    const char *id;
    const char *label;
    int dimensions;
} known_embedders[] = {
    {"text-embedding-3-small", "OpenAI - text-embedding-3-small", 1536},
    {"text-embedding-3-large", "OpenAI - text-embedding-3-large", 3072},
    {"text-embedding-ada-002", "OpenAI - text-embedding-ada-002", 1536},
};

/* A defined model: what its generate function's self points to. */
struct oai_model {
    const struct oai *o;
    const char *id; /* the id sent as "model" */
};

/* ---- errors ---- */

gk_status gk__openai_error_status(int http, const char *type, const char *code)
{
    switch (http) {
    case 400:
    case 422:
        return GK_INVALID_ARGUMENT;
    case 401:
        return GK_UNAUTHENTICATED;
    case 403:
        return GK_PERMISSION_DENIED;
    case 404:
        return GK_NOT_FOUND;
    case 408:
        return GK_DEADLINE_EXCEEDED;
    case 409:
        return GK_ABORTED;
    case 429:
        return GK_RESOURCE_EXHAUSTED;
    case 0:
        break;
    default:
        if (http >= 500)
            return GK_UNAVAILABLE;
        return gk_status_from_http(http);
    }
    /* Inside a stream there is no HTTP status: go by the error's code and type. */
    const char *const exhausted[] = {"rate_limit_exceeded", "insufficient_quota", "tokens",
                                     "requests"};
    for (size_t i = 0; i < sizeof(exhausted) / sizeof(exhausted[0]); i++) {
        if ((code && strcmp(code, exhausted[i]) == 0) || (type && strcmp(type, exhausted[i]) == 0))
            return GK_RESOURCE_EXHAUSTED;
    }
    if (type && strcmp(type, "invalid_request_error") == 0)
        return GK_INVALID_ARGUMENT;
    return GK_UNAVAILABLE;
}

/* Replace every occurrence of key in err->message with "***". */
static void mask_key(gk_error *err, const char *key)
{
    if (!err || !key || !key[0])
        return;
    size_t klen = strlen(key);
    char out[sizeof(err->message)];
    size_t o = 0;
    const char *p = err->message;
    while (*p && o + 1 < sizeof(out)) {
        if (strncmp(p, key, klen) == 0) {
            for (const char *m = "***"; *m && o + 1 < sizeof(out); m++)
                out[o++] = *m;
            p += klen;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    memcpy(err->message, out, o + 1);
}

gk_status gk__openai_http_error(const struct oai *o, const gk_http_response *hr, gk_error *err)
{
    int http = gk_http_response_status(hr);
    gk_str body = gk_http_response_body(hr);
    const char *msg = NULL;
    const char *type = NULL;
    const char *code = NULL;
    /* The body is parsed in a scratch arena: only the message survives, copied into err. */
    gk_arena *scratch = gk_arena_new(0);
    gk_json *doc = NULL;
    if (scratch && body.len &&
        gk_json_parse(scratch, body.ptr, body.len, NULL, &doc, NULL) == GK_OK &&
        doc->type == GK_JSON_OBJECT) {
        const gk_json *e = gk_json_get(doc, "error");
        if (e && e->type == GK_JSON_STRING) {
            msg = e->str; /* Ollama and some proxies: {"error":"text"} */
        } else if (e && e->type == GK_JSON_OBJECT) {
            const gk_json *m = gk_json_get(e, "message");
            const gk_json *t = gk_json_get(e, "type");
            const gk_json *c = gk_json_get(e, "code");
            msg = m && m->type == GK_JSON_STRING ? m->str : NULL;
            type = t && t->type == GK_JSON_STRING ? t->str : NULL;
            code = c && c->type == GK_JSON_STRING ? c->str : NULL;
        }
    }
    gk_status st = gk__openai_error_status(http, type, code);
    const char *label = code ? code : type;
    if (msg && label)
        gk_error_set(err, st, "", "%s: HTTP %d (%s): %s", o->name, http, label, msg);
    else if (msg)
        gk_error_set(err, st, "", "%s: HTTP %d: %s", o->name, http, msg);
    else
        gk_error_set(err, st, "", "%s: HTTP %d with no error message", o->name, http);
    gk_arena_free(scratch);
    mask_key(err, o->api_key);
    int retry = gk_http_response_retry_after_ms(hr);
    if (err && retry > 0)
        err->retry_after_ms = retry;
    return st;
}

/* ---- calls ---- */

gk_status gk__openai_post(gk_ctx *ctx, const struct oai *o, const char *path, const gk_buf *body,
                          gk_line_fn on_event, void *event_arg, gk_http_response **out,
                          gk_error *err)
{
    *out = NULL;
    if (!o->api_key && o->official)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                            "%s: no API key: set %s or gk_openai_opts.api_key", o->name,
                            o->key_env);
    const char *url = gk_arena_sprintf(gk_ctx_arena(ctx), "%s%s", o->base_url, path);
    if (!url)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    gk_http_request r = {
        .method = "POST",
        .url = url,
        .headers = o->headers,
        .body = {body->ptr, body->len},
        .timeout_ms = o->timeout_ms,
        .max_body = MAX_BODY,
        .stream = on_event ? GK_LINES_SSE : 0,
        .on_event = on_event,
        .on_event_arg = event_arg,
    };
    gk_http_response *hr = NULL;
    gk_status st = gk_http_fetch(ctx, &r, &hr, err);
    if (st != GK_OK)
        return st;
    int http = gk_http_response_status(hr);
    if (http < 200 || http >= 300)
        return gk__openai_http_error(o, hr, err);
    *out = hr;
    return GK_OK;
}

static gk_status emit_model(void *arg, const gk_generate_response_chunk *chunk, gk_error *err)
{
    return gk_model_stream_send(arg, chunk, err);
}

static gk_status oai_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                              gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    const struct oai_model *m = self;
    gk_arena *a = gk_ctx_arena(ctx);
    int64_t start = gk_now_ms();
    gk_buf body = GK_BUF_INIT(MAX_BODY);
    gk_status st = gk_openai_build_request(a, m->id, req, stream != NULL, &body, err);
    struct oai_stream *s = NULL;
    if (st == GK_OK && stream) {
        s = gk__openai_stream_new(a, emit_model, stream);
        if (!s)
            st = gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    }
    gk_http_response *hr = NULL;
    if (st == GK_OK)
        st = gk__openai_post(ctx, m->o, "/chat/completions", &body,
                             s ? gk__openai_stream_event : NULL, s, &hr, err);
    gk_buf_release(&body);
    if (st != GK_OK)
        return st;
    if (s) {
        st = gk__openai_stream_end(s, resp, err);
    } else {
        gk_str b = gk_http_response_body(hr);
        st = gk_openai_parse_response(a, b.ptr, b.len, resp, err);
    }
    if (st != GK_OK)
        return st;
    resp->latency_ms = (double)(gk_now_ms() - start);
    resp->has_latency_ms = true;
    return GK_OK;
}

/* ---- configuration ---- */

/* "<PREFIX><NAME><suffix>" with the plugin name upper-cased and '-', '.' as '_'. */
static const char *env_name(gk_arena *a, const char *prefix, const char *name, const char *suffix)
{
    char *s = gk_arena_sprintf(a, "%s%s%s", prefix, name, suffix);
    if (!s)
        return NULL;
    for (char *p = s + strlen(prefix); *p && p < s + strlen(prefix) + strlen(name); p++) {
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
        else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            *p = '_';
    }
    return s;
}

/* opts_value, else the environment variable var, else NULL ("" counts as unset). */
static const char *setting(const char *opts_value, const char *var)
{
    const char *v = opts_value ? opts_value : (var ? getenv(var) : NULL);
    return v && v[0] ? v : NULL;
}

static bool has_line_break(const char *s)
{
    return s && strpbrk(s, "\r\n") != NULL;
}

static gk_status oom_init(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
}

static gk_status check_id(const char *id, const char *what, gk_error *err)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n <= 256;
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        ok = c > 0x20 && c < 0x7f && c != ',';
    }
    if (!ok)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "%s id \"%.64s\" must be 1-256 printable characters without spaces",
                            what, id);
    return GK_OK;
}

static gk_status define_model(gk_plugin_host *host, struct oai *o, const char *id,
                              const char *label, unsigned supports, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    gk_status st = check_id(id, "model", err);
    if (st != GK_OK)
        return st;
    const char *name = gk_arena_sprintf(a, "%s/%s", o->name, id);
    struct oai_model *m = GK_NEW(a, struct oai_model, 1);
    if (!name || !m)
        return oom_init(err);
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_MODEL, name))
        return GK_OK; /* listed twice, or a well-known one listed again */
    m->o = o;
    m->id = gk_arena_strdup(a, id);
    if (!m->id)
        return oom_init(err);
    gk_model_desc d = {
        .name = name,
        .info = {.label = label,
                 .supports = supports,
                 .output = output_formats,
                 .constrained = GK_CONSTRAINED_ALL},
        .generate = oai_generate,
        .self = m,
    };
    return gk_host_define_model(host, &d, err);
}

static gk_status define_embedder(gk_plugin_host *host, struct oai *o, const char *id,
                                 const char *label, int dimensions, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    gk_status st = check_id(id, "embedder", err);
    if (st != GK_OK)
        return st;
    const char *name = gk_arena_sprintf(a, "%s/%s", o->name, id);
    struct oai_embedder *e = GK_NEW(a, struct oai_embedder, 1);
    if (!name || !e)
        return oom_init(err);
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_EMBEDDER, name))
        return GK_OK;
    e->o = o;
    e->id = gk_arena_strdup(a, id);
    if (!e->id)
        return oom_init(err);
    gk_embedder_desc d = {
        .name = name,
        .info = {.label = label, .dimensions = dimensions, .supports = GK_EMBEDDER_TEXT},
        .embed = gk__openai_embed,
        .self = e,
    };
    return gk_host_define_embedder(host, &d, err);
}

/* One item of a comma-separated environment value, through gk_plugin_each_listed. */
struct listed {
    gk_plugin_host *host;
    struct oai *o;
    bool embedders;
};

static gk_status define_listed_item(const char *s, size_t len, void *arg, gk_error *err)
{
    struct listed *l = arg;
    const char *id = gk_arena_strndup(gk_host_arena(l->host), s, len);
    if (!id)
        return oom_init(err);
    if (l->embedders)
        return define_embedder(l->host, l->o, id, NULL, 0, err);
    return define_model(l->host, l->o, id, NULL, CHAT_SUPPORTS | GK_MODEL_MEDIA, err);
}

/* Define each id of a NULL-terminated list, or of a comma-separated environment value. */
static gk_status define_listed(gk_plugin_host *host, struct oai *o, const char *const *list,
                               const char *env_value, bool embedders, gk_error *err)
{
    gk_status st = GK_OK;
    if (list) {
        for (size_t i = 0; st == GK_OK && list[i]; i++)
            st = embedders
                     ? define_embedder(host, o, list[i], NULL, 0, err)
                     : define_model(host, o, list[i], NULL, CHAT_SUPPORTS | GK_MODEL_MEDIA, err);
        return st;
    }
    struct listed l = {host, o, embedders};
    return gk_plugin_each_listed(env_value, define_listed_item, &l, err);
}

static gk_status build_headers(gk_arena *a, struct oai *o, const char *org, const char *project,
                               gk_error *err)
{
    const char **h = GK_NEW(a, const char *, 7);
    if (!h)
        return oom_init(err);
    size_t n = 0;
    h[n++] = "Content-Type: application/json";
    h[n++] = "Accept: application/json";
    h[n++] = gk_arena_sprintf(a, "User-Agent: genkit-c/%s", gk_version());
    if (o->api_key)
        h[n++] = gk_arena_sprintf(a, "Authorization: Bearer %s", o->api_key);
    if (org)
        h[n++] = gk_arena_sprintf(a, "OpenAI-Organization: %s", org);
    if (project)
        h[n++] = gk_arena_sprintf(a, "OpenAI-Project: %s", project);
    for (size_t i = 0; i < n; i++) {
        if (!h[i])
            return oom_init(err);
    }
    h[n] = NULL;
    o->headers = h;
    return GK_OK;
}

gk_status gk_openai_init(gk_plugin_host *host, const gk_openai_opts *opts, gk_error *err)
{
    static const gk_openai_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    gk_arena *a = gk_host_arena(host);
    const char *name = gk_host_plugin_name(host);
    bool is_openai = strcmp(name, "openai") == 0;
    struct oai *o = GK_NEW(a, struct oai, 1);
    const char *key_env = env_name(a, "", name, "_API_KEY");
    const char *url_env = env_name(a, "", name, "_BASE_URL");
    const char *org_env = env_name(a, "", name, "_ORG_ID");
    const char *project_env = env_name(a, "", name, "_PROJECT_ID");
    const char *models_env = env_name(a, "GK_", name, "_MODELS");
    const char *embedders_env = env_name(a, "GK_", name, "_EMBEDDERS");
    if (!o || !key_env || !url_env || !org_env || !project_env || !models_env || !embedders_env)
        return oom_init(err);
    o->name = name;
    o->key_env = key_env;
    o->timeout_ms = opts->timeout_ms;

    const char *key = setting(opts->api_key, key_env);
    const char *org = setting(opts->organization, org_env);
    const char *project = setting(opts->project, project_env);
    if (has_line_break(key) || has_line_break(org) || has_line_break(project))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "the API key, organization or project contains a line break");

    const char *url = setting(opts->base_url, url_env);
    if (!url && !is_openai)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "no base URL: set %s or gk_openai_opts.base_url", url_env);
    if (!url)
        url = OPENAI_BASE_URL;
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        strpbrk(url, " \t\r\n?#"))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "base URL must be an http:// or https:// URL without query");
    size_t ulen = strlen(url);
    while (ulen > 8 && url[ulen - 1] == '/')
        ulen--;
    o->base_url = gk_arena_strndup(a, url, ulen);
    o->api_key = key ? gk_arena_strdup(a, key) : NULL;
    if (!o->base_url || (key && !o->api_key))
        return oom_init(err);
    o->official = strncmp(o->base_url, "https://api.openai.com", 22) == 0;
    gk_status st = build_headers(a, o, org, project, err);
    if (st != GK_OK)
        return st;
    if (!o->api_key && o->official)
        gk_log(GK_SEVERITY_WARN, "plugin %s: %s is not set; calls will fail until it is", name,
               key_env);

    if (is_openai && !opts->no_default_models) {
        for (size_t i = 0; st == GK_OK && i < sizeof(known_models) / sizeof(known_models[0]); i++)
            st = define_model(host, o, known_models[i].id, known_models[i].label,
                              known_models[i].supports, err);
        for (size_t i = 0; st == GK_OK && i < sizeof(known_embedders) / sizeof(known_embedders[0]);
             i++)
            st = define_embedder(host, o, known_embedders[i].id, known_embedders[i].label,
                                 known_embedders[i].dimensions, err);
    }
    if (st == GK_OK)
        st = define_listed(host, o, opts->models, setting(NULL, models_env), false, err);
    if (st == GK_OK)
        st = define_listed(host, o, opts->embedders, setting(NULL, embedders_env), true, err);
    return st;
}

static gk_status openai_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config; /* the host passes none yet: the environment configures this plugin */
    return gk_openai_init(host, NULL, err);
}

const gk_plugin gk_plugin_openai = {
    .abi = GK_PLUGIN_ABI,
    .name = "openai",
    .init = openai_init,
};
