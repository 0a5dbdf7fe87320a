/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/genkit_config_test.c - gk_init reads genkit.yaml ($GENKIT_CONFIG) and refuses to start
 * on a bad one; gk_server_start applies its server section. */
#include <stdlib.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "core/core.h"
#include "test.h"

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/gk_config_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    close(fd);
    return w == (ssize_t)n ? path : NULL;
}

TEST(gk_init_takes_default_model_and_threads_from_genkit_config)
{
    char *path = write_temp("default_model: local/echo\nserver:\n  threads: 1\n");
    ASSERT_TRUE(path);
    setenv("GENKIT_CONFIG", path, 1);
    gk_error err = {0};

    gk_genkit *g = gk_init(NULL, &err);

    unsetenv("GENKIT_CONFIG");
    unlink(path);
    ASSERT_TRUE(g);
    EXPECT_STREQ(gk__genkit_default_model(g), "local/echo");
    EXPECT_EQ(gk_runtime_threads(gk_genkit_runtime(g)), 1);
    EXPECT_TRUE(gk__genkit_config(g) != NULL);
    gk_shutdown(g);
}

TEST(gk_init_refuses_to_start_on_a_bad_config_naming_file_line_and_column)
{
    char *path = write_temp("server:\n  prot: 8080\n");
    ASSERT_TRUE(path);
    setenv("GENKIT_CONFIG", path, 1);
    gk_error err = {0};

    gk_genkit *g = gk_init(NULL, &err);

    unsetenv("GENKIT_CONFIG");
    unlink(path);
    EXPECT_TRUE(g == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_CONTAINS(err.message, ":2:3: ");
    EXPECT_CONTAINS(err.message, "unknown field \"prot\"");
}

TEST(gk_init_fails_when_the_named_config_file_is_missing)
{
    setenv("GENKIT_CONFIG", "/nonexistent/genkit.yaml", 1);
    gk_error err = {0};

    gk_genkit *g = gk_init(NULL, &err);

    unsetenv("GENKIT_CONFIG");
    EXPECT_TRUE(g == NULL);
    EXPECT_EQ(err.status, GK_NOT_FOUND);
}

TEST(server_listens_where_the_config_says)
{
    char *path = write_temp("server:\n  threads: 1\n  host: 127.0.0.1\n");
    ASSERT_TRUE(path);
    setenv("GENKIT_CONFIG", path, 1);
    gk_error err = {0};
    gk_genkit *g = gk_init(NULL, &err);
    unsetenv("GENKIT_CONFIG");
    unlink(path);
    ASSERT_TRUE(g);

    gk_server *s = gk_server_start(g, &(gk_server_opts){.port = -1, .quiet = true}, &err);

    ASSERT_TRUE(s);
    EXPECT_GT(gk_server_port(s), 0);
    gk_server_stop(s);
    gk_shutdown(g);
}
