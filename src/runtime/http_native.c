/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/http_native.c - the native transport of the HTTP client (http_backend.h): HTTP/1.1
 * over libuv TCP, responses parsed by http_resp_parse.c, TLS through tls.h (mbedTLS), plain http://
 * proxies (absolute-form requests, CONNECT tunnels for https). One state per loop: a keep-alive
 * pool of idle connections keyed by scheme, host, port (and proxy), and the loop's TLS state.
 * Deliberately not here: HTTP/2, compression (it asks for identity), redirects, cookies, a DNS
 * cache, TLS session resumption (kept-alive connections make it rare).
 *
 * The exchange runs on the loop's stack as a chain of libuv callbacks (resolve on the thread pool,
 * connect, proxy CONNECT, TLS handshake, request, response); the calling fiber only parks, cuts
 * streamed bytes into events (gk__http_drain) and resumes reading when it has drained them. Every
 * libuv and TLS call the fiber needs is made on the loop's stack through gk__loop_call. A fetch
 * lives on the fiber's stack; the handles that outlive it (a connection being closed or pooled, a
 * getaddrinfo that could not be withdrawn) are detached from it before it returns. */
#include "runtime/http_backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base64.h"
#include "base/ids.h"
#include "runtime/http_resp_parse.h"
#include "runtime/tls.h"

#include "base/banned.h"

#define POOL_MAX        64          /* idle connections kept per loop (curl: 64 per host) */
#define IDLE_MS         30000       /* an idle connection older than this is closed */
#define CONNECT_MS      10000       /* default connect limit (resolve, connect, proxy, TLS) */
#define READ_BUF        (64 * 1024) /* one socket read */
#define PLAIN_BUF       (16 * 1024) /* one decrypted TLS record */
#define MAX_ADDRS       8           /* resolved addresses tried in turn */
#define PROXY_HEADS_CAP (64 * 1024)
#define PROXY_PORT      1080 /* curl's default for a proxy URL without a port */

/* Per-loop state (in the loop's http slot). Invariants: idle_* is a doubly linked list of the
 * pooled connections, most recently used first, n_idle long; sweep is unreferenced. */
struct nloop {
    gk_loop *loop;
    uv_timer_t sweep; /* closes idle connections past IDLE_MS */
    struct conn *idle_head;
    struct conn *idle_tail;
    size_t n_idle;
    gk__tls_loop *tls;    /* created at the loop's first https call */
    char rbuf[READ_BUF];  /* every read lands here and is consumed before the callback returns */
    char pbuf[PLAIN_BUF]; /* decrypted bytes, consumed likewise */
};

/* One TCP connection (heap; freed by its close callback). It belongs to one fetch (f), to the pool
 * (pooled), or to nobody while closing. */
struct conn {
    uv_tcp_t tcp; /* data: the conn */
    uv_connect_t creq;
    struct nloop *nl;
    struct fetch *f;
    char *key;    /* pool key, once connected */
    gk__tls *tls; /* NULL for plain connections */
    gk_buf tx;    /* TLS output waiting to be written */
    struct conn *prev;
    struct conn *next;
    uint64_t idle_since;
    bool pooled;
    bool reading;
    bool closing;
};

/* A write in flight: owns a copy of its bytes. */
struct wreq {
    uv_write_t req;
    struct conn *conn;
    char data[];
};

/* A getaddrinfo in flight; f is NULL once the fetch gave up on it (the callback then frees it). */
struct resolve {
    uv_getaddrinfo_t req;
    struct fetch *f;
};

enum phase {
    P_START,
    P_RESOLVE,
    P_CONNECT,
    P_PROXY,     /* waiting for the proxy's reply to CONNECT */
    P_HANDSHAKE, /* TLS */
    P_EXCHANGE,  /* request sent (or being sent), response arriving */
    P_DONE,      /* the whole response arrived; the connection was released */
    P_FAILED,    /* st and msg say why (or cancelled); the connection was closed */
};

/* A URL's parts that matter here. host is lower-case, without IPv6 brackets. */
struct url {
    bool https;
    bool v6; /* host is an IPv6 literal */
    char host[256];
    int port;
    char port_str[8];
    const char *user; /* user info (user:pass, percent-encoded), not copied, or NULL */
    size_t user_len;
    const char *target; /* path and query, not copied ("" means "/") */
    size_t target_len;
};

/* One call (on the fiber's stack). Invariants: conn, res and timer point at things that point
 * back; all three are cleared (closed, orphaned, given back) before perform returns. */
struct fetch {
    struct gk__http_call *c;
    struct nloop *nl;
    struct url u;
    struct url proxy;
    bool proxied;
    bool no_reuse; /* the caller asked for Connection: close */
    char key[600];
    gk_buf request; /* the bytes to send, kept for a retry */
    gk_buf connect_request;
    gk_buf proxy_heads;
    int64_t connect_ms;
    /* loop side */
    enum phase phase;
    struct conn *conn;
    struct resolve *res;
    uv_timer_t *timer;
    uint64_t call_deadline; /* uv_now() ms; UINT64_MAX: none */
    uint64_t connect_deadline;
    struct sockaddr_storage addrs[MAX_ADDRS];
    size_t n_addrs;
    size_t next_addr;
    int last_err;
    gk__http_resp rp;
    gk_waiter w;
    bool parked;
    bool paused; /* reading stopped: the fiber is behind on events */
    bool reused; /* the connection came from the pool */
    bool retried;
    bool got_bytes; /* a byte of the response arrived on this connection */
    int write_err;  /* the request could not be written (libuv error), 0 if it could */
    bool over_body;
    bool oom;
    bool cancelled;
    gk_status st;
    char msg[256];
};

