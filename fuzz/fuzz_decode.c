/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_decode.c - the validating decoder and the encoder: any JSON input must decode or fail
 * with a status and a message, leaving the output zeroed; a value that decodes must encode to JSON
 * that decodes again to a value that encodes to the same bytes (a mismatch is a bug: abort). The
 * first byte picks the root type: a nested struct, an array of structs, or an array of strings. */
#include <genkit/schema.h>

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef enum { FZ_SMALL, FZ_LARGE, FZ_HUGE } FzKind;

typedef GK_ARRAY_OF(gk_number) FzRow;

typedef struct FzItem {
    const char *name;
    int qty;
    bool has_qty;
    FzKind kind;
    GK_ARRAY_OF(gk_text) tags;
    const gk_json *meta;
} FzItem;

typedef struct FzInner {
    int64_t id;
    bool flag;
} FzInner;

typedef struct FzDoc {
    int64_t id;
    const char *title;
    double score;
    bool has_score;
    GK_ARRAY_OF(FzItem) items;
    GK_ARRAY_OF(FzRow) matrix;
    GK_ARRAY_OF(gk_bool) flags;
    GK_ARRAY_OF(FzKind) kinds;
    bool on;
    FzInner inner;
    bool has_inner;
    gk_json extra;
} FzDoc;

typedef GK_ARRAY_OF(FzItem) FzItems;

GK_SCHEMA_DECLARE(FzKind);
GK_SCHEMA_DECLARE(FzRow);
GK_SCHEMA_DECLARE(FzItem);
GK_SCHEMA_DECLARE(FzInner);
GK_SCHEMA_DECLARE(FzDoc);
GK_SCHEMA_DECLARE(FzItems);

/* clang-format off */
GK_ENUM_DEFINE(FzKind, NULL, "small", "large", "huge");
GK_ARRAY_DEFINE(FzRow, gk_number, NULL);

GK_SCHEMA_DEFINE(FzItem, NULL,
    GK_FIELD_STRING(FzItem, name, "name", NULL, GK_MAX_LENGTH(16)),
    GK_FIELD_INT_OPT(FzItem, qty, "qty", NULL, GK_MINIMUM(-5), GK_MAXIMUM(1000000)),
    GK_FIELD_ENUM(FzItem, kind, "kind", FzKind, NULL, GK_DEFAULT(FZ_SMALL)),
    GK_FIELD_ARRAY_OPT(FzItem, tags, "tags", gk_text, NULL, GK_MAX_ITEMS(4), GK_MIN_LENGTH(1)),
    GK_FIELD_JSON_OPT(FzItem, meta, "meta", NULL));

GK_SCHEMA_DEFINE_STRICT(FzInner, NULL,
    GK_FIELD_INT64(FzInner, id, "id", NULL),
    GK_FIELD_BOOL(FzInner, flag, "flag", NULL, GK_DEFAULT(false)));

GK_SCHEMA_DEFINE(FzDoc, NULL,
    GK_FIELD_INT64(FzDoc, id, "id", NULL),
    GK_FIELD_STRING_OPT(FzDoc, title, "title", NULL),
    GK_FIELD_NUMBER_OPT(FzDoc, score, "score", NULL, GK_MINIMUM(0), GK_MAXIMUM(1e9)),
    GK_FIELD_ARRAY(FzDoc, items, "items", FzItem, NULL),
    GK_FIELD_ARRAY_OPT(FzDoc, matrix, "matrix", FzRow, NULL),
    GK_FIELD_ARRAY_OPT(FzDoc, flags, "flags", gk_bool, NULL),
    GK_FIELD_ARRAY_OPT(FzDoc, kinds, "kinds", FzKind, NULL),
    GK_FIELD_BOOL(FzDoc, on, "on", NULL, GK_DEFAULT(true)),
    GK_FIELD_STRUCT_OPT(FzDoc, inner, "inner", FzInner, NULL),
    GK_FIELD(FzDoc, extra, "extra", gk_json, NULL));

GK_ARRAY_DEFINE(FzItems, FzItem, NULL);
/* clang-format on */

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        if (b[i])
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const gk_type *const roots[] = {GK_TYPE_OF(FzDoc), GK_TYPE_OF(FzItems),
                                           GK_TYPE_OF(gk_text_array)};
    union {
        FzDoc doc;
        FzItems items;
        gk_text_array texts;
    } v1, v2;
    if (size == 0)
        return 0;
    const gk_type *t = roots[data[0] % 3];
    data++;
    size--;
    if (gk_type_validate(t, NULL) != GK_OK)
        abort();

    gk_arena *a = gk_arena_new(16 * 1024 * 1024);
    if (!a)
        return 0;
    gk_error err = {0};
    gk_json *tree = NULL;
    if (gk_json_parse(a, (const char *)data, size, NULL, &tree, &err) != GK_OK) {
        gk_arena_free(a);
        return 0; /* the JSON reader has its own target */
    }
    gk_status st = gk_decode(a, t, tree, &v1, &err);
    if (st != GK_OK) {
        if (err.status != st || err.message[0] == '\0' || !all_zero(&v1, t->size))
            abort();
        gk_arena_free(a);
        return 0;
    }

    gk_buf out1 = GK_BUF_INIT(0);
    gk_buf out2 = GK_BUF_INIT(0);
    gk_jw w;
    gk_jw_init(&w, &out1);
    gk_encode(&w, t, &v1);
    if (gk_buf_failed(&out1))
        abort();
    st = gk_decode_text(a, t, out1.ptr, out1.len, &v2, &err);
    if (st != GK_OK)
        abort(); /* what we wrote does not decode */
    gk_jw_init(&w, &out2);
    gk_encode(&w, t, &v2);
    if (gk_buf_failed(&out2) || out1.len != out2.len || memcmp(out1.ptr, out2.ptr, out1.len) != 0)
        abort(); /* not stable */

    gk_buf_reset(&out2);
    gk_jw_init(&w, &out2);
    gk_schema_write(&w, t);
    if (gk_buf_failed(&out2))
        abort();
    gk_buf_release(&out1);
    gk_buf_release(&out2);
    gk_arena_free(a);
    return 0;
}
