/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_http.c - the HTTP request parser (src/server/http_parse.c) as a connection drives it:
 * the input is split at data[0] % size (stream parsers break at read boundaries) and parsed as a
 * sequence of pipelined requests, each in its own arena, with small limits so that the 431/413
 * paths are reached. Any input must end in complete requests, "need more", or an error status
 * in 400..505, never a crash, hang or leak. Invariants that fail abort. */
#include <stdlib.h>
#include <string.h>

#include "server/http_parse.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const gk__http_request *r)
{
    if (!r->url.ptr || r->url.ptr[r->url.len] != '\0')
        abort();
    if (r->path.ptr < r->url.ptr && r->path.len != 1)
        abort();
    for (size_t i = 0; i < r->header_count; i++)
        if (!r->headers[i].name.ptr || !r->headers[i].value.ptr ||
            r->headers[i].value.ptr[r->headers[i].value.len] != '\0')
            abort();
    if (r->body && (r->body_len == 0 || r->body[r->body_len] != '\0'))
        abort();
    if (!r->body && r->body_len != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t cut = size ? data[0] % size : 0;
    gk__http_limits lim = {.max_header_bytes = 512, .max_body_bytes = 256, .max_headers = 16};
    gk__http_parser p;
    gk__http_parser_init(&p, &lim);
    gk_arena *a = gk_arena_new(1 << 20);
    if (!a)
        return 0;
    gk__http_begin(&p, a);

    /* Two reads, as from a socket: [0, cut) then [cut, size); each may hold several requests. */
    size_t bounds[2] = {cut, size};
    size_t off = 0;
    for (int piece = 0; piece < 2; piece++) {
        while (off < bounds[piece]) {
            size_t used = 0;
            gk__http_result res = gk__http_feed(&p, text + off, bounds[piece] - off, &used);
            if (used > bounds[piece] - off)
                abort();
            off += used;
            if (res == GK__HTTP_ERROR) {
                if (p.error_status < 400 || p.error_status > 505 || !p.error_message)
                    abort();
                gk_arena_free(a);
                return 0;
            }
            if (res == GK__HTTP_MORE) {
                if (off != bounds[piece])
                    abort();
                break;
            }
            check_request(p.req);
            gk_arena_free(a);
            a = gk_arena_new(1 << 20);
            if (!a)
                return 0;
            gk__http_begin(&p, a);
        }
    }
    gk_arena_free(a);
    return 0;
}
