/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/reflection_test.c - the reflection API over real loopback sockets: every endpoint's
 * status, headers and JSON as genkit-reference.md 4.3-4.5 give them, early trace headers, streaming
 * lines, cancelAction cancelling a sleeping flow, labels and context on the root span, the runtime
 * file (written where the CLI looks, removed at stop) and dev-mode gating. The client is plain
 * blocking sockets, so it shares no code with the server. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "server/reflection.h"
#include "support/reflection_app.h"
#include "telemetry/export.h"
#include "test.h"

static char tmpdir[256];

static gk_genkit *setup(void)
{
    gk_genkit *g = gk_test_reflection_app();
    if (!g)
        return NULL;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/gk_refl_XXXXXX");
    if (!mkdtemp(tmpdir))
        tmpdir[0] = '\0';
    return g;
}

static gk_reflection *start(gk_genkit *g)
{
    gk_error err = {0};
    gk_reflection_opts o = {.port = -1, .project_dir = tmpdir};
    gk_reflection *r = gk_reflection_start(g, &o, &err);
    if (!r)
        fprintf(stderr, "    start: %s\n", err.message);
    return r;
}

static void teardown(gk_genkit *g, gk_reflection *r)
{
    gk_reflection_stop(r);
    unsetenv("GENKIT_ENV");
    gk__telemetry_shutdown();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (tmpdir[0] && system(cmd) != 0)
        fprintf(stderr, "    could not remove %s\n", tmpdir);
    gk_shutdown(g);
}

/* ---- a blocking HTTP/1.1 client ---- */

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_request(int fd, const char *method, const char *target, const char *body)
{
    char head[1024];
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, target, body ? strlen(body) : 0);
    if (write(fd, head, (size_t)n) != n || (body && write(fd, body, strlen(body)) < 0))
        fprintf(stderr, "    write failed\n");
}

struct resp {
    int status;
    char head[2048];
    char body[16384]; /* de-chunked */
};

/* Read until "\r\n\r\n" into r->head; returns bytes of body already read into rest. */
static size_t read_head(int fd, struct resp *r, char *rest, size_t cap)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end) {
            size_t hl = (size_t)(end - buf) + 4;
            snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, buf);
            sscanf(buf, "HTTP/1.1 %d", &r->status);
            size_t restn = len - hl < cap ? len - hl : cap;
            memcpy(rest, buf + hl, restn);
            return restn;
        }
    }
    return 0;
}

static void read_rest(int fd, struct resp *r, char *raw, size_t have, size_t cap)
{
    for (;;) {
        ssize_t n = read(fd, raw + have, cap - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    raw[have] = '\0';
    if (!strstr(r->head, "Transfer-Encoding: chunked")) {
        snprintf(r->body, sizeof(r->body), "%s", raw);
        return;
    }
    size_t out = 0;
    char *p = raw;
    for (;;) {
        size_t sz = strtoul(p, &p, 16);
        p = strstr(p, "\r\n");
        if (!p || sz == 0)
            break;
        p += 2;
        if (out + sz >= sizeof(r->body))
            break;
        memcpy(r->body + out, p, sz);
        out += sz;
        p += sz + 2;
    }
    r->body[out] = '\0';
}

static struct resp request(int port, const char *method, const char *target, const char *body)
{
    struct resp r = {0};
    char raw[32768];
    int fd = dial(port);
    if (fd < 0)
        return r;
    send_request(fd, method, target, body);
    size_t have = read_head(fd, &r, raw, sizeof(raw));
    read_rest(fd, &r, raw, have, sizeof(raw));
    close(fd);
    return r;
}

/* The value of header name in head ("" if absent). */
static const char *header(const struct resp *r, const char *name, char *out, size_t cap)
{
    char key[128];
    snprintf(key, sizeof(key), "\r\n%s: ", name);
    const char *p = strstr(r->head, key);
    out[0] = '\0';
    if (p) {
        p += strlen(key);
        size_t n = strcspn(p, "\r");
        snprintf(out, cap, "%.*s", (int)n, p);
    }
    return out;
}

/* ---- tests ---- */

TEST(reflection_refuses_to_start_outside_dev_mode)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1}, &err);
    unsetenv("GENKIT_ENV");

    gk_reflection *r = gk_reflection_start(g, NULL, &err);

    EXPECT_TRUE(r == NULL);
    EXPECT_EQ(err.status, GK_FAILED_PRECONDITION);
    gk_shutdown(g);
}

