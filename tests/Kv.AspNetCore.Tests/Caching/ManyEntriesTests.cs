using System.Text;
using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>GetMany, SetMany, RemoveMany and Clear, on the embedded server and on redis-server.</summary>
public sealed class ManyEntriesTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _instance = $"{Guid.NewGuid():N}:";

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task SetManyAndGetManyEachTakeOneRoundTrip(string server)
    {
        await using var app = await StartAsync(server);
        var counter = new FlushCounter();
        await using var client = await counter.ConnectAsync(app.ServerPort());
        var cache = new KvDistributedCache(client, Options.Create(new KvOptions { Cache = { InstanceName = _instance } }));
        var entries = Enumerable.Range(0, 20).Select(i => KeyValuePair.Create($"k{i}", Encoding.UTF8.GetBytes($"v{i}"))).ToList();

        int before = counter.Flushes;
        await cache.SetManyAsync(entries, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        Assert.Equal(1, counter.Flushes - before);

        // The script is on the server, as it is after the first read (GetManyLoadsTheScriptAgain… covers the other case).
        await client.ExecuteAsync("SCRIPT", "LOAD", CacheEntryLayout.GetAndRefresh.Source);
        before = counter.Flushes;
        var values = await cache.GetManyAsync(["k3", "missing", "k19", "k3", "k0"]);
        Assert.Equal(1, counter.Flushes - before);

        Assert.Equal(4, values.Count);
        Assert.Equal("v3", Encoding.UTF8.GetString(values["k3"]!));
        Assert.Equal("v19", Encoding.UTF8.GetString(values["k19"]!));
        Assert.Equal("v0", Encoding.UTF8.GetString(values["k0"]!));
        Assert.Null(values["missing"]);

        before = counter.Flushes;
        await cache.RemoveManyAsync(["k0", "k1", "k2", "missing"]);
        Assert.Equal(1, counter.Flushes - before);
        Assert.Equal(17, (await app.Kv().ExecuteAsync("EXISTS", entries.Select(e => (KvValue)(_instance + e.Key)).ToArray())).AsInt64());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task SetManyIsOneTransactionWithEveryTtl(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var kv = app.Kv();
        await cache.SetAsync("old", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        long multi = await kv.CommandCallsAsync("multi");
        long exec = await kv.CommandCallsAsync("exec");
        long hset = await kv.CommandCallsAsync("hset");

        await cache.SetManyAsync(
            [KeyValuePair.Create("old", "x"u8.ToArray()), KeyValuePair.Create("a", "a"u8.ToArray()), KeyValuePair.Create("b", "b"u8.ToArray())],
            new DistributedCacheEntryOptions());

        Assert.Equal(1, await kv.CommandCallsAsync("multi") - multi);
        Assert.Equal(1, await kv.CommandCallsAsync("exec") - exec);
        Assert.Equal(3, await kv.CommandCallsAsync("hset") - hset);

        // No expiry: the old entry's TTL is cleared like the others have none.
        foreach (string key in new[] { "old", "a", "b" })
        {
            Assert.Equal(-1, await kv.PTtlAsync(_instance + key));
            Assert.Equal(("-1", "-1"), await FieldsAsync(kv, _instance + key));
        }

        await cache.SetManyAsync([KeyValuePair.Create("a", "a2"u8.ToArray())], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(30) });
        Assert.InRange(await kv.PTtlAsync(_instance + "a"), 25_000, 30_000);
        Assert.Equal("a2"u8.ToArray(), await cache.GetAsync("a"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task GetManyLoadsTheScriptAgainWhenTheServerLostIt(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        await cache.SetManyAsync([KeyValuePair.Create("a", "1"u8.ToArray()), KeyValuePair.Create("b", "2"u8.ToArray())], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        Assert.NotNull((await cache.GetManyAsync(["a"]))["a"]);

        // As after a server restart: the script cache is empty, so EVALSHA answers NOSCRIPT.
        await app.Kv().ExecuteAsync("SCRIPT", "FLUSH");
        Assert.False((await app.Kv().ExecuteAsync("SCRIPT", "EXISTS", CacheEntryLayout.GetAndRefresh.Sha1))[0].AsBoolean());
        await app.Kv().ExecuteAsync("PEXPIRE", _instance + "b", 1_000);

        var values = await cache.GetManyAsync(["a", "b", "c"]);

        Assert.Equal("1"u8.ToArray(), values["a"]);
        Assert.Equal("2"u8.ToArray(), values["b"]);
        Assert.Null(values["c"]);
        Assert.InRange(await app.Kv().PTtlAsync(_instance + "b"), 50_000, 60_000);
        Assert.True((await app.Kv().ExecuteAsync("SCRIPT", "EXISTS", CacheEntryLayout.GetAndRefresh.Sha1))[0].AsBoolean());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EmptyListsSendNothingAndNullKeysAreRefused(string server)
    {
        await using var app = await StartAsync(server);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();

        Assert.Empty(await cache.GetManyAsync([]));
        await cache.SetManyAsync([], new DistributedCacheEntryOptions());
        await cache.RemoveManyAsync([]);

        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.GetManyAsync(null!));
        await Assert.ThrowsAsync<ArgumentException>(() => cache.GetManyAsync(["a", null!]));
        await Assert.ThrowsAsync<ArgumentException>(() => cache.RemoveManyAsync([null!]));
        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetManyAsync([KeyValuePair.Create("a", (byte[])null!)], new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentNullException>(() => cache.SetManyAsync([KeyValuePair.Create("a", new byte[1])], null!));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cache.SetManyAsync([KeyValuePair.Create("a", new byte[1])], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UtcNow.AddSeconds(-1) }));
        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", _instance + "a")).AsInt64());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ClearRemovesEveryEntryOfTheInstanceAndNothingElse(string server)
    {
        // Glob characters in the instance name: unescaped, "c[1]*:" would also match "c1x:…".
        string instance = $"c[1]*:{Guid.NewGuid():N}:";
        await using var app = await StartAsync(server, instance);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        var kv = app.Kv();
        string suffix = instance["c[1]*:".Length..];
        await cache.SetManyAsync(Enumerable.Range(0, 2_500).Select(i => KeyValuePair.Create($"k{i}", new byte[] { 1 })), new DistributedCacheEntryOptions());
        KvValue[] others = [$"c1x:{suffix}k1", $"c[1]*{suffix}k1", $"other:{suffix}k1", instance.TrimEnd(':')];
        foreach (var other in others)
        {
            await kv.ExecuteAsync("SET", other, "keep");
        }

        long removed = await cache.ClearAsync();

        Assert.Equal(2_500, removed);
        Assert.Empty(await ScanAsync(kv, instance.Replace("[", "\\[").Replace("]", "\\]").Replace("*", "\\*") + "*"));
        Assert.Equal(others.Length, (await kv.ExecuteAsync("EXISTS", others)).AsInt64());
        Assert.Equal(0, await cache.ClearAsync());
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ClearWithoutAnInstanceNameIsRefused(string server)
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: fixture.Settings(server));
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        string key = $"{Guid.NewGuid():N}";
        await cache.SetAsync(key, [1], new DistributedCacheEntryOptions());

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => cache.ClearAsync());

        Assert.Contains("Kv:Cache:InstanceName", refused.Message);
        Assert.Equal([1], await cache.GetAsync(key));
    }

    private Task<TestApp> StartAsync(string server, string? instance = null)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = instance ?? _instance;
        return TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
    }

    private static async Task<(string?, string?)> FieldsAsync(KvClient kv, string key)
    {
        var (absolute, sliding, _) = await kv.EntryAsync(key);
        return (absolute, sliding);
    }

    private static async Task<List<string>> ScanAsync(KvClient kv, string pattern)
    {
        var keys = new List<string>();
        await foreach (var key in kv.ScanAsync(pattern, 1000))
        {
            keys.Add(key.ToString());
        }

        return keys;
    }
}
