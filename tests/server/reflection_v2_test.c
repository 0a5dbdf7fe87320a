/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/reflection_v2_test.c - reflection API v2 against a fake Genkit CLI (a WebSocket
 * server on loopback, tests/support/ws_server.c): register and its fields, listActions byte for
 * byte as v1's /api/actions, runAction with runActionState before the result, streamed chunks in
 * order, the error mapping, cancelAction, several runs at once, JSON-RPC errors, notifications,
 * pings and the close handshake, protocol errors (1002, 1009) and reconnects with backoff, and
 * clean stops while connected and while reconnecting. Exact bytes are compared where the CLI
 * parses them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <genkit/genkit.h>

#include "server/reflection.h"
#include "support/reflection_app.h"
#include "support/ws_server.h"
#include "telemetry/export.h"
#include "test.h"

#define WAIT_MS 5000

static gk_genkit *setup(void)
{
    gk_genkit *g = gk_test_reflection_app();
    if (!g)
        return NULL;
    unsetenv("GENKIT_REFLECTION_V2_SERVER");
    return g;
}

static gk_reflection *start_v2(gk_genkit *g, const char *url)
{
    gk_error err = {0};
    gk_reflection *r = gk_reflection_start(g, &(gk_reflection_opts){.v2_server_url = url}, &err);
    if (!r)
        fprintf(stderr, "    start: %s\n", err.message);
    return r;
}

