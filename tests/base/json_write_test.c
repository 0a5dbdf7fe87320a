/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/json_write_test.c - the JSON writer: escaping, numbers, trees, the streaming writer,
 * and parse -> write -> parse round trips. */
#include <genkit/json.h>

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

/* Escape s[0..n) and compare with want. */
#define EXPECT_ESCAPED(s, n, want)                                                                 \
    do {                                                                                           \
        gk_buf esc_buf_ = GK_BUF_INIT(0);                                                                \
        gk_json_write_string(&esc_buf_, (s), (n));                                                       \
        EXPECT_STREQ(esc_buf_.ptr, (want));                                                              \
        gk_buf_release(&esc_buf_);                                                                       \
    } while (0)

TEST(json_write_string_escapes_what_json_requires)
{
    EXPECT_ESCAPED("", 0, "\"\"");
    EXPECT_ESCAPED("plain", 5, "\"plain\"");
    EXPECT_ESCAPED("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    EXPECT_ESCAPED("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    EXPECT_ESCAPED("\x01\x1f\x0b", 3, "\"\\u0001\\u001f\\u000b\"");
    EXPECT_ESCAPED("a\0b", 3, "\"a\\u0000b\"");
    EXPECT_ESCAPED("\x7f", 1, "\"\x7f\"");
    EXPECT_ESCAPED("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12, "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    EXPECT_ESCAPED("a\xe2\x80\xa8z\xe2\x80\xa9", 8, "\"a\\u2028z\\u2029\"");
    EXPECT_ESCAPED("\xe2\x80\xa7", 3, "\"\xe2\x80\xa7\"");
}

static const char *write_tree(const char *json)
{
    static char out[4096];
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    gk_error err = {0};
    if (gk_json_parse(a, json, strlen(json), NULL, &doc, &err) != GK_OK) {
        gk_arena_free(a);
        snprintf(out, sizeof(out), "%s", err.message);
        return out;
    }
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, doc);
    snprintf(out, sizeof(out), "%s", b.ptr ? b.ptr : "(null)");
    gk_buf_release(&b);
    gk_arena_free(a);
    return out;
}

TEST(json_write_tree_is_compact_and_keeps_number_text)
{
    EXPECT_STREQ(write_tree(" { \"a\" : [ 1 , 2.50 , -0 , 1E+2 , 9007199254740993 ] , \"b\" : { } } "),
                 "{\"a\":[1,2.50,-0,1E+2,9007199254740993],\"b\":{}}");
    EXPECT_STREQ(write_tree("[true,false,null,\"\\u00e9\\n\",[]]"),
                 "[true,false,null,\"\xc3\xa9\\n\",[]]");
    EXPECT_STREQ(write_tree("{\"k\\u0000\\\"\":\"\\/\"}"), "{\"k\\u0000\\\"\":\"/\"}");
    EXPECT_STREQ(write_tree("\"\\u2028\""), "\"\\u2028\"");
}

TEST(json_write_constructed_values)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *o = gk_json_new_object(a);
    gk_json_object_set(a, o, "i", gk_json_new_int(a, INT64_MIN));
    gk_json_object_set(a, o, "d", gk_json_new_double(a, 0.1));
    gk_json_object_set(a, o, "nan", gk_json_new_double(a, NAN));
    gk_json_object_set(a, o, "inf", gk_json_new_double(a, -INFINITY));
    gk_json_object_set(a, o, "s", gk_json_new_string(a, "x\ty", 3));
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, o);
    EXPECT_STREQ(b.ptr, "{\"i\":-9223372036854775808,\"d\":0.1,\"nan\":null,\"inf\":null,\"s\":\"x\\ty\"}");
    gk_buf_reset(&b);
    gk_json_write(&b, NULL);
    EXPECT_STREQ(b.ptr, "null");
    gk_buf_release(&b);
    gk_arena_free(a);
}

static const char *jw_double(double d)
{
    static char out[64];
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_double(&w, d);
    snprintf(out, sizeof(out), "%s", b.ptr);
    gk_buf_release(&b);
    return out;
}

TEST(jw_double_is_shortest_round_trip_and_valid_json)
{
    EXPECT_STREQ(jw_double(0.1), "0.1");
    EXPECT_STREQ(jw_double(1.0 / 3.0), "0.3333333333333333");
    EXPECT_STREQ(jw_double(0.1 + 0.2), "0.30000000000000004");
    EXPECT_STREQ(jw_double(3.0), "3");
    EXPECT_STREQ(jw_double(-2.5), "-2.5");
    EXPECT_STREQ(jw_double(1e300), "1e+300");
    EXPECT_STREQ(jw_double(1e-7), "1e-07");
    EXPECT_STREQ(jw_double(-0.0), "-0");
    EXPECT_STREQ(jw_double(5e-324), "4.94065645841247e-324");
    EXPECT_STREQ(jw_double(1.7976931348623157e308), "1.7976931348623157e+308");
    EXPECT_STREQ(jw_double(NAN), "null");
    EXPECT_STREQ(jw_double(INFINITY), "null");
    EXPECT_STREQ(jw_double(-INFINITY), "null");
    /* Every output reads back as the same double. */
    double samples[] = {0.1, 2.0 / 3.0, 123456.789, 1e21, 1e-300, 6.02214076e23, 9007199254740993.0};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        EXPECT_TRUE(strtod(jw_double(samples[i]), NULL) == samples[i]);
}

