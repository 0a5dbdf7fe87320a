/* expect: gk_member_type_does_not_match_field_kind */
/* A struct field naming another struct type than the member's must not compile. */
#include <genkit/schema.h>

typedef struct Address {
    const char *city;
} Address;

typedef struct Company {
    const char *name;
} Company;

typedef struct Person {
    Address home;
} Person;

GK_SCHEMA_DECLARE(Address);
GK_SCHEMA_DECLARE(Company);
GK_SCHEMA_DECLARE(Person);

GK_SCHEMA_DEFINE(Address, NULL, GK_FIELD_STRING(Address, city, "city", NULL));
GK_SCHEMA_DEFINE(Company, NULL, GK_FIELD_STRING(Company, name, "name", NULL));
#ifdef GK_COMPILE_FAIL_FIXED
GK_SCHEMA_DEFINE(Person, NULL, GK_FIELD_STRUCT(Person, home, "home", Address, NULL));
#else
GK_SCHEMA_DEFINE(Person, NULL, GK_FIELD_STRUCT(Person, home, "home", Company, NULL));
#endif
