#!/usr/bin/env bash
# Fuzzes Portico's HTTP/1.1 wire codec (chunked scanner, request/response head parsers)
# with libFuzzer + AddressSanitizer for a bounded time. See docs/fuzzing.md.
#
#   scripts/fuzz.sh [SECONDS]        default 60
#
# Exits non-zero when libFuzzer finds a crash, an invariant violation, a leak or a timeout;
# the input is then copied to Tests/PorticoCoreTests/WireCorpus/fuzz-<hash>.http.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
pkg=Fuzz
corpus_dir=Tests/PorticoCoreTests/WireCorpus
work="$pkg/.build/fuzz-work"     # libFuzzer's growing corpus, kept between runs
artifacts="$work/artifacts-$$"   # this run's crash inputs only
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"

# The fuzz package resolves the same dependency versions as the main package.
if [ -f Package.resolved ] && ! cmp -s Package.resolved "$pkg/Package.resolved"; then
  cp Package.resolved "$pkg/Package.resolved"
fi

# SwiftPM's --sanitize flags instrument the C targets (clang adds them up) and make the
# link pull libFuzzer's main() from the toolchain's clang runtime. swiftc keeps only the
# LAST -sanitize= it is given, so SwiftPM's pair would leave Swift code with AddressSanitizer
# but no coverage instrumentation (libFuzzer then finds nothing new, ever): the combined
# -Xswiftc flag comes after them and wins. The target has no main.swift, so no
# -parse-as-library is needed (adding it breaks the link: undefined PorticoFuzz_main).
flags=(-c release --package-path "$pkg" --product PorticoFuzz
  --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
echo "== build (release, libFuzzer + AddressSanitizer)"
swift build "${flags[@]}"
bin="$(swift build "${flags[@]}" --show-bin-path)/PorticoFuzz"

# A few generated seeds; the checked-in corpus (if any) is read too but never written.
seed() { printf "$2" > "$work/seeds/$1"; }
seed chunked-plain '5\r\nhello\r\n0\r\n\r\n'
seed chunked-ext-trailers '5;a=b;q="x\\"y"\r\nhello\r\n0;last\r\nX-Checksum: abc\r\nExpires: 0\r\n\r\n'
seed chunked-pipelined '1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n'
seed request-chunked 'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n'
seed request-get 'GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n'
seed request-length 'PUT /x HTTP/1.0\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'
seed response-chunked 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n'
seed response-length 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno'
seed response-interim 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'
seeds=("$work/seeds")
if [ -d "$corpus_dir" ]; then seeds+=("$corpus_dir"); fi

echo "== fuzz for ${seconds}s"
set +e
# Swift's crash backtracer reads memory ASan has poisoned and can hang after a crash:
# libFuzzer and ASan print what is needed.
SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len=4096 \
  -dict="$pkg/http.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "$work/corpus" "${seeds[@]}" 2>&1 | tee "$work/last-run.log" | grep -vE '^#[0-9]+\s+(NEW|REDUCE|pulse)'
status=${PIPESTATUS[0]}
set -e

found=0
for input in "$artifacts"/*; do
  [ -f "$input" ] || continue
  hash=$(sha256sum "$input" | cut -c1-16)
  mkdir -p "$corpus_dir"
  cp "$input" "$corpus_dir/fuzz-$hash.http"
  echo "!! $(basename "$input") saved as $corpus_dir/fuzz-$hash.http (replay: $bin $corpus_dir/fuzz-$hash.http)"
  found=$((found + 1))
done
rm -rf "$artifacts"

if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
  echo "fuzz: FAILED (libFuzzer exit $status, $found input(s) saved); full log: $work/last-run.log" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s; full log: $work/last-run.log"
