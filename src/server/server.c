/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/server.c - starting and stopping the flow server: options, the flow table, one
 * listening socket per loop on the same port (SO_REUSEPORT, so the kernel spreads connections and
 * the hot path shares nothing), per-loop setup on the runtime's threads, SIGINT/SIGTERM, and the
 * drain that gk_runtime_stop starts on every loop. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "core/config.h"
#include "core/core.h"
#include "server/reflection.h"
#include "server/server_internal.h"

#include "base/banned.h"

#define DEFAULT_PORT        3400
#define DEFAULT_MAX_CONNS   10000
#define DEFAULT_HEADER_MS   10000
#define DEFAULT_BODY_MS     30000
#define DEFAULT_IDLE_MS     60000
#define DEFAULT_WRITE_MS    30000
#define DEFAULT_DRAIN_MS    10000
#define DEFAULT_REQUEST_MEM (64u * 1024 * 1024)
#define LISTEN_BACKLOG      4096

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

static int64_t pick_ms(int64_t v, int64_t def)
{
    return v > 0 ? v : def;
}

static int env_port(void)
{
    const char *p = getenv("PORT");
    if (!p || !*p)
        return DEFAULT_PORT;
    char *end = NULL;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno || *end || v <= 0 || v > 65535) {
        gk__log(GK_LOG_WARN, "ignoring invalid PORT \"%s\"; using %d", p, DEFAULT_PORT);
        return DEFAULT_PORT;
    }
    return (int)v;
}

/* "api", "/api/" and "/api" all mean "/api"; "" and "/" mean no prefix. */
static char *normalize_prefix(const char *p)
{
    if (!p)
        p = "";
    while (*p == '/')
        p++;
    size_t n = strlen(p);
    while (n && p[n - 1] == '/')
        n--;
    char *out = malloc(n + 2);
    if (!out)
        return NULL;
    if (n == 0) {
        out[0] = '\0';
        return out;
    }
    out[0] = '/';
    memcpy(out + 1, p, n);
    out[n + 1] = '\0';
    return out;
}

static int flow_sort(const void *x, const void *y)
{
    const struct gk__srv_flow *a = x;
    const struct gk__srv_flow *b = y;
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    return memcmp(a->name, b->name, a->len);
}

static bool listed(const char *const *names, const char *name)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The flows this server answers: every flow, or those named in expose (each must exist). */
static gk_status build_flow_table(gk_server *s, const char *const *expose, gk_error *err)
{
    for (size_t i = 0; expose && expose[i]; i++)
        if (!gk_lookup(s->g, GK_ACTION_FLOW, expose[i]))
            return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                "flow \"%s\" is listed to be served but is not defined",
                                expose[i]);
    size_t n = gk_action_count(s->g);
    s->flows = calloc(n ? n : 1, sizeof(*s->flows));
    if (!s->flows)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    for (size_t i = 0; i < n; i++) {
        gk_action *a = gk_action_at(s->g, i);
        if (!a || gk_action_get_type(a) != GK_ACTION_FLOW)
            continue;
        const char *name = gk_action_name(a);
        if (expose && !listed(expose, name))
            continue;
        s->flows[s->nflows++] = (struct gk__srv_flow){name, strlen(name), a};
    }
    qsort(s->flows, s->nflows, sizeof(*s->flows), flow_sort);
    return GK_OK;
}

