/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/test_tls_server.c - the throwaway PKI, `openssl s_server` and the plain-400 port
 * (see the header). Commands run through posix_spawnp with their output discarded. */
#include "test_tls_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct gk_test_pki {
    char dir[64];
    char ca_file[96];
};

struct gk_test_tls_server {
    pid_t pid;
    int port;
};

struct gk_test_plain_port {
    int listen_fd;
    int stop_pipe[2];
    int port;
    pthread_t thread;
};

/* Run argv (PATH lookup) in cwd with stdin, stdout and stderr on /dev/null; true if it exited 0.
 * pid_out: start it and return without waiting (then the result says whether it started). */
static bool spawn(const char *const argv[], const char *cwd, pid_t *pid_out)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st = 0;
    bool ok;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    ok = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) == 0;
    posix_spawn_file_actions_destroy(&fa);
    if (!ok)
        return false;
    if (pid_out) {
        *pid_out = pid;
        return true;
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

bool gk_test_tls_available(const char **why)
{
    static int known = -1;
    if (known < 0) {
        const char *argv[] = {"openssl", "version", NULL};
        known = spawn(argv, NULL, NULL);
    }
    if (!known && why)
        *why = "the openssl command is not installed (Debian package openssl)";
    return known == 1;
}

static bool write_file(const char *dir, const char *name, const char *text)
{
    char path[192];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

/* A P-256 key and self-signed CA certificate: <name>.key, <name>.pem. */
static bool make_ca(const char *dir, const char *name, const char *cn)
{
    char key[48];
    char pem[48];
    char subj[96];
    snprintf(key, sizeof(key), "%s.key", name);
    snprintf(pem, sizeof(pem), "%s.pem", name);
    snprintf(subj, sizeof(subj), "/CN=%s", cn);
    const char *argv[] = {
        "openssl", "req",     "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes",  "-keyout", key,     "-out",    pem,  "-days",    "2",
        "-subj",   subj,      NULL};
    return spawn(argv, dir, NULL);
}

/* A leaf <name>.key/<name>.pem for cn with subjectAltName san, signed by CA <ca>. */
static bool make_leaf(const char *dir, const char *name, const char *cn, const char *san,
                      const char *ca)
{
    char key[48], csr[48], pem[48], ext[48], subj[96], ca_pem[48], ca_key[48], text[256];
    snprintf(key, sizeof(key), "%s.key", name);
    snprintf(csr, sizeof(csr), "%s.csr", name);
    snprintf(pem, sizeof(pem), "%s.pem", name);
    snprintf(ext, sizeof(ext), "%s.ext", name);
    snprintf(subj, sizeof(subj), "/CN=%s", cn);
    snprintf(ca_pem, sizeof(ca_pem), "%s.pem", ca);
    snprintf(ca_key, sizeof(ca_key), "%s.key", ca);
    snprintf(text, sizeof(text),
             "subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n", san);
    if (!write_file(dir, ext, text))
        return false;
    const char *req[] = {
        "openssl", "req",     "-newkey", "ec",   "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes",  "-keyout", key,       "-out", csr,        "-subj",
        subj,      NULL};
    const char *sign[] = {
        "openssl",         "x509", "-req", "-in",   csr, "-CA",      ca_pem, "-CAkey", ca_key,
        "-CAcreateserial", "-out", pem,    "-days", "2", "-extfile", ext,    NULL};
    return spawn(req, dir, NULL) && spawn(sign, dir, NULL);
}

gk_test_pki *gk_test_pki_new(void)
{
    gk_test_pki *p = calloc(1, sizeof(*p));
    snprintf(p->dir, sizeof(p->dir), "/tmp/gk_pki_XXXXXX");
    if (!mkdtemp(p->dir)) {
        perror("gk_test_pki_new");
        free(p);
        return NULL;
    }
    snprintf(p->ca_file, sizeof(p->ca_file), "%s/ca.pem", p->dir);
    if (!make_ca(p->dir, "ca", "genkit-c test CA") ||
        !make_ca(p->dir, "other-ca", "genkit-c untrusted CA") ||
        !make_leaf(p->dir, "localhost", "localhost", "DNS:localhost,IP:127.0.0.1", "ca") ||
        !make_leaf(p->dir, "untrusted", "localhost", "DNS:localhost", "other-ca") ||
        !make_leaf(p->dir, "other-name", "other.test", "DNS:other.test", "ca") ||
        !write_file(p->dir, "hello.txt", GK_TEST_TLS_HELLO)) {
        fprintf(stderr, "gk_test_pki_new: openssl failed in %s\n", p->dir);
        gk_test_pki_free(p);
        return NULL;
    }
    return p;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void gk_test_pki_free(gk_test_pki *p)
{
    if (!p)
        return;
    nftw(p->dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
    free(p);
}

bool gk_test_pki_add_file(gk_test_pki *p, const char *name, const char *text)
{
    return write_file(p->dir, name, text);
}

const char *gk_test_pki_ca_file(const gk_test_pki *p)
{
    return p->ca_file;
}

/* A port nobody listens on now (the race with other binds is accepted in tests). */
static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static bool accepts(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

gk_test_tls_server *gk_test_tls_server_start(const gk_test_pki *p, gk_test_tls_cert which)
{
    static const char *const names[] = {"localhost", "untrusted", "other-name"};
    char accept_at[32], cert[48], key[48];
    for (int attempt = 0; attempt < 3; attempt++) {
        gk_test_tls_server *s = calloc(1, sizeof(*s));
        s->port = free_port();
        snprintf(accept_at, sizeof(accept_at), "127.0.0.1:%d", s->port);
        snprintf(cert, sizeof(cert), "%s.pem", names[which]);
        snprintf(key, sizeof(key), "%s.key", names[which]);
        const char *argv[] = {"openssl", "s_server", "-quiet", "-WWW", "-accept", accept_at,
                              "-cert",   cert,       "-key",   key,    NULL};
        if (!spawn(argv, p->dir, &s->pid)) {
            fprintf(stderr, "gk_test_tls_server_start: cannot run openssl\n");
            free(s);
            return NULL;
        }
        for (int i = 0; i < 1000; i++) {
            int st;
            if (accepts(s->port))
                return s;
            if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                s->pid = 0; /* it exited (port taken?): try another port */
                break;
            }
            nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
        }
        gk_test_tls_server_stop(s);
    }
    fprintf(stderr, "gk_test_tls_server_start: openssl s_server did not start\n");
    return NULL;
}

void gk_test_tls_server_stop(gk_test_tls_server *s)
{
    if (!s)
        return;
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    free(s);
}

int gk_test_tls_server_port(const gk_test_tls_server *s)
{
    return s->port;
}

/* ---- the plain port ---- */

static void *plain_main(void *arg)
{
    gk_test_plain_port *pp = arg;
    static const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                                "Connection: close\r\n\r\n";
    for (;;) {
        struct pollfd w[2] = {{.fd = pp->stop_pipe[0], .events = POLLIN},
                              {.fd = pp->listen_fd, .events = POLLIN}};
        char buf[4096];
        int fd;
        if (poll(w, 2, -1) < 0 && errno == EINTR)
            continue;
        if (w[0].revents)
            return NULL;
        fd = accept(pp->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        struct pollfd r = {.fd = fd, .events = POLLIN};
        if (poll(&r, 1, 2000) > 0 && recv(fd, buf, sizeof(buf), 0) > 0 &&
            send(fd, reply, sizeof(reply) - 1, MSG_NOSIGNAL) < 0)
            perror("gk_test_plain_port");
        shutdown(fd, SHUT_RDWR);
        close(fd);
    }
}

gk_test_plain_port *gk_test_plain_port_start(void)
{
    gk_test_plain_port *pp = calloc(1, sizeof(*pp));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    pp->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (pp->listen_fd < 0 || bind(pp->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(pp->listen_fd, 16) != 0 ||
        getsockname(pp->listen_fd, (struct sockaddr *)&a, &alen) != 0 || pipe(pp->stop_pipe) != 0) {
        perror("gk_test_plain_port_start");
        if (pp->listen_fd >= 0)
            close(pp->listen_fd);
        free(pp);
        return NULL;
    }
    pp->port = ntohs(a.sin_port);
    pthread_create(&pp->thread, NULL, plain_main, pp);
    return pp;
}

void gk_test_plain_port_stop(gk_test_plain_port *pp)
{
    if (!pp)
        return;
    if (write(pp->stop_pipe[1], "x", 1) != 1)
        perror("gk_test_plain_port_stop");
    pthread_join(pp->thread, NULL);
    close(pp->listen_fd);
    close(pp->stop_pipe[0]);
    close(pp->stop_pipe[1]);
    free(pp);
}

int gk_test_plain_port_port(const gk_test_plain_port *pp)
{
    return pp->port;
}
