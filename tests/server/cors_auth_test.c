/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/cors_auth_test.c - CORS (preflight answered or refused, allow-origin and Vary on
 * responses, configured lists, header-injection guard) and auth (the built-in API-key check: 401
 * missing, 403 wrong, constant-time compare, key from the environment, refusal to start without
 * it; context providers reading lower-case headers; gk_ctx_auth in the flow) on a real server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "base/log.h"
#include "server/metrics.h"
#include "server/server_internal.h"
#include "test.h"

/* ---- a blocking loopback client: one request per connection (Connection: close) ---- */

struct reply {
    int status;
    char raw[64 * 1024];
    size_t len;
    const char *body; /* into raw, after the head */
};

/* Send req (a complete request; it must say Connection: close) and read the reply to EOF. */
static bool roundtrip(int port, const char *req, struct reply *r)
{
    memset(r, 0, sizeof(*r));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return false;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              send(fd, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req);
    while (ok && r->len < sizeof(r->raw) - 1) {
        ssize_t n = recv(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len, 0);
        if (n <= 0)
            break;
        r->len += (size_t)n;
    }
    close(fd);
    r->raw[r->len] = '\0';
    char *end = strstr(r->raw, "\r\n\r\n");
    if (!ok || !end || sscanf(r->raw, "HTTP/1.1 %d", &r->status) != 1)
        return false;
    r->body = end + 4;
    return true;
}

/* The value of header name in r's head ("" if absent), copied into out. */
static const char *header(const struct reply *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = strstr(r->raw, "\r\n"); p && p + 2 < r->body; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            break;
        }
    }
    return out;
}

/* POST body to path with extra header lines (each CRLF-ended, may be ""). */
static bool post(int port, const char *path, const char *body, const char *extra, struct reply *r)
{
    char req[4096];
    snprintf(req, sizeof(req),
             "POST %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
             "Content-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s",
             path, extra, strlen(body), body);
    return roundtrip(port, req, r);
}

static bool get(int port, const char *path, const char *extra, struct reply *r)
{
    char req[2048];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n",
             path, extra);
    return roundtrip(port, req, r);
}

typedef struct CorsName {
    const char *name;
} CorsName;

GK_SCHEMA_DEFINE(CorsName, "a name", GK_FIELD_STRING(CorsName, name, "name", NULL));

static gk_status hello_flow(gk_ctx *ctx, const CorsName *in, CorsName *out, gk_error *err)
{
    (void)err;
    out->name = gk_arena_sprintf(gk_ctx_arena(ctx), "hello %s", in->name);
    return GK_OK;
}

/* Answers with its auth context (null when there is none). */
static gk_status whoami_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    (void)in;
    (void)err;
    const gk_json *auth = gk_ctx_auth(ctx);
    *out = auth ? *auth : *gk_json_new_null(gk_ctx_arena(ctx));
    return GK_OK;
}

struct srv {
    gk_genkit *g;
    gk_server *s;
    int port;
};

static gk_status start_err(struct srv *x, gk_server_opts o, gk_error *err)
{
    gk__log_configure(GK_LOG_ERROR, -1, -1);
    x->s = NULL;
    x->g = gk_init(&(gk_init_opts){.threads = 1, .name = "cors-auth-test"}, err);
    if (!x->g)
        return err->status;
    if (!GK_DEFINE_FLOW(x->g, "hello", NULL, hello_flow, CorsName, CorsName, err) ||
        !GK_DEFINE_FLOW(x->g, "whoami", NULL, whoami_flow, gk_json, gk_json, err)) {
        gk_shutdown(x->g);
        return err->status;
    }
    o.host = "127.0.0.1";
    o.port = -1;
    o.quiet = true;
    x->s = gk_server_start(x->g, &o, err);
    if (!x->s) {
        gk_shutdown(x->g);
        x->g = NULL;
        return err->status;
    }
    x->port = gk_server_port(x->s);
    return GK_OK;
}

static bool start(struct srv *x, gk_server_opts o)
{
    gk_error err = {0};
    if (start_err(x, o, &err) != GK_OK) {
        fprintf(stderr, "start: %s\n", err.message);
        return false;
    }
    return true;
}

