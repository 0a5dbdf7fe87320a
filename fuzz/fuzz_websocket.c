/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_websocket.c - the WebSocket protocol code (src/server/websocket.c) on any bytes: the
 * handshake answer check, the frame parser fed in pieces (stream parsers break at read
 * boundaries), and the ws:// URL splitter. The first byte picks the mode:
 *   bit 0: the input starts with a handshake answer (checked against a fixed key's accept value;
 *          the frames after a valid head are parsed too)
 *   bit 1: parse as a server parses a client's frames (masked) instead of a client
 *   bit 2: also split the input as a URL
 *   bits 3-5: piece size, 1 << n bytes
 *   bits 6-7: message limit, 16 << (2 * n) bytes (small, to reach 1009)
 * Properties (abort on violation): a message is never longer than the limit, is NUL-terminated
 * and, when text, valid UTF-8; control payloads are at most 125 bytes; an error carries 1002, 1007
 * or 1009 and stays; the parser always consumes input or reports an event. Then a frame built by
 * the encoder from the input parses back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include <genkit/json.h>

#include "server/websocket.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const gk__ws_event *ev, size_t max)
{
    switch (ev->type) {
    case GK__WS_EV_MESSAGE:
        if (ev->len > max || ev->data[ev->len] != '\0')
            abort();
        if (!ev->binary && !gk_utf8_valid(ev->data, ev->len))
            abort();
        break;
    case GK__WS_EV_PING:
    case GK__WS_EV_PONG:
        if (ev->len > 125)
            abort();
        break;
    case GK__WS_EV_CLOSE:
        if (ev->len > 123)
            abort();
        break;
    case GK__WS_EV_ERROR:
        if (ev->code != GK__WS_CLOSE_PROTOCOL_ERROR && ev->code != GK__WS_CLOSE_INVALID_DATA &&
            ev->code != GK__WS_CLOSE_TOO_BIG)
            abort();
        break;
    case GK__WS_EV_NONE:
        break;
    }
}

static void parse_frames(const uint8_t *p, size_t n, bool masked, size_t piece, size_t max)
{
    gk__ws_parser ps;
    gk__ws_parser_init(&ps, max, masked);
    size_t off = 0;
    bool failed = false;
    while (off < n) {
        size_t avail = n - off < piece ? n - off : piece;
        gk__ws_event ev;
        size_t used = gk__ws_parse(&ps, p + off, avail, &ev);
        check_event(&ev, max);
        if (failed && (ev.type != GK__WS_EV_ERROR || used != 0))
            abort(); /* errors are sticky */
        if (ev.type == GK__WS_EV_ERROR) {
            if (failed)
                break;
            failed = true;
            continue;
        }
        if (used == 0 && ev.type == GK__WS_EV_NONE)
            abort(); /* no progress */
        off += used;
    }
    gk__ws_parser_release(&ps);
}

/* Frame the input with the encoder (as our client does) and parse it back as a server would. */
static void round_trip(const uint8_t *p, size_t n)
{
    uint8_t *frame = malloc(14 + n);
    if (!frame)
        return;
    static const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    size_t h = gk__ws_frame_header(frame, GK__WS_OP_BINARY, n, mask);
    if (n)
        memcpy(frame + h, p, n);
    gk__ws_mask(frame + h, n, mask, 0);
    gk__ws_parser ps;
    gk__ws_parser_init(&ps, n + 1, true);
    gk__ws_event ev;
    size_t used = gk__ws_parse(&ps, frame, h + n, &ev);
    if (used != h + n || ev.type != GK__WS_EV_MESSAGE || ev.len != n ||
        (n && memcmp(ev.data, p, n) != 0))
        abort();
    gk__ws_parser_release(&ps);
    free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t mode = data[0];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    bool masked = (mode & 2) != 0;
    size_t piece = (size_t)1 << ((mode >> 3) & 7);
    size_t max = (size_t)16 << (2 * ((mode >> 6) & 3));
    if (mode & 4) {
        char *url = malloc(n + 1);
        if (url) {
            if (n)
                memcpy(url, p, n);
            url[n] = '\0';
            gk__ws_url u;
            gk__ws_url_parse(url, &u, NULL);
            free(url);
        }
    }
    if (mode & 1) {
        size_t head = 0;
        gk__ws_hs_result r =
            gk__ws_handshake_check((const char *)p, n, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", &head, NULL);
        if (r != GK__WS_HS_OK)
            return 0;
        if (head > n)
            abort();
        p += head;
        n -= head;
    }
    parse_frames(p, n, masked, piece, max);
    if (n <= 70000)
        round_trip(p, n);
    return 0;
}
