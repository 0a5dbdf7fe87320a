/* SPDX-License-Identifier: Apache-2.0 */
/* tests/core/plugin_listed_test.c - gk_plugin_each_listed splits GK_<PLUGIN>_MODELS-style lists. */
#include <genkit/genkit.h>

#include "test.h"

struct seen {
    char items[256];
    int stop_at; /* fail on this item (1-based), 0: never */
    int n;
};

static gk_status collect(const char *s, size_t len, void *arg, gk_error *err)
{
    struct seen *v = arg;
    v->n++;
    if (v->stop_at == v->n)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "bad item \"%.*s\"", (int)len, s);
    size_t used = strlen(v->items);
    snprintf(v->items + used, sizeof(v->items) - used, "[%.*s]", (int)len, s);
    return GK_OK;
}

TEST(each_listed_trims_blanks_and_skips_empty_items)
{
    struct seen v = {0};
    gk_error err = {0};

    gk_status st = gk_plugin_each_listed(" gpt-4o,\to3-mini ,, ,x", collect, &v, &err);

    EXPECT_EQ(st, GK_OK);
    EXPECT_STREQ(v.items, "[gpt-4o][o3-mini][x]");
}

TEST(each_listed_accepts_null_and_empty_lists)
{
    struct seen v = {0};
    EXPECT_EQ(gk_plugin_each_listed(NULL, collect, &v, NULL), GK_OK);
    EXPECT_EQ(gk_plugin_each_listed("", collect, &v, NULL), GK_OK);
    EXPECT_EQ(gk_plugin_each_listed(" , ,", collect, &v, NULL), GK_OK);
    EXPECT_EQ(v.n, 0);
}

TEST(each_listed_stops_at_the_first_failure)
{
    struct seen v = {.stop_at = 2};
    gk_error err = {0};

    gk_status st = gk_plugin_each_listed("a,b,c", collect, &v, &err);

    EXPECT_EQ(st, GK_INVALID_ARGUMENT);
    EXPECT_STREQ(err.message, "bad item \"b\"");
    EXPECT_STREQ(v.items, "[a]");
    EXPECT_EQ(v.n, 2);
}
