#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /openapi.json checked by a real OpenAPI 3.1 validator: @apidevtools/swagger-parser (pinned in
# tests/integration/openapi/package-lock.json, installed once into $GK_BUILD/openapi-validator)
# validates the document the recipe example serves (schema + every $ref); the path prefix and
# the exact JSON are pinned by tests/server/openapi_test.c. Skips only when npm is missing or its registry cannot be reached.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}
cache="$build/openapi-validator"
src=tests/integration/openapi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node/npm not installed (apt-get install nodejs npm)"; exit 0
fi
if [ ! -d "$cache/node_modules/@apidevtools/swagger-parser" ] ||
   ! cmp -s "$src/package-lock.json" "$cache/package-lock.json"; then
    mkdir -p "$cache"
    cp "$src/package.json" "$src/package-lock.json" "$cache/"
    if ! (cd "$cache" && timeout 180 npm ci --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
        if grep -qiE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' "$cache/npm.log"; then
            echo "SKIP: the npm registry is unreachable: $(grep -m1 -iE 'ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network' "$cache/npm.log")"
            exit 0
        fi
        echo "FAIL: npm ci failed:"; cat "$cache/npm.log"; exit 1
    fi
fi
export NODE_PATH="$PWD/$cache/node_modules"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tmp=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$tmp/log" 2>/dev/null | tail -20; exit 1; }

start() { # extra env...
    env PORT=$port GK_THREADS=2 "$@" "$build/examples/recipe" 2>"$tmp/log" &
    pid=$!
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.05; done
    fail "recipe did not start"
}
stop() { kill -TERM "$pid"; wait "$pid" || fail "exit status $? after SIGTERM"; pid=; }

start
code=$(curl -s -o "$tmp/openapi.json" -w '%{http_code}' "http://127.0.0.1:$port/openapi.json")
[ "$code" = 200 ] || fail "GET /openapi.json gave $code"
out=$(node "$src/validate.js" "$tmp/openapi.json" 2>&1) || fail "validator: $out"
echo "$out"
echo "$out" | grep -q '^valid: recipe .*, openapi 3.1.0, [0-9]* paths: .*/recipe /recipeSteps' || fail "unexpected: $out"
python3 - "$tmp/openapi.json" <<'PY' || fail "document content"
import json, sys
d = json.load(open(sys.argv[1]))
op = d["paths"]["/recipe"]["post"]
assert op["requestBody"]["content"]["application/json"]["schema"]["properties"]["data"] == {"$ref": "#/components/schemas/recipeInput"}, op
assert "text/event-stream" in op["responses"]["200"]["content"]
s = d["components"]["schemas"]["recipeInput"]
assert s["properties"]["ingredient"]["type"] == "string" and s["required"] == ["ingredient"], s
assert "recipeStepsChunk" in d["components"]["schemas"]
PY
stop
echo "openapi validate ok"