/* ---- small helpers ---- */

static void wake(struct fetch *f)
{
    if (f->parked)
        gk__wake(&f->w);
}

static uv_loop_t *uvl(const struct nloop *nl)
{
    return &nl->loop->uv;
}

/* "Basic <base64(user:pass)>" of percent-encoded user info, as curl sends it. */
static void basic_auth(gk_buf *b, const char *user, size_t len)
{
    unsigned char plain[512] = {0};
    size_t n = 0;
    for (size_t i = 0; i < len && n < sizeof(plain); i++) {
        int hi = user[i] == '%' && i + 2 < len ? gk__hex_value(user[i + 1]) : -1;
        int lo = hi >= 0 ? gk__hex_value(user[i + 2]) : -1;
        if (lo >= 0) {
            plain[n++] = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else {
            plain[n++] = (unsigned char)user[i];
        }
    }
    if (!memchr(plain, ':', n) && n < sizeof(plain))
        plain[n++] = ':';
    char enc[4 * ((sizeof(plain) + 2) / 3) + 1]; /* gk__base64_len of the largest plain */
    size_t elen = gk__base64_encode(plain, n, enc);
    gk_buf_puts(b, "Basic ");
    gk_buf_put(b, enc, elen);
    explicit_bzero(plain, sizeof(plain));
    explicit_bzero(enc, sizeof(enc));
}

/* Parse "[scheme://][user@]host[:port][target]". scheme_required: URLs need one; proxy settings
 * may leave it out (then http). */
static gk_status parse_url(const char *s, bool scheme_required, struct url *u, const char *what,
                           gk_error *err)
{
    const char *sep = strstr(s, "://");
    const char *auth;
    const char *auth_end;
    const char *hp;
    const char *host;
    const char *host_end;
    const char *port = NULL;
    size_t hlen;
    memset(u, 0, sizeof(*u));
    if (sep) {
        size_t sl = (size_t)(sep - s);
        if (sl == 5 && strncasecmp(s, "https", 5) == 0)
            u->https = true;
        else if (!(sl == 4 && strncasecmp(s, "http", 4) == 0))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has an unsupported scheme", what);
        auth = sep + 3;
    } else if (scheme_required) {
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has no scheme", what);
    } else {
        auth = s;
    }
    auth_end = auth + strcspn(auth, "/?#");
    hp = auth;
    for (const char *q = auth; q < auth_end; q++) {
        if (*q == '@')
            hp = q + 1;
    }
    if (hp > auth) {
        u->user = auth;
        u->user_len = (size_t)(hp - 1 - auth);
    }
    if (*hp == '[') {
        host = hp + 1;
        host_end = memchr(host, ']', (size_t)(auth_end - host));
        if (!host_end)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad IPv6 address", what);
        for (const char *q = host; q < host_end; q++) {
            if (gk__hex_value(*q) < 0 && *q != ':' && *q != '.')
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad IPv6 address",
                                    what);
        }
        u->v6 = true;
        if (host_end + 1 < auth_end) {
            if (host_end[1] != ':')
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad host", what);
            port = host_end + 2;
        }
    } else {
        host = hp;
        host_end = memchr(hp, ':', (size_t)(auth_end - hp));
        if (host_end)
            port = host_end + 1;
        else
            host_end = auth_end;
        for (const char *q = host; q < host_end; q++) {
            unsigned char ch = (unsigned char)*q;
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_'))
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad host", what);
        }
    }
    hlen = (size_t)(host_end - host);
    if (hlen == 0 || hlen >= sizeof(u->host))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has no valid host", what);
    for (size_t i = 0; i < hlen; i++) {
        char ch = host[i];
        u->host[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    u->port = u->https ? 443 : 80;
    if (!sep && !scheme_required)
        u->port = PROXY_PORT;
    if (port && port < auth_end) { /* "host:" is the default port, as in RFC 3986 */
        long v = 0;
        for (const char *q = port; q < auth_end; q++) {
            if (*q < '0' || *q > '9' || v > 65535)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad port", what);
            v = v * 10 + (*q - '0');
        }
        if (v < 1 || v > 65535)
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s has a bad port", what);
        u->port = (int)v;
    }
    snprintf(u->port_str, sizeof(u->port_str), "%d", u->port);
    u->target = auth_end;
    u->target_len = strcspn(auth_end, "#");
    return GK_OK;
}

/* "host" or "host:port" (IPv6 in brackets), port only when not the scheme's default. */
static void put_authority(gk_buf *b, const struct url *u, bool always_port)
{
    gk_buf_printf(b, u->v6 ? "[%s]" : "%s", u->host);
    if (always_port || u->port != (u->https ? 443 : 80))
        gk_buf_printf(b, ":%d", u->port);
}

static const char *env_first(const char *a, const char *b)
{
    const char *v = getenv(a);
    if (!v || !*v)
        v = getenv(b);
    return v && *v ? v : NULL;
}

/* Whether NO_PROXY (comma- or space-separated host names, ".suffix" or "suffix" for a domain and
 * its subdomains, "*" for all) exempts host. */
static bool no_proxy_for(const char *host)
{
    const char *list = env_first("no_proxy", "NO_PROXY");
    size_t hlen = strlen(host);
    const char *p = list;
    if (!list)
        return false;
    while (*p) {
        size_t len;
        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == 0)
            break;
        const char *e = p;
        size_t elen = len;
        const char *colon = memchr(e, ':', elen);
        if (elen == 1 && e[0] == '*')
            return true;
        if (e[0] == '[') { /* "[v6]" or "[v6]:port" */
            const char *rb = memchr(e, ']', elen);
            e++;
            elen = rb ? (size_t)(rb - e) : elen - 1;
        } else if (colon && !memchr(colon + 1, ':', elen - (size_t)(colon + 1 - e))) {
            elen = (size_t)(colon - e); /* "host:port": the port is ignored */
        }
        while (elen > 0 && e[0] == '.') {
            e++;
            elen--;
        }
        if (elen > 0 && elen <= hlen && strncasecmp(host + hlen - elen, e, elen) == 0 &&
            (elen == hlen || host[hlen - elen - 1] == '.'))
            return true;
        p += len;
    }
    return false;
}

/* The proxy for f's URL from the environment (https_proxy/HTTPS_PROXY for https, http_proxy/
 * HTTP_PROXY for http, unless NO_PROXY exempts the host). */
static gk_status choose_proxy(struct fetch *f, gk_error *err)
{
    const char *v = f->u.https ? env_first("https_proxy", "HTTPS_PROXY")
                               : env_first("http_proxy", "HTTP_PROXY");
    const char *var = f->u.https ? "HTTPS_PROXY" : "HTTP_PROXY";
    gk_status st;
    if (!v || no_proxy_for(f->u.host))
        return GK_OK;
    st = parse_url(v, false, &f->proxy, var, err);
    if (st != GK_OK)
        return st;
    if (f->proxy.https)
        return gk_error_set(err, GK_UNAVAILABLE, "",
                            "%s names an https:// proxy: only http:// proxies are supported", var);
    f->proxied = true;
    return GK_OK;
}

static bool header_is(const char *line, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(line, name, n) == 0 && line[n] == ':';
}

/* The request's bytes: head and body. */
static gk_status build_request(struct fetch *f, gk_error *err)
{
    const struct gk__http_call *c = f->c;
    const gk_http_request *req = c->req;
    gk_buf *b = &f->request;
    bool has_body = req->body.ptr || req->body.len;
    bool send_length =
        has_body || (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0);

    gk_buf_printf(b, "%s ", c->method);
    if (f->proxied && !f->u.https) {
        /* Absolute form through a proxy (RFC 9112 3.2.2). */
        gk_buf_puts(b, "http://");
        put_authority(b, &f->u, false);
    }
    if (f->u.target_len == 0 || f->u.target[0] != '/')
        gk_buf_putc(b, '/');
    gk_buf_put(b, f->u.target, f->u.target_len);
    gk_buf_puts(b, " HTTP/1.1\r\n");
    if (!gk__http_has_header(req, "host")) {
        gk_buf_puts(b, "Host: ");
        put_authority(b, &f->u, false);
        gk_buf_puts(b, "\r\n");
    }
    if (!gk__http_has_header(req, "user-agent"))
        gk_buf_puts(b, "User-Agent: " GK__HTTP_USER_AGENT "\r\n");
    if (!gk__http_has_header(req, "accept"))
        gk_buf_puts(b, "Accept: */*\r\n");
    /* Bodies are handed over as they come: nothing here decompresses. */
    if (!gk__http_has_header(req, "accept-encoding"))
        gk_buf_puts(b, "Accept-Encoding: identity\r\n");
    if (f->u.user && !gk__http_has_header(req, "authorization")) {
        gk_buf_puts(b, "Authorization: ");
        basic_auth(b, f->u.user, f->u.user_len);
        gk_buf_puts(b, "\r\n");
    }
    if (f->proxied && !f->u.https && f->proxy.user) {
        gk_buf_puts(b, "Proxy-Authorization: ");
        basic_auth(b, f->proxy.user, f->proxy.user_len);
        gk_buf_puts(b, "\r\n");
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++) {
        const char *h = req->headers[i];
        const char *v = strchr(h, ':') + 1;
        /* Framing is ours. An empty value means "do not send" (as with curl). */
        if (header_is(h, "content-length") || header_is(h, "transfer-encoding"))
            continue;
        v += strspn(v, " \t");
        if (!*v)
            continue;
        if (header_is(h, "connection") && strcasestr(v, "close"))
            f->no_reuse = true;
        gk_buf_puts(b, h);
        gk_buf_puts(b, "\r\n");
    }
    if (c->traceparent) {
        gk_buf_puts(b, c->traceparent);
        gk_buf_puts(b, "\r\n");
    }
    if (send_length)
        gk_buf_printf(b, "Content-Length: %zu\r\n", req->body.len);
    gk_buf_puts(b, "\r\n");
    if (req->body.len)
        gk_buf_put(b, req->body.ptr, req->body.len);

    if (f->proxied && f->u.https) {
        gk_buf *cb = &f->connect_request;
        gk_buf_puts(cb, "CONNECT ");
        put_authority(cb, &f->u, true);
        gk_buf_puts(cb, " HTTP/1.1\r\nHost: ");
        put_authority(cb, &f->u, true);
        gk_buf_puts(cb, "\r\nUser-Agent: " GK__HTTP_USER_AGENT "\r\n");
        if (f->proxy.user) {
            gk_buf_puts(cb, "Proxy-Authorization: ");
            basic_auth(cb, f->proxy.user, f->proxy.user_len);
            gk_buf_puts(cb, "\r\n");
        }
        gk_buf_puts(cb, "\r\n");
        if (gk_buf_failed(cb))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "%s %s: out of memory", c->method,
                                c->where);
    }
    if (gk_buf_failed(b))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "%s %s: out of memory", c->method,
                            c->where);
    return GK_OK;
}

