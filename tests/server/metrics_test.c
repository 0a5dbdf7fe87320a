/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/metrics_test.c - the metrics registry (series, kinds, escaping, the text format,
 * exact sums from concurrent threads) and GET /metrics on a real server: per-flow counts by
 * status, errors, latency histogram counts, in-flight, HTTP codes, process and fiber gauges. */
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

/* ---- the registry ---- */

TEST(metrics_registry_writes_counters_gauges_and_histograms_in_text_format)
{
    gk__metrics_reset();
    static const char *const gpt[] = {"model", "openai/gpt-4o", "status", "OK", NULL};
    static const char *const local[] = {"model", "local/echo", "status", "OK", NULL};
    gk__metrics_counter_add("genkit_model_requests_total", "Model calls", gpt, 2);
    gk__metrics_counter_add("genkit_model_requests_total", "ignored", gpt, 1);
    gk__metrics_counter_add("genkit_model_requests_total", NULL, local, 1);
    gk__metrics_gauge_add("genkit_model_in_flight", "Calls running", NULL, 3);
    gk__metrics_gauge_add("genkit_model_in_flight", NULL, NULL, -1);
    gk__metrics_observe("genkit_model_latency_seconds", "Latency", gpt, 0.2);
    gk__metrics_observe("genkit_model_latency_seconds", NULL, gpt, 7);
    gk__metrics_observe("genkit_model_latency_seconds", NULL, gpt, 500);
    gk_buf b = GK_BUF_INIT(0);

    gk__metrics_write_registry(&b);

    EXPECT_STREQ(b.ptr,
                 "# HELP genkit_model_in_flight Calls running\n"
                 "# TYPE genkit_model_in_flight gauge\n"
                 "genkit_model_in_flight 2\n"
                 "# HELP genkit_model_latency_seconds Latency\n"
                 "# TYPE genkit_model_latency_seconds histogram\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.005\"} 0\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.01\"} 0\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.025\"} 0\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.05\"} 0\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.1\"} 0\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.25\"} 1\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"0.5\"} 1\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"1\"} 1\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"2.5\"} 1\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"5\"} 1\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"10\"} 2\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"30\"} 2\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"60\"} 2\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"120\"} 2\n"
                 "genkit_model_latency_seconds_bucket{model=\"openai/gpt-4o\",status=\"OK\",le=\"+Inf\"} 3\n"
                 "genkit_model_latency_seconds_sum{model=\"openai/gpt-4o\",status=\"OK\"} 507.2\n"
                 "genkit_model_latency_seconds_count{model=\"openai/gpt-4o\",status=\"OK\"} 3\n"
                 "# HELP genkit_model_requests_total Model calls\n"
                 "# TYPE genkit_model_requests_total counter\n"
                 "genkit_model_requests_total{model=\"local/echo\",status=\"OK\"} 1\n"
                 "genkit_model_requests_total{model=\"openai/gpt-4o\",status=\"OK\"} 3\n"
                 "# HELP genkit_metrics_dropped_series_total Series not recorded because the "
                 "registry was full or the series was invalid\n"
                 "# TYPE genkit_metrics_dropped_series_total counter\n"
                 "genkit_metrics_dropped_series_total 0\n");
    gk_buf_release(&b);
    gk__metrics_reset();
}

TEST(metrics_registry_rejects_bad_names_labels_and_kind_changes)
{
    gk__metrics_reset();
    static const char *const bad_label[] = {"model-name", "x", NULL};
    static const char *const reserved[] = {"__name__", "x", NULL};
    static const char *const odd_count[] = {"model", NULL};
    static const char *const bad_utf8[] = {"model", "\xff", NULL};

    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "9lives", NULL, NULL) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "a-b", NULL, NULL) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "", NULL, NULL) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, bad_label) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, reserved) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, odd_count) == NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, bad_utf8) == NULL);
    gk__metric *m = gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, NULL);
    ASSERT_TRUE(m != NULL);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_COUNTER, "ok_total", NULL, NULL) == m);
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_GAUGE, "ok_total", NULL, NULL) == NULL);
    static const char *const other[] = {"k", "v", NULL};
    EXPECT_TRUE(gk__metrics_series(GK__METRIC_HISTOGRAM, "ok_total", NULL, other) == NULL);
    gk__metric_add(m, -5); /* counters never go down */
    gk__metric_add(m, 1.5);
    gk_buf b = GK_BUF_INIT(0);
    gk__metrics_write_registry(&b);
    EXPECT_TRUE(strstr(b.ptr, "\nok_total 1.5\n") != NULL);
    gk_buf_release(&b);
    gk__metrics_reset();
}

