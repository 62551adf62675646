using System.Diagnostics;
using System.Globalization;
using Kv.Client;
using StackExchange.Redis;

// Kv.Client against StackExchange.Redis on the same server: one sequential caller, 100 and 1,000
// concurrent callers, and 1,000-command batches (half GET, half SET of a 32-byte value).
// Usage: dotnet run -c Release -- --port 6379 [--rounds 5] [--seconds 2] [--transport socket|stream]
//        [--scenarios seq,c100,c1000,batch,large] [--large-size 1048576] [--tls-ca ca.crt]
// "large": one caller GETting one large value, as a new array (GetAsync, StringGetAsync) and leased
// into a pooled buffer (GetLeaseAsync, StringGetLeaseAsync).
// Pin the server with `taskset -c 0` and this program with `taskset -c 1`. The clients alternate
// round by round, and the table reports the median of the rounds, so noise from a shared machine
// hits both alike.
int port = int.Parse(Arg("--port", "6379"), CultureInfo.InvariantCulture);
int rounds = int.Parse(Arg("--rounds", "5"), CultureInfo.InvariantCulture);
double seconds = double.Parse(Arg("--seconds", "2"), CultureInfo.InvariantCulture);
string transport = Arg("--transport", "socket");
string[] only = Arg("--scenarios", "seq,c100,c1000,batch").Split(',');
int largeSize = int.Parse(Arg("--large-size", "1048576"), CultureInfo.InvariantCulture);

string? tlsCa = Arg("--tls-ca", "");
var options = new KvClientOptions { Host = "127.0.0.1", Port = port };
var seOptions = ConfigurationOptions.Parse($"127.0.0.1:{port},abortConnect=false");
if (tlsCa.Length > 0)
{
    // rediss:// to a TLS port whose certificate is issued by this CA (PEM), for both clients.
    options.UseTls = true;
    options.TlsCaCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(tlsCa));
    seOptions.Ssl = true;
    seOptions.TrustIssuer(tlsCa);
}