/* ---- connections (loop stack) ---- */

static void on_conn_closed(uv_handle_t *h)
{
    free(h->data);
}

static void pool_unlink(struct conn *k)
{
    struct nloop *nl = k->nl;
    if (k->prev)
        k->prev->next = k->next;
    else
        nl->idle_head = k->next;
    if (k->next)
        k->next->prev = k->prev;
    else
        nl->idle_tail = k->prev;
    k->prev = NULL;
    k->next = NULL;
    k->pooled = false;
    nl->n_idle--;
}

/* Close k (it must belong to no fetch). The TLS session goes now, while the loop's TLS state is
 * certainly alive; the memory goes in the close callback. */
static void conn_close(struct conn *k)
{
    if (k->closing)
        return;
    k->closing = true;
    if (k->pooled)
        pool_unlink(k);
    gk__tls_free(k->tls);
    k->tls = NULL;
    gk_buf_release(&k->tx);
    free(k->key);
    k->key = NULL;
    uv_close((uv_handle_t *)&k->tcp, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *k = h->data;
    (void)suggested;
    buf->base = k->nl->rbuf;
    buf->len = sizeof(k->nl->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void read_start(struct conn *k)
{
    if (!k->reading && uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read) == 0)
        k->reading = true;
}

static void read_stop(struct conn *k)
{
    if (k->reading) {
        uv_read_stop((uv_stream_t *)&k->tcp);
        k->reading = false;
    }
}

static void on_written(uv_write_t *req, int status);

/* Write a copy of data[0..len) on k. Returns 0 or a libuv error. */
static int conn_write(struct conn *k, const char *data, size_t len)
{
    struct wreq *w;
    uv_buf_t ub;
    int rc;
    if (len == 0)
        return 0;
    w = malloc(sizeof(*w) + len);
    if (!w)
        return UV_ENOMEM;
    w->conn = k;
    memcpy(w->data, data, len);
    ub = uv_buf_init(w->data, (unsigned)len);
    rc = uv_write(&w->req, (uv_stream_t *)&k->tcp, &ub, 1, on_written);
    if (rc != 0)
        free(w);
    return rc;
}

/* ---- pool ---- */

static void on_sweep(uv_timer_t *t);

static void sweep_arm(struct nloop *nl)
{
    uint64_t now = uv_now(uvl(nl));
    uint64_t at;
    if (!nl->idle_tail) {
        uv_timer_stop(&nl->sweep);
        return;
    }
    at = nl->idle_tail->idle_since + IDLE_MS;
    uv_timer_start(&nl->sweep, on_sweep, at > now ? at - now : 0, 0);
}

static void on_sweep(uv_timer_t *t)
{
    struct nloop *nl = t->data;
    uint64_t now = uv_now(uvl(nl));
    while (nl->idle_tail && nl->idle_tail->idle_since + IDLE_MS <= now)
        conn_close(nl->idle_tail);
    sweep_arm(nl);
}

/* Keep k for the next request to its key. Reading goes on, so that a close by the peer is seen;
 * an idle connection does not keep the loop alive. */
static void pool_put(struct conn *k)
{
    struct nloop *nl = k->nl;
    k->f = NULL;
    k->pooled = true;
    k->idle_since = uv_now(uvl(nl));
    k->prev = NULL;
    k->next = nl->idle_head;
    if (nl->idle_head)
        nl->idle_head->prev = k;
    else
        nl->idle_tail = k;
    nl->idle_head = k;
    nl->n_idle++;
    uv_unref((uv_handle_t *)&k->tcp);
    read_start(k);
    if (nl->n_idle > POOL_MAX)
        conn_close(nl->idle_tail);
    if (!uv_is_active((uv_handle_t *)&nl->sweep))
        sweep_arm(nl);
}

static struct conn *pool_take(struct nloop *nl, const char *key)
{
    for (struct conn *k = nl->idle_head; k; k = k->next) {
        if (strcmp(k->key, key) == 0) {
            pool_unlink(k);
            uv_ref((uv_handle_t *)&k->tcp);
            return k;
        }
    }
    return NULL;
}

/* ---- the exchange (loop stack) ---- */

static void on_timer(uv_timer_t *t);

static void arm_timer(struct fetch *f)
{
    uint64_t now = uv_now(uvl(f->nl));
    uint64_t at = f->call_deadline;
    if (f->phase < P_EXCHANGE && f->connect_deadline < at)
        at = f->connect_deadline;
    if (at == UINT64_MAX)
        uv_timer_stop(f->timer);
    else
        uv_timer_start(f->timer, on_timer, at > now ? at - now : 0, 0);
}

/* Cut every tie the loop has to f: timer, resolve, connection (closed). */
static void detach(struct fetch *f)
{
    if (f->timer)
        uv_timer_stop(f->timer);
    if (f->res) {
        f->res->f = NULL;
        uv_cancel((uv_req_t *)&f->res->req); /* if it already runs, its callback frees it */
        f->res = NULL;
    }
    if (f->conn) {
        struct conn *k = f->conn;
        f->conn = NULL;
        k->f = NULL;
        conn_close(k);
    }
}

static void fail(struct fetch *f, gk_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct fetch *f, gk_status st, const char *fmt, ...)
{
    va_list ap;
    if (f->phase >= P_DONE)
        return;
    f->phase = P_FAILED;
    f->st = st;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
    va_end(ap);
    detach(f);
    wake(f);
}

static void fail_with(struct fetch *f, const gk_error *e)
{
    fail(f, e->status ? e->status : GK_UNAVAILABLE, "%s", e->message);
}

/* The response is complete: keep the connection if it can carry another request. */
static void exchange_done(struct fetch *f, bool reuse)
{
    struct conn *k = f->conn;
    f->phase = P_DONE;
    uv_timer_stop(f->timer);
    f->conn = NULL;
    k->f = NULL;
    /* A request still being written (the server answered early) would corrupt the next one. */
    if (reuse && !f->no_reuse && !f->write_err && !k->closing &&
        uv_stream_get_write_queue_size((uv_stream_t *)&k->tcp) == 0)
        pool_put(k);
    else
        conn_close(k);
    wake(f);
}

static void conn_open(struct fetch *f);

/* The connection ended (EOF) or broke (status) while f used it. */
static void conn_lost(struct fetch *f, int status)
{
    if (f->phase == P_EXCHANGE) {
        if (f->reused && !f->got_bytes && !f->retried) {
            /* The server closed the kept connection as we reused it: once more on a new one. */
            struct conn *k = f->conn;
            f->conn = NULL;
            k->f = NULL;
            conn_close(k);
            f->retried = true;
            f->reused = false;
            conn_open(f);
            return;
        }
        if (status == UV_EOF) {
            if (gk__http_resp_eof(&f->rp) == GK__HTTP_RESP_DONE) {
                exchange_done(f, false);
                return;
            }
            if (!f->got_bytes && f->write_err)
                fail(f, GK_UNAVAILABLE, "send failed: %s", uv_strerror(f->write_err));
            else if (!f->got_bytes)
                fail(f, GK_UNAVAILABLE, "the server closed the connection without a response");
            else
                fail(f, GK_UNAVAILABLE, "%s", f->rp.error);
            return;
        }
        fail(f, GK_UNAVAILABLE, "connection lost: %s", uv_strerror(status));
        return;
    }
    if (f->phase == P_HANDSHAKE)
        fail(f, GK_UNAVAILABLE, "TLS: the connection to %s closed during the handshake (%s)",
             f->u.host, status == UV_EOF ? "end of stream" : uv_strerror(status));
    else if (f->phase == P_PROXY)
        fail(f, GK_UNAVAILABLE, "the proxy %s port %d closed the connection (%s)", f->proxy.host,
             f->proxy.port, status == UV_EOF ? "end of stream" : uv_strerror(status));
    else
        fail(f, GK_UNAVAILABLE, "connection lost: %s", uv_strerror(status));
}

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)(void *)req;
    struct conn *k = w->conn;
    struct fetch *f = k->f;
    free(w);
    if (status == 0 || status == UV_ECANCELED || k->closing)
        return;
    if (k->pooled || !f) {
        conn_close(k);
        return;
    }
    if (f->phase == P_EXCHANGE && (f->got_bytes || !f->reused || f->retried)) {
        /* The server may have answered before it stopped reading (a 413 to a big body): read
         * on; the end of the connection decides. */
        f->write_err = status;
        return;
    }
    conn_lost(f, status);
}

