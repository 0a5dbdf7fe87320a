/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_proxy.h - a tiny HTTP proxy on 127.0.0.1 for the HTTP client's proxy tests:
 * CONNECT tunnels and absolute-form requests ("GET http://host:port/path HTTP/1.1"), both relayed
 * byte for byte to the origin the request names. It records each request line and the
 * Proxy-Authorization value it came with, and can insist on one (407 otherwise). One thread per
 * connection, blocking sockets, like test_http_server.h.
 * Threads: every function may be called from any thread. */
#ifndef GK_TESTS_TEST_PROXY_H
#define GK_TESTS_TEST_PROXY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gk_test_proxy gk_test_proxy;

/* Listen on a free port. require_auth: the exact Proxy-Authorization value to insist on
 * ("Basic dXNlcjpwdw=="), or NULL to take anything. Returns NULL (and prints why) on failure. */
gk_test_proxy *gk_test_proxy_start(const char *require_auth);

/* Close everything and free p. NULL is a no-op. */
void gk_test_proxy_stop(gk_test_proxy *p);

int gk_test_proxy_port(const gk_test_proxy *p);

/* Requests seen so far (one per client connection: later requests on a relayed connection are
 * not parsed). */
size_t gk_test_proxy_count(gk_test_proxy *p);

/* Request i's line ("CONNECT localhost:4433 HTTP/1.1") and Proxy-Authorization value ("" if
 * none), copied into line/auth (cap bytes each). False if i is out of range. */
bool gk_test_proxy_request(gk_test_proxy *p, size_t i, char *line, char *auth, size_t cap);

#endif
