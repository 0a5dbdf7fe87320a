/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/lines.c - the incremental SSE / NDJSON parser (genkit/http.h): bytes split anywhere
 * in, complete events out through a callback. Bounded: a line or an event over max_line is an
 * error, never unbounded growth. It does not parse JSON (NDJSON lines go to gk_json_parse) and
 * knows nothing about HTTP. */
#include <genkit/buf.h>
#include <genkit/http.h>

#include <stdlib.h>
#include <string.h>

#include "base/fault.h"

#include "base/banned.h"

static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

/*
 * Invariants: line holds the current line without its ending; cr means the last byte seen was a CR
 * (an immediately following LF belongs to it); data/event/id are SSE's buffers (data with a "\n"
 * after each data line); status != GK_OK means failed (saved holds the report) and nothing more is
 * delivered; offset counts the bytes consumed before the current feed position.
 */
struct gk_lines {
    gk_lines_mode mode;
    size_t max_line;
    gk_line_fn fn;
    void *arg;
    gk_buf line;
    gk_buf data;
    gk_buf event;
    gk_buf id;
    int64_t retry_ms;
    uint64_t count;
    uint64_t offset;
    unsigned bom_seen; /* BOM bytes matched at the start of the stream (3: decided) */
    bool cr;
    bool finished;
    gk_status status;
    gk_error saved;
};

gk_lines *gk_lines_new(gk_lines_mode mode, size_t max_line, gk_line_fn fn, void *arg)
{
    gk_lines *p;
    if ((mode != GK_LINES_SSE && mode != GK_LINES_NDJSON) || !fn)
        return NULL;
    if (gk__alloc_should_fail())
        return NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->mode = mode;
    p->max_line = max_line && max_line < GK_LINES_MAX_LINE ? max_line : GK_LINES_MAX_LINE;
    p->fn = fn;
    p->arg = arg;
    /* The caps are checked by hand first (for a precise message); these are the backstop. */
    p->line = GK_BUF_INIT(p->max_line);
    p->data = GK_BUF_INIT(p->max_line + 1);
    p->event = GK_BUF_INIT(p->max_line);
    p->id = GK_BUF_INIT(p->max_line);
    p->retry_ms = -1;
    return p;
}

void gk_lines_free(gk_lines *p)
{
    if (!p)
        return;
    gk_buf_release(&p->line);
    gk_buf_release(&p->data);
    gk_buf_release(&p->event);
    gk_buf_release(&p->id);
    free(p);
}

static gk_status fail(gk_lines *p, gk_error *err)
{
    p->status = p->saved.status;
    if (err)
        *err = p->saved;
    return p->status;
}

static gk_status fail_oom(gk_lines *p, gk_error *err)
{
    gk_error_set(&p->saved, GK_RESOURCE_EXHAUSTED, "", "out of memory parsing %s at byte %llu",
                 p->mode == GK_LINES_SSE ? "SSE" : "NDJSON", (unsigned long long)p->offset);
    return fail(p, err);
}

static gk_str buf_str(const gk_buf *b)
{
    return (gk_str){b->ptr ? b->ptr : "", b->len};
}

static gk_status deliver(gk_lines *p, gk_str data, gk_str event, gk_str id, gk_error *err)
{
    gk_line_event ev = {
        .data = data, .event = event, .id = id, .retry_ms = p->retry_ms, .index = p->count};
    gk_error e = {0};
    gk_status st;
    p->count++;
    st = p->fn(p->arg, &ev, &e);
    if (st == GK_OK)
        return GK_OK;
    p->saved = e;
    if (p->saved.status != st) {
        p->saved.status = st;
        if (p->saved.message[0] == '\0')
            gk_error_set(&p->saved, st, "", "event %llu rejected with %s",
                         (unsigned long long)ev.index, gk_status_name(st));
    }
    return fail(p, err);
}

static gk_status sse_dispatch(gk_lines *p, gk_error *err)
{
    gk_status st;
    if (p->data.len == 0) {
        /* No data lines: the spec drops the event (and its type). */
        gk_buf_reset(&p->event);
        return GK_OK;
    }
    p->data.len--; /* the "\n" after the last data line */
    p->data.ptr[p->data.len] = '\0';
    st = deliver(p, buf_str(&p->data), buf_str(&p->event), buf_str(&p->id), err);
    gk_buf_reset(&p->data);
    gk_buf_reset(&p->event);
    return st;
}

static bool field_is(const char *f, size_t n, const char *name)
{
    size_t len = strlen(name);
    return n == len && memcmp(f, name, len) == 0;
}

