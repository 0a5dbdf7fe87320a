/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/model_types_test.c - the Genkit data model: byte-stable round trips of canonical Genkit
 * JSON, every part kind, the "exactly one kind" rule with paths, helpers, and a fault sweep over
 * decoding a GenerateRequest. */
#include <string.h>

#include <genkit/ai.h>

#include "base/fault.h"
#include "test.h"

/* Decode json as t, encode it back, and return the text (in a). */
static const char *round_trip(gk_arena *a, const gk_type *t, const char *json, void *v,
                              gk_error *err)
{
    if (gk_decode_text(a, t, json, strlen(json), v, err) != GK_OK)
        return err->message;
    gk_buf b = GK_BUF_INIT(1 << 20);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_encode(&w, t, v);
    const char *s = gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    return s;
}

/* The measured JS 1.42 /util/generate result (reference 2.4), with the elided schemas filled in. */
static const char measured_response[] =
    "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"tool said: 5\"}]},"
    "\"finishReason\":\"stop\",\"usage\":{},\"custom\":{},"
    "\"request\":{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"add\"}]},"
    "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"adder\",\"input\":{\"a\":2,"
    "\"b\":3},\"ref\":\"r1\"}}]},"
    "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"adder\",\"ref\":\"r1\","
    "\"output\":5}}]}],"
    "\"tools\":[{\"name\":\"adder\",\"description\":\"adds\",\"inputSchema\":{\"type\":\"object\"},"
    "\"outputSchema\":{\"type\":\"number\"},\"key\":\"/tool/adder\"}],\"output\":{}}}";

static const char every_kind_request[] =
    "{\"messages\":["
    "{\"role\":\"system\",\"content\":[{\"text\":\"be brief\"}]},"
    "{\"role\":\"user\",\"content\":[{\"text\":\"hi\",\"metadata\":{\"purpose\":\"context\"}},"
    "{\"media\":{\"url\":\"data:image/png;base64,AAAA\",\"contentType\":\"image/png\"}},"
    "{\"data\":{\"k\":[1,2]}},{\"custom\":{\"x\":1}},{\"reasoning\":\"thinking\"},"
    "{\"resource\":{\"uri\":\"user://profile/1\"}}],\"metadata\":{\"purpose\":\"history\"}},"
    "{\"role\":\"model\",\"content\":[{\"toolRequest\":{\"name\":\"adder\",\"input\":{\"a\":2},"
    "\"ref\":\"r1\",\"partial\":true}}]},"
    "{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"adder\",\"ref\":\"r1\","
    "\"output\":5,\"content\":[{\"text\":\"five\"}]}}]}],"
    "\"config\":{\"temperature\":0.5},"
    "\"tools\":[{\"name\":\"adder\",\"description\":\"adds\",\"inputSchema\":{\"type\":\"object\"},"
    "\"outputSchema\":null}],"
    "\"toolChoice\":\"required\","
    "\"output\":{\"format\":\"json\",\"schema\":{\"type\":\"object\"},\"constrained\":true,"
    "\"contentType\":\"application/json\"},"
    "\"docs\":[{\"content\":[{\"text\":\"doc\"}],\"metadata\":{\"source\":\"a\"}}]}";

TEST(measured_generate_response_round_trips_byte_for_byte)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_generate_response r;

    const char *out = round_trip(a, GK_TYPE_OF(gk_generate_response), measured_response, &r, &err);

    EXPECT_STREQ(out, measured_response);
    EXPECT_EQ(r.finish_reason, GK_FINISH_STOP);
    EXPECT_TRUE(r.has_usage);
    EXPECT_STREQ(gk_response_text(a, &r), "tool said: 5");
    gk_arena_free(a);
}

