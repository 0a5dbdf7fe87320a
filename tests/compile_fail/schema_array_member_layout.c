/* expect: gk_array_member_must_be_GK_ARRAY_OF */
/* An array member must have GK_ARRAY_OF's layout (items, then a size_t count). */
#include <genkit/schema.h>

typedef struct Basket {
#ifdef GK_COMPILE_FAIL_FIXED
    GK_ARRAY_OF(gk_text) fruits;
#else
    struct {
        gk_text *items;
        int count;
    } fruits;
#endif
} Basket;

GK_SCHEMA_DECLARE(Basket);

GK_SCHEMA_DEFINE(Basket, NULL, GK_FIELD_ARRAY(Basket, fruits, "fruits", gk_text, NULL));
