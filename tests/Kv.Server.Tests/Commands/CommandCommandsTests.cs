using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class CommandCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public CommandCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task CountMatchesTheNumberOfEntriesInCommand()
    {
        await using var client = await _fixture.ConnectAsync();
        long count = (await client.SendAsync("COMMAND", "COUNT")).Integer;
        var all = await client.SendAsync("COMMAND");
        Assert.True(count > 20);
        Assert.Equal(count, all.Items!.Count);
        Assert.Equal(count, (await client.SendAsync("COMMAND", "INFO")).Items!.Count);
        Assert.Equal("-ERR wrong number of arguments for 'command|count' command", (await client.SendAsync("COMMAND", "COUNT", "x")).ToString());
    }

    [Fact]
    public async Task InfoHasRedis70Shape()
    {
        await using var client = await _fixture.ConnectAsync();
        var reply = await client.SendAsync("COMMAND", "INFO", "get", "nosuch", "client|kill");
        Assert.Equal(3, reply.Items!.Count);
        Assert.Equal(
            "*[$get, :2, *[+readonly, +fast], :1, :1, :1, *[+@read, +@string, +@fast], *[], " +
            "*[*[$flags, *[+RO, +access], $begin_search, *[$type, $index, $spec, *[$index, :1]], $find_keys, *[$type, $range, $spec, *[$lastkey, :0, $keystep, :1, $limit, :0]]]], *[]]",
            reply.Items[0].ToString());
        Assert.Equal("(nil)", reply.Items[1].ToString());
        Assert.Equal("*[$client|kill, :-3, *[+admin, +noscript, +loading, +stale], :0, :0, :0, *[+@admin, +@slow, +@dangerous, +@connection], *[], *[], *[]]", reply.Items[2].ToString());

        var client1 = (await client.SendAsync("COMMAND", "INFO", "client")).Items![0];
        Assert.Equal("*[]", client1.Items![2].ToString());
        Assert.Equal("*[+@slow]", client1.Items[6].ToString());
        Assert.Contains(client1.Items[9].Items!, sub => sub.Items![0].Text == "client|list");

        var mset = (await client.SendAsync("COMMAND", "INFO", "mset")).Items![0];
        Assert.Contains("$lastkey, :-1, $keystep, :2", mset.ToString());
    }

    [Fact]
    public async Task Resp3InfoUsesSetsAndMaps()
    {
        await using var client = await _fixture.ConnectAsync();
        await client.SendAsync("HELLO", "3");
        var get = (await client.SendAsync("COMMAND", "INFO", "get")).Items![0];
        Assert.Equal('~', get.Items![2].Type);
        Assert.Equal('~', get.Items[6].Type);
        Assert.Equal('%', get.Items[8].Items![0].Type);
        Assert.Equal("(null)", (await client.SendAsync("COMMAND", "INFO", "nosuch")).Items![0].ToString());
    }

    [Fact]
    public async Task DocsIsAMapOfNameToDocs()
    {
        await using var client = await _fixture.ConnectAsync();
        var docs = await client.SendAsync("COMMAND", "DOCS", "get", "nosuch");
        Assert.Equal(2, docs.Items!.Count);
        Assert.Equal("$get", docs.Items[0].ToString());
        var fields = docs.Items[1].Items!;
        Assert.Equal("$summary", fields[0].ToString());
        Assert.Equal("$since", fields[2].ToString());
        Assert.Equal("$1.0.0", fields[3].ToString());
        Assert.Equal("$group", fields[4].ToString());
        Assert.Equal("$string", fields[5].ToString());
        Assert.Equal("$complexity", fields[6].ToString());

        var config = (await client.SendAsync("COMMAND", "DOCS", "config")).Items![1].Items!;
        Assert.Equal("$subcommands", config[8].ToString());
        Assert.Contains(config[9].Items!, item => item.Text == "config|get");
        Assert.Equal("*[]", (await client.SendAsync("COMMAND", "DOCS", "nosuch")).ToString());
    }

    [Fact]
    public async Task ListFiltersByPatternAclCategoryAndModule()
    {
        await using var client = await _fixture.ConnectAsync();
        var all = (await client.SendAsync("COMMAND", "LIST")).Items!.Select(i => i.Text).ToList();
        Assert.Contains("get", all);
        Assert.Contains("client|kill", all);
        var pattern = (await client.SendAsync("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG*")).Items!.Select(i => i.Text).ToList();
        Assert.Contains("config", pattern);
        Assert.Contains("config|set", pattern);
        Assert.DoesNotContain("get", pattern);
        var connection = (await client.SendAsync("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")).Items!.Select(i => i.Text).ToList();
        Assert.Contains("ping", connection);
        Assert.Contains("client|id", connection);
        Assert.DoesNotContain("get", connection);
        Assert.Equal("*[]", (await client.SendAsync("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nocat")).ToString());
        Assert.Equal("*[]", (await client.SendAsync("COMMAND", "LIST", "FILTERBY", "MODULE", "x")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("COMMAND", "LIST", "FILTERBY", "foo", "x")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("COMMAND", "LIST", "foo")).ToString());
    }

    [Fact]
    public async Task GetKeysUsesTheKeyRange()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("*[$a, $b]", (await client.SendAsync("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2")).ToString());
        Assert.Equal("*[$k]", (await client.SendAsync("COMMAND", "GETKEYS", "get", "k")).ToString());
        Assert.Equal("*[*[$k, *[+RO, +access]]]", (await client.SendAsync("COMMAND", "GETKEYSANDFLAGS", "get", "k")).ToString());
        Assert.Equal("-ERR Invalid command specified", (await client.SendAsync("COMMAND", "GETKEYS", "foo", "a")).ToString());
        Assert.Equal("-ERR Invalid number of arguments specified for command", (await client.SendAsync("COMMAND", "GETKEYS", "get", "a", "b")).ToString());
        Assert.Equal("-ERR The command has no key arguments", (await client.SendAsync("COMMAND", "GETKEYS", "ping", "a")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'command|getkeys' command", (await client.SendAsync("COMMAND", "GETKEYS", "get")).ToString());
    }

    [Fact]
    public async Task HelpListsSubcommands()
    {
        await using var client = await _fixture.ConnectAsync();
        var help = (await client.SendAsync("COMMAND", "HELP")).Items!;
        Assert.Equal("+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help[0].ToString());
        Assert.Contains(help, line => line.Text == "GETKEYS <full-command>");
    }
}
