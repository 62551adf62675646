using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>The cache's metrics, on the app's own meter (from its IMeterFactory, so parallel apps do not mix).</summary>
public sealed class CacheMetricsTests
{
    [Fact]
    public async Task LookupsAndDurationsAreCountedPerOperation()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?> { ["Kv:Cache:InstanceName"] = "app:" });
        using var metrics = new AppMetrics(app);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();

        await cache.SetAsync("a", [1], new DistributedCacheEntryOptions());
        await cache.GetAsync("a");
        await cache.GetManyAsync(["a", "b", "c"]);
        await cache.SetManyAsync([KeyValuePair.Create("d", new byte[1])], new DistributedCacheEntryOptions());
        await cache.RemoveManyAsync(["d"]);
        await cache.ClearAsync();

        Assert.Equal(2, metrics.Sum("kv.cache.lookups", ("kv.cache.result", "hit")));
        Assert.Equal(2, metrics.Sum("kv.cache.lookups", ("kv.cache.result", "miss")));
        foreach (string operation in new[] { "set", "get", "get_many", "set_many", "remove_many", "clear" })
        {
            Assert.Equal(1, metrics.Count("kv.cache.operation.duration", ("kv.cache.operation", operation)));
        }

        Assert.Equal(0, metrics.Count("kv.cache.failures"));
    }

    [Fact]
    public async Task FailuresAreCountedWithWhetherTheyWereIgnored()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?>
        {
            ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
            ["Kv:CommandTimeout"] = "00:00:00.3",
            ["Kv:Cache:OnServerUnavailable"] = "Ignore",
        });
        using var metrics = new AppMetrics(app);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();

        await cache.GetManyAsync(["a", "b"]);
        await cache.SetAsync("a", [1], new DistributedCacheEntryOptions());

        Assert.Equal(1, metrics.Sum("kv.cache.failures", ("kv.cache.operation", "get_many"), ("kv.failure.ignored", true)));
        Assert.Equal(1, metrics.Sum("kv.cache.failures", ("kv.cache.operation", "set"), ("kv.failure.ignored", true)));
    }
}
