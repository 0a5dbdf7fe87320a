/* expect: gk_presence_member_has_must_be_bool */
/* An optional scalar needs `bool has_<member>`; an int flag must not compile. */
#include <genkit/schema.h>

typedef struct Pizza {
    int slices;
#ifdef GK_COMPILE_FAIL_FIXED
    bool has_slices;
#else
    int has_slices;
#endif
} Pizza;

GK_SCHEMA_DECLARE(Pizza);

GK_SCHEMA_DEFINE(Pizza, NULL, GK_FIELD_INT_OPT(Pizza, slices, "slices", NULL));
