using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>HybridCache with the Kv cache as its second level (IBufferDistributedCache), shared by two apps.</summary>
public sealed class HybridCacheTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private readonly string _instance = $"{Guid.NewGuid():N}:";

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task AValueMadeByOneAppIsReadFromTheSecondLevelByAnother(string server)
    {
        await using var first = await StartAsync(fixture.Settings(server));
        int made = 0;
        string value = await first.Services.GetRequiredService<HybridCache>().GetOrCreateAsync("product:1", _ =>
        {
            made++;
            return ValueTask.FromResult("made by the first app");
        });
        Assert.Equal("made by the first app", value);
        Assert.Equal(1, made);

        // The entry on the server, in the shared layout, with HybridCache's default expiry (5 minutes).
        var kv = first.Kv();
        string key = _instance + "product:1";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await kv.ExecuteAsync("EXISTS", key)).AsInt64() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "HybridCache did not write the entry to the second level.");
            await Task.Delay(20);
        }

        var (absolute, sliding, data) = await kv.EntryAsync(key);
        Assert.Equal("hash", (await kv.ExecuteAsync("TYPE", key)).AsString());
        Assert.Equal("-1", sliding);
        Assert.True(long.Parse(absolute!) > DateTimeOffset.UtcNow.UtcTicks);
        Assert.NotNull(data);
        Assert.InRange(await kv.PTtlAsync(key), 240_000, 300_000);

        // A second app on the same server (the first app's embedded one through its port): its L1 is
        // empty, so the value comes from L2 and its factory never runs.
        await using var second = await StartAsync(new() { ["Kv:Endpoint"] = $"redis://127.0.0.1:{first.ServerPort()}" });
        string read = await second.Services.GetRequiredService<HybridCache>().GetOrCreateAsync("product:1", _ =>
        {
            made++;
            return ValueTask.FromResult("made by the second app");
        });

        Assert.Equal("made by the first app", read);
        Assert.Equal(1, made);
    }

    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task RemoveTakesTheEntryOutOfTheSecondLevel(string server)
    {
        await using var app = await StartAsync(fixture.Settings(server));
        var hybrid = app.Services.GetRequiredService<HybridCache>();
        await hybrid.SetAsync("k", 42);
        Assert.Equal(1, (await app.Kv().ExecuteAsync("EXISTS", _instance + "k")).AsInt64());

        await hybrid.RemoveAsync("k");

        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", _instance + "k")).AsInt64());
        Assert.Equal(-1, await hybrid.GetOrCreateAsync("k", _ => ValueTask.FromResult(-1)));
    }

    private Task<TestApp> StartAsync(Dictionary<string, string?> settings)
    {
        settings["Kv:Cache:InstanceName"] = _instance;
        return TestApp.StartAsync(s =>
        {
            s.AddKvCache();
            s.AddHybridCache();
        }, settings: settings);
    }
}
