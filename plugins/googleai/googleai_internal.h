/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/googleai/googleai_internal.h - what the googleai plugin's files share: the request
 * writer (request.c) and helpers of the decoder (decoder.c). Not installed, not public. */
#ifndef GK_PLUGINS_GOOGLEAI_INTERNAL_H
#define GK_PLUGINS_GOOGLEAI_INTERNAL_H

#include <genkit/plugins/googleai.h>

/* How tool parameters and the response schema are sent. */
typedef enum gai_schema_dialect {
    GAI_SCHEMA_OPENAPI, /* "parameters" / "responseSchema": Gemini's OpenAPI subset */
    GAI_SCHEMA_JSON,    /* "parametersJsonSchema" / "responseJsonSchema": JSON Schema as given */
} gai_schema_dialect;

/* The plugin settings a request's config may carry (not sent in generationConfig). */
typedef struct gai_call_settings {
    const char *version; /* model id to call instead of the action's; NULL: the action's */
    const char *api_key; /* per-call key; NULL: the plugin's */
    gai_schema_dialect dialect;
} gai_call_settings;

/*
 * Read the plugin settings out of req->config (see the header's "config" paragraph).
 *
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT (err->path "/config/<key>") for a config that
 *   is not an object or a setting of the wrong type.
 */
gk_status gk__googleai_call_settings(const gk_generate_request *req, gai_call_settings *out,
                                     gk_error *err);

/*
 * Write req as a GenerateContentRequest JSON body into b.
 *
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT with err->path naming the request field
 *   (a non-base64 data URL, a media part without a MIME type, a resource part, candidateCount
 *   other than 1, a schema that is not an object...); GK_RESOURCE_EXHAUSTED if b hit its cap.
 */
gk_status gk__googleai_write_request(const gk_generate_request *req, const gai_call_settings *cs,
                                     gk_buf *b, gk_error *err);

/* Feed one line of a stream the HTTP client already cut (GK_LINES_NDJSON) to d: a gk_line_fn
 * with d as arg. Errors stick to d like gk_googleai_decoder_feed's. */
gk_status gk__googleai_decoder_line(void *d, const gk_line_event *ev, gk_error *err);

/* Whether id is a model id we put in a URL path: 1-128 of [A-Za-z0-9._-]. */
bool gk__googleai_id_ok(const char *id);

#endif
