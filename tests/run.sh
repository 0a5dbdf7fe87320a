#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the whole suite against a built tree ($GK_BUILD): the unit/loopback/integration binary, the
# compile-fail cases (each must be rejected by the compiler with the message it names), every public
# header compiled alone with -pedantic, and the fuzz corpora replays. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${GK_BUILD:-build-asan}
passed=0
failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

count() { # name status
    if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok   $1"; else failed=$((failed + 1)); echo "FAIL $1"; fi
}

# 1. The test binary prints its own tally; fold it into ours.
out=$(mktemp)
"$build/tests/gk_tests" 2>&1 | tee "$out"
st=${PIPESTATUS[0]}
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
    failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
    [ "$st" = 0 ] || [ "$(echo "$line" | cut -d' ' -f3)" != 0 ] || { failed=$((failed + 1)); echo "FAIL gk_tests exited $st"; }
else
    failed=$((failed + 1)); echo "FAIL gk_tests crashed (exit $st)"
fi
rm -f "$out"

# 1b. Everything that calls out through gk_http_fetch (provider plugins replaying their fixtures,
# the HTTP client, telemetry export) once more on the native transport, whatever the build's
# default is; the tallies fold into ours.
for filter in plugins/ runtime/http_client_test telemetry/; do
    out=$(mktemp)
    GK_HTTP_CLIENT=native "$build/tests/gk_tests" "$filter" >"$out" 2>&1
    st=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)
    grep -E '^FAIL ' "$out" | sed 's/^FAIL /FAIL native: /'
    if [ -n "$line" ]; then
        echo "native transport, $filter: $line"
        passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
        failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
        [ "$st" = 0 ] || [ "$(echo "$line" | cut -d' ' -f3)" != 0 ] || { failed=$((failed + 1)); echo "FAIL native $filter exited $st"; }
    else
        failed=$((failed + 1)); tail -20 "$out"; echo "FAIL native $filter crashed (exit $st)"
    fi
    rm -f "$out"
done

# 2. Compile-fail cases: tests/compile_fail/<name>.c with a first line "/* expect: <regex> */".
for src in tests/compile_fail/*.c; do
    [ -e "$src" ] || continue
    want=$(sed -n '1s#^/\* expect: \(.*\) \*/$#\1#p' "$src")
    log=$(gcc -std=c17 -Wall -Wextra -Werror -Iinclude -fsyntax-only "$src" 2>&1)
    if [ $? -ne 0 ] && echo "$log" | grep -Eq -- "$want"; then count "compile_fail/$(basename "$src")" 0
    else echo "$log" | head -5; count "compile_fail/$(basename "$src") (expected error: $want)" 1; fi
done
# The same cases with the marker removed must compile: proves the failure comes from the mistake.
for src in tests/compile_fail/*.c; do
    [ -e "$src" ] || continue
    if gcc -std=c17 -Wall -Wextra -Werror -Iinclude -fsyntax-only -DGK_COMPILE_FAIL_FIXED "$src" 2>/dev/null; then
        count "compile_ok/$(basename "$src")" 0
    else count "compile_ok/$(basename "$src") (fixed variant must compile)" 1; fi
done

# 3. Every public header compiles alone, as C17 -pedantic.
for h in include/genkit/*.h include/genkit/plugins/*.h; do
    rel=${h#include/}
    if echo "#include <$rel>" | gcc -std=c17 -pedantic -Wall -Wextra -Werror -Iinclude -x c -fsyntax-only - 2>/dev/null; then
        count "header/$rel" 0
    else count "header/$rel" 1; fi
done

# 4. Fuzz corpora replayed through each target (fuzz/standalone.c).
for bin in "$build"/fuzz/fuzz_*_replay; do
    [ -x "$bin" ] || continue
    name=$(basename "$bin" _replay); name=${name#fuzz_}
    if [ -d "fuzz/corpus/$name" ]; then
        "$bin" fuzz/corpus/"$name"/* >/dev/null 2>&1; count "fuzz-replay/$name" $?
    else count "fuzz-replay/$name (no corpus at fuzz/corpus/$name)" 1; fi
done

# 5. Integration scripts: tests/integration/*.sh get $GK_BUILD and exit 0 on success.
for t in tests/integration/*.sh; do
    [ -e "$t" ] || continue
    GK_BUILD="$build" bash "$t" >/tmp/gk_it.log 2>&1; st=$?
    [ $st = 0 ] || tail -20 /tmp/gk_it.log
    count "integration/$(basename "$t")" $st
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