static void stop(struct srv *x)
{
    gk_server_stop(x->s);
    gk_shutdown(x->g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

static struct reply rep;
static char h[512];

static const char *const app_origins[] = {"https://app.example", NULL};

/* ---- CORS ---- */

TEST(cors_preflight_from_allowed_origin_gets_204_with_allow_headers)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.cors_origins = app_origins}));

    ASSERT_TRUE(roundtrip(x.port,
                          "OPTIONS /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                          "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n"
                          "Access-Control-Request-Headers: content-type\r\n\r\n",
                          &rep));

    EXPECT_EQ(rep.status, 204);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "https://app.example");
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Methods", h, sizeof(h)), "GET, POST, OPTIONS");
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Headers", h, sizeof(h)),
                 "Content-Type, Authorization, Accept, X-Genkit-Stream-Id");
    EXPECT_STREQ(header(&rep, "Access-Control-Max-Age", h, sizeof(h)), "600");
    EXPECT_STREQ(header(&rep, "Vary", h, sizeof(h)), "Origin");
    EXPECT_STREQ(header(&rep, "Content-Length", h, sizeof(h)), "");
    EXPECT_STREQ(rep.body, "");
    stop(&x);
}

TEST(cors_preflight_uses_configured_methods_headers_and_max_age)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.cors_origins = app_origins,
                                           .cors_methods = "POST",
                                           .cors_headers = "Content-Type",
                                           .cors_max_age = -1}));

    ASSERT_TRUE(roundtrip(x.port,
                          "OPTIONS /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                          "Origin: HTTPS://APP.EXAMPLE\r\nAccess-Control-Request-Method: POST\r\n\r\n",
                          &rep));

    EXPECT_EQ(rep.status, 204);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "HTTPS://APP.EXAMPLE");
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Methods", h, sizeof(h)), "POST");
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Headers", h, sizeof(h)), "Content-Type");
    EXPECT_STREQ(header(&rep, "Access-Control-Max-Age", h, sizeof(h)), "");
    stop(&x);
}

TEST(cors_preflight_from_other_origin_is_refused_with_403)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.cors_origins = app_origins}));

    ASSERT_TRUE(roundtrip(x.port,
                          "OPTIONS /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                          "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n",
                          &rep));

    EXPECT_EQ(rep.status, 403);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "");
    EXPECT_STREQ(header(&rep, "Vary", h, sizeof(h)), "Origin");
    EXPECT_STREQ(rep.body, "{\"error\":{\"status\":\"PERMISSION_DENIED\",\"message\":\"origin "
                           "\\\"https://evil.example\\\" is not allowed\"}}");
    stop(&x);
}

TEST(cors_actual_requests_from_allowed_origin_carry_allow_origin_and_vary)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.cors_origins = app_origins}));

    ASSERT_TRUE(get(x.port, "/healthz", "Origin: https://app.example\r\n", &rep));
    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "https://app.example");
    EXPECT_STREQ(header(&rep, "Vary", h, sizeof(h)), "Origin");
    EXPECT_STREQ(header(&rep, "Access-Control-Expose-Headers", h, sizeof(h)),
                 "X-Genkit-Trace-Id, X-Genkit-Span-Id, X-Genkit-Stream-Id");

    ASSERT_TRUE(post(x.port, "/missing", "{}", "Origin: https://app.example\r\n", &rep));
    EXPECT_EQ(rep.status, 404);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "https://app.example");

    ASSERT_TRUE(get(x.port, "/openapi.json", "Origin: https://other.example\r\n", &rep));
    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "");
    EXPECT_STREQ(header(&rep, "Vary", h, sizeof(h)), "Origin");
    stop(&x);
}

TEST(cors_star_allows_any_origin)
{
    static const char *const any[] = {"*", NULL};
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.cors_origins = any}));

    ASSERT_TRUE(get(x.port, "/healthz", "Origin: https://whoever.example\r\n", &rep));

    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "*");
    stop(&x);
}

TEST(cors_off_leaves_options_to_the_flow_route)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){0}));

    ASSERT_TRUE(roundtrip(x.port,
                          "OPTIONS /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                          "Origin: https://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n",
                          &rep));

    EXPECT_EQ(rep.status, 405);
    EXPECT_STREQ(header(&rep, "Access-Control-Allow-Origin", h, sizeof(h)), "");
    EXPECT_STREQ(header(&rep, "Vary", h, sizeof(h)), "");
    stop(&x);
}

