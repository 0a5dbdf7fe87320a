/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/core.h - what the server and ai layers need of the genkit instance beyond the public API. */
#ifndef GK_CORE_CORE_H
#define GK_CORE_CORE_H

#include <genkit/flow.h>

/* Mark the registry read-only (gk_serve calls it before the loops start). */
void gk__genkit_freeze(gk_genkit *g);

/* The service name (for logs and telemetry). */
const char *gk__genkit_name(const gk_genkit *g);

/* The default model name given to gk_init, or NULL. */
const char *gk__genkit_default_model(const gk_genkit *g);

/* The genkit.yaml gk_init loaded, or NULL when there was none. */
struct gk_config;
const struct gk_config *gk__genkit_config(const gk_genkit *g);

/* The instance's long-lived arena (definitions, plugin state). */
gk_arena *gk__genkit_arena(gk_genkit *g);

/* The action running on ctx (NULL outside actions). */
gk_action *gk__ctx_action(const gk_ctx *ctx);

#endif
