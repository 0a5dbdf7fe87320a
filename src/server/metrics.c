/* SPDX-License-Identifier: Apache-2.0 */
/* src/server/metrics.c - GET /metrics in the Prometheus text format (0.0.4): per-flow request
 * counts by status, error counts, latency histograms and in-flight gauges; HTTP responses by code;
 * connections; fibers per loop; process metrics from /proc; and the process-wide registry of
 * metrics.h for other layers. The server's own counters live in per-loop blocks written only by
 * their loop (relaxed atomic loads and stores, no read-modify-write, no lock) and are summed at
 * scrape. Also the set-up and release of the operations features (gk__srv_ops_init). */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <genkit/json.h>

#include "core/core.h"
#include "server/metrics.h"
#include "server/server_internal.h"

#include "base/banned.h"

#define NSTATUS    17  /* Genkit statuses, codes 0..16 */
#define NCODES     600 /* HTTP status codes counted (100..599) */
#define NSHARDS    16  /* per-thread shards of a registry series */
#define TABLE_SIZE (2 * GK__METRICS_MAX_SERIES)
#define KEY_MAX    1024 /* name{labels} of one series */

typedef _Atomic uint64_t counter;

static const double bucket_bounds[GK__METRICS_BUCKETS] = GK__METRICS_BUCKET_BOUNDS;

/* ------------------------------------------------------------------------------------------ */
/* The server's per-loop counters. */

