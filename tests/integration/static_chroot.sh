#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The static build runs with nothing around it: `make static` (into $GK_BUILD-static), then the
# binary runs in an empty directory holding only what deploy/Dockerfile's FROM scratch image
# holds (the binary, the CA bundle, an /etc/passwd line, /tmp; /proc as a container runtime
# mounts it), as the non-root user 65532, under chroot in fresh mount and PID namespaces; it is
# curled from outside (healthz, a flow, /metrics) and must drain and exit 0 on SIGTERM.
# Skips, saying why, when not root or without unshare/chroot; a static build that breaks fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}
sbuild="$build-static"

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root for chroot"; exit 0; }
command -v unshare >/dev/null && command -v chroot >/dev/null || { echo "SKIP: no unshare/chroot"; exit 0; }
if ! make --no-print-directory static STATIC_BUILD="$sbuild" JOBS=2 >/tmp/gk_static_build.log 2>&1; then
    echo "FAIL: make static failed"; grep -E 'error|undefined' /tmp/gk_static_build.log | head -20; exit 1
fi
bin="$sbuild/recipe-static"
if ldd "$bin" >/dev/null 2>&1; then echo "FAIL: $bin is dynamically linked"; exit 1; fi
echo "static binary: $(stat -c %s "$bin") bytes"

root=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
chmod 755 "$root"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/proc"
chmod 1777 "$root/tmp"
cp "$bin" "$root/recipe"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
echo 'genkit:x:65532:65532:genkit:/:/sbin/nologin' >"$root/etc/passwd"
pid=
child=
# The server is unshare's child (sh exec'd into chroot, then into /recipe). It changes user, which
# clears --kill-child's parent-death signal, so it is signalled by its own pid.
cleanup() {
    [ -n "$child" ] && kill -9 "$child" 2>/dev/null
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    umount "$root/proc" 2>/dev/null
    rm -rf "$root"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$root/log" 2>/dev/null | tail -20; exit 1; }

if ! unshare --mount --pid --fork true 2>/dev/null; then echo "SKIP: unshare not permitted here"; exit 0; fi
# The image's content, listed: nothing else is there.
find "$root" -mindepth 1 | sed "s|$root||" | sort | tr '\n' ' '; echo
export PORT=$port GK_THREADS=2
unshare --mount --pid --fork --kill-child sh -c "mount -t proc proc '$root/proc' && exec chroot --userspec=65532:65532 '$root' /recipe" \
    >"$root/log" 2>&1 <<<"" &
pid=$!
env_note="PORT=$port"
for _ in $(seq 100); do child=$(pgrep -P "$pid" | head -1); [ -n "$child" ] && break; sleep 0.02; done
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "no answer on $env_note"
out=$(curl -s "http://127.0.0.1:$port/recipe" -d '{"data":{"ingredient":"fennel"}}')
echo "$out" | grep -qF '"ingredients":["Ingredients 1 (Create a recipe with fennel)"' || fail "recipe: $out"
m=$(curl -s "http://127.0.0.1:$port/metrics")
echo "$m" | grep -q '^genkit_flow_requests_total{flow="recipe",status="OK"} 1$' || fail "metrics: $(echo "$m" | head)"
echo "$m" | grep -q '^process_resident_memory_bytes ' || fail "no process metrics"
kill -TERM "$child"
wait "$pid"; st=$?
pid=
child=
[ "$st" = 0 ] || fail "exit status $st after SIGTERM"
echo "static chroot ok"
