#!/usr/bin/env python3
"""Runs redis-benchmark against kv-server and redis-server side by side and prints kv/redis ratios.

kv-server is measured as users run it: `aot` is the Native AOT production build (README:
`dotnet publish src/Kv.Server -c Release -r linux-x64 -p:PublishAot=true`, needs clang), `jit` is the
framework-dependent build that the `kv-server` dotnet tool runs. Every server is pinned to core 0 and
redis-benchmark to core 1 (taskset), the servers are measured alternately round after round, and the
table shows the median of the rounds, plus each server's resident memory when idle and at the end.

    python3 benchmarks/compare-redis-benchmark.py [--variants aot|jit|aot,jit] [--rounds 5] [--requests 200000]

`--baseline REV` also builds the JIT server of git revision REV (in a temporary worktree) and measures it in
the same alternating rounds, for before/after figures of a change: `--variants jit --baseline HEAD~3`.
"""
import argparse
import csv
import io
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# variant -> extra `dotnet publish` arguments
VARIANTS = {
    "aot": ["--use-current-runtime", "-p:PublishAot=true"],
    "jit": [],
}


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


def resident_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def publish(variant):
    out = os.path.join(ROOT, "artifacts", f"kv-server-{variant}")
    done = subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src/Kv.Server"), "-c", "Release", "-o", out]
                          + VARIANTS[variant], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        hint = " (Native AOT needs clang: apt-get install -y clang zlib1g-dev)" if variant == "aot" else ""
        raise SystemExit(f"dotnet publish of the {variant} build failed{hint}:\n{done.stdout}")
    return os.path.join(out, "Kv.Server")


