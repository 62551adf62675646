using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Caching.StackExchangeRedis;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// The comparison: Kv's cache against Microsoft's on the same redis-server and on the same kv-server
/// (each its own process, on the server core), then Kv's cache on an embedded server through the
/// in-memory pipe against loopback TCP. Tables go to standard output as markdown; progress to
/// standard error.
/// </summary>
internal static class LoadHarness
{
    public static async Task<int> RunAsync(LoadSettings settings)
    {
        ApplyMinThreads(settings);
        var workload = new CacheWorkload(settings.Keys, settings.ValueSize);
        var loop = new ClosedLoop(workload, settings.MaxCallers);
        WriteHeader(settings);

        if (settings.Servers.Contains("redis"))
        {
            await using var redis = await ServerProcess.StartRedisAsync(settings.RedisServer, settings.ServerCpu);
            await CompareAsync(ServerTitle(RedisVersion(settings.RedisServer), settings), await ExternalContendersAsync(redis.Port, settings), settings.Callers, settings, workload, loop, redis.CpuTime);
        }

        if (settings.Servers.Contains("kv"))
        {
            await using var kv = await ServerProcess.StartKvAsync(settings.KvServer, settings.ServerCpu);
            await CompareAsync(ServerTitle("kv-server (this tree's Release build, its own process)", settings), await ExternalContendersAsync(kv.Port, settings), settings.Callers, settings, workload, loop, kv.CpuTime);
        }

        if (settings.Servers.Contains("embedded"))
        {
            var apps = new List<CacheApp>
            {
                await CacheApp.EmbeddedAsync("in-memory pipe", KvEmbeddedTransport.InMemory),
                await CacheApp.EmbeddedAsync("loopback TCP", KvEmbeddedTransport.Loopback),
            };
            await CompareAsync("Kv cache on its embedded server (in this process, AOF off): in-memory pipe vs loopback TCP", apps, settings.EmbeddedCallers, settings, workload, loop);
        }

        Console.WriteLine();
        Console.WriteLine($"Load average at the end: {LoadAverage()}.");
        return 0;
    }

    /// <summary>
    /// Where each contender's bytes per call go (<c>allocations</c> mode): one caller per operation, the
    /// allocated types sampled by <see cref="AllocationSampler"/>, the largest shown with their share of
    /// the measured bytes per call.
    /// </summary>
    public static async Task<int> AllocationsAsync(LoadSettings settings)
    {
        ApplyMinThreads(settings);
        var workload = new CacheWorkload(settings.Keys, settings.ValueSize);
        var loop = new ClosedLoop(workload, 1);
        using var sampler = new AllocationSampler();
        Console.WriteLine("## Allocations per call by type (one caller; sampled by the runtime's allocation ticks)");
        foreach (string server in settings.Servers)
        {
            await using var process = server switch
            {
                "redis" => await ServerProcess.StartRedisAsync(settings.RedisServer, settings.ServerCpu),
                "kv" => await ServerProcess.StartKvAsync(settings.KvServer, settings.ServerCpu),
                _ => null,
            };
            var apps = process is null
                ? [await CacheApp.EmbeddedAsync("Kv in-memory pipe", KvEmbeddedTransport.InMemory)]
                : await ExternalContendersAsync(process.Port, settings);
            try
            {
                foreach (var app in apps)
                {
                    await workload.FillAsync(app.Cache);
                    foreach (var operation in settings.Operations)
                    {
                        await loop.RunAsync(app.Cache, operation, 1, settings.Warmup);
                        sampler.Start();
                        var m = await loop.RunAsync(app.Cache, operation, 1, settings.Duration);
                        var shares = sampler.Stop();
                        Console.WriteLine();
                        Console.WriteLine(FormattableString.Invariant($"### {app.Name} on {process?.Name ?? "its embedded server"}: {CacheOperations.Title(operation)}, {m.BytesPerOp:N0} B/op"));
                        Console.WriteLine();
                        Console.WriteLine("| type | share | ≈ B/op |");
                        Console.WriteLine("|---|---:|---:|");
                        foreach (var (type, share) in shares.Take(12))
                        {
                            Console.WriteLine(FormattableString.Invariant($"| `{type}` | {share:P0} | {share * m.BytesPerOp:N0} |"));
                        }
                    }
                }
            }
            finally
            {
                foreach (var app in apps)
                {
                    await app.DisposeAsync();
                }
            }
        }

        return 0;
    }

    /// <summary>
    /// The caches compared on one external server. The near-cache hook: <c>--near</c> adds Kv's cache with
    /// <see cref="KvCacheOptions.NearCache"/> on; once every key has been read in the warm-up, its Get rows
    /// measure near-cache hits (a Set or Refresh still goes to the server). Until the near cache is built,
    /// that contender takes the same path as "Kv".
    /// </summary>
    private static async Task<List<CacheApp>> ExternalContendersAsync(int port, LoadSettings settings)
    {
        var apps = new List<CacheApp>
        {
            await CacheApp.KvAsync("Kv", port),
            await CacheApp.MicrosoftAsync("Microsoft", port),
        };
        if (settings.Near)
        {
            apps.Add(await CacheApp.KvAsync("Kv near", port, near: true));
        }

        return apps;
    }

