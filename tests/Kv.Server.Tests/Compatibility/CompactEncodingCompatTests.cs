using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// Small hashes and sets live in one compact array in kv-server and move to a table past a bound:
/// hashes at Redis's listpack thresholds (entries and value length, also after CONFIG SET), sets at
/// 128 members of at most 64 bytes. At and around each boundary every reply — contents, order where
/// Redis defines it, OBJECT ENCODING, set algebra between the forms — must agree with redis-server.
/// </summary>
public sealed class CompactEncodingCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public CompactEncodingCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private static string N(int i) => i.ToString(CultureInfo.InvariantCulture);

    [RedisTheory]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    public async Task HashAtTheEntriesThreshold(int fields)
    {
        await using var session = await _fixture.OpenSessionAsync(fields);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "64"]);

        // One field at a time into one hash, all at once into another.
        var all = new List<object> { "HSET", "bulk" };
        for (int i = 0; i < fields; i++)
        {
            await session.CompareAsync(["HSET", "one", "field:" + N(i), "value-" + N(i * 7)]);
            all.Add("field:" + N(i));
            all.Add("value-" + N(i * 7));
        }

        await session.CompareAsync([.. all]);
        foreach (var key in new[] { "one", "bulk" })
        {
            await session.CompareAsync(["OBJECT", "ENCODING", key]);
            await session.CompareAsync(["HLEN", key]);
            await session.CompareAsync(["HGETALL", key], await OrderOfAsync(session, key));
            await session.CompareAsync(["HMGET", key, "field:0", "field:64", "field:" + N(fields - 1), "nope"]);
            await session.CompareAsync(["HSTRLEN", key, "field:3"]);
            await session.CompareAsync(["HINCRBY", key, "counter", "5"]);
            await session.CompareAsync(["HINCRBYFLOAT", key, "float", "1.5"]);
            await session.CompareAsync(["HDEL", key, "field:0", "field:5", "nope"]);
            await session.CompareAsync(["HSET", key, "field:6", "replaced with a longer value", "field:7", "s"]);
            await session.CompareAsync(["HKEYS", key], await OrderOfAsync(session, key));
            await session.CompareAsync(["HVALS", key], await OrderOfAsync(session, key));
            await session.CompareAsync(["OBJECT", "ENCODING", key]);
        }
    }

    [RedisFact]
    public async Task HashAtTheValueLengthThreshold()
    {
        await using var session = await _fixture.OpenSessionAsync(64);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", "128", "hash-max-listpack-value", "64"]);
        string at = new('x', 64), past = new('y', 65);
        object[][] steps =
        [
            ["HSET", "f64", at, "1", "b", "2"], ["OBJECT", "ENCODING", "f64"], ["HGETALL", "f64"],
            ["HSET", "v64", "a", at, "b", "2"], ["OBJECT", "ENCODING", "v64"], ["HGETALL", "v64"],
            ["HSET", "f65", "a", "1"], ["HSET", "f65", past, "2"], ["OBJECT", "ENCODING", "f65"],
            ["HSET", "v65", "a", "1", "b", "2"], ["HSET", "v65", "b", past], ["OBJECT", "ENCODING", "v65"],
            ["HSETNX", "nx", "a", "1"], ["HSETNX", "nx", "b", past], ["OBJECT", "ENCODING", "nx"],
            ["HSET", "grow", "a", "1"], ["HSET", "grow", "a", at], ["OBJECT", "ENCODING", "grow"], ["HGET", "grow", "a"],
            ["HSET", "grow", "a", "short again"], ["HGETALL", "grow"],
        ];
        foreach (var step in steps)
        {
            await session.CompareAsync(step);
        }

        foreach (var key in new[] { "f65", "v65", "nx" })
        {
            await session.CompareAsync(["HGETALL", key], ReplyMatch.Unordered);
        }
    }

    [RedisFact]
    public async Task HashThresholdsChangedByConfigSet()
    {
        await using var session = await _fixture.OpenSessionAsync(2);
        await session.SendBothAsync(["FLUSHALL"]);
        try
        {
            await session.CompareAsync(["HSET", "h", "a", "1", "b", "2", "c", "3"]);
            await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", "2"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "h"]);
            await session.CompareAsync(["HGET", "h", "b"]);
            await session.CompareAsync(["HSET", "h", "a", "10"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "h"]);
            await session.CompareAsync(["HGETALL", "h"], ReplyMatch.Unordered);
            await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", "1000", "hash-max-listpack-value", "3"]);
            await session.CompareAsync(["HSET", "k", "abc", "def"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "k"]);
            await session.CompareAsync(["HSET", "k", "abcd", "1"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "k"]);

            // Past 1024 fields kv-server's compact array gives way to its table; Redis still says listpack.
            await session.CompareAsync(["CONFIG", "SET", "hash-max-listpack-entries", "2000", "hash-max-listpack-value", "64"]);
            var many = new List<object> { "HSET", "many" };
            for (int i = 0; i < 1100; i++)
            {
                many.Add("f" + N(i));
                many.Add(N(i));
            }

            await session.CompareAsync([.. many]);
            await session.CompareAsync(["OBJECT", "ENCODING", "many"]);
            await session.CompareAsync(["HDEL", "many", "f3", "f1099"]);
            await session.CompareAsync(["HGETALL", "many"]);
            await session.CompareAsync(["HSCAN", "many", "0", "COUNT", "5"]);
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "hash-max-listpack-entries", "512", "hash-max-listpack-value", "64"]);
        }
    }

    [RedisTheory]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    public async Task SetAtTheCompactBound(int members)
    {
        await using var session = await _fixture.OpenSessionAsync(members);
        await session.SendBothAsync(["FLUSHALL"]);
        await session.CompareAsync(["CONFIG", "SET", "set-max-intset-entries", "512"]);
        var all = new List<object> { "SADD", "bulk" };
        for (int i = 0; i < members; i++)
        {
            await session.CompareAsync(["SADD", "one", "m" + N(i)]);
            all.Add("m" + N(i));
        }

        await session.CompareAsync([.. all]);

        // An intset of the same size that takes one string member, and a set that takes a 65-byte member.
        var ints = new List<object> { "SADD", "ints" };
        for (int i = 0; i < members; i++)
        {
            ints.Add(N(i * 3));
        }

        await session.CompareAsync([.. ints]);
        await session.CompareAsync(["OBJECT", "ENCODING", "ints"]);
        await session.CompareAsync(["SADD", "ints", "m9", "m10"]);
        await session.CompareAsync(["SADD", "long", "a", new string('z', 64)]);
        await session.CompareAsync(["SADD", "long", new string('z', 65)]);

        foreach (var key in new[] { "one", "bulk", "ints", "long" })
        {
            await session.CompareAsync(["OBJECT", "ENCODING", key]);
            await session.CompareAsync(["SCARD", key]);
            await session.CompareAsync(["SMEMBERS", key], ReplyMatch.Unordered);
            await session.CompareAsync(["SMISMEMBER", key, "m0", "m127", "m128", "3", "m9", "nope"]);
            await session.CompareAsync(["SREM", key, "m1", "m2", "6", "nope"]);
            await session.CompareAsync(["SISMEMBER", key, "m1"]);
            await CompareSScanAsync(session, key);
        }

        await session.CompareAsync(["SINTER", "one", "bulk", "ints"], ReplyMatch.Unordered);
        await session.CompareAsync(["SINTERCARD", "2", "ints", "one"]);
        await session.CompareAsync(["SUNION", "one", "ints", "long"], ReplyMatch.Unordered);
        await session.CompareAsync(["SDIFF", "bulk", "ints", "one"], ReplyMatch.Unordered);
        await session.CompareAsync(["SDIFFSTORE", "d", "ints", "one"]);
        await session.CompareAsync(["SMEMBERS", "d"], ReplyMatch.Unordered);
        await session.CompareAsync(["SUNIONSTORE", "u", "one", "ints"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "u"]);
        await session.CompareAsync(["SINTERSTORE", "i", "ints", "one"]);
        await session.CompareAsync(["SMEMBERS", "i"], ReplyMatch.Unordered);
        await session.CompareAsync(["SMOVE", "one", "ints", "m3"]);
        await session.CompareAsync(["SMOVE", "ints", "fresh", "m3"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "fresh"]);
        await session.CompareAsync(["SORT", "one", "ALPHA", "LIMIT", "0", "10"]);

        // SPOP takes random members: the count and what is left must add up, on both servers.
        var (kvPopped, redisPopped) = await session.SendBothAsync(["SPOP", "bulk", "10"]);
        Assert.Equal(redisPopped.Items!.Count, kvPopped.Items!.Count);
        await session.CompareAsync(["SCARD", "bulk"]);
        await session.CompareAsync(["SPOP", "long", "1000"], ReplyMatch.Unordered);
        await session.CompareAsync(["EXISTS", "long"]);
    }

    // Redis's order is insertion order for a listpack and its dict's order for a hashtable.
    private static async Task<ReplyMatch> OrderOfAsync(CompatSession session, string key) =>
        (await session.Redis.SendAsync("OBJECT", "ENCODING", key)).Text == "hashtable" ? ReplyMatch.Unordered : ReplyMatch.Exact;

    // SSCAN to the end on both servers (COUNT 5, so a table is walked in several calls): the same members.
    private static async Task CompareSScanAsync(CompatSession session, string key)
    {
        async Task<List<string>> ScanAsync(Infrastructure.RespTestClient client)
        {
            var seen = new List<string>();
            string cursor = "0";
            do
            {
                var reply = await client.SendAsync("SSCAN", key, cursor, "COUNT", "5");
                cursor = reply.Items![0].Text!;
                seen.AddRange(reply.Items[1].Items!.Select(m => m.Text!));
            }
            while (cursor != "0");

            return [.. seen.Distinct().Order(StringComparer.Ordinal)];
        }

        Assert.Equal(await ScanAsync(session.Redis), await ScanAsync(session.Kv));
    }

    [RedisFact]
    public async Task SmallSetsAcrossIntsetConversions()
    {
        await using var session = await _fixture.OpenSessionAsync(3);
        await session.SendBothAsync(["FLUSHALL"]);
        try
        {
            await session.CompareAsync(["CONFIG", "SET", "set-max-intset-entries", "3"]);
            await session.CompareAsync(["SADD", "s", "3", "1", "2"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "s"]);
            await session.CompareAsync(["SADD", "s", "4"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "s"]);
            await session.CompareAsync(["SMEMBERS", "s"], ReplyMatch.Unordered);
            await session.CompareAsync(["SISMEMBER", "s", "4"]);
            await session.CompareAsync(["SREM", "s", "1", "2", "3", "4"]);
            await session.CompareAsync(["EXISTS", "s"]);
            await session.CompareAsync(["SADD", "t", "a", "007", "7", "-0", "0"]);
            await session.CompareAsync(["SISMEMBER", "t", "7"]);
            await session.CompareAsync(["SMISMEMBER", "t", "007", "0", "-0", "00"]);
            await session.CompareAsync(["SADD", "n", "7", "0"]);
            await session.CompareAsync(["SINTER", "n", "t"], ReplyMatch.Unordered);
            await session.CompareAsync(["SDIFF", "t", "n"], ReplyMatch.Unordered);
            await session.CompareAsync(["SINTERSTORE", "r", "t", "n"]);
            await session.CompareAsync(["OBJECT", "ENCODING", "r"]);
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "set-max-intset-entries", "512"]);
        }
    }
}
