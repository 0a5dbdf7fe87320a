/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/reflection_v2.h - the reflection API v2 (genkit-reference.md 4.6): instead of serving
 * HTTP, the runtime connects out to the Genkit CLI's WebSocket (GENKIT_REFLECTION_V2_SERVER), says
 * `register`, and answers JSON-RPC 2.0 requests (listActions, listValues, runAction with
 * runActionState/streamChunk notifications, cancelAction) with the runner v1 uses. It reconnects
 * with exponential backoff (500 ms doubling, at most 5 s) whenever the connection ends.
 * Threads: gk__refl_v2_new and _free on the thread that starts and stops the reflection API;
 * _start and _stop on the reflection loop's thread. */
#ifndef GK_SERVER_REFLECTION_V2_H
#define GK_SERVER_REFLECTION_V2_H

#include <genkit/flow.h>
#include <genkit/runtime.h>

typedef struct gk__refl_v2 gk__refl_v2;

/*
 * A client for url that serves g's actions and registers as runtime_id (copied).
 *
 * Resolves url's host now (the CLI's is always local), so that a bad URL fails here, not in a
 * reconnect loop.
 * Ownership: free with gk__refl_v2_free once the loop it ran on has ended.
 * Returns: the client; NULL with err: GK_UNIMPLEMENTED for wss://, GK_INVALID_ARGUMENT for a URL
 *   that is not ws://host[:port][/path] or a host that does not resolve, GK_RESOURCE_EXHAUSTED.
 */
gk__refl_v2 *gk__refl_v2_new(gk_genkit *g, const char *url, const char *runtime_id, gk_error *err);

/* Start connecting from loop (its thread, on its stack). Returns false if out of memory. */
bool gk__refl_v2_start(gk__refl_v2 *c, gk_loop *loop);

/*
 * Begin stopping (from the loop's stop hook): cancel the runs in flight, let them send their
 * "Action was cancelled" answers, then close the connection (close frame 1001) and every handle,
 * so that the loop can end. Stops a pending reconnect at once.
 */
void gk__refl_v2_stop(gk__refl_v2 *c);

/* Free c. NULL is a no-op. */
void gk__refl_v2_free(gk__refl_v2 *c);

#endif
