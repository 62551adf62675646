using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Kv.Client;
using Kv.Client.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>Kv:Cache:OnServerUnavailable against a port where nothing listens: fail closed (Throw) or open (Ignore).</summary>
public sealed class FailureModeTests
{
    private static readonly DistributedCacheEntryOptions Minute = new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) };

    [Fact]
    public async Task ThrowReportsTheUnreachableServerToTheCaller()
    {
        await using var app = await StartAsync("Throw");
        var cache = app.Services.GetRequiredService<KvDistributedCache>();

        AssertUnavailable(await Record.ExceptionAsync(() => cache.GetAsync("k")));
        AssertUnavailable(await Record.ExceptionAsync(() => cache.SetAsync("k", [1], Minute)));
        AssertUnavailable(await Record.ExceptionAsync(() => cache.GetManyAsync(["a", "b"])));
        AssertUnavailable(await Record.ExceptionAsync(() => cache.SetManyAsync([KeyValuePair.Create("a", new byte[1])], Minute)));
        AssertUnavailable(await Record.ExceptionAsync(() => cache.RemoveManyAsync(["a"])));
        AssertUnavailable(await Record.ExceptionAsync(() => cache.ClearAsync()));
    }

    [Fact]
    public async Task IgnoreTurnsReadsIntoMissesAndSkipsWrites()
    {
        await using var app = await StartAsync("Ignore");
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        IDistributedCache distributed = cache;

        Assert.Null(await cache.GetAsync("k"));
        Assert.Null(distributed.Get("k"));
        await cache.SetAsync("k", [1], Minute);
        await cache.RefreshAsync("k");
        await cache.RemoveAsync("k");
        var values = await cache.GetManyAsync(["a", "b"]);
        Assert.Equal([null, null], new[] { values["a"], values["b"] });
        await cache.SetManyAsync([KeyValuePair.Create("a", new byte[1])], Minute);
        await cache.RemoveManyAsync(["a"]);
        Assert.Equal(0, await cache.ClearAsync());
    }

    private static void AssertUnavailable(Exception? exception)
        => Assert.True(exception is KvConnectionException or TimeoutException, $"Expected KvConnectionException or TimeoutException, got {exception?.GetType().Name ?? "no exception"}: {exception?.Message}");

    private static Task<TestApp> StartAsync(string mode) => TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?>
    {
        ["Kv:Endpoint"] = $"redis://127.0.0.1:{RedisProcess.FreePort()}",
        ["Kv:ConnectTimeout"] = "00:00:00.5",
        ["Kv:CommandTimeout"] = "00:00:00.5",
        ["Kv:Cache:OnServerUnavailable"] = mode,
        ["Kv:Cache:InstanceName"] = "app:",
    });
}
