using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Persistence;

/// <summary>
/// The issue's memory requirement, on a kv-server process: while a writer pushes ten times maxmemory
/// of data through it, the process grows by at most maxmemory plus a stated slack — 25% and 16 MB,
/// which covers the runtime's own growth while it compiles the command paths (this is the JIT build;
/// the AOT tool measures within 1.15x maxmemory + 10 MB, see the README) — for every policy.
/// Before keys lived in native blocks, evicted values waited as GC garbage and the process grew to
/// 2.5–3.5x maxmemory.
/// </summary>
public sealed class MemoryChurnTests
{
    private const long MaxMemory = 32L << 20;

    [Theory]
    [InlineData("allkeys-lru", 1000)]
    [InlineData("allkeys-lfu", 1000)]
    [InlineData("allkeys-random", 1000)]
    [InlineData("volatile-lru", 1000)]
    [InlineData("volatile-lfu", 1000)]
    [InlineData("volatile-random", 1000)]
    [InlineData("volatile-ttl", 1000)]
    [InlineData("allkeys-lru", 100)]
    public async Task ProcessStaysNearMaxmemoryWhileTenTimesItIsWritten(string policy, int valueSize)
    {
        await using var server = await ServerProcess.StartKvAsync("--maxmemory", "32mb", "--maxmemory-policy", policy, "--save", "");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long idle = server.ResidentBytes();

        const int Batch = 500;
        var value = new string('v', valueSize);
        var random = new Random(7);
        long total = 10 * MaxMemory / (valueSize + 16);
        for (long written = 0; written < total; written += Batch)
        {
            var commands = new StringBuilder();
            for (int i = 0; i < Batch; i++)
            {
                string key = "key:" + random.Next(100_000_000).ToString(CultureInfo.InvariantCulture);
                commands.Append(CultureInfo.InvariantCulture, $"*5\r\n$3\r\nSET\r\n${key.Length}\r\n{key}\r\n${valueSize}\r\n{value}\r\n$2\r\nEX\r\n$6\r\n100000\r\n");
            }

            await c.WriteRawAsync(commands.ToString());
            for (int i = 0; i < Batch; i++)
            {
                var reply = await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
                Assert.Equal("+OK", reply.ToString());
            }
        }

        long peak = server.PeakResidentBytes();
        long grown = peak - idle;
        long allowed = (MaxMemory * 5 / 4) + (16L << 20);
        Assert.True(grown <= allowed, $"{policy}: the process grew by {grown >> 20} MB (idle {idle >> 20} MB, peak {peak >> 20} MB); allowed {allowed >> 20} MB.");

        var memory = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "memory"));
        Assert.InRange(long.Parse(memory["used_memory"], CultureInfo.InvariantCulture), MaxMemory / 2, MaxMemory);
        var stats = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "stats"));
        Assert.True(long.Parse(stats["evicted_keys"], CultureInfo.InvariantCulture) > total / 2, $"evicted_keys {stats["evicted_keys"]} of {total} written");
    }
    /// <summary>
    /// Small collections with TTLs — the shapes the building blocks create by the million (a session
    /// hash, a rate-limit sorted set, per-user sets and lists) — written through maxmemory the same way.
    /// Their estimate tracks what they hold (and the kv-server process scales it by what the GC finds
    /// live), and a small collection rests in its key's native block between batches (Storage.InlineValue)
    /// rather than as GC objects, and the key table itself is native memory (Storage.NativePagedArray).
    /// Issue [12]'s bound is the strings' own, maxmemory + 25% + 16 MB (56 MB here). With the key table on
    /// the GC heap an occasional compacting collection left some 13 MB more committed (57 MB seen; before
    /// the pool 62–73 MB, before compact collections 4–7x maxmemory); benchmarks/memory-shapes.py --churn
    /// measures the AOT tool against redis-server.
    /// </summary>
    [Theory]
    [InlineData("hash", "allkeys-lru")]
    [InlineData("hash", "volatile-ttl")]
    [InlineData("set", "allkeys-lfu")]
    [InlineData("zset", "volatile-lfu")]
    [InlineData("list", "allkeys-random")]
    public async Task SmallCollectionsStayNearMaxmemoryWhileTenTimesItIsWritten(string type, string policy)
    {
        await using var server = await ServerProcess.StartKvAsync("--maxmemory", "32mb", "--maxmemory-policy", policy, "--save", "");
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        long idle = server.ResidentBytes();

        const int Batch = 500;
        var random = new Random(11);

        // About 200 bytes of Redis memory per collection: ten times maxmemory of them.
        long total = 10 * MaxMemory / 200;
        for (long written = 0; written < total; written += Batch)
        {
            var commands = new StringBuilder();
            for (int i = 0; i < Batch; i++)
            {
                string key = type + ":" + random.Next(100_000_000).ToString(CultureInfo.InvariantCulture);
                string n = random.Next(1_000_000).ToString(CultureInfo.InvariantCulture);
                object[] command = type switch
                {
                    "hash" => ["HSET", key, "user", "u" + n, "cart", "3", "seen", "1733400000", "lang", "en", "csrf", "a1b2c3d4"],
                    "set" => ["SADD", key, "red", "green", "m" + n],
                    "zset" => ["ZADD", key, "1", "alice", "2", "bob", n, "m" + n],
                    _ => ["RPUSH", key, "a", "b", "c", "d" + n, "e"],
                };
                commands.Append(Encoding.Latin1.GetString(RespTestClient.Encode(command)));
                commands.Append(Encoding.Latin1.GetString(RespTestClient.Encode("PEXPIRE", key, "100000000")));
            }

            await c.WriteRawAsync(commands.ToString());
            for (int i = 0; i < Batch * 2; i++)
            {
                var reply = await c.ReadReplyAsync(TimeSpan.FromSeconds(30));
                Assert.StartsWith(":", reply.ToString(), StringComparison.Ordinal);
            }
        }

        long peak = server.PeakResidentBytes();
        long grown = peak - idle;
        long allowed = MaxMemory + (MaxMemory / 4) + (16L << 20);
        Assert.True(grown <= allowed, $"{type} {policy}: the process grew by {grown >> 20} MB (idle {idle >> 20} MB, peak {peak >> 20} MB); allowed {allowed >> 20} MB.");

        var stats = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "stats"));
        Assert.True(long.Parse(stats["evicted_keys"], CultureInfo.InvariantCulture) > 0, $"nothing evicted of {total} collections written");
        var memory = AppendOnlyFileTests.Info(await c.SendAsync("INFO", "memory"));
        Assert.InRange(long.Parse(memory["used_memory"], CultureInfo.InvariantCulture), MaxMemory / 2, MaxMemory);
    }
}
