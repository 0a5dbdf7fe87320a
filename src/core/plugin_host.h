/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/plugin_host.h - running the plugins' init functions for gk_init (core-private). */
#ifndef GK_CORE_PLUGIN_HOST_H
#define GK_CORE_PLUGIN_HOST_H

#include <genkit/plugin.h>

/*
 * Initialize each plugin of the NULL-terminated list, in order: check its ABI and name, reject a
 * name used twice, then call its init with a host over g and a NULL config.
 *
 * plugins may be NULL (no plugins). Stops at the first failure.
 * Context: gk_init, before serving.
 * Returns: GK_OK; GK_FAILED_PRECONDITION for an ABI mismatch; GK_INVALID_ARGUMENT for a missing
 *   name or init; GK_ALREADY_EXISTS for a duplicate plugin name; else the failing init's status,
 *   with err's message prefixed by "plugin \"<name>\": ".
 */
gk_status gk__plugins_init(gk_genkit *g, const gk_plugin *const *plugins, gk_error *err);

#endif