static gk_status open_sockets(gk_server *s, gk_error *err)
{
    struct addrinfo hints = {0};
    struct addrinfo *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(s->host, "0", &hints, &res);
    if (rc != 0 || !res)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "cannot resolve listen address \"%s\": %s",
                            s->host, gai_strerror(rc));
    struct sockaddr_storage addr;
    socklen_t addr_len = (socklen_t)res->ai_addrlen;
    memcpy(&addr, res->ai_addr, res->ai_addrlen);
    int family = res->ai_family;
    freeaddrinfo(res);

    int port = s->port;
    for (int i = 0; i < s->nloops; i++) {
        if (family == AF_INET6)
            ((struct sockaddr_in6 *)&addr)->sin6_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in *)&addr)->sin_port = htons((uint16_t)port);
        int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return gk_error_set(err, GK_UNAVAILABLE, "", "socket: %s", strerror(errno));
        s->fds[i] = fd;
        int one = 1;
        /* One socket per loop on the same port: the kernel spreads new connections over them.
         * libuv 1.44 has no flag for SO_REUSEPORT, so the socket is made here and adopted with
         * uv_tcp_open on its loop. */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
            return gk_error_set(err, GK_UNAVAILABLE, "", "setsockopt: %s", strerror(errno));
        if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0)
            return gk_error_set(err, GK_UNAVAILABLE, "", "cannot listen on %s:%d: %s", s->host,
                                port, strerror(errno));
        if (listen(fd, LISTEN_BACKLOG) != 0)
            return gk_error_set(err, GK_UNAVAILABLE, "", "listen on %s:%d: %s", s->host, port,
                                strerror(errno));
        if (port == 0) {
            struct sockaddr_storage bound;
            socklen_t bl = sizeof(bound);
            if (getsockname(fd, (struct sockaddr *)&bound, &bl) != 0)
                return gk_error_set(err, GK_UNAVAILABLE, "", "getsockname: %s", strerror(errno));
            port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                      : ntohs(((struct sockaddr_in *)&bound)->sin_port);
        }
    }
    s->port = port;
    return GK_OK;
}

static void server_free(gk_server *s)
{
    if (!s)
        return;
    for (int i = 0; s->fds && i < s->nloops; i++)
        if (s->fds[i] >= 0)
            close(s->fds[i]);
    for (int i = 0; s->loops && i < s->nloops; i++) {
        struct gk__srv_loop *sl = &s->loops[i];
        while (sl->free_conns) {
            struct gk__srv_conn *c = sl->free_conns;
            sl->free_conns = c->next;
            free(c);
        }
        while (sl->free_wreqs) {
            struct gk__srv_wreq *w = sl->free_wreqs;
            sl->free_wreqs = w->next;
            free(w->data);
            free(w);
        }
        for (size_t k = 0; k < sl->n_free_bufs; k++)
            free(sl->free_bufs[k]);
        for (size_t k = 0; k < sl->n_free_gkbufs; k++) {
            gk_buf_release(sl->free_gkbufs[k]);
            free(sl->free_gkbufs[k]);
        }
        free(sl->free_bufs);
        free(sl->free_gkbufs);
    }
    gk__srv_ops_free(s);
    if (s->sem_ready)
        uv_sem_destroy(&s->started_sem);
    free(s->loops);
    free(s->fds);
    free(s->flows);
    free(s->host);
    free(s->prefix);
    free(s);
}

