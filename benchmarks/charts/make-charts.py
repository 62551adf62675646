#!/usr/bin/python3
"""Renders the recorded benchmark results in benchmarks/charts/*.csv as SVG charts in docs/benchmarks/.

The CSV files are the data (one per results table, with the script that produced it in their header
comments); this script only draws them, so a chart never shows a number the tables do not. After a
benchmark is rerun, copy its medians into the CSV (benchmarks/charts/README.md says which goes where)
and run this again:

    apt-get install -y python3-matplotlib      # Debian 12: matplotlib 3.6 (or: pip install matplotlib)
    /usr/bin/python3 benchmarks/charts/make-charts.py [--out docs/benchmarks]

The output is deterministic (no dates, fixed ids), so an unchanged CSV gives an unchanged SVG.
"""

import argparse
import csv
import os
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
from matplotlib.ticker import FuncFormatter  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

KV = "#1f6f8b"        # every Kv contender
KV_LIGHT = "#7fb9cc"  # a second Kv variant (counter limiter, near cache, loopback transport)
KV_PALE = "#c4e0ea"
OTHER = "#d08c3c"     # the library or server Kv is compared with
OTHER_2 = "#8c8c8c"

plt.rcParams.update({
    "svg.hashsalt": "kv-benchmark-charts",  # stable element ids
    "svg.fonttype": "path",                 # text as paths: renders the same without the fonts installed
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e4e4e4",
    "axes.axisbelow": True,
    "legend.frameon": False,
})