static void teardown(gk_genkit *g, gk_reflection *r, gk_test_ws *ws)
{
    gk_reflection_stop(r);
    gk_test_ws_stop(ws);
    unsetenv("GENKIT_ENV");
    unsetenv("GENKIT_REFLECTION_V2_SERVER");
    gk__telemetry_shutdown();
    gk_shutdown(g);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next text message, copied into a (NULL on timeout). */
static const char *recv_text(gk_test_ws *ws, gk_arena *a)
{
    char *m = gk_test_ws_recv(ws, WAIT_MS);
    if (!m)
        return NULL;
    const char *copy = gk_arena_strdup(a, m);
    free(m);
    return copy;
}

static const gk_json *parse(gk_arena *a, const char *text)
{
    gk_json *doc = NULL;
    if (!text || gk_json_parse(a, text, strlen(text), NULL, &doc, NULL) != GK_OK)
        return NULL;
    return doc;
}

static const char *str_at(const gk_json *v, const char *key)
{
    const gk_json *m = gk_json_get(v, key);
    return m && m->type == GK_JSON_STRING ? m->str : NULL;
}

/* Accept the runtime's connection, check its register request and answer it. Returns the
 * register message (parsed in a), or NULL. */
static const gk_json *accept_register(gk_test_ws *ws, gk_arena *a)
{
    if (!gk_test_ws_accept(ws, WAIT_MS, NULL))
        return NULL;
    const gk_json *reg = parse(a, recv_text(ws, a));
    const char *id = str_at(reg, "id");
    if (!reg || !id || strcmp(str_at(reg, "method"), "register") != 0)
        return NULL;
    char answer[256];
    snprintf(answer, sizeof(answer), "{\"jsonrpc\":\"2.0\",\"result\":{},\"id\":\"%s\"}", id);
    gk_test_ws_send_text(ws, answer);
    return reg;
}

/* Send a request and return the next message's text. */
static const char *call(gk_test_ws *ws, gk_arena *a, const char *request)
{
    if (!gk_test_ws_send_text(ws, request))
        return NULL;
    return recv_text(ws, a);
}

/* The trace id of a runActionState message for request id, or NULL. */
static const char *state_trace(gk_arena *a, const char *text, const char *request_id)
{
    const gk_json *m = parse(a, text);
    const gk_json *params = gk_json_get(m, "params");
    if (!m || strcmp(str_at(m, "method"), "runActionState") != 0 ||
        strcmp(str_at(params, "requestId"), request_id) != 0)
        return NULL;
    const char *t = str_at(gk_json_get(params, "state"), "traceId");
    return t && strlen(t) == 32 ? t : NULL;
}

/* ---- registration ---- */

TEST(reflection_v2_registers_with_id_pid_name_version_and_envs)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);

    ASSERT_TRUE(gk_test_ws_accept(ws, WAIT_MS, NULL));
    const char *text = recv_text(ws, a);
    const gk_json *reg = parse(a, text);

    ASSERT_TRUE(reg);
    const char *head = gk_test_ws_request(ws);
    char host[64];
    snprintf(host, sizeof(host), "Host: 127.0.0.1:%d\r\n", gk_test_ws_port(ws));
    EXPECT_TRUE(strncmp(head, "GET / HTTP/1.1\r\n", 16) == 0);
    EXPECT_CONTAINS(head, host);
    EXPECT_CONTAINS(head, "Upgrade: websocket\r\n");
    EXPECT_CONTAINS(head, "Connection: Upgrade\r\n");
    EXPECT_CONTAINS(head, "Sec-WebSocket-Version: 13\r\n");
    EXPECT_STREQ(str_at(reg, "jsonrpc"), "2.0");
    EXPECT_STREQ(str_at(reg, "method"), "register");
    EXPECT_TRUE(str_at(reg, "id") != NULL);
    const gk_json *p = gk_json_get(reg, "params");
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    EXPECT_STREQ(str_at(p, "id"), pid);
    EXPECT_EQ(gk_json_get(p, "pid")->integer, getpid());
    EXPECT_STREQ(str_at(p, "name"), "refl");
    EXPECT_STREQ(str_at(p, "genkitVersion"), "c/" GK_VERSION);
    EXPECT_EQ(gk_json_get(p, "reflectionApiSpecVersion")->integer, 1);
    const gk_json *envs = gk_json_get(p, "envs");
    ASSERT_TRUE(envs && envs->type == GK_JSON_ARRAY && envs->count == 1);
    EXPECT_STREQ(envs->items[0].str, "dev");
    EXPECT_EQ(gk_reflection_port(r), 0);
    EXPECT_STREQ(gk_reflection_runtime_file(r), "");

    /* The CLI's answer carries the telemetry server: traces go there. */
    char answer[256];
    snprintf(answer, sizeof(answer),
             "{\"jsonrpc\":\"2.0\",\"result\":{\"telemetryServerUrl\":\"http://127.0.0.1:4998\"},"
             "\"id\":\"%s\"}",
             str_at(reg, "id"));
    gk_test_ws_send_text(ws, answer);
    /* The next request is answered after the register answer was read. */
    EXPECT_TRUE(call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"listActions\",\"id\":\"1\"}"));
    char url[64];
    gk__telemetry_server(url, sizeof(url));
    EXPECT_STREQ(url, "http://127.0.0.1:4998");
    EXPECT_FALSE(gk_test_ws_saw_unmasked(ws));
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_is_chosen_by_the_environment_and_started_with_the_flow_server)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    setenv("GENKIT_REFLECTION_V2_SERVER", gk_test_ws_url(ws), 1);
    gk_arena *a = gk_arena_new(0);
    gk_error err = {0};

    gk_server *s = gk_server_start(g, &(gk_server_opts){.port = -1, .quiet = true}, &err);
    ASSERT_TRUE(s);
    const gk_json *reg = accept_register(ws, a);
    const char *list = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"listActions\",\"id\":\"1\"}");
    gk_server_stop(s);
    char *frame = NULL;
    size_t len = 0;
    int op = gk_test_ws_recv_frame(ws, WAIT_MS, &frame, &len);

    EXPECT_TRUE(reg != NULL);
    EXPECT_CONTAINS(list, "\"/flow/echo\":{\"key\":\"/flow/echo\"");
    EXPECT_EQ(op, 0x8);
    EXPECT_EQ(gk_test_ws_close_code(ws), 1001);
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    free(frame);
    gk_arena_free(a);
    teardown(g, NULL, ws);
}

