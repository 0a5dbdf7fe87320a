/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/metrics_hooks.c - model and tool metrics from finished spans (see
 * metrics_hooks.h), written into the process-wide registry that GET /metrics serves. */
#include "telemetry/metrics_hooks.h"

#include "server/metrics.h"

#include "base/banned.h"

static const char requests_help[] = "Model calls by model and final status";
static const char latency_help[] = "Model call latency in seconds";
static const char tokens_help[] = "Tokens reported by models, by model and kind (input, output)";
static const char tools_help[] = "Tool calls by tool and final status";

void gk__metrics_model_call(const char *model, gk_status st, double seconds,
                            const gk_generate_response *resp)
{
    if (!model)
        return;
    const char *const by_status[] = {"model", model, "status", gk_status_name(st), NULL};
    gk__metrics_counter_add("genkit_model_requests_total", requests_help, by_status, 1);
    const char *const by_model[] = {"model", model, NULL};
    gk__metrics_observe("genkit_model_latency_seconds", latency_help, by_model,
                        seconds > 0 ? seconds : 0);
    if (st != GK_OK || !resp || !resp->has_usage)
        return;
    const gk_generation_usage *u = &resp->usage;
    if (u->has_input_tokens && u->input_tokens > 0) {
        const char *const in[] = {"model", model, "kind", "input", NULL};
        gk__metrics_counter_add("genkit_model_tokens_total", tokens_help, in, u->input_tokens);
    }
    if (u->has_output_tokens && u->output_tokens > 0) {
        const char *const out[] = {"model", model, "kind", "output", NULL};
        gk__metrics_counter_add("genkit_model_tokens_total", tokens_help, out, u->output_tokens);
    }
}

void gk__metrics_tool_call(const char *tool, gk_status st)
{
    if (!tool)
        return;
    const char *const labels[] = {"tool", tool, "status", gk_status_name(st), NULL};
    gk__metrics_counter_add("genkit_tool_calls_total", tools_help, labels, 1);
}
