/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/http_parse_test.c - the request parser wrapper (src/server/http_parse.c): requests
 * split at every byte boundary, pipelining one request at a time, chunked bodies, limits (431/413),
 * malformed input (400), upgrades (501), keep-alive rules. */
#include <stdlib.h>
#include <string.h>

#include "server/http_parse.h"
#include "test.h"

struct parsed {
    gk_arena *arena;
    gk__http_parser p;
    gk__http_result res;
    size_t consumed;
};

/* Parse text fed in two pieces cut at `cut` (from one contiguous buffer, as a connection does). */
static void parse_cut(struct parsed *x, const gk__http_limits *lim, const char *text, size_t len,
                      size_t cut)
{
    x->arena = gk_arena_new(0);
    gk__http_parser_init(&x->p, lim);
    gk__http_begin(&x->p, x->arena);
    size_t used = 0;
    x->res = gk__http_feed(&x->p, text, cut, &used);
    x->consumed = used;
    if (x->res == GK__HTTP_MORE) {
        x->res = gk__http_feed(&x->p, text + cut, len - cut, &used);
        x->consumed += used;
    }
}

static void parse(struct parsed *x, const gk__http_limits *lim, const char *text)
{
    parse_cut(x, lim, text, strlen(text), strlen(text));
}

static bool str_eq(gk_str s, const char *lit)
{
    return s.ptr && s.len == strlen(lit) && memcmp(s.ptr, lit, s.len) == 0;
}

static const char post_req[] = "POST /recipe?stream=true&x=1 HTTP/1.1\r\n"
                               "Host: localhost\r\n"
                               "Content-Type: application/json; charset=utf-8\r\n"
                               "Accept: text/event-stream\r\n"
                               "Content-Length: 12\r\n"
                               "\r\n"
                               "{\"data\":\"a\"}";

TEST(http_parse_post_fields)
{
    struct parsed x;
    parse(&x, NULL, post_req);
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    const gk__http_request *r = x.p.req;
    EXPECT_EQ(x.consumed, strlen(post_req));
    EXPECT_EQ(r->method, GK__HTTP_POST);
    EXPECT_STREQ(r->method_name, "POST");
    EXPECT_TRUE(str_eq(r->url, "/recipe?stream=true&x=1"));
    EXPECT_TRUE(str_eq(r->path, "/recipe"));
    EXPECT_TRUE(str_eq(r->query, "stream=true&x=1"));
    EXPECT_TRUE(str_eq(r->content_type, "application/json; charset=utf-8"));
    EXPECT_TRUE(str_eq(r->accept, "text/event-stream"));
    EXPECT_EQ(r->header_count, 4);
    EXPECT_STREQ(r->headers[0].name.ptr, "Host");
    EXPECT_STREQ(r->headers[0].value.ptr, "localhost");
    EXPECT_EQ(r->body_len, 12);
    EXPECT_STREQ(r->body, "{\"data\":\"a\"}");
    EXPECT_TRUE(r->keep_alive);
    EXPECT_FALSE(r->chunked);
    EXPECT_EQ(r->version_major, 1);
    EXPECT_EQ(r->version_minor, 1);
    EXPECT_TRUE(gk__http_header_find(r, "content-length") != NULL);
    EXPECT_TRUE(gk__http_header_find(r, "x-missing") == NULL);
    gk_arena_free(x.arena);
}

TEST(http_parse_same_result_at_every_split)
{
    size_t len = strlen(post_req);
    for (size_t cut = 0; cut <= len; cut++) {
        struct parsed x;
        parse_cut(&x, NULL, post_req, len, cut);
        ASSERT_EQ(x.res, GK__HTTP_DONE);
        const gk__http_request *r = x.p.req;
        EXPECT_EQ(x.consumed, len);
        EXPECT_TRUE(str_eq(r->path, "/recipe"));
        EXPECT_TRUE(str_eq(r->query, "stream=true&x=1"));
        EXPECT_TRUE(str_eq(r->content_type, "application/json; charset=utf-8"));
        EXPECT_TRUE(str_eq(r->accept, "text/event-stream"));
        EXPECT_EQ(r->header_count, 4);
        EXPECT_STREQ(r->headers[3].name.ptr, "Content-Length");
        EXPECT_STREQ(r->body, "{\"data\":\"a\"}");
        gk_arena_free(x.arena);
    }
}

