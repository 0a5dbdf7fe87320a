/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/json.c - the strict JSON reader (RFC 8259) into an arena tree, plus lookups, UTF-8
 * checks, constructors and deep equality. The reader uses an explicit stack (no recursion, so a
 * deep document cannot overflow a small fiber stack): children of open containers wait in a scratch
 * array and are copied, exact size, into the arena when their container closes.
 * It accepts nothing beyond the RFC: no comments, trailing commas, NaN/Infinity, leading zeros,
 * byte order mark, invalid UTF-8 or lone surrogates; duplicate keys are errors. */
#include <genkit/json.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena_internal.h"
#include "base/fault.h"
#include "base/ids.h"
#include "base/json_internal.h"
#include "base/banned.h"

#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_SIZE  ((size_t)16 * 1024 * 1024)
#define SMALL_OBJECT      16 /* members compared linearly for duplicates; above, a hash set */
#define INLINE_VALS       16
#define INLINE_FRAMES     16

/* One open array or object. */
struct frame {
    size_t slot;      /* index in vals of the container's own value */
    size_t base;      /* index in vals of its first child */
    const char *open; /* its '[' or '{', for messages */
    size_t *set;      /* objects over SMALL_OBJECT members: open-addressed child index + 1 */
    size_t set_cap;   /* power of two, or 0 */
    bool object;
};

struct parser {
    const char *start;
    const char *p;
    const char *end;
    gk_arena *a;
    gk_error *err;
    size_t max_depth;
    gk_json *vals;
    size_t nvals;
    size_t cap_vals;
    struct frame *frames;
    size_t nframes;
    size_t cap_frames;
    gk_json vals_inline[INLINE_VALS];
    struct frame frames_inline[INLINE_FRAMES];
};

/* Byte classes inside strings: 0 plain ASCII, 1 quote, 2 backslash, 3 control, 4 non-ASCII. */
static const unsigned char str_class[256] = {
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
    4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
};

#define ONES  0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Nonzero if any of the 8 bytes in w is a control character, '"', '\\' or non-ASCII. */
static inline uint64_t swar_special(uint64_t w)
{
    uint64_t ctl = (w - ONES * 0x20) & ~w;
    uint64_t q = w ^ (ONES * '"');
    uint64_t bs = w ^ (ONES * '\\');
    q = (q - ONES) & ~q;
    bs = (bs - ONES) & ~bs;
    return (ctl | q | bs | w) & HIGHS;
}

/* Length of the well-formed UTF-8 sequence starting with a byte >= 0x80 at p, or 0 if it is
 * malformed (overlong, surrogate, above U+10FFFF, truncated). */
static inline size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t left = (size_t)(end - p);
    if (c < 0xc2)
        return 0;
    if (c < 0xe0)
        return left >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        if (left < 3 || (p[2] & 0xc0) != 0x80)
            return 0;
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80;
        unsigned hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 3 : 0;
    }
    if (c < 0xf5) {
        if (left < 4 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        unsigned lo = c == 0xf0 ? 0x90 : 0x80;
        unsigned hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 4 : 0;
    }
    return 0;
}