/* Write what TLS produced. Returns false (and fails f) if that cannot be done. */
static bool flush(struct fetch *f, struct conn *k)
{
    int rc;
    if (gk_buf_failed(&k->tx)) {
        fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
        return false;
    }
    rc = conn_write(k, k->tx.ptr, k->tx.len);
    gk_buf_reset(&k->tx);
    if (rc != 0) {
        fail(f, rc == UV_ENOMEM ? GK_RESOURCE_EXHAUSTED : GK_UNAVAILABLE, "send failed: %s",
             uv_strerror(rc));
        return false;
    }
    return true;
}

static bool sink_head(void *arg, int status)
{
    struct fetch *f = arg;
    struct gk__http_call *c = f->c;
    c->status = status;
    c->events = c->parser && status >= 200 && status < 300;
    return true;
}

static bool sink_body(void *arg, const char *data, size_t len)
{
    struct fetch *f = arg;
    struct gk__http_call *c = f->c;
    if (c->events) {
        gk_buf_put(&c->pending, data, len);
        if (gk_buf_failed(&c->pending)) {
            f->oom = true;
            return false;
        }
        return true;
    }
    if (len > c->max_body - c->body.len) {
        f->over_body = true;
        return false;
    }
    gk_buf_put(&c->body, data, len);
    if (gk_buf_failed(&c->body)) {
        f->oom = true;
        return false;
    }
    return true;
}