TEST(reflection_v2_start_refuses_wss_and_urls_that_are_not_ws)
{
    gk_genkit *g = setup();
    ASSERT_TRUE(g);
    gk_error err = {0};

    gk_reflection *wss = gk_reflection_start(
        g, &(gk_reflection_opts){.v2_server_url = "wss://localhost:3200"}, &err);
    EXPECT_TRUE(wss == NULL);
    EXPECT_EQ(err.status, GK_UNIMPLEMENTED);
    gk_reflection *http = gk_reflection_start(
        g, &(gk_reflection_opts){.v2_server_url = "http://localhost:3200"}, &err);
    EXPECT_TRUE(http == NULL);
    EXPECT_EQ(err.status, GK_INVALID_ARGUMENT);
    teardown(g, NULL, NULL);
}

/* ---- listActions and listValues ---- */

/* GET path from the v1 server: the body (Content-Length answers). */
static char *http_get_body(int port, const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return NULL;
    }
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 20;
    size_t len = 0;
    char *buf = malloc(cap);
    for (;;) {
        ssize_t got = buf ? read(fd, buf + len, cap - 1 - len) : -1;
        if (got <= 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[len] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    char *out = body ? strdup(body + 4) : NULL;
    free(buf);
    return out;
}

TEST(reflection_v2_lists_actions_exactly_as_v1_does)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_error err = {0};
    gk_reflection *v1 =
        gk_reflection_start(g, &(gk_reflection_opts){.port = -1, .no_runtime_file = true}, &err);
    ASSERT_TRUE(v1);
    char *v1_body = http_get_body(gk_reflection_port(v1), "/api/actions");
    gk_reflection_stop(v1);
    ASSERT_TRUE(v1_body);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *got = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"listActions\",\"id\":\"1\"}");

    char *want = gk_arena_sprintf(
        a, "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{\"actions\":%s}}", v1_body);
    EXPECT_STREQ(got, want);
    EXPECT_CONTAINS(v1_body, "\"/flow/echo\"");
    EXPECT_CONTAINS(v1_body, "\"/tool/adder\"");
    free(v1_body);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_lists_values_and_checks_the_type)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *model = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"listValues\",\"params\":{\"type\":"
                             "\"defaultModel\"},\"id\":\"1\"}");
    const char *mw = call(ws, a,
                          "{\"jsonrpc\":\"2.0\",\"method\":\"listValues\",\"params\":{\"type\":"
                          "\"middleware\"},\"id\":\"2\"}");
    const char *other = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"listValues\",\"params\":{\"type\":"
                             "\"prompt\"},\"id\":\"3\"}");
    const char *none = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"listValues\",\"id\":\"4\"}");

    EXPECT_STREQ(model,
                 "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{\"values\":{\"defaultModel\":"
                 "{\"name\":\"local/echo\"}}}}");
    EXPECT_STREQ(mw, "{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"result\":{\"values\":{}}}");
    EXPECT_STREQ(other, "{\"jsonrpc\":\"2.0\",\"id\":\"3\",\"error\":{\"code\":-32602,\"message\":"
                        "\"'type' must be one of: defaultModel, middleware\"}}");
    EXPECT_STREQ(none, "{\"jsonrpc\":\"2.0\",\"id\":\"4\",\"error\":{\"code\":-32602,\"message\":"
                       "\"\\\"type\\\" is required\"}}");
    gk_arena_free(a);
    teardown(g, r, ws);
}

/* ---- runAction ---- */

