/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/json_test.c - the JSON reader: accepted documents and their values, every rejection
 * with its exact message and position, limits, lookups, constructors, equality, fault sweep. */
#include <genkit/json.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "test.h"

static gk_arena *arena;

static const gk_json *parse_ok(const char *text)
{
    if (!arena)
        arena = gk_arena_new(0);
    gk_json *doc = NULL;
    gk_error err = {0};
    gk_status st = gk_json_parse(arena, text, strlen(text), NULL, &doc, &err);
    if (st != GK_OK)
        gk_test_fail(__FILE__, __LINE__, "parse of '%s' failed: %s", text, err.message);
    return doc;
}

/* Parse and return the error message (static buffer), or "OK". */
static const char *parse_err_lim(const char *text, size_t len, const gk_json_limits *lim,
                                 gk_status *st_out)
{
    static gk_error err;
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = (gk_json *)1;
    gk_status st = gk_json_parse(a, text, len, lim, &doc, &err);
    if (st_out)
        *st_out = st;
    if (st == GK_OK) {
        gk_arena_free(a);
        return "OK";
    }
    if (doc != NULL)
        gk_test_fail(__FILE__, __LINE__, "out not NULL on failure");
    if (err.status != st)
        gk_test_fail(__FILE__, __LINE__, "err.status %d != %d", err.status, st);
    gk_arena_free(a);
    return err.message;
}

static const char *parse_err(const char *text)
{
    gk_status st;
    const char *m = parse_err_lim(text, strlen(text), NULL, &st);
    if (st != GK_OK && st != GK_INVALID_ARGUMENT)
        gk_test_fail(__FILE__, __LINE__, "status %d for '%s'", st, text);
    return m;
}

TEST(json_parses_scalars)
{
    const gk_json *v = parse_ok("null");
    ASSERT_TRUE(v != NULL);
    EXPECT_EQ(v->type, GK_JSON_NULL);
    v = parse_ok("true");
    EXPECT_EQ(v->type, GK_JSON_BOOL);
    EXPECT_TRUE(v->boolean);
    v = parse_ok(" false ");
    EXPECT_EQ(v->type, GK_JSON_BOOL);
    EXPECT_FALSE(v->boolean);
    v = parse_ok("\"hi\"");
    EXPECT_EQ(v->type, GK_JSON_STRING);
    EXPECT_STREQ(v->str, "hi");
    EXPECT_EQ(v->len, 2);
    v = parse_ok("\t\r\n 42\n");
    EXPECT_EQ(v->type, GK_JSON_NUMBER);
    EXPECT_TRUE(v->is_int);
    EXPECT_EQ(v->integer, 42);
    EXPECT_STREQ(v->str, "42");
}

TEST(json_parses_nested_structure_in_order)
{
    const gk_json *v = parse_ok("{\"a\":[1,\"two\",{\"b\":null}],\"c\":{},\"d\":[]}");
    ASSERT_TRUE(v != NULL);
    ASSERT_EQ(v->type, GK_JSON_OBJECT);
    ASSERT_EQ(v->count, 3);
    EXPECT_STREQ(v->items[0].key, "a");
    EXPECT_EQ(v->items[0].key_len, 1);
    EXPECT_STREQ(v->items[1].key, "c");
    EXPECT_STREQ(v->items[2].key, "d");
    const gk_json *a = gk_json_get(v, "a");
    ASSERT_TRUE(a != NULL);
    ASSERT_EQ(a->type, GK_JSON_ARRAY);
    ASSERT_EQ(a->count, 3);
    EXPECT_EQ(a->items[0].integer, 1);
    EXPECT_TRUE(a->items[0].key == NULL);
    EXPECT_STREQ(a->items[1].str, "two");
    EXPECT_EQ(gk_json_get(&a->items[2], "b")->type, GK_JSON_NULL);
    EXPECT_EQ(gk_json_get(v, "c")->type, GK_JSON_OBJECT);
    EXPECT_EQ(gk_json_get(v, "c")->count, 0);
    EXPECT_EQ(gk_json_get(v, "d")->count, 0);
    EXPECT_TRUE(gk_json_get(v, "e") == NULL);
    EXPECT_TRUE(gk_json_get(a, "a") == NULL);
    EXPECT_TRUE(gk_json_get(NULL, "a") == NULL);
}

