/* expect: gk_member_type_does_not_match_field_kind */
/* An integer field declared for a double member must not compile (no silent conversion). */
#include <genkit/schema.h>

typedef struct Reading {
    double celsius;
} Reading;

GK_SCHEMA_DECLARE(Reading);

#ifdef GK_COMPILE_FAIL_FIXED
GK_SCHEMA_DEFINE(Reading, NULL, GK_FIELD_NUMBER(Reading, celsius, "celsius", NULL));
#else
GK_SCHEMA_DEFINE(Reading, NULL, GK_FIELD_INT64(Reading, celsius, "celsius", NULL));
#endif
