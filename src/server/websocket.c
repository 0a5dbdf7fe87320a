/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/websocket.c - the WebSocket protocol without I/O (see websocket.h): ws:// URLs, the
 * client's handshake, the frame parser and frame headers. Everything from the peer is untrusted:
 * each rule RFC 6455 gives a receiver (reserved bits, unknown opcodes, masking direction, control
 * frames short and unfragmented, minimal length encodings, continuation order, close codes, UTF-8
 * text) is checked and ends in an error event with the close code to send, never a crash. */
#include "server/websocket.h"

#include <stdio.h>
#include <string.h>

#include <genkit/json.h>

#include "base/base64.h"
#include "base/ids.h"
#include "base/sha1.h"

#include "base/banned.h"

/* ---- small helpers ---- */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* p[0..n) equals the lower-case literal lit, ASCII case-insensitively. */
static bool ieq(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(p[i]) != lit[i])
            return false;
    return true;
}

static bool is_token_char(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* ---- URLs ---- */

static bool copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

static bool host_char_ok(char c, bool ipv6)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    if (c == '.' || c == '-')
        return true;
    return ipv6 ? c == ':' : c == '_';
}

gk_status gk__ws_url_parse(const char *url, gk__ws_url *out, gk_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t n = url ? strlen(url) : 0;
    if (n >= 6 && ieq(url, 6, "wss://"))
        return gk_error_set(err, GK_UNIMPLEMENTED, "",
                            "\"%s\": wss:// is not supported (the Genkit CLI listens on "
                            "ws://localhost)",
                            url);
    if (n < 5 || !ieq(url, 5, "ws://"))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\" is not a ws:// URL",
                            url ? url : "");
    const char *p = url + 5;
    const char *end = url + n;
    for (const char *q = p; q < end; q++) {
        if ((unsigned char)*q <= 0x20 || *q == 0x7f)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "the URL has a space or control character");
        if (*q == '#')
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": a ws:// URL has no fragment",
                                url);
    }
    size_t alen = strcspn(p, "/?");
    const char *auth_end = p + alen;
    if (memchr(p, '@', alen))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": user info is not supported",
                            url);
    const char *host = p;
    size_t hlen;
    const char *port_at = NULL;
    bool ipv6 = *p == '[';
    if (ipv6) {
        const char *close = memchr(p, ']', alen);
        if (!close)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": unclosed '[' in the host",
                                url);
        host = p + 1;
        hlen = (size_t)(close - host);
        if (close + 1 < auth_end) {
            if (close[1] != ':')
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": bad host", url);
            port_at = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', alen);
        hlen = colon ? (size_t)(colon - p) : alen;
        if (colon)
            port_at = colon + 1;
    }
    if (hlen == 0)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\" has no host", url);
    for (size_t i = 0; i < hlen; i++)
        if (!host_char_ok(host[i], ipv6))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": bad character in the host",
                                url);
    if (!copy_field(out->host, sizeof(out->host), host, hlen))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "the URL's host is too long");
    out->port = 80;
    if (port_at) {
        size_t plen = (size_t)(auth_end - port_at);
        long v = 0;
        if (plen == 0 || plen > 5)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": bad port", url);
        for (size_t i = 0; i < plen; i++) {
            if (port_at[i] < '0' || port_at[i] > '9')
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": bad port", url);
            v = v * 10 + (port_at[i] - '0');
        }
        if (v < 1 || v > 65535)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "\"%s\": port out of range", url);
        out->port = (int)v;
    }
    int hn;
    if (out->port == 80)
        hn = snprintf(out->host_header, sizeof(out->host_header), ipv6 ? "[%s]" : "%s", out->host);
    else
        hn = snprintf(out->host_header, sizeof(out->host_header), ipv6 ? "[%s]:%d" : "%s:%d",
                      out->host, out->port);
    if (hn < 0 || (size_t)hn >= sizeof(out->host_header))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "the URL's host is too long");
    size_t tlen = (size_t)(end - auth_end);
    bool ok;
    if (tlen == 0)
        ok = copy_field(out->target, sizeof(out->target), "/", 1);
    else if (*auth_end == '?')
        ok = tlen + 1 < sizeof(out->target) &&
             snprintf(out->target, sizeof(out->target), "/%s", auth_end) > 0;
    else
        ok = copy_field(out->target, sizeof(out->target), auth_end, tlen);
    if (!ok)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "the URL's path is too long");
    return GK_OK;
}

/* ---- the opening handshake ---- */

void gk__ws_new_key(char key[25])
{
    uint8_t raw[16];
    gk__random_bytes(raw, sizeof(raw));
    gk__base64_encode(raw, sizeof(raw), key);
}