TEST(reflection_health_answers_ok_and_checks_the_runtime_id)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    int port = gk_reflection_port(r);
    char target[128];
    char v[128];
    snprintf(target, sizeof(target), "/api/__health?id=%d-%d", (int)getpid(), port);

    struct resp ok = request(port, "GET", "/api/__health", NULL);
    struct resp ok_id = request(port, "GET", target, NULL);
    struct resp bad = request(port, "GET", "/api/__health?id=someone-else", NULL);
    struct resp missing = request(port, "GET", "/api/nothing", NULL);

    EXPECT_EQ(ok.status, 200);
    EXPECT_STREQ(ok.body, "OK");
    EXPECT_STREQ(header(&ok, "X-Genkit-Version", v, sizeof(v)), "c/" GK_VERSION);
    EXPECT_EQ(ok_id.status, 200);
    EXPECT_EQ(bad.status, 503);
    EXPECT_STREQ(bad.body, "Invalid runtime ID");
    EXPECT_EQ(missing.status, 404);
    teardown(g, r);
}

TEST(reflection_runtime_file_is_written_for_the_cli_and_removed_at_stop)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    char path[512];
    snprintf(path, sizeof(path), "%s", gk_reflection_runtime_file(r));
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/.genkit/runtimes/", tmpdir);

    EXPECT_TRUE(strncmp(path, dir, strlen(dir)) == 0);
    FILE *f = fopen(path, "r");
    ASSERT_TRUE(f);
    char text[1024] = {0};
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    ASSERT_EQ(gk_json_parse(a, text, n, NULL, &doc, NULL), GK_OK);
    char want[64];
    snprintf(want, sizeof(want), "%d-%d", (int)getpid(), gk_reflection_port(r));
    EXPECT_STREQ(gk_json_get(doc, "id")->str, want);
    EXPECT_EQ(gk_json_get(doc, "pid")->integer, getpid());
    snprintf(want, sizeof(want), "http://127.0.0.1:%d", gk_reflection_port(r));
    EXPECT_STREQ(gk_json_get(doc, "reflectionServerUrl")->str, want);
    EXPECT_STREQ(gk_json_get(doc, "genkitVersion")->str, "c/" GK_VERSION);
    EXPECT_EQ(gk_json_get(doc, "reflectionApiSpecVersion")->integer, 1);
    const char *ts = gk_json_get(doc, "timestamp")->str;
    EXPECT_EQ(strlen(ts), 24);
    EXPECT_TRUE(ts[10] == 'T' && ts[13] == ':' && ts[23] == 'Z');
    EXPECT_STREQ(gk_json_get(doc, "name")->str, "refl");
    gk_arena_free(a);

    gk_reflection_stop(r);
    struct stat st;
    EXPECT_TRUE(stat(path, &st) != 0);
    teardown(g, NULL);
}

