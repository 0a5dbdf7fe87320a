/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/config_test.c - genkit.yaml: a full file decoded into gk_config and applied to the
 * server options; errors with file:LINE:COL for syntax, unknown keys, wrong types, ranges, keys
 * pasted where variable names belong, aliases; environment overrides; a missing file. */
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "test.h"

static gk_status parse(const char *yaml, gk_config *c, gk_error *err)
{
    return gk__config_parse("genkit.yaml", yaml, strlen(yaml), c, err);
}

static const char full[] = "server:\n"
                           "  port: 8080\n"
                           "  host: 127.0.0.1\n"
                           "  threads: 2\n"
                           "  limits: {max_body_bytes: 2048, max_connections: 50}\n"
                           "  timeouts:\n"
                           "    idle_ms: 5000\n"
                           "  cors:\n"
                           "    origins: [https://app.example]\n"
                           "    max_age: 60\n"
                           "default_model: local/echo\n"
                           "providers:\n"
                           "  - name: openai\n"
                           "    base_url: https://api.openai.com/v1\n"
                           "    api_key_env: OPENAI_API_KEY\n"
                           "telemetry: {otlp_endpoint: 'http://collector:4318', service_name: svc}\n"
                           "log_level: warn\n"
                           "flows:\n"
                           "  expose: [recipe]\n"
                           "  path_prefix: /api\n"
                           "  auth:\n"
                           "    - {flow: recipe, type: apikey, api_key_env: RECIPE_KEY}\n"
                           "    - {flow: '*', type: none}\n"
                           "dev_ui: {reflection_port: 3100}\n";

static void clear_env(void)
{
    unsetenv("PORT");
    unsetenv("GK_THREADS");
    unsetenv("HOST");
    unsetenv("GK_LOG_LEVEL");
    unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
    unsetenv("OTEL_SERVICE_NAME");
}

TEST(config_decodes_every_section_and_applies_to_server_opts)
{
    clear_env();
    gk_config c;
    gk_error err = {0};

    ASSERT_EQ(parse(full, &c, &err), GK_OK);

    EXPECT_EQ(c.server.port, 8080);
    EXPECT_STREQ(c.server.host, "127.0.0.1");
    EXPECT_EQ(c.server.threads, 2);
    EXPECT_EQ(c.server.limits.max_body_bytes, 2048);
    EXPECT_EQ(c.server.limits.max_header_bytes, 0);
    EXPECT_EQ(c.server.timeouts.idle_ms, 5000);
    EXPECT_STREQ(c.default_model, "local/echo");
    ASSERT_EQ(c.providers.count, 1);
    EXPECT_STREQ(c.providers.items[0].api_key_env, "OPENAI_API_KEY");
    EXPECT_STREQ(c.telemetry.otlp_endpoint, "http://collector:4318");
    EXPECT_EQ(c.log_level, GK_CONFIG_LOG_WARN);
    ASSERT_EQ(c.flows.expose.count, 1);
    EXPECT_STREQ(c.flows.expose.items[0], "recipe");
    EXPECT_EQ(c.dev_ui.reflection_port, 3100);
    gk_server_opts o = {.idle_timeout_ms = 1, .body_timeout_ms = 7};
    gk__config_apply_server(&c, &o);
    EXPECT_EQ(o.port, 8080);
    EXPECT_STREQ(o.host, "127.0.0.1");
    EXPECT_EQ(o.max_body_bytes, 2048);
    EXPECT_EQ(o.max_connections, 50);
    EXPECT_EQ(o.idle_timeout_ms, 5000);
    EXPECT_EQ(o.body_timeout_ms, 7); /* not in the file: left alone */
    EXPECT_STREQ(o.path_prefix, "/api");
    ASSERT_TRUE(o.cors_origins != NULL);
    EXPECT_STREQ(o.cors_origins[0], "https://app.example");
    EXPECT_TRUE(o.cors_origins[1] == NULL);
    EXPECT_EQ(o.cors_max_age, 60);
    ASSERT_EQ(o.nauth, 1);
    EXPECT_STREQ(o.auth[0].flow, "recipe");
    EXPECT_STREQ(o.auth[0].api_key_env, "RECIPE_KEY");
    gk__config_release(&c);
}