TEST(http_parse_byte_by_byte)
{
    gk_arena *a = gk_arena_new(0);
    gk__http_parser p;
    gk__http_parser_init(&p, NULL);
    gk__http_begin(&p, a);
    size_t len = strlen(post_req);
    gk__http_result res = GK__HTTP_MORE;
    size_t i = 0;
    for (; i < len && res == GK__HTTP_MORE; i++) {
        size_t used = 0;
        res = gk__http_feed(&p, post_req + i, 1, &used);
        EXPECT_EQ(used, 1);
    }
    EXPECT_EQ(res, GK__HTTP_DONE);
    EXPECT_EQ(i, len);
    EXPECT_STREQ(p.req->headers[1].value.ptr, "application/json; charset=utf-8");
    EXPECT_STREQ(p.req->body, "{\"data\":\"a\"}");
    gk_arena_free(a);
}

TEST(http_parse_pipelined_one_request_at_a_time)
{
    static const char two[] = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                              "POST /echo HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
                              "GET /third HTTP/1.1\r\n\r\n";
    size_t len = strlen(two);
    gk_arena *a1 = gk_arena_new(0);
    gk__http_parser p;
    gk__http_parser_init(&p, NULL);
    gk__http_begin(&p, a1);
    size_t used = 0;
    ASSERT_EQ(gk__http_feed(&p, two, len, &used), GK__HTTP_DONE);
    EXPECT_EQ(used, strlen("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"));
    EXPECT_TRUE(str_eq(p.req->path, "/healthz"));
    EXPECT_EQ(p.req->body_len, 0);
    EXPECT_TRUE(p.req->body == NULL);

    /* Paused: feeding again without beginning the next request consumes nothing. */
    size_t again = 9;
    EXPECT_EQ(gk__http_feed(&p, two + used, len - used, &again), GK__HTTP_DONE);
    EXPECT_EQ(again, 0);

    size_t off = used;
    gk_arena *a2 = gk_arena_new(0);
    gk__http_begin(&p, a2);
    ASSERT_EQ(gk__http_feed(&p, two + off, len - off, &used), GK__HTTP_DONE);
    EXPECT_TRUE(str_eq(p.req->path, "/echo"));
    EXPECT_STREQ(p.req->body, "{}");
    off += used;

    gk_arena *a3 = gk_arena_new(0);
    gk__http_begin(&p, a3);
    ASSERT_EQ(gk__http_feed(&p, two + off, len - off, &used), GK__HTTP_DONE);
    EXPECT_TRUE(str_eq(p.req->path, "/third"));
    EXPECT_EQ(off + used, len);
    gk_arena_free(a1);
    gk_arena_free(a2);
    gk_arena_free(a3);
}

static const char chunked_req[] = "POST /echo HTTP/1.1\r\n"
                                   "Transfer-Encoding: chunked\r\n"
                                   "\r\n"
                                   "5\r\nhello\r\n"
                                   "6;ext=1\r\n world\r\n"
                                   "0\r\n"
                                   "\r\n";

TEST(http_parse_chunked_body_at_every_split)
{
    size_t len = strlen(chunked_req);
    for (size_t cut = 0; cut <= len; cut++) {
        struct parsed x;
        parse_cut(&x, NULL, chunked_req, len, cut);
        ASSERT_EQ(x.res, GK__HTTP_DONE);
        EXPECT_TRUE(x.p.req->chunked);
        EXPECT_EQ(x.p.req->body_len, 11);
        EXPECT_STREQ(x.p.req->body, "hello world");
        EXPECT_EQ(x.consumed, len);
        gk_arena_free(x.arena);
    }
}

TEST(http_parse_oversized_head_is_431)
{
    gk__http_limits lim = {.max_header_bytes = 64};
    char req[256];
    snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX-Long: %0100d\r\n\r\n", 7);
    struct parsed x;
    parse(&x, &lim, req);
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 431);
    gk_arena_free(x.arena);

    /* The same limit holds when the head arrives a few bytes at a time. */
    parse_cut(&x, &lim, req, strlen(req), 30);
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 431);
    gk_arena_free(x.arena);

    /* A head just under the limit is fine. */
    parse(&x, &lim, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_DONE);
    gk_arena_free(x.arena);
}

TEST(http_parse_too_many_headers_is_431)
{
    gk__http_limits lim = {.max_headers = 3};
    struct parsed x;
    parse(&x, &lim, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 431);
    gk_arena_free(x.arena);
    parse(&x, &lim, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_DONE);
    gk_arena_free(x.arena);
}

