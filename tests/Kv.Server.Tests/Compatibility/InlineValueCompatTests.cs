using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// kv-server keeps a small hash, set, sorted set or list in its key's block between batches of commands and
/// hands commands an object expanded from it (Storage.InlineValue). Collections crossing the inline size
/// both ways — growing past it one member at a time, then shrinking back — with TTLs, moves, copies,
/// DUMP/RESTORE and transactions in between, must answer every read exactly as redis-server does.
/// </summary>
public sealed class InlineValueCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public InlineValueCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private static string N(int i) => i.ToString(CultureInfo.InvariantCulture);

    // 40 bytes: about twelve of them take a collection past the 512-byte inline form, still a listpack in Redis.
    private static string Long(int i) => "member-" + N(i).PadLeft(4, '0') + new string('x', 29);

    [RedisFact]
    public async Task CollectionsCrossingTheInlineSizeBothWaysReadAsInRedis()
    {
        await using var session = await _fixture.OpenSessionAsync(21);
        await session.SendBothAsync(["FLUSHALL"]);
        for (int i = 0; i < 24; i++)
        {
            await session.CompareAsync(["HSET", "h", "f" + N(i), Long(i)]);
            await session.CompareAsync(["ZADD", "z", N(i), Long(i)]);
            await session.CompareAsync(["RPUSH", "l", Long(i)]);
            await session.CompareAsync(["SADD", "s", Long(i)]);
            await session.CompareAsync(["SADD", "ints", N(i * 1000)]);
            await ReadAllAsync(session);
            if (i == 5)
            {
                await session.CompareAsync(["EXPIRE", "h", "1000"]);
                await session.CompareAsync(["PEXPIRE", "z", "500000"]);
            }
        }

        // Every way a value moves or is copied, then read back in later batches.
        await session.CompareAsync(["COPY", "z", "z2"]);
        await session.CompareAsync(["RENAME", "h", "h2"]);
        await session.CompareAsync(["RENAME", "h2", "h"]);
        await session.CompareAsync(["MOVE", "l", "1"]);
        await session.CompareAsync(["SELECT", "1"]);
        await session.CompareAsync(["LRANGE", "l", "0", "-1"]);
        await session.CompareAsync(["MOVE", "l", "0"]);
        await session.CompareAsync(["SELECT", "0"]);
        await session.CompareAsync(["SWAPDB", "0", "1"]);
        await session.CompareAsync(["SWAPDB", "0", "1"]);

        for (int i = 0; i < 24; i++)
        {
            await session.CompareAsync(["HDEL", "h", "f" + N(i)]);
            await session.CompareAsync(["ZREM", "z", Long(i)]);
            await session.CompareAsync(["LPOP", "l"]);
            await session.CompareAsync(["SREM", "s", Long(i)]);
            await session.CompareAsync(["SREM", "ints", N(i * 1000)]);
            await session.CompareAsync(["SADD", "ints", "-1"]);
            if (i < 23)
            {
                await ReadAllAsync(session);
            }
        }

        await session.CompareAsync(["EXISTS", "h", "z", "l", "s"]);
        await session.CompareAsync(["SMEMBERS", "ints"], ReplyMatch.Unordered);
        await session.CompareAsync(["ZRANGE", "z2", "0", "-1", "WITHSCORES"]);
        await session.CompareAsync(["DBSIZE"]);
    }

    [RedisFact]
    public async Task ManySmallCollectionsTouchedInOneTransactionKeepTheirContents()
    {
        await using var session = await _fixture.OpenSessionAsync(22);
        await session.SendBothAsync(["FLUSHALL"]);
        for (int i = 0; i < 50; i++)
        {
            await session.CompareAsync(["HSET", "session:" + N(i), "user", "u" + N(i), "cart", N(i)]);
            await session.CompareAsync(["ZADD", "log:" + N(i), N(i), "a", N(i + 1), "b"]);
        }

        // One batch expands them all, changes some, drops some and moves some.
        await session.CompareAsync(["MULTI"]);
        for (int i = 0; i < 50; i++)
        {
            string s = "session:" + N(i), z = "log:" + N(i);
            await session.CompareAsync(["HINCRBY", s, "cart", "1"]);
            await session.CompareAsync(["ZADD", z, "100", "c" + N(i)]);
            if (i % 5 == 0)
            {
                await session.CompareAsync(["DEL", z]);
            }
            else if (i % 5 == 1)
            {
                await session.CompareAsync(["RENAME", s, "moved:" + N(i)]);
            }
            else if (i % 5 == 2)
            {
                await session.CompareAsync(["SET", s, "a string now"]);
            }
        }

        await session.CompareAsync(["EXEC"]);
        for (int i = 0; i < 50; i++)
        {
            await session.CompareAsync(["HGETALL", "session:" + N(i)]);
            await session.CompareAsync(["HGETALL", "moved:" + N(i)]);
            await session.CompareAsync(["GET", "session:" + N(i)]);
            await session.CompareAsync(["ZRANGE", "log:" + N(i), "0", "-1", "WITHSCORES"]);
        }

        // A value restored from redis-server's own DUMP rests inline like any other.
        var (_, dump) = await session.SendBothAsync(["DUMP", "log:3"]);
        await session.CompareAsync(["RESTORE", "restored", "0", dump.Bytes!]);
        await session.CompareAsync(["ZRANGE", "restored", "0", "-1", "WITHSCORES"]);
        await session.CompareScanAsync(["TYPE", "zset"]);
        await session.CompareScanAsync(["TYPE", "hash"]);
        await session.CompareAsync(["DBSIZE"]);
    }

    private static async Task ReadAllAsync(CompatSession session)
    {
        await session.CompareAsync(["HGETALL", "h"]);
        await session.CompareAsync(["HLEN", "h"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "h"]);
        await session.CompareAsync(["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        await session.CompareAsync(["ZSCORE", "z", Long(3)]);
        await session.CompareAsync(["OBJECT", "ENCODING", "z"]);
        await session.CompareAsync(["LRANGE", "l", "0", "-1"]);
        await session.CompareAsync(["LINDEX", "l", "-1"]);
        await session.CompareAsync(["TYPE", "l"]);
        await session.CompareAsync(["TTL", "h"]);
        await session.CompareAsync(["SMEMBERS", "s"], ReplyMatch.Unordered);
        await session.CompareAsync(["SISMEMBER", "s", Long(2)]);
        await session.CompareAsync(["OBJECT", "ENCODING", "s"]);
        await session.CompareAsync(["SMEMBERS", "ints"]);
        await session.CompareAsync(["OBJECT", "ENCODING", "ints"]);
    }
}
