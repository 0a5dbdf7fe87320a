/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/error.c - gk_error and the status tables (names, HTTP codes), all generated from
 * GK_STATUS_MAP. Filling an error never allocates. */
#include <genkit/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static const char *const status_names[GK_STATUS_COUNT] = {
#define NAME(name, code, http) [code] = #name,
    GK_STATUS_MAP(NAME)
#undef NAME
};

static const short status_https[GK_STATUS_COUNT] = {
#define HTTP(name, code, http) [code] = http,
    GK_STATUS_MAP(HTTP)
#undef HTTP
};

/* Copy s into dst (size n), truncating; always NUL-terminates. */
static void copy_trunc(char *dst, size_t n, const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len >= n)
        len = n - 1;
    memcpy(dst, s ? s : "", len);
    dst[len] = '\0';
}

gk_status gk_error_set(gk_error *err, gk_status status, const char *path, const char *fmt, ...)
{
    if (!err)
        return status;
    err->status = status;
    err->retry_after_ms = 0;
    copy_trunc(err->path, sizeof(err->path), path);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        if (n < 0)
            err->message[0] = '\0';
    } else {
        err->message[0] = '\0';
    }
    return status;
}

void gk_error_clear(gk_error *err)
{
    if (!err)
        return;
    err->status = GK_OK;
    err->message[0] = '\0';
    err->path[0] = '\0';
    err->retry_after_ms = 0;
}

void gk_error_prefix_path(gk_error *err, const char *prefix)
{
    if (!err || !prefix || !*prefix)
        return;
    size_t plen = strlen(prefix);
    size_t olen = strlen(err->path);
    size_t cap = sizeof(err->path) - 1;
    if (plen >= cap) {
        copy_trunc(err->path, sizeof(err->path), prefix);
        return;
    }
    /* The prefix is the more useful part when the result does not fit: keep it whole and cut the
     * tail of the old path. */
    if (plen + olen > cap)
        olen = cap - plen;
    memmove(err->path + plen, err->path, olen);
    memcpy(err->path, prefix, plen);
    err->path[plen + olen] = '\0';
}

const char *gk_status_name(gk_status status)
{
    if ((unsigned)status >= GK_STATUS_COUNT)
        return "UNKNOWN";
    return status_names[status];
}

int gk_status_http(gk_status status)
{
    if ((unsigned)status >= GK_STATUS_COUNT)
        return 500;
    return status_https[status];
}

bool gk_status_from_name(const char *name, size_t len, gk_status *out)
{
    if (!name)
        return false;
    for (int i = 0; i < GK_STATUS_COUNT; i++) {
        if (strlen(status_names[i]) == len && memcmp(status_names[i], name, len) == 0) {
            if (out)
                *out = (gk_status)i;
            return true;
        }
    }
    /* Genkit's Go and JS SDKs call 13 "INTERNAL_SERVER_ERROR" on the wire. */
    if (len == 21 && memcmp(name, "INTERNAL_SERVER_ERROR", 21) == 0) {
        if (out)
            *out = GK_INTERNAL;
        return true;
    }
    return false;
}

/*
 * Mapping for errors returned by providers. Beyond the well-known codes: 413 (payload too large) is
 * the caller's input, 422 (unprocessable) is a validation failure, every other 4xx means the request
 * cannot succeed as sent (FAILED_PRECONDITION, not retryable), every other 5xx is a server-side
 * outage worth retrying (UNAVAILABLE, as are 502/503 and Anthropic's 529 "overloaded"). 2xx is OK;
 * anything else (1xx, 3xx, nonsense) is UNKNOWN.
 */
gk_status gk_status_from_http(int http_status)
{
    switch (http_status) {
    case 400:
    case 413:
    case 422:
        return GK_INVALID_ARGUMENT;
    case 401:
        return GK_UNAUTHENTICATED;
    case 403:
        return GK_PERMISSION_DENIED;
    case 404:
        return GK_NOT_FOUND;
    case 408:
    case 504:
        return GK_DEADLINE_EXCEEDED;
    case 409:
        return GK_ABORTED;
    case 429:
        return GK_RESOURCE_EXHAUSTED;
    case 499:
        return GK_CANCELLED;
    case 500:
        return GK_INTERNAL;
    case 501:
        return GK_UNIMPLEMENTED;
    default:
        break;
    }
    if (http_status >= 200 && http_status < 300)
        return GK_OK;
    if (http_status >= 400 && http_status < 500)
        return GK_FAILED_PRECONDITION;
    if (http_status >= 500 && http_status < 600)
        return GK_UNAVAILABLE;
    return GK_UNKNOWN;
}
