/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_reflection_query.c - the reflection API's query-string reader (?id=, ?type=,
 * ?stream=): any bytes must give a value or NULL, never a crash, hang or leak. The first byte
 * picks the key. Property: a value is never longer than the query it came from (decoding only
 * shrinks), so a longer one aborts. */
#include <stdlib.h>
#include <string.h>

#include <genkit/arena.h>

#include "server/reflection.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"id", "type", "stream", "traceId"};
    if (size == 0)
        return 0;
    const char *key = keys[data[0] % 4];
    gk_arena *a = gk_arena_new(1 << 20);
    if (!a)
        return 0;
    gk_str q = {(const char *)data + 1, size - 1};
    const char *v = gk__reflection_query_get(a, q, key);
    if (v && strlen(v) > q.len)
        abort();
    gk_arena_free(a);
    return 0;
}
