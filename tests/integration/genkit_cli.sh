#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The official Genkit CLI (npm genkit-cli, pinned) against the recipe example in dev mode:
#   genkit start --noui -- examples/recipe    (telemetry server + our reflection API + runtime file)
#   genkit flow:run recipe ...                (POST /api/runAction through the CLI)
#   genkit flow:run recipeSteps ... --stream  (streamed JSON lines)
#   genkit flow:run menu ...                  (gk_run steps in parallel branches)
# then reads the traces back from the CLI's telemetry server (span names, paths, parents) and
# checks that SIGTERM removes the runtime file. Then the CLI's one-shot form, which starts the
# runtime itself and speaks reflection API v2 (the runtime connects out to the CLI's WebSocket):
#   genkit flow:run recipe '{...}' -- examples/recipe
#   genkit flow:run recipeSteps '{...}' --stream -- examples/recipe
#   genkit flow:run recipe '{bad input}' -- examples/recipe   (the error code and message)
# each must print its result (chunks in order), write no runtime file and leave no process.
# Needs the npm registry once (the CLI is cached under build/genkit-cli). SKIP (exit 0) happens
# only when `npm view genkit-cli version` fails, i.e. the registry cannot be reached; every other
# failure fails the test. Takes ~10 s with the CLI cached.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
build=${GK_BUILD:-build-asan}
case $build in /*) ;; *) build=$root/$build ;; esac
bin=$build/examples/recipe
cli_version=1.43.0
cli_dir=$root/build/genkit-cli
genkit=$cli_dir/node_modules/.bin/genkit

fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no recipe binary at $bin (build the examples first)"
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are required"

# Concurrent runs (several build trees) share the cache: install under a lock.
mkdir -p "$root/build"
exec 9>"$root/build/genkit-cli.lock"
flock -w 300 9 || fail "timed out waiting for another run's genkit-cli install"
if [ ! -x "$genkit" ] || [ "$("$genkit" --version 2>/dev/null | tail -1)" != "$cli_version" ]; then
    if ! timeout 60 npm view "genkit-cli@$cli_version" version >/dev/null 2>&1; then
        echo "SKIP: the npm registry is unreachable (npm view genkit-cli failed); cannot install genkit-cli $cli_version"
        exit 0
    fi
    mkdir -p "$cli_dir"
    (cd "$cli_dir" && [ -f package.json ] || echo '{"private":true}' >package.json)
    (cd "$cli_dir" && timeout 240 npm install --no-audit --no-fund --loglevel=error \
        "genkit-cli@$cli_version") >/dev/null || fail "npm install genkit-cli@$cli_version failed"
fi
[ -x "$genkit" ] || fail "genkit-cli did not install at $genkit"
flock -u 9

work=$(mktemp -d /tmp/gk_cli_XXXXXX)
start_pid=
rt_pid=
cleanup() {
    [ -n "$rt_pid" ] && kill -TERM "$rt_pid" 2>/dev/null || true
    [ -n "$start_pid" ] && kill -TERM "$start_pid" 2>/dev/null || true
    sleep 0.3
    [ -n "$rt_pid" ] && kill -KILL "$rt_pid" 2>/dev/null || true
    [ -n "$start_pid" ] && kill -KILL "$start_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export HOME=$work/home # the CLI's config (analytics answer) stays in the sandbox
mkdir -p "$HOME"
g() { timeout 60 "$genkit" "$@" --non-interactive; }
http_get() { # url: the body on stdout; fails on a non-2xx answer (node's fetch: no curl needed)
    node -e 'fetch(process.argv[1]).then(r => r.ok ? r.text() : process.exit(1))
        .then(t => process.stdout.write(t)).catch(() => process.exit(1))' "$1"
}

g config set analyticsOptOut true >/dev/null

# A free flow-server port: the example serves flows on $PORT as well.
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PORT=$port GK_QUIET=1 "$genkit" start --non-interactive --noui -- "$bin" >start.log 2>&1 &
start_pid=$!

for _ in $(seq 1 100); do
    ls .genkit/runtimes/*.json >/dev/null 2>&1 && grep -q 'Telemetry API running' start.log && break
    kill -0 "$start_pid" 2>/dev/null || { cat start.log; fail "genkit start exited"; }
    sleep 0.2
done
file=$(ls .genkit/runtimes/*.json 2>/dev/null | head -1)
[ -n "$file" ] || { cat start.log; fail "no runtime file in $work/.genkit/runtimes"; }
rt_pid=$(node -e 'console.log(require(process.argv[1]).pid)' "$work/$file")
telemetry=$(grep -o 'Telemetry API running on http://[0-9.:]*' start.log | head -1 | sed 's/.* on //')
echo "runtime file: $(cat "$file" | tr -d '\n ')"
echo "telemetry server: $telemetry"

# 1. flow:run recipe
out=$(g flow:run recipe '{"ingredient":"tomato"}' 2>&1) || { echo "$out"; fail "flow:run recipe"; }
echo "$out" | grep -q '"title": "Title (Create a recipe with tomato)"' || { echo "$out"; fail "recipe result"; }
recipe_trace=$(echo "$out" | sed -n 's/^Trace ID: \([0-9a-f]\{32\}\)$/\1/p')
[ -n "$recipe_trace" ] || { echo "$out"; fail "flow:run printed no trace id"; }
echo "flow:run recipe: $(echo "$out" | grep '"title"' | sed 's/^ *//') trace $recipe_trace"

