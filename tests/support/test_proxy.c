/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_proxy.c - the test proxy (see the header). */
#include "test_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define MAX_SEEN 64

struct pconn {
    gk_test_proxy *p;
    int fd;
    pthread_t thread;
    struct pconn *next;
};

struct gk_test_proxy {
    int listen_fd;
    int stop_pipe[2];
    int port;
    char *require_auth;
    pthread_t accept_thread;
    pthread_mutex_t mu;
    struct pconn *conns;
    size_t n_seen;
    char lines[MAX_SEEN][256];
    char auths[MAX_SEEN][256];
};

/* Wait for fd to be readable; false when stopping or after 10 s. */
static bool readable(gk_test_proxy *p, int fd)
{
    struct pollfd w[2] = {{.fd = p->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    for (;;) {
        int n = poll(w, 2, 10000);
        if (n < 0 && errno == EINTR)
            continue;
        return n > 0 && !w[0].revents;
    }
}

static bool send_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

/* Connect to host:port (any address it resolves to). Returns the socket or -1. */
static int dial(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int fd = -1;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    return fd;
}

/* Copy both ways until either side closes or the proxy stops. */
static void relay(gk_test_proxy *p, int a, int b)
{
    char buf[16384];
    for (;;) {
        struct pollfd w[3] = {{.fd = p->stop_pipe[0], .events = POLLIN},
                              {.fd = a, .events = POLLIN},
                              {.fd = b, .events = POLLIN}};
        if (poll(w, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (w[0].revents)
            return;
        for (int i = 1; i <= 2; i++) {
            if (!w[i].revents)
                continue;
            ssize_t n = recv(w[i].fd, buf, sizeof(buf), 0);
            if (n <= 0 || !send_all(i == 1 ? b : a, buf, (size_t)n))
                return;
        }
    }
}

/* Split "host:port" / "[v6]:port" into host and port. */
static bool split_authority(const char *s, size_t len, char *host, size_t hcap, char *port)
{
    const char *colon;
    if (len == 0)
        return false;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close || (size_t)(close - s) >= hcap || close + 1 >= s + len || close[1] != ':')
            return false;
        snprintf(host, hcap, "%.*s", (int)(close - s - 1), s + 1);
        colon = close + 1;
    } else {
        colon = memrchr(s, ':', len);
        if (!colon || (size_t)(colon - s) >= hcap)
            return false;
        snprintf(host, hcap, "%.*s", (int)(colon - s), s);
    }
    snprintf(port, 8, "%.*s", (int)(s + len - colon - 1), colon + 1);
    return true;
}

static void *conn_main(void *arg)
{
    struct pconn *c = arg;
    gk_test_proxy *p = c->p;
    char *buf = malloc(HEAD_MAX + 1);
    size_t have = 0;
    char *end = NULL;
    char method[16] = "";
    char target[1024] = "";
    char auth[256] = "";
    char host[256];
    char port[8];
    int up = -1;
    while (!end) {
        ssize_t n;
        if (have == HEAD_MAX || !readable(p, c->fd))
            goto out;
        n = recv(c->fd, buf + have, HEAD_MAX - have, 0);
        if (n <= 0)
            goto out;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    sscanf(buf, "%15s %1023s", method, target);
    for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
        if (strncasecmp(h + 2, "Proxy-Authorization:", 20) == 0) {
            const char *v = h + 22;
            v += strspn(v, " ");
            snprintf(auth, sizeof(auth), "%.*s", (int)strcspn(v, "\r"), v);
        }
    }
    pthread_mutex_lock(&p->mu);
    if (p->n_seen < MAX_SEEN) {
        snprintf(p->lines[p->n_seen], sizeof(p->lines[0]), "%.*s", (int)strcspn(buf, "\r"), buf);
        snprintf(p->auths[p->n_seen], sizeof(p->auths[0]), "%s", auth);
        p->n_seen++;
    }
    pthread_mutex_unlock(&p->mu);
    if (p->require_auth && strcmp(auth, p->require_auth) != 0) {
        static const char no[] = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                                 "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                                 "Content-Length: 0\r\nConnection: close\r\n\r\n";
        send_all(c->fd, no, sizeof(no) - 1);
        goto out;
    }
    if (strcmp(method, "CONNECT") == 0) {
        static const char yes[] = "HTTP/1.1 200 Connection established\r\n\r\n";
        size_t head = (size_t)(end + 4 - buf);
        if (!split_authority(target, strlen(target), host, sizeof(host), port))
            goto out;
        up = dial(host, port);
        if (up < 0 || !send_all(c->fd, yes, sizeof(yes) - 1) ||
            (have > head && !send_all(up, buf + head, have - head)))
            goto out;
    } else {
        const char *a = strncmp(target, "http://", 7) == 0 ? target + 7 : NULL;
        if (!a || !split_authority(a, strcspn(a, "/?"), host, sizeof(host), port))
            goto out;
        up = dial(host, port);
        if (up < 0 || !send_all(up, buf, have))
            goto out;
    }
    relay(p, c->fd, up);
out:
    if (up >= 0)
        close(up);
    free(buf);
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    gk_test_proxy *p = arg;
    for (;;) {
        struct pollfd w[2] = {{.fd = p->stop_pipe[0], .events = POLLIN},
                              {.fd = p->listen_fd, .events = POLLIN}};
        if (poll(w, 2, -1) < 0 && errno == EINTR)
            continue;
        if (w[0].revents)
            return NULL;
        int fd = accept(p->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        struct pconn *c = calloc(1, sizeof(*c));
        c->p = p;
        c->fd = fd;
        pthread_mutex_lock(&p->mu);
        c->next = p->conns;
        p->conns = c;
        pthread_mutex_unlock(&p->mu);
        pthread_create(&c->thread, NULL, conn_main, c);
    }
}

gk_test_proxy *gk_test_proxy_start(const char *require_auth)
{
    gk_test_proxy *p = calloc(1, sizeof(*p));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(p->listen_fd, 64) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) != 0 || pipe(p->stop_pipe) != 0) {
        perror("gk_test_proxy_start");
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        free(p);
        return NULL;
    }
    p->port = ntohs(a.sin_port);
    p->require_auth = require_auth ? strdup(require_auth) : NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_create(&p->accept_thread, NULL, accept_main, p);
    return p;
}

void gk_test_proxy_stop(gk_test_proxy *p)
{
    if (!p)
        return;
    if (write(p->stop_pipe[1], "x", 1) != 1)
        perror("gk_test_proxy_stop");
    pthread_join(p->accept_thread, NULL);
    while (p->conns) {
        struct pconn *c = p->conns;
        p->conns = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
    close(p->listen_fd);
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
    free(p->require_auth);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

int gk_test_proxy_port(const gk_test_proxy *p)
{
    return p->port;
}

size_t gk_test_proxy_count(gk_test_proxy *p)
{
    pthread_mutex_lock(&p->mu);
    size_t n = p->n_seen;
    pthread_mutex_unlock(&p->mu);
    return n;
}

bool gk_test_proxy_request(gk_test_proxy *p, size_t i, char *line, char *auth, size_t cap)
{
    bool ok;
    pthread_mutex_lock(&p->mu);
    ok = i < p->n_seen;
    if (ok) {
        snprintf(line, cap, "%s", p->lines[i]);
        snprintf(auth, cap, "%s", p->auths[i]);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}
