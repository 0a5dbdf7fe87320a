/* SPDX-License-Identifier: Apache-2.0 */
/* src/core/registry.h - the action record and the registry that holds them (core-private). */
#ifndef GK_CORE_REGISTRY_H
#define GK_CORE_REGISTRY_H

#include <genkit/flow.h>

/* One registered action. Invariants: key is "/<type>/<name>" and key_len its length; every string
 * lives in the instance's arena; in_type/out_type are never NULL. */
struct gk_action {
    gk_action_type type;
    const char *key;
    size_t key_len;
    uint64_t hash;
    const char *name;
    const char *description; /* "" if none */
    const gk_type *in_type;
    const gk_type *out_type;
    const gk_type *chunk_type; /* NULL: not streaming */
    gk_action_fn fn;
    void *self;
    const char *metadata_json; /* "{}" if none */
    gk_genkit *g;
};

/* Invariants: slots has nslots entries (a power of two or 0), at most half used; list holds the
 * count actions sorted by key. */
struct gk_registry {
    gk_action **slots;
    size_t nslots;
    gk_action **list;
    size_t count;
    size_t list_cap;
    bool frozen;
};

void gk__registry_init(struct gk_registry *r);
void gk__registry_release(struct gk_registry *r);
gk_status gk__registry_add(struct gk_registry *r, gk_action *a, gk_error *err);
gk_action *gk__registry_find(const struct gk_registry *r, const char *key, size_t len);
bool gk__action_type_from_name(const char *s, size_t n, gk_action_type *out);

#endif
