/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/sha1.c - SHA-1 as FIPS 180-4 section 6.1 describes it: 512-bit blocks, 80 rounds, the
 * length in bits appended big-endian after a 0x80 pad byte. Written for clarity, not speed: it
 * hashes 60 bytes per WebSocket connection. */
#include "base/sha1.h"

#include <string.h>

#include "base/banned.h"

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void compress(uint32_t h[5], const uint8_t block[64])
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
               (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
    for (int t = 16; t < 80; t++)
        w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    uint32_t a = h[0];
    uint32_t b = h[1];
    uint32_t c = h[2];
    uint32_t d = h[3];
    uint32_t e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f;
        uint32_t k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t tmp = rol(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void gk__sha1_init(gk__sha1_ctx *c)
{
    c->h[0] = 0x67452301;
    c->h[1] = 0xefcdab89;
    c->h[2] = 0x98badcfe;
    c->h[3] = 0x10325476;
    c->h[4] = 0xc3d2e1f0;
    c->len = 0;
}

void gk__sha1_update(gk__sha1_ctx *c, const void *p, size_t n)
{
    const uint8_t *in = p;
    size_t used = (size_t)(c->len % 64);
    c->len += n;
    while (n > 0) {
        size_t take = 64 - used < n ? 64 - used : n;
        memcpy(c->block + used, in, take);
        used += take;
        in += take;
        n -= take;
        if (used == 64) {
            compress(c->h, c->block);
            used = 0;
        }
    }
}

void gk__sha1_final(gk__sha1_ctx *c, uint8_t out[GK__SHA1_LEN])
{
    uint64_t bits = c->len * 8;
    size_t used = (size_t)(c->len % 64);
    c->block[used++] = 0x80;
    if (used > 56) {
        memset(c->block + used, 0, 64 - used);
        compress(c->h, c->block);
        used = 0;
    }
    memset(c->block + used, 0, 56 - used);
    for (int i = 0; i < 8; i++)
        c->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(c->h, c->block);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(c->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(c->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)c->h[i];
    }
}

void gk__sha1(const void *p, size_t n, uint8_t out[GK__SHA1_LEN])
{
    gk__sha1_ctx c;
    gk__sha1_init(&c);
    gk__sha1_update(&c, p, n);
    gk__sha1_final(&c, out);
}