TEST(json_parses_many_siblings_past_the_scratch_stack)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_putc(&b, '[');
    for (int i = 0; i < 5000; i++)
        gk_buf_printf(&b, "%s[%d,{\"k%d\":%d}]", i ? "," : "", i, i, -i);
    gk_buf_putc(&b, ']');
    const gk_json *v = parse_ok(b.ptr);
    ASSERT_TRUE(v != NULL);
    ASSERT_EQ(v->count, 5000);
    EXPECT_EQ(v->items[4321].items[0].integer, 4321);
    EXPECT_EQ(v->items[4321].items[1].items[0].integer, -4321);
    EXPECT_STREQ(v->items[4321].items[1].items[0].key, "k4321");
    gk_buf_release(&b);
}

TEST(json_string_escapes_decode)
{
    const gk_json *v = parse_ok("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\"");
    ASSERT_TRUE(v != NULL);
    EXPECT_STREQ(v->str, "q\" b\\ s/ \b\f\n\r\t");
    v = parse_ok("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"");
    EXPECT_STREQ(v->str, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    v = parse_ok("\"\\uDBFF\\uDFFF\"");
    EXPECT_STREQ(v->str, "\xf4\x8f\xbf\xbf");
    v = parse_ok("\"a\\u0000b\"");
    EXPECT_EQ(v->len, 3);
    EXPECT_EQ(memcmp(v->str, "a\0b", 4), 0);
}

TEST(json_accepts_valid_utf8_in_strings)
{
    const gk_json *v = parse_ok("\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf "
                                "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
    ASSERT_TRUE(v != NULL);
    EXPECT_EQ(v->len, 2 + 2 + 3 + 3 + 3 + 3 + 4 + 4 + 7);
}

TEST(json_rejects_invalid_utf8)
{
    EXPECT_STREQ(parse_err("\"\x80\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"ab\xc0\xaf\""), "line 1 column 4: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xc1\xbf\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xe0\x9f\xbf\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xed\xa0\x80\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xf0\x8f\xbf\xbf\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xf4\x90\x80\x80\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xf5\x80\x80\x80\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xff\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xe2\x82\""), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("\"\xe2\x82"), "line 1 column 2: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("{\"k\xa0\":1}"), "line 1 column 4: invalid UTF-8 in string");
    EXPECT_STREQ(parse_err("[\xc3\xa9]"), "line 1 column 2: unexpected byte 0xc3");
}

TEST(json_rejects_bad_escapes_and_surrogates)
{
    EXPECT_STREQ(parse_err("\"\\x\""), "line 1 column 2: invalid escape '\\x'");
    EXPECT_STREQ(parse_err("\"\\'\""), "line 1 column 2: invalid escape '\\''");
    EXPECT_STREQ(parse_err("\"ab\\u12\""), "line 1 column 4: invalid \\u escape");
    EXPECT_STREQ(parse_err("\"\\u12G4\""), "line 1 column 2: invalid \\u escape");
    EXPECT_STREQ(parse_err("\"\\ud800\""), "line 1 column 2: unpaired surrogate \\ud800");
    EXPECT_STREQ(parse_err("\"\\udc00\""), "line 1 column 2: unpaired surrogate \\udc00");
    EXPECT_STREQ(parse_err("\"\\ud800\\u0041\""), "line 1 column 2: unpaired surrogate \\ud800");
    EXPECT_STREQ(parse_err("\"\\ud800\\ud800\""), "line 1 column 2: unpaired surrogate \\ud800");
    EXPECT_STREQ(parse_err("\"x\\uDBFFz\""), "line 1 column 3: unpaired surrogate \\udbff");
    EXPECT_STREQ(parse_err("\"\\"), "line 1 column 1: unterminated string");
}

TEST(json_rejects_control_characters_in_strings)
{
    EXPECT_STREQ(parse_err("\"a\nb\""), "line 1 column 3: unescaped control character U+000A in string");
    EXPECT_STREQ(parse_err("\"\t\""), "line 1 column 2: unescaped control character U+0009 in string");
    EXPECT_STREQ(parse_err("\"\x1f\""), "line 1 column 2: unescaped control character U+001F in string");
    gk_status st;
    EXPECT_STREQ(parse_err_lim("\"a\0\"", 4, NULL, &st),
                 "line 1 column 3: unescaped control character U+0000 in string");
    /* DEL (0x7f) is not a control character for JSON. */
    EXPECT_STREQ(parse_ok("\"\x7f\"")->str, "\x7f");
}

TEST(json_rejects_structural_errors_with_positions)
{
    EXPECT_STREQ(parse_err(""), "line 1 column 1: unexpected end of input");
    EXPECT_STREQ(parse_err("   "), "line 1 column 4: unexpected end of input");
    EXPECT_STREQ(parse_err("{\"a\":1 \"b\":2}"), "line 1 column 8: expected ',' or '}'");
    EXPECT_STREQ(parse_err("[1 2]"), "line 1 column 4: expected ',' or ']'");
    EXPECT_STREQ(parse_err("{\"a\" 1}"), "line 1 column 6: expected ':'");
    EXPECT_STREQ(parse_err("{1:2}"), "line 1 column 2: expected a string key, got character '1'");
    EXPECT_STREQ(parse_err("{'a':2}"), "line 1 column 2: expected a string key, got character '''");
    EXPECT_STREQ(parse_err("{\"a\":}"), "line 1 column 6: unexpected character '}'");
    EXPECT_STREQ(parse_err("[1,2,]"), "line 1 column 5: trailing comma");
    EXPECT_STREQ(parse_err("{\"a\":1,}"), "line 1 column 7: trailing comma");
    EXPECT_STREQ(parse_err("[,1]"), "line 1 column 2: unexpected character ','");
    EXPECT_STREQ(parse_err("[1"), "line 1 column 3: unexpected end of input");
    EXPECT_STREQ(parse_err("{\"a\""), "line 1 column 5: unexpected end of input");
    EXPECT_STREQ(parse_err("{\"a\":"), "line 1 column 6: unexpected end of input");
    EXPECT_STREQ(parse_err("{"), "line 1 column 2: unexpected end of input");
    EXPECT_STREQ(parse_err("\"abc"), "line 1 column 1: unterminated string");
    EXPECT_STREQ(parse_err("[1]]"), "line 1 column 4: unexpected character ']' after the value");
    EXPECT_STREQ(parse_err("{} x"), "line 1 column 4: unexpected character 'x' after the value");
    EXPECT_STREQ(parse_err("1 2"), "line 1 column 3: unexpected character '2' after the value");
    EXPECT_STREQ(parse_err("[1}"), "line 1 column 3: expected ',' or ']'");
    EXPECT_STREQ(parse_err("{\"a\":1]"), "line 1 column 7: expected ',' or '}'");
    EXPECT_STREQ(parse_err("[\n1,\n  x]"), "line 3 column 3: invalid literal 'x'");
    EXPECT_STREQ(parse_err("{\n\"a\": 1\n\"b\": 2}"), "line 3 column 1: expected ',' or '}'");
    gk_status st;
    EXPECT_STREQ(parse_err_lim("1\0", 2, NULL, &st), "line 1 column 2: unexpected byte 0x00 after the value");
}

TEST(json_rejects_extensions)
{
    EXPECT_STREQ(parse_err("NaN"), "line 1 column 1: invalid literal 'NaN'");
    EXPECT_STREQ(parse_err("[Infinity]"), "line 1 column 2: invalid literal 'Infinity'");
    EXPECT_STREQ(parse_err("-Infinity"), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err("True"), "line 1 column 1: invalid literal 'True'");
    EXPECT_STREQ(parse_err("nul"), "line 1 column 1: invalid literal 'nul'");
    EXPECT_STREQ(parse_err("truex"), "line 1 column 1: invalid literal 'truex'");
    EXPECT_STREQ(parse_err("undefined"), "line 1 column 1: invalid literal 'undefined'");
    EXPECT_STREQ(parse_err("[1] // c"), "line 1 column 5: unexpected character '/' after the value");
    EXPECT_STREQ(parse_err("/* c */ 1"), "line 1 column 1: comments are not allowed");
    EXPECT_STREQ(parse_err("\xef\xbb\xbf{}"), "line 1 column 1: byte order mark is not allowed");
    EXPECT_STREQ(parse_err("'a'"), "line 1 column 1: unexpected character '''");
    EXPECT_STREQ(parse_err("\f1"), "line 1 column 1: unexpected byte 0x0c");
    EXPECT_STREQ(parse_err("{a:1}"), "line 1 column 2: expected a string key, got character 'a'");
}

TEST(json_rejects_bad_numbers)
{
    EXPECT_STREQ(parse_err("01"), "line 1 column 1: leading zeros are not allowed");
    EXPECT_STREQ(parse_err("-01"), "line 1 column 1: leading zeros are not allowed");
    EXPECT_STREQ(parse_err("[00]"), "line 1 column 2: leading zeros are not allowed");
    EXPECT_STREQ(parse_err("-"), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err("1."), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err("1.e5"), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err("1e"), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err("1e+"), "line 1 column 1: invalid number");
    EXPECT_STREQ(parse_err(".5"), "line 1 column 1: unexpected character '.'");
    EXPECT_STREQ(parse_err("+1"), "line 1 column 1: unexpected character '+'");
    EXPECT_STREQ(parse_err("0x10"), "line 1 column 2: unexpected character 'x' after the value");
    EXPECT_STREQ(parse_err("1e400"), "line 1 column 1: number out of range");
    EXPECT_STREQ(parse_err("[-1e400]"), "line 1 column 2: number out of range");
}

TEST(json_numbers_keep_int64_exact_and_source_text)
{
    const gk_json *v = parse_ok("9007199254740993");
    EXPECT_TRUE(v->is_int);
    EXPECT_EQ(v->integer, 9007199254740993LL);
    EXPECT_STREQ(v->str, "9007199254740993");
    v = parse_ok("9223372036854775807");
    EXPECT_TRUE(v->is_int);
    EXPECT_EQ(v->integer, INT64_MAX);
    v = parse_ok("-9223372036854775808");
    EXPECT_TRUE(v->is_int);
    EXPECT_EQ(v->integer, INT64_MIN);
    EXPECT_TRUE(v->number == -9223372036854775808.0);
    v = parse_ok("9223372036854775808");
    EXPECT_FALSE(v->is_int);
    EXPECT_TRUE(v->number == 9223372036854775808.0);
    v = parse_ok("-9223372036854775809");
    EXPECT_FALSE(v->is_int);
    v = parse_ok("123456789012345678901234567890");
    EXPECT_FALSE(v->is_int);
    EXPECT_TRUE(v->number == 1.2345678901234568e29);
    v = parse_ok("-0");
    EXPECT_TRUE(v->is_int);
    EXPECT_EQ(v->integer, 0);
    EXPECT_TRUE(signbit(v->number));
    v = parse_ok("0");
    EXPECT_TRUE(v->is_int);
    EXPECT_FALSE(signbit(v->number));
    v = parse_ok("1.0");
    EXPECT_FALSE(v->is_int);
    EXPECT_TRUE(v->number == 1.0);
    v = parse_ok("1e2");
    EXPECT_FALSE(v->is_int);
    EXPECT_TRUE(v->number == 100.0);
    v = parse_ok("-12.5E-1");
    EXPECT_TRUE(v->number == -1.25);
    EXPECT_STREQ(v->str, "-12.5E-1");
    v = parse_ok("0.1");
    EXPECT_TRUE(v->number == 0.1);
    v = parse_ok("1e-400");
    EXPECT_TRUE(v->number == 0.0);
    v = parse_ok("1.7976931348623157e308");
    EXPECT_TRUE(v->number == 1.7976931348623157e308);
    v = parse_ok("[-1,2]");
    EXPECT_EQ(v->items[0].integer, -1);
    EXPECT_EQ(v->items[0].len, 2);
}

TEST(json_rejects_duplicate_keys_after_unescaping)
{
    EXPECT_STREQ(parse_err("{\"a\":1,\"a\":2}"), "line 1 column 8: duplicate key \"a\"");
    EXPECT_STREQ(parse_err("{\"a\":1,\"\\u0061\":2}"), "line 1 column 8: duplicate key \"a\"");
    EXPECT_STREQ(parse_err("{\"\":1,\"\":2}"), "line 1 column 7: duplicate key \"\"");
    EXPECT_STREQ(parse_err("{\"x\\n\\\"\":1,\"x\\n\\\"\":2}"),
                 "line 1 column 12: duplicate key \"x\\n\\\"\"");
    /* Same key in different objects is fine; keys differing after a NUL are different. */
    EXPECT_TRUE(parse_ok("[{\"a\":1},{\"a\":2},{\"a\":{\"a\":3}}]") != NULL);
    EXPECT_TRUE(parse_ok("{\"a\\u0000b\":1,\"a\\u0000c\":2,\"a\":3}") != NULL);
}

TEST(json_duplicate_keys_detected_in_large_objects)
{
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_putc(&b, '{');
    for (int i = 0; i < 20000; i++)
        gk_buf_printf(&b, "%s\"key%d\":%d", i ? "," : "", i, i);
    gk_buf_putc(&b, '}');
    const gk_json *v = parse_ok(b.ptr);
    ASSERT_TRUE(v != NULL);
    EXPECT_EQ(v->count, 20000);
    EXPECT_EQ(gk_json_get(v, "key19999")->integer, 19999);

    /* The same document with a repeat at the end. */
    b.len--;
    gk_buf_puts(&b, ",\"key7777\":0}");
    EXPECT_CONTAINS(parse_err(b.ptr), "duplicate key \"key7777\"");
    /* And with a repeat of the 17th key right after the hash set takes over. */
    gk_buf_reset(&b);
    gk_buf_putc(&b, '{');
    for (int i = 0; i < 17; i++)
        gk_buf_printf(&b, "\"k%d\":0,", i);
    gk_buf_puts(&b, "\"k16\":1}");
    EXPECT_STREQ(parse_err(b.ptr), "line 1 column 128: duplicate key \"k16\"");
    gk_buf_release(&b);
}

TEST(json_duplicate_key_message_is_shortened)
{
    gk_buf b = GK_BUF_INIT(0);
    char key[200];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    gk_buf_printf(&b, "{\"%s\":1,\"%s\":2}", key, key);
    const char *m = parse_err(b.ptr);
    EXPECT_CONTAINS(m, "line 1 column 206: duplicate key \"kkkkkkkkkk");
    EXPECT_CONTAINS(m, "kk\"...");
    gk_buf_release(&b);
}

TEST(json_depth_limit)
{
    char deep[200];
    for (int i = 0; i < 65; i++)
        deep[i] = '[';
    for (int i = 0; i < 65; i++)
        deep[65 + i] = ']';
    deep[130] = '\0';
    EXPECT_STREQ(parse_err(deep), "line 1 column 65: nesting deeper than 64 levels");
    deep[64] = ' ';
    deep[65] = ' ';
    EXPECT_STREQ(parse_err(deep), "OK");
    gk_json_limits lim = {.max_depth = 2};
    gk_status st;
    EXPECT_STREQ(parse_err_lim("[{\"a\":1}]", 9, &lim, &st), "OK");
    EXPECT_STREQ(parse_err_lim("[{\"a\":[]}]", 10, &lim, &st),
                 "line 1 column 7: nesting deeper than 2 levels");
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(parse_err_lim("1", 1, &(gk_json_limits){.max_depth = 1}, &st), "OK");
}

TEST(json_deep_nesting_with_raised_limit_uses_no_recursion)
{
    size_t n = 100000;
    char *text = malloc(2 * n + 1);
    memset(text, '[', n);
    memset(text + n, ']', n);
    text[2 * n] = '\0';
    gk_json_limits lim = {.max_depth = n};
    gk_status st;
    EXPECT_STREQ(parse_err_lim(text, 2 * n, &lim, &st), "OK");
    free(text);
}

TEST(json_size_limit_is_resource_exhausted)
{
    gk_json_limits lim = {.max_size = 4};
    gk_status st;
    EXPECT_STREQ(parse_err_lim("[1,2]", 5, &lim, &st),
                 "JSON document of 5 bytes exceeds the limit of 4 bytes");
    EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(parse_err_lim("[12]", 4, &lim, &st), "OK");
}

TEST(json_arena_cap_is_resource_exhausted)
{
    gk_arena *a = gk_arena_new(256);
    gk_json *doc = NULL;
    gk_error err = {0};
    const char *text = "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",1,2,3,4,5,6]";
    gk_status st = gk_json_parse(a, text, strlen(text), NULL, &doc, &err);
    EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(err.message, "not enough memory to parse the JSON document");
    EXPECT_TRUE(doc == NULL);
    gk_arena_free(a);
}

TEST(json_parse_tolerates_null_err_and_unterminated_input)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    /* Not NUL-terminated: the reader must stop at len. */
    char text[3] = {'1', '2', '3'};
    EXPECT_EQ(gk_json_parse(a, text, 2, NULL, &doc, NULL), GK_OK);
    EXPECT_EQ(doc->integer, 12);
    EXPECT_STREQ(doc->str, "12");
    EXPECT_EQ(gk_json_parse(a, "[", 1, NULL, &doc, NULL), GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_json_parse(a, NULL, 0, NULL, &doc, NULL), GK_INVALID_ARGUMENT);
    gk_arena_free(a);
}

