/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/ws_server.c - the tests' WebSocket server (see ws_server.h): poll(2) for every
 * wait, a growable read buffer, frames parsed here with just enough checks to notice a client
 * that does not mask. */
#include "ws_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/base64.h"
#include "base/sha1.h"

struct gk_test_ws {
    int lfd;
    int port;
    char url[64];
    int fd;
    char request[8192];
    uint8_t *buf; /* bytes read and not yet consumed: buf[0..len) */
    size_t len;
    size_t cap;
    bool unmasked;
    int close_code;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left(long long deadline)
{
    long long l = deadline - now_ms();
    return l < 0 ? 0 : (int)l;
}

gk_test_ws *gk_test_ws_start(void)
{
    gk_test_ws *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->lfd, 16) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &alen) != 0) {
        fprintf(stderr, "    ws server: %s\n", strerror(errno));
        if (s->lfd >= 0)
            close(s->lfd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof(s->url), "ws://127.0.0.1:%d/", s->port);
    return s;
}

void gk_test_ws_drop(gk_test_ws *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->len = 0;
}

void gk_test_ws_stop(gk_test_ws *s)
{
    if (!s)
        return;
    gk_test_ws_drop(s);
    close(s->lfd);
    free(s->buf);
    free(s);
}

const char *gk_test_ws_url(const gk_test_ws *s)
{
    return s->url;
}

int gk_test_ws_port(const gk_test_ws *s)
{
    return s->port;
}

const char *gk_test_ws_request(const gk_test_ws *s)
{
    return s->request;
}

bool gk_test_ws_saw_unmasked(const gk_test_ws *s)
{
    return s->unmasked;
}

int gk_test_ws_close_code(const gk_test_ws *s)
{
    return s->close_code;
}

/* Read until buf holds at least n bytes. Returns false on timeout, EOF or error. */
static bool need(gk_test_ws *s, size_t n, long long deadline)
{
    while (s->len < n) {
        if (s->fd < 0)
            return false;
        if (s->cap - s->len < 65536) {
            size_t cap = s->cap ? s->cap * 2 : 131072;
            uint8_t *p = realloc(s->buf, cap);
            if (!p)
                return false;
            s->buf = p;
            s->cap = cap;
        }
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, left(deadline)) <= 0)
            return false;
        ssize_t got = read(s->fd, s->buf + s->len, s->cap - s->len);
        if (got <= 0)
            return false;
        s->len += (size_t)got;
    }
    return true;
}

static void consume(gk_test_ws *s, size_t n)
{
    memmove(s->buf, s->buf + n, s->len - n);
    s->len -= n;
}

