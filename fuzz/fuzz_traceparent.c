/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_traceparent.c - the W3C traceparent header parser: any bytes must be accepted or
 * rejected, never crash or read past the value. Property: an accepted value's fields are
 * lower-case hex of the right lengths, and re-formatted as version 00 they parse to the same
 * fields (a difference aborts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/trace.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy, so that ASan catches any read past the value. */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    gk__traceparent tp;
    if (gk__traceparent_parse(copy, size, &tp)) {
        if (strlen(tp.trace_id) != 32 || strlen(tp.span_id) != 16 ||
            strspn(tp.trace_id, "0123456789abcdef") != 32 ||
            strspn(tp.span_id, "0123456789abcdef") != 16)
            abort();
        char again[GK__TRACEPARENT_SIZE];
        snprintf(again, sizeof(again), "00-%s-%s-%02x", tp.trace_id, tp.span_id, tp.flags);
        gk__traceparent tp2;
        if (!gk__traceparent_parse(again, strlen(again), &tp2) ||
            memcmp(&tp, &tp2, sizeof(tp)) != 0)
            abort();
    }
    free(copy);
    return 0;
}
