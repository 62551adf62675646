#!/usr/bin/env bash
# The [Cache] attribute's overhead (benchmarks/Kv.AspNetCore.Benchmarks/CacheAttributeBenchmarks.cs):
# a hit of a [Cache] method against a direct KvDistributedCache read of the same entry, on the
# embedded server's in-memory pipe, with BenchmarkDotNet's MemoryDiagnoser. Pinned to core 1 when
# taskset and a second core are there. Results go to artifacts/cache-attribute/ (BenchmarkDotNet's
# markdown report); extra arguments go to BenchmarkDotNet:
#
#   benchmarks/cache-attribute-benchmark.sh                       # the default job: about 3 minutes
#   benchmarks/cache-attribute-benchmark.sh --job short --inProcess   # a smoke run: under a minute
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

dotnet build benchmarks/Kv.AspNetCore.Benchmarks -c Release -nologo -v quiet >&2

pin=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin=(taskset -c 1)
fi

mkdir -p artifacts/cache-attribute
"${pin[@]}" dotnet benchmarks/Kv.AspNetCore.Benchmarks/bin/Release/net10.0/Kv.AspNetCore.Benchmarks.dll \
  cache-attribute --filter '*' --artifacts artifacts/cache-attribute "$@"