    private static async Task CompareAsync(string title, List<CacheApp> apps, IReadOnlyList<int> callers, LoadSettings settings, CacheWorkload workload, ClosedLoop loop, Func<TimeSpan>? serverCpu = null)
    {
        try
        {
            foreach (var app in apps)
            {
                await workload.FillAsync(app.Cache);
            }

            var table = new ComparisonTable(title, apps.Select(a => a.Name).ToArray(), serverCpu is not null);
            foreach (var operation in settings.Operations)
            {
                foreach (int count in callers)
                {
                    foreach (var app in apps)
                    {
                        if (settings.Warmup > TimeSpan.Zero)
                        {
                            await loop.RunAsync(app.Cache, operation, count, settings.Warmup);
                        }
                    }

                    var runs = apps.Select(_ => new List<Measurement>()).ToArray();
                    for (int repeat = 0; repeat < settings.Repeats; repeat++)
                    {
                        // Each repeat starts with the next contender, so drift on a shared machine hits all alike.
                        for (int j = 0; j < apps.Count; j++)
                        {
                            int a = (repeat + j) % apps.Count;
                            var m = await loop.RunAsync(apps[a].Cache, operation, count, settings.Duration, serverCpu);
                            runs[a].Add(m);
                            Console.Error.WriteLine(FormattableString.Invariant(
                                $"{title[..Math.Min(title.Length, 24)]} | {CacheOperations.Title(operation)} | {count} callers | {apps[a].Name}: {m.OpsPerSecond:N0} ops/s, p99 {m.P99:N0} µs, {m.BytesPerOp:N0} B/op, CPU {m.ClientCpuMicroseconds:N1} / {m.ServerCpuMicroseconds:N1} µs{(m.Misses > 0 ? $", {m.Misses} MISSES" : "")}"));
                        }
                    }

                    table.Add(operation, count, runs);
                }
            }

            table.Write(Console.Out);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync();
            }
        }
    }

    private static void WriteHeader(LoadSettings settings)
    {
        Console.WriteLine("## IDistributedCache: Kv.AspNetCore's KvDistributedCache vs Microsoft.Extensions.Caching.StackExchangeRedis");
        Console.WriteLine();
        Console.WriteLine(FormattableString.Invariant($"- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {RuntimeInformation.FrameworkDescription}, cores {OnlineCpus()} online, load average {LoadAverage()} at the start"));
        Console.WriteLine($"- Microsoft.Extensions.Caching.StackExchangeRedis {VersionOf(typeof(RedisCache).Assembly)} on StackExchange.Redis {VersionOf(typeof(StackExchange.Redis.ConnectionMultiplexer).Assembly)}");
        ThreadPool.GetMinThreads(out int minWorkers, out _);
        Console.WriteLine($"- servers pinned to core {(settings.ServerCpu?.ToString(CultureInfo.InvariantCulture) ?? "(none)")}; this harness on cores {AllowedCpus()}, thread pool minimum {minWorkers} workers (SE.Redis's backlog processor blocks one)");
        Console.WriteLine(FormattableString.Invariant(
            $"- each cell: median of {settings.Repeats} runs of {settings.Duration.TotalSeconds} s per contender, after a {settings.Warmup.TotalSeconds} s warm-up of each; the contender that runs first rotates"));
        Console.WriteLine(FormattableString.Invariant(
            $"- {settings.ValueSize}-byte values, {settings.Keys:N0} keys per operation; sliding entries 20 min, absolute 1 h; Set writes a sliding entry"));
        Console.WriteLine("- B/op: GC.GetTotalAllocatedBytes over the run / calls (every thread of this process: the client's reply reader too; for the embedded rows, the server's allocations as well)");
        Console.WriteLine("- server CPU µs/call: the server process's CPU time (/proc, all threads) over the run / calls: what each call costs the server's core");
        Console.Out.Flush();
    }

    private static void ApplyMinThreads(LoadSettings settings)
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        if (settings.MinThreads > workers)
        {
            ThreadPool.SetMinThreads(settings.MinThreads, io);
        }
    }

    private static string ServerTitle(string server, LoadSettings settings)
        => settings.ServerCpu is { } core ? $"{server}, pinned to core {core}" : server;

    private static string RedisVersion(string path)
    {
        try
        {
            var info = new ProcessStartInfo(path, "--version") { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(info)!;
            string line = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();

            // "Redis server v=7.0.15 sha=… malloc=…"
            int v = line.IndexOf("v=", StringComparison.Ordinal);
            return v >= 0 ? "redis-server " + line[(v + 2)..].Split(' ')[0] : "redis-server";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "redis-server";
        }
    }

    private static string VersionOf(Assembly assembly)
        => assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? assembly.GetName().Version?.ToString() ?? "?";

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string OnlineCpus()
        => File.Exists("/sys/devices/system/cpu/online") ? File.ReadAllText("/sys/devices/system/cpu/online").Trim() : Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);

    private static string AllowedCpus()
    {
        if (File.Exists("/proc/self/status"))
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                {
                    return line["Cpus_allowed_list:".Length..].Trim();
                }
            }
        }

        return "?";
    }
}
