/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/tls_mbedtls.c - the TLS sessions of tls.h on mbedTLS 2.28 (Debian 12's
 * libmbedtls-dev, linked from its static archives): the only file that includes mbedTLS. The CA
 * store is parsed once per process (under a mutex, at the first https call) and then only read;
 * each loop has its own CTR-DRBG (seeded from getrandom(2), which also works in a chroot without
 * /dev) and its own configuration; each session reads its ciphertext from a memory buffer and
 * appends what it sends to the caller's buffer. No session cache: connections are kept alive
 * instead (http_native.c). */
#include "runtime/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "base/banned.h"

/* Where Debian/Ubuntu, Fedora/RHEL and Alpine/macOS-style systems keep their bundle. */
static const char *const default_bundles[] = {
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
};

/* ALPN: only HTTP/1.1 is spoken. mbedTLS keeps the pointer, so the list is static. */
static const char *alpn_list[] = {"http/1.1", NULL};

/* The process's CA store. Invariant: once ca_done, ca and ca_err never change (until the test
 * hook), so loops read them without the lock. */
static pthread_mutex_t ca_lock = PTHREAD_MUTEX_INITIALIZER;
static bool ca_done;
static mbedtls_x509_crt ca;
static gk_error ca_err;

struct gk__tls_loop {
    mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf;
};

/* Invariants: in[in_off..in.len) is ciphertext not yet read by mbedTLS; out is the caller's. */
struct gk__tls {
    mbedtls_ssl_context ssl;
    gk_buf *out;
    gk_buf in;
    size_t in_off;
    bool ip; /* host is an IP literal: checked against iPAddress names */
    unsigned char addr[16];
    size_t addr_len;
    char host[256];
};

static void describe(int ret, char *buf, size_t cap)
{
    mbedtls_strerror(ret, buf, cap);
    if (!buf[0])
        snprintf(buf, cap, "mbedTLS error -0x%04x", (unsigned)-ret);
}

/* ---- the CA store ---- */

/* Parse every file of each ':'-separated directory in dirs into ca. Returns how many certificates
 * the store then holds (0: none). */
static size_t load_dirs(const char *dirs)
{
    size_t n = 0;
    const char *p = dirs;
    while (*p) {
        char dir[4096];
        size_t len = strcspn(p, ":");
        if (len > 0 && len < sizeof(dir)) {
            memcpy(dir, p, len);
            dir[len] = '\0';
            (void)mbedtls_x509_crt_parse_path(&ca, dir); /* unreadable files are skipped */
        }
        p += len;
        if (*p == ':')
            p++;
    }
    for (const mbedtls_x509_crt *c = &ca; c && c->version; c = c->next)
        n++;
    return n;
}

static void load_ca_locked(void)
{
    const char *file = secure_getenv("SSL_CERT_FILE");
    const char *dirs = secure_getenv("SSL_CERT_DIR");
    char why[128];
    int ret;
    mbedtls_x509_crt_init(&ca);
    gk_error_clear(&ca_err);
    if (!file || !*file) {
        file = NULL;
        if (dirs && *dirs) {
            if (load_dirs(dirs) == 0)
                gk_error_set(&ca_err, GK_UNAVAILABLE, "",
                             "TLS: no CA certificate could be loaded from SSL_CERT_DIR");
            return;
        }
        for (size_t i = 0; i < sizeof(default_bundles) / sizeof(default_bundles[0]); i++) {
            if (access(default_bundles[i], R_OK) == 0) {
                file = default_bundles[i];
                break;
            }
        }
        if (!file) {
            gk_error_set(&ca_err, GK_UNAVAILABLE, "", "no CA bundle found: set SSL_CERT_FILE");
            return;
        }
    }
    /* A positive result counts certificates that failed to parse while others loaded: bundles
     * may hold a few that mbedTLS does not support, and those are skipped. */
    ret = mbedtls_x509_crt_parse_file(&ca, file);
    if (ret < 0 || ca.version == 0) {
        if (ret < 0)
            describe(ret, why, sizeof(why));
        else
            snprintf(why, sizeof(why), "no certificate in it");
        gk_error_set(&ca_err, GK_UNAVAILABLE, "", "TLS: cannot load CA bundle %.200s: %s", file,
                     why);
    }
}

/* Load the store once per process; returns the outcome of that load. */
static gk_status load_ca(gk_error *err)
{
    pthread_mutex_lock(&ca_lock);
    if (!ca_done) {
        load_ca_locked();
        ca_done = true;
    }
    pthread_mutex_unlock(&ca_lock);
    if (ca_err.status != GK_OK && err)
        *err = ca_err;
    return ca_err.status;
}

