/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/formats.c - Genkit's output formats (text, json, jsonl, array, enum): the instructions a
 * model gets when its output is not constrained natively, the parse of a final reply (tolerant of
 * markdown fences and prose around the JSON) and of a partial one while streaming (unfinished JSON
 * repaired by closing what is open). Pure functions over text: no model, no registry.
 * It does not validate against a schema: typed output is checked by decoding (gk_decode). */
#include <string.h>

#include <genkit/ai.h>

#include "ai/formats.h"
#include "base/banned.h"

/* Deepest nesting the partial repair follows (the JSON reader's default limit). */
#define MAX_DEPTH 64
/* Candidate starts tried when prose before the JSON contains brackets. */
#define MAX_CANDIDATES 16

static const char *const format_names[] = {"", "text", "json", "jsonl", "array", "enum"};

const char *gk_output_format_name(gk_output_format f)
{
    return (unsigned)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "";
}

bool gk__output_format_from_name(const char *name, gk_output_format *out)
{
    for (size_t i = 1; name && i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (gk_output_format)i;
            return true;
        }
    }
    return false;
}

const char *gk__output_content_type(gk_output_format f)
{
    switch (f) {
    case GK_FORMAT_JSON:
    case GK_FORMAT_ARRAY:
        return "application/json";
    case GK_FORMAT_JSONL:
        return "application/jsonl";
    case GK_FORMAT_ENUM:
        return "text/enum";
    default:
        return "text/plain";
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void trim(const char **p, size_t *n)
{
    while (*n > 0 && is_space((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*p)[*n - 1]))
        (*n)--;
}

/* The first needle in p[0..n), or NULL. The replies searched are whole model outputs, scanned on
 * every call, and rarely hold needle's first byte: memchr skips to the candidates. */
static const char *find(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    while (k > 0 && n >= k) {
        const char *c = memchr(p, needle[0], n - k + 1);
        if (!c)
            return NULL;
        if (memcmp(c, needle, k) == 0)
            return c;
        n -= (size_t)(c + 1 - p);
        p = c + 1;
    }
    return k == 0 ? p : NULL;
}

/* The body of the first markdown fence in p[0..n) (its language line skipped; up to the closing
 * fence, or to the end when it is missing), or p[0..n) itself when there is no fence. */
static void strip_fence(const char **p, size_t *n)
{
    const char *open = find(*p, *n, "```");
    if (!open)
        return;
    const char *end = *p + *n;
    const char *body = open + 3;
    const char *nl = memchr(body, '\n', (size_t)(end - body));
    /* "```json\n...": skip the language tag; "```{...}```" on one line has none. */
    if (nl) {
        bool tag = true;
        for (const char *c = body; c < nl; c++) {
            if (*c == '{' || *c == '[' || *c == '"')
                tag = false;
        }
        if (tag)
            body = nl + 1;
    } else {
        while (body < end && ((*body >= 'a' && *body <= 'z') || (*body >= 'A' && *body <= 'Z')))
            body++;
    }
    const char *close = find(body, (size_t)(end - body), "```");
    *p = body;
    *n = (size_t)((close ? close : end) - body);
}

static gk_status oom(gk_error *err)
{
    return gk_error_set(err, GK_RESOURCE_EXHAUSTED, "", "request memory limit reached");
}

static bool is_literal(const char *p, size_t n)
{
    return (n == 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) ||
           (n == 5 && memcmp(p, "false", 5) == 0);
}

/* Parse p[0..n) as one JSON value (strict), or report why not. */
static gk_status parse_exact(gk_arena *a, const char *p, size_t n, const gk_json **out,
                             gk_error *err)
{
    gk_json *v = NULL;
    gk_status st = gk_json_parse(a, p, n, NULL, &v, err);
    *out = v;
    return st;
}

/* The end (exclusive) of the JSON container starting at p[0] ('{' or '['), or 0 if it does not
 * end within n bytes. Strings are skipped with their escapes. */
static size_t balanced_end(const char *p, size_t n)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return 0;
            if (--depth == 0)
                return i + 1;
        }
    }
    return 0;
}

/* The first complete JSON value in p[0..n): the whole text if it is one, else the first balanced
 * object or array that parses (opening with `open`, or either when open is 0). */
