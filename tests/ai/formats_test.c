/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/formats_test.c - output formats: final parses tolerant of fences and prose, partial
 * JSON repair for streaming, jsonl and array items, enum cleanup, and the instruction texts. */
#include <string.h>

#include <genkit/ai.h>

#include "test.h"

/* Parse text as format f and write the result compactly into out ("(null)" when none). */
static gk_status parse(gk_output_format f, const char *text, bool partial, char *out, size_t cap,
                       gk_error *err)
{
    gk_arena *a = gk_arena_new(0);
    const gk_json *v = NULL;
    gk_status st = gk_output_parse(a, f, text, strlen(text), partial, &v, err);
    gk_buf b = GK_BUF_INIT(0);
    if (v)
        gk_json_write(&b, v);
    else
        gk_buf_puts(&b, "(null)");
    snprintf(out, cap, "%s", b.ptr);
    gk_buf_release(&b);
    gk_arena_free(a);
    return st;
}

static const char *final_json(const char *text)
{
    static char out[512];
    gk_error err = {0};
    if (parse(GK_FORMAT_JSON, text, false, out, sizeof(out), &err) != GK_OK)
        snprintf(out, sizeof(out), "error: %s", err.message);
    return out;
}

static const char *partial_json(const char *text)
{
    static char out[512];
    gk_error err = {0};
    if (parse(GK_FORMAT_JSON, text, true, out, sizeof(out), &err) != GK_OK)
        snprintf(out, sizeof(out), "error: %s", err.message);
    return out;
}

TEST(json_format_parses_plain_json)
{
    EXPECT_STREQ(final_json(" {\"a\": [1, 2], \"b\": \"x\"} \n"), "{\"a\":[1,2],\"b\":\"x\"}");
    EXPECT_STREQ(final_json("42"), "42");
    EXPECT_STREQ(final_json("\"just a string\""), "\"just a string\"");
}

TEST(json_format_takes_the_body_of_a_markdown_fence)
{
    EXPECT_STREQ(final_json("Here you go:\n```json\n{\"a\": 1}\n```\nEnjoy!"), "{\"a\":1}");
    EXPECT_STREQ(final_json("```\n[1,2]\n```"), "[1,2]");
    EXPECT_STREQ(final_json("```{\"a\":true}```"), "{\"a\":true}");
}

TEST(json_format_skips_prose_and_bracketed_words_before_the_value)
{
    EXPECT_STREQ(final_json("Sure [as asked], the result is {\"ok\": true} - done."),
                 "{\"ok\":true}");
    EXPECT_STREQ(final_json("text with a brace in a string first: {\"s\": \"}{\"}"),
                 "{\"s\":\"}{\"}");
}

TEST(json_format_rejects_text_without_json)
{
    gk_error err = {0};
    char out[64];

    gk_status st = parse(GK_FORMAT_JSON, "I cannot help with that.", false, out, sizeof(out), &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "no JSON value found in model output");
}

TEST(json_format_reports_an_unterminated_object)
{
    gk_error err = {0};
    char out[64];

    gk_status st = parse(GK_FORMAT_JSON, "{\"a\": [1, 2", false, out, sizeof(out), &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "model output has an unterminated JSON object");
}

TEST(json_format_reports_the_syntax_error_of_a_balanced_but_invalid_object)
{
    gk_error err = {0};
    char out[64];

    gk_status st = parse(GK_FORMAT_JSON, "{\"a\": 1,}", false, out, sizeof(out), &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "line 1 column");
}

TEST(partial_json_closes_open_strings_arrays_and_objects)
{
    EXPECT_STREQ(partial_json(""), "(null)");
    EXPECT_STREQ(partial_json("Sure, "), "(null)");
    EXPECT_STREQ(partial_json("{"), "{}");
    EXPECT_STREQ(partial_json("{\"tit"), "{}");
    EXPECT_STREQ(partial_json("{\"title\""), "{}");
    EXPECT_STREQ(partial_json("{\"title\": "), "{}");
    EXPECT_STREQ(partial_json("{\"title\": \"Pa"), "{\"title\":\"Pa\"}");
    EXPECT_STREQ(partial_json("{\"title\": \"Pasta\", \"steps\": [\"boil"),
                 "{\"title\":\"Pasta\",\"steps\":[\"boil\"]}");
    EXPECT_STREQ(partial_json("{\"a\": [1, 2"), "{\"a\":[1,2]}");
    EXPECT_STREQ(partial_json("{\"a\": [1, 2,"), "{\"a\":[1,2]}");
    EXPECT_STREQ(partial_json("{\"a\": {\"b\": {"), "{\"a\":{\"b\":{}}}");
    EXPECT_STREQ(partial_json("[{\"a\": 1}, {\"b\""), "[{\"a\":1},{}]");
}

TEST(partial_json_drops_unfinished_numbers_literals_and_escapes)
{
    EXPECT_STREQ(partial_json("{\"n\": -"), "{}");
    EXPECT_STREQ(partial_json("{\"n\": 1."), "{}");
    EXPECT_STREQ(partial_json("{\"n\": 12"), "{\"n\":12}");
    EXPECT_STREQ(partial_json("{\"ok\": tru"), "{}");
    EXPECT_STREQ(partial_json("{\"ok\": true"), "{\"ok\":true}");
    EXPECT_STREQ(partial_json("{\"s\": \"a\\"), "{\"s\":\"a\"}");
    EXPECT_STREQ(partial_json("{\"s\": \"a\\u00"), "{\"s\":\"a\"}");
    EXPECT_STREQ(partial_json("{\"s\": \"a\\u00e9"), "{\"s\":\"a\xc3\xa9\"}");
    EXPECT_STREQ(partial_json("{\"s\": \"q\\\"x"), "{\"s\":\"q\\\"x\"}");
}