bool gk_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *end = p + n;
    while (p < end) {
        /* ASCII runs, 8 bytes at a time. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (w & HIGHS)
                break;
            p += 8;
        }
        if (p >= end)
            break;
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t k = utf8_seq(p, end);
        if (k == 0)
            return false;
        p += k;
    }
    return true;
}

/* ---- errors ---- */

static gk_status fail(struct parser *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Report a syntax error at position at as "line L column C: what" (column counts bytes from 1). */
static gk_status fail(struct parser *ps, const char *at, const char *fmt, ...)
{
    size_t line = 1;
    const char *line_start = ps->start;
    for (const char *q = ps->start; q < at; q++) {
        if (*q == '\n') {
            line++;
            line_start = q + 1;
        }
    }
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return gk_error_set(ps->err, GK_INVALID_ARGUMENT, "", "line %zu column %zu: %s", line,
                        (size_t)(at - line_start) + 1, what);
}

static gk_status oom(struct parser *ps)
{
    return gk_error_set(ps->err, GK_RESOURCE_EXHAUSTED, "",
                        "not enough memory to parse the JSON document");
}

/* Describe the byte at p for a message: "character 'x'" or "byte 0xNN". */
static void describe(const char *p, char out[24])
{
    unsigned char c = (unsigned char)*p;
    if (c > ' ' && c < 0x7f)
        snprintf(out, 24, "character '%c'", c);
    else
        snprintf(out, 24, "byte 0x%02x", c);
}

/* ---- scratch stacks ---- */

static bool grow_array(void **arr, size_t *cap, size_t elem, void *inline_buf)
{
    size_t ncap = *cap * 2;
    size_t bytes;
    if (!gk_size_mul(ncap, elem, &bytes) || gk__alloc_should_fail())
        return false;
    void *p;
    if (*arr == inline_buf) {
        p = malloc(bytes);
        if (p)
            memcpy(p, *arr, *cap * elem);
    } else {
        p = realloc(*arr, bytes);
    }
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

/* Reserve the next value slot (zeroed). */
static inline bool push_slot(struct parser *ps, size_t *slot)
{
    if (__builtin_expect(ps->nvals == ps->cap_vals, 0)) {
        void *arr = ps->vals;
        if (!grow_array(&arr, &ps->cap_vals, sizeof(gk_json), ps->vals_inline))
            return false;
        ps->vals = arr;
    }
    *slot = ps->nvals++;
    memset(&ps->vals[*slot], 0, sizeof(gk_json));
    return true;
}

/* ---- duplicate keys ---- */

static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static uint64_t hash_seed;

static void make_seed(void)
{
    gk__random_bytes(&hash_seed, sizeof(hash_seed));
}

/* Seeded hash of a key, so that crafted keys cannot make every lookup collide predictably. */
static uint64_t key_hash(const char *s, size_t n)
{
    uint64_t h = hash_seed ^ (n * 0x9e3779b97f4a7c15u);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9u;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    h = (h ^ w) * 0x94d049bb133111ebu;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9u;
    return h ^ (h >> 32);
}

static inline bool same_key(const gk_json *x, const gk_json *y)
{
    return x->key_len == y->key_len && (x->key_len == 0 || memcmp(x->key, y->key, x->key_len) == 0);
}

/* Insert child idx (relative to f->base) into f's set; returns false if an equal key is there. */
static bool set_insert(struct parser *ps, struct frame *f, size_t idx)
{
    const gk_json *m = &ps->vals[f->base + idx];
    size_t mask = f->set_cap - 1;
    size_t i = (size_t)key_hash(m->key, m->key_len) & mask;
    while (f->set[i]) {
        if (same_key(&ps->vals[f->base + f->set[i] - 1], m))
            return false;
        i = (i + 1) & mask;
    }
    f->set[i] = idx + 1;
    return true;
}

/* Size the set for n members (load <= 1/2), rehashing what it holds. Returns false if out of
 * memory. */
static bool set_reserve(struct parser *ps, struct frame *f, size_t n)
{
    if (f->set_cap >= 2 * n)
        return true;
    size_t cap = f->set_cap ? f->set_cap : 64;
    while (cap < 2 * n)
        cap *= 2;
    if (gk__alloc_should_fail())
        return false;
    size_t *set = calloc(cap, sizeof(size_t));
    if (!set)
        return false;
    free(f->set);
    f->set = set;
    f->set_cap = cap;
    pthread_once(&seed_once, make_seed);
    for (size_t i = 0; i + 1 < n; i++)
        set_insert(ps, f, i);
    return true;
}

/* Check that the member just keyed at slot has a key unseen in its object. Returns GK_OK,
 * GK_INVALID_ARGUMENT (duplicate) or GK_RESOURCE_EXHAUSTED. */
static gk_status check_duplicate(struct parser *ps, struct frame *f, size_t slot, const char *at)
{
    const gk_json *m = &ps->vals[slot];
    size_t n = slot - f->base + 1; /* members including this one */
    bool dup = false;
    if (n <= SMALL_OBJECT) {
        for (size_t i = f->base; i < slot && !dup; i++)
            dup = same_key(&ps->vals[i], m);
    } else {
        if (!set_reserve(ps, f, n))
            return oom(ps);
        dup = !set_insert(ps, f, n - 1);
    }
    if (!dup)
        return GK_OK;
    /* Quote the key for the message, escaped and shortened so the message stays readable. */
    gk_buf b = GK_BUF_INIT(0);
    gk_json_write_string(&b, m->key, m->key_len > 64 ? 64 : m->key_len);
    const char *shown = b.ptr && !gk_buf_failed(&b) ? b.ptr : "\"\"";
    /* A cut may split a multi-byte character; that only affects this message. */
    gk_status st = fail(ps, at, "duplicate key %s%s", shown, m->key_len > 64 ? "..." : "");
    gk_buf_release(&b);
    return st;
}

/* ---- scalars ---- */

static inline int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The code unit of the \uXXXX escape at p (p[0] == '\\', p[1] == 'u'), or -1. */
static inline long u_escape(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 6)
        return -1;
    int a = hexval(p[2]);
    int b = hexval(p[3]);
    int c = hexval(p[4]);
    int d = hexval(p[5]);
    if ((a | b | c | d) < 0)
        return -1;
    return (long)((a << 12) | (b << 8) | (c << 4) | d);
}

static inline size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/*
 * Parse the string at ps->p (on its opening quote) into arena memory. First pass: find the end,
 * validating UTF-8, control characters and escapes; second pass, only when there were escapes:
 * decode them (the decoded text is never longer than the source).
 */
static gk_status parse_string(struct parser *ps, const char **out, size_t *out_len)
{
    const unsigned char *open = (const unsigned char *)ps->p;
    const unsigned char *q = open + 1;
    const unsigned char *end = (const unsigned char *)ps->end;
    bool escaped = false;
    for (;;) {
        while (end - q >= 8) {
            uint64_t w;
            memcpy(&w, q, 8);
            if (swar_special(w))
                break;
            q += 8;
        }
        while (q < end && str_class[*q] == 0)
            q++;
        if (q >= end)
            return fail(ps, (const char *)open, "unterminated string");
        unsigned char c = *q;
        switch (str_class[c]) {
        case 1:
            goto done;
        case 2: {
            escaped = true;
            if (end - q < 2)
                return fail(ps, (const char *)open, "unterminated string");
            unsigned char e = q[1];
            if (e == 'u') {
                long cu = u_escape(q, end);
                if (cu < 0)
                    return fail(ps, (const char *)q, "invalid \\u escape");
                if (cu >= 0xdc00 && cu <= 0xdfff)
                    return fail(ps, (const char *)q, "unpaired surrogate \\u%04lx", cu);
                if (cu >= 0xd800 && cu <= 0xdbff) {
                    long lo = end - q >= 12 && q[6] == '\\' && q[7] == 'u' ? u_escape(q + 6, end) : -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(ps, (const char *)q, "unpaired surrogate \\u%04lx", cu);
                    q += 12;
                } else {
                    q += 6;
                }
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                q += 2;
            } else if (e >= 0x20 && e < 0x7f) {
                return fail(ps, (const char *)q, "invalid escape '\\%c'", e);
            } else {
                return fail(ps, (const char *)q, "invalid escape");
            }
            break;
        }
        case 3:
            return fail(ps, (const char *)q, "unescaped control character U+%04X in string", c);
        default: {
            size_t k = utf8_seq(q, end);
            if (k == 0)
                return fail(ps, (const char *)q, "invalid UTF-8 in string");
            q += k;
            break;
        }
        }
    }
done:;
    const char *src = (const char *)open + 1;
    size_t raw = (size_t)((const char *)q - src);
    ps->p = (const char *)q + 1;
    if (!escaped) {
        char *s = gk_arena_strndup(ps->a, src, raw);
        if (!s)
            return oom(ps);
        *out = s;
        *out_len = raw;
        return GK_OK;
    }
    char *s = gk__arena_alloc_raw(ps->a, raw + 1);
    if (!s)
        return oom(ps);
    char *w = s;
    const char *r = src;
    const char *stop = (const char *)q;
    while (r < stop) {
        const char *bs = memchr(r, '\\', (size_t)(stop - r));
        if (!bs)
            bs = stop;
        memcpy(w, r, (size_t)(bs - r));
        w += bs - r;
        r = bs;
        if (r >= stop)
            break;
        char e = r[1];
        switch (e) {
        case 'b':
            *w++ = '\b';
            r += 2;
            break;
        case 'f':
            *w++ = '\f';
            r += 2;
            break;
        case 'n':
            *w++ = '\n';
            r += 2;
            break;
        case 'r':
            *w++ = '\r';
            r += 2;
            break;
        case 't':
            *w++ = '\t';
            r += 2;
            break;
        case 'u': {
            unsigned long cp = (unsigned long)u_escape((const unsigned char *)r, end);
            r += 6;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned long lo = (unsigned long)u_escape((const unsigned char *)r, end);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                r += 6;
            }
            w += put_utf8(w, cp);
            break;
        }
        default: /* '"', '\\', '/' */
            *w++ = e;
            r += 2;
            break;
        }
    }
    *w = '\0';
    *out = s;
    *out_len = (size_t)(w - s);
    return GK_OK;
}

/* Exact powers of ten as doubles (10^22 is the largest one a double holds exactly). */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static gk_status parse_number(struct parser *ps, gk_json *v)
{
    const char *start = ps->p;
    const char *p = start;
    const char *end = ps->end;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (p >= end || (unsigned)(*p - '0') > 9)
        return fail(ps, start, "invalid number");
    uint64_t mag = 0;  /* the integer part, exact unless overflow */
    bool overflow = false;
    uint64_t digits = 0; /* integer and fraction digits, while there are at most 19 of them */
    int ndigits = 0;
    if (*p == '0') {
        p++;
        ndigits = 1;
        if (p < end && (unsigned)(*p - '0') <= 9)
            return fail(ps, start, "leading zeros are not allowed");
    } else {
        while (p < end && (unsigned)(*p - '0') <= 9) {
            unsigned d = (unsigned)(*p - '0');
            if (__builtin_mul_overflow(mag, 10, &mag) || __builtin_add_overflow(mag, d, &mag))
                overflow = true;
            ndigits++;
            p++;
        }
        digits = mag;
    }
    bool integral = true;
    int frac_digits = 0;
    if (p < end && *p == '.') {
        integral = false;
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9)
            return fail(ps, start, "invalid number");
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (ndigits < 19)
                digits = digits * 10 + (unsigned)(*p - '0');
            ndigits++;
            frac_digits++;
            p++;
        }
    }
    long exp10 = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = false;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || (unsigned)(*p - '0') > 9)
            return fail(ps, start, "invalid number");
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (exp10 < 100000)
                exp10 = exp10 * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            exp10 = -exp10;
    }
    size_t len = (size_t)(p - start);
    char *text = gk_arena_strndup(ps->a, start, len);
    if (!text)
        return oom(ps);
    v->type = GK_JSON_NUMBER;
    v->str = text;
    v->len = len;
    ps->p = p;
    if (integral && !overflow && mag <= (neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX)) {
        v->is_int = true;
        v->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        if (mag <= ((uint64_t)1 << 53)) {
            /* Exact as a double: no need for strtod. */
            v->number = neg ? -(double)mag : (double)mag;
            return GK_OK;
        }
    }
    long e = exp10 - frac_digits;
    if (ndigits <= 15 && e >= -22 && e <= 22) {
        /* Clinger's fast path: the digits and the power of ten are both exact doubles, so one
         * IEEE multiplication or division rounds correctly. */
        double d = (double)digits;
        d = e < 0 ? d / pow10_exact[-e] : d * pow10_exact[e];
        v->number = neg ? -d : d;
        return GK_OK;
    }
    locale_t c = gk__json_c_locale();
    double d = c ? strtod_l(text, NULL, c) : strtod(text, NULL);
    if (isinf(d))
        return fail(ps, start, "number out of range");
    v->number = d;
    return GK_OK;
}

