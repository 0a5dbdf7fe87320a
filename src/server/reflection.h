/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection.h - what the flow server needs of the reflection API: start it with the
 * flow server when GENKIT_ENV=dev, stop it (and flush traces) when the flow server stops.
 * Threads: call from the thread that starts and stops the flow server. */
#ifndef GK_SERVER_REFLECTION_H
#define GK_SERVER_REFLECTION_H

#include <genkit/server.h>

/* True when GENKIT_ENV is "dev". */
bool gk__reflection_dev_mode(void);

/* In dev mode, start the process's reflection server for g (once; failures are logged, the flow
 * server keeps serving). Otherwise do nothing. */
void gk__reflection_auto_start(gk_genkit *g);

/* Stop the server gk__reflection_auto_start started, if any, and give queued traces a moment to
 * reach the telemetry server. */
void gk__reflection_auto_stop(void);

/*
 * The value of query parameter key in q ("a=1&key=v%20w" -> "v w"): percent- and '+'-decoded,
 * NUL-terminated, in a. A parameter without '=' has the value "".
 * Returns: the value; NULL if key is absent, a is over its cap, or the value has a bad escape or
 *   an encoded NUL.
 */
const char *gk__reflection_query_get(gk_arena *a, gk_str q, const char *key);

#endif
