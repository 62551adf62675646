using System.Text.RegularExpressions;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

public sealed class ClientCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public ClientCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    private static async Task<long> IdOf(RespTestClient client) => (await client.SendAsync("CLIENT", "ID")).Integer;

    [Fact]
    public async Task ClientInfoHasRedisFieldsInOrder()
    {
        await using var client = await _fixture.ConnectAsync();
        await client.SendAsync("CLIENT", "SETNAME", "infotest");
        await client.SendAsync("SELECT", "3");
        long id = await IdOf(client);
        var line = (await client.SendAsync("CLIENT", "INFO")).Text!;
        Assert.EndsWith("\n", line);
        Assert.Matches(new Regex(
            $@"^id={id} addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:{_fixture.Port} fd=-?\d+ name=infotest age=\d+ idle=\d+ flags=N db=3 sub=0 psub=0 ssub=0 multi=-1 " +
            @"qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ events=r cmd=client\|info user=default redir=-1 resp=2 lib-name= lib-ver=\n$"),
            line);
    }

    [Fact]
    public async Task ClientListFiltersByTypeAndId()
    {
        await using var a = await _fixture.ConnectAsync();
        await using var b = await _fixture.ConnectAsync();
        long idA = await IdOf(a);
        long idB = await IdOf(b);
        var all = (await a.SendAsync("CLIENT", "LIST")).Text!;
        Assert.Contains($"id={idA} ", all);
        Assert.Contains($"id={idB} ", all);
        Assert.Contains("cmd=client|list", all);
        Assert.Contains("cmd=client|id", all);

        var one = (await a.SendAsync("CLIENT", "LIST", "ID", idB.ToString())).Text!;
        Assert.StartsWith($"id={idB} ", one);
        Assert.Single(one.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("$", (await a.SendAsync("CLIENT", "LIST", "ID", "0")).ToString());
        Assert.Contains($"id={idA} ", (await a.SendAsync("CLIENT", "LIST", "TYPE", "normal")).Text!);
        Assert.Equal("$", (await a.SendAsync("CLIENT", "LIST", "TYPE", "pubsub")).ToString());
        Assert.Equal("$", (await a.SendAsync("CLIENT", "LIST", "TYPE", "replica")).ToString());
        Assert.Equal("-ERR Unknown client type 'foo'", (await a.SendAsync("CLIENT", "LIST", "TYPE", "foo")).ToString());
        Assert.Equal("-ERR Invalid client ID", (await a.SendAsync("CLIENT", "LIST", "ID", "1", "abc")).ToString());
        Assert.Equal("-ERR syntax error", (await a.SendAsync("CLIENT", "LIST", "foo")).ToString());
        Assert.Equal("-ERR syntax error", (await a.SendAsync("CLIENT", "LIST", "ID")).ToString());
    }

    [Fact]
    public async Task KillByIdClosesTheOtherConnection()
    {
        await using var killer = await _fixture.ConnectAsync();
        await using var victim = await _fixture.ConnectAsync();
        long id = await IdOf(victim);
        Assert.Equal(":1", (await killer.SendAsync("CLIENT", "KILL", "ID", id.ToString())).ToString());
        Assert.True(await victim.IsClosedByServerAsync());
        Assert.Equal(":0", (await killer.SendAsync("CLIENT", "KILL", "ID", id.ToString())).ToString());
        Assert.DoesNotContain($"id={id} ", (await killer.SendAsync("CLIENT", "LIST")).Text!);
    }

    [Fact]
    public async Task KillByAddressOldFormRepliesOkOrNoSuchClient()
    {
        await using var killer = await _fixture.ConnectAsync();
        await using var victim = await _fixture.ConnectAsync();
        var info = (await victim.SendAsync("CLIENT", "INFO")).Text!;
        string addr = Regex.Match(info, @"addr=(\S+)").Groups[1].Value;
        Assert.Equal("+OK", (await killer.SendAsync("CLIENT", "KILL", addr)).ToString());
        Assert.True(await victim.IsClosedByServerAsync());
        Assert.Equal("-ERR No such client", (await killer.SendAsync("CLIENT", "KILL", "1.2.3.4:5")).ToString());
    }

    [Fact]
    public async Task KillingItselfRepliesThenCloses()
    {
        await using var client = await _fixture.ConnectAsync();
        long id = await IdOf(client);
        Assert.Equal(":0", (await client.SendAsync("CLIENT", "KILL", "ID", id.ToString())).ToString()); // SKIPME yes by default
        Assert.Equal(":1", (await client.SendAsync("CLIENT", "KILL", "ID", id.ToString(), "SKIPME", "no")).ToString());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task KillFiltersValidateLikeRedis()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "KILL", "foo", "bar")).ToString());
        Assert.Equal("-ERR client-id should be greater than 0", (await client.SendAsync("CLIENT", "KILL", "ID", "abc")).ToString());
        Assert.Equal("-ERR client-id should be greater than 0", (await client.SendAsync("CLIENT", "KILL", "ID", "0")).ToString());
        Assert.Equal("-ERR Unknown client type 'foo'", (await client.SendAsync("CLIENT", "KILL", "TYPE", "foo")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "KILL", "SKIPME", "maybe")).ToString());
        Assert.Equal("-ERR No such user 'nouser'", (await client.SendAsync("CLIENT", "KILL", "USER", "nouser")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "KILL", "ID", "1", "TYPE")).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "KILL", "MAXAGE", "x")).ToString());
        Assert.Equal(":0", (await client.SendAsync("CLIENT", "KILL", "LADDR", "1.1.1.1:1")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'client|kill' command", (await client.SendAsync("CLIENT", "KILL")).ToString());
    }

    [Fact]
    public async Task SetInfoStoresLibraryNameAndVersion()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("CLIENT", "SETINFO", "LIB-NAME", "kv-tests")).ToString());
        Assert.Equal("+OK", (await client.SendAsync("CLIENT", "SETINFO", "lib-ver", "1.2.3")).ToString());
        Assert.Contains(" lib-name=kv-tests lib-ver=1.2.3\n", (await client.SendAsync("CLIENT", "INFO")).Text!);
        Assert.Equal("-ERR Unrecognized option 'lib-foo'", (await client.SendAsync("CLIENT", "SETINFO", "lib-foo", "x")).ToString());
        Assert.Equal("-ERR LIB-NAME cannot contain spaces, newlines or special characters.", (await client.SendAsync("CLIENT", "SETINFO", "LIB-NAME", "a b")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'client|setinfo' command", (await client.SendAsync("CLIENT", "SETINFO", "lib-name")).ToString());
    }

    [Fact]
    public async Task NoEvictSetsTheFlag()
    {
        await using var client = await _fixture.ConnectAsync();
        Assert.Equal("+OK", (await client.SendAsync("CLIENT", "NO-EVICT", "on")).ToString());
        Assert.Contains(" flags=e ", (await client.SendAsync("CLIENT", "INFO")).Text!);
        Assert.Equal("+OK", (await client.SendAsync("CLIENT", "NO-EVICT", "OFF")).ToString());
        Assert.Contains(" flags=N ", (await client.SendAsync("CLIENT", "INFO")).Text!);
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "NO-EVICT", "maybe")).ToString());
    }

    [Fact]
    public async Task ReplyOffSkipAndOnBehaveAsRedis()
    {
        await using var client = await _fixture.ConnectAsync();
        await client.WriteCommandAsync("CLIENT", "REPLY", "OFF");
        await client.WriteCommandAsync("ECHO", "hidden");
        await client.WriteCommandAsync("CLIENT", "REPLY", "ON");
        Assert.Equal("+OK", (await client.ReadReplyAsync()).ToString());
        await client.WriteCommandAsync("CLIENT", "REPLY", "SKIP");
        await client.WriteCommandAsync("ECHO", "skipped");
        await client.WriteCommandAsync("ECHO", "shown");
        Assert.Equal("$shown", (await client.ReadReplyAsync()).ToString());
        Assert.Equal("-ERR syntax error", (await client.SendAsync("CLIENT", "REPLY", "maybe")).ToString());
    }

    [Fact]
    public async Task HelpAndUnknownSubcommands()
    {
        await using var client = await _fixture.ConnectAsync();
        var help = await client.SendAsync("CLIENT", "HELP");
        Assert.Equal("+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help.Items![0].ToString());
        Assert.Equal("-ERR unknown subcommand 'foo'. Try CLIENT HELP.", (await client.SendAsync("CLIENT", "foo")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'client' command", (await client.SendAsync("CLIENT")).ToString());
    }

    [Fact]
    public async Task Resp3ListIsVerbatim()
    {
        await using var client = await _fixture.ConnectAsync();
        await client.SendAsync("HELLO", "3");
        var reply = await client.SendAsync("CLIENT", "LIST");
        Assert.Equal('=', reply.Type);
        Assert.Contains(" resp=3 ", reply.Text);
    }
}