if (transport == "stream")
{
    typeof(KvClientOptions).GetProperty("Transport", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!
        .SetValue(options, Enum.Parse(typeof(KvClientOptions).Assembly.GetType("Kv.Client.TransportKind")!, "Stream"));
}

await using var kv = await KvClient.ConnectAsync(options);
using var se = await ConnectionMultiplexer.ConnectAsync(seOptions);
var db = se.GetDatabase();

var keys = Enumerable.Range(0, 1000).Select(i => System.Text.Encoding.ASCII.GetBytes($"bench:{i}")).ToArray();
var seKeys = keys.Select(k => (RedisKey)k).ToArray();
var value = new byte[32];
new Random(1).NextBytes(value);
RedisValue seValue = value;
foreach (var key in keys)
{
    await kv.SetAsync(key, value);
}

var scenarios = new (string Name, Func<int, Task<long>> Kv, Func<int, Task<long>> Se, int Callers)[]
{
    ("seq", _ => Callers(1, (c, i) => Kv(i)), _ => Callers(1, (c, i) => Se(i)), 1),
    ("c100", _ => Callers(100, (c, i) => Kv(i)), _ => Callers(100, (c, i) => Se(i)), 100),
    ("c1000", _ => Callers(1000, (c, i) => Kv(i)), _ => Callers(1000, (c, i) => Se(i)), 1000),
    ("batch", _ => Batches(KvBatch), _ => Batches(SeBatch), 1),
};

Console.WriteLine($"port {port}, {rounds} rounds of {seconds} s, Kv.Client transport: {(tlsCa.Length > 0 ? $"TLS (SslStream), {(transport == "stream" ? "BCL stream pipes" : "Pipelines.Sockets.Unofficial stream duplex")}" : transport)}");
Console.WriteLine("| scenario | client | ops/s | p50 µs | p99 µs | bytes/op |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var scenario in scenarios)
{
    if (!only.Contains(scenario.Name))
    {
        continue;
    }

    var results = new Dictionary<string, List<Result>> { ["Kv.Client"] = [], ["SE.Redis"] = [] };
    await Measure(scenario.Kv, 0.5);
    await Measure(scenario.Se, 0.5);
    for (int r = 0; r < rounds; r++)
    {
        // Alternate which client goes first.
        if (r % 2 == 0)
        {
            results["Kv.Client"].Add(await Measure(scenario.Kv, seconds));
            results["SE.Redis"].Add(await Measure(scenario.Se, seconds));
        }
        else
        {
            results["SE.Redis"].Add(await Measure(scenario.Se, seconds));
            results["Kv.Client"].Add(await Measure(scenario.Kv, seconds));
        }
    }

    foreach (var (client, list) in results)
    {
        Console.WriteLine($"| {scenario.Name} | {client} | {Median(list, x => x.OpsPerSecond):N0} | {Median(list, x => x.P50):N1} | {Median(list, x => x.P99):N1} | {Median(list, x => x.BytesPerOp):N0} |");
    }

    double ratio = Median(results["Kv.Client"], x => x.OpsPerSecond) / Median(results["SE.Redis"], x => x.OpsPerSecond);
    Console.WriteLine($"| {scenario.Name} | ratio Kv/SE | {ratio:0.00}x | | | |");
}

if (only.Contains("large"))
{
    byte[] largeKey = "bench:large"u8.ToArray();
    var largeValue = new byte[largeSize];
    new Random(2).NextBytes(largeValue);
    await kv.SetAsync(largeKey, largeValue);
    var variants = new (string Name, Func<int, Task<long>> Run)[]
    {
        ("Kv.Client GetAsync", _ => Callers(1, async (c, i) => await kv.GetAsync(largeKey))),
        ("Kv.Client GetLeaseAsync", _ => Callers(1, async (c, i) => (await kv.GetLeaseAsync(largeKey))!.Dispose())),
        ("SE.Redis StringGetAsync", _ => Callers(1, async (c, i) => await db.StringGetAsync(largeKey))),
        ("SE.Redis StringGetLeaseAsync", _ => Callers(1, async (c, i) => (await db.StringGetLeaseAsync(largeKey))!.Dispose())),
    };
    var largeResults = variants.Select(_ => new List<Result>()).ToArray();
    foreach (var variant in variants)
    {
        await Measure(variant.Run, 0.5);
    }

    for (int r = 0; r < rounds; r++)
    {
        // Rotate which variant goes first.
        for (int v = 0; v < variants.Length; v++)
        {
            int index = (v + r) % variants.Length;
            largeResults[index].Add(await Measure(variants[index].Run, seconds));
        }
    }

    for (int v = 0; v < variants.Length; v++)
    {
        Console.WriteLine($"| large {largeSize / 1024} KB | {variants[v].Name} | {Median(largeResults[v], x => x.OpsPerSecond):N0} | {Median(largeResults[v], x => x.P50):N1} | {Median(largeResults[v], x => x.P99):N1} | {Median(largeResults[v], x => x.BytesPerOp):N0} |");
    }
}

return;

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static double Median(List<Result> list, Func<Result, double> pick)
{
    var sorted = list.Select(pick).Order().ToArray();
    return sorted[sorted.Length / 2];
}

async ValueTask Kv(int i)
{
    if ((i & 1) == 0)
    {
        await kv.GetAsync(keys[i % keys.Length]);
    }
    else
    {
        await kv.SetAsync(keys[i % keys.Length], value);
    }
}

async ValueTask Se(int i)
{
    if ((i & 1) == 0)
    {
        await db.StringGetAsync(seKeys[i % seKeys.Length]);
    }
    else
    {
        await db.StringSetAsync(seKeys[i % seKeys.Length], seValue);
    }
}

async Task KvBatch()
{
    var batch = kv.CreateBatch();
    var gets = new ValueTask<KvValue>[500];
    var sets = new ValueTask<bool>[500];
    for (int i = 0; i < 500; i++)
    {
        gets[i] = batch.GetAsync(keys[i * 2]);
        sets[i] = batch.SetAsync(keys[(i * 2) + 1], value);
    }

    batch.Execute();
    for (int i = 0; i < 500; i++)
    {
        await gets[i];
        await sets[i];
    }
}

async Task SeBatch()
{
    var batch = db.CreateBatch();
    var tasks = new Task[1000];
    for (int i = 0; i < 500; i++)
    {
        tasks[i * 2] = batch.StringGetAsync(seKeys[i * 2]);
        tasks[(i * 2) + 1] = batch.StringSetAsync(seKeys[(i * 2) + 1], seValue);
    }

    batch.Execute();
    await Task.WhenAll(tasks);
}

async Task<Result> Measure(Func<int, Task<long>> run, double duration)
{
    Latencies.Reset();
    Clock.Stop = Stopwatch.GetTimestamp() + (long)(duration * Stopwatch.Frequency);
    GC.Collect();
    long allocated = GC.GetTotalAllocatedBytes(precise: true);
    long start = Stopwatch.GetTimestamp();
    long ops = await run(0);
    double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
    long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
    var (p50, p99) = Latencies.Percentiles();
    return new Result(ops / elapsed, p50, p99, (double)bytes / ops);
}

async Task<long> Callers(int count, Func<int, int, ValueTask> op)
{
    var tasks = new Task<long>[count];
    for (int c = 0; c < count; c++)
    {
        int caller = c;
        tasks[c] = Task.Run(async () =>
        {
            long n = 0;
            var samples = Latencies.For(caller);
            while (Stopwatch.GetTimestamp() < Clock.Stop)
            {
                long t0 = Stopwatch.GetTimestamp();
                await op(caller, (int)n + caller);
                samples.Add(Stopwatch.GetTimestamp() - t0);
                n++;
            }

            return n;
        });
    }

    long total = 0;
    foreach (var t in tasks)
    {
        total += await t;
    }

    return total;
}

async Task<long> Batches(Func<Task> batch)
{
    long n = 0;
    var samples = Latencies.For(0);
    while (Stopwatch.GetTimestamp() < Clock.Stop)
    {
        long t0 = Stopwatch.GetTimestamp();
        await batch();
        samples.Add(Stopwatch.GetTimestamp() - t0);
        n += 1000;
    }

    return n;
}

internal readonly record struct Result(double OpsPerSecond, double P50, double P99, double BytesPerOp);

/// <summary>When the current measurement ends (a timestamp).</summary>
internal static class Clock
{
    public static long Stop;
}

/// <summary>Per-caller preallocated latency samples (timestamps), so measuring allocates nothing.</summary>
internal sealed class Latencies
{
    private static readonly Latencies[] All = Enumerable.Range(0, 1000).Select(_ => new Latencies()).ToArray();
    private readonly long[] _samples = new long[100_000];
    private int _count;

    public static Latencies For(int caller) => All[caller];

    public static void Reset()
    {
        foreach (var l in All)
        {
            l._count = 0;
        }
    }

    public static (double P50, double P99) Percentiles()
    {
        var all = All.SelectMany(l => l._samples.Take(l._count)).ToArray();
        if (all.Length == 0)
        {
            return (0, 0);
        }

        Array.Sort(all);
        double toMicros = 1_000_000.0 / Stopwatch.Frequency;
        return (all[all.Length / 2] * toMicros, all[(int)(all.Length * 0.99)] * toMicros);
    }

    public void Add(long ticks)
    {
        if (_count < _samples.Length)
        {
            _samples[_count++] = ticks;
        }
    }
}
