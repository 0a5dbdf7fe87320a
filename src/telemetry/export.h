/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/export.h - where finished traces go: a bounded queue owned by the telemetry layer,
 * drained by one exporter thread (its own one-loop runtime, so request loops never wait on it)
 * that feeds two sinks: the Genkit telemetry server (each TraceData POSTed to
 * <server>/api/traces) and an OTLP/HTTP collector (finished spans batched into OTLP JSON bodies,
 * POSTed when a batch is full or has waited its delay, retried with exponential backoff on 429,
 * 502-504 and network errors). Export failures are counted and logged, never reported to flows.
 * Tests may install a capture function that receives every TraceData body synchronously instead.
 * Configuration: GENKIT_TELEMETRY_SERVER, GENKIT_ENABLE_REALTIME_TELEMETRY and the OTEL_*
 * variables (otlp.h) are read once, at first use; /api/notify may set the server when the
 * variable is not set; gk__telemetry_set_otlp sets the OTLP sink from the config file.
 * Threads: every function is safe from any thread. */
#ifndef GK_TELEMETRY_EXPORT_H
#define GK_TELEMETRY_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most bodies and bytes waiting in the queue; more are dropped (counted). */
#define GK__EXPORT_MAX_ITEMS 4096
#define GK__EXPORT_MAX_BYTES ((size_t)64 << 20)

/* True when finished traces go somewhere (a server URL, a capture, or an OTLP collector): spans
 * are then recorded with their inputs and outputs. */
bool gk__telemetry_active(void);

/* True when TraceData bodies are wanted (a Genkit telemetry server URL or a capture). */
bool gk__telemetry_genkit_active(void);

/* True when an OTLP collector is configured. */
bool gk__telemetry_otlp_active(void);

/* Configure the OTLP sink from cfg and the environment (otlp.h's precedence); cfg NULL or without
 * any endpoint (and none in the environment) turns it off. Spans already queued go with the new
 * settings. cfg is only read during the call. */
struct gk__otlp_config;
void gk__telemetry_set_otlp(const struct gk__otlp_config *cfg);

/* Queue n finished spans for OTLP export: spans is their OTLP JSON objects separated by commas
 * (no brackets). Takes ownership of spans (malloc'd). Dropped (counted) when no collector is
 * configured or the queue holds max_queue_spans already. */
void gk__telemetry_submit_otlp(char *spans, size_t len, size_t n);

/* True in realtime mode (each span posted when it starts, with endTime 0, and when it ends). */
bool gk__telemetry_realtime(void);

/* Queue one TraceData JSON body for export. Takes ownership of body (malloc'd); frees it when
 * dropped or sent. */
void gk__telemetry_submit(char *body, size_t len);

/* Export to url (POST url/api/traces); NULL or "" stops exporting (queued bodies still go to the
 * old URL). The string is copied. */
void gk__telemetry_set_server(const char *url);

/* The URL announced by the CLI's /api/notify: used unless GENKIT_TELEMETRY_SERVER is set. */
void gk__telemetry_notify_server(const char *url);

/* Copy the current server URL into out (cap bytes); "" if none. */
void gk__telemetry_server(char *out, size_t cap);

void gk__telemetry_set_realtime(bool on);

/* Deliver every body to fn(body, len, arg) on the submitting thread instead of the network (tests).
 * fn NULL removes the capture. body is borrowed for the call. */
typedef void (*gk__telemetry_capture_fn)(const char *body, size_t len, void *arg);
void gk__telemetry_set_capture(gk__telemetry_capture_fn fn, void *arg);

/* Wait until the queue is empty and no post is in flight, for at most timeout_ms; a waiting OTLP
 * batch is sent at once. Returns whether it emptied. */
bool gk__telemetry_flush(int64_t timeout_ms);

/* Stop the exporter thread (posting what is queued, each post bounded), drop the configuration
 * and the capture, and reset the counters. Idempotent; the layer may be used again afterwards. */
void gk__telemetry_shutdown(void);

/* Counters since start (or the last shutdown). */
typedef struct gk__telemetry_stats {
    uint64_t submitted; /* bodies accepted into the queue */
    uint64_t sent;      /* posts answered 2xx */
    uint64_t failed;    /* posts that failed (network error or non-2xx) */
    uint64_t dropped;   /* bodies dropped because the queue was full */
    /* The OTLP sink, counted in spans (posts for otlp_posts and otlp_retries). */
    uint64_t otlp_submitted; /* spans accepted into the queue */
    uint64_t otlp_sent;      /* spans in batches answered 2xx */
    uint64_t otlp_failed;    /* spans in batches given up on (not retryable, or out of attempts) */
    uint64_t otlp_dropped;   /* spans dropped: queue full or no collector */
    uint64_t otlp_posts;     /* POSTs made, retries included */
    uint64_t otlp_retries;   /* POSTs that were retries */
} gk__telemetry_stats;
void gk__telemetry_get_stats(gk__telemetry_stats *out);

#endif
