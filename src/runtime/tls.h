/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/tls.h - TLS client sessions for the native HTTP client, over memory: the caller
 * moves ciphertext between a session and its socket (gk__tls_input in, an output gk_buf out), so a
 * session never blocks, never owns a socket and fits any event loop. Implemented by
 * tls_mbedtls.c, the only file that includes mbedTLS.
 * Policy, not options: TLS 1.2 or newer, ALPN "http/1.1", SNI, certificate chain and host name
 * always verified against the process's CA store. The store is loaded once per process, at the
 * first gk__tls_loop_new, from $SSL_CERT_FILE, else every file in $SSL_CERT_DIR, else the first of
 * the usual bundle paths; it is shared read-only by every loop.
 * Threads: a gk__tls_loop (random generator, configuration) and its sessions belong to one loop's
 * thread. Context: the loop's own stack (record processing and the handshake's public-key
 * arithmetic need more stack than a fiber has). */
#ifndef GK_RUNTIME_TLS_H
#define GK_RUNTIME_TLS_H

#include <genkit/buf.h>
#include <genkit/error.h>

typedef struct gk__tls_loop gk__tls_loop;
typedef struct gk__tls gk__tls;

typedef enum gk__tls_result {
    GK__TLS_OK = 0,     /* done (handshake complete; bytes decrypted) */
    GK__TLS_WANT = 1,   /* needs more input from the peer: feed gk__tls_input, call again */
    GK__TLS_CLOSED = 2, /* the peer closed the session (close_notify) */
    GK__TLS_ERROR = -1, /* err says why; the session is unusable */
} gk__tls_result;

/*
 * Per-loop TLS state: a random generator seeded from getrandom(2) and the client configuration.
 * The first call of the process loads the CA store; its outcome, success or failure, holds for the
 * life of the process (gk__tls_forget_ca aside).
 * Ownership: free with gk__tls_loop_free, after every session made from it.
 * Returns: the state; NULL with err set: GK_UNAVAILABLE "no CA bundle found: set SSL_CERT_FILE"
 *   or "cannot load CA bundle <path>: <reason>"; GK_RESOURCE_EXHAUSTED; GK_INTERNAL if the random
 *   generator cannot be seeded.
 */
gk__tls_loop *gk__tls_loop_new(gk_error *err);

/* Release l. NULL is a no-op. */
void gk__tls_loop_free(gk__tls_loop *l);

/*
 * A client session for host (a DNS name or an IP literal without brackets; copied), whose
 * ciphertext output is appended to out (borrowed: it must outlive the session; the caller writes
 * it to the socket after each call and resets it).
 * Returns: the session; NULL with err set (GK_RESOURCE_EXHAUSTED, GK_INVALID_ARGUMENT for a host
 *   name TLS cannot carry).
 */
gk__tls *gk__tls_new(gk__tls_loop *l, const char *host, gk_buf *out, gk_error *err);

/* Release s (no close_notify is sent). NULL is a no-op. */
void gk__tls_free(gk__tls *s);

/* Ciphertext received from the peer (copied). Returns false if out of memory. */
bool gk__tls_input(gk__tls *s, const void *data, size_t len);

/*
 * Drive the handshake with the input so far.
 * Returns: GK__TLS_OK once it is complete and the peer verified; GK__TLS_WANT; GK__TLS_ERROR with
 *   err: GK_UNAVAILABLE "TLS: certificate verification failed for host X: <reasons>" or
 *   "TLS: handshake with X failed: <reason>".
 */
gk__tls_result gk__tls_handshake(gk__tls *s, gk_error *err);

/* Encrypt len bytes (after the handshake) into out. Returns GK__TLS_OK or GK__TLS_ERROR. */
gk__tls_result gk__tls_write(gk__tls *s, const void *data, size_t len, gk_error *err);

/*
 * Decrypt into buf (cap bytes; a record is at most 16 KiB).
 * Returns: GK__TLS_OK with *n > 0 bytes; GK__TLS_WANT (*n = 0) when the input so far holds no
 *   complete record; GK__TLS_CLOSED; GK__TLS_ERROR with err.
 */
gk__tls_result gk__tls_read(gk__tls *s, void *buf, size_t cap, size_t *n, gk_error *err);

/* Whether s holds input not yet decrypted or read (so the connection is not idle). */
bool gk__tls_has_pending(const gk__tls *s);

/* Test hook: forget the process's CA store (loaded or failed) so that the next gk__tls_loop_new
 * loads it again, e.g. after changing SSL_CERT_FILE. Only while no loop has TLS state. */
void gk__tls_forget_ca(void);

#endif