static gk_status sse_line(gk_lines *p, const char *s, size_t n, gk_error *err)
{
    const char *colon;
    const char *value;
    size_t flen;
    size_t vlen;
    if (n == 0)
        return sse_dispatch(p, err);
    if (s[0] == ':')
        return GK_OK;
    colon = memchr(s, ':', n);
    if (colon) {
        flen = (size_t)(colon - s);
        value = colon + 1;
        vlen = n - flen - 1;
        if (vlen > 0 && value[0] == ' ') {
            value++;
            vlen--;
        }
    } else {
        flen = n;
        value = "";
        vlen = 0;
    }
    if (field_is(s, flen, "data")) {
        if (p->data.len + vlen + 1 > p->max_line + 1) {
            gk_error_set(&p->saved, GK_RESOURCE_EXHAUSTED, "",
                         "SSE event ending at byte %llu has more than %zu bytes of data",
                         (unsigned long long)p->offset, p->max_line);
            return fail(p, err);
        }
        gk_buf_put(&p->data, value, vlen);
        gk_buf_putc(&p->data, '\n');
        if (gk_buf_failed(&p->data))
            return fail_oom(p, err);
    } else if (field_is(s, flen, "event")) {
        gk_buf_reset(&p->event);
        gk_buf_put(&p->event, value, vlen);
        if (gk_buf_failed(&p->event))
            return fail_oom(p, err);
    } else if (field_is(s, flen, "id")) {
        if (!memchr(value, '\0', vlen)) {
            gk_buf_reset(&p->id);
            gk_buf_put(&p->id, value, vlen);
            if (gk_buf_failed(&p->id))
                return fail_oom(p, err);
        }
    } else if (field_is(s, flen, "retry")) {
        int64_t ms = 0;
        size_t i = 0;
        for (; i < vlen && value[i] >= '0' && value[i] <= '9'; i++) {
            if (ms > (INT64_MAX - 9) / 10)
                break;
            ms = ms * 10 + (value[i] - '0');
        }
        if (vlen > 0 && i == vlen)
            p->retry_ms = ms;
    }
    return GK_OK;
}

static gk_status ndjson_line(gk_lines *p, const char *s, size_t n, gk_error *err)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n)
        return GK_OK;
    return deliver(p, buf_str(&p->line), (gk_str){"", 0}, (gk_str){"", 0}, err);
}

/* The current line is complete. */
static gk_status end_line(gk_lines *p, gk_error *err)
{
    gk_status st;
    const char *s = p->line.ptr ? p->line.ptr : "";
    if (p->mode == GK_LINES_SSE)
        st = sse_line(p, s, p->line.len, err);
    else
        st = ndjson_line(p, s, p->line.len, err);
    gk_buf_reset(&p->line);
    return st;
}

static gk_status append_line(gk_lines *p, const char *s, size_t n, gk_error *err)
{
    if (n == 0)
        return GK_OK;
    if (n > p->max_line - p->line.len) {
        gk_error_set(&p->saved, GK_RESOURCE_EXHAUSTED, "",
                     "%s line starting near byte %llu is longer than %zu bytes",
                     p->mode == GK_LINES_SSE ? "SSE" : "NDJSON",
                     (unsigned long long)(p->offset - p->line.len), p->max_line);
        return fail(p, err);
    }
    gk_buf_put(&p->line, s, n);
    if (gk_buf_failed(&p->line))
        return fail_oom(p, err);
    return GK_OK;
}

/* Split bytes (past the BOM check) into lines. */
static gk_status feed_bytes(gk_lines *p, const char *s, size_t len, gk_error *err)
{
    while (len > 0) {
        size_t i = 0;
        gk_status st;
        if (p->cr) {
            p->cr = false;
            if (s[0] == '\n') {
                s++;
                len--;
                p->offset++;
                continue;
            }
        }
        while (i < len && s[i] != '\n' && s[i] != '\r')
            i++;
        st = append_line(p, s, i, err);
        p->offset += i;
        if (st != GK_OK)
            return st;
        if (i == len)
            return GK_OK;
        p->cr = s[i] == '\r';
        p->offset++;
        st = end_line(p, err);
        if (st != GK_OK)
            return st;
        s += i + 1;
        len -= i + 1;
    }
    return GK_OK;
}

gk_status gk_lines_feed(gk_lines *p, const void *data, size_t len, gk_error *err)
{
    const unsigned char *s = data;
    if (p->status != GK_OK)
        return fail(p, err);
    if (p->finished) {
        gk_error_set(&p->saved, GK_FAILED_PRECONDITION, "", "bytes fed after the end of stream");
        return fail(p, err);
    }
    /* A BOM may arrive split; bytes that turn out not to be one are fed as ordinary data. */
    while (p->bom_seen < 3 && len > 0) {
        if (s[0] == bom[p->bom_seen]) {
            p->bom_seen++;
            p->offset++;
            s++;
            len--;
            continue;
        }
        unsigned seen = p->bom_seen;
        p->bom_seen = 3;
        p->offset -= seen;
        if (seen && feed_bytes(p, (const char *)bom, seen, err) != GK_OK)
            return p->status;
    }
    return feed_bytes(p, (const char *)s, len, err);
}

gk_status gk_lines_finish(gk_lines *p, gk_error *err)
{
    gk_status st;
    if (p->status != GK_OK)
        return fail(p, err);
    if (p->finished)
        return GK_OK;
    if (p->bom_seen < 3) {
        unsigned seen = p->bom_seen;
        p->bom_seen = 3;
        p->offset -= seen;
        st = feed_bytes(p, (const char *)bom, seen, err);
        if (st != GK_OK)
            return st;
    }
    p->finished = true;
    if (p->line.len > 0) {
        st = end_line(p, err);
        if (st != GK_OK)
            return st;
    }
    if (p->mode == GK_LINES_SSE)
        return sse_dispatch(p, err);
    return GK_OK;
}
