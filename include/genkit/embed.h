/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/embed.h - embedders: Genkit's EmbedRequest / EmbedResponse as C structs with schema
 * descriptors, defining an embedder action (/embedder/<provider>/<name>) directly or from a
 * plugin's init, and calling one through the registry (gk_embed for texts, gk_embed_documents for
 * documents).
 * Threads: define embedders before serving; call them from a fiber (usually a flow's).
 *
 * Wire shapes (Genkit's): EmbedRequest {"input": [Document], "options"?: any} ->
 * EmbedResponse {"embeddings": [{"embedding": [number], "metadata"?: {...}}]}, one embedding per
 * input document, in order (every call checks the count). */
#ifndef GENKIT_EMBED_H
#define GENKIT_EMBED_H

#include <genkit/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the data model ---- */

/* {"embedding": [number], "metadata"?}: one document's vector. */
typedef struct gk_embedding {
    GK_ARRAY_OF(gk_number) embedding;
    const gk_json *metadata; /* NULL: absent */
} gk_embedding;

/* What an embedder action takes: {"input": [Document], "options"?}. */
typedef struct gk_embed_request {
    GK_ARRAY_OF(gk_document) input;
    const gk_json *options; /* provider options (dimensions, ...), NULL: absent */
} gk_embed_request;

/* What an embedder action returns: {"embeddings": [Embedding]}, one per input document. */
typedef struct gk_embed_response {
    GK_ARRAY_OF(gk_embedding) embeddings;
} gk_embed_response;

GK_API GK_SCHEMA_DECLARE(gk_embedding);
GK_API GK_SCHEMA_DECLARE(gk_embed_request);
GK_API GK_SCHEMA_DECLARE(gk_embed_response);

/* ---- embedder actions ---- */

/* Kinds of input an embedder accepts (gk_embedder_info.supports). 0 means GK_EMBEDDER_TEXT. */
enum gk_embedder_supports {
    GK_EMBEDDER_TEXT = 1 << 0,         /* "input": ["text"] */
    GK_EMBEDDER_IMAGE = 1 << 1,        /* "input": [..., "image"] */
    GK_EMBEDDER_VIDEO = 1 << 2,        /* "input": [..., "video"] */
    GK_EMBEDDER_MULTILINGUAL = 1 << 3, /* "multilingual": true */
};

/* The embedder's description for tools (Dev UI) and callers. */
typedef struct gk_embedder_info {
    const char *label; /* NULL: the embedder's name */
    int dimensions;    /* length of each vector; 0: unknown (not written) */
    unsigned supports; /* enum gk_embedder_supports bits; 0: text only */
} gk_embedder_info;

/*
 * An embedder's body: write one embedding per req->input document, in order, into *resp (zeroed).
 *
 * Ownership: req is borrowed for the call; what resp points to must live in ctx's arena (or in
 *   req's tree, or be static).
 * Context: the calling fiber; park freely (upstream HTTP calls).
 * Returns: GK_OK; an error status with err filled.
 */
typedef gk_status (*gk_embed_fn)(void *self, gk_ctx *ctx, const gk_embed_request *req,
                                 gk_embed_response *resp, gk_error *err);

/* Everything that defines an embedder. Strings are copied at definition. */
typedef struct gk_embedder_desc {
    const char *name;        /* "provider/embedder" (the full string is the action name) */
    const char *description; /* may be NULL */
    gk_embedder_info info;
    gk_embed_fn embed;
    void *self; /* passed to embed; lives as long as the embedder */
} gk_embedder_desc;

/*
 * Register embedder desc->name as the action /embedder/<name>, with input gk_embed_request,
 * output gk_embed_response and metadata
 * {"info":I,"embedder":I} where I is {"label":...[,"dimensions":n],"supports":{"input":["text",...]
 * [,"multilingual":true]}} (Genkit Go writes both keys; the Dev UI reads either).
 *
 * Every call checks the request's parts (gk_parts_check, paths "/input/i/content/j") before embed
 * runs, and that embed returned exactly one embedding per input document.
 * Context: before serving. Returns: the action (lives as long as g), or NULL with err
 *   (GK_INVALID_ARGUMENT for a missing name or embed function or negative dimensions,
 *   GK_ALREADY_EXISTS, GK_FAILED_PRECONDITION once serving).
 */
GK_API gk_action *gk_define_embedder(gk_genkit *g, const gk_embedder_desc *desc, gk_error *err);

/*
 * Define an embedder for the plugin being initialized (gk_define_embedder, with the name checked).
 *
 * Context: the plugin's init. Returns: GK_OK; GK_INVALID_ARGUMENT if desc->name does not start
 *   with "<plugin>/" or the descriptor is incomplete; GK_ALREADY_EXISTS; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_host_define_embedder(gk_plugin_host *host, const gk_embedder_desc *desc,
                                         gk_error *err);

/* The self an embedder was defined with, or NULL unless a is an embedder action defined by
 * gk_define_embedder with this embed function. a may be NULL. */
GK_API void *gk_embedder_self(const gk_action *a, gk_embed_fn embed);

/*
 * Write the metadata JSON of an embedder (as gk_define_embedder records it) into b.
 *
 * Context: any. Check gk_buf_failed(b) afterwards.
 */
GK_API void gk_embedder_metadata_write(gk_buf *b, const char *name, const gk_embedder_info *info);

/* ---- calling ---- */

/*
 * Embed n documents with embedder `embedder` ("provider/name") through the registry (traced as
 * an action).
 *
 * options (may be NULL) is passed as the request's "options".
 * Ownership: *out is zeroed first; its vectors live in ctx's arena. docs and options are
 *   borrowed for the call.
 * Context: a fiber; parks while the embedder runs.
 * Returns: GK_OK with out->embeddings.count == n; GK_NOT_FOUND if no such embedder is defined;
 *   GK_INVALID_ARGUMENT for malformed document parts (err->path names the part); GK_INTERNAL if
 *   the embedder returned the wrong number of embeddings; the embedder's status otherwise.
 */
GK_API gk_status gk_embed_documents(gk_ctx *ctx, gk_genkit *g, const char *embedder,
                                    const gk_document *docs, size_t n, const gk_json *options,
                                    gk_embed_response *out, gk_error *err);

/*
 * Embed n texts: gk_embed_documents over documents holding one text part each, no options.
 *
 * Ownership, Context, Returns: as gk_embed_documents (texts are borrowed for the call).
 */
GK_API gk_status gk_embed(gk_ctx *ctx, gk_genkit *g, const char *embedder, const char *const *texts,
                          size_t n, gk_embed_response *out, gk_error *err);

#ifdef __cplusplus
}
#endif
#endif