TEST(reflection_v2_run_action_sends_the_trace_state_before_the_result)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *state = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"hi\"},\"stream\":false,"
                             "\"streamInput\":false},\"id\":\"2\"}");
    const char *result = recv_text(ws, a);

    const char *trace = state_trace(a, state, "2");
    ASSERT_TRUE(trace);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"jsonrpc\":\"2.0\",\"method\":\"runActionState\",\"params\":{\"requestId\":\"2\","
             "\"state\":{\"traceId\":\"%s\"}}}",
             trace);
    EXPECT_STREQ(state, want);
    snprintf(want, sizeof(want),
             "{\"jsonrpc\":\"2.0\",\"id\":\"2\",\"result\":{\"result\":{\"text\":\"echo: hi\"},"
             "\"telemetry\":{\"traceId\":\"%s\"}}}",
             trace);
    EXPECT_STREQ(result, want);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_run_action_streams_chunks_in_order_when_asked)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *state = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/count\",\"input\":{\"word\":\"sheep\"},\"stream\":true},"
                             "\"id\":\"3\"}");
    const char *msgs[4];
    for (int i = 0; i < 4; i++)
        msgs[i] = recv_text(ws, a);
    const char *quiet_state = call(ws, a,
                                   "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{"
                                   "\"key\":\"/flow/count\",\"input\":{\"word\":\"goats\"}},"
                                   "\"id\":\"4\"}");
    const char *quiet = recv_text(ws, a);

    const char *trace = state_trace(a, state, "3");
    ASSERT_TRUE(trace);
    for (int i = 0; i < 3; i++) {
        char want[256];
        snprintf(want, sizeof(want),
                 "{\"jsonrpc\":\"2.0\",\"method\":\"streamChunk\",\"params\":{\"requestId\":\"3\","
                 "\"chunk\":{\"n\":%d}}}",
                 i);
        EXPECT_STREQ(msgs[i], want);
    }
    char want[512];
    snprintf(
        want, sizeof(want),
        "{\"jsonrpc\":\"2.0\",\"id\":\"3\",\"result\":{\"result\":{\"text\":\"counted sheep\"},"
        "\"telemetry\":{\"traceId\":\"%s\"}}}",
        trace);
    EXPECT_STREQ(msgs[3], want);
    /* Without "stream": true, the same flow sends no chunks. */
    EXPECT_TRUE(state_trace(a, quiet_state, "4") != NULL);
    EXPECT_CONTAINS(quiet, "\"id\":\"4\",\"result\":{\"result\":{\"text\":\"counted goats\"}");
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_run_action_errors_map_like_v1)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *unknown = call(ws, a,
                               "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                               "\"/flow/nope\"},\"id\":\"4\"}");
    const char *bad_input =
        call(ws, a,
             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
             "\"/flow/echo\",\"input\":{\"word\":\"\"}},\"id\":\"5\"}");
    const char *no_key =
        call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{},\"id\":\"6\"}");
    const char *no_params =
        call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"id\":\"7\"}");
    const char *bad_labels =
        call(ws, a,
             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
             "\"/flow/echo\",\"telemetryLabels\":{\"a\":1}},\"id\":\"8\"}");

    EXPECT_STREQ(unknown,
                 "{\"jsonrpc\":\"2.0\",\"id\":\"4\",\"error\":{\"code\":-32000,\"message\":"
                 "\"action /flow/nope not found\",\"data\":{\"code\":5,\"message\":"
                 "\"action /flow/nope not found\",\"details\":{}}}}");
    /* As in v1, input is checked before the root span exists: no state, no trace id. */
    EXPECT_STREQ(
        bad_input,
        "{\"jsonrpc\":\"2.0\",\"id\":\"5\",\"error\":{\"code\":-32000,\"message\":\"/word: "
        "must be at least 1 character long\",\"data\":{\"code\":3,\"message\":\"/word: "
        "must be at least 1 character long\",\"details\":{}}}}");
    EXPECT_STREQ(no_key, "{\"jsonrpc\":\"2.0\",\"id\":\"6\",\"error\":{\"code\":-32602,\"message\":"
                         "\"\\\"key\\\" is required\"}}");
    EXPECT_STREQ(no_params, "{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"error\":{\"code\":-32602,"
                            "\"message\":\"params must be an object\"}}");
    EXPECT_STREQ(bad_labels, "{\"jsonrpc\":\"2.0\",\"id\":\"8\",\"error\":{\"code\":-32602,"
                             "\"message\":\"\\\"telemetryLabels\\\" must be an object of "
                             "strings\"}}");
    gk_arena_free(a);
    teardown(g, r, ws);
}

/* Read n messages and return the one whose "id" is id (as a JSON string). */
static const char *find_reply(const char *const *msgs, int n, const char *id)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
    for (int i = 0; i < n; i++)
        if (msgs[i] && strstr(msgs[i], needle))
            return msgs[i];
    return NULL;
}

