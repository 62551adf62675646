using Kv.AspNetCore.Caching;
using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Caching;

/// <summary>Cancelled cache calls on the app's shared connection.</summary>
public sealed class CancellationTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [MemberData(nameof(RedisFixture.Servers), MemberType = typeof(RedisFixture))]
    public async Task ACancelledTokenStopsACallBeforeItIsSent(string server)
    {
        var settings = fixture.Settings(server);
        settings["Kv:Cache:InstanceName"] = $"{Guid.NewGuid():N}:";
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: settings);
        var cache = app.Services.GetRequiredService<KvDistributedCache>();
        string key = "k";
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetAsync(key, [1], new DistributedCacheEntryOptions(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.SetManyAsync([KeyValuePair.Create(key, new byte[1])], new DistributedCacheEntryOptions(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetAsync(key, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetManyAsync([key], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.ClearAsync(cancelled.Token));

        Assert.Equal(0, (await app.Kv().ExecuteAsync("EXISTS", settings["Kv:Cache:InstanceName"] + key)).AsInt64());
    }
}
