#!/usr/bin/env bash
# Leaderboard reads (benchmarks/Kv.AspNetCore.Benchmarks, leaderboard mode): the top 10 and one member's rank on
# 100,000 members, on a board of each tie policy, from 1 and 100 callers, on redis-server, kv-server and the
# embedded server (in-memory pipe). The servers run on core 0, the load on core 1 (taskset). Each cell is the
# median of the runs. The markdown table goes to stdout and to artifacts/leaderboard-benchmark-<UTC time>.md;
# progress goes to stderr.
#
#   benchmarks/leaderboard-benchmark.sh [harness options, e.g. --seconds 3 --servers redis,kv]
#
# Defaults: 2 s runs, 3 repeats, 1 s warm-up per cell: about 4 minutes.
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
out="artifacts/leaderboard-benchmark-$(date -u +%Y%m%dT%H%M%SZ).md"
"${load[@]}" dotnet benchmarks/Kv.AspNetCore.Benchmarks/bin/Release/net10.0/Kv.AspNetCore.Benchmarks.dll \
  leaderboard "${server_cpu[@]}" --seconds 2 --repeats 3 --warmup 1 --callers 1,100 --embedded-callers 1,100 "$@" | tee "$out"
echo "written to $out" >&2
