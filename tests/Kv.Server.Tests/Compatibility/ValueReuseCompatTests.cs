using System.Globalization;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// kv-server reuses a small hash, set or sorted set dropped from the keyspace (deleted, overwritten,
/// expired) for the next one created, once the batch that dropped it has ended (Storage.ValuePool).
/// Whatever way a value leaves its key — DEL, UNLINK, an overwrite by another type, a STORE over it,
/// the last member removed, expiry — or moves (RENAME, MOVE, SWAPDB), every value still in the keyspace
/// must keep its contents, and a command or transaction that reads a value and then drops it must still
/// reply with what it read. Compared reply by reply with redis-server.
/// </summary>
public sealed class ValueReuseCompatTests : IClassFixture<RedisServerFixture>
{
    private readonly RedisServerFixture _fixture;

    public ValueReuseCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    private static string N(int i) => i.ToString(CultureInfo.InvariantCulture);

    [RedisFact]
    public async Task ValuesThatMoveKeepTheirContentsWhileDroppedOnesAreReused()
    {
        await using var session = await _fixture.OpenSessionAsync(12);
        await session.SendBothAsync(["FLUSHALL"]);
        for (int round = 0; round < 20; round++)
        {
            string r = N(round);
            await session.CompareAsync(["HSET", "h", "user", "u" + r, "cart", r, "lang", "en"]);
            await session.CompareAsync(["SADD", "s", "red", "green", "m" + r]);
            await session.CompareAsync(["ZADD", "z", "1", "alice", "2", "bob", r, "m" + r]);
            await session.CompareAsync(["SADD", "ints", "1", "2", r]);

            // Moved, not dropped: the value lives on under its new name.
            await session.CompareAsync(["RENAME", "h", "h:" + r]);
            await session.CompareAsync(["RENAME", "s", "s:" + r]);
            await session.CompareAsync(["MOVE", "z", "1"]);
            await session.CompareAsync(["SELECT", "1"]);
            await session.CompareAsync(["RENAME", "z", "z:" + r]);
            await session.CompareAsync(["SELECT", "0"]);

            // Dropped in every way, then new values created in the following batches.
            await session.CompareAsync(["HSET", "gone", "a", "1", "b", "2"]);
            await session.CompareAsync(["DEL", "gone"]);
            await session.CompareAsync(["SADD", "gone", "x", "y"]);
            await session.CompareAsync(["UNLINK", "gone"]);
            await session.CompareAsync(["ZADD", "gone", "1", "x"]);
            await session.CompareAsync(["SET", "gone", "now a string"]);
            await session.CompareAsync(["HSET", "gone2", "a", "1"]);
            await session.CompareAsync(["HDEL", "gone2", "a"]);
            await session.CompareAsync(["SADD", "gone3", "only"]);
            await session.CompareAsync(["SPOP", "gone3"]);
            await session.CompareAsync(["ZADD", "gone4", "5", "only"]);
            await session.CompareAsync(["ZPOPMIN", "gone4"]);
            await session.CompareAsync(["SADD", "dst", "old", "members"]);
            await session.CompareAsync(["SUNIONSTORE", "dst", "ints", "s:" + r]);
            await session.CompareAsync(["ZADD", "zdst", "9", "old"]);
            await session.CompareAsync(["ZUNIONSTORE", "zdst", "1", "ints"]);
            await session.CompareAsync(["HSET", "short", "a", "1"]);
            await session.CompareAsync(["PEXPIRE", "short", "1"]);
            await Task.Delay(50); // well past the 1 ms TTL on both servers (redis-server reads its clock once per event-loop turn)
            await session.CompareAsync(["EXISTS", "short"]);
            await session.CompareAsync(["SADD", "ints", "7"]);
            await session.CompareAsync(["DEL", "ints"]);
        }

        await session.CompareAsync(["SWAPDB", "0", "1"]);
        await session.CompareAsync(["SWAPDB", "0", "1"]);
        for (int round = 0; round < 20; round++)
        {
            string r = N(round);
            await session.CompareAsync(["HGETALL", "h:" + r], ReplyMatch.Unordered);
            await session.CompareAsync(["SMEMBERS", "s:" + r], ReplyMatch.Unordered);
            await session.CompareAsync(["OBJECT", "ENCODING", "h:" + r]);
        }

        await session.CompareAsync(["SELECT", "1"]);
        for (int round = 0; round < 20; round++)
        {
            await session.CompareAsync(["ZRANGE", "z:" + N(round), "0", "-1", "WITHSCORES"]);
        }

        await session.CompareAsync(["SELECT", "0"]);
        await session.CompareAsync(["SMEMBERS", "dst"], ReplyMatch.Unordered);
        await session.CompareAsync(["ZRANGE", "zdst", "0", "-1", "WITHSCORES"]);
        await session.CompareAsync(["DBSIZE"]);
    }

    [RedisFact]
    public async Task ACommandThatDropsWhatItReadStillRepliesWithIt()
    {
        await using var session = await _fixture.OpenSessionAsync(13);
        await session.SendBothAsync(["FLUSHALL"]);
        for (int round = 0; round < 10; round++)
        {
            string r = N(round);
            await session.CompareAsync(["HSET", "a", "user", "u" + r, "cart", r]);
            await session.CompareAsync(["ZADD", "za", "1", "one" + r, "2", "two"]);

            // One transaction reads, drops and creates: the drops come back to kv-server's pool only after it.
            await session.CompareAsync(["MULTI"]);
            await session.CompareAsync(["HGETALL", "a"]);
            await session.CompareAsync(["DEL", "a"]);
            await session.CompareAsync(["HSET", "b" + r, "x", "y" + r]);
            await session.CompareAsync(["ZRANGE", "za", "0", "-1", "WITHSCORES"]);
            await session.CompareAsync(["SET", "za", "string now"]);
            await session.CompareAsync(["ZADD", "zb" + r, "3", "three" + r]);
            await session.CompareAsync(["EXEC"]);

            // So does one script.
            await session.CompareAsync(["SADD", "sa", "p", "q" + r]);
            await session.CompareAsync(
                [
                    "EVAL",
                    "local v = redis.call('SMEMBERS', KEYS[1]); table.sort(v); redis.call('DEL', KEYS[1]); " +
                    "redis.call('SADD', KEYS[2], 'new', ARGV[1]); redis.call('SADD', KEYS[1], 'again'); return v",
                    "2", "sa", "sb" + r, r,
                ]);
            await session.CompareAsync(["SMEMBERS", "sa"]);
        }

        for (int round = 0; round < 10; round++)
        {
            string r = N(round);
            await session.CompareAsync(["HGETALL", "b" + r]);
            await session.CompareAsync(["ZRANGE", "zb" + r, "0", "-1", "WITHSCORES"]);
            await session.CompareAsync(["SMEMBERS", "sb" + r], ReplyMatch.Unordered);
        }
    }
}
