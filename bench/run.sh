#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Server benchmark, as ratios against nginx measured in the same run on the same machine:
#   req/s and p99 of POST /recipe at 64 keep-alive connections (wrk), nginx returning the same bytes
#   from `return 200`; cold start (exec to first 200, median of COLD_RUNS, interleaved with the
#   machine's floor: bench/floor.c, a static server that only answers) and idle RSS.
# Usage: bash bench/run.sh [seconds]   (needs a release build: make build)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
conns=${CONNS:-64}
threads=${WRK_THREADS:-2}
build=${BUILD:-build}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

for p in wrk nginx-light; do
    dpkg-query -W -f='${Status}' $p 2>/dev/null | grep -q "install ok installed" || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light; break; }
done
[ -x "$build/examples/recipe" ] || make build >/dev/null
gcc -O2 -o "$work/coldstart" bench/coldstart.c
gcc -O2 -static -o "$work/floor" bench/floor.c

body='{"data":{"ingredient":"tomato","dietaryRestrictions":"vegetarian"}}'
gk_port=18080
ng_port=18081

GK_LOG_LEVEL=warn PORT=$gk_port "$build/examples/recipe" >"$work/gk.log" 2>&1 &
gk_pid=$!
for _ in $(seq 100); do curl -sf -o /dev/null -X POST -d "$body" "http://127.0.0.1:$gk_port/recipe" && break; sleep 0.05; done
curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$gk_port/recipe" >"$work/response.json"

# nginx answers every request with the exact bytes the recipe service returns.
python3 - "$work" "$ng_port" <<'PY'
import sys
work, port = sys.argv[1], sys.argv[2]
body = open(f"{work}/response.json").read()
quoted = body.replace("\\", "\\\\").replace("'", "\\'")
open(f"{work}/nginx.conf", "w").write(f"""
worker_processes auto;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {work};
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port} reuseport;
        location / {{ default_type application/json; return 200 '{quoted}'; }}
    }}
}}
""")
PY
nginx -c "$work/nginx.conf"
sleep 0.3

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

measure() { # url -> "rps p99_ms"
    wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$work/post.lua" "$1" >"$work/wrk.out" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$work/wrk.out")
    errs=$(awk '/Non-2xx|Socket errors/ {print}' "$work/wrk.out" | tr '\n' ' ')
    echo "$rps $p99 $errs"
}
to_ms() { # wrk latency (123.45us|1.23ms|1.2s) -> ms
    python3 -c "import sys,re; v=sys.argv[1]; m=re.match(r'([0-9.]+)(us|ms|s)', v); f={'us':1e-3,'ms':1,'s':1e3}[m.group(2)]; print(f'{float(m.group(1))*f:.3f}')" "$1"
}

measure "http://127.0.0.1:$ng_port/recipe" >/dev/null # warm up both
read -r ng_rps ng_p99 ng_err < <(measure "http://127.0.0.1:$ng_port/recipe")
read -r gk_rps gk_p99 gk_err < <(measure "http://127.0.0.1:$gk_port/recipe")
kill "$gk_pid"; wait "$gk_pid" 2>/dev/null || true

# Cold starts, the floor's and ours taken in turn so that both see the same machine.
cold_runs=${COLD_RUNS:-9}
: >"$work/cold.gk"; : >"$work/cold.floor"
for _ in $(seq "$cold_runs"); do
    PORT=$gk_port "$work/coldstart" $gk_port /recipe "$body" -- "$work/floor" >>"$work/cold.floor"
    GK_LOG_LEVEL=warn GK_QUIET=1 PORT=$gk_port "$work/coldstart" $gk_port /recipe "$body" -- \
        "$build/examples/recipe" >>"$work/cold.gk"
done
median() { awk -v k="$1" '$1 == k {print $2}' "$2" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
cold_us=$(median cold_start_us "$work/cold.gk")
floor_us=$(median cold_start_us "$work/cold.floor")
rss_kib=$(median idle_rss_kib "$work/cold.gk")
size=$(stat -c %s "$build/examples/recipe")

echo "machine: $(nproc) cores, $(uname -r); wrk -t$threads -c$conns -d${secs}s; response $(stat -c %s "$work/response.json") bytes"
printf '%-28s %12s %10s\n' "server" "req/s" "p99 ms"
printf '%-28s %12s %10s %s\n' "nginx $(nginx -v 2>&1 | sed 's#.*/##')" "$ng_rps" "$(to_ms "$ng_p99")" "$ng_err"
printf '%-28s %12s %10s %s\n' "genkit-c recipe" "$gk_rps" "$(to_ms "$gk_p99")" "$gk_err"
python3 -c "print(f'ratio genkit-c/nginx: {float(\"$gk_rps\")/float(\"$ng_rps\"):.2f}')"
echo "cold start (exec to first 200, median of $cold_runs): $(python3 -c "print(f'{$cold_us/1000:.2f}')") ms; this machine's floor (bench/floor.c): $(python3 -c "print(f'{$floor_us/1000:.2f}')") ms; ours over the floor: $(python3 -c "print(f'{($cold_us-$floor_us)/1000:.2f}')") ms"
echo "idle RSS: $(python3 -c "print(f'{$rss_kib/1024:.2f}')") MiB"
echo "binary size: $(python3 -c "print(f'{$size/1048576:.2f}')") MiB (unstripped; libc shared, the other libraries linked in)"
