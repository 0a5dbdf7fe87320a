/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/registry_test.c - defining, finding and listing actions. */
#include <genkit/genkit.h>

#include "core/core.h"
#include "test.h"

static gk_status echo(gk_ctx *ctx, const void *in, void *out, gk_stream *stream, void *self,
                      gk_error *err)
{
    (void)ctx, (void)stream, (void)self, (void)err;
    *(gk_json *)out = *(const gk_json *)in;
    return GK_OK;
}

static gk_action *define(gk_genkit *g, gk_action_type type, const char *name, gk_error *err)
{
    gk_action_desc d = {.type = type,
                        .name = name,
                        .description = "echoes its input",
                        .in_type = GK_TYPE_OF(gk_json),
                        .out_type = GK_TYPE_OF(gk_json),
                        .fn = echo};
    return gk_define_action(g, &d, err);
}

static gk_genkit *new_genkit(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    if (!g)
        fprintf(stderr, "gk_init: %s\n", err.message);
    return g;
}

TEST(define_action_makes_key_from_type_and_name)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};

    gk_action *a = define(g, GK_ACTION_TOOL, "weather", &err);

    ASSERT_TRUE(a);
    EXPECT_STREQ(gk_action_key(a), "/tool/weather");
    EXPECT_STREQ(gk_action_name(a), "weather");
    EXPECT_EQ(gk_action_get_type(a), GK_ACTION_TOOL);
    EXPECT_STREQ(gk_action_description(a), "echoes its input");
    EXPECT_STREQ(gk_action_metadata(a), "{}");
    EXPECT_TRUE(gk_lookup_action(g, "/tool/weather") == a);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_TOOL, "weather") == a);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_FLOW, "weather") == NULL);
    gk_shutdown(g);
}

TEST(define_action_rejects_duplicate_key)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    ASSERT_TRUE(define(g, GK_ACTION_FLOW, "a", &err));

    gk_action *again = define(g, GK_ACTION_FLOW, "a", &err);

    EXPECT_TRUE(again == NULL);
    EXPECT_EQ(err.status, GK_ALREADY_EXISTS);
    EXPECT_STREQ(err.message, "action \"/flow/a\" is already defined");
    /* The same name under another type is a different action. */
    EXPECT_TRUE(define(g, GK_ACTION_MODEL, "a", &err) != NULL);
    gk_shutdown(g);
}

TEST(define_action_rejects_bad_names_and_missing_parts)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};

    EXPECT_TRUE(define(g, GK_ACTION_FLOW, "", &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_TRUE(define(g, GK_ACTION_FLOW, "has space", &err) == NULL);
    EXPECT_TRUE(define(g, GK_ACTION_FLOW, "q?x", &err) == NULL);
    gk_action_desc d = {.type = GK_ACTION_FLOW, .name = "nofn", .in_type = GK_TYPE_OF(gk_json),
                        .out_type = GK_TYPE_OF(gk_json)};
    EXPECT_TRUE(gk_define_action(g, &d, &err) == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_EQ(gk_action_count(g), 1); /* only the built-in /util/generate */
    gk_shutdown(g);
}

TEST(registry_is_read_only_once_frozen)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    gk__genkit_freeze(g);

    EXPECT_TRUE(define(g, GK_ACTION_FLOW, "late", &err) == NULL);

    EXPECT_EQ(err.status, GK_FAILED_PRECONDITION);
    gk_shutdown(g);
}

TEST(actions_are_listed_in_key_order_and_found_among_many)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    char name[32];
    for (int i = 299; i >= 0; i--) {
        snprintf(name, sizeof(name), "f%03d", i);
        ASSERT_TRUE(define(g, GK_ACTION_FLOW, name, &err));
    }
    ASSERT_TRUE(define(g, GK_ACTION_MODEL, "m", &err));

    EXPECT_EQ(gk_action_count(g), 302); /* and the built-in /util/generate */
    EXPECT_STREQ(gk_action_key(gk_action_at(g, 0)), "/flow/f000");
    EXPECT_STREQ(gk_action_key(gk_action_at(g, 299)), "/flow/f299");
    EXPECT_STREQ(gk_action_key(gk_action_at(g, 300)), "/model/m");
    EXPECT_STREQ(gk_action_key(gk_action_at(g, 301)), "/util/generate");
    EXPECT_TRUE(gk_action_at(g, 302) == NULL);
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "f%03d", i);
        gk_action *a = gk_lookup(g, GK_ACTION_FLOW, name);
        ASSERT_TRUE(a);
        EXPECT_STREQ(gk_action_name(a), name);
    }
    gk_shutdown(g);
}

TEST(action_type_names_match_genkit_keys)
{
    EXPECT_STREQ(gk_action_type_name(GK_ACTION_FLOW), "flow");
    EXPECT_STREQ(gk_action_type_name(GK_ACTION_EXECUTABLE_PROMPT), "executable-prompt");
    EXPECT_STREQ(gk_action_type_name(GK_ACTION_UTIL), "util");
    EXPECT_STREQ(gk_action_type_name(GK_ACTION_TYPE_COUNT), "unknown");
}
