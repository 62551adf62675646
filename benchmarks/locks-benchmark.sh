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
exec "$(dirname "$0")/run-pinned.sh" locks-benchmark benchmarks/Kv.Locks.Benchmarks --seconds 3 --repeats 5 "$@"
