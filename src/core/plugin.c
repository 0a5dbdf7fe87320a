/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/plugin.c - the plugin host: checks each plugin table and runs its init with a host that
 * lends the instance arena and defines actions under the plugin's name; gk_log for plugins.
 * Plugins are not unloaded: their state lives in the instance arena until gk_shutdown. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "core/core.h"
#include "core/plugin_host.h"
#include "base/banned.h"

struct gk_plugin_host {
    gk_genkit *g;
    const gk_plugin *plugin;
};

gk_arena *gk_host_arena(gk_plugin_host *host)
{
    return gk__genkit_arena(host->g);
}

gk_genkit *gk_host_genkit(gk_plugin_host *host)
{
    return host->g;
}

const char *gk_host_plugin_name(const gk_plugin_host *host)
{
    return host->plugin->name;
}

gk_status gk_host_define_model(gk_plugin_host *host, const gk_model_desc *desc, gk_error *err)
{
    const char *prefix = host->plugin->name;
    size_t n = strlen(prefix);
    if (!desc || !desc->name || strncmp(desc->name, prefix, n) != 0 || desc->name[n] != '/' ||
        !desc->name[n + 1])
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "model \"%s\" of plugin \"%s\" must be named \"%s/<model>\"",
                            desc && desc->name ? desc->name : "", prefix, prefix);
    if (!gk_define_model(host->g, desc, err))
        return err ? err->status : GK_INTERNAL;
    return GK_OK;
}

void gk_log(gk_log_severity sev, const char *fmt, ...)
{
    static const enum gk_log_level levels[] = {GK_LOG_DEBUG, GK_LOG_INFO, GK_LOG_WARN,
                                               GK_LOG_ERROR};
    enum gk_log_level lvl = (unsigned)sev < 4 ? levels[sev] : GK_LOG_ERROR;
    if (!gk__log_enabled(lvl))
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gk__log(lvl, "%s", msg);
}

/* Put "plugin "<name>": " before err's message (truncating the end if needed). */
static void prefix_message(gk_error *err, const char *name)
{
    if (!err)
        return;
    char old[sizeof(err->message)];
    memcpy(old, err->message, sizeof(old));
    gk_buf b = GK_BUF_INIT(sizeof(err->message) * 2);
    gk_buf_printf(&b, "plugin \"%s\": %s", name, old);
    if (!gk_buf_failed(&b)) {
        size_t n = b.len < sizeof(err->message) ? b.len : sizeof(err->message) - 1;
        memcpy(err->message, b.ptr, n);
        err->message[n] = '\0';
    }
    gk_buf_release(&b);
}

gk_status gk__plugins_init(gk_genkit *g, const gk_plugin *const *plugins, gk_error *err)
{
    if (!plugins)
        return GK_OK;
    for (size_t i = 0; plugins[i]; i++) {
        const gk_plugin *p = plugins[i];
        if (p->abi != GK_PLUGIN_ABI)
            return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                                "plugin #%zu (\"%s\") was built for plugin ABI %d, this library "
                                "speaks %d: rebuild it",
                                i, p->name ? p->name : "", p->abi, GK_PLUGIN_ABI);
        if (!p->name || !p->name[0] || strchr(p->name, '/') || !p->init)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "plugin #%zu needs a name without '/' and an init function", i);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(plugins[j]->name, p->name) == 0)
                return gk_error_set(err, GK_ALREADY_EXISTS, "",
                                    "plugin \"%s\" is listed twice", p->name);
        }
        gk_plugin_host host = {.g = g, .plugin = p};
        gk_error local = {0};
        gk_error *e = err ? err : &local;
        gk_error_clear(e);
        gk_status st = p->init(&host, NULL, e);
        if (st != GK_OK) {
            if (!e->message[0])
                gk_error_set(e, st, "", "init failed (%s)", gk_status_name(st));
            e->status = st;
            prefix_message(e, p->name);
            return st;
        }
    }
    return GK_OK;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

gk_status gk_plugin_each_listed(const char *list, gk_listed_fn fn, void *arg, gk_error *err)
{
    while (list && *list) {
        size_t n = strcspn(list, ",");
        const char *s = list;
        size_t len = n;
        while (len && is_blank(*s)) {
            s++;
            len--;
        }
        while (len && is_blank(s[len - 1]))
            len--;
        if (len) {
            gk_status st = fn(s, len, arg, err);
            if (st != GK_OK)
                return st;
        }
        list += n;
        if (*list == ',')
            list++;
    }
    return GK_OK;
}