void gk__ws_accept_for(const char *key, char accept[29])
{
    gk__sha1_ctx c;
    uint8_t digest[GK__SHA1_LEN];
    gk__sha1_init(&c);
    gk__sha1_update(&c, key, strlen(key));
    gk__sha1_update(&c, GK__WS_GUID, strlen(GK__WS_GUID));
    gk__sha1_final(&c, digest);
    gk__base64_encode(digest, sizeof(digest), accept);
}

void gk__ws_handshake_request(gk_buf *b, const gk__ws_url *u, const char *key)
{
    gk_buf_printf(b,
                  "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "User-Agent: genkit-c/" GK_VERSION "\r\n\r\n",
                  u->target, u->host_header, key);
}

static gk__ws_hs_result hs_fail(gk_error *err, const char *what)
{
    gk_error_set(err, GK_UNAVAILABLE, "", "WebSocket handshake: %s", what);
    return GK__WS_HS_FAILED;
}

/* Does the comma-separated list v[0..n) hold the token tok (case-insensitively)? */
static bool list_has(const char *v, size_t n, const char *tok)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t a = start;
        size_t b = i;
        while (a < b && (v[a] == ' ' || v[a] == '\t'))
            a++;
        while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
            b--;
        if (ieq(v + a, b - a, tok))
            return true;
        i++;
    }
    return false;
}

gk__ws_hs_result gk__ws_handshake_check(const char *p, size_t n, const char *accept,
                                        size_t *head_len, gk_error *err)
{
    size_t scan = n < GK__WS_MAX_HANDSHAKE ? n : GK__WS_MAX_HANDSHAKE;
    size_t end = 0;
    bool found = false;
    for (size_t i = 0; i + 4 <= scan; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
            end = i + 4;
            found = true;
            break;
        }
    }
    if (!found) {
        if (n >= GK__WS_MAX_HANDSHAKE)
            return hs_fail(err, "the answer's head is larger than 16 KiB");
        return GK__WS_HS_MORE;
    }
    const char *head_end = p + end;
    const char *line = p;
    const char *eol = memmem(line, (size_t)(head_end - line), "\r\n", 2); /* found: see above */
    size_t llen = (size_t)(eol - line);
    if (llen < 12 || memcmp(line, "HTTP/1.1 ", 9) != 0 || line[9] < '0' || line[9] > '9' ||
        line[10] < '0' || line[10] > '9' || line[11] < '0' || line[11] > '9' ||
        (llen > 12 && line[12] != ' '))
        return hs_fail(err, "the answer is not HTTP/1.1");
    int status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status != 101) {
        gk_error_set(err, GK_UNAVAILABLE, "",
                     "WebSocket handshake: the server answered HTTP %d, not 101", status);
        return GK__WS_HS_FAILED;
    }
    bool upgrade = false;
    bool connection = false;
    bool accepted = false;
    for (line = eol + 2;; line = eol + 2) {
        eol = memmem(line, (size_t)(head_end - line), "\r\n", 2); /* the head ends in \r\n */
        llen = (size_t)(eol - line);
        if (llen == 0)
            break;
        if (line[0] == ' ' || line[0] == '\t')
            return hs_fail(err, "a folded header line");
        const char *colon = memchr(line, ':', llen);
        if (!colon || colon == line)
            return hs_fail(err, "a header line without a name");
        size_t nlen = (size_t)(colon - line);
        for (size_t i = 0; i < nlen; i++)
            if (!is_token_char(line[i]))
                return hs_fail(err, "a bad character in a header name");
        const char *v = colon + 1;
        size_t vlen = (size_t)(eol - v);
        while (vlen && (*v == ' ' || *v == '\t')) {
            v++;
            vlen--;
        }
        while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (ieq(line, nlen, "upgrade")) {
            if (!ieq(v, vlen, "websocket"))
                return hs_fail(err, "Upgrade is not \"websocket\"");
            upgrade = true;
        } else if (ieq(line, nlen, "connection")) {
            connection = connection || list_has(v, vlen, "upgrade");
        } else if (ieq(line, nlen, "sec-websocket-accept")) {
            if (accepted || vlen != strlen(accept) || memcmp(v, accept, vlen) != 0)
                return hs_fail(err, "Sec-WebSocket-Accept does not match our key");
            accepted = true;
        } else if (ieq(line, nlen, "sec-websocket-extensions")) {
            return hs_fail(err, "the server chose an extension we did not offer");
        } else if (ieq(line, nlen, "sec-websocket-protocol")) {
            return hs_fail(err, "the server chose a subprotocol we did not offer");
        }
    }
    if (!upgrade)
        return hs_fail(err, "no \"Upgrade: websocket\" header");
    if (!connection)
        return hs_fail(err, "no \"Connection: Upgrade\" header");
    if (!accepted)
        return hs_fail(err, "no Sec-WebSocket-Accept header");
    *head_len = end;
    return GK__WS_HS_OK;
}

