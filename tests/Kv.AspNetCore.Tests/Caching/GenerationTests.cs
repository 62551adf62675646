using System.Text;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// Kv:Cache:UseGenerations, on the embedded server and on redis-server: a clear is one command, its
/// entries vanish on every app instance sharing the server once the server's report arrives, the
/// sweep removes them afterwards, and with the option off the keys stay in Microsoft's layout.
/// </summary>
public sealed class GenerationTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly string _instance = $"g{Guid.NewGuid():N}:";

    /// <summary>Every server, with the near cache off (generations' own broadcast client) and on (the near cache's client).</summary>
    public static TheoryData<string, bool> ServersAndNearCache()
    {
        var data = new TheoryData<string, bool>();
        foreach (string server in RedisFixture.Servers)
        {
            data.Add(server, false);
            data.Add(server, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ClearIsOneCommandAndTheSweepRunsAfterItReturns(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var generation = app.Services.GetRequiredService<CacheGeneration>();
        var kv = app.Kv();
        var entries = Enumerable.Range(0, 50).Select(i => KeyValuePair.Create($"k{i}", Encoding.UTF8.GetBytes($"v{i}"))).ToList();
        await cache.SetManyAsync(entries, new DistributedCacheEntryOptions());
        string before = await GenerationAsync(kv);
        KvValue[] old = entries.Select(e => (KvValue)$"{_instance}{before}:{e.Key}").ToArray();
        Assert.Equal(old.Length, (await kv.ExecuteAsync("EXISTS", old)).AsInt64());

        // Other keys: another instance name that starts the same, a key under the instance that is no entry.
        KvValue[] others = [$"{_instance.TrimEnd(':')}x:{before}:k1", $"{_instance}{before}x", $"{_instance}0{before}:k1"];
        foreach (var other in others)
        {
            await kv.ExecuteAsync("SET", other, "keep");
        }

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        generation.SweepGate = () => gate.Task;
        await kv.ExecuteAsync("SCRIPT", "LOAD", CacheGeneration.Move.Source);
        var calls = await CallsAsync(kv);

        Assert.Equal(0, await cache.ClearAsync().WaitAsync(Deadline));

        // One script call, and nothing else: no SCAN, no UNLINK before ClearAsync returned.
        var after = await CallsAsync(kv);
        Assert.Equal(1, after.EvalSha - calls.EvalSha);
        Assert.Equal(0, after.Eval - calls.Eval);
        Assert.Equal(0, after.Scan - calls.Scan);
        Assert.Equal(0, after.Unlink - calls.Unlink);
        string current = await GenerationAsync(kv);
        Assert.True(long.Parse(current) > long.Parse(before), $"generation {current} after {before}");

        // The old entries are still on the server, and invisible.
        Assert.Equal(old.Length, (await kv.ExecuteAsync("EXISTS", old)).AsInt64());
        Assert.Null(await cache.GetAsync("k0"));
        Assert.All((await cache.GetManyAsync(["k1", "k2"])).Values, Assert.Null);

        // Written in the new generation before the sweep starts: the sweep must leave it.
        await cache.SetStringAsync("k3", "new");
        Assert.Equal(1, (await kv.ExecuteAsync("EXISTS", $"{_instance}{current}:k3")).AsInt64());

        gate.SetResult();
        await UntilAsync(async () => (await kv.ExecuteAsync("EXISTS", old)).AsInt64() == 0, "the sweep to remove the old generation's keys");

        Assert.Equal("new", await cache.GetStringAsync("k3"));
        Assert.Equal(others.Length, (await kv.ExecuteAsync("EXISTS", others)).AsInt64());
        Assert.Equal(current, await GenerationAsync(kv));
    }

    [Theory]
    [MemberData(nameof(ServersAndNearCache))]
    public async Task AClearReachesTheOtherInstanceAndNewEntriesAreShared(string server, bool nearCache)
    {
        var (first, second) = await StartTwoAsync(server, nearCache);
        await using var _ = first;
        await using var __ = second;
        var a = first.Services.GetRequiredService<KvDistributedCache>();
        var b = second.Services.GetRequiredService<KvDistributedCache>();
        var seenBySecond = second.Services.GetRequiredService<CacheGeneration>();

        // Twice: after a report the server tracks the key no more; the second clear reaches the
        // second instance only if it read the generation again, tracked.
        for (int round = 0; round < 2; round++)
        {
            await a.SetStringAsync("k", $"old{round}");
            await a.SetStringAsync("k2", $"two{round}");
            Assert.Equal($"old{round}", await b.GetStringAsync("k"));
            Assert.Equal($"old{round}", await b.GetStringAsync("k"));

            // The second instance learns of the clear from the server's report, awaited (not slept for).
            var reported = GenerationReported(seenBySecond);
            await a.ClearAsync();
            await reported.WaitAsync(Deadline);

            Assert.Null(await a.GetStringAsync("k"));
            Assert.Null(await b.GetStringAsync("k"));
            Assert.Null((await b.GetManyAsync(["k2"]))["k2"]);

            await b.SetStringAsync("k", $"new{round}");
            Assert.Equal($"new{round}", await a.GetStringAsync("k"));
            await a.SetStringAsync("k2", $"after{round}");
            Assert.Equal($"after{round}", await b.GetStringAsync("k2"));
        }
    }

    [Theory]
    [MemberData(nameof(ServersAndNearCache))]
    public async Task OperationsThatFindTheGenerationUnknownShareOneReadAndTheNextOnesNone(string server, bool nearCache)
    {
        var (first, second) = await StartTwoAsync(server, nearCache);
        await using var _ = first;
        await using var __ = second;
        var a = first.Services.GetRequiredService<KvDistributedCache>();
        var b = second.Services.GetRequiredService<KvDistributedCache>();
        var kv = first.Kv();
        await a.SetStringAsync("k", "v");
        Assert.Equal("v", await b.GetStringAsync("k"));
        var reported = GenerationReported(second.Services.GetRequiredService<CacheGeneration>());
        await a.ClearAsync();
        await reported.WaitAsync(Deadline);
        await a.SetStringAsync("k", "after");

        // The cache reads entries with HMGET: GET is the generation's read alone.
        long gets = await kv.CommandCallsAsync("get");
        var reads = Enumerable.Range(0, 50).Select(i => b.GetStringAsync(i % 2 == 0 ? "k" : $"missing{i}")).ToArray();
        var values = await Task.WhenAll(reads);
        Assert.Equal(1, await kv.CommandCallsAsync("get") - gets);
        Assert.All(values.Where((_, i) => i % 2 == 0), value => Assert.Equal("after", value));

        await b.SetStringAsync("k2", "two");
        await b.RemoveAsync("k2");
        Assert.Null(await b.GetStringAsync("k2"));
        Assert.Equal(1, await kv.CommandCallsAsync("get") - gets);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ALostGenerationKeyStartsANewGenerationAndBringsNothingBack(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var generation = app.Services.GetRequiredService<CacheGeneration>();
        var kv = app.Kv();

        // Sweeps held back: the entries of every earlier generation stay on the server.
        generation.SweepGate = () => new TaskCompletionSource().Task;
        await cache.SetStringAsync("k", "first");
        string first = await GenerationAsync(kv);
        await cache.ClearAsync();
        await cache.SetStringAsync("k", "second");
        string second = await GenerationAsync(kv);

        // As an eviction would: the key goes, the entries stay.
        var reported = GenerationReported(generation);
        await kv.ExecuteAsync("DEL", generation.Key);
        await reported.WaitAsync(Deadline);

        Assert.Null(await cache.GetStringAsync("k"));
        string third = await GenerationAsync(kv);
        Assert.True(long.Parse(third) > long.Parse(second), $"generation {third} after {second}");
        Assert.Equal("first", (await kv.EntryAsync($"{_instance}{first}:k")).Data);
        Assert.Equal("second", (await kv.EntryAsync($"{_instance}{second}:k")).Data);
        await cache.SetStringAsync("k", "third");
        Assert.Equal("third", await cache.GetStringAsync("k"));
    }

    [Theory]
    [InlineData("shop:5:cart", true)]
    [InlineData("shop:0:cart", true)]
    [InlineData("shop:9:", true)]
    [InlineData("shop:10:cart", false)]
    [InlineData("shop:12:cart", false)]
    [InlineData("shop:05:cart", false)]
    [InlineData("shop:5cart", false)]
    [InlineData("shop::cart", false)]
    [InlineData("shop:-1:cart", false)]
    [InlineData("shop:__generation", false)]
    [InlineData("shopx:5:cart", false)]
    [InlineData("shop:99999999999999999999:cart", false)]
    public void TheSweepTakesOnlyEntriesOfOlderGenerations(string key, bool taken)
        => Assert.Equal(taken, CacheGeneration.IsEntryOfGenerationBelow(Encoding.UTF8.GetBytes(key), "shop:"u8, below: 10));

    [Fact]
    public async Task GenerationsWithoutAnInstanceNameFailTheStartNamingBothKeys()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(
            () => TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { ["Kv:Cache:UseGenerations"] = "true" }));

        Assert.Contains("Kv:Cache:UseGenerations", failure.Message);
        Assert.Contains("Kv:Cache:InstanceName", failure.Message);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task TheCacheOverAClientWithoutTrackingRefusesGenerations(string server)
    {
        await using var app = await TestApp.StartAsync(s => s.AddKv(), settings: fixture.Settings(server));
        var options = Options.Create(new KvOptions { Cache = { InstanceName = _instance, UseGenerations = true } });

        var refused = Assert.Throws<ArgumentException>(() => new KvDistributedCache(app.Kv(), options));

        Assert.Contains("Tracking", refused.Message);
        Assert.Contains("UseGenerations", refused.Message);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task WithGenerationsOffTheKeysStayInMicrosoftsLayout(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = _instance;
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var kv = app.Kv();

        await cache.SetStringAsync("k", "v");
        await cache.SetManyAsync([KeyValuePair.Create("m", new byte[] { 1 })], new DistributedCacheEntryOptions());

        Assert.Equal("v", (await kv.EntryAsync(_instance + "k")).Data);
        Assert.Equal(1, (await kv.ExecuteAsync("EXISTS", _instance + "m")).AsInt64());
        Assert.Equal("v", await cache.GetStringAsync("k"));
        Assert.Equal(2, await cache.ClearAsync());
        Assert.Equal(0, (await kv.ExecuteAsync("EXISTS", _instance + "k", _instance + "m", CacheGeneration.KeyOf(_instance))).AsInt64());
    }

    private async Task<TestApp> StartAsync(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = _instance;
        settings["Kv:Cache:UseGenerations"] = "true";
        return await TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
    }

    private async Task<(TestApp First, TestApp Second)> StartTwoAsync(string server, bool nearCache)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = _instance;
        settings["Kv:Cache:UseGenerations"] = "true";
        settings["Kv:Cache:NearCache:Enabled"] = nearCache ? "true" : "false";
        var first = await TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
        settings["Kv:Endpoint"] = $"redis://127.0.0.1:{first.ServerPort()}";
        var second = await TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
        return (first, second);
    }

    private async Task<string> GenerationAsync(KvClient kv)
        => (await kv.ExecuteAsync("GET", CacheGeneration.KeyOf(_instance))).AsString() ?? throw new InvalidOperationException("No generation key.");

    /// <summary>Completes when the server reports a change of the generation key to <paramref name="generation"/>'s client (after the cache has handled it: handlers run in order).</summary>
    private static Task GenerationReported(CacheGeneration generation)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnInvalidated(KvInvalidation invalidation)
        {
            foreach (var key in invalidation.Keys)
            {
                if (key.ToString() == generation.Key)
                {
                    generation.Client.Invalidated -= OnInvalidated;
                    done.TrySetResult();
                }
            }
        }

        generation.Client.Invalidated += OnInvalidated;
        return done.Task;
    }

    private static async Task<(long EvalSha, long Eval, long Scan, long Unlink)> CallsAsync(KvClient kv)
        => (await kv.CommandCallsAsync("evalsha"), await kv.CommandCallsAsync("eval"), await kv.CommandCallsAsync("scan"), await kv.CommandCallsAsync("unlink"));

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }
}
