/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/ws_server.h - a tiny WebSocket server on 127.0.0.1 that plays the Genkit CLI's
 * side of reflection API v2 for the tests: it listens, the runtime connects to it. Blocking sockets
 * with timeouts, driven step by step from the test's own thread (the runtime under test runs on
 * its own thread); one client connection at a time. Its frame reader is written here, not taken
 * from src/server/websocket.c, so that the two check each other; it only borrows the SHA-1 and
 * base64 functions, which have their own known-vector tests.
 * Threads: one thread drives a server. */
#ifndef GK_TESTS_WS_SERVER_H
#define GK_TESTS_WS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gk_test_ws gk_test_ws;

/* Listen on 127.0.0.1 on a free port. Returns NULL (and prints why) if that fails. */
gk_test_ws *gk_test_ws_start(void);

/* Close the connection and the listener, free s. NULL is a no-op. */
void gk_test_ws_stop(gk_test_ws *s);

/* "ws://127.0.0.1:<port>/" (borrowed from s) and the port. */
const char *gk_test_ws_url(const gk_test_ws *s);
int gk_test_ws_port(const gk_test_ws *s);

/*
 * Wait up to timeout_ms for the next client, read its handshake request and answer it: a valid
 * 101 when answer is NULL, else the bytes of answer as they are (to test bad handshakes). A
 * connection still open is dropped first.
 * Returns: true when a client connected and its request was complete.
 */
bool gk_test_ws_accept(gk_test_ws *s, int timeout_ms, const char *answer);

/* The last handshake request's head ("GET / HTTP/1.1\r\n..."), "" before any. Borrowed. */
const char *gk_test_ws_request(const gk_test_ws *s);

/*
 * The next text message (fragments joined), malloc'd and NUL-terminated: the caller frees it.
 * Pings get their pong, pongs are skipped. A close frame is answered and ends the connection.
 * Returns: NULL on timeout, close or a malformed frame.
 */
char *gk_test_ws_recv(gk_test_ws *s, int timeout_ms);

/*
 * The next frame as it is: its opcode (or -1 on timeout, EOF or a malformed frame), *payload
 * malloc'd (caller frees; may be NULL when len is 0) and *len.
 */
int gk_test_ws_recv_frame(gk_test_ws *s, int timeout_ms, char **payload, size_t *len);

/* Send a text message, or any frame (server frames are never masked), or raw bytes. Return
 * whether every byte was written. */
bool gk_test_ws_send_text(gk_test_ws *s, const char *text);
bool gk_test_ws_send_frame(gk_test_ws *s, int opcode, bool fin, const void *p, size_t n);
bool gk_test_ws_send_raw(gk_test_ws *s, const void *p, size_t n);

/* Close the client's connection at once, without a close frame (the CLI going away). */
void gk_test_ws_drop(gk_test_ws *s);

/* Read (and drop) frames until the client closes the TCP connection. Returns whether it did
 * within timeout_ms. */
bool gk_test_ws_wait_eof(gk_test_ws *s, int timeout_ms);

/* True if any frame the client sent was not masked (RFC 6455 requires client masking). */
bool gk_test_ws_saw_unmasked(const gk_test_ws *s);

/* The close code of the last close frame the client sent (0: none yet, 1005: none in it). */
int gk_test_ws_close_code(const gk_test_ws *s);

#endif