TEST(cors_rejects_origins_that_could_inject_headers)
{
    static const char *const bad[] = {"https://a.example\r\nX-Evil: 1", NULL};
    struct srv x;
    gk_error err = {0};

    EXPECT_EQ(start_err(&x, (gk_server_opts){.cors_origins = bad}, &err), GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "cors origin 0 is not a valid origin (scheme://host[:port])");
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

/* ---- auth ---- */

TEST(auth_secret_equal_compares_whole_secrets)
{
    EXPECT_TRUE(gk__secret_equal("abc", 3, "abc", 3));
    EXPECT_FALSE(gk__secret_equal("abd", 3, "abc", 3));
    EXPECT_FALSE(gk__secret_equal("ab", 2, "abc", 3));
    EXPECT_FALSE(gk__secret_equal("abcabc", 6, "abc", 3));
    EXPECT_FALSE(gk__secret_equal("", 0, "abc", 3));
    EXPECT_FALSE(gk__secret_equal("abcd", 4, "abc", 3));
}

static const gk_flow_auth hello_key[] = {{.flow = "hello", .api_key_env = "GK_TEST_OPS_KEY"}};

TEST(auth_api_key_missing_is_401_wrong_is_403_right_runs_the_flow)
{
    setenv("GK_TEST_OPS_KEY", "s3cret-value", 1);
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.auth = hello_key, .nauth = 1}));
    const char *body = "{\"data\":{\"name\":\"ada\"}}";

    ASSERT_TRUE(post(x.port, "/hello", body, "", &rep));
    EXPECT_EQ(rep.status, 401);
    EXPECT_STREQ(header(&rep, "WWW-Authenticate", h, sizeof(h)), "Bearer");
    EXPECT_STREQ(rep.body, "{\"error\":{\"status\":\"UNAUTHENTICATED\",\"message\":\"missing API "
                           "key: send \\\"Authorization: Bearer <key>\\\"\"}}");

    ASSERT_TRUE(post(x.port, "/hello", body, "Authorization: Bearer s3cret-valuX\r\n", &rep));
    EXPECT_EQ(rep.status, 403);
    EXPECT_STREQ(rep.body,
                 "{\"error\":{\"status\":\"PERMISSION_DENIED\",\"message\":\"invalid API key\"}}");

    ASSERT_TRUE(post(x.port, "/hello", body, "Authorization: Bearer \r\n", &rep));
    EXPECT_EQ(rep.status, 401);

    ASSERT_TRUE(post(x.port, "/hello", body, "Authorization: Bearer s3cret-value\r\n", &rep));
    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(rep.body, "{\"result\":{\"name\":\"hello ada\"}}");

    ASSERT_TRUE(post(x.port, "/hello", body, "authorization: s3cret-value\r\n", &rep));
    EXPECT_EQ(rep.status, 200);

    /* Streaming requests are refused before the stream starts: a plain HTTP error. */
    ASSERT_TRUE(post(x.port, "/hello?stream=true", body, "", &rep));
    EXPECT_EQ(rep.status, 401);

    /* Another flow without a rule stays open. */
    ASSERT_TRUE(post(x.port, "/whoami", "{}", "", &rep));
    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(rep.body, "{\"result\":null}");

    ASSERT_TRUE(get(x.port, "/metrics", "", &rep));
    EXPECT_CONTAINS(rep.body, "\ngenkit_flow_requests_total{flow=\"hello\",status=\"OK\"} 2\n");
    EXPECT_CONTAINS(rep.body,
                    "\ngenkit_flow_requests_total{flow=\"hello\",status=\"UNAUTHENTICATED\"} 3\n");
    EXPECT_CONTAINS(rep.body,
                    "\ngenkit_flow_requests_total{flow=\"hello\",status=\"PERMISSION_DENIED\"} 1\n");
    EXPECT_TRUE(strstr(rep.body, "s3cret") == NULL);
    stop(&x);
    unsetenv("GK_TEST_OPS_KEY");
}

TEST(auth_api_key_context_reaches_the_flow)
{
    static const gk_flow_auth rule[] = {{.flow = "*", .api_key_env = "GK_TEST_OPS_KEY"}};
    setenv("GK_TEST_OPS_KEY", "k", 1);
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.auth = rule, .nauth = 1}));

    ASSERT_TRUE(post(x.port, "/whoami", "{}", "Authorization: Bearer k\r\n", &rep));

    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(rep.body, "{\"result\":{\"type\":\"apiKey\"}}");
    ASSERT_TRUE(post(x.port, "/hello", "{}", "", &rep)); /* "*" covers every flow */
    EXPECT_EQ(rep.status, 401);
    stop(&x);
    unsetenv("GK_TEST_OPS_KEY");
}

