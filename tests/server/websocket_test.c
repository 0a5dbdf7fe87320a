/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/websocket_test.c - the WebSocket protocol code without sockets: ws:// URLs, the
 * handshake request and the checks on the server's answer, and the frame parser on hand-built
 * frames (7/16/64-bit lengths, masking in both directions, fragments with control frames between
 * them, byte-by-byte input, every protocol error with the close code it must produce, oversize
 * messages, close frames) plus the frame header encoder. The frames are built here byte by byte,
 * not with the encoder, so that the two check each other. */
#include "server/websocket.h"

#include <stdlib.h>

#include "test.h"

/* ---- building frames by hand ---- */

struct frame_spec {
    bool fin;
    uint8_t rsv; /* bits 0x70 of the first byte */
    uint8_t opcode;
    bool masked;
    int len_form; /* 0: the shortest, 16 or 64: that extended form */
};

/* Append one frame to out (grows with realloc); returns the new length. */
static size_t put_frame(uint8_t **out, size_t n, struct frame_spec f, const void *payload,
                        size_t len)
{
    size_t cap = n + 14 + len;
    *out = realloc(*out, cap ? cap : 1);
    uint8_t *p = *out + n;
    size_t h = 0;
    p[h++] = (uint8_t)((f.fin ? 0x80 : 0) | f.rsv | f.opcode);
    uint8_t m = f.masked ? 0x80 : 0;
    if (f.len_form == 64 || (f.len_form == 0 && len > 0xffff)) {
        p[h++] = m | 127;
        for (int i = 7; i >= 0; i--)
            p[h++] = (uint8_t)((uint64_t)len >> (8 * i));
    } else if (f.len_form == 16 || (f.len_form == 0 && len >= 126)) {
        p[h++] = m | 126;
        p[h++] = (uint8_t)(len >> 8);
        p[h++] = (uint8_t)len;
    } else {
        p[h++] = m | (uint8_t)len;
    }
    static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    if (f.masked) {
        memcpy(p + h, key, 4);
        h += 4;
    }
    const uint8_t *src = payload;
    for (size_t i = 0; i < len; i++)
        p[h + i] = f.masked ? (uint8_t)(src[i] ^ key[i % 4]) : src[i];
    return n + h + len;
}

#define FIN_TEXT   ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_TEXT})
#define FIN_BINARY ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_BINARY})
#define PART_TEXT  ((struct frame_spec){.fin = false, .opcode = GK__WS_OP_TEXT})
#define PART_CONT  ((struct frame_spec){.fin = false, .opcode = GK__WS_OP_CONTINUATION})
#define FIN_CONT   ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_CONTINUATION})
#define FIN_PING   ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_PING})
#define FIN_PONG   ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_PONG})
#define FIN_CLOSE  ((struct frame_spec){.fin = true, .opcode = GK__WS_OP_CLOSE})

/* Events of one parse run, copied out. */
struct got {
    int n;
    gk__ws_event_type type[16];
    char data[16][128];
    size_t len[16];
    int code[16];
    bool binary[16];
    size_t consumed;
};

/* Feed bytes in pieces of step (0: all at once) and collect the events until the input runs out
 * or an error/close. */
static struct got run_parser(gk__ws_parser *p, const uint8_t *in, size_t n, size_t step)
{
    struct got g = {0};
    size_t off = 0;
    while (g.n < 16) {
        size_t avail = n - off;
        if (step && avail > step)
            avail = step;
        gk__ws_event ev;
        size_t used = gk__ws_parse(p, in + off, avail, &ev);
        off += used;
        if (ev.type == GK__WS_EV_NONE) {
            if (off == n)
                break;
            continue;
        }
        g.type[g.n] = ev.type;
        g.len[g.n] = ev.len;
        g.code[g.n] = ev.code;
        g.binary[g.n] = ev.binary;
        snprintf(g.data[g.n], sizeof(g.data[0]), "%.*s", (int)(ev.len < 127 ? ev.len : 127),
                 ev.data);
        g.n++;
        if (ev.type == GK__WS_EV_ERROR || ev.type == GK__WS_EV_CLOSE)
            break;
    }
    g.consumed = off;
    return g;
}

