/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/error.h - statuses (Genkit's 17 names, gRPC codes, HTTP codes) and gk_error, the caller-owned
 * error report. Reporting an error never allocates.
 * Threads: a gk_error belongs to its caller; the status tables are constant. */
#ifndef GENKIT_ERROR_H
#define GENKIT_ERROR_H

#include <genkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, code, http): one table for the enum, the names and the HTTP statuses. Values never change. */
#define GK_STATUS_MAP(X)           \
    X(OK, 0, 200)                  \
    X(CANCELLED, 1, 499)           \
    X(UNKNOWN, 2, 500)             \
    X(INVALID_ARGUMENT, 3, 400)    \
    X(DEADLINE_EXCEEDED, 4, 504)   \
    X(NOT_FOUND, 5, 404)           \
    X(ALREADY_EXISTS, 6, 409)      \
    X(PERMISSION_DENIED, 7, 403)   \
    X(RESOURCE_EXHAUSTED, 8, 429)  \
    X(FAILED_PRECONDITION, 9, 400) \
    X(ABORTED, 10, 409)            \
    X(OUT_OF_RANGE, 11, 400)       \
    X(UNIMPLEMENTED, 12, 501)      \
    X(INTERNAL, 13, 500)           \
    X(UNAVAILABLE, 14, 503)        \
    X(DATA_LOSS, 15, 500)          \
    X(UNAUTHENTICATED, 16, 401)

typedef enum gk_status {
#define GK__STATUS_ENUM(name, code, http) GK_##name = code,
    GK_STATUS_MAP(GK__STATUS_ENUM)
#undef GK__STATUS_ENUM
} gk_status;

#define GK_STATUS_COUNT 17

/* What went wrong, for people and programs. Fixed buffers: filling one never allocates.
 * Invariants: message and path are always NUL-terminated; path is "" or a JSON pointer. */
typedef struct gk_error {
    gk_status status;
    char message[256]; /* lower case, no final period, never a secret, header or body */
    char path[128];    /* JSON pointer to the offending input ("/items/3/qty"), or "" */
    int retry_after_ms; /* > 0 when the source asked to retry after a delay (429/503), else 0 */
} gk_error;

/*
 * Fill err (if not NULL) with status, path and a printf-style message; returns status.
 *
 * Ownership: path and the message are copied (truncated to fit).
 * Context: any.
 * Returns: status, so that `return gk_error_set(err, ...)` reads naturally.
 */
GK_API gk_status gk_error_set(gk_error *err, gk_status status, const char *path, const char *fmt,
                              ...) __attribute__((format(printf, 4, 5)));

/* Reset err to GK_OK with empty message and path. err may be NULL. */
GK_API void gk_error_clear(gk_error *err);

/* Prefix err->path with a JSON pointer segment ("/items" + "/3/qty"). Used when errors bubble up. */
GK_API void gk_error_prefix_path(gk_error *err, const char *prefix);

/* Genkit's name for status ("INVALID_ARGUMENT"; "INTERNAL" for 13), or "UNKNOWN" if out of range. */
GK_API const char *gk_status_name(gk_status status);

/* The HTTP status for status (table in the spec: INVALID_ARGUMENT -> 400, UNAVAILABLE -> 503...). */
GK_API int gk_status_http(gk_status status);

/* Parse a status name ("NOT_FOUND"; also Go's "INTERNAL_SERVER_ERROR"). Returns false if unknown. */
GK_API bool gk_status_from_name(const char *name, size_t len, gk_status *out);

/* The status a provider's HTTP error code means (400 -> INVALID_ARGUMENT, 429 -> RESOURCE_EXHAUSTED...). */
GK_API gk_status gk_status_from_http(int http_status);

#ifdef __cplusplus
}
#endif
#endif
