/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_http_server.c - the scripted loopback HTTP/1.1 server (see the header). One
 * accept thread, one thread per connection; every blocking wait also watches a stop pipe, so stop
 * never hangs on a client. */
#include "test_http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEAD (64 * 1024)

struct script {
    gk_test_response r; /* strings below are owned copies */
    char **chunks;
    struct script *next;
};

struct conn {
    gk_test_server *s;
    int fd;
    size_t id;
    pthread_t thread;
    struct conn *next;
};

struct gk_test_server {
    int listen_fd;
    int stop_pipe[2];
    int port;
    char url[64];
    pthread_t accept_thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* gate, closes, stop */
    bool stopping;
    bool gate_open;
    struct script *head;
    struct script *tail;
    struct script *dflt;
    struct script *retired; /* former defaults, freed at stop */
    gk_test_request **reqs;
    size_t n_reqs;
    size_t cap_reqs;
    struct conn *conns;
    size_t n_conns;
    size_t closed_by_client;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static struct script *script_new(const gk_test_response *r)
{
    struct script *sc = calloc(1, sizeof(*sc));
    sc->r = *r;
    sc->r.headers = dup_or_null(r->headers);
    sc->r.body = dup_or_null(r->body);
    if (r->chunks) {
        size_t n = 0;
        while (r->chunks[n])
            n++;
        sc->chunks = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            sc->chunks[i] = strdup(r->chunks[i]);
        sc->r.chunks = (const char *const *)sc->chunks;
    }
    return sc;
}

static void script_free(struct script *sc)
{
    if (!sc)
        return;
    free((char *)sc->r.headers);
    free((char *)sc->r.body);
    for (size_t i = 0; sc->chunks && sc->chunks[i]; i++)
        free(sc->chunks[i]);
    free(sc->chunks);
    free(sc);
}

static void request_free(gk_test_request *r)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->body);
    free(r);
}

/* Wait until fd is readable, the stop pipe fires, or ms passes (-1: forever). Returns 1 readable,
 * 0 timeout, -1 stopping. */
