/* SPDX-License-Identifier: Apache-2.0 */
/* tests/runtime/lines_test.c - the SSE/NDJSON parser: the spec's field rules, line endings, BOM,
 * the final event without a blank line, limits, callback errors, and the split matrix (every split
 * position of a sample stream, and byte-at-a-time, give the same events as one feed). */
#include <genkit/buf.h>
#include <genkit/http.h>

#include <stdlib.h>

#include "base/fault.h"
#include "test.h"

/* Events rendered as "[event|id|retry] data\n" for exact comparison. */
struct collect {
    gk_buf out;
    int stop_at; /* return GK_ABORTED at this event index (-1: never) */
};

static gk_status collect_event(void *arg, const gk_line_event *ev, gk_error *err)
{
    struct collect *c = arg;
    if (c->stop_at >= 0 && ev->index == (uint64_t)c->stop_at)
        return gk_error_set(err, GK_ABORTED, "", "stop at %d", c->stop_at);
    EXPECT_EQ(ev->data.ptr[ev->data.len], '\0');
    gk_buf_printf(&c->out, "[%s|%s|%lld] ", ev->event.ptr, ev->id.ptr, (long long)ev->retry_ms);
    gk_buf_put(&c->out, ev->data.ptr, ev->data.len);
    gk_buf_putc(&c->out, '\n');
    return GK_OK;
}

/* Parse input fed in pieces cut at the given offsets (ascending, ncuts of them); returns the
 * rendering (caller frees) and the final status. */
static char *parse_cut(gk_lines_mode mode, const char *in, size_t len, const size_t *cuts,
                       size_t ncuts, gk_status *st)
{
    struct collect c = {.out = GK_BUF_INIT(0), .stop_at = -1};
    gk_error err = {0};
    gk_lines *p = gk_lines_new(mode, 0, collect_event, &c);
    size_t at = 0;
    *st = GK_OK;
    for (size_t i = 0; i <= ncuts && *st == GK_OK; i++) {
        size_t end = i < ncuts ? cuts[i] : len;
        *st = gk_lines_feed(p, in + at, end - at, &err);
        at = end;
    }
    if (*st == GK_OK)
        *st = gk_lines_finish(p, &err);
    gk_lines_free(p);
    gk_buf_putc(&c.out, '.'); /* never empty */
    return c.out.ptr;
}

static char *parse_all(gk_lines_mode mode, const char *in, gk_status *st)
{
    return parse_cut(mode, in, strlen(in), NULL, 0, st);
}

static const char sse_sample[] = "\xEF\xBB\xBF"
                                 ": a comment\r\n"
                                 "retry: 1500\r\n"
                                 "event: message_start\r\n"
                                 "id: 7\r\n"
                                 "data: {\"a\":1}\r\n"
                                 "\r\n"
                                 "data:no space\r"
                                 "data:  two spaces\r"
                                 "\r"
                                 "event: ignored because no data\n"
                                 "\n"
                                 "data\n"
                                 "unknown: field\n"
                                 "retry: 12x\n"
                                 "id\n"
                                 "\n"
                                 "event: last\n"
                                 "data: unterminated";

static const char sse_expected[] = "[message_start|7|1500] {\"a\":1}\n"
                                   "[|7|1500] no space\n two spaces\n"
                                   "[||1500] \n"
                                   "[last||1500] unterminated\n"
                                   ".";

TEST(sse_parses_the_spec_fields_and_line_endings)
{
    gk_status st;
    char *got = parse_all(GK_LINES_SSE, sse_sample, &st);
    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(got, sse_expected);
    free(got);
}

TEST(sse_every_split_position_gives_the_same_events)
{
    size_t len = sizeof(sse_sample) - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        gk_status st;
        char *got = parse_cut(GK_LINES_SSE, sse_sample, len, &cut, 1, &st);
        EXPECT_EQ(st, GK_OK);
        if (strcmp(got, sse_expected) != 0)
            gk_test_fail(__FILE__, __LINE__, "split at %zu: %s", cut, got);
        free(got);
    }
    for (size_t a = 0; a <= len; a += 3) {
        for (size_t b = a; b <= len; b += 5) {
            size_t cuts[2] = {a, b};
            gk_status st;
            char *got = parse_cut(GK_LINES_SSE, sse_sample, len, cuts, 2, &st);
            if (strcmp(got, sse_expected) != 0)
                gk_test_fail(__FILE__, __LINE__, "split at %zu,%zu: %s", a, b, got);
            free(got);
        }
    }
}

