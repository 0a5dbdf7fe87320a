/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/ids.c - random ids, hex and clocks (see ids.h). */
#include "base/ids.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base/banned.h"

/* xoshiro256** (Blackman and Vigna), per thread, for when getrandom is unavailable. */
static _Thread_local uint64_t xs[4];
static _Thread_local bool xs_seeded;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t xoshiro_next(void)
{
    if (!xs_seeded) {
        uint64_t seed = (uint64_t)gk__wall_ns() ^ ((uint64_t)gk__mono_ns() << 17) ^
                        (uint64_t)(uintptr_t)&xs ^ (uint64_t)pthread_self();
        for (int i = 0; i < 4; i++)
            xs[i] = splitmix64(&seed);
        xs_seeded = true;
    }
    uint64_t result = rotl(xs[1] * 5, 7) * 9;
    uint64_t t = xs[1] << 17;
    xs[2] ^= xs[0];
    xs[3] ^= xs[1];
    xs[1] ^= xs[2];
    xs[0] ^= xs[3];
    xs[2] ^= t;
    xs[3] = rotl(xs[3], 45);
    return result;
}

void gk__random_bytes(void *p, size_t n)
{
    unsigned char *out = p;
    while (n > 0) {
        ssize_t got = getrandom(out, n, GRND_NONBLOCK);
        if (got > 0) {
            out += got;
            n -= (size_t)got;
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        break; /* ENOSYS, EAGAIN before the pool is ready, seccomp... */
    }
    while (n > 0) {
        uint64_t r = xoshiro_next();
        size_t k = n < 8 ? n : 8;
        memcpy(out, &r, k);
        out += k;
        n -= k;
    }
}

void gk__hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int64_t gk__wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gk__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gk__mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Write v as exactly n decimal digits. */
static char *digits(char *out, int v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return out + n;
}

void gk__iso8601(int64_t ms, char out[32])
{
    int64_t sec = ms / 1000;
    int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    int year = 0;
    if (gmtime_r(&t, &tm))
        year = tm.tm_year + 1900;
    if (year < 0 || year > 9999) {
        /* Out of ISO 8601's four-digit years: clamp to the epoch rather than write garbage. */
        memset(&tm, 0, sizeof(tm));
        tm.tm_mday = 1;
        year = 1970;
        frac = 0;
    }
    char *p = out;
    p = digits(p, year, 4);
    *p++ = '-';
    p = digits(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = digits(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = digits(p, tm.tm_hour, 2);
    *p++ = ':';
    p = digits(p, tm.tm_min, 2);
    *p++ = ':';
    p = digits(p, tm.tm_sec, 2);
    *p++ = '.';
    p = digits(p, (int)frac, 3);
    *p++ = 'Z';
    *p = '\0';
}
