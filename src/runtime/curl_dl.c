/* SPDX-License-Identifier: Apache-2.0 */
/* src/runtime/curl_dl.c - loads libcurl on the first outgoing request (GK_CURL_DLOPEN) or, when
 * it is linked, only initialises it. Built only with the curl transport (GK_HTTP_CURL). Loading
 * lazily keeps curl's ~36 shared libraries (OpenSSL, GnuTLS, LDAP, Kerberos, SSH, RTMP...) out of
 * the start of every service that never calls out: see docs/decisions/0005-lazy-libcurl.md. */
#include "runtime/curl_dl.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#if GK_CURL_DLOPEN
#include <dlfcn.h>
#endif

#include "base/banned.h"

#define GK__CURL_SONAME "libcurl.so.4"

#if GK_CURL_DLOPEN
struct gk__curl_api gk__curl;
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static gk_error load_err; /* the outcome of the one load; read-only once load_once ran */

#if GK_CURL_DLOPEN
/* dlopen the library and fill gk__curl; on failure gk__curl stays all NULL. */
static gk_status resolve(gk_error *err)
{
    struct gk__curl_api api;
    const char *path = secure_getenv("GK_LIBCURL_PATH");
    void *lib;
    if (!path || !*path)
        path = GK__CURL_SONAME;
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *why = dlerror();
        return gk_error_set(err, GK_UNAVAILABLE, "",
                            GK__CURL_SONAME " not found: install libcurl4 (%s)",
                            why ? why : path);
    }
    /* Cast from void *: POSIX guarantees function pointers survive the round trip. */
#define GK__CURL_RESOLVE(name)                                                           \
    api.name = (__typeof__(api.name))dlsym(lib, "curl_" #name);                          \
    if (!api.name) {                                                                     \
        dlclose(lib);                                                                    \
        return gk_error_set(err, GK_UNAVAILABLE, "",                                     \
                            GK__CURL_SONAME " has no curl_" #name ": install libcurl4"); \
    }
    GK__CURL_FUNCS(GK__CURL_RESOLVE)
#undef GK__CURL_RESOLVE
    gk__curl = api;
    /* lib stays loaded for the life of the process, like a linked library. */
    return GK_OK;
}
#else
static gk_status resolve(gk_error *err)
{
    (void)err;
    return GK_OK;
}
#endif

static void load(void)
{
    const curl_version_info_data *v;
    CURLcode rc;
    gk_error_clear(&load_err);
    if (resolve(&load_err) != GK_OK)
        return;
    v = curl_version_info(CURLVERSION_NOW);
    if (!v || v->version_num < GK__CURL_MIN_VERSION) {
        gk_error_set(&load_err, GK_UNAVAILABLE, "",
                     "libcurl %s is too old: install libcurl4 7.85 or newer",
                     v && v->version ? v->version : "(unknown)");
        return;
    }
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        gk_error_set(&load_err, GK_INTERNAL, "", "cannot initialise libcurl: %s",
                     curl_easy_strerror(rc));
}

gk_status gk__curl_load(gk_error *err)
{
    pthread_once(&load_once, load);
    if (load_err.status != GK_OK && err)
        *err = load_err;
    return load_err.status;
}

bool gk__curl_is_lazy(void)
{
    return GK_CURL_DLOPEN;
}
