/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_openai_response.c - the openai plugin's parsers: chat.completion bodies,
 * chat.completion.chunk SSE streams and /embeddings bodies. Any bytes must give a response or a
 * status, never a crash, hang or leak. data[0] picks the parser; for streams data[1] picks a split,
 * and the property is that a stream fed whole and fed in pieces gives the same status and the same
 * response (a difference is a bug, so it aborts); for embeddings data[1] % 4 is the input count. */
#include <genkit/plugins/openai.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The response as JSON (without raw) into out, or "" when st is not OK. */
static void render(gk_status st, gk_generate_response *resp, gk_buf *out)
{
    gk_buf_printf(out, "%d:", (int)st);
    if (st != GK_OK)
        return;
    resp->raw = NULL;
    gk_jw w;
    gk_jw_init(&w, out);
    gk_encode(&w, GK_TYPE_OF(gk_generate_response), resp);
}

static gk_status count_chunk(const gk_generate_response_chunk *chunk, void *arg)
{
    size_t *n = arg;
    *n += chunk->content.count;
    return GK_OK;
}

static void stream(const char *body, size_t len, size_t split)
{
    gk_buf whole = GK_BUF_INIT(1 << 24);
    gk_buf pieces = GK_BUF_INIT(1 << 24);
    gk_arena *a = gk_arena_new(0);
    gk_arena *b = gk_arena_new(0);
    gk_generate_response ra;
    gk_generate_response rb;
    gk_error ea = {0};
    gk_error eb = {0};
    size_t na = 0;
    size_t nb = 0;
    gk_status sa = gk_openai_parse_stream(a, body, len, 0, count_chunk, &na, &ra, &ea);
    gk_status sb = gk_openai_parse_stream(b, body, len, split, count_chunk, &nb, &rb, &eb);
    render(sa, &ra, &whole);
    render(sb, &rb, &pieces);
    bool same = whole.len == pieces.len &&
                (whole.len == 0 || memcmp(whole.ptr, pieces.ptr, whole.len) == 0);
    bool same_err = strcmp(ea.message, eb.message) == 0 && na == nb;
    gk_buf_release(&whole);
    gk_buf_release(&pieces);
    gk_arena_free(a);
    gk_arena_free(b);
    if (!same || !same_err)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const char *body = (const char *)data + 2;
    size_t len = size - 2;
    switch (data[0] % 3) {
    case 0: {
        gk_arena *a = gk_arena_new(0);
        gk_generate_response resp;
        gk_error err = {0};
        if (gk_openai_parse_response(a, body, len, &resp, &err) == GK_OK) {
            gk_buf out = GK_BUF_INIT(1 << 24);
            render(GK_OK, &resp, &out);
            gk_buf_release(&out);
        }
        gk_arena_free(a);
        break;
    }
    case 1:
        stream(body, len, (size_t)data[1] % 17 + 1);
        break;
    default: {
        gk_arena *a = gk_arena_new(0);
        gk_embed_response out;
        gk_error err = {0};
        gk_openai_parse_embeddings(a, body, len, data[1] % 4, &out, &err);
        gk_arena_free(a);
        break;
    }
    }
    return 0;
}
