#!/usr/bin/env bash
# The cost of saying no: one client floods a rate-limited route as fast as it can.
#
# An nginx origin (1 KiB static file), Portico (release build, 1 worker, pinned to
# PROXY_CPU) with `rate_limit: {rate: 100/s, burst: 50, key: client_ip}` on its only
# route, and wrk (pinned with the origin to LOAD_CPU) sending keep-alive GETs from one
# address (127.0.0.1) for DURATION seconds. A Lua script counts statuses. Reports
# requests/s admitted (200) and rejected (429), and Portico's CPU seconds from
# /proc/PID/stat (utime + stime) — i.e. what rejecting costs.
#
# Usage: Benchmarks/flood.sh     (DURATION=10 CONNECTIONS=32 THREADS=1 PROXY_CPU=0 LOAD_CPU=1)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/Benchmarks/.work/flood
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
threads=${THREADS:-1}
proxy_cpu=${PROXY_CPU:-0}
load_cpu=${LOAD_CPU:-1}
base=${PORT_BASE:-18280}
bin=${PORTICO_BIN:-.build/release/portico}

need() { command -v "$1" >/dev/null || (apt-get update -qq && apt-get install -y -qq "$2" >/dev/null); }
need nginx nginx
need wrk wrk
need taskset util-linux
[ -x "$bin" ] || swift build -c release --product portico

mkdir -p "$work/www" "$work/tmp"
head -c 1024 /dev/urandom > "$work/www/1k.bin"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

origin_port=$((base + 1))
cat > "$work/origin.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/tmp/nginx.pid;
error_log $work/tmp/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    server { listen 127.0.0.1:$origin_port; root $work/www; location / { } }
}
CONF
taskset -c "$load_cpu" nginx -c "$work/origin.conf" -p "$work" >/dev/null 2>&1 &
pids+=($!)

cat > "$work/portico.yaml" <<CONF
workers: 1
access_log: off
listeners:
  - address: "127.0.0.1:$base"
upstreams:
  - name: app
    servers: ["127.0.0.1:$origin_port"]
routes:
  - upstream: app
    rate_limit: { rate: 100/s, burst: 50, key: client_ip }
CONF
taskset -c "$proxy_cpu" "$bin" run --config "$work/portico.yaml" > "$work/portico.log" 2>&1 &
proxy=$!
pids+=("$proxy")
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$base") 2>/dev/null && break; sleep 0.1; done
sleep 1  # let the bucket fill: the first burst is part of the measurement

ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }  # utime + stime
hz=$(getconf CLK_TCK)
before=$(ticks "$proxy")
out=$(taskset -c "$load_cpu" wrk -t"$threads" -c"$connections" -d"${duration}s" \
    -s "$root/Benchmarks/flood-status.lua" "http://127.0.0.1:$base/1k.bin")
after=$(ticks "$proxy")

echo "$out" > "$work/wrk.txt"
seconds=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' <<<"$out")
total=$(awk '/requests in/ {print $1}' <<<"$out")
ok=$(awk '$1 == "status" && $2 == 200 {print $3}' <<<"$out"); ok=${ok:-0}
limited=$(awk '$1 == "status" && $2 == 429 {print $3}' <<<"$out"); limited=${limited:-0}
other=$((total - ok - limited))
socket=$(grep -o 'Socket errors:.*' <<<"$out" || echo "Socket errors: none")
cpu=$(awk -v a="$after" -v b="$before" -v hz="$hz" 'BEGIN {printf "%.2f", (a - b) / hz}')
awk -v s="$seconds" -v t="$total" -v ok="$ok" -v l="$limited" -v o="$other" -v cpu="$cpu" -v c="$connections" '
BEGIN {
    printf "flood: %d connections from one address for %.2f s\n", c, s
    printf "  requests   %10d  (%9.0f/s)\n", t, t / s
    printf "  admitted   %10d  (%9.1f/s, 200)\n", ok, ok / s
    printf "  rejected   %10d  (%9.0f/s, 429)\n", l, l / s
    printf "  other      %10d\n", o
    printf "  portico CPU %.2f s (%.0f%% of one core), %.1f µs per request\n", cpu, 100 * cpu / s, 1e6 * cpu / t
}'
echo "  $socket"