# 2. flow:run recipeSteps --stream: the chunks, then the result
out=$(g flow:run recipeSteps '{"ingredient":"leek","dietaryRestrictions":"vegan"}' --stream 2>&1) ||
    { echo "$out"; fail "flow:run recipeSteps --stream"; }
for want in '"index": 1' '"text": "Instructions 1 (Create a recipe with leek)"' '"index": 3' \
    '"text": "Instructions 3 (Create a recipe with leek)"' '"title": "Title (Create a recipe with leek)"'; do
    echo "$out" | grep -qF "$want" || { echo "$out"; fail "stream output lacks $want"; }
done
echo "flow:run recipeSteps --stream: 3 chunks and the result"

# 3. flow:run menu: parallel gk_run steps become child spans
out=$(g flow:run menu '{"ingredients":["pea","salmon"],"kitchenDelayMs":5}' 2>&1) ||
    { echo "$out"; fail "flow:run menu"; }
menu_trace=$(echo "$out" | sed -n 's/^Trace ID: \([0-9a-f]\{32\}\)$/\1/p')
[ -n "$menu_trace" ] || { echo "$out"; fail "menu: no trace id"; }

# 4. the traces reached the telemetry server with Genkit's attributes
check_trace() { # trace-id expected-lines
    local json="" got
    for _ in $(seq 1 50); do # the exporter posts off the request path: give it a moment
        json=$(http_get "$telemetry/api/traces/$1" || true)
        got=$(echo "$json" | node -e '
            let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
                let t; try { t = JSON.parse(s); } catch (e) { process.exit(0); }
                const spans = Object.values(t.spans || {});
                const byId = Object.fromEntries(spans.map(x => [x.spanId, x]));
                const lines = spans.map(x => [x.displayName, x.attributes["genkit:path"],
                    x.attributes["genkit:state"], x.parentSpanId ? byId[x.parentSpanId].displayName : "-",
                    x.attributes["genkit:isRoot"] ? "root" : "", x.endTime > 0 ? "ended" : "running"].join(" "));
                console.log(lines.sort().join("\n"));
            });')
        [ "$got" = "$2" ] && { echo "$got" | sed 's/^/  span: /'; return 0; }
        sleep 0.2
    done
    echo "got:"; echo "$got"; echo "want:"; echo "$2"; fail "trace $1 on the telemetry server"
}
check_trace "$recipe_trace" "generate /{recipe,t:flow}/{generate,t:util} success recipe  ended
local/default /{recipe,t:flow}/{generate,t:util}/{local/default,t:action,s:model} success generate  ended
recipe /{recipe,t:flow} success - root ended"
check_trace "$menu_trace" "course-1 /{menu,t:flow}/{course-1,t:flowStep} success menu  ended
course-2 /{menu,t:flow}/{course-2,t:flowStep} success menu  ended
generate /{menu,t:flow}/{course-1,t:flowStep}/{generate,t:util} success course-1  ended
generate /{menu,t:flow}/{course-2,t:flowStep}/{generate,t:util} success course-2  ended
local/default /{menu,t:flow}/{course-1,t:flowStep}/{generate,t:util}/{local/default,t:action,s:model} success generate  ended
local/default /{menu,t:flow}/{course-2,t:flowStep}/{generate,t:util}/{local/default,t:action,s:model} success generate  ended
menu /{menu,t:flow} success - root ended"
list=$(http_get "$telemetry/api/traces?limit=10")
for name in recipe recipeSteps menu; do
    echo "$list" | grep -q "\"displayName\":\"$name\"" || fail "trace list lacks $name"
