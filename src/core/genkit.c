/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/genkit.c - the genkit instance: runtime, registry and the long-lived arena that holds
 * definitions. Everything here is built before serving and released by gk_shutdown.
 * gk_init is the composition root of the library: besides the core it starts the telemetry
 * exporters and registers the ai layer's built-in /util/generate action, so this one file reaches
 * those layers (ARCHITECTURE.md's layering holds for every other file of src/core). */
#include <errno.h> /* program_invocation_short_name */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ai/generate.h"
#include "base/log.h"
#include "core/core.h"
#include "core/instance.h"
#include "core/plugin_host.h"
#include "runtime/sched.h"
#include "telemetry/export.h"
#include "telemetry/otlp.h"
#include "telemetry/trace.h"
#include "base/banned.h"

/* Definitions (names, schemas, metadata) are small; cap the instance arena well above need. */
#define INSTANCE_ARENA_CAP ((size_t)256 << 20)

/* Read $GENKIT_CONFIG, else ./genkit.yaml when present. A file that is named but missing, or that
 * does not validate, stops start-up: running with half a configuration is worse than not running. */
static gk_status load_config(gk_genkit *g, gk_error *err)
{
    const char *path = getenv("GENKIT_CONFIG");
    if (path && !*path)
        path = NULL;
    if (!path && access("genkit.yaml", R_OK) == 0)
        path = "genkit.yaml";
    if (!path)
        return GK_OK;
    gk_status st = gk__config_load(path, &g->config, err);
    if (st != GK_OK)
        return st;
    g->has_config = true;
    static const enum gk_log_level levels[] = {
        [GK_CONFIG_LOG_DEBUG] = GK_LOG_DEBUG,
        [GK_CONFIG_LOG_INFO] = GK_LOG_INFO,
        [GK_CONFIG_LOG_WARN] = GK_LOG_WARN,
        [GK_CONFIG_LOG_ERROR] = GK_LOG_ERROR,
    };
    /* GK_LOG_LEVEL in the environment wins over the file (the loader applied it already). */
    if (g->config.log_level != GK_CONFIG_LOG_DEFAULT)
        gk__log_configure(levels[g->config.log_level], -1, -1);
    gk__log(GK_LOG_INFO, "configuration from %s", path);
    return GK_OK;
}

gk_genkit *gk_init(const gk_init_opts *opts, gk_error *err)
{
    gk_init_opts none = {0};
    if (!opts)
        opts = &none;
    gk_genkit *g = calloc(1, sizeof(*g));
    if (!g) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    g->arena = gk_arena_new(INSTANCE_ARENA_CAP);
    if (!g->arena) {
        free(g);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    gk__registry_init(&g->reg);
    if (load_config(g, err) != GK_OK) {
        gk_shutdown(g);
        return NULL;
    }
    const gk_config *cfg = g->has_config ? &g->config : NULL;
    if (cfg && cfg->has_telemetry &&
        (cfg->telemetry.otlp_endpoint || cfg->telemetry.service_name))
        gk__telemetry_set_otlp(&(gk__otlp_config){.endpoint = cfg->telemetry.otlp_endpoint,
                                                  .service_name = cfg->telemetry.service_name});
    gk__http_set_traceparent_source(gk__trace_traceparent);
    gk_runtime_opts ro = {.threads = opts->threads};
    if (!ro.threads && cfg && cfg->has_server)
        ro.threads = cfg->server.threads;
    g->rt = gk_runtime_new(&ro, err);
    if (!g->rt) {
        gk_shutdown(g);
        return NULL;
    }
    const char *name = opts->name;
    if (!name)
        name = program_invocation_short_name;
    g->name = gk_arena_strdup(g->arena, name ? name : "genkit");
    const char *model = opts->default_model;
    if (!model && cfg)
        model = cfg->default_model;
    if (model)
        g->default_model = gk_arena_strdup(g->arena, model);
    /* The built-in actions every Genkit runtime has, before any plugin can take their keys. */
    if (gk__generate_action_define(g, err) != GK_OK) {
        gk_shutdown(g);
        return NULL;
    }
    if (gk__plugins_init(g, opts->plugins, err) != GK_OK) {
        gk_shutdown(g);
        return NULL;
    }
    return g;
}

void gk_shutdown(gk_genkit *g)
{
    if (!g)
        return;
    /* Spans still waiting for their batch would be lost with the process: send them, briefly. */
    gk__telemetry_flush(2000);
    gk_runtime_free(g->rt);
    gk__registry_release(&g->reg);
    if (g->has_config)
        gk__config_release(&g->config);
    gk_arena_free(g->arena);
    free(g);
}

gk_runtime *gk_genkit_runtime(gk_genkit *g)
{
    return g->rt;
}

void gk__genkit_freeze(gk_genkit *g)
{
    g->reg.frozen = true;
}

const char *gk__genkit_name(const gk_genkit *g)
{
    return g->name;
}

const char *gk__genkit_default_model(const gk_genkit *g)
{
    return g->default_model;
}

const gk_config *gk__genkit_config(const gk_genkit *g)
{
    return g->has_config ? &g->config : NULL;
}

gk_arena *gk__genkit_arena(gk_genkit *g)
{
    return g->arena;
}
