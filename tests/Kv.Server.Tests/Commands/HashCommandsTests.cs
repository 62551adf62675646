using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// Hash commands over a socket: replies and error texts (checked against redis-server 7.0.15),
/// encodings at the listpack limits, field order, and Redis 7.4's per-field expiry on a manual clock.
/// </summary>
public sealed class HashCommandsTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new();
    private KvServer _server = null!;
    private RespTestClient _c = null!;

    public async Task InitializeAsync()
    {
        _server = await KvServerFixture.StartAsync(["--hz", "100"], _clock);
        _c = await RespTestClient.ConnectAsync(_server.Port);
    }

    public async Task DisposeAsync()
    {
        await _c.DisposeAsync();
        await _server.DisposeAsync();
    }

    private async Task Is(string expected, params object[] args) => Assert.Equal(expected, (await _c.SendAsync(args)).ToString());

    [Fact]
    public async Task SetGetAndDelete()
    {
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "c", "3");
        await Is(":1", "HSET", "h", "a", "10", "d", "4");
        await Is("-ERR wrong number of arguments for 'hset' command", "HSET", "h", "a", "1", "b");
        await Is("-ERR wrong number of arguments for 'hmset' command", "HMSET", "h", "a");
        await Is("+OK", "HMSET", "h", "e", "5");
        await Is("$10", "HGET", "h", "a");
        await Is("(nil)", "HGET", "h", "zz");
        await Is("(nil)", "HGET", "nokey", "a");
        await Is("*[$10, (nil), $2]", "HMGET", "h", "a", "zz", "b");
        await Is("*[(nil), (nil)]", "HMGET", "nokey", "a", "b");
        await Is(":5", "HLEN", "h");
        await Is(":2", "HSTRLEN", "h", "a");
        await Is(":0", "HSTRLEN", "h", "zz");
        await Is(":1", "HEXISTS", "h", "a");
        await Is(":0", "HEXISTS", "h", "zz");
        await Is(":0", "HSETNX", "h", "a", "x");
        await Is(":1", "HSETNX", "h", "f", "6");
        await Is(":2", "HDEL", "h", "b", "zz", "c");
        await Is("*[$a, $d, $e, $f]", "HKEYS", "h");
        await Is("*[$10, $4, $5, $6]", "HVALS", "h");
        await Is("*[$a, $10, $d, $4, $e, $5, $f, $6]", "HGETALL", "h");
        await Is("*[]", "HGETALL", "nokey");
        await Is(":4", "HDEL", "h", "a", "d", "e", "f");
        await Is(":0", "EXISTS", "h");
        await Is("+none", "TYPE", "h");
    }

    [Fact]
    public async Task WrongTypeEverywhere()
    {
        await Is("+OK", "SET", "s", "x");
        foreach (var args in new object[][]
        {
            ["HSET", "s", "a", "1"], ["HSETNX", "s", "a", "1"], ["HMSET", "s", "a", "1"], ["HGET", "s", "a"], ["HMGET", "s", "a"],
            ["HDEL", "s", "a"], ["HLEN", "s"], ["HSTRLEN", "s", "a"], ["HEXISTS", "s", "a"], ["HKEYS", "s"], ["HVALS", "s"],
            ["HGETALL", "s"], ["HINCRBY", "s", "a", "1"], ["HINCRBYFLOAT", "s", "a", "1"], ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "2"],
            ["HSCAN", "s", "0"], ["HEXPIRE", "s", "10", "FIELDS", "1", "a"], ["HTTL", "s", "FIELDS", "1", "a"], ["HPERSIST", "s", "FIELDS", "1", "a"],
        })
        {
            await Is("-WRONGTYPE Operation against a key holding the wrong kind of value", args);
        }

        await Is("$x", "GET", "s");
        await Is(":1", "HSET", "h", "a", "1");
        await Is("-WRONGTYPE Operation against a key holding the wrong kind of value", "GET", "h");
        await Is("+hash", "TYPE", "h");
    }

    [Fact]
    public async Task Counters()
    {
        await Is(":5", "HINCRBY", "h", "n", "5");
        await Is(":-2", "HINCRBY", "h", "n", "-7");
        await Is("-ERR value is not an integer or out of range", "HINCRBY", "h", "n", "x");
        await Is(":9223372036854775807", "HINCRBY", "h", "m", "9223372036854775807");
        await Is("-ERR increment or decrement would overflow", "HINCRBY", "h", "m", "1");
        await Is(":1", "HSET", "h", "s", "abc");
        await Is("-ERR hash value is not an integer", "HINCRBY", "h", "s", "1");
        await Is("-ERR hash value is not a float", "HINCRBYFLOAT", "h", "s", "1");
        await Is("$10.6", "HINCRBYFLOAT", "h", "f", "10.6");
        await Is("$10.7", "HINCRBYFLOAT", "h", "f", "0.1");
        await Is("$5000", "HINCRBYFLOAT", "h", "e", "5.0e3");
        await Is("-ERR value is not a valid float", "HINCRBYFLOAT", "h", "f", "abc");
        await Is("-ERR value is NaN or Infinity", "HINCRBYFLOAT", "h", "f", "inf");
        await Is(":1", "HSET", "h", "i", "inf");
        await Is("-ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "h", "i", "1");
        await Is("$-1.5", "HINCRBYFLOAT", "h", "n", "0.5");
        await Is("-ERR value is not an integer or out of range", "HINCRBY", "nokey", "n", "x");
        await Is(":0", "EXISTS", "nokey");
    }

    [Fact]
    public async Task RandomFieldShapesAndErrors()
    {
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "c", "3");
        Assert.Contains((await _c.SendAsync("HRANDFIELD", "h")).ToString(), new[] { "$a", "$b", "$c" });
        await Is("(nil)", "HRANDFIELD", "nokey");
        await Is("*[]", "HRANDFIELD", "nokey", "3");
        await Is("*[]", "HRANDFIELD", "h", "0");
        await Is("*[$a, $1, $b, $2, $c, $3]", "HRANDFIELD", "h", "10", "WITHVALUES");
        Assert.Equal(2, (await _c.SendAsync("HRANDFIELD", "h", "2")).Items!.Distinct().Count());
        Assert.Equal(10, (await _c.SendAsync("HRANDFIELD", "h", "-5", "WITHVALUES")).Items!.Count);
        await Is("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807", "HRANDFIELD", "h", "-9223372036854775808");
        await Is("-ERR value is out of range", "HRANDFIELD", "h", "9223372036854775807", "WITHVALUES");
        await Is("-ERR syntax error", "HRANDFIELD", "h", "1", "WITHVALUE");
        await Is("-ERR value is not an integer or out of range", "HRANDFIELD", "h", "x");

        Assert.Equal('%', (await _c.SendAsync("HELLO", "3")).Type);
        var pairs = await _c.SendAsync("HRANDFIELD", "h", "-4", "WITHVALUES");
        Assert.Equal(4, pairs.Items!.Count);
        Assert.All(pairs.Items, pair => Assert.Equal(2, pair.Items!.Count));
        var map = await _c.SendAsync("HGETALL", "h");
        Assert.Equal('%', map.Type);
    }

    [Fact]
    public async Task ScanReturnsSmallHashesWholeAndIteratesBigOnes()
    {
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "ab", "3");
        await Is("*[$0, *[$a, $1, $b, $2, $ab, $3]]", "HSCAN", "h", "0", "COUNT", "1");
        await Is("*[$0, *[$a, $1, $ab, $3]]", "HSCAN", "h", "0", "MATCH", "a*");
        await Is("*[$0, *[]]", "HSCAN", "nokey", "0", "COUNT", "0");
        await Is("-ERR invalid cursor", "HSCAN", "h", "x");
        await Is("-ERR syntax error", "HSCAN", "h", "0", "COUNT", "0");
        await Is("-ERR syntax error", "HSCAN", "h", "0", "TYPE", "string");

        for (int i = 0; i < 1000; i++)
        {
            await _c.SendAsync("HSET", "big", "f" + i, "v" + i);
        }

        await Is("$hashtable", "OBJECT", "ENCODING", "big");
        var seen = new HashSet<string>();
        string cursor = "0";
        do
        {
            var reply = await _c.SendAsync("HSCAN", "big", cursor, "COUNT", "50");
            cursor = reply.Items![0].Text!;
            Assert.True(reply.Items[1].Items!.Count <= 100);
            for (int i = 0; i < reply.Items[1].Items!.Count; i += 2)
            {
                seen.Add(reply.Items[1].Items![i].Text!);
            }
        }
        while (cursor != "0");
        Assert.Equal(1000, seen.Count);
    }

    [Fact]
    public async Task EncodingsFollowTheListpackLimitsAndNeverGoBack()
    {
        for (int i = 0; i < 512; i++)
        {
            await _c.SendAsync("HSET", "h", "f" + i, "v");
        }

        await Is("$listpack", "OBJECT", "ENCODING", "h");
        await Is(":1", "HSET", "h", "one-more", "v");
        await Is("$hashtable", "OBJECT", "ENCODING", "h");
        await Is(":513", ["HDEL", "h", .. Enumerable.Range(0, 512).Select(i => (object)("f" + i)), "one-more"]);

        await Is(":1", "HSET", "v", "a", new string('x', 64));
        await Is("$listpack", "OBJECT", "ENCODING", "v");
        await Is(":0", "HSET", "v", "a", new string('x', 65));
        await Is("$hashtable", "OBJECT", "ENCODING", "v");
        await Is(":1", "HDEL", "v", "a");
        await Is(":1", "HSET", "v", "a", "1");
        await Is(":1", "HSET", "v", "b", "1");
        await Is("$listpack", "OBJECT", "ENCODING", "v");

        await Is(":1", "HINCRBY", "w", new string('k', 65), "1");
        await Is("$hashtable", "OBJECT", "ENCODING", "w");

        await Is("+OK", "CONFIG", "SET", "hash-max-ziplist-entries", "2");
        await Is(":2", "HSET", "z", "a", "1", "b", "2");
        await Is("$listpack", "OBJECT", "ENCODING", "z");
        await Is(":1", "HSETNX", "z", "c", "3");
        await Is("$hashtable", "OBJECT", "ENCODING", "z");
        await Is(":2", "HDEL", "z", "a", "b");
        await Is("$hashtable", "OBJECT", "ENCODING", "z");
        await Is("+OK", "CONFIG", "SET", "hash-max-ziplist-entries", "512");
    }

    [Fact]
    public async Task SmallHashesKeepInsertionOrderWithDeletionsCompacting()
    {
        await Is(":5", "HSET", "h", "e", "1", "d", "2", "c", "3", "b", "4", "a", "5");
        await Is(":2", "HDEL", "h", "d", "b");
        await Is(":1", "HSET", "h", "z", "6");
        await Is(":0", "HSET", "h", "e", "7");
        await Is("*[$e, $c, $a, $z]", "HKEYS", "h");
        await Is(":1", "COPY", "h", "h2");
        await Is("*[$e, $7, $c, $3, $a, $5, $z, $6]", "HGETALL", "h2");
    }

    [Fact]
    public async Task FieldExpiryRepliesAndConditions()
    {
        long now = _clock.UnixMilliseconds;
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "c", "3");
        await Is("*[:1, :-2]", "HEXPIRE", "h", "100", "FIELDS", "2", "a", "zz");
        await Is("*[:100, :-1, :-2]", "HTTL", "h", "FIELDS", "3", "a", "b", "zz");
        await Is("*[:100000]", "HPTTL", "h", "FIELDS", "1", "a");
        await Is($"*[:{(now + 100_000 + 999) / 1000}]", "HEXPIRETIME", "h", "FIELDS", "1", "a");
        await Is($"*[:{now + 100_000}]", "HPEXPIRETIME", "h", "FIELDS", "1", "a");
        await Is("*[:0, :1]", "HEXPIRE", "h", "50", "NX", "FIELDS", "2", "a", "b");
        await Is("*[:1, :0]", "HPEXPIRE", "h", "200000", "XX", "FIELDS", "2", "a", "c");
        await Is("*[:0, :0]", "HEXPIRE", "h", "10", "GT", "FIELDS", "2", "a", "c");
        await Is("*[:1, :1]", "HEXPIRE", "h", "10", "LT", "FIELDS", "2", "a", "c");
        await Is($"*[:1]", "HEXPIREAT", "h", ((now / 1000) + 1000).ToString(), "FIELDS", "1", "b");
        await Is($"*[:{(now / 1000) + 1000}]", "HEXPIRETIME", "h", "FIELDS", "1", "b");
        await Is($"*[:1]", "HPEXPIREAT", "h", (now + 5000).ToString(), "FIELDS", "1", "b");
        await Is("*[:1, :1, :-2]", "HPERSIST", "h", "FIELDS", "3", "a", "b", "zz");
        await Is("*[:-1]", "HPERSIST", "h", "FIELDS", "1", "a");
        await Is("*[:-2, :-2]", "HEXPIRE", "nokey", "10", "FIELDS", "2", "a", "b");
        await Is("*[:-2]", "HTTL", "nokey", "FIELDS", "1", "a");
        await Is("*[:-2]", "HPERSIST", "nokey", "FIELDS", "1", "a");
        await Is("*[:2, :-2]", "HEXPIRE", "h", "0", "FIELDS", "2", "a", "a");
        await Is("*[:2]", "HPEXPIREAT", "h", "1", "FIELDS", "1", "b");
        await Is("*[$c]", "HKEYS", "h");
        await Is("*[:2]", "HEXPIRE", "h", "0", "FIELDS", "1", "c");
        await Is(":0", "EXISTS", "h");
    }

    [Fact]
    public async Task FieldExpiryErrors()
    {
        await Is(":1", "HSET", "h", "a", "1");
        await Is("-ERR value is not an integer or out of range", "HEXPIRE", "h", "x", "FIELDS", "1", "a");
        await Is("-ERR invalid expire time, must be >= 0", "HEXPIRE", "h", "-1", "FIELDS", "1", "a");
        await Is("-ERR invalid expire time in 'hexpire' command", "HEXPIRE", "h", "9223372036854775807", "FIELDS", "1", "a");
        await Is("-ERR invalid expire time in 'hpexpireat' command", "HPEXPIREAT", "h", "70368744177664", "FIELDS", "1", "a");
        await Is("-ERR Mandatory argument FIELDS is missing or not at the right position", "HEXPIRE", "h", "10", "XX", "FIELD", "1", "a");
        await Is("-ERR Mandatory argument FIELDS is missing or not at the right position", "HEXPIRE", "h", "10", "BAD", "FIELDS", "1", "a");
        await Is("-ERR Parameter `numFields` should be greater than 0", "HEXPIRE", "h", "10", "FIELDS", "0", "a");
        await Is("-ERR Parameter `numFields` should be greater than 0", "HEXPIRE", "h", "10", "FIELDS", "x", "a");
        await Is("-ERR The `numfields` parameter must match the number of arguments", "HEXPIRE", "h", "10", "FIELDS", "2", "a");
        await Is("-ERR The `numfields` parameter must match the number of arguments", "HEXPIRE", "h", "10", "NX", "FIELDS", "1", "a", "b");
        await Is("-ERR wrong number of arguments for 'hexpire' command", "HEXPIRE", "h", "10", "FIELDS", "1");
        await Is("-ERR Mandatory argument FIELDS is missing or not at the right position", "HTTL", "h", "FIELD", "1", "a");
        await Is("-ERR Number of fields must be a positive integer", "HTTL", "h", "FIELDS", "0", "a");
        await Is("-ERR The `numfields` parameter must match the number of arguments", "HPTTL", "h", "FIELDS", "3", "a");
        await Is("-ERR Number of fields must be a positive integer", "HPERSIST", "h", "FIELDS", "-1", "a");
        await Is("-ERR wrong number of arguments for 'hpersist' command", "HPERSIST", "h", "FIELDS", "1");
    }

    [Fact]
    public async Task FieldsExpireLazilyAndTheKeyGoesWithTheLast()
    {
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "c", "3");
        await Is("*[:1, :1]", "HPEXPIRE", "h", "1000", "FIELDS", "2", "a", "b");
        await Is("$listpackex", "OBJECT", "ENCODING", "h");
        _clock.Advance(TimeSpan.FromMilliseconds(1001));
        await Is("(nil)", "HGET", "h", "a");
        await Is("*[:-2, :-1]", "HTTL", "h", "FIELDS", "2", "b", "c");
        await Is("*[$c, $3]", "HGETALL", "h");
        await Is(":0", "HEXISTS", "h", "b");
        await Is(":1", "HLEN", "h");

        await Is(":1", "HSET", "k", "only", "1");
        await Is("*[:1]", "HEXPIRE", "k", "1", "FIELDS", "1", "only");
        _clock.Advance(TimeSpan.FromSeconds(2));
        await Is("(nil)", "HGET", "k", "only");
        await Is(":0", "EXISTS", "k");
    }

    // A small hash leaves its compact array when a field gets a TTL (or HEXPIRE* touches it): the
    // fields keep their order, the encoding says listpackex until the entries threshold, and COPY,
    // HPERSIST and growth past the threshold behave as for any listpack.
    [Fact]
    public async Task FieldTtlOnASmallHashKeepsOrderAndEncoding()
    {
        await Is(":4", "HSET", "h", "d", "1", "c", "2", "b", "3", "a", "4");
        await Is("$listpack", "OBJECT", "ENCODING", "h");
        await Is("*[:-2]", "HEXPIRE", "h", "100", "FIELDS", "1", "zz");
        await Is("$listpackex", "OBJECT", "ENCODING", "h");
        await Is("*[:1]", "HPEXPIRE", "h", "500", "FIELDS", "1", "c");
        await Is(":1", "HDEL", "h", "d");
        await Is(":1", "HSET", "h", "e", "5");
        await Is("*[$c, $2, $b, $3, $a, $4, $e, $5]", "HGETALL", "h");
        await Is(":1", "COPY", "h", "copy");
        await Is("$listpackex", "OBJECT", "ENCODING", "copy");
        await Is("*[:1]", "HPERSIST", "copy", "FIELDS", "1", "c");
        _clock.Advance(TimeSpan.FromMilliseconds(501));
        await Is("*[$b, $3, $a, $4, $e, $5]", "HGETALL", "h");
        await Is("*[$c, $2, $b, $3, $a, $4, $e, $5]", "HGETALL", "copy");

        await Is("+OK", "CONFIG", "SET", "hash-max-listpack-entries", "4");
        await Is(":2", "HSET", "h", "f", "6", "g", "7");
        await Is("$hashtable", "OBJECT", "ENCODING", "h");
        await Is("*[$6, $3, (nil)]", "HMGET", "h", "f", "b", "c");
        await Is("+OK", "CONFIG", "SET", "hash-max-listpack-entries", "128");
    }

    [Fact]
    public async Task HSetClearsTheTtlAndHIncrByKeepsIt()
    {
        await Is(":2", "HSET", "h", "a", "1", "n", "1");
        await Is("*[:1, :1]", "HEXPIRE", "h", "100", "FIELDS", "2", "a", "n");
        await Is(":0", "HSET", "h", "a", "2");
        await Is(":2", "HINCRBY", "h", "n", "1");
        await Is("*[:-1, :100]", "HTTL", "h", "FIELDS", "2", "a", "n");
        await Is("$2.5", "HINCRBYFLOAT", "h", "n", "0.5");
        await Is("*[:100]", "HTTL", "h", "FIELDS", "1", "n");
    }

    [Fact]
    public async Task CopyAndRenameKeepFieldTtls()
    {
        await Is(":2", "HSET", "h", "a", "1", "b", "2");
        await Is("*[:1]", "HEXPIRE", "h", "100", "FIELDS", "1", "a");
        await Is(":1", "COPY", "h", "copy");
        await Is("+OK", "RENAME", "h", "renamed");
        await Is("*[:100, :-1]", "HTTL", "copy", "FIELDS", "2", "a", "b");
        await Is("*[:100, :-1]", "HTTL", "renamed", "FIELDS", "2", "a", "b");
        await Is("*[:1]", "HPERSIST", "copy", "FIELDS", "1", "a");
        await Is("*[:100]", "HTTL", "renamed", "FIELDS", "1", "a");
    }

    [Fact]
    public async Task FieldsExpireActivelyEvenAfterRename()
    {
        await Is(":3", "HSET", "h", "a", "1", "b", "2", "c", "3");
        await Is(":1", "HSET", "gone", "x", "1");
        await Is("*[:1, :1]", "HEXPIRE", "h", "1", "FIELDS", "2", "a", "b");
        await Is("*[:1]", "HEXPIRE", "gone", "1", "FIELDS", "1", "x");
        await Is("+OK", "RENAME", "h", "moved");
        _clock.Advance(TimeSpan.FromSeconds(2));

        // Nothing reads the fields: only the active cycle can remove them (HLEN and EXISTS do not).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await _c.SendAsync("HLEN", "moved")).Integer != 1 || (await _c.SendAsync("EXISTS", "gone")).Integer != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "fields were not actively expired");
            await Task.Delay(20);
        }

        await Is("*[$c, $3]", "HGETALL", "moved");
    }

    [Fact]
    public async Task ManyFieldsWithTtlsExpireActively()
    {
        var args = new List<object> { "HSET", "big" };
        var fields = new List<object> { "HPEXPIRE", "big", "500", "FIELDS", "3000" };
        for (int i = 0; i < 3000; i++)
        {
            args.Add("f" + i);
            args.Add("v");
            fields.Add("f" + i);
        }

        await Is(":3000", [.. args]);
        await Is(":1", "HSET", "big", "keep", "v");
        Assert.Equal(3000, (await _c.SendAsync([.. fields])).Items!.Count);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while ((await _c.SendAsync("HLEN", "big")).Integer != 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "fields were not actively expired");
            await Task.Delay(20);
        }

        await Is("*[$keep]", "HKEYS", "big");
    }
}
