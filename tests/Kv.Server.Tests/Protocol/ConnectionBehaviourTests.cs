using Kv.Server.Commands;
using Kv.Server.Network;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Protocol;

/// <summary>How the connection loop runs a batch: failing commands, CLIENT REPLY OFF/SKIP.</summary>
public sealed class ConnectionBehaviourTests : IAsyncLifetime
{
    private KvServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await KvServerFixture.StartAsync();
        var commands = _server.State.Commands;
        commands.Add("kvtest.throw", 1, "", 0, 0, 0, "", _ => throw new InvalidOperationException("test failure"), "server", "Throws.");
        commands.Add("kvtest.throwpartial", 1, "", 0, 0, 0, "", c =>
        {
            c.Reply.ArrayHeader(2);
            throw new FormatException("test failure after a partial reply");
        }, "server", "Writes half a reply, then throws.");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ACommandThatThrowsIsAnsweredWithAnErrorAndTheConnectionGoesOn()
    {
        using var connection = await RawConnection.ConnectAsync(_server.Port);
        await connection.SendAsync("SET k 1\r\nKVTEST.THROW\r\nINCR k\r\n");
        Assert.Equal("+OK\r\n-ERR internal error\r\n:2\r\n", await connection.ReadUntilAsync(":2\r\n"));

        // The keyspace lock was released: another client can write.
        await using var other = await RespTestClient.ConnectAsync(_server.Port);
        Assert.Equal(":3", (await other.SendAsync("INCR", "k")).ToString());
    }

    [Fact]
    public async Task ACommandThatThrowsAfterPartOfItsReplyClosesTheConnection()
    {
        using var connection = await RawConnection.ConnectAsync(_server.Port);
        await connection.SendAsync("PING\r\nKVTEST.THROWPARTIAL\r\nPING\r\n");
        var (text, closed) = await connection.ReadUntilClosedAsync();
        Assert.Equal("+PONG\r\n*2\r\n", text);
        Assert.True(closed);

        await using var other = await RespTestClient.ConnectAsync(_server.Port);
        Assert.Equal("+PONG", (await other.SendAsync("PING")).ToString());
    }

    // Each expected reply was read from redis-server 7.0.15 for the same input.
    [Theory]
    [InlineData("CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n", "+OK\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY OFF\r\nPING\r\nRESET\r\nPING\r\n", "+RESET\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY SKIP\r\nPING\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("CLIENT REPLY SKIP\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("CLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n", "+OK\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY SKIP\r\nRESET\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nCLIENT REPLY ON\r\nPING\r\n", "+OK\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY OFF\r\nCLIENT REPLY SKIP\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n", "+OK\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY OFF\r\nCLIENT REPLY FOO\r\nCLIENT REPLY ON\r\nPING\r\n", "+OK\r\n+PONG\r\n")]
    [InlineData("CLIENT REPLY SKIP\r\nNOSUCH\r\nPING\r\n", "+PONG\r\n")]
    public async Task ClientReplyOffAndSkipAsInRedis(string input, string expected)
    {
        using var connection = await RawConnection.ConnectAsync(_server.Port);
        await connection.SendAsync(input);
        Assert.Equal(expected, await connection.ReadUntilAsync(expected));

        // Nothing more arrives (a skipped reply written late would show here).
        await connection.SendAsync("ECHO end\r\n");
        Assert.Equal(expected + "$3\r\nend\r\n", await connection.ReadUntilAsync("end\r\n"));
    }

    [Fact]
    public async Task ClientReplySkipCarriesOverToTheNextRead()
    {
        using var connection = await RawConnection.ConnectAsync(_server.Port);
        await connection.SendAsync("CLIENT REPLY SKIP\r\n");
        await connection.SendAsync("ECHO skipped\r\n");
        await connection.SendAsync("ECHO shown\r\n");
        Assert.Equal("$5\r\nshown\r\n", await connection.ReadUntilAsync("shown\r\n"));
    }

    [Fact]
    public async Task QuitAndProtocolErrorsUnderClientReplyOffCloseWithoutAReply()
    {
        // Redis leaves such a client open but deaf (it closes only after a reply that never
        // comes); kv-server closes it, which is what the client asked for.
        using var quit = await RawConnection.ConnectAsync(_server.Port);
        await quit.SendAsync("CLIENT REPLY OFF\r\nQUIT\r\n");
        Assert.Equal(("", true), await quit.ReadUntilClosedAsync());

        using var garbage = await RawConnection.ConnectAsync(_server.Port);
        await garbage.SendAsync("CLIENT REPLY OFF\r\n*abc\r\n");
        Assert.Equal(("", true), await garbage.ReadUntilClosedAsync());
    }

}
