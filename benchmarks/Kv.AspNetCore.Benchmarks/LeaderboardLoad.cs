using System.Diagnostics;
using System.Globalization;
using Kv.AspNetCore.Leaderboards;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// Leaderboard reads on 100,000 members (<c>leaderboard</c> mode; <c>benchmarks/leaderboard-benchmark.sh</c>): the top 10
/// and one member's rank, on a board of each tie policy, from N callers in a closed loop, on redis-server, on
/// kv-server and on the embedded server (in-memory pipe). Which path each read takes: the top 10 is one ZRANGE
/// (any policy, no member data); a rank is a script (ZSCORE + ZCOUNT; dense: ZCOUNT on the distinct scores)
/// or, first to reach, ZREVRANK + ZSCORE pipelined.
/// </summary>
internal static class LeaderboardLoad
{
    private const int Members = 100_000;
    private static readonly LeaderboardTiePolicy[] Policies = [LeaderboardTiePolicy.StandardCompetition, LeaderboardTiePolicy.Dense, LeaderboardTiePolicy.FirstToReach];
    private static readonly string[] Operations = ["top10", "rank"];

    public static async Task<int> RunAsync(LoadSettings settings)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (settings.MinThreads > workers)
        {
            ThreadPool.SetMinThreads(settings.MinThreads, io);
        }

