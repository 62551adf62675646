using Kv.Client.Tests.Infrastructure;
using static Kv.Client.Tests.Infrastructure.ServersFixture;

namespace Kv.Client.Tests;

/// <summary>Hash field TTL (HPEXPIRE and friends): Redis 7.4's commands, which kv-server has and the Redis 7.0 under test does not.</summary>
public sealed class FieldTtlTests(ServersFixture servers) : IClassFixture<ServersFixture>
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task FieldsExpire(int protocol)
    {
        await using var client = await servers.ConnectAsync("kv", protocol);
        string key = Key("hf");
        await client.HSetAsync(key, new KvHashEntry("a", "1"), new KvHashEntry("b", "2"));
        Assert.Equal(new[] { 1L, -2L }, await client.HExpireAsync(key, TimeSpan.FromMinutes(1), "a", "missing"));
        var ttl = await client.HPTtlAsync(key, "a", "b");
        Assert.InRange(ttl[0], 50_000, 60_000);
        Assert.Equal(-1, ttl[1]);
        Assert.Equal(new[] { 1L }, await client.HExpireAtAsync(key, DateTimeOffset.UtcNow.AddHours(1), "b"));
        Assert.Equal(new[] { 1L, 1L }, await client.HPersistAsync(key, "a", "b"));
        Assert.Equal(new[] { 2L }, await client.HExpireAsync(key, TimeSpan.Zero, "a"));
        Assert.True((await client.HGetAsync(key, "a")).IsNull);
    }
}
