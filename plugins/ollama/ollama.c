/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/ollama/ollama.c - the ollama plugin: configuration (options, config JSON,
 * environment, OLLAMA_HOST normalization), model and embedder definitions with capabilities by
 * model family, and the upstream calls (/api/chat, streamed as NDJSON, and /api/embed) with
 * error mapping. The wire JSON is built in request.c and read in decoder.c. The optional API key
 * only ever goes into the Authorization header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ollama_internal.h"

#define DEFAULT_HOST "http://127.0.0.1:11434"
#define DEFAULT_PORT "11434"
/* Largest request body we build (images travel inline as base64). */
#define MAX_REQUEST ((size_t)64 << 20)
/* Most ids listed in one environment variable or option list. */
#define MAX_LISTED 64
/* Longest normalized host URL. */
#define MAX_HOST 512

/* The plugin's state: lives in the host arena until gk_shutdown. base_url has no trailing '/'. */
struct ollama {
    const char *plugin;  /* the plugin's name, the action prefix */
    const char *api_key; /* NULL: none configured (no Authorization header) */
    const char *base_url;
    int64_t timeout_ms;
};

/* One model or embedder: its name on the wire ("llama3.2:1b"). */
struct ollama_target {
    const struct ollama *p;
    const char *id;
};

static const char *const json_output[] = {"text", "json", NULL};

static bool json_is_str(const gk_json *v)
{
    return v && v->type == GK_JSON_STRING;
}

enum family_caps { CAP_TOOLS = 1, CAP_MEDIA = 2 };

/* Model families and what Ollama's templates for them handle, first match wins (so the longer
 * "llama3.2-vision" comes before "llama3.2"). A family matches a base name equal to it or
 * continuing with '-', '.', '_' or a digit after it, unless listed otherwise. */
static const struct {
    const char *family;
    unsigned caps;
} families[] = {
    {"llama3.2-vision", CAP_MEDIA},
    {"llama3.1", CAP_TOOLS},
    {"llama3.2", CAP_TOOLS},
    {"llama3.3", CAP_TOOLS},
    {"llama4", CAP_TOOLS | CAP_MEDIA},
    {"llava", CAP_MEDIA},
    {"bakllava", CAP_MEDIA},
    {"qwen3-vl", CAP_TOOLS | CAP_MEDIA},
    {"qwen3", CAP_TOOLS},
    {"qwen2.5vl", CAP_MEDIA},
    {"qwen2.5", CAP_TOOLS},
    {"qwq", CAP_TOOLS},
    {"gemma3n", 0},
    {"gemma3", CAP_MEDIA},
    {"mistral-small3.1", CAP_TOOLS | CAP_MEDIA},
    {"mistral-small3.2", CAP_TOOLS | CAP_MEDIA},
    {"mistral-small", CAP_TOOLS},
    {"mistral-nemo", CAP_TOOLS},
    {"mistral", CAP_TOOLS},
    {"mixtral", CAP_TOOLS},
    {"minicpm-v", CAP_MEDIA},
    {"moondream", CAP_MEDIA},
    {"granite3.2-vision", CAP_MEDIA},
    {"granite3", CAP_TOOLS},
    {"command-r", CAP_TOOLS},
    {"hermes3", CAP_TOOLS},
    {"firefunction", CAP_TOOLS},
    {"nemotron", CAP_TOOLS},
    {"smollm2", CAP_TOOLS},
    {"phi4-mini", CAP_TOOLS},
    {"gpt-oss", CAP_TOOLS},
    {"devstral", CAP_TOOLS},
    {"magistral", CAP_TOOLS},
    {"cogito", CAP_TOOLS},
};

static const char *const default_models[] = {
    "llama3.2", "qwen3", "gemma3", "llava", "mistral", "gpt-oss",
};