/* Response bytes (decrypted). */
static void exchange_feed(struct fetch *f, const char *data, size_t len)
{
    struct gk__http_call *c = f->c;
    struct conn *k = f->conn;
    size_t used = 0;
    gk__http_resp_result r;
    f->got_bytes = true;
    r = gk__http_resp_feed(&f->rp, data, len, &used);
    if (r == GK__HTTP_RESP_ERROR) {
        if (f->over_body)
            fail(f, GK_RESOURCE_EXHAUSTED, "response body larger than %zu bytes", c->max_body);
        else if (f->oom)
            fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
        else if (f->rp.heads_full)
            fail(f, GK_RESOURCE_EXHAUSTED, "response headers larger than %d bytes",
                 GK__HTTP_HEADERS_CAP);
        else
            fail(f, GK_UNAVAILABLE, "malformed response: %s", f->rp.error);
        return;
    }
    if (r == GK__HTTP_RESP_DONE) {
        exchange_done(f,
                      f->rp.keep_alive && used == len && !(k->tls && gk__tls_has_pending(k->tls)));
        return;
    }
    if (c->events && c->pending.len >= GK__HTTP_HIGH_WATER && !f->paused) {
        /* The fiber is behind: stop reading until it drained what it has. */
        f->paused = true;
        read_stop(k);
    }
    if (c->events && c->pending.len > 0)
        wake(f);
}

