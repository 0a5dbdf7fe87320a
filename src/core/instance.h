/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/instance.h - the genkit instance's fields (core-private). */
#ifndef GK_CORE_INSTANCE_H
#define GK_CORE_INSTANCE_H

#include "core/config.h"
#include "core/registry.h"

struct gk_genkit {
    gk_arena *arena; /* definitions; lives until gk_shutdown */
    gk_runtime *rt;
    struct gk_registry reg;
    const char *name;
    const char *default_model; /* NULL if none */
    gk_config config;          /* genkit.yaml, when has_config */
    bool has_config;
};

#endif
