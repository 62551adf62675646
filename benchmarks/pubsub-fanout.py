#!/usr/bin/env python3
"""Pub/sub fan-out throughput of kv-server next to redis-server: one publisher, N subscribers.

Both servers are pinned to core 0, the load tool (benchmarks/Kv.PubSubLoad) to core 1; the servers are
measured alternately round after round and the median of the rounds is printed with the kv/redis ratio.

    python3 benchmarks/pubsub-fanout.py [--rounds 3] [--subscribers 100] [--messages 100000] [--payload 16]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
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


def build():
    for project in ("src/Kv.Server", "benchmarks/Kv.PubSubLoad"):
        subprocess.run(["dotnet", "build", "-c", "Release", "-v", "q", "--nologo", os.path.join(ROOT, project)], check=True, stdout=subprocess.DEVNULL)


def run_load(port, args):
    tool = os.path.join(ROOT, "benchmarks/Kv.PubSubLoad/bin/Release/net10.0/Kv.PubSubLoad.dll")
    out = subprocess.run(["taskset", "-c", "1", "dotnet", tool, str(port), str(args.subscribers), str(args.messages), str(args.payload)],
                         check=True, capture_output=True, text=True).stdout
    return float(re.search(r"messages_per_sec=(\d+)", out).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--payload", type=int, default=16)
    parser.add_argument("--kv", help="a kv-server executable to run (e.g. the Native AOT build in artifacts/kv-server-aot/Kv.Server); default: the JIT build")
    args = parser.parse_args()
    build()
    servers = {}
    kv_port, redis_port = free_port(), free_port()
    kv_command = [args.kv] if args.kv else ["dotnet", os.path.join(ROOT, "src/Kv.Server/bin/Release/net10.0/Kv.Server.dll")]
    kv = subprocess.Popen(["taskset", "-c", "0"] + kv_command + ["--port", str(kv_port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis = subprocess.Popen(["taskset", "-c", "0", "redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_ping(kv_port)
        wait_for_ping(redis_port)
        servers = {"kv-server": (kv_port, []), "redis-server": (redis_port, [])}
        run_load(kv_port, argparse.Namespace(subscribers=args.subscribers, messages=args.messages // 10, payload=args.payload))  # JIT warm-up
        for _ in range(args.rounds):
            for name, (port, results) in servers.items():
                results.append(run_load(port, args))
        kv_rate = statistics.median(servers["kv-server"][1])
        redis_rate = statistics.median(servers["redis-server"][1])
        print(f"1 publisher -> {args.subscribers} subscribers, {args.messages} messages of {args.payload} bytes, median of {args.rounds} rounds")
        for name, (port, results) in servers.items():
            rate = statistics.median(results)
            print(f"  {name:13} {rate:>10,.0f} messages/s  {rate * args.subscribers:>12,.0f} deliveries/s   rounds: {', '.join(f'{r:,.0f}' for r in results)}")
        print(f"  kv/redis      {kv_rate / redis_rate:.2f}")
    finally:
        kv.terminate()
        redis.terminate()
        kv.wait()
        redis.wait()


if __name__ == "__main__":
    main()