static gk_server *server_new(gk_genkit *g, const gk_server_opts *opts, bool signals, gk_error *err)
{
    gk_server_opts o = {0};
    if (opts)
        o = *opts;
    if (!g) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "no genkit instance");
        return NULL;
    }
    /* genkit.yaml (read by gk_init) is the operator's word: it overrides the program's options. */
    const gk_config *cfg = gk__genkit_config(g);
    if (cfg)
        gk__config_apply_server(cfg, &o);
    gk_server *s = calloc(1, sizeof(*s));
    if (!s) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        return NULL;
    }
    s->g = g;
    s->rt = gk_genkit_runtime(g);
    s->signals = signals;
    s->host = dup_str(o.host && *o.host ? o.host : "0.0.0.0");
    s->prefix = normalize_prefix(o.path_prefix);
    s->port = o.port > 0 ? o.port : o.port == 0 ? env_port() : 0;
    s->limits.max_header_bytes = o.max_header_bytes ? o.max_header_bytes : 16 * 1024;
    s->limits.max_body_bytes = o.max_body_bytes ? o.max_body_bytes : 1024 * 1024;
    s->limits.max_headers = 100;
    s->max_connections = o.max_connections > 0 ? o.max_connections : DEFAULT_MAX_CONNS;
    s->header_timeout_ms = pick_ms(o.header_timeout_ms, DEFAULT_HEADER_MS);
    s->body_timeout_ms = pick_ms(o.body_timeout_ms, DEFAULT_BODY_MS);
    s->idle_timeout_ms = pick_ms(o.idle_timeout_ms, DEFAULT_IDLE_MS);
    s->write_timeout_ms = pick_ms(o.write_timeout_ms, DEFAULT_WRITE_MS);
    s->drain_timeout_ms = pick_ms(o.drain_timeout_ms, DEFAULT_DRAIN_MS);
    s->quiet = o.quiet;
    s->request_memory = o.request_memory ? o.request_memory : DEFAULT_REQUEST_MEM;
    /* The sweep's period bounds how late a deadline fires: a quarter of the shortest one. */
    int64_t tick = s->header_timeout_ms;
    int64_t all[] = {s->body_timeout_ms, s->idle_timeout_ms, s->write_timeout_ms,
                     s->drain_timeout_ms};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i] < tick)
            tick = all[i];
    tick /= 4;
    s->tick_ms = tick < 10 ? 10 : tick > 1000 ? 1000 : tick;

    if (!s->host || !s->prefix || !s->rt) {
        gk_error_set(err, s->rt ? GK_RESOURCE_EXHAUSTED : GK_INVALID_ARGUMENT, "",
                     s->rt ? "out of memory" : "genkit instance has no runtime");
        server_free(s);
        return NULL;
    }
    s->prefix_len = strlen(s->prefix);
    s->nloops = gk_runtime_threads(s->rt);
    if (s->nloops < 1)
        s->nloops = 1;
    s->loops = calloc((size_t)s->nloops, sizeof(*s->loops));
    s->fds = malloc((size_t)s->nloops * sizeof(*s->fds));
    if (!s->loops || !s->fds || uv_sem_init(&s->started_sem, 0) != 0) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        server_free(s);
        return NULL;
    }
    s->sem_ready = true;
    for (int i = 0; i < s->nloops; i++)
        s->fds[i] = -1;

    gk__genkit_freeze(g);
    if (build_flow_table(s, o.flows, err) != GK_OK) {
        server_free(s);
        return NULL;
    }
    /* CORS, auth rules, /openapi.json and metrics (metrics.c). */
    if (gk__srv_ops_init(s, &o, err) != GK_OK) {
        server_free(s);
        return NULL;
    }
    /* A client that vanishes mid-write must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);
    if (open_sockets(s, err) != GK_OK) {
        server_free(s);
        return NULL;
    }
    bool v6 = strchr(s->host, ':') != NULL;
    gk__log(GK_LOG_INFO, "listening on http://%s%s%s:%d", v6 ? "[" : "", s->host, v6 ? "]" : "",
            s->port);
    if (o.on_listen)
        o.on_listen(s->port, o.on_listen_arg);
    return s;
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct gk__srv_loop *sl = h->data;
    gk_server *s = sl->s;
    if (!atomic_exchange(&s->stopping, true)) {
        gk__log(GK_LOG_INFO, "received %s: draining (grace %lld ms)", strsignal(signum),
                (long long)s->drain_timeout_ms);
        gk_runtime_stop(s->rt);
    } else {
        gk__log(GK_LOG_WARN, "received %s again: cancelling in-flight requests",
                strsignal(signum));
        atomic_store(&s->force, true);
    }
}

static void on_loop_stop(gk_loop *loop, void *arg)
{
    struct gk__srv_loop *sl = arg;
    (void)loop;
    gk__srv_loop_drain(sl);
}

static void start_failed(gk_server *s, struct gk__srv_loop *sl, const char *what, int rc)
{
    gk__log(GK_LOG_ERROR, "server loop %d: %s: %s", sl->index, what, uv_strerror(rc));
    atomic_store(&s->start_failed, true);
    gk_runtime_stop(s->rt);
}

static void on_loop_start(gk_loop *loop, void *arg)
{
    gk_server *s = arg;
    int i = gk_loop_index(loop);
    struct gk__srv_loop *sl = &s->loops[i];
    int rc;

    sl->s = s;
    sl->loop = loop;
    sl->uv = gk__loop_uv(loop);
    sl->index = i;
    sl->free_bufs = calloc(GK__SRV_POOL_MAX, sizeof(*sl->free_bufs));
    sl->free_gkbufs = calloc(GK__SRV_POOL_MAX, sizeof(*sl->free_gkbufs));
    gk__srv_update_date(sl);

    if (!gk__loop_on_stop(loop, on_loop_stop, sl)) {
        start_failed(s, sl, "registering the drain", UV_ENOMEM);
        goto out;
    }
    uv_timer_init(sl->uv, &sl->sweep);
    sl->sweep.data = sl;
    uv_timer_start(&sl->sweep, gk__srv_sweep, (uint64_t)s->tick_ms, (uint64_t)s->tick_ms);
    sl->sweep_on = true;

    uv_tcp_init(sl->uv, &sl->listener);
    sl->listener.data = sl;
    sl->listening = true; /* closed by the drain from here on, even if adopting the socket fails */
    rc = uv_tcp_open(&sl->listener, s->fds[i]);
    if (rc != 0) {
        start_failed(s, sl, "adopting the listening socket", rc);
        goto out;
    }
    s->fds[i] = -1; /* libuv owns it now */
    rc = uv_listen((uv_stream_t *)&sl->listener, LISTEN_BACKLOG, gk__srv_on_connection);
    if (rc != 0) {
        start_failed(s, sl, "listen", rc);
        goto out;
    }
    if (i == 0 && s->signals) {
        uv_signal_init(sl->uv, &sl->sigint);
        uv_signal_init(sl->uv, &sl->sigterm);
        sl->sigint.data = sl;
        sl->sigterm.data = sl;
        sl->signals_on = true;
        uv_signal_start(&sl->sigint, on_signal, SIGINT);
        uv_signal_start(&sl->sigterm, on_signal, SIGTERM);
    }