static const struct {
    const char *id;
    int dimensions;
} default_embedders[] = {
    {"nomic-embed-text", 768},
    {"mxbai-embed-large", 1024},
    {"all-minilm", 384},
};

/* The capabilities of model id by its family: the name without registry/namespace and tag. */
static unsigned family_caps(const char *id)
{
    const char *base = strrchr(id, '/');
    base = base ? base + 1 : id;
    size_t len = strcspn(base, ":");
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        size_t fl = strlen(families[i].family);
        if (len < fl || strncmp(base, families[i].family, fl) != 0)
            continue;
        char next = fl < len ? base[fl] : '\0';
        if (next == '\0' || next == '-' || next == '.' || next == '_' ||
            (next >= '0' && next <= '9'))
            return families[i].caps;
    }
    return 0;
}

/* ---- host ---- */

gk_status gk_ollama_host_url(const char *host, char *out, size_t out_len, gk_error *err)
{
    if (!host || !host[0])
        host = DEFAULT_HOST;
    for (const char *p = host; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "ollama host must not hold spaces or control characters");
    }
    gk_buf b = GK_BUF_INIT(MAX_HOST);
    const char *sep = strstr(host, "://");
    if (sep) {
        size_t slen = (size_t)(sep - host);
        if (!((slen == 4 && strncmp(host, "http", 4) == 0) ||
              (slen == 5 && strncmp(host, "https", 5) == 0)))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "ollama host must be http:// or https:// (or host:port)");
        if (!sep[3] || sep[3] == '/')
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "ollama host URL has no host");
        gk_buf_puts(&b, host);
    } else {
        /* "host[:port][/path]" as Ollama's clients take it: http, port 11434 by default. */
        size_t auth_len = strcspn(host, "/");
        const char *auth = host;
        const char *port = NULL;
        size_t host_len = auth_len;
        if (auth[0] == '[') {
            const char *close = memchr(auth, ']', auth_len);
            if (!close)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "ollama host has an unclosed '[' (IPv6 address)");
            host_len = (size_t)(close - auth) + 1;
            if (host_len < auth_len) {
                if (auth[host_len] != ':')
                    return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                        "ollama host: expected ':' after ']'");
                port = auth + host_len + 1;
            }
        } else {
            const char *colon = memchr(auth, ':', auth_len);
            if (colon) {
                host_len = (size_t)(colon - auth);
                port = colon + 1;
            }
        }
        size_t port_len = port ? (size_t)(auth + auth_len - port) : 0;
        for (size_t i = 0; i < port_len; i++) {
            if (port[i] < '0' || port[i] > '9')
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "ollama host port must be digits");
        }
        gk_buf_puts(&b, "http://");
        if (host_len == 0)
            gk_buf_puts(&b, "127.0.0.1");
        else
            gk_buf_put(&b, auth, host_len);
        gk_buf_putc(&b, ':');
        if (port_len)
            gk_buf_put(&b, port, port_len);
        else
            gk_buf_puts(&b, DEFAULT_PORT);
        gk_buf_puts(&b, host + auth_len);
    }
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "ollama host longer than %d bytes",
                            MAX_HOST);
    }
    size_t n = b.len;
    size_t min = strstr(b.ptr, "://") - b.ptr + 3;
    while (n > min && b.ptr[n - 1] == '/')
        n--;
    if (n + 1 > out_len) {
        gk_buf_release(&b);
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "ollama host longer than %zu bytes",
                            out_len ? out_len - 1 : 0);
    }
    memcpy(out, b.ptr, n);
    out[n] = '\0';
    gk_buf_release(&b);
    return GK_OK;
}

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

/* The headers of every call (ollama-python's, with our User-Agent). The key was checked for
 * control characters at configuration. */