static struct got parse_all(const uint8_t *in, size_t n, size_t max)
{
    gk__ws_parser p;
    gk__ws_parser_init(&p, max, false);
    struct got g = run_parser(&p, in, n, 0);
    gk__ws_parser_release(&p);
    return g;
}

/* The close code of the error the bytes produce (0 if none). */
static int error_code(const uint8_t *in, size_t n, size_t max)
{
    struct got g = parse_all(in, n, max);
    return g.n && g.type[g.n - 1] == GK__WS_EV_ERROR ? g.code[g.n - 1] : 0;
}

/* ---- URLs ---- */

TEST(websocket_url_splits_host_port_and_target)
{
    gk__ws_url u;
    gk_error err = {0};

    ASSERT_EQ(gk__ws_url_parse("ws://localhost:3200", &u, &err), GK_OK);
    EXPECT_STREQ(u.host, "localhost");
    EXPECT_EQ(u.port, 3200);
    EXPECT_STREQ(u.host_header, "localhost:3200");
    EXPECT_STREQ(u.target, "/");

    ASSERT_EQ(gk__ws_url_parse("ws://127.0.0.1/x/y?z=1", &u, &err), GK_OK);
    EXPECT_STREQ(u.host, "127.0.0.1");
    EXPECT_EQ(u.port, 80);
    EXPECT_STREQ(u.host_header, "127.0.0.1");
    EXPECT_STREQ(u.target, "/x/y?z=1");

    ASSERT_EQ(gk__ws_url_parse("WS://[::1]:4000?a=b", &u, &err), GK_OK);
    EXPECT_STREQ(u.host, "::1");
    EXPECT_STREQ(u.host_header, "[::1]:4000");
    EXPECT_STREQ(u.target, "/?a=b");
}

TEST(websocket_url_refuses_wss_and_anything_but_plain_ws)
{
    static const char *const bad[] = {
        "http://localhost:3200", "ws://",      "ws://:80",       "ws://h:0",
        "ws://h:65536",          "ws://h:",    "ws://h:80x",     "ws://user@h:1",
        "ws://h/#frag",          "ws://h/a b", "ws://[::1",      "ws://[::1]x",
        "ws://h\r\nX: y",        "ws://h^h:1", "localhost:3200",
    };
    gk__ws_url u;
    gk_error err = {0};

    EXPECT_EQ(gk__ws_url_parse("wss://localhost:3200", &u, &err), GK_UNIMPLEMENTED);
    EXPECT_CONTAINS(err.message, "wss:// is not supported");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gk_error e = {0};
        gk_status st = gk__ws_url_parse(bad[i], &u, &e);
        if (st != GK_INVALID_ARGUMENT)
            gk_test_fail(__FILE__, __LINE__, "\"%s\" gave %d", bad[i], (int)st);
    }
    EXPECT_EQ(gk__ws_url_parse(NULL, &u, &err), GK_INVALID_ARGUMENT);
}

/* ---- the handshake ---- */

TEST(websocket_handshake_request_has_the_rfc_6455_headers)
{
    gk__ws_url u;
    ASSERT_EQ(gk__ws_url_parse("ws://localhost:3200/rt", &u, NULL), GK_OK);
    gk_buf b = GK_BUF_INIT(4096);

    gk__ws_handshake_request(&b, &u, "dGhlIHNhbXBsZSBub25jZQ==");

    EXPECT_STREQ(b.ptr, "GET /rt HTTP/1.1\r\nHost: localhost:3200\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\nUser-Agent: genkit-c/" GK_VERSION "\r\n\r\n");
    gk_buf_release(&b);
}

