/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/json_diff_test.c - differential test of our JSON reader against libjansson (a strict
 * reader, used only as a test oracle): for each document both must accept or both reject, and
 * accepted documents must hold the same values (types, strings byte for byte, integers exactly).
 * jansson runs with JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, which matches
 * RFC 8259 plus our rules. Known, deliberate differences are listed in `expected_diff` below. */
#include <genkit/json.h>

#include <jansson.h>
#include <string.h>

#include "test.h"

/* True if our tree v holds the same value as jansson's j. */
static bool same_value(const gk_json *v, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_NULL:
        return v->type == GK_JSON_NULL;
    case JSON_TRUE:
        return v->type == GK_JSON_BOOL && v->boolean;
    case JSON_FALSE:
        return v->type == GK_JSON_BOOL && !v->boolean;
    case JSON_INTEGER:
        return v->type == GK_JSON_NUMBER && v->is_int && v->integer == json_integer_value(j);
    case JSON_REAL:
        return v->type == GK_JSON_NUMBER && !v->is_int && v->number == json_real_value(j);
    case JSON_STRING:
        return v->type == GK_JSON_STRING && v->len == json_string_length(j) &&
               memcmp(v->str, json_string_value(j), v->len) == 0;
    case JSON_ARRAY:
        if (v->type != GK_JSON_ARRAY || v->count != json_array_size(j))
            return false;
        for (size_t i = 0; i < v->count; i++)
            if (!same_value(&v->items[i], json_array_get(j, i)))
                return false;
        return true;
    case JSON_OBJECT:
        if (v->type != GK_JSON_OBJECT || v->count != json_object_size(j))
            return false;
        for (size_t i = 0; i < v->count; i++) {
            const json_t *m = json_object_getn(j, v->items[i].key, v->items[i].key_len);
            if (!m || !same_value(&v->items[i], m))
                return false;
        }
        return true;
    }
    return false;
}

struct diff_case {
    const char *text;
    size_t len;          /* 0: strlen(text) */
    int expected_diff;   /* 0: must agree; 1: we reject, jansson accepts; 2: we accept, jansson rejects */
    const char *why;
};

static const struct diff_case cases[] = {
    {"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}", 0, 0, NULL},
    {"[1,-1,0,-0,1.5,-2.25e-3,1E10,1e+2,0.000001]", 0, 0, NULL},
    {"[9007199254740993,9223372036854775807,-9223372036854775808]", 0, 0, NULL},
    {"\"\\u0041\\u00e9\\u20ac\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, 0, NULL},
    {"\"a\\u0000b\"", 0, 0, NULL},
    {"\"\xf0\x9f\x98\x80 \xe4\xb8\xad \xc3\xa9 \xe2\x80\xa8\"", 0, 0, NULL},
    {"  {\"a\" : [ true , false , null ] }  ", 0, 0, NULL},
    {"{}", 0, 0, NULL},
    {"[]", 0, 0, NULL},
    {"42", 0, 0, NULL},
    {"\"top\"", 0, 0, NULL},
    {"null", 0, 0, NULL},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", 0, 0, NULL},
    {"1.7976931348623157e308", 0, 0, NULL},
    {"1e-400", 0, 0, NULL},
    /* Rejections both must agree on. */
    {"", 0, 0, NULL},
    {"   ", 0, 0, NULL},
    {"[1,2,]", 0, 0, NULL},
    {"{\"a\":1,}", 0, 0, NULL},
    {"{\"a\":1,\"a\":2}", 0, 0, NULL},
    {"{\"a\":1,\"\\u0061\":2}", 0, 0, NULL},
    {"01", 0, 0, NULL},
    {"1.", 0, 0, NULL},
    {".5", 0, 0, NULL},
    {"+1", 0, 0, NULL},
    {"NaN", 0, 0, NULL},
    {"[Infinity]", 0, 0, NULL},
    {"-Infinity", 0, 0, NULL},
    {"/* c */ 1", 0, 0, NULL},
    {"[1] x", 0, 0, NULL},
    {"'single'", 0, 0, NULL},
    {"{a:1}", 0, 0, NULL},
    {"\"\\x\"", 0, 0, NULL},
    {"\"\\ud800\"", 0, 0, NULL},
    {"\"\\udc00\"", 0, 0, NULL},
    {"\"\xc0\xaf\"", 0, 0, NULL},
    {"\"\xed\xa0\x80\"", 0, 0, NULL},
    {"\"\xf4\x90\x80\x80\"", 0, 0, NULL},
    {"\"\xff\"", 0, 0, NULL},
    {"\"a\nb\"", 0, 0, NULL},
    {"\"unterminated", 0, 0, NULL},
    {"[1 2]", 0, 0, NULL},
    {"{\"a\" 1}", 0, 0, NULL},
    {"tru", 0, 0, NULL},
    {"\xef\xbb\xbf{}", 0, 0, NULL},
    {"1e400", 0, 0, NULL},
    {"[1]\0", 4, 0, NULL},
    /* Deliberate differences. */
    {"18446744073709551616", 0, 2,
     "integers beyond int64 are numbers (nearest double) for us; jansson rejects them"},
    {"-9223372036854775809", 0, 2, "same: beyond int64"},
    {"{\"a\\u0000\":1,\"a\":2}", 0, 2,
     "keys may contain U+0000 for us (key_len); jansson does not support NUL in keys"},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
     "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
     0, 1, "nesting over our default limit of 64; jansson allows 2048"},
};

TEST(json_differential_against_jansson)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);
    EXPECT_GE(n, 40);
    for (size_t i = 0; i < n; i++) {
        const struct diff_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        gk_arena *a = gk_arena_new(0);
        gk_json *ours = NULL;
        gk_error err = {0};
        gk_status st = gk_json_parse(a, c->text, len, NULL, &ours, &err);
        json_error_t jerr;
        json_t *theirs =
            json_loadb(c->text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        bool we_accept = st == GK_OK;
        bool they_accept = theirs != NULL;
        int diff = we_accept == they_accept ? 0 : (they_accept ? 1 : 2);
        if (diff != c->expected_diff)
            gk_test_fail(__FILE__, __LINE__, "case %zu '%s': ours %s (%s), jansson %s (%s)", i,
                         c->text, we_accept ? "accepts" : "rejects", err.message,
                         they_accept ? "accepts" : "rejects", they_accept ? "" : jerr.text);
        if (we_accept && they_accept && !same_value(ours, theirs))
            gk_test_fail(__FILE__, __LINE__, "case %zu '%s': values differ", i, c->text);
        json_decref(theirs);
        gk_arena_free(a);
    }
}
