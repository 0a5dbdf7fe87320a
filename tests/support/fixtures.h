/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/fixtures.h - provider fixtures (tests/fixtures/providers/<provider>/<name>.*) loaded
 * for the plugin tests and replayed byte for byte by the loopback test server, optionally split at
 * awkward boundaries and paced. See tests/fixtures/providers/README.md for the file layout. */
#ifndef GK_TESTS_FIXTURES_H
#define GK_TESTS_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>

#include "support/test_http_server.h"

/* One fixture. Every string is NUL-terminated and owned by the fixture. */
typedef struct gk_fixture {
    char *provider;
    char *name;
    char *meta;         /* the .meta.json text */
    char *request;      /* the .request.json text, or NULL when the fixture has none */
    size_t request_len;
    char *response;     /* the response body bytes exactly as recorded (.json, .sse, .ndjson) */
    size_t response_len;
    int status;         /* meta response.status */
    bool stream;        /* meta response.stream */
    char *headers;      /* meta response.headers as "Name: value\r\n" lines ("" if none) */
    char *method;       /* meta request.method ("POST") */
    char *path;         /* meta request.path ("/v1/chat/completions") */
} gk_fixture;

/* Load provider/name from tests/fixtures/providers. Returns NULL (and prints why) if missing. */
gk_fixture *gk_fixture_load(const char *provider, const char *name);

void gk_fixture_free(gk_fixture *f);

/*
 * Queue f's response on s. split > 0 cuts the body into pieces of that many bytes, each sent by
 * its own write (so SSE events and JSON lines arrive cut at arbitrary places), with delay_ms
 * before each piece; split == 0 sends it whole. Streams are sent chunked, like the providers do.
 */
void gk_fixture_serve(gk_test_server *s, const gk_fixture *f, size_t split, int delay_ms);

/*
 * Compare two JSON texts as values (object member order ignored, numbers by value).
 * Returns true if equal; otherwise false with a short reason in why (may be NULL).
 */
bool gk_fixture_json_equal(const char *a, size_t alen, const char *b, size_t blen, char *why,
                           size_t why_len);

#endif
