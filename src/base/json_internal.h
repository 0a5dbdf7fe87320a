/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/json_internal.h - what json.c and json_write.c share: the C locale for numbers. */
#ifndef GK_BASE_JSON_INTERNAL_H
#define GK_BASE_JSON_INTERNAL_H

#include <locale.h>
#include <stddef.h>

/* A "C" locale object (created once), for strtod_l and for printing numbers. May be (locale_t)0
 * if newlocale failed. */
locale_t gk__json_c_locale(void);

/* Shortest text that reads back as d (C locale); "null" for NaN and infinities. Returns the length;
 * out is NUL-terminated. */
size_t gk__json_format_double(double d, char out[32]);

#endif
