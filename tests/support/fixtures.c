/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/fixtures.c - loading and replaying provider fixtures (see fixtures.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <genkit/json.h>

#include "support/fixtures.h"

#ifndef GK_SOURCE_DIR
#define GK_SOURCE_DIR "."
#endif

static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = 0;
    if (len_out)
        *len_out = len;
    return buf;
}

static char *dup_json_str(const gk_json *v)
{
    if (!v || v->type != GK_JSON_STRING)
        return NULL;
    return strndup(v->str, v->len);
}

static const gk_json *at(const gk_json *obj, const char *a, const char *b)
{
    const gk_json *v = gk_json_get(obj, a);
    return b ? gk_json_get(v, b) : v;
}

gk_fixture *gk_fixture_load(const char *provider, const char *name)
{
    char path[1024];
    gk_fixture *f = calloc(1, sizeof(*f));
    gk_arena *a = gk_arena_new(0);
    gk_json *meta = NULL;
    gk_error err = {0};
    if (!f || !a)
        goto fail;
    f->provider = strdup(provider);
    f->name = strdup(name);
    snprintf(path, sizeof(path), "%s/tests/fixtures/providers/%s/%s.meta.json", GK_SOURCE_DIR,
             provider, name);
    size_t meta_len = 0;
    f->meta = read_file(path, &meta_len);
    if (!f->meta) {
        fprintf(stderr, "fixture %s/%s: cannot read %s\n", provider, name, path);
        goto fail;
    }
    if (gk_json_parse(a, f->meta, meta_len, NULL, &meta, &err) != GK_OK) {
        fprintf(stderr, "fixture %s/%s: meta: %s\n", provider, name, err.message);
        goto fail;
    }
    const gk_json *status = at(meta, "response", "status");
    f->status = status && status->is_int ? (int)status->integer : 200;
    const gk_json *stream = at(meta, "response", "stream");
    f->stream = stream && stream->type == GK_JSON_BOOL && stream->boolean;
    f->method = dup_json_str(at(meta, "request", "method"));
    f->path = dup_json_str(at(meta, "request", "path"));

    size_t hlen = 1;
    const gk_json *hdrs = at(meta, "response", "headers");
    for (size_t i = 0; hdrs && hdrs->type == GK_JSON_OBJECT && i < hdrs->count; i++)
        hlen += hdrs->items[i].key_len + hdrs->items[i].len + 4;
    f->headers = calloc(1, hlen);
    if (!f->headers)
        goto fail;
    for (size_t i = 0; hdrs && hdrs->type == GK_JSON_OBJECT && i < hdrs->count; i++) {
        const gk_json *h = &hdrs->items[i];
        /* The test server frames the body itself. */
        if (h->type != GK_JSON_STRING || strcasecmp(h->key, "content-length") == 0 ||
            strcasecmp(h->key, "transfer-encoding") == 0)
            continue;
        size_t used = strlen(f->headers);
        snprintf(f->headers + used, hlen - used, "%s: %s\r\n", h->key, h->str);
    }

    char *body_file = dup_json_str(at(meta, "response", "body_file"));
    if (body_file) {
        snprintf(path, sizeof(path), "%s/tests/fixtures/providers/%s/%s", GK_SOURCE_DIR, provider,
                 body_file);
        free(body_file);
        f->response = read_file(path, &f->response_len);
        if (!f->response) {
            fprintf(stderr, "fixture %s/%s: cannot read %s\n", provider, name, path);
            goto fail;
        }
    } else {
        f->response = calloc(1, 1);
    }
    char *request_file = dup_json_str(gk_json_get(meta, "request_file"));
    if (request_file) {
        snprintf(path, sizeof(path), "%s/tests/fixtures/providers/%s/%s", GK_SOURCE_DIR, provider,
                 request_file);
        free(request_file);
        f->request = read_file(path, &f->request_len);
    }
    gk_arena_free(a);
    return f;
fail:
    gk_arena_free(a);
    gk_fixture_free(f);
    return NULL;
}

void gk_fixture_free(gk_fixture *f)
{
    if (!f)
        return;
    free(f->provider);
    free(f->name);
    free(f->meta);
    free(f->request);
    free(f->response);
    free(f->headers);
    free(f->method);
    free(f->path);
    free(f);
}

void gk_fixture_serve(gk_test_server *s, const gk_fixture *f, size_t split, int delay_ms)
{
    gk_test_response r = {.status = f->status, .headers = f->headers, .delay_ms = delay_ms};
    char **pieces = NULL;
    if (split == 0) {
        r.body = f->response;
        r.chunked = f->stream;
        gk_test_server_push(s, &r);
        return;
    }
    size_t n = (f->response_len + split - 1) / split;
    pieces = calloc(n + 1, sizeof(*pieces));
    for (size_t i = 0; pieces && i < n; i++) {
        size_t off = i * split;
        size_t len = f->response_len - off < split ? f->response_len - off : split;
        pieces[i] = strndup(f->response + off, len);
    }
    r.chunks = (const char *const *)pieces;
    r.chunked = true;
    gk_test_server_push(s, &r);
    for (size_t i = 0; pieces && i < n; i++)
        free(pieces[i]);
    free(pieces);
}

bool gk_fixture_json_equal(const char *a, size_t alen, const char *b, size_t blen, char *why,
                           size_t why_len)
{
    gk_arena *arena = gk_arena_new(0);
    gk_json *x = NULL;
    gk_json *y = NULL;
    gk_error err = {0};
    bool equal = false;
    if (gk_json_parse(arena, a, alen, NULL, &x, &err) != GK_OK) {
        if (why)
            snprintf(why, why_len, "first is not JSON: %s", err.message);
    } else if (gk_json_parse(arena, b, blen, NULL, &y, &err) != GK_OK) {
        if (why)
            snprintf(why, why_len, "second is not JSON: %s", err.message);
    } else {
        equal = gk_json_equal(x, y);
        if (!equal && why)
            snprintf(why, why_len, "JSON values differ");
    }
    gk_arena_free(arena);
    return equal;
}
