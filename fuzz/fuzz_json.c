/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_json.c - the JSON reader and writer: any input must parse or fail with a status, never
 * crash or leak; a document that parses must serialize to JSON that parses back to an equal tree
 * and serializes to the same bytes (a mismatch is a bug, so it aborts). The first byte picks small
 * limits so that the depth and size checks are reached too. */
#include <genkit/json.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gk_json_limits limits = {.max_depth = 32, .max_size = 1 << 20};
    if (size > 0 && data[0] == '\x01') {
        limits.max_depth = 3;
        limits.max_size = 64;
        data++;
        size--;
    }
    gk_arena *a = gk_arena_new(16 * 1024 * 1024);
    if (!a)
        return 0;
    gk_error err = {0};
    gk_json *doc = NULL;
    gk_status st = gk_json_parse(a, (const char *)data, size, &limits, &doc, &err);
    if (st != GK_OK) {
        if (doc != NULL || err.status != st || err.message[0] == '\0')
            abort();
        gk_arena_free(a);
        return 0;
    }
    if (!gk_utf8_valid((const char *)data, size))
        abort(); /* accepted invalid UTF-8 */

    gk_buf out = GK_BUF_INIT(0);
    gk_json_write(&out, doc);
    if (gk_buf_failed(&out))
        abort();
    gk_json *again = NULL;
    gk_json_limits relaxed = {.max_depth = limits.max_depth, .max_size = 8 << 20};
    st = gk_json_parse(a, out.ptr, out.len, &relaxed, &again, &err);
    if (st != GK_OK || !gk_json_equal(doc, again))
        abort();
    gk_buf out2 = GK_BUF_INIT(0);
    gk_json_write(&out2, again);
    if (out2.len != out.len || memcmp(out2.ptr, out.ptr, out.len) != 0)
        abort();
    gk_buf_release(&out2);
    gk_buf_release(&out);
    gk_arena_free(a);
    return 0;
}
