#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's flow example compiles against the library as written and answers as the README says.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
python3 - "$work/hello.c" <<'PY'
import sys
readme = open("README.md").read()
sys.stdout = open(sys.argv[1], "w")
print(readme.split("## A flow")[1].split("```c\n")[1].split("```")[0])
PY
san=""
grep -q '^GK_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san="-fsanitize=address,undefined"
cc -std=c17 -Wall -Wextra -Werror $san -Iinclude "$work/hello.c" "$build/libgenkit.a" \
    $(pkg-config --libs libuv libcurl libfyaml) -lhttp_parser -l:libmbedtls.a -l:libmbedx509.a \
    -l:libmbedcrypto.a -lpthread -lm -o "$work/hello"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$port GK_LOG_LEVEL=warn "$work/hello" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
[ "$(curl -s "http://127.0.0.1:$port/hello" -d '{"data":{"name":"Ada"}}')" = '{"result":"hello, Ada (x1)"}' ]
[ "$(curl -s "http://127.0.0.1:$port/hello" -d '{"data":{"name":3}}')" = \
  '{"error":{"status":"INVALID_ARGUMENT","message":"expected string, got number","details":{"path":"/name"}}}' ]
kill -TERM $pid
wait $pid
echo "readme example ok"