TEST(partial_json_inside_a_fence_and_complete_values_parse_whole)
{
    EXPECT_STREQ(partial_json("```json\n{\"a\": \"b"), "{\"a\":\"b\"}");
    EXPECT_STREQ(partial_json("{\"a\": 1} and then some"), "{\"a\":1}");
}

TEST(array_format_final_parse_takes_the_first_array)
{
    char out[256];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "Items: {not this} [{\"a\":1},{\"a\":2}]", false, out,
                    sizeof(out), &err),
              GK_OK);
    EXPECT_STREQ(out, "[{\"a\":1},{\"a\":2}]");
    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "{\"a\":1}", false, out, sizeof(out), &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "no JSON array found in model output");
}

TEST(array_format_partial_gives_only_complete_items)
{
    char out[256];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "[{\"a\":1},{\"a\":", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "[{\"a\":1}]");
    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "[{\"a\":\"x,]\"}", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "[]");
    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "[{\"a\":\"x,]\"}]", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "[{\"a\":\"x,]\"}]");
    EXPECT_EQ(parse(GK_FORMAT_ARRAY, "no array yet", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "(null)");
}

TEST(jsonl_format_takes_object_lines_and_skips_others)
{
    char out[256];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_JSONL, "Here:\n{\"a\":1}\n\n  {\"a\":2}  \nbye", false, out,
                    sizeof(out), &err),
              GK_OK);
    EXPECT_STREQ(out, "[{\"a\":1},{\"a\":2}]");
}

TEST(jsonl_format_final_parse_names_the_bad_line)
{
    char out[256];
    gk_error err = {0};

    gk_status st = parse(GK_FORMAT_JSONL, "{\"a\":1}\n{\"a\":\n", false, out, sizeof(out), &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, "model output line 2: ");
}

TEST(jsonl_format_partial_gives_only_ended_lines)
{
    char out[256];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_JSONL, "{\"a\":1}\n{\"a\":2}", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "[{\"a\":1}]");
}

TEST(enum_format_trims_whitespace_quotes_and_fences)
{
    char out[64];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_ENUM, "  \"medium\"\n", false, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "\"medium\"");
    EXPECT_EQ(parse(GK_FORMAT_ENUM, "```\n'hard'\n```", false, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "\"hard\"");
    EXPECT_EQ(parse(GK_FORMAT_ENUM, "eas", true, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "(null)");
}

TEST(text_format_returns_the_text_as_a_string)
{
    char out[64];
    gk_error err = {0};

    EXPECT_EQ(parse(GK_FORMAT_TEXT, "hi \"you\"", false, out, sizeof(out), &err), GK_OK);
    EXPECT_STREQ(out, "\"hi \\\"you\\\"\"");
}

static const char *instructions(gk_output_format f, const char *schema_json,
                                const char *const *values)
{
    static char out[1024];
    gk_arena *a = gk_arena_new(0);
    gk_json *schema = NULL;
    if (schema_json)
        gk_json_parse(a, schema_json, strlen(schema_json), NULL, &schema, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_output_instructions(&b, f, schema, values);
    snprintf(out, sizeof(out), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
    gk_arena_free(a);
    return out;
}

TEST(instructions_follow_genkit_texts_per_format)
{
    EXPECT_STREQ(instructions(GK_FORMAT_JSON, "{\"type\":\"object\"}", NULL),
                 "Output should be in JSON format and conform to the following schema:\n\n```\n"
                 "{\"type\":\"object\"}\n```\n");
    EXPECT_STREQ(instructions(GK_FORMAT_JSON, NULL, NULL), "");
    EXPECT_STREQ(instructions(GK_FORMAT_TEXT, "{}", NULL), "");
    EXPECT_STREQ(instructions(GK_FORMAT_ARRAY,
                              "{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}", NULL),
                 "Output should be a JSON array conforming to the following schema:\n\n```\n"
                 "{\"type\":\"integer\"}\n```\n");
    EXPECT_STREQ(
        instructions(GK_FORMAT_JSONL, "{\"type\":\"array\",\"items\":{\"type\":\"object\"}}", NULL),
        "Output should be JSONL format, a sequence of JSON objects (one per line) "
        "separated by a newline '\\n' character. Each line should be a JSON object "
        "conforming to the following schema:\n\n```\n{\"type\":\"object\"}\n```\n");
    EXPECT_STREQ(instructions(GK_FORMAT_ENUM, "{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}", NULL),
                 "Output should be ONLY one of the following enum values. Do not output any "
                 "additional information or add quotes.\n\na\nb\n");
    EXPECT_STREQ(instructions(GK_FORMAT_ENUM, NULL, (const char *const[]){"x", NULL}),
                 "Output should be ONLY one of the following enum values. Do not output any "
                 "additional information or add quotes.\n\nx\n");
}

TEST(format_names_are_genkits)
{
    EXPECT_STREQ(gk_output_format_name(GK_FORMAT_JSONL), "jsonl");
    EXPECT_STREQ(gk_output_format_name(GK_FORMAT_DEFAULT), "");
    EXPECT_STREQ(gk_output_format_name((gk_output_format)99), "");
}
