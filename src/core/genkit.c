/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/genkit.c - the genkit instance: runtime, registry and the long-lived arena that holds
 * definitions. Everything here is built before serving and released by gk_shutdown. */
#include <errno.h> /* program_invocation_short_name */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "core/core.h"
#include "core/instance.h"
#include "core/plugin_host.h"
#include "base/banned.h"

/* Definitions (names, schemas, metadata) are small; cap the instance arena well above need. */
#define INSTANCE_ARENA_CAP ((size_t)256 << 20)

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
    gk_runtime_opts ro = {.threads = opts->threads};
    g->rt = gk_runtime_new(&ro, err);
    if (!g->rt) {
        gk_shutdown(g);
        return NULL;
    }
    const char *name = opts->name;
    if (!name)
        name = program_invocation_short_name;
    g->name = gk_arena_strdup(g->arena, name ? name : "genkit");
    if (opts->default_model)
        g->default_model = gk_arena_strdup(g->arena, opts->default_model);
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
    gk_runtime_free(g->rt);
    gk__registry_release(&g->reg);
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

gk_arena *gk__genkit_arena(gk_genkit *g)
{
    return g->arena;
}
