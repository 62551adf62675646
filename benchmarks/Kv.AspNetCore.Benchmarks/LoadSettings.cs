using System.Globalization;

namespace Kv.AspNetCore.Benchmarks;

/// <summary>The load harness's command line (<c>load --seconds 2 --callers 1,100,1000 …</c>).</summary>
internal sealed class LoadSettings
{
    public const string Usage = """
        Usage: Kv.AspNetCore.Benchmarks load [options]
               Kv.AspNetCore.Benchmarks allocations [options]   (one caller: the types each call allocates)
               Kv.AspNetCore.Benchmarks leaderboard [options]   (top 10 and rank reads on 100,000 members; --operations ignored)
               Kv.AspNetCore.Benchmarks ratelimit [options]     (rate-limit decisions: Kv vs RedisRateLimiting; servers redis,kv)
          --seconds S            length of one measured run (default 2)
          --warmup S             unmeasured run of each contender before each row (default 1)
          --repeats N            measured runs of each contender per row; the table shows medians (default 3)
          --callers LIST         concurrent callers for the redis-server and kv-server rows (default 1,100,1000)
          --embedded-callers LIST concurrent callers for the embedded rows (default 1,100)
          --operations LIST      get-sliding,get-absolute,set,refresh (default: all)
          --servers LIST         redis,kv,embedded (default: all)
          --server-cpu N         pin the spawned servers to this core with taskset (default: not pinned)
          --value-size BYTES     size of a cached value (default 256)
          --keys N               entries per operation (default 1000)
          --min-threads N        thread pool's minimum worker threads (default 8; 0: the runtime's default)
          --near                 add a 'Kv near' contender: the Kv cache with KvCacheOptions.NearCache on
          --redis-server PATH    redis-server to start (default /usr/bin/redis-server)
          --kv-server PATH       Kv.Server.dll to start (default src/Kv.Server/bin/Release/net10.0/Kv.Server.dll)
        Run it pinned to the other core: taskset -c 1 dotnet …/Kv.AspNetCore.Benchmarks.dll load --server-cpu 0
        """;

    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(1);

    public int Repeats { get; set; } = 3;

    public IReadOnlyList<int> Callers { get; set; } = [1, 100, 1000];

    public IReadOnlyList<int> EmbeddedCallers { get; set; } = [1, 100];

    public IReadOnlyList<CacheOperation> Operations { get; set; } = CacheOperations.All;

    public IReadOnlyList<string> Servers { get; set; } = ["redis", "kv", "embedded"];

    public int? ServerCpu { get; set; }

    public int ValueSize { get; set; } = 256;

    public int Keys { get; set; } = 1000;

    /// <summary>
    /// The thread pool's minimum worker threads. StackExchange.Redis 2.7's backlog processor (writes queued
    /// while its write lock is contended) blocks a pool thread in WaitOne; on one core the pool starts
    /// with one thread, so without this every contender in the process stalls for the ~0.5 s the pool
    /// takes to add a thread.
    /// </summary>
    public int MinThreads { get; set; } = 8;

    /// <summary>Adds the near-cache contender (hook for the near cache: see <see cref="Contenders"/>).</summary>
    public bool Near { get; set; }

    public string RedisServer { get; set; } = "/usr/bin/redis-server";

    public string? KvServer { get; set; }

    public int MaxCallers => Math.Max(Callers.Max(), EmbeddedCallers.Max());

    /// <exception cref="ArgumentException">An option is unknown or its value is out of range; the message names it.</exception>
    public static LoadSettings Parse(ReadOnlySpan<string> args)
    {
        var settings = new LoadSettings();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--near")
            {
                settings.Near = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.\n{Usage}");
            }

            string value = args[++i];
            switch (name)
            {
                case "--seconds": settings.Duration = Seconds(name, value); break;
                case "--warmup": settings.Warmup = Seconds(name, value, allowZero: true); break;
                case "--repeats": settings.Repeats = Positive(name, value); break;
                case "--callers": settings.Callers = PositiveList(name, value); break;
                case "--embedded-callers": settings.EmbeddedCallers = PositiveList(name, value); break;
                case "--operations": settings.Operations = OperationList(value); break;
                case "--servers": settings.Servers = ServerList(value); break;
                case "--server-cpu": settings.ServerCpu = NonNegative(name, value); break;
                case "--value-size": settings.ValueSize = Positive(name, value); break;
                case "--keys": settings.Keys = Positive(name, value); break;
                case "--min-threads": settings.MinThreads = NonNegative(name, value); break;
                case "--redis-server": settings.RedisServer = value; break;
                case "--kv-server": settings.KvServer = value; break;
                default: throw new ArgumentException($"Unknown option {name}.\n{Usage}");
            }
        }

        return settings;
    }

    private static TimeSpan Seconds(string name, string value, bool allowZero = false)
    {
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds < 0 || (seconds == 0 && !allowZero))
        {
            throw new ArgumentException($"{name} {value}: expected a positive number of seconds.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static int Positive(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n
            : throw new ArgumentException($"{name} {value}: expected a positive whole number.");

    private static int NonNegative(string name, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new ArgumentException($"{name} {value}: expected a whole number (0 or more).");

    private static int[] PositiveList(string name, string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new ArgumentException($"{name} is empty: give one or more counts, such as 1,100,1000.");
        }

        var counts = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            counts[i] = Positive(name, parts[i]);
        }

        return counts;
    }

    private static CacheOperation[] OperationList(string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var operations = new CacheOperation[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            operations[i] = CacheOperations.Parse(parts[i]);
        }

        return operations.Length > 0 ? operations : throw new ArgumentException("--operations is empty: give some of get-sliding,get-absolute,set,refresh.");
    }

    private static string[] ServerList(string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var part in parts)
        {
            if (part is not ("redis" or "kv" or "embedded"))
            {
                throw new ArgumentException($"--servers: unknown server '{part}'; expected some of redis,kv,embedded.");
            }
        }

        return parts.Length > 0 ? parts : throw new ArgumentException("--servers is empty: give some of redis,kv,embedded.");
    }
}
