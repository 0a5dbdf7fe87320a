/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/local/local.c - the embedded default models "local/default" and "local/echo":
 * deterministic, offline answers (schema-valid JSON for structured output), tool requests for the
 * tools a prompt names (then a summary of their results), streaming in chunks, and a per-model
 * queue of scripted replies for tests. Uses only the public API.
 * It does not pretend to understand prompts: its answers are built from the prompt and the
 * schema's field names, so demos read sensibly and tests can assert exact values. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genkit/plugin.h>

#define LOCAL_MAGIC 0x6c6f63616cu /* "local" */

/* Deepest schema nesting followed when building an instance; most array items generated. */
#define MAX_SCHEMA_DEPTH 32
#define MAX_ITEMS        1000
/* Longest generated answer, in bytes. */
#define MAX_ANSWER ((size_t)1 << 20)
/* The topic quoted in generated strings: the prompt's first bytes, cut at a word boundary. */
#define TOPIC_MAX 40

enum local_kind { LOCAL_DEFAULT, LOCAL_ECHO };

/* One queued reply. Heap-owned: freed when consumed, cleared, or at gk_shutdown. */
struct scripted {
    struct scripted *next;
    char *response_json; /* NULL when the reply is only an error */
    char **chunks;       /* chunk_count JSON texts, or NULL: stream the response's content */
    size_t chunk_count;
    gk_status status;
    char *error_message;
};

/*
 * A local model. Invariants: magic == LOCAL_MAGIC; head..tail holds pending replies (tail NULL iff
 * head NULL); mu guards head, tail and pending, so scripting may come from any thread.
 */
struct local_model {
    unsigned long magic;
    enum local_kind kind;
    const char *name;
    pthread_mutex_t mu;
    struct scripted *head, *tail;
    size_t pending;
};

static void scripted_free(struct scripted *s)
{
    if (!s)
        return;
    free(s->response_json);
    for (size_t i = 0; i < s->chunk_count; i++)
        free(s->chunks[i]);
    free(s->chunks);
    free(s->error_message);
    free(s);
}

static void queue_clear(struct local_model *lm)
{
    pthread_mutex_lock(&lm->mu);
    struct scripted *s = lm->head;
    lm->head = lm->tail = NULL;
    lm->pending = 0;
    pthread_mutex_unlock(&lm->mu);
    while (s) {
        struct scripted *next = s->next;
        scripted_free(s);
        s = next;
    }
}

static struct scripted *queue_pop(struct local_model *lm)
{
    pthread_mutex_lock(&lm->mu);
    struct scripted *s = lm->head;
    if (s) {
        lm->head = s->next;
        if (!lm->head)
            lm->tail = NULL;
        lm->pending--;
    }
    pthread_mutex_unlock(&lm->mu);
    return s;
}

static void local_model_release(void *arg)
{
    struct local_model *lm = arg;
    queue_clear(lm);
    pthread_mutex_destroy(&lm->mu);
}

/* ---- text helpers ---- */

static bool is_cont(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += !is_cont((unsigned char)*s);
    return n;
}

