/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/plugin_host_test.c - the plugin host: ABI and name checks, duplicate plugins, init
 * order, what the host lends, model names scoped to the plugin, error prefixes. */
#include <string.h>

#include <genkit/plugin.h>

#include "core/plugin_host.h"
#include "test.h"

static int init_order[8];
static int init_count;

static gk_status noop_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                               gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    (void)self, (void)ctx, (void)req, (void)stream, (void)resp, (void)err;
    return GK_OK;
}

static gk_status init_a(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    init_order[init_count++] = 1;
    if (config || !gk_host_arena(host) || !gk_host_genkit(host))
        return gk_error_set(err, GK_INTERNAL, "", "bad host");
    if (strcmp(gk_host_plugin_name(host), "a") != 0)
        return gk_error_set(err, GK_INTERNAL, "", "bad name");
    gk_model_desc d = {.name = "a/m", .generate = noop_generate};
    return gk_host_define_model(host, &d, err);
}

static gk_status init_b(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    init_order[init_count++] = 2;
    gk_model_desc d = {.name = "a/stolen", .generate = noop_generate};
    return gk_host_define_model(host, &d, err);
}

static gk_status init_silent_failure(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)host, (void)config, (void)err;
    init_order[init_count++] = 3;
    return GK_UNAVAILABLE;
}

static const gk_plugin plugin_a = {.abi = GK_PLUGIN_ABI, .name = "a", .init = init_a};
static const gk_plugin plugin_b = {.abi = GK_PLUGIN_ABI, .name = "b", .init = init_b};
static const gk_plugin plugin_old = {.abi = GK_PLUGIN_ABI + 7, .name = "old", .init = init_a};
static const gk_plugin plugin_a_again = {.abi = GK_PLUGIN_ABI, .name = "a", .init = init_b};
static const gk_plugin plugin_silent = {
    .abi = GK_PLUGIN_ABI, .name = "silent", .init = init_silent_failure};
static const gk_plugin plugin_slash = {.abi = GK_PLUGIN_ABI, .name = "x/y", .init = init_a};

static gk_genkit *new_genkit(void)
{
    gk_error err = {0};
    init_count = 0;
    memset(init_order, 0, sizeof(init_order));
    return gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
}

TEST(plugins_init_in_order_and_define_models_under_their_name)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const only_a[] = {&plugin_a, NULL};

    EXPECT_EQ(gk__plugins_init(g, only_a, &err), GK_OK);
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_MODEL, "a/m") != NULL);
    EXPECT_EQ(init_count, 1);
    EXPECT_EQ(gk__plugins_init(g, NULL, &err), GK_OK);
    gk_shutdown(g);
}

TEST(plugin_with_another_abi_is_refused_before_init)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const list[] = {&plugin_old, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_FAILED_PRECONDITION);

    EXPECT_STREQ(err.message,
                 "plugin #0 (\"old\") was built for plugin ABI 8, this library speaks 1: rebuild it");
    EXPECT_EQ(init_count, 0);
    gk_shutdown(g);
}

TEST(plugin_listed_twice_is_rejected)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const list[] = {&plugin_a, &plugin_a_again, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_ALREADY_EXISTS);

    EXPECT_STREQ(err.message, "plugin \"a\" is listed twice");
    EXPECT_EQ(init_count, 1);
    gk_shutdown(g);
}

TEST(plugin_name_with_slash_is_invalid)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const list[] = {&plugin_slash, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_INVALID_ARGUMENT);
    EXPECT_EQ(init_count, 0);
    gk_shutdown(g);
}

TEST(plugin_defining_a_model_outside_its_prefix_fails_init_with_a_prefixed_message)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const list[] = {&plugin_b, &plugin_a, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_INVALID_ARGUMENT);

    EXPECT_STREQ(err.message,
                 "plugin \"b\": model \"a/stolen\" of plugin \"b\" must be named \"b/<model>\"");
    EXPECT_EQ(init_count, 1); /* stopped at the first failure */
    EXPECT_EQ(gk_action_count(g), 1); /* only the built-in /util/generate */
    gk_shutdown(g);
}

TEST(plugin_failing_without_a_message_still_reports_one)
{
    gk_genkit *g = new_genkit();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const gk_plugin *const list[] = {&plugin_a, &plugin_silent, NULL};

    EXPECT_EQ(gk__plugins_init(g, list, &err), GK_UNAVAILABLE);

    EXPECT_EQ(err.status, GK_UNAVAILABLE);
    EXPECT_STREQ(err.message, "plugin \"silent\": init failed (UNAVAILABLE)");
    EXPECT_EQ(init_order[0], 1);
    EXPECT_EQ(init_order[1], 3);
    gk_shutdown(g);
}