static const char *const *call_headers(gk_arena *a, const char *key)
{
    const char **h = GK_NEW(a, const char *, 5);
    if (!h)
        return NULL;
    size_t i = 0;
    h[i++] = "Content-Type: application/json";
    h[i++] = "Accept: application/json";
    h[i++] = "User-Agent: genkit-c/" GK_VERSION;
    if (key) {
        h[i] = gk_arena_sprintf(a, "Authorization: Bearer %s", key);
        if (!h[i++])
            return NULL;
    }
    h[i] = NULL;
    return h;
}

/* POST body to <base><path>; a non-2xx reply becomes the mapped error. */
static gk_status post(gk_ctx *ctx, const struct ollama *p, const char *path, gk_str body,
                      gk_line_fn on_line, void *line_arg, gk_http_response **out, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    const char *url = gk_arena_sprintf(a, "%s%s", p->base_url, path);
    const char *const *headers = call_headers(a, p->api_key);
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
        if (st == GK_UNAVAILABLE && err && err->status == GK_UNAVAILABLE) {
            /* Most often nothing listens there: say where to look (never the URL itself, which
             * may carry credentials). */
            char msg[sizeof(err->message)];
            memcpy(msg, err->message, sizeof(msg));
            gk_error_set(err, st, "", "%.190s (is ollama running? see OLLAMA_HOST)", msg);
        }
        mask_key(err, p->api_key);
        return st;
    }
    int code = gk_http_response_status(r);
    if (code < 200 || code > 299) {
        gk_str b = gk_http_response_body(r);
        return gk_ollama_error_from_body(code, b.ptr, b.len, gk_http_response_retry_after_ms(r),
                                         p->api_key, err);
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

static gk_status ollama_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                 gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    const struct ollama_target *t = self;
    gk_arena *a = gk_ctx_arena(ctx);
    const char *version = NULL;
    gk_status st = gk__ollama_version(req, &version, err);
    if (st != GK_OK)
        return st;
    const char *id = version ? version : t->id;

    gk_buf body = GK_BUF_INIT(MAX_REQUEST);
    st = gk_ollama_build_request(a, id, req, stream != NULL, &body, err);
    if (st != GK_OK) {
        gk_buf_release(&body);
        return st;
    }
    struct relay rl = {.stream = stream};
    gk_ollama_decoder *d =
        gk_ollama_decoder_new(a, stream != NULL, stream ? relay_chunk : NULL, &rl);
    if (!d) {
        gk_buf_release(&body);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    gk_http_response *r = NULL;
    st = post(ctx, t->p, "/api/chat", (gk_str){body.ptr, body.len},
              stream ? gk__ollama_decoder_line : NULL, d, &r, err);
    gk_buf_release(&body);
    if (st == GK_OK && !stream) {
        gk_str b = gk_http_response_body(r);
        st = gk_ollama_decoder_feed(d, b.ptr, b.len, err);
    }
    if (st == GK_OK)
        st = gk_ollama_decoder_finish(d, resp, err);
    if (st != GK_OK)
        mask_key(err, t->p->api_key);
    return st;
}

/* ---- embedders ---- */

/* Options of an embed call: "truncate", "dimensions", "keep_alive" (or keepAlive) top level,
 * "options" as is; anything else is refused (Ollama would ignore it silently). */
static gk_status write_embed_request(const gk_embed_request *req, const char *id, gk_buf *b,
                                     gk_error *err)
{
    const gk_json *o = req->options;
    if (o && o->type != GK_JSON_NULL && o->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options", "options must be an object");
    for (size_t i = 0; o && o->type == GK_JSON_OBJECT && i < o->count; i++) {
        const gk_json *m = &o->items[i];
        static const char *const known[] = {"truncate", "dimensions", "keep_alive", "keepAlive",
                                            "options",  "version",    NULL};
        bool ok = false;
        for (size_t k = 0; known[k]; k++)
            ok = ok || strcmp(m->key, known[k]) == 0;
        char path[96];
        snprintf(path, sizeof(path), "/options/%.80s", m->key);
        if (!ok)
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "unknown ollama embed option (known: truncate, dimensions, "
                                "keep_alive, options)");
        if (m->type == GK_JSON_NULL)
            continue;
        if ((strcmp(m->key, "truncate") == 0 && m->type != GK_JSON_BOOL) ||
            (strcmp(m->key, "dimensions") == 0 &&
             (m->type != GK_JSON_NUMBER || !m->is_int || m->integer <= 0)) ||
            (strcmp(m->key, "options") == 0 && m->type != GK_JSON_OBJECT) ||
            (strcmp(m->key, "version") == 0 &&
             (m->type != GK_JSON_STRING || !gk__ollama_id_ok(m->str))) ||
            ((strcmp(m->key, "keep_alive") == 0 || strcmp(m->key, "keepAlive") == 0) &&
             m->type != GK_JSON_STRING && m->type != GK_JSON_NUMBER))
            return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s has the wrong type (%s)",
                                m->key, gk_json_type_name(m));
    }
    const gk_json *version = gk_json_get(o, "version");
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_string(&w, json_is_str(version) ? version->str : id);
    gk_jw_key(&w, "input");
    gk_jw_array_begin(&w);
    for (size_t i = 0; i < req->input.count; i++) {
        const gk_document *doc = &req->input.items[i];
        gk_buf text = GK_BUF_INIT(0);
        for (size_t j = 0; j < doc->content.count; j++) {
            const gk_part *part = &doc->content.items[j];
            if (!part->text) {
                gk_buf_release(&text);
                char path[64];
                snprintf(path, sizeof(path), "/input/%zu/content/%zu", i, j);
                return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                    "ollama embedders take text parts only, got %s",
                                    gk_part_kind_name(gk_part_kind_of(part)));
            }
            gk_buf_puts(&text, part->text);
        }
        bool failed = gk_buf_failed(&text);
        gk_jw_stringn(&w, text.ptr ? text.ptr : "", text.len);
        gk_buf_release(&text);
        if (failed)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "embed input too large");
    }
    gk_jw_array_end(&w);
    static const char *const top[] = {"truncate", "dimensions", "options", NULL};
    for (size_t k = 0; top[k]; k++) {
        const gk_json *v = gk_json_get(o, top[k]);
        if (v && v->type != GK_JSON_NULL) {
            gk_jw_key(&w, top[k]);
            gk_jw_value(&w, v);
        }
    }
    const gk_json *ka = gk_json_get(o, "keep_alive");
    if (!ka || ka->type == GK_JSON_NULL)
        ka = gk_json_get(o, "keepAlive");
    if (ka && ka->type != GK_JSON_NULL) {
        gk_jw_key(&w, "keep_alive");
        gk_jw_value(&w, ka);
    }
    gk_jw_object_end(&w);
    if (gk_buf_failed(b))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "embed request larger than %zu bytes",
                            b->cap);
    return GK_OK;
}

