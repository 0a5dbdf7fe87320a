/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/otlp.h - OTLP/HTTP trace export in the JSON encoding: the settings (from the
 * standard OTEL_* environment variables and the config file's telemetry section), the resource
 * and scope envelope of a batch, one POST and its retry decision. Spans are serialized by
 * trace.c; the queue, batching, backoff and the exporter thread are export.c's.
 * Variables read (once, by gk__otlp_settings_new):
 *   OTEL_SDK_DISABLED=true, OTEL_TRACES_EXPORTER=none   no OTLP export
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT                  the traces URL, used as-is
 *   OTEL_EXPORTER_OTLP_ENDPOINT                         base URL; "/v1/traces" is appended
 *   OTEL_EXPORTER_OTLP_TRACES_HEADERS, OTEL_EXPORTER_OTLP_HEADERS   k=v,k2=v2 (values secret)
 *   OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, OTEL_EXPORTER_OTLP_TIMEOUT   ms per POST (default 10000)
 *   OTEL_EXPORTER_OTLP_PROTOCOL (only http/json is spoken; others are warned about)
 *   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (k=v,k2=v2, percent-decoded)
 *   OTEL_BSP_SCHEDULE_DELAY, OTEL_BSP_MAX_EXPORT_BATCH_SIZE, OTEL_BSP_MAX_QUEUE_SIZE
 * Header values never reach the log; a malformed list is discarded whole, as the spec asks.
 * Threads: settings are immutable once made and shared by reference count. */
#ifndef GK_TELEMETRY_OTLP_H
#define GK_TELEMETRY_OTLP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <genkit/arena.h>
#include <genkit/buf.h>
#include <genkit/error.h>
#include <genkit/runtime.h>

#define GK__OTLP_DEFAULT_BATCH_SPANS  512
#define GK__OTLP_DEFAULT_DELAY_MS     5000
#define GK__OTLP_DEFAULT_QUEUE_SPANS  2048
#define GK__OTLP_DEFAULT_ATTEMPTS     5
#define GK__OTLP_DEFAULT_BACKOFF_MS   500
#define GK__OTLP_MAX_BACKOFF_MS       30000
#define GK__OTLP_DEFAULT_TIMEOUT_MS   10000

/* What the program or the config file says. Zero fields fall back to the environment, then to
 * the defaults above. Strings are only read during gk__otlp_settings_new. */
typedef struct gk__otlp_config {
    const char *traces_url;          /* used as-is; wins over everything */
    const char *endpoint;            /* base URL (config file's otlp_endpoint); "/v1/traces"
                                      * appended; OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over it */
    const char *service_name;        /* NULL: OTEL_SERVICE_NAME, service.name, program name */
    const char *resource_attributes; /* NULL: OTEL_RESOURCE_ATTRIBUTES */
    const char *headers;             /* NULL: OTEL_EXPORTER_OTLP_[TRACES_]HEADERS */
    size_t batch_spans;              /* spans per POST */
    int64_t batch_delay_ms;          /* longest a finished span waits for its batch */
    size_t max_queue_spans;          /* spans waiting for export; more are dropped */
    int max_attempts;                /* POSTs per batch, first one included */
    int64_t backoff_ms;              /* first retry delay, doubled each time (capped) */
    int64_t timeout_ms;              /* per POST */
} gk__otlp_config;

/* The effective settings. Invariants: url and prefix are never NULL; headers is NULL-terminated
 * "Name: value" lines; every number is positive. */
typedef struct gk__otlp_settings {
    atomic_int refs;
    char *url;
    char **headers;
    char *prefix; /* {"resourceSpans":[{"resource":{...},"scopeSpans":[{"scope":{...},"spans":[ */
    size_t prefix_len;
    size_t batch_spans;
    int64_t batch_delay_ms;
    size_t max_queue_spans;
    int max_attempts;
    int64_t backoff_ms;
    int64_t timeout_ms;
} gk__otlp_settings;

/* The closing of a batch body after the spans. */
#define GK__OTLP_SUFFIX "]}]}]}"

/*
 * Build the settings from cfg (may be NULL) and the environment.
 *
 * Ownership: the caller owns the result (one reference): gk__otlp_settings_unref.
 * Returns: the settings, or NULL when no endpoint is configured, export is disabled, the URL is
 *   not http(s), or out of memory (the last two are logged).
 */
gk__otlp_settings *gk__otlp_settings_new(const gk__otlp_config *cfg);

/* Take / drop a reference (NULL is a no-op); the last unref frees. */
gk__otlp_settings *gk__otlp_settings_ref(gk__otlp_settings *s);
void gk__otlp_settings_unref(gk__otlp_settings *s);

/* One k=v pair of a list. */
typedef struct gk__otlp_kv {
    const char *key;
    const char *value;
} gk__otlp_kv;

/*
 * Parse a W3C-baggage-like list "k=v,k2=v2" (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS):
 * blanks around keys and values are trimmed, values are percent-decoded, empty members are
 * skipped; keys must be non-empty and decoded values valid UTF-8 without control characters.
 *
 * Ownership: *out and its strings live in a.
 * Returns: GK_OK; GK_INVALID_ARGUMENT naming the member's position (never its value) for a
 *   member without '=', an empty key, a bad %-escape or a bad value; GK_RESOURCE_EXHAUSTED.
 */
gk_status gk__otlp_parse_kv(gk_arena *a, const char *s, size_t len, gk__otlp_kv **out,
                            size_t *n_out, gk_error *err);

/* Append the body of a batch: settings' prefix, the comma-separated span objects, the suffix. */
void gk__otlp_body(gk_buf *b, const gk__otlp_settings *s, const char *spans, size_t len);

/*
 * POST one batch body to the settings' URL.
 *
 * Context: a fiber of ctx's loop. *code is the HTTP status (0 when none came);
 *   *retry_after_ms what the server asked for (0: nothing).
 * Returns: GK_OK for a 2xx answer; GK_UNAVAILABLE / GK_DEADLINE_EXCEEDED for network failures;
 *   GK_INTERNAL with *code set for other answers. err never holds header values.
 */
gk_status gk__otlp_post(gk_ctx *ctx, const gk__otlp_settings *s, const char *body, size_t len,
                        int *code, int *retry_after_ms, gk_error *err);

/* Whether a failed POST is worth retrying: network errors and timeouts, HTTP 429, 502, 503, 504
 * (the OTLP spec's retryable codes). */
bool gk__otlp_retryable(gk_status st, int code);

#endif
