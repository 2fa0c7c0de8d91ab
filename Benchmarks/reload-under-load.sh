#!/usr/bin/env bash
# Reload under load: a release Portico in front of an origin (a second Portico
# answering fixed responses), a keep-alive wrk load, and SIGHUP every 0.5 s while the
# configuration file alternates between two versions (different routes and header
# rules). Counts what clients saw: wrk's non-2xx responses and socket errors. The
# promise is zero.
#
# Usage: Benchmarks/reload-under-load.sh     (DURATION=10 CONNECTIONS=32 PORT_BASE=18280)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/Benchmarks/.work/reload
duration=${DURATION:-10}
connections=${CONNECTIONS:-32}
base=${PORT_BASE:-18280}
bin=${PORTICO_BIN:-.build/release/portico}
origin_port=$base
proxy_port=$((base + 1))

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
# Two proxy configurations: the route set and the request headers differ.
write_proxy_config() { # file, generation
    printf '%s\n' \
        'workers: 1' \
        'access_log: { output: off }' \
        "listeners: [{ address: \"127.0.0.1:$proxy_port\" }]" \
        "upstreams: [{ name: origin, servers: [\"127.0.0.1:$origin_port\"] }]" \
        'routes:' \
        "  - match: { path: /version-$2 }" \
        "    respond: { status: 200, body: \"$2\" }" \
        '  - upstream: origin' \
        "    request_headers: { set: { X-Generation: $2 } }" >"$1"
}
write_proxy_config "$work/a.yaml" a
write_proxy_config "$work/b.yaml" b
cp "$work/a.yaml" "$work/proxy.yaml"

"$bin" run --config "$work/origin.yaml" >"$work/origin.log" 2>&1 &
pids+=($!)
"$bin" run --config "$work/proxy.yaml" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
wait_port "$origin_port"
wait_port "$proxy_port"

wrk -t1 -c"$connections" -d"${duration}s" -s Benchmarks/flood-status.lua \
    "http://127.0.0.1:$proxy_port/" >"$work/wrk.txt" 2>&1 &
wrk_pid=$!
reloads=0
end=$((SECONDS + duration))
while [ $SECONDS -lt $end ] && kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 0.5
    if [ $((reloads % 2)) = 0 ]; then cp "$work/b.yaml" "$work/proxy.yaml"; else cp "$work/a.yaml" "$work/proxy.yaml"; fi
    kill -HUP "$proxy_pid"
    reloads=$((reloads + 1))
done
wait "$wrk_pid"
sleep 0.5

sent=$(awk '/requests in/ { print $1 }' "$work/wrk.txt")
non2xx=$(awk '/^status/ && ($2 < 200 || $2 >= 300) { n += $3 } END { print n + 0 }' "$work/wrk.txt")
socket_errors=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$work/wrk.txt")
socket_errors=${socket_errors:-0}
applied=$(grep -c "configuration reloaded" "$work/proxy.log" || true)
refused=$(grep -c "reload failed" "$work/proxy.log" || true)
echo "reload under load: ${duration}s, $connections keep-alive connections, $reloads SIGHUPs ($applied applied, $refused refused)"
echo "requests sent: $sent   failed: $((non2xx + socket_errors)) (non-2xx $non2xx, socket errors $socket_errors)"
[ "$((non2xx + socket_errors))" = 0 ]