done
echo "telemetry: traces recipe, recipeSteps, menu listed"

# 5. SIGTERM: the runtime drains and removes its runtime file
kill -TERM "$rt_pid"
for _ in $(seq 1 50); do kill -0 "$rt_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$rt_pid" 2>/dev/null && fail "runtime did not exit on SIGTERM"
[ -e "$file" ] && fail "runtime file $file left behind"
rt_pid=

# 6. The one-shot form: reflection v2. A runtime that only served v1 would time out here after 30 s
#    ("Timeout waiting for runtime to be ready").
real_bin=$(realpath "$bin")
real_work=$(realpath "$work")
ours() { # pids of recipe processes started in this sandbox
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$real_bin" ] &&
            [ "$(readlink "$p/cwd" 2>/dev/null)" = "$real_work" ] && echo "${p#/proc/}"
    done
    return 0
}
no_leftover() { # what: every runtime the CLI started has exited (it sends SIGTERM when done)
    for _ in $(seq 1 100); do [ -z "$(ours)" ] && return 0; sleep 0.1; done
    fail "$1 left the runtime running: pid $(ours | tr '\n' ' ')"
}
files_before=$(ls .genkit/runtimes 2>/dev/null | wc -l)
t0=$(date +%s%N)
out=$(PORT=$port GK_QUIET=1 g flow:run recipe '{"ingredient":"tomato"}' -- "$bin" 2>&1) ||
    { echo "$out"; fail "one-shot flow:run recipe"; }
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "$out" | grep -q '"title": "Title (Create a recipe with tomato)"' || { echo "$out"; fail "one-shot recipe result"; }
v2_trace=$(echo "$out" | sed -n 's/^Trace ID: \([0-9a-f]\{32\}\)$/\1/p')
[ -n "$v2_trace" ] || { echo "$out"; fail "one-shot flow:run printed no trace id (runActionState)"; }
[ "$ms" -lt 20000 ] || fail "one-shot flow:run took $ms ms"
no_leftover "one-shot flow:run recipe"
echo "one-shot flow:run recipe (v2): $(echo "$out" | grep '"title"' | sed 's/^ *//') trace $v2_trace, ${ms} ms"

out=$(PORT=$port GK_QUIET=1 g flow:run recipeSteps '{"ingredient":"leek","dietaryRestrictions":"vegan"}' \
    --stream -- "$bin" 2>&1) || { echo "$out"; fail "one-shot flow:run recipeSteps --stream"; }
order=$(echo "$out" | grep -nE '"index": [0-9]|^Result:' | sed 's/^\([0-9]*\):.*"index": \([0-9]\).*/\2/; s/^[0-9]*:Result:/R/' | tr -d '\n')
[ "$order" = "123R" ] || { echo "$out"; fail "one-shot --stream: chunks 1, 2, 3 then the result expected, got $order"; }
for want in '"text": "Instructions 1 (Create a recipe with leek)"' '"text": "Instructions 3 (Create a recipe with leek)"' \
    '"title": "Title (Create a recipe with leek)"'; do
    echo "$out" | grep -qF "$want" || { echo "$out"; fail "one-shot stream output lacks $want"; }
done
no_leftover "one-shot flow:run recipeSteps --stream"
echo "one-shot flow:run recipeSteps --stream (v2): 3 chunks in order, then the result"

out=$(PORT=$port GK_QUIET=1 g flow:run recipe '{"nope":1}' -- "$bin" 2>&1) || true
echo "$out" | grep -qF 'Code: 3' && echo "$out" | grep -qF 'Message: /ingredient: missing required field' ||
    { echo "$out"; fail "one-shot error: INVALID_ARGUMENT (3) and the field expected"; }
no_leftover "one-shot flow:run with bad input"
echo "one-shot flow:run with bad input (v2): Code: 3, /ingredient: missing required field"
[ "$(ls .genkit/runtimes 2>/dev/null | wc -l)" = "$files_before" ] || fail "a v2 runtime wrote a runtime file"
echo "PASS genkit-cli $cli_version: flow:run, --stream, traces, runtime file lifecycle, one-shot (reflection v2)"
