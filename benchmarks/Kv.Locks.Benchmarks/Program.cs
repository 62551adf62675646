using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kv.AspNetCore.Benchmarks;
using Kv.Locks.Benchmarks;

// Kv.Locks against DistributedLock.Redis on the same server process:
//   uncontended acquire+release per second (1 and 16 callers, each on a lock of its own), and
//   hand-over latency (10 waiters on one lock: from the holder starting its release to the next
//   holder's acquire returning), p50/p99. Contenders alternate within each repeat; medians reported.
//
//   dotnet Kv.Locks.Benchmarks.dll [--seconds 3] [--repeats 3] [--servers redis,kv] [--server-cpu 0]
//                                  [--redis-server /usr/bin/redis-server] [--kv-server path/Kv.Server.dll]
var settings = Settings.Parse(args);
var rows = new List<Row>();
foreach (string serverName in settings.Servers)
{
    await using var server = serverName == "redis"
        ? await ServerProcess.StartRedisAsync(settings.RedisServer, settings.ServerCpu)
        : await ServerProcess.StartKvAsync(settings.KvServer, settings.ServerCpu);
    var contenders = new (string Name, Func<int, Task<IContender>> Create)[]
    {
        ("Kv.Locks", KvLocksContender.CreateAsync),
        ("DistributedLock.Redis", DistributedLockRedisContender.CreateAsync),
    };
    var results = contenders.ToDictionary(c => c.Name, _ => new List<Measurement>());
    for (int repeat = 0; repeat < settings.Repeats; repeat++)
    {
        // Alternate which contender goes first, so neither always meets a warmer server.
        var order = repeat % 2 == 0 ? contenders : contenders.Reverse().ToArray();
        foreach (var (name, create) in order)
        {
            await using var contender = await create(server.Port);
            var m = new Measurement(
                await UncontendedAsync(contender, callers: 1, settings.Seconds, repeat),
                await UncontendedAsync(contender, callers: 16, settings.Seconds, repeat),
                await HandOverAsync(contender, waiters: 10, settings.Seconds, repeat));
            results[name].Add(m);
            Console.Error.WriteLine($"{server.Name} {name} #{repeat + 1}: {m}");
        }
    }

    foreach (var (name, _) in contenders)
    {
        var list = results[name];
        rows.Add(new Row(server.Name, name,
            Median(list.Select(m => m.Uncontended1)), Median(list.Select(m => m.Uncontended16)),
            Median(list.Select(m => m.HandOver.P50)), Median(list.Select(m => m.HandOver.P99)),
            Median(list.Select(m => (double)m.HandOver.Count))));
    }
}

Console.WriteLine(Table(rows, settings));
return;

// Each caller acquires and releases a lock of its own, back to back, for the duration.
static async Task<double> UncontendedAsync(IContender contender, int callers, double seconds, int repeat)
{
    string prefix = $"bench:{repeat}:{Guid.NewGuid():N}:";
    await RunAsync(TimeSpan.FromSeconds(Math.Min(1, seconds / 3))); // warm-up
    return await RunAsync(TimeSpan.FromSeconds(seconds)) / seconds;

    async Task<long> RunAsync(TimeSpan duration)
    {
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var tasks = Enumerable.Range(0, callers).Select(i => Task.Run(async () =>
        {
            long count = 0;
            string name = prefix + i.ToString(CultureInfo.InvariantCulture);
            while (Stopwatch.GetTimestamp() < end)
            {
                await using (await contender.AcquireAsync(name))
                {
                }

                count++;
            }

            return count;
        }));
        return (await Task.WhenAll(tasks)).Sum();
    }
}