TEST(json_parse_fault_sweep_returns_status_and_leaks_nothing)
{
    const char *text = "{\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9llo\"}],"
                       "\"n\":[1,2.5,-3,9007199254740993],\"deep\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],"
                       "\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,"
                       "\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,"
                       "\"k16\":16,\"k17\":17}";
    bool succeeded = false;
    long n;
    for (n = 1; n < 10000 && !succeeded; n++) {
        gk__alloc_fail_after(n);
        gk_arena *a = gk_arena_new(0);
        if (!a) {
            gk__alloc_fail_after(-1);
            continue;
        }
        gk_json *doc = NULL;
        gk_error err = {0};
        gk_status st = gk_json_parse(a, text, strlen(text), NULL, &doc, &err);
        bool fired = gk__alloc_fault_fired();
        gk__alloc_fail_after(-1);
        if (st == GK_OK) {
            EXPECT_FALSE(fired);
            EXPECT_EQ(gk_json_get(doc, "k17")->integer, 17);
            succeeded = !fired;
        } else {
            EXPECT_TRUE(fired);
            EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
            EXPECT_TRUE(doc == NULL);
        }
        gk_arena_free(a);
    }
    EXPECT_TRUE(succeeded);
    EXPECT_GT(n, 20);
}

TEST(json_get_type_name_and_getn)
{
    const gk_json *v = parse_ok("{\"a\\u0000b\":1,\"ab\":2,\"\":3}");
    EXPECT_EQ(gk_json_getn(v, "a\0b", 3)->integer, 1);
    EXPECT_EQ(gk_json_get(v, "ab")->integer, 2);
    EXPECT_EQ(gk_json_get(v, "")->integer, 3);
    EXPECT_TRUE(gk_json_get(v, "a") == NULL);
    EXPECT_TRUE(gk_json_get(v, NULL) == NULL);
    EXPECT_STREQ(gk_json_type_name(v), "object");
    EXPECT_STREQ(gk_json_type_name(parse_ok("[]")), "array");
    EXPECT_STREQ(gk_json_type_name(parse_ok("\"\"")), "string");
    EXPECT_STREQ(gk_json_type_name(parse_ok("1")), "number");
    EXPECT_STREQ(gk_json_type_name(parse_ok("true")), "boolean");
    EXPECT_STREQ(gk_json_type_name(parse_ok("null")), "null");
    EXPECT_STREQ(gk_json_type_name(NULL), "null");
}

