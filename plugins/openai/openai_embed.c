/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/openai/openai_embed.c - embedders over POST <base>/embeddings: documents' text in one
 * batch, encoding_format "base64" as the official SDKs ask (little-endian float32, decoded here),
 * number arrays accepted too (servers that ignore the format), items placed by their index. */
#include <stdio.h>
#include <string.h>

#include "openai_internal.h"

/* The value of a base64 digit, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode base64 text (standard alphabet, optional '=' padding) into a's memory. Returns false for
 * invalid text or when a runs out (*out NULL then). */
static bool b64_decode(gk_arena *a, const char *s, size_t n, unsigned char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return false;
    size_t cap = n / 4 * 3 + 3;
    unsigned char *buf = gk_arena_alloc(a, cap);
    if (!buf)
        return false;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    *out = buf;
    *out_len = o;
    return true;
}

static gk_status malformed(gk_error *err, const char *what, size_t i)
{
    return gk_error_set(err, GK_INTERNAL, "", "malformed openai embeddings response: %s (item %zu)",
                        what, i);
}

static gk_status vector(gk_arena *a, const gk_json *v, size_t i, gk_embedding *out, gk_error *err)
{
    if (v && v->type == GK_JSON_ARRAY) {
        double *d = GK_NEW(a, double, v->count ? v->count : 1);
        if (!d)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
        for (size_t k = 0; k < v->count; k++) {
            if (v->items[k].type != GK_JSON_NUMBER)
                return malformed(err, "embedding holds a non-number", i);
            d[k] = v->items[k].number;
        }
        out->embedding.items = d;
        out->embedding.count = v->count;
        return GK_OK;
    }
    if (!v || v->type != GK_JSON_STRING)
        return malformed(err, "embedding is neither an array nor a base64 string", i);
    unsigned char *bytes;
    size_t n;
    if (!b64_decode(a, v->str, v->len, &bytes, &n) || n % 4 != 0)
        return malformed(err, "embedding is not base64 of float32 values", i);
    size_t count = n / 4;
    double *d = GK_NEW(a, double, count ? count : 1);
    if (!d)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    for (size_t k = 0; k < count; k++) {
        const unsigned char *b = bytes + 4 * k;
        uint32_t u =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        float f;
        memcpy(&f, &u, sizeof(f));
        d[k] = (double)f;
    }
    out->embedding.items = d;
    out->embedding.count = count;
    return GK_OK;
}

gk_status gk_openai_parse_embeddings(gk_arena *a, const char *body, size_t len, size_t n,
                                     gk_embed_response *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    gk_json *doc = NULL;
    gk_error perr = {0};
    gk_status st = gk_json_parse(a, body, len, NULL, &doc, &perr);
    if (st == GK_RESOURCE_EXHAUSTED)
        return gk_error_set(err, st, "", "%s", perr.message);
    if (st != GK_OK)
        return gk_error_set(err, GK_INTERNAL, "", "openai embeddings response is not JSON: %s",
                            perr.message);
    const gk_json *data = doc->type == GK_JSON_OBJECT ? gk_json_get(doc, "data") : NULL;
    if (!data || data->type != GK_JSON_ARRAY)
        return gk_error_set(err, GK_INTERNAL, "",
                            "malformed openai embeddings response: no \"data\" array");
    if (data->count != n)
        return gk_error_set(err, GK_INTERNAL, "", "openai returned %zu embeddings for %zu inputs",
                            data->count, n);
    gk_embedding *e = GK_NEW(a, gk_embedding, n ? n : 1);
    bool *seen = GK_NEW(a, bool, n ? n : 1);
    if (!e || !seen)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    for (size_t i = 0; i < n; i++) {
        const gk_json *item = &data->items[i];
        if (item->type != GK_JSON_OBJECT)
            return malformed(err, "item is not an object", i);
        const gk_json *idx = gk_json_get(item, "index");
        size_t at = i;
        if (idx) {
            if (idx->type != GK_JSON_NUMBER || !idx->is_int || idx->integer < 0 ||
                (uint64_t)idx->integer >= n)
                return malformed(err, "index is not an input position", i);
            at = (size_t)idx->integer;
        }
        if (seen[at])
            return malformed(err, "index repeats", i);
        seen[at] = true;
        st = vector(a, gk_json_get(item, "embedding"), i, &e[at], err);
        if (st != GK_OK)
            return st;
    }
    out->embeddings.items = e;
    out->embeddings.count = n;
    return GK_OK;
}

/* The text of a document: its text parts joined; NULL when it has none. */
static const char *doc_text(gk_arena *a, const gk_document *d)
{
    bool any = false;
    for (size_t j = 0; j < d->content.count; j++)
        any = any || d->content.items[j].text != NULL;
    if (!any)
        return NULL;
    gk_message m = {.role = GK_ROLE_USER};
    m.content.items = d->content.items;
    m.content.count = d->content.count;
    return gk_message_text(a, &m);
}

gk_status gk__openai_embed(void *self, gk_ctx *ctx, const gk_embed_request *req,
                           gk_embed_response *resp, gk_error *err)
{
    const struct oai_embedder *e = self;
    gk_arena *a = gk_ctx_arena(ctx);
    size_t n = req->input.count;
    if (n == 0)
        return GK_OK; /* the API refuses an empty input list; nothing to ask */
    const gk_json *opts = req->options;
    if (opts && opts->type == GK_JSON_NULL)
        opts = NULL;
    if (opts && opts->type != GK_JSON_OBJECT)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/options",
                            "options must be an object, got %s", gk_json_type_name(opts));
    const gk_json *version = opts ? gk_json_get(opts, "version") : NULL;
    const char *model = version && version->type == GK_JSON_STRING ? version->str : e->id;

    gk_buf body = GK_BUF_INIT((size_t)64 << 20);
    gk_jw w;
    gk_jw_init(&w, &body);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "model");
    gk_jw_string(&w, model);
    gk_jw_key(&w, "input");
    gk_jw_array_begin(&w);
    for (size_t i = 0; i < n; i++) {
        const char *text = doc_text(a, &req->input.items[i]);
        if (!text) {
            gk_buf_release(&body);
            char path[48];
            snprintf(path, sizeof(path), "/input/%zu", i);
            return gk_error_set(err, GK_INVALID_ARGUMENT, path,
                                "document has no text: %s embedders take text only", e->o->name);
        }
        gk_jw_string(&w, text);
    }
    gk_jw_array_end(&w);
    if (!opts || !gk_json_get(opts, "encoding_format")) {
        gk_jw_key(&w, "encoding_format");
        gk_jw_string(&w, "base64");
    }
    for (size_t i = 0; opts && i < opts->count; i++) {
        const char *k = opts->items[i].key;
        if (strcmp(k, "model") == 0 || strcmp(k, "input") == 0 || strcmp(k, "version") == 0)
            continue;
        gk_jw_key(&w, k);
        gk_jw_value(&w, &opts->items[i]);
    }
    gk_jw_object_end(&w);
    if (gk_buf_failed(&body)) {
        gk_buf_release(&body);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "embeddings request too large");
    }
    gk_http_response *hr = NULL;
    gk_status st = gk__openai_post(ctx, e->o, "/embeddings", &body, NULL, NULL, &hr, err);
    gk_buf_release(&body);
    if (st != GK_OK)
        return st;
    gk_str b = gk_http_response_body(hr);
    return gk_openai_parse_embeddings(a, b.ptr, b.len, n, resp, err);
}