TEST(metrics_registry_escapes_label_values_and_help)
{
    gk__metrics_reset();
    static const char *const labels[] = {"q", "a\"b\\c\nd", NULL};
    gk__metrics_counter_add("esc_total", "line one\nline \\two", labels, 1);
    gk_buf b = GK_BUF_INIT(0);

    gk__metrics_write_registry(&b);

    EXPECT_TRUE(strstr(b.ptr, "# HELP esc_total line one\\nline \\\\two\n") != NULL);
    EXPECT_TRUE(strstr(b.ptr, "esc_total{q=\"a\\\"b\\\\c\\nd\"} 1\n") != NULL);
    gk_buf_release(&b);
    gk__metrics_reset();
}

static void *add_many(void *arg)
{
    gk__metric *m = arg;
    for (int i = 0; i < 10000; i++)
        gk__metric_add(m, 1);
    return NULL;
}

TEST(metrics_registry_sums_concurrent_adds_exactly)
{
    gk__metrics_reset();
    gk__metric *m = gk__metrics_series(GK__METRIC_COUNTER, "hits_total", "Hits", NULL);
    ASSERT_TRUE(m != NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, add_many, m);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    gk_buf b = GK_BUF_INIT(0);

    gk__metrics_write_registry(&b);

    EXPECT_TRUE(strstr(b.ptr, "\nhits_total 40000\n") != NULL);
    gk_buf_release(&b);
    gk__metrics_reset();
}

/* ---- GET /metrics on a server ---- */

typedef struct MetricsName {
    const char *name;
} MetricsName;

GK_SCHEMA_DEFINE(MetricsName, "a name", GK_FIELD_STRING(MetricsName, name, "name", NULL));

static gk_status hello_flow(gk_ctx *ctx, const MetricsName *in, MetricsName *out, gk_error *err)
{
    (void)err;
    out->name = gk_arena_sprintf(gk_ctx_arena(ctx), "hello %s", in->name);
    return GK_OK;
}

static gk_status deny_flow(gk_ctx *ctx, const gk_json *in, gk_json *out, gk_error *err)
{
    (void)ctx;
    (void)in;
    (void)out;
    return gk_error_set(err, GK_PERMISSION_DENIED, "", "no");
}

struct srv {
    gk_genkit *g;
    gk_server *s;
    int port;
};

static bool start(struct srv *x, gk_server_opts o)
{
    gk_error err = {0};
    gk__log_configure(GK_LOG_WARN, -1, -1);
    x->g = gk_init(&(gk_init_opts){.threads = 1, .name = "metrics-test"}, &err);
    if (!x->g)
        return false;
    if (!GK_DEFINE_FLOW(x->g, "hello", NULL, hello_flow, MetricsName, MetricsName, &err) ||
        !GK_DEFINE_FLOW(x->g, "deny", NULL, deny_flow, gk_json, gk_json, &err)) {
        gk_shutdown(x->g);
        return false;
    }
    o.host = "127.0.0.1";
    o.port = -1;
    o.quiet = true;
    x->s = gk_server_start(x->g, &o, &err);
    if (!x->s) {
        fprintf(stderr, "start: %s\n", err.message);
        gk_shutdown(x->g);
        return false;
    }
    x->port = gk_server_port(x->s);
    return true;
}

