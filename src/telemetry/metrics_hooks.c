/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/metrics_hooks.c - model and tool metrics from finished spans (see
 * metrics_hooks.h), written into the process-wide registry that GET /metrics serves. */
#include "telemetry/metrics_hooks.h"

#include <string.h>

#include "server/metrics.h"

#include "base/banned.h"

static const char requests_help[] = "Model calls by model and final status";
static const char latency_help[] = "Model call latency in seconds";
static const char tokens_help[] = "Tokens reported by models, by model and kind (input, output)";
static const char tools_help[] = "Tool calls by tool and final status";

/* Series handles of recent (model, status) pairs, per thread: a model call then costs a few
 * compares instead of rendering and hashing four series keys. Stamped with the registry's epoch
 * (a reset frees the series). A NULL handle (the series could not be created) is never cached, so
 * every call still tries, as an uncached call would. */
#define MODEL_CACHE_N     8
#define MODEL_CACHE_CHARS 64

struct model_series {
    uint64_t epoch; /* 0: empty */
    gk_status st;
    size_t len;
    char model[MODEL_CACHE_CHARS];
    gk__metric *requests, *latency, *tokens_in, *tokens_out;
};

static _Thread_local struct model_series model_cache[MODEL_CACHE_N];
static _Thread_local unsigned model_cache_next;

static struct model_series *model_entry(const char *model, gk_status st)
{
    uint64_t epoch = gk__metrics_epoch();
    size_t len = strlen(model);
    if (len >= MODEL_CACHE_CHARS)
        return NULL;
    for (size_t i = 0; i < MODEL_CACHE_N; i++) {
        struct model_series *e = &model_cache[i];
        if (e->epoch == epoch && e->st == st && e->len == len && memcmp(e->model, model, len) == 0)
            return e;
    }
    struct model_series *e = &model_cache[model_cache_next++ % MODEL_CACHE_N];
    *e = (struct model_series){.epoch = epoch, .st = st, .len = len};
    memcpy(e->model, model, len + 1);
    return e;
}

static gk__metric *cached(gk__metric **slot, gk__metric_kind kind, const char *name,
                          const char *help, const char *const *labels)
{
    gk__metric *have = slot ? *slot : NULL;
    if (have)
        return have;
    gk__metric *m = gk__metrics_series(kind, name, help, labels);
    if (slot)
        *slot = m;
    return m;
}

void gk__metrics_model_call(const char *model, gk_status st, double seconds,
                            const gk_generate_response *resp)
{
    if (!model)
        return;
    struct model_series *e = model_entry(model, st);
    const char *const by_status[] = {"model", model, "status", gk_status_name(st), NULL};
    gk__metric_add(cached(e ? &e->requests : NULL, GK__METRIC_COUNTER,
                          "genkit_model_requests_total", requests_help, by_status),
                   1);
    const char *const by_model[] = {"model", model, NULL};
    gk__metric_observe(cached(e ? &e->latency : NULL, GK__METRIC_HISTOGRAM,
                              "genkit_model_latency_seconds", latency_help, by_model),
                       seconds > 0 ? seconds : 0);
    if (st != GK_OK || !resp || !resp->has_usage)
        return;
    const gk_generation_usage *u = &resp->usage;
    if (u->has_input_tokens && u->input_tokens > 0) {
        const char *const in[] = {"model", model, "kind", "input", NULL};
        gk__metric_add(cached(e ? &e->tokens_in : NULL, GK__METRIC_COUNTER,
                              "genkit_model_tokens_total", tokens_help, in),
                       u->input_tokens);
    }
    if (u->has_output_tokens && u->output_tokens > 0) {
        const char *const out[] = {"model", model, "kind", "output", NULL};
        gk__metric_add(cached(e ? &e->tokens_out : NULL, GK__METRIC_COUNTER,
                              "genkit_model_tokens_total", tokens_help, out),
                       u->output_tokens);
    }
}

void gk__metrics_tool_call(const char *tool, gk_status st)
{
    if (!tool)
        return;
    const char *const labels[] = {"tool", tool, "status", gk_status_name(st), NULL};
    gk__metrics_counter_add("genkit_tool_calls_total", tools_help, labels, 1);
}
