/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_lines.c - the SSE/NDJSON parser: any bytes, cut anywhere, must give events or a
 * status, never a crash, hang or leak. The first byte picks the mode, a small line limit, and the
 * cut (data[0] % size). Property: the events and the final status are the same whether the input is
 * fed whole, in two pieces at the cut, or one byte at a time (a difference is a bug, so it aborts).
 */
#include <genkit/buf.h>
#include <genkit/http.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gk_status render(void *arg, const gk_line_event *ev, gk_error *err)
{
    gk_buf *b = arg;
    (void)err;
    if (ev->data.ptr[ev->data.len] != '\0')
        abort();
    gk_buf_printf(b, "%zu:%s|%s|%lld|", ev->data.len, ev->event.ptr, ev->id.ptr,
                  (long long)ev->retry_ms);
    gk_buf_put(b, ev->data.ptr, ev->data.len);
    gk_buf_putc(b, '\n');
    /* A callback may fail: make it happen sometimes so that path is fuzzed too. */
    if (ev->data.len == 3 && memcmp(ev->data.ptr, "ERR", 3) == 0)
        return gk_error_set(err, GK_ABORTED, "", "callback said no");
    return GK_OK;
}

/* Feed data in pieces of at most step bytes (0: two pieces cut at cut). */
static gk_status run(gk_lines_mode mode, size_t max_line, const uint8_t *data, size_t size,
                     size_t cut, size_t step, gk_buf *out)
{
    gk_error err = {0};
    gk_status st = GK_OK;
    gk_lines *p = gk_lines_new(mode, max_line, render, out);
    if (!p)
        return GK_RESOURCE_EXHAUSTED;
    if (step == 0) {
        st = gk_lines_feed(p, data, cut, &err);
        if (st == GK_OK)
            st = gk_lines_feed(p, data + cut, size - cut, &err);
    } else {
        for (size_t at = 0; at < size && st == GK_OK; at += step) {
            size_t n = size - at < step ? size - at : step;
            st = gk_lines_feed(p, data + at, n, &err);
        }
    }
    if (st == GK_OK)
        st = gk_lines_finish(p, &err);
    if (st != GK_OK && err.status != st)
        abort();
    gk_lines_free(p);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size ? data[0] % size : 0; /* stream parsers break at chunk boundaries */
    gk_lines_mode mode = size && (data[0] & 0x80) ? GK_LINES_NDJSON : GK_LINES_SSE;
    size_t max_line = size && (data[0] & 0x40) ? 16 : 0;
    gk_buf whole = GK_BUF_INIT(0);
    gk_buf split = GK_BUF_INIT(0);
    gk_status a = run(mode, max_line, data, size, size, 0, &whole);
    gk_status b = run(mode, max_line, data, size, cut, 0, &split);
    if (a != b || whole.len != split.len || (whole.len && memcmp(whole.ptr, split.ptr, whole.len)))
        abort();
    if (size <= 4096) {
        gk_buf bytes = GK_BUF_INIT(0);
        gk_status c = run(mode, max_line, data, size, 0, 1, &bytes);
        if (c != a || bytes.len != whole.len ||
            (whole.len && memcmp(whole.ptr, bytes.ptr, whole.len)))
            abort();
        gk_buf_release(&bytes);
    }
    gk_buf_release(&whole);
    gk_buf_release(&split);
    return 0;
}