TEST(request_with_every_part_kind_round_trips_and_passes_the_check)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_generate_request q;

    const char *out = round_trip(a, GK_TYPE_OF(gk_generate_request), every_kind_request, &q, &err);

    EXPECT_STREQ(out, every_kind_request);
    ASSERT_EQ(q.messages.count, 4);
    const gk_message *user = &q.messages.items[1];
    ASSERT_EQ(user->content.count, 6);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[0]), GK_PART_TEXT);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[1]), GK_PART_MEDIA);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[2]), GK_PART_DATA);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[3]), GK_PART_CUSTOM);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[4]), GK_PART_REASONING);
    EXPECT_EQ(gk_part_kind_of(&user->content.items[5]), GK_PART_RESOURCE);
    EXPECT_EQ(gk_part_kind_of(&q.messages.items[2].content.items[0]), GK_PART_TOOL_REQUEST);
    EXPECT_EQ(gk_part_kind_of(&q.messages.items[3].content.items[0]), GK_PART_TOOL_RESPONSE);
    EXPECT_STREQ(user->content.items[1].media.content_type, "image/png");
    EXPECT_TRUE(q.messages.items[2].content.items[0].tool_request.partial);
    EXPECT_EQ(q.tool_choice, GK_TOOL_CHOICE_REQUIRED);
    EXPECT_TRUE(q.output.constrained);
    EXPECT_EQ(q.tools.items[0].output_schema->type, GK_JSON_NULL);
    EXPECT_EQ(gk_generate_request_check(&q, &err), GK_OK);
    EXPECT_STREQ(gk_part_kind_name(GK_PART_TOOL_RESPONSE), "toolResponse");
    gk_arena_free(a);
}

TEST(response_with_usage_and_chunk_round_trip_byte_for_byte)
{
    static const char resp_json[] =
        "{\"message\":{\"role\":\"model\",\"content\":[{\"text\":\"a\"}]},\"finishReason\":"
        "\"length\",\"finishMessage\":\"cut\",\"latencyMs\":12.5,\"usage\":{\"inputTokens\":3,"
        "\"outputTokens\":5,\"totalTokens\":8,\"inputCharacters\":10,\"thoughtsTokens\":1,"
        "\"custom\":{\"x\":2}},\"custom\":{},\"raw\":{\"id\":\"x\"}}";
    static const char chunk_json[] =
        "{\"role\":\"model\",\"index\":0,\"content\":[{\"text\":\"Hel\"}],\"aggregated\":true}";
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_generate_response r;
    gk_generate_response_chunk c;

    EXPECT_STREQ(round_trip(a, GK_TYPE_OF(gk_generate_response), resp_json, &r, &err), resp_json);
    EXPECT_STREQ(round_trip(a, GK_TYPE_OF(gk_generate_response_chunk), chunk_json, &c, &err),
                 chunk_json);

    EXPECT_EQ(r.finish_reason, GK_FINISH_LENGTH);
    EXPECT_TRUE(r.usage.has_output_tokens);
    EXPECT_FALSE(r.usage.has_input_images);
    EXPECT_EQ((int)r.usage.total_tokens, 8);
    EXPECT_STREQ(gk_chunk_text(a, &c), "Hel");
    gk_arena_free(a);
}

TEST(missing_finish_reason_decodes_as_unknown)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_generate_response r;

    const char *out = round_trip(a, GK_TYPE_OF(gk_generate_response), "{}", &r, &err);

    EXPECT_STREQ(out, "{\"finishReason\":\"unknown\"}");
    EXPECT_STREQ(gk_finish_reason_name(r.finish_reason), "unknown");
    EXPECT_STREQ(gk_response_text(a, &r), "");
    gk_arena_free(a);
}

/* Decode a request and run the part check; returns the first failing status. */
static gk_status decode_and_check(gk_arena *a, const char *json, gk_error *err)
{
    gk_generate_request q;
    gk_status st = gk_decode_text(a, GK_TYPE_OF(gk_generate_request), json, strlen(json), &q, err);
    if (st != GK_OK)
        return st;
    return gk_generate_request_check(&q, err);
}

TEST(part_without_a_kind_is_rejected_with_its_path)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    gk_status st = decode_and_check(
        a, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"},{\"metadata\":{}}]}]}",
        &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/1");
    EXPECT_STREQ(err.message, "part must have exactly one of text, media, toolRequest, "
                              "toolResponse, data, custom, reasoning, resource; it has none");
    gk_arena_free(a);
}

