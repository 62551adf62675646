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
exec "$(dirname "$0")/run-pinned.sh" cache-benchmark benchmarks/Kv.AspNetCore.Benchmarks load --seconds 2 --repeats 3 --warmup 1 "$@"