struct flow_stats {
    counter by_status[NSTATUS];
    counter buckets[GK__METRICS_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    counter sum_ns;
    counter in_flight; /* may be read mid-update; only its loop writes it */
};

/* One loop's block, cache-line aligned so loops never share a line. Invariant: flows has the
 * server's nflows entries. */
struct gk__srv_loop_stats {
    _Alignas(64) counter codes[NCODES];
    struct flow_stats flows[];
};

/* Add d to a counter only this thread writes: a load and a store, no locked instruction. */
static void bump(counter *x, uint64_t d)
{
    atomic_store_explicit(x, atomic_load_explicit(x, memory_order_relaxed) + d,
                          memory_order_relaxed);
}

static uint64_t get(counter *x)
{
    return atomic_load_explicit(x, memory_order_relaxed);
}

gk_status gk__srv_outcome(const struct gk__srv_request *r)
{
    if (r->outcome_set)
        return r->outcome;
    switch (r->status) {
    case 0:
    case 499:
        return GK_CANCELLED;
    case 200:
    case 204:
        return GK_OK;
    case 401:
        return GK_UNAUTHENTICATED;
    case 403:
        return GK_PERMISSION_DENIED;
    case 404:
        return GK_NOT_FOUND;
    case 409:
        return GK_ABORTED;
    case 413:
    case 429:
    case 431:
        return GK_RESOURCE_EXHAUSTED;
    case 501:
        return GK_UNIMPLEMENTED;
    case 503:
        return GK_UNAVAILABLE;
    case 504:
        return GK_DEADLINE_EXCEEDED;
    default:
        if (r->status >= 400 && r->status < 500)
            return GK_INVALID_ARGUMENT;
        return r->status >= 500 ? GK_INTERNAL : GK_OK;
    }
}

static void on_request_end(void *arg)
{
    struct gk__srv_request *r = arg;
    gk_server *s = r->c->sl->s;
    struct gk__srv_loop_stats *ls = s->stats ? s->stats[r->c->sl->index] : NULL;
    if (!ls)
        return;
    int code = r->status ? r->status : 499;
    if (code >= 100 && code < NCODES)
        bump(&ls->codes[code], 1);
    if (r->flow_index < 0)
        return;
    struct flow_stats *f = &ls->flows[r->flow_index];
    atomic_store_explicit(&f->in_flight, get(&f->in_flight) - 1, memory_order_relaxed);
    gk_status st = gk__srv_outcome(r);
    if ((unsigned)st < NSTATUS)
        bump(&f->by_status[st], 1);
    uint64_t ns = uv_hrtime() - r->start_ns;
    double sec = (double)ns / 1e9;
    size_t b = 0;
    while (b < GK__METRICS_BUCKETS && sec > bucket_bounds[b])
        b++;
    bump(&f->buckets[b], 1);
    bump(&f->sum_ns, ns);
}

void gk__srv_metrics_track(struct gk__srv_request *r)
{
    r->flow_index = -1;
    gk_arena_defer(r->arena, on_request_end, r); /* out of memory: this request goes uncounted */
}

void gk__srv_metrics_flow(struct gk__srv_request *r, size_t i)
{
    gk_server *s = r->c->sl->s;
    r->flow_index = (ptrdiff_t)i;
    if (s->stats && s->stats[r->c->sl->index])
        bump(&s->stats[r->c->sl->index]->flows[i].in_flight, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* The registry (metrics.h). */

struct gk__metric {
    gk__metric_kind kind;
    char *name;   /* metric name */
    char *help;   /* copied from the first series of this name */
    char *labels; /* rendered: k="v",k2="v2" (no braces), possibly "" */
    char *key;    /* name{labels}: the table key */
    uint64_t hash;
    /* NSHARDS shards: one value each (counter, gauge), or per shard the buckets + sum + count of
     * a histogram (GK__METRICS_BUCKETS + 3 words; the sum holds a double's bits). */
    counter *cells;
    size_t stride; /* words per shard, rounded up to a cache line */
};

static _Atomic(gk__metric *) table[TABLE_SIZE];
static gk__metric *all_series[GK__METRICS_MAX_SERIES];
static size_t nseries;
static counter dropped;
static counter epoch = 1;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint next_shard;
static _Thread_local int my_shard = -1;

static int shard(void)
{
    if (my_shard < 0)
        my_shard = (int)(atomic_fetch_add_explicit(&next_shard, 1, memory_order_relaxed) % NSHARDS);
    return my_shard;
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s)
        return false;
    for (size_t i = 0; s[i]; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                  (colon && ch == ':') || (i > 0 && ch >= '0' && ch <= '9');
        if (!ok)
            return false;
    }
    return true;
}

/* A fixed-size builder for series keys on the stack. */
struct keybuf {
    char p[KEY_MAX];
    size_t len;
    bool failed;
};

static void kput(struct keybuf *k, const char *s, size_t n)
{
    if (k->failed || k->len + n >= KEY_MAX) {
        k->failed = true;
        return;
    }
    memcpy(k->p + k->len, s, n);
    k->len += n;
    k->p[k->len] = '\0';
}

static void kputs(struct keybuf *k, const char *s)
{
    kput(k, s, strlen(s));
}

static void kput_escaped(struct keybuf *k, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            kput(k, "\\\\", 2);
        else if (*s == '"')
            kput(k, "\\\"", 2);
        else if (*s == '\n')
            kput(k, "\\n", 2);
        else
            kput(k, s, 1);
    }
}

/* Render name{labels} into k and return where the labels start (0 if none). */
static bool render_key(struct keybuf *k, const char *name, const char *const *labels,
                       size_t *labels_at)
{
    kputs(k, name);
    *labels_at = 0;
    if (!labels || !labels[0])
        return !k->failed;
    kput(k, "{", 1);
    *labels_at = k->len;
    size_t pairs = 0;
    for (size_t i = 0; labels[i]; i += 2) {
        if (!labels[i + 1] || ++pairs > GK__METRICS_MAX_LABELS || !valid_name(labels[i], false) ||
            strncmp(labels[i], "__", 2) == 0 || !gk_utf8_valid(labels[i + 1], strlen(labels[i + 1])))
            return false;
        if (i)
            kput(k, ",", 1);
        kputs(k, labels[i]);
        kput(k, "=\"", 2);
        kput_escaped(k, labels[i + 1]);
        kput(k, "\"", 1);
    }
    kput(k, "}", 1);
    return !k->failed;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static void series_free(gk__metric *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->help);
    free(m->labels);
    free(m->key);
    free(m->cells);
    free(m);
}

static gk__metric *series_new(gk__metric_kind kind, const char *name, const char *help,
                              const struct keybuf *k, size_t labels_at, uint64_t h)
{
    gk__metric *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    size_t words = kind == GK__METRIC_HISTOGRAM ? GK__METRICS_BUCKETS + 3 : 1;
    m->stride = (words + 7) / 8 * 8;
    m->kind = kind;
    m->hash = h;
    m->name = dup_n(name, strlen(name));
    m->help = dup_n(help ? help : "", help ? strlen(help) : 0);
    m->key = dup_n(k->p, k->len);
    m->labels = labels_at ? dup_n(k->p + labels_at, k->len - labels_at - 1) : dup_n("", 0);
    m->cells = aligned_alloc(64, NSHARDS * m->stride * sizeof(counter));
    if (!m->name || !m->help || !m->key || !m->labels || !m->cells) {
        series_free(m);
        return NULL;
    }
    for (size_t i = 0; i < NSHARDS * m->stride; i++)
        atomic_init(&m->cells[i], 0);
    return m;
}

gk__metric *gk__metrics_series(gk__metric_kind kind, const char *name, const char *help,
                               const char *const *labels)
{
    struct keybuf k = {.len = 0};
    size_t labels_at = 0;
    if (!valid_name(name, true) || !render_key(&k, name, labels, &labels_at))
        return NULL;
    uint64_t h = hash_str(k.p, k.len);
    size_t slot = (size_t)(h % TABLE_SIZE);
    /* Lock-free look-up: slots only ever go from NULL to a series while the process runs. */
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        gk__metric *m = atomic_load_explicit(&table[(slot + i) % TABLE_SIZE], memory_order_acquire);
        if (!m)
            break;
        if (m->hash == h && strcmp(m->key, k.p) == 0)
            return m->kind == kind ? m : NULL;
    }
    pthread_mutex_lock(&reg_lock);
    gk__metric *found = NULL;
    size_t free_slot = TABLE_SIZE;
    for (size_t i = 0; i < TABLE_SIZE; i++) {
        size_t at = (slot + i) % TABLE_SIZE;
        gk__metric *m = atomic_load_explicit(&table[at], memory_order_relaxed);
        if (!m) {
            free_slot = at;
            break;
        }
        if (m->hash == h && strcmp(m->key, k.p) == 0) {
            found = m;
            break;
        }
    }
    if (found) {
        pthread_mutex_unlock(&reg_lock);
        return found->kind == kind ? found : NULL;
    }
    /* The same name with another kind would make an invalid exposition. */
    for (size_t i = 0; i < nseries; i++) {
        if (strcmp(all_series[i]->name, name) == 0 && all_series[i]->kind != kind) {
            pthread_mutex_unlock(&reg_lock);
            return NULL;
        }
    }
    gk__metric *m = NULL;
    if (nseries < GK__METRICS_MAX_SERIES && free_slot < TABLE_SIZE)
        m = series_new(kind, name, help, &k, labels_at, h);
    if (m) {
        all_series[nseries++] = m;
        atomic_store_explicit(&table[free_slot], m, memory_order_release);
    } else {
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&reg_lock);
    return m;
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

/* Add v to a double held as bits. Shards make contention rare, so the CAS loop rarely spins. */
static void add_double(counter *cell, double v)
{
    uint64_t old = atomic_load_explicit(cell, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(cell, &old,
                                                  double_to_bits(bits_to_double(old) + v),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
}

void gk__metric_add(gk__metric *m, double v)
{
    if (!m || m->kind == GK__METRIC_HISTOGRAM || !isfinite(v))
        return;
    if (m->kind == GK__METRIC_COUNTER && v < 0)
        return;
    add_double(&m->cells[(size_t)shard() * m->stride], v);
}

void gk__metric_observe(gk__metric *m, double v)
{
    if (!m || m->kind != GK__METRIC_HISTOGRAM || isnan(v))
        return;
    counter *c = &m->cells[(size_t)shard() * m->stride];
    size_t b = 0;
    while (b < GK__METRICS_BUCKETS && v > bucket_bounds[b])
        b++;
    atomic_fetch_add_explicit(&c[b], 1, memory_order_relaxed);
    add_double(&c[GK__METRICS_BUCKETS + 1], v);
    atomic_fetch_add_explicit(&c[GK__METRICS_BUCKETS + 2], 1, memory_order_relaxed);
}

void gk__metrics_counter_add(const char *name, const char *help, const char *const *labels,
                             double v)
{
    gk__metric_add(gk__metrics_series(GK__METRIC_COUNTER, name, help, labels), v);
}

void gk__metrics_gauge_add(const char *name, const char *help, const char *const *labels,
                           double v)
{
    gk__metric_add(gk__metrics_series(GK__METRIC_GAUGE, name, help, labels), v);
}

void gk__metrics_observe(const char *name, const char *help, const char *const *labels,
                         double v)
{
    gk__metric_observe(gk__metrics_series(GK__METRIC_HISTOGRAM, name, help, labels), v);
}

void gk__metrics_reset(void)
{
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < TABLE_SIZE; i++)
        atomic_store_explicit(&table[i], NULL, memory_order_relaxed);
    for (size_t i = 0; i < nseries; i++)
        series_free(all_series[i]);
    nseries = 0;
    atomic_store(&dropped, 0);
    atomic_fetch_add(&epoch, 1);
    pthread_mutex_unlock(&reg_lock);
}

uint64_t gk__metrics_epoch(void)
{
    return atomic_load_explicit(&epoch, memory_order_acquire);
}

/* ------------------------------------------------------------------------------------------ */
/* The text format. */

static void put_value(gk_buf *b, double v)
{
    if (isnan(v))
        gk_buf_puts(b, "NaN");
    else if (isinf(v))
        gk_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9007199254740992.0)
        gk_buf_printf(b, "%lld", (long long)v);
    else
        gk_buf_printf(b, "%.15g", v);
}

void gk__metrics_put_label_value(gk_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            gk_buf_puts(b, "\\\\");
        else if (*s == '"')
            gk_buf_puts(b, "\\\"");
        else if (*s == '\n')
            gk_buf_puts(b, "\\n");
        else
            gk_buf_putc(b, *s);
    }
}