/* The text of the last user message ("" if none), in a. NULL if over cap. */
static const char *last_user_text(gk_arena *a, const gk_generate_request *req)
{
    for (size_t i = req->messages.count; i-- > 0;) {
        if (req->messages.items[i].role == GK_ROLE_USER)
            return gk_message_text(a, &req->messages.items[i]);
    }
    return "";
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The prompt's first words: its first sentence or line, at most TOPIC_MAX bytes, whitespace folded
 * to single spaces. A sentence ends at '.', '!' or '?' followed by whitespace or the end. */
static const char *topic_of(gk_arena *a, const char *prompt)
{
    char buf[TOPIC_MAX + 1] = {0};
    size_t n = 0;
    size_t last_space = 0;
    bool cut = false;
    for (const char *p = prompt; *p; p++) {
        char c = *p;
        bool space = is_space(c);
        if (n > 0 && (c == '\n' || c == '\r'))
            break;
        if (n > 0 && (c == '.' || c == '!' || c == '?') && (!p[1] || is_space(p[1])))
            break;
        if (space && (n == 0 || buf[n - 1] == ' '))
            continue;
        if (n == TOPIC_MAX) {
            cut = true;
            break;
        }
        if (space)
            last_space = n;
        buf[n++] = space ? ' ' : c;
    }
    if (cut && last_space > 0)
        n = last_space;
    while (n > 0 && (buf[n - 1] == ' ' || is_cont((unsigned char)buf[n - 1]) ||
                     (unsigned char)buf[n - 1] >= 0xc0)) {
        /* Never end on a space or inside a UTF-8 sequence: drop back to a whole character. */
        if (buf[n - 1] == ' ') {
            n--;
            continue;
        }
        size_t start = n - 1;
        while (start > 0 && is_cont((unsigned char)buf[start]))
            start--;
        unsigned char lead = (unsigned char)buf[start];
        size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (n - start == want)
            break;
        n = start;
    }
    return gk_arena_strndup(a, buf, n);
}

/* "prepTime" / "prep_time" -> "Prep time", written into out (room for 2 * strlen(name) bytes,
 * at least 6); returns the length written. NULL or "" gives "Answer". */
static size_t humanize(char *out, const char *name)
{
    if (!name || !*name) {
        memcpy(out, "Answer", 6);
        return 6;
    }
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (c == '_' || c == '-') {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
            continue;
        }
        if (c >= 'A' && c <= 'Z') {
            if (n > 0 && out[n - 1] != ' ')
                out[n++] = ' ';
            c = (char)(c - 'A' + 'a');
        }
        out[n++] = c;
    }
    if (n > 0 && out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
    return n;
}

/* The words of a generated string, "<Name>[ <index>][ (<topic>)]", in a with *len set; NULL if a
 * is over its cap. Built without printf: it runs for every string of every answer. */
static char *label(gk_arena *a, const char *name, size_t index, const char *topic, size_t *len)
{
    size_t name_len = name ? strlen(name) : 0;
    size_t topic_len = strlen(topic);
    size_t cap = 0;
    if (!gk_size_mul(name_len, 2, &cap) || !gk_size_add(cap, topic_len + 6 + 24 + 4, &cap))
        return NULL;
    char *out = gk_arena_alloc(a, cap);
    if (!out)
        return NULL;
    size_t n = humanize(out, name);
    if (index > 0) {
        char digits[24];
        size_t d = 0;
        for (; index > 0; index /= 10)
            digits[d++] = (char)('0' + index % 10);
        out[n++] = ' ';
        while (d > 0)
            out[n++] = digits[--d];
    }
    if (topic_len > 0) {
        out[n++] = ' ';
        out[n++] = '(';
        memcpy(out + n, topic, topic_len);
        n += topic_len;
        out[n++] = ')';
    }
    out[n] = '\0';
    *len = n;
    return out;
}

/* ---- schema instances ---- */

struct gen {
    gk_arena *a;
    const char *topic;
    gk_error *err;
};

static const gk_json *member(const gk_json *schema, const char *key)
{
    return schema && schema->type == GK_JSON_OBJECT ? gk_json_get(schema, key) : NULL;
}

static bool number_of(const gk_json *schema, const char *key, double *out)
{
    const gk_json *v = member(schema, key);
    if (!v || v->type != GK_JSON_NUMBER)
        return false;
    *out = v->number;
    return true;
}

/* The schema's type name ("object", ...): the first non-null of a list, or guessed from keywords.
 */
static const char *type_of(const gk_json *schema)
{
    const gk_json *t = member(schema, "type");
    if (t && t->type == GK_JSON_STRING)
        return t->str;
    if (t && t->type == GK_JSON_ARRAY) {
        for (size_t i = 0; i < t->count; i++) {
            if (t->items[i].type == GK_JSON_STRING && strcmp(t->items[i].str, "null") != 0)
                return t->items[i].str;
        }
        if (t->count > 0 && t->items[0].type == GK_JSON_STRING)
            return t->items[0].str;
    }
    if (member(schema, "properties"))
        return "object";
    if (member(schema, "items"))
        return "array";
    return "string";
}

/* The keywords gen_value reads from one schema, found in a single pass over its members (each the
 * first member of that name, as gk_json_get finds it; NULL when absent or schema is no object).
 * It runs for every value of every answer: one pass instead of a look-up per keyword. */
struct kw {
    const gk_json *konst, *enm, *any_of, *one_of, *all_of, *type, *properties, *items, *format;
    const gk_json *min_length, *max_length, *min_items, *max_items, *minimum, *maximum;
    const gk_json *exclusive_minimum, *exclusive_maximum, *dflt, *required;
};

static void kw_set(const gk_json **slot, const gk_json *m)
{
    if (!*slot)
        *slot = m;
}

static void kw_scan(const gk_json *schema, struct kw *k)
{
    static const struct kw none;
    *k = none;
    if (!schema || schema->type != GK_JSON_OBJECT)
        return;
    for (size_t i = 0; i < schema->count; i++) {
        const gk_json *m = &schema->items[i];
        const char *key = m->key;
        const gk_json **slot = NULL;
        /* By length first: most members (description, title) match no keyword at all. */
#define KW_IS(str) (sizeof(str) - 1 == m->key_len && memcmp(key, str, sizeof(str) - 1) == 0)
        switch (m->key_len) {
        case 4:
            slot = KW_IS("enum") ? &k->enm : KW_IS("type") ? &k->type : NULL;
            break;
        case 5:
            slot = KW_IS("const")   ? &k->konst
                   : KW_IS("anyOf") ? &k->any_of
                   : KW_IS("oneOf") ? &k->one_of
                   : KW_IS("allOf") ? &k->all_of
                   : KW_IS("items") ? &k->items
                                    : NULL;
            break;
        case 6:
            slot = KW_IS("format") ? &k->format : NULL;
            break;
        case 7:
            slot = KW_IS("minimum")   ? &k->minimum
                   : KW_IS("maximum") ? &k->maximum
                   : KW_IS("default") ? &k->dflt
                                      : NULL;
            break;
        case 8:
            slot = KW_IS("minItems")   ? &k->min_items
                   : KW_IS("maxItems") ? &k->max_items
                   : KW_IS("required") ? &k->required
                                       : NULL;
            break;
        case 9:
            slot = KW_IS("minLength") ? &k->min_length : KW_IS("maxLength") ? &k->max_length : NULL;
            break;
        case 10:
            slot = KW_IS("properties") ? &k->properties : NULL;
            break;
        case 16:
            slot = KW_IS("exclusiveMinimum")   ? &k->exclusive_minimum
                   : KW_IS("exclusiveMaximum") ? &k->exclusive_maximum
                                               : NULL;
            break;
        default:
            break;
        }
#undef KW_IS
        if (slot)
            kw_set(slot, m);
    }
}

/* number_of for a keyword already found. */
static bool kw_number(const gk_json *v, double *out)
{
    if (!v || v->type != GK_JSON_NUMBER)
        return false;
    *out = v->number;
    return true;
}

/* type_of for a scanned schema. */
static const char *kw_type(const struct kw *k)
{
    const gk_json *t = k->type;
    if (t && t->type == GK_JSON_STRING)
        return t->str;
    if (t && t->type == GK_JSON_ARRAY) {
        for (size_t i = 0; i < t->count; i++) {
            if (t->items[i].type == GK_JSON_STRING && strcmp(t->items[i].str, "null") != 0)
                return t->items[i].str;
        }
        if (t->count > 0 && t->items[0].type == GK_JSON_STRING)
            return t->items[0].str;
    }
    if (k->properties)
        return "object";
    if (k->items)
        return "array";
    return "string";
}

static gk_json *gen_value(struct gen *g, const gk_json *schema, const char *name, size_t index,
                          int depth);

static gk_json *oom(struct gen *g)
{
    gk_error_set(g->err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    return NULL;
}

static gk_json *gen_string(struct gen *g, const struct kw *k, const char *name, size_t index)
{
    const gk_json *fmt = k->format;
    const char *fixed = NULL;
    if (fmt && fmt->type == GK_JSON_STRING) {
        static const char *const formats[][2] = {
            {"date-time", "2026-01-01T00:00:00Z"},
            {"date", "2026-01-01"},
            {"time", "00:00:00Z"},
            {"email", "user@example.com"},
            {"uri", "https://example.com/"},
            {"url", "https://example.com/"},
            {"uuid", "00000000-0000-4000-8000-000000000000"},
        };
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
            if (strcmp(fmt->str, formats[i][0]) == 0)
                fixed = formats[i][1];
        }
    }
    const char *s = fixed;
    size_t len = fixed ? strlen(fixed) : 0;
    if (!s) {
        s = label(g->a, name, index, g->topic, &len);
        if (!s)
            return oom(g);
    }
    double min_len = 0;
    double max_len = -1;
    kw_number(k->min_length, &min_len);
    kw_number(k->max_length, &max_len);
    /* Counted only when a bound needs it: it runs for every string of every answer. */
    size_t have = max_len >= 0 || min_len > 0 ? code_points(s) : 0;
    if (max_len >= 0 && (double)have > max_len) {
        /* Cut after max_len code points. */
        size_t keep = 0;
        size_t cps = 0;
        while (keep < len) {
            if (!is_cont((unsigned char)s[keep])) {
                if ((double)cps == max_len)
                    break;
                cps++;
            }
            keep++;
        }
        len = keep;
        have = cps;
    }
    size_t pad = 0;
    if (min_len > (double)have) {
        if (min_len > (double)MAX_ANSWER) {
            gk_error_set(g->err, GK_INVALID_ARGUMENT, "",
                         "schema asks for a string of %.0f characters", min_len);
            return NULL;
        }
        pad = (size_t)min_len - have;
    }
    if (pad > 0) {
        char *out = gk_arena_alloc(g->a, len + pad + 1);
        if (!out)
            return oom(g);
        memcpy(out, s, len);
        memset(out + len, '.', pad);
        out[len + pad] = '\0';
        s = out;
    }
    gk_json *v = gk_json_new_string(g->a, s, len + pad);
    return v ? v : oom(g);
}

/* max/min without libm's fmax/fmin: the operands here are never NaN. */
static double dmax(double a, double b) { return a > b ? a : b; }
static double dmin(double a, double b) { return a < b ? a : b; }

static gk_json *gen_number(struct gen *g, const struct kw *k, bool integer)
{
    double lo = -INFINITY;
    double hi = INFINITY;
    double x = 0;
    if (kw_number(k->minimum, &x))
        lo = integer ? ceil(x) : x;
    if (kw_number(k->exclusive_minimum, &x))
        lo = dmax(lo, integer ? floor(x) + 1 : x + 1);
    if (kw_number(k->maximum, &x))
        hi = integer ? floor(x) : x;
    if (kw_number(k->exclusive_maximum, &x))
        hi = dmin(hi, integer ? ceil(x) - 1 : x - 1);
    if (lo > hi && !integer && isfinite(lo) && isfinite(hi)) {
        /* Exclusive bounds closer than 2 apart: the midpoint is still inside. */
        double a = 0, b = 0;
        kw_number(k->exclusive_minimum, &a);
        kw_number(k->exclusive_maximum, &b);
        lo = hi = (a + b) / 2;
    }
    if (lo > hi) {
        gk_error_set(g->err, GK_INVALID_ARGUMENT, "", "schema allows no %s",
                     integer ? "integer" : "number");
        return NULL;
    }
    double v;
    const gk_json *dflt = k->dflt;
    if (dflt && dflt->type == GK_JSON_NUMBER && dflt->number >= lo && dflt->number <= hi &&
        (!integer || dflt->is_int))
        v = dflt->number;
    else if (isfinite(lo) && isfinite(hi))
        v = integer ? floor((lo + hi) / 2) : (lo + hi) / 2;
    else
        v = dmin(dmax(2, lo), hi);
    gk_json *out = integer && fabs(v) < 9007199254740992.0 ? gk_json_new_int(g->a, (int64_t)v)
                                                           : gk_json_new_double(g->a, v);
    return out ? out : oom(g);
}

static gk_json *gen_array(struct gen *g, const struct kw *k, const char *name, int depth)
{
    double min_items = 0;
    double max_items = -1;
    kw_number(k->min_items, &min_items);
    kw_number(k->max_items, &max_items);
    double n = min_items > 3 ? min_items : 3;
    if (max_items >= 0 && max_items < n)
        n = max_items;
    if (n > MAX_ITEMS) {
        gk_error_set(g->err, GK_INVALID_ARGUMENT, "", "schema asks for %.0f items (at most %d)", n,
                     MAX_ITEMS);
        return NULL;
    }
    gk_json *arr = gk_json_new_array(g->a);
    if (!arr)
        return oom(g);
    const gk_json *items = k->items;
    for (size_t i = 0; i < (size_t)n; i++) {
        gk_json *v = gen_value(g, items, name, i + 1, depth + 1);
        if (!v)
            return NULL;
        if (!gk_json_array_push(g->a, arr, v))
            return oom(g);
    }
    return arr;
}

static gk_json *gen_object(struct gen *g, const struct kw *k, int depth)
{
    gk_json *obj = gk_json_new_object(g->a);
    if (!obj)
        return oom(g);
    const gk_json *props = k->properties;
    if (props && props->type == GK_JSON_OBJECT) {
        for (size_t i = 0; i < props->count; i++) {
            const gk_json *p = &props->items[i];
            gk_json *v = gen_value(g, p, p->key, 0, depth + 1);
            if (!v)
                return NULL;
            if (!gk_json_object_set(g->a, obj, p->key, v))
                return oom(g);
        }
    }
    /* Required names without a property schema still need a value. */
    const gk_json *req = k->required;
    if (req && req->type == GK_JSON_ARRAY) {
        for (size_t i = 0; i < req->count; i++) {
            const gk_json *rk = &req->items[i];
            if (rk->type != GK_JSON_STRING || gk_json_get(obj, rk->str))
                continue;
            gk_json *v = gen_value(g, NULL, rk->str, 0, depth + 1);
            if (!v || !gk_json_object_set(g->a, obj, rk->str, v))
                return v ? oom(g) : NULL;
        }
    }
    return obj;
}

static gk_json *first_of(const gk_json *alts)
{
    if (alts && alts->type == GK_JSON_ARRAY && alts->count > 0)
        return &alts->items[0];
    return NULL;
}

/* strcmp(t, name) == 0, deciding most mismatches on the first byte. */
static bool type_is(const char *t, const char *name)
{
    return t[0] == name[0] && strcmp(t, name) == 0;
}

/* A value valid against schema (NULL schema: any value; we make a string). */
static gk_json *gen_value(struct gen *g, const gk_json *schema, const char *name, size_t index,
                          int depth)
{
    if (depth > MAX_SCHEMA_DEPTH) {
        gk_error_set(g->err, GK_INVALID_ARGUMENT, "", "schema nested deeper than %d levels",
                     MAX_SCHEMA_DEPTH);
        return NULL;
    }
    struct kw k;
    kw_scan(schema, &k);
    const gk_json *c = k.konst;
    if (c)
        return (gk_json *)c;
    const gk_json *e = k.enm;
    if (e && e->type == GK_JSON_ARRAY && e->count > 0)
        return &e->items[index > 0 ? (index - 1) % e->count : 0];
    const gk_json *alt = first_of(k.any_of);
    if (!alt)
        alt = first_of(k.one_of);
    if (!alt)
        alt = first_of(k.all_of);
    if (alt)
        return gen_value(g, alt, name, index, depth + 1);
    const char *t = kw_type(&k);
    gk_json *v;
    if (type_is(t, "object"))
        return gen_object(g, &k, depth);
    if (type_is(t, "array"))
        return gen_array(g, &k, name, depth);
    if (type_is(t, "integer"))
        return gen_number(g, &k, true);
    if (type_is(t, "number"))
        return gen_number(g, &k, false);
    if (type_is(t, "boolean"))
        v = gk_json_new_bool(g->a, true);
    else if (type_is(t, "null"))
        v = gk_json_new_null(g->a);
    else
        return gen_string(g, &k, name, index);
    return v ? v : oom(g);
}

/* ---- answers ---- */

static const char *to_json_text(gk_arena *a, const gk_json *v)
{
    gk_buf b = GK_BUF_INIT(MAX_ANSWER);
    /* One allocation for a typical answer instead of a chain of doublings from 64 bytes. */
    (void)gk_buf_reserve(&b, 1024);
    gk_json_write(&b, v);
    const char *s = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr, b.len);
    gk_buf_release(&b);
    return s;
}

