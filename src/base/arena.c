/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/arena.c - the request arena: a chunked bump allocator with a byte cap and deferred
 * cleanups. The first chunk shares one malloc with the header; later chunks grow geometrically and
 * a large request gets a chunk of its own, so the bump chunk is not wasted. Memory is only released
 * all at once by gk_arena_free. Also the process-wide allocation fault hook (fault.h). */
#include <genkit/arena.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena_internal.h"
#include "base/fault.h"
#include "base/banned.h"

#define ALIGN       16
#define FIRST_TOTAL 4096            /* header + first chunk: one malloc per request */
#define CHUNK_MIN   8192            /* the second chunk */
#define CHUNK_MAX   (1024 * 1024)   /* chunks stop doubling here */
#define DEFAULT_CAP (64u * 1024 * 1024)

/* A malloc'd chunk: header, then data up to end. */
struct chunk {
    struct chunk *next;
    _Alignas(ALIGN) char data[];
};

struct deferred {
    struct deferred *next;
    void (*fn)(void *arg);
    void *arg;
};

/* Invariants: ptr <= end, both in the current chunk (or the inline one) and ALIGN-aligned;
 * used <= cap; last is the start of the most recent allocation served from [.., ptr), or NULL. */
struct gk_arena {
    char *ptr;
    char *end;
    char *last;
    size_t used;
    size_t cap;
    size_t next_chunk;
    struct chunk *chunks;
    struct deferred *defers;
    _Alignas(ALIGN) char first[];
};

atomic_long gk__fault_countdown;
static atomic_bool fault_fired;

void gk__alloc_fail_after(long n)
{
    atomic_store(&fault_fired, false);
    atomic_store(&gk__fault_countdown, n > 0 ? n : 0);
}

bool gk__alloc_fault_hit(void)
{
    /* Only the thread that takes the countdown from 1 to 0 fails. */
    long v = atomic_fetch_sub(&gk__fault_countdown, 1);
    if (v == 1) {
        atomic_store(&fault_fired, true);
        return true;
    }
    if (v <= 0)
        atomic_store(&gk__fault_countdown, 0);
    return false;
}

bool gk__alloc_fault_fired(void)
{
    return atomic_load(&fault_fired);
}

gk_arena *gk_arena_new(size_t cap)
{
    if (gk__alloc_should_fail())
        return NULL;
    gk_arena *a = malloc(FIRST_TOTAL);
    if (!a)
        return NULL;
    a->ptr = a->first;
    a->end = (char *)a + FIRST_TOTAL;
    a->last = NULL;
    a->used = 0;
    a->cap = cap ? cap : DEFAULT_CAP;
    a->next_chunk = CHUNK_MIN;
    a->chunks = NULL;
    a->defers = NULL;
    return a;
}

void gk_arena_free(gk_arena *a)
{
    if (!a)
        return;
    /* Cleanups first, newest first: a later object may depend on an earlier one. A cleanup may
     * register another; it runs in turn. */
    while (a->defers) {
        struct deferred *d = a->defers;
        a->defers = d->next;
        d->fn(d->arg);
    }
    struct chunk *c = a->chunks;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

/* Round size up to ALIGN (size 0 takes one unit so that each call returns a unique pointer).
 * Returns 0 on overflow. */
static inline size_t round_size(size_t size)
{
    if (size == 0)
        return ALIGN;
    size_t n = (size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    return n < size ? 0 : n;
}

/* Serve n bytes (rounded, within cap) from a new chunk. */
static void *alloc_slow(gk_arena *a, size_t n)
{
    size_t want = a->next_chunk;
    /* A request bigger than a quarter of the next chunk gets a chunk of its own, so that the bump
     * chunk (and whatever room is left in it) stays current. */
    bool own = n > want / 4;
    size_t data = own ? n : want;
    if (data > SIZE_MAX - sizeof(struct chunk))
        return NULL;
    struct chunk *c = malloc(sizeof(struct chunk) + data);
    if (!c)
        return NULL;
    c->next = a->chunks;
    a->chunks = c;
    a->used += n;
    if (own) {
        /* last stays: the bump chunk's last allocation can still grow in place. */
        return c->data;
    }
    if (a->next_chunk < CHUNK_MAX)
        a->next_chunk *= 2;
    a->ptr = c->data + n;
    a->end = c->data + data;
    a->last = c->data;
    return c->data;
}

/* Hand out n rounded bytes, not zeroed. */
static inline void *alloc_raw(gk_arena *a, size_t size)
{
    if (gk__alloc_should_fail())
        return NULL;
    size_t n = round_size(size);
    if (n == 0 || n > a->cap - a->used)
        return NULL;
    if (__builtin_expect((size_t)(a->end - a->ptr) >= n, 1)) {
        char *p = a->ptr;
        a->ptr = p + n;
        a->used += n;
        a->last = p;
        return p;
    }
    return alloc_slow(a, n);
}

void *gk__arena_alloc_raw(gk_arena *a, size_t size)
{
    return alloc_raw(a, size);
}

void *gk_arena_alloc(gk_arena *a, size_t size)
{
    void *p = alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *gk_arena_calloc(gk_arena *a, size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    return gk_arena_alloc(a, total);
}

void *gk_arena_realloc(gk_arena *a, void *old, size_t old_size, size_t new_size)
{
    if (!old)
        return gk_arena_alloc(a, new_size);
    if (new_size <= old_size)
        return old;
    if ((char *)old == a->last) {
        /* The newest allocation: move the bump pointer instead of copying. */
        size_t have = (size_t)(a->ptr - a->last);
        size_t n = round_size(new_size);
        if (n == 0)
            return NULL;
        if (n <= have) {
            memset((char *)old + old_size, 0, new_size - old_size);
            return old;
        }
        size_t extra = n - have;
        if (n <= (size_t)(a->end - a->last) && extra <= a->cap - a->used) {
            if (gk__alloc_should_fail())
                return NULL;
            a->ptr = a->last + n;
            a->used += extra;
            memset((char *)old + old_size, 0, new_size - old_size);
            return old;
        }
    }
    char *p = alloc_raw(a, new_size);
    if (!p)
        return NULL;
    memcpy(p, old, old_size);
    memset(p + old_size, 0, new_size - old_size);
    return p;
}

char *gk_arena_strndup(gk_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = alloc_raw(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *gk_arena_strdup(gk_arena *a, const char *s)
{
    if (!s)
        return NULL;
    return gk_arena_strndup(a, s, strlen(s));
}

char *gk_arena_sprintf(gk_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = alloc_raw(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

bool gk_arena_defer(gk_arena *a, void (*fn)(void *arg), void *arg)
{
    struct deferred *d = alloc_raw(a, sizeof(*d));
    if (!d)
        return false;
    d->fn = fn;
    d->arg = arg;
    d->next = a->defers;
    a->defers = d;
    return true;
}

size_t gk_arena_used(const gk_arena *a)
{
    return a ? a->used : 0;
}
