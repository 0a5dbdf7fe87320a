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

int gk__hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
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

gk__utc gk__utc_from_unix(int64_t sec)
{
    gk__utc u;
    int64_t days = sec / 86400;
    int64_t rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    u.hour = (int)(rem / 3600);
    u.minute = (int)(rem / 60 % 60);
    u.second = (int)(rem % 60);
    u.weekday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
    /* Days to a civil date in eras of 400 years (146097 days), years starting on 1 March so that
     * the leap day is the last day of a year. */
    int64_t z = days + 719468; /* days from 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;                                   /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            /* [0, 365] */
    int64_t mp = (5 * doy + 2) / 153;                                 /* [0, 11] from March */
    u.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    u.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    u.year = yoe + era * 400 + (u.month <= 2);
    return u;
}

void gk__iso8601(int64_t ms, char out[32])
{
    int64_t sec = ms / 1000;
    int64_t frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        sec -= 1;
    }
    gk__utc u = gk__utc_from_unix(sec);
    if (u.year < 0 || u.year > 9999) {
        /* Out of ISO 8601's four-digit years: clamp to the epoch rather than write garbage. */
        u = gk__utc_from_unix(0);
        frac = 0;
    }
    char *p = out;
    p = digits(p, (int)u.year, 4);
    *p++ = '-';
    p = digits(p, u.month, 2);
    *p++ = '-';
    p = digits(p, u.day, 2);
    *p++ = 'T';
    p = digits(p, u.hour, 2);
    *p++ = ':';
    p = digits(p, u.minute, 2);
    *p++ = ':';
    p = digits(p, u.second, 2);
    *p++ = '.';
    p = digits(p, (int)frac, 3);
    *p++ = 'Z';
    *p = '\0';
}
