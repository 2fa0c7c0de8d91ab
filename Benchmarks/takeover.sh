#!/usr/bin/env bash
# Takeover under load: a release Portico (with --control-socket) in front of an origin
# (a second Portico answering fixed responses) under wrk load; a few seconds in, a
# second Portico starts with --takeover, receives the listening sockets, and the first
# drains and exits. Counts what clients saw: wrk's non-2xx responses and socket errors.
#
# Two runs: connection-per-request (every request a new connection, so accepts cross
# the handover) and keep-alive (the old process lingers 1 s on idle keep-alive
# connections, answers their next request with Connection: close, then closes them).
# The promise in both: zero failures (docs/reload-and-upgrade.md).
#
# Usage: Benchmarks/takeover.sh     (DURATION=10 TAKEOVER_AFTER=3 CONNECTIONS=32 PORT_BASE=18380)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/Benchmarks/.work/takeover
duration=${DURATION:-10}
takeover_after=${TAKEOVER_AFTER:-3}
connections=${CONNECTIONS:-32}
base=${PORT_BASE:-18380}
bin=${PORTICO_BIN:-.build/release/portico}
origin_port=$base
proxy_port=$((base + 1))
control=$work/control.sock

command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
[ -x "$bin" ] || swift build -c release --product portico
mkdir -p "$work"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    echo "nothing listening on $1" >&2
    exit 1
}

printf '%s\n' \
    'workers: 1' \
    'access_log: { output: off }' \
    "listeners: [{ address: \"127.0.0.1:$origin_port\" }]" \
    'routes:' \
    '  - respond: { status: 200, body: "origin" }' >"$work/origin.yaml"
printf '%s\n' \
    'workers: 1' \
    'access_log: { output: off }' \
    'timeouts: { shutdown_grace: 5s }' \
    "listeners: [{ address: \"127.0.0.1:$proxy_port\" }]" \
    "upstreams: [{ name: origin, servers: [\"127.0.0.1:$origin_port\"] }]" \
    'routes:' \
    '  - upstream: origin' >"$work/proxy.yaml"

"$bin" run --config "$work/origin.yaml" >"$work/origin.log" 2>&1 &
pids+=($!)
wait_port "$origin_port"

connection_per_request_failed=0
run() { # label, extra wrk arguments...
    local label=$1
    shift
    rm -f "$control"
    "$bin" run --config "$work/proxy.yaml" --control-socket "$control" >"$work/old-$label.log" 2>&1 &
    local old_pid=$!
    pids+=($old_pid)
    wait_port "$proxy_port"
    wrk -t1 -c"$connections" -d"${duration}s" -s Benchmarks/flood-status.lua "$@" \
        "http://127.0.0.1:$proxy_port/" >"$work/wrk-$label.txt" 2>&1 &
    local wrk_pid=$!
    sleep "$takeover_after"
    "$bin" run --config "$work/proxy.yaml" --takeover "$control" --control-socket "$control" >"$work/new-$label.log" 2>&1 &
    local new_pid=$!
    pids+=($new_pid)
    local exited=no
    for _ in $(seq 1 150); do
        if ! kill -0 "$old_pid" 2>/dev/null; then exited=yes; break; fi
        sleep 0.1
    done
    wait "$wrk_pid"
    local old_status=0
    wait "$old_pid" || old_status=$?
    local sent non2xx socket_errors
    sent=$(awk '/requests in/ { print $1 }' "$work/wrk-$label.txt")
    non2xx=$(awk '/^status/ && ($2 < 200 || $2 >= 300) { n += $3 } END { print n + 0 }' "$work/wrk-$label.txt")
    socket_errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk-$label.txt")
    socket_errors=${socket_errors:-0}
    echo "takeover under load ($label): ${duration}s, $connections connections; old process exited: $exited (status $old_status)"
    echo "  requests sent: $sent   failed: $((non2xx + socket_errors)) (non-2xx $non2xx, socket errors $socket_errors)"
    kill -TERM "$new_pid"
    wait "$new_pid" || true
    if [ "$label" = connection-per-request ]; then
        connection_per_request_failed=$((non2xx + socket_errors))
    fi
}

run connection-per-request -H "Connection: close"
run keep-alive
[ "$connection_per_request_failed" = 0 ]
