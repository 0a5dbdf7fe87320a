/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/yaml.h - YAML 1.2 documents read through libfyaml (src/base/yaml.c is the only file
 * that includes <libfyaml.h>): a document becomes our strict JSON tree, so YAML input goes through
 * the same JSON/schema path as everything else, and a JSON pointer into that tree maps back to the
 * YAML line and column for error messages. Anchors and aliases are refused (an alias bomb could
 * expand a small file without bound); keys must be scalars; only the first document is read.
 * Threads: a gk__yaml belongs to its caller. */
#ifndef GK_BASE_YAML_H
#define GK_BASE_YAML_H

#include <genkit/json.h>

#define GK__YAML_MAX_BYTES (1024u * 1024) /* input accepted */

typedef struct gk__yaml gk__yaml;

/*
 * Parse text[0..len) as YAML and convert it to JSON in a.
 *
 * name labels messages: "name:LINE:COL: what" (1-based).
 * Ownership: *doc_out must be freed with gk__yaml_free; *json_out lives in a.
 * Returns: GK_OK; GK_INVALID_ARGUMENT for a syntax error, an alias, a non-scalar key, invalid
 *   UTF-8 or input over GK__YAML_MAX_BYTES (err->message says where); GK_RESOURCE_EXHAUSTED.
 */
gk_status gk__yaml_parse(gk_arena *a, const char *name, const char *text, size_t len,
                         gk__yaml **doc_out, gk_json **json_out, gk_error *err);

/*
 * Where the value at JSON pointer ptr ("/server/port") is written in the YAML: its line and
 * column (1-based); with key, where the last member's key is (for "unknown field"). For a member
 * that is absent, the nearest enclosing one that exists.
 * Returns: false if doc has no root.
 */
bool gk__yaml_locate(gk__yaml *doc, const char *ptr, bool key, int *line, int *col);

/* Free doc. NULL is a no-op. */
void gk__yaml_free(gk__yaml *doc);

#endif