static void put_help(gk_buf *b, const char *name, const char *help, const char *type)
{
    gk_buf_printf(b, "# HELP %s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            gk_buf_puts(b, "\\\\");
        else if (*p == '\n')
            gk_buf_puts(b, "\\n");
        else
            gk_buf_putc(b, *p);
    }
    gk_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* name{labels,extra} v: labels is rendered k="v" pairs or "", extra one more pair or NULL. */
static void put_sample(gk_buf *b, const char *name, const char *suffix, const char *labels,
                       const char *extra, double v)
{
    gk_buf_puts(b, name);
    gk_buf_puts(b, suffix);
    bool any = labels && *labels;
    if (any || extra) {
        gk_buf_putc(b, '{');
        if (any)
            gk_buf_puts(b, labels);
        if (any && extra)
            gk_buf_putc(b, ',');
        if (extra)
            gk_buf_puts(b, extra);
        gk_buf_putc(b, '}');
    }
    gk_buf_putc(b, ' ');
    put_value(b, v);
    gk_buf_putc(b, '\n');
}

static void put_histogram(gk_buf *b, const char *name, const char *labels, const uint64_t *buckets,
                          double sum, uint64_t count)
{
    uint64_t cum = 0;
    char le[48];
    for (size_t i = 0; i <= GK__METRICS_BUCKETS; i++) {
        cum += buckets[i];
        if (i < GK__METRICS_BUCKETS)
            snprintf(le, sizeof(le), "le=\"%g\"", bucket_bounds[i]);
        else
            snprintf(le, sizeof(le), "le=\"+Inf\"");
        put_sample(b, name, "_bucket", labels, le, (double)cum);
    }
    put_sample(b, name, "_sum", labels, NULL, sum);
    put_sample(b, name, "_count", labels, NULL, (double)count);
}

static int series_cmp(const void *x, const void *y)
{
    const gk__metric *a = *(gk__metric *const *)x;
    const gk__metric *b = *(gk__metric *const *)y;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->labels, b->labels);
}

