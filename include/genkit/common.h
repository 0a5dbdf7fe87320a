/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/common.h - what every public header needs: export marker, version, byte views.
 * Threads: nothing here has state. */
#ifndef GENKIT_COMMON_H
#define GENKIT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define GK_API __attribute__((visibility("default")))
#else
#define GK_API
#endif

#define GK_VERSION_MAJOR 0
#define GK_VERSION_MINOR 1
#define GK_VERSION_PATCH 0
#define GK_VERSION       "0.1.0"

/* A view of bytes that may not be NUL-terminated (h2o's h2o_iovec_t). Borrowed, never owned. */
typedef struct gk_str {
    const char *ptr;
    size_t len;
} gk_str;

/* A gk_str over a string literal, without strlen at run time. */
#define GK_STR(lit) ((gk_str){(lit), sizeof(lit) - 1})

/* Version string of the library the program runs with ("0.1.0"). */
GK_API const char *gk_version(void);

#ifdef __cplusplus
}
#endif
#endif
