/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/genkit_config_test.c - gk_init reads genkit.yaml ($GENKIT_CONFIG) and refuses to start
 * on a bad one; gk_server_start applies its server section. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
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

/* ---- flows.expose / gk_server_opts.flows ---- */

static gk_status same(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    (void)ctx, (void)err;
    *out = *in;
    return GK_OK;
}

/* The HTTP status of POST /<flow> {"data":1} on 127.0.0.1:port, or -1. */
static int post_status(int port, const char *flow)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "POST /%s HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n"
                     "\r\n{\"data\":1}",
                     flow);
    char resp[64] = "";
    if (write(fd, req, (size_t)n) != n || read(fd, resp, sizeof(resp) - 1) < 12) {
        close(fd);
        return -1;
    }
    close(fd);
    return (int)strtol(resp + 9, NULL, 10);
}

static gk_genkit *two_flows(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1}, &err);
    if (g && (!GK_DEFINE_FLOW(g, "shown", NULL, same, gk_json, gk_json, &err) ||
              !GK_DEFINE_FLOW(g, "hidden", NULL, same, gk_json, gk_json, &err))) {
        gk_shutdown(g);
        return NULL;
    }
    return g;
}

TEST(config_flows_expose_serves_only_the_listed_flows)
{
    char *path = write_temp("flows:\n  expose: [shown]\n");
    ASSERT_TRUE(path);
    setenv("GENKIT_CONFIG", path, 1);
    gk_genkit *g = two_flows();
    unsetenv("GENKIT_CONFIG");
    unlink(path);
    ASSERT_TRUE(g);
    gk_error err = {0};
    gk_server *s = gk_server_start(g, &(gk_server_opts){.port = -1, .quiet = true}, &err);
    ASSERT_TRUE(s);

    EXPECT_EQ(post_status(gk_server_port(s), "shown"), 200);
    EXPECT_EQ(post_status(gk_server_port(s), "hidden"), 404);

    gk_server_stop(s);
    gk_shutdown(g);
}

TEST(server_refuses_to_start_when_a_listed_flow_is_not_defined)
{
    gk_genkit *g = two_flows();
    ASSERT_TRUE(g);
    gk_error err = {0};
    const char *const names[] = {"shown", "missing", NULL};

    gk_server *s = gk_server_start(g, &(gk_server_opts){.port = -1, .quiet = true, .flows = names},
                                   &err);

    EXPECT_TRUE(s == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "flow \"missing\" is listed to be served but is not defined");
    gk_shutdown(g);
}