static gk_status ollama_embed(void *self, gk_ctx *ctx, const gk_embed_request *req,
                              gk_embed_response *resp, gk_error *err)
{
    const struct ollama_target *t = self;
    gk_arena *a = gk_ctx_arena(ctx);
    if (req->input.count == 0)
        return GK_OK;
    gk_buf body = GK_BUF_INIT(MAX_REQUEST);
    gk_status st = write_embed_request(req, t->id, &body, err);
    if (st != GK_OK) {
        gk_buf_release(&body);
        return st;
    }
    gk_http_response *r = NULL;
    st = post(ctx, t->p, "/api/embed", (gk_str){body.ptr, body.len}, NULL, NULL, &r, err);
    gk_buf_release(&body);
    if (st != GK_OK)
        return st;
    gk_str b = gk_http_response_body(r);
    return gk_ollama_parse_embeddings(a, b.ptr, b.len, req->input.count, resp, err);
}

/* ---- configuration ---- */

static gk_status define_model(gk_plugin_host *host, struct ollama *p, const char *id, gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    if (!gk__ollama_id_ok(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "model id \"%.64s\" must be an ollama model name (letters, digits, "
                            "'.', '_', '-', ':', '/')",
                            id);
    const char *name = gk_arena_sprintf(a, "%s/%s", p->plugin, id);
    struct ollama_target *t = GK_NEW(a, struct ollama_target, 1);
    if (!t || !name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_MODEL, name))
        return GK_OK; /* listed twice (an extra that is also a default) */
    t->p = p;
    t->id = gk_arena_strdup(a, id);
    const char *label = gk_arena_sprintf(a, "Ollama - %s", id);
    if (!t->id || !label)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    unsigned caps = family_caps(id);
    unsigned supports = GK_MODEL_MULTITURN | GK_MODEL_SYSTEM_ROLE;
    if (caps & CAP_TOOLS)
        supports |= GK_MODEL_TOOLS;
    if (caps & CAP_MEDIA)
        supports |= GK_MODEL_MEDIA;
    gk_model_desc desc = {
        .name = name,
        .description = "Ollama model (native /api/chat)",
        .info =
            {
                .label = label,
                .supports = supports,
                .output = json_output,
                .constrained = GK_CONSTRAINED_NO_TOOLS,
            },
        .generate = ollama_generate,
        .self = t,
    };
    return gk_host_define_model(host, &desc, err);
}

