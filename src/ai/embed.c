/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/embed.c - embedder actions: descriptors of EmbedRequest / EmbedResponse,
 * gk_define_embedder registering /embedder/<name> over a typed embed function (request parts
 * checked before, one embedding per document checked after), the plugin-host wrapper, and gk_embed
 * / gk_embed_documents calling an embedder through the registry so the call is traced. It does not
 * batch, cache or normalize vectors: providers and callers decide that. */
#include <stdio.h>
#include <string.h>

#include <genkit/embed.h>

#include "core/core.h"
#include "core/registry.h"
#include "base/banned.h"

/* clang-format off */
GK_SCHEMA_DEFINE(gk_embedding, "One document's embedding",
    GK_FIELD_ARRAY(gk_embedding, embedding, "embedding", gk_number, NULL),
    GK_FIELD_JSON_OPT(gk_embedding, metadata, "metadata", NULL));

GK_SCHEMA_DEFINE(gk_embed_request, "An embedder request",
    GK_FIELD_ARRAY(gk_embed_request, input, "input", gk_document, NULL),
    GK_FIELD_JSON_OPT(gk_embed_request, options, "options", NULL));

GK_SCHEMA_DEFINE(gk_embed_response, "An embedder response",
    GK_FIELD_ARRAY(gk_embed_response, embeddings, "embeddings", gk_embedding, NULL));
/* clang-format on */

/* A defined embedder: what the action's self points to. Lives in the genkit arena. */
struct embedder {
    gk_embed_fn embed;
    void *self;
};

static gk_status check_input(const gk_embed_request *req, gk_error *err)
{
    for (size_t i = 0; i < req->input.count; i++) {
        char path[64];
        int n = snprintf(path, sizeof(path), "/input/%zu/content", i);
        if (n < 0)
            path[0] = '\0';
        const gk_document *d = &req->input.items[i];
        gk_status st = gk_parts_check(d->content.items, d->content.count, path, err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

static gk_status run_embedder(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                              gk_error *err)
{
    (void)stream;
    struct embedder *e = self;
    const gk_embed_request *req = in;
    gk_embed_response *resp = out;
    gk_status st = check_input(req, err);
    if (st != GK_OK)
        return st;
    st = e->embed(e->self, ctx, req, resp, err);
    if (st != GK_OK)
        return st;
    if (resp->embeddings.count != req->input.count)
        return gk_error_set(err, GK_INTERNAL, "",
                            "embedder returned %zu embeddings for %zu documents",
                            resp->embeddings.count, req->input.count);
    if (resp->embeddings.count && !resp->embeddings.items)
        return gk_error_set(err, GK_INTERNAL, "", "embedder returned no embedding array");
    return GK_OK;
}

static void write_info(gk_jw *w, const char *name, const gk_embedder_info *info)
{
    unsigned s = info->supports ? info->supports : GK_EMBEDDER_TEXT;
    gk_jw_object_begin(w);
    gk_jw_key(w, "label");
    gk_jw_string(w, info->label ? info->label : name);
    if (info->dimensions > 0) {
        gk_jw_key(w, "dimensions");
        gk_jw_int(w, info->dimensions);
    }
    gk_jw_key(w, "supports");
    gk_jw_object_begin(w);
    gk_jw_key(w, "input");
    gk_jw_array_begin(w);
    /* Multilingual alone still means text input. */
    if ((s & GK_EMBEDDER_TEXT) || !(s & (GK_EMBEDDER_IMAGE | GK_EMBEDDER_VIDEO)))
        gk_jw_string(w, "text");
    if (s & GK_EMBEDDER_IMAGE)
        gk_jw_string(w, "image");
    if (s & GK_EMBEDDER_VIDEO)
        gk_jw_string(w, "video");
    gk_jw_array_end(w);
    if (s & GK_EMBEDDER_MULTILINGUAL) {
        gk_jw_key(w, "multilingual");
        gk_jw_bool(w, true);
    }
    gk_jw_object_end(w);
    gk_jw_object_end(w);
}

void gk_embedder_metadata_write(gk_buf *b, const char *name, const gk_embedder_info *info)
{
    gk_jw w;
    gk_jw_init(&w, b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "info");
    write_info(&w, name, info);
    gk_jw_key(&w, "embedder");
    write_info(&w, name, info);
    gk_jw_object_end(&w);
}

gk_action *gk_define_embedder(gk_genkit *g, const gk_embedder_desc *desc, gk_error *err)
{
    if (!desc || !desc->name || !desc->name[0] || !desc->embed) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "",
                     "embedder \"%s\" needs a name and an embed function",
                     desc && desc->name ? desc->name : "");
        return NULL;
    }
    if (desc->info.dimensions < 0) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "embedder \"%s\" has negative dimensions",
                     desc->name);
        return NULL;
    }
    gk_buf meta = GK_BUF_INIT(64 * 1024);
    gk_embedder_metadata_write(&meta, desc->name, &desc->info);
    if (gk_buf_failed(&meta)) {
        gk_buf_release(&meta);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "embedder \"%s\" metadata is too large",
                     desc->name);
        return NULL;
    }
    /* The record lives as long as the action: in the instance's arena. */
    struct embedder *e = GK_NEW(gk__genkit_arena(g), struct embedder, 1);
    gk_action *a = NULL;
    if (!e) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    } else {
        e->embed = desc->embed;
        e->self = desc->self;
        gk_action_desc d = {
            .type = GK_ACTION_EMBEDDER,
            .name = desc->name,
            .description = desc->description,
            .in_type = GK_TYPE_OF(gk_embed_request),
            .out_type = GK_TYPE_OF(gk_embed_response),
            .fn = run_embedder,
            .self = e,
            .metadata_json = meta.ptr,
        };
        a = gk_define_action(g, &d, err);
    }
    gk_buf_release(&meta);
    return a;
}