/* true, false, null; anything else that starts with a letter (NaN, Infinity, True) is named. */
static gk_status parse_literal(struct parser *ps, gk_json *v)
{
    const char *p = ps->p;
    const char *q = p;
    while (q < ps->end && q - p < 24 &&
           ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
            *q == '_'))
        q++;
    size_t n = (size_t)(q - p);
    if (n == 4 && memcmp(p, "true", 4) == 0) {
        v->type = GK_JSON_BOOL;
        v->boolean = true;
    } else if (n == 5 && memcmp(p, "false", 5) == 0) {
        v->type = GK_JSON_BOOL;
    } else if (n == 4 && memcmp(p, "null", 4) == 0) {
        v->type = GK_JSON_NULL;
    } else {
        return fail(ps, p, "invalid literal '%.*s'", (int)n, p);
    }
    ps->p = q;
    return GK_OK;
}

/* ---- structure ---- */

static inline void skip_ws(struct parser *ps)
{
    const char *p = ps->p;
    const char *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

/* Move the children of the innermost container into the arena and make it a finished value. */
static gk_status close_container(struct parser *ps)
{
    struct frame *f = &ps->frames[ps->nframes - 1];
    size_t n = ps->nvals - f->base;
    gk_json *items = NULL;
    if (n) {
        items = gk__arena_alloc_raw(ps->a, n * sizeof(gk_json));
        if (!items)
            return oom(ps);
        memcpy(items, &ps->vals[f->base], n * sizeof(gk_json));
    }
    gk_json *v = &ps->vals[f->slot];
    v->type = f->object ? GK_JSON_OBJECT : GK_JSON_ARRAY;
    v->items = items;
    v->count = n;
    v->len = n;
    ps->nvals = f->base;
    free(f->set);
    ps->nframes--;
    return GK_OK;
}

static gk_status open_container(struct parser *ps, size_t slot, bool object)
{
    if (ps->nframes >= ps->max_depth)
        return fail(ps, ps->p, "nesting deeper than %zu levels", ps->max_depth);
    if (ps->nframes == ps->cap_frames) {
        void *arr = ps->frames;
        if (!grow_array(&arr, &ps->cap_frames, sizeof(struct frame), ps->frames_inline))
            return oom(ps);
        ps->frames = arr;
    }
    ps->frames[ps->nframes++] =
        (struct frame){.slot = slot, .base = ps->nvals, .open = ps->p, .object = object};
    ps->p++;
    return GK_OK;
}

/* A member name, its ':' and the whitespace after it, into vals[slot]. */
static gk_status parse_key(struct parser *ps, size_t slot)
{
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, ps->p, "unexpected end of input");
    if (*ps->p != '"') {
        char what[24];
        describe(ps->p, what);
        return fail(ps, ps->p, "expected a string key, got %s", what);
    }
    const char *at = ps->p;
    const char *key;
    size_t key_len;
    gk_status st = parse_string(ps, &key, &key_len);
    if (st != GK_OK)
        return st;
    ps->vals[slot].key = key;
    ps->vals[slot].key_len = key_len;
    st = check_duplicate(ps, &ps->frames[ps->nframes - 1], slot, at);
    if (st != GK_OK)
        return st;
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, ps->p, "unexpected end of input");
    if (*ps->p != ':')
        return fail(ps, ps->p, "expected ':'");
    ps->p++;
    return GK_OK;
}

