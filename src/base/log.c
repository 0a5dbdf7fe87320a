/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/log.c - structured logging (see log.h): a record is built in a buffer and written with
 * one write(2), so concurrent threads never interleave within a line. */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <genkit/json.h>

#include "base/ids.h"
#include "base/banned.h"

#define LINE_MAX_BYTES (16 * 1024)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_int min_level = GK_LOG_INFO;
static atomic_int as_json = 1;
static atomic_int out_fd = 2;

static const char *const level_lower[] = {"debug", "info", "warn", "error"};
static const char *const level_upper[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static void configure_from_env(void)
{
    const char *lvl = getenv("GK_LOG_LEVEL");
    if (lvl) {
        if (strcasecmp(lvl, "debug") == 0)
            atomic_store(&min_level, GK_LOG_DEBUG);
        else if (strcasecmp(lvl, "warn") == 0 || strcasecmp(lvl, "warning") == 0)
            atomic_store(&min_level, GK_LOG_WARN);
        else if (strcasecmp(lvl, "error") == 0)
            atomic_store(&min_level, GK_LOG_ERROR);
        else
            atomic_store(&min_level, GK_LOG_INFO);
    }
    const char *fmt = getenv("GK_LOG_FORMAT");
    if (fmt && strcasecmp(fmt, "json") == 0)
        atomic_store(&as_json, 1);
    else if (fmt && strcasecmp(fmt, "text") == 0)
        atomic_store(&as_json, 0);
    else
        atomic_store(&as_json, isatty(2) ? 0 : 1);
}

void gk__log_configure(enum gk_log_level level, int json, int fd)
{
    pthread_once(&once, configure_from_env);
    if ((int)level >= GK_LOG_DEBUG && (int)level <= GK_LOG_ERROR)
        atomic_store(&min_level, (int)level);
    if (json >= 0)
        atomic_store(&as_json, json ? 1 : 0);
    if (fd >= 0)
        atomic_store(&out_fd, fd);
}

bool gk__log_enabled(enum gk_log_level lvl)
{
    pthread_once(&once, configure_from_env);
    return (int)lvl >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

/* Text format: s as is when it is a plain token, else as a JSON string. */
static void put_text_value(gk_buf *b, const char *s)
{
    bool plain = *s != '\0';
    for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
        plain = *p > ' ' && *p != '"' && *p != '=' && *p != 0x7f;
    if (plain)
        gk_buf_puts(b, s);
    else
        gk_json_write_string(b, s, strlen(s));
}

/* Text format message: control characters escaped so the record stays on one line. */
static void put_text_msg(gk_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < ' ' || *p == 0x7f)
            gk_buf_printf(b, "\\x%02x", *p);
        else
            gk_buf_putc(b, (char)*p);
    }
}

static void emit(enum gk_log_level lvl, const char *msg, const char *const *kv)
{
    char when[32];
    gk__iso8601(gk__wall_ms(), when);
    gk_buf b = GK_BUF_INIT(LINE_MAX_BYTES);
    /* msg is assumed UTF-8; invalid bytes would make the JSON line invalid, so drop to a marker. */
    size_t mlen = strlen(msg);
    if (!gk_utf8_valid(msg, mlen))
        msg = "(message with invalid UTF-8)";
    if (atomic_load(&as_json)) {
        gk_buf_puts(&b, "{\"time\":\"");
        gk_buf_puts(&b, when);
        gk_buf_puts(&b, "\",\"level\":\"");
        gk_buf_puts(&b, level_lower[lvl]);
        gk_buf_puts(&b, "\",\"msg\":");
        gk_json_write_string(&b, msg, strlen(msg));
        for (size_t i = 0; kv && kv[i]; i += 2) {
            const char *v = kv[i + 1];
            gk_buf_putc(&b, ',');
            gk_json_write_string(&b, kv[i], strlen(kv[i]));
            gk_buf_putc(&b, ':');
            if (!v)
                gk_buf_puts(&b, "null");
            else if (gk_utf8_valid(v, strlen(v)))
                gk_json_write_string(&b, v, strlen(v));
            else
                gk_buf_puts(&b, "\"(invalid UTF-8)\"");
            if (!v)
                break;
        }
        gk_buf_puts(&b, "}\n");
    } else {
        gk_buf_puts(&b, when);
        gk_buf_putc(&b, ' ');
        gk_buf_puts(&b, level_upper[lvl]);
        gk_buf_putc(&b, ' ');
        put_text_msg(&b, msg);
        for (size_t i = 0; kv && kv[i]; i += 2) {
            const char *v = kv[i + 1];
            gk_buf_putc(&b, ' ');
            put_text_msg(&b, kv[i]);
            gk_buf_putc(&b, '=');
            put_text_value(&b, v ? v : "-");
            if (!v)
                break;
        }
        gk_buf_putc(&b, '\n');
    }
    const char *line = b.ptr;
    size_t len = b.len;
    if (gk_buf_failed(&b) || !line) {
        line = "{\"level\":\"error\",\"msg\":\"log record too large or out of memory\"}\n";
        len = strlen(line);
    }
    int fd = atomic_load(&out_fd);
    while (len > 0) {
        ssize_t w = write(fd, line, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        line += w;
        len -= (size_t)w;
    }
    gk_buf_release(&b);
}

/* Cut a multi-byte character split by truncation at s[len], so the message stays valid UTF-8. */
static void trim_partial_utf8(char *s, size_t len)
{
    size_t k = len;
    while (k > 0 && len - k < 4 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
        k--;
    if (k == 0)
        return;
    unsigned char lead = (unsigned char)s[k - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (need > len - (k - 1))
        s[k - 1] = '\0';
}

void gk__log_kv(enum gk_log_level lvl, const char *msg, const char *const *kv)
{
    if ((int)lvl < GK_LOG_DEBUG || (int)lvl > GK_LOG_ERROR)
        lvl = GK_LOG_ERROR;
    if (!gk__log_enabled(lvl))
        return;
    int saved = errno;
    emit(lvl, msg ? msg : "", kv);
    errno = saved;
}

void gk__log(enum gk_log_level lvl, const char *fmt, ...)
{
    if ((int)lvl < GK_LOG_DEBUG || (int)lvl > GK_LOG_ERROR)
        lvl = GK_LOG_ERROR;
    if (!gk__log_enabled(lvl))
        return;
    int saved = errno;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    else if ((size_t)n >= sizeof(msg))
        trim_partial_utf8(msg, sizeof(msg) - 1);
    emit(lvl, msg, NULL);
    errno = saved;
}
