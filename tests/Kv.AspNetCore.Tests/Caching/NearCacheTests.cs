using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Embedded;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// The near cache across two app instances on one server (a redis-server, or the first app's embedded
/// server reached over its loopback port): a value changed by one instance is never served stale by
/// the other once the server's invalidation has arrived, and a dropped connection empties it.
/// </summary>
public sealed class NearCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AChangeByAnotherInstanceReachesTheNearCache(string server)
    {
        var (first, second, admin) = await StartTwoAsync(server);
        await using var _ = first;
        await using var __ = second;
        await using var ___ = admin;
        var a = first.Services.GetRequiredService<IDistributedCache>();
        var b = second.Services.GetRequiredService<IDistributedCache>();
        var near = first.Services.GetRequiredService<NearCache>();
        string key = "near:" + Guid.NewGuid().ToString("N");

        await b.SetStringAsync(key, "one");
        Assert.Equal("one", await a.GetStringAsync(key));
        Assert.Equal(1, near.Count);

        // A second read is answered from memory: the server sees no command for it.
        long before = await ScriptCallsAsync(admin);
        Assert.Equal("one", await a.GetStringAsync(key));
        Assert.Equal(before, await ScriptCallsAsync(admin));

        var invalidated = Invalidation(near, key);
        await b.SetStringAsync(key, "two");
        await invalidated.WaitAsync(Deadline);
        Assert.Equal("two", await a.GetStringAsync(key));

        invalidated = Invalidation(near, key);
        await b.RemoveAsync(key);
        await invalidated.WaitAsync(Deadline);
        Assert.Null(await a.GetStringAsync(key));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task SlidingEntriesAndExpiredEntriesAreNotServedFromMemory(string server)
    {
        var (first, second, admin) = await StartTwoAsync(server);
        await using var _ = first;
        await using var __ = second;
        await using var ___ = admin;
        var a = first.Services.GetRequiredService<IDistributedCache>();
        var near = first.Services.GetRequiredService<NearCache>();
        string key = "near:" + Guid.NewGuid().ToString("N");

        await a.SetStringAsync(key, "s", new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(1) });
        Assert.Equal("s", await a.GetStringAsync(key));
        Assert.Equal(0, near.Count);

        await a.SetStringAsync(key, "short", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMilliseconds(300) });
        Assert.Equal("short", await a.GetStringAsync(key));
        Assert.Equal(1, near.Count);
        await Task.Delay(400);
        Assert.Null(await a.GetStringAsync(key));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ALostConnectionEmptiesTheNearCache(string server)
    {
        var (first, second, admin) = await StartTwoAsync(server);
        await using var _ = first;
        await using var __ = second;
        await using var ___ = admin;
        var a = first.Services.GetRequiredService<IDistributedCache>();
        var near = first.Services.GetRequiredService<NearCache>();
        string key = "near:" + Guid.NewGuid().ToString("N");
        await a.SetStringAsync(key, "v");
        Assert.Equal("v", await a.GetStringAsync(key));
        Assert.Equal(1, near.Count);

        var emptied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        near.Client.Invalidated += i =>
        {
            if (i.Reason == KvInvalidationReason.ConnectionLost)
            {
                emptied.TrySetResult();
            }
        };
        long id = (await near.Client.ExecuteAsync("CLIENT", "ID")).AsInt64();
        await admin.ExecuteAsync("CLIENT", "KILL", "ID", id);
        await emptied.Task.WaitAsync(Deadline);
        Assert.Equal(0, near.Count);
        Assert.Equal("v", await a.GetStringAsync(key));
    }

    [Fact]
    public async Task TheNearCacheStaysWithinItsBudget()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(o =>
        {
            o.Cache.NearCache.Enabled = true;
            o.Cache.NearCache.MaxBytes = 64 * 1024;
        }));
        var cache = app.Services.GetRequiredService<IDistributedCache>();
        var near = app.Services.GetRequiredService<NearCache>();
        var value = new byte[1000];
        for (int i = 0; i < 200; i++)
        {
            await cache.SetAsync("budget:" + i, value);
            Assert.NotNull(await cache.GetAsync("budget:" + i));
        }

        Assert.InRange(near.Bytes, 1, 64 * 1024);
        Assert.InRange(near.Count, 1, 64);

        // The most recent entries are the ones kept.
        long before = near.Count;
        Assert.NotNull(await cache.GetAsync("budget:199"));
        Assert.Equal(before, near.Count);
    }

    private async Task<(TestApp First, TestApp Second, KvClient Admin)> StartTwoAsync(string server)
    {
        static void Services(IServiceCollection s) => s.AddKvCache(o => o.Cache.NearCache.Enabled = true);
        var first = await TestApp.StartAsync(Services, settings: fixture.Settings(server));
        int port = server == "redis" ? fixture.Redis!.Port : first.Services.GetRequiredService<EmbeddedKvServer>().Server!.Port;
        var second = await TestApp.StartAsync(Services, settings: new Dictionary<string, string?> { ["Kv:Endpoint"] = $"redis://127.0.0.1:{port}" });
        var admin = await KvClient.ConnectAsync($"127.0.0.1:{port}");
        return (first, second, admin);
    }

    private static async Task<long> ScriptCallsAsync(KvClient admin)
    {
        string stats = (await admin.ExecuteAsync("INFO", "commandstats")).AsString()!;
        long calls = 0;
        foreach (var line in stats.Split('\n'))
        {
            if (line.StartsWith("cmdstat_evalsha:", StringComparison.Ordinal) || line.StartsWith("cmdstat_eval:", StringComparison.Ordinal))
            {
                int start = line.IndexOf("calls=", StringComparison.Ordinal) + 6;
                calls += long.Parse(line[start..line.IndexOf(',', start)], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return calls;
    }

    private static Task Invalidation(NearCache near, string key)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        near.Client.Invalidated += i =>
        {
            foreach (var k in i.Keys)
            {
                if (k.ToString() == key)
                {
                    done.TrySetResult();
                }
            }
        };
        return done.Task;
    }
}
