using Kv.Server.Commands;
using Kv.Server.Tests.Infrastructure;

namespace Kv.Server.Tests.Commands;

/// <summary>
/// DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, RENAMENX, COPY, MOVE, KEYS, RANDOMKEY and OBJECT over a
/// socket. Expected replies and error texts are redis-server 7.0.15's.
/// </summary>
public sealed class KeyCommandsTests : IClassFixture<KvServerFixture>
{
    private readonly KvServerFixture _fixture;

    public KeyCommandsTests(KvServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("del", -2, "write", 1, -1, 1, "@keyspace @write @slow")]
    [InlineData("unlink", -2, "write fast", 1, -1, 1, "@keyspace @write @fast")]
    [InlineData("exists", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast")]
    [InlineData("type", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast")]
    [InlineData("touch", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast")]
    [InlineData("expire", -3, "write fast", 1, 1, 1, "@keyspace @write @fast")]
    [InlineData("pexpireat", -3, "write fast", 1, 1, 1, "@keyspace @write @fast")]
    [InlineData("ttl", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast")]
    [InlineData("pexpiretime", 2, "readonly fast", 1, 1, 1, "@keyspace @read @fast")]
    [InlineData("persist", 2, "write fast", 1, 1, 1, "@keyspace @write @fast")]
    [InlineData("rename", 3, "write", 1, 2, 1, "@keyspace @write @slow")]
    [InlineData("renamenx", 3, "write fast", 1, 2, 1, "@keyspace @write @fast")]
    [InlineData("copy", -3, "write denyoom", 1, 2, 1, "@keyspace @write @slow")]
    [InlineData("move", 3, "write fast", 1, 1, 1, "@keyspace @write @fast")]
    [InlineData("keys", 2, "readonly", 0, 0, 0, "@keyspace @read @slow @dangerous")]
    [InlineData("scan", -2, "readonly", 0, 0, 0, "@keyspace @read @slow")]
    [InlineData("randomkey", 1, "readonly", 0, 0, 0, "@keyspace @read @slow")]
    [InlineData("object", -2, "", 0, 0, 0, "@slow")]
    [InlineData("object|encoding", 3, "readonly", 2, 2, 1, "@keyspace @read @slow")]
    [InlineData("object|help", 2, "loading stale", 0, 0, 0, "@keyspace @slow")]
    public void CommandTableRowsMatchRedis(string name, int arity, string flags, int first, int last, int step, string acl)
    {
        var table = CommandTable.CreateDefault();
        var parts = name.Split('|');
        var command = table.Find(parts[0]);
        Assert.NotNull(command);
        if (parts.Length == 2)
        {
            command = command.Subcommands[parts[1]];
        }

        Assert.Equal(arity, command.Arity);
        Assert.Equal(Words(flags), Words(string.Join(' ', CommandTable.FlagNames.Where(f => command.Has(f.Flag)).Select(f => f.Name))));
        Assert.Equal((first, last, step), (command.FirstKey, command.LastKey, command.Step));
        Assert.Equal(Words(acl), Words(string.Join(' ', CommandTable.AclNames.Where(a => (command.Acl & a.Category) != 0).Select(a => "@" + a.Name))));
    }

    [Fact]
    public async Task DelAndUnlinkCountEachExistingKeyOnce()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("MSET", "del:a", "1", "del:b", "2", "del:c", "3");
        Assert.Equal(":1", (await c.SendAsync("DEL", "del:a", "del:a", "del:missing")).ToString());
        Assert.Equal(":2", (await c.SendAsync("UNLINK", "del:b", "del:c", "del:b")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "del:a", "del:b", "del:c")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'del' command", (await c.SendAsync("DEL")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'unlink' command", (await c.SendAsync("UNLINK")).ToString());
    }

    [Fact]
    public async Task ExistsCountsEveryMention()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "exists:a", "1");
        Assert.Equal(":3", (await c.SendAsync("EXISTS", "exists:a", "exists:a", "exists:missing", "exists:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "exists:missing")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'exists' command", (await c.SendAsync("EXISTS")).ToString());
    }

    [Fact]
    public async Task TypeNamesStringsAndMissingKeys()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "type:a", "1");
        Assert.Equal("+string", (await c.SendAsync("TYPE", "type:a")).ToString());
        Assert.Equal("+none", (await c.SendAsync("TYPE", "type:missing")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'type' command", (await c.SendAsync("TYPE", "a", "b")).ToString());
    }

    [Fact]
    public async Task TouchCountsExistingKeysPerMention()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("MSET", "touch:a", "1", "touch:b", "2");
        Assert.Equal(":3", (await c.SendAsync("TOUCH", "touch:a", "touch:b", "touch:missing", "touch:a")).ToString());
    }

    [Fact]
    public async Task RenameMovesTheValueAndReplacesTheDestination()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("MSET", "rename:a", "va", "rename:b", "vb");
        Assert.Equal("+OK", (await c.SendAsync("RENAME", "rename:a", "rename:b")).ToString());
        Assert.Equal("$va", (await c.SendAsync("GET", "rename:b")).ToString());
        Assert.Equal("(nil)", (await c.SendAsync("GET", "rename:a")).ToString());
        Assert.Equal("-ERR no such key", (await c.SendAsync("RENAME", "rename:a", "rename:c")).ToString());
        Assert.Equal("-ERR no such key", (await c.SendAsync("RENAME", "rename:a", "rename:a")).ToString());
        Assert.Equal("+OK", (await c.SendAsync("RENAME", "rename:b", "rename:b")).ToString());
        Assert.Equal("$va", (await c.SendAsync("GET", "rename:b")).ToString());
    }

    [Fact]
    public async Task RenameKeepsTheTtlAndDropsTheDestinationsTtl()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "renttl:a", "1", "EX", "100");
        await c.SendAsync("SET", "renttl:b", "2");
        await c.SendAsync("RENAME", "renttl:a", "renttl:b");
        Assert.InRange((await c.SendAsync("TTL", "renttl:b")).Integer, 99, 100);
        await c.SendAsync("SET", "renttl:c", "3");
        await c.SendAsync("SET", "renttl:d", "4", "EX", "100");
        await c.SendAsync("RENAME", "renttl:c", "renttl:d");
        Assert.Equal(":-1", (await c.SendAsync("TTL", "renttl:d")).ToString());
    }

    [Fact]
    public async Task RenameNxOnlyRenamesToAnAbsentKey()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("MSET", "renamenx:a", "va", "renamenx:b", "vb");
        Assert.Equal(":0", (await c.SendAsync("RENAMENX", "renamenx:a", "renamenx:b")).ToString());
        Assert.Equal("$vb", (await c.SendAsync("GET", "renamenx:b")).ToString());
        Assert.Equal(":0", (await c.SendAsync("RENAMENX", "renamenx:a", "renamenx:a")).ToString());
        Assert.Equal(":1", (await c.SendAsync("RENAMENX", "renamenx:a", "renamenx:c")).ToString());
        Assert.Equal("$va", (await c.SendAsync("GET", "renamenx:c")).ToString());
        Assert.Equal("-ERR no such key", (await c.SendAsync("RENAMENX", "renamenx:a", "renamenx:d")).ToString());
    }

    [Fact]
    public async Task CopyClonesTheValueSoTheKeysChangeIndependently()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "copy:a", "5", "EX", "100");
        Assert.Equal(":1", (await c.SendAsync("COPY", "copy:a", "copy:b")).ToString());
        Assert.InRange((await c.SendAsync("TTL", "copy:b")).Integer, 99, 100);

        // INCR rewrites a same-length value in place: a shared array would change both keys.
        Assert.Equal(":6", (await c.SendAsync("INCR", "copy:a")).ToString());
        Assert.Equal("$5", (await c.SendAsync("GET", "copy:b")).ToString());
        Assert.Equal("$6", (await c.SendAsync("GET", "copy:a")).ToString());
    }