def publish_revision(rev):
    """The JIT build of git revision `rev`, published from a throwaway worktree."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", rev], check=True, capture_output=True, text=True).stdout.strip()
    tree = os.path.join(ROOT, "artifacts", f"baseline-{sha}")
    out = os.path.join(ROOT, "artifacts", f"kv-server-{sha}")
    if not os.path.isdir(tree):
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, sha], check=True, capture_output=True)
    done = subprocess.run(["dotnet", "publish", os.path.join(tree, "src/Kv.Server"), "-c", "Release", "-o", out],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dotnet publish of {rev} failed:\n{done.stdout}")
    return f"kv-{sha}", os.path.join(out, "Kv.Server")


def start_servers(core, variants, baseline=None):
    binaries = {f"kv-{variant}": publish(variant) for variant in variants}
    if baseline:
        name, binary = publish_revision(baseline)
        binaries[name] = binary
    servers = {}
    for name, binary in list(binaries.items()) + [("redis", "redis-server")]:
        port = free_port()
        proc = subprocess.Popen(["taskset", "-c", core, binary, "--port", str(port), "--save", "",
                                 "--appendonly", "no", "--loglevel", "warning"])
        servers[name] = (proc, port)
    for _, port in servers.values():
        wait_for_ping(port)
    return servers


def run_benchmark(port, tests, requests, clients, pipeline, core, commands=()):
    base = ["taskset", "-c", core, "redis-benchmark", "-p", str(port), "-c", str(clients),
            "-n", str(requests), "-P", str(pipeline), "--csv"]
    results = {}
    # A custom command (redis-benchmark ... XADD s '*' f v) is one run each; -t tests are one run together.
    runs = [base + shlex.split(command) for command in commands] if commands else [base + ["-t", tests]]
    for run in runs:
        out = subprocess.run(run, check=True, capture_output=True, text=True).stdout
        rows = list(csv.reader(io.StringIO(out)))
        results.update({row[0]: float(row[1]) for row in rows[1:] if len(row) > 1})
    return results


def run_setup(port, setups):
    """Commands run once on each server before measuring (redis-cli syntax), e.g. to create a consumer group."""
    for setup in setups:
        subprocess.run(["redis-cli", "-p", str(port)] + shlex.split(setup), check=True, capture_output=True)


def write_chart_csv(path, results, kv_name, args):
    """The chart's data: one row per test and pipeline, with the command line in a header comment."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(f"# redis-benchmark against redis-server and kv-server ({kv_name} build), requests per second.\n")
        f.write(f"# script: python3 benchmarks/compare-redis-benchmark.py {shlex.join(sys.argv[1:])} "
                f"(redis-benchmark -c {args.clients}; medians of {args.rounds} alternating rounds)\n")
        f.write(f"# recorded: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["test", "pipeline", "redis_rps", "kv_rps", "kv_over_redis"])
        for (pipeline, test) in sorted({(k[0], k[1]) for k in results}):
            redis = statistics.median(results[(pipeline, test, "redis")])
            kv = statistics.median(results[(pipeline, test, kv_name)])
            writer.writerow([test.upper(), pipeline, f"{redis:.0f}", f"{kv:.0f}", f"{kv / redis:.2f}"])
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", default="aot,jit", help="kv-server builds to measure: aot, jit or aot,jit")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=200000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--command", action="append", default=[],
                        help="a custom command to measure instead of --tests, e.g. \"XADD s '*' f v\" (repeatable)")
    parser.add_argument("--setup", action="append", default=[],
                        help="a command run once on each server before measuring, redis-cli syntax (repeatable); "
                             "'bench: <command>' runs it --fill times through redis-benchmark instead (to fill a key)")
    parser.add_argument("--fill", type=int, default=100000)
    parser.add_argument("--baseline", help="a git revision whose JIT build is measured alongside (before/after)")
    parser.add_argument("--csv", metavar="FILE",
                        help="also write the medians of redis and of the first variant measured (aot if it was) as "
                             "benchmarks/charts/redis-benchmark.csv's columns, for benchmarks/charts/make-charts.py")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise SystemExit(f"--variants: expected some of {', '.join(VARIANTS)}, got {args.variants!r}")
    for tool in ("redis-server", "redis-benchmark", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install -y redis-server redis-tools util-linux")

    server_core, load_core = ("0", "1") if os.cpu_count() and os.cpu_count() > 1 else ("0", "0")
    servers = start_servers(server_core, variants, args.baseline)
    try:
        time.sleep(1)
        idle = {name: resident_mb(proc.pid) for name, (proc, _) in servers.items()}
        for _, port in servers.values():
            run_setup(port, [x for x in args.setup if not x.startswith("bench:")])
            for fill in [x[len("bench:"):] for x in args.setup if x.startswith("bench:")]:
                run_benchmark(port, "", args.fill, args.clients, 16, load_core, [fill])
        results = {}  # (pipeline, test, server) -> [rps]
        for pipeline in [int(p) for p in args.pipelines.split(",")]:
            requests = args.requests * (4 if pipeline > 1 else 1)
            # Warm-up (JIT tiering, pools) before measuring.
            for name, (_, port) in servers.items():
                run_benchmark(port, args.tests, requests // 4, args.clients, pipeline, load_core, args.command)
            for round_no in range(args.rounds):
                order = list(servers.items()) if round_no % 2 == 0 else list(reversed(servers.items()))
                for name, (_, port) in order:
                    for test, rps in run_benchmark(port, args.tests, requests, args.clients, pipeline, load_core, args.command).items():
                        results.setdefault((pipeline, test, name), []).append(rps)
        after = {name: resident_mb(proc.pid) for name, (proc, _) in servers.items()}

        kv_names = [name for name in servers if name != "redis"]
        print(f"\nredis-benchmark -c {args.clients}, medians of {args.rounds} alternating rounds "
              f"(servers on core {server_core}, load on core {load_core})\n")
        header = f"| {'test':<12} | {'pipeline':>8} | {'redis rps':>10} |"
        rule = f"|{'-' * 14}|{'-' * 10}|{'-' * 12}|"
        for name in kv_names:
            header += f" {name + ' rps':>12} | {'/redis':>6} |"
            rule += f"{'-' * 14}|{'-' * 8}|"
        print(header)
        print(rule)
        worst = {}
        for (pipeline, test) in sorted({(k[0], k[1]) for k in results}):
            redis = statistics.median(results[(pipeline, test, "redis")])
            line = f"| {test:<12} | {pipeline:>8} | {redis:>10,.0f} |"
            for name in kv_names:
                kv = statistics.median(results[(pipeline, test, name)])
                worst[name] = min(worst.get(name, kv / redis), kv / redis)
                line += f" {kv:>12,.0f} | {kv / redis:>6.2f} |"
            print(line)
        print()
        for name in kv_names:
            print(f"lowest {name}/redis ratio: {worst[name]:.2f}")
        if args.csv:
            write_chart_csv(args.csv, results, kv_names[0], args)
        print("\nresident memory (MB): " + ", ".join(
            f"{name} {idle[name]:.1f} idle / {after[name]:.1f} after" for name in servers))
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