TEST(json_utf8_valid_checks_every_rule)
{
    EXPECT_TRUE(gk_utf8_valid("", 0));
    EXPECT_TRUE(gk_utf8_valid("plain ascii text that is longer than eight", 42));
    EXPECT_TRUE(gk_utf8_valid("\0", 1));
    EXPECT_TRUE(gk_utf8_valid("h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80", 22));
    EXPECT_FALSE(gk_utf8_valid("\xc0\x80", 2));
    EXPECT_FALSE(gk_utf8_valid("\xe0\x80\x80", 3));
    EXPECT_FALSE(gk_utf8_valid("\xf0\x80\x80\x80", 4));
    EXPECT_FALSE(gk_utf8_valid("\xed\xa0\x80", 3));
    EXPECT_FALSE(gk_utf8_valid("\xed\xbf\xbf", 3));
    EXPECT_FALSE(gk_utf8_valid("\xf4\x90\x80\x80", 4));
    EXPECT_FALSE(gk_utf8_valid("abcdefgh\x80", 9));
    EXPECT_FALSE(gk_utf8_valid("\xc3", 1));
    EXPECT_FALSE(gk_utf8_valid("\xe2\x82", 2));
    EXPECT_FALSE(gk_utf8_valid("\xfe", 1));
    EXPECT_TRUE(gk_utf8_valid("\xef\xbf\xbf", 3));
    EXPECT_TRUE(gk_utf8_valid("\xf4\x8f\xbf\xbf", 4));
}

