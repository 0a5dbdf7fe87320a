/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/registry.c - the action registry: actions keyed /<type>/<name>, an open-addressing hash
 * for lookups on the request path, and a key-ordered view for listing. Built before serving and
 * read-only afterwards, so lookups take no lock. */
#include <stdlib.h>
#include <string.h>

#include "core/registry.h"
#include "base/banned.h"

static const char *const type_names[GK_ACTION_TYPE_COUNT] = {
    [GK_ACTION_FLOW] = "flow",
    [GK_ACTION_MODEL] = "model",
    [GK_ACTION_TOOL] = "tool",
    [GK_ACTION_EMBEDDER] = "embedder",
    [GK_ACTION_RETRIEVER] = "retriever",
    [GK_ACTION_INDEXER] = "indexer",
    [GK_ACTION_EVALUATOR] = "evaluator",
    [GK_ACTION_PROMPT] = "prompt",
    [GK_ACTION_EXECUTABLE_PROMPT] = "executable-prompt",
    [GK_ACTION_UTIL] = "util",
};

const char *gk_action_type_name(gk_action_type t)
{
    if ((unsigned)t >= GK_ACTION_TYPE_COUNT)
        return "unknown";
    return type_names[t];
}

bool gk__action_type_from_name(const char *s, size_t n, gk_action_type *out)
{
    for (int t = 0; t < GK_ACTION_TYPE_COUNT; t++) {
        if (strlen(type_names[t]) == n && memcmp(type_names[t], s, n) == 0) {
            *out = (gk_action_type)t;
            return true;
        }
    }
    return false;
}

static uint64_t hash_key(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a: keys are short and trusted at insert time */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

void gk__registry_init(struct gk_registry *r)
{
    memset(r, 0, sizeof(*r));
}

void gk__registry_release(struct gk_registry *r)
{
    free(r->slots);
    free(r->list);
    memset(r, 0, sizeof(*r));
}

static bool grow(struct gk_registry *r)
{
    size_t nslots = r->nslots ? r->nslots * 2 : 64;
    gk_action **slots = calloc(nslots, sizeof(*slots));
    if (!slots)
        return false;
    for (size_t i = 0; i < r->nslots; i++) {
        gk_action *a = r->slots[i];
        if (!a)
            continue;
        size_t j = a->hash & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = a;
    }
    free(r->slots);
    r->slots = slots;
    r->nslots = nslots;
    return true;
}

gk_action *gk__registry_find(const struct gk_registry *r, const char *key, size_t len)
{
    if (!r->nslots)
        return NULL;
    uint64_t h = hash_key(key, len);
    for (size_t j = h & (r->nslots - 1);; j = (j + 1) & (r->nslots - 1)) {
        gk_action *a = r->slots[j];
        if (!a)
            return NULL;
        if (a->hash == h && a->key_len == len && memcmp(a->key, key, len) == 0)
            return a;
    }
}

static int by_key(const void *x, const void *y)
{
    const gk_action *a = *(gk_action *const *)x;
    const gk_action *b = *(gk_action *const *)y;
    return strcmp(a->key, b->key);
}

gk_status gk__registry_add(struct gk_registry *r, gk_action *a, gk_error *err)
{
    if (r->frozen)
        return gk_error_set(err, GK_FAILED_PRECONDITION, "",
                            "cannot define \"%s\": the registry is read-only once serving started",
                            a->key);
    a->hash = hash_key(a->key, a->key_len);
    if (gk__registry_find(r, a->key, a->key_len))
        return gk_error_set(err, GK_ALREADY_EXISTS, "", "action \"%s\" is already defined", a->key);
    /* Keep the load factor under one half so probes stay short. */
    if ((r->count + 1) * 2 > r->nslots && !grow(r))
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (r->count == r->list_cap) {
        size_t cap = r->list_cap ? r->list_cap * 2 : 32;
        gk_action **list = realloc(r->list, cap * sizeof(*list));
        if (!list)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
        r->list = list;
        r->list_cap = cap;
    }
    size_t j = a->hash & (r->nslots - 1);
    while (r->slots[j])
        j = (j + 1) & (r->nslots - 1);
    r->slots[j] = a;
    r->list[r->count++] = a;
    qsort(r->list, r->count, sizeof(*r->list), by_key);
    return GK_OK;
}
