/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/yaml.c - the libfyaml wrapper: parse with collected diagnostics (nothing printed),
 * refuse aliases and complex keys, emit the document as JSON and parse that with our strict
 * reader, and map JSON pointers back to source marks. */
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "base/yaml.h"

#include "base/banned.h"

struct gk__yaml {
    struct fy_document *fyd;
    struct fy_diag *diag;
};

void gk__yaml_free(gk__yaml *doc)
{
    if (!doc)
        return;
    if (doc->fyd)
        fy_document_destroy(doc->fyd);
    if (doc->diag)
        fy_diag_destroy(doc->diag);
    free(doc);
}

/* The 1-based start of node fyn: a scalar's token, else (collections carry no token) the mark
 * of its first key or item. False if nothing inside has one (an empty collection). */
static bool node_mark(struct fy_node *fyn, int *line, int *col)
{
    for (int depth = 0; fyn && depth < 70; depth++) {
        void *it = NULL;
        if (fy_node_is_mapping(fyn)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(fyn, &it);
            fyn = p ? fy_node_pair_key(p) : NULL;
            continue;
        }
        if (fy_node_is_sequence(fyn)) {
            fyn = fy_node_sequence_iterate(fyn, &it);
            continue;
        }
        struct fy_token *t = fy_node_get_scalar_token(fyn);
        const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
        if (!m)
            return false;
        *line = m->line + 1;
        *col = m->column + 1;
        return true;
    }
    return false;
}

/* Walk the tree: refuse aliases and keys that are not scalars. depth bounds the recursion. */
static gk_status check_node(struct fy_node *fyn, const char *name, int depth, int pl, int pc,
                            gk_error *err)
{
    int line = pl;
    int col = pc;
    node_mark(fyn, &line, &col);
    if (depth > 64)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s:%d:%d: nesting deeper than 64", name,
                            line, col);
    if (!fyn)
        return GK_OK;
    if (fy_node_is_alias(fyn))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "%s:%d:%d: aliases (*name) are not supported; repeat the value", name,
                            line, col);
    void *it = NULL;
    if (fy_node_is_sequence(fyn)) {
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(fyn, &it)) != NULL) {
            gk_status st = check_node(item, name, depth + 1, line, col, err);
            if (st != GK_OK)
                return st;
        }
    } else if (fy_node_is_mapping(fyn)) {
        struct fy_node_pair *p;
        while ((p = fy_node_mapping_iterate(fyn, &it)) != NULL) {
            struct fy_node *k = fy_node_pair_key(p);
            int kl = line;
            int kc = col;
            node_mark(k, &kl, &kc);
            if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k))
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "%s:%d:%d: mapping keys must be plain strings", name, kl, kc);
            if (strcmp(fy_node_get_scalar0(k) ? fy_node_get_scalar0(k) : "", "<<") == 0)
                return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                    "%s:%d:%d: merge keys (<<) are not supported", name, kl, kc);
            gk_status st = check_node(fy_node_pair_value(p), name, depth + 1, kl, kc, err);
            if (st != GK_OK)
                return st;
        }
    }
    return GK_OK;
}

/* Only blank lines, comments and document markers: libfyaml builds no document from that. */
static bool no_content(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && p[i] != '\n')
            i++;
        size_t j = start;
        while (j < i && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r'))
            j++;
        bool marker = i - j >= 3 && (memcmp(p + j, "---", 3) == 0 || memcmp(p + j, "...", 3) == 0);
        if (j < i && p[j] != '#' && !marker)
            return false;
        i++;
    }
    return true;
}

