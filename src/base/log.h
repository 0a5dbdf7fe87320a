/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/log.h - structured logging to stderr, one line per record, for every layer.
 * Minimum level from GK_LOG_LEVEL (debug|info|warn|error, default info); format from
 * GK_LOG_FORMAT (json|text; default text when stderr is a terminal, json otherwise). Both are read
 * once, at the first record.
 * json: {"time":"2026-11-23T10:00:00.123Z","level":"info","msg":"...","k":"v"}
 * text: 2026-11-23T10:00:00.123Z INFO msg k=v   (values with spaces, quotes, '=' or control
 *       characters are written as JSON strings; control characters in msg are escaped)
 * NEVER log secrets: no API keys, authorization or cookie headers, request or response bodies, user
 * prompts. Log ids, names, sizes, statuses and durations.
 * Threads: safe from any thread; each record is a single write(2), so lines never interleave. */
#ifndef GK_BASE_LOG_H
#define GK_BASE_LOG_H

#include <stdbool.h>

enum gk_log_level {
    GK_LOG_DEBUG = 0,
    GK_LOG_INFO = 1,
    GK_LOG_WARN = 2,
    GK_LOG_ERROR = 3,
};

/* Log a printf-style message at lvl (dropped below the minimum level). Records longer than 16 KiB
 * are truncated. */
void gk__log(enum gk_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log msg with structured fields kv = {key, value, key, value, ..., NULL} (kv may be NULL). A NULL
 * value is written as null in json and as "-" in text, and also ends the list (so {"k", NULL} is
 * safe). Keys should be plain identifiers. Borrowed only during the call. */
void gk__log_kv(enum gk_log_level lvl, const char *msg, const char *const *kv);

/* Whether a record at lvl would be written (skip building expensive fields otherwise). */
bool gk__log_enabled(enum gk_log_level lvl);

/* Override the configuration (tests, programs with their own flags). json: 1 json, 0 text,
 * -1 keep. fd: where records go (2 = stderr); -1 keeps the current one. */
void gk__log_configure(enum gk_log_level min_level, int json, int fd);

#endif
