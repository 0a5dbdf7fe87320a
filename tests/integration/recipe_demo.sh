#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo service end to end, as a user runs it: start examples/recipe, call each flow with curl
# (JSON, SSE streaming, fan-out under a deadline, bad input), then SIGTERM: it must drain and exit 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
PORT=$port GK_THREADS=2 GK_LOG_FORMAT=json "$build/examples/recipe" 2>"$log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

fail() { echo "FAIL: $*"; cat "$log"; exit 1; }
url=http://127.0.0.1:$port

out=$(curl -s "$url/recipe" -H 'Content-Type: application/json' -d '{"data":{"ingredient":"tomato"}}')
echo "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)["result"]
assert r["title"] and "tomato" in r["ingredients"][0], r
assert r["servings"] >= 1 and len(r["instructions"]) == 5, r
' || fail "recipe: $out"

code=$(curl -s -o /tmp/gk_bad.$$ -w '%{http_code}' "$url/recipe" -d '{"data":{"ingredient":7}}')
[ "$code" = 400 ] || fail "wrong type gave $code"
grep -q '"INVALID_ARGUMENT"' /tmp/gk_bad.$$ || fail "wrong type body: $(cat /tmp/gk_bad.$$)"
grep -q '/ingredient' /tmp/gk_bad.$$ || fail "no path in: $(cat /tmp/gk_bad.$$)"
rm -f /tmp/gk_bad.$$

stream=$(curl -sN "$url/recipeSteps?stream=true" -d '{"data":{"ingredient":"leek","dietaryRestrictions":"vegan"}}')
[ "$(echo "$stream" | grep -c '^data: {"message":')" = 5 ] || fail "stream chunks: $stream"
echo "$stream" | grep -q '^data: {"message":{"index":1,"text":"Wash and cut the leek into even pieces."}}$' || fail "first chunk: $stream"
echo "$stream" | tail -2 | grep -q '^data: {"result":{"title":' || fail "stream result: $stream"

menu=$(curl -s "$url/menu" -d '{"data":{"ingredients":["pea","salmon","pear"],"kitchenDelayMs":100}}')
echo "$menu" | python3 -c '
import json, sys
m = json.load(sys.stdin)["result"]
assert len(m["courses"]) == 3, m
# Three 100 ms courses in parallel take about 100 ms, not 300.
assert 100 <= m["elapsedMs"] < 280, m["elapsedMs"]
' || fail "menu: $menu"

code=$(curl -s -o /tmp/gk_late.$$ -w '%{http_code}' "$url/menu" -d '{"data":{"ingredients":["pea"],"kitchenDelayMs":2000,"deadlineMs":50}}')
[ "$code" = 504 ] || fail "menu past its deadline gave $code: $(cat /tmp/gk_late.$$)"
grep -q '"DEADLINE_EXCEEDED"' /tmp/gk_late.$$ || fail "deadline body: $(cat /tmp/gk_late.$$)"
rm -f /tmp/gk_late.$$

kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM"
grep -q '"path":"/recipe"' "$log" || fail "no request log line"
if grep '^{' "$log" | grep -q 'tomato'; then fail "a request body reached the log"; fi
echo "recipe demo ok"
