/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_http_response.c - the native HTTP client's response parser
 * (src/runtime/http_resp_parse.c) as a connection drives it: bytes in reads of any size, then the
 * end of the connection. data[0] picks a HEAD request (bit 0) and a small body limit (bit 1), and
 * data[0] % size the cut. Any input must end in a complete response, an error, or "need more",
 * never a crash, hang or leak. Property: the outcome (result, status, keep-alive, bytes used,
 * header lines, body) is the same whether the input comes whole, in two reads at the cut, or one
 * byte at a time; a difference is a bug, so it aborts. */
#include <genkit/buf.h>

#include <stdlib.h>
#include <string.h>

#include "runtime/http_resp_parse.h"

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    gk_buf body;
    size_t limit;
    int heads_seen;
};

static bool on_head(void *arg, int status)
{
    struct sink *s = arg;
    if (status < 200 || status > 999)
        abort(); /* interim and impossible codes never reach the sink */
    s->heads_seen++;
    return true;
}

static bool on_body(void *arg, const char *p, size_t n)
{
    struct sink *s = arg;
    if (n == 0 || s->heads_seen != 1)
        abort();
    if (s->body.len + n > s->limit)
        return false;
    gk_buf_put(&s->body, p, n);
    return !gk_buf_failed(&s->body);
}

/* Parse data in reads of at most step bytes (0: two reads cut at cut); render the outcome. */
static void run(const uint8_t *data, size_t size, bool head, size_t limit, size_t cut, size_t step,
                gk_buf *out)
{
    struct sink s = {.body = GK_BUF_INIT(0), .limit = limit};
    gk_buf heads = GK_BUF_INIT(512);
    gk__http_resp_sink sk = {.on_head = on_head, .on_body = on_body, .arg = &s};
    gk__http_resp p;
    gk__http_resp_result r = GK__HTTP_RESP_MORE;
    size_t used_total = 0;
    size_t at = 0;
    gk__http_resp_init(&p, &heads, head, &sk);
    while (at < size && r == GK__HTTP_RESP_MORE) {
        size_t n = step ? (size - at < step ? size - at : step) : (at < cut ? cut - at : size - at);
        size_t used = 0;
        r = gk__http_resp_feed(&p, (const char *)data + at, n, &used);
        if (used > n || (r == GK__HTTP_RESP_MORE && used != n))
            abort();
        used_total += used;
        at += n;
    }
    if (r == GK__HTTP_RESP_MORE)
        r = gk__http_resp_eof(&p);
    if (r == GK__HTTP_RESP_ERROR && !p.error)
        abort();
    if (r == GK__HTTP_RESP_DONE && (!p.complete || p.status < 200 || s.heads_seen != 1))
        abort();
    if (heads.len && heads.ptr[heads.len - 1] != '\n' && r == GK__HTTP_RESP_DONE)
        abort();
    gk_buf_printf(out, "%d|%d|%d|%zu|", (int)r, p.status, (int)p.keep_alive,
                  r == GK__HTTP_RESP_DONE ? used_total : 0);
    if (r == GK__HTTP_RESP_DONE) {
        gk_buf_put(out, heads.ptr, heads.len);
        gk_buf_putc(out, '|');
        gk_buf_put(out, s.body.ptr, s.body.len);
    }
    gk_buf_release(&heads);
    gk_buf_release(&s.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gk_buf whole = GK_BUF_INIT(0);
    gk_buf split = GK_BUF_INIT(0);
    gk_buf bytes = GK_BUF_INIT(0);
    bool head;
    size_t limit;
    size_t cut;
    if (size < 1)
        return 0;
    head = data[0] & 1;
    limit = data[0] & 2 ? 64 : 1 << 20;
    cut = data[0] % size;
    data++;
    size--;
    if (cut > size)
        cut = size;
    run(data, size, head, limit, size, 0, &whole);
    run(data, size, head, limit, cut, 0, &split);
    run(data, size, head, limit, 0, 1, &bytes);
    if (whole.len != split.len || whole.len != bytes.len ||
        memcmp(whole.ptr, split.ptr, whole.len) != 0 ||
        memcmp(whole.ptr, bytes.ptr, whole.len) != 0)
        abort();
    gk_buf_release(&whole);
    gk_buf_release(&split);
    gk_buf_release(&bytes);
    return 0;
}