    [Fact]
    public async Task CopyReplacesOnlyWithReplaceAndCopiesToOtherDatabases()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("MSET", "copyr:a", "va", "copyr:b", "vb");
        Assert.Equal(":0", (await c.SendAsync("COPY", "copyr:a", "copyr:b")).ToString());
        Assert.Equal("$vb", (await c.SendAsync("GET", "copyr:b")).ToString());
        Assert.Equal(":1", (await c.SendAsync("COPY", "copyr:a", "copyr:b", "REPLACE")).ToString());
        Assert.Equal("$va", (await c.SendAsync("GET", "copyr:b")).ToString());
        Assert.Equal(":0", (await c.SendAsync("COPY", "copyr:missing", "copyr:x")).ToString());

        Assert.Equal(":1", (await c.SendAsync("COPY", "copyr:a", "copyr:a", "db", "3")).ToString());
        Assert.Equal(":1", (await c.SendAsync("COPY", "copyr:a", "copyr:other", "replace", "replace", "DB", "3")).ToString());
        await c.SendAsync("SELECT", "3");
        Assert.Equal("$va", (await c.SendAsync("GET", "copyr:a")).ToString());
        Assert.Equal("$va", (await c.SendAsync("GET", "copyr:other")).ToString());
        await c.SendAsync("FLUSHDB");
    }

    [Theory]
    [InlineData("copy:a|copy:a", "-ERR source and destination objects are the same")]
    [InlineData("copy:missing|copy:missing", "-ERR source and destination objects are the same")]
    [InlineData("copy:a|copy:a|db|0", "-ERR source and destination objects are the same")]
    [InlineData("copy:a|copy:b|db", "-ERR syntax error")]
    [InlineData("copy:a|copy:b|foo", "-ERR syntax error")]
    [InlineData("copy:a|copy:a|foo", "-ERR syntax error")]
    [InlineData("copy:a|copy:b|db|16", "-ERR DB index is out of range")]
    [InlineData("copy:a|copy:b|db|-1", "-ERR DB index is out of range")]
    [InlineData("copy:a|copy:b|db|abc", "-ERR value is not an integer or out of range")]
    [InlineData("copy:a|copy:b|db|99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647")]
    [InlineData("copy:a", "-ERR wrong number of arguments for 'copy' command")]
    public async Task CopyErrorsAsRedis(string args, string expected)
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "copy:a", "1");
        Assert.Equal(expected, (await c.SendAsync(["COPY", .. args.Split('|')])).ToString());
    }

    [Fact]
    public async Task MoveTransfersTheKeyAndItsTtlToAnotherDatabase()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "4");
        await c.SendAsync("FLUSHDB");
        await c.SendAsync("SELECT", "0");
        await c.SendAsync("SET", "move:a", "va", "EX", "100");
        await c.SendAsync("SET", "move:b", "vb");
        Assert.Equal(":1", (await c.SendAsync("MOVE", "move:a", "4")).ToString());
        Assert.Equal(":0", (await c.SendAsync("EXISTS", "move:a")).ToString());
        Assert.Equal(":0", (await c.SendAsync("MOVE", "move:missing", "4")).ToString());

        await c.SendAsync("SELECT", "4");
        Assert.Equal("$va", (await c.SendAsync("GET", "move:a")).ToString());
        Assert.InRange((await c.SendAsync("TTL", "move:a")).Integer, 99, 100);
        await c.SendAsync("SET", "move:b", "other");

        // The destination holding the key makes MOVE a no-op.
        await c.SendAsync("SELECT", "0");
        Assert.Equal(":0", (await c.SendAsync("MOVE", "move:b", "4")).ToString());
        Assert.Equal("$vb", (await c.SendAsync("GET", "move:b")).ToString());
        await c.SendAsync("SELECT", "4");
        await c.SendAsync("FLUSHDB");
    }

    [Theory]
    [InlineData("0", "-ERR source and destination objects are the same")]
    [InlineData("16", "-ERR DB index is out of range")]
    [InlineData("-1", "-ERR DB index is out of range")]
    [InlineData("abc", "-ERR value is not an integer or out of range")]
    [InlineData("99999999999", "-ERR value is out of range, value must between -2147483648 and 2147483647")]
    public async Task MoveErrorsAsRedis(string db, string expected)
    {
        await using var c = await _fixture.ConnectAsync();
        Assert.Equal(expected, (await c.SendAsync("MOVE", "move:missing", db)).ToString());
    }

    [Fact]
    public async Task KeysReturnsTheKeysMatchingAGlob()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "5");
        await c.SendAsync("FLUSHDB");
        await c.SendAsync("MSET", "hello", "1", "hallo", "2", "hxllo", "3", "heeeello", "4", "h*llo", "5", "", "6");
        Assert.Equal(["", "h*llo", "hallo", "heeeello", "hello", "hxllo"], await KeysAsync(c, "*"));
        Assert.Equal(["h*llo", "hallo", "heeeello", "hello", "hxllo"], await KeysAsync(c, "h*llo"));
        Assert.Equal(["hallo", "hello"], await KeysAsync(c, "h[ae]llo"));
        Assert.Equal(["h*llo", "hallo", "hxllo"], await KeysAsync(c, "h[^e]llo"));
        Assert.Equal(["h*llo"], await KeysAsync(c, "h\\*llo"));
        Assert.Empty(await KeysAsync(c, "nothing*"));
        Assert.Equal("-ERR wrong number of arguments for 'keys' command", (await c.SendAsync("KEYS")).ToString());
        await c.SendAsync("FLUSHDB");
    }

    [Fact]
    public async Task RandomKeyReturnsAnExistingKeyOrNil()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SELECT", "6");
        await c.SendAsync("FLUSHDB");
        Assert.Equal("(nil)", (await c.SendAsync("RANDOMKEY")).ToString());
        await c.SendAsync("MSET", "r1", "1", "r2", "2", "r3", "3");
        var seen = new HashSet<string>();
        for (int i = 0; i < 200 && seen.Count < 3; i++)
        {
            var reply = await c.SendAsync("RANDOMKEY");
            Assert.Contains(reply.Text, new[] { "r1", "r2", "r3" });
            seen.Add(reply.Text!);
        }

        Assert.Equal(3, seen.Count);
        Assert.Equal("-ERR wrong number of arguments for 'randomkey' command", (await c.SendAsync("RANDOMKEY", "x")).ToString());
        await c.SendAsync("FLUSHDB");
    }

    [Theory]
    [InlineData("12345", "int")]
    [InlineData("-5", "int")]
    [InlineData("01", "embstr")]
    [InlineData("hello", "embstr")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "embstr")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "raw")]
    public async Task ObjectEncodingFollowsRedisRules(string value, string encoding)
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "objenc", value);
        Assert.Equal("$" + encoding, (await c.SendAsync("OBJECT", "ENCODING", "objenc")).ToString());
    }

    [Theory]
    [InlineData("0", 2147483647)]
    [InlineData("9999", 2147483647)]
    [InlineData("10000", 1)]
    [InlineData("-1", 1)]
    [InlineData("01", 1)]
    [InlineData("text", 1)]
    public async Task ObjectRefCountReportsSharedIntegers(string value, long refcount)
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "objref", value);
        Assert.Equal(refcount, (await c.SendAsync("OBJECT", "REFCOUNT", "objref")).Integer);
    }

    [Fact]
    public async Task ObjectSubcommandsAnswerNilForMissingKeysAndRedisErrors()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("SET", "obj:a", "1");
        foreach (var sub in new[] { "ENCODING", "IDLETIME", "FREQ", "REFCOUNT" })
        {
            Assert.Equal("(nil)", (await c.SendAsync("OBJECT", sub, "obj:missing")).ToString());
        }

        Assert.Equal(0, (await c.SendAsync("OBJECT", "IDLETIME", "obj:a")).Integer);
        Assert.Equal(
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
            (await c.SendAsync("OBJECT", "FREQ", "obj:a")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'object' command", (await c.SendAsync("OBJECT")).ToString());
        Assert.Equal("-ERR unknown subcommand 'foo'. Try OBJECT HELP.", (await c.SendAsync("OBJECT", "foo")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'object|encoding' command", (await c.SendAsync("OBJECT", "ENCODING")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'object|encoding' command", (await c.SendAsync("OBJECT", "encoding", "a", "b")).ToString());
        Assert.Equal("-ERR wrong number of arguments for 'object|help' command", (await c.SendAsync("OBJECT", "HELP", "x")).ToString());
    }

    [Fact]
    public async Task ObjectHelpListsTheSubcommands()
    {
        await using var c = await _fixture.ConnectAsync();
        var help = await c.SendAsync("OBJECT", "help");
        Assert.NotNull(help.Items);
        Assert.Equal(15, help.Items.Count);
        Assert.Equal("+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", help.Items[0].ToString());
        Assert.Equal("+ENCODING <key>", help.Items[1].ToString());
        Assert.Equal("+    Prints this help.", help.Items[14].ToString());
    }

    [Fact]
    public async Task ObjectEncodingIsNullInResp3ForMissingKeys()
    {
        await using var c = await _fixture.ConnectAsync();
        await c.SendAsync("HELLO", "3");
        Assert.Equal("(null)", (await c.SendAsync("OBJECT", "ENCODING", "obj3:missing")).ToString());
    }

    private static async Task<string[]> KeysAsync(RespTestClient c, string pattern)
    {
        var reply = await c.SendAsync("KEYS", pattern);
        Assert.NotNull(reply.Items);
        return reply.Items.Select(i => i.Text!).Order(StringComparer.Ordinal).ToArray();
    }

    private static string Words(string text) => string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
}