/* What the default model says to a plain prompt, or after tools answered. */
static const char *plain_answer(gk_arena *a, const gk_generate_request *req, const char *prompt)
{
    const gk_message *last =
        req->messages.count ? &req->messages.items[req->messages.count - 1] : NULL;
    if (last && last->role == GK_ROLE_TOOL) {
        gk_buf b = GK_BUF_INIT(MAX_ANSWER);
        for (size_t i = 0; i < last->content.count; i++) {
            const gk_part *p = &last->content.items[i];
            if (!p->has_tool_response)
                continue;
            gk_buf_printf(&b, "%sTool \"%s\" returned ", b.len ? " " : "", p->tool_response.name);
            if (p->tool_response.output)
                gk_json_write(&b, p->tool_response.output);
            else
                gk_buf_puts(&b, "nothing");
            gk_buf_putc(&b, '.');
        }
        const char *s = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr ? b.ptr : "", b.len);
        gk_buf_release(&b);
        return s;
    }
    return gk_arena_sprintf(a,
                            "You said: \"%s\". This answer comes from genkit-c's built-in local "
                            "model; configure a model provider plugin for real answers.",
                            prompt);
}

/* The answer text for the request, per the model's rule. NULL with err set on failure. */
static const char *answer(struct local_model *lm, gk_arena *a, const gk_generate_request *req,
                          gk_error *err)
{
    const char *prompt = last_user_text(a, req);
    if (!prompt)
        goto oom;
    if (lm->kind == LOCAL_ECHO)
        return prompt;
    const gk_output_config *out = req->has_output ? &req->output : NULL;
    const char *format = out && out->format ? out->format : NULL;
    bool structured = out && (out->schema || (format && strcmp(format, "text") != 0));
    if (!structured) {
        const char *s = plain_answer(a, req, prompt);
        return s ? s : (gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "answer too large"), NULL);
    }
    const char *topic = topic_of(a, prompt);
    if (!topic)
        goto oom;
    struct gen g = {.a = a, .topic = topic, .err = err};
    gk_json *v;
    if (out->schema) {
        v = gen_value(&g, out->schema, NULL, 0, 0);
    } else {
        v = gk_json_new_object(a);
        gk_json *s = gk_json_new_string(a, prompt, strlen(prompt));
        if (!v || !s || !gk_json_object_set(a, v, "response", s))
            goto oom;
    }
    if (!v)
        return NULL;
    if (format && strcmp(format, "enum") == 0 && v->type == GK_JSON_STRING)
        return v->str;
    if (format && strcmp(format, "jsonl") == 0 && v->type == GK_JSON_ARRAY) {
        gk_buf b = GK_BUF_INIT(MAX_ANSWER);
        for (size_t i = 0; i < v->count; i++) {
            gk_json_write(&b, &v->items[i]);
            gk_buf_putc(&b, '\n');
        }
        const char *s = gk_buf_failed(&b) ? NULL : gk_arena_strndup(a, b.ptr ? b.ptr : "", b.len);
        gk_buf_release(&b);
        if (!s)
            goto oom;
        return s;
    }
    const char *s = to_json_text(a, v);
    if (!s)
        goto oom;
    return s;