TEST(config_empty_file_is_all_defaults)
{
    clear_env();
    gk_config c;
    gk_error err = {0};
    ASSERT_EQ(parse("", &c, &err), GK_OK);
    EXPECT_EQ(c.server.port, 0);
    EXPECT_EQ(c.log_level, GK_CONFIG_LOG_DEFAULT);
    gk_server_opts o = {0};
    gk__config_apply_server(&c, &o);
    EXPECT_EQ(o.port, 0);
    EXPECT_TRUE(o.auth == NULL);
    gk__config_release(&c);
}

static void expect_error(const char *yaml, const char *message)
{
    clear_env();
    gk_config c;
    gk_error err = {0};
    EXPECT_EQ(parse(yaml, &c, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, message);
    gk__config_release(&c);
}

TEST(config_errors_name_file_line_and_column)
{
    expect_error("server:\n  port: 8080\n  prot: 1\n",
                 "genkit.yaml:3:3: /server/prot: unknown field \"prot\"");
    expect_error("server:\n  port: eighty\n",
                 "genkit.yaml:2:9: /server/port: expected integer, got string");
    expect_error("server:\n  port: 70000\n", "genkit.yaml:2:9: /server/port: must be <= 65535");
    expect_error("log_level: loud\n",
                 "genkit.yaml:1:12: /log_level: value \"loud\" is not one of: default, debug, "
                 "info, warn, error");
    expect_error("flows:\n  auth:\n    - {flow: x}\n",
                 "genkit.yaml:3:8: /flows/auth/0/type: missing required field");
    expect_error("a: [1,\n", "genkit.yaml:3:2: did not find expected node content");
}

TEST(config_refuses_keys_where_variable_names_belong)
{
    expect_error("providers:\n  - {name: openai, api_key_env: sk-proj-abc123}\n",
                 "genkit.yaml:2:33: /providers/0/api_key_env: looks like an API key: put the key "
                 "in an environment variable and give its NAME here");
    expect_error("providers:\n  - name: g\n    api_key_env: AbCdEfGh12345678IjKlMn\n",
                 "genkit.yaml:3:18: /providers/0/api_key_env: looks like an API key: put the key "
                 "in an environment variable and give its NAME here");
    expect_error("providers:\n  - {name: openai, api_key: sk-1}\n",
                 "genkit.yaml:2:20: /providers/0/api_key: unknown field \"api_key\"");
    expect_error("flows:\n  auth:\n    - {flow: r, type: apikey}\n",
                 "genkit.yaml:3:8: /flows/auth/0/api_key_env: type apikey needs api_key_env (the "
                 "NAME of the variable holding the key)");
}

TEST(config_refuses_aliases)
{
    expect_error("a: &x [1]\nb: *x\n",
                 "genkit.yaml:2:5: aliases (*name) are not supported; repeat the value");
}

TEST(config_environment_overrides_the_file)
{
    clear_env();
    setenv("PORT", "9090", 1);
    setenv("GK_THREADS", "3", 1);
    setenv("GK_LOG_LEVEL", "debug", 1);
    setenv("OTEL_SERVICE_NAME", "from-env", 1);
    gk_config c;
    gk_error err = {0};

    ASSERT_EQ(parse(full, &c, &err), GK_OK);

    EXPECT_EQ(c.server.port, 9090);
    EXPECT_EQ(c.server.threads, 3);
    EXPECT_EQ(c.log_level, GK_CONFIG_LOG_DEBUG);
    EXPECT_STREQ(c.telemetry.service_name, "from-env");
    gk__config_release(&c);
    setenv("PORT", "http", 1);
    EXPECT_EQ(parse(full, &c, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "environment variable PORT: \"http\" is not an integer in [1, 65535]");
    gk__config_release(&c);
    clear_env();
}

TEST(config_load_reports_a_missing_file)
{
    gk_config c;
    gk_error err = {0};
    EXPECT_EQ(gk__config_load("/nonexistent/genkit.yaml", &c, &err), GK_NOT_FOUND);
    EXPECT_STREQ(err.message, "cannot open /nonexistent/genkit.yaml: No such file or directory");
    gk__config_release(&c);
}

TEST(config_load_reads_the_deploy_template)
{
    clear_env();
    gk_config c;
    gk_error err = {0};
    EXPECT_EQ(gk__config_load(GK_SOURCE_DIR "/deploy/genkit.yaml", &c, &err), GK_OK);
    EXPECT_STREQ(err.message, "");
    gk__config_release(&c);
}