TEST(reflection_runtime_file_goes_to_the_nearest_project_root_like_the_cli)
{
    gk_genkit *g = setup();
    char sub[400];
    char marker[400];
    char cwd[512];
    snprintf(sub, sizeof(sub), "%s/app/src", tmpdir);
    snprintf(marker, sizeof(marker), "%s/app/go.mod", tmpdir);
    ASSERT_TRUE(getcwd(cwd, sizeof(cwd)) != NULL);
    char cmd[900];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && touch %s", sub, marker);
    ASSERT_EQ(system(cmd), 0);
    ASSERT_EQ(chdir(sub), 0);
    gk_error err = {0};
    gk_reflection *r = gk_reflection_start(g, &(gk_reflection_opts){.port = -1}, &err);
    EXPECT_EQ(chdir(cwd), 0);
    ASSERT_TRUE(r);

    char want[512];
    snprintf(want, sizeof(want), "%s/app/.genkit/runtimes/", tmpdir);
    EXPECT_TRUE(strncmp(gk_reflection_runtime_file(r), want, strlen(want)) == 0);
    teardown(g, r);
}

TEST(reflection_lists_every_action_with_schemas_and_metadata)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);

    struct resp res = request(gk_reflection_port(r), "GET", "/api/actions", NULL);

    EXPECT_EQ(res.status, 200);
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    ASSERT_EQ(gk_json_parse(a, res.body, strlen(res.body), NULL, &doc, NULL), GK_OK);
    EXPECT_EQ(doc->count, gk_action_count(g)); /* ours and the built-in ones (/util/generate) */
    const gk_json *echo = gk_json_get(doc, "/flow/echo");
    ASSERT_TRUE(echo);
    EXPECT_STREQ(gk_json_get(echo, "key")->str, "/flow/echo");
    EXPECT_STREQ(gk_json_get(echo, "name")->str, "echo");
    EXPECT_STREQ(gk_json_get(echo, "type")->str, "flow");
    EXPECT_STREQ(gk_json_get(echo, "description")->str, "Echoes a word");
    EXPECT_STREQ(gk_json_get(gk_json_get(echo, "inputSchema"), "type")->str, "object");
    EXPECT_TRUE(gk_json_get(gk_json_get(gk_json_get(echo, "inputSchema"), "properties"), "word"));
    EXPECT_TRUE(gk_json_get(gk_json_get(gk_json_get(echo, "outputSchema"), "properties"), "text"));
    EXPECT_TRUE(gk_json_get(echo, "metadata") == NULL);
    const gk_json *tool = gk_json_get(doc, "/tool/adder");
    ASSERT_TRUE(tool);
    EXPECT_STREQ(gk_json_get(tool, "type")->str, "tool");
    EXPECT_STREQ(gk_json_get(gk_json_get(tool, "metadata"), "type")->str, "tool");
    const gk_json *count = gk_json_get(doc, "/flow/count");
    ASSERT_TRUE(count);
    EXPECT_TRUE(gk_json_get(count, "description") == NULL);
    gk_arena_free(a);
    teardown(g, r);
}

TEST(reflection_run_action_answers_result_and_trace_id_in_header_and_body)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    char trace[64];
    char span[64];
    char type[64];

    struct resp res = request(gk_reflection_port(r), "POST", "/api/runAction",
                              "{\"key\":\"/flow/echo\",\"input\":{\"word\":\"hi\"}}");

    EXPECT_EQ(res.status, 200);
    header(&res, "X-Genkit-Trace-Id", trace, sizeof(trace));
    EXPECT_EQ(strlen(trace), 32);
    EXPECT_EQ(strlen(header(&res, "X-Genkit-Span-Id", span, sizeof(span))), 16);
    EXPECT_STREQ(header(&res, "Content-Type", type, sizeof(type)), "application/json");
    char want[256];
    snprintf(want, sizeof(want),
             "{\"result\":{\"text\":\"echo: hi\"},\"telemetry\":{\"traceId\":\"%s\"}}", trace);
    EXPECT_STREQ(res.body, want);
    teardown(g, r);
}