def read(name):
    """Rows of benchmarks/charts/<name> as dicts; '#' lines are the header comments."""
    with open(os.path.join(HERE, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def thousands(value, _=None):
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 1_000:
        return f"{value / 1_000:g}k"
    return f"{value:g}"


def short(value, _=None):
    """A bar's label: three significant digits (9.84k, 183k, 1.21M)."""
    for scale, suffix in ((1_000_000, "M"), (1_000, "k"), (1, "")):
        if value >= scale:
            scaled = value / scale
            return f"{scaled:.3g}{suffix}" if scaled < 1000 else f"{scaled:.0f}{suffix}"
    return f"{value:.3g}"


def grouped_bars(ax, groups, series, ylabel, fmt=thousands, log=False, label_bars=True, bar_fmt=short):
    """One cluster of bars per group, one bar per series (name -> (values, colour)), values over bars."""
    n = len(series)
    width = 0.8 / n
    for i, (name, (values, colour)) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        bars = ax.bar(xs, values, width * 0.92, label=name, color=colour)
        if label_bars:
            ax.bar_label(bars, labels=[bar_fmt(v) for v in values], fontsize=7, padding=2)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.margins(y=0.12)


def save(fig, out, name, source, legend_from=None):
    """Writes the chart with its source line; a figure of several panels gets one legend under its title."""
    fig.text(0.005, 0.005, source, fontsize=7, color="#666666", ha="left", va="bottom")
    top = 1
    if legend_from is not None:
        handles, labels = legend_from.get_legend_handles_labels()
        height = fig.get_size_inches()[1]
        fig.legend(handles, labels, loc="upper center", ncol=len(labels), bbox_to_anchor=(0.5, 1 - 0.3 / height))
        top = 1 - 0.5 / height
    fig.tight_layout(rect=(0, 0.035, 1, top))
    path = os.path.join(out, name)
    fig.savefig(path, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    print(f"wrote {os.path.relpath(path, ROOT)}")


def redis_benchmark(out):
    rows = read("redis-benchmark.csv")
    pipelines = list(dict.fromkeys(r["pipeline"] for r in rows))
    fig, axes = plt.subplots(len(pipelines), 1, figsize=(9, 3.6 * len(pipelines)), squeeze=False)
    for ax, pipeline in zip(axes[:, 0], pipelines):
        mine = [r for r in rows if r["pipeline"] == pipeline]
        grouped_bars(ax, [r["test"] for r in mine], {
            "redis-server 7.0.15": ([float(r["redis_rps"]) for r in mine], OTHER),
            "kv-server": ([float(r["kv_rps"]) for r in mine], KV),
        }, "requests per second", label_bars=False)
        for i, r in enumerate(mine):
            top = max(float(r["redis_rps"]), float(r["kv_rps"]))
            ax.annotate(f"{float(r['kv_over_redis']):.2f}x", (i, top), xytext=(0, 3), textcoords="offset points",
                        ha="center", fontsize=7)
        ax.set_ylim(top=max(float(r["kv_rps"]) for r in mine) * 1.3)
        ax.set_title(f"redis-benchmark -c 50, pipeline {pipeline}: kv-server vs redis-server (kv/redis over each pair)")
        ax.legend(loc="upper left", ncol=2)
    save(fig, out, "redis-benchmark.svg", "benchmarks/compare-redis-benchmark.py (kv-server: the Native AOT tool build) · "
         "2 shared cores, server on core 0, load on core 1 · data: benchmarks/charts/redis-benchmark.csv")


def client(out):
    rows = read("client.csv")
    servers = list(dict.fromkeys(r["server"] for r in rows))
    fig, axes = plt.subplots(1, len(servers), figsize=(10, 3.6), sharey=True)
    for ax, server in zip(axes, servers):
        mine = [r for r in rows if r["server"] == server]
        grouped_bars(ax, [r["scenario"].replace(" batch", "\nbatch") for r in mine], {
            "Kv.Client": ([float(r["kv_client_ops"]) for r in mine], KV),
            "StackExchange.Redis": ([float(r["se_redis_ops"]) for r in mine], OTHER),
        }, "operations per second" if ax is axes[0] else "")
        ax.set_title(f"on {server}")
    fig.suptitle("Kv.Client vs StackExchange.Redis: half GET, half SET, 32-byte values", fontsize=10)
    save(fig, out, "client.svg", "benchmarks/Kv.Client.Benchmarks · data: benchmarks/charts/client.csv", axes[0])


def cache(out):
    on = {"redis-server": read("cache-redis-server.csv"), "kv-server": read("cache-kv-server.csv")}
    first = on["redis-server"]
    groups = [f"{r['operation'].replace(' (', chr(10) + '(')}\n×{int(r['callers']):,}" for r in first]
    fig, (ratio, nbytes) = plt.subplots(2, 1, figsize=(11, 7))
    grouped_bars(ratio, groups, {
        "on redis-server": ([float(r["kv_over_microsoft"]) for r in on["redis-server"]], OTHER_2),
        "on kv-server": ([float(r["kv_over_microsoft"]) for r in on["kv-server"]], KV),
    }, "Kv ops/s ÷ Microsoft's", fmt=lambda v, _=None: f"{v:.2f}x", bar_fmt=lambda v: f"{v:.2f}x")
    ratio.axhline(1.0, color="#444444", linewidth=0.8, linestyle="--")
    ratio.set_title("IDistributedCache throughput: Kv.AspNetCore ÷ Microsoft.Extensions.Caching.StackExchangeRedis "
                    "(above 1: Kv faster)")
    ratio.legend(loc="upper right")
    grouped_bars(nbytes, groups, {
        "Kv.AspNetCore": ([float(r["kv_bytes_per_op"]) for r in first], KV),
        "Microsoft's Redis cache": ([float(r["microsoft_bytes_per_op"]) for r in first], OTHER),
    }, "bytes allocated per call", fmt=lambda v, _=None: f"{v:,.0f}", bar_fmt=lambda v: f"{v:,.0f}")
    nbytes.set_title("Bytes allocated per call (on redis-server; kv-server's rows are within a few bytes, "
                     "Set at 1,000 callers excepted)")
    nbytes.legend(loc="upper right")
    save(fig, out, "cache.svg", "benchmarks/cache-benchmark.sh --near · 256-byte values · "
         "data: benchmarks/charts/cache-redis-server.csv, cache-kv-server.csv")


def cache_embedded(out):
    rows = read("cache-embedded.csv")
    callers = list(dict.fromkeys(r["callers"] for r in rows))
    fig, axes = plt.subplots(1, len(callers), figsize=(10, 3.6), sharey=True)
    for ax, n in zip(axes, callers):
        mine = [r for r in rows if r["callers"] == n]
        grouped_bars(ax, [r["operation"] for r in mine], {
            "in-memory pipe (default)": ([float(r["in_memory_ops"]) for r in mine], KV),
            "loopback TCP": ([float(r["loopback_ops"]) for r in mine], KV_LIGHT),
        }, "operations per second" if ax is axes[0] else "")
        ax.set_title(f"{n} caller{'s' if n != '1' else ''}")
    fig.suptitle("Kv cache on the embedded server: the app's client through an in-memory pipe vs loopback TCP",
                 fontsize=10)
    save(fig, out, "cache-embedded.svg", "benchmarks/cache-benchmark.sh · data: benchmarks/charts/cache-embedded.csv",
         axes[0])


def ratelimit(out):
    rows = read("ratelimit.csv")
    callers = list(dict.fromkeys(r["callers"] for r in rows))
    fig, axes = plt.subplots(1, len(callers), figsize=(10, 3.6))
    for ax, n in zip(axes, callers):
        mine = [r for r in rows if r["callers"] == n]
        grouped_bars(ax, [r["server"] for r in mine], {
            "Kv sliding log (exact)": ([float(r["kv_log_ops"]) for r in mine], KV),
            "Kv sliding counter (O(1))": ([float(r["kv_counter_ops"]) for r in mine], KV_LIGHT),
            "RedisRateLimiting 1.2.1": ([float(r["redisratelimiting_ops"]) for r in mine], OTHER),
        }, "decisions per second" if ax is axes[0] else "")
        ax.set_title(f"{n} caller{'s' if n != '1' else ''}")
    fig.suptitle("Sliding-window rate limiting: decisions per second (100 per 1 s over 1,000 partitions)",
                 fontsize=10)
    save(fig, out, "ratelimit.svg", "benchmarks/ratelimit-benchmark.sh · data: benchmarks/charts/ratelimit.csv", axes[0])


def leaderboard(out):
    rows = read("leaderboard.csv")
    policies = {
        "standard competition (1224)": ("standard_competition_ops", KV),
        "dense (1223)": ("dense_ops", KV_LIGHT),
        "first to reach (1234)": ("first_to_reach_ops", KV_PALE),
    }
    operations = list(dict.fromkeys(r["operation"] for r in rows))
    callers = list(dict.fromkeys(r["callers"] for r in rows))
    fig, axes = plt.subplots(len(operations), len(callers), figsize=(11, 6.4), sharey="col")
    for i, operation in enumerate(operations):
        for j, n in enumerate(callers):
            ax = axes[i][j]
            mine = [r for r in rows if r["operation"] == operation and r["callers"] == n]
            grouped_bars(ax, [r["server"] for r in mine],
                         {name: ([float(r[column]) for r in mine], colour) for name, (column, colour) in policies.items()},
                         "reads per second" if j == 0 else "")
            ax.set_title(f"{operation}, {n} caller{'s' if n != '1' else ''}")
    fig.suptitle("Leaderboard reads on a board of 100,000 members, per tie policy", fontsize=10)
    save(fig, out, "leaderboard.svg", "benchmarks/leaderboard-benchmark.sh · embedded = in-memory pipe, 1 caller only · "
         "data: benchmarks/charts/leaderboard.csv", axes[0][0])


def cache_attribute(out):
    rows = read("cache-attribute.csv")
    fig, ax = plt.subplots(figsize=(9, 3.2))
    names = [r["method"] for r in rows][::-1]
    medians = [float(r["median_us"]) for r in rows][::-1]
    colours = [KV if r["method"].startswith("[Cache]") else OTHER_2 for r in rows][::-1]
    bars = ax.barh(names, medians, color=colours)
    ax.bar_label(bars, labels=[f"{m:g} µs, {r['allocated_bytes']} B" for m, r in zip(medians, rows[::-1])],
                 fontsize=7, padding=3)
    ax.set_xlabel("median µs per call")
    ax.grid(axis="x", color="#e4e4e4")
    ax.grid(axis="y", visible=False)
    ax.margins(x=0.2)
    ax.set_title("[Cache] hit vs reading the same entry by hand (embedded server, in-memory pipe)")
    save(fig, out, "cache-attribute.svg", "benchmarks/cache-attribute-benchmark.sh (BenchmarkDotNet) · "
         "data: benchmarks/charts/cache-attribute.csv")


def locks(out):
    rows = read("locks.csv")
    servers = list(dict.fromkeys(r["server"] for r in rows))

    def column(library, name):
        return [float(next(r for r in rows if r["server"] == s and r["library"] == library)[name]) for s in servers]

    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    for ax, name, title in ((axes[0], "ops_1_caller", "acquire + release, 1 caller"),
                            (axes[1], "ops_16_callers", "acquire + release, 16 callers on 16 locks")):
        grouped_bars(ax, servers, {
            "Kv.Locks": (column("Kv.Locks", name), KV),
            "DistributedLock.Redis 1.1.1": (column("DistributedLock.Redis", name), OTHER),
        }, "per second" if ax is axes[0] else "")
        ax.set_title(title)
    grouped_bars(axes[2], servers, {
        "Kv.Locks": (column("Kv.Locks", "handover_p50_ms"), KV),
        "DistributedLock.Redis 1.1.1": (column("DistributedLock.Redis", "handover_p50_ms"), OTHER),
    }, "milliseconds (log scale)", fmt=lambda v, _=None: f"{v:g} ms", log=True, bar_fmt=lambda v: f"{v:g} ms")
    axes[2].set_title("hand-over p50, 10 waiters (lower is better)")
    fig.suptitle("Distributed locks: Kv.Locks vs DistributedLock.Redis", fontsize=10)
    save(fig, out, "locks.svg", "benchmarks/locks-benchmark.sh · data: benchmarks/charts/locks.csv", axes[0])


CHARTS = [redis_benchmark, client, cache, cache_embedded, ratelimit, leaderboard, cache_attribute, locks]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks"), help="output folder (docs/benchmarks)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for chart in CHARTS:
        chart(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
