/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/trace_capture.h - what the span tests share: a capture callback for
 * gk__telemetry_set_capture that keeps the exported TraceData bodies (copied, NUL-terminated, the
 * first GK_TEST_CAPTURE_MAX of them), and readers of a span's attributes in a parsed TraceData. */
#ifndef GK_TESTS_SUPPORT_TRACE_CAPTURE_H
#define GK_TESTS_SUPPORT_TRACE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>

#include <genkit/json.h>

#define GK_TEST_CAPTURE_MAX 16

/* The captured bodies, in export order. Written by the exporter thread: read them after
 * gk__telemetry_flush (or the equivalent the test uses). */
typedef struct gk_test_captured {
    char *body[GK_TEST_CAPTURE_MAX];
    size_t n;
} gk_test_captured;

extern gk_test_captured gk_test_cap;

/* The callback to pass to gk__telemetry_set_capture (arg unused). */
void gk_test_capture(const char *body, size_t len, void *arg);

/* Free the captured bodies and start over. */
void gk_test_capture_reset(void);

/* A span's attribute key as a string / a true boolean (NULL / false when absent or of another
 * type), and an object's string member. */
const char *gk_test_span_str(const gk_json *span, const char *key);
bool gk_test_span_true(const gk_json *span, const char *key);
const char *gk_test_json_str(const gk_json *obj, const char *key);

#endif