        Console.WriteLine("## Leaderboard reads on 100,000 members: ops/s and p99 (µs)");
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant(
            $"- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; servers pinned to core {settings.ServerCpu?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; median of {settings.Repeats} runs of {settings.Duration.TotalSeconds} s after a {settings.Warmup.TotalSeconds} s warm-up"));
        Console.WriteLine("- top10: GetTopAsync(10) (one ZRANGE … REV WITHSCORES); rank: GetEntryAsync(member), members walked in turn (a script; first to reach: ZREVRANK + ZSCORE in one write)");
        Console.WriteLine("- ~5 members per score (ties everywhere); no member data; server CPU µs/call from /proc (external servers only)");
        foreach (string server in settings.Servers)
        {
            await using var process = server switch
            {
                "redis" => await ServerProcess.StartRedisAsync(settings.RedisServer, settings.ServerCpu),
                "kv" => await ServerProcess.StartKvAsync(settings.KvServer, settings.ServerCpu),
                _ => null,
            };
            string? data = process is null ? Directory.CreateTempSubdirectory("kv-bench-").FullName : null;
            var host = await StartAppAsync(process?.Port, data);
            try
            {
                var boards = new ILeaderboard[Policies.Length];
                var members = await LoadAsync(host, boards);
                var callers = process is null ? settings.EmbeddedCallers : settings.Callers;
                string title = process?.Name ?? "embedded server (in-memory pipe, AOF off)";
                Console.WriteLine();
                Console.WriteLine($"### {title}");
                Console.WriteLine();
                Console.WriteLine("| operation | callers | " + string.Join(" | ", Policies.Select(p => $"{p} ops/s | p99 µs | server µs/call")) + " |");
                Console.WriteLine("|---|---:|" + string.Concat(Enumerable.Repeat("---:|---:|---:|", Policies.Length)));
                foreach (string operation in Operations)
                {
                    foreach (int count in callers)
                    {
                        var cells = new List<string>();
                        for (int b = 0; b < boards.Length; b++)
                        {
                            await RunAsync(boards[b], operation, members, count, settings.Warmup, null);
                            var runs = new List<Measurement>();
                            for (int r = 0; r < settings.Repeats; r++)
                            {
                                runs.Add(await RunAsync(boards[b], operation, members, count, settings.Duration, process is null ? null : process.CpuTime));
                            }

                            var median = runs.OrderBy(m => m.OpsPerSecond).ElementAt(runs.Count / 2);
                            double p99 = runs.Select(m => m.P99).Order().ElementAt(runs.Count / 2);
                            double cpu = runs.Select(m => m.ServerCpuMicroseconds).Order().ElementAt(runs.Count / 2);
                            Console.Error.WriteLine(FormattableString.Invariant($"{title} | {operation} | {count} callers | {Policies[b]}: {median.OpsPerSecond:N0} ops/s, p99 {p99:N0} µs"));
                            cells.Add(FormattableString.Invariant($"{median.OpsPerSecond:N0} | {p99:N0} | {(double.IsNaN(cpu) ? "–" : cpu.ToString("N1", CultureInfo.InvariantCulture))}"));
                        }

                        Console.WriteLine($"| {operation} | {count} | {string.Join(" | ", cells)} |");
                    }
                }
            }
            finally
            {
                await host.StopAsync();
                host.Dispose();
                if (data is not null)
                {
                    Directory.Delete(data, recursive: true);
                }
            }
        }

        return 0;
    }

    private static async Task<IHost> StartAppAsync(int? port, string? data)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddKv(o =>
        {
            if (port is { } p)
            {
                o.Endpoint = $"127.0.0.1:{p}";
            }
            else
            {
                o.Embedded.Transport = KvEmbeddedTransport.InMemory;
                o.Embedded.DataDirectory = data!;
                o.Embedded.AppendOnly = false;
            }
        });
        foreach (var policy in Policies)
        {
            builder.Services.AddKvLeaderboard(BoardName(policy), o => o.TiePolicy = policy);
        }

        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Loads every board with the same 100,000 members (SetManyAsync, pipelined); returns the members.</summary>
    private static async Task<string[]> LoadAsync(IHost host, ILeaderboard[] boards)
    {
        var random = new Random(42);
        var scores = new KeyValuePair<string, double>[Members];
        for (int i = 0; i < Members; i++)
        {
            scores[i] = new($"player{i:D6}", random.Next(0, 20_000));
        }

        var provider = host.Services.GetRequiredService<ILeaderboardProvider>();
        for (int b = 0; b < boards.Length; b++)
        {
            boards[b] = provider.Get(BoardName(Policies[b]));
            long start = Stopwatch.GetTimestamp();
            await boards[b].SetManyAsync(scores);
            Console.Error.WriteLine(FormattableString.Invariant($"{Policies[b]}: loaded {Members:N0} members in {Stopwatch.GetElapsedTime(start).TotalMilliseconds:N0} ms"));
        }

        return scores.Select(s => s.Key).ToArray();
    }

    /// <summary>Each server is fresh (its own process, or the app's embedded one), so fixed names do not meet old data.</summary>
    private static string BoardName(LeaderboardTiePolicy policy) => "bench-" + policy;

    private static async Task<Measurement> RunAsync(ILeaderboard board, string operation, string[] members, int callers, TimeSpan duration, Func<TimeSpan>? serverCpu)
    {
        var histograms = new LatencyHistogram[callers];
        for (int c = 0; c < callers; c++)
        {
            histograms[c] = new LatencyHistogram();
        }

        TimeSpan serverBefore = serverCpu?.Invoke() ?? TimeSpan.Zero;
        long start = Stopwatch.GetTimestamp();
        long stop = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = new Task<long>[callers];
        for (int c = 0; c < callers; c++)
        {
            var histogram = histograms[c];
            int first = c * 7919;
            tasks[c] = Task.Run(async () =>
            {
                long calls = 0;
                int next = first;
                while (Stopwatch.GetTimestamp() < stop)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    if (operation == "top10")
                    {
                        await board.GetTopAsync(10);
                    }
                    else
                    {
                        await board.GetEntryAsync(members[next++ % members.Length]);
                    }

                    histogram.Record(Stopwatch.GetTimestamp() - t0);
                    calls++;
                }

                return calls;
            });
        }

        long total = 0;
        foreach (var task in tasks)
        {
            total += await task;
        }

        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var merged = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            merged.Add(histogram);
        }

        double serverPerCall = serverCpu is null ? double.NaN : (serverCpu() - serverBefore).TotalSeconds * 1_000_000.0 / Math.Max(1, total);
        return new Measurement(total / elapsed, merged.Microseconds(0.50), merged.Microseconds(0.99), 0, 0, 0, serverPerCall);
    }
}
