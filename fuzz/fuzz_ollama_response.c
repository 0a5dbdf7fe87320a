/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_ollama_response.c - the ollama plugin's reply decoder, error mapping and embed
 * parser: any bytes, as a whole /api/chat body, as an NDJSON stream cut at data[0] % size and
 * again one byte at a time, as an error body and as an /api/embed body. Must give a response or a
 * status, never a crash, hang or leak. Property: the streamed result does not depend on where the
 * body was cut (a difference is a bug, so it aborts). */
#include <genkit/plugins/ollama.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gk_status on_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    size_t *n = arg;
    *n += chunk->content.count;
    /* A receiver may go away: make that happen sometimes so the path is fuzzed too. */
    if (*n > 1000)
        return GK_CANCELLED;
    return GK_OK;
}

/* Decode data streamed in pieces of step bytes (0: two pieces cut at cut); summarize the result. */
static gk_status stream(const uint8_t *data, size_t size, size_t cut, size_t step, size_t *parts,
                        gk_finish_reason *finish, size_t *chunks)
{
    gk_arena *a = gk_arena_new(64u << 20);
    gk_error err = {0};
    gk_status st = GK_RESOURCE_EXHAUSTED;
    *chunks = 0;
    gk_ollama_decoder *d = a ? gk_ollama_decoder_new(a, true, on_chunk, chunks) : NULL;
    if (d) {
        st = GK_OK;
        if (step == 0) {
            st = gk_ollama_decoder_feed(d, data, cut, &err);
            if (st == GK_OK)
                st = gk_ollama_decoder_feed(d, data + cut, size - cut, &err);
        } else {
            for (size_t off = 0; st == GK_OK && off < size; off += step)
                st = gk_ollama_decoder_feed(d, data + off, size - off < step ? size - off : step,
                                            &err);
        }
        gk_generate_response resp;
        gk_status fin = gk_ollama_decoder_finish(d, &resp, &err);
        if (st == GK_OK)
            st = fin;
        *parts = st == GK_OK ? resp.message.content.count : 0;
        *finish = st == GK_OK ? resp.finish_reason : GK_FINISH_UNKNOWN;
    }
    gk_arena_free(a);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size ? data[0] % size : 0;
    size_t p1 = 0, p2 = 0, c1 = 0, c2 = 0;
    gk_finish_reason f1 = GK_FINISH_UNKNOWN, f2 = GK_FINISH_UNKNOWN;
    gk_status s1 = stream(data, size, cut, 0, &p1, &f1, &c1);
    if (size <= 4096) {
        gk_status s2 = stream(data, size, 0, 1, &p2, &f2, &c2);
        if (s1 != s2 || p1 != p2 || f1 != f2 || c1 != c2)
            abort();
    }

    gk_arena *a = gk_arena_new(64u << 20);
    gk_ollama_decoder *d = a ? gk_ollama_decoder_new(a, false, NULL, NULL) : NULL;
    if (d) {
        gk_generate_response resp;
        gk_error err = {0};
        if (gk_ollama_decoder_feed(d, data, size, &err) == GK_OK)
            gk_ollama_decoder_finish(d, &resp, &err);
    }
    if (a) {
        gk_embed_response out;
        gk_error err = {0};
        gk_status st = gk_ollama_parse_embeddings(a, (const char *)data, size, 2, &out, &err);
        if (st == GK_OK && out.embeddings.count != 2)
            abort();
    }
    gk_arena_free(a);

    gk_error err = {0};
    gk_status st = gk_ollama_error_from_body(400, (const char *)data, size, 0, "SECRET", &err);
    if (st == GK_OK || strstr(err.message, "SECRET"))
        abort();
    return 0;
}
