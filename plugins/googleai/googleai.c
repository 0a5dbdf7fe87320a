/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/googleai/googleai.c - the googleai plugin: configuration (options, config JSON,
 * environment), model and embedder definitions, and the upstream calls (generateContent,
 * streamGenerateContent?alt=sse, batchEmbedContents) with error mapping. The wire JSON is built in
 * request.c and read in decoder.c. The API key only ever goes into the x-goog-api-key header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/embed.h>

#include "googleai_internal.h"

#define DEFAULT_BASE_URL "https://generativelanguage.googleapis.com"
/* Largest request body we build (Gemini takes inline media up to 20 MB of base64). */
#define MAX_REQUEST ((size_t)64 << 20)
/* Most ids listed in one environment variable or option list. */
#define MAX_LISTED 64

/* The plugin's state: lives in the host arena until gk_shutdown. base_url has no trailing '/'. */
struct googleai {
    const char *plugin;  /* the plugin's name, the action prefix */
    const char *api_key; /* NULL: none configured */
    const char *base_url;
    int64_t timeout_ms;
};

/* One model or embedder: its id on the wire ("gemini-2.5-flash"). */
struct gai_target {
    const struct googleai *p;
    const char *id;
};

static const char *const capable_output[] = {"text", "json", NULL};

/* The well-known models: all take text, images, audio, video and PDFs, tools and a system
 * instruction, and constrain JSON output natively (not together with tools). */
static const struct {
    const char *id;
    const char *label;
} known_models[] = {
    {"gemini-2.5-flash", "Google AI - Gemini 2.5 Flash"},
    {"gemini-2.5-pro", "Google AI - Gemini 2.5 Pro"},
    {"gemini-2.5-flash-lite", "Google AI - Gemini 2.5 Flash Lite"},
    {"gemini-2.0-flash", "Google AI - Gemini 2.0 Flash"},
};

static const struct {
    const char *id;
    const char *label;
    int dimensions;
} known_embedders[] = {
    {"text-embedding-004", "Google AI - Text Embedding 004", 768},
    {"gemini-embedding-001", "Google AI - Gemini Embedding 001", 3072},
};

/* ---- calls ---- */

static void mask_key(gk_error *err, const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (!err || n == 0)
        return;
    char *p;
    while ((p = strstr(err->message, key)) != NULL)
        memset(p, '*', n);
}

/* The headers of every call. The key is validated at configuration (no CR/LF). */
static const char *const *call_headers(gk_arena *a, const char *key)
{
    const char **h = GK_NEW(a, const char *, 5);
    if (!h)
        return NULL;
    h[0] = "Content-Type: application/json";
    h[1] = gk_arena_sprintf(a, "x-goog-api-key: %s", key);
    h[2] = "x-goog-api-client: genkit-c/" GK_VERSION;
    h[3] = "User-Agent: genkit-c/" GK_VERSION;
    h[4] = NULL;
    return h[1] ? h : NULL;
}

static bool key_ok(const char *key)
{
    if (!key || !key[0])
        return false;
    for (const char *p = key; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

static gk_status no_key(gk_error *err)
{
    return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                        "no Gemini API key: set GEMINI_API_KEY or GOOGLE_API_KEY, pass "
                        "gk_googleai_opts.api_key, or config.apiKey");
}

/* POST body to <base>/v1beta/models/<id>:<method>; a non-2xx reply becomes the mapped error. */
static gk_status post(gk_ctx *ctx, const struct googleai *p, const char *key, const char *id,
                      const char *method, gk_str body, gk_line_fn on_line, void *line_arg,
                      gk_http_response **out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    const char *url = gk_arena_sprintf(a, "%s/v1beta/models/%s:%s", p->base_url, id, method);
    const char *const *headers = call_headers(a, key);
    if (!url || !headers)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk_http_request hr = {
        .method = "POST",
        .url = url,
        .headers = headers,
        .body = body,
        .timeout_ms = p->timeout_ms,
        .stream = on_line ? GK_LINES_NDJSON : 0,
        .on_event = on_line,
        .on_event_arg = line_arg,
    };
    gk_http_response *r = NULL;
    gk_status st = gk_http_fetch(ctx, &hr, &r, err);
    if (st != GK_OK) {
        mask_key(err, key);
        return st;
    }
    int code = gk_http_response_status(r);
    if (code < 200 || code > 299) {
        gk_str b = gk_http_response_body(r);
        return gk_googleai_error_from_body(code, b.ptr, b.len, gk_http_response_retry_after_ms(r),
                                           key, err);
    }
    *out = r;
    return GK_OK;
}

struct relay {
    gk_model_stream *stream;
};

static gk_status relay_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    struct relay *r = arg;
    gk_error e = {0};
    return gk_model_stream_send(r->stream, chunk, &e);
}

