/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/ids.h - random bytes for trace/span/request ids, hex, and wall clocks.
 * Not for secrets: ids only need to be unique, and the fallback generator is not cryptographic.
 * Threads: all functions are safe from any thread. */
#ifndef GK_BASE_IDS_H
#define GK_BASE_IDS_H

#include <stddef.h>
#include <stdint.h>

/* Fill p[0..n) with random bytes: getrandom(2), or a per-thread xoshiro256** seeded from the
 * clock, the thread and the address space when the kernel cannot answer. Never fails. */
void gk__random_bytes(void *p, size_t n);

/* Write p[0..n) as 2n lowercase hex digits plus a NUL into out (2n + 1 bytes). */
void gk__hex(const uint8_t *p, size_t n, char *out);

/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other character. */
int gk__hex_value(char c);

/* Wall-clock time since the Unix epoch (CLOCK_REALTIME) in milliseconds / nanoseconds. */
int64_t gk__wall_ms(void);
int64_t gk__wall_ns(void);

/* Monotonic time (CLOCK_MONOTONIC) in nanoseconds, for durations. */
int64_t gk__mono_ns(void);

/* A UTC calendar time: year (e.g. 2026), month 1-12, day 1-31, hour, minute, second, weekday
 * 0-6 from Sunday. */
typedef struct gk__utc {
    int64_t year;
    int month, day, hour, minute, second, weekday;
} gk__utc;

/* Seconds since the epoch to UTC, proleptic Gregorian, for any int64 whose year fits int64. Pure
 * arithmetic: unlike gmtime_r, it never reads the time zone database (/etc/localtime), which
 * glibc does at the first call. */
gk__utc gk__utc_from_unix(int64_t sec);

/* Format ms since the epoch as UTC "2026-11-23T10:00:00.123Z" (24 characters + NUL). Years
 * outside 0..9999 are written as the epoch. */
void gk__iso8601(int64_t ms, char out[32]);

#endif
