using Kv.Client.Tests.Infrastructure;

namespace WebShop.Tests.Infrastructure;

/// <summary>One redis-server for a test class (when installed; always under CI), flushed before each shop starts on it.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    public RedisProcess? Redis { get; private set; }

    /// <summary>"embedded" always; "redis" when redis-server runs here.</summary>
    public static TheoryData<string> Servers => RedisProcess.Enabled ? new TheoryData<string> { "embedded", "redis" } : new TheoryData<string> { "embedded" };

    public async Task InitializeAsync()
    {
        if (RedisProcess.Enabled)
        {
            Redis = await RedisProcess.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null)
        {
            await Redis.DisposeAsync();
        }
    }

    public Task<ShopServer> StartShopAsync(string server, IDictionary<string, string?>? settings = null)
        => ShopServer.StartAsync(server == "redis" ? Redis : null, settings);
}
