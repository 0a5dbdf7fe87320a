/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_tls_server.h - real TLS servers on loopback for tests of the HTTP client's
 * TLS: a throwaway PKI made at test time with the `openssl` command (two CAs, server certificates
 * for "localhost" and for another name), and `openssl s_server -WWW` serving the PKI folder (so
 * GET /hello.txt answers "HTTP/1.0 200 ok" and the file's bytes, then closes). Also a plain TCP
 * port that answers anything with an HTTP 400, as a plain HTTP server does to a TLS client hello.
 * Nothing here links a TLS library: the servers are separate processes.
 * Threads: call from the test's main thread (or a gk_blocking job). */
#ifndef GK_TESTS_TEST_TLS_SERVER_H
#define GK_TESTS_TEST_TLS_SERVER_H

#include <stdbool.h>

/* The body of /hello.txt. */
#define GK_TEST_TLS_HELLO "hello over tls\n"

typedef struct gk_test_pki gk_test_pki;
typedef struct gk_test_tls_server gk_test_tls_server;

/* Which certificate a server presents. */
typedef enum gk_test_tls_cert {
    GK_TEST_TLS_LOCALHOST,  /* signed by the trusted CA; DNS:localhost, IP:127.0.0.1 */
    GK_TEST_TLS_UNTRUSTED,  /* signed by another CA; DNS:localhost */
    GK_TEST_TLS_OTHER_NAME, /* signed by the trusted CA; DNS:other.test only */
} gk_test_tls_cert;

/* Whether the openssl command can be run; if not, why is set to a reason for a SKIP line. */
bool gk_test_tls_available(const char **why);

/* Make the PKI in a fresh temporary folder. Returns NULL (and prints why) on failure. */
gk_test_pki *gk_test_pki_new(void);

/* Remove the folder and free p. NULL is a no-op. */
void gk_test_pki_free(gk_test_pki *p);

/* Add (or replace) a file the servers serve as /<name>. Returns false if it cannot be written. */
bool gk_test_pki_add_file(gk_test_pki *p, const char *name, const char *text);

/* Path of the trusted CA's certificate (PEM), for SSL_CERT_FILE. Borrowed from p. */
const char *gk_test_pki_ca_file(const gk_test_pki *p);

/* Start `openssl s_server` on 127.0.0.1 on a free port with certificate which. Returns NULL (and
 * prints why) if it does not accept connections within 10 s. */
gk_test_tls_server *gk_test_tls_server_start(const gk_test_pki *p, gk_test_tls_cert which);

/* Kill the server and wait for it. NULL is a no-op. */
void gk_test_tls_server_stop(gk_test_tls_server *s);

int gk_test_tls_server_port(const gk_test_tls_server *s);

/* A plain TCP listener on 127.0.0.1 that reads whatever a client sends first and answers
 * "HTTP/1.1 400 Bad Request" with Connection: close, for every connection until stopped. */
typedef struct gk_test_plain_port gk_test_plain_port;
gk_test_plain_port *gk_test_plain_port_start(void);
void gk_test_plain_port_stop(gk_test_plain_port *pp);
int gk_test_plain_port_port(const gk_test_plain_port *pp);

#endif
