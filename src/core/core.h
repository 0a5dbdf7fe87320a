/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/core.h - what the server and ai layers need of the genkit instance beyond the public API. */
#ifndef GK_CORE_CORE_H
#define GK_CORE_CORE_H

#include <genkit/flow.h>

/* Mark the registry read-only (gk_serve calls it before the loops start). */
void gk__genkit_freeze(gk_genkit *g);

/* The service name (for logs and telemetry). */
const char *gk__genkit_name(const gk_genkit *g);

#endif
