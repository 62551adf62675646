#!/usr/bin/env bash
# What every *-benchmark.sh here shares: check the tools, build the benchmark project (Release; its
# project references build the kv-server it starts), run it with the servers it spawns pinned to core 0
# (--server-cpu 0) and itself on core 1 (taskset), and keep its markdown in artifacts/<name>-<UTC time>.md.
#
#   benchmarks/run-pinned.sh <name> <project folder> [arguments for the benchmark program…]
set -euo pipefail
name="$1"
project="$2"
shift 2
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

for tool in dotnet redis-server; do
  command -v "$tool" >/dev/null || { echo "$tool not found (redis-server: apt-get install -y redis-server)" >&2; exit 1; }
done

dotnet build "$project" -c Release -nologo -v quiet >&2

server_cpu=()
load=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  server_cpu=(--server-cpu 0)
  load=(taskset -c 1)
else
  echo "taskset or a second core is missing: running unpinned" >&2
fi

mkdir -p artifacts
out="artifacts/$name-$(date -u +%Y%m%dT%H%M%SZ).md"
"${load[@]}" dotnet "$project/bin/Release/net10.0/$(basename "$project").dll" "$@" "${server_cpu[@]}" | tee "$out"
echo "written to $out" >&2
