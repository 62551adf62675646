using System.Globalization;
using Kv.Server.Tests.Compatibility.Streams;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Sorted sets across the listpack → skiplist boundary against a real redis-server 7.0: kv keeps a small set in a
/// compact array and converts it exactly where Redis converts its listpack, so OBJECT ENCODING and every reply
/// (lex ranges over unequal scores, ZSCAN's single-call listpack answer) must agree on both sides of each threshold.
/// </summary>
public sealed class SortedSetEncodingCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public SortedSetEncodingCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    [RedisTheory]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    public async Task EntryCountBoundaryConvertsWhereRedisDoes(int members)
    {
        await using var session = await _fixture.OpenSessionAsync(members);
        await session.SendBothAsync(["FLUSHALL"]);

        // One member a command, with the encoding compared as the count passes the limit.
        for (int i = 0; i < members; i++)
        {
            await session.CompareAsync(["ZADD", "one", (i % 7).ToString(CultureInfo.InvariantCulture), "m" + i.ToString(CultureInfo.InvariantCulture)]);
            if (i >= 125)
            {
                await session.CompareAsync(["OBJECT", "ENCODING", "one"]);
            }
        }

        // All members in one command.
        var add = new List<object> { "ZADD", "all" };
        for (int i = 0; i < members; i++)
        {
            add.AddRange([(i % 5).ToString(CultureInfo.InvariantCulture), "m" + i.ToString(CultureInfo.InvariantCulture)]);
        }

        await session.CompareAsync([.. add]);
        foreach (var key in new[] { "one", "all" })
        {
            await CompareWholeSetAsync(session, key);

            // Shrinking does not turn a skiplist back into a listpack.
            await session.CompareAsync(["ZREMRANGEBYRANK", key, "0", "9"]);
            await session.CompareAsync(["OBJECT", "ENCODING", key]);
            await CompareWholeSetAsync(session, key);
        }

        // A store command's result is encoded by its own size.
        await session.CompareAsync(["ZUNIONSTORE", "u", "2", "one", "all"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "u"]);
        await session.CompareAsync(["ZRANGESTORE", "r", "all", "0", "126"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "r"]);
        await session.CompareAsync(["ZRANGESTORE", "r", "all", "0", "10"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "r"]);
        await CompareWholeSetAsync(session, "r");
    }

    [RedisFact]
    public async Task MemberLengthBoundaryConvertsWhereRedisDoes()
    {
        await using var session = await _fixture.OpenSessionAsync(64);
        await session.SendBothAsync(["FLUSHALL"]);
        string m64 = new('a', 64), m65 = new('b', 65);

        await session.CompareAsync(["ZADD", "z", "1", m64, "2", "x"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "z"]);
        await session.CompareAsync(["ZADD", "z", "3", m65]);
        await session.CompareAsync(["OBJECT", "ENCODING", "z"]);
        await CompareWholeSetAsync(session, "z");

        // A new key takes its encoding from its first member.
        await session.CompareAsync(["ZADD", "first65", "1", m65]);
        await session.CompareAsync(["OBJECT", "ENCODING", "first65"]);
        await session.CompareAsync(["ZINCRBY", "incr", "2", m65]);
        await session.CompareAsync(["OBJECT", "ENCODING", "incr"]);
        await session.CompareAsync(["ZADD", "first64", "1", m64, "2", m65]);
        await session.CompareAsync(["OBJECT", "ENCODING", "first64"]);
        await CompareWholeSetAsync(session, "first64");

        // Scores updated in place and by a move keep the order; -0 loses its sign in a listpack only.
        await session.CompareAsync(["ZADD", "small", "1", "a", "2", "b", "3", "c", "-0", "d"]);
        await session.CompareAsync(["ZADD", "small", "2.5", "a", "0.5", "c", "1.5", "b"]);
        await session.CompareAsync(["ZINCRBY", "small", "-10", "b"]);
        await CompareWholeSetAsync(session, "small");
        await session.CompareAsync(["ZADD", "big", "-0", "neg", "1", m65]);
        await CompareWholeSetAsync(session, "big");
    }

    [RedisFact]
    public async Task ConfigSetOfTheThresholdsTakesEffectOnTheNextWrite()
    {
        await using var session = await _fixture.OpenSessionAsync(3);
        await session.SendBothAsync(["FLUSHALL"]);
        try
        {
            await session.CompareAsync(["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"]);
            await session.CompareAsync(["CONFIG", "SET", "zset-max-listpack-entries", "4"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "z"]);

            // Updating a present member's score inserts nothing: still a listpack.
            await session.CompareAsync(["ZADD", "z", "9", "a"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "z"]);
            await session.CompareAsync(["ZADD", "z", "6", "f"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "z"]);
            await CompareWholeSetAsync(session, "z");

            await session.CompareAsync(["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "3"]);
            await session.CompareAsync(["ZADD", "v", "1", "abc"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "v"]);
            await session.CompareAsync(["ZADD", "v", "2", "abcd"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "v"]);
            await session.CompareAsync(["ZUNIONSTORE", "vu", "1", "v"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "vu"]);

            // Zero entries: every new sorted set is a skiplist.
            await session.CompareAsync(["CONFIG", "SET", "zset-max-listpack-entries", "0", "zset-max-listpack-value", "64"]);
            await session.CompareAsync(["ZADD", "zero", "1", "a"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "zero"]);
            await session.CompareAsync(["ZRANGESTORE", "zs", "z", "0", "1"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "zs"]);
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64"]);
        }
    }

    /// <summary>
    /// A seeded stream over many members, with Redis's limits or small ones, so sets grow, convert and shrink;
    /// ZSCAN of a skiplist (no defined order) is iterated to the end and compared as a set of pairs.
    /// </summary>
    [RedisTheory]
    [InlineData(21, false)]
    [InlineData(22, false)]
    [InlineData(23, true)]
    [InlineData(24, true)]
    public async Task SeededStreamAcrossTheThresholdsGetsTheSameRepliesAsRedis(int seed, bool smallLimits)
    {
        await using var session = await _fixture.OpenSessionAsync(seed);
        await session.SendBothAsync(["FLUSHALL"]);
        string entries = smallLimits ? "12" : "128", value = smallLimits ? "8" : "64";
        await session.CompareAsync(["CONFIG", "SET", "zset-max-listpack-entries", entries, "zset-max-listpack-value", value]);
        try
        {
            var stream = new CommandStream(seed);
            for (int step = 0; step < 2500; step++)
            {
                var args = SortedSetCommandGenerator.Next(stream, wide: true);
                string name = ((string)args[0]).ToUpperInvariant();
                if (name == "ZSCAN")
                {
                    await CompareScanAsync(session, args);
                }
                else if (await IsLexRangeOverASkiplistAsync(session, name, args))
                {
                    // A skiplist searched by member over unequal scores answers by its random levels (in Redis too).
                    continue;
                }
                else
                {
                    await session.CompareAsync(args);
                }
            }

            int listpacks = 0, skiplists = 0;
            for (int i = 0; i < CommandStream.KeySpace; i++)
            {
                string key = "k" + i.ToString(CultureInfo.InvariantCulture);
                string? encoding = (await session.CompareAsync(["OBJECT", "ENCODING", key])).Text;
                listpacks += encoding == "listpack" ? 1 : 0;
                skiplists += encoding == "skiplist" ? 1 : 0;
                await session.CompareAsync(["ZRANGE", key, "0", "-1", "WITHSCORES"]);
            }

            // The stream is meant to leave converted sets behind, and with Redis's limits small ones too.
            Assert.True(skiplists > 0 && (smallLimits || listpacks > 0), $"listpacks {listpacks}, skiplists {skiplists}");
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "zset-max-listpack-entries", "128", "zset-max-listpack-value", "64"]);
        }
    }

    private static async Task<bool> IsLexRangeOverASkiplistAsync(CompatSession session, string name, object[] args)
    {
        bool lex = name.Contains("LEX", StringComparison.Ordinal) || args.Any(a => a is string s && s.Equals("BYLEX", StringComparison.OrdinalIgnoreCase));
        return lex && await IsSkiplistAsync(session, name == "ZRANGESTORE" ? args[2] : args[1]);
    }

    private static async Task<bool> IsSkiplistAsync(CompatSession session, object key) =>
        (await session.Redis.SendAsync("OBJECT", "ENCODING", key)).Text == "skiplist";

    // Lex ranges only where they are defined for any encoding: a listpack walks in order; a skiplist's answer
    // over unequal scores depends on its random levels.
    private static async Task CompareWholeSetAsync(CompatSession session, string key)
    {
        await session.CompareAsync(["OBJECT", "ENCODING", key]);
        await session.CompareAsync(["ZCARD", key]);
        await session.CompareAsync(["ZRANGE", key, "0", "-1", "WITHSCORES"]);
        await session.CompareAsync(["ZREVRANGE", key, "0", "-1", "WITHSCORES"]);
        if (!await IsSkiplistAsync(session, key))
        {
            await session.CompareAsync(["ZRANGEBYLEX", key, "[m1", "(m5"]);
            await session.CompareAsync(["ZREVRANGEBYLEX", key, "+", "-", "LIMIT", "1", "5"]);
            await session.CompareAsync(["ZLEXCOUNT", key, "[m2", "+"]);
        }

        await session.CompareAsync(["ZRANGEBYSCORE", key, "(1", "3", "WITHSCORES", "LIMIT", "2", "20"]);
        await session.CompareAsync(["ZCOUNT", key, "1", "(3"]);
        await session.CompareAsync(["ZRANK", key, "m100"]);
        await session.CompareAsync(["ZREVRANK", key, "m3"]);
        await session.CompareAsync(["ZMSCORE", key, "m0", "m127", "nope"]);
        await CompareScanAsync(session, ["ZSCAN", key, "0"]);
    }

    // ZSCAN: errors and a listpack (returned whole with cursor 0) must agree exactly; a skiplist is iterated
    // to the end on both servers and the pairs compared as sets.
    private static async Task CompareScanAsync(CompatSession session, object[] args)
    {
        var (kv, redis) = await session.SendBothAsync(args);
        string command = ReplyComparison.RenderCommand(args);
        if (redis.IsError || kv.IsError || (redis.Items![0].Text == "0" && !await IsSkiplistAsync(session, args[1])))
        {
            Assert.True(ReplyComparison.Canonical(kv) == ReplyComparison.Canonical(redis), $"{command}: redis {redis}, kv {kv}");
            return;
        }

        var inRedis = await ScanAllAsync(session.Redis, args);
        var inKv = await ScanAllAsync(session.Kv, args);
        Assert.True(inRedis.SetEquals(inKv), $"{command} iterated: only redis-server returned [{string.Join(", ", inRedis.Except(inKv))}], only kv-server [{string.Join(", ", inKv.Except(inRedis))}]");
    }

    private static async Task<SortedSet<string>> ScanAllAsync(RespTestClient client, object[] args)
    {
        var pairs = new SortedSet<string>(StringComparer.Ordinal);
        string cursor = "0";
        do
        {
            var reply = await client.SendAsync([args[0], args[1], cursor, .. args[3..]]);
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