TEST(reflection_v2_cancel_action_ends_the_run_as_cancelled)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    const char *state = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"zz\",\"sleepMs\":30000}},"
                             "\"id\":\"10\"}");
    const char *trace = state_trace(a, state, "10");
    ASSERT_TRUE(trace);
    char cancel[256];
    snprintf(cancel, sizeof(cancel),
             "{\"jsonrpc\":\"2.0\",\"method\":\"cancelAction\",\"params\":{\"traceId\":\"%s\"},"
             "\"id\":\"11\"}",
             trace);

    long long t0 = now_ms();
    gk_test_ws_send_text(ws, cancel);
    const char *msgs[2] = {recv_text(ws, a), recv_text(ws, a)};
    long long took = now_ms() - t0;
    snprintf(cancel, sizeof(cancel),
             "{\"jsonrpc\":\"2.0\",\"method\":\"cancelAction\",\"params\":{\"traceId\":\"%s\"},"
             "\"id\":\"12\"}",
             trace);
    const char *again = call(ws, a, cancel);
    const char *missing = call(
        ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"cancelAction\",\"params\":{},\"id\":\"13\"}");

    EXPECT_LT(took, 5000);
    EXPECT_STREQ(
        find_reply(msgs, 2, "11"),
        "{\"jsonrpc\":\"2.0\",\"id\":\"11\",\"result\":{\"message\":\"Action cancelled\"}}");
    char want[512];
    snprintf(want, sizeof(want),
             "{\"jsonrpc\":\"2.0\",\"id\":\"10\",\"error\":{\"code\":-32000,\"message\":\"Action "
             "was cancelled\",\"data\":{\"code\":1,\"message\":\"Action was cancelled\","
             "\"details\":{\"traceId\":\"%s\"}}}}",
             trace);
    EXPECT_STREQ(find_reply(msgs, 2, "10"), want);
    EXPECT_STREQ(again,
                 "{\"jsonrpc\":\"2.0\",\"id\":\"12\",\"error\":{\"code\":-32000,\"message\":"
                 "\"Action not found or already completed\",\"data\":{\"code\":5,\"message\":"
                 "\"Action not found or already completed\",\"details\":{}}}}");
    EXPECT_STREQ(missing, "{\"jsonrpc\":\"2.0\",\"id\":\"13\",\"error\":{\"code\":-32602,"
                          "\"message\":\"traceId is required\"}}");
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_runs_several_actions_at_once_and_answers_each)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"slow\",\"sleepMs\":300}},"
                             "\"id\":\"30\"}");
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"fast\"}},\"id\":\"31\"}");
    const char *msgs[4];
    for (int i = 0; i < 4; i++)
        msgs[i] = recv_text(ws, a);

    int slow = -1;
    int fast = -1;
    for (int i = 0; i < 4; i++) {
        if (msgs[i] && strstr(msgs[i], "\"id\":\"30\",\"result\""))
            slow = i;
        if (msgs[i] && strstr(msgs[i], "\"id\":\"31\",\"result\""))
            fast = i;
    }
    EXPECT_GE(fast, 0);
    EXPECT_GE(slow, 0);
    EXPECT_LT(fast, slow); /* the fast run did not wait for the slow one */
    EXPECT_CONTAINS(msgs[slow >= 0 ? slow : 0], "echo: slow");
    gk_arena_free(a);
    teardown(g, r, ws);
}

/* ---- JSON-RPC framing ---- */

