/* SPDX-License-Identifier: Apache-2.0 */
/* src/telemetry/export.h - where finished traces go: a bounded queue owned by the telemetry layer,
 * drained by an exporter thread (its own one-loop runtime, so request loops never wait on it) that
 * POSTs each TraceData to <telemetry server>/api/traces with the runtime's HTTP client. Export
 * failures are counted and logged, never reported to flows. Tests may install a capture function
 * that receives every body synchronously instead.
 * Configuration: GENKIT_TELEMETRY_SERVER and GENKIT_ENABLE_REALTIME_TELEMETRY are read once, at
 * first use; /api/notify may set the server when the variable is not set.
 * Threads: every function is safe from any thread. */
#ifndef GK_TELEMETRY_EXPORT_H
#define GK_TELEMETRY_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most bodies and bytes waiting in the queue; more are dropped (counted). */
#define GK__EXPORT_MAX_ITEMS 4096
#define GK__EXPORT_MAX_BYTES ((size_t)64 << 20)

/* True when finished traces go somewhere (a server URL or a capture): spans are then recorded
 * with their inputs and outputs. */
bool gk__telemetry_active(void);

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

/* Wait until the queue is empty and no post is in flight, for at most timeout_ms. Returns whether
 * it emptied. */
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
} gk__telemetry_stats;
void gk__telemetry_get_stats(gk__telemetry_stats *out);

#endif
