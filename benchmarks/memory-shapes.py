#!/usr/bin/env python3
"""Resident memory of kv-server and redis-server for the same data, side by side in one run.

Each measurement starts a fresh server process, loads one shape with `redis-cli --pipe`, and reads
the process's VmRSS (resident now) and VmHWM (peak) from /proc. Shapes:

  hash5-ttl   N hashes of 5 short fields, each key with a TTL (a session)
  set3        N sets of 3 short members
  zset3       N sorted sets of 3 members
  zset1m      one sorted set of N members
  strings     N short strings (the reference the collections are held to)
  list5       N lists of 5 short elements

Also (--flush): RSS after loading then FLUSHALL (sync, then ASYNC on a second load), and MEMORY PURGE;
and (--churn): peak RSS while 10x maxmemory of small collections with TTLs is written through
`--maxmemory` MB (64 by default) under `--policy` (allkeys-lru by default).

kv-server is run as `--kv` says: the Native AOT tool by default (build it with
`dotnet publish src/Kv.Server -c Release -r linux-x64 -p:PublishAot=true -o artifacts/kv-aot`), or
`--kv dll` for the JIT build in src/Kv.Server/bin/Release/net10.0. The server is pinned to core 0
and the loader to core 1 when taskset is present.

    python3 benchmarks/memory-shapes.py --count 1000000 --shapes hash5-ttl,set3,zset3,zset1m
    python3 benchmarks/memory-shapes.py --count 200000 --kv dll --servers kv --shapes zset3
    python3 benchmarks/memory-shapes.py --flush --churn
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def shape_commands(shape, n, prefix="k"):
    """Yields RESP commands loading `shape` with n keys (or n members for zset1m)."""
    if shape == "hash5-ttl":
        for i in range(n):
            key = f"{prefix}:session:{i}"
            yield resp("HSET", key, "user", f"u{i}", "cart", "3", "seen", "1733400000", "lang", "en", "csrf", "a1b2c3d4")
            yield resp("EXPIRE", key, 3600)
    elif shape == "set3":
        for i in range(n):
            yield resp("SADD", f"{prefix}:set:{i}", "red", "green", f"m{i}")
    elif shape == "zset3":
        for i in range(n):
            yield resp("ZADD", f"{prefix}:zset:{i}", 1, "alice", 2, "bob", i, f"m{i}")
    elif shape == "zset1m":
        batch = []
        for i in range(n):
            batch += [i, f"member:{i}"]
            if len(batch) == 2000:
                yield resp("ZADD", f"{prefix}:big", *batch)
                batch = []
        if batch:
            yield resp("ZADD", f"{prefix}:big", *batch)
    elif shape == "strings":
        for i in range(n):
            yield resp("SET", f"{prefix}:str:{i}", f"value:{i}")
    elif shape == "list5":
        for i in range(n):
            yield resp("RPUSH", f"{prefix}:list:{i}", "a", "b", "c", f"d{i}", "e")
    else:
        raise SystemExit(f"unknown shape {shape}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def mb(kb):
    return kb / 1024.0


class Server:
    def __init__(self, kind, kv_mode, extra):
        self.kind = kind
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="kv-mem-")
        pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
        common = ["--port", str(self.port), "--save", "", "--appendonly", "no", "--dir", self.dir] + extra
        if kind == "redis":
            cmd = pin + ["redis-server", "--bind", "127.0.0.1", "--daemonize", "no"] + common
        elif kv_mode == "dll":
            cmd = pin + ["dotnet", os.path.join(ROOT, "src/Kv.Server/bin/Release/net10.0/Kv.Server.dll")] + common
        else:
            exe = kv_mode if os.path.sep in kv_mode else os.path.join(ROOT, "artifacts/kv-aot/Kv.Server")
            if not os.path.exists(exe):
                raise SystemExit(f"{exe} not found: publish the AOT build first (see the docstring) or pass --kv dll")
            cmd = pin + [exe] + common
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.1)
        raise SystemExit(f"{kind} did not start")

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port)] + [str(a) for a in args], capture_output=True, text=True)
        return r.stdout

    def load(self, commands):
        pin = ["taskset", "-c", "1"] if shutil.which("taskset") else []
        with tempfile.NamedTemporaryFile(delete=False) as f:
            for c in commands:
                f.write(c)
            path = f.name
        with open(path, "rb") as f:
            r = subprocess.run(pin + ["redis-cli", "-p", str(self.port), "--pipe"], stdin=f, capture_output=True, text=True)
        os.unlink(path)
        if "errors: 0" not in r.stdout:
            raise SystemExit(f"{self.kind}: load failed: {r.stdout} {r.stderr}")

    def rss(self, settle=2.0):
        # kv-server gives back what a bulk load left (GC young generation, malloc's free chunks) after a
        # second without commands, from its cron; 2 s lets that happen (redis-server's jemalloc purges over time too).
        time.sleep(settle)
        return proc_kb(self.proc.pid, "VmRSS")

    def peak(self):
        return proc_kb(self.proc.pid, "VmHWM")

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_shapes(args, servers):
    print(f"\n| {args.count:,} of | " + " | ".join(f"{s} RSS MB" for s in servers) + (" | ratio |" if len(servers) == 2 else " |"))
    print("|---|" + "---:|" * (len(servers) + (1 if len(servers) == 2 else 0)))
    for shape in args.shapes.split(","):
        row = {}
        for kind in servers:
            s = Server(kind, args.kv, [])
            try:
                idle = s.rss(0.5)
                s.load(shape_commands(shape, args.count))
                row[kind] = (s.rss(), idle)
            finally:
                s.stop()
        cells = " | ".join(f"{mb(row[k][0]):.0f} (idle {mb(row[k][1]):.0f})" for k in servers)
        ratio = f" | {row['kv'][0] / row['redis'][0]:.2f}x" if len(servers) == 2 else ""
        print(f"| {shape} | {cells}{ratio} |", flush=True)


def run_flush(args, servers):
    print("\n| after FLUSHALL | " + " | ".join(f"{s}: idle / loaded / FLUSHALL / FLUSHALL ASYNC / MEMORY PURGE (MB)" for s in servers) + " |")
    print("|---|" + "---|" * len(servers))
    for shape in args.shapes.split(","):
        cells = []
        for kind in servers:
            s = Server(kind, args.kv, [])
            try:
                idle = s.rss(0.5)
                s.load(shape_commands(shape, args.count))
                loaded = s.rss()
                s.cli("FLUSHALL")
                flushed = s.rss(2.0)
                s.load(shape_commands(shape, args.count))
                s.cli("FLUSHALL", "ASYNC")
                flushed_async = s.rss(2.0)
                s.cli("MEMORY", "PURGE")
                purged = s.rss(1.0)
                cells.append(f"{mb(idle):.0f} / {mb(loaded):.0f} / {mb(flushed):.0f} / {mb(flushed_async):.0f} / {mb(purged):.0f}")
            finally:
                s.stop()
        print(f"| {shape} | " + " | ".join(cells) + " |", flush=True)


def run_churn(args, servers):
    maxmemory = args.maxmemory << 20
    print(f"\n| churn 10x maxmemory {args.maxmemory}mb, {args.policy} | " + " | ".join(f"{s} idle / peak RSS MB" for s in servers) + " |")
    print("|---|" + "---|" * len(servers))
    for shape in args.churn_shapes.split(","):
        cells = []
        for kind in servers:
            s = Server(kind, args.kv, ["--maxmemory", str(maxmemory), "--maxmemory-policy", args.policy])
            try:
                idle = s.rss(0.5)
                # ~10x maxmemory of small collections: about 200 bytes each in Redis terms.
                total = 10 * maxmemory // 200
                step = 200_000
                for start in range(0, total, step):
                    s.load(shape_commands(shape, min(step, total - start), prefix=f"c{start}"))
                cells.append(f"{mb(idle):.0f} / {mb(s.peak()):.0f}")
            finally:
                s.stop()
        print(f"| {shape} | " + " | ".join(cells) + " |", flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=1_000_000)
    p.add_argument("--shapes", default="hash5-ttl,set3,zset3,zset1m")
    p.add_argument("--kv", default="aot", help="aot (artifacts/kv-aot/Kv.Server), dll, or a path to a kv-server executable")
    p.add_argument("--servers", default="kv,redis")
    p.add_argument("--flush", action="store_true", help="RSS after FLUSHALL, FLUSHALL ASYNC and MEMORY PURGE")
    p.add_argument("--churn", action="store_true", help="peak RSS under maxmemory churn per collection type")
    p.add_argument("--maxmemory", type=int, default=64, help="churn: maxmemory in MB")
    p.add_argument("--policy", default="allkeys-lru", help="churn: maxmemory-policy")
    p.add_argument("--churn-shapes", default="hash5-ttl,set3,zset3,list5")
    p.add_argument("--no-shapes", action="store_true", help="skip the resident-memory table")
    args = p.parse_args()
    servers = args.servers.split(",")
    if not args.no_shapes:
        run_shapes(args, servers)
    if args.flush:
        run_flush(args, servers)
    if args.churn:
        run_churn(args, servers)


if __name__ == "__main__":
    sys.exit(main())
