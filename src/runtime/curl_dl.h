/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/curl_dl.h - libcurl for the HTTP client, linked or loaded on first use.
 *
 * With GK_CURL_DLOPEN (CMake option, the default for dynamic builds) the library does not link
 * libcurl: gk__curl_load() dlopen()s "libcurl.so.4" on the first outgoing request and resolves
 * every curl function the client calls into the table gk__curl; the curl_* names below are
 * macros for those pointers, so http_curl.c reads as plain curl code in both modes. Without it
 * (GK_CURL_DLOPEN=OFF) the curl_* names are curl's own functions and gk__curl_load() only runs
 * curl_global_init. <curl/curl.h> is used for types and constants only in dlopen mode.
 *
 * Include this instead of <curl/curl.h>, and only from src/runtime/http_curl.c and
 * src/runtime/curl_dl.c (both built only with GK_HTTP_CURL). */
#ifndef GK_RUNTIME_CURL_DL_H
#define GK_RUNTIME_CURL_DL_H

#include <genkit/error.h>

#include <curl/curl.h>

#ifndef GK_CURL_DLOPEN
#define GK_CURL_DLOPEN 0
#endif

/* The oldest libcurl the client works with: CURLOPT_PROTOCOLS_STR is 7.85.0. */
#define GK__CURL_MIN_VERSION 0x075500

/* Every curl function the client calls (X(name) for curl_<name>). */
#define GK__CURL_FUNCS(X) \
    X(global_init)        \
    X(version_info)       \
    X(easy_strerror)      \
    X(easy_init)          \
    X(easy_reset)         \
    X(easy_cleanup)       \
    X(easy_setopt)        \
    X(easy_getinfo)       \
    X(easy_pause)         \
    X(multi_init)         \
    X(multi_cleanup)      \
    X(multi_setopt)       \
    X(multi_assign)       \
    X(multi_add_handle)   \
    X(multi_remove_handle) \
    X(multi_socket_action) \
    X(multi_info_read)    \
    X(share_init)         \
    X(share_cleanup)      \
    X(share_setopt)       \
    X(slist_append)       \
    X(slist_free_all)

/* The table: each member has the exact type of curl's prototype, taken from the header. */
#define GK__CURL_MEMBER(name) __typeof__(&curl_##name) name;
struct gk__curl_api {
    GK__CURL_FUNCS(GK__CURL_MEMBER)
};
#undef GK__CURL_MEMBER

#if GK_CURL_DLOPEN
/* Filled once by gk__curl_load; read-only afterwards. */
extern struct gk__curl_api gk__curl;

/* Calls go through the table. curl's type-checking macros (typecheck-gcc.h) are dropped here;
 * static builds (GK_CURL_DLOPEN=OFF) compile the same calls with them. */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#undef curl_share_setopt
#define curl_global_init         (gk__curl.global_init)
#define curl_version_info        (gk__curl.version_info)
#define curl_easy_strerror       (gk__curl.easy_strerror)
#define curl_easy_init           (gk__curl.easy_init)
#define curl_easy_reset          (gk__curl.easy_reset)
#define curl_easy_cleanup        (gk__curl.easy_cleanup)
#define curl_easy_setopt         (gk__curl.easy_setopt)
#define curl_easy_getinfo        (gk__curl.easy_getinfo)
#define curl_easy_pause          (gk__curl.easy_pause)
#define curl_multi_init          (gk__curl.multi_init)
#define curl_multi_cleanup       (gk__curl.multi_cleanup)
#define curl_multi_setopt        (gk__curl.multi_setopt)
#define curl_multi_assign        (gk__curl.multi_assign)
#define curl_multi_add_handle    (gk__curl.multi_add_handle)
#define curl_multi_remove_handle (gk__curl.multi_remove_handle)
#define curl_multi_socket_action (gk__curl.multi_socket_action)
#define curl_multi_info_read     (gk__curl.multi_info_read)
#define curl_share_init          (gk__curl.share_init)
#define curl_share_cleanup       (gk__curl.share_cleanup)
#define curl_share_setopt        (gk__curl.share_setopt)
#define curl_slist_append        (gk__curl.slist_append)
#define curl_slist_free_all      (gk__curl.slist_free_all)
#endif

/* Make libcurl usable: the first call (in the process) loads it (dlopen mode), checks its version
 * and runs curl_global_init; later calls return the first call's outcome. Thread-safe
 * (pthread_once). Call it on a full-size stack (a loop's or a thread's, never a fiber's): loading
 * relocates curl's TLS and compression libraries and OpenSSL initialises itself.
 * Test hook: in dlopen mode the environment variable GK_LIBCURL_PATH, read once before the first
 * load (ignored in set-user-ID programs), names the file to load instead of "libcurl.so.4".
 * Context: any thread.
 * Returns: GK_OK; GK_UNAVAILABLE when libcurl is missing, lacks a function or is older than 7.85
 * ("libcurl.so.4 not found: install libcurl4 (...)"); GK_INTERNAL when curl_global_init fails.
 * err (may be NULL) gets the message each time. */
gk_status gk__curl_load(gk_error *err);

/* Whether this build loads libcurl on first use (GK_CURL_DLOPEN) rather than linking it.
 * Context: any thread. */
bool gk__curl_is_lazy(void);

#endif
