/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/base64.h - base64 encoding (RFC 4648 section 4: the standard alphabet with '+' and '/',
 * '=' padding), as the WebSocket handshake's key and accept values use it. No decoder: nothing of
 * ours reads base64 yet. Threads: pure functions. */
#ifndef GK_BASE_BASE64_H
#define GK_BASE_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* The encoded length of n bytes, padding included, not counting a NUL: 4 * ceil(n / 3). Returns
 * false (and leaves *out alone) if that does not fit a size_t. */
bool gk__base64_len(size_t n, size_t *out);

/*
 * Encode p[0..n) into out and NUL-terminate it.
 *
 * Ownership: out has room for the gk__base64_len(n) characters plus the NUL (the caller checked
 *   that length). Returns: the number of characters written, the NUL excluded.
 */
size_t gk__base64_encode(const void *p, size_t n, char *out);

#endif