bool gk_test_ws_send_raw(gk_test_ws *s, const void *p, size_t n)
{
    const char *b = p;
    while (n > 0 && s->fd >= 0) {
        ssize_t w = send(s->fd, b, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return n == 0;
}

bool gk_test_ws_send_frame(gk_test_ws *s, int opcode, bool fin, const void *p, size_t n)
{
    uint8_t h[10];
    size_t hl = 0;
    h[hl++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (n < 126) {
        h[hl++] = (uint8_t)n;
    } else if (n <= 0xffff) {
        h[hl++] = 126;
        h[hl++] = (uint8_t)(n >> 8);
        h[hl++] = (uint8_t)n;
    } else {
        h[hl++] = 127;
        for (int i = 7; i >= 0; i--)
            h[hl++] = (uint8_t)((uint64_t)n >> (8 * i));
    }
    return gk_test_ws_send_raw(s, h, hl) && (n == 0 || gk_test_ws_send_raw(s, p, n));
}

bool gk_test_ws_send_text(gk_test_ws *s, const char *text)
{
    return gk_test_ws_send_frame(s, 0x1, true, text, strlen(text));
}

/* The value of header name (lower case) in head, copied to out; false if absent. */
static bool header_value(const char *head, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (strncasecmp(l, name, nlen) != 0 || l[nlen] != ':')
            continue;
        const char *v = l + nlen + 1;
        while (*v == ' ')
            v++;
        size_t vlen = strcspn(v, "\r");
        snprintf(out, cap, "%.*s", (int)vlen, v);
        return true;
    }
    return false;
}

bool gk_test_ws_accept(gk_test_ws *s, int timeout_ms, const char *answer)
{
    long long deadline = now_ms() + timeout_ms;
    gk_test_ws_drop(s);
    s->request[0] = '\0';
    struct pollfd pfd = {.fd = s->lfd, .events = POLLIN};
    if (poll(&pfd, 1, left(deadline)) <= 0)
        return false;
    s->fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
    if (s->fd < 0)
        return false;
    size_t end = 0;
    for (size_t want = 4;; want = s->len + 1) {
        if (!need(s, want, deadline))
            return false;
        uint8_t *e = memmem(s->buf, s->len, "\r\n\r\n", 4);
        if (e) {
            end = (size_t)(e - s->buf) + 4;
            break;
        }
    }
    snprintf(s->request, sizeof(s->request), "%.*s", (int)end, (const char *)s->buf);
    consume(s, end);
    if (answer)
        return gk_test_ws_send_raw(s, answer, strlen(answer));
    char key[128];
    if (!header_value(s->request, "sec-websocket-key", key, sizeof(key)))
        return false;
    char both[256];
    snprintf(both, sizeof(both), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    uint8_t digest[GK__SHA1_LEN];
    gk__sha1(both, strlen(both), digest);
    char accept[32];
    gk__base64_encode(digest, sizeof(digest), accept);
    char resp[256];
    int n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                     accept);
    return gk_test_ws_send_raw(s, resp, (size_t)n);
}

/* One frame from the buffer/socket. Returns the opcode and sets *fin, or -1. */
static int read_frame(gk_test_ws *s, long long deadline, bool *fin, char **payload, size_t *len)
{
    *payload = NULL;
    *len = 0;
    if (!need(s, 2, deadline))
        return -1;
    int opcode = s->buf[0] & 0x0f;
    *fin = (s->buf[0] & 0x80) != 0;
    bool masked = (s->buf[1] & 0x80) != 0;
    uint64_t n = s->buf[1] & 0x7f;
    size_t h = 2;
    if (n == 126) {
        if (!need(s, 4, deadline))
            return -1;
        n = (uint64_t)s->buf[2] << 8 | s->buf[3];
        h = 4;
    } else if (n == 127) {
        if (!need(s, 10, deadline))
            return -1;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | s->buf[2 + i];
        h = 10;
    }
    if (n > ((uint64_t)256 << 20))
        return -1;
    uint8_t key[4] = {0};
    if (masked) {
        if (!need(s, h + 4, deadline))
            return -1;
        memcpy(key, s->buf + h, 4);
        h += 4;
    } else {
        s->unmasked = true;
    }
    if (!need(s, h + (size_t)n, deadline))
        return -1;
    char *p = malloc((size_t)n + 1);
    if (!p)
        return -1;
    for (size_t i = 0; i < (size_t)n; i++)
        p[i] = (char)(s->buf[h + i] ^ key[i % 4]);
    p[n] = '\0';
    consume(s, h + (size_t)n);
    *payload = p;
    *len = (size_t)n;
    return opcode;
}

int gk_test_ws_recv_frame(gk_test_ws *s, int timeout_ms, char **payload, size_t *len)
{
    bool fin;
    int op = read_frame(s, now_ms() + timeout_ms, &fin, payload, len);
    if (op == 0x8)
        s->close_code = *len >= 2 ? ((uint8_t)(*payload)[0] << 8 | (uint8_t)(*payload)[1]) : 1005;
    return op;
}

char *gk_test_ws_recv(gk_test_ws *s, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char *msg = NULL;
    size_t mlen = 0;
    for (;;) {
        bool fin;
        char *p;
        size_t n;
        int op = read_frame(s, deadline, &fin, &p, &n);
        if (op < 0) {
            free(msg);
            return NULL;
        }
        if (op == 0x9) {
            gk_test_ws_send_frame(s, 0xa, true, p, n);
            free(p);
            continue;
        }
        if (op == 0xa) {
            free(p);
            continue;
        }
        if (op == 0x8) {
            s->close_code = n >= 2 ? ((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 1005;
            gk_test_ws_send_frame(s, 0x8, true, p, n < 2 ? n : 2);
            free(p);
            free(msg);
            gk_test_ws_drop(s);
            return NULL;
        }
        char *joined = realloc(msg, mlen + n + 1);
        if (!joined) {
            free(p);
            free(msg);
            return NULL;
        }
        msg = joined;
        if (n)
            memcpy(msg + mlen, p, n);
        mlen += n;
        msg[mlen] = '\0';
        free(p);
        if (fin)
            return msg;
    }
}

bool gk_test_ws_wait_eof(gk_test_ws *s, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (s->fd < 0)
            return true;
        s->len = 0;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
        if (poll(&pfd, 1, left(deadline)) <= 0)
            return false;
        char tmp[4096];
        ssize_t got = read(s->fd, tmp, sizeof(tmp));
        if (got <= 0) {
            gk_test_ws_drop(s);
            return true;
        }
    }
}