TEST(jw_double_ignores_program_locale)
{
    /* A program may switch LC_NUMERIC to a locale with a decimal comma; output stays JSON. The
     * test is skipped where no such locale is installed. */
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", NULL};
    const char *old = setlocale(LC_NUMERIC, NULL);
    char saved[64];
    snprintf(saved, sizeof(saved), "%s", old ? old : "C");
    for (int i = 0; names[i]; i++) {
        if (setlocale(LC_NUMERIC, names[i])) {
            EXPECT_STREQ(jw_double(2.5), "2.5");
            gk_arena *a = gk_arena_new(0);
            gk_json *doc = NULL;
            EXPECT_EQ(gk_json_parse(a, "0.25", 4, NULL, &doc, NULL), GK_OK);
            EXPECT_TRUE(doc->number == 0.25);
            gk_arena_free(a);
            break;
        }
    }
    setlocale(LC_NUMERIC, saved);
}

TEST(jw_places_commas_and_nests)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "name");
    gk_jw_string(&w, "menu \"today\"");
    gk_jw_key(&w, "n");
    gk_jw_int(&w, -42);
    gk_jw_key(&w, "items");
    gk_jw_array_begin(&w);
    gk_jw_array_begin(&w);
    gk_jw_array_end(&w);
    gk_jw_object_begin(&w);
    gk_jw_object_end(&w);
    gk_jw_bool(&w, true);
    gk_jw_bool(&w, false);
    gk_jw_null(&w);
    gk_jw_stringn(&w, "a\0b", 3);
    gk_jw_raw(&w, "{\"r\":1}", 7);
    gk_jw_double(&w, 0.5);
    gk_jw_array_end(&w);
    gk_jw_key(&w, "s");
    gk_jw_string(&w, NULL);
    gk_jw_object_end(&w);
    EXPECT_FALSE(gk_buf_failed(&b));
    EXPECT_STREQ(b.ptr, "{\"name\":\"menu \\\"today\\\"\",\"n\":-42,\"items\":[[],{},true,false,null,"
                        "\"a\\u0000b\",{\"r\":1},0.5],\"s\":null}");
    EXPECT_EQ(w.depth, 0);
    gk_buf_release(&b);
}

TEST(jw_top_level_scalars_and_sequence)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_int(&w, INT64_MAX);
    EXPECT_STREQ(b.ptr, "9223372036854775807");
    gk_buf_release(&b);
}

TEST(jw_value_writes_tree_with_source_numbers)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    ASSERT_EQ(gk_json_parse(a, "{\"x\":[1.50,2e3]}", 16, NULL, &doc, NULL), GK_OK);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_array_begin(&w);
    gk_jw_value(&w, doc);
    gk_jw_value(&w, gk_json_get(doc, "x"));
    gk_jw_array_end(&w);
    EXPECT_STREQ(b.ptr, "[{\"x\":[1.50,2e3]},[1.50,2e3]]");
    gk_buf_release(&b);
    gk_arena_free(a);
}

TEST(jw_misuse_sets_failed)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_array_end(&w);
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);

    gk_jw_init(&w, &b);
    gk_jw_key(&w, "top-level key");
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);

    gk_jw_init(&w, &b);
    for (int i = 0; i < GK_JW_MAX_DEPTH; i++)
        gk_jw_array_begin(&w);
    EXPECT_FALSE(gk_buf_failed(&b));
    gk_jw_array_begin(&w);
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);
}

TEST(jw_output_over_buffer_cap_fails)
{
    gk_buf b = GK_BUF_INIT(10);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_string(&w, "this is longer than ten");
    EXPECT_TRUE(gk_buf_failed(&b));
    gk_buf_release(&b);
}

TEST(json_round_trip_matrix)
{
    static const char *docs[] = {
        "null", "true", "0", "-0", "1.5e-10", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "\"\"", "\"\\u0000\\u001f\\\\\\\"\"", "\"\\ud83d\\ude00\\u2029\"",
        "[]", "{}", "[[[]]]", "{\"a\":{\"b\":{\"c\":[1,{\"d\":null}]}}}",
        "{\"\\u00e9\":\"\xc3\xa9\",\"\\t\":\"\\r\\n\"}", "[0.1,0.2,0.30000000000000004,1e308]",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        gk_arena *a = gk_arena_new(0);
        gk_json *x = NULL;
        gk_json *y = NULL;
        ASSERT_EQ(gk_json_parse(a, docs[i], strlen(docs[i]), NULL, &x, NULL), GK_OK);
        gk_buf b = GK_BUF_INIT(0);
        gk_json_write(&b, x);
        EXPECT_EQ(gk_json_parse(a, b.ptr, b.len, NULL, &y, NULL), GK_OK);
        EXPECT_TRUE(gk_json_equal(x, y));
        gk_buf c = GK_BUF_INIT(0);
        gk_json_write(&c, y);
        EXPECT_STREQ(b.ptr, c.ptr);
        gk_buf_release(&b);
        gk_buf_release(&c);
        gk_arena_free(a);
    }
}
