#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CPU cost per gk_generate call with the model excluded (a canned in-process model): builds
# bench/generate.c against a release libgenkit and prints ns/call for a text call with a ~2 KB
# conversation and reply, and for gk_generate_data decoding a ~2 KB JSON reply.
# Usage: bash bench/generate.sh [calls]   (BUILD: release build dir, default build-release)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD:-build-release}
calls=${1:-20000}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGK_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target genkit_static >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -std=c17 -O2 -D_GNU_SOURCE -Iinclude -Isrc bench/generate.c "$build/libgenkit.a" \
    $(pkg-config --libs libuv libfyaml) -lhttp_parser -lmbedtls -lmbedx509 -lmbedcrypto -lpthread -lm \
    -o "$work/generate"
GK_LOG_LEVEL=warn "$work/generate" "$calls"
