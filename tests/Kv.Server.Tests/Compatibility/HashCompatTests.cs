using Kv.Server.Tests.Compatibility.Streams;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// A seeded random stream of hash commands (with string keys in the same small key space) against
/// kv-server and a real redis-server 7.0: every reply must agree. Run once with Redis's default
/// encoding limits (every hash a listpack: order compared exactly) and once with tiny limits so
/// hashes convert to hashtables (whole-hash replies then compared as multisets, HSCAN iterated).
/// </summary>
public sealed class HashCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public HashCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [InlineData(11, false)]
    [InlineData(12, false)]
    [InlineData(13, true)]
    [InlineData(14, true)]
    public async Task SeededHashStreamGetsTheSameRepliesAsRedis(int seed, bool smallLimits)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        string entries = smallLimits ? "4" : "512", value = smallLimits ? "8" : "64";
        await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", entries, "hash-max-listpack-value", value]);
        try
        {
            var stream = new CommandStream(seed);
            for (int step = 0; step < 2000; step++)
            {
                var (args, kind) = HashCommandGenerator.Next(stream);
                switch (kind)
                {
                    case HashReplyKind.Exact:
                        await session.CompareAsync(args);
                        break;
                    case HashReplyKind.WholeHash:
                        await session.CompareAsync(args, await IsHashtableAsync(session, args[1]) ? ReplyMatch.Unordered : ReplyMatch.Exact);
                        break;
                    case HashReplyKind.Random:
                        await CompareShapeAsync(session, args);
                        break;
                    case HashReplyKind.Scan:
                        await CompareScanAsync(session, args, exactOrder: !await IsHashtableAsync(session, args[1]));
                        break;
                }
            }
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"]);
        }
    }

    // Redis's order is insertion order for a listpack and its dict's order for a hashtable; ask Redis which.
    private static async Task<bool> IsHashtableAsync(CompatSession session, object key) =>
        (await session.Redis.SendAsync("OBJECT", "ENCODING", key)).Text == "hashtable";

    // HRANDFIELD: errors identical; otherwise the same type and count (the picks are random).
    private static async Task CompareShapeAsync(CompatSession session, object[] args)
    {
        var (kv, redis) = await session.SendBothAsync(args);
        string command = ReplyComparison.RenderCommand(args);
        Assert.True(kv.Type == redis.Type, $"{command}: redis {redis}, kv {kv}");
        if (redis.IsError || redis.Items is null)
        {
            Assert.True(kv.Items is null && (kv.IsError ? kv.ToString() == redis.ToString() : kv.IsNull == redis.IsNull), $"{command}: redis {redis}, kv {kv}");
            return;
        }

        Assert.True(redis.Items.Count == kv.Items!.Count, $"{command}: redis {redis}, kv {kv}");
    }

    // HSCAN: errors must agree exactly, and a listpack (returned whole with cursor 0) in order;
    // otherwise iterate both to the end and compare the pair sets.
    private static async Task CompareScanAsync(CompatSession session, object[] options, bool exactOrder)
    {
        object[] first = [options[0], options[1], "0", .. options[2..]];
        var (kv, redis) = await session.SendBothAsync(first);
        string command = ReplyComparison.RenderCommand(first);
        if (redis.IsError || kv.IsError || (exactOrder && redis.Items![0].Text == "0"))
        {
            Assert.True(ReplyComparison.Canonical(kv) == ReplyComparison.Canonical(redis), $"{command}: redis {redis}, kv {kv}");
            return;
        }

        Assert.Equal(await ScanAllAsync(session.Redis, options), await ScanAllAsync(session.Kv, options));
    }

    private static async Task<SortedSet<string>> ScanAllAsync(RespTestClient client, object[] options)
    {
        var pairs = new SortedSet<string>(StringComparer.Ordinal);
        string cursor = "0";
        do
        {
            var reply = await client.SendAsync([options[0], options[1], cursor, .. options[2..]]);
            cursor = reply.Items![0].Text!;
            var items = reply.Items[1].Items!;
            for (int i = 0; i < items.Count; i += 2)
            {
                pairs.Add(items[i].ToString() + "=" + items[i + 1].ToString());
            }
        }
        while (cursor != "0");
        return pairs;
    }
}