void gk__metrics_write_registry(gk_buf *b)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&reg_lock);
    gk__metric *sorted[GK__METRICS_MAX_SERIES];
    size_t n = nseries;
    memcpy(sorted, all_series, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), series_cmp);
    for (size_t i = 0; i < n; i++) {
        gk__metric *m = sorted[i];
        if (i == 0 || strcmp(sorted[i - 1]->name, m->name) != 0) {
            /* The first help text given for this name, whichever series brought it. */
            const char *help = m->help;
            for (size_t k = i + 1; !*help && k < n && strcmp(sorted[k]->name, m->name) == 0; k++)
                help = sorted[k]->help;
            put_help(b, m->name, help, type_names[m->kind]);
        }
        if (m->kind != GK__METRIC_HISTOGRAM) {
            double v = 0;
            for (size_t s = 0; s < NSHARDS; s++)
                v += bits_to_double(atomic_load_explicit(&m->cells[s * m->stride],
                                                         memory_order_relaxed));
            put_sample(b, m->name, "", m->labels, NULL, v);
            continue;
        }
        uint64_t buckets[GK__METRICS_BUCKETS + 1] = {0};
        double sum = 0;
        uint64_t count = 0;
        for (size_t s = 0; s < NSHARDS; s++) {
            counter *c = &m->cells[s * m->stride];
            for (size_t k = 0; k <= GK__METRICS_BUCKETS; k++)
                buckets[k] += atomic_load_explicit(&c[k], memory_order_relaxed);
            sum += bits_to_double(atomic_load_explicit(&c[GK__METRICS_BUCKETS + 1],
                                                       memory_order_relaxed));
            count += atomic_load_explicit(&c[GK__METRICS_BUCKETS + 2], memory_order_relaxed);
        }
        put_histogram(b, m->name, m->labels, buckets, sum, count);
    }
    pthread_mutex_unlock(&reg_lock);
    put_help(b, "genkit_metrics_dropped_series_total",
             "Series not recorded because the registry was full or the series was invalid",
             "counter");
    put_sample(b, "genkit_metrics_dropped_series_total", "", "", NULL,
               (double)atomic_load(&dropped));
}

