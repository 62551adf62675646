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
exec "$(dirname "$0")/run-pinned.sh" leaderboard-benchmark benchmarks/Kv.AspNetCore.Benchmarks leaderboard --seconds 2 --repeats 3 --warmup 1 --callers 1,100 --embedded-callers 1,100 "$@"
