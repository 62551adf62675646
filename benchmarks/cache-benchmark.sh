#!/usr/bin/env bash
# The IDistributedCache comparison (benchmarks/Kv.AspNetCore.Benchmarks): builds Release, then runs
# Kv's KvDistributedCache against Microsoft's RedisCache on one redis-server and on one kv-server, and
# Kv's cache on its embedded server through the in-memory pipe and loopback TCP. The servers run on
# core 0, the load on core 1 (taskset). The markdown table goes to stdout and to
# artifacts/cache-benchmark-<UTC time>.md; progress goes to stderr.
#
#   benchmarks/cache-benchmark.sh [harness options, e.g. --seconds 3 --servers redis,kv --near]
#
# Defaults: 2 s runs, 3 repeats (medians), 1 s warm-up per contender and row: about 9 minutes.
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
out="artifacts/cache-benchmark-$(date -u +%Y%m%dT%H%M%SZ).md"
"${load[@]}" dotnet benchmarks/Kv.AspNetCore.Benchmarks/bin/Release/net10.0/Kv.AspNetCore.Benchmarks.dll \
  load "${server_cpu[@]}" --seconds 2 --repeats 3 --warmup 1 "$@" | tee "$out"
echo "written to $out" >&2