TEST(part_with_two_kinds_is_rejected_naming_both)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    gk_status st = decode_and_check(
        a,
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]},{\"role\":\"model\","
        "\"content\":[{\"text\":\"b\"},{\"text\":\"c\",\"media\":{\"url\":\"https://x\"}}]}]}",
        &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/1/content/1");
    EXPECT_CONTAINS(err.message, "; it has text, media");
    gk_arena_free(a);
}

TEST(custom_part_may_carry_data_but_data_with_text_may_not)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    EXPECT_EQ(decode_and_check(a,
                               "{\"messages\":[{\"role\":\"user\",\"content\":[{\"custom\":{},"
                               "\"data\":null}]}]}",
                               &err),
              GK_OK);
    EXPECT_EQ(decode_and_check(a,
                               "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"x\","
                               "\"data\":null}]}]}",
                               &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0");
    EXPECT_CONTAINS(err.message, "it has text, data");
    gk_arena_free(a);
}

TEST(tool_response_content_is_checked_part_by_part)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    gk_status st = decode_and_check(
        a,
        "{\"messages\":[{\"role\":\"tool\",\"content\":[{\"toolResponse\":{\"name\":\"t\","
        "\"content\":[{\"text\":\"ok\"},{}]}}]}],\"docs\":[]}",
        &err);
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0/toolResponse/content/1");
    EXPECT_CONTAINS(err.message, "it has none");

    st = decode_and_check(a,
                          "{\"messages\":[{\"role\":\"tool\",\"content\":[{\"toolResponse\":{"
                          "\"name\":\"t\",\"content\":[{\"media\":{}}]}}]}]}",
                          &err);
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0/toolResponse/content/0/media/url");

    st = decode_and_check(a,
                          "{\"messages\":[{\"role\":\"tool\",\"content\":[{\"toolResponse\":{"
                          "\"name\":\"t\",\"content\":{}}}]}]}",
                          &err);
    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0/toolResponse/content");
    EXPECT_STREQ(err.message, "expected array of parts, got object");
    gk_arena_free(a);
}

TEST(document_parts_are_checked_with_their_path)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    gk_status st = decode_and_check(
        a, "{\"messages\":[],\"docs\":[{\"content\":[{\"text\":\"a\"}]},{\"content\":[{}]}]}",
        &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/docs/1/content/0");
    gk_arena_free(a);
}