static void stop(struct srv *x)
{
    gk_server_stop(x->s);
    gk_shutdown(x->g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

static struct reply rep;

TEST(metrics_endpoint_counts_flow_requests_by_status_and_latency)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){0}));
    char h[256];
    ASSERT_TRUE(post(x.port, "/hello", "{\"data\":{\"name\":\"a\"}}", "", &rep));
    EXPECT_EQ(rep.status, 200);
    ASSERT_TRUE(post(x.port, "/hello", "{\"data\":{\"name\":\"b\"}}", "", &rep));
    ASSERT_TRUE(post(x.port, "/hello", "{\"data\":{\"name\":3}}", "", &rep));
    EXPECT_EQ(rep.status, 400);
    ASSERT_TRUE(post(x.port, "/deny", "{}", "", &rep));
    EXPECT_EQ(rep.status, 403);
    ASSERT_TRUE(post(x.port, "/nope", "{}", "", &rep));
    EXPECT_EQ(rep.status, 404);

    ASSERT_TRUE(get(x.port, "/metrics", "", &rep));

    EXPECT_EQ(rep.status, 200);
    EXPECT_STREQ(header(&rep, "Content-Type", h, sizeof(h)),
                 "text/plain; version=0.0.4; charset=utf-8");
    const char *m = rep.body;
    EXPECT_CONTAINS(m, "\ngenkit_flow_requests_total{flow=\"hello\",status=\"OK\"} 2\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_requests_total{flow=\"hello\",status=\"INVALID_ARGUMENT\"} 1\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_requests_total{flow=\"deny\",status=\"OK\"} 0\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_requests_total{flow=\"deny\",status=\"PERMISSION_DENIED\"} 1\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_errors_total{flow=\"deny\",status=\"PERMISSION_DENIED\"} 1\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_errors_total{flow=\"hello\",status=\"INVALID_ARGUMENT\"} 1\n");
    EXPECT_TRUE(strstr(m, "genkit_flow_errors_total{flow=\"hello\",status=\"OK\"}") == NULL);
    EXPECT_CONTAINS(m, "\ngenkit_flow_latency_seconds_count{flow=\"hello\"} 3\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_latency_seconds_bucket{flow=\"hello\",le=\"+Inf\"} 3\n");
    EXPECT_CONTAINS(m, "\ngenkit_flow_in_flight{flow=\"hello\"} 0\n");
    EXPECT_CONTAINS(m, "\ngenkit_http_responses_total{code=\"200\"} 2\n");
    EXPECT_CONTAINS(m, "\ngenkit_http_responses_total{code=\"400\"} 1\n");
    EXPECT_CONTAINS(m, "\ngenkit_http_responses_total{code=\"403\"} 1\n");
    EXPECT_CONTAINS(m, "\ngenkit_http_responses_total{code=\"404\"} 1\n");
    EXPECT_CONTAINS(m, "\n# TYPE genkit_flow_latency_seconds histogram\n");
    EXPECT_CONTAINS(m, "\ngenkit_fibers{loop=\"0\"} ");
    EXPECT_CONTAINS(m, "\ngenkit_http_connections 1\n");
    EXPECT_CONTAINS(m, "\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ");
    EXPECT_CONTAINS(m, "\nprocess_open_fds ");
    EXPECT_CONTAINS(m, "\nprocess_start_time_seconds ");
    stop(&x);
}

TEST(metrics_endpoint_can_be_turned_off_and_refuses_post)
{
    struct srv x;
    ASSERT_TRUE(start(&x, (gk_server_opts){.no_metrics = true}));
    ASSERT_TRUE(get(x.port, "/metrics", "", &rep));
    EXPECT_EQ(rep.status, 404);
    stop(&x);

    ASSERT_TRUE(start(&x, (gk_server_opts){.path_prefix = "api"}));
    ASSERT_TRUE(post(x.port, "/metrics", "{}", "", &rep));
    EXPECT_EQ(rep.status, 405);
    ASSERT_TRUE(get(x.port, "/metrics", "", &rep));
    EXPECT_EQ(rep.status, 200);
    stop(&x);
}

TEST(metrics_outcome_maps_http_status_to_genkit_status)
{
    struct gk__srv_request r = {0};
    static const struct {
        int http;
        gk_status st;
    } cases[] = {{200, GK_OK}, {400, GK_INVALID_ARGUMENT}, {401, GK_UNAUTHENTICATED},
                 {403, GK_PERMISSION_DENIED}, {404, GK_NOT_FOUND}, {413, GK_RESOURCE_EXHAUSTED},
                 {415, GK_INVALID_ARGUMENT}, {499, GK_CANCELLED}, {0, GK_CANCELLED},
                 {500, GK_INTERNAL}, {503, GK_UNAVAILABLE}, {504, GK_DEADLINE_EXCEEDED}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r.status = cases[i].http;
        EXPECT_EQ(gk__srv_outcome(&r), cases[i].st);
    }
    r.outcome_set = true;
    r.outcome = GK_ABORTED;
    r.status = 200; /* a stream that failed after its 200 head */
    EXPECT_EQ(gk__srv_outcome(&r), GK_ABORTED);
}