static gk_status relay_line(void *arg, const gk_line_event *ev, gk_error *err)
{
    return gk__googleai_decoder_line(arg, ev, err);
}

static gk_status gai_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                              gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    const struct gai_target *t = self;
    gk_arena *a = gk_ctx_arena(ctx);
    gai_call_settings cs;
    gk_status st = gk__googleai_call_settings(req, &cs, err);
    if (st != GK_OK)
        return st;
    if (cs.api_key && !key_ok(cs.api_key))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/config/apiKey",
                            "apiKey holds control characters");
    const char *key = cs.api_key ? cs.api_key : t->p->api_key;
    if (!key_ok(key))
        return no_key(err);
    const char *id = cs.version ? cs.version : t->id;

    gk_buf body = GK_BUF_INIT(MAX_REQUEST);
    st = gk__googleai_write_request(req, &cs, &body, err);
    if (st != GK_OK) {
        gk_buf_release(&body);
        return st;
    }
    struct relay rl = {.stream = stream};
    gk_googleai_decoder *d =
        gk_googleai_decoder_new(a, stream != NULL, stream ? relay_chunk : NULL, &rl);
    if (!d) {
        gk_buf_release(&body);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    gk_http_response *r = NULL;
    st = post(ctx, t->p, key, id, stream ? "streamGenerateContent?alt=sse" : "generateContent",
              (gk_str){body.ptr, body.len}, stream ? relay_line : NULL, d, &r, err);
    gk_buf_release(&body);
    if (st == GK_OK && !stream) {
        gk_str b = gk_http_response_body(r);
        st = gk_googleai_decoder_feed(d, b.ptr, b.len, err);
    }
    if (st == GK_OK)
        st = gk_googleai_decoder_finish(d, resp, err);
    if (st != GK_OK)
        mask_key(err, key);
    return st;
}

/* ---- embedders ---- */

static gk_status embed_options(const gk_json *o, gk_error *err)
{
    if (!o || o->type == GK_JSON_NULL)
        return GK_OK;
    if (o->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options", "options must be an object");
    const gk_json *v = gk_json_get(o, "taskType");
    if (v && v->type != GK_JSON_STRING)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options/taskType",
                            "taskType must be a string");
    v = gk_json_get(o, "title");
    if (v && v->type != GK_JSON_STRING)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options/title", "title must be a string");
    v = gk_json_get(o, "outputDimensionality");
    if (v && (v->type != GK_JSON_NUMBER || !v->is_int || v->integer <= 0))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options/outputDimensionality",
                            "outputDimensionality must be a positive integer");
    v = gk_json_get(o, "apiKey");
    if (v && (v->type != GK_JSON_STRING || !key_ok(v->str)))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options/apiKey",
                            "apiKey must be a non-empty string");
    return GK_OK;
}

/* {"requests": [{"model", "content": {"parts": [{"text"}]}, "taskType"?, "title"?,
 * "outputDimensionality"?}]}, one request per document (Google's SDKs batch this way too). */