TEST(reflection_v2_answers_unknown_methods_bad_requests_and_malformed_json)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    const char *unknown = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":\"20\"}");
    const char *numeric = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":7}");
    const char *malformed = call(ws, a, "{nope");
    const char *version =
        call(ws, a, "{\"jsonrpc\":\"1.0\",\"method\":\"listActions\",\"id\":\"21\"}");
    const char *array = call(ws, a, "[1,2]");

    EXPECT_STREQ(unknown, "{\"jsonrpc\":\"2.0\",\"id\":\"20\",\"error\":{\"code\":-32601,"
                          "\"message\":\"Method not found: nope\"}}");
    EXPECT_STREQ(numeric, "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32601,"
                          "\"message\":\"Method not found: nope\"}}");
    static const char parse_error[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
                                      "-32700,\"message\":\"Parse error\",\"data\":\"";
    EXPECT_TRUE(malformed && strncmp(malformed, parse_error, strlen(parse_error)) == 0);
    EXPECT_STREQ(version, "{\"jsonrpc\":\"2.0\",\"id\":\"21\",\"error\":{\"code\":-32600,"
                          "\"message\":\"Invalid Request\"}}");
    EXPECT_STREQ(array, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
                        "\"message\":\"Invalid Request\"}}");
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_takes_notifications_without_answering_them)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));

    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"configure\",\"params\":{"
                             "\"telemetryServerUrl\":\"http://127.0.0.1:4997\"}}");
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"sendInputStreamChunk\",\"params\":"
                             "{\"requestId\":\"1\",\"chunk\":1}}");
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"endInputStream\",\"params\":{"
                             "\"requestId\":\"1\"}}");
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"somethingNew\"}");
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"result\":null,\"id\":\"99\"}");
    const char *next = call(ws, a,
                            "{\"jsonrpc\":\"2.0\",\"method\":\"listValues\",\"params\":{\"type\":"
                            "\"middleware\"},\"id\":\"23\"}");

    EXPECT_STREQ(next, "{\"jsonrpc\":\"2.0\",\"id\":\"23\",\"result\":{\"values\":{}}}");
    char url[64];
    gk__telemetry_server(url, sizeof(url));
    EXPECT_STREQ(url, "http://127.0.0.1:4997");
    gk_arena_free(a);
    teardown(g, r, ws);
}

/* ---- the connection ---- */