static int wait_readable(gk_test_server *s, int fd, int ms)
{
    struct pollfd p[2] = {{.fd = s->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    for (;;) {
        int n = poll(p, fd >= 0 ? 2 : 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        if (p[0].revents)
            return -1;
        return 1;
    }
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void note_closed(gk_test_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->closed_by_client++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Hold the connection until the client closes it (counted) or the server stops. */
static void hold_until_closed(gk_test_server *s, int fd)
{
    char buf[4096];
    for (;;) {
        int r = wait_readable(s, fd, -1);
        if (r < 0)
            return;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            note_closed(s);
            return;
        }
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

/* Sleep ms unless the server stops first. Returns false when stopping. */
static bool nap(gk_test_server *s, int ms)
{
    return ms <= 0 || wait_readable(s, -1, ms) == 0;
}

/* Send one scripted response. Returns false if the connection must close afterwards. */
static bool respond(gk_test_server *s, int fd, const gk_test_response *r)
{
    char head[MAX_HEAD];
    size_t total = 0;
    size_t n_chunks = 0;
    const char *one[2] = {r->body ? r->body : "", NULL};
    const char *const *chunks = r->chunks ? r->chunks : one;
    int status = r->status ? r->status : 200;
    int len;

    if (r->no_response) {
        hold_until_closed(s, fd);
        return false;
    }
    if (r->drop)
        return false;
    while (chunks[n_chunks]) {
        total += strlen(chunks[n_chunks]);
        n_chunks++;
    }
    len = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n%s", status, reason(status),
                   r->headers ? r->headers : "");
    if (r->chunked)
        len += snprintf(head + len, sizeof(head) - (size_t)len, "Transfer-Encoding: chunked\r\n");
    else if (!r->until_close)
        len += snprintf(head + len, sizeof(head) - (size_t)len, "Content-Length: %zu\r\n",
                        total + (r->truncate ? 1000
                                 : r->hang   ? 1
                                             : 0));
    if (r->close)
        len += snprintf(head + len, sizeof(head) - (size_t)len, "Connection: close\r\n");
    len += snprintf(head + len, sizeof(head) - (size_t)len, "\r\n");
    if (!send_all(fd, head, (size_t)len))
        return false;
    for (size_t i = 0; i < n_chunks; i++) {
        const char *c = chunks[i];
        size_t cl = strlen(c);
        if (r->gate_after > 0 && i == (size_t)r->gate_after) {
            pthread_mutex_lock(&s->mu);
            while (!s->gate_open && !s->stopping)
                pthread_cond_wait(&s->cv, &s->mu);
            bool stop = s->stopping;
            pthread_mutex_unlock(&s->mu);
            if (stop)
                return false;
        }
        if (!nap(s, r->delay_ms))
            return false;
        if (cl == 0 && r->chunked)
            continue; /* an empty chunk would end the body */
        if (r->chunked) {
            char sz[32];
            int m = snprintf(sz, sizeof(sz), "%zx\r\n", cl);
            if (!send_all(fd, sz, (size_t)m) || !send_all(fd, c, cl) || !send_all(fd, "\r\n", 2))
                return false;
        } else if (!send_all(fd, c, cl)) {
            return false;
        }
    }
    if (r->hang) {
        hold_until_closed(s, fd);
        return false;
    }
    if (r->truncate || r->until_close)
        return false;
    if (r->chunked && !send_all(fd, "0\r\n\r\n", 5))
        return false;
    return !r->close;
}

static struct script *next_script(gk_test_server *s)
{
    struct script *sc;
    pthread_mutex_lock(&s->mu);
    sc = s->head;
    if (sc) {
        s->head = sc->next;
        if (!s->head)
            s->tail = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    return sc;
}

/* Parse one request from buf[0..head_len) (the head) and the body after it. */
static gk_test_request *parse_request(const char *buf, size_t head_len, size_t id)
{
    gk_test_request *r = calloc(1, sizeof(*r));
    const char *p = buf;
    const char *end = buf + head_len;
    const char *eol = strstr(p, "\r\n");
    r->connection = id;
    sscanf(p, "%15s %2047s", r->method, r->target);
    p = eol + 2;
    while (p < end) {
        eol = strstr(p, "\r\n");
        if (!eol || eol == p)
            break;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            const char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            r->names = realloc(r->names, (r->n_headers + 1) * sizeof(char *));
            r->values = realloc(r->values, (r->n_headers + 1) * sizeof(char *));
            r->names[r->n_headers] = strndup(p, (size_t)(colon - p));
            r->values[r->n_headers] = strndup(v, (size_t)(eol - v));
            r->n_headers++;
        }
        p = eol + 2;
    }
    return r;
}

const char *gk_test_request_header(const gk_test_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    }
    return NULL;
}

static void record(gk_test_server *s, gk_test_request *r)
{
    pthread_mutex_lock(&s->mu);
    if (s->n_reqs == s->cap_reqs) {
        s->cap_reqs = s->cap_reqs ? s->cap_reqs * 2 : 16;
        s->reqs = realloc(s->reqs, s->cap_reqs * sizeof(*s->reqs));
    }
    s->reqs[s->n_reqs++] = r;
    pthread_mutex_unlock(&s->mu);
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    gk_test_server *s = c->s;
    char *buf = malloc(MAX_HEAD + 1);
    size_t have = 0;
    for (;;) {
        char *head_end;
        /* Read until a whole head is buffered. */
        for (;;) {
            buf[have] = '\0';
            head_end = strstr(buf, "\r\n\r\n");
            if (head_end)
                break;
            if (have == MAX_HEAD)
                goto out;
            if (wait_readable(s, c->fd, -1) < 0)
                goto out;
            ssize_t n = recv(c->fd, buf + have, MAX_HEAD - have, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                note_closed(s);
                goto out;
            }
            have += (size_t)n;
        }
        size_t head_len = (size_t)(head_end - buf) + 4;
        gk_test_request *r = parse_request(buf, head_len, c->id);
        const char *cl = gk_test_request_header(r, "content-length");
        size_t body_len = cl ? (size_t)strtoull(cl, NULL, 10) : 0;
        r->body = malloc(body_len + 1);
        size_t got = have - head_len < body_len ? have - head_len : body_len;
        memcpy(r->body, buf + head_len, got);
        while (got < body_len) {
            if (wait_readable(s, c->fd, -1) < 0) {
                request_free(r);
                goto out;
            }
            ssize_t n = recv(c->fd, r->body + got, body_len - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                request_free(r);
                note_closed(s);
                goto out;
            }
            got += (size_t)n;
        }
        r->body[body_len] = '\0';
        r->body_len = body_len;
        /* Keep any pipelined bytes after this request. */
        size_t used = head_len + (have - head_len < body_len ? have - head_len : body_len);
        memmove(buf, buf + used, have - used);
        have -= used;
        record(s, r);

        struct script *sc = next_script(s);
        gk_test_response dflt;
        pthread_mutex_lock(&s->mu);
        dflt = s->dflt ? s->dflt->r : (gk_test_response){0};
        pthread_mutex_unlock(&s->mu);
        bool keep = respond(s, c->fd, sc ? &sc->r : &dflt);
        script_free(sc);
        if (!keep)
            break;
    }
out:
    free(buf);
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    return NULL;
}

static void *accept_main(void *arg)
{
    gk_test_server *s = arg;
    for (;;) {
        if (wait_readable(s, s->listen_fd, -1) < 0)
            return NULL;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = calloc(1, sizeof(*c));
        c->s = s;
        c->fd = fd;
        pthread_mutex_lock(&s->mu);
        c->id = ++s->n_conns;
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->mu);
        pthread_create(&c->thread, NULL, conn_main, c);
    }
}

gk_test_server *gk_test_server_start(void)
{
    gk_test_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int one = 1;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->listen_fd, 512) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &alen) != 0 || pipe(s->stop_pipe) != 0) {
        perror("test_http_server");
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_create(&s->accept_thread, NULL, accept_main, s);
    return s;
}

void gk_test_server_stop(gk_test_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    if (write(s->stop_pipe[1], "x", 1) != 1)
        perror("test_http_server stop");
    pthread_join(s->accept_thread, NULL);
    /* No new connections now; the pipe stays readable, so every connection thread ends. */
    while (s->conns) {
        struct conn *c = s->conns;
        s->conns = c->next;
        pthread_join(c->thread, NULL);
        free(c);
    }
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    while (s->head) {
        struct script *sc = s->head;
        s->head = sc->next;
        script_free(sc);
    }
    script_free(s->dflt);
    while (s->retired) {
        struct script *sc = s->retired;
        s->retired = sc->next;
        script_free(sc);
    }
    for (size_t i = 0; i < s->n_reqs; i++)
        request_free(s->reqs[i]);
    free(s->reqs);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
}

int gk_test_server_port(const gk_test_server *s)
{
    return s->port;
}

const char *gk_test_server_url(const gk_test_server *s)
{
    return s->url;
}

void gk_test_server_push(gk_test_server *s, const gk_test_response *r)
{
    struct script *sc = script_new(r);
    pthread_mutex_lock(&s->mu);
    if (s->tail)
        s->tail->next = sc;
    else
        s->head = sc;
    s->tail = sc;
    pthread_mutex_unlock(&s->mu);
}

void gk_test_server_set_default(gk_test_server *s, const gk_test_response *r)
{
    struct script *sc = script_new(r);
    pthread_mutex_lock(&s->mu);
    /* A connection thread may still be answering with the old default (it copied the struct, not
     * the strings): retire it until stop instead of freeing it now. */
    if (s->dflt) {
        s->dflt->next = s->retired;
        s->retired = s->dflt;
    }
    s->dflt = sc;
    pthread_mutex_unlock(&s->mu);
}

void gk_test_server_open_gate(gk_test_server *s)
{
    pthread_mutex_lock(&s->mu);
    s->gate_open = true;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

size_t gk_test_server_request_count(gk_test_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_reqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

const gk_test_request *gk_test_server_request(gk_test_server *s, size_t i)
{
    pthread_mutex_lock(&s->mu);
    const gk_test_request *r = i < s->n_reqs ? s->reqs[i] : NULL;
    pthread_mutex_unlock(&s->mu);
    return r;
}

size_t gk_test_server_connections(gk_test_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n_conns;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t gk_test_server_closed_by_client(gk_test_server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->closed_by_client;
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool gk_test_server_wait_closed(gk_test_server *s, size_t n, int timeout_ms)
{
    struct timespec until;
    bool ok;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    while (s->closed_by_client < n) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
            break;
    }
    ok = s->closed_by_client >= n;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

int gk_test_unused_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = 0;
    /* A port the kernel just handed out and nobody listens on: connecting to it is refused (it is
     * released again, so a later ephemeral bind could in theory take it). */
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}
