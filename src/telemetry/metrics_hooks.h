/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/metrics_hooks.h - the model and tool metrics, recorded when a model or tool span
 * ends (trace.c calls these for every such span, traced or not: metrics are always on):
 *   genkit_model_requests_total{model,status}   counter
 *   genkit_model_latency_seconds{model}         histogram
 *   genkit_model_tokens_total{model,kind}       counter, kind "input" | "output"
 *   genkit_tool_calls_total{tool,status}        counter
 * status is the Genkit status name ("OK", "UNAVAILABLE"...). Cost: a series look-up and a few
 * relaxed atomic adds per call; nothing is encoded.
 * Threads: any thread. */
#ifndef GK_TELEMETRY_METRICS_HOOKS_H
#define GK_TELEMETRY_METRICS_HOOKS_H

#include <genkit/ai.h>
#include <genkit/error.h>

/* Record one model call of model that ended with st after seconds. resp (may be NULL: a failed
 * call) gives the token usage; it is only read during the call. */
void gk__metrics_model_call(const char *model, gk_status st, double seconds,
                            const gk_generate_response *resp);

/* Record one tool call of tool that ended with st. */
void gk__metrics_tool_call(const char *tool, gk_status st);

#endif
