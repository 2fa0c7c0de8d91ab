#!/usr/bin/env bash
# Streams a 1 GiB download and a 1 GiB upload through `portico demo` (release build)
# and reports the peak resident memory of the whole demo process (proxy and both
# origins). The target is under 100 MiB: bodies must stream, not buffer.
#
# Usage: Benchmarks/stream-memory.sh [SIZE_BYTES]   (default 1 GiB)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1073741824}
port=18961
bin=${PORTICO_BIN:-.build/release/portico}
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
[ -x "$bin" ] || swift build -c release --product portico

"$bin" demo --port "$port" >/dev/null 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

down=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}' "http://127.0.0.1:$port/bytes?n=$size")
up=$(head -c "$size" /dev/zero | curl -s -T - -H 'Content-Type: application/octet-stream' \
  -w ' %{http_code} %{size_upload} %{time_total}' "http://127.0.0.1:$port/upload")
peak_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

echo "download: status, bytes, seconds = $down"
echo "upload:   $up"
echo "peak RSS of the demo process (proxy + 2 origins): $((peak_kib / 1024)) MiB"
kill -TERM "$pid"
wait "$pid" || true
trap - EXIT
if [ "$peak_kib" -ge $((100 * 1024)) ]; then
  echo "FAIL: peak RSS is 100 MiB or more"
  exit 1
fi
