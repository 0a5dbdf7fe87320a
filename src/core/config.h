/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/config.h - genkit.yaml, genkit-c's optional configuration file (real Genkit has none:
 * this is our extension, and the Genkit tools never read it). The YAML is converted to JSON and
 * decoded by strict descriptors into gk_config: unknown keys are errors, every error reads
 * "genkit.yaml:LINE:COL: message", and environment variables override the file (PORT, HOST,
 * GK_THREADS, GK_LOG_LEVEL, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME). Secrets never appear
 * in the file: providers and auth name the environment variables that hold keys (*_env), and a
 * value that looks like a key is refused.
 *
 *     server:
 *       port: 8080            # 0 or absent: $PORT, else 3400
 *       host: 0.0.0.0
 *       threads: 2
 *       limits: {max_body_bytes: 1048576, max_header_bytes: 16384, max_connections: 10000,
 *                request_memory: 67108864}
 *       timeouts: {header_ms: 10000, body_ms: 30000, idle_ms: 60000, write_ms: 30000,
 *                  drain_ms: 10000}
 *       cors: {origins: [https://app.example.com], methods: "GET, POST", headers: "...",
 *              max_age: 600}
 *     default_model: openai/gpt-4o-mini
 *     providers:
 *       - {name: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY}
 *     telemetry: {otlp_endpoint: http://collector:4318, service_name: recipes}
 *     log_level: info         # debug | info | warn | error
 *     flows:
 *       expose: [recipe, recipeSteps]   # absent: every flow
 *       path_prefix: /api
 *       auth:
 *         - {flow: recipe, type: apikey, api_key_env: RECIPE_API_KEY}
 *         - {flow: "*", type: none}
 *     dev_ui: {reflection_port: 3100, telemetry_server: http://localhost:4033}
 *
 * Threads: load once at start, before serving; the result is read-only afterwards. */
#ifndef GK_CORE_CONFIG_H
#define GK_CORE_CONFIG_H

#include <genkit/server.h>

typedef enum gk_config_log_level {
    GK_CONFIG_LOG_DEFAULT, /* not set */
    GK_CONFIG_LOG_DEBUG,
    GK_CONFIG_LOG_INFO,
    GK_CONFIG_LOG_WARN,
    GK_CONFIG_LOG_ERROR,
} gk_config_log_level;

typedef enum gk_config_auth_type {
    GK_CONFIG_AUTH_NONE,
    GK_CONFIG_AUTH_APIKEY,
} gk_config_auth_type;

typedef struct gk_config_limits {
    int64_t max_body_bytes; /* 0: the server's default */
    int64_t max_header_bytes;
    int32_t max_connections;
    int64_t request_memory;
} gk_config_limits;

typedef struct gk_config_timeouts {
    int64_t header_ms; /* 0: the server's default */
    int64_t body_ms;
    int64_t idle_ms;
    int64_t write_ms;
    int64_t drain_ms;
} gk_config_timeouts;

typedef struct gk_config_cors {
    gk_text_array origins;
    const char *methods; /* NULL: default */
    const char *headers; /* NULL: default */
    int32_t max_age;     /* 0: default (600); -1: not sent */
} gk_config_cors;

typedef struct gk_config_server {
    const char *host; /* NULL: default */
    int32_t port;     /* 0: $PORT, else 3400 */
    int32_t threads;  /* 0: $GK_THREADS, else the number of cores */
    gk_config_limits limits;
    bool has_limits;
    gk_config_timeouts timeouts;
    bool has_timeouts;
    gk_config_cors cors;
    bool has_cors;
} gk_config_server;

typedef struct gk_config_provider {
    const char *name;        /* plugin name: "openai", "anthropic", ... */
    const char *base_url;    /* NULL: the plugin's default */
    const char *api_key_env; /* NAME of the environment variable holding the key, or NULL */
} gk_config_provider;

typedef struct gk_config_telemetry {
    const char *otlp_endpoint; /* OTLP/HTTP base URL, or NULL: no export */
    const char *service_name;  /* NULL: the program name */
} gk_config_telemetry;

typedef struct gk_config_flow_auth {
    const char *flow; /* flow name or "*" */
    gk_config_auth_type type;
    const char *api_key_env; /* required for apikey, refused for none */
} gk_config_flow_auth;

typedef struct gk_config_flows {
    gk_text_array expose;    /* NULL items: every flow */
    const char *path_prefix; /* NULL: none */
    GK_ARRAY_OF(gk_config_flow_auth) auth;
} gk_config_flows;

typedef struct gk_config_dev_ui {
    int32_t reflection_port;      /* 0: GENKIT_REFLECTION_PORT, else the first free from 3100 */
    const char *telemetry_server; /* NULL: GENKIT_TELEMETRY_SERVER */
} gk_config_dev_ui;

/* A loaded genkit.yaml. Invariant: every string and array lives in arena. */
typedef struct gk_config {
    gk_arena *arena; /* owned: gk__config_release frees it */
    gk_config_server server;
    bool has_server;
    const char *default_model;
    GK_ARRAY_OF(gk_config_provider) providers;
    gk_config_telemetry telemetry;
    bool has_telemetry;
    gk_config_log_level log_level;
    gk_config_flows flows;
    bool has_flows;
    gk_config_dev_ui dev_ui;
    bool has_dev_ui;
    /* Prepared at load for gk__config_apply_server: the apikey rules in the server's shape and
     * the CORS origins NULL-terminated. */
    gk_flow_auth *server_auth;
    size_t server_nauth;
    const char **cors_origins;
    const char **expose; /* flows.expose, NULL-terminated (NULL: every flow) */
} gk_config;

/*
 * Load genkit.yaml from path into *out, then apply the environment overrides.
 *
 * Ownership: release *out with gk__config_release (also after a failure: it is then zeroed).
 * Context: start-up, before gk_init/gk_serve.
 * Returns: GK_OK; GK_NOT_FOUND if path cannot be opened; GK_INVALID_ARGUMENT with a message
 *   "<file>:LINE:COL: ..." for bad YAML, unknown keys, wrong types, out-of-range values, a literal
 *   key where an environment variable name belongs; or "environment variable PORT: ..." for a bad
 *   override. The program should print the message and exit non-zero.
 */
gk_status gk__config_load(const char *path, gk_config *out, gk_error *err);

/* Like gk__config_load on text[0..len) (name labels messages; fuzzing and tests). */
gk_status gk__config_parse(const char *name, const char *text, size_t len, gk_config *out,
                           gk_error *err);

/*
 * Copy the server settings of cfg into o (fields cfg does not set are left alone): host, port,
 * limits, timeouts, CORS, path prefix, and the apikey auth rules. o's pointers borrow from cfg,
 * which must outlive the server's start (the server copies what it keeps).
 */
void gk__config_apply_server(const gk_config *cfg, gk_server_opts *o);

/* Free what a load made. Safe on a zeroed config. */
void gk__config_release(gk_config *cfg);

#endif
