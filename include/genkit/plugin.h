/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/plugin.h - the plugin interface: a plugin is one const gk_plugin table whose init defines
 * models (and later tools, embedders, ...) through a host. Plugins include only the public headers, keep
 * their state in the host's arena (no globals), and name their actions "<plugin>/<name>".
 * Also here: logging for plugins, and the built-in plugins (gk_plugin_local).
 * Threads: plugins are initialized by gk_init, on its thread, before serving; a host is valid only
 * during its plugin's init call. */
#ifndef GENKIT_PLUGIN_H
#define GENKIT_PLUGIN_H

#include <genkit/ai.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The plugin ABI this library speaks. A table built against another ABI is refused at init.
 * Slots are only ever appended to gk_plugin; the number changes when their meaning does. */
#define GK_PLUGIN_ABI 1

typedef struct gk_plugin_host gk_plugin_host;

/*
 * A plugin: a const table, listed by the application in gk_init_opts.plugins (NULL-terminated).
 *
 * init defines the plugin's actions through host. config is the plugin's configuration (NULL when
 * the application gave none: read the environment then). Return GK_OK, or an error status with
 * err filled (gk_init then fails with it).
 */
typedef struct gk_plugin {
    int abi;          /* GK_PLUGIN_ABI */
    const char *name; /* unique among the plugins of one instance; prefixes action names */
    gk_status (*init)(gk_plugin_host *host, const gk_json *config, gk_error *err);
} gk_plugin;

/* The instance's long-lived arena: plugin state allocated here lives until gk_shutdown (register
 * cleanups for foreign objects with gk_arena_defer). */
GK_API gk_arena *gk_host_arena(gk_plugin_host *host);

/* The instance being initialized (for lookups and gk_define_* calls). */
GK_API gk_genkit *gk_host_genkit(gk_plugin_host *host);

/* The name of the plugin being initialized. */
GK_API const char *gk_host_plugin_name(const gk_plugin_host *host);

/*
 * Define a model for the plugin being initialized (gk_define_model, with the name checked).
 *
 * Returns: GK_OK; GK_INVALID_ARGUMENT if desc->name does not start with "<plugin>/" or the
 *   descriptor is incomplete; GK_ALREADY_EXISTS; GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_host_define_model(gk_plugin_host *host, const gk_model_desc *desc,
                                      gk_error *err);

/* ---- logging (plugins cannot reach the library's internal logger otherwise) ---- */

typedef enum gk_log_severity {
    GK_SEVERITY_DEBUG,
    GK_SEVERITY_INFO,
    GK_SEVERITY_WARN,
    GK_SEVERITY_ERROR,
} gk_log_severity;

/*
 * Log one record through the library's logger (stderr; level and format from GK_LOG_LEVEL and
 * GK_LOG_FORMAT). Never log secrets, prompts or bodies. Records over 4 KiB are truncated.
 * Context: any thread.
 */
GK_API void gk_log(gk_log_severity sev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Receives one item of a comma-separated list: s[0..len) (not NUL-terminated). */
typedef gk_status (*gk_listed_fn)(const char *s, size_t len, void *arg, gk_error *err);

/*
 * Call fn for each item of a comma-separated list such as "gpt-4o, o3-mini" (the GK_<PLUGIN>_MODELS
 * variables): blanks around items are trimmed and empty items skipped.
 *
 * Context: any. Returns: GK_OK (also for a NULL or empty list); else the first failing fn's status.
 */
GK_API gk_status gk_plugin_each_listed(const char *list, gk_listed_fn fn, void *arg, gk_error *err);

/* ---- built-in plugin: local ---- */

/*
 * The embedded default model: "local/default" and "local/echo", deterministic, no network.
 *
 * local/default answers a plain prompt with a fixed sentence quoting the last user message; with
 * an output schema (output.schema) it answers JSON text that is a valid instance of the schema
 * (object properties and required, arrays with minItems/maxItems, strings with enum, minLength,
 * maxLength, integers and numbers within minimum/maximum, booleans), worded from the prompt and
 * the field names. local/echo answers the last user message's text. Both stream their answer in
 * several chunks that concatenate to the final text. Scripted replies (gk_local_script) take
 * precedence, in order.
 */
GK_API extern const gk_plugin gk_plugin_local;

/* A canned reply for a local model (tests). Strings are copied by gk_local_script. */
typedef struct gk_local_reply {
    /* The final response as GenerateResponse JSON ({"message":{"role":"model","content":[...]},
     * "finishReason":"stop"}): any parts, tool requests included. NULL: use text. */
    const char *response_json;
    /* Shorthand for a model message with one text part and finishReason "stop". */
    const char *text;
    /* NULL-terminated GenerateResponseChunk JSON texts streamed before the response (only when
     * the caller streams). NULL: the response's content is streamed as one chunk. */
    const char *const *chunks;
    /* Non-OK: the call fails with this status and error_message (chunks are streamed first). */
    gk_status status;
    const char *error_message;
} gk_local_reply;

/*
 * Queue reply for the next call of local model `model` ("local/default", "local/echo") of g.
 *
 * Replies are consumed one per call, first queued first used; with none queued the model answers
 * by its rule above. The JSON texts are checked now.
 * Ownership: reply and its strings are copied. Context: any thread (the queue is locked).
 * Returns: GK_OK; GK_NOT_FOUND if g has no such local model; GK_INVALID_ARGUMENT if a JSON text
 *   is not a valid GenerateResponse / GenerateResponseChunk (err->path names where);
 *   GK_RESOURCE_EXHAUSTED.
 */
GK_API gk_status gk_local_script(gk_genkit *g, const char *model, const gk_local_reply *reply,
                                 gk_error *err);

/* Number of scripted replies not yet consumed by `model` (0 if there is no such local model). */
GK_API size_t gk_local_script_pending(gk_genkit *g, const char *model);

/* Drop the replies queued for `model`. */
GK_API void gk_local_script_clear(gk_genkit *g, const char *model);

#ifdef __cplusplus
}
#endif
#endif
