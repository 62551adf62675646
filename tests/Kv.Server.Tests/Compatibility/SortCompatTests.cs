using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kv.Server.Tests.Infrastructure;
using Kv.Server.Tests.Persistence;

namespace Kv.Server.Tests.Compatibility;

/// <summary>
/// SORT and SORT_RO against a real redis-server 7.0: the forms of sort.c (numeric and ALPHA, BY keys,
/// hash fields and constants, GET, LIMIT extremes, DESC, STORE, binary and NUL-bearing data, the
/// errors), what STORE does to the destination (type, TTL, dirty count, WATCH, blocked pops, the AOF),
/// scripts, and COMMAND GETKEYS; every reply must agree.
/// </summary>
public sealed class SortCompatTests : IClassFixture<RedisServerFixture>, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private readonly RedisServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kv-sort-compat-");

    public SortCompatTests(RedisServerFixture fixture) => _fixture = fixture;

    public void Dispose()
    {
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static byte[] B(string text) => Encoding.Latin1.GetBytes(text);

    // Data every form reads: lists (numbers written as strtod reads them, words with case, UTF-8, a 0xFF
    // byte and NULs), an intset, a hashtable set, sorted sets, weights as strings and hash fields.
    private static readonly object[][] Data =
    [
        ["FLUSHALL"],
        ["RPUSH", "n", "3", "1", "2", "10", "1.5", "-1", "1e2", " 7", "0x10", "+.5", "-inf", "inf", "", "0X1p4", "0x.8", "2", "10"],
        ["RPUSH", "w", "banana", "Apple", "cherry", "apple", B("b\0z"), B("b\0a"), "b", "\u00e9t\u00e9", B("\u00ff"), "", "Banana", "b"],
        ["RPUSH", "ids", "3", "1", "2", "5", "4"],
        ["SADD", "si", "5", "3", "9", "1", "-2", "10"],
        ["SADD", "ss", "banana", "Apple", "cherry", "apple", "b", "10", "2"],
        ["ZADD", "z", "1", "a", "5", "b", "2", "c", "10", "d", "3", "e", "3", "f", "-inf", "min", "+inf", "max"],
        ["ZADD", "zn", "1", "30", "2", "4", "3", "100"],
        ["MSET", "wt_1", "50", "wt_2", "20", "wt_3", "30", "wt_4", "20", "wt_5", "abc", "x_1", "one", "x_3", "three", "x_4", B("fo\0ur")],
        ["HSET", "h_1", "f", "3", "g", "c"],
        ["HSET", "h_2", "f", "1", "g", "a"],
        ["HSET", "h_3", "f", "2"],
        ["HSET", "h_5", "f", "0.5", "g", "b"],
        ["SET", B("wt_1\0x"), "7"],
        ["SET", "wt_1->", "arrow"],
        ["SET", "str", "value"],
        ["HSET", "hash", "a", "b"],
    ];

    private static readonly object[][] Forms =
    [
        // Numeric sorting (strtod: spaces, hex, inf, an empty string is 0), ties by the bytes.
        ["SORT", "n"], ["SORT", "n", "DESC"], ["SORT", "n", "ASC", "DESC", "ASC"], ["SORT", "n", "ALPHA"], ["SORT", "n", "ALPHA", "DESC"],
        ["SORT", "ids"], ["SORT", "si"], ["SORT", "si", "DESC"], ["SORT", "si", "ALPHA"], ["SORT", "zn"], ["SORT", "zn", "DESC"],
        ["SORT", "w"], ["SORT", "ss"], ["SORT", "z"],

        // ALPHA: strcoll (up to a NUL) when replying, binary when storing.
        ["SORT", "w", "ALPHA"], ["SORT", "w", "ALPHA", "DESC"], ["SORT", "ss", "ALPHA"], ["SORT", "ss", "alpha", "desc"], ["SORT", "z", "ALPHA"], ["SORT", "z", "ALPHA", "DESC"],
        ["SORT", "w", "ALPHA", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],
        ["SORT", "w", "ALPHA", "DESC", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],

        // LIMIT, extremes included: clamped to the object.
        ["SORT", "ids", "LIMIT", "0", "0"], ["SORT", "ids", "LIMIT", "1", "2"], ["SORT", "ids", "LIMIT", "-3", "2"], ["SORT", "ids", "LIMIT", "2", "-1"],
        ["SORT", "ids", "LIMIT", "4", "10"], ["SORT", "ids", "LIMIT", "5", "1"], ["SORT", "ids", "LIMIT", "100", "-5"],
        ["SORT", "ids", "LIMIT", "9223372036854775807", "9223372036854775807"], ["SORT", "ids", "LIMIT", "-9223372036854775808", "-9223372036854775808"],
        ["SORT", "ids", "LIMIT", "1", "9223372036854775807"], ["SORT", "ids", "LIMIT", "-9223372036854775808", "2"], ["SORT", "ids", "LIMIT", "1", "1", "LIMIT", "2", "2"],
        ["SORT", "ids", "DESC", "LIMIT", "1", "2"], ["SORT", "nokey", "LIMIT", "0", "1"], ["SORT", "nokey", "LIMIT", "-1", "-1", "GET", "#"],

        // BY keys and hash fields; missing weights are 0 (numeric) or first (ALPHA); non-numbers are an error.
        ["SORT", "ids", "BY", "wt_*"], ["SORT", "ids", "BY", "wt_*", "DESC"], ["SORT", "ids", "BY", "h_*->f"], ["SORT", "ids", "BY", "h_*->f", "DESC", "LIMIT", "1", "3"],
        ["SORT", "ids", "BY", "h_*->g", "ALPHA"], ["SORT", "ids", "BY", "h_*->g", "ALPHA", "DESC"], ["SORT", "ids", "BY", "x_*", "ALPHA"], ["SORT", "ids", "BY", "x_*", "ALPHA", "DESC"],
        ["SORT", "ids", "BY", "x_*", "ALPHA", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],
        ["SORT", "ids", "BY", "nothing_*", "ALPHA"], ["SORT", "ids", "BY", "nothing_*", "ALPHA", "DESC"], ["SORT", "ids", "BY", "nothing_*"], ["SORT", "ids", "BY", "nothing_*", "DESC"],
        ["SORT", "ids", "BY", "h_*->"], ["SORT", "ids", "BY", "h_*->nofield"], ["SORT", "ids", "BY", "str*"], ["SORT", "si", "BY", "wt_*"],
        ["SORT", "ids", "BY", B("wt_*\0x")], ["SORT", "ids", "BY", "wt_*", "BY", "h_*->f"],
        ["SORT", "ids", "BY", "wt_*", "LIMIT", "0", "4"], ["SORT", "ids", "BY", "h_*->g", "ALPHA", "LIMIT", "1", "2"],

        // BY a constant (no '*' before a NUL): the object's own order, DESC and LIMIT applied to it.
        ["SORT", "ids", "BY", "nosort"], ["SORT", "ids", "BY", "nosort", "DESC"], ["SORT", "ids", "BY", "nosort", "LIMIT", "1", "3"], ["SORT", "ids", "BY", "nosort", "DESC", "LIMIT", "1", "3"],
        ["SORT", "ids", "BY", "nosort", "LIMIT", "10", "3"], ["SORT", "ids", "BY", B("w\0*")], ["SORT", "ids", "BY", "nosort", "BY", "wt_*"],
        ["SORT", "si", "BY", "nosort"], ["SORT", "si", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
        ["SORT", "z", "BY", "nosort"], ["SORT", "z", "BY", "nosort", "DESC"], ["SORT", "z", "BY", "nosort", "LIMIT", "2", "3"], ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "2", "3"],
        ["SORT", "z", "BY", "nosort", "LIMIT", "0", "1"], ["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "1"], ["SORT", "z", "BY", "nosort", "LIMIT", "8", "1"], ["SORT", "z", "BY", "nosort", "LIMIT", "-10", "100"],
        ["SORT", "ss", "BY", "nosort", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"], ["SORT", "ss", "BY", "nosort", "DESC", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],
        ["SORT", "si", "BY", "nosort", "GET", "wt_*", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],

        // GET: repeatable, '#' the element, a constant never found, missing values nil (or "" stored).
        ["SORT", "ids", "GET", "#"], ["SORT", "ids", "GET", "wt_*"], ["SORT", "ids", "GET", "#", "GET", "wt_*", "GET", "h_*->g", "GET", "nothing"],
        ["SORT", "ids", "BY", "wt_*", "GET", "x_*", "GET", "#"], ["SORT", "ids", "GET", B("#\0")], ["SORT", "ids", "GET", "#x"], ["SORT", "ids", "GET", "str*", "GET", "h_*"],
        ["SORT", "ids", "GET", "wt_*->", "LIMIT", "0", "1"], ["SORT", "ids", "GET", "wt_*", "ALPHA", "LIMIT", "1", "2", "DESC"],
        ["SORT", "ids", "GET", "#", "GET", "x_*", "STORE", "dst"], ["LRANGE", "dst", "0", "-1"],
        ["SORT", "ids", "LIMIT", "0", "0", "GET", "#", "GET", "#"],

        // STORE: a list replacing any value and TTL; an empty result deletes the destination.
        ["SET", "dst", "old", "EX", "100"], ["SORT", "ids", "STORE", "dst"], ["TYPE", "dst"], ["TTL", "dst"], ["LRANGE", "dst", "0", "-1"],
        ["SORT", "ids", "STORE", "a", "STORE", "dst2"], ["EXISTS", "a"], ["LRANGE", "dst2", "0", "-1"],
        ["SORT", "nokey", "STORE", "dst"], ["EXISTS", "dst"], ["SORT", "nokey", "STORE", "dst"], ["SORT", "ids", "LIMIT", "9", "1", "STORE", "dst2"], ["EXISTS", "dst2"],
        ["SORT", "ids", "STORE", "ids"], ["LRANGE", "ids", "0", "-1"], ["SORT", "ids", "DESC", "STORE", "ids"], ["LRANGE", "ids", "0", "-1"],
        ["SORT", "str", "STORE", "dst"], ["SORT", "n", "BY", "nothing", "STORE", "n2"], ["LRANGE", "n2", "0", "-1"],

        // SORT_RO: the same, without STORE.
        ["SORT_RO", "ids"], ["SORT_RO", "ids", "BY", "wt_*", "GET", "#", "GET", "h_*->f", "DESC"], ["SORT_RO", "z", "BY", "nosort", "LIMIT", "1", "2"],
        ["SORT_RO", "ids", "STORE", "dst"], ["SORT_RO", "ids", "STORE"], ["SORT_RO", "nokey"], ["SORT_RO", "str"],

        // Errors: options are checked before the key, the key's type before the scores.
        ["SORT", "ids", "LIMIT"], ["SORT", "ids", "LIMIT", "1"], ["SORT", "ids", "LIMIT", "a", "1"], ["SORT", "ids", "LIMIT", "1", "1.5"], ["SORT", "ids", "BY"],
        ["SORT", "ids", "GET"], ["SORT", "ids", "STORE"], ["SORT", "ids", "nosuch"], ["SORT", "str", "LIMIT", "x", "1"], ["SORT", "str", "foo"], ["SORT", "str"],
        ["SORT", "hash"], ["SORT", "hash", "STORE", "dst"], ["SORT", "w"], ["SORT", "ss", "DESC"], ["SORT", "ids", "BY", "wt_*", "GET", "#"],
        ["SORT", "wt_*"], ["SORT"], ["SORT_RO"],
        ["SET", "dst", "kept"], ["SORT", "w", "STORE", "dst"], ["GET", "dst"], ["SORT", "z", "STORE", "dst"], ["GET", "dst"],

        // A sorted set is left a skiplist by SORT and SORT_RO.
        ["ZADD", "small", "1", "a", "2", "b"], ["OBJECT", "ENCODING", "small"], ["SORT_RO", "small", "ALPHA"], ["OBJECT", "ENCODING", "small"], ["ZRANGE", "small", "0", "-1", "WITHSCORES"],

        // Scripts: a set BY a constant comes out sorted (ALPHA), with or without GET; other orders stay.
        ["EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", "ss"],
        ["EVAL", "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')", "1", "ss"],
        ["EVAL", "return redis.call('sort', KEYS[1], 'desc')", "1", "si"],
        ["EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc')", "1", "z"],
        ["EVAL", "return redis.call('sort', KEYS[1], 'by', 'nosort', 'store', 'dst')", "1", "ss"], ["LRANGE", "dst", "0", "-1"],
        ["EVAL", "return redis.call('sort_ro', KEYS[1], 'by', 'nosort')", "1", "ids"],
        ["EVAL", "return redis.pcall('sort', KEYS[1])", "1", "w"],

        // COMMAND GETKEYS uses sortGetKeys: the last STORE counts, LIMIT/GET/BY skip their arguments.
        ["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "def"], ["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "invalid", "STORE", "stillbad", "STORE", "def"],
        ["COMMAND", "GETKEYS", "SORT", "abc"], ["COMMAND", "GETKEYS", "SORT", "abc", "GET", "store", "x"], ["COMMAND", "GETKEYS", "SORT", "abc", "LIMIT", "store", "x", "y"],
        ["COMMAND", "GETKEYS", "SORT", "abc", "STORE"], ["COMMAND", "GETKEYSANDFLAGS", "SORT", "abc", "ASC", "STORE", "d"], ["COMMAND", "GETKEYS", "SORT_RO", "abc", "STORE", "d"],
        ["COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "abc"], ["COMMAND", "GETKEYS", "SORT"],
    ];

    [RedisFact]
    public async Task SortFormsGetTheSameRepliesAsRedis()
    {
        await using var session = await _fixture.OpenSessionAsync();
        foreach (var command in Data)
        {
            await session.CompareAsync(command);
        }

        foreach (var command in Forms)
        {
            await session.CompareAsync(command);
        }
    }

    [RedisFact]
    public async Task SortFormsInResp3GetTheSameRepliesAsRedis()
    {
        await using var session = await _fixture.OpenSessionAsync(protocol: 3);
        foreach (var command in Data)
        {
            await session.CompareAsync(command);
        }

        foreach (var command in Forms)
        {
            await session.CompareAsync(command);
        }
    }

    // server.dirty grows by the elements stored (or by one for a deletion), as persistence and replicas see it.
    [RedisFact]
    public async Task StoreCountsChangesAsRedis()
    {
        await using var session = await _fixture.OpenSessionAsync();
        foreach (var command in Data)
        {
            await session.CompareAsync(command);
        }

        object[][] stores =
        [
            ["SORT", "ids", "STORE", "dst"], ["SORT", "ids", "GET", "#", "GET", "wt_*", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"],
            ["SORT", "ids", "LIMIT", "1", "2"], ["SORT_RO", "ids"], ["SORT", "w", "STORE", "dst"],
        ];
        foreach (var command in stores)
        {
            long kvBefore = await ChangesAsync(session.Kv), redisBefore = await ChangesAsync(session.Redis);
            await session.CompareAsync(command);
            long kvDelta = await ChangesAsync(session.Kv) - kvBefore, redisDelta = await ChangesAsync(session.Redis) - redisBefore;
            Assert.True(kvDelta == redisDelta, $"{string.Join(' ', command)}: redis-server counted {redisDelta} changes, kv-server {kvDelta}");
        }
    }

    // list.tcl "$pop when result key is created by SORT..STORE": the stored list serves a blocked pop.
    [RedisTheory]
    [InlineData("BLPOP", "dst", "5")]
    [InlineData("BRPOP", "dst", "5")]
    [InlineData("BLMPOP", "5", "1", "dst", "LEFT", "COUNT", "2")]
    [InlineData("BLMOVE", "dst", "moved", "RIGHT", "LEFT", "5")]
    public async Task StoreWakesABlockedPop(params string[] pop)
    {
        await using var a = await _fixture.OpenSessionAsync();
        await using var b = await _fixture.OpenSessionAsync();
        await a.CompareAsync(["FLUSHALL"]);
        await a.CompareAsync(["RPUSH", "src", "hello", "hola", "aguacate", "konichiwa", "zanzibar"]);
        await Task.WhenAll(b.Kv.WriteCommandAsync(pop), b.Redis.WriteCommandAsync(pop));
        await WaitForBlockedAsync(a.Kv, 1);
        await WaitForBlockedAsync(a.Redis, 1);

        await a.CompareAsync(["SORT", "src", "ALPHA", "STORE", "dst"]);
        await b.CompareReadAsync(string.Join(' ', pop));
        await a.CompareAsync(["LRANGE", "dst", "0", "-1"]);
        await a.CompareAsync(["LRANGE", "moved", "0", "-1"]);
    }

    // multi.tcl "EXEC fail on WATCHed key modified by SORT with STORE even if the result is empty", and the
    // cases that change nothing.
    [RedisFact]
    public async Task StoreTouchesWatchedKeysAsRedis()
    {
        await using var a = await _fixture.OpenSessionAsync();
        await using var b = await _fixture.OpenSessionAsync();
        object[][] steps =
        [
            ["FLUSHALL"], ["LPUSH", "foo", "bar"], ["RPUSH", "src", "2", "1"],
            ["WATCH", "foo"], ["SORT", "emptylist", "STORE", "foo"], ["MULTI"], ["PING"], ["EXEC"], ["EXISTS", "foo"],
            ["WATCH", "foo"], ["#B", "SORT", "emptylist", "STORE", "foo"], ["MULTI"], ["PING"], ["EXEC"],
            ["WATCH", "foo"], ["#B", "SORT", "src", "STORE", "foo"], ["MULTI"], ["PING"], ["EXEC"], ["LRANGE", "foo", "0", "-1"],
            ["WATCH", "foo"], ["#B", "SORT", "src", "STORE", "other"], ["#B", "SORT_RO", "foo"], ["#B", "SORT", "foo"], ["MULTI"], ["PING"], ["EXEC"],
            ["WATCH", "foo"], ["#B", "SORT", "src", "LIMIT", "5", "5", "STORE", "foo"], ["MULTI"], ["PING"], ["EXEC"], ["EXISTS", "foo"],
            ["WATCH", "foo"], ["#B", "SORT", "src", "LIMIT", "5", "5", "STORE", "foo"], ["MULTI"], ["PING"], ["EXEC"],
            ["MULTI"], ["SORT", "src", "DESC", "STORE", "foo"], ["SORT", "foo", "LIMIT", "0", "1"], ["SORT", "str"], ["EXEC"],
        ];
        foreach (var step in steps)
        {
            if (step[0] is "#B")
            {
                await b.CompareAsync(step[1..]);
            }
            else
            {
                await a.CompareAsync(step);
            }
        }
    }

    // SORT … STORE is written to the append-only file as it was sent, only when it changed something
    // (a stored list, or a deleted destination), as Redis propagates it.
    [RedisFact]
    public async Task StoreIsWrittenToTheAofAsRedisWritesIt()
    {
        string kvDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "kv")).FullName;
        string redisDir = Directory.CreateDirectory(Path.Combine(_dir.FullName, "redis")).FullName;
        string[] options = ["--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "always"];
        object[][] commands =
        [
            ["RPUSH", "src", "3", "1", "2"], ["SADD", "set", "b", "a"],
            ["SORT", "src", "STORE", "dst"], ["SORT", "set", "BY", "nosort", "STORE", "dst2"], ["SORT", "src", "LIMIT", "0", "1", "GET", "#", "GET", "w_*", "STORE", "dst3"],
            ["SORT", "nokey", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"], ["SORT", "src"], ["SORT_RO", "src"], ["SORT", "src", "LIMIT", "x", "1", "STORE", "dst"],
            ["SET", "k", "v"],
        ];

        List<string> expected;
        await using (var redis = await ServerProcess.StartRedisAsync([.. options, "--dir", redisDir]))
        {
            await using var r = await RespTestClient.ConnectAsync(redis.Port);
            foreach (var command in commands)
            {
                await r.SendAsync(command);
            }

            await r.WriteCommandAsync("SHUTDOWN", "NOSAVE");
            await redis.WaitForExitAsync();
            expected = AofFiles.Commands(AofFiles.LastIncr(redisDir));
        }

        await using (var kv = await KvServerFixture.StartAsync([.. options, "--dir", kvDir]))
        {
            await using var c = await RespTestClient.ConnectAsync(kv.Port);
            foreach (var command in commands)
            {
                await c.SendAsync(command);
            }
        }

        Assert.Equal(expected, AofFiles.Commands(AofFiles.LastIncr(kvDir)));
        Assert.Contains("SORT src STORE dst", expected);
    }

    // Keyspace notifications: "sortstore" for a stored list (with "new" for a new key), "del" for a deleted
    // destination, nothing for an empty result on a missing destination or for a plain SORT.
    [RedisFact]
    public async Task StoreNotifiesAsRedis()
    {
        await using var session = await _fixture.OpenSessionAsync();
        await using var kvSubscriber = await _fixture.ConnectKvAsync();
        await using var redisSubscriber = await _fixture.ConnectRedisAsync();
        await session.CompareAsync(["FLUSHALL"]);
        await session.CompareAsync(["RPUSH", "src", "2", "1"]);
        await session.CompareAsync(["CONFIG", "SET", "notify-keyspace-events", "KEAn"]);
        await kvSubscriber.SendAsync("PSUBSCRIBE", "__key*__:*");
        await redisSubscriber.SendAsync("PSUBSCRIBE", "__key*__:*");
        try
        {
            object[][] commands =
            [
                ["SORT", "src", "STORE", "dst"], ["SORT", "src", "DESC", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"], ["SORT", "nokey", "STORE", "dst"],
                ["SORT", "src"], ["SORT_RO", "src", "BY", "nosort"], ["SET", "s", "x"], ["SORT", "src", "GET", "#", "STORE", "s"], ["SORT", "s"],
            ];
            foreach (var command in commands)
            {
                await session.CompareAsync(command);
            }

            await session.SendBothAsync(["PUBLISH", "__keyevent@99__:end", "0"]);
            var kv = await ReadEventsAsync(kvSubscriber);
            var redis = await ReadEventsAsync(redisSubscriber);
            Assert.Contains("__keyevent@0__:sortstore dst", redis);
            Assert.Equal(redis, kv);
        }
        finally
        {
            await session.SendBothAsync(["CONFIG", "SET", "notify-keyspace-events", ""]);
        }
    }

    private static async Task<List<string>> ReadEventsAsync(RespTestClient subscriber)
    {
        var events = new List<string>();
        while (true)
        {
            var items = (await subscriber.ReadReplyAsync(Deadline)).Items!;
            string channel = items[^2].Text!;
            if (channel == "__keyevent@99__:end")
            {
                return events;
            }

            events.Add(channel + " " + items[^1].Text);
        }
    }

    private static async Task<long> ChangesAsync(RespTestClient client)
    {
        string info = (await client.SendAsync("INFO", "persistence")).Text ?? "";
        int at = info.IndexOf("rdb_changes_since_last_save:", StringComparison.Ordinal) + "rdb_changes_since_last_save:".Length;
        return long.Parse(info[at..info.IndexOf('\r', at)], CultureInfo.InvariantCulture);
    }

    private static async Task WaitForBlockedAsync(RespTestClient client, int count)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            string info = (await client.SendAsync("INFO", "clients")).Text ?? "";
            int at = info.IndexOf("blocked_clients:", StringComparison.Ordinal) + "blocked_clients:".Length;
            int blocked = int.Parse(info[at..info.IndexOf('\r', at)], CultureInfo.InvariantCulture);
            if (blocked == count)
            {
                return;
            }

            Assert.True(watch.Elapsed < Deadline, $"expected {count} blocked clients, INFO says {blocked}");
            await Task.Delay(5);
        }
    }
}