oom:
    gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    return NULL;
}

/* ---- tool requests ---- */

/* Most quoted phrases taken from a prompt, and most tool requests in one turn. */
#define MAX_PHRASES  16
#define MAX_REQUESTS 64

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Whether text names `name` as a whole word, ignoring case ("checkStock" in "call checkstock"). */
static bool mentions(const char *text, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0)
        return false;
    for (const char *p = strcasestr(text, name); p; p = strcasestr(p + 1, name)) {
        if ((p == text || !is_word(p[-1])) && !is_word(p[n]))
            return true;
    }
    return false;
}

/* Whether a message after the last user message holds a tool response: the tools of this turn
 * have already answered. */
static bool tools_answered(const gk_generate_request *req)
{
    size_t start = 0;
    for (size_t i = req->messages.count; i-- > 0;) {
        if (req->messages.items[i].role == GK_ROLE_USER) {
            start = i + 1;
            break;
        }
    }
    for (size_t i = start; i < req->messages.count; i++) {
        const gk_message *m = &req->messages.items[i];
        for (size_t j = 0; j < m->content.count; j++) {
            if (m->content.items[j].has_tool_response)
                return true;
        }
    }
    return false;
}

/* The phrases between double quotes in text (non-empty, at most MAX_PHRASES), copied into a.
 * Returns the count, or SIZE_MAX if a is over its cap. */
