/* SPDX-License-Identifier: Apache-2.0 */
/* tests/base/log_test.c - structured log records: json and text formats, levels, escaping. */
#include "base/log.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static int fds[2];
static char got[32768];

static void capture(enum gk_log_level level, int json)
{
    if (pipe(fds) != 0)
        fds[0] = fds[1] = -1;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    gk__log_configure(level, json, fds[1]);
}

/* Stop capturing and return what was written. */
static const char *captured(void)
{
    gk__log_configure(GK_LOG_INFO, isatty(2) ? 0 : 1, 2);
    close(fds[1]);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fds[0], got + len, sizeof(got) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    got[len] = '\0';
    close(fds[0]);
    return got;
}

/* got with the 24-character timestamp replaced by "T". */
static const char *without_time(const char *s, size_t at)
{
    static char out[32768];
    if (strlen(s) < at + 24)
        return s;
    memcpy(out, s, at);
    out[at] = 'T';
    snprintf(out + at + 1, sizeof(out) - at - 1, "%s", s + at + 24);
    return out;
}

TEST(log_json_record_has_time_level_msg_and_fields)
{
    capture(GK_LOG_DEBUG, 1);
    const char *const kv[] = {"flow", "menu", "status", "INVALID_ARGUMENT", "quote", "a\"b\n", NULL};
    gk__log_kv(GK_LOG_WARN, "flow failed", kv);
    const char *out = captured();
    EXPECT_EQ(strncmp(out, "{\"time\":\"20", 11), 0);
    EXPECT_EQ(out[9 + 23], 'Z');
    EXPECT_STREQ(without_time(out, 9), "{\"time\":\"T\",\"level\":\"warn\",\"msg\":\"flow failed\","
                                       "\"flow\":\"menu\",\"status\":\"INVALID_ARGUMENT\","
                                       "\"quote\":\"a\\\"b\\n\"}\n");
}

TEST(log_text_record_quotes_values_that_need_it)
{
    capture(GK_LOG_DEBUG, 0);
    const char *const kv[] = {"k", "v", "spaced", "a b", "empty", "", "null", NULL, NULL};
    gk__log_kv(GK_LOG_INFO, "line\nbreak", kv);
    gk__log(GK_LOG_ERROR, "code %d", 7);
    const char *out = captured();
    char first[512];
    const char *nl = strchr(out, '\n');
    ASSERT_TRUE(nl != NULL);
    snprintf(first, sizeof(first), "%.*s", (int)(nl + 1 - out), out);
    EXPECT_STREQ(without_time(first, 0), "T INFO line\\x0abreak k=v spaced=\"a b\" empty=\"\" null=-\n");
    EXPECT_STREQ(without_time(nl + 1, 0), "T ERROR code 7\n");
}

TEST(log_drops_records_below_minimum_level)
{
    capture(GK_LOG_WARN, 1);
    EXPECT_FALSE(gk__log_enabled(GK_LOG_INFO));
    EXPECT_TRUE(gk__log_enabled(GK_LOG_ERROR));
    gk__log(GK_LOG_DEBUG, "no");
    gk__log(GK_LOG_INFO, "no");
    gk__log(GK_LOG_WARN, "yes");
    const char *out = captured();
    EXPECT_TRUE(strstr(out, "\"msg\":\"no\"") == NULL);
    EXPECT_CONTAINS(out, "\"level\":\"warn\",\"msg\":\"yes\"}");
}

TEST(log_long_message_is_truncated_on_a_character_boundary)
{
    capture(GK_LOG_DEBUG, 1);
    char big[5000];
    size_t n = 0;
    while (n + 2 < sizeof(big) - 1) {
        big[n++] = '\xc3';
        big[n++] = '\xa9';
    }
    big[n] = '\0';
    gk__log(GK_LOG_INFO, "x%s", big);
    const char *out = captured();
    EXPECT_TRUE(strstr(out, "invalid UTF-8") == NULL);
    EXPECT_CONTAINS(out, "\xc3\xa9\"}\n");
}

TEST(log_invalid_utf8_is_replaced)
{
    capture(GK_LOG_DEBUG, 1);
    const char *const kv[] = {"v", "\xff", NULL};
    gk__log_kv(GK_LOG_INFO, "bad \xc0", kv);
    const char *out = captured();
    EXPECT_CONTAINS(out, "\"msg\":\"(message with invalid UTF-8)\",\"v\":\"(invalid UTF-8)\"}");
}
