#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The official Genkit JS client (runFlow / streamFlow from 'genkit/beta/client', npm `genkit`
# pinned with a lock file in tests/integration/js_client/) against examples/recipe's flow server:
# typed results, streamed chunks in order, error propagation (400 INVALID_ARGUMENT with the path,
# 404, errors inside an SSE stream, 504 DEADLINE_EXCEEDED), caller headers, and a client abort
# that must cancel the flow on the server. Then SIGTERM: the server must drain and exit 0.
# Needs the npm registry once (installed with `npm ci` under build/js-client, shared by every
# build tree). SKIP (exit 0) happens only when `npm view genkit version` fails, i.e. the registry
# cannot be reached; every other failure fails the test. Takes ~3 s with the cache warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${GK_BUILD:-build-asan}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/examples/recipe
spec=$root/tests/integration/js_client
cache=$root/build/js-client

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no recipe binary at $bin (build the examples first)"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are required"
command -v flock >/dev/null || fail "flock (util-linux) is required"
pinned=$(node -p 'require(process.argv[1]).dependencies.genkit' "$spec/package.json")

# Concurrent runs (several build trees) share the cache: install under a lock. The cache is
# current when it holds the committed lock file and the pinned genkit.
mkdir -p "$root/build"
exec 9>"$root/build/js-client.lock"
flock -w 300 9 || fail "timed out waiting for another run's js-client install"
installed() {
    cmp -s "$spec/package-lock.json" "$cache/package-lock.json" &&
        [ "$(node -p 'require(process.argv[1]).version' "$cache/node_modules/genkit/package.json" \
            2>/dev/null)" = "$pinned" ]
}
if ! installed; then
    if ! timeout 60 npm view "genkit@$pinned" version >/dev/null 2>&1; then
        echo "SKIP: the npm registry is unreachable (npm view genkit failed); cannot install genkit $pinned"
        exit 0
    fi
    rm -rf "$cache"
    mkdir -p "$cache"
    cp "$spec/package.json" "$spec/package-lock.json" "$cache/"
    (cd "$cache" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >/dev/null ||
        { rm -f "$cache/package-lock.json"; fail "npm ci (genkit $pinned) failed in $cache"; }
    installed || fail "genkit $pinned did not install in $cache"
fi
# ESM resolves 'genkit/beta/client' from the script's own directory: run it inside the cache.
cp "$spec"/*.mjs "$cache/"
flock -u 9

tmp=$(mktemp -d /tmp/gk_jsc_XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
log=$tmp/server.log

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url=http://127.0.0.1:$port
# No provider key from the caller's environment: the demo answers with the local model.
env -u GK_MODEL -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u GOOGLE_API_KEY \
    PORT=$port GK_THREADS=2 GK_LOG_FORMAT=json GK_QUIET=1 "$bin" 2>"$log" &
pid=$!
up=
for _ in $(seq 1 200); do
    kill -0 "$pid" 2>/dev/null || { cat "$log"; fail "the recipe server exited at start"; }
    if node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "$url/healthz" 2>/dev/null; then up=1; break; fi
    sleep 0.05
done
[ -n "$up" ] || { cat "$log"; fail "the recipe server did not answer /healthz on $url"; }

echo "genkit $pinned client against $url"
(cd "$cache" && timeout 60 node client_test.mjs "$url") || { tail -20 "$log"; fail "client checks"; }

# The aborted /menu call (3 s of kitchen work) must have been cancelled on the server, not run
# to the end: its request line shows a non-success status well before 3 s.
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n")
    .filter(l => l.startsWith("{")).map(l => JSON.parse(l))
    .filter(l => l.msg === "request" && l.path === "/menu" && l.status !== "200" && l.status !== "504");
if (lines.length !== 1) { console.error("want one aborted /menu line, got", lines); process.exit(1); }
if (!(Number(lines[0].duration_ms) < 2000)) { console.error("abort did not cancel:", lines[0]); process.exit(1); }
console.log(`aborted /menu stopped on the server after ${lines[0].duration_ms} ms (status ${lines[0].status})`);
' "$log" || fail "client abort did not cancel the flow"

kill -TERM "$pid"
st=0
wait "$pid" || st=$?
pid=
[ "$st" = 0 ] || { cat "$log"; fail "exit status $st after SIGTERM"; }
grep -q '"msg":"server stopped"' "$log" || { cat "$log"; fail "no 'server stopped' line"; }
echo "PASS genkit $pinned JS client: runFlow, streamFlow, errors, headers, abort; SIGTERM exit 0"
