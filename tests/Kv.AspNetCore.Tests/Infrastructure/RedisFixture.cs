using Kv.Client.Tests.Infrastructure;

namespace Kv.AspNetCore.Tests.Infrastructure;

/// <summary>One redis-server for a test class (when installed; always under CI).</summary>
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

    public Dictionary<string, string?> Settings(string server) => TestApp.Settings(server, Redis);
}
