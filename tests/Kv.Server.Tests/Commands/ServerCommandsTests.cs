using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class ServerCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public ServerCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task SwapDbExchangesDatabasesAndReportsRedisErrors()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("SELECT", "14")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("SET", "swap:k", "in14")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("SWAPDB", "14", "15")).ToString());
        Assert.True((await client.SendAsync("GET", "swap:k")).IsNull);
        Assert.Equal("+OK", (await client.SendAsync("SELECT", "15")).ToString());
        Assert.Equal("$in14", (await client.SendAsync("GET", "swap:k")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("FLUSHDB")).ToString());

        Assert.Equal("-ERR invalid first DB index", (await client.SendAsync("SWAPDB", "x", "0")).ToString());
        Assert.Equal("-ERR invalid second DB index", (await client.SendAsync("SWAPDB", "0", "x")).ToString());
        Assert.Equal("-ERR invalid first DB index", (await client.SendAsync("SWAPDB", "3000000000", "0")).ToString());
        Assert.Equal("-ERR DB index is out of range", (await client.SendAsync("SWAPDB", "0", "16")).ToString());
        Assert.Equal("-ERR DB index is out of range", (await client.SendAsync("SWAPDB", "-1", "0")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("SWAPDB", "3", "3")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'swapdb' command", (await client.SendAsync("SWAPDB", "1")).ToString());
    }

    [Fact]
    public async Task TimeRepliesSecondsAndMicroseconds()
    {
        await using var client = await _fixture.ConnectAsync();
        var reply = await client.SendAsync("TIME");
        Assert.Equal('*', reply.Type);
        Assert.Equal(2, reply.Items!.Count);
        long seconds = long.Parse(reply.Items[0].Text!);
        long micros = long.Parse(reply.Items[1].Text!);
        Assert.InRange(seconds, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.InRange(micros, 0, 999_999);
        Assert.Equal("-ERR wrong number of arguments for 'time' command", (await client.SendAsync("TIME", "x")).ToString());
    }

    [Fact]
    public async Task ClusterCommandsAnswerThatClusterSupportIsDisabled()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("-ERR This instance has cluster support disabled", (await client.SendAsync("CLUSTER", "INFO")).ToString());
        Assert.Equal("-ERR This instance has cluster support disabled", (await client.SendAsync("CLUSTER", "slots")).ToString());
        Assert.Equal("-ERR This instance has cluster support disabled", (await client.SendAsync("CLUSTER", "HELP")).ToString());
        Assert.Equal("-ERR unknown subcommand 'foo'. Try CLUSTER HELP.", (await client.SendAsync("CLUSTER", "foo")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'cluster' command", (await client.SendAsync("CLUSTER")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'cluster|info' command", (await client.SendAsync("CLUSTER", "info", "x")).ToString());
        Assert.Equal("-ERR This instance has cluster support disabled", (await client.SendAsync("READONLY")).ToString());
        Assert.Equal("-ERR This instance has cluster support disabled", (await client.SendAsync("READWRITE")).ToString());
    }

    [Fact]
    public async Task SlowLogRecordsEntriesWithRedisShape()
    {
        await using var server = await KvServerFixture.StartAsync(["--slowlog-log-slower-than", "0"]);
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+OK", (await client.SendAsync("SLOWLOG", "RESET")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CLIENT", "SETNAME", "slowpoke")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("SET", "slow:k", new string('v', 200))).ToString());

        var entries = await client.SendAsync("SLOWLOG", "GET", "2");
        Assert.Equal(2, entries.Items!.Count);
        var newest = entries.Items[0];
        Assert.Equal(6, newest.Items!.Count);
        Assert.Equal(':', newest.Items[0].Type);
        Assert.InRange(newest.Items[1].Integer, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.True(newest.Items[2].Integer >= 0);
        var args = newest.Items[3].Items!;
        Assert.Equal("$SET", args[0].ToString());
        Assert.Equal("$slow:k", args[1].ToString());
        Assert.Equal(new string('v', 128) + "... (72 more bytes)", args[2].Text);
        Assert.StartsWith("127.0.0.1:", newest.Items[4].Text);
        Assert.Equal("$slowpoke", newest.Items[5].ToString());
        Assert.True(entries.Items[0].Items![0].Integer > entries.Items[1].Items![0].Integer);

        Assert.True((await client.SendAsync("SLOWLOG", "LEN")).Integer >= 4);
        Assert.Equal("-ERR count should be greater than or equal to -1", (await client.SendAsync("SLOWLOG", "GET", "-2")).ToString());
        Assert.Equal("-ERR count should be greater than or equal to -1", (await client.SendAsync("SLOWLOG", "GET", "x")).ToString());
        Assert.Equal("-ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.", (await client.SendAsync("SLOWLOG", "GET", "1", "2")).ToString());
        Assert.Equal("-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.", (await client.SendAsync("SLOWLOG", "foo")).ToString());
        Assert.StartsWith("+SLOWLOG <subcommand>", (await client.SendAsync("SLOWLOG", "HELP")).Items![0].ToString());
        Assert.Equal("+OK", (await client.SendAsync("SLOWLOG", "RESET")).ToString());
        Assert.Equal(":1", (await client.SendAsync("SLOWLOG", "LEN")).ToString()); // the RESET itself
        Assert.Equal(2, (await client.SendAsync("SLOWLOG", "GET", "-1")).Items!.Count);
    }

    [Fact]
    public async Task ShutdownValidatesItsFlagsAndThenStopsTheServer()
    {
        var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("-ERR syntax error", (await client.SendAsync("SHUTDOWN", "foo")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("SHUTDOWN", "NOSAVE", "SAVE")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("SHUTDOWN", "ABORT", "NOW")).ToString());
        Assert.Equal("-ERR No shutdown in progress.", (await client.SendAsync("SHUTDOWN", "ABORT")).ToString());

        await client.WriteCommandAsync("SHUTDOWN", "NOSAVE");
        Assert.True(await client.IsClosedByServerAsync());
        await server.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();
    }

    [Fact]
    public async Task FlushCommandsRejectUnknownModes()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("-ERR syntax error", (await client.SendAsync("FLUSHDB", "now")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("FLUSHALL", "ASYNC", "SYNC")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'dbsize' command", (await client.SendAsync("DBSIZE", "x")).ToString());
    }
}