TEST(decode_errors_name_the_field_path)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    EXPECT_EQ(decode_and_check(a, "{\"messages\":[{\"role\":\"robot\",\"content\":[]}]}", &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/role");
    EXPECT_EQ(decode_and_check(a,
                               "{\"messages\":[{\"role\":\"model\",\"content\":[{\"toolRequest\":"
                               "{\"input\":1}}]}]}",
                               &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/0/toolRequest/name");
    EXPECT_EQ(decode_and_check(a, "{\"messages\":[],\"toolChoice\":\"maybe\"}", &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/toolChoice");
    EXPECT_EQ(decode_and_check(a, "{}", &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages");
    gk_arena_free(a);
}

TEST(message_helpers_build_and_read_text_and_tool_requests)
{
    gk_arena *a = gk_arena_new(0);
    gk_generate_response r = {.has_message = true};
    ASSERT_EQ(gk_message_text_init(a, &r.message, GK_ROLE_MODEL, "Hello"), GK_OK);
    gk_part parts[] = {gk_part_tool_request("adder", "r1", NULL), gk_part_text(", world"),
                       gk_part_tool_request("mul", NULL, NULL), gk_part_data(NULL)};
    for (size_t i = 0; i < 4; i++)
        ASSERT_EQ(gk_message_add_part(a, &r.message, &parts[i]), GK_OK);
    const gk_tool_request **reqs = NULL;
    size_t n = 0;

    ASSERT_EQ(gk_response_tool_requests(a, &r, &reqs, &n), GK_OK);

    EXPECT_STREQ(gk_response_text(a, &r), "Hello, world");
    ASSERT_EQ(n, 2);
    EXPECT_STREQ(reqs[0]->name, "adder");
    EXPECT_STREQ(reqs[0]->ref, "r1");
    EXPECT_STREQ(reqs[1]->name, "mul");
    EXPECT_STREQ(gk_role_name(r.message.role), "model");
    /* A data part without a value holds no kind. */
    EXPECT_EQ(gk_part_kind_of(&r.message.content.items[4]), GK_PART_INVALID);
    EXPECT_EQ(gk_part_kind_of(&r.message.content.items[0]), GK_PART_TEXT);

    gk_generate_request q = {0};
    ASSERT_EQ(gk_request_add_message(a, &q, &r.message), GK_OK);
    gk_error err = {0};
    EXPECT_EQ(gk_generate_request_check(&q, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.path, "/messages/0/content/4");
    gk_arena_free(a);
}

TEST(tool_response_content_decodes_into_parts)
{
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};
    gk_part p;
    static const char json[] =
        "{\"toolResponse\":{\"name\":\"t\",\"output\":1,\"content\":[{\"text\":\"x\"},"
        "{\"media\":{\"url\":\"https://i\"}}]}}";
    ASSERT_EQ(gk_decode_text(a, GK_TYPE_OF(gk_part), json, strlen(json), &p, &err), GK_OK);
    gk_part_array parts;

    ASSERT_EQ(gk_tool_response_content(a, &p.tool_response, &parts, &err), GK_OK);

    ASSERT_EQ(parts.count, 2);
    EXPECT_STREQ(parts.items[0].text, "x");
    EXPECT_STREQ(parts.items[1].media.url, "https://i");
    gk_tool_response none = {.name = "t"};
    ASSERT_EQ(gk_tool_response_content(a, &none, &parts, &err), GK_OK);
    EXPECT_EQ(parts.count, 0);
    EXPECT_TRUE(parts.items == NULL);
    gk_arena_free(a);
}

TEST(model_types_are_well_formed_and_describe_themselves)
{
    gk_error err = {0};
    const gk_type *types[] = {GK_TYPE_OF(gk_generate_request), GK_TYPE_OF(gk_generate_response),
                              GK_TYPE_OF(gk_generate_response_chunk), GK_TYPE_OF(gk_document),
                              GK_TYPE_OF(gk_part_array)};
    for (size_t i = 0; i < 5; i++)
        EXPECT_EQ(gk_type_validate(types[i], &err), GK_OK);
    gk_buf b = GK_BUF_INIT(1 << 20);
    gk_jw w;
    gk_jw_init(&w, &b);

    gk_schema_write_ex(&w, GK_TYPE_OF(gk_media), GK_SCHEMA_NO_META);

    EXPECT_STREQ(b.ptr, "{\"type\":\"object\",\"description\":\"Media by URL (https: or data:)\","
                        "\"properties\":{\"url\":{\"type\":\"string\"},\"contentType\":{\"type\":"
                        "\"string\"}},\"required\":[\"url\"],\"additionalProperties\":false}");
    gk_buf_release(&b);
}

TEST(fault_sweep_decoding_a_generate_request_returns_a_status_every_time)
{
    long runs = 0;
    for (long n = 1; n < 100000; n++) {
        gk_error err = {0};
        gk__alloc_fail_after(n);
        gk_arena *a = gk_arena_new(0);
        gk_status st = GK_RESOURCE_EXHAUSTED;
        if (a)
            st = decode_and_check(a, every_kind_request, &err);
        bool fired = gk__alloc_fault_fired();
        gk__alloc_fail_after(-1);
        runs++;
        if (a && st != GK_OK)
            EXPECT_EQ(st, GK_RESOURCE_EXHAUSTED);
        gk_arena_free(a);
        if (!fired) {
            EXPECT_EQ(st, GK_OK);
            break;
        }
    }
    EXPECT_GT(runs, 2);
}
