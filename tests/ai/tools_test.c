/* SPDX-License-Identifier: Apache-2.0 */
/* tests/ai/tools_test.c - GK_DEFINE_TOOL: registration under /tool/<name>, running a tool as an
 * action with JSON in and out, interrupts outside generate, and gk_tool_respond. */
#include <string.h>

#include <genkit/genkit.h>

#include "runtime/rt_helpers.h"
#include "test.h"

typedef struct TtCity {
    const char *city;
} TtCity;

typedef struct TtWeather {
    const char *city;
    int celsius;
} TtWeather;

/* clang-format off */
GK_SCHEMA_DEFINE(TtCity, "Where", GK_FIELD_STRING(TtCity, city, "city", "City name", GK_MIN_LENGTH(1)));
GK_SCHEMA_DEFINE(TtWeather, NULL,
    GK_FIELD_STRING(TtWeather, city, "city", NULL),
    GK_FIELD_INT(TtWeather, celsius, "celsius", NULL));
/* clang-format on */

static gk_status weather(gk_ctx *ctx, const TtCity *in, TtWeather *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    out->city = in->city;
    out->celsius = (int)strlen(in->city);
    return GK_OK;
}

static gk_status interrupting(gk_ctx *ctx, const TtCity *in, TtWeather *out, gk_error *err)
{
    (void)in;
    (void)out;
    return gk_tool_interrupt(ctx, NULL, err);
}

TEST(define_tool_registers_a_tool_action)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);

    gk_action *a =
        GK_DEFINE_TOOL(g, "weather", "Current weather in a city", weather, TtCity, TtWeather, &err);

    ASSERT_TRUE(a);
    EXPECT_STREQ(gk_action_key(a), "/tool/weather");
    EXPECT_STREQ(gk_action_description(a), "Current weather in a city");
    EXPECT_TRUE(gk_action_in_type(a) == GK_TYPE_OF(TtCity));
    EXPECT_TRUE(gk_action_out_type(a) == GK_TYPE_OF(TtWeather));
    EXPECT_TRUE(gk_lookup(g, GK_ACTION_TOOL, "weather") == a);
    EXPECT_FALSE(GK_DEFINE_TOOL(g, "weather", NULL, weather, TtCity, TtWeather, &err));
    EXPECT_EQ(err.status, GK_ALREADY_EXISTS);
    gk_shutdown(g);
}

struct run_case {
    gk_action *a;
    const char *input;
    gk_status st;
    gk_error err;
    char out[256];
};

static void run_json(gk_ctx *ctx, void *arg)
{
    struct run_case *c = arg;
    gk_arena *a = gk_ctx_arena(ctx);
    gk_json *in = NULL;
    gk_json_parse(a, c->input, strlen(c->input), NULL, &in, NULL);
    gk_buf b = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &b);
    c->st = gk_action_run_json(ctx, c->a, in, NULL, NULL, &w, &c->err);
    snprintf(c->out, sizeof(c->out), "%s", b.ptr ? b.ptr : "");
    gk_buf_release(&b);
}

TEST(tool_runs_as_an_action_with_json_in_and_out)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    gk_action *a = GK_DEFINE_TOOL(g, "weather", "w", weather, TtCity, TtWeather, &err);
    struct run_case ok = {.a = a, .input = "{\"city\":\"Oslo\"}"};
    struct run_case bad = {.a = a, .input = "{\"city\":\"\"}"};

    rt_run_fiber(run_json, &ok, 0);
    rt_run_fiber(run_json, &bad, 0);

    EXPECT_EQ(ok.st, GK_OK);
    EXPECT_STREQ(ok.out, "{\"city\":\"Oslo\",\"celsius\":4}");
    EXPECT_EQ(bad.st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(bad.err.path, "/city");
    gk_shutdown(g);
}

TEST(tool_interrupt_outside_generate_is_a_failed_precondition)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "test"}, &err);
    ASSERT_TRUE(g);
    gk_action *a = GK_DEFINE_TOOL(g, "ask", "a", interrupting, TtCity, TtWeather, &err);
    struct run_case c = {.a = a, .input = "{\"city\":\"x\"}"};

    rt_run_fiber(run_json, &c, 0);

    EXPECT_EQ(c.st, GK_FAILED_PRECONDITION);
    EXPECT_STREQ(c.err.message, "gk_tool_interrupt called outside a tool run by gk_generate");
    gk_shutdown(g);
}

TEST(tool_respond_answers_an_interrupted_request)
{
    gk_part req = gk_part_tool_request("ask", "r7", NULL);
    gk_json out = {.type = GK_JSON_BOOL, .boolean = true};
    gk_part resp;
    gk_part text = gk_part_text("x");
    gk_error err = {0};

    ASSERT_EQ(gk_tool_respond(&req, &out, &resp, &err), GK_OK);

    EXPECT_TRUE(resp.has_tool_response);
    EXPECT_STREQ(resp.tool_response.name, "ask");
    EXPECT_STREQ(resp.tool_response.ref, "r7");
    EXPECT_TRUE(resp.tool_response.output == &out);
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write(&b, resp.metadata);
    EXPECT_STREQ(b.ptr, "{\"interruptResponse\":true}");
    gk_buf_release(&b);
    EXPECT_EQ(gk_tool_respond(&text, &out, &resp, &err), GK_INVALID_ARGUMENT);
}

TEST(tool_resumed_is_null_outside_a_restart)
{
    struct run_case c = {0};
    (void)c;
    EXPECT_TRUE(gk_tool_resumed(NULL) == NULL);
}
