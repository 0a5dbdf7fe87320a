/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/buf.c - gk_buf: a malloc'd, always NUL-terminated byte buffer with a hard cap and a
 * sticky failure flag, so a run of appends needs a single check at the end. */
#include <genkit/buf.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "base/banned.h"

#define DEFAULT_CAP ((size_t)1 << 30)
#define MIN_ALLOC   64

static inline size_t buf_cap(const gk_buf *b)
{
    return b->cap ? b->cap : DEFAULT_CAP;
}

/* Make room for n more bytes plus the NUL. Returns false (and sets failed) over cap or out of
 * memory. */
static bool grow(gk_buf *b, size_t n)
{
    if (b->failed)
        return false;
    size_t need;
    if (!gk_size_add(b->len, n, &need) || need > buf_cap(b)) {
        b->failed = true;
        return false;
    }
    if (b->ptr && need < b->alloc)
        return true;
    size_t alloc = b->alloc ? b->alloc : MIN_ALLOC;
    while (alloc <= need) {
        if (alloc > SIZE_MAX / 2) {
            alloc = need + 1;
            break;
        }
        alloc *= 2;
    }
    /* Never allocate much beyond the cap: cap + 1 holds a full buffer and its NUL. */
    if (alloc > buf_cap(b) + 1)
        alloc = buf_cap(b) + 1;
    char *p = gk__alloc_should_fail() ? NULL : realloc(b->ptr, alloc);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->ptr = p;
    b->alloc = alloc;
    return true;
}

void gk_buf_put(gk_buf *b, const void *p, size_t n)
{
    if (!grow(b, n))
        return;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

void gk_buf_puts(gk_buf *b, const char *s)
{
    gk_buf_put(b, s, strlen(s));
}

void gk_buf_putc(gk_buf *b, char c)
{
    if (__builtin_expect(b->ptr && b->len + 2 <= b->alloc && !b->failed && b->len < buf_cap(b), 1)) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return;
    }
    gk_buf_put(b, &c, 1);
}

void gk_buf_printf(gk_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    size_t room = b->ptr ? b->alloc - b->len : 0;
    int n;
    if (room) {
        /* Format in place first: most fit, and then there is no second pass. */
        va_start(ap, fmt);
        n = vsnprintf(b->ptr + b->len, room, fmt, ap);
        va_end(ap);
    } else {
        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
    }
    if (n < 0) {
        if (b->ptr)
            b->ptr[b->len] = '\0';
        b->failed = true;
        return;
    }
    if ((size_t)n < room) {
        if (b->len + (size_t)n > buf_cap(b)) {
            b->ptr[b->len] = '\0';
            b->failed = true;
            return;
        }
        b->len += (size_t)n;
        return;
    }
    if (b->ptr)
        b->ptr[b->len] = '\0';
    if (!grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *gk_buf_reserve(gk_buf *b, size_t n)
{
    if (!grow(b, n))
        return NULL;
    return b->ptr + b->len;
}

void gk_buf_commit(gk_buf *b, size_t n)
{
    if (b->failed || !b->ptr || n >= b->alloc - b->len)
        return;
    b->len += n;
    b->ptr[b->len] = '\0';
}

void gk_buf_reset(gk_buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->ptr)
        b->ptr[0] = '\0';
}

void gk_buf_release(gk_buf *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->alloc = 0;
    b->failed = false;
}

char *gk_buf_detach(gk_buf *b, size_t *len_out)
{
    char *p = NULL;
    size_t len = 0;
    if (!b->failed && b->ptr && b->len) {
        p = b->ptr;
        len = b->len;
        b->ptr = NULL;
        b->alloc = 0;
        b->len = 0;
    } else {
        gk_buf_release(b);
    }
    if (len_out)
        *len_out = len;
    return p;
}
