/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_anthropic_response.c - the Anthropic plugin's reply parsers: any bytes, as a Messages
 * API JSON body or as a text/event-stream cut at any place, must give a response or a status,
 * never a crash, hang or leak. The first byte picks the parser (bit 0) and the stream's cut size
 * (the rest); a stream is also parsed whole, and both runs must agree on the status (a
 * difference is a bug, so it aborts). */
#include <genkit/plugins/anthropic.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gk_status count_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    size_t *n = arg;
    *n += chunk->content.count;
    /* Stop the stream now and then so that the receiver-stopped path is fuzzed too. */
    return *n > 5000 ? GK_CANCELLED : GK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    unsigned mode = data[0];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    gk_arena *a = gk_arena_new(1 << 24);
    if (!a)
        return 0;
    gk_generate_response resp;
    gk_error err = {0};
    if ((mode & 1) == 0) {
        gk_anthropic_parse_response(a, body, len, &resp, &err);
    } else {
        size_t n1 = 0;
        size_t n2 = 0;
        gk_status cut =
            gk_anthropic_parse_stream(a, body, len, (mode >> 1) + 1, count_chunk, &n1, &resp, &err);
        gk_arena *b = gk_arena_new(1 << 24);
        if (b) {
            gk_error err2 = {0};
            gk_status whole =
                gk_anthropic_parse_stream(b, body, len, 0, count_chunk, &n2, &resp, &err2);
            if (cut != whole || n1 != n2 || strcmp(err.message, err2.message) != 0)
                abort();
            gk_arena_free(b);
        }
    }
    gk_arena_free(a);
    return 0;
}
