/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/sha1_test.c - SHA-1 against the FIPS 180 examples and padding boundaries (55, 56, 63,
 * 64, 65 bytes: the length field fits the last block or needs one more), piecewise feeding, and
 * the RFC 6455 handshake example (SHA-1 then base64). */
#include "base/sha1.h"

#include <stdlib.h>

#include "base/base64.h"
#include "base/ids.h"
#include "test.h"

static const char *hex_sha1(const void *p, size_t n, char out[41])
{
    uint8_t d[GK__SHA1_LEN];
    gk__sha1(p, n, d);
    gk__hex(d, sizeof(d), out);
    return out;
}

TEST(sha1_matches_the_fips_180_examples)
{
    char h[41];
    static const char two_blocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    EXPECT_STREQ(hex_sha1("", 0, h), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_STREQ(hex_sha1("abc", 3, h), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_STREQ(hex_sha1(two_blocks, strlen(two_blocks), h),
                 "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    EXPECT_STREQ(hex_sha1("The quick brown fox jumps over the lazy dog", 43, h),
                 "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

TEST(sha1_pads_correctly_at_block_boundaries)
{
    static const struct {
        size_t n;
        const char *want;
    } cases[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
    };
    char a[65];
    memset(a, 'a', sizeof(a));
    char h[41];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        EXPECT_STREQ(hex_sha1(a, cases[i].n, h), cases[i].want);
}

TEST(sha1_gives_the_same_digest_whatever_the_pieces)
{
    size_t n = 1000000;
    char *a = malloc(n);
    ASSERT_TRUE(a);
    memset(a, 'a', n);
    gk__sha1_ctx c;
    gk__sha1_init(&c);
    size_t off = 0;
    for (size_t step = 1; off < n; step = step * 7 % 131 + 1) {
        size_t take = step < n - off ? step : n - off;
        gk__sha1_update(&c, a + off, take);
        off += take;
    }
    uint8_t d[GK__SHA1_LEN];
    gk__sha1_final(&c, d);
    char h[41];
    gk__hex(d, sizeof(d), h);

    EXPECT_STREQ(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    EXPECT_STREQ(hex_sha1(a, n, h), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(a);
}

TEST(sha1_then_base64_gives_the_rfc_6455_accept_value)
{
    static const char in[] = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t d[GK__SHA1_LEN];
    char out[29];

    gk__sha1(in, strlen(in), d);
    size_t n = gk__base64_encode(d, sizeof(d), out);

    EXPECT_EQ(n, 28);
    EXPECT_STREQ(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}