TEST(json_constructors_build_and_push)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *arr = gk_json_new_array(a);
    for (int i = 0; i < 100; i++) {
        gk_json *n = gk_json_new_int(a, i);
        gk_json_new_string(a, "interleaved", 11);
        ASSERT_TRUE(gk_json_array_push(a, arr, n));
    }
    EXPECT_EQ(arr->count, 100);
    EXPECT_EQ(arr->items[99].integer, 99);
    EXPECT_TRUE(arr->items[42].is_int);
    /* Pushing an item of the array itself, while the array may move. */
    for (int i = 0; i < 200; i++)
        ASSERT_TRUE(gk_json_array_push(a, arr, &arr->items[0]));
    EXPECT_EQ(arr->count, 300);
    EXPECT_EQ(arr->items[299].integer, 0);

    gk_json *obj = gk_json_new_object(a);
    EXPECT_TRUE(gk_json_object_set(a, obj, "name", gk_json_new_string(a, "ada", 3)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "age", gk_json_new_int(a, 36)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "name", gk_json_new_string(a, "grace", 5)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "ok", gk_json_new_bool(a, true)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "none", gk_json_new_null(a)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "pi", gk_json_new_double(a, 3.25)));
    EXPECT_TRUE(gk_json_object_set(a, obj, "list", arr));
    EXPECT_EQ(obj->count, 6);
    EXPECT_STREQ(gk_json_get(obj, "name")->str, "grace");
    EXPECT_STREQ(gk_json_get(obj, "name")->key, "name");
    EXPECT_EQ(gk_json_get(obj, "list")->count, 300);
    EXPECT_FALSE(gk_json_array_push(a, obj, arr));
    EXPECT_FALSE(gk_json_object_set(a, arr, "x", obj));
    EXPECT_FALSE(gk_json_array_push(a, NULL, arr));

    gk_json *s = gk_json_new_string(a, "a\0b", 3);
    EXPECT_EQ(s->len, 3);
    EXPECT_EQ(s->str[3], 0);
    gk_arena_free(a);
}