static gk_status extract_json(gk_arena *a, const char *p, size_t n, char open, const gk_json **out,
                              gk_error *err)
{
    *out = NULL;
    trim(&p, &n);
    strip_fence(&p, &n);
    trim(&p, &n);
    if (n > 0 && (open == 0 || p[0] == open)) {
        gk_error quiet = {0};
        gk_status st = parse_exact(a, p, n, out, &quiet);
        if (st == GK_OK || st == GK_RESOURCE_EXHAUSTED)
            return st == GK_OK ? GK_OK : oom(err);
    }
    gk_status first = GK_OK;
    int tries = 0;
    for (size_t i = 0; i < n && tries < MAX_CANDIDATES; i++) {
        char c = p[i];
        if (open ? c != open : (c != '{' && c != '[')) {
            continue;
        }
        tries++;
        size_t end = balanced_end(p + i, n - i);
        if (end == 0) {
            if (first == GK_OK)
                first = gk_error_set(err, GK_INVALID_ARGUMENT, "",
                                     "model output has an unterminated JSON %s",
                                     c == '{' ? "object" : "array");
            continue;
        }
        gk_error e = {0};
        gk_status st = parse_exact(a, p + i, end, out, &e);
        if (st == GK_OK)
            return GK_OK;
        if (st == GK_RESOURCE_EXHAUSTED)
            return oom(err);
        if (first == GK_OK) {
            first = st;
            if (err)
                *err = e;
        }
        i += end - 1;
    }
    if (first != GK_OK)
        return first;
    return gk_error_set(err, GK_INVALID_ARGUMENT, "", "no JSON %s found in model output",
                        open == '[' ? "array" : "value");
}

/* ---- partial JSON (streaming) ---- */

enum expect { EXPECT_VALUE, EXPECT_KEY, EXPECT_COLON, EXPECT_AFTER };

/*
 * Repair the unfinished JSON value starting at p[0] ('{' or '[') and parse it. Walks the text once,
 * remembering the last point where cutting and closing the open containers gives valid JSON (after
 * a complete value, or right after an opening bracket); an unfinished string value is closed where
 * it stops instead. *out is NULL when nothing usable came out.
 */
static gk_status repair_partial(gk_arena *a, const char *p, size_t n, const gk_json **out,
                                gk_error *err)
{
    char stack[MAX_DEPTH] = {0};
    size_t depth = 0;
    size_t cut = 0;
    size_t cut_depth = 0;
    enum expect expect = EXPECT_VALUE;
    bool in_string = false;
    bool key = false;
    size_t string_safe = 0; /* in a string: the end of its last whole character or escape */
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\') {
                size_t need = i + 1 < n && p[i + 1] == 'u' ? 6 : 2;
                if (i + need > n)
                    break; /* an escape cut short: string_safe stays before it */
                i += need - 1;
                string_safe = i + 1;
            } else if (c == '"') {
                in_string = false;
                if (key) {
                    expect = EXPECT_COLON;
                } else {
                    expect = EXPECT_AFTER;
                    cut = i + 1;
                    cut_depth = depth;
                }
            } else {
                string_safe = i + 1;
            }
            continue;
        }
        if (is_space(c))
            continue;
        switch (c) {
        case '{':
        case '[':
            if (depth == MAX_DEPTH)
                return GK_OK;
            stack[depth++] = c;
            expect = c == '{' ? EXPECT_KEY : EXPECT_VALUE;
            cut = i + 1;
            cut_depth = depth;
            break;
        case '}':
        case ']':
            if (depth == 0)
                return GK_OK;
            depth--;
            expect = EXPECT_AFTER;
            cut = i + 1;
            cut_depth = depth;
            if (depth == 0) {
                gk_error quiet = {0};
                gk_status st = parse_exact(a, p, cut, out, &quiet);
                if (st == GK_RESOURCE_EXHAUSTED)
                    return oom(err);
                if (st != GK_OK)
                    *out = NULL;
                return GK_OK;
            }
            break;
        case ',':
            expect = stack[depth - 1] == '{' ? EXPECT_KEY : EXPECT_VALUE;
            break;
        case ':':
            expect = EXPECT_VALUE;
            break;
        case '"':
            in_string = true;
            key = expect == EXPECT_KEY;
            string_safe = i + 1;
            break;
        default: {
            /* A number or literal: complete once something follows it. */
            size_t j = i;
            while (j < n && !is_space(p[j]) && p[j] != ',' && p[j] != '}' && p[j] != ']' &&
                   p[j] != ':')
                j++;
            if (j < n) {
                cut = j;
                cut_depth = depth;
                expect = EXPECT_AFTER;
            } else if ((p[j - 1] >= '0' && p[j - 1] <= '9' &&
                        (c == '-' || (c >= '0' && c <= '9'))) ||
                       is_literal(p + i, j - i)) {
                /* A number still being written: show it as far as it goes. */
                cut = j;
                cut_depth = depth;
            }
            i = j - 1;
            break;
        }
        }
    }
    gk_buf b = GK_BUF_INIT(0);
    gk_status st = GK_OK;
    for (int attempt = 0; attempt < 2 && !*out; attempt++) {
        gk_buf_reset(&b);
        size_t d;
        if (attempt == 0) {
            if (!in_string || key)
                continue;
            /* Close the string value where it stops. */
            gk_buf_put(&b, p, string_safe);
            gk_buf_putc(&b, '"');
            d = depth;
        } else {
            gk_buf_put(&b, p, cut);
            d = cut_depth;
        }
        while (d > 0)
            gk_buf_putc(&b, stack[--d] == '{' ? '}' : ']');
        if (gk_buf_failed(&b)) {
            st = oom(err);
            break;
        }
        gk_error quiet = {0};
        st = parse_exact(a, b.ptr, b.len, out, &quiet);
        if (st == GK_RESOURCE_EXHAUSTED) {
            st = oom(err);
            break;
        }
        if (st != GK_OK)
            *out = NULL;
        st = GK_OK;
    }
    gk_buf_release(&b);
    return st;
}