static size_t quoted_phrases(gk_arena *a, const char *text, const char *out[MAX_PHRASES])
{
    size_t n = 0;
    for (const char *p = strchr(text, '"'); p && n < MAX_PHRASES;) {
        const char *end = strchr(p + 1, '"');
        if (!end)
            break;
        if (end > p + 1) {
            out[n] = gk_arena_strndup(a, p + 1, (size_t)(end - p - 1));
            if (!out[n])
                return SIZE_MAX;
            n++;
        }
        p = strchr(end + 1, '"');
    }
    return n;
}

/* The name of the only property of an object schema when it is a plain string (no enum, const,
 * format, pattern or alternatives): the slot a quoted phrase can fill. NULL otherwise. */
static const char *string_slot(const gk_json *schema)
{
    const gk_json *props = member(schema, "properties");
    if (strcmp(type_of(schema), "object") != 0 || !props || props->type != GK_JSON_OBJECT ||
        props->count != 1)
        return NULL;
    const gk_json *p = &props->items[0];
    static const char *const special[] = {"enum",  "const", "format", "pattern",
                                          "anyOf", "oneOf", "allOf"};
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
        if (member(p, special[i]))
            return NULL;
    }
    return strcmp(type_of(p), "string") == 0 ? p->key : NULL;
}

