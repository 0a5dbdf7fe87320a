/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/formats.h - what the generate loop needs of the output formats beyond ai.h (ai-private).
 */
#ifndef GK_AI_FORMATS_H
#define GK_AI_FORMATS_H

#include <genkit/ai.h>

/* The format named name ("json"); false if unknown. */
bool gk__output_format_from_name(const char *name, gk_output_format *out);

/* The contentType a format asks for ("application/json", "text/enum", ...). */
const char *gk__output_content_type(gk_output_format f);

/* schema's "items" (jsonl and array formats), or NULL. */
const gk_json *gk__output_items_schema(const gk_json *schema);

/* schema's "enum" array, or that of its first property, or NULL. */
const gk_json *gk__output_enum_values(const gk_json *schema);

#endif