TEST(auth_refuses_to_start_without_the_key_variable)
{
    unsetenv("GK_TEST_OPS_KEY");
    struct srv x;
    gk_error err = {0};

    EXPECT_EQ(start_err(&x, (gk_server_opts){.auth = hello_key, .nauth = 1}, &err),
              GK_FAILED_PRECONDITION);
    EXPECT_STREQ(err.message,
                 "auth for flow \"hello\": environment variable GK_TEST_OPS_KEY (the API key) is "
                 "not set");
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(auth_refuses_a_key_given_where_a_variable_name_belongs)
{
    static const gk_flow_auth literal[] = {{.flow = "hello", .api_key_env = "sk-live-1234"}};
    static const gk_flow_auth unknown[] = {{.flow = "nope", .api_key_env = "HOME"}};
    struct srv x;
    gk_error err = {0};

    EXPECT_EQ(start_err(&x, (gk_server_opts){.auth = literal, .nauth = 1}, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_TRUE(strstr(err.message, "sk-live") == NULL);
    EXPECT_EQ(start_err(&x, (gk_server_opts){.auth = unknown, .nauth = 1}, &err),
              GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "auth rule for \"nope\": no such flow");
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

/* A provider in the style of Genkit's: reads a lower-case header, refuses or adds context. */
static gk_status user_provider(gk_ctx *ctx, const gk_request *req, const gk_json **auth_out,
                               void *arg, gk_error *err)
{
    const char *user = gk_request_header(req, "x-user");
    if (!user)
        return gk_error_set(err, GK_UNAUTHENTICATED, "", "who are you?");
    if (strcmp(user, "mallory") == 0)
        return gk_error_set(err, GK_PERMISSION_DENIED, "", "not you, %s", user);
    gk_arena *a = gk_ctx_arena(ctx);
    gk_json *o = gk_json_new_object(a);
    gk_json_object_set(a, o, "user", gk_json_new_string(a, user, strlen(user)));
    gk_json_object_set(a, o, "flow", gk_json_new_string(a, gk_request_flow(req),
                                                        strlen(gk_request_flow(req))));
    gk_json_object_set(a, o, "method", gk_json_new_string(a, gk_request_method(req),
                                                          strlen(gk_request_method(req))));
    gk_json_object_set(a, o, "arg", gk_json_new_string(a, arg, strlen(arg)));
    gk_json_object_set(a, o, "input", gk_request_input(req));
    *auth_out = o;
    return GK_OK;
}

TEST(auth_context_provider_refuses_or_hands_context_to_the_flow)
{
    static char tag[] = "tag";
    gk_flow_auth rule[] = {{.flow = "whoami", .provider = user_provider, .provider_arg = tag}};
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.auth = rule, .nauth = 1}));

    ASSERT_TRUE(post(x.port, "/whoami", "{\"data\":7}", "", &rep));
    EXPECT_EQ(rep.status, 401);
    EXPECT_STREQ(rep.body,
                 "{\"error\":{\"status\":\"UNAUTHENTICATED\",\"message\":\"who are you?\"}}");

    ASSERT_TRUE(post(x.port, "/whoami", "{\"data\":7}", "X-User: mallory\r\n", &rep));
    EXPECT_EQ(rep.status, 403);
    EXPECT_STREQ(rep.body,
                 "{\"error\":{\"status\":\"PERMISSION_DENIED\",\"message\":\"not you, mallory\"}}");

    ASSERT_TRUE(post(x.port, "/whoami", "{\"data\":7}", "X-User: ada\r\n", &rep));
    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(rep.body, "{\"result\":{\"user\":\"ada\",\"flow\":\"whoami\",\"method\":\"POST\","
                           "\"arg\":\"tag\",\"input\":7}}");
    stop(&x);
}

TEST(auth_secured_flows_are_marked_in_the_served_openapi)
{
    setenv("GK_TEST_OPS_KEY", "k", 1);
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.auth = hello_key, .nauth = 1}));

    ASSERT_TRUE(get(x.port, "/openapi.json", "", &rep));

    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(header(&rep, "Content-Type", h, sizeof(h)), "application/json");
    static const char start_of_doc[] =
        "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"cors-auth-test\",";
    EXPECT_TRUE(strncmp(rep.body, start_of_doc, sizeof(start_of_doc) - 1) == 0);
    EXPECT_CONTAINS(rep.body, "\"security\":[{\"bearerAuth\":[]}]}},\"/whoami\":");
    EXPECT_CONTAINS(rep.body, "\"securitySchemes\":{\"bearerAuth\":");
    stop(&x);
    unsetenv("GK_TEST_OPS_KEY");
}
