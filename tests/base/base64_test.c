/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/base64_test.c - base64 against the RFC 4648 section 10 vectors, every byte value
 * (the whole alphabet and both padding forms), and the length helper's overflow check. */
#include "base/base64.h"

#include <stdint.h>

#include "test.h"

TEST(base64_matches_the_rfc_4648_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const want[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        size_t len = 0;
        ASSERT_TRUE(gk__base64_len(strlen(in[i]), &len));
        EXPECT_EQ(len, strlen(want[i]));
        EXPECT_EQ(gk__base64_encode(in[i], strlen(in[i]), out), strlen(want[i]));
        EXPECT_STREQ(out, want[i]);
    }
}

TEST(base64_uses_the_standard_alphabet_for_every_byte)
{
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    char out[345];

    size_t n = gk__base64_encode(all, 256, out);

    EXPECT_EQ(n, 344);
    EXPECT_EQ(strncmp(out, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v", 64),
              0);
    EXPECT_STREQ(out + 320, "8PHy8/T19vf4+fr7/P3+/w==");
    uint8_t hi[3] = {0xfb, 0xff, 0xbf};
    gk__base64_encode(hi, 3, out);
    EXPECT_STREQ(out, "+/+/");
}

TEST(base64_length_refuses_sizes_that_overflow)
{
    size_t len = 7;
    EXPECT_FALSE(gk__base64_len(SIZE_MAX, &len));
    EXPECT_EQ(len, 7);
    EXPECT_TRUE(gk__base64_len(SIZE_MAX / 4 * 3, &len));
    EXPECT_EQ(len, SIZE_MAX / 4 * 4);
}