static gk_status define_embedder(gk_plugin_host *host, struct ollama *p, const char *id, int dims,
                                 gk_error *err)
{
    gk_arena *a = gk_host_arena(host);
    if (!gk__ollama_id_ok(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "embedder id \"%.64s\" must be an ollama model name (letters, "
                            "digits, '.', '_', '-', ':', '/')",
                            id);
    const char *name = gk_arena_sprintf(a, "%s/%s", p->plugin, id);
    struct ollama_target *t = GK_NEW(a, struct ollama_target, 1);
    if (!t || !name)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (gk_lookup(gk_host_genkit(host), GK_ACTION_EMBEDDER, name))
        return GK_OK;
    t->p = p;
    t->id = gk_arena_strdup(a, id);
    const char *label = gk_arena_sprintf(a, "Ollama - %s", id);
    if (!t->id || !label)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    gk_embedder_desc desc = {
        .name = name,
        .description = "Ollama embedder (native /api/embed)",
        .info = {.label = label, .dimensions = dims, .supports = GK_EMBEDDER_TEXT},
        .embed = ollama_embed,
        .self = t,
    };
    return gk_host_define_embedder(host, &desc, err);
}

typedef gk_status (*define_fn)(gk_plugin_host *host, struct ollama *p, const char *id,
                               gk_error *err);

static gk_status define_extra_embedder(gk_plugin_host *host, struct ollama *p, const char *id,
                                       gk_error *err)
{
    return define_embedder(host, p, id, 0, err);
}

/* Define each id of a comma-separated list (see gk_plugin_each_listed). */
struct listed {
    gk_plugin_host *host;
    struct ollama *p;
    define_fn fn;
    size_t n;
};

static gk_status define_listed(const char *s, size_t len, void *arg, gk_error *err)
{
    struct listed *l = arg;
    char id[GK_OLLAMA_MAX_ID + 1];
    if (len >= sizeof(id))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "listed id longer than %zu bytes",
                            sizeof(id) - 1);
    if (++l->n > MAX_LISTED)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "more than %d ids listed", MAX_LISTED);
    memcpy(id, s, len);
    id[len] = '\0';
    return l->fn(l->host, l->p, id, err);
}

static gk_status define_list(gk_plugin_host *host, struct ollama *p, const char *list,
                             define_fn fn, gk_error *err)
{
    struct listed l = {host, p, fn, 0};
    return gk_plugin_each_listed(list, define_listed, &l, err);
}

