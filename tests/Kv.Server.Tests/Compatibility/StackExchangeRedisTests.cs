using Kv.Server.Tests.Infrastructure;
using StackExchange.Redis;

namespace Kv.Server.Tests.Compatibility;

/// <summary>StackExchange.Redis, the most used .NET client, against an in-process kv-server with its default options.</summary>
public sealed class StackExchangeRedisTests : IClassFixture<KvServerFixture>, IAsyncLifetime
{
    private readonly KvServerFixture _fixture;
    private readonly StringWriter _log = new();
    private ConnectionMultiplexer _redis = null!;

    public StackExchangeRedisTests(KvServerFixture fixture) => _fixture = fixture;

    public async Task InitializeAsync()
    {
        var options = ConfigurationOptions.Parse($"127.0.0.1:{_fixture.Port}");
        options.ConnectTimeout = 5000;
        options.SyncTimeout = 5000;
        options.AsyncTimeout = 10000;
        _redis = await ConnectionMultiplexer.ConnectAsync(options, _log);
    }

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public void ConnectsAndSeesAStandaloneServer()
    {
        Assert.True(_redis.IsConnected, _log.ToString());
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.True(server.IsConnected);
        Assert.Equal(ServerType.Standalone, server.ServerType);
        Assert.False(server.IsReplica);
    }

    /// <summary>With INFO and CONFIG GET, the client's auto-configuration sees a Redis 7 with 16 databases (without them it assumes 3.0.0 and avoids newer commands).</summary>
    [Fact]
    public void AutoConfigurationSeesRedis7()
    {
        var server = _redis.GetServer(_redis.GetEndPoints()[0]);
        Assert.True(server.Version >= new Version(7, 0), $"SE.Redis detected version {server.Version}.\n{_log}");
        Assert.Equal(16, server.DatabaseCount);
    }

    [Fact]
    public async Task StringOperations()
    {
        var db = _redis.GetDatabase();
        Assert.True(await db.StringSetAsync("se:str", "hello"));
        Assert.Equal("hello", (string?)await db.StringGetAsync("se:str"));
        Assert.False(await db.StringSetAsync("se:str", "other", when: When.NotExists));
        Assert.Equal(5, await db.StringIncrementAsync("se:n", 5));
        Assert.Equal(3, await db.StringDecrementAsync("se:n", 2));
        Assert.True(await db.StringSetAsync([new("se:a", "1"), new("se:b", "2")]));
        var values = await db.StringGetAsync(["se:a", "se:b", "se:missing"]);
        Assert.Equal(["1", "2", null], values.Select(v => (string?)v));
        Assert.True(await db.KeyDeleteAsync("se:str"));
        Assert.False((await db.StringGetAsync("se:str")).HasValue);
        Assert.Equal(2, await db.KeyDeleteAsync(["se:a", "se:b", "se:missing"]));
        Assert.False(await db.KeyExistsAsync("se:a"));
    }

    [Fact]
    public async Task ExpiryIsSetAndExpiredKeysAreGone()
    {
        var db = _redis.GetDatabase();
        Assert.True(await db.StringSetAsync("se:ttl", "v", TimeSpan.FromMinutes(5)));
        Assert.Equal("v", (string?)await db.StringGetAsync("se:ttl"));

        // A 1 ms expiry: once it has passed, the key is gone (lazy expiry on access).
        Assert.True(await db.StringSetAsync("se:short", "v", TimeSpan.FromMilliseconds(1)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while ((await db.StringGetAsync("se:short")).HasValue)
        {
            Assert.True(DateTime.UtcNow < deadline, "A key set with a 1 ms expiry was still there after 5 s.");
            await Task.Delay(5);
        }
    }

    [Fact]
    public async Task TimeToLiveIsReported()
    {
        var db = _redis.GetDatabase();
        Assert.True(await db.StringSetAsync("se:ttl2", "v", TimeSpan.FromMinutes(5)));
        var ttl = await db.KeyTimeToLiveAsync("se:ttl2");
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.True(await db.KeyExpireAsync("se:ttl2", TimeSpan.FromMinutes(1)));
        Assert.True(await db.KeyPersistAsync("se:ttl2"));
        Assert.Null(await db.KeyTimeToLiveAsync("se:ttl2"));
    }

    [Fact]
    public async Task TenThousandPipelinedAsyncOperationsComplete()
    {
        var db = _redis.GetDatabase();
        await db.KeyDeleteAsync("se:counter");
        var tasks = new Task[10_000];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = (i % 2) switch
            {
                0 => db.StringIncrementAsync("se:counter"),
                _ => db.StringSetAsync($"se:bulk:{i}", i),
            };
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5000, (long)await db.StringGetAsync("se:counter"));
        Assert.Equal(9999, (long)await db.StringGetAsync("se:bulk:9999"));
    }

    [Fact]
    public async Task DatabasesAreSelectedPerCommand()
    {
        var db0 = _redis.GetDatabase(0);
        var db3 = _redis.GetDatabase(3);
        await db0.StringSetAsync("se:db", "zero");
        await db3.StringSetAsync("se:db", "three");
        Assert.Equal("zero", (string?)await db0.StringGetAsync("se:db"));
        Assert.Equal("three", (string?)await db3.StringGetAsync("se:db"));

        await using var raw = await _fixture.ConnectAsync();
        await raw.SendAsync("SELECT", "3");
        Assert.Equal("$three", (await raw.SendAsync("GET", "se:db")).ToString());
    }

    [Fact]
    public async Task PingEchoAndExecute()
    {
        var db = _redis.GetDatabase();
        Assert.True(await db.PingAsync() < TimeSpan.FromSeconds(5));
        Assert.Equal("hi", (string?)await db.ExecuteAsync("ECHO", "hi"));
    }
}