/* ---- frames in ---- */

void gk__ws_parser_init(gk__ws_parser *p, size_t max_message, bool expect_masked)
{
    memset(p, 0, sizeof(*p));
    p->max_message = max_message ? max_message : 1;
    p->expect_masked = expect_masked;
    p->hdr_need = 2;
    p->msg = GK_BUF_INIT(p->max_message);
}

void gk__ws_parser_release(gk__ws_parser *p)
{
    gk_buf_release(&p->msg);
}

static size_t fail(gk__ws_parser *p, int code, const char *why, gk__ws_event *ev, size_t used)
{
    p->failed = true;
    p->fail_code = code;
    p->fail_why = why;
    *ev = (gk__ws_event){.type = GK__WS_EV_ERROR, .code = code, .error = why, .data = ""};
    return used;
}

static bool is_control(uint8_t opcode)
{
    return opcode >= 0x8;
}

/* Checks on the first two header bytes; sets hdr_need. Returns the error, or NULL. */
static const char *check_start(gk__ws_parser *p)
{
    uint8_t b0 = p->hdr[0];
    uint8_t b1 = p->hdr[1];
    p->fin = (b0 & 0x80) != 0;
    p->opcode = b0 & 0x0f;
    p->masked = (b1 & 0x80) != 0;
    uint8_t len7 = b1 & 0x7f;
    if (b0 & 0x70)
        return "reserved bits set (no extension was negotiated)";
    switch (p->opcode) {
    case GK__WS_OP_CONTINUATION:
    case GK__WS_OP_TEXT:
    case GK__WS_OP_BINARY:
    case GK__WS_OP_CLOSE:
    case GK__WS_OP_PING:
    case GK__WS_OP_PONG:
        break;
    default:
        return "unknown opcode";
    }
    if (p->masked != p->expect_masked)
        return p->masked ? "a masked frame from the server" : "an unmasked frame from a client";
    if (is_control(p->opcode)) {
        if (!p->fin)
            return "a fragmented control frame";
        if (len7 > 125)
            return "a control frame longer than 125 bytes";
    } else if (p->opcode == GK__WS_OP_CONTINUATION) {
        if (!p->in_message)
            return "a continuation frame outside a message";
    } else if (p->in_message) {
        return "a new message before the last one ended";
    }
    p->hdr_need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (p->masked ? 4 : 0);
    return NULL;
}

/* Decode the payload length and mask once the whole header is in. Returns the error, or NULL;
 * *too_big is set when the message would exceed max_message. */
static const char *finish_header(gk__ws_parser *p, bool *too_big)
{
    uint8_t len7 = p->hdr[1] & 0x7f;
    size_t at = 2;
    uint64_t len = len7;
    if (len7 == 126) {
        len = (uint64_t)p->hdr[2] << 8 | p->hdr[3];
        at = 4;
        if (len < 126)
            return "a length not in its shortest form";
    } else if (len7 == 127) {
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | p->hdr[2 + i];
        at = 10;
        if (len >> 63)
            return "a 64-bit length with the top bit set";
        if (len <= 0xffff)
            return "a length not in its shortest form";
    }
    if (p->masked)
        memcpy(p->mask, p->hdr + at, 4);
    p->remaining = len;
    p->payload_seen = 0;
    if (!is_control(p->opcode) && len > p->max_message - p->msg.len) {
        *too_big = true;
        return "a message larger than the limit";
    }
    if (p->opcode == GK__WS_OP_TEXT || p->opcode == GK__WS_OP_BINARY) {
        p->in_message = true;
        p->msg_binary = p->opcode == GK__WS_OP_BINARY;
    }
    p->ctl_len = 0;
    return NULL;
}