TEST(json_push_onto_parsed_array_and_object)
{
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    ASSERT_EQ(gk_json_parse(a, "{\"xs\":[1,2,3],\"y\":0}", 20, NULL, &doc, NULL), GK_OK);
    gk_json *xs = (gk_json *)gk_json_get(doc, "xs");
    gk_json_new_null(a); /* the array is no longer the last allocation */
    for (int i = 4; i <= 10; i++)
        ASSERT_TRUE(gk_json_array_push(a, xs, gk_json_new_int(a, i)));
    EXPECT_EQ(xs->count, 10);
    for (int i = 0; i < 10; i++)
        EXPECT_EQ(xs->items[i].integer, i + 1);
    ASSERT_TRUE(gk_json_object_set(a, doc, "z", gk_json_new_int(a, 5)));
    EXPECT_EQ(gk_json_get(doc, "xs")->count, 10);
    EXPECT_EQ(gk_json_get(doc, "z")->integer, 5);
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, doc);
    EXPECT_STREQ(b.ptr, "{\"xs\":[1,2,3,4,5,6,7,8,9,10],\"y\":0,\"z\":5}");
    gk_buf_release(&b);
    gk_arena_free(a);
}

TEST(json_constructors_over_cap_return_null)
{
    gk_arena *a = gk_arena_new(128);
    gk_json *arr = gk_json_new_array(a);
    ASSERT_TRUE(arr != NULL);
    EXPECT_TRUE(gk_json_new_string(a, "0123456789", 10) == NULL);
    gk_json one = {.type = GK_JSON_NULL};
    EXPECT_FALSE(gk_json_array_push(a, arr, &one));
    EXPECT_EQ(arr->count, 0);
    gk_arena_free(a);
}

