/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/sha1.h - SHA-1 (FIPS 180-4) of a byte string. Used only where a protocol names it (the
 * WebSocket handshake's Sec-WebSocket-Accept); never for anything that needs collision resistance,
 * which SHA-1 no longer has. Threads: pure functions. */
#ifndef GK_BASE_SHA1_H
#define GK_BASE_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define GK__SHA1_LEN 20

/* Running state of one digest. Invariants: len counts the bytes fed so far; block holds the
 * len % 64 bytes not yet compressed. */
typedef struct gk__sha1_ctx {
    uint32_t h[5];
    uint64_t len;
    uint8_t block[64];
} gk__sha1_ctx;

void gk__sha1_init(gk__sha1_ctx *c);

/* Feed p[0..n). Inputs of any length (below 2^61 bytes in all) may be fed in any pieces. */
void gk__sha1_update(gk__sha1_ctx *c, const void *p, size_t n);

/* Write the 20-byte digest of everything fed to out. c must be initialised again before reuse. */
void gk__sha1_final(gk__sha1_ctx *c, uint8_t out[GK__SHA1_LEN]);

/* The digest of p[0..n) in one call. */
void gk__sha1(const void *p, size_t n, uint8_t out[GK__SHA1_LEN]);

#endif
