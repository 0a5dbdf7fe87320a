/* SPDX-License-Identifier: Apache-2.0 */
/* bench/coldstart.c - cold start of a service: fork+exec it, then POST a request on loopback as
 * fast as possible until the first 200, and print the elapsed microseconds and the idle RSS.
 * Usage: coldstart PORT PATH BODY -- CMD ARGS... (built by bench/run.sh; not part of the library). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int try_request(int port, const char *req, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return 0;
    }
    if (write(fd, req, len) != (ssize_t)len) {
        close(fd);
        return 0;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 12)
        return 0;
    buf[n] = 0;
    return strncmp(buf + 9, "200", 3) == 0;
}

static long rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: coldstart PORT PATH BODY -- CMD ARGS...\n");
        return 2;
    }
    int port = atoi(argv[1]);
    char req[4096];
    int len = snprintf(req, sizeof(req),
                       "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                       argv[2], strlen(argv[3]), argv[3]);
    double t0 = now_us();
    pid_t pid = fork();
    if (pid == 0) {
        execvp(argv[5], argv + 5);
        _exit(127);
    }
    double t1 = 0;
    while (now_us() - t0 < 10e6) {
        if (try_request(port, req, (size_t)len)) {
            t1 = now_us();
            break;
        }
        usleep(100);
    }
    usleep(200000);
    long rss = rss_kib(pid);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (!t1) {
        fprintf(stderr, "no 200 within 10 s\n");
        return 1;
    }
    printf("cold_start_us %.0f\nidle_rss_kib %ld\n", t1 - t0, rss);
    return 0;
}
