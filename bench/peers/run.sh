#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# genkit-c against its peers, all measured in the same run on the same machine:
#   nginx            `return 200` with the exact bytes genkit-c's POST /recipe answers (the ceiling)
#   genkit-c         examples/recipe, the fully static stripped binary (`make static`) and the
#                    dynamic release build (`make build`); embedded local model
#   FastAPI          bench/peers/fastapi/app.py on Debian's python3-fastapi/-pydantic/-uvicorn
#                    (+ uvloop, httptools), uvicorn --workers 2 (one per core); mock model + Pydantic
#   Genkit JS        bench/peers/genkit-js/index.mjs: genkit + @genkit-ai/express startFlowServer,
#                    ai.defineModel mock model, ai.generate({output: {schema}})
# Every server answers POST /recipe {"data":{...}} with the same 673-byte {"result": Recipe}; the
# script checks that the bytes match before it measures.
# Per server: cold start (fork+exec to the first 200, bench/coldstart.c; median of COLD_RUNS),
# idle RSS (VmRSS summed over the server's processes, 0.5 s after its first 200, with its
# executable's page cache dropped before it starts: see evict_file), peak RSS (VmHWM summed over its
# processes after the load), req/s and p50/p99 (wrk -t2 -c64 keep-alive, after a warm-up run),
# deployable size (genkit-c: the static binary; Genkit JS: node_modules + app; FastAPI:
# the dist-packages the service imports + app; nginx: its binary), and the runtime a deployment also
# needs beside it (node; python3.11 + its standard library).
# Usage: bash bench/peers/run.sh  (make bench-peers)   env: SECS (10) CONNS (64) WRK_THREADS (2)
#        WARM_SECS (2) COLD_RUNS (3) BUILD (build) STATIC_BUILD (build-static) PORT_BASE (28181)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
secs=${SECS:-10}
conns=${CONNS:-64}
threads=${WRK_THREADS:-2}
warm_secs=${WARM_SECS:-2}
cold_runs=${COLD_RUNS:-3}
build=${BUILD:-build}
static_build=${STATIC_BUILD:-build-static}
port_base=${PORT_BASE:-28181}
py=/usr/bin/python3 # Debian's interpreter: the one python3-fastapi is installed for
js_dir=$root/bench/peers/genkit-js
py_dir=$root/bench/peers/fastapi
body='{"data":{"ingredient":"tomato","dietaryRestrictions":"vegetarian"}}'
work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && stop_server
    rm -rf "$work"
}
trap cleanup EXIT

log() { echo "peers: $*" >&2; }

# ---- what is missing gets installed or built ----

apt_missing=""
for p in wrk nginx-light curl nodejs python3-fastapi python3-pydantic python3-uvicorn \
    python3-uvloop python3-httptools; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        apt_missing="$apt_missing $p"
done
if [ -n "$apt_missing" ]; then
    log "installing Debian packages:$apt_missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $apt_missing >/dev/null
fi
command -v npm >/dev/null || { log "npm is missing (nodejs from NodeSource ships it)"; exit 1; }
if [ ! -d "$js_dir/node_modules/genkit" ] || [ ! -d "$js_dir/node_modules/@genkit-ai/express" ]; then
    log "npm ci in $js_dir"
    (cd "$js_dir" && npm ci --no-audit --no-fund --omit=dev >/dev/null)
fi
[ -x "$build/examples/recipe" ] || make --no-print-directory build BUILD="$build" >/dev/null
have_static=yes
if [ ! -x "$static_build/recipe-static" ] &&
    ! make --no-print-directory static STATIC_BUILD="$static_build" >"$work/static.log" 2>&1; then
    log "make static failed (tail of its log below): the table has no static genkit-c row"
    tail -5 "$work/static.log" >&2
    have_static=no
fi
gcc -O2 -o "$work/coldstart" bench/coldstart.c
gcc -O2 -static -o "$work/floor" bench/floor.c

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA

# ---- helpers ----

# The pids of $1 and all its descendants.
tree_pids() {
    local p
    echo "$1"
    for p in $(pgrep -P "$1" || true); do tree_pids "$p"; done
}

