#!/usr/bin/env bash
# Resident memory per idle keep-alive client connection, Portico and nginx side by
# side: each proxy (one worker) gets COUNT connections that each made one 1 KiB
# request and then sit idle; the growth of the proxy's RSS over its idle baseline,
# divided by COUNT, is the cost per connection.
#
# Usage: Benchmarks/idle-memory.sh [COUNT]   (default 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
bin=${PORTICO_BIN:-.build/release/portico}
work=Benchmarks/.work/idle
mkdir -p "$work/www"
command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
[ -x "$bin" ] || swift build -c release --product portico
head -c 1024 /dev/zero > "$work/www/1k.bin"
ulimit -n "$(ulimit -Hn)"  # 10,000 client sockets plus the proxy's own
base=${PORT_BASE:-19180}
origin=$base; nginx_port=$((base + 1)); portico_port=$((base + 2))

cat > "$work/origin.conf" <<CONF
worker_processes 1; pid $PWD/$work/origin.pid; error_log /dev/null; daemon off;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 100000;
  server { listen 127.0.0.1:$origin; root $PWD/$work/www; } }
CONF
cat > "$work/nginx.conf" <<CONF
worker_processes 1; pid $PWD/$work/nginx.pid; error_log /dev/null; daemon off;
worker_rlimit_nofile 20000;
events { worker_connections 19000; }
http { access_log off; keepalive_timeout 600s; keepalive_requests 100000;
  upstream o { server 127.0.0.1:$origin; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port;
    location / { proxy_pass http://o; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
cat > "$work/portico.yaml" <<CONF
workers: 1
access_log: off
timeouts: { client_idle: 600s }
listeners: [ { address: "127.0.0.1:$portico_port" } ]
upstreams: [ { name: o, servers: ["127.0.0.1:$origin"] } ]
routes: [ { upstream: o } ]
CONF

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
nginx -c "$PWD/$work/origin.conf" & pids+=($!)
sleep 0.5

rss_kib() { awk '/VmRSS/ {s += $2} END {print s}' $(printf '/proc/%s/status ' "$@"); }
measure() {  # name port pids...
  local name=$1 port=$2; shift 2
  sleep 0.5
  local before; before=$(rss_kib "$@")
  coproc CLIENTS { python3 Benchmarks/idle_clients.py 127.0.0.1 "$port" "$count" 120; }
  read -r line <&"${CLIENTS[0]}"
  sleep 1
  local after; after=$(rss_kib "$@")
  exec {CLIENTS[1]}>&-
  wait "$CLIENTS_PID" 2>/dev/null || true
  echo "$name: $line connections; RSS $((before / 1024)) MiB idle -> $((after / 1024)) MiB;" \
    "$(awk -v a="$after" -v b="$before" -v n="$count" 'BEGIN {printf "%.2f KiB per connection", (a - b) / n}')"
}

nginx -c "$PWD/$work/nginx.conf" & nginx_master=$!; pids+=($nginx_master)
sleep 0.5
nginx_all=($nginx_master $(pgrep -P "$nginx_master"))
measure nginx "$nginx_port" "${nginx_all[@]}"

"$bin" run --config "$work/portico.yaml" 2>/dev/null & portico_pid=$!; pids+=($portico_pid)
sleep 0.5
measure portico "$portico_port" "$portico_pid"
