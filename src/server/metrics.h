/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/metrics.h - the process-wide metrics registry that GET /metrics exposes in the
 * Prometheus text format, for layers that count things the flow server does not see (models,
 * tools, tokens: the telemetry layer records them from finished spans).
 *
 * A series is a metric name plus its label pairs. Recording is lock-free: each series keeps its
 * value in per-thread shards (relaxed atomics, summed at scrape), so hot paths on different loops
 * never share a cache line. Creating a series takes a mutex once; look-ups after that read a
 * lock-free table. The registry holds at most GK__METRICS_MAX_SERIES series: beyond that new
 * series are dropped (and counted in genkit_metrics_dropped_series_total), which caps the memory
 * a label with unbounded values (a user id) could take.
 *
 * Naming (Prometheus conventions): snake_case, a genkit_ prefix, base units (seconds, bytes),
 * counters end in _total. Labels are key/value string pairs, NULL-terminated:
 *     static const char *const labels[] = {"model", "openai/gpt-4o", "status", "OK", NULL};
 *     gk__metrics_counter_add("genkit_model_requests_total", "Model calls", labels, 1);
 *     gk__metrics_observe("genkit_model_latency_seconds", "Model call latency", labels, 0.42);
 * Threads: every function may be called from any thread, at any time after process start. */
#ifndef GK_SERVER_METRICS_H
#define GK_SERVER_METRICS_H

#include <genkit/buf.h>

#define GK__METRICS_MAX_SERIES 1024 /* series the registry holds */
#define GK__METRICS_MAX_LABELS 8    /* label pairs per series */
#define GK__METRICS_BUCKETS    14   /* latency buckets, seconds: GK__METRICS_BUCKET_BOUNDS */

/* Upper bounds of the histogram buckets in seconds (the +Inf bucket is implicit): from 5 ms
 * (a cached answer) to 2 minutes (a long generation). */
#define GK__METRICS_BUCKET_BOUNDS                                                                  \
    {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

typedef enum gk__metric_kind {
    GK__METRIC_COUNTER,   /* only goes up: requests, tokens */
    GK__METRIC_GAUGE,     /* goes up and down: in-flight calls */
    GK__METRIC_HISTOGRAM, /* observations in the buckets above (seconds) */
} gk__metric_kind;

typedef struct gk__metric gk__metric;

/*
 * The series name{labels}, created on first use. help is used when the metric name is new.
 *
 * Ownership: the series lives until the process ends (or gk__metrics_reset); name, help and
 *   labels are copied. Cache the handle to skip the look-up on hot paths.
 * Returns: the series; NULL if name or a label name is not a valid Prometheus name, a label
 *   value is not valid UTF-8, there are more than GK__METRICS_MAX_LABELS pairs, the name is
 *   already registered with another kind, or the registry is full.
 */
gk__metric *gk__metrics_series(gk__metric_kind kind, const char *name, const char *help,
                               const char *const *labels);

/* Add v to a counter (v >= 0; negative values are ignored) or a gauge. NULL m is a no-op. */
void gk__metric_add(gk__metric *m, double v);

/* Record one observation v (seconds) in a histogram. NULL m is a no-op. */
void gk__metric_observe(gk__metric *m, double v);

/* Look up (or create) and update in one call, for code that does not cache handles. */
void gk__metrics_counter_add(const char *name, const char *help, const char *const *labels,
                             double v);
void gk__metrics_gauge_add(const char *name, const char *help, const char *const *labels,
                           double v);
void gk__metrics_observe(const char *name, const char *help, const char *const *labels,
                         double v);

/* Write every registered series in the Prometheus text format (0.0.4), grouped by name. */
void gk__metrics_write_registry(gk_buf *b);

/* Write a label value escaped for the text format (\\, \", \n). */
void gk__metrics_put_label_value(gk_buf *b, const char *s);

/* Forget every series (tests). Context: no other thread may be recording. */
void gk__metrics_reset(void);

/* The registry's generation: starts at 1 and changes at every gk__metrics_reset. A cache of
 * series handles stamped with it is valid while it is unchanged. Threads: any thread. */
uint64_t gk__metrics_epoch(void);

#endif
