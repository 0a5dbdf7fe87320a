/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/json_write.c - JSON output: string escaping, gk_json trees, and the gk_jw streaming
 * writer (git's json-writer) with automatic commas. Output is always valid JSON as long as the
 * strings given are valid UTF-8 (the reader guarantees that for parsed trees). Numbers are printed
 * in the C locale whatever the program's locale is. */
#include <genkit/json.h>

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_internal.h"
#include "base/banned.h"

/* For each byte: 0 copy as is; 'u' \u00XX; another character: backslash + it; 'L' maybe U+2028/9. */
static const char escape_table[256] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',
    ['\\'] = '\\', [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
    [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u',
    [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',
    [0x16] = 'u', [0x17] = 'u', [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',
    [0x1c] = 'u', [0x1d] = 'u', [0x1e] = 'u', [0x1f] = 'u', [0xe2] = 'L',
};

/* gk_buf_putc's fast path, inlined: a byte into room already there (the writer's commonest
 * operation); anything else goes through gk_buf_putc. */
static inline void putc_fast(gk_buf *b, char c)
{
    if (__builtin_expect(b->ptr && b->len + 2 <= b->alloc && !b->failed && b->len < b->cap, 1)) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return;
    }
    gk_buf_putc(b, c);
}

void gk_json_write_string(gk_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        s = "";
        len = 0;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t run = 0;
    putc_fast(b, '"');
    for (size_t i = 0; i < len; i++) {
        char e = escape_table[p[i]];
        if (__builtin_expect(e == 0, 1))
            continue;
        if (e == 'L') {
            /* U+2028 and U+2029 are valid in JSON but end lines in JavaScript: escape them so the
             * output can be embedded in a script. */
            if (i + 2 < len && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
                gk_buf_put(b, s + run, i - run);
                gk_buf_put(b, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                i += 2;
                run = i + 1;
            }
            continue;
        }
        gk_buf_put(b, s + run, i - run);
        run = i + 1;
        if (e == 'u') {
            char u[6] = {'\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15]};
            gk_buf_put(b, u, 6);
        } else {
            char esc[2] = {'\\', e};
            gk_buf_put(b, esc, 2);
        }
    }
    gk_buf_put(b, s + run, len - run);
    putc_fast(b, '"');
}

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

locale_t gk__json_c_locale(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale;
}

size_t gk__json_format_double(double d, char out[32])
{
    if (!isfinite(d)) {
        memcpy(out, "null", 5);
        return 4;
    }
    locale_t c = gk__json_c_locale();
    locale_t old = c ? uselocale(c) : (locale_t)0;
    int n = 0;
    /* The shortest of 15, 16 and 17 significant digits that reads back as the same double: 17
     * always does, and most values people write need 15. */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 32, "%.*g", prec, d);
        if (prec == 17 || (c ? strtod_l(out, NULL, c) : strtod(out, NULL)) == d)
            break;
    }
    if (c)
        uselocale(old);
    if (n < 0 || n >= 32) {
        memcpy(out, "null", 5);
        return 4;
    }
    return (size_t)n;
}

/* Decimal digits of i, as printf writes them with PRId64, but without printf (every integer of
 * every response). */
static void write_int(gk_buf *b, int64_t i)
{
    char tmp[24];
    size_t at = sizeof(tmp);
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    do {
        tmp[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (i < 0)
        tmp[--at] = '-';
    gk_buf_put(b, tmp + at, sizeof(tmp) - at);
}

static void write_number(gk_buf *b, const gk_json *v)
{
    if (v->str && v->len) {
        gk_buf_put(b, v->str, v->len);
    } else if (v->is_int) {
        write_int(b, v->integer);
    } else {
        char tmp[32];
        size_t n = gk__json_format_double(v->number, tmp);
        gk_buf_put(b, tmp, n);
    }
}

void gk_json_write(gk_buf *b, const gk_json *v)
{
    if (!v) {
        gk_buf_put(b, "null", 4);
        return;
    }
    switch (v->type) {
    case GK_JSON_NULL:
        gk_buf_put(b, "null", 4);
        return;
    case GK_JSON_BOOL:
        if (v->boolean)
            gk_buf_put(b, "true", 4);
        else
            gk_buf_put(b, "false", 5);
        return;
    case GK_JSON_NUMBER:
        write_number(b, v);
        return;
    case GK_JSON_STRING:
        gk_json_write_string(b, v->str ? v->str : "", v->str ? v->len : 0);
        return;
    case GK_JSON_ARRAY:
        putc_fast(b, '[');
        for (size_t i = 0; i < v->count && !gk_buf_failed(b); i++) {
            if (i)
                putc_fast(b, ',');
            gk_json_write(b, &v->items[i]);
        }
        putc_fast(b, ']');
        return;
    case GK_JSON_OBJECT:
        putc_fast(b, '{');
        for (size_t i = 0; i < v->count && !gk_buf_failed(b); i++) {
            const gk_json *m = &v->items[i];
            if (i)
                putc_fast(b, ',');
            gk_json_write_string(b, m->key ? m->key : "", m->key ? m->key_len : 0);
            putc_fast(b, ':');
            gk_json_write(b, m);
        }
        putc_fast(b, '}');
        return;
    }
    gk_buf_put(b, "null", 4);
}

/* Streaming writer. Container k (1-based depth) uses bit k-1 of first and after_key. */

void gk_jw_init(gk_jw *w, gk_buf *b)
{
    w->b = b;
    w->depth = 0;
    w->first = 0;
    w->after_key = 0;
}

/* Put the comma a new item needs (none for the first item, or for the value after a key). */
static void prefix(gk_jw *w)
{
    if (w->depth == 0)
        return;
    uint64_t bit = (uint64_t)1 << (w->depth - 1);
    if (w->after_key & bit) {
        w->after_key &= ~bit;
        return;
    }
    if (w->first & bit) {
        w->first &= ~bit;
        return;
    }
    putc_fast(w->b, ',');
}

static void begin(gk_jw *w, char c)
{
    if (w->depth >= GK_JW_MAX_DEPTH) {
        w->b->failed = true;
        return;
    }
    prefix(w);
    putc_fast(w->b, c);
    w->depth++;
    uint64_t bit = (uint64_t)1 << (w->depth - 1);
    w->first |= bit;
    w->after_key &= ~bit;
}

static void end(gk_jw *w, char c)
{
    if (w->depth == 0) {
        w->b->failed = true;
        return;
    }
    uint64_t bit = (uint64_t)1 << (w->depth - 1);
    w->first &= ~bit;
    w->after_key &= ~bit;
    w->depth--;
    putc_fast(w->b, c);
}

void gk_jw_object_begin(gk_jw *w)
{
    begin(w, '{');
}

void gk_jw_object_end(gk_jw *w)
{
    end(w, '}');
}

void gk_jw_array_begin(gk_jw *w)
{
    begin(w, '[');
}

void gk_jw_array_end(gk_jw *w)
{
    end(w, ']');
}

void gk_jw_key(gk_jw *w, const char *key)
{
    if (w->depth == 0) {
        w->b->failed = true;
        return;
    }
    prefix(w);
    gk_json_write_string(w->b, key, strlen(key));
    putc_fast(w->b, ':');
    w->after_key |= (uint64_t)1 << (w->depth - 1);
}

void gk_jw_string(gk_jw *w, const char *s)
{
    if (!s) {
        gk_jw_null(w);
        return;
    }
    prefix(w);
    gk_json_write_string(w->b, s, strlen(s));
}

void gk_jw_stringn(gk_jw *w, const char *s, size_t len)
{
    prefix(w);
    gk_json_write_string(w->b, s ? s : "", s ? len : 0);
}

void gk_jw_int(gk_jw *w, int64_t i)
{
    prefix(w);
    write_int(w->b, i);
}

void gk_jw_double(gk_jw *w, double d)
{
    char tmp[32];
    size_t n = gk__json_format_double(d, tmp);
    prefix(w);
    gk_buf_put(w->b, tmp, n);
}

void gk_jw_bool(gk_jw *w, bool v)
{
    prefix(w);
    if (v)
        gk_buf_put(w->b, "true", 4);
    else
        gk_buf_put(w->b, "false", 5);
}

void gk_jw_null(gk_jw *w)
{
    prefix(w);
    gk_buf_put(w->b, "null", 4);
}

void gk_jw_raw(gk_jw *w, const char *json, size_t len)
{
    prefix(w);
    gk_buf_put(w->b, json, len);
}

void gk_jw_value(gk_jw *w, const gk_json *v)
{
    prefix(w);
    gk_json_write(w->b, v);
}
