/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/trace_capture.c - captured TraceData bodies and span readers (trace_capture.h). */
#include "support/trace_capture.h"

#include <stdlib.h>
#include <string.h>

gk_test_captured gk_test_cap;

void gk_test_capture(const char *body, size_t len, void *arg)
{
    (void)arg;
    if (gk_test_cap.n >= GK_TEST_CAPTURE_MAX)
        return;
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, body, len);
    copy[len] = '\0';
    gk_test_cap.body[gk_test_cap.n++] = copy;
}

void gk_test_capture_reset(void)
{
    for (size_t i = 0; i < gk_test_cap.n; i++)
        free(gk_test_cap.body[i]);
    gk_test_cap.n = 0;
}

const char *gk_test_span_str(const gk_json *span, const char *key)
{
    const gk_json *v = gk_json_get(gk_json_get(span, "attributes"), key);
    return v && v->type == GK_JSON_STRING ? v->str : NULL;
}

bool gk_test_span_true(const gk_json *span, const char *key)
{
    const gk_json *v = gk_json_get(gk_json_get(span, "attributes"), key);
    return v && v->type == GK_JSON_BOOL && v->boolean;
}

const char *gk_test_json_str(const gk_json *obj, const char *key)
{
    const gk_json *v = gk_json_get(obj, key);
    return v && v->type == GK_JSON_STRING ? v->str : NULL;
}