/* Whether phrase fits the length bounds of the string schema. */
static bool fits(const gk_json *schema, const char *phrase)
{
    double min_len = 0;
    double max_len = -1;
    number_of(schema, "minLength", &min_len);
    number_of(schema, "maxLength", &max_len);
    double len = (double)code_points(phrase);
    return len >= min_len && (max_len < 0 || len <= max_len);
}

struct tool_turn {
    gk_part *parts;
    size_t count;
};

static gk_status add_request(gk_arena *a, struct tool_turn *t, const char *name,
                             const gk_json *input, gk_error *err)
{
    if (t->count == MAX_REQUESTS)
        return GK_OK; /* enough for one turn: the rest would only repeat the pattern */
    const char *ref = gk_arena_sprintf(a, "%s-%zu", name, t->count + 1);
    if (!ref)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    t->parts[t->count++] = gk_part_tool_request(name, ref, input);
    return GK_OK;
}

/* The requests for one offered tool: one per quoted phrase when the tool takes one string, else
 * one with an input generated from its input schema. */
static gk_status request_tool(gk_arena *a, struct tool_turn *t, const gk_tool_definition *tool,
                              const char *const *phrases, size_t nphrases, const char *prompt,
                              gk_error *err)
{
    const char *slot = string_slot(tool->input_schema);
    bool filled = false;
    for (size_t i = 0; slot && i < nphrases; i++) {
        const gk_json *props = member(tool->input_schema, "properties");
        if (!fits(&props->items[0], phrases[i]))
            continue;
        gk_json *input = gk_json_new_object(a);
        gk_json *v = gk_json_new_string(a, phrases[i], strlen(phrases[i]));
        if (!input || !v || !gk_json_object_set(a, input, slot, v))
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
        gk_status st = add_request(a, t, tool->name, input, err);
        if (st != GK_OK)
            return st;
        filled = true;
    }
    if (filled)
        return GK_OK;
    const gk_json *input = NULL;
    if (tool->input_schema) {
        const char *topic = topic_of(a, prompt);
        if (!topic)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
        struct gen g = {.a = a, .topic = topic, .err = err};
        input = gen_value(&g, tool->input_schema, NULL, 0, 0);
        if (!input)
            return err && err->status != GK_OK ? err->status : GK_RESOURCE_EXHAUSTED;
    }
    return add_request(a, t, tool->name, input, err);
}

/*
 * The tool requests local/default makes for req, if any: when tools are offered (and tool choice
 * is not "none") and none has answered since the last user message, it calls each offered tool
 * the prompt names (as a whole word, ignoring case), or every offered tool when tool choice is
 * "required" and the prompt names none. A tool whose input is an object with one plain string
 * property is called once per "quoted phrase" of the prompt (the way a model calls a lookup for
 * each item it was given); any other tool once, with an input generated from its schema.
 * Returns: GK_OK with t->count 0 when the model should answer instead.
 */
static gk_status plan_tool_turn(gk_arena *a, const gk_generate_request *req, struct tool_turn *t,
                                gk_error *err)
{
    t->count = 0;
    if (req->tools.count == 0 ||
        (req->has_tool_choice && req->tool_choice == GK_TOOL_CHOICE_NONE) || tools_answered(req))
        return GK_OK;
    const char *prompt = last_user_text(a, req);
    if (!prompt)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    bool any_named = false;
    for (size_t i = 0; i < req->tools.count; i++)
        any_named |= mentions(prompt, req->tools.items[i].name);
    bool required = req->has_tool_choice && req->tool_choice == GK_TOOL_CHOICE_REQUIRED;
    if (!any_named && !required)
        return GK_OK;
    const char *phrases[MAX_PHRASES];
    size_t nphrases = quoted_phrases(a, prompt, phrases);
    t->parts = GK_NEW(a, gk_part, MAX_REQUESTS);
    if (nphrases == SIZE_MAX || !t->parts)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    for (size_t i = 0; i < req->tools.count; i++) {
        const gk_tool_definition *tool = &req->tools.items[i];
        if (any_named && !mentions(prompt, tool->name))
            continue;
        gk_status st = request_tool(a, t, tool, phrases, nphrases, prompt, err);
        if (st != GK_OK)
            return st;
    }
    return GK_OK;
}

/* Send text as about four chunks, split after spaces (never inside a UTF-8 sequence). */
static gk_status stream_text(gk_arena *a, gk_model_stream *stream, const char *text, gk_error *err)
{
    size_t len = strlen(text);
    size_t step = len / 4 + 1;
    size_t at = 0;
    while (at < len) {
        size_t end = at + step < len ? at + step : len;
        while (end < len && text[end - 1] != ' ')
            end++;
        const char *piece = gk_arena_strndup(a, text + at, end - at);
        if (!piece)
            return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
        gk_part part = gk_part_text(piece);
        gk_generate_response_chunk chunk = {.role = GK_ROLE_MODEL,
                                            .has_role = true,
                                            .index = 0,
                                            .has_index = true,
                                            .content = {&part, 1}};
        gk_status st = gk_model_stream_send(stream, &chunk, err);
        if (st != GK_OK)
            return st;
        at = end;
    }
    return GK_OK;
}

