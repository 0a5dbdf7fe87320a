/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/schema.h - schema-as-struct: one descriptor per plain C struct gives its JSON Schema, a
 * validating decoder (errors name the JSON pointer path) and an encoder.
 * Threads: descriptors are constant data; decode/encode touch only their arguments. */
#ifndef GENKIT_SCHEMA_H
#define GENKIT_SCHEMA_H

#include <genkit/json.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_type gk_type;

/* The descriptor of C type T (a typedef name), as defined by GK_SCHEMA_DEFINE(T, ...). */
#define GK_TYPE_OF(T) (&T##__gk_type)

/* CONTRACT (filled in by the schema layer): struct gk_type, field macros, GK_SCHEMA_DECLARE/DEFINE,
 * gk_decode, gk_encode, gk_schema_write. */

#ifdef __cplusplus
}
#endif
#endif
