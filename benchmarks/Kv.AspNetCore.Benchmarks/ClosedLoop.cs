using System.Diagnostics;
using Microsoft.Extensions.Caching.Distributed;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// One measured run: throughput, latency percentiles, bytes allocated per call, and CPU time per call
/// in this process (the client; for an embedded server, the server too) and in the server's process
/// (NaN when it has none).
/// </summary>
internal readonly record struct Measurement(double OpsPerSecond, double P50, double P99, double BytesPerOp, long Misses, double ClientCpuMicroseconds, double ServerCpuMicroseconds);

/// <summary>
/// N callers in a closed loop on one <see cref="IDistributedCache"/> for a fixed time: each awaits its
/// call, records the latency and makes the next. Bytes per call are <see cref="GC.GetTotalAllocatedBytes"/>
/// over the run divided by the calls: every thread's allocations, so the client's reply reader and
/// continuations count (and, for a server in this process, the server's too). The harness's own loop
/// allocates nothing per call: histograms are made once, and each caller's state machine once per run.
/// </summary>
internal sealed class ClosedLoop(CacheWorkload workload, int maxCallers)
{
    private readonly LatencyHistogram[] _histograms = MakeHistograms(maxCallers);
    private readonly LatencyHistogram _merged = new();

    /// <param name="serverCpu">The server process's CPU time so far, or null when the server runs in this process.</param>
    public async Task<Measurement> RunAsync(IDistributedCache cache, CacheOperation operation, int callers, TimeSpan duration, Func<TimeSpan>? serverCpu = null)
    {
        if (callers > _histograms.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(callers), callers, $"At most {_histograms.Length} callers.");
        }

        for (int c = 0; c < callers; c++)
        {
            _histograms[c].Clear();
        }

        var tasks = new Task<(long Calls, long Misses)>[callers];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        TimeSpan serverCpuBefore = serverCpu?.Invoke() ?? TimeSpan.Zero;
        TimeSpan clientCpuBefore = self.TotalProcessorTime;
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        long stop = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (int c = 0; c < callers; c++)
        {
            int caller = c;
            tasks[c] = Task.Run(() => CallerAsync(cache, operation, caller, stop));
        }

        long calls = 0, misses = 0;
        foreach (var task in tasks)
        {
            var (n, missed) = await task;
            calls += n;
            misses += missed;
        }

        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        self.Refresh();
        double perCall = 1_000_000.0 / Math.Max(1, calls);
        double clientCpu = (self.TotalProcessorTime - clientCpuBefore).TotalSeconds * perCall;
        double serverCpuUsed = serverCpu is null ? double.NaN : (serverCpu() - serverCpuBefore).TotalSeconds * perCall;
        _merged.Clear();
        for (int c = 0; c < callers; c++)
        {
            _merged.Add(_histograms[c]);
        }

        return new Measurement(calls / elapsed, _merged.Microseconds(0.50), _merged.Microseconds(0.99), (double)bytes / Math.Max(1, calls), misses, clientCpu, serverCpuUsed);
    }

    private async Task<(long Calls, long Misses)> CallerAsync(IDistributedCache cache, CacheOperation operation, int caller, long stop)
    {
        var histogram = _histograms[caller];
        long calls = 0, misses = 0;

        // Callers start at different keys, spread over the range, and walk it.
        uint key = (uint)caller * 7919;
        while (Stopwatch.GetTimestamp() < stop)
        {
            long t0 = Stopwatch.GetTimestamp();
            switch (operation)
            {
                case CacheOperation.GetSliding:
                    misses += await cache.GetAsync(workload.SlidingKey(key)) is null ? 1 : 0;
                    break;
                case CacheOperation.GetAbsolute:
                    misses += await cache.GetAsync(workload.AbsoluteKey(key)) is null ? 1 : 0;
                    break;
                case CacheOperation.Set:
                    await cache.SetAsync(workload.WrittenKey(key), workload.Value, workload.SlidingOptions);
                    break;
                case CacheOperation.Refresh:
                    await cache.RefreshAsync(workload.SlidingKey(key));
                    break;
            }

            histogram.Record(Stopwatch.GetTimestamp() - t0);
            calls++;
            key++;
        }

        return (calls, misses);
    }

    private static LatencyHistogram[] MakeHistograms(int count)
    {
        var histograms = new LatencyHistogram[count];
        for (int i = 0; i < count; i++)
        {
            histograms[i] = new LatencyHistogram();
        }

        return histograms;
    }
}