TEST(reflection_run_action_streams_chunks_as_json_lines_then_the_result)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    char trace[64];
    char type[64];

    struct resp res = request(gk_reflection_port(r), "POST", "/api/runAction?stream=true",
                              "{\"key\":\"/flow/count\",\"input\":{\"word\":\"sheep\"}}");

    EXPECT_EQ(res.status, 200);
    header(&res, "X-Genkit-Trace-Id", trace, sizeof(trace));
    EXPECT_STREQ(header(&res, "Content-Type", type, sizeof(type)), "text/plain; charset=utf-8");
    char want[256];
    snprintf(want, sizeof(want),
             "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n"
             "{\"result\":{\"text\":\"counted sheep\"},\"telemetry\":{\"traceId\":\"%s\"}}",
             trace);
    EXPECT_STREQ(res.body, want);
    teardown(g, r);
}

TEST(reflection_run_action_errors_use_the_reflection_error_shape)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    int port = gk_reflection_port(r);

    struct resp unknown = request(port, "POST", "/api/runAction", "{\"key\":\"/flow/nope\"}");
    struct resp bad_input = request(port, "POST", "/api/runAction",
                                    "{\"key\":\"/flow/echo\",\"input\":{\"word\":\"\"}}");
    struct resp no_key = request(port, "POST", "/api/runAction", "{}");
    struct resp not_json = request(port, "POST", "/api/runAction", "{nope");

    EXPECT_EQ(unknown.status, 404);
    EXPECT_STREQ(
        unknown.body,
        "{\"error\":{\"code\":5,\"message\":\"action /flow/nope not found\",\"details\":{}}}");
    EXPECT_EQ(bad_input.status, 200);
    EXPECT_STREQ(bad_input.body, "{\"error\":{\"code\":3,\"message\":\"/word: must be at least 1 "
                                 "character long\",\"details\":{}}}");
    EXPECT_EQ(no_key.status, 400);
    EXPECT_STREQ(no_key.body,
                 "{\"error\":{\"code\":3,\"message\":\"\\\"key\\\" is required\",\"details\":{}}}");
    EXPECT_EQ(not_json.status, 400);
    teardown(g, r);
}

static char last_body[65536];

static void capture(const char *body, size_t len, void *arg)
{
    (void)arg;
    snprintf(last_body, sizeof(last_body), "%.*s", (int)len, body);
}

TEST(reflection_run_action_puts_labels_and_redacted_context_on_the_root_span)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    last_body[0] = '\0';
    gk__telemetry_set_capture(capture, NULL);

    struct resp res = request(
        gk_reflection_port(r), "POST", "/api/runAction",
        "{\"key\":\"/flow/echo\",\"input\":{\"word\":\"hi\"},\"telemetryLabels\":{\"batchRun\":"
        "\"b1\"},\"context\":{\"auth\":{\"uid\":\"u\"},\"tenant\":\"t1\"}}");

    EXPECT_EQ(res.status, 200);
    gk_arena *a = gk_arena_new(0);
    gk_json *doc = NULL;
    ASSERT_EQ(gk_json_parse(a, last_body, strlen(last_body), NULL, &doc, NULL), GK_OK);
    const gk_json *spans = gk_json_get(doc, "spans");
    ASSERT_TRUE(spans && spans->count == 1);
    const gk_json *attrs = gk_json_get(&spans->items[0], "attributes");
    EXPECT_STREQ(gk_json_get(attrs, "batchRun")->str, "b1");
    EXPECT_STREQ(gk_json_get(attrs, "genkit:metadata:context")->str,
                 "{\"auth\":\"<redacted>\",\"tenant\":\"t1\"}");
    EXPECT_STREQ(gk_json_get(attrs, "genkit:input")->str, "{\"word\":\"hi\",\"sleepMs\":0}");
    gk_arena_free(a);
    teardown(g, r);
}