/* ------------------------------------------------------------------------------------------ */
/* Process metrics (Linux /proc; absent elsewhere). */

static bool read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n > 0;
}

/* Fields of /proc/self/stat after the command name (which may hold spaces): field 3 is index 0. */
static bool stat_fields(unsigned long long *out, size_t want)
{
    char buf[1024];
    if (!read_file("/proc/self/stat", buf, sizeof(buf)))
        return false;
    const char *p = strrchr(buf, ')');
    if (!p)
        return false;
    p++;
    for (size_t i = 0; i < want; i++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return false;
        char *end = NULL;
        out[i] = strtoull(p, &end, 10);
        if (end == p) { /* the state letter */
            out[i] = 0;
            end = (char *)p + 1;
        }
        p = end;
    }
    return true;
}

/* The process's start (Unix seconds), read from /proc at the first scrape rather than at start-up
 * (two /proc reads are a measurable part of a cold start); 0 if /proc has no answer. */
static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static double start_time;

static void read_start_time(void)
{
    unsigned long long f[20];
    char buf[8192];
    if (!stat_fields(f, 20) || !read_file("/proc/stat", buf, sizeof(buf)))
        return;
    const char *bt = strstr(buf, "\nbtime ");
    if (!bt)
        return;
    double btime = strtod(bt + 7, NULL);
    long hz = sysconf(_SC_CLK_TCK);
    if (hz > 0)
        start_time = btime + (double)f[19] / (double)hz; /* field 22: starttime */
}

static double process_start_time(void)
{
    pthread_once(&start_once, read_start_time);
    return start_time;
}