static gk_status play_script(struct scripted *s, gk_ctx *ctx, gk_model_stream *stream,
                             gk_generate_response *resp, gk_error *err)
{
    gk_arena *a = gk_ctx_arena(ctx);
    gk_status st = GK_OK;
    if (s->response_json) {
        st = gk_decode_text(a, GK_TYPE_OF(gk_generate_response), s->response_json,
                            strlen(s->response_json), resp, err);
        if (st != GK_OK)
            return st;
    }
    if (stream && s->chunks) {
        for (size_t i = 0; i < s->chunk_count; i++) {
            gk_generate_response_chunk chunk;
            st = gk_decode_text(a, GK_TYPE_OF(gk_generate_response_chunk), s->chunks[i],
                                strlen(s->chunks[i]), &chunk, err);
            if (st == GK_OK)
                st = gk_model_stream_send(stream, &chunk, err);
            if (st != GK_OK)
                return st;
        }
    } else if (stream && resp->has_message) {
        gk_generate_response_chunk chunk = {
            .role = resp->message.role,
            .has_role = true,
            .has_index = true,
            .content = {resp->message.content.items, resp->message.content.count}};
        st = gk_model_stream_send(stream, &chunk, err);
        if (st != GK_OK)
            return st;
    }
    if (s->status != GK_OK) {
        memset(resp, 0, sizeof(*resp));
        return gk_error_set(err, s->status, "", "%s",
                            s->error_message ? s->error_message : "scripted failure");
    }
    return GK_OK;
}

/* Answer with the turn's tool requests (streamed as one chunk). */
static gk_status answer_with_tools(gk_model_stream *stream, const struct tool_turn *turn,
                                   gk_generate_response *resp, gk_error *err)
{
    if (stream) {
        gk_generate_response_chunk chunk = {.role = GK_ROLE_MODEL,
                                            .has_role = true,
                                            .index = 0,
                                            .has_index = true,
                                            .content = {turn->parts, turn->count}};
        gk_status st = gk_model_stream_send(stream, &chunk, err);
        if (st != GK_OK)
            return st;
    }
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = turn->parts;
    resp->message.content.count = turn->count;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

static gk_status local_generate(void *self, gk_ctx *ctx, const gk_generate_request *req,
                                gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    struct local_model *lm = self;
    struct scripted *s = queue_pop(lm);
    if (s) {
        gk_status st = play_script(s, ctx, stream, resp, err);
        scripted_free(s);
        return st;
    }
    gk_arena *a = gk_ctx_arena(ctx);
    if (lm->kind == LOCAL_DEFAULT) {
        struct tool_turn turn = {0};
        gk_status st = plan_tool_turn(a, req, &turn, err);
        if (st != GK_OK)
            return st;
        if (turn.count > 0)
            return answer_with_tools(stream, &turn, resp, err);
    }
    const char *text = answer(lm, a, req, err);
    if (!text)
        return err && err->status != GK_OK ? err->status : GK_RESOURCE_EXHAUSTED;
    if (stream) {
        gk_status st = stream_text(a, stream, text, err);
        if (st != GK_OK)
            return st;
    }
    gk_part *part = GK_NEW(a, gk_part, 1);
    if (!part)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
    *part = gk_part_text(text);
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = part;
    resp->message.content.count = 1;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

/* ---- scripting ---- */

static struct local_model *find_local(gk_genkit *g, const char *model)
{
    gk_action *a = model ? gk_lookup(g, GK_ACTION_MODEL, model) : NULL;
    struct local_model *lm = gk_model_self(a, local_generate);
    return lm && lm->magic == LOCAL_MAGIC ? lm : NULL;
}

/* Check a scripted JSON text by decoding it into a scratch arena. */
static gk_status check_json(const gk_type *t, const char *json, const char *what, gk_error *err)
{
    gk_arena *scratch = gk_arena_new(0);
    if (!scratch)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    void *v = gk_arena_alloc(scratch, gk_type_size(t));
    gk_status st = v ? gk_decode_text(scratch, t, json, strlen(json), v, err)
                     : gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    if (st == GK_OK && t == GK_TYPE_OF(gk_generate_response))
        st = gk_generate_response_check(v, err);
    if (st == GK_OK && t == GK_TYPE_OF(gk_generate_response_chunk)) {
        const gk_generate_response_chunk *c = v;
        st = gk_parts_check(c->content.items, c->content.count, "/content", err);
    }
    if (st != GK_OK && err && st != GK_RESOURCE_EXHAUSTED) {
        char msg[sizeof(err->message)];
        memcpy(msg, err->message, sizeof(msg));
        snprintf(err->message, sizeof(err->message), "%s: %.200s", what, msg);
    }
    gk_arena_free(scratch);
    return st;
}

static char *text_response_json(const char *text)
{
    gk_buf b = GK_BUF_INIT(MAX_ANSWER);
    gk_jw w;
    gk_jw_init(&w, &b);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "message");
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "role");
    gk_jw_string(&w, "model");
    gk_jw_key(&w, "content");
    gk_jw_array_begin(&w);
    gk_jw_object_begin(&w);
    gk_jw_key(&w, "text");
    gk_jw_string(&w, text);
    gk_jw_object_end(&w);
    gk_jw_array_end(&w);
    gk_jw_object_end(&w);
    gk_jw_key(&w, "finishReason");
    gk_jw_string(&w, "stop");
    gk_jw_object_end(&w);
    char *s = gk_buf_failed(&b) ? NULL : strdup(b.ptr);
    gk_buf_release(&b);
    return s;
}