static bool valid_close_code(int code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

/* The current frame is complete: fill ev if it ends an event. Returns false on a protocol error
 * (ev is then the error). */
static bool frame_done(gk__ws_parser *p, gk__ws_event *ev)
{
    p->in_payload = false;
    p->hdr_len = 0;
    p->hdr_need = 2;
    if (is_control(p->opcode)) {
        p->ctl[p->ctl_len] = '\0';
        if (p->opcode == GK__WS_OP_PING || p->opcode == GK__WS_OP_PONG) {
            *ev = (gk__ws_event){
                .type = p->opcode == GK__WS_OP_PING ? GK__WS_EV_PING : GK__WS_EV_PONG,
                .data = p->ctl,
                .len = p->ctl_len,
            };
            return true;
        }
        int code = GK__WS_CLOSE_NO_STATUS;
        const char *reason = p->ctl;
        size_t rlen = 0;
        if (p->ctl_len == 1) {
            fail(p, GK__WS_CLOSE_PROTOCOL_ERROR, "a close frame with a 1-byte payload", ev, 0);
            return false;
        }
        if (p->ctl_len >= 2) {
            code = (uint8_t)p->ctl[0] << 8 | (uint8_t)p->ctl[1];
            reason = p->ctl + 2;
            rlen = p->ctl_len - 2;
            if (!valid_close_code(code)) {
                fail(p, GK__WS_CLOSE_PROTOCOL_ERROR, "an invalid close code", ev, 0);
                return false;
            }
            if (!gk_utf8_valid(reason, rlen)) {
                fail(p, GK__WS_CLOSE_INVALID_DATA, "a close reason that is not UTF-8", ev, 0);
                return false;
            }
        }
        p->closed = true;
        *ev = (gk__ws_event){.type = GK__WS_EV_CLOSE, .data = reason, .len = rlen, .code = code};
        return true;
    }
    if (!p->fin)
        return true; /* more fragments to come */
    p->in_message = false;
    const char *data = p->msg.ptr ? p->msg.ptr : "";
    if (!p->msg_binary && !gk_utf8_valid(data, p->msg.len)) {
        fail(p, GK__WS_CLOSE_INVALID_DATA, "a text message that is not UTF-8", ev, 0);
        return false;
    }
    p->msg_done = true;
    *ev = (gk__ws_event){
        .type = GK__WS_EV_MESSAGE, .binary = p->msg_binary, .data = data, .len = p->msg.len};
    return true;
}

size_t gk__ws_parse(gk__ws_parser *p, const void *data, size_t len, gk__ws_event *ev)
{
    const uint8_t *in = data;
    size_t used = 0;
    *ev = (gk__ws_event){.type = GK__WS_EV_NONE, .data = ""};
    if (p->failed) {
        *ev = (gk__ws_event){
            .type = GK__WS_EV_ERROR, .code = p->fail_code, .error = p->fail_why, .data = ""};
        return 0;
    }
    if (p->closed)
        return len;
    if (p->msg_done) {
        p->msg_done = false;
        /* Keep a small buffer for the next message; give a big one back. */
        if (p->msg.alloc > ((size_t)1 << 20))
            gk_buf_release(&p->msg);
        else
            gk_buf_reset(&p->msg);
    }
    for (;;) {
        if (!p->in_payload) {
            if (p->hdr_len < 2) {
                while (p->hdr_len < 2 && used < len)
                    p->hdr[p->hdr_len++] = in[used++];
                if (p->hdr_len < 2)
                    return used;
                const char *why = check_start(p);
                if (why)
                    return fail(p, GK__WS_CLOSE_PROTOCOL_ERROR, why, ev, used);
            }
            size_t need = p->hdr_need < sizeof(p->hdr) ? p->hdr_need : sizeof(p->hdr);
            while (p->hdr_len < need && used < len)
                p->hdr[p->hdr_len++] = in[used++];
            if (p->hdr_len < need)
                return used;
            bool too_big = false;
            const char *why = finish_header(p, &too_big);
            if (why)
                return fail(p, too_big ? GK__WS_CLOSE_TOO_BIG : GK__WS_CLOSE_PROTOCOL_ERROR, why,
                            ev, used);
            p->in_payload = true;
        }
        size_t avail = len - used;
        size_t take = p->remaining < avail ? (size_t)p->remaining : avail;
        if (take) {
            char *dst;
            if (is_control(p->opcode)) {
                dst = p->ctl + p->ctl_len;
                memcpy(dst, in + used, take);
                p->ctl_len += take;
            } else {
                size_t before = p->msg.len;
                gk_buf_put(&p->msg, in + used, take);
                if (gk_buf_failed(&p->msg))
                    return fail(p, GK__WS_CLOSE_TOO_BIG, "out of memory for the message", ev, used);
                dst = p->msg.ptr + before;
            }
            if (p->masked)
                gk__ws_mask(dst, take, p->mask, p->payload_seen);
            p->payload_seen += take;
            p->remaining -= take;
            used += take;
        }
        if (p->remaining > 0)
            return used;
        if (!frame_done(p, ev))
            return used;
        if (ev->type != GK__WS_EV_NONE || used == len)
            return used;
    }
}

/* ---- frames out ---- */

size_t gk__ws_frame_header(uint8_t out[14], enum gk__ws_opcode opcode, uint64_t len,
                           const uint8_t *mask)
{
    size_t n;
    out[0] = (uint8_t)(0x80 | opcode);
    if (len < 126) {
        out[1] = (uint8_t)len;
        n = 2;
    } else if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        n = 4;
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 10;
    }
    if (mask) {
        out[1] |= 0x80;
        memcpy(out + n, mask, 4);
        n += 4;
    }
    return n;
}

void gk__ws_mask(void *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] ^= mask[(offset + i) & 3];
}
