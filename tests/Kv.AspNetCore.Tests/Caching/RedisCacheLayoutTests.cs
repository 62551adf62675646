using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>
/// The stored layout is Microsoft's Redis cache's (Microsoft.Extensions.Caching.StackExchangeRedis):
/// with the same instance name each reads what the other wrote, sliding entries included. Against
/// redis-server and against the embedded server's loopback port (StackExchange.Redis talks to kv-server).
/// </summary>
public sealed class RedisCacheLayoutTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _instance = $"{Guid.NewGuid():N}:";

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EachReadsWhatTheOtherWrote(string server)
    {
        await using var app = await StartAsync(server);
        var ours = app.Services.GetRequiredService<IDistributedCache>();
        using var theirs = Microsoft(app);
        var options = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) };

        await theirs.SetStringAsync("from-them", "written by RedisCache", options);
        await ours.SetStringAsync("from-us", "written by Kv", options);
        await theirs.SetStringAsync("no-expiry", "forever", new DistributedCacheEntryOptions());

        Assert.Equal("written by RedisCache", await ours.GetStringAsync("from-them"));
        Assert.Equal("written by Kv", await theirs.GetStringAsync("from-us"));
        Assert.Equal("forever", await ours.GetStringAsync("no-expiry"));

        // The same hash: field names, tick values (to the clock's drift between the two sets), TTL.
        var kv = app.Kv();
        var (theirAbsolute, theirSliding, theirData) = await kv.EntryAsync(_instance + "from-them");
        var (ourAbsolute, ourSliding, ourData) = await kv.EntryAsync(_instance + "from-us");
        Assert.Equal("hash", (await kv.ExecuteAsync("TYPE", _instance + "from-us")).AsString());
        Assert.Equal(theirSliding, ourSliding);
        Assert.Equal("-1", ourSliding);
        Assert.Equal("written by RedisCache", theirData);
        Assert.Equal("written by Kv", ourData);
        Assert.InRange(long.Parse(ourAbsolute!) - long.Parse(theirAbsolute!), 0, TimeSpan.FromSeconds(10).Ticks);
        Assert.InRange(await kv.PTtlAsync(_instance + "from-us"), 50_000, 60_000);
        Assert.Equal(("-1", "-1", "forever"), await kv.EntryAsync(_instance + "no-expiry"));

        await ours.RemoveAsync("from-them");
        await theirs.RemoveAsync("from-us");
        Assert.Null(await theirs.GetAsync("from-them"));
        Assert.Null(await ours.GetAsync("from-us"));
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task EachRefreshesTheOthersSlidingEntries(string server)
    {
        await using var app = await StartAsync(server);
        var ours = app.Services.GetRequiredService<IDistributedCache>();
        using var theirs = Microsoft(app);
        var kv = app.Kv();
        var sliding = new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromSeconds(40) };
        await theirs.SetStringAsync("from-them", "theirs", sliding);
        await ours.SetStringAsync("from-us", "ours", sliding);
        Assert.Equal((await kv.EntryAsync(_instance + "from-them")).Sliding, (await kv.EntryAsync(_instance + "from-us")).Sliding);

        await kv.ExecuteAsync("PEXPIRE", _instance + "from-them", 2_000);
        await kv.ExecuteAsync("PEXPIRE", _instance + "from-us", 2_000);
        Assert.Equal("theirs", await ours.GetStringAsync("from-them"));
        Assert.Equal("ours", await theirs.GetStringAsync("from-us"));

        Assert.InRange(await kv.PTtlAsync(_instance + "from-them"), 35_000, 40_000);

        // Microsoft's cache refreshes after its read (fire and forget in some versions): awaited with a deadline.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await kv.PTtlAsync(_instance + "from-us") <= 2_000)
        {
            Assert.True(DateTime.UtcNow < deadline, "RedisCache did not refresh an entry written by Kv.");
            await Task.Delay(20);
        }

        Assert.InRange(await kv.PTtlAsync(_instance + "from-us"), 35_000, 40_000);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ASlidingEntryWithAnAbsoluteCapIsReadTheSameByBoth(string server)
    {
        await using var app = await StartAsync(server);
        var ours = app.Services.GetRequiredService<KvDistributedCache>();
        using var theirs = Microsoft(app);
        var kv = app.Kv();
        await theirs.SetAsync("k", [1, 2, 3], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(20) });
        await kv.ExecuteAsync("PEXPIRE", _instance + "k", 2_000);

        Assert.Equal([1, 2, 3], await ours.GetAsync("k"));

        // Our refresh stops at their absolute expiry (UTC ticks), not at the ten-minute window.
        Assert.InRange(await kv.PTtlAsync(_instance + "k"), 10_000, 20_000);
    }

    private Task<TestApp> StartAsync(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = _instance;
        return TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
    }

    /// <summary>Microsoft's Redis cache on the app's server (the embedded one through its loopback port).</summary>
    private RedisCache Microsoft(TestApp app)
        => new(Options.Create(new RedisCacheOptions { Configuration = $"127.0.0.1:{app.ServerPort()}", InstanceName = _instance }));
}