/* The connection is ready (connected, tunnelled, TLS up): send the request. */
static void exchange_start(struct fetch *f)
{
    struct conn *k = f->conn;
    gk__http_resp_sink sink = {.on_head = sink_head, .on_body = sink_body, .arg = f};
    int rc;
    f->phase = P_EXCHANGE;
    f->got_bytes = false;
    f->write_err = 0;
    arm_timer(f); /* the connect limit is over */
    gk__http_resp_init(&f->rp, &f->c->heads, strcmp(f->c->method, "HEAD") == 0, &sink);
    read_start(k);
    if (k->tls) {
        gk_error e = {0};
        if (gk__tls_write(k->tls, f->request.ptr, f->request.len, &e) != GK__TLS_OK) {
            fail_with(f, &e);
            return;
        }
        flush(f, k);
        return;
    }
    rc = conn_write(k, f->request.ptr, f->request.len);
    if (rc != 0)
        fail(f, rc == UV_ENOMEM ? GK_RESOURCE_EXHAUSTED : GK_UNAVAILABLE, "send failed: %s",
             uv_strerror(rc));
}

/* Run TLS over the input received so far: the handshake, or records of the response. */
static void tls_pump(struct fetch *f)
{
    struct conn *k = f->conn;
    gk_error e = {0};
    if (f->phase == P_HANDSHAKE) {
        gk__tls_result r = gk__tls_handshake(k->tls, &e);
        if (!flush(f, k))
            return;
        if (r == GK__TLS_ERROR)
            fail_with(f, &e);
        else if (r == GK__TLS_OK)
            exchange_start(f);
        return;
    }
    while (f->phase == P_EXCHANGE && !f->paused) {
        size_t n = 0;
        gk__tls_result r = gk__tls_read(k->tls, f->nl->pbuf, sizeof(f->nl->pbuf), &n, &e);
        if (!flush(f, k))
            return;
        if (r == GK__TLS_OK) {
            exchange_feed(f, f->nl->pbuf, n);
        } else if (r == GK__TLS_WANT) {
            return;
        } else if (r == GK__TLS_CLOSED) {
            conn_lost(f, UV_EOF);
            return;
        } else {
            fail_with(f, &e);
            return;
        }
    }
}

static void tls_start(struct fetch *f)
{
    struct conn *k = f->conn;
    gk_error e = {0};
    f->phase = P_HANDSHAKE;
    k->tls = gk__tls_new(f->nl->tls, f->u.host, &k->tx, &e);
    if (!k->tls) {
        fail_with(f, &e);
        return;
    }
    tls_pump(f);
}