TEST(reflection_cancel_action_cancels_a_sleeping_flow_after_early_headers)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    int port = gk_reflection_port(r);
    int fd = dial(port);
    ASSERT_TRUE(fd >= 0);
    send_request(fd, "POST", "/api/runAction",
                 "{\"key\":\"/flow/echo\",\"input\":{\"word\":\"zz\",\"sleepMs\":30000}}");
    struct resp run = {0};
    char raw[8192];

    /* The headers arrive while the flow sleeps. */
    size_t have = read_head(fd, &run, raw, sizeof(raw));
    char trace[64];
    header(&run, "X-Genkit-Trace-Id", trace, sizeof(trace));
    ASSERT_EQ(strlen(trace), 32);
    char body[128];
    snprintf(body, sizeof(body), "{\"traceId\":\"%s\"}", trace);
    struct resp cancel = request(port, "POST", "/api/cancelAction", body);
    read_rest(fd, &run, raw, have, sizeof(raw));
    close(fd);
    struct resp again = request(port, "POST", "/api/cancelAction", body);
    struct resp missing = request(port, "POST", "/api/cancelAction", "{}");

    EXPECT_EQ(run.status, 200);
    EXPECT_EQ(cancel.status, 200);
    EXPECT_STREQ(cancel.body, "{\"message\":\"Action cancelled\"}");
    char want[256];
    snprintf(want, sizeof(want),
             "{\"error\":{\"code\":1,\"message\":\"Action was cancelled\",\"details\":{\"traceId\":"
             "\"%s\"}}}",
             trace);
    EXPECT_STREQ(run.body, want);
    EXPECT_EQ(again.status, 404);
    EXPECT_STREQ(again.body, "{\"error\":\"Action not found or already completed\"}");
    EXPECT_EQ(missing.status, 400);
    EXPECT_STREQ(missing.body, "{\"error\":\"traceId is required\"}");
    teardown(g, r);
}

TEST(reflection_notify_sets_the_telemetry_server_and_values_lists_the_default_model)
{
    gk_genkit *g = setup();
    gk_reflection *r = start(g);
    ASSERT_TRUE(r);
    int port = gk_reflection_port(r);

    struct resp notify = request(
        port, "POST", "/api/notify",
        "{\"telemetryServerUrl\":\"http://127.0.0.1:4999\",\"reflectionApiSpecVersion\":1}");
    char url[64];
    gk__telemetry_server(url, sizeof(url));
    struct resp model = request(port, "GET", "/api/values?type=defaultModel", NULL);
    struct resp mw = request(port, "GET", "/api/values?type=middleware", NULL);
    struct resp none = request(port, "GET", "/api/values", NULL);
    struct resp other = request(port, "GET", "/api/values?type=prompt", NULL);

    EXPECT_EQ(notify.status, 200);
    EXPECT_STREQ(notify.body, "OK");
    EXPECT_STREQ(url, "http://127.0.0.1:4999");
    EXPECT_EQ(model.status, 200);
    EXPECT_STREQ(model.body, "{\"defaultModel\":{\"name\":\"local/echo\"}}");
    EXPECT_EQ(mw.status, 200);
    EXPECT_STREQ(mw.body, "{}");
    EXPECT_EQ(none.status, 400);
    EXPECT_EQ(other.status, 400);
    teardown(g, r);
}

TEST(reflection_query_values_are_decoded_and_bad_escapes_rejected)
{
    gk_arena *a = gk_arena_new(0);
    gk_str q = GK_STR("idx=9&id=a%2Fb+c&type&stream=");

    EXPECT_STREQ(gk__reflection_query_get(a, q, "id"), "a/b c");
    EXPECT_STREQ(gk__reflection_query_get(a, q, "type"), "");
    EXPECT_STREQ(gk__reflection_query_get(a, q, "stream"), "");
    EXPECT_TRUE(gk__reflection_query_get(a, q, "i") == NULL);
    EXPECT_TRUE(gk__reflection_query_get(a, GK_STR("id=%4"), "id") == NULL);
    EXPECT_TRUE(gk__reflection_query_get(a, GK_STR("id=%00"), "id") == NULL);
    EXPECT_TRUE(gk__reflection_query_get(a, GK_STR("id=%zz"), "id") == NULL);
    gk_arena_free(a);
}
