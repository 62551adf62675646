using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class InfoCommandTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public InfoCommandTests(KvServerFixture fixture) => _fixture = fixture;

    private static Dictionary<string, string> Fields(string text)
    {
        var fields = new Dictionary<string, string>();
        foreach (var line in text.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && !line.StartsWith('#'))
            {
                fields[line[..colon]] = line[(colon + 1)..];
            }
        }

        return fields;
    }

    [Fact]
    public async Task DefaultInfoHasRedisSectionsInOrderWithCrLfLines()
    {
        await using var client = await _fixture.ConnectAsync();
        var reply = await client.SendAsync("INFO");
        Assert.Equal('$', reply.Type);
        var text = reply.Text!;
        var headers = text.Split("\r\n").Where(l => l.StartsWith('#')).ToArray();
        Assert.Equal(["# Server", "# Clients", "# Memory", "# Persistence", "# Stats", "# Replication", "# CPU", "# Modules", "# Errorstats", "# Cluster", "# Keyspace"], headers);
        Assert.DoesNotContain("\n", text.Replace("\r\n", ""));
        Assert.EndsWith("\r\n", text);

        var fields = Fields(text);
        Assert.Equal("7.0.15", fields["redis_version"]);
        Assert.Equal("standalone", fields["redis_mode"]);
        Assert.Equal(_fixture.Port.ToString(), fields["tcp_port"]);
        Assert.Equal(Environment.ProcessId.ToString(), fields["process_id"]);
        Assert.Equal(40, fields["run_id"].Length);
        Assert.Equal("64", fields["arch_bits"]);
        Assert.Equal("master", fields["role"]);
        Assert.Equal("0", fields["connected_slaves"]);
        Assert.Equal(40, fields["master_replid"].Length);
        Assert.Equal("0", fields["loading"]);
        Assert.Equal("0", fields["aof_enabled"]);
        Assert.Equal("ok", fields["rdb_last_bgsave_status"]);
        Assert.Equal("noeviction", fields["maxmemory_policy"]);
        Assert.True(long.Parse(fields["used_memory"]) > 0);
        Assert.Equal("10000", fields["maxclients"]);
        Assert.True(int.Parse(fields["connected_clients"]) >= 1);
        Assert.Equal("0", fields["cluster_enabled"]);
        Assert.Contains("used_cpu_user", fields.Keys);
    }

    [Fact]
    public async Task SectionsCanBeChosenAndUnknownOnesAreEmpty()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("$", (await client.SendAsync("INFO", "bogus")).ToString());
        var two = (await client.SendAsync("INFO", "KEYSPACE", "server")).Text!;
        Assert.StartsWith("# Server\r\n", two);
        Assert.Contains("\r\n\r\n# Keyspace\r\n", two);
        var all = (await client.SendAsync("INFO", "all")).Text!;
        Assert.Contains("# Commandstats\r\n", all);
        Assert.DoesNotContain("# Commandstats", (await client.SendAsync("INFO", "default")).Text!);
        Assert.Contains("# Commandstats\r\n", (await client.SendAsync("INFO", "everything")).Text!);
    }

    [Fact]
    public async Task KeyspaceAndCommandStatsCountWhatHappened()
    {
        await using var server = await KvServerFixture.StartAsync();
        await using var client = await RespTestClient.ConnectAsync(server.Port);
        await client.SendAsync("SET", "a", "1");
        await client.SendAsync("SET", "b", "2");
        await client.SendAsync("SET", "c", "3", "EX", "100");
        await client.SendAsync("GET", "a");
        await client.SendAsync("GET", "missing");
        await client.SendAsync("GET");
        await client.SendAsync("INCR", "a", "x");
        await client.SendAsync("SELECT", "2");
        await client.SendAsync("SET", "d", "4");

        Assert.Equal("# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n", (await client.SendAsync("INFO", "keyspace")).Text);
        var stats = (await client.SendAsync("INFO", "commandstats")).Text!;
        Assert.Matches(@"cmdstat_set:calls=4,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0\r\n", stats);
        Assert.Matches(@"cmdstat_get:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0\r\n", stats);
        Assert.Contains("cmdstat_info:calls=1,", stats);

        var fields = Fields((await client.SendAsync("INFO", "stats")).Text!);
        Assert.Equal("1", fields["keyspace_hits"]);
        Assert.Equal("1", fields["keyspace_misses"]);
        Assert.Equal("2", fields["total_error_replies"]);
        Assert.True(long.Parse(fields["total_commands_processed"]) >= 9);
        Assert.Equal("1", fields["total_connections_received"]);

        Assert.Equal("+OK", (await client.SendAsync("CONFIG", "RESETSTAT")).ToString());
        fields = Fields((await client.SendAsync("INFO", "stats", "commandstats")).Text!);
        Assert.Equal("0", fields["keyspace_hits"]);
        Assert.Equal("0", fields["total_error_replies"]);
        Assert.False(fields.ContainsKey("cmdstat_set"));
        Assert.True(fields.ContainsKey("cmdstat_config|resetstat"));
    }

    [Fact]
    public async Task Resp3RepliesAVerbatimString()
    {
        await using var client = await _fixture.ConnectAsync();
        await client.SendAsync("HELLO", "3");
        var reply = await client.SendAsync("INFO", "server");
        Assert.Equal('=', reply.Type);
        Assert.StartsWith("txt:# Server\r\n", reply.Text);
    }
}
