/* expect: gk_member_type_does_not_match_field_kind */
/* An array field whose declared element type differs from the member's items must not compile. */
#include <genkit/schema.h>

typedef struct Tagged {
    GK_ARRAY_OF(gk_text) tags;
} Tagged;

GK_SCHEMA_DECLARE(Tagged);

#ifdef GK_COMPILE_FAIL_FIXED
GK_SCHEMA_DEFINE(Tagged, NULL, GK_FIELD_ARRAY(Tagged, tags, "tags", gk_text, NULL));
#else
GK_SCHEMA_DEFINE(Tagged, NULL, GK_FIELD_ARRAY(Tagged, tags, "tags", gk_int, NULL));
#endif