static gk_status write_embed_request(const gk_embed_request *req, const char *id, gk_buf *b,
                                     gk_error *err)
{
    const gk_json *o = req->options;
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "requests");
    gk_jw_array_begin(&w);
    for (size_t i = 0; i < req->input.count; i++) {
        const gk_document *doc = &req->input.items[i];
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "model");
        char model[160];
        snprintf(model, sizeof(model), "models/%s", id);
        gk_jw_string(&w, model);
        gk_jw_key(&w, "content");
        gk_jw_object_begin(&w);
        gk_jw_key(&w, "parts");
        gk_jw_array_begin(&w);
        for (size_t j = 0; j < doc->content.count; j++) {
            const gk_part *part = &doc->content.items[j];
            if (!part->text) {
                char path[64];
                snprintf(path, sizeof(path), "/input/%zu/content/%zu", i, j);
                return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                    "gemini embedders take text parts only, got %s",
                                    gk_part_kind_name(gk_part_kind_of(part)));
            }
            gk_jw_object_begin(&w);
            gk_jw_key(&w, "text");
            gk_jw_string(&w, part->text);
            gk_jw_object_end(&w);
        }
        gk_jw_array_end(&w);
        gk_jw_object_end(&w);
        static const char *const keys[] = {"taskType", "title", "outputDimensionality", NULL};
        for (size_t k = 0; keys[k]; k++) {
            const gk_json *v = gk_json_get(o, keys[k]);
            if (v) {
                gk_jw_key(&w, keys[k]);
                gk_jw_value(&w, v);
            }
        }
        gk_jw_object_end(&w);
    }
    gk_jw_array_end(&w);
    gk_jw_object_end(&w);
    if (gk_buf_failed(b))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "embed request larger than %zu bytes",
                            b->cap);
    return GK_OK;
}

static gk_status read_values(gk_arena *a, const gk_json *e, gk_embedding *out, size_t i,
                             gk_error *err)
{
    const gk_json *values = gk_json_get(e, "values");
    if (!values || values->type != GK_JSON_ARRAY)
        return gk_error_set(err, GK_INTERNAL, "",
                            "invalid response from gemini: embedding %zu has no values array", i);
    double *v = GK_NEW(a, double, values->count ? values->count : 1);
    if (!v)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t k = 0; k < values->count; k++) {
        if (values->items[k].type != GK_JSON_NUMBER)
            return gk_error_set(err, GK_INTERNAL, "",
                                "invalid response from gemini: embedding %zu value %zu is %s", i, k,
                                gk_json_type_name(&values->items[k]));
        v[k] = values->items[k].number;
    }
    out->embedding.items = v;
    out->embedding.count = values->count;
    return GK_OK;
}

static gk_status gai_embed(void *self, gk_ctx *ctx, const gk_embed_request *req,
                           gk_embed_response *resp, gk_error *err)
{
    const struct gai_target *t = self;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_status st = embed_options(req->options, err);
    if (st != GK_OK)
        return st;
    if (req->input.count == 0)
        return GK_OK;
    const char *key = t->p->api_key;
    const gk_json *ok = gk_json_get(req->options, "apiKey");
    if (ok)
        key = ok->str;
    if (!key_ok(key))
        return no_key(err);

    gk_buf body = GK_BUF_INIT(MAX_REQUEST);
    st = write_embed_request(req, t->id, &body, err);
    if (st != GK_OK) {
        gk_buf_release(&body);
        return st;
    }
    gk_http_response *r = NULL;
    st = post(ctx, t->p, key, t->id, "batchEmbedContents", (gk_str){body.ptr, body.len}, NULL, NULL,
              &r, err);
    gk_buf_release(&body);
    if (st != GK_OK)
        return st;
    gk_str b = gk_http_response_body(r);
    gk_json *root = NULL;
    gk_error perr = {0};
    if (gk_json_parse(a, b.ptr, b.len, NULL, &root, &perr) != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "invalid JSON from gemini: %s", perr.message);
    gk_embedding *out = GK_NEW(a, gk_embedding, req->input.count);
    if (!out)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    const gk_json *list = gk_json_get(root, "embeddings");
    const gk_json *single = gk_json_get(root, "embedding");
    if (list && list->type == GK_JSON_ARRAY) {
        if (list->count != req->input.count)
            return gk_error_set(err, GK_INTERNAL, "",
                                "gemini returned %zu embeddings for %zu documents", list->count,
                                req->input.count);
        for (size_t i = 0; i < list->count; i++) {
            st = read_values(a, &list->items[i], &out[i], i, err);
            if (st != GK_OK)
                return st;
        }
    } else if (single && single->type == GK_JSON_OBJECT && req->input.count == 1) {
        /* embedContent's shape, from servers that answer a batch of one that way. */
        st = read_values(a, single, &out[0], 0, err);
        if (st != GK_OK)
            return st;
    } else {
        return gk_error_set(err, GK_INTERNAL, "",
                            "invalid response from gemini: no \"embeddings\" array");
    }
    resp->embeddings.items = out;
    resp->embeddings.count = req->input.count;
    return GK_OK;
}