void gk__tls_forget_ca(void)
{
    pthread_mutex_lock(&ca_lock);
    if (ca_done)
        mbedtls_x509_crt_free(&ca);
    ca_done = false;
    gk_error_clear(&ca_err);
    pthread_mutex_unlock(&ca_lock);
}

/* ---- per loop ---- */

static int entropy(void *arg, unsigned char *buf, size_t len)
{
    (void)arg;
    while (len > 0) {
        ssize_t n = getrandom(buf, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

gk__tls_loop *gk__tls_loop_new(gk_error *err)
{
    static const unsigned char pers[] = "genkit-c http";
    gk__tls_loop *l;
    int ret;
    if (load_ca(err) != GK_OK)
        return NULL;
    l = calloc(1, sizeof(*l));
    if (!l) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory for TLS");
        return NULL;
    }
    mbedtls_ctr_drbg_init(&l->drbg);
    mbedtls_ssl_config_init(&l->conf);
    ret = mbedtls_ctr_drbg_seed(&l->drbg, entropy, NULL, pers, sizeof(pers) - 1);
    if (ret != 0) {
        gk__tls_loop_free(l);
        gk_error_set(err, GK_INTERNAL, "", "TLS: cannot seed the random generator");
        return NULL;
    }
    ret = mbedtls_ssl_config_defaults(&l->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                      MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0)
        ret = mbedtls_ssl_conf_alpn_protocols(&l->conf, alpn_list);
    if (ret != 0) {
        gk__tls_loop_free(l);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory for TLS");
        return NULL;
    }
    mbedtls_ssl_conf_authmode(&l->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&l->conf, &ca, NULL);
    mbedtls_ssl_conf_rng(&l->conf, mbedtls_ctr_drbg_random, &l->drbg);
    mbedtls_ssl_conf_min_version(&l->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3); /* TLS 1.2 */
    return l;
}

void gk__tls_loop_free(gk__tls_loop *l)
{
    if (!l)
        return;
    mbedtls_ssl_config_free(&l->conf);
    mbedtls_ctr_drbg_free(&l->drbg);
    free(l);
}

/* ---- sessions ---- */

static int bio_send(void *arg, const unsigned char *buf, size_t len)
{
    gk__tls *s = arg;
    gk_buf_put(s->out, buf, len);
    return gk_buf_failed(s->out) ? MBEDTLS_ERR_SSL_ALLOC_FAILED : (int)len;
}

static int bio_recv(void *arg, unsigned char *buf, size_t len)
{
    gk__tls *s = arg;
    size_t avail = s->in.len - s->in_off;
    if (avail == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (len > avail)
        len = avail;
    if (len > INT32_MAX)
        len = INT32_MAX;
    memcpy(buf, s->in.ptr + s->in_off, len);
    s->in_off += len;
    if (s->in_off == s->in.len) {
        /* All read: keep small buffers, give big ones back (an idle connection holds none). */
        if (s->in.alloc > 32 * 1024)
            gk_buf_release(&s->in);
        else
            gk_buf_reset(&s->in);
        s->in_off = 0;
    }
    return (int)len;
}

/* For a host given as an IP address: the leaf certificate must name it in an iPAddress entry of
 * its subjectAltName (mbedTLS 2.28 only matches DNS names itself). */
static int verify_ip(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    gk__tls *s = arg;
    if (depth != 0)
        return 0;
    for (const mbedtls_x509_sequence *san = &crt->subject_alt_names; san && san->buf.p;
         san = san->next) {
        if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == s->addr_len &&
            memcmp(san->buf.p, s->addr, s->addr_len) == 0)
            return 0;
    }
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

gk__tls *gk__tls_new(gk__tls_loop *l, const char *host, gk_buf *out, gk_error *err)
{
    gk__tls *s;
    size_t hlen = strlen(host);
    if (hlen == 0 || hlen >= sizeof(s->host)) {
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "TLS: host name is empty or too long");
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory for a TLS session");
        return NULL;
    }
    memcpy(s->host, host, hlen + 1);
    s->out = out;
    s->in = GK_BUF_INIT(0);
    mbedtls_ssl_init(&s->ssl);
    if (mbedtls_ssl_setup(&s->ssl, &l->conf) != 0) {
        gk__tls_free(s);
        gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory for a TLS session");
        return NULL;
    }
    if (inet_pton(AF_INET, host, s->addr) == 1) {
        s->ip = true;
        s->addr_len = 4;
    } else if (inet_pton(AF_INET6, host, s->addr) == 1) {
        s->ip = true;
        s->addr_len = 16;
    }
    if (s->ip) {
        /* No SNI for an address (RFC 6066), and its own name check. */
        mbedtls_ssl_set_verify(&s->ssl, verify_ip, s);
    } else if (mbedtls_ssl_set_hostname(&s->ssl, host) != 0) {
        gk__tls_free(s);
        gk_error_set(err, GK_INVALID_ARGUMENT, "", "TLS: host name cannot be used");
        return NULL;
    }
    mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
    return s;
}

void gk__tls_free(gk__tls *s)
{
    if (!s)
        return;
    mbedtls_ssl_free(&s->ssl);
    gk_buf_release(&s->in);
    free(s);
}

bool gk__tls_input(gk__tls *s, const void *data, size_t len)
{
    if (s->in_off > 0) {
        /* Drop what was read so the buffer does not creep. */
        memmove(s->in.ptr, s->in.ptr + s->in_off, s->in.len - s->in_off);
        s->in.len -= s->in_off;
        s->in.ptr[s->in.len] = '\0';
        s->in_off = 0;
    }
    gk_buf_put(&s->in, data, len);
    return !gk_buf_failed(&s->in);
}

/* The verification flags as one line: "reason; reason". */
static void verify_reasons(uint32_t flags, char *buf, size_t cap)
{
    char info[512];
    size_t w = 0;
    int n = mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
    buf[0] = '\0';
    if (n <= 0) {
        snprintf(buf, cap, "flags 0x%x", (unsigned)flags);
        return;
    }
    for (char *line = info; *line && w + 1 < cap;) {
        size_t len = strcspn(line, "\n");
        if (len > 0) {
            int m = snprintf(buf + w, cap - w, "%s%.*s", w ? "; " : "", (int)len, line);
            if (m < 0)
                break;
            w += (size_t)m < cap - w ? (size_t)m : cap - w - 1;
        }
        line += len;
        if (*line == '\n')
            line++;
    }
}

gk__tls_result gk__tls_handshake(gk__tls *s, gk_error *err)
{
    char why[160];
    int ret = mbedtls_ssl_handshake(&s->ssl);
    if (ret == 0)
        return GK__TLS_OK;
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return GK__TLS_WANT;
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        verify_reasons(mbedtls_ssl_get_verify_result(&s->ssl), why, sizeof(why));
        gk_error_set(err, GK_UNAVAILABLE, "",
                     "TLS: certificate verification failed for host %.64s: %s", s->host, why);
        return GK__TLS_ERROR;
    }
    describe(ret, why, sizeof(why));
    gk_error_set(err, GK_UNAVAILABLE, "", "TLS: handshake with %.64s failed: %s%s", s->host, why,
                 ret == MBEDTLS_ERR_SSL_INVALID_RECORD ? " (not a TLS server?)" : "");
    return GK__TLS_ERROR;
}

gk__tls_result gk__tls_write(gk__tls *s, const void *data, size_t len, gk_error *err)
{
    const unsigned char *p = data;
    while (len > 0) {
        int ret = mbedtls_ssl_write(&s->ssl, p, len);
        if (ret <= 0) {
            char why[128];
            describe(ret ? ret : MBEDTLS_ERR_SSL_INTERNAL_ERROR, why, sizeof(why));
            gk_error_set(
                err, ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? GK_RESOURCE_EXHAUSTED : GK_UNAVAILABLE,
                "", "TLS: sending to %.64s failed: %s", s->host, why);
            return GK__TLS_ERROR;
        }
        p += ret;
        len -= (size_t)ret;
    }
    return GK__TLS_OK;
}

gk__tls_result gk__tls_read(gk__tls *s, void *buf, size_t cap, size_t *n, gk_error *err)
{
    char why[128];
    int ret = mbedtls_ssl_read(&s->ssl, buf, cap);
    *n = 0;
    if (ret > 0) {
        *n = (size_t)ret;
        return GK__TLS_OK;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
        return GK__TLS_WANT;
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
        return GK__TLS_CLOSED;
    describe(ret, why, sizeof(why));
    gk_error_set(err, GK_UNAVAILABLE, "", "TLS: receiving from %.64s failed: %s", s->host, why);
    return GK__TLS_ERROR;
}

bool gk__tls_has_pending(const gk__tls *s)
{
    return s->in.len > s->in_off || mbedtls_ssl_get_bytes_avail(&s->ssl) > 0 ||
           mbedtls_ssl_check_pending(&s->ssl);
}
