#!/usr/bin/env bash
# Status page in a real browser: starts a release `portico run` with the admin listener
# enabled in front of two small keep-alive origins (python3), sends bounded traffic
# with curl loops (successes, 404s from the origin and 503s from a fixed route), then
# loads http://ADMIN/#token=... in headless Chromium through the DevTools protocol
# (Benchmarks/status_page_check.py): no console errors or uncaught exceptions, no
# poll-failure banner, and the numbers change between two readings. Saves a screenshot.
#
# Usage: Benchmarks/status-page-check.sh [SCREENSHOT]   (default: docs/status-page.png)
#        TRAFFIC_SECONDS=30 PORTICO_BIN=.build/release/portico
# Exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
screenshot=${1:-docs/status-page.png}
traffic_seconds=${TRAFFIC_SECONDS:-30}
bin=${PORTICO_BIN:-.build/release/portico}
work=$root/Benchmarks/.work/status-page
token=status-page-check-$RANDOM$RANDOM

if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
command -v curl >/dev/null || (apt-get update -qq && apt-get install -y -qq curl >/dev/null)
if ! python3 -c 'import websocket' 2>/dev/null; then
    python3 -m pip install -q websocket-client 2>/dev/null || python3 -m pip install -q --break-system-packages websocket-client
fi
[ -x "$bin" ] || swift build -c release --product portico

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
origin1=$(free_port); origin2=$(free_port); proxy=$(free_port); admin=$(free_port)

rm -rf "$work" && mkdir -p "$work/www"
head -c 4096 /dev/urandom > "$work/www/4k.bin"
# Two days old: the cached route's heuristic freshness (RFC 9111 §4.2.2) keeps it fresh.
touch -d '2 days ago' "$work/www/4k.bin"
echo "hello from the status-page origin" > "$work/www/index.html"

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

# A small keep-alive origin (python's http.server speaks HTTP/1.0 and closes every
# connection, which would make the pool's reuse races show up as failures).
cat > "$work/origin.py" <<'PY'
import functools, http.server, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
handler = functools.partial(Handler, directory=sys.argv[2])
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
PY
for port in "$origin1" "$origin2"; do
    python3 "$work/origin.py" "$port" "$work/www" >/dev/null 2>&1 &
    pids+=($!)
done

cat > "$work/portico.yaml" <<YAML
listeners:
  - address: "127.0.0.1:$proxy"
upstreams:
  - name: origins
    servers: ["127.0.0.1:$origin1", "127.0.0.1:$origin2"]
routes:
  - name: boom
    match: { path_prefix: /boom }
    respond: { status: 503, body: "synthetic error" }
  - name: cached
    match: { path: /4k.bin }
    upstream: origins
    cache: { heuristic_fraction: 1 }
  - name: default
    upstream: origins
access_log: off
admin:
  address: "127.0.0.1:$admin"
  token: $token
YAML

"$bin" run --config "$work/portico.yaml" > "$work/portico.log" 2>&1 &
pids+=($!)

ready=0
for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$admin/healthz" >/dev/null && curl -sf "http://127.0.0.1:$proxy/" >/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ "$ready" != 1 ]; then
    echo "portico did not start (or has no admin listener); log:" >&2
    cat "$work/portico.log" >&2
    exit 1
fi

# Bounded traffic: each loop stops after traffic_seconds.
traffic() { # path
    local end=$((SECONDS + traffic_seconds))
    while [ "$SECONDS" -lt "$end" ]; do
        curl -s -o /dev/null "http://127.0.0.1:$proxy$1" || true
    done
}
traffic / & pids+=($!)
traffic /4k.bin & pids+=($!)
traffic /missing & pids+=($!)
traffic /boom & pids+=($!)

# Let the stats history fill a little before the first reading; one admin-triggered
# reload of the same file shows up in the page's reload table.
sleep 2
curl -sf -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$admin/api/reload" >/dev/null
sleep 1
python3 Benchmarks/status_page_check.py "http://127.0.0.1:$admin/#token=$token" "$screenshot" \
    --wait 4 --interval 6 --require total_requests rps cache_hit_ratio
