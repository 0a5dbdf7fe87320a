/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_otlp_kv.c - the k=v list parser behind OTEL_RESOURCE_ATTRIBUTES and
 * OTEL_EXPORTER_OTLP_HEADERS: any bytes must give pairs or a status, never a crash, hang or leak.
 * Properties: every key is non-empty; no key or value holds a control character or invalid
 * UTF-8, or is longer than the input (decoding only shrinks); a violation aborts. */
#include <stdlib.h>
#include <string.h>

#include <genkit/json.h>

#include "telemetry/otlp.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max || !gk_utf8_valid(s, n))
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gk_arena *a = gk_arena_new(1 << 24);
    if (!a)
        return 0;
    char *copy = malloc(size ? size : 1);
    if (copy) {
        if (size)
            memcpy(copy, data, size);
        gk__otlp_kv *kv = NULL;
        size_t n = 0;
        gk_error err = {0};
        if (gk__otlp_parse_kv(a, copy, size, &kv, &n, &err) == GK_OK) {
            for (size_t i = 0; i < n; i++) {
                if (!kv[i].key[0])
                    abort();
                check(kv[i].key, size);
                check(kv[i].value, size);
            }
        } else if (n != 0 || !err.message[0]) {
            abort();
        }
        free(copy);
    }
    gk_arena_free(a);
    return 0;
}