/* ---- configuration ---- */

static gk_status define_model(gk_plugin_host *host, struct googleai *p, const char *id,
                              const char *label, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    if (!gk__googleai_id_ok(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "model id \"%.64s\" must be letters, digits, '.', '_' or '-'", id);
    struct gai_target *t = GK_NEW(a, struct gai_target, 1);
    const char *name = gk_arena_sprintf(a, "%s/%s", p->plugin, id);
    if (!t || !name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_MODEL, name))
        return GK_OK; /* listed twice (an extra that is also well known) */
    t->p = p;
    t->id = gk_arena_strdup(a, id);
    if (!t->id)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk_model_desc desc = {
        .name = name,
        .description = "Gemini API model (generativelanguage.googleapis.com)",
        .info =
            {
                .label = label,
                .supports = GK_MODEL_MULTITURN | GK_MODEL_TOOLS | GK_MODEL_MEDIA |
                            GK_MODEL_SYSTEM_ROLE | GK_MODEL_TOOL_CHOICE,
                .output = capable_output,
                .constrained = GK_CONSTRAINED_NO_TOOLS,
            },
        .generate = gai_generate,
        .self = t,
    };
    return gk_host_define_model(host, &desc, err);
}

static gk_status define_embedder(gk_plugin_host *host, struct googleai *p, const char *id,
                                 const char *label, int dims, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    if (!gk__googleai_id_ok(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "embedder id \"%.64s\" must be letters, digits, '.', '_' or '-'", id);
    struct gai_target *t = GK_NEW(a, struct gai_target, 1);
    const char *name = gk_arena_sprintf(a, "%s/%s", p->plugin, id);
    if (!t || !name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_EMBEDDER, name))
        return GK_OK;
    t->p = p;
    t->id = gk_arena_strdup(a, id);
    if (!t->id)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk_embedder_desc desc = {
        .name = name,
        .description = "Gemini API embedder (batchEmbedContents)",
        .info = {.label = label, .dimensions = dims, .supports = GK_EMBEDDER_TEXT},
        .embed = gai_embed,
        .self = t,
    };
    return gk_host_define_embedder(host, &desc, err);
}

typedef gk_status (*define_fn)(gk_plugin_host *host, struct googleai *p, const char *id,
                               gk_error *err);

static gk_status define_extra_model(gk_plugin_host *host, struct googleai *p, const char *id,
                                    gk_error *err)
{
    return define_model(host, p, id, NULL, err);
}

static gk_status define_extra_embedder(gk_plugin_host *host, struct googleai *p, const char *id,
                                       gk_error *err)
{
    return define_embedder(host, p, id, NULL, 0, err);
}

/* Define each id of a comma-separated list (see gk_plugin_each_listed). */
struct listed {
    gk_plugin_host *host;
    struct googleai *p;
    define_fn fn;
    size_t n;
};

static gk_status define_listed(const char *s, size_t len, void *arg, gk_error *err)
{
    struct listed *l = arg;
    char id[160];
    if (len >= sizeof(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "listed id longer than %zu bytes",
                            sizeof(id) - 1);
    if (++l->n > MAX_LISTED)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "more than %d ids listed", MAX_LISTED);
    memcpy(id, s, len);
    id[len] = '\0';
    return l->fn(l->host, l->p, id, err);
}

static gk_status define_list(gk_plugin_host *host, struct googleai *p, const char *list,
                             define_fn fn, gk_error *err)
{
    struct listed l = {host, p, fn, 0};
    return gk_plugin_each_listed(list, define_listed, &l, err);
}