/* The partial value of the first object or array in p[0..n) (NULL if none started). */
static gk_status partial_json(gk_arena *a, const char *p, size_t n, const gk_json **out,
                              gk_error *err)
{
    *out = NULL;
    strip_fence(&p, &n);
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '{' || p[i] == '[')
            return repair_partial(a, p + i, n - i, out, err);
    }
    return GK_OK;
}

/* The items of the first array in p[0..n) that are complete (followed by ',' or ']'). */
static gk_status partial_array(gk_arena *a, const char *p, size_t n, const gk_json **out,
                               gk_error *err)
{
    *out = NULL;
    strip_fence(&p, &n);
    const char *open = memchr(p, '[', n);
    if (!open)
        return GK_OK;
    n -= (size_t)(open - p);
    p = open;
    size_t depth = 0;
    size_t last = 1; /* end of the last complete item (exclusive): just after '[' when none */
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                break;
            if (--depth == 0) {
                last = i;
                break;
            }
        } else if (c == ',' && depth == 1) {
            last = i;
        }
    }
    gk_buf b = GK_BUF_INIT(0);
    gk_buf_put(&b, p, last);
    gk_buf_putc(&b, ']');
    if (gk_buf_failed(&b)) {
        gk_buf_release(&b);
        return oom(err);
    }
    gk_error quiet = {0};
    gk_status st = parse_exact(a, b.ptr, b.len, out, &quiet);
    gk_buf_release(&b);
    if (st == GK_RESOURCE_EXHAUSTED)
        return oom(err);
    if (st != GK_OK)
        *out = NULL;
    return GK_OK;
}

/* jsonl: the objects on lines starting with '{'. Partial: only lines already ended by '\n'. */
static gk_status parse_jsonl(gk_arena *a, const char *p, size_t n, bool partial,
                             const gk_json **out, gk_error *err)
{
    gk_json *arr = gk_json_new_array(a);
    if (!arr)
        return oom(err);
    strip_fence(&p, &n);
    size_t line_no = 0;
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        if (!nl && partial)
            break;
        size_t len = nl ? (size_t)(nl - p) : n;
        const char *line = p;
        size_t ln = len;
        line_no++;
        p += nl ? len + 1 : len;
        n -= nl ? len + 1 : len;
        trim(&line, &ln);
        if (ln == 0 || line[0] != '{')
            continue;
        const gk_json *v = NULL;
        gk_error e = {0};
        gk_status st = parse_exact(a, line, ln, &v, &e);
        if (st == GK_RESOURCE_EXHAUSTED)
            return oom(err);
        if (st != GK_OK) {
            if (partial)
                continue;
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "model output line %zu: %s", line_no,
                                e.message);
        }
        if (!gk_json_array_push(a, arr, v))
            return oom(err);
    }
    *out = arr;
    return GK_OK;
}

static gk_status text_value(gk_arena *a, const char *p, size_t n, const gk_json **out,
                            gk_error *err)
{
    gk_json *v = gk_json_new_string(a, p, n);
    if (!v)
        return oom(err);
    *out = v;
    return GK_OK;
}