static gk_status parse_document(struct parser *ps, gk_json **out)
{
    size_t slot;
    gk_status st;
    if (!push_slot(ps, &slot))
        return oom(ps);
    for (;;) {
        /* A value goes into vals[slot]. */
        skip_ws(ps);
        if (ps->p >= ps->end)
            return fail(ps, ps->p, "unexpected end of input");
        char c = *ps->p;
        bool container = false;
        if (c == '{' || c == '[') {
            bool object = c == '{';
            st = open_container(ps, slot, object);
            if (st != GK_OK)
                return st;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
                ps->p++;
                st = close_container(ps);
                if (st != GK_OK)
                    return st;
            } else {
                if (!push_slot(ps, &slot))
                    return oom(ps);
                if (object) {
                    st = parse_key(ps, slot);
                    if (st != GK_OK)
                        return st;
                }
                container = true;
            }
        } else if (c == '"') {
            gk_json *v = &ps->vals[slot];
            const char *s;
            size_t n;
            st = parse_string(ps, &s, &n);
            if (st != GK_OK)
                return st;
            v->type = GK_JSON_STRING;
            v->str = s;
            v->len = n;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            st = parse_number(ps, &ps->vals[slot]);
            if (st != GK_OK)
                return st;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            st = parse_literal(ps, &ps->vals[slot]);
            if (st != GK_OK)
                return st;
        } else if (c == '/') {
            return fail(ps, ps->p, "comments are not allowed");
        } else if ((unsigned char)c == 0xef && ps->end - ps->p >= 3 &&
                   (unsigned char)ps->p[1] == 0xbb && (unsigned char)ps->p[2] == 0xbf) {
            return fail(ps, ps->p, "byte order mark is not allowed");
        } else {
            char what[24];
            describe(ps->p, what);
            return fail(ps, ps->p, "unexpected %s", what);
        }
        if (container)
            continue; /* parse the first child */

        /* A value is complete: close finished containers, or move to the next sibling. */
        for (;;) {
            skip_ws(ps);
            if (ps->nframes == 0) {
                if (ps->p < ps->end) {
                    char what[24];
                    describe(ps->p, what);
                    return fail(ps, ps->p, "unexpected %s after the value", what);
                }
                gk_json *root = gk__arena_alloc_raw(ps->a, sizeof(gk_json));
                if (!root)
                    return oom(ps);
                *root = ps->vals[0];
                *out = root;
                return GK_OK;
            }
            struct frame *f = &ps->frames[ps->nframes - 1];
            char closer = f->object ? '}' : ']';
            if (ps->p >= ps->end)
                return fail(ps, ps->p, "unexpected end of input");
            if (*ps->p == ',') {
                const char *comma = ps->p;
                ps->p++;
                skip_ws(ps);
                if (ps->p < ps->end && (*ps->p == ']' || *ps->p == '}'))
                    return fail(ps, comma, "trailing comma");
                if (!push_slot(ps, &slot))
                    return oom(ps);
                if (f->object) {
                    st = parse_key(ps, slot);
                    if (st != GK_OK)
                        return st;
                }
                break; /* parse the next value */
            }
            if (*ps->p == closer) {
                ps->p++;
                st = close_container(ps);
                if (st != GK_OK)
                    return st;
                continue;
            }
            return fail(ps, ps->p, f->object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

gk_status gk_json_parse(gk_arena *a, const char *text, size_t len, const gk_json_limits *limits,
                        gk_json **out, gk_error *err)
{
    size_t max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_MAX_DEPTH;
    size_t max_size = limits && limits->max_size ? limits->max_size : DEFAULT_MAX_SIZE;
    *out = NULL;
    if (len > max_size)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "",
                            "JSON document of %zu bytes exceeds the limit of %zu bytes", len,
                            max_size);
    if (!text)
        text = "";
    struct parser *ps = &(struct parser){
        .start = text,
        .p = text,
        .end = text + len,
        .a = a,
        .err = err,
        .max_depth = max_depth,
        .cap_vals = INLINE_VALS,
        .cap_frames = INLINE_FRAMES,
    };
    ps->vals = ps->vals_inline;
    ps->frames = ps->frames_inline;
    gk_status st = parse_document(ps, out);
    for (size_t i = 0; i < ps->nframes; i++)
        free(ps->frames[i].set);
    if (ps->vals != ps->vals_inline)
        free(ps->vals);
    if (ps->frames != ps->frames_inline)
        free(ps->frames);
    if (st != GK_OK)
        *out = NULL;
    return st;
}

/* ---- lookups and helpers ---- */

const gk_json *gk_json_getn(const gk_json *obj, const char *key, size_t key_len)
{
    if (!obj || obj->type != GK_JSON_OBJECT || !key)
        return NULL;
    for (size_t i = 0; i < obj->count; i++) {
        const gk_json *m = &obj->items[i];
        if (m->key_len == key_len && (key_len == 0 || memcmp(m->key, key, key_len) == 0))
            return m;
    }
    return NULL;
}

const gk_json *gk_json_get(const gk_json *obj, const char *key)
{
    if (!key)
        return NULL;
    return gk_json_getn(obj, key, strlen(key));
}

const char *gk_json_type_name(const gk_json *v)
{
    if (!v)
        return "null";
    switch (v->type) {
    case GK_JSON_NULL:
        return "null";
    case GK_JSON_BOOL:
        return "boolean";
    case GK_JSON_NUMBER:
        return "number";
    case GK_JSON_STRING:
        return "string";
    case GK_JSON_ARRAY:
        return "array";
    case GK_JSON_OBJECT:
        return "object";
    }
    return "unknown";
}

/* ---- constructors ---- */

static gk_json *new_value(gk_arena *a, gk_json_type type)
{
    gk_json *v = gk_arena_alloc(a, sizeof(gk_json));
    if (v)
        v->type = type;
    return v;
}

gk_json *gk_json_new_null(gk_arena *a)
{
    return new_value(a, GK_JSON_NULL);
}

gk_json *gk_json_new_bool(gk_arena *a, bool b)
{
    gk_json *v = new_value(a, GK_JSON_BOOL);
    if (v)
        v->boolean = b;
    return v;
}

gk_json *gk_json_new_int(gk_arena *a, int64_t i)
{
    gk_json *v = new_value(a, GK_JSON_NUMBER);
    if (v) {
        v->is_int = true;
        v->integer = i;
        v->number = (double)i;
    }
    return v;
}

gk_json *gk_json_new_double(gk_arena *a, double d)
{
    gk_json *v = new_value(a, GK_JSON_NUMBER);
    if (v)
        v->number = d;
    return v;
}

gk_json *gk_json_new_string(gk_arena *a, const char *s, size_t len)
{
    gk_json *v = new_value(a, GK_JSON_STRING);
    if (!v)
        return NULL;
    char *copy = gk_arena_strndup(a, s ? s : "", s ? len : 0);
    if (!copy)
        return NULL;
    v->str = copy;
    v->len = s ? len : 0;
    return v;
}

gk_json *gk_json_new_array(gk_arena *a)
{
    return new_value(a, GK_JSON_ARRAY);
}

gk_json *gk_json_new_object(gk_arena *a)
{
    return new_value(a, GK_JSON_OBJECT);
}

/* Room for one more item in a container. For arrays and objects len records the capacity of
 * items (the reader sets it to count; values built by hand may leave it 0), so that pushes double
 * the storage instead of copying it each time. */
static gk_json *append_slot(gk_arena *a, gk_json *c)
{
    size_t cap = c->len > c->count ? c->len : c->count;
    if (c->count == cap) {
        size_t ncap = cap < 4 ? 4 : cap * 2;
        size_t old_bytes = c->count * sizeof(gk_json);
        size_t new_bytes;
        if (!gk_size_mul(ncap, sizeof(gk_json), &new_bytes))
            return NULL;
        gk_json *items = gk_arena_realloc(a, c->items, old_bytes, new_bytes);
        if (!items)
            return NULL;
        c->items = items;
        c->len = ncap;
    }
    return &c->items[c->count];
}

bool gk_json_array_push(gk_arena *a, gk_json *arr, const gk_json *v)
{
    if (!arr || !v || arr->type != GK_JSON_ARRAY)
        return false;
    gk_json copy = *v; /* v may point into arr->items, which may move */
    gk_json *slot = append_slot(a, arr);
    if (!slot)
        return false;
    *slot = copy;
    slot->key = NULL;
    slot->key_len = 0;
    arr->count++;
    return true;
}

bool gk_json_object_set(gk_arena *a, gk_json *obj, const char *key, const gk_json *v)
{
    if (!obj || !key || !v || obj->type != GK_JSON_OBJECT)
        return false;
    size_t key_len = strlen(key);
    gk_json copy = *v;
    for (size_t i = 0; i < obj->count; i++) {
        gk_json *m = &obj->items[i];
        if (m->key_len == key_len && (key_len == 0 || memcmp(m->key, key, key_len) == 0)) {
            const char *k = m->key;
            *m = copy;
            m->key = k;
            m->key_len = key_len;
            return true;
        }
    }
    char *k = gk_arena_strndup(a, key, key_len);
    if (!k)
        return false;
    gk_json *slot = append_slot(a, obj);
    if (!slot)
        return false;
    *slot = copy;
    slot->key = k;
    slot->key_len = key_len;
    obj->count++;
    return true;
}

/* ---- equality ---- */

/* An integer and a double are equal only if the double is exactly that integer. */
static bool int_equals_double(int64_t i, double d)
{
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
    if (d != floor(d))
        return false;
    return (int64_t)d == i;
}

static bool numbers_equal(const gk_json *x, const gk_json *y)
{
    if (x->is_int && y->is_int)
        return x->integer == y->integer;
    if (x->is_int)
        return int_equals_double(x->integer, y->number);
    if (y->is_int)
        return int_equals_double(y->integer, x->number);
    return x->number == y->number;
}

bool gk_json_equal(const gk_json *x, const gk_json *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->type != y->type)
        return false;
    switch (x->type) {
    case GK_JSON_NULL:
        return true;
    case GK_JSON_BOOL:
        return x->boolean == y->boolean;
    case GK_JSON_NUMBER:
        return numbers_equal(x, y);
    case GK_JSON_STRING:
        return x->len == y->len && (x->len == 0 || memcmp(x->str, y->str, x->len) == 0);
    case GK_JSON_ARRAY:
        if (x->count != y->count)
            return false;
        for (size_t i = 0; i < x->count; i++)
            if (!gk_json_equal(&x->items[i], &y->items[i]))
                return false;
        return true;
    case GK_JSON_OBJECT:
        if (x->count != y->count)
            return false;
        for (size_t i = 0; i < x->count; i++) {
            const gk_json *m = &x->items[i];
            if (!gk_json_equal(m, gk_json_getn(y, m->key, m->key_len)))
                return false;
        }
        return true;
    }
    return false;
}