gk_status gk__yaml_parse(gk_arena *a, const char *name, const char *text, size_t len,
                         gk__yaml **doc_out, gk_json **json_out, gk_error *err)
{
    *doc_out = NULL;
    *json_out = NULL;
    if (!name)
        name = "<yaml>";
    if (len > GK__YAML_MAX_BYTES)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s: larger than %u bytes", name,
                            GK__YAML_MAX_BYTES);
    if (!gk_utf8_valid(text, len) || memchr(text, '\0', len))
        return gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s: not valid UTF-8 text", name);
    gk__yaml *doc = calloc(1, sizeof(*doc));
    if (!doc)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (no_content(text, len)) { /* an empty file is an empty mapping */
        *json_out = gk_json_new_object(a);
        *doc_out = doc;
        return *json_out ? GK_OK : gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.colorize = false;
    doc->diag = fy_diag_create(&dcfg);
    if (!doc->diag) {
        gk__yaml_free(doc);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    fy_diag_set_collect_errors(doc->diag, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_JSON_NONE,
                               .diag = doc->diag};
    doc->fyd = fy_document_build_from_string(&cfg, text, len);
    if (!doc->fyd || fy_diag_got_error(doc->diag)) {
        void *it = NULL;
        struct fy_diag_error *e = fy_diag_errors_iterate(doc->diag, &it);
        if (e)
            gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s:%d:%d: %s", name, e->line + 1,
                         e->column + 1, e->msg ? e->msg : "syntax error");
        else
            gk_error_set(err, GK_INVALID_ARGUMENT, "", "%s: not valid YAML", name);
        gk__yaml_free(doc);
        return GK_INVALID_ARGUMENT;
    }
    struct fy_node *root = fy_document_root(doc->fyd);
    gk_status st = check_node(root, name, 0, 1, 1, err);
    if (st != GK_OK) {
        gk__yaml_free(doc);
        return st;
    }
    if (!root) { /* an empty file is an empty mapping */
        *json_out = gk_json_new_object(a);
        *doc_out = doc;
        return *json_out ? GK_OK : gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    char *json = fy_emit_document_to_string(doc->fyd, FYECF_MODE_JSON_ONELINE);
    if (!json) {
        gk__yaml_free(doc);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "%s: cannot convert to JSON", name);
    }
    gk_json_limits lim = {.max_depth = 66, .max_size = 16u * GK__YAML_MAX_BYTES};
    gk_error jerr = {0};
    st = gk_json_parse(a, json, strlen(json), &lim, json_out, &jerr);
    free(json);
    if (st != GK_OK) {
        gk__yaml_free(doc);
        return gk_error_set(err, st, "", "%s: %s", name, jerr.message);
    }
    *doc_out = doc;
    return GK_OK;
}

/* The next segment of JSON pointer *p, unescaped (~1 -> /, ~0 -> ~) into seg. */
static bool next_segment(const char **p, char *seg, size_t cap)
{
    if (**p != '/')
        return false;
    (*p)++;
    size_t n = 0;
    while (**p && **p != '/') {
        char ch = **p;
        if (ch == '~' && ((*p)[1] == '0' || (*p)[1] == '1')) {
            ch = (*p)[1] == '0' ? '~' : '/';
            (*p)++;
        }
        if (n + 1 < cap)
            seg[n++] = ch;
        (*p)++;
    }
    seg[n] = '\0';
    return true;
}

bool gk__yaml_locate(gk__yaml *doc, const char *ptr, bool key, int *line, int *col)
{
    *line = 1;
    *col = 1;
    struct fy_node *n = doc && doc->fyd ? fy_document_root(doc->fyd) : NULL;
    if (!n)
        return false;
    node_mark(n, line, col);
    char seg[256];
    const char *p = ptr ? ptr : "";
    while (n && next_segment(&p, seg, sizeof(seg))) {
        struct fy_node *next = NULL;
        void *it = NULL;
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *pair;
            while ((pair = fy_node_mapping_iterate(n, &it)) != NULL) {
                const char *k = fy_node_get_scalar0(fy_node_pair_key(pair));
                if (k && strcmp(k, seg) == 0) {
                    node_mark(fy_node_pair_key(pair), line, col);
                    next = fy_node_pair_value(pair);
                    break;
                }
            }
        } else if (fy_node_is_sequence(n)) {
            char *end = NULL;
            long idx = strtol(seg, &end, 10);
            if (*seg && !*end && idx >= 0)
                next = fy_node_sequence_get_by_index(n, (int)idx);
        }
        if (!next || (key && !*p))
            break; /* the last member's key, when the key itself is the problem */
        node_mark(next, line, col);
        n = next;
    }
    return true;
}
