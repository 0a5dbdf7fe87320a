/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/ollama/ollama_internal.h - what the ollama plugin's files share: the request writer
 * (request.c) and the decoder's line entry point (decoder.c). Not installed, not public. */
#ifndef GK_PLUGINS_OLLAMA_INTERNAL_H
#define GK_PLUGINS_OLLAMA_INTERNAL_H

#include <genkit/plugins/ollama.h>

/* Longest model id accepted (Ollama names with registry, namespace and tag stay far below). */
#define GK_OLLAMA_MAX_ID 200

/*
 * The model id a request's config "version" names, or NULL when it names none.
 *
 * Context: any. Returns: GK_OK; GK_INVALID_ARGUMENT (err->path "/config" or "/config/version")
 *   for a config that is not an object or a version that is not a valid model id.
 */
gk_status gk__ollama_version(const gk_generate_request *req, const char **out, gk_error *err);

/* Whether id is a model id we accept: 1-GK_OLLAMA_MAX_ID bytes of [A-Za-z0-9._:/+-], not
 * starting with '/' or '.'. */
bool gk__ollama_id_ok(const char *id);

/* Feed one line the HTTP client already cut (GK_LINES_NDJSON) to d: a gk_line_fn with d as
 * arg. Errors stick to d like gk_ollama_decoder_feed's. */
gk_status gk__ollama_decoder_line(void *d, const gk_line_event *ev, gk_error *err);

#endif
