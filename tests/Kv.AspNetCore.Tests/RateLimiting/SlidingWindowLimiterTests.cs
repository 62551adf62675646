using System.Threading.RateLimiting;
using Kv.AspNetCore.RateLimiting;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.RateLimiting;

/// <summary>
/// The limiters outside HTTP (IKvRateLimiterFactory, as a worker uses them), on the embedded server
/// and on redis-server: exactness under 50 parallel callers, Retry-After to the millisecond, permit
/// counts, several limits all or nothing, sub-second windows and keys that expire when idle.
/// </summary>
public sealed class SlidingWindowLimiterTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    public static TheoryData<string, KvSlidingWindowAlgorithm> ServersAndAlgorithms()
    {
        var data = new TheoryData<string, KvSlidingWindowAlgorithm>();
        foreach (string server in RedisFixture.Servers)
        {
            data.Add(server, KvSlidingWindowAlgorithm.Log);
            data.Add(server, KvSlidingWindowAlgorithm.Counter);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ServersAndAlgorithms))]
    public async Task FiftyParallelCallersNeverGetMoreThanTheLimitInAnyWindow(string server, KvSlidingWindowAlgorithm algorithm)
    {
        const int Limit = 25;
        var window = TimeSpan.FromMilliseconds(500);
        await using var app = await StartAsync(server);
        using var limiter = Factory(app).CreatePartitionedLimiter("hammer", p =>
        {
            p.PermitLimit = Limit;
            p.Window = window;
            p.Algorithm = algorithm;
        });
        string user = RateLimitApp.NewUser();

        // A first call loads the script and connects; then 50 callers run for three windows and a bit
        // of the server's clock (every lease carries the server's clock at its decision).
        long w = window.Ticks / TimeSpan.TicksPerMicrosecond;
        long end = ((KvRateLimitLease)await limiter.AcquireAsync("warm-up" + user)).ServerTime + (32 * w / 10);
        var leases = new List<KvRateLimitLease>[50];
        var giveUp = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        await Task.WhenAll(Enumerable.Range(0, 50).Select(c => Task.Run(async () =>
        {
            var mine = leases[c] = [];
            long now = 0;
            while (now < end && DateTime.UtcNow < giveUp)
            {
                var lease = (KvRateLimitLease)await limiter.AcquireAsync(user);
                mine.Add(lease);
                now = lease.ServerTime;
            }
        })));

        var all = leases.SelectMany(l => l).ToList();
        long[] granted = all.Where(l => l.IsAcquired).Select(l => l.ServerTime).Order().ToArray();
        Assert.True(granted.Length >= 2 * Limit, $"{granted.Length} permits granted in 3.2 windows of {Limit} ({all.Count} calls from {all.Min(l => l.ServerTime)} to {all.Max(l => l.ServerTime)}; granted from {granted[0]} to {granted[^1]})");
        Assert.True(all.Count > 2 * granted.Length, $"{all.Count} calls for {granted.Length} permits: the limiter was not saturated");

        if (algorithm == KvSlidingWindowAlgorithm.Log)
        {
            // Exact: at most Limit in any window (t - w, t]...
            Assert.True(MostInAnyWindow(granted, w) <= Limit, $"{MostInAnyWindow(granted, w)} permits within one window of {Limit}: " + Crowded(granted, w, Limit));

            // ...and a call was refused only when the window before it was full.
            foreach (var refused in all.Where(l => !l.IsAcquired))
            {
                int inWindow = CountIn(granted, refused.ServerTime - w, refused.ServerTime);
                Assert.True(inWindow == Limit, $"refused with {inWindow} of {Limit} permits in its window");
            }
        }
        else
        {
            // The documented bound: at most Limit in each fixed window of the server's clock, so at most
            // twice the limit in any sliding one.
            foreach (var slot in granted.GroupBy(t => t / w))
            {
                Assert.True(slot.Count() <= Limit, $"{slot.Count()} permits in one fixed window of {Limit}");
            }

            Assert.True(MostInAnyWindow(granted, w) <= 2 * Limit, $"{MostInAnyWindow(granted, w)} permits within one window of {Limit}");
        }
    }

    [Theory]
    [MemberData(nameof(ServersAndAlgorithms))]
    public async Task RetryAfterIsWhenThePermitsAreFree(string server, KvSlidingWindowAlgorithm algorithm)
    {
        await using var app = await StartAsync(server);
        var window = TimeSpan.FromSeconds(1);
        if (algorithm == KvSlidingWindowAlgorithm.Counter)
        {
            await app.Kv().StartOfNextWindowAsync(window);
        }

        using var limiter = Factory(app).CreateLimiter("retry", RateLimitApp.NewUser(), p =>
        {
            p.PermitLimit = 2;
            p.Window = window;
            p.Algorithm = algorithm;
        });

        Assert.True((await limiter.AcquireAsync(2)).IsAcquired);
        var refused = (KvRateLimitLease)await limiter.AcquireAsync();
        Assert.False(refused.IsAcquired);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.InRange(retryAfter, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2));

        // Judged by the server's clock (the same host's clock as this test's), so a late timer cannot
        // fail it: 150 ms early it is refused, from the time given on it is granted.
        long freeAt = refused.ServerTime + (retryAfter.Ticks / TimeSpan.TicksPerMicrosecond);
        await Task.Delay(retryAfter - TimeSpan.FromMilliseconds(150));
        var early = (KvRateLimitLease)await limiter.AcquireAsync();
        if (early.ServerTime < freeAt)
        {
            Assert.False(early.IsAcquired, $"granted {freeAt - early.ServerTime} µs before Retry-After");
            await UntilAsync(freeAt);
            var late = (KvRateLimitLease)await limiter.AcquireAsync();
            Assert.True(late.ServerTime >= freeAt, "the server's clock is behind this host's");
            Assert.True(late.IsAcquired, $"still refused {late.ServerTime - freeAt} µs after Retry-After");
        }
        else
        {
            Assert.True(early.IsAcquired, $"still refused {early.ServerTime - freeAt} µs after Retry-After");
        }
    }

    [Theory]
    [MemberData(nameof(ServersAndAlgorithms))]
    public async Task PermitCountsAboveOneAreCountedWhole(string server, KvSlidingWindowAlgorithm algorithm)
    {
        await using var app = await StartAsync(server);
        var window = TimeSpan.FromSeconds(30);
        string user = RateLimitApp.NewUser();
        using var limiter = Factory(app).CreateLimiter("bulk", user, p =>
        {
            p.PermitLimit = 10;
            p.Window = window;
            p.Algorithm = algorithm;
        });

        Assert.Equal(6, Remaining(await limiter.AcquireAsync(4)));
        Assert.Equal(1, Remaining(await limiter.AcquireAsync(5)));
        using (var refused = await limiter.AcquireAsync(2))
        {
            Assert.False(refused.IsAcquired);
            Assert.Equal(1, Remaining(refused));
        }

        Assert.Equal(0, Remaining(await limiter.AcquireAsync(1)));
        Assert.False((await limiter.AcquireAsync(1)).IsAcquired);
        Assert.Throws<ArgumentOutOfRangeException>(() => limiter.AcquireAsync(11));

        // The log holds one member per permit granted, never one for a refusal.
        if (algorithm == KvSlidingWindowAlgorithm.Log)
        {
            Assert.Equal(10, (await app.Kv().ExecuteAsync("ZCARD", $"ratelimit:bulk:{user}:0")).AsInt64());
        }

        var statistics = limiter.GetStatistics()!;
        Assert.Equal(3, statistics.TotalSuccessfulLeases);
        Assert.Equal(2, statistics.TotalFailedLeases);
        Assert.Equal(0, statistics.CurrentAvailablePermits);
    }

    [Theory]
    [MemberData(nameof(ServersAndAlgorithms))]
    public async Task SeveralLimitsAreAllOrNothing(string server, KvSlidingWindowAlgorithm algorithm)
    {
        await using var app = await StartAsync(server);
        string user = RateLimitApp.NewUser();
        var second = TimeSpan.FromSeconds(1);
        if (algorithm == KvSlidingWindowAlgorithm.Counter)
        {
            await app.Kv().StartOfNextWindowAsync(second);
        }

        using var limiter = Factory(app).CreateLimiter("multi", user, p =>
        {
            p.PermitLimit = 3;
            p.Window = second;
            p.Algorithm = algorithm;
            p.AdditionalLimits.Add(new KvRateLimit { PermitLimit = 5, Window = TimeSpan.FromMinutes(1), Name = "daily" });
        });

        var first = (KvRateLimitLease)await limiter.AcquireAsync(3);
        Assert.True(first.IsAcquired);
        Assert.Equal((0, 2), (first.RemainingOf(0), first.RemainingOf(1)));

        // Refused by the short limit: the long one gives nothing.
        var refused = (KvRateLimitLease)await limiter.AcquireAsync(2);
        Assert.False(refused.IsAcquired);
        Assert.Equal((0, 2), (refused.RemainingOf(0), refused.RemainingOf(1)));
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
        Assert.True(retryAfter <= second + second, $"Retry-After {retryAfter} for a {second} window");

        // Once the short window has room, the long limit's last two permits go; a third is refused by
        // it alone, with a Retry-After of about its minute, and the short limit keeps its room.
        await UntilAsync(refused.ServerTime + (retryAfter.Ticks / TimeSpan.TicksPerMicrosecond));
        var more = (KvRateLimitLease)await limiter.AcquireAsync(2);
        Assert.True(more.IsAcquired, $"refused {more.ServerTime - refused.ServerTime} µs after a Retry-After of {retryAfter}: {more.RemainingOf(0)} and {more.RemainingOf(1)} left");
        Assert.Equal(0, more.RemainingOf(1));
        var longRefusal = (KvRateLimitLease)await limiter.AcquireAsync(1);
        Assert.False(longRefusal.IsAcquired);
        Assert.Equal(algorithm == KvSlidingWindowAlgorithm.Log ? 1 : Math.Min(1, longRefusal.RemainingOf(0)), longRefusal.RemainingOf(0));
        Assert.True(longRefusal.TryGetMetadata(MetadataName.RetryAfter, out var longWait));

        // The log: when the minute's first permits leave it. The counter: once this fixed minute's count
        // has slid a fifth of the way out of the next one (12 s to 72 s away).
        if (algorithm == KvSlidingWindowAlgorithm.Log)
        {
            Assert.InRange(longWait, TimeSpan.FromSeconds(55), TimeSpan.FromMinutes(1));
        }
        else
        {
            Assert.InRange(longWait, TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(72));
        }

        Assert.True(longRefusal.TryGetMetadata(KvRateLimitMetadata.Remaining, out long tightest));
        Assert.Equal(0, tightest);
    }

    [Theory]
    [MemberData(nameof(ServersAndAlgorithms))]
    public async Task SubSecondWindowsAndIdleKeysExpire(string server, KvSlidingWindowAlgorithm algorithm)
    {
        await using var app = await StartAsync(server);
        string user = RateLimitApp.NewUser();
        var window = TimeSpan.FromMilliseconds(250);
        string key = $"ratelimit:quick:{user}:0";
        using var limiter = Factory(app).CreateLimiter("quick", user, p =>
        {
            p.PermitLimit = 2;
            p.Window = window;
            p.Algorithm = algorithm;
        });

        // The refusal must come within the window of the grant: on a machine too busy for that, try again.
        for (int attempt = 1; ; attempt++)
        {
            var granted = (KvRateLimitLease)await limiter.AcquireAsync(2);
            Assert.True(granted.IsAcquired);

            // The log's key lives one window (and 10 ms) after its last write; the counter's until the end
            // of the next fixed window (and 10 ms), while this window's count still weighs. Checked when the
            // PTTL came within 200 ms of the grant (else the key may rightly be gone: the attempt is retried).
            var sinceGrant = System.Diagnostics.Stopwatch.StartNew();
            long ttl = await app.Kv().PTtlAsync(key);
            bool prompt = sinceGrant.ElapsedMilliseconds < 200;
            if (prompt)
            {
                Assert.InRange(ttl, 1, algorithm == KvSlidingWindowAlgorithm.Log ? 262 : 512);
            }

            var refused = (KvRateLimitLease)await limiter.AcquireAsync();
            if (prompt && refused.ServerTime - granted.ServerTime < 200_000)
            {
                Assert.False(refused.IsAcquired);
                Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter));
                Assert.InRange(retryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(500));
                await UntilAsync(refused.ServerTime + (retryAfter.Ticks / TimeSpan.TicksPerMicrosecond));
                Assert.True((await limiter.AcquireAsync()).IsAcquired);
                break;
            }

            Assert.True(attempt < 5, "five grants and refusals 200 ms apart: too slow to test a 250 ms window");
            await Task.Delay(2 * window);
        }

        // Idle: the key is gone once its time to live has passed.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (await app.Kv().PTtlAsync(key) != -2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the idle key did not expire");
            await Task.Delay(50);
        }
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task PoliciesBindFromConfigurationAndAttemptAcquireNeverGuesses(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:RateLimiting:Policies:jobs:PermitLimit"] = "2";
        settings["Kv:RateLimiting:Policies:jobs:Window"] = "00:01:00";
        settings["Kv:RateLimiting:Policies:jobs:Algorithm"] = "Counter";
        settings["Kv:RateLimiting:Policies:jobs:KeyPrefix"] = "jobs-rl:";
        settings["Kv:RateLimiting:Policies:jobs:AdditionalLimits:0:PermitLimit"] = "10";
        settings["Kv:RateLimiting:Policies:jobs:AdditionalLimits:0:Window"] = "01:00:00";
        await using var app = await TestApp.StartAsync(s => s.AddKvRateLimiting(), settings: settings);
        using var limiter = Factory(app).CreatePartitionedLimiter("jobs");
        string tenant = RateLimitApp.NewUser();

        var lease = (KvRateLimitLease)await limiter.AcquireAsync(tenant);
        Assert.True(lease.IsAcquired);
        Assert.Equal((1, 9), (lease.RemainingOf(0), lease.RemainingOf(1)));
        Assert.Equal("\"jobs\";q=2;w=60, \"jobs-1\";q=10;w=3600", lease.Policy.PolicyHeader);
        Assert.Equal("hash", (await app.Kv().ExecuteAsync("TYPE", $"jobs-rl:jobs:{tenant}:1")).AsString());

        using var attempt = limiter.AttemptAcquire(tenant);
        Assert.False(attempt.IsAcquired);
        Assert.True(attempt.TryGetMetadata(MetadataName.ReasonPhrase, out var reason));
        Assert.Contains("AcquireAsync", reason);
    }

    private static int MostInAnyWindow(long[] sorted, long window)
    {
        int most = 0;
        for (int end = 0, start = 0; end < sorted.Length; end++)
        {
            while (sorted[start] <= sorted[end] - window)
            {
                start++;
            }

            most = Math.Max(most, end - start + 1);
        }

        return most;
    }

    private static string Crowded(long[] sorted, long window, int limit)
    {
        for (int end = 0, start = 0; end < sorted.Length; end++)
        {
            while (sorted[start] <= sorted[end] - window)
            {
                start++;
            }

            if (end - start + 1 > limit)
            {
                return string.Join(' ', sorted[Math.Max(0, start - 2)..Math.Min(sorted.Length, end + 3)].Select(t => t - sorted[start]));
            }
        }

        return "";
    }

    // Permits granted in (from, to].
    private static int CountIn(long[] sorted, long from, long to)
    {
        int count = 0;
        foreach (long t in sorted)
        {
            count += t > from && t <= to ? 1 : 0;
        }

        return count;
    }

    /// <summary>Waits until this host's clock (the servers' too) reaches <paramref name="unixMicroseconds"/>: a timer may fire a millisecond early.</summary>
    private static async Task UntilAsync(long unixMicroseconds)
    {
        long left;
        while ((left = unixMicroseconds - UnixMicroseconds()) > 0)
        {
            await Task.Delay(TimeSpan.FromMicroseconds(left) + TimeSpan.FromMilliseconds(1));
        }
    }

    private static long UnixMicroseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond;

    private static long Remaining(RateLimitLease lease)
        => lease.TryGetMetadata(KvRateLimitMetadata.Remaining, out long remaining) ? remaining : throw new InvalidOperationException("no Remaining metadata");

    private static IKvRateLimiterFactory Factory(TestApp app) => app.Services.GetRequiredService<IKvRateLimiterFactory>();

    private Task<TestApp> StartAsync(string server) => TestApp.StartAsync(s => s.AddKvRateLimiting(), settings: fixture.Settings(server));
}
