#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /metrics scraped by a real Prometheus (Debian package `prometheus`, installed if missing): start
# the recipe example, make a known number of requests (N ok, one bad input), start Prometheus with
# a 1 s scrape of it, wait for a scrape, then ask Prometheus's HTTP API for
# genkit_flow_requests_total{flow="recipe",status="OK"} and ..{status="INVALID_ARGUMENT"} and
# check the values equal the requests made. Also checks the scrape target is "up" (Prometheus
# parsed the exposition without error). Skips only if the package cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}

prom=$(command -v prometheus || true)
if [ -z "$prom" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing the prometheus package"
        (apt-get install -y -qq prometheus >/dev/null 2>&1 ||
            (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null 2>&1)) || true
        # The package starts a system service on :9090 where systemd runs; ours uses its own port.
    fi
    prom=$(command -v prometheus || true)
    [ -n "$prom" ] || { echo "SKIP: prometheus is not installed and apt-get could not install it"; exit 0; }
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
pport=$(free_port)
tmp=$(mktemp -d)
pid=
ppid_=
cleanup() {
    [ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$tmp/prom.log" 2>/dev/null; exit 1; }

PORT=$port GK_THREADS=2 GK_QUIET=1 "$build/examples/recipe" 2>"$tmp/recipe.log" &
pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

ok=7
for i in $(seq $ok); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/recipe" -d "{\"data\":{\"ingredient\":\"leek $i\"}}")
    [ "$code" = 200 ] || fail "recipe request $i gave $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/recipe" -d '{"data":{"ingredient":7}}')
[ "$code" = 400 ] || fail "bad input gave $code"

cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: genkit
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
"$prom" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prom.log" 2>&1 &
ppid_=$!

api="http://127.0.0.1:$pport/api/v1/query"
query() { # promql -> the value of the first sample, or ""
    curl -s --get "$api" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
res = r.get("data", {}).get("result", [])
print(res[0]["value"][1] if res else "")'
}
val=""
for _ in $(seq 60); do
    val=$(query 'genkit_flow_requests_total{flow="recipe",status="OK"}' 2>/dev/null || true)
    [ -n "$val" ] && break
    sleep 0.5
done
[ -n "$val" ] || fail "Prometheus never stored genkit_flow_requests_total"
echo "prometheus: genkit_flow_requests_total{flow=\"recipe\",status=\"OK\"} = $val"
[ "$val" = "$ok" ] || fail "expected $ok OK requests, Prometheus has $val"
bad=$(query 'genkit_flow_requests_total{flow="recipe",status="INVALID_ARGUMENT"}')
echo "prometheus: genkit_flow_requests_total{flow=\"recipe\",status=\"INVALID_ARGUMENT\"} = $bad"
[ "$bad" = 1 ] || fail "expected 1 INVALID_ARGUMENT request, Prometheus has $bad"
up=$(query 'up{job="genkit"}')
[ "$up" = 1 ] || fail "scrape target not up ($up)"
count=$(query 'genkit_flow_latency_seconds_count{flow="recipe"}')
[ "$count" = 8 ] || fail "latency histogram count $count, want 8"
rss=$(query 'process_resident_memory_bytes{job="genkit"}')
python3 -c "import sys; assert float('$rss') > 1e6" || fail "process_resident_memory_bytes = $rss"
# Scrape errors (a malformed exposition) show in the target's lastError.
err=$(curl -s "http://127.0.0.1:$pport/api/v1/targets" | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(t[0]["lastError"] if t else "no target")')
[ -z "$err" ] || fail "scrape error: $err"
echo "prometheus ok"
