#!/usr/bin/env bash
# Allocations per proxied request (package-benchmark, malloc interposer).
#   Benchmarks/allocations.sh            run and print per-request counts
#   Benchmarks/allocations.sh check      fail if counts regressed past Thresholds/
#   Benchmarks/allocations.sh update     record the current counts as the thresholds
set -euo pipefail
cd "$(dirname "$0")/Allocations"
case "${1:-run}" in
  run)    swift package --disable-sandbox benchmark --metric mallocCountTotal ;;
  check)  swift package --disable-sandbox benchmark thresholds check --metric mallocCountTotal ;;
  update) swift package --disable-sandbox --allow-writing-to-package-directory benchmark thresholds update --metric mallocCountTotal ;;
  *) echo "usage: $0 [run|check|update]"; exit 2 ;;
esac