TEST(sse_byte_at_a_time_gives_the_same_events)
{
    size_t len = sizeof(sse_sample) - 1;
    size_t *cuts = malloc(len * sizeof(*cuts));
    gk_status st;
    for (size_t i = 0; i < len; i++)
        cuts[i] = i;
    char *got = parse_cut(GK_LINES_SSE, sse_sample, len, cuts, len, &st);
    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(got, sse_expected);
    free(got);
    free(cuts);
}

TEST(sse_joins_data_lines_with_newlines_and_keeps_empty_ones)
{
    gk_status st;
    char *got = parse_all(GK_LINES_SSE, "data: a\ndata:\ndata: b\n\ndata:\ndata:\n\n", &st);
    EXPECT_STREQ(got, "[||-1] a\n\nb\n[||-1] \n\n.");
    free(got);
}

TEST(sse_id_persists_across_events_until_changed)
{
    gk_status st;
    char *got = parse_all(GK_LINES_SSE, "id: 1\ndata: x\n\ndata: y\n\nid: 2\ndata: z\n\n", &st);
    EXPECT_STREQ(got, "[|1|-1] x\n[|1|-1] y\n[|2|-1] z\n.");
    free(got);
}

TEST(sse_bom_only_at_the_start_and_partial_bom_is_data)
{
    gk_status st;
    char *got = parse_all(GK_LINES_SSE,
                          "\xEF\xBB"
                          "data: x\n\n",
                          &st);
    /* Not a BOM: the two bytes begin the field name, which is then unknown. */
    EXPECT_STREQ(got, ".");
    free(got);
    got = parse_all(GK_LINES_SSE,
                    "\xEF\xBB\xBF\xEF\xBB\xBF"
                    "data: x\n\n",
                    &st);
    EXPECT_STREQ(got, ".");
    free(got);
    got = parse_all(GK_LINES_NDJSON, "\xEF\xBB\xBF{}\n", &st);
    EXPECT_STREQ(got, "[||-1] {}\n.");
    free(got);
}

static const char ndjson_sample[] = "{\"a\":1}\r\n"
                                    "\n"
                                    "   \t \n"
                                    "{\"b\":\"x y\"}\n"
                                    "\r\n"
                                    "[1,2]\r"
                                    "{\"done\":true}";

static const char ndjson_expected[] = "[||-1] {\"a\":1}\n"
                                      "[||-1] {\"b\":\"x y\"}\n"
                                      "[||-1] [1,2]\n"
                                      "[||-1] {\"done\":true}\n"
                                      ".";

TEST(ndjson_skips_blank_lines_and_delivers_the_last_line_at_finish)
{
    gk_status st;
    char *got = parse_all(GK_LINES_NDJSON, ndjson_sample, &st);
    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(got, ndjson_expected);
    free(got);
}

TEST(ndjson_every_split_position_gives_the_same_lines)
{
    size_t len = sizeof(ndjson_sample) - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        gk_status st;
        char *got = parse_cut(GK_LINES_NDJSON, ndjson_sample, len, &cut, 1, &st);
        if (strcmp(got, ndjson_expected) != 0)
            gk_test_fail(__FILE__, __LINE__, "split at %zu: %s", cut, got);
        free(got);
    }
}