# Sum of field $2 (VmRSS, VmHWM) in KiB over the processes of tree $1.
tree_kib() {
    local total=0 p v
    for p in $(tree_pids "$1"); do
        v=$(awk -v f="$2:" '$1==f {print $2}' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

post() { curl -sf -X POST -H 'Content-Type: application/json' -d "$body" "$1"; }

wait_200() { # url: waits up to 20 s
    for _ in $(seq 400); do
        post "$1" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    log "no 200 from $1 within 20 s"
    return 1
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# The command line that serves the recipe on port $2 for server $1, one word per line.
server_cmd() {
    case $1 in
    nginx) printf '%s\n' nginx -c "$work/nginx-$2.conf" -g "daemon off;" ;;
    gk-static) printf '%s\n' "$(realpath "$static_build/recipe-static")" ;;
    gk-dynamic) printf '%s\n' "$(realpath "$build/examples/recipe")" ;;
    fastapi) printf '%s\n' "$py" -m uvicorn app:app --app-dir "$py_dir" --host 127.0.0.1 \
        --port "$2" --workers 2 --log-level warning --no-access-log ;;
    genkit-js) printf '%s\n' node "$js_dir/index.mjs" ;;
    esac
}

# Environment every server runs with: genkit-c logs no requests; express runs as in production.
export GK_LOG_LEVEL=warn GK_QUIET=1 NODE_ENV=production

# Drops the page cache of executable file $1 (only that file's clean pages). A binary just written
# by the linker sits in the page cache as large folios that a process maps whole, which would count
# megabytes of never-touched file pages in its RSS (a fresh 7.5 MiB static binary: 6.5 MiB idle RSS,
# 2.8 MiB once re-read); evicting it first measures every server as if it came from an image.
evict_file() {
    "$py" -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fdatasync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)' "$(readlink -f "$1")" 2>/dev/null || true
}

start_server() { # name port
    local -a cmd
    mapfile -t cmd < <(server_cmd "$1" "$2")
    evict_file "$(command -v "${cmd[0]}")"
    PORT=$2 "${cmd[@]}" >"$work/$1.log" 2>&1 &
    server_pid=$!
    wait_200 "http://127.0.0.1:$2/recipe"
}

# wrk against url $1; sets rps p50 p99 (ms) errs.
measure() {
    wrk -t"$threads" -c"$conns" -d"${2}s" --latency -s "$work/post.lua" "$1" >"$work/wrk.out" 2>&1
    rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
    p50=$(to_ms "$(awk '$1=="50%" {print $2}' "$work/wrk.out")")
    p99=$(to_ms "$(awk '$1=="99%" {print $2}' "$work/wrk.out")")
    errs=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",", ""); n+=$4+$6+$8+$10} END {print n+0}' \
        "$work/wrk.out")
}
to_ms() { # wrk latency (123.45us|1.23ms|1.2s|1.2m) -> ms
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : 0;
        printf "%.2f", n * f }'
}

cold_start_ms() { # name port -> median ms over cold_runs
    local -a cmd
    mapfile -t cmd < <(server_cmd "$1" "$2")
    for _ in $(seq "$cold_runs"); do
        PORT=$2 "$work/coldstart" "$2" /recipe "$body" -- "${cmd[@]}" 2>/dev/null |
            awk '/cold_start_us/ {printf "%.2f\n", $2 / 1000}'
    done | sort -g | awk '{v[NR] = $1} END {print (NR ? v[int((NR + 1) / 2)] : "n/a")}'
}

mib() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1048576}'; }

# ---- the reference response, and nginx returning its bytes ----

gk_port=$port_base
start_server gk-dynamic "$gk_port"
post "http://127.0.0.1:$gk_port/recipe" >"$work/response.json"
stop_server

