using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Protocol;

/// <summary>
/// Malformed requests over a socket: the reply bytes and the close are what redis-server 7.0.15
/// sends for the same input.
/// </summary>
public sealed class ProtocolErrorTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public ProtocolErrorTests(KvServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n")]
    [InlineData("*2147483648\r\n", "-ERR Protocol error: invalid multibulk length\r\n")]
    [InlineData("*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$629145600\r\nxxxx", "-ERR Protocol error: invalid bulk length\r\n")]
    [InlineData("*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n")]
    [InlineData("*1\r\n\u00ffabc\r\n", "-ERR Protocol error: expected '$', got '\u00ff'\r\n")]
    [InlineData("*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n")]
    [InlineData("ECHO \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n")]
    [InlineData("ECHO 'abc'd\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n")]
    [InlineData("PING\r\n*abc\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n")]
    public async Task ProtocolErrorIsAnsweredThenTheConnectionIsClosed(string input, string expected)
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync(input);
        var (text, closed) = await connection.ReadUntilClosedAsync();
        Assert.Equal(expected, text);
        Assert.True(closed);
    }

    [Fact]
    public async Task TooBigRequestsWithoutLineEndsAreRefused()
    {
        async Task Check(string input, string expected)
        {
            using var connection = await RawConnection.ConnectAsync(_fixture.Port);
            await connection.SendAsync(input);
            var (text, closed) = await connection.ReadUntilClosedAsync();
            Assert.Equal(expected, text);
            Assert.True(closed);
        }

        await Check(new string('x', 65537), "-ERR Protocol error: too big inline request\r\n");
        await Check("*" + new string('1', 65536), "-ERR Protocol error: too big mbulk count string\r\n");
        await Check("*1\r\n$" + new string('1', 65536), "-ERR Protocol error: too big bulk count string\r\n");
        await Check("*1\r\n$4\r\nPING\r\n" + new string('x', 70000), "+PONG\r\n-ERR Protocol error: too big inline request\r\n");
    }

    [Fact]
    public async Task AWrongTrailerAfterBulkDataIsSkippedAsRedisDoes()
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync("*1\r\n$4\r\nPINGXY*1\r\n$4\r\nPING\r\n");
        Assert.Equal("+PONG\r\n+PONG\r\n", await connection.ReadUntilAsync("+PONG\r\n+PONG\r\n"));
    }

    [Fact]
    public async Task InlineCommandsAsTelnetSendsThem()
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync("PING\r\n");
        await connection.ReadUntilAsync("+PONG\r\n");
        await connection.SendAsync("SET proto:inline \"a b\"\n");
        await connection.ReadUntilAsync("+PONG\r\n+OK\r\n");
        await connection.SendAsync("\r\n\r\nGET proto:inline\n");
        await connection.ReadUntilAsync("+OK\r\n$3\r\na b\r\n");
        await connection.SendAsync("ECHO \"\\x41\\n\\\"q\"\r\nECHO 'it\\'s'\r\n");
        Assert.Equal("+PONG\r\n+OK\r\n$3\r\na b\r\n$4\r\nA\n\"q\r\n$4\r\nit's\r\n", await connection.ReadUntilAsync("it's\r\n"));
    }

    [Fact]
    public async Task EmptyRequestsAreSkipped()
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync("*0\r\n*-1\r\n\r\n   \r\nPING\r\n");
        Assert.Equal("+PONG\r\n", await connection.ReadUntilAsync("+PONG\r\n"));
    }

    [Fact]
    public async Task GarbageFromOneClientDoesNotDisturbOthers()
    {
        await using var good = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await good.SendAsync("SET", "proto:other", "fine")).ToString());

        string[] garbage = ["*abc\r\n", "*1\r\n$x\r\n", "\"unbalanced\r\n", "*1\r\nfoo\r\n", new string('z', 70000), "\u0000\u0001\u0002\r\n*", "*5\r\n$1\r\na"];
        for (int round = 0; round < 5; round++)
        {
            foreach (string input in garbage)
            {
                using var bad = await RawConnection.ConnectAsync(_fixture.Port);
                await bad.SendAsync(input);
                Assert.Equal("$fine", (await good.SendAsync("GET", "proto:other")).ToString());
            }
        }

        await using var fresh = await _fixture.ConnectAsync();
        Assert.Equal("+PONG", (await fresh.SendAsync("PING")).ToString());
    }

    [Fact]
    public async Task RepliesAreWrittenAfterTheClientHalfCloses()
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync("PING\r\nECHO hi\r\n*1\r\n$4\r\nPI");
        connection.ShutdownSend();
        var (text, closed) = await connection.ReadUntilClosedAsync();
        Assert.Equal("+PONG\r\n$2\r\nhi\r\n", text);
        Assert.True(closed);
    }

    [Fact]
    public async Task CommandsAfterQuitAreNotRun()
    {
        using var connection = await RawConnection.ConnectAsync(_fixture.Port);
        await connection.SendAsync("SET proto:quit 1\r\nQUIT\r\nSET proto:quit 2\r\n*abc\r\n");
        var (text, closed) = await connection.ReadUntilClosedAsync();
        Assert.Equal("+OK\r\n+OK\r\n", text);
        Assert.True(closed);

        await using var check = await _fixture.ConnectAsync();
        Assert.Equal("$1", (await check.SendAsync("GET", "proto:quit")).ToString());
    }
}
