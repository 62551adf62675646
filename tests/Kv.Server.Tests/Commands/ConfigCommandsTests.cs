using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class ConfigCommandsTests
{
    private static async Task<(KvServer Server, RespTestClient Client)> StartAsync(params string[] args)
    {
        var server = await KvServerFixture.StartAsync(args);
        return (server, await RespTestClient.ConnectAsync(server.Port));
    }

    [Fact]
    public async Task GetMatchesNamesAliasesAndPatterns()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal("*[$hz, $10]", (await client.SendAsync("CONFIG", "GET", "hz")).ToString());
        Assert.Equal("*[$HZ, $10]", (await client.SendAsync("CONFIG", "GET", "HZ")).ToString());
        Assert.Equal("*[$slave-read-only, $yes]", (await client.SendAsync("CONFIG", "GET", "slave-read-only")).ToString());
        Assert.Equal("*[]", (await client.SendAsync("CONFIG", "GET", "nothing")).ToString());

        var hash = (await client.SendAsync("CONFIG", "GET", "hash-max-*")).Items!.Select(i => i.Text).ToList();
        Assert.Equal(8, hash.Count);
        Assert.Contains("hash-max-listpack-entries", hash);
        Assert.Contains("hash-max-ziplist-entries", hash);
        Assert.Equal("512", hash[hash.IndexOf("hash-max-ziplist-entries") + 1]);

        var multi = (await client.SendAsync("CONFIG", "GET", "maxmemory", "save", "appendonly", "databases", "maxmemory")).Items!.Select(i => i.Text).ToList();
        Assert.Equal(["maxmemory", "0", "save", "", "appendonly", "no", "databases", "16"], multi);
        Assert.True((await client.SendAsync("CONFIG", "GET", "*")).Items!.Count > 150);
        Assert.Equal("-ERR wrong number of arguments for 'config|get' command", (await client.SendAsync("CONFIG", "GET")).ToString());

        await client.SendAsync("HELLO", "3");
        Assert.Equal("%[$timeout, $0]", (await client.SendAsync("CONFIG", "GET", "timeout")).ToString());
    }

    [Fact]
    public async Task SetChangesSeveralParametersAtOnce()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "hz", "20", "maxclients", "50", "slowlog-max-len", "7")).ToString());
        Assert.Equal("*[$hz, $20, $maxclients, $50, $slowlog-max-len, $7]", (await client.SendAsync("CONFIG", "GET", "hz", "maxclients", "slowlog-max-len")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "hz", "1000")).ToString());
        Assert.Equal("*[$hz, $500]", (await client.SendAsync("CONFIG", "GET", "hz")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "hash-max-ziplist-entries", "100")).ToString());
        Assert.Equal("*[$hash-max-listpack-entries, $100]", (await client.SendAsync("CONFIG", "GET", "hash-max-listpack-entries")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "notify-keyspace-events", "KEA")).ToString());
        Assert.Equal("*[$notify-keyspace-events, $AKE]", (await client.SendAsync("CONFIG", "GET", "notify-keyspace-events")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "proto-max-bulk-len", "2mb")).ToString());
        Assert.Equal("*[$proto-max-bulk-len, $2097152]", (await client.SendAsync("CONFIG", "GET", "proto-max-bulk-len")).ToString());
    }

    [Fact]
    public async Task SetIsAllOrNothing()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer",
            (await client.SendAsync("CONFIG", "SET", "hz", "33", "maxclients", "x")).ToString());
        Assert.Equal("*[$hz, $10]", (await client.SendAsync("CONFIG", "GET", "hz")).ToString());
    }

    [Theory]
    [InlineData("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'", "foo", "1")]
    [InlineData("-ERR Unknown option or number of arguments for CONFIG SET - 'foo'", "hz", "5", "foo", "1")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config", "port", "1")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config", "databases", "3")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config", "dir", "/tmp")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'hz') - duplicate parameter", "hz", "1", "hz", "2")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - duplicate parameter", "hash-max-listpack-entries", "1", "hash-max-ziplist-entries", "2")]
    [InlineData("-ERR syntax error", "hz", "1", "maxclients")]
    [InlineData("-ERR wrong number of arguments for 'config|set' command", "hz")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive", "maxclients", "0")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive", "slowlog-max-len", "-5")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer", "timeout", "10gb")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value", "maxmemory", "1xyz")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'", "appendonly", "maybe")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction", "maxmemory-policy", "bogus")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning", "loglevel", "foo")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.", "notify-keyspace-events", "Q")]
    [InlineData("-ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - argument must be 'yes' or 'no'", "replica-read-only", "1")]
    public async Task SetErrorsMatchRedis(string expected, params string[] arguments)
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal(expected, (await client.SendAsync(["CONFIG", "SET", .. arguments])).ToString());
    }

    [Fact]
    public async Task UnimplementedFeaturesAreRefusedWithAClearMessage()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "save", "60  +1")).ToString()); // RDB save points exist now
        Assert.Equal("*[$save, $60 1]", (await client.SendAsync("CONFIG", "GET", "save")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "appendonly", "no", "save", "", "maxmemory", "0", "maxmemory-policy", "noeviction")).ToString());
    }

    [Fact]
    public async Task ProtectedConfigCanBeSetWhenEnabled()
    {
        var (server, client) = await StartAsync("--enable-protected-configs", "local");
        await using var _ = server;
        using var __ = client;
        string dir = Path.GetTempPath();
        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "SET", "dir", dir)).ToString());
        Assert.Equal(Path.GetFullPath(dir), (await client.SendAsync("CONFIG", "GET", "dir")).Items![1].Text);
    }

    [Fact]
    public async Task RewriteNeedsAConfigFileAndKeepsItsComments()
    {
        var (server, client) = await StartAsync();
        await using (server)
        using (client)
        {
            Assert.Equal("-ERR The server is running without a config file", (await client.SendAsync("CONFIG", "REWRITE")).ToString());
        }

        string file = Path.Combine(Path.GetTempPath(), $"kv-rewrite-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(file, "# my settings\nhz 20\nport 0\n");
        try
        {
            var (server2, client2) = await StartAsync(file);
            await using var _ = server2;
            using var __ = client2;
            Assert.Equal("+OK", (await client2.SendAsync("CONFIG", "SET", "hz", "30", "timeout", "15", "requirepass", "a b")).ToString());
            Assert.Equal("+OK", (await client2.SendAsync("CONFIG", "REWRITE")).ToString());
            var lines = await File.ReadAllLinesAsync(file);
            Assert.Equal("# my settings", lines[0]);
            Assert.Equal("hz 30", lines[1]);
            Assert.Equal("port 0", lines[2]);
            Assert.Contains("# Generated by CONFIG REWRITE", lines);
            Assert.Contains("timeout 15", lines);
            Assert.Contains("requirepass \"a b\"", lines);

            var reloaded = new Kv.Server.Configuration.ServerConfig();
            Kv.Server.Configuration.ConfigLoader.Apply(reloaded, [file]);
            Assert.Equal(30, reloaded.Hz);
            Assert.Equal("a b", reloaded.RequirePass);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task HelpAndUnknownSubcommand()
    {
        var (server, client) = await StartAsync();
        await using var _ = server;
        using var __ = client;
        Assert.Equal("+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", (await client.SendAsync("CONFIG", "HELP")).Items![0].ToString());
        Assert.Equal("-ERR unknown subcommand 'foo'. Try CONFIG HELP.", (await client.SendAsync("CONFIG", "foo")).ToString());
    }
}