TEST(lines_longer_than_the_limit_fail_and_stay_failed)
{
    struct collect c = {.out = GK_BUF_INIT(0), .stop_at = -1};
    gk_error err = {0};
    gk_lines *p = gk_lines_new(GK_LINES_NDJSON, 8, collect_event, &c);
    ASSERT_TRUE(p != NULL);
    EXPECT_EQ(gk_lines_feed(p, "12345678\n1234", 13, &err), GK_OK);
    EXPECT_EQ(gk_lines_feed(p, "56789", 5, &err), GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(err.message, "NDJSON line starting near byte 9 is longer than 8 bytes");
    gk_error_clear(&err);
    EXPECT_EQ(gk_lines_feed(p, "\n", 1, &err), GK_RESOURCE_EXHAUSTED);
    EXPECT_EQ(err.status, GK_RESOURCE_EXHAUSTED);
    EXPECT_EQ(gk_lines_finish(p, &err), GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(c.out.ptr, "[||-1] 12345678\n");
    gk_lines_free(p);
    gk_buf_release(&c.out);
}

TEST(sse_event_data_over_the_limit_fails)
{
    struct collect c = {.out = GK_BUF_INIT(0), .stop_at = -1};
    gk_error err = {0};
    gk_lines *p = gk_lines_new(GK_LINES_SSE, 10, collect_event, &c);
    ASSERT_TRUE(p != NULL);
    EXPECT_EQ(gk_lines_feed(p, "data:12345\ndata:12345\n", 22, &err), GK_RESOURCE_EXHAUSTED);
    EXPECT_STREQ(err.message, "SSE event ending at byte 22 has more than 10 bytes of data");
    gk_lines_free(p);
    gk_buf_release(&c.out);
}

TEST(lines_callback_error_stops_the_parser_with_its_report)
{
    struct collect c = {.out = GK_BUF_INIT(0), .stop_at = 1};
    gk_error err = {0};
    gk_lines *p = gk_lines_new(GK_LINES_SSE, 0, collect_event, &c);
    ASSERT_TRUE(p != NULL);
    const char *in = "data: a\n\ndata: b\n\ndata: c\n\n";
    EXPECT_EQ(gk_lines_feed(p, in, strlen(in), &err), GK_ABORTED);
    EXPECT_STREQ(err.message, "stop at 1");
    EXPECT_EQ(gk_lines_finish(p, &err), GK_ABORTED);
    EXPECT_STREQ(c.out.ptr, "[||-1] a\n");
    gk_lines_free(p);
    gk_buf_release(&c.out);
}

TEST(lines_feed_after_finish_is_refused)
{
    struct collect c = {.out = GK_BUF_INIT(0), .stop_at = -1};
    gk_error err = {0};
    gk_lines *p = gk_lines_new(GK_LINES_NDJSON, 0, collect_event, &c);
    ASSERT_TRUE(p != NULL);
    EXPECT_EQ(gk_lines_finish(p, &err), GK_OK);
    EXPECT_EQ(gk_lines_finish(p, &err), GK_OK);
    EXPECT_EQ(gk_lines_feed(p, "{}", 2, &err), GK_FAILED_PRECONDITION);
    EXPECT_STREQ(err.message, "bytes fed after the end of stream");
    gk_lines_free(p);
    gk_buf_release(&c.out);
}

TEST(lines_new_rejects_an_unknown_mode)
{
    EXPECT_TRUE(gk_lines_new((gk_lines_mode)7, 0, collect_event, NULL) == NULL);
    EXPECT_TRUE(gk_lines_new(GK_LINES_SSE, 0, NULL, NULL) == NULL);
    gk_lines_free(NULL);
}

TEST(lines_fault_sweep_fails_cleanly_at_every_allocation)
{
    const char *in = "data: one\n\nevent: e\nid: 1\ndata: two\ndata: three\n\n";
    int completed = 0;
    for (long n = 1; n < 200 && !completed; n++) {
        struct collect c = {.out = GK_BUF_INIT(0), .stop_at = -1};
        gk_error err = {0};
        gk_status st = GK_RESOURCE_EXHAUSTED;
        gk__alloc_fail_after(n);
        gk_lines *p = gk_lines_new(GK_LINES_SSE, 0, collect_event, &c);
        if (p) {
            st = gk_lines_feed(p, in, strlen(in), &err);
            if (st == GK_OK)
                st = gk_lines_finish(p, &err);
            gk_lines_free(p);
        }
        bool fired = gk__alloc_fault_fired();
        gk__alloc_fail_after(-1);
        if (st != GK_OK && st != GK_RESOURCE_EXHAUSTED)
            gk_test_fail(__FILE__, __LINE__, "n=%ld: status %d", n, (int)st);
        if (!fired) {
            EXPECT_EQ(st, GK_OK);
            completed = 1;
        }
        gk_buf_release(&c.out);
    }
    EXPECT_EQ(completed, 1);
}
