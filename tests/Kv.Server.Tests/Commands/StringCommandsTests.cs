using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// String commands over a socket. Expected replies were taken from redis-server 7.0.15 with the same
/// commands (see StringCompatibilityTests for the side-by-side run).
/// </summary>
public sealed class StringCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public StringCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SetOptionsFollowRedisConflictRules()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "so:k", "v");
        await c.Expect("$v", "SET", "so:k", "w", "GET");
        await c.Expect("(nil)", "SET", "so:new", "x", "GET");
        await c.Expect("$w", "SET", "so:k", "z", "NX", "GET");
        await c.Expect("$w", "GET", "so:k");
        await c.Expect("(nil)", "SET", "so:missing", "v", "XX");
        await c.Expect("-ERR syntax error", "SET", "so:k", "v", "XX", "NX");
        await c.Expect("-ERR syntax error", "SET", "so:k", "v", "KEEPTTL", "EX", "10");
        await c.Expect("-ERR syntax error", "SET", "so:k", "v", "EX", "10", "PX", "10");
        await c.Expect("-ERR syntax error", "SET", "so:k", "v", "EX");
        await c.Expect("-ERR syntax error", "SET", "so:k", "v", "PERSIST");
        await c.Expect("-ERR invalid expire time in 'set' command", "SET", "so:k", "v", "EXAT", "0");
        await c.Expect("-ERR invalid expire time in 'set' command", "SET", "so:k", "v", "EX", "9223372036854775807");
        await c.Expect("-ERR value is not an integer or out of range", "SET", "so:k", "v", "PX", "abc");
        await c.Expect("+OK", "SET", "so:k", "v", "EX", "10", "EX", "20");
    }

    [Fact]
    public async Task SetNxSetExPSetExAndMultiKeyForms()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":1", "SETNX", "sn:a", "1");
        await c.Expect(":0", "SETNX", "sn:a", "2");
        await c.Expect("+OK", "SETEX", "sn:b", "100", "v");
        await c.Expect("-ERR invalid expire time in 'setex' command", "SETEX", "sn:b", "0", "v");
        await c.Expect("-ERR invalid expire time in 'psetex' command", "PSETEX", "sn:b", "-5", "v");
        await c.Expect("+OK", "MSET", "sn:m1", "x", "sn:m2", "y");
        await c.Expect("-ERR wrong number of arguments for 'mset' command", "MSET", "sn:m1", "x", "sn:m2");
        await c.Expect("*[$x, $y, (nil), $1]", "MGET", "sn:m1", "sn:m2", "sn:none", "sn:a");
        await c.Expect(":1", "MSETNX", "sn:n1", "1", "sn:n2", "2");
        await c.Expect(":0", "MSETNX", "sn:n3", "3", "sn:n1", "9");
        await c.Expect(":0", "EXISTS", "sn:n3");
        await c.Expect("$1", "GET", "sn:n1");
        await c.Expect(":1", "MSETNX", "sn:dup", "1", "sn:dup", "2");
        await c.Expect("$2", "GET", "sn:dup");
        await c.Expect("-ERR wrong number of arguments for 'msetnx' command", "MSETNX", "sn:x", "1", "sn:y");
    }

    [Fact]
    public async Task GetSetAndGetDel()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("(nil)", "GETSET", "gs:k", "one");
        await c.Expect("$one", "GETSET", "gs:k", "two");
        await c.Expect("$two", "GET", "gs:k");
        await c.Expect("$two", "GETDEL", "gs:k");
        await c.Expect("(nil)", "GETDEL", "gs:k");
        await c.Expect(":0", "EXISTS", "gs:k");
    }

    [Fact]
    public async Task GetExOptionRulesAndOrder()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "gx:k", "v");
        await c.Expect("$v", "GETEX", "gx:k");

        // Options are parsed first; the expiry's number only after the key lookup, so a missing key is nil.
        await c.Expect("-ERR syntax error", "GETEX", "gx:none", "FOO");
        await c.Expect("(nil)", "GETEX", "gx:none", "EX", "abc");
        await c.Expect("(nil)", "GETEX", "gx:none", "EX", "-1");
        await c.Expect("-ERR value is not an integer or out of range", "GETEX", "gx:k", "EX", "abc");
        await c.Expect("-ERR invalid expire time in 'getex' command", "GETEX", "gx:k", "EX", "0");
        await c.Expect("-ERR invalid expire time in 'getex' command", "GETEX", "gx:k", "PX", "9223372036854775807");
        await c.Expect("-ERR syntax error", "GETEX", "gx:k", "PERSIST", "EX", "10");
        await c.Expect("-ERR syntax error", "GETEX", "gx:k", "EX", "10", "PERSIST");
        await c.Expect("-ERR syntax error", "GETEX", "gx:k", "KEEPTTL");
        await c.Expect("-ERR syntax error", "GETEX", "gx:k", "NX");
        await c.Expect("-ERR syntax error", "GETEX", "gx:k", "EX");
        await c.Expect("$v", "GETEX", "gx:k", "PERSIST", "PERSIST");
        await c.Expect("$v", "GETEX", "gx:k", "PX", "10", "PX", "20");

        // An absolute time in the past deletes the key after replying its value.
        await c.Expect("$v", "GETEX", "gx:k", "EXAT", "1");
        await c.Expect(":0", "EXISTS", "gx:k");
    }

    [Fact]
    public async Task GetExSetsAndClearsExpiryOnTheInjectedClock()
    {
        var time = new ManualClock();
        await using var server = await KvServerFixture.StartAsync(time: time);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.Expect("+OK", "SET", "k", "v");
        await c.Expect("$v", "GETEX", "k", "EX", "10");
        time.Advance(TimeSpan.FromSeconds(9));
        await c.Expect("$v", "GET", "k");
        await c.Expect("$v", "GETEX", "k", "PERSIST");
        time.Advance(TimeSpan.FromSeconds(60));
        await c.Expect("$v", "GET", "k");

        await c.Expect("$v", "GETEX", "k", "PXAT", (time.UnixMilliseconds + 500).ToString(System.Globalization.CultureInfo.InvariantCulture));
        time.Advance(TimeSpan.FromMilliseconds(499));
        await c.Expect("$v", "GET", "k");
        time.Advance(TimeSpan.FromMilliseconds(1));
        await c.Expect("$v", "GET", "k"); // Redis's keyIsExpired is now > when: the key lives through its millisecond
        time.Advance(TimeSpan.FromMilliseconds(1));
        await c.Expect("(nil)", "GET", "k");

        // GETSET and SET drop the TTL; INCRBYFLOAT and APPEND keep it.
        await c.Expect("+OK", "SET", "t", "1", "EX", "5");
        await c.Expect("$1.5", "INCRBYFLOAT", "t", "0.5");
        await c.Expect(":5", "APPEND", "t", "00");
        time.Advance(TimeSpan.FromMilliseconds(5001));
        await c.Expect("(nil)", "GET", "t");
        await c.Expect("+OK", "SET", "u", "1", "EX", "5");
        await c.Expect("$1", "GETSET", "u", "2");
        time.Advance(TimeSpan.FromSeconds(10));
        await c.Expect("$2", "GET", "u");
    }

    [Fact]
    public async Task AppendAndStrLen()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":0", "STRLEN", "ap:k");
        await c.Expect(":0", "APPEND", "ap:empty", "");
        await c.Expect(":1", "EXISTS", "ap:empty");
        await c.Expect(":5", "APPEND", "ap:k", "hello");
        await c.Expect(":11", "APPEND", "ap:k", " world");
        await c.Expect("$hello world", "GET", "ap:k");
        await c.Expect(":11", "STRLEN", "ap:k");
        await c.Expect("+OK", "SET", "ap:n", "10");
        await c.Expect(":3", "APPEND", "ap:n", "5");
        await c.Expect(":106", "INCR", "ap:n");

        // Many appends grow one buffer in place; the content must stay exact.
        var expected = new System.Text.StringBuilder();
        for (int i = 0; i < 2000; i++)
        {
            string piece = (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
            expected.Append(piece);
            await c.WriteCommandAsync("APPEND", "ap:long", piece);
        }

        for (int i = 1; i <= 2000; i++)
        {
            Assert.Equal(i, (await c.ReadReplyAsync()).Integer);
        }

        await c.Expect("$" + expected, "GET", "ap:long");
    }

    [Fact]
    public async Task AppendAndSetRangeRefuseStringsPastProtoMaxBulkLen()
    {
        await using var server = await KvServerFixture.StartAsync(["--proto-max-bulk-len", "1mb"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        const string tooLong = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)";
        await c.Expect(":1048576", "SETRANGE", "k", "1048575", "x");
        await c.Expect(tooLong, "APPEND", "k", "y");
        await c.Expect(tooLong, "SETRANGE", "k", "1048576", "x");
        await c.Expect(tooLong, "SETRANGE", "other", "1048576", "x");
        await c.Expect(tooLong, "SETRANGE", "other", "9223372036854775807", "x");
        await c.Expect(":1048576", "SETRANGE", "k", "9223372036854775807", "");
        await c.Expect(":0", "EXISTS", "other");
        await c.Expect("-ERR bit offset is not an integer or out of range", "SETBIT", "k", "8388608", "1");
        await c.Expect(":0", "SETBIT", "k", "8388607", "1");
    }

    [Fact]
    public async Task IntegerCountersAndOverflow()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect(":1", "INCR", "ic:a");
        await c.Expect(":-4", "DECRBY", "ic:a", "5");
        await c.Expect(":6", "INCRBY", "ic:a", "10");
        await c.Expect(":5", "DECR", "ic:a");
        await c.Expect("-ERR value is not an integer or out of range", "INCRBY", "ic:a", "1.0");
        await c.Expect("-ERR value is not an integer or out of range", "INCRBY", "ic:a", "+1");
        await c.Expect("-ERR decrement would overflow", "DECRBY", "ic:a", "-9223372036854775808");
        await c.Expect("+OK", "SET", "ic:max", "9223372036854775807");
        await c.Expect("-ERR increment or decrement would overflow", "INCR", "ic:max");
        await c.Expect("+OK", "SET", "ic:min", "-9223372036854775808");
        await c.Expect("-ERR increment or decrement would overflow", "DECR", "ic:min");
        await c.Expect("-ERR increment or decrement would overflow", "INCRBY", "ic:min", "-1");
        foreach (var bad in new[] { "1.5", " 1", "01", "1 ", "abc", "" })
        {
            await c.Expect("+OK", "SET", "ic:bad", bad);
            await c.Expect("-ERR value is not an integer or out of range", "INCR", "ic:bad");
        }
    }

    [Theory]
    [InlineData("-1", "-5", "$")]
    [InlineData("-10", "-20", "$")]
    [InlineData("0", "-100", "$a")]
    [InlineData("0", "-1", "$abcdef")]
    [InlineData("2", "1", "$")]
    [InlineData("1", "100", "$bcdef")]
    [InlineData("-3", "-1", "$def")]
    [InlineData("-100", "2", "$abc")]
    [InlineData("6", "10", "$")]
    [InlineData("9223372036854775807", "-9223372036854775808", "$")]
    [InlineData("-9223372036854775808", "9223372036854775807", "$abcdef")]
    public async Task GetRangeClampsLikeRedis(string start, string end, string expected)
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "SET", "gr:k", "abcdef");
        await c.Expect(expected, "GETRANGE", "gr:k", start, end);
        await c.Expect(expected, "SUBSTR", "gr:k", start, end);
    }

    [Fact]
    public async Task GetRangeEdgeCases()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("$", "GETRANGE", "gr:none", "0", "-1");
        await c.Expect("-ERR value is not an integer or out of range", "GETRANGE", "gr:none", "a", "1");
        await c.Expect("+OK", "SET", "gr:e", "");
        await c.Expect("$", "GETRANGE", "gr:e", "0", "-1");
        await c.Expect("+OK", "SET", "gr:n", "12345");
        await c.Expect("$23", "GETRANGE", "gr:n", "1", "2");
    }

    [Fact]
    public async Task SetRangePadsWithZerosAndKeepsRules()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("-ERR offset is out of range", "SETRANGE", "sr:k", "-1", "x");
        await c.Expect("-ERR value is not an integer or out of range", "SETRANGE", "sr:k", "abc", "x");
        await c.Expect(":0", "SETRANGE", "sr:k", "0", "");
        await c.Expect(":0", "EXISTS", "sr:k");
        await c.Expect(":6", "SETRANGE", "sr:k", "3", "abc");
        var padded = await c.SendAsync("GET", "sr:k");
        Assert.Equal(new byte[] { 0, 0, 0, (byte)'a', (byte)'b', (byte)'c' }, padded.Bytes);
        await c.Expect(":6", "SETRANGE", "sr:k", "0", "XY");
        await c.Expect(":6", "SETRANGE", "sr:k", "100", "");
        await c.Expect(":8", "SETRANGE", "sr:k", "5", "QRS");
        Assert.Equal("XY\0abQRS"u8.ToArray(), (await c.SendAsync("GET", "sr:k")).Bytes);
        await c.Expect("+OK", "SET", "sr:n", "12345");
        await c.Expect(":5", "SETRANGE", "sr:n", "0", "9");
        await c.Expect("$92345", "GET", "sr:n");
    }

    [Fact]
    public async Task LcsRepliesAsRedisInResp2()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.Expect("+OK", "MSET", "lcs:1", "ohmytext", "lcs:2", "mynewtext");
        await c.Expect("$mytext", "LCS", "lcs:1", "lcs:2");
        await c.Expect(":6", "LCS", "lcs:1", "lcs:2", "LEN");
        await c.Expect("*[$matches, *[*[*[:4, :7], *[:5, :8]], *[*[:2, :3], *[:0, :1]]], $len, :6]", "LCS", "lcs:1", "lcs:2", "IDX");
        await c.Expect("*[$matches, *[*[*[:4, :7], *[:5, :8], :4]], $len, :6]", "LCS", "lcs:1", "lcs:2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN");
        await c.Expect("*[$matches, *[*[*[:4, :7], *[:5, :8]], *[*[:2, :3], *[:0, :1]]], $len, :6]", "LCS", "lcs:1", "lcs:2", "MINMATCHLEN", "-5", "IDX");
        await c.Expect("$mytext", "LCS", "lcs:1", "lcs:2", "WITHMATCHLEN");
        await c.Expect("$", "LCS", "lcs:none", "lcs:none2");
        await c.Expect(":0", "LCS", "lcs:none", "lcs:1", "LEN");
        await c.Expect("*[$matches, *[], $len, :0]", "LCS", "lcs:none", "lcs:none2", "IDX");
        await c.Expect("-ERR If you want both the length and indexes, please just use IDX.", "LCS", "lcs:1", "lcs:2", "LEN", "IDX");
        await c.Expect("-ERR syntax error", "LCS", "lcs:1", "lcs:2", "MINMATCHLEN");
        await c.Expect("-ERR value is not an integer or out of range", "LCS", "lcs:1", "lcs:2", "MINMATCHLEN", "a");
        await c.Expect("-ERR syntax error", "LCS", "lcs:1", "lcs:2", "FOO");

        // Redis's backtrack decides which of several equal-length answers comes back.
        await c.Expect("+OK", "MSET", "lcs:q1", "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA", "lcs:q2", "GTCGTTCGGAATGCCGTTGCTCTGTAAA");
        await c.Expect("$GTCGTCGGAAGCCGGCCGAA", "LCS", "lcs:q1", "lcs:q2");
    }

    [Fact]
    public async Task LcsIdxIsAMapInResp3()
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.False((await c.SendAsync("HELLO", "3")).IsError);
        await c.Expect("+OK", "MSET", "lcs3:1", "ohmytext", "lcs3:2", "mynewtext");
        await c.Expect("%[$matches, *[*[*[:4, :7], *[:5, :8], :4], *[*[:2, :3], *[:0, :1], :2]], $len, :6]", "LCS", "lcs3:1", "lcs3:2", "IDX", "WITHMATCHLEN");
    }

    [Fact]
    public async Task LcsRefusesTablesLargerThanProtoMaxBulkLen()
    {
        await using var server = await KvServerFixture.StartAsync(["--proto-max-bulk-len", "1mb"]);
        await using var c = await RespTestClient.ConnectAsync(server.Port);
        await c.Expect(":600", "SETRANGE", "a", "599", "x");
        await c.Expect(":600", "SETRANGE", "b", "599", "x");
        await c.Expect("-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len", "LCS", "a", "b");
    }

    [Fact]
    public async Task EveryStringCommandAnswersWrongTypeOnOtherTypes()
    {
        await using var c = await _fixture.ConnectAsync();
        StringTestSupport.PlantOtherType(_fixture.Server, "wt:other");
        await c.Expect("+OK", "SET", "wt:s", "abc");
        string[][] commands =
        [
            ["GET", "wt:other"], ["SET", "wt:other", "v", "GET"], ["GETSET", "wt:other", "v"], ["GETDEL", "wt:other"],
            ["GETEX", "wt:other"], ["GETEX", "wt:other", "EX", "abc"], ["APPEND", "wt:other", "x"], ["STRLEN", "wt:other"],
            ["INCR", "wt:other"], ["DECRBY", "wt:other", "2"], ["INCRBYFLOAT", "wt:other", "1"],
            ["GETRANGE", "wt:other", "0", "1"], ["SUBSTR", "wt:other", "0", "1"], ["SETRANGE", "wt:other", "0", "x"],
        ];
        foreach (var command in commands)
        {
            await c.Expect(StringTestSupport.WrongType, command);
        }

        await c.Expect("*[$abc, (nil)]", "MGET", "wt:s", "wt:other");
        await c.Expect("-ERR The specified keys must contain string values", "LCS", "wt:s", "wt:other");
        await c.Expect("-ERR offset is out of range", "SETRANGE", "wt:other", "-1", "x");

        // Plain SET, MSET and GETSET-free writes replace a value of any type.
        await c.Expect("+OK", "SET", "wt:other", "now-a-string");
        await c.Expect("$now-a-string", "GET", "wt:other");
    }
}
