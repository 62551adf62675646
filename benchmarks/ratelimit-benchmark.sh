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
exec "$(dirname "$0")/run-pinned.sh" ratelimit-benchmark benchmarks/Kv.AspNetCore.Benchmarks ratelimit --servers redis,kv --callers 1,100 --seconds 3 --repeats 5 --warmup 1 "$@"
