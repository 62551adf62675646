using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading.RateLimiting;
using Kv.AspNetCore.RateLimiting;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RedisRateLimiting;
using StackExchange.Redis;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// Rate-limit decisions per second (<c>ratelimit</c> mode): Kv's sliding-window limiter (the exact log and
/// the counter) against RedisRateLimiting's sliding window on the same redis-server, and on kv-server;
/// each contender a <see cref="PartitionedRateLimiter{TResource}"/> of string keys, as a worker uses one.
/// Both servers run for the whole comparison and each repeat alternates them (and rotates the
/// contenders), so drift on a shared machine hits all alike. A server-side count of script calls
/// (INFO commandstats) shows the round trips per decision.
/// </summary>
internal static class RateLimitLoad
{
    private const int PermitLimit = 100;
    private const int Partitions = 1000;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(LoadSettings settings)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (settings.MinThreads > workers)
        {
            ThreadPool.SetMinThreads(settings.MinThreads, io);
        }

        string[] keys = new string[Partitions];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = "user" + i.ToString("D6", CultureInfo.InvariantCulture);
        }

        var servers = new List<(string Title, ServerProcess Process, List<Contender> Contenders)>();
        try
        {
            if (settings.Servers.Contains("redis"))
            {
                var redis = await ServerProcess.StartRedisAsync(settings.RedisServer, settings.ServerCpu);
                servers.Add(("redis-server", redis, await ContendersAsync(redis.Port)));
            }

            if (settings.Servers.Contains("kv"))
            {
                var kv = await ServerProcess.StartKvAsync(settings.KvServer, settings.ServerCpu);
                servers.Add(("kv-server", kv, await ContendersAsync(kv.Port)));
            }

            if (servers.Count == 0)
            {
                Console.Error.WriteLine("ratelimit compares on redis-server and kv-server: --servers redis,kv (the embedded server is not a contender here).");
                return 2;
            }

            WriteHeader(settings);
            var rows = new List<string>();
            foreach (int callers in settings.Callers)
            {
                var runs = servers.Select(s => s.Contenders.Select(_ => new List<Run>()).ToArray()).ToArray();
                foreach (var server in servers)
                {
                    foreach (var contender in server.Contenders)
                    {
                        await RunAsync(contender, keys, callers, settings.Warmup, server.Process);
                    }
                }

                for (int repeat = 0; repeat < settings.Repeats; repeat++)
                {
                    for (int si = 0; si < servers.Count; si++)
                    {
                        int s = (repeat + si) % servers.Count;
                        var (title, process, contenders) = servers[s];
                        for (int j = 0; j < contenders.Count; j++)
                        {
                            int c = (repeat + j) % contenders.Count;
                            var run = await RunAsync(contenders[c], keys, callers, settings.Duration, process);
                            runs[s][c].Add(run);
                            Console.Error.WriteLine(FormattableString.Invariant(
                                $"{title} | {callers} callers | {contenders[c].Name}: {run.DecisionsPerSecond:N0} decisions/s ({run.GrantedShare:P0} granted), p50 {run.P50:N0} µs, p99 {run.P99:N0} µs, {run.BytesPerDecision:N0} B, CPU {run.ClientCpuMicroseconds:N1} / {run.ServerCpuMicroseconds:N1} µs, {run.ScriptsPerDecision:N2} scripts/decision"));
                        }
                    }
                }

                for (int s = 0; s < servers.Count; s++)
                {
                    rows.Add(Row(servers[s].Title, callers, runs[s]));
                }
            }

            WriteTable(servers[0].Contenders, rows);
            Console.WriteLine();
            Console.WriteLine($"Load average at the end: {(File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?")}.");
            return 0;
        }
        finally
        {
            foreach (var (_, process, contenders) in servers)
            {
                foreach (var contender in contenders)
                {
                    await contender.DisposeAsync();
                }

                await process.DisposeAsync();
            }
        }
    }

    /// <summary>One measured run of a contender: N callers in a closed loop, each awaiting its decision.</summary>
    private static async Task<Run> RunAsync(Contender contender, string[] keys, int callers, TimeSpan duration, ServerProcess server)
    {
        var histograms = new LatencyHistogram[callers];
        for (int c = 0; c < callers; c++)
        {
            histograms[c] = new LatencyHistogram();
        }

        long scriptsBefore = await contender.ScriptCallsAsync();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        TimeSpan clientCpuBefore = self.TotalProcessorTime;
        TimeSpan serverCpuBefore = server.CpuTime();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        long start = Stopwatch.GetTimestamp();
        long stop = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task<(long Decisions, long Granted)>[callers];
        for (int c = 0; c < callers; c++)
        {
            int caller = c;
            tasks[c] = Task.Run(() => CallerAsync(contender.Limiter, keys, histograms[caller], (uint)caller * 7919, stop));
        }

        long decisions = 0, granted = 0;
        foreach (var task in tasks)
        {
            var (n, g) = await task;
            decisions += n;
            granted += g;
        }

        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        double serverCpu = (server.CpuTime() - serverCpuBefore).TotalSeconds * 1_000_000 / Math.Max(1, decisions);
        self.Refresh();
        double clientCpu = (self.TotalProcessorTime - clientCpuBefore).TotalSeconds * 1_000_000 / Math.Max(1, decisions);
        long scripts = await contender.ScriptCallsAsync() - scriptsBefore - 1;
        var merged = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            merged.Add(histogram);
        }

        return new Run(decisions / elapsed, (double)granted / Math.Max(1, decisions), merged.Microseconds(0.50), merged.Microseconds(0.99), (double)bytes / Math.Max(1, decisions), clientCpu, serverCpu, (double)scripts / Math.Max(1, decisions));
    }

    private static async Task<(long Decisions, long Granted)> CallerAsync(PartitionedRateLimiter<string> limiter, string[] keys, LatencyHistogram histogram, uint key, long stop)
    {
        long decisions = 0, granted = 0;
        while (Stopwatch.GetTimestamp() < stop)
        {
            long t0 = Stopwatch.GetTimestamp();
            using (var lease = await limiter.AcquireAsync(keys[key % (uint)keys.Length]))
            {
                granted += lease.IsAcquired ? 1 : 0;
            }

            histogram.Record(Stopwatch.GetTimestamp() - t0);
            decisions++;
            key++;
        }

        return (decisions, granted);
    }

    private static async Task<List<Contender>> ContendersAsync(int port) =>
    [
        await Contender.KvAsync("Kv log", port, KvSlidingWindowAlgorithm.Log),
        await Contender.KvAsync("Kv counter", port, KvSlidingWindowAlgorithm.Counter),
        await Contender.RedisRateLimitingAsync("RedisRateLimiting", port),
    ];

    private static string Row(string server, int callers, List<Run>[] runs)
    {
        var cells = new List<string> { server, Number(callers) };
        var rates = runs.Select(r => Median(r, m => m.DecisionsPerSecond)).ToArray();
        cells.AddRange(rates.Select(Number));
        cells.Add(Ratio(rates[0], rates[^1]));
        cells.Add(Ratio(rates[1], rates[^1]));
        cells.AddRange(runs.Select(r => $"{Number(Median(r, m => m.P50))} / {Number(Median(r, m => m.P99))}"));
        cells.AddRange(runs.Select(r => Number(Median(r, m => m.BytesPerDecision))));
        cells.AddRange(runs.Select(r => Median(r, m => m.ClientCpuMicroseconds).ToString("N1", CultureInfo.InvariantCulture)));
        cells.AddRange(runs.Select(r => Median(r, m => m.ServerCpuMicroseconds).ToString("N1", CultureInfo.InvariantCulture)));
        cells.AddRange(runs.Select(r => Median(r, m => m.ScriptsPerDecision).ToString("N2", CultureInfo.InvariantCulture)));
        return "| " + string.Join(" | ", cells) + " |";
    }

    private static void WriteTable(List<Contender> contenders, List<string> rows)
    {
        var header = new List<string> { "server", "callers" };
        header.AddRange(contenders.Select(c => $"{c.Name} decisions/s"));
        header.Add($"{contenders[0].Name}/{contenders[^1].Name}");
        header.Add($"{contenders[1].Name}/{contenders[^1].Name}");
        header.AddRange(contenders.Select(c => $"{c.Name} p50 / p99 µs"));
        header.AddRange(contenders.Select(c => $"{c.Name} B/decision"));
        header.AddRange(contenders.Select(c => $"{c.Name} client CPU µs/decision"));
        header.AddRange(contenders.Select(c => $"{c.Name} server CPU µs/decision"));
        header.AddRange(contenders.Select(c => $"{c.Name} scripts/decision"));
        Console.WriteLine();
        Console.WriteLine("| " + string.Join(" | ", header) + " |");
        Console.WriteLine("|---|" + string.Concat(Enumerable.Repeat("---:|", header.Count - 1)));
        foreach (string row in rows)
        {
            Console.WriteLine(row);
        }

        Console.Out.Flush();
    }

    private static void WriteHeader(LoadSettings settings)
    {
        ThreadPool.GetMinThreads(out int minWorkers, out _);
        Console.WriteLine("## Rate limiting: Kv.AspNetCore's sliding window (log, counter) vs RedisRateLimiting's sliding window");
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {RuntimeInformation.FrameworkDescription}, load average {(File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?")} at the start"));
        Console.WriteLine($"- RedisRateLimiting {VersionOf(typeof(RedisSlidingWindowRateLimiterOptions).Assembly)} on StackExchange.Redis {VersionOf(typeof(ConnectionMultiplexer).Assembly)}; Kv: this tree");
        Console.WriteLine($"- servers pinned to core {settings.ServerCpu?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}, both running throughout; thread pool minimum {minWorkers} workers");
        Console.WriteLine(FormattableString.Invariant(
            $"- each cell: median of {settings.Repeats} runs of {settings.Duration.TotalSeconds} s, after a {settings.Warmup.TotalSeconds} s warm-up of each contender; each repeat alternates the servers and rotates the contenders"));
        Console.WriteLine(FormattableString.Invariant(
            $"- one permit a call, {PermitLimit} per {Window.TotalSeconds} s sliding window, {Partitions:N0} partition keys walked by every caller (so nearly every call is granted and writes)"));
        Console.WriteLine("- B/decision: GC.GetTotalAllocatedBytes over the run / decisions (every thread of this process); client CPU: this process's CPU time / decisions; server CPU: the server process's CPU time / decisions; scripts/decision: EVAL + EVALSHA calls counted by the server (INFO commandstats) / decisions");
    }

    private static string VersionOf(Assembly assembly)
        => assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "?";

    private static string Ratio(double a, double b) => (a / b).ToString("0.00", CultureInfo.InvariantCulture) + "x";

    private static double Median(List<Run> runs, Func<Run, double> pick)
    {
        var values = runs.Select(pick).Order().ToArray();
        return values.Length % 2 == 1 ? values[values.Length / 2] : (values[(values.Length / 2) - 1] + values[values.Length / 2]) / 2;
    }

    private static string Number(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private readonly record struct Run(double DecisionsPerSecond, double GrantedShare, double P50, double P99, double BytesPerDecision, double ClientCpuMicroseconds, double ServerCpuMicroseconds, double ScriptsPerDecision);

    /// <summary>A limiter under test, with what it runs on; a KvClient of its own reads the server's command counts.</summary>
    private sealed class Contender(string name, PartitionedRateLimiter<string> limiter, KvClient stats, Func<ValueTask> dispose) : IAsyncDisposable
    {
        private static int _contenders;

        public string Name { get; } = name;

        public PartitionedRateLimiter<string> Limiter { get; } = limiter;

        /// <summary>Kv's limiter as an app registers it (AddKvRateLimiting; the factory a worker uses).</summary>
        public static async Task<Contender> KvAsync(string name, int port, KvSlidingWindowAlgorithm algorithm)
        {
            string prefix = Prefix();
            var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddKvRateLimiting();
            builder.Services.AddKv(o => o.Endpoint = $"127.0.0.1:{port}");
            var host = builder.Build();
            await host.StartAsync();
            var limiter = host.Services.GetRequiredService<IKvRateLimiterFactory>().CreatePartitionedLimiter("bench", o =>
            {
                o.PermitLimit = PermitLimit;
                o.Window = Window;
                o.Algorithm = algorithm;
                o.KeyPrefix = prefix;
            });
            var stats = await KvClient.ConnectAsync($"127.0.0.1:{port}");
            return new Contender(name, limiter, stats, async () =>
            {
                limiter.Dispose();
                await host.StopAsync();
                host.Dispose();
            });
        }

        /// <summary>RedisRateLimiting's sliding window (its sorted-set log), through its own partition helper.</summary>
        public static async Task<Contender> RedisRateLimitingAsync(string name, int port)
        {
            string prefix = Prefix();
            var multiplexer = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
            var limiter = PartitionedRateLimiter.Create<string, string>(key => RedisRateLimitPartition.GetSlidingWindowRateLimiter(prefix + key, _ => new RedisSlidingWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => multiplexer,
                PermitLimit = PermitLimit,
                Window = Window,
            }));
            var stats = await KvClient.ConnectAsync($"127.0.0.1:{port}");
            return new Contender(name, limiter, stats, async () =>
            {
                limiter.Dispose();
                await multiplexer.DisposeAsync();
            });
        }

        /// <summary>EVAL and EVALSHA calls the server has run so far (a count read costs one INFO, subtracted by the caller).</summary>
        public async Task<long> ScriptCallsAsync()
        {
            string info = (await stats.ExecuteAsync("INFO", "commandstats")).AsString()!;
            return Calls(info, "cmdstat_evalsha:calls=") + Calls(info, "cmdstat_eval:calls=");
        }

        public async ValueTask DisposeAsync()
        {
            await dispose();
            await stats.DisposeAsync();
        }

        private static long Calls(string info, string prefix)
        {
            int at = info.IndexOf(prefix, StringComparison.Ordinal);
            if (at < 0)
            {
                return 0;
            }

            at += prefix.Length;
            int end = info.IndexOf(',', at);
            return long.Parse(info.AsSpan(at, end - at), CultureInfo.InvariantCulture);
        }

        // Each contender its own keys on a shared server; prefixes of one length keep the keys the same size.
        private static string Prefix() => $"rl{Interlocked.Increment(ref _contenders):D2}:";
    }
}