gk_status gk_local_script(gk_genkit *g, const char *model, const gk_local_reply *reply,
                          gk_error *err)
{
    struct local_model *lm = find_local(g, model);
    if (!lm)
        return gk_error_set(err, GK_NOT_FOUND, "", "\"%s\" is not a local model",
                            model ? model : "");
    if (!reply->response_json && !reply->text && reply->status == GK_OK)
        return gk_error_set(err, GK_INVALID_ARGUMENT, "",
                            "a scripted reply needs response_json, text or a status");
    gk_status st = GK_OK;
    if (reply->response_json)
        st = check_json(GK_TYPE_OF(gk_generate_response), reply->response_json, "response_json",
                        err);
    size_t nchunks = 0;
    for (const char *const *c = reply->chunks; st == GK_OK && c && *c; c++, nchunks++) {
        char what[32];
        snprintf(what, sizeof(what), "chunk %zu", nchunks);
        st = check_json(GK_TYPE_OF(gk_generate_response_chunk), *c, what, err);
    }
    if (st != GK_OK)
        return st;
    struct scripted *s = calloc(1, sizeof(*s));
    bool ok = s != NULL;
    if (ok && reply->response_json)
        ok = (s->response_json = strdup(reply->response_json)) != NULL;
    else if (ok && reply->text)
        ok = (s->response_json = text_response_json(reply->text)) != NULL;
    if (ok && reply->chunks) {
        s->chunks = calloc(nchunks + 1, sizeof(char *));
        ok = s->chunks != NULL;
        for (size_t i = 0; ok && i < nchunks; i++) {
            s->chunks[i] = strdup(reply->chunks[i]);
            ok = s->chunks[i] != NULL;
            s->chunk_count += ok;
        }
    }
    if (ok && reply->error_message)
        ok = (s->error_message = strdup(reply->error_message)) != NULL;
    if (!ok) {
        scripted_free(s);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    s->status = reply->status;
    pthread_mutex_lock(&lm->mu);
    if (lm->tail)
        lm->tail->next = s;
    else
        lm->head = s;
    lm->tail = s;
    lm->pending++;
    pthread_mutex_unlock(&lm->mu);
    return GK_OK;
}

size_t gk_local_script_pending(gk_genkit *g, const char *model)
{
    struct local_model *lm = find_local(g, model);
    if (!lm)
        return 0;
    pthread_mutex_lock(&lm->mu);
    size_t n = lm->pending;
    pthread_mutex_unlock(&lm->mu);
    return n;
}

void gk_local_script_clear(gk_genkit *g, const char *model)
{
    struct local_model *lm = find_local(g, model);
    if (lm)
        queue_clear(lm);
}

/* ---- the plugin ---- */

static const char *const local_outputs[] = {"text", "json", NULL};

static gk_status define_local(gk_plugin_host *host, const char *name, enum local_kind kind,
                              const char *label, const char *description, gk_error *err)
{
    gk_arena *arena = gk_host_arena(host);
    struct local_model *lm = GK_NEW(arena, struct local_model, 1);
    if (!lm)
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    lm->magic = LOCAL_MAGIC;
    lm->kind = kind;
    lm->name = name;
    if (pthread_mutex_init(&lm->mu, NULL) != 0)
        return gk_error_set(err, GK_INTERNAL, "", "cannot create a mutex");
    if (!gk_arena_defer(arena, local_model_release, lm)) {
        pthread_mutex_destroy(&lm->mu);
        return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "out of memory");
    }
    gk_model_desc d = {
        .name = name,
        .description = description,
        .info = {.label = label,
                 .supports = GK_MODEL_MULTITURN | GK_MODEL_TOOLS | GK_MODEL_SYSTEM_ROLE,
                 .output = local_outputs,
                 .constrained = GK_CONSTRAINED_ALL},
        .generate = local_generate,
        .self = lm,
    };
    return gk_host_define_model(host, &d, err);
}

static gk_status local_init(gk_plugin_host *host, const gk_json *config, gk_error *err)
{
    (void)config;
    gk_status st = define_local(host, "local/default", LOCAL_DEFAULT, "Local default model",
                                "Deterministic offline model: schema-valid JSON, canned text", err);
    if (st == GK_OK)
        st = define_local(host, "local/echo", LOCAL_ECHO, "Local echo model",
                          "Answers the last user message's text", err);
    if (st == GK_OK)
        gk_log(GK_SEVERITY_INFO,
               "local models ready: \"local/default\" answers offline with canned, schema-valid "
               "output; for real answers load a provider plugin and set default_model or GK_MODEL");
    return st;
}

const gk_plugin gk_plugin_local = {
    .abi = GK_PLUGIN_ABI,
    .name = "local",
    .init = local_init,
};
