/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/buf.h - growable output buffer with a hard cap and a sticky error (curl dynbuf, SQLite
 * sqlite3_str): a run of appends needs one check at the end.
 * Threads: a gk_buf belongs to its owner. */
#ifndef GENKIT_BUF_H
#define GENKIT_BUF_H

#include <genkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Invariants: ptr is NULL or NUL-terminated at ptr[len]; len < alloc when ptr != NULL; len <= cap;
 * once failed is set, appends do nothing until gk_buf_reset. Memory is malloc'd, freed by
 * gk_buf_release. */
typedef struct gk_buf {
    char *ptr;
    size_t len;
    size_t alloc;
    size_t cap;  /* most bytes it may hold; 0 means 1 GiB */
    bool failed; /* an append hit the cap or ran out of memory */
} gk_buf;

#define GK_BUF_INIT(cap_) ((gk_buf){NULL, 0, 0, (cap_), false})

GK_API void gk_buf_put(gk_buf *b, const void *p, size_t n);
GK_API void gk_buf_puts(gk_buf *b, const char *s);
GK_API void gk_buf_putc(gk_buf *b, char c);
GK_API void gk_buf_printf(gk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for n more bytes; returns where to write them (then call gk_buf_commit), or NULL. */
GK_API char *gk_buf_reserve(gk_buf *b, size_t n);
GK_API void gk_buf_commit(gk_buf *b, size_t n);
/* Empty the buffer and clear the error; keeps the memory. */
GK_API void gk_buf_reset(gk_buf *b);
/* Free the memory; the buffer is empty and usable again. */
GK_API void gk_buf_release(gk_buf *b);
/* Hand the memory to the caller (free() it); the buffer is left empty. NULL if failed or empty. */
GK_API char *gk_buf_detach(gk_buf *b, size_t *len_out);

static inline bool gk_buf_failed(const gk_buf *b)
{
    return b->failed;
}

/* Checked size arithmetic for sizes that come from input: false on overflow. */
static inline bool gk_size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
static inline bool gk_size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

#ifdef __cplusplus
}
#endif
#endif