TEST(reflection_v2_answers_pings_and_the_close_handshake_then_reconnects)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    char *p = NULL;
    size_t n = 0;

    gk_test_ws_send_frame(ws, 0x9, true, "hey", 3);
    int pong = gk_test_ws_recv_frame(ws, WAIT_MS, &p, &n);
    EXPECT_EQ(pong, 0xa);
    EXPECT_TRUE(n == 3 && memcmp(p, "hey", 3) == 0);
    free(p);
    gk_test_ws_send_frame(ws, 0x8, true,
                          "\x03\xe8"
                          "bye",
                          5);
    int close_op = gk_test_ws_recv_frame(ws, WAIT_MS, &p, &n);
    free(p);

    EXPECT_EQ(close_op, 0x8);
    EXPECT_EQ(gk_test_ws_close_code(ws), 1000);
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    EXPECT_TRUE(accept_register(ws, a) != NULL);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_reconnects_with_backoff_after_the_cli_drops_the_connection)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    gk_test_ws_send_text(ws, "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"zz\",\"sleepMs\":30000}},"
                             "\"id\":\"2\"}");
    EXPECT_TRUE(state_trace(a, recv_text(ws, a), "2") != NULL);

    long long t0 = now_ms();
    gk_test_ws_drop(ws);
    const gk_json *again = accept_register(ws, a);
    long long first = now_ms() - t0;
    const char *list = call(ws, a, "{\"jsonrpc\":\"2.0\",\"method\":\"listActions\",\"id\":\"1\"}");

    EXPECT_TRUE(again != NULL);
    EXPECT_GE(first, 400); /* the first retry waits 500 ms */
    EXPECT_LT(first, 3000);
    /* The new connection carries nothing from the old one's run (it was cancelled). */
    EXPECT_TRUE(list && strncmp(list, "{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\"", 34) == 0);
    gk_test_ws_drop(ws);
    EXPECT_TRUE(accept_register(ws, a) != NULL);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_closes_with_1002_on_a_protocol_error_and_reconnects)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    static const uint8_t rsv[] = {0xc1, 0x01, 'x'}; /* RSV1 set: no extension was agreed */
    char *p = NULL;
    size_t n = 0;

    gk_test_ws_send_raw(ws, rsv, sizeof(rsv));
    int op = gk_test_ws_recv_frame(ws, WAIT_MS, &p, &n);
    free(p);

    EXPECT_EQ(op, 0x8);
    EXPECT_EQ(gk_test_ws_close_code(ws), 1002);
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    EXPECT_TRUE(accept_register(ws, a) != NULL);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_closes_with_1009_for_a_message_over_the_limit)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    /* Only the header of a 32 MiB + 1 byte text frame: refused before the bytes come. */
    static const uint8_t big[] = {0x81, 127, 0, 0, 0, 0, 0x02, 0x00, 0x00, 0x01};
    char *p = NULL;
    size_t n = 0;

    gk_test_ws_send_raw(ws, big, sizeof(big));
    int op = gk_test_ws_recv_frame(ws, WAIT_MS, &p, &n);
    free(p);

    EXPECT_EQ(op, 0x8);
    EXPECT_EQ(gk_test_ws_close_code(ws), 1009);
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_retries_after_a_refused_handshake)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);

    EXPECT_TRUE(
        gk_test_ws_accept(ws, WAIT_MS, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    EXPECT_TRUE(gk_test_ws_accept(ws, WAIT_MS,
                                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  "Connection: Upgrade\r\nSec-WebSocket-Accept: wrong\r\n\r\n"));
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    EXPECT_TRUE(accept_register(ws, a) != NULL);
    gk_arena_free(a);
    teardown(g, r, ws);
}

TEST(reflection_v2_stops_cleanly_while_connected_and_answers_cancelled_runs)
{
    gk_genkit *g = setup();
    gk_test_ws *ws = gk_test_ws_start();
    ASSERT_TRUE(g && ws);
    gk_reflection *r = start_v2(g, gk_test_ws_url(ws));
    ASSERT_TRUE(r);
    gk_arena *a = gk_arena_new(0);
    ASSERT_TRUE(accept_register(ws, a));
    const char *state = call(ws, a,
                             "{\"jsonrpc\":\"2.0\",\"method\":\"runAction\",\"params\":{\"key\":"
                             "\"/flow/echo\",\"input\":{\"word\":\"zz\",\"sleepMs\":30000}},"
                             "\"id\":\"40\"}");
    ASSERT_TRUE(state_trace(a, state, "40"));

    long long t0 = now_ms();
    gk_reflection_stop(r);
    long long took = now_ms() - t0;
    const char *answer = recv_text(ws, a);
    char *p = NULL;
    size_t n = 0;
    int op = gk_test_ws_recv_frame(ws, WAIT_MS, &p, &n);
    free(p);

    EXPECT_LT(took, 2000);
    EXPECT_CONTAINS(answer, "\"id\":\"40\",\"error\":{\"code\":-32000,\"message\":\"Action was "
                            "cancelled\"");
    EXPECT_EQ(op, 0x8);
    EXPECT_EQ(gk_test_ws_close_code(ws), 1001);
    EXPECT_TRUE(gk_test_ws_wait_eof(ws, WAIT_MS));
    gk_arena_free(a);
    teardown(g, NULL, ws);
}

TEST(reflection_v2_stops_cleanly_while_reconnecting)
{
    gk_genkit *g = setup();
    gk_test_ws *gone = gk_test_ws_start();
    ASSERT_TRUE(g && gone);
    char url[64];
    snprintf(url, sizeof(url), "%s", gk_test_ws_url(gone));
    gk_test_ws_stop(gone); /* nothing listens there now: every attempt is refused */
    gk_reflection *r = start_v2(g, url);
    ASSERT_TRUE(r);
    struct timespec pause = {.tv_sec = 1, .tv_nsec = 200 * 1000 * 1000};
    nanosleep(&pause, NULL); /* attempts at 0, 0.5 and 1.5 s: stop lands inside a backoff */

    long long t0 = now_ms();
    gk_reflection_stop(r);
    long long took = now_ms() - t0;

    EXPECT_LT(took, 500);
    teardown(g, NULL, NULL);
}