static void write_process(gk_server *s, gk_buf *b)
{
    unsigned long long f[22];
    long hz = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (stat_fields(f, 22) && hz > 0 && page > 0) {
        /* Fields 14/15 (utime, stime) are indexes 11/12; 23/24 (vsize, rss) are 20/21. */
        put_help(b, "process_cpu_seconds_total", "Total user and system CPU time in seconds",
                 "counter");
        put_sample(b, "process_cpu_seconds_total", "", "", NULL,
                   (double)(f[11] + f[12]) / (double)hz);
        put_help(b, "process_virtual_memory_bytes", "Virtual memory size in bytes", "gauge");
        put_sample(b, "process_virtual_memory_bytes", "", "", NULL, (double)f[20]);
        put_help(b, "process_resident_memory_bytes", "Resident memory size in bytes", "gauge");
        put_sample(b, "process_resident_memory_bytes", "", "", NULL, (double)f[21] * (double)page);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        size_t n = 0;
        for (struct dirent *e = readdir(d); e; e = readdir(d))
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        put_help(b, "process_open_fds", "Number of open file descriptors", "gauge");
        put_sample(b, "process_open_fds", "", "", NULL, (double)(n ? n - 1 : 0)); /* not ours */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        put_help(b, "process_max_fds", "Maximum number of open file descriptors", "gauge");
        put_sample(b, "process_max_fds", "", "", NULL, (double)rl.rlim_cur);
    }
    double started = process_start_time();
    if (started <= 0)
        started = s->start_time;
    if (started > 0) {
        put_help(b, "process_start_time_seconds",
                 "Start time of the process since the Unix epoch in seconds", "gauge");
        put_sample(b, "process_start_time_seconds", "", "", NULL, started);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* The scrape. */

static void flow_label(gk_buf *lab, const char *name, const char *status)
{
    gk_buf_reset(lab);
    gk_buf_puts(lab, "flow=\"");
    gk__metrics_put_label_value(lab, name);
    gk_buf_putc(lab, '"');
    if (status) {
        gk_buf_puts(lab, ",status=\"");
        gk_buf_puts(lab, status);
        gk_buf_putc(lab, '"');
    }
}

static void write_flows(gk_server *s, gk_buf *b, gk_buf *lab)
{
    size_t nf = s->nflows;
    put_help(b, "genkit_flow_requests_total",
             "Flow requests by final status (Genkit status name)", "counter");
    for (size_t i = 0; i < nf; i++) {
        for (int st = 0; st < NSTATUS; st++) {
            uint64_t v = 0;
            for (int l = 0; l < s->nloops; l++)
                v += get(&s->stats[l]->flows[i].by_status[st]);
            if (v == 0 && st != GK_OK)
                continue;
            flow_label(lab, s->flows[i].name, gk_status_name((gk_status)st));
            put_sample(b, "genkit_flow_requests_total", "", lab->ptr, NULL, (double)v);
        }
    }
    put_help(b, "genkit_flow_errors_total", "Failed flow requests by Genkit status name",
             "counter");
    for (size_t i = 0; i < nf; i++) {
        for (int st = 1; st < NSTATUS; st++) {
            uint64_t v = 0;
            for (int l = 0; l < s->nloops; l++)
                v += get(&s->stats[l]->flows[i].by_status[st]);
            if (v == 0)
                continue;
            flow_label(lab, s->flows[i].name, gk_status_name((gk_status)st));
            put_sample(b, "genkit_flow_errors_total", "", lab->ptr, NULL, (double)v);
        }
    }
    put_help(b, "genkit_flow_latency_seconds",
             "Flow request latency from the complete request to the last byte handed to the socket",
             "histogram");
    for (size_t i = 0; i < nf; i++) {
        uint64_t buckets[GK__METRICS_BUCKETS + 1] = {0};
        uint64_t sum_ns = 0;
        uint64_t count = 0;
        for (int l = 0; l < s->nloops; l++) {
            struct flow_stats *f = &s->stats[l]->flows[i];
            for (size_t k = 0; k <= GK__METRICS_BUCKETS; k++) {
                uint64_t v = get(&f->buckets[k]);
                buckets[k] += v;
                count += v;
            }
            sum_ns += get(&f->sum_ns);
        }
        flow_label(lab, s->flows[i].name, NULL);
        put_histogram(b, "genkit_flow_latency_seconds", lab->ptr, buckets, (double)sum_ns / 1e9,
                      count);
    }
    put_help(b, "genkit_flow_in_flight", "Flow requests being answered now", "gauge");
    for (size_t i = 0; i < nf; i++) {
        int64_t v = 0;
        for (int l = 0; l < s->nloops; l++)
            v += (int64_t)get(&s->stats[l]->flows[i].in_flight);
        flow_label(lab, s->flows[i].name, NULL);
        put_sample(b, "genkit_flow_in_flight", "", lab->ptr, NULL, (double)v);
    }
}

static void write_server(gk_server *s, gk_buf *b)
{
    put_help(b, "genkit_http_responses_total", "HTTP responses by status code", "counter");
    for (int code = 100; code < NCODES; code++) {
        uint64_t v = 0;
        for (int l = 0; l < s->nloops; l++)
            v += get(&s->stats[l]->codes[code]);
        if (v == 0)
            continue;
        char lab[24];
        snprintf(lab, sizeof(lab), "code=\"%d\"", code);
        put_sample(b, "genkit_http_responses_total", "", lab, NULL, (double)v);
    }
    put_help(b, "genkit_http_connections", "Open client connections", "gauge");
    put_sample(b, "genkit_http_connections", "", "", NULL, (double)atomic_load(&s->connections));
    put_help(b, "genkit_http_connections_rejected_total",
             "Connections refused because max_connections was reached", "counter");
    put_sample(b, "genkit_http_connections_rejected_total", "", "", NULL,
               (double)atomic_load(&s->rejected));
    put_help(b, "genkit_fibers", "Fibers alive per event loop", "gauge");
    for (int l = 0; l < s->nloops; l++) {
        char lab[24];
        snprintf(lab, sizeof(lab), "loop=\"%d\"", l);
        /* Another loop's count is read without synchronization: a gauge may be a moment old. */
        size_t v = s->loops[l].loop ? gk__loop_fibers(s->loops[l].loop) : 0;
        put_sample(b, "genkit_fibers", "", lab, NULL, (double)v);
    }
    put_help(b, "genkit_build_info", "Library version", "gauge");
    gk_buf_puts(b, "genkit_build_info{version=\"");
    gk__metrics_put_label_value(b, gk_version());
    gk_buf_puts(b, "\"} 1\n");
}

void gk__srv_metrics_write(gk_server *s, gk_buf *b)
{
    gk_buf lab = GK_BUF_INIT(4096);
    if (s->stats) {
        write_flows(s, b, &lab);
        write_server(s, b);
    }
    write_process(s, b);
    gk__metrics_write_registry(b);
    gk_buf_release(&lab);
}

void gk__srv_metrics(struct gk__srv_conn *c)
{
    struct gk__srv_request *r = c->req;
    gk__http_method m = r->http->method;
    if (m != GK__HTTP_GET && m != GK__HTTP_HEAD) {
        gk__srv_send_error(c, 405, GK_INVALID_ARGUMENT, "method not allowed on /metrics; use GET",
                           NULL, "Allow: GET, HEAD\r\n");
        return;
    }
    gk_buf *b = gk__srv_buf_get(c->sl);
    if (!b) {
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "out of memory", NULL, NULL);
        return;
    }
    gk__srv_metrics_write(c->sl->s, b);
    const char *extra = gk_arena_sprintf(r->arena, "Cache-Control: no-store\r\n%s",
                                         r->extra_head ? r->extra_head : "");
    if (gk_buf_failed(b) || !extra)
        gk__srv_send_error(c, 503, GK_RESOURCE_EXHAUSTED, "metrics larger than the buffer cap",
                           NULL, NULL);
    else
        gk__srv_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", b->ptr, b->len, extra);
    gk__srv_buf_put(c->sl, b);
}

/* ------------------------------------------------------------------------------------------ */
/* Set-up and release of the operations features. */

gk_status gk__srv_ops_init(gk_server *s, const gk_server_opts *o, gk_error *err)
{
    s->serve_metrics = !o->no_metrics;
    s->serve_openapi = !o->no_openapi;
    s->start_time = (double)time(NULL); /* if /proc cannot tell the process's start */
    gk_status st = gk__srv_cors_init(s, o, err);
    if (st == GK_OK)
        st = gk__srv_auth_init(s, o, err);
    if (st != GK_OK)
        return st;
    s->stats = calloc((size_t)s->nloops, sizeof(*s->stats));
    if (!s->stats)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    size_t size = sizeof(struct gk__srv_loop_stats) + s->nflows * sizeof(struct flow_stats);
    size = (size + 63) / 64 * 64;
    for (int l = 0; l < s->nloops; l++) {
        s->stats[l] = aligned_alloc(64, size);
        if (!s->stats[l])
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        memset(s->stats[l], 0, size); /* all-zero bits are a valid zero for these atomics */
    }
    return GK_OK;
}

void gk__srv_ops_free(gk_server *s)
{
    if (!s)
        return;
    gk__srv_cors_free(s);
    gk__srv_auth_free(s);
    free(atomic_exchange(&s->openapi, NULL));
    if (s->stats) {
        for (int l = 0; l < s->nloops; l++)
            free(s->stats[l]);
        free(s->stats);
        s->stats = NULL;
    }
}