gk_status gk_host_define_embedder(gk_plugin_host *host, const gk_embedder_desc *desc, gk_error *err)
{
    const char *prefix = gk_host_plugin_name(host);
    size_t n = strlen(prefix);
    if (!desc || !desc->name || strncmp(desc->name, prefix, n) != 0 || desc->name[n] != '/' ||
        !desc->name[n + 1])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "embedder \"%s\" of plugin \"%s\" must be named \"%s/<embedder>\"",
                            desc && desc->name ? desc->name : "", prefix, prefix);
    if (!gk_define_embedder(gk_host_genkit(host), desc, err))
        return err ? err->status : GK_INTERNAL;
    return GK_OK;
}

void *gk_embedder_self(const gk_action *a, gk_embed_fn embed)
{
    if (!a || a->type != GK_ACTION_EMBEDDER || a->fn != run_embedder)
        return NULL;
    const struct embedder *e = a->self;
    return e->embed == embed ? e->self : NULL;
}

gk_status gk_embed_documents(gk_ctx *ctx, gk_genkit *g, const char *embedder,
                             const gk_document *docs, size_t n, const gk_json *options,
                             gk_embed_response *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!embedder || !embedder[0])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "no embedder named: pass \"provider/embedder\"");
    if (n && !docs)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/input", "%zu documents but no array", n);
    gk_action *a = gk_lookup(g, GK_ACTION_EMBEDDER, embedder);
    if (!a)
        return gk_error_set(err, GK_NOT_FOUND, "",
                            "embedder \"%s\" not found: is its plugin configured?", embedder);
    gk_embed_request req = {.options = options};
    /* The action only reads its input: the cast lends docs without copying. */
    req.input.items = (gk_document *)docs;
    req.input.count = n;
    return gk_action_run(ctx, a, &req, out, NULL, err);
}

gk_status gk_embed(gk_ctx *ctx, gk_genkit *g, const char *embedder, const char *const *texts,
                   size_t n, gk_embed_response *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    if (n && !texts)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "/input", "%zu texts but no array", n);
    gk_arena *a = gk_ctx_arena(ctx);
    gk_document *docs = NULL;
    gk_part *parts = NULL;
    if (n) {
        docs = GK_NEW(a, gk_document, n);
        parts = GK_NEW(a, gk_part, n);
        if (!docs || !parts)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    }
    for (size_t i = 0; i < n; i++) {
        if (!texts[i])
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "text %zu is NULL", i);
        parts[i] = gk_part_text(texts[i]);
        docs[i].content.items = &parts[i];
        docs[i].content.count = 1;
    }
    return gk_embed_documents(ctx, g, embedder, docs, n, NULL, out, err);
}