TEST(websocket_keys_are_fresh_and_accept_follows_the_rfc_example)
{
    char k1[25];
    char k2[25];
    char accept[29];

    gk__ws_new_key(k1);
    gk__ws_new_key(k2);
    gk__ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", accept);

    EXPECT_EQ(strlen(k1), 24);
    EXPECT_EQ(k1[22], '=');
    EXPECT_STRNE(k1, k2);
    EXPECT_STREQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static const char accept_ok[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

TEST(websocket_handshake_check_accepts_a_101_and_finds_the_frames_after_it)
{
    static const char answer[] = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\n"
                                 "Connection: keep-alive, Upgrade\r\n"
                                 "Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n"
                                 "\x81\x02hi";
    size_t head = 0;
    gk_error err = {0};
    size_t total = sizeof(answer) - 1;

    for (size_t n = 0; n < total - 4; n++)
        if (gk__ws_handshake_check(answer, n, accept_ok, &head, &err) != GK__WS_HS_MORE)
            gk_test_fail(__FILE__, __LINE__, "a %zu-byte prefix was not MORE", n);
    EXPECT_EQ(gk__ws_handshake_check(answer, total, accept_ok, &head, &err), GK__WS_HS_OK);
    EXPECT_EQ(head, total - 4);
}

TEST(websocket_handshake_check_rejects_every_bad_answer)
{
    static const struct {
        const char *answer;
        const char *why;
    } bad[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "HTTP 200, not 101"},
        {"HTTP/1.0 101 Switching\r\n\r\n", "not HTTP/1.1"},
        {"HTTP/1.1 101 X\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
         "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         "no \"Upgrade: websocket\""},
        {"HTTP/1.1 101 X\r\nUpgrade: h2c\r\n\r\n", "Upgrade is not"},
        {"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: close\r\nSec-WebSocket-Accept: "
         "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         "Connection: Upgrade"},
        {"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
         "no Sec-WebSocket-Accept"},
        {"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
         "AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
         "does not match"},
        {"HTTP/1.1 101 X\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
         "does not match"},
        {"HTTP/1.1 101 X\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: "
         "permessage-deflate\r\n\r\n",
         "extension"},
        {"HTTP/1.1 101 X\r\nSec-WebSocket-Protocol: chat\r\n\r\n", "subprotocol"},
        {"HTTP/1.1 101 X\r\nUpgrade: websocket\r\n  folded\r\n\r\n", "folded"},
        {"HTTP/1.1 101 X\r\nno colon here\r\n\r\n", "without a name"},
        {"HTTP/1.1 101 X\r\nBad Name: x\r\n\r\n", "bad character"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t head = 0;
        gk_error err = {0};
        gk__ws_hs_result r =
            gk__ws_handshake_check(bad[i].answer, strlen(bad[i].answer), accept_ok, &head, &err);
        EXPECT_EQ(r, GK__WS_HS_FAILED);
        EXPECT_EQ(err.status, GK_UNAVAILABLE);
        EXPECT_CONTAINS(err.message, bad[i].why);
    }
    char *big = malloc(GK__WS_MAX_HANDSHAKE);
    ASSERT_TRUE(big);
    memset(big, 'x', GK__WS_MAX_HANDSHAKE);
    size_t head = 0;
    gk_error err = {0};
    EXPECT_EQ(gk__ws_handshake_check(big, GK__WS_MAX_HANDSHAKE, accept_ok, &head, &err),
              GK__WS_HS_FAILED);
    EXPECT_CONTAINS(err.message, "larger than 16 KiB");
    free(big);
}

/* ---- frames in ---- */

TEST(websocket_parser_reads_7_16_and_64_bit_lengths)
{
    static const size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        uint8_t *payload = malloc(n ? n : 1);
        ASSERT_TRUE(payload);
        for (size_t k = 0; k < n; k++)
            payload[k] = (uint8_t)('a' + k % 26);
        uint8_t *in = NULL;
        size_t len = put_frame(&in, 0, FIN_TEXT, payload, n);
        gk__ws_parser p;
        gk__ws_parser_init(&p, 1 << 20, false);
        gk__ws_event ev;

        size_t used = gk__ws_parse(&p, in, len, &ev);

        EXPECT_EQ(used, len);
        EXPECT_EQ(ev.type, GK__WS_EV_MESSAGE);
        EXPECT_EQ(ev.len, n);
        EXPECT_FALSE(ev.binary);
        EXPECT_TRUE(n == 0 || memcmp(ev.data, payload, n) == 0);
        EXPECT_EQ(ev.data[n], '\0');
        gk__ws_parser_release(&p);
        free(payload);
        free(in);
    }
}

TEST(websocket_parser_gives_the_same_events_fed_byte_by_byte)
{
    uint8_t *in = NULL;
    size_t n = 0;
    n = put_frame(&in, n, FIN_TEXT, "first", 5);
    n = put_frame(&in, n, FIN_PING, "pp", 2);
    n = put_frame(&in, n, FIN_TEXT, "second", 6);
    n = put_frame(&in, n, FIN_BINARY, "\xff\x00\xfe", 3);
    for (size_t step = 0; step <= 3; step++) {
        gk__ws_parser p;
        gk__ws_parser_init(&p, 1024, false);

        struct got g = run_parser(&p, in, n, step);

        ASSERT_EQ(g.n, 4);
        EXPECT_EQ(g.consumed, n);
        EXPECT_EQ(g.type[0], GK__WS_EV_MESSAGE);
        EXPECT_STREQ(g.data[0], "first");
        EXPECT_EQ(g.type[1], GK__WS_EV_PING);
        EXPECT_STREQ(g.data[1], "pp");
        EXPECT_EQ(g.type[2], GK__WS_EV_MESSAGE);
        EXPECT_STREQ(g.data[2], "second");
        EXPECT_EQ(g.type[3], GK__WS_EV_MESSAGE);
        EXPECT_TRUE(g.binary[3]);
        EXPECT_EQ(g.len[3], 3);
        gk__ws_parser_release(&p);
    }
    free(in);
}

TEST(websocket_parser_reassembles_fragments_around_control_frames)
{
    uint8_t *in = NULL;
    size_t n = 0;
    n = put_frame(&in, n, PART_TEXT, "Hel", 3);
    n = put_frame(&in, n, FIN_PING, "p", 1);
    n = put_frame(&in, n, PART_CONT, "lo \xc3", 4); /* a two-byte character split in two */
    n = put_frame(&in, n, FIN_PONG, "", 0);
    n = put_frame(&in, n, PART_CONT, "", 0);
    n = put_frame(&in, n, FIN_CONT, "\xa9t\xc3\xa9", 4);

    struct got g = parse_all(in, n, 1024);

    ASSERT_EQ(g.n, 3);
    EXPECT_EQ(g.type[0], GK__WS_EV_PING);
    EXPECT_STREQ(g.data[0], "p");
    EXPECT_EQ(g.type[1], GK__WS_EV_PONG);
    EXPECT_EQ(g.len[1], 0);
    EXPECT_EQ(g.type[2], GK__WS_EV_MESSAGE);
    EXPECT_STREQ(g.data[2], "Hello \xc3\xa9t\xc3\xa9");
    free(in);
}

TEST(websocket_parser_enforces_the_masking_direction)
{
    uint8_t *in = NULL;
    size_t n = put_frame(&in, 0, (struct frame_spec){.fin = true, .opcode = 1, .masked = true},
                         "masked", 6);
    gk__ws_parser client;
    gk__ws_parser server;
    gk__ws_parser_init(&client, 1024, false);
    gk__ws_parser_init(&server, 1024, true);

    struct got from_server = run_parser(&client, in, n, 0);
    struct got from_client = run_parser(&server, in, n, 0);

    ASSERT_EQ(from_server.n, 1);
    EXPECT_EQ(from_server.type[0], GK__WS_EV_ERROR);
    EXPECT_EQ(from_server.code[0], GK__WS_CLOSE_PROTOCOL_ERROR);
    ASSERT_EQ(from_client.n, 1);
    EXPECT_EQ(from_client.type[0], GK__WS_EV_MESSAGE);
    EXPECT_STREQ(from_client.data[0], "masked");
    uint8_t *plain = NULL;
    size_t pn = put_frame(&plain, 0, FIN_TEXT, "plain", 5);
    EXPECT_EQ(error_code(plain, pn, 1024), 0);
    gk__ws_parser strict;
    gk__ws_parser_init(&strict, 1024, true);
    struct got unmasked = run_parser(&strict, plain, pn, 0);
    EXPECT_EQ(unmasked.code[0], GK__WS_CLOSE_PROTOCOL_ERROR);
    gk__ws_parser_release(&strict);
    gk__ws_parser_release(&client);
    gk__ws_parser_release(&server);
    free(plain);
    free(in);
}

TEST(websocket_parser_rejects_reserved_bits_and_unknown_opcodes_with_1002)
{
    static const uint8_t rsv[] = {0x40, 0x20, 0x10};
    static const uint8_t ops[] = {0x3, 0x4, 0x7, 0xb, 0xc, 0xf};
    for (size_t i = 0; i < sizeof(rsv); i++) {
        uint8_t *in = NULL;
        size_t n =
            put_frame(&in, 0, (struct frame_spec){.fin = true, .rsv = rsv[i], .opcode = 1}, "x", 1);
        EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
        free(in);
    }
    for (size_t i = 0; i < sizeof(ops); i++) {
        uint8_t *in = NULL;
        size_t n = put_frame(&in, 0, (struct frame_spec){.fin = true, .opcode = ops[i]}, "x", 1);
        EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
        free(in);
    }
}

TEST(websocket_parser_rejects_bad_control_frames_and_fragment_order)
{
    char big[126];
    memset(big, 'b', sizeof(big));
    uint8_t *in = NULL;
    size_t n;

    n = put_frame(&in, 0, FIN_PING, big, 126); /* a control frame over 125 bytes */
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    n = put_frame(&in, 0, (struct frame_spec){.fin = false, .opcode = GK__WS_OP_PING}, "x", 1);
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    n = put_frame(&in, 0, FIN_CONT, "x", 1); /* continuation outside a message */
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    n = put_frame(&in, 0, PART_TEXT, "a", 1);
    n = put_frame(&in, n, FIN_TEXT, "b", 1); /* a new message inside a fragmented one */
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    free(in);
}

TEST(websocket_parser_rejects_lengths_not_in_their_shortest_form)
{
    uint8_t *in = NULL;
    size_t n;

    n = put_frame(&in, 0, (struct frame_spec){.fin = true, .opcode = 1, .len_form = 16}, "x", 1);
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    n = put_frame(&in, 0, (struct frame_spec){.fin = true, .opcode = 1, .len_form = 64}, "x", 1);
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    static const uint8_t len64_top[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0x01};
    EXPECT_EQ(error_code(len64_top, sizeof(len64_top), 1024), GK__WS_CLOSE_PROTOCOL_ERROR);
    free(in);
}

TEST(websocket_parser_closes_with_1009_for_messages_over_the_limit)
{
    char data[600];
    memset(data, 'd', sizeof(data));
    uint8_t *in = NULL;
    size_t n;

    n = put_frame(&in, 0, FIN_TEXT, data, 513);
    EXPECT_EQ(error_code(in, n, 512), GK__WS_CLOSE_TOO_BIG);
    n = put_frame(&in, 0, FIN_TEXT, data, 512);
    EXPECT_EQ(error_code(in, n, 512), 0);
    n = put_frame(&in, 0, PART_TEXT, data, 300);
    n = put_frame(&in, n, FIN_CONT, data, 300); /* each fragment fits, the message does not */
    EXPECT_EQ(error_code(in, n, 512), GK__WS_CLOSE_TOO_BIG);
    /* A header claiming 2^62 bytes fails at once, without waiting for them. */
    static const uint8_t huge[] = {0x81, 127, 0x40, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_EQ(error_code(huge, sizeof(huge), 512), GK__WS_CLOSE_TOO_BIG);
    free(in);
}

TEST(websocket_parser_checks_utf8_in_text_but_not_in_binary)
{
    uint8_t *in = NULL;
    size_t n;

    n = put_frame(&in, 0, FIN_TEXT, "bad \xc3\x28", 6);
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_INVALID_DATA);
    n = put_frame(&in, 0, FIN_TEXT, "\xed\xa0\x80", 3); /* a UTF-16 surrogate */
    EXPECT_EQ(error_code(in, n, 1024), GK__WS_CLOSE_INVALID_DATA);
    n = put_frame(&in, 0, FIN_BINARY, "bad \xc3\x28", 6);
    struct got g = parse_all(in, n, 1024);
    ASSERT_EQ(g.n, 1);
    EXPECT_EQ(g.type[0], GK__WS_EV_MESSAGE);
    EXPECT_TRUE(g.binary[0]);
    n = put_frame(&in, 0, FIN_TEXT, "", 0);
    g = parse_all(in, n, 1024);
    ASSERT_EQ(g.n, 1);
    EXPECT_EQ(g.type[0], GK__WS_EV_MESSAGE);
    EXPECT_EQ(g.len[0], 0);
    free(in);
}

TEST(websocket_parser_reports_close_frames_and_ignores_what_follows)
{
    uint8_t *in = NULL;
    size_t n = put_frame(&in, 0, FIN_CLOSE,
                         "\x03\xe8"
                         "bye",
                         5);
    n = put_frame(&in, n, FIN_TEXT, "after", 5);
    gk__ws_parser p;
    gk__ws_parser_init(&p, 1024, false);
    gk__ws_event ev;

    size_t used = gk__ws_parse(&p, in, n, &ev);

    EXPECT_EQ(ev.type, GK__WS_EV_CLOSE);
    EXPECT_EQ(ev.code, GK__WS_CLOSE_NORMAL);
    EXPECT_EQ(ev.len, 3);
    EXPECT_EQ(memcmp(ev.data, "bye", 3), 0);
    EXPECT_EQ(gk__ws_parse(&p, in + used, n - used, &ev), n - used);
    EXPECT_EQ(ev.type, GK__WS_EV_NONE);
    gk__ws_parser_release(&p);

    n = put_frame(&in, 0, FIN_CLOSE, "", 0);
    struct got g = parse_all(in, n, 1024);
    EXPECT_EQ(g.type[0], GK__WS_EV_CLOSE);
    EXPECT_EQ(g.code[0], GK__WS_CLOSE_NO_STATUS);
    n = put_frame(&in, 0, FIN_CLOSE, "\x0f\xa0", 2); /* 4000: an application code */
    g = parse_all(in, n, 1024);
    EXPECT_EQ(g.code[0], 4000);
    free(in);
}

TEST(websocket_parser_rejects_bad_close_frames)
{
    static const struct {
        const char *payload;
        size_t len;
        int code;
    } bad[] = {
        {"\x03", 1, GK__WS_CLOSE_PROTOCOL_ERROR},       /* one byte */
        {"\x03\xed", 2, GK__WS_CLOSE_PROTOCOL_ERROR},   /* 1005: never on the wire */
        {"\x03\xee", 2, GK__WS_CLOSE_PROTOCOL_ERROR},   /* 1006 */
        {"\x03\xe7", 2, GK__WS_CLOSE_PROTOCOL_ERROR},   /* 999 */
        {"\x07\xd0", 2, GK__WS_CLOSE_PROTOCOL_ERROR},   /* 2000 */
        {"\x13\x88", 2, GK__WS_CLOSE_PROTOCOL_ERROR},   /* 5000 */
        {"\x03\xe8\xff", 3, GK__WS_CLOSE_INVALID_DATA}, /* reason not UTF-8 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t *in = NULL;
        size_t n = put_frame(&in, 0, FIN_CLOSE, bad[i].payload, bad[i].len);
        EXPECT_EQ(error_code(in, n, 1024), bad[i].code);
        free(in);
    }
}

TEST(websocket_parser_errors_are_sticky)
{
    static const uint8_t bad[] = {0x83, 0x00};
    uint8_t *good = NULL;
    size_t n = put_frame(&good, 0, FIN_TEXT, "ok", 2);
    gk__ws_parser p;
    gk__ws_parser_init(&p, 1024, false);
    gk__ws_event ev;

    gk__ws_parse(&p, bad, sizeof(bad), &ev);
    EXPECT_EQ(ev.type, GK__WS_EV_ERROR);
    EXPECT_EQ(gk__ws_parse(&p, good, n, &ev), 0);

    EXPECT_EQ(ev.type, GK__WS_EV_ERROR);
    EXPECT_EQ(ev.code, GK__WS_CLOSE_PROTOCOL_ERROR);
    EXPECT_CONTAINS(ev.error, "opcode");
    gk__ws_parser_release(&p);
    free(good);
}

/* ---- frames out ---- */

TEST(websocket_frame_header_uses_the_shortest_length_and_sets_the_mask)
{
    uint8_t h[14];
    static const uint8_t mask[4] = {1, 2, 3, 4};

    EXPECT_EQ(gk__ws_frame_header(h, GK__WS_OP_TEXT, 0, NULL), 2);
    EXPECT_TRUE(h[0] == 0x81 && h[1] == 0x00);
    EXPECT_EQ(gk__ws_frame_header(h, GK__WS_OP_TEXT, 125, mask), 6);
    EXPECT_TRUE(h[1] == (0x80 | 125) && h[2] == 1 && h[5] == 4);
    EXPECT_EQ(gk__ws_frame_header(h, GK__WS_OP_PONG, 126, NULL), 4);
    EXPECT_TRUE(h[0] == 0x8a && h[1] == 126 && h[2] == 0 && h[3] == 126);
    EXPECT_EQ(gk__ws_frame_header(h, GK__WS_OP_BINARY, 65535, mask), 8);
    EXPECT_TRUE(h[1] == (0x80 | 126) && h[2] == 0xff && h[3] == 0xff);
    EXPECT_EQ(gk__ws_frame_header(h, GK__WS_OP_CLOSE, 65536, NULL), 10);
    EXPECT_TRUE(h[0] == 0x88 && h[1] == 127 && h[7] == 1 && h[8] == 0 && h[9] == 0);
}

TEST(websocket_encoded_frames_parse_back_as_a_server_reads_them)
{
    static const size_t sizes[] = {0, 3, 125, 126, 65536};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        uint8_t *frame = malloc(14 + n);
        ASSERT_TRUE(frame);
        static const uint8_t mask[4] = {0xde, 0xad, 0xbe, 0xef};
        size_t h = gk__ws_frame_header(frame, GK__WS_OP_TEXT, n, mask);
        for (size_t k = 0; k < n; k++)
            frame[h + k] = (uint8_t)('A' + k % 26);
        gk__ws_mask(frame + h, n / 2, mask, 0); /* masked in two pieces */
        gk__ws_mask(frame + h + n / 2, n - n / 2, mask, n / 2);
        gk__ws_parser p;
        gk__ws_parser_init(&p, 1 << 20, true);
        gk__ws_event ev;

        EXPECT_EQ(gk__ws_parse(&p, frame, h + n, &ev), h + n);

        EXPECT_EQ(ev.type, GK__WS_EV_MESSAGE);
        EXPECT_EQ(ev.len, n);
        bool same = true;
        for (size_t k = 0; k < n; k++)
            same = same && ev.data[k] == (char)('A' + k % 26);
        EXPECT_TRUE(same);
        gk__ws_parser_release(&p);
        free(frame);
    }
}
