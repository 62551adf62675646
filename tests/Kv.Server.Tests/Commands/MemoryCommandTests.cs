using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class MemoryCommandTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public MemoryCommandTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task UsageGrowsWithTheValueAndIsNullForAMissingKey()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "mu:small", "1");
        await c.Expect("+OK", "SET", "mu:large", new string('x', 10_000));
        long small = (await c.SendAsync("MEMORY", "USAGE", "mu:small")).Integer;
        long large = (await c.SendAsync("MEMORY", "USAGE", "mu:large", "SAMPLES", "0")).Integer;
        Assert.InRange(small, 1, 200);
        Assert.InRange(large, 10_000, 10_400);

        for (int i = 0; i < 1000; i++)
        {
            await c.SendAsync("RPUSH", "mu:list", "element-" + i);
        }

        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:list")).Integer, 10_000, 100_000);
        await c.Expect("(nil)", "MEMORY", "USAGE", "mu:nokey");
    }

    // A small hash or set is one object and one compact array (about 120 bytes for a session-like
    // hash); a big one is a table whose arrays grow with it.
    [Fact]
    public async Task UsageOfHashesAndSetsFollowsTheirForm()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":5", "HSET", "mu:session", "user", "u1", "cart", "3", "seen", "1733400000", "lang", "en", "csrf", "a1b2c3d4");
        await c.Expect(":3", "SADD", "mu:set3", "red", "green", "m1");
        await c.Expect(":3", "SADD", "mu:ints", "1", "2", "3");
        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:session")).Integer, 120, 250);
        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:set3")).Integer, 60, 200);
        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:ints")).Integer, 60, 200);

        for (int i = 0; i < 1000; i++)
        {
            await c.SendAsync("HSET", "mu:bighash", "field-" + i, "value-" + i);
            await c.SendAsync("SADD", "mu:bigset", "member-" + i);
        }

        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:bighash")).Integer, 30_000, 150_000);
        Assert.InRange((await c.SendAsync("MEMORY", "USAGE", "mu:bigset")).Integer, 15_000, 100_000);
    }

    [Fact]
    public async Task StatsCountsKeysAndDoctorAndPurgeAnswer()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.Expect("+OK", "SET", "a", "1");
        await c.SendAsync("SELECT", "2");
        await c.Expect("+OK", "SET", "b", "1");
        string stats = (await c.SendAsync("MEMORY", "STATS")).ToString();
        Assert.Contains("$keys.count, :2", stats);
        Assert.Contains("$db.0, *[$overhead.hashtable.main", stats);
        Assert.Contains("$db.2, *[$overhead.hashtable.main", stats);
        Assert.DoesNotContain("$db.1,", stats);
        Assert.StartsWith("$Hi Sam, this instance is empty", (await c.SendAsync("MEMORY", "DOCTOR")).ToString());
        await c.Expect("+OK", "MEMORY", "PURGE");
        await c.Expect("$Stats not supported for the current allocator", "MEMORY", "MALLOC-STATS");
    }
}