// Waiters take turns on one lock; each hand-over is timed from the moment the holder starts its
// release to the moment the next holder's acquire returns. A holder that released waits until someone
// else holds the lock before it asks again, so the lock always passes to one of the other waiters
// (never straight back to the releaser, which would time a re-acquisition, not a hand-over).
static async Task<HandOver> HandOverAsync(IContender contender, int waiters, double seconds, int repeat)
{
    string name = $"bench:handover:{repeat}:{Guid.NewGuid():N}";
    var histogram = new LatencyHistogram();
    long releasedAt = 0;
    var nextHolder = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    long end = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
    var tasks = Enumerable.Range(0, waiters).Select(_ => Task.Run(async () =>
    {
        while (Stopwatch.GetTimestamp() < end)
        {
            var handle = await contender.AcquireAsync(name);
            long now = Stopwatch.GetTimestamp();
            long previous = Interlocked.Exchange(ref releasedAt, 0);
            if (previous != 0)
            {
                lock (histogram)
                {
                    histogram.Record(now - previous);
                }
            }

            var acquired = Interlocked.Exchange(ref nextHolder, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            acquired.TrySetResult();
            var handedOver = Volatile.Read(ref nextHolder).Task;
            Volatile.Write(ref releasedAt, Stopwatch.GetTimestamp());
            await handle.DisposeAsync();
            if (Stopwatch.GetTimestamp() < end)
            {
                await handedOver.WaitAsync(TimeSpan.FromSeconds(seconds + 5));
            }
        }
    }));
    await Task.WhenAll(tasks);
    return new HandOver(histogram.Microseconds(0.50) / 1000, histogram.Microseconds(0.99) / 1000, histogram.Count);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

static string Table(List<Row> rows, Settings settings)
{
    var text = new StringBuilder();
    text.AppendLine(CultureInfo.InvariantCulture, $"Kv.Locks vs DistributedLock.Redis 1.1.1 — {settings.Seconds} s runs, median of {settings.Repeats}, server on core {settings.ServerCpu?.ToString(CultureInfo.InvariantCulture) ?? "(unpinned)"}, {Environment.ProcessorCount} cores visible, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    text.AppendLine();
    text.AppendLine("| server | library | uncontended acq+rel/s, 1 caller | 16 callers | hand-over p50 (ms) | hand-over p99 (ms) | hand-overs |");
    text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
    foreach (var r in rows)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Server} | {r.Library} | {r.Uncontended1:N0} | {r.Uncontended16:N0} | {r.HandOverP50:0.000} | {r.HandOverP99:0.000} | {r.HandOvers:N0} |");
    }

    foreach (string server in rows.Select(r => r.Server).Distinct())
    {
        var kv = rows.Single(r => r.Server == server && r.Library == "Kv.Locks");
        var other = rows.Single(r => r.Server == server && r.Library != "Kv.Locks");
        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"{server}: throughput ×{kv.Uncontended1 / other.Uncontended1:0.00} (1 caller), ×{kv.Uncontended16 / other.Uncontended16:0.00} (16 callers); ");
        text.AppendLine(CultureInfo.InvariantCulture, $"hand-over p50 {kv.HandOverP50:0.000} ms vs {other.HandOverP50:0.000} ms (DistributedLock.Redis busy-waits 10–800 ms between tries).");
    }

    return text.ToString();
}

internal sealed record HandOver(double P50, double P99, long Count)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"hand-over p50 {P50:0.000} ms p99 {P99:0.000} ms ({Count})");
}

internal sealed record Measurement(double Uncontended1, double Uncontended16, HandOver HandOver)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Uncontended1:N0}/s (1), {Uncontended16:N0}/s (16), {HandOver}");
}

internal sealed record Row(string Server, string Library, double Uncontended1, double Uncontended16, double HandOverP50, double HandOverP99, double HandOvers);

internal sealed record Settings(double Seconds, int Repeats, string[] Servers, int? ServerCpu, string RedisServer, string? KvServer)
{
    public static Settings Parse(string[] args)
    {
        var s = new Settings(3, 3, ["redis", "kv"], null, "/usr/bin/redis-server", null);
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            s = args[i] switch
            {
                "--seconds" => s with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--repeats" => s with { Repeats = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--servers" => s with { Servers = Next().Split(',', StringSplitOptions.RemoveEmptyEntries) },
                "--server-cpu" => s with { ServerCpu = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--redis-server" => s with { RedisServer = Next() },
                "--kv-server" => s with { KvServer = Next() },
                _ => throw new ArgumentException($"Unknown option {args[i]}: --seconds, --repeats, --servers redis,kv, --server-cpu, --redis-server, --kv-server."),
            };
        }

        return s;
    }
}