static gk_status define_array(gk_plugin_host *host, struct ollama *p, const char *const *ids,
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

static bool key_ok(const char *key)
{
    for (const char *p = key; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    }
    return key[0] != '\0';
}

gk_status gk_ollama_init(gk_plugin_host *host, const gk_ollama_opts *opts, gk_error *err)
{
    gk_ollama_opts none = {0};
    if (!opts)
        opts = &none;
    gk_arena *a = gk_host_arena(host);
    struct ollama *p = GK_NEW(a, struct ollama, 1);
    if (!p)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    p->plugin = gk_arena_strdup(a, gk_host_plugin_name(host));
    const char *key = opts->api_key ? opts->api_key : env("OLLAMA_API_KEY");
    if (key && !key_ok(key))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "the Ollama API key is empty or holds control characters");
    p->api_key = key ? gk_arena_strdup(a, key) : NULL;
    char url[MAX_HOST + 1];
    gk_status st =
        gk_ollama_host_url(opts->host ? opts->host : env("OLLAMA_HOST"), url, sizeof(url), err);
    if (st != GK_OK)
        return st;
    p->base_url = gk_arena_strdup(a, url);
    p->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 0;
    if (!p->plugin || !p->base_url || (key && !p->api_key))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");

    for (size_t i = 0; st == GK_OK && i < sizeof(default_models) / sizeof(default_models[0]); i++)
        st = define_model(host, p, default_models[i], err);
    for (size_t i = 0; st == GK_OK && i < sizeof(default_embedders) / sizeof(default_embedders[0]);
         i++)
        st =
            define_embedder(host, p, default_embedders[i].id, default_embedders[i].dimensions, err);
    if (st == GK_OK)
        st = define_array(host, p, opts->models, define_model, err);
    if (st == GK_OK)
        st = define_list(host, p, env("GK_OLLAMA_MODELS"), define_model, err);
    if (st == GK_OK)
        st = define_array(host, p, opts->embedders, define_extra_embedder, err);
    if (st == GK_OK)
        st = define_list(host, p, env("GK_OLLAMA_EMBEDDERS"), define_extra_embedder, err);
    return st;
}

/* config JSON (when a host passes one): {"host","apiKey","models","embedders","timeoutMs"}. */
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

static gk_status config_str(const gk_json *config, const char *key, const char **out, gk_error *err)
{
    const gk_json *v = gk_json_get(config, key);
    if (!v || v->type == GK_JSON_NULL)
        return GK_OK;
    if (v->type != GK_JSON_STRING || strlen(v->str) != v->len) {
        char path[64];
        snprintf(path, sizeof(path), "/%s", key);
        return gk_error_set(err, GK_INVALID_ARGUMENT, path, "%s must be a string", key);
    }
    *out = v->str;
    return GK_OK;
}

static gk_status ollama_plugin_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    gk_ollama_opts o = {0};
    if (config && config->type != GK_JSON_NULL) {
        if (config->type != GK_JSON_OBJECT)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "config must be an object");
        gk_status st = config_str(config, "host", &o.host, err);
        if (st == GK_OK)
            st = config_str(config, "apiKey", &o.api_key, err);
        if (st != GK_OK)
            return st;
        const gk_json *v = gk_json_get(config, "timeoutMs");
        if (v && v->type == GK_JSON_NUMBER && v->is_int)
            o.timeout_ms = v->integer;
        gk_arena *a = gk_host_arena(host);
        st = json_ids(a, gk_json_get(config, "models"), "/models", &o.models, err);
        if (st == GK_OK)
            st = json_ids(a, gk_json_get(config, "embedders"), "/embedders", &o.embedders, err);
        if (st != GK_OK)
            return st;
    }
    return gk_ollama_init(host, &o, err);
}

const gk_plugin gk_plugin_ollama = {
    .abi = GK_PLUGIN_ABI,
    .name = "ollama",
    .init = ollama_plugin_init,
};
