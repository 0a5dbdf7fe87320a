/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_formats.c - the output-format parsers (gk_output_parse): any model reply, final and
 * partial, in every format, must give a value or a status, never a crash, hang or leak. The first
 * byte picks the format; every prefix at a few cut points is also parsed as a streaming partial,
 * and a partial parse of the whole text must succeed whenever the final parse does. */
#include <stdlib.h>
#include <string.h>

#include <genkit/ai.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    gk_output_format f = (gk_output_format)(1 + data[0] % 5);
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    gk_arena *a = gk_arena_new(0);
    if (!a)
        return 0;
    const gk_json *v = NULL;
    gk_error err = {0};
    gk_status final = gk_output_parse(a, f, text, len, false, &v, &err);
    if (final == GK_OK && !v)
        abort();
    for (size_t cut = 0; cut <= len; cut += len / 7 + 1) {
        gk_status st = gk_output_parse(a, f, text, cut, true, &v, &err);
        if (st != GK_OK && st != GK_RESOURCE_EXHAUSTED)
            abort();
    }
    gk_status st = gk_output_parse(a, f, text, len, true, &v, &err);
    if (st != GK_OK && st != GK_RESOURCE_EXHAUSTED)
        abort();
    gk_arena_free(a);
    return 0;
}
