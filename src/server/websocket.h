/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/websocket.h - the WebSocket protocol (RFC 6455) without I/O: ws:// URLs, the opening
 * handshake as a client makes it (the request, the checks on the server's 101 answer), an
 * incremental frame parser (bytes in, events out: messages reassembled from fragments, pings,
 * pongs, close) and frame encoding. The reflection v2 client (reflection_v2.c) owns the socket.
 * Not here: extensions (permessage-deflate is never offered, so RSV bits are errors), subprotocols,
 * wss:// (the Genkit CLI listens on ws://localhost), a server's side of the handshake.
 * Threads: a parser belongs to its owner; the other functions are pure (gk__ws_new_key reads the
 * kernel's random source). */
#ifndef GK_SERVER_WEBSOCKET_H
#define GK_SERVER_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <genkit/buf.h>
#include <genkit/error.h>

/* Appended to the client's key before hashing (RFC 6455 section 1.3). */
#define GK__WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* The longest handshake answer (status line and headers) we read before giving up. */
#define GK__WS_MAX_HANDSHAKE ((size_t)16 << 10)

/* Opcodes (RFC 6455 section 5.2). */
enum gk__ws_opcode {
    GK__WS_OP_CONTINUATION = 0x0,
    GK__WS_OP_TEXT = 0x1,
    GK__WS_OP_BINARY = 0x2,
    GK__WS_OP_CLOSE = 0x8,
    GK__WS_OP_PING = 0x9,
    GK__WS_OP_PONG = 0xa,
};

/* Close status codes we send or report (RFC 6455 section 7.4.1). */
enum gk__ws_close_code {
    GK__WS_CLOSE_NORMAL = 1000,
    GK__WS_CLOSE_GOING_AWAY = 1001,
    GK__WS_CLOSE_PROTOCOL_ERROR = 1002,
    GK__WS_CLOSE_UNSUPPORTED = 1003,
    GK__WS_CLOSE_NO_STATUS = 1005, /* reported when a close frame carries no code; never sent */
    GK__WS_CLOSE_INVALID_DATA = 1007,
    GK__WS_CLOSE_TOO_BIG = 1009,
};

/* ---- URLs ---- */

/* A ws:// URL, split. host has no brackets (an IPv6 literal is bare); host_header is what the
 * Host header says ("localhost:3200", "[::1]:3200"); target is the path and query ("/" when the URL
 * has none). */
typedef struct gk__ws_url {
    char host[256];
    int port; /* 80 when the URL names none */
    char host_header[272];
    char target[1024];
} gk__ws_url;

/*
 * Split url ("ws://host[:port][/path][?query]") into out.
 *
 * Returns: GK_OK; GK_UNIMPLEMENTED for wss:// (no TLS client here); GK_INVALID_ARGUMENT for
 *   anything else that is not a ws:// URL with a host, an optional port 1-65535 and no user info
 *   or fragment, or whose parts are longer than out's fields. err says which part.
 */
gk_status gk__ws_url_parse(const char *url, gk__ws_url *out, gk_error *err);

/* ---- the opening handshake ---- */

/* A fresh Sec-WebSocket-Key: base64 of 16 random bytes (24 characters and a NUL). */
void gk__ws_new_key(char key[25]);

/* The Sec-WebSocket-Accept a server must answer to key: base64(SHA-1(key + GK__WS_GUID)). */
void gk__ws_accept_for(const char *key, char accept[29]);

/* Append the HTTP/1.1 upgrade request for u with key to b (check gk_buf_failed after). */
void gk__ws_handshake_request(gk_buf *b, const gk__ws_url *u, const char *key);

typedef enum gk__ws_hs_result {
    GK__WS_HS_MORE,  /* the answer's head is not complete yet: read more */
    GK__WS_HS_OK,    /* a valid 101 answer; *head_len says where the frames begin */
    GK__WS_HS_FAILED /* not an acceptable answer; err says why */
} gk__ws_hs_result;

/*
 * Check the server's answer to our handshake: p[0..n) is everything read so far.
 *
 * Valid means: "HTTP/1.1 101" status line; Upgrade: websocket; Connection with the token upgrade;
 * Sec-WebSocket-Accept equal to accept; no Sec-WebSocket-Extensions or Sec-WebSocket-Protocol
 * (we offer none); every header line well formed. Header names compare case-insensitively.
 * Returns: GK__WS_HS_MORE while the head is incomplete and shorter than GK__WS_MAX_HANDSHAKE;
 *   GK__WS_HS_OK with *head_len set (bytes past it are frames); GK__WS_HS_FAILED with err
 *   (GK_UNAVAILABLE) naming what was wrong.
 */
gk__ws_hs_result gk__ws_handshake_check(const char *p, size_t n, const char *accept,
                                        size_t *head_len, gk_error *err);

/* ---- frames in ---- */

typedef enum gk__ws_event_type {
    GK__WS_EV_NONE,    /* the input ran out before an event completed */
    GK__WS_EV_MESSAGE, /* a whole text or binary message */
    GK__WS_EV_PING,
    GK__WS_EV_PONG,
    GK__WS_EV_CLOSE, /* the peer's close frame; later input is ignored */
    GK__WS_EV_ERROR  /* a protocol violation; the parser stays failed */
} gk__ws_event_type;

/*
 * One event. data is borrowed from the parser until its next gk__ws_parse or release; for a
 * message it is NUL-terminated (so a text message can go straight to the JSON reader).
 */
typedef struct gk__ws_event {
    gk__ws_event_type type;
    bool binary;      /* MESSAGE: opcode 2 (else text, already checked to be UTF-8) */
    const char *data; /* MESSAGE, PING, PONG: the payload; CLOSE: the reason text */
    size_t len;
    int code;          /* CLOSE: the peer's status (GK__WS_CLOSE_NO_STATUS when none);
                        * ERROR: the status to close the connection with (1002, 1007, 1009) */
    const char *error; /* ERROR: what was wrong, for logs (a static string) */
} gk__ws_event;

/*
 * Incremental frame parser. Invariants: hdr holds hdr_len of the hdr_need bytes of the frame
 * header being read; remaining counts payload bytes of the current frame still to come; msg holds
 * the fragments of the message in progress (in_message) and never exceeds max_message; ctl holds
 * the current control frame's payload (at most 125 bytes); once failed or closed, nothing changes.
 */
typedef struct gk__ws_parser {
    size_t max_message;
    bool expect_masked; /* parsing a client's frames (the tests' fake server) instead of a server's
                         */
    uint8_t hdr[14];
    size_t hdr_len;
    size_t hdr_need;
    bool in_payload;
    uint8_t opcode;
    bool fin;
    bool masked;
    uint8_t mask[4];
    uint64_t remaining;
    uint64_t payload_seen;
    bool in_message;
    bool msg_binary;
    bool msg_done; /* the last event handed out msg: empty it on the next call */
    gk_buf msg;
    char ctl[126];
    size_t ctl_len;
    bool failed;
    bool closed;
    int fail_code;
    const char *fail_why;
} gk__ws_parser;

/* Prepare p for a new connection. max_message bounds a reassembled message (1009 beyond).
 * expect_masked: true to parse frames a client sends (they must be masked), false for a server's
 * (they must not be). */
void gk__ws_parser_init(gk__ws_parser *p, size_t max_message, bool expect_masked);

/* Free p's buffers; p may be initialised again. */
void gk__ws_parser_release(gk__ws_parser *p);

/*
 * Consume bytes from data[0..len) until one event completes or the input runs out.
 *
 * Call again with the rest (data + returned count) until it returns 0 bytes with EV_NONE.
 * Returns: the number of bytes consumed; *ev says what completed (EV_NONE: nothing yet). After an
 *   EV_ERROR, every later call returns 0 and the same error; after EV_CLOSE, later input is
 *   consumed and ignored.
 */
size_t gk__ws_parse(gk__ws_parser *p, const void *data, size_t len, gk__ws_event *ev);

/* ---- frames out ---- */

/*
 * Write the header of one final frame (FIN set: we never fragment what we send) with opcode and a
 * payload of len bytes into out, with the masking key mask (4 bytes) when mask is not NULL.
 * Returns: the header's length, 2 to 14 bytes.
 */
size_t gk__ws_frame_header(uint8_t out[14], enum gk__ws_opcode opcode, uint64_t len,
                           const uint8_t *mask);

/* XOR p[0..n) with mask, as bytes offset.. offset+n of a payload (RFC 6455 section 5.3). Masking
 * twice restores the bytes. */
void gk__ws_mask(void *p, size_t n, const uint8_t mask[4], uint64_t offset);

#endif
