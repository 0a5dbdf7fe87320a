/* expect: gk_member_type_does_not_match_field_kind */
/* A string field declared for an int member must not compile. */
#include <genkit/schema.h>

typedef struct Order {
    int qty;
} Order;

GK_SCHEMA_DECLARE(Order);

#ifdef GK_COMPILE_FAIL_FIXED
GK_SCHEMA_DEFINE(Order, NULL, GK_FIELD_INT(Order, qty, "qty", NULL));
#else
GK_SCHEMA_DEFINE(Order, NULL, GK_FIELD_STRING(Order, qty, "qty", NULL));
#endif
