#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The static build runs with nothing around it: `make static` (into $GK_BUILD-static), then the
# binary runs in an empty directory holding only what deploy/Dockerfile's FROM scratch image
# holds (the binary, the CA bundle, an /etc/passwd line, /tmp; /proc and /etc/hosts as a container
# runtime provides them), as the non-root user 65532, under chroot in fresh mount and PID
# namespaces. Run 1, on the embedded local model: it is curled from outside (healthz, a flow,
# /metrics) and must drain and exit 0 on SIGTERM. Run 2, on the openai plugin: its base URL names
# a fake provider on loopback by host name (provider.test, known only to the chroot's /etc/hosts),
# so the flow proves that static glibc resolves names there and that the native HTTP client works
# in the image's layout.
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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
root=$(mktemp -d)
fake_dir=$(mktemp -d)
port=$(free_port)
fake_port=$(free_port)
chmod 755 "$root"
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$root/proc"
chmod 1777 "$root/tmp"
cp "$bin" "$root/recipe"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
echo 'genkit:x:65532:65532:genkit:/:/sbin/nologin' >"$root/etc/passwd"
printf '127.0.0.1 localhost\n127.0.0.1 provider.test\n' >"$root/etc/hosts"
pid=
child=
fake=
# The server is unshare's child (sh exec'd into chroot, then into /recipe). It changes user, which
# clears --kill-child's parent-death signal, so it is signalled by its own pid.
cleanup() {
    [ -n "$child" ] && kill -9 "$child" 2>/dev/null
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "$fake" ] && kill "$fake" 2>/dev/null
    umount "$root/proc" 2>/dev/null
    rm -rf "$root" "$fake_dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$root/log" 2>/dev/null | tail -20; exit 1; }

if ! unshare --mount --pid --fork true 2>/dev/null; then echo "SKIP: unshare not permitted here"; exit 0; fi
# The image's content, listed: nothing else is there.
find "$root" -mindepth 1 | sed "s|$root||" | sort | tr '\n' ' '; echo

# Start /recipe in the chroot with the environment given as arguments; sets pid and child.
start() {
    env PORT="$port" GK_THREADS=2 "$@" \
        unshare --mount --pid --fork --kill-child sh -c "mount -t proc proc '$root/proc' && exec chroot --userspec=65532:65532 '$root' /recipe" \
        >"$root/log" 2>&1 <<<"" &
    pid=$!
    for _ in $(seq 100); do child=$(pgrep -P "$pid" | head -1); [ -n "$child" ] && break; sleep 0.02; done
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "no answer on PORT=$port ($*)"
}

# SIGTERM: drain and exit 0.
stop() {
    kill -TERM "$child"
    wait "$pid"; st=$?
    pid=
    child=
    umount "$root/proc" 2>/dev/null
    [ "$st" = 0 ] || fail "exit status $st after SIGTERM"
}

# Run 1: the local model.
start
out=$(curl -s "http://127.0.0.1:$port/recipe" -d '{"data":{"ingredient":"fennel"}}')
echo "$out" | grep -qF '"ingredients":["Ingredients 1 (Create a recipe with fennel)"' || fail "recipe: $out"
m=$(curl -s "http://127.0.0.1:$port/metrics")
echo "$m" | grep -q '^genkit_flow_requests_total{flow="recipe",status="OK"} 1$' || fail "metrics: $(echo "$m" | head)"
echo "$m" | grep -q '^process_resident_memory_bytes ' || fail "no process metrics"
stop
echo "local model: ok"

# Run 2: a fake OpenAI-compatible provider outside the chroot, reached as provider.test.
cat >"$fake_dir/fake.py" <<'EOF'
import http.server, json, sys
recipe = {"title": "Fennel from the fake provider", "description": "d", "prepTime": "1 minute",
          "cookTime": "2 minutes", "servings": 2, "ingredients": ["1 fennel"],
          "instructions": ["slice it"]}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[2], "a") as f:
            f.write("%s %s host=%s bearer=%s\n" % (self.command, self.path, self.headers.get("Host"),
                    self.headers.get("Authorization") == "Bearer sk-chroot-test"))
        body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 0,
                           "model": "gpt-4o-mini",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": json.dumps(recipe)}}],
                           "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
python3 "$fake_dir/fake.py" "$fake_port" "$fake_dir/seen" &
fake=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$fake_port/" && break; sleep 0.05; done
start GK_MODEL=openai/gpt-4o-mini OPENAI_API_KEY=sk-chroot-test \
    OPENAI_BASE_URL="http://provider.test:$fake_port/v1" SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
out=$(curl -s "http://127.0.0.1:$port/recipe" -d '{"data":{"ingredient":"fennel"}}')
echo "$out" | grep -qF '"title":"Fennel from the fake provider"' || fail "recipe through provider.test: $out"
grep -qF "POST /v1/chat/completions host=provider.test:$fake_port bearer=True" "$fake_dir/seen" ||
    fail "the fake provider saw: $(cat "$fake_dir/seen" 2>/dev/null)"
stop
echo "provider by host name: ok"
echo "static chroot ok"