/* The proxy's reply to CONNECT. */
static void proxy_feed(struct fetch *f, const char *data, size_t len)
{
    size_t used = 0;
    gk__http_resp_result r = gk__http_resp_feed(&f->rp, data, len, &used);
    if (r == GK__HTTP_RESP_MORE)
        return;
    if (r == GK__HTTP_RESP_ERROR) {
        fail(f, GK_UNAVAILABLE, "the proxy %s port %d sent a malformed reply to CONNECT: %s",
             f->proxy.host, f->proxy.port, f->rp.error);
        return;
    }
    if (f->rp.status < 200 || f->rp.status > 299) {
        fail(f, GK_UNAVAILABLE, "the proxy %s port %d refused CONNECT to %s port %d: status %d",
             f->proxy.host, f->proxy.port, f->u.host, f->u.port, f->rp.status);
        return;
    }
    if (used != len) {
        fail(f, GK_UNAVAILABLE, "the proxy %s port %d sent data after its reply to CONNECT",
             f->proxy.host, f->proxy.port);
        return;
    }
    tls_start(f);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *k = s->data;
    struct fetch *f = k->f;
    if (nread == 0 || k->closing)
        return;
    if (k->pooled || !f) {
        /* Idle: the peer closed it, or sent what nobody asked for. */
        conn_close(k);
        return;
    }
    if (nread < 0) {
        conn_lost(f, (int)nread);
        return;
    }
    if (k->tls) {
        if (!gk__tls_input(k->tls, buf->base, (size_t)nread)) {
            fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        tls_pump(f);
    } else if (f->phase == P_PROXY) {
        proxy_feed(f, buf->base, (size_t)nread);
    } else if (f->phase == P_EXCHANGE) {
        exchange_feed(f, buf->base, (size_t)nread);
    }
}

static void on_connected(uv_connect_t *req, int status);

/* Connect to the next resolved address, or fail when none is left. */
static void connect_next(struct fetch *f)
{
    const struct url *to = f->proxied ? &f->proxy : &f->u;
    while (f->next_addr < f->n_addrs) {
        const struct sockaddr *sa = (const struct sockaddr *)&f->addrs[f->next_addr];
        struct conn *k = calloc(1, sizeof(*k));
        int rc;
        if (!k) {
            fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
        k->nl = f->nl;
        k->tx = GK_BUF_INIT(0);
        if (uv_tcp_init(uvl(f->nl), &k->tcp) != 0) {
            free(k);
            fail(f, GK_RESOURCE_EXHAUSTED, "cannot create a socket");
            return;
        }
        k->tcp.data = k;
        k->creq.data = k;
        k->f = f;
        f->conn = k;
        f->phase = P_CONNECT;
        rc = uv_tcp_connect(&k->creq, &k->tcp, sa, on_connected);
        if (rc == 0)
            return;
        f->last_err = rc;
        f->conn = NULL;
        k->f = NULL;
        conn_close(k);
        f->next_addr++;
    }
    if (f->proxied)
        fail(f, GK_UNAVAILABLE, "could not connect to the proxy %s port %d: %s", to->host, to->port,
             uv_strerror(f->last_err));
    else
        fail(f, GK_UNAVAILABLE, "could not connect to %s port %d: %s", to->host, to->port,
             uv_strerror(f->last_err));
}

static void on_connected(uv_connect_t *req, int status)
{
    struct conn *k = req->data;
    struct fetch *f = k->f;
    if (status == UV_ECANCELED || !f || k->closing)
        return;
    if (status < 0) {
        f->last_err = status;
        f->conn = NULL;
        k->f = NULL;
        conn_close(k);
        f->next_addr++;
        connect_next(f);
        return;
    }
    k->key = strdup(f->key);
    if (!k->key) {
        fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    uv_tcp_nodelay(&k->tcp, 1);
    uv_tcp_keepalive(&k->tcp, 1, 60);
    read_start(k);
    if (f->proxied && f->u.https) {
        int rc;
        f->phase = P_PROXY;
        gk__http_resp_init(&f->rp, &f->proxy_heads, true, NULL);
        rc = conn_write(k, f->connect_request.ptr, f->connect_request.len);
        if (rc != 0)
            fail(f, GK_UNAVAILABLE, "send failed: %s", uv_strerror(rc));
    } else if (f->u.https) {
        tls_start(f);
    } else {
        exchange_start(f);
    }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *ai)
{
    struct resolve *res = req->data;
    struct fetch *f = res->f;
    free(res);
    if (!f) {
        uv_freeaddrinfo(ai);
        return;
    }
    f->res = NULL;
    if (status < 0) {
        uv_freeaddrinfo(ai);
        fail(f, GK_UNAVAILABLE, "could not resolve %s%s: %s", f->proxied ? "the proxy " : "",
             f->proxied ? f->proxy.host : f->u.host, uv_strerror(status));
        return;
    }
    f->n_addrs = 0;
    for (const struct addrinfo *a = ai; a && f->n_addrs < MAX_ADDRS; a = a->ai_next) {
        if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) &&
            a->ai_addrlen <= sizeof(f->addrs[0]))
            memcpy(&f->addrs[f->n_addrs++], a->ai_addr, a->ai_addrlen);
    }
    uv_freeaddrinfo(ai);
    f->next_addr = 0;
    f->last_err = UV_EADDRNOTAVAIL;
    connect_next(f);
}

/* Open a new connection for f: resolve (unless the host is an address), then connect. */
static void conn_open(struct fetch *f)
{
    const struct url *to = f->proxied ? &f->proxy : &f->u;
    struct addrinfo hints;
    struct resolve *res;
    int rc;
    f->phase = P_RESOLVE;
    f->connect_deadline = uv_now(uvl(f->nl)) + (uint64_t)f->connect_ms;
    arm_timer(f);
    f->n_addrs = 0;
    f->next_addr = 0;
    f->last_err = UV_EADDRNOTAVAIL;
    if (to->v6 ? uv_ip6_addr(to->host, to->port, (struct sockaddr_in6 *)&f->addrs[0]) == 0
               : uv_ip4_addr(to->host, to->port, (struct sockaddr_in *)&f->addrs[0]) == 0) {
        f->n_addrs = 1;
        connect_next(f);
        return;
    }
    res = calloc(1, sizeof(*res));
    if (!res) {
        fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    res->f = f;
    res->req.data = res;
    rc = uv_getaddrinfo(uvl(f->nl), &res->req, on_resolved, to->host, to->port_str, &hints);
    if (rc != 0) {
        free(res);
        fail(f, GK_UNAVAILABLE, "could not resolve %s: %s", to->host, uv_strerror(rc));
        return;
    }
    f->res = res;
}

static void on_timer(uv_timer_t *t)
{
    struct fetch *f = t->data;
    uint64_t now = uv_now(uvl(f->nl));
    if (f->phase < P_EXCHANGE && now >= f->connect_deadline &&
        f->connect_deadline <= f->call_deadline)
        /* The server could not be reached in time: as refused, not as the call's deadline. */
        fail(f, GK_UNAVAILABLE, "connection timed out after %lld ms", (long long)f->connect_ms);
    else
        fail(f, GK_DEADLINE_EXCEEDED, "timed out after %lld ms", (long long)f->c->req->timeout_ms);
}

static void free_nloop(uv_handle_t *h)
{
    free(h->data);
}

static void native_loop_free(gk_loop *loop, void *state)
{
    struct nloop *nl = state;
    (void)loop;
    while (nl->idle_head)
        conn_close(nl->idle_head);
    gk__tls_loop_free(nl->tls);
    nl->tls = NULL;
    uv_timer_stop(&nl->sweep);
    uv_close((uv_handle_t *)&nl->sweep, free_nloop);
}

static struct nloop *nloop_get(gk_loop *loop)
{
    void **slot = gk__http_loop_slot(loop, GK__HTTP_NATIVE);
    struct nloop *nl;
    if (!slot)
        return NULL;
    nl = *slot;
    if (nl)
        return nl;
    nl = calloc(1, sizeof(*nl));
    if (!nl)
        return NULL;
    nl->loop = loop;
    uv_timer_init(&loop->uv, &nl->sweep);
    nl->sweep.data = nl;
    uv_unref((uv_handle_t *)&nl->sweep);
    *slot = nl;
    return nl;
}

/* Start f (loop stack): the loop's state, TLS state for https, the timer, then a pooled connection
 * or a new one. */
static void fetch_start(void *arg)
{
    struct fetch *f = arg;
    const gk_http_request *req = f->c->req;
    uint64_t now;
    struct conn *k;
    f->nl = nloop_get(gk_ctx_loop(f->c->ctx));
    if (!f->nl) {
        fail(f, GK_RESOURCE_EXHAUSTED, "out of memory starting the HTTP client");
        return;
    }
    if (f->u.https && !f->nl->tls) {
        gk_error e = {0};
        f->nl->tls = gk__tls_loop_new(&e);
        if (!f->nl->tls) {
            fail_with(f, &e);
            return;
        }
    }
    f->timer = gk__loop_timer_get(f->nl->loop);
    if (!f->timer) {
        fail(f, GK_RESOURCE_EXHAUSTED, "out of memory");
        return;
    }
    f->timer->data = f;
    now = uv_now(uvl(f->nl));
    f->call_deadline = req->timeout_ms > 0 ? now + (uint64_t)req->timeout_ms : UINT64_MAX;
    k = pool_take(f->nl, f->key);
    if (!k) {
        conn_open(f);
        return;
    }
    f->reused = true;
    f->conn = k;
    k->f = f;
    exchange_start(f);
}

/* End f now (loop stack): a cancel, or the event callback failed. */
static void fetch_abort(void *arg)
{
    struct fetch *f = arg;
    if (f->phase >= P_DONE)
        return;
    f->phase = P_FAILED;
    f->cancelled = true;
    detach(f);
}

/* The ctx was cancelled while the fiber was parked (loop stack). */
static void fetch_cancel(gk_waiter *w)
{
    fetch_abort(w->data);
    gk__wake(w);
}

/* The fiber drained what it had (loop stack): read on. */
static void fetch_resume(void *arg)
{
    struct fetch *f = arg;
    f->paused = false;
    if (f->phase != P_EXCHANGE)
        return;
    if (f->conn->tls)
        tls_pump(f); /* records already received come first */
    if (f->phase == P_EXCHANGE && !f->paused)
        read_start(f->conn);
}

static void fetch_release(void *arg)
{
    struct fetch *f = arg;
    detach(f);
    if (f->timer) {
        f->timer->data = NULL;
        gk__loop_timer_put(f->nl->loop, f->timer);
        f->timer = NULL;
    }
}

/* ---- the fiber side ---- */

static gk_status native_perform(struct gk__http_call *c, gk_error *err)
{
    struct fetch f;
    gk_status st;
    memset(&f, 0, sizeof(f));
    f.c = c;
    f.request = GK_BUF_INIT(0);
    f.connect_request = GK_BUF_INIT(0);
    f.proxy_heads = GK_BUF_INIT(PROXY_HEADS_CAP);
    f.connect_ms = c->req->connect_timeout_ms > 0 ? c->req->connect_timeout_ms : CONNECT_MS;
    st = parse_url(c->req->url, true, &f.u, "URL", err);
    if (st == GK_OK)
        st = choose_proxy(&f, err);
    if (st == GK_OK)
        st = build_request(&f, err);
    if (st != GK_OK)
        goto out;
    snprintf(f.key, sizeof(f.key), "%s://%s:%d", f.u.https ? "https" : "http", f.u.host, f.u.port);
    if (f.proxied) {
        size_t n = strlen(f.key);
        snprintf(f.key + n, sizeof(f.key) - n, " via %s:%d", f.proxy.host, f.proxy.port);
    }

    gk__loop_call(fetch_start, &f);
    for (;;) {
        if (c->pending.len > 0 && c->cb_status == GK_OK) {
            gk__http_drain(c);
            continue;
        }
        if (f.phase >= P_DONE || c->cb_status != GK_OK || gk_ctx_is_cancelled(c->ctx))
            break;
        if (f.paused) {
            gk__loop_call(fetch_resume, &f);
            continue;
        }
        f.w = (gk_waiter){.on_cancel = fetch_cancel, .data = &f};
        f.parked = true;
        gk__park(c->ctx, &f.w);
        f.parked = false;
    }
    /* Ended by the event callback or a cancel noticed outside the park: close the connection. */
    if (f.phase < P_DONE)
        gk__loop_call(fetch_abort, &f);
    gk__loop_call(fetch_release, &f);

    if (c->cb_status != GK_OK)
        st = c->cb_status; /* the front reports it */
    else if (f.cancelled)
        st = gk__http_ended(c, err);
    else if (f.phase == P_FAILED)
        st = gk_error_set(err, f.st, "", "%s %s: %s", c->method, c->where, f.msg);
    else
        st = GK_OK;
out:
    /* They held the caller's headers and credentials. */
    if (f.request.ptr)
        explicit_bzero(f.request.ptr, f.request.len);
    if (f.connect_request.ptr)
        explicit_bzero(f.connect_request.ptr, f.connect_request.len);
    gk_buf_release(&f.request);
    gk_buf_release(&f.connect_request);
    gk_buf_release(&f.proxy_heads);
    return st;
}

const struct gk__http_backend gk__http_native_backend = {
    .name = "native",
    .perform = native_perform,
    .loop_free = native_loop_free,
};