write_nginx_conf() { # port
    "$py" - "$work" "$1" <<'PY'
import sys
work, port = sys.argv[1], sys.argv[2]
body = open(f"{work}/response.json").read()
quoted = body.replace("\\", "\\\\").replace("'", "\\'")
open(f"{work}/nginx-{port}.conf", "w").write(f"""
worker_processes auto;
pid {work}/nginx-{port}.pid;
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
}

# ---- sizes and versions ----

size_static=0
[ "$have_static" = yes ] && size_static=$(stat -c %s "$static_build/recipe-static")
size_dynamic=$(stat -c %s "$build/examples/recipe")
size_nginx=$(stat -c %s "$(command -v nginx)")
size_js=$(du -sb "$js_dir/node_modules" "$js_dir/index.mjs" "$js_dir/package.json" |
    awk '{s += $1} END {print s}')
# The dist-packages the FastAPI service imports (app, uvicorn with uvloop + httptools), plus the app.
size_py=$(cd "$py_dir" && "$py" - <<'PY'
import os, sys
import app, uvicorn, uvicorn.main, uvicorn.loops.uvloop, uvicorn.lifespan.on
import uvicorn.protocols.http.httptools_impl, uvicorn.protocols.websockets.auto
roots = set()
for m in list(sys.modules.values()):
    f = getattr(m, "__file__", None) or ""
    for base in ("/usr/lib/python3/dist-packages/",):
        if f.startswith(base):
            top = f[len(base):].split("/")[0]
            roots.add(os.path.join(base, top))
total = 0
for r in roots | {os.path.abspath("app.py")}:
    if os.path.isdir(r):
        for d, _, fs in os.walk(r):
            total += sum(os.path.getsize(os.path.join(d, x)) for x in fs)
    else:
        total += os.path.getsize(r)
print(total)
PY
)
size_node=$(stat -c %s "$(readlink -f "$(command -v node)")")
size_python=$(($(stat -c %s "$(readlink -f "$py")") + $(du -sb /usr/lib/python3.11 | awk '{print $1}')))

v_nginx=$(nginx -v 2>&1 | sed 's#.*/##')
v_node=$(node --version)
v_genkit=$(node -p "require('$js_dir/node_modules/genkit/package.json').version")
v_express_plugin=$(node -p "require('$js_dir/node_modules/@genkit-ai/express/package.json').version")
v_express=$(node -p "require('$js_dir/node_modules/express/package.json').version")
v_py=$("$py" -c 'import fastapi, pydantic, uvicorn, platform; print(f"Python {platform.python_version()}, FastAPI {fastapi.__version__}, Pydantic {pydantic.VERSION}, uvicorn {uvicorn.__version__}")')
v_wrk=$( (wrk -v 2>&1 || true) | awk 'NR==1 {sub(/.*\//, "", $2); print $2}')

# ---- measure each server in turn ----

names=(nginx gk-static gk-dynamic fastapi genkit-js)
[ "$have_static" = yes ] || names=(nginx gk-dynamic fastapi genkit-js)
declare -A label=(
    [nginx]="nginx $v_nginx (return 200)"
    [gk-static]="genkit-c (static)"
    [gk-dynamic]="genkit-c (dynamic)"
    [fastapi]="FastAPI + Pydantic (2 workers)"
    [genkit-js]="Genkit JS $v_genkit (express)"
)
declare -A R_RPS R_P50 R_P99 R_ERR R_COLD R_IDLE R_PEAK R_SIZE R_RUNTIME R_SAME
R_SIZE=([nginx]=$size_nginx [gk-static]=$size_static [gk-dynamic]=$size_dynamic
    [fastapi]=$size_py [genkit-js]=$size_js)
R_RUNTIME=([nginx]=0 [gk-static]=0 [gk-dynamic]=0 [fastapi]=$size_python [genkit-js]=$size_node)

for n in "${names[@]}"; do
    case $n in nginx) port=$port_base ;; gk-static) port=$((port_base + 1)) ;;
    gk-dynamic) port=$((port_base + 2)) ;; fastapi) port=$((port_base + 3)) ;; *) port=$((port_base + 4)) ;; esac
    [ "$n" = nginx ] && write_nginx_conf "$port"
    log "$n on port $port"
    start_server "$n" "$port"
    url="http://127.0.0.1:$port/recipe"
    post "$url" >"$work/$n.json"
    if cmp -s "$work/$n.json" "$work/response.json"; then R_SAME[$n]=yes; else R_SAME[$n]=NO; fi
    sleep 0.5
    R_IDLE[$n]=$(tree_kib "$server_pid" VmRSS)
    measure "$url" "$warm_secs"
    measure "$url" "$secs"
    R_RPS[$n]=$rps R_P50[$n]=$p50 R_P99[$n]=$p99 R_ERR[$n]=$errs
    R_PEAK[$n]=$(tree_kib "$server_pid" VmHWM)
    stop_server
    R_COLD[$n]=$(cold_start_ms "$n" "$port")
done

# The machine's cold-start floor (bench/floor.c: a static server that only answers), so that the
# cold starts above can be read as what the machine charges for fork+exec plus what each adds.
floor_ms=$(for _ in $(seq "$cold_runs"); do
    PORT=$port_base "$work/coldstart" "$port_base" /recipe "$body" -- "$work/floor" 2>/dev/null |
        awk '/cold_start_us/ {printf "%.2f\n", $2 / 1000}'
done | sort -g | awk '{v[NR] = $1} END {print (NR ? v[int((NR + 1) / 2)] : "n/a")}')

# ---- the table ----

echo
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(nproc) cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/Mem:/ {print $2}') GiB, Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")."
echo "Load: wrk $v_wrk -t$threads -c$conns -d${secs}s keep-alive on loopback after a ${warm_secs}s warm-up; the client shares the cores with the server."
echo "Versions: nginx $v_nginx; Node $v_node, genkit $v_genkit, @genkit-ai/express $v_express_plugin, express $v_express; $v_py (uvloop, httptools); gcc $(gcc -dumpfullversion)."
echo "Request: POST /recipe $body; response $(stat -c %s "$work/response.json") bytes, identical from every server (checked)."
echo
echo "| server | req/s | p50 ms | p99 ms | errors | cold start ms | idle RSS MiB | peak RSS MiB | deployable MiB | + runtime MiB | same bytes |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for n in "${names[@]}"; do
    rt="—"
    [ "${R_RUNTIME[$n]}" != 0 ] && rt=$(mib "${R_RUNTIME[$n]}")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${label[$n]}" \
        "$(printf "%'.0f" "${R_RPS[$n]}")" "${R_P50[$n]}" "${R_P99[$n]}" "${R_ERR[$n]}" \
        "${R_COLD[$n]}" "$(mib $((R_IDLE[$n] * 1024)))" "$(mib $((R_PEAK[$n] * 1024)))" \
        "$(mib "${R_SIZE[$n]}")" "$rt" "${R_SAME[$n]}"
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
if [ "$have_static" = yes ]; then
    gk=${R_RPS[gk-static]}
    echo "genkit-c (static) req/s vs nginx: $(ratio "$gk" "${R_RPS[nginx]}")x (goal >= 0.8); vs Genkit JS: $(ratio "$gk" "${R_RPS[genkit-js]}")x (goal >= 10); vs FastAPI: $(ratio "$gk" "${R_RPS[fastapi]}")x"
fi
gk=${R_RPS[gk-dynamic]}
echo "genkit-c (dynamic) req/s vs nginx: $(ratio "$gk" "${R_RPS[nginx]}")x; vs Genkit JS: $(ratio "$gk" "${R_RPS[genkit-js]}")x; vs FastAPI: $(ratio "$gk" "${R_RPS[fastapi]}")x"
echo "cold-start floor of this machine (bench/floor.c, static, answers only): $floor_ms ms"
if [ "$have_static" = yes ]; then
    echo "genkit-c (static): cold start ${R_COLD[gk-static]} ms (goal < 5), idle RSS $(mib $((R_IDLE[gk-static] * 1024))) MiB (goal < 4), deployable $(mib "$size_static") MiB (goal < 5)"
else
    echo "genkit-c (dynamic): cold start ${R_COLD[gk-dynamic]} ms (goal < 5), idle RSS $(mib $((R_IDLE[gk-dynamic] * 1024))) MiB (goal < 4); no static binary, so no deployable size (goal < 5 MB)"
fi
