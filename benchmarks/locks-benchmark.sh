#!/usr/bin/env bash
# Kv.Locks against DistributedLock.Redis 1.1.1 (benchmarks/Kv.Locks.Benchmarks) on one redis-server and on
# one kv-server: uncontended acquire+release per second (1 and 16 callers, a lock each) and hand-over
# latency with 10 waiters on one lock (p50/p99, from the holder starting its release to the next holder
# returning from acquire). Servers run on core 0, the load on core 1 (taskset); the two libraries
# alternate within each repeat and the medians are reported. The markdown table goes to stdout and to
# artifacts/locks-benchmark-<UTC time>.md; progress goes to stderr.
#
#   benchmarks/locks-benchmark.sh [--seconds 3] [--repeats 5] [--servers redis,kv]
#
# Defaults: 3 s runs, 5 repeats: about 4 minutes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

for tool in dotnet redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool not found (redis-server: apt-get install -y redis-server)" >&2; exit 1; }
done

# The project reference builds Kv.Server's Release output too (the kv-server it starts).
dotnet build benchmarks/Kv.Locks.Benchmarks -c Release -nologo -v quiet >&2

server_cpu=()
load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(--server-cpu 0)
  load=(taskset -c 1)
else
  echo "taskset or a second core is missing: running unpinned" >&2
fi

mkdir -p artifacts
out="artifacts/locks-benchmark-$(date -u +%Y%m%dT%H%M%SZ).md"
"${load[@]}" dotnet benchmarks/Kv.Locks.Benchmarks/bin/Release/net10.0/Kv.Locks.Benchmarks.dll \
  "${server_cpu[@]}" --seconds 3 --repeats 5 "$@" | tee "$out"
echo "written to $out" >&2