TEST(json_equal_compares_deeply)
{
    EXPECT_TRUE(gk_json_equal(parse_ok("{\"a\":[1,{\"b\":null}],\"c\":\"x\"}"),
                              parse_ok("{\"c\":\"x\",\"a\":[1,{\"b\":null}]}")));
    EXPECT_FALSE(gk_json_equal(parse_ok("[1,2]"), parse_ok("[2,1]")));
    EXPECT_FALSE(gk_json_equal(parse_ok("{\"a\":1}"), parse_ok("{\"b\":1}")));
    EXPECT_FALSE(gk_json_equal(parse_ok("{\"a\":1}"), parse_ok("{\"a\":1,\"b\":1}")));
    EXPECT_TRUE(gk_json_equal(parse_ok("1"), parse_ok("1.0")));
    EXPECT_TRUE(gk_json_equal(parse_ok("100"), parse_ok("1e2")));
    EXPECT_TRUE(gk_json_equal(parse_ok("0"), parse_ok("-0")));
    EXPECT_FALSE(gk_json_equal(parse_ok("9007199254740993"), parse_ok("9007199254740992")));
    EXPECT_FALSE(gk_json_equal(parse_ok("9007199254740993"), parse_ok("9007199254740992.0")));
    EXPECT_TRUE(gk_json_equal(parse_ok("9007199254740992"), parse_ok("9007199254740992.0")));
    EXPECT_FALSE(gk_json_equal(parse_ok("1"), parse_ok("\"1\"")));
    EXPECT_FALSE(gk_json_equal(parse_ok("true"), parse_ok("false")));
    EXPECT_TRUE(gk_json_equal(parse_ok("\"a\\u0000b\""), parse_ok("\"a\\u0000b\"")));
    EXPECT_FALSE(gk_json_equal(parse_ok("\"a\\u0000b\""), parse_ok("\"a\\u0000c\"")));
    EXPECT_FALSE(gk_json_equal(parse_ok("null"), NULL));
    EXPECT_TRUE(gk_json_equal(NULL, NULL));
}

