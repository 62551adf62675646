#!/usr/bin/env bash
# Rate-limit decisions per second (benchmarks/Kv.AspNetCore.Benchmarks, ratelimit mode): Kv.AspNetCore's
# sliding-window limiter (the exact log and the O(1) counter) against RedisRateLimiting's sliding window,
# on one redis-server and on one kv-server, with 1 and 100 concurrent callers. Both servers run on core 0
# for the whole comparison and each repeat alternates them (and rotates the contenders); the load runs on
# core 1 (taskset). Cells are medians of the repeats. The markdown goes to stdout and to
# artifacts/ratelimit-benchmark-<UTC time>.md; progress (every run) goes to stderr.
#
#   benchmarks/ratelimit-benchmark.sh [harness options, e.g. --seconds 5 --repeats 7 --callers 1,100,1000]
#
# Defaults: 3 s runs, 5 repeats, 1 s warm-up per contender and row: about 4 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

for tool in dotnet redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool not found (redis-server: apt-get install -y redis-server)" >&2; exit 1; }
done

# The benchmark's project references build Kv.Server's Release output too (the kv-server it starts).
dotnet build benchmarks/Kv.AspNetCore.Benchmarks -c Release -nologo -v quiet >&2

server_cpu=()
load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(--server-cpu 0)
  load=(taskset -c 1)
else
  echo "taskset or a second core is missing: running unpinned" >&2
fi

mkdir -p artifacts
out="artifacts/ratelimit-benchmark-$(date -u +%Y%m%dT%H%M%SZ).md"
"${load[@]}" dotnet benchmarks/Kv.AspNetCore.Benchmarks/bin/Release/net10.0/Kv.AspNetCore.Benchmarks.dll \
  ratelimit "${server_cpu[@]}" --servers redis,kv --callers 1,100 --seconds 3 --repeats 5 --warmup 1 "$@" | tee "$out"
echo "written to $out" >&2
