namespace Kv.AspNetCore.Benchmarks;

/// <summary>
/// IDistributedCache load: <c>dotnet run -c Release --project benchmarks/Kv.AspNetCore.Benchmarks -- load --seconds 2</c>;
/// <c>benchmarks/cache-benchmark.sh</c> builds, pins and runs the whole comparison. <c>allocations</c> (same
/// options) shows which types each contender's calls allocate. <c>leaderboard</c> (same options; <c>benchmarks/leaderboard-benchmark.sh</c>)
/// measures leaderboard reads on 100,000 members; <c>ratelimit</c> (same options; servers redis,kv) compares rate-limit
/// decisions (<c>benchmarks/ratelimit-benchmark.sh</c>).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "cache-attribute")
        {
            return CacheAttributeBenchmarks.Run(args[1..]);
        }

        if (args.Length == 0 || args[0] is not ("load" or "allocations" or "leaderboard" or "ratelimit") || args.Contains("--help") || args.Contains("-h"))
        {
            Console.Error.WriteLine(LoadSettings.Usage);
            return 2;
        }

        LoadSettings settings;
        try
        {
            settings = LoadSettings.Parse(args.AsSpan(1));
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        return args[0] switch
        {
            "load" => await LoadHarness.RunAsync(settings),
            "leaderboard" => await LeaderboardLoad.RunAsync(settings),
            "ratelimit" => await RateLimitLoad.RunAsync(settings),
            _ => await LoadHarness.AllocationsAsync(settings),
        };
    }
}
