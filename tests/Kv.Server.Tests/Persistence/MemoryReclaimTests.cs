using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// Memory given back to the OS, on a kv-server process: after FLUSHALL (sync and ASYNC), a large DEL
/// and MEMORY PURGE, the resident size falls back near where it was before the load, as redis-server's
/// does once jemalloc purges (Persistence.MemoryReclaim).
/// </summary>
public sealed class MemoryReclaimTests
{
    // Session-like hashes (5 fields each) and sets of 3 members, one of each per count: 400,000 of
    // each are about 100 MB resident (small hashes and sets rest in their keys' blocks).
    private static byte[][] LoadCommands(int i) =>
    [
        RespTestClient.Encode("HSET", "h:" + i, "user", "u" + i, "cart", "3", "seen", "1733400000", "lang", "en", "csrf", "a1b2c3d4"),
        RespTestClient.Encode("SADD", "s:" + i, "red", "green", "m" + i),
    ];

    // What may stay resident after the drop: runtime growth while the load compiled its paths, and the
    // allocators' own slack.
    private const long Slack = 24L << 20;

    [Theory]
    [InlineData("FLUSHALL")]
    [InlineData("FLUSHALL ASYNC")]
    [InlineData("FLUSHDB")]
    [InlineData("DEL")]
    public async Task ResidentMemoryFallsBackAfterTheDataIsDropped(string drop)
    {
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long idle = server.ResidentBytes();
        await LoadAsync(c, 400_000);
        long loaded = server.ResidentBytes();
        Assert.True(loaded - idle > 3 * Slack, $"the load grew the process by {(loaded - idle) >> 20} MB only");

        if (drop == "DEL")
        {
            // One big key holds most of the data: DEL of it drops the data set by more than half.
            await c.SendAsync("FLUSHALL");
            await WaitForAsync(server, idle + Slack, "FLUSHALL before the big key");
            Assert.StartsWith(":", (await c.SendAsync("EVAL", "for i = 1, 1000000 do redis.call('ZADD', 'big', i, 'member:' .. i) end return 1", "0")).ToString(), StringComparison.Ordinal);
            loaded = server.ResidentBytes();
            Assert.Equal(":1", (await c.SendAsync("DEL", "big")).ToString());
        }
        else
        {
            Assert.Equal("+OK", (await c.SendAsync(drop.Split(' '))).ToString());
        }

        await WaitForAsync(server, idle + Slack, $"{drop} (idle {idle >> 20} MB, loaded {loaded >> 20} MB)");
    }

    [Fact]
    public async Task MemoryPurgeGivesBackWhatASmallerDropLeft()
    {
        await using var server = await ServerProcess.StartKvAsync("--save", "", "--appendonly", "no");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long idle = server.ResidentBytes();
        await LoadAsync(c, 150_000);

        // A third of the keys go: below the automatic rule (half the data set), so only MEMORY PURGE returns it.
        Assert.StartsWith(":", (await c.SendAsync("EVAL", "for i = 1, 50000 do redis.call('DEL', 'h:' .. i, 's:' .. i) end return 1", "0")).ToString(), StringComparison.Ordinal);
        await Task.Delay(500);
        long before = server.ResidentBytes();
        Assert.Equal("+OK", (await c.SendAsync("MEMORY", "PURGE")).ToString());
        long after = server.ResidentBytes();
        Assert.True(after < before, $"MEMORY PURGE: {before >> 20} MB before, {after >> 20} MB after");
        Assert.Equal("200000", (await c.SendAsync("DBSIZE")).ToString().TrimStart(':'));
        Assert.True(after > idle, $"{after >> 20} MB after MEMORY PURGE with two thirds of the keys still there; idle {idle >> 20} MB");
    }

    // Pipelined by the client, as an application's writes arrive (a script's writes would run on a
    // thread-pool thread: in the JIT build glibc may give that thread a malloc arena of its own, whose
    // freed top malloc_trim leaves resident; the AOT tool has one arena).
    private static async Task LoadAsync(RespTestClient c, int count)
    {
        const int PerRoundTrip = 500;
        for (int first = 1; first <= count; first += PerRoundTrip)
        {
            int last = Math.Min(count, first + PerRoundTrip - 1);
            using var batch = new MemoryStream();
            for (int i = first; i <= last; i++)
            {
                foreach (var command in LoadCommands(i))
                {
                    batch.Write(command);
                }
            }

            await c.WriteRawAsync(batch.ToArray());
            for (int k = 0; k < 2 * (last - first + 1); k++)
            {
                var reply = await c.ReadReplyAsync();
                Assert.False(reply.ToString().StartsWith('-'), reply.ToString());
            }
        }

        Assert.Equal(":" + (2 * count).ToString(System.Globalization.CultureInfo.InvariantCulture), (await c.SendAsync("DBSIZE")).ToString());
    }

    private static async Task WaitForAsync(ServerProcess server, long bound, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        long rss;
        while ((rss = server.ResidentBytes()) > bound)
        {
            Assert.True(DateTime.UtcNow < deadline, $"after {what}: {rss >> 20} MB resident, expected at most {bound >> 20} MB");
            await Task.Delay(100);
        }
    }
}
