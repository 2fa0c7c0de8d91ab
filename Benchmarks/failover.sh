#!/usr/bin/env bash
# Failover under load: three nginx origins behind Portico (round robin, default retry
# and health settings), a keep-alive wrk load of 1 KiB GETs, and one origin killed
# (SIGKILL, no graceful close) a few seconds in. Counts what clients saw: wrk's
# non-2xx responses and socket errors. The promise is zero.
#
# A second run does the same with a *hanging* origin (SIGSTOP: connections stay open,
# nothing answers) to show timeouts and ejection at work.
#
# Usage: Benchmarks/failover.sh        (DURATION=10 KILL_AFTER=3 CONNECTIONS=32)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/Benchmarks/.work/failover
duration=${DURATION:-10}
kill_after=${KILL_AFTER:-3}
connections=${CONNECTIONS:-32}
base=${PORT_BASE:-18180}
bin=${PORTICO_BIN:-.build/release/portico}

need() { command -v "$1" >/dev/null || (apt-get update -qq && apt-get install -y -qq "$2" >/dev/null); }
need nginx nginx
need wrk wrk
[ -x "$bin" ] || swift build -c release --product portico

mkdir -p "$work/www" "$work/tmp"
head -c 1024 /dev/urandom > "$work/www/1k.bin"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -CONT "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

start_origin() { # index → pid
    local index=$1
    local port=$((base + index))
    mkdir -p "$work/tmp/o$index"
    cat > "$work/o$index.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/tmp/o$index/nginx.pid;
error_log $work/tmp/o$index/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/tmp/o$index/body;
    proxy_temp_path $work/tmp/o$index/proxy;
    fastcgi_temp_path $work/tmp/o$index/fastcgi;
    uwsgi_temp_path $work/tmp/o$index/uwsgi;
    scgi_temp_path $work/tmp/o$index/scgi;
    server { listen 127.0.0.1:$port; root $work/www; location / { } }
}
EOF
    nginx -c "$work/o$index.conf" -p "$work" >/dev/null 2>&1 &
    echo $!
}

run_scenario() { # name signal
    local name=$1 signal=$2
    local o1 o2 o3 proxy
    o1=$(start_origin 1); o2=$(start_origin 2); o3=$(start_origin 3)
    pids+=("$o1" "$o2" "$o3")
    cat > "$work/portico.yaml" <<EOF
workers: 1
access_log: off
timeouts: { upstream_header: 1s }
listeners:
  - address: "127.0.0.1:$base"
upstreams:
  - name: app
    servers: ["127.0.0.1:$((base + 1))", "127.0.0.1:$((base + 2))", "127.0.0.1:$((base + 3))"]
    health_check: { path: /1k.bin, interval: 1s, timeout: 500ms, unhealthy_threshold: 2 }
routes:
  - upstream: app
EOF
    "$bin" run --config "$work/portico.yaml" > "$work/portico-$name.log" 2>&1 &
    proxy=$!
    pids+=("$proxy")
    for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$base") 2>/dev/null && break; sleep 0.1; done
    ( sleep "$kill_after"; kill "-$signal" "$o2" ) &
    local out
    out=$(wrk -t1 -c"$connections" -d"${duration}s" --latency "http://127.0.0.1:$base/1k.bin")
    local requests non2xx socket
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); non2xx=${non2xx:-0}
    socket=$(grep -o 'Socket errors:.*' <<<"$out" || echo "Socket errors: none")
    local p99
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    echo "$name: origin 2 sent SIG$signal after ${kill_after}s of ${duration}s; $requests requests, $non2xx non-2xx, $socket, p99 $p99"
    kill -CONT "$o2" 2>/dev/null || true
    kill "$proxy" "$o1" "$o2" "$o3" 2>/dev/null || true
    wait "$proxy" 2>/dev/null || true
    wait "$o1" "$o2" "$o3" 2>/dev/null || true
    pids=()
    grep -E "ejected|down|restored|up" "$work/portico-$name.log" | sed 's/^/    /' | head -5 || true
}

run_scenario killed KILL
run_scenario hanging STOP
