using Kv.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;

namespace Kv.AspNetCore.Tests.Embedded;

/// <summary>The server an app hosts when no endpoint is configured.</summary>
public sealed class EmbeddedServerTests
{
    [Fact]
    public async Task DataSurvivesARestartOfTheAppOnTheSameContentRoot()
    {
        string contentRoot = Directory.CreateTempSubdirectory("kv-app-").FullName;
        try
        {
            await using (var first = await TestApp.StartAsync(s => s.AddKvCache(), contentRoot: contentRoot))
            {
                var cache = first.Services.GetRequiredService<IDistributedCache>();
                await cache.SetStringAsync("kept", "across restarts");
                await cache.SetStringAsync("expiring", "with its ttl", new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });
            }

            string data = Path.Combine(contentRoot, "kv-data");
            Assert.True(File.Exists(Path.Combine(data, "appendonly.aof")) || Directory.Exists(Path.Combine(data, "appendonlydir")), "No append-only file in kv-data.");

            await using var second = await TestApp.StartAsync(s => s.AddKvCache(), contentRoot: contentRoot);
            var reopened = second.Services.GetRequiredService<IDistributedCache>();
            Assert.Equal("across restarts", await reopened.GetStringAsync("kept"));
            Assert.Equal("with its ttl", await reopened.GetStringAsync("expiring"));
            Assert.InRange(await second.Kv().PTtlAsync("expiring"), 500_000, 600_000);
            Assert.Equal(-1, await second.Kv().PTtlAsync("kept"));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    [Fact]
    public async Task TheServerIsUpBeforeEveryOtherServiceStartsAndUntilEveryOneHasStopped()
    {
        string contentRoot = Directory.CreateTempSubdirectory("kv-app-").FullName;
        try
        {
            // Registered before AddKvCache: a plain hosted service stops after the ones registered later,
            // so it is the last to use the cache (as requests draining through Kestrel, registered first).
            await using (var first = await TestApp.StartAsync(s => s.AddHostedService<WritesOnStartAndStop>().AddKvCache(), contentRoot: contentRoot))
            {
                Assert.Equal("started", await first.Services.GetRequiredService<IDistributedCache>().GetStringAsync("start"));
            }

            await using var second = await TestApp.StartAsync(s => s.AddKvCache(), contentRoot: contentRoot);
            Assert.Equal("stopped", await second.Services.GetRequiredService<IDistributedCache>().GetStringAsync("stop"));
        }
        finally
        {
            Directory.Delete(contentRoot, recursive: true);
        }
    }

    [Fact]
    public async Task TheDefaultCeilingIs256MbWithVolatileLru()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache());

        var policy = await app.Kv().ExecuteAsync("CONFIG", "GET", "maxmemory-policy");
        var ceiling = await app.Kv().ExecuteAsync("CONFIG", "GET", "maxmemory");
        var appendOnly = await app.Kv().ExecuteAsync("CONFIG", "GET", "appendonly");

        Assert.Equal("volatile-lru", policy[1].AsString());
        Assert.Equal((256L * 1024 * 1024).ToString(), ceiling[1].AsString());
        Assert.Equal("yes", appendOnly[1].AsString());
    }

    [Fact]
    public async Task TheSettingsOfKvEmbeddedReachTheServer()
    {
        await using var app = await TestApp.StartAsync(s => s.AddKvCache(), settings: new Dictionary<string, string?>
        {
            ["Kv:Embedded:MaxMemory"] = "64mb",
            ["Kv:Embedded:MaxMemoryPolicy"] = "allkeys-lru",
            ["Kv:Embedded:AppendOnly"] = "false",
            ["Kv:Embedded:Transport"] = "Loopback",
        });

        Assert.Equal("allkeys-lru", (await app.Kv().ExecuteAsync("CONFIG", "GET", "maxmemory-policy"))[1].AsString());
        Assert.Equal((64L * 1024 * 1024).ToString(), (await app.Kv().ExecuteAsync("CONFIG", "GET", "maxmemory"))[1].AsString());
        Assert.Equal("no", (await app.Kv().ExecuteAsync("CONFIG", "GET", "appendonly"))[1].AsString());

        // Over the loopback port, the app's connection is a TCP client of its own server.
        string clients = (await app.Kv().ExecuteAsync("CLIENT", "INFO")).AsString()!;
        Assert.Contains("addr=127.0.0.1:", clients);
    }

    private sealed class WritesOnStartAndStop(IDistributedCache cache) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => cache.SetStringAsync("start", "started", cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => cache.SetStringAsync("stop", "stopped", cancellationToken);
    }
}
