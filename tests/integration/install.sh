#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make install` works for a user: install a release build into a temporary prefix, then build a
# small service against it with pkg-config alone (static and shared), and run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
prefix=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$prefix" "$work"' EXIT
cmake -S . -B build-install -DCMAKE_BUILD_TYPE=Release -DGK_TESTS=OFF >/dev/null
cmake --build build-install -j "$(nproc)" --target genkit_static genkit_shared >/dev/null
cmake --install build-install --prefix "$prefix" >/dev/null
cat >"$work/app.c" <<'C'
#include <genkit/genkit.h>
#include <stdio.h>

typedef struct Greeting { const char *name; } Greeting;
GK_SCHEMA_DEFINE(Greeting, "Who to greet", GK_FIELD_STRING(Greeting, name, "name", NULL));

static gk_status hello(gk_ctx *ctx, const Greeting *in, gk_text *out, gk_error *err)
{
    (void)err;
    *out = gk_arena_sprintf(gk_ctx_arena(ctx), "hello, %s", in->name);
    return GK_OK;
}

int main(void)
{
    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1}, &err);
    if (!g || !GK_DEFINE_FLOW(g, "hello", NULL, hello, Greeting, gk_text, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("genkit-c %s: %s\n", gk_version(),
           gk_lookup(g, GK_ACTION_FLOW, "hello") ? "flow hello" : "no flow");
    gk_shutdown(g);
    return 0;
}
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/$(gcc -dumpmachine)/pkgconfig"
cc -std=c17 -Wall -Wextra -Werror -o "$work/app-static" "$work/app.c" $(pkg-config --cflags genkit) \
    "$(pkg-config --variable=libdir genkit)/libgenkit.a" $(pkg-config --libs --static genkit | sed 's/-lgenkit//')
cc -std=c17 -Wall -Wextra -Werror -o "$work/app-shared" "$work/app.c" $(pkg-config --cflags --libs genkit)
"$work/app-static" | grep -q '^genkit-c 0.1.0: flow hello$'
LD_LIBRARY_PATH="$(pkg-config --variable=libdir genkit)" "$work/app-shared" | grep -q '^genkit-c 0.1.0: flow hello$'
echo "install ok"
