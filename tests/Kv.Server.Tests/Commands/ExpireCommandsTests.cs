using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// EXPIRE and friends, TTL and friends, PERSIST, lazy and active expiry and OBJECT IDLETIME, on a
/// server whose clock the tests move. Expected replies are redis-server 7.0.15's.
/// </summary>
public sealed class ExpireCommandsTests : IClassFixture<ExpireCommandsTests.ManualClockServer>
{
    private readonly ManualClockServer _server;

    public ExpireCommandsTests(ManualClockServer server) => _server = server;

    private long NowMs => _server.Clock.UnixMilliseconds;

    [Fact]
    public async Task ExpireAndPExpireSetRelativeTtls()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "rel:a", "1");
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "rel:a", "100")).ToString());
        Assert.Equal(":100", (await c.SendAsync("TTL", "rel:a")).ToString());
        Assert.Equal(":100000", (await c.SendAsync("PTTL", "rel:a")).ToString());
        Assert.Equal((NowMs / 1000) + 100, (await c.SendAsync("EXPIRETIME", "rel:a")).Integer);
        Assert.Equal(NowMs + 100_000, (await c.SendAsync("PEXPIRETIME", "rel:a")).Integer);

        Assert.Equal(":1", (await c.SendAsync("PEXPIRE", "rel:a", "1499")).ToString());
        Assert.Equal(":1499", (await c.SendAsync("PTTL", "rel:a")).ToString());
        Assert.Equal(":1", (await c.SendAsync("TTL", "rel:a")).ToString());
        await c.SendAsync("PEXPIRE", "rel:a", "1500");
        Assert.Equal(":2", (await c.SendAsync("TTL", "rel:a")).ToString());
    }

    [Fact]
    public async Task ExpireAtAndPExpireAtSetAbsoluteTimes()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "abs:a", "1");
        long at = (NowMs / 1000) + 500;
        Assert.Equal(":1", (await c.SendAsync("EXPIREAT", "abs:a", at)).ToString());
        Assert.Equal(at, (await c.SendAsync("EXPIRETIME", "abs:a")).Integer);
        Assert.Equal(at * 1000, (await c.SendAsync("PEXPIRETIME", "abs:a")).Integer);
        Assert.Equal(":1", (await c.SendAsync("PEXPIREAT", "abs:a", (at * 1000) + 123)).ToString());
        Assert.Equal((at * 1000) + 123, (await c.SendAsync("PEXPIRETIME", "abs:a")).Integer);

        // PEXPIREAT accepts the largest time; EXPIRETIME rounds it without overflowing.
        Assert.Equal(":1", (await c.SendAsync("PEXPIREAT", "abs:a", long.MaxValue)).ToString());
        Assert.Equal(":9223372036854775807", (await c.SendAsync("PEXPIRETIME", "abs:a")).ToString());
        Assert.Equal(":9223372036854776", (await c.SendAsync("EXPIRETIME", "abs:a")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXPIREAT", "abs:a", "9223372036854775")).ToString());
    }

    [Fact]
    public async Task MissingKeysAndKeysWithoutTtl()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "nottl:a", "1");
        foreach (var command in new[] { "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME" })
        {
            Assert.Equal(":-2", (await c.SendAsync(command, "nottl:missing")).ToString());
            Assert.Equal(":-1", (await c.SendAsync(command, "nottl:a")).ToString());
        }

        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "nottl:missing", "10")).ToString());
        Assert.Equal(":0", (await c.SendAsync("PEXPIREAT", "nottl:missing", "1")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "nottl:missing")).ToString());
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    [InlineData("-9223372036854775")]
    public async Task ATimeInThePastDeletesTheKey(string seconds)
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "past:a", "1");
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "past:a", seconds)).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "past:a")).ToString());

        await c.SendAsync("SET", "past:b", "1");
        Assert.Equal(":1", (await c.SendAsync("PEXPIREAT", "past:b", NowMs)).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "past:b")).ToString());

        await c.SendAsync("SET", "past:c", "1");
        Assert.Equal(":1", (await c.SendAsync("PEXPIRE", "past:c", long.MinValue)).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "past:c")).ToString());
    }

    [Theory]
    [InlineData("EXPIRE", "9223372036854775807")]
    [InlineData("EXPIRE", "9223372036854775")]
    [InlineData("EXPIRE", "9223372036854774")]
    [InlineData("EXPIRE", "-9223372036854775808")]
    [InlineData("PEXPIRE", "9223372036854775807")]
    [InlineData("EXPIREAT", "9223372036854776")]
    [InlineData("EXPIREAT", "-9223372036854776")]
    public async Task OverflowingTimesAreRefused(string command, string time)
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "overflow:a", "1");
        Assert.Equal($"-ERR invalid expire time in '{command.ToLowerInvariant()}' command", (await c.SendAsync(command, "overflow:a", time)).ToString());
        Assert.Equal(":-1", (await c.SendAsync("TTL", "overflow:a")).ToString());
    }

    [Theory]
    [InlineData("abc", "-ERR value is not an integer or out of range")]
    [InlineData("10|NX|XX", "-ERR NX and XX, GT or LT options at the same time are not compatible")]
    [InlineData("10|nx|gt", "-ERR NX and XX, GT or LT options at the same time are not compatible")]
    [InlineData("10|lt|NX", "-ERR NX and XX, GT or LT options at the same time are not compatible")]
    [InlineData("10|GT|LT", "-ERR GT and LT options at the same time are not compatible")]
    [InlineData("10|xx|gt|lt", "-ERR GT and LT options at the same time are not compatible")]
    [InlineData("10|Foo", "-ERR Unsupported option Foo")]
    [InlineData("abc|foo", "-ERR Unsupported option foo")]
    [InlineData("abc|nx|xx", "-ERR NX and XX, GT or LT options at the same time are not compatible")]
    public async Task OptionAndArgumentErrorsAsRedis(string args, string expected)
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "opterr:a", "1");
        Assert.Equal(expected, (await c.SendAsync(["EXPIRE", "opterr:a", .. args.Split('|')])).ToString());
        Assert.Equal(":-1", (await c.SendAsync("TTL", "opterr:a")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'pexpire' command", (await c.SendAsync("PEXPIRE", "opterr:a")).ToString());
    }

    [Fact]
    public async Task NxXxGtLtConditions()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "cond:a", "1");

        // No TTL: XX and GT fail (no TTL counts as infinite), LT and NX pass.
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "100", "XX")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "100", "GT")).ToString());
        Assert.Equal(":-1", (await c.SendAsync("TTL", "cond:a")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "100", "LT")).ToString());
        await c.SendAsync("PERSIST", "cond:a");
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "100", "nx")).ToString());

        // With a TTL of 100 s.
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "200", "NX")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "100", "GT")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "100", "LT")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "50", "GT")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "200", "GT")).ToString());
        Assert.Equal(":200", (await c.SendAsync("TTL", "cond:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "300", "LT")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "50", "lt")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "60", "xx")).ToString());
        Assert.Equal(":1", (await c.SendAsync("PEXPIRE", "cond:a", "70000", "XX", "GT")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXPIRE", "cond:a", "100", "NX", "NX")).ToString());
        Assert.Equal(":70", (await c.SendAsync("TTL", "cond:a")).ToString());

        // A condition that passes with a time already past deletes the key.
        Assert.Equal(":1", (await c.SendAsync("EXPIRE", "cond:a", "-1", "LT")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "cond:a")).ToString());
    }

    [Fact]
    public async Task PersistRemovesTheTtl()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "persist:a", "1", "EX", "100");
        Assert.Equal(":1", (await c.SendAsync("PERSIST", "persist:a")).ToString());
        Assert.Equal(":-1", (await c.SendAsync("TTL", "persist:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("PERSIST", "persist:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("PERSIST", "persist:missing")).ToString());
    }

    [Fact]
    public async Task KeysExpireLazilyWhenTheClockPassesTheirTime()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "lazy:a", "1", "PX", "1000");
        await c.SendAsync("SET", "lazy:b", "2", "PX", "1001");
        _server.Clock.Advance(TimeSpan.FromMilliseconds(1000));

        // Redis's keyIsExpired is now > when: a key lives through its expiry millisecond, with a PTTL of 0.
        Assert.Equal(":0", (await c.SendAsync("PTTL", "lazy:a")).ToString());
        Assert.Equal("$1", (await c.SendAsync("GET", "lazy:a")).ToString());
        _server.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(":-2", (await c.SendAsync("TTL", "lazy:a")).ToString());
        Assert.Equal("(nil)", (await c.SendAsync("GET", "lazy:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("PTTL", "lazy:b")).ToString());
        Assert.Equal(":0", (await c.SendAsync("TTL", "lazy:b")).ToString());
        Assert.Equal(":1", (await c.SendAsync("EXISTS", "lazy:b")).ToString());
    }

    [Fact]
    public async Task ExpiredKeysAreInvisibleToKeysScanRandomKeyAndRename()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SELECT", "7");
        await c.SendAsync("FLUSHDB");
        for (int i = 0; i < 20; i++)
        {
            await c.SendAsync("SET", $"gone:{i}", "x", "PX", "500");
        }

        await c.SendAsync("SET", "stays", "x");
        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("*[$stays]", (await c.SendAsync("KEYS", "*")).ToString());
        Assert.Equal("*[$0, *[$stays]]", (await c.SendAsync("SCAN", "0", "COUNT", "1000")).ToString());
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal("$stays", (await c.SendAsync("RANDOMKEY")).ToString());
        }

        await c.SendAsync("SET", "gone:x", "x", "PX", "500");
        _server.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("-ERR no such key", (await c.SendAsync("RENAME", "gone:x", "y")).ToString());
        Assert.Equal(":0", (await c.SendAsync("COPY", "gone:x", "y")).ToString());
        Assert.Equal(":0", (await c.SendAsync("MOVE", "gone:x", "0")).ToString());
        await c.SendAsync("DEL", "stays");
        Assert.Equal("(nil)", (await c.SendAsync("RANDOMKEY")).ToString());
    }

    [Fact]
    public async Task RenameCopyAndMoveCarryTheExactExpiry()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SELECT", "8");
        await c.SendAsync("FLUSHDB");
        await c.SendAsync("SET", "carry:a", "1", "PX", "12345");
        await c.SendAsync("RENAME", "carry:a", "carry:b");
        Assert.Equal(":12345", (await c.SendAsync("PTTL", "carry:b")).ToString());
        await c.SendAsync("COPY", "carry:b", "carry:c");
        Assert.Equal(":12345", (await c.SendAsync("PTTL", "carry:c")).ToString());
        await c.SendAsync("MOVE", "carry:c", "9");
        await c.SendAsync("SELECT", "9");
        Assert.Equal(":12345", (await c.SendAsync("PTTL", "carry:c")).ToString());
        await c.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task ActiveExpiryRemovesKeysNobodyTouches()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SELECT", "10");
        await c.SendAsync("FLUSHDB");
        for (int i = 0; i < 200; i++)
        {
            await c.SendAsync("SET", $"active:{i}", "x", "PX", "1000");
        }

        await c.SendAsync("MSET", "keep:1", "x", "keep:2", "x");
        Assert.Equal(":202", (await c.SendAsync("DBSIZE")).ToString());

        // DBSIZE counts keys still stored: only the server's expiry cycle can bring it down.
        _server.Clock.Advance(TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        long size;
        while ((size = (await c.SendAsync("DBSIZE")).Integer) > 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, size);
        Assert.Equal(":2", (await c.SendAsync("EXISTS", "keep:1", "keep:2")).ToString());
    }

    [Fact]
    public async Task IdleTimeCountsSecondsSinceTheLastAccess()
    {
        await using var c = await _server.ConnectAsync();
        await c.SendAsync("SET", "idle:a", "1");
        Assert.Equal(":0", (await c.SendAsync("OBJECT", "IDLETIME", "idle:a")).ToString());
        _server.Clock.Advance(TimeSpan.FromSeconds(7));

        // TTL, TYPE, EXISTS and OBJECT look without touching (Redis's LOOKUP_NOTOUCH).
        await c.SendAsync("TTL", "idle:a");
        await c.SendAsync("TYPE", "idle:a");
        await c.SendAsync("EXISTS", "idle:a");
        Assert.Equal(":7", (await c.SendAsync("OBJECT", "IDLETIME", "idle:a")).ToString());
        await c.SendAsync("GET", "idle:a");
        Assert.Equal(":0", (await c.SendAsync("OBJECT", "IDLETIME", "idle:a")).ToString());
        _server.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(":3", (await c.SendAsync("OBJECT", "IDLETIME", "idle:a")).ToString());
        Assert.Equal(":1", (await c.SendAsync("TOUCH", "idle:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("OBJECT", "IDLETIME", "idle:a")).ToString());

        // A renamed key keeps its value but was just accessed.
        _server.Clock.Advance(TimeSpan.FromSeconds(4));
        await c.SendAsync("RENAME", "idle:a", "idle:b");
        Assert.Equal(":0", (await c.SendAsync("OBJECT", "IDLETIME", "idle:b")).ToString());
    }

    /// <summary>A server whose clock only moves when a test says so.</summary>
    public sealed class ManualClockServer : IAsyncLifetime
    {
        public ManualClock Clock { get; } = new();

        public KvServer Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await KvServerFixture.StartAsync([], Clock);

        public async Task DisposeAsync() => await Server.DisposeAsync();

        public Task<RespTestClient> ConnectAsync() => RespTestClient.ConnectAsync(Server.Port);
    }
}