TEST(json_numbers_match_strtod_for_generated_decimals)
{
    /* Deterministic pseudo-random decimals around the fast path's edges (15 digits, 10^22). */
    uint64_t x = 88172645463325252u;
    gk_arena *a = gk_arena_new(0);
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        char text[64];
        int ndig = 1 + (int)(x % 18);
        int point = (int)((x >> 8) % (uint64_t)(ndig + 1));
        int exp = (int)((x >> 16) % 61) - 30;
        uint64_t m = x >> 20;
        char digs[24];
        snprintf(digs, sizeof(digs), "%018llu", (unsigned long long)(m % 1000000000000000000u));
        digs[0] = (char)('1' + (x >> 40) % 9);
        size_t n = 0;
        if (x & (1u << 5))
            text[n++] = '-';
        for (int d = 0; d < ndig; d++) {
            if (d == point && d > 0)
                text[n++] = '.';
            text[n++] = digs[d];
        }
        n += (size_t)snprintf(text + n, sizeof(text) - n, "e%d", exp);
        gk_json *v = NULL;
        ASSERT_EQ(gk_json_parse(a, text, n, NULL, &v, NULL), GK_OK);
        double want = strtod(text, NULL);
        if (v->number != want)
            gk_test_fail(__FILE__, __LINE__, "%s: %.17g vs strtod %.17g", text, v->number, want);
    }
    gk_arena_free(a);
}

TEST(json_test_arena_cleanup)
{
    /* Runs last in this file (registration order): releases the shared arena. */
    gk_arena_free(arena);
    arena = NULL;
}