out:
    atomic_fetch_add(&s->started, 1);
    uv_sem_post(&s->started_sem);
}

gk_status gk_serve(gk_genkit *g, const gk_server_opts *opts, gk_error *err)
{
    gk_server *s = server_new(g, opts, true, err);
    if (!s)
        return err ? err->status : GK_UNAVAILABLE;
    gk__reflection_auto_start(g); /* GENKIT_ENV=dev only */
    gk_error run_err = {0};
    gk_status st = gk_runtime_run(s->rt, on_loop_start, s, &run_err);
    gk__reflection_auto_stop();
    if (st == GK_OK && atomic_load(&s->start_failed))
        st = gk_error_set(&run_err, GK_INTERNAL, "", "a server loop failed to start (see log)");
    if (st != GK_OK && err)
        *err = run_err;
    else
        gk__log(GK_LOG_INFO, "server stopped");
    server_free(s);
    return st;
}

static void *run_thread(void *arg)
{
    gk_server *s = arg;
    s->run_status = gk_runtime_run(s->rt, on_loop_start, s, &s->run_err);
    atomic_store(&s->start_failed, atomic_load(&s->start_failed) || s->run_status != GK_OK);
    uv_sem_post(&s->started_sem); /* wake gk_server_start if the loops never came up */
    return NULL;
}

gk_server *gk_server_start(gk_genkit *g, const gk_server_opts *opts, gk_error *err)
{
    gk_server *s = server_new(g, opts, false, err);
    if (!s)
        return NULL;
    if (pthread_create(&s->thread, NULL, run_thread, s) != 0) {
        gk_error_set(err, GK_INTERNAL, "", "cannot start the server thread");
        server_free(s);
        return NULL;
    }
    s->threaded = true;
    while (atomic_load(&s->started) < s->nloops && !atomic_load(&s->start_failed))
        uv_sem_wait(&s->started_sem);
    if (atomic_load(&s->start_failed)) {
        gk_runtime_stop(s->rt);
        pthread_join(s->thread, NULL);
        gk_error_set(err, GK_INTERNAL, "", "the server failed to start: %s",
                     s->run_err.message[0] ? s->run_err.message : "see log");
        server_free(s);
        return NULL;
    }
    gk__reflection_auto_start(g); /* GENKIT_ENV=dev only */
    return s;
}

int gk_server_port(const gk_server *s)
{
    return s ? s->port : 0;
}

int gk_server_connections(const gk_server *s)
{
    return s ? atomic_load(&((gk_server *)s)->connections) : 0;
}

void gk_server_stop(gk_server *s)
{
    if (!s)
        return;
    gk__reflection_auto_stop();
    atomic_store(&s->stopping, true);
    gk_runtime_stop(s->rt);
    if (s->threaded)
        pthread_join(s->thread, NULL);
    server_free(s);
}