public sealed class ServerLimitsTests
{
    [Fact]
    public async Task MaxClientsRefusesTheExtraConnectionWithRedisError()
    {
        await using var server = await KvServerFixture.StartAsync(["--maxclients", "1"]);
        await using var first = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("+PONG", (await first.SendAsync("PING")).ToString());
        await using var second = await RespTestClient.ConnectAsync(server.Port);
        Assert.Equal("-ERR max number of clients reached", (await second.ReadReplyAsync()).ToString());
        Assert.True(await second.IsClosedByServerAsync());
        var stats = (await first.SendAsync("INFO", "stats")).Text!;
        Assert.Contains("rejected_connections:1\r\n", stats);
    }

    [Fact]
    public async Task StackExchangeRedisReadsInfoConfigAndServerTime()
    {
        await using var server = await KvServerFixture.StartAsync();
        using var mux = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{server.Port},allowAdmin=true,abortConnect=true");
        var endpoint = mux.GetServer("127.0.0.1", server.Port);
        Assert.Equal(new Version(7, 0, 15), endpoint.Version);
        Assert.False(endpoint.IsReplica);
        Assert.Equal(16, endpoint.DatabaseCount);
        var config = await endpoint.ConfigGetAsync("maxclients");
        Assert.Equal("10000", config.Single().Value);
        var info = await endpoint.InfoAsync("server");
        Assert.Contains(info.SelectMany(g => g), kv => kv.Key == "redis_version" && kv.Value == "7.0.15");
        var time = await endpoint.TimeAsync();
        Assert.InRange(time, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        Assert.True(await endpoint.DatabaseSizeAsync() >= 0);
        Assert.Contains(endpoint.ClientList(), c => c.Id > 0);
    }
}
