#!/usr/bin/env python3
"""Runs redis-benchmark against kv-server and redis-server side by side and prints kv/redis ratios.

Both servers are pinned to core 0 and redis-benchmark to core 1 (taskset), the two servers are
measured alternately round after round, and the table shows the median of the rounds.

    python3 benchmarks/compare-redis-benchmark.py [--rounds 5] [--requests 200000] [--clients 50]
"""
import argparse
import csv
import io
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_ping(port, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer PING within {timeout}s")


def start_servers(core):
    kv_port, redis_port = free_port(), free_port()
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src/Kv.Server"), "-c", "Release", "-o",
                    os.path.join(ROOT, "artifacts/kv-server")], check=True, stdout=subprocess.DEVNULL)
    kv = subprocess.Popen(["taskset", "-c", core, os.path.join(ROOT, "artifacts/kv-server/Kv.Server"),
                           "--port", str(kv_port), "--save", "", "--appendonly", "no", "--loglevel", "warning"])
    redis = subprocess.Popen(["taskset", "-c", core, "redis-server", "--port", str(redis_port), "--save", "",
                              "--appendonly", "no", "--loglevel", "warning"])
    wait_for_ping(kv_port)
    wait_for_ping(redis_port)
    return {"kv-server": (kv, kv_port), "redis-server": (redis, redis_port)}


def run_benchmark(port, tests, requests, clients, pipeline, core):
    out = subprocess.run(["taskset", "-c", core, "redis-benchmark", "-p", str(port), "-c", str(clients),
                          "-n", str(requests), "-P", str(pipeline), "-t", tests, "--csv"],
                         check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    return {row[0]: float(row[1]) for row in rows[1:] if len(row) > 1}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("--pipelines", default="1,16")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install -y redis-server redis-tools util-linux")

    server_core, load_core = ("0", "1") if os.cpu_count() and os.cpu_count() > 1 else ("0", "0")
    servers = start_servers(server_core)
    try:
        results = {}  # (pipeline, test, server) -> [rps]
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            requests = args.requests * (4 if pipeline > 1 else 1)
            # Warm-up (JIT) before measuring.
            for name, (_, port) in servers.items():
                run_benchmark(port, args.tests, requests // 4, args.clients, pipeline, load_core)
            for round_no in range(args.rounds):
                order = list(servers.items()) if round_no % 2 == 0 else list(reversed(servers.items()))
                for name, (_, port) in order:
                    for test, rps in run_benchmark(port, args.tests, requests, args.clients, pipeline, load_core).items():
                        results.setdefault((pipeline, test, name), []).append(rps)

        print(f"\nredis-benchmark -c {args.clients}, medians of {args.rounds} alternating rounds "
              f"(servers on core {server_core}, load on core {load_core})\n")
        print(f"| {'test':<12} | {'pipeline':>8} | {'kv-server rps':>14} | {'redis-server rps':>16} | {'kv/redis':>8} |")
        print(f"|{'-' * 14}|{'-' * 10}|{'-' * 16}|{'-' * 18}|{'-' * 10}|")
        worst = None
        for (pipeline, test, name) in sorted(k for k in results if k[2] == "kv-server"):
            kv = statistics.median(results[(pipeline, test, "kv-server")])
            redis = statistics.median(results[(pipeline, test, "redis-server")])
            ratio = kv / redis
            worst = ratio if worst is None else min(worst, ratio)
            print(f"| {test:<12} | {pipeline:>8} | {kv:>14,.0f} | {redis:>16,.0f} | {ratio:>8.2f} |")
        print(f"\nlowest kv/redis ratio: {worst:.2f}")
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