gk_status gk_output_parse(gk_arena *a, gk_output_format f, const char *text, size_t len,
                          bool partial, const gk_json **out, gk_error *err)
{
    *out = NULL;
    if (!text)
        text = "";
    switch (f) {
    case GK_FORMAT_JSON:
        if (partial)
            return partial_json(a, text, len, out, err);
        return extract_json(a, text, len, 0, out, err);
    case GK_FORMAT_ARRAY: {
        if (partial)
            return partial_array(a, text, len, out, err);
        gk_status st = extract_json(a, text, len, '[', out, err);
        if (st == GK_OK && (*out)->type != GK_JSON_ARRAY) {
            *out = NULL;
            return gk_error_set(err, GK_INVALID_ARGUMENT, "", "model output is not a JSON array");
        }
        return st;
    }
    case GK_FORMAT_JSONL:
        return parse_jsonl(a, text, len, partial, out, err);
    case GK_FORMAT_ENUM: {
        if (partial)
            return GK_OK;
        const char *p = text;
        size_t n = len;
        trim(&p, &n);
        strip_fence(&p, &n);
        trim(&p, &n);
        while (n >= 2 && (p[0] == '"' || p[0] == '\'' || p[0] == '`') && p[n - 1] == p[0]) {
            p++;
            n -= 2;
            trim(&p, &n);
        }
        return text_value(a, p, n, out, err);
    }
    default:
        if (partial)
            return GK_OK;
        return text_value(a, text, len, out, err);
    }
}

/* ---- instructions ---- */

static void write_compact(gk_buf *b, const gk_json *v)
{
    gk_json_write(b, v);
}

const gk_json *gk__output_items_schema(const gk_json *schema)
{
    if (!schema || schema->type != GK_JSON_OBJECT)
        return NULL;
    return gk_json_get(schema, "items");
}

const gk_json *gk__output_enum_values(const gk_json *schema)
{
    if (!schema || schema->type != GK_JSON_OBJECT)
        return NULL;
    const gk_json *e = gk_json_get(schema, "enum");
    if (e && e->type == GK_JSON_ARRAY)
        return e;
    /* Genkit also takes the enum of an object's first property. */
    const gk_json *props = gk_json_get(schema, "properties");
    if (props && props->type == GK_JSON_OBJECT && props->count > 0) {
        e = gk_json_get(&props->items[0], "enum");
        if (e && e->type == GK_JSON_ARRAY)
            return e;
    }
    return NULL;
}

void gk_output_instructions(gk_buf *b, gk_output_format f, const gk_json *schema,
                            const char *const *enum_values)
{
    switch (f) {
    case GK_FORMAT_JSON:
        if (!schema)
            return;
        gk_buf_puts(b, "Output should be in JSON format and conform to the following schema:\n\n"
                       "```\n");
        write_compact(b, schema);
        gk_buf_puts(b, "\n```\n");
        return;
    case GK_FORMAT_ARRAY: {
        const gk_json *items = gk__output_items_schema(schema);
        if (!items)
            return;
        gk_buf_puts(b, "Output should be a JSON array conforming to the following schema:\n\n"
                       "```\n");
        write_compact(b, items);
        gk_buf_puts(b, "\n```\n");
        return;
    }
    case GK_FORMAT_JSONL: {
        const gk_json *items = gk__output_items_schema(schema);
        if (!items)
            return;
        gk_buf_puts(b, "Output should be JSONL format, a sequence of JSON objects (one per line) "
                       "separated by a newline '\\n' character. Each line should be a JSON object "
                       "conforming to the following schema:\n\n```\n");
        write_compact(b, items);
        gk_buf_puts(b, "\n```\n");
        return;
    }
    case GK_FORMAT_ENUM: {
        gk_buf_puts(b, "Output should be ONLY one of the following enum values. Do not output any "
                       "additional information or add quotes.\n\n");
        if (enum_values) {
            for (const char *const *v = enum_values; *v; v++) {
                gk_buf_puts(b, *v);
                gk_buf_putc(b, '\n');
            }
            return;
        }
        const gk_json *values = gk__output_enum_values(schema);
        for (size_t i = 0; values && i < values->count; i++) {
            const gk_json *v = &values->items[i];
            if (v->type == GK_JSON_STRING)
                gk_buf_put(b, v->str, v->len);
            else
                gk_json_write(b, v);
            gk_buf_putc(b, '\n');
        }
        return;
    }
    default:
        return;
    }
}