static gk_status define_array(gk_plugin_host *host, struct googleai *p, const char *const *ids,
                              define_fn fn, gk_error *err)
{
    for (size_t i = 0; ids && ids[i]; i++) {
        gk_status st = fn(host, p, ids[i], err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

gk_status gk_googleai_init(gk_plugin_host *host, const gk_googleai_opts *opts, gk_error *err)
{
    gk_googleai_opts none = {0};
    if (!opts)
        opts = &none;
    gk_arena *a = gk_host_arena(host);
    struct googleai *p = GK_NEW(a, struct googleai, 1);
    if (!p)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    p->plugin = gk_arena_strdup(a, gk_host_plugin_name(host));
    const char *key = opts->api_key ? opts->api_key : env("GEMINI_API_KEY");
    if (!key)
        key = env("GOOGLE_API_KEY");
    if (key && !key_ok(key))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "the Gemini API key holds control "
                            "characters");
    p->api_key = key ? gk_arena_strdup(a, key) : NULL;
    const char *base = opts->base_url ? opts->base_url : env("GEMINI_BASE_URL");
    if (!base)
        base = DEFAULT_BASE_URL;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "base URL must start with http:// or https://");
    size_t blen = strlen(base);
    while (blen > 8 && base[blen - 1] == '/')
        blen--;
    p->base_url = gk_arena_strndup(a, base, blen);
    p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
    if (!p->plugin || !p->base_url || (key && !p->api_key))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");

    gk_status st = GK_OK;
    for (size_t i = 0; st == GK_OK && i < sizeof(known_models) / sizeof(known_models[0]); i++)
        st = define_model(host, p, known_models[i].id, known_models[i].label, err);
    for (size_t i = 0; st == GK_OK && i < sizeof(known_embedders) / sizeof(known_embedders[0]); i++)
        st = define_embedder(host, p, known_embedders[i].id, known_embedders[i].label,
                             known_embedders[i].dimensions, err);
    if (st == GK_OK)
        st = define_array(host, p, opts->models, define_extra_model, err);
    if (st == GK_OK)
        st = define_list(host, p, env("GK_GOOGLEAI_MODELS"), define_extra_model, err);
    if (st == GK_OK)
        st = define_array(host, p, opts->embedders, define_extra_embedder, err);
    if (st == GK_OK)
        st = define_list(host, p, env("GK_GOOGLEAI_EMBEDDERS"), define_extra_embedder, err);
    return st;
}

/* config JSON (when a host passes one): {"apiKey","baseUrl","models","embedders","timeoutMs"}. */
static gk_status json_ids(gk_arena *a, const gk_json *v, const char *key, const char *const **out,
                          gk_error *err)
{
    *out = NULL;
    if (!v || v->type == GK_JSON_NULL)
        return GK_OK;
    if (v->type != GK_JSON_ARRAY)
        return gk_error_set(err, GK_INVALID_ARGUMENT, key, "must be an array of strings");
    const char **ids = GK_NEW(a, const char *, v->count + 1);
    if (!ids)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; i < v->count; i++) {
        if (v->items[i].type != GK_JSON_STRING)
            return gk_error_set(err, GK_INVALID_ARGUMENT, key, "must be an array of strings");
        ids[i] = v->items[i].str;
    }
    *out = ids;
    return GK_OK;
}

static gk_status googleai_plugin_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    gk_googleai_opts o = {0};
    if (config && config->type != GK_JSON_NULL) {
        if (config->type != GK_JSON_OBJECT)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "config must be an object");
        const gk_json *v = gk_json_get(config, "apiKey");
        if (v && v->type == GK_JSON_STRING)
            o.api_key = v->str;
        v = gk_json_get(config, "baseUrl");
        if (v && v->type == GK_JSON_STRING)
            o.base_url = v->str;
        v = gk_json_get(config, "timeoutMs");
        if (v && v->type == GK_JSON_NUMBER && v->is_int)
            o.timeout_ms = v->integer;
        gk_arena *a = gk_host_arena(host);
        gk_status st = json_ids(a, gk_json_get(config, "models"), "/models", &o.models, err);
        if (st == GK_OK)
            st = json_ids(a, gk_json_get(config, "embedders"), "/embedders", &o.embedders, err);
        if (st != GK_OK)
            return st;
    }
    return gk_googleai_init(host, &o, err);
}

const gk_plugin gk_plugin_googleai = {
    .abi = GK_PLUGIN_ABI,
    .name = "googleai",
    .init = googleai_plugin_init,
};