TEST(http_parse_body_over_limit_is_413)
{
    gk__http_limits lim = {.max_body_bytes = 10};
    struct parsed x;
    /* Known length: rejected at the end of the head, before any body byte. */
    parse(&x, &lim, "POST /e HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 413);
    gk_arena_free(x.arena);
    /* Chunked: rejected once the chunks add up past the limit. */
    parse(&x, &lim, "POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nghijkl\r\n");
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 413);
    gk_arena_free(x.arena);
    parse(&x, &lim, "POST /e HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
    EXPECT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_EQ(x.p.req->body_len, 10);
    gk_arena_free(x.arena);
}

TEST(http_parse_malformed_is_400)
{
    static const char *const bad[] = {
        "GARBAGE\r\n\r\n",
        "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct parsed x;
        parse(&x, NULL, bad[i]);
        EXPECT_EQ(x.res, GK__HTTP_ERROR);
        EXPECT_EQ(x.p.error_status, 400);
        EXPECT_TRUE(x.p.error_message != NULL);
        /* After an error the parser takes nothing more. */
        size_t used = 5;
        EXPECT_EQ(gk__http_feed(&x.p, "GET / HTTP/1.1\r\n\r\n", 18, &used), GK__HTTP_ERROR);
        EXPECT_EQ(used, 0);
        gk_arena_free(x.arena);
    }
}

TEST(http_parse_upgrade_and_connect_are_501)
{
    struct parsed x;
    parse(&x, NULL, "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 501);
    gk_arena_free(x.arena);
    parse(&x, NULL, "CONNECT example.com:443 HTTP/1.1\r\n\r\n");
    EXPECT_EQ(x.res, GK__HTTP_ERROR);
    EXPECT_EQ(x.p.error_status, 501);
    gk_arena_free(x.arena);
}

TEST(http_parse_keep_alive_rules)
{
    struct parsed x;
    parse(&x, NULL, "GET / HTTP/1.0\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_FALSE(x.p.req->keep_alive);
    EXPECT_EQ(x.p.req->version_minor, 0);
    gk_arena_free(x.arena);
    parse(&x, NULL, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_TRUE(x.p.req->keep_alive);
    gk_arena_free(x.arena);
    parse(&x, NULL, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_FALSE(x.p.req->keep_alive);
    gk_arena_free(x.arena);
}

TEST(http_parse_expect_continue_and_empty_values)
{
    struct parsed x;
    parse(&x, NULL, "POST /e HTTP/1.1\r\nX-Empty:\r\nExpect: 100-continue\r\nAccept: */*\r\n"
                    "Content-Length: 0\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    const gk__http_request *r = x.p.req;
    EXPECT_TRUE(r->expect_continue);
    EXPECT_EQ(r->header_count, 4);
    EXPECT_STREQ(r->headers[0].name.ptr, "X-Empty");
    EXPECT_STREQ(r->headers[0].value.ptr, "");
    EXPECT_TRUE(str_eq(r->accept, "*/*"));
    EXPECT_TRUE(r->content_type.ptr == NULL);
    gk_arena_free(x.arena);
}

TEST(http_parse_head_done_before_body)
{
    gk_arena *a = gk_arena_new(0);
    gk__http_parser p;
    gk__http_parser_init(&p, NULL);
    gk__http_begin(&p, a);
    static const char head[] = "POST /e HTTP/1.1\r\nContent-Length: 4\r\n\r\nab";
    size_t used = 0;
    EXPECT_FALSE(gk__http_started(&p));
    EXPECT_EQ(gk__http_feed(&p, head, strlen(head), &used), GK__HTTP_MORE);
    EXPECT_TRUE(gk__http_started(&p));
    EXPECT_TRUE(p.head_done);
    EXPECT_EQ(gk__http_feed(&p, "cd", 2, &used), GK__HTTP_DONE);
    EXPECT_STREQ(p.req->body, "abcd");
    gk_arena_free(a);
}

TEST(http_parse_absolute_form_target)
{
    struct parsed x;
    parse(&x, NULL, "GET http://example.com:80/a/b?q=1#frag HTTP/1.1\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_TRUE(str_eq(x.p.req->path, "/a/b"));
    EXPECT_TRUE(str_eq(x.p.req->query, "q=1"));
    gk_arena_free(x.arena);
    parse(&x, NULL, "OPTIONS * HTTP/1.1\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_TRUE(str_eq(x.p.req->path, "*"));
    EXPECT_EQ(x.p.req->method, GK__HTTP_OPTIONS);
    gk_arena_free(x.arena);
}

TEST(http_parse_leading_crlf_between_requests)
{
    struct parsed x;
    parse(&x, NULL, "\r\n\r\nGET /x HTTP/1.1\r\n\r\n");
    ASSERT_EQ(x.res, GK__HTTP_DONE);
    EXPECT_TRUE(str_eq(x.p.req->path, "/x"));
    gk_arena_free(x.arena);
}
