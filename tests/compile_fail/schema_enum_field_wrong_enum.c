/* expect: gk_member_type_does_not_match_field_kind */
/* An enum field naming another enum than the member's must not compile. */
#include <genkit/schema.h>

typedef enum { SIZE_S, SIZE_M, SIZE_L } Size;
typedef enum { COLOR_RED, COLOR_BLUE } Color;

typedef struct Shirt {
    Size size;
} Shirt;

GK_SCHEMA_DECLARE(Size);
GK_SCHEMA_DECLARE(Color);
GK_SCHEMA_DECLARE(Shirt);

GK_ENUM_DEFINE(Size, NULL, "s", "m", "l");
GK_ENUM_DEFINE(Color, NULL, "red", "blue");
#ifdef GK_COMPILE_FAIL_FIXED
GK_SCHEMA_DEFINE(Shirt, NULL, GK_FIELD_ENUM(Shirt, size, "size", Size, NULL));
#else
GK_SCHEMA_DEFINE(Shirt, NULL, GK_FIELD_ENUM(Shirt, size, "size", Color, NULL));
#endif
